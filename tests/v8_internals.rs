//! The V8 internals dcmds (`::v8types`, `::v8classes`, `::v8frametypes`,
//! `::v8type`, `::v8print`, `::v8array`, `::v8internal`) on real cores of
//! every Node version, and all of them (with `::v8str`) pointed at garbage.
//!
//! Addresses come from the `values` fixture's `%DebugPrint` output
//! (`stdout.txt`); the expected instance-type and frame-type numbers per
//! version are those of docs/v8-layouts.md, read from the binaries.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use jmdb::memory::Memory;
use jmdb::target::Target;
use jmdb::v8::V8;




/// A value per Node major (the system node is a 20).
fn by_major<T: Copy>(c: &CoreCase, v: [T; 5]) -> T {
    match c.node_major {
        18 => v[0],
        20 => v[1],
        22 => v[2],
        24 => v[3],
        26 => v[4],
        m => panic!("{}: no expectation for Node {m}; add it (testcores/README.md, adding a Node major)", c.name()),
    }
}

#[test]
fn v8types_lists_every_instance_type() {
    for c in cores_for("values") {
        let t = open(&c);
        let v8 = V8::load(&t).expect("metadata");
        let (outs, code, err) = jmdb_each(&c, &["::v8types".into()]);
        assert_eq!(code, 0, "{}: {err}", c.name());
        let lines: Vec<&str> = outs[0].lines().collect();
        assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["NUMBER", "INSTANCE_TYPE", "CLASS"]);
        // Every named type, plus the derived BigInt (and JS_API_OBJECT, which
        // only APIObjectType names).
        let rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows.len(), v8.types.all().len() + 2, "{}", c.name());
        let row = |name: &str| rows.iter().find(|r| r[1] == name).unwrap_or_else(|| panic!("{}: no {name}", c.name())).clone();
        let js_array = by_major(&c, ["2104", "2113", "2115", "2119", "2121"]);
        assert_eq!(row("JS_ARRAY_TYPE")[..3], [js_array, "JS_ARRAY_TYPE", "JSArray"], "{}", c.name());
        assert_eq!(row("ODDBALL_TYPE")[..3], ["131", "ODDBALL_TYPE", "Oddball"]);
        assert_eq!(row("BIG_INT_BASE_TYPE"), ["129", "BIG_INT_BASE_TYPE", "BigInt", "(derived)"], "{}", c.name());
        assert_eq!(row("JS_API_OBJECT_TYPE"), ["1058", "JS_API_OBJECT_TYPE", "JSObject", "(derived)"]);
        // Sorted by number.
        let nums: Vec<u32> = rows.iter().map(|r| r[0].parse().expect("number")).collect();
        assert!(nums.windows(2).all(|w| w[0] <= w[1]), "{}", c.name());
    }
}

