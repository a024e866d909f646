//! Helpers shared by jmdb's integration tests (`mod common;`).
//!
//! The tests run against real Node.js cores made by `testcores/generate`
//! (see `testcores/README.md`). Each core directory
//! `testcores/cache/cores/<label>/<fixture>/` holds:
//!
//! - `core`: the core file;
//! - `meta.env`: how it was made, as `key=value` lines (see [`CoreCase`]);
//! - `side.json` / `side.env`: what the fixture recorded about itself just
//!   before dying (its pid, JS stack, arguments, heap objects), the `.env`
//!   being the same data flattened to `expected.js_names.0=inner` lines;
//! - `stderr.txt`: what Node printed (its own JS stack: an oracle);
//! - `gdb-bt.txt`, `gdb-info.txt`: gdb's view of the core (an oracle for
//!   native frames, threads, registers, mappings and shared libraries).
//!
//! Missing cores are an error, never a silent skip: the helpers panic and
//! say how to make them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `testcores/cache/`: node builds, cores, manifest.
pub fn cache_dir() -> PathBuf {
    repo_dir().join("testcores").join("cache")
}

/// `testcores/cache/cores/`: one directory per node label, one below it per fixture.
pub fn cores_dir() -> PathBuf {
    cache_dir().join("cores")
}

const HOW_TO_GENERATE: &str =
    "run `bash testcores/generate` (or the full suite with `bash testcores/test.sh`)";

/// One generated core and everything known about it.
#[derive(Debug, Clone)]
pub struct CoreCase {
    /// `testcores/cache/cores/<label>/<fixture>`
    pub dir: PathBuf,
    /// `node-22.23.3` (official build from npm) or `system-20.20.2` (`node` on PATH)
    pub label: String,
    /// `process.version` of that node: `v22.23.3`
    pub node_version: String,
    /// 22
    pub node_major: u32,
    /// Absolute path of the node executable that made the core.
    pub node_binary: PathBuf,
    /// `abort`, `uncaught`, `spin`, `worker`, `sleep` (or `bigheap`)
    pub fixture: String,
    /// `kernel` (written by the kernel) or `gcore` (written by gdb: it also
    /// holds the file-backed pages)
    pub kind: String,
    /// `kernel`, `gdb-run` (ran under gdb, gcore'd when the fatal signal
    /// stopped it) or `gdb-attach` (gcore of a live process, then SIGKILL)
    pub capture: String,
    /// Process id of the node process (= the main thread's LWP).
    pub pid: u32,
    /// Signal the fixture died of, from its wait status (6 = SIGABRT,
    /// 5 = SIGTRAP); 0 for `gdb-attach` cores of a live process.
    pub exit_signal: i32,
    /// Signal gdb reads from the core ("Program terminated with signal");
    /// 0 if none. This is what jmdb should report.
    pub core_signal: i32,
    /// Number of threads gdb sees in the core.
    pub threads: u32,
    /// The command line the fixture ran with.
    pub cmdline: String,
    /// Absolute path of the fixture script.
    pub script: PathBuf,
    /// Every `meta.env` entry, including those above.
    pub meta: BTreeMap<String, String>,
    /// `side.env`: side.json flattened (`expected.js_names.0=inner`).
    pub side: BTreeMap<String, String>,
}

impl CoreCase {
    /// Loads a core directory; panics if it is incomplete.
    pub fn load(dir: &Path) -> CoreCase {
        let meta = read_env_file(&dir.join("meta.env"));
        let side = read_env_file(&dir.join("side.env"));
        let get = |k: &str| -> String {
            meta.get(k)
                .cloned()
                .unwrap_or_else(|| panic!("{}: meta.env has no `{k}`; {HOW_TO_GENERATE}", dir.display()))
        };
        let num = |k: &str| -> i64 {
            get(k)
                .parse()
                .unwrap_or_else(|_| panic!("{}: meta.env `{k}` is not a number", dir.display()))
        };
        CoreCase {
            dir: dir.to_path_buf(),
            label: get("label"),
            node_version: get("node_version"),
            node_major: num("node_major") as u32,
            node_binary: PathBuf::from(get("node_binary")),
            fixture: get("fixture"),
            kind: get("kind"),
            capture: get("capture"),
            pid: num("pid") as u32,
            exit_signal: num("exit_signal") as i32,
            core_signal: num("core_signal") as i32,
            threads: num("threads") as u32,
            cmdline: get("cmdline"),
            script: PathBuf::from(get("script")),
            meta,
            side,
        }
    }

