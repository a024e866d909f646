//! Running parsed commands against a session.
//!
//! A command runs its first stage `count` times (dot advancing by the
//! format's increment), then each later stage once per line of the previous
//! stage's output, with dot set to the line's first word read as a hex
//! address. Non-final stages run with `piped_out`, so they print bare
//! addresses. `::head` and `::tail` are text filters over those lines. The
//! final output goes to `out`, or through `$SHELL -c words` after `!`.
//!
//! Errors stop the rest of their own command only; at the top level they are
//! reported on the session's warning sink as `jmdb: message` and mark the
//! session failed, and the next command (after `;` or a newline) runs.
//! Ctrl-C stops the whole input.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command as Proc, Stdio};
use std::sync::atomic::Ordering;

use crate::arch::x86_64::USER_REGS;
use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Handler, Invocation, Opts};
use crate::lang::expr::{self, Env, Expr, ExprError, Names};
use crate::lang::format::{self, FmtEnv, FmtItem, Formatter};
use crate::lang::parse::{self, Arg, Command, Stage};
use crate::memory::Memory;
use crate::session::{INTERRUPTED, Session};

/// The command language's own state, kept in the session.
#[derive(Debug, Default)]
pub struct LangState {
    /// Variables set with `>name` (and `::walk name var`), read with `<name`.
    pub vars: BTreeMap<String, u64>,
    /// Bytes the last format command consumed (mdb's increment): `,count`
    /// loops and a blank line at the prompt advance dot by it.
    pub incr: u64,
    /// The last `/` format list, used by a bare `/`.
    pub last_format: Vec<FmtItem>,
    /// The last memory format stage, which a blank line repeats.
    pub last_repeat: Option<Stage>,
    /// Let `! cmd` write straight to the terminal (so pagers work), instead
    /// of through `out`.
    pub shell_inherits_stdio: bool,
    /// Output went to a closed pipe: stop quietly.
    pub broken_pipe: bool,
    depth: usize,
}

/// How a run of input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// At least one command failed (and was reported).
    Failed,
    /// Ctrl-C stopped the run.
    Interrupted,
    /// `$q` or `::quit` ran.
    Quit,
}

/// A failed stage, with the synopsis to print for usage errors.
struct Failure {
    err: DcmdError,
    usage: Option<String>,
}

impl From<DcmdError> for Failure {
    fn from(err: DcmdError) -> Failure {
        Failure { err, usage: None }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        DcmdError::from(e).into()
    }
}

/// One line of a pipe, and the variables bound while it is processed.
#[derive(Debug, Clone)]
struct PipeLine {
    text: String,
    binds: Vec<(String, u64)>,
}

const MAX_EVAL_DEPTH: usize = 32;

impl Names for Session {
    fn is_symbol(&self, name: &str) -> bool {
        self.target.as_ref().is_some_and(|t| t.lookup_symbol(name).is_some())
    }
    fn is_dcmd(&self, name: &str) -> bool {
        self.registry.find(name).is_some()
    }
}

impl Env for Session {
    fn dot(&self) -> u64 {
        self.dot
    }
    fn symbol(&self, name: &str) -> Result<u64, ExprError> {
        match &self.target {
            None => Err(ExprError::NoTargetSymbol(name.into())),
            Some(t) => t.lookup_symbol(name).ok_or_else(|| ExprError::UnknownSymbol(name.into())),
        }
    }
    fn variable(&self, name: &str) -> Result<u64, ExprError> {
        if let Some(v) = self.lang.vars.get(name) {
            return Ok(*v);
        }
        let reg = match name {
            "pc" => "rip",
            "sp" => "rsp",
            "fp" => "rbp",
            r => r,
        };
        if self.target.is_none() && USER_REGS.contains(&reg) {
            return Err(ExprError::NoTargetRegister(name.into()));
        }
        self.target
            .as_ref()
            .and_then(|t| t.threads.get(self.thread))
            .and_then(|th| th.regs.get(reg))
            .ok_or_else(|| ExprError::UnknownVariable(name.into()))
    }
    fn read(&self, addr: u64, size: u8) -> Result<u64, ExprError> {
        let t = self.target.as_ref().ok_or(ExprError::NoTarget(addr))?;
        let mut b = [0u8; 8];
        let n = (size as usize).min(8);
        t.read(addr, &mut b[..n]).map_err(|err| ExprError::Deref { addr, err })?;
        Ok(u64::from_le_bytes(b))
    }
}

