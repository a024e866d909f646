//! `::dis`: disassembly of native code, in the manner of mdb.

use std::io::Write;

use crate::disasm::{self, Decoded, Insn, Lookback};
use crate::error::MemError;
use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::Session;
use crate::symbols::SymKind;
use crate::target::{Backing, Identity, Target};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "dis",
        synopsis: "?[-bfw] [-n count]",
        summary: "disassemble native code around an address or a whole function",
        help: DIS_HELP,
        options: &["-b", "-f", "-w", "-n"],
        handler: dis,
    });
}

const DIS_HELP: &str = "\
SYNOPSIS
  [addr]::dis [-bfw] [-n count]

DESCRIPTION
  Disassembles x86_64 code in AT&T syntax, as gdb and objdump print it.
  Branch and call targets and RIP-relative operands are shown as
  symbol+offset where a symbol covers them (PLT stubs as name@plt); an
  unnamed RIP-relative operand gets its absolute address in a # comment.
  Each line is

    ADDR  SYMBOL+OFF:  INSTRUCTION

  Which instructions are shown:
    - If addr is the start of a function, the whole function (as mdb does),
      up to its symbol's size.
    - Otherwise a window around addr: up to 5 instructions before it, the
      instruction at addr (marked with '>') and those after it, 10 from addr
      in all. The instructions before addr are found by decoding forward
      from the start of the function that contains addr; in code without
      symbols (JIT code) they are found by trying nearby start offsets, and
      a warning says that they are a guess.
  Without an address, the selected thread's instruction pointer is used.

  The bytes come from the core or, for text the kernel did not dump, from
  the mapped file on disk; when neither has them the error says which file
  to supply. Decoding stops, with a warning, where readable memory ends.
  Bytes that are not a valid instruction show as (bad) and decoding goes
  on from the next byte. Piped into another dcmd, only the instruction
  addresses are printed.

OPTIONS
  -b        also show each instruction's bytes, in hex
  -f        disassemble the whole function containing addr, from its start
            (at most 2000 instructions), marking the instruction at addr
  -n COUNT  disassemble COUNT instructions starting at addr; with -w, COUNT
            instructions from addr after the window's lookback. COUNT is
            hex, as all mdb numbers are; write 0t20 for twenty.
  -w        window mode even when addr is the start of a function

EXAMPLES
  > ::dis                          where the selected thread stopped
    7f89cf2a8eea  __pthread_kill_implementation+0x10a:  syscall
  > 7f89cf2a8eec  __pthread_kill_implementation+0x10c:  mov    %eax,%ebp
    7f89cf2a8eee  __pthread_kill_implementation+0x10e:  neg    %ebp
  > node::Abort::dis               the whole function
  1052400  node::Abort:       push   %rbp
  1052401  node::Abort+0x1:   mov    stderr@@GLIBC_2.2.5(%rip),%rdi
  1052408  node::Abort+0x8:   mov    %rsp,%rbp
  105240b  node::Abort+0xb:   call   node::DumpNativeBacktrace
  > <rip::dis -b -n 2
  7f89cf2a8eec  __pthread_kill_implementation+0x10c:  89 c5  mov    %eax,%ebp
  7f89cf2a8eee  __pthread_kill_implementation+0x10e:  f7 dd  neg    %ebp
  > 7f89cf2a8eec::dis -f           the whole function, marking the address
  > uv_run::dis -n 0t40 | ::whatis
";

/// Widest label column; longer labels overflow it.
const LABEL_MAX: usize = 48;
/// Instructions before addr in window mode.
const LOOKBACK: usize = 5;
/// Instructions from addr (inclusive) in window mode.
const WINDOW: usize = 10;
/// Most instructions `-f` (or a whole function) prints.
const FUNC_MAX: usize = 2000;
/// Decoding forward from a function's start further than this to find the
/// instructions before addr is not worth it; guess instead.
const LOOKBACK_REACH: u64 = 4 << 20;

/// A function symbol around an address, with runtime addresses.
pub struct FuncSpan {
    pub start: u64,
    /// None for unsized symbols (assembly stubs).
    pub end: Option<u64>,
    pub name: String,
}

/// The function symbol containing `addr`, if any.
pub fn function_at(t: &Target, addr: u64) -> Option<FuncSpan> {
    let m = t.module_for_addr(addr)?;
    let s = m.symbols().lookup_addr(addr.wrapping_sub(m.bias))?;
    if s.kind != SymKind::Func {
        return None;
    }
    let start = s.addr.wrapping_add(m.bias);
    let end = (s.size > 0).then(|| start.wrapping_add(s.size));
    Some(FuncSpan { start, end, name: s.short_name() })
}

