//! `::jsprint` and friends on every value kind, on every Node version.
//!
//! The `values` fixture (testcores/fixtures/values.js) makes one value of
//! each kind and prints each with V8's own `%DebugPrint`, so `stdout.txt`
//! gives every value's tagged address (`JMDB-VALUE <label>` then
//! `DebugPrint: 0x...`). `side.env` records what each value is
//! (`expected.values.<label>.*`); the expected renderings are built from
//! those records (and, for composite literals, from the fixture's source).

mod common;

use std::collections::BTreeMap;

use common::*;

/// label → tagged address, from V8's %DebugPrint lines. SMIs (`Smi: 0x2a
/// (42)`) and, on Node 18, HeapNumbers (printed by value) have none.
fn addresses(c: &CoreCase) -> BTreeMap<String, u64> {
    let text = c.read("stdout.txt");
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let Some(label) = l.strip_prefix("JMDB-VALUE ") else { continue };
        let Some(dp) = lines.next() else { break };
        let Some(rest) = dp.strip_prefix("DebugPrint: 0x") else { continue };
        let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        if let Ok(a) = u64::from_str_radix(&hex, 16) {
            if !hex.is_empty() {
                out.insert(label.to_string(), a);
            }
        }
    }
    assert!(out.len() > 60, "{}: stdout.txt has only {} labelled addresses; regenerate: JMDB_FIXTURES=values bash testcores/generate", c.name(), out.len());
    out
}

