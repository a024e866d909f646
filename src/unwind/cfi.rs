//! DWARF call-frame information from `.eh_frame`: find the unwind row for a
//! pc and apply its rules to recover the caller's registers.
//!
//! Everything here is a pure function of the section bytes, the registers
//! known so far and a [`Memory`], so tests can drive it with hand-assembled
//! CFI and a flat memory image.

use std::ops::Range;
use std::sync::OnceLock;

use gimli::{
    BaseAddresses, CfaRule, EhFrame, EhFrameOffset, Encoding, EndianSlice, Evaluation, EvaluationResult, Expression,
    FrameDescriptionEntry, LittleEndian, Location, Register, RegisterRule, UnwindContext, UnwindExpression,
    UnwindSection, UnwindTableRow, Value, ValueType,
};

use super::RegSet;
use crate::arch::x86_64::{DW_RSP, DWARF_REGS};
use crate::error::MemError;
use crate::memory::Memory;

type Slice<'a> = EndianSlice<'a, LittleEndian>;

/// Registers the x86_64 psABI makes callee-saved: when a row says nothing
/// about them the caller's value is the callee's. The others are unknown.
const CALLEE_SAVED: [u16; 6] = [3, 6, 12, 13, 14, 15];

/// Bound on DWARF expression steps: CFI expressions are a handful of ops, so
/// anything longer is corrupt (or loops through `DW_OP_skip`).
const MAX_EXPR_STEPS: u32 = 1000;

/// Why CFI could not produce the caller's registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfiError {
    /// No FDE covers the address.
    NoInfo,
    /// The section could not be parsed at this FDE.
    Malformed(String),
    /// A rule needed memory the core does not hold.
    Unreadable(u64),
    /// A rule needed a register whose value is not known in this frame.
    UnknownRegister(u16),
    /// A DWARF expression failed or needed something a core cannot supply.
    Expression(String),
}

impl From<MemError> for CfiError {
    fn from(e: MemError) -> Self {
        CfiError::Unreadable(e.addr())
    }
}

impl std::fmt::Display for CfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CfiError::NoInfo => write!(f, "no CFI covers the pc"),
            CfiError::Malformed(m) => write!(f, "malformed CFI: {m}"),
            CfiError::Unreadable(a) => write!(f, "memory at {a:#x} is not readable"),
            CfiError::UnknownRegister(r) => {
                write!(
                    f,
                    "CFI needs {} whose value is unknown",
                    crate::arch::x86_64::DWARF_NAMES.get(*r as usize).unwrap_or(&"a register")
                )
            }
            CfiError::Expression(m) => write!(f, "CFI expression failed: {m}"),
        }
    }
}

fn malformed(e: gimli::Error) -> CfiError {
    CfiError::Malformed(e.to_string())
}

/// One FDE's address range and offset in `.eh_frame`, for modules whose
/// `.eh_frame_hdr` has no search table.
#[derive(Debug, Clone, Copy)]
pub struct FdeSpan {
    pub start: u64,
    pub end: u64,
    pub offset: usize,
}

/// Where a module's CFI lives inside its file bytes. Owned (no borrows), so
/// it can be cached beside the module; [`CfiLocation::view`] rebuilds the
/// borrowed view per lookup at no cost.
#[derive(Debug, Default)]
pub struct CfiLocation {
    eh_frame: Option<(u64, Range<usize>)>,
    eh_frame_hdr: Option<(u64, Range<usize>)>,
    text: Option<u64>,
    got: Option<u64>,
    /// Built on first need when there is no usable `.eh_frame_hdr` table.
    index: OnceLock<Vec<FdeSpan>>,
}

impl CfiLocation {
    /// Find the CFI sections of an ELF image. Returns an empty location
    /// (no CFI) for anything unparsable.
    pub fn from_elf(data: &[u8]) -> CfiLocation {
        use object::{Object, ObjectSection};
        let mut loc = CfiLocation::default();
        let Ok(f) = object::File::parse(data) else { return loc };
        let range = |name: &str| -> Option<(u64, Range<usize>)> {
            let s = f.section_by_name(name)?;
            let (off, size) = s.file_range()?;
            let r = usize::try_from(off).ok()?..usize::try_from(off.checked_add(size)?).ok()?;
            data.get(r.clone())?;
            Some((s.address(), r))
        };
        loc.eh_frame = range(".eh_frame");
        loc.eh_frame_hdr = range(".eh_frame_hdr");
        loc.text = f.section_by_name(".text").map(|s| s.address());
        loc.got = f.section_by_name(".got").map(|s| s.address());
        loc
    }

    pub fn has_cfi(&self) -> bool {
        self.eh_frame.is_some()
    }

