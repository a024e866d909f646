//! Threads, stacks and registers: `$C`, `$c`, `::stack`, `::threads`,
//! `::thread`, `$r`/`::regs`, and the `thread` and `frame` walkers.
//!
//! Threads are numbered from 1 in core order, as gdb numbers them; the
//! first is the main thread. A thread can be named by that number or by
//! its tid.

use std::io::Write;

use crate::arch::x86_64::{DW_RIP, DWARF_NAMES, Regs};
use crate::corefile::signal_name;
use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry, Walker};
use crate::session::Session;
use crate::target::Target;
use crate::unwind::{self, DEFAULT_MAX_FRAMES, Frame, Stack};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "$C",
        synopsis: "?[-a] [-t thread] [-n max]",
        summary: "print the stack with frame pointers",
        help: STACK_C_HELP,
        options: &["-a", "-t", "-n"],
        handler: stack_fp,
    });
    r.add(Dcmd {
        name: "$c",
        synopsis: "?[-a] [-t thread] [-n max]",
        summary: "print the stack",
        help: STACK_LC_HELP,
        options: &["-a", "-t", "-n"],
        handler: stack_plain,
    });
    r.add(Dcmd {
        name: "stack",
        synopsis: "?[-av] [-t thread] [-n max]",
        summary: "print the stack, and why the walk ended",
        help: STACK_HELP,
        options: &["-a", "-v", "-t", "-n"],
        handler: stack_cmd,
    });
    r.add(Dcmd {
        name: "threads",
        synopsis: "",
        summary: "list the threads with their top frame",
        help: THREADS_HELP,
        options: &[],
        handler: threads,
    });
    r.add(Dcmd {
        name: "thread",
        synopsis: "?[thread]",
        summary: "select the thread that stack and register commands use",
        help: THREAD_HELP,
        options: &[],
        handler: thread,
    });
    r.add(Dcmd {
        name: "regs",
        synopsis: "?[-t thread] [-f frame]",
        summary: "print the registers of the selected thread",
        help: REGS_HELP,
        options: &["-t", "-f"],
        handler: regs,
    });
    r.add(Dcmd {
        name: "$r",
        synopsis: "?[-t thread] [-f frame]",
        summary: "same as ::regs",
        help: REGS_HELP,
        options: &["-t", "-f"],
        handler: regs,
    });
    r.add_walker(Walker { name: "thread", summary: "the tid of every thread, in core order", walk: walk_threads });
    r.add_walker(Walker {
        name: "frame",
        summary: "the frame pointers of the selected thread's stack (or of the thread given)",
        walk: walk_frames,
    });
    r.add_walker(Walker { name: "stack", summary: "same as the frame walker", walk: walk_frames });
}

const STACK_C_HELP: &str = "\
SYNOPSIS
  $C [-a] [-t thread] [-n max]
  addr$C

DESCRIPTION
  Prints the selected thread's native stack, innermost frame first: the
  frame pointer (rbp in that frame; ? where unwinding could not recover
  it), the function as module`symbol+offset, and how the frame was found:
    [context]  the registers the core recorded for the thread
    [cfi]      DWARF call-frame information (.eh_frame)
    [fp]       the frame-pointer chain, for code without CFI: V8's JIT
               code and its builtins
    [signal]   registers the kernel saved when it delivered a signal;
               the frame above it, marked (signal handler called), is
               the kernel's signal frame (__restore_rt)
  Code with no symbol shows as ?? with its module and offset; code in
  anonymous executable memory (V8's JIT code) as its address and (JIT?).
  V8's builtins that Node 22+ copies out of the executable are named by
  the executable's Builtins_* symbols.

  With an address, the walk starts at the frame whose frame pointer it is
  (as $C prints them). If no thread has such a frame, the address is
  taken as a frame pointer to follow: the walk starts at the return
  address stored above it.

  A walk that ends other than at the outermost frame says why on stderr.
  Piped, prints only the frame pointers.

OPTIONS
  -a         every thread, each after a `thread N (tid T)` line
  -n MAX     stop after MAX frames (default 1000)
  -t THREAD  this thread instead of the selected one

  THREAD is a tid (decimal, as ::threads prints it) or a thread number
  from 1 in core order, as gdb numbers them; a tid is tried first.

EXAMPLES
  > $C
  00007f89cf6facc0 libc.so.6`__pthread_kill_implementation+0x10c  [context]
  00007f89cf6facc0 libc.so.6`raise+0x12  [cfi]
  ...
  00007ffe2f37ae70 node`Builtins_InterpreterEntryTrampoline+0x11e  [fp]
  > $C -t 2
  > $C | ::eval \"./K\"      the saved rbp of each frame
