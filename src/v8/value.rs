//! Any tagged value decoded into a [`JsValue`] tree, for `::jsprint` and
//! anything else that wants a JS value rather than V8's objects.
//!
//! The decode is bounded: by depth (containers deeper than `depth` are
//! [`JsValue::Elided`]), by the number of properties/elements/entries per
//! container, by string length, and by a total node budget. A container
//! already on the current path decodes as [`JsValue::Circular`]. Values of
//! kinds not decoded here are [`JsValue::Unknown`] with their type name, and
//! values that fail to decode are [`JsValue::Bad`] with the reason: the
//! rest of the tree is still decoded.

use super::collections::{self, Num, PromiseState};
use super::function;
use super::heap::Heap;
use super::object::{self, Elem, PropValue};
use super::primitive::{self, Primitive};
use super::string;
use super::V8Error;

/// How far and how much to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOpts {
    /// Nesting levels expanded below the value itself.
    pub depth: usize,
    /// Characters of a string.
    pub max_str: usize,
    /// Elements, properties or entries of one container.
    pub max_elems: usize,
}

impl Default for DecodeOpts {
    fn default() -> Self {
        DecodeOpts { depth: 2, max_str: 1024, max_elems: 100 }
    }
}

/// Values decoded in one call at most: a bound on work whatever the
/// options say.
pub const MAX_NODES: usize = 200_000;

/// A property key and its slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    /// The key as JS shows it (`name`, `Symbol(desc)`).
    pub key: String,
    pub is_symbol: bool,
    pub value: Slot,
}

/// A property's contents.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    Value(JsValue),
    /// A JS accessor (getter and/or setter functions).
    Accessor { getter: bool, setter: bool },
    /// A native accessor (AccessorInfo).
    Native,
}

/// The own properties and elements of an object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Members {
    pub props: Vec<Prop>,
    /// Own (visible) properties in all; `props` may hold fewer.
    pub props_total: usize,
    /// Elements `(index, value)`; `None` is a hole.
    pub elements: Vec<(u64, Option<JsValue>)>,
    /// Elements were cut at `max_elems`.
    pub elements_truncated: bool,
    /// Elements are a dictionary (sparse), so indexes are shown.
    pub sparse: bool,
    /// Why the members could not all be read.
    pub error: Option<String>,
}

/// What kind of object, with its kind's own state.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjKind {
    Plain,
    Array { length: u64 },
    Function { name: String, kind: String, class: bool },
    Bound { target: Box<JsValue>, this: Box<JsValue>, args: Vec<JsValue>, name: String },
    Map { entries: Vec<(JsValue, JsValue)>, size: u64 },
    Set { values: Vec<JsValue>, size: u64 },
    WeakMap { entries: Vec<(JsValue, JsValue)>, size: u64 },
    WeakSet { values: Vec<JsValue>, size: u64 },
    Date { ms: f64 },
    RegExp { source: String, flags: String },
    Error { message: Option<Box<JsValue>>, stack: Option<Box<JsValue>>, stack_formatted: bool },
    Promise { state: PromiseState, result: Option<Box<JsValue>> },
    Proxy { target: Box<JsValue>, handler: Box<JsValue> },
    Boxed { value: Box<JsValue> },
    ArrayBuffer { byte_length: u64, backing_store: u64, bytes: Vec<u8> },
    /// A typed array; `buffer_like` for Node's Buffer (a Uint8Array subclass).
    TypedArray { elem: &'static str, length: u64, byte_offset: u64, data: u64, values: Vec<Num>, buffer_like: bool },
    DataView { byte_offset: u64, byte_length: u64, data: u64, bytes: Vec<u8> },
    /// The global object (or globalThis, its proxy).
    Global,
    /// An API object (a native wrapper such as Node's TCP or Zlib handles):
    /// its embedder (internal) fields.
    Api { fields: Vec<JsValue> },
    /// A suspended generator or async function: its function and the
    /// values its saved frame holds (parameters, then registers), of
    /// `frame_len`.
    Generator { function: Box<JsValue>, frame: Vec<JsValue>, frame_len: u64 },
}

