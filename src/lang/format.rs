//! The formatting commands: `addr/FMT` reads memory at dot and prints it,
//! `value=FMT` prints dot itself (as if memory held it).
//!
//! A format is a list of characters, each with an optional decimal repeat
//! count (`/4K`, `/K2X`), and quoted literal text (`/K" <- sp"`). One table,
//! [`FORMATS`], drives both the printing and `::formats`.
//!
//! The layout follows mdb: the first run of a command prints the address
//! label (`main:` on its own line when dot is exactly a symbol, then
//! `main+0x8:` padded to a 16-column tab stop); values are padded to their
//! field width with at least one space; later lines are indented to column
//! 16 and long lines wrap at 80 columns; `,count` repeats continue the same
//! line. Trailing blanks are trimmed. Piped output is one bare hex value per
//! line, so `addr/K | ::dcmd` dereferences into a pipeline.

use std::io::Write;

use crate::disasm;
use crate::error::MemError;
use crate::lang::dcmd::{DcmdError, Invocation};
use crate::memory::Memory;
use crate::target::Symbolized;

/// One element of a format list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FmtItem {
    /// A format character with its repeat count (1 when none was given).
    Char { count: u64, c: char },
    /// Quoted text, printed as is.
    Str(String),
}

/// How much target data one repetition of a format consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Prints no data (newline, tab, dot).
    NoData,
    /// Depends on the data (strings, instructions) or on the count (`+`).
    Variable,
    Bytes(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plus,
    Minus,
    Caret,
    Hex { w: usize },
    Signed { w: usize },
    Unsigned { w: usize },
    Octal { w: usize },
    SignedOctal { w: usize },
    Binary,
    Char,
    EscChar,
    Str,
    EscStr,
    Sym,
    Dot,
    Insn,
    DotInsn,
    F32,
    F64,
    Swap,
    Time,
    Newline,
    Space,
    Tab,
}

/// One format character.
#[derive(Debug)]
pub struct FormatSpec {
    pub c: char,
    pub help: &'static str,
    pub size: Size,
    kind: Kind,
}

const fn spec(c: char, help: &'static str, size: Size, kind: Kind) -> FormatSpec {
    FormatSpec { c, help, size, kind }
}

use Size::{Bytes, NoData, Variable};

/// Every format character jmdb knows, in mdb's order.
pub static FORMATS: &[FormatSpec] = &[
    spec('+', "increment dot by the count", Variable, Kind::Plus),
    spec('-', "decrement dot by the count", Variable, Kind::Minus),
    spec('B', "hexadecimal byte", Bytes(1), Kind::Hex { w: 8 }),
    spec('C', "character using C character notation", Bytes(1), Kind::EscChar),
    spec('D', "decimal signed int", Bytes(4), Kind::Signed { w: 16 }),
    spec('E', "decimal unsigned long long", Bytes(8), Kind::Unsigned { w: 16 }),
    spec('F', "double", Bytes(8), Kind::F64),
    spec('G', "octal unsigned long long", Bytes(8), Kind::Octal { w: 16 }),
    spec('H', "swap bytes and shorts", Bytes(4), Kind::Swap),
    spec('I', "address and disassembled instruction", Variable, Kind::DotInsn),
    spec('J', "hexadecimal long long", Bytes(8), Kind::Hex { w: 16 }),
    spec('K', "hexadecimal uintptr_t", Bytes(8), Kind::Hex { w: 16 }),
    spec('N', "newline", NoData, Kind::Newline),
    spec('O', "octal unsigned int", Bytes(4), Kind::Octal { w: 16 }),
    spec('P', "symbol", Bytes(8), Kind::Sym),
    spec('Q', "octal signed int", Bytes(4), Kind::SignedOctal { w: 16 }),
    spec('R', "binary unsigned long long", Bytes(8), Kind::Binary),
    spec('S', "string using C string notation", Variable, Kind::EscStr),
    spec('T', "horizontal tab", NoData, Kind::Tab),
    spec('U', "decimal unsigned int", Bytes(4), Kind::Unsigned { w: 16 }),
    spec('V', "decimal unsigned char", Bytes(1), Kind::Unsigned { w: 8 }),
    spec('X', "hexadecimal int", Bytes(4), Kind::Hex { w: 16 }),
    spec('Y', "decoded time32_t (UTC)", Bytes(4), Kind::Time),
    spec('^', "decrement dot by increment * count", Variable, Kind::Caret),
    spec('a', "dot as symbol+offset", NoData, Kind::Dot),
    spec('b', "octal unsigned char", Bytes(1), Kind::Octal { w: 8 }),
    spec('c', "character", Bytes(1), Kind::Char),
    spec('d', "decimal signed short", Bytes(2), Kind::Signed { w: 8 }),
    spec('e', "decimal signed long long", Bytes(8), Kind::Signed { w: 16 }),
    spec('f', "float", Bytes(4), Kind::F32),
    spec('g', "octal signed long long", Bytes(8), Kind::SignedOctal { w: 16 }),
    spec('h', "swap bytes", Bytes(2), Kind::Swap),
    spec('i', "disassembled instruction", Variable, Kind::Insn),
    spec('n', "newline", NoData, Kind::Newline),
    spec('o', "octal unsigned short", Bytes(2), Kind::Octal { w: 8 }),
    spec('p', "symbol", Bytes(8), Kind::Sym),
    spec('q', "octal signed short", Bytes(2), Kind::SignedOctal { w: 8 }),
    spec('r', "whitespace", NoData, Kind::Space),
    spec('s', "raw string", Variable, Kind::Str),
    spec('t', "horizontal tab", NoData, Kind::Tab),
    spec('u', "decimal unsigned short", Bytes(2), Kind::Unsigned { w: 8 }),
    spec('v', "decimal signed char", Bytes(1), Kind::Signed { w: 8 }),
    spec('x', "hexadecimal short", Bytes(2), Kind::Hex { w: 8 }),
    spec('y', "decoded time64_t (UTC)", Bytes(8), Kind::Time),
];

