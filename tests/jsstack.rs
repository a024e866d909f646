//! `::jsstack` against node's own stack traces on the same cores.
//!
//! - uncaught: node prints the JS stack at the throw (`FROM` in
//!   stderr.txt); every frame's name and `file:line:col` must be ours, in
//!   the same order, on every version.
//! - abort: the fixture's frames (`inner`, `Widget.spin`, `middle`,
//!   `outer`) by name and, where node printed its stack (Node 24+), by
//!   location; `-v` shows each frame's arguments.
//! - spin: the hot loop runs JIT code; its frames still name their
//!   functions and the walk reaches the module code.
//! - worker: `-A` decodes the worker thread's own isolate.
//! - a frame pointer that leads nowhere ends the walk with a note.

mod common;

use common::{CoreCase, run_jmdb};

fn jmdb(c: &CoreCase, cmd: &str) -> String {
    let (code, out, err) = run_jmdb(&["-e", cmd, c.core_path().to_str().unwrap()]);
    assert_eq!(code, 0, "{}: {cmd} failed: {err}\n{out}", c.name());
    out
}

/// The `js:` lines of a listing as (name, location), as node prints them.
fn js_frames(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| l.trim_start().strip_prefix("js:"))
        .map(|l| {
            let text = l.trim();
            let text = match text.rfind("  [") {
                Some(i) => &text[..i],
                None => text,
            };
            match text.rfind(" (") {
                Some(i) if text.ends_with(')') => (text[..i].to_string(), text[i + 2..text.len() - 1].to_string()),
                _ => (String::new(), text.to_string()),
            }
        })
        .collect()
}

#[test]
fn uncaught_stack_is_nodes() {
    for c in common::cores_for("uncaught") {
        let node = c.node_js_frames();
        assert!(node.len() >= 4, "{}: node printed no JS stack in stderr.txt", c.name());
        let ours = js_frames(&jmdb(&c, "::jsstack"));
        assert_eq!(ours, node, "{}: ::jsstack differs from node's printed stack", c.name());
        // The innermost frame is the one the side file recorded.
        let file = c.expected("js_stack.0.file").expect("side file has js_stack");
        assert!(ours[0].1.starts_with(file), "{}: {:?}", c.name(), ours[0]);
        assert_eq!(
            ours.iter().take(3).map(|f| f.0.clone()).collect::<Vec<_>>(),
            c.expected_list("js_names_qualified"),
            "{}",
            c.name()
        );
    }
}

#[test]
fn uncaught_arguments() {
    for c in common::cores_for("uncaught") {
        let out = jmdb(&c, "::jsstack -v -n 1");
        let want = [
            ("validateEntry", "arg0: ", "Object: Object"),
            ("parseSection", "arg0: ", "\"server\""),
            ("loadConfig", "arg0: ", "\"app.conf\""),
        ];
        for (func, arg, value) in want {
            let block = frame_block(&out, func).unwrap_or_else(|| panic!("{}: no {func} frame in\n{out}", c.name()));
            assert!(
                block.lines().any(|l| l.trim_start().starts_with(arg) && l.trim_end().ends_with(value)),
                "{}: {func} should show {arg}... {value}:\n{block}",
                c.name()
            );
            assert!(block.contains("this: ") && block.contains(" undefined"), "{}: strict {func}'s this:\n{block}", c.name());
            assert!(block.contains("file: /"), "{}: {func} file:\n{block}", c.name());
        }
        // The source excerpt marks the executing line: the throw.
        let block = frame_block(&out, "validateEntry").unwrap();
        let line = c.expected("js_stack.0.line").unwrap();
        assert!(
            block.lines().any(|l| l.trim_start().starts_with(&format!("> {line:>5}")) && l.contains("throw new Error('boom')")),
            "{}: excerpt should mark line {line}:\n{block}",
            c.name()
        );
    }
}

/// The lines of one JS frame in `-v` output: its `js:` line and the
/// indented lines after it.
fn frame_block<'a>(out: &'a str, func: &str) -> Option<String> {
    let mut lines = out.lines();
    while let Some(l) = lines.next() {
        if l.starts_with("js:") && (l.contains(&format!(" {func} (")) || l.contains(&format!(".{func} ("))) {
            let mut b = vec![l.to_string()];
            for m in lines.by_ref() {
                if !m.starts_with("          ") {
                    break;
                }
                b.push(m.to_string());
            }
            return Some(b.join("\n"));
        }
    }
    None
}

