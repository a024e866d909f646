//! The reverse-reference index: for every live heap object the scan found,
//! its outgoing references, each with a slot description, inverted so
//! that "who holds this object" is a binary search.
//!
//! References are the ones a JS programmer sees, as mdb_v8's
//! `::jsfindrefs` named them: named properties (in-object, out-of-object,
//! dictionary, global), elements (packed, holey, dictionary), a closure's
//! context and the context's named variables (ScopeInfo), a bound
//! function's target, `this` and arguments, Map/Set/WeakMap entries, a
//! proxy's target and handler, a promise's result or (pending) its
//! reactions, a suspended generator's or async function's saved frame,
//! and the parts of cons, sliced and thin strings. Context slots the
//! ScopeInfo does not name (builtins' own contexts) are indexed by number. Backing stores (PropertyArray, elements
//! FixedArray, OrderedHashMap) are looked through: the holder is the JS
//! object. Non-JS holders (contexts, strings, FixedArrays a property
//! holds) are discovered from the JS objects' references, round by round.
//!
//! Edges to oddballs, the hole, HeapNumbers and maps are left out (every
//! object refers to them). The index is one sorted `Vec<Edge>` (24 bytes an
//! edge) plus the interned property and variable names.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::memory::Memory;

use super::heap::Heap;
use super::object::{self, ElemStore, Location, PropValue};
use super::scan::{AddrMap, AddrSet, Findings, MapCache};
use super::V8Error;

/// One reference: `holder` refers to `target` through `slot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    pub target: u64,
    pub holder: u64,
    pub slot: u32,
}

/// Bits of a (tagged) address kept in a packed edge: x86-64 user space.
const ADDR_BITS: u32 = 47;

/// An edge of the index in 12 bytes: target (47 bits) then holder (47
/// bits), sorting by target first. The slot is not stored: it is found
/// again, when asked for, by listing the holder's references (the index
/// is a third smaller, which matters on a heap of tens of millions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C, packed(4))]
struct Packed {
    hi: u64,
    lo: u32,
}

fn pack(target: u64, holder: u64) -> Option<Packed> {
    if target >> ADDR_BITS != 0 || holder >> ADDR_BITS != 0 {
        return None;
    }
    Some(Packed { hi: (target << 17) | (holder >> 30), lo: ((holder & ((1 << 30) - 1)) << 2) as u32 })
}

impl Packed {
    fn target(self) -> u64 {
        self.hi >> 17
    }
    fn holder(self) -> u64 {
        ((self.hi & ((1 << 17) - 1)) << 30) | (self.lo >> 2) as u64
    }
}

/// A slot: what kind of reference, and its name or index. Encoded in a
/// u32 (kind in the top 4 bits) so an edge stays 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Named property (interned name).
    Prop(u32),
    /// A property's getter / setter.
    Getter(u32),
    Setter(u32),
    /// Element index.
    Elem(u64),
    /// Context variable (interned name).
    ContextVar(u32),
    /// Bound argument index.
    BoundArg(u32),
    /// Index into an internal array (FixedArray), or an unnamed context slot.
    ArrayIndex(u32),
    Fixed(Fixed),
    /// A suspended generator's or async function's saved frame:
    /// parameters, then registers (locals and temporaries).
    Register(u32),
}

/// Slots with a fixed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Fixed {
    MapKey = 0,
    MapValue,
    SetEntry,
    ConsFirst,
    ConsSecond,
    SlicedParent,
    ThinActual,
    BoundTarget,
    BoundThis,
    FunctionContext,
    ContextPrevious,
    WeakMapValue,
    ProxyTarget,
    ProxyHandler,
    PromiseResult,
    /// A pending promise's reactions: what runs when it settles (the
    /// `then` callbacks, an `await`'s resume functions), the promise they
    /// settle, and (Node 24+) the async context they run in.
    PromiseFulfill,
    PromiseReject,
    PromiseDerived,
    PromiseCapability,
    PromiseAsyncContext,
    /// A suspended generator or async function.
    GeneratorFunction,
    GeneratorContext,
    GeneratorReceiver,
    AsyncFunctionPromise,
    /// The index says the holder refers to the target, but listing its
    /// references again did not find through what (it changed, or could
    /// not be read again).
    Unknown,
}

const FIXED: [Fixed; 25] = [
    Fixed::MapKey,
    Fixed::MapValue,
    Fixed::SetEntry,
    Fixed::ConsFirst,
    Fixed::ConsSecond,
    Fixed::SlicedParent,
    Fixed::ThinActual,
    Fixed::BoundTarget,
    Fixed::BoundThis,
    Fixed::FunctionContext,
    Fixed::ContextPrevious,
    Fixed::WeakMapValue,
    Fixed::ProxyTarget,
    Fixed::ProxyHandler,
    Fixed::PromiseResult,
    Fixed::PromiseFulfill,
    Fixed::PromiseReject,
    Fixed::PromiseDerived,
    Fixed::PromiseCapability,
    Fixed::PromiseAsyncContext,
    Fixed::GeneratorFunction,
    Fixed::GeneratorContext,
    Fixed::GeneratorReceiver,
    Fixed::AsyncFunctionPromise,
    Fixed::Unknown,
];

