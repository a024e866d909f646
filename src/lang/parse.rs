//! The command-line grammar:
//!
//! ```text
//! [expr][,count] verb [args] [| verb [args]]... [! shell words]
//! ```
//!
//! Commands are separated by `;` or newlines; `//` starts a comment. A verb
//! is a dcmd (`::name` or a `$X` one-character form), a format (`/FMT`,
//! `=FMT`, with `?`, `\` and `@` read like `/`) or `>name` (assign dot to a
//! variable). The grammar depends on context, as mdb's does: after a dcmd's
//! name, metacharacters other than `|`, `;` and `!` lose their meaning and
//! the rest are words (with `'single'` and `"double"` quotes, and `$[expr]`
//! for a computed value); after a format verb, digits are repeat counts.

use nom::Parser;
use thiserror::Error;

use crate::lang::expr::{self, Expr, Names, PResult, SynErr, fail, ws};
use crate::lang::format::FmtItem;

/// One command: an optional address and count, a pipeline of stages and an
/// optional shell filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    pub addr: Option<Expr>,
    pub count: Option<Expr>,
    /// Empty when the command only sets dot (or only runs a shell).
    pub stages: Vec<Stage>,
    /// `! words`: the text handed to `$SHELL -c`.
    pub shell: Option<String>,
    /// The command as typed, trimmed.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// `::name` (stored without the colons) or `$X` (stored as `$X`).
    Dcmd { name: String, args: Vec<Arg> },
    /// `/FMT`, `=FMT`, `?FMT`, `\FMT`, `@FMT`.
    Format { verb: char, items: Vec<FmtItem> },
    /// `>name`.
    Assign { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Word(String),
    /// `$[expr]`, evaluated when the command runs.
    Expr(Expr),
}

/// A command that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{msg}")]
pub struct ParseError {
    pub msg: String,
    /// The command's text.
    pub text: String,
}

/// The characters that may follow `$` in a one-character dcmd name.
const DOLLAR_CMDS: &str = "?%@ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz<>";

/// Split `src` into commands and parse each. A command with a syntax error
/// yields an `Err` and parsing resumes after its `;` or newline.
pub fn parse(src: &str, names: &dyn Names) -> Vec<Result<Command, ParseError>> {
    let mut out = Vec::new();
    let mut i = src;
    loop {
        i = i.trim_start_matches([' ', '\t', '\r', '\n', ';']);
        if i.is_empty() {
            break;
        }
        if i.starts_with("//") {
            i = i.find('\n').map_or("", |n| &i[n..]);
            continue;
        }
        let start = i;
        match command(i, names) {
            Ok((rest, mut cmd)) => {
                cmd.text = start[..start.len() - rest.len()].trim().to_string();
                out.push(Ok(cmd));
                i = rest;
            }
            Err(e) => {
                let rest = skip_command(start);
                let text = start[..start.len() - rest.len()].trim().to_string();
                let msg = match e {
                    nom::Err::Error(e) | nom::Err::Failure(e) => e.describe(),
                    nom::Err::Incomplete(_) => "syntax error: incomplete command".into(),
                };
                out.push(Err(ParseError { msg, text }));
                i = rest;
            }
        }
    }
    out
}

/// Where the command starting at `i` ends: the next `;` or newline outside
/// quotes (quotes never span lines).
fn skip_command(i: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (pos, c) in i.char_indices() {
        if c == '\n' {
            return &i[pos..];
        }
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                ';' => return &i[pos..],
                '\'' | '"' => quote = Some(c),
                _ => {}
            },
        }
    }
    ""
}

/// At the end of a command: end of input, `;`, newline or a comment.
fn at_end(i: &str) -> bool {
    i.is_empty() || i.starts_with([';', '\n']) || i.starts_with("//")
}

