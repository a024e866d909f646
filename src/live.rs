//! A live process, attached read-only with ptrace.
//!
//! [`LiveProcess::attach`] seizes every thread (`PTRACE_SEIZE`, then
//! `PTRACE_INTERRUPT`: no signal is sent, so nothing is left pending and the
//! process's job-control state is untouched) and waits until each is
//! stopped. While stopped, registers come from `PTRACE_GETREGS` and memory
//! from `pread` on `/proc/PID/mem`; [`LiveProcess::snapshot`] describes the
//! process the way a core's headers would (mappings from `/proc/PID/maps`,
//! `/proc/PID/auxv`, `/proc/PID/stat` and `status` for the `NT_PRPSINFO`
//! facts), so [`crate::target::Target`] treats a core and a live process
//! alike. Dropping the `LiveProcess` detaches every thread, which lets the
//! process run on (also on early returns and panics; if jmdb is killed, the
//! kernel detaches for it).
//!
//! # Sampling (for a profiler)
//!
//! A sampler opens the target once with [`crate::target::Target::attach`]
//! (which builds symbol tables and the unwinder's CFI index lazily, once),
//! then loops:
//!
//! ```text
//! target.resume()?;            // PTRACE_CONT every thread
//! sleep(interval);
//! target.stop()?;              // PTRACE_INTERRUPT every thread, fresh registers,
//!                              // mappings re-read only if /proc/PID/maps changed,
//!                              // memory caches dropped
//! for th in &target.threads { unwind::... }   // read through `Memory` as usual
//! ```
//!
//! Modules already known keep their symbol tables across samples; only new
//! mappings (a `dlopen`, new JIT code) are looked at again. ptrace requests
//! must come from the OS thread that attached (the kernel ties a tracee to
//! that thread); memory reads may come from any thread.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::arch::x86_64::Regs;
use crate::corefile::{CoreFile, CoreKind, CoreThread, FileMapping, LoadSegment, PsInfo};
use crate::error::{AttachError, MemError};

/// How long a thread may take to reach its ptrace stop (a thread in an
/// uninterruptible sleep stops only when the sleep ends).
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// One mapping, as `/proc/PID/maps` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapsEntry {
    pub start: u64,
    pub end: u64,
    /// `rwxp` / `rwxs`.
    pub perms: String,
    pub offset: u64,
    pub inode: u64,
    /// File path, or `[heap]`, `[stack]`, `[vdso]`..., or empty.
    pub path: String,
}

impl MapsEntry {
    pub fn readable(&self) -> bool {
        self.perms.starts_with('r')
    }
    pub fn writable(&self) -> bool {
        self.perms.as_bytes().get(1) == Some(&b'w')
    }
    /// Backed by a file (the kernel's `vma->vm_file`): it has an inode.
    pub fn file_backed(&self) -> bool {
        self.inode != 0
    }
    /// ELF `p_flags` for these permissions.
    pub fn elf_flags(&self) -> u32 {
        let b = self.perms.as_bytes();
        let mut f = 0;
        if b.first() == Some(&b'r') {
            f |= object::elf::PF_R.0;
        }
        if b.get(1) == Some(&b'w') {
            f |= object::elf::PF_W.0;
        }
        if b.get(2) == Some(&b'x') {
            f |= object::elf::PF_X.0;
        }
        f
    }
}

/// Parse `/proc/PID/maps` text.
pub fn parse_maps(text: &str) -> Vec<MapsEntry> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut it = line.splitn(6, ' ');
        let (Some(range), Some(perms), Some(off), Some(_dev), Some(inode)) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            continue;
        };
        let Some((s, e)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end), Ok(offset), Ok(inode)) =
            (u64::from_str_radix(s, 16), u64::from_str_radix(e, 16), u64::from_str_radix(off, 16), inode.parse())
        else {
            continue;
        };
        let path = it.next().unwrap_or("").trim_start().to_string();
        out.push(MapsEntry { start, end, perms: perms.to_string(), offset, inode, path });
    }
    out
}

/// A thread held in a ptrace stop.
#[derive(Debug, Clone)]
pub struct LiveThread {
    pub tid: u32,
    pub regs: Regs,
}

