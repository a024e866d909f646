//! The V8 heap model: turns bytes in a core into JavaScript values.
//!
//! - [`metadata`]: the raw `v8dbg_*`/`nodedbg_*` symbols and V8's version.
//! - [`layout`]: every layout value, resolved once, with its source.
//! - [`types`]: instance types by name.
//! - [`heap`]: tagged values, heap objects, maps: the primitives every
//!   decoder uses.
//! - [`string`], [`object`], [`function`]: decoders for each kind of value.
//!
//! Nothing here prints; renderers in `dcmds/` take a writer.

pub mod collections;
pub mod bytecode;
pub mod context;
pub mod function;
pub mod heap;
pub mod layout;
pub mod metadata;
pub mod object;
pub mod primitive;
pub mod refs;
pub mod print;
pub mod script;
pub mod sourcepos;
pub mod frames;
pub mod scan;
pub mod string;
pub mod types;
pub mod value;

use thiserror::Error;

use crate::error::MemError;
use crate::target::Target;

pub use heap::Heap;
use layout::{Layout, LayoutMissing};
use metadata::Metadata;
use types::Types;

/// Why a V8 value could not be decoded.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum V8Error {
    #[error(transparent)]
    Mem(#[from] MemError),
    #[error(transparent)]
    Layout(#[from] LayoutMissing),
    #[error("{addr:#x} is not a heap object")]
    NotHeapObject { addr: u64 },
    #[error("{addr:#x} does not look like a {what}: {why}")]
    Bad { addr: u64, what: &'static str, why: String },
}

impl V8Error {
    pub fn bad(addr: u64, what: &'static str, why: impl Into<String>) -> V8Error {
        V8Error::Bad { addr, what, why: why.into() }
    }
}

/// Everything known about the V8 build of a target.
#[derive(Debug, Clone)]
pub struct V8 {
    pub meta: Metadata,
    pub layout: Layout,
    pub types: Types,
    /// `major * 100 + minor`, or 0 if the binary does not say.
    pub ver: layout::Ver,
    /// V8's bytecode lengths, read from the binary on first use.
    bytecode_sizes: std::sync::OnceLock<Result<bytecode::Sizes, String>>,
    /// Line tables computed from script sources.
    pub line_ends_cache: LineEndsCache,
}

/// Line tables jmdb computed from a script's source (V8 had not), keyed by
/// (Script, source String, source length) addresses. In a core nothing
/// moves, so the key is exact. A live process sampled across stops
/// ([`crate::profile`]) may move objects between stops: a moved script or
/// source has a new address (a miss); a stale hit would need another
/// script and another source of the same length to land at both old
/// addresses, which a compacting GC does not do to live scripts.
#[derive(Debug, Default)]
pub struct LineEndsCache {
    map: std::sync::Mutex<std::collections::HashMap<LineEndsKey, std::sync::Arc<[i64]>>>,
}

/// (Script, source String, source length).
type LineEndsKey = (u64, u64, u64);

/// Most line tables kept.
const MAX_LINE_TABLES: usize = 4096;

impl LineEndsCache {
    pub fn get(&self, key: (u64, u64, u64)) -> Option<std::sync::Arc<[i64]>> {
        self.map.lock().ok()?.get(&key).cloned()
    }
    pub fn put(&self, key: (u64, u64, u64), ends: &[i64]) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= MAX_LINE_TABLES {
                m.clear();
            }
            m.insert(key, ends.into());
        }
    }
}

impl Clone for LineEndsCache {
    /// A clone starts empty: cheap, and never shares a stale table.
    fn clone(&self) -> Self {
        LineEndsCache::default()
    }
}

impl V8 {
    /// Load the metadata from the target's binaries. Fails, saying why,
    /// when no mapped object carries it (a node built without
    /// postmortem support, or the executable was not found).
    /// V8's bytecode length table ([`bytecode::Sizes`]), or why not.
    pub fn bytecode_sizes(&self, h: &Heap) -> Result<&bytecode::Sizes, String> {
        self.bytecode_sizes.get_or_init(|| bytecode::Sizes::load(h)).as_ref().map_err(Clone::clone)
    }

    pub fn load(t: &Target) -> Result<V8, String> {
        let Some(meta) = Metadata::load(t) else {
            let why = if t.executable().and_then(|m| m.data()).is_none() {
                "the executable was not found, so its V8 metadata cannot be read; name it with `jmdb EXECUTABLE CORE`"
            } else {
                "no mapped object carries V8's postmortem metadata (v8dbg_* symbols): this is not a Node.js process, or its node was built without them"
            };
            return Err(why.to_string());
        };
        let ver = meta.version.map(layout::ver).unwrap_or(0);
        let layout = Layout::resolve(&meta, ver);
        let types = Types::load(&meta);
        Ok(V8 { meta, layout, types, ver, bytecode_sizes: Default::default(), line_ends_cache: Default::default() })
    }

    /// `12.4.254.21`, or `unknown`.
    pub fn version_string(&self) -> String {
        match self.meta.version {
            Some((a, b, c, d)) => format!("{a}.{b}.{c}.{d}"),
            None => "unknown".into(),
        }
    }

    /// Frame type markers by name (`InterpretedFrame` → 13), from the
    /// `frametype_*` metadata.
    pub fn frame_types(&self) -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = self
            .meta
            .v8
            .iter()
            .filter_map(|(k, m)| k.strip_prefix("frametype_").map(|n| (n.to_string(), m.value)))
            .collect();
        v.sort_by_key(|(_, n)| *n);
        v
    }
}
