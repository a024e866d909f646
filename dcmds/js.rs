//! JavaScript values: `::jsprint`, `::jsconstructor`, `::jsarray`,
//! `::nodebuffer`, and the `jsprop` and `jselement` walkers.

use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry, Walker};
use crate::session::Session;
use crate::v8::heap::Heap;
use crate::v8::object::{self, Elem, PropValue};
use crate::v8::print::{self, PrintOpts};
use crate::v8::value::{self, DecodeOpts};
use crate::v8::{collections, primitive, V8Error};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "jsprint",
        synopsis: ":[-ab] [-d depth] [-N maxstr] [-l maxarray] [member...]",
        summary: "print a JavaScript value",
        help: JSPRINT_HELP,
        options: &["-a", "-b", "-d", "-N", "-l"],
        handler: jsprint,
    });
    r.add(Dcmd {
        name: "jsconstructor",
        synopsis: ":[-v]",
        summary: "print the name of a JavaScript object's constructor",
        help: JSCONSTRUCTOR_HELP,
        options: &["-v"],
        handler: jsconstructor,
    });
    r.add(Dcmd {
        name: "jsarray",
        synopsis: ":[-i]",
        summary: "print the elements of a JavaScript array, one per line",
        help: JSARRAY_HELP,
        options: &["-i"],
        handler: jsarray,
    });
    r.add(Dcmd {
        name: "nodebuffer",
        synopsis: ":[-v]",
        summary: "print the address of a Node Buffer's (or typed array's) native storage",
        help: NODEBUFFER_HELP,
        options: &["-v"],
        handler: nodebuffer,
    });
    r.add_walker(Walker { name: "jsprop", summary: "the values of a JavaScript object's own properties", walk: walk_jsprop });
    r.add_walker(Walker { name: "jselement", summary: "the elements of a JavaScript array or object", walk: walk_jselement });
}

const JSPRINT_HELP: &str = "\
SYNOPSIS
  addr::jsprint [-ab] [-d depth] [-N maxstr] [-l maxarray] [member...]

