//! Native stacks against gdb's `thread apply all bt` on the same cores, and
//! the unwinder's behaviour on corrupt stacks and garbage registers.
//!
//! Comparing with gdb, frame by frame:
//! - gdb prints inlined functions as extra frames with the same pc; their
//!   lines carry no `0x... in` (after frame 0). jmdb shows one frame per
//!   physical frame, named by the ELF symbol, which is the outermost
//!   function of such a group; so a group of gdb lines is one frame and
//!   its last line gives the name.
//! - gdb also synthesizes "tail call" frames from the DWARF call-site info
//!   of libc's debug file (`__pthread_kill_internal`, `do_futex_wait`,
//!   `__new_sem_wait`...): frames that are not on the stack because their
//!   function jumped, not called, to the next one. Such a gdb frame is
//!   skipped when the instruction that ends at its pc is a `jmp`.
//! - gdb names libc functions by their DWARF names, jmdb by the ELF
//!   symbol: `__GI_raise` is `raise`, `___pthread_cond_wait` is
//!   `pthread_cond_wait`, `__new_sem_wait_slow64` is
//!   `__new_sem_wait_slow64.constprop.0`. Names are compared after removing
//!   `__GI_`, leading underscores, symbol versions, GCC clone suffixes and
//!   C++ parameter lists, or as aliases (the same address).
//! - gdb cannot unwind V8's JIT frames (nor, from Node 22, the remapped
//!   embedded builtins): past its first `??` frame its output is stack
//!   garbage, so the comparison stops there. jmdb goes on through the
//!   frame-pointer chain to `_start`, which is checked separately.

mod common;

use std::collections::HashMap;
use std::sync::OnceLock;

use jmdb::arch::x86_64::{DW_RBP, DW_RIP, DW_RSP, DWARF_REGS};
use jmdb::error::MemError;
use jmdb::lang::dcmd::Invocation;
use jmdb::memory::Memory;
use jmdb::session::Session;
use jmdb::target::{OpenOptions, Target};
use jmdb::unwind::cfi::CfiSection;
use jmdb::unwind::{self, RegSet, StopReason, Trust, UnwindEnv};

fn open(c: &common::CoreCase) -> Target {
    Target::open(&OpenOptions { core: c.core_path(), ..Default::default() })
        .unwrap_or_else(|e| panic!("{}: {e}", c.name()))
}

/// One physical frame as gdb printed it.
#[derive(Debug, Clone)]
struct GdbFrame {
    /// `None` for frame 0 when gdb printed no address.
    pc: Option<u64>,
    /// The outermost function of the frame's inline group.
    name: String,
    /// All names of the group, innermost first (for messages).
    group: Vec<String>,
}

/// gdb's `thread apply all bt`: tid → physical frames.
fn parse_gdb(text: &str) -> HashMap<u32, Vec<GdbFrame>> {
    let mut out: HashMap<u32, Vec<GdbFrame>> = HashMap::new();
    let mut cur: Option<u32> = None;
    for line in text.lines() {
        if line.starts_with("Thread ") {
            // `Thread 7 (Thread 0x7f.. (LWP 1820)):` or `Thread 1 (LWP 1818):`
            cur = line
                .find("LWP ")
                .and_then(|p| line[p + 4..].split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|d| d.parse().ok());
            if let Some(t) = cur {
                out.insert(t, Vec::new());
            }
            continue;
        }
        let (Some(tid), Some(rest)) = (cur, line.strip_prefix('#')) else { continue };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(num) = digits.parse::<u32>() else { continue };
        let body = rest[digits.len()..].trim_start();
        let (pc, name_part) = match body.strip_prefix("0x") {
            Some(h) => {
                let hex: String = h.chars().take_while(char::is_ascii_hexdigit).collect();
                let after = h[hex.len()..].strip_prefix(" in ").unwrap_or("");
                (u64::from_str_radix(&hex, 16).ok(), after)
            }
            None => (None, body),
        };
        let name = function_name(name_part);
        let frames = out.entry(tid).or_default();
        match (pc, frames.last_mut()) {
            // No address after frame 0: an inlined function's caller, the
            // same physical frame.
            (None, Some(last)) if num > 0 => {
                last.name = name.clone();
                last.group.push(name);
            }
            _ => frames.push(GdbFrame { pc, name: name.clone(), group: vec![name] }),
        }
    }
    out
}

