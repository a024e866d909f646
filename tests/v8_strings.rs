//! Strings and primitive values decoded from real cores, on every Node
//! version: the `abort` fixture keeps known strings and numbers alive
//! (`globalThis.jmdbKeep.strings`, `.numbers`) and records their values in
//! its side file (`expected.heap.*`).
//!
//! The objects are found without jmdb's own object decoding, so a wrong
//! decoder cannot hide its mistake: the test scans the core's anonymous
//! memory for the raw bytes of each value (the characters, the BigInt's
//! digits) and for the words that point at what it found, then asks
//! `::v8str`, `::v8type` and `::v8print` about those addresses.

mod common;

use std::path::PathBuf;

use common::*;
use jmdb::memory::Memory;
use jmdb::target::{Backing, OpenOptions, Target};

/// The core's target, opened with the node binary that made it.
fn open(c: &CoreCase) -> Target {
    let opts = OpenOptions { core: c.core_path(), executable: Some(PathBuf::from(&c.node_binary)), sysroot: None };
    Target::open(&opts).unwrap_or_else(|e| panic!("{}: cannot open: {e}", c.name()))
}

/// Writable anonymous memory held in the core: where V8's heap lives.
fn heap_ranges(t: &Target) -> Vec<(u64, u64)> {
    t.mappings()
        .into_iter()
        .filter(|m| m.path.is_none() && m.perms.starts_with("rw") && m.backing == Backing::Core)
        .map(|m| (m.start, m.end))
        .collect()
}

/// Every address where `needle` occurs, at `align`-byte alignment.
fn find_bytes(t: &Target, needle: &[u8], align: u64) -> Vec<u64> {
    let mut hits = Vec::new();
    for (a, b) in heap_ranges(t) {
        let Some(buf) = t.core_slice(a, (b - a) as usize) else { continue };
        let mut i = 0usize;
        while i + needle.len() <= buf.len() {
            if &buf[i..i + needle.len()] == needle {
                hits.push(a + i as u64);
            }
            i += align as usize;
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
/// bytes into the object and the length (int32 at 12) matches.
fn seq_strings(t: &Target, s: &str) -> Vec<u64> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let one_byte = units.iter().all(|&u| u < 256);
    let bytes: Vec<u8> = if one_byte {
        units.iter().map(|&u| u as u8).collect()
    } else {
        units.iter().flat_map(|u| u.to_le_bytes()).collect()
    };
    find_bytes(t, &bytes, 8)
        .into_iter()
        .filter(|&a| t.read_u32(a - 4).ok() == Some(units.len() as u32))
        .map(|a| a - 16 + 1)
        .collect()
}

/// Run jmdb on a core with `-e` commands.
fn jmdb(c: &CoreCase, cmds: &[&str]) -> (i32, String, String) {
    let core = c.core_path();
    let mut args: Vec<&str> = Vec::new();
    for cmd in cmds {
        args.push("-e");
        args.push(cmd);
    }
    let bin = c.node_binary.to_str().unwrap_or_default().to_string();
    let core = core.to_str().unwrap_or_default().to_string();
    args.push(&bin);
    args.push(&core);
    run_jmdb(&args)
}

#[test]
fn explore() {
    for c in cores_for("abort") {
        let t = open(&c);
        let hits = seq_strings(&t, "hello jmdb");
        eprintln!("{}: hello jmdb at {:x?}", c.name(), hits);
        for h in &hits {
            let (code, out, err) = jmdb(&c, &[&format!("{h:x}::v8str -v"), &format!("{h:x}::v8type"), &format!("{h:x}::v8print")]);
            eprintln!("{code} {out} {err}");
        }
    }
}