/// An attached process. See the module docs.
pub struct LiveProcess {
    pid: u32,
    mem: File,
    /// Stopped threads, the main thread (tid == pid) first.
    threads: Vec<LiveThread>,
    /// Every thread we seized and have not detached from.
    traced: Vec<u32>,
    /// Threads in a ptrace stop now, with the signal to re-deliver.
    held: HashMap<u32, Option<Signal>>,
    maps_text: String,
    /// Seized with `PTRACE_O_TRACECLONE`: new threads are traced from
    /// birth (see [`LiveProcess::attach_following`]).
    follow: bool,
    /// The fatal signal [`LiveProcess::run_until_fatal`] stopped at.
    fatal: Option<FatalSignal>,
}

/// A signal that would have killed the process, held at its
/// signal-delivery stop.
#[derive(Debug, Clone)]
pub struct FatalSignal {
    pub tid: u32,
    pub signo: i32,
    /// The raw `siginfo_t` (128 bytes, what `NT_SIGINFO` holds).
    pub siginfo: Vec<u8>,
}

/// How [`LiveProcess::run_until_fatal`] ended.
#[derive(Debug, Clone)]
pub enum RunEnd {
    /// Stopped at a fatal signal (see [`LiveProcess::fatal_signal`]).
    Fatal,
    /// The process exited (or was killed by a signal that did not stop,
    /// like SIGKILL), as described.
    Exited(String),
    /// The deadline passed; the process is stopped.
    Timeout,
}

/// Signals whose default action dumps core (signal(7), "Core").
pub fn dumps_core(sig: Signal) -> bool {
    use Signal::*;
    matches!(sig, SIGABRT | SIGBUS | SIGFPE | SIGILL | SIGQUIT | SIGSEGV | SIGSYS | SIGTRAP | SIGXCPU | SIGXFSZ)
}

fn proc_read(pid: u32, what: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/{what}"))
}

/// Why a seize failed, in words that say how to fix it.
fn seize_error(pid: u32, e: Errno) -> AttachError {
    match e {
        Errno::ESRCH => AttachError::NoProcess { pid },
        Errno::EPERM => {
            let tracer = status_field(pid, "TracerPid").and_then(|v| v.parse::<u32>().ok()).filter(|&t| t != 0);
            let why = if let Some(t) = tracer {
                let name = std::fs::read_to_string(format!("/proc/{t}/comm")).unwrap_or_default();
                format!("it is already traced by pid {t} ({}); detach that debugger first", name.trim())
            } else {
                let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok();
                match scope.as_deref().map(str::trim) {
                    Some(s) if s != "0" => format!(
                        "/proc/sys/kernel/yama/ptrace_scope is {s}: only a parent may trace its child; run as root \
                         (or with CAP_SYS_PTRACE), or `echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope`"
                    ),
                    _ => "ptrace is not permitted: the process belongs to another user, or a seccomp/container policy \
                          forbids ptrace (docker: --cap-add=SYS_PTRACE); run as its owner or as root"
                        .into(),
                }
            };
            AttachError::Permission { pid, why }
        }
        e => AttachError::Ptrace { pid, msg: e.desc().to_string() },
    }
}

fn status_field(pid: u32, key: &str) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(|v| v.trim().to_string()))
}

fn tids(pid: u32) -> Result<Vec<u32>, AttachError> {
    let rd = std::fs::read_dir(format!("/proc/{pid}/task")).map_err(|_| AttachError::NoProcess { pid })?;
    let mut v: Vec<u32> = rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    v.sort_by_key(|&t| (t != pid, t));
    Ok(v)
}

fn regs_of(tid: u32) -> Result<Regs, Errno> {
    let r = ptrace::getregs(Pid::from_raw(tid as i32))?;
    Ok(Regs {
        user: [
            r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx, r.rsi, r.rdi,
            r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs,
        ],
    })
}

impl LiveProcess {
    /// Seize and stop every thread of `pid`, and open its memory.
    pub fn attach(pid: u32) -> Result<LiveProcess, AttachError> {
        LiveProcess::attach_with(pid, false)
    }

    /// As [`LiveProcess::attach`], but every thread is seized with
    /// `PTRACE_O_TRACECLONE` (threads it creates are traced from birth, so
    /// a signal sent to any of them stops first at jmdb) and
    /// `PTRACE_O_EXITKILL` (the process dies if jmdb does). For a process
    /// jmdb started and watches with [`LiveProcess::run_until_fatal`].
    pub fn attach_following(pid: u32) -> Result<LiveProcess, AttachError> {
        LiveProcess::attach_with(pid, true)
    }

