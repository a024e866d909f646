//! Native stack unwinding: from a thread's registers to its list of frames.
//!
//! Each step tries, in order:
//! 1. CFI from the module's `.eh_frame` ([`cfi`]), looked up at the pc for
//!    the innermost and interrupted frames and at pc-1 for return addresses
//!    (a call can be the last instruction of a function);
//! 2. the sigreturn trampoline, whose frame holds the interrupted registers
//!    ([`signal`]), when no CFI describes it;
//! 3. the frame-pointer chain ([`fp`]), for V8's JIT code and embedded
//!    builtins, which have no CFI, and when CFI gives an implausible caller.
//!
//! Every frame says how it was found ([`Trust`]) and every walk says why it
//! ended ([`StopReason`]). Walks are bounded and each step must move up the
//! stack, so garbage registers or a corrupt stack end the walk with a
//! reason, never a loop or a panic.
//!
//! The walk itself ([`unwind_with`]) sees the target only through
//! [`UnwindEnv`], so tests can run it over synthetic memory and CFI.

pub mod cfi;
pub mod fp;
pub mod signal;

use std::sync::OnceLock;

use crate::arch::x86_64::{DW_RBP, DW_RIP, DW_RSP, DWARF_REGS, Regs};
use crate::memory::Memory;
use crate::target::{Module, Target};

use self::cfi::{CfiError, CfiLocation, CfiSection};

/// Register values by DWARF number (see [`crate::arch::x86_64::DWARF_NAMES`]);
/// `None` where unwinding could not recover the value.
pub type RegSet = [Option<u64>; DWARF_REGS];

/// The default bound on a walk's length: far beyond a real stack (a
/// JavaScript stack overflow holds ~11,000 frames at V8's default stack
/// size, gdb shows them all), still a bound for a chain that never ends.
pub const DEFAULT_MAX_FRAMES: usize = 200_000;

/// How a frame's registers were found, most to least reliable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trust {
    /// The thread's registers as the core recorded them.
    Context,
    /// Registers the kernel saved in a signal frame (`ucontext`).
    Signal,
    /// DWARF call-frame information.
    Cfi,
    /// The frame-pointer chain (`[rbp]`, `[rbp+8]`).
    FramePointer,
}

impl Trust {
    /// A short tag for stack listings.
    pub fn tag(self) -> &'static str {
        match self {
            Trust::Context => "context",
            Trust::Signal => "signal",
            Trust::Cfi => "cfi",
            Trust::FramePointer => "fp",
        }
    }
    /// What the tag means.
    pub fn describe(self) -> &'static str {
        match self {
            Trust::Context => "given as instruction pointer in context",
            Trust::Signal => "restored from a signal frame saved by the kernel",
            Trust::Cfi => "call frame info",
            Trust::FramePointer => "previous frame's frame pointer",
        }
    }
}

/// One frame of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The instruction pointer: exact for the innermost frame and for one a
    /// signal interrupted, a return address for the others.
    pub pc: u64,
    /// rsp in this frame.
    pub sp: u64,
    /// rbp in this frame, if known. For frames that keep a frame pointer
    /// (V8's), this is mdb's "frame pointer"; in code compiled without one it
    /// is whatever the register held.
    pub fp: Option<u64>,
    /// This frame's canonical frame address (its caller's rsp), once the
    /// walk has stepped past it.
    pub cfa: Option<u64>,
    /// Every register known in this frame.
    pub regs: RegSet,
    pub trust: Trust,
    /// The pc is a sigreturn trampoline (`__restore_rt`): the frame the
    /// kernel built to call a signal handler.
    pub trampoline: bool,
}

impl Frame {
    fn new(regs: RegSet, trust: Trust) -> Frame {
        Frame {
            pc: regs[DW_RIP as usize].unwrap_or(0),
            sp: regs[DW_RSP as usize].unwrap_or(0),
            fp: regs[DW_RBP as usize],
            cfa: None,
            regs,
            trust,
            trampoline: false,
        }
    }

    /// A register by DWARF number.
    pub fn reg(&self, dwarf: u16) -> Option<u64> {
        self.regs.get(dwarf as usize).copied().flatten()
    }

    /// The pc exactly, where execution stopped at it.
    pub fn is_exact(&self) -> bool {
        matches!(self.trust, Trust::Context | Trust::Signal) || self.trampoline
    }

    /// The address to symbolize and to look CFI up at: pc-1 for a return
    /// address, since a call to a noreturn function (`abort`) can be a
    /// function's last instruction, so the return address is already the
    /// next function.
    pub fn lookup_pc(&self) -> u64 {
        if self.is_exact() { self.pc } else { self.pc.wrapping_sub(1) }
    }
}

