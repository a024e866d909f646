//! The Node.js layer: `::nodeinfo`, `::nodeenvs`, `::nodehandles`,
//! `::noderequests`, `::jserror`.

use std::io::Write;

use crate::lang::dcmd::{Dcmd, DcmdError, DcmdResult, Invocation, Opts, Registry};
use crate::memory::Memory;
use crate::target::Target;
use crate::unwind::Stack;
use crate::node::{self, Environment, Queue};
use crate::session::Session;
use crate::v8::object::{self, Elem, PropValue};
use crate::v8::{Heap, collections, context, function, string};

use super::findjsobjects::findings;
use super::jsstack::short_value;

pub fn register(r: &mut Registry) {
    r.add(Dcmd {
        name: "nodeinfo",
        synopsis: "?[-E]",
        summary: "print the Node.js process: versions, argv, execPath, cwd, environment",
        help: NODEINFO_HELP,
        options: &["-E"],
        handler: nodeinfo,
    });
    r.add(Dcmd {
        name: "nodeenvs",
        synopsis: "",
        summary: "list the Node.js instances (main thread, workers) and their native contexts",
        help: NODEENVS_HELP,
        options: &[],
        handler: nodeenvs,
    });
    r.add(Dcmd {
        name: "nodehandles",
        synopsis: "?[-v]",
        summary: "list the libuv handles alive (TCP, Pipe, TTY, Signal, ...) with their JS objects",
        help: NODEHANDLES_HELP,
        options: &["-v"],
        handler: nodehandles,
    });
    r.add(Dcmd {
        name: "noderequests",
        synopsis: "?[-v]",
        summary: "list the libuv requests in flight (fs, writes, DNS, connects) with their JS objects",
        help: NODEREQUESTS_HELP,
        options: &["-v"],
        handler: noderequests,
    });
    r.add(Dcmd {
        name: "jserror",
        synopsis: "?[-a]",
        summary: "print the exception that killed the process, or an Error's message and stack",
        help: JSERROR_HELP,
        options: &["-a"],
        handler: jserror,
    });
}

const NODEINFO_HELP: &str = "\
SYNOPSIS
  ::nodeinfo [-E]
  addr::nodeinfo [-E]

DESCRIPTION
  Prints what the Node.js process object says about the process: pid,
  platform and arch, node's and its libraries' versions, execPath, argv,
  execArgv and the title, then the working directory and the environment.

  The process object is found by the heap scan (the object whose
  constructor is `process`; a worker has its own); addr names one.

  The working directory is the one process.cwd() returned, which node
  caches the first time a program asks (most do); when it never asked,
  $PWD from the environment is shown, marked as such. The environment is
  the one the process started with, read from its initial stack
  (variables the program set or deleted later are not seen: node keeps
  them in the C library's environ, not on the JS heap).

OPTIONS
  -E   print the environment's variable names only, not their values
       (for sharing output)

EXAMPLES
  > ::nodeinfo
  process object  2f1b11b0a4f1 (native context 2f1b11b03c69)
  instance        Environment 5b7e3a0, thread 1 (tid 3501)
  pid             3501  (ppid 3483)
  platform        linux x64
  version         v22.23.3
  versions        node 22.23.3, v8 12.4.254.21-node.57, uv 1.51.0, ...
  execPath        /usr/bin/node
  argv            /usr/bin/node /srv/app/server.js
  execArgv        --max-old-space-size=512
  title           node
  cwd             /srv/app
  environment     23 variables (as the process started)
    HOME=/root
    ...
  > ::nodeinfo -E
";

const NODEENVS_HELP: &str = "\
SYNOPSIS
  ::nodeenvs

DESCRIPTION
  Lists each node::Environment (one per Node.js instance: the main
  thread's and one per worker thread) with the native contexts that
  belong to it, the number of libuv handles and requests it holds, and
  the thread running JavaScript in it where a thread's stack says so.
  Pass an ENVIRONMENT to env::nodehandles and env::noderequests to see
  one instance; ::thread N or ::jsstack -t N selects its thread.
  Native contexts come from the heap: every map's meta map holds its
  native context, whose embedder data points at the Environment.

EXAMPLES
  > ::nodeenvs
  ENVIRONMENT       NATIVE CONTEXTS          HANDLES REQUESTS THREAD
  5b7e3a0           2f1b11b03c69                   3        1 1 (tid 3501)
";

const NODEHANDLES_HELP: &str = "\
SYNOPSIS
  ::nodehandles [-v]
  env::nodehandles [-v]

DESCRIPTION
  Lists the libuv handles every Node.js instance keeps alive, as its
  Environment's handle_wrap_queue_ holds them (what
  process._getActiveHandles() shows of them): the C++ wrap, its JS object
  and its type (TCP, Pipe, TTY, Process, Signal, UDP, FSEvent, ...), and
  what can be read of it: the server or socket that owns a TCP handle and
  the address a server listens on. JavaScript timers are not libuv
  handles (node runs them all from one uv timer): the live Timeout objects
  are listed after the wraps, with no WRAP, with their delay, whether they
  repeat, and their callback.

  Every instance's handles are listed (with an ENVIRONMENT column when
  there are workers); env::nodehandles lists one instance's, env being an
  Environment or a native context ::nodeenvs printed.

  Piped, it prints the JS objects' addresses:
    ::nodehandles | ::jsprint

