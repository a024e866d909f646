//! V8 internals: `::v8metadata` and the `::v8*` family.

use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::session::Session;
use crate::v8::layout::Source;

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "v8metadata",
        synopsis: "[-a] [-m]",
        summary: "show each V8 layout value jmdb uses and where it came from",
        help: V8METADATA_HELP,
        options: &["-a", "-m"],
        handler: v8metadata,
    });
}

const V8METADATA_HELP: &str = "\
SYNOPSIS
  ::v8metadata [-a] [-m]

DESCRIPTION
  Every V8 layout value jmdb uses is resolved once, through one table:
  first the binary's postmortem metadata (v8dbg_* symbols, matched by class
  and field whatever their type suffix), then a fallback for the V8 version
  with the V8 source it was read from. This prints that table: the name,
  the value, and its source. Values no source covers are flagged MISSING;
  the commands that need them say so instead of guessing.

  The header says which object carried the metadata (the executable, or a
  libnode.so) and the V8 version.

OPTIONS
  -a   also list every raw v8dbg_* and nodedbg_* symbol with its value
  -m   only the missing values

EXAMPLES
  > ::v8metadata
  > ::v8metadata -m
  > ::v8metadata -a ! grep frametype
";

fn v8metadata(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "am", "")?;
    if let Some(op) = o.operands.first() {
        return Err(DcmdError::Usage(format!("unexpected argument {op}")));
    }
    let v8 = s.v8()?;
    writeln!(out, "V8 {} metadata from {} ({} v8dbg, {} nodedbg symbols)", v8.version_string(), v8.meta.module, v8.meta.v8.len(), v8.meta.node.len())?;
    let fields = v8.layout.fields();
    let missing = fields.iter().filter(|f| f.value.is_none()).count();
    writeln!(out, "{} layout values, {} missing", fields.len(), missing)?;
    writeln!(out)?;
    writeln!(out, "{:<34} {:>12}  SOURCE", "NAME", "VALUE")?;
    for f in fields {
        if o.has('m') && f.value.is_some() {
            continue;
        }
        let v = f.value.map(|v| v.to_string()).unwrap_or_else(|| "MISSING".into());
        let src = match &f.source {
            Source::Metadata(n) => {
                let prefix = if n.starts_with("nodedbg_") { "" } else { "v8dbg_" };
                format!("metadata {prefix}{n}")
            }
            Source::Fallback(why) => format!("fallback: {why}"),
            Source::Missing => "no metadata symbol and no fallback for this version".into(),
        };
        writeln!(out, "{:<34} {:>12}  {src}", f.name, v)?;
    }
    if o.has('a') {
        writeln!(out)?;
        for (k, v) in &v8.meta.v8 {
            writeln!(out, "v8dbg_{k} = {} ({:?})", v.value, v.origin)?;
        }
        for (k, v) in &v8.meta.node {
            writeln!(out, "{k} = {} ({:?})", v.value, v.origin)?;
        }
    }
    Ok(())
}
