//! Functions, closures, contexts and ScopeInfos on every Node version:
//! `::jsfunction`, `::jssource`, `::jsclosure`, `::v8context`,
//! `::v8scopeinfo` against the `closures` fixture.
//!
//! The fixture prints each labelled value as `@@ LABEL` then V8's own
//! `%DebugPrint` of it (stdout.txt): that gives the addresses. side.json
//! (`expected.functions.<label>`) says what each function is: its name,
//! kind, strictness, parameter count, the line and column of its text in
//! the fixture file and the text itself (Function.prototype.toString);
//! `expected.counter_vars`, `script_vars`, `wide_vars` what the closures
//! captured.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn closures_cores() -> Vec<CoreCase> {
    let cores = cores_for("closures");
    assert!(!cores.is_empty(), "no closures cores; run `bash testcores/generate`");
    cores
}

/// Label → tagged address, from the fixture's `@@ LABEL` + DebugPrint lines.
fn addresses(c: &CoreCase) -> BTreeMap<String, String> {
    let out = c.read("stdout.txt");
    let mut map = BTreeMap::new();
    let mut label: Option<String> = None;
    for line in out.lines() {
        if let Some(l) = line.strip_prefix("@@ ") {
            label = Some(l.trim().to_string());
        } else if let (Some(l), Some(rest)) = (label.as_ref(), line.strip_prefix("DebugPrint: ")) {
            let addr = rest.split(':').next().unwrap_or("").trim().to_string();
            assert!(addr.starts_with("0x"), "{}: bad DebugPrint line {line}", c.name());
            map.insert(l.clone(), addr);
            label = None;
        }
    }
    assert!(map.len() >= 18, "{}: only {} labelled values in stdout.txt", c.name(), map.len());
    map
}

/// What V8's DebugPrint said about a label (`context` → its address).
fn debugprint_field(c: &CoreCase, label: &str, field: &str) -> String {
    let out = c.read("stdout.txt");
    let start = out.find(&format!("@@ {label}\n")).unwrap_or_else(|| panic!("{}: no @@ {label}", c.name()));
    let body = &out[start..];
    let end = body[3..].find("\n@@ ").map(|i| i + 3).unwrap_or(body.len());
    let want = format!(" - {field}: ");
    body[..end]
        .lines()
        .find_map(|l| l.strip_prefix(&want))
        .unwrap_or_else(|| panic!("{}: DebugPrint of {label} has no {field}", c.name()))
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Run one command on a core; (stdout, stderr), asserting success.
fn run_ok(c: &CoreCase, cmd: &str) -> String {
    let (code, out, err) = run_jmdb(&["-e", cmd, c.core_path().to_str().unwrap()]);
    assert_eq!(code, 0, "{}: `{cmd}` failed: {err}\n{out}", c.name());
    assert!(err.is_empty(), "{}: `{cmd}` warned: {err}", c.name());
    out
}

/// The value after `key:` on the line that starts with it (indented).
fn field<'a>(out: &'a str, key: &str) -> Option<&'a str> {
    out.lines().find_map(|l| l.trim_start().strip_prefix(&format!("{key}:")).map(str::trim))
}

fn function_labels(c: &CoreCase) -> Vec<String> {
    let labels: Vec<String> = c
        .side
        .keys()
        .filter_map(|k| k.strip_prefix("expected.functions.")?.strip_suffix(".kind").map(str::to_string))
        .collect();
    assert!(labels.len() >= 16, "{}: side.json lists {} functions", c.name(), labels.len());
    labels
}

fn fexp(c: &CoreCase, label: &str, key: &str) -> String {
    c.expected(&format!("functions.{label}.{key}"))
        .unwrap_or_else(|| panic!("{}: side.json has no functions.{label}.{key}", c.name()))
        .to_string()
}

/// The script path the fixture ran as (the Script name V8 keeps).
fn script_path(c: &CoreCase) -> String {
    c.script.to_str().unwrap().to_string()
}

