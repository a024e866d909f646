//! Garbage must not crash or hang any V8 decoder: every V8 dcmd is pointed
//! at random words of a real heap (values found in memory and addresses of
//! memory, both) and at non-objects, on every Node version. Each run must
//! end, within a time limit, with exit 0 or 1 and no panic.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jmdb::memory::Memory;
use jmdb::target::{Backing, OpenOptions, Target};

/// The V8 dcmds that take an address, with the arguments they need.
const DCMDS: &[&str] = &[
    "::jsprint",
    "::jsprint -a -d 5",
    "::jsconstructor",
    "::jsarray",
    "::jsfunction",
    "::jssource",
    "::jsclosure",
    "::nodebuffer",
    "::v8type",
    "::v8str -v",
    "::v8print",
    "::v8array",
    "::v8internal 0",
    "::v8context",
    "::v8scopeinfo",
    "::findjsobjects",
];

/// xorshift64*: deterministic, so a failure can be reproduced.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Random words from the core's anonymous rw memory (the V8 heap lives
/// there), as both the values stored and the addresses they sit at.
fn sample_words(core: &std::path::Path, n: usize, seed: u64) -> Vec<u64> {
    let t = Target::open(&OpenOptions { core: core.to_path_buf(), ..Default::default() }).expect("open core");
    let segs: Vec<_> = t
        .mappings()
        .into_iter()
        .filter(|m| m.backing == Backing::Core && m.perms == "rw-" && m.path.is_none())
        .collect();
    assert!(!segs.is_empty());
    let mut rng = Rng(seed | 1);
    let mut out = vec![0, 1, 2, 3, 0xdeadbeef, u64::MAX, u64::MAX - 6, 0x7fff_ffff_ffff];
    while out.len() < n {
        let m = &segs[(rng.next() % segs.len() as u64) as usize];
        let addr = (m.start + rng.next() % (m.end - m.start)) & !7;
        out.push(addr | 1); // as if it were a tagged pointer to there
        if let Ok(v) = t.read_u64(addr) {
            out.push(v);
        }
    }
    out
}

fn run_with_timeout(args: &[String], limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(common::jmdb_bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jmdb");
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            return (status.code(), err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (None, String::new());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn v8_dcmds_survive_garbage_on_every_node() {
    let cores = common::cores_for("values");
    assert!(!cores.is_empty(), "no values cores: run `bash testcores/generate`");
    for (i, c) in cores.iter().enumerate() {
        let words = sample_words(&c.core_path(), 120, 0x9e37_79b9_7f4a_7c15 ^ i as u64);
        for dcmd in DCMDS {
            // One jmdb per dcmd: a failing command does not stop the next.
            let script: String = words.iter().map(|w| format!("{w:x}{dcmd}\n")).collect();
            let args = vec!["-e".to_string(), script, c.core_path().display().to_string()];
            let (code, err) = run_with_timeout(&args, Duration::from_secs(60));
            assert!(code.is_some(), "{}: {dcmd} over random words did not finish in 60 s", c.name());
            assert!(!err.contains("panicked"), "{}: {dcmd} panicked:\n{err}", c.name());
            assert!(matches!(code, Some(0) | Some(1)), "{}: {dcmd} exited {code:?}:\n{err}", c.name());
        }
    }
}

/// A core whose binary has no V8 metadata still opens, and the V8 dcmds
/// say plainly why they can't work.
#[test]
fn core_without_v8_metadata() {
    let dir = std::env::temp_dir().join(format!("jmdb-nometa-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new("sleep").arg("60").spawn().expect("run sleep");
    let prefix = dir.join("core");
    let gcore = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(child.id().to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
    assert!(gcore.is_ok_and(|s| s.success()), "gcore (from gdb) is needed: apt-get install gdb");
    let core = dir.join(format!("core.{}", child.id()));
    let (code, out, err) = common::run_jmdb(&["-e", "::status; $C", core.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sleep"), "{out}");
    for dcmd in ["::v8metadata", "::findjsobjects", "1::jsprint"] {
        let (code, _out, err) = common::run_jmdb(&["-e", dcmd, core.to_str().unwrap()]);
        assert_eq!(code, 1, "{dcmd}: {err}");
        assert!(err.contains("postmortem metadata"), "{dcmd}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
