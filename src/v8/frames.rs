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
//! the executing line ([`super::sourcepos`]). JIT frames are matched to
//! their Code object ([`code_for_pc`]), whose kind gives the tier; an
//! optimized frame's code offset, through the code's source position
//! table and DeoptimizationData, gives the executing line and the
//! functions inlined there, which [`decode_stack`] lists as frames of
//! their own.
//!
//! Nothing here trusts the stack: every read can fail, and a frame that
//! does not decode is reported as such with the reason.

use crate::memory::Memory;
use crate::target::Target;
use crate::unwind::{self, Frame, Trust};

use super::function::{self, FunctionInfo};
use super::{Heap, V8Error, bytecode, script, sourcepos};

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
    /// Sparkplug code (tier read from its Code object's kind, or a
    /// Baseline* builtin running for it).
    Baseline,
    /// JIT code in a frame that keeps a BytecodeArray, whose Code object
    /// did not decode: Sparkplug, or optimized code entered by on-stack
    /// replacement.
    BaselineOrOsr,
    /// Maglev or TurboFan code whose tier is not known.
    Optimized,
    /// Maglev code (tier read from its Code object's kind).
    Maglev,
    /// TurboFan code (tier read from its Code object's kind).
    Turbofan,
    /// A builtin with JavaScript linkage (`Array.prototype.forEach`...).
    Builtin(String),
    /// A C++ builtin called from JavaScript (`JSON.stringify`): a
    /// BuiltinExitFrame, whose target function and receiver are read.
    BuiltinExit,
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
            Kind::Baseline => "baseline".into(),
            Kind::BaselineOrOsr => "baseline/osr".into(),
            Kind::Optimized => "optimized".into(),
            Kind::Maglev => "maglev".into(),
            Kind::Turbofan => "turbofan".into(),
            Kind::Builtin(b) => format!("builtin {b}"),
            Kind::BuiltinExit => "builtin exit".into(),
            Kind::Typed(t) => t.strip_suffix("Frame").unwrap_or(t).to_lowercase(),
            Kind::Native => "native".into(),
            Kind::Unknown(_) => "unknown".into(),
        }
    }
    pub fn is_js(&self) -> bool {
        matches!(self, Kind::Interpreted | Kind::Baseline | Kind::BaselineOrOsr | Kind::Optimized | Kind::Maglev | Kind::Turbofan | Kind::Builtin(_) | Kind::BuiltinExit)
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
    /// The Code object running the frame (baseline and optimized frames).
    pub code: Option<u64>,
    /// Functions inlined into this optimized frame at its pc, innermost
    /// first (each with its own executing position; function 0, no
    /// receiver or arguments).
    pub inlined: Vec<JsFrame>,
    /// This frame is one inlined into the physical frame below it.
    pub is_inlined: bool,
}

impl JsFrame {
    /// A frame of `function` with nothing else known yet.
    fn new(function: u64, info: FunctionInfo) -> JsFrame {
        JsFrame {
            function,
            info,
            receiver: None,
            args: Vec::new(),
            argc: None,
            bytecode: None,
            bytecode_offset: None,
            script: None,
            file: String::new(),
            position: None,
            note: None,
            code: None,
            inlined: Vec::new(),
            is_inlined: false,
        }
    }
}

/// The arguments above a frame's receiver slot (at `fp + receiver_off`),
/// at most [`MAX_ARGS`], stopping at the first unreadable one.
fn read_args(h: &Heap, fp: u64, receiver_off: i64, argc: Option<u64>) -> Vec<u64> {
    (0..argc.unwrap_or(0).min(MAX_ARGS)).map_while(|i| stack_word(h, fp, receiver_off + 8 * (i as i64 + 1)).ok()).collect()
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
    match decode_v8_frame(h, fp, &code, f.lookup_pc()) {
        Ok((kind, js)) => {
            out.kind = kind;
            out.js = js;
        }
        Err(e) => out.kind = Kind::Unknown(e.to_string()),
    }
    out
}

