//! Tagged values and heap objects: the primitives every decoder uses.
//! Addresses here are tagged (as V8 stores them) unless a name says
//! `untagged`. Every read goes through the target's memory and fails with
//! the address it could not read.

use crate::memory::Memory;
use crate::target::Target;

use super::layout::Field;
use super::{V8, V8Error};

/// A target with its V8 model: what decoders are given.
#[derive(Clone, Copy)]
pub struct Heap<'a> {
    pub t: &'a Target,
    pub v8: &'a V8,
}

/// String classification from the instance type bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrRepr {
    Seq,
    Cons,
    External,
    Sliced,
    Thin,
}

impl<'a> Heap<'a> {
    pub fn new(t: &'a Target, v8: &'a V8) -> Heap<'a> {
        Heap { t, v8 }
    }

    pub fn is_smi(&self, v: u64) -> bool {
        let mask = self.v8.layout.smi_tag_mask.value.unwrap_or(1) as u64;
        v & mask == 0
    }

    /// The integer of a Smi (upper 32 bits without pointer compression).
    pub fn smi_value(&self, v: u64) -> i64 {
        let shift = self.v8.layout.smi_shift_size.value.unwrap_or(31) as u32 + 1;
        (v as i64) >> shift.min(63)
    }

    /// Encode an integer as a Smi, e.g. to compare with stored values.
    pub fn to_smi(&self, n: i64) -> u64 {
        let shift = self.v8.layout.smi_shift_size.value.unwrap_or(31) as u32 + 1;
        ((n as u64) << shift.min(63)) as u64
    }

    pub fn is_heap_object(&self, v: u64) -> bool {
        let mask = self.v8.layout.heap_object_tag_mask.value.unwrap_or(3) as u64;
        v & mask == self.tag()
    }

    /// The tag of a heap object pointer (what `untag` takes off).
    pub fn tag(&self) -> u64 {
        self.v8.layout.heap_object_tag.value.unwrap_or(1) as u64
    }

    /// A tagged pointer's untagged address.
    pub fn untag(&self, v: u64) -> u64 {
        v & !(self.v8.layout.heap_object_tag_mask.value.unwrap_or(3) as u64)
    }

    /// The 8-byte word at byte offset `off` of the object `obj` (tagged).
    pub fn word(&self, obj: u64, off: u64) -> Result<u64, V8Error> {
        if !self.is_heap_object(obj) {
            return Err(V8Error::NotHeapObject { addr: obj });
        }
        Ok(self.t.read_u64(self.untag(obj).wrapping_add(off))?)
    }

    /// The word at a layout field of `obj`.
    pub fn field(&self, obj: u64, f: &Field) -> Result<u64, V8Error> {
        self.word(obj, f.off()?)
    }

    /// A Smi field as an integer; fails if the word is not a Smi.
    pub fn smi_field(&self, obj: u64, f: &Field) -> Result<i64, V8Error> {
        let v = self.field(obj, f)?;
        if !self.is_smi(v) {
            return Err(V8Error::bad(obj, "object", format!("field {} holds {v:#x}, not a Smi", f.name)));
        }
        Ok(self.smi_value(v))
    }

    pub fn u8_at(&self, obj: u64, off: u64) -> Result<u8, V8Error> {
        Ok(self.t.read_u8(self.untag(obj).wrapping_add(off))?)
    }
    pub fn u16_at(&self, obj: u64, off: u64) -> Result<u16, V8Error> {
        Ok(self.t.read_u16(self.untag(obj).wrapping_add(off))?)
    }
    pub fn u32_at(&self, obj: u64, off: u64) -> Result<u32, V8Error> {
        Ok(self.t.read_u32(self.untag(obj).wrapping_add(off))?)
    }
    pub fn f64_at(&self, obj: u64, off: u64) -> Result<f64, V8Error> {
        Ok(f64::from_bits(self.t.read_u64(self.untag(obj).wrapping_add(off))?))
    }

    /// The map of a heap object.
    pub fn map(&self, obj: u64) -> Result<u64, V8Error> {
        let m = self.field(obj, &self.v8.layout.heap_object_map)?;
        if !self.is_heap_object(m) {
            return Err(V8Error::bad(obj, "heap object", format!("its map word {m:#x} is not a pointer")));
        }
        Ok(m)
    }

    /// The instance type of a map.
    pub fn map_instance_type(&self, map: u64) -> Result<u16, V8Error> {
        self.u16_at(map, self.v8.layout.map_instance_type.off()?)
    }

    /// The instance type of a heap object, checking that its map is a Map
    /// (a map's map is the meta map, whose own map is itself).
    pub fn instance_type(&self, obj: u64) -> Result<u16, V8Error> {
        let map = self.map(obj)?;
        let meta = self.map(map)?;
        if self.map(meta)? != meta {
            return Err(V8Error::bad(obj, "heap object", format!("{map:#x} is not a map")));
        }
        self.map_instance_type(map)
    }

    /// The instance type name (`JS_ARRAY_TYPE`), or the number in hex.
    pub fn type_name(&self, t: u16) -> String {
        self.v8.types.name(t).map(str::to_string).unwrap_or_else(|| format!("type {t}"))
    }

    pub fn is_string_type(&self, t: u16) -> bool {
        let first = self.v8.layout.first_nonstring_type.value.unwrap_or(128);
        (t as i64) < first
    }

    /// Representation and one-byte-ness of a string instance type.
    pub fn string_kind(&self, t: u16) -> Result<(StrRepr, bool), V8Error> {
        let l = &self.v8.layout;
        let repr = (t as i64) & l.string_representation_mask.get()?;
        let enc = (t as i64) & l.string_encoding_mask.get()?;
        let r = if repr == l.seq_string_tag.get()? {
            StrRepr::Seq
        } else if repr == l.cons_string_tag.get()? {
            StrRepr::Cons
        } else if repr == l.external_string_tag.get()? {
            StrRepr::External
        } else if repr == l.sliced_string_tag.get()? {
            StrRepr::Sliced
        } else if repr == l.thin_string_tag.get()? {
            StrRepr::Thin
        } else {
            return Err(V8Error::bad(0, "string", format!("unknown representation {repr} in type {t}")));
        };
        Ok((r, enc == l.one_byte_string_tag.get()?))
    }

    pub fn is_context_type(&self, t: u16) -> bool {
        let l = &self.v8.layout;
        match (l.first_context_type.value, l.last_context_type.value) {
            (Some(a), Some(b)) => (t as i64) >= a && (t as i64) <= b,
            _ => false,
        }
    }

    pub fn is_js_function_type(&self, t: u16) -> bool {
        let l = &self.v8.layout;
        match (l.first_js_function_type.value, l.last_js_function_type.value) {
            (Some(a), Some(b)) => (t as i64) >= a && (t as i64) <= b,
            _ => self.v8.types.is(t, "JS_FUNCTION_TYPE"),
        }
    }

    /// JSReceiver types sort after every other type (FIRST_JS_RECEIVER_TYPE
    /// is above all non-JS types); JS_PROXY and the global objects are the
    /// lowest of them.
    pub fn is_js_receiver_type(&self, t: u16) -> bool {
        let first = ["JS_PROXY_TYPE", "JS_GLOBAL_OBJECT_TYPE", "JS_GLOBAL_PROXY_TYPE", "JS_MODULE_NAMESPACE_TYPE"]
            .iter()
            .filter_map(|n| self.v8.types.num(n))
            .min();
        first.is_some_and(|f| t >= f)
    }

    /// A FixedArray's length.
    pub fn fixed_array_len(&self, arr: u64) -> Result<u64, V8Error> {
        let n = self.smi_field(arr, &self.v8.layout.fixed_array_length)?;
        if !(0..=(1 << 30)).contains(&n) {
            return Err(V8Error::bad(arr, "FixedArray", format!("length {n}")));
        }
        Ok(n as u64)
    }

    /// Element `i` of a FixedArray (tagged), bounds-checked.
    pub fn fixed_array_get(&self, arr: u64, i: u64) -> Result<u64, V8Error> {
        let len = self.fixed_array_len(arr)?;
        if i >= len {
            return Err(V8Error::bad(arr, "FixedArray", format!("index {i} beyond length {len}")));
        }
        let data = self.v8.layout.fixed_array_data.off()?;
        let ts = self.v8.layout.tagged_size.value.unwrap_or(8) as u64;
        self.word(arr, data + i * ts)
    }
}
