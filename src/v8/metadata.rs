//! The raw postmortem metadata: every `v8dbg_*` and `nodedbg_*` symbol of
//! every mapped object that carries them (the executable, or a libnode.so),
//! with its value. Values come from the binary file, not the core: the
//! kernel does not dump file-backed pages it never wrote to. Symbols in
//! `.bss` have no bytes in the file; for `v8dbg_*` those are zero-valued
//! constants, while Node 18-24 fill `nodedbg_*` at startup (a static
//! constructor), so those are read from the core.
//! Source: deps/v8/tools/gen-postmortem-metadata.py, src/node_postmortem_metadata.cc;
//! docs/v8-layouts.md for what each binary holds.

use std::collections::BTreeMap;

use object::{Object, ObjectSection, ObjectSymbol, SectionKind};

use crate::memory::Memory;
use crate::target::{Module, Target};

/// Where a metadata value was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueOrigin {
    /// The binary's `.data`/`.rodata`.
    File,
    /// A `.bss` symbol, zero by construction.
    ZeroBss,
    /// A `.bss` symbol filled at run time, read from the core.
    Core,
}

#[derive(Debug, Clone)]
pub struct MetaValue {
    pub value: i64,
    pub origin: ValueOrigin,
}

/// All metadata symbols, keyed by name without the `v8dbg_` prefix
/// (`class_Map__instance_type__uint16_t`), and node's keyed with it.
#[derive(Debug, Default, Clone)]
pub struct Metadata {
    pub v8: BTreeMap<String, MetaValue>,
    pub node: BTreeMap<String, MetaValue>,
    /// The module the metadata came from.
    pub module: String,
    /// V8's version (`v8::internal::Version::{major_,minor_,build_,patch_}`).
    pub version: Option<(u32, u32, u32, u32)>,
}

impl Metadata {
    /// Read the metadata from the first module that carries it.
    pub fn load(t: &Target) -> Option<Metadata> {
        // The executable first; then any library (libnode.so builds).
        let mut mods: Vec<&Module> = t.modules.iter().filter(|m| m.data().is_some()).collect();
        mods.sort_by_key(|m| !m.is_executable);
        mods.into_iter().find_map(|m| load_module(t, m))
    }

    pub fn get(&self, name: &str) -> Option<i64> {
        self.v8.get(name).map(|v| v.value)
    }
}

fn load_module(t: &Target, m: &Module) -> Option<Metadata> {
    let data = m.data()?;
    let file = object::File::parse(data).ok()?;
    let mut md = Metadata { module: m.name.clone(), ..Default::default() };
    let mut version = [None::<u32>; 4];
    for s in file.symbols() {
        let Ok(name) = s.name() else { continue };
        let (is_v8, key) = if let Some(k) = name.strip_prefix("v8dbg_") {
            (true, k)
        } else if name.starts_with("nodedbg_") {
            (false, name)
        } else if let Some(i) = VERSION_SYMS.iter().position(|v| *v == name) {
            if let Some(v) = read_file_value(&file, data, s.address(), 4) {
                version[i] = Some(v as u32);
            }
            continue;
        } else {
            continue;
        };
        // Only data symbols: the static initialiser function shares the prefix.
        if s.kind() == object::SymbolKind::Text {
            continue;
        }
        let size = if s.size() == 8 { 8 } else { 4 };
        let Some(sec) = s.section_index().and_then(|i| file.section_by_index(i).ok()) else { continue };
        let v = if sec.kind() == SectionKind::UninitializedData || sec.kind() == SectionKind::UninitializedTls {
            if is_v8 {
                MetaValue { value: 0, origin: ValueOrigin::ZeroBss }
            } else {
                let addr = s.address().wrapping_add(m.bias);
                let raw = if size == 8 { t.read_u64(addr).ok() } else { t.read_u32(addr).ok().map(|v| v as i32 as i64 as u64) };
                match raw {
                    Some(v) => MetaValue { value: v as i64, origin: ValueOrigin::Core },
                    None => continue,
                }
            }
        } else {
            match read_file_value(&file, data, s.address(), size) {
                Some(v) => MetaValue { value: v, origin: ValueOrigin::File },
                None => continue,
            }
        };
        if is_v8 {
            md.v8.insert(key.to_string(), v);
        } else {
            md.node.insert(key.to_string(), v);
        }
    }
    if md.v8.is_empty() {
        return None;
    }
    if let [Some(a), Some(b), Some(c), Some(d)] = version {
        md.version = Some((a, b, c, d));
    }
    Some(md)
}

const VERSION_SYMS: [&str; 4] = [
    "_ZN2v88internal7Version6major_E",
    "_ZN2v88internal7Version6minor_E",
    "_ZN2v88internal7Version6build_E",
    "_ZN2v88internal7Version6patch_E",
];

/// A little-endian signed value of `size` bytes at file address `addr`.
fn read_file_value(file: &object::File<'_>, data: &[u8], addr: u64, size: usize) -> Option<i64> {
    for sec in file.sections() {
        let (start, len) = (sec.address(), sec.size());
        if addr < start || addr + size as u64 > start + len {
            continue;
        }
        let (off, _) = sec.file_range()?;
        let at = (off + (addr - start)) as usize;
        let b = data.get(at..at + size)?;
        return Some(if size == 8 {
            i64::from_le_bytes(b.try_into().ok()?)
        } else {
            i32::from_le_bytes(b.try_into().ok()?) as i64
        });
    }
    None
}