impl Fixed {
    pub fn label(self) -> &'static str {
        match self {
            Fixed::MapKey => "Map entry key",
            Fixed::MapValue => "Map entry value",
            Fixed::SetEntry => "Set entry",
            Fixed::ConsFirst => "(ConsString).first",
            Fixed::ConsSecond => "(ConsString).second",
            Fixed::SlicedParent => "(SlicedString).parent",
            Fixed::ThinActual => "(ThinString).actual",
            Fixed::BoundTarget => "(BoundFunction).target",
            Fixed::BoundThis => "(BoundFunction).this",
            Fixed::FunctionContext => "(Function).context",
            Fixed::ContextPrevious => "Context.previous",
            Fixed::WeakMapValue => "WeakMap entry value",
            Fixed::ProxyTarget => "(Proxy).target",
            Fixed::ProxyHandler => "(Proxy).handler",
            Fixed::PromiseResult => "(Promise).result",
            Fixed::PromiseFulfill => "(Promise).reaction.onFulfilled",
            Fixed::PromiseReject => "(Promise).reaction.onRejected",
            Fixed::PromiseDerived => "(Promise).reaction.promise",
            Fixed::PromiseCapability => "(Promise).reaction.capability",
            Fixed::PromiseAsyncContext => "(Promise).reaction.asyncContext",
            Fixed::GeneratorFunction => "(Generator).function",
            Fixed::GeneratorContext => "(Generator).context",
            Fixed::GeneratorReceiver => "(Generator).this",
            Fixed::AsyncFunctionPromise => "(AsyncFunction).promise",
            Fixed::Unknown => "(slot not found)",
        }
    }
}

const PAYLOAD: u32 = (1 << 28) - 1;

impl Slot {
    /// The u32 form; element indexes beyond 28 bits are interned as names.
    fn encode(self, names: &Names) -> u32 {
        let (k, p) = match self {
            Slot::Prop(n) => (0, n),
            Slot::Getter(n) => (1, n),
            Slot::Setter(n) => (2, n),
            Slot::Elem(i) if i < PAYLOAD as u64 => (3, i as u32),
            Slot::Elem(i) => (4, names.id(&i.to_string())),
            Slot::ContextVar(n) => (5, n),
            Slot::BoundArg(i) => (6, i.min(PAYLOAD)),
            Slot::ArrayIndex(i) => (7, i.min(PAYLOAD)),
            Slot::Fixed(f) => (8, f as u32),
            Slot::Register(i) => (9, i.min(PAYLOAD)),
        };
        (k << 28) | (p & PAYLOAD)
    }

    pub fn decode(v: u32, names: &[String]) -> Slot {
        let p = v & PAYLOAD;
        match v >> 28 {
            0 => Slot::Prop(p),
            1 => Slot::Getter(p),
            2 => Slot::Setter(p),
            3 => Slot::Elem(p as u64),
            4 => Slot::Elem(names.get(p as usize).and_then(|s| s.parse().ok()).unwrap_or(0)),
            5 => Slot::ContextVar(p),
            6 => Slot::BoundArg(p),
            7 => Slot::ArrayIndex(p),
            9 => Slot::Register(p),
            _ => Slot::Fixed(FIXED.get(p as usize).copied().unwrap_or(Fixed::Unknown)),
        }
    }
}

/// Names (property keys, variable names), each stored once.
#[derive(Default)]
struct Names {
    inner: Mutex<(HashMap<String, u32>, Vec<String>)>,
}

impl Names {
    fn id(&self, s: &str) -> u32 {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = g.0.get(s) {
            return *i;
        }
        let i = g.1.len() as u32;
        g.1.push(s.to_string());
        g.0.insert(s.to_string(), i);
        i
    }
}

/// Why a GC root is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// A global object (or its global proxy): what `globalThis` is.
    Global,
    /// A script context: top-level `let`/`const` of a script.
    ScriptContext,
    /// A word of a thread's live stack (1-based thread number).
    Stack(usize),
    /// An object native code holds through a persistent handle (the
    /// embedder's: Node's libuv handle and request wrappers).
    Handle,
}

/// Counters for `-v`.
#[derive(Debug, Clone, Default)]
pub struct RefStats {
    pub elapsed: Duration,
    /// JS objects the scan gave, and other holders found from them.
    pub js_objects: usize,
    pub other_holders: usize,
    /// Cons, sliced and thin strings walked (some more than once).
    pub strings: usize,
    pub rounds: usize,
    pub edges: usize,
    /// Objects whose references could not all be read.
    pub unreadable: u64,
}

/// The reverse-reference index.
pub struct RefIndex {
    /// Sorted by (target, holder), no duplicates.
    edges: Vec<Packed>,
    names: Names,
    kinds: Kinds,
    /// GC roots, sorted by address.
    pub roots: Vec<(u64, Root)>,
    pub stats: RefStats,
}

/// Most rounds of discovery (each goes one non-JS holder deeper: cons
/// string trees, context chains).
const MAX_ROUNDS: usize = 4096;
/// Most references read from one array or table.
const MAX_ITEMS: u64 = 1 << 24;

/// Instance types the builder tells apart.
struct Kinds {
    /// Instance types whose objects hold no references (a bit per type).
    skip: Vec<bool>,
    fixed_array: Option<u16>,
    js_array: Option<u16>,
    map: Option<u16>,
    set: Option<u16>,
    weak_map: Option<u16>,
    bound: Option<u16>,
    proxy: Option<u16>,
    promise: Option<u16>,
    promise_reaction: Option<u16>,
    promise_capability: Option<u16>,
    /// JSGeneratorObject and its subclasses (async functions and generators).
    generators: HashSet<u16>,
    async_function: Option<u16>,
    global: Option<u16>,
    global_proxy: Option<u16>,
    native_context: Option<u16>,
    script_context: Option<u16>,
}