/// `::name`, or `$C` as is.
pub fn display_name(name: &str) -> String {
    let name = name.strip_prefix("::").unwrap_or(name);
    if name.starts_with('$') { name.to_string() } else { format!("::{name}") }
}

/// A dcmd's synopsis as users type it: `[addr]::stack [-v]`.
pub fn usage_line(d: &Dcmd) -> String {
    let syn = d.synopsis;
    let (addr, rest) = match syn.chars().next() {
        Some(':') => ("addr", &syn[1..]),
        Some('?') => ("[addr]", &syn[1..]),
        _ => ("", syn),
    };
    let rest = rest.trim();
    let name = display_name(d.name);
    if rest.is_empty() { format!("{addr}{name}") } else { format!("{addr}{name} {rest}") }
}

/// Evaluate an expression string in the session (for `::grep`, `::map`).
pub fn evaluate(s: &Session, text: &str) -> Result<u64, DcmdError> {
    let e = expr::parse_full(text, s).map_err(DcmdError::Failed)?;
    eval_expr(s, &e)
}

fn eval_expr(s: &Session, e: &Expr) -> Result<u64, DcmdError> {
    expr::eval(e, s).map_err(|e| DcmdError::Failed(e.to_string()))
}

/// Run `text` (any number of commands) at the top level: errors are
/// reported on `s.err` and set `s.failed`; the next command still runs.
pub fn run(s: &mut Session, text: &str, out: &mut dyn Write) -> Outcome {
    let mut outcome = Outcome::Ok;
    for parsed in parse::parse(text, s) {
        if s.quit || s.lang.broken_pipe {
            break;
        }
        INTERRUPTED.store(false, Ordering::Relaxed);
        let r = match parsed {
            Ok(cmd) => run_command(s, &cmd, out, false),
            Err(e) => Err(DcmdError::Failed(e.msg).into()),
        };
        let r = match (r, out.flush()) {
            (Ok(()), Err(e)) => Err(e.into()),
            (r, _) => r,
        };
        if let Err(f) = r {
            s.failed = true;
            match &f.err {
                DcmdError::Io(m) if m.contains("Broken pipe") => {
                    s.lang.broken_pipe = true;
                    return Outcome::Failed;
                }
                DcmdError::Interrupted => {
                    s.warn("interrupted");
                    return Outcome::Interrupted;
                }
                _ => report(s, &f),
            }
            outcome = Outcome::Failed;
        }
    }
    if s.quit { Outcome::Quit } else { outcome }
}

fn report(s: &mut Session, f: &Failure) {
    s.warn(&f.err.to_string());
    if let (DcmdError::Usage(_), Some(u)) = (&f.err, &f.usage) {
        let _ = writeln!(s.err, "usage: {u}");
    }
}

/// Repeat the last memory format at dot + increment, as a blank line does
/// at mdb's prompt. Does nothing if there is none.
pub fn repeat(s: &mut Session, out: &mut dyn Write) -> Outcome {
    let Some(stage) = s.lang.last_repeat.clone() else { return Outcome::Ok };
    let next = s.dot.wrapping_add(s.lang.incr);
    let cmd = Command { addr: Some(Expr::Num(next)), stages: vec![stage], ..Default::default() };
    INTERRUPTED.store(false, Ordering::Relaxed);
    match run_command(s, &cmd, out, false) {
        Ok(()) => Outcome::Ok,
        Err(f) => {
            s.failed = true;
            report(s, &f);
            Outcome::Failed
        }
    }
}

/// Run `text` from inside a dcmd (`::eval`): dot starts at the caller's,
/// output goes to `out` (bare if the caller's is piped), and the first
/// error is returned rather than reported.
pub fn eval(s: &mut Session, text: &str, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    if s.lang.depth >= MAX_EVAL_DEPTH {
        return Err(DcmdError::Failed("::eval nested too deeply".into()));
    }
    s.dot = inv.dot;
    s.lang.depth += 1;
    let mut r = Ok(());
    for parsed in parse::parse(text, s) {
        let step = match parsed {
            Ok(cmd) => run_command(s, &cmd, out, inv.piped_out),
            Err(e) => Err(DcmdError::Failed(e.msg).into()),
        };
        if let Err(f) = step {
            r = Err(match (f.err, f.usage) {
                // The caller would print ::eval's synopsis; name the inner one.
                (DcmdError::Usage(m), Some(u)) => DcmdError::Failed(format!("{m} (usage: {u})")),
                (e, _) => e,
            });
            break;
        }
        if s.quit {
            break;
        }
    }
    s.lang.depth -= 1;
    r
}

