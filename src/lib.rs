//! jmdb: a post-mortem debugger for Node.js cores.
//!
//! The engine, layer by layer, each using only those above it in this list
//! (one exception: `target` holds the unwinder's lazily filled CFI cache):
//! - [`error`], [`memory`], [`arch`]: typed errors, the memory trait, CPU facts.
//! - [`corefile`]: parsing an ELF core's segments and notes.
//! - [`live`]: a live process attached with ptrace, described like a core.
//! - [`symbols`], [`target`]: the core plus the binaries it mapped, as one
//!   address space with symbols.
//! - [`gcore`]: writing a kernel-style core of a live target.
//! - [`disasm`]: x86_64 disassembly over that address space.
//! - [`unwind`]: native stacks from CFI and frame pointers.
//! - [`v8`]: the V8 heap model: metadata, layouts, values.
//! - [`profile`]: a sampling profiler of a live target, over [`unwind`] and [`v8`].
//! - [`lang`], [`session`]: mdb's command language, pipelines and the REPL.
//!
//! The commands users type live in `dcmds/` (mounted here as [`dcmds`]);
//! the engine never calls into them, it only runs what the registry holds.

pub mod arch;
pub mod corefile;
pub mod disasm;
pub mod error;
pub mod gcore;
pub mod lang;
pub mod live;
pub mod profile;
pub mod memory;
pub mod node;
pub mod session;
pub mod symbols;
pub mod target;
pub mod unwind;
pub mod v8;

#[path = "../dcmds/mod.rs"]
pub mod dcmds;