impl Kinds {
    fn new(h: &Heap) -> Kinds {
        let ty = |n: &str| h.v8.types.num(n);
        let mut skip = vec![false; 1 << 16];
        for t in ["ODDBALL_TYPE", "HOLE_TYPE", "HEAP_NUMBER_TYPE", "MAP_TYPE", "BIGINT_TYPE"].iter().filter_map(|n| ty(n)) {
            skip[t as usize] = true;
        }
        let mut native_context = None;
        let mut script_context = None;
        let l = &h.v8.layout;
        if let (Some(a), Some(b)) = (l.first_context_type.value, l.last_context_type.value) {
            for t in a..=b.min(a + 64) {
                match super::context::context_type_name(h, t as u16).as_str() {
                    "NATIVE_CONTEXT_TYPE" => native_context = Some(t as u16),
                    "SCRIPT_CONTEXT_TYPE" => script_context = Some(t as u16),
                    _ => {}
                }
            }
        }
        Kinds {
            skip,
            fixed_array: ty("FIXED_ARRAY_TYPE"),
            js_array: ty("JS_ARRAY_TYPE"),
            map: ty("JS_MAP_TYPE"),
            set: ty("JS_SET_TYPE"),
            weak_map: ty("JS_WEAK_MAP_TYPE"),
            bound: ty("JS_BOUND_FUNCTION_TYPE"),
            proxy: ty("JS_PROXY_TYPE"),
            promise: ty("JS_PROMISE_TYPE"),
            promise_reaction: ty("PROMISE_REACTION_TYPE"),
            promise_capability: ty("PROMISE_CAPABILITY_TYPE"),
            generators: ["JS_GENERATOR_OBJECT_TYPE", "JS_ASYNC_FUNCTION_OBJECT_TYPE", "JS_ASYNC_GENERATOR_OBJECT_TYPE"].iter().filter_map(|n| ty(n)).collect(),
            async_function: ty("JS_ASYNC_FUNCTION_OBJECT_TYPE"),
            global: ty("JS_GLOBAL_OBJECT_TYPE"),
            global_proxy: ty("JS_GLOBAL_PROXY_TYPE"),
            native_context,
            script_context,
        }
    }
}

/// Where a fast-mode map's property values live, read once per map.
enum PropPlace {
    InObject(u64),
    OutOfObject(u64),
    /// The same value for every object of the map (descriptor constant).
    Const(u64),
}

/// What is read from every object of one map.
struct Plan {
    ty: u16,
    /// Fast-mode properties: (slot kind, place). None: read each object
    /// (dictionary mode, global objects).
    props: Option<Vec<(Slot, PropPlace)>>,
    elements: ElemStore,
}

struct Builder<'h> {
    h: &'h Heap<'h>,
    k: &'h Kinds,
    names: &'h Names,
}

/// Entries in a batch's cache of map → instance type.
const TYPE_CACHE: usize = 1024;

/// What one batch of work produced.
struct Out {
    edges: Vec<Packed>,
    /// Contexts and arrays referred to: holders, for the next round.
    found: Vec<u64>,
    /// Cons, sliced and thin strings referred to: walked next round
    /// (not remembered across rounds: there can be tens of millions).
    strings: Vec<u64>,
    unreadable: u64,
    /// Addresses too high to pack (none on x86-64 user space).
    unpackable: u64,
    /// Direct-mapped cache: map → its instance type (maps are few).
    types: Vec<(u64, u16)>,
    /// Looking for the slots through which one holder refers to this
    /// target (`hits`), instead of building.
    want: Option<u64>,
    hits: Vec<Slot>,
}

impl Default for Out {
    fn default() -> Out {
        Out {
            edges: Vec::new(),
            found: Vec::new(),
            strings: Vec::new(),
            unreadable: 0,
            unpackable: 0,
            types: vec![(0, 0); TYPE_CACHE],
            want: None,
            hits: Vec::new(),
        }
    }
}