#[test]
fn abort_stack_names_and_arguments() {
    for c in common::cores_for("abort") {
        let out = jmdb(&c, "::jsstack");
        let ours = js_frames(&out);
        let names: Vec<String> = ours.iter().map(|f| f.0.clone()).collect();
        let want = c.expected_list("js_names_qualified");
        assert_eq!(names[..want.len()], want[..], "{}: {out}", c.name());
        assert_eq!(names.get(want.len()).map(String::as_str), Some("Object.<anonymous>"), "{}: module code", c.name());
        // Node 24+ print their own stack on process.abort(): the same places.
        let node = c.node_js_frames();
        if !node.is_empty() {
            let locs: Vec<&String> = ours.iter().map(|f| &f.1).take(node.len()).collect();
            let node_locs: Vec<&String> = node.iter().map(|f| &f.1).collect();
            assert_eq!(locs, node_locs, "{}", c.name());
        }
        let v = jmdb(&c, "::jsstack -v");
        for (func, args) in [("inner", vec!["84", "\"gizmo\""]), ("spin", vec!["42"]), ("middle", vec!["21"]), ("outer", vec!["20"])] {
            let block = frame_block(&v, func).unwrap_or_else(|| panic!("{}: no {func} frame", c.name()));
            for (i, a) in args.iter().enumerate() {
                assert!(
                    block.lines().any(|l| l.trim_start().starts_with(&format!("arg{i}: ")) && l.trim_end().ends_with(&format!(" {a}"))),
                    "{}: {func} arg{i} should be {a}:\n{block}",
                    c.name()
                );
            }
        }
        let spin = frame_block(&v, "spin").unwrap();
        assert!(spin.contains("Object: Widget"), "{}: Widget.spin's this:\n{spin}", c.name());
        // -f keeps one function's frames.
        let only = js_frames(&jmdb(&c, "::jsstack -f middle"));
        assert_eq!(only.len(), 1, "{}: {only:?}", c.name());
        assert_eq!(only[0].0, "middle");
    }
}

#[test]
fn spin_names_its_frames() {
    for c in common::cores_for("spin") {
        let out = jmdb(&c, "::jsstack");
        let names: Vec<String> = js_frames(&out).into_iter().map(|f| f.0).collect();
        let i = names.iter().position(|n| n == "main").unwrap_or_else(|| panic!("{}: no main frame:\n{out}", c.name()));
        assert_eq!(names.get(i + 1).map(String::as_str), Some("Object.<anonymous>"), "{}:\n{out}", c.name());
        // What runs above main is the hot loop's functions (or main itself,
        // when they are inlined into it).
        let inner = c.expected_list("js_names");
        for n in &names[..i] {
            assert!(inner.contains(n), "{}: unexpected frame {n}:\n{out}", c.name());
        }
        // The innermost frame is JIT code, found from the thread's context.
        let first = out.lines().find(|l| l.starts_with("js:")).unwrap();
        assert!(first.contains("[context"), "{}: {first}", c.name());
    }
}

/// The spin fixture's call sites (testcores/fixtures/spin.js): where
/// `main` calls `search` and `search` calls `evaluate`.
const SPIN_MAIN_CALL: &str = "spin.js:55:14";
const SPIN_SEARCH_CALL: &str = "spin.js:38:10";