";

const STACK_LC_HELP: &str = "\
SYNOPSIS
  $c [-a] [-t thread] [-n max]
  addr$c

DESCRIPTION
  Prints the selected thread's native stack, innermost frame first, one
  function per line as module`symbol+offset. The same walk as $C, without
  the frame pointers and how each frame was found. With an address, the
  walk starts at the frame whose frame pointer it is (see $C).

  A walk that ends other than at the outermost frame says why on stderr.
  Piped, prints only the pcs.

OPTIONS
  -a         every thread, each after a `thread N (tid T)` line
  -n MAX     stop after MAX frames (default 1000)
  -t THREAD  this thread instead of the selected one

EXAMPLES
  > $c
  libc.so.6`__pthread_kill_implementation+0x10c
  libc.so.6`raise+0x12
  libc.so.6`abort+0xd3
  node`node::Abort+0x2d
  ...
";

const STACK_HELP: &str = "\
SYNOPSIS
  ::stack [-av] [-t thread] [-n max]
  addr::stack [-v]

DESCRIPTION
  Prints the selected thread's native stack like $c, then a last line
  saying why the walk ended:
    reached the outermost frame            the normal end (_start, clone3)
    return address is 0                    the end, or a zeroed stack
    no unwind info ... no frame pointer    code without CFI and rbp unset
    return address ... does not point into code
    memory at ADDR is not readable         the core lacks that stack memory
    frame pointer ... outside the thread's stack or misaligned
    frame chain went backwards or looped   a corrupt frame-pointer chain
    stopped after N frames                 the -n limit
  With -v, a table: frame number, pc, stack pointer, frame pointer, how
  the frame was found (see $C) and the function.

  With an address, the walk starts at the frame whose frame pointer it is
  (see $C). Piped, prints only the pcs.

OPTIONS
  -a         every thread, each after a `thread N (tid T)` line
  -n MAX     stop after MAX frames (default 1000)
  -t THREAD  this thread instead of the selected one
  -v         the table with pc, sp, fp and trust

EXAMPLES
  > ::stack -v
  > ::stack -a
  > ::stack -t 2
";

const THREADS_HELP: &str = "\
SYNOPSIS
  ::threads

DESCRIPTION
  Lists the threads, one per line: the selection mark (*), the thread
  number (from 1, in core order, as gdb numbers them), the tid, and the
  function the thread was in. The thread that received the signal that
  ended the process is marked `<- signal NAME`.

  Piped, prints only the tids.

EXAMPLES
  > ::threads
     #      TID  TOP FRAME
  *  1    25857  libc.so.6`__pthread_kill_implementation+0x10c  <- signal SIGABRT
     2    25870  libc.so.6`__futex_abstimed_wait_common+0x106
  > ::threads | ::eval \".=D\"
";

const THREAD_HELP: &str = "\
SYNOPSIS
  ::thread [THREAD]
  addr::thread

DESCRIPTION
  Selects the thread that $C, $c, ::stack, $r and the frame walker use,
  and prints it as ::threads does. Without an argument, prints the
  selected thread. When a core is opened, the selected thread is the one
  that received the signal.

  THREAD is a tid (decimal, as ::threads prints it; 0x... for hex) or a
  thread number from 1 in core order, as gdb numbers them. A tid is tried
  first: in a container, where tids are small, a number that is also a
  tid means the tid.

  With an address, the address is the thread (tid or number). Expressions
  are hexadecimal, so write 0t25870::thread for tid 25870, or 2::thread.
  Piped, prints only the tid.

EXAMPLES
  > ::thread 2
     2    25870  libc.so.6`__futex_abstimed_wait_common+0x106
  > ::thread 25857
  > ::walk thread | ::thread
";