    fn attach_with(pid: u32, follow: bool) -> Result<LiveProcess, AttachError> {
        if pid == 0 || pid > i32::MAX as u32 {
            return Err(AttachError::NoProcess { pid });
        }
        if pid == std::process::id() {
            return Err(AttachError::Ptrace { pid, msg: "that is jmdb itself".into() });
        }
        let stat = proc_read(pid, "stat").map_err(|_| AttachError::NoProcess { pid })?;
        if proc_stat_state(&stat) == Some('Z') {
            return Err(AttachError::Zombie { pid });
        }
        let mut p = LiveProcess {
            pid,
            // Opened after the seize below: a tracer may always read.
            mem: File::open("/dev/null").map_err(|e| AttachError::Ptrace { pid, msg: e.to_string() })?,
            threads: Vec::new(),
            traced: Vec::new(),
            held: HashMap::new(),
            maps_text: String::new(),
            follow,
            fatal: None,
        };
        p.stop()?;
        p.mem = File::open(format!("/proc/{pid}/mem")).map_err(|e| AttachError::Ptrace {
            pid,
            msg: format!("cannot open /proc/{pid}/mem: {e}"),
        })?;
        Ok(p)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }
    pub fn threads(&self) -> &[LiveThread] {
        &self.threads
    }
    pub fn is_stopped(&self) -> bool {
        !self.held.is_empty()
    }

    /// Stop every thread (seizing threads created since the last stop) and
    /// read their registers. Repeats the listing of `/proc/PID/task` until
    /// no new thread appears, since a running thread may spawn one.
    pub fn stop(&mut self) -> Result<(), AttachError> {
        let pid = self.pid;
        for _round in 0..100 {
            let all = tids(pid)?;
            let new: Vec<u32> = all.iter().copied().filter(|t| !self.held.contains_key(t)).collect();
            if new.is_empty() {
                break;
            }
            // Interrupt them all first, then collect the stops: the
            // threads stop in parallel rather than one after another.
            let mut interrupted = Vec::with_capacity(new.len());
            for tid in new {
                let p = Pid::from_raw(tid as i32);
                if !self.traced.contains(&tid) {
                    let opts = if self.follow {
                        ptrace::Options::PTRACE_O_TRACECLONE | ptrace::Options::PTRACE_O_EXITKILL
                    } else {
                        ptrace::Options::empty()
                    };
                    match ptrace::seize(p, opts) {
                        Ok(()) => self.traced.push(tid),
                        // The thread exited between listing and seizing.
                        Err(Errno::ESRCH) if tid != pid => continue,
                        // Born traced (PTRACE_O_TRACECLONE): already ours.
                        Err(Errno::EPERM) if self.follow && self.traced.contains(&pid) => self.traced.push(tid),
                        Err(e) => return Err(seize_error(pid, e)),
                    }
                }
                match ptrace::interrupt(p) {
                    Ok(()) => {}
                    Err(Errno::ESRCH) => {
                        self.reap(tid);
                        continue;
                    }
                    Err(e) => return Err(AttachError::Ptrace { pid, msg: format!("interrupt thread {tid}: {}", e.desc()) }),
                }
                interrupted.push(tid);
            }
            for tid in interrupted {
                match wait_stop(tid)? {
                    Some(sig) => {
                        self.held.insert(tid, sig);
                    }
                    None => self.traced.retain(|&t| t != tid),
                }
            }
        }
        // Threads that exited while running.
        let gone: Vec<u32> = self.traced.iter().copied().filter(|t| !self.held.contains_key(t)).collect();
        for t in gone {
            self.reap(t);
        }
        if self.held.is_empty() {
            return Err(AttachError::NoProcess { pid });
        }
        let mut threads = Vec::new();
        for tid in tids(pid)? {
            if !self.held.contains_key(&tid) {
                continue;
            }
            match regs_of(tid) {
                Ok(regs) => threads.push(LiveThread { tid, regs }),
                Err(Errno::ESRCH) => {}
                Err(e) => return Err(AttachError::Ptrace { pid, msg: format!("registers of thread {tid}: {}", e.desc()) }),
            }
        }
        self.threads = threads;
        Ok(())
    }

