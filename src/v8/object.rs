//! JavaScript objects: maps, descriptors, properties and elements.
//!
//! A JSObject's own properties live in one of two places, which its map
//! says:
//! - fast mode: the map's DescriptorArray lists each property's key and
//!   details; the value sits in the object (in-object field), in the
//!   PropertyArray (`properties_or_hash`, out-of-object field), or in the
//!   descriptor itself (constants and accessors).
//! - dictionary mode (`is_dictionary_map`): `properties_or_hash` is a
//!   NameDictionary of `[key, value, details]` entries, in hash order; the
//!   details carry the enumeration index that gives JS order.
//!
//! Elements (indexed properties) follow the map's elements kind: a
//! FixedArray (SMI and object kinds, holes marked by the hole), a
//! FixedDoubleArray (holes are a NaN pattern), or a NumberDictionary.
//!
//! Layouts: src/objects/map.h, descriptor-array.tq, property-details.h,
//! dictionary.h, elements-kind.h. Every offset comes from [`super::layout`].

use super::heap::Heap;
use super::V8Error;

/// Most descriptors or dictionary entries looked at for one object: V8's
/// own limit on descriptors is 1020; dictionaries can be bigger, but a
/// debugger printing them is bounded anyway.
pub const MAX_PROPERTIES: usize = 1 << 20;

/// Longest chain of back pointers followed from a map to its constructor.
const MAX_BACK_POINTERS: usize = 4096;

/// What a Map says about its instances.
#[derive(Debug, Clone, PartialEq)]
pub struct MapInfo {
    pub addr: u64,
    pub instance_type: u16,
    /// Instance size in bytes.
    pub instance_size: u64,
    /// Where in-object properties start, in words (JSObject maps only).
    pub inobject_start_words: u64,
    /// Number of in-object property slots.
    pub inobject_properties: u64,
    pub bit_field: u8,
    pub bit_field2: u8,
    pub bit_field3: u32,
    pub elements_kind: u8,
    pub is_dictionary: bool,
    pub own_descriptors: u64,
    pub descriptors: u64,
    pub prototype: u64,
    pub constructor_or_back_pointer: u64,
}

/// Decode a Map.
pub fn map_info(h: &Heap, map: u64) -> Result<MapInfo, V8Error> {
    let l = &h.v8.layout;
    let instance_type = h.map_instance_type(map)?;
    let size_words = h.u8_at(map, l.map_instance_size_in_words.off()?)? as u64;
    let start = h.u8_at(map, l.map_inobject_properties_start.off()?)? as u64;
    let bit_field = h.u8_at(map, l.map_bit_field.off()?)?;
    let bit_field2 = h.u8_at(map, l.map_bit_field2.off()?)?;
    let bit_field3 = h.u32_at(map, l.map_bit_field3.off()?)?;
    let kind = ((bit_field2 as i64 & l.elements_kind_mask.get()?) >> l.elements_kind_shift.get()?) as u8;
    let is_dictionary = (bit_field3 as i64 >> l.is_dictionary_map_shift.get()?) & 1 == 1;
    let own = ((bit_field3 as i64 & l.own_descriptors_mask.get()?) >> l.own_descriptors_shift.get()?) as u64;
    let is_object = h.is_js_receiver_type(instance_type);
    // inobject_properties_start is only meaningful for JSObject maps (for
    // primitive maps it is a constructor function index).
    let inobject = if is_object && start <= size_words { size_words - start } else { 0 };
    Ok(MapInfo {
        addr: map,
        instance_type,
        instance_size: size_words * 8,
        inobject_start_words: start,
        inobject_properties: inobject,
        bit_field,
        bit_field2,
        bit_field3,
        elements_kind: kind,
        is_dictionary,
        own_descriptors: own,
        descriptors: h.field(map, &l.map_instance_descriptors)?,
        prototype: h.field(map, &l.map_prototype)?,
        constructor_or_back_pointer: h.field(map, &l.map_constructor_or_back_pointer)?,
    })
}

/// Is `v` a Map (its map is the meta map)?
pub fn is_map(h: &Heap, v: u64) -> bool {
    h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "MAP_TYPE"))
}

