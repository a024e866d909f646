//! Signal frames: when a handler returns into `__restore_rt`, the kernel's
//! `struct rt_sigframe` on the stack holds the interrupted registers
//! (Linux `arch/x86/include/asm/sigframe.h`, `uapi/asm/sigcontext.h`).

use super::RegSet;
use crate::arch::x86_64::DWARF_REGS;
use crate::error::MemError;
use crate::memory::Memory;

/// `mov $__NR_rt_sigreturn, %rax; syscall`: the body of every x86_64
/// sigreturn trampoline (glibc's `__restore_rt`, musl's, the vdso's).
pub const SIGRETURN_CODE: [u8; 9] = [0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05];

/// Offset of `uc_mcontext` in `struct ucontext`: uc_flags, uc_link and the
/// 24-byte `stack_t`.
pub const UC_MCONTEXT: u64 = 40;

/// `gregs[]` order in `mcontext_t` (REG_R8 .. REG_RIP), as DWARF numbers.
const GREGS_DWARF: [usize; 17] = [8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 6, 3, 1, 0, 2, 7, 16];

/// Whether the code at `pc` is a sigreturn trampoline.
pub fn is_sigreturn(mem: &dyn Memory, pc: u64) -> bool {
    let mut b = [0u8; 9];
    mem.read(pc, &mut b).is_ok() && b == SIGRETURN_CODE
}

/// The interrupted registers, from the `ucontext` at `uc` (the stack
/// pointer of the trampoline's frame, once the handler has returned).
pub fn restore(mem: &dyn Memory, uc: u64) -> Result<RegSet, MemError> {
    let mut raw = [0u8; 17 * 8];
    mem.read(uc.wrapping_add(UC_MCONTEXT), &mut raw)?;
    let mut regs: RegSet = [None; DWARF_REGS];
    for (i, d) in GREGS_DWARF.iter().enumerate() {
        let mut v = [0u8; 8];
        v.copy_from_slice(&raw[i * 8..i * 8 + 8]);
        regs[*d] = Some(u64::from_le_bytes(v));
    }
    Ok(regs)
}
