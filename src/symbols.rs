//! ELF symbol tables: address → symbol for stacks, name → address for
//! expressions. Built lazily per module, from `.symtab` and `.dynsym` both
//! (stripped binaries keep only `.dynsym`; V8's metadata lives in `.symtab`).

use std::collections::HashMap;
use std::sync::OnceLock;

use object::{Object, ObjectSymbol, SymbolKind};

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
    let sym = cpp_demangle::Symbol::new(raw).ok()?;
    let mut opts = cpp_demangle::DemangleOptions::new().no_return_type();
    if !params {
        opts = opts.no_params();
    }
    sym.demangle_with_options(&opts).ok()
}

#[derive(Default)]
pub struct SymbolTable {
    /// Sorted by address; sized symbols before zero-sized ones at one address.
    syms: Vec<Symbol>,
    by_name: HashMap<String, usize>,
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
        for s in file.symbols().chain(file.dynamic_symbols()).chain(extra) {
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
        syms.sort_by(|a, b| a.addr.cmp(&b.addr).then(b.size.cmp(&a.size)).then(a.name.cmp(&b.name)));
        syms.dedup_by(|a, b| a.addr == b.addr && a.name == b.name);
        let mut by_name = HashMap::with_capacity(syms.len());
        for (i, s) in syms.iter().enumerate() {
            by_name.entry(s.name.clone()).or_insert(i);
        }
        SymbolTable { syms, by_name, by_demangled: OnceLock::new() }
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
        if let Some(&i) = self.by_name.get(name) {
            return Some(&self.syms[i]);
        }
        let dm = self.by_demangled.get_or_init(|| {
            let mut m = HashMap::new();
            for (i, s) in self.syms.iter().enumerate() {
                if let Some(d) = demangle(&s.name, false) {
                    m.entry(d).or_insert(i);
                }
            }
            m
        });
        dm.get(name).map(|&i| &self.syms[i])
    }
}
