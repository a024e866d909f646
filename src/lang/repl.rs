//! The interactive prompt: line editing, history, tab completion and
//! Ctrl-C handling around [`exec::run`].
//!
//! Ctrl-C at the prompt clears the line; while a command runs it sets
//! [`INTERRUPTED`], which dcmds poll, and the command stops but the session
//! goes on. Ctrl-D or `$q` ends the session. A blank line repeats the last
//! memory format at the next address, as mdb does.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Once;
use std::sync::atomic::Ordering;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use crate::lang::exec::{self, Outcome, display_name};
use crate::session::{INTERRUPTED, Session};

/// Route SIGINT to [`INTERRUPTED`] instead of killing the process. Safe to
/// call more than once.
pub fn install_interrupt_handler() -> Result<(), String> {
    static ONCE: Once = Once::new();
    let mut r = Ok(());
    ONCE.call_once(|| {
        r = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::Relaxed)).map_err(|e| e.to_string());
    });
    r
}

/// Where history is kept: `$JMDB_HISTORY`, else `~/.jmdb_history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("JMDB_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".jmdb_history"))
}

/// Completion data, copied out of the registry once.
pub struct JmdbHelper {
    /// (name as typed, option words)
    dcmds: Vec<(String, &'static [&'static str])>,
    walkers: Vec<&'static str>,
}

impl JmdbHelper {
    pub fn new(s: &Session) -> JmdbHelper {
        let mut dcmds: Vec<(String, &'static [&'static str])> =
            s.registry.dcmds.iter().map(|d| (display_name(d.name), d.options)).collect();
        dcmds.sort();
        let mut walkers: Vec<&'static str> = s.registry.walkers.iter().map(|w| w.name).collect();
        walkers.sort();
        JmdbHelper { dcmds, walkers }
    }

    /// Candidates for the word ending at the end of `before` (one line).
    pub fn candidates(&self, before: &str) -> (usize, Vec<String>) {
        // The current command: after the last `;` or `|` (quotes ignored).
        let seg_start = before.rfind([';', '|', '\n']).map_or(0, |i| i + 1);
        let seg = &before[seg_start..];
        let wstart = seg.rfind([' ', '\t']).map_or(0, |i| i + 1);
        let word = &seg[wstart..];
        let at = seg_start + wstart;
        // Completing a dcmd name: `::na`, `addr::na` or `$`.
        if let Some(p) = word.find("::") {
            let part = &word[p..];
            let names = self.dcmds.iter().map(|(n, _)| n).filter(|n| n.starts_with(part));
            return (at + p, names.cloned().collect());
        }
        if word.starts_with('$') && seg[..wstart].trim().is_empty() {
            let names = self.dcmds.iter().map(|(n, _)| n).filter(|n| n.starts_with('$') && n.starts_with(word));
            return (at, names.cloned().collect());
        }
        // An argument: find this command's dcmd name.
        let head = &seg[..wstart];
        let Some(name) = dcmd_in(head) else { return (at, Vec::new()) };
        let first_arg = head[head.find(&name).map_or(0, |i| i + name.len())..].trim().is_empty();
        let mut out: Vec<String> = Vec::new();
        if first_arg && (name == "::walk") {
            out.extend(self.walkers.iter().filter(|w| w.starts_with(word)).map(|w| w.to_string()));
        } else if first_arg && name == "::help" {
            out.extend(self.dcmds.iter().map(|(n, _)| n).filter(|n| n.starts_with(word)).cloned());
        }
        if (word.is_empty() || word.starts_with('-'))
            && let Some((_, opts)) = self.dcmds.iter().find(|(n, _)| *n == name)
        {
            out.extend(opts.iter().filter(|o| o.starts_with(word)).map(|o| o.to_string()));
        }
        (at, out)
    }
}

/// The dcmd named in the text of one command (`::name` or `$X`).
fn dcmd_in(head: &str) -> Option<String> {
    if let Some(p) = head.find("::") {
        let name: String = head[p + 2..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_.`".contains(*c)).collect();
        return Some(format!("::{name}"));
    }
    let t = head.trim_start();
    let mut cs = t.chars();
    match (cs.next(), cs.next()) {
        (Some('$'), Some(c)) => Some(format!("${c}")),
        _ => None,
    }
}

impl Completer for JmdbHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let (start, words) = self.candidates(before);
        Ok((start, words.into_iter().map(|w| Pair { display: w.clone(), replacement: w }).collect()))
    }
}

impl Hinter for JmdbHelper {
    type Hint = String;
}

impl Highlighter for JmdbHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Borrowed(line)
    }
}

impl Validator for JmdbHelper {}

impl Helper for JmdbHelper {}

/// Read, run and print until `$q`, `::quit` or end of input.
pub fn run(s: &mut Session, out: &mut dyn Write) -> Result<(), String> {
    install_interrupt_handler()?;
    // A person reads each command's output: slow follow-ups may start in
    // the background meanwhile (the reference index after a heap scan).
    s.interactive = true;
    let config = Config::builder().completion_type(CompletionType::List).auto_add_history(false).build();
    let mut rl: Editor<JmdbHelper, DefaultHistory> = Editor::with_config(config).map_err(|e| e.to_string())?;
    rl.set_helper(Some(JmdbHelper::new(s)));
    let hist = history_path();
    if let Some(h) = &hist {
        let _ = rl.load_history(h);
    }
    loop {
        match rl.readline("> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    exec::repeat(s, out);
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                if exec::run(s, &line, out) == Outcome::Quit {
                    break;
                }
                s.lang.broken_pipe = false;
            }
            // Ctrl-C at the prompt: abandon the line.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                if let Some(h) = &hist {
                    let _ = rl.save_history(h);
                }
                return Err(e.to_string());
            }
        }
    }
    if let Some(h) = &hist {
        let _ = rl.save_history(h);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> JmdbHelper {
        JmdbHelper {
            dcmds: vec![
                ("$C".into(), &[]),
                ("::dcmds".into(), &[]),
                ("::dis".into(), &["-n", "-w"]),
                ("::help".into(), &[]),
                ("::walk".into(), &[]),
            ],
            walkers: vec!["thread", "jsframe"],
        }
    }

    #[test]
    fn completes_names_options_and_walkers() {
        let h = helper();
        assert_eq!(h.candidates("::d"), (0, vec!["::dcmds".to_string(), "::dis".to_string()]));
        assert_eq!(h.candidates("main::di"), (4, vec!["::dis".to_string()]));
        assert_eq!(h.candidates("1; $"), (3, vec!["$C".to_string()]));
        assert_eq!(h.candidates("main::dis -"), (10, vec!["-n".to_string(), "-w".to_string()]));
        assert_eq!(h.candidates("::walk t"), (7, vec!["thread".to_string()]));
        assert_eq!(h.candidates("::help ::w"), (7, vec!["::walk".to_string()]));
        assert_eq!(h.candidates("::walk x | ::d").1.len(), 2);
        assert!(h.candidates("10+").1.is_empty());
    }
}
