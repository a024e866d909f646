//! `::dis`, `::nm` and `::whatis` against independent oracles on real
//! cores: gdb's `x/Ni` and `info symbol`, readelf's symbol tables, and the
//! cores' own facts (pids, thread stacks).
//!
//! The dcmds are run through their handlers on a `Session`, as the CLI runs
//! them, so that these tests do not depend on the command language.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::CoreCase;
use jmdb::disasm;
use jmdb::lang::dcmd::{DcmdError, Invocation};
use jmdb::memory::Memory;
use jmdb::session::Session;
use jmdb::target::{OpenOptions, Target};

/// A shared buffer for the session's warnings.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Dbg {
    s: Session,
    err: Sink,
}

impl Dbg {
    fn open(c: &CoreCase) -> Dbg {
        Self::open_with(c, Some(c.node_binary.clone()))
    }

    fn open_with(c: &CoreCase, exe: Option<std::path::PathBuf>) -> Dbg {
        let opts = OpenOptions { core: c.core_path(), executable: exe, sysroot: None };
        let t = Target::open(&opts).unwrap_or_else(|e| panic!("{}: {e}", c.name()));
        let err = Sink::default();
        let s = Session::new(Some(t), jmdb::dcmds::registry(), Box::new(err.clone()));
        Dbg { s, err }
    }

    fn t(&self) -> &Target {
        self.s.target.as_ref().unwrap()
    }

    /// Run `[addr]::cmd args`; returns the result, stdout and warnings.
    fn run(&mut self, addr: Option<u64>, cmd: &str, args: &[&str]) -> (Result<(), DcmdError>, String, String) {
        self.run_inv(addr, cmd, args, false)
    }