    /// `node-22.23.3/abort`: a short name for assertion messages.
    pub fn name(&self) -> String {
        format!("{}/{}", self.label, self.fixture)
    }

    /// Path of the core file.
    pub fn core_path(&self) -> PathBuf {
        self.dir.join("core")
    }

    /// The text of a file of the core directory (`stderr.txt`, `gdb-bt.txt`,
    /// `gdb-info.txt`, `side.json`...); panics if it is missing.
    pub fn read(&self, name: &str) -> String {
        let path = self.dir.join(name);
        fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}; {HOW_TO_GENERATE}", path.display()))
    }

    /// Is this the machine's own node (`system-*`) rather than an official build?
    pub fn is_system(&self) -> bool {
        self.label.starts_with("system-")
    }

    /// A `meta.env` value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.get(key).map(String::as_str)
    }

    /// A `side.env` value (flattened side.json): `side("expected.signal")`.
    pub fn side(&self, key: &str) -> Option<&str> {
        self.side.get(key).map(String::as_str)
    }

    /// The elements of a side.json array of scalars:
    /// `side_list("expected.js_names")` gives `["inner", "spin", ...]`.
    pub fn side_list(&self, key: &str) -> Vec<String> {
        (0..)
            .map_while(|i| self.side.get(&format!("{key}.{i}")).cloned())
            .collect()
    }

    /// The side.json array of objects at `key`, each as its own flattened map:
    /// `side_objects("expected.js_stack")[0]["name"] == "inner"`.
    pub fn side_objects(&self, key: &str) -> Vec<BTreeMap<String, String>> {
        let mut out = Vec::new();
        for i in 0.. {
            let prefix = format!("{key}.{i}.");
            let item: BTreeMap<String, String> = self
                .side
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_string(), v.clone())))
                .collect();
            if item.is_empty() {
                break;
            }
            out.push(item);
        }
        out
    }

    /// `expected.<key>` from the side file: `expected("signal")`.
    pub fn expected(&self, key: &str) -> Option<&str> {
        self.side(&format!("expected.{key}"))
    }

    /// `expected.<key>` as a list: `expected_list("js_names")`.
    pub fn expected_list(&self, key: &str) -> Vec<String> {
        self.side_list(&format!("expected.{key}"))
    }

    /// gdb's backtrace of every thread (parsed `gdb-bt.txt`).
    pub fn gdb_frames(&self) -> Vec<(u32, Vec<String>)> {
        gdb_frames(&self.read("gdb-bt.txt"))
    }

    /// The JS stack Node printed to stderr (empty if it printed none, as
    /// Node 18 on process.abort()).
    pub fn node_js_frames(&self) -> Vec<(String, String)> {
        node_js_frames(&self.read("stderr.txt"))
    }
}

/// Parses `key=value` lines (as written by testcores/lib/jsonenv.js:
/// `\\`, `\n`, `\r`, `\t` escaped in values; `#` comments and blank lines skipped).
pub fn parse_env(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            map.insert(k.to_string(), unescape(v));
        }
    }
    map
}

fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn read_env_file(path: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}; {HOW_TO_GENERATE}", path.display()));
    parse_env(&text)
}

/// Every finished core directory (those with a `done` stamp), sorted by
/// label then fixture, except the benchmark-only `bigheap` cores.
/// Panics if there are none.
pub fn all_cores() -> Vec<CoreCase> {
    let cores: Vec<CoreCase> = scan_cores().into_iter().filter(|c| c.fixture != "bigheap").collect();
    if cores.is_empty() {
        panic!("no test cores in {}: {HOW_TO_GENERATE}", cores_dir().display());
    }
    cores
}

/// Every core of one fixture (one per node). Panics if there are none.
pub fn cores_for(fixture: &str) -> Vec<CoreCase> {
    let cores: Vec<CoreCase> = scan_cores().into_iter().filter(|c| c.fixture == fixture).collect();
    if cores.is_empty() {
        panic!(
            "no `{fixture}` test cores in {}: {}",
            cores_dir().display(),
            how_to_generate(fixture)
        );
    }
    cores
}