    /// The borrowed view over `data` (the same bytes `from_elf` saw).
    pub fn view<'a>(&'a self, data: &'a [u8], bias: u64) -> Option<CfiSection<'a>> {
        let (eh_addr, r) = self.eh_frame.clone()?;
        Some(CfiSection {
            eh_frame: data.get(r)?,
            eh_frame_addr: eh_addr,
            eh_frame_hdr: self.eh_frame_hdr.clone().and_then(|(a, r)| Some((data.get(r)?, a))),
            text_addr: self.text,
            got_addr: self.got,
            bias,
            index: &self.index,
        })
    }
}

/// A module's `.eh_frame` (and `.eh_frame_hdr`), at file addresses, with
/// the bias that maps them to runtime addresses.
pub struct CfiSection<'a> {
    pub eh_frame: &'a [u8],
    pub eh_frame_addr: u64,
    /// The header's bytes and file address, when the module has one.
    pub eh_frame_hdr: Option<(&'a [u8], u64)>,
    pub text_addr: Option<u64>,
    pub got_addr: Option<u64>,
    /// Runtime address minus file address.
    pub bias: u64,
    /// Cache for the linear-scan index (used without a hdr table).
    pub index: &'a OnceLock<Vec<FdeSpan>>,
}

/// What one CFI step found.
#[derive(Debug, Clone)]
pub struct CfiStep {
    /// The caller's registers; `regs[DW_RIP]` is the return address, `None`
    /// when the CFI marks it undefined (the outermost frame).
    pub caller: RegSet,
    /// This frame's canonical frame address (the caller's rsp).
    pub cfa: u64,
    /// The FDE belongs to a signal trampoline (augmentation `S`): the
    /// caller's pc is exact, not a return address.
    pub signal_frame: bool,
}

/// A reusable gimli unwind context; allocate one per walk, not per frame.
pub type Context = UnwindContext<usize>;

pub fn new_context() -> Box<Context> {
    Box::new(UnwindContext::new())
}

impl<'a> CfiSection<'a> {
    fn eh(&self) -> EhFrame<Slice<'a>> {
        let mut eh = EhFrame::new(self.eh_frame, LittleEndian);
        eh.set_address_size(8);
        eh
    }

    fn bases(&self) -> BaseAddresses {
        let mut b = BaseAddresses::default().set_eh_frame(self.eh_frame_addr);
        if let Some((_, a)) = self.eh_frame_hdr {
            b = b.set_eh_frame_hdr(a);
        }
        if let Some(t) = self.text_addr {
            b = b.set_text(t);
        }
        if let Some(g) = self.got_addr {
            b = b.set_got(g);
        }
        b
    }

    /// The FDE covering file address `addr`: through the header's binary
    /// search table when there is one, else through a sorted index built
    /// once by scanning every entry.
    pub fn fde_for(&self, addr: u64) -> Result<FrameDescriptionEntry<Slice<'a>>, CfiError> {
        let eh = self.eh();
        let bases = self.bases();
        let found = self.eh_frame_hdr.and_then(|(hdr, hdr_addr)| hdr_lookup(hdr, hdr_addr, addr));
        let fde_addr = match found {
            Some(Some(a)) => a,
            Some(None) => return Err(CfiError::NoInfo),
            None => {
                let index = self.index.get_or_init(|| build_index(&eh, &bases));
                let i = index.partition_point(|s| s.start <= addr);
                match i.checked_sub(1).and_then(|i| index.get(i)) {
                    Some(s) if addr < s.end => self.eh_frame_addr.wrapping_add(s.offset as u64),
                    _ => return Err(CfiError::NoInfo),
                }
            }
        };
        let off = fde_addr
            .checked_sub(self.eh_frame_addr)
            .and_then(|o| usize::try_from(o).ok())
            .filter(|&o| o < self.eh_frame.len())
            .ok_or_else(|| CfiError::Malformed(format!("FDE pointer {fde_addr:#x} is outside .eh_frame")))?;
        let fde = eh.fde_from_offset(&bases, EhFrameOffset(off), EhFrame::cie_from_offset).map_err(malformed)?;
        if fde.contains(addr) { Ok(fde) } else { Err(CfiError::NoInfo) }
    }

    /// Whether CFI covers runtime address `pc`.
    pub fn covers(&self, pc: u64) -> bool {
        self.fde_for(pc.wrapping_sub(self.bias)).is_ok()
    }

    /// Unwind one frame whose registers are `regs`, looking the rules up at
    /// runtime address `lookup_pc` (the pc itself for the innermost or an
    /// interrupted frame, pc-1 for a return address).
    pub fn step(
        &self,
        lookup_pc: u64,
        regs: &RegSet,
        mem: &dyn Memory,
        ctx: &mut Context,
    ) -> Result<CfiStep, CfiError> {
        let addr = lookup_pc.wrapping_sub(self.bias);
        let fde = self.fde_for(addr)?;
        let eh = self.eh();
        let bases = self.bases();
        let row = fde.unwind_info_for_address(&eh, &bases, ctx, addr).map_err(malformed)?.clone();
        let env = RuleEnv { eh: &eh, encoding: fde.cie().encoding(), mem, bias: self.bias };
        let (caller, cfa) = apply_row(&row, regs, &env)?;
        Ok(CfiStep { caller, cfa, signal_frame: fde.is_signal_trampoline() })
    }
}

