//! JavaScript stacks: `::jsstack`, `::jsframe` and the `jsframe` walker.
//!
//! The native unwinder walks the thread; [`crate::v8::frames`] says which
//! frames are V8's and decodes the JavaScript ones. Lines read like node's
//! own stack traces (`Widget.spin (/app/w.js:21:12)`), one per frame.

use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry, Walker};
use crate::session::Session;
use crate::target::Target;
use crate::unwind::{self, DEFAULT_MAX_FRAMES, Stack};
use crate::v8::frames::{self, Kind, V8Frame};
use crate::v8::{Heap, function, object, primitive, script};

use super::stack::{frame_name, resolve_thread};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "jsstack",
        synopsis: "?[-av] [-f name] [-n lines] [-t thread | -A]",
        summary: "print the JavaScript and native stack",
        help: JSSTACK_HELP,
        options: &["-a", "-v", "-f", "-n", "-t", "-A"],
        handler: jsstack,
    });
    r.add(Dcmd {
        name: "jsframe",
        synopsis: ":[-v] [-n lines]",
        summary: "print the JavaScript frame at a frame pointer",
        help: JSFRAME_HELP,
        options: &["-v", "-n"],
        handler: jsframe,
    });
    r.add_walker(Walker {
        name: "jsframe",
        summary: "the frame pointers of the JavaScript frames of the selected thread (or of the thread given)",
        walk: walk_jsframes,
    });
}

const JSSTACK_HELP: &str = "\
SYNOPSIS
  ::jsstack [-av] [-f name] [-n lines] [-t thread | -A]
  fp::jsstack [-av] [-f name] [-n lines]

DESCRIPTION
  Prints the selected thread's stack, innermost frame first, one line
  per frame: JavaScript frames as node names them in its own stack
  traces, with the file, line and column,
    js:     Widget.spin (/app/widget.js:21:12)  [fp interpreted]
  and native frames as module`symbol+offset:
    native: node`v8::base::OS::Abort+0x1e  [context]
  The bracket says how the frame was found: the native unwinder's trust
  (context, signal, cfi, fp) and, for V8 frames, the frame type
  (interpreted, baseline, maglev, turbofan, optimized, builtin NAME, and
  builtin exit for a C++ builtin such as JSON.stringify, shown as node
  shows it: `JSON.stringify (<anonymous>)`).

  For interpreted frames the line is the one executing, from the bytecode
  offset and the source position table. For JIT code the frame's Code
  object says the tier (baseline, maglev, turbofan; on-stack-replaced
  loops show as the optimizing tier). A baseline (Sparkplug) frame's line
  is the one executing too: its pc, through the code's bytecode offset
  table and V8's bytecode lengths (read from the binary), gives the
  bytecode offset, then the line. An optimized frame's line is the
  one executing, from the code offset and the code's source position
  table, and the functions inlined into it at that point are shown as
  frames of their own above it, innermost first, as node shows them,
  each marked `inlined` (they share the frame pointer and have no
  receiver or arguments of their own). Where only the function's
  definition is known (code that does not decode) the bracket ends
  with `definition line`. An anonymous top-level function
  shows as its location alone, as node prints it.

  V8's internal frames (entry, exit, stub and construct frames, frames
  that do not decode) are counted, not shown, unless -a is given. A
  deep recursion (a stack overflow holds thousands of frames) shows each
  repeated line three times, then `(N more frames like the one above)`;
  -a and -v show every frame. The walk is bounded (200,000 frames).

  With an address, the walk starts at the frame whose frame pointer it
  is (as $C and -a print them); if no thread has it, the address is
  followed as a frame pointer. A walk that ends other than at the
  outermost frame ends with a line saying why.