/// The spec for a format character.
pub fn lookup(c: char) -> Option<&'static FormatSpec> {
    FORMATS.iter().find(|f| f.c == c)
}

/// `::formats`: one line per character.
pub fn print_formats(out: &mut dyn Write) -> std::io::Result<()> {
    for f in FORMATS {
        let size = match f.size {
            NoData => String::new(),
            Variable => " (variable size)".into(),
            Bytes(1) => " (1 byte)".into(),
            Bytes(n) => format!(" ({n} bytes)"),
        };
        writeln!(out, "{} - {}{}", f.c, f.help, size)?;
    }
    Ok(())
}

/// Check a format list before printing anything.
pub fn validate(items: &[FmtItem]) -> Result<(), DcmdError> {
    for it in items {
        if let FmtItem::Char { c, .. } = it
            && lookup(*c).is_none()
        {
            return Err(DcmdError::Failed(if "wWZlLM".contains(*c) {
                format!("format '{c}' writes to or searches the target; jmdb only reads cores")
            } else {
                format!("invalid format character '{c}' (see ::formats)")
            }));
        }
    }
    Ok(())
}

/// What a format command reads and names things with.
pub struct FmtEnv<'a> {
    /// Target memory; `None` when no target is loaded.
    pub mem: Option<&'a dyn Memory>,
    pub symbolize: &'a dyn Fn(u64) -> Option<Symbolized>,
    /// The previous command's increment, for `^`.
    pub incr: u64,
    pub interrupted: &'a dyn Fn() -> bool,
}

/// `=` reads its data from dot itself.
struct ValueMem(u64);

impl Memory for ValueMem {
    fn read(&self, _addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let b = self.0.to_le_bytes();
        for (i, x) in buf.iter_mut().enumerate() {
            *x = b.get(i).copied().unwrap_or(0);
        }
        Ok(())
    }
}

const MARGIN: usize = 16;
const WIDTH: usize = 80;
const MAX_STRING: usize = 64 * 1024;

/// Prints format output with mdb's columns. One formatter serves all the
/// runs of one command (a `,count` loop or a pipeline stage), so that the
/// runs continue one line, as mdb's do; [`Formatter::finish`] ends it.
#[derive(Default)]
pub struct Formatter {
    line: String,
    col: usize,
    /// Lines after the first start at the margin.
    indent: bool,
    at_start: bool,
    started: bool,
    /// The address label, printed with the first output so that a command
    /// failing at once prints only its error: (exact symbol, label).
    pending: Option<(Option<String>, String)>,
}

impl Formatter {
    pub fn new() -> Formatter {
        Formatter { at_start: true, ..Default::default() }
    }