/// Is `v` the hole (an Oddball before V8 12, a Hole object since)?
pub fn is_hole(h: &Heap, v: u64) -> bool {
    if !h.is_heap_object(v) {
        return false;
    }
    if h.instance_type(v).is_ok_and(|t| h.v8.layout.hole_type.value == Some(t as i64)) {
        return true;
    }
    matches!(super::primitive::primitive(h, v), Ok(Some(super::primitive::Primitive::Hole)))
}

/// Where a property's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// In the object, at this byte offset.
    InObject(u64),
    /// In the PropertyArray, at this index.
    OutOfObject(u64),
    /// In the descriptor (constants, accessors).
    Descriptor,
    /// In the NameDictionary.
    Dictionary,
}

/// A property's value: data, or an accessor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropValue {
    /// A tagged value.
    Data(u64),
    /// An AccessorPair (JS getter/setter; absent halves are null) or an
    /// AccessorInfo (native accessor, `pair` is the AccessorInfo).
    Accessor { pair: u64, getter: Option<u64>, setter: Option<u64> },
}

/// One own property.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The key (a String or Symbol), tagged.
    pub key: u64,
    /// The key as JS shows it: `name`, or `Symbol(desc)` for a symbol, or
    /// `#name` for a class private field.
    pub name: String,
    pub is_symbol: bool,
    /// A private symbol (V8-internal, e.g. `error_stack_symbol`): not a
    /// property JS code sees.
    pub is_private: bool,
    pub value: PropValue,
    pub location: Location,
    /// READ_ONLY 1, DONT_ENUM 2, DONT_DELETE 4.
    pub attributes: u8,
    /// A double field (representation Double): the value is a HeapNumber.
    pub double: bool,
}

/// An object's own named properties.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Properties {
    pub list: Vec<Property>,
    /// How many there are (`list` may hold fewer).
    pub total: usize,
    pub dictionary: bool,
}


/// A key as text: a string's contents, `Symbol(desc)` for a symbol, a
/// number for a Smi (element keys).
pub fn key_name(h: &Heap, key: u64) -> Result<(String, bool, bool), V8Error> {
    if h.is_smi(key) {
        return Ok((h.smi_value(key).to_string(), false, false));
    }
    let t = h.instance_type(key)?;
    if h.is_string_type(t) {
        return Ok((super::string::read_string(h, key, 1024)?.text, false, false));
    }
    if h.v8.types.is(t, "SYMBOL_TYPE") {
        let d = super::primitive::symbol_description(h, key)?.unwrap_or_default();
        // Class private fields (`#secret`) are keyed by private-name symbols
        // described `#name`: shown by that name (a debugger shows them,
        // though JS cannot). V8 14 no longer sets their is_private bit.
        if d.starts_with('#') {
            return Ok((d, true, false));
        }
        return Ok((format!("Symbol({d})"), true, super::primitive::symbol_is_private(h, key).unwrap_or(false)));
    }
    Err(V8Error::bad(key, "property key", format!("it is a {}", h.type_name(t))))
}

/// Fields of a PropertyDetails Smi.
#[derive(Debug, Clone, Copy)]
struct Details {
    accessor: bool,
    attributes: u8,
    field: bool,
    double: bool,
    index: u64,
}

fn details(h: &Heap, raw: i64) -> Result<Details, V8Error> {
    let l = &h.v8.layout;
    let bits = |mask: &super::layout::Field, shift: Option<&super::layout::Field>| -> Result<i64, V8Error> {
        let s = match shift {
            Some(f) => f.get()?,
            None => 0,
        };
        Ok((raw & mask.get()?) >> s)
    };
    Ok(Details {
        accessor: bits(&l.prop_kind_mask, None)? == l.prop_kind_accessor.get()?,
        attributes: bits(&l.prop_attributes_mask, Some(&l.prop_attributes_shift))? as u8,
        field: bits(&l.prop_location_mask, Some(&l.prop_location_shift))? == l.prop_location_field.get()?,
        double: bits(&l.prop_representation_mask, Some(&l.prop_representation_shift))? == l.prop_representation_double.get()?,
        index: bits(&l.prop_index_mask, Some(&l.prop_index_shift))? as u64,
    })
}