/// Why a walk ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The CFI marks the return address undefined (`_start`, `clone3`):
    /// the normal end of a thread's stack.
    Outermost,
    /// The return address read was 0: the end of the stack, or a zeroed one.
    ZeroReturnAddress,
    /// No CFI covers the pc and there is no frame pointer to follow.
    NoReturnAddress,
    /// The return address found does not point into executable memory.
    BadReturnAddress { pc: u64 },
    /// Stack memory the step needed is not in the core.
    Unreadable { addr: u64 },
    /// The frame pointer is outside the thread's stack or misaligned.
    BadFramePointer { fp: u64 },
    /// The caller's frame would not be above this one: the chain went
    /// backwards or looped.
    NotIncreasing { sp: u64, caller_sp: u64 },
    /// CFI covers the pc but could not be applied.
    BadCfi(String),
    /// The walk reached its frame limit.
    FrameLimit(usize),
}

impl StopReason {
    /// One line for a human.
    pub fn describe(&self) -> String {
        match self {
            StopReason::Outermost => "reached the outermost frame".into(),
            StopReason::ZeroReturnAddress => "return address is 0 (end of the stack)".into(),
            StopReason::NoReturnAddress => "no unwind info for the pc and no frame pointer to follow".into(),
            StopReason::BadReturnAddress { pc } => format!("return address {pc:#x} does not point into code"),
            StopReason::Unreadable { addr } => format!("memory at {addr:#x} is not readable"),
            StopReason::BadFramePointer { fp } => {
                format!("frame pointer {fp:#x} is outside the thread's stack or misaligned")
            }
            StopReason::NotIncreasing { sp, caller_sp } => {
                format!("frame chain went backwards or looped (caller frame {caller_sp:#x} is not above {sp:#x})")
            }
            StopReason::BadCfi(why) => format!("unusable CFI: {why}"),
            StopReason::FrameLimit(n) => format!("stopped after {n} frames (frame limit)"),
        }
    }

    /// Whether this is how a healthy stack ends.
    pub fn is_clean(&self) -> bool {
        matches!(self, StopReason::Outermost | StopReason::ZeroReturnAddress)
    }
}

/// A walked stack, innermost frame first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub frames: Vec<Frame>,
    pub end: StopReason,
}

/// What the walk needs from a target.
pub trait UnwindEnv {
    fn memory(&self) -> &dyn Memory;
    /// The CFI of the module containing `pc`, if it has any.
    fn cfi(&self, pc: u64) -> Option<CfiSection<'_>>;
    /// Whether `addr` lies in executable memory (module text or JIT code).
    fn is_code(&self, addr: u64) -> bool;
    /// The mapping holding stack address `sp`, as `[start, end)`.
    fn stack_bounds(&self, sp: u64) -> Option<(u64, u64)>;
}

/// Walk the stack of a thread of `target` whose registers are `regs`.
pub fn unwind(target: &Target, regs: &Regs, max_frames: usize) -> Stack {
    unwind_with(&TargetEnv { t: target }, &context_regs(regs), max_frames)
}

/// The registers of a core's thread, all known.
pub fn context_regs(regs: &Regs) -> RegSet {
    regs.to_dwarf().map(Some)
}

/// Walk from a frame pointer alone (no thread's walk reached it). The
/// function owning `fp` is unknown, so the walk starts at its caller:
/// pc = `[fp+8]`, rsp = fp+16, rbp = `[fp]`.
pub fn unwind_from_frame_pointer(target: &Target, fp: u64, max_frames: usize) -> Stack {
    let env = TargetEnv { t: target };
    let is_code = |a: u64| env.is_code(a);
    match fp::step(target, fp, Some(fp), env.stack_bounds(fp), &is_code) {
        Ok(f) => walk(&env, &f.caller, Trust::FramePointer, max_frames),
        Err(end) => Stack { frames: Vec::new(), end },
    }
}

/// Whether `addr` is executable memory of the target (module text, JIT code).
pub fn is_code(target: &Target, addr: u64) -> bool {
    TargetEnv { t: target }.is_code(addr)
}

/// Walk a stack from `regs` (frame 0's registers) through `env`.
pub fn unwind_with(env: &dyn UnwindEnv, regs: &RegSet, max_frames: usize) -> Stack {
    walk(env, regs, Trust::Context, max_frames)
}