#[test]
fn v8classes_and_frametypes() {
    for c in cores_for("values") {
        let cmds: Vec<String> = ["::v8classes ConsString", "::v8classes -n 'JSArray*'", "::v8classes HeapNumber", "::v8frametypes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        assert_eq!(outs[0], "ConsString < String\n      16 first (String)\n      24 second (String)\n", "{}", c.name());
        let names: Vec<&str> = outs[1].lines().collect();
        assert!(names.contains(&"JSArray") && names.contains(&"JSArrayBuffer"), "{}: {names:?}", c.name());
        assert!(names.iter().all(|n| n.starts_with("JSArray")));
        assert_eq!(outs[2], "HeapNumber < PrimitiveHeapObject\n       8 value (double)\n", "{}", c.name());
        // docs/v8-layouts.md 1.1: frame types per version.
        let frames: BTreeMap<&str, i64> = outs[3]
            .lines()
            .map(|l| {
                let mut w = l.split_whitespace();
                let n = w.next().and_then(|n| n.parse().ok()).expect("number");
                (w.next().expect("name"), n)
            })
            .collect();
        assert_eq!(frames["EntryFrame"], 1);
        assert_eq!(frames["ConstructEntryFrame"], 2);
        assert_eq!(frames["ExitFrame"], 3);
        assert_eq!(frames["InterpretedFrame"], by_major(&c, [12, 13, 13, 14, 4]), "{}", c.name());
        assert_eq!(frames["BaselineFrame"], by_major(&c, [13, 14, 14, 15, 5]), "{}", c.name());
        assert_eq!(frames.contains_key("OptimizedFrame"), c.node_major == 18);
        assert_eq!(frames.contains_key("TurbofanJSFrame"), c.node_major >= 24);
    }
}

#[test]
fn v8type_and_v8print_on_values() {
    for c in cores_for("values") {
        let a = value_addrs(&c);
        let cmds = vec![
            format!("{:x}::v8type", a["packedSmi"]),
            format!("{:x}::v8print", a["packedSmi"]),
            format!("{:x}::v8print", a["cons"]),
            format!("{:x}::v8print", a["bound"]),
            format!("{:x}::v8print", a["promiseFulfilled"]),
            format!("{:x}::v8print HeapObject", a["cons"]),
            format!("{:x}::v8type", a["counter"]),
            format!("{:x}::v8print", a["symbol"]),
        ];
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        let js_array = by_major(&c, [2104, 2113, 2115, 2119, 2121]);
        assert_eq!(outs[0], format!("{:x}: JS_ARRAY_TYPE ({js_array}), class JSArray\n", a["packedSmi"]), "{}", c.name());

        // JSArray: the JSObject fields, then the length (a layout-table field).
        let arr: Vec<&str> = outs[1].lines().collect();
        assert_eq!(arr[0], format!("{:x} JSArray {{", a["packedSmi"]));
        assert!(arr[1].starts_with("       0 HeapObject::map (Map) = ") && arr[1].ends_with(": MAP_TYPE"), "{}: {}", c.name(), outs[1]);
        assert!(arr.iter().any(|l| l.starts_with("      16 JSObject::elements (Object) = ") && l.ends_with(": FIXED_ARRAY_TYPE")), "{}: {}", c.name(), outs[1]);
        assert!(arr.contains(&"      24 length (Object) [layout] = Smi 3"), "{}: {}", c.name(), outs[1]);
        assert_eq!(arr.last(), Some(&"}"));

        // ConsString: its two halves, described.
        let cons: Vec<&str> = outs[2].lines().collect();
        assert!(cons.contains(&"      12 String::length (int32_t) = 54"), "{}: {}", c.name(), outs[2]);
        let first = cons.iter().find(|l| l.starts_with("      16 first (String) = ")).unwrap_or_else(|| panic!("{}: {}", c.name(), outs[2]));
        assert!(first.ends_with(" \"left-half-of-a-cons-string/\""), "{}: {first}", c.name());
        let second = cons.iter().find(|l| l.starts_with("      24 second (String) = ")).expect("second");
        assert!(second.ends_with(" \"right-half-of-a-cons-string\""), "{}: {second}", c.name());

        // JSBoundFunction: target, this and arguments.
        let b = &outs[3];
        assert!(b.contains(" bound_target_function (Object) [layout] = ") && b.contains(": JS_FUNCTION_TYPE\n"), "{}: {b}", c.name());
        assert!(b.contains(" bound_this (Object) [layout] = ") && b.contains(": JS_OBJECT_TYPE\n"), "{}: {b}", c.name());
        assert!(b.contains(" bound_arguments (Object) [layout] = "), "{}: {b}", c.name());

        // JSPromise fulfilled with 42: status 1.
        assert!(outs[4].contains("      24 reactions_or_result (Object) [layout] = Smi 42\n"), "{}: {}", c.name(), outs[4]);
        assert!(outs[4].contains("      32 flags (Smi) [layout] = 1\n"), "{}: {}", c.name(), outs[4]);

        // As another class: only that class's fields.
        assert_eq!(outs[5].lines().count(), 3, "{}: {}", c.name(), outs[5]);
        assert!(outs[5].starts_with(&format!("{:x} HeapObject {{\n       0 map (Map) = ", a["cons"])), "{}: {}", c.name(), outs[5]);

        // A closure: a JSFunction (Node 18/20 name the type JS_FUNCTION_TYPE too).
        assert!(outs[6].contains(", class JSFunction\n"), "{}: {}", c.name(), outs[6]);

        // Symbol: its description.
        assert!(outs[7].contains("      16 name (Object) = ") && outs[7].contains(" \"desc\"\n"), "{}: {}", c.name(), outs[7]);
    }
}

#[test]
fn v8array_prints_fixed_arrays() {
    for c in cores_for("values") {
        let a = value_addrs(&c);
        let t = open(&c);
        let elements = t.read_u64(a["objectArray"] - 1 + 16).expect("elements");
        let cmds = vec![
            format!("{elements:x}::v8array"),
            format!("{:x}::v8array", a["objectArray"]),
            format!("{:x}::v8array", a["cons"]),
        ];
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 1, "{}: the JSArray and the string are refused", c.name());
        // ['a', { k: 1 }, null, [2]]
        let l: Vec<&str> = outs[0].lines().collect();
        assert!(l.len() >= 4, "{}: {}", c.name(), outs[0]);
        assert!(l[0].starts_with("[0] ") && l[0].ends_with("_STRING_TYPE \"a\""), "{}: {}", c.name(), l[0]);
        assert!(l[1].starts_with("[1] ") && l[1].ends_with(": JS_OBJECT_TYPE"), "{}: {}", c.name(), l[1]);
        assert!(l[2].starts_with("[2] ") && l[2].ends_with(": null"), "{}: {}", c.name(), l[2]);
        assert!(l[3].starts_with("[3] ") && l[3].ends_with(": JS_ARRAY_TYPE"), "{}: {}", c.name(), l[3]);
        assert_eq!(outs[1], "");
        assert!(err.contains(&format!("{:x} is a JS_ARRAY_TYPE, not a FixedArray", a["objectArray"])), "{}: {err}", c.name());
        assert!(err.contains("_STRING_TYPE, not a FixedArray"), "{}: {err}", c.name());

        // Strings only for ::v8str; an object is a clean error.
        let (outs, code, err) = jmdb_each(&c, &[format!("{:x}::v8str", a["objectArray"]), format!("{:x}::v8str -v", a["map"])]);
        assert_eq!(code, 1);
        assert!(outs.iter().all(|o| o.is_empty()), "{}: {outs:?}", c.name());
        assert!(err.contains(&format!("{:#x} does not look like a string: it is a JS_ARRAY_TYPE", a["objectArray"])), "{}: {err}", c.name());
        assert!(err.contains(&format!("{:#x} does not look like a string: it is a JS_MAP_TYPE", a["map"])), "{}: {err}", c.name());
    }
}

