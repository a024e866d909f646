//! V8 internals: `::v8metadata` and the `::v8*` family.

use std::collections::BTreeMap;
use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::memory::Memory;
use crate::session::Session;
use crate::v8::heap::StrRepr;
use crate::v8::layout::Source;
use crate::v8::{Heap, V8Error, primitive, string};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "v8metadata",
        synopsis: "[-a] [-m]",
        summary: "show each V8 layout value jmdb uses and where it came from",
        help: V8METADATA_HELP,
        options: &["-a", "-m"],
        handler: v8metadata,
    });
    register_internals(r);
}

const V8METADATA_HELP: &str = "\
SYNOPSIS
  ::v8metadata [-a] [-m]

DESCRIPTION
  Every V8 layout value jmdb uses is resolved once, through one table:
  first the binary's postmortem metadata (v8dbg_* symbols, matched by class
  and field whatever their type suffix), then a fallback for the V8 version
  with the V8 source it was read from. This prints that table: the name,
  the value, and its source. Values no source covers are flagged MISSING;
  the commands that need them say so instead of guessing.

  The header says which object carried the metadata (the executable, or a
  libnode.so) and the V8 version.

OPTIONS
  -a   also list every raw v8dbg_* and nodedbg_* symbol with its value
  -m   only the missing values

EXAMPLES
  > ::v8metadata
  > ::v8metadata -m
  > ::v8metadata -a ! grep frametype
";

fn v8metadata(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "am", "")?;
    o.no_operands()?;
    let v8 = s.v8()?;
    writeln!(out, "V8 {} metadata from {} ({} v8dbg, {} nodedbg symbols)", v8.version_string(), v8.meta.module, v8.meta.v8.len(), v8.meta.node.len())?;
    let fields = v8.layout.fields();
    let missing = fields.iter().filter(|f| f.value.is_none()).count();
    writeln!(out, "{} layout values, {} missing", fields.len(), missing)?;
    writeln!(out)?;
    writeln!(out, "{:<34} {:>12}  SOURCE", "NAME", "VALUE")?;
    for f in fields {
        if o.has('m') && f.value.is_some() {
            continue;
        }
        let v = f.value.map(|v| v.to_string()).unwrap_or_else(|| "MISSING".into());
        let src = match &f.source {
            Source::Metadata(n) => {
                let prefix = if n.starts_with("nodedbg_") { "" } else { "v8dbg_" };
                format!("metadata {prefix}{n}")
            }
            Source::Fallback(why) => format!("fallback: {why}"),
            Source::Missing => "no metadata symbol and no fallback for this version".into(),
        };
        writeln!(out, "{:<34} {:>12}  {src}", f.name, v)?;
    }
    if o.has('a') {
        writeln!(out)?;
        for (k, v) in &v8.meta.v8 {
            writeln!(out, "v8dbg_{k} = {} ({:?})", v.value, v.origin)?;
        }
        for (k, v) in &v8.meta.node {
            writeln!(out, "{k} = {} ({:?})", v.value, v.origin)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The V8 internals family: ::v8type, ::v8types, ::v8classes, ::v8frametypes,
// ::v8str, ::v8print, ::v8array, ::v8internal.

fn register_internals(r: &mut Registry) {
    r.add(Dcmd {
        name: "v8type",
        synopsis: ":",
        summary: "print a V8 value's instance type and class, or its Smi value",
        help: V8TYPE_HELP,
        options: &[],
        handler: v8type,
    });
    r.add(Dcmd {
        name: "v8types",
        synopsis: "",
        summary: "list every instance type of this V8 build",
        help: V8TYPES_HELP,
        options: &[],
        handler: v8types,
    });
    r.add(Dcmd {
        name: "v8classes",
        synopsis: "[-n] [pattern]",
        summary: "list the V8 classes the metadata names, with their fields",
        help: V8CLASSES_HELP,
        options: &["-n"],
        handler: v8classes,
    });
    r.add(Dcmd {
        name: "v8frametypes",
        synopsis: "",
        summary: "list V8's stack frame type markers",
        help: V8FRAMETYPES_HELP,
        options: &[],
        handler: v8frametypes,
    });
    r.add(Dcmd {
        name: "v8str",
        synopsis: ":[-v] [-N maxchars]",
        summary: "print a V8 string; with -v, its structure (cons, sliced, thin, external)",
        help: V8STR_HELP,
        options: &["-v", "-N"],
        handler: v8str,
    });
    r.add(Dcmd {
        name: "v8print",
        synopsis: ":[class]",
        summary: "print a V8 heap object's fields, as its class and parent classes lay them out",
        help: V8PRINT_HELP,
        options: &[],
        handler: v8print,
    });
    r.add(Dcmd {
        name: "v8array",
        synopsis: ":",
        summary: "print the elements of a FixedArray or FixedDoubleArray, one per line",
        help: V8ARRAY_HELP,
        options: &[],
        handler: v8array,
    });
    r.add(Dcmd {
        name: "v8internal",
        synopsis: ":idx",
        summary: "print an internal (embedder) field of a JS API object",
        help: V8INTERNAL_HELP,
        options: &[],
        handler: v8internal,
    });
}

const V8TYPE_HELP: &str = "\
SYNOPSIS
  addr::v8type

DESCRIPTION
  Says what the V8 value ADDR is. A Smi (small integer, low bit 0) prints
  as `Smi: N`. A heap object (tagged pointer, low bits 01) prints its
  address, its instance type name and number, and its class, as this
  build's metadata names them; for primitives (strings, numbers,
  oddballs, symbols, BigInts) the value follows. Types the metadata does
  not name but jmdb recognises (BIG_INT_BASE_TYPE; HOLE_TYPE in Node 26;
  THIN strings in Node 18 and 20) are marked `(derived)`.

  A word that is neither, or whose map is not a map, is an error.

EXAMPLES
  > 2a00000000::v8type
  Smi: 42
  > 294b658df459::v8type
  294b658df459: HEAP_NUMBER_TYPE (130), class HeapNumber: 3.5
  > 277b20331941::v8type
  277b20331941: BIG_INT_BASE_TYPE (129, derived), class BigInt: 1180591620717411303424n
";

const V8TYPES_HELP: &str = "\
SYNOPSIS
  ::v8types

DESCRIPTION
  Lists every instance type of this V8 build, from its v8dbg_type_*
  metadata, by number: NUMBER, INSTANCE_TYPE name and class. Numbers
  drift between versions (JS_ARRAY_TYPE is 2104 in Node 18 and 2121 in
  Node 26), which is why jmdb only ever uses them by name. Types jmdb
  derives because the metadata does not name them are marked `(derived)`.

EXAMPLES
  > ::v8types ! grep STRING
";

const V8CLASSES_HELP: &str = "\
SYNOPSIS
  ::v8classes [-n] [pattern]

DESCRIPTION
  Lists the V8 classes this build's metadata names (in v8dbg_class_*,
  v8dbg_type_* and v8dbg_parent_* symbols), each with its parent class
  when known and the fields the metadata gives for it: byte offset from
  the object's start, field name and type (the type suffix of the
  symbol, which changes between versions).

  PATTERN is a glob (* and ?) matched against class names.