OPTIONS
  -v   print each handle's JS object with ::jsprint's short form

EXAMPLES
  > ::nodehandles
  WRAP          OBJECT        TYPE           DETAIL
  c567b80       2009d6ba8ab9  TCP            Server listening on 127.0.0.1, an ephemeral port (listen(0))
  c569250       2009d6bad2a9  TCP            Socket peer 127.0.0.1:34381
  c569990       2009d6badeb9  TCP            Socket (accepted by Server 91eb1d3f7f9)
  -             2009d6baf191  Timeout        timer: every 60000 ms; callback: <anonymous> (/app/handles.js:59:17)
  > ::nodehandles | ::jsprint -d 0
";

const NODEREQUESTS_HELP: &str = "\
SYNOPSIS
  ::noderequests [-v]
  env::noderequests [-v]

DESCRIPTION
  Lists the libuv requests in flight, as each Environment's
  req_wrap_queue_ holds them (what process._getActiveRequests() shows):
  the C++ wrap, its JS object and its type (FSReqCallback, WriteWrap,
  ShutdownWrap, GetAddrInfoReqWrap, TCPConnectWrap, ...), and the
  function that will run when it completes (oncomplete), with where it
  was defined. A request still queued at a crash is work the process was
  waiting for.

  env::noderequests lists one instance's (an Environment or a native
  context ::nodeenvs printed). Piped, it prints the JS objects' addresses.

OPTIONS
  -v   print each request's JS object with ::jsprint's short form

EXAMPLES
  > ::noderequests
  WRAP          OBJECT        TYPE           DETAIL
  c575a20       2009d6baf031  FSReqCallback  oncomplete: <anonymous> (node:fs:186:10); callback: onFifoOpen (/app/handles.js:58:24)
";

const JSERROR_HELP: &str = "\
SYNOPSIS
  ::jserror [-a]
  addr::jserror

DESCRIPTION
  Without an address, prints the exception in flight when the process
  died: with --abort-on-uncaught-exception node aborts inside V8's throw,
  with the exception still referenced from the throwing thread's native
  frames. When the selected thread is inside V8's throw (Isolate::Throw,
  CreateMessageOrAbort...), the Error objects its stack points at are the
  candidates, the innermost first; the first is shown with its message
  and the stack it captured. A process that died otherwise
  (process.abort(), a signal, a native crash) usually has no exception in
  flight, and this says so.

  With an address, prints that Error: its class, message, other own
  properties (code, errno, path...), and its captured stack. A stack V8
  has not formatted yet (nobody read err.stack) is formatted from the
  call-site records V8 keeps (function, receiver, bytecode offset), as
  node would print it.

  -a lists every Error object in the heap, one line each (class and
  message); piped, their addresses.

OPTIONS
  -a   every Error in the heap

