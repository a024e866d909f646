//! Source position tables: from a bytecode offset to the script position
//! executing there.
//!
//! A table (src/codegen/source-position-table.cc) is a byte stream of
//! entries, each two VLQ-zigzag integers relative to the previous entry:
//! the code offset (negated minus one when the entry is not a statement)
//! and the raw SourcePosition (src/codegen/source-position.h: bit 0
//! is_external, bits 1-30 script offset + 1, bits 31-46 inlining id + 1).
//! Checked on Node 18-26 by matching node's own printed `file:line:col`.

use super::{Heap, V8Error};

/// One entry of a table, absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub code_offset: i64,
    /// The script offset (UTF-16 units), or -1 if the raw value had none.
    pub script_offset: i64,
    /// The inlining id (-1: not inlined; always -1 in bytecode tables).
    pub inlining_id: i64,
    pub is_statement: bool,
}

/// Longest table decoded, in bytes (the largest functions have tables of
/// a few hundred KB).
pub const MAX_TABLE: u64 = 8 << 20;

/// Read one VLQ-zigzag integer at `*i`, or None at a truncated end.
fn decode_int(b: &[u8], i: &mut usize) -> Option<i64> {
    let mut bits: u64 = 0;
    let mut shift = 0u32;
    loop {
        let c = *b.get(*i)?;
        *i += 1;
        if shift < 64 {
            bits |= u64::from(c & 0x7f) << shift;
        }
        shift += 7;
        if c & 0x80 == 0 {
            break;
        }
        if shift > 70 {
            return None; // no int64 needs more than 10 bytes
        }
    }
    Some(((bits >> 1) as i64) ^ -((bits & 1) as i64))
}

/// Split a raw SourcePosition into (script offset, inlining id).
pub fn split_raw(raw: i64) -> (i64, i64) {
    let raw = raw as u64;
    let script = ((raw >> 1) & ((1 << 30) - 1)) as i64 - 1;
    let inlining = ((raw >> 31) & 0xffff) as i64 - 1;
    (script, inlining)
}

/// How an entry's code offset delta and statement flag are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeEncoding {
    /// A zigzag int: the delta for a statement, `-delta - 1` otherwise.
    SignIsStatement,
    /// An unsigned VLQ: `delta << 2 | 2 | is_statement` (V8 14).
    Shifted,
}

impl CodeEncoding {
    /// The encoding of this V8 build (layout entry
    /// `source_position_code_encoding`).
    pub fn of(h: &Heap) -> CodeEncoding {
        if h.v8.layout.source_position_code_encoding.get().unwrap_or(0) == 1 {
            CodeEncoding::Shifted
        } else {
            CodeEncoding::SignIsStatement
        }
    }
}

/// Read one unsigned VLQ integer at `*i`.
fn decode_uint(b: &[u8], i: &mut usize) -> Option<u64> {
    let v = decode_int(b, i)?;
    // undo the zigzag decode_int applied
    Some(((v << 1) ^ (v >> 63)) as u64)
}

/// Where code offsets start: V8's kFunctionEntryBytecodeOffset
/// (src/common/globals.h), the same on every version.
pub const FUNCTION_ENTRY_OFFSET: i64 = -1;

/// Decode a whole table. Stops (keeping what it has) at a truncated entry.
///
/// Code offsets count from kFunctionEntryBytecodeOffset (-1): the first
/// entry of a bytecode table is the function's entry, before bytecode 0
/// (PositionTableEntry's default, src/codegen/source-position-table.h).
pub fn decode(bytes: &[u8], enc: CodeEncoding) -> Vec<Entry> {
    let mut out = Vec::new();
    let (mut code, mut raw) = (FUNCTION_ENTRY_OFFSET, 0i64);
    let mut i = 0;
    while i < bytes.len() {
        let (is_statement, delta) = match enc {
            CodeEncoding::SignIsStatement => {
                let Some(c) = decode_int(bytes, &mut i) else { break };
                if c >= 0 { (true, c) } else { (false, -(c + 1)) }
            }
            CodeEncoding::Shifted => {
                let Some(c) = decode_uint(bytes, &mut i) else { break };
                (c & 1 == 1, (c >> 2) as i64)
            }
        };
        let Some(p) = decode_int(bytes, &mut i) else { break };
        code = code.wrapping_add(delta);
        raw = raw.wrapping_add(p);
        let (script_offset, inlining_id) = split_raw(raw);
        out.push(Entry { code_offset: code, script_offset, inlining_id, is_statement });
    }
    out
}

/// The script offset executing at `offset`, as V8's
/// AbstractCode::SourcePosition finds it: the last entry at or before it.
pub fn position_at(entries: &[Entry], offset: i64) -> Option<i64> {
    let mut pos = None;
    for e in entries {
        if e.code_offset > offset {
            break;
        }
        pos = Some(e.script_offset);
    }
    pos
}

