//! Who holds an object: `::jsfindrefs`, `::jsretainers` (over the
//! reverse-reference index, built once per session from the heap scan),
//! `::v8whatis` (the object containing an address) and `::jsfunctions`
//! (function definitions and their closures).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::{INTERRUPTED, Session};
use crate::v8::refs::{self, Edge, RefIndex, Root, Slot};
use crate::v8::scan::{Findings, ScanError};
use crate::v8::Heap;

/// The session cache slot holding the index.
const CACHE_KEY: &str = "jsfindrefs";

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "jsfindrefs",
        synopsis: "?[-v] [-l depth] [-n name | -s string]",
        summary: "find the objects that refer to an object (its holders)",
        help: JSFINDREFS_HELP,
        options: &["-v", "-l", "-n", "-s"],
        handler: jsfindrefs,
    });
    r.add(Dcmd {
        name: "jsretainers",
        synopsis: ":[-v] [-n count] [-d maxdepth]",
        summary: "print the shortest reference chains from a GC root to an object",
        help: JSRETAINERS_HELP,
        options: &["-v", "-n", "-d"],
        handler: jsretainers,
    });
    r.add(Dcmd {
        name: "v8whatis",
        synopsis: ":",
        summary: "find the V8 heap object containing an address",
        help: V8WHATIS_HELP,
        options: &[],
        handler: v8whatis,
    });
    r.add(Dcmd {
        name: "jsfunctions",
        synopsis: "?[-l] [-s file] [-n name] [-x addr]",
        summary: "list JS function definitions with their closure counts",
        help: JSFUNCTIONS_HELP,
        options: &["-l", "-s", "-n", "-x"],
        handler: jsfunctions,
    });
}

const JSFINDREFS_HELP: &str = "\
SYNOPSIS
  addr::jsfindrefs [-v] [-l depth]
  ::jsfindrefs -n name
  ::jsfindrefs -s string