EXAMPLES
  > ::jserror
  exception in flight (thread 1's stack, at 7ffcd08a9f68):
  1e75fbaea41 Error: boom
      at validateEntry (/app/uncaught.js:26:58)
      at parseSection (/app/uncaught.js:32:10)
      at loadConfig (/app/uncaught.js:36:10)
      at Object.<anonymous> (/app/uncaught.js:39:1)
  > ::jserror -a
  > ::jserror -a | ::jserror
";

/// The scan's native contexts and their Environments.
fn envs(s: &mut Session) -> Result<Vec<Environment>, DcmdError> {
    let (f, _) = findings(s, false)?;
    let h = s.heap()?;
    // A few of each group: enough to meet every realm's maps and functions.
    let objs = f.groups.iter().flat_map(|g| g.members.iter().take(4).copied());
    let contexts = node::native_contexts(&h, objs);
    let envs = node::environments(&h, &contexts);
    if envs.is_empty() {
        return Err(DcmdError::Failed(format!(
            "no native context ({} found) names a node::Environment: is this a Node.js process?",
            contexts.len()
        )));
    }
    Ok(envs)
}

/// A primitive as text: a string's contents, a number, true/false...
fn text(h: &Heap, v: u64) -> String {
    if string::is_string(h, v) {
        return match string::read_string(h, v, 4096) {
            Ok(s) if s.truncated => format!("{}...", s.text),
            Ok(s) => s.text,
            Err(e) => format!("(unreadable string: {e})"),
        };
    }
    short_value(h, v)
}

/// Is `v` a JS object (not a primitive, not an internal V8 object)?
fn is_js_object(h: &Heap, v: u64) -> bool {
    h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.is_js_receiver_type(t))
}

/// An own data property's value (a symbol key by its `Symbol(desc)` name).
fn prop(h: &Heap, obj: u64, name: &str) -> Option<u64> {
    match object::find_property(h, obj, name).ok()??.value {
        PropValue::Data(v) => Some(v),
        PropValue::Accessor { .. } => None,
    }
}

fn prop_text(h: &Heap, obj: u64, name: &str) -> Option<String> {
    prop(h, obj, name).map(|v| text(h, v))
}

/// An array's elements as text.
fn array_texts(h: &Heap, arr: u64) -> Vec<String> {
    match object::elements(h, arr, None, 10_000) {
        Ok(e) => e
            .items
            .iter()
            .map(|(_, el)| match el {
                Elem::Value(v) => text(h, *v),
                Elem::Double(d) => d.to_string(),
                Elem::Hole => "<hole>".into(),
            })
            .collect(),
        Err(e) => vec![format!("(unreadable: {e})")],
    }
}

/// Quote words with spaces, as a shell would need.
fn shell_words(words: &[String]) -> String {
    words.iter().map(|w| if w.is_empty() || w.contains(' ') { format!("{w:?}") } else { w.clone() }).collect::<Vec<_>>().join(" ")
}