/// Run many commands in one jmdb, each output separated. Returns per
/// command its stdout (trailing newline trimmed), and the whole stderr.
fn run_batch(c: &CoreCase, cmds: &[String]) -> (Vec<String>, String, i32) {
    const SEP: &str = "0x5eb5eb5eb=K";
    const SEP_OUT: &str = "5eb5eb5eb";
    let mut args: Vec<String> = Vec::new();
    for cmd in cmds {
        args.push("-e".into());
        args.push(cmd.clone());
        args.push("-e".into());
        args.push(SEP.into());
    }
    args.push(c.node_binary.display().to_string());
    args.push(c.core_path().display().to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run_jmdb(&refs);
    let mut parts = Vec::new();
    let mut cur = String::new();
    for line in out.lines() {
        if line.trim() == SEP_OUT {
            parts.push(cur.trim_end_matches('\n').to_string());
            cur.clear();
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    assert_eq!(parts.len(), cmds.len(), "{}: batch output lost its separators; stderr: {err}", c.name());
    assert!(!err.contains("panicked"), "{}: jmdb panicked: {err}", c.name());
    (parts, err, code)
}

fn indent4(s: &str) -> String {
    s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// A block as ::jsprint prints it: `head{` items one per line, each
/// followed by a comma, `}`; `head{}` when empty.
fn block(head: &str, open: &str, close: &str, items: &[String]) -> String {
    if items.is_empty() {
        return format!("{head}{open}{close}");
    }
    let mut s = format!("{head}{open}\n");
    for i in items {
        s.push_str(&indent4(i));
        if !i.starts_with("... ") {
            s.push(',');
        }
        s.push('\n');
    }
    s.push_str(close);
    s
}

fn obj(head: &str, items: &[(&str, String)]) -> String {
    let v: Vec<String> = items.iter().map(|(k, v)| format!("{}: {v}", quote(k))).collect();
    block(head, "{", "}", &v)
}

fn arr(items: &[String]) -> String {
    block("", "[", "]", items)
}

fn s(x: &str) -> String {
    x.to_string()
}

/// A JS string literal as ::jsprint (and JSON.stringify) writes it.
fn quote(x: &str) -> String {
    let mut o = String::from("\"");
    for ch in x.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn side_val(c: &CoreCase, label: &str, key: &str) -> String {
    c.expected(&format!("values.{label}.{key}"))
        .unwrap_or_else(|| panic!("{}: side.env has no expected.values.{label}.{key}; regenerate the values cores", c.name()))
        .to_string()
}

fn side_list(c: &CoreCase, label: &str, key: &str) -> Vec<String> {
    c.expected_list(&format!("values.{label}.{key}"))
}

/// The JSON text of a string as ::jsprint shows it: lone surrogates are
/// decoded as U+FFFD (JSON.stringify keeps them as `\udXXX` escapes).
fn json_as_printed(json: &str) -> String {
    let mut out = json.to_string();
    for hi in 0xd800..0xe000u32 {
        out = out.replace(&format!("\\u{hi:04x}"), "\u{fffd}");
    }
    out
}

/// (label, jsprint options, expected output) for every labelled value.
fn expectations(c: &CoreCase, addr: &BTreeMap<String, u64>) -> Vec<(String, String, String)> {
    let mut e: Vec<(String, String, String)> = Vec::new();
    let mut add = |label: &str, opts: &str, want: String| e.push((label.to_string(), opts.to_string(), want));
    let a = |l: &str| addr.get(l).copied().unwrap_or(0);

    for label in c.expected_list("labels") {
        let kind = side_val(c, &label, "kind");
        match kind.as_str() {
            "number" | "null" | "undefined" | "boolean" => add(&label, "", side_val(c, &label, "text")),
            "string" => {
                if let Some(json) = c.expected(&format!("values.{label}.json")) {
                    add(&label, "-N 100000", json_as_printed(json));
                } else {
                    let prefix = side_val(c, &label, "prefix_json");
                    let n = prefix.trim_matches('"').encode_utf16().count();
                    add(&label, &format!("-N {n}"), format!("{prefix}... (length {})", side_val(c, &label, "length")));
                }
            }
            "symbol" => add(&label, "", format!("Symbol({})", c.expected(&format!("values.{label}.description")).filter(|d| *d != "null").unwrap_or(""))),
            "bigint" => add(&label, "", format!("{}n", side_val(c, &label, "text"))),
            "date" => add(&label, "", format!("Date {} ({})", side_val(c, &label, "ms"), side_val(c, &label, "iso"))),
            "regexp" => add(&label, "", format!("/{}/{}", side_val(c, &label, "source"), side_val(c, &label, "flags"))),
            _ => {}
        }
    }

    // Objects: from the side file's keys and values where it has them,
    // else from the fixture's literals.
    let keys = side_list(c, "outOfObject", "keys");
    let vals = side_list(c, "outOfObject", "values");
    add("outOfObject", "", obj("", &keys.iter().map(String::as_str).zip(vals.iter().cloned()).collect::<Vec<_>>()));
    let keys = side_list(c, "doubleFields", "keys");
    let texts = side_list(c, "doubleFields", "texts");
    add("doubleFields", "", obj("", &keys.iter().map(String::as_str).zip(texts.iter().cloned()).collect::<Vec<_>>()));
    let keys = side_list(c, "numbers", "keys");
    let texts = side_list(c, "numbers", "texts");
    add("numbers", "", obj("", &keys.iter().map(String::as_str).zip(texts.iter().cloned()).collect::<Vec<_>>()));
    add(
        "fastObject",
        "",
        obj("", &[("alpha", s("1")), ("beta", quote("two")), ("gamma", s("3.5")), ("delta", s("null")), ("epsilon", s("undefined")), ("zeta", s("true"))]),
    );
    assert_eq!(side_list(c, "dictObject", "keys"), ["keep1", "keep2", "keep3"], "{}", c.name());
    add("dictObject", "", obj("", &[("keep1", s("1")), ("keep2", quote("x")), ("keep3", arr(&[s("1")]))]));
    add("manyProps", "-l 3", block("", "{", "}", &[s("\"k0\": 0"), s("\"k1\": 1"), s("\"k2\": 2"), s("... 1497 more properties")]));
    add("symbolKeyed", "", block("", "{", "}", &[s("\"regular\": 1"), s("[Symbol(symKey)]: \"by-symbol\"")]));
    add(
        "accessors",
        "",
        obj("", &[("plain", s("1")), ("getter", s("[Getter]")), ("setter", s("[Setter]")), ("both", s("[Getter/Setter]"))]),
    );
    add("nullProto", "", obj("", &[("only", quote("own"))]));
    add("indexedObject", "", obj("", &[("0", quote("zero")), ("1", quote("one")), ("name", quote("indexed"))]));
    add(
        "nested",
        "-d 3",
        obj("", &[("a", obj("", &[("b", arr(&[s("10"), obj("", &[("c", quote("deep"))])])), ("s", quote("str"))])), ("n", s("7"))]),
    );
    add("cyclic", "-d 50", obj("", &[("name", quote("cyclic")), ("self", format!("[Circular {:#x}]", a("cyclic")))]));
    add(
        "cycA",
        "-d 50",
        obj("", &[("name", quote("A")), ("b", obj("", &[("name", quote("B")), ("a", format!("[Circular {:#x}]", a("cycA")))]))]),
    );
    let widget = obj("Widget ", &[("name", quote("gizmo")), ("size", s("5"))]);
    add("widget", "", widget.clone());
    add("proxyTarget", "", obj("", &[("t", s("1"))]));
    add("privateFields", "", block("Secretive ", "{", "}", &[s("#secret: \"hidden\""), s("\"visible\": \"shown\"")]));
    add(
        "argumentsObject",
        "",
        block(
            "Arguments ",
            "{",
            "}",
            &[s("\"0\": \"arg0\""), s("\"1\": 1"), s("\"length\": 2"), s("\"callee\": [Getter/Setter]"), s("[Symbol(Symbol.iterator)]: [native accessor]")],
        ),
    );

    // Arrays.
    add("packedSmi", "", arr(&[s("1"), s("2"), s("3")]));
    add("packedDouble", "", arr(&[s("1.5"), s("2.5"), s("-3.25")]));
    add("holeySmi", "", arr(&[s("1"), s("hole"), s("3")]));
    add("holeyDouble", "", arr(&[s("1.5"), s("hole"), s("3.5")]));
    add("objectArray", "", arr(&[quote("a"), obj("", &[("k", s("1"))]), s("null"), arr(&[s("2")])]));
    add("sparse", "", arr(&[s("[0]: \"first\""), s("[100000]: 1")]));
    add("grown", "", arr(&[s("1"), s("2"), s("3"), s("4")]));
    add("emptyArray", "", s("[]"));
    add("lengthOnly", "", arr(&vec![s("hole"); side_val(c, "lengthOnly", "holes").parse().unwrap_or(0)]));
    let mut long: Vec<String> = (0..5).map(|i| i.to_string()).collect();
    long.push(s("... 195 more elements"));
    add("longArray", "-l 5", arr(&long));

    // Functions.
    add("widgetClass", "", s("class Widget"));
    add("namedFunction", "", s("function namedFunction"));
    add("arrow", "", s("function arrow"));
    add("counter", "", s("function counter"));
    add("inferred", "", format!("function {}", side_val(c, "inferred", "inferred")));
    add(
        "bound",
        "",
        block(
            "function bound namedFunction ",
            "{",
            "}",
            &[s("target: function namedFunction"), format!("this: {}", obj("", &[("self", s("1"))])), format!("args: {}", arr(&[quote("boundArg")]))],
        ),
    );

    // Collections.
    assert_eq!(side_val(c, "map", "size"), "3");
    add(
        "map",
        "",
        block("Map(3) ", "{", "}", &[s("\"one\" => 1"), s("\"three\" => 3"), format!("{widget} => \"widget-value\"")]),
    );
    add("set", "", block("Set(4) ", "{", "}", &[quote("red"), quote("green"), quote("blue"), s("42")]));
    let weak_key = obj("", &[("weak", quote("key"))]);
    add("weakMap", "", block("WeakMap ", "{", "}", &[format!("{weak_key} => \"weak-value\"")]));
    add("weakSet", "", block("WeakSet ", "{", "}", &[weak_key.clone()]));
    add("emptyMap", "", s("Map(0) {}"));

    // Errors, promises, proxies, wrappers.
    add(
        "errorWithCode",
        "",
        obj("Error ", &[("message", quote("boom message")), ("stack", s("<not yet formatted>")), ("code", quote("E_BOOM"))]),
    );
    add("errorUnformatted", "", obj("RangeError ", &[("message", quote("never formatted")), ("stack", s("<not yet formatted>"))]));
    add("promisePending", "", block("Promise ", "{", "}", &[s("<pending>")]));
    add("promiseFulfilled", "", block("Promise ", "{", "}", &[s("<fulfilled> 42")]));
    let rejected = obj("Error ", &[("message", quote(&side_val(c, "promiseRejected", "result_message"))), ("stack", s("<not yet formatted>"))]);
    add("promiseRejected", "", block("Promise ", "{", "}", &[format!("<rejected> {rejected}")]));
    add(
        "proxy",
        "",
        block("Proxy ", "{", "}", &[format!("target: {}", obj("", &[("t", s("1"))])), format!("handler: {}", obj("", &[("get", s("function get"))]))]),
    );
    for l in ["boxedNumber", "boxedString", "boxedBoolean", "boxedSymbol", "boxedBigInt"] {
        let t = match l {
            "boxedNumber" => "Number",
            "boxedString" => "String",
            "boxedBoolean" => "Boolean",
            "boxedSymbol" => "Symbol",
            _ => "BigInt",
        };
        add(l, "", format!("[{t}: {}]", side_val(c, l, "text")));
    }

    // Binary data.
    let hex = |l: &str| side_list(c, l, "bytes").iter().map(|b| format!("{:02x}", b.parse::<u8>().unwrap_or(0))).collect::<Vec<_>>().join(" ");
    add("arrayBuffer", "", format!("<ArrayBuffer {} bytes: {}>", side_val(c, "arrayBuffer", "length"), hex("arrayBuffer")));
    for l in ["uint8", "float64", "uint16View"] {
        let vals = side_list(c, l, "values");
        add(l, "", format!("{}({}) [ {} ]", side_val(c, l, "type"), side_val(c, l, "length"), vals.join(", ")));
    }
    let mut big: Vec<String> = vec![side_val(c, "bigTyped", "first")];
    big.extend((1..99).map(|_| s("0")));
    big.push(side_val(c, "bigTyped", "last"));
    add("bigTyped", "", format!("Int32Array(100) [ {} ]", big.join(", ")));
    add(
        "dataView",
        "",
        format!("<DataView {} bytes at offset {}: {}>", side_val(c, "dataView", "length"), side_val(c, "dataView", "offset"), hex("dataView")),
    );
    add("buffer", "", format!("<Buffer {} bytes: {}>", side_val(c, "buffer", "length"), hex("buffer")));
    e
}

/// The jsprint command for a label: its address, or for SMIs the tagged
/// value, or for HeapNumbers without an address (Node 18) the `numbers`
/// holder's property of the same name.
fn command(c: &CoreCase, addr: &BTreeMap<String, u64>, label: &str, opts: &str) -> Option<String> {
    if let Some(a) = addr.get(label) {
        return Some(format!("{a:#x}::jsprint {opts}"));
    }
    let text = c.expected(&format!("values.{label}.text"))?;
    if let Ok(n) = text.parse::<i64>() {
        if c.expected(&format!("values.{label}.kind")) == Some("number") && (-(1i64 << 31)..(1i64 << 31)).contains(&n) && label.starts_with("smi") {
            return Some(format!("{:#x}::jsprint {opts}", (n as u64) << 32));
        }
    }
    let holder = addr.get("numbers")?;
    let key = match label {
        "heapNumber" | "nan" | "minusZero" | "twoPow53" | "infinity" | "twoPow31" => label,
        _ => return None,
    };
    Some(format!("{holder:#x}::jsprint {opts} {key}"))
}

#[test]
fn every_value_prints_as_expected() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let exp = expectations(&c, &addr);
        let mut cmds = Vec::new();
        let mut wants = Vec::new();
        for (label, opts, want) in &exp {
            let Some(cmd) = command(&c, &addr, label, opts) else { continue };
            cmds.push(cmd);
            wants.push((label.clone(), want.clone()));
        }
        assert!(cmds.len() >= 90, "{}: only {} values to check", c.name(), cmds.len());
        let (outs, err, _) = run_batch(&c, &cmds);
        let mut bad = Vec::new();
        for ((label, want), (got, cmd)) in wants.iter().zip(outs.iter().zip(&cmds)) {
            if got != want {
                bad.push(format!("--- {label} ({cmd})\nwant:\n{want}\ngot:\n{got}"));
            }
        }
        assert!(bad.is_empty(), "{}: {} of {} values print wrong (stderr: {err}):\n{}", c.name(), bad.len(), cmds.len(), bad.join("\n"));
    }
}

#[test]
fn member_paths_select_parts() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let n = addr["nested"];
        let oa = addr["objectArray"];
        let m = addr["map"];
        let cmds = vec![
            format!("{n:#x}::jsprint a.b[1].c"),
            format!("{n:#x}::jsprint a.b[0]"),
            format!("{n:#x}::jsprint a.s n"),
            format!("{n:#x}::jsprint -b a.b[1].c"),
            format!("{oa:#x}::jsprint [1].k"),
            format!("{oa:#x}::jsprint [3][0]"),
            format!("{m:#x}::jsprint [1]"),
            format!("{n:#x}::jsprint -d 0"),
            format!("{:#x}::jsprint 'a[\"b\"][1].c'", n),
        ];
        let (outs, _, _) = run_batch(&c, &cmds);
        let want = [
            s("\"deep\""),
            s("10"),
            s("\"str\"\n7"),
            format!("{n:#x}.a.b[1].c: \"deep\""),
            s("1"),
            s("2"),
            s("3"),
            obj("", &[("a", format!("[Object {:#x}]", addr_of_path(&c, n, "a"))), ("n", s("7"))]),
            s("\"deep\""),
        ];
        for ((got, want), cmd) in outs.iter().zip(want.iter()).zip(&cmds) {
            assert_eq!(got, want, "{}: {cmd}", c.name());
        }
        // Paths that do not exist fail with a message naming the member.
        let bad = format!("{n:#x}::jsprint a.nothere");
        let (bin, core) = (c.node_binary.display().to_string(), c.core_path().display().to_string());
        let (code, out, err) = run_jmdb(&["-e", &bad, &bin, &core]);
        assert_ne!(code, 0, "{}: {bad} should fail", c.name());
        assert!(out.is_empty() && err.contains("nothere"), "{}: {bad}: out {out:?} err {err:?}", c.name());
    }
}

/// The tagged address a member path reaches, read with `::jsprint -a`.
fn addr_of_path(c: &CoreCase, base: u64, path: &str) -> u64 {
    let cmd = format!("{base:#x}::jsprint -a -d 0 {path}");
    let (outs, _, _) = run_batch(c, &[cmd.clone()]);
    let first = outs[0].lines().next().unwrap_or("");
    let hex = first.strip_prefix("0x").and_then(|r| r.split(':').next()).unwrap_or("");
    u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("{}: {cmd} printed no address: {first:?}", c.name()))
}