    fn flush_header(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some((sym, label)) = self.pending.take() {
            if let Some(sym) = sym {
                writeln!(out, "{sym}:")?;
            }
            self.at_start = false;
            self.line.push_str(&label);
            self.col = label.chars().count();
            self.tab(MARGIN);
        }
        Ok(())
    }

    fn begin(&mut self) {
        if self.at_start {
            if self.indent {
                self.line.push_str(&" ".repeat(MARGIN));
                self.col = MARGIN;
            }
            self.at_start = false;
        }
    }

    fn newline(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        self.flush_header(out)?;
        writeln!(out, "{}", self.line.trim_end())?;
        self.line.clear();
        self.col = 0;
        self.at_start = true;
        Ok(())
    }

    fn raw(&mut self, s: &str, out: &mut dyn Write) -> std::io::Result<()> {
        self.flush_header(out)?;
        for c in s.chars() {
            if c == '\n' {
                self.newline(out)?;
            } else {
                self.begin();
                self.line.push(c);
                self.col += 1;
            }
        }
        Ok(())
    }

    fn pad_to(&mut self, col: usize) {
        while self.col < col {
            self.line.push(' ');
            self.col += 1;
        }
    }

    /// Pad to the next multiple of `stop` past the current column.
    fn tab(&mut self, stop: usize) {
        self.begin();
        let stop = stop.max(1);
        self.pad_to((self.col / stop + 1) * stop);
    }

    /// A value in a field of `width` columns, with at least one space after
    /// it; wraps first if it would pass the right edge.
    fn value(&mut self, text: &str, width: usize, out: &mut dyn Write) -> std::io::Result<()> {
        self.flush_header(out)?;
        self.begin();
        let len = text.chars().count();
        let margin = if self.indent { MARGIN } else { 0 };
        if self.col > margin && self.col + len > WIDTH {
            self.newline(out)?;
            self.begin();
        }
        let start = self.col;
        self.line.push_str(text);
        self.col += len;
        if width > 0 {
            self.pad_to(start + width.max(len + 1));
        }
        Ok(())
    }

