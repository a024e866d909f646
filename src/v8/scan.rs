//! Finding every JavaScript object in a core, and grouping them the way
//! `::findjsobjects` shows them (constructor plus ordered property names).
//!
//! How objects are found, without the heap's page layouts (which the
//! metadata does not describe and which change in every V8 version):
//!
//! - Only anonymous, writable, dumped memory is read (V8's pages live there);
//!   thread stacks and file-backed mappings are skipped.
//! - Every 8-byte word is a candidate object start if it is a tagged
//!   pointer to a Map (a heap object whose map is a meta map: a map whose
//!   map is itself). Maps are validated once per chunk and cached.
//! - A JS object needs a JS receiver instance type, and its properties and
//!   elements words must be a Smi or pointers to real heap objects.
//! - Whenever the size of a found object is known (the map's instance size,
//!   or the length of a FixedArray, FixedDoubleArray, ByteArray, sequential
//!   string or FreeSpace), the scan jumps over its body: raw data (doubles,
//!   characters) and pointers stored inside objects are never taken for
//!   object starts.
//! - FreeSpace (what the sweeper leaves where dead objects were) is scanned
//!   apart: objects found inside it are dead, counted as garbage, never
//!   reported as objects.
//! - Each page's header is read once ([`PageState`]): young pages get their
//!   liveness by reachability; on old pages V8 has released, every object is
//!   dead; on old pages a finished full GC marked and the sweeper has not
//!   swept, an object whose mark bit is clear is dead.
//!
//! Memory is read zero-copy from the core in 256 KiB chunks (V8's page
//! size), in parallel with rayon.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::memory::Memory;
use crate::target::Target;

use super::{Heap, V8Error};

/// V8's regular page size (`kPageSizeBits` = 18 in every version jmdb
/// supports; src/common/globals.h): the scan's unit of work.
const CHUNK: u64 = 1 << 18;

/// How far a scan has got, for a progress line.
#[derive(Debug, Clone, Copy)]
pub struct ScanProgress {
    pub done_bytes: u64,
    pub total_bytes: u64,
    pub elapsed: Duration,
}

/// What a caller lets a scan do: report progress, be interrupted.
#[derive(Default, Clone, Copy)]
pub struct ScanControl<'a> {
    /// Called after each chunk (from worker threads).
    pub progress: Option<&'a (dyn Fn(ScanProgress) + Sync)>,
    /// Polled between chunks; when set, the scan stops with `Interrupted`.
    pub interrupt: Option<&'a AtomicBool>,
    /// Keep every young-generation object, reached or not (by default those
    /// nothing alive points at are garbage).
    pub all_young: bool,
    /// Read every old-generation word for pointers into the young
    /// generation rather than V8's remembered sets (which tests check
    /// against it).
    pub word_scan: bool,
    /// Step word by word over the objects of FixedArray's unnamed
    /// subclasses rather than jump over them by their length (which tests
    /// check against it).
    pub step_unnamed_arrays: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScanError {
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    V8(#[from] V8Error),
}

/// One object found: its tagged address and its map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Found {
    pub addr: u64,
    pub map: u64,
}

/// Counters describing a scan, for `::findjsobjects -v`.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    pub elapsed: Duration,
    /// Memory ranges (core segments) read.
    pub ranges: usize,
    pub bytes_scanned: u64,
    /// Heap objects of any kind recognised (and jumped over).
    pub heap_objects: u64,
    /// Bytes of FreeSpace found.
    pub free_bytes: u64,
    /// Regions left out: thread stacks, file-backed mappings, not dumped.
    pub skipped_ranges: usize,
    /// V8 pages found and scanned (0: pages were not recognised, and all
    /// anonymous memory was scanned).
    pub pages: usize,
    /// The page header size found (where each page's first object sits).
    pub page_header: Option<u64>,
    /// Young-generation pages (their page flags say so).
    pub young_pages: usize,
    /// JS objects in young pages that nothing alive points at: dead, left
    /// there since the last scavenge (counted in the garbage).
    pub young_dead: u64,
    /// Time spent deciding which young objects are alive.
    pub liveness_time: Duration,
    /// Old pages whose pointers into the young generation came from V8's
    /// remembered set (OLD_TO_NEW), and those whose every word was read for
    /// them instead (no set in the core, an unknown layout, or a GC
    /// running).
    pub rset_pages: usize,
    pub word_pages: usize,
    /// A thread was inside a garbage collection when the core was taken:
    /// the remembered sets were not used.
    pub gc_running: bool,
    /// Old-generation pages V8 had let go of (pooled, or queued to be
    /// freed), and the JS objects left on them: dead (counted in the
    /// garbage).
    pub released_pages: usize,
    pub released_dead: u64,
    /// Old-generation pages a finished full GC had marked and the sweeper
    /// had not swept yet, and the JS objects on them that the GC did not
    /// mark: dead (counted in the garbage).
    pub unswept_pages: usize,
    pub unswept_dead: u64,
    /// Instance types of FixedArray's unnamed subclasses (hash tables and
    /// the like) whose objects the walk jumped over by their length.
    pub sized_array_types: usize,
}

/// One object of a [`Run`]: its offset from the run's base in words and
/// its map's number in [`HeapScan`]'s map table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    word: u32,
    map: u32,
}

impl Slot {
    /// Its untagged address, in the run at `base`.
    fn at(self, base: u64) -> u64 {
        base + self.word as u64 * 8
    }

    /// The object, given its run's base, the map table and the tag.
    fn found(self, base: u64, maps: &[u64], tag: u64) -> Found {
        Found { addr: self.at(base) + tag, map: maps.get(self.map as usize).copied().unwrap_or(0) }
    }
}

/// The JS objects found in one chunk, in address order. 8 bytes each: as
/// [`Found`] (16) the 12M objects of a 1.3 GB heap filled 200 MB, whose
/// page faults cost the scan 6%.
#[derive(Debug, Clone, Default)]
struct Run {
    /// Untagged.
    base: u64,
    slots: Vec<Slot>,
}

/// The result of a heap scan.
#[derive(Debug, Clone, Default)]
pub struct HeapScan {
    /// Every JS object found in live memory, sorted by address, in runs
    /// (one per chunk scanned): made into one vector, 12 M objects cost a
    /// sixth of the scan; grouping reads the runs in parallel.
    runs: Vec<Run>,
    /// The objects' maps, by number.
    maps: Vec<u64>,
    /// The heap object tag (a run's addresses are untagged).
    tag: u64,
    /// JS objects found dead (inside FreeSpace, young and unreached, or
    /// dead by their page's header): not reported as objects.
    pub garbage: Vec<Found>,
    pub stats: ScanStats,
}

impl HeapScan {
    /// A scan result holding `objects` (for grouping objects found some
    /// other way).
    pub fn from_found(h: &Heap, objects: Vec<Found>) -> HeapScan {
        HeapScan::from_tagged(objects, h.tag())
    }

    fn from_tagged(mut objects: Vec<Found>, tag: u64) -> HeapScan {
        objects.sort_unstable();
        objects.dedup();
        let mut ids: AddrMap<u32> = AddrMap::default();
        let mut maps = Vec::new();
        let mut runs: Vec<Run> = Vec::new();
        for f in objects {
            let a = f.addr.wrapping_sub(tag);
            let map = *ids.entry(f.map).or_insert_with(|| {
                maps.push(f.map);
                maps.len() as u32 - 1
            });
            // A run spans what a u32 count of words reaches.
            let word = match runs.last() {
                Some(r) if a >= r.base && (a - r.base) / 8 <= u32::MAX as u64 && (a - r.base) % 8 == 0 => ((a - r.base) / 8) as u32,
                _ => {
                    runs.push(Run { base: a, slots: Vec::new() });
                    0
                }
            };
            if let Some(r) = runs.last_mut() {
                r.slots.push(Slot { word, map });
            }
        }
        HeapScan { runs, maps, tag, ..Default::default() }
    }

    /// The JS objects found alive, in address order.
    pub fn objects(&self) -> impl Iterator<Item = Found> + '_ {
        self.runs.iter().flat_map(|r| self.found(r.base, &r.slots))
    }

    /// How many objects [`HeapScan::objects`] gives.
    pub fn object_count(&self) -> usize {
        self.runs.iter().map(|r| r.slots.len()).sum()
    }

    fn found<'a>(&'a self, base: u64, slots: &'a [Slot]) -> impl Iterator<Item = Found> + 'a {
        slots.iter().map(move |s| s.found(base, &self.maps, self.tag))
    }
}

/// Numbers the maps of the JS objects a scan finds (shared by its workers;
/// asked only when a worker meets a map it does not know).
#[derive(Default)]
struct MapIds {
    inner: std::sync::Mutex<(AddrMap<u32>, Vec<u64>)>,
}

impl MapIds {
    fn id(&self, map: u64) -> u32 {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (ids, maps) = &mut *g;
        *ids.entry(map).or_insert_with(|| {
            maps.push(map);
            maps.len() as u32 - 1
        })
    }

    fn into_maps(self) -> Vec<u64> {
        self.inner.into_inner().unwrap_or_else(|e| e.into_inner()).1
    }
}

/// What a map says about the objects that have it, as far as the scan
/// cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A JS object (JSReceiver types). `proxy`: JSProxy has no elements.
    /// `id`: the map's number in the scan's map table.
    Js { size: u64, proxy: bool, id: u32 },
    /// Any other object of fixed size.
    Fixed(u64),
    /// Smi length at `fixed_array_length`, `elem` bytes per element after
    /// `header` bytes.
    /// `raw`: the elements are data (doubles, bytes), never pointers.
    Array { header: u64, elem: u64, raw: bool },
    /// Sequential string: int32 length at `string_length`.
    SeqString { header: u64, elem: u64 },
    /// FreeSpace: Smi size at `free_space_size`.
    Free,
    /// Size unknown to the scan: step over the map word only.
    Unknown,
}

/// A map's objects sized without a branch on their shape, for the walk's
/// fast path: `round8(base + n * elem)`, where `n` is the high half of the
/// word after the map (a Smi length, or a string's int32 length) when
/// `kind` says so. Shape dispatch by a jump mispredicted wherever objects
/// of different shapes alternate (strings and their cons cells), and a
/// misprediction stalls both walks in flight.
#[derive(Debug, Clone, Copy, Default)]
struct Rule {
    base: u32,
    elem: u32,
    /// 0: use the shape (the slow path); 1: fixed size; 2: Smi length;
    /// 3: int32 length.
    kind: u8,
    js: bool,
    raw: bool,
    /// JS objects: the map's number.
    id: u32,
}

impl Rule {
    /// The rule for a shape, when `p` lays lengths out as the fast path
    /// reads them (64-bit Smis; the length in the upper half of the word
    /// after the map).
    fn of(p: &Params, s: Option<Shape>) -> Rule {
        let lengths = p.fast_lengths;
        let small = |n: u64| u32::try_from(n).ok();
        match s {
            Some(Shape::Js { size, proxy: _, id }) => small(size).map(|base| Rule { base, elem: 0, kind: 1, js: true, raw: false, id }),
            Some(Shape::Fixed(size)) => small(size).map(|base| Rule { base, elem: 0, kind: 1, js: false, raw: false, id: 0 }),
            Some(Shape::Array { header, elem, raw }) if lengths => {
                small(header).zip(small(elem)).map(|(base, elem)| Rule { base, elem, kind: 2, js: false, raw, id: 0 })
            }
            Some(Shape::SeqString { header, elem }) if lengths => {
                small(header).zip(small(elem)).map(|(base, elem)| Rule { base, elem, kind: 3, js: false, raw: true, id: 0 })
            }
            _ => None,
        }
        .unwrap_or_default()
    }
}

/// The per-scan constants, resolved once.
struct Params {
    tag_mask: u64,
    tag: u64,
    smi_mask: u64,
    smi_shift: u32,
    off_map: u64,
    off_type: u64,
    off_size_words: u64,
    off_props: u64,
    off_elements: u64,
    off_len: u64,
    fixed_header: u64,
    double_header: u64,
    off_str_len: u64,
    one_byte_header: u64,
    two_byte_header: u64,
    off_free_size: Option<u64>,
    free_unit: u64,
    types: TypeSets,
    /// Lengths sit where the walk's fast path reads them (see [`Rule`]).
    fast_lengths: bool,
    /// How many of FixedArray's unnamed subclasses are sized.
    sized_array_types: usize,
}

/// Instance types the scan sizes by their length.
struct TypeSets {
    fixed_arrays: HashSet<u16>,
    double_array: Option<u16>,
    byte_array: Option<u16>,
    free_space: Option<u16>,
    proxy: Option<u16>,
}