#[test]
fn spin_optimized_frame_expands_its_inlined_functions() {
    for c in common::cores_for("spin") {
        let out = jmdb(&c, "::jsstack");
        let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("js:")).collect();
        let frames = js_frames(&out);
        let names: Vec<String> = frames.iter().map(|f| f.0.clone()).collect();
        let i = names.iter().position(|n| n == "main").unwrap_or_else(|| panic!("{}: no main frame:\n{out}", c.name()));
        // main is the physical frame: TurboFan code (on-stack replaced),
        // found from its Code object, at the line executing.
        assert!(lines[i].ends_with("[context turbofan]"), "{}: {}", c.name(), lines[i]);
        // (at the search call when anything is inlined above it)
        let line_of = |loc: &str| -> u32 { loc.rsplitn(3, ':').nth(1).and_then(|l| l.parse().ok()).unwrap_or(0) };
        if i >= 1 {
            assert!(frames[i].1.ends_with(SPIN_MAIN_CALL), "{}: {:?}", c.name(), frames[i]);
        } else {
            assert!((47..=73).contains(&line_of(&frames[i].1)), "{}: {:?}", c.name(), frames[i]);
        }
        // Above it, the functions inlined into it, innermost first, as
        // node would name them: a tail of mutualThreat, evaluate, search.
        let want = c.expected_list("js_names");
        assert_eq!(want.last().map(String::as_str), Some("main"), "{}", c.name());
        // Where the signal lands in main's code varies: in main itself (no
        // inlined frame), in search's part (search inlined), or, most of
        // the time, in evaluate's or mutualThreat's.
        assert!(i <= 3, "{}: more inlined frames than functions:\n{out}", c.name());
        assert_eq!(names[..=i], want[want.len() - 1 - i..], "{}:\n{out}", c.name());
        for k in 0..i {
            assert!(lines[k].ends_with("[context turbofan, inlined]"), "{}: {}", c.name(), lines[k]);
            assert!(!lines[k].contains("definition line"), "{}: {}", c.name(), lines[k]);
        }
        // Each inlined frame's line: search's call of evaluate when evaluate
        // is above it, else inside search (36-39); evaluate runs its loops
        // (26-33); mutualThreat its body (18-24).
        let line = |loc: &str| -> u32 { loc.rsplitn(3, ':').nth(1).and_then(|l| l.parse().ok()).unwrap_or(0) };
        if i >= 2 {
            assert!(frames[i - 1].1.ends_with(SPIN_SEARCH_CALL), "{}: {:?}", c.name(), frames[i - 1]);
            assert!((26..=33).contains(&line(&frames[i - 2].1)), "{}: {:?}", c.name(), frames[i - 2]);
        } else if i == 1 {
            assert!((36..=39).contains(&line(&frames[0].1)), "{}: {:?}", c.name(), frames[0]);
        }
        if i >= 3 {
            assert!((18..=24).contains(&line(&frames[i - 3].1)), "{}: {:?}", c.name(), frames[i - 3]);
        }
        // -v says what each inlined frame is inlined into.
        if i >= 1 {
            let v = jmdb(&c, "::jsstack -v -f search");
            assert!(v.contains("note: inlined into main"), "{}:\n{v}", c.name());
        }
        // fp::jsframe on main's frame pointer expands the same frames.
        let a = jmdb(&c, "::jsstack -a");
        let main_fp = a.lines().find(|l| l.contains(" js:     main (")).and_then(|l| l.split_whitespace().next()).unwrap();
        let one = js_frames(&jmdb(&c, &format!("{main_fp}::jsframe")).replace(&format!("{main_fp} "), ""));
        assert_eq!(one, frames[..=i], "{}", c.name());
    }
}

#[test]
fn worker_thread_decodes() {
    for c in common::cores_for("worker") {
        let tid = c.expected("worker.tid").expect("worker tid in side file");
        let out = jmdb(&c, &format!("::jsstack -t {tid}"));
        let names: Vec<String> = js_frames(&out).into_iter().map(|f| f.0).collect();
        let any = c.expected_list("worker.js_names_any");
        assert!(names.first().is_some_and(|n| any.contains(n)), "{}: worker frames {names:?}", c.name());
        for n in c.expected_list("worker.js_names_outer") {
            assert!(names.contains(&n), "{}: no {n} in {names:?}", c.name());
        }
        let all = jmdb(&c, "::jsstack -A");
        assert!(all.contains(&format!("(tid {tid})")), "{}", c.name());
        assert!(js_frames(&all).len() > names.len(), "{}: -A shows the main thread's frames too", c.name());
    }
}

#[test]
fn walker_and_jsframe_agree() {
    for c in common::cores_for("abort") {
        let fps = jmdb(&c, "::walk jsframe");
        let fps: Vec<&str> = fps.lines().collect();
        let all = js_frames(&jmdb(&c, "::jsstack"));
        assert_eq!(fps.len(), all.len(), "{}", c.name());
        let one = jmdb(&c, &format!("{}::jsframe", fps[1]));
        assert!(one.contains("Widget.spin (") || one.contains(" spin ("), "{}: {one}", c.name());
        assert!(one.contains("abort.js:21:12"), "{}: {one}", c.name());
    }
}