#[test]
fn cycles_terminate_at_any_depth() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let cmds: Vec<String> = ["cyclic", "cycA", "map", "nested"].iter().map(|l| format!("{:#x}::jsprint -d 1000 -l 1000", addr[*l])).collect();
        let (outs, _, _) = run_batch(&c, &cmds);
        assert!(outs[0].contains(&format!("[Circular {:#x}]", addr["cyclic"])), "{}: {}", c.name(), outs[0]);
        assert!(outs[1].contains(&format!("[Circular {:#x}]", addr["cycA"])), "{}: {}", c.name(), outs[1]);
        assert!(outs.iter().all(|o| o.lines().count() < 200), "{}: a cycle was followed", c.name());
    }
}

#[test]
fn constructor_array_buffer_and_walker_dcmds() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let cmds = vec![
            format!("{:#x}::jsconstructor", addr["widget"]),
            format!("{:#x}::jsconstructor", addr["fastObject"]),
            format!("{:#x}::jsconstructor", addr["packedSmi"]),
            format!("{:#x}::jsconstructor", addr["map"]),
            format!("{:#x}::jsconstructor", addr["buffer"]),
            format!("{:#x}::jsconstructor | ::jsprint", addr["widget"]),
            format!("{:#x}::jsarray", addr["packedSmi"]),
            format!("{:#x}::jsarray -i", addr["holeySmi"]),
            format!("{:#x}::jsarray", addr["packedDouble"]),
            format!("{:#x}::jsarray | ::jsprint", addr["objectArray"]),
            format!("{:#x}::walk jsprop | ::jsprint", addr["widget"]),
            format!("{:#x}::walk jselement | ::jsprint", addr["packedSmi"]),
            format!("{:#x}::nodebuffer -v", addr["buffer"]),
        ];
        let (outs, err, _) = run_batch(&c, &cmds);
        let n = c.name();
        assert_eq!(outs[0], "Widget", "{n}");
        assert_eq!(outs[1], "Object", "{n}");
        assert_eq!(outs[2], "Array", "{n}");
        assert_eq!(outs[3], "Map", "{n}");
        assert_eq!(outs[4], "Buffer", "{n}");
        assert_eq!(outs[5], "class Widget", "{n}");
        assert_eq!(outs[6], "0x100000000\n0x200000000\n0x300000000", "{n}");
        assert_eq!(outs[7], "[0] 0x100000000\n[1] hole\n[2] 0x300000000", "{n}");
        assert_eq!(outs[8], "1.5\n2.5\n-3.25", "{n}");
        assert_eq!(outs[9], format!("\"a\"\n{}\nnull\n{}", obj("", &[("k", s("1"))]), arr(&[s("2")])), "{n}");
        assert_eq!(outs[10], "\"gizmo\"\n5", "{n}");
        assert_eq!(outs[11], "1\n2\n3", "{n}");
        // The Buffer's bytes, read from its native storage.
        let lines: Vec<&str> = outs[12].lines().collect();
        assert!(lines.len() >= 3 && lines[0].starts_with("0x") && lines[1] == "5 bytes", "{n}: {} (stderr {err})", outs[12]);
        assert!(lines[2].contains("68 65 6c 6c 6f") && lines[2].ends_with("hello"), "{n}: {}", lines[2]);
    }
}

