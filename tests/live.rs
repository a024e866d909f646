//! Live processes: `jmdb -p PID`, `::gcore` and `jmdb gcore PID`, on a node
//! running testcores/fixtures/spin.js (a JIT-optimized hot loop; it writes
//! its side file, with the JS function names it runs, after warming up).
//! Oracles: the fixture's side file, gdb (`thread apply all bt`),
//! /proc/PID/task, and jmdb's own output on the live process compared with
//! its output on the core it wrote.
//!
//! These need ptrace. Where it is not permitted the tests fail, saying how
//! to allow it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NODE: &str = "/usr/bin/node";

/// A running fixture, killed when dropped.
struct Fixture {
    child: Child,
    pid: u32,
    dir: PathBuf,
    side: String,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Fixture {
    /// Start spin.js and wait for its side file (written after the JIT has
    /// optimized the hot functions).
    fn spin(tag: &str) -> Fixture {
        assert!(
            Path::new(NODE).exists(),
            "{NODE} is missing: install Node.js 20 there (the live tests run the spin fixture with it)"
        );
        let dir = std::env::temp_dir().join(format!("jmdb-live-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let side_path = dir.join("side.json");
        let script = common::repo_dir().join("testcores/fixtures/spin.js");
        let child = Command::new(NODE)
            .arg(&script)
            .env("JMDB_SIDE", &side_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {NODE}: {e}"));
        let pid = child.id();
        let mut f = Fixture { child, pid, dir, side: String::new() };
        let t0 = Instant::now();
        while !side_path.exists() {
            assert!(f.child.try_wait().unwrap().is_none(), "spin.js exited early");
            assert!(t0.elapsed() < Duration::from_secs(30), "spin.js wrote no side file in 30 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        f.side = std::fs::read_to_string(&side_path).unwrap();
        // Let the hot loop settle in its optimized code (the generator
        // signals it ~1.5 s later).
        std::thread::sleep(Duration::from_millis(1000));
        f
    }

    /// A string list from the side file's `expected` object.
    fn side_list(&self, key: &str) -> Vec<String> {
        let at = self.side.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("no {key} in side file"));
        let rest = &self.side[at..];
        let list = &rest[rest.find('[').unwrap() + 1..rest.find(']').unwrap()];
        list.split('"').skip(1).step_by(2).map(str::to_string).collect()
    }

    fn stat(&self) -> (char, u64) {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap();
        let f: Vec<&str> = s[s.rfind(')').unwrap() + 1..].split_whitespace().collect();
        (f[0].chars().next().unwrap(), f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap())
    }

    fn tracer(&self) -> u32 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        s.lines().find_map(|l| l.strip_prefix("TracerPid:")).unwrap().trim().parse().unwrap()
    }

    fn task_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/task", self.pid)).unwrap().count()
    }

    /// The process is alive, not stopped or traced, and uses CPU.
    fn assert_running(&self) {
        assert!(self.child_alive(), "the fixture died");
        let (state0, cpu0) = self.stat();
        let t0 = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let (state, cpu) = self.stat();
            assert!(!matches!(state, 't' | 'T'), "pid {} is still stopped (state {state})", self.pid);
            if cpu > cpu0 {
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "pid {} made no progress in 5 s (state {state0})", self.pid);
        }
        assert_eq!(self.tracer(), 0, "pid {} is still traced", self.pid);
    }

    fn child_alive(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).is_ok_and(|s| !s.contains(") Z"))
    }
}

/// Fail with a fix when ptrace is not permitted here.
fn check_attach(code: i32, err: &str) {
    if err.contains("not permitted") {
        panic!(
            "ptrace is not permitted in this environment, so jmdb cannot attach:\n{err}\n\
             Fix: run the tests as root or with CAP_SYS_PTRACE (docker: --cap-add=SYS_PTRACE, or \
             --security-opt seccomp=unconfined), and set /proc/sys/kernel/yama/ptrace_scope to 0 or 1."
        );
    }
    assert_eq!(code, 0, "jmdb failed:\n{err}");
}

/// The output of each `-e` command, split at `::echo` markers.
fn run_sections(args: &[&str], cmds: &[&str]) -> (Vec<String>, String) {
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    for (i, c) in cmds.iter().enumerate() {
        a.push("-e".into());
        a.push(format!("::echo @@{i}"));
        a.push("-e".into());
        a.push(c.to_string());
    }
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, out, err) = common::run_jmdb(&refs);
    check_attach(code, &err);
    let mut secs = vec![String::new(); cmds.len()];
    let mut cur = None;
    for line in out.lines() {
        if let Some(i) = line.strip_prefix("@@").and_then(|n| n.parse::<usize>().ok()) {
            cur = Some(i);
            continue;
        }
        if let Some(i) = cur {
            secs[i].push_str(line);
            secs[i].push('\n');
        }
    }
    (secs, err)
}

/// The function names of `::jsstack`'s JS frames, innermost first.
fn js_names(jsstack: &str) -> Vec<String> {
    jsstack
        .lines()
        .filter_map(|l| l.strip_prefix("js:"))
        .map(|l| l.trim().split(" (").next().unwrap_or("").to_string())
        .collect()
}