OPTIONS
  -a         show every frame, internal ones too, each with its frame
             pointer and V8 frame type
  -A         every thread, each after a `thread N (tid T)` line
  -f NAME    only JavaScript frames of functions named NAME (the
             function's own name or the name node prints)
  -n LINES   source lines shown around the executing line with -v
             (default 2)
  -t THREAD  this thread (a tid, or a number from 1) instead of the
             selected one
  -v         for each JavaScript frame, also `this` and each argument
             (address and short value), the file, and the source around
             the executing line

EXAMPLES
  > ::jsstack
  > ::jsstack -v -n 4
  > ::jsstack -A
  > ::jsstack -f spin -v
";

const JSFRAME_HELP: &str = "\
SYNOPSIS
  fp::jsframe [-v] [-n lines]

DESCRIPTION
  Prints the V8 frame whose frame pointer is fp (as ::jsstack -a and $C
  print them) as ::jsstack prints it: a JavaScript frame's function and
  location, or a typed frame's V8 frame type. When fp is a frame of some
  thread's walked stack, its pc tells the frame's code; otherwise a frame
  holding a BytecodeArray is taken as interpreted. An optimized frame
  prints the functions inlined into it first, innermost first, each
  marked `inlined`, as ::jsstack does.

OPTIONS
  -n LINES   source lines around the executing line with -v (default 2)
  -v         also `this`, the arguments, the file and the source

EXAMPLES
  > ::walk jsframe | ::jsframe
  > 7ffcd08a9ff8::jsframe -v
";

/// How to show each frame.
struct Show {
    all: bool,
    verbose: bool,
    only: Option<String>,
    lines: u32,
}

fn show_opts(o: &Opts) -> Result<Show, DcmdError> {
    let lines = match o.value('n') {
        None => 2,
        Some(w) => w.parse::<u32>().map_err(|_| DcmdError::Usage(format!("bad line count {w:?}")))?.min(1000),
    };
    Ok(Show { all: o.has('a'), verbose: o.has('v'), only: o.value('f').map(str::to_string), lines })
}


fn thread_header(t: &Target, i: usize) -> String {
    let th = &t.threads[i];
    let mut l = format!("thread {} (tid {})", th.index, th.tid);
    if i == t.signalled_thread() && t.siginfo().is_some_and(|si| si.signo != 0) {
        let sig = t.siginfo().map(|si| si.signo).unwrap_or(0);
        l.push_str(&format!(" <- signal {}", crate::corefile::signal_name(sig).0));
    }
    l
}

/// The stack `::jsstack` shows for thread `i` (from frame pointer `fp`
/// when given).
fn walk(t: &Target, i: usize, fp: Option<u64>) -> Stack {
    let Some(fp) = fp else { return unwind::unwind(t, &t.threads[i].regs, DEFAULT_MAX_FRAMES) };
    let order = std::iter::once(i).chain((0..t.threads.len()).filter(|&k| k != i));
    for k in order {
        let mut st = unwind::unwind(t, &t.threads[k].regs, DEFAULT_MAX_FRAMES);
        if let Some(n) = st.frames.iter().position(|f| f.fp == Some(fp)) {
            st.frames.drain(..n);
            return st;
        }
    }
    unwind::unwind_from_frame_pointer(t, fp, DEFAULT_MAX_FRAMES)
}

/// Identical consecutive frames shown before the rest are counted.
const SHOW_REPEATS: usize = 3;

fn jsstack(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "avA", "fnt")?;
    o.no_operands()?;
    if o.has('A') && o.value('t').is_some() {
        return Err(DcmdError::Usage("-A and -t cannot be combined".into()));
    }
    let show = show_opts(&o)?;
    let t = s.target()?;
    if t.threads.is_empty() {
        return Err(DcmdError::Failed("the core holds no threads".into()));
    }
    let which: Vec<usize> = if o.has('A') {
        (0..t.threads.len()).collect()
    } else {
        match o.value('t') {
            Some(w) => vec![super::stack::parse_thread_word(t, w)?],
            None => vec![s.thread.min(t.threads.len() - 1)],
        }
    };
    let fp = inv.addr_given.then_some(inv.dot);
    for (n, &i) in which.iter().enumerate() {
        s.check_interrupt()?;
        let h = s.heap()?;
        let st = walk(h.t, i, fp);
        if o.has('A') && !inv.piped_out {
            if n > 0 {
                writeln!(out)?;
            }
            writeln!(out, "{}", thread_header(h.t, i))?;
        }
        let decoded = frames::decode_stack(&h, &st.frames);
        render(&h, &decoded, &show, inv, out)?;
        if !st.end.is_clean() && !inv.piped_out {
            writeln!(out, "-- stack walk ended early: {}", st.end.describe())?;
        }
    }
    Ok(())
}

/// Is this frame one of V8's internal ones (hidden without -a)?
fn is_internal(f: &V8Frame) -> bool {
    matches!(f.kind, Kind::Typed(_) | Kind::Unknown(_))
}

fn trust_label(f: &V8Frame) -> String {
    let mut l = match f.kind {
        Kind::Native => f.frame.trust.tag().to_string(),
        _ => format!("{} {}", f.frame.trust.tag(), f.kind.label()),
    };
    if f.js.as_ref().is_some_and(|j| j.is_inlined) {
        l.push_str(", inlined");
    }
    if f.js.as_ref().and_then(|j| j.position.as_ref()).is_some_and(|p| !p.executing) {
        l.push_str(", definition line");
    }
    l
}