/// FixedArray's subclasses (hash tables, the backing stores of JS Maps and
/// Sets, dictionaries, boilerplate descriptions), which the metadata does
/// not name. V8's Torque numbers a class's descendants right after it
/// (torque-generated instance-types.h), and no class can add fields after
/// FixedArray's indexed `objects[length]` (src/objects/fixed-array.tq), so
/// all of them share its layout. In Node 18 to 26 the types between
/// FIXED_ARRAY_TYPE and BYTE_ARRAY_TYPE, FixedArrayBase's next subclass,
/// are all unnamed. Sized as FixedArrays, their live instances on every
/// fixture core end where another object's map word starts, or where a
/// young object that was evacuated (its map word a forwarding address) or
/// words no walk recognises follow; a test checks the objects found
/// against stepping over them. Stepped over word by word (each pointer in
/// them read through to its target), they cost bigheap's scan 7%.
/// Empty when the types between are not as in those versions.
fn fixed_array_descendants(types: &super::types::Types) -> Vec<u16> {
    let Some(first) = types.num("FIXED_ARRAY_TYPE") else { return Vec::new() };
    let next = (first.saturating_add(1)..first.saturating_add(64)).find(|t| types.name(*t).is_some());
    match next {
        Some(b) if types.is(b, "BYTE_ARRAY_TYPE") => (first.saturating_add(1)..b).collect(),
        _ => Vec::new(),
    }
}

impl Params {
    fn new(h: &Heap) -> Result<Params, V8Error> {
        Params::with(h, true)
    }

    fn with(h: &Heap, sized_descendants: bool) -> Result<Params, V8Error> {
        let l = &h.v8.layout;
        let ty = |n: &str| h.v8.types.num(n);
        let mut fixed_arrays: HashSet<u16> = [
            "FIXED_ARRAY_TYPE",
            "WEAK_FIXED_ARRAY_TYPE",
            "CLOSURE_FEEDBACK_CELL_ARRAY_TYPE",
            "EMBEDDER_DATA_ARRAY_TYPE",
            "TRUSTED_FIXED_ARRAY_TYPE",
            "PROTECTED_FIXED_ARRAY_TYPE",
        ]
        .iter()
        .filter_map(|n| ty(n))
        .collect();
        // Contexts are FixedArray-shaped: Smi length, then slots.
        if let (Some(a), Some(b)) = (l.first_context_type.value, l.last_context_type.value) {
            for t in a..=b {
                fixed_arrays.insert(t as u16);
            }
        }
        let descendants = if sized_descendants { fixed_array_descendants(&h.v8.types) } else { Vec::new() };
        let sized_array_types = descendants.len();
        fixed_arrays.extend(descendants);
        let free_space = l.free_space_type.value.map(|v| v as u16);
        let (off_len, off_str_len) = (l.fixed_array_length.off()?, l.string_length.off()?);
        let (smi_mask, smi_shift) = (l.smi_tag_mask.get()? as u64, (l.smi_shift_size.get()? as u32 + 1).min(63));
        Ok(Params {
            fast_lengths: off_len == 8 && smi_shift == 32 && off_str_len == 12 && smi_mask == 1,
            sized_array_types,
            tag_mask: l.heap_object_tag_mask.get()? as u64,
            tag: l.heap_object_tag.get()? as u64,
            smi_mask,
            smi_shift,
            off_map: l.heap_object_map.off()?,
            off_type: l.map_instance_type.off()?,
            off_size_words: l.map_instance_size_in_words.off()?,
            off_props: l.js_receiver_properties.off()?,
            off_elements: l.js_object_elements.off()?,
            off_len,
            fixed_header: l.fixed_array_data.off()?,
            double_header: l.fixed_double_array_data.off()?,
            off_str_len,
            one_byte_header: l.seq_one_byte_chars.off()?,
            two_byte_header: l.seq_two_byte_chars.off()?,
            off_free_size: l.free_space_size.value.map(|v| v as u64),
            free_unit: l.free_space_size_unit.value.unwrap_or(1).clamp(1, 8) as u64,
            types: TypeSets {
                fixed_arrays,
                double_array: ty("FIXED_DOUBLE_ARRAY_TYPE"),
                byte_array: ty("BYTE_ARRAY_TYPE"),
                free_space,
                proxy: ty("JS_PROXY_TYPE"),
            },
        })
    }

    fn is_ptr(&self, v: u64) -> bool {
        v & self.tag_mask == self.tag
    }
    fn is_smi(&self, v: u64) -> bool {
        v & self.smi_mask == 0
    }
    fn smi(&self, v: u64) -> i64 {
        (v as i64) >> self.smi_shift
    }
}

/// Reads words for one chunk: from the chunk's own bytes when it can,
/// else from the core.
struct Reader<'a> {
    t: &'a Target,
    base: u64,
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn u64(&self, addr: u64) -> Option<u64> {
        if let Some(off) = addr.checked_sub(self.base) {
            if let Some(b) = self.bytes.get(off as usize..off as usize + 8) {
                return Some(u64::from_le_bytes(b.try_into().ok()?));
            }
        }
        match self.t.core_slice(addr, 8) {
            Some(b) => Some(u64::from_le_bytes(b.try_into().ok()?)),
            None => self.t.read_u64(addr).ok(),
        }
    }
    fn u32(&self, addr: u64) -> Option<u32> {
        let w = self.u64(addr & !7)?;
        Some((w >> ((addr & 7) * 8)) as u32)
    }
    fn u16(&self, addr: u64) -> Option<u16> {
        let w = self.u64(addr & !7)?;
        Some((w >> ((addr & 7) * 8)) as u16)
    }
    fn u8(&self, addr: u64) -> Option<u8> {
        let w = self.u64(addr & !7)?;
        Some((w >> ((addr & 7) * 8)) as u8)
    }
}

/// A hasher for addresses: one multiply (SipHash costs more than the rest
/// of the scan's work per word).
#[derive(Default, Clone, Copy)]
pub(crate) struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ *b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.0;
    }
}

pub(crate) type AddrMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<AddrHasher>>;
pub(crate) type AddrSet = HashSet<u64, std::hash::BuildHasherDefault<AddrHasher>>;

/// The per-chunk map cache: pointer → shape if it is a map, None if not.
struct Maps<'p> {
    p: &'p Params,
    h: Heap<'p>,
    known: AddrMap<Option<Shape>>,
    /// A direct-mapped cache in front of `known`: every object start asks,
    /// and a few dozen maps answer nearly all.
    recent: Vec<(u64, Option<Shape>, Rule)>,
    metas: AddrSet,
    /// Pointers already known to be heap objects (a direct-mapped cache:
    /// most objects share their properties and elements, the empty array).
    objects: [u64; 64],
    ids: std::sync::Arc<MapIds>,
}

impl<'p> Maps<'p> {
    fn new(p: &'p Params, h: Heap<'p>) -> Maps<'p> {
        Maps::with_ids(p, h, Default::default())
    }

    fn with_ids(p: &'p Params, h: Heap<'p>, ids: std::sync::Arc<MapIds>) -> Maps<'p> {
        Maps { p, h, known: AddrMap::default(), recent: vec![(0, None, Rule::default()); 512], metas: AddrSet::default(), objects: [0; 64], ids }
    }

    /// Is `q` (tagged) a meta map: a map whose map is itself?
    fn is_meta(&mut self, r: &Reader, q: u64) -> bool {
        if self.metas.contains(&q) {
            return true;
        }
        // Not remembered when false: asked for every pointer word the
        // scan steps on, a set of them grew by millions; the read is of a
        // map, which is in cache.
        let ok = self.p.is_ptr(q) && r.u64((q - self.p.tag).wrapping_add(self.p.off_map)) == Some(q);
        if ok {
            self.metas.insert(q);
        }
        ok
    }

    /// `m`'s entry in the direct-mapped cache `recent`.
    #[inline(always)]
    fn slot(m: u64) -> usize {
        ((m >> 3) ^ (m >> 12)) as usize & 511
    }

    /// The fast path's rule for `m`, if `m` is in the direct-mapped cache.
    #[inline(always)]
    fn rule(&self, m: u64) -> Option<Rule> {
        let e = &self.recent[Self::slot(m)];
        (e.0 == m && e.2.kind != 0).then_some(e.2)
    }

    /// If `m` (tagged) is a map, the shape of its objects.
    #[inline(always)]
    fn shape(&mut self, r: &Reader, m: u64) -> Option<Shape> {
        // Slot 0's empty key 0 is never asked: `m` is a tagged pointer.
        let k = Self::slot(m);
        if self.recent[k].0 == m {
            return self.recent[k].1;
        }
        self.shape_miss(r, m, k)
    }

    #[inline(never)]
    fn shape_miss(&mut self, r: &Reader, m: u64, k: usize) -> Option<Shape> {
        let s = match self.known.get(&m) {
            Some(s) => *s,
            None => {
                // Only maps are remembered for good; other pointers (words
                // inside bodies of unknown size) only in `recent`.
                let s = self.classify(r, m);
                if s.is_some() {
                    self.known.insert(m, s);
                }
                s
            }
        };
        self.recent[k] = (m, s, Rule::of(self.p, s));
        s
    }

    fn classify(&mut self, r: &Reader, m: u64) -> Option<Shape> {
        let p = self.p;
        if !p.is_ptr(m) {
            return None;
        }
        let um = m - p.tag;
        let meta = r.u64(um.wrapping_add(p.off_map))?;
        if !self.is_meta(r, meta) {
            return None;
        }
        let t = r.u16(um.wrapping_add(p.off_type))?;
        let words = r.u8(um.wrapping_add(p.off_size_words))? as u64;
        let size = words * 8;
        let ts = &p.types;
        if self.h.is_js_receiver_type(t) {
            // JS objects always have a fixed instance size.
            if size == 0 {
                return Some(Shape::Unknown);
            }
            return Some(Shape::Js { size, proxy: ts.proxy == Some(t), id: self.ids.id(m) });
        }
        if ts.free_space == Some(t) {
            return Some(Shape::Free);
        }
        if size != 0 {
            return Some(Shape::Fixed(size));
        }
        if ts.fixed_arrays.contains(&t) {
            return Some(Shape::Array { header: p.fixed_header, elem: 8, raw: false });
        }
        if ts.double_array == Some(t) {
            return Some(Shape::Array { header: p.double_header, elem: 8, raw: true });
        }
        if ts.byte_array == Some(t) {
            return Some(Shape::Array { header: p.fixed_header, elem: 1, raw: true });
        }
        if self.h.is_string_type(t) {
            if let Ok((super::heap::StrRepr::Seq, one)) = self.h.string_kind(t) {
                return Some(if one {
                    Shape::SeqString { header: p.one_byte_header, elem: 1 }
                } else {
                    Shape::SeqString { header: p.two_byte_header, elem: 2 }
                });
            }
        }
        Some(Shape::Unknown)
    }

    /// Is `v` a Smi or a pointer to a heap object (one with a real map)?
    fn is_value(&mut self, r: &Reader, v: u64) -> bool {
        if self.p.is_smi(v) {
            return true;
        }
        self.is_object(r, v)
    }

    fn is_object(&mut self, r: &Reader, v: u64) -> bool {
        if !self.p.is_ptr(v) {
            return false;
        }
        let slot = ((v >> 3) & 63) as usize;
        if self.objects[slot] == v {
            return true;
        }
        let ok = match r.u64((v - self.p.tag).wrapping_add(self.p.off_map)) {
            Some(m) => self.known.get(&m).copied().unwrap_or_else(|| {
                let s = self.classify(r, m);
                self.known.insert(m, s);
                s
            }).is_some(),
            None => false,
        };
        if ok {
            self.objects[slot] = v;
        }
        ok
    }
}

/// What one chunk yielded.
#[derive(Default)]
struct ChunkOut {
    objects: Vec<Slot>,
    garbage: Vec<Found>,
    heap_objects: u64,
    free_bytes: u64,
    /// Extents of objects (or free space) running past the chunk's end:
    /// (start, end, is_free).
    overhang: Vec<(u64, u64, bool)>,
    /// Starts of the overhanging objects that hold only data (strings,
    /// double and byte arrays): their tails are no roots.
    raw_overhang: Vec<u64>,
    /// Young-generation pages only: every object recognised, as (untagged
    /// start, size; 0 when unknown), for the liveness pass.
    young_objs: Vec<(u64, u64, u64)>,
    /// Free space extents (untagged): their words are no roots.
    free: Vec<(u64, u64)>,
    /// Pages pending sweep only: extents of the objects the last full GC
    /// left unmarked (dead): their words are no roots either.
    unmarked: Vec<(u64, u64)>,
    /// The chunk scanned, and whether it is a young-generation page.
    range: (u64, u64),
    young: bool,
    /// Old pages only: words that may point into a young page, as (where,
    /// word), the liveness pass's roots, collected while the chunk is in
    /// cache.
    young_refs: Vec<(u64, u64)>,
    /// Whether they came from the page's remembered set (which covers a
    /// large object's whole extent) or from reading every word.
    rset: Option<bool>,
}

