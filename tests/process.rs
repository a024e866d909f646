//! `::status` and `::mappings` against what the fixtures did and against
//! the core's own program headers (as readelf reads them).

mod common;

use std::process::Command;

fn signal_name(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        11 => "SIGSEGV",
        _ => "?",
    }
}

#[test]
fn status_reports_pid_signal_and_threads() {
    let cores = common::all_cores();
    assert!(!cores.is_empty());
    for c in &cores {
        let (code, out, err) = common::run_jmdb(&["-e", "::status", c.core_path().to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", c.dir.display());
        let field = |name: &str| -> String {
            out.lines()
                .find(|l| l.starts_with(&format!("{name}:")))
                .map(|l| l[name.len() + 1..].trim().to_string())
                .unwrap_or_else(|| panic!("{}: no {name} line in\n{out}", c.dir.display()))
        };
        assert!(field("pid").starts_with(&format!("{} ", c.pid)), "{}: {out}", c.dir.display());
        if c.kind == "kernel" {
            assert!(
                field("signal").starts_with(signal_name(c.exit_signal)),
                "{}: expected {} in\n{out}",
                c.dir.display(),
                signal_name(c.exit_signal)
            );
            assert!(field("core file").contains("kernel core"), "{out}");
        } else {
            assert!(field("core file").contains("gcore"), "{out}");
        }
        assert!(field("executable").contains("matches"), "{}: {out}", c.dir.display());
        let threads: usize = field("threads").parse().unwrap();
        assert!(threads >= 2, "node always has helper threads: {out}");
        // gcore records only the executable as the command line.
        if c.kind == "kernel" {
            assert!(field("command line").contains(&c.fixture), "{out}");
        }
    }
}

/// (vaddr, memsz, filesz) of every PT_LOAD, as readelf sees them.
fn readelf_loads(core: &std::path::Path) -> Vec<(u64, u64, u64)> {
    let out = Command::new("readelf").args(["-lW"]).arg(core).output().expect(
        "readelf is needed for this test: install binutils (apt-get install binutils)",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| l.trim_start().starts_with("LOAD"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let h = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
            (h(f[2]), h(f[5]), h(f[4]))
        })
        .collect()
}

#[test]
fn mappings_match_program_headers() {
    for c in common::all_cores().iter().filter(|c| c.fixture == "abort" || c.kind == "gcore") {
        let core = c.core_path();
        let loads = readelf_loads(&core);
        assert!(!loads.is_empty());
        let (code, out, err) = common::run_jmdb(&["-e", "::mappings", core.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let all: Vec<Vec<&str>> = out.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
        let starts: std::collections::HashSet<u64> = loads.iter().map(|l| l.0).collect();
        let (rows, extra): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|r| starts.contains(&u64::from_str_radix(r[0], 16).unwrap()));
        assert_eq!(rows.len(), loads.len(), "{}: one row per PT_LOAD", c.dir.display());
        // Rows beyond the program headers come from NT_FILE (gcore leaves
        // library text out) and are read from their files.
        for r in &extra {
            assert!(c.kind == "gcore", "{}: extra row {r:?} in a kernel core", c.dir.display());
            assert!(r.len() >= 6, "{r:?}"); // a file, or anon_inode:[io_uring] and the like
            assert!(["file", "missing"].contains(&r[4]), "{r:?}");
        }
        for ((vaddr, memsz, filesz), row) in loads.iter().zip(&rows) {
            let h = |s: &str| u64::from_str_radix(s, 16).unwrap();
            assert_eq!(h(row[0]), *vaddr);
            assert_eq!(h(row[1]), vaddr + memsz);
            assert_eq!(h(row[2]), *memsz);
            let backing = row[4];
            if *filesz == *memsz {
                assert_eq!(backing, "core", "{row:?}");
            } else if *filesz == 0 {
                assert!(["file", "missing", "noaccess"].contains(&backing), "{row:?}");
            }
        }
        // The executable's text is read from the file in a kernel core.
        if c.kind == "kernel" {
            assert!(out.lines().any(|l| l.contains(" file ") && l.contains("r-x")), "{out}");
        }
    }
}

#[test]
fn mapping_for_an_address_and_pipes() {
    let c = common::core("system", "abort");
    let core = c.core_path();
    let (code, out, err) = common::run_jmdb(&["-e", "<rsp::mappings", core.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("[stack of thread"), "{out}");
    let (code, out, _) = common::run_jmdb(&["-e", "::mappings -f node | ::eval .=K", core.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.lines().count() >= 3, "{out}");
}
