//! Golden tests of the command language, in the style of mdb's own suite.
//!
//! Each `tests/cases/lang/tst.NAME.cmds` must exit 0 and each
//! `err.NAME.cmds` must exit non-zero. The commands go to `jmdb` (no core)
//! on standard input, or, when the first line is `// mode: -e`, each other
//! line is passed as one `-e` argument. The expected result sits next to
//! the commands in `tst.NAME.out`: stdout, a `-- stderr --` line, stderr,
//! and `-- exit N --`.
//!
//! `JMDB_UPDATE=1 cargo test --test golden` rewrites the `.out` files.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/lang")
}

/// Run one case and return its recorded form.
fn run(cmds: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jmdb"));
    let stdin_text = if let Some(rest) = cmds.strip_prefix("// mode: -e\n") {
        for line in rest.lines().filter(|l| !l.trim().is_empty()) {
            cmd.arg("-e").arg(line);
        }
        String::new()
    } else {
        cmds.to_string()
    };
    common::golden_record(cmd, &stdin_text)
}

fn check(name: &str) {
    let dir = cases_dir();
    let cmds_path = dir.join(format!("{name}.cmds"));
    let cmds = fs::read_to_string(&cmds_path).unwrap_or_else(|e| panic!("{}: {e}", cmds_path.display()));
    let actual = run(&cmds);
    assert!(!actual.contains("panicked"), "{name}: jmdb panicked:\n{actual}");
    let code_line = actual.lines().last().unwrap_or_default().to_string();
    if name.starts_with("tst.") {
        assert_eq!(code_line, "-- exit 0 --", "{name} must succeed:\n{actual}");
    } else {
        assert!(code_line != "-- exit 0 --" && code_line != "-- exit signal --", "{name} must fail:\n{actual}");
    }
    let out_path = dir.join(format!("{name}.out"));
    if std::env::var_os("JMDB_UPDATE").is_some() {
        fs::write(&out_path, &actual).unwrap_or_else(|e| panic!("{}: {e}", out_path.display()));
        return;
    }
    let expected = fs::read_to_string(&out_path)
        .unwrap_or_else(|e| panic!("{}: {e} (create it with JMDB_UPDATE=1)", out_path.display()));
    if expected != actual {
        panic!(
            "{name}: output differs from {}\n{}\n(rerun with JMDB_UPDATE=1 to accept)",
            out_path.display(),
            common::line_diff(&expected, &actual)
        );
    }
}


macro_rules! cases {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($name);
            }
        )*
        const CASES: &[&str] = &[$($name),*];
    };
}

cases! {
    tst_numbers => "tst.numbers",
    tst_operators => "tst.operators",
    tst_formats => "tst.formats",
    tst_formats_list => "tst.formats-list",
    tst_count_dot => "tst.count-dot",
    tst_pipelines => "tst.pipelines",
    tst_words => "tst.words",
    tst_eval => "tst.eval",
    tst_help => "tst.help",
    tst_dcmds => "tst.dcmds",
    tst_quit => "tst.quit",
    tst_e_args => "tst.e-args",
    err_unknown_dcmd => "err.unknown-dcmd",
    err_usage => "err.usage",
    err_help_unknown => "err.help-unknown",
    err_divide_by_zero => "err.divide-by-zero",
    err_no_target => "err.no-target",
    err_syntax => "err.syntax",
    err_e_args => "err.e-args",
    err_pipe_not_address => "err.pipe-not-address",
}

/// A case file that is not listed above would silently never run.
#[test]
fn every_case_file_is_listed() {
    let missing = common::unlisted_cases(&cases_dir(), CASES);
    assert!(missing.is_empty(), "add these cases to tests/golden.rs: {missing:?}");
}
