//! x86_64 disassembly (placeholder: being written).

use crate::memory::Memory;
use crate::error::MemError;

/// One decoded instruction.
#[derive(Debug, Clone)]
pub struct Insn {
    pub addr: u64,
    pub len: usize,
    pub bytes: Vec<u8>,
    /// AT&T syntax text, with branch targets symbolized where a resolver is given.
    pub text: String,
}

/// Decode the instruction at `addr`. `sym` names addresses for branch targets.
pub fn decode_one(mem: &dyn Memory, addr: u64, sym: &dyn Fn(u64) -> Option<String>) -> Result<Insn, MemError> {
    let _ = (mem, sym);
    Err(MemError::Unmapped { addr })
}
