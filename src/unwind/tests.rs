//! The walk over synthetic memory and hand-assembled `.eh_frame`: each CFI
//! rule kind, signal frames, and the ways a frame-pointer chain goes bad.

use std::sync::OnceLock;

use super::cfi::{CfiSection, FdeSpan};
use super::*;
use crate::error::MemError;
use crate::memory::FlatMemory;

const CODE: u64 = 0x40_0000;
const STACK: u64 = 0x7f_0000;
const STACK_LEN: usize = 0x1000;

/// Several flat images; the first that holds the whole read answers.
struct Multi(Vec<FlatMemory>);

impl Memory for Multi {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        for m in &self.0 {
            if m.read(addr, buf).is_ok() {
                return Ok(());
            }
        }
        Err(MemError::Unmapped { addr })
    }
}

struct TestEnv {
    mem: Multi,
    eh_frame: Vec<u8>,
    index: OnceLock<Vec<FdeSpan>>,
    /// [CODE, CODE+code_len) is executable and covered by `eh_frame`.
    code_len: u64,
}

impl TestEnv {
    fn new(eh_frame: Vec<u8>) -> TestEnv {
        TestEnv {
            mem: Multi(vec![
                FlatMemory { base: STACK, data: vec![0; STACK_LEN] },
                FlatMemory { base: CODE, data: vec![0x90; 0x1000] },
            ]),
            eh_frame,
            index: OnceLock::new(),
            code_len: 0x1000,
        }
    }
    fn stack(&mut self) -> &mut Vec<u8> {
        &mut self.mem.0[0].data
    }
    fn put(&mut self, addr: u64, v: u64) {
        let off = (addr - STACK) as usize;
        self.stack()[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    fn code(&mut self, addr: u64, bytes: &[u8]) {
        let off = (addr - CODE) as usize;
        self.mem.0[1].data[off..off + bytes.len()].copy_from_slice(bytes);
    }
}

impl UnwindEnv for TestEnv {
    fn memory(&self) -> &dyn Memory {
        &self.mem
    }
    fn cfi(&self, pc: u64) -> Option<CfiSection<'_>> {
        (pc >= CODE && pc < CODE + self.code_len && !self.eh_frame.is_empty()).then(|| CfiSection {
            eh_frame: &self.eh_frame,
            eh_frame_addr: 0x1000,
            eh_frame_hdr: None,
            text_addr: None,
            got_addr: None,
            bias: 0,
            index: &self.index,
        })
    }
    fn is_code(&self, addr: u64) -> bool {
        addr >= CODE && addr < CODE + self.code_len
    }
    fn stack_bounds(&self, sp: u64) -> Option<(u64, u64)> {
        let end = STACK + STACK_LEN as u64;
        (sp >= STACK && sp < end).then_some((STACK, end))
    }
}

// --- a tiny .eh_frame assembler (absolute 8-byte FDE addresses) ---

fn uleb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(mut v: i64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        out.push(if done { b } else { b | 0x80 });
        if done {
            return;
        }
    }
}

/// Pad an entry body to 8 bytes (with DW_CFA_nop) and prefix its length.
fn entry(mut body: Vec<u8>) -> Vec<u8> {
    while !(body.len() + 4).is_multiple_of(8) {
        body.push(0);
    }
    let mut out = (body.len() as u32).to_le_bytes().to_vec();
    out.extend(body);
    out
}

/// A CIE (offset 0) whose initial rules are the x86_64 call: CFA = rsp+8,
/// return address at CFA-8. `signal` adds augmentation `S`.
fn cie(signal: bool) -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0, 1];
    b.extend_from_slice(if signal { b"zS\0" } else { b"z\0" });
    uleb(1, &mut b); // code alignment
    sleb(-8, &mut b); // data alignment
    b.push(16); // return address column
    uleb(0, &mut b); // augmentation data length
    b.extend_from_slice(&[0x0c, 7, 8, 0x90, 1]); // def_cfa rsp+8; offset rip, cfa-8
    entry(b)
}

