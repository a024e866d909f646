//! The one way to read target memory. Everything above this layer (symbols,
//! unwinder, V8 model, dcmds) reads through [`Memory`], so a core, a live
//! process or a synthetic test image all look the same.

use std::borrow::Cow;

use crate::error::MemError;

/// Read-only access to a target's address space.
pub trait Memory: Sync {
    /// Fill `buf` from `addr`. Fails, naming the first address that could not
    /// be read, if any byte is unavailable.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError>;

    /// Borrow `len` bytes at `addr` without copying where the backing store is
    /// contiguous (an mmap'd core segment), copying otherwise. Heap scans use
    /// this to avoid one read per field.
    fn bytes(&self, addr: u64, len: usize) -> Result<Cow<'_, [u8]>, MemError> {
        let mut v = vec![0u8; len];
        self.read(addr, &mut v)?;
        Ok(Cow::Owned(v))
    }

    fn read_u8(&self, addr: u64) -> Result<u8, MemError> {
        let mut b = [0u8; 1];
        self.read(addr, &mut b)?;
        Ok(b[0])
    }
    fn read_u16(&self, addr: u64) -> Result<u16, MemError> {
        let mut b = [0u8; 2];
        self.read(addr, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    fn read_u32(&self, addr: u64) -> Result<u32, MemError> {
        let mut b = [0u8; 4];
        self.read(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn read_u64(&self, addr: u64) -> Result<u64, MemError> {
        let mut b = [0u8; 8];
        self.read(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// A NUL-terminated string of at most `max` bytes (lossy UTF-8). Stops
    /// early, without error, at the first unreadable byte after the first.
    fn read_cstr(&self, addr: u64, max: usize) -> Result<String, MemError> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            let mut chunk = [0u8; 64];
            let want = chunk.len().min(max - out.len());
            // Read up to the next 64-byte boundary so that a string ending
            // just before an unmapped page is still read.
            let to_boundary = (64 - (a % 64) as usize).min(want);
            match self.read(a, &mut chunk[..to_boundary]) {
                Ok(()) => {}
                Err(e) if out.is_empty() && a == addr => return Err(e),
                Err(_) => break,
            }
            if let Some(p) = chunk[..to_boundary].iter().position(|&c| c == 0) {
                out.extend_from_slice(&chunk[..p]);
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            out.extend_from_slice(&chunk[..to_boundary]);
            a += to_boundary as u64;
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A flat memory image for tests: one buffer at one base address.
pub struct FlatMemory {
    pub base: u64,
    pub data: Vec<u8>,
}

impl Memory for FlatMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let off = addr.checked_sub(self.base).ok_or(MemError::Unmapped { addr })? as usize;
        let end = off.checked_add(buf.len()).ok_or(MemError::Unmapped { addr })?;
        if end > self.data.len() {
            let first_bad = self.base + (self.data.len().max(off)) as u64;
            return Err(MemError::Unmapped { addr: first_bad });
        }
        buf.copy_from_slice(&self.data[off..end]);
        Ok(())
    }
}