/// The core of `fixture` made by one node. `which` is:
/// - a major version, `"22"`: the official build of that major (the newest
///   if several), else the system node if it has that major;
/// - a version or its prefix, `"22.23"`, `"v22.23.3"`;
/// - a label prefix: `"system"`, `"node-24"`, `"node-24.21.0"`.
///
/// Panics if there is no such core.
pub fn core(which: &str, fixture: &str) -> CoreCase {
    let all = scan_cores();
    if all.is_empty() {
        panic!("no test cores in {}: {}", cores_dir().display(), how_to_generate(fixture));
    }
    let of_fixture: Vec<&CoreCase> = all.iter().filter(|c| c.fixture == fixture).collect();
    let mut matches: Vec<&CoreCase> = if let Ok(major) = which.parse::<u32>() {
        let official: Vec<&CoreCase> = of_fixture
            .iter()
            .copied()
            .filter(|c| c.node_major == major && !c.is_system())
            .collect();
        if official.is_empty() {
            of_fixture.iter().copied().filter(|c| c.node_major == major).collect()
        } else {
            official
        }
    } else if which.starts_with(|c: char| c.is_ascii_digit() || c == 'v') && which.contains('.') {
        let want = which.trim_start_matches('v');
        of_fixture
            .iter()
            .copied()
            .filter(|c| version_has_prefix(c.node_version.trim_start_matches('v'), want))
            .collect()
    } else {
        of_fixture.iter().copied().filter(|c| c.label.starts_with(which)).collect()
    };
    matches.sort_by(|a, b| version_key(&a.node_version).cmp(&version_key(&b.node_version)));
    match matches.pop() {
        Some(c) => c.clone(),
        None => {
            let mut labels: Vec<&str> = all.iter().map(|c| c.label.as_str()).collect();
            let mut fixtures: Vec<&str> = all.iter().map(|c| c.fixture.as_str()).collect();
            labels.dedup();
            fixtures.sort();
            fixtures.dedup();
            panic!(
                "no test core for node `{which}` / fixture `{fixture}` in {} (there are: nodes {}; fixtures {}): {}; \
                 JMDB_NODES / JMDB_FIXTURES may have restricted the last run",
                cores_dir().display(),
                labels.join(" "),
                fixtures.join(" "),
                how_to_generate(fixture)
            )
        }
    }
}

fn how_to_generate(fixture: &str) -> &'static str {
    if fixture == "bigheap" {
        "run `bash testcores/generate bigheap` (benchmark core, not made by default)"
    } else {
        HOW_TO_GENERATE
    }
}

/// "22.23.3" has prefix "22.23" and "22.23.3", not "22.2".
fn version_has_prefix(version: &str, prefix: &str) -> bool {
    version == prefix || version.starts_with(&format!("{prefix}."))
}

fn version_key(v: &str) -> Vec<u64> {
    v.trim_start_matches('v').split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// All finished core directories, sorted, including bigheap.
fn scan_cores() -> Vec<CoreCase> {
    let mut dirs = Vec::new();
    let Ok(labels) = fs::read_dir(cores_dir()) else { return Vec::new() };
    for label in labels.flatten() {
        let Ok(fixtures) = fs::read_dir(label.path()) else { continue };
        for fixture in fixtures.flatten() {
            let dir = fixture.path();
            let name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if !name.ends_with(".tmp") && dir.join("done").is_file() {
                dirs.push(dir);
            }
        }
    }
    dirs.sort();
    dirs.iter().map(|d| CoreCase::load(d)).collect()
}

/// The jmdb executable built by cargo for this test run.
pub fn jmdb_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_jmdb"))
}