/// An accessor's halves: an AccessorPair's getter and setter (null or
/// undefined halves are absent); an AccessorInfo has neither.
fn accessor(h: &Heap, v: u64) -> PropValue {
    let l = &h.v8.layout;
    let is_pair = h.is_heap_object(v) && h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "ACCESSOR_PAIR_TYPE"));
    if !is_pair {
        return PropValue::Accessor { pair: v, getter: None, setter: None };
    }
    let half = |f: &super::layout::Field| -> Option<u64> {
        let x = h.field(v, f).ok()?;
        // Absent halves hold null (or undefined): keep only functions.
        let t = h.instance_type(x).ok()?;
        (super::function::is_function_type(h, t) || h.v8.types.is(t, "JS_BOUND_FUNCTION_TYPE")).then_some(x)
    };
    PropValue::Accessor { pair: v, getter: half(&l.accessor_pair_getter), setter: half(&l.accessor_pair_setter) }
}

/// The `i`-th word of a FixedArray-like object (no length check).
fn slot(h: &Heap, arr: u64, i: u64) -> Result<u64, V8Error> {
    let data = h.v8.layout.fixed_array_data.off()?;
    h.word(arr, data + i * 8)
}

/// The own named properties of `obj` (a JSReceiver), in JS order, at most
/// `max` of them (`total` counts them all).
pub fn properties(h: &Heap, obj: u64, max: usize) -> Result<Properties, V8Error> {
    let map = h.map(obj)?;
    let mi = map_info(h, map)?;
    if !h.is_js_receiver_type(mi.instance_type) {
        return Err(V8Error::bad(obj, "JS object", format!("it is a {}", h.type_name(mi.instance_type))));
    }
    let types = &h.v8.types;
    if types.is(mi.instance_type, "JS_GLOBAL_PROXY_TYPE") {
        // globalThis is the proxy; the properties are its global object's
        // (the proxy's prototype).
        if h.is_heap_object(mi.prototype) && h.instance_type(mi.prototype).is_ok_and(|t| types.is(t, "JS_GLOBAL_OBJECT_TYPE")) {
            return global_properties(h, mi.prototype, max);
        }
    }
    if types.is(mi.instance_type, "JS_GLOBAL_OBJECT_TYPE") {
        return global_properties(h, obj, max);
    }
    if mi.is_dictionary {
        return dictionary_properties(h, obj, max);
    }
    fast_properties(h, obj, &mi, max)
}

fn fast_properties(h: &Heap, obj: u64, mi: &MapInfo, max: usize) -> Result<Properties, V8Error> {
    let n = own_descriptor_count(h, mi)?;
    let mut out = Properties { list: Vec::new(), total: n as usize, dictionary: false };
    for i in 0..n.min(max as u64) {
        out.list.push(descriptor_property(h, obj, mi, i)?);
    }
    Ok(out)
}

/// The map's own descriptor count, checked against its DescriptorArray's
/// int16 count of all descriptors.
fn own_descriptor_count(h: &Heap, mi: &MapInfo) -> Result<u64, V8Error> {
    let n = mi.own_descriptors;
    if n == 0 {
        return Ok(0);
    }
    let all = h.u16_at(mi.descriptors, h.v8.layout.descriptor_number_of_all.off()?)? as u64;
    if n > all {
        return Err(V8Error::bad(mi.descriptors, "DescriptorArray", format!("the map claims {n} own descriptors of {all}")));
    }
    Ok(n)
}

/// The address of descriptor `i`'s slot `which` (prop_desc_key/details/value).
fn descriptor_slot(h: &Heap, mi: &MapInfo, i: u64, which: &super::layout::Field) -> Result<u64, V8Error> {
    let l = &h.v8.layout;
    let base = l.descriptor_header_size.off()? + i * l.prop_desc_size.get()? as u64 * 8;
    h.word(mi.descriptors, base + which.get()? as u64 * 8)
}