/// The name and location of a JS frame, as node prints them.
fn js_text(h: &Heap, frames: &[V8Frame], i: usize) -> Option<(String, String)> {
    let js = frames[i].js.as_ref()?;
    let name = frames::node_name(h, js, frames::is_construct_call(frames, i));
    Some((name, frames::location(js)))
}

fn render(h: &Heap, frames: &[V8Frame], show: &Show, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    if inv.piped_out {
        // One frame pointer per physical frame: inlined frames share it.
        for f in frames.iter().filter(|f| f.js.as_ref().is_some_and(|j| !j.is_inlined)) {
            writeln!(out, "{:x}", f.fp())?;
        }
        return Ok(());
    }
    let mut hidden = 0usize;
    let flush = |hidden: &mut usize, out: &mut dyn Write| -> DcmdResult {
        if *hidden > 0 {
            writeln!(out, "        ({} internal frame{})", hidden, if *hidden == 1 { "" } else { "s" })?;
            *hidden = 0;
        }
        Ok(())
    };
    // A deep recursion prints each distinct line a few times, then a
    // count (not with -a or -v, which show every frame).
    let collapse = !show.all && !show.verbose;
    let mut last = String::new();
    let (mut same, mut skipped) = (0usize, 0usize);
    let flush_repeats = |skipped: &mut usize, out: &mut dyn Write| -> DcmdResult {
        if *skipped > 0 {
            writeln!(out, "        ({} more frame{} like the one above)", skipped, if *skipped == 1 { "" } else { "s" })?;
            *skipped = 0;
        }
        Ok(())
    };
    for i in 0..frames.len() {
        let f = &frames[i];
        let js = js_text(h, frames, i);
        if let Some(want) = &show.only {
            let keep = js.as_ref().is_some_and(|(n, _)| n == want)
                || f.js.as_ref().is_some_and(|j| &j.info.name == want || &frames::debug_name(h, &j.info) == want);
            if !keep {
                continue;
            }
        }
        if is_internal(f) && !show.all {
            hidden += 1;
            continue;
        }
        let prefix = if show.all { format!("{:016x} ", f.fp()) } else { String::new() };
        let line = match (&js, &f.kind) {
            (Some((name, loc)), _) if name.is_empty() => format!("js:     {loc}"),
            (Some((name, loc)), _) => format!("js:     {name} ({loc})"),
            (None, Kind::Typed(ty)) => format!("v8:     <{ty}> {}", frame_name(h.t, &f.frame)),
            (None, Kind::Unknown(why)) => format!("v8:     <unknown: {why}> {}", frame_name(h.t, &f.frame)),
            (None, _) => format!("native: {}", frame_name(h.t, &f.frame)),
        };
        let line = format!("{prefix}{line}  [{}]", trust_label(f));
        if collapse && hidden == 0 && line == last {
            same += 1;
            if same >= SHOW_REPEATS {
                skipped += 1;
                continue;
            }
        } else {
            flush_repeats(&mut skipped, out)?;
            same = 0;
        }
        if show.only.is_none() {
            flush(&mut hidden, out)?;
        }
        writeln!(out, "{line}")?;
        last = line;
        if show.verbose {
            if let Some(j) = &f.js {
                verbose(h, j, show.lines, out)?;
            }
        }
    }
    flush_repeats(&mut skipped, out)?;
    flush(&mut hidden, out)?;
    Ok(())
}

/// A short typed rendering of a value: `"str"`, `14`, `Object: Foo`,
/// `function inner`.
pub fn short_value(h: &Heap, v: u64) -> String {
    if let Ok(Some(p)) = primitive::describe_primitive(h, v) {
        return p;
    }
    if !h.is_heap_object(v) {
        return "?".into();
    }
    let Ok(t) = h.instance_type(v) else { return "(unreadable)".into() };
    if function::is_function_type(h, t) {
        return match function::function_name(h, v) {
            Ok(n) => format!("function {n}"),
            Err(_) => "function".into(),
        };
    }
    if h.is_js_receiver_type(t) {
        return match object::constructor_name(h, v) {
            Ok(n) if !n.is_empty() => format!("Object: {n}"),
            _ => "Object".into(),
        };
    }
    h.type_name(t)
}