/// Runs jmdb with `args`; returns (exit code, stdout, stderr). A death by
/// signal N is reported as exit code 128 + N, as a shell would.
pub fn run_jmdb(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(jmdb_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", jmdb_bin().display()));
    let code = out.status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + out.status.signal().unwrap_or(0)
    });
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses gdb's `thread apply all bt` output into (gdb thread number,
/// function names from frame #0 outwards), in the order gdb printed them.
///
/// Frame lines look like `#3  0x0000000000b9bbf0 in node::Abort() ()`,
/// `#0  __pthread_kill_implementation (threadid=..., signo=6) at ./nptl/pthread_kill.c:44`,
/// `#5  0x00007f.. in start_thread (arg=<optimized out>) from /lib/x86_64-linux-gnu/libc.so.6`.
/// The name is kept without gdb's argument list, and without the C++ parameter
/// list: `node::Abort`, `node::(anonymous namespace)::PlatformWorkerThread`,
/// `??` for unknown code, `<signal handler called>` as is.
/// Frames printed before any `Thread N (...)` header count as thread 1 only
/// if there is no header at all (a plain `bt`).
pub fn gdb_frames(text: &str) -> Vec<(u32, Vec<String>)> {
    let mut threads: Vec<(u32, Vec<String>)> = Vec::new();
    let mut orphans: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Thread ") {
            let num: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let (Ok(n), true) = (num.parse::<u32>(), rest[num.len()..].starts_with(" (")) {
                threads.push((n, Vec::new()));
            }
            continue;
        }
        let Some(rest) = line.strip_prefix('#') else { continue };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || !rest[digits.len()..].starts_with(' ') {
            continue;
        }
        let name = gdb_frame_function(rest[digits.len()..].trim_start());
        match threads.last_mut() {
            Some((_, frames)) => frames.push(name),
            None => orphans.push(name),
        }
    }
    if threads.is_empty() && !orphans.is_empty() {
        threads.push((1, orphans));
    }
    threads
}

/// The function name of one gdb frame line, after `#N  `.
fn gdb_frame_function(s: &str) -> String {
    // `0x000000000294d61f in v8::base::OS::Abort() ()`
    let mut s = s;
    if s.starts_with("0x") {
        if let Some(pos) = s.find(" in ") {
            s = &s[pos + 4..];
        }
    }
    if s.starts_with('<') {
        // `<signal handler called>`, `<unavailable>`
        return s.to_string();
    }
    // The name ends where gdb's ` (args)` begins: the first " (" outside
    // any () or <> of the name itself.
    let bytes = s.as_bytes();
    let (mut paren, mut angle) = (0i32, 0i32);
    let mut end = s.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' if paren == 0 && angle == 0 && i > 0 && bytes[i - 1] == b' ' => {
                end = i - 1;
                break;
            }
            b'(' => paren += 1,
            b')' => paren -= 1,
            b'<' => angle += 1,
            b'>' if angle > 0 => angle -= 1,
            _ => {}
        }
    }
    strip_cpp_params(s[..end].trim())
}

/// `node::Abort()` -> `node::Abort`; `v8::Foo::Bar(int) const` -> `v8::Foo::Bar`;
/// `std::function<void (int)>::operator()(int)` -> `std::function<void (int)>::operator()`.
fn strip_cpp_params(name: &str) -> String {
    let mut n = name.trim_end();
    for suffix in [" const", " volatile", " &&", " &"] {
        if let Some(stripped) = n.strip_suffix(suffix) {
            n = stripped;
        }
    }
    // strip ` [clone .isra.0]` and the like, then the parameter list
    let base = match n.find(" [clone ") {
        Some(pos) => &n[..pos],
        None => n,
    };
    if !base.ends_with(')') {
        return name.to_string();
    }
    let bytes = base.as_bytes();
    let mut depth = 0i32;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    let head = &base[..i];
                    return if head.is_empty() { base.to_string() } else { head.to_string() };
                }
            }
            _ => {}
        }
    }
    base.to_string()
}

/// Parses the JS stack Node printed on stderr into (function name, location),
/// innermost first. Understands:
/// - `----- JavaScript stack trace -----` then `1: foo ([eval]:1:26)` /
///   `2: [eval]:1:37` (process.abort(), fatal errors; Node >= 20);
/// - `FROM` then `foo (/path/x.js:3:9)` lines (--abort-on-uncaught-exception;
///   Node 18 prints these frames run together on one line, which is split);
/// - `    at foo (/path/x.js:3:9)` / `    at /path/x.js:3:9` (Error.stack).
///
/// A frame without a name (`2: [eval]:1:37`) gets the name "".
pub fn node_js_frames(stderr: &str) -> Vec<(String, String)> {
    #[derive(PartialEq)]
    enum Section {
        None,
        Numbered,
        From,
    }
    let mut section = Section::None;
    let mut frames = Vec::new();
    for raw in stderr.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with("----- JavaScript stack trace") {
            section = Section::Numbered;
            continue;
        }
        if trimmed.starts_with("-----") {
            section = Section::None;
            continue;
        }
        if trimmed == "FROM" {
            section = Section::From;
            continue;
        }
        if let Some(at) = trimmed.strip_prefix("at ") {
            frames.push(split_frame(at));
            continue;
        }
        match section {
            Section::Numbered => {
                let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
                if let Some(text) = trimmed[digits.len()..].strip_prefix(": ") {
                    if !digits.is_empty() {
                        frames.push(split_frame(text));
                    }
                }
            }
            Section::From => {
                if trimmed.is_empty() {
                    section = Section::None;
                } else {
                    frames.extend(split_run_together(trimmed));
                }
            }
            Section::None => {}
        }
    }
    frames
}

