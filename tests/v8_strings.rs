//! Strings and primitive values decoded from real cores, on every Node
//! version (18, 20, 22, 24, 26 and the system node).
//!
//! Two fixtures supply known values:
//! - `abort` keeps strings and numbers alive in `globalThis.jmdbKeep` and
//!   records them under `expected.heap.*`. Their addresses are found
//!   without jmdb's object decoding, so a wrong decoder cannot hide its
//!   mistake: the test scans the core's anonymous memory for the raw bytes
//!   of each value (the characters, the BigInt's digits) and for the words
//!   that point at what it found.
//! - `values` prints every value with V8's own `%DebugPrint`, which gives
//!   its tagged address (`stdout.txt`), and records what it is in
//!   `expected.values.<label>`.

mod common;


use common::*;
use jmdb::memory::Memory;
use jmdb::target::Target;
use jmdb::v8::{Heap, V8};


fn load_v8(c: &CoreCase, t: &Target) -> V8 {
    V8::load(t).unwrap_or_else(|e| panic!("{}: no V8 metadata: {e}", c.name()))
}

/// Every address where `needle` occurs, at `align`-byte alignment.
fn find_bytes(t: &Target, needle: &[u8], align: usize) -> Vec<u64> {
    let mut hits = Vec::new();
    for (a, b) in heap_ranges(t) {
        let Some(buf) = t.core_slice(a, (b - a) as usize) else { continue };
        let mut i = 0usize;
        while i + needle.len() <= buf.len() {
            if &buf[i..i + needle.len()] == needle {
                hits.push(a + i as u64);
            }
            i += align;
        }
    }
    hits
}

/// Every 8-byte-aligned address holding the word `w`.
fn find_word(t: &Target, w: u64) -> Vec<u64> {
    find_bytes(t, &w.to_le_bytes(), 8)
}

/// Tagged addresses of sequential strings whose characters are exactly
/// `s` (one-byte if it fits Latin-1, else UTF-16): the characters start 16
/// bytes into the object (src/objects/string.tq) and the length (int32 at
/// 12) matches.
fn seq_strings(t: &Target, s: &str) -> Vec<u64> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let one_byte = units.iter().all(|&u| u < 256);
    let bytes: Vec<u8> =
        if one_byte { units.iter().map(|&u| u as u8).collect() } else { units.iter().flat_map(|u| u.to_le_bytes()).collect() };
    find_bytes(t, &bytes, 8)
        .into_iter()
        .filter(|&a| t.read_u32(a - 4).ok() == Some(units.len() as u32))
        .map(|a| a - 16 + 1)
        .collect()
}



/// A JSON string literal as UTF-16 code units (lone surrogates kept).
fn json_units(lit: &str) -> Vec<u16> {
    let s = lit.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or_else(|| panic!("not a JSON string: {lit}"));
    let mut out = Vec::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            let mut b = [0u16; 2];
            out.extend_from_slice(c.encode_utf16(&mut b));
            continue;
        }
        match it.next() {
            Some('n') => out.push(10),
            Some('t') => out.push(9),
            Some('r') => out.push(13),
            Some('b') => out.push(8),
            Some('f') => out.push(12),
            Some('u') => {
                let hex: String = it.by_ref().take(4).collect();
                out.push(u16::from_str_radix(&hex, 16).unwrap_or_else(|_| panic!("bad \\u in {lit}")));
            }
            Some(o) => out.push(o as u16),
            None => panic!("bad JSON string {lit}"),
        }
    }
    out
}

/// What jmdb must print for UTF-16 `units`: UTF-8, lone surrogates as U+FFFD.
fn utf8(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

fn expect<'a>(c: &'a CoreCase, key: &str) -> &'a str {
    c.side(key).unwrap_or_else(|| panic!("{}: side.env has no {key}; regenerate the cores (bash testcores/generate)", c.name()))
}

// ---------------------------------------------------------------- abort

