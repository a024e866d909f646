//! A target: a core file plus every binary it mapped, as one address space
//! with symbols. This is the layer the unwinder and the V8 model stand on.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use memmap2::Mmap;
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, Object, ObjectSection};

use crate::arch::x86_64::Regs;
use crate::corefile::{self, CoreFile, CoreKind, FileMapping, LoadSegment, PsInfo, SigInfo};
use crate::error::{AttachError, MemError, OpenError};
use crate::live::{BlockCache, LiveProcess};
use crate::memory::Memory;
use crate::symbols::{Symbol, SymbolTable};

/// How to open a target.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub core: PathBuf,
    /// The executable, when the user names it; otherwise found from the core.
    pub executable: Option<PathBuf>,
    /// Look for every mapped file under this root first (cores copied from
    /// another machine).
    pub sysroot: Option<PathBuf>,
}

/// Where a mapping's bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// All of it is in the core.
    Core,
    /// Some in the core, the rest read from the mapped file.
    CoreAndFile,
    /// Not dumped; read from the mapped file on disk.
    File,
    /// Part of it is in the core, the rest nowhere.
    Partial,
    /// Not in the core and no file supplies it.
    Missing,
    /// No access (`---`: guard pages, reservations); nothing to read.
    NoAccess,
    /// Read from the live process's memory.
    Live,
}

impl Backing {
    pub fn describe(self) -> &'static str {
        match self {
            Backing::Core => "core",
            Backing::CoreAndFile => "core+file",
            Backing::File => "file",
            Backing::Partial => "partial",
            Backing::Missing => "missing",
            Backing::NoAccess => "noaccess",
            Backing::Live => "live",
        }
    }
}

/// One mapping of the process, as `$m` shows it.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub perms: String,
    pub path: Option<String>,
    pub file_offset: u64,
    pub backing: Backing,
}

/// Whether a module file on disk is the one the process had mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Build-ids (or ELF headers) agree.
    Matches(String),
    /// They differ: symbols and unwinding may be wrong.
    Differs(String),
    /// The core holds nothing to compare against.
    Unverified(String),
    /// No file was found.
    Missing,
}

/// One ELF object the process had mapped (the executable, a library, the vdso).
pub struct Module {
    /// The path as the core recorded it.
    pub name: String,
    /// The file jmdb read it from, if found.
    pub file: Option<PathBuf>,
    pub base: u64,
    pub end: u64,
    /// Runtime address minus file address.
    pub bias: u64,
    pub identity: Identity,
    pub is_executable: bool,
    data: Option<ModuleData>,
    /// Sysroot under which separate debug files are also looked for.
    debug_root: Option<PathBuf>,
    symbols: OnceLock<SymbolTable>,
}

#[derive(Clone)]
enum ModuleData {
    Mapped(Arc<Mmap>),
    Owned(Arc<Vec<u8>>),
}

impl ModuleData {
    fn bytes(&self) -> &[u8] {
        match self {
            ModuleData::Mapped(m) => m,
            ModuleData::Owned(v) => v,
        }
    }
}

impl Module {
    /// The file's bytes, if it was found.
    pub fn data(&self) -> Option<&[u8]> {
        self.data.as_ref().map(|d| d.bytes())
    }
    /// The last path component, as stacks show it.
    pub fn short_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr < self.end
    }
    /// Symbols, parsed on first use: the file's own, plus those of its
    /// separate debug file (`/usr/lib/debug/.build-id/..`), which is where
    /// distributions keep the names of libc's internal functions.
    pub fn symbols(&self) -> &SymbolTable {
        self.symbols.get_or_init(|| {
            let Some(f) = self.data().and_then(|d| object::File::parse(d).ok()) else {
                return SymbolTable::default();
            };
            let debug = f
                .build_id()
                .ok()
                .flatten()
                .and_then(|id| find_debug_file(id, self.debug_root.as_deref()))
                .and_then(|p| map_file(&p).ok());
            let debug_obj = debug.as_ref().and_then(|d| object::File::parse(&d[..]).ok());
            SymbolTable::from_objects(&f, debug_obj.as_ref())
        })
    }
    /// A section's file address and bytes, e.g. `.eh_frame`.
    pub fn section(&self, name: &str) -> Option<(u64, &[u8])> {
        let f = object::File::parse(self.data()?).ok()?;
        let s = f.section_by_name(name)?;
        let (off, size) = s.file_range()?;
        let bytes = self.data()?.get(off as usize..(off + size) as usize)?;
        Some((s.address(), bytes))
    }
}

/// A symbol found for an address.
#[derive(Debug, Clone)]
pub struct Symbolized {
    /// Demangled, without parameters.
    pub name: String,
    pub raw: String,
    /// Runtime address of the symbol.
    pub addr: u64,
    pub offset: u64,
    pub module: String,
}

impl Symbolized {
    /// `name+0x1a` (or `name` at offset 0).
    pub fn with_offset(&self) -> String {
        if self.offset == 0 { self.name.clone() } else { format!("{}+{:#x}", self.name, self.offset) }
    }
}

