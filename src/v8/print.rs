//! Renders a [`JsValue`] tree as JSON-like text a JS developer reads at
//! once (mdb_v8's `::jsprint` style, with Node's `util.inspect` words for
//! the built-ins):
//!
//! ```text
//! Widget {
//!     "name": "gizmo",
//!     "size": 5,
//!     "tags": [
//!         "round",
//!         hole,
//!     ],
//!     [Symbol(k)]: Map(1) {
//!         "one" => 1,
//!     },
//! }
//! ```
//!
//! Strings are quoted and escaped as JS literals, numbers print as JS
//! prints them (`-0` kept), dates as milliseconds and UTC, regexps as
//! literals, functions as `function NAME`, buffers as bytes. Truncation
//! and elision are marked (`... 5 more elements`, `"abc"... (length
//! 5000)`, `[Object 0x..]`); cycles are `[Circular 0x..]`.

use std::io::{self, Write};

use super::collections::{iso_utc, Num, PromiseState};
use super::primitive::format_number;
use super::string::js_quote;
use super::value::{JsObject, JsValue, ObjKind, Slot};

/// Rendering options.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrintOpts {
    /// Prefix every heap value with its address (`-a`).
    pub addrs: bool,
}

/// Render `v` (with a trailing newline) to `out`.
pub fn print_value(v: &JsValue, opts: &PrintOpts, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    render(v, opts, 0, &mut s);
    s.push('\n');
    out.write_all(s.as_bytes())
}

/// Render `v` as a string (no trailing newline).
pub fn to_string(v: &JsValue, opts: &PrintOpts) -> String {
    let mut s = String::new();
    render(v, opts, 0, &mut s);
    s
}

const INDENT: &str = "    ";

fn indent(level: usize, s: &mut String) {
    for _ in 0..level {
        s.push_str(INDENT);
    }
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

fn num(n: &Num) -> String {
    match n {
        Num::Int(i) => i.to_string(),
        Num::Float(f) => format_number(*f),
        Num::Big(b) => format!("{b}n"),
    }
}

/// The address a value carries, if it is a heap value.
fn addr_of(v: &JsValue) -> Option<u64> {
    match v {
        JsValue::Number { addr, .. } if *addr != 0 => Some(*addr),
        JsValue::String { addr, .. } | JsValue::Symbol { addr, .. } | JsValue::BigInt { addr, .. } => Some(*addr),
        JsValue::Object(o) => Some(o.addr),
        _ => None,
    }
}

fn render(v: &JsValue, opts: &PrintOpts, level: usize, s: &mut String) {
    if opts.addrs
        && let Some(a) = addr_of(v)
    {
        s.push_str(&format!("{a:#x}: "));
    }
    match v {
        JsValue::Smi(n) => s.push_str(&n.to_string()),
        JsValue::Number { value, .. } => s.push_str(&format_number(*value)),
        JsValue::Undefined => s.push_str("undefined"),
        JsValue::Null => s.push_str("null"),
        JsValue::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        JsValue::Hole => s.push_str("hole"),
        JsValue::Oddball(o) => s.push_str(o),
        JsValue::String { s: js, .. } => {
            s.push_str(&js_quote(&js.text));
            if js.truncated {
                s.push_str(&format!("... (length {})", js.len));
            }
        }
        JsValue::Symbol { description, .. } => s.push_str(&format!("Symbol({})", description.as_deref().unwrap_or(""))),
        JsValue::BigInt { text, .. } => s.push_str(&format!("{text}n")),
        JsValue::Circular { addr } => s.push_str(&format!("[Circular {addr:#x}]")),
        JsValue::Elided { addr, what } => s.push_str(&format!("[{what} {addr:#x}]")),
        JsValue::Unknown { addr, type_name } => s.push_str(&format!("<{type_name} {addr:#x}>")),
        JsValue::Bad { addr, error } => s.push_str(&format!("<{addr:#x}: {error}>")),
        JsValue::Raw(w) => s.push_str(&format!("{w:#x}")),
        JsValue::Object(o) => object(o, opts, level, s),
    }
}

/// Lines of a block: each is rendered at `level + 1`, comma-terminated.
struct Block<'a> {
    s: &'a mut String,
    level: usize,
    any: bool,
}

impl Block<'_> {
    fn line(&mut self) -> &mut String {
        self.any = true;
        self.s.push('\n');
        indent(self.level + 1, self.s);
        self.s
    }
    fn end_item(&mut self) {
        self.s.push(',');
    }
}

