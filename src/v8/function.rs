//! Functions: a JSFunction leads to its SharedFunctionInfo (SFI), which
//! holds what every closure of one function literal shares: the name, the
//! kind (arrow, class constructor, method...), the parameter count, the
//! source positions and the Script. Bound functions hold their target,
//! `this` and arguments.
//!
//! Where the SFI keeps a thing depends on whether the function was
//! compiled:
//! - compiled: `name_or_scope_info` is a ScopeInfo, which holds the name
//!   (its function-variable slot), the inferred name and the positions;
//! - lazy (never run, or its bytecode flushed): `name_or_scope_info` is the
//!   name String, and the SFI's function data is an UncompiledData holding
//!   the inferred name and the positions.
//!
//! Sources: src/objects/shared-function-info.{tq,h}, src/objects/js-function.tq,
//! src/objects/function-kind.h. Offsets come from [`super::layout`].

use super::context::{scope_info_header, ScopeInfo};
use super::string::read_string;
use super::{Heap, V8Error};

/// Longest name decoded (names are identifiers or dotted inferred names).
const MAX_NAME: usize = 4096;
/// Most bound functions followed through `bind` of a `bind`.
const MAX_BOUND_DEPTH: usize = 64;
/// Most bound arguments listed.
pub const MAX_BOUND_ARGS: u64 = 65536;

/// What kind of function literal an SFI was made from
/// (src/objects/function-kind.h, `enum class FunctionKind`; the same
/// numbering in V8 10.2 to 14.6, checked against %DebugPrint's `kind:` on
/// every supported Node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    Normal,
    Module,
    AsyncModule,
    BaseConstructor,
    DefaultBaseConstructor,
    DefaultDerivedConstructor,
    DerivedConstructor,
    Getter,
    StaticGetter,
    Setter,
    StaticSetter,
    Arrow,
    AsyncArrow,
    Async,
    AsyncConciseMethod,
    StaticAsyncConciseMethod,
    AsyncConciseGeneratorMethod,
    StaticAsyncConciseGeneratorMethod,
    AsyncGenerator,
    Generator,
    ConciseGeneratorMethod,
    StaticConciseGeneratorMethod,
    ConciseMethod,
    StaticConciseMethod,
    /// A class's field or static-block initializer (24 and up: newer V8s
    /// split these kinds further, so they are not told apart).
    ClassInitializer,
}

impl FunctionKind {
    /// Decode the 5-bit FunctionKind.
    pub fn from_raw(n: u32) -> FunctionKind {
        use FunctionKind::*;
        const KINDS: [FunctionKind; 24] = [
            Normal,
            Module,
            AsyncModule,
            BaseConstructor,
            DefaultBaseConstructor,
            DefaultDerivedConstructor,
            DerivedConstructor,
            Getter,
            StaticGetter,
            Setter,
            StaticSetter,
            Arrow,
            AsyncArrow,
            Async,
            AsyncConciseMethod,
            StaticAsyncConciseMethod,
            AsyncConciseGeneratorMethod,
            StaticAsyncConciseGeneratorMethod,
            AsyncGenerator,
            Generator,
            ConciseGeneratorMethod,
            StaticConciseGeneratorMethod,
            ConciseMethod,
            StaticConciseMethod,
        ];
        KINDS.get(n as usize).copied().unwrap_or(ClassInitializer)
    }

    /// How a JS developer says it: `function`, `arrow`, `class constructor`,
    /// `static method`, `async generator`...
    pub fn describe(self) -> &'static str {
        use FunctionKind::*;
        match self {
            Normal => "function",
            Module => "module",
            AsyncModule => "async module",
            BaseConstructor | DerivedConstructor => "class constructor",
            DefaultBaseConstructor | DefaultDerivedConstructor => "default class constructor",
            Getter => "getter",
            StaticGetter => "static getter",
            Setter => "setter",
            StaticSetter => "static setter",
            Arrow => "arrow",
            AsyncArrow => "async arrow",
            Async => "async function",
            AsyncConciseMethod => "async method",
            StaticAsyncConciseMethod => "static async method",
            AsyncConciseGeneratorMethod => "async generator method",
            StaticAsyncConciseGeneratorMethod => "static async generator method",
            AsyncGenerator => "async generator",
            Generator => "generator",
            ConciseGeneratorMethod => "generator method",
            StaticConciseGeneratorMethod => "static generator method",
            ConciseMethod => "method",
            StaticConciseMethod => "static method",
            ClassInitializer => "class fields initializer",
        }
    }

    pub fn is_class_constructor(self) -> bool {
        use FunctionKind::*;
        matches!(self, BaseConstructor | DerivedConstructor | DefaultBaseConstructor | DefaultDerivedConstructor)
    }

    pub fn is_arrow(self) -> bool {
        matches!(self, FunctionKind::Arrow | FunctionKind::AsyncArrow)
    }
}

