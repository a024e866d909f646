//! Commands about the language itself: help, the command and format lists,
//! `::eval`, walking, pipeline filters, variables and quitting.

use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry, Walker};
use crate::lang::exec::{self, display_name, usage_line};
use crate::lang::format;
use crate::session::Session;

pub fn register(r: &mut Registry) {
    let d = |name, synopsis, summary, help, options, handler| Dcmd { name, synopsis, summary, help, options, handler };
    r.add(d("help", "[name]", "print a command's manual, or how to use jmdb", HELP_HELP, &[], help));
    r.add(d("dcmds", "", "list every command with its synopsis", DCMDS_HELP, &[], dcmds));
    r.add(d("formats", "", "list the format characters of /, = and friends", FORMATS_HELP, &[], formats));
    r.add(d("eval", "?command", "run a command line, with dot set to the address", EVAL_HELP, &[], eval));
    r.add(d("walk", "?name [variable]", "print the addresses a walker produces", WALK_HELP, &[], walk));
    r.add(d("walkers", "", "list the walkers", WALKERS_HELP, &[], walkers));
    r.add(d("head", "[-n count]", "pass on only the first lines of a pipeline", HEAD_HELP, &["-n"], head_tail));
    r.add(d("tail", "[-n count]", "pass on only the last lines of a pipeline", TAIL_HELP, &["-n"], head_tail));
    r.add(d("grep", "?expression", "print dot if the expression is non-zero", GREP_HELP, &[], grep));
    r.add(d("map", "?expression", "print the value of an expression evaluated at dot", MAP_HELP, &[], map));
    r.add(d("echo", "[word...]", "print the words", ECHO_HELP, &[], echo));
    r.add(d("vars", "", "list the variables set with >name", VARS_HELP, &[], vars));
    r.add(d("quit", "", "end the session", QUIT_HELP, &[], quit));
    r.add(d("$q", "", "end the session (same as ::quit)", QUIT_HELP, &[], quit));
}

fn no_args(inv: &Invocation) -> DcmdResult {
    if inv.args.is_empty() { Ok(()) } else { Err(DcmdError::Usage("this command takes no arguments".into())) }
}

/// Every dcmd, sorted, as `::dcmds` prints them.
fn dcmd_table(s: &Session, out: &mut dyn Write) -> DcmdResult {
    let mut ds: Vec<&Dcmd> = s.registry.dcmds.iter().collect();
    ds.sort_by(|a, b| a.name.cmp(b.name));
    let names: Vec<String> = ds.iter().map(|d| display_name(d.name)).collect();
    let syns: Vec<String> = ds.iter().map(|d| synopsis_text(d)).collect();
    let nw = names.iter().map(|n| n.len()).max().unwrap_or(0);
    // Long synopses push their summary right rather than widening every row.
    let sw = syns.iter().map(|n| n.len()).filter(|&l| l <= 32).max().unwrap_or(0);
    for ((n, syn), d) in names.iter().zip(&syns).zip(&ds) {
        writeln!(out, "{n:<nw$}  {syn:<sw$}  {}", d.summary)?;
    }
    Ok(())
}

/// The synopsis without the name: `[addr] [-v]`.
fn synopsis_text(d: &Dcmd) -> String {
    let s = d.synopsis;
    let (addr, rest) = match s.chars().next() {
        Some(':') => ("addr", &s[1..]),
        Some('?') => ("[addr]", &s[1..]),
        _ => ("", s),
    };
    format!("{addr} {}", rest.trim()).trim().to_string()
}

fn help(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    match o.operands.as_slice() {
        [] => {
            out.write_all(LANGUAGE.as_bytes())?;
            writeln!(out, "\nCOMMANDS")?;
            let mut table = Vec::new();
            dcmd_table(s, &mut table)?;
            for line in String::from_utf8_lossy(&table).lines() {
                writeln!(out, "  {line}")?;
            }
            Ok(())
        }
        [name] => {
            let Some(d) = s.registry.find(name) else {
                return Err(DcmdError::Failed(format!("unknown dcmd {} (see ::dcmds)", display_name(name))));
            };
            writeln!(out, "NAME\n  {} - {}\n", display_name(d.name), d.summary)?;
            if !d.help.trim_start().starts_with("SYNOPSIS") {
                writeln!(out, "SYNOPSIS\n  {}\n", usage_line(d))?;
            }
            write!(out, "{}", d.help)?;
            if !d.help.ends_with('\n') {
                writeln!(out)?;
            }
            Ok(())
        }
        _ => Err(DcmdError::Usage("expected one command name".into())),
    }
}

fn dcmds(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    no_args(inv)?;
    dcmd_table(s, out)
}

fn formats(_s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    no_args(inv)?;
    format::print_formats(out)?;
    Ok(())
}

fn eval(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    if inv.args.is_empty() {
        return Err(DcmdError::Usage("expected a command to run".into()));
    }
    exec::eval(s, &inv.args.join(" "), inv, out)
}

