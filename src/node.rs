//! The Node.js layer: each isolate's `node::Environment`, the libuv
//! handles and requests it keeps alive, and the `process` object.
//!
//! Node's postmortem metadata (`nodedbg_*`, src/node_postmortem_metadata.cc,
//! resolved in [`crate::v8::layout`]) gives what llnode's
//! `getactivehandles` used:
//! - a NativeContext's embedder data holds the `Environment*` at slot
//!   `ContextEmbedderIndex::kEnvironment`;
//! - the Environment keeps its live `HandleWrap`s and `ReqWrap`s in two
//!   intrusive doubly linked lists (`handle_wrap_queue_`, `req_wrap_queue_`)
//!   whose sentinel head is inside the Environment;
//! - each wrap is a `BaseObject` whose `persistent_handle_` (a v8::Global:
//!   a pointer to a global-handle slot) holds its JS object.
//!
//! Native contexts are found from the heap: every map's meta map holds its
//! native context (Map::constructor_or_back_pointer_or_native_context of a
//! meta map), so the distinct meta maps of the scanned objects' maps are
//! the distinct native contexts, one per realm (main, each worker, each
//! `vm` context).
//!
//! Nothing here trusts memory: lists are bounded and checked for cycles,
//! and a wrap whose handle cannot be read is reported without its object.

use std::collections::BTreeSet;

use crate::memory::Memory;
use crate::v8::{Heap, V8Error, context, function};

/// Most entries read from one handle or request list.
pub const MAX_WRAPS: usize = 100_000;

/// One `node::Environment`: a Node.js instance (the main thread's or a
/// worker's), found through a native context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The C++ `node::Environment*`.
    pub addr: u64,
    /// The native contexts that point at it (the main context first found).
    pub native_contexts: Vec<u64>,
}

/// The native contexts the objects in `objs` belong to, in address order.
///
/// Two routes, since V8 versions differ: an object's map's meta map holds
/// its native context where maps are per context (V8 11+; Node 18's maps
/// share the read-only meta map, whose slot is null), and a function's
/// context chain ends at its native context (every version).
pub fn native_contexts(h: &Heap, objs: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let l = &h.v8.layout;
    let mut maps = BTreeSet::new();
    let mut out = BTreeSet::new();
    for o in objs {
        if let Ok(m) = h.map(o) {
            maps.insert(m);
        }
        // A function's own context, else its constructor's.
        let f = if function::is_function(h, o) { Some(o) } else { h.map(o).ok().and_then(|m| crate::v8::object::map_constructor(h, m).ok().flatten()) };
        if let Some(f) = f
            && let Ok(c) = h.field(f, &l.js_function_context)
            && let Some(n) = native_context_of(h, c)
        {
            out.insert(n);
        }
    }
    let metas: BTreeSet<u64> = maps.into_iter().filter_map(|m| h.map(m).ok()).collect();
    for meta in metas {
        let Ok(c) = h.field(meta, &l.map_constructor_or_back_pointer) else { continue };
        if is_native_context(h, c) {
            out.insert(c);
        }
    }
    out.into_iter().collect()
}

/// Context types are named by position where the metadata lacks them.
fn is_native_context(h: &Heap, c: u64) -> bool {
    h.is_heap_object(c) && h.instance_type(c).is_ok_and(|t| context::context_type_name(h, t) == "NATIVE_CONTEXT_TYPE")
}

/// The native context at the end of a context's `previous` chain.
pub fn native_context_of(h: &Heap, ctx: u64) -> Option<u64> {
    let mut c = ctx;
    for _ in 0..context::MAX_CONTEXT_DEPTH {
        if is_native_context(h, c) {
            return Some(c);
        }
        if !context::is_context(h, c) {
            return None;
        }
        c = context::context(h, c).ok()?.previous;
    }
    None
}

