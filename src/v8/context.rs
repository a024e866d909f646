//! Contexts and ScopeInfos: the variables a closure captured.
//!
//! A Context is laid out like a FixedArray: a length, then slots. Slot
//! `context_idx_scope_info` holds the ScopeInfo describing the scope,
//! `context_idx_prev` the enclosing context; the scope's context-allocated
//! variables follow from `context_min_slots` (one later when the scope has
//! an extension slot), in the order the ScopeInfo names them.
//!
//! ScopeInfo is a Torque class the metadata describes only by a few slot
//! indices. Two layouts (src/objects/scope-info.tq, docs/v8-layouts.md 2.1):
//! - V8 10 to 12 (Node 18-22): flags Smi, parameter count, context local
//!   count, names, infos, then optional fields (saved class variable,
//!   function variable, inferred name, position info, outer scope info...);
//! - V8 13+ (Node 24+): flags a raw uint32, position info at fixed slots,
//!   the same variable-length part after it, without position info.
//!
//! Names are inline while a scope has fewer than 75 context locals, else in
//! a NameToIndexHashTable. In V8 14 a script context's slot may hold a
//! ContextCell (const tracking for top-level `let`) instead of the value;
//! [`context_vars`] unwraps it.

use super::function::{expect_type, opt_string, shared_info};
use super::string::read_string;
use super::{Heap, V8Error};

/// Most context locals decoded from one scope (V8 allows ~2^16).
const MAX_LOCALS: i64 = 1 << 20;
/// Most contexts followed outward from a closure.
pub const MAX_CONTEXT_DEPTH: usize = 256;
/// Longest variable name decoded.
const MAX_NAME: usize = 4096;

/// The kind of scope a ScopeInfo describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeType {
    Class,
    Eval,
    Function,
    Module,
    Script,
    Catch,
    Block,
    With,
    ShadowRealm,
    ReplMode,
    Unknown(u32),
}

impl ScopeType {
    pub fn name(self) -> String {
        match self {
            ScopeType::Class => "class".into(),
            ScopeType::Eval => "eval".into(),
            ScopeType::Function => "function".into(),
            ScopeType::Module => "module".into(),
            ScopeType::Script => "script".into(),
            ScopeType::Catch => "catch".into(),
            ScopeType::Block => "block".into(),
            ScopeType::With => "with".into(),
            ScopeType::ShadowRealm => "shadow realm".into(),
            ScopeType::ReplMode => "repl mode".into(),
            ScopeType::Unknown(n) => format!("scope type {n}"),
        }
    }
}

fn scope_type(h: &Heap, n: u32) -> ScopeType {
    let l = &h.v8.layout;
    let table = [
        (&l.scope_type_class, ScopeType::Class),
        (&l.scope_type_eval, ScopeType::Eval),
        (&l.scope_type_function, ScopeType::Function),
        (&l.scope_type_module, ScopeType::Module),
        (&l.scope_type_script, ScopeType::Script),
        (&l.scope_type_catch, ScopeType::Catch),
        (&l.scope_type_block, ScopeType::Block),
        (&l.scope_type_with, ScopeType::With),
        (&l.scope_type_shadow_realm, ScopeType::ShadowRealm),
        (&l.scope_type_repl_mode, ScopeType::ReplMode),
    ];
    table.iter().find(|(f, _)| f.value == Some(n as i64)).map(|(_, t)| *t).unwrap_or(ScopeType::Unknown(n))
}

/// How a scope's function-name variable is allocated
/// (src/objects/scope-info.h, `VariableAllocationInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarAlloc {
    None,
    Stack,
    Context,
    Unused,
}

impl VarAlloc {
    pub fn name(self) -> &'static str {
        match self {
            VarAlloc::None => "none",
            VarAlloc::Stack => "on the stack",
            VarAlloc::Context => "in the context",
            VarAlloc::Unused => "unused",
        }
    }
}