#[test]
fn jsfunction_names_kinds_parameters_and_definitions() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        for label in function_labels(&c) {
            let out = run_ok(&c, &format!("{}::jsfunction", addrs[&label]));
            let name = fexp(&c, &label, "name");
            let title = out.lines().next().unwrap_or("");
            // Inferred names: `<anonymous> (as Widget.spinAnon)` plus a line.
            let want_title = match c.expected(&format!("functions.{label}.inferred")) {
                Some(inf) => {
                    assert_eq!(field(&out, "inferred name"), Some(inf), "{} {label}:\n{out}", c.name());
                    format!("{}: function <anonymous> (as {inf})", addrs[&label])
                }
                None => format!("{}: function {name}", addrs[&label]),
            };
            assert_eq!(title, want_title, "{} {label}:\n{out}", c.name());
            let strict = if fexp(&c, &label, "strict") == "true" { "strict" } else { "sloppy" };
            let kind = format!("{}, {strict}", fexp(&c, &label, "kind"));
            assert_eq!(field(&out, "kind"), Some(kind.as_str()), "{} {label}:\n{out}", c.name());
            let at = format!("{}:{}:{}", script_path(&c), fexp(&c, &label, "line"), fexp(&c, &label, "column"));
            assert_eq!(field(&out, "defined at"), Some(at.as_str()), "{} {label}:\n{out}", c.name());
            assert_eq!(field(&out, "parameters"), Some(fexp(&c, &label, "params").as_str()), "{} {label}:\n{out}", c.name());
            // The closure context V8 itself printed.
            let ctx = debugprint_field(&c, &label, "context");
            assert_eq!(
                field(&out, "context").map(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()),
                Some(u64::from_str_radix(ctx.trim_start_matches("0x"), 16).unwrap()),
                "{} {label}:\n{out}",
                c.name()
            );
        }
    }
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("not hex: {s}"))
}

#[test]
fn jsfunction_shared_info_is_v8s() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        for label in function_labels(&c) {
            let out = run_ok(&c, &format!("{}::jsfunction", addrs[&label]));
            let sfi = field(&out, "shared info").unwrap_or_else(|| panic!("{} {label}: no shared info:\n{out}", c.name()));
            assert_eq!(hex(sfi), hex(&debugprint_field(&c, &label, "shared_info")), "{} {label}", c.name());
        }
    }
}

#[test]
fn jssource_prints_the_function_text_with_line_numbers() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        for label in function_labels(&c) {
            let text = fexp(&c, &label, "text");
            let line: u32 = fexp(&c, &label, "line").parse().unwrap();
            let col: usize = fexp(&c, &label, "column").parse().unwrap();
            let out = run_ok(&c, &format!("{}::jssource", addrs[&label]));
            let mut lines = out.lines();
            assert_eq!(lines.next(), Some(format!("file: {}", script_path(&c)).as_str()), "{} {label}", c.name());
            let body: Vec<(u32, String)> = lines
                .map(|l| {
                    let (n, t) = l.split_at(6);
                    (n.trim().parse().unwrap(), t.strip_prefix(' ').unwrap_or(t).to_string())
                })
                .collect();
            let want: Vec<&str> = text.split('\n').collect();
            assert_eq!(body.len(), want.len(), "{} {label}:\n{out}", c.name());
            for (i, (n, t)) in body.iter().enumerate() {
                assert_eq!(*n, line + i as u32, "{} {label}:\n{out}", c.name());
                if i == 0 {
                    // The first line is whole: the function text starts at its column.
                    let from: String = t.chars().skip(col - 1).collect();
                    assert!(from.starts_with(want[0]), "{} {label}: {t:?} at column {col} is not {:?}", c.name(), want[0]);
                } else if i + 1 == want.len() {
                    assert!(t.starts_with(want[i]), "{} {label}: {t:?} vs {:?}", c.name(), want[i]);
                } else {
                    assert_eq!(t, want[i], "{} {label}", c.name());
                }
            }
            // -n adds context lines on both sides.
            let out2 = run_ok(&c, &format!("{}::jssource -n 2", addrs[&label]));
            let nums: Vec<u32> = out2.lines().skip(1).map(|l| l[..6].trim().parse().unwrap()).collect();
            assert_eq!(nums.first(), Some(&(line - 2)), "{} {label}:\n{out2}", c.name());
            assert_eq!(nums.len(), want.len() + 4, "{} {label}:\n{out2}", c.name());
        }
    }
}