/// The whole entry in effect at `offset` (the last at or before it), with
/// its inlining id: for optimized code's tables.
pub fn entry_at(entries: &[Entry], offset: i64) -> Option<Entry> {
    entries.iter().take_while(|e| e.code_offset <= offset).last().copied()
}

/// The bytes of a (Trusted)ByteArray.
pub fn byte_array_bytes(h: &Heap, arr: u64) -> Result<Vec<u8>, V8Error> {
    let t = h.instance_type(arr)?;
    let ok = h.v8.types.name(t).is_some_and(|n| n == "BYTE_ARRAY_TYPE" || n == "TRUSTED_BYTE_ARRAY_TYPE");
    if !ok {
        return Err(V8Error::bad(arr, "ByteArray", format!("its type is {}", h.type_name(t))));
    }
    let l = &h.v8.layout;
    let len = h.smi_field(arr, &l.fixed_array_length)?;
    if len < 0 || len as u64 > MAX_TABLE {
        return Err(V8Error::bad(arr, "ByteArray", format!("length {len} is implausible")));
    }
    let mut buf = vec![0u8; len as usize];
    let start = h.untag(arr).wrapping_add(l.byte_array_data.off()?);
    crate::memory::Memory::read(h.t, start, &mut buf)?;
    Ok(buf)
}

/// A BytecodeArray's source position table, decoded. Err when the array
/// has none (not collected: V8 builds it lazily, only when needed).
pub fn bytecode_positions(h: &Heap, bytecode: u64) -> Result<Vec<Entry>, V8Error> {
    let t = h.instance_type(bytecode)?;
    if !h.v8.types.is(t, "BYTECODE_ARRAY_TYPE") {
        return Err(V8Error::bad(bytecode, "BytecodeArray", format!("its type is {}", h.type_name(t))));
    }
    let table = h.field(bytecode, &h.v8.layout.bytecode_array_source_positions)?;
    if !h.is_heap_object(table) {
        return Err(V8Error::bad(bytecode, "BytecodeArray", "it has no source position table"));
    }
    Ok(decode(&byte_array_bytes(h, table)?, CodeEncoding::of(h)))
}

/// The bytecode offset an interpreted frame's Smi slot means: V8 keeps it
/// relative to the tagged BytecodeArray pointer (src/execution/frames.cc
/// UnoptimizedFrame::GetBytecodeOffset: minus kHeaderSize, plus the tag).
pub fn bytecode_offset_from_slot(h: &Heap, slot_value: i64) -> Result<i64, V8Error> {
    let l = &h.v8.layout;
    Ok(slot_value - l.bytecode_array_data.get()? + l.heap_object_tag.get()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_vlq_zigzag() {
        // The first entry of validateEntry's table in the Node 22 uncaught
        // core: the function entry (offset -1), not a statement, script offset 1007.
        let e = decode(&[0x01, 0xc0, 0x1f], CodeEncoding::SignIsStatement);
        assert_eq!(e, vec![Entry { code_offset: -1, script_offset: 1007, inlining_id: -1, is_statement: false }]);
        // A statement 4 bytes on (bytecode 3), 10 characters further.
        let e = decode(&[0x01, 0xc0, 0x1f, 0x08, 0x28], CodeEncoding::SignIsStatement);
        assert_eq!(e[1], Entry { code_offset: 3, script_offset: 1017, inlining_id: -1, is_statement: true });
        assert_eq!(position_at(&e, 2), Some(1007));
        assert_eq!(position_at(&e, 3), Some(1017));
        assert_eq!(position_at(&e, 100), Some(1017));
        // Truncated and overlong input end the table without panicking.
        assert_eq!(decode(&[0x80], CodeEncoding::SignIsStatement).len(), 0);
        assert_eq!(decode(&[0xff; 40], CodeEncoding::Shifted).len(), 0);
        // V8 14: the same function's first entries in the Node 26 core.
        let e = decode(&[0x02, 0xc0, 0x1f, 0x07, 0x58, 0x2e, 0x14], CodeEncoding::Shifted);
        assert_eq!(e[0], Entry { code_offset: -1, script_offset: 1007, inlining_id: -1, is_statement: false });
        assert_eq!(e[1], Entry { code_offset: 0, script_offset: 1029, inlining_id: -1, is_statement: true });
        assert_eq!(e[2].code_offset, 11);
    }

    #[test]
    fn entry_at_keeps_the_inlining_id() {
        // Raw position: script offset 5 (+1, shifted past the external
        // bit) in inlining id 2 (+1, at bit 31).
        let raw: i64 = (6 << 1) | (3 << 31);
        assert_eq!(split_raw(raw), (5, 2));
        let e = [
            Entry { code_offset: 0, script_offset: 1, inlining_id: -1, is_statement: true },
            Entry { code_offset: 10, script_offset: 5, inlining_id: 2, is_statement: false },
        ];
        assert_eq!(entry_at(&e, 9).map(|x| x.inlining_id), Some(-1));
        assert_eq!(entry_at(&e, 10), Some(e[1]));
        assert_eq!(entry_at(&e, -1), None);
    }
}
