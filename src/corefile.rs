//! Parsing an ELF core: its load segments and its notes (threads, process
//! info, signal, auxv, mapped files). Pure parsing of the core's own bytes;
//! resolving the files it names is the target's job.
//!
//! Sources: Linux `fs/binfmt_elf.c` (`fill_note_info`, `fill_files_note`),
//! `include/uapi/linux/elf.h` (note types), gdb's `gcore.c`.

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::Endianness;

use crate::arch::x86_64::{self, Regs};
use crate::error::OpenError;

/// One `PT_LOAD` segment of the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSegment {
    pub vaddr: u64,
    pub memsz: u64,
    /// Offset of the segment's bytes in the core file.
    pub offset: u64,
    /// How many bytes the core holds (0 for pages the kernel did not dump).
    pub filesz: u64,
    /// How many of those bytes the core file actually has (less than
    /// `filesz` when the core was truncated).
    pub present: u64,
    pub flags: u32,
}

impl LoadSegment {
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.memsz)
    }
    pub fn perms(&self) -> String {
        perms_string(self.flags)
    }
}

/// `rwx`-style text for ELF `p_flags`.
pub fn perms_string(f: u32) -> String {
    format!(
        "{}{}{}",
        if f & elf::PF_R.0 != 0 { 'r' } else { '-' },
        if f & elf::PF_W.0 != 0 { 'w' } else { '-' },
        if f & elf::PF_X.0 != 0 { 'x' } else { '-' }
    )
}

/// One entry of the `NT_FILE` note: a file-backed mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    pub start: u64,
    pub end: u64,
    /// Byte offset into the file.
    pub file_offset: u64,
    pub path: String,
}

/// A thread, from its `NT_PRSTATUS` note.
#[derive(Debug, Clone)]
pub struct CoreThread {
    pub tid: u32,
    /// The signal this thread had pending when the core was written.
    pub cursig: i32,
    pub regs: Regs,
}

/// `NT_SIGINFO`, the signal that killed the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SigInfo {
    pub signo: i32,
    pub errno: i32,
    pub code: i32,
    /// `si_addr` for faults, `si_pid` (low 32 bits) for sent signals.
    pub addr: u64,
    pub sender_pid: u32,
}

impl SigInfo {
    /// Decode a raw `siginfo_t` (as `NT_SIGINFO` and `PTRACE_GETSIGINFO`
    /// hold it).
    pub fn parse(desc: &[u8]) -> Option<SigInfo> {
        if desc.len() < 16 {
            return None;
        }
        Some(SigInfo {
            signo: le_u32(desc, 0)? as i32,
            errno: le_u32(desc, 4)? as i32,
            code: le_u32(desc, 8)? as i32,
            addr: le_u64(desc, 16).unwrap_or(0),
            sender_pid: le_u32(desc, 16).unwrap_or(0),
        })
    }
}

/// `NT_PRPSINFO`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsInfo {
    pub pid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub fname: String,
    /// The command line, truncated by the kernel to 80 bytes.
    pub psargs: String,
}

/// How the core was made, which tells what to expect of its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreKind {
    /// Written by the kernel: file-backed pages mostly absent.
    Kernel,
    /// Written by gdb's gcore (BFD): has section headers, file pages dumped.
    Gcore,
    /// Not a core: a live process attached with ptrace, described by
    /// [`crate::live::LiveProcess::snapshot`] (every mapping listed, as in a
    /// kernel core; all readable memory available).
    Live,
}

#[derive(Debug, Clone)]
pub struct CoreFile {
    pub kind: CoreKind,
    pub segments: Vec<LoadSegment>,
    pub files: Vec<FileMapping>,
    pub page_size: u64,
    pub threads: Vec<CoreThread>,
    pub psinfo: Option<PsInfo>,
    pub siginfo: Option<SigInfo>,
    pub auxv: Vec<(u64, u64)>,
    /// Problems found while parsing that did not stop it.
    pub warnings: Vec<String>,
    pub file_len: u64,
}

