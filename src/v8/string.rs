//! JavaScript strings: sequential, cons, sliced, thin and external, one- and
//! two-byte, internalized or not.
//!
//! A string is decoded as a list of UTF-16 code units (one-byte strings are
//! Latin-1, so each byte is one unit) and converted to UTF-8 at the end,
//! with lone surrogates replaced by U+FFFD. The units are produced by walking
//! the string's tree with an explicit stack of `(string, start, count)`
//! ranges: cons strings nest millions deep (`s += "x"` in a loop), so the
//! walk is a loop, bounded by the characters wanted and by a visit cap that
//! also ends cycles in corrupt memory.
//! Layouts: src/objects/string.tq; tags: src/objects/instance-type.h.

use crate::memory::Memory;

use super::heap::StrRepr;
use super::{Heap, V8Error};

/// A decoded string.
#[derive(Debug, Clone, PartialEq)]
pub struct JsString {
    /// The contents, as UTF-8 (lone surrogates replaced by U+FFFD).
    pub text: String,
    /// The string's JS length (UTF-16 code units).
    pub len: u64,
    /// `text` holds only the first `max` characters.
    pub truncated: bool,
}

/// Longest string V8 makes (`String::kMaxLength` is 2^29 - 24 on 64-bit
/// hosts); anything longer is not a string.
const MAX_LENGTH: i64 = 1 << 30;

/// Most tree nodes one decode visits: enough for a million-deep cons
/// string, and an end to cycles in corrupt memory.
pub const MAX_VISITS: u64 = 1 << 23;

/// Bytes read from the target per read when copying characters.
const CHUNK: u64 = 64 * 1024;

/// What one string node's header says.
#[derive(Debug, Clone, Copy)]
struct Info {
    ty: u16,
    repr: StrRepr,
    one_byte: bool,
    len: u64,
}

fn info(h: &Heap, addr: u64) -> Result<Info, V8Error> {
    let ty = h.instance_type(addr)?;
    if !h.is_string_type(ty) {
        return Err(V8Error::bad(addr, "string", format!("it is a {}", h.type_name(ty))));
    }
    let (repr, one_byte) = h.string_kind(ty).map_err(|e| match e {
        V8Error::Bad { what, why, .. } => V8Error::Bad { addr, what, why },
        other => other,
    })?;
    let len = h.u32_at(addr, h.v8.layout.string_length.off()?)? as i32 as i64;
    if !(0..=MAX_LENGTH).contains(&len) {
        return Err(V8Error::bad(addr, "string", format!("its length {len} is impossible")));
    }
    Ok(Info { ty, repr, one_byte, len: len as u64 })
}

/// Is `addr` a string (by its map's instance type)?
pub fn is_string(h: &Heap, addr: u64) -> bool {
    h.is_heap_object(addr) && h.instance_type(addr).is_ok_and(|t| h.is_string_type(t))
}

/// The JS length of the string at `addr`, without decoding it.
pub fn string_length(h: &Heap, addr: u64) -> Result<u64, V8Error> {
    Ok(info(h, addr)?.len)
}

/// UTF-16 code units in, UTF-8 out, pairing surrogates across the pieces
/// of a cons string.
struct Sink {
    out: String,
    pending_hi: Option<u16>,
}

impl Sink {
    fn latin1(&mut self, b: &[u8]) {
        self.flush_hi();
        self.out.extend(b.iter().map(|&c| c as char));
    }
    fn utf16(&mut self, units: impl Iterator<Item = u16>) {
        for u in units {
            match u {
                0xd800..=0xdbff => {
                    self.flush_hi();
                    self.pending_hi = Some(u);
                }
                0xdc00..=0xdfff => match self.pending_hi.take() {
                    Some(hi) => {
                        let c = 0x10000 + (((hi as u32) - 0xd800) << 10) + ((u as u32) - 0xdc00);
                        self.out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                    }
                    None => self.out.push('\u{fffd}'),
                },
                _ => {
                    self.flush_hi();
                    self.out.push(char::from_u32(u as u32).unwrap_or('\u{fffd}'));
                }
            }
        }
    }
    fn flush_hi(&mut self) {
        if self.pending_hi.take().is_some() {
            self.out.push('\u{fffd}');
        }
    }
}