#[test]
fn abort_strings_decode_exactly() {
    for c in cores_for("abort") {
        let t = open(&c);
        let v8 = load_v8(&c, &t);
        let h = Heap::new(&t, &v8);
        let want = |k: &str| expect(&c, &format!("expected.heap.strings.{k}")).to_string();
        let mut cmds = Vec::new();
        let mut names = Vec::new();

        // One- and two-byte literals: sequential (internalized) strings.
        for k in ["oneByte", "twoByte"] {
            let hits = seq_strings(&t, &want(k));
            assert!(!hits.is_empty(), "{}: no sequential string holds {k} {:?}", c.name(), want(k));
            for a in hits {
                cmds.push(format!("{a:x}::v8str"));
                names.push(k);
            }
        }
        // The cons string: writing the side file flattened it, so it is a
        // ConsString whose first part is the flat string and whose second
        // is empty. Find ConsStrings pointing at a string with its text.
        let cons = want("cons");
        let mut n_cons = 0;
        for flat in seq_strings(&t, &cons) {
            for w in find_word(&t, flat) {
                let cand = w - 16 + 1;
                let Ok(ty) = h.instance_type(cand) else { continue };
                if h.string_kind(ty).is_ok_and(|(r, _)| r == jmdb::v8::heap::StrRepr::Cons) && h.is_string_type(ty) {
                    n_cons += 1;
                    cmds.push(format!("{cand:x}::v8str"));
                    names.push("cons");
                }
            }
        }
        assert!(n_cons > 0, "{}: no ConsString with the cons text", c.name());
        // The sliced string: a SlicedString whose parent is the 180-char text.
        let long = "The quick brown fox jumps over the lazy dog. ".repeat(4);
        let mut n_sliced = 0;
        for parent in seq_strings(&t, &long) {
            for w in find_word(&t, parent) {
                let cand = w - 16 + 1;
                let Ok(ty) = h.instance_type(cand) else { continue };
                if h.is_string_type(ty) && h.string_kind(ty).is_ok_and(|(r, _)| r == jmdb::v8::heap::StrRepr::Sliced) {
                    n_sliced += 1;
                    cmds.push(format!("{cand:x}::v8str"));
                    names.push("sliced");
                }
            }
        }
        assert!(n_sliced > 0, "{}: no SlicedString of the long text", c.name());

        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        for ((cmd, k), out) in cmds.iter().zip(&names).zip(&outs) {
            assert_eq!(out, &format!("{}\n", want(k)), "{}: {cmd} ({k})", c.name());
        }
    }
}

#[test]
fn abort_numbers_decode_exactly() {
    for c in cores_for("abort") {
        let t = open(&c);
        let n = |k: &str| expect(&c, &format!("expected.heap.numbers.{k}")).to_string();
        // 2n ** 70n: bitfield 4 (length 2, positive; src/objects/bigint.tq),
        // padding, digits 0 and 0x40.
        let mut pat = 4u64.to_le_bytes().to_vec();
        pat.extend(0u64.to_le_bytes());
        pat.extend(0x40u64.to_le_bytes());
        let bigs: Vec<u64> = find_bytes(&t, &pat, 8).into_iter().map(|a| a - 8 + 1).collect();
        assert!(!bigs.is_empty(), "{}: the BigInt's digits are not in the heap", c.name());
        // jmdbKeep.numbers = {smi, negative, heapNumber, big}: an object
        // literal, so its four in-object fields are consecutive words; find
        // the word pointing at the BigInt with the Smi 42 three words before.
        let mut obj_fields = None;
        for b in &bigs {
            for w in find_word(&t, *b) {
                if t.read_u64(w - 24).ok() == Some(42u64 << 32) {
                    obj_fields = Some((w - 24, *b));
                }
            }
        }
        let (f, big) = obj_fields.unwrap_or_else(|| panic!("{}: no object holds 42, -7, a number and the BigInt", c.name()));
        let words: Vec<u64> = (0..4).map(|i| t.read_u64(f + 8 * i).unwrap_or(0)).collect();
        assert_eq!(words[3], big);
        let cmds: Vec<String> = words.iter().map(|w| format!("{w:x}::v8type")).collect();
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        assert_eq!(outs[0], format!("Smi: {}\n", n("smi")), "{}", c.name());
        assert_eq!(outs[1], format!("Smi: {}\n", n("negative")), "{}", c.name());
        assert_eq!(outs[2], format!("{:x}: HEAP_NUMBER_TYPE (130), class HeapNumber: {}\n", words[2], n("heapNumber")), "{}", c.name());
        assert_eq!(outs[3], format!("{big:x}: BIG_INT_BASE_TYPE (129, derived), class BigInt: {}n\n", n("big")), "{}", c.name());
    }
}