DESCRIPTION
  Prints the holders of the object at addr: every object that refers to
  it, with the slot through which it does:

    HOLDER           TYPE             SLOT
    54844679e41      Session          Session.user
    54844679f89      Array            (Array)[3]
    5484467a3d1      Context          Context.user

  Slots are named the way a JS programmer sees them: named properties
  (`Session.user`, `global.sessions`, getters and setters), elements
  (`(Array)[3]`, holey and dictionary elements too), closure variables
  (`Context.count`, named by the context's ScopeInfo; a closure refers to
  its context by `(Function).context`), bound functions
  (`(BoundFunction).target`, `.this`, `.args[i]`), Map and Set entries
  (`Map entry key`, `Map entry value`, `Set entry`, `WeakMap entry
  value`), proxies, promise results, and the parts of cons, sliced and
  thin strings (`(ConsString).first`, `(SlicedString).parent`,
  `(ThinString).actual`). Backing stores (property arrays, elements,
  hash tables) are looked through: the holder is the JS object.

  What async code keeps alive is indexed too: a pending promise holds
  what runs when it settles (`(Promise).reaction.onFulfilled`,
  `.onRejected`, the promise they settle `.promise`, and on Node 24+ the
  AsyncLocalStorage context `.asyncContext`); a suspended async function
  or generator holds its function, context, `this` and the values of its
  saved frame (`(Generator).registers[i]`: parameters first, then locals
  and temporaries); context slots the scope does not name, such as those
  of the contexts V8's builtins make (a promise's resolve functions hold
  their promise in one), are `(Context)[i]`.

  The first use in a session scans the heap (as ::findjsobjects does) and
  builds a reverse-reference index from every live object's references;
  later queries are binary searches. In an interactive session the index
  is built in the background as soon as ::findjsobjects has printed its
  table; a query that comes before it is done waits for it. References to oddballs (undefined,
  null, booleans, the hole), HeapNumbers and maps are not indexed, nor
  references from V8's internal objects (code, feedback, descriptor
  arrays) that no JS object leads to.

  With -l depth, the holders of each holder are printed too, indented,
  depth levels deep (cycles are cut: an object already printed is shown
  with `(again)`).

  ::jsfindrefs -n name prints the objects that have an own property
  called name (from ::findjsobjects' groups and the index), with the
  slot. ::jsfindrefs -s string prints the holders of every string whose
  content is exactly string.

  Into a pipe, only the holders' addresses are printed.

OPTIONS
  -l depth   also print holders of holders, depth levels deep
  -n name    objects with a property of this name
  -s string  holders of strings with this content
  -v         also print what the object is and the index's statistics

EXAMPLES
  (on the refs test fixture's core)
  > 54844679c99::jsfindrefs
  HOLDER           TYPE             SLOT
  54844679e41      Session          Session.user
  54844679f89      Array            (Array)[3]
  54844679fa9      Array            (Array)[7]
  5484467a0b9      Array            (Array)[100000]
  5484467a169      Object           Object.jmdbUniqueRefProp
  5484467a1b9      Object           Object.jmdbDictProp
  5484467a209      Object           Object.jmdbOutProp
  5484467a3d1      Context          Context.user
  5484467a461      BoundFunction    (BoundFunction).args[1]
  5484467a461      BoundFunction    (BoundFunction).this
  5484467a491      Set              Set entry
  > 54844679c99::jsfindrefs -l 2 ! head -5
  HOLDER           TYPE             SLOT
  54844679e41      Session          Session.user
    54844679d89      Map              Map entry value
  54844679f89      Array            (Array)[3]
    5484467a5c1      Object           Object.arr
  > ::jsfindrefs -n jmdbUniqueRefProp
  HOLDER           TYPE             SLOT
  5484467a169      Object           Object.jmdbUniqueRefProp
  > ::jsfindrefs -s refs-needle-content
  HOLDER           TYPE             SLOT
  5484467a7c9      Object           Object.needle
  > 54844679c99::jsfindrefs | ::jsprint
";

const JSRETAINERS_HELP: &str = "\
SYNOPSIS
  addr::jsretainers [-v] [-n count] [-d maxdepth]

DESCRIPTION
  Prints the shortest chains of references from a GC root to the object
  at addr, root first, one chain per line:

    global.sessions -> Map entry value -> Session.user

  Each step is the slot through which one object holds the next (as
  ::jsfindrefs names slots). The roots are the global object (and its
  global proxy), script contexts (a script's top-level let and const),
  and every object a word of a thread's live stack points at (shown as
  `[stack of thread N]`: locals, arguments and `this` of the frames, and
  whatever native code keeps there), and in a Node.js process the JS
  objects of its libuv handles and requests, which native code holds
  (shown as `[node handle]`, as ::nodehandles lists them).

  The search goes breadth first backwards over the reverse-reference
  index (see ::jsfindrefs), so the first chains found are the shortest;
  several chains end at different roots. A stack word names nothing (the
  object it points at is often the very collection that leaks, which
  the program also keeps in a variable), so the search goes on past the
  objects the stack points at: the shortest chain from a stack is printed
  only while fewer than count chains from other roots were found. It is
  bounded by maxdepth references and by a million objects visited, and
  is safe on cycles.
  Other references from native memory (other persistent handles, V8's
  handle scopes) are not indexed: an object only they hold has no chain.

  Into a pipe, the roots' addresses are printed.

OPTIONS
  -d maxdepth  longest chain looked for (default 32)
  -n count     most chains printed (default 3)
  -v           print each step on its own line with the holder's address

EXAMPLES
  > 54844679d29::jsretainers
  global.sessions -> Map entry value -> Session.user
  > 54844679d29::jsretainers -v
    31a5720be1d9     global           global.sessions
    54844679d89      Map              Map entry value
    54844679ef1      Session          Session.user
    54844679d29      User
";

const V8WHATIS_HELP: &str = "\
SYNOPSIS
  addr::v8whatis

DESCRIPTION
  Finds the V8 heap object that contains addr, which may point anywhere
  inside it, and prints where it starts and what it is:

    54844679ca9 is 54844679c99+0x10, a JS_OBJECT_TYPE (User), 96 bytes

  The offset is from the object's tagged address (the one other dcmds
  take). The page holding addr is walked from its first object, the way
  the heap scan walks it (an address in a large object is found from the
  page its object starts on). An object of unknown size is taken to run
  to the next object. Then what the header of its page says, when it
  says something: in the young generation; on an old page pending sweep,
  marked or left unmarked (dead) by the last full GC; on a page V8
  released (dead). Into a pipe, the object's tagged address is printed.

EXAMPLES
  > 54844679ca9::v8whatis
  54844679ca9 is 54844679c99+0x10, a JS_OBJECT_TYPE (User), 96 bytes
  > 54844679ca9::v8whatis | ::jsprint
";

const JSFUNCTIONS_HELP: &str = "\
SYNOPSIS
  ::jsfunctions [-l] [-s file] [-n name] [-x addr]

DESCRIPTION
  Lists the JS function definitions (SharedFunctionInfos) that the heap's
  closures (JSFunctions found by the heap scan) come from, one row per
  definition, with the number of closures:

    FUNC             #FUNCS NAME                           FROM
    5484467a401           1 touch                          /x/refs.js line 35

  FUNC is one of the closures (the lowest address). FROM is the script
  and the line where the definition starts. Rows are sorted by file, then
  line. -l lists every closure's address under its row. Into a pipe, the
  FUNC addresses (with -l, every closure) are printed.

OPTIONS
  -l       list every closure of each definition
  -n name  only definitions of this name
  -s file  only definitions in files whose path contains file
  -x addr  only the definition of the closure, SharedFunctionInfo or
           heap object containing addr (a closure or SFI pointer, or any
           address inside one)

EXAMPLES
  > ::jsfunctions -s refs.js ! head -4
  FUNC             #FUNCS NAME                           FROM
  548446778b9           1 <anonymous>                    /x/refs.js line 1
  54844679a01           1 dyn                            /x/refs.js line 20
  54844679a39           1 User                           /x/refs.js line 23
  > ::jsfunctions -n touch -l
  FUNC             #FUNCS NAME                           FROM
  5484467a401           1 touch                          /x/refs.js line 35
    5484467a401
  > ::jsfunctions -x 5484467a401
";

/// The session's index, built on first use (with the scan it needs), or
/// taken from the build an interactive scan started in the background.
pub(crate) fn index(s: &mut Session) -> Result<(Arc<Findings>, Arc<RefIndex>), DcmdError> {
    let (f, _) = super::findjsobjects::findings(s, false)?;
    if let Some(ix) = s.cache.get(CACHE_KEY).and_then(|b| b.downcast_ref::<Arc<RefIndex>>()) {
        return Ok((f, ix.clone()));
    }
    let t0 = Instant::now();
    let built = match s.cache.remove(CACHE_KEY_BG).and_then(|b| b.downcast::<Background>().ok()) {
        Some(bg) => {
            // Wait for it; Ctrl-C stops the wait, not the build.
            while bg.handle.as_ref().is_some_and(|h| !h.is_finished()) {
                if s.check_interrupt().is_err() {
                    s.cache.insert(CACHE_KEY_BG, bg);
                    return Err(DcmdError::Interrupted);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let mut bg = bg;
            bg.handle.take().and_then(|h| h.join().ok()).and_then(|r| r.ok())
        }
        None => None,
    };
    let mut ix = match built {
        Some(ix) => ix,
        None => {
            let h = s.heap()?;
            let stop = || INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed);
            refs::build(&h, &f, &stop).map_err(|e| match e {
                ScanError::Interrupted => DcmdError::Interrupted,
                ScanError::V8(e) => e.into(),
            })?
        }
    };
    // Node's libuv handles and requests hold their JS objects through
    // persistent handles: roots too (none when this is not Node).
    ix.add_roots(super::node::wrap_objects(s).into_iter().map(|o| (o, Root::Handle)));
    if t0.elapsed().as_secs_f64() > 1.0 {
        s.warn(&format!("jsfindrefs: indexed {} references in {:.1} s", ix.len(), t0.elapsed().as_secs_f64()));
    }
    let ix = Arc::new(ix);
    s.cache.insert(CACHE_KEY, Box::new(ix.clone()));
    Ok((f, ix))
}

/// The cache slot of an index being built in the background.
const CACHE_KEY_BG: &str = "jsfindrefs-background";

/// An index build on its own thread. Dropping it (the session ends) asks
/// the build to stop; it is not waited for.
struct Background {
    handle: Option<std::thread::JoinHandle<Result<RefIndex, ScanError>>>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Background {
    fn drop(&mut self) {
        self.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// After a scan in an interactive session, start building the reference
/// index in the background: the user reads the table meanwhile, and the
/// first `::jsfindrefs` or `::jsretainers` answers at once instead of
/// building it then (seconds on a heap of millions of objects). Only for
/// cores: a live process is read through ptrace, from its tracer thread.
pub(crate) fn start_background(s: &mut Session, f: Arc<Findings>) {
    if !s.interactive || s.cache.contains_key(CACHE_KEY) || s.cache.contains_key(CACHE_KEY_BG) {
        return;
    }
    let Ok((t, v8)) = s.shared() else { return };
    if t.is_live() {
        return;
    }
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let c = cancel.clone();
    let spawned = std::thread::Builder::new().name("jmdb-refindex".into()).spawn(move || {
        let h = Heap::new(&t, &v8);
        refs::build(&h, &f, &|| c.load(std::sync::atomic::Ordering::Relaxed))
    });
    if let Ok(handle) = spawned {
        s.cache.insert(CACHE_KEY_BG, Box::new(Background { handle: Some(handle), cancel }));
    }
}

/// What a holder is called in slot labels: its constructor (`Session`),
/// `global` for the global object, else its kind (`Context`, `ConsString`,
/// an instance type).
fn holder_name(h: &Heap, f: &Findings, a: u64) -> String {
    let t = h.instance_type(a).ok();
    let ty = |n: &str| h.v8.types.num(n);
    if t.is_some() && (t == ty("JS_GLOBAL_OBJECT_TYPE") || t == ty("JS_GLOBAL_PROXY_TYPE")) {
        return "global".into();
    }
    let Some(t) = t else { return "?".into() };
    if h.v8.types.is(t, "JS_BOUND_FUNCTION_TYPE") {
        return "BoundFunction".into();
    }
    if let Some(g) = f.group(a) {
        return g.constructor.clone();
    }
    if h.is_context_type(t) {
        return "Context".into();
    }
    if h.is_string_type(t) {
        return match h.string_kind(t) {
            Ok((crate::v8::heap::StrRepr::Cons, _)) => "ConsString",
            Ok((crate::v8::heap::StrRepr::Sliced, _)) => "SlicedString",
            Ok((crate::v8::heap::StrRepr::Thin, _)) => "ThinString",
            _ => "String",
        }
        .into();
    }
    if h.v8.types.is(t, "FIXED_ARRAY_TYPE") {
        return "FixedArray".into();
    }
    crate::v8::function::type_name(h, t)
}

fn label(h: &Heap, f: &Findings, ix: &RefIndex, e: &Edge) -> String {
    let slot = ix.slot(e);
    let name = match slot {
        Slot::Prop(_) | Slot::Getter(_) | Slot::Setter(_) | Slot::Elem(_) | Slot::ArrayIndex(_) => holder_name(h, f, e.holder),
        _ => String::new(),
    };
    ix.label(slot, &name)
}

fn parse_num(o: &Opts, c: char, default: usize) -> Result<usize, DcmdError> {
    match o.value(c) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| DcmdError::Usage(format!("-{c} wants a number, not {v:?}"))),
    }
}

/// Most holders printed for one object at each level of -l.
const MAX_HOLDERS: usize = 100_000;

fn jsfindrefs(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "lns")?;
    o.no_operands()?;
    let name = o.value('n').map(str::to_string);
    let string = o.value('s').map(str::to_string);
    if name.is_some() && string.is_some() {
        return Err(DcmdError::Usage("-n and -s cannot be used together".into()));
    }
    if inv.addr_given == (name.is_some() || string.is_some()) {
        return Err(DcmdError::Usage("give an address, or -n name, or -s string".into()));
    }
    let depth = parse_num(&o, 'l', 1)?.max(1);
    let (f, ix) = index(s)?;
    let h = s.heap()?;
    if o.has('v') && inv.print_header() {
        let st = &ix.stats;
        writeln!(
            out,
            "jsfindrefs: index of {} references from {} JS objects, {} contexts and arrays and {} strings ({} rounds, built in {:.3} s)",
            st.edges,
            st.js_objects,
            st.other_holders,
            st.strings,
            st.rounds,
            st.elapsed.as_secs_f64()
        )?;
    }
    let header = |out: &mut dyn Write| -> DcmdResult {
        if inv.print_header() {
            writeln!(out, "{:<16} {:<16} SLOT", "HOLDER", "TYPE")?;
        }
        Ok(())
    };
    if let Some(n) = name {
        // Objects with the property, whatever its value (Smis are not indexed).
        let mut rows: Vec<(u64, String)> = Vec::new();
        for g in f.groups.iter().filter(|g| g.props.iter().any(|p| *p == n)) {
            for m in &g.members {
                rows.push((*m, format!("{}.{n}", g.constructor)));
            }
        }
        // The global object's properties (its group does not list them).
        let globals = h.v8.types.num("JS_GLOBAL_OBJECT_TYPE");
        for (g, _) in ix.roots.iter().filter(|(a, r)| *r == Root::Global && h.instance_type(*a).ok() == globals) {
            if let Ok(ps) = crate::v8::object::properties(&h, *g, crate::v8::object::MAX_PROPERTIES) {
                if ps.list.iter().any(|p| p.name == n) {
                    rows.push((*g, format!("global.{n}")));
                }
            }
        }
        rows.sort();
        rows.dedup_by_key(|r| r.0);
        if rows.is_empty() {
            return Err(DcmdError::Failed(format!("no object has a property named {n}")));
        }
        header(out)?;
        for (a, l) in rows {
            if inv.piped_out {
                writeln!(out, "{a:x}")?;
            } else {
                writeln!(out, "{a:<16x} {:<16} {l}", holder_name(&h, &f, a))?;
            }
        }
        return Ok(());
    }
    if let Some(want) = string {
        let n16 = want.encode_utf16().count() as u64;
        let mut strings: Vec<u64> = ix
            .par_targets()
            .filter(|&t| {
                h.instance_type(t).is_ok_and(|ty| h.is_string_type(ty))
                    && crate::v8::string::string_length(&h, t).is_ok_and(|l| l == n16)
                    && crate::v8::string::read_string(&h, t, want.len() + 1).is_ok_and(|s| s.text == want)
            })
            .collect();
        strings.sort();
        if strings.is_empty() {
            return Err(DcmdError::Failed(format!("no indexed string is {}", crate::v8::string::js_quote(&want))));
        }
        header(out)?;
        for t in strings {
            print_holders(&h, &f, &ix, t, 1, 0, &mut HashSet::new(), inv.piped_out, out)?;
        }
        return Ok(());
    }
    refs_of(s, inv.dot, depth, o.has('v'), inv, out)
}

/// Print the holders of `addr` (what `addr::jsfindrefs` and
/// `::findjsobjects -r` print).
pub(crate) fn refs_of(s: &mut Session, addr: u64, depth: usize, verbose: bool, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let (f, ix) = index(s)?;
    let h = s.heap()?;
    if verbose && !inv.piped_out {
        let what = if f.group(addr).is_some() || h.is_heap_object(addr) { holder_name(&h, &f, addr) } else { "not a heap object".into() };
        writeln!(out, "{addr:x}: {what}, {} holders", ix.holder_addrs(addr).len())?;
    }
    if ix.holder_addrs(addr).is_empty() {
        if let Some(r) = ix.root(addr) {
            s.warn(&format!("{addr:x} has no indexed holders; it is a root ({})", root_name(r)));
        } else {
            s.warn(&format!("{addr:x}: no indexed object refers to it"));
        }
        return Ok(());
    }
    if inv.print_header() {
        writeln!(out, "{:<16} {:<16} SLOT", "HOLDER", "TYPE")?;
    }
    let mut seen = HashSet::from([addr]);
    print_holders(&h, &f, &ix, addr, depth, 0, &mut seen, inv.piped_out, out)
}

#[allow(clippy::too_many_arguments)]
fn print_holders(h: &Heap, f: &Findings, ix: &RefIndex, addr: u64, depth: usize, level: usize, seen: &mut HashSet<u64>, piped: bool, out: &mut dyn Write) -> DcmdResult {
    for e in ix.holders(h, addr).iter().take(MAX_HOLDERS) {
        let again = !seen.insert(e.holder);
        if piped {
            if !again {
                writeln!(out, "{:x}", e.holder)?;
            }
        } else {
            let indent = "  ".repeat(level);
            // "(again)": its holders are printed elsewhere (only with -l).
            let mark = if again && depth > 1 { " (again)" } else { "" };
            writeln!(out, "{indent}{:<16x} {:<16} {}{mark}", e.holder, holder_name(h, f, e.holder), label(h, f, ix, e))?;
        }
        if !again && level + 1 < depth {
            print_holders(h, f, ix, e.holder, depth, level + 1, seen, piped, out)?;
        }
    }
    Ok(())
}

fn root_name(r: Root) -> String {
    match r {
        Root::Global => "the global object".into(),
        Root::ScriptContext => "a script context".into(),
        Root::Stack(n) => format!("stack of thread {n}"),
        Root::Handle => "held by a Node.js handle or request (native code)".into(),
    }
}

fn jsretainers(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "nd")?;
    o.no_operands()?;
    if !inv.addr_given {
        return Err(DcmdError::Usage("an address is required".into()));
    }
    let count = parse_num(&o, 'n', 3)?.max(1);
    let maxdepth = parse_num(&o, 'd', 32)?.max(1);
    let (f, ix) = index(s)?;
    let h = s.heap()?;
    let addr = inv.dot;
    let paths = ix.retainers(&h, addr, count, maxdepth, 1_000_000);
    if paths.is_empty() {
        return Err(DcmdError::Failed(format!("{addr:x}: no chain of references from a root within {maxdepth} steps")));
    }
    for (root, path) in paths {
        let root_addr = path.first().map(|e| e.holder).unwrap_or(addr);
        if inv.piped_out {
            writeln!(out, "{root_addr:x}")?;
            continue;
        }
        let prefix = match root {
            Root::Stack(n) => Some(format!("[stack of thread {n}]")),
            Root::Handle => Some("[node handle]".into()),
            _ => None,
        };
        if path.is_empty() {
            writeln!(out, "{addr:x} is a root: {}", root_name(root))?;
            continue;
        }
        if o.has('v') {
            if let Some(p) = &prefix {
                writeln!(out, "{p}")?;
            }
            for e in &path {
                writeln!(out, "  {:<16x} {:<16} {}", e.holder, holder_name(&h, &f, e.holder), label(&h, &f, &ix, e))?;
            }
            writeln!(out, "  {addr:<16x} {}", holder_name(&h, &f, addr))?;
            writeln!(out)?;
        } else {
            let mut parts: Vec<String> = prefix.into_iter().collect();
            parts.extend(path.iter().map(|e| label(&h, &f, &ix, e)));
            writeln!(out, "{}", parts.join(" -> "))?;
        }
    }
    Ok(())
}

fn v8whatis(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    if !inv.addr_given {
        return Err(DcmdError::Usage("an address is required".into()));
    }
    let (f, _) = super::findjsobjects::findings(s, false)?;
    let h = s.heap()?;
    let Some(hdr) = f.stats.page_header else {
        return Err(DcmdError::Failed("V8 pages were not recognised in this core, so objects cannot be located".into()));
    };
    let addr = inv.dot;
    let Some((start, size, map)) = crate::v8::scan::containing_object(&h, addr, hdr)? else {
        return Err(DcmdError::Failed(format!("{addr:x} is not inside a V8 heap object")));
    };
    let tag = h.v8.layout.heap_object_tag.value.unwrap_or(1) as u64;
    let tagged = start + tag;
    if inv.piped_out {
        writeln!(out, "{tagged:x}")?;
        return Ok(());
    }
    let t = h.map_instance_type(map)?;
    let mut what = crate::v8::function::type_name(&h, t);
    if let Some(g) = f.group(tagged) {
        what = format!("{what} ({})", g.constructor);
    } else if f.is_garbage(tagged) {
        what = format!("{what} (dead: garbage)");
    }
    let size = if size > 0 { format!(", {size} bytes") } else { String::new() };
    use crate::v8::scan::PageState;
    let page = match crate::v8::scan::page_state(&h, start) {
        (PageState::Young, _) => ", in the young generation",
        (PageState::Unswept { .. }, Some(true)) => ", on an old page pending sweep, marked by the last full GC",
        (PageState::Unswept { .. }, Some(false)) => ", on an old page pending sweep, left unmarked by the last full GC (dead)",
        (PageState::Released, _) => ", on a page V8 released (dead)",
        _ => "",
    };
    writeln!(out, "{addr:x} is {tagged:x}+{:#x}, a {what}{size}{page}", addr.wrapping_sub(tagged))?;
    Ok(())
}

/// One function definition and its closures.
struct Def {
    sfi: u64,
    closures: Vec<u64>,
    name: String,
    file: String,
    line: Option<u32>,
}

fn jsfunctions(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "l", "snx")?;
    o.no_operands()?;
    let xaddr = match o.value('x') {
        Some(v) => Some(
            u64::from_str_radix(v.trim_start_matches("0x"), 16).map_err(|_| DcmdError::Usage(format!("-x wants a hex address, not {v:?}")))?,
        ),
        None => None,
    };
    let (f, _) = super::findjsobjects::findings(s, false)?;
    let h = s.heap()?;
    use crate::v8::function;
    // Every closure with its SFI.
    let pairs: Vec<(u64, u64)> = f
        .objects
        .par_iter()
        .filter_map(|&a| {
            let t = h.instance_type(a).ok()?;
            if !function::is_function_type(&h, t) {
                return None;
            }
            Some((function::shared_info(&h, a).ok()?, a))
        })
        .collect();
    let mut by_sfi: HashMap<u64, Vec<u64>> = HashMap::new();
    for (sfi, a) in pairs {
        by_sfi.entry(sfi).or_default().push(a);
    }
    // -x: the definition containing addr.
    let want_sfi = match xaddr {
        None => None,
        Some(x) => Some(definition_of(&h, &f, x)?),
    };
    let mut defs: Vec<Def> = by_sfi
        .into_par_iter()
        .filter(|(sfi, _)| want_sfi.is_none_or(|w| w == *sfi))
        .map(|(sfi, mut closures)| {
            closures.sort();
            let info = function::sfi_info(&h, sfi).ok();
            let name = info.as_ref().map(|i| i.display_name()).unwrap_or_else(|| "<unknown>".into());
            let script = info.as_ref().and_then(|i| i.script);
            let file = script.and_then(|sc| crate::v8::script::script_name(&h, sc).ok()).unwrap_or_default();
            Def { sfi, closures, name, file, line: None }
        })
        .collect();
    if let Some(n) = o.value('n') {
        defs.retain(|d| d.name == n);
    }
    if let Some(file) = o.value('s') {
        defs.retain(|d| d.file.contains(file));
    }
    // Lines: each script's line ends computed once.
    let mut ends: HashMap<u64, Option<crate::v8::script::LineEnds>> = HashMap::new();
    for d in defs.iter_mut() {
        let Ok(info) = function::sfi_info(&h, d.sfi) else { continue };
        let (Some(sc), Some(pos)) = (info.script, info.token_pos.or(info.start_pos)) else { continue };
        let le = ends.entry(sc).or_insert_with(|| crate::v8::script::line_ends(&h, sc).ok());
        d.line = le.as_ref().map(|le| le.line_col(pos).0);
    }
    defs.sort_by(|a, b| (&a.file, a.line, &a.name, a.sfi).cmp(&(&b.file, b.line, &b.name, b.sfi)));
    if defs.is_empty() {
        return Err(DcmdError::Failed("no function definitions match".into()));
    }
    if inv.print_header() {
        writeln!(out, "{:<16} {:>6} {:<30} FROM", "FUNC", "#FUNCS", "NAME")?;
    }
    for d in &defs {
        let rep = d.closures.first().copied().unwrap_or(0);
        if inv.piped_out {
            if o.has('l') {
                for c in &d.closures {
                    writeln!(out, "{c:x}")?;
                }
            } else {
                writeln!(out, "{rep:x}")?;
            }
            continue;
        }
        let from = match (d.file.is_empty(), d.line) {
            (true, _) => "<no script>".to_string(),
            (false, Some(l)) => format!("{} line {l}", d.file),
            (false, None) => d.file.clone(),
        };
        writeln!(out, "{rep:<16x} {:>6} {:<30} {from}", d.closures.len(), d.name)?;
        if o.has('l') {
            for c in &d.closures {
                writeln!(out, "  {c:x}")?;
            }
        }
    }
    Ok(())
}

/// The SFI of the closure, SFI or heap object containing `x`.
fn definition_of(h: &Heap, f: &Findings, x: u64) -> Result<u64, DcmdError> {
    use crate::v8::function;
    let is_sfi = |a: u64| h.is_heap_object(a) && h.instance_type(a).is_ok_and(|t| h.v8.types.is(t, "SHARED_FUNCTION_INFO_TYPE"));
    let of = |a: u64| -> Option<u64> {
        if is_sfi(a) {
            return Some(a);
        }
        if function::is_function(h, a) {
            return function::shared_info(h, a).ok();
        }
        None
    };
    if let Some(s) = of(x) {
        return Ok(s);
    }
    if let Some(hdr) = f.stats.page_header {
        if let Some((start, _, _)) = crate::v8::scan::containing_object(h, x, hdr)? {
            let tag = h.v8.layout.heap_object_tag.value.unwrap_or(1) as u64;
            if let Some(s) = of(start + tag) {
                return Ok(s);
            }
        }
    }
    Err(DcmdError::Failed(format!("{x:x} is not in a closure or SharedFunctionInfo")))
}
