//! Scripts: a function's file name, source text and line table.
//!
//! Source positions are UTF-16 offsets into the Script's source. The line
//! table (`line_ends`, the offset of each line's `\n`) is a FixedArray of
//! Smis, or `undefined` until V8 needs it (formatting a stack trace), in
//! which case it is computed here from the source. Lines and columns are
//! 1-based, as node prints them. Source: src/objects/script.tq.

use super::function::expect_type;
use super::string::read_string;
use super::{Heap, V8Error};

/// Longest source read (characters).
pub const MAX_SOURCE: usize = 64 << 20;

/// The Script at `addr` (checked).
fn check(h: &Heap, script: u64) -> Result<(), V8Error> {
    expect_type(h, script, "SCRIPT_TYPE", "Script")
}

/// The script's name (its file name or URL); empty when it has none.
pub fn script_name(h: &Heap, script: u64) -> Result<String, V8Error> {
    check(h, script)?;
    // opt_string reads at most 4096 characters: enough for a path or URL.
    super::function::opt_string(h, h.field(script, &h.v8.layout.script_name)?)
}

/// The script's source text, whole (up to [`MAX_SOURCE`] characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub text: String,
    /// Its length in UTF-16 units (what positions count).
    pub len: u64,
    pub truncated: bool,
}

impl Source {
    /// The byte offset in `text` of UTF-16 position `pos` (clamped to the
    /// end; inside a surrogate pair, the pair's start).
    pub fn byte_at(&self, pos: i64) -> usize {
        if pos <= 0 {
            return 0;
        }
        let mut units = 0i64;
        for (b, c) in self.text.char_indices() {
            let n = c.len_utf16() as i64;
            if units + n > pos {
                return b;
            }
            units += n;
        }
        self.text.len()
    }

    /// The byte offsets of sorted UTF-16 positions, in one pass.
    pub fn byte_offsets(&self, sorted: &[i64]) -> Vec<usize> {
        let mut out = Vec::with_capacity(sorted.len());
        let mut next = sorted.iter().peekable();
        let mut units = 0i64;
        for (b, c) in self.text.char_indices() {
            let n = c.len_utf16() as i64;
            while let Some(&&p) = next.peek() {
                if p < units + n {
                    out.push(b);
                    next.next();
                } else {
                    break;
                }
            }
            units += n;
        }
        out.resize(sorted.len(), self.text.len());
        out
    }

    /// The text between two UTF-16 positions.
    pub fn slice(&self, start: i64, end: i64) -> &str {
        let (a, b) = (self.byte_at(start), self.byte_at(end));
        if a <= b {
            &self.text[a..b]
        } else {
            ""
        }
    }
}

/// The script's source.
pub fn script_source(h: &Heap, script: u64) -> Result<Source, V8Error> {
    check(h, script)?;
    let src = h.field(script, &h.v8.layout.script_source)?;
    if !h.is_heap_object(src) || !h.instance_type(src).is_ok_and(|t| h.is_string_type(t)) {
        return Err(V8Error::bad(script, "Script", "it has no source string"));
    }
    let s = read_string(h, src, MAX_SOURCE)?;
    Ok(Source { text: s.text, len: s.len, truncated: s.truncated })
}

/// Where each line ends (the UTF-16 offset of its `\n`, or the source
/// length for a last line without one).
#[derive(Debug, Clone, PartialEq)]
pub struct LineEnds {
    pub ends: Vec<i64>,
    /// V8 had computed them (else they were computed from the source).
    pub from_heap: bool,
}

impl LineEnds {
    /// 1-based (line, column) of a position, as node prints them.
    pub fn line_col(&self, pos: i64) -> (u32, u32) {
        // A position past the end (corrupt data) counts on the last line.
        let line = self.ends.partition_point(|&e| e < pos).min(self.ends.len().saturating_sub(1));
        let line_start = if line == 0 { 0 } else { self.ends[line - 1] + 1 };
        (line as u32 + 1, (pos - line_start).max(0) as u32 + 1)
    }

    /// The UTF-16 range [start, end) of 1-based line `line` (without its `\n`).
    pub fn line_range(&self, line: u32) -> Option<(i64, i64)> {
        let i = (line as usize).checked_sub(1)?;
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some((start, end))
    }
}

/// Compute line ends from source text as V8's `String::CalculateLineEnds`
/// does (src/objects/string.cc): a line ends at `\n`, at a `\r` not
/// followed by `\n`, at U+2028 and U+2029; one more end is the source
/// length.
pub fn compute_line_ends(src: &Source) -> Vec<i64> {
    let mut ends = Vec::new();
    let mut pos = 0i64;
    let mut chars = src.text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let terminator = match c {
            '\n' | '\u{2028}' | '\u{2029}' => true,
            '\r' => next != Some('\n'),
            _ => false,
        };
        if terminator {
            ends.push(pos);
        }
        pos += c.len_utf16() as i64;
    }
    ends.push(pos);
    ends
}