    fn run_inv(
        &mut self,
        addr: Option<u64>,
        cmd: &str,
        args: &[&str],
        piped: bool,
    ) -> (Result<(), DcmdError>, String, String) {
        let inv = Invocation {
            dot: addr.unwrap_or(0),
            addr_given: addr.is_some(),
            piped_out: piped,
            args: args.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let handler = self.s.registry.find(cmd).unwrap_or_else(|| panic!("no dcmd {cmd}")).handler;
        self.err.0.lock().unwrap().clear();
        let mut out = Vec::new();
        let r = handler(&mut self.s, &inv, &mut out);
        let err = String::from_utf8_lossy(&self.err.0.lock().unwrap()).into_owned();
        (r, String::from_utf8_lossy(&out).into_owned(), err)
    }

    fn ok(&mut self, addr: Option<u64>, cmd: &str, args: &[&str]) -> String {
        let (r, out, err) = self.run(addr, cmd, args);
        assert!(r.is_ok(), "{cmd} {args:?} at {addr:x?}: {r:?}\n{err}");
        out
    }

    fn sym(&self, name: &str) -> u64 {
        self.t().lookup_symbol(name).unwrap_or_else(|| panic!("no symbol {name}"))
    }

    fn pc(&self) -> u64 {
        let t = self.t();
        t.threads[t.signalled_thread()].regs.rip()
    }
}

/// Run `f` on every core at once (gdb and readelf dominate the time);
/// a failure in any fails the test, naming the core.
fn each_core(cores: Vec<CoreCase>, f: impl Fn(&CoreCase) + Sync) {
    std::thread::scope(|scope| {
        let handles: Vec<_> = cores.iter().map(|c| (c.name(), scope.spawn(|| f(c)))).collect();
        let failed: Vec<String> = handles.into_iter().filter_map(|(n, h)| h.join().err().map(|_| n)).collect();
        assert!(failed.is_empty(), "failed on {failed:?} (see the panics above)");
    });
}

/// Run gdb on a core; returns its stdout.
fn gdb(c: &CoreCase, cmds: &[String]) -> String {
    let mut cmd = Command::new("gdb");
    cmd.args(["-batch", "-nx"]);
    for c in cmds {
        cmd.arg("-ex").arg(c);
    }
    cmd.arg(&c.node_binary).arg(c.core_path());
    let out = cmd.output().expect("gdb is needed for this test: apt-get install gdb");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

/// `name+off` (decimal offset, gdb's way) → (name, off).
fn split_gdb_sym(s: &str) -> (String, u64) {
    if let Some((n, off)) = s.rsplit_once('+')
        && let Ok(o) = off.parse::<u64>()
    {
        return (n.to_string(), o);
    }
    (s.to_string(), 0)
}

/// One line of gdb's `x/Ni`.
#[derive(Debug)]
struct GdbInsn {
    addr: u64,
    /// Symbol and offset gdb labels the line with.
    label: Option<(String, u64)>,
    text: String,
}

impl GdbInsn {
    /// A `0xADDR <sym+off>` branch target.
    fn target(&self) -> Option<(u64, Option<(String, u64)>)> {
        let mut words = self.text.split_whitespace();
        let m = words.next()?;
        if !(m == "call" || m.starts_with('j')) {
            return None;
        }
        let op = words.next()?;
        let a = op.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok())?;
        let name = self.text.find(" <").map(|i| split_gdb_sym(self.text[i + 2..].trim_end().trim_end_matches('>')));
        Some((a, name))
    }
}

fn parse_gdb_x_i(out: &str) -> Vec<GdbInsn> {
    let mut v = Vec::new();
    for line in out.lines() {
        let l = line.trim_start_matches("=>").trim_start();
        if !l.starts_with("0x") {
            continue;
        }
        let Some((head, text)) = l.split_once(":\t") else { continue };
        let (a, label) = match head.split_once(" <") {
            Some((a, rest)) => (a, Some(split_gdb_sym(rest.trim_end_matches('>')))),
            None => (head, None),
        };
        let Some(addr) = hex(a) else { continue };
        v.push(GdbInsn { addr, label, text: text.trim().to_string() });
    }
    v
}

/// The mnemonic, without prefixes that iced and objdump place differently
/// (`data16 cs nopw` vs `nopw %cs:`).
fn mnemonic(text: &str) -> &str {
    text.split_whitespace()
        .find(|w| !matches!(*w, "data16" | "cs" | "ds" | "es" | "ss" | "notrack" | "addr32"))
        .unwrap_or("")
}

/// The start of the symbol gdb named `name+off` at `addr`, checked
/// against jmdb's symbol for the same address. Aliases (`__libc_malloc`,
/// `malloc`) may be chosen differently; the symbol's start must agree.
fn check_label(d: &Dbg, what: &str, addr: u64, gdb_label: &(String, u64)) {
    let ours = d.t().symbolize(addr).unwrap_or_else(|| panic!("{what}: gdb names {addr:#x} {gdb_label:?}, jmdb nothing"));
    assert_eq!(
        ours.addr,
        addr - gdb_label.1,
        "{what}: {addr:#x} is {gdb_label:?} to gdb, {} to jmdb",
        ours.with_offset()
    );
}

/// Addresses worth disassembling in every node: where the process stopped
/// (libc), a C function of node, a C++ one, a V8 embedded builtin, malloc.
fn dis_points(d: &Dbg) -> Vec<(String, u64)> {
    let mut v = vec![("pc".to_string(), d.pc())];
    for name in ["uv_run", "node::Abort", "Builtins_InterpreterEntryTrampoline", "malloc"] {
        v.push((name.to_string(), d.sym(name)));
    }
    v
}

#[test]
fn dis_matches_gdb() {
    const N: usize = 150;
    each_core(common::cores_for("abort"), |c| {
        let d = Dbg::open(c);
        let points = dis_points(&d);
        let cmds: Vec<String> =
            points.iter().flat_map(|(_, a)| [format!("echo === {a:#x}\\n"), format!("x/{N}i {a:#x}")]).collect();
        let out = gdb(c, &cmds);
        let t = d.t();
        let sym = |a: u64| t.symbolize(a).map(|s| s.with_offset());
        for (i, (name, addr)) in points.iter().enumerate() {
            let section = out.split(&format!("=== {addr:#x}\n")).nth(1).unwrap_or("");
            let section = section.split("=== 0x").next().unwrap_or("");
            let theirs = parse_gdb_x_i(section);
            let what = format!("{}: {name} ({addr:#x})", c.name());
            assert_eq!(theirs.len(), N, "{what}: gdb printed\n{section}");
            let ours = disasm::decode_range(t, *addr, N, &sym);
            assert_eq!(ours.insns.len(), N, "{what}: {:?}", ours.stopped);
            for (o, g) in ours.insns.iter().zip(&theirs) {
                let w = format!("{what}: at {:#x}: gdb `{}`, jmdb `{}`", g.addr, g.text, o.text);
                assert_eq!(o.addr, g.addr, "{w}");
                assert_eq!(mnemonic(&o.text), mnemonic(&g.text), "{w}");
                if let Some(l) = &g.label {
                    check_label(&d, &w, g.addr, l);
                }
                if let Some((target, name)) = g.target() {
                    assert_eq!(o.target, Some(target), "{w}");
                    if let Some(n) = name {
                        check_label(&d, &w, target, &n);
                        let ours = t.symbolize(target).map(|s| s.with_offset()).unwrap_or_default();
                        assert!(o.text.ends_with(&ours), "{w}: target should read {ours}");
                        if n.0.ends_with("@plt") {
                            let gdb_name = jmdb::symbols::demangle(&n.0, false).unwrap_or(n.0.clone());
                            assert_eq!(ours, gdb_name, "{w}");
                        }
                    }
                }
                // RIP-relative operands: gdb's `# 0xADDR <sym>` comment.
                if let Some((_, comment)) = g.text.split_once("# 0x") {
                    let a = hex(comment.split_whitespace().next().unwrap_or("")).unwrap();
                    match t.symbolize(a) {
                        Some(s) => assert!(o.text.contains(&format!("{}(%rip)", s.with_offset())), "{w}"),
                        None => assert!(o.text.contains(&format!("# {a:#x}")), "{w}"),
                    }
                }
            }
            // At least the first point is not mostly padding.
            if i == 0 {
                assert!(ours.insns.iter().filter(|i| i.text.starts_with("mov")).count() > 5, "{what}");
            }
        }
    });
}

#[test]
fn dis_windows_functions_and_bytes() {
    let c = common::core("22", "abort");
    let mut d = Dbg::open(&c);
    let pc = d.pc();

    // Default at a pc inside a function: 5 before, the marked one, 9 after.
    let out = d.ok(Some(pc), "dis", &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 15, "{out}");
    assert!(lines[5].starts_with("> "), "{out}");
    assert_eq!(hex(lines[5][2..].split_whitespace().next().unwrap()), Some(pc), "{out}");
    assert_eq!(lines.iter().filter(|l| l.starts_with('>')).count(), 1);
    // The window's start was aligned from the function start: it is one of
    // gdb's instruction boundaries when disassembling the whole function.
    let f = d.t().symbolize(pc).unwrap();
    let g = parse_gdb_x_i(&gdb(&c, &[format!("x/{}i {:#x}", f.offset + 1, f.addr)]));
    let first = hex(lines[0].split_whitespace().next().unwrap()).unwrap();
    assert!(g.iter().any(|i| i.addr == first), "{first:#x} is not an instruction boundary for gdb");
    assert!(lines[0].contains(&format!("{}+0x", f.name)), "{out}");

    // Without an address: the selected thread's pc.
    assert_eq!(d.ok(None, "dis", &[]), out);

    // The start of a function: the whole function, to its symbol's end.
    let abort = d.sym("node::Abort");
    let out = d.ok(Some(abort), "dis", &[]);
    let readelf = readelf_syms(&c.node_binary);
    let raw = d.t().symbolize(abort).unwrap().raw;
    let size = readelf.get(&raw).map(|s| s.1).unwrap_or_else(|| panic!("readelf has no {raw}"));
    let addrs: Vec<u64> = out.lines().map(|l| hex(l.split_whitespace().next().unwrap()).unwrap()).collect();
    assert_eq!(addrs[0], abort);
    let last = disasm::decode_one(d.t(), *addrs.last().unwrap(), &|_| None).unwrap();
    assert_eq!(last.end(), abort + size, "{out}");
    assert!(!out.contains("> "), "no marker when listing a function from its start");
    // -w: a window even at a function's start (nothing before it).
    let out = d.ok(Some(abort), "dis", &["-w"]);
    assert!(out.lines().next().unwrap().starts_with("> "), "{out}");
    assert_eq!(out.lines().count(), 10);

    // -f from inside: the whole function, marked where addr is.
    let out = d.ok(Some(pc), "dis", &["-f"]);
    assert!(out.lines().next().unwrap().contains(&format!("{}:", f.name)), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("> ")).count(), 1);

