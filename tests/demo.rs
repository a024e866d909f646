//! The workshop demos, end to end, in batch form: `jmdb demo oom --batch`
//! and `jmdb demo spin --batch`, and `jmdb profile -p PID`.
//!
//! Oracles: node's own stderr (the FATAL ERROR line), the demo programs'
//! source (src/demos/*.js: the line and column of the JSON.stringify call),
//! the file the oom demo served (its bytes come from a fixed xorshift
//! generator, recomputed here), and the folded stacks the profiler wrote.
//!
//! They need `node` (on PATH, or $JMDB_NODE, or npm to fetch one) and
//! ptrace; without them the demo fails and says how to fix it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const JMDB: &str = env!("CARGO_BIN_EXE_jmdb");

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jmdb-test-demo-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(args: &[&str]) -> (Output, String, String) {
    let t0 = Instant::now();
    let out = Command::new(JMDB).args(args).stdin(Stdio::null()).output().expect("run jmdb");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "jmdb {} failed ({}):\n--- stderr\n{stderr}\n--- stdout\n{stdout}",
        args.join(" "),
        out.status
    );
    eprintln!("jmdb {} took {:.1} s", args.join(" "), t0.elapsed().as_secs_f64());
    (out, stdout, stderr)
}

/// The oom demo's data: xorshift64 (13, 7, 17) from the golden ratio seed,
/// little-endian words.
fn demo_bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::new();
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(n);
    v
}

/// 1-based (line, column) of `needle` in `text`.
fn line_col(text: &str, needle: &str) -> (usize, usize) {
    for (i, l) in text.lines().enumerate() {
        if let Some(c) = l.find(needle) {
            return (i + 1, c + 1);
        }
    }
    panic!("{needle:?} not in the demo source");
}