#[test]
fn bound_function_target_this_and_arguments() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let out = run_ok(&c, &format!("{}::jsfunction", addrs["bound"]));
        assert_eq!(out.lines().next(), Some(format!("{}: bound function bound inner", addrs["bound"]).as_str()), "{}:\n{out}", c.name());
        let target = field(&out, "target").unwrap();
        assert!(target.ends_with(": function inner"), "{}:\n{out}", c.name());
        assert_eq!(hex(target.split(':').next().unwrap()), hex(&debugprint_field(&c, "bound", "bound_target_function")), "{}", c.name());
        assert_eq!(hex(field(&out, "this").unwrap().split(':').next().unwrap()), hex(&debugprint_field(&c, "bound", "bound_this")), "{}", c.name());
        assert!(field(&out, "this").unwrap().ends_with(": Object"), "{}:\n{out}", c.name());
        assert_eq!(field(&out, "arguments"), Some("2"), "{}:\n{out}", c.name());
        assert_eq!(field(&out, "[0] 0x100000000"), Some("1"), "{}:\n{out}", c.name());
        let a1 = out.lines().find(|l| l.trim_start().starts_with("[1] ")).unwrap_or("");
        assert!(a1.ends_with(": \"two\""), "{}:\n{out}", c.name());
        assert_eq!(c.expected("bound.args.1"), Some("two"));
        // ::jssource and ::jsclosure follow a bound function to its target.
        let src = run_ok(&c, &format!("{}::jssource", addrs["bound"]));
        assert!(src.contains("function inner(a, b) { return a + b; }"), "{}:\n{src}", c.name());
    }
}

/// `"name": ADDR: VALUE` lines of ::jsclosure.
fn closure_vars(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix('"')?;
            let (name, rest) = rest.split_once("\": ")?;
            let (addr, val) = rest.split_once(": ")?;
            Some((name.to_string(), addr.to_string(), val.to_string()))
        })
        .collect()
}

fn smi_word(n: i64) -> String {
    format!("{:#x}", (n as u64) << 32)
}

#[test]
fn jsclosure_counter_variables_by_name_with_values() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let out = run_ok(&c, &format!("{}::jsclosure", addrs["counter"]));
        let vars = closure_vars(&out);
        let names: Vec<&str> = vars.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(names, ["start", "count", "label", "ratio", "settings"], "{}:\n{out}", c.name());
        for (name, addr, val) in &vars {
            let exp = c.expected(&format!("counter_vars.{name}"));
            match name.as_str() {
                "start" | "count" => {
                    let n: i64 = exp.unwrap().parse().unwrap();
                    assert_eq!((addr.as_str(), val.as_str()), (smi_word(n).as_str(), n.to_string().as_str()), "{} {name}", c.name());
                }
                "label" => assert_eq!(val, &format!("\"{}\"", exp.unwrap()), "{} {name}", c.name()),
                // a mutable double: a HeapNumber in a function context
                "ratio" => assert_eq!(val, exp.unwrap(), "{} {name}", c.name()),
                "settings" => {
                    assert_eq!(c.expected("counter_vars.settings.step"), Some("1"));
                    assert_eq!(val, "Object", "{} {name}", c.name());
                }
                _ => unreachable!(),
            }
        }
        // -a walks outward: the module's scope, whose variables include the
        // fixture's top-level functions.
        let all = run_ok(&c, &format!("{}::jsclosure -a", addrs["counter"]));
        let headers: Vec<&str> = all.lines().filter(|l| l.starts_with("context ")).collect();
        assert!(headers.len() >= 2, "{}:\n{all}", c.name());
        assert!(headers[0].ends_with("(function scope):"), "{}:\n{all}", c.name());
        assert!(all.contains("\"location\": ") && all.contains(": function location"), "{}:\n{all}", c.name());
    }
}

#[test]
fn jsclosure_script_context_and_context_cells() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let out = run_ok(&c, &format!("{}::jsclosure", addrs["scriptFn"]));
        let vars = closure_vars(&out);
        let names: Vec<&str> = vars.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(names, ["scriptSmi", "scriptDouble", "scriptInt", "scriptConst", "scriptObj"], "{}:\n{out}", c.name());
        let val = |n: &str| vars.iter().find(|v| v.0 == n).unwrap().2.clone();
        assert_eq!(val("scriptSmi"), c.expected("script_vars.scriptSmi").unwrap(), "{}", c.name());
        assert_eq!(val("scriptInt"), c.expected("script_vars.scriptInt").unwrap(), "{}", c.name());
        assert_eq!(val("scriptConst"), format!("\"{}\"", c.expected("script_vars.scriptConst").unwrap()), "{}", c.name());
        assert_eq!(val("scriptObj"), "Object", "{}", c.name());
        let dbl = c.expected("script_vars.scriptDouble").unwrap();
        let ctx = debugprint_field(&c, "scriptFn", "context");
        let cout = run_ok(&c, &format!("{ctx}::v8context"));
        assert!(cout.lines().next().unwrap().ends_with("SCRIPT_CONTEXT_TYPE, ") || cout.contains("SCRIPT_CONTEXT_TYPE"), "{}:\n{cout}", c.name());
        if c.node_major >= 26 {
            // V8 14 keeps script-level lets in ContextCells; a double unboxed.
            assert_eq!(val("scriptDouble"), format!("{dbl} (unboxed in ContextCell)"), "{}", c.name());
            assert!(cout.contains("ContextCell holding 2.25"), "{}:\n{cout}", c.name());
            assert!(cout.contains("ContextCell holding 0x600000000: 6"), "{}:\n{cout}", c.name());
            let si = field(&cout, "scope info").unwrap().split_whitespace().next().unwrap().to_string();
            let sout = run_ok(&c, &format!("{si}::v8scopeinfo"));
            assert_eq!(field(&sout, "context cells"), Some("yes"), "{}:\n{sout}", c.name());
        } else {
            assert_eq!(val("scriptDouble"), dbl, "{}", c.name());
            assert!(!cout.contains("ContextCell"), "{}:\n{cout}", c.name());
        }
    }
}

