//! A sampling profiler for live Node.js processes: stop, walk, resume.
//!
//! [`run`] stops the process ([`Target::stop`]) at a fixed rate, walks the
//! stack of the main thread (or of every thread), names each frame as
//! `::jsstack` does, lets the process run again ([`Target::resume`]) and
//! counts identical stacks. What it collects is written as folded stacks
//! ([`Profile::write_folded`]: root first, `;`-joined, then a count, the
//! format Brendan Gregg's flame graph tools read) and as an SVG flame graph
//! ([`Profile::write_flamegraph`], drawn by the `inferno` crate).
//!
//! Frame names: a JavaScript frame is `name (file)`, the name node prints
//! in its own stack traces (`Widget.spin`), inlined functions included as
//! frames of their own; a native frame is `module`symbol` (no offset:
//! samples in one function add up); JIT code that does not decode is
//! `[JIT]`, code without a symbol `module`[unknown]`. V8's internal frames
//! (entry, exit, stub frames), hidden by `::jsstack`, are left out.
//!
//! Cost per sample: the symbol tables and the unwinder's CFI index are
//! built once and kept across stops (the target re-reads modules only when
//! `/proc/PID/maps` changed); each stop reads the thread's registers and
//! just the stack words and heap objects the walk touches. Naming a JS
//! frame the way node does walks the receiver's prototype chain; that name
//! is cached across stops keyed by (JSFunction, receiver, SharedFunctionInfo
//! addresses, construct call). The caching rule: JIT code, functions and
//! receivers move when the GC compacts, and a moved object has a new
//! address, so a stale key is a miss, never a wrong name; what is decoded
//! from the pc (which Code object, tier, executing position, inlining) is
//! never cached, since code can be replaced or moved between stops. The one
//! inexactness: a receiver that stays put while its prototype chain is
//! changed keeps the first name seen. Nothing here prints.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::AttachError;
use crate::target::Target;
use crate::unwind;
use crate::v8::frames::{self, CodeAt, Kind, V8Frame};
use crate::v8::{Heap, V8};

/// Deepest stack walked per sample.
pub const MAX_FRAMES: usize = 4096;

/// How to sample.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    pub duration: Duration,
    /// Samples per second.
    pub rate: f64,
    /// Every thread (each stack rooted at `[thread name]`), not just the
    /// main thread.
    pub all_threads: bool,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions { duration: Duration::from_secs(5), rate: 99.0, all_threads: false }
    }
}

/// What a profiling run collected.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Folded stack (root first, `;`-joined) -> samples.
    pub stacks: HashMap<String, u64>,
    /// Stops made.
    pub stops: u64,
    /// Stacks counted (one per stop, or one per thread per stop).
    pub samples: u64,
    /// Wall time sampled.
    pub elapsed: Duration,
    /// Time the process spent stopped by the profiler.
    pub stopped: Duration,
    /// Of that, time spent walking and naming stacks.
    pub decoding: Duration,
    /// Why the process stopped being sampled early (it exited...), if it
    /// did.
    pub ended: Option<String>,
}

/// Cached node-style names (see the module docs for the rule).
#[derive(Default)]
struct NameCache {
    js: HashMap<(u64, u64, u64, bool), String>,
}

/// Sample `t` (a live target, stopped) as `opts` says. `stop_flag` ends the
/// run early (Ctrl-C). The target is left stopped.
pub fn run(t: &mut Target, v8: &V8, opts: &ProfileOptions, stop_flag: &AtomicBool) -> Result<Profile, AttachError> {
    let mut prof = Profile::default();
    let mut names = NameCache::default();
    let interval = Duration::from_secs_f64(1.0 / opts.rate.clamp(0.1, 10_000.0));
    let t0 = Instant::now();
    let mut next = t0;
    loop {
        // The target is stopped here: take one sample.
        let s0 = Instant::now();
        prof.stops += 1;
        sample(t, v8, opts, &mut names, &mut prof);
        prof.decoding += s0.elapsed();
        if t0.elapsed() >= opts.duration || stop_flag.load(Ordering::Relaxed) {
            prof.stopped += s0.elapsed();
            break;
        }
        t.resume()?;
        prof.stopped += s0.elapsed();
        next += interval;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            // Sampling costs more than the interval: keep pace, skip the debt.
            next = now;
        }
        let s1 = Instant::now();
        let stopped = t.stop();
        prof.stopped += s1.elapsed();
        match stopped {
            Ok(()) => {}
            Err(AttachError::NoProcess { pid }) => {
                prof.ended = Some(format!("process {pid} exited"));
                break;
            }
            Err(e) => return Err(e),
        }
    }
    prof.elapsed = t0.elapsed();
    Ok(prof)
}

fn thread_name(pid: u32, tid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| tid.to_string())
}

fn sample(t: &Target, v8: &V8, opts: &ProfileOptions, names: &mut NameCache, prof: &mut Profile) {
    let h = Heap::new(t, v8);
    let pid = t.pid().unwrap_or(0);
    let which: Vec<usize> = if opts.all_threads { (0..t.threads.len()).collect() } else { (0..t.threads.len().min(1)).collect() };
    for i in which {
        let st = unwind::unwind(t, &t.threads[i].regs, MAX_FRAMES);
        let decoded = frames::decode_stack(&h, &st.frames);
        let mut leaf_first: Vec<String> = Vec::with_capacity(decoded.len() + 1);
        for (k, f) in decoded.iter().enumerate() {
            if let Some(n) = frame_label(&h, &decoded, k, f, names) {
                leaf_first.push(n);
            }
        }
        if opts.all_threads {
            leaf_first.push(format!("[{}]", thread_name(pid, t.threads[i].tid)));
        }
        if leaf_first.is_empty() {
            leaf_first.push("[no frames]".into());
        }
        leaf_first.reverse();
        *prof.stacks.entry(leaf_first.join(";")).or_default() += 1;
        prof.samples += 1;
    }
}