    // -n COUNT (hex, mdb's default radix; 0t for decimal) from addr.
    assert_eq!(d.ok(Some(pc), "dis", &["-n", "10"]).lines().count(), 16);
    assert_eq!(d.ok(Some(pc), "dis", &["-n", "0t10"]).lines().count(), 10);

    // -b: the bytes are those in memory.
    let out = d.ok(Some(pc), "dis", &["-b", "-n", "4"]);
    let mut a = pc;
    for l in out.lines() {
        let insn = disasm::decode_one(d.t(), a, &|_| None).unwrap();
        let mut mem = vec![0u8; insn.len];
        d.t().read(a, &mut mem).unwrap();
        let want: Vec<String> = mem.iter().map(|b| format!("{b:02x}")).collect();
        assert!(l.contains(&format!("  {}  ", want.join(" "))), "{l} should show {want:?}");
        a = insn.end();
    }

    // Piped: the instruction addresses only.
    let (r, out, _) = d.run_inv(Some(abort), "dis", &["-n", "3"], true);
    assert!(r.is_ok());
    let want: Vec<String> = addrs[..3].iter().map(|a| format!("{a:x}")).collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);

    // Manual.
    let help = d.s.registry.find("dis").unwrap().help;
    for s in ["SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES"] {
        assert!(help.contains(s));
    }
}

