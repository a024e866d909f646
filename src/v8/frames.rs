//! JavaScript frames: what V8 left on a thread's stack, frame by frame.
//!
//! The native unwinder ([`crate::unwind`]) finds the frames; here each one
//! whose pc is V8 code (an embedded builtin or JIT code) is classified by
//! the word at `fp + off_fp_context`: a frame-type marker (`type << 1`, a
//! raw intptr: src/execution/frames.h StackFrame::TypeToMarker) makes a
//! typed frame (entry, exit, construct, stub...), a heap pointer (the
//! context) a JavaScript frame, whose function sits at `fp +
//! off_fp_function`. Interpreted frames also keep their BytecodeArray and
//! the current bytecode offset, which the source position table turns into
//! the executing line ([`super::sourcepos`]).
//!
//! Nothing here trusts the stack: every read can fail, and a frame that
//! does not decode is reported as such with the reason.

use crate::memory::Memory;
use crate::target::Target;
use crate::unwind::{self, Frame, Trust};

use super::function::{self, FunctionInfo};
use super::{Heap, V8Error, script, sourcepos};

/// Most arguments read from a frame.
pub const MAX_ARGS: u64 = 64;
/// Largest argument count taken as plausible.
const MAX_ARGC: u64 = 65_535;
/// Deepest prototype chain searched for a method name.
const MAX_PROTO_DEPTH: usize = 16;
/// Most properties looked at per object when searching for a method name.
const MAX_PROPS: usize = 2048;

/// What code a pc is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeAt {
    /// A V8 embedded builtin, by name without `Builtins_`.
    Builtin(String),
    /// Anonymous executable memory: V8's JIT code.
    Jit,
    /// Code of a module that is not a V8 builtin (C/C++).
    Native,
    /// Not code at all.
    Unknown,
}

/// The code at `pc` (looked up at `lookup`, pc-1 for return addresses).
pub fn code_at(t: &Target, lookup: u64) -> CodeAt {
    let name = match t.symbolize(lookup) {
        Some(s) => Some(s.name),
        None => unwind::code_location(t, lookup)
            .and_then(|loc| loc.module.symbols().lookup_addr(loc.file_addr).map(|s| s.short_name())),
    };
    if let Some(n) = name {
        return match n.strip_prefix("Builtins_") {
            Some(b) => CodeAt::Builtin(b.to_string()),
            None => CodeAt::Native,
        };
    }
    if unwind::code_location(t, lookup).is_some() {
        CodeAt::Native
    } else if unwind::is_code(t, lookup) {
        CodeAt::Jit
    } else {
        CodeAt::Unknown
    }
}

/// What kind of frame V8 made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Ignition: running bytecode.
    Interpreted,
    /// Sparkplug code (bytecode array kept in the frame).
    Baseline,
    /// Maglev or TurboFan code.
    Optimized,
    /// A builtin with JavaScript linkage (`Array.prototype.forEach`...).
    Builtin(String),
    /// A typed V8 frame: its frametype name (`ExitFrame`, `EntryFrame`...).
    Typed(String),
    /// C/C++ code.
    Native,
    /// V8 code whose frame did not decode; why.
    Unknown(String),
}

impl Kind {
    /// A short label for listings.
    pub fn label(&self) -> String {
        match self {
            Kind::Interpreted => "interpreted".into(),
            Kind::Baseline => "baseline/osr".into(),
            Kind::Optimized => "optimized".into(),
            Kind::Builtin(b) => format!("builtin {b}"),
            Kind::Typed(t) => t.strip_suffix("Frame").unwrap_or(t).to_lowercase(),
            Kind::Native => "native".into(),
            Kind::Unknown(_) => "unknown".into(),
        }
    }
    pub fn is_js(&self) -> bool {
        matches!(self, Kind::Interpreted | Kind::Baseline | Kind::Optimized | Kind::Builtin(_))
    }
}

/// Where a JS frame is in its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Script offset (UTF-16 units).
    pub offset: i64,
    /// 1-based line and column.
    pub line: u32,
    pub column: u32,
    /// The position executing (from the bytecode offset); false when only
    /// the function's definition is known.
    pub executing: bool,
}

