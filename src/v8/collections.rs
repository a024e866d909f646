//! Built-in JS objects with internal state: Map, Set, WeakMap, WeakSet,
//! Date, RegExp, Error, Promise, Proxy, primitive wrappers, ArrayBuffer,
//! typed arrays, DataView and Node's Buffer.
//!
//! These decoders return tagged values and plain data; [`super::value`]
//! decodes the values they point at. Layouts (docs/v8-layouts.md §2.2-2.7):
//! src/objects/ordered-hash-table.h, js-collection.tq, js-date.tq,
//! js-regexp.tq, js-promise.tq, js-proxy.tq, js-array-buffer.tq.

use crate::memory::Memory;

use super::heap::Heap;
use super::object;
use super::V8Error;

/// Most entries any collection decode visits.
pub const MAX_ENTRIES: u64 = 1 << 22;

/// A JSMap's/JSSet's live entries: `(key, value)` (value 0 for sets), at
/// most `max`, and how many live entries the table holds.
pub fn collection_entries(h: &Heap, coll: u64, is_map: bool, max: usize) -> Result<(Vec<(u64, u64)>, u64), V8Error> {
    let l = &h.v8.layout;
    let table = h.field(coll, &l.js_collection_table)?;
    let smi = |off: &super::layout::Field| -> Result<i64, V8Error> {
        let w = h.field(table, off)?;
        if !h.is_smi(w) {
            return Err(V8Error::bad(table, "OrderedHashTable", format!("{} is not a Smi", off.name)));
        }
        Ok(h.smi_value(w))
    };
    let nelem = smi(&l.ordered_hash_nof_elements)?;
    let ndel = smi(&l.ordered_hash_nof_deleted)?;
    let nbuckets = smi(&l.ordered_hash_nof_buckets)?;
    let len = h.fixed_array_len(table)? as i64;
    let esize: i64 = if is_map { l.ordered_hash_map_entry_size.get()? } else { l.ordered_hash_set_entry_size.get()? };
    if nelem < 0 || ndel < 0 || nbuckets <= 0 || nbuckets > len {
        return Err(V8Error::bad(table, "OrderedHashTable", format!("{nelem} elements, {ndel} deleted, {nbuckets} buckets")));
    }
    let used = nelem + ndel;
    let entries_start = l.ordered_hash_buckets_start.get()? + nbuckets * 8;
    // The table's words after the FixedArray header must hold every entry.
    let data = l.fixed_array_data.get()?;
    if entries_start + used * esize * 8 > data + len * 8 {
        return Err(V8Error::bad(table, "OrderedHashTable", format!("{used} entries do not fit its length {len}")));
    }
    let mut out = Vec::new();
    for i in 0..(used as u64).min(MAX_ENTRIES) {
        let at = entries_start as u64 + i * esize as u64 * 8;
        let k = h.word(table, at)?;
        if object::is_hole(h, k) {
            continue; // deleted
        }
        if out.len() >= max {
            break;
        }
        let v = if is_map { h.word(table, at + 8)? } else { 0 };
        out.push((k, v));
    }
    Ok((out, nelem as u64))
}

/// A JSWeakMap's/JSWeakSet's entries (EphemeronHashTable: empty keys are
/// undefined, deleted ones the hole), at most `max`, and the live count.
pub fn weak_entries(h: &Heap, coll: u64, is_map: bool, max: usize) -> Result<(Vec<(u64, u64)>, u64), V8Error> {
    let l = &h.v8.layout;
    let table = h.field(coll, &l.js_collection_table)?;
    let len = h.fixed_array_len(table)?;
    let data = l.fixed_array_data.off()?;
    let slot = |i: u64| h.word(table, data + i * 8);
    let nelem = slot(l.hash_table_nof_elements.get()? as u64)?;
    let cap = slot(l.hash_table_capacity.get()? as u64)?;
    if !h.is_smi(nelem) || !h.is_smi(cap) {
        return Err(V8Error::bad(table, "EphemeronHashTable", "its counts are not Smis"));
    }
    let (nelem, cap) = (h.smi_value(nelem), h.smi_value(cap));
    let start = l.hash_table_prefix_start.get()? as u64 + l.ephemeron_prefix_size.get()? as u64;
    if nelem < 0 || cap < 0 || start + cap as u64 * 2 > len {
        return Err(V8Error::bad(table, "EphemeronHashTable", format!("capacity {cap} does not fit its length {len}")));
    }
    let mut out = Vec::new();
    for i in 0..(cap as u64).min(MAX_ENTRIES) {
        let k = slot(start + i * 2)?;
        if h.is_smi(k) || object::is_hole(h, k) || is_oddball(h, k) {
            continue;
        }
        if out.len() >= max {
            break;
        }
        let v = if is_map { slot(start + i * 2 + 1)? } else { 0 };
        out.push((k, v));
    }
    Ok((out, nelem as u64))
}

