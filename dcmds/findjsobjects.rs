//! `::findjsobjects`: every JS object in the heap, grouped by constructor
//! and property names, as mdb_v8 showed them; and `addr::findjsobjects`,
//! which expands a group. The scan is done once per session and cached.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::{INTERRUPTED, Session};
use crate::v8::scan::{self, Findings, Group, ScanControl, ScanError, ScanProgress};

/// The session cache slots holding the scans (without and with -g).
const CACHE_KEY: &str = "findjsobjects";
const CACHE_KEY_ALL_YOUNG: &str = "findjsobjects -g";
/// The session cache slot holding the object `-m` marked.
const MARK_KEY: &str = "findjsobjects -m";

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "findjsobjects",
        synopsis: "?[-agsv] [-c constructor | -p property] [-l] [-m | -r]",
        summary: "find JS objects in the heap, grouped by constructor and properties",
        help: FINDJSOBJECTS_HELP,
        options: &["-a", "-g", "-s", "-v", "-c", "-p", "-l", "-m", "-r"],
        handler: findjsobjects,
    });
}

const FINDJSOBJECTS_HELP: &str = "\
SYNOPSIS
  ::findjsobjects [-agsv] [-c constructor | -p property] [-l]
  addr::findjsobjects [-g]
  addr::findjsobjects -m
  ::findjsobjects -r