/// A decoded JavaScript frame.
#[derive(Debug, Clone, PartialEq)]
pub struct JsFrame {
    /// The JSFunction (tagged).
    pub function: u64,
    pub info: FunctionInfo,
    /// The receiver (`this`), if readable.
    pub receiver: Option<u64>,
    /// The actual arguments (at most [`MAX_ARGS`]).
    pub args: Vec<u64>,
    /// How many arguments the caller passed (without the receiver).
    pub argc: Option<u64>,
    /// The BytecodeArray and bytecode offset of an interpreted frame.
    pub bytecode: Option<u64>,
    pub bytecode_offset: Option<i64>,
    /// The Script (tagged) and its name.
    pub script: Option<u64>,
    pub file: String,
    pub position: Option<Position>,
    /// Why the position is not the executing one, when it is not.
    pub note: Option<String>,
}

/// One frame of a stack, as V8 sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct V8Frame {
    pub frame: Frame,
    pub code: CodeAt,
    pub kind: Kind,
    pub js: Option<JsFrame>,
}

impl V8Frame {
    /// The frame pointer, or 0.
    pub fn fp(&self) -> u64 {
        self.frame.fp.unwrap_or(0)
    }
}

fn stack_word(h: &Heap, fp: u64, off: i64) -> Result<u64, V8Error> {
    Ok(h.t.read_u64(fp.wrapping_add(off as u64))?)
}

fn is_type(h: &Heap, v: u64, name: &str) -> bool {
    h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, name))
}

/// The frame-type name a marker word means, if it is one.
pub fn marker_type(h: &Heap, marker: u64) -> Option<String> {
    if h.is_heap_object(marker) {
        return None;
    }
    let shift = h.v8.layout.frame_marker_shift.get().ok()?;
    if marker & 1 != 0 || marker > (1 << 16) {
        return None;
    }
    let ty = (marker >> shift) as i64;
    h.v8.frame_types().into_iter().find(|(_, n)| *n == ty).map(|(name, _)| name)
}

/// Classify one native frame.
pub fn classify(h: &Heap, f: &Frame) -> V8Frame {
    let code = code_at(h.t, f.lookup_pc());
    let mut out = V8Frame { frame: f.clone(), code: code.clone(), kind: Kind::Native, js: None };
    let (CodeAt::Builtin(_) | CodeAt::Jit) = &code else { return out };
    let Some(fp) = f.fp else {
        out.kind = Kind::Unknown("no frame pointer".into());
        return out;
    };
    match decode_v8_frame(h, fp, &code) {
        Ok((kind, js)) => {
            out.kind = kind;
            out.js = js;
        }
        Err(e) => out.kind = Kind::Unknown(e.to_string()),
    }
    out
}

/// The frame whose frame pointer is `fp` (for `addr::jsframe`); `pc` is
/// the pc in it when the caller knows it (from a walked stack). Without
/// it, a frame holding a BytecodeArray is taken as interpreted.
pub fn frame_at(h: &Heap, fp: u64, pc: Option<u64>) -> V8Frame {
    let pc = pc.unwrap_or(0);
    let frame =
        Frame { pc, sp: fp, fp: Some(fp), cfa: None, regs: [None; crate::arch::x86_64::DWARF_REGS], trust: Trust::FramePointer, trampoline: false };
    let code = if pc == 0 { CodeAt::Unknown } else { code_at(h.t, pc.wrapping_sub(1)) };
    let (kind, js) = match decode_v8_frame(h, fp, &code) {
        Ok(x) => x,
        Err(e) => (Kind::Unknown(e.to_string()), None),
    };
    V8Frame { frame, code, kind, js }
}

fn decode_v8_frame(h: &Heap, fp: u64, code: &CodeAt) -> Result<(Kind, Option<JsFrame>), V8Error> {
    let l = &h.v8.layout;
    let marker = stack_word(h, fp, l.off_fp_context.get()?)?;
    if let Some(name) = marker_type(h, marker) {
        return Ok((Kind::Typed(name), None));
    }
    if !h.is_heap_object(marker) {
        return Err(V8Error::bad(fp, "V8 frame", format!("its context slot holds {marker:#x}, neither a context nor a frame-type marker")));
    }
    let func = stack_word(h, fp, l.off_fp_function.get()?)?;
    let info = function::function_info(h, func)?;
    let bytecode = stack_word(h, fp, l.off_fp_bytecode_array.get()?).ok().filter(|b| is_type(h, *b, "BYTECODE_ARRAY_TYPE"));
    let kind = match (code, bytecode) {
        (CodeAt::Builtin(b), _) if b.starts_with("Baseline") => Kind::Baseline,
        (CodeAt::Builtin(_), Some(_)) => Kind::Interpreted,
        (CodeAt::Builtin(b), None) => Kind::Builtin(b.clone()),
        (CodeAt::Unknown, Some(_)) => Kind::Interpreted,
        (_, Some(_)) => Kind::Baseline,
        _ => Kind::Optimized,
    };
    let js = decode_js(h, fp, func, info, &kind, bytecode)?;
    Ok((kind, Some(js)))
}