fn is_oddball(h: &Heap, v: u64) -> bool {
    h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "ODDBALL_TYPE"))
}

/// A number value (Smi or HeapNumber) as f64.
pub fn number_value(h: &Heap, v: u64) -> Result<f64, V8Error> {
    if h.is_smi(v) {
        return Ok(h.smi_value(v) as f64);
    }
    let t = h.instance_type(v)?;
    if !h.v8.types.is(t, "HEAP_NUMBER_TYPE") {
        return Err(V8Error::bad(v, "number", format!("it is a {}", h.type_name(t))));
    }
    h.f64_at(v, h.v8.layout.heap_number_value.off()?)
}

/// A JSDate's time value in milliseconds since the epoch (NaN if invalid).
pub fn date_value(h: &Heap, date: u64) -> Result<f64, V8Error> {
    let l = &h.v8.layout;
    if l.js_date_value_is_double.get()? == 1 {
        return h.f64_at(date, l.js_date_value.off()?);
    }
    number_value(h, h.field(date, &l.js_date_value)?)
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), proleptic
/// Gregorian (Howard Hinnant's civil_from_days).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A time value as JS's `toISOString()` prints it (`Invalid Date` for NaN
/// or out of range).
pub fn iso_utc(ms: f64) -> String {
    // ECMAScript time values are within ±8.64e15 ms.
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return "Invalid Date".into();
    }
    let ms = ms as i64;
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, mss) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:06}", -y)
    } else {
        format!("+{y:06}")
    };
    format!("{year}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{mss:03}Z")
}

/// A JSRegExp's source string (tagged) and flags as letters, in the order
/// `RegExp.prototype.flags` uses (`dgimsuvy`).
pub fn regexp(h: &Heap, re: u64) -> Result<(u64, String), V8Error> {
    let l = &h.v8.layout;
    let src = h.field(re, &l.js_regexp_source)?;
    let flags = h.field(re, &l.js_regexp_flags)?;
    if !h.is_smi(flags) {
        return Err(V8Error::bad(re, "JSRegExp", "its flags are not a Smi"));
    }
    let f = h.smi_value(flags);
    // Bits from src/regexp/regexp-flags.h: g1 i2 m4 y8 u16 s32 d64 v256
    // (128 is linear, not a flag letter).
    let letters = [(64, 'd'), (1, 'g'), (2, 'i'), (4, 'm'), (32, 's'), (16, 'u'), (256, 'v'), (8, 'y')];
    Ok((src, letters.iter().filter(|(b, _)| f & b != 0).map(|(_, c)| *c).collect()))
}

/// A JSPromise's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseState {
    Pending,
    Fulfilled,
    Rejected,
}

/// A JSPromise's state and, once settled, its result (tagged).
pub fn promise(h: &Heap, p: u64) -> Result<(PromiseState, Option<u64>), V8Error> {
    let l = &h.v8.layout;
    let flags = h.field(p, &l.js_promise_flags)?;
    if !h.is_smi(flags) {
        return Err(V8Error::bad(p, "JSPromise", "its flags are not a Smi"));
    }
    let state = match h.smi_value(flags) & 3 {
        0 => PromiseState::Pending,
        1 => PromiseState::Fulfilled,
        2 => PromiseState::Rejected,
        s => return Err(V8Error::bad(p, "JSPromise", format!("status {s}"))),
    };
    let result = match state {
        PromiseState::Pending => None,
        _ => Some(h.field(p, &l.js_promise_result)?),
    };
    Ok((state, result))
}

/// A JSProxy's target and handler (null once revoked).
pub fn proxy(h: &Heap, p: u64) -> Result<(u64, u64), V8Error> {
    let l = &h.v8.layout;
    Ok((h.field(p, &l.js_proxy_target)?, h.field(p, &l.js_proxy_handler)?))
}

/// A JSPrimitiveWrapper's primitive.
pub fn boxed_value(h: &Heap, w: u64) -> Result<u64, V8Error> {
    h.field(w, &h.v8.layout.js_primitive_wrapper_value)
}

/// What an Error carries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorInfo {
    /// The `message` own property (tagged), if any.
    pub message: Option<u64>,
    /// The value under `error_stack_symbol`: a String once `stack` was
    /// read, else the captured call sites (FixedArray or ErrorStackData).
    pub stack: Option<u64>,
    pub stack_formatted: bool,
}

