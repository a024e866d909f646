//! Functions, closures and scopes: `::jsfunction`, `::jssource`,
//! `::jsclosure`, `::v8context`, `::v8scopeinfo`.

use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::Session;
use crate::v8::context::{self, ContextVar, SlotValue, MAX_CONTEXT_DEPTH};
use crate::v8::function::{self, BoundFunction, Callable, FunctionInfo};
use crate::v8::script;
use crate::v8::{primitive, Heap, V8Error};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "jsfunction",
        synopsis: ":",
        summary: "print a JS function's name, kind, parameters and where it was defined",
        help: JSFUNCTION_HELP,
        options: &[],
        handler: jsfunction,
    });
    r.add(Dcmd {
        name: "jssource",
        synopsis: ":[-n lines]",
        summary: "print a JS function's source with line numbers",
        help: JSSOURCE_HELP,
        options: &["-n"],
        handler: jssource,
    });
    r.add(Dcmd {
        name: "jsclosure",
        synopsis: ":[-a]",
        summary: "print the variables a JS closure captured",
        help: JSCLOSURE_HELP,
        options: &["-a"],
        handler: jsclosure,
    });
    r.add(Dcmd {
        name: "v8context",
        synopsis: ":",
        summary: "print a V8 Context: its slots, named by its ScopeInfo",
        help: V8CONTEXT_HELP,
        options: &[],
        handler: v8context,
    });
    r.add(Dcmd {
        name: "v8scopeinfo",
        synopsis: ":",
        summary: "print a decoded V8 ScopeInfo",
        help: V8SCOPEINFO_HELP,
        options: &[],
        handler: v8scopeinfo,
    });
}

const JSFUNCTION_HELP: &str = "\
SYNOPSIS
  addr::jsfunction

DESCRIPTION
  Prints what V8 knows about the JSFunction at addr, from its
  SharedFunctionInfo:

    name         its own name; for an anonymous function the name V8
                 inferred from the assignment is shown as
                 `<anonymous> (as Widget.spinAnon)`
    kind         function, arrow, class constructor, method, static method,
                 getter, setter, async function, generator, async
                 generator, ...; then strict or sloppy; `V8 builtin` for
                 functions V8 implements itself (Array.prototype.push),
                 `C++ function (embedder API)` for Node's native methods
                 (process.dlopen)
    defined at   file:line:column of the function's first token (where
                 Function.prototype.toString starts), 1-based as node
                 prints positions
    parameters   the number of declared parameters
    source       the source positions and lines the function spans
    shared info, script, context
                 the addresses of its SharedFunctionInfo, Script and
                 closure context, for ::v8print, ::jsclosure, ::v8context

  For a bound function (f.bind(thisArg, ...args)) it prints the target
  function, the bound `this` and the bound arguments, each with a short
  rendering of its value.

  The line table comes from the Script when V8 computed it, else from the
  Script's source.

  Into a pipe it prints the function's context (for ::v8context,
  ::jsclosure-style digging), or a bound function's target.

OPTIONS
  none

EXAMPLES
  > 0x3d1354d84229::jsfunction
  0x3d1354d84229: function inner
    kind:          function, sloppy
    defined at:    /work/app/closures.js:16:1
    parameters:    2
    source:        positions 738-776, lines 16-16
    shared info:   0x1686c799d3f1
    script:        0x1686c799bbe1
    context:       0x3d1354d84029
    scope info:    0x1686c79a4bd9
  > 0x1686c79a0849::jsfunction
  0x1686c79a0849: function <anonymous> (as Widget.spinAnon)
    inferred name: Widget.spinAnon
    kind:          function, sloppy
    defined at:    /work/app/closures.js:38:29
    ...
  > 0x3d1354d85e31::jsfunction
  0x3d1354d85e31: bound function bound inner
    target:        0x3d1354d84229: function inner
    this:          0x3d1354d85dc1: Object
    arguments:     2
      [0] 0x100000000: 1
      [1] 0x1686c799be39: \"two\"