#[test]
fn dis_stops_where_memory_ends() {
    let c = common::core("22", "abort");
    let mut d = Dbg::open(&c);
    // Unmapped.
    let (r, _, _) = d.run(Some(0x10), "dis", &[]);
    match r {
        Err(DcmdError::Failed(m)) => assert!(m.contains("not mapped"), "{m}"),
        r => panic!("{r:?}"),
    }
    // The end of a readable mapping followed by a hole: decode what is there.
    let maps = d.t().mappings();
    let edge = maps
        .windows(2)
        .find(|w| w[0].end < w[1].start && w[0].backing.describe() == "core" && w[0].end - w[0].start >= 4096)
        .map(|w| w[0].end)
        .expect("a mapping followed by a hole");
    let r = disasm::decode_range(d.t(), edge - 4, 100, &|_| None);
    let stop = r.stopped.clone().expect("stops at the hole");
    assert_eq!(stop.addr(), edge, "{r:?}");
    assert!(r.insns.iter().all(|i| i.end() <= edge));
    let (res, _, err) = d.run(Some(edge - 4), "dis", &["-n", "0t100"]);
    if r.insns.is_empty() {
        assert!(res.is_err());
    } else {
        assert!(res.is_ok() && err.contains("stopped early"), "{res:?} {err}");
    }
    assert!(disasm::decode_one(d.t(), edge, &|_| None).is_err());

    // Text that only the executable file holds, with the file missing.
    let mut d = Dbg::open_with(&c, Some("/nonexistent/node".into()));
    let exe = d.t().exe_name.clone().unwrap();
    let text = d.t().mappings().into_iter().find(|m| m.path.as_deref() == Some(&exe) && m.perms.contains('x')).unwrap();
    let (r, _, _) = d.run(Some(text.start + 0x100), "dis", &["-n", "4"]);
    match r {
        Err(DcmdError::Failed(m)) => assert!(m.contains("not found") && m.contains(&exe), "{m}"),
        r => panic!("{r:?}"),
    }
}

