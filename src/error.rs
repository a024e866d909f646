//! Typed errors. Every error that comes from reading the target names the
//! address that failed, so a dcmd can say exactly what was missing.

use thiserror::Error;

/// Why a read of target memory failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MemError {
    /// No mapping of the process covered the address.
    #[error("address {addr:#x} is not mapped")]
    Unmapped { addr: u64 },
    /// The process had the address mapped, but the core does not hold its
    /// bytes and no file on disk supplies them.
    #[error("address {addr:#x} is mapped ({what}) but its bytes are not in the core")]
    NotInCore { addr: u64, what: String },
    /// The core file ends before the segment that holds the address.
    #[error("address {addr:#x} lies in a part of the core that was truncated")]
    Truncated { addr: u64 },
    /// A live process has the address mapped, but reading it failed.
    #[error("address {addr:#x} could not be read from the process: {what}")]
    Unreadable { addr: u64, what: String },
}

impl MemError {
    /// The address the failed read was for.
    pub fn addr(&self) -> u64 {
        match self {
            MemError::Unmapped { addr }
            | MemError::NotInCore { addr, .. }
            | MemError::Truncated { addr }
            | MemError::Unreadable { addr, .. } => *addr,
        }
    }
}

/// Why a core (or a binary it maps) could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpenError {
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
    #[error("{path}: not an ELF file")]
    NotElf { path: String },
    #[error("{path}: not an ELF core file (type {kind})")]
    NotCore { path: String, kind: String },
    #[error("{path}: unsupported core: {msg}")]
    Unsupported { path: String, msg: String },
    #[error("{path}: malformed ELF: {msg}")]
    Malformed { path: String, msg: String },
}

/// Why jmdb could not attach to (or stop) a live process.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttachError {
    #[error("pid {pid}: no such process")]
    NoProcess { pid: u32 },
    #[error("pid {pid}: the process has exited (zombie); only its parent can collect it")]
    Zombie { pid: u32 },
    #[error("pid {pid}: not permitted to attach (EPERM): {why}")]
    Permission { pid: u32, why: String },
    #[error("pid {pid}: {msg}")]
    Ptrace { pid: u32, msg: String },
}