/// Own property `i` of a fast-mode object: its descriptor's key and
/// details, and the value wherever the details say it lives.
fn descriptor_property(h: &Heap, obj: u64, mi: &MapInfo, i: u64) -> Result<Property, V8Error> {
    let l = &h.v8.layout;
    let key = descriptor_slot(h, mi, i, &l.prop_desc_key)?;
    let raw = descriptor_slot(h, mi, i, &l.prop_desc_details)?;
    if !h.is_smi(raw) {
        return Err(V8Error::bad(mi.descriptors, "DescriptorArray", format!("descriptor {i} details {raw:#x} are not a Smi")));
    }
    let d = details(h, h.smi_value(raw))?;
    let (name, is_symbol, is_private) = key_name(h, key)?;
    let (value, location) = if !d.field {
        let v = descriptor_slot(h, mi, i, &l.prop_desc_value)?;
        (if d.accessor { accessor(h, v) } else { PropValue::Data(v) }, Location::Descriptor)
    } else if d.index < mi.inobject_properties {
        let off = (mi.inobject_start_words + d.index) * 8;
        (PropValue::Data(h.word(obj, off)?), Location::InObject(off))
    } else {
        let j = d.index - mi.inobject_properties;
        let props = h.field(obj, &l.js_receiver_properties)?;
        if !h.is_heap_object(props) {
            return Err(V8Error::bad(obj, "JS object", format!("property {name} is out-of-object but it has no property array")));
        }
        let len = property_array_len(h, props)?;
        if j >= len {
            return Err(V8Error::bad(props, "PropertyArray", format!("index {j} beyond length {len}")));
        }
        let v = h.word(props, l.property_array_data.off()? + j * 8)?;
        (if d.accessor { accessor(h, v) } else { PropValue::Data(v) }, Location::OutOfObject(j))
    };
    Ok(Property { key, name, is_symbol, is_private, value, location, attributes: d.attributes, double: d.double })
}

/// A PropertyArray's length (the low bits of its length-and-hash Smi).
fn property_array_len(h: &Heap, arr: u64) -> Result<u64, V8Error> {
    let l = &h.v8.layout;
    let w = h.word(arr, l.property_array_length_and_hash.off()?)?;
    if !h.is_smi(w) {
        return Err(V8Error::bad(arr, "PropertyArray", format!("length word {w:#x} is not a Smi")));
    }
    Ok((h.smi_value(w) & l.property_array_length_mask.get()?) as u64)
}

/// HashTable geometry: (capacity, first entry slot, entry size).
fn hash_table(h: &Heap, table: u64, prefix: i64, entry: i64) -> Result<(u64, u64, u64), V8Error> {
    let l = &h.v8.layout;
    let len = h.fixed_array_len(table)?;
    let cap = slot(h, table, l.hash_table_capacity.get()? as u64)?;
    if !h.is_smi(cap) {
        return Err(V8Error::bad(table, "hash table", "its capacity is not a Smi"));
    }
    let cap = h.smi_value(cap);
    let start = (l.hash_table_prefix_start.get()? + prefix) as u64;
    if cap < 0 || start + cap as u64 * entry as u64 > len {
        return Err(V8Error::bad(table, "hash table", format!("capacity {cap} does not fit its length {len}")));
    }
    Ok((cap as u64, start, entry as u64))
}

fn is_undefined(h: &Heap, v: u64) -> bool {
    h.is_heap_object(v) && matches!(super::primitive::primitive(h, v), Ok(Some(super::primitive::Primitive::Undefined)))
}