/// A thread of the target.
#[derive(Debug, Clone)]
pub struct Thread {
    /// Position in the core (1-based in output, as gdb numbers threads).
    pub index: usize,
    pub tid: u32,
    pub cursig: i32,
    pub regs: Regs,
}

/// Where the target's memory comes from.
enum Source {
    /// An mmap of the core file.
    Core(Mmap),
    /// A stopped live process, with the blocks the heap scan has read.
    Live { proc: Box<LiveProcess>, cache: BlockCache, pages: PageCache },
}

/// Reads at most this long go through the [`PageCache`].
const PAGE_CACHED_READ: usize = 512;
const CACHE_PAGE: u64 = 4096;
/// Most pages kept per stop (16 MB).
const MAX_CACHED_PAGES: usize = 4096;

/// Pages of a stopped live process read so far, dropped whenever it runs.
#[derive(Default)]
struct PageCache {
    map: std::sync::Mutex<std::collections::HashMap<u64, Arc<[u8]>>>,
}

impl PageCache {
    fn get(&self, page: u64) -> Option<Arc<[u8]>> {
        self.map.lock().ok()?.get(&page).cloned()
    }
    fn put(&self, page: u64, data: Vec<u8>) -> Arc<[u8]> {
        let d: Arc<[u8]> = data.into();
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_CACHED_PAGES {
                m.clear();
            }
            m.insert(page, d.clone());
        }
        d
    }
    fn clear(&self) {
        if let Ok(mut m) = self.map.lock() {
            m.clear();
        }
    }
}

/// How to attach to a live process.
#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    pub pid: u32,
    /// Look for mapped files under this root first.
    pub sysroot: Option<PathBuf>,
}

/// A loaded core (or a stopped live process) with its binaries.
pub struct Target {
    /// The core file, or `/proc/PID` for a live process.
    pub core_path: PathBuf,
    /// The core's headers and notes; for a live process, the same facts
    /// read from `/proc` ([`LiveProcess::snapshot`]).
    pub core: CoreFile,
    source: Source,
    /// Unique mapped files, indexed by `file_index`.
    file_data: Vec<Option<Arc<Mmap>>>,
    /// For each `core.files` entry, its index into `file_data`.
    file_index: Vec<usize>,
    pub modules: Vec<Module>,
    pub threads: Vec<Thread>,
    pub warnings: Vec<String>,
    /// The executable's path as the process saw it.
    pub exe_name: Option<String>,
    sysroot: Option<PathBuf>,
    /// The unwinder's per-module CFI index, filled on first use.
    pub unwind_cache: crate::unwind::CfiCache,
}

fn io_err(path: &Path, e: std::io::Error) -> OpenError {
    OpenError::Io { path: path.display().to_string(), msg: e.to_string() }
}

fn map_file(path: &Path) -> std::io::Result<Mmap> {
    let f = File::open(path)?;
    // SAFETY: the file is opened read-only and jmdb never writes through the
    // map. A file truncated underneath us would fault; cores and binaries
    // are not expected to change while a session reads them.
    unsafe { Mmap::map(&f) }
}

impl Target {
    pub fn open(opts: &OpenOptions) -> Result<Target, OpenError> {
        let core_data = map_file(&opts.core).map_err(|e| io_err(&opts.core, e))?;
        let core_str = opts.core.display().to_string();
        let core = CoreFile::parse(&core_str, &core_data)?;
        Ok(Target::build(opts.core.clone(), core, Source::Core(core_data), opts.executable.clone(), opts.sysroot.clone(), Vec::new()))
    }

    /// Attach to a live process and stop it (see [`crate::live`]); it runs
    /// again when the target is dropped.
    pub fn attach(opts: &AttachOptions) -> Result<Target, AttachError> {
        Target::from_live(LiveProcess::attach(opts.pid)?, opts.sysroot.clone())
    }

    /// A target over a process already attached and stopped (as
    /// [`LiveProcess::attach_following`] and
    /// [`LiveProcess::run_until_fatal`] leave it).
    pub fn from_live(proc: LiveProcess, sysroot: Option<PathBuf>) -> Result<Target, AttachError> {
        let mut proc = Box::new(proc);
        let core = proc.snapshot()?;
        let cache = BlockCache::new(core.segments.len());
        let path = PathBuf::from(format!("/proc/{}", proc.pid()));
        Ok(Target::build(path, core, Source::Live { proc, cache, pages: PageCache::default() }, None, sysroot, Vec::new()))
    }

    /// The live process, if this target is one.
    pub fn live(&self) -> Option<&LiveProcess> {
        match &self.source {
            Source::Live { proc, .. } => Some(proc),
            Source::Core(_) => None,
        }
    }

    pub fn is_live(&self) -> bool {
        self.live().is_some()
    }

    /// Let a live process run again (still attached). Until [`Target::stop`],
    /// reads see a moving target.
    pub fn resume(&mut self) -> Result<(), AttachError> {
        match &mut self.source {
            Source::Live { proc, pages, .. } => {
                pages.clear();
                proc.resume()
            }
            Source::Core(_) => Ok(()),
        }
    }