fn round8(n: u64) -> u64 {
    n.saturating_add(7) & !7
}

/// One chunk's object walk `[base, base + bytes.len())`, a step (one word
/// or one object) at a time: a worker walks two chunks in alternation,
/// because the walk is a chain of dependent loads (an object's size gives
/// the next one's address) and two independent chains keep twice as many
/// loads in flight.
/// `maps` is shared by the chunks one worker scans: what it caches is a
/// fact of the core, the same from any chunk. `bitmap`: the page's marking
/// bitmap when it is pending sweep. `at_object`: `base` is where a V8 page's
/// first object starts.
struct Walk<'a> {
    r: Reader<'a>,
    base: u64,
    bytes: &'a [u8],
    end: u64,
    young: bool,
    bitmap: Option<&'a [u8]>,
    i: usize,
    free_until: u64,
    /// Whether `i` is an object's start: the page's first, or the end of an
    /// object of known size. A JS map word there starts a JS object; found
    /// anywhere else (after a word of unknown meaning, inside free space) it
    /// must show a JS object's fields too (checking those cost a cache miss
    /// or two per object, a fifth of the walk).
    synced: bool,
    out: ChunkOut,
}

impl<'a> Walk<'a> {
    fn new(t: &'a Target, base: u64, bytes: &'a [u8], young: bool, bitmap: Option<&'a [u8]>, at_object: bool) -> Walk<'a> {
        Walk {
            r: Reader { t, base, bytes },
            base,
            bytes,
            end: base + bytes.len() as u64,
            young,
            bitmap,
            i: 0,
            free_until: 0,
            synced: at_object,
            out: ChunkOut::default(),
        }
    }

    /// One step; false once the chunk is done.
    #[inline(always)]
    fn step(&mut self, p: &Params, maps: &mut Maps) -> bool {
        let (base, bytes, end) = (self.base, self.bytes, self.end);
        let i = self.i;
        // The fast path: a map the cache knows with a rule, and the length
        // word in the chunk, outside free space; a JS object only where an
        // object must start.
        if let Some(b) = bytes.get(i..i + 16) {
            let w = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
            let lw = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
            let a = base + i as u64;
            if let Some(rule) = maps.rule(w)
                && a >= self.free_until
                && (!rule.js || self.synced || a == self.free_until)
            {
                let n = lw >> 32;
                let sized = rule.kind == 1 || (n < (1 << 30) && (rule.kind == 3 || lw & p.smi_mask == 0));
                if sized {
                    let n = if rule.kind == 1 { 0 } else { n };
                    let size = round8(rule.base as u64 + n * rule.elem as u64);
                    let out = &mut self.out;
                    if rule.js {
                        out.objects.push(Slot { word: (i / 8) as u32, map: rule.id });
                    }
                    out.heap_objects += 1;
                    if self.young {
                        out.young_objs.push((a, size, w));
                    }
                    let oend = a + size;
                    if self.bitmap.is_some_and(|bm| !marked(bm, a)) {
                        out.unmarked.push((a, oend));
                    }
                    if oend > end {
                        out.overhang.push((a, oend, false));
                        if rule.raw {
                            out.raw_overhang.push(a);
                        }
                        self.i = bytes.len();
                        return false;
                    }
                    self.i = (oend - base) as usize;
                    self.synced = true;
                    return true;
                }
            }
        }
        self.step_slow(p, maps)
    }

    /// A step the fast path does not take.
    #[inline(never)]
    fn step_slow(&mut self, p: &Params, maps: &mut Maps) -> bool {
        let (r, base, bytes, end, out) = (&self.r, self.base, self.bytes, self.end, &mut self.out);
        let i = self.i;
        if i + 8 > bytes.len() {
            return false;
        }
        let a = base + i as u64;
        let w = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
        let shape = if p.is_ptr(w) { maps.shape(r, w) } else { None };
        let Some(shape) = shape else {
            self.i += 8;
            self.synced = false;
            return true;
        };
        let free_until = self.free_until;
        let in_free = a < free_until;
        let size = match shape {
            Shape::Js { size, proxy, id } => {
                // (The end of free space is an object's start too.)
                let ok = ((self.synced || a == free_until) && !in_free) || {
                    let props = r.u64(a + p.off_props);
                    let elems = r.u64(a + p.off_elements);
                    props.is_some_and(|v| maps.is_value(r, v)) && (proxy || elems.is_some_and(|v| maps.is_object(r, v)))
                };
                if !ok {
                    self.i += 8;
                    self.synced = false;
                    return true;
                }
                if in_free {
                    out.garbage.push(Found { addr: a + p.tag, map: w });
                } else {
                    out.objects.push(Slot { word: (i / 8) as u32, map: id });
                }
                Some(size)
            }
            Shape::Fixed(s) => Some(s),
            Shape::Array { header, elem, .. } => r
                .u64(a + p.off_len)
                .filter(|v| p.is_smi(*v))
                .map(|v| p.smi(v))
                .filter(|n| (0..(1 << 30)).contains(n))
                .map(|n| round8(header + n as u64 * elem)),
            Shape::SeqString { header, elem } => r
                .u32(a + p.off_str_len)
                .filter(|n| *n < (1 << 30))
                .map(|n| round8(header + n as u64 * elem)),
            Shape::Free => {
                let s = p
                    .off_free_size
                    .and_then(|o| r.u64(a + o))
                    .filter(|v| p.is_smi(*v))
                    .map(|v| p.smi(v).saturating_mul(p.free_unit as i64))
                    .filter(|n| *n >= 16 && *n % 8 == 0 && *n < (1 << 40));
                if let Some(s) = s {
                    let s = s as u64;
                    let fend = a + s;
                    if fend > free_until {
                        out.free_bytes += fend - a.max(free_until);
                        out.free.push((a.max(free_until), fend));
                        self.free_until = fend;
                    }
                    if fend > end {
                        out.overhang.push((a, fend, true));
                    }
                }
                // Look inside free space too: what was there is garbage.
                self.i += 16;
                self.synced = false;
                out.heap_objects += 1;
                return true;
            }
            Shape::Unknown => None,
        };
        out.heap_objects += 1;
        if self.young && !in_free {
            out.young_objs.push((a, size.unwrap_or(0), w));
        }
        match size {
            Some(s) if s >= 8 => {
                // A stale object in free space may run past it (its map is
                // what it was): the rest was reused by live objects, which
                // must not be jumped over.
                let oend = a.saturating_add(s);
                let oend = if in_free { oend.min(free_until) } else { oend };
                if !in_free && self.bitmap.is_some_and(|bm| !marked(bm, a)) {
                    out.unmarked.push((a, oend));
                }
                if oend > end {
                    out.overhang.push((a, oend, false));
                    if matches!(shape, Shape::Array { raw: true, .. } | Shape::SeqString { .. }) {
                        out.raw_overhang.push(a);
                    }
                    self.i = bytes.len();
                    return false;
                }
                self.i = (oend - base) as usize;
                self.synced = !in_free;
            }
            _ => {
                self.i += 8;
                self.synced = false;
            }
        }
        true
    }
}

/// Scans one chunk (see [`Walk`]).
fn scan_chunk(p: &Params, maps: &mut Maps, base: u64, bytes: &[u8], young: bool, bitmap: Option<&[u8]>, at_object: bool) -> ChunkOut {
    let t = maps.h.t;
    let mut w = Walk::new(t, base, bytes, young, bitmap, at_object);
    while w.step(p, maps) {}
    w.out
}

/// What a chunk's walk needs besides the walk, found before it: its
/// bytes, whether it is young, its pointers into young pages (and whether
/// they came from its remembered set), and its marking bitmap.
struct Prepared<'a> {
    range: (u64, u64),
    bytes: &'a [u8],
    young: bool,
    refs: Vec<(u64, u64)>,
    rset: Option<bool>,
    bitmap: Option<&'a [u8]>,
}

impl<'a> Prepared<'a> {
    fn walk(&self, t: &'a Target, at_object: bool) -> Walk<'a> {
        Walk::new(t, self.range.0, self.bytes, self.young, self.bitmap, at_object)
    }
}

/// Walks two chunks in alternation (see [`Walk`]).
fn walk_two(p: &Params, maps: &mut Maps, mut a: Walk, mut b: Walk) -> (ChunkOut, ChunkOut) {
    loop {
        let more_a = a.step(p, maps);
        let more_b = b.step(p, maps);
        if !more_a {
            while b.step(p, maps) {}
            break;
        }
        if !more_b {
            while a.step(p, maps) {}
            break;
        }
    }
    (a.out, b.out)
}

/// A range of memory to scan.
#[derive(Clone, Copy)]
struct Range {
    start: u64,
    end: u64,
}

/// The anonymous, writable, dumped memory of the core, minus thread stacks.
fn heap_ranges(t: &Target) -> (Vec<Range>, usize) {
    let stacks: Vec<u64> = t.threads.iter().map(|th| th.regs.rsp()).collect();
    let mut out = Vec::new();
    let mut skipped = 0;
    for s in &t.core.segments {
        let writable = s.flags & object::elf::PF_W.0 != 0 && s.flags & object::elf::PF_R.0 != 0;
        // Executable memory is code (V8 12+ reserve a 512 MB rwx code
        // range, mostly not dumped): JS objects never live there, and
        // looking for pages in it cost more than the heap on small cores.
        let exec = s.flags & object::elf::PF_X.0 != 0;
        if !writable || exec || s.memsz == 0 {
            continue;
        }
        let end = s.vaddr.saturating_add(s.present.min(s.memsz));
        let file_backed = t.core.files.iter().any(|f| f.start < s.end() && f.end > s.vaddr);
        let stack = stacks.iter().any(|sp| *sp >= s.vaddr && *sp < s.end());
        if file_backed || stack || end <= s.vaddr {
            skipped += 1;
            continue;
        }
        out.push(Range { start: s.vaddr, end });
    }
    (out, skipped)
}

/// How far into a page the page-start search looks for the first object.
const MAX_HEADER: u64 = 16 << 10;

/// Offset of the first map word in the chunk at `c` (256 KiB-aligned), if
/// one is within [`MAX_HEADER`] bytes.
fn first_map_offset(p: &Params, maps: &mut Maps, c: u64, bytes: &[u8]) -> Option<u64> {
    let r = Reader { t: maps.h.t, base: c, bytes };
    let n = bytes.len().min(MAX_HEADER as usize);
    (0..n / 8).map(|i| i as u64 * 8).find(|&o| r.u64(c + o).is_some_and(|w| p.is_ptr(w) && maps.shape(&r, w).is_some()))
}

/// Chunks sampled for the header size when the page headers identify the
/// pages.
const HEADER_SAMPLE: usize = 64;

/// [`find_pages`] where this V8's page header layout is known: a page is a
/// chunk whose header names it ([`PageLayout::names_page`]) and whose
/// first object, a map, sits where it does on the others. The header size
/// is the most common first-map offset of a sample of such chunks. Three
/// reads per chunk, where looking for the first map word read the whole
/// header (the marking bitmap is inline in V8 10-11: random words, many
/// looking like pointers).
fn find_pages_by_header(p: &Params, h: Heap, chunks: &[(u64, u64)]) -> Option<(Vec<(u64, u64)>, u64)> {
    let pl = PageLayout::new(&h)?;
    let named: Vec<(u64, u64)> = chunks.par_iter().copied().filter(|(a, _)| a % CHUNK == 0 && pl.names_page(h.t, *a)).collect();
    let step = (named.len() / HEADER_SAMPLE).max(1);
    let mut maps = Maps::new(p, h);
    let mut hist: HashMap<u64, usize> = HashMap::new();
    for &(a, b) in named.iter().step_by(step) {
        if let Some(o) = h.t.core_slice(a, (b - a) as usize).and_then(|bytes| first_map_offset(p, &mut maps, a, bytes)) {
            *hist.entry(o).or_default() += 1;
        }
    }
    let (&mode, &n) = hist.iter().max_by_key(|(o, n)| (**n, std::cmp::Reverse(**o)))?;
    if mode == 0 || n < 2 {
        return None;
    }
    let pages = named
        .par_iter()
        .map_init(
            || Maps::new(p, h),
            |maps, &(a, b)| {
                let bytes = h.t.core_slice(a, (b - a) as usize)?;
                let r = Reader { t: h.t, base: a, bytes };
                let w = r.u64(a + mode)?;
                (p.is_ptr(w) && maps.shape(&r, w).is_some()).then_some((a + mode, b))
            },
        )
        .flatten()
        .collect();
    Some((pages, mode))
}

/// The V8 pages among 256 KiB-aligned chunks: every page has the same
/// header size, so its first object (a map word) sits at the same offset
/// (`MemoryChunkLayout::ObjectStartOffsetInDataPage`, which is not in the
/// metadata). The most common first-map offset is that header size, and
/// the chunks whose first map word sits there are pages; malloc arenas and
/// other anonymous memory are left out, which keeps handle blocks and
/// compiler zones (full of map pointers) from being taken for objects.
/// Returns the page chunks (start of their object area, end) and the
/// header size, or None when no offset stands out.
fn find_pages(p: &Params, h: Heap, chunks: &[(u64, u64)]) -> Option<(Vec<(u64, u64)>, u64)> {
    if let Some(found) = find_pages_by_header(p, h, chunks) {
        return Some(found);
    }
    let firsts: Vec<(u64, u64, Option<u64>)> = chunks
        .par_iter()
        .filter(|(a, _)| a % CHUNK == 0)
        .map_init(|| Maps::new(p, h), |maps, &(a, b)| (a, b, h.t.core_slice(a, (b - a) as usize).and_then(|bytes| first_map_offset(p, maps, a, bytes))))
        .collect();
    let mut hist: HashMap<u64, usize> = HashMap::new();
    for (_, _, o) in &firsts {
        if let Some(o) = o {
            *hist.entry(*o).or_default() += 1;
        }
    }
    let (&mode, &n) = hist.iter().max_by_key(|(o, n)| (**n, std::cmp::Reverse(**o)))?;
    // A page header is never empty, and the offset must be shared.
    if mode == 0 || n < 2 {
        return None;
    }
    let pages = firsts.into_iter().filter(|(_, _, o)| *o == Some(mode)).map(|(a, b, _)| (a + mode, b)).collect();
    Some((pages, mode))
}

/// The young generation's objects, for deciding which are alive.
///
/// Young pages hold objects allocated since the last scavenge (alive or
/// not yet collected) and, past the allocation top, stale copies from
/// earlier cycles: dead, but with their maps intact. Without the heap's
/// allocation top (not in the metadata), liveness is decided by
/// reachability: a young object is alive if a word outside the young
/// generation points at it (old-generation pages, free space excepted;
/// every other writable memory: stacks, handles, the isolate's roots), or
/// a word inside a live young object does. Conservative: a stale pointer
/// keeps an object alive, a live one is never lost. Each object's extent
/// is its size when known, else up to the next object found.
struct Young<'a> {
    p: &'a Params,
    t: &'a Target,
    /// (untagged start, end), sorted by start.
    objs: Vec<(u64, u64)>,
    /// Each young page's objects: the range of `objs` they fill (a lookup
    /// searches a page's few thousand, not all, which missed the cache at
    /// every step), and the page's bytes from its base (a body is read
    /// from them, not looked up among the core's segments).
    by_page: AddrMap<(usize, usize, Option<&'a [u8]>)>,
    /// Which of them are microtasks (the queue that holds them is malloc'd).
    task: Vec<bool>,
}

/// Microtasks: young objects a pointer from malloc'd memory keeps alive
/// (the microtask queue's ring buffer is malloc'd; the collector's stale
/// worklists hold JS objects and arrays, not these).
const MICROTASK_TYPES: [&str; 5] = [
    "CALLABLE_TASK_TYPE",
    "CALLBACK_TASK_TYPE",
    "PROMISE_FULFILL_REACTION_JOB_TASK_TYPE",
    "PROMISE_REJECT_REACTION_JOB_TASK_TYPE",
    "PROMISE_RESOLVE_THENABLE_JOB_TASK_TYPE",
];

/// The x86-64 ABI's red zone: leaf code may keep live data this far
/// below the stack pointer.
const RED_ZONE: u64 = 128;

/// A direct-mapped bit filter of a set of pages: the liveness pass tests
/// pointer-like words against the young pages, and nearly all point
/// elsewhere; one bit test (8 KiB of bits, in L1) rejects them, where
/// hashing each cost a fifth of the whole scan. The exact test follows.
struct PageFilter {
    bits: Vec<u64>,
}

impl PageFilter {
    const BITS: u64 = 1 << 16;