    /// End the command's output: a pending line gets its newline.
    pub fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if !self.line.trim().is_empty() {
            self.newline(out)?;
        }
        *self = Formatter::new();
        Ok(())
    }

    /// Run one format command. `verb` is `=` to format dot itself, anything
    /// else (`/ ? \ @`) to read memory at dot. Returns the address after
    /// the data read (for `=`: dot, moved only by `+`, `-` and `^`).
    pub fn run(
        &mut self,
        verb: char,
        items: &[FmtItem],
        dot: u64,
        env: &FmtEnv,
        inv: &Invocation,
        out: &mut dyn Write,
    ) -> Result<u64, DcmdError> {
        validate(items)?;
        let value_mem = ValueMem(dot);
        let value_mode = verb == '=';
        let mem: Option<&dyn Memory> = if value_mode { Some(&value_mem) } else { env.mem };
        let piped = inv.piped_out;
        if !value_mode && !piped && !self.started && inv.print_header() {
            self.pending = Some(header(dot, env));
        }
        self.started = true;
        self.indent = true;
        let mut addr = dot;
        for it in items {
            match it {
                FmtItem::Str(s) => {
                    if !piped {
                        self.raw(s, out)?;
                    }
                }
                FmtItem::Char { count, c } => {
                    let Some(spec) = lookup(*c) else { continue };
                    let next = self.one(spec, *count, addr, mem, env, piped, out)?;
                    let moves_dot = matches!(spec.kind, Kind::Plus | Kind::Minus | Kind::Caret);
                    if !value_mode || moves_dot {
                        addr = next;
                    }
                }
            }
        }
        Ok(addr)
    }

    #[allow(clippy::too_many_arguments)]
    fn one(
        &mut self,
        spec: &FormatSpec,
        count: u64,
        addr: u64,
        mem: Option<&dyn Memory>,
        env: &FmtEnv,
        piped: bool,
        out: &mut dyn Write,
    ) -> Result<u64, DcmdError> {
        match spec.kind {
            Kind::Plus => return Ok(addr.wrapping_add(count)),
            Kind::Minus => return Ok(addr.wrapping_sub(count)),
            Kind::Caret => return Ok(addr.wrapping_sub(env.incr.wrapping_mul(count))),
            Kind::Newline => {
                if !piped {
                    for _ in 0..count.min(1000) {
                        self.newline(out)?;
                    }
                }
                return Ok(addr);
            }
            Kind::Space => {
                if !piped {
                    self.flush_header(out)?;
                    self.begin();
                    let c = self.col + count.min(WIDTH as u64) as usize;
                    self.pad_to(c);
                }
                return Ok(addr);
            }
            Kind::Tab => {
                if !piped {
                    self.flush_header(out)?;
                    self.tab(if count <= 1 { 8 } else { count.min(WIDTH as u64) as usize });
                }
                return Ok(addr);
            }
            Kind::Dot => {
                for _ in 0..count.min(1000) {
                    if piped {
                        writeln!(out, "{addr:#x}")?;
                    } else {
                        let label = match (env.symbolize)(addr) {
                            Some(s) => format!("{}:", s.with_offset()),
                            None => format!("{addr:#x}:"),
                        };
                        self.value(&label, 0, out)?;
                        self.tab(MARGIN);
                    }
                }
                return Ok(addr);
            }
            _ => {}
        }
        let mut a = addr;
        for _ in 0..count {
            if (env.interrupted)() {
                return Err(DcmdError::Interrupted);
            }
            let mem = mem.ok_or(DcmdError::NoTarget)?;
            a = self.item(spec, a, mem, env, piped, out)?;
        }
        Ok(a)
    }

    /// Print one repetition of a data format at `a`; returns the next address.
    fn item(
        &mut self,
        spec: &FormatSpec,
        a: u64,
        mem: &dyn Memory,
        env: &FmtEnv,
        piped: bool,
        out: &mut dyn Write,
    ) -> Result<u64, DcmdError> {
        let symname = |x: u64| (env.symbolize)(x).map(|s| s.with_offset());
        match spec.kind {
            Kind::Str | Kind::EscStr => {
                let (bytes, terminated) = read_string(mem, a)?;
                let text = if spec.kind == Kind::Str {
                    String::from_utf8_lossy(&bytes).into_owned()
                } else {
                    escape_bytes(&bytes)
                };
                if piped {
                    writeln!(out, "{text}")?;
                } else {
                    self.raw(&text, out)?;
                }
                return Ok(a.wrapping_add(bytes.len() as u64 + terminated as u64));
            }
            Kind::Insn | Kind::DotInsn => {
                let insn = disasm::decode_one(mem, a, &symname)?;
                if insn.len == 0 {
                    return Err(DcmdError::Failed(format!("cannot decode an instruction at {a:#x}")));
                }
                let text = if spec.kind == Kind::DotInsn {
                    let word = mem.read_u32(a).unwrap_or(0);
                    format!("{a:x} {word:x}: {}", insn.text)
                } else {
                    insn.text
                };
                if piped {
                    writeln!(out, "{text}")?;
                } else {
                    self.raw(&text, out)?;
                    self.newline(out)?;
                }
                return Ok(a.wrapping_add(insn.len as u64));
            }
            _ => {}
        }
        let n = match spec.size {
            Bytes(n) => n,
            _ => 8,
        };
        let mut buf = [0u8; 8];
        mem.read(a, &mut buf[..n])?;
        let v = u64::from_le_bytes(buf);
        let next = a.wrapping_add(n as u64);
        if piped {
            match spec.kind {
                Kind::Char | Kind::EscChar => writeln!(out, "{}", escape_bytes(&buf[..1]))?,
                Kind::F32 | Kind::F64 | Kind::Time => writeln!(out, "{}", render(spec.kind, v, n, &symname).0)?,
                _ => writeln!(out, "{v:#x}")?,
            }
            return Ok(next);
        }
        let (text, width) = render(spec.kind, v, n, &symname);
        self.value(&text, width, out)?;
        Ok(next)
    }
}

/// `main` when dot is exactly a symbol (printed on a line of its own), and
/// the address label, `main+0x8:` or `0x1000:`.
fn header(addr: u64, env: &FmtEnv) -> (Option<String>, String) {
    let sym = (env.symbolize)(addr);
    let exact = sym.as_ref().filter(|s| s.offset == 0).map(|s| s.name.clone());
    let label = match &sym {
        Some(s) => format!("{}:", s.with_offset()),
        None => format!("{addr:#x}:"),
    };
    (exact, label)
}

