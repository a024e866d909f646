//! Bytecode lengths, and what baseline (Sparkplug) code is executing.
//!
//! A baseline frame does not store its bytecode offset (the slot holds the
//! feedback vector); V8 recomputes it from the pc
//! (`Code::GetBytecodeOffsetForBaselinePC`, src/objects/code-inl.h). The
//! baseline Code's position-table slot holds a *bytecode offset table*
//! instead (src/baseline/bytecode-offset-iterator.h): VLQ numbers, the
//! first two the prologue's start and length, then one machine-code length
//! per bytecode in order. Matching the n-th length to the n-th bytecode
//! needs each bytecode's length, which changes with every V8 release; the
//! binary carries V8's own table of them,
//! `v8::internal::interpreter::Bytecodes::kBytecodeSizes`
//! (src/interpreter/bytecodes.cc: `uint8_t [3][kBytecodeCount]`, one row
//! per operand scale), found in every Node 18-26 binary's symbol table.
//! The prefixes that select a scale are bytecodes 0 (Wide, x2) and 1
//! (ExtraWide, x4): BYTECODE_LIST in src/interpreter/bytecodes.h starts
//! with them on every version.

use crate::memory::Memory;

use super::{Heap, V8Error};

/// The symbol holding V8's bytecode length table.
pub const SIZES_SYMBOL: &str = "v8::internal::interpreter::Bytecodes::kBytecodeSizes";
/// Most bytecodes walked in one array (V8 caps functions well below).
const MAX_BYTECODES: usize = 1 << 22;

/// V8's bytecode lengths: `table[scale * count + bytecode]`, prefix
/// excluded.
#[derive(Debug, Clone)]
pub struct Sizes {
    count: usize,
    table: Vec<u8>,
}

impl Sizes {
    /// From the raw `[3][count]` table.
    pub fn from_table(table: Vec<u8>) -> Option<Sizes> {
        if table.is_empty() || table.len() % 3 != 0 {
            return None;
        }
        Some(Sizes { count: table.len() / 3, table })
    }

    /// Read the table from the binary V8 lives in.
    pub fn load(h: &Heap) -> Result<Sizes, String> {
        let t = h.t;
        let (m, sym) = t
            .all_symbols()
            .find(|(_, s)| s.size > 0 && s.short_name() == SIZES_SYMBOL)
            .ok_or_else(|| format!("{SIZES_SYMBOL} is not in the binary's symbol table"))?;
        let mut buf = vec![0u8; sym.size as usize];
        t.read(sym.addr.wrapping_add(m.bias), &mut buf).map_err(|e| format!("reading {SIZES_SYMBOL}: {e}"))?;
        Sizes::from_table(buf).ok_or_else(|| format!("{SIZES_SYMBOL} has an odd size ({} bytes)", sym.size))
    }

    /// Length in bytes of the bytecode at `at`, prefix included.
    fn len_at(&self, code: &[u8], at: usize) -> Option<usize> {
        let b = *code.get(at)? as usize;
        let (scale, prefix, op) = match b {
            0 => (1, 1, *code.get(at + 1)? as usize),
            1 => (2, 1, *code.get(at + 1)? as usize),
            _ => (0, 0, b),
        };
        if op >= self.count {
            return None;
        }
        let n = self.table[scale * self.count + op] as usize;
        (n > 0).then_some(prefix + n)
    }

    /// Offsets at which each bytecode of `code` starts, in order.
    pub fn starts(&self, code: &[u8]) -> Result<Vec<usize>, usize> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < code.len() && out.len() < MAX_BYTECODES {
            out.push(at);
            at += self.len_at(code, at).ok_or(at)?;
        }
        Ok(out)
    }
}

/// One unsigned VLQ number (src/base/vlq.h: 7 bits per byte, least
/// significant first, high bit = more).
fn vlq(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// What the bytecode offset table says runs at `pc_off` bytes into the
/// baseline code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineAt {
    /// The function's prologue (before its first bytecode).
    Entry,
    /// The bytecode at this offset.
    Bytecode(usize),
}

