//! Golden tests of the V8 dcmds, one expected output shared by every Node.
//!
//! Each `tests/cases/v8/tst.NAME.cmds` (must exit 0) or `err.NAME.cmds`
//! (must exit non-zero) holds jmdb commands run on standard input against
//! the `values` core of every Node version (`common::cores_for("values")`).
//! `@label` stands for the tagged address V8's `%DebugPrint` gave that
//! label in the fixture's `stdout.txt` (`JMDB-VALUE label` then
//! `DebugPrint: 0x...`). A case naming a label that has no address on some
//! version (a SMI; a HeapNumber on Node 18/20, printed by value) is skipped
//! on that version only; every case must still run on at least 4 versions.
//!
//! The output is recorded as in `tests/golden.rs` (stdout, `-- stderr --`,
//! stderr, `-- exit N --`), then normalized: every hex address-like token
//! (`0x` and 6 or more hex digits, or a bare word of 9 or more hex digits)
//! becomes `ADDR`, and the fixture script's directory becomes `FIXTURES`.
//! Every version must match `NAME.out`.
//!
//! `JMDB_UPDATE=1 cargo test --test v8_golden` rewrites each `.out` from
//! the first version, then checks every version against it.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/v8")
}

/// Label → `0x...` address, for every label %DebugPrint printed with one.
/// Labels it printed without (SMIs, Node 18/20 HeapNumbers) are absent.
fn addresses(c: &CoreCase) -> BTreeMap<String, String> {
    let text = c.read("stdout.txt");
    let mut out = BTreeMap::new();
    let mut labels = 0;
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some(label) = l.strip_prefix("JMDB-VALUE ") else { continue };
        labels += 1;
        let Some(dp) = lines.next() else { break };
        let Some(rest) = dp.strip_prefix("DebugPrint: 0x") else { continue };
        let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        // `DebugPrint: 0x...: [Type]`; `DebugPrint: Smi: 0x2a (42)` has no address.
        if !hex.is_empty() && rest[hex.len()..].starts_with(':') {
            out.insert(label.trim().to_string(), format!("0x{hex}"));
        }
    }
    assert!(labels > 60 && out.len() > 60, "{}: stdout.txt has {labels} labels, {} addresses; regenerate: JMDB_FIXTURES=values bash testcores/generate", c.name(), out.len());
    out
}

/// Every label named in the fixture's stdout (with or without an address).
fn all_labels(c: &CoreCase) -> Vec<String> {
    c.read("stdout.txt").lines().filter_map(|l| l.strip_prefix("JMDB-VALUE ")).map(|l| l.trim().to_string()).collect()
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The `@label`s a case uses.
fn labels_in(cmds: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = cmds;
    while let Some(pos) = rest.find('@') {
        let after = &rest[pos + 1..];
        let label: String = after.chars().take_while(|&c| is_label_char(c)).collect();
        if !label.is_empty() && !out.contains(&label) {
            out.push(label.clone());
        }
        rest = &after[label.len()..];
    }
    out
}

/// The commands with each `@label` replaced by its address.
fn substitute(cmds: &str, addr: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = cmds;
    while let Some(pos) = rest.find('@') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let label: String = after.chars().take_while(|&c| is_label_char(c)).collect();
        match addr.get(&label) {
            Some(a) => out.push_str(a),
            None => {
                out.push('@');
                out.push_str(&label);
            }
        }
        rest = &after[label.len()..];
    }
    out.push_str(rest);
    out
}