/// The text of a value and its field width.
fn render(kind: Kind, v: u64, n: usize, symname: &dyn Fn(u64) -> Option<String>) -> (String, usize) {
    let bits = n as u32 * 8;
    let signed = if bits >= 64 { v as i64 } else { ((v << (64 - bits)) as i64) >> (64 - bits) };
    match kind {
        Kind::Hex { w } => (format!("{v:x}"), w),
        Kind::Signed { w } => (signed.to_string(), w),
        Kind::Unsigned { w } => (v.to_string(), w),
        Kind::Octal { w } => (if v == 0 { "0".into() } else { format!("0{v:o}") }, w),
        Kind::SignedOctal { w } => {
            let mag = signed.unsigned_abs();
            let body = if mag == 0 { "0".into() } else { format!("0{mag:o}") };
            (if signed < 0 { format!("-{body}") } else { body }, w)
        }
        Kind::Binary => (format!("{v:b}"), 64),
        Kind::Char => {
            let b = v as u8;
            (if (0x20..0x7f).contains(&b) { (b as char).to_string() } else { escape_bytes(&[b]) }, 0)
        }
        Kind::EscChar => (escape_bytes(&[v as u8]), 0),
        Kind::Sym => (symname(v).unwrap_or_else(|| format!("{v:#x}")), 16),
        Kind::F32 => (c_exp(f32::from_bits(v as u32) as f64, 6), 0),
        Kind::F64 => (c_general(f64::from_bits(v)), 16),
        Kind::Swap => {
            if n == 2 {
                (format!("{:x}", (v as u16).swap_bytes()), 8)
            } else {
                (format!("{:x}", (v as u32).swap_bytes()), 16)
            }
        }
        Kind::Time => (utc_date(signed), 24),
        _ => (format!("{v:#x}"), 16),
    }
}

/// A NUL-terminated string at `a`: its bytes, and whether the NUL was
/// found (rather than the length limit or the end of readable memory).
fn read_string(mem: &dyn Memory, a: u64) -> Result<(Vec<u8>, bool), MemError> {
    let mut out = Vec::new();
    let mut p = a;
    while out.len() < MAX_STRING {
        // Up to the next 64-byte boundary, so that a string ending just
        // before an unreadable page is still read whole.
        let n = (64 - (p % 64) as usize).min(MAX_STRING - out.len());
        let mut chunk = [0u8; 64];
        match mem.read(p, &mut chunk[..n]) {
            Ok(()) => {}
            Err(e) if out.is_empty() => return Err(e),
            Err(_) => return Ok((out, false)),
        }
        if let Some(z) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..z]);
            return Ok((out, true));
        }
        out.extend_from_slice(&chunk[..n]);
        p = p.wrapping_add(n as u64);
    }
    Ok((out, false))
}