#[test]
fn scope_with_80_locals_names_from_the_hash_table() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let out = run_ok(&c, &format!("{}::jsclosure", addrs["wide"]));
        let vars = closure_vars(&out);
        assert_eq!(vars.len(), 80, "{}:\n{out}", c.name());
        for (i, (name, addr, val)) in vars.iter().enumerate() {
            let want = format!("v{i:02}");
            assert_eq!(name, &want, "{}", c.name());
            assert_eq!(c.expected(&format!("wide_vars.{want}")), Some(i.to_string().as_str()));
            assert_eq!((addr.as_str(), val.as_str()), (smi_word(i as i64).as_str(), i.to_string().as_str()), "{} {name}", c.name());
        }
        let ctx = debugprint_field(&c, "wide", "context");
        let cout = run_ok(&c, &format!("{ctx}::v8context"));
        let si = field(&cout, "scope info").unwrap().split_whitespace().next().unwrap().to_string();
        let sout = run_ok(&c, &format!("{si}::v8scopeinfo"));
        assert!(sout.lines().next().unwrap().ends_with("ScopeInfo, function scope, sloppy"), "{}:\n{sout}", c.name());
        let locals = field(&sout, "context locals").unwrap();
        assert!(locals.starts_with("80 (names in NameToIndexHashTable 0x"), "{}:\n{sout}", c.name());
        assert!(sout.contains("    v79      slot 81"), "{}:\n{sout}", c.name());
    }
}

#[test]
fn v8context_and_v8scopeinfo_of_a_function_context() {
    for c in closures_cores() {
        let ctx = debugprint_field(&c, "counter", "context");
        let out = run_ok(&c, &format!("{ctx}::v8context"));
        assert_eq!(out.lines().next(), Some(format!("{:#x}: FUNCTION_CONTEXT_TYPE, 7 slots", hex(&ctx)).as_str()), "{}:\n{out}", c.name());
        let slot_names: Vec<&str> = out
            .lines()
            .filter(|l| l.trim_start().starts_with('['))
            .map(|l| l.split_whitespace().nth(1).unwrap_or(""))
            .collect();
        assert_eq!(slot_names, ["scope_info", "previous", "start", "count", "label", "ratio", "settings"], "{}:\n{out}", c.name());
        assert!(out.contains("0x800000000: 8"), "{}:\n{out}", c.name());
        let prev = field(&out, "previous").unwrap();
        let pout = run_ok(&c, &format!("{prev}::v8context"));
        assert!(pout.lines().next().unwrap().ends_with("FUNCTION_CONTEXT_TYPE, 6 slots") || pout.contains("FUNCTION_CONTEXT_TYPE"), "{}:\n{pout}", c.name());

        let si = field(&out, "scope info").unwrap().split_whitespace().next().unwrap().to_string();
        let sout = run_ok(&c, &format!("{si}::v8scopeinfo"));
        assert!(sout.lines().next().unwrap().ends_with("ScopeInfo, function scope, sloppy"), "{}:\n{sout}", c.name());
        assert_eq!(field(&sout, "parameters"), Some("1"), "{}:\n{sout}", c.name());
        assert_eq!(field(&sout, "context locals"), Some("5 (names inline)"), "{}:\n{sout}", c.name());
        assert!(sout.contains("    settings slot 6"), "{}:\n{sout}", c.name());
        // makeCounter's own name and where it is in the file
        assert!(field(&sout, "function name").unwrap().starts_with("makeCounter "), "{}:\n{sout}", c.name());
        let pos = field(&sout, "positions").unwrap();
        let (a, b) = pos.split_once('-').unwrap();
        let src = std::fs::read_to_string(&c.script).unwrap();
        let decl = src.find("function makeCounter(start)").unwrap() + "function makeCounter".len();
        assert_eq!(a.parse::<usize>().unwrap(), decl, "{}:\n{sout}", c.name());
        assert!(src[..b.parse::<usize>().unwrap()].ends_with('}'), "{}:\n{sout}", c.name());
        assert!(field(&sout, "outer scope info").unwrap().starts_with("0x"), "{}:\n{sout}", c.name());
        assert_eq!(field(&sout, "extension slot"), Some("no"), "{}:\n{sout}", c.name());
    }
}