/// raw name → (value, size, type) from `readelf -sW`, both tables.
fn readelf_syms(file: &std::path::Path) -> HashMap<String, (u64, u64, String)> {
    let out = Command::new("readelf").arg("-sW").arg(file).output().expect("readelf (binutils) is needed");
    let mut m = HashMap::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        // Num: Value Size Type Bind Vis Ndx Name
        if f.len() < 8 || !f[0].ends_with(':') || f[6] == "UND" {
            continue;
        }
        let Some(v) = hex(f[1]) else { continue };
        let size = if let Some(h) = f[2].strip_prefix("0x") { u64::from_str_radix(h, 16).ok() } else { f[2].parse().ok() };
        let name = f[7].split('@').next().unwrap_or("").to_string();
        if v != 0 && !name.is_empty() {
            // Of several versions (`pthread_kill@GLIBC_2.2.5`,
            // `pthread_kill@@GLIBC_2.34`), keep the default one.
            let e = (v, size.unwrap_or(0), f[3].to_string());
            if f[7].contains("@@") {
                m.insert(name, e);
            } else {
                m.entry(name).or_insert(e);
            }
        }
    }
    m
}

#[test]
fn nm_matches_readelf() {
    each_core(common::cores_for("abort"), |c| {
        let mut d = Dbg::open(c);
        let syms = readelf_syms(&c.node_binary);
        let mut names: Vec<(&String, &(u64, u64, String))> =
            syms.iter().filter(|(_, s)| (s.2 == "FUNC" || s.2 == "OBJECT") && s.1 > 0).collect();
        names.sort();
        assert!(names.len() > 10000, "{}: node has symbols", c.name());
        // The whole listing of node, once; then a spread of readelf's
        // symbols (every k-th by name) must each have their row.
        let out = d.ok(None, "nm", &["-v", "-m", "node"]);
        let mut rows: HashMap<&str, Vec<Vec<&str>>> = HashMap::new();
        for l in out.lines().skip(1) {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 6, "{l}");
            rows.entry(f[4]).or_default().push(f);
        }
        let step = names.len() / 200;
        for (name, (value, size, ty)) in names.iter().step_by(step) {
            let want = [format!("{value:x}"), format!("{size:x}"), (if ty == "FUNC" { "func" } else { "data" }).into()];
            let mine = rows.get(name.as_str()).unwrap_or_else(|| panic!("{}: ::nm has no {name}", c.name()));
            // node is not PIE: runtime address = file address.
            assert!(
                mine.iter().any(|f| f[0] == want[0] && f[1] == want[1] && f[2] == want[2] && f[3] == "node"),
                "{}: {name}: readelf {want:?}, jmdb {mine:?}",
                c.name()
            );
        }
        assert!(rows.len() > 10000);

        // A library: addresses carry its load bias, which gdb's `info
        // sharedlibrary` gives (From = runtime address of .text).
        let info = c.read("gdb-info.txt");
        let libs = info.split("=== info sharedlibrary").nth(1).expect("gdb-info has info sharedlibrary");
        let libc_line = libs.lines().find(|l| l.contains("/libc.so.6")).expect("gdb-info lists libc");
        let from = hex(libc_line.split_whitespace().next().unwrap()).unwrap();
        let libc_path = libc_line.split_whitespace().last().unwrap();
        let text_addr = section_addr(libc_path, ".text");
        let bias = from - text_addr;
        let libc = readelf_syms(std::path::Path::new(libc_path));
        let (v, size, _) = libc["pthread_kill"];
        let out = d.ok(None, "nm", &["-m", "libc", "-t", "func", "pthread_kill"]);
        let want = format!("{:x} {size:x} func libc.so.6 pthread_kill", v + bias);
        assert!(
            out.lines().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == want),
            "{}: want {want} in\n{out}",
            c.name()
        );

        // Globs, types and modules.
        let out = d.ok(None, "nm", &["-t", "func", "-m", "libc.so.6", "*pthread_kill*"]);
        assert!(out.lines().count() >= 3, "{out}");
        for l in out.lines().skip(1) {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!((f[2], f[3]), ("func", "libc.so.6"), "{l}");
            assert!(f[4..].join(" ").contains("pthread_kill"), "{l}");
        }
        let out = d.ok(None, "nm", &["-t", "data", "v8dbg_type_Map*"]);
        assert!(out.lines().skip(1).all(|l| l.contains(" data ") && l.contains("v8dbg_type_Map")), "{out}");
        assert!(out.lines().count() >= 2, "{out}");
        // Demangled names match, with or without parameters.
        let out = d.ok(None, "nm", &["node::Abort"]);
        assert!(out.lines().nth(1).is_some_and(|l| l.contains("node::Abort(")), "{out}");
        // PLT stubs are named after their GOT slot, as gdb and objdump name them.
        let out = d.ok(None, "nm", &["-m", "node", "abort@plt"]);
        assert_eq!(out.lines().count(), 2, "{out}");
        // Piped: addresses only.
        let (_, out, _) = d.run_inv(None, "nm", &["-m", "libc", "pthread_kill"], true);
        assert!(out.lines().any(|l| l == format!("{:x}", v + bias)), "{out}");
        assert!(out.lines().all(|l| hex(l).is_some()), "{out}");
        // addr::nm: the symbol containing the address.
        let out = d.ok(Some(v + bias + 3), "nm", &[]);
        assert!(out.lines().nth(1).is_some_and(|l| l.contains("pthread_kill")), "{out}");
    });
}