/// The JS frames are the fixture's: innermost, a suffix of its call chain
/// `js_names` (mutualThreat, evaluate, search, main; where the stop lands
/// varies: inlined frames, or main's own loop), then the module code.
fn assert_spin_frames(f: &Fixture, names: &[String], what: &str) {
    let chain = f.side_list("js_names");
    let main = chain.last().unwrap();
    let at = names.iter().position(|n| n == main).unwrap_or_else(|| panic!("{what}: no {main} frame in {names:?}"));
    assert!(chain.ends_with(&names[..=at]), "{what}: frames up to {main} are not a suffix of {chain:?}: {names:?}");
    assert_eq!(names.get(at + 1).map(String::as_str), Some("Object.<anonymous>"), "{what}: {names:?}");
}

/// The `label:` lines of `::status`.
fn status_field(status: &str, label: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {label} in\n{status}"))
}

/// `$m` without the BACKING column (live memory vs core/file).
fn mappings_without_backing(m: &str) -> Vec<String> {
    m.lines()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() >= 5 { format!("{} {} {} {} {}", w[0], w[1], w[2], w[3], w[5..].join(" ")) } else { l.to_string() }
        })
        .collect()
}

#[test]
fn live_jsstack_names_the_fixture_functions() {
    let f = Fixture::spin("jsstack");
    let (code, out, err) = common::run_jmdb(&["-p", &f.pid.to_string(), "-e", "::jsstack"]);
    check_attach(code, &err);
    assert_spin_frames(&f, &js_names(&out), "live ::jsstack");
    f.assert_running();
}

#[test]
fn gcore_core_reads_like_the_live_process_and_gdb_opens_it() {
    let f = Fixture::spin("gcore");
    let core = f.dir.join("core.test");
    let core_s = core.to_str().unwrap();
    let pid = f.pid.to_string();
    let cmds = ["::status", "::jsstack", "$C", "$m", "::threads", "::findjsobjects", &format!("::gcore {core_s}")];
    let tasks = f.task_count();
    let (live, err) = run_sections(&["-p", &pid], &cmds);
    assert!(live[6].starts_with(&format!("wrote {core_s}: {tasks} threads")), "{}{err}", live[6]);
    f.assert_running();

    // jmdb reads the core as a kernel core, with what the live session saw.
    let (dead, err) = run_sections(&[core_s], &cmds[..6]);
    assert!(err.is_empty() || !err.contains("warning"), "warnings on the written core:\n{err}");
    assert!(status_field(&dead[0], "core file").contains("kernel core"), "{}", dead[0]);
    assert!(status_field(&live[0], "process").contains("live"), "{}", live[0]);
    for label in ["executable", "pid", "command line", "threads", "objects"] {
        assert_eq!(status_field(&live[0], label), status_field(&dead[0], label), "::status {label}");
    }
    assert!(status_field(&dead[0], "pid").starts_with(&format!("{pid} ")), "{}", dead[0]);
    assert_eq!(status_field(&dead[0], "threads"), tasks.to_string());
    assert!(status_field(&dead[0], "signal").starts_with("SIGSTOP"), "{}", dead[0]);
    assert_eq!(live[1], dead[1], "::jsstack differs between the live process and its core");
    assert_spin_frames(&f, &js_names(&dead[1]), "core ::jsstack");
    assert_eq!(live[2], dead[2], "$C differs between the live process and its core");
    assert_eq!(mappings_without_backing(&live[3]), mappings_without_backing(&dead[3]), "$m differs");
    // Only the signal mark may differ.
    assert_eq!(live[4], dead[4].replace("  <- signal SIGSTOP", ""), "::threads");
    // The heap scan reads live memory through its block cache; the core
    // through its mmap.
    assert!(live[5].lines().count() > 10, "::findjsobjects found little:\n{}", live[5]);
    assert_eq!(live[5], dead[5], "::findjsobjects differs between the live process and its core");

    // gdb opens it, finds every thread and names frames.
    let out = Command::new("gdb")
        .args(["-batch", "-nx", "-ex", "thread apply all bt", NODE, core_s])
        .output()
        .expect("gdb is needed to check the written core: apt-get install gdb");
    let text = String::from_utf8_lossy(&out.stdout);
    let threads = common::gdb_frames(&text);
    assert_eq!(threads.len(), tasks, "gdb's threads:\n{text}");
    let named = threads.iter().flat_map(|(_, fr)| fr).filter(|n| n.as_str() != "??").count();
    assert!(named >= tasks, "gdb names too few frames:\n{text}");
    assert!(
        threads.iter().flat_map(|(_, fr)| fr).any(|n| n.starts_with("node::") || n.starts_with("uv_")),
        "gdb names no node or libuv frame:\n{text}"
    );
}

