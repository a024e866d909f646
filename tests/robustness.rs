//! Bad input is normal for a debugger: each case here must give a clear
//! message and a best-effort answer, never a panic or a hang, and jmdb must
//! never write to the core.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jmdb-robust-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).expect("create scratch dir");
    d
}

fn no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "jmdb panicked:\n{stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "jmdb panicked:\n{stderr}");
}

fn sample() -> common::CoreCase {
    common::core("system", "abort")
}

#[test]
fn not_an_elf_file_exits_2() {
    let d = scratch("notelf");
    let p = d.join("core");
    fs::write(&p, b"this is not a core file at all\n").unwrap();
    let (code, out, err) = common::run_jmdb(&["-e", "::status", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert!(err.contains("not an ELF file"), "{err}");
}

#[test]
fn empty_file_exits_2() {
    let d = scratch("empty");
    let p = d.join("core");
    fs::write(&p, b"").unwrap();
    let (code, _out, err) = common::run_jmdb(&["-e", "::status", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn executable_instead_of_core_exits_2() {
    let c = sample();
    let (code, _out, err) = common::run_jmdb(&["-e", "::status", c.node_binary.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an ELF core file"), "{err}");
}

#[test]
fn missing_core_exits_2() {
    let (code, _out, err) = common::run_jmdb(&["-e", "::status", "/nonexistent/core.1"]);
    no_panic(&err);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/core.1"), "{err}");
}

fn truncated_copy(c: &common::CoreCase, len: usize, name: &str) -> PathBuf {
    let data = fs::read(c.core_path()).expect("read core");
    let d = scratch(name);
    let p = d.join("core");
    fs::write(&p, &data[..len.min(data.len())]).unwrap();
    p
}

#[test]
fn core_truncated_inside_headers_exits_2() {
    let c = sample();
    let p = truncated_copy(&c, 40, "trunc-hdr");
    let (code, _out, err) = common::run_jmdb(&["-e", "::status", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn core_truncated_midway_opens_with_warning() {
    let c = sample();
    let full = fs::metadata(c.core_path()).unwrap().len() as usize;
    for frac in [3usize, 2] {
        let p = truncated_copy(&c, full / frac, &format!("trunc-{frac}"));
        let (code, out, err) = common::run_jmdb(&["-e", "::status; $C; ::mappings -b partial", p.to_str().unwrap()]);
        no_panic(&err);
        assert!(err.contains("truncated"), "no truncation warning:\n{err}");
        assert!(out.contains(&format!("pid:          {}", c.pid)) || out.contains(&c.pid.to_string()), "{out}");
        assert!(code == 0 || code == 1, "code {code}: {err}");
    }
}

#[test]
fn core_truncated_to_notes_only() {
    // Only the headers and notes survive: threads and registers are known,
    // nothing else can be read.
    let c = sample();
    let p = truncated_copy(&c, 64 * 1024, "trunc-notes");
    let (code, out, err) = common::run_jmdb(&["-e", "::status; $C; <rsp/K", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 1, "reading the stack must fail: {out}\n{err}");
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn missing_executable_warns_and_carries_on() {
    let c = sample();
    let (code, out, err) = common::run_jmdb(&["-e", "::status; $C", "/nonexistent/node", c.core_path().to_str().unwrap()]);
    no_panic(&err);
    assert!(err.contains("/nonexistent/node"), "{err}");
    assert!(out.contains("NOT FOUND"), "{out}");
    assert!(code == 0 || code == 1, "{code} {err}");
}

#[test]
fn wrong_executable_warns_and_carries_on() {
    // A core of one Node major opened with another major's binary.
    let cores = common::all_cores();
    let a = cores.iter().find(|c| c.fixture == "abort").expect("an abort core");
    let b = cores
        .iter()
        .find(|c| c.fixture == "abort" && c.node_version != a.node_version)
        .expect("abort cores of two node versions");
    let (code, out, err) =
        common::run_jmdb(&["-e", "::status", b.node_binary.to_str().unwrap(), a.core_path().to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("differs"), "no mismatch warning:\n{err}");
    assert!(out.contains("DIFFERS"), "{out}");
}

/// Rewrite every occurrence of `from` in the core's notes with `to` (same
/// length): a core from a machine whose libraries we do not have.
fn core_with_renamed_path(c: &common::CoreCase, from: &str, to: &str, name: &str) -> PathBuf {
    assert_eq!(from.len(), to.len());
    let mut data = fs::read(c.core_path()).unwrap();
    let f = from.as_bytes();
    let mut i = 0;
    let mut n = 0;
    // The notes are at the start of the core; no need to scan it all.
    let limit = data.len().min(4 << 20);
    while i + f.len() <= limit {
        if &data[i..i + f.len()] == f {
            data[i..i + f.len()].copy_from_slice(to.as_bytes());
            n += 1;
            i += f.len();
        } else {
            i += 1;
        }
    }
    assert!(n > 0, "{from} not found in the core's notes");
    let d = scratch(name);
    let p = d.join("core");
    fs::write(&p, data).unwrap();
    p
}

#[test]
fn missing_libraries_warn_and_carry_on() {
    let c = sample();
    let p = core_with_renamed_path(&c, "libc.so.6", "libQ.so.6", "nolibc");
    let (code, out, err) = common::run_jmdb(&["-e", "::status; $C; ::mappings -f libQ", p.to_str().unwrap()]);
    no_panic(&err);
    assert!(err.contains("libQ.so.6"), "no warning naming the missing library:\n{err}");
    assert!(out.contains("libQ.so.6"), "{out}");
    assert!(code == 0 || code == 1, "{code}");
}

#[test]
fn sysroot_supplies_missing_libraries() {
    let c = sample();
    let p = core_with_renamed_path(&c, "libc.so.6", "libQ.so.6", "sysroot");
    let root = p.parent().unwrap().join("root");
    let libdir = Path::new("/usr/lib/x86_64-linux-gnu");
    fs::create_dir_all(root.join(libdir.strip_prefix("/").unwrap())).unwrap();
    fs::copy(libdir.join("libc.so.6"), root.join("usr/lib/x86_64-linux-gnu/libQ.so.6")).unwrap();
    let (code, out, err) =
        common::run_jmdb(&["--sysroot", root.to_str().unwrap(), "-e", "::mappings -f libQ", p.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("libQ.so.6"), "library still reported missing:\n{err}");
    assert!(out.contains("core+file") || out.contains("file"), "{out}");
}

#[test]
fn garbage_addresses_fail_cleanly() {
    let c = sample();
    let core = c.core_path();
    for cmd in ["0/K", "ffffffffffffffff/K", "fffffffffffffff8/2K", "deadbeef/s", "1234::dis", "0::mappings"] {
        let (code, _out, err) = common::run_jmdb(&["-e", cmd, core.to_str().unwrap()]);
        no_panic(&err);
        assert_ne!(code, 0, "{cmd} should fail");
        assert_ne!(code, 2, "{cmd} is not a usage error: {err}");
        assert!(err.contains("jmdb:"), "{cmd}: no message: {err}");
    }
    // ::whatis answers for any address, mapped or not.
    let (code, out, err) = common::run_jmdb(&["-e", "0::whatis", core.to_str().unwrap()]);
    no_panic(&err);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not in any mapping"), "{out}");
    let (code, _out, err) = common::run_jmdb(&["-e", "0/K", core.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("0x0") && err.contains("not mapped"), "{err}");
}

#[test]
fn never_writes_to_the_core() {
    let c = sample();
    let core = c.core_path();
    let before = fs::metadata(&core).unwrap();
    let (_code, _out, err) = common::run_jmdb(&["-e", "::status; $C; $m; ::threads", core.to_str().unwrap()]);
    no_panic(&err);
    let after = fs::metadata(&core).unwrap();
    assert_eq!(before.len(), after.len());
    assert_eq!(before.modified().unwrap(), after.modified().unwrap());
}