    fn new(set: &AddrSet) -> PageFilter {
        let mut bits = vec![0u64; (Self::BITS / 64) as usize];
        for page in set {
            let k = Self::slot(*page);
            bits[k / 64] |= 1 << (k % 64);
        }
        PageFilter { bits }
    }

    fn slot(addr: u64) -> usize {
        ((addr / CHUNK) % Self::BITS) as usize
    }

    /// May `addr` be in one of the pages? (No false negatives.)
    #[inline]
    fn maybe(&self, addr: u64) -> bool {
        let k = Self::slot(addr);
        self.bits[k / 64] >> (k % 64) & 1 == 1
    }
}

/// The words of `bytes` (at `base`) that are tagged pointers which may
/// point into a young page, as (address, word): a tight, branch-free loop
/// over a page that [`warm`] has just brought into the cache.
fn young_refs(p: &Params, f: &PageFilter, bytes: &[u8], base: u64, out: &mut Vec<(u64, u64)>) {
    // Branch-free: every word is written to a block buffer and kept only if
    // it passed (a mispredicted branch per hit would stall the loads).
    const BLOCK: usize = 4096;
    let mut buf = [0u32; BLOCK];
    for (bi, block) in bytes.chunks(BLOCK * 8).enumerate() {
        let mut n = 0usize;
        for (i, c) in block.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            buf[n] = i as u32;
            n += ((w & p.tag_mask == p.tag) & f.maybe(w)) as usize;
        }
        let at = base + (bi * BLOCK * 8) as u64;
        for &i in &buf[..n] {
            let off = i as usize * 8;
            let w = u64::from_le_bytes(block[off..off + 8].try_into().unwrap_or([0; 8]));
            out.push((at + off as u64, w));
        }
    }
}

/// The words at `slots` (from the page's remembered set) that are tagged
/// pointers which may point into a young page, as (address, word): read
/// from `bytes` (the chunk at `base`) or, past it (a large object), from
/// the core.
fn rset_refs(p: &Params, f: &PageFilter, t: &Target, bytes: &[u8], base: u64, slots: &[u64], out: &mut Vec<(u64, u64)>) {
    let end = base + bytes.len() as u64;
    for &at in slots {
        let w = if at >= base && at + 8 <= end {
            let i = (at - base) as usize;
            u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]))
        } else {
            match t.read_u64(at) {
                Ok(w) => w,
                Err(_) => continue,
            }
        };
        if p.is_ptr(w) && f.maybe(w) {
            out.push((at, w));
        }
    }
}

/// Mangled name of `v8::internal::Heap::PerformGarbageCollection`, which
/// every V8 collection (scavenge or full) runs inside, on the main thread.
const PERFORM_GC: &str = "_ZN2v88internal4Heap24PerformGarbageCollection";

/// Whether a garbage collection may have been running when the core was
/// taken: a return address into [`PERFORM_GC`] on some thread's stack,
/// above its stack pointer. During one the remembered sets are being
/// consumed and rebuilt, so the scan reads every word instead. True too
/// when the function is not known (no symbols): a stale word or a missing
/// symbol costs only speed.
fn gc_in_progress(h: &Heap) -> bool {
    let t = h.t;
    let Some(m) = t.modules.iter().find(|m| m.name == h.v8.meta.module).or_else(|| t.executable()) else { return true };
    let ranges: Vec<(u64, u64)> = m
        .symbols()
        .iter()
        .filter(|s| s.size > 0 && s.name.starts_with(PERFORM_GC))
        .map(|s| (s.addr.wrapping_add(m.bias), s.addr.wrapping_add(m.bias).wrapping_add(s.size)))
        .collect();
    if ranges.is_empty() {
        return true;
    }
    t.threads.iter().any(|th| {
        t.core_slice_from(th.regs.rsp() & !7, usize::MAX).is_some_and(|stack| {
            stack.chunks_exact(8).any(|w| {
                let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
                ranges.iter().any(|&(a, b)| a < w && w <= b)
            })
        })
    })
}

/// Reads one word per cache line of `bytes`, so that the loops that follow
/// find the page in cache. The object walk jumps from object to object (a
/// chain of dependent loads the prefetcher does not follow) and the
/// candidate loop carries its count from word to word: on memory both had
/// few loads in flight and waited on each; this loop has no dependency and
/// streams the page in as fast as a plain read.
fn warm(bytes: &[u8]) {
    let mut x = 0u64;
    for c in bytes.chunks_exact(64) {
        x ^= u64::from_le_bytes(c[..8].try_into().unwrap_or([0; 8]));
    }
    std::hint::black_box(x);
}

/// Drops the refs that lie in `free` (sorted extents: free space, dead
/// objects).
fn drop_free(refs: &mut Vec<(u64, u64)>, free: &[(u64, u64)]) {
    if free.is_empty() || refs.is_empty() {
        return;
    }
    refs.retain(|(at, _)| {
        let i = free.partition_point(|f| f.1 <= *at);
        !(i < free.len() && free[i].0 <= *at)
    });
}

/// Most objects traced in the young generation (bounds the work on a
/// corrupt core).
const MAX_YOUNG_TRACE: usize = 1 << 26;