fn dictionary_properties(h: &Heap, obj: u64, max: usize) -> Result<Properties, V8Error> {
    let l = &h.v8.layout;
    let dict = h.field(obj, &l.js_receiver_properties)?;
    let t = h.instance_type(dict)?;
    if h.v8.types.is(t, "SWISS_NAME_DICTIONARY_TYPE") {
        return Err(V8Error::bad(dict, "property dictionary", "SwissNameDictionary properties are not decoded (V8 built with them enabled)"));
    }
    let (cap, start, esize) = hash_table(h, dict, l.name_dict_prefix_size.get()?, l.name_dict_entry_size.get()?)?;
    let mut found: Vec<(i64, Property)> = Vec::new();
    let mut total = 0usize;
    for i in 0..cap.min(MAX_PROPERTIES as u64) {
        let s = start + i * esize;
        let key = slot(h, dict, s)?;
        if is_undefined(h, key) || is_hole(h, key) || h.is_smi(key) {
            continue;
        }
        let v = slot(h, dict, s + 1)?;
        let raw = slot(h, dict, s + 2)?;
        if !h.is_smi(raw) {
            continue;
        }
        let raw = h.smi_value(raw);
        let d = details(h, raw)?;
        let enum_index = raw >> l.prop_dictionary_index_shift.get()?;
        let (name, is_symbol, is_private) = key_name(h, key)?;
        let value = if d.accessor { accessor(h, v) } else { PropValue::Data(v) };
        total += 1;
        found.push((enum_index, Property { key, name, is_symbol, is_private, value, location: Location::Dictionary, attributes: d.attributes, double: false }));
    }
    found.sort_by_key(|(e, _)| *e);
    Ok(Properties { list: found.into_iter().take(max).map(|(_, p)| p).collect(), total, dictionary: true })
}

/// A global object's properties: a GlobalDictionary of PropertyCells
/// (`[name, details, value]`), in enumeration order.
fn global_properties(h: &Heap, global: u64, max: usize) -> Result<Properties, V8Error> {
    let l = &h.v8.layout;
    let dict = h.field(global, &l.js_receiver_properties)?;
    let (cap, start, esize) = hash_table(h, dict, l.global_dict_prefix_size.get()?, l.global_dict_entry_size.get()?)?;
    let mut found: Vec<(i64, Property)> = Vec::new();
    for i in 0..cap.min(MAX_PROPERTIES as u64) {
        let cell = slot(h, dict, start + i * esize)?;
        if h.is_smi(cell) || !h.instance_type(cell).is_ok_and(|t| h.v8.types.is(t, "PROPERTY_CELL_TYPE")) {
            continue; // empty (undefined) or deleted (the hole)
        }
        let key = h.word(cell, l.property_cell_name.off()?)?;
        let raw = h.word(cell, l.property_cell_details.off()?)?;
        let v = h.word(cell, l.property_cell_value.off()?)?;
        if !h.is_smi(raw) || is_hole(h, v) {
            continue; // a deleted global's cell holds the hole
        }
        let raw = h.smi_value(raw);
        let d = details(h, raw)?;
        let (name, is_symbol, is_private) = key_name(h, key)?;
        let value = if d.accessor { accessor(h, v) } else { PropValue::Data(v) };
        let enum_index = raw >> l.prop_dictionary_index_shift.get()?;
        found.push((enum_index, Property { key, name, is_symbol, is_private, value, location: Location::Dictionary, attributes: d.attributes, double: false }));
    }
    found.sort_by_key(|(e, _)| *e);
    let total = found.len();
    Ok(Properties { list: found.into_iter().take(max).map(|(_, p)| p).collect(), total, dictionary: true })
}

/// Find an own property by name (or by symbol description for
/// `Symbol(x)`), searching all own properties.
pub fn find_property(h: &Heap, obj: u64, name: &str) -> Result<Option<Property>, V8Error> {
    let map = h.map(obj)?;
    let mi = map_info(h, map)?;
    let plain = h.is_js_receiver_type(mi.instance_type)
        && !mi.is_dictionary
        && !["JS_GLOBAL_PROXY_TYPE", "JS_GLOBAL_OBJECT_TYPE"].iter().any(|t| h.v8.types.is(mi.instance_type, t));
    if plain && !name.starts_with("Symbol(") && !name.starts_with('#') {
        // Fast mode: find the descriptor by comparing string keys of the
        // right length only, then decode just that property.
        let l = &h.v8.layout;
        let want = name.encode_utf16().count() as u64;
        let mut index = None;
        for i in 0..own_descriptor_count(h, &mi)? {
            let key = descriptor_slot(h, &mi, i, &l.prop_desc_key)?;
            if super::string::is_string(h, key)
                && super::string::string_length(h, key)? == want
                && super::string::read_string(h, key, want as usize)?.text == name
            {
                index = Some(i);
                break;
            }
        }
        let Some(i) = index else { return Ok(None) };
        return descriptor_property(h, obj, &mi, i).map(Some);
    }
    Ok(properties(h, obj, MAX_PROPERTIES)?.list.into_iter().find(|p| p.name == name))
}