/// `foo (/x.js:1:2)` -> ("foo", "/x.js:1:2"); `/x.js:1:2` -> ("", "/x.js:1:2").
fn split_frame(text: &str) -> (String, String) {
    let text = text.trim();
    if text.ends_with(')') {
        if let Some(open) = text.rfind(" (") {
            return (text[..open].to_string(), text[open + 2..text.len() - 1].to_string());
        }
    }
    (String::new(), text.to_string())
}

/// Splits Node 18's `a (x.js:1:2)b (x.js:3:4)node:internal/y:5:6` into frames.
fn split_run_together(line: &str) -> Vec<(String, String)> {
    let mut frames = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let Some(open) = rest.find(" (") else {
            frames.push((String::new(), rest.to_string()));
            break;
        };
        let Some(close_rel) = rest[open + 2..].find(')') else {
            frames.push(split_frame(rest));
            break;
        };
        let close = open + 2 + close_rel;
        let mut name = &rest[..open];
        // A bare location glued in front of the name: `x.js:5:6foo`.
        if let Some(split) = glued_location_end(name) {
            frames.push((String::new(), name[..split].to_string()));
            name = &name[split..];
        }
        frames.push((name.to_string(), rest[open + 2..close].to_string()));
        rest = &rest[close + 1..];
    }
    frames
}

/// If `s` starts with `something:LINE:COL` followed by more text, the end of
/// that location.
fn glued_location_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b':' {
            let l = digits_at(b, i + 1);
            if l > 0 && b.get(i + 1 + l) == Some(&b':') {
                let c = digits_at(b, i + 2 + l);
                let end = i + 2 + l + c;
                if c > 0 && end < b.len() && !b[end].is_ascii_digit() {
                    return Some(end);
                }
            }
        }
        i += 1;
    }
    None
}

