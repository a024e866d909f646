//! mdb expressions: 64-bit unsigned wrapping arithmetic over numbers,
//! symbols, registers, dot and memory.
//!
//! Numbers default to hex (`0x`, `0t` decimal, `0o` octal and `0i` binary
//! select a base; `_` may separate digits). Operators, loosest first, as in C:
//! `|`, `^`, `&`, `==` `!=`, `<<` `>>`, `+` `-`, `*` `%` (divide) `%%`
//! (modulo) `#` (round up to a multiple). Unary: `-`, `~`, `#` (logical
//! not), `*addr` (8-byte read) and `*/c/` `*/s/` `*/i/` `*/l/` (1, 2, 4, 8
//! bytes). `.` is dot, `<name` a variable or register, `'ab'` a character
//! constant, and any other name a symbol, including demangled C++ names
//! (`node::Abort`) and module-qualified ones (`libc.so.6`abort`).
//!
//! Parsing needs to know which names are symbols, because `main::dis` is the
//! symbol `main` followed by the dcmd `::dis` while `node::Abort` is one
//! symbol; the [`Names`] trait answers that. Evaluation reads through [`Env`].

use nom::bytes::complete::{take_while, take_while1};
use nom::combinator::recognize;
use nom::error::{ErrorKind, ParseError};
use nom::sequence::pair;
use nom::{IResult, Parser};
use thiserror::Error;

use crate::error::MemError;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Num(u64),
    Dot,
    Symbol(String),
    /// `<name`: a variable or a register of the selected thread.
    Var(String),
    Unary(UnOp, Box<Expr>),
    /// `*addr` and its sized forms.
    Deref { size: u8, addr: Box<Expr> },
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    LogNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    RoundUp,
}

/// What the parser needs to know about names.
pub trait Names {
    fn is_symbol(&self, name: &str) -> bool;
    fn is_dcmd(&self, name: &str) -> bool;
}

/// No target and no dcmds: every name is unresolved.
pub struct NoNames;

impl Names for NoNames {
    fn is_symbol(&self, _: &str) -> bool {
        false
    }
    fn is_dcmd(&self, _: &str) -> bool {
        false
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExprError {
    #[error("unknown symbol '{0}'")]
    UnknownSymbol(String),
    #[error("unknown symbol '{0}' (no target is loaded)")]
    NoTargetSymbol(String),
    #[error("variable '{0}' is not defined")]
    UnknownVariable(String),
    #[error("register '{0}' is not available: no target is loaded")]
    NoTargetRegister(String),
    #[error("division by zero")]
    DivideByZero,
    #[error("cannot dereference {addr:#x}: {err}")]
    Deref { addr: u64, err: MemError },
    #[error("cannot dereference {0:#x}: no target is loaded")]
    NoTarget(u64),
}

/// Where evaluation gets its values.
pub trait Env {
    fn dot(&self) -> u64;
    fn symbol(&self, name: &str) -> Result<u64, ExprError>;
    fn variable(&self, name: &str) -> Result<u64, ExprError>;
    /// Read `size` (1, 2, 4 or 8) bytes, little-endian.
    fn read(&self, addr: u64, size: u8) -> Result<u64, ExprError>;
}

/// A syntax error: where it happened (the unparsed rest of the input) and,
/// when more is known than "unexpected input", what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynErr<'a> {
    pub at: &'a str,
    pub msg: String,
}

impl<'a> ParseError<&'a str> for SynErr<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        SynErr { at: input, msg: String::new() }
    }
    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

impl SynErr<'_> {
    /// `syntax error near "..."`, or the specific message.
    pub fn describe(&self) -> String {
        let near: String = self.at.chars().take_while(|&c| c != '\n' && c != ';').take(24).collect();
        let what = if self.msg.is_empty() { "syntax error" } else { &self.msg };
        if near.trim().is_empty() { format!("{what} at end of command") } else { format!("{what} near \"{near}\"") }
    }
}

pub type PResult<'a, T> = IResult<&'a str, T, SynErr<'a>>;