fn object(o: &JsObject, opts: &PrintOpts, level: usize, s: &mut String) {
    let m = &o.members;
    let head = match &o.kind {
        ObjKind::Plain => {
            if o.constructor == "Object" {
                String::new()
            } else {
                format!("{} ", o.constructor)
            }
        }
        ObjKind::Array { length } => {
            if o.constructor == "Array" {
                String::new()
            } else {
                format!("{}({length}) ", o.constructor)
            }
        }
        ObjKind::Function { name, class, .. } => {
            s.push_str(&format!("{} {name}", if *class { "class" } else { "function" }));
            return;
        }
        ObjKind::Bound { target, this, args, name } => {
            s.push_str(&format!("function {name} {{"));
            let mut b = Block { s, level, any: false };
            b.line().push_str("target: ");
            render(target, opts, level + 1, b.s);
            b.end_item();
            b.line().push_str("this: ");
            render(this, opts, level + 1, b.s);
            b.end_item();
            b.line().push_str("args: ");
            list(args.iter(), opts, level + 1, b.s, "[", "]");
            b.end_item();
            s.push('\n');
            indent(level, s);
            s.push('}');
            return;
        }
        ObjKind::Map { size, .. } => format!("{}({size}) ", if o.constructor == "Map" { "Map" } else { &o.constructor }),
        ObjKind::Set { size, .. } => format!("{}({size}) ", if o.constructor == "Set" { "Set" } else { &o.constructor }),
        ObjKind::WeakMap { .. } => "WeakMap ".into(),
        ObjKind::WeakSet { .. } => "WeakSet ".into(),
        ObjKind::Date { ms } => {
            s.push_str(&format!("Date {} ({})", format_number(*ms), iso_utc(*ms)));
            return props_suffix(o, opts, level, s);
        }
        ObjKind::RegExp { source, flags } => {
            s.push_str(&format!("/{source}/{flags}"));
            return props_suffix(o, opts, level, s);
        }
        ObjKind::Error { .. } => format!("{} ", o.constructor),
        ObjKind::Global => "global ".into(),
        ObjKind::Api { .. } | ObjKind::Generator { .. } => format!("{} ", o.constructor),
        ObjKind::Promise { .. } => "Promise ".into(),
        ObjKind::Proxy { .. } => "Proxy ".into(),
        ObjKind::Boxed { value } => {
            let t = match value.as_ref() {
                JsValue::Smi(_) | JsValue::Number { .. } => "Number",
                JsValue::String { .. } => "String",
                JsValue::Bool(_) => "Boolean",
                JsValue::Symbol { .. } => "Symbol",
                JsValue::BigInt { .. } => "BigInt",
                _ => "Primitive",
            };
            s.push_str(&format!("[{t}: "));
            render(value, &PrintOpts { addrs: false }, level, s);
            s.push(']');
            return props_suffix(o, opts, level, s);
        }
        ObjKind::ArrayBuffer { byte_length, bytes, .. } => {
            s.push_str(&format!("<ArrayBuffer {byte_length} bytes{}>", bytes_text(bytes, *byte_length)));
            return props_suffix(o, opts, level, s);
        }
        ObjKind::TypedArray { elem, length, values, buffer_like, .. } => {
            if *buffer_like {
                let bytes: Vec<u8> = values.iter().map(|n| if let Num::Int(i) = n { *i as u8 } else { 0 }).collect();
                s.push_str(&format!("<Buffer {length} bytes{}>", bytes_text(&bytes, *length)));
                return;
            }
            let name = if o.constructor.is_empty() { elem.to_string() } else { o.constructor.clone() };
            let mut t = format!("{name}({length}) [");
            if !values.is_empty() {
                t.push(' ');
                t.push_str(&values.iter().map(num).collect::<Vec<_>>().join(", "));
                if (values.len() as u64) < *length {
                    t.push_str(&format!(", ... {} more", *length - values.len() as u64));
                }
                t.push(' ');
            }
            t.push(']');
            s.push_str(&t);
            return props_suffix(o, opts, level, s);
        }
        ObjKind::DataView { byte_offset, byte_length, bytes, .. } => {
            s.push_str(&format!("<DataView {byte_length} bytes at offset {byte_offset}{}>", bytes_text(bytes, *byte_length)));
            return props_suffix(o, opts, level, s);
        }
    };
    let (open, close) = if matches!(o.kind, ObjKind::Array { .. }) { ("[", "]") } else { ("{", "}") };
    s.push_str(&head);
    s.push_str(open);
    let mut b = Block { s, level, any: false };
    let l1 = level + 1;
    match &o.kind {
        ObjKind::Map { entries, size } | ObjKind::WeakMap { entries, size } => {
            for (k, v) in entries {
                render(k, opts, l1, b.line());
                b.s.push_str(" => ");
                render(v, opts, l1, b.s);
                b.end_item();
            }
            more(&mut b, entries.len() as u64, *size, "entries");
        }
        ObjKind::Set { values, size } | ObjKind::WeakSet { values, size } => {
            for v in values {
                render(v, opts, l1, b.line());
                b.end_item();
            }
            more(&mut b, values.len() as u64, *size, "entries");
        }
        ObjKind::Error { message, stack, stack_formatted } => {
            if let Some(msg) = message {
                b.line().push_str("\"message\": ");
                render(msg, opts, l1, b.s);
                b.end_item();
            }
            b.line().push_str("\"stack\": ");
            match stack {
                Some(st) => render(st, opts, l1, b.s),
                None if !stack_formatted => b.s.push_str("<not yet formatted>"),
                None => b.s.push_str("<unknown>"),
            }
            b.end_item();
        }
        ObjKind::Promise { state, result } => {
            let word = match state {
                PromiseState::Pending => "<pending>",
                PromiseState::Fulfilled => "<fulfilled>",
                PromiseState::Rejected => "<rejected>",
            };
            b.line().push_str(word);
            if let Some(r) = result {
                b.s.push(' ');
                render(r, opts, l1, b.s);
            }
            b.end_item();
        }
        ObjKind::Generator { function, frame, frame_len } => {
            b.line().push_str("[function]: ");
            render(function, opts, l1, b.s);
            b.end_item();
            b.line().push_str("[frame]: ");
            let mut t = String::from("[");
            for (i, f) in frame.iter().enumerate() {
                t.push_str(if i == 0 { " " } else { ", " });
                render(f, opts, l1, &mut t);
            }
            if (frame.len() as u64) < *frame_len {
                t.push_str(&format!(", ... {} more", frame_len - frame.len() as u64));
            }
            t.push_str(if frame.is_empty() { "]" } else { " ]" });
            b.s.push_str(&t);
            b.end_item();
        }
        ObjKind::Api { fields } => {
            b.line().push_str("[internal fields]: ");
            let mut t = String::from("[");
            for (i, f) in fields.iter().enumerate() {
                t.push_str(if i == 0 { " " } else { ", " });
                render(f, opts, l1, &mut t);
            }
            t.push_str(if fields.is_empty() { "]" } else { " ]" });
            b.s.push_str(&t);
            b.end_item();
        }
        ObjKind::Proxy { target, handler } => {
            b.line().push_str("target: ");
            render(target, opts, l1, b.s);
            b.end_item();
            b.line().push_str("handler: ");
            render(handler, opts, l1, b.s);
            b.end_item();
        }
        _ => {}
    }
    let is_array = matches!(o.kind, ObjKind::Array { .. });
    for (i, e) in &m.elements {
        let line = b.line();
        if !is_array {
            line.push_str(&format!("\"{i}\": "));
        } else if m.sparse {
            line.push_str(&format!("[{i}]: "));
        }
        match e {
            Some(v) => render(v, opts, l1, b.s),
            None => b.s.push_str("hole"),
        }
        b.end_item();
    }
    if m.elements_truncated {
        match &o.kind {
            ObjKind::Array { length } if !m.sparse => {
                let shown = m.elements.len() as u64;
                b.line().push_str(&format!("... {} more elements", length.saturating_sub(shown)));
            }
            _ => b.line().push_str("... more elements"),
        }
    }
    member_props(o, opts, &mut b);
    if let Some(e) = &m.error {
        b.line().push_str(&format!("<error: {e}>"));
    }
    let any = b.any;
    if any {
        s.push('\n');
        indent(level, s);
    }
    s.push_str(close);
}