/// Node's native wrappers (BaseObjects) are JS API objects whose internal
/// field 1 points at the C++ object (node's BaseObject::kSlot); its first
/// word is a vtable of a node:: class.
#[test]
fn v8internal_reaches_node_wrappers() {
    for c in cores_for("values") {
        let t = open(&c);
        let v8 = V8::load(&t).expect("metadata");
        let api = v8.layout.api_object_type.value.expect("APIObjectType") as u16;
        // Maps are objects whose map is the meta map (the map of a map).
        let a = value_addrs(&c);
        let map = t.read_u64(a["widget"] - 1).expect("map");
        let meta = t.read_u64(map - 1).expect("meta map");
        let mut api_maps = Vec::new();
        for (lo, hi) in heap_ranges(&t) {
            let Some(buf) = t.core_slice(lo, (hi - lo) as usize) else { continue };
            for (i, w) in buf.chunks_exact(8).enumerate() {
                if u64::from_le_bytes(w.try_into().unwrap_or([0; 8])) != meta {
                    continue;
                }
                let m = lo + 8 * i as u64;
                if t.read_u16(m + 12).ok() == Some(api) {
                    api_maps.push(m + 1);
                }
            }
        }
        assert!(!api_maps.is_empty(), "{}: no JS API object map", c.name());
        let api_maps: std::collections::HashSet<u64> = api_maps.into_iter().collect();
        let mut objs = Vec::new();
        for (lo, hi) in heap_ranges(&t) {
            let Some(buf) = t.core_slice(lo, (hi - lo) as usize) else { continue };
            for (i, w) in buf.chunks_exact(8).enumerate() {
                if api_maps.contains(&u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))) {
                    objs.push(lo + 8 * i as u64 + 1);
                }
            }
        }
        let cmds: Vec<String> = objs.iter().take(2000).map(|o| format!("{o:x}::v8internal 1")).collect();
        let (outs, _code, err) = jmdb_each(&c, &cmds);
        assert!(!err.contains("panicked"), "{}: {err}", c.name());
        let wrappers = outs.iter().filter(|o| o.contains("{vtable(node::")).count();
        assert!(wrappers >= 5, "{}: only {wrappers} of {} API objects lead to a node:: object", c.name(), cmds.len());
        // Node's binding data objects, on every version.
        for class in ["node::fs::BindingData", "node::process::BindingData", "node::url::BindingData"] {
            assert!(outs.iter().any(|o| o.contains(&format!("({{vtable({class})}}+0x10)"))), "{}: no {class}", c.name());
        }

        // Out of range, and not an API object.
        let first = objs[0];
        let bad = vec![format!("{first:x}::v8internal 0t1000"), format!("{:x}::v8internal 0", a["cons"])];
        let (outs, code, err) = jmdb_each(&c, &bad);
        assert_eq!(code, 1);
        assert!(outs.iter().all(|o| o.is_empty()));
        assert!(err.contains("is out of range"), "{}: {err}", c.name());
        assert!(err.contains("not a JS API object with internal fields"), "{}: {err}", c.name());
    }
}