DESCRIPTION
  Prints the JavaScript value at addr (a tagged pointer or a Smi) in a
  JSON-like form:

    Widget {
        \"name\": \"gizmo\",
        \"tags\": [
            \"round\",
            hole,
        ],
    }

  Strings are quoted and escaped as JS string literals. Numbers print as
  JavaScript prints them (-0 is kept). Objects print their constructor
  (unless Object or Array), own properties (symbol keys as [Symbol(x)],
  accessors as [Getter], [Setter] or [Getter/Setter]) and elements
  (holes as `hole`; sparse arrays with their indexes). Built-ins:
  Map(n) { k => v }, Set(n) { v }, WeakMap { k => v }, dates as
  `Date MS (ISO-UTC)`, regexps as /source/flags, functions as
  `function NAME` (`class NAME` for class constructors), bound functions
  with their target, this and arguments, errors with their message, other
  properties and stack (`<not yet formatted>` until JS reads it), promises
  with their state and result, proxies with their target and handler,
  boxed primitives as [Number: 5], ArrayBuffers, DataViews and Buffers as
  their bytes, typed arrays as their elements.

  Containers nested deeper than the depth print as [Constructor addr];
  a container already being printed (a cycle) prints as
  [Circular addr]. Long strings end with `... (length N)`, long arrays
  with `... N more elements`. Values of kinds not decoded print as
  <INSTANCE_TYPE addr>, values that cannot be read as <addr: why>.

  Each member path selects part of the value first: property names joined
  by dots, element indexes in brackets (a.b[1].c, [0].name, a[\"odd key\"]).
  With several paths, each is printed. In a pipeline, an object without
  the member is reported on stderr and the pipeline goes on:

    ::findjsobjects -c Widget | ::findjsobjects | ::jsprint name

OPTIONS
  -a         prefix every heap value with its address
  -b         prefix the output with the base address (and member path)
  -d depth   nesting levels to expand (default 2)
  -N maxstr  characters of each string to print (default 1024)
  -l maxarray  elements, properties or entries of each container (default 100)

EXAMPLES
  > 0x2c4bd1a44321::jsprint
  > 0x2c4bd1a44321::jsprint -d 0
  > 0x2c4bd1a44321::jsprint a.b[1].c
  > ::findjsobjects -c Widget | ::findjsobjects | ::jsprint name
";

const JSCONSTRUCTOR_HELP: &str = "\
SYNOPSIS
  addr::jsconstructor [-v]

DESCRIPTION
  Prints the name of the constructor of the JavaScript object at addr:
  the function at the end of its map's back-pointer chain (Widget for
  `new Widget()`, Object for a literal). When there is no constructor
  function, the object's V8 class names it (Array, Map). When the output
  goes into a pipe, the constructor function's address is printed.

OPTIONS
  -v   also print the constructor function's address

EXAMPLES
  > 0x2c4bd1a44321::jsconstructor
  Widget
  > 0x2c4bd1a44321::jsconstructor -v
  Widget (JSFunction 0x2c4bd1a01b29)
";

const JSARRAY_HELP: &str = "\
SYNOPSIS
  addr::jsarray [-i]

DESCRIPTION
  Prints the elements of the JavaScript array (or object) at addr, one
  per line, as tagged values ready for a pipe (Smis as their tagged word).
  Holes print as `hole`; unboxed doubles (double arrays) print as numbers,
  since they have no address. An array prints `length` elements; a sparse
  (dictionary) array only those present.

OPTIONS
  -i   prefix each element with its index

EXAMPLES
  > 0x2c4bd1a44321::jsarray
  > 0x2c4bd1a44321::jsarray | ::jsprint
";

const NODEBUFFER_HELP: &str = "\
SYNOPSIS
  addr::nodebuffer [-v]

DESCRIPTION
  Prints the address of the native storage of the Node Buffer (a
  Uint8Array) at addr: where its bytes are (the ArrayBuffer's backing
  store plus the view's offset; small typed arrays keep their bytes in
  the V8 heap). Also accepts any typed array, DataView or ArrayBuffer.

OPTIONS
  -v   also print the length and the bytes (at most 4096) in hex

EXAMPLES
  > 0x2c4bd1a44321::nodebuffer
  0x5581e4a3c0c8
  > 0x2c4bd1a44321::nodebuffer -v
";

fn parse_num(o: &Opts, c: char, default: usize) -> Result<usize, DcmdError> {
    match o.value(c) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| DcmdError::Usage(format!("-{c} wants a number, not {v:?}"))),
    }
}

fn need_addr(inv: &Invocation) -> Result<u64, DcmdError> {
    if !inv.addr_given {
        return Err(DcmdError::Usage("an address is required".into()));
    }
    Ok(inv.dot)
}

fn jsprint(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "ab", "dNl")?;
    let addr = need_addr(inv)?;
    let opts = DecodeOpts { depth: parse_num(&o, 'd', 2)?, max_str: parse_num(&o, 'N', 1024)?, max_elems: parse_num(&o, 'l', 100)? };
    let popts = PrintOpts { addrs: o.has('a') };
    let paths: Vec<&str> = if o.operands.is_empty() { vec![""] } else { o.operands.iter().map(String::as_str).collect() };
    for p in paths {
        let h = s.heap()?;
        let steps = value::parse_path(p).map_err(DcmdError::Usage)?;
        let target = match value::follow_path(&h, addr, &steps) {
            Ok(t) => t,
            // In a pipeline (`::findjsobjects | ::jsprint name`), one
            // object without the member is a warning, not the end.
            Err(e) if inv.in_loop => {
                s.warn(&e.to_string());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let v = value::decode_checked(&h, target, &opts)?;
        if o.has('b') {
            write!(out, "{addr:#x}{}{p}: ", if p.starts_with('[') || p.is_empty() { "" } else { "." })?;
        }
        print::print_value(&v, &popts, out)?;
    }
    Ok(())
}

fn jsconstructor(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "")?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    expect_object(&h, addr)?;
    let func = object::map_constructor(&h, h.map(addr)?)?;
    if inv.piped_out {
        match func {
            Some(f) => writeln!(out, "{f:#x}")?,
            None => return Err(DcmdError::Failed(format!("{addr:#x} has no constructor function"))),
        }
        return Ok(());
    }
    let name = object::constructor_name(&h, addr)?;
    match (o.has('v'), func) {
        (true, Some(f)) => writeln!(out, "{name} (JSFunction {f:#x})")?,
        (true, None) => writeln!(out, "{name} (no constructor function; named by its V8 class)")?,
        _ => writeln!(out, "{name}")?,
    }
    Ok(())
}