    /// Stop a live process again after [`Target::resume`]: fresh registers
    /// for every thread (new threads included), memory caches dropped, and
    /// the mappings and modules re-read only when `/proc/PID/maps` changed.
    /// Modules that stayed keep their symbol tables.
    pub fn stop(&mut self) -> Result<(), AttachError> {
        let Source::Live { proc, cache, pages } = &mut self.source else { return Ok(()) };
        pages.clear();
        proc.stop()?;
        if proc.maps_changed() {
            let core = proc.snapshot()?;
            *cache = BlockCache::new(core.segments.len());
            self.core = core;
            self.threads = thread_list(&self.core);
            let reuse = std::mem::take(&mut self.modules);
            self.file_data.clear();
            self.file_index.clear();
            // Module indices change: the CFI index is rebuilt on demand.
            self.unwind_cache = Default::default();
            Target::load(self, None, reuse);
        } else {
            let threads = proc.core_threads();
            *cache = BlockCache::new(self.core.segments.len());
            self.core.threads = threads;
            self.threads = thread_list(&self.core);
        }
        Ok(())
    }

    fn build(
        core_path: PathBuf,
        core: CoreFile,
        source: Source,
        executable: Option<PathBuf>,
        sysroot: Option<PathBuf>,
        reuse: Vec<Module>,
    ) -> Target {
        let mut t = Target {
            core_path,
            threads: thread_list(&core),
            core,
            source,
            file_data: Vec::new(),
            file_index: Vec::new(),
            modules: Vec::new(),
            warnings: Vec::new(),
            exe_name: None,
            sysroot,
            unwind_cache: Default::default(),
        };
        Target::load(&mut t, executable, reuse);
        t
    }