/// What the SharedFunctionInfo says about a function.
#[derive(Debug, Clone, PartialEq)]
pub struct SfiInfo {
    /// The SFI (tagged).
    pub shared: u64,
    /// Its own name; empty when anonymous.
    pub name: String,
    /// The name V8 inferred from the assignment (`Widget.spinAnon` for
    /// `Widget.prototype.spinAnon = function () {}`); empty if none.
    pub inferred: String,
    pub kind: FunctionKind,
    /// The raw 5-bit FunctionKind.
    pub kind_raw: u32,
    pub strict: bool,
    /// A V8-internal (natives) function.
    pub native: bool,
    /// A V8 builtin (its code is in V8; the SFI holds a builtin id).
    pub builtin: bool,
    /// A C++ function of the embedder (a FunctionTemplateInfo): Node's
    /// native methods such as `process.dlopen`.
    pub api: bool,
    pub class_constructor: bool,
    /// Declared parameters (without the receiver); `None` when the SFI
    /// records none (builtins that take any number).
    pub params: Option<u32>,
    /// The Script (tagged), if the function has one.
    pub script: Option<u64>,
    /// Source positions (UTF-16 offsets into the Script source): the
    /// start (the parameter list's `(` for a normal function) and the end.
    pub start_pos: Option<i64>,
    pub end_pos: Option<i64>,
    /// Where the `function`/`async`/method-name token starts; what
    /// `Function.prototype.toString` begins with. Falls back to `start_pos`.
    pub token_pos: Option<i64>,
    /// The compiled function's ScopeInfo (tagged), if compiled.
    pub scope_info: Option<u64>,
    /// The UncompiledData (tagged), if lazy.
    pub uncompiled: Option<u64>,
}

impl SfiInfo {
    /// The name to show: own name, else inferred name, else `<anonymous>`.
    pub fn display_name(&self) -> String {
        if !self.name.is_empty() {
            self.name.clone()
        } else if !self.inferred.is_empty() {
            self.inferred.clone()
        } else {
            "<anonymous>".into()
        }
    }
}

/// A JSFunction: its SFI's facts plus the closure's own context.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    /// The JSFunction (tagged).
    pub func: u64,
    pub sfi: SfiInfo,
    /// The closure's context (tagged).
    pub context: Option<u64>,
    /// A class constructor's whole `class ... { }` source range (the SFI's
    /// positions are those of its `constructor` method).
    pub class_pos: Option<(i64, i64)>,
}

impl FunctionInfo {
    /// The source range Function.prototype.toString prints: the class for
    /// a class constructor, else from the function token to the end.
    pub fn source_range(&self) -> Option<(i64, i64)> {
        if let Some(r) = self.class_pos {
            return Some(r);
        }
        Some((self.token_pos.or(self.start_pos)?, self.end_pos?))
    }
}

impl std::ops::Deref for FunctionInfo {
    type Target = SfiInfo;
    fn deref(&self) -> &SfiInfo {
        &self.sfi
    }
}

/// A bound function (`f.bind(this, ...args)`).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundFunction {
    pub addr: u64,
    /// The bound target (a JSFunction, or another bound function).
    pub target: u64,
    pub this: u64,
    /// The bound arguments (at most [`MAX_BOUND_ARGS`]).
    pub args: Vec<u64>,
    /// How many bound arguments there are.
    pub nargs: u64,
}

/// Either kind of callable the function dcmds accept.
#[derive(Debug, Clone, PartialEq)]
pub enum Callable {
    Function(FunctionInfo),
    Bound(BoundFunction),
}