/// The frame whose frame pointer is `fp` when no walked stack has it
/// (for `addr::jsframe`; a walked frame goes through [`classify`]): with
/// no pc to say what code runs, a frame holding a BytecodeArray is taken
/// as interpreted.
pub fn frame_at(h: &Heap, fp: u64) -> V8Frame {
    let frame =
        Frame { pc: 0, sp: fp, fp: Some(fp), cfa: None, regs: [None; crate::arch::x86_64::DWARF_REGS], trust: Trust::FramePointer, trampoline: false };
    let code = CodeAt::Unknown;
    let (kind, js) = match decode_v8_frame(h, fp, &code, 0) {
        Ok(x) => x,
        Err(e) => (Kind::Unknown(e.to_string()), None),
    };
    V8Frame { frame, code, kind, js }
}

/// `pc` is the lookup pc: a return address minus one (so a call's return
/// address maps to the call, as V8's Code::SourcePosition does), 0 if unknown.
fn decode_v8_frame(h: &Heap, fp: u64, code: &CodeAt, pc: u64) -> Result<(Kind, Option<JsFrame>), V8Error> {
    let l = &h.v8.layout;
    let marker = stack_word(h, fp, l.off_fp_context.get()?)?;
    if let Some(name) = marker_type(h, marker) {
        // A C++ builtin (JSON.stringify) is a frame of node's stack
        // traces; an API function (process.abort, a native addon's
        // method) called through HandleApiCall is not, as V8 hides it.
        if name == "BuiltinExitFrame"
            && let Ok(js) = builtin_exit(h, fp)
            && !js.info.sfi.api
        {
            return Ok((Kind::BuiltinExit, Some(js)));
        }
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
        (_, Some(_)) => Kind::BaselineOrOsr,
        _ => Kind::Optimized,
    };
    // JIT code: its Code object says the tier (an on-stack-replaced
    // optimized frame keeps the interpreter's BytecodeArray slot, so the
    // slot alone cannot tell baseline from OSR).
    let jit = if *code == CodeAt::Jit && pc != 0 { code_for_pc(h, pc).ok() } else { None };
    let kind = match jit.as_ref().map(|c| c.tier) {
        Some(Some(Tier::Baseline)) => Kind::Baseline,
        Some(Some(Tier::Maglev)) => Kind::Maglev,
        Some(Some(Tier::Turbofan)) => Kind::Turbofan,
        _ => kind,
    };
    let mut js = decode_js(h, fp, func, info, &kind, bytecode)?;
    if let Some(c) = &jit {
        js.code = Some(c.code);
        if let (Kind::Baseline, Some(ba)) = (&kind, bytecode) {
            apply_baseline(h, &mut js, c, ba, pc);
        }
        if matches!(kind, Kind::Maglev | Kind::Turbofan) {
            match optimized_positions(h, c, pc) {
                Ok(chain) => apply_optimized(h, &mut js, chain),
                Err(e) => js.note = Some(format!("optimized code {:#x}: executing line unknown: {e}", c.code)),
            }
        }
    }
    Ok((kind, Some(js)))
}

/// A baseline frame's executing line: its pc, through the baseline code's
/// bytecode offset table, gives the bytecode offset
/// ([`bytecode::baseline_bytecode_offset`]), which the BytecodeArray's
/// source positions turn into a line as for an interpreted frame.
fn apply_baseline(h: &Heap, js: &mut JsFrame, c: &CodeInfo, ba: u64, pc: u64) {
    js.bytecode = Some(ba);
    let off = match bytecode::baseline_bytecode_offset(h, c.code, ba, pc.wrapping_sub(c.instruction_start)) {
        Ok(bytecode::BaselineAt::Bytecode(off)) => off as i64,
        Ok(bytecode::BaselineAt::Entry) => {
            js.note = Some("baseline code: in the function's prologue".into());
            return;
        }
        Err(e) => {
            js.note = Some(format!("baseline code: executing line unknown: {e}"));
            return;
        }
    };
    js.bytecode_offset = Some(off);
    let pos = sourcepos::bytecode_positions(h, ba).ok().and_then(|t| sourcepos::position_at(&t, off));
    let (Some(p), Some(s)) = (pos, js.script) else {
        js.note = Some(format!("baseline code: no source position at bytecode offset {off}"));
        return;
    };
    match script::position_to_line_col(h, s, p) {
        Ok((line, column)) => {
            js.position = Some(Position { offset: p, line, column, executing: true });
            js.note = None;
        }
        Err(e) => js.note = Some(format!("baseline code: bytecode offset {off}: {e}")),
    }
}

