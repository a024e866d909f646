//! The frame-pointer chain, for code without CFI: V8's JIT code and its
//! embedded builtins keep rbp as a frame pointer, so `[rbp]` holds the
//! caller's rbp and `[rbp+8]` the return address (x86_64 psABI §3.2.2).

use super::{RegSet, StopReason};
use crate::arch::x86_64::{DW_RBP, DW_RIP, DW_RSP, DWARF_REGS};
use crate::memory::Memory;

/// One step along the chain.
#[derive(Debug, Clone)]
pub struct FpStep {
    /// rip, rsp and rbp of the caller; the rest is unknown.
    pub caller: RegSet,
    /// This frame's CFA: rbp + 16.
    pub cfa: u64,
}

/// Follow the frame pointer of a frame whose stack pointer is `sp`.
///
/// `stack` is the mapping holding `sp`: the frame pointer must lie inside
/// it, at or above `sp` and 8-byte aligned; the caller's frame therefore
/// lies strictly above this one, which is what makes the walk end. The
/// return address must point into code (`is_code`).
pub fn step(
    mem: &dyn Memory,
    sp: u64,
    rbp: Option<u64>,
    stack: Option<(u64, u64)>,
    is_code: &dyn Fn(u64) -> bool,
) -> Result<FpStep, StopReason> {
    let fp = match rbp {
        None | Some(0) => return Err(StopReason::NoReturnAddress),
        Some(fp) => fp,
    };
    if fp % 8 != 0 {
        return Err(StopReason::BadFramePointer { fp });
    }
    if fp < sp {
        return Err(StopReason::NotIncreasing { sp, caller_sp: fp });
    }
    match stack {
        Some((lo, hi)) if fp >= lo && fp.checked_add(16).is_some_and(|e| e <= hi) => {}
        _ => return Err(StopReason::BadFramePointer { fp }),
    }
    let caller_fp = mem.read_u64(fp).map_err(|e| StopReason::Unreadable { addr: e.addr() })?;
    let ra = mem.read_u64(fp + 8).map_err(|e| StopReason::Unreadable { addr: e.addr() })?;
    if ra == 0 {
        return Err(StopReason::ZeroReturnAddress);
    }
    if !is_code(ra) {
        return Err(StopReason::BadReturnAddress { pc: ra });
    }
    let mut caller: RegSet = [None; DWARF_REGS];
    caller[DW_RIP as usize] = Some(ra);
    caller[DW_RSP as usize] = Some(fp + 16);
    caller[DW_RBP as usize] = Some(caller_fp);
    Ok(FpStep { caller, cfa: fp + 16 })
}