/// Is `t` one of the JSFunction instance types (JS_FUNCTION_TYPE and its
/// subtypes: class constructors, builtin constructors)? Builds that do not
/// export First/LastJSFunctionType (Node 18, 20) name only
/// JS_FUNCTION_TYPE; its subtypes follow it (layout
/// `js_function_subtype_count`).
pub fn is_function_type(h: &Heap, t: u16) -> bool {
    if h.is_js_function_type(t) {
        return true;
    }
    let l = &h.v8.layout;
    let exported = l.first_js_function_type.value != l.last_js_function_type.value;
    match (exported, h.v8.types.num("JS_FUNCTION_TYPE"), l.js_function_subtype_count.value) {
        (false, Some(first), Some(n)) => (t as i64) > first as i64 && (t as i64) <= first as i64 + n,
        _ => false,
    }
}

/// Is `addr` a JSFunction (any of the JS function instance types)?
pub fn is_function(h: &Heap, addr: u64) -> bool {
    h.is_heap_object(addr) && h.instance_type(addr).is_ok_and(|t| is_function_type(h, t))
}

/// Is `addr` a JSBoundFunction?
pub fn is_bound_function(h: &Heap, addr: u64) -> bool {
    h.is_heap_object(addr) && h.instance_type(addr).is_ok_and(|t| h.v8.types.is(t, "JS_BOUND_FUNCTION_TYPE"))
}

/// Fail unless `addr` is a heap object of the named instance type.
pub(crate) fn expect_type(h: &Heap, addr: u64, ty: &str, what: &'static str) -> Result<(), V8Error> {
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr });
    }
    let t = h.instance_type(addr)?;
    if h.v8.types.is(t, ty) {
        Ok(())
    } else {
        Err(V8Error::bad(addr, what, format!("its type is {}", type_name(h, t))))
    }
}

/// An instance type's name, naming context types too (the metadata does
/// not).
pub(crate) fn type_name(h: &Heap, t: u16) -> String {
    if h.is_context_type(t) {
        super::context::context_type_name(h, t)
    } else {
        h.type_name(t)
    }
}

/// A JSFunction's SharedFunctionInfo (tagged).
pub fn shared_info(h: &Heap, func: u64) -> Result<u64, V8Error> {
    if !h.is_heap_object(func) {
        return Err(V8Error::NotHeapObject { addr: func });
    }
    let t = h.instance_type(func)?;
    if !is_function_type(h, t) {
        return Err(V8Error::bad(func, "JSFunction", format!("its type is {}", type_name(h, t))));
    }
    let sfi = h.field(func, &h.v8.layout.js_function_shared)?;
    expect_type(h, sfi, "SHARED_FUNCTION_INFO_TYPE", "SharedFunctionInfo")
        .map_err(|e| V8Error::bad(func, "JSFunction", format!("its shared info {sfi:#x} is bad: {e}")))?;
    Ok(sfi)
}

/// A string field that may be a String or something else (undefined, a
/// Smi sentinel): the text, or empty.
pub(crate) fn opt_string(h: &Heap, v: u64) -> Result<String, V8Error> {
    if !h.is_heap_object(v) {
        return Ok(String::new());
    }
    let t = h.instance_type(v)?;
    if !h.is_string_type(t) {
        return Ok(String::new());
    }
    Ok(read_string(h, v, MAX_NAME)?.text)
}

/// Is `v` an UncompiledData (any of its four subtypes)?
fn is_uncompiled_data(h: &Heap, v: u64) -> bool {
    if !h.is_heap_object(v) {
        return false;
    }
    let Ok(t) = h.instance_type(v) else { return false };
    h.v8.types.name(t).is_some_and(|n| n.starts_with("UNCOMPILED_DATA_"))
}

/// The ScopeInfo in `name_or_scope_info`, if the function is compiled.
fn sfi_scope_info(h: &Heap, sfi: u64) -> Result<Option<u64>, V8Error> {
    let v = h.field(sfi, &h.v8.layout.sfi_name_or_scope_info)?;
    if !h.is_heap_object(v) {
        return Ok(None);
    }
    let t = h.instance_type(v)?;
    Ok(h.v8.types.is(t, "SCOPE_INFO_TYPE").then_some(v))
}

/// The SFI's own name: the String in `name_or_scope_info`, or the function
/// name its ScopeInfo records; empty when anonymous.
pub fn sfi_name(h: &Heap, sfi: u64) -> Result<String, V8Error> {
    expect_type(h, sfi, "SHARED_FUNCTION_INFO_TYPE", "SharedFunctionInfo")?;
    let v = h.field(sfi, &h.v8.layout.sfi_name_or_scope_info)?;
    if !h.is_heap_object(v) {
        return Ok(String::new()); // kNoSharedNameSentinel (Smi 0)
    }
    let t = h.instance_type(v)?;
    if h.is_string_type(t) {
        return Ok(read_string(h, v, MAX_NAME)?.text);
    }
    if h.v8.types.is(t, "SCOPE_INFO_TYPE") {
        let si = scope_info_header(h, v)?;
        return Ok(si.function_name.unwrap_or_default());
    }
    Err(V8Error::bad(sfi, "SharedFunctionInfo", format!("its name_or_scope_info is a {}", h.type_name(t))))
}