    /// Find the executable, open every mapped file, and make the modules
    /// (taking those in `reuse` that are still mapped at the same base).
    fn load(t: &mut Target, executable: Option<PathBuf>, reuse: Vec<Module>) {
        let opts = OpenOptions { core: t.core_path.clone(), executable, sysroot: t.sysroot.clone() };
        let mut warnings = t.core.warnings.clone();
        let mut reuse: HashMap<(String, u64), Module> = reuse.into_iter().map(|m| ((m.name.clone(), m.base), m)).collect();

        // Which mapped path is the executable: the file that maps AT_PHDR.
        let phdr = t.core.auxv(corefile::AT_PHDR).or(t.core.auxv(corefile::AT_ENTRY));
        let exe_name = phdr
            .and_then(|a| t.core.files.iter().find(|f| a >= f.start && a < f.end))
            .map(|f| f.path.clone())
            .or_else(|| {
                t.core.auxv(corefile::AT_EXECFN).and_then(|a| t.read_cstr(a, 4096).ok())
            });
        t.exe_name = exe_name.clone();

        // Open every mapped file once.
        let mut by_path: HashMap<String, usize> = HashMap::new();
        let mut resolved: Vec<Option<PathBuf>> = Vec::new();
        let files = t.core.files.clone();
        for f in &files {
            let idx = *by_path.entry(f.path.clone()).or_insert_with(|| {
                let is_exe = Some(&f.path) == exe_name.as_ref();
                let found = if is_exe && opts.executable.is_some() {
                    opts.executable.clone().filter(|p| p.exists())
                } else {
                    find_file(&f.path, opts.sysroot.as_deref())
                };
                let data = found.as_ref().and_then(|p| map_file(p).ok()).map(Arc::new);
                resolved.push(if data.is_some() { found } else { None });
                t.file_data.push(data);
                t.file_data.len() - 1
            });
            t.file_index.push(idx);
        }
        if let (Some(exe), None) = (&opts.executable, &exe_name) {
            warnings.push(format!(
                "the core does not say which file is the executable; {} is used only for symbols",
                exe.display()
            ));
        }
        if let Some(exe) = &opts.executable {
            if !exe.exists() {
                warnings.push(format!("executable {} does not exist", exe.display()));
            }
        }

        // Modules: each path whose first mapping is at file offset 0 and
        // starts with an ELF header.
        let mut seen = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            if f.file_offset != 0 || seen.contains_key(&f.path) {
                continue;
            }
            seen.insert(f.path.clone(), ());
            if let Some(m) = reuse.remove(&(f.path.clone(), f.start)) {
                t.modules.push(m);
                continue;
            }
            let fidx = t.file_index[i];
            let end = files.iter().filter(|g| g.path == f.path).map(|g| g.end).max().unwrap_or(f.end);
            let data = t.file_data[fidx].clone().map(ModuleData::Mapped);
            let is_exe = Some(&f.path) == exe_name.as_ref();
            let m = t.make_module(f, end, data, resolved[fidx].clone(), is_exe);
            if let Some(m) = m {
                match &m.identity {
                    Identity::Differs(why) => warnings.push(format!(
                        "{} differs from the file the process mapped ({why}); symbols and stacks may be wrong",
                        m.file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
                    )),
                    Identity::Missing if is_exe => warnings.push(format!(
                        "executable {} not found{}; name it with `jmdb EXECUTABLE CORE` or set --sysroot",
                        f.path,
                        if opts.executable.is_some() { " (the named executable does not exist)" } else { "" }
                    )),
                    _ => {}
                }
                t.modules.push(m);
            }
        }
        let missing: Vec<&str> =
            t.modules.iter().filter(|m| m.identity == Identity::Missing && !m.is_executable).map(|m| m.name.as_str()).collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "{} librar{} not found ({}); use --sysroot to point at a copy",
                missing.len(),
                if missing.len() == 1 { "y" } else { "ies" },
                missing.join(", ")
            ));
        }
        // The vdso lives only in memory.
        if let Some(vdso) = t.core.auxv(corefile::AT_SYSINFO_EHDR) {
            if let Some(seg) = t.segment_for(vdso).cloned() {
                let mut buf = vec![0u8; (seg.end() - seg.vaddr) as usize];
                if t.read(seg.vaddr, &mut buf).is_ok() {
                    let fm = FileMapping { start: seg.vaddr, end: seg.end(), file_offset: 0, path: "[vdso]".into() };
                    if let Some(mut m) =
                        t.make_module(&fm, seg.end(), Some(ModuleData::Owned(Arc::new(buf))), None, false)
                    {
                        m.identity = Identity::Matches("read from the core".into());
                        t.modules.push(m);
                    }
                }
            }
        }
        t.modules.sort_by_key(|m| m.base);
        t.warnings = warnings;
    }

    fn make_module(
        &self,
        f: &FileMapping,
        end: u64,
        data: Option<ModuleData>,
        file: Option<PathBuf>,
        is_executable: bool,
    ) -> Option<Module> {
        // Compute the load bias from the file's first PT_LOAD; without the
        // file, from the ELF header the core may hold at the base.
        let head: Option<Vec<u8>> = match &data {
            Some(d) => Some(d.bytes()[..d.bytes().len().min(65536)].to_vec()),
            None => {
                let mut b = vec![0u8; 4096];
                self.read(f.start, &mut b).ok().map(|_| b)
            }
        };
        let head = head?;
        if head.len() < 4 || &head[..4] != b"\x7fELF" {
            return None;
        }
        let (first_vaddr, last_end) = load_span(&head).unwrap_or((0, end - f.start));
        let bias = f.start.wrapping_sub(first_vaddr & !0xfff);
        // The module spans its PT_LOADs; the same file can be mapped again
        // elsewhere (node remaps its text onto huge pages), which is not it.
        let end = end.min(last_end.wrapping_add(bias)).max(f.end);
        let identity = match &data {
            None => Identity::Missing,
            Some(d) => self.check_identity(f.start, bias, d.bytes()),
        };
        Some(Module {
            name: f.path.clone(),
            file,
            base: f.start,
            end,
            bias,
            identity,
            is_executable,
            data,
            debug_root: self.sysroot.clone(),
            symbols: OnceLock::new(),
        })
    }

    /// Compare the file on disk with what the core holds of it: build-id
    /// notes if both have one, otherwise the first page (ELF and program
    /// headers), which the kernel dumps by default.
    fn check_identity(&self, base: u64, bias: u64, file: &[u8]) -> Identity {
        let file_id = object::File::parse(file).ok().and_then(|f| f.build_id().ok().flatten().map(|b| b.to_vec()));
        let mut page = vec![0u8; 4096.min(file.len())];
        let page_in_core = self.read_from_core_only(base, &mut page);
        let core_id = if page_in_core { build_id_from_memory(self, &page, bias) } else { None };
        match (file_id, core_id) {
            (Some(a), Some(b)) if a == b => Identity::Matches(format!("build-id {}", hex(&a))),
            (Some(a), Some(b)) => Identity::Differs(format!("build-id {} on disk, {} in the core", hex(&a), hex(&b))),
            _ if page_in_core => {
                if page[..] == file[..page.len()] {
                    Identity::Matches("ELF headers".into())
                } else {
                    Identity::Differs("ELF headers differ".into())
                }
            }
            _ => Identity::Unverified("the core holds no copy of its headers".into()),
        }
    }

    /// Read only from core segments (not from mapped files); a live
    /// process's memory counts as its core.
    fn read_from_core_only(&self, addr: u64, buf: &mut [u8]) -> bool {
        let core_data = match &self.source {
            Source::Core(d) => d,
            Source::Live { .. } => return self.read(addr, buf).is_ok(),
        };
        let Some(seg) = self.segment_for(addr) else { return false };
        let off = addr - seg.vaddr;
        if off + buf.len() as u64 > seg.present {
            return false;
        }
        let start = (seg.offset + off) as usize;
        match core_data.get(start..start + buf.len()) {
            Some(s) => {
                buf.copy_from_slice(s);
                true
            }
            None => false,
        }
    }

    fn segment_for(&self, addr: u64) -> Option<&LoadSegment> {
        self.segment_index(addr).map(|i| &self.core.segments[i])
    }

    fn segment_index(&self, addr: u64) -> Option<usize> {
        // Reads cluster in a few places at a time (an object, its map,
        // what it points at): a small per-thread cache of the segments
        // found last, by 256 KiB block, saves a binary search over
        // thousands of segments on a big heap's hot paths. Segments do not
        // overlap, so a hit is the answer the search would give.
        const WAYS: usize = 64;
        thread_local! {
            static LAST: [std::cell::Cell<u32>; WAYS] = const { [const { std::cell::Cell::new(0) }; WAYS] };
        }
        let segs = &self.core.segments;
        let way = ((addr >> 18) as usize) % WAYS;
        let last = LAST.with(|l| l[way].get()) as usize;
        if segs.get(last).is_some_and(|s| s.vaddr <= addr && addr < s.end()) {
            return Some(last);
        }
        let i = segs.partition_point(|s| s.vaddr <= addr);
        if i == 0 {
            return None;
        }
        let found = (addr < segs[i - 1].end()).then_some(i - 1)?;
        LAST.with(|l| l[way].set(found as u32));
        Some(found)
    }

    /// Read from a live process, segment by segment so that a failure
    /// names the mapping's state.
    /// A small read through the page cache: stack walks and object
    /// decoding read a few words at a time from the same pages, and each
    /// uncached read would be a system call.
    fn live_read_paged(&self, proc: &LiveProcess, pages: &PageCache, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.checked_add(done as u64).ok_or(MemError::Unmapped { addr: u64::MAX })?;
            let page = a & !(CACHE_PAGE - 1);
            let within = (a - page) as usize;
            let n = (CACHE_PAGE as usize - within).min(buf.len() - done);
            let data = match pages.get(page) {
                Some(d) => d,
                None => {
                    let mut d = vec![0u8; CACHE_PAGE as usize];
                    // A page that straddles the end of what can be read:
                    // read just what was asked for, uncached.
                    if self.live_read(proc, page, &mut d).is_err() {
                        self.live_read(proc, a, &mut buf[done..done + n])?;
                        done += n;
                        continue;
                    }
                    pages.put(page, d)
                }
            };
            buf[done..done + n].copy_from_slice(&data[within..within + n]);
            done += n;
        }
        Ok(())
    }

    fn live_read(&self, proc: &LiveProcess, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.checked_add(done as u64).ok_or(MemError::Unmapped { addr: u64::MAX })?;
            let seg = self.segment_for(a).ok_or(MemError::Unmapped { addr: a })?;
            if seg.filesz == 0 {
                let what = if seg.flags & 7 == 0 { "mapped without access" } else { "mapping cannot be read" };
                return Err(MemError::Unreadable { addr: a, what: what.into() });
            }
            let n = ((seg.end() - a) as usize).min(buf.len() - done);
            proc.read_at(a, &mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    fn file_for(&self, addr: u64) -> Option<(usize, &FileMapping)> {
        // NT_FILE entries are sorted by start and do not overlap.
        let files = &self.core.files;
        let i = files.partition_point(|f| f.start <= addr);
        if i == 0 {
            return None;
        }
        let f = &files[i - 1];
        (addr < f.end).then_some((i - 1, f))
    }

    /// Bytes at `addr` from a mapped file, if one supplies them.
    fn file_bytes(&self, addr: u64, len: usize) -> Result<&[u8], MemError> {
        let Some((i, f)) = self.file_for(addr) else { return Err(MemError::Unmapped { addr }) };
        let Some(data) = &self.file_data[self.file_index[i]] else {
            return Err(MemError::NotInCore { addr, what: format!("{}, file not found", f.path) });
        };
        let off = (f.file_offset + (addr - f.start)) as usize;
        let avail = (f.end - addr) as usize;
        // Past the end of the file (the tail of a last page, or .bss): zeros
        // would be a guess, so say it is missing.
        data.get(off..off + len.min(avail)).ok_or_else(|| MemError::NotInCore {
            addr,
            what: format!("beyond the end of {}", f.path),
        })
    }

    /// The longest contiguous run of readable bytes at `addr`, up to `len`.
    fn chunk(&self, addr: u64, len: usize) -> Result<&[u8], MemError> {
        let Source::Core(core_data) = &self.source else {
            return Err(MemError::Unreadable { addr, what: "live memory has no chunks".into() });
        };
        if let Some(seg) = self.segment_for(addr) {
            let off = addr - seg.vaddr;
            if off < seg.filesz {
                if off >= seg.present {
                    return Err(MemError::Truncated { addr });
                }
                let n = (seg.present - off).min(len as u64) as usize;
                let start = (seg.offset + off) as usize;
                return core_data.get(start..start + n).ok_or(MemError::Truncated { addr });
            }
            // Not dumped: a file-backed page the kernel skipped, or memory
            // gcore could not read.
            let seg_left = (seg.end() - addr) as usize;
            return match self.file_bytes(addr, len.min(seg_left)) {
                Ok(b) => Ok(b),
                Err(MemError::Unmapped { .. }) => Err(MemError::NotInCore {
                    addr,
                    what: format!("{} anonymous memory, not dumped", seg.perms()),
                }),
                Err(e) => Err(e),
            };
        }
        // No segment at all: a mapping gcore left out still has its file.
        self.file_bytes(addr, len)
    }

    /// Every mapping, with where its bytes come from.
    pub fn mappings(&self) -> Vec<Mapping> {
        let mut out = Vec::new();
        for s in &self.core.segments {
            let file = self.file_for(s.vaddr).map(|(i, f)| (i, f.clone()));
            let file_ok = file.as_ref().map(|(i, _)| self.file_data[self.file_index[*i]].is_some()).unwrap_or(false);
            let backing = if s.flags & 7 == 0 && s.filesz == 0 {
                Backing::NoAccess
            } else if self.is_live() {
                if s.filesz > 0 { Backing::Live } else { Backing::Missing }
            } else if s.filesz >= s.memsz && s.present >= s.filesz {
                Backing::Core
            } else if s.present < s.filesz {
                Backing::Partial
            } else if s.filesz == 0 {
                if file_ok { Backing::File } else { Backing::Missing }
            } else if file_ok {
                Backing::CoreAndFile
            } else {
                Backing::Partial
            };
            let (path, file_offset) = match &file {
                Some((_, f)) => (Some(f.path.clone()), f.file_offset + (s.vaddr - f.start)),
                None => (None, 0),
            };
            out.push(Mapping { start: s.vaddr, end: s.end(), perms: s.perms(), path, file_offset, backing });
        }
        // gcore leaves some file mappings (library text) out of its program
        // headers; the NT_FILE note still has them, and their bytes are in
        // the files.
        for (i, f) in self.core.files.iter().enumerate() {
            if self.segment_for(f.start).is_some() {
                continue;
            }
            let file_ok = self.file_data[self.file_index[i]].is_some();
            out.push(Mapping {
                start: f.start,
                end: f.end,
                perms: self.file_perms(&f.path, f.file_offset).unwrap_or_else(|| "r??".into()),
                path: Some(f.path.clone()),
                file_offset: f.file_offset,
                backing: if file_ok { Backing::File } else { Backing::Missing },
            });
        }
        out.sort_by_key(|m| m.start);
        out
    }

    /// The permissions the file's own program headers give the bytes at
    /// `offset` (for mappings the core does not describe).
    fn file_perms(&self, path: &str, offset: u64) -> Option<String> {
        let m = self.modules.iter().find(|m| m.name == path)?;
        let data = m.data()?;
        let hdr = elf::FileHeader64::<Endianness>::parse(data).ok()?;
        let endian = hdr.endian().ok()?;
        let ph = hdr.program_headers(endian, data).ok()?.iter().find(|p| {
            p.p_type(endian) == elf::PT_LOAD
                && offset >= (p.p_offset(endian) & !0xfff)
                && offset < p.p_offset(endian) + p.p_filesz(endian)
        })?;
        Some(corefile::perms_string(ph.p_flags(endian).0))
    }

    pub fn module_for_addr(&self, addr: u64) -> Option<&Module> {
        let i = self.modules.partition_point(|m| m.base <= addr);
        if i == 0 {
            return None;
        }
        let m = &self.modules[i - 1];
        m.contains(addr).then_some(m)
    }

    pub fn executable(&self) -> Option<&Module> {
        self.modules.iter().find(|m| m.is_executable)
    }

    /// Name the code or data at `addr`.
    pub fn symbolize(&self, addr: u64) -> Option<Symbolized> {
        let m = self.module_for_addr(addr)?;
        let s = m.symbols().lookup_addr(addr.wrapping_sub(m.bias))?;
        let rt = s.addr.wrapping_add(m.bias);
        Some(Symbolized { name: s.short_name(), raw: s.name.clone(), addr: rt, offset: addr - rt, module: m.short_name().into() })
    }

    /// Address of a symbol by raw or demangled name. `lib`name` restricts
    /// the search to one module, as mdb writes it.
    pub fn lookup_symbol(&self, name: &str) -> Option<u64> {
        let (modname, sym) = match name.split_once('`') {
            Some((m, s)) => (Some(m), s),
            None => (None, name),
        };
        // The executable first: it is where most names users type live.
        let mut mods: Vec<&Module> = self.modules.iter().collect();
        mods.sort_by_key(|m| !m.is_executable);
        for m in mods {
            if let Some(mn) = modname {
                if m.short_name() != mn && !m.short_name().starts_with(&format!("{mn}.")) {
                    continue;
                }
            }
            if let Some(s) = m.symbols().lookup_name(sym) {
                return Some(s.addr.wrapping_add(m.bias));
            }
        }
        None
    }

    /// Every symbol of every module, for `::nm`, with runtime addresses.
    pub fn all_symbols(&self) -> impl Iterator<Item = (&Module, &Symbol)> {
        self.modules.iter().flat_map(|m| m.symbols().iter().map(move |s| (m, s)))
    }

    /// Index into `threads` of the thread that took the fatal signal.
    pub fn signalled_thread(&self) -> usize {
        self.core.signalled_thread()
    }

    pub fn pid(&self) -> Option<u32> {
        self.core.psinfo.as_ref().map(|p| p.pid).or_else(|| self.threads.first().map(|t| t.tid))
    }
    pub fn psinfo(&self) -> Option<&PsInfo> {
        self.core.psinfo.as_ref()
    }
    pub fn siginfo(&self) -> Option<SigInfo> {
        self.core.siginfo
    }
    pub fn kind(&self) -> CoreKind {
        self.core.kind
    }

    /// The process's full `argv` and environment, read from the initial
    /// stack (the kernel keeps only 80 bytes of the command line in
    /// prpsinfo). The auxv vector is found in the stack's memory by its
    /// contents; before it come envp, a NULL, argv and argc.
    pub fn initial_args(&self) -> Option<(Vec<String>, Vec<String>)> {
        let execfn = self.core.auxv(corefile::AT_EXECFN)?;
        let seg = self.segment_for(execfn)?.clone();
        let needle: Vec<u8> = self.core.auxv.iter().take(4).flat_map(|(k, v)| [k.to_le_bytes(), v.to_le_bytes()]).flatten().collect();
        // The vectors sit below the strings, within the stack mapping.
        let lo = seg.vaddr.max(execfn.saturating_sub(1 << 20));
        let len = (execfn - lo) as usize;
        let mem = self.bytes(lo, len).ok()?;
        let at = mem.windows(needle.len()).rposition(|w| w == needle.as_slice())?;
        let word = |i: usize| -> Option<u64> { mem.get(i..i + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))) };
        // at-8 is envp's NULL terminator; walk back over envp, then argv.
        let mut i = at.checked_sub(8)?;
        if word(i)? != 0 {
            return None;
        }
        let mut envp = Vec::new();
        loop {
            i = i.checked_sub(8)?;
            let w = word(i)?;
            if w == 0 {
                break;
            }
            envp.push(w);
            if envp.len() > 100_000 {
                return None;
            }
        }
        envp.reverse();
        let mut argv = Vec::new();
        loop {
            i = i.checked_sub(8)?;
            let w = word(i)?;
            if w == argv.len() as u64 {
                break; // argc
            }
            argv.push(w);
            if argv.len() > 100_000 {
                return None;
            }
        }
        argv.reverse();
        let read = |v: Vec<u64>| v.into_iter().map(|a| self.read_cstr(a, 1 << 16).unwrap_or_default()).collect();
        Some((read(argv), read(envp)))
    }

    /// Zero-copy view of the bytes from `addr` to the end of what the core
    /// holds of its segment, at most `max` (a segment may end inside a heap
    /// page; a stack is read to its top).
    pub fn core_slice_from(&self, addr: u64, max: usize) -> Option<&[u8]> {
        let seg = &self.core.segments[self.segment_index(addr)?];
        let held = seg.vaddr.saturating_add(seg.present).checked_sub(addr).filter(|n| *n > 0)?;
        self.core_slice(addr, held.min(max as u64) as usize)
    }

    /// Zero-copy view of core bytes where one segment holds them all; used
    /// by heap scans.
    /// A live process serves these from blocks read once and cached while
    /// it stays stopped.
    pub fn core_slice(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let i = self.segment_index(addr)?;
        let seg = &self.core.segments[i];
        match &self.source {
            Source::Core(core_data) => {
                let off = addr - seg.vaddr;
                if off + len as u64 > seg.present {
                    return None;
                }
                let start = (seg.offset + off) as usize;
                core_data.get(start..start + len)
            }
            Source::Live { proc, cache, .. } => cache.slice(proc, i, seg, addr, len),
        }
    }
}