const REGS_HELP: &str = "\
SYNOPSIS
  $r [-t thread] [-f frame]
  ::regs [-t thread] [-f frame]

DESCRIPTION
  Prints the general-purpose registers of the selected thread, as the
  core recorded them, in mdb's layout: the integer registers in two
  columns, the segment registers, rip (with its symbol), rbp and rsp,
  rflags with its bits decoded (upper case when set), the fs and gs bases
  and orig_rax (the system call number, when the thread was in one).

  With -f N, the registers as the unwinder recovered them in frame N of
  the stack ($c numbers frames from 0): registers it could not recover
  show as ?, and only the registers DWARF numbers are shown.

OPTIONS
  -f FRAME   registers recovered for frame FRAME
  -t THREAD  this thread instead of the selected one

EXAMPLES
  > $r
  > ::regs -f 3
  > ::regs -t 2
";

/// A thread named by tid first, then by number from 1.
pub fn resolve_thread(t: &Target, v: u64) -> Option<usize> {
    t.threads
        .iter()
        .position(|th| u64::from(th.tid) == v)
        .or_else(|| usize::try_from(v).ok().filter(|&n| n >= 1 && n <= t.threads.len()).map(|n| n - 1))
}

/// Parse a thread operand word: decimal, or 0x.../0t... .
pub fn parse_thread_word(t: &Target, w: &str) -> Result<usize, DcmdError> {
    let v = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(d) = w.strip_prefix("0t") {
        d.parse().ok()
    } else {
        w.parse().ok()
    };
    let v = v.ok_or_else(|| DcmdError::Usage(format!("bad thread {w:?}: want a tid or a thread number")))?;
    resolve_thread(t, v).ok_or_else(|| no_thread(t, v))
}

fn no_thread(t: &Target, v: u64) -> DcmdError {
    DcmdError::Failed(format!("no thread has tid {v}, and there are {} threads", t.threads.len()))
}

fn selected(s: &Session, t: &Target, o: &Opts) -> Result<usize, DcmdError> {
    if t.threads.is_empty() {
        return Err(DcmdError::Failed("the core holds no threads".into()));
    }
    match o.value('t') {
        Some(w) => parse_thread_word(t, w),
        None => Ok(s.thread.min(t.threads.len() - 1)),
    }
}

fn max_frames(o: &Opts) -> Result<usize, DcmdError> {
    match o.value('n') {
        None => Ok(DEFAULT_MAX_FRAMES),
        Some(w) => {
            w.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| DcmdError::Usage(format!("bad frame count {w:?}")))
        }
    }
}