/// The SFI's Script, if it has one: the script field, or (until V8 12)
/// the script of the DebugInfo that takes its place while the function is
/// debugged or its coverage collected.
pub fn sfi_script(h: &Heap, sfi: u64) -> Result<Option<u64>, V8Error> {
    let l = &h.v8.layout;
    let is_type = |v: u64, ty: &str| h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, ty));
    let mut s = h.field(sfi, &l.sfi_script)?;
    if is_type(s, "DEBUG_INFO_TYPE") {
        let Ok(off) = l.debug_info_script.off() else { return Ok(None) };
        s = h.word(s, off)?;
    }
    Ok(is_type(s, "SCRIPT_TYPE").then_some(s))
}

/// Everything the SFI at `sfi` says.
pub fn sfi_info(h: &Heap, sfi: u64) -> Result<SfiInfo, V8Error> {
    expect_type(h, sfi, "SHARED_FUNCTION_INFO_TYPE", "SharedFunctionInfo")?;
    let l = &h.v8.layout;
    let si: Option<ScopeInfo> = match sfi_scope_info(h, sfi)? {
        Some(a) => Some(scope_info_header(h, a)?),
        None => None,
    };
    let name = match &si {
        Some(si) => si.function_name.clone().unwrap_or_default(),
        None => sfi_name(h, sfi)?,
    };
    // The first SFI field holds the UncompiledData of a lazy function.
    let data = match l.sfi_trusted_function_data.off() {
        Ok(off) => Some(h.word(sfi, off)?),
        Err(_) => None,
    };
    let uncompiled = data.filter(|d| is_uncompiled_data(h, *d));
    // What the function runs: a builtin id or a FunctionTemplateInfo sit
    // in the untrusted half when the data is split, else in the one field.
    let code_data = match l.sfi_untrusted_function_data.off() {
        Ok(off) => Some(h.word(sfi, off)?),
        Err(_) => data,
    };
    let builtin = code_data.is_some_and(|d| h.is_smi(d) && h.smi_value(d) >= 0);
    let api = code_data.is_some_and(|d| {
        h.is_heap_object(d) && h.instance_type(d).is_ok_and(|t| h.v8.types.is(t, "FUNCTION_TEMPLATE_INFO_TYPE"))
    });

    let mut inferred = String::new();
    let (mut start_pos, mut end_pos) = (None, None);
    if let Some(si) = &si {
        inferred = si.inferred_name.clone().unwrap_or_default();
        if let Some((s, e)) = si.position {
            (start_pos, end_pos) = (Some(s), Some(e));
        }
    }
    if let Some(u) = uncompiled {
        if inferred.is_empty() {
            inferred = opt_string(h, h.field(u, &l.uncompiled_inferred_name)?)?;
        }
        if start_pos.is_none() {
            start_pos = Some(h.u32_at(u, l.uncompiled_start_position.off()?)? as i32 as i64);
            end_pos = Some(h.u32_at(u, l.uncompiled_end_position.off()?)? as i32 as i64);
        }
    }
    // A ScopeInfo without positions (-1 or 0/0 for internal scopes) says
    // nothing.
    if start_pos.is_some_and(|s| s < 0) || end_pos.is_some_and(|e| e < 0) {
        (start_pos, end_pos) = (None, None);
    }

    let flags = h.u32_at(sfi, l.sfi_flags.off()?)?;
    let kind_raw = (flags >> l.sfi_flags_kind_shift.get()?) & l.sfi_flags_kind_mask.get()? as u32;
    let bit = |f: &super::layout::Field| -> Result<bool, V8Error> { Ok(flags >> f.get()? & 1 == 1) };
    let kind = FunctionKind::from_raw(kind_raw);

    let raw_params = h.u16_at(sfi, l.sfi_formal_parameter_count.off()?)? as u32;
    let receiver = l.sfi_params_include_receiver.get()? as u32;
    // 0 is kDontAdaptArgumentsSentinel: the function takes anything.
    let params = (raw_params >= receiver.max(1)).then(|| raw_params - receiver);

    let token_off = h.u16_at(sfi, l.sfi_function_token_offset.off()?)? as i64;
    let token_pos = match start_pos {
        Some(s) if token_off != l.sfi_function_token_out_of_range.get()? && token_off <= s => Some(s - token_off),
        other => other,
    };

    let script = sfi_script(h, sfi)?;

    Ok(SfiInfo {
        shared: sfi,
        name,
        inferred,
        kind,
        kind_raw,
        strict: bit(&l.sfi_flags_strict_bit)?,
        native: bit(&l.sfi_flags_native_bit)?,
        builtin,
        api,
        class_constructor: bit(&l.sfi_flags_class_constructor_bit)?,
        params,
        script,
        start_pos,
        end_pos,
        token_pos,
        scope_info: si.map(|s| s.addr),
        uncompiled,
    })
}

