//! Primitive values: Smis, HeapNumbers, oddballs (`undefined`, `null`,
//! `true`, `false`, the hole), Symbols and BigInts, and their short JS
//! rendering.
//!
//! Two things the metadata does not always name are recognised here, each
//! in one function with its source: the BigInt instance type
//! ([`bigint_type`]) and, from V8 12 on, the hole, which stopped being an
//! Oddball ([`is_hole`]).

use std::fmt::Write as _;

use super::string::{js_quote, read_string};
use super::{Heap, V8Error};

/// A primitive value.
#[derive(Debug, Clone, PartialEq)]
pub enum Primitive {
    Smi(i64),
    Number(f64),
    Undefined,
    Null,
    True,
    False,
    /// The hole: a missing element or an uninitialized binding.
    Hole,
    Uninitialized,
    /// Another internal marker (`arguments_marker`, `exception`, ...).
    Other(String),
}

impl Primitive {
    /// The JS-ish word for it (`undefined`, `hole`, `42`).
    pub fn render(&self) -> String {
        match self {
            Primitive::Smi(n) => n.to_string(),
            Primitive::Number(f) => format_number(*f),
            Primitive::Undefined => "undefined".into(),
            Primitive::Null => "null".into(),
            Primitive::True => "true".into(),
            Primitive::False => "false".into(),
            Primitive::Hole => "hole".into(),
            Primitive::Uninitialized => "uninitialized".into(),
            Primitive::Other(s) => s.clone(),
        }
    }
}

/// The instance type of BigInts (`BIG_INT_BASE_TYPE`), which no `type_`
/// symbol names. Torque numbers the primitive heap objects right after the
/// strings (`src/objects/instance-type.h`, `torque-generated/instance-types.h`):
/// `SYMBOL_TYPE` (= FIRST_NONSTRING_TYPE), `BIG_INT_BASE_TYPE`,
/// `HEAP_NUMBER_TYPE`, `ODDBALL_TYPE`; so BigInt is the one unnamed number
/// between SYMBOL_TYPE and HEAP_NUMBER_TYPE (129 in Node 18 to 26, checked
/// against a BigInt in each version's core). If that gap is not exactly one
/// unnamed number, the rule does not hold and BigInts are not recognised.
pub fn bigint_type(h: &Heap) -> Option<u16> {
    let sym = h.v8.types.num("SYMBOL_TYPE")?;
    let num = h.v8.types.num("HEAP_NUMBER_TYPE")?;
    let t = sym.checked_add(1)?;
    (num == t.checked_add(1)? && h.v8.types.name(t).is_none()).then_some(t)
}

/// Is this object (of instance type `ty`) the hole? Before V8 12 the hole
/// is an Oddball (kind `TheHole`); from 12 it is a `Hole` object of its own
/// type (`src/objects/hole.tq`), HOLE_TYPE, which Node 22 and 24 export and
/// the layout table supplies for Node 26 (entry `hole_type`).
pub fn is_hole(h: &Heap, addr: u64, ty: u16) -> bool {
    if let Some(t) = h.v8.layout.hole_type.value {
        return ty as i64 == t;
    }
    h.v8.types.is(ty, "ODDBALL_TYPE")
        && h.smi_field(addr, &h.v8.layout.oddball_kind).ok() == h.v8.layout.oddball_the_hole.value
}

/// The value of the Oddball (or, from V8 12, Hole) at `addr`.
pub fn oddball(h: &Heap, addr: u64) -> Result<Primitive, V8Error> {
    let ty = h.instance_type(addr)?;
    if is_hole(h, addr, ty) {
        return Ok(Primitive::Hole);
    }
    if !h.v8.types.is(ty, "ODDBALL_TYPE") {
        return Err(V8Error::bad(addr, "oddball", format!("it is a {}", h.type_name(ty))));
    }
    let l = &h.v8.layout;
    let kind = h.smi_field(addr, &l.oddball_kind)?;
    let is = |f: &super::layout::Field| f.value == Some(kind);
    Ok(if is(&l.oddball_undefined) {
        Primitive::Undefined
    } else if is(&l.oddball_null) {
        Primitive::Null
    } else if is(&l.oddball_true) {
        Primitive::True
    } else if is(&l.oddball_false) {
        Primitive::False
    } else if is(&l.oddball_the_hole) {
        Primitive::Hole
    } else if is(&l.oddball_uninitialized) {
        Primitive::Uninitialized
    } else if is(&l.oddball_arguments_marker) {
        Primitive::Other("arguments_marker".into())
    } else if is(&l.oddball_exception) {
        Primitive::Other("exception".into())
    } else if is(&l.oddball_other) {
        Primitive::Other("other_oddball".into())
    } else {
        Primitive::Other(format!("oddball kind {kind}"))
    })
}