/// The function in a gdb frame line after the address: up to the argument
/// list ` (` outside brackets; `??` and `<signal handler called>` as is.
fn function_name(s: &str) -> String {
    if s.starts_with('<') || s.starts_with("??") {
        return s.split(" (").next().unwrap_or(s).to_string();
    }
    let b = s.as_bytes();
    let (mut paren, mut angle) = (0i32, 0i32);
    for i in 0..b.len() {
        match b[i] {
            b'(' if paren == 0 && angle == 0 && i > 0 && b[i - 1] == b' ' => return s[..i - 1].to_string(),
            b'(' => paren += 1,
            b')' => paren -= 1,
            b'<' => angle += 1,
            b'>' if angle > 0 => angle -= 1,
            _ => {}
        }
    }
    s.to_string()
}

/// A name reduced to what gdb and the ELF symbol table agree on.
fn normalize(name: &str) -> String {
    let mut n = name.trim();
    if let Some(p) = n.find(" [clone ") {
        n = &n[..p];
    }
    if let Some(p) = n.find('@')
        && p > 0
    {
        n = &n[..p];
    }
    n = strip_params(n);
    // GCC clones: foo.constprop.0, foo.isra.0, foo.part.0, foo.cold
    if !n.contains("::")
        && let Some(p) = n.find('.')
    {
        n = &n[..p];
    }
    let n = n.strip_prefix("__GI_").unwrap_or(n);
    n.trim_start_matches('_').to_string()
}

/// `v8::Foo<int>::Bar(int) const` → `v8::Foo<int>::Bar`; a name that does
/// not end in a parameter list is kept. A return type before the name
/// (`v8::internal::MaybeHandle<..> v8::internal::Foo<false>(...)`) is dropped.
fn strip_params(n: &str) -> &str {
    let mut n = n.trim_end();
    for suffix in [" const", " volatile"] {
        n = n.strip_suffix(suffix).unwrap_or(n);
    }
    // jmdb's short names drop the parameter list, so a call operator is
    // `...::operator() const` where gdb writes `...::operator()() const`.
    if !n.ends_with(')') || n.ends_with("::operator()") {
        return n;
    }
    let b = n.as_bytes();
    let mut depth = 0;
    let mut head = n;
    for i in (0..b.len()).rev() {
        match b[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    head = &n[..i];
                    break;
                }
            }
            _ => {}
        }
    }
    // Drop a leading return type: the last space outside <> and ().
    let hb = head.as_bytes();
    let (mut angle, mut paren) = (0i32, 0i32);
    let mut start = 0;
    for (i, &c) in hb.iter().enumerate() {
        match c {
            b'<' => angle += 1,
            b'>' => angle -= 1,
            b'(' => paren += 1,
            b')' => paren -= 1,
            b' ' if angle == 0 && paren == 0 => start = i + 1,
            _ => {}
        }
    }
    &head[start..]
}

/// jmdb's name for a frame's function and the symbol's address.
fn our_symbol(t: &Target, f: &unwind::Frame) -> Option<(String, u64)> {
    if let Some(s) = t.symbolize(f.lookup_pc()) {
        return Some((s.name, s.addr));
    }
    let loc = unwind::code_location(t, f.lookup_pc())?;
    let s = loc.module.symbols().lookup_addr(loc.file_addr)?;
    Some((s.short_name(), s.addr.wrapping_add(loc.bias)))
}

fn same_function(t: &Target, gdb: &str, ours: &(String, u64)) -> bool {
    if normalize(gdb) == normalize(&ours.0) {
        return true;
    }
    // Aliases: gdb's DWARF name and jmdb's symbol at the same address.
    let plain = strip_params(gdb);
    t.lookup_symbol(plain) == Some(ours.1)
}

/// The instruction ending at `pc` is a direct jmp: gdb's frame there is a
/// tail call it reconstructed, not a frame on the stack.
fn after_jmp(t: &Target, pc: u64) -> bool {
    t.read_u8(pc.wrapping_sub(5)).is_ok_and(|b| b == 0xe9) || t.read_u8(pc.wrapping_sub(2)).is_ok_and(|b| b == 0xeb)
}

