//! The heap scan's physical limit: a plain read of the bytes it reads.
//!
//!   cargo run --release --example seqread -- CORE [REPEAT]
//!
//! Opens CORE as jmdb does (the core is mmapped), asks the scan which
//! extents it reads (`v8::scan::scanned_extents`: the V8 pages' object
//! areas), then sums every 8-byte word of them, on one thread and with
//! rayon on all cores, REPEAT times each (default 3), and prints the best
//! and median rates. Used by testcores/bench-heap, which compares
//! `::findjsobjects -v`'s scan rate with it. Run it on a warm page cache:
//! a cold first pass measures the disk instead.

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use jmdb::target::{OpenOptions, Target};
use jmdb::v8::{Heap, V8, scan};

fn sum_words(bytes: &[u8]) -> u64 {
    // Four accumulators let the loads overlap; the sum keeps the optimiser
    // from dropping them.
    let mut acc = [0u64; 4];
    let mut it = bytes.chunks_exact(32);
    for c in &mut it {
        for (k, a) in acc.iter_mut().enumerate() {
            *a = a.wrapping_add(u64::from_le_bytes(c[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8])));
        }
    }
    for w in it.remainder().chunks_exact(8) {
        acc[0] = acc[0].wrapping_add(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
    }
    acc.iter().fold(0, |s, a| s.wrapping_add(*a))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(core) = args.next() else {
        eprintln!("usage: seqread CORE [REPEAT]");
        std::process::exit(2);
    };
    let repeat: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    let open = || match Target::open(&OpenOptions { core: PathBuf::from(&core), executable: None, sysroot: None }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("seqread: {core}: {e}");
            std::process::exit(1);
        }
    };
    let t = open();
    let v8 = match V8::load(&t) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("seqread: {core}: no V8 model: {e}");
            std::process::exit(1);
        }
    };
    let h = Heap::new(&t, &v8);
    let extents = match scan::scanned_extents(&h) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("seqread: {core}: {e}");
            std::process::exit(1);
        }
    };
    let slices: Vec<&[u8]> = extents.iter().filter_map(|&(a, b)| t.core_slice(a, (b - a) as usize)).collect();
    let bytes: u64 = slices.iter().map(|s| s.len() as u64).sum();
    let threads = rayon::current_num_threads();
    println!("seqread: {} extents, {} bytes ({:.1} MB), {} threads", slices.len(), bytes, bytes as f64 / 1e6, threads);

    let run = |parallel: bool| -> (f64, u64) {
        let t0 = Instant::now();
        let sum = if parallel {
            slices.par_iter().map(|s| sum_words(s)).reduce(|| 0, u64::wrapping_add)
        } else {
            slices.iter().map(|s| sum_words(s)).fold(0, u64::wrapping_add)
        };
        (t0.elapsed().as_secs_f64(), sum)
    };
    // The first read of a fresh mapping (as jmdb's scan does: it opens the
    // core and maps it) pays a page fault per few pages; later passes do
    // not. Both are timed: a fresh mapping per first pass (the page cache
    // is warm: the extents were found by reading the core just now).
    let fresh = |parallel: bool| -> f64 {
        let t2 = open();
        let s2: Vec<&[u8]> = extents.iter().filter_map(|&(a, b)| t2.core_slice(a, (b - a) as usize)).collect();
        let t0 = Instant::now();
        let sum = if parallel {
            s2.par_iter().map(|s| sum_words(s)).reduce(|| 0, u64::wrapping_add)
        } else {
            s2.iter().map(|s| sum_words(s)).fold(0, u64::wrapping_add)
        };
        std::hint::black_box(sum);
        bytes as f64 / t0.elapsed().as_secs_f64() / 1e9
    };
    for (name, parallel) in [("single", false), ("parallel", true)] {
        let rates: Vec<f64> = (0..repeat).map(|_| fresh(parallel)).collect();
        let per_core = if parallel { threads as f64 } else { 1.0 };
        println!("seqread fresh {name}: median {:.2} GB/s, {:.2} GB/s per core (median)", median(rates.clone()), median(rates) / per_core);
    }
    let (_, check) = run(true);
    for (name, parallel) in [("single", false), ("parallel", true)] {
        let mut rates = Vec::new();
        for _ in 0..repeat {
            let (secs, sum) = run(parallel);
            if sum != check {
                eprintln!("seqread: sums differ between passes ({sum:#x} vs {check:#x}): the core changed?");
                std::process::exit(1);
            }
            rates.push(bytes as f64 / secs / 1e9);
        }
        let best = rates.iter().cloned().fold(0.0, f64::max);
        let per_core = if parallel { threads as f64 } else { 1.0 };
        println!(
            "seqread {name}: median {:.2} GB/s, best {:.2} GB/s, {:.2} GB/s per core (median)",
            median(rates.clone()),
            best,
            median(rates) / per_core
        );
    }
}