/// The script's line table: V8's, or computed from the source.
pub fn line_ends(h: &Heap, script: u64) -> Result<LineEnds, V8Error> {
    check(h, script)?;
    let arr = h.field(script, &h.v8.layout.script_line_ends)?;
    let is_array = h.is_heap_object(arr) && h.instance_type(arr).is_ok_and(|t| h.v8.types.is(t, "FIXED_ARRAY_TYPE"));
    if is_array {
        let n = h.fixed_array_len(arr)?;
        // An empty array is what V8 stores before computing for some
        // scripts; fall through to computing then.
        if n > 0 {
            let mut ends = Vec::with_capacity(n as usize);
            for i in 0..n {
                let v = h.fixed_array_get(arr, i)?;
                if !h.is_smi(v) {
                    return Err(V8Error::bad(arr, "line_ends", format!("entry {i} is {v:#x}, not a Smi")));
                }
                ends.push(h.smi_value(v));
            }
            return Ok(LineEnds { ends, from_heap: true });
        }
    }
    // Computing means reading the whole source: done once per script and
    // kept (see [`super::LineEndsCache`] for why the key is safe).
    let src_str = h.field(script, &h.v8.layout.script_source)?;
    let key = (script, src_str, super::string::string_length(h, src_str).unwrap_or(u64::MAX));
    if let Some(ends) = h.v8.line_ends_cache.get(key) {
        return Ok(LineEnds { ends: ends.to_vec(), from_heap: false });
    }
    let src = script_source(h, script)?;
    let ends = compute_line_ends(&src);
    h.v8.line_ends_cache.put(key, &ends);
    Ok(LineEnds { ends, from_heap: false })
}

/// 1-based (line, column) of source position `pos` of `script`.
pub fn position_to_line_col(h: &Heap, script: u64, pos: i64) -> Result<(u32, u32), V8Error> {
    Ok(line_ends(h, script)?.line_col(pos))
}

/// One numbered source line.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    /// 1-based line number.
    pub line: u32,
    pub text: String,
    /// The line lies within the requested range (not context around it).
    pub inside: bool,
}

/// The whole lines holding positions [start, end), plus `context` lines
/// before and after.
pub fn source_lines(src: &Source, ends: &LineEnds, start: i64, end: i64, context: u32) -> Vec<SourceLine> {
    let (first, _) = ends.line_col(start);
    let (last, _) = ends.line_col((end - 1).max(start));
    let from = first.saturating_sub(context).max(1);
    let to = last.saturating_add(context).min(ends.ends.len() as u32);
    let ranges: Vec<(u32, i64, i64)> =
        (from..=to).map_while(|line| ends.line_range(line).map(|(a, b)| (line, a, b))).collect();
    // One forward walk maps every line boundary to a byte offset (a
    // bundle's source can be megabytes long).
    let mut positions: Vec<i64> = ranges.iter().flat_map(|&(_, a, b)| [a, b]).collect();
    positions.sort_unstable();
    let bytes = src.byte_offsets(&positions);
    let at = |p: i64| positions.binary_search(&p).ok().map(|i| bytes[i]);
    let mut out = Vec::new();
    for (line, a, b) in ranges {
        let (Some(x), Some(y)) = (at(a), at(b)) else { break };
        let text = if x <= y { &src.text[x..y] } else { "" };
        out.push(SourceLine { line, text: text.trim_end_matches('\r').to_string(), inside: line >= first && line <= last });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(t: &str) -> Source {
        Source { text: t.to_string(), len: t.encode_utf16().count() as u64, truncated: false }
    }

    #[test]
    fn line_ends_as_v8_computes_them() {
        // \n, lone \r and U+2028 end lines; \r\n ends at the \n; one more
        // end at the length.
        assert_eq!(compute_line_ends(&src("ab\ncd")), vec![2, 5]);
        assert_eq!(compute_line_ends(&src("ab\n")), vec![2, 3]);
        assert_eq!(compute_line_ends(&src("a\r\nb\rc\u{2028}d")), vec![2, 4, 6, 8]);
        assert_eq!(compute_line_ends(&src("")), vec![0]);
    }

    #[test]
    fn positions_to_lines_and_columns() {
        let le = LineEnds { ends: compute_line_ends(&src("function f() {\n  return 1;\n}\n")), from_heap: false };
        assert_eq!(le.line_col(0), (1, 1));
        assert_eq!(le.line_col(9), (1, 10));
        assert_eq!(le.line_col(14), (1, 15)); // the \n itself
        assert_eq!(le.line_col(15), (2, 1));
        assert_eq!(le.line_col(17), (2, 3));
        assert_eq!(le.line_col(27), (3, 1));
        assert_eq!(le.line_col(1000), (4, 972)); // past the end: on the last line
        assert_eq!(le.line_range(2), Some((15, 26)));
        assert_eq!(le.line_range(0), None);
        assert_eq!(le.line_range(9), None);
    }

    #[test]
    fn utf16_positions_slice_utf8_text() {
        // é is one UTF-16 unit, 🙂 two; positions count units.
        let s = src("é🙂x\ny");
        assert_eq!(s.slice(0, 1), "é");
        assert_eq!(s.slice(1, 3), "🙂");
        assert_eq!(s.slice(3, 4), "x");
        assert_eq!(s.slice(5, 6), "y");
        assert_eq!(s.slice(4, 2), "");
        assert_eq!(s.slice(-3, 100), "é🙂x\ny");
        let all: Vec<i64> = (-1..9).collect();
        assert_eq!(s.byte_offsets(&all), all.iter().map(|&p| s.byte_at(p)).collect::<Vec<_>>());
        let le = LineEnds { ends: compute_line_ends(&s), from_heap: false };
        let lines = source_lines(&s, &le, 5, 6, 1);
        assert_eq!(lines.iter().map(|l| (l.line, l.text.as_str(), l.inside)).collect::<Vec<_>>(), vec![(1, "é🙂x", false), (2, "y", true)]);
    }
}