fn run_command(s: &mut Session, cmd: &Command, out: &mut dyn Write, piped_out: bool) -> Result<(), Failure> {
    if let Some(a) = &cmd.addr {
        s.dot = eval_expr(s, a)?;
    }
    let count = match &cmd.count {
        Some(c) => eval_expr(s, c)?,
        None => 1,
    };
    if cmd.stages.is_empty() {
        if let Some(sh) = &cmd.shell {
            run_shell(s, sh, &[], out)?;
        }
        return Ok(());
    }
    match &cmd.shell {
        Some(sh) => {
            let mut buf = Vec::new();
            let r = run_pipeline(s, cmd, count, &mut buf, piped_out);
            // What the pipeline printed before failing still goes through.
            run_shell(s, sh, &buf, out)?;
            r?;
        }
        None => run_pipeline(s, cmd, count, out, piped_out)?,
    }
    if let [st @ Stage::Format { verb, .. }] = cmd.stages.as_slice()
        && *verb != '='
    {
        s.lang.last_repeat = Some(st.clone());
    }
    Ok(())
}

fn run_pipeline(
    s: &mut Session,
    cmd: &Command,
    count: u64,
    sink: &mut dyn Write,
    outer_piped: bool,
) -> Result<(), Failure> {
    let addr_given = cmd.addr.is_some();
    let n = cmd.stages.len();
    // Resolve every stage first: a misspelt last stage should not wait for
    // an expensive first one.
    let mut prepared: Vec<Prepared> = Vec::with_capacity(n);
    for (i, stage) in cmd.stages.iter().enumerate() {
        match text_filter(s, stage).filter(|_| i > 0) {
            Some(f) => prepared.push(Prepared::Filter(f?)),
            None => prepared.push(Prepared::Run(Runner::new(s, stage)?)),
        }
    }
    let mut input: Vec<PipeLine> = Vec::new();
    for (i, p) in prepared.iter_mut().enumerate() {
        let last = i + 1 == n;
        let piped_out = !last || outer_piped;
        let mut next: Vec<PipeLine> = Vec::new();
        let runner = match p {
            Prepared::Filter(f) => {
                let kept = f.apply(std::mem::take(&mut input));
                if last {
                    for l in &kept {
                        writeln!(sink, "{}", l.text)?;
                    }
                }
                input = kept;
                continue;
            }
            Prepared::Run(r) => r,
        };
        let r = if i == 0 {
            let looping = count > 1;
            let mut dot = s.dot;
            (|| -> Result<(), Failure> {
                for j in 0..count {
                    if j > 0 {
                        s.check_interrupt()?;
                        dot = dot.wrapping_add(s.lang.incr);
                    }
                    let inv = Invocation {
                        dot,
                        addr_given,
                        in_loop: looping,
                        loop_first: looping && j == 0,
                        piped_out,
                        args: Vec::new(),
                    };
                    runner.emit(s, inv, last, sink, &mut next, &[])?;
                }
                Ok(())
            })()
        } else {
            (|| -> Result<(), Failure> {
                let lines = input.iter().filter(|l| !l.text.trim().is_empty());
                for (j, line) in lines.enumerate() {
                    s.check_interrupt()?;
                    let v = pipe_value(&line.text).ok_or_else(|| {
                        DcmdError::Failed(format!(
                            "{}: '{}' from the pipe is not an address",
                            runner.name(),
                            line.text.trim()
                        ))
                    })?;
                    for (k, val) in &line.binds {
                        s.lang.vars.insert(k.clone(), *val);
                    }
                    let inv = Invocation {
                        dot: v,
                        addr_given: true,
                        in_loop: true,
                        loop_first: j == 0,
                        piped_out,
                        args: Vec::new(),
                    };
                    runner.emit(s, inv, last, sink, &mut next, &line.binds)?;
                }
                Ok(())
            })()
        };
        // Finish a half-printed format line even when the stage failed.
        runner.finish(sink)?;
        r?;
        input = next;
    }
    Ok(())
}

enum Prepared<'c> {
    Run(Runner<'c>),
    Filter(Filter),
}

/// The first word of a pipe line as an address (`0x1f`, `1f`, `1f:`).
fn pipe_value(line: &str) -> Option<u64> {
    let word = line.split_whitespace().next()?;
    let word = word.strip_suffix(':').unwrap_or(word);
    match expr::number(word) {
        Ok(("", v)) => Some(v),
        _ => None,
    }
}