/// Copy `count` characters from `base` (the first character's address).
fn copy_chars(h: &Heap, base: u64, one_byte: bool, count: u64, sink: &mut Sink) -> Result<(), V8Error> {
    let width = if one_byte { 1 } else { 2 };
    let mut done = 0u64;
    while done < count {
        let n = (count - done).min(CHUNK / width);
        let mut buf = vec![0u8; (n * width) as usize];
        h.t.read(base.wrapping_add(done * width), &mut buf)?;
        if one_byte {
            sink.latin1(&buf);
        } else {
            sink.utf16(buf.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])));
        }
        done += n;
    }
    Ok(())
}

/// The address of an external string's characters. V8 caches the
/// resource's data pointer in the string unless the string is "uncached"
/// (instance type bit `kUncachedExternalStringMask`); otherwise, follow the
/// resource ([`external_data_from_resource`]).
pub fn external_data(h: &Heap, addr: u64) -> Result<u64, V8Error> {
    let i = info(h, addr)?;
    external_data_of(h, addr, i.ty)
}

fn external_data_of(h: &Heap, addr: u64, ty: u16) -> Result<u64, V8Error> {
    let l = &h.v8.layout;
    let uncached = (ty as i64) & l.uncached_external_string_mask.get()? != 0;
    if !uncached {
        let p = h.field(addr, &l.external_cached_data)?;
        if p != 0 {
            return Ok(p);
        }
    }
    external_data_from_resource(h, addr)
}

/// An external string's data pointer read from its resource object, a
/// C++ object whose class its vtable names. Only Node's own resource
/// classes have a known layout (checked on Node 18-26 cores); for any
/// other class this is an error, never a guess.
pub fn external_data_from_resource(h: &Heap, addr: u64) -> Result<u64, V8Error> {
    let l = &h.v8.layout;
    let res = external_resource(h, addr)?;
    if res == 0 {
        return Err(V8Error::bad(addr, "external string", "its resource is gone (disposed)"));
    }
    let vtable = h.t.read_u64(res)?;
    let class = h.t.symbolize(vtable).map(|s| s.name).unwrap_or_default();
    let off = if class.contains("ExternString<") {
        l.extern_string_data.off()?
    } else if class.contains("StaticExternalByteResource") || class.contains("NonOwningExternalOneByteResource") {
        l.static_resource_data.off()?
    } else {
        let what = if class.is_empty() { format!("vtable {vtable:#x}") } else { class };
        return Err(V8Error::bad(addr, "external string", format!("its resource {res:#x} ({what}) has no known layout")));
    };
    let p = h.t.read_u64(res.wrapping_add(off))?;
    if p == 0 {
        return Err(V8Error::bad(addr, "external string", format!("its resource {res:#x} has no data")));
    }
    Ok(p)
}

/// The resource object of an external string (Node's or V8's C++ object).
pub fn external_resource(h: &Heap, addr: u64) -> Result<u64, V8Error> {
    h.field(addr, &h.v8.layout.external_resource)
}

/// A sliced string's parent and a thin string's actual string are flat:
/// sequential or external (src/objects/string.h); anything else is
/// corrupt memory, and would let a walk go round in circles.
fn flat_target(h: &Heap, s: u64, what: &'static str, target: u64) -> Result<Info, V8Error> {
    let i = info(h, target)?;
    match i.repr {
        StrRepr::Seq | StrRepr::External => Ok(i),
        r => Err(V8Error::bad(s, what, format!("it points at {target:#x}, a {r:?} string, not a flat one"))),
    }
}