/// A hard failure at `at`: stops the whole parse with `msg`.
pub fn fail<'a, T>(at: &'a str, msg: impl Into<String>) -> PResult<'a, T> {
    Err(nom::Err::Failure(SynErr { at, msg: msg.into() }))
}

/// Skip spaces and tabs (not newlines: they end commands).
pub fn ws(i: &str) -> &str {
    i.trim_start_matches([' ', '\t', '\r'])
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '`'
}

/// An mdb identifier: `[a-zA-Z_.][0-9a-zA-Z_.`]*`.
pub fn ident(i: &str) -> PResult<'_, &str> {
    recognize(pair(take_while1(is_ident_start), take_while(is_ident_char))).parse(i)
}

/// Can an expression start here? (Used by the command parser.)
pub fn starts_expr(i: &str) -> bool {
    if i.starts_with("::") || i.starts_with("!=") || i.starts_with("//") {
        return false;
    }
    match i.chars().next() {
        Some(c) => c.is_ascii_alphanumeric() || "_.(-~#*'<%".contains(c),
        None => false,
    }
}

/// Parse one expression; stops before the first character that cannot
/// continue it.
pub fn parse_expr<'a>(i: &'a str, names: &dyn Names) -> PResult<'a, Expr> {
    binary(i, 1, names)
}

/// Parse a whole string as one expression.
pub fn parse_full(src: &str, names: &dyn Names) -> Result<Expr, String> {
    match parse_expr(src, names) {
        Ok((rest, e)) => {
            let rest = ws(rest);
            if rest.is_empty() {
                Ok(e)
            } else {
                Err(SynErr { at: rest, msg: "unexpected text after expression".into() }.describe())
            }
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e.describe()),
        Err(nom::Err::Incomplete(_)) => Err("syntax error: incomplete expression".into()),
    }
}

/// The binary operator at the start of `i`: (operator, precedence, length).
fn peek_binop(i: &str) -> Option<(BinOp, u8, usize)> {
    const TWO: [(&str, BinOp, u8); 5] = [
        ("==", BinOp::Eq, 4),
        ("!=", BinOp::Ne, 4),
        ("<<", BinOp::Shl, 5),
        (">>", BinOp::Shr, 5),
        ("%%", BinOp::Mod, 7),
    ];
    for (s, op, p) in TWO {
        if i.starts_with(s) {
            return Some((op, p, 2));
        }
    }
    let (op, p) = match i.chars().next()? {
        '|' => (BinOp::Or, 1),
        '^' => (BinOp::Xor, 2),
        '&' => (BinOp::And, 3),
        '+' => (BinOp::Add, 6),
        '-' => (BinOp::Sub, 6),
        '*' => (BinOp::Mul, 7),
        '%' => (BinOp::Div, 7),
        '#' => (BinOp::RoundUp, 7),
        _ => return None,
    };
    Some((op, p, 1))
}

fn binary<'a>(i: &'a str, min: u8, names: &dyn Names) -> PResult<'a, Expr> {
    let (mut i, mut lhs) = unary(i, names)?;
    loop {
        let j = ws(i);
        match peek_binop(j) {
            Some((op, prec, len)) if prec >= min => {
                let (rest, rhs) = match binary(&j[len..], prec + 1, names) {
                    Ok(r) => r,
                    Err(nom::Err::Error(e)) => {
                        return fail(e.at, "expected an expression after the operator");
                    }
                    Err(e) => return Err(e),
                };
                lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
                i = rest;
            }
            _ => return Ok((i, lhs)),
        }
    }
}