struct Compared {
    matched: usize,
    tail_calls: usize,
    /// gdb's last named frame matched (the comparison reached gdb's `??` or
    /// gdb's end).
    names: Vec<String>,
}

/// Compare one thread's stack with gdb's, frame by frame, in order.
fn compare(t: &Target, what: &str, st: &unwind::Stack, gdb: &[GdbFrame]) -> Result<Compared, String> {
    let mut r = Compared { matched: 0, tail_calls: 0, names: Vec::new() };
    let mut j = 0;
    for (k, g) in gdb.iter().enumerate() {
        if g.name.starts_with("??") || g.name.starts_with('<') {
            break;
        }
        let Some(f) = st.frames.get(j) else {
            return Err(format!(
                "{what}: gdb frame {k} {} has no counterpart (jmdb has {} frames, {})",
                g.name,
                j,
                st.end.describe()
            ));
        };
        if let Some(pc) = g.pc
            && pc != f.pc
        {
            if k > 0 && after_jmp(t, pc) {
                r.tail_calls += 1;
                continue;
            }
            return Err(format!(
                "{what}: gdb frame {k} {} at {pc:#x}, jmdb frame {j} at {:#x} ({:?})",
                g.name,
                f.pc,
                our_symbol(t, f)
            ));
        }
        let ours = our_symbol(t, f)
            .ok_or_else(|| format!("{what}: jmdb frame {j} at {:#x} has no symbol; gdb says {}", f.pc, g.name))?;
        if !same_function(t, &g.name, &ours) {
            return Err(format!("{what}: frame {j}: gdb {:?} (group {:?}), jmdb {:?}", g.name, g.group, ours.0));
        }
        r.names.push(ours.0);
        r.matched += 1;
        j += 1;
    }
    Ok(r)
}

