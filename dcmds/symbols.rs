//! Symbols and addresses: `::nm` lists symbols, `::whatis` says what an
//! address (or a symbol name) is.

use std::io::Write;

use object::{Object, ObjectSection, ObjectSegment, SegmentFlags};

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::Session;
use crate::symbols::{SymKind, Symbol, demangle};
use crate::memory::Memory;
use crate::target::{Backing, Mapping, Module, Target};

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "nm",
        synopsis: "?[-v] [-t func|data|any] [-m module] [pattern]",
        summary: "list symbols, or the symbol containing an address",
        help: NM_HELP,
        options: &["-v", "-t", "-m"],
        handler: nm,
    });
    r.add(Dcmd {
        name: "whatis",
        synopsis: "?[name]",
        summary: "say what an address is (symbol, mapping, thread stack) or where a symbol is",
        help: WHATIS_HELP,
        options: &[],
        handler: whatis,
    });
}

const NM_HELP: &str = "\
SYNOPSIS
  ::nm [-v] [-t func|data|any] [-m module] [pattern]
  addr::nm [-v]

DESCRIPTION
  Lists the symbols of every object the process had mapped (the
  executable, its libraries, the vdso), from their .symtab and .dynsym and
  from separate debug files found by build-id under /usr/lib/debug. Each
  row gives the runtime address, the size, the type (func, data or other),
  the module and the demangled C++ name with its parameters. PLT stubs,
  which have no symbols of their own, are listed as name@plt, as gdb and
  objdump call them.

  PATTERN is a glob (* matches any run of characters, ? any one character)
  matched against the whole name: the demangled name with or without its
  parameters, or the raw (mangled) name. With neither a pattern nor -m,
  every symbol is listed (over 100,000 for node).

  With an address, prints the symbol that contains it, if any.

  Piped into another dcmd, only the addresses are printed.

OPTIONS
  -m MODULE  only symbols of MODULE: its file name (libc.so.6), the name
             before its first dot (libc), or its full path
  -t TYPE    only symbols of TYPE: func, data or any (the default)
  -v         also print the raw (mangled) name, before the demangled one

EXAMPLES
  > ::nm node::Abort
              ADDR     SIZE TYPE  MODULE           NAME
           1052400       2d func  node             node::Abort(v8::FunctionCallbackInfo<v8::Value> const&)
  > ::nm -t func 'v8::internal::Builtin_*'
  > ::nm -m libc -t func *abort*
  > ::nm -t data v8dbg_* | ::eval ./K
  > 1052410::nm                    the symbol containing 1052410
";

const WHATIS_HELP: &str = "\
SYNOPSIS
  addr::whatis
  ::whatis NAME

