//! The process as a whole: `::status` (`$?`), `::mappings` (`$m`) and
//! `::gcore`.

use std::io::Write;

use crate::corefile::{self, CoreKind};
use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::Session;
use crate::target::{Backing, Identity, Target};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "status",
        synopsis: "",
        summary: "print a summary of the target: core, executable, pid, signal, threads",
        help: STATUS_HELP,
        options: &[],
        handler: status,
    });
    r.add(Dcmd {
        name: "$?",
        synopsis: "",
        summary: "same as ::status",
        help: STATUS_HELP,
        options: &[],
        handler: status,
    });
    r.add(Dcmd {
        name: "mappings",
        synopsis: "?[-b core|file|core+file|missing|partial|noaccess|live] [-f text]",
        summary: "list the process's memory mappings and where their bytes come from",
        help: MAPPINGS_HELP,
        options: &["-b", "-f"],
        handler: mappings,
    });
    r.add(Dcmd {
        name: "$m",
        synopsis: "?[-b core|file|core+file|missing|partial|noaccess|live] [-f text]",
        summary: "same as ::mappings",
        help: MAPPINGS_HELP,
        options: &["-b", "-f"],
        handler: mappings,
    });
    r.add(Dcmd {
        name: "gcore",
        synopsis: "[file]",
        summary: "write a core file of the attached live process",
        help: GCORE_HELP,
        options: &[],
        handler: gcore,
    });
}

const GCORE_HELP: &str = "\
SYNOPSIS
  ::gcore [FILE]

DESCRIPTION
  Writes a core file of the live process jmdb is attached to (jmdb -p PID),
  to FILE or, by default, to core.PID in the current directory. The process
  stays stopped while the core is written and runs on when jmdb detaches.
  The core is laid out as the Linux kernel lays one out, so gdb, jmdb and
  other tools read it as a kernel core: an NT_PRSTATUS and NT_FPREGSET note
  for every thread (the main thread first), NT_PRPSINFO, NT_AUXV,
  NT_FILE and an NT_SIGINFO that records SIGSTOP sent by jmdb (the process
  did not crash). Like the kernel's default coredump_filter, it holds all
  anonymous and private writable memory and the vdso, plus the first page of
  each mapped ELF file (so build-ids can be checked); other file-backed
  mappings (library and executable text) are listed with no bytes, and are
  read from the files on disk when the core is opened. Mappings that cannot
  be read ([vvar]) are listed without bytes; unreadable pages inside dumped
  mappings are written as zeros, with a warning.
  From the shell, `jmdb gcore PID [-o FILE]` attaches, writes the core and
  detaches in one step.

  On a core file (rather than a live process) ::gcore fails: the core is
  already one.

EXAMPLES
  $ jmdb -p 4242
  > ::gcore /tmp/core.server
  wrote /tmp/core.server: 11 threads, 120 mappings (95 with contents), 61.2 MB
  $ gdb -batch -ex 'thread apply all bt' /usr/bin/node /tmp/core.server
  $ jmdb /tmp/core.server -e '::jsstack'
";

fn gcore(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    if o.operands.len() > 1 {
        return Err(DcmdError::Usage(format!("unexpected argument {}", o.operands[1])));
    }
    let t = s.target()?;
    let Some(p) = t.live() else {
        return Err(DcmdError::Failed("::gcore needs a live process: attach with `jmdb -p PID`".into()));
    };
    let path = o.operands.first().cloned().unwrap_or_else(|| format!("core.{}", p.pid()));
    let st = crate::gcore::write_core(t, std::path::Path::new(&path)).map_err(|e| DcmdError::Failed(e.to_string()))?;
    if st.unreadable_pages > 0 {
        s.warn(&format!("{} page(s) could not be read and were written as zeros", st.unreadable_pages));
    }
    writeln!(
        out,
        "wrote {path}: {} threads, {} mappings ({} with contents), {}",
        st.threads,
        st.segments,
        st.dumped_segments,
        size_str(st.bytes)
    )?;
    Ok(())
}

const STATUS_HELP: &str = "\
SYNOPSIS
  ::status
  $?