fn verbose(h: &Heap, j: &frames::JsFrame, lines: u32, out: &mut dyn Write) -> DcmdResult {
    let pad = "          ";
    if j.is_inlined {
        // No JSFunction, receiver or arguments of its own on the stack.
        if let Some(note) = &j.note {
            writeln!(out, "{pad}note: {note}")?;
        }
    } else {
        writeln!(out, "{pad}function: {:x}", j.function)?;
    }
    if let Some(c) = j.code {
        writeln!(out, "{pad}code: {c:x}")?;
    }
    if j.is_inlined {
        writeln!(out, "{pad}file: {}", if j.file.is_empty() { "(none)" } else { &j.file })?;
        return source_excerpt(h, j, lines, out);
    }
    match j.receiver {
        Some(r) => writeln!(out, "{pad}this: {r:x} {}", short_value(h, r))?,
        None => writeln!(out, "{pad}this: (unreadable)")?,
    }
    for (k, a) in j.args.iter().enumerate() {
        writeln!(out, "{pad}arg{k}: {a:x} {}", short_value(h, *a))?;
    }
    if let Some(n) = j.argc {
        if n > j.args.len() as u64 {
            writeln!(out, "{pad}({} more arguments not shown)", n - j.args.len() as u64)?;
        }
    }
    if let (Some(b), Some(o)) = (j.bytecode, j.bytecode_offset) {
        writeln!(out, "{pad}bytecode: {b:x} offset {o}")?;
    }
    if let Some(note) = &j.note {
        writeln!(out, "{pad}note: {note}")?;
    }
    writeln!(out, "{pad}file: {}", if j.file.is_empty() { "(none)" } else { &j.file })?;
    source_excerpt(h, j, lines, out)
}

fn source_excerpt(h: &Heap, j: &frames::JsFrame, lines: u32, out: &mut dyn Write) -> DcmdResult {
    let pad = "          ";
    let (Some(s), Some(p)) = (j.script, &j.position) else { return Ok(()) };
    let (Ok(src), Ok(ends)) = (script::script_source(h, s), script::line_ends(h, s)) else { return Ok(()) };
    for l in script::source_lines(&src, &ends, p.offset, p.offset + 1, lines) {
        let mark = if l.line == p.line { ">" } else { " " };
        writeln!(out, "{pad}{mark} {:>5}  {}", l.line, l.text)?;
    }
    Ok(())
}

/// The pc in the frame whose frame pointer is `fp`, from any thread's
/// walked stack.
/// The walked frame whose frame pointer is `fp`, in any thread: its pc,
/// and whether that pc is exact or a return address, tell the frame's code.
fn frame_for_fp(t: &Target, fp: u64) -> Option<unwind::Frame> {
    t.threads.iter().find_map(|th| unwind::unwind(t, &th.regs, DEFAULT_MAX_FRAMES).frames.into_iter().find(|f| f.fp == Some(fp)))
}

fn jsframe(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "n")?;
    o.no_operands()?;
    if !inv.addr_given {
        return Err(DcmdError::Usage("::jsframe needs a frame pointer: fp::jsframe".into()));
    }
    let show = show_opts(&o)?;
    let h = s.heap()?;
    let fp = inv.dot;
    // An optimized frame prints the functions inlined into it first, as
    // ::jsstack does.
    let v = match frame_for_fp(h.t, fp) {
        Some(f) => frames::classify(&h, &f),
        None => frames::frame_at(&h, fp),
    };
    let all = frames::expand_inlined(v);
    for i in 0..all.len() {
        let f = &all[i];
        match (js_text(&h, &all, i), &f.kind) {
            (Some((n, loc)), _) if n.is_empty() => writeln!(out, "{fp:016x} js:     {loc}  [{}]", trust_label(f))?,
            (Some((n, loc)), _) => writeln!(out, "{fp:016x} js:     {n} ({loc})  [{}]", trust_label(f))?,
            (None, Kind::Typed(ty)) => writeln!(out, "{fp:016x} v8:     <{ty}>")?,
            (None, Kind::Unknown(why)) => return Err(DcmdError::Failed(format!("{fp:#x} is not a V8 frame: {why}"))),
            (None, _) => writeln!(out, "{fp:016x} native")?,
        }
        if show.verbose {
            if let Some(j) = &f.js {
                verbose(&h, j, show.lines, out)?;
            }
        }
    }
    Ok(())
}

fn walk_jsframes(s: &mut Session, addr: Option<u64>) -> Result<Vec<u64>, DcmdError> {
    let h = s.heap()?;
    let t = h.t;
    if t.threads.is_empty() {
        return Err(DcmdError::Failed("the core holds no threads".into()));
    }
    let i = match addr {
        Some(v) => resolve_thread(t, v)
            .ok_or_else(|| DcmdError::Failed(format!("no thread has tid {v}, and there are {} threads", t.threads.len())))?,
        None => s.thread.min(t.threads.len() - 1),
    };
    let st = unwind::unwind(t, &t.threads[i].regs, DEFAULT_MAX_FRAMES);
    Ok(frames::decode_stack(&h, &st.frames)
        .iter()
        .filter(|f| f.js.as_ref().is_some_and(|j| !j.is_inlined))
        .map(|f| f.fp())
        .collect())
}