impl Builder<'_> {
    /// Record `holder → target` unless the target is not worth indexing;
    /// note targets that are holders too.
    fn push(&self, out: &mut Out, holder: u64, target: u64, slot: Slot) {
        let h = self.h;
        if !h.is_heap_object(target) {
            return;
        }
        if let Some(w) = out.want {
            if w == target {
                out.hits.push(slot);
            }
            return;
        }
        let Some(t) = self.ty(out, target) else { return };
        if self.k.skip[t as usize] {
            return;
        }
        if h.is_context_type(t) {
            if Some(t) == self.k.native_context {
                return;
            }
            out.found.push(target);
        } else if h.is_string_type(t) {
            if h.string_kind(t).is_ok_and(|(r, _)| !matches!(r, super::heap::StrRepr::Seq | super::heap::StrRepr::External)) {
                out.strings.push(target);
            }
        } else if Some(t) == self.k.fixed_array {
            out.found.push(target);
        }
        match pack(target, holder) {
            Some(p) => out.edges.push(p),
            None => out.unpackable += 1,
        }
    }

    /// An object's instance type, its map checked once per map.
    fn ty(&self, out: &mut Out, obj: u64) -> Option<u16> {
        let h = self.h;
        let map = h.word(obj, 0).ok()?;
        let ci = ((map >> 3) as usize) % TYPE_CACHE;
        if out.types[ci].0 == map {
            return Some(out.types[ci].1);
        }
        let t = h.instance_type(obj).ok()?;
        out.types[ci] = (map, t);
        Some(t)
    }

    fn plan(&self, obj: u64, map: u64) -> Option<Plan> {
        let h = self.h;
        let mi = object::map_info(h, map).ok()?;
        let elements = object::elements_store(h, mi.elements_kind);
        let per_object = mi.is_dictionary || Some(mi.instance_type) == self.k.global || Some(mi.instance_type) == self.k.global_proxy;
        let props = if per_object {
            None
        } else {
            let ps = object::properties(h, obj, object::MAX_PROPERTIES).ok()?;
            let mut v = Vec::with_capacity(ps.list.len());
            for p in ps.list {
                let n = self.names.id(&p.name);
                match (p.value, p.location) {
                    (PropValue::Data(_), Location::InObject(off)) => v.push((Slot::Prop(n), PropPlace::InObject(off))),
                    (PropValue::Data(_), Location::OutOfObject(j)) => v.push((Slot::Prop(n), PropPlace::OutOfObject(j))),
                    (PropValue::Data(x), _) => v.push((Slot::Prop(n), PropPlace::Const(x))),
                    (PropValue::Accessor { getter, setter, .. }, _) => {
                        if let Some(g) = getter {
                            v.push((Slot::Getter(n), PropPlace::Const(g)));
                        }
                        if let Some(s) = setter {
                            v.push((Slot::Setter(n), PropPlace::Const(s)));
                        }
                    }
                }
            }
            Some(v)
        };
        Some(Plan { ty: mi.instance_type, props, elements })
    }

    /// The references of one JS object.
    fn js_object(&self, out: &mut Out, plans: &mut AddrMap<Option<std::rc::Rc<Plan>>>, obj: u64) {
        let h = self.h;
        let Ok(map) = h.map(obj) else {
            out.unreadable += 1;
            return;
        };
        let plan = plans.entry(map).or_insert_with(|| self.plan(obj, map).map(std::rc::Rc::new)).clone();
        let Some(plan) = plan else {
            out.unreadable += 1;
            return;
        };
        let l = &h.v8.layout;
        let k = &self.k;
        // Named properties.
        match &plan.props {
            Some(props) => {
                let pa = if props.iter().any(|(_, p)| matches!(p, PropPlace::OutOfObject(_))) {
                    h.field(obj, &l.js_receiver_properties).ok()
                } else {
                    None
                };
                let pa_data = l.property_array_data.off().unwrap_or(16);
                for (slot, place) in props {
                    let v = match place {
                        PropPlace::InObject(off) => h.word(obj, *off).ok(),
                        PropPlace::OutOfObject(j) => pa.and_then(|pa| h.word(pa, pa_data + j * 8).ok()),
                        PropPlace::Const(v) => Some(*v),
                    };
                    match v {
                        Some(v) => self.push(out, obj, v, *slot),
                        None => out.unreadable += 1,
                    }
                }
            }
            // The global proxy's properties are its global object's.
            None if Some(plan.ty) == k.global_proxy => {}
            None => match object::properties(h, obj, object::MAX_PROPERTIES) {
                Ok(ps) => {
                    for p in ps.list {
                        let n = self.names.id(&p.name);
                        match p.value {
                            PropValue::Data(v) => self.push(out, obj, v, Slot::Prop(n)),
                            PropValue::Accessor { getter, setter, .. } => {
                                if let Some(g) = getter {
                                    self.push(out, obj, g, Slot::Getter(n));
                                }
                                if let Some(s) = setter {
                                    self.push(out, obj, s, Slot::Setter(n));
                                }
                            }
                        }
                    }
                }
                Err(_) => out.unreadable += 1,
            },
        }
        // Elements.
        if Some(plan.ty) != k.proxy {
            self.elements(out, obj, &plan);
        }
        // What each kind holds besides.
        let t = plan.ty;
        let r: Result<(), V8Error> = (|| {
            if super::function::is_function_type(h, t) {
                let ctx = h.field(obj, &l.js_function_context)?;
                self.push(out, obj, ctx, Slot::Fixed(Fixed::FunctionContext));
            } else if Some(t) == k.bound {
                let b = super::function::bound_function(h, obj)?;
                self.push(out, obj, b.target, Slot::Fixed(Fixed::BoundTarget));
                self.push(out, obj, b.this, Slot::Fixed(Fixed::BoundThis));
                for (i, a) in b.args.iter().enumerate() {
                    self.push(out, obj, *a, Slot::BoundArg(i as u32));
                }
            } else if Some(t) == k.map || Some(t) == k.set {
                let is_map = Some(t) == k.map;
                let (entries, _) = super::collections::collection_entries(h, obj, is_map, MAX_ITEMS as usize)?;
                for (key, v) in entries {
                    if is_map {
                        self.push(out, obj, key, Slot::Fixed(Fixed::MapKey));
                        self.push(out, obj, v, Slot::Fixed(Fixed::MapValue));
                    } else {
                        self.push(out, obj, key, Slot::Fixed(Fixed::SetEntry));
                    }
                }
            } else if Some(t) == k.weak_map {
                let (entries, _) = super::collections::weak_entries(h, obj, true, MAX_ITEMS as usize)?;
                for (_, v) in entries {
                    self.push(out, obj, v, Slot::Fixed(Fixed::WeakMapValue));
                }
            } else if Some(t) == k.proxy {
                let (target, handler) = super::collections::proxy(h, obj)?;
                self.push(out, obj, target, Slot::Fixed(Fixed::ProxyTarget));
                self.push(out, obj, handler, Slot::Fixed(Fixed::ProxyHandler));
            } else if Some(t) == k.promise {
                match super::collections::promise(h, obj)? {
                    (_, Some(v)) => self.push(out, obj, v, Slot::Fixed(Fixed::PromiseResult)),
                    (_, None) => self.reactions(out, obj)?,
                }
            } else if k.generators.contains(&t) {
                self.push(out, obj, h.field(obj, &l.js_generator_function)?, Slot::Fixed(Fixed::GeneratorFunction));
                self.push(out, obj, h.field(obj, &l.js_generator_context)?, Slot::Fixed(Fixed::GeneratorContext));
                self.push(out, obj, h.field(obj, &l.js_generator_receiver)?, Slot::Fixed(Fixed::GeneratorReceiver));
                // The saved frame is looked through: the holder is the generator.
                let regs = h.field(obj, &l.js_generator_registers)?;
                if h.is_heap_object(regs) && self.ty(out, regs) == k.fixed_array {
                    let data = l.fixed_array_data.off()?;
                    for i in 0..h.fixed_array_len(regs)?.min(MAX_ITEMS) {
                        self.push(out, obj, h.word(regs, data + i * 8)?, Slot::Register(i as u32));
                    }
                }
                if Some(t) == k.async_function {
                    self.push(out, obj, h.field(obj, &l.js_async_function_promise)?, Slot::Fixed(Fixed::AsyncFunctionPromise));
                }
            }
            Ok(())
        })();
        if r.is_err() {
            out.unreadable += 1;
        }
    }

    /// A pending promise's reactions (a list of PromiseReaction structs,
    /// looked through: the holder is the promise).
    fn reactions(&self, out: &mut Out, promise: u64) -> Result<(), V8Error> {
        let h = self.h;
        let l = &h.v8.layout;
        let k = &self.k;
        let mut r = h.field(promise, &l.js_promise_result)?;
        let mut n = 0;
        while h.is_heap_object(r) && n < MAX_ITEMS && self.ty(out, r).is_some() && self.ty(out, r) == k.promise_reaction {
            if let Ok(off) = l.promise_reaction_continuation_data.off() {
                self.push(out, promise, h.word(r, off)?, Slot::Fixed(Fixed::PromiseAsyncContext));
            }
            self.push(out, promise, h.word(r, l.promise_reaction_fulfill_handler.off()?)?, Slot::Fixed(Fixed::PromiseFulfill));
            self.push(out, promise, h.word(r, l.promise_reaction_reject_handler.off()?)?, Slot::Fixed(Fixed::PromiseReject));
            let p = h.word(r, l.promise_reaction_promise_or_capability.off()?)?;
            if h.is_heap_object(p) && k.promise_capability.is_some() && self.ty(out, p) == k.promise_capability {
                self.push(out, promise, h.word(p, l.promise_capability_promise.off()?)?, Slot::Fixed(Fixed::PromiseDerived));
                self.push(out, promise, h.word(p, l.promise_capability_resolve.off()?)?, Slot::Fixed(Fixed::PromiseCapability));
                self.push(out, promise, h.word(p, l.promise_capability_reject.off()?)?, Slot::Fixed(Fixed::PromiseCapability));
            } else {
                self.push(out, promise, p, Slot::Fixed(Fixed::PromiseDerived));
            }
            r = h.word(r, l.promise_reaction_next.off()?)?;
            n += 1;
        }
        Ok(())
    }

    fn elements(&self, out: &mut Out, obj: u64, plan: &Plan) {
        let h = self.h;
        let l = &h.v8.layout;
        match plan.elements {
            ElemStore::Tagged { smi: true, .. } | ElemStore::Double { .. } | ElemStore::Other => {}
            ElemStore::Tagged { .. } => {
                let r: Result<(), V8Error> = (|| {
                    let backing = h.field(obj, &l.js_object_elements)?;
                    let cap = h.fixed_array_len(backing)?;
                    let n = if Some(plan.ty) == self.k.js_array { object::array_length(h, obj).unwrap_or(cap).min(cap) } else { cap };
                    let n = n.min(MAX_ITEMS);
                    if n == 0 {
                        return Ok(());
                    }
                    let data = l.fixed_array_data.off()?;
                    let start = h.untag(backing) + data;
                    // One read for the whole store when the core has it in one piece.
                    match h.t.core_slice(start, (n * 8) as usize) {
                        Some(bytes) => {
                            for (i, c) in bytes.chunks_exact(8).enumerate() {
                                let v = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
                                self.push(out, obj, v, Slot::Elem(i as u64));
                            }
                        }
                        None => {
                            for i in 0..n {
                                let v = h.t.read_u64(start + i * 8)?;
                                self.push(out, obj, v, Slot::Elem(i));
                            }
                        }
                    }
                    Ok(())
                })();
                if r.is_err() {
                    out.unreadable += 1;
                }
            }
            ElemStore::Dictionary => match object::elements(h, obj, None, MAX_ITEMS as usize) {
                Ok(e) => {
                    for (i, el) in e.items {
                        if let object::Elem::Value(v) = el {
                            self.push(out, obj, v, Slot::Elem(i));
                        }
                    }
                }
                Err(_) => out.unreadable += 1,
            },
        }
    }

    /// The references of a non-JS holder: a context, a string, an array.
    fn other(&self, out: &mut Out, scopes: &mut AddrMap<Option<Vec<(u64, u32)>>>, addr: u64) {
        let h = self.h;
        let l = &h.v8.layout;
        let Some(t) = self.ty(out, addr) else {
            out.unreadable += 1;
            return;
        };
        let r: Result<(), V8Error> = (|| {
            if h.is_context_type(t) {
                let c = super::context::context(h, addr)?;
                let vars = scopes
                    .entry(c.scope_info)
                    .or_insert_with(|| {
                        let si = super::context::scope_info(h, c.scope_info).ok()?;
                        let mut v = Vec::with_capacity(si.names.len());
                        for (i, name) in si.names.iter().enumerate() {
                            v.push((si.local_slot(h, i as u64).ok()?, self.names.id(name)));
                        }
                        Some(v)
                    })
                    .clone();
                let n = c.length.min(MAX_ITEMS);
                let mut named = vec![false; n as usize];
                for (slot, name) in vars.unwrap_or_default() {
                    if slot >= n {
                        continue;
                    }
                    named[slot as usize] = true;
                    let raw = super::context::context_slot(h, addr, slot)?;
                    let v = match super::context::unwrap_slot(h, raw) {
                        Ok(super::context::SlotValue::Tagged(v)) => v,
                        _ => raw,
                    };
                    self.push(out, addr, v, Slot::ContextVar(name));
                }
                // Slots the ScopeInfo does not name: the extension, and
                // the contexts V8's builtins make for themselves (a
                // promise's resolve functions hold it there, an await's
                // resume functions their async function).
                for i in l.context_min_slots.get()? as u64..n {
                    if !named[i as usize] {
                        self.push(out, addr, super::context::context_slot(h, addr, i)?, Slot::ArrayIndex(i as u32));
                    }
                }
                self.push(out, addr, c.previous, Slot::Fixed(Fixed::ContextPrevious));
            } else if h.is_string_type(t) {
                match h.string_kind(t)?.0 {
                    super::heap::StrRepr::Cons => {
                        self.push(out, addr, h.field(addr, &l.cons_first)?, Slot::Fixed(Fixed::ConsFirst));
                        self.push(out, addr, h.field(addr, &l.cons_second)?, Slot::Fixed(Fixed::ConsSecond));
                    }
                    super::heap::StrRepr::Sliced => {
                        self.push(out, addr, h.field(addr, &l.sliced_parent)?, Slot::Fixed(Fixed::SlicedParent));
                    }
                    super::heap::StrRepr::Thin => {
                        self.push(out, addr, h.field(addr, &l.thin_actual)?, Slot::Fixed(Fixed::ThinActual));
                    }
                    _ => {}
                }
            } else {
                let n = h.fixed_array_len(addr)?.min(MAX_ITEMS);
                for i in 0..n {
                    let v = h.word(addr, l.fixed_array_data.off()? + i * 8)?;
                    self.push(out, addr, v, Slot::ArrayIndex(i as u32));
                }
            }
            Ok(())
        })();
        if r.is_err() {
            out.unreadable += 1;
        }
    }
}