/// A BuiltinExitFrame as the JS frame node prints (`JSON.stringify
/// (<anonymous>)`): its target function, receiver and arguments.
fn builtin_exit(h: &Heap, fp: u64) -> Result<JsFrame, V8Error> {
    let l = &h.v8.layout;
    let func = stack_word(h, fp, l.builtin_exit_target.get()?)?;
    if !function::is_function(h, func) {
        return Err(V8Error::bad(fp, "builtin exit frame", format!("its target slot holds {func:#x}, not a function")));
    }
    let info = function::function_info(h, func)?;
    let recv_off = l.builtin_exit_receiver.get()?;
    let receiver = stack_word(h, fp, recv_off).ok();
    // argc counts the receiver and the frame's extra slots too.
    let extra = l.builtin_exit_extra_args.get()? + 1;
    let argc = stack_word(h, fp, l.builtin_exit_argc.get()?)
        .ok()
        .filter(|v| h.is_smi(*v))
        .map(|v| h.smi_value(v))
        .filter(|&n| n >= extra && n <= MAX_ARGC as i64)
        .map(|n| (n - extra) as u64);
    let args = read_args(h, fp, recv_off, argc);
    Ok(JsFrame { receiver, args, argc, note: Some("builtin".into()), ..JsFrame::new(func, info) })
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
    let args = read_args(h, fp, args_off, argc);
    let script = info.script;
    let file = match script {
        Some(s) => script::script_name(h, s).unwrap_or_default(),
        None => String::new(),
    };
    let mut js = JsFrame { receiver, args, argc, script, file, ..JsFrame::new(func, info) };
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
            Kind::Baseline => "baseline code: executing line unknown (the pc is in a builtin)".into(),
            Kind::BaselineOrOsr => "baseline or on-stack-replaced optimized code (JIT code in an unoptimized frame): executing line and inlined frames not decoded".into(),
            Kind::Optimized | Kind::Maglev | Kind::Turbofan => "optimized code: executing line not decoded".into(),
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

/// The tier of a Code object (src/objects/code-kind.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Baseline,
    Maglev,
    Turbofan,
}

/// The Code object holding a JIT pc.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeInfo {
    /// The Code (tagged).
    pub code: u64,
    pub instruction_start: u64,
    pub instruction_size: u64,
    /// The raw CodeKind and the tier it means, if baseline or optimized.
    pub kind: i64,
    pub tier: Option<Tier>,
}

/// Farthest back from a pc searched for its InstructionStream header.
const MAX_CODE_SCAN: u64 = 4 << 20;
/// Instruction starts are at least this aligned (kCodeAlignment >= 32 on x64).
const CODE_ALIGN: u64 = 32;