/// The own property names a fast-mode map describes, in order (symbols as
/// `Symbol(desc)`; private symbols left out).
pub fn map_property_names(h: &Heap, map: u64) -> Result<Vec<String>, V8Error> {
    let mi = map_info(h, map)?;
    if mi.is_dictionary {
        return Err(V8Error::bad(map, "map", "a dictionary map does not describe its properties"));
    }
    let n = own_descriptor_count(h, &mi)?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let key = descriptor_slot(h, &mi, i, &h.v8.layout.prop_desc_key)?;
        let (name, _, private) = key_name(h, key)?;
        if !private {
            out.push(name);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- elements

/// How a JSObject stores its elements (src/objects/elements-kind.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemStore {
    /// FixedArray of tagged values (SMI, object, frozen/sealed kinds).
    Tagged { holey: bool, smi: bool },
    /// FixedDoubleArray.
    Double { holey: bool },
    /// NumberDictionary (sparse).
    Dictionary,
    /// Typed-array, arguments and string-wrapper kinds: not decoded here.
    Other,
}

/// Classify an elements kind number.
pub fn elements_store(h: &Heap, kind: u8) -> ElemStore {
    let l = &h.v8.layout;
    let k = kind as i64;
    let is = |f: &super::layout::Field| f.value == Some(k);
    if is(&l.elements_packed_smi) {
        ElemStore::Tagged { holey: false, smi: true }
    } else if is(&l.elements_holey_smi) {
        ElemStore::Tagged { holey: true, smi: true }
    } else if is(&l.elements_fast_elements) {
        ElemStore::Tagged { holey: false, smi: false }
    } else if is(&l.elements_fast_holey_elements) {
        ElemStore::Tagged { holey: true, smi: false }
    } else if is(&l.elements_packed_double) {
        ElemStore::Double { holey: false }
    } else if is(&l.elements_holey_double) {
        ElemStore::Double { holey: true }
    } else if is(&l.elements_dictionary_elements) {
        ElemStore::Dictionary
    } else if l.elements_holey_double.value.is_some_and(|d| k > d) && l.elements_last_frozen.value.is_some_and(|f| k <= f) {
        // NONEXTENSIBLE/SEALED/FROZEN kinds: a FixedArray, odd kinds holey.
        ElemStore::Tagged { holey: k % 2 == 1, smi: false }
    } else {
        ElemStore::Other
    }
}

/// The name V8 gives an elements kind (for headers), by store.
pub fn elements_kind_name(h: &Heap, kind: u8) -> String {
    match elements_store(h, kind) {
        ElemStore::Tagged { holey, smi } => {
            format!("{}_{}ELEMENTS", if holey { "HOLEY" } else { "PACKED" }, if smi { "SMI_" } else { "" })
        }
        ElemStore::Double { holey } => format!("{}_DOUBLE_ELEMENTS", if holey { "HOLEY" } else { "PACKED" }),
        ElemStore::Dictionary => "DICTIONARY_ELEMENTS".into(),
        ElemStore::Other => format!("elements kind {kind}"),
    }
}

/// One element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Elem {
    /// A tagged value.
    Value(u64),
    /// An unboxed double (FixedDoubleArray).
    Double(f64),
    /// A hole (absent element of a holey array).
    Hole,
}

/// An object's elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Elements {
    pub kind: u8,
    pub store: ElemStore,
    /// The backing store (FixedArray, FixedDoubleArray or NumberDictionary).
    pub backing: u64,
    /// Slots in the backing store (capacity); for a dictionary, entries.
    pub capacity: u64,
    /// `(index, element)`: for fast kinds every index from 0 (holes
    /// included), for dictionaries the present ones in index order.
    pub items: Vec<(u64, Elem)>,
    /// `items` was cut at the requested maximum.
    pub truncated: bool,
}