/// A decoded JS object.
#[derive(Debug, Clone, PartialEq)]
pub struct JsObject {
    pub addr: u64,
    /// The constructor's name (`Object`, `Widget`, `Map`).
    pub constructor: String,
    pub kind: ObjKind,
    pub members: Members,
}

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsValue {
    Smi(i64),
    /// A HeapNumber.
    Number { addr: u64, value: f64 },
    Undefined,
    Null,
    Bool(bool),
    Hole,
    /// Another oddball (`uninitialized`, `exception`...).
    Oddball(String),
    String { addr: u64, s: string::JsString },
    Symbol { addr: u64, description: Option<String> },
    /// Decimal text.
    BigInt { addr: u64, text: String },
    Object(Box<JsObject>),
    /// A container already being printed (a cycle).
    Circular { addr: u64 },
    /// A container below the depth limit: its constructor and size hint.
    Elided { addr: u64, what: String },
    /// A heap object of a kind not decoded: its instance type name.
    Unknown { addr: u64, type_name: String },
    /// A value that could not be decoded.
    Bad { addr: u64, error: String },
    /// A raw word that is not a JS value (an embedder field's C++ pointer).
    Raw(u64),
}

/// Decode the value `tagged`.
pub fn decode(h: &Heap, tagged: u64, opts: &DecodeOpts) -> JsValue {
    let mut d = Decoder { h, opts: *opts, path: Vec::new(), nodes: 0 };
    d.value(tagged, 0)
}

/// Decode, failing (rather than returning [`JsValue::Bad`]) when `tagged`
/// is not a value at all: for commands given an address.
pub fn decode_checked(h: &Heap, tagged: u64, opts: &DecodeOpts) -> Result<JsValue, V8Error> {
    if !h.is_smi(tagged) {
        if !h.is_heap_object(tagged) {
            return Err(V8Error::NotHeapObject { addr: tagged });
        }
        h.instance_type(tagged)?;
    }
    Ok(decode(h, tagged, opts))
}

struct Decoder<'h, 'a> {
    h: &'h Heap<'a>,
    opts: DecodeOpts,
    /// Containers on the current path, for cycles.
    path: Vec<u64>,
    nodes: usize,
}

fn bad(addr: u64, e: V8Error) -> JsValue {
    JsValue::Bad { addr, error: e.to_string() }
}

impl Decoder<'_, '_> {
    fn value(&mut self, v: u64, level: usize) -> JsValue {
        let h = self.h;
        if h.is_smi(v) {
            return JsValue::Smi(h.smi_value(v));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return JsValue::Elided { addr: v, what: "...".into() };
        }
        match self.heap_value(v, level) {
            Ok(x) => x,
            Err(e) => bad(v, e),
        }
    }

    fn heap_value(&mut self, v: u64, level: usize) -> Result<JsValue, V8Error> {
        let h = self.h;
        if !h.is_heap_object(v) {
            return Err(V8Error::NotHeapObject { addr: v });
        }
        let ty = h.instance_type(v)?;
        if h.v8.layout.hole_type.value == Some(ty as i64) {
            return Ok(JsValue::Hole);
        }
        if h.is_string_type(ty) {
            return Ok(match string::read_string(h, v, self.opts.max_str) {
                Ok(s) => JsValue::String { addr: v, s },
                Err(e) => bad(v, e),
            });
        }
        if let Some(p) = primitive::primitive(h, v)? {
            return Ok(match p {
                Primitive::Smi(n) => JsValue::Smi(n),
                Primitive::Number(f) => JsValue::Number { addr: v, value: f },
                Primitive::Undefined => JsValue::Undefined,
                Primitive::Null => JsValue::Null,
                Primitive::True => JsValue::Bool(true),
                Primitive::False => JsValue::Bool(false),
                Primitive::Hole => JsValue::Hole,
                Primitive::Uninitialized => JsValue::Oddball("uninitialized".into()),
                Primitive::Other(s) => JsValue::Oddball(s),
            });
        }
        let types = &h.v8.types;
        if types.is(ty, "SYMBOL_TYPE") {
            return Ok(JsValue::Symbol { addr: v, description: primitive::symbol_description(h, v)? });
        }
        if Some(ty) == primitive::bigint_type(h) {
            return Ok(JsValue::BigInt { addr: v, text: primitive::bigint(h, v)? });
        }
        if !h.is_js_receiver_type(ty) {
            return Ok(JsValue::Unknown { addr: v, type_name: h.type_name(ty) });
        }
        if self.path.contains(&v) {
            return Ok(JsValue::Circular { addr: v });
        }
        let constructor = object::constructor_name(h, v).unwrap_or_else(|_| "Object".into());
        if level > self.opts.depth {
            let what = if types.is(ty, "JS_ARRAY_TYPE") {
                format!("Array({})", object::array_length(h, v).map(|n| n.to_string()).unwrap_or_else(|_| "?".into()))
            } else if function::is_function_type(h, ty) {
                format!("function {}", function::function_name(h, v).unwrap_or_default())
            } else {
                constructor
            };
            return Ok(JsValue::Elided { addr: v, what });
        }
        self.path.push(v);
        let r = self.object(v, ty, constructor, level);
        self.path.pop();
        r.map(|o| JsValue::Object(Box::new(o)))
    }