/// Run many commands in one jmdb with a time limit; (code, stdout, stderr).
fn run_batch(c: &CoreCase, cmds: &str, limit: Duration) -> (i32, String, String) {
    let mut child = Command::new(jmdb_bin())
        .args(["-e", cmds, c.core_path().to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jmdb");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{}: jmdb hung (> {limit:?}) on garbage input", c.name());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code().unwrap_or(-1), t_out.join().unwrap(), t_err.join().unwrap())
}

const DCMDS: [&str; 5] = ["jsfunction", "jssource", "jsclosure -a", "v8context", "v8scopeinfo"];

#[test]
fn garbage_addresses_error_cleanly() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        // Non-objects, misaligned and unmapped addresses, Smis, and objects
        // of the wrong kind (a string, a map, the counter's context given
        // to ::jsfunction, a function given to ::v8context).
        let inner = hex(&addrs["inner"]);
        let mut bad: Vec<u64> = vec![0, 1, 7, 0x100000000, 0xffff_ffff_ffff_ffff, 0xdead_beef_0001, inner + 8, inner - 1, inner + 0x1000];
        bad.push(hex(&debugprint_field(&c, "inner", "map")));
        bad.push(hex(&debugprint_field(&c, "inner", "shared_info")));
        for a in &bad {
            for d in DCMDS {
                let cmd = format!("{a:#x}::{d}");
                let (code, out, err) = run_jmdb(&["-e", &cmd, c.core_path().to_str().unwrap()]);
                assert_eq!(code, 1, "{}: `{cmd}` should fail cleanly: {out}{err}", c.name());
                assert!(err.starts_with("jmdb: ") && !err.contains("panicked"), "{}: `{cmd}`: {err}", c.name());
                assert!(out.is_empty(), "{}: `{cmd}` printed {out}", c.name());
            }
        }
        // The wrong object kinds say what they are.
        let ctx = debugprint_field(&c, "counter", "context");
        let (_, _, err) = run_jmdb(&["-e", &format!("{ctx}::jsfunction"), c.core_path().to_str().unwrap()]);
        assert!(err.contains("does not look like a JSFunction") && err.contains(&format!("{:#x}", hex(&ctx))), "{}: {err}", c.name());
        let (_, _, err) = run_jmdb(&["-e", &format!("{}::v8context", addrs["inner"]), c.core_path().to_str().unwrap()]);
        assert!(err.contains("does not look like a Context"), "{}: {err}", c.name());
        let (_, _, err) = run_jmdb(&["-e", &format!("{}::v8scopeinfo", addrs["inner"]), c.core_path().to_str().unwrap()]);
        assert!(err.contains("does not look like a ScopeInfo"), "{}: {err}", c.name());
        // No address: a usage error.
        let (code, _, err) = run_jmdb(&["-e", "::jsfunction", c.core_path().to_str().unwrap()]);
        assert_ne!(code, 0, "{}", c.name());
        assert!(err.contains("address"), "{}: {err}", c.name());
    }
}

#[test]
fn random_heap_words_never_crash_or_hang() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        // Every word of the heap around the fixture's objects, as is and
        // tagged: most are not functions or contexts; none may crash.
        let base = hex(&addrs["counter"]) & !7;
        let mut cmds = String::new();
        for i in 0..400u64 {
            let a = base.wrapping_sub(0x800).wrapping_add(i * 8) | 1;
            for d in DCMDS {
                cmds.push_str(&format!("{a:#x}::{d}\n"));
            }
            cmds.push_str(&format!("*{:#x}::jsfunction\n*{:#x}::v8context\n", a - 1, a - 1));
        }
        let (code, _out, err) = run_batch(&c, &cmds, Duration::from_secs(120));
        assert!(code == 0 || code == 1, "{}: exit {code}: {err}", c.name());
        assert!(!err.contains("panicked"), "{}: {err}", c.name());
    }
}