/// The elements of `obj`: at most `max` of them, and for fast kinds at most
/// `limit` indexes (a JSArray's length; the capacity otherwise).
pub fn elements(h: &Heap, obj: u64, limit: Option<u64>, max: usize) -> Result<Elements, V8Error> {
    let l = &h.v8.layout;
    let mi = map_info(h, h.map(obj)?)?;
    let store = elements_store(h, mi.elements_kind);
    let backing = h.field(obj, &l.js_object_elements)?;
    let mut e = Elements { kind: mi.elements_kind, store, backing, capacity: 0, items: Vec::new(), truncated: false };
    match store {
        ElemStore::Tagged { .. } => {
            let cap = h.fixed_array_len(backing)?;
            e.capacity = cap;
            let n = limit.unwrap_or(cap).min(cap);
            for i in 0..n {
                if e.items.len() >= max {
                    e.truncated = true;
                    break;
                }
                let v = slot(h, backing, i)?;
                e.items.push((i, if is_hole(h, v) { Elem::Hole } else { Elem::Value(v) }));
            }
        }
        ElemStore::Double { .. } => {
            let cap = h.fixed_array_len(backing)?;
            e.capacity = cap;
            let n = limit.unwrap_or(cap).min(cap);
            let data = l.fixed_double_array_data.off()?;
            let hole = l.double_hole_nan.get()? as u64;
            for i in 0..n {
                if e.items.len() >= max {
                    e.truncated = true;
                    break;
                }
                let bits = h.word(backing, data + i * 8)?;
                e.items.push((i, if bits == hole { Elem::Hole } else { Elem::Double(f64::from_bits(bits)) }));
            }
        }
        ElemStore::Dictionary => {
            let (cap, start, esize) = hash_table(h, backing, l.number_dict_prefix_size.get()?, l.number_dict_entry_size.get()?)?;
            let mut found = Vec::new();
            for i in 0..cap.min(MAX_PROPERTIES as u64) {
                let s = start + i * esize;
                let key = slot(h, backing, s)?;
                let idx = if h.is_smi(key) {
                    h.smi_value(key)
                } else if h.is_heap_object(key) && h.instance_type(key).is_ok_and(|t| h.v8.types.is(t, "HEAP_NUMBER_TYPE")) {
                    h.f64_at(key, l.heap_number_value.off()?)? as i64
                } else {
                    continue; // empty (undefined) or deleted (hole)
                };
                if idx < 0 {
                    continue;
                }
                found.push((idx as u64, Elem::Value(slot(h, backing, s + 1)?)));
            }
            found.sort_by_key(|(i, _)| *i);
            e.capacity = found.len() as u64;
            e.truncated = found.len() > max;
            found.truncate(max);
            e.items = found;
        }
        ElemStore::Other => {}
    }
    // An array longer than its backing store (`a.length = 10`) has holes
    // beyond it.
    if let (Some(len), ElemStore::Tagged { .. } | ElemStore::Double { .. }) = (limit, store) {
        let mut i = e.capacity;
        while i < len && !e.truncated {
            if e.items.len() >= max {
                e.truncated = true;
                break;
            }
            e.items.push((i, Elem::Hole));
            i += 1;
        }
    }
    Ok(e)
}

/// A JSArray's `length` (a Smi, or a HeapNumber above 2^31 - 1).
pub fn array_length(h: &Heap, arr: u64) -> Result<u64, V8Error> {
    let l = &h.v8.layout;
    let v = h.field(arr, &l.js_array_length)?;
    if h.is_smi(v) {
        let n = h.smi_value(v);
        if n < 0 {
            return Err(V8Error::bad(arr, "JSArray", format!("length {n}")));
        }
        return Ok(n as u64);
    }
    if h.instance_type(v).is_ok_and(|t| h.v8.types.is(t, "HEAP_NUMBER_TYPE")) {
        let d = h.f64_at(v, l.heap_number_value.off()?)?;
        if (0.0..=4294967295.0).contains(&d) && d.fract() == 0.0 {
            return Ok(d as u64);
        }
    }
    Err(V8Error::bad(arr, "JSArray", format!("its length word {v:#x} is not an array length")))
}