fn nodeinfo(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "E", "")?;
    o.no_operands()?;
    let procs: Vec<u64> = if inv.addr_given {
        vec![inv.dot]
    } else {
        let (f, _) = findings(s, false)?;
        // The process object itself, not its prototype: it has a version.
        f.groups
            .iter()
            .filter(|g| g.constructor == "process" && g.props.iter().any(|p| p == "version"))
            .flat_map(|g| g.members.iter().copied())
            .collect()
    };
    if procs.is_empty() {
        return Err(DcmdError::Failed("no object made by the `process` constructor was found on the heap".into()));
    }
    let h = s.heap()?;
    let t = h.t;
    let threads = thread_contexts(&h);
    for (n, &p) in procs.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let ctx = node::native_contexts(&h, [p]).first().copied();
        match ctx {
            Some(c) => writeln!(out, "process object  {p:x} (native context {c:x})")?,
            None => writeln!(out, "process object  {p:x}")?,
        }
        // Which Node.js instance: the Environment, and the thread running
        // JavaScript in it when a stack says so (main thread or a worker).
        if let Some(c) = ctx
            && let Ok(Some(env)) = node::environment_of(&h, c)
        {
            let thread = threads.iter().find(|(_, tc)| *tc == c).map(|(i, _)| &t.threads[*i]);
            match thread {
                Some(th) => writeln!(out, "instance        Environment {env:x}, thread {} (tid {})", th.index, th.tid)?,
                None => writeln!(out, "instance        Environment {env:x}")?,
            }
        }
        let pid = prop_text(&h, p, "pid").or_else(|| t.pid().map(|p| p.to_string())).unwrap_or_else(|| "?".into());
        // ppid is a getter on some versions: the core's prpsinfo has it.
        let ppid = prop_text(&h, p, "ppid").or_else(|| t.psinfo().filter(|ps| ps.ppid != 0).map(|ps| ps.ppid.to_string()));
        match ppid {
            Some(pp) => writeln!(out, "pid             {pid}  (ppid {pp})")?,
            None => writeln!(out, "pid             {pid}")?,
        }
        let platform = prop_text(&h, p, "platform").unwrap_or_else(|| "?".into());
        let arch = prop_text(&h, p, "arch").unwrap_or_else(|| "?".into());
        writeln!(out, "platform        {platform} {arch}")?;
        writeln!(out, "version         {}", prop_text(&h, p, "version").unwrap_or_else(|| "?".into()))?;
        if let Some(v) = prop(&h, p, "versions").filter(|v| h.is_heap_object(*v)) {
            let list = object::properties(&h, v, 200)
                .map(|ps| {
                    ps.list
                        .iter()
                        .filter_map(|q| match q.value {
                            PropValue::Data(x) => Some(format!("{} {}", q.name, text(&h, x))),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_else(|e| format!("(unreadable: {e})"));
            writeln!(out, "versions        {list}")?;
        }
        writeln!(out, "execPath        {}", prop_text(&h, p, "execPath").unwrap_or_else(|| "?".into()))?;
        for name in ["argv", "execArgv"] {
            match prop(&h, p, name).filter(|v| h.is_heap_object(*v)) {
                Some(a) => writeln!(out, "{name:<16}{}", shell_words(&array_texts(&h, a)))?,
                None => writeln!(out, "{name:<16}(not set)")?,
            }
        }
        if let Some(title) = prop_text(&h, p, "title") {
            writeln!(out, "title           {title}")?;
        }
        let env = t.initial_args().map(|(_, env)| env).unwrap_or_default();
        match cached_cwd(&h, p) {
            Some(cwd) => writeln!(out, "cwd             {cwd}")?,
            None => match env.iter().find_map(|e| e.strip_prefix("PWD=")) {
                Some(pwd) => writeln!(out, "cwd             unknown (process.cwd() never called); $PWD at start was {pwd}")?,
                None => writeln!(out, "cwd             unknown (process.cwd() never called)")?,
            },
        }
        if env.is_empty() {
            writeln!(out, "environment     unknown (the initial stack is not in the core)")?;
        } else {
            writeln!(out, "environment     {} variables (as the process started)", env.len())?;
            for e in &env {
                let shown = if o.has('E') { e.split_once('=').map_or(e.as_str(), |(k, _)| k) } else { e.as_str() };
                writeln!(out, "  {shown}")?;
            }
        }
    }
    Ok(())
}

/// What process.cwd() returned, if node cached it: the `cachedCwd`
/// variable its wrapper closes over
/// (lib/internal/bootstrap/switches/does_own_process_state.js).
fn cached_cwd(h: &Heap, process: u64) -> Option<String> {
    let f = prop(h, process, "cwd").filter(|f| function::is_function(h, *f))?;
    let vars = context::closure_variables(h, f).ok()?;
    let (_, v) = vars.iter().find(|(n, _)| n == "cachedCwd")?;
    let s = string::read_string(h, *v, 4096).ok()?;
    (!s.text.is_empty()).then_some(s.text)
}

fn nodeenvs(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "", "")?;
    o.no_operands()?;
    let envs = envs(s)?;
    let h = s.heap()?;
    let threads = thread_contexts(&h);
    if inv.piped_out {
        for e in &envs {
            writeln!(out, "{:x}", e.addr)?;
        }
        return Ok(());
    }
    writeln!(out, "{:<17} {:<24} {:>7} {:>8} THREAD", "ENVIRONMENT", "NATIVE CONTEXTS", "HANDLES", "REQUESTS")?;
    for e in &envs {
        let count = |q| node::wraps(&h, e.addr, q).map(|l| l.wraps.len().to_string()).unwrap_or_else(|_| "?".into());
        let ctxs = e.native_contexts.iter().map(|c| format!("{c:x}")).collect::<Vec<_>>().join(",");
        let thread = threads
            .iter()
            .filter(|(_, c)| e.native_contexts.contains(c))
            .map(|(i, _)| format!("{} (tid {})", h.t.threads[*i].index, h.t.threads[*i].tid))
            .next()
            .unwrap_or_else(|| "-".into());
        writeln!(out, "{:<17x} {:<24} {:>7} {:>8} {thread}", e.addr, ctxs, count(Queue::Handles), count(Queue::Requests))?;
    }
    Ok(())
}

/// For each thread running JavaScript, the native context of its
/// innermost JS frame.
fn thread_contexts(h: &Heap) -> Vec<(usize, u64)> {
    let t = h.t;
    let mut out = Vec::new();
    for (i, th) in t.threads.iter().enumerate() {
        let st = crate::unwind::unwind(t, &th.regs, 4096);
        // The innermost JS frame is enough: classify frames only up to it.
        let ctx = st.frames.iter().find_map(|f| crate::v8::frames::classify(h, f).js.and_then(|j| node::native_context_of(h, j.info.context?)));
        if let Some(c) = ctx {
            out.push((i, c));
        }
    }
    out
}

fn nodehandles(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    list_wraps(s, inv, out, Queue::Handles)
}

fn noderequests(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    list_wraps(s, inv, out, Queue::Requests)
}

fn list_wraps(s: &mut Session, inv: &Invocation, out: &mut dyn Write, q: Queue) -> DcmdResult {
    let o = Opts::parse(&inv.args, "v", "")?;
    o.no_operands()?;
    let mut envs = envs(s)?;
    // addr: one instance, by its Environment or one of its native contexts.
    if inv.addr_given {
        envs.retain(|e| e.addr == inv.dot || e.native_contexts.contains(&inv.dot));
        if envs.is_empty() {
            return Err(DcmdError::Failed(format!("{:x} is neither an Environment nor a native context of one (see ::nodeenvs)", inv.dot)));
        }
    }
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    {
        let h = s.heap()?;
        for e in &envs {
            let list = node::wraps(&h, e.addr, q)?;
            if let Some(why) = &list.broken {
                warnings.push(format!("Environment {:x}: {}: {why}", e.addr, q.name()));
            }
            rows.extend(list.wraps.into_iter().map(|w| (e.addr, w)));
        }
    }
    for w in warnings {
        s.warn(&w);
    }
    // JavaScript timers: node runs them all from one uv timer, so they are
    // no handle wraps; the live Timeout objects are what users mean.
    if q == Queue::Handles {
        let (f, _) = findings(s, false)?;
        let h = s.heap()?;
        for t in f.groups.iter().filter(|g| g.constructor == "Timeout").flat_map(|g| g.members.iter().copied()) {
            if prop_text(&h, t, "_destroyed").as_deref() != Some("false") {
                continue;
            }
            let env = node::native_contexts(&h, [t]).first().and_then(|c| node::environment_of(&h, *c).ok().flatten());
            let Some(env) = env.filter(|e| envs.iter().any(|x| x.addr == *e)) else { continue };
            rows.push((env, node::Wrap { addr: 0, object: Some(t) }));
        }
    }
    let h = s.heap()?;
    if inv.piped_out {
        for (_, w) in &rows {
            if let Some(o) = w.object {
                writeln!(out, "{o:x}")?;
            }
        }
        return Ok(());
    }
    let multi = envs.len() > 1;
    if multi {
        writeln!(out, "{:<13} {:<13} {:<13} {:<14} DETAIL", "ENVIRONMENT", "WRAP", "OBJECT", "TYPE")?;
    } else {
        writeln!(out, "{:<13} {:<13} {:<14} DETAIL", "WRAP", "OBJECT", "TYPE")?;
    }
    for (env, w) in &rows {
        let (ty, detail) = match w.object {
            Some(o) => (object::constructor_name(&h, o).unwrap_or_else(|_| "?".into()), describe(&h, o, q)),
            None => ("?".into(), "(its JS object is gone or unreadable)".into()),
        };
        let obj = w.object.map(|o| format!("{o:x}")).unwrap_or_else(|| "-".into());
        // A JS timer has no wrap of its own.
        let wrap = if w.addr == 0 { "-".to_string() } else { format!("{:x}", w.addr) };
        if multi {
            writeln!(out, "{env:<13x} {wrap:<13} {obj:<13} {ty:<14} {detail}")?;
        } else {
            writeln!(out, "{wrap:<13} {obj:<13} {ty:<14} {detail}")?;
        }
        if o.has('v') {
            if let Some(obj) = w.object {
                let v = crate::v8::value::decode(&h, obj, &crate::v8::value::DecodeOpts { depth: 1, ..Default::default() });
                let text = crate::v8::print::to_string(&v, &Default::default());
                for l in text.lines() {
                    writeln!(out, "    {l}")?;
                }
            }
        }
    }
    Ok(())
}

/// What a handle's or request's JS object says about it.
fn describe(h: &Heap, o: u64, q: Queue) -> String {
    let mut parts = Vec::new();
    if q == Queue::Requests {
        if let Some(f) = prop(h, o, "oncomplete").filter(|f| function::is_function(h, *f)) {
            if let Some(t) = function_text(h, f) {
                parts.push(format!("oncomplete: {t}"));
            }
            // Node's own wrapper (node:fs makeCallback...) closes over the
            // program's callback: name that too.
            if let Ok(info) = function::function_info(h, f)
                && super::jsfunc::location(h, &info).starts_with("node:")
                && let Ok(vars) = context::closure_variables(h, f)
                && let Some(cb) = vars.iter().map(|(_, v)| *v).find(|v| function::is_function(h, *v))
                && let Some(t) = function_text(h, cb)
            {
                parts.push(format!("callback: {t}"));
            }
        }
        if let Some(ctx) = prop(h, o, "context").filter(|c| h.is_heap_object(*c)) {
            if let Some(path) = prop_text(h, ctx, "path") {
                parts.push(format!("path {path}"));
            }
        }
        return parts.join("; ");
    }
    // A JS timer: when, and what it will run.
    if prop(h, o, "_idleTimeout").is_some() && prop(h, o, "_onTimeout").is_some() {
        let ms = prop_text(h, o, "_idleTimeout").unwrap_or_else(|| "?".into());
        let repeat = prop(h, o, "_repeat").is_some_and(|r| h.is_smi(r) || string::is_string(h, r) || h.instance_type(r).is_ok_and(|t| h.v8.types.is(t, "HEAP_NUMBER_TYPE")));
        parts.push(if repeat { format!("timer: every {ms} ms") } else { format!("timer: once, after {ms} ms") });
        if let Some(t) = prop(h, o, "_onTimeout").filter(|f| function::is_function(h, *f)).and_then(|f| function_text(h, f)) {
            parts.push(format!("callback: {t}"));
        }
        return parts.join("; ");
    }
    // A stream handle's owner: the net.Server or net.Socket using it
    // (node keeps it under the `owner_symbol` symbol).
    let owner = prop(h, o, "Symbol(owner_symbol)").or_else(|| prop(h, o, "owner"));
    let Some(own) = owner.filter(|v| is_js_object(h, *v)) else {
        return String::new();
    };
    let cls = object::constructor_name(h, own).unwrap_or_else(|_| "?".into());
    let mut d = cls;
    if let Some(key) = prop_text(h, own, "_connectionKey") {
        // "4:127.0.0.1:38341" (family:address:port); port 0 means the
        // kernel chose one, which only the socket itself knows.
        let addr = key.split_once(':').map(|(_, a)| a.to_string()).unwrap_or(key);
        match addr.strip_suffix(":0") {
            Some(host) => d.push_str(&format!(" listening on {host}, an ephemeral port (listen(0))")),
            None => d.push_str(&format!(" listening on {addr}")),
        }
    } else if let Some(pipe) = prop_text(h, own, "_pipeName") {
        d.push_str(&format!(" listening on {pipe}"));
    } else {
        // What node cached when the program asked (remoteAddress, ...).
        let endpoint = |name: &str| {
            let v = prop(h, own, name).filter(|v| is_js_object(h, *v))?;
            Some(format!("{}:{}", prop_text(h, v, "address")?, prop_text(h, v, "port")?))
        };
        if let Some(p) = endpoint("_peername") {
            d.push_str(&format!(" peer {p}"));
        }
        if let Some(p) = endpoint("_sockname") {
            d.push_str(&format!(" local {p}"));
        }
        if let Some(host) = prop_text(h, own, "_host").filter(|s| s != "null" && s != "undefined") {
            d.push_str(&format!(" to host {host}"));
        }
        if let Some(server) = prop(h, own, "server").filter(|v| is_js_object(h, *v)) {
            d.push_str(&format!(" (accepted by Server {server:x})"));
        }
        if prop_text(h, own, "destroyed").as_deref() == Some("true") {
            d.push_str(" destroyed");
        }
    }
    d
}

/// `name (file:line:col)` of a function.
fn function_text(h: &Heap, f: u64) -> Option<String> {
    let info = function::function_info(h, f).ok()?;
    let name = info.sfi.display_name();
    Some(format!("{name} ({})", super::jsfunc::location(h, &info)))
}

fn jserror(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> DcmdResult {
    let o = Opts::parse(&inv.args, "a", "")?;
    o.no_operands()?;
    if inv.addr_given {
        let h = s.heap()?;
        return print_error(&h, inv.dot, out);
    }
    if o.has('a') {
        let (f, _) = findings(s, false)?;
        let h = s.heap()?;
        for g in &f.groups {
            for &m in &g.members {
                if !is_error(&h, m) {
                    continue;
                }
                if inv.piped_out {
                    writeln!(out, "{m:x}")?;
                } else {
                    writeln!(out, "{m:x} {}", headline(&h, m))?;
                }
            }
        }
        return Ok(());
    }
    let h = s.heap()?;
    let t = h.t;
    let i = s.thread.min(t.threads.len().saturating_sub(1));
    let Some(th) = t.threads.get(i) else { return Err(DcmdError::Failed("the core holds no threads".into())) };
    let st = crate::unwind::unwind(t, &th.regs, 4096);
    // Only a thread inside V8's throw has an exception in flight; Errors a
    // thread merely holds in its frames (process.abort() with an Error in
    // a local) are not one.
    let Some(f) = in_throw(t, &st) else {
        writeln!(out, "no exception in flight: thread {} is not in V8's throw (::jserror -a lists every Error in the heap)", th.index)?;
        return Ok(());
    };
    match thrown_error(&h, th.regs.rsp(), &st) {
        Some((slot, err)) => {
            writeln!(out, "exception in flight (thread {}'s stack, at {slot:x}):", th.index)?;
            print_error(&h, err, out)
        }
        None => {
            writeln!(
                out,
                "thread {} is in V8's throw ({f}), but its stack points at no Error: the exception is in a register or a handle (::jserror -a lists every Error in the heap)",
                th.index
            )?;
            Ok(())
        }
    }
}

/// Is `v` a JS Error object (JS_ERROR_TYPE: Error and every subclass)?
fn is_error(h: &Heap, v: u64) -> bool {
    h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "JS_ERROR_TYPE"))
}