fn decode_js(h: &Heap, fp: u64, func: u64, info: FunctionInfo, kind: &Kind, bytecode: Option<u64>) -> Result<JsFrame, V8Error> {
    let l = &h.v8.layout;
    let args_off = l.off_fp_args.get()?;
    let receiver = stack_word(h, fp, args_off).ok();
    let with_receiver = l.sfi_params_include_receiver.get().unwrap_or(1) as u64;
    let argc = l
        .off_fp_argc
        .get()
        .ok()
        .and_then(|o| stack_word(h, fp, o).ok())
        .filter(|&n| n >= with_receiver && n <= MAX_ARGC)
        .map(|n| n - with_receiver);
    let mut args = Vec::new();
    for i in 0..argc.unwrap_or(0).min(MAX_ARGS) {
        match stack_word(h, fp, args_off + 8 * (i as i64 + 1)) {
            Ok(v) => args.push(v),
            Err(_) => break,
        }
    }
    let script = info.script;
    let file = match script {
        Some(s) => script::script_name(h, s).unwrap_or_default(),
        None => String::new(),
    };
    let mut js = JsFrame {
        function: func,
        info,
        receiver,
        args,
        argc,
        bytecode: None,
        bytecode_offset: None,
        script,
        file,
        position: None,
        note: None,
    };
    let mut executing = None;
    if *kind == Kind::Interpreted {
        if let Some(ba) = bytecode {
            js.bytecode = Some(ba);
            match interpreted_position(h, fp, ba) {
                Ok((off, pos)) => {
                    js.bytecode_offset = Some(off);
                    executing = pos;
                    if pos.is_none() {
                        js.note = Some(format!("no source position at bytecode offset {off}"));
                    }
                }
                Err(e) => js.note = Some(format!("executing line unknown: {e}")),
            }
        }
    } else {
        js.note = Some(match kind {
            Kind::Baseline => "baseline or on-stack-replaced optimized code (JIT code in an unoptimized frame): executing line and inlined frames not decoded".into(),
            Kind::Optimized => "optimized code: executing line not decoded".into(),
            _ => "builtin".into(),
        });
    }
    if let Some(s) = script {
        let (pos, is_exec) = match executing {
            Some(p) => (Some(p), true),
            None => (js.info.token_pos.or(js.info.start_pos), false),
        };
        if let Some(p) = pos {
            if let Ok((line, column)) = script::position_to_line_col(h, s, p) {
                js.position = Some(Position { offset: p, line, column, executing: is_exec });
            }
        }
    }
    Ok(js)
}

/// An interpreted frame's bytecode offset and the script offset it runs.
fn interpreted_position(h: &Heap, fp: u64, bytecode: u64) -> Result<(i64, Option<i64>), V8Error> {
    let l = &h.v8.layout;
    let slot = stack_word(h, fp, l.off_fp_bytecode_offset.get()?)?;
    if !h.is_smi(slot) {
        return Err(V8Error::bad(fp, "interpreted frame", format!("its bytecode offset slot holds {slot:#x}, not a Smi")));
    }
    let off = sourcepos::bytecode_offset_from_slot(h, h.smi_value(slot))?;
    let len = h.smi_field(bytecode, &l.fixed_array_length)?;
    if off < 0 || off > len {
        return Err(V8Error::bad(fp, "interpreted frame", format!("bytecode offset {off} is outside its {len}-byte array")));
    }
    let table = sourcepos::bytecode_positions(h, bytecode)?;
    Ok((off, sourcepos::position_at(&table, off)))
}