";

const JSSOURCE_HELP: &str = "\
SYNOPSIS
  addr::jssource [-n lines]

DESCRIPTION
  Prints the source of the JSFunction at addr (for a bound function, of
  its target) from its Script: the file name, then every line the function
  spans, each with its 1-based line number. The function's text runs from
  its first token to its end, as Function.prototype.toString gives it;
  whole lines are printed.

OPTIONS
  -n lines   also print this many lines of context before and after

EXAMPLES
  > 0x3d1354d84229::jssource
  file: /work/app/closures.js
      16 function inner(a, b) { return a + b; }
  > 0x3d1354d88139::jssource -n 1
  file: /work/app/closures.js
      64   const settings = { step: 1 };
      65   return function counter() {
      66     count += settings.step;
      67     ratio = ratio * 2;
      68     return label + count + start + ratio;
      69   };
      70 }
";

const JSCLOSURE_HELP: &str = "\
SYNOPSIS
  addr::jsclosure [-a]

DESCRIPTION
  Prints the variables the JSFunction at addr (or a bound function's
  target; or, given a Context, that context) captured: the
  context-allocated variables of its context, named by the context's
  ScopeInfo, one per line as

    \"name\": ADDR: VALUE

  where ADDR is the tagged value (a Smi's raw word) and VALUE a short
  rendering: a number, a quoted string, `undefined`, `function NAME`, or
  the constructor name of an object (print it with ADDR::jsprint). A
  variable not yet initialized (a `let` before its declaration ran) shows
  as `hole`. In V8 14 (Node 26) a script's top-level `let` lives in a
  ContextCell, which is unwrapped; a number the cell keeps unboxed shows
  the cell's address.

  Only variables some closure uses are context-allocated: the others live
  on the stack while their function runs and are gone afterwards.

  Into a pipe it prints the values' addresses, one per line, so
  `addr::jsclosure | ::jsprint` prints every captured value (numbers a
  ContextCell keeps unboxed are left out).

OPTIONS
  -a   also print the enclosing scopes' variables, outward to the script
       or module scope, each under a line naming the context and its scope

EXAMPLES
  > 0x3d1354d88139::jsclosure
  \"start\": 0x700000000: 7
  \"count\": 0x800000000: 8
  \"label\": 0x1686c79a3af1: \"counter-label\"
  \"ratio\": 0x3d1354d88189: 5
  \"settings\": 0x3d1354d880f9: Object
  > 0x3d1354d88139::jsclosure -a
  context 0x3d1354d880b1 (function scope):
    \"start\": 0x700000000: 7
    ...
  context 0x3d1354d84029 (function scope):
    \"__dirname\": 0x3d1354d83d51: \"/work/app\"
    ...
";

const V8CONTEXT_HELP: &str = "\
SYNOPSIS
  addr::v8context

DESCRIPTION
  Prints the V8 Context at addr (a function's, a block's, the script's,
  the native context): its type and length, its ScopeInfo and previous
  (enclosing) context, then every slot with its index, the name the
  ScopeInfo gives it (the header slots are named scope_info, previous and
  extension) and a short rendering of its value. A ContextCell (V8 14) is
  shown with the value it holds. A native context's slots are listed
  without names.

  Into a pipe it prints every slot's word, one per line.

OPTIONS
  none

EXAMPLES
  > 0x3d1354d880b1::v8context
  0x3d1354d880b1: FUNCTION_CONTEXT_TYPE, 7 slots
    scope info:    0x1686c79a3b11 (function scope)
    previous:      0x3d1354d84029
    [0] scope_info 0x1686c79a3b11: SCOPE_INFO_TYPE
    [1] previous   0x3d1354d84029: FUNCTION_CONTEXT_TYPE
    [2] start      0x700000000: 7
    [3] count      0x800000000: 8
    [4] label      0x1686c79a3af1: \"counter-label\"
    [5] ratio      0x3d1354d88189: 5
    [6] settings   0x3d1354d880f9: Object
";

const V8SCOPEINFO_HELP: &str = "\
SYNOPSIS
  addr::v8scopeinfo

DESCRIPTION
  Decodes the V8 ScopeInfo at addr (a context's slot 0, or a compiled
  function's SharedFunctionInfo name_or_scope_info): the scope type
  (function, script, block, class, catch, eval, module, with), strictness,
  raw flags, the parameter count, the context locals with their context
  slots (names inline below 75 locals, else from a NameToIndexHashTable),
  the function name and its variable, the inferred name, the source
  positions, the outer ScopeInfo, and whether contexts of this scope have
  an extension slot and (V8 14) ContextCells.

  Node 18 to 22 and Node 24 on use different ScopeInfo layouts; both are
  decoded (see docs/v8-layouts.md 2.1).

  Into a pipe it prints the outer ScopeInfo (nothing at the outermost), so
  `addr::v8scopeinfo | ::v8scopeinfo` shows the enclosing scope.

OPTIONS
  none

EXAMPLES
  > 0x1686c79a3b11::v8scopeinfo
  0x1686c79a3b11: ScopeInfo, function scope, sloppy
    flags:            0x4171c2
    parameters:       1
    context locals:   5 (names inline)
      start    slot 2
      count    slot 3
      label    slot 4
      ratio    slot 5
      settings slot 6
    function name:    makeCounter (variable unused, slot -1)
    positions:        2185-2429
    function kind:    function
    outer scope info: 0x1686c799cf51
    extension slot:   no
";

/// Longest rendering of one value on a line.
const SHORT: usize = 80;

/// A short, one-line rendering of a tagged value.
pub fn short_value(h: &Heap, v: u64) -> String {
    match primitive::describe_primitive(h, v) {
        Ok(Some(s)) => return clip(s),
        Ok(None) => {}
        Err(e) => return format!("<{e}>"),
    }
    if function::is_function(h, v) || function::is_bound_function(h, v) {
        return match function::function_name(h, v) {
            Ok(n) => clip(format!("function {n}")),
            Err(e) => format!("function <{e}>"),
        };
    }
    let Ok(t) = h.instance_type(v) else { return "<not a heap object>".into() };
    if h.is_context_type(t) {
        return context::context_type_name(h, t);
    }
    if h.is_js_receiver_type(t)
        && let Ok(n) = crate::v8::object::constructor_name(h, v)
    {
        return clip(n);
    }
    h.type_name(t)
}

fn clip(s: String) -> String {
    if s.chars().count() <= SHORT {
        return s;
    }
    let mut c: String = s.chars().take(SHORT).collect();
    c.push_str("...");
    c
}

fn var_value(h: &Heap, v: &ContextVar) -> String {
    match v.value {
        SlotValue::Tagged(t) => format!("{t:#x}: {}", short_value(h, t)),
        SlotValue::Double(d) => format!("{:#x}: {} (unboxed in ContextCell)", v.raw, primitive::format_number(d)),
        SlotValue::Int32(i) => format!("{:#x}: {i} (unboxed in ContextCell)", v.raw),
    }
}

fn need_addr(inv: &Invocation) -> Result<u64, DcmdError> {
    if !inv.addr_given {
        return Err(DcmdError::Usage("an address is required".into()));
    }
    Ok(inv.dot)
}

/// `file:line:col` of position `pos`, or why not.
pub(crate) fn location(h: &Heap, f: &FunctionInfo) -> String {
    let Some(script) = f.script else { return "(no script)".into() };
    let name = script::script_name(h, script).unwrap_or_default();
    let name = if name.is_empty() { format!("<script {script:#x}>") } else { name };
    match f.source_range().map(|r| r.0) {
        None => format!("{name} (position unknown)"),
        Some(pos) => match script::position_to_line_col(h, script, pos) {
            Ok((l, c)) => format!("{name}:{l}:{c}"),
            Err(e) => format!("{name} (position {pos}: {e})"),
        },
    }
}

fn write_function(h: &Heap, f: &FunctionInfo, out: &mut dyn Write) -> DcmdResult {
    let title = if f.name.is_empty() && !f.inferred.is_empty() {
        format!("<anonymous> (as {})", f.inferred)
    } else {
        f.display_name()
    };
    writeln!(out, "{:#x}: function {title}", f.func)?;
    if !f.inferred.is_empty() {
        writeln!(out, "  inferred name: {}", f.inferred)?;
    }
    let strict = if f.strict { "strict" } else { "sloppy" };
    let kind = if f.api {
        "C++ function (embedder API)".to_string()
    } else if f.builtin {
        format!("{}, {strict}, V8 builtin", f.kind.describe())
    } else {
        format!("{}, {strict}", f.kind.describe())
    };
    writeln!(out, "  kind:          {kind}")?;
    writeln!(out, "  defined at:    {}", location(h, f))?;
    match f.params {
        Some(n) => writeln!(out, "  parameters:    {n}")?,
        None => writeln!(out, "  parameters:    any (not recorded)")?,
    }
    if let (Some((from, e)), Some(script)) = (f.source_range(), f.script) {
        match script::line_ends(h, script) {
            Ok(le) => {
                let (l1, _) = le.line_col(from);
                let (l2, _) = le.line_col((e - 1).max(from));
                writeln!(out, "  source:        positions {from}-{e}, lines {l1}-{l2}")?;
            }
            Err(err) => writeln!(out, "  source:        positions {from}-{e} ({err})")?,
        }
    }
    writeln!(out, "  shared info:   {:#x}", f.shared)?;
    if let Some(s) = f.script {
        writeln!(out, "  script:        {s:#x}")?;
    }
    if let Some(c) = f.context {
        writeln!(out, "  context:       {c:#x}")?;
    }
    if let Some(si) = f.scope_info {
        writeln!(out, "  scope info:    {si:#x}")?;
    } else if let Some(u) = f.uncompiled {
        writeln!(out, "  uncompiled:    {u:#x} (not compiled yet, or its bytecode was flushed)")?;
    }
    Ok(())
}

fn write_bound(h: &Heap, b: &BoundFunction, out: &mut dyn Write) -> DcmdResult {
    let name = function::function_name(h, b.addr).unwrap_or_else(|e| format!("<{e}>"));
    writeln!(out, "{:#x}: bound function {name}", b.addr)?;
    writeln!(out, "  target:        {:#x}: {}", b.target, short_value(h, b.target))?;
    writeln!(out, "  this:          {:#x}: {}", b.this, short_value(h, b.this))?;
    writeln!(out, "  arguments:     {}", b.nargs)?;
    for (i, a) in b.args.iter().enumerate() {
        writeln!(out, "    [{i}] {a:#x}: {}", short_value(h, *a))?;
    }
    if b.nargs > b.args.len() as u64 {
        writeln!(out, "    ... {} more", b.nargs - b.args.len() as u64)?;
    }
    Ok(())
}

fn jsfunction(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let c = function::callable(&h, addr)?;
    if inv.piped_out {
        // Into a pipe: what to look at next.
        match &c {
            Callable::Function(f) => match f.context {
                Some(ctx) => writeln!(out, "{ctx:#x}")?,
                None => return Err(DcmdError::Failed(format!("{addr:#x}: the function has no context"))),
            },
            Callable::Bound(b) => writeln!(out, "{:#x}", b.target)?,
        }
        return Ok(());
    }
    match c {
        Callable::Function(f) => write_function(&h, &f, out),
        Callable::Bound(b) => write_bound(&h, &b, out),
    }
}

/// The JSFunction itself, or a bound function's innermost target.
fn unbound(h: &Heap, addr: u64) -> Result<u64, V8Error> {
    let mut f = addr;
    for _ in 0..MAX_CONTEXT_DEPTH {
        if !function::is_bound_function(h, f) {
            return Ok(f);
        }
        f = function::bound_function(h, f)?.target;
    }
    Err(V8Error::bad(addr, "bound function", "bound too deep"))
}

fn jssource(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "n")?;
    o.no_operands()?;
    let ctx: u32 = match o.value('n') {
        None => 0,
        Some(v) => v.parse().map_err(|_| DcmdError::Usage(format!("-n needs a number of lines, not {v}")))?,
    };
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let f = function::function_info(&h, unbound(&h, addr)?)?;
    let Some(script) = f.script else {
        return Err(DcmdError::Failed(format!("{:#x}: function {} has no script", f.func, f.display_name())));
    };
    let Some((start, end)) = f.source_range() else {
        return Err(DcmdError::Failed(format!("{:#x}: function {} records no source positions", f.func, f.display_name())));
    };
    let src = script::script_source(&h, script)?;
    let ends = script::line_ends(&h, script)?;
    let name = script::script_name(&h, script)?;
    writeln!(out, "file: {}", if name.is_empty() { format!("<script {script:#x}>") } else { name })?;
    for l in script::source_lines(&src, &ends, start, end, ctx) {
        writeln!(out, "{:>6} {}", l.line, l.text)?;
    }
    if src.truncated {
        s.warn(&format!("the script source was cut at {} characters", script::MAX_SOURCE));
    }
    Ok(())
}

fn jsclosure(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "a", "")?;
    o.no_operands()?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let depth = if o.has('a') { MAX_CONTEXT_DEPTH } else { 1 };
    // A context itself is accepted too (what `addr::jsfunction |` gives).
    let scopes = if context::is_context(&h, addr) {
        context::context_scopes(&h, addr, depth)?
    } else {
        context::closure_scopes(&h, unbound(&h, addr)?, depth)?
    };
    for sc in &scopes {
        if o.has('a') && !inv.piped_out {
            writeln!(out, "context {:#x} ({} scope):", sc.context, sc.scope_type.name())?;
        }
        let indent = if o.has('a') { "  " } else { "" };
        for v in &sc.vars {
            if inv.piped_out {
                // The values, for ::jsprint; a number a ContextCell keeps
                // unboxed is not a JS object, so it is left out.
                if let SlotValue::Tagged(t) = v.value {
                    writeln!(out, "{t:#x}")?;
                }
                continue;
            }
            writeln!(out, "{indent}\"{}\": {}", v.name, var_value(&h, v))?;
        }
    }
    Ok(())
}