// ---------------------------------------------------------------- values

const STRING_LABELS: &[&str] = &[
    "oneByte", "twoByte", "latin1", "emoji", "loneSurrogate", "escapes", "emptyString", "cons", "deepCons", "sliced", "thin",
];
const LONG_STRING_LABELS: &[&str] = &["externalOneByte", "externalTwoByte", "longString"];

/// The smallest period of a sequence.
fn period(u: &[u16]) -> usize {
    (1..=u.len()).find(|&p| (p..u.len()).all(|i| u[i] == u[i - p])).unwrap_or(u.len())
}

#[test]
fn values_strings_decode_exactly() {
    for c in cores_for("values") {
        let addrs = value_addrs(&c);
        let mut cmds = Vec::new();
        let mut wants = Vec::new();
        for l in STRING_LABELS {
            let a = addrs[*l];
            let units = json_units(expect(&c, &format!("expected.values.{l}.json")));
            cmds.push(format!("{a:x}::v8str -N 0"));
            wants.push(format!("{}\n", utf8(&units)));
        }
        // Long strings: the fixture records the length and a prefix of
        // three periods; the whole text is that period repeated.
        for l in LONG_STRING_LABELS {
            let a = addrs[*l];
            let prefix = json_units(expect(&c, &format!("expected.values.{l}.prefix_json")));
            let len: usize = expect(&c, &format!("expected.values.{l}.length")).parse().expect("length");
            let p = period(&prefix);
            let units: Vec<u16> = prefix[..p].iter().copied().cycle().take(len).collect();
            cmds.push(format!("{a:x}::v8str -N 0"));
            wants.push(format!("{}\n", utf8(&units)));
            // Cut: the first 100 units, and a warning.
            cmds.push(format!("{a:x}::v8str -N 0t100"));
            wants.push(format!("{}\n", utf8(&units[..100])));
        }
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        for ((cmd, want), out) in cmds.iter().zip(&wants).zip(&outs) {
            if out != want {
                let at = out.chars().zip(want.chars()).position(|(a, b)| a != b).unwrap_or(out.len().min(want.len()));
                panic!("{}: {cmd}: output differs at char {at} (got {} chars, want {})", c.name(), out.chars().count(), want.chars().count());
            }
        }
        assert_eq!(err.matches("string cut at 100 of").count(), LONG_STRING_LABELS.len(), "{}: {err}", c.name());
    }
}