fn walk(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    let (name, var) = match o.operands.as_slice() {
        [n] => (n.as_str(), None),
        [n, v] => (n.as_str(), Some(v.clone())),
        _ => return Err(DcmdError::Usage("expected a walker name".into())),
    };
    let Some(w) = s.registry.walker(name) else {
        return Err(DcmdError::Failed(format!("unknown walker '{name}' (see ::walkers)")));
    };
    let f: fn(&mut Session, Option<u64>) -> Result<Vec<u64>, DcmdError> = w.walk;
    let addrs = f(s, inv.addr_given.then_some(inv.dot))?;
    for a in addrs {
        s.check_interrupt()?;
        if let Some(v) = &var {
            s.lang.vars.insert(v.clone(), a);
        }
        writeln!(out, "{a:#x}")?;
    }
    Ok(())
}

fn walkers(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    no_args(inv)?;
    let mut ws: Vec<&Walker> = s.registry.walkers.iter().collect();
    ws.sort_by(|a, b| a.name.cmp(b.name));
    let w = ws.iter().map(|w| w.name.len()).max().unwrap_or(0);
    for walker in ws {
        writeln!(out, "{:<w$}  {}", walker.name, walker.summary)?;
    }
    Ok(())
}

/// The executor filters pipeline text itself; reaching the handler means
/// there was no pipeline to filter.
fn head_tail(_s: &mut Session, inv: &Invocation, _out: &mut dyn Write) -> DcmdResult {
    exec::head_count(&inv.args)?;
    Err(DcmdError::Usage("this filters the output of a pipeline, as in ::walk NAME | ::head -n 5".into()))
}

fn expression(inv: &Invocation) -> Result<String, DcmdError> {
    if inv.args.is_empty() {
        return Err(DcmdError::Usage("expected an expression".into()));
    }
    Ok(inv.args.join(" "))
}

fn grep(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let e = expression(inv)?;
    s.dot = inv.dot;
    if exec::evaluate(s, &e)? != 0 {
        writeln!(out, "{:#x}", inv.dot)?;
    }
    Ok(())
}

fn map(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let e = expression(inv)?;
    s.dot = inv.dot;
    let v = exec::evaluate(s, &e)?;
    writeln!(out, "{v:#x}")?;
    Ok(())
}

fn echo(_s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    writeln!(out, "{}", inv.args.join(" "))?;
    Ok(())
}

fn vars(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    no_args(inv)?;
    for (k, v) in &s.lang.vars {
        writeln!(out, "{k} = {v:#x}")?;
    }
    Ok(())
}

fn quit(s: &mut Session, inv: &Invocation, _out: &mut dyn Write) -> DcmdResult {
    no_args(inv)?;
    s.quit = true;
    Ok(())
}

const LANGUAGE: &str = "\
jmdb reads Node.js core files with mdb's command language.
  ::help NAME     a command's manual (::help ::walk, ::help $C)
  ::dcmds         every command, with its synopsis
  ::formats       the format characters of addr/FMT and value=FMT

COMMAND LINES
  [expr][,count] command [args] [| command [args]]... [! shell words]
  Commands are separated by ';' or newlines; '//' starts a comment.
  The expression sets dot ('.'), the address commands act on; an
  expression alone only sets dot. ',count' runs the first command count
  times (formats advance dot each time). A command is ::name, a
  one-character $X form ($C $c $r $m $? $q), addr/FMT (read memory),
  value=FMT (format the value) or >name (save dot in a variable).
  After a command's name, words are arguments; quote with '...' or \"...\",
  and $[expr] passes an expression's value.

PIPELINES
  Each line the left command prints becomes dot for one run of the right
  command. Commands print bare addresses into a pipe, and headers once.
  ::head and ::tail keep the first or last lines; '! words' sends the
  final output through $SHELL -c words, as in ::dcmds ! grep walk.