    fn boxed(&mut self, v: u64, level: usize) -> Box<JsValue> {
        Box::new(self.value(v, level))
    }

    fn object(&mut self, v: u64, ty: u16, constructor: String, level: usize) -> Result<JsObject, V8Error> {
        let h = self.h;
        let t = |n: &str| h.v8.types.is(ty, n);
        let max = self.opts.max_elems;
        let next = level + 1;
        // Which members to show besides the kind's own state.
        let (kind, with_props, with_elems) = if t("JS_ARRAY_TYPE") {
            (ObjKind::Array { length: object::array_length(h, v)? }, true, true)
        } else if function::is_function_type(h, ty) {
            let info = function::function_info(h, v)?;
            let f = ObjKind::Function { name: info.display_name(), kind: info.kind.describe().into(), class: info.kind.is_class_constructor() };
            return Ok(JsObject { addr: v, constructor, kind: f, members: Members::default() });
        } else if t("JS_BOUND_FUNCTION_TYPE") {
            let b = function::bound_function(h, v)?;
            let name = function::function_name(h, v).unwrap_or_default();
            let kind = ObjKind::Bound {
                target: self.boxed(b.target, next),
                this: self.boxed(b.this, next),
                args: b.args.iter().map(|&a| self.value(a, next)).collect(),
                name,
            };
            return Ok(JsObject { addr: v, constructor, kind, members: Members::default() });
        } else if t("JS_MAP_TYPE") || t("JS_SET_TYPE") {
            let is_map = t("JS_MAP_TYPE");
            let (raw, size) = collections::collection_entries(h, v, is_map, max)?;
            let kind = if is_map {
                ObjKind::Map { entries: raw.iter().map(|&(k, x)| (self.value(k, next), self.value(x, next))).collect(), size }
            } else {
                ObjKind::Set { values: raw.iter().map(|&(k, _)| self.value(k, next)).collect(), size }
            };
            (kind, true, false)
        } else if t("JS_WEAK_MAP_TYPE") || t("JS_WEAK_SET_TYPE") {
            let is_map = t("JS_WEAK_MAP_TYPE");
            let (raw, size) = collections::weak_entries(h, v, is_map, max)?;
            let kind = if is_map {
                ObjKind::WeakMap { entries: raw.iter().map(|&(k, x)| (self.value(k, next), self.value(x, next))).collect(), size }
            } else {
                ObjKind::WeakSet { values: raw.iter().map(|&(k, _)| self.value(k, next)).collect(), size }
            };
            (kind, true, false)
        } else if t("JS_DATE_TYPE") {
            (ObjKind::Date { ms: collections::date_value(h, v)? }, true, false)
        } else if t("JS_REG_EXP_TYPE") {
            let (src, flags) = collections::regexp(h, v)?;
            let source = string::read_string(h, src, self.opts.max_str.max(4096))?.text;
            (ObjKind::RegExp { source, flags }, false, false)
        } else if t("JS_ERROR_TYPE") {
            let e = collections::error_info(h, v)?;
            let kind = ObjKind::Error {
                message: e.message.map(|m| self.boxed(m, next)),
                stack: e.stack.filter(|_| e.stack_formatted).map(|s| self.boxed(s, next)),
                stack_formatted: e.stack_formatted,
            };
            (kind, true, true)
        } else if t("JS_GENERATOR_OBJECT_TYPE") || t("JS_ASYNC_FUNCTION_OBJECT_TYPE") || t("JS_ASYNC_GENERATOR_OBJECT_TYPE") {
            let l = &h.v8.layout;
            let function = self.boxed(h.field(v, &l.js_generator_function)?, next);
            let regs = h.field(v, &l.js_generator_registers)?;
            let frame_len = h.fixed_array_len(regs)?;
            let frame = (0..frame_len.min(max as u64)).map(|i| h.fixed_array_get(regs, i).map(|x| self.value(x, next))).collect::<Result<_, _>>()?;
            (ObjKind::Generator { function, frame, frame_len }, true, false)
        } else if t("JS_PROMISE_TYPE") {
            let (state, result) = collections::promise(h, v)?;
            (ObjKind::Promise { state, result: result.map(|r| self.boxed(r, next)) }, true, false)
        } else if t("JS_PROXY_TYPE") {
            let (target, handler) = collections::proxy(h, v)?;
            // A proxy has no properties of its own to show.
            let kind = ObjKind::Proxy { target: self.boxed(target, next), handler: self.boxed(handler, next) };
            return Ok(JsObject { addr: v, constructor: "Proxy".into(), kind, members: Members::default() });
        } else if t("JS_PRIMITIVE_WRAPPER_TYPE") {
            let inner = collections::boxed_value(h, v)?;
            (ObjKind::Boxed { value: self.boxed(inner, next) }, true, false)
        } else if t("JS_ARRAY_BUFFER_TYPE") {
            let ab = collections::array_buffer(h, v)?;
            let bytes = if ab.backing_store == 0 { Vec::new() } else { collections::native_bytes(h, ab.backing_store, ab.byte_length, max)? };
            (ObjKind::ArrayBuffer { byte_length: ab.byte_length, backing_store: ab.backing_store, bytes }, true, false)
        } else if t("JS_TYPED_ARRAY_TYPE") {
            let vi = collections::view(h, v, true)?;
            let elem = vi.elem.ok_or_else(|| V8Error::bad(v, "typed array", "no element type"))?;
            let n = vi.length.min(max as u64);
            let bytes = if vi.data == 0 { Vec::new() } else { collections::native_bytes(h, vi.data, n * elem.size(), usize::MAX)? };
            let values = bytes.chunks_exact(elem.size() as usize).map(|b| elem.read(b)).collect();
            let buffer_like = constructor == "Buffer" || constructor == "FastBuffer";
            let kind = ObjKind::TypedArray { elem: elem.name(), length: vi.length, byte_offset: vi.byte_offset, data: vi.data, values, buffer_like };
            (kind, !buffer_like, false)
        } else if t("JS_DATA_VIEW_TYPE") {
            let vi = collections::view(h, v, false)?;
            let bytes = if vi.data == 0 { Vec::new() } else { collections::native_bytes(h, vi.data, vi.byte_length, max)? };
            (ObjKind::DataView { byte_offset: vi.byte_offset, byte_length: vi.byte_length, data: vi.data, bytes }, true, false)
        } else if t("JS_GLOBAL_PROXY_TYPE") || t("JS_GLOBAL_OBJECT_TYPE") {
            (ObjKind::Global, true, false)
        } else if [&h.v8.layout.api_object_type, &h.v8.layout.special_api_object_type].iter().any(|f| f.value == Some(ty as i64)) {
            (ObjKind::Api { fields: self.embedder_fields(v, next) }, true, true)
        } else {
            (ObjKind::Plain, true, true)
        };
        let members = self.members(v, level, with_props, with_elems, &kind);
        Ok(JsObject { addr: v, constructor, kind, members })
    }