/// What the user asked to see.
enum Mode {
    /// `count` instructions from addr.
    Count(usize),
    /// Lookback before addr, then `after` instructions from it.
    Window(usize),
    /// The function from its start; `marked`: show where addr is.
    Function { marked: bool },
}

fn dis(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "bfw", "n")?;
    o.no_operands()?;
    let count = match o.value('n') {
        None => None,
        Some(v) => Some(parse_count(v)?),
    };
    let t = s.target()?;
    let addr = if inv.addr_given {
        inv.dot
    } else {
        t.threads
            .get(s.thread)
            .map(|th| th.regs.rip())
            .ok_or_else(|| DcmdError::Failed("no address given and the core has no threads".into()))?
    };
    let func = function_at(t, addr);
    let at_start = func.as_ref().is_some_and(|f| f.start == addr);
    let mode = if o.has('f') {
        Mode::Function { marked: true }
    } else if o.has('w') {
        Mode::Window(count.unwrap_or(WINDOW))
    } else if let Some(n) = count {
        Mode::Count(n)
    } else if at_start && func.as_ref().is_some_and(|f| f.end.is_some()) {
        Mode::Function { marked: false }
    } else {
        Mode::Window(WINDOW)
    };

    let sym = |a: u64| t.symbolize(a).map(|s| s.with_offset());
    let mut warnings = Vec::new();
    let (decoded, mark) = match mode {
        Mode::Count(n) => (disasm::decode_range(t, addr, n, &sym), None),
        Mode::Function { marked } => {
            let Some(f) = &func else {
                return Err(DcmdError::Failed(format!(
                    "{addr:#x} is not in a known function; use -n COUNT to disassemble from it"
                )));
            };
            let Some(end) = f.end else {
                return Err(DcmdError::Failed(format!(
                    "{} has no size in the symbol table, so where it ends is unknown; use -n COUNT",
                    f.name
                )));
            };
            let d = disasm::decode_span(t, f.start, end, FUNC_MAX, &sym);
            if d.insns.len() == FUNC_MAX && d.insns.last().is_some_and(|i| i.end() < end) {
                warnings.push(format!(
                    "{} is {:#x} bytes long; only its first {FUNC_MAX} instructions are shown (use addr::dis -n COUNT for more)",
                    f.name,
                    end.wrapping_sub(f.start)
                ));
            }
            (d, marked.then_some(addr))
        }
        Mode::Window(after) => {
            let lb = window_lookback(t, addr, func.as_ref(), &mut warnings);
            let from = lb.starts.first().copied().unwrap_or(addr);
            let d = disasm::decode_range(t, from, lb.starts.len() + after, &sym);
            (d, Some(addr))
        }
    };

    let Decoded { insns, stopped } = decoded;
    if insns.is_empty() {
        return Err(DcmdError::Failed(match stopped {
            Some(e) => explain(t, addr, &e),
            None => format!("no instructions to show at {addr:#x}"),
        }));
    }
    if let Some(e) = &stopped {
        warnings.push(format!("stopped early: {}", explain(t, e.addr(), e)));
    }
    if let Some(w) = differs_warning(t, addr) {
        warnings.push(w);
    }
    if let Some(m) = mark
        && let Some(i) = insns.iter().find(|i| i.addr < m && m < i.end())
    {
        warnings.push(format!("{m:#x} is inside the instruction at {:#x}, which is marked", i.addr));
    }
    // Render first, so the target's borrow ends before warnings go out.
    let mut text = Vec::new();
    render(t, &insns, mark, o.has('b'), inv.piped_out, &mut text)?;
    for w in &warnings {
        s.warn(w);
    }
    out.write_all(&text)?;
    Ok(())
}

fn parse_count(v: &str) -> Result<usize, DcmdError> {
    // mdb's numbers are hex unless prefixed; accept 0t (decimal) and 0x.
    let n = if let Some(d) = v.strip_prefix("0t") {
        d.parse::<usize>().ok()
    } else {
        usize::from_str_radix(v.strip_prefix("0x").unwrap_or(v), 16).ok()
    };
    match n {
        Some(n) if n > 0 => Ok(n.min(1 << 20)),
        _ => Err(DcmdError::Usage(format!("bad count {v}: expected a positive number (hex, or 0t for decimal)"))),
    }
}