/// Objects per unit of parallel work.
const BATCH: usize = 1 << 14;

/// Build the index from a scan. `interrupted` is polled between batches.
pub fn build(h: &Heap, f: &Findings, interrupted: &(dyn Fn() -> bool + Sync)) -> Result<RefIndex, super::scan::ScanError> {
    let t0 = Instant::now();
    // The scan's transient memory is free but kept by malloc: give it back
    // before the index grows (a quarter of a GB on a 1.7 GB core).
    trim();
    let kinds = Kinds::new(h);
    let names = Names::default();
    let b = Builder { h, k: &kinds, names: &names };
    let mut stats = RefStats { js_objects: f.objects.len(), ..Default::default() };
    // Round 0: every JS object.
    // Each batch appends its results as it finishes, so only the batches
    // in flight exist beside the index (a Vec's unused capacity is never
    // touched, so it costs no memory).
    let acc = Mutex::new(Acc::default());
    in_batches(&f.objects, &acc, interrupted, |out, plans, o| b.js_object(out, plans, o))?;
    // Later rounds: the non-JS holders found so far; contexts and arrays
    // each once, strings once per round (a string reached again by a
    // longer path is walked again; the final sort drops the duplicates).
    let mut seen: AddrSet = AddrSet::default();
    let mut rounds = 1;
    loop {
        let (mut found, mut strings) = {
            let mut a = acc.lock().unwrap_or_else(|e| e.into_inner());
            (std::mem::take(&mut a.found), std::mem::take(&mut a.strings))
        };
        if (found.is_empty() && strings.is_empty()) || rounds >= MAX_ROUNDS {
            break;
        }
        found.par_sort_unstable();
        found.dedup();
        found.retain(|a| seen.insert(*a));
        strings.par_sort_unstable();
        strings.dedup();
        stats.strings += strings.len();
        // The strings are the many: add the few to them, not the reverse
        // (no second copy of tens of millions of addresses).
        strings.append(&mut found);
        let found = strings;
        if found.is_empty() {
            break;
        }
        rounds += 1;
        in_batches(&found, &acc, interrupted, |out, scopes, a| b.other(out, scopes, a))?;
    }
    let Acc { parts, unreadable, .. } = acc.into_inner().unwrap_or_else(|e| e.into_inner());
    // One exact allocation; each part is freed as it is copied, and the
    // freed memory handed back as we go, so the copy does not double it.
    let mut edges: Vec<Packed> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    let mut freed = 0usize;
    for p in parts {
        edges.extend_from_slice(&p);
        freed += p.len();
        drop(p);
        if freed > 1 << 20 {
            trim();
            freed = 0;
        }
    }
    trim();
    stats.unreadable = unreadable;
    edges.par_sort_unstable_by_key(|e| e.hi);
    // Runs of one `hi` (one target, holders alike in their top bits) are
    // short: each is put in order by the rest apart (a u128 key compared
    // at every step of the sort cost a fifth more).
    edges.par_chunk_by_mut(|a, b| {
        let (x, y) = (a.hi, b.hi);
        x == y
    })
    .for_each(|r| {
        if r.len() > 1 {
            r.sort_unstable_by_key(|e| e.lo);
        }
    });
    edges.dedup();
    edges.shrink_to_fit();
    stats.other_holders = seen.len();
    stats.rounds = rounds;
    stats.edges = edges.len();
    let roots = find_roots(h, f, &kinds, &seen, &edges);
    stats.elapsed = t0.elapsed();
    Ok(RefIndex { edges, names, kinds, roots, stats })
}