/// The Code object whose instructions hold `pc` (V8 12+): the
/// InstructionStream header sits just before the instructions and points
/// back at its Code, whose instruction_start must point at them again and
/// whose size must cover the pc; nothing else is trusted.
pub fn code_for_pc(h: &Heap, pc: u64) -> Result<CodeInfo, V8Error> {
    let l = &h.v8.layout;
    let inline = l.code_instructions_inline.get()? == 1;
    let start_f = l.code_instruction_start.off()?;
    let size_f = l.code_instruction_size.off()?;
    // Before 11.3 the Code header precedes the instructions (start_f is
    // its size); later an InstructionStream header does, pointing back.
    let (is_start, back) =
        if inline { (start_f, 0) } else { (l.instruction_stream_start.off()?, l.instruction_stream_code.off()?) };
    let tag = l.heap_object_tag.get()? as u64;
    let mut start = pc & !(CODE_ALIGN - 1);
    let lowest = pc.saturating_sub(MAX_CODE_SCAN);
    while start >= lowest && start > is_start {
        let header = start - is_start;
        let found = if inline { Ok(header + tag) } else { h.t.read_u64(header + back) };
        if let Ok(code) = found {
            if h.is_heap_object(code)
                && (inline || h.word(code, start_f).is_ok_and(|s| s == start))
                && is_type(h, code, "CODE_TYPE")
            {
                let size = u64::from(h.u32_at(code, size_f)?);
                if pc >= start + size {
                    return Err(V8Error::bad(code, "Code", format!("pc {pc:#x} is past its {size} bytes at {start:#x}")));
                }
                let flags = i64::from(h.u32_at(code, l.code_flags.off()?)?);
                let kind = (flags >> l.code_kind_shift.get()?) & l.code_kind_mask.get()?;
                let base = l.code_kind_baseline.get()?;
                let tier = if kind == base {
                    Some(Tier::Baseline)
                } else if kind == base + l.code_kind_maglev_delta.get()? {
                    Some(Tier::Maglev)
                } else if kind == base + l.code_kind_turbofan_delta.get()? {
                    Some(Tier::Turbofan)
                } else {
                    None
                };
                return Ok(CodeInfo { code, instruction_start: start, instruction_size: size, kind, tier });
            }
        }
        start -= CODE_ALIGN;
    }
    Err(V8Error::bad(pc, "JIT pc", "no Code object found before it"))
}

/// Most inlining levels followed (V8 caps inlining depth far below).
const MAX_INLINE_DEPTH: usize = 64;

/// One level of an optimized frame's position: the function (its SFI)
/// and the script offset executing in it; innermost first, the physical
/// frame's function last.
type InlineChain = Vec<(u64, i64)>;

/// Untag a weak reference in a literal array (weak tag 3 -> strong 1).
fn strong(v: u64) -> u64 {
    if v & 3 == 3 { v & !2 } else { v }
}

/// The SharedFunctionInfo a DeoptimizationData entry holds (V8 13+ wraps it).
fn deopt_sfi(h: &Heap, v: u64) -> Result<u64, V8Error> {
    let v = strong(v);
    if is_type(h, v, "SHARED_FUNCTION_INFO_TYPE") {
        return Ok(v);
    }
    let inner = h.field(v, &h.v8.layout.sfi_wrapper_shared_info)?;
    if is_type(h, inner, "SHARED_FUNCTION_INFO_TYPE") {
        return Ok(inner);
    }
    Err(V8Error::bad(v, "DeoptimizationData", "entry is not a SharedFunctionInfo"))
}

/// The functions and script offsets executing at `pc` in optimized code
/// (V8's OptimizedFrame::Summarize by way of source positions: the
/// position table gives a SourcePosition with an inlining id; the
/// DeoptimizationData's InliningPositions give, per id, the inlined
/// function (a literal) and the position of its call in the caller).
fn optimized_positions(h: &Heap, c: &CodeInfo, pc: u64) -> Result<InlineChain, V8Error> {
    let l = &h.v8.layout;
    let table = h.field(c.code, &l.code_source_positions)?;
    let entries = sourcepos::decode(&sourcepos::byte_array_bytes(h, table)?, sourcepos::CodeEncoding::of(h));
    let off = (pc - c.instruction_start) as i64;
    let e = sourcepos::entry_at(&entries, off).ok_or_else(|| V8Error::bad(c.code, "Code", format!("no source position at code offset {off}")))?;
    let deopt = h.field(c.code, &l.code_deopt_data)?;
    let outer = deopt_sfi(h, h.fixed_array_get(deopt, l.deopt_sfi_index.off()?)?)?;
    let (mut script_off, mut inl) = (e.script_offset, e.inlining_id);
    let mut chain = Vec::new();
    if inl < 0 {
        chain.push((outer, script_off));
        return Ok(chain);
    }
    let positions = sourcepos::byte_array_bytes(h, h.fixed_array_get(deopt, l.deopt_inlining_positions_index.off()?)?)?;
    let literals = h.fixed_array_get(deopt, l.deopt_literal_array_index.off()?)?;
    let size = l.inlining_position_size.off()? as usize;
    while inl >= 0 {
        if chain.len() >= MAX_INLINE_DEPTH {
            return Err(V8Error::bad(c.code, "Code", "inlining chain too deep (a cycle?)"));
        }
        let at = inl as usize * size;
        let rec = positions.get(at..at + 12).ok_or_else(|| V8Error::bad(c.code, "DeoptimizationData", format!("inlining id {inl} beyond its positions")))?;
        let raw = i64::from_le_bytes(rec[0..8].try_into().unwrap_or_default());
        let fid = i32::from_le_bytes(rec[8..12].try_into().unwrap_or_default());
        if fid < 0 {
            return Err(V8Error::bad(c.code, "DeoptimizationData", format!("inlining id {inl} names function {fid}")));
        }
        let sfi = deopt_sfi(h, h.fixed_array_get(literals, fid as u64)?)?;
        chain.push((sfi, script_off));
        (script_off, inl) = sourcepos::split_raw(raw);
    }
    chain.push((outer, script_off));
    Ok(chain)
}