#[test]
fn demo_oom_batch() {
    let dir = tmpdir("oom");
    let d = dir.to_str().unwrap();
    let (_, out, err) = run(&["demo", "oom", "--batch", "--dir", d]);
    let core = dir.join("core");
    assert!(core.is_file(), "no core at {}:\n{err}", core.display());

    // node said it ran out of heap, and died of the SIGABRT jmdb held.
    let node_err = std::fs::read_to_string(dir.join("node-stderr.txt")).unwrap();
    assert!(node_err.contains("JavaScript heap out of memory"), "node's stderr:\n{node_err}");
    assert!(err.contains("node ended: signal: 6 (SIGABRT)"), "{err}");
    assert!(out.contains("signal:       SIGABRT"), "{out}");

    // The JS stack: Buffer.toJSON, called by JSON.stringify's C++ builtin,
    // called by the read callback at the JSON.stringify call.
    let src = std::fs::read_to_string(dir.join("server.js")).unwrap();
    assert_eq!(src, include_str!("../src/demos/oom.js"));
    let (line, col) = line_col(&src, "stringify(");
    let on_read = format!("js:     onRead ({}:{line}:{col})", dir.join("server.js").display());
    let stack: Vec<&str> = out.lines().skip_while(|l| *l != "> ::jsstack").skip(1).take_while(|l| !l.starts_with('>')).collect();
    let pos = |pat: &str| stack.iter().position(|l| l.contains(pat)).unwrap_or_else(|| panic!("no {pat:?} in\n{}", stack.join("\n")));
    let (oom, to_json, stringify, read) =
        (pos("FatalProcessOutOfMemory"), pos("js:     Buffer.toJSON (node:buffer:"), pos("Builtin_JsonStringify"), pos(&on_read));
    assert!(oom < to_json && to_json < stringify && stringify < read, "frames out of order:\n{}", stack.join("\n"));
    // The C++ builtin's exit frame, named as node names it.
    let exit = pos("js:     JSON.stringify (<anonymous>)  [cfi builtin exit]");
    assert!(stringify < exit && exit < read, "frames out of order:\n{}", stack.join("\n"));

    // The Buffer the callback got: the whole file, found by
    // ::findjsobjects and by the frame's argument, bytes and all.
    assert!(out.contains("<Buffer 80000000 bytes: ad 4d f3 0b"), "{out}");
    let arg = out
        .lines()
        .find(|l| l.trim_start().starts_with("arg1:") && l.ends_with("Object: Buffer"))
        .unwrap_or_else(|| panic!("no Buffer argument for onRead:\n{out}"));
    let addr = arg.split_whitespace().nth(1).unwrap();
    let (_, nb, _) = run(&["-e", &format!("{addr}::nodebuffer -v"), core.to_str().unwrap()]);
    let mut lines = nb.lines();
    let storage = lines.next().unwrap();
    assert_eq!(lines.next(), Some("80000000 bytes"), "{nb}");
    assert!(out.contains(storage), "::nodebuffer of every Buffer lists {storage}:\n{out}");
    let want: String = demo_bytes(16).iter().map(|b| format!("{b:02x} ")).collect();
    assert!(nb.lines().nth(2).unwrap().contains(want.trim_end()), "the Buffer holds the file's bytes: {nb}");

    // The array of numbers toJSON was building, one slot per byte.
    assert!(out.lines().any(|l| l.ends_with(" 80000000 Array")), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Samples whose stack holds a JS frame named `name`, and all samples, from
/// folded stacks.
fn folded_share(folded: &str, names: &[&str]) -> (u64, u64) {
    let (mut hit, mut all) = (0, 0);
    for l in folded.lines() {
        let (stack, n) = l.rsplit_once(' ').expect("folded line: stack then count");
        let n: u64 = n.parse().expect("count");
        all += n;
        if stack.split(';').any(|f| names.iter().any(|name| f.starts_with(&format!("{name} (")))) {
            hit += n;
        }
    }
    (hit, all)
}

fn check_svg(svg: &Path, names: &[&str]) {
    let s = std::fs::read_to_string(svg).unwrap();
    assert!(s.starts_with("<?xml") || s.starts_with("<svg"), "{} is not SVG", svg.display());
    assert!(s.trim_end().ends_with("</svg>"), "{} is cut short", svg.display());
    for n in names {
        assert!(s.contains(n), "{} does not show {n}", svg.display());
    }
}

#[test]
fn demo_spin_batch() {
    let dir = tmpdir("spin");
    let d = dir.to_str().unwrap();
    let (_, out, err) = run(&["demo", "spin", "--batch", "--dir", d, "--duration", "3"]);

    // The summary's top functions include both, and the folded stacks say
    // more than half the samples are in them.
    let top: Vec<&str> = err.lines().skip_while(|l| !l.contains("top functions")).skip(1).take(10).collect();
    for n in ["mutualThreat (", "evaluate ("] {
        assert!(top.iter().any(|l| l.contains(n)), "{n} not among the top functions:\n{err}");
    }
    let folded = std::fs::read_to_string(dir.join("profile.folded")).unwrap();
    let (hot, all) = folded_share(&folded, &["evaluate", "mutualThreat"]);
    assert!(all > 50, "only {all} samples");
    assert!(hot * 2 > all, "evaluate and mutualThreat in {hot} of {all} samples:\n{folded}");
    for l in folded.lines() {
        assert!(l.starts_with("node`_start;") || l.starts_with('['), "a stack not rooted at _start: {l}");
    }
    check_svg(&dir.join("profile.svg"), &["evaluate", "mutualThreat"]);

    // The core, taken while the main thread was in them.
    assert!(out.contains("signal:       SIGSTOP"), "{out}");
    let script = dir.join("queens.js");
    let js: Vec<&str> = out.lines().filter(|l| l.starts_with("js:")).collect();
    assert!(
        js.iter().take(2).any(|l| l.contains(&format!("mutualThreat ({}:", script.display())) || l.contains(&format!("evaluate ({}:", script.display()))),
        "{out}"
    );
    assert!(js.iter().any(|l| l.contains(&format!("solve ({}:", script.display()))), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn profile_cli() {
    let dir = tmpdir("profile");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("queens.js");
    std::fs::write(&script, include_str!("../src/demos/spin.js")).unwrap();
    let node = std::env::var("JMDB_NODE").unwrap_or_else(|_| "node".into());
    let mut child = Command::new(&node)
        .arg(&script)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {node} ({e}): install Node.js or set JMDB_NODE"));
    // Wait for its first line, then let the JIT settle.
    let mut first = [0u8; 1];
    let t0 = Instant::now();
    use std::io::Read;
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    assert!(t0.elapsed() < Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    let prefix = dir.join("p");
    let pid = child.id().to_string();
    let r = Command::new(JMDB)
        .args(["profile", "-p", &pid, "--duration", "2", "--rate", "49", "-a", "-o", prefix.to_str().unwrap()])
        .output()
        .unwrap();
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{out}\n{}", String::from_utf8_lossy(&r.stderr));
    assert!(alive, "the profiled process died");
    // Every thread: each stack rooted at its thread's name, the main
    // thread's included.
    let folded = std::fs::read_to_string(dir.join("p.folded")).unwrap();
    assert!(folded.lines().all(|l| l.starts_with('[')), "{folded}");
    assert!(folded.lines().any(|l| l.starts_with("[node];node`_start;")), "{folded}");
    let (hot, all) = folded_share(&folded, &["evaluate", "mutualThreat"]);
    assert!(hot > 0 && all > hot, "{hot} of {all}");
    assert!(out.contains("samples in"), "{out}");
    check_svg(&dir.join("p.svg"), &["mutualThreat"]);
    let _ = std::fs::remove_dir_all(&dir);
}