fn more(b: &mut Block, shown: u64, total: u64, what: &str) {
    if total > shown {
        b.line().push_str(&format!("... {} more {what}", total - shown));
    }
}

fn member_props(o: &JsObject, opts: &PrintOpts, b: &mut Block) {
    let l1 = b.level + 1;
    for p in &o.members.props {
        let line = b.line();
        if p.is_symbol && p.key.starts_with('#') {
            line.push_str(&format!("{}: ", p.key));
        } else if p.is_symbol {
            line.push_str(&format!("[{}]: ", p.key));
        } else {
            line.push_str(&js_quote(&p.key));
            line.push_str(": ");
        }
        match &p.value {
            Slot::Value(v) => render(v, opts, l1, b.s),
            Slot::Accessor { getter, setter } => b.s.push_str(match (getter, setter) {
                (true, true) => "[Getter/Setter]",
                (true, false) => "[Getter]",
                (false, true) => "[Setter]",
                (false, false) => "[accessor]",
            }),
            Slot::Native => b.s.push_str("[native accessor]"),
        }
        b.end_item();
    }
    more(b, o.members.props.len() as u64, o.members.props_total as u64, "properties");
}

/// For kinds printed on one line: their own properties, if any, as a block.
fn props_suffix(o: &JsObject, opts: &PrintOpts, level: usize, s: &mut String) {
    if o.members.props.is_empty() && o.members.error.is_none() {
        return;
    }
    s.push_str(" {");
    let mut b = Block { s, level, any: false };
    member_props(o, opts, &mut b);
    if let Some(e) = &o.members.error {
        b.line().push_str(&format!("<error: {e}>"));
    }
    s.push('\n');
    indent(level, s);
    s.push('}');
}