/// `TypeError: message`.
fn headline(h: &Heap, e: u64) -> String {
    let cls = object::constructor_name(h, e).unwrap_or_else(|_| "Error".into());
    let name = prop_text(h, e, "name").unwrap_or(cls);
    match collections::error_info(h, e).ok().and_then(|i| i.message) {
        Some(m) => format!("{name}: {}", text(h, m)),
        None => name,
    }
}

/// V8's functions an uncaught exception aborts from
/// (--abort-on-uncaught-exception), or that throw.
const THROW_FUNCTIONS: &[&str] = &["Isolate::Throw", "Isolate::ReThrow", "Isolate::StackOverflow", "CreateMessageOrAbort", "Runtime_Throw", "Runtime_ReThrow"];

/// The V8 throw function a walked stack is in, if it is in one.
fn in_throw(t: &Target, st: &Stack) -> Option<String> {
    st.frames.iter().find_map(|f| {
        let sym = t.symbolize(f.lookup_pc())?;
        THROW_FUNCTIONS.iter().any(|n| sym.name.contains(n)).then_some(sym.name)
    })
}

/// The first Error the stack points at, from the stack pointer `sp` up to
/// the first JavaScript frame (the native frames V8 throws from), or else
/// anywhere on the stack: `(slot address, error)`.
fn thrown_error(h: &Heap, sp: u64, st: &Stack) -> Option<(u64, u64)> {
    let t = h.t;
    let first_js = st.frames.iter().find(|f| crate::v8::frames::classify(h, f).js.is_some()).and_then(|f| f.fp);
    let top = t.mappings().into_iter().find(|m| m.start <= sp && sp < m.end).map(|m| m.end)?;
    let search = |lo: u64, hi: u64| -> Option<(u64, u64)> {
        let mut a = lo & !7;
        while a + 8 <= hi {
            if let Ok(v) = t.read_u64(a) {
                if is_error(h, v) {
                    return Some((a, v));
                }
            }
            a += 8;
        }
        None
    };
    first_js.and_then(|fp| search(sp, fp.min(top))).or_else(|| search(sp, top.min(sp + (8 << 20))))
}