OPTIONS
  -n   only the class names, one per line

EXAMPLES
  > ::v8classes ConsString
  ConsString < String
      16 first (String)
      24 second (String)
  > ::v8classes -n 'JS*'
";

const V8FRAMETYPES_HELP: &str = "\
SYNOPSIS
  ::v8frametypes

DESCRIPTION
  Lists the stack frame types of this V8 build (v8dbg_frametype_*) with
  their marker numbers, by number. The numbering changes between
  versions (Node 26 renumbered them all).
";

const V8STR_HELP: &str = "\
SYNOPSIS
  addr::v8str [-v] [-N maxchars]

DESCRIPTION
  Prints the V8 string at ADDR as UTF-8, unquoted, followed by a newline.
  Every kind is decoded: sequential one-byte (Latin-1) and two-byte
  (UTF-16; lone surrogates become U+FFFD), cons (walked with a loop, so
  million-deep cons strings work), sliced, thin, and external strings
  (through V8's cached data pointer, or Node's resource object), and
  their internalized variants.

  With -v, first prints the string's structure: one line per node, indented
  by depth, with its address, instance type, representation, encoding and
  length; a sliced string's offset, an external string's resource and
  data pointers. The tree is cut at 256 nodes or 64 levels; cut nodes are
  marked.

  A string longer than MAXCHARS characters (UTF-16 code units; default
  1048576) is cut, and a warning says so.

OPTIONS
  -N MAX  print at most MAX characters (0: no limit)
  -v      show the structure first

EXAMPLES
  > 294b658dcb89::v8str
  hello jmdb
  > 277b20333c91::v8str -v
  277b20333c91 CONS_ONE_BYTE_STRING_TYPE cons one-byte length 54
    294b658dbcf9 INTERNALIZED_ONE_BYTE_STRING_TYPE seq one-byte length 27
    294b658dbd49 INTERNALIZED_ONE_BYTE_STRING_TYPE seq one-byte length 27
  left-half-of-a-cons-string/right-half-of-a-cons-string
  > 294b658e6399::v8str -v -N 20
  294b658e6399 EXTERNAL_ONE_BYTE_STRING_TYPE external one-byte length 1100000 resource 1460d380 data 7f5e3867e010
  external-one-byte/ex
  jmdb: 294b658e6399: string cut at 20 of 1100000 characters (-N 0 prints all)
";

const V8PRINT_HELP: &str = "\
SYNOPSIS
  addr::v8print [class]