fn unary<'a>(i: &'a str, names: &dyn Names) -> PResult<'a, Expr> {
    let i = ws(i);
    let Some(c) = i.chars().next() else {
        return Err(nom::Err::Error(SynErr { at: i, msg: "expected an expression".into() }));
    };
    let rest = &i[c.len_utf8()..];
    let operand = |r: &'a str| match unary(r, names) {
        Err(nom::Err::Error(e)) => fail(e.at, "expected an expression after the operator"),
        other => other,
    };
    match c {
        '-' => operand(rest).map(|(r, e)| (r, Expr::Unary(UnOp::Neg, Box::new(e)))),
        '~' => operand(rest).map(|(r, e)| (r, Expr::Unary(UnOp::Not, Box::new(e)))),
        '#' => operand(rest).map(|(r, e)| (r, Expr::Unary(UnOp::LogNot, Box::new(e)))),
        '*' => {
            let (rest, size) = deref_cast(rest)?;
            operand(rest).map(|(r, e)| (r, Expr::Deref { size, addr: Box::new(e) }))
        }
        '%' => fail(i, "object-file dereference (%) is not supported"),
        '(' => {
            let (r, e) = match parse_expr(rest, names) {
                Err(nom::Err::Error(e)) => return fail(e.at, "expected an expression after '('"),
                other => other?,
            };
            let r = ws(r);
            match r.strip_prefix(')') {
                Some(r) => Ok((r, e)),
                None => fail(r, "missing ')'"),
            }
        }
        '\'' => char_const(i, rest),
        '<' => {
            let (r, name) = take_while1::<_, _, SynErr>(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                .parse(rest)
                .or_else(|_| fail(rest, "expected a variable name after '<'"))?;
            Ok((r, Expr::Var(name.to_string())))
        }
        c if c.is_ascii_digit() => number(i).map(|(r, v)| (r, Expr::Num(v))),
        c if is_ident_start(c) => name_or_hex(i, names),
        _ => Err(nom::Err::Error(SynErr { at: i, msg: "expected an expression".into() })),
    }
}

/// `*/c/` and friends; plain `*` reads a pointer.
fn deref_cast(i: &str) -> PResult<'_, u8> {
    let b = i.as_bytes();
    if b.len() >= 3 && b[0] == b'/' && b[2] == b'/' {
        let size = match b[1] {
            b'c' | b'1' => 1,
            b's' | b'2' => 2,
            b'i' | b'4' => 4,
            b'l' | b'8' => 8,
            _ => return fail(i, "invalid cast: use */c/, */s/, */i/ or */l/"),
        };
        return Ok((&i[3..], size));
    }
    Ok((i, 8))
}

/// `'ab'`: up to 8 bytes, the first character in the most significant
/// position, as mdb packs them.
fn char_const<'a>(quote: &'a str, i: &'a str) -> PResult<'a, Expr> {
    let mut bytes = Vec::new();
    let mut chars = i.char_indices();
    while let Some((pos, c)) = chars.next() {
        match c {
            '\'' => {
                if bytes.len() > 8 {
                    return fail(quote, "character constant may not exceed 8 bytes");
                }
                let v = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
                return Ok((&i[pos + 1..], Expr::Num(v)));
            }
            '\n' => break,
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                bytes.push(unescape_char(e, &mut chars));
            }
            c => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    fail(quote, "unmatched '")
}

/// The byte a C escape stands for; `chars` is positioned after the letter
/// and may be advanced over octal or hex digits.
pub fn unescape_char(e: char, chars: &mut std::str::CharIndices<'_>) -> u8 {
    match e {
        'n' => b'\n',
        't' => b'\t',
        'r' => b'\r',
        'a' => 7,
        'b' => 8,
        'f' => 12,
        'v' => 11,
        'e' => 27,
        'x' => {
            let mut v = 0u32;
            for _ in 0..2 {
                let s = chars.as_str();
                match s.chars().next().and_then(|c| c.to_digit(16)) {
                    Some(d) => {
                        v = v * 16 + d;
                        chars.next();
                    }
                    None => break,
                }
            }
            v as u8
        }
        '0'..='7' => {
            let mut v = e.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                let s = chars.as_str();
                match s.chars().next().and_then(|c| c.to_digit(8)) {
                    Some(d) => {
                        v = v * 8 + d;
                        chars.next();
                    }
                    None => break,
                }
            }
            v as u8
        }
        c => c as u32 as u8,
    }
}