/// The value of the HeapNumber at `addr`.
pub fn heap_number(h: &Heap, addr: u64) -> Result<f64, V8Error> {
    let ty = h.instance_type(addr)?;
    if !h.v8.types.is(ty, "HEAP_NUMBER_TYPE") {
        return Err(V8Error::bad(addr, "HeapNumber", format!("it is a {}", h.type_name(ty))));
    }
    h.f64_at(addr, h.v8.layout.heap_number_value.off()?)
}

/// A number as JavaScript's `Number.prototype.toString()` prints it, except
/// that -0 prints as `-0` (JS says `0`), so a debugger user can tell.
/// Digits: the shortest that round-trip (ECMA-262 Number::toString), which
/// is what Rust's float formatting produces; the layout is JS's.
pub fn format_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    if x < 0.0 {
        return format!("-{}", format_number(-x));
    }
    // "d.ddde±N": the shortest round-trip digits and the exponent.
    let e = format!("{x:e}");
    let Some((mant, exp)) = e.split_once('e') else { return e };
    let Ok(exp) = exp.parse::<i64>() else { return e };
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = ties_to_even(x, digits, exp);
    let k = digits.len() as i64;
    let n = exp + 1; // the decimal point sits after n digits
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (d0, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{d0}e{sign}{}", (n - 1).abs())
        } else {
            format!("{d0}.{rest}e{sign}{}", (n - 1).abs())
        }
    }
}

/// ECMA-262 Number::toString: when two shortest digit strings are
/// equally close to `x` (x lies exactly halfway between them), the even
/// one wins. Rust's shortest formatting may pick the other
/// (-1149636667324797.25 prints as ...797.3 in Rust, ...797.2 in JS).
/// `digits` and `exp` are Rust's shortest digits and decimal exponent.
fn ties_to_even(x: f64, digits: String, exp: i64) -> String {
    let k = digits.len();
    // x correctly rounded to one more digit: a tie ends in 5 ...
    let r = format!("{:.*e}", k, x);
    let Some((rm, re)) = r.split_once('e') else { return digits };
    let rd: String = rm.chars().filter(|c| c.is_ascii_digit()).collect();
    if re.parse::<i64>().ok() != Some(exp) || !rd.ends_with('5') || rd.len() != k + 1 {
        return digits;
    }
    // ... and is exact: every further digit of x's (finite) decimal
    // expansion is zero. 800 digits cover any double.
    let full = format!("{:.800e}", x);
    let fd: String = full.split('e').next().unwrap_or("").chars().filter(|c| c.is_ascii_digit()).collect();
    if !fd.starts_with(&rd) || !fd[rd.len()..].bytes().all(|b| b == b'0') {
        return digits;
    }
    // The two neighbours: rd without its 5, and that plus one.
    let lo = rd[..k].to_string();
    let Some(hi) = decimal_increment(&lo) else { return digits };
    let even = if (lo.as_bytes()[k - 1] - b'0') % 2 == 0 { lo } else { hi };
    // It must still read back as x.
    let text = if k == 1 { format!("{even}e{exp}") } else { format!("{}.{}e{exp}", &even[..1], &even[1..]) };
    if even != digits && text.parse::<f64>().ok() == Some(x) { even } else { digits }
}

/// A decimal digit string plus one in its last place, if that does not
/// make it longer.
fn decimal_increment(d: &str) -> Option<String> {
    let mut b = d.as_bytes().to_vec();
    for i in (0..b.len()).rev() {
        if b[i] == b'9' {
            b[i] = b'0';
        } else {
            b[i] += 1;
            return String::from_utf8(b).ok();
        }
    }
    None
}

/// Most 64-bit digits printed in decimal; longer BigInts print in hex
/// (exact too, and linear), since decimal conversion is quadratic.
pub const BIGINT_MAX_DECIMAL_DIGITS: usize = 4096;
/// V8's limit: `BigInt::kMaxLengthBits` = 2^30 bits.
const BIGINT_MAX_DIGITS: u64 = (1 << 30) / 64;

