//! The state a command sees: the target (if any), dot, the selected thread,
//! the registry of dcmds, and the sink for warnings.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::lang::dcmd::{DcmdError, Registry};
use crate::target::Target;
use std::sync::Arc;

use crate::v8::{Heap, V8};

/// Set by the SIGINT handler while a command runs; long loops poll it
/// through [`Session::check_interrupt`].
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

pub struct Session {
    /// Shared (an `Arc`) so that work can go on in the background, such as
    /// the reference index built after a scan in an interactive session.
    pub target: Option<Arc<Target>>,
    pub registry: Registry,
    /// mdb's dot.
    pub dot: u64,
    /// Index into `target.threads()` of the selected thread.
    pub thread: usize,
    /// Where warnings go (stderr in the CLI, a buffer in tests).
    pub err: Box<dyn Write + Send>,
    /// Set when any command in this session failed: batch mode's exit status.
    pub failed: bool,
    /// Set by `$q`/`::quit`.
    pub quit: bool,
    /// The V8 model, loaded on the first command that needs it (opening a
    /// core and printing native stacks never pay for it).
    v8: std::sync::OnceLock<Result<Arc<V8>, String>>,
    /// The command language's variables, increment and history.
    pub lang: crate::lang::exec::LangState,
    /// Results expensive to recompute (a heap scan), kept for later
    /// commands, by the name of the dcmd family that owns each slot.
    pub cache: std::collections::HashMap<&'static str, Box<dyn std::any::Any + Send>>,
    /// An interactive session (the REPL): expensive follow-ups of a command
    /// may start in the background while the user reads its output.
    pub interactive: bool,
    /// The warning sink is a terminal: progress lines (rewritten in place)
    /// go there; never into files, pipes or tests.
    pub err_is_tty: bool,
}

impl Session {
    pub fn new(target: Option<Target>, registry: Registry, err: Box<dyn Write + Send>) -> Session {
        let thread = target.as_ref().map(|t| t.signalled_thread()).unwrap_or(0);
        let target = target.map(Arc::new);
        Session { target, registry, dot: 0, thread, err, failed: false, quit: false, v8: std::sync::OnceLock::new(), lang: Default::default(), cache: Default::default(), interactive: false, err_is_tty: false }
    }

    /// The target, or the error every target-needing dcmd returns.
    pub fn target(&self) -> Result<&Target, DcmdError> {
        self.target.as_deref().ok_or(DcmdError::NoTarget)
    }

    /// The target and its V8 model, shared, for work on another thread.
    pub fn shared(&self) -> Result<(Arc<Target>, Arc<V8>), DcmdError> {
        self.v8()?;
        let t = self.target.clone().ok_or(DcmdError::NoTarget)?;
        let v8 = self.v8.get().and_then(|r| r.as_ref().ok()).cloned().ok_or(DcmdError::NoTarget)?;
        Ok((t, v8))
    }

    /// The V8 model of the target, or why there is none.
    pub fn v8(&self) -> Result<&V8, DcmdError> {
        let t = self.target()?;
        self.v8.get_or_init(|| V8::load(t).map(Arc::new)).as_deref().map_err(|e| DcmdError::Failed(e.clone()))
    }

    /// The target with its V8 model: what V8 dcmds decode with.
    pub fn heap(&self) -> Result<Heap<'_>, DcmdError> {
        Ok(Heap::new(self.target()?, self.v8()?))
    }

    /// Print a warning line on the warning sink (never on stdout).
    pub fn warn(&mut self, msg: &str) {
        let _ = writeln!(self.err, "jmdb: {msg}");
    }

    /// Return `Interrupted` if the user pressed Ctrl-C.
    pub fn check_interrupt(&self) -> Result<(), DcmdError> {
        if INTERRUPTED.load(Ordering::Relaxed) { Err(DcmdError::Interrupted) } else { Ok(()) }
    }
}