fn section_addr(file: &str, name: &str) -> u64 {
    let out = Command::new("readelf").args(["-SW", file]).output().expect("readelf");
    let text = String::from_utf8_lossy(&out.stdout);
    let l = text.lines().find(|l| l.split_whitespace().any(|w| w == name)).expect("section");
    let f: Vec<&str> = l.split(']').nth(1).unwrap().split_whitespace().collect();
    hex(f[2]).unwrap()
}

#[test]
fn whatis_matches_info_symbol() {
    each_core(common::cores_for("abort"), |c| {
        let mut d = Dbg::open(c);
        let points = [
            d.pc(),
            d.sym("uv_run") + 0x10,
            d.sym("node::Abort") + 5,
            d.sym("environ"),
            d.sym("v8dbg_type_Map__MAP_TYPE"),
        ];
        let cmds: Vec<String> = points.iter().map(|a| format!("info symbol {a:#x}")).collect();
        let out = gdb(c, &cmds);
        let answers: Vec<&str> = out.lines().filter(|l| l.contains(" in section ")).collect();
        assert_eq!(answers.len(), points.len(), "{}: gdb said\n{out}", c.name());
        for (a, g) in points.iter().zip(answers) {
            // `NAME + OFF in section SECT [of PATH]`
            let (sym, rest) = g.split_once(" in section ").unwrap();
            let sect = rest.split_whitespace().next().unwrap();
            let (name, off) = match sym.rsplit_once(" + ") {
                Some((n, o)) => (n, o.parse::<u64>().unwrap()),
                None => (sym, 0),
            };
            let ours = d.ok(Some(*a), "whatis", &[]);
            let first = ours.lines().next().unwrap();
            let w = format!("{}: {a:#x}: gdb `{g}`, jmdb `{first}`", c.name());
            let s = d.t().symbolize(*a).expect(&w);
            assert_eq!(s.offset, off, "{w}");
            let full = jmdb::symbols::demangle(&s.raw, true).unwrap_or(s.raw.clone());
            assert!(name == s.name || name == full || name == s.raw || d.t().lookup_symbol(name) == Some(s.addr), "{w}");
            assert!(first.contains(&format!("section {sect},")), "{w}");
            assert!(first.contains(&format!(" in {} ", s.module)), "{w}");
            let module_file = rest.split(" of ").nth(1).unwrap_or("node");
            assert!(module_file.ends_with(&s.module), "{w}");
            assert!(ours.lines().nth(1).is_some_and(|l| l.contains("is in mapping")), "{ours}");
        }

        // ::whatis NAME: where the symbol is, as readelf says.
        let syms = readelf_syms(&c.node_binary);
        let (v, size, _) = syms["uv_run"];
        let out = d.ok(None, "whatis", &["uv_run"]);
        assert!(out.starts_with(&format!("uv_run is at {v:x}: func, size {size:#x}, in node (section .text")), "{out}");
        let (_, out, _) = d.run_inv(None, "whatis", &["uv_run"], true);
        assert_eq!(out.trim(), format!("{v:x}"));
    });
}