#[test]
fn values_string_structure() {
    for c in cores_for("values") {
        let addrs = value_addrs(&c);
        let t = open(&c);
        let v8 = load_v8(&c, &t);
        let h = Heap::new(&t, &v8);
        use jmdb::v8::heap::StrRepr;
        use jmdb::v8::string::{string_structure, STRUCTURE_MAX_DEPTH, STRUCTURE_MAX_NODES};

        // The cons of two runtime halves: a ConsString of two sequential strings.
        let s = string_structure(&h, addrs["cons"]).expect("cons structure");
        assert_eq!(s[0].repr, StrRepr::Cons, "{}", c.name());
        assert_eq!(s[0].len, 54);
        let kids: Vec<_> = s.iter().filter(|n| n.depth == 1).collect();
        assert_eq!(kids.len(), 2, "{}: {s:?}", c.name());
        assert_eq!(kids[0].len + kids[1].len, 54);

        // 2000 appends: a left-deep cons tree, cut at the structure bounds.
        let s = string_structure(&h, addrs["deepCons"]).expect("deepCons structure");
        assert_eq!(s[0].len, 4005);
        assert!(s.len() <= STRUCTURE_MAX_NODES, "{}", c.name());
        assert!(s.iter().all(|n| n.depth < STRUCTURE_MAX_DEPTH));
        assert!(s.iter().any(|n| n.elided), "{}: a 2000-deep cons must be cut", c.name());

        // The sliced string points into the 180-character text at offset 4.
        let s = string_structure(&h, addrs["sliced"]).expect("sliced");
        assert_eq!((s[0].repr, s[0].offset, s[0].len), (StrRepr::Sliced, Some(4), 36), "{}", c.name());
        assert_eq!(s[1].len, 180);

        // The thin string forwards to an internalized string of the same text.
        let s = string_structure(&h, addrs["thin"]).expect("thin");
        assert_eq!(s[0].repr, StrRepr::Thin, "{}", c.name());
        assert_eq!((s[1].repr, s[1].len, s[1].depth), (StrRepr::Seq, 21, 1), "{}", c.name());
        let internalized = v8.layout.is_not_internalized_mask.value.expect("mask") & s[1].instance_type as i64 == 0;
        assert!(internalized, "{}: thin string's actual is type {}", c.name(), s[1].instance_type);

        // External strings: V8's cached data pointer and the one read
        // through Node's resource object (ExternString) agree.
        for (l, one_byte) in [("externalOneByte", true), ("externalTwoByte", false)] {
            let s = string_structure(&h, addrs[l]).expect("external");
            assert_eq!((s[0].repr, s[0].one_byte), (StrRepr::External, one_byte), "{}: {l}", c.name());
            let cached = jmdb::v8::string::external_data(&h, addrs[l]).expect("cached data");
            let via_resource = jmdb::v8::string::external_data_from_resource(&h, addrs[l]).expect("resource data");
            assert_eq!(cached, via_resource, "{}: {l}", c.name());
            assert_eq!(s[0].data, Some(cached));
        }

        // `::v8str -v` renders the same tree, one line per node, indented.
        let (outs, code, err) = jmdb_each(&c, &[format!("{:x}::v8str -v", addrs["sliced"]), format!("{:x}::v8str -v", addrs["deepCons"])]);
        assert_eq!(code, 0, "{}: {err}", c.name());
        let lines: Vec<&str> = outs[0].lines().collect();
        assert!(lines[0].starts_with(&format!("{:x} SLICED_ONE_BYTE_STRING_TYPE sliced one-byte length 36 offset 4", addrs["sliced"])), "{}: {}", c.name(), outs[0]);
        assert!(lines[1].starts_with("  ") && lines[1].contains(" seq one-byte length 180"), "{}: {}", c.name(), outs[0]);
        assert_eq!(lines[2], "quick brown fox jumps over the lazy ");
        assert!(outs[1].contains("(parts not shown)"), "{}", c.name());
        assert!(outs[1].lines().count() <= STRUCTURE_MAX_NODES + 1);
    }
}

/// Every external string of Node's own resource classes in the heap
/// (Node's builtin module sources, the fixture's Buffer strings): the data
/// pointer read through the resource equals V8's cached one.
#[test]
fn external_resources_agree_with_cached_data() {
    for c in cores_for("values") {
        let addrs = value_addrs(&c);
        let t = open(&c);
        let v8 = load_v8(&c, &t);
        let h = Heap::new(&t, &v8);
        let map = t.read_u64(addrs["externalOneByte"] - 1).expect("map");
        let mut checked = 0;
        for w in find_word(&t, map) {
            let s = w + 1;
            if h.map(s).ok() != Some(map) || !jmdb::v8::string::is_string(&h, s) {
                continue;
            }
            let Ok(via) = jmdb::v8::string::external_data_from_resource(&h, s) else { continue };
            let cached = jmdb::v8::string::external_data(&h, s).expect("cached");
            assert_eq!(via, cached, "{}: {s:x}", c.name());
            checked += 1;
        }
        assert!(checked >= 20, "{}: only {checked} external strings with Node resources", c.name());
    }
}