/// Strip a symbol-version suffix (`pthread_cond_wait@@GLIBC_2.3.2`).
fn unversioned(name: &str) -> &str {
    match name.find('@') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

/// Name the code at `pc`, looked up at `lookup` (pc-1 for a return
/// address): `module`symbol+0xoff`, `?? (module+0xoff)` in a module with no
/// symbol there, `0x... (JIT?)` in anonymous executable memory.
pub fn code_name(t: &Target, pc: u64, lookup: u64) -> String {
    if let Some(s) = t.symbolize(lookup) {
        let off = pc.wrapping_sub(s.addr);
        let name = unversioned(&s.name);
        return if off == 0 { format!("{}`{name}", s.module) } else { format!("{}`{name}+{off:#x}", s.module) };
    }
    if let Some(loc) = unwind::code_location(t, lookup) {
        // The file mapped a second time (V8's remapped builtins): name it
        // by the file's symbols.
        if let Some(sym) = loc.module.symbols().lookup_addr(loc.file_addr) {
            let off = pc.wrapping_sub(sym.addr.wrapping_add(loc.bias));
            let name = sym.short_name();
            let name = unversioned(&name);
            let m = loc.module.short_name();
            return if off == 0 { format!("{m}`{name}") } else { format!("{m}`{name}+{off:#x}") };
        }
        let off = pc.wrapping_sub(loc.module.base);
        return format!("?? ({}+{off:#x})", loc.module.short_name());
    }
    if unwind::is_code(t, lookup) { format!("{pc:#x} (JIT?)") } else { format!("{pc:#x} ??") }
}

/// The name of a frame's function.
pub fn frame_name(t: &Target, f: &Frame) -> String {
    let name = code_name(t, f.pc, f.lookup_pc());
    // gdb's `<signal handler called>`: the frame the kernel built.
    if f.trampoline { format!("{name} (signal handler called)") } else { name }
}

fn hex_or_unknown(v: Option<u64>) -> String {
    match v {
        Some(v) => format!("{v:016x}"),
        None => format!("{:>16}", "?"),
    }
}

fn thread_line(t: &Target, i: usize) -> String {
    let th = &t.threads[i];
    let mut l = format!("thread {} (tid {})", th.index, th.tid);
    if i == t.signalled_thread() && t.siginfo().is_some_and(|si| si.signo != 0) {
        let sig = t.siginfo().map(|si| si.signo).unwrap_or(0);
        l.push_str(&format!(" <- signal {}", signal_name(sig).0));
    }
    l
}

/// Which stack a stack dcmd shows.
fn walk_for(t: &Target, thread: usize, inv: &Invocation, max: usize) -> Result<Stack, DcmdError> {
    let th = t.threads.get(thread).ok_or_else(|| no_thread(t, thread as u64 + 1))?;
    if !inv.addr_given {
        return Ok(unwind::unwind(t, &th.regs, max));
    }
    // addr is a frame pointer: the selected thread's frame with it first,
    // then any thread's.
    let fp = inv.dot;
    let order = std::iter::once(thread).chain((0..t.threads.len()).filter(|&i| i != thread));
    for i in order {
        let mut st = unwind::unwind(t, &t.threads[i].regs, DEFAULT_MAX_FRAMES);
        if let Some(k) = st.frames.iter().position(|f| f.fp == Some(fp)) {
            st.frames.drain(..k);
            st.frames.truncate(max);
            if st.frames.len() == max {
                st.end = unwind::StopReason::FrameLimit(max);
            }
            return Ok(st);
        }
    }
    Ok(unwind::unwind_from_frame_pointer(t, fp, max))
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// `$C`: frame pointer, function, trust.
    WithFp,
    /// `$c`: function only.
    Plain,
    /// `::stack`: function, then why the walk ended.
    Noted,
    /// `::stack -v`: the table.
    Verbose,
}

fn stack_fp(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    stack_common(s, inv, out, "a", Style::WithFp)
}

fn stack_plain(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    stack_common(s, inv, out, "a", Style::Plain)
}

fn stack_cmd(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "av", "tn")?;
    let style = if o.has('v') { Style::Verbose } else { Style::Noted };
    stack_common(s, inv, out, "av", style)
}

fn stack_common(s: &mut Session, inv: &Invocation, out: &mut dyn Write, flags: &str, style: Style) -> DcmdResult {
    let o = Opts::parse(&inv.args, flags, "tn")?;
    o.no_operands()?;
    let max = max_frames(&o)?;
    let t = s.target()?;
    let which: Vec<usize> = if o.has('a') { (0..t.threads.len()).collect() } else { vec![selected(s, t, &o)?] };
    let mut notes = Vec::new();
    for (n, &i) in which.iter().enumerate() {
        s.check_interrupt()?;
        let t = s.target()?;
        let st = walk_for(t, i, inv, max)?;
        if o.has('a') && !inv.piped_out {
            if n > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}", thread_line(t, i))?;
        }
        render_stack(t, &st, style, inv, out)?;
        if !st.end.is_clean() && matches!(style, Style::WithFp | Style::Plain) {
            notes.push(format!("thread {}: stack walk ended: {}", t.threads[i].index, st.end.describe()));
        }
    }
    for n in notes {
        s.warn(&n);
    }
    Ok(())
}