DESCRIPTION
  With an address, says what it is:
    - the symbol containing it, as symbol+offset, with the module, the
      section and the address in the module's file (what nm and objdump
      show for a PIE or a library);
    - the thread whose stack it is in, and how far above that thread's
      stack pointer it lies (below it is unused stack);
    - the mapping it is in: range, permissions, file and offset, and where
      its bytes come from (core, file, core+file, partial, missing,
      noaccess; see ::mappings);
    - or that no mapping contains it, and the nearest mapping below.

  With a symbol name (raw or demangled, without parameters; lib`name
  restricts it to one module), prints where the symbol is: its address,
  size, type and module, and its full demangled name. A name defined in
  several modules prints one line for each.

  Piped into another dcmd, prints the address only (the symbol's start,
  for an address inside a symbol).

OPTIONS
  none

EXAMPLES
  > <rip::whatis
  7f89cf2a8eec is __pthread_kill_implementation+0x10c in libc.so.6 (section .text, file address 0x8aeec)
  7f89cf2a8eec is in mapping 7f89cf244000-7f89cf39a000 r-x /usr/lib/x86_64-linux-gnu/libc.so.6 @ 0x26000 (bytes from: file)
  > <rsp::whatis
  7ffe2f37ac60 is in the stack of thread 1 (tid 25857), at its sp
  7ffe2f37ac60 is in mapping 7ffe2f35c000-7ffe2f37d000 rw- (bytes from: core)
  > ::whatis node::Abort
  node::Abort is at 1052400: func, size 0x2d, in node (section .text, file address 0x1052400)
    node::Abort(v8::FunctionCallbackInfo<v8::Value> const&)
  > ::whatis libc`malloc
  libc`malloc is at 7f89cf2b6930: func, size 0x317, in libc.so.6 (section .text, file address 0x98930)
";

/// `*` and `?` glob, whole-string, without recursion (names can be long).
pub fn glob(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn kind_str(k: SymKind) -> &'static str {
    match k {
        SymKind::Func => "func",
        SymKind::Data => "data",
        SymKind::Other => "other",
    }
}

/// Does `-m NAME` select this module.
fn module_matches(m: &Module, want: &str) -> bool {
    let short = m.short_name();
    short == want || m.name == want || short.strip_prefix(want).is_some_and(|rest| rest.starts_with('.'))
}

/// One row of `::nm`.
struct Row<'a> {
    addr: u64,
    sym: &'a Symbol,
    module: &'a str,
    name: String,
}

fn nm(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "tm")?;
    let kind = match o.value('t') {
        None | Some("any") => None,
        Some("func") => Some(SymKind::Func),
        Some("data") => Some(SymKind::Data),
        Some(k) => return Err(DcmdError::Usage(format!("unknown type {k}: use func, data or any"))),
    };
    if o.operands.len() > 1 {
        return Err(DcmdError::Usage(format!("unexpected argument {}", o.operands[1])));
    }
    let pattern = o.operands.first().map(String::as_str);
    let t = s.target()?;
    let verbose = o.has('v');

    if inv.addr_given {
        if pattern.is_some() || o.value('m').is_some() || kind.is_some() {
            return Err(DcmdError::Usage("addr::nm takes no pattern, -m or -t".into()));
        }
        let (m, sym) = symbol_at(t, inv.dot)
            .ok_or_else(|| DcmdError::Failed(format!("no symbol contains {:#x}", inv.dot)))?;
        let row = Row { addr: sym.addr.wrapping_add(m.bias), sym, module: m.short_name(), name: sym.full_name() };
        if inv.piped_out {
            writeln!(out, "{:x}", row.addr)?;
            return Ok(());
        }
        if inv.print_header() {
            header(verbose, out)?;
        }
        return write_row(&row, verbose, out);
    }

    if let Some(want) = o.value('m')
        && !t.modules.iter().any(|m| module_matches(m, want))
    {
        let names: Vec<&str> = t.modules.iter().map(|m| m.short_name()).collect();
        return Err(DcmdError::Failed(format!("no module {want}; the modules are: {}", names.join(", "))));
    }
    let has_wild = pattern.is_some_and(|p| p.contains(['*', '?']));
    let mut printed_header = false;
    let mut n = 0usize;
    for m in &t.modules {
        if o.value('m').is_some_and(|want| !module_matches(m, want)) {
            continue;
        }
        for sym in m.symbols().iter() {
            n += 1;
            if n.is_multiple_of(4096) {
                s.check_interrupt()?;
            }
            if kind.is_some_and(|k| sym.kind != k) {
                continue;
            }
            let full = sym.full_name();
            if let Some(p) = pattern {
                let hit = if has_wild {
                    glob(p, &sym.name)
                        || glob(p, &full)
                        || demangle(&sym.name, false).is_some_and(|short| glob(p, &short))
                } else {
                    sym.name == p || full == p || demangle(&sym.name, false).is_some_and(|short| short == p)
                };
                if !hit {
                    continue;
                }
            }
            let row = Row { addr: sym.addr.wrapping_add(m.bias), sym, module: m.short_name(), name: full };
            if inv.piped_out {
                writeln!(out, "{:x}", row.addr)?;
                continue;
            }
            if !printed_header && inv.print_header() {
                header(verbose, out)?;
            }
            printed_header = true;
            write_row(&row, verbose, out)?;
        }
    }
    Ok(())
}

fn header(verbose: bool, out: &mut dyn Write) -> DcmdResult {
    if verbose {
        writeln!(out, "{:>16} {:>8} {:<5} {:<16} RAW NAME", "ADDR", "SIZE", "TYPE", "MODULE")?;
    } else {
        writeln!(out, "{:>16} {:>8} {:<5} {:<16} NAME", "ADDR", "SIZE", "TYPE", "MODULE")?;
    }
    Ok(())
}

fn write_row(r: &Row<'_>, verbose: bool, out: &mut dyn Write) -> DcmdResult {
    let kind = kind_str(r.sym.kind);
    if verbose {
        writeln!(out, "{:>16x} {:>8x} {kind:<5} {:<16} {} {}", r.addr, r.sym.size, r.module, r.sym.name, r.name)?;
    } else {
        writeln!(out, "{:>16x} {:>8x} {kind:<5} {:<16} {}", r.addr, r.sym.size, r.module, r.name)?;
    }
    Ok(())
}

/// The module and symbol containing a runtime address.
fn symbol_at(t: &Target, addr: u64) -> Option<(&Module, &Symbol)> {
    let m = t.module_for_addr(addr)?;
    let s = m.symbols().lookup_addr(addr.wrapping_sub(m.bias))?;
    Some((m, s))
}

/// The name of the section holding a file address of a module.
fn section_name(m: &Module, file_addr: u64) -> Option<String> {
    let f = object::File::parse(m.data()?).ok()?;
    let s = f.sections().find(|s| s.address() != 0 && file_addr >= s.address() && file_addr - s.address() < s.size())?;
    s.name().ok().map(str::to_string)
}

/// Parse an address operand: `0x..`, `0t..` (decimal) or bare hex digits.
fn parse_addr(w: &str) -> Option<u64> {
    if let Some(d) = w.strip_prefix("0t") {
        return d.parse().ok();
    }
    u64::from_str_radix(w.strip_prefix("0x").unwrap_or(w), 16).ok()
}

fn whatis(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    let t = s.target()?;
    match (inv.addr_given, o.operands.as_slice()) {
        (true, []) => whatis_addr(t, inv.dot, inv.piped_out, out),
        (false, [w]) => {
            // A name first: many short names are also valid hex (`add`).
            match whatis_name(t, w, inv.piped_out, out)? {
                true => Ok(()),
                false => match parse_addr(w) {
                    Some(a) => whatis_addr(t, a, inv.piped_out, out),
                    None => Err(DcmdError::Failed(format!("no symbol named {w}; try ::nm '*{w}*'"))),
                },
            }
        }
        (false, []) => Err(DcmdError::Usage("give an address (addr::whatis) or a symbol name (::whatis NAME)".into())),
        (_, _) => Err(DcmdError::Usage("give either an address or one symbol name".into())),
    }
}

/// Print where symbol `name` is. False when no module defines it.
fn whatis_name(t: &Target, name: &str, piped: bool, out: &mut dyn Write) -> Result<bool, DcmdError> {
    let (modname, sym) = match name.split_once('`') {
        Some((m, s)) => (Some(m), s),
        None => (None, name),
    };
    let mut mods: Vec<&Module> = t.modules.iter().filter(|m| modname.is_none_or(|w| module_matches(m, w))).collect();
    mods.sort_by_key(|m| !m.is_executable);
    let mut found = false;
    for m in mods {
        let Some(s) = m.symbols().lookup_name(sym) else { continue };
        found = true;
        let addr = s.addr.wrapping_add(m.bias);
        if piped {
            writeln!(out, "{addr:x}")?;
            continue;
        }
        let mut line =
            format!("{name} is at {addr:x}: {}, size {:#x}, in {}", kind_str(s.kind), s.size, m.short_name());
        let sect = section_name(m, s.addr);
        match sect {
            Some(sn) => line.push_str(&format!(" (section {sn}, file address {:#x})", s.addr)),
            None => line.push_str(&format!(" (file address {:#x})", s.addr)),
        }
        writeln!(out, "{line}")?;
        let full = s.full_name();
        if full != sym {
            writeln!(out, "  {full}")?;
        }
    }
    Ok(found)
}