/// Append an FDE for [start, start+len) with `instrs` to `eh` (CIE at 0).
fn fde(eh: &mut Vec<u8>, start: u64, len: u64, instrs: &[u8]) {
    fde_of(eh, 0, start, len, instrs)
}

/// The same, for the CIE at offset `cie_at`.
fn fde_of(eh: &mut Vec<u8>, cie_at: usize, start: u64, len: u64, instrs: &[u8]) {
    // The CIE pointer is the distance from the pointer field back to the CIE.
    let cie_ptr = (eh.len() + 4 - cie_at) as u32;
    let mut b = cie_ptr.to_le_bytes().to_vec();
    b.extend_from_slice(&start.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    uleb(0, &mut b); // augmentation data length
    b.extend_from_slice(instrs);
    eh.extend(entry(b));
}

fn finish(mut eh: Vec<u8>) -> Vec<u8> {
    eh.extend_from_slice(&[0, 0, 0, 0]);
    eh
}

/// An FDE body that marks the return address undefined: an outermost frame.
const OUTERMOST: &[u8] = &[0x07, 16]; // DW_CFA_undefined rip

fn regs(rip: u64, rsp: u64, rbp: u64) -> RegSet {
    let mut r: RegSet = [Some(0); DWARF_REGS];
    r[DW_RIP as usize] = Some(rip);
    r[DW_RSP as usize] = Some(rsp);
    r[DW_RBP as usize] = Some(rbp);
    r
}

fn pcs(s: &Stack) -> Vec<u64> {
    s.frames.iter().map(|f| f.pc).collect()
}

#[test]
fn cfa_register_offset_and_offset_rules() {
    let mut eh = cie(false);
    // f1 at CODE: push rbp; CFA = rsp+16, rbp at CFA-16.
    fde(&mut eh, CODE, 0x100, &[0x0e, 16, 0x86, 2]); // def_cfa_offset 16; offset rbp, cfa-16
    fde(&mut eh, CODE + 0x100, 0x100, OUTERMOST);
    let mut env = TestEnv::new(finish(eh));
    let sp = STACK + 0x800;
    env.put(sp, 0x1234_5678); // saved rbp
    env.put(sp + 8, CODE + 0x150); // return address into the outermost function
    let s = unwind_with(&env, &regs(CODE + 0x10, sp, 0xdead), 100);
    assert_eq!(pcs(&s), vec![CODE + 0x10, CODE + 0x150]);
    assert_eq!(s.end, StopReason::Outermost);
    let caller = &s.frames[1];
    assert_eq!(caller.trust, Trust::Cfi);
    assert_eq!(caller.sp, sp + 16);
    assert_eq!(caller.fp, Some(0x1234_5678));
    assert_eq!(s.frames[0].cfa, Some(sp + 16));
    // Callee-saved rbx keeps its value; volatile rax becomes unknown.
    assert_eq!(caller.reg(3), Some(0));
    assert_eq!(caller.reg(0), None);
}

#[test]
fn same_value_undefined_register_and_val_offset_rules() {
    let mut eh = cie(false);
    let mut ins = vec![0x0e, 32]; // CFA = rsp+32
    ins.extend_from_slice(&[0x08, 3]); // same_value rbx
    ins.extend_from_slice(&[0x07, 12]); // undefined r12
    ins.extend_from_slice(&[0x09, 13, 1]); // r13 is in rdx
    ins.push(0x14); // val_offset r14 = CFA + 2*-8... (factored: uleb reg, uleb off * data_align)
    ins.extend_from_slice(&[14, 2]);
    fde(&mut eh, CODE, 0x100, &ins);
    fde(&mut eh, CODE + 0x100, 0x100, OUTERMOST);
    let mut env = TestEnv::new(finish(eh));
    let sp = STACK + 0x800;
    env.put(sp + 24, CODE + 0x180);
    let mut r = regs(CODE + 0x20, sp, 0);
    r[3] = Some(0x33);
    r[12] = Some(0x1212);
    r[1] = Some(0xd1d1);
    let s = unwind_with(&env, &r, 100);
    assert_eq!(s.frames.len(), 2, "{s:?}");
    let c = &s.frames[1];
    assert_eq!(c.reg(3), Some(0x33));
    assert_eq!(c.reg(12), None);
    assert_eq!(c.reg(13), Some(0xd1d1));
    // DW_CFA_val_offset takes an unsigned factored offset: 2 * -8.
    assert_eq!(c.reg(14), Some(sp + 32 - 16));
    assert_eq!(c.sp, sp + 32);
}

#[test]
fn expression_rules_restore_a_signal_context() {
    // What glibc's __restore_rt says: the CFA and every register come from
    // the ucontext at rsp, through DWARF expressions.
    let mut eh = cie(false);
    let sig_cie = eh.len();
    eh.extend(cie(true));
    let uc_regs = |off: i64| {
        let mut e = vec![0x77]; // DW_OP_breg7 (rsp)
        sleb(off, &mut e);
        e
    };
    let mut ins = vec![0x0f]; // def_cfa_expression
    let mut e = uc_regs(160);
    e.push(0x06); // DW_OP_deref
    uleb(e.len() as u64, &mut ins);
    ins.extend(e);
    for (reg, off) in [(6u8, 120i64), (7, 160), (16, 168), (3, 128)] {
        ins.extend_from_slice(&[0x10, reg]); // DW_CFA_expression
        let e = uc_regs(off);
        uleb(e.len() as u64, &mut ins);
        ins.extend(e);
    }
    // r12 = rsp + 8 as a value (val_expression).
    ins.extend_from_slice(&[0x16, 12]);
    let e = uc_regs(8);
    uleb(e.len() as u64, &mut ins);
    ins.extend(e);
    fde(&mut eh, CODE + 0x100, 0x100, &[]); // the handler: leaf, CFA = rsp+8
    // The trampoline's FDE starts a byte early, as glibc's does.
    fde_of(&mut eh, sig_cie, CODE + 0x1ff, 0x11, &ins);
    // Where the signal hit: its first byte, so only an exact lookup finds it.
    fde(&mut eh, CODE + 0x300, 0x100, OUTERMOST);
    let mut env = TestEnv::new(finish(eh));
    let uc = STACK + 0x400;
    let interrupted_sp = STACK + 0x900;
    env.put(uc + 120, 0x7777); // rbp
    env.put(uc + 128, 0xbbbb); // rbx
    env.put(uc + 160, interrupted_sp); // rsp
    env.put(uc + 168, CODE + 0x300); // rip
    env.put(uc - 8, CODE + 0x200); // the handler returns into __restore_rt
    let s = unwind_with(&env, &regs(CODE + 0x110, uc - 8, 0), 100);
    assert_eq!(pcs(&s), vec![CODE + 0x110, CODE + 0x200, CODE + 0x300], "{s:?}");
    assert_eq!(s.frames[1].trust, Trust::Cfi);
    let f = &s.frames[2];
    assert_eq!(f.trust, Trust::Signal);
    assert_eq!(f.sp, interrupted_sp);
    assert_eq!(f.fp, Some(0x7777));
    assert_eq!(f.reg(3), Some(0xbbbb));
    assert_eq!(f.reg(12), Some(uc + 8));
    assert!(f.is_exact());
    assert_eq!(s.end, StopReason::Outermost);
}

#[test]
fn sigreturn_code_without_cfi_reads_the_ucontext() {
    let mut env = TestEnv::new(Vec::new());
    env.code(CODE + 0x200, &signal::SIGRETURN_CODE);
    let uc = STACK + 0x400;
    let interrupted_sp = STACK + 0x900;
    let gregs = uc + signal::UC_MCONTEXT;
    env.put(gregs + 10 * 8, 0); // rbp 0: the interrupted frame is the last
    env.put(gregs + 15 * 8, interrupted_sp);
    env.put(gregs + 16 * 8, CODE + 0x300);
    // Handler at frame 0 (frame-pointer based), returning into the trampoline.
    let hfp = uc - 16;
    env.put(hfp, 0);
    env.put(hfp + 8, CODE + 0x200);
    let s = unwind_with(&env, &regs(CODE + 0x110, hfp - 0x20, hfp), 100);
    assert_eq!(pcs(&s), vec![CODE + 0x110, CODE + 0x200, CODE + 0x300], "{s:?}");
    assert!(s.frames[1].trampoline);
    assert_eq!(s.frames[2].trust, Trust::Signal);
    assert_eq!(s.frames[2].sp, interrupted_sp);
    assert_eq!(s.end, StopReason::NoReturnAddress);
}

#[test]
fn return_address_after_a_noreturn_call_uses_pc_minus_one() {
    let mut eh = cie(false);
    fde(&mut eh, CODE, 0x100, &[]); // leaf
    // Caller: its call is the last instruction, so the return address is
    // CODE+0x200, the first byte of the next (outermost) function.
    fde(&mut eh, CODE + 0x100, 0x100, &[0x0e, 24]);
    fde(&mut eh, CODE + 0x200, 0x100, OUTERMOST);
    let mut env = TestEnv::new(finish(eh));
    let sp = STACK + 0x800;
    env.put(sp, CODE + 0x200);
    env.put(sp + 8 + 16, CODE + 0x250);
    let s = unwind_with(&env, &regs(CODE + 0x10, sp, 0), 100);
    // At pc it would be the outermost function; at pc-1 it is the caller.
    assert_eq!(pcs(&s), vec![CODE + 0x10, CODE + 0x200, CODE + 0x250], "{s:?}");
    assert_eq!(s.frames[1].lookup_pc(), CODE + 0x1ff);
}

/// Lay out a frame-pointer chain: frame i at `fps[i]` holds `[fps[i+1], pcs[i]]`.
fn chain(env: &mut TestEnv, fps: &[u64], ras: &[u64]) {
    for (i, fp) in fps.iter().enumerate() {
        env.put(*fp, fps.get(i + 1).copied().unwrap_or(0));
        env.put(fp + 8, ras[i]);
    }
}

#[test]
fn frame_pointer_chain_without_cfi() {
    let mut env = TestEnv::new(Vec::new());
    let fps = [STACK + 0x100, STACK + 0x200, STACK + 0x300];
    chain(&mut env, &fps, &[CODE + 1, CODE + 2, CODE + 3]);
    let s = unwind_with(&env, &regs(CODE, STACK + 0x80, fps[0]), 100);
    assert_eq!(pcs(&s), vec![CODE, CODE + 1, CODE + 2, CODE + 3]);
    assert!(s.frames[1..].iter().all(|f| f.trust == Trust::FramePointer));
    assert_eq!(s.frames[1].sp, fps[0] + 16);
    assert_eq!(s.end, StopReason::NoReturnAddress); // rbp 0 ends the chain
}

#[test]
fn looping_frame_pointer_chain_ends_with_a_note() {
    let mut env = TestEnv::new(Vec::new());
    let a = STACK + 0x100;
    let b = STACK + 0x200;
    env.put(a, b);
    env.put(a + 8, CODE + 1);
    env.put(b, a); // back to a: a loop
    env.put(b + 8, CODE + 2);
    let s = unwind_with(&env, &regs(CODE, STACK + 0x80, a), 1000);
    assert_eq!(pcs(&s), vec![CODE, CODE + 1, CODE + 2]);
    assert!(matches!(s.end, StopReason::NotIncreasing { .. }), "{:?}", s.end);
    // Pointing at itself.
    env.put(a, a);
    let s = unwind_with(&env, &regs(CODE, STACK + 0x80, a), 1000);
    assert_eq!(s.frames.len(), 2);
    assert!(matches!(s.end, StopReason::NotIncreasing { .. }), "{:?}", s.end);
}

#[test]
fn frame_pointer_outside_the_stack_misaligned_or_to_data() {
    let mut env = TestEnv::new(Vec::new());
    let s = unwind_with(&env, &regs(CODE, STACK + 0x80, 0x1234_5678_0000), 100);
    assert_eq!(s.end, StopReason::BadFramePointer { fp: 0x1234_5678_0000 });
    let s = unwind_with(&env, &regs(CODE, STACK + 0x80, STACK + 0x103), 100);
    assert_eq!(s.end, StopReason::BadFramePointer { fp: STACK + 0x103 });
    env.put(STACK + 0x100, 0);
    env.put(STACK + 0x108, 0xdead_0000); // not code
    let s = unwind_with(&env, &regs(CODE, STACK + 0x80, STACK + 0x100), 100);
    assert_eq!(s.end, StopReason::BadReturnAddress { pc: 0xdead_0000 });
    assert_eq!(s.frames.len(), 1);
}

#[test]
fn frame_limit_bounds_the_walk() {
    let mut env = TestEnv::new(Vec::new());
    let fps: Vec<u64> = (0..100).map(|i| STACK + 0x10 * (i + 1)).collect();
    let ras: Vec<u64> = (0..100).map(|i| CODE + i).collect();
    chain(&mut env, &fps, &ras);
    let s = unwind_with(&env, &regs(CODE, STACK, fps[0]), 10);
    assert_eq!(s.frames.len(), 10);
    assert_eq!(s.end, StopReason::FrameLimit(10));
}

#[test]
fn garbage_registers_do_not_panic() {
    let env = TestEnv::new(finish(cie(false)));
    for (rip, rsp, rbp) in [
        (0, 0, 0),
        (0, 0xffff_ffff_ffff_fff8, u64::MAX),
        (u64::MAX, u64::MAX, u64::MAX),
        (CODE, 0x10, 0x10),
        (CODE + 5, STACK + STACK_LEN as u64 - 4, STACK + STACK_LEN as u64 - 8),
    ] {
        let s = unwind_with(&env, &regs(rip, rsp, rbp), 100);
        assert_eq!(s.frames[0].pc, rip);
        assert!(s.frames.len() < 3, "{s:?}");
    }
    // Every register unknown.
    let s = unwind_with(&env, &[None; DWARF_REGS], 100);
    assert_eq!(s.frames.len(), 1);
}

#[test]
fn implausible_cfi_result_falls_back_to_the_frame_pointer() {
    let mut eh = cie(false);
    fde(&mut eh, CODE, 0x100, &[]); // claims a leaf: RA at [rsp]
    let mut env = TestEnv::new(finish(eh));
    let sp = STACK + 0x80;
    env.put(sp, 0x5555); // not code: the CFI is wrong here
    let fp = STACK + 0x100;
    env.put(fp, 0);
    env.put(fp + 8, CODE + 0x500);
    let s = unwind_with(&env, &regs(CODE + 0x10, sp, fp), 100);
    assert_eq!(pcs(&s), vec![CODE + 0x10, CODE + 0x500], "{s:?}");
    assert_eq!(s.frames[1].trust, Trust::FramePointer);
}

#[test]
fn unreadable_saved_register_is_reported() {
    let mut eh = cie(false);
    fde(&mut eh, CODE, 0x100, &[0x0e, 16]);
    let env = TestEnv::new(finish(eh));
    // rsp near the top: CFA-8 lies past the end of the stack image.
    let sp = STACK + STACK_LEN as u64 - 8;
    let s = unwind_with(&env, &regs(CODE + 0x10, sp, 0), 100);
    assert_eq!(s.frames.len(), 1);
    assert_eq!(s.end, StopReason::Unreadable { addr: sp + 8 });
}

#[test]
fn hdr_less_lookup_finds_each_fde() {
    let mut eh = cie(false);
    for i in 0..50u64 {
        fde(&mut eh, CODE + i * 0x20, 0x10, &[0x0e, (8 + i) as u8]);
    }
    let env = TestEnv::new(finish(eh));
    let sec = env.cfi(CODE).unwrap();
    let mem = &env.mem;
    let mut ctx = cfi::new_context();
    for i in 0..50u64 {
        let mut r = regs(0, STACK + 0x100, 0);
        r[DW_RIP as usize] = None;
        let step = sec.step(CODE + i * 0x20 + 4, &r, mem, &mut ctx);
        // CFA = rsp + 8 + i, the return address at CFA-8: unreadable or zero,
        // but the right row was applied.
        match step {
            Ok(st) => assert_eq!(st.cfa, STACK + 0x100 + 8 + i),
            Err(e) => panic!("{e}"),
        }
        assert!(sec.step(CODE + i * 0x20 + 0x14, &r, mem, &mut ctx).is_err(), "gap {i}");
    }
}

/// An `.eh_frame_hdr` for FDEs at `fdes` (initial location, offset in
/// `.eh_frame`), placed at `hdr_addr` with `.eh_frame` at `eh_addr`.
fn eh_frame_hdr(hdr_addr: u64, eh_addr: u64, fdes: &[(u64, usize)], table_enc: u8) -> Vec<u8> {
    let mut h = vec![1, 0x1b, 0x03, table_enc];
    h.extend_from_slice(&((eh_addr as i64 - (hdr_addr as i64 + 4)) as i32).to_le_bytes());
    h.extend_from_slice(&(fdes.len() as u32).to_le_bytes());
    for (loc, off) in fdes {
        h.extend_from_slice(&((*loc as i64 - hdr_addr as i64) as i32).to_le_bytes());
        h.extend_from_slice(&((eh_addr as i64 + *off as i64 - hdr_addr as i64) as i32).to_le_bytes());
    }
    h
}

#[test]
fn eh_frame_hdr_search_table() {
    let mut eh = cie(false);
    let mut fdes = Vec::new();
    for i in 0..40u64 {
        fdes.push((CODE + i * 0x20, eh.len()));
        fde(&mut eh, CODE + i * 0x20, 0x10, &[0x0e, (8 + i) as u8]);
    }
    let eh = finish(eh);
    let (eh_addr, hdr_addr) = (0x2000u64, 0x1000u64);
    let index = OnceLock::new();
    fn view<'a>(eh: &'a [u8], hdr: &'a [u8], index: &'a OnceLock<Vec<FdeSpan>>) -> CfiSection<'a> {
        CfiSection {
            eh_frame: eh,
            eh_frame_addr: 0x2000,
            eh_frame_hdr: Some((hdr, 0x1000)),
            text_addr: None,
            got_addr: None,
            bias: 0,
            index,
        }
    }
    let good = eh_frame_hdr(hdr_addr, eh_addr, &fdes, 0x3b);
    let sec = view(&eh, &good, &index);
    for i in 0..40u64 {
        let f = sec.fde_for(CODE + i * 0x20 + 3).expect("covered");
        assert_eq!(f.initial_address(), CODE + i * 0x20);
        assert!(matches!(sec.fde_for(CODE + i * 0x20 + 0x18), Err(cfi::CfiError::NoInfo)));
    }
    assert!(matches!(sec.fde_for(CODE - 1), Err(cfi::CfiError::NoInfo)));
    assert!(index.get().is_none(), "the table answered, no scan needed");
    // FDE pointers outside .eh_frame: an error, not a panic.
    let bad: Vec<(u64, usize)> = fdes.iter().map(|(l, _)| (*l, 0)).collect();
    let mut corrupt = eh_frame_hdr(hdr_addr, eh_addr, &bad, 0x3b);
    let n = corrupt.len();
    corrupt[n - 4..].copy_from_slice(&(-0x5000i32).to_le_bytes());
    let sec = view(&eh, &corrupt, &index);
    assert!(matches!(sec.fde_for(CODE + 39 * 0x20 + 1), Err(cfi::CfiError::Malformed(_))));
    // A count larger than the table, a truncated header: no panic.
    let mut big = good.clone();
    big[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(view(&eh, &big, &index).fde_for(CODE + 3).is_ok());
    for cut in 0..12 {
        let _ = view(&eh, &good[..cut], &index).fde_for(CODE + 3);
    }
    // Another table encoding: the scanned index answers instead.
    let other = eh_frame_hdr(hdr_addr, eh_addr, &fdes, 0x1b);
    assert!(view(&eh, &other, &index).fde_for(CODE + 0x43).is_ok());
    assert!(index.get().is_some());
}