#[test]
fn abort_stacks_match_gdb_frame_by_frame() {
    let mut report = Vec::new();
    for c in common::cores_for("abort") {
        let t = open(&c);
        let gdb = parse_gdb(&c.read("gdb-bt.txt"));
        assert_eq!(gdb.len(), t.threads.len(), "{}: gdb saw other threads", c.name());
        let sig = t.signalled_thread();
        let mut total = 0;
        for (i, th) in t.threads.iter().enumerate() {
            let st = unwind::unwind(&t, &th.regs, unwind::DEFAULT_MAX_FRAMES);
            let g = gdb.get(&th.tid).unwrap_or_else(|| panic!("{}: gdb has no LWP {}", c.name(), th.tid));
            let what = format!("{} thread {} (tid {})", c.name(), th.index, th.tid);
            let r = compare(&t, &what, &st, g).unwrap_or_else(|e| panic!("{e}"));
            total += r.matched;
            if i == sig {
                // The aborting thread: libc's raise and abort, node::Abort,
                // and on into V8 as far as gdb can name frames.
                let n: Vec<String> = r.names.iter().map(|n| normalize(n)).collect();
                let pos = |want: &str| n.iter().position(|x| x == want);
                let (raise, abort, node_abort) = (pos("raise"), pos("abort"), pos("node::Abort"));
                assert!(raise.is_some() && abort > raise && node_abort > abort, "{what}: matched {n:?}");
                if c.node_major < 22 {
                    // gdb names the builtins in .text: the comparison goes
                    // through v8::internal:: into Builtins_*.
                    assert!(n.iter().any(|x| x.starts_with("v8::internal::")), "{what}: {n:?}");
                    assert!(n.iter().any(|x| x.starts_with("Builtins_")), "{what}: {n:?}");
                }
                report.push(format!(
                    "{}: aborting thread {} frames match gdb ({} tail-call frames of gdb skipped), last {:?}",
                    c.name(),
                    r.matched,
                    r.tail_calls,
                    r.names.last()
                ));
            } else {
                // gdb unwinds these completely: every frame must match.
                let named = g.iter().filter(|f| !f.name.starts_with("??")).count();
                assert_eq!(r.matched + r.tail_calls, named, "{what}: {:?}", r.names);
                assert_eq!(r.matched, st.frames.len(), "{what}: jmdb has frames gdb lacks");
            }
        }
        report.push(format!("{}: {total} frames match gdb over {} threads", c.name(), t.threads.len()));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn every_core_matches_gdb_as_far_as_gdb_names_frames() {
    // Spinning JIT code, --abort-on-uncaught-exception, workers, gcore:
    // wherever gdb names a frame, jmdb has the same frame.
    let mut report = Vec::new();
    for c in common::all_cores() {
        let t = open(&c);
        let gdb = parse_gdb(&c.read("gdb-bt.txt"));
        let mut total = 0;
        for th in &t.threads {
            let Some(g) = gdb.get(&th.tid) else { panic!("{}: gdb has no LWP {}", c.name(), th.tid) };
            let st = unwind::unwind(&t, &th.regs, unwind::DEFAULT_MAX_FRAMES);
            let what = format!("{} thread {} (tid {})", c.name(), th.index, th.tid);
            total += compare(&t, &what, &st, g).unwrap_or_else(|e| panic!("{e}")).matched;
        }
        report.push(format!("{}: {total} frames match gdb", c.name()));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn every_thread_of_every_core_ends_sanely() {
    for c in common::all_cores() {
        let t = open(&c);
        for th in &t.threads {
            let what = format!("{} thread {} (tid {})", c.name(), th.index, th.tid);
            let st = unwind::unwind(&t, &th.regs, unwind::DEFAULT_MAX_FRAMES);
            assert!(!matches!(st.end, StopReason::FrameLimit(_)), "{what}: {}", st.end.describe());
            // Each step moves up the stack (no signal frames in these cores).
            for w in st.frames.windows(2) {
                assert!(w[1].sp > w[0].sp, "{what}: sp went down at {:#x}", w[1].pc);
            }
            let top = t.symbolize(th.regs.rip()).map(|s| s.name).unwrap_or_default();
            if st.end.is_clean() {
                continue;
            }
            // A thread caught in clone3 between the syscall and the child's
            // first instruction has no frame to return to; gdb fails there
            // too.
            assert!(top == "clone3" || top == "__clone3", "{what}: ended: {} (top {top})", st.end.describe());
        }
        // The main thread reaches the program's entry point, through JS.
        let main = unwind::unwind(&t, &t.threads[0].regs, unwind::DEFAULT_MAX_FRAMES);
        let names: Vec<String> = main.frames.iter().filter_map(|f| our_symbol(&t, f)).map(|s| s.0).collect();
        assert_eq!(names.last().map(String::as_str), Some("_start"), "{}: {names:?}", c.name());
        if c.fixture != "sleep" || c.node_major < 22 {
            assert!(names.iter().any(|n| n.starts_with("Builtins_")), "{}: {names:?}", c.name());
        }
        assert!(main.frames.iter().any(|f| f.trust == Trust::FramePointer), "{}", c.name());
    }
}

#[test]
fn remapped_builtins_are_named_from_the_executable() {
    // From Node 22 the builtins run from a copy of the executable's text
    // mapped elsewhere; gdb prints ?? there, jmdb the Builtins_* symbol.
    for c in common::cores_for("abort").into_iter().filter(|c| c.node_major >= 22) {
        let t = open(&c);
        let th = &t.threads[t.signalled_thread()];
        let st = unwind::unwind(&t, &th.regs, unwind::DEFAULT_MAX_FRAMES);
        let remapped: Vec<String> = st
            .frames
            .iter()
            .filter_map(|f| unwind::code_location(&t, f.lookup_pc()).filter(|l| l.remapped).map(|_| f))
            .filter_map(|f| our_symbol(&t, f).map(|s| s.0))
            .collect();
        assert!(remapped.iter().any(|n| n == "Builtins_InterpreterEntryTrampoline"), "{}: {remapped:?}", c.name());
        assert!(remapped.iter().all(|n| n.starts_with("Builtins_")), "{}: {remapped:?}", c.name());
    }
}

/// A target whose memory has a few words patched: a corrupt stack.
struct Patched<'t> {
    env: unwind::TargetEnv<'t>,
    words: HashMap<u64, u64>,
}

impl Memory for Patched<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        self.env.t.read(addr, buf)?;
        for (a, v) in &self.words {
            for (k, b) in v.to_le_bytes().iter().enumerate() {
                let x = a + k as u64;
                if x >= addr && x < addr + buf.len() as u64 {
                    buf[(x - addr) as usize] = *b;
                }
            }
        }
        Ok(())
    }
}

impl UnwindEnv for Patched<'_> {
    fn memory(&self) -> &dyn Memory {
        self
    }
    fn cfi(&self, pc: u64) -> Option<CfiSection<'_>> {
        self.env.cfi(pc)
    }
    fn is_code(&self, addr: u64) -> bool {
        self.env.is_code(addr)
    }
    fn stack_bounds(&self, sp: u64) -> Option<(u64, u64)> {
        self.env.stack_bounds(sp)
    }
}

