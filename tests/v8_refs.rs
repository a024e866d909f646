//! "Who holds this object": `::jsfindrefs`, `::jsretainers`,
//! `::findjsobjects -m/-r`, `::v8whatis` and `::jsfunctions` against the
//! `refs` fixture on every Node version, and the retention shapes of the
//! `leaks` fixture (a suspended async function, a stack-held Map).
//!
//! The fixture builds known holder structures (a Map of Sessions, arrays
//! packed, holey and sparse, objects with in-object, out-of-object and
//! dictionary properties, a closure, a bound function, a Set, cons and
//! sliced strings), records in its side file which slots hold each
//! labelled value and the one path from a root to `lonely`, and prints each
//! value's address with %DebugPrint (`JMDB-REF label` then `DebugPrint:
//! 0x...`) on stdout.

mod common;

use std::collections::BTreeMap;

use common::*;

/// `JMDB-REF <label>` then `DebugPrint: 0x...`: the fixture's addresses.
fn ref_addrs(c: &CoreCase) -> BTreeMap<String, u64> {
    let m = labelled_addrs(c, "JMDB-REF ");
    let want = c.expected_list("labels");
    assert!(!want.is_empty(), "{}: side.json has no expected.labels; regenerate: JMDB_FIXTURES=refs bash testcores/generate --force", c.name());
    for l in &want {
        assert!(m.contains_key(l), "{}: stdout.txt has no address for {l}; regenerate: JMDB_FIXTURES=refs bash testcores/generate --force", c.name());
    }
    m
}

