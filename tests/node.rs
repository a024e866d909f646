//! The Node.js layer against what the fixtures recorded of themselves:
//! - handles: ::nodehandles / ::noderequests against
//!   process._getActiveHandles() / _getActiveRequests() (by type), the
//!   port the client socket talks to; ::nodeinfo against the process
//!   object's values in the side file; ::jserror on a kept Error; a
//!   derived class's instances named after it by ::findjsobjects;
//! - uncaught: ::jserror finds the exception in flight;
//! - abort: ::jserror says there is none;
//! - worker: ::nodeenvs lists both instances with their threads.

mod common;

use common::{CoreCase, run_jmdb};

fn jmdb(c: &CoreCase, cmd: &str) -> String {
    let (code, out, err) = run_jmdb(&["-e", cmd, c.core_path().to_str().unwrap()]);
    assert_eq!(code, 0, "{}: {cmd} failed: {err}\n{out}", c.name());
    out
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines().find_map(|l| l.strip_prefix(key)).map(str::trim).unwrap_or_else(|| panic!("no {key:?} line in:\n{out}"))
}

#[test]
fn handles_and_requests_are_the_ones_node_listed() {
    for c in common::cores_for("handles") {
        let out = jmdb(&c, "::nodehandles");
        let rows: Vec<&str> = out.lines().skip(1).filter(|r| !r.starts_with("- ")).collect();
        // Our handles are TCP wraps; node lists their owners.
        let mut owners: Vec<String> = rows
            .iter()
            .map(|r| {
                assert!(r.split_whitespace().nth(2) == Some("TCP"), "{}: {r}", c.name());
                r.split_whitespace().nth(3).unwrap_or("").to_string()
            })
            .collect();
        // The fixture's JS timers (no wraps): its interval, its timeout, and
        // the timeout whose callback was running the abort.
        let timers: Vec<&str> = out.lines().filter(|r| r.starts_with("- ")).collect();
        assert_eq!(timers.len(), 3, "{}:\n{out}", c.name());
        for want in ["timer: every 60000 ms; callback: <anonymous> (", "timer: once, after 120000 ms; callback: <anonymous> (", "timer: once, after 200 ms; callback: abortNow ("] {
            assert!(timers.iter().any(|t| t.contains(want) && t.contains("handles.js:")), "{}: {want}:\n{out}", c.name());
        }
        owners.sort();
        assert_eq!(owners, c.expected_list("active_handles"), "{}:\n{out}", c.name());
        assert!(out.contains("Server listening on 127.0.0.1, an ephemeral port"), "{}:\n{out}", c.name());
        let peer = c.expected("client_peer").unwrap();
        assert!(out.contains(&format!("Socket peer {peer}")), "{}: peer {peer}:\n{out}", c.name());
        assert!(out.contains("Socket (accepted by Server "), "{}:\n{out}", c.name());
        // Piped: the JS objects, which ::jsprint decodes.
        let objs = jmdb(&c, "::nodehandles | ::jsprint -d 0");
        assert_eq!(objs.matches("TCP {").count() + objs.matches("TCP {}").count(), 3, "{}:\n{objs}", c.name());
        assert_eq!(objs.matches("Timeout {").count(), 3, "{}:\n{objs}", c.name());

        let out = jmdb(&c, "::noderequests");
        let types: Vec<String> = out.lines().skip(1).map(|r| r.split_whitespace().nth(2).unwrap_or("").to_string()).collect();
        assert_eq!(types, c.expected_list("active_requests"), "{}:\n{out}", c.name());
        assert!(out.contains("callback: onFifoOpen (") && out.contains("handles.js:"), "{}:\n{out}", c.name());

        // Retainers: the server is held by its libuv handle (a root: native
        // code holds the TCP wrap's JS object).
        let server = jmdb(&c, "::findjsobjects -c Server");
        let server = server.lines().next().unwrap_or_else(|| panic!("{}: no Server group", c.name()));
        let ret = jmdb(&c, &format!("{server}::jsretainers -n 5"));
        assert!(ret.lines().any(|l| l == "[node handle] -> TCP.Symbol(owner_symbol)"), "{}:\n{ret}", c.name());

        let envs = jmdb(&c, "::nodeenvs");
        assert_eq!(envs.lines().count(), 2, "{}: one Environment:\n{envs}", c.name());
        assert!(envs.lines().nth(1).unwrap().ends_with(&format!("(tid {})", c.side("pid").unwrap())), "{}:\n{envs}", c.name());
    }
}

