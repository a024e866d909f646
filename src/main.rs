//! The `jmdb` command: open a core, attach to a live process (`-p PID`), or
//! open nothing, then run commands from `-e`, from standard input, or at an
//! interactive prompt. `jmdb gcore PID` writes a core of a live process.
//!
//! Exit status: 0 when every command succeeded, 1 when one failed, 2 for
//! bad usage or a core (or process) that cannot be opened. Results go to stdout;
//! warnings, errors and the banner to stderr.

use std::io::{BufRead, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use jmdb::corefile;
use jmdb::lang::exec::{self, Outcome};
use jmdb::lang::repl;
use jmdb::session::Session;
use jmdb::target::{AttachOptions, OpenOptions, Target};

mod demos;

#[derive(Parser, Debug)]
#[command(
    name = "jmdb",
    version,
    about = "A post-mortem debugger for Node.js core files and live processes, with mdb's command language.",
    override_usage = "jmdb [OPTIONS] [EXECUTABLE] [CORE]\n       jmdb [OPTIONS] -p PID\n       jmdb gcore PID [-o FILE]\n       jmdb profile -p PID [--duration S] [--rate HZ] [-o PREFIX]\n       jmdb demo oom|spin [--batch | -e CMDS] [--dir DIR]",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    after_help = "With one file, it is the core; with two, the executable then the core. \
With -p PID, jmdb attaches to the live process with ptrace, stops it while commands run \
(every dcmd works as on a core; ::gcore writes a core), and lets it run on when it exits. \
Without a core, expressions, formats and ::help still work.\n\
Commands come from -e, else from standard input when it is not a terminal, \
else from an interactive prompt (::help explains the language)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Attach to the live process PID (read-only; it is stopped while jmdb runs)
    #[arg(short = 'p', long = "pid", value_name = "PID", conflicts_with_all = ["first", "second"])]
    pid: Option<u32>,
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

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a workshop story end to end: oom (a server dies of "heap out of
    /// memory"; jmdb catches the core) or spin (a CPU-bound program: a live
    /// profile and a core)
    Demo {
        #[arg(value_enum)]
        story: Story,
        /// Run the story's commands on the core and exit, instead of the prompt
        #[arg(long)]
        batch: bool,
        /// Run these commands on the core and exit (repeatable)
        #[arg(short = 'e', long = "eval", value_name = "CMDS", allow_hyphen_values = true)]
        eval: Vec<String>,
        /// Where the core and the other files go (default ./jmdb-demo-STORY)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The node to run (default: $JMDB_NODE, `node` on PATH, else one fetched with npm)
        #[arg(long, value_name = "PATH")]
        node: Option<PathBuf>,
        /// spin: seconds to profile
        #[arg(long, value_name = "S", default_value_t = 3.0)]
        duration: f64,
    },
    /// Profile a live process: sample its JS and native stack, write folded
    /// stacks (PREFIX.folded) and a flame graph (PREFIX.svg)
    Profile {
        /// The process
        #[arg(short = 'p', long = "pid", value_name = "PID")]
        pid: u32,
        /// Seconds to sample
        #[arg(long, value_name = "S", default_value_t = 5.0)]
        duration: f64,
        /// Samples per second
        #[arg(long, value_name = "HZ", default_value_t = 99.0)]
        rate: f64,
        /// Sample every thread (each stack rooted at [thread name]), not just the main thread
        #[arg(short = 'a', long = "all-threads")]
        all_threads: bool,
        /// Output prefix (default: profile.PID)
        #[arg(short = 'o', long = "output", value_name = "PREFIX")]
        output: Option<PathBuf>,
    },
    /// Write a core file of a live process (attach, write, detach), as ::gcore does
    Gcore {
        /// The process
        #[arg(value_name = "PID")]
        pid: u32,
        /// The core file to write (default: core.PID)
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Story {
    Oom,
    Spin,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Gcore { pid, output }) => return gcore(pid, output, cli.sysroot),
        Some(Command::Demo { story, batch, eval, dir, node, duration }) => {
            let o = demos::DemoOptions { batch, eval, dir, node, duration: Duration::from_secs_f64(duration.clamp(0.1, 3600.0)) };
            return match story {
                Story::Oom => demos::oom(&o),
                Story::Spin => demos::spin(&o),
            };
        }
        Some(Command::Profile { pid, duration, rate, all_threads, output }) => {
            return profile(pid, duration, rate, all_threads, output, cli.sysroot);
        }
        None => {}
    }
    let (executable, core) = match (cli.first, cli.second) {
        (Some(exe), Some(core)) => (Some(exe), Some(core)),
        (core, None) => (None, core),
        (None, Some(core)) => (None, Some(core)),
    };
    let target = match (core, cli.pid) {
        (_, Some(pid)) => match Target::attach(&AttachOptions { pid, sysroot: cli.sysroot }) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("jmdb: cannot attach: {e}");
                return ExitCode::from(2);
            }
        },
        (Some(core), None) => match Target::open(&OpenOptions { core, executable, sysroot: cli.sysroot }) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("jmdb: {e}");
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    if let Some(t) = &target {
        for w in &t.warnings {
            eprintln!("jmdb: warning: {w}");
        }
    }
    let mut s = Session::new(target, jmdb::dcmds::registry(), Box::new(std::io::stderr()));
    s.err_is_tty = std::io::stderr().is_terminal();
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
        return interactive(&mut s, cli.quiet);
    }
    if s.failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The interactive prompt, until the user quits.