/// An Error's message and stack, found through its own properties (their
/// slots differ between versions). The stack lives under the private
/// symbol `error_stack_symbol`; V8's read-only private symbols carry no
/// description in release builds, so it is recognised as the first
/// undescribed private-symbol data property whose value is not the message
/// (V8 13+ also keeps the message under `error_message_symbol`).
pub fn error_info(h: &Heap, err: u64) -> Result<ErrorInfo, V8Error> {
    let props = object::properties(h, err, object::MAX_PROPERTIES)?;
    let mut e = ErrorInfo::default();
    let data = |p: &object::Property| match p.value {
        object::PropValue::Data(v) => Some(v),
        _ => None,
    };
    e.message = props.list.iter().filter(|p| !p.is_symbol && p.name == "message").find_map(data);
    // Node's own private symbols on errors (`node:arrowMessage`,
    // `node:decorated`) have descriptions; V8's have none.
    for p in props.list.iter().filter(|p| p.is_symbol && p.is_private && p.name == "Symbol()") {
        let Some(v) = data(p) else { continue };
        if Some(v) == e.message || h.is_smi(v) {
            continue;
        }
        let t = h.instance_type(v)?;
        if h.v8.types.is(t, "ODDBALL_TYPE") {
            continue;
        }
        e.stack = Some(v);
        e.stack_formatted = h.is_string_type(t);
        break;
    }
    Ok(e)
}

/// An ArrayBuffer.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayBufferInfo {
    pub byte_length: u64,
    /// Native address of the bytes (0 when empty or detached).
    pub backing_store: u64,
}

pub fn array_buffer(h: &Heap, ab: u64) -> Result<ArrayBufferInfo, V8Error> {
    let l = &h.v8.layout;
    let byte_length = h.field(ab, &l.js_array_buffer_byte_length)?;
    let backing_store = h.field(ab, &l.js_array_buffer_backing_store)?;
    if byte_length > (1 << 48) {
        return Err(V8Error::bad(ab, "ArrayBuffer", format!("byte length {byte_length}")));
    }
    Ok(ArrayBufferInfo { byte_length, backing_store })
}

/// Read up to `max` bytes of native memory at `addr`.
pub fn native_bytes(h: &Heap, addr: u64, len: u64, max: usize) -> Result<Vec<u8>, V8Error> {
    let n = len.min(max as u64) as usize;
    let mut buf = vec![0u8; n];
    if n > 0 {
        h.t.read(addr, &mut buf)?;
    }
    Ok(buf)
}

/// The element type of a typed array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemType {
    Uint8,
    Int8,
    Uint16,
    Int16,
    Uint32,
    Int32,
    Float16,
    Float32,
    Float64,
    Uint8Clamped,
    BigUint64,
    BigInt64,
}

impl ElemType {
    pub fn size(self) -> u64 {
        use ElemType::*;
        match self {
            Uint8 | Int8 | Uint8Clamped => 1,
            Uint16 | Int16 | Float16 => 2,
            Uint32 | Int32 | Float32 => 4,
            Float64 | BigUint64 | BigInt64 => 8,
        }
    }
    /// The constructor's name (`Uint8Array`).
    pub fn name(self) -> &'static str {
        use ElemType::*;
        match self {
            Uint8 => "Uint8Array",
            Int8 => "Int8Array",
            Uint16 => "Uint16Array",
            Int16 => "Int16Array",
            Uint32 => "Uint32Array",
            Int32 => "Int32Array",
            Float16 => "Float16Array",
            Float32 => "Float32Array",
            Float64 => "Float64Array",
            Uint8Clamped => "Uint8ClampedArray",
            BigUint64 => "BigUint64Array",
            BigInt64 => "BigInt64Array",
        }
    }
    /// One element from its little-endian bytes.
    pub fn read(self, b: &[u8]) -> Num {
        use ElemType::*;
        let u = |n: usize| b.iter().take(n).rev().fold(0u64, |a, &x| (a << 8) | x as u64);
        match self {
            Uint8 | Uint8Clamped => Num::Int(u(1) as i64),
            Int8 => Num::Int(u(1) as u8 as i8 as i64),
            Uint16 => Num::Int(u(2) as i64),
            Int16 => Num::Int(u(2) as u16 as i16 as i64),
            Uint32 => Num::Int(u(4) as i64),
            Int32 => Num::Int(u(4) as u32 as i32 as i64),
            Float16 => Num::Float(half_to_f64(u(2) as u16)),
            Float32 => Num::Float(f32::from_bits(u(4) as u32) as f64),
            Float64 => Num::Float(f64::from_bits(u(8))),
            BigUint64 => Num::Big(u(8) as i128),
            BigInt64 => Num::Big(u(8) as i64 as i128),
        }
    }
}