/// Decode the string at tagged address `addr`, reading at most `max`
/// characters (UTF-16 code units).
pub fn read_string(h: &Heap, addr: u64, max: usize) -> Result<JsString, V8Error> {
    let top = info(h, addr)?;
    let want = top.len.min(max as u64);
    let mut sink = Sink { out: String::with_capacity(want.min(1 << 20) as usize), pending_hi: None };
    let l = &h.v8.layout;
    // Ranges still to copy, last one first.
    // Each entry carries its string's header when already read.
    let mut stack: Vec<(u64, u64, u64, Option<Info>)> = vec![(addr, 0, want, Some(top))];
    let mut visits = 0u64;
    let mut degenerate = std::collections::HashSet::new();
    let mut cut = false;
    while let Some((s, start, n, known)) = stack.pop() {
        if n == 0 {
            continue;
        }
        visits += 1;
        if visits > MAX_VISITS {
            cut = true;
            break;
        }
        let i = match known {
            Some(i) => i,
            None => info(h, s)?,
        };
        if start + n > i.len {
            return Err(V8Error::bad(s, "string", format!("characters {start}..{} asked of a string of length {}", start + n, i.len)));
        }
        match i.repr {
            StrRepr::Seq => {
                let (chars, w) = if i.one_byte { (l.seq_one_byte_chars.off()?, 1) } else { (l.seq_two_byte_chars.off()?, 2) };
                copy_chars(h, h.untag(s).wrapping_add(chars + start * w), i.one_byte, n, &mut sink)?;
            }
            StrRepr::External => {
                let data = external_data_of(h, s, i.ty)?;
                let w = if i.one_byte { 1 } else { 2 };
                copy_chars(h, data.wrapping_add(start * w), i.one_byte, n, &mut sink)?;
            }
            StrRepr::Cons => {
                let a = h.field(s, &l.cons_first)?;
                let b = h.field(s, &l.cons_second)?;
                let ai = info(h, a)?;
                let bi = info(h, b)?;
                let (alen, blen) = (ai.len, bi.len);
                if alen + blen != i.len {
                    return Err(V8Error::bad(s, "cons string", format!("its parts' lengths {alen} + {blen} are not its length {}", i.len)));
                }
                // Parts are shorter than the whole, so the walk ends, except
                // where one part is empty (a flattened cons): there, a cons
                // seen twice is a cycle in corrupt memory.
                if (alen == i.len || blen == i.len) && !degenerate.insert(s) {
                    return Err(V8Error::bad(s, "cons string", "its parts lead back to it"));
                }
                let end = start + n;
                // Push the second part first so the first is copied first.
                if end > alen {
                    let from = start.max(alen);
                    stack.push((b, from - alen, end - from, Some(bi)));
                }
                if start < alen {
                    stack.push((a, start, end.min(alen) - start, Some(ai)));
                }
            }
            StrRepr::Sliced => {
                let parent = h.field(s, &l.sliced_parent)?;
                let off = h.smi_field(s, &l.sliced_offset)?;
                if off < 0 {
                    return Err(V8Error::bad(s, "sliced string", format!("offset {off}")));
                }
                let pi = flat_target(h, s, "sliced string", parent)?;
                stack.push((parent, start + off as u64, n, Some(pi)));
            }
            StrRepr::Thin => {
                let actual = h.field(s, &l.thin_actual)?;
                let ai = flat_target(h, s, "thin string", actual)?;
                stack.push((actual, start, n, Some(ai)));
            }
        }
    }
    if cut {
        // What was copied is a prefix; a half surrogate pair at its end is
        // dropped rather than shown as U+FFFD.
        sink.pending_hi = None;
    } else {
        sink.flush_hi();
    }
    Ok(JsString { text: sink.out, len: top.len, truncated: cut || want < top.len })
}

/// One node of a string's tree, for `::v8str -v`.
#[derive(Debug, Clone, PartialEq)]
pub struct StringNode {
    /// Tagged address.
    pub addr: u64,
    /// Depth in the tree (0 for the string asked about).
    pub depth: usize,
    pub instance_type: u16,
    pub repr: StrRepr,
    pub one_byte: bool,
    /// JS length (UTF-16 code units).
    pub len: u64,
    /// A sliced string's offset into its parent.
    pub offset: Option<u64>,
    /// An external string's resource object and character data.
    pub resource: Option<u64>,
    pub data: Option<u64>,
    /// The node has parts that are not listed (the walk's bounds).
    pub elided: bool,
    /// Why this node's parts could not be read, if they could not.
    pub error: Option<String>,
}