/// Binary search of `.eh_frame_hdr`'s table for the FDE whose range may
/// hold `addr`; returns the FDE's address (`Some(None)`: below the first
/// entry). Read here rather than by gimli so that a corrupt header meets
/// only checked arithmetic. Every linker writes the table as
/// `DW_EH_PE_datarel|sdata4` pairs (initial location, FDE address),
/// relative to the header; `None` for anything else, which sends the
/// lookup to the scanned index.
fn hdr_lookup(hdr: &[u8], hdr_addr: u64, addr: u64) -> Option<Option<u64>> {
    const DATAREL_SDATA4: u8 = 0x3b;
    let &[version, ptr_enc, count_enc, table_enc, ..] = hdr else { return None };
    if version != 1 || table_enc != DATAREL_SDATA4 {
        return None;
    }
    let size = |enc: u8| match enc & 0x0f {
        0x00 | 0x04 | 0x0c => Some(8usize),
        0x03 | 0x0b => Some(4),
        0x02 | 0x0a => Some(2),
        _ => None,
    };
    let count_at = 4 + size(ptr_enc)?;
    let count_len = size(count_enc)?;
    let mut c = [0u8; 8];
    c[..count_len].copy_from_slice(hdr.get(count_at..count_at + count_len)?);
    let table = hdr.get(count_at + count_len..)?;
    let n = usize::try_from(u64::from_le_bytes(c)).ok()?.min(table.len() / 8);
    if n == 0 {
        return None;
    }
    let field = |i: usize, k: usize| -> u64 {
        let o = i * 8 + k * 4;
        let v = i32::from_le_bytes([table[o], table[o + 1], table[o + 2], table[o + 3]]);
        hdr_addr.wrapping_add(v as i64 as u64)
    };
    // The first entry whose start is above addr; the one before may hold it.
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if field(mid, 0) <= addr { lo = mid + 1 } else { hi = mid }
    }
    Some(lo.checked_sub(1).map(|i| field(i, 1)))
}

fn build_index(eh: &EhFrame<Slice<'_>>, bases: &BaseAddresses) -> Vec<FdeSpan> {
    let mut out = Vec::new();
    let mut entries = eh.entries(bases);
    // A malformed entry ends the scan: its length cannot be trusted to find
    // the next one.
    while let Ok(Some(entry)) = entries.next() {
        if let gimli::CieOrFde::Fde(partial) = entry
            && let Ok(fde) = partial.parse(EhFrame::cie_from_offset)
        {
            out.push(FdeSpan { start: fde.initial_address(), end: fde.end_address(), offset: fde.offset() });
        }
    }
    out.sort_by_key(|s| s.start);
    out
}

/// What rule evaluation needs besides the registers.
pub struct RuleEnv<'e, 'a> {
    pub eh: &'e EhFrame<Slice<'a>>,
    pub encoding: Encoding,
    pub mem: &'e dyn Memory,
    pub bias: u64,
}

/// Apply one unwind row: compute the CFA, then every tracked register of
/// the caller. Registers the row does not mention follow the psABI:
/// callee-saved ones keep their value, rsp becomes the CFA, others are
/// unknown.
pub fn apply_row(row: &UnwindTableRow<usize>, regs: &RegSet, env: &RuleEnv<'_, '_>) -> Result<(RegSet, u64), CfiError> {
    let cfa = match row.cfa() {
        CfaRule::RegisterAndOffset { register, offset } => reg(regs, *register)?.wrapping_add(*offset as u64),
        CfaRule::Expression(e) => match evaluate(env, expr(env, e)?, regs, None, None)? {
            Loc::Addr(a) | Loc::Val(a) => a,
        },
    };
    let mut caller: RegSet = [None; DWARF_REGS];
    for r in 0..DWARF_REGS as u16 {
        let rule = row.register(Register(r));
        caller[r as usize] = match rule {
            None if r == DW_RSP => Some(cfa),
            None if CALLEE_SAVED.contains(&r) => regs[r as usize],
            // An unmentioned return-address column means "undefined".
            None => None,
            Some(rule) => apply_rule(&rule, r, cfa, regs, env)?,
        };
    }
    Ok((caller, cfa))
}