DESCRIPTION
  Scans the heap for JavaScript objects and groups them by constructor
  and by their own property names in order (arrays by their length), the
  way mdb_v8 did. Without options it prints one row per group:

              OBJECT #OBJECTS     SIZE #PROPS CONSTRUCTOR: PROPS
        7f0a3c04a1c9     1000    40000      2 Foo: a, b

  OBJECT is a representative of the group (its lowest address), #OBJECTS
  the group's size, SIZE the members' total shallow size in bytes (each
  object itself, as a heap snapshot's shallow size: an array's elements
  and an object's out-of-object properties are objects of their own),
  #PROPS its number of properties (for arrays: their length). Groups are
  sorted by their number of objects, the biggest last; -s sorts them by
  SIZE. Objects whose constructor cannot be read are named by their
  instance type.

  With -c or -p, only the representatives of the matching groups are
  printed, one address per line. addr::findjsobjects prints every object
  of the group that addr (any instance) belongs to, one address per line.
  So the canonical pipeline prints every Foo:

    ::findjsobjects -c Foo | ::findjsobjects | ::jsprint

  When the output goes into a pipe, the table becomes its representatives'
  addresses.

  How objects are found: only V8's heap pages are read (the anonymous
  writable memory of the core, thread stacks and file-backed mappings
  excepted, in 256 KiB chunks; a chunk is a page when its header names it
  and its first object sits where the others' do), so malloc'd memory full
  of stale pointers is never taken for the heap. Each page is walked from
  its first object, jumping over every object whose size is known (so
  doubles and characters are never taken for objects); a word that points
  at a JS object's Map where an object must start begins one. After a word
  of unknown meaning the walk goes on word by word, and there a JS object
  must also have valid properties and elements.

  Garbage is not listed (-v counts it): dead objects the garbage collector
  left in free space, and objects in the young generation that nothing
  alive points at (a young page keeps, past its allocation point, stale
  objects of earlier cycles with their maps intact). A young object is
  alive when a word of a live old-generation object, of a thread's live
  stack or of a binary's writable data points at it, or a live young
  object does. The old objects' words that point into the young
  generation are the ones V8's own remembered set (OLD_TO_NEW) names for
  each page; where a page's set is not in the core, or when a thread was
  inside a garbage collection (the sets are then half rebuilt), every word
  of the old generation is read instead (-v says which). From malloc'd
  memory only pointers to microtasks are followed (the pending-microtask
  queue lives there); other pointers there are not, as the collector's
  freed worklists hold thousands of stale ones: a young object only
  native code holds (a global handle) is counted as garbage.
  -g keeps every young object instead.

  In the old generation, V8's own page headers say which objects are
  dead where it leaves a trace, and those are garbage too:
    - on a page V8 has released (pooled for reuse, or queued to be freed:
      the page's flags say so, or its metadata was cleared), every object;
    - on a page that a finished full GC marked and the sweeper had not yet
      swept when the process died (common in out-of-memory cores, where
      hundreds of pages wait), every object the GC did not mark: its bit
      in the page's marking bitmap is clear. A page that is being swept,
      or on which a new marking cycle is running, tells nothing (its bits
      are partial), and neither do large-object pages.
  Objects the GC marked are live at the last GC: one that died while it
  ran or after it cannot be told from a live one, and is counted. So are
  old-generation objects on pages already swept and reused: past the
  allocation point of the page V8 allocates from, stale objects keep
  their maps (up to a page of them). Counts equal a heap
  snapshot's (which collects first) when the core was taken after a full
  GC had finished sweeping. Each dead object is counted once, by the first
  of these reasons that applies (free space first); -v gives the counts.

  The scan runs in parallel, prints a progress line on stderr when it
  takes more than a second (when stderr is a terminal), and stops on
  Ctrl-C. It runs once per
  session; later invocations reuse it.

  As in mdb_v8, addr::findjsobjects -m marks an object and
  ::findjsobjects -r prints the objects that refer to the marked one
  (the same table as addr::jsfindrefs, from the session's
  reverse-reference index).

OPTIONS
  -a              also print the groups of the garbage: dead objects
                  still in memory (in free space, young and unreached,
                  on released pages, or unmarked on pages not yet
                  swept), in a second table
  -c constructor  print the representatives of the groups whose
                  constructor is this name
  -p property     print the representatives of the groups whose objects
                  have this own property
  -g              also count young-generation objects nothing alive seems
                  to point at (usually garbage; but this keeps objects
                  that only native code holds)
  -l              print every instance instead of representatives (with
                  no -c or -p: of every group)
  -m              mark the object at addr for -r
  -r              print the holders of the marked object (see ::jsfindrefs)
  -s              sort the table by total size, the biggest last
  -v              also print statistics: time, bytes scanned, objects,
                  groups, free space, garbage by how it was found dead,
                  the pages pending sweep or released, and where the
                  pointers into the young generation came from

EXAMPLES
  > ::findjsobjects
  > ::findjsobjects -v ! tail
  > ::findjsobjects -c Widget
  > ::findjsobjects -c Widget | ::findjsobjects | ::jsprint
  > ::findjsobjects -p socket -l
  > 7f0a3c04a1c9::findjsobjects
  > 54844679c99::findjsobjects -m
  findjsobjects: marked 54844679c99
  > ::findjsobjects -r ! head -3
  HOLDER           TYPE             SLOT
  54844679e41      Session          Session.user
  54844679f89      Array            (Array)[3]
";

fn findjsobjects(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "vlgsamr", "cp")?;
    o.no_operands()?;
    if o.has('m') {
        if !inv.addr_given || o.has('r') {
            return Err(DcmdError::Usage("-m marks an object: addr::findjsobjects -m".into()));
        }
        s.cache.insert(MARK_KEY, Box::new(inv.dot));
        if !inv.piped_out {
            writeln!(out, "findjsobjects: marked {:x}", inv.dot)?;
        }
        return Ok(());
    }
    if o.has('r') {
        let mark = s
            .cache
            .get(MARK_KEY)
            .and_then(|b| b.downcast_ref::<u64>())
            .copied()
            .ok_or_else(|| DcmdError::Failed("no object is marked: mark one with addr::findjsobjects -m".into()))?;
        return super::refs::refs_of(s, mark, 1, o.has('v'), inv, out);
    }
    let cons = o.value('c');
    let prop = o.value('p');
    if cons.is_some() && prop.is_some() {
        return Err(DcmdError::Usage("-c and -p cannot be used together".into()));
    }
    if inv.addr_given && (cons.is_some() || prop.is_some() || o.has('l')) {
        return Err(DcmdError::Usage("addr::findjsobjects takes no -c, -p or -l: it expands the group of addr".into()));
    }
    let (f, cached) = findings(s, o.has('g'))?;

    if o.has('v') && (!inv.in_loop || inv.loop_first) {
        let text = stats(&f, cached);
        if inv.piped_out {
            for l in text.lines() {
                s.warn(l);
            }
        } else {
            write!(out, "{text}")?;
        }
    }

    if inv.addr_given {
        let g = f.group(inv.dot).ok_or_else(|| {
            if f.is_garbage(inv.dot) {
                DcmdError::Failed(format!(
                    "{:x} is not one of the JS objects ::findjsobjects found: it looks like a dead one (garbage; -g keeps young ones)",
                    inv.dot
                ))
            } else {
                DcmdError::Failed(format!("{:x} is not one of the JS objects ::findjsobjects found", inv.dot))
            }
        })?;
        for m in &g.members {
            writeln!(out, "{m:x}")?;
        }
        return Ok(());
    }

    if cons.is_some() || prop.is_some() {
        let sel: Vec<&Group> = f
            .groups
            .iter()
            .filter(|g| cons.is_none_or(|c| g.constructor == c))
            .filter(|g| prop.is_none_or(|p| g.props.iter().any(|n| n == p)))
            .collect();
        if sel.is_empty() {
            let what = match (cons, prop) {
                (Some(c), _) => format!("constructor {c}"),
                (_, Some(p)) => format!("property {p}"),
                _ => String::new(),
            };
            return Err(DcmdError::Failed(format!("no JS objects with {what}")));
        }
        for g in sel {
            if o.has('l') {
                for m in &g.members {
                    writeln!(out, "{m:x}")?;
                }
            } else {
                writeln!(out, "{:x}", g.rep())?;
            }
        }
        return Ok(());
    }

    if o.has('l') {
        for g in &f.groups {
            for m in &g.members {
                writeln!(out, "{m:x}")?;
            }
        }
        return Ok(());
    }
    if inv.piped_out {
        for g in &f.groups {
            writeln!(out, "{:x}", g.rep())?;
        }
        return Ok(());
    }
    print_table(&f.groups, o.has('s'), out)?;
    if o.has('a') {
        let h = s.heap()?;
        // The dead objects, grouped the same way.
        let found = f.garbage_objects.iter().filter_map(|&a| h.map(a).ok().map(|map| scan::Found { addr: a, map })).collect();
        let dead = scan::HeapScan::from_found(&h, found);
        let g = scan::group(&h, &dead);
        writeln!(out)?;
        writeln!(out, "garbage: {} dead objects still in memory, in {} groups", g.objects.len(), g.groups.len())?;
        if !g.groups.is_empty() {
            print_table(&g.groups, o.has('s'), out)?;
        }
    }
    Ok(())
}

fn print_table(groups: &[Group], by_size: bool, out: &mut dyn Write) -> DcmdResult {
    let mut order: Vec<&Group> = groups.iter().collect();
    if by_size {
        order.sort_by_key(|g| (g.size, g.members.len()));
    }
    writeln!(out, "{:>20} {:>8} {:>8} {:>6} CONSTRUCTOR: PROPS", "OBJECT", "#OBJECTS", "SIZE", "#PROPS")?;
    for g in order {
        write!(out, "{:>20x} {:>8} {:>8} {:>6} {}", g.rep(), g.members.len(), g.size, g.nprops(), g.constructor)?;
        if !g.props.is_empty() {
            let names: Vec<String> = g.props.iter().map(|n| show_name(n)).collect();
            write!(out, ": {}", names.join(", "))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A property name as the table shows it: control characters escaped as
/// JS would (`\u0000`), an empty name as `""`; the table stays one line per
/// group whatever the heap holds.
fn show_name(n: &str) -> String {
    if n.is_empty() {
        return "\"\"".into();
    }
    let mut s = String::with_capacity(n.len());
    for c in n.chars() {
        if c.is_control() {
            s.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            s.push(c);
        }
    }
    s
}

/// The session's scan, made on first use.
pub(crate) fn findings(s: &mut Session, all_young: bool) -> Result<(Arc<Findings>, bool), DcmdError> {
    let key = if all_young { CACHE_KEY_ALL_YOUNG } else { CACHE_KEY };
    if let Some(f) = s.cache.get(key).and_then(|b| b.downcast_ref::<Arc<Findings>>()) {
        return Ok((f.clone(), true));
    }
    // The progress line goes to the warning sink, from scan threads, when
    // that is a terminal.
    let tty = s.err_is_tty;
    let err = std::mem::replace(&mut s.err, Box::new(std::io::sink()));
    let progress = Mutex::new(Progress { err, last: None, shown: false });
    let res = {
        let cb = |p: ScanProgress| {
            if let Ok(mut pr) = progress.lock() {
                pr.update(p);
            }
        };
        s.heap().and_then(|h| {
            let ctl = ScanControl { progress: tty.then_some(&cb as &(dyn Fn(ScanProgress) + Sync)), interrupt: Some(&INTERRUPTED), all_young, ..Default::default() };
            scan::find_objects(&h, ctl).map_err(|e| match e {
                ScanError::Interrupted => DcmdError::Interrupted,
                ScanError::V8(e) => e.into(),
            })
        })
    };
    let mut pr = progress.into_inner().unwrap_or_else(|e| e.into_inner());
    if pr.shown {
        let _ = writeln!(pr.err);
    }
    s.err = pr.err;
    let f = Arc::new(res?);
    s.cache.insert(key, Box::new(f.clone()));
    if !all_young {
        super::refs::start_background(s, f.clone());
    }
    Ok((f, false))
}

struct Progress {
    err: Box<dyn Write + Send>,
    last: Option<Instant>,
    shown: bool,
}

impl Progress {
    /// One line, rewritten in place, once the scan has taken a second.
    fn update(&mut self, p: ScanProgress) {
        if p.elapsed < Duration::from_secs(1) || self.last.is_some_and(|l| l.elapsed() < Duration::from_millis(250)) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        let pct = if p.total_bytes == 0 { 100 } else { p.done_bytes * 100 / p.total_bytes };
        let _ = write!(
            self.err,
            "\rjmdb: findjsobjects: scanned {} of {} ({pct}%) in {:.1} s",
            mb(p.done_bytes),
            mb(p.total_bytes),
            p.elapsed.as_secs_f64()
        );
        let _ = self.err.flush();
    }
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / (1024.0 * 1024.0))
}

fn stats(f: &Findings, cached: bool) -> String {
    let st = &f.stats;
    let mut t = String::new();
    t.push_str(&format!(
        "findjsobjects: {} scanned in {} ranges ({} left out: stacks, files, not dumped) in {:.3} s, grouped in {:.3} s{}\n",
        mb(st.bytes_scanned),
        st.ranges,
        st.skipped_ranges,
        st.elapsed.as_secs_f64(),
        f.group_time.as_secs_f64(),
        if cached { " (earlier scan, reused)" } else { "" }
    ));
    match st.page_header {
        Some(hdr) => t.push_str(&format!(
            "findjsobjects: {} V8 pages (objects start {hdr:#x} bytes into each page)\n",
            st.pages
        )),
        None => t.push_str("findjsobjects: V8 pages not recognised: all anonymous memory was scanned\n"),
    }
    t.push_str(&format!(
        "findjsobjects: {} heap objects recognised; {} JS objects in {} groups\n",
        st.heap_objects,
        f.objects(),
        f.groups.len()
    ));
    let by_page = st.young_dead + st.released_dead + st.unswept_dead;
    t.push_str(&format!(
        "findjsobjects: {} of free space; garbage: {} dead JS objects ({} in free space, {} in the young generation that nothing alive points at, {} on released pages, {} unmarked by the last full GC on pages not yet swept), not listed\n",
        mb(st.free_bytes),
        f.garbage,
        f.garbage - by_page.min(f.garbage),
        st.young_dead,
        st.released_dead,
        st.unswept_dead
    ));
    if st.released_pages > 0 || st.unswept_pages > 0 {
        t.push_str(&format!(
            "findjsobjects: {} old-generation pages pending sweep after a full GC (what it did not mark is dead), {} released to V8's page pool or to be freed (all dead)\n",
            st.unswept_pages, st.released_pages
        ));
    }
    if st.young_pages > 0 {
        t.push_str(&format!(
            "findjsobjects: {} young-generation pages; liveness decided in {:.3} s\n",
            st.young_pages,
            st.liveness_time.as_secs_f64()
        ));
        // Where the old generation's pointers into them came from.
        if st.gc_running {
            t.push_str("findjsobjects: a garbage collection was running (Heap::PerformGarbageCollection on a stack): every old-generation word was read for pointers into the young generation\n");
        } else if st.rset_pages + st.word_pages > 0 {
            t.push_str(&format!(
                "findjsobjects: pointers into the young generation from V8's remembered sets on {} old-generation pages, from every word on {} (no set in the core)\n",
                st.rset_pages, st.word_pages
            ));
        }
    }
    if f.unreadable > 0 {
        t.push_str(&format!(
            "findjsobjects: {} objects' property names could not be read; they are grouped by map\n",
            f.unreadable
        ));
    }
    t
}