// ---------------------------------------------------------------- constructors

/// The JSFunction that constructed objects of `map`: the end of its
/// back-pointer chain, if that is a function.
pub fn map_constructor(h: &Heap, map: u64) -> Result<Option<u64>, V8Error> {
    Ok(map_root(h, map)?.1)
}

/// The root of `map`'s transition tree and the JSFunction its back-pointer
/// chain ends at, if it is one.
fn map_root(h: &Heap, map: u64) -> Result<(u64, Option<u64>), V8Error> {
    let l = &h.v8.layout;
    let mut m = map;
    for _ in 0..MAX_BACK_POINTERS {
        let c = h.field(m, &l.map_constructor_or_back_pointer)?;
        if !h.is_heap_object(c) {
            return Ok((m, None));
        }
        let t = h.instance_type(c)?;
        if h.v8.types.is(t, "MAP_TYPE") {
            m = c;
            continue;
        }
        return Ok((m, super::function::is_function_type(h, t).then_some(c)));
    }
    Err(V8Error::bad(map, "map", "its back-pointer chain does not end"))
}

/// The derived class that made an object whose map's constructor is its
/// base class. V8 gives a derived class's initial map the constructor that
/// allocates (the base: `Error` for `class E extends Error`, `Base` for
/// `class Derived extends Base`; JSFunction::GetDerivedMap), so the map
/// alone names the base. The derived class is the prototype's own
/// `constructor` whose initial map is this map tree's root.
fn derived_constructor(h: &Heap, map: u64, root: u64, base: u64) -> Option<u64> {
    let l = &h.v8.layout;
    let proto = h.field(map, &l.map_prototype).ok()?;
    if !h.is_heap_object(proto) || !h.is_js_receiver_type(h.instance_type(proto).ok()?) {
        return None;
    }
    let PropValue::Data(g) = find_property(h, proto, "constructor").ok()??.value else { return None };
    if g == base || !super::function::is_function(h, g) {
        return None;
    }
    (h.field(g, &l.js_function_prototype_or_initial_map).ok()? == root).then_some(g)
}

/// The name of the constructor that made `obj` (`Object`, `Widget`,
/// `Array`), from its map's constructor chain; failing that, the V8 class
/// of its instance type (`JSArray` → `Array`).
pub fn constructor_name(h: &Heap, obj: u64) -> Result<String, V8Error> {
    let map = h.map(obj)?;
    let t = h.map_instance_type(map)?;
    // Subclassed typed arrays (Node's FastBuffer) keep the base class as
    // their map's constructor: ask the prototype's `constructor`, as JS
    // code would (`buf.constructor.name` is `Buffer`).
    if h.v8.types.is(t, "JS_TYPED_ARRAY_TYPE")
        && let Some(n) = prototype_constructor_name(h, map)
    {
        return Ok(n);
    }
    let (root, f) = map_root(h, map)?;
    let f = f.map(|base| derived_constructor(h, map, root, base).unwrap_or(base));
    if let Some(f) = f
        && let Ok(n) = super::function::function_name(h, f)
        && !n.is_empty()
        && n != "<anonymous>"
    {
        return Ok(n);
    }
    let class = h.v8.types.class(t).unwrap_or("Object");
    Ok(class.strip_prefix("JS").filter(|s| !s.is_empty()).unwrap_or(class).to_string())
}

/// The name of the function in the own `constructor` property of the
/// map's prototype, if there is one.
fn prototype_constructor_name(h: &Heap, map: u64) -> Option<String> {
    let proto = h.field(map, &h.v8.layout.map_prototype).ok()?;
    if !h.is_heap_object(proto) || !h.is_js_receiver_type(h.instance_type(proto).ok()?) {
        return None;
    }
    let p = find_property(h, proto, "constructor").ok()??;
    let PropValue::Data(f) = p.value else { return None };
    let n = super::function::function_name(h, f).ok()?;
    (!n.is_empty()).then_some(n)
}