EXPRESSIONS
  64-bit unsigned arithmetic; numbers are hex unless prefixed 0t
  (decimal), 0o (octal) or 0i (binary). Operators, loosest first:
  | ^ & (== !=) (<< >>) (+ -) (* %=divide %%=modulo #=round up).
  Unary: - ~ #(not) *addr (read 8 bytes; */c/ */s/ */i/ read 1, 2, 4).
  Names are symbols (node::Abort, libc.so.6`abort), <rip <rsp... are the
  selected thread's registers, <name a variable, 'ab' a character constant.
";

const HELP_HELP: &str = "\
SYNOPSIS
  ::help [name]

OPTIONS
  name    a command, written ::name, name or $X

DESCRIPTION
  Without a name, summarises the command language and lists every
  command. With one, prints that command's manual: what it does, its
  options and examples. The manuals come from the same records that run
  the commands.

EXAMPLES
  > ::help
  > ::help ::walk
  > ::help $C
";

const DCMDS_HELP: &str = "\
SYNOPSIS
  ::dcmds

OPTIONS
  None.

DESCRIPTION
  Lists every command, sorted by name, with its synopsis and a one-line
  summary. In a synopsis, 'addr' means the command needs an address
  (addr::cmd) and '[addr]' that one is optional; without one, most
  commands act on everything.

EXAMPLES
  > ::dcmds
  > ::dcmds ! grep js
";

const FORMATS_HELP: &str = "\
SYNOPSIS
  ::formats

OPTIONS
  None.

DESCRIPTION
  Lists the format characters understood by addr/FMT (read memory at
  addr) and value=FMT (format the value itself), with the size each
  consumes. A decimal count before a character repeats it (/4K); quoted
  text is printed as is (/K\" is the first word\"). addr?FMT, addr\\FMT and
  addr@FMT read memory like addr/FMT. A bare addr/ repeats the previous
  format, and at the prompt an empty line shows the next item.

EXAMPLES
  > <rsp/4K            four words at the stack pointer
  > <rsp,4/K           the same, as four runs
  > main/3i            three instructions
  > 0t255=X            255 in hex: ff
  > 1234=D             0x1234 in decimal
  > <rip=a             rip as symbol+offset
  > **environ/s        the first environment string
";

const EVAL_HELP: &str = "\
SYNOPSIS
  [addr]::eval command

OPTIONS
  command   a command line; quote it if it holds ';' '|' or '!'

DESCRIPTION
  Runs the command line with dot set to addr (or left as it is). Its
  output goes where ::eval's would: into the next pipeline stage, as
  bare addresses, or to the terminal. In a pipeline this runs a format
  or an expression once per value. The first error stops it.

EXAMPLES
  > ::walk thread | ::eval \"./K\"          dereference each value
  > main::eval \".+8=a\"
  > ::eval \"1+1=D\"
";

const WALK_HELP: &str = "\
SYNOPSIS
  [addr]::walk name [variable]

OPTIONS
  name       the walker (see ::walkers)
  variable   set <variable to each address as the pipeline processes it

DESCRIPTION
  Prints the addresses the walker produces, one per line; with an
  address, walks from it. Its output is meant for a pipeline: each
  address becomes dot for the next command. With a variable, later
  pipeline stages see <variable set to the address that produced their
  input.

EXAMPLES
  > ::walkers
  > ::walk thread
  > ::walk thread t | ::eval \"<t=K\"
  > ::walk thread | ::head -n 1
";

const WALKERS_HELP: &str = "\
SYNOPSIS
  ::walkers

OPTIONS
  None.

DESCRIPTION
  Lists the walkers ::walk knows, with what each produces.

EXAMPLES
  > ::walkers
";

const HEAD_HELP: &str = "\
SYNOPSIS
  ... | ::head [-n count]

OPTIONS
  -n count   how many lines to keep (default 10); -count also works

DESCRIPTION
  In a pipeline, passes on only the first count lines of the previous
  command's output (blank lines are dropped).

EXAMPLES
  > ::walk thread | ::head -n 2
  > ::nm | ::head -3
";

const TAIL_HELP: &str = "\
SYNOPSIS
  ... | ::tail [-n count]

OPTIONS
  -n count   how many lines to keep (default 10); -count also works

DESCRIPTION
  In a pipeline, passes on only the last count lines of the previous
  command's output (blank lines are dropped).

EXAMPLES
  > ::walk thread | ::tail -n 1
";

const GREP_HELP: &str = "\
SYNOPSIS
  [addr]::grep expression

OPTIONS
  expression   evaluated with dot set to addr

DESCRIPTION
  Prints dot if the expression is non-zero, and nothing otherwise: a
  filter for pipelines. Use == and != to compare, & to test bits.

EXAMPLES
  > ::walk thread | ::grep \".==0t25857\"   keep one thread id
  > 10::grep .==10
";

const MAP_HELP: &str = "\
SYNOPSIS
  [addr]::map expression

OPTIONS
  expression   evaluated with dot set to addr

DESCRIPTION
  Prints the expression's value: in a pipeline, transforms each value.

EXAMPLES
  > $C | ::map .+8            where each frame's return address is stored
  > 10::map .*2
";

const ECHO_HELP: &str = "\
SYNOPSIS
  ::echo [word...]

OPTIONS
  word   printed, separated by single spaces

DESCRIPTION
  Prints its arguments on one line; handy for labelling the output of
  scripts and -e command lists.

EXAMPLES
  > ::echo threads:; ::walk thread
  > ::echo \"a;b\" $[0t10]
";

const VARS_HELP: &str = "\
SYNOPSIS
  ::vars

OPTIONS
  None.

DESCRIPTION
  Lists the variables set with expr>name (and ::walk name variable), in
  hex. Read one with <name in any expression. Registers of the selected
  thread (<rip, <rsp, <pc, <sp, <fp ...) are always available.

EXAMPLES
  > <rsp>top
  > ::vars
  > <top,4/K
";

const QUIT_HELP: &str = "\
SYNOPSIS
  ::quit
  $q

OPTIONS
  None.

DESCRIPTION
  Ends the session. Commands after it on the same line are not run. In
  batch mode the exit status says whether any command failed.

EXAMPLES
  > $q
";