fn command<'a>(i: &'a str, names: &dyn Names) -> PResult<'a, Command> {
    let mut cmd = Command::default();
    let mut i = ws(i);
    if expr::starts_expr(i) {
        let (r, e) = expr::parse_expr(i, names)?;
        cmd.addr = Some(e);
        i = ws(r);
    }
    if let Some(r) = i.strip_prefix(',') {
        let (r, e) = match expr::parse_expr(r, names) {
            Err(nom::Err::Error(e)) => return fail(e.at, "expected a count after ','"),
            other => other?,
        };
        cmd.count = Some(e);
        i = ws(r);
    }
    if at_end(i) {
        return Ok((i, cmd));
    }
    if let Some(r) = i.strip_prefix('!') {
        let (r, sh) = shell(r)?;
        cmd.shell = Some(sh);
        return finish(r, cmd);
    }
    loop {
        let (r, st) = stage(i, names)?;
        cmd.stages.push(st);
        i = ws(r);
        if let Some(r) = i.strip_prefix('|') {
            i = ws(r);
            if at_end(i) || i.starts_with(['|', '!']) {
                return fail(i, "expected a command after '|'");
            }
            if expr::starts_expr(i) {
                return fail(i, "a pipeline stage takes its address from the pipe, not an expression");
            }
            continue;
        }
        if let Some(r) = i.strip_prefix('!') {
            let (r, sh) = shell(r)?;
            cmd.shell = Some(sh);
            i = r;
        }
        return finish(i, cmd);
    }
}

fn finish(i: &str, cmd: Command) -> PResult<'_, Command> {
    let i = ws(i);
    if at_end(i) { Ok((i, cmd)) } else { fail(i, "unexpected text") }
}

fn stage<'a>(i: &'a str, names: &dyn Names) -> PResult<'a, Stage> {
    if let Some(r) = i.strip_prefix("::") {
        let (r, name) = expr::ident(r).or_else(|_: nom::Err<SynErr>| fail(i, "expected a dcmd name after '::'"))?;
        let (r, args) = args(r, names)?;
        return Ok((r, Stage::Dcmd { name: name.to_string(), args }));
    }
    if let Some(r) = i.strip_prefix('$') {
        return match r.chars().next() {
            Some(c) if DOLLAR_CMDS.contains(c) => {
                let (r, args) = args(&r[c.len_utf8()..], names)?;
                Ok((r, Stage::Dcmd { name: format!("${c}"), args }))
            }
            _ => fail(i, "expected a command character after '$'"),
        };
    }
    if let Some(verb) = i.chars().next().filter(|c| "/\\?@=".contains(*c)) {
        let (r, items) = fmt_list(&i[1..])?;
        return Ok((r, Stage::Format { verb, items }));
    }
    if let Some(r) = i.strip_prefix('>') {
        let r = ws(r);
        let (r, name) = nom::bytes::complete::take_while1::<_, _, SynErr>(|c: char| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.'
        })
        .parse(r)
        .or_else(|_| fail(r, "expected a variable name after '>'"))?;
        return Ok((r, Stage::Assign { name: name.to_string() }));
    }
    if i.starts_with(':') {
        return fail(i, "unknown command form (dcmds are written ::name)");
    }
    fail(i, "expected a command")
}

/// Does this end a dcmd's argument list or a format list?
fn ends_args(i: &str) -> bool {
    at_end(i) || i.starts_with(['|', '!'])
}

fn args<'a>(mut i: &'a str, names: &dyn Names) -> PResult<'a, Vec<Arg>> {
    let mut out = Vec::new();
    loop {
        i = ws(i);
        if ends_args(i) {
            return Ok((i, out));
        }
        if let Some(r) = i.strip_prefix("$[") {
            let (r, e) = match expr::parse_expr(r, names) {
                Err(nom::Err::Error(e)) => return fail(e.at, "expected an expression after '$['"),
                other => other?,
            };
            let r = ws(r);
            let Some(r) = r.strip_prefix(']') else { return fail(r, "missing ']'") };
            i = r;
            out.push(Arg::Expr(e));
            continue;
        }
        let (r, w) = word(i)?;
        out.push(Arg::Word(w));
        i = r;
    }
}