#[test]
fn bad_frame_pointers_end_with_a_note() {
    for c in common::cores_for("uncaught") {
        // A frame pointer into the middle of nowhere, and one in the stack
        // that is not a frame: the walk ends, saying why.
        for fp in ["0x10", "0x7fffffffe000"] {
            let out = jmdb(&c, &format!("{fp}::jsstack"));
            assert!(out.contains("-- stack walk ended early:"), "{}: {fp}::jsstack gave\n{out}", c.name());
        }
        let (code, _, err) = run_jmdb(&["-e", "0x10::jsframe", c.core_path().to_str().unwrap()]);
        assert!(code != 0 || !err.is_empty(), "{}: 0x10::jsframe must fail", c.name());
        assert!(!err.contains("panicked"), "{}: {err}", c.name());
    }
}

/// `file:line:col` without the column.
fn without_column(loc: &str) -> &str {
    loc.rsplit_once(':').map_or(loc, |(a, _)| a)
}

#[test]
fn jsframes_every_frame_kind_as_v8_names_it() {
    for c in common::cores_for("jsframes") {
        // -v shows every frame (the default collapses the recursion).
        let out = jmdb(&c, "::jsstack -v -n 0");
        let ours = js_frames(&out);
        let want = c.side_objects("expected.js_stack");
        assert!(want.len() > 60, "{}: side file js_stack too short", c.name());
        assert!(ours.len() >= want.len(), "{}: {} frames, V8 saw {}:\n{out}", c.name(), ours.len(), want.len());
        for (i, w) in want.iter().enumerate() {
            let (name, loc) = &ours[i];
            let text = if name.is_empty() { loc.clone() } else { format!("{name} ({loc})") };
            if i == 0 {
                // V8 recorded the here() call; the frame stopped at the
                // process.abort() call on the same line.
                assert_eq!(name, &w["name"], "{}: frame 0", c.name());
                assert_eq!(without_column(loc), format!("{}:{}", w["file"], w["line"]), "{}: frame 0", c.name());
            } else {
                assert_eq!(text, w["text"], "{}: frame {i}", c.name());
            }
        }
        // The deep recursion: every level is there; the default listing
        // shows the repeated line three times, then counts the rest.
        let depth: usize = c.expected("depth").unwrap().parse().unwrap();
        assert_eq!(ours.iter().filter(|f| f.0 == "recurse").count(), depth + 1, "{}", c.name());
        let short = jmdb(&c, "::jsstack");
        assert_eq!(js_frames(&short).iter().filter(|f| f.0 == "recurse").count(), 4, "{}:\n{short}", c.name());
        assert!(short.contains(&format!("        ({} more frames like the one above)", depth - 3)), "{}:\n{short}", c.name());
        // Frame types: a construct frame below `new Gadget`, the builtin
        // Array.prototype.map.
        let all = jmdb(&c, "::jsstack -a");
        assert!(all.contains("<ConstructFrame>") || all.contains("<FastConstructFrame>"), "{}:\n{all}", c.name());
        assert!(all.contains("js:     Array.map (<anonymous>)  [fp builtin ArrayMap]"), "{}:\n{all}", c.name());
        // Arguments.
        let v = jmdb(&c, "::jsstack -v -f strictEntry");
        assert!(v.lines().any(|l| l.trim().starts_with("arg0: ") && l.trim().ends_with(" 7")), "{}:\n{v}", c.name());
        let v = jmdb(&c, "::jsstack -v");
        let ctor = frame_block(&v, "Gadget").unwrap_or_else(|| panic!("{}: no new Gadget frame", c.name()));
        assert!(ctor.lines().any(|l| l.trim().starts_with("arg0: ") && l.ends_with(" \"gadget-7\"")), "{}:\n{ctor}", c.name());
        let build = frame_block(&v, "build").unwrap();
        assert!(build.lines().any(|l| l.trim().starts_with("this: ") && l.ends_with(" function Gadget")), "{}:\n{build}", c.name());
    }
}