/// Most nodes `string_structure` lists, and the deepest it goes.
pub const STRUCTURE_MAX_NODES: usize = 256;
pub const STRUCTURE_MAX_DEPTH: usize = 64;

/// The tree of a string: the string, then (depth first) the parts of each
/// cons, the parent of each slice and the actual string of each thin
/// string, with external strings' resources. Bounded by
/// [`STRUCTURE_MAX_NODES`] and [`STRUCTURE_MAX_DEPTH`]; nodes whose parts
/// were left out say so.
pub fn string_structure(h: &Heap, addr: u64) -> Result<Vec<StringNode>, V8Error> {
    let l = &h.v8.layout;
    let mut out: Vec<StringNode> = Vec::new();
    let mut stack: Vec<(u64, usize)> = vec![(addr, 0)];
    while let Some((s, depth)) = stack.pop() {
        if out.len() >= STRUCTURE_MAX_NODES {
            if let Some(last) = out.last_mut() {
                last.elided = true;
            }
            break;
        }
        let i = match info(h, s) {
            Ok(i) => i,
            // The root must be a string; a bad part is shown as such.
            Err(e) if depth == 0 => return Err(e),
            Err(e) => {
                out.push(StringNode {
                    addr: s,
                    depth,
                    instance_type: 0,
                    repr: StrRepr::Seq,
                    one_byte: false,
                    len: 0,
                    offset: None,
                    resource: None,
                    data: None,
                    elided: false,
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        let mut node = StringNode {
            addr: s,
            depth,
            instance_type: i.ty,
            repr: i.repr,
            one_byte: i.one_byte,
            len: i.len,
            offset: None,
            resource: None,
            data: None,
            elided: false,
            error: None,
        };
        let mut kids: Vec<u64> = Vec::new();
        let res: Result<(), V8Error> = (|| {
            match i.repr {
                StrRepr::Seq => {}
                StrRepr::Cons => {
                    kids.push(h.field(s, &l.cons_first)?);
                    kids.push(h.field(s, &l.cons_second)?);
                }
                StrRepr::Sliced => {
                    kids.push(h.field(s, &l.sliced_parent)?);
                    node.offset = Some(h.smi_field(s, &l.sliced_offset)?.max(0) as u64);
                }
                StrRepr::Thin => kids.push(h.field(s, &l.thin_actual)?),
                StrRepr::External => {
                    node.resource = Some(h.field(s, &l.external_resource)?);
                    node.data = Some(external_data_of(h, s, i.ty)?);
                }
            }
            Ok(())
        })();
        if let Err(e) = res {
            node.error = Some(e.to_string());
        }
        if !kids.is_empty() && depth + 1 >= STRUCTURE_MAX_DEPTH {
            node.elided = true;
            kids.clear();
        }
        for k in kids.into_iter().rev() {
            stack.push((k, depth + 1));
        }
        out.push(node);
    }
    Ok(out)
}

/// `s` as a double-quoted JS (and JSON) string literal: `"`, `\` and the
/// usual control characters escaped by name, other control characters
/// (and U+2028/U+2029, which end lines in JS source) as `\uXXXX`.
pub fn js_quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                o.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes() {
        assert_eq!(js_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(js_quote("l1\nl2\tx\r"), r#""l1\nl2\tx\r""#);
        assert_eq!(js_quote("\u{1}\u{1f}\u{7f}"), r#""\u0001\u001f\u007f""#);
        assert_eq!(js_quote("h\u{e9}llo \u{2603} \u{1f600}"), "\"h\u{e9}llo \u{2603} \u{1f600}\"");
        assert_eq!(js_quote("\u{2028}"), r#""\u2028""#);
        assert_eq!(js_quote(""), r#""""#);
    }

    #[test]
    fn sink_pairs_surrogates_across_pieces() {
        let mut s = Sink { out: String::new(), pending_hi: None };
        s.utf16([0x68u16, 0xd83d].into_iter());
        s.utf16([0xde00u16].into_iter());
        s.latin1(b"\xe9");
        s.utf16([0xdc00u16, 0xd800, 0x41].into_iter());
        s.flush_hi();
        assert_eq!(s.out, "h\u{1f600}\u{e9}\u{fffd}\u{fffd}A");
    }
}