fn expect_object(h: &Heap, addr: u64) -> Result<u16, DcmdError> {
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr }.into());
    }
    let t = h.instance_type(addr)?;
    if !h.is_js_receiver_type(t) {
        return Err(V8Error::bad(addr, "JS object", format!("it is a {}", h.type_name(t))).into());
    }
    Ok(t)
}

/// Elements of `addr` (an array's `length`, else the capacity).
fn elements_of(h: &Heap, addr: u64) -> Result<object::Elements, DcmdError> {
    let t = expect_object(h, addr)?;
    let limit = if h.v8.types.is(t, "JS_ARRAY_TYPE") { Some(object::array_length(h, addr)?) } else { None };
    Ok(object::elements(h, addr, limit, usize::MAX)?)
}

fn jsarray(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "i", "")?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let el = elements_of(&h, addr)?;
    for (i, e) in el.items {
        s.check_interrupt()?;
        let text = match e {
            Elem::Value(v) => format!("{v:#x}"),
            Elem::Double(d) => primitive::format_number(d),
            Elem::Hole => "hole".into(),
        };
        if o.has('i') && !inv.piped_out {
            writeln!(out, "[{i}] {text}")?;
        } else if !(inv.piped_out && matches!(e, Elem::Hole | Elem::Double(_))) {
            writeln!(out, "{text}")?;
        }
    }
    Ok(())
}

fn nodebuffer(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "")?;
    let addr = need_addr(inv)?;
    let h = s.heap()?;
    let t = expect_object(&h, addr)?;
    let types = &h.v8.types;
    let (data, len) = if types.is(t, "JS_TYPED_ARRAY_TYPE") || types.is(t, "JS_DATA_VIEW_TYPE") {
        let vi = collections::view(&h, addr, types.is(t, "JS_TYPED_ARRAY_TYPE"))?;
        (vi.data, vi.byte_length)
    } else if types.is(t, "JS_ARRAY_BUFFER_TYPE") {
        let ab = collections::array_buffer(&h, addr)?;
        (ab.backing_store, ab.byte_length)
    } else {
        return Err(V8Error::bad(addr, "Buffer", format!("it is a {}, not a Buffer, typed array or ArrayBuffer", h.type_name(t))).into());
    };
    writeln!(out, "{data:#x}")?;
    if o.has('v') && !inv.piped_out {
        writeln!(out, "{len} bytes")?;
        let bytes = if data == 0 { Vec::new() } else { collections::native_bytes(&h, data, len, 4096)? };
        for (i, chunk) in bytes.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
            writeln!(out, "{:#x}: {:<47}  {ascii}", data + i as u64 * 16, hex.join(" "))?;
        }
        if (bytes.len() as u64) < len {
            writeln!(out, "... {} more bytes", len - bytes.len() as u64)?;
        }
    }
    Ok(())
}

fn walk_jsprop(s: &mut Session, dot: Option<u64>) -> Result<Vec<u64>, DcmdError> {
    let addr = dot.ok_or_else(|| DcmdError::Usage("jsprop needs an object address: addr::walk jsprop".into()))?;
    let h = s.heap()?;
    expect_object(&h, addr)?;
    let props = object::properties(&h, addr, object::MAX_PROPERTIES)?;
    Ok(props
        .list
        .into_iter()
        .filter(|p| !p.is_private)
        .filter_map(|p| match p.value {
            PropValue::Data(v) => Some(v),
            PropValue::Accessor { .. } => None,
        })
        .collect())
}

fn walk_jselement(s: &mut Session, dot: Option<u64>) -> Result<Vec<u64>, DcmdError> {
    let addr = dot.ok_or_else(|| DcmdError::Usage("jselement needs an array address: addr::walk jselement".into()))?;
    let h = s.heap()?;
    let el = elements_of(&h, addr)?;
    if let object::ElemStore::Double { .. } = el.store {
        return Err(DcmdError::Failed(format!("{addr:#x} holds unboxed doubles, which have no addresses; use ::jsarray")));
    }
    Ok(el
        .items
        .into_iter()
        .filter_map(|(_, e)| match e {
            Elem::Value(v) => Some(v),
            _ => None,
        })
        .collect())
}