fn walk(env: &dyn UnwindEnv, regs: &RegSet, first: Trust, max_frames: usize) -> Stack {
    let max = max_frames.max(1);
    let mut ctx = cfi::new_context();
    let mut frames = vec![Frame::new(*regs, first)];
    let end = loop {
        if frames.len() >= max {
            break StopReason::FrameLimit(max);
        }
        let Some(cur) = frames.last_mut() else { break StopReason::NoReturnAddress };
        match step(env, cur, &mut ctx) {
            Ok((caller, trust, cfa)) => {
                cur.cfa = Some(cfa);
                frames.push(Frame::new(caller, trust));
            }
            Err(r) => break r,
        }
    };
    Stack { frames, end }
}

/// One step from `cur` to its caller.
fn step(env: &dyn UnwindEnv, cur: &mut Frame, ctx: &mut cfi::Context) -> Result<(RegSet, Trust, u64), StopReason> {
    let mem = env.memory();
    let (pc, sp) = (cur.pc, cur.sp);
    cur.trampoline = signal::is_sigreturn(mem, pc);
    let lookup = cur.lookup_pc();

    // Why CFI failed, if it did: reported when the fallbacks fail too.
    let mut cfi_problem: Option<StopReason> = None;
    if let Some(sec) = env.cfi(lookup) {
        match sec.step(lookup, &cur.regs, mem, ctx) {
            Ok(s) => {
                let Some(ra) = s.caller[DW_RIP as usize] else { return Err(StopReason::Outermost) };
                let caller_sp = s.caller[DW_RSP as usize];
                // A signal can interrupt any pc on any stack (sigaltstack),
                // so only ordinary calls must return into code, higher up.
                let problem = if s.signal_frame {
                    None
                } else if ra == 0 {
                    Some(StopReason::ZeroReturnAddress)
                } else if !env.is_code(ra) {
                    Some(StopReason::BadReturnAddress { pc: ra })
                } else {
                    match caller_sp {
                        Some(c) if c > sp => None,
                        Some(c) => Some(StopReason::NotIncreasing { sp, caller_sp: c }),
                        None => Some(StopReason::BadCfi("the caller's rsp is unknown".into())),
                    }
                };
                match problem {
                    None => {
                        let trust = if s.signal_frame { Trust::Signal } else { Trust::Cfi };
                        return Ok((s.caller, trust, s.cfa));
                    }
                    Some(p) => cfi_problem = Some(p),
                }
            }
            Err(CfiError::NoInfo) => {}
            Err(CfiError::Unreadable(a)) => cfi_problem = Some(StopReason::Unreadable { addr: a }),
            Err(e) => cfi_problem = Some(StopReason::BadCfi(e.to_string())),
        }
    }

    if cur.trampoline {
        // After the handler's `ret`, rsp points at the ucontext.
        match signal::restore(mem, sp) {
            Ok(regs) => return Ok((regs, Trust::Signal, sp)),
            Err(e) => {
                cfi_problem.get_or_insert(StopReason::Unreadable { addr: e.addr() });
            }
        }
    }

    let is_code = |a: u64| env.is_code(a);
    match fp::step(mem, sp, cur.fp, env.stack_bounds(sp), &is_code) {
        Ok(f) => Ok((f.caller, Trust::FramePointer, f.cfa)),
        Err(e) => Err(cfi_problem.unwrap_or(e)),
    }
}

/// What the unwinder knows of one module, parsed on first use.
#[derive(Default)]
struct ModuleInfo {
    cfi: CfiLocation,
    /// The file's `PT_LOAD`s: executable ranges (a gcore core may not hold
    /// the text, so permissions come from the file) and the file offset to
    /// address translation for remapped copies.
    loads: Vec<Load>,
}

#[derive(Debug, Clone, Copy)]
struct Load {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    memsz: u64,
    exec: bool,
}

impl ModuleInfo {
    fn from_elf(data: &[u8]) -> ModuleInfo {
        use object::read::elf::{FileHeader, ProgramHeader};
        let mut loads = Vec::new();
        let hdr = object::elf::FileHeader64::<object::Endianness>::parse(data).ok();
        let phdrs = hdr
            .and_then(|h| Some((h.endian().ok()?, h)))
            .and_then(|(e, h)| Some((e, h.program_headers(e, data).ok()?)));
        if let Some((e, phdrs)) = phdrs {
            for p in phdrs.iter().filter(|p| p.p_type(e) == object::elf::PT_LOAD) {
                loads.push(Load {
                    vaddr: p.p_vaddr(e),
                    offset: p.p_offset(e),
                    filesz: p.p_filesz(e),
                    memsz: p.p_memsz(e),
                    exec: p.p_flags(e).0 & object::elf::PF_X.0 != 0,
                });
            }
        }
        ModuleInfo { cfi: CfiLocation::from_elf(data), loads }
    }

