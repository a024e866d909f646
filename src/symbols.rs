//! ELF symbol tables: address → symbol for stacks, name → address for
//! expressions. Built lazily per module, from `.symtab` and `.dynsym` both
//! (stripped binaries keep only `.dynsym`; V8's metadata lives in `.symtab`).

use std::collections::HashMap;
use std::sync::OnceLock;

use object::{Object, ObjectSection, ObjectSymbol, ObjectSymbolTable, RelocationTarget, SymbolKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymKind {
    Func,
    Data,
    Other,
}

#[derive(Debug, Clone)]
pub struct Symbol {
    /// Address as the file states it (before the load bias).
    pub addr: u64,
    pub size: u64,
    pub name: String,
    pub kind: SymKind,
}

impl Symbol {
    /// Demangled name without parameter list (`node::Abort`), or the raw name.
    pub fn short_name(&self) -> String {
        demangle(&self.name, false).unwrap_or_else(|| self.name.clone())
    }
    /// Demangled name with parameters (`node::Abort()`), or the raw name.
    pub fn full_name(&self) -> String {
        demangle(&self.name, true).unwrap_or_else(|| self.name.clone())
    }
}

/// Demangle an Itanium C++ name; `None` when it is not one.
pub fn demangle(raw: &str, params: bool) -> Option<String> {
    if !raw.starts_with("_Z") {
        return None;
    }
    // Keep a version or PLT suffix (`@@GLIBCXX_3.4`, `@plt`) as nm -C does.
    let (mangled, suffix) = match raw.find('@') {
        Some(i) => raw.split_at(i),
        None => (raw, ""),
    };
    let sym = parse_mangled(mangled)?;
    let mut opts = cpp_demangle::DemangleOptions::new().no_return_type().recursion_limit(DEMANGLE_DEPTH);
    if params {
        return sym.demangle_with_options(&opts).ok().map(|d| tidy(d) + suffix);
    }
    opts = opts.no_params();
    // Without parameters cpp_demangle also drops GCC's clone suffixes
    // (`.cold`, `.isra.0`), which tell a split-off part from the function
    // itself; put them back the way c++filt shows them.
    let Some(dot) = mangled.find('.') else {
        return sym.demangle_with_options(&opts).ok().map(|d| tidy(d) + suffix);
    };
    let base = tidy(parse_mangled(&mangled[..dot])?.demangle_with_options(&opts).ok()?);
    let mut clones: Vec<String> = Vec::new();
    for part in mangled[dot + 1..].split('.') {
        match clones.last_mut() {
            Some(last) if part.bytes().all(|b| b.is_ascii_digit()) => {
                last.push('.');
                last.push_str(part);
            }
            _ => clones.push(format!(".{part}")),
        }
    }
    let clones: String = clones.iter().map(|c| format!(" [clone {c}]")).collect();
    Some(format!("{base}{clones}{suffix}"))
}

/// V8's turboshaft reducer stacks nest templates deeper than cpp_demangle's
/// default limits (which then give up and leave the name mangled); 512 is
/// still far from the stack's limits.
const DEMANGLE_DEPTH: u32 = 512;

fn parse_mangled(m: &str) -> Option<cpp_demangle::Symbol<&str>> {
    cpp_demangle::Symbol::new_with_options(m, &cpp_demangle::ParseOptions::default().recursion_limit(DEMANGLE_DEPTH)).ok()
}

/// cpp_demangle prints an empty template parameter pack as `, >`
/// (`Run<Phase, >`) and an empty forwarded pack as `(&&)`; c++filt and
/// gdb print `Run<Phase>()`.
fn tidy(d: String) -> String {
    if d.contains(", >") || d.contains("(&&)") { d.replace(", >", ">").replace("(&&)", "()") } else { d }
}

/// PLT stubs have no symbols of their own. Name each `func@plt`, as gdb and
/// objdump do, after the GOT slot its `jmp *slot(%rip)` goes through and the
/// dynamic relocation that fills that slot. Covers `.plt`, `.plt.sec` (IBT)
/// and `.plt.got`.
fn plt_symbols(file: &object::File<'_>) -> Vec<Symbol> {
    let Some(dynsyms) = file.dynamic_symbol_table() else { return Vec::new() };
    let mut slots: HashMap<u64, String> = HashMap::new();
    for (off, r) in file.dynamic_relocations().into_iter().flatten() {
        if let RelocationTarget::Symbol(i) = r.target()
            && let Some(n) = dynsyms.symbol_by_index(i).ok().and_then(|s| s.name().ok().map(str::to_string))
            && !n.is_empty()
        {
            slots.insert(off, n);
        }
    }
    let mut out = Vec::new();
    if slots.is_empty() {
        return out;
    }
    for sec in file.sections() {
        if !matches!(sec.name(), Ok(".plt" | ".plt.sec" | ".plt.got")) {
            continue;
        }
        let Ok(data) = sec.data() else { continue };
        let base = sec.address();
        let mut starts: Vec<(u64, String)> = Vec::new();
        let mut p = 0usize;
        while p + 6 <= data.len() {
            if data[p] != 0xff || data[p + 1] != 0x25 {
                p += 1;
                continue;
            }
            let disp = i32::from_le_bytes([data[p + 2], data[p + 3], data[p + 4], data[p + 5]]);
            let slot = base.wrapping_add(p as u64 + 6).wrapping_add(disp as i64 as u64);
            if let Some(name) = slots.get(&slot) {
                // The stub starts at its endbr64 and bnd prefix, if any.
                let endbr = |q: usize| q >= 4 && data[q - 4..q] == [0xf3, 0x0f, 0x1e, 0xfa];
                let mut start = p;
                if start >= 1 && data[start - 1] == 0xf2 {
                    start -= 1;
                }
                if endbr(start) {
                    start -= 4;
                }
                starts.push((base + start as u64, format!("{name}@plt")));
            }
            p += 6;
        }
        let end = base + data.len() as u64;
        for i in 0..starts.len() {
            let next = starts.get(i + 1).map(|s| s.0).unwrap_or(end);
            let (addr, name) = std::mem::take(&mut starts[i]);
            let size = next.saturating_sub(addr).min(16);
            out.push(Symbol { addr, size, name, kind: SymKind::Func });
        }
    }
    out
}

/// Class names the Itanium mangling abbreviates (`Sa`, `Sb`, `Ss`, `Si`,
/// `So`, `Sd`) instead of spelling them out.
const STD_ABBREVIATED: [&str; 8] = ["allocator", "basic_string", "string", "basic_istream", "istream", "basic_ostream", "ostream", "basic_iostream"];

#[derive(Default)]
pub struct SymbolTable {
    /// Sorted by address; sized symbols before zero-sized ones at one address.
    syms: Vec<Symbol>,
    /// Built on the first lookup by name: stacks never need it.
    by_name: OnceLock<HashMap<String, usize>>,
    by_demangled: OnceLock<HashMap<String, usize>>,
}

impl SymbolTable {
    pub fn from_object(file: &object::File<'_>) -> SymbolTable {
        Self::from_objects(file, None)
    }

    /// Symbols of a file and, optionally, of its separate debug file (whose
    /// addresses are the same file addresses).
    pub fn from_objects(file: &object::File<'_>, debug: Option<&object::File<'_>>) -> SymbolTable {
        let mut syms = Vec::new();
        let extra = debug.into_iter().flat_map(|d| d.symbols());
        // `.symtab` holds everything `.dynsym` does; read `.dynsym` only when
        // the file is stripped. Reading both doubled the work for node.
        let has_symtab = file.symbol_table().is_some_and(|t| t.symbols().next().is_some());
        let own: Box<dyn Iterator<Item = object::Symbol<'_, '_>>> =
            if has_symtab { Box::new(file.symbols()) } else { Box::new(file.dynamic_symbols()) };
        for s in own.chain(extra) {
            if s.is_undefined() || s.address() == 0 {
                continue;
            }
            let kind = match s.kind() {
                SymbolKind::Text => SymKind::Func,
                SymbolKind::Data | SymbolKind::Tls => SymKind::Data,
                SymbolKind::Section | SymbolKind::File | SymbolKind::Label => continue,
                _ => SymKind::Other,
            };
            let Ok(name) = s.name() else { continue };
            if name.is_empty() {
                continue;
            }
            syms.push(Symbol { addr: s.address(), size: s.size(), name: name.to_string(), kind });
        }
        syms.extend(plt_symbols(file));
        // At one address: larger first; then the preferred alias last,
        // because `lookup_addr` walks backwards and takes the first that
        // covers: plain names over versioned ones (`pthread_kill` over
        // `pthread_kill@@GLIBC_2.34`), public over `__internal` ones.
        // The rank is computed once per symbol: node has over 100k, and
        // computing it inside the comparator dominated opening a stack.
        let rank = |s: &Symbol| (!s.name.contains('@'), usize::MAX - s.name.bytes().take_while(|&b| b == b'_').count());
        let mut keyed: Vec<((u64, std::cmp::Reverse<u64>, (bool, usize)), Symbol)> =
            syms.into_iter().map(|s| ((s.addr, std::cmp::Reverse(s.size), rank(&s)), s)).collect();
        keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        let mut syms: Vec<Symbol> = keyed.into_iter().map(|(_, s)| s).collect();
        syms.dedup_by(|a, b| a.addr == b.addr && a.name == b.name);
        SymbolTable { syms, by_name: OnceLock::new(), by_demangled: OnceLock::new() }
    }

    pub fn len(&self) -> usize {
        self.syms.len()
    }
    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Symbol> {
        self.syms.iter()
    }

    /// The symbol containing file address `addr`: the nearest one at or below
    /// it whose size covers it, or (for unsized symbols) the nearest below.
    pub fn lookup_addr(&self, addr: u64) -> Option<&Symbol> {
        let idx = self.syms.partition_point(|s| s.addr <= addr);
        if idx == 0 {
            return None;
        }
        // Walk back over symbols at lower addresses; a sized one that does
        // not cover addr ends the search unless an unsized one is nearer.
        let mut best: Option<&Symbol> = None;
        for s in self.syms[..idx].iter().rev().take(64) {
            if s.size > 0 && addr < s.addr + s.size {
                return Some(s);
            }
            if best.is_none() && s.kind == SymKind::Func {
                best = Some(s);
            }
            if s.addr + 0x10_0000 < addr {
                break;
            }
        }
        // An unsized function symbol just below (assembly stubs) still names
        // the code; a sized one that ended before addr does not.
        best.filter(|s| s.size == 0)
    }

    /// Find by raw (mangled) name, then by demangled name without parameters.
    pub fn lookup_name(&self, name: &str) -> Option<&Symbol> {
        let by_name = self.by_name.get_or_init(|| {
            let mut m = HashMap::with_capacity(self.syms.len());
            for (i, s) in self.syms.iter().enumerate() {
                m.entry(s.name.clone()).or_insert(i);
            }
            m
        });
        if let Some(&i) = by_name.get(name) {
            return Some(&self.syms[i]);
        }
        // A name made of plain identifiers (`uv_run`, `node::Abort`, and
        // every address typed as bare hex as jmdb prints them: the parser
        // tries `c073d598e31::jsfunction` as a symbol first, as mdb does)
        // can only be the demangled name of a symbol whose raw name
        // contains its last identifier (mangling spells identifiers out,
        // but for std's abbreviated class names): demangle those alone, not
        // the whole table (0.4 s for node's 150k symbols).
        let last = name.rsplit("::").next().unwrap_or(name);
        let plain = name.split("::").all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if self.by_demangled.get().is_none() && plain && !STD_ABBREVIATED.contains(&last) {
            return self.syms.iter().find(|s| s.name.contains(last) && Self::demangled_key(s).as_deref() == Some(name));
        }
        let dm = self.by_demangled.get_or_init(|| {
            let mut m = HashMap::new();
            for (i, s) in self.syms.iter().enumerate() {
                if let Some(k) = Self::demangled_key(s) {
                    m.entry(k).or_insert(i);
                }
            }
            m
        });
        dm.get(name).map(|&i| &self.syms[i])
    }

    /// The name a symbol is found by besides its raw one: demangled
    /// without parameters, or before its version (`stderr@@GLIBC_2.2.5`: a
    /// copy-relocated variable, the one the process uses; findable as
    /// `stderr`).
    fn demangled_key(s: &Symbol) -> Option<String> {
        demangle(&s.name, false).or_else(|| s.name.split_once('@').map(|(plain, _)| plain.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str]) -> SymbolTable {
        let syms = names.iter().enumerate().map(|(i, n)| Symbol { addr: 0x1000 * (i as u64 + 1), size: 16, name: n.to_string(), kind: SymKind::Func }).collect();
        SymbolTable { syms, by_name: OnceLock::new(), by_demangled: OnceLock::new() }
    }

    #[test]
    fn plain_names_found_without_demangling_everything() {
        let t = table(&["_ZN4node5AbortEv", "_ZN2v88internal4Heap14CollectGarbageENS0_15AllocationSpaceE", "stderr@@GLIBC_2.2.5", "_Z6uv_runP9uv_loop_s", "_ZNSaIcEC1Ev"]);
        assert_eq!(t.lookup_name("node::Abort").map(|s| s.addr), Some(0x1000));
        assert_eq!(t.lookup_name("v8::internal::Heap::CollectGarbage").map(|s| s.addr), Some(0x2000));
        assert_eq!(t.lookup_name("stderr").map(|s| s.addr), Some(0x3000));
        assert_eq!(t.lookup_name("uv_run").map(|s| s.addr), Some(0x4000));
        // An address typed as bare hex before a dcmd: no symbol, and the
        // whole table was not demangled to say so.
        assert!(t.lookup_name("c073d598e31::jsfunction").is_none());
        assert!(t.lookup_name("c073d598e31").is_none());
        assert!(t.by_demangled.get().is_none());
        // std's abbreviated names are not spelled out: the full map.
        assert_eq!(t.lookup_name("std::allocator<char>::allocator").map(|s| s.addr), Some(0x5000));
        assert!(t.by_demangled.get().is_some());
        assert_eq!(t.lookup_name("node::Abort").map(|s| s.addr), Some(0x1000));
    }
}