/// Put an optimized frame's executing position and inlined functions
/// into its decoded frame.
fn apply_optimized(h: &Heap, js: &mut JsFrame, chain: InlineChain) {
    let Some((&(_, outer_off), inner)) = chain.split_last() else { return };
    if let Some(s) = js.script {
        if let Ok((line, column)) = script::position_to_line_col(h, s, outer_off) {
            js.position = Some(Position { offset: outer_off, line, column, executing: true });
            js.note = None;
        }
    }
    for &(sfi, off) in inner {
        let Ok(sfi_info) = function::sfi_info(h, sfi) else { continue };
        let script = sfi_info.script;
        let file = script.and_then(|s| script::script_name(h, s).ok()).unwrap_or_default();
        let position = script.and_then(|s| script::position_to_line_col(h, s, off).ok()).map(|(line, column)| Position { offset: off, line, column, executing: true });
        js.inlined.push(JsFrame {
            script,
            file,
            position,
            note: Some(format!("inlined into {}", debug_name(h, &js.info))),
            code: js.code,
            is_inlined: true,
            ..JsFrame::new(0, FunctionInfo { func: 0, sfi: sfi_info, context: None, class_pos: None })
        });
    }
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
/// An optimized frame with inlined functions becomes one frame per
/// function, innermost first, as node's own stack traces show them.
pub fn decode_stack(h: &Heap, frames: &[Frame]) -> Vec<V8Frame> {
    frames.iter().flat_map(|f| expand_inlined(classify(h, f))).collect()
}

/// A decoded frame as the frames node would show: the functions inlined
/// into an optimized frame first, innermost first, then the frame itself.
pub fn expand_inlined(mut v: V8Frame) -> Vec<V8Frame> {
    let mut out = Vec::new();
    if let Some(js) = v.js.as_mut() {
        for inl in std::mem::take(&mut js.inlined) {
            out.push(V8Frame { frame: v.frame.clone(), code: v.code.clone(), kind: v.kind.clone(), js: Some(inl) });
        }
    }
    out.push(v);
    out
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
    // An own @@toStringTag names namespace objects (JSON, Math, Atomics),
    // as V8's JSReceiver::GetConstructorName looks at it first.
    if let Some(tag) = own_to_string_tag(h, recv) {
        return tag;
    }
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

/// The name node prints for a call site of an Error's captured stack
/// (function and receiver as V8 recorded them), by the rules of
/// [`node_name`].
pub fn call_site_name(h: &Heap, func: u64, receiver: u64, construct: bool) -> Result<String, V8Error> {
    let js = JsFrame { receiver: Some(receiver), ..JsFrame::new(func, function::function_info(h, func)?) };
    Ok(node_name(h, &js, construct))
}

/// An object's own `Symbol.toStringTag` data property, if a string.
fn own_to_string_tag(h: &Heap, obj: u64) -> Option<String> {
    let p = super::object::find_property(h, obj, "Symbol(Symbol.toStringTag)").ok()??;
    let super::object::PropValue::Data(v) = p.value else { return None };
    if !p.is_symbol {
        return None;
    }
    let s = super::string::read_string(h, v, 256).ok()?;
    (!s.text.is_empty()).then_some(s.text)
}