impl Target {
    /// `N` bytes at `addr`: from the mapping of a core where one segment
    /// holds them all, else through [`Memory::read`].
    fn read_small<const N: usize>(&self, addr: u64) -> Result<[u8; N], MemError> {
        if let Source::Core(_) = &self.source
            && let Some(b) = self.core_slice(addr, N)
            && let Ok(a) = b.try_into()
        {
            return Ok(a);
        }
        let mut b = [0u8; N];
        self.read(addr, &mut b)?;
        Ok(b)
    }
}

impl Memory for Target {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemError> {
        if let Source::Live { proc, pages, .. } = &self.source {
            if buf.len() <= PAGE_CACHED_READ {
                return self.live_read_paged(proc, pages, addr, buf);
            }
            return self.live_read(proc, addr, buf);
        }
        let mut done = 0usize;
        while done < buf.len() {
            let a = addr.checked_add(done as u64).ok_or(MemError::Unmapped { addr: u64::MAX })?;
            let c = self.chunk(a, buf.len() - done)?;
            if c.is_empty() {
                return Err(MemError::NotInCore { addr: a, what: "empty".into() });
            }
            buf[done..done + c.len()].copy_from_slice(c);
            done += c.len();
        }
        Ok(())
    }

    // Small reads straight from the mapped core when one segment holds
    // them: the V8 model reads millions of fields, and the general path's
    // copy was a call to memmove each (the reference index built 15%
    // faster).
    fn read_u8(&self, addr: u64) -> Result<u8, MemError> {
        self.read_small(addr).map(u8::from_le_bytes)
    }
    fn read_u16(&self, addr: u64) -> Result<u16, MemError> {
        self.read_small(addr).map(u16::from_le_bytes)
    }
    fn read_u32(&self, addr: u64) -> Result<u32, MemError> {
        self.read_small(addr).map(u32::from_le_bytes)
    }
    fn read_u64(&self, addr: u64) -> Result<u64, MemError> {
        self.read_small(addr).map(u64::from_le_bytes)
    }