/// Garbage never panics or hangs: unmapped and misaligned addresses, words
/// inside objects, non-objects, fail cleanly or print what they find.
#[test]
fn garbage_addresses_fail_cleanly() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let mut targets: Vec<u64> = vec![0x1, 0x9, 0x12345679, 0xffff_ffff_ffff_fff1, 0x7fff_0000_0001];
        for (i, a) in addr.values().enumerate() {
            if i % 3 == 0 {
                targets.extend([a + 8, a + 16, a + 0x28, a.wrapping_sub(8), a + 0x1000, a ^ 0x40]);
            }
        }
        // Every word stored in (and after) some of the objects: pointers,
        // Smis, raw doubles, characters.
        let dumps: Vec<String> = addr.values().step_by(7).map(|a| format!("{:#x},20/K", a - 1)).collect();
        let (dumped, _, _) = run_batch(&c, &dumps);
        for text in &dumped {
            for w in text.split_whitespace().filter(|w| !w.ends_with(':')) {
                if let Ok(v) = u64::from_str_radix(w, 16) {
                    targets.push(v);
                }
            }
        }
        targets.sort();
        targets.dedup();
        assert!(targets.len() > 200, "{}: only {} garbage targets", c.name(), targets.len());
        let mut cmds = Vec::new();
        for t in &targets {
            for d in ["::jsprint -d 5", "::jsconstructor -v", "::jsarray", "::nodebuffer -v", "::walk jsprop", "::walk jselement"] {
                cmds.push(format!("{t:#x}{d}"));
            }
        }
        let start = std::time::Instant::now();
        let (_, err, code) = run_batch(&c, &cmds);
        assert!(code == 0 || code == 1, "{}: exit status {code}: {err}", c.name());
        assert!(start.elapsed().as_secs() < 120, "{}: garbage took {:?}", c.name(), start.elapsed());
        // A non-object address is refused with the address in the message.
        let (bin, core) = (c.node_binary.display().to_string(), c.core_path().display().to_string());
        let (code, out, err) = run_jmdb(&["-e", "0x12345679::jsprint", &bin, &core]);
        assert_eq!(code, 1, "{}: {out}", c.name());
        assert!(err.contains("0x12345678") || err.contains("0x12345679"), "{}: {err}", c.name());
    }
}