/// Rows of a holders table: (holder, type, slot).
fn rows(c: &CoreCase, cmd: &str, out: &str) -> Vec<(u64, String, String)> {
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("HOLDER") && header.contains("SLOT"), "{}: {cmd}: header {header:?} in\n{out}", c.name());
    lines
        .map(|l| {
            let mut w = l.split_whitespace();
            let a = w.next().and_then(|a| u64::from_str_radix(a, 16).ok()).unwrap_or_else(|| panic!("{}: {cmd}: bad row {l:?}", c.name()));
            let ty = w.next().unwrap_or_default().to_string();
            let slot: Vec<&str> = w.collect();
            (a, ty, slot.join(" "))
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn holders_retainers_and_functions() {
    for c in cores_for("refs") {
        let a = ref_addrs(&c);
        let holders_labels: Vec<String> = c
            .side
            .keys()
            .filter_map(|k| k.strip_prefix("expected.holders.")?.split_once('.').map(|(l, _)| l.to_string()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert!(holders_labels.len() >= 5, "{}: side.json lists holders for {holders_labels:?}", c.name());
        let by_string = c.side_objects("expected.by_string");
        let needle: String = by_string[0].iter().filter(|(k, _)| k.starts_with("parts.")).map(|(_, v)| v.as_str()).collect();
        let target = a["target"];
        let mut cmds: Vec<String> = holders_labels.iter().map(|l| format!("{:x}::jsfindrefs", a[l])).collect();
        let base = cmds.len();
        cmds.push(format!("{:x}::jsretainers", a["lonely"]));
        cmds.push(format!("{:x}::findjsobjects -m", target));
        cmds.push("::findjsobjects -r".into());
        cmds.push(format!("{:x}::v8whatis", target + 0x10));
        cmds.push("::jsfunctions -n touch -l".into());
        cmds.push(format!("::jsfunctions -x {:x}", a["closure"]));
        cmds.push(format!("::jsfindrefs -s {needle}"));
        cmds.push(format!("{:x}::jsfindrefs | ::jsprint -d 0", target));
        for (name, _) in c.side_objects("expected.by_name").iter().map(|o| (o["0"].clone(), o["1"].clone())) {
            cmds.push(format!("::jsfindrefs -n {name}"));
        }
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: exit {code}; stderr:\n{err}", c.name());

        // Each labelled value's holders: exactly the slots the fixture made.
        let mut context = None;
        for (i, l) in holders_labels.iter().enumerate() {
            let got = rows(&c, &cmds[i], &outs[i]);
            let slots = sorted(got.iter().map(|r| r.2.clone()).collect());
            let want = sorted(c.expected_list(&format!("holders.{l}")));
            assert_eq!(slots, want, "{}: {} ({l}):\n{}", c.name(), cmds[i], outs[i]);
            if l == "target" {
                context = got.iter().find(|r| r.2 == "Context.user").map(|r| r.0);
                // The holders' types: what they are, by constructor.
                for (_, ty, slot) in &got {
                    let want_ty = match slot.as_str() {
                        "Session.user" => "Session",
                        s if s.starts_with("(Array)") => "Array",
                        "Context.user" => "Context",
                        s if s.starts_with("(BoundFunction)") => "BoundFunction",
                        "Set entry" => "Set",
                        _ => "Object",
                    };
                    assert_eq!(ty, want_ty, "{}: holder type of {slot}:\n{}", c.name(), outs[i]);
                }
            }
        }

        // The closure's context holds the target as `user`, and the
        // closure holds its context.
        let ctx = context.unwrap_or_else(|| panic!("{}: no Context.user holder", c.name()));
        let (o2, code2, err2) = jmdb_each(&c, &[format!("{ctx:x}::jsfindrefs"), format!("{:x}::jsclosure", a["closure"])]);
        assert_eq!(code2, 0, "{}: {err2}", c.name());
        let ctx_rows = rows(&c, "ctx::jsfindrefs", &o2[0]);
        assert!(
            ctx_rows.iter().any(|r| r.0 == a["closure"] && r.2 == "(Function).context"),
            "{}: the closure {:x} should hold its context {ctx:x}:\n{}",
            c.name(),
            a["closure"],
            o2[0]
        );
        assert!(o2[1].contains(&format!("\"user\": {target:x}")) || o2[1].contains(&format!("{target:x}")), "{}: ::jsclosure:\n{}", c.name(), o2[1]);

        // The one path from a root to `lonely`.
        let want = c.expected("retainers.lonely").unwrap_or_else(|| panic!("{}: no expected.retainers.lonely", c.name()));
        assert_eq!(outs[base].trim_end(), want, "{}: {}", c.name(), cmds[base]);

        // -m / -r: the marked object's holders, as ::jsfindrefs gives them.
        assert_eq!(outs[base + 1].trim(), format!("findjsobjects: marked {target:x}"), "{}", c.name());
        assert_eq!(outs[base + 2], outs[holders_labels.iter().position(|l| l == "target").unwrap()], "{}: -r differs from ::jsfindrefs", c.name());

        // ::v8whatis of an interior address.
        // Then what its page's header says: a live object's page never
        // calls it dead.
        let w = outs[base + 3].trim();
        let head = format!("{:x} is {target:x}+0x10, a JS_OBJECT_TYPE (User), {} bytes", target + 0x10, whatis_size(w));
        let page = w.strip_prefix(&head).unwrap_or_else(|| panic!("{}: {w}\nwant {head}...", c.name()));
        let alive = ["", ", in the young generation", ", on an old page pending sweep, marked by the last full GC"];
        assert!(alive.contains(&page), "{}: {w}", c.name());

        // ::jsfunctions: touch(), defined once, one closure, at its line.
        let line = c.expected("touch_line").unwrap_or_else(|| panic!("{}: no expected.touch_line", c.name()));
        let f: Vec<&str> = outs[base + 4].lines().collect();
        assert!(f.len() == 3 && f[0].starts_with("FUNC"), "{}: ::jsfunctions -n touch -l:\n{}", c.name(), outs[base + 4]);
        let w: Vec<&str> = f[1].split_whitespace().collect();
        assert_eq!(w[0], format!("{:x}", a["closure"]), "{}: {}", c.name(), f[1]);
        assert_eq!(&w[1..3], &["1", "touch"], "{}: {}", c.name(), f[1]);
        assert!(w[3].ends_with("/refs.js") && w[4] == "line" && w[5] == line, "{}: {} (want refs.js line {line})", c.name(), f[1]);
        assert_eq!(f[2].trim(), format!("{:x}", a["closure"]), "{}", c.name());
        assert_eq!(outs[base + 5].lines().nth(1), Some(f[1]), "{}: -x of the closure", c.name());

        // -s: the holders of the string with that content.
        let want = by_string[0].iter().filter(|(k, _)| k.starts_with("holders.")).map(|(_, v)| v.clone()).collect();
        let got = sorted(rows(&c, &cmds[base + 6], &outs[base + 6]).into_iter().map(|r| r.2).collect());
        assert_eq!(got, sorted(want), "{}: {}", c.name(), cmds[base + 6]);

        // Into a pipe: bare holder addresses, each printed as a value.
        let n = c.expected_list("holders.target").len();
        assert!(outs[base + 7].lines().count() >= n - 1, "{}: jsfindrefs | jsprint:\n{}", c.name(), outs[base + 7]);

        // -n: the objects with a property of that name.
        for (i, o) in c.side_objects("expected.by_name").iter().enumerate() {
            let k = base + 8 + i;
            let got = rows(&c, &cmds[k], &outs[k]);
            assert_eq!(got.len().to_string(), o["1"], "{}: {}:\n{}", c.name(), cmds[k], outs[k]);
            assert!(got.iter().all(|r| r.2.ends_with(&format!(".{}", o["0"]))), "{}: {}:\n{}", c.name(), cmds[k], outs[k]);
        }
    }
}

/// The size ::v8whatis printed (a User's instance size differs by version).
/// The `leaks` fixture: a Job held only by an async function suspended at
/// an `await` (reached through the awaited promise's reaction, its resolve
/// functions' context and the await functions' context), and a Map that
/// both a live stack word and a named global hold (::jsretainers must not
/// stop at the stack, which names nothing).
#[test]
fn async_and_stack_retainers() {
    for c in cores_for("leaks") {
        let a = ref_addrs(&c);
        let (o, code, err) = jmdb_each(&c, &["::findjsobjects -p jmdbJobId | ::findjsobjects".into()]);
        assert_eq!(code, 0, "{}: {err}", c.name());
        let jobs: Vec<&str> = o[0].split_whitespace().collect();
        assert_eq!(jobs.len(), 1, "{}: one Job:\n{}", c.name(), o[0]);
        let job = u64::from_str_radix(jobs[0], 16).unwrap();
        let stacked = a["stacked"];
        let cmds = vec![
            format!("{job:x}::jsretainers"),
            format!("{job:x}::jsfindrefs"),
            format!("{stacked:x}::jsretainers"),
            format!("{stacked:x}::jsretainers -n 1"),
        ];
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: exit {code}; stderr:\n{err}", c.name());

        // The chain from the global Map through the promise to the saved
        // frame; either resolve function and either await function may be
        // the one named.
        let want = c.expected("retainers.job").unwrap_or_else(|| panic!("{}: no expected.retainers.job", c.name()));
        let norm = |l: &str| l.replace("Object.reject ", "Object.resolve ").replace("onRejected", "onFulfilled");
        assert!(outs[0].lines().any(|l| norm(l) == want), "{}: {}: want {want}:\n{}", c.name(), cmds[0], outs[0]);
        // Its only holder: the suspended async function's frame.
        let holders = rows(&c, &cmds[1], &outs[1]);
        assert!(!holders.is_empty(), "{}: {}", c.name(), outs[1]);
        for (_, ty, slot) in &holders {
            assert!(ty == "AsyncFunctionObject" && slot.starts_with("(Generator).registers["), "{}: {}:\n{}", c.name(), cmds[1], outs[1]);
        }
        // Which function is suspended, and what its frame holds.
        let (p, code, err) = jmdb_each(&c, &[format!("{:x}::jsprint -a -d 1", holders[0].0)]);
        assert_eq!(code, 0, "{}: {err}", c.name());
        let print = &p[0];
        assert!(
            print.starts_with(&format!("{:#x}: AsyncFunctionObject {{", holders[0].0)) && print.contains(": function runJob,") && print.contains(&format!("[frame]: [ {job:#x}: Job {{")),
            "{}: ::jsprint of the suspended function:\n{print}",
            c.name()
        );

        // The named chain is printed, and preferred to the stack's.
        let want = c.expected("retainers.stacked").unwrap_or_else(|| panic!("{}: no expected.retainers.stacked", c.name()));
        assert!(outs[2].lines().any(|l| l == want), "{}: {}: want {want}:\n{}", c.name(), cmds[2], outs[2]);
        assert_eq!(outs[3].trim_end(), want, "{}: {}", c.name(), cmds[3]);
    }
}

fn whatis_size(out: &str) -> String {
    out.split(", ").find(|s| s.ends_with(" bytes")).and_then(|s| s.split_whitespace().next()).unwrap_or("?").to_string()
}

#[test]
fn usage_errors() {
    let c = core("20", "refs");
    let (outs, code, err) = jmdb_each(&c, &["::jsfindrefs".to_string()]);
    assert_ne!(code, 0, "::jsfindrefs without an address must fail: {outs:?}");
    assert!(err.contains("give an address"), "{err}");
    let (_, code, err) = jmdb_each(&c, &["::findjsobjects -r".to_string()]);
    assert_ne!(code, 0);
    assert!(err.contains("no object is marked"), "{err}");
    let (_, code, err) = jmdb_each(&c, &["::jsretainers".to_string()]);
    assert_ne!(code, 0);
    assert!(err.contains("address"), "{err}");
}

/// In an interactive session the reference index is built in the
/// background after `::findjsobjects`; the first reference query then
/// takes it (waiting if it is not finished) and answers exactly as the
/// index built on demand does.
#[test]
fn background_index_answers_as_on_demand() {
    for c in cores_for("refs") {
        let a = ref_addrs(&c);
        let want = c.expected("retainers.lonely").unwrap_or_else(|| panic!("{}: no expected.retainers.lonely", c.name()));
        let mut s = jmdb::session::Session::new(Some(open(&c)), jmdb::dcmds::registry(), Box::new(std::io::sink()));
        s.interactive = true;
        let mut out = Vec::new();
        let o = jmdb::lang::exec::run(&mut s, "::findjsobjects", &mut out);
        assert!(!s.failed, "{}: ::findjsobjects: {o:?}", c.name());
        let mut out = Vec::new();
        jmdb::lang::exec::run(&mut s, &format!("{:x}::jsretainers", a["lonely"]), &mut out);
        assert!(!s.failed, "{}: ::jsretainers failed", c.name());
        assert_eq!(String::from_utf8_lossy(&out).trim_end(), want, "{}", c.name());
        let mut out = Vec::new();
        jmdb::lang::exec::run(&mut s, &format!("{:x}::jsfindrefs", a["target"]), &mut out);
        let slots = sorted(rows(&c, "jsfindrefs", &String::from_utf8_lossy(&out)).into_iter().map(|r| r.2).collect());
        assert_eq!(slots, sorted(c.expected_list("holders.target")), "{}", c.name());
    }
}