#[test]
fn builtins_api_functions_and_node_internals() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let core = c.core_path();
        let core = core.to_str().unwrap();
        for (label, kind) in [("push", "function, strict, V8 builtin"), ("dlopen", "C++ function (embedder API)")] {
            let name = c.expected(&format!("other_functions.{label}.name")).unwrap();
            assert_eq!(c.expected(&format!("other_functions.{label}.js_name")), Some(name));
            let out = run_ok(&c, &format!("{}::jsfunction", addrs[label]));
            assert_eq!(out.lines().next(), Some(format!("{}: function {name}", addrs[label]).as_str()), "{}:\n{out}", c.name());
            assert_eq!(field(&out, "kind"), Some(kind), "{}:\n{out}", c.name());
            assert_eq!(field(&out, "defined at"), Some("(no script)"), "{}:\n{out}", c.name());
            assert_eq!(field(&out, "parameters"), Some("any (not recorded)"), "{}:\n{out}", c.name());
            let (code, sout, err) = run_jmdb(&["-e", &format!("{}::jssource", addrs[label]), core]);
            assert_eq!((code, sout.as_str()), (1, ""), "{}: {err}", c.name());
            assert_eq!(err.trim(), format!("jmdb: {}: function {name} has no script", addrs[label]), "{}", c.name());
        }
        // A function of Node's own JS: its script is `node:path`.
        let out = run_ok(&c, &format!("{}::jsfunction", addrs["pathJoin"]));
        assert_eq!(out.lines().next(), Some(format!("{}: function join", addrs["pathJoin"]).as_str()), "{}:\n{out}", c.name());
        assert_eq!(field(&out, "kind"), Some("method, strict"), "{}:\n{out}", c.name());
        assert!(field(&out, "defined at").unwrap().starts_with("node:path:"), "{}:\n{out}", c.name());
        assert_eq!(c.expected("other_functions.pathJoin.script"), Some("node:path"));
        let src = run_ok(&c, &format!("{}::jssource", addrs["pathJoin"]));
        let mut lines = src.lines();
        assert_eq!(lines.next(), Some("file: node:path"), "{}:\n{src}", c.name());
        assert!(lines.next().unwrap().trim_start().contains("join(...args) {"), "{}:\n{src}", c.name());
        // bind of a bind
        let out = run_ok(&c, &format!("{}::jsfunction", addrs["boundTwice"]));
        assert_eq!(out.lines().next(), Some(format!("{}: bound function bound bound inner", addrs["boundTwice"]).as_str()), "{}:\n{out}", c.name());
        assert!(field(&out, "target").unwrap().ends_with(": function bound inner"), "{}:\n{out}", c.name());
        assert_eq!(field(&out, "this").map(|t| t.ends_with(": null")), Some(true), "{}:\n{out}", c.name());
        assert_eq!(field(&out, "[0] 0x300000000"), Some("3"), "{}:\n{out}", c.name());
    }
}

/// The context of `label`'s function and the decoded ScopeInfo of it:
/// (::v8context output, ::v8scopeinfo output).
fn context_and_scope(c: &CoreCase, label: &str) -> (String, String) {
    let ctx = debugprint_field(c, label, "context");
    let cout = run_ok(c, &format!("{ctx}::v8context"));
    let si = field(&cout, "scope info").unwrap().split_whitespace().next().unwrap().to_string();
    (cout, run_ok(c, &format!("{si}::v8scopeinfo")))
}