DESCRIPTION
  Prints the V8 heap object at ADDR field by field, as mdb_v8 did: its
  class comes from its map's instance type (or is CLASS if given), and
  every field the metadata gives (v8dbg_class_<Class>__<field>) for that
  class and its parent classes is printed, parents first, with its byte
  offset, name, type and value. Tagged values get a short description:
  a Smi's value, a heap object's type, and the value of primitives.

  Parent classes come from the v8dbg_parent_* metadata, which only Node
  18 and 20 carry; for later versions jmdb knows the ancestry of the
  classes that have fields (src/objects/*.tq). A parent's field is shown
  as Parent::field.

  Fields the metadata lacks but jmdb's layout table knows (a JSArray's
  length, a JSPromise's result and flags, a JSProxy's target and handler,
  a bound function's target, this and arguments, ...) are added, marked
  [layout]. Metadata entries that only mark where a variable-length part
  starts (JSObject::internal_fields, FixedArray::data, the characters of
  a sequential string) are shown as such, not read.

EXAMPLES
  > 277b20333c91::v8print
  277b20333c91 ConsString {
         0 HeapObject::map (Map) = 6d5afcc0211: MAP_TYPE
        12 String::length (int32_t) = 54
        16 first (String) = 294b658dbcf9: INTERNALIZED_ONE_BYTE_STRING_TYPE \"left-half-of-a-cons-string/\"
        24 second (String) = 294b658dbd49: INTERNALIZED_ONE_BYTE_STRING_TYPE \"right-half-of-a-cons-string\"
  }
  > 277b2032fe59::v8print
  277b2032fe59 JSArray {
         0 HeapObject::map (Map) = 431d7e5fdc1: MAP_TYPE
         8 JSReceiver::raw_properties_or_hash (Tagged_Object_) = 6d5afcc0c31: FIXED_ARRAY_TYPE
        16 JSObject::elements (Object) = 294b658deb71: FIXED_ARRAY_TYPE
        24 length (Object) [layout] = Smi 3
  }
  > 277b20333c91::v8print HeapObject
";

const V8ARRAY_HELP: &str = "\
SYNOPSIS
  addr::v8array

DESCRIPTION
  Prints the elements of the FixedArray (or any array with a FixedArray's
  layout: hash tables, contexts, scope infos' backing) at ADDR, one per
  line: index, value and a short description. A FixedDoubleArray's
  elements print as numbers (the hole NaN as `hole`). Piped into another
  command, only the element values are printed, one per line.

  JS arrays and objects are refused: their elements are in the FixedArray
  their `elements` field points to (see ::v8print).

EXAMPLES
  > 294b658deb71::v8array
  [0] 294b658dcd49: INTERNALIZED_ONE_BYTE_STRING_TYPE \"a\"
  [1] 277b2032ff61: JS_OBJECT_TYPE
  [2] 6d5afcc0099: null
  [3] 277b2032ffa1: JS_ARRAY_TYPE
  > 294b658deb71::v8array | ::v8type
";

const V8INTERNAL_HELP: &str = "\
SYNOPSIS
  addr::v8internal idx

DESCRIPTION
  Prints internal (embedder) field IDX of the JS API object at ADDR: the
  raw word V8 keeps for the embedder. For Node's native wrappers
  (BaseObjects: TCP, Zlib, binding data...) field 1 points to the C++
  object; when the word points to an object whose first word is a
  vtable, the vtable's symbol is shown. Fields are counted from 0; the
  object's field count comes from its map (the space between the header,
  one word longer from V8 13, and its in-object properties).

EXAMPLES
  > 277b20301fd9::v8internal 1
  1c663b60 ({vtable(node::fs::BindingData)}+0x10)
";

fn parse_num(s: &str) -> Option<u64> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok();
    }
    if let Some(d) = t.strip_prefix("0t") {
        return d.parse().ok();
    }
    t.parse().ok()
}


fn need_addr(inv: &Invocation, cmd: &str) -> DcmdResult {
    if inv.addr_given { Ok(()) } else { Err(DcmdError::Usage(format!("give an address: ADDR::{cmd}"))) }
}

/// The instance type name and class of a heap object, including the types
/// the metadata does not name but jmdb recognises (marked derived).
fn type_label(h: &Heap, addr: u64, ty: u16) -> (String, String, bool) {
    if let (Some(n), Some(c)) = (h.v8.types.name(ty), h.v8.types.class(ty)) {
        return (n.to_string(), c.to_string(), false);
    }
    if Some(ty) == primitive::bigint_type(h) {
        return ("BIG_INT_BASE_TYPE".into(), "BigInt".into(), true);
    }
    if h.v8.layout.api_object_type.value == Some(ty as i64) {
        return ("JS_API_OBJECT_TYPE".into(), "JSObject".into(), true);
    }
    if h.is_string_type(ty) {
        if let Ok((repr, one)) = h.string_kind(ty) {
            // Names as V8 12+ spells them (src/objects/instance-type.h).
            let l = &h.v8.layout;
            let enc = if one { "ONE_BYTE" } else { "TWO_BYTE" };
            let bit = |f: &crate::v8::layout::Field| f.value.is_some_and(|m| (ty as i64) & m != 0);
            let internalized = !bit(&l.is_not_internalized_mask);
            let uncached = if bit(&l.uncached_external_string_mask) { "UNCACHED_" } else { "" };
            let (name, c) = match (repr, internalized) {
                (StrRepr::Seq, true) => (format!("INTERNALIZED_{enc}_STRING_TYPE"), "InternalizedString"),
                (StrRepr::Seq, false) => (format!("SEQ_{enc}_STRING_TYPE"), "SeqString"),
                (StrRepr::External, true) => (format!("{uncached}EXTERNAL_INTERNALIZED_{enc}_STRING_TYPE"), "ExternalString"),
                (StrRepr::External, false) => (format!("{uncached}EXTERNAL_{enc}_STRING_TYPE"), "ExternalString"),
                (StrRepr::Cons, _) => (format!("CONS_{enc}_STRING_TYPE"), "ConsString"),
                (StrRepr::Sliced, _) => (format!("SLICED_{enc}_STRING_TYPE"), "SlicedString"),
                (StrRepr::Thin, _) => (format!("THIN_{enc}_STRING_TYPE"), "ThinString"),
            };
            return (name, c.into(), true);
        }
    }
    if primitive::is_hole(h, addr, ty) {
        return ("HOLE_TYPE".into(), "Hole".into(), true);
    }
    if h.is_context_type(ty) {
        let n = crate::v8::context::context_type_name(h, ty);
        let derived = !n.starts_with("type ");
        return (n, "Context".into(), derived);
    }
    if crate::v8::function::is_function_type(h, ty) {
        return ("JS_FUNCTION_TYPE subtype".into(), "JSFunction".into(), true);
    }
    (format!("type {ty}"), "unknown class".into(), false)
}

/// A short description of a tagged value: `Smi 42`, or
/// `ADDR: TYPE "value"` for heap objects.
fn describe_tagged(h: &Heap, v: u64) -> String {
    if h.is_smi(v) {
        return format!("Smi {}", h.smi_value(v));
    }
    if !h.is_heap_object(v) {
        if v & 3 == 3 {
            return format!("{v:x} (weak reference to {:x})", v & !2);
        }
        return format!("{v:x}");
    }
    match h.instance_type(v) {
        Err(e) => format!("{v:x} ({e})"),
        Ok(ty) => {
            let (name, _, _) = type_label(h, v, ty);
            match primitive::describe_primitive(h, v) {
                Ok(Some(p)) if !h.v8.types.is(ty, "ODDBALL_TYPE") && !primitive::is_hole(h, v, ty) => format!("{v:x}: {name} {p}"),
                Ok(Some(p)) => format!("{v:x}: {p}"),
                _ => format!("{v:x}: {name}"),
            }
        }
    }
}

fn v8type(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    need_addr(inv, "v8type")?;
    let h = s.heap()?;
    let v = inv.dot;
    if h.is_smi(v) {
        writeln!(out, "Smi: {}", h.smi_value(v))?;
        return Ok(());
    }
    let addr = if v & 3 == 3 {
        writeln!(out, "{v:x}: weak reference to {:x}", v & !2)?;
        v & !2
    } else {
        v
    };
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr }.into());
    }
    let ty = h.instance_type(addr)?;
    let (name, class, derived) = type_label(&h, addr, ty);
    let mut line = format!("{addr:x}: {name} ({ty}{}), class {class}", if derived { ", derived" } else { "" });
    if let Ok(Some(p)) = primitive::describe_primitive(&h, addr) {
        line.push_str(": ");
        line.push_str(&p);
    }
    writeln!(out, "{line}")?;
    Ok(())
}

fn v8types(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let h = s.heap()?;
    let mut rows: Vec<(u16, String, String, bool)> =
        h.v8.types.all().into_iter().map(|(n, t, c)| (n, t.to_string(), c.to_string(), false)).collect();
    if let Some(b) = primitive::bigint_type(&h) {
        rows.push((b, "BIG_INT_BASE_TYPE".into(), "BigInt".into(), true));
    }
    if let Some(a) = h.v8.layout.api_object_type.value {
        if h.v8.types.name(a as u16).is_none() {
            rows.push((a as u16, "JS_API_OBJECT_TYPE".into(), "JSObject".into(), true));
        }
    }
    rows.sort();
    writeln!(out, "{:>6}  {:<56} CLASS", "NUMBER", "INSTANCE_TYPE")?;
    for (n, t, c, derived) in rows {
        writeln!(out, "{n:>6}  {t:<56} {c}{}", if derived { " (derived)" } else { "" })?;
    }
    Ok(())
}

/// A class's fields from the metadata: (offset, field, type suffix).
fn class_fields(v8: &crate::v8::V8) -> BTreeMap<String, Vec<(i64, String, String)>> {
    let mut m: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    for (k, v) in &v8.meta.v8 {
        let Some(rest) = k.strip_prefix("class_") else { continue };
        let Some((class, fld)) = rest.split_once("__") else { continue };
        let (field, ty) = fld.split_once("__").unwrap_or((fld, ""));
        let e = m.entry(class.to_string()).or_default();
        // The same field under two type suffixes: keep one.
        if e.iter().any(|(o, f, _)| *o == v.value && f == field) {
            continue;
        }
        e.push((v.value, field.to_string(), ty.to_string()));
    }
    for f in m.values_mut() {
        f.sort();
    }
    m
}

/// Parent classes of V8 classes, as Node 18's v8dbg_parent_* metadata
/// gives them (src/objects/*.tq), plus a few classes later versions name.
/// Used when the binary has no parent_ symbols (Node 22 and later).
const FALLBACK_PARENTS: &[(&str, &str)] = &[
    ("AccessorPair", "Struct"), ("AllocationMemento", "Struct"), ("AllocationSite", "Struct"),
    ("ArrayList", "FixedArray"), ("ByteArray", "FixedArrayBase"), ("BytecodeArray", "FixedArrayBase"),
    ("Cell", "HeapObject"), ("Code", "HeapObject"), ("ConsString", "String"), ("DataHandler", "Struct"),
    ("DescriptorArray", "HeapObject"), ("ExternalOneByteString", "ExternalString"), ("ExternalString", "String"),
    ("ExternalTwoByteString", "ExternalString"), ("FeedbackCell", "Struct"), ("FixedArrayBase", "HeapObject"),
    ("FixedArray", "FixedArrayBase"), ("FixedDoubleArray", "FixedArrayBase"), ("HeapNumber", "PrimitiveHeapObject"),
    ("InternalizedString", "String"), ("JSArrayBufferView", "JSObjectWithEmbedderSlots"),
    ("JSArrayBuffer", "JSObjectWithEmbedderSlots"), ("JSArrayIterator", "JSObject"), ("JSArray", "JSObject"),
    ("JSBoundFunction", "JSFunctionOrBoundFunctionOrWrappedFunction"), ("JSDataView", "JSArrayBufferView"),
    ("JSDate", "JSObject"), ("JSFunctionOrBoundFunctionOrWrappedFunction", "JSObject"),
    ("JSFunction", "JSFunctionOrBoundFunctionOrWrappedFunction"), ("JSGlobalObject", "JSSpecialObject"),
    ("JSGlobalProxy", "JSSpecialObject"), ("JSIteratorResult", "JSObject"), ("JSMessageObject", "JSObject"),
    ("JSObjectWithEmbedderSlots", "JSObject"), ("JSObject", "JSReceiver"), ("JSPrimitiveWrapper", "JSCustomElementsObject"),
    ("JSCustomElementsObject", "JSObject"), ("JSSpecialObject", "JSCustomElementsObject"),
    ("JSPromise", "JSObjectWithEmbedderSlots"), ("JSReceiver", "HeapObject"), ("JSRegExp", "JSObject"),
    ("JSTypedArray", "JSArrayBufferView"), ("JSProxy", "JSReceiver"), ("JSCollection", "JSObject"),
    ("JSMap", "JSCollection"), ("JSSet", "JSCollection"), ("JSWeakCollection", "JSObject"),
    ("JSWeakMap", "JSWeakCollection"), ("JSWeakSet", "JSWeakCollection"), ("JSError", "JSObject"),
    ("Map", "HeapObject"), ("Name", "PrimitiveHeapObject"), ("Oddball", "PrimitiveHeapObject"),
    ("PrimitiveHeapObject", "HeapObject"), ("ScopeInfo", "HeapObject"), ("Script", "Struct"),
    ("SeqOneByteString", "SeqString"), ("SeqString", "String"), ("SeqTwoByteString", "SeqString"),
    ("SharedFunctionInfo", "HeapObject"), ("SlicedString", "String"), ("String", "Name"), ("Struct", "HeapObject"),
    ("Symbol", "Name"), ("ThinString", "String"), ("UncachedExternalString", "ExternalString"),
    ("UncompiledData", "HeapObject"), ("WeakArrayList", "HeapObject"), ("WeakFixedArray", "HeapObject"),
    ("BigInt", "PrimitiveHeapObject"), ("Hole", "HeapObject"), ("InstructionStream", "HeapObject"),
    ("AtomRegExpData", "RegExpData"), ("IrRegExpData", "RegExpData"), ("RegExpData", "HeapObject"),
];

/// The parent of a class: the binary's v8dbg_parent_* if it has them,
/// else FALLBACK_PARENTS, else JSObject for JS classes and HeapObject
/// for the rest.
fn parent_class(v8: &crate::v8::V8, class: &str) -> Option<String> {
    if class == "HeapObject" || class == "Object" {
        return None;
    }
    let pre = format!("parent_{class}__");
    if let Some((k, _)) = v8.meta.v8.range(pre.clone()..).next().filter(|(k, _)| k.starts_with(&pre)) {
        return Some(k[pre.len()..].to_string());
    }
    if let Some((_, p)) = FALLBACK_PARENTS.iter().find(|(c, _)| *c == class) {
        return Some(p.to_string());
    }
    Some(if class.starts_with("JS") { "JSObject".into() } else { "HeapObject".into() })
}

/// A class and its ancestors, the class first (bounded, cycle-safe).
fn ancestry(v8: &crate::v8::V8, class: &str) -> Vec<String> {
    let mut v = vec![class.to_string()];
    while v.len() < 16 {
        let Some(p) = parent_class(v8, v.last().map(String::as_str).unwrap_or("")) else { break };
        if v.contains(&p) || p == "Object" || p == "TaggedImpl" {
            break;
        }
        v.push(p);
    }
    v
}

fn glob(pat: &str, s: &str) -> bool {
    fn m(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => m(&p[1..], s) || (!s.is_empty() && m(p, &s[1..])),
            (Some(b'?'), Some(_)) => m(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => m(&p[1..], &s[1..]),
            _ => false,
        }
    }
    m(pat.as_bytes(), s.as_bytes())
}

fn v8classes(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "n", "")?;
    if o.operands.len() > 1 {
        return Err(DcmdError::Usage("give at most one pattern".into()));
    }
    let v8 = s.v8()?;
    let fields = class_fields(v8);
    let mut names: std::collections::BTreeSet<String> = fields.keys().cloned().collect();
    for k in v8.meta.v8.keys() {
        if let Some(rest) = k.strip_prefix("type_").or_else(|| k.strip_prefix("parent_")) {
            if let Some((c, p)) = rest.split_once("__") {
                names.insert(c.to_string());
                if k.starts_with("parent_") && p != "AllStatic" {
                    names.insert(p.to_string());
                }
            }
        }
    }
    let pat = o.operands.first().map(String::as_str);
    for c in names.iter().filter(|c| pat.is_none_or(|p| glob(p, c))) {
        if o.has('n') {
            writeln!(out, "{c}")?;
            continue;
        }
        match parent_class(v8, c) {
            Some(p) => writeln!(out, "{c} < {p}")?,
            None => writeln!(out, "{c}")?,
        }
        for (off, f, ty) in fields.get(c).map(Vec::as_slice).unwrap_or(&[]) {
            if ty.is_empty() {
                writeln!(out, "    {off:>4} {f}")?;
            } else {
                writeln!(out, "    {off:>4} {f} ({ty})")?;
            }
        }
    }
    Ok(())
}

fn v8frametypes(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let v8 = s.v8()?;
    for (name, n) in v8.frame_types() {
        writeln!(out, "{n:>4}  {name}")?;
    }
    Ok(())
}

const V8STR_DEFAULT_MAX: usize = 1 << 20;

fn v8str(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "N")?;
    o.no_operands()?;
    need_addr(inv, "v8str")?;
    let max = match o.value('N') {
        None => V8STR_DEFAULT_MAX,
        Some(v) => match parse_num(v) {
            Some(0) => usize::MAX,
            Some(n) => n as usize,
            None => return Err(DcmdError::Usage(format!("bad -N value {v}"))),
        },
    };
    let h = s.heap()?;
    let addr = inv.dot;
    if o.has('v') {
        let nodes = string::string_structure(&h, addr)?;
        for n in &nodes {
            let pad = "  ".repeat(n.depth);
            if let (Some(e), 0) = (&n.error, n.instance_type) {
                writeln!(out, "{pad}{:x} <{e}>", n.addr)?;
                continue;
            }
            let (name, _, _) = type_label(&h, n.addr, n.instance_type);
            let repr = match n.repr {
                StrRepr::Seq => "seq",
                StrRepr::Cons => "cons",
                StrRepr::External => "external",
                StrRepr::Sliced => "sliced",
                StrRepr::Thin => "thin",
            };
            let mut line = format!("{pad}{:x} {name} {repr} {} length {}", n.addr, if n.one_byte { "one-byte" } else { "two-byte" }, n.len);
            if let Some(off) = n.offset {
                line.push_str(&format!(" offset {off}"));
            }
            if let Some(r) = n.resource {
                line.push_str(&format!(" resource {r:x}"));
            }
            if let Some(d) = n.data {
                line.push_str(&format!(" data {d:x}"));
            }
            if n.elided {
                line.push_str(" (parts not shown)");
            }
            if let Some(e) = &n.error {
                line.push_str(&format!(" <{e}>"));
            }
            writeln!(out, "{line}")?;
        }
    }
    let js = string::read_string(&h, addr, max)?;
    writeln!(out, "{}", js.text)?;
    if js.truncated {
        s.warn(&format!("{addr:x}: string cut at {max} of {} characters (-N 0 prints all)", js.len));
    }
    Ok(())
}

/// Metadata "fields" that are not fields but the offset where a
/// variable-length part starts: printed as such, never read.
const OFFSET_MARKERS: &[(&str, &str)] = &[
    ("JSObject", "internal_fields"),
    ("FixedArray", "data"),
    ("FixedDoubleArray", "data"),
    ("SeqOneByteString", "chars"),
    ("SeqTwoByteString", "chars"),
    ("DescriptorArray", "header_size"),
    ("BytecodeArray", "data"),
];

/// Fields the metadata types as tagged that hold raw C++ pointers.
const RAW_POINTER_FIELDS: &[(&str, &str)] = &[("ExternalString", "resource")];

/// Fields the metadata does not give but the layout table knows
/// (docs/v8-layouts.md 2.4-2.7): class, field, type, layout entry.
/// `::v8print` shows them marked `[layout]`.
const LAYOUT_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("JSArray", "length", "Object", "js_array_length"),
    ("JSArrayBufferView", "buffer", "Object", "js_view_buffer"),
    ("JSPrimitiveWrapper", "value", "Object", "js_primitive_wrapper_value"),
    ("JSRegExp", "data", "Object", "js_regexp_data"),
    ("JSRegExp", "flags", "Smi", "js_regexp_flags"),
    ("JSCollection", "table", "Object", "js_collection_table"),
    ("JSWeakCollection", "table", "Object", "js_collection_table"),
    ("JSPromise", "reactions_or_result", "Object", "js_promise_result"),
    ("JSPromise", "flags", "Smi", "js_promise_flags"),
    ("JSProxy", "target", "Object", "js_proxy_target"),
    ("JSProxy", "handler", "Object", "js_proxy_handler"),
    ("JSBoundFunction", "bound_target_function", "Object", "js_bound_target"),
    ("JSBoundFunction", "bound_this", "Object", "js_bound_this"),
    ("JSBoundFunction", "bound_arguments", "Object", "js_bound_args"),
    ("Symbol", "flags", "uint32_t", "symbol_flags"),
    ("BigInt", "bitfield", "uint32_t", "bigint_bitfield"),
    ("ExternalString", "resource_data", "uintptr_t", "external_cached_data"),
];

/// One field `::v8print` shows: offset, name, type, and whether it came
/// from the layout table rather than the metadata.
struct PrintField {
    off: i64,
    name: String,
    ty: String,
    from_layout: bool,
    marker: bool,
}

/// The fields of `class` (not its parents): the metadata's, then the
/// layout table's that the metadata lacks; by offset.
fn print_fields(v8: &crate::v8::V8, meta: &BTreeMap<String, Vec<(i64, String, String)>>, class: &str) -> Vec<PrintField> {
    let mut v: Vec<PrintField> = meta
        .get(class)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|(off, f, ty)| PrintField {
            off: *off,
            name: f.clone(),
            ty: ty.clone(),
            from_layout: false,
            marker: OFFSET_MARKERS.contains(&(class, f.as_str())),
        })
        .map(|mut p| {
            // Typed `Object` in the metadata, but a C++ pointer.
            if RAW_POINTER_FIELDS.contains(&(class, p.name.as_str())) {
                p.ty = "uintptr_t".into();
            }
            p
        })
        .collect();
    let all = v8.layout.fields();
    for (c, f, ty, entry) in LAYOUT_FIELDS {
        if *c != class || v.iter().any(|p| p.name == *f) {
            continue;
        }
        if let Some(off) = all.iter().find(|x| x.name == *entry).and_then(|x| x.value) {
            v.push(PrintField { off, name: f.to_string(), ty: ty.to_string(), from_layout: true, marker: false });
        }
    }
    v.sort_by(|a, b| (a.off, &a.name).cmp(&(b.off, &b.name)));
    v
}

/// Read one metadata field of `obj` as its type suffix says.
fn field_value(h: &Heap, obj: u64, off: i64, ty: &str) -> Result<String, V8Error> {
    let off = off as u64;
    let t = ty.to_ascii_lowercase();
    Ok(match t.as_str() {
        "char" | "uint8_t" | "int8_t" => format!("{}", h.u8_at(obj, off)?),
        "uint16_t" => format!("{}", h.u16_at(obj, off)?),
        "int16_t" => format!("{}", h.u16_at(obj, off)? as i16),
        "int" | "int32_t" => format!("{}", h.u32_at(obj, off)? as i32),
        "uint32_t" => format!("{:#x}", h.u32_at(obj, off)?),
        "double" => primitive::format_number(h.f64_at(obj, off)?),
        "smi" | "tagged_smi_" => {
            let w = h.word(obj, off)?;
            if h.is_smi(w) { format!("{}", h.smi_value(w)) } else { describe_tagged(h, w) }
        }
        "uintptr_t" | "address" | "size_t" | "intptr_t" => format!("{:#x}", h.word(obj, off)?),
        _ => describe_tagged(h, h.word(obj, off)?),
    })
}

fn v8print(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    if o.operands.len() > 1 {
        return Err(DcmdError::Usage("give at most one class name".into()));
    }
    need_addr(inv, "v8print")?;
    let h = s.heap()?;
    let addr = inv.dot;
    if h.is_smi(addr) {
        writeln!(out, "Smi: {}", h.smi_value(addr))?;
        return Ok(());
    }
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr }.into());
    }
    let fields = class_fields(h.v8);
    let class = match o.operands.first() {
        Some(c) => {
            if !fields.contains_key(c.as_str()) && !h.v8.types.all().iter().any(|(_, _, k)| k == c) {
                return Err(DcmdError::Failed(format!("no class {c} in this build's metadata (see ::v8classes)")));
            }
            c.clone()
        }
        None => {
            let ty = h.instance_type(addr)?;
            type_label(&h, addr, ty).1
        }
    };
    let chain = ancestry(h.v8, &class);
    writeln!(out, "{addr:x} {class} {{")?;
    let all: Vec<(&String, PrintField)> =
        chain.iter().rev().flat_map(|c| print_fields(h.v8, &fields, c).into_iter().map(move |f| (c, f))).collect();
    let mut any = false;
    for (c, f) in &all {
        // An offset marker is noise where a real field sits at its offset.
        if f.marker && all.iter().any(|(_, g)| !g.marker && g.off == f.off) {
            continue;
        }
        {
            any = true;
            let v = if f.marker {
                "(where the variable-length part starts)".to_string()
            } else {
                match field_value(&h, addr, f.off, &f.ty) {
                    Ok(v) => v,
                    Err(e) => format!("<{e}>"),
                }
            };
            let tyd = if f.ty.is_empty() { String::new() } else { format!(" ({})", f.ty) };
            let owner = if *c == &class { String::new() } else { format!("{c}::") };
            let src = if f.from_layout { " [layout]" } else { "" };
            writeln!(out, "    {:>4} {owner}{}{tyd}{src} = {v}", f.off, f.name)?;
        }
    }
    if !any {
        writeln!(out, "    (the metadata gives no fields for {})", chain.join(" < "))?;
    }
    writeln!(out, "}}")?;
    Ok(())
}

fn v8array(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    need_addr(inv, "v8array")?;
    let h = s.heap()?;
    let addr = inv.dot;
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr }.into());
    }
    let ty = h.instance_type(addr)?;
    let (name, _, _) = type_label(&h, addr, ty);
    let refuse = h.is_js_receiver_type(ty)
        || h.is_string_type(ty)
        || ["HEAP_NUMBER_TYPE", "ODDBALL_TYPE", "SYMBOL_TYPE", "MAP_TYPE"].iter().any(|n| h.v8.types.is(ty, n))
        || Some(ty) == primitive::bigint_type(&h)
        || primitive::is_hole(&h, addr, ty);
    if refuse {
        return Err(DcmdError::Failed(format!("{addr:x} is a {name}, not a FixedArray")));
    }
    let len = h.fixed_array_len(addr)?;
    let l = &h.v8.layout;
    let ts = l.tagged_size.value.unwrap_or(8) as u64;
    // A corrupt length shows at once: the last element must be readable.
    if len > 0 {
        let data = l.fixed_array_data.off().map_err(V8Error::from)?;
        h.word(addr, data + (len - 1) * ts)?;
    }
    if h.v8.types.is(ty, "FIXED_DOUBLE_ARRAY_TYPE") {
        let data = l.fixed_double_array_data.off().map_err(V8Error::from)?;
        let hole = l.double_hole_nan.get().map_err(V8Error::from)? as u64;
        for i in 0..len {
            s.check_interrupt()?;
            let bits = h.word(addr, data + i * 8)?;
            if inv.piped_out {
                writeln!(out, "{bits:x}")?;
            } else if bits == hole {
                writeln!(out, "[{i}] hole")?;
            } else {
                writeln!(out, "[{i}] {}", primitive::format_number(f64::from_bits(bits)))?;
            }
        }
        return Ok(());
    }
    let data = l.fixed_array_data.off().map_err(V8Error::from)?;
    for i in 0..len {
        s.check_interrupt()?;
        let v = h.word(addr, data + i * ts)?;
        if inv.piped_out {
            writeln!(out, "{v:x}")?;
        } else {
            writeln!(out, "[{i}] {}", describe_tagged(&h, v))?;
        }
    }
    Ok(())
}

fn v8internal(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    need_addr(inv, "v8internal")?;
    let idx = match o.operands.as_slice() {
        [i] => parse_num(i).ok_or_else(|| DcmdError::Usage(format!("bad field index {i}")))?,
        _ => return Err(DcmdError::Usage("give one field index: ADDR::v8internal IDX".into())),
    };
    let h = s.heap()?;
    let addr = inv.dot;
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr }.into());
    }
    let ty = h.instance_type(addr)?;
    let (name, _, _) = type_label(&h, addr, ty);
    let l = &h.v8.layout;
    // Embedder fields sit between the object's header and its in-object
    // properties (JSObject::GetEmbedderFieldCount). Only API objects (and
    // plain objects, which have none) have a header of known size.
    let header = if l.api_object_type.value == Some(ty as i64) || h.v8.types.is(ty, "JS_API_OBJECT_TYPE") {
        l.api_object_embedder_start.off()
    } else if l.special_api_object_type.value == Some(ty as i64) || h.v8.types.is(ty, "JS_OBJECT_TYPE") {
        l.js_object_header_size.off()
    } else {
        return Err(DcmdError::Failed(format!("{addr:x} is a {name}, not a JS API object with internal fields")));
    }
    .map_err(V8Error::from)?;
    let map = h.map(addr)?;
    let start_words = h.u8_at(map, l.map_inobject_properties_start.off().map_err(V8Error::from)?)? as u64;
    let ps = l.pointer_size.value.unwrap_or(8) as u64;
    let count = (start_words * l.tagged_size.value.unwrap_or(8) as u64).saturating_sub(header) / ps;
    if idx >= count {
        return Err(DcmdError::Failed(format!("{addr:x} ({name}) has {count} internal field(s); {idx} is out of range")));
    }
    let v = h.word(addr, header + idx * ps)?;
    if inv.piped_out {
        writeln!(out, "{v:x}")?;
        return Ok(());
    }
    // Embedder data is raw: usually a pointer to a C++ object, named by
    // its vtable when it has one.
    let mut line = format!("{v:x}");
    if v != 0 {
        if let Some(sym) = h.t.read_u64(v).ok().and_then(|vt| h.t.symbolize(vt)) {
            if sym.name.contains("vtable") {
                line.push_str(&format!(" ({})", sym.with_offset()));
            }
        }
    }
    writeln!(out, "{line}")?;
    Ok(())
}