    fn bytes(&self, addr: u64, len: usize) -> Result<Cow<'_, [u8]>, MemError> {
        if self.is_live() {
            if let Some(b) = self.core_slice(addr, len) {
                return Ok(Cow::Borrowed(b));
            }
            let mut v = vec![0u8; len];
            self.read(addr, &mut v)?;
            return Ok(Cow::Owned(v));
        }
        let c = self.chunk(addr, len)?;
        if c.len() == len {
            return Ok(Cow::Borrowed(c));
        }
        let mut v = vec![0u8; len];
        self.read(addr, &mut v)?;
        Ok(Cow::Owned(v))
    }
}

fn thread_list(core: &CoreFile) -> Vec<Thread> {
    core.threads
        .iter()
        .enumerate()
        .map(|(i, th)| Thread { index: i + 1, tid: th.tid, cursig: th.cursig, regs: th.regs })
        .collect()
}

/// The vaddr of the first PT_LOAD and the end of the last, from an ELF
/// image's headers.
fn load_span(head: &[u8]) -> Option<(u64, u64)> {
    let hdr = elf::FileHeader64::<Endianness>::parse(head).ok()?;
    let endian = hdr.endian().ok()?;
    let phdrs = hdr.program_headers(endian, head).ok()?;
    let loads = phdrs.iter().filter(|p| p.p_type(endian) == elf::PT_LOAD);
    let first = loads.clone().next()?.p_vaddr(endian);
    let end = loads.map(|p| p.p_vaddr(endian).saturating_add(p.p_memsz(endian))).max()?;
    Some((first, end))
}