/// A number with an optional base prefix.
pub fn number(i: &str) -> PResult<'_, u64> {
    let lower = |n: usize| i.get(..n).map(|s| s.to_ascii_lowercase());
    let (radix, body) = match lower(2).as_deref() {
        Some("0x") => (16, &i[2..]),
        Some("0t") => (10, &i[2..]),
        Some("0o") => (8, &i[2..]),
        Some("0i") => (2, &i[2..]),
        _ => (16, i),
    };
    digits(i, body, radix)
}

fn digits<'a>(whole: &'a str, body: &'a str, radix: u32) -> PResult<'a, u64> {
    let first_ok = body.chars().next().is_some_and(|c| c.is_digit(radix));
    if !first_ok {
        return fail(whole, "bad number");
    }
    let len = body.find(|c: char| !(c.is_digit(radix) || c == '_')).unwrap_or(body.len());
    let (text, rest) = body.split_at(len);
    if rest.starts_with(|c: char| is_ident_char(c)) {
        if radix == 10 && rest.starts_with('.') {
            return fail(whole, "floating-point constants are not supported");
        }
        return fail(whole, "bad number");
    }
    let mut v: u64 = 0;
    for c in text.chars().filter(|&c| c != '_') {
        let d = c.to_digit(radix).unwrap_or(0) as u64;
        v = match v.checked_mul(radix as u64).and_then(|v| v.checked_add(d)) {
            Some(v) => v,
            None => return fail(whole, "number does not fit in 64 bits"),
        };
    }
    Ok((rest, v))
}

/// An identifier: dot, a symbol (perhaps a C++ `a::b` chain), or a hex
/// number that happens to start with a letter (`deadbeef`) when no symbol
/// has that name.
fn name_or_hex<'a>(i: &'a str, names: &dyn Names) -> PResult<'a, Expr> {
    let (mut rest, first) = ident(i)?;
    if first == "." {
        return Ok((rest, Expr::Dot));
    }
    // Collect `::seg` continuations; `ends[k]` is where the name made of
    // the first k+1 segments ends.
    let mut ends = vec![rest];
    while let Some(after) = rest.strip_prefix("::") {
        match take_while1::<_, _, SynErr>(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(after) {
            Ok((r, _)) if after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
                rest = r;
                ends.push(r);
            }
            _ => break,
        }
    }
    let name_upto = |k: usize| &i[..i.len() - ends[k].len()];
    // The longest chain that names a symbol wins.
    for k in (0..ends.len()).rev() {
        if names.is_symbol(name_upto(k)) {
            return Ok((ends[k], Expr::Symbol(name_upto(k).to_string())));
        }
    }
    let hexlike = first.starts_with(|c: char| c.is_ascii_hexdigit())
        && first.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    if hexlike {
        return number(i).map(|(r, v)| (r, Expr::Num(v)));
    }
    // Nothing resolved: split before a known dcmd (`main::dis`), otherwise
    // keep the whole chain so the error names what the user typed.
    if ends.len() > 1 {
        let seg = &name_upto(1)[first.len() + 2..];
        if names.is_dcmd(seg) {
            return Ok((ends[0], Expr::Symbol(first.to_string())));
        }
    }
    let k = ends.len() - 1;
    Ok((ends[k], Expr::Symbol(name_upto(k).to_string())))
}