/// Every hex address-like token becomes `ADDR`: `0x` followed by 6 or more
/// hex digits, or a bare word of 9 or more hex digits.
fn normalize(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        let at_word_start = i == 0 || !word(chars[i - 1]);
        if at_word_start && chars[i] == '0' && matches!(chars.get(i + 1), Some('x') | Some('X')) {
            let digits = chars[i + 2..].iter().take_while(|c| c.is_ascii_hexdigit()).count();
            if digits >= 6 {
                out.push_str("ADDR");
                i += 2 + digits;
                continue;
            }
        }
        if at_word_start && chars[i].is_ascii_hexdigit() {
            let len = chars[i..].iter().take_while(|&&c| word(c)).count();
            if len >= 9 && chars[i..i + len].iter().all(char::is_ascii_hexdigit) {
                out.push_str("ADDR");
                i += len;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Run one case's (substituted) commands on a core; its recorded form.
fn run(c: &CoreCase, cmds: &str) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jmdb"));
    cmd.arg(&c.node_binary).arg(c.core_path()).env("NO_COLOR", "1");
    let mut rec = common::golden_record(cmd, cmds);
    // The fixture's directory is where the cores were made, not a property of jmdb.
    if let Some(dir) = c.script.parent().map(|d| d.display().to_string()).filter(|d| d.len() > 1) {
        rec = rec.replace(&format!("{dir}/"), "FIXTURES/");
    }
    normalize(&rec)
}

fn check(name: &str) {
    let dir = cases_dir();
    let cmds_path = dir.join(format!("{name}.cmds"));
    let cmds = fs::read_to_string(&cmds_path).unwrap_or_else(|e| panic!("{}: {e}", cmds_path.display()));
    let used = labels_in(&cmds);
    let out_path = dir.join(format!("{name}.out"));
    let update = std::env::var_os("JMDB_UPDATE").is_some();
    let mut expected = if update {
        None
    } else {
        Some(
            fs::read_to_string(&out_path)
                .unwrap_or_else(|e| panic!("{}: {e} (create it with JMDB_UPDATE=1)", out_path.display())),
        )
    };
    let mut ran = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for c in cores_for("values") {
        let addr = addresses(&c);
        let known = all_labels(&c);
        for l in &used {
            assert!(known.contains(l), "{name}: @{l} is not a label of {}/stdout.txt", c.name());
        }
        // Skip only when a label genuinely has no %DebugPrint address here.
        if let Some(l) = used.iter().find(|l| !addr.contains_key(*l)) {
            skipped.push(format!("{} (@{l} has no address)", c.label));
            continue;
        }
        let actual = run(&c, &substitute(&cmds, &addr));
        assert!(!actual.contains("panicked"), "{name} on {}: jmdb panicked:\n{actual}", c.name());
        let code_line = actual.lines().last().unwrap_or_default().to_string();
        if name.starts_with("tst.") {
            assert_eq!(code_line, "-- exit 0 --", "{name} on {} must succeed:\n{actual}", c.name());
        } else {
            assert!(
                code_line != "-- exit 0 --" && code_line != "-- exit signal --",
                "{name} on {} must fail:\n{actual}",
                c.name()
            );
        }
        ran.push(c.label.clone());
        match &expected {
            None => {
                fs::write(&out_path, &actual).unwrap_or_else(|e| panic!("{}: {e}", out_path.display()));
                expected = Some(actual);
            }
            Some(want) if *want != actual => {
                failures.push(format!("--- {} ---\n{}", c.name(), common::line_diff(want, &actual)));
            }
            Some(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{name}: output differs from {}\n{}\n(rerun with JMDB_UPDATE=1 to accept)",
        out_path.display(),
        failures.join("\n")
    );
    assert!(ran.len() >= 4, "{name}: ran on only {ran:?}; skipped on {skipped:?}");
    eprintln!("{name}: ran on {}; skipped on {:?}", ran.join(" "), skipped);
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
    err_jsprint_one => "err.jsprint-one",
    err_jsprint_unknown_member => "err.jsprint-unknown-member",
    err_jsprint_unmapped => "err.jsprint-unmapped",
    tst_jsprint_zero => "tst.jsprint-zero",
    tst_jsarray_packedsmi => "tst.jsarray-packedSmi",
    tst_jsclosure_counter => "tst.jsclosure-counter",
    tst_jsconstructor_widget => "tst.jsconstructor-widget",
    tst_jsfunction_arrow => "tst.jsfunction-arrow",
    tst_jsfunction_bound => "tst.jsfunction-bound",
    tst_jsfunction_counter => "tst.jsfunction-counter",
    tst_jsfunction_namedfunction => "tst.jsfunction-namedFunction",
    tst_jsprint_accessors => "tst.jsprint-accessors",
    tst_jsprint_bignegative => "tst.jsprint-bigNegative",
    tst_jsprint_boxedstring => "tst.jsprint-boxedString",
    tst_jsprint_buffer => "tst.jsprint-buffer",
    tst_jsprint_cons => "tst.jsprint-cons",
    tst_jsprint_cyclic => "tst.jsprint-cyclic",
    tst_jsprint_date => "tst.jsprint-date",
    tst_jsprint_dictobject => "tst.jsprint-dictObject",
    tst_jsprint_errorwithcode => "tst.jsprint-errorWithCode",
    tst_jsprint_map => "tst.jsprint-map",
    tst_jsprint_members => "tst.jsprint-members",
    tst_jsprint_nested => "tst.jsprint-nested",
    tst_jsprint_promisefulfilled => "tst.jsprint-promiseFulfilled",
    tst_jsprint_proxy => "tst.jsprint-proxy",
    tst_jsprint_regexp => "tst.jsprint-regexp",
    tst_jsprint_set => "tst.jsprint-set",
    tst_jsprint_sparse => "tst.jsprint-sparse",
    tst_jsprint_twobyte => "tst.jsprint-twoByte",
    tst_jsprint_widget => "tst.jsprint-widget",
    tst_jsprint_numbers => "tst.jsprint-numbers",
    tst_v8array_packedsmi => "tst.v8array-packedSmi",
    tst_findjsobjects_widget => "tst.findjsobjects-widget",
    tst_jssource_arrow => "tst.jssource-arrow",
    tst_jssource_bound => "tst.jssource-bound",
    tst_jssource_counter => "tst.jssource-counter",
    tst_jssource_namedfunction => "tst.jssource-namedFunction",
    tst_nodebuffer_buffer => "tst.nodebuffer-buffer",
    tst_v8str_cons => "tst.v8str-cons",
    tst_v8type_widget => "tst.v8type-widget",
}

/// A case file that is not listed above would silently never run.
#[test]
fn every_case_file_is_listed() {
    let missing = common::unlisted_cases(&cases_dir(), CASES);
    assert!(missing.is_empty(), "add these cases to tests/v8_golden.rs: {missing:?}");
}

#[test]
fn normalize_addresses() {
    assert_eq!(normalize("0xbebba519939: x 0x2a 0x100000000"), "ADDR: x 0x2a ADDR");
    assert_eq!(normalize("[Object 0x1234abcd] deadbeef01 abc 2147483647 12345678"), "[Object ADDR] ADDR abc ADDR 12345678");
    assert_eq!(normalize("name_deadbeef01 x"), "name_deadbeef01 x");
    assert_eq!(substitute("@a::jsprint x@b @zz", &BTreeMap::from([("a".into(), "0x10".into()), ("b".into(), "0x20".into())])), "0x10::jsprint x0x20 @zz");
    assert_eq!(labels_in("@a::jsprint\n@b_c | @a"), ["a", "b_c"]);
}