#[test]
fn corrupt_frame_pointer_chains_on_a_real_stack_end_with_a_note() {
    let c = common::core("22", "abort");
    let t = open(&c);
    let th = &t.threads[t.signalled_thread()];
    let regs = unwind::context_regs(&th.regs);
    let good = unwind::unwind(&t, &th.regs, 1000);
    // Two frames found through frame pointers, in the JS part of the stack.
    let fp_frames: Vec<&unwind::Frame> = good.frames.iter().filter(|f| f.trust == Trust::FramePointer).collect();
    assert!(fp_frames.len() >= 3, "{}", c.name());
    let (a, b) = (fp_frames[0].fp.unwrap_or(0), fp_frames[1].fp.unwrap_or(0));
    let k = good.frames.iter().position(|f| f.fp == Some(a)).unwrap_or(0);

    for (what, words) in [
        ("loop to itself", vec![(a, a)]),
        ("loop back", vec![(b, a)]),
        ("backwards", vec![(a, a - 0x100)]),
        ("outside the stack", vec![(a, 0x4141_4141_4140)]),
        ("misaligned", vec![(a, b + 3)]),
        ("return address into data", vec![(a + 8, 0x10)]),
    ] {
        let env = Patched { env: unwind::TargetEnv { t: &t }, words: words.into_iter().collect() };
        let st = unwind::unwind_with(&env, &regs, 1000);
        assert!(!st.end.is_clean(), "{what}: {:?}", st.end);
        assert!(st.frames.len() <= k + 3, "{what}: {} frames, {}", st.frames.len(), st.end.describe());
        // The frames before the damage are the same.
        assert!(st.frames.len() > k, "{what}");
        assert_eq!(st.frames[..k], good.frames[..k], "{what}");
        assert!(!st.end.describe().is_empty());
    }
}

#[test]
fn garbage_registers_on_a_real_core_do_not_panic() {
    let c = common::core("22", "abort");
    let t = open(&c);
    let base = unwind::context_regs(&t.threads[0].regs);
    let stack = t.threads[0].regs.rsp();
    let cases: [(u64, u64, u64); 7] = [
        (0, 0, 0),
        (0, 0xdead_0000_0000, 0),
        (u64::MAX, u64::MAX, u64::MAX),
        (0x1000, stack, stack),
        (t.threads[0].regs.rip(), 0xffff_ffff_ffff_fff0, 8),
        (t.threads[0].regs.rip(), stack, stack - 8),
        (0x4141_4141_4141, stack + 0x10_0000_0000, 0x4141_4141_4141),
    ];
    for (rip, rsp, rbp) in cases {
        let mut r: RegSet = base;
        r[DW_RIP as usize] = Some(rip);
        r[DW_RSP as usize] = Some(rsp);
        r[DW_RBP as usize] = Some(rbp);
        let st = unwind::unwind_with(&unwind::TargetEnv { t: &t }, &r, 1000);
        assert!(!st.frames.is_empty());
        assert!(!matches!(st.end, StopReason::FrameLimit(_)), "{rip:#x} {rsp:#x}: {:?}", st.end);
    }
    let st = unwind::unwind_with(&unwind::TargetEnv { t: &t }, &[None; DWARF_REGS], 1000);
    assert_eq!(st.frames.len(), 1);
    // A frame pointer nowhere near any stack.
    let st = unwind::unwind_from_frame_pointer(&t, 0x10, 100);
    assert!(st.frames.is_empty() && !st.end.is_clean());
}