fn whatis_addr(t: &Target, addr: u64, piped: bool, out: &mut dyn Write) -> DcmdResult {
    let sym = symbol_at(t, addr);
    if piped {
        let a = sym.map(|(m, s)| s.addr.wrapping_add(m.bias)).unwrap_or(addr);
        writeln!(out, "{a:x}")?;
        return Ok(());
    }
    let module = t.module_for_addr(addr);
    if let Some(m) = module {
        let file_addr = addr.wrapping_sub(m.bias);
        let sect = section_name(m, file_addr).map(|s| format!("section {s}, ")).unwrap_or_default();
        match sym {
            Some((_, s)) => {
                let off = file_addr.wrapping_sub(s.addr);
                let name = s.short_name();
                let what = if off == 0 { name } else { format!("{name}+{off:#x}") };
                writeln!(out, "{addr:x} is {what} in {} ({sect}file address {file_addr:#x})", m.short_name())?;
            }
            None => {
                let why = if m.data().is_none() { "no symbols: its file was not found" } else { "in no symbol" };
                writeln!(out, "{addr:x} is in {} ({sect}file address {file_addr:#x}), {why}", m.short_name())?
            }
        }
    }
    let Some(map) = mapping_for(t, addr) else {
        let maps = t.mappings();
        let below = maps.iter().rev().find(|m| m.end <= addr);
        match below {
            Some(b) => writeln!(
                out,
                "{addr:x} is not in any mapping; the nearest below is {} ({:#x} bytes before it)",
                describe_mapping(b),
                addr - b.end
            )?,
            None => writeln!(out, "{addr:x} is not in any mapping")?,
        }
        return Ok(());
    };
    // A thread's stack is the mapping its stack pointer is in.
    let stack_of = t.threads.iter().find(|th| {
        let sp = th.regs.rsp();
        sp >= map.start && sp < map.end
    });
    if let Some(th) = stack_of {
        let sp = th.regs.rsp();
        let rel = if addr == sp {
            "at its sp".to_string()
        } else if addr > sp {
            format!("{:#x} bytes above its sp ({sp:x})", addr - sp)
        } else {
            format!("{:#x} bytes below its sp ({sp:x}), in unused stack", sp - addr)
        };
        writeln!(out, "{addr:x} is in the stack of thread {} (tid {}), {rel}", th.index, th.tid)?;
    }
    writeln!(out, "{addr:x} is in mapping {}", describe_mapping(&map))?;
    Ok(())
}