/// Everything known about the JSFunction at `func`.
pub fn function_info(h: &Heap, func: u64) -> Result<FunctionInfo, V8Error> {
    let sfi = shared_info(h, func)?;
    let info = sfi_info(h, sfi)?;
    let ctx = h.field(func, &h.v8.layout.js_function_context)?;
    let context = (h.is_heap_object(ctx) && h.instance_type(ctx).is_ok_and(|t| h.is_context_type(t))).then_some(ctx);
    let class_pos = if info.kind.is_class_constructor() { class_positions(h, func) } else { None };
    Ok(FunctionInfo { func, sfi: info, context, class_pos })
}

/// Most own properties looked through for the class positions.
const MAX_CLASS_PROPS: usize = 256;

/// A class constructor's ClassPositions, which V8 keeps as an own data
/// property under a private symbol (`class_positions_symbol`); None when
/// it cannot be found.
pub fn class_positions(h: &Heap, func: u64) -> Option<(i64, i64)> {
    let l = &h.v8.layout;
    let props = super::object::properties(h, func, MAX_CLASS_PROPS).ok()?;
    for p in &props.list {
        let super::object::PropValue::Data(v) = p.value else { continue };
        if !p.is_private || !h.is_heap_object(v) {
            continue;
        }
        if !h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "CLASS_POSITIONS_TYPE")) {
            continue;
        }
        let start = h.smi_field(v, &l.class_positions_start).ok()?;
        let end = h.smi_field(v, &l.class_positions_end).ok()?;
        return (0 <= start && start <= end).then_some((start, end));
    }
    None
}

/// The bound function at `addr`: target, `this` and arguments.
pub fn bound_function(h: &Heap, addr: u64) -> Result<BoundFunction, V8Error> {
    expect_type(h, addr, "JS_BOUND_FUNCTION_TYPE", "bound function")?;
    let l = &h.v8.layout;
    let target = h.field(addr, &l.js_bound_target)?;
    let this = h.field(addr, &l.js_bound_this)?;
    let arr = h.field(addr, &l.js_bound_args)?;
    let nargs = h.fixed_array_len(arr)?;
    let mut args = Vec::new();
    for i in 0..nargs.min(MAX_BOUND_ARGS) {
        args.push(h.fixed_array_get(arr, i)?);
    }
    Ok(BoundFunction { addr, target, this, args, nargs })
}

/// A JSFunction or bound function.
pub fn callable(h: &Heap, addr: u64) -> Result<Callable, V8Error> {
    if is_bound_function(h, addr) {
        return Ok(Callable::Bound(bound_function(h, addr)?));
    }
    Ok(Callable::Function(function_info(h, addr)?))
}

/// A function's name as a developer would say it: its own name (`inner`),
/// else the inferred one (`Widget.spinAnon`), else `<anonymous>`; for a
/// bound function, `bound ` and its target's name, as V8 names it.
pub fn function_name(h: &Heap, func: u64) -> Result<String, V8Error> {
    let mut prefix = String::new();
    let mut f = func;
    for _ in 0..MAX_BOUND_DEPTH {
        if !is_bound_function(h, f) {
            let sfi = shared_info(h, f)?;
            return Ok(prefix + &sfi_info(h, sfi)?.display_name());
        }
        prefix.push_str("bound ");
        f = h.field(f, &h.v8.layout.js_bound_target)?;
    }
    Err(V8Error::bad(func, "bound function", format!("bound more than {MAX_BOUND_DEPTH} deep")))
}