/// The GNU build-id of a mapped ELF, read through its program headers
/// (`page` holds the first page from the core).
fn build_id_from_memory(mem: &dyn Memory, page: &[u8], bias: u64) -> Option<Vec<u8>> {
    let hdr = elf::FileHeader64::<Endianness>::parse(page).ok()?;
    let endian = hdr.endian().ok()?;
    let phdrs = hdr.program_headers(endian, page).ok()?;
    for p in phdrs.iter().filter(|p| p.p_type(endian) == elf::PT_NOTE) {
        let size = (p.p_filesz(endian) as usize).min(4096);
        let mut notes = vec![0u8; size];
        if mem.read(p.p_vaddr(endian).wrapping_add(bias), &mut notes).is_err() {
            continue;
        }
        let Ok(mut it) = object::read::elf::NoteIterator::<elf::FileHeader64<Endianness>>::new(endian, 4, &notes) else {
            continue;
        };
        while let Ok(Some(n)) = it.next() {
            if n.name() == b"GNU" && n.n_type(endian) == elf::NT_GNU_BUILD_ID {
                return Some(n.desc().to_vec());
            }
        }
    }
    None
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A separate debug file by build-id, as gdb looks for it.
fn find_debug_file(id: &[u8], sysroot: Option<&Path>) -> Option<PathBuf> {
    if id.len() < 2 {
        return None;
    }
    let rel = format!("usr/lib/debug/.build-id/{:02x}/{}.debug", id[0], hex(&id[1..]));
    let mut roots: Vec<PathBuf> = sysroot.map(|p| p.to_path_buf()).into_iter().collect();
    roots.push(PathBuf::from("/"));
    roots.into_iter().map(|r| r.join(&rel)).find(|p| p.is_file())
}

/// Find a mapped file on disk: under the sysroot first, then where the
/// process had it. A "(deleted)" file is looked for under its old name.
fn find_file(path: &str, sysroot: Option<&Path>) -> Option<PathBuf> {
    let clean = path.strip_suffix(" (deleted)").unwrap_or(path);
    if !clean.starts_with('/') {
        return None; // [heap], [stack], anon_inode:..., memfd
    }
    if let Some(root) = sysroot {
        let p = root.join(clean.trim_start_matches('/'));
        if p.is_file() {
            return Some(p);
        }
        // A flat directory of copied libraries is common too.
        if let Some(base) = Path::new(clean).file_name() {
            let p = root.join(base);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let p = PathBuf::from(clean);
    p.is_file().then_some(p)
}