#[test]
fn nodeinfo_is_what_the_process_object_said() {
    for c in common::cores_for("handles") {
        let out = jmdb(&c, "::nodeinfo");
        let e = |k: &str| c.expected(&format!("process.{k}")).unwrap().to_string();
        assert_eq!(line(&out, "pid"), format!("{}  (ppid {})", e("pid"), e("ppid")), "{}", c.name());
        assert_eq!(line(&out, "platform"), format!("{} {}", e("platform"), e("arch")), "{}", c.name());
        assert_eq!(line(&out, "version "), e("version"), "{}", c.name());
        assert!(line(&out, "versions").contains(&format!("v8 {}", e("v8"))), "{}", c.name());
        assert!(line(&out, "versions").contains(&format!("uv {}", e("uv"))), "{}", c.name());
        assert_eq!(line(&out, "execPath"), e("execPath"), "{}", c.name());
        assert_eq!(line(&out, "argv"), c.side_list("expected.process.argv").join(" "), "{}", c.name());
        assert_eq!(line(&out, "cwd"), e("cwd"), "{}", c.name());
        assert!(line(&out, "instance").contains(&format!("(tid {})", e("pid"))), "{}", c.name());
        let marker = format!("JMDB_MARKER={}", e("env_JMDB_MARKER"));
        assert!(out.lines().any(|l| l.trim() == marker), "{}: {marker}:\n{out}", c.name());
        // -E: names only.
        let hidden = jmdb(&c, "::nodeinfo -E");
        assert!(hidden.lines().any(|l| l.trim() == "JMDB_MARKER"), "{}", c.name());
        assert!(!hidden.contains("jmdb-env-marker"), "{}", c.name());
    }
}

#[test]
fn jserror_prints_errors_and_the_exception_in_flight() {
    for c in common::cores_for("handles") {
        let all = jmdb(&c, "::jserror -a");
        let line = all.lines().find(|l| l.contains("ConfigError: cannot parse /etc/jmdb-demo.json")).unwrap_or_else(|| panic!("{}:\n{all}", c.name()));
        let addr = line.split_whitespace().next().unwrap();
        let one = jmdb(&c, &format!("{addr}::jserror"));
        assert!(one.contains("file: \"/etc/jmdb-demo.json\""), "{}:\n{one}", c.name());
        // The stack node formatted, frame by frame.
        let want: Vec<&str> = c.expected("error.stack").unwrap().lines().skip(1).map(str::trim).collect();
        let got: Vec<&str> = one.lines().filter(|l| l.trim_start().starts_with("at ")).map(str::trim).collect();
        assert_eq!(got, want, "{}:\n{one}", c.name());
        // Derived classes: named after themselves, not their base.
        let groups = jmdb(&c, "::findjsobjects");
        // (OBJECT #OBJECTS SIZE #PROPS CONSTRUCTOR: PROPS)
        let row = |name: &str| -> Option<(u64, u64)> {
            groups.lines().find(|l| l.ends_with(name)).map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[1].parse().unwrap(), w[2].parse().unwrap())
            })
        };
        let audit = row(" AuditRecord: id, audited").unwrap_or_else(|| panic!("{}:\n{}", c.name(), groups.lines().filter(|l| l.contains("Record")).collect::<Vec<_>>().join("\n")));
        assert_eq!(audit.0, 3, "{}", c.name());
        // SIZE: three objects of one map.
        assert!(audit.1 > 0 && audit.1 % 3 == 0, "{}: {audit:?}", c.name());
        assert_eq!(row(" BaseRecord: id").map(|r| r.0), Some(1), "{}", c.name());
        // The process died of process.abort(): nothing in flight.
        assert!(jmdb(&c, "::jserror").starts_with("no exception in flight"), "{}", c.name());
    }
    for c in common::cores_for("uncaught") {
        let out = jmdb(&c, "::jserror");
        assert!(out.starts_with("exception in flight (thread 1's stack"), "{}:\n{out}", c.name());
        assert!(out.lines().nth(1).is_some_and(|l| l.ends_with(" Error: boom")), "{}:\n{out}", c.name());
        // Its captured stack (never formatted: V8's call-site records) as
        // node printed the stack at the throw; the innermost frame differs
        // only in its column (where the Error was made vs thrown).
        let ours: Vec<&str> = out.lines().filter_map(|l| l.trim().strip_prefix("at ")).collect();
        let node = c.node_js_frames();
        assert_eq!(ours.len(), node.len().min(10), "{}:\n{out}", c.name());
        for (i, (o, (name, loc))) in ours.iter().zip(&node).enumerate() {
            let want = if name.is_empty() { loc.clone() } else { format!("{name} ({loc})") };
            if i == 0 {
                let cut = |s: &str| s.rsplit_once(':').map(|(a, _)| a.to_string()).unwrap_or_default();
                assert_eq!(cut(o), cut(&want), "{}: frame 0", c.name());
            } else {
                assert_eq!(*o, want, "{}: frame {i}", c.name());
            }
        }
    }
}

#[test]
fn workers_are_instances_of_their_own() {
    for c in common::cores_for("worker") {
        let out = jmdb(&c, "::nodeenvs");
        let rows: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(rows.len(), 2, "{}:\n{out}", c.name());
        for tid in [c.expected("main_tid").unwrap(), c.expected("worker.tid").unwrap()] {
            assert!(rows.iter().any(|r| r.ends_with(&format!("(tid {tid})"))), "{}: tid {tid}:\n{out}", c.name());
        }
        // One instance's handles, by its Environment.
        let env = rows[0].split_whitespace().next().unwrap();
        let one = jmdb(&c, &format!("{env}::nodehandles"));
        let all = jmdb(&c, "::nodehandles");
        assert!(one.lines().count() >= 2 && one.lines().count() < all.lines().count(), "{}:\n{one}\n{all}", c.name());
        // Each has its own process object.
        let info = jmdb(&c, "::nodeinfo -E");
        assert_eq!(info.matches("process object").count(), 2, "{}:\n{info}", c.name());
    }
}