impl<'a> Young<'a> {
    fn new(p: &'a Params, h: &Heap<'a>, mut objs: Vec<(u64, u64, u64)>) -> Young<'a> {
        objs.sort();
        objs.dedup_by_key(|(a, _, _)| *a);
        let tasks: HashSet<u16> = MICROTASK_TYPES.iter().filter_map(|n| h.v8.types.num(n)).collect();
        let mut task_maps: MapCache<bool> = MapCache::new();
        let task: Vec<bool> = objs.iter().map(|&(_, _, m)| task_maps.get(m, || h.map_instance_type(m).is_ok_and(|t| tasks.contains(&t)))).collect();
        let n = objs.len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let (a, size, _) = objs[i];
            let page_end = (a & !(CHUNK - 1)) + CHUNK;
            let next = objs.get(i + 1).map(|o| o.0).filter(|&b| b < page_end).unwrap_or(page_end);
            let end = if size > 0 { a + size } else { next };
            out.push((a, end.max(a + 8)));
        }
        let mut by_page: AddrMap<(usize, usize, Option<&[u8]>)> = AddrMap::default();
        for (i, &(a, _)) in out.iter().enumerate() {
            let page = a & !(CHUNK - 1);
            let r = by_page.entry(page).or_insert_with(|| (i, i, h.t.core_slice_from(page, CHUNK as usize)));
            r.1 = i + 1;
        }
        Young { p, t: h.t, objs: out, by_page, task }
    }

    /// The bytes of the object at `a` (untagged) up to `e`, after its map
    /// word.
    fn body(&self, a: u64, e: u64) -> Option<&'a [u8]> {
        let page = a & !(CHUNK - 1);
        let inside = self.by_page.get(&page).and_then(|r| r.2).and_then(|b| b.get((a + 8 - page) as usize..(e - page) as usize));
        inside.or_else(|| self.t.core_slice(a + 8, (e - a - 8) as usize))
    }

    /// The young object a word points at (its start), if any.
    fn target(&self, pages: &PageFilter, w: u64) -> Option<usize> {
        if !self.p.is_ptr(w) || !pages.maybe(w) {
            return None;
        }
        let a = w - self.p.tag;
        let &(lo, hi, _) = self.by_page.get(&(a & !(CHUNK - 1)))?;
        self.objs[lo..hi].binary_search_by_key(&a, |o| o.0).ok().map(|i| lo + i)
    }

    /// Young object starts that the words of `bytes` point at (a body, or
    /// a small region: big ones go through [`young_refs`] first).
    fn hits(&self, pages: &PageFilter, bytes: &[u8], out: &mut Vec<usize>) {
        for c in bytes.chunks_exact(8) {
            let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
            if let Some(k) = self.target(pages, w) {
                out.push(k);
            }
        }
    }

    /// Untagged starts of the live young objects, sorted. `page_refs`: the
    /// words of the old pages that may point into young ones (collected by
    /// the first pass); `pages`: every page scanned.
    fn live(&self, page_refs: &[&[(u64, u64)]], pages: &[(u64, u64)], tails: &[(u64, u64)], young: &AddrSet, ctl: &ScanControl) -> Result<Vec<u64>, ScanError> {
        let young_filter = &PageFilter::new(young);
        let page_set: AddrSet = pages.iter().map(|(a, _)| a & !(CHUNK - 1)).collect();
        // Roots: old pages (collected already), then all other writable memory.
        let mut regions: Vec<(u64, u64)> = tails.to_vec();
        // Stacks from each thread's stack pointer up (below it lie dead
        // frames), less the red zone; and writable file-backed data. Not
        // malloc'd memory: the garbage collector's freed worklists keep
        // stale pointers to dead young objects there by the thousand.
        let stacks: Vec<u64> = self.t.threads.iter().map(|th| th.regs.rsp()).collect();
        for s in &self.t.core.segments {
            if s.flags & object::elf::PF_W.0 == 0 {
                continue;
            }
            let sp = stacks.iter().copied().filter(|sp| *sp >= s.vaddr && *sp < s.end()).min();
            let file = self.t.core.files.iter().any(|f| f.start < s.end() && f.end > s.vaddr);
            if sp.is_none() && !file {
                continue;
            }
            let end = s.vaddr.saturating_add(s.present.min(s.memsz));
            let mut a = sp.map(|sp| sp.saturating_sub(RED_ZONE) & !7).unwrap_or(s.vaddr).max(s.vaddr);
            while a < end {
                let next = ((a / CHUNK) + 1).saturating_mul(CHUNK).min(end);
                if !page_set.contains(&(a & !(CHUNK - 1))) {
                    regions.push((a, next));
                }
                a = next;
            }
        }
        // Other anonymous writable memory (malloc'd: handles, the microtask
        // queue, and stale worklists): roots for microtasks only.
        let mut task_regions: Vec<(u64, u64)> = Vec::new();
        if self.task.iter().any(|t| *t) {
            for s in &self.t.core.segments {
                let w = s.flags & object::elf::PF_W.0 != 0;
                let x = s.flags & object::elf::PF_X.0 != 0;
                let stack = stacks.iter().any(|sp| *sp >= s.vaddr && *sp < s.end());
                let file = self.t.core.files.iter().any(|f| f.start < s.end() && f.end > s.vaddr);
                if !w || x || stack || file {
                    continue;
                }
                let end = s.vaddr.saturating_add(s.present.min(s.memsz));
                let mut a = s.vaddr;
                while a < end {
                    let next = ((a / CHUNK) + 1).saturating_mul(CHUNK).min(end);
                    if !page_set.contains(&(a & !(CHUNK - 1))) {
                        task_regions.push((a, next));
                    }
                    a = next;
                }
            }
        }
        let roots: Vec<Vec<usize>> = regions
            .par_iter()
            .map(|&(a, b)| {
                let mut out = Vec::new();
                if ctl.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                    return out;
                }
                // The tails of big arrays are most of these bytes: the
                // branch-free loop first, then the exact test on its few
                // candidates.
                if let Some(bytes) = self.t.core_slice(a, (b - a) as usize) {
                    let mut cand = Vec::new();
                    young_refs(self.p, young_filter, bytes, a, &mut cand);
                    out.extend(cand.into_iter().filter_map(|(_, w)| self.target(young_filter, w)));
                }
                out
            })
            .collect();
        let page_roots: Vec<usize> = page_refs
            .par_iter()
            .flat_map_iter(|refs| refs.iter().filter_map(|(_, w)| self.target(young_filter, *w)))
            .collect();
        if ctl.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
            return Err(ScanError::Interrupted);
        }
        let mut marked = vec![false; self.objs.len()];
        let mut work: Vec<usize> = Vec::new();
        let mut traced = 0usize;
        let mut found = Vec::new();
        let mut mark = |roots: &mut dyn Iterator<Item = usize>, marked: &mut Vec<bool>| {
            for k in roots {
                if !marked[k] {
                    marked[k] = true;
                    work.push(k);
                }
            }
            while let Some(k) = work.pop() {
                traced += 1;
                if traced > MAX_YOUNG_TRACE {
                    break;
                }
                let (a, e) = self.objs[k];
                // The body, after the map word.
                if let Some(bytes) = self.body(a, e) {
                    found.clear();
                    self.hits(young_filter, bytes, &mut found);
                    for &n in &found {
                        if !marked[n] {
                            marked[n] = true;
                            work.push(n);
                        }
                    }
                }
            }
        };
        mark(&mut roots.into_iter().flatten().chain(page_roots), &mut marked);
        // Microtasks nothing else reaches: look for them in malloc'd memory
        // (all of it, so only when there are such tasks).
        if self.task.iter().zip(&marked).any(|(t, m)| *t && !*m) {
            let task_roots: Vec<usize> = task_regions
                .par_iter()
                .flat_map_iter(|&(a, b)| {
                    let mut out = Vec::new();
                    if let Some(bytes) = self.t.core_slice(a, (b - a) as usize) {
                        self.hits(young_filter, bytes, &mut out);
                    }
                    out.into_iter().filter(|k| self.task[*k] && !marked[*k])
                })
                .collect();
            mark(&mut task_roots.into_iter(), &mut marked);
        }
        Ok(self.objs.iter().zip(&marked).filter(|(_, m)| **m).map(|(o, _)| o.0).collect())
    }
}

/// The memory a scan reads, as (start, end) extents: the object areas of
/// the V8 pages found, or every 256 KiB chunk of the heap ranges when no
/// page layout stands out. For benchmarks (a plain read of the same bytes
/// is the scan's physical limit).
pub fn scanned_extents(h: &Heap) -> Result<Vec<(u64, u64)>, V8Error> {
    let p = Params::new(h)?;
    Ok(chunks_to_scan(&p, *h).chunks)
}

/// What a scan reads.
struct Plan {
    chunks: Vec<(u64, u64)>,
    /// The page header size, when pages were recognised.
    page_header: Option<u64>,
    ranges: Vec<Range>,
    /// Ranges left out.
    skipped: usize,
}

fn chunks_to_scan(p: &Params, h: Heap) -> Plan {
    let (ranges, skipped) = heap_ranges(h.t);
    // 256 KiB-aligned chunks (V8 pages start on such boundaries).
    let mut chunks: Vec<(u64, u64)> = Vec::new();
    for r in &ranges {
        let mut a = r.start;
        while a < r.end {
            let next = ((a / CHUNK) + 1).saturating_mul(CHUNK).min(r.end);
            chunks.push((a, next));
            a = next;
        }
    }
    match find_pages(p, h, &chunks) {
        Some((pages, header)) => Plan { chunks: pages, page_header: Some(header), ranges, skipped },
        None => Plan { chunks, page_header: None, ranges, skipped },
    }
}

// ---------------------------------------------------------------- page states

/// Dead JS objects one chunk gave up, by how they were found dead.
#[derive(Default)]
struct Dead {
    young: u64,
    released: u64,
    unswept: u64,
}

/// How to tell the dead objects of one page.
enum PageDead<'a> {
    /// All of them (a released page).
    All,
    /// Those unmarked in this bitmap (a page pending sweep).
    Unmarked(&'a [u8]),
}

/// What V8's own header of a page says about the objects on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// A young-generation page (liveness is decided by reachability).
    Young,
    /// Nothing learned: swept (or never marked), a large or read-only page,
    /// a marking cycle running, or a layout this V8 lacks.
    Unknown,
    /// V8 has let go of the page (pooled, or queued to be freed): every
    /// object still on it is dead.
    Released,
    /// A finished full GC marked the page and the sweeper has not got to
    /// it: an object whose mark bit is clear is dead. `bitmap`: the marking
    /// bitmap's address.
    Unswept { bitmap: u64 },
}

/// The page-header layout, resolved once per scan (src/v8/layout.rs).
#[derive(Debug, Clone, Copy)]
struct PageLayout {
    flags: u64,
    young: u64,
    /// Where the metadata pointer is (0: the header is the metadata).
    meta_ptr: u64,
    meta_chunk: Option<u64>,
    bitmap: u64,
    sweeping: u64,
    pending: u64,
    large: u64,
    read_only: u64,
    marking: u64,
    released: u64,
    /// Metadata: the chunk's size, `slot_set_[OLD_TO_NEW]` and
    /// `[OLD_TO_NEW_BACKGROUND]`, and the bytes before a slot set's buckets
    /// (None where this V8's remembered-set layout is not known).
    chunk_size: Option<u64>,
    old_to_new: [Option<u64>; 2],
    slot_set_header: Option<u64>,
}

/// Bytes of a page's marking bitmap read for the bit test (one bit per
/// tagged word of 256 KiB; V8 10-11 keep 4 more bytes).
const BITMAP_BYTES: u64 = CHUNK / 8 / 8;

impl PageLayout {
    /// None when this V8's page layout is not known: then nothing is
    /// learned from page headers, as before.
    fn new(h: &Heap) -> Option<PageLayout> {
        let l = &h.v8.layout;
        let v = |f: &super::layout::Field| f.value.map(|v| v as u64);
        Some(PageLayout {
            flags: v(&l.page_flags)?,
            young: v(&l.page_young_mask)?,
            meta_ptr: v(&l.page_metadata_pointer)?,
            meta_chunk: v(&l.page_metadata_chunk),
            bitmap: v(&l.page_marking_bitmap)?,
            sweeping: v(&l.page_sweeping_state)?,
            pending: v(&l.sweeping_pending)?,
            large: v(&l.page_large_flag)?,
            read_only: v(&l.page_read_only_flag).unwrap_or(0),
            marking: v(&l.page_marking_flag)?,
            released: v(&l.page_released_mask).unwrap_or(0),
            chunk_size: v(&l.page_chunk_size),
            old_to_new: [v(&l.page_old_to_new), v(&l.page_old_to_new_background)],
            slot_set_header: v(&l.slot_set_header),
        })
    }

    /// Does the header at `page` (256 KiB-aligned) name it a V8 page? From
    /// V8 12 its metadata names the page back (V8 14 zeroes the metadata of
    /// the pages it pools); before, the header starts with the chunk's size
    /// (256 KiB, a large page's more, a read-only snapshot page's less).
    fn names_page(&self, t: &Target, page: u64) -> bool {
        if self.meta_ptr == 0 {
            return t.read_u64(page).is_ok_and(|size| size >= 0x1000 && size % 0x1000 == 0 && size < (1 << 40));
        }
        let Some(m) = self.metadata(t, page) else { return false };
        match self.meta_chunk {
            Some(off) => t.read_u64(m + off).is_ok_and(|c| c == page || c == 0),
            None => m == page,
        }
    }

    /// The page's metadata address.
    fn metadata(&self, t: &Target, page: u64) -> Option<u64> {
        if self.meta_ptr == 0 { Some(page) } else { t.read_u64(page + self.meta_ptr).ok().filter(|m| *m != 0) }
    }