/// One argument word: runs of plain characters and quoted strings.
fn word(i: &str) -> PResult<'_, String> {
    let mut s = String::new();
    let mut rest = i;
    while let Some(c) = rest.chars().next() {
        match c {
            ' ' | '\t' | '\r' | '\n' | ';' | '|' | '!' => break,
            '\'' => {
                let body = &rest[1..];
                let end = body.find(['\'', '\n']).filter(|&e| body[e..].starts_with('\''));
                let Some(end) = end else { return fail(rest, "unmatched '") };
                s.push_str(&body[..end]);
                rest = &body[end + 1..];
            }
            '"' => {
                let (r, q) = dquoted(&rest[1..]).or_else(|_: nom::Err<SynErr>| fail(rest, "unmatched \""))?;
                s.push_str(&q);
                rest = r;
            }
            c => {
                s.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Ok((rest, s))
}

/// The body of a double-quoted string (after the opening quote), with C
/// escapes processed.
fn dquoted(i: &str) -> PResult<'_, String> {
    let mut bytes = Vec::new();
    let mut chars = i.char_indices();
    while let Some((pos, c)) = chars.next() {
        match c {
            '"' => return Ok((&i[pos + 1..], String::from_utf8_lossy(&bytes).into_owned())),
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, '"')) => bytes.push(b'"'),
                Some((_, '\\')) => bytes.push(b'\\'),
                Some((_, '\'')) => bytes.push(b'\''),
                Some((_, e)) => bytes.push(expr::unescape_char(e, &mut chars)),
                None => break,
            },
            c => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    fail(i, "unmatched \"")
}

/// A format list: repeat counts (decimal), characters and quoted text.
fn fmt_list(mut i: &str) -> PResult<'_, Vec<FmtItem>> {
    let mut out = Vec::new();
    let mut count: Option<u64> = None;
    loop {
        i = ws(i);
        if ends_args(i) {
            return Ok((i, out));
        }
        let Some(c) = i.chars().next() else { return Ok((i, out)) };
        if c.is_ascii_digit() {
            let len = i.find(|c: char| !c.is_ascii_digit()).unwrap_or(i.len());
            let Ok(n) = i[..len].parse::<u64>() else { return fail(i, "repeat count too large") };
            count = Some(n);
            i = &i[len..];
        } else if c == '"' {
            let (r, s) = dquoted(&i[1..])?;
            out.push(FmtItem::Str(s));
            count = None;
            i = r;
        } else if c == '\'' || c == '$' {
            return fail(i, "unexpected character in a format");
        } else {
            out.push(FmtItem::Char { count: count.take().unwrap_or(1), c });
            i = &i[c.len_utf8()..];
        }
    }
}