fn digits_at(b: &[u8], from: usize) -> usize {
    b.iter().skip(from).take_while(|c| c.is_ascii_digit()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gdb_names() {
        let bt = "\
#0  0x000000000294d61f in v8::base::OS::Abort() ()
[Current thread is 1 (Thread 0x7fb5cb05b300 (LWP 2891))]

Thread 2 (Thread 0x7fb5ca30c6c0 (LWP 2893)):
#0  __futex_abstimed_wait_common64 (private=0, cancel=true) at ./nptl/futex-internal.c:57
#5  0x0000000001a1c069 in uv_cond_wait (cond=0xd204d14, mutex=0x189) at ../deps/uv/src/unix/thread.c:835
#6  0x0000000000a9b882 in node::(anonymous namespace)::PlatformWorkerThread(void*) ()
#7  0x00007fb5caca71f5 in start_thread (arg=<optimized out>) from /lib/x86_64-linux-gnu/libc.so.6

Thread 1 (Thread 0x7fb5cb05b300 (LWP 2891)):
#0  0x000000000105ba00 in v8::internal::Object v8::internal::FutexEmulation::WaitSync<int>(v8::internal::Isolate*, unsigned long) [clone .isra.0] ()
#1  0x0000000000b9bbf0 in node::Abort() ()
#2  0x00000000018cfd1c in Builtins_InterpreterEntryTrampoline ()
#3  0x000000875ec404e9 in ?? ()
#4  <signal handler called>
#5  0x0000000000aa0193 in node::Foo::Bar(int) const ()
";
        let t = gdb_frames(bt);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].0, 2);
        assert_eq!(
            t[0].1,
            ["__futex_abstimed_wait_common64", "uv_cond_wait", "node::(anonymous namespace)::PlatformWorkerThread", "start_thread"]
        );
        assert_eq!(t[1].0, 1);
        assert_eq!(
            t[1].1,
            [
                "v8::internal::Object v8::internal::FutexEmulation::WaitSync<int>",
                "node::Abort",
                "Builtins_InterpreterEntryTrampoline",
                "??",
                "<signal handler called>",
                "node::Foo::Bar",
            ]
        );
        assert_eq!(gdb_frames("#0  main () at x.c:1\n#1  0x1 in f () from /lib/y.so\n"), vec![(1, vec!["main".to_string(), "f".to_string()])]);
    }

    #[test]
    fn node_stacks() {
        let numbered = "----- Native stack trace -----\n\n 1: 0xd3a3c0 node::Abort() [/usr/bin/node]\n\n\
----- JavaScript stack trace -----\n\n1: inner (/t/a.js:4:35)\n2: [eval]:1:37\n3: Module._compile (node:internal/modules/cjs/loader:1521:14)\n\n\n";
        assert_eq!(
            node_js_frames(numbered),
            [
                ("inner".to_string(), "/t/a.js:4:35".to_string()),
                (String::new(), "[eval]:1:37".to_string()),
                ("Module._compile".to_string(), "node:internal/modules/cjs/loader:1521:14".to_string()),
            ]
        );
        let from = "Uncaught Error: boom\n\nFROM\nlevel3 (/t/u.js:3:20)\nFunction.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)\nnode:internal/main/run_main_module:28:49";
        assert_eq!(
            node_js_frames(from),
            [
                ("level3".to_string(), "/t/u.js:3:20".to_string()),
                ("Function.executeUserEntryPoint [as runMain]".to_string(), "node:internal/modules/run_main:164:12".to_string()),
                (String::new(), "node:internal/main/run_main_module:28:49".to_string()),
            ]
        );
        let node18 = "Uncaught Error: boom\n\nFROM\nlevel3 (/t/u.js:3:20)level2 (/t/u.js:2:20)Object.<anonymous> (/t/u.js:4:1)node:internal/main/run_main_module:28:49";
        let f = node_js_frames(node18);
        assert_eq!(f.len(), 4);
        assert_eq!(f[1], ("level2".to_string(), "/t/u.js:2:20".to_string()));
        assert_eq!(f[3], (String::new(), "node:internal/main/run_main_module:28:49".to_string()));
        let glued = split_run_together("node:x:1:2foo (/t/u.js:3:4)");
        assert_eq!(glued, [(String::new(), "node:x:1:2".to_string()), ("foo".to_string(), "/t/u.js:3:4".to_string())]);
        let at = "Error: boom\n    at foo (/path/x.js:3:9)\n    at /path/x.js:5:1\n";
        assert_eq!(
            node_js_frames(at),
            [("foo".to_string(), "/path/x.js:3:9".to_string()), (String::new(), "/path/x.js:5:1".to_string())]
        );
    }

    #[test]
    fn env_lines() {
        let m = parse_env("# c\na=1\nb=x=y\nc=line\\nnext\\\\\n\n");
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "x=y");
        assert_eq!(m["c"], "line\nnext\\");
    }
}

// ---- helpers of the V8 tests (shared by v8_strings.rs and v8_internals.rs) ----

/// The core's target, opened with the node binary that made it.
pub fn open(c: &CoreCase) -> jmdb::target::Target {
    let opts = jmdb::target::OpenOptions { core: c.core_path(), executable: Some(std::path::PathBuf::from(&c.node_binary)), sysroot: None };
    jmdb::target::Target::open(&opts).unwrap_or_else(|e| panic!("{}: cannot open: {e}", c.name()))
}