    /// The fatal signal the process is held at, if
    /// [`LiveProcess::run_until_fatal`] stopped at one.
    pub fn fatal_signal(&self) -> Option<&FatalSignal> {
        self.fatal.as_ref()
    }

    /// Let the process run until a thread is about to receive a signal
    /// whose default action dumps core ([`dumps_core`]; a handler the
    /// program installed does not matter: the signal-delivery stop comes
    /// first), or it exits, or `deadline` passes. Other signals are
    /// passed on. At a fatal signal every thread is stopped and the
    /// signal is kept: it is delivered when the process is resumed or
    /// detached, so the process then dies of it. Needs
    /// [`LiveProcess::attach_following`], or threads born while running
    /// would not be seen.
    pub fn run_until_fatal(&mut self, deadline: Instant) -> Result<RunEnd, AttachError> {
        let pid = self.pid;
        self.resume()?;
        let fail = |msg: String| AttachError::Ptrace { pid, msg };
        loop {
            let st = match waitpid(None, Some(WaitPidFlag::__WALL | WaitPidFlag::WNOHANG)) {
                Ok(st) => st,
                Err(Errno::EINTR) => continue,
                Err(Errno::ECHILD) => return Ok(RunEnd::Exited("no traced thread is left".into())),
                Err(e) => return Err(fail(format!("waiting for the process: {}", e.desc()))),
            };
            match st {
                WaitStatus::StillAlive => {
                    if Instant::now() > deadline {
                        self.stop()?;
                        return Ok(RunEnd::Timeout);
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                WaitStatus::Exited(p, code) => {
                    self.traced.retain(|&t| t != p.as_raw() as u32);
                    if p.as_raw() as u32 == pid {
                        return Ok(RunEnd::Exited(format!("it exited with status {code}")));
                    }
                }
                WaitStatus::Signaled(p, sig, _) => {
                    self.traced.retain(|&t| t != p.as_raw() as u32);
                    if p.as_raw() as u32 == pid {
                        return Ok(RunEnd::Exited(format!("it was killed by {sig}")));
                    }
                }
                WaitStatus::PtraceEvent(p, _, ev) => {
                    let tid = p.as_raw() as u32;
                    if ev == ptrace::Event::PTRACE_EVENT_CLONE as i32
                        && let Ok(new) = ptrace::getevent(p)
                        && !self.traced.contains(&(new as u32))
                    {
                        self.traced.push(new as u32);
                    }
                    if !self.traced.contains(&tid) {
                        self.traced.push(tid);
                    }
                    // Clone events, a new thread's first stop, group stops.
                    let _ = ptrace::cont(p, None);
                }
                WaitStatus::Stopped(p, sig) => {
                    let tid = p.as_raw() as u32;
                    if !self.traced.contains(&tid) {
                        self.traced.push(tid);
                    }
                    if dumps_core(sig) {
                        let si = ptrace::getsiginfo(p).map_err(|e| fail(format!("siginfo of thread {tid}: {}", e.desc())))?;
                        // SAFETY: siginfo_t is plain data, 128 bytes on Linux.
                        let raw = unsafe {
                            std::slice::from_raw_parts(&si as *const _ as *const u8, std::mem::size_of_val(&si))
                        };
                        self.fatal = Some(FatalSignal { tid, signo: sig as i32, siginfo: raw.to_vec() });
                        self.held.insert(tid, Some(sig));
                        self.stop()?;
                        return Ok(RunEnd::Fatal);
                    }
                    let _ = ptrace::cont(p, Some(sig));
                }
                _ => {
                    if let Some(p) = st.pid() {
                        let _ = ptrace::cont(p, None);
                    }
                }
            }
        }
    }

    /// Let every thread run again (still traced).
    pub fn resume(&mut self) -> Result<(), AttachError> {
        for (tid, sig) in std::mem::take(&mut self.held) {
            match ptrace::cont(Pid::from_raw(tid as i32), sig) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(e) => return Err(AttachError::Ptrace { pid: self.pid, msg: format!("resume thread {tid}: {}", e.desc()) }),
            }
        }
        Ok(())
    }

    /// Detach from every thread; the process runs on as if never touched.
    pub fn detach(&mut self) {
        // A thread handed a fatal signal goes last: once it runs, the
        // whole process dies, and threads still traced then would linger
        // as zombies until jmdb reaps them.
        let mut order = self.traced.clone();
        order.sort_by_key(|t| self.held.get(t).copied().flatten().is_some());
        for &tid in &order {
            // PTRACE_DETACH needs a stopped tracee.
            if let std::collections::hash_map::Entry::Vacant(e) = self.held.entry(tid) {
                let _ = ptrace::interrupt(Pid::from_raw(tid as i32));
                if let Ok(Some(sig)) = wait_stop(tid) {
                    e.insert(sig);
                }
            }
            let sig = self.held.get(&tid).copied().flatten();
            let _ = ptrace::detach(Pid::from_raw(tid as i32), sig);
        }
        self.traced.clear();
        self.held.clear();
        self.threads.clear();
    }

    /// Collect a traced thread that exited.
    fn reap(&mut self, tid: u32) {
        let _ = waitpid(Pid::from_raw(tid as i32), Some(WaitPidFlag::__WALL | WaitPidFlag::WNOHANG));
        self.traced.retain(|&t| t != tid);
    }

    /// Read target memory. Only meaningful while stopped.
    pub fn read_at(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr + done as u64;
            match self.mem.read_at(&mut buf[done..], a) {
                Ok(0) => return Err(MemError::Unreadable { addr: a, what: "end of process memory".into() }),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(MemError::Unreadable { addr: a, what: e.to_string() }),
            }
        }
        Ok(())
    }

