//! x86_64: the prstatus register layout, DWARF register numbers and names.
//! Sources: Linux `arch/x86/include/asm/user_64.h` (`user_regs_struct`),
//! `include/uapi/linux/elfcore.h` (`elf_prstatus`), and the System V x86_64
//! psABI, figure 3.36 (DWARF register numbers).

/// Number of DWARF registers the unwinder tracks: rax..r15 and the return
/// address column (16).
pub const DWARF_REGS: usize = 17;
pub const DW_RBP: u16 = 6;
pub const DW_RSP: u16 = 7;
/// The return-address column, which is rip.
pub const DW_RIP: u16 = 16;

/// DWARF number → name.
pub const DWARF_NAMES: [&str; DWARF_REGS] = [
    "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
];

/// `user_regs_struct` field names, in the order the kernel stores them.
pub const USER_REGS: [&str; 27] = [
    "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax",
    "rip", "cs", "rflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
];

/// Offsets inside `struct elf_prstatus` (x86_64).
pub mod prstatus {
    pub const SI_SIGNO: usize = 0;
    pub const CURSIG: usize = 12;
    pub const PID: usize = 32;
    pub const PPID: usize = 36;
    pub const REGS: usize = 112;
    pub const SIZE: usize = 336;
}

/// Offsets inside `struct elf_prpsinfo` (x86_64).
pub mod prpsinfo {
    pub const STATE: usize = 0;
    pub const UID: usize = 16;
    pub const GID: usize = 20;
    pub const PID: usize = 24;
    pub const PPID: usize = 28;
    pub const FNAME: usize = 40;
    pub const FNAME_LEN: usize = 16;
    pub const PSARGS: usize = 56;
    pub const PSARGS_LEN: usize = 80;
}

/// One thread's general-purpose registers, as the kernel saved them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regs {
    /// In `USER_REGS` order.
    pub user: [u64; 27],
}

impl Regs {
    /// Parse the `pr_reg` array of a prstatus note.
    pub fn from_prstatus_regs(b: &[u8]) -> Option<Regs> {
        if b.len() < 27 * 8 {
            return None;
        }
        let mut r = Regs::default();
        for (i, v) in r.user.iter_mut().enumerate() {
            *v = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().ok()?);
        }
        Some(r)
    }
    pub fn get(&self, name: &str) -> Option<u64> {
        USER_REGS.iter().position(|n| *n == name).map(|i| self.user[i])
    }
    pub fn set(&mut self, name: &str, v: u64) {
        if let Some(i) = USER_REGS.iter().position(|n| *n == name) {
            self.user[i] = v;
        }
    }
    pub fn rip(&self) -> u64 {
        self.user[16]
    }
    pub fn rsp(&self) -> u64 {
        self.user[19]
    }
    pub fn rbp(&self) -> u64 {
        self.user[4]
    }
    /// The registers in DWARF numbering, for the unwinder.
    pub fn to_dwarf(&self) -> [u64; DWARF_REGS] {
        let mut d = [0u64; DWARF_REGS];
        for (i, n) in DWARF_NAMES.iter().enumerate() {
            d[i] = self.get(n).unwrap_or(0);
        }
        d
    }
}