/// `::head` and `::tail` in a later pipeline stage.
struct Filter {
    tail: bool,
    n: usize,
}

impl Filter {
    fn apply(&self, mut lines: Vec<PipeLine>) -> Vec<PipeLine> {
        lines.retain(|l| !l.text.trim().is_empty());
        if self.tail {
            let skip = lines.len().saturating_sub(self.n);
            lines.split_off(skip)
        } else {
            lines.truncate(self.n);
            lines
        }
    }
}

fn text_filter(s: &Session, stage: &Stage) -> Option<Result<Filter, Failure>> {
    let Stage::Dcmd { name, args } = stage else { return None };
    if name != "head" && name != "tail" {
        return None;
    }
    let usage = s.registry.find(name).map(usage_line);
    let words: Vec<String> = match args.iter().map(|a| arg_text(s, a)).collect::<Result<_, _>>() {
        Ok(w) => w,
        Err(e) => return Some(Err(e.into())),
    };
    Some(head_count(&words).map(|n| Filter { tail: name == "tail", n }).map_err(|err| Failure { err, usage }))
}

/// The line count of `::head`/`::tail`: `-n N`, `-N` or nothing (10).
pub fn head_count(args: &[String]) -> Result<usize, DcmdError> {
    let o = Opts::parse(args, "", "n")?;
    let text = match (o.value('n'), o.operands.as_slice()) {
        (Some(v), []) => v.to_string(),
        (None, [one]) if one.starts_with('-') => one[1..].to_string(),
        (None, []) => return Ok(10),
        _ => return Err(DcmdError::Usage("expected -n COUNT".into())),
    };
    text.parse::<usize>().map_err(|_| DcmdError::Usage(format!("bad count '{text}'")))
}

fn arg_text(s: &Session, a: &Arg) -> Result<String, DcmdError> {
    match a {
        Arg::Word(w) => Ok(w.clone()),
        Arg::Expr(e) => Ok(format!("{:#x}", eval_expr(s, e)?)),
    }
}

/// One stage, ready to run once per value.
enum Runner<'c> {
    Dcmd {
        handler: Handler,
        name: String,
        usage: String,
        needs_addr: bool,
        args: &'c [Arg],
        /// `::walk NAME VAR`: each output line binds VAR to its value.
        bind: Option<String>,
    },
    Format {
        verb: char,
        items: Vec<FmtItem>,
        fmt: Formatter,
    },
    Assign(&'c str),
}