#[test]
fn global_object_and_native_wrappers() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let cmds = vec![format!("{:#x}::jsprint -d 0 -l 10000", addr["global"]), format!("{:#x}::jsprint -d 0", addr["zlibHandle"])];
        let (outs, err, _) = run_batch(&c, &cmds);
        let n = c.name();
        let global = &outs[0];
        assert!(global.starts_with("global {\n    \"Object\": [function Object 0x"), "{n}: {global} ({err})");
        assert!(global.lines().any(|l| l.starts_with("    \"jmdbValues\": [Object 0x")), "{n}: no jmdbValues in {global}");
        // The native wrapper shows its internal fields (C++ pointers raw,
        // JS values decoded) and its JS properties.
        let zlib = &outs[1];
        let ctor = side_val(&c, "zlibHandle", "constructor");
        assert!(zlib.starts_with(&format!("{ctor} {{\n    [internal fields]: [ 0x")), "{n}: {zlib}");
        assert!(zlib.contains("[function processCallback 0x") && zlib.contains("\"onerror\": [function zlibOnError 0x"), "{n}: {zlib}");
        // The same fields %DebugPrint lists (`embedder fields: N`).
        let dp = c.read("stdout.txt");
        let section = dp.split("JMDB-VALUE zlibHandle\n").nth(1).unwrap_or("");
        let count: usize = section
            .lines()
            .find_map(|l| l.trim().strip_prefix("- embedder fields: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{n}: no embedder field count in %DebugPrint"));
        let fields = zlib.lines().nth(1).unwrap_or("");
        assert_eq!(fields.matches(", ").count() + 1, count, "{n}: {fields}");
    }
}