    /// The slots V8's OLD_TO_NEW remembered set (and OLD_TO_NEW_BACKGROUND,
    /// where it exists) holds for the page at `page` (256 KiB-aligned; a
    /// large page's set covers its whole chunk): the addresses of the old
    /// objects' words that may point into the young generation, sorted. V8
    /// records every such word when it is written (the write barrier) or when
    /// its object is promoted; the set may also hold slots that no longer
    /// point there. None when this V8's layout is unknown or the page's
    /// metadata or sets are not in the core; empty when the page has no set.
    fn old_to_new_slots(&self, t: &Target, page: u64) -> Option<Vec<u64>> {
        let meta = self.metadata(t, page)?;
        // Not always 256 KiB: V8 shrinks the pages the snapshot filled to
        // what they hold (seen: 8 KiB to 168 KiB on the fixture cores).
        let size = t.read_u64(meta + self.chunk_size?).ok()?;
        if !(1..=MAX_RSET_CHUNK).contains(&size) {
            return None;
        }
        let buckets = size.div_ceil(BUCKET_SLOTS * 8);
        let header = self.slot_set_header?;
        let mut out = Vec::new();
        for off in self.old_to_new.into_iter().flatten() {
            let set = t.read_u64(meta + off).ok()?;
            if set == 0 {
                continue;
            }
            if header > 0 && t.read_u64(set.checked_sub(header)?).ok()? != buckets {
                return None;
            }
            let array = t.core_slice(set, (buckets * 8) as usize)?;
            for (k, b) in array.chunks_exact(8).enumerate() {
                let bucket = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                if bucket == 0 {
                    continue;
                }
                let cells = t.core_slice(bucket, 128)?;
                for (j, c) in cells.chunks_exact(4).enumerate() {
                    let mut cell = u32::from_le_bytes(c.try_into().unwrap_or([0; 4]));
                    while cell != 0 {
                        let i = cell.trailing_zeros() as u64;
                        cell &= cell - 1;
                        out.push(page + 8 * (k as u64 * BUCKET_SLOTS + j as u64 * 32 + i));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// Classify the page at `page` (256 KiB-aligned): one read of its flags,
    /// and for old pages of its metadata's sweeping state.
    fn state(&self, t: &Target, page: u64) -> PageState {
        let Ok(flags) = t.read_u64(page + self.flags) else { return PageState::Unknown };
        if flags & self.young != 0 {
            return PageState::Young;
        }
        if flags & (self.large | self.read_only) != 0 {
            return PageState::Unknown;
        }
        if flags & self.released != 0 {
            return PageState::Released;
        }
        let Some(m) = self.metadata(t, page) else { return PageState::Unknown };
        if let Some(off) = self.meta_chunk {
            // Metadata that no longer names its page: V8 14 zeroes the
            // metadata of the pages it pools.
            match t.read_u64(m + off) {
                Ok(c) if c == page => {}
                Ok(0) => return PageState::Released,
                _ => return PageState::Unknown,
            }
        }
        if flags & self.marking != 0 {
            return PageState::Unknown;
        }
        match t.read_u64(m + self.sweeping) {
            Ok(s) if s == self.pending && t.core_slice(m + self.bitmap, BITMAP_BYTES as usize).is_some() => {
                PageState::Unswept { bitmap: m + self.bitmap }
            }
            _ => PageState::Unknown,
        }
    }
}

/// Is the object at untagged `a` marked in its page's bitmap `bm`? Bit i
/// of the bitmap (little-endian, whatever the cell width) is the tagged
/// word at page + 8 i; an object's bit is its first word's.
fn marked(bm: &[u8], a: u64) -> bool {
    let i = (a & (CHUNK - 1)) >> 3;
    bm.get((i >> 3) as usize).is_none_or(|b| b >> (i & 7) & 1 == 1)
}

/// What the header of the page holding untagged `addr` says about the
/// objects on it, and for a page pending sweep whether the object starting
/// at `addr` is marked. For one address (`::v8whatis`); the scan classifies
/// all pages at once.
pub fn page_state(h: &Heap, addr: u64) -> (PageState, Option<bool>) {
    let state = state_of(h, PageLayout::new(h).as_ref(), addr & !(CHUNK - 1));
    let mark = match state {
        PageState::Unswept { bitmap } => h.t.core_slice(bitmap, BITMAP_BYTES as usize).map(|bm| marked(bm, addr)),
        _ => None,
    };
    (state, mark)
}

/// Largest chunk a slot set is read for (a large page holds one object;
/// V8 caps a regular heap at a few GB): a bound against a corrupt size.
const MAX_RSET_CHUNK: u64 = 1 << 32;

/// Slots in one bucket of a slot set (32 cells of 32 bits).
const BUCKET_SLOTS: u64 = 1024;

/// The pages of `chunks` (object-area starts; `header` bytes into their
/// page) by what their headers say: the young ones, and the old ones
/// whose objects are known dead or partly dead. One read of the flags per
/// page, and of the sweeping state for old ones.
fn classify_pages(h: &Heap, pl: Option<&PageLayout>, chunks: &[(u64, u64)], header: u64) -> (AddrSet, AddrMap<PageState>) {
    let mut young = AddrSet::default();
    let mut states: AddrMap<PageState> = AddrMap::default();
    for &(a, _) in chunks {
        let base = a - header;
        match state_of(h, pl, base) {
            PageState::Young => {
                young.insert(base);
            }
            PageState::Unknown => {}
            s => {
                states.insert(base, s);
            }
        }
    }
    (young, states)
}

/// The state of the page at `base`; without the page layout only its young
/// flag is known (from the metadata's flag offsets).
fn state_of(h: &Heap, pl: Option<&PageLayout>, base: u64) -> PageState {
    if let Some(pl) = pl {
        return pl.state(h.t, base);
    }
    let l = &h.v8.layout;
    match (l.page_flags.value, l.page_young_mask.value) {
        (Some(off), Some(mask)) if h.t.read_u64(base.wrapping_add(off as u64)).is_ok_and(|f| f & mask as u64 != 0) => PageState::Young,
        _ => PageState::Unknown,
    }
}

/// What one page's header and marking bitmap say, checked against the
/// objects on it (for tests and for checking a new V8 version's layout).
#[derive(Debug, Clone)]
pub struct PageReport {
    /// The page (256 KiB-aligned).
    pub page: u64,
    pub state: PageState,
    /// The page's live-bytes counter (set by the last full GC's marking).
    pub live_bytes: Option<i64>,
    /// Objects found on the page whose mark bit is set, and their bytes
    /// (those whose size is known).
    pub marked: u64,
    pub marked_bytes: u64,
    /// Marked objects whose size the scan does not know.
    pub marked_unsized: u64,
    /// Objects found whose mark bit is clear.
    pub unmarked: u64,
    /// Bits set in the bitmap, and those at the start of an object found
    /// (V8 10-11 also set the second bit of black objects).
    pub bits: u64,
    pub bits_at_objects: u64,
}

/// Every page that [`scan`] reads, with its state; the pages pending sweep
/// walked object by object against their bitmaps.
pub fn page_reports(h: &Heap) -> Result<Vec<PageReport>, V8Error> {
    let p = Params::new(h)?;
    let plan = chunks_to_scan(&p, *h);
    let Some(header) = plan.page_header else { return Ok(Vec::new()) };
    let Some(pl) = PageLayout::new(h) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    let mut maps = Maps::new(&p, *h);
    for &(a, b) in &plan.chunks {
        let page = a - header;
        let state = pl.state(h.t, page);
        let live_bytes = pl.metadata(h.t, page).and_then(|m| h.t.read_u64(m + h.v8.layout.page_live_bytes.off().ok()?).ok()).map(|v| v as i64);
        let mut r = PageReport { page, state, live_bytes, marked: 0, marked_bytes: 0, marked_unsized: 0, unmarked: 0, bits: 0, bits_at_objects: 0 };
        if let PageState::Unswept { bitmap } = state
            && let (Some(bm), Some(bytes)) = (h.t.core_slice(bitmap, BITMAP_BYTES as usize), h.t.core_slice(a, (b - a) as usize))
        {
            let o = scan_chunk(&p, &mut maps, a, bytes, true, None, true);
            let starts: HashSet<u64> = o.young_objs.iter().map(|x| x.0).collect();
            for &(s, size, _) in &o.young_objs {
                if marked(bm, s) {
                    r.marked += 1;
                    r.marked_bytes += size;
                    r.marked_unsized += (size == 0) as u64;
                } else {
                    r.unmarked += 1;
                }
            }
            for (k, byte) in bm.iter().enumerate() {
                for bit in 0..8 {
                    if byte >> bit & 1 == 1 {
                        r.bits += 1;
                        r.bits_at_objects += starts.contains(&(page + (k as u64 * 8 + bit) * 8)) as u64;
                    }
                }
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// Find every JS object in the heap.
pub fn scan(h: &Heap, ctl: ScanControl) -> Result<HeapScan, ScanError> {
    let t0 = Instant::now();
    let p = Params::with(h, !ctl.step_unnamed_arrays)?;
    let Plan { mut chunks, page_header, ranges, skipped } = chunks_to_scan(&p, *h);
    chunks.sort_unstable();
    // Young-generation pages, and old ones whose header tells dead
    // objects apart, by their page base.
    let layout = PageLayout::new(h);
    let (young_pages, page_states) = match page_header {
        Some(header) => classify_pages(h, layout.as_ref(), &chunks, header),
        None => Default::default(),
    };
    let total: u64 = chunks.iter().map(|(a, b)| b - a).sum();
    let done = AtomicU64::new(0);
    let hh = *h;
    let yp = &young_pages;
    // Young objects are alive only if something alive points at them; the
    // old pages' pointers into young ones are collected by the first pass
    // (a second pass over the old generation would read it all again).
    let track = !ctl.all_young && !young_pages.is_empty();
    let gc_running = track && gc_in_progress(h);
    let use_rset = track && !gc_running && !ctl.word_scan;
    let filter = PageFilter::new(&young_pages);
    let prepare = |(a, b): (u64, u64)| -> Option<Prepared> {
        let bytes = hh.t.core_slice(a, (b - a) as usize)?;
        let young = yp.contains(&(a & !(CHUNK - 1)));
        let mut refs = Vec::new();
        // A light read of every cache line first: it streams the page
        // in with many loads in flight, where the loops that follow,
        // which carry a dependency from word to word, wait on each.
        warm(bytes);
        // The old page's pointers into young pages: those its remembered
        // set names, else every word that may be one.
        let mut rset = None;
        if track && !young {
            match layout.as_ref().filter(|_| use_rset).and_then(|pl| pl.old_to_new_slots(hh.t, a & !(CHUNK - 1))) {
                Some(slots) => {
                    rset_refs(&p, &filter, hh.t, bytes, a, &slots, &mut refs);
                    rset = Some(true);
                }
                None => {
                    young_refs(&p, &filter, bytes, a, &mut refs);
                    rset = Some(false);
                }
            }
        }
        // A dead object's pointers keep nothing alive.
        let bitmap = match page_states.get(&(a & !(CHUNK - 1))) {
            Some(PageState::Unswept { bitmap }) if track && !young => hh.t.core_slice(*bitmap, BITMAP_BYTES as usize),
            _ => None,
        };
        Some(Prepared { range: (a, b), bytes, young, refs, rset, bitmap })
    };
    let finish = |mut o: ChunkOut, pr: Prepared| -> ChunkOut {
        let (a, b) = pr.range;
        let mut refs = pr.refs;
        o.range = pr.range;
        o.young = pr.young;
        o.rset = pr.rset;
        drop_free(&mut refs, &o.free);
        drop_free(&mut refs, &o.unmarked);
        o.unmarked = Vec::new();
        o.young_refs = refs;
        let d = done.fetch_add(b - a, Ordering::Relaxed) + (b - a);
        if let Some(cb) = ctl.progress {
            cb(ScanProgress { done_bytes: d, total_bytes: total, elapsed: t0.elapsed() });
        }
        o
    };
    let at_object = page_header.is_some();
    let ids: std::sync::Arc<MapIds> = Default::default();
    let outs: Vec<Vec<ChunkOut>> = chunks
        .par_chunks(2)
        .map_init(|| Maps::with_ids(&p, hh, ids.clone()), |maps, pair| {
            if ctl.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
                return Vec::new();
            }
            let mut ready = pair.iter().filter_map(|&c| prepare(c));
            match (ready.next(), ready.next()) {
                (Some(p0), Some(p1)) => {
                    let (o0, o1) = walk_two(&p, maps, p0.walk(hh.t, at_object), p1.walk(hh.t, at_object));
                    vec![finish(o0, p0), finish(o1, p1)]
                }
                (one, _) => one
                    .into_iter()
                    .map(|pr| {
                        let mut w = pr.walk(hh.t, at_object);
                        while w.step(&p, maps) {}
                        finish(w.out, pr)
                    })
                    .collect(),
            }
        })
        .collect();
    if ctl.interrupt.is_some_and(|f| f.load(Ordering::Relaxed)) {
        return Err(ScanError::Interrupted);
    }
    let mut outs: Vec<ChunkOut> = outs.into_iter().flatten().collect();
    // (The workers' map caches, which shared the table, are gone.)
    let map_table = std::sync::Arc::try_unwrap(ids).map(MapIds::into_maps).unwrap_or_else(|ids| ids.inner.lock().map(|g| g.1.clone()).unwrap_or_default());
    let rset_covered: AddrSet = outs.iter().filter(|o| o.rset == Some(true)).map(|o| o.range.0 & !(CHUNK - 1)).collect();
    let mut res = HeapScan::default();
    res.stats.rset_pages = rset_covered.len();
    res.stats.word_pages = outs.iter().filter(|o| o.rset == Some(false)).count();
    res.stats.gc_running = gc_running;
    let mut overhang: Vec<(u64, u64, bool)> = Vec::new();
    let mut raw_overhang = AddrSet::default();
    for o in &mut outs {
        res.stats.heap_objects += o.heap_objects;
        res.stats.free_bytes += o.free_bytes;
        overhang.append(&mut o.overhang);
        raw_overhang.extend(o.raw_overhang.drain(..));
    }
    overhang.sort_unstable();
    // The furthest end of the extents up to each: an object beyond it is
    // inside none of them (nearly all are), without the walk back.
    let reach: Vec<u64> = overhang
        .iter()
        .scan(0u64, |m, o| {
            *m = (*m).max(o.1);
            Some(*m)
        })
        .collect();
    // Objects found inside a body (or free space) that ran across a chunk
    // boundary were found by the next chunk's scan, which could not know:
    // they are dropped, or moved to the garbage.
    let inside = |addr: u64| -> Option<bool> {
        let a = addr - p.tag;
        let i = overhang.partition_point(|(s, _, _)| *s < a);
        if i == 0 || reach[i - 1] <= a {
            return None;
        }
        overhang[..i].iter().rev().take(64).find(|(s, e, _)| *s < a && a < *e).map(|(_, _, free)| *free)
    };
    // A released page's words are no roots: V8 let go of the whole page.
    for o in outs.iter_mut() {
        if page_states.get(&(o.range.0 & !(CHUNK - 1))) == Some(&PageState::Released) {
            o.young_refs = Vec::new();
        }
    }
    let live = if track && outs.iter().any(|o| o.young && !o.objects.is_empty()) {
        let t1 = Instant::now();
        let mut objs: Vec<(u64, u64, u64)> = Vec::new();
        for o in outs.iter_mut().filter(|o| o.young) {
            objs.append(&mut o.young_objs);
        }
        let young = Young::new(&p, h, objs);
        // Old objects longer than a chunk (large object pages) are roots
        // beyond their first chunk too (not those holding only data).
        // (A remembered set covers its page's large object whole.)
        let tails: Vec<(u64, u64)> = overhang
            .iter()
            .filter(|(a, _, free)| !free && !young_pages.contains(&(a & !(CHUNK - 1))) && !raw_overhang.contains(a) && !rset_covered.contains(&(a & !(CHUNK - 1))))
            .map(|&(a, e, _)| (((a / CHUNK) + 1) * CHUNK, e))
            .filter(|(a, e)| a < e)
            .collect();
        let refs: Vec<&[(u64, u64)]> = outs.iter().map(|o| o.young_refs.as_slice()).collect();
        let live = young.live(&refs, &chunks, &tails, &young_pages, &ctl)?;
        for o in outs.iter_mut() {
            o.young_refs = Vec::new();
        }
        res.stats.young_pages = young_pages.len();
        res.stats.liveness_time = t1.elapsed();
        Some(live)
    } else {
        None
    };
    // Drop what overhanging bodies cover, the dead young objects and the
    // objects the page headers say are dead, chunk by chunk in parallel.
    let maps = &map_table;
    let kept: Vec<(Run, Vec<Found>, Dead)> = outs
        .into_par_iter()
        .map(|mut o| {
            let (ca, _) = o.range;
            let i = overhang.partition_point(|(s, _, _)| *s < ca);
            let cut = i > 0 && reach[i - 1] > ca;
            let mut garbage = std::mem::take(&mut o.garbage);
            let mut dead = Dead::default();
            let check_young = o.young && live.is_some();
            // The page's bitmap, read once (an unreadable one tells nothing).
            let page = match page_states.get(&(ca & !(CHUNK - 1))) {
                Some(PageState::Unswept { bitmap }) => hh.t.core_slice(*bitmap, BITMAP_BYTES as usize).map(PageDead::Unmarked),
                Some(PageState::Released) => Some(PageDead::All),
                _ => None,
            };
            if cut || check_young || page.is_some() {
                o.objects.retain(|s| {
                    let f = &s.found(ca, maps, p.tag);
                    if cut {
                        match inside(f.addr) {
                            Some(true) => {
                                garbage.push(*f);
                                return false;
                            }
                            Some(false) => return false,
                            None => {}
                        }
                    }
                    if check_young && live.as_ref().is_some_and(|l| l.binary_search(&(f.addr - p.tag)).is_err()) {
                        dead.young += 1;
                        garbage.push(*f);
                        return false;
                    }
                    match page {
                        Some(PageDead::All) => dead.released += 1,
                        Some(PageDead::Unmarked(bm)) if !marked(bm, f.addr - p.tag) => dead.unswept += 1,
                        _ => return true,
                    }
                    garbage.push(*f);
                    false
                });
            }
            (Run { base: ca, slots: o.objects }, garbage, dead)
        })
        .collect();
    for (run, garbage, dead) in kept {
        if !run.slots.is_empty() {
            res.runs.push(run);
        }
        res.garbage.extend(garbage);
        res.stats.young_dead += dead.young;
        res.stats.released_dead += dead.released;
        res.stats.unswept_dead += dead.unswept;
    }
    for s in page_states.values() {
        match s {
            PageState::Released => res.stats.released_pages += 1,
            PageState::Unswept { .. } => res.stats.unswept_pages += 1,
            _ => {}
        }
    }
    // Each run is in order by construction (the walk only moves up), and
    // the chunks are disjoint and sorted: checking where runs meet is
    // enough (reading 12M records again to check took 10 ms). Else sorted.
    let last = |r: &Run| r.slots.last().map(|s| s.at(r.base));
    let first = |r: &Run| r.slots.first().map(|s| s.at(r.base));
    res.maps = map_table;
    res.tag = p.tag;
    if !res.runs.windows(2).all(|w| last(&w[0]) < first(&w[1])) {
        let HeapScan { runs, maps, .. } = HeapScan::from_tagged(res.objects().collect(), p.tag);
        res.runs = runs;
        res.maps = maps;
    }
    res.garbage.sort_unstable();
    res.garbage.dedup();
    res.stats.ranges = ranges.len();
    res.stats.sized_array_types = p.sized_array_types;
    res.stats.pages = if page_header.is_some() { chunks.len() } else { 0 };
    res.stats.page_header = page_header;
    res.stats.skipped_ranges = skipped;
    res.stats.bytes_scanned = done.load(Ordering::Relaxed);
    res.stats.elapsed = t0.elapsed();
    Ok(res)
}

// ---------------------------------------------------------------- grouping

/// A group of objects with the same constructor and the same own property
/// names in the same order (arrays: the same length), as mdb_v8 grouped
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The constructor's name (`Object`, `Foo`, `Array`), or the instance
    /// type when it could not be read.
    pub constructor: String,
    /// Own property names in order; empty for arrays.
    pub props: Vec<String>,
    /// For arrays: their length.
    pub array_len: Option<u64>,
    /// The members' total shallow size in bytes.
    pub size: u64,
    /// The instances (tagged), sorted by address; the first represents the
    /// group.
    pub members: Vec<u64>,
}

impl Group {
    /// The representative instance.
    pub fn rep(&self) -> u64 {
        self.members.first().copied().unwrap_or(0)
    }
    /// mdb_v8's `#PROPS`: the number of properties, or an array's length.
    pub fn nprops(&self) -> u64 {
        self.array_len.unwrap_or(self.props.len() as u64)
    }
}

/// A grouped heap scan: what `::findjsobjects` prints and caches.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Sorted by instance count, smallest first (the biggest print last),
    /// then by constructor and properties.
    pub groups: Vec<Group>,
    /// Every object found (tagged), sorted, with its group index beside it
    /// in `group_ix` (two flat arrays: heaps hold tens of millions).
    pub objects: Vec<u64>,
    pub group_ix: Vec<u32>,
    /// JS objects that looked alive but are dead: in free space, young and
    /// unreached, on released pages, or unmarked on pages not yet swept.
    pub garbage: u64,
    /// Their addresses (tagged), sorted.
    pub garbage_objects: Vec<u64>,
    pub stats: ScanStats,
    /// Time spent grouping (reading constructors and property names).
    pub group_time: Duration,
    /// Objects whose property names could not be read (grouped by map).
    pub unreadable: u64,
}

impl Findings {
    pub fn objects(&self) -> usize {
        self.objects.len()
    }
    /// The group an object (tagged address) belongs to.
    pub fn group(&self, addr: u64) -> Option<&Group> {
        let i = self.objects.binary_search(&addr).ok()?;
        self.groups.get(*self.group_ix.get(i)? as usize)
    }
    /// Is `addr` (tagged) a JS object the scan judged dead?
    pub fn is_garbage(&self, addr: u64) -> bool {
        self.garbage_objects.binary_search(&addr).is_ok()
    }
}

/// Scan the heap and group what it holds.
pub fn find_objects(h: &Heap, ctl: ScanControl) -> Result<Findings, ScanError> {
    let s = scan(h, ctl)?;
    Ok(group(h, &s))
}

/// Longest property name kept in a group key.
const MAX_NAME: usize = 256;

/// What every object of one map shares.
#[derive(Clone)]
struct MapFacts {
    constructor: String,
    /// Bytes of each object of this map (Map::instance_size): its shallow
    /// size, as a heap snapshot counts it (elements and out-of-object
    /// properties are objects of their own).
    size: u64,
    /// Some: an array; read each object's length.
    array: bool,
    /// Names from the map (fast mode), or Err when the object's own
    /// dictionary must be read, or when they are unreadable.
    names: Result<Vec<String>, NamesFrom>,
}

#[derive(Clone, Copy, PartialEq)]
enum NamesFrom {
    Dictionary,
    Unreadable,
}

fn map_facts(h: &Heap, obj: u64, map: u64) -> MapFacts {
    let t = h.map_instance_type(map).unwrap_or(0);
    let array = h.v8.types.is(t, "JS_ARRAY_TYPE");
    let constructor = match super::object::constructor_name(h, obj) {
        Ok(n) if !n.is_empty() => n,
        _ if array => "Array".to_string(),
        _ => h.type_name(t),
    };
    let names = if array {
        Ok(Vec::new())
    } else if is_dictionary_map(h, map).unwrap_or(false) {
        Err(NamesFrom::Dictionary)
    } else {
        match super::object::map_property_names(h, map) {
            Ok(v) => Ok(v),
            Err(_) => descriptor_names(h, map).map_err(|_| NamesFrom::Unreadable),
        }
    };
    let size = h.u8_at(map, h.v8.layout.map_instance_size_in_words.off().unwrap_or(8)).map(|w| w as u64 * 8).unwrap_or(0);
    MapFacts { constructor, size, array, names }
}

fn is_dictionary_map(h: &Heap, map: u64) -> Result<bool, V8Error> {
    let l = &h.v8.layout;
    let bf3 = h.u32_at(map, l.map_bit_field3.off()?)?;
    let shift = l.is_dictionary_map_shift.get()?;
    Ok((bf3 >> shift.clamp(0, 31)) & 1 == 1)
}

/// A property key's name for grouping: the string, `Symbol(desc)` for a
/// symbol, or the key's address when it cannot be decoded (keys are
/// internalized, so the address still tells names apart).
fn key_text(h: &Heap, key: u64) -> String {
    if let Ok(s) = super::string::read_string(h, key, MAX_NAME) {
        return s.text;
    }
    let t = h.instance_type(key).ok();
    if t.is_some_and(|t| h.v8.types.is(t, "SYMBOL_TYPE")) {
        let desc = h
            .field(key, &h.v8.layout.symbol_description)
            .ok()
            .and_then(|d| super::string::read_string(h, d, MAX_NAME).ok())
            .map(|s| s.text)
            .unwrap_or_default();
        return format!("Symbol({desc})");
    }
    format!("<key {key:#x}>")
}

/// Own property names of a fast-mode map, from its DescriptorArray: the
/// fallback while `object::map_property_names` cannot answer.
fn descriptor_names(h: &Heap, map: u64) -> Result<Vec<String>, V8Error> {
    let l = &h.v8.layout;
    let bf3 = h.u32_at(map, l.map_bit_field3.off()?)? as i64;
    let n = (bf3 & l.own_descriptors_mask.get()?) >> l.own_descriptors_shift.get()?.clamp(0, 31);
    if n == 0 {
        return Ok(Vec::new());
    }
    let descs = h.field(map, &l.map_instance_descriptors)?;
    let header = l.descriptor_header_size.off()?;
    let ts = l.tagged_size.value.unwrap_or(8) as u64;
    let esize = l.prop_desc_size.off()? * ts;
    let kslot = l.prop_desc_key.off()? * ts;
    let mut out = Vec::new();
    for i in 0..(n as u64).min(1020) {
        let key = h.word(descs, header + i * esize + kslot)?;
        out.push(key_text(h, key));
    }
    Ok(out)
}

/// Own property names of a dictionary-mode object, in enumeration order
/// (the order JS sees), from its NameDictionary `[key, value, details]`
/// entries (src/objects/dictionary.h, hash-table.h).
fn dictionary_names(h: &Heap, obj: u64) -> Result<Vec<String>, V8Error> {
    let l = &h.v8.layout;
    // A global object's dictionary holds PropertyCells (GlobalDictionary).
    if h.instance_type(obj).is_ok_and(|t| h.v8.types.is(t, "JS_GLOBAL_OBJECT_TYPE")) {
        return Ok(super::object::properties(h, obj, 1 << 16)?.list.into_iter().map(|p| p.name).collect());
    }
    let dict = h.field(obj, &l.js_receiver_properties)?;
    if h.is_smi(dict) {
        return Ok(Vec::new());
    }
    let len = h.fixed_array_len(dict)?;
    let cap = h.fixed_array_get(dict, l.hash_table_capacity.off()?)?;
    if !h.is_smi(cap) {
        return Err(V8Error::bad(dict, "NameDictionary", "capacity is not a Smi"));
    }
    let cap = h.smi_value(cap).max(0) as u64;
    let start = l.hash_table_prefix_start.off()? + l.name_dict_prefix_size.off()?;
    let esize = l.name_dict_entry_size.off()?.max(3);
    if start + cap * esize > len {
        return Err(V8Error::bad(dict, "NameDictionary", format!("capacity {cap} beyond length {len}")));
    }
    let shift = l.prop_dictionary_index_shift.get()?.clamp(0, 31);
    let mut keys = Vec::new();
    for e in 0..cap.min(1 << 20) {
        let key = h.fixed_array_get(dict, start + e * esize)?;
        // Empty entries hold undefined, deleted ones the hole: neither is a Name.
        let Ok(t) = h.instance_type(key) else { continue };
        if !h.is_string_type(t) && !h.v8.types.is(t, "SYMBOL_TYPE") {
            continue;
        }
        let details = h.fixed_array_get(dict, start + e * esize + 2)?;
        let index = if h.is_smi(details) { h.smi_value(details) >> shift } else { i64::MAX };
        keys.push((index, key));
    }
    keys.sort();
    Ok(keys.into_iter().map(|(_, k)| key_text(h, k)).collect())
}

/// A group's identity: interned constructor and property list, and an
/// array's length.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    constructor: u32,
    props: u32,
    array_len: Option<u64>,
}

/// Strings and property lists, each stored once and named by a number.
#[derive(Default)]
struct Interner<T: std::hash::Hash + Eq + Clone> {
    ids: HashMap<T, u32>,
    all: Vec<T>,
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn id(&mut self, v: &T) -> u32 {
        if let Some(i) = self.ids.get(v) {
            return *i;
        }
        let i = self.all.len() as u32;
        self.all.push(v.clone());
        self.ids.insert(v.clone(), i);
        i
    }
}

/// How the objects of one map get their group.
#[derive(Clone, Copy)]
enum MapKey {
    /// Every object of the map is in this group (fast mode, not an array).
    Fixed(u32),
    /// Arrays: the map's constructor, each object's length.
    Array(u32),
    /// Dictionary mode: the map's constructor, each object's own names.
    Dictionary(u32),
}

/// A group key read from the object itself (arrays, dictionaries).
enum Part {
    Key(Key),
    Names(u32, Result<Vec<String>, ()>),
}

/// Objects per parallel task in grouping.
const GROUP_BATCH: usize = 1 << 16;

/// A direct-mapped cache in front of a map-keyed table: neighbours mostly
/// share a handful of maps, and a hash lookup per object would cost more
/// than the rest of the per-object work.
pub(crate) struct MapCache<V: Copy> {
    slots: Vec<(u64, V)>,
}

impl<V: Copy + Default> MapCache<V> {
    pub(crate) fn new() -> MapCache<V> {
        MapCache { slots: vec![(0, V::default()); 256] }
    }
    #[inline]
    pub(crate) fn get(&mut self, map: u64, miss: impl FnOnce() -> V) -> V {
        let k = ((map >> 3) ^ (map >> 11)) as usize & 255;
        if self.slots[k].0 == map {
            return self.slots[k].1;
        }
        let v = miss();
        self.slots[k] = (map, v);
        v
    }
}

/// `v` cut into consecutive pieces as long as `batches` (which cover it),
/// for filling them in parallel.
fn split_like<'a, T>(v: &'a mut [T], batches: &[Batch]) -> Vec<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(batches.len());
    let mut rest = v;
    for b in batches {
        let (head, tail) = rest.split_at_mut(b.len());
        pieces.push(head);
        rest = tail;
    }
    pieces
}

/// Group scanned objects by constructor and property names.
pub fn group(h: &Heap, s: &HeapScan) -> Findings {
    group_found(h, s, &s.garbage, &s.stats)
}

/// Consecutive objects of one run, grouped by one worker.
#[derive(Clone, Copy)]
struct Batch<'a> {
    base: u64,
    slots: &'a [Slot],
}

impl Batch<'_> {
    fn len(&self) -> usize {
        self.slots.len()
    }
}

fn group_found(h: &Heap, scan: &HeapScan, garbage: &[Found], stats: &ScanStats) -> Findings {
    let t0 = Instant::now();
    // Batches of about GROUP_BATCH objects, in order, each within a run;
    // `starts[i]`: the index of batch i's first object among all.
    let batches: Vec<Batch> = scan.runs.iter().flat_map(|r| r.slots.chunks(GROUP_BATCH).map(|slots| Batch { base: r.base, slots })).collect();
    let starts: Vec<usize> = batches
        .iter()
        .scan(0usize, |n, b| {
            let at = *n;
            *n += b.len();
            Some(at)
        })
        .collect();
    let total: usize = batches.iter().map(|b| b.len()).sum();
    // The distinct maps, each with its first object (which is asked for
    // the constructor).
    let firsts: AddrMap<u64> = batches
        .par_iter()
        .map(|c| {
            let mut m: AddrMap<u64> = AddrMap::default();
            let mut seen: MapCache<bool> = MapCache::new();
            for f in scan.found(c.base, c.slots) {
                seen.get(f.map, || {
                    m.entry(f.map).or_insert(f.addr);
                    true
                });
            }
            m
        })
        .reduce(AddrMap::default, |mut a, b| {
            for (k, v) in b {
                let e = a.entry(k).or_insert(v);
                *e = (*e).min(v);
            }
            a
        });
    let mut firsts: Vec<(u64, u64)> = firsts.into_iter().collect();
    firsts.sort_unstable();
    let facts: Vec<MapFacts> = firsts.par_iter().map(|&(map, obj)| map_facts(h, obj, map)).collect();
    let map_ix: AddrMap<u32> = firsts.iter().enumerate().map(|(i, (m, _))| (*m, i as u32)).collect();
    let mut cons: Interner<String> = Interner::default();
    let mut names: Interner<Vec<String>> = Interner::default();
    let empty = names.id(&Vec::new());
    let mut index: HashMap<Key, u32, std::hash::BuildHasherDefault<AddrHasher>> = HashMap::default();
    let mut keys: Vec<Key> = Vec::new();
    let mut gid = |k: Key, keys: &mut Vec<Key>| -> u32 {
        *index.entry(k).or_insert_with(|| {
            keys.push(k);
            keys.len() as u32 - 1
        })
    };
    let mut unreadable_map = vec![false; firsts.len()];
    let map_keys: Vec<MapKey> = facts
        .iter()
        .enumerate()
        .map(|(i, mf)| {
            let c = cons.id(&mf.constructor);
            if mf.array {
                return MapKey::Array(c);
            }
            match &mf.names {
                Ok(v) => MapKey::Fixed(gid(Key { constructor: c, props: names.id(v), array_len: None }, &mut keys)),
                Err(NamesFrom::Dictionary) => MapKey::Dictionary(c),
                Err(NamesFrom::Unreadable) => {
                    unreadable_map[i] = true;
                    let n = names.id(&vec![format!("<map {:#x}>", firsts[i].0)]);
                    MapKey::Fixed(gid(Key { constructor: c, props: n, array_len: None }, &mut keys))
                }
            }
        })
        .collect();
    // Each object's map index, in parallel; the objects whose key is their
    // own (arrays, dictionaries) read it now, apart.
    let len_field = &h.v8.layout.js_array_length;
    let mut ix: Vec<u32> = vec![0; total];
    let own: Vec<(usize, Found, Part)> = split_like(&mut ix, &batches)
        .into_par_iter()
        .zip(batches.par_iter())
        .enumerate()
        .flat_map_iter(|(n, (ixc, fc))| {
            let mut cache: MapCache<u32> = MapCache::new();
            let mut own = Vec::new();
            for (j, (x, f)) in ixc.iter_mut().zip(scan.found(fc.base, fc.slots)).enumerate() {
                // Every map is in map_ix (they came from these objects).
                let m = cache.get(f.map, || map_ix.get(&f.map).copied().unwrap_or(0));
                *x = m;
                let part = match map_keys[m as usize] {
                    MapKey::Fixed(_) => continue,
                    MapKey::Array(c) => {
                        let len = h.field(f.addr, len_field).ok().filter(|v| h.is_smi(*v)).map(|v| h.smi_value(v).max(0) as u64);
                        Part::Key(Key { constructor: c, props: empty, array_len: Some(len.unwrap_or(0)) })
                    }
                    MapKey::Dictionary(c) => Part::Names(c, dictionary_names(h, f.addr).map_err(|_| ())),
                };
                own.push((starts[n] + j, f, part));
            }
            own
        })
        .collect();
    // Objects per map; then the map index becomes the group index.
    let mut per_map = vec![0u64; firsts.len()];
    for m in &ix {
        per_map[*m as usize] += 1;
    }
    let unreadable_fixed: u64 = per_map.iter().zip(&unreadable_map).filter(|(_, u)| **u).map(|(n, _)| *n).sum();
    let map_group: Vec<u32> = map_keys.iter().map(|k| if let MapKey::Fixed(g) = k { *g } else { u32::MAX }).collect();
    ix.par_iter_mut().for_each(|x| *x = map_group[*x as usize]);
    let mut counts = vec![0u64; keys.len()];
    let mut sizes = vec![0u64; keys.len()];
    for (m, n) in per_map.iter().enumerate() {
        if let MapKey::Fixed(g) = map_keys[m] {
            counts[g as usize] += n;
            sizes[g as usize] += n * facts[m].size;
        }
    }
    let mut unreadable = unreadable_fixed;
    for (i, f, part) in own {
        let k = match part {
            Part::Key(k) => k,
            Part::Names(c, Ok(v)) => Key { constructor: c, props: names.id(&v), array_len: None },
            Part::Names(c, Err(())) => {
                unreadable += 1;
                Key { constructor: c, props: names.id(&vec![format!("<dictionary of map {:#x}>", f.map)]), array_len: None }
            }
        };
        let g = gid(k, &mut keys) as usize;
        if g >= counts.len() {
            counts.resize(g + 1, 0);
            sizes.resize(g + 1, 0);
        }
        counts[g] += 1;
        sizes[g] += map_ix.get(&f.map).map(|m| facts[*m as usize].size).unwrap_or(0);
        ix[i] = g as u32;
    }
    let mut groups: Vec<Group> = keys
        .iter()
        .zip(counts.iter().zip(&sizes))
        .map(|(k, (n, size))| Group {
            constructor: cons.all[k.constructor as usize].clone(),
            props: names.all[k.props as usize].clone(),
            array_len: k.array_len,
            size: *size,
            members: Vec::with_capacity(*n as usize),
        })
        .collect();
    // The addresses, in order, written batch by batch in parallel.
    let mut objects: Vec<u64> = vec![0; total];
    split_like(&mut objects, &batches).into_par_iter().zip(batches.par_iter()).for_each(|(out, b)| {
        for (o, f) in out.iter_mut().zip(scan.found(b.base, b.slots)) {
            *o = f.addr;
        }
    });
    for (a, i) in objects.iter().zip(&ix) {
        groups[*i as usize].members.push(*a);
    }
    // Sort, then renumber the objects' group indexes.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&groups[a], &groups[b]);
        (a.members.len(), &a.constructor, a.array_len, &a.props).cmp(&(b.members.len(), &b.constructor, b.array_len, &b.props))
    });
    let mut new_ix = vec![0u32; groups.len()];
    for (new, old) in order.iter().enumerate() {
        new_ix[*old] = new as u32;
    }
    let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    let groups: Vec<Group> = order.iter().filter_map(|o| slots[*o].take()).collect();
    ix.par_iter_mut().for_each(|i| *i = new_ix[*i as usize]);
    Findings {
        groups,
        objects,
        group_ix: ix,
        garbage: garbage.len() as u64,
        garbage_objects: garbage.iter().map(|f| f.addr).collect(),
        stats: stats.clone(),
        group_time: t0.elapsed(),
        unreadable,
    }
}