#[test]
fn gcore_subcommand_writes_a_core_and_detaches() {
    let f = Fixture::spin("sub");
    let out = Command::new(common::jmdb_bin())
        .args(["gcore", &f.pid.to_string()])
        .current_dir(&f.dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    check_attach(out.status.code().unwrap_or(-1), &err);
    let core = f.dir.join(format!("core.{}", f.pid));
    assert!(core.exists(), "no {} written: {err}", core.display());
    f.assert_running();
    let (code, out, err) = common::run_jmdb(&[core.to_str().unwrap(), "-e", "::status", "-e", "::jsstack"]);
    assert_eq!(code, 0, "{err}");
    assert!(status_field(&out, "pid").starts_with(&format!("{} ", f.pid)), "{out}");
    assert_spin_frames(&f, &js_names(&out), "jmdb gcore's core");

    // -o names the file.
    let named = f.dir.join("named.core");
    let (code, _, err) = common::run_jmdb(&["gcore", &f.pid.to_string(), "-o", named.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(named.exists());
    f.assert_running();
}

#[test]
fn attaching_to_a_dead_pid_fails_clearly() {
    let mut c = Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    for args in [vec!["-p", &*pid.to_string(), "-e", "::status"], vec!["gcore", &*pid.to_string()]] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = common::run_jmdb(&refs);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(&format!("pid {pid}: no such process")), "{args:?}: {err}");
    }
}

#[test]
fn an_already_traced_process_is_refused_and_a_killed_jmdb_lets_it_run() {
    let f = Fixture::spin("traced");
    // A session that holds the process: it waits for commands on stdin.
    let mut holder = Command::new(common::jmdb_bin())
        .args(["-p", &f.pid.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    // Traced as soon as seized; stopped a moment later.
    while f.tracer() != holder.id() || !matches!(f.stat().0, 't' | 'T') {
        if let Some(st) = holder.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(holder.stderr.as_mut().unwrap(), &mut err).unwrap();
            check_attach(st.code().unwrap_or(-1), &err);
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "jmdb -p did not attach in 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (code, _, err) = common::run_jmdb(&["-p", &f.pid.to_string(), "-e", "::status"]);
    assert_eq!(code, 2);
    assert!(err.contains("not permitted") && err.contains(&format!("already traced by pid {}", holder.id())), "{err}");
    // Killing the debugger outright: the kernel detaches it.
    holder.kill().unwrap();
    holder.wait().unwrap();
    f.assert_running();
}

/// The sampling API a profiler uses: attach once, then resume, stop and
/// unwind repeatedly; the process runs between samples and after the
/// target is dropped.
#[test]
fn sampling_api_stops_unwinds_and_resumes_repeatedly() {
    use jmdb::target::{AttachOptions, Target};
    use jmdb::v8::{Heap, V8, frames};
    let f = Fixture::spin("sample");
    let mut t = match Target::attach(&AttachOptions { pid: f.pid, sysroot: None }) {
        Ok(t) => t,
        Err(e) => {
            check_attach(2, &e.to_string());
            unreachable!()
        }
    };
    let v8 = V8::load(&t).expect("V8 metadata");
    let (_, cpu0) = f.stat();
    let mut with_main = 0;
    for _ in 0..8 {
        t.resume().unwrap();
        std::thread::sleep(Duration::from_millis(40));
        t.stop().unwrap();
        assert!(t.is_live() && t.live().unwrap().is_stopped());
        let h = Heap::new(&t, &v8);
        let main = &t.threads[0];
        assert_eq!(main.tid, f.pid, "the main thread comes first");
        let stack = jmdb::unwind::unwind(&t, &main.regs, 200);
        let names: Vec<String> = frames::decode_stack(&h, &stack.frames)
            .iter()
            .filter_map(|v| v.js.as_ref().map(|js| frames::debug_name(&h, &js.info)))
            .collect();
        if names.iter().any(|n| n == "main") {
            with_main += 1;
        }
    }
    // A sample may land while main is being re-optimized; most see it.
    assert!(with_main >= 6, "only {with_main} of 8 samples saw main");
    drop(t);
    let (_, cpu1) = f.stat();
    assert!(cpu1 > cpu0, "the process did not run between samples");
    f.assert_running();
}

/// Without the right to trace, jmdb says so and why (exit status 2). As
/// root the test drops to user nobody (setpriv) to attach to the fixture;
/// otherwise it attaches to pid 1, which another user owns.
#[test]
fn attaching_without_permission_says_why() {
    let f = Fixture::spin("perm");
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .is_some_and(|u| u.split_whitespace().nth(1) == Some("0"));
    let out = if root {
        assert!(Path::new("/usr/bin/setpriv").exists(), "setpriv (util-linux) is needed to run jmdb as another user");
        Command::new("/usr/bin/setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(common::jmdb_bin())
            .args(["-p", &f.pid.to_string(), "-e", "::status"])
            .output()
            .unwrap()
    } else {
        Command::new(common::jmdb_bin()).args(["-p", "1", "-e", "::status"]).output().unwrap()
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not permitted to attach (EPERM)"), "{err}");
    assert!(err.contains("ptrace_scope") || err.contains("another user"), "no cause named: {err}");
    f.assert_running();
}