/// A decoded ScopeInfo.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeInfo {
    pub addr: u64,
    /// The raw ScopeFlags.
    pub flags: u32,
    pub scope_type: ScopeType,
    pub strict: bool,
    /// Declared parameters.
    pub params: i64,
    /// Variables allocated in the context.
    pub context_local_count: u64,
    /// Their names, in context slot order.
    pub names: Vec<String>,
    /// The names came from a NameToIndexHashTable (75 or more locals).
    pub names_table: Option<u64>,
    /// Raw VariableProperties of each local (mode, init flag, ...).
    pub local_infos: Vec<i64>,
    /// The function's own name, when the scope records one.
    pub function_name: Option<String>,
    /// How the function-name variable is allocated, and its context slot.
    pub function_var: VarAlloc,
    pub function_var_slot: Option<i64>,
    pub inferred_name: Option<String>,
    /// Source positions of the scope (start, end).
    pub position: Option<(i64, i64)>,
    /// The enclosing scope's ScopeInfo.
    pub outer: Option<u64>,
    /// The raw FunctionKind bits of a function scope.
    pub function_kind: u32,
    pub has_context_extension_slot: bool,
    /// V8 14: slots may hold ContextCells.
    pub has_context_cells: bool,
    pub is_empty: bool,
}

impl ScopeInfo {
    /// The context slot of local `i`.
    pub fn local_slot(&self, h: &Heap, i: u64) -> Result<u64, V8Error> {
        let min = h.v8.layout.context_min_slots.get()? as u64;
        Ok(min + self.has_context_extension_slot as u64 + i)
    }
}

/// Reads ScopeInfo slots, in order, after the fixed header.
struct Slots<'h, 'a> {
    h: &'h Heap<'a>,
    addr: u64,
    start: u64,
    ts: u64,
}

impl Slots<'_, '_> {
    fn get(&self, i: u64) -> Result<u64, V8Error> {
        self.h.word(self.addr, self.start + i * self.ts)
    }
    fn smi(&self, i: u64, what: &str) -> Result<i64, V8Error> {
        let v = self.get(i)?;
        if !self.h.is_smi(v) {
            return Err(V8Error::bad(self.addr, "ScopeInfo", format!("{what} (slot {i}) holds {v:#x}, not a Smi")));
        }
        Ok(self.h.smi_value(v))
    }
}

/// Decode the ScopeInfo at `addr`.
pub fn scope_info(h: &Heap, addr: u64) -> Result<ScopeInfo, V8Error> {
    decode(h, addr, true)
}

/// Decode the ScopeInfo at `addr` without its local names and infos
/// (`names` and `local_infos` are left empty): what naming a function
/// needs, without reading every variable name of a big scope.
pub fn scope_info_header(h: &Heap, addr: u64) -> Result<ScopeInfo, V8Error> {
    decode(h, addr, false)
}