#[test]
fn whatis_stacks_mappings_and_holes() {
    each_core(common::all_cores(), |c| {
        let mut d = Dbg::open(c);
        let threads: Vec<(usize, u32, u64)> =
            d.t().threads.iter().map(|t| (t.index, t.tid, t.regs.rsp())).collect();
        assert!(threads.iter().any(|t| t.1 == c.pid), "{}: main thread", c.name());
        for (index, tid, sp) in threads {
            let out = d.ok(Some(sp + 0x20), "whatis", &[]);
            assert!(
                out.contains(&format!("is in the stack of thread {index} (tid {tid}), 0x20 bytes above its sp")),
                "{}: {out}",
                c.name()
            );
            let out = d.ok(Some(sp), "whatis", &[]);
            assert!(out.contains("at its sp"), "{out}");
        }
        let out = d.ok(Some(0x10), "whatis", &[]);
        assert_eq!(out.trim(), "10 is not in any mapping");
        // Where each thread stopped is code jmdb can name and disassemble
        // (the kernel's vsyscall page aside).
        for th in d.t().threads.clone() {
            let pc = th.regs.rip();
            let out = d.ok(Some(pc), "whatis", &[]);
            // Code: node's text or a library's, or V8's JIT code space,
            // which some versions map rwx.
            assert!(out.contains(" in mapping ") && (out.contains(" r-x") || out.contains(" rwx")), "{}: {out}", c.name());
            // A window marking pc, or, if pc is a function's start (a
            // thread caught just after a call), the function from there.
            let out = d.ok(Some(pc), "dis", &[]);
            let first = out.lines().next().and_then(|l| hex(l.split_whitespace().next().unwrap_or("")));
            assert!(out.lines().any(|l| l.starts_with("> ")) || first == Some(pc), "{}: {out}", c.name());
        }
    });
}

#[test]
fn bad_input_never_panics() {
    let c = common::core("22", "abort");
    let mut d = Dbg::open(&c);
    let addrs = [0u64, 1, 0xfff, u64::MAX, u64::MAX - 1, u64::MAX - 14, 0x7fff_ffff_ffff, 0xffff_8000_0000_0000];
    let arg_sets: [&[&str]; 9] =
        [&[], &["-n", "0t100"], &["-f"], &["-w"], &["-b", "-n", "ffffffff"], &["-n", "0"], &["-n", "zz"], &["-q"], &["x"]];
    for a in addrs {
        for args in arg_sets {
            let _ = d.run(Some(a), "dis", args);
        }
        let _ = d.run(Some(a), "whatis", &[]);
        let _ = d.run(Some(a), "nm", &[]);
        let _ = d.run(Some(a), "nm", &["-v"]);
    }
    assert!(matches!(d.run(Some(0), "dis", &["-n", "0"]).0, Err(DcmdError::Usage(_))));
    assert!(matches!(d.run(None, "nm", &["-t", "bogus"]).0, Err(DcmdError::Usage(_))));
    assert!(matches!(d.run(None, "whatis", &[]).0, Err(DcmdError::Usage(_))));
    for p in ["", "*", "?", "**?*?**", "[", "`", "nosuchlib`malloc", "\u{0}", "🦀*", "_Z"] {
        let _ = d.run(None, "whatis", &[p]);
        let _ = d.run(None, "nm", &["-m", "libc", p]);
    }
    assert!(d.run(None, "nm", &["-m", "nosuchlib"]).0.is_err());
    // Every instruction of a random-looking stretch decodes or is (bad).
    let r = disasm::decode_range(d.t(), d.sym("v8dbg_type_Map__MAP_TYPE"), 200, &|_| None);
    assert!(!r.insns.is_empty());
}