fn print_error(h: &Heap, e: u64, out: &mut dyn Write) -> DcmdResult {
    if !is_error(h, e) {
        return Err(DcmdError::Failed(format!("{e:#x} is not an Error object ({})", h.instance_type(e).map(|t| h.type_name(t)).unwrap_or_else(|x| x.to_string()))));
    }
    writeln!(out, "{e:x} {}", headline(h, e))?;
    let info = collections::error_info(h, e)?;
    // Other own properties users set (code, errno, path, file...).
    if let Ok(ps) = object::properties(h, e, 64) {
        for p in ps.list.iter().filter(|p| !p.is_private && p.name != "message" && p.name != "stack" && p.name != "name") {
            if let PropValue::Data(v) = p.value {
                writeln!(out, "    {}: {}", p.name, short_value(h, v))?;
            }
        }
    }
    match info.stack {
        Some(st) if info.stack_formatted => {
            let text = text(h, st);
            // The formatted stack repeats the headline first.
            for l in text.lines().skip_while(|l| !l.trim_start().starts_with("at ")) {
                writeln!(out, "    {}", l.trim_start())?;
            }
        }
        Some(st) => {
            // V8 formats err.stack when first read; until then it keeps
            // call-site records, formatted here as node would.
            let sites = collections::call_sites(h, st).unwrap_or_default();
            if sites.is_empty() {
                writeln!(out, "    (stack captured at {st:x} but never formatted, and its records do not decode)")?;
            }
            for cs in sites {
                writeln!(out, "    at {}", call_site_text(h, &cs))?;
            }
        }
        None => writeln!(out, "    (no stack captured)")?,
    }
    Ok(())
}

