//! The `jmdb` command: open a core (or nothing), then run commands from
//! `-e`, from standard input, or at an interactive prompt.
//!
//! Exit status: 0 when every command succeeded, 1 when one failed, 2 for
//! bad usage or a core that cannot be opened. Results go to stdout;
//! warnings, errors and the banner to stderr.

use std::io::{BufRead, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use jmdb::corefile;
use jmdb::lang::exec::{self, Outcome};
use jmdb::lang::repl;
use jmdb::session::Session;
use jmdb::target::{OpenOptions, Target};

#[derive(Parser, Debug)]
#[command(
    name = "jmdb",
    version,
    about = "A post-mortem debugger for Node.js core files, with mdb's command language.",
    override_usage = "jmdb [OPTIONS] [EXECUTABLE] [CORE]",
    after_help = "With one file, it is the core; with two, the executable then the core. \
Without a core, expressions, formats and ::help still work.\n\
Commands come from -e, else from standard input when it is not a terminal, \
else from an interactive prompt (::help explains the language)."
)]
struct Cli {
    /// Run these commands, then exit (repeatable; ';' or newlines separate commands)
    #[arg(short = 'e', long = "eval", value_name = "CMDS", allow_hyphen_values = true)]
    eval: Vec<String>,
    /// Look for the core's executable and libraries under DIR first (cores from another machine)
    #[arg(short = 'R', long, value_name = "DIR")]
    sysroot: Option<PathBuf>,
    /// Do not print the banner at the interactive prompt
    #[arg(short, long)]
    quiet: bool,
    /// The executable (when two files are given), or the core
    #[arg(value_name = "EXECUTABLE")]
    first: Option<PathBuf>,
    /// The core file
    #[arg(value_name = "CORE")]
    second: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (executable, core) = match (cli.first, cli.second) {
        (Some(exe), Some(core)) => (Some(exe), Some(core)),
        (core, None) => (None, core),
        (None, Some(core)) => (None, Some(core)),
    };
    let target = match core {
        Some(core) => match Target::open(&OpenOptions { core, executable, sysroot: cli.sysroot }) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("jmdb: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    if let Some(t) = &target {
        for w in &t.warnings {
            eprintln!("jmdb: warning: {w}");
        }
    }
    let mut s = Session::new(target, jmdb::dcmds::registry(), Box::new(std::io::stderr()));
    // Ctrl-C stops the running command rather than the debugger.
    if let Err(e) = repl::install_interrupt_handler() {
        eprintln!("jmdb: warning: cannot catch Ctrl-C: {e}");
    }

    let stdin = std::io::stdin();
    if !cli.eval.is_empty() {
        let mut out = BufWriter::new(std::io::stdout().lock());
        for cmds in &cli.eval {
            if stop(exec::run(&mut s, cmds, &mut out), &s) {
                break;
            }
        }
        let _ = out.flush();
    } else if !stdin.is_terminal() {
        let mut out = BufWriter::new(std::io::stdout().lock());
        let mut input = stdin.lock();
        let mut line = Vec::new();
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    if stop(exec::run(&mut s, &String::from_utf8_lossy(&line), &mut out), &s) {
                        break;
                    }
                }
                Err(e) => {
                    eprintln!("jmdb: reading commands: {e}");
                    s.failed = true;
                    break;
                }
            }
        }
        let _ = out.flush();
    } else {
        if !cli.quiet {
            eprintln!("{}", banner(&s));
        }
        let stdout = std::io::stdout();
        s.lang.shell_inherits_stdio = stdout.is_terminal();
        let mut out = stdout;
        if let Err(e) = repl::run(&mut s, &mut out) {
            eprintln!("jmdb: {e}");
            return ExitCode::from(1);
        }
        return ExitCode::SUCCESS;
    }
    if s.failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// Whether batch input should stop after this outcome.
fn stop(o: Outcome, s: &Session) -> bool {
    matches!(o, Outcome::Quit | Outcome::Interrupted) || s.lang.broken_pipe
}

/// One line on stderr: what was opened.
fn banner(s: &Session) -> String {
    let Some(t) = &s.target else {
        return "jmdb: no core loaded; expressions, formats and ::help work. Type ::help for help.".into();
    };
    let mut parts = vec![format!("core {}", t.core_path.display())];
    if let Some(exe) = &t.exe_name {
        parts.push(exe.clone());
    }
    if let Some(pid) = t.pid() {
        parts.push(format!("pid {pid}"));
    }
    let sig = t
        .siginfo()
        .map(|si| si.signo)
        .filter(|&n| n != 0)
        .or_else(|| t.threads.get(t.signalled_thread()).map(|th| th.cursig).filter(|&n| n != 0));
    if let Some(sig) = sig {
        parts.push(corefile::signal_name(sig).0.to_string());
    }
    format!("jmdb: {}. Type ::help for help.", parts.join(", "))
}