/// The `Environment*` a native context's embedder data names, if any
/// (V8's own contexts, such as the one of a `vm` sandbox before Node
/// initialises it, have none).
pub fn environment_of(h: &Heap, native_context: u64) -> Result<Option<u64>, V8Error> {
    let l = &h.v8.layout;
    let data = h.word(native_context, l.native_context_embedder_data.off()?)?;
    if !h.is_heap_object(data) || !h.v8.types.is(h.instance_type(data)?, "EMBEDDER_DATA_ARRAY_TYPE") {
        return Ok(None);
    }
    let len = h.smi_field(data, &l.fixed_array_length)?;
    let idx = l.node_env_index.get()?;
    if idx < 0 || idx >= len {
        return Ok(None);
    }
    let header = l.fixed_array_data.off()?;
    let env = h.word(data, header + idx as u64 * l.embedder_data_slot_size.off()?)?;
    // An aligned C++ pointer (V8 stores it raw: it reads as a Smi).
    Ok((env != 0 && env % 8 == 0).then_some(env))
}

/// Every Environment of the heap whose native contexts are among
/// `contexts`, each once.
pub fn environments(h: &Heap, contexts: &[u64]) -> Vec<Environment> {
    let mut out: Vec<Environment> = Vec::new();
    for &c in contexts {
        let Ok(Some(env)) = environment_of(h, c) else { continue };
        match out.iter_mut().find(|e| e.addr == env) {
            Some(e) => e.native_contexts.push(c),
            None => out.push(Environment { addr: env, native_contexts: vec![c] }),
        }
    }
    out
}

/// Which of an Environment's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// `handle_wrap_queue_`: libuv handles with a JS wrapper (TCP, Pipe,
    /// TTY, Process, Signal, FSEvent, UDP, ...).
    Handles,
    /// `req_wrap_queue_`: libuv requests in flight (FSReqCallback,
    /// WriteWrap, ShutdownWrap, GetAddrInfoReqWrap, ConnectWrap, ...).
    Requests,
}

impl Queue {
    pub fn name(self) -> &'static str {
        match self {
            Queue::Handles => "handle_wrap_queue_",
            Queue::Requests => "req_wrap_queue_",
        }
    }
}

/// One HandleWrap or ReqWrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrap {
    /// The C++ object (`node::HandleWrap*` / `node::ReqWrap<T>*`).
    pub addr: u64,
    /// Its JS object, if its persistent handle is set and readable.
    pub object: Option<u64>,
}

/// What walking a list found, and why it stopped early if it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrapList {
    pub wraps: Vec<Wrap>,
    /// Set when the list did not lead back to its head.
    pub broken: Option<String>,
}

/// The wraps in one of `env`'s lists, in list order (oldest first).
pub fn wraps(h: &Heap, env: u64, q: Queue) -> Result<WrapList, V8Error> {
    let l = &h.v8.layout;
    let (queue, head, node_off, next) = match q {
        Queue::Handles => (&l.node_env_handle_queue, &l.node_handle_queue_head, &l.node_handle_wrap_node, &l.node_handle_list_next),
        Queue::Requests => (&l.node_env_req_queue, &l.node_req_queue_head, &l.node_req_wrap_node, &l.node_req_list_next),
    };
    let head = env.wrapping_add(queue.off()?).wrapping_add(head.off()?);
    let (node_off, next) = (node_off.off()?, next.off()?);
    let handle_off = l.node_persistent_handle.off()?;
    let mut out = WrapList::default();
    let mut seen = BTreeSet::new();
    let mut node = h.t.read_u64(head.wrapping_add(next))?;
    while node != head {
        if out.wraps.len() >= MAX_WRAPS {
            out.broken = Some(format!("stopped after {MAX_WRAPS} entries"));
            break;
        }
        if node == 0 || !seen.insert(node) {
            out.broken = Some(format!("the list loops or ends at {node:#x} without returning to its head {head:#x}"));
            break;
        }
        let wrap = node.wrapping_sub(node_off);
        let object = h
            .t
            .read_u64(wrap.wrapping_add(handle_off))
            .ok()
            .filter(|&slot| slot != 0)
            .and_then(|slot| h.t.read_u64(slot).ok())
            .filter(|&o| h.is_heap_object(o));
        out.wraps.push(Wrap { addr: wrap, object });
        node = match h.t.read_u64(node.wrapping_add(next)) {
            Ok(n) => n,
            Err(e) => {
                out.broken = Some(e.to_string());
                break;
            }
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names() {
        assert_eq!(Queue::Handles.name(), "handle_wrap_queue_");
        assert_eq!(Queue::Requests.name(), "req_wrap_queue_");
    }
}