/// A typed-array element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
    Float(f64),
    /// A BigInt64/BigUint64 element.
    Big(i128),
}

fn half_to_f64(x: u16) -> f64 {
    let sign = if x & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((x >> 10) & 0x1f) as i32;
    let frac = (x & 0x3ff) as f64;
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Typed-array element types in elements-kind order, from UINT8_ELEMENTS
/// (the order is selected by the layout's `typed_array_kinds_order`).
fn typed_kinds(order: i64) -> &'static [ElemType] {
    use ElemType::*;
    if order == 0 {
        &[Uint8, Int8, Uint16, Int16, Uint32, Int32, Float32, Float64, Uint8Clamped, BigUint64, BigInt64, Float16]
    } else {
        &[Uint8, Int8, Uint16, Int16, Uint32, Int32, BigUint64, BigInt64, Uint8Clamped, Float32, Float64, Float16]
    }
}

/// A typed array or DataView.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewInfo {
    /// None for a DataView.
    pub elem: Option<ElemType>,
    pub byte_offset: u64,
    pub byte_length: u64,
    /// Elements (typed arrays) or bytes (DataView).
    pub length: u64,
    /// The JSArrayBuffer (tagged).
    pub buffer: u64,
    /// Native or on-heap address of the first byte.
    pub data: u64,
}

