//! Writing a core of a live process, laid out as the Linux kernel writes
//! one, so that gdb, jmdb and other tools read it as a kernel core.
//!
//! Layout (Linux `fs/binfmt_elf.c`, `elf_core_dump`): an `ET_CORE` header
//! without section headers; one `PT_NOTE` then one `PT_LOAD` per mapping, in
//! address order; the notes; then each dumped segment's bytes, page-aligned.
//! Notes, in the kernel's order (`write_note_info`): the first thread's
//! `NT_PRSTATUS`, then `NT_PRPSINFO`, `NT_SIGINFO`, `NT_AUXV`, `NT_FILE`, the
//! first thread's `NT_FPREGSET`; then `NT_PRSTATUS` and `NT_FPREGSET` for every
//! other thread. What is dumped follows the default `coredump_filter` (0x33,
//! `vma_dump_size`): all of anonymous memory, of file mappings with
//! private anonymous pages (written to or copied on write: relocated data,
//! RELRO, `r_debug`; `Anonymous:` in `/proc/PID/smaps`), and the vdso; the
//! first page of a file mapping that starts with an ELF header (so
//! build-ids can be checked); nothing of other file-backed mappings
//! (`p_filesz` 0: readers take those bytes from the files), of mappings
//! without read access, marked do-not-dump or I/O (`VmFlags` `dd`, `io`),
//! or that cannot be read (`[vvar]`).
//! Pages that fail to read inside a dumped mapping are written as zeros.
//! The signal is the one the process is held at when jmdb stopped it at a
//! fatal signal ([`crate::live::LiveProcess::run_until_fatal`]): its
//! `siginfo_t` as the kernel gave it, in every thread's `pr_cursig` as the
//! kernel writes them, with the thread that took it first. Otherwise it is
//! synthesized: `SIGSTOP` sent by jmdb (`SI_USER`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use object::Endianness;
use object::elf;
use object::write::StreamingBuffer;
use object::write::elf::{FileHeader, ProgramHeader, Writer};

use crate::arch::x86_64::{prpsinfo, prstatus};
use crate::corefile::{NT_AUXV, NT_FILE, NT_PRPSINFO, NT_PRSTATUS, NT_SIGINFO};
use crate::live::MapsEntry;
use crate::target::Target;

pub const NT_FPREGSET: u32 = 2;
const SIGSTOP: i32 = 19;
const PAGE: u64 = 4096;
/// How much memory one read fetches while dumping.
const READ_CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum GcoreError {
    #[error("::gcore needs a live process (attach with `jmdb -p PID`)")]
    NotLive,
    #[error("{path}: {msg}")]
    Io { path: String, msg: String },
    #[error("cannot write the core: {0}")]
    Layout(String),
}

/// What a dump wrote.
#[derive(Debug, Clone, Default)]
pub struct GcoreStats {
    pub threads: usize,
    pub segments: usize,
    /// Segments with their bytes in the core.
    pub dumped_segments: usize,
    pub bytes: u64,
    /// Pages inside dumped mappings that could not be read (written as
    /// zeros).
    pub unreadable_pages: u64,
}

/// How many bytes of mapping `m` go in the core (see the module docs).
/// `smaps` is what `/proc/PID/smaps` says of it: (has anonymous pages,
/// VmFlags).
fn dump_size(t: &Target, m: &MapsEntry, readable: bool, smaps: Option<&(bool, Vec<String>)>) -> u64 {
    if !readable {
        return 0;
    }
    let len = m.end - m.start;
    if m.path == "[vdso]" {
        return len;
    }
    let flag = |f: &str| smaps.is_some_and(|(_, fl)| fl.iter().any(|x| x == f));
    if flag("dd") || flag("io") {
        return 0;
    }
    // Written-to private file pages (relocated data, RELRO, the GOT, and
    // ld.so's r_debug that gdb follows to find libraries).
    let cowed = smaps.is_some_and(|(anon, _)| *anon);
    if !m.file_backed() || cowed {
        return len;
    }
    let mut magic = [0u8; 4];
    if m.offset == 0 && crate::memory::Memory::read(t, m.start, &mut magic).is_ok() && &magic == b"\x7fELF" {
        return PAGE.min(len);
    }
    0
}