#[test]
fn jsframe_at_garbage_fails_cleanly() {
    for c in common::cores_for("abort") {
        let fps = jmdb(&c, "::walk jsframe");
        let base = u64::from_str_radix(fps.lines().next().unwrap().trim_start_matches("0x"), 16).unwrap();
        // Words around a real frame, a heap-ish address, unmapped memory.
        let mut cmds = Vec::new();
        for d in [8u64, 16, 24, 40, 0x1000] {
            cmds.push(format!("{:#x}::jsframe -v", base + d));
            cmds.push(format!("{:#x}::jsframe -v", base - d));
        }
        cmds.push("0xdeadbeef0::jsframe".into());
        for cmd in &cmds {
            let (_, out, err) = run_jmdb(&["-e", cmd, c.core_path().to_str().unwrap()]);
            assert!(!err.contains("panicked"), "{}: {cmd}: {err}", c.name());
            assert!(out.len() < 100_000, "{}: {cmd} printed too much", c.name());
        }
        let (code, _, err) = run_jmdb(&["-e", "::jsstack -t 999999", c.core_path().to_str().unwrap()]);
        assert!(code != 0 || err.contains("no thread"), "{}: {err}", c.name());
    }
}

/// The tier a function of the tiers fixture ran in: what V8's
/// %ActiveTierIs* said in the side file, or (Node 18, which lacks them)
/// what the fixture forced.
fn tier_of(c: &CoreCase, f: &str) -> String {
    match c.expected(&format!("tier.{f}")) {
        Some(t) if t != "null" => t.to_string(),
        _ => match f {
            "base" => "baseline",
            "mag" | "turbo" => "turbofan",
            _ => "interpreted",
        }
        .to_string(),
    }
}

#[test]
fn tiers_every_tier_shows_its_executing_line_and_arguments() {
    for c in common::cores_for("tiers") {
        let out = jmdb(&c, "::jsstack");
        let ours = js_frames(&out);
        let want = c.side_objects("expected.js_stack");
        assert!(want.len() >= 6, "{}: side file js_stack too short", c.name());
        // Frame 0 stopped at process.abort(), V8 recorded here(): same
        // function, the caller frames exactly as V8 printed them.
        assert_eq!(ours[0].0, want[0]["name"], "{}:\n{out}", c.name());
        for (i, w) in want.iter().enumerate().skip(1) {
            let (name, loc) = &ours[i];
            let text = if name.is_empty() { loc.clone() } else { format!("{name} ({loc})") };
            assert_eq!(text, w["text"], "{}: frame {i}:\n{out}", c.name());
        }
        // Each function in the tier it ran in, none "definition line".
        let v = jmdb(&c, "::jsstack -v -n 0");
        for (f, arg) in [("leaf", 24), ("turbo", 8), ("mag", 9), ("base", 4), ("interp", 2)] {
            let block = frame_block(&v, f).unwrap_or_else(|| panic!("{}: no {f} frame:\n{v}", c.name()));
            let first = block.lines().next().unwrap();
            let tier = if matches!(f, "leaf" | "interp") { "interpreted".to_string() } else { tier_of(&c, f) };
            assert!(first.ends_with(&format!("[fp {tier}]")), "{}: {f} should be {tier}:\n{block}", c.name());
            assert!(block.lines().any(|l| l.trim().starts_with("arg0: ") && l.ends_with(&format!(" {arg}"))), "{}: {f} arg0:\n{block}", c.name());
            assert!(block.lines().any(|l| l.trim().starts_with("> ")), "{}: {f} has no executing line:\n{block}", c.name());
        }
    }
}

#[test]
fn overflow_walks_the_whole_recursion_to_its_start() {
    for c in common::cores_for("overflow") {
        // Node printed every frame of the overflowed stack; -v lists
        // every frame too, the same, to the module code at the bottom.
        let node = c.node_js_frames();
        assert!(node.len() > 1000, "{}: node printed {} frames", c.name(), node.len());
        let out = jmdb(&c, "::jsstack -v -n 0");
        assert!(!out.contains("stack walk ended early"), "{}: the walk was cut short", c.name());
        let ours = js_frames(&out);
        assert_eq!(ours, node, "{}: ::jsstack differs from node's printed stack", c.name());
        // The default listing counts the repeated frames.
        let short = jmdb(&c, "::jsstack");
        let n = ours.iter().filter(|f| f.0 == "down").count();
        let repeated = ours.iter().skip(1).filter(|f| f.0 == "down").count();
        assert!(n > 1000, "{}", c.name());
        assert!(short.contains(&format!("        ({} more frames like the one above)", repeated - 3)), "{}:\n{short}", c.name());
        assert!(short.lines().any(|l| l.starts_with("js:     Object.<anonymous> (") && l.contains("overflow.js:")), "{}:\n{short}", c.name());
    }
}