fn decode(h: &Heap, addr: u64, full: bool) -> Result<ScopeInfo, V8Error> {
    expect_type(h, addr, "SCOPE_INFO_TYPE", "ScopeInfo")?;
    let l = &h.v8.layout;
    let s = Slots { h, addr, start: l.scopeinfo_slots_start.off()?, ts: l.tagged_size.off()? };
    let flags = if l.scopeinfo_flags_is_smi.get()? != 0 {
        s.smi(0, "flags")? as u32
    } else {
        h.u32_at(addr, s.start)?
    };
    let bit = |f: &super::layout::Field| -> bool { f.value.is_some_and(|b| (0..32).contains(&b) && flags >> b & 1 == 1) };
    let ty = scope_type(h, flags & l.scopeinfo_flag_scope_type_mask.get()? as u32);
    let params = s.smi(l.scopeinfo_idx_nparams.off()?, "parameter_count")?;
    let n = s.smi(l.scopeinfo_idx_ncontextlocals.off()?, "context_local_count")?;
    if !(0..=MAX_LOCALS).contains(&n) || !(0..=MAX_LOCALS).contains(&params) {
        return Err(V8Error::bad(addr, "ScopeInfo", format!("{n} context locals, {params} parameters")));
    }
    let n = n as u64;
    let fixed_positions = l.scopeinfo_position_info_fixed.get()? != 0;
    let mut position = None;
    if fixed_positions {
        let i = l.scopeinfo_idx_position_info.off()?;
        position = Some((s.smi(i, "position_info.start")?, s.smi(i + 1, "position_info.end")?));
    }

    let mut cur = l.scopeinfo_idx_first_vars.off()?;
    if ty == ScopeType::Module && l.scopeinfo_module_count_first.get()? != 0 {
        cur += 1; // module_variable_count comes first
    }
    // Names: inline, or one NameToIndexHashTable.
    let max_inline = l.scopeinfo_max_inlined_names.get()? as u64;
    let mut names = Vec::with_capacity(if full { n as usize } else { 0 });
    let mut names_table = None;
    if n < max_inline {
        for i in (0..n).filter(|_| full) {
            names.push(opt_string(h, s.get(cur + i)?)?);
        }
        cur += n;
    } else {
        let table = s.get(cur)?;
        if full {
            names = hashed_names(h, table, n)?;
        }
        names_table = Some(table);
        cur += 1;
    }
    // The infos are Smis: checking them (all, or the first and last) is
    // what catches a layout that does not fit this ScopeInfo.
    let mut local_infos = Vec::with_capacity(if full { n as usize } else { 0 });
    for i in 0..n {
        if full || i == 0 || i + 1 == n {
            let v = s.smi(cur + i, "context_local_infos")?;
            if full {
                local_infos.push(v);
            }
        }
    }
    cur += n;
    if bit(&l.scopeinfo_flag_has_saved_class_variable_bit) {
        cur += 1;
    }
    let fv = match (flags >> l.scopeinfo_flag_function_variable_shift.get()?) & 3 {
        0 => VarAlloc::None,
        1 => VarAlloc::Stack,
        2 => VarAlloc::Context,
        _ => VarAlloc::Unused,
    };
    let (mut function_name, mut function_var_slot) = (None, None);
    if fv != VarAlloc::None {
        let name = s.get(cur)?;
        // Smi 0 is kNoSharedNameSentinel: no name.
        if !h.is_smi(name) {
            function_name = Some(opt_string(h, name)?).filter(|n| !n.is_empty());
        }
        function_var_slot = Some(s.smi(cur + 1, "function_variable_info.slot")?);
        cur += 2;
    }
    let mut inferred_name = None;
    if bit(&l.scopeinfo_flag_has_inferred_name_bit) {
        let v = opt_string(h, s.get(cur)?)?;
        inferred_name = (!v.is_empty()).then_some(v);
        cur += 1;
    }
    let is_empty = bit(&l.scopeinfo_flag_is_empty_bit);
    if !fixed_positions {
        let has = matches!(ty, ScopeType::Function | ScopeType::Script | ScopeType::Eval | ScopeType::Module)
            || (ty == ScopeType::Class && !is_empty);
        if has {
            position = Some((s.smi(cur, "position_info.start")?, s.smi(cur + 1, "position_info.end")?));
            cur += 2;
        }
    }
    let mut outer = None;
    if bit(&l.scopeinfo_flag_has_outer_scope_info_bit) {
        let o = s.get(cur)?;
        if h.is_heap_object(o) && h.instance_type(o).is_ok_and(|t| h.v8.types.is(t, "SCOPE_INFO_TYPE")) {
            outer = Some(o);
        }
    }
    Ok(ScopeInfo {
        addr,
        flags,
        scope_type: ty,
        strict: bit(&l.scopeinfo_flag_language_mode_bit),
        params,
        context_local_count: n,
        names,
        names_table,
        local_infos,
        function_name,
        function_var: fv,
        function_var_slot,
        inferred_name,
        position,
        outer,
        function_kind: (flags >> l.scopeinfo_flag_function_kind_shift.get()?) & 0x1f,
        has_context_extension_slot: bit(&l.scopeinfo_flag_has_context_extension_slot_bit),
        has_context_cells: bit(&l.scopeinfo_flag_has_context_cells_bit),
        is_empty,
    })
}

/// The `n` local names of a NameToIndexHashTable, by local index.
fn hashed_names(h: &Heap, table: u64, n: u64) -> Result<Vec<String>, V8Error> {
    let l = &h.v8.layout;
    let len = h.fixed_array_len(table)?;
    let cap = h.smi_value(h.fixed_array_get(table, l.hash_table_capacity.off()?)?);
    let first = l.hash_table_prefix_start.off()? + l.name_to_index_prefix_size.off()?;
    let esize = l.name_to_index_entry_size.off()?.max(2);
    if cap < 0 || first + cap as u64 * esize > len {
        return Err(V8Error::bad(table, "NameToIndexHashTable", format!("capacity {cap} does not fit length {len}")));
    }
    let mut names = vec![String::new(); n as usize];
    for e in 0..cap as u64 {
        let key = h.fixed_array_get(table, first + e * esize)?;
        if !h.is_heap_object(key) || !h.instance_type(key).is_ok_and(|t| h.is_string_type(t)) {
            continue; // empty (undefined) or deleted (the hole)
        }
        let idx = h.fixed_array_get(table, first + e * esize + 1)?;
        if !h.is_smi(idx) {
            continue;
        }
        let i = h.smi_value(idx);
        if (0..n as i64).contains(&i) {
            names[i as usize] = read_string(h, key, MAX_NAME)?.text;
        }
    }
    Ok(names)
}