DESCRIPTION
  Summarises the target: the core file and how it was written (by the
  kernel or by gdb's gcore), or the live process jmdb is attached to, the executable and whether it is the build the
  process ran (build-id or ELF headers compared with the copy in the core),
  the pid, the command line (the kernel keeps its first 80 bytes), the
  signal that ended the process and the thread that received it, and the
  number of threads.

EXAMPLES
  > ::status
  core file:    /var/cores/core.1818 (kernel core, 50.2 MB)
  executable:   /usr/bin/node (matches: build-id ebeaf2df...)
  pid:          1818 (ppid 1700, uid 0)
  command line: node --abort-on-uncaught-exception server.js
  signal:       SIGABRT (Aborted), SI_TKILL: sent by tkill() or raise()
  received by:  thread 1 (tid 1818)
  threads:      7
";

const MAPPINGS_HELP: &str = "\
SYNOPSIS
  ::mappings [-b core|file|core+file|missing|partial|noaccess|live] [-f text]
  addr::mappings
  $m

DESCRIPTION
  Lists every memory mapping of the process from the core's program
  headers: base, limit, size, permissions, where its bytes come from, and
  the mapped file with its offset. BACKING is:
    core       all bytes are in the core
    file       not dumped; read from the mapped file on disk
    core+file  partly dumped, the rest read from the file
    partial    partly in the core (truncated core), the rest unreadable
    missing    not in the core and no file supplies it
    noaccess   mapped without permissions (guard pages, reservations)
    live       read from the attached live process (jmdb -p PID)
  With an address, only the mapping containing it is shown. -b keeps
  mappings of one backing; -f keeps those whose path contains text.
  Piped, it prints each mapping's base address.

OPTIONS
  -b KIND   only mappings whose backing is KIND
  -f TEXT   only mappings whose file path contains TEXT

EXAMPLES
  > $m
  > ::mappings -f libc
  > ::mappings -b missing
  > <rsp::mappings
";

fn size_str(n: u64) -> String {
    const U: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut f = n as f64;
    let mut i = 0;
    while f >= 1024.0 && i < U.len() - 1 {
        f /= 1024.0;
        i += 1;
    }
    if i == 0 { format!("{n} B") } else { format!("{f:.1} {}", U[i]) }
}

fn identity_str(id: &Identity) -> String {
    match id {
        Identity::Matches(how) => format!("matches: {how}"),
        Identity::Differs(how) => format!("DIFFERS from the file the process ran: {how}"),
        Identity::Unverified(why) => format!("not verified: {why}"),
        Identity::Missing => "NOT FOUND".into(),
    }
}

/// The `::status` report, as lines of `label: value`.
pub fn status_lines(t: &Target) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    match t.kind() {
        CoreKind::Live => v.push((
            "process",
            format!("live, attached with ptrace ({}; stopped while jmdb is attached)", t.core_path.display()),
        )),
        k => {
            let kind = if k == CoreKind::Kernel { "kernel core" } else { "gdb gcore core" };
            v.push(("core file", format!("{} ({kind}, {})", t.core_path.display(), size_str(t.core.file_len))));
        }
    }
    match t.executable() {
        Some(m) => {
            let file = m.file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| m.name.clone());
            let shown = if file != m.name { format!("{file} (mapped as {})", m.name) } else { file };
            v.push(("executable", format!("{shown} ({})", identity_str(&m.identity))));
        }
        None => v.push((
            "executable",
            t.exe_name.clone().map(|n| format!("{n} (NOT FOUND)")).unwrap_or_else(|| "unknown".into()),
        )),
    }
    if let Some(ps) = t.psinfo() {
        v.push(("pid", format!("{} (ppid {}, uid {}, gid {})", ps.pid, ps.ppid, ps.uid, ps.gid)));
        // The full argv from the stack; prpsinfo's 80 bytes otherwise.
        let cmd = match t.initial_args() {
            Some((argv, _)) if !argv.is_empty() => argv.join(" "),
            _ => ps.psargs.clone(),
        };
        v.push(("command line", cmd));
    } else if let Some(pid) = t.pid() {
        v.push(("pid", pid.to_string()));
    }
    let sig = t.siginfo().map(|s| s.signo).or_else(|| t.threads.first().map(|th| th.cursig)).unwrap_or(0);
    if sig != 0 {
        let (name, desc) = corefile::signal_name(sig);
        let mut s = format!("{name} ({desc})");
        if let Some(si) = t.siginfo() {
            s.push_str(&format!(", {}", corefile::signal_code(si.signo, si.code)));
            if corefile::signal_has_addr(si.signo) && si.code > 0 {
                s.push_str(&format!(", fault address {:#x}", si.addr));
            } else if si.code <= 0 {
                s.push_str(&format!(" by pid {}", si.sender_pid));
            }
        }
        v.push(("signal", s));
        if let Some(th) = t.threads.get(t.signalled_thread()) {
            v.push(("received by", format!("thread {} (tid {})", th.index, th.tid)));
        }
    } else if t.is_live() {
        v.push(("signal", "none (live process)".into()));
    } else {
        v.push(("signal", "none recorded".into()));
    }
    v.push(("threads", t.threads.len().to_string()));
    let missing = t.modules.iter().filter(|m| m.identity == Identity::Missing).count();
    let differ = t.modules.iter().filter(|m| matches!(m.identity, Identity::Differs(_))).count();
    v.push((
        "objects",
        format!(
            "{} mapped ELF objects{}{}",
            t.modules.len(),
            if missing > 0 { format!(", {missing} not found") } else { String::new() },
            if differ > 0 { format!(", {differ} differ") } else { String::new() }
        ),
    ));
    v
}