    /// The FPU/SSE state of a stopped thread (`user_fpregs_struct`, 512
    /// bytes, as `NT_FPREGSET` holds it).
    pub fn fpregs(&self, tid: u32) -> Option<Vec<u8>> {
        let f = ptrace::getregset::<ptrace::regset::NT_PRFPREG>(Pid::from_raw(tid as i32)).ok()?;
        let mut b = Vec::with_capacity(512);
        for v in [f.cwd, f.swd, f.ftw, f.fop] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&f.rip.to_le_bytes());
        b.extend_from_slice(&f.rdp.to_le_bytes());
        b.extend_from_slice(&f.mxcsr.to_le_bytes());
        b.extend_from_slice(&f.mxcr_mask.to_le_bytes());
        for v in f.st_space.iter().chain(f.xmm_space.iter()) {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.resize(512, 0);
        Some(b)
    }

    /// Re-read `/proc/PID/maps`; true if it changed since the last call.
    pub fn maps_changed(&mut self) -> bool {
        let text = proc_read(self.pid, "maps").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        if text == self.maps_text {
            return false;
        }
        self.maps_text = text;
        true
    }

    pub fn maps(&self) -> Vec<MapsEntry> {
        parse_maps(&self.maps_text)
    }

    /// Per mapping start, from `/proc/PID/smaps`: whether it has private
    /// anonymous pages (file pages written to, or copied on write: the
    /// kernel's `vma->anon_vma`), and its `VmFlags` words (`dd`: do not
    /// dump, `io`: device memory).
    pub fn smaps(&self) -> HashMap<u64, (bool, Vec<String>)> {
        let text = proc_read(self.pid, "smaps").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let mut out = HashMap::new();
        let mut cur: Option<u64> = None;
        for line in text.lines() {
            // A mapping's header line starts "start-end perms"; field lines
            // start "Name:".
            let first = line.split_whitespace().next().unwrap_or("");
            if !first.ends_with(':')
                && let Some(start) = first.split_once('-').and_then(|(a, _)| u64::from_str_radix(a, 16).ok())
            {
                cur = Some(start);
                out.insert(start, (false, Vec::new()));
                continue;
            }
            let Some(e) = cur.and_then(|c| out.get_mut(&c)) else { continue };
            if let Some(v) = line.strip_prefix("Anonymous:") {
                e.0 = v.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap_or(0) > 0;
            } else if let Some(v) = line.strip_prefix("VmFlags:") {
                e.1 = v.split_whitespace().map(str::to_string).collect();
            }
        }
        out
    }

    /// The raw `/proc/PID/auxv` (what `NT_AUXV` holds).
    pub fn auxv_bytes(&self) -> Vec<u8> {
        proc_read(self.pid, "auxv").unwrap_or_default()
    }