/// Classify every frame of a walked stack.
pub fn decode_stack(h: &Heap, frames: &[Frame]) -> Vec<V8Frame> {
    frames.iter().map(|f| classify(h, f)).collect()
}

/// Is the frame's receiver "top level" for naming (undefined, null, the
/// global proxy): V8 names such frames by the function alone.
fn is_toplevel(h: &Heap, receiver: Option<u64>) -> bool {
    let Some(r) = receiver else { return true };
    if !h.is_heap_object(r) {
        return false;
    }
    let Ok(t) = h.instance_type(r) else { return true };
    if h.v8.types.is(t, "JS_GLOBAL_PROXY_TYPE") {
        return true;
    }
    matches!(
        super::primitive::primitive(h, r),
        Ok(Some(super::primitive::Primitive::Undefined | super::primitive::Primitive::Null))
    )
}

/// The name V8 gives a function in stack traces (SharedFunctionInfo::
/// DebugName): its own name, else the name inferred from the assignment.
pub fn debug_name(_h: &Heap, info: &FunctionInfo) -> String {
    if !info.name.is_empty() { info.name.clone() } else { info.inferred.clone() }
}

/// The first data property named `key` on `obj` or its prototypes.
fn lookup_data(h: &Heap, obj: u64, key: &str) -> Option<u64> {
    let mut o = obj;
    for _ in 0..MAX_PROTO_DEPTH {
        if !h.is_heap_object(o) || !h.instance_type(o).is_ok_and(|t| h.is_js_receiver_type(t)) {
            return None;
        }
        if let Ok(props) = super::object::properties(h, o, MAX_PROPS) {
            if let Some(p) = props.list.iter().find(|p| !p.is_symbol && !p.is_private && p.name == key) {
                return match p.value {
                    super::object::PropValue::Data(v) => Some(v),
                    _ => None,
                };
            }
        }
        o = h.field(h.map(o).ok()?, &h.v8.layout.map_prototype).ok()?;
    }
    None
}

/// The receiver's type as stack traces name it (JSReceiver::
/// GetConstructorName): its map's constructor, unless that is `Object`
/// or anonymous; then the `constructor` property found on its prototype
/// chain (an `Object.create(Gadget.prototype)` object is a `Gadget`).
fn callsite_type_name(h: &Heap, recv: u64) -> String {
    let base = super::object::constructor_name(h, recv).unwrap_or_default();
    // The map's constructor only names objects made with new.target ==
    // the constructor (not derived-class instances) and not prototypes.
    let l = &h.v8.layout;
    let map_says = (|| -> Option<bool> {
        let map = h.map(recv).ok()?;
        let b2 = h.u8_at(map, l.map_bit_field2.off().ok()?).ok()?;
        let b3 = h.u32_at(map, l.map_bit_field3.off().ok()?).ok()?;
        let base_bit = b2 >> l.map_new_target_is_base_bit.get().ok()? & 1 == 1;
        let proto_bit = b3 >> l.map_is_prototype_map_bit.get().ok()? & 1 == 1;
        Some(base_bit && !proto_bit)
    })()
    .unwrap_or(true);
    if map_says && !base.is_empty() && base != "Object" {
        return base;
    }
    if let Some(c) = lookup_data(h, recv, "constructor") {
        if let Ok(info) = function::function_info(h, c) {
            let n = debug_name(h, &info);
            if !n.is_empty() && n != "Object" {
                return n;
            }
        }
    }
    base
}

/// The property names under which `func` is found on `receiver` or its
/// prototypes (data properties and accessor halves).
fn method_names(h: &Heap, receiver: u64, func: u64, wanted: &str) -> (bool, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut wanted_hit = false;
    let mut wanted_seen = false;
    let mut o = receiver;
    for _ in 0..MAX_PROTO_DEPTH {
        if !h.is_heap_object(o) || !h.instance_type(o).is_ok_and(|t| h.is_js_receiver_type(t)) {
            break;
        }
        if let Ok(props) = super::object::properties(h, o, MAX_PROPS) {
            for p in &props.list {
                if p.is_private || p.is_symbol {
                    continue;
                }
                let hit = match p.value {
                    super::object::PropValue::Data(v) => v == func,
                    super::object::PropValue::Accessor { getter, setter, .. } => getter == Some(func) || setter == Some(func),
                };
                if !wanted.is_empty() && p.name == wanted && !wanted_seen {
                    wanted_seen = true;
                    wanted_hit = hit;
                }
                if hit && !names.contains(&p.name) {
                    names.push(p.name.clone());
                }
            }
        }
        let Ok(map) = h.map(o) else { break };
        match h.field(map, &h.v8.layout.map_prototype) {
            Ok(p) => o = p,
            Err(_) => break,
        }
    }
    (wanted_hit, names)
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_' || f == '$') && c.all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '$')
}