/// A Context's header.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub addr: u64,
    /// Its instance type name (`FUNCTION_CONTEXT_TYPE`, `SCRIPT_CONTEXT_TYPE`...).
    pub type_name: String,
    /// Number of slots.
    pub length: u64,
    /// The ScopeInfo slot (tagged).
    pub scope_info: u64,
    /// The enclosing context slot (tagged; not a context at the top).
    pub previous: u64,
}

/// The context instance types, in the order Torque numbers them (by
/// name) from FirstContextType; see layout `context_types_by_name`.
const CONTEXT_TYPES: [&str; 10] = [
    "AWAIT_CONTEXT_TYPE",
    "BLOCK_CONTEXT_TYPE",
    "CATCH_CONTEXT_TYPE",
    "DEBUG_EVALUATE_CONTEXT_TYPE",
    "EVAL_CONTEXT_TYPE",
    "FUNCTION_CONTEXT_TYPE",
    "MODULE_CONTEXT_TYPE",
    "NATIVE_CONTEXT_TYPE",
    "SCRIPT_CONTEXT_TYPE",
    "WITH_CONTEXT_TYPE",
];

/// The name of context instance type `t` (`FUNCTION_CONTEXT_TYPE`): from
/// the metadata if it names it, else by its place in the context range
/// when that range holds exactly the ten known types.
pub fn context_type_name(h: &Heap, t: u16) -> String {
    if let Some(n) = h.v8.types.name(t) {
        return n.to_string();
    }
    let l = &h.v8.layout;
    if let (Some(first), Some(last), Some(1)) = (l.first_context_type.value, l.last_context_type.value, l.context_types_by_name.value) {
        let i = t as i64 - first;
        if last - first + 1 == CONTEXT_TYPES.len() as i64 && (0..CONTEXT_TYPES.len() as i64).contains(&i) {
            return CONTEXT_TYPES[i as usize].to_string();
        }
    }
    h.type_name(t)
}

/// Is `v` a Context?
pub fn is_context(h: &Heap, v: u64) -> bool {
    h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.is_context_type(t))
}

/// The Context at `addr`.
pub fn context(h: &Heap, addr: u64) -> Result<Context, V8Error> {
    if !h.is_heap_object(addr) {
        return Err(V8Error::NotHeapObject { addr });
    }
    let t = h.instance_type(addr)?;
    if !h.is_context_type(t) {
        return Err(V8Error::bad(addr, "Context", format!("its type is {}", super::function::type_name(h, t))));
    }
    let l = &h.v8.layout;
    let len = h.smi_field(addr, &l.context_length)?;
    if !(0..=(1 << 24)).contains(&len) {
        return Err(V8Error::bad(addr, "Context", format!("length {len}")));
    }
    let length = len as u64;
    let slot = |i: u64| -> Result<u64, V8Error> {
        if i >= length {
            return Err(V8Error::bad(addr, "Context", format!("length {length} has no slot {i}")));
        }
        context_slot(h, addr, i)
    };
    Ok(Context {
        addr,
        type_name: context_type_name(h, t),
        length,
        scope_info: slot(l.context_idx_scope_info.off()?)?,
        previous: slot(l.context_idx_prev.off()?)?,
    })
}

/// Raw slot `i` of a context (not bounds-checked against its length).
pub fn context_slot(h: &Heap, ctx: u64, i: u64) -> Result<u64, V8Error> {
    let l = &h.v8.layout;
    h.word(ctx, l.context_slots.off()? + i * l.tagged_size.off()?)
}

/// A context slot's value once a ContextCell is unwrapped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SlotValue {
    /// A tagged value (Smi or heap object).
    Tagged(u64),
    /// An unboxed double a ContextCell holds.
    Double(f64),
    /// An unboxed int32 a ContextCell holds.
    Int32(i32),
}

/// One context-allocated variable.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextVar {
    pub name: String,
    /// Its context slot.
    pub slot: u64,
    /// The slot's raw word (a ContextCell's address when wrapped).
    pub raw: u64,
    pub value: SlotValue,
}