fn apply_rule(
    rule: &RegisterRule<usize>,
    r: u16,
    cfa: u64,
    regs: &RegSet,
    env: &RuleEnv<'_, '_>,
) -> Result<Option<u64>, CfiError> {
    Ok(match rule {
        RegisterRule::Undefined => None,
        RegisterRule::SameValue => regs[r as usize],
        RegisterRule::Offset(n) => Some(env.mem.read_u64(cfa.wrapping_add(*n as u64))?),
        RegisterRule::ValOffset(n) => Some(cfa.wrapping_add(*n as u64)),
        RegisterRule::Register(other) => Some(reg(regs, *other)?),
        RegisterRule::Expression(e) => match evaluate(env, expr(env, e)?, regs, Some(cfa), Some(cfa))? {
            Loc::Addr(a) => Some(env.mem.read_u64(a)?),
            Loc::Val(v) => Some(v),
        },
        RegisterRule::ValExpression(e) => match evaluate(env, expr(env, e)?, regs, Some(cfa), Some(cfa))? {
            Loc::Addr(a) | Loc::Val(a) => Some(a),
        },
        RegisterRule::Constant(v) => Some(*v),
        // Nothing on x86_64 Linux uses architectural rules.
        RegisterRule::Architectural => None,
    })
}

fn reg(regs: &RegSet, r: Register) -> Result<u64, CfiError> {
    regs.get(r.0 as usize).copied().flatten().ok_or(CfiError::UnknownRegister(r.0))
}

fn expr<'a>(env: &RuleEnv<'_, 'a>, e: &UnwindExpression<usize>) -> Result<Expression<Slice<'a>>, CfiError> {
    e.get(env.eh).map_err(malformed)
}

/// A DWARF expression's result: a memory location or a value.
enum Loc {
    Addr(u64),
    Val(u64),
}

/// Run a CFI expression to completion, supplying memory, registers and the
/// CFA as gimli asks for them. `push` is the initial stack value (the CFA,
/// for register rules, as DWARF 5 §6.4.2.3 says).
fn evaluate(
    env: &RuleEnv<'_, '_>,
    e: Expression<Slice<'_>>,
    regs: &RegSet,
    cfa: Option<u64>,
    push: Option<u64>,
) -> Result<Loc, CfiError> {
    let fail = |e: gimli::Error| CfiError::Expression(e.to_string());
    let mut ev = Evaluation::new(e.0, env.encoding);
    ev.set_max_iterations(MAX_EXPR_STEPS);
    if let Some(v) = push {
        ev.set_initial_value(v);
    }
    let mut res = ev.evaluate().map_err(fail)?;
    loop {
        res = match res {
            EvaluationResult::Complete => break,
            EvaluationResult::RequiresMemory { address, size, .. } => {
                let n = (size as usize).clamp(1, 8);
                let mut b = [0u8; 8];
                env.mem.read(address, &mut b[..n])?;
                ev.resume_with_memory(Value::Generic(u64::from_le_bytes(b))).map_err(fail)?
            }
            EvaluationResult::RequiresRegister { register, .. } => {
                let v = reg(regs, register)?;
                ev.resume_with_register(Value::Generic(v)).map_err(fail)?
            }
            EvaluationResult::RequiresCallFrameCfa => match cfa {
                Some(c) => ev.resume_with_call_frame_cfa(c).map_err(fail)?,
                None => return Err(CfiError::Expression("DW_OP_call_frame_cfa while computing the CFA".into())),
            },
            EvaluationResult::RequiresRelocatedAddress(a) => {
                ev.resume_with_relocated_address(a.wrapping_add(env.bias)).map_err(fail)?
            }
            EvaluationResult::RequiresBaseType(_) => ev.resume_with_base_type(ValueType::Generic).map_err(fail)?,
            other => return Err(CfiError::Expression(format!("unsupported request {other:?}"))),
        };
    }
    let pieces = ev.result();
    let Some(first) = pieces.first() else { return Err(CfiError::Expression("empty result".into())) };
    match &first.location {
        Location::Address { address } => Ok(Loc::Addr(*address)),
        Location::Value { value } => value.to_u64(!0).map(Loc::Val).map_err(fail),
        Location::Register { register } => reg(regs, *register).map(Loc::Val),
        other => Err(CfiError::Expression(format!("unsupported result {other:?}"))),
    }
}