    /// An API object's embedder fields: the words between the JSObject
    /// header and the in-object properties. A word that is a JS value is
    /// decoded; anything else (C++ pointers, whatever their low bits) is
    /// shown raw.
    fn embedder_fields(&mut self, v: u64, level: usize) -> Vec<JsValue> {
        let h = self.h;
        let Ok(header) = h.v8.layout.js_api_embedder_fields_start.off() else { return Vec::new() };
        let Ok(mi) = h.map(v).and_then(|m| object::map_info(h, m)) else { return Vec::new() };
        let end = mi.inobject_start_words * 8;
        let mut out = Vec::new();
        let mut off = header;
        while off < end && out.len() < 64 {
            let Ok(w) = h.word(v, off) else { break };
            let valid = h.is_heap_object(w) && h.instance_type(w).is_ok();
            out.push(if valid { self.value(w, level) } else { JsValue::Raw(w) });
            off += 8;
        }
        out
    }

    /// Own properties (minus private symbols and the ones the kind shows
    /// itself) and elements.
    fn members(&mut self, v: u64, level: usize, with_props: bool, with_elems: bool, kind: &ObjKind) -> Members {
        let h = self.h;
        let max = self.opts.max_elems;
        let next = level + 1;
        let mut m = Members::default();
        if with_props {
            match object::properties(h, v, object::MAX_PROPERTIES) {
                Ok(props) => {
                    let hidden = |name: &str| match kind {
                        // shown by the kind itself, or V8's own accessors
                        ObjKind::Error { .. } => name == "message" || name == "stack",
                        ObjKind::Array { .. } => name == "length",
                        _ => false,
                    };
                    // V8's native accessors (`length` of arrays and
                    // strings, `stack` of old errors) are shown only on
                    // plain objects.
                    let native_hidden = |p: &object::Property| {
                        !matches!(kind, ObjKind::Plain)
                            && matches!(p.value, PropValue::Accessor { getter: None, setter: None, pair } if !is_accessor_pair(h, pair))
                    };
                    let visible: Vec<_> = props.list.into_iter().filter(|p| !p.is_private && !hidden(&p.name) && !native_hidden(p)).collect();
                    m.props_total = visible.len();
                    for p in visible.into_iter().take(max) {
                        let value = match p.value {
                            PropValue::Data(x) => Slot::Value(self.value(x, next)),
                            PropValue::Accessor { getter, setter, pair } => {
                                if getter.is_none() && setter.is_none() && !is_accessor_pair(h, pair) {
                                    Slot::Native
                                } else {
                                    Slot::Accessor { getter: getter.is_some(), setter: setter.is_some() }
                                }
                            }
                        };
                        m.props.push(Prop { key: p.name, is_symbol: p.is_symbol, value });
                    }
                }
                Err(e) => m.error = Some(e.to_string()),
            }
        }
        if with_elems {
            let limit = match kind {
                ObjKind::Array { length } => Some(*length),
                _ => None,
            };
            match object::elements(h, v, limit, max) {
                Ok(el) => {
                    m.sparse = el.store == object::ElemStore::Dictionary;
                    m.elements_truncated = el.truncated;
                    let is_array = matches!(kind, ObjKind::Array { .. });
                    for (i, e) in el.items {
                        let x = match e {
                            // Only an array shows its holes; for other
                            // objects they are absent properties.
                            Elem::Hole if !is_array => continue,
                            Elem::Hole => None,
                            Elem::Double(d) => Some(JsValue::Number { addr: 0, value: d }),
                            Elem::Value(x) => Some(self.value(x, next)),
                        };
                        m.elements.push((i, x));
                    }
                }
                Err(e) => {
                    if m.error.is_none() {
                        m.error = Some(e.to_string());
                    }
                }
            }
        }
        m
    }
}