fn bytes_text(bytes: &[u8], total: u64) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    let mut t = format!(": {}", hex_bytes(bytes));
    if (bytes.len() as u64) < total {
        t.push_str(&format!(" ... {} more", total - bytes.len() as u64));
    }
    t
}

fn list<'a>(items: impl Iterator<Item = &'a JsValue>, opts: &PrintOpts, level: usize, s: &mut String, open: &str, close: &str) {
    s.push_str(open);
    let mut b = Block { s, level, any: false };
    for v in items {
        render(v, opts, level + 1, b.line());
        b.end_item();
    }
    let any = b.any;
    if any {
        s.push('\n');
        indent(level, s);
    }
    s.push_str(close);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v8::string::JsString;
    use crate::v8::value::{Members, Prop};

    fn obj(constructor: &str, kind: ObjKind, members: Members) -> JsValue {
        JsValue::Object(Box::new(JsObject { addr: 0x1000, constructor: constructor.into(), kind, members }))
    }

    fn p(key: &str, v: JsValue) -> Prop {
        Prop { key: key.into(), is_symbol: false, value: Slot::Value(v) }
    }

    #[test]
    fn renders_like_js() {
        let o = PrintOpts::default();
        let str_v = |t: &str, len: u64, truncated: bool| JsValue::String { addr: 0x10, s: JsString { text: t.into(), len, truncated } };
        assert_eq!(to_string(&str_v("a\"b\n", 4, false), &o), "\"a\\\"b\\n\"");
        assert_eq!(to_string(&str_v("abc", 5000, true), &o), "\"abc\"... (length 5000)");
        assert_eq!(to_string(&JsValue::Number { addr: 8, value: -0.0 }, &o), "-0");
        assert_eq!(to_string(&JsValue::Smi(-7), &o), "-7");
        assert_eq!(to_string(&JsValue::Circular { addr: 0x20 }, &o), "[Circular 0x20]");
        assert_eq!(to_string(&JsValue::Unknown { addr: 0x30, type_name: "FIXED_ARRAY_TYPE".into() }, &o), "<FIXED_ARRAY_TYPE 0x30>");
        let m = Members { props: vec![p("x", JsValue::Smi(1)), p("y", JsValue::Null)], props_total: 3, ..Default::default() };
        assert_eq!(to_string(&obj("Point", ObjKind::Plain, m), &o), "Point {\n    \"x\": 1,\n    \"y\": null,\n    ... 1 more properties\n}");
        let m = Members { elements: vec![(0, Some(JsValue::Smi(1))), (1, None)], elements_truncated: true, ..Default::default() };
        assert_eq!(to_string(&obj("Array", ObjKind::Array { length: 10 }, m), &o), "[\n    1,\n    hole,\n    ... 8 more elements\n]");
        assert_eq!(to_string(&obj("Array", ObjKind::Array { length: 0 }, Members::default()), &o), "[]");
        assert_eq!(to_string(&obj("Date", ObjKind::Date { ms: 0.0 }, Members::default()), &o), "Date 0 (1970-01-01T00:00:00.000Z)");
        let ab = ObjKind::ArrayBuffer { byte_length: 3, backing_store: 0x5000, bytes: vec![1, 2] };
        assert_eq!(to_string(&obj("ArrayBuffer", ab, Members::default()), &o), "<ArrayBuffer 3 bytes: 01 02 ... 1 more>");
        let a = PrintOpts { addrs: true };
        assert_eq!(to_string(&obj("Object", ObjKind::Plain, Members::default()), &a), "0x1000: {}");
    }
}