/// Decode a JSTypedArray (`is_typed`) or JSDataView.
pub fn view(h: &Heap, v: u64, is_typed: bool) -> Result<ViewInfo, V8Error> {
    let l = &h.v8.layout;
    let byte_offset = h.field(v, &l.js_view_byte_offset)?;
    let byte_length = h.field(v, &l.js_view_byte_length)?;
    let buffer = h.field(v, &l.js_view_buffer)?;
    if !is_typed {
        let ab = array_buffer(h, buffer)?;
        let data = if ab.backing_store == 0 { 0 } else { ab.backing_store.wrapping_add(byte_offset) };
        return Ok(ViewInfo { elem: None, byte_offset, byte_length, length: byte_length, buffer, data });
    }
    let mi = object::map_info(h, h.map(v)?)?;
    let first = l.elements_uint8.get()?;
    let idx = mi.elements_kind as i64 - first;
    let kinds = typed_kinds(l.typed_array_kinds_order.get()?);
    let elem = usize::try_from(idx)
        .ok()
        .and_then(|i| kinds.get(i))
        .copied()
        .ok_or_else(|| V8Error::bad(v, "typed array", format!("elements kind {} is not a typed-array kind", mi.elements_kind)))?;
    // V8 14 keeps no element count (the metadata has none): derive it.
    let length = match l.js_typed_array_length.off() {
        Ok(off) => h.word(v, off)?,
        Err(_) => byte_length / elem.size(),
    };
    // DataPtr = base_pointer + external_pointer: on-heap arrays have a
    // tagged base and an offset; off-heap ones a zero base and an address.
    let base = h.field(v, &l.js_typed_array_base_pointer)?;
    let ext = h.field(v, &l.js_typed_array_external_pointer)?;
    let data = base.wrapping_add(ext);
    if length > (1 << 40) || length.saturating_mul(elem.size()) != byte_length {
        return Err(V8Error::bad(v, "typed array", format!("length {length} of {} does not match byte length {byte_length}", elem.name())));
    }
    Ok(ViewInfo { elem: Some(elem), byte_offset, byte_length, length, buffer, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_match_javascript() {
        // Values from node: new Date(ms).toISOString()
        assert_eq!(iso_utc(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(1704164645678.0), "2024-01-02T03:04:05.678Z");
        assert_eq!(iso_utc(-14182940000.0), "1969-07-20T20:17:40.000Z");
        assert_eq!(iso_utc(-1.0), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_utc(951782400000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso_utc(-62167219200000.0), "0000-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(-62198755200000.0), "-000001-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(253402300800000.0), "+010000-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(8.64e15), "+275760-09-13T00:00:00.000Z");
        assert_eq!(iso_utc(f64::NAN), "Invalid Date");
        assert_eq!(iso_utc(8.64e15 + 1.0), "Invalid Date");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11016), (2000, 2, 29));
        assert_eq!(civil_from_days(-719468), (0, 3, 1));
    }

    #[test]
    fn typed_elements() {
        assert_eq!(ElemType::Int8.read(&[0xff]), Num::Int(-1));
        assert_eq!(ElemType::Uint16.read(&[0xbe, 0xef]), Num::Int(0xefbe));
        assert_eq!(ElemType::Int32.read(&[0xff, 0xff, 0xff, 0xff]), Num::Int(-1));
        assert_eq!(ElemType::Float64.read(&1.5f64.to_le_bytes()), Num::Float(1.5));
        assert_eq!(ElemType::Float32.read(&(-2.0f32).to_le_bytes()), Num::Float(-2.0));
        assert_eq!(ElemType::Float16.read(&[0x00, 0x3c]), Num::Float(1.0));
        assert_eq!(ElemType::Float16.read(&[0x00, 0xc0]), Num::Float(-2.0));
        assert_eq!(ElemType::BigInt64.read(&u64::MAX.to_le_bytes()), Num::Big(-1));
        assert_eq!(ElemType::BigUint64.read(&u64::MAX.to_le_bytes()), Num::Big(u64::MAX as i128));
        assert_eq!(typed_kinds(0)[7], ElemType::Float64);
        assert_eq!(typed_kinds(1)[10], ElemType::Float64);
    }
}

/// One frame of an Error's captured (not yet formatted) stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    pub receiver: u64,
    /// The JSFunction (a Smi for wasm frames).
    pub function: u64,
    /// The BytecodeArray (or Code) the offset is in.
    pub code: u64,
    pub offset_or_position: i64,
    pub flags: i64,
}

impl CallSite {
    pub fn is_constructor(&self, h: &Heap) -> bool {
        h.v8.layout.call_site_flag_constructor.get().is_ok_and(|b| self.flags >> b & 1 == 1)
    }

    /// The script offset executing: computed already, or from the bytecode
    /// offset through the bytecode's source positions
    /// (CallSiteInfo::ComputeSourcePosition).
    pub fn position(&self, h: &Heap) -> Option<i64> {
        let l = &h.v8.layout;
        if l.call_site_flag_position_computed.get().is_ok_and(|b| self.flags >> b & 1 == 1) {
            return Some(self.offset_or_position);
        }
        let mut code = self.code;
        if h.is_heap_object(code) && h.instance_type(code).is_ok_and(|t| h.v8.types.is(t, "BYTECODE_WRAPPER_TYPE")) {
            code = h.word(code, l.bytecode_wrapper_bytecode.off().ok()?).ok()?;
        }
        let table = super::sourcepos::bytecode_positions(h, code).ok()?;
        super::sourcepos::position_at(&table, self.offset_or_position)
    }
}

/// Most frames read from a captured stack (V8's default limit is 10;
/// programs raise Error.stackTraceLimit).
const MAX_CALL_SITES: u64 = 10_000;

/// The frames of an Error's captured stack (the FixedArray under
/// `error_stack_symbol` before `stack` is read): CallSiteInfo objects up
/// to V8 13, flat records from V8 14 ([`crate::v8::layout`]'s call_site_*).
pub fn call_sites(h: &Heap, stack: u64) -> Result<Vec<CallSite>, V8Error> {
    let l = &h.v8.layout;
    let len = h.fixed_array_len(stack)?;
    let smi = |v: u64| if h.is_smi(v) { h.smi_value(v) } else { -1 };
    let mut out = Vec::new();
    if let Ok(stride) = l.call_sites_flat.off() {
        let mut i = 0;
        while i + stride <= len && (out.len() as u64) < MAX_CALL_SITES {
            let w = |k: u64| h.fixed_array_get(stack, i + k);
            out.push(CallSite { code: w(0)?, receiver: w(1)?, function: w(2)?, offset_or_position: smi(w(3)?), flags: smi(w(5)?) });
            i += stride;
        }
        return Ok(out);
    }
    for i in 0..len.min(MAX_CALL_SITES) {
        let c = h.fixed_array_get(stack, i)?;
        if !h.is_heap_object(c) || !h.v8.types.is(h.instance_type(c)?, "CALL_SITE_INFO_TYPE") {
            continue;
        }
        out.push(CallSite {
            receiver: h.word(c, l.call_site_receiver.off()?)?,
            function: h.word(c, l.call_site_function.off()?)?,
            code: h.word(c, l.call_site_code.off()?)?,
            offset_or_position: smi(h.word(c, l.call_site_offset.off()?)?),
            flags: smi(h.word(c, l.call_site_flags.off()?)?),
        });
    }
    Ok(out)
}