#[test]
fn demangling_keeps_clone_and_version_suffixes() {
    use jmdb::symbols::demangle;
    let cold = "_ZN4nodeL8DebugEndERKN2v820FunctionCallbackInfoINS0_5ValueEEE.cold";
    assert_eq!(demangle(cold, false).as_deref(), Some("node::DebugEnd [clone .cold]"));
    assert_eq!(
        demangle(cold, true).as_deref(),
        Some("node::DebugEnd(v8::FunctionCallbackInfo<v8::Value> const&) [clone .cold]")
    );
    let isra = "_ZN2v88internal4Heap14CollectGarbageENS0_15AllocationSpaceENS0_23GarbageCollectionReasonENS_15GCCallbackFlagsE.isra.0.cold";
    assert_eq!(
        demangle(isra, false).as_deref(),
        Some("v8::internal::Heap::CollectGarbage [clone .isra.0] [clone .cold]")
    );
    assert_eq!(demangle("_ZNKSt5ctypeIcE8do_widenEc@@GLIBCXX_3.4", false).as_deref(), Some("std::ctype<char>::do_widen@@GLIBCXX_3.4"));
    assert_eq!(demangle("_ZSt18_Rb_tree_incrementPKSt18_Rb_tree_node_base@plt", false).as_deref(), Some("std::_Rb_tree_increment@plt"));
    assert_eq!(demangle("malloc", false), None);
    assert_eq!(demangle("_Z", false), None);
    assert_eq!(demangle("_Z.", false), None);
    assert_eq!(demangle("_Z@", true), None);
}

#[test]
fn through_the_cli() {
    let c = common::core("22", "abort");
    let core = c.core_path();
    let core = core.to_str().unwrap();
    // A symbol name as the address; the whole function; exit 0, no noise.
    let (code, out, err) = common::run_jmdb(&["-e", "node::Abort::dis", core]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().next().is_some_and(|l| l.contains("node::Abort:") && l.contains("push")), "{out}");
    assert!(out.contains("call   abort@plt"), "{out}");
    // Pipelines: symbols into ::whatis, instructions into ::whatis.
    let (code, out, err) = common::run_jmdb(&["-e", "::nm -m libc -t func pthread_kill | ::whatis", core]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().filter(|l| l.contains(" is pthread_kill in libc.so.6")).count() >= 1, "{out}");
    let (code, out, err) = common::run_jmdb(&["-e", "uv_run::dis -n 3 | ::whatis", core]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().next().is_some_and(|l| l.contains(" is uv_run in node (section .text, file address 0x")), "{out}");
    // Unreadable code fails the batch, on stderr.
    let (code, out, err) = common::run_jmdb(&["-e", "0::dis", core]);
    assert_ne!(code, 0);
    assert!(out.is_empty() && err.contains("not mapped"), "{out}{err}");
    let (code, _, err) = common::run_jmdb(&["-e", "::whatis no_such_symbol_anywhere", core]);
    assert_ne!(code, 0);
    assert!(err.contains("no symbol named"), "{err}");
}