/// C string notation.
pub fn escape_bytes(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0 => s.push_str("\\0"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            12 => s.push_str("\\f"),
            11 => s.push_str("\\v"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..0x7f => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

fn c_nonfinite(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x < 0.0 {
        "-inf".into()
    } else {
        "inf".into()
    }
}

/// C's `%.{prec}e`: `1.500000e+00`.
fn c_exp(x: f64, prec: usize) -> String {
    if !x.is_finite() {
        return c_nonfinite(x);
    }
    let s = format!("{x:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// C's `%g`: six significant digits, trailing zeros removed.
fn c_general(x: f64) -> String {
    const P: i32 = 6;
    if !x.is_finite() {
        return c_nonfinite(x);
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let e = format!("{x:.*e}", (P - 1) as usize);
    let exp: i32 = e.split_once('e').and_then(|(_, x)| x.parse().ok()).unwrap_or(0);
    let strip = |m: &str| -> String {
        if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.').to_string() } else { m.to_string() }
    };
    if !(-4..P).contains(&exp) {
        let s = c_exp(x, (P - 1) as usize);
        let (mant, rest) = s.split_once('e').unwrap_or((&s, ""));
        format!("{}e{rest}", strip(mant))
    } else {
        strip(&format!("{x:.*}", (P - 1 - exp) as usize))
    }
}

/// `2024 Jan  5 13:01:02` (UTC), from seconds since the epoch.
fn utc_date(secs: i64) -> String {
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    format!(
        "{y} {} {d:2} {:02}:{:02}:{:02}",
        MON[(m - 1).clamp(0, 11) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::FlatMemory;

    fn run(verb: char, fmt: &[(u64, char)], dot: u64, mem: Option<&dyn Memory>, inv: &Invocation) -> (String, u64) {
        let items: Vec<FmtItem> = fmt.iter().map(|&(count, c)| FmtItem::Char { count, c }).collect();
        let env = FmtEnv { mem, symbolize: &|_| None, incr: 0, interrupted: &|| false };
        let mut out = Vec::new();
        let mut f = Formatter::new();
        let next = f.run(verb, &items, dot, &env, inv, &mut out).unwrap();
        f.finish(&mut out).unwrap();
        (String::from_utf8(out).unwrap(), next)
    }

    #[test]
    fn value_formats() {
        let inv = Invocation::default();
        assert_eq!(run('=', &[(1, 'K')], 0x123, None, &inv).0, "                123\n");
        assert_eq!(run('=', &[(1, 'D')], u64::MAX, None, &inv).0, "                -1\n");
        assert_eq!(run('=', &[(1, 'E')], 10, None, &inv).0, "                10\n");
        assert_eq!(run('=', &[(1, 'o')], 8, None, &inv).0, "                010\n");
        assert_eq!(run('=', &[(1, 'c')], 0x41, None, &inv).0, "                A\n");
        assert_eq!(run('=', &[(1, 'F')], 1.5f64.to_bits(), None, &inv).0, "                1.5\n");
        assert_eq!(run('=', &[(1, 'f')], 1.5f32.to_bits() as u64, None, &inv).0, "                1.500000e+00\n");
        assert_eq!(run('=', &[(1, 'y')], 0, None, &inv).0, "                1970 Jan  1 00:00:00\n");
        assert_eq!(run('=', &[(1, 'y')], 1700000000, None, &inv).0, "                2023 Nov 14 22:13:20\n");
        let (_, next) = run('=', &[(4, 'K'), (8, '+')], 0x100, None, &inv);
        assert_eq!(next, 0x108);
    }

    #[test]
    fn memory_formats() {
        let mem = FlatMemory { base: 0x1000, data: (0u8..64).collect() };
        let inv = Invocation::default();
        let (s, next) = run('/', &[(2, 'X')], 0x1000, Some(&mem), &inv);
        assert_eq!(s, "0x1000:         3020100         7060504\n");
        assert_eq!(next, 0x1008);
        let piped = Invocation { piped_out: true, ..Default::default() };
        assert_eq!(run('/', &[(2, 'K')], 0x1000, Some(&mem), &piped).0, "0x706050403020100\n0xf0e0d0c0b0a0908\n");
        let mut f = Formatter::new();
        let env = FmtEnv { mem: Some(&mem), symbolize: &|_| None, incr: 0, interrupted: &|| false };
        let err = f.run('/', &[FmtItem::Char { count: 1, c: 'K' }], 0x2000, &env, &inv, &mut Vec::new());
        assert_eq!(err, Err(DcmdError::Mem(MemError::Unmapped { addr: 0x2000 })));
        let err = f.run('/', &[FmtItem::Char { count: 1, c: 'K' }], 0, &FmtEnv { mem: None, ..env }, &inv, &mut Vec::new());
        assert_eq!(err, Err(DcmdError::NoTarget));
    }

    #[test]
    fn strings_and_wrapping() {
        let mut data = b"hello\0world\n\0".to_vec();
        data.resize(64, 0);
        let mem = FlatMemory { base: 0x40, data };
        let inv = Invocation::default();
        let (s, next) = run('/', &[(1, 's')], 0x40, Some(&mem), &inv);
        assert_eq!((s.as_str(), next), ("0x40:           hello\n", 0x46));
        let (s, _) = run('/', &[(1, 'S')], 0x46, Some(&mem), &inv);
        assert_eq!(s, "0x46:           world\\n\n");
        let (s, _) = run('=', &[(6, 'J')], 0x8000000000000000, None, &inv);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2, "{s}");
        assert!(lines.iter().all(|l| l.len() <= 80 && l.starts_with("                8")));
    }

    #[test]
    fn bad_format_characters() {
        assert!(validate(&[FmtItem::Char { count: 1, c: 'z' }]).is_err());
        assert!(validate(&[FmtItem::Char { count: 1, c: 'w' }]).unwrap_err().to_string().contains("only reads"));
    }

    #[test]
    fn c_float_formats() {
        assert_eq!(c_general(100000.0), "100000");
        assert_eq!(c_general(1000000.0), "1e+06");
        assert_eq!(c_general(0.0001), "0.0001");
        assert_eq!(c_general(0.00001), "1e-05");
        assert_eq!(c_general(1234.5678), "1234.57");
        assert_eq!(c_general(f64::NAN), "nan");
        assert_eq!(c_exp(-2.5e-7, 6), "-2.500000e-07");
    }
}