impl<'c> Runner<'c> {
    fn new(s: &mut Session, stage: &'c Stage) -> Result<Runner<'c>, Failure> {
        Ok(match stage {
            Stage::Dcmd { name, args } => {
                let Some(d) = s.registry.find(name) else {
                    return Err(DcmdError::Failed(format!("unknown dcmd {}", display_name(name))).into());
                };
                let bind = match args.as_slice() {
                    [Arg::Word(_), Arg::Word(var)] if d.name == "walk" => Some(var.clone()),
                    _ => None,
                };
                Runner::Dcmd {
                    handler: d.handler,
                    name: display_name(d.name),
                    usage: usage_line(d),
                    needs_addr: d.synopsis.starts_with(':'),
                    args,
                    bind,
                }
            }
            Stage::Format { verb, items } => {
                let items = if items.is_empty() {
                    if *verb == '=' {
                        return Err(DcmdError::Failed("expected one or more format characters after '='".into()).into());
                    }
                    if s.lang.last_format.is_empty() {
                        vec![FmtItem::Char { count: 1, c: 'K' }]
                    } else {
                        s.lang.last_format.clone()
                    }
                } else {
                    items.clone()
                };
                format::validate(&items)?;
                if *verb != '=' {
                    s.lang.last_format = items.clone();
                }
                Runner::Format { verb: *verb, items, fmt: Formatter::new() }
            }
            Stage::Assign { name } => Runner::Assign(name),
        })
    }

    fn name(&self) -> String {
        match self {
            Runner::Dcmd { name, .. } => name.clone(),
            Runner::Format { verb, .. } => verb.to_string(),
            Runner::Assign(n) => format!(">{n}"),
        }
    }

    /// Run once; a non-final stage's lines are collected into `next`.
    fn emit(
        &mut self,
        s: &mut Session,
        inv: Invocation,
        last: bool,
        sink: &mut dyn Write,
        next: &mut Vec<PipeLine>,
        binds: &[(String, u64)],
    ) -> Result<(), Failure> {
        s.dot = inv.dot;
        if last {
            return self.run(s, inv, sink);
        }
        let mut buf = Vec::new();
        let r = self.run(s, inv, &mut buf);
        let bind = match self {
            Runner::Dcmd { bind, .. } => bind.clone(),
            _ => None,
        };
        for line in String::from_utf8_lossy(&buf).lines() {
            let mut b = binds.to_vec();
            if let (Some(var), Some(v)) = (&bind, pipe_value(line)) {
                b.push((var.clone(), v));
            }
            next.push(PipeLine { text: line.to_string(), binds: b });
        }
        r
    }

    fn run(&mut self, s: &mut Session, mut inv: Invocation, out: &mut dyn Write) -> Result<(), Failure> {
        match self {
            Runner::Dcmd { handler, usage, needs_addr, args, .. } => {
                let with_usage = |err: DcmdError| Failure { err, usage: Some(usage.clone()) };
                if *needs_addr && !inv.addr_given {
                    return Err(with_usage(DcmdError::Usage("an address is required".into())));
                }
                inv.args = args.iter().map(|a| arg_text(s, a)).collect::<Result<_, _>>()?;
                s.lang.incr = 0;
                (*handler)(s, &inv, out).map_err(with_usage)
            }
            Runner::Format { verb, items, fmt } => {
                let target = s.target.as_deref();
                let symbolize = |a: u64| target.and_then(|t| t.symbolize(a));
                let interrupted = || INTERRUPTED.load(Ordering::Relaxed);
                let env = FmtEnv {
                    mem: target.map(|t| t as &dyn Memory),
                    symbolize: &symbolize,
                    incr: s.lang.incr,
                    interrupted: &interrupted,
                };
                let next = fmt.run(*verb, items, inv.dot, &env, &inv, out)?;
                if *verb == '=' {
                    s.dot = next;
                    s.lang.incr = 0;
                } else {
                    s.lang.incr = next.wrapping_sub(inv.dot);
                }
                Ok(())
            }
            Runner::Assign(name) => {
                s.lang.vars.insert(name.to_string(), inv.dot);
                Ok(())
            }
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Runner::Format { fmt, .. } => fmt.finish(out),
            _ => Ok(()),
        }
    }
}

/// `! words`: feed `input` to `$SHELL -c words` and wait for it.
fn run_shell(s: &mut Session, words: &str, input: &[u8], out: &mut dyn Write) -> Result<(), DcmdError> {
    let shell = std::env::var("SHELL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "/bin/sh".into());
    let inherit = s.lang.shell_inherits_stdio;
    if inherit {
        out.flush()?;
    }
    let pipe_or_inherit = || if inherit { Stdio::inherit() } else { Stdio::piped() };
    let mut child = Proc::new(&shell)
        .arg("-c")
        .arg(words)
        .stdin(Stdio::piped())
        .stdout(pipe_or_inherit())
        .stderr(pipe_or_inherit())
        .spawn()
        .map_err(|e| DcmdError::Failed(format!("cannot run {shell}: {e}")))?;
    let stdin = child.stdin.take();
    // Write the input from another thread: the child may fill its output
    // pipe before reading all of it.
    let output = std::thread::scope(|sc| {
        sc.spawn(move || {
            if let Some(mut w) = stdin {
                // A filter that exits early (`head`) closes its end; fine.
                let _ = w.write_all(input);
            }
        });
        child.wait_with_output()
    })
    .map_err(|e| DcmdError::Failed(format!("{shell}: {e}")))?;
    out.write_all(&output.stdout)?;
    let _ = s.err.write_all(&output.stderr);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_values() {
        assert_eq!(pipe_value("0x1f"), Some(0x1f));
        assert_eq!(pipe_value("  1f  rest"), Some(0x1f));
        assert_eq!(pipe_value("0x40: 1234"), Some(0x40));
        assert_eq!(pipe_value("main+0x4"), None);
        assert_eq!(pipe_value(""), None);
    }

    #[test]
    fn head_counts() {
        let a = |v: &[&str]| head_count(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(a(&[]), Ok(10));
        assert_eq!(a(&["-n", "3"]), Ok(3));
        assert_eq!(a(&["-n3"]), Ok(3));
        assert_eq!(a(&["-5"]), Ok(5));
        assert!(a(&["x"]).is_err());
        assert!(a(&["-n", "x"]).is_err());
    }
}