    /// The process described as a core's headers would describe it.
    pub fn snapshot(&mut self) -> Result<CoreFile, AttachError> {
        self.maps_changed();
        let maps = self.maps();
        if maps.is_empty() {
            return Err(AttachError::Ptrace { pid: self.pid, msg: format!("cannot read /proc/{}/maps", self.pid) });
        }
        let mut segments = Vec::new();
        let mut files = Vec::new();
        for m in &maps {
            // A mapping is "in the image" when its first bytes can be read
            // ([vvar] and [vsyscall] cannot be, as in a kernel core).
            let readable = m.readable() && self.read_at(m.start, &mut [0u8; 8]).is_ok();
            let size = if readable { m.end - m.start } else { 0 };
            segments.push(LoadSegment {
                vaddr: m.start,
                memsz: m.end - m.start,
                offset: 0,
                filesz: size,
                present: size,
                flags: m.elf_flags(),
            });
            if m.file_backed() {
                files.push(FileMapping { start: m.start, end: m.end, file_offset: m.offset, path: m.path.clone() });
            }
        }
        let auxv = self
            .auxv_bytes()
            .chunks_exact(16)
            .map(|c| (u64::from_le_bytes(c[..8].try_into().unwrap_or([0; 8])), u64::from_le_bytes(c[8..].try_into().unwrap_or([0; 8]))))
            .take_while(|(k, _)| *k != 0)
            .collect();
        Ok(CoreFile {
            kind: CoreKind::Live,
            segments,
            files,
            page_size: 4096,
            threads: self.core_threads(),
            psinfo: self.psinfo(),
            siginfo: self.fatal.as_ref().and_then(|f| crate::corefile::SigInfo::parse(&f.siginfo)),
            auxv,
            warnings: Vec::new(),
            file_len: 0,
        })
    }

    /// The threads as a core lists them: the thread held at a fatal
    /// signal carries it (`cursig`), which makes it the signalled thread.
    pub fn core_threads(&self) -> Vec<CoreThread> {
        let fatal = self.fatal.as_ref();
        self.threads
            .iter()
            .map(|t| CoreThread {
                tid: t.tid,
                cursig: fatal.filter(|f| f.tid == t.tid).map(|f| f.signo).unwrap_or(0),
                regs: t.regs,
            })
            .collect()
    }

    /// `NT_PRPSINFO`'s facts, from `/proc/PID/{stat,status,cmdline}`.
    pub fn psinfo(&self) -> Option<PsInfo> {
        let stat = proc_read(self.pid, "stat").ok()?;
        let stat = String::from_utf8_lossy(&stat);
        // "pid (comm) state ppid ...": comm may hold spaces and parens.
        let close = stat.rfind(')')?;
        let fname = stat[stat.find('(')? + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let _state = rest.next()?;
        let ppid = rest.next()?.parse().ok()?;
        let id = |k: &str| status_field(self.pid, k).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0);
        let cmdline = proc_read(self.pid, "cmdline").unwrap_or_default();
        // The kernel keeps 80 bytes (ELF_PRARGSZ - 1), NULs as spaces.
        let args: Vec<u8> = cmdline.iter().take(79).map(|&c| if c == 0 { b' ' } else { c }).collect();
        Some(PsInfo {
            pid: self.pid,
            ppid,
            uid: id("Uid"),
            gid: id("Gid"),
            fname,
            psargs: String::from_utf8_lossy(&args).trim_end().to_string(),
        })
    }

    /// `/proc/PID/stat` fields the core notes carry: (state char, ppid,
    /// pgrp, session, utime, stime) with times in clock ticks.
    pub fn stat_fields(&self) -> Option<(char, u32, u32, u32, u64, u64)> {
        let stat = proc_read(self.pid, "stat").ok()?;
        let stat = String::from_utf8_lossy(&stat);
        let close = stat.rfind(')')?;
        let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        Some((
            f.first()?.chars().next()?,
            f.get(1)?.parse().ok()?,
            f.get(2)?.parse().ok()?,
            f.get(3)?.parse().ok()?,
            f.get(11)?.parse().ok()?,
            f.get(12)?.parse().ok()?,
        ))
    }
}

impl Drop for LiveProcess {
    fn drop(&mut self) {
        self.detach();
    }
}

fn proc_stat_state(stat: &[u8]) -> Option<char> {
    let s = String::from_utf8_lossy(stat);
    s[s.rfind(')')? + 1..].split_whitespace().next()?.chars().next()
}