/// `subject` is `pattern` or ends with `.pattern` / ` pattern`.
fn ends_with_method(subject: &str, pattern: &str) -> bool {
    subject == pattern
        || (subject.len() > pattern.len()
            && subject.ends_with(pattern)
            && matches!(subject.as_bytes()[subject.len() - pattern.len() - 1], b'.' | b' '))
}

/// The frame's name as node prints it in a stack trace (V8's
/// CallSiteInfo serialization, src/objects/call-site-info.cc): `fn`,
/// `new Fn`, `Type.method`, `Type.fn [as alias]`; empty for an anonymous
/// top-level function (node then prints the location alone).
pub fn node_name(h: &Heap, js: &JsFrame, construct: bool) -> String {
    let fname = debug_name(h, &js.info);
    if construct {
        return format!("new {}", if fname.is_empty() { "<anonymous>" } else { &fname });
    }
    if is_toplevel(h, js.receiver) {
        return fname;
    }
    let Some(recv) = js.receiver else { return fname };
    let fn_receiver_named = h.v8.layout.callsite_function_receiver_named.get().unwrap_or(0) == 1;
    let type_name = if h.is_heap_object(recv) && h.instance_type(recv).is_ok_and(|t| h.is_js_receiver_type(t)) {
        // A static method's receiver is its class (or, from V8 13, any function): named by it.
        let fn_name = match function::function_info(h, recv) {
            Ok(i) if i.class_constructor || fn_receiver_named => debug_name(h, &i),
            _ => String::new(),
        };
        if !fn_name.is_empty() {
            fn_name
        } else if is_type(h, recv, "JS_PROXY_TYPE") {
            "Proxy".to_string()
        } else {
            callsite_type_name(h, recv)
        }
    } else {
        String::new()
    };
    let (wanted_hit, names) = method_names(h, recv, js.function, &js.info.name);
    let method = if !js.info.name.is_empty() && wanted_hit {
        js.info.name.clone()
    } else if names.len() == 1 {
        names[0].clone()
    } else {
        String::new()
    };
    let mut s = String::new();
    if !fname.is_empty() {
        if !type_name.is_empty() && is_identifier(&fname) && fname != type_name {
            s.push_str(&type_name);
            s.push('.');
        }
        s.push_str(&fname);
        if !method.is_empty() && !ends_with_method(&fname, &method) {
            s.push_str(&format!(" [as {method}]"));
        }
    } else {
        if !type_name.is_empty() {
            s.push_str(&type_name);
            s.push('.');
        }
        s.push_str(if method.is_empty() { "<anonymous>" } else { &method });
    }
    s
}

/// Is the frame at `i` called as a constructor: is the next frame out a
/// construct frame?
pub fn is_construct_call(frames: &[V8Frame], i: usize) -> bool {
    frames[i + 1..]
        .iter()
        .find(|f| !matches!(f.kind, Kind::Native))
        .is_some_and(|f| matches!(&f.kind, Kind::Typed(t) if t == "ConstructFrame" || t == "FastConstructFrame"))
}

/// `file:line:col` as node prints it (`file` alone without a position).
pub fn location(js: &JsFrame) -> String {
    let file = if js.file.is_empty() { "<anonymous>" } else { &js.file };
    match &js.position {
        Some(p) => format!("{file}:{}:{}", p.line, p.column),
        None => file.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_name_suffixes() {
        assert!(ends_with_method("Module._load", "_load"));
        assert!(ends_with_method("get x", "x"));
        assert!(ends_with_method("run", "run"));
        assert!(!ends_with_method("executeUserEntryPoint", "runMain"));
        assert!(!ends_with_method("xrun", "run"));
        assert!(is_identifier("spin"));
        assert!(!is_identifier("Module._load"));
        assert!(!is_identifier(".js"));
    }
}
