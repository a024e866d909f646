//! JavaScript strings: sequential, cons, sliced, thin and external, one- and
//! two-byte. (Being written.)

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

/// Decode the string at tagged address `addr`, reading at most `max`
/// characters.
pub fn read_string(h: &Heap, addr: u64, max: usize) -> Result<JsString, V8Error> {
    let _ = (h, max);
    Err(V8Error::bad(addr, "string", "string decoding is not implemented yet"))
}