/// Deterministic words from a core's heap: stored values (often tagged
/// pointers to real objects, Smis, raw data) and addresses inside
/// objects with the heap-object tag set (pointers into the middle of
/// objects).
fn garbage_words(t: &Target, n: usize) -> Vec<u64> {
    let ranges = heap_ranges(t);
    let total: u64 = ranges.iter().map(|(a, b)| (b - a) / 8).sum();
    assert!(total > 0, "no heap in the core");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::new();
    while out.len() < n {
        let mut k = next() % total;
        let mut at = 0;
        for (a, b) in &ranges {
            let words = (b - a) / 8;
            if k < words {
                at = a + 8 * k;
                break;
            }
            k -= words;
        }
        if out.len() % 2 == 0 {
            out.push(t.read_u64(at).unwrap_or(0));
        } else {
            out.push(at | 1);
        }
    }
    out
}

/// Every V8 internals dcmd at 0, 1, 0xdeadbeef, other odd values and
/// random heap words: clean errors or output, never a panic or a hang.
#[test]
fn dcmds_survive_garbage() {
    let mut cores = cores_for("abort");
    cores.push(core("22", "values"));
    cores.push(core("26", "values"));
    for c in cores {
        let t = open(&c);
        let mut vals: Vec<u64> = vec![0, 1, 3, 0xdeadbeef, 0xdeadbeef & !2, u64::MAX, u64::MAX - 2, 0x7fff_ffff_ffff_fff9, 0x1000_0000_0001];
        vals.extend(garbage_words(&t, 120));
        let per_value = ["::v8type", "::v8str", "::v8str -v", "::v8print", "::v8array", "::v8internal 0", "::v8print ConsString", "::v8str -N 5"];
        let mut cmds: Vec<String> = vec!["::v8types".into(), "::v8classes".into(), "::v8frametypes".into()];
        for v in &vals {
            for d in per_value {
                cmds.push(format!("{v:x}{d}"));
            }
        }
        let start = Instant::now();
        let (outs, code, err) = jmdb_each(&c, &cmds);
        let took = start.elapsed();
        assert!(code == 0 || code == 1, "{}: exit {code}: {}", c.name(), &err[err.len().saturating_sub(2000)..]);
        assert!(!err.contains("panicked"), "{}: {err}", c.name());
        assert!(took < Duration::from_secs(120), "{}: {} commands took {took:?}", c.name(), cmds.len());
        // The listing commands worked; the marker of the last command was reached.
        assert!(!outs[0].is_empty() && !outs[1].is_empty() && !outs[2].is_empty(), "{}", c.name());
        // The named bad values fail with an error naming what is wrong.
        for line in err.lines().filter(|l| l.contains("0xdeadbeef")) {
            assert!(line.starts_with("jmdb: "), "{}: {line}", c.name());
        }
        // Garbage and errors are reported on stderr, one line per failure.
        assert!(err.lines().all(|l| l.starts_with("jmdb: ") || l.starts_with("  ")), "{}: {err}", c.name());
    }
}