/// The instructions before addr, aligned by the enclosing function's start
/// where there is one.
fn window_lookback(t: &Target, addr: u64, func: Option<&FuncSpan>, warnings: &mut Vec<String>) -> Lookback {
    if let Some(f) = func
        && addr.checked_sub(f.start).is_some_and(|d| d <= LOOKBACK_REACH)
        && let Ok(lb) = disasm::lookback(t, f.start, addr, LOOKBACK)
    {
        return lb;
    }
    let lb = disasm::lookback_guess(t, addr, LOOKBACK);
    if !lb.starts.is_empty() {
        warnings.push(format!(
            "no function symbol to align on: the instructions before {addr:#x} are a guess"
        ));
    }
    lb
}

/// Why the code at `addr` cannot be read, and what would fix it.
fn explain(t: &Target, addr: u64, e: &MemError) -> String {
    let map = super::symbols::mapping_for(t, addr);
    match (e, map.as_ref()) {
        (MemError::Unmapped { .. }, _) | (_, None) => {
            format!("cannot disassemble at {:#x}: {e}", e.addr())
        }
        (MemError::Truncated { .. }, _) => format!("cannot disassemble at {:#x}: {e}; the core file is incomplete", e.addr()),
        (MemError::Unreadable { .. }, Some(m)) => {
            format!("cannot disassemble at {:#x} ({:x}-{:x} {}): {e}", e.addr(), m.start, m.end, m.perms)
        }
        (MemError::NotInCore { .. }, Some(m)) => {
            let range = format!("{:x}-{:x} {}", m.start, m.end, m.perms);
            match &m.path {
                Some(p) if m.backing == Backing::Missing || m.backing == Backing::Partial => format!(
                    "cannot disassemble at {:#x}: the core does not hold this code ({range} {p}) and {p} was not found; \
                     name the executable (jmdb EXE CORE) or point --sysroot at a copy of the process's libraries",
                    e.addr()
                ),
                Some(p) => format!("cannot disassemble at {:#x} ({range} {p}): {e}", e.addr()),
                None => format!(
                    "cannot disassemble at {:#x}: anonymous memory ({range}) that the core does not hold \
                     (see coredump_filter in core(5))",
                    e.addr()
                ),
            }
        }
    }
}

/// Kernel cores leave text out; it is then read from the file on disk,
/// which is wrong if the file is not the one the process ran.
fn differs_warning(t: &Target, addr: u64) -> Option<String> {
    let m = t.module_for_addr(addr)?;
    let Identity::Differs(why) = &m.identity else { return None };
    let from_file = super::symbols::mapping_for(t, addr)
        .is_some_and(|mp| matches!(mp.backing, Backing::File | Backing::CoreAndFile));
    from_file.then(|| format!("{} differs from the file the process ran ({why}): this code may not be what ran", m.name))
}

/// Print instructions as `ADDR  SYM+OFF:  [BYTES]  TEXT`, columns aligned
/// over the whole listing.
fn render(t: &Target, insns: &[Insn], mark: Option<u64>, bytes: bool, piped: bool, out: &mut dyn Write) -> DcmdResult {
    if piped {
        for i in insns {
            writeln!(out, "{:x}", i.addr)?;
        }
        return Ok(());
    }
    let labels: Vec<String> = insns.iter().map(|i| t.symbolize(i.addr).map(|s| s.with_offset()).unwrap_or_default()).collect();
    let aw = insns.iter().map(|i| format!("{:x}", i.addr).len()).max().unwrap_or(0);
    // One huge template name should not push every line far right.
    let lw = labels.iter().map(|l| l.len()).max().unwrap_or(0).min(LABEL_MAX);
    let bw = insns.iter().map(|i| i.len * 3).max().unwrap_or(0);
    for (i, label) in insns.iter().zip(&labels) {
        let marker = match mark {
            Some(m) if m >= i.addr && m < i.end() => "> ",
            Some(_) => "  ",
            None => "",
        };
        let label = if label.is_empty() { String::new() } else { format!("{label}:") };
        let mut line = format!("{marker}{:>aw$x}  {label:<w$}  ", i.addr, w = lw + 1);
        if bytes {
            let hex: Vec<String> = i.bytes.iter().map(|b| format!("{b:02x}")).collect();
            line.push_str(&format!("{:<bw$} ", hex.join(" ")));
        }
        line.push_str(&i.text);
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