/// Write a walked stack in one of the stack dcmds' layouts.
fn render_stack(t: &Target, st: &Stack, style: Style, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    if inv.piped_out {
        for f in &st.frames {
            match style {
                Style::WithFp => {
                    if let Some(fp) = f.fp {
                        writeln!(out, "{fp:x}")?;
                    }
                }
                _ => writeln!(out, "{:x}", f.pc)?,
            }
        }
        return Ok(());
    }
    if style == Style::Verbose && inv.print_header() {
        writeln!(out, "{:>3}  {:>16} {:>16} {:>16} {:<8} FUNCTION", "#", "PC", "SP", "FP", "TRUST")?;
    }
    for (i, f) in st.frames.iter().enumerate() {
        let name = frame_name(t, f);
        match style {
            Style::WithFp => writeln!(out, "{} {name}  [{}]", hex_or_unknown(f.fp), f.trust.tag())?,
            Style::Plain | Style::Noted => writeln!(out, "{name}")?,
            Style::Verbose => writeln!(
                out,
                "{i:>3}  {:016x} {:016x} {} {:<8} {name}",
                f.pc,
                f.sp,
                hex_or_unknown(f.fp),
                f.trust.tag()
            )?,
        }
    }
    if matches!(style, Style::Noted | Style::Verbose) {
        let n = st.frames.len();
        match st.end {
            unwind::StopReason::FrameLimit(_) => writeln!(out, "-- {}", st.end.describe())?,
            _ => writeln!(out, "-- {} ({n} frame{})", st.end.describe(), if n == 1 { "" } else { "s" })?,
        }
    }
    Ok(())
}

fn threads(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let t = s.target()?;
    if inv.piped_out {
        for th in &t.threads {
            writeln!(out, "{:x}", th.tid)?;
        }
        return Ok(());
    }
    if inv.print_header() {
        writeln!(out, "   {:>3} {:>8}  TOP FRAME", "#", "TID")?;
    }
    for i in 0..t.threads.len() {
        writeln!(out, "{}", thread_row(t, i, s.thread))?;
    }
    Ok(())
}

fn thread_row(t: &Target, i: usize, selected: usize) -> String {
    let th = &t.threads[i];
    let pc = th.regs.rip();
    let mut l =
        format!("{}  {:>3} {:>8}  {}", if i == selected { '*' } else { ' ' }, th.index, th.tid, code_name(t, pc, pc));
    if i == t.signalled_thread()
        && let Some(si) = t.siginfo().filter(|si| si.signo != 0)
    {
        l.push_str(&format!("  <- signal {}", signal_name(si.signo).0));
    }
    l
}

fn thread(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    let t = s.target()?;
    if t.threads.is_empty() {
        return Err(DcmdError::Failed("the core holds no threads".into()));
    }
    let i = match (inv.addr_given, o.operands.as_slice()) {
        (true, []) => resolve_thread(t, inv.dot).ok_or_else(|| no_thread(t, inv.dot))?,
        (false, [w]) => parse_thread_word(t, w)?,
        (false, []) => s.thread.min(t.threads.len() - 1),
        _ => return Err(DcmdError::Usage("give one thread, as an address or an argument".into())),
    };
    let line = if inv.piped_out { format!("{:x}", t.threads[i].tid) } else { thread_row(t, i, i) };
    s.thread = i;
    writeln!(out, "{line}")?;
    Ok(())
}

fn regs(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "tf")?;
    o.no_operands()?;
    let t = s.target()?;
    let i = selected(s, t, &o)?;
    let th = &t.threads[i];
    match o.value('f') {
        None => render_regs(t, &th.regs, out),
        Some(w) => {
            let n: usize = w.parse().map_err(|_| DcmdError::Usage(format!("bad frame number {w:?}")))?;
            let st = unwind::unwind(t, &th.regs, n.saturating_add(1).min(DEFAULT_MAX_FRAMES));
            let f = st.frames.get(n).ok_or_else(|| {
                DcmdError::Failed(format!("the stack has {} frames ({})", st.frames.len(), st.end.describe()))
            })?;
            render_frame_regs(t, n, f, out)
        }
    }
}