impl ContextVar {
    /// A tagged value for it: the value, or for an unboxed number the
    /// ContextCell holding it.
    pub fn tagged(&self) -> u64 {
        match self.value {
            SlotValue::Tagged(v) => v,
            _ => self.raw,
        }
    }
}

/// The value a slot word stands for: itself, or what the ContextCell it
/// points to holds (V8 14).
pub fn unwrap_slot(h: &Heap, raw: u64) -> Result<SlotValue, V8Error> {
    if !h.is_heap_object(raw) {
        return Ok(SlotValue::Tagged(raw));
    }
    let Some(cell_ty) = h.v8.types.num("CONTEXT_CELL_TYPE") else { return Ok(SlotValue::Tagged(raw)) };
    if h.instance_type(raw)? != cell_ty {
        return Ok(SlotValue::Tagged(raw));
    }
    let l = &h.v8.layout;
    let state = h.u32_at(raw, l.context_cell_state.off()?)? as i64;
    if state == l.context_cell_state_float64.get()? {
        return Ok(SlotValue::Double(h.f64_at(raw, l.context_cell_double_value.off()?)?));
    }
    let tagged = h.field(raw, &l.context_cell_tagged_value)?;
    if state == l.context_cell_state_int32.get()? && !h.is_smi(tagged) {
        // The untagged int32 shares the double field (UNCONFIRMED: not
        // seen, since every int32 is a Smi without pointer compression).
        return Ok(SlotValue::Int32(h.u32_at(raw, l.context_cell_double_value.off()?)? as i32));
    }
    Ok(SlotValue::Tagged(tagged))
}

/// The context-allocated variables of the context at `ctx`, named by its
/// ScopeInfo, in slot order.
pub fn context_vars(h: &Heap, ctx: u64) -> Result<Vec<ContextVar>, V8Error> {
    let c = context(h, ctx)?;
    let si = scope_info(h, c.scope_info)?;
    let mut vars = Vec::with_capacity(si.names.len());
    for (i, name) in si.names.iter().enumerate() {
        let slot = si.local_slot(h, i as u64)?;
        if slot >= c.length {
            return Err(V8Error::bad(ctx, "Context", format!("length {} has no slot {slot} for {name}", c.length)));
        }
        let raw = context_slot(h, ctx, slot)?;
        vars.push(ContextVar { name: name.clone(), slot, raw, value: unwrap_slot(h, raw)? });
    }
    Ok(vars)
}

/// One scope of a closure's context chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeVars {
    pub context: u64,
    pub scope_type: ScopeType,
    pub vars: Vec<ContextVar>,
}

/// The contexts of a function, innermost first (at most `max_depth`),
/// each with its variables; stops at the native context.
pub fn closure_scopes(h: &Heap, func: u64, max_depth: usize) -> Result<Vec<ScopeVars>, V8Error> {
    shared_info(h, func)?; // a JSFunction
    let ctx = h.field(func, &h.v8.layout.js_function_context)?;
    context_scopes(h, ctx, max_depth)
}

/// The context `ctx` and those enclosing it (at most `max_depth`), each
/// with its variables; stops at the native context.
pub fn context_scopes(h: &Heap, ctx: u64, max_depth: usize) -> Result<Vec<ScopeVars>, V8Error> {
    let mut ctx = ctx;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while out.len() < max_depth.min(MAX_CONTEXT_DEPTH) && is_context(h, ctx) && seen.insert(ctx) {
        let c = context(h, ctx)?;
        if c.type_name == "NATIVE_CONTEXT_TYPE" {
            break;
        }
        let si = scope_info(h, c.scope_info)?;
        out.push(ScopeVars { context: ctx, scope_type: si.scope_type, vars: context_vars(h, ctx)? });
        ctx = c.previous;
    }
    Ok(out)
}

/// The variables a closure captured: those of its own context (the
/// innermost scope it closes over), as `(name, value)`; a value a V8 14
/// ContextCell holds unboxed is given as the cell's address
/// (see [`closure_scopes`] for the decoded value and outer scopes).
pub fn closure_variables(h: &Heap, func: u64) -> Result<Vec<(String, u64)>, V8Error> {
    let scopes = closure_scopes(h, func, 1)?;
    Ok(scopes.into_iter().flat_map(|s| s.vars).map(|v| (v.name.clone(), v.tagged())).collect())
}