/// The exact value of the BigInt at `addr`, in decimal (`-123`), without
/// the `n` suffix. Layout: `src/objects/bigint.tq` (docs/v8-layouts.md 2.4).
pub fn bigint(h: &Heap, addr: u64) -> Result<String, V8Error> {
    let (neg, digits) = bigint_digits(h, addr)?;
    Ok(bigint_to_string(neg, &digits))
}

/// A BigInt's sign and 64-bit digits, least significant first.
pub fn bigint_digits(h: &Heap, addr: u64) -> Result<(bool, Vec<u64>), V8Error> {
    let ty = h.instance_type(addr)?;
    if Some(ty) != bigint_type(h) {
        return Err(V8Error::bad(addr, "BigInt", format!("it is a {}", h.type_name(ty))));
    }
    let l = &h.v8.layout;
    let bits = h.u32_at(addr, l.bigint_bitfield.off()?)?;
    let neg = bits & 1 != 0;
    let len = ((bits >> 1) & ((1 << 30) - 1)) as u64;
    if len > BIGINT_MAX_DIGITS {
        return Err(V8Error::bad(addr, "BigInt", format!("{len} digits")));
    }
    let mut buf = vec![0u8; (len * 8) as usize];
    let base = h.untag(addr).wrapping_add(l.bigint_digits.off()?);
    crate::memory::Memory::read(h.t, base, &mut buf)?;
    let digits = buf.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
    Ok((neg, digits))
}

/// Sign and magnitude (64-bit digits, least significant first) in decimal,
/// by repeated division by 10^19; past [`BIGINT_MAX_DECIMAL_DIGITS`]
/// digits, in hex (`0x...`).
pub fn bigint_to_string(neg: bool, digits: &[u64]) -> String {
    let mut mag: Vec<u64> = digits.to_vec();
    while mag.last() == Some(&0) {
        mag.pop();
    }
    if mag.is_empty() {
        return "0".into();
    }
    let sign = if neg { "-" } else { "" };
    if mag.len() > BIGINT_MAX_DECIMAL_DIGITS {
        let mut s = format!("{sign}0x{:x}", mag[mag.len() - 1]);
        for d in mag.iter().rev().skip(1) {
            let _ = write!(s, "{d:016x}");
        }
        return s;
    }
    const BASE: u64 = 10_000_000_000_000_000_000; // 10^19
    let mut chunks: Vec<u64> = Vec::new(); // base-10^19 digits, least significant first
    while !mag.is_empty() {
        let mut rem: u128 = 0;
        for d in mag.iter_mut().rev() {
            let cur = (rem << 64) | *d as u128;
            *d = (cur / BASE as u128) as u64;
            rem = cur % BASE as u128;
        }
        chunks.push(rem as u64);
        while mag.last() == Some(&0) {
            mag.pop();
        }
    }
    let mut s = String::from(sign);
    let mut it = chunks.iter().rev();
    if let Some(top) = it.next() {
        let _ = write!(s, "{top}");
    }
    for c in it {
        let _ = write!(s, "{c:019}");
    }
    s
}

/// A Symbol's description (`Symbol("desc")`), or None for `Symbol()`.
pub fn symbol_description(h: &Heap, addr: u64) -> Result<Option<String>, V8Error> {
    let ty = h.instance_type(addr)?;
    if !h.v8.types.is(ty, "SYMBOL_TYPE") {
        return Err(V8Error::bad(addr, "Symbol", format!("it is a {}", h.type_name(ty))));
    }
    let d = h.field(addr, &h.v8.layout.symbol_description)?;
    if !h.is_heap_object(d) {
        return Ok(None);
    }
    match h.instance_type(d) {
        Ok(t) if h.is_string_type(t) => Ok(Some(read_string(h, d, SHORT_STRING)?.text)),
        _ => Ok(None),
    }
}

/// Is the Symbol at `addr` private (V8-internal, such as `error_stack_symbol`)?
pub fn symbol_is_private(h: &Heap, addr: u64) -> Result<bool, V8Error> {
    Ok(h.u32_at(addr, h.v8.layout.symbol_flags.off()?)? & 1 != 0)
}

/// Characters of a string `describe_primitive` shows.
pub const SHORT_STRING: usize = 256;