/// mdb's `$r` layout for the registers the core recorded.
pub fn render_regs(t: &Target, r: &Regs, out: &mut dyn Write) -> DcmdResult {
    let g = |n: &str| r.get(n).unwrap_or(0);
    let left = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "", ""];
    let right = ["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
    for (l, rr) in left.iter().zip(right) {
        let lc = if l.is_empty() { String::new() } else { format!("%{l:<3} = 0x{:016x}", g(l)) };
        writeln!(out, "{lc:<32}%{rr:<3} = 0x{:016x}", g(rr))?;
    }
    writeln!(out)?;
    writeln!(out, "%cs = 0x{:04x}    %ds = 0x{:04x}    %es = 0x{:04x}", g("cs"), g("ds"), g("es"))?;
    writeln!(out, "%fs = 0x{:04x}    %gs = 0x{:04x}    %ss = 0x{:04x}", g("fs"), g("gs"), g("ss"))?;
    writeln!(out)?;
    let rip = r.rip();
    writeln!(out, "%rip = 0x{rip:016x} {}", code_name(t, rip, rip))?;
    writeln!(out, "%rbp = 0x{:016x}", r.rbp())?;
    writeln!(out, "%rsp = 0x{:016x}", r.rsp())?;
    writeln!(out)?;
    let fl = g("rflags");
    writeln!(out, "%rflags = 0x{fl:08x}")?;
    let bit = |n: u32| (fl >> n) & 1;
    writeln!(
        out,
        "  id={} vip={} vif={} ac={} vm={} rf={} nt={} iopl={:#x}",
        bit(21),
        bit(20),
        bit(19),
        bit(18),
        bit(17),
        bit(16),
        bit(14),
        (fl >> 12) & 3
    )?;
    let flags = [(11, "of"), (10, "df"), (9, "if"), (8, "tf"), (7, "sf"), (6, "zf"), (4, "af"), (2, "pf"), (0, "cf")];
    let status: Vec<String> =
        flags.iter().map(|(b, n)| if bit(*b) == 1 { n.to_uppercase() } else { n.to_string() }).collect();
    writeln!(out, "  status=<{}>", status.join(","))?;
    writeln!(out)?;
    writeln!(out, "%fsbase = 0x{:016x}", g("fs_base"))?;
    writeln!(out, "%gsbase = 0x{:016x}", g("gs_base"))?;
    writeln!(out, "%orig_rax = 0x{:016x}", g("orig_rax"))?;
    Ok(())
}

/// The registers the unwinder knows in one frame, by DWARF number.
fn render_frame_regs(t: &Target, n: usize, f: &Frame, out: &mut dyn Write) -> DcmdResult {
    writeln!(out, "frame {n}: {}  [{}]", frame_name(t, f), f.trust.tag())?;
    let v = |d: usize| match f.regs[d] {
        Some(x) => format!("0x{x:016x}"),
        None => format!("{:<18}", "?"),
    };
    // The same two columns as $r: rax..rdi beside r8..r15.
    let left: [Option<usize>; 8] = [Some(0), Some(3), Some(2), Some(1), Some(4), Some(5), None, None];
    for (k, l) in left.iter().enumerate() {
        let lc = match l {
            Some(d) => format!("%{:<3} = {}", DWARF_NAMES[*d], v(*d)),
            None => String::new(),
        };
        writeln!(out, "{lc:<32}%{:<3} = {}", DWARF_NAMES[8 + k], v(8 + k))?;
    }
    writeln!(out)?;
    writeln!(out, "%rip = {} {}", v(DW_RIP as usize), frame_name(t, f))?;
    writeln!(out, "%rbp = {}", v(6))?;
    writeln!(out, "%rsp = {}", v(7))?;
    if let Some(cfa) = f.cfa {
        writeln!(out, "cfa  = 0x{cfa:016x}")?;
    }
    Ok(())
}

fn walk_threads(s: &mut Session, _addr: Option<u64>) -> Result<Vec<u64>, DcmdError> {
    Ok(s.target()?.threads.iter().map(|th| u64::from(th.tid)).collect())
}

fn walk_frames(s: &mut Session, addr: Option<u64>) -> Result<Vec<u64>, DcmdError> {
    let t = s.target()?;
    if t.threads.is_empty() {
        return Err(DcmdError::Failed("the core holds no threads".into()));
    }
    let i = match addr {
        Some(v) => resolve_thread(t, v).ok_or_else(|| no_thread(t, v))?,
        None => s.thread.min(t.threads.len() - 1),
    };
    let st = unwind::unwind(t, &t.threads[i].regs, DEFAULT_MAX_FRAMES);
    Ok(st.frames.iter().filter_map(|f| f.fp).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_stripped() {
        assert_eq!(unversioned("pthread_cond_wait@@GLIBC_2.3.2"), "pthread_cond_wait");
        assert_eq!(unversioned("raise"), "raise");
        assert_eq!(unversioned("@odd"), "@odd");
    }
}