fn interactive(s: &mut Session, quiet: bool) -> ExitCode {
    if !quiet {
        eprintln!("{}", banner(s));
    }
    let stdout = std::io::stdout();
    s.lang.shell_inherits_stdio = stdout.is_terminal();
    let mut out = stdout;
    if let Err(e) = repl::run(s, &mut out) {
        eprintln!("jmdb: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// `jmdb profile -p PID`: sample, write PREFIX.folded and PREFIX.svg, print
/// a summary.
fn profile(pid: u32, duration: f64, rate: f64, all_threads: bool, output: Option<PathBuf>, sysroot: Option<PathBuf>) -> ExitCode {
    if !(rate > 0.0 && rate <= 10_000.0 && duration > 0.0) {
        eprintln!("jmdb: profile: --rate must be in (0, 10000] and --duration positive");
        return ExitCode::from(2);
    }
    let mut t = match Target::attach(&AttachOptions { pid, sysroot }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("jmdb: cannot attach: {e}");
            return ExitCode::from(2);
        }
    };
    let v8 = match jmdb::v8::V8::load(&t) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("jmdb: profile: process {pid} has no V8 jmdb can read ({e}); is it node?");
            return ExitCode::from(2);
        }
    };
    let opts = jmdb::profile::ProfileOptions { duration: Duration::from_secs_f64(duration.min(86_400.0)), rate, all_threads };
    // Ctrl-C ends sampling early; the profile so far is still written.
    if let Err(e) = repl::install_interrupt_handler() {
        eprintln!("jmdb: warning: cannot catch Ctrl-C: {e}");
    }
    eprintln!("jmdb: profiling pid {pid} for {duration} s at {rate} Hz ({})", if all_threads { "every thread" } else { "main thread" });
    let prof = match jmdb::profile::run(&mut t, &v8, &opts, &jmdb::session::INTERRUPTED) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("jmdb: profile: {e}");
            return ExitCode::from(1);
        }
    };
    drop(t);
    let prefix = output.unwrap_or_else(|| PathBuf::from(format!("profile.{pid}")));
    let mut out = std::io::stdout().lock();
    let _ = demos::print_summary(&prof, &mut out);
    match demos::write_profile(&prof, &prefix, &format!("jmdb profile -p {pid}")) {
        Ok((folded, svg)) => {
            let _ = writeln!(out, "    folded stacks: {}\n    flame graph:   {}", folded.display(), svg.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("jmdb: profile: {}", e.0);
            ExitCode::from(1)
        }
    }
}

/// `jmdb gcore PID`: attach, write, detach (dropping the target detaches).
fn gcore(pid: u32, output: Option<PathBuf>, sysroot: Option<PathBuf>) -> ExitCode {
    let t = match Target::attach(&AttachOptions { pid, sysroot }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("jmdb: cannot attach: {e}");
            return ExitCode::from(2);
        }
    };
    let path = output.unwrap_or_else(|| PathBuf::from(format!("core.{pid}")));
    match jmdb::gcore::write_core(&t, &path) {
        Ok(st) => {
            if st.unreadable_pages > 0 {
                eprintln!("jmdb: warning: {} page(s) could not be read and were written as zeros", st.unreadable_pages);
            }
            eprintln!(
                "jmdb: wrote {}: {} threads, {} mappings ({} with contents), {} bytes",
                path.display(),
                st.threads,
                st.segments,
                st.dumped_segments,
                st.bytes
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("jmdb: gcore: {e}");
            ExitCode::from(1)
        }
    }
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
    let mut parts = vec![match t.live() {
        Some(p) => format!("live process {} (stopped until jmdb exits)", p.pid()),
        None => format!("core {}", t.core_path.display()),
    }];
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