#[test]
fn signal_frames_of_a_handler_that_aborts() {
    // A C program whose SIGALRM handler aborts while main spins: the walk
    // goes through glibc's __restore_rt, whose CFI restores every register
    // from the ucontext with DWARF expressions, into the interrupted frame.
    let dir = std::env::temp_dir().join(format!("jmdb-sig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("sig.c");
    std::fs::write(
        &src,
        r#"#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void handler(int sig) { (void)sig; abort(); }
__attribute__((noinline)) static int spin(volatile int *p) { for (;;) { *p += 1; } return *p; }
__attribute__((noinline)) void victim(void) { volatile int x = 0; spin(&x); }
int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = handler; sigaction(SIGALRM, &sa, 0);
  alarm(1); victim(); return 0;
}
"#,
    )
    .unwrap();
    let gcc = std::process::Command::new("gcc")
        .args(["-O1", "-g", "-fomit-frame-pointer", "-o"])
        .arg(dir.join("sig"))
        .arg(&src)
        .status();
    assert!(
        gcc.is_ok_and(|s| s.success()),
        "gcc is needed to build this test's fixture: apt-get install gcc"
    );
    let _ =
        std::process::Command::new("sh").arg("-c").arg("ulimit -c unlimited; exec ./sig").current_dir(&dir).status();
    let core = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("core")));
    let Some(core) = core else {
        eprintln!("SKIPPED signal_frames_of_a_handler_that_aborts: no core in {} (core_pattern?)", dir.display());
        return;
    };
    let t = Target::open(&OpenOptions { core, ..Default::default() }).unwrap();
    let st = unwind::unwind(&t, &t.threads[0].regs, 100);
    let names: Vec<String> =
        st.frames.iter().map(|f| our_symbol(&t, f).map(|s| s.0).unwrap_or_else(|| "??".into())).collect();
    let at = |n: &str| names.iter().position(|x| x == n).unwrap_or_else(|| panic!("no {n} in {names:?}"));
    let (h, tramp, spin) = (at("handler"), at("__restore_rt"), at("spin"));
    assert_eq!((tramp, spin), (h + 1, h + 2), "{names:?}");
    assert_eq!(&names[spin..spin + 3], ["spin", "victim", "main"], "{names:?}");
    assert!(st.frames[tramp].trampoline);
    let interrupted = &st.frames[spin];
    assert_eq!(interrupted.trust, Trust::Signal);
    assert!(interrupted.is_exact());
    // Every register comes back from the ucontext, not just pc and sp.
    assert!(interrupted.regs.iter().all(Option::is_some), "{:?}", interrupted.regs);
    assert_eq!(st.end, StopReason::Outermost, "{names:?}");
    let mut s = Session::new(Some(t), jmdb::dcmds::registry(), Box::new(std::io::sink()));
    let out = run(&mut s, "$C", &[], None, false).unwrap();
    assert!(out.contains("libc.so.6`__restore_rt (signal handler called)  [cfi]"), "{out}");
    assert!(out.contains("sig`spin+0x") && out.contains("[signal]"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

// --- the dcmds, through a session (the same records the CLI runs) ---

fn session(c: &common::CoreCase) -> Session {
    Session::new(Some(open(c)), jmdb::dcmds::registry(), Box::new(std::io::sink()))
}

fn run(s: &mut Session, cmd: &str, args: &[&str], addr: Option<u64>, piped: bool) -> Result<String, String> {
    let inv = Invocation {
        dot: addr.unwrap_or(0),
        addr_given: addr.is_some(),
        piped_out: piped,
        args: args.iter().map(|a| a.to_string()).collect(),
        ..Default::default()
    };
    let h = s.registry.find(cmd).unwrap_or_else(|| panic!("no dcmd {cmd}")).handler;
    let mut out = Vec::new();
    h(s, &inv, &mut out).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

static NODE22: OnceLock<common::CoreCase> = OnceLock::new();

fn node22() -> &'static common::CoreCase {
    NODE22.get_or_init(|| common::core("22", "abort"))
}

#[test]
fn dollar_c_lists_frame_pointers_functions_and_trust() {
    let mut s = session(node22());
    let out = run(&mut s, "$C", &[], None, false).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].contains("libc.so.6`__pthread_kill_implementation+0x") && lines[0].ends_with("[context]"),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.contains("node`node::Abort+0x") && l.ends_with("[cfi]")), "{out}");
    assert!(
        lines.iter().any(|l| l.contains("node`Builtins_InterpreterEntryTrampoline+0x") && l.ends_with("[fp]")),
        "{out}"
    );
    assert!(lines.last().is_some_and(|l| l.contains("node`_start")), "{out}");
    for l in &lines {
        let fp = l.split(' ').next().unwrap_or("");
        assert_eq!(fp.len(), 16, "{l}");
    }
    // Piped: the frame pointers alone, which ::walk frame also yields.
    let piped = run(&mut s, "$C", &[], None, true).unwrap();
    assert!(piped.lines().all(|l| u64::from_str_radix(l, 16).is_ok()), "{piped}");
    let walked = (s.registry.walker("frame").unwrap().walk)(&mut s, None).unwrap();
    let piped_fps: Vec<u64> = piped.lines().map(|l| u64::from_str_radix(l, 16).unwrap()).collect();
    assert_eq!(walked, piped_fps);
    // addr$C starts at the frame with that frame pointer.
    let fp = walked[6];
    let from = run(&mut s, "$C", &[], Some(fp), false).unwrap();
    assert!(from.lines().next().unwrap().starts_with(&format!("{fp:016x}")), "{from}");
    assert_eq!(from.lines().last(), lines.last().copied());
}