fn v8context(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let c = context::context(&h, addr)?;
    if inv.piped_out {
        // Every slot's word, for ::jsprint or ::v8context.
        for i in 0..c.length {
            s.check_interrupt()?;
            writeln!(out, "{:#x}", context::context_slot(&h, addr, i)?)?;
        }
        return Ok(());
    }
    writeln!(out, "{:#x}: {}, {} slots", c.addr, c.type_name, c.length)?;
    let si = context::scope_info(&h, c.scope_info);
    match &si {
        Ok(si) => writeln!(out, "  scope info:    {:#x} ({} scope)", c.scope_info, si.scope_type.name())?,
        Err(e) => writeln!(out, "  scope info:    {:#x} ({e})", c.scope_info)?,
    }
    let prev = if context::is_context(&h, c.previous) { String::new() } else { format!(" ({})", short_value(&h, c.previous)) };
    writeln!(out, "  previous:      {:#x}{prev}", c.previous)?;
    let l = &h.v8.layout;
    let native = c.type_name == "NATIVE_CONTEXT_TYPE";
    let mut names: Vec<(u64, String)> = vec![
        (l.context_idx_scope_info.off().map_err(V8Error::from)?, "scope_info".into()),
        (l.context_idx_prev.off().map_err(V8Error::from)?, "previous".into()),
    ];
    if let Ok(si) = &si
        && !native
    {
        if si.has_context_extension_slot {
            names.push((l.context_min_slots.off().map_err(V8Error::from)?, "extension".into()));
        }
        for (i, n) in si.names.iter().enumerate() {
            names.push((si.local_slot(&h, i as u64)?, n.clone()));
        }
    }
    let width = names.iter().map(|(_, n)| n.len()).max().unwrap_or(0).clamp(8, 32);
    for i in 0..c.length {
        s.check_interrupt()?;
        let raw = context::context_slot(&h, addr, i)?;
        let name = names.iter().find(|(k, _)| *k == i).map(|(_, n)| n.as_str()).unwrap_or("");
        let val = match context::unwrap_slot(&h, raw) {
            Ok(SlotValue::Tagged(t)) if t == raw => short_value(&h, raw),
            Ok(SlotValue::Tagged(t)) => format!("ContextCell holding {t:#x}: {}", short_value(&h, t)),
            Ok(SlotValue::Double(d)) => format!("ContextCell holding {}", primitive::format_number(d)),
            Ok(SlotValue::Int32(n)) => format!("ContextCell holding {n}"),
            Err(e) => format!("<{e}>"),
        };
        writeln!(out, "  [{i}] {name:<width$} {raw:#x}: {val}")?;
    }
    Ok(())
}