fn note(out: &mut Vec<u8>, name: &[u8], ty: u32, desc: &[u8]) {
    let namesz = name.len() as u32 + 1;
    out.extend_from_slice(&namesz.to_le_bytes());
    out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(name);
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(desc);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// Write a core of the live target to `path`.
pub fn write_core(t: &Target, path: &Path) -> Result<GcoreStats, GcoreError> {
    let p = t.live().ok_or(GcoreError::NotLive)?;
    let maps = p.maps();
    if maps.len() != t.core.segments.len() {
        return Err(GcoreError::Layout("the mappings changed while attached".into()));
    }
    if maps.len() + 1 >= elf::PN_XNUM as usize {
        return Err(GcoreError::Layout(format!("{} mappings: too many for ELF program headers", maps.len())));
    }
    let smaps = p.smaps();
    let sizes: Vec<u64> =
        maps.iter().zip(&t.core.segments).map(|(m, s)| dump_size(t, m, s.filesz > 0, smaps.get(&m.start))).collect();

    // The notes.
    let (_, ppid, pgrp, sid, _, _) = p.stat_fields().unwrap_or(('T', 0, 0, 0, 0, 0));
    let fatal = p.fatal_signal();
    let signo = fatal.map(|f| f.signo).unwrap_or(SIGSTOP);
    // The thread that took the signal first, as the kernel dumps it.
    let mut threads: Vec<&crate::target::Thread> = t.threads.iter().collect();
    if let Some(f) = fatal {
        threads.sort_by_key(|th| th.tid != f.tid);
    }
    let mut notes = Vec::new();
    for (i, th) in threads.into_iter().enumerate() {
        let mut d = vec![0u8; prstatus::SIZE];
        put_u32(&mut d, prstatus::SI_SIGNO, signo as u32);
        d[prstatus::CURSIG..prstatus::CURSIG + 2].copy_from_slice(&(signo as u16).to_le_bytes());
        put_u32(&mut d, prstatus::PID, th.tid);
        put_u32(&mut d, prstatus::PPID, ppid);
        put_u32(&mut d, prstatus::PPID + 4, pgrp);
        put_u32(&mut d, prstatus::PPID + 8, sid);
        for (k, v) in th.regs.user.iter().enumerate() {
            let o = prstatus::REGS + k * 8;
            d[o..o + 8].copy_from_slice(&v.to_le_bytes());
        }
        let fp = p.fpregs(th.tid);
        // pr_fpvalid follows the 27 registers.
        put_u32(&mut d, prstatus::REGS + 27 * 8, fp.is_some() as u32);
        note(&mut notes, b"CORE", NT_PRSTATUS, &d);
        if i == 0 {
            let ps = p.psinfo().unwrap_or_default();
            let mut d = vec![0u8; prpsinfo::PSARGS + prpsinfo::PSARGS_LEN];
            d[prpsinfo::STATE] = 3; // "T": stopped
            d[prpsinfo::STATE + 1] = b'T';
            put_u32(&mut d, prpsinfo::UID, ps.uid);
            put_u32(&mut d, prpsinfo::GID, ps.gid);
            put_u32(&mut d, prpsinfo::PID, p.pid());
            put_u32(&mut d, prpsinfo::PPID, ps.ppid);
            put_u32(&mut d, prpsinfo::PPID + 4, pgrp);
            put_u32(&mut d, prpsinfo::PPID + 8, sid);
            let f = ps.fname.as_bytes();
            let n = f.len().min(prpsinfo::FNAME_LEN - 1);
            d[prpsinfo::FNAME..prpsinfo::FNAME + n].copy_from_slice(&f[..n]);
            let a = ps.psargs.as_bytes();
            let n = a.len().min(prpsinfo::PSARGS_LEN - 1);
            d[prpsinfo::PSARGS..prpsinfo::PSARGS + n].copy_from_slice(&a[..n]);
            note(&mut notes, b"CORE", NT_PRPSINFO, &d);

            let d = match fatal {
                Some(f) => f.siginfo.clone(),
                None => {
                    // siginfo_t: signo, errno, code (SI_USER = 0), then si_pid, si_uid.
                    let mut d = vec![0u8; 128];
                    put_u32(&mut d, 0, SIGSTOP as u32);
                    put_u32(&mut d, 16, std::process::id());
                    put_u32(&mut d, 20, std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap_or(0));
                    d
                }
            };
            note(&mut notes, b"CORE", NT_SIGINFO, &d);

            note(&mut notes, b"CORE", NT_AUXV, &p.auxv_bytes());

            let files: Vec<&MapsEntry> = maps.iter().filter(|m| m.file_backed()).collect();
            let mut d = Vec::new();
            d.extend_from_slice(&(files.len() as u64).to_le_bytes());
            d.extend_from_slice(&PAGE.to_le_bytes());
            for m in &files {
                for v in [m.start, m.end, m.offset / PAGE] {
                    d.extend_from_slice(&v.to_le_bytes());
                }
            }
            for m in &files {
                d.extend_from_slice(m.path.as_bytes());
                d.push(0);
            }
            note(&mut notes, b"CORE", NT_FILE, &d);
        }
        if let Some(fp) = fp {
            note(&mut notes, b"CORE", NT_FPREGSET, &fp);
        }
    }

    let io = |e: std::io::Error| GcoreError::Io { path: path.display().to_string(), msg: e.to_string() };
    let file = File::create(path).map_err(io)?;
    let mut buf = StreamingBuffer::new(BufWriter::with_capacity(READ_CHUNK, file));
    let mut stats = GcoreStats { threads: t.threads.len(), segments: maps.len(), ..Default::default() };
    {
        let mut w = Writer::new(Endianness::Little, true, &mut buf);
        w.reserve_file_header();
        w.reserve_program_headers(maps.len() as u32 + 1);
        let note_off = w.reserve(notes.len() as u64, 4);
        let offs: Vec<u64> = sizes.iter().map(|&sz| w.reserve(sz, PAGE)).collect();
        w.write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_CORE,
            e_machine: elf::EM_X86_64,
            e_entry: 0,
            e_flags: Default::default(),
        })
        .map_err(|e| GcoreError::Layout(e.to_string()))?;
        w.write_align_program_headers();
        w.write_program_header(&ProgramHeader {
            p_type: elf::PT_NOTE,
            p_flags: Default::default(),
            p_offset: note_off,
            p_vaddr: 0,
            p_paddr: 0,
            p_filesz: notes.len() as u64,
            p_memsz: 0,
            p_align: 4,
        });
        for ((m, &sz), &off) in maps.iter().zip(&sizes).zip(&offs) {
            w.write_program_header(&ProgramHeader {
                p_type: elf::PT_LOAD,
                p_flags: elf::ProgramFlags(m.elf_flags()),
                p_offset: off,
                p_vaddr: m.start,
                p_paddr: 0,
                p_filesz: sz,
                p_memsz: m.end - m.start,
                p_align: PAGE,
            });
        }
        w.pad_until(note_off);
        w.write(&notes);
        let mut chunk = vec![0u8; READ_CHUNK];
        for ((m, &sz), &off) in maps.iter().zip(&sizes).zip(&offs) {
            if sz == 0 {
                continue;
            }
            stats.dumped_segments += 1;
            w.pad_until(off);
            let mut a = m.start;
            let end = m.start + sz;
            while a < end {
                let n = ((end - a) as usize).min(READ_CHUNK);
                let c = &mut chunk[..n];
                if p.read_at(a, c).is_err() {
                    // Page by page, zeros where a page cannot be read.
                    for (k, page) in c.chunks_mut(PAGE as usize).enumerate() {
                        if p.read_at(a + k as u64 * PAGE, page).is_err() {
                            page.fill(0);
                            stats.unreadable_pages += 1;
                        }
                    }
                }
                w.write(c);
                a += n as u64;
            }
        }
        stats.bytes = w.len();
    }
    buf.result().map_err(io)?;
    buf.into_inner().into_inner().map_err(|e| io(e.into_error()))?.flush().map_err(io)?;
    Ok(stats)
}