fn status(s: &mut Session, _inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let t = s.target()?;
    for (k, v) in status_lines(t) {
        writeln!(out, "{:<13} {v}", format!("{k}:"))?;
    }
    Ok(())
}

fn mappings(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "bf")?;
    o.no_operands()?;
    let backing = match o.value('b') {
        None => None,
        Some("core") => Some(Backing::Core),
        Some("file") => Some(Backing::File),
        Some("core+file") => Some(Backing::CoreAndFile),
        Some("missing") => Some(Backing::Missing),
        Some("partial") => Some(Backing::Partial),
        Some("noaccess") => Some(Backing::NoAccess),
        Some("live") => Some(Backing::Live),
        Some(b) => return Err(DcmdError::Usage(format!("unknown backing {b}: use core, file, core+file, missing, partial, noaccess or live"))),
    };
    let t = s.target()?;
    let maps = t.mappings();
    let sel: Vec<_> = maps
        .iter()
        .filter(|m| !inv.addr_given || (inv.dot >= m.start && inv.dot < m.end))
        .filter(|m| backing.is_none_or(|b| m.backing == b))
        .filter(|m| o.value('f').is_none_or(|f| m.path.as_deref().is_some_and(|p| p.contains(f))))
        .collect();
    if inv.addr_given && sel.is_empty() {
        return Err(DcmdError::Failed(format!("{:#x} is not in any mapping", inv.dot)));
    }
    if inv.piped_out {
        for m in sel {
            writeln!(out, "{:x}", m.start)?;
        }
        return Ok(());
    }
    if inv.print_header() {
        writeln!(out, "{:>16} {:>16} {:>12} PERM BACKING   NAME", "BASE", "LIMIT", "SIZE")?;
    }
    for m in sel {
        let name = match &m.path {
            Some(p) if m.file_offset != 0 => format!("{p} @ {:#x}", m.file_offset),
            Some(p) => p.clone(),
            None => anon_name(t, m.start, m.end),
        };
        writeln!(
            out,
            "{:>16x} {:>16x} {:>12x} {:<4} {:<9} {name}",
            m.start,
            m.end,
            m.end - m.start,
            m.perms,
            m.backing.describe()
        )?;
    }
    Ok(())
}

/// Name anonymous mappings the way /proc/PID/maps would where we can tell.
fn anon_name(t: &Target, start: u64, end: u64) -> String {
    if let Some(th) = t.threads.iter().find(|th| th.regs.rsp() >= start && th.regs.rsp() < end) {
        return format!("[stack of thread {} (tid {})]", th.index, th.tid);
    }
    if t.modules.iter().any(|m| m.name == "[vdso]" && m.base == start) {
        return "[vdso]".into();
    }
    String::new()
}