/// Evaluate with mdb's unsigned 64-bit wrapping arithmetic.
pub fn eval(e: &Expr, env: &dyn Env) -> Result<u64, ExprError> {
    Ok(match e {
        Expr::Num(v) => *v,
        Expr::Dot => env.dot(),
        Expr::Symbol(s) => env.symbol(s)?,
        Expr::Var(v) => env.variable(v)?,
        Expr::Unary(op, a) => {
            let a = eval(a, env)?;
            match op {
                UnOp::Neg => a.wrapping_neg(),
                UnOp::Not => !a,
                UnOp::LogNot => (a == 0) as u64,
            }
        }
        Expr::Deref { size, addr } => {
            let a = eval(addr, env)?;
            env.read(a, *size)?
        }
        Expr::Binary(op, a, b) => {
            let a = eval(a, env)?;
            let b = eval(b, env)?;
            match op {
                BinOp::Or => a | b,
                BinOp::Xor => a ^ b,
                BinOp::And => a & b,
                BinOp::Eq => (a == b) as u64,
                BinOp::Ne => (a != b) as u64,
                BinOp::Shl => u32::try_from(b).ok().and_then(|b| a.checked_shl(b)).unwrap_or(0),
                BinOp::Shr => u32::try_from(b).ok().and_then(|b| a.checked_shr(b)).unwrap_or(0),
                BinOp::Add => a.wrapping_add(b),
                BinOp::Sub => a.wrapping_sub(b),
                BinOp::Mul => a.wrapping_mul(b),
                BinOp::Div => a.checked_div(b).ok_or(ExprError::DivideByZero)?,
                BinOp::Mod => a.checked_rem(b).ok_or(ExprError::DivideByZero)?,
                BinOp::RoundUp => {
                    if b == 0 {
                        return Err(ExprError::DivideByZero);
                    }
                    a.wrapping_add(b - 1) / b * b
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct T {
        syms: HashMap<&'static str, u64>,
        dcmds: Vec<&'static str>,
        mem: HashMap<u64, u64>,
    }

    impl T {
        fn new() -> T {
            let mut syms = HashMap::new();
            syms.insert("main", 0x1000);
            syms.insert("node::Abort", 0x2000);
            syms.insert("add", 0x3000);
            syms.insert("libc.so.6`abort", 0x4000);
            let mut mem = HashMap::new();
            mem.insert(0x1000, 0x1122334455667788);
            T { syms, dcmds: vec!["dis", "help"], mem }
        }
    }

    impl Names for T {
        fn is_symbol(&self, n: &str) -> bool {
            self.syms.contains_key(n)
        }
        fn is_dcmd(&self, n: &str) -> bool {
            self.dcmds.contains(&n)
        }
    }

    impl Env for T {
        fn dot(&self) -> u64 {
            0x500
        }
        fn symbol(&self, n: &str) -> Result<u64, ExprError> {
            self.syms.get(n).copied().ok_or_else(|| ExprError::UnknownSymbol(n.into()))
        }
        fn variable(&self, n: &str) -> Result<u64, ExprError> {
            if n == "rsp" { Ok(0x7f00) } else { Err(ExprError::UnknownVariable(n.into())) }
        }
        fn read(&self, addr: u64, size: u8) -> Result<u64, ExprError> {
            let v = self
                .mem
                .get(&addr)
                .copied()
                .ok_or(ExprError::Deref { addr, err: MemError::Unmapped { addr } })?;
            Ok(if size == 8 { v } else { v & ((1u64 << (size * 8)) - 1) })
        }
    }

    fn ev(s: &str) -> Result<u64, String> {
        let t = T::new();
        let e = parse_full(s, &t)?;
        eval(&e, &t).map_err(|e| e.to_string())
    }

    #[test]
    fn bases() {
        assert_eq!(ev("10"), Ok(16));
        assert_eq!(ev("0x10"), Ok(16));
        assert_eq!(ev("0X1f"), Ok(31));
        assert_eq!(ev("0t10"), Ok(10));
        assert_eq!(ev("0o17"), Ok(15));
        assert_eq!(ev("0i101"), Ok(5));
        assert_eq!(ev("dead_beef"), Ok(0xdeadbeef));
        assert_eq!(ev("0xffffffffffffffff"), Ok(u64::MAX));
        assert!(ev("0x1ffffffffffffffff").unwrap_err().contains("64 bits"));
        assert!(ev("0t12.5").unwrap_err().contains("floating"));
        assert!(ev("0o8").is_err());
        assert!(ev("12g").is_err());
        assert!(ev("0x").is_err());
    }

    #[test]
    fn precedence_like_c() {
        assert_eq!(ev("1+2*3"), Ok(7));
        assert_eq!(ev("(1+2)*3"), Ok(9));
        assert_eq!(ev("1|2&3"), Ok(3));
        assert_eq!(ev("1<<4+1"), Ok(32));
        assert_eq!(ev("6^3&1"), Ok(7));
        assert_eq!(ev("1+1==2"), Ok(1));
        assert_eq!(ev("2!=2"), Ok(0));
        assert_eq!(ev("0t10-0t3-0t2"), Ok(5));
        assert_eq!(ev("0t100%0t7%0t3"), Ok(4));
        assert_eq!(ev("0t17%%0t5"), Ok(2));
        assert_eq!(ev("0t17#0t8"), Ok(24));
    }

    #[test]
    fn unary_and_wrapping() {
        assert_eq!(ev("-1"), Ok(u64::MAX));
        assert_eq!(ev("~0"), Ok(u64::MAX));
        assert_eq!(ev("#0"), Ok(1));
        assert_eq!(ev("#5"), Ok(0));
        assert_eq!(ev("- -3"), Ok(3));
        assert_eq!(ev("0xffffffffffffffff+2"), Ok(1));
        assert_eq!(ev("1<<0t64"), Ok(0));
        assert_eq!(ev("'A'"), Ok(0x41));
        assert_eq!(ev("'ab'"), Ok(0x6162));
        assert_eq!(ev("'\\n'"), Ok(10));
    }

    #[test]
    fn names_dot_vars_memory() {
        assert_eq!(ev("."), Ok(0x500));
        assert_eq!(ev(".+8"), Ok(0x508));
        assert_eq!(ev("main+4"), Ok(0x1004));
        assert_eq!(ev("node::Abort"), Ok(0x2000));
        assert_eq!(ev("libc.so.6`abort"), Ok(0x4000));
        assert_eq!(ev("add"), Ok(0x3000)); // a symbol beats the hex number
        assert_eq!(ev("<rsp"), Ok(0x7f00));
        assert_eq!(ev("*main"), Ok(0x1122334455667788));
        assert_eq!(ev("*/c/main"), Ok(0x88));
        assert_eq!(ev("*/i/main"), Ok(0x55667788));
        assert!(ev("*0").unwrap_err().contains("0x0"));
        assert!(ev("nosuch").unwrap_err().contains("unknown symbol 'nosuch'"));
        assert!(ev("<nosuch").unwrap_err().contains("not defined"));
        assert_eq!(ev("1%0").unwrap_err(), "division by zero");
        assert_eq!(ev("1%%0").unwrap_err(), "division by zero");
    }

    #[test]
    fn chains_split_before_dcmds() {
        let t = T::new();
        let (rest, e) = parse_expr("main::dis", &t).unwrap();
        assert_eq!((rest, e), ("::dis", Expr::Symbol("main".into())));
        let (rest, e) = parse_expr("node::Abort::dis", &t).unwrap();
        assert_eq!((rest, e), ("::dis", Expr::Symbol("node::Abort".into())));
        let (rest, e) = parse_expr("nosuch::help", &t).unwrap();
        assert_eq!((rest, e), ("::help", Expr::Symbol("nosuch".into())));
        let (rest, e) = parse_expr("v8::internal::Foo", &t).unwrap();
        assert_eq!((rest, e), ("", Expr::Symbol("v8::internal::Foo".into())));
        let (rest, e) = parse_expr("beef::dis", &t).unwrap();
        assert_eq!((rest, e), ("::dis", Expr::Num(0xbeef)));
        let (rest, e) = parse_expr("10=K", &t).unwrap();
        assert_eq!((rest, e), ("=K", Expr::Num(0x10)));
        let (rest, _) = parse_expr("1==1=K", &t).unwrap();
        assert_eq!(rest, "=K");
        let (rest, _) = parse_expr("1 ! wc", &t).unwrap();
        assert_eq!(rest, " ! wc");
    }

    #[test]
    fn syntax_errors_never_panic() {
        for s in ["(", "(1", "1+", "*", "*/x/1", "'ab", "<", "-", "%1", "~", "0t", "'123456789'", "é", "1 2"] {
            assert!(ev(s).is_err(), "{s}");
        }
    }
}