#[test]
fn addresses_with_a() {
    for c in cores_for("values") {
        let addr = addresses(&c);
        let w = addr["widget"];
        let cmds = vec![format!("{w:#x}::jsprint -a")];
        let (outs, _, _) = run_batch(&c, &cmds);
        let first = outs[0].lines().next().unwrap_or("");
        assert_eq!(first, format!("{w:#x}: Widget {{"), "{}", c.name());
        assert!(outs[0].lines().nth(1).is_some_and(|l| l.starts_with("    \"name\": 0x") && l.ends_with(": \"gizmo\",")), "{}: {}", c.name(), outs[0]);
        assert!(outs[0].contains("\"size\": 5,"), "{}: Smis have no address: {}", c.name(), outs[0]);
    }
}

/// The canonical pipeline: every Widget of the `abort` fixture, by name.
/// An object in the group without `name` (Widget.prototype) is a warning,
/// not the end of the pipeline.
#[test]
fn findjsobjects_pipeline_prints_every_widget() {
    for c in cores_for("abort") {
        let (bin, core) = (c.node_binary.display().to_string(), c.core_path().display().to_string());
        let (_, out, err) = run_jmdb(&["-e", "::findjsobjects -c Widget | ::findjsobjects | ::jsprint name", &bin, &core]);
        let mut got: Vec<String> = out.lines().map(str::to_string).collect();
        got.sort();
        let count: usize = c.expected("heap.widget_count").and_then(|n| n.parse().ok()).unwrap_or(0);
        let mut want: Vec<String> = (0..count - 1).map(|i| format!("\"w{i}\"")).collect();
        want.push("\"gizmo\"".into());
        want.sort();
        assert_eq!(got, want, "{}: stderr {err}", c.name());
        assert!(!err.contains("panicked"), "{}: {err}", c.name());
    }
}