#[test]
fn values_primitives() {
    for c in cores_for("values") {
        let addrs = value_addrs(&c);
        let mut cmds = Vec::new();
        let mut wants = Vec::new();
        let text = |l: &str| expect(&c, &format!("expected.values.{l}.text")).to_string();
        // Smis print no address: ask about the Smi word itself.
        for l in ["smi", "smiNegative", "smiZero", "smiMax"] {
            let n: i64 = text(l).parse().expect("smi");
            cmds.push(format!("{:x}::v8type", (n as u64) << 32));
            wants.push(format!("Smi: {n}\n"));
        }
        // HeapNumbers (Node 22+ print their addresses).
        for l in ["heapNumber", "heapNumberTenth", "nan", "minusZero", "twoPow53", "infinity", "negInfinity", "big1e21", "small", "twoPow31"] {
            if let Some(a) = addrs.get(l) {
                cmds.push(format!("{a:x}::v8type"));
                wants.push(format!("{a:x}: HEAP_NUMBER_TYPE (130), class HeapNumber: {}\n", text(l)));
            }
        }
        for l in ["null", "undefined", "true", "false"] {
            let a = addrs[l];
            cmds.push(format!("{a:x}::v8type"));
            wants.push(format!("{a:x}: ODDBALL_TYPE (131), class Oddball: {}\n", text(l)));
        }
        for (l, d) in [("symbol", "Symbol(desc)"), ("symbolNoDesc", "Symbol()"), ("symbolRegistered", "Symbol(registered)")] {
            let a = addrs[l];
            cmds.push(format!("{a:x}::v8type"));
            wants.push(format!("{a:x}: SYMBOL_TYPE (128), class Symbol: {d}\n"));
        }
        for l in ["bigPositive", "bigNegative", "bigZero", "bigU64"] {
            let a = addrs[l];
            cmds.push(format!("{a:x}::v8type"));
            wants.push(format!("{a:x}: BIG_INT_BASE_TYPE (129, derived), class BigInt: {}n\n", text(l)));
        }
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        for ((cmd, want), out) in cmds.iter().zip(&wants).zip(&outs) {
            assert_eq!(out, want, "{}: {cmd}", c.name());
        }
    }
}

/// The `numbers` object's in-object fields, in key order (an object
/// literal's fields are laid out as written): each is a Smi or a
/// HeapNumber that must print as JS prints the value. This covers Node 18
/// and 20, whose %DebugPrint gives no HeapNumber address.
#[test]
fn values_number_fields() {
    for c in cores_for("values") {
        let addrs = value_addrs(&c);
        let t = open(&c);
        let obj = addrs["numbers"] - 1;
        let keys = c.side_list("expected.values.numbers.keys");
        let texts = c.side_list("expected.values.numbers.texts");
        assert_eq!(keys.len(), 7, "{}", c.name());
        let cmds: Vec<String> =
            (0..keys.len()).map(|i| format!("{:x}::v8type", t.read_u64(obj + 24 + 8 * i as u64).expect("field"))).collect();
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        for ((k, want), out) in keys.iter().zip(&texts).zip(&outs) {
            let got = out.trim_end().rsplit(": ").next().unwrap_or("");
            assert_eq!(got, want, "{}: numbers.{k}: {out}", c.name());
        }
    }
}

/// The hole, an Oddball before V8 12 and its own type after (unnamed by
/// Node 26's metadata): element 1 of `[1, , 3]`; and FixedDoubleArray
/// elements, with the hole NaN of `[1.5, , 3.5]`.
#[test]
fn values_hole_and_double_arrays() {
    for c in cores_for("values") {
        let addrs = value_addrs(&c);
        let t = open(&c);
        let elements = |l: &str| t.read_u64(addrs[l] - 1 + 16).expect("elements");
        let cmds = vec![
            format!("{:x}::v8array", elements("holeySmi")),
            format!("{:x}::v8array", elements("packedDouble")),
            format!("{:x}::v8array", elements("holeyDouble")),
            format!("{:x}::v8array", elements("packedSmi")),
            format!("{:x}::v8array | ::v8type", elements("packedSmi")),
        ];
        let (outs, code, err) = jmdb_each(&c, &cmds);
        assert_eq!(code, 0, "{}: {err}", c.name());
        let hole_line = outs[0].lines().nth(1).unwrap_or("");
        assert!(hole_line.starts_with("[1] ") && hole_line.ends_with(": hole"), "{}: {}", c.name(), outs[0]);
        assert_eq!(outs[1], "[0] 1.5\n[1] 2.5\n[2] -3.25\n", "{}", c.name());
        assert_eq!(outs[2], "[0] 1.5\n[1] hole\n[2] 3.5\n", "{}", c.name());
        // Packed literals may have spare capacity: check the first three.
        let first3: Vec<&str> = outs[3].lines().take(3).collect();
        assert_eq!(first3, ["[0] Smi 1", "[1] Smi 2", "[2] Smi 3"], "{}", c.name());
        // Piped, only the values go on.
        assert!(outs[4].starts_with("Smi: 1\nSmi: 2\nSmi: 3\n"), "{}: {}", c.name(), outs[4]);
    }
}

