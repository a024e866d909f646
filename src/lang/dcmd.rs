//! The dcmd contract. A dcmd is a record: name, synopsis, one-line summary,
//! full manual and a handler. `::help`, `::dcmds` and tab completion are all
//! generated from these records, so a command's documentation cannot drift
//! from the command.

use std::io::Write;

use thiserror::Error;

use crate::error::MemError;
use crate::session::Session;

/// What a dcmd is run with: mdb's `(addr, flags, argc, argv)`.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    /// Dot: the address the dcmd acts on.
    pub dot: u64,
    /// An address was given explicitly (`addr::cmd`) or came from a pipe.
    pub addr_given: bool,
    /// This run is one of several: a `,count` loop or a pipeline stage fed
    /// with many values.
    pub in_loop: bool,
    /// The first run of such a loop: print headers only then.
    pub loop_first: bool,
    /// The output goes into another dcmd: print bare addresses, one per line.
    pub piped_out: bool,
    /// The arguments, as words (already unquoted).
    pub args: Vec<String>,
}

impl Invocation {
    /// Print headers only once per pipeline/loop.
    pub fn print_header(&self) -> bool {
        !self.piped_out && (!self.in_loop || self.loop_first)
    }
}

/// How a dcmd can fail. `Usage` makes the executor print the synopsis.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DcmdError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Mem(#[from] MemError),
    #[error("no target is loaded")]
    NoTarget,
    #[error("interrupted")]
    Interrupted,
    #[error("write error: {0}")]
    Io(String),
}

impl From<crate::v8::V8Error> for DcmdError {
    fn from(e: crate::v8::V8Error) -> Self {
        match e {
            crate::v8::V8Error::Mem(m) => DcmdError::Mem(m),
            other => DcmdError::Failed(other.to_string()),
        }
    }
}

impl From<std::io::Error> for DcmdError {
    fn from(e: std::io::Error) -> Self {
        DcmdError::Io(e.to_string())
    }
}

pub type DcmdResult = Result<(), DcmdError>;

/// A dcmd's handler. It writes results to `out` and warnings through
/// `session.warn`; it never prints directly.
pub type Handler = fn(&mut Session, &Invocation, &mut dyn Write) -> DcmdResult;

/// One command's record.
pub struct Dcmd {
    /// Name without the `::` (`status`), or the `$x` form (`$C`).
    pub name: &'static str,
    /// mdb synopsis: a leading `:` means an address is required, `?` that it
    /// is optional; then the options, e.g. `?[-v] [-t tid]`.
    pub synopsis: &'static str,
    /// One line for `::dcmds`.
    pub summary: &'static str,
    /// The manual: options, description and examples.
    pub help: &'static str,
    /// Option words offered by tab completion (`-v`, `-t`).
    pub options: &'static [&'static str],
    pub handler: Handler,
}

/// A walker produces a list of addresses for `::walk` and pipelines.
pub struct Walker {
    pub name: &'static str,
    pub summary: &'static str,
    /// Given dot when `addr::walk name` was used.
    pub walk: fn(&mut Session, Option<u64>) -> Result<Vec<u64>, DcmdError>,
}

/// All known dcmds and walkers. Built by `dcmds::registry()`; the engine
/// itself registers nothing, so the layers do not reach upward.
#[derive(Default)]
pub struct Registry {
    pub dcmds: Vec<Dcmd>,
    pub walkers: Vec<Walker>,
}

impl Registry {
    pub fn add(&mut self, d: Dcmd) {
        self.dcmds.push(d);
    }
    pub fn add_walker(&mut self, w: Walker) {
        self.walkers.push(w);
    }
    /// Look a dcmd up by name, with or without its leading `::`.
    pub fn find(&self, name: &str) -> Option<&Dcmd> {
        let n = name.strip_prefix("::").unwrap_or(name);
        self.dcmds.iter().find(|d| d.name == n)
    }
    pub fn walker(&self, name: &str) -> Option<&Walker> {
        self.walkers.iter().find(|w| w.name == name)
    }
}

/// getopt-style parsing of a dcmd's words. `flags` lists the letters that
/// take no value, `valued` those that do. Non-option words are returned in
/// order as operands. `--` ends the options.
#[derive(Debug, Default, Clone)]
pub struct Opts {
    pub flags: Vec<char>,
    pub values: Vec<(char, String)>,
    pub operands: Vec<String>,
}

impl Opts {
    /// Fail with a usage error when any operand was given (for dcmds that
    /// take options only).
    pub fn no_operands(&self) -> Result<(), DcmdError> {
        match self.operands.first() {
            Some(w) => Err(DcmdError::Usage(format!("unexpected argument {w:?}"))),
            None => Ok(()),
        }
    }

    pub fn parse(args: &[String], flags: &str, valued: &str) -> Result<Opts, DcmdError> {
        let mut o = Opts::default();
        let mut i = 0;
        let mut only_operands = false;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if only_operands || !a.starts_with('-') || a == "-" || a.parse::<i64>().is_ok() {
                o.operands.push(a.clone());
                continue;
            }
            if a == "--" {
                only_operands = true;
                continue;
            }
            let letters: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < letters.len() {
                let c = letters[j];
                if flags.contains(c) {
                    o.flags.push(c);
                    j += 1;
                } else if valued.contains(c) {
                    let rest: String = letters[j + 1..].iter().collect();
                    let v = if !rest.is_empty() {
                        rest
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return Err(DcmdError::Usage(format!("option -{c} requires a value")));
                    };
                    o.values.push((c, v));
                    break;
                } else {
                    return Err(DcmdError::Usage(format!("unknown option -{c}")));
                }
            }
        }
        Ok(o)
    }
    pub fn has(&self, c: char) -> bool {
        self.flags.contains(&c)
    }
    /// The last value given for option `c`.
    pub fn value(&self, c: char) -> Option<&str> {
        self.values.iter().rev().find(|(k, _)| *k == c).map(|(_, v)| v.as_str())
    }
    /// All values given for a repeatable option.
    pub fn all(&self, c: char) -> impl Iterator<Item = &str> {
        self.values.iter().filter(move |(k, _)| *k == c).map(|(_, v)| v.as_str())
    }
}