/// The mapping containing `addr`. The core's segments list most; a gcore
/// core leaves file-backed text out of them, and then only its file note
/// (NT_FILE) knows the mapping, without permissions: those are taken from
/// the file's own program headers.
pub fn mapping_for(t: &Target, addr: u64) -> Option<Mapping> {
    if let Some(m) = t.mappings().into_iter().find(|m| addr >= m.start && addr < m.end) {
        return Some(m);
    }
    let f = t.core.files.iter().find(|f| addr >= f.start && addr < f.end)?;
    let perms = t
        .modules
        .iter()
        .find(|m| m.name == f.path)
        .and_then(|m| perms_from_file(m, f.file_offset.wrapping_add(addr - f.start)))
        .unwrap_or_else(|| "???".into());
    let backing = if t.read_u8(addr).is_ok() { Backing::File } else { Backing::Missing };
    Some(Mapping { start: f.start, end: f.end, perms, path: Some(f.path.clone()), file_offset: f.file_offset, backing })
}

/// `r-x` for the PT_LOAD of a module's file that covers a file offset.
fn perms_from_file(m: &Module, offset: u64) -> Option<String> {
    let f = object::File::parse(m.data()?).ok()?;
    let seg = f.segments().find(|s| {
        let (o, n) = s.file_range();
        offset >= o && offset - o < n
    })?;
    let SegmentFlags::Elf { p_flags, .. } = seg.flags() else { return None };
    let bit = |b: u32, c: char| if p_flags.0 & b != 0 { c } else { '-' };
    Some([bit(4, 'r'), bit(2, 'w'), bit(1, 'x')].iter().collect())
}

fn describe_mapping(m: &Mapping) -> String {
    let name = match &m.path {
        Some(p) => format!(" {p} @ {:#x}", m.file_offset),
        None => String::new(),
    };
    format!("{:x}-{:x} {}{name} (bytes from: {})", m.start, m.end, m.perms, m.backing.describe())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globbing() {
        assert!(glob("node::Abort", "node::Abort"));
        assert!(glob("*Abort*", "node::Abort(v8::X const&)"));
        assert!(glob("v8dbg_*", "v8dbg_type_Map"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "abbc"));
        assert!(glob("*", ""));
        assert!(!glob("abc", "abcd"));
        assert!(glob("*a*b*c", "xxaxxbxxbc"));
        assert!(!glob("", "x"));
    }
}