    fn is_exec(&self, file_addr: u64) -> bool {
        self.loads.iter().any(|l| l.exec && file_addr >= l.vaddr && file_addr - l.vaddr < l.memsz)
    }

    fn offset_to_addr(&self, off: u64) -> Option<u64> {
        let l = self.loads.iter().find(|l| off >= l.offset && off - l.offset < l.filesz)?;
        Some(l.vaddr + (off - l.offset))
    }
}

/// Per-module unwind information, filled lazily: opening a target never
/// touches CFI, and a walk only parses the modules its pcs fall in.
#[derive(Default)]
pub struct CfiCache {
    slots: OnceLock<Vec<OnceLock<ModuleInfo>>>,
}

impl CfiCache {
    fn info<'m>(&'m self, modules: &'m [Module], i: usize) -> Option<&'m ModuleInfo> {
        let slots = self.slots.get_or_init(|| modules.iter().map(|_| OnceLock::new()).collect());
        let m = modules.get(i)?;
        Some(slots.get(i)?.get_or_init(|| m.data().map(ModuleInfo::from_elf).unwrap_or_default()))
    }
}

/// Where an address of code lies in a module's file.
#[derive(Clone, Copy)]
pub struct CodeLocation<'t> {
    pub module: &'t Module,
    /// The address as the file states it (what symbols and CFI use).
    pub file_addr: u64,
    /// Runtime minus file address for this mapping.
    pub bias: u64,
    /// The address lies in a second mapping of the module's file, not in
    /// the module's own: Node 22+ remaps V8's embedded builtins from the
    /// executable into the code range, where neither the module's range nor
    /// gdb finds them.
    pub remapped: bool,
}

/// Locate `addr` in a module's file: in the module's own mapping, or in
/// another mapping of the same file (the `NT_FILE` note names both).
pub fn code_location(t: &Target, addr: u64) -> Option<CodeLocation<'_>> {
    TargetEnv { t }.locate(addr).map(|(loc, _)| loc)
}

/// [`UnwindEnv`] over a loaded core.
pub struct TargetEnv<'t> {
    pub t: &'t Target,
}

impl<'t> TargetEnv<'t> {
    fn segment(&self, addr: u64) -> Option<&'t crate::corefile::LoadSegment> {
        let segs = &self.t.core.segments;
        let i = segs.partition_point(|s| s.vaddr <= addr);
        let s = segs.get(i.checked_sub(1)?)?;
        (addr < s.end()).then_some(s)
    }

    fn locate(&self, addr: u64) -> Option<(CodeLocation<'t>, &'t ModuleInfo)> {
        let mods = &self.t.modules;
        let i = mods.partition_point(|m| m.base <= addr);
        if let Some(m) = i.checked_sub(1).and_then(|i| mods.get(i)).filter(|m| m.contains(addr)) {
            let info = self.t.unwind_cache.info(mods, i - 1)?;
            let loc = CodeLocation { module: m, file_addr: addr.wrapping_sub(m.bias), bias: m.bias, remapped: false };
            return Some((loc, info));
        }
        let files = &self.t.core.files;
        let j = files.partition_point(|f| f.start <= addr).checked_sub(1)?;
        let f = files.get(j).filter(|f| addr < f.end)?;
        let mi = mods.iter().position(|m| m.name == f.path)?;
        let info = self.t.unwind_cache.info(mods, mi)?;
        let file_addr = info.offset_to_addr(f.file_offset.checked_add(addr - f.start)?)?;
        let loc = CodeLocation { module: &mods[mi], file_addr, bias: addr.wrapping_sub(file_addr), remapped: true };
        Some((loc, info))
    }
}

impl UnwindEnv for TargetEnv<'_> {
    fn memory(&self) -> &dyn Memory {
        self.t
    }

    fn cfi(&self, pc: u64) -> Option<CfiSection<'_>> {
        let (loc, info) = self.locate(pc)?;
        info.cfi.view(loc.module.data()?, loc.bias)
    }

    fn is_code(&self, addr: u64) -> bool {
        if let Some(s) = self.segment(addr) {
            // A kernel core (and a live process) lists every mapping with
            // its permissions.
            if s.flags & object::elf::PF_X.0 != 0 {
                return true;
            }
            if s.filesz > 0 || self.t.kind() != crate::corefile::CoreKind::Gcore {
                return false;
            }
        }
        // gcore leaves file-backed text out: ask the file.
        self.locate(addr).is_some_and(|(loc, info)| info.is_exec(loc.file_addr))
    }

    fn stack_bounds(&self, sp: u64) -> Option<(u64, u64)> {
        self.segment(sp).map(|s| (s.vaddr, s.end()))
    }
}

#[cfg(test)]
mod tests;