/// `name (file:line:col)` for a captured call site, as Error.stack shows it.
fn call_site_text(h: &Heap, cs: &collections::CallSite) -> String {
    if !function::is_function(h, cs.function) {
        return "<unknown frame>".into();
    }
    let name = crate::v8::frames::call_site_name(h, cs.function, cs.receiver, cs.is_constructor(h)).unwrap_or_default();
    let info = function::function_info(h, cs.function).ok();
    let script = info.as_ref().and_then(|i| i.script);
    let loc = match (script, cs.position(h)) {
        (Some(sc), Some(p)) => {
            let file = crate::v8::script::script_name(h, sc).unwrap_or_default();
            match crate::v8::script::position_to_line_col(h, sc, p) {
                Ok((l, c)) => format!("{file}:{l}:{c}"),
                Err(_) => file,
            }
        }
        (Some(sc), None) => crate::v8::script::script_name(h, sc).unwrap_or_default(),
        (None, _) => "native".into(),
    };
    if name.is_empty() { loc } else { format!("{name} ({loc})") }
}

/// The JS objects of every Environment's libuv handles and requests (roots
/// for ::jsretainers: native code holds them); empty when there are none.
pub(crate) fn wrap_objects(s: &mut Session) -> Vec<u64> {
    let Ok(envs) = envs(s) else { return Vec::new() };
    let Ok(h) = s.heap() else { return Vec::new() };
    let mut out = Vec::new();
    for e in &envs {
        for q in [Queue::Handles, Queue::Requests] {
            if let Ok(l) = node::wraps(&h, e.addr, q) {
                out.extend(l.wraps.iter().filter_map(|w| w.object));
            }
        }
    }
    out
}