#[test]
fn dollar_c_and_stack_verbose() {
    let mut s = session(node22());
    let plain = run(&mut s, "$c", &[], None, false).unwrap();
    let first: Vec<&str> = plain.lines().take(4).collect();
    assert!(first[0].starts_with("libc.so.6`__pthread_kill_implementation+0x"), "{plain}");
    assert!(first[1].starts_with("libc.so.6`raise+0x"), "{plain}");
    assert!(first[2].starts_with("libc.so.6`abort+0x"), "{plain}");
    assert!(first[3].starts_with("node`node::Abort+0x"), "{plain}");
    let stack = run(&mut s, "stack", &[], None, false).unwrap();
    assert!(stack.starts_with(&plain), "{stack}");
    assert!(stack.lines().last().unwrap().starts_with("-- reached the outermost frame"), "{stack}");
    let v = run(&mut s, "stack", &["-v"], None, false).unwrap();
    let lines: Vec<&str> = v.lines().collect();
    assert!(lines[0].contains("PC") && lines[0].contains("TRUST"), "{v}");
    assert!(lines[1].trim_start().starts_with("0  ") && lines[1].contains(" context "), "{v}");
    assert!(lines.last().unwrap().starts_with("-- "), "{v}");
    // Piped: pcs.
    let pcs = run(&mut s, "stack", &[], None, true).unwrap();
    let pc0 = u64::from_str_radix(pcs.lines().next().unwrap(), 16).unwrap();
    assert_eq!(pc0, s.target.as_ref().unwrap().threads[0].regs.rip());
    // Limits and errors.
    let short = run(&mut s, "stack", &["-n", "3"], None, false).unwrap();
    assert_eq!(short.lines().count(), 4, "{short}");
    assert!(short.contains("frame limit"), "{short}");
    assert!(run(&mut s, "stack", &["-n", "x"], None, false).is_err());
    assert!(run(&mut s, "stack", &["-t", "9999999"], None, false).is_err());
}