#[test]
fn eval_catch_block_and_module_scopes() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let value = |vars: &[(String, String, String)], n: &str| -> String {
            vars.iter().find(|v| v.0 == n).unwrap_or_else(|| panic!("{}: no variable {n} in {vars:?}", c.name())).2.clone()
        };
        // Sloppy eval: every variable is in the context, which has an
        // extension slot (the eval's `var`s) before the locals.
        let vars = closure_vars(&run_ok(&c, &format!("{}::jsclosure", addrs["evalClosure"])));
        for n in ["code", "evalVar"] {
            assert_eq!(value(&vars, n), format!("\"{}\"", c.expected(&format!("eval_vars.{n}")).unwrap()), "{}", c.name());
        }
        let (cout, sout) = context_and_scope(&c, "evalClosure");
        assert!(cout.lines().any(|l| l.trim_start().starts_with("[2] extension ")), "{}:\n{cout}", c.name());
        assert_eq!(field(&sout, "extension slot"), Some("yes"), "{}:\n{sout}", c.name());

        let vars = closure_vars(&run_ok(&c, &format!("{}::jsclosure", addrs["catchClosure"])));
        assert_eq!(vars.len(), 1, "{}: {vars:?}", c.name());
        assert_eq!((vars[0].0.as_str(), vars[0].2.as_str()), ("caught", c.expected("catch_vars.caught").unwrap()), "{}", c.name());
        let (cout, sout) = context_and_scope(&c, "catchClosure");
        assert!(cout.lines().next().unwrap().contains(": CATCH_CONTEXT_TYPE, "), "{}:\n{cout}", c.name());
        assert!(sout.lines().next().unwrap().contains("ScopeInfo, catch scope"), "{}:\n{sout}", c.name());

        let vars = closure_vars(&run_ok(&c, &format!("{}::jsclosure", addrs["blockClosure"])));
        assert_eq!(vars.len(), 1, "{}: {vars:?}", c.name());
        assert_eq!(vars[0].0, "blockVar", "{}", c.name());
        assert_eq!(vars[0].2, format!("\"{}\"", c.expected("block_vars.blockVar").unwrap()), "{}", c.name());
        let (cout, sout) = context_and_scope(&c, "blockClosure");
        assert!(cout.lines().next().unwrap().contains(": BLOCK_CONTEXT_TYPE, "), "{}:\n{cout}", c.name());
        assert!(sout.lines().next().unwrap().contains("ScopeInfo, block scope"), "{}:\n{sout}", c.name());

        // An ES module: a MODULE scope (whose layout moved in V8 12) and a
        // module context whose extension slot holds the module.
        let out = run_ok(&c, &format!("{}::jsfunction", addrs["modFn"]));
        let module = c.script.with_file_name("_closures_module.mjs");
        let at = format!("file://{}:{}:{}", module.display(), c.expected("module_fn.line").unwrap(), c.expected("module_fn.column").unwrap());
        assert_eq!(field(&out, "defined at"), Some(at.as_str()), "{}:\n{out}", c.name());
        assert_eq!(field(&out, "kind"), Some("function, strict"), "{}:\n{out}", c.name());
        assert_eq!(out.lines().next(), Some(format!("{}: function modFn", addrs["modFn"]).as_str()), "{}:\n{out}", c.name());
        let src = run_ok(&c, &format!("{}::jssource", addrs["modFn"]));
        let body: Vec<&str> = src.lines().skip(1).map(|l| &l[7..]).collect();
        assert_eq!(body.join("\n"), format!("export {}", c.expected("module_fn.text").unwrap()), "{}:\n{src}", c.name());
        let vars = closure_vars(&run_ok(&c, &format!("{}::jsclosure", addrs["modFn"])));
        let names: Vec<&str> = vars.iter().map(|v| v.0.as_str()).collect();
        assert_eq!(names, ["modCount", "modLabel"], "{}", c.name());
        assert_eq!(value(&vars, "modCount"), c.expected("module_vars.modCount").unwrap(), "{}", c.name());
        assert_eq!(value(&vars, "modLabel"), format!("\"{}\"", c.expected("module_vars.modLabel").unwrap()), "{}", c.name());
        let (cout, sout) = context_and_scope(&c, "modFn");
        assert!(cout.lines().next().unwrap().contains(": MODULE_CONTEXT_TYPE, 5 slots"), "{}:\n{cout}", c.name());
        assert!(cout.contains("[2] extension  "), "{}:\n{cout}", c.name());
        assert!(sout.lines().next().unwrap().ends_with("ScopeInfo, module scope, strict"), "{}:\n{sout}", c.name());
        assert_eq!(field(&sout, "context locals"), Some("2 (names inline)"), "{}:\n{sout}", c.name());
    }
}