/// `AdvanceToPCOffset(pc_off)` then `current_bytecode_offset()`: the range
/// `(start, end]` holding `pc_off` names the bytecode. `starts` are the
/// bytecodes' offsets ([`Sizes::starts`]).
///
/// The table holds one length per bytecode after the prologue's. V8 10.2
/// to 14.x (Node 18-26) write the prologue as one length from 0 (N+1
/// numbers for N bytecodes, seen on every core); V8's current iterator
/// reads a start offset first (N+2 numbers). The count tells which.
pub fn baseline_at(table: &[u8], starts: &[usize], pc_off: u64) -> Option<BaselineAt> {
    let mut at = 0;
    let mut nums = Vec::with_capacity(starts.len() + 2);
    while at < table.len() {
        nums.push(vlq(table, &mut at)?);
    }
    // The prologue's end, and the bytecodes' lengths after it.
    let (mut end, lens) = match nums.len().checked_sub(starts.len())? {
        1 => (nums[0], &nums[1..]),
        2 => (nums[0].checked_add(nums[1])?, &nums[2..]),
        _ => return None,
    };
    let mut current = BaselineAt::Entry;
    for (len, start) in lens.iter().zip(starts) {
        if end >= pc_off {
            return Some(current);
        }
        end = end.checked_add(*len)?;
        current = BaselineAt::Bytecode(*start);
    }
    (end >= pc_off).then_some(current)
}

/// The bytecode offset a baseline frame is executing: `code` is its
/// baseline Code object, `bytecode` its BytecodeArray, `pc_off` the pc's
/// offset into the code's instructions.
pub fn baseline_bytecode_offset(h: &Heap, code: u64, bytecode: u64, pc_off: u64) -> Result<BaselineAt, V8Error> {
    let l = &h.v8.layout;
    let sizes = h.v8.bytecode_sizes(h).map_err(|why| V8Error::bad(code, "baseline Code", why))?;
    let len = h.smi_field(bytecode, &l.fixed_array_length)?;
    if !(0..=1 << 26).contains(&len) {
        return Err(V8Error::bad(bytecode, "BytecodeArray", format!("length {len} is implausible")));
    }
    let mut bytes = vec![0u8; len as usize];
    h.t.read(h.untag(bytecode).wrapping_add(l.bytecode_array_data.off()?), &mut bytes)?;
    let starts = sizes
        .starts(&bytes)
        .map_err(|at| V8Error::bad(bytecode, "BytecodeArray", format!("unknown bytecode {:#x} at offset {at}", bytes[at])))?;
    let table = h.field(code, &l.code_source_positions)?;
    let table = super::sourcepos::byte_array_bytes(h, table)?;
    baseline_at(&table, &starts, pc_off)
        .ok_or_else(|| V8Error::bad(code, "baseline Code", format!("its bytecode offset table does not reach code offset {pc_off}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlq_reads_multibyte_numbers() {
        let mut at = 0;
        assert_eq!(vlq(&[0x85, 0x01, 0x07], &mut at), Some(133));
        assert_eq!(vlq(&[0x85, 0x01, 0x07], &mut at), Some(7));
        assert_eq!(vlq(&[0x80], &mut at), None);
    }

    #[test]
    fn scaled_bytecodes_take_their_prefix() {
        // Bytecode 2 is 3 bytes at scale x1, 5 at x2 (Wide = 0), 9 at x4
        // (ExtraWide = 1); a prefix adds its own byte.
        let mut table = vec![1u8; 9];
        table[2] = 3;
        table[3 + 2] = 5;
        table[6 + 2] = 9;
        let s = Sizes::from_table(table).unwrap();
        let mut code = vec![2, 9, 9];
        code.extend([0, 2, 9, 9, 9, 9]);
        code.extend([1, 2, 9, 9, 9, 9, 9, 9, 9, 9]);
        code.extend([2, 9, 9]);
        assert_eq!(s.starts(&code).unwrap(), vec![0, 3, 9, 19]);
        assert!(s.starts(&[7]).is_err());
    }

    #[test]
    fn pc_maps_to_the_range_holding_it() {
        // Prologue at 0..10, bytecode A (offset 0) 10..14, B (offset 3) 14..30,
        // in both formats (with and without a leading start offset).
        let starts = [0, 3];
        for table in [&[10u8, 4, 16][..], &[0, 10, 4, 16][..]] {
            assert_eq!(baseline_at(table, &starts, 5), Some(BaselineAt::Entry));
            assert_eq!(baseline_at(table, &starts, 10), Some(BaselineAt::Entry));
            assert_eq!(baseline_at(table, &starts, 11), Some(BaselineAt::Bytecode(0)));
            assert_eq!(baseline_at(table, &starts, 29), Some(BaselineAt::Bytecode(3)));
            assert_eq!(baseline_at(table, &starts, 31), None);
        }
        // A table that does not match the bytecodes.
        assert_eq!(baseline_at(&[10, 4], &starts, 11), None);
    }
}