fn is_accessor_pair(h: &Heap, v: u64) -> bool {
    h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "ACCESSOR_PAIR_TYPE"))
}

/// One step of a member path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Prop(String),
    Index(u64),
}

/// Parse a member path: `a.b[1].c`, `[0].x`, `a["odd key"]`.
pub fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < b.len() && b[i] != '.' && b[i] != '[' {
                    i += 1;
                }
                if start == i {
                    return Err(format!("empty member name in {s:?}"));
                }
                out.push(Step::Prop(b[start..i].iter().collect()));
            }
            '[' => {
                let close = b[i..].iter().position(|&c| c == ']').ok_or_else(|| format!("unclosed [ in {s:?}"))? + i;
                let inner: String = b[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Ok(n) = inner.parse::<u64>() {
                    out.push(Step::Index(n));
                } else if inner.len() >= 2 && (inner.starts_with('"') && inner.ends_with('"') || inner.starts_with('\'') && inner.ends_with('\'')) {
                    out.push(Step::Prop(inner[1..inner.len() - 1].to_string()));
                } else {
                    return Err(format!("bad index [{inner}] in {s:?}"));
                }
                i = close + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != '.' && b[i] != '[' {
                    i += 1;
                }
                out.push(Step::Prop(b[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

/// Follow a member path from `base`: properties by name (data properties
/// only), elements by index (`[i]` of a Map/Set is its i-th entry's value).
/// Returns the tagged value reached.
pub fn follow_path(h: &Heap, base: u64, path: &[Step]) -> Result<u64, V8Error> {
    let mut cur = base;
    for step in path {
        if !h.is_heap_object(cur) {
            return Err(V8Error::bad(cur, "JS object", format!("cannot take {} of a non-object", step_text(step))));
        }
        let ty = h.instance_type(cur)?;
        if !h.is_js_receiver_type(ty) {
            return Err(V8Error::bad(cur, "JS object", format!("cannot take {} of a {}", step_text(step), h.type_name(ty))));
        }
        cur = match step {
            Step::Prop(name) => {
                let p = object::find_property(h, cur, name)?.ok_or_else(|| V8Error::bad(cur, "JS object", format!("it has no property {name:?}")))?;
                match p.value {
                    PropValue::Data(v) => v,
                    PropValue::Accessor { .. } => return Err(V8Error::bad(cur, "JS object", format!("property {name:?} is an accessor"))),
                }
            }
            Step::Index(i) => {
                if h.v8.types.is(ty, "JS_MAP_TYPE") || h.v8.types.is(ty, "JS_SET_TYPE") {
                    let is_map = h.v8.types.is(ty, "JS_MAP_TYPE");
                    let (e, _) = collections::collection_entries(h, cur, is_map, (*i as usize).saturating_add(1))?;
                    let (k, v) = *e.get(*i as usize).ok_or_else(|| V8Error::bad(cur, "collection", format!("it has no entry [{i}]")))?;
                    if is_map { v } else { k }
                } else {
                    let limit = if h.v8.types.is(ty, "JS_ARRAY_TYPE") { Some(object::array_length(h, cur)?) } else { None };
                    let el = object::elements(h, cur, limit, usize::MAX)?;
                    match el.items.iter().find(|(j, _)| j == i).map(|(_, e)| *e) {
                        Some(Elem::Value(v)) => v,
                        Some(Elem::Double(_)) => {
                            return Err(V8Error::bad(cur, "array", format!("element [{i}] is an unboxed double (no address); print the array")))
                        }
                        Some(Elem::Hole) | None => return Err(V8Error::bad(cur, "JS object", format!("it has no element [{i}]"))),
                    }
                }
            }
        };
    }
    Ok(cur)
}

fn step_text(s: &Step) -> String {
    match s {
        Step::Prop(p) => format!(".{p}"),
        Step::Index(i) => format!("[{i}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_parse() {
        use Step::*;
        assert_eq!(parse_path("").unwrap(), vec![]);
        assert_eq!(parse_path("a.b[1].c").unwrap(), vec![Prop("a".into()), Prop("b".into()), Index(1), Prop("c".into())]);
        assert_eq!(parse_path("[0].x").unwrap(), vec![Index(0), Prop("x".into())]);
        assert_eq!(parse_path(".x").unwrap(), vec![Prop("x".into())]);
        assert_eq!(parse_path("a[\"odd key\"]").unwrap(), vec![Prop("a".into()), Prop("odd key".into())]);
        assert_eq!(parse_path("a['q']").unwrap(), vec![Prop("a".into()), Prop("q".into())]);
        assert!(parse_path("a[").is_err());
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
    }
}