// ---------------------------------------------------------------- oracles

/// Deterministic pseudo-random 64-bit values.
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Run a node script on stdin lines; its stdout lines.
fn node_lines(node: &std::path::Path, script: &str, input: &str) -> Vec<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(node)
        .args(["-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", node.display()));
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("node");
    assert!(out.status.success(), "node failed");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

/// `format_number` prints every double as Node's own `String(x)` does
/// (except -0, printed `-0` on purpose): 100000 random bit patterns, plus
/// integers, powers of ten and the boundaries of JS's decimal notation.
#[test]
fn format_number_matches_node() {
    use jmdb::v8::primitive::format_number;
    let node = core("22", "values").node_binary;
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let mut xs: Vec<f64> = (0..100_000).map(|_| f64::from_bits(next())).collect();
    for e in -30..=30 {
        for m in [1.0, 1.5, 9.999999999999999, 123456789.0] {
            xs.push(m * 10f64.powi(e));
            xs.push(-m * 10f64.powi(e));
        }
    }
    xs.extend((0..20000).map(|_| (next() >> 11) as f64));
    // Quarter-integers near 2^50: ties between two 17-digit forms.
    xs.extend((0..20000).map(|_| (next() >> 13) as f64 + 0.25 * (next() % 4) as f64));
    xs.extend([0.1 + 0.2, 2f64.powi(53), 2f64.powi(53) + 2.0, 1e21, 1e-7, 999999999999999900000.0, 5e-324, f64::MAX, f64::MIN_POSITIVE]);
    let input: String = xs.iter().map(|x| format!("{:016x}\n", x.to_bits())).collect();
    let script = "const b=Buffer.alloc(8);let o='';for(const l of require('fs').readFileSync(0,'utf8').split('\\n')){if(!l)continue;b.writeBigUInt64BE(BigInt('0x'+l));o+=String(b.readDoubleBE(0))+'\\n'}process.stdout.write(o)";
    let want = node_lines(&node, script, &input);
    assert_eq!(want.len(), xs.len());
    for (x, w) in xs.iter().zip(&want) {
        let w = if *x == 0.0 && x.is_sign_negative() { "-0" } else { w.as_str() };
        assert_eq!(format_number(*x), w, "{:#018x}", x.to_bits());
    }
}

/// BigInt decimal conversion against Node's `BigInt.prototype.toString`,
/// for random magnitudes of 1 to 40 64-bit digits, both signs.
#[test]
fn bigint_to_string_matches_node() {
    use jmdb::v8::primitive::bigint_to_string;
    let node = core("22", "values").node_binary;
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut cases: Vec<(bool, Vec<u64>)> = Vec::new();
    for i in 0..400 {
        let n = 1 + (next() % 40) as usize;
        let mut d: Vec<u64> = (0..n).map(|_| next()).collect();
        if i % 7 == 0 {
            // Runs of zero digits: chunk padding.
            for x in d.iter_mut().skip(1).step_by(2) {
                *x = 0;
            }
        }
        cases.push((i % 2 == 1, d));
    }
    let input: String = cases
        .iter()
        .map(|(neg, d)| {
            let hex: String = d.iter().rev().map(|x| format!("{x:016x}")).collect();
            format!("{}{hex}\n", if *neg { "-" } else { "" })
        })
        .collect();
    let script = "let o='';for(const l of require('fs').readFileSync(0,'utf8').split('\\n')){if(!l)continue;const n=l[0]==='-';const v=BigInt('0x'+(n?l.slice(1):l));o+=(n?-v:v).toString()+'\\n'}process.stdout.write(o)";
    let want = node_lines(&node, script, &input);
    assert_eq!(want.len(), cases.len());
    for ((neg, d), w) in cases.iter().zip(&want) {
        assert_eq!(&bigint_to_string(*neg, d), w, "{neg} {d:x?}");
    }
}