/// The stack of thread `i` as the profile names its frames, innermost
/// first.
pub fn thread_stack(t: &Target, v8: &V8, i: usize) -> Vec<String> {
    let Some(th) = t.threads.get(i) else { return Vec::new() };
    let h = Heap::new(t, v8);
    let st = unwind::unwind(t, &th.regs, MAX_FRAMES);
    let decoded = frames::decode_stack(&h, &st.frames);
    let mut names = NameCache::default();
    decoded.iter().enumerate().filter_map(|(k, f)| frame_label(&h, &decoded, k, f, &mut names)).collect()
}

/// A frame's name in the profile (None: a V8 internal frame, left out).
fn frame_label(h: &Heap, all: &[V8Frame], k: usize, f: &V8Frame, names: &mut NameCache) -> Option<String> {
    let raw = if let Some(js) = &f.js {
        let construct = frames::is_construct_call(all, k);
        let key = (js.function, js.receiver.unwrap_or(0), js.info.sfi.shared, construct);
        // Inlined frames have no function or receiver of their own: named
        // from their SharedFunctionInfo only, never cached by 0 keys alone.
        let name = if js.function != 0 {
            names.js.entry(key).or_insert_with(|| frames::node_name(h, js, construct)).clone()
        } else {
            frames::node_name(h, js, construct)
        };
        let name = if name.is_empty() { "<anonymous>".to_string() } else { name };
        if js.file.is_empty() { name } else { format!("{name} ({})", js.file) }
    } else {
        match (&f.kind, &f.code) {
            (Kind::Typed(_) | Kind::Unknown(_), CodeAt::Builtin(_)) => return None,
            (Kind::Typed(_), _) => return None,
            (_, CodeAt::Jit) => "[JIT]".into(),
            _ => native_name(h.t, f.frame.lookup_pc()),
        }
    };
    // The folded format's separators cannot appear inside a frame.
    Some(raw.replace(';', ":").replace(['\n', '\r'], " "))
}

/// `module`symbol`, as `$c` names a native frame, without the offset.
fn native_name(t: &Target, lookup: u64) -> String {
    if let Some(s) = t.symbolize(lookup) {
        return format!("{}`{}", s.module, s.name);
    }
    if let Some(loc) = unwind::code_location(t, lookup) {
        let m = loc.module.short_name().to_string();
        return match loc.module.symbols().lookup_addr(loc.file_addr) {
            Some(sym) => format!("{m}`{}", sym.short_name()),
            None => format!("{m}`[unknown]"),
        };
    }
    "[unknown]".into()
}

/// The innermost frame of a folded stack.
fn leaf(stack: &str) -> &str {
    stack.rsplit(';').next().unwrap_or(stack)
}

impl Profile {
    /// Samples per leaf function, most first (ties by name).
    pub fn top_leaves(&self) -> Vec<(String, u64)> {
        let mut m: HashMap<&str, u64> = HashMap::new();
        for (s, &n) in &self.stacks {
            *m.entry(leaf(s)).or_default() += n;
        }
        let mut v: Vec<(String, u64)> = m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// Samples whose stack holds a frame named `name` (a JS function's
    /// name, with or without its file), each sample counted once.
    pub fn samples_in(&self, name: &str) -> u64 {
        let pre = format!("{name} (");
        self.stacks.iter().filter(|(s, _)| s.split(';').any(|f| f == name || f.starts_with(&pre))).map(|(_, &n)| n).sum()
    }

    /// The folded stacks, sorted, one `frame;frame;... count` per line.
    pub fn folded_lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self.stacks.iter().map(|(s, n)| format!("{s} {n}")).collect();
        v.sort();
        v
    }

    pub fn write_folded(&self, w: &mut dyn Write) -> std::io::Result<()> {
        for l in self.folded_lines() {
            writeln!(w, "{l}")?;
        }
        Ok(())
    }

    /// An SVG flame graph of the samples.
    pub fn write_flamegraph(&self, title: &str, w: &mut dyn Write) -> Result<(), String> {
        let lines = self.folded_lines();
        let mut o = inferno::flamegraph::Options::default();
        o.title = title.to_string();
        o.count_name = "samples".into();
        inferno::flamegraph::from_lines(&mut o, lines.iter().map(String::as_str), w).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_and_folded() {
        let mut p = Profile::default();
        p.stacks.insert("main (/a.js);evaluate (/a.js);mutualThreat (/a.js)".into(), 7);
        p.stacks.insert("main (/a.js);evaluate (/a.js)".into(), 3);
        p.stacks.insert("node`uv_run".into(), 1);
        assert_eq!(p.top_leaves()[0], ("mutualThreat (/a.js)".to_string(), 7));
        assert_eq!(p.samples_in("evaluate"), 10);
        assert_eq!(p.folded_lines()[0], "main (/a.js);evaluate (/a.js) 3");
        let mut svg = Vec::new();
        p.write_flamegraph("t", &mut svg).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        assert!(svg.contains("<svg") && svg.contains("mutualThreat"));
    }
}