pub const NT_PRSTATUS: u32 = 1;
pub const NT_PRPSINFO: u32 = 3;
pub const NT_AUXV: u32 = 6;
pub const NT_SIGINFO: u32 = 0x5349_4749;
pub const NT_FILE: u32 = 0x4649_4c45;

pub const AT_PHDR: u64 = 3;
pub const AT_ENTRY: u64 = 9;
pub const AT_BASE: u64 = 7;
pub const AT_EXECFN: u64 = 31;
pub const AT_SYSINFO_EHDR: u64 = 33;

fn le_u64(b: &[u8], off: usize) -> Option<u64> {
    b.get(off..off + 8).map(|s| u64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
}
fn le_u32(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off + 4).map(|s| u32::from_le_bytes(s.try_into().unwrap_or([0; 4])))
}
fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl CoreFile {
    /// Parse the core's headers and notes. `data` is the whole core file.
    pub fn parse(path: &str, data: &[u8]) -> Result<CoreFile, OpenError> {
        if data.len() < 4 || &data[..4] != b"\x7fELF" {
            return Err(OpenError::NotElf { path: path.into() });
        }
        let hdr = elf::FileHeader64::<Endianness>::parse(data).map_err(|e| {
            if data.get(4) == Some(&1) {
                OpenError::Unsupported { path: path.into(), msg: "32-bit cores are not supported".into() }
            } else {
                OpenError::Malformed { path: path.into(), msg: e.to_string() }
            }
        })?;
        let endian = hdr.endian().map_err(|e| OpenError::Malformed { path: path.into(), msg: e.to_string() })?;
        let etype = hdr.e_type(endian);
        if etype != elf::ET_CORE {
            let kind = match etype {
                elf::ET_EXEC => "executable".to_string(),
                elf::ET_DYN => "shared object or PIE executable".to_string(),
                elf::ET_REL => "relocatable object".to_string(),
                t => format!("{t}"),
            };
            return Err(OpenError::NotCore { path: path.into(), kind });
        }
        if hdr.e_machine(endian) != elf::EM_X86_64 {
            return Err(OpenError::Unsupported {
                path: path.into(),
                msg: format!("machine {} (only x86_64 is supported)", hdr.e_machine(endian)),
            });
        }
        let phdrs = hdr
            .program_headers(endian, data)
            .map_err(|e| OpenError::Malformed { path: path.into(), msg: format!("program headers: {e}") })?;
        let file_len = data.len() as u64;
        let mut core = CoreFile {
            kind: if hdr.e_shnum(endian) > 0 { CoreKind::Gcore } else { CoreKind::Kernel },
            segments: Vec::new(),
            files: Vec::new(),
            page_size: 4096,
            threads: Vec::new(),
            psinfo: None,
            siginfo: None,
            auxv: Vec::new(),
            warnings: Vec::new(),
            file_len,
        };
        let mut truncated_segments = 0usize;
        for ph in phdrs {
            match ph.p_type(endian) {
                elf::PT_LOAD => {
                    let offset = ph.p_offset(endian);
                    let filesz = ph.p_filesz(endian);
                    let present = filesz.min(file_len.saturating_sub(offset));
                    if present < filesz {
                        truncated_segments += 1;
                    }
                    core.segments.push(LoadSegment {
                        vaddr: ph.p_vaddr(endian),
                        memsz: ph.p_memsz(endian),
                        offset,
                        filesz,
                        present,
                        flags: ph.p_flags(endian).0,
                    });
                }
                elf::PT_NOTE => core.parse_notes(ph, endian, data),
                _ => {}
            }
        }
        if truncated_segments > 0 {
            core.warnings.push(format!(
                "core is truncated: {} bytes long, {truncated_segments} segment(s) incomplete; reads there will fail",
                file_len
            ));
        }
        core.segments.sort_by_key(|s| s.vaddr);
        if core.threads.is_empty() {
            core.warnings.push("core has no NT_PRSTATUS note: no threads or registers".into());
        }
        Ok(core)
    }

    fn parse_notes(&mut self, ph: &elf::ProgramHeader64<Endianness>, endian: Endianness, data: &[u8]) {
        // Notes may run past the end of a truncated core: take what is there.
        let off = ph.p_offset(endian) as usize;
        let len = ph.p_filesz(endian) as usize;
        if off >= data.len() {
            self.warnings.push("core is truncated before its notes".into());
            return;
        }
        let avail = len.min(data.len() - off);
        let notes = &data[off..off + avail];
        let mut iter = match object::read::elf::NoteIterator::<elf::FileHeader64<Endianness>>::new(endian, 4, notes) {
            Ok(i) => i,
            Err(e) => {
                self.warnings.push(format!("cannot read notes: {e}"));
                return;
            }
        };
        loop {
            let note = match iter.next() {
                Ok(Some(n)) => n,
                Ok(None) => break,
                Err(e) => {
                    self.warnings.push(format!("notes end early ({e}); core truncated?"));
                    break;
                }
            };
            let name = note.name();
            let desc = note.desc();
            if name != b"CORE" {
                continue;
            }
            match note.n_type(endian).0 {
                NT_PRSTATUS => self.parse_prstatus(desc),
                NT_PRPSINFO => self.psinfo = parse_prpsinfo(desc),
                NT_SIGINFO => {
                    if let Some(si) = SigInfo::parse(desc) {
                        self.siginfo = Some(si);
                    }
                }
                NT_AUXV => {
                    for pair in desc.chunks_exact(16) {
                        let k = le_u64(pair, 0).unwrap_or(0);
                        let v = le_u64(pair, 8).unwrap_or(0);
                        if k == 0 {
                            break;
                        }
                        self.auxv.push((k, v));
                    }
                }
                NT_FILE => self.parse_nt_file(desc),
                _ => {}
            }
        }
    }

    fn parse_prstatus(&mut self, d: &[u8]) {
        use x86_64::prstatus as p;
        if d.len() < p::REGS + 27 * 8 {
            self.warnings.push(format!("short NT_PRSTATUS note ({} bytes)", d.len()));
            return;
        }
        let cursig = u16::from_le_bytes([d[p::CURSIG], d[p::CURSIG + 1]]) as i32;
        let tid = le_u32(d, p::PID).unwrap_or(0);
        if let Some(regs) = Regs::from_prstatus_regs(&d[p::REGS..]) {
            self.threads.push(CoreThread { tid, cursig, regs });
        }
    }

    fn parse_nt_file(&mut self, d: &[u8]) {
        let (Some(count), Some(page)) = (le_u64(d, 0), le_u64(d, 8)) else {
            self.warnings.push("short NT_FILE note".into());
            return;
        };
        self.page_size = if page == 0 { 4096 } else { page };
        // Bound the count by what the note can hold: 24 bytes per entry.
        let count = count.min((d.len() as u64).saturating_sub(16) / 24) as usize;
        let mut names = d.get(16 + count * 24..).unwrap_or(&[]).split(|&c| c == 0);
        for i in 0..count {
            let e = 16 + i * 24;
            let (Some(start), Some(end), Some(pgoff)) = (le_u64(d, e), le_u64(d, e + 8), le_u64(d, e + 16)) else { break };
            let path = names.next().map(|n| String::from_utf8_lossy(n).into_owned()).unwrap_or_default();
            self.files.push(FileMapping { start, end, file_offset: pgoff.saturating_mul(self.page_size), path });
        }
    }

    pub fn auxv(&self, key: u64) -> Option<u64> {
        self.auxv.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The thread that received the fatal signal: the one whose cursig
    /// matches siginfo, else the first (the kernel dumps it first).
    pub fn signalled_thread(&self) -> usize {
        let sig = self.siginfo.map(|s| s.signo).unwrap_or(0);
        if sig != 0 {
            if let Some(i) = self.threads.iter().position(|t| t.cursig == sig) {
                return i;
            }
        }
        0
    }
}

fn parse_prpsinfo(d: &[u8]) -> Option<PsInfo> {
    use x86_64::prpsinfo as p;
    if d.len() < p::PSARGS + p::PSARGS_LEN {
        return None;
    }
    Some(PsInfo {
        pid: le_u32(d, p::PID)?,
        ppid: le_u32(d, p::PPID)?,
        uid: le_u32(d, p::UID)?,
        gid: le_u32(d, p::GID)?,
        fname: cstr(&d[p::FNAME..p::FNAME + p::FNAME_LEN]),
        psargs: cstr(&d[p::PSARGS..p::PSARGS + p::PSARGS_LEN]).trim_end().to_string(),
    })
}

/// Linux x86_64 signal names (`asm/signal.h`) and their usual description.
pub fn signal_name(sig: i32) -> (&'static str, &'static str) {
    match sig {
        1 => ("SIGHUP", "Hangup"),
        2 => ("SIGINT", "Interrupt"),
        3 => ("SIGQUIT", "Quit"),
        4 => ("SIGILL", "Illegal instruction"),
        5 => ("SIGTRAP", "Trace/breakpoint trap"),
        6 => ("SIGABRT", "Aborted"),
        7 => ("SIGBUS", "Bus error"),
        8 => ("SIGFPE", "Floating point exception"),
        9 => ("SIGKILL", "Killed"),
        10 => ("SIGUSR1", "User defined signal 1"),
        11 => ("SIGSEGV", "Segmentation fault"),
        12 => ("SIGUSR2", "User defined signal 2"),
        13 => ("SIGPIPE", "Broken pipe"),
        14 => ("SIGALRM", "Alarm clock"),
        15 => ("SIGTERM", "Terminated"),
        16 => ("SIGSTKFLT", "Stack fault"),
        17 => ("SIGCHLD", "Child exited"),
        18 => ("SIGCONT", "Continued"),
        19 => ("SIGSTOP", "Stopped (signal)"),
        20 => ("SIGTSTP", "Stopped"),
        21 => ("SIGTTIN", "Stopped (tty input)"),
        22 => ("SIGTTOU", "Stopped (tty output)"),
        23 => ("SIGURG", "Urgent I/O condition"),
        24 => ("SIGXCPU", "CPU time limit exceeded"),
        25 => ("SIGXFSZ", "File size limit exceeded"),
        26 => ("SIGVTALRM", "Virtual timer expired"),
        27 => ("SIGPROF", "Profiling timer expired"),
        28 => ("SIGWINCH", "Window changed"),
        29 => ("SIGIO", "I/O possible"),
        30 => ("SIGPWR", "Power failure"),
        31 => ("SIGSYS", "Bad system call"),
        0 => ("none", "no signal"),
        _ => ("SIG?", "unknown signal"),
    }
}

/// What `si_code` says about how the signal came (`asm-generic/siginfo.h`).
pub fn signal_code(sig: i32, code: i32) -> String {
    let generic = match code {
        0 => Some("SI_USER: sent by kill()"),
        0x80 => Some("SI_KERNEL: sent by the kernel"),
        -1 => Some("SI_QUEUE: sent by sigqueue()"),
        -6 => Some("SI_TKILL: sent by tkill() or raise()"),
        _ => None,
    };
    if let Some(g) = generic {
        return g.to_string();
    }
    let specific = match (sig, code) {
        (11, 1) => "SEGV_MAPERR: address not mapped",
        (11, 2) => "SEGV_ACCERR: invalid permissions for mapped object",
        (7, 1) => "BUS_ADRALN: invalid address alignment",
        (7, 2) => "BUS_ADRERR: nonexistent physical address",
        (4, 1) => "ILL_ILLOPC: illegal opcode",
        (4, 2) => "ILL_ILLOPN: illegal operand",
        (8, 1) => "FPE_INTDIV: integer divide by zero",
        (5, 1) => "TRAP_BRKPT: process breakpoint",
        (5, 2) => "TRAP_TRACE: process trace trap",
        _ => "",
    };
    if specific.is_empty() { format!("code {code}") } else { specific.to_string() }
}

/// Signals whose siginfo carries a faulting address rather than a sender.
pub fn signal_has_addr(sig: i32) -> bool {
    matches!(sig, 4 | 7 | 8 | 11)
}