/// The `values` fixture's functions (labelled `JMDB-VALUE <label>`): names
/// as V8 gives them, and the counter closure's captured variables.
#[test]
fn values_fixture_functions() {
    for c in cores_for("values") {
        let out = c.read("stdout.txt");
        let mut addrs = BTreeMap::new();
        let mut label: Option<String> = None;
        for line in out.lines() {
            if let Some(l) = line.strip_prefix("JMDB-VALUE ") {
                label = Some(l.trim().to_string());
            } else if let (Some(l), Some(rest)) = (label.take(), line.strip_prefix("DebugPrint: ")) {
                addrs.insert(l, rest.split(':').next().unwrap().trim().to_string());
            }
        }
        for l in ["widgetClass", "namedFunction", "arrow", "bound", "counter", "inferred"] {
            let a = addrs.get(l).unwrap_or_else(|| panic!("{}: no JMDB-VALUE {l} in stdout.txt", c.name()));
            let name = c.expected(&format!("values.{l}.name")).unwrap_or_else(|| panic!("{}: no values.{l}.name", c.name()));
            let out = run_ok(&c, &format!("{a}::jsfunction"));
            let title = out.lines().next().unwrap();
            match c.expected(&format!("values.{l}.inferred")) {
                Some(inf) => {
                    assert_eq!(name, "", "{}", c.name());
                    assert_eq!(title, format!("{a}: function <anonymous> (as {inf})"), "{}", c.name());
                }
                None if l == "bound" => assert_eq!(title, format!("{a}: bound function {name}"), "{}", c.name()),
                None => assert_eq!(title, format!("{a}: function {name}"), "{}", c.name()),
            }
        }
        let vars = closure_vars(&run_ok(&c, &format!("{}::jsclosure", addrs["counter"])));
        let get = |n: &str| vars.iter().find(|v| v.0 == n).map(|v| v.2.clone());
        assert_eq!(get("count"), c.expected("values.counter.captured_count").map(str::to_string), "{}: {vars:?}", c.name());
        assert_eq!(get("label"), c.expected("values.counter.captured_label").map(|s| format!("\"{s}\"")), "{}: {vars:?}", c.name());
    }
}

#[test]
fn pipelines_follow_functions_contexts_and_scopes() {
    for c in closures_cores() {
        let addrs = addresses(&c);
        let counter = &addrs["counter"];
        // The captured values, one address per line, into ::jsprint.
        let out = run_ok(&c, &format!("{counter}::jsclosure | ::jsprint"));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(&lines[..4], ["7", "8", "\"counter-label\"", "5"], "{}:\n{out}", c.name());
        assert!(out.contains("\"step\": 1"), "{}:\n{out}", c.name());
        // A function into a pipe gives its context; ::jsclosure takes it.
        let direct = run_ok(&c, &format!("{counter}::jsclosure"));
        assert_eq!(run_ok(&c, &format!("{counter}::jsfunction | ::jsclosure")), direct, "{}", c.name());
        let ctx = debugprint_field(&c, "counter", "context");
        assert_eq!(hex(run_ok(&c, &format!("{counter}::jsfunction")).lines().find(|l| l.contains("context:")).unwrap().split_whitespace().last().unwrap()), hex(&ctx));
        assert_eq!(run_ok(&c, &format!("{ctx}::v8context | ::head -n 2")).lines().count(), 2, "{}", c.name());
        // A bound function gives its target.
        let t = run_ok(&c, &format!("{}::jsfunction | ::jsfunction", addrs["bound"]));
        assert_eq!(t.lines().next(), Some(format!("{}: function inner", addrs["inner"]).as_str()), "{}:\n{t}", c.name());
        // A ScopeInfo gives its outer ScopeInfo: makeCounter's is the module wrapper's.
        let cout = run_ok(&c, &format!("{ctx}::v8context"));
        let si = field(&cout, "scope info").unwrap().split_whitespace().next().unwrap().to_string();
        let outer = run_ok(&c, &format!("{si}::v8scopeinfo | ::v8scopeinfo"));
        assert!(outer.lines().next().unwrap().ends_with("ScopeInfo, function scope, sloppy"), "{}:\n{outer}", c.name());
        assert!(outer.contains("    makeCounter "), "{}:\n{outer}", c.name());
    }
}

/// Node 18 and 20 keep a DebugInfo in place of the Script of a function
/// with a breakpoint (or coverage); the fixture sets one in `debugged`,
/// whose definition the main test finds all the same. Check that the
/// fixture really exercises that path.
#[test]
fn breakpointed_function_keeps_its_script() {
    for c in closures_cores().into_iter().filter(|c| c.node_major <= 20) {
        let addrs = addresses(&c);
        let sfi = debugprint_field(&c, "debugged", "shared_info");
        // script_or_debug_info is at 32 in V8 10.2 and 11.3 (metadata).
        let out = run_ok(&c, &format!("*({sfi}+0x1f)::v8type"));
        assert!(out.contains("DEBUG_INFO_TYPE"), "{}: {out}", c.name());
        let f = run_ok(&c, &format!("{}::jsfunction", addrs["debugged"]));
        let at = format!("{}:{}:1", script_path(&c), fexp(&c, "debugged", "line"));
        assert_eq!(field(&f, "defined at"), Some(at.as_str()), "{}:\n{f}", c.name());
    }
}