/// Decode a tagged value as a primitive: `Primitive` for Smis, numbers
/// and oddballs; None for anything else (strings, symbols, BigInts and
/// objects; see [`describe_primitive`] for those).
pub fn primitive(h: &Heap, tagged: u64) -> Result<Option<Primitive>, V8Error> {
    if h.is_smi(tagged) {
        return Ok(Some(Primitive::Smi(h.smi_value(tagged))));
    }
    if !h.is_heap_object(tagged) {
        return Err(V8Error::NotHeapObject { addr: tagged });
    }
    let ty = h.instance_type(tagged)?;
    if h.v8.types.is(ty, "HEAP_NUMBER_TYPE") {
        return Ok(Some(Primitive::Number(h.f64_at(tagged, h.v8.layout.heap_number_value.off()?)?)));
    }
    if h.v8.types.is(ty, "ODDBALL_TYPE") || is_hole(h, tagged, ty) {
        return oddball(h, tagged).map(Some);
    }
    Ok(None)
}

/// The short JS-ish rendering of a primitive: `42`, `3.5`, `-0`, `"str"`
/// (escaped, `...` after it when cut), `undefined`, `hole`,
/// `Symbol(desc)`, `123n`; None if the value is an object.
pub fn describe_primitive(h: &Heap, tagged: u64) -> Result<Option<String>, V8Error> {
    if let Some(p) = primitive(h, tagged)? {
        return Ok(Some(p.render()));
    }
    let ty = h.instance_type(tagged)?;
    if h.is_string_type(ty) {
        let s = read_string(h, tagged, SHORT_STRING)?;
        let mut q = js_quote(&s.text);
        if s.truncated {
            q.push_str("...");
        }
        return Ok(Some(q));
    }
    if h.v8.types.is(ty, "SYMBOL_TYPE") {
        return Ok(Some(match symbol_description(h, tagged)? {
            Some(d) => format!("Symbol({d})"),
            None => "Symbol()".into(),
        }));
    }
    if Some(ty) == bigint_type(h) {
        return Ok(Some(format!("{}n", bigint(h, tagged)?)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_js() {
        let cases: &[(f64, &str)] = &[
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-7.0, "-7"),
            (3.14159, "3.14159"),
            (3.5, "3.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (9007199254740992.0, "9007199254740992"),
            (9007199254740993.0, "9007199254740992"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5e21, "1.5e+21"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e-6, "0.000001"),
            (0.000123, "0.000123"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-1e300, "-1e+300"),
            (1.7976931348623157e300, "1.7976931348623156e+300"),
            (100.0, "100"),
            (2.5e-5, "0.000025"),
            (4294967296.5, "4294967296.5"),
            // A tie between two shortest forms: JS takes the even digit.
            (-1149636667324797.25, "-1149636667324797.2"),
        ];
        for (x, want) in cases {
            assert_eq!(format_number(*x), *want, "{x:?}");
        }
    }

    #[test]
    fn bigint_decimal() {
        assert_eq!(bigint_to_string(false, &[]), "0");
        assert_eq!(bigint_to_string(true, &[0]), "0");
        assert_eq!(bigint_to_string(false, &[5]), "5");
        assert_eq!(bigint_to_string(true, &[5]), "-5");
        assert_eq!(bigint_to_string(false, &[u64::MAX]), "18446744073709551615");
        // 2^64
        assert_eq!(bigint_to_string(false, &[0, 1]), "18446744073709551616");
        // 2^70 (the abort fixture's BigInt) and -2^70
        assert_eq!(bigint_to_string(false, &[0, 0x40]), "1180591620717411303424");
        assert_eq!(bigint_to_string(true, &[0, 0x40]), "-1180591620717411303424");
        // 10^19 exactly: a chunk boundary
        assert_eq!(bigint_to_string(false, &[10_000_000_000_000_000_000]), "10000000000000000000");
        // 10^38 = 0x4B3B4CA85A86C47A098A224000000000: inner chunks zero-padded
        assert_eq!(bigint_to_string(false, &[0x098A224000000000, 0x4B3B4CA85A86C47A]), format!("1{}", "0".repeat(38)));
        // 2^128 - 1
        assert_eq!(bigint_to_string(false, &[u64::MAX, u64::MAX]), "340282366920938463463374607431768211455");
        // 2^256
        assert_eq!(
            bigint_to_string(false, &[0, 0, 0, 0, 1]),
            "115792089237316195423570985008687907853269984665640564039457584007913129639936"
        );
        // Past the decimal limit: exact hex.
        let mut big = vec![0u64; BIGINT_MAX_DECIMAL_DIGITS + 1];
        big[BIGINT_MAX_DECIMAL_DIGITS] = 1;
        let s = bigint_to_string(true, &big);
        assert!(s.starts_with("-0x1000"), "{}", &s[..10]);
        assert_eq!(s.len(), 4 + 16 * BIGINT_MAX_DECIMAL_DIGITS);
    }
}