#[test]
fn threads_and_thread_selection() {
    let c = node22();
    let mut s = session(c);
    let out = run(&mut s, "threads", &[], None, false).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), c.threads as usize + 1, "{out}");
    let t = s.target.as_ref().unwrap();
    let sig = t.signalled_thread();
    let tid1 = t.threads[1].tid;
    let marked: Vec<&&str> = lines.iter().filter(|l| l.contains("<- signal SIGABRT")).collect();
    assert_eq!(marked.len(), 1, "{out}");
    assert!(marked[0].starts_with('*'), "the signalled thread is selected at open: {out}");
    assert!(lines[sig + 1].contains("__pthread_kill_implementation"), "{out}");
    // Select by number, then by tid.
    let sel = run(&mut s, "thread", &["2"], None, false).unwrap();
    assert!(sel.contains(&tid1.to_string()), "{sel}");
    assert_eq!(s.thread, 1);
    let again = run(&mut s, "threads", &[], None, false).unwrap();
    assert!(again.lines().nth(2).unwrap().starts_with('*'), "{again}");
    let tid0 = t_tid(&s, 0).to_string();
    run(&mut s, "thread", &[&tid0], None, false).unwrap();
    assert_eq!(s.thread, 0);
    run(&mut s, "thread", &[], Some(u64::from(tid1)), false).unwrap();
    assert_eq!(s.thread, 1);
    // $c follows the selection.
    let c1 = run(&mut s, "$c", &[], None, false).unwrap();
    assert!(c1.lines().last().unwrap().contains("clone3"), "{c1}");
    // The thread walker yields tids.
    let tids = (s.registry.walker("thread").unwrap().walk)(&mut s, None).unwrap();
    assert_eq!(tids.len(), c.threads as usize);
    assert_eq!(tids[1], u64::from(tid1));
    assert!(run(&mut s, "thread", &["0"], None, false).is_err());
    // -a: every thread, each with its header.
    let all = run(&mut s, "stack", &["-a"], None, false).unwrap();
    assert_eq!(all.lines().filter(|l| l.starts_with("thread ")).count(), c.threads as usize, "{all}");
}

fn t_tid(s: &Session, i: usize) -> u32 {
    s.target.as_ref().unwrap().threads[i].tid
}

#[test]
fn regs_in_mdb_layout() {
    let mut s = session(node22());
    let out = run(&mut s, "$r", &[], None, false).unwrap();
    let t = s.target.as_ref().unwrap();
    let r = t.threads[t.signalled_thread()].regs;
    assert!(
        out.starts_with(&format!(
            "%rax = 0x{:016x}       %r8  = 0x{:016x}",
            r.get("rax").unwrap(),
            r.get("r8").unwrap()
        )),
        "{out}"
    );
    assert!(out.contains(&format!("%rip = 0x{:016x} libc.so.6`__pthread_kill_implementation+0x", r.rip())), "{out}");
    assert!(out.contains(&format!("%rsp = 0x{:016x}", r.rsp())), "{out}");
    assert!(out.contains("status=<"), "{out}");
    assert_eq!(out, run(&mut s, "regs", &[], None, false).unwrap());
    // Frame 3 (node::Abort): rip and rsp recovered, rax not.
    let f3 = run(&mut s, "regs", &["-f", "3"], None, false).unwrap();
    assert!(f3.starts_with("frame 3: node`node::Abort+0x"), "{f3}");
    assert!(f3.contains("%rax = ?"), "{f3}");
    assert!(run(&mut s, "regs", &["-f", "100000"], None, false).is_err());
}

#[test]
fn normalisation_of_gdb_names() {
    assert_eq!(normalize("__GI_raise"), "raise");
    assert_eq!(normalize("___pthread_cond_wait"), "pthread_cond_wait");
    assert_eq!(normalize("pthread_cond_wait@@GLIBC_2.3.2"), "pthread_cond_wait");
    assert_eq!(normalize("__new_sem_wait_slow64.constprop.0"), "new_sem_wait_slow64");
    assert_eq!(normalize("node::Abort(v8::FunctionCallbackInfo<v8::Value> const&)"), "node::Abort");
    assert_eq!(
        normalize(
            "v8::internal::MaybeHandle<v8::internal::Object> v8::internal::(anonymous namespace)::HandleApiCallHelper<false>(v8::internal::Isolate*, int)"
        ),
        "v8::internal::(anonymous namespace)::HandleApiCallHelper<false>"
    );
    assert_eq!(
        normalize("node::WorkerThreadsTaskRunner::DelayedTaskScheduler::Start()::{lambda(void*)#1}::_FUN(void*)"),
        "node::WorkerThreadsTaskRunner::DelayedTaskScheduler::Start()::{lambda(void*)#1}::_FUN"
    );
    assert_eq!(
        function_name("node::Abort(v8::FunctionCallbackInfo<v8::Value> const&) ()"),
        "node::Abort(v8::FunctionCallbackInfo<v8::Value> const&)"
    );
    assert_eq!(function_name("__GI_raise (sig=sig@entry=6) at ../sysdeps/posix/raise.c:26"), "__GI_raise");
}
