//! The heap scan's rate on pages already mapped, to set beside a plain read
//! of such pages.
//!
//!   cargo run --release --example scanrate -- CORE [REPEAT]
//!
//! Opens CORE as jmdb does and runs the scan REPEAT + 1 times (default 3)
//! in one process: the first maps the core's pages as `::findjsobjects`
//! does (page faults included), the later ones find them mapped, as
//! `seqread`'s warm passes do. Prints each scan's time, the median of the
//! later ones, and the bytes scanned. Used by testcores/bench-heap, so that
//! each rate is compared with a read under the same conditions.

use std::path::PathBuf;
use std::time::Instant;

use jmdb::target::{OpenOptions, Target};
use jmdb::v8::scan::{self, ScanControl};
use jmdb::v8::{Heap, V8};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(core) = args.next() else {
        eprintln!("usage: scanrate CORE [REPEAT]");
        std::process::exit(2);
    };
    let repeat: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    let t = match Target::open(&OpenOptions { core: PathBuf::from(&core), executable: None, sysroot: None }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("scanrate: {core}: {e}");
            std::process::exit(1);
        }
    };
    let v8 = match V8::load(&t) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("scanrate: {core}: no V8 model: {e}");
            std::process::exit(1);
        }
    };
    let h = Heap::new(&t, &v8);
    let mut later = Vec::new();
    for i in 0..=repeat {
        let t0 = Instant::now();
        let s = match scan::scan(&h, ScanControl::default()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("scanrate: {core}: {e}");
                std::process::exit(1);
            }
        };
        let secs = t0.elapsed().as_secs_f64();
        println!("scanrate: scan {i}: {secs:.3} s, {} bytes, {} objects{}", s.stats.bytes_scanned, s.object_count(), if i == 0 { " (fresh mapping)" } else { "" });
        if i > 0 {
            later.push(secs);
        }
    }
    later.sort_by(|a, b| a.total_cmp(b));
    println!("scanrate mapped: median {:.3} s", later[later.len() / 2]);
}