// ---------------------------------------------------------------- whatis

/// Most 256 KiB chunks walked back from an address to the start of the
/// large object that may cover it.
const MAX_WHATIS_CHUNKS: u64 = 4096;

/// The heap object containing `addr` (any interior address): (untagged
/// start, size in bytes, map). `page_header` is where objects start in a
/// page (the scan's `ScanStats::page_header`). The page is walked from its
/// first object the way the scan walks it; an address inside a large
/// object is found from the page its object starts on. A size of 0 means
/// the object's size is unknown (the extent given runs to the next object).
pub fn containing_object(h: &Heap, addr: u64, page_header: u64) -> Result<Option<(u64, u64, u64)>, V8Error> {
    let p = Params::new(h)?;
    let first = addr & !(CHUNK - 1);
    for k in 0..MAX_WHATIS_CHUNKS {
        let Some(c) = first.checked_sub(k * CHUNK) else { break };
        let start = c + page_header;
        // The part of the page the core holds (a segment may end inside it,
        // as the scan allows).
        let Some(bytes) = h.t.core_slice_from(start, (CHUNK - page_header) as usize) else {
            if k == 0 {
                continue;
            }
            break;
        };
        // Only a chunk whose first word is a map is a page.
        let first_word = u64::from_le_bytes(bytes.get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8]));
        let r = Reader { t: h.t, base: start, bytes };
        let mut maps = Maps::new(&p, *h);
        if !(p.is_ptr(first_word) && maps.shape(&r, first_word).is_some()) {
            continue;
        }
        let out = scan_chunk(&p, &mut maps, start, bytes, true, None, true);
        let objs = &out.young_objs;
        let i = objs.partition_point(|o| o.0 <= addr);
        if i == 0 {
            if k == 0 {
                continue;
            }
            break;
        }
        let (a, size, map) = objs[i - 1];
        let end = if size > 0 { a + size } else { objs.get(i).map(|o| o.0).unwrap_or(c + CHUNK) };
        if addr < end {
            return Ok(Some((a, size, map)));
        }
        // A page that starts below addr and does not reach it: addr is in
        // none of its objects.
        return Ok(None);
    }
    Ok(None)
}