/// Walk `items` in parallel batches, each with its own output and cache
/// (`C`: what the walk looks up once per batch), appending each batch's
/// output to `acc` as it finishes.
fn in_batches<C: Default>(items: &[u64], acc: &Mutex<Acc>, interrupted: &(dyn Fn() -> bool + Sync), walk: impl Fn(&mut Out, &mut C, u64) + Sync) -> Result<(), super::scan::ScanError> {
    items.par_chunks(BATCH).for_each(|chunk| {
        if interrupted() {
            return;
        }
        let mut out = Out::default();
        let mut cache = C::default();
        for &a in chunk {
            walk(&mut out, &mut cache, a);
        }
        acc.lock().unwrap_or_else(|e| e.into_inner()).add(out);
    });
    if interrupted() { Err(super::scan::ScanError::Interrupted) } else { Ok(()) }
}

/// Give the free memory malloc keeps back to the system (glibc only).
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases free heap memory.
        unsafe { malloc_trim(0) };
    }
}

/// The batches' results, gathered.
#[derive(Default)]
struct Acc {
    /// Each batch's edges, exactly sized (no big vector grown by doubling).
    parts: Vec<Vec<Packed>>,
    found: Vec<u64>,
    strings: Vec<u64>,
    unreadable: u64,
}