/// `! words`: the rest of the command, or a quoted string.
fn shell(i: &str) -> PResult<'_, String> {
    let i = ws(i);
    if let Some(body) = i.strip_prefix('\'') {
        // mdb passes single-quoted text verbatim, except that \' is a quote.
        let mut s = String::new();
        let mut chars = body.char_indices();
        while let Some((pos, c)) = chars.next() {
            match c {
                '\\' if body[pos + 1..].starts_with('\'') => {
                    s.push('\'');
                    chars.next();
                }
                '\'' => return Ok((&body[pos + 1..], s)),
                '\n' => break,
                c => s.push(c),
            }
        }
        return fail(i, "unmatched '");
    }
    if let Some(body) = i.strip_prefix('"') {
        return dquoted(body);
    }
    let end = i.find([';', '\n']).unwrap_or(i.len());
    let words = i[..end].trim();
    if words.is_empty() {
        return fail(i, "expected a shell command after '!'");
    }
    Ok((&i[end..], words.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::expr::NoNames;

    struct N;
    impl Names for N {
        fn is_symbol(&self, n: &str) -> bool {
            n == "main" || n == "node::Abort"
        }
        fn is_dcmd(&self, n: &str) -> bool {
            n == "dis"
        }
    }

    fn one(s: &str) -> Command {
        let mut v = parse(s, &N);
        assert_eq!(v.len(), 1, "{s}: {v:?}");
        v.remove(0).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        let v = parse(s, &N);
        assert_eq!(v.len(), 1, "{s}: {v:?}");
        v[0].clone().expect_err(s).msg
    }

    fn dcmd(name: &str, args: &[&str]) -> Stage {
        Stage::Dcmd { name: name.into(), args: args.iter().map(|a| Arg::Word(a.to_string())).collect() }
    }

    #[test]
    fn expression_only_and_separators() {
        let v = parse("10; 20\n30 // comment\n// whole line\n;;", &NoNames);
        let addrs: Vec<_> = v.into_iter().map(|c| c.unwrap().addr).collect();
        assert_eq!(addrs, vec![Some(Expr::Num(0x10)), Some(Expr::Num(0x20)), Some(Expr::Num(0x30))]);
        assert!(parse("", &NoNames).is_empty());
        assert!(parse("  \n ; ", &NoNames).is_empty());
    }

    #[test]
    fn dcmds_and_words() {
        let c = one("::nm -f 'a b' \"c\\td\" x'y'z");
        assert_eq!(c.stages, vec![dcmd("nm", &["-f", "a b", "c\td", "xyz"])]);
        let c = one("main::dis -n 4");
        assert_eq!(c.addr, Some(Expr::Symbol("main".into())));
        assert_eq!(c.stages, vec![dcmd("dis", &["-n", "4"])]);
        let c = one("node::Abort::dis");
        assert_eq!(c.addr, Some(Expr::Symbol("node::Abort".into())));
        let c = one("$C 4");
        assert_eq!(c.stages, vec![dcmd("$C", &["4"])]);
        let c = one("$?");
        assert_eq!(c.stages, vec![dcmd("$?", &[])]);
        // After the name, metacharacters are plain text.
        let c = one("::echo a/b=c*d,e");
        assert_eq!(c.stages, vec![dcmd("echo", &["a/b=c*d,e"])]);
        let c = one("::echo $[1+2] x");
        assert_eq!(
            c.stages,
            vec![Stage::Dcmd {
                name: "echo".into(),
                args: vec![
                    Arg::Expr(Expr::Binary(
                        expr::BinOp::Add,
                        Box::new(Expr::Num(1)),
                        Box::new(Expr::Num(2))
                    )),
                    Arg::Word("x".into())
                ]
            }]
        );
    }

    #[test]
    fn counts_formats_pipes_shell() {
        let c = one("main,4/K");
        assert_eq!(c.count, Some(Expr::Num(4)));
        assert_eq!(c.stages, vec![Stage::Format { verb: '/', items: vec![FmtItem::Char { count: 1, c: 'K' }] }]);
        let c = one("10=K2X\"x\" n");
        assert_eq!(
            c.stages,
            vec![Stage::Format {
                verb: '=',
                items: vec![
                    FmtItem::Char { count: 1, c: 'K' },
                    FmtItem::Char { count: 2, c: 'X' },
                    FmtItem::Str("x".into()),
                    FmtItem::Char { count: 1, c: 'n' },
                ]
            }]
        );
        let c = one("::walk t | ::eval \"./K\" | ::head -n 2 ! grep x | wc -l");
        assert_eq!(c.stages.len(), 3);
        assert_eq!(c.shell.as_deref(), Some("grep x | wc -l"));
        let c = one("::dcmds ! 'a;b'");
        assert_eq!(c.shell.as_deref(), Some("a;b"));
        let c = one("!ls -l");
        assert_eq!((c.stages.len(), c.shell.as_deref()), (0, Some("ls -l")));
        let c = one("<rsp>sp");
        assert_eq!(c.stages, vec![Stage::Assign { name: "sp".into() }]);
        let c = one("::walk x | /K");
        assert_eq!(c.stages.len(), 2);
    }

    #[test]
    fn errors_resume_at_the_next_command() {
        let v = parse("1+; 2=K\n'unterminated ; 3=K", &N);
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v[0].is_err());
        assert_eq!(v[1].as_ref().unwrap().text, "2=K");
        assert!(v[2].is_err());
        assert!(err("::").contains("dcmd name"));
        assert!(err("$").contains("after '$'"));
        assert!(err("::a | ").contains("after '|'"));
        assert!(err("::a | 10::b").contains("pipeline"));
        assert!(err("::a !").contains("shell"));
        assert!(err("::a 'x").contains("unmatched"));
        assert!(err("1 2").contains("expected a command"));
        assert!(err("::a ! 'x' y").contains("unexpected"));
        assert!(err(":c").contains("::name"));
        assert!(err("(1").contains("')'"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in ["\u{e9}", "::\u{e9}", "$\u{e9}", "=\u{e9}", "1,", ",", "|", "!", ">", "::a |", "\"", "$[", "::a $[1", "/99999999999999999999999K", "'\\", "::a \"\\"] {
            let _ = parse(s, &N);
        }
    }
}