/// Run jmdb on a core with one `-e` per command; returns each command's
/// stdout (split on `::echo` markers), the exit code and stderr.
pub fn jmdb_each(c: &CoreCase, cmds: &[String]) -> (Vec<String>, i32, String) {
    let mut args: Vec<String> = Vec::new();
    for (i, cmd) in cmds.iter().enumerate() {
        args.push("-e".into());
        args.push(format!("::echo @@{i}@@"));
        args.push("-e".into());
        args.push(cmd.clone());
    }
    args.push(c.node_binary.to_string_lossy().into_owned());
    args.push(c.core_path().to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run_jmdb(&refs);
    let mut outs = vec![String::new(); cmds.len()];
    let mut cur: Option<usize> = None;
    for line in out.split_inclusive('\n') {
        let l = line.trim_end_matches('\n');
        if let Some(n) = l.strip_prefix("@@").and_then(|r| r.strip_suffix("@@")).and_then(|n| n.parse::<usize>().ok()) {
            cur = Some(n);
            continue;
        }
        if let Some(i) = cur {
            outs[i].push_str(line);
        }
    }
    (outs, code, err)
}

/// `<prefix><label>` then `DebugPrint: 0x...` in a fixture's stdout: its
/// labelled values' tagged addresses (Smis, and Node 18/20's HeapNumbers,
/// print no address).
pub fn labelled_addrs(c: &CoreCase, prefix: &str) -> std::collections::BTreeMap<String, u64> {
    let text = c.read("stdout.txt");
    let mut m = std::collections::BTreeMap::new();
    let mut label: Option<String> = None;
    for line in text.lines() {
        if let Some(l) = line.strip_prefix(prefix) {
            label = Some(l.trim().to_string());
        } else if let (Some(l), Some(rest)) = (label.take(), line.strip_prefix("DebugPrint: 0x")) {
            let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if let Ok(a) = u64::from_str_radix(&hex, 16) {
                m.insert(l, a);
            }
        }
    }
    m
}

/// `JMDB-VALUE <label>` then `DebugPrint: 0x...`: the values fixture's
/// tagged addresses.
pub fn value_addrs(c: &CoreCase) -> std::collections::BTreeMap<String, u64> {
    let m = labelled_addrs(c, "JMDB-VALUE ");
    assert!(m.len() > 50, "{}: stdout.txt has only {} DebugPrint addresses; regenerate: JMDB_FIXTURES=values bash testcores/generate", c.name(), m.len());
    m
}

/// A line diff, enough to see what changed.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => out.push_str(&format!("  {x}\n")),
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!("- {x}\n"));
                }
                if let Some(y) = y {
                    out.push_str(&format!("+ {y}\n"));
                }
            }
        }
    }
    out
}

/// Run jmdb with `cmd` set up by the caller, feeding `stdin`; the golden
/// record: stdout, `-- stderr --`, stderr, `-- exit N --`.
pub fn golden_record(mut cmd: std::process::Command, stdin: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .env("SHELL", "/bin/sh")
        .env("JMDB_HISTORY", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jmdb");
    if let Some(mut w) = child.stdin.take() {
        w.write_all(stdin.as_bytes()).expect("write commands");
    }
    let out = child.wait_with_output().expect("wait for jmdb");
    let mut rec = String::from_utf8_lossy(&out.stdout).into_owned();
    if !rec.is_empty() && !rec.ends_with('\n') {
        rec.push_str("\n-- (no newline at end of stdout) --\n");
    }
    rec.push_str("-- stderr --\n");
    let err = String::from_utf8_lossy(&out.stderr);
    rec.push_str(&err);
    if !err.is_empty() && !err.ends_with('\n') {
        rec.push('\n');
    }
    let code = out.status.code().map_or_else(|| "signal".to_string(), |c| c.to_string());
    rec.push_str(&format!("-- exit {code} --\n"));
    rec
}

/// Writable anonymous memory held in the core: where V8's heap lives.
pub fn heap_ranges(t: &jmdb::target::Target) -> Vec<(u64, u64)> {
    t.mappings()
        .into_iter()
        .filter(|m| m.path.is_none() && m.perms.starts_with("rw") && m.backing == jmdb::target::Backing::Core)
        .map(|m| (m.start, m.end))
        .collect()
}

/// The golden case files in `dir` (`tst.*`/`err.*` with `.cmds`) that
/// `listed` does not name: a case not listed would silently never run.
pub fn unlisted_cases(dir: &std::path::Path, listed: &[&str]) -> Vec<String> {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read cases dir") {
        let name = entry.expect("dir entry").file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".cmds") {
            assert!(stem.starts_with("tst.") || stem.starts_with("err."), "{name}: must start with tst. or err.");
            if !listed.contains(&stem) {
                missing.push(stem.to_string());
            }
        }
    }
    missing
}