impl Acc {
    fn add(&mut self, mut o: Out) {
        o.edges.shrink_to_fit();
        self.parts.push(o.edges);
        self.found.extend_from_slice(&o.found);
        self.strings.extend_from_slice(&o.strings);
        self.unreadable += o.unreadable + o.unpackable;
    }
}

/// The GC roots among the holders: global objects and proxies, script
/// contexts, and the objects live stack words point at.
fn find_roots(h: &Heap, f: &Findings, k: &Kinds, others: &AddrSet, edges: &[Packed]) -> Vec<(u64, Root)> {
    // The type asked once per map (neighbours share a few), not once per
    // object: half the reads.
    let mut roots: Vec<(u64, Root)> = f
        .objects
        .par_chunks(1 << 16)
        .flat_map_iter(|c| {
            let mut global: MapCache<bool> = MapCache::new();
            c.iter()
                .filter(move |&&o| {
                    h.map(o).is_ok_and(|m| {
                        global.get(m, || h.map_instance_type(m).is_ok_and(|t| Some(t) == k.global || Some(t) == k.global_proxy))
                    })
                })
                .map(|&o| (o, Root::Global))
                .collect::<Vec<_>>()
        })
        .collect();
    for &c in others {
        if k.script_context.is_some() && h.instance_type(c).ok() == k.script_context {
            roots.push((c, Root::ScriptContext));
        }
    }
    // Every word of each thread's live stack (from its stack pointer up)
    // that points at an object the index knows.
    let known = |v: u64| -> bool {
        f.objects.binary_search(&v).is_ok() || others.contains(&v) || {
            let i = edges.partition_point(|e| e.target() < v);
            edges.get(i).is_some_and(|e| e.target() == v)
        }
    };
    for th in &h.t.threads {
        let sp = th.regs.rsp();
        let Some(seg) = h.t.core.segments.iter().find(|s| sp >= s.vaddr && sp < s.end()) else { continue };
        let end = seg.vaddr.saturating_add(seg.present.min(seg.memsz));
        let a = sp & !7;
        if a >= end {
            continue;
        }
        let Some(bytes) = h.t.core_slice(a, (end - a) as usize) else { continue };
        for c in bytes.chunks_exact(8) {
            let v = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            if h.is_heap_object(v) && known(v) {
                roots.push((v, Root::Stack(th.index)));
            }
        }
    }
    roots.sort_by_key(|r| r.0);
    roots.dedup_by_key(|r| r.0);
    roots
}

impl RefIndex {
    /// The objects that refer to `t`, by address.
    pub fn holder_addrs(&self, t: u64) -> Vec<u64> {
        if t >> ADDR_BITS != 0 {
            return Vec::new();
        }
        let i = self.edges.partition_point(|e| e.target() < t);
        let j = self.edges.partition_point(|e| e.target() <= t);
        self.edges[i..j].iter().map(|e| e.holder()).collect()
    }

    /// The references to `t`, with their slots (a holder may refer to it
    /// through several), by holder.
    pub fn holders(&self, h: &Heap, t: u64) -> Vec<Edge> {
        let mut out = Vec::new();
        for holder in self.holder_addrs(t) {
            let mut slots = self.slots(h, holder, t);
            if slots.is_empty() {
                slots.push(Slot::Fixed(Fixed::Unknown));
            }
            for slot in slots {
                out.push(Edge { target: t, holder, slot: slot.encode(&self.names) });
            }
        }
        out
    }

    /// The slots through which `holder` refers to `target`, found by
    /// listing the holder's references again.
    pub fn slots(&self, h: &Heap, holder: u64, target: u64) -> Vec<Slot> {
        let b = Builder { h, k: &self.kinds, names: &self.names };
        let mut out = Out { want: Some(target), ..Default::default() };
        match h.instance_type(holder) {
            Ok(t) if h.is_js_receiver_type(t) => b.js_object(&mut out, &mut AddrMap::default(), holder),
            Ok(_) => b.other(&mut out, &mut AddrMap::default(), holder),
            Err(_) => {}
        }
        out.hits
    }