fn v8scopeinfo(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let si = context::scope_info(&h, addr)?;
    if inv.piped_out {
        // The enclosing scope, to walk outward with ::v8scopeinfo.
        if let Some(o) = si.outer {
            writeln!(out, "{o:#x}")?;
        }
        return Ok(());
    }
    let strict = if si.strict { "strict" } else { "sloppy" };
    writeln!(out, "{:#x}: ScopeInfo, {} scope, {strict}", si.addr, si.scope_type.name())?;
    writeln!(out, "  flags:            {:#x}", si.flags)?;
    writeln!(out, "  parameters:       {}", si.params)?;
    let how = match si.names_table {
        Some(t) => format!("names in NameToIndexHashTable {t:#x}"),
        None => "names inline".into(),
    };
    writeln!(out, "  context locals:   {} ({how})", si.context_local_count)?;
    let width = si.names.iter().map(|n| n.len()).max().unwrap_or(0).clamp(8, 32);
    for (i, n) in si.names.iter().enumerate() {
        writeln!(out, "    {n:<width$} slot {}", si.local_slot(&h, i as u64)?)?;
    }
    match (&si.function_name, si.function_var_slot) {
        (Some(n), Some(slot)) => writeln!(out, "  function name:    {n} (variable {}, slot {slot})", si.function_var.name())?,
        (None, Some(slot)) => writeln!(out, "  function name:    none (variable {}, slot {slot})", si.function_var.name())?,
        _ => writeln!(out, "  function name:    none")?,
    }
    if let Some(n) = &si.inferred_name {
        writeln!(out, "  inferred name:    {n}")?;
    }
    if let Some((a, b)) = si.position {
        writeln!(out, "  positions:        {a}-{b}")?;
    }
    if si.scope_type == context::ScopeType::Function {
        writeln!(out, "  function kind:    {}", function::FunctionKind::from_raw(si.function_kind).describe())?;
    }
    match si.outer {
        Some(o) => writeln!(out, "  outer scope info: {o:#x}")?,
        None => writeln!(out, "  outer scope info: none")?,
    }
    writeln!(out, "  extension slot:   {}", if si.has_context_extension_slot { "yes" } else { "no" })?;
    if si.has_context_cells {
        writeln!(out, "  context cells:    yes")?;
    }
    if si.is_empty {
        writeln!(out, "  empty:            yes")?;
    }
    Ok(())
}