/// Wait until `tid` reports a ptrace stop. Returns the signal it stopped
/// with if that is a signal to re-deliver, or None (outer) if it exited.
fn wait_stop(tid: u32) -> Result<Option<Option<Signal>>, AttachError> {
    let p = Pid::from_raw(tid as i32);
    let t0 = Instant::now();
    // Most stops arrive within microseconds: poll fast at first, then back
    // off (a profiler stops the process many times a second).
    let mut nap = Duration::from_micros(5);
    loop {
        match waitpid(p, Some(WaitPidFlag::__WALL | WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {
                if t0.elapsed() > STOP_TIMEOUT {
                    return Err(AttachError::Ptrace {
                        pid: tid,
                        msg: format!("thread {tid} did not stop within {}s (uninterruptible sleep?)", STOP_TIMEOUT.as_secs()),
                    });
                }
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_micros(500));
            }
            // PTRACE_INTERRUPT's stop (or a group stop): nothing to re-deliver.
            Ok(WaitStatus::PtraceEvent(..)) => return Ok(Some(None)),
            // A signal arrived first: the thread is stopped, and the signal
            // is handed back when it runs again.
            Ok(WaitStatus::Stopped(_, sig)) => {
                return Ok(Some(if sig == Signal::SIGSTOP || sig == Signal::SIGTRAP { None } else { Some(sig) }));
            }
            Ok(WaitStatus::Exited(..)) | Ok(WaitStatus::Signaled(..)) | Err(Errno::ECHILD) => return Ok(None),
            Ok(_) => return Ok(Some(None)),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(AttachError::Ptrace { pid: tid, msg: format!("waiting for thread {tid}: {}", e.desc()) }),
        }
    }
}

/// Cached whole blocks of live memory, for the heap scan's zero-copy
/// [`crate::target::Target::core_slice`]: a block is read once on first
/// use and kept until the process runs again.
pub struct BlockCache {
    /// Per segment: its blocks, created on first use.
    blocks: Vec<OnceLock<Box<[Cell]>>>,
    /// Per segment: the whole segment, for ranges that span blocks.
    whole: Vec<Cell>,
}

/// Bytes read once (None: unreadable).
type Cell = OnceLock<Option<Box<[u8]>>>;

/// Block size: V8's page size, so a heap page is one block.
pub const BLOCK: u64 = 256 << 10;
/// Segments larger than this are never read whole.
const MAX_WHOLE: u64 = 1 << 30;

impl BlockCache {
    pub fn new(nsegs: usize) -> BlockCache {
        BlockCache { blocks: (0..nsegs).map(|_| OnceLock::new()).collect(), whole: (0..nsegs).map(|_| OnceLock::new()).collect() }
    }

    /// `len` bytes at `addr` inside segment `i` (`seg`), if readable.
    pub fn slice<'a>(&'a self, p: &LiveProcess, i: usize, seg: &LoadSegment, addr: u64, len: usize) -> Option<&'a [u8]> {
        let end = addr.checked_add(len as u64)?;
        if addr < seg.vaddr || end > seg.vaddr + seg.filesz {
            return None;
        }
        let b0 = addr / BLOCK;
        if (end.max(1) - 1) / BLOCK == b0 || len == 0 {
            let first = seg.vaddr / BLOCK;
            let nblocks = ((seg.vaddr + seg.filesz - 1) / BLOCK - first + 1) as usize;
            let blocks = self.blocks.get(i)?.get_or_init(|| (0..nblocks).map(|_| OnceLock::new()).collect());
            let cell = blocks.get((b0 - first) as usize)?;
            let lo = (b0 * BLOCK).max(seg.vaddr);
            let hi = ((b0 + 1) * BLOCK).min(seg.vaddr + seg.filesz);
            let data = cell.get_or_init(|| read_owned(p, lo, hi)).as_deref()?;
            return data.get((addr - lo) as usize..(end - lo) as usize);
        }
        if seg.filesz > MAX_WHOLE {
            return None;
        }
        let data = self.whole.get(i)?.get_or_init(|| read_owned(p, seg.vaddr, seg.vaddr + seg.filesz)).as_deref()?;
        data.get((addr - seg.vaddr) as usize..(end - seg.vaddr) as usize)
    }
}

fn read_owned(p: &LiveProcess, lo: u64, hi: u64) -> Option<Box<[u8]>> {
    let mut v = vec![0u8; (hi - lo) as usize];
    p.read_at(lo, &mut v).ok()?;
    Some(v.into_boxed_slice())
}