    /// How many references the index holds.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Every distinct target, in parallel.
    pub fn par_targets(&self) -> impl ParallelIterator<Item = u64> + '_ {
        let e = &self.edges;
        (0..e.len()).into_par_iter().filter(move |&i| i == 0 || e[i - 1].target() != e[i].target()).map(move |i| e[i].target())
    }

    pub fn slot(&self, e: &Edge) -> Slot {
        let names = self.names.inner.lock().unwrap_or_else(|x| x.into_inner());
        Slot::decode(e.slot, &names.1)
    }

    pub fn name(&self, id: u32) -> String {
        let names = self.names.inner.lock().unwrap_or_else(|x| x.into_inner());
        names.1.get(id as usize).cloned().unwrap_or_else(|| "?".into())
    }

    /// Add roots the embedder knows of (objects its persistent handles
    /// hold); an address already a root keeps its first reason.
    pub fn add_roots(&mut self, more: impl IntoIterator<Item = (u64, Root)>) {
        for (a, r) in more {
            if let Err(i) = self.roots.binary_search_by_key(&a, |x| x.0) {
                self.roots.insert(i, (a, r));
            }
        }
    }

    pub fn root(&self, a: u64) -> Option<Root> {
        self.roots.binary_search_by_key(&a, |r| r.0).ok().map(|i| self.roots[i].1)
    }

    /// The slot as text, given what the holder is called (`Session`,
    /// `Array`, `global`).
    pub fn label(&self, slot: Slot, holder_name: &str) -> String {
        match slot {
            Slot::Prop(n) => format!("{holder_name}.{}", self.name(n)),
            Slot::Getter(n) => format!("{holder_name}.{} (getter)", self.name(n)),
            Slot::Setter(n) => format!("{holder_name}.{} (setter)", self.name(n)),
            Slot::Elem(i) => format!("({holder_name})[{i}]"),
            Slot::ContextVar(n) => format!("Context.{}", self.name(n)),
            Slot::BoundArg(i) => format!("(BoundFunction).args[{i}]"),
            Slot::ArrayIndex(i) => format!("({holder_name})[{i}]"),
            Slot::Register(i) => format!("(Generator).registers[{i}]"),
            Slot::Fixed(f) => f.label().to_string(),
        }
    }

    /// Shortest reference chains from a root to `target`, found breadth
    /// first backwards over the index: at most `max_paths`, each at most
    /// `max_depth` references long, visiting at most `max_nodes` objects.
    /// Each path is (root, [edge from the root, ..., edge to the target]).
    ///
    /// A stack word is a root that names nothing: the object it points at
    /// is often the very collection that leaks (the code adding to it was
    /// running), which the program holds in a named place too. So the
    /// search goes on past objects the stack points at, and the shortest
    /// chain from the stack is kept only while fewer than `max_paths`
    /// chains from other roots were found.
    pub fn retainers(&self, h: &Heap, target: u64, max_paths: usize, max_depth: usize, max_nodes: usize) -> Vec<(Root, Vec<Edge>)> {
        let mut out: Vec<(Root, Vec<Edge>)> = Vec::new();
        let mut from_stack: Option<(Root, Vec<Edge>)> = None;
        match self.root(target) {
            Some(r @ Root::Stack(_)) => from_stack = Some((r, Vec::new())),
            Some(r) => {
                out.push((r, Vec::new()));
                if out.len() >= max_paths {
                    return out;
                }
            }
            None => {}
        }
        // node -> the next node toward the target, which it holds.
        let mut via: HashMap<u64, u64> = HashMap::new();
        let mut frontier = vec![target];
        let mut seen: HashSet<u64> = HashSet::from([target]);
        'bfs: for _depth in 0..max_depth {
            let mut next = Vec::new();
            for &n in &frontier {
                for holder in self.holder_addrs(n) {
                    if !seen.insert(holder) {
                        continue;
                    }
                    via.insert(holder, n);
                    match self.root(holder) {
                        Some(r @ Root::Stack(_)) => {
                            if from_stack.is_none() {
                                from_stack = Some((r, self.path(h, holder, target, &via, max_depth)));
                            }
                            next.push(holder);
                        }
                        Some(r) => {
                            out.push((r, self.path(h, holder, target, &via, max_depth)));
                            if out.len() >= max_paths {
                                break 'bfs;
                            }
                        }
                        None => next.push(holder),
                    }
                    if seen.len() > max_nodes {
                        break 'bfs;
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        if out.len() < max_paths
            && let Some(s) = from_stack
        {
            // Shortest first, as found.
            let at = out.partition_point(|p| p.1.len() <= s.1.len());
            out.insert(at, s);
        }
        out
    }

    /// The edges from `from` down to `target` along `via`, each with the
    /// first slot the holder refers through.
    fn path(&self, h: &Heap, from: u64, target: u64, via: &HashMap<u64, u64>, max: usize) -> Vec<Edge> {
        let mut path = Vec::new();
        let mut cur = from;
        while let Some(&next) = via.get(&cur) {
            let slot = self.slots(h, cur, next).first().copied().unwrap_or(Slot::Fixed(Fixed::Unknown)).encode(&self.names);
            path.push(Edge { target: next, holder: cur, slot });
            if next == target || path.len() > max {
                break;
            }
            cur = next;
        }
        path
    }
}
