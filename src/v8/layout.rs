//! Every V8 layout value jmdb uses, resolved in this one table.
//!
//! Each entry lists the metadata names that may carry it, in order (a class
//! field matches whatever its type suffix is, since the suffix changes
//! between versions: `Map__prototype__Object` in Node 20,
//! `Map__prototype__Tagged_JSPrototype_` in Node 24), then fallbacks for
//! V8 version ranges, each naming the V8 source it was read from. The
//! resolved table records which source won, and `::v8metadata` shows it.
//! Facts checked against all five official builds are in docs/v8-layouts.md.

use super::metadata::Metadata;

/// A V8 version as `major * 100 + minor` (10.2 → 1002), for ranges.
pub type Ver = u32;

pub fn ver(v: (u32, u32, u32, u32)) -> Ver {
    v.0 * 100 + v.1
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The metadata symbol (without `v8dbg_`) it was read from.
    Metadata(String),
    /// A fallback for this V8 version, with the source it came from.
    Fallback(&'static str),
    /// Not known for this binary: anything needing it says so.
    Missing,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub value: Option<i64>,
    pub source: Source,
}

impl Field {
    /// The value, or an error naming what is unknown.
    pub fn get(&self) -> Result<i64, LayoutMissing> {
        self.value.ok_or(LayoutMissing(self.name))
    }
    /// As a byte offset.
    pub fn off(&self) -> Result<u64, LayoutMissing> {
        self.get().map(|v| v as u64)
    }
}

/// A layout value this binary's metadata lacks and no fallback covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("layout value {0} is unknown for this V8 version (see ::v8metadata)")]
pub struct LayoutMissing(pub &'static str);

/// Does metadata key `k` carry `pat`? A `class_C__f` pattern matches
/// `class_C__f` and `class_C__f__<AnyType>`, never `class_C__f_more`.
fn key_matches(k: &str, pat: &str) -> bool {
    k == pat || (k.starts_with(pat) && k[pat.len()..].starts_with("__"))
}

fn resolve(name: &'static str, md: &Metadata, v: Ver, metas: &[&str], fbs: &[(Ver, Ver, i64, &'static str)]) -> Field {
    for pat in metas {
        // Exact name first, then any type suffix (first in sorted order).
        if pat.starts_with("nodedbg_") {
            if let Some(m) = md.node.get(*pat) {
                return Field { name, value: Some(m.value), source: Source::Metadata(pat.to_string()) };
            }
            if let Some((k, m)) = md.node.iter().find(|(k, _)| key_matches(k, pat)) {
                return Field { name, value: Some(m.value), source: Source::Metadata(k.clone()) };
            }
            continue;
        }
        if let Some(m) = md.v8.get(*pat) {
            return Field { name, value: Some(m.value), source: Source::Metadata(pat.to_string()) };
        }
        if let Some((k, m)) = md.v8.range(pat.to_string()..).take_while(|(k, _)| k.starts_with(pat)).find(|(k, _)| key_matches(k, pat)) {
            return Field { name, value: Some(m.value), source: Source::Metadata(k.clone()) };
        }
    }
    for &(lo, hi, val, src) in fbs {
        if v >= lo && v <= hi {
            return Field { name, value: Some(val), source: Source::Fallback(src) };
        }
    }
    Field { name, value: None, source: Source::Missing }
}

macro_rules! layout_table {
    ($( $(#[$doc:meta])* $field:ident : [ $($meta:expr),* ] $( ; $( ($lo:expr, $hi:expr, $val:expr, $src:expr) ),* )? ; )*) => {
        /// The resolved layout of one V8 build.
        #[derive(Debug, Clone)]
        pub struct Layout {
            $( $(#[$doc])* pub $field: Field, )*
        }
        impl Layout {
            pub fn resolve(md: &Metadata, v: Ver) -> Layout {
                Layout { $( $field: resolve(stringify!($field), md, v, &[$($meta),*], &[$($( ($lo, $hi, $val, $src) ),*)?]), )* }
            }
            /// Every entry, in table order, for `::v8metadata`.
            pub fn fields(&self) -> Vec<&Field> {
                vec![$( &self.$field ),*]
            }
        }
    };
}

const ALL: (Ver, Ver) = (0, 9999);

layout_table! {
    // ---- tagging and sizes ----
    smi_shift_size: ["SmiShiftSize"] ; (ALL.0, ALL.1, 31, "include/v8-internal.h: 31 without pointer compression");
    smi_tag_mask: ["SmiTagMask"] ; (ALL.0, ALL.1, 1, "include/v8-internal.h: kSmiTagMask");
    heap_object_tag: ["HeapObjectTag"] ; (ALL.0, ALL.1, 1, "include/v8-internal.h: kHeapObjectTag");
    heap_object_tag_mask: ["HeapObjectTagMask"] ; (ALL.0, ALL.1, 3, "include/v8-internal.h: kHeapObjectTagMask");
    pointer_size: ["SystemPointerSize"] ; (ALL.0, ALL.1, 8, "x86_64");
    tagged_size: ["TaggedSize"] ; (ALL.0, ALL.1, 8, "official builds: no pointer compression");

    // ---- instance type ranges and string tags ----
    first_nonstring_type: ["FirstNonstringType"] ; (ALL.0, ALL.1, 128, "src/objects/instance-type.h: FIRST_NONSTRING_TYPE");
    is_not_string_mask: ["IsNotStringMask"] ; (ALL.0, ALL.1, -128, "src/objects/instance-type.h: kIsNotStringMask");
    string_encoding_mask: ["StringEncodingMask"] ; (ALL.0, ALL.1, 8, "src/objects/instance-type.h");
    string_representation_mask: ["StringRepresentationMask"] ; (ALL.0, ALL.1, 7, "src/objects/instance-type.h");
    one_byte_string_tag: ["OneByteStringTag"] ; (ALL.0, ALL.1, 8, "src/objects/instance-type.h");
    two_byte_string_tag: ["TwoByteStringTag"] ; (ALL.0, ALL.1, 0, "src/objects/instance-type.h");
    seq_string_tag: ["SeqStringTag"] ; (ALL.0, ALL.1, 0, "src/objects/instance-type.h");
    cons_string_tag: ["ConsStringTag"] ; (ALL.0, ALL.1, 1, "src/objects/instance-type.h");
    external_string_tag: ["ExternalStringTag"] ; (ALL.0, ALL.1, 2, "src/objects/instance-type.h");
    sliced_string_tag: ["SlicedStringTag"] ; (ALL.0, ALL.1, 3, "src/objects/instance-type.h");
    thin_string_tag: ["ThinStringTag"] ; (ALL.0, ALL.1, 5, "src/objects/instance-type.h");
    first_context_type: ["FirstContextType"];
    last_context_type: ["LastContextType"];
    api_object_type: ["APIObjectType"];
    special_api_object_type: ["SpecialAPIObjectType"];
    first_js_function_type: ["FirstJSFunctionType", "type_JSFunction__JS_FUNCTION_TYPE"];
    last_js_function_type: ["LastJSFunctionType", "type_JSFunction__JS_FUNCTION_TYPE"];
    /// FREE_SPACE_TYPE: exported up to V8 12; after that its number comes
    /// from the instance-type order (alphabetical among the Torque classes
    /// after FEEDBACK_VECTOR and FILLER, before HOLE; src/objects/free-space.tq;
    /// checked on the real 24 and 26 cores: each such object's size leads
    /// to the next object's map word).
    free_space_type: ["type_FreeSpace__FREE_SPACE_TYPE"] ; (1300, 1399, 268, "instance-type order in V8 13.6: FEEDBACK_VECTOR 266, FILLER 267, FREE_SPACE 268, HOLE 269"), (1400, 1499, 273, "instance-type order in V8 14.6: FEEDBACK_VECTOR 271, FILLER 272, FREE_SPACE 273");

    // ---- oddballs ----
    oddball_kind: ["class_Oddball__kind", "class_Oddball__kind_offset"] ; (ALL.0, ALL.1, 40, "include/v8-internal.h: kOddballKindOffset");
    oddball_false: ["OddballFalse"];
    oddball_true: ["OddballTrue"];
    oddball_the_hole: ["OddballTheHole"];
    oddball_null: ["OddballNull"];
    oddball_undefined: ["OddballUndefined"];
    oddball_uninitialized: ["OddballUninitialized"];
    oddball_arguments_marker: ["OddballArgumentsMarker"];
    oddball_exception: ["OddballException"];
    oddball_other: ["OddballOther"];

    // ---- HeapObject and Map ----
    heap_object_map: ["class_HeapObject__map"] ; (ALL.0, ALL.1, 0, "src/objects/heap-object.h: kMapOffset");
    /// FreeSpace's size in bytes (a Smi), after the map.
    free_space_size: ["class_FreeSpace__size"] ; (ALL.0, ALL.1, 8, "src/objects/free-space.tq: FreeSpace size: Smi");
    /// Bytes per unit of that size: bytes up to V8 12, tagged words from 13
    /// (seen on the real cores: 24 and 26 store 4 for a 32-byte FreeSpace
    /// followed by the next object's map; src/objects/free-space-inl.h).
    free_space_size_unit: [] ; (0, 1299, 1, "src/objects/free-space-inl.h: size in bytes"), (1300, 9999, 8, "src/objects/free-space-inl.h: size in tagged words");
    /// A heap page's flags word, from the page start (256 KiB-aligned):
    /// after `size_` in BasicMemoryChunk (V8 10-11), first in MemoryChunk
    /// from V8 12 (checked on the real cores: 0x40000 then flags in 18/20).
    page_flags: [] ; (0, 1199, 8, "src/heap/basic-memory-chunk.h: size_, flags_"), (1200, 9999, 0, "src/heap/memory-chunk.h: main_thread_flags_ first");
    /// Flags of young-generation pages: FROM_PAGE 1<<3 | TO_PAGE 1<<4
    /// (src/heap/memory-chunk.h / basic-memory-chunk.h; the cores' young
    /// pages carry 0x10, old ones neither bit).
    page_young_mask: [] ; (ALL.0, ALL.1, 0x18, "src/heap/memory-chunk.h: FROM_PAGE | TO_PAGE");
    // What a page's header says about the liveness of its objects (none of
    // it is in the metadata; the findings are in docs/v8-layouts.md, "Dead
    // objects V8 leaves in its pages"). Offsets below marked "metadata" count
    // from the page's metadata: the page itself in V8 10-12, a
    // malloc'd MutablePageMetadata from V8 13.
    /// Where the page keeps the pointer to its metadata; 0: no pointer, the
    /// header is the metadata (BasicMemoryChunk, V8 10-11). In V8 12 the
    /// pointer points back at the page itself.
    page_metadata_pointer: [] ; (0, 1199, 0, "src/heap/basic-memory-chunk.h: the page header is the metadata"), (1200, 9999, 8, "src/heap/memory-chunk.h: main_thread_flags_, metadata_; checked on the Node 22-26 cores (22: points at the page, 24/26: malloc'd)");
    /// Metadata: the page address the metadata belongs to (heap_ 0,
    /// chunk_address_ 8). V8 14 zeroes the metadata of the pages it pools,
    /// and this then no longer names the page.
    page_metadata_chunk: [] ; (1200, 9999, 8, "src/heap/memory-chunk-metadata.h: heap_, chunk_address_; checked on the Node 22-26 cores (26: 0 on pooled pages)");
    /// Metadata: the marking bitmap, one bit per tagged word of the page
    /// (bit i = word at page + 8 i; V8 10-11 use two bits per object, the
    /// first one set when it is marked grey or black).
    page_marking_bitmap: [] ; (0, 1099, 0x128, "src/heap/memory-chunk-layout.h (10.2): kMarkingBitmapOffset; and the official build's code"), (1100, 9999, 0x140, "src/heap/memory-chunk-layout.h (11.3-14.6): marking bitmap offset; and the official builds' code");
    /// Metadata: the concurrent sweeping state (an intptr_t enum).
    page_sweeping_state: [] ; (0, 1099, 0xc0, "src/heap/memory-chunk.h (10.2): concurrent_sweeping_; and the official build's code"), (1100, 1199, 0xe0, "src/heap/memory-chunk.h (11.3): concurrent_sweeping_"), (1200, 1399, 0xf0, "src/heap/mutable-page-metadata.h (12.4, 13.6): concurrent_sweeping_"), (1400, 9999, 0xf8, "src/heap/mutable-page-metadata.h (14.6): concurrent_sweeping_");
    /// Metadata: the bytes the last full GC marked live on the page.
    page_live_bytes: [] ; (0, 1099, 0x80, "src/heap/memory-chunk.h (10.2): live_byte_count_; and the official build's code"), (1100, 1199, 0x88, "src/heap/memory-chunk.h (11.3): live_byte_count_"), (1200, 1299, 0xd0, "src/heap/mutable-page-metadata.h (12.4): live_byte_count_"), (1300, 1399, 0xe8, "src/heap/mutable-page-metadata.h (13.6): live_byte_count_"), (1400, 9999, 0xf0, "src/heap/mutable-page-metadata.h (14.6): live_byte_count_");
    // The OLD_TO_NEW remembered set: the slots of old objects that may hold
    // a pointer into the young generation, which the scavenger takes as its
    // roots. A page's set is `SlotSet* slot_set_[NUMBER_OF_REMEMBERED_SET_TYPES]`
    // in its metadata, OLD_TO_NEW first (then OLD_TO_NEW_BACKGROUND from 12).
    // The pointer is to an array of bucket pointers, one per 1024 tagged
    // slots of the chunk (null: no slot in it), from V8 13 preceded by the
    // number of buckets; a bucket is 32 uint32 cells, and bit i of cell j of
    // bucket k is the word at chunk + 8 (1024 k + 32 j + i)
    // (src/heap/slot-set.h, src/heap/base/basic-slot-set.h: SlotToIndices).
    // The offsets were read from each official build's
    // AllocateSlotSet, which indexes slot_set_ by the set type and sizes the
    // array by the metadata's size_ ((size + 0x1fff) >> 13 buckets).
    /// Metadata: the chunk's size in bytes (a large page's spans several
    /// 256 KiB chunks; its slot set covers all of them).
    page_chunk_size: [] ; (0, 1199, 0, "src/heap/basic-memory-chunk.h (10.2, 11.3): size_ first; MemoryChunk::AllocateSlotSet reads (%rdi) in Node 18/20"), (1200, 1299, 0x10, "src/heap/memory-chunk-layout.h (12.4): flags, metadata, then size_; MutablePageMetadata::AllocateSlotSet reads 0x10(%rdi) in Node 22"), (1300, 9999, 0x30, "MutablePageMetadata / MutablePage::AllocateSlotSet read 0x30(%rdi) in Node 24/26");
    /// Metadata: `slot_set_[OLD_TO_NEW]`.
    page_old_to_new: [] ; (0, 1199, 0x60, "src/heap/memory-chunk-layout.h (10.2, 11.3): kSlotSetOffset after the BasicMemoryChunk fields; AllocateSlotSet<OLD_TO_NEW> is `lea 0x60(%rdi)` in Node 18/20"), (1200, 1299, 0x68, "src/heap/memory-chunk-layout.h (12.4): kSlotSetOffset; AllocateSlotSet stores at 0x68 + 8 type in Node 22"), (1300, 1399, 0x58, "MutablePageMetadata::AllocateSlotSet stores at 0x58 + 8 type in Node 24"), (1400, 9999, 0x60, "MutablePage::AllocateSlotSet stores at 0x60 + 8 type in Node 26");
    /// Metadata: `slot_set_[OLD_TO_NEW_BACKGROUND]`, where background
    /// threads record (Heap::GenerationalBarrierSlow off the main thread,
    /// the sweeper's promoted pages); none before V8 12.
    page_old_to_new_background: [] ; (1200, 1299, 0x70, "src/heap/memory-chunk-layout.h (12.4): RememberedSetType OLD_TO_NEW_BACKGROUND = 1"), (1300, 1399, 0x60, "as page_old_to_new (24), type 1 (src/heap/mutable-page-metadata.h)"), (1400, 9999, 0x68, "as page_old_to_new (26), type 1 (src/heap/mutable-page.h)");
    /// Bytes before a slot set's bucket array (the number of buckets, from V8 13).
    slot_set_header: [] ; (0, 1299, 0, "src/heap/slot-set.h (10.2-12.4): kInitialBucketsSize 0 in release builds; AllocateSlotSet allocates 8 * buckets in Node 18-22"), (1300, 9999, 8, "src/heap/base/basic-slot-set.h: kNumBucketsSize; AllocateSlotSet allocates 8 + 8 * buckets and stores the count first in Node 24/26");
    /// The sweeping state of a page a finished full GC marked and the
    /// sweeper has not touched (it sets "in progress", 2 up to V8 12 and 3
    /// from 13, before it writes anything, and clears the bitmap last).
    sweeping_pending: [] ; (ALL.0, ALL.1, 1, "src/heap/memory-chunk.h / mutable-page-metadata.h: ConcurrentSweepingState kPending / kPendingSweeping");
    /// Page flag: a marking cycle is running (its bits are partial).
    page_marking_flag: [] ; (0, 1099, 1 << 17, "src/heap/basic-memory-chunk.h (10.2): INCREMENTAL_MARKING"), (1100, 9999, 1 << 5, "src/heap/basic-memory-chunk.h / memory-chunk.h (11.3+): INCREMENTAL_MARKING");
    /// Page flag: a large-object page (one object; V8 frees it whole).
    page_large_flag: [] ; (0, 1099, 1 << 5, "src/heap/basic-memory-chunk.h (10.2): LARGE_PAGE"), (1100, 1299, 1 << 7, "src/heap/basic-memory-chunk.h / memory-chunk.h (11.3, 12.4): LARGE_PAGE"), (1300, 1399, 1 << 10, "src/heap/memory-chunk.h (13.x): LARGE_PAGE after IS_MAJOR_GC_IN_PROGRESS, CONTAINS_ONLY_OLD, BLACK_ALLOCATED"), (1400, 9999, 1 << 7, "observed on the Node 26 cores: large pages carry 1 << 7");
    /// Page flag: a read-only page (never marked nor swept).
    page_read_only_flag: [] ; (0, 1099, 1 << 20, "src/heap/basic-memory-chunk.h (10.2): READ_ONLY_HEAP"), (1100, 1399, 1 << 6, "src/heap/basic-memory-chunk.h / memory-chunk.h (11.3-13.x): READ_ONLY_HEAP");
    /// Page flags of a page V8 has let go of (pooled, or queued to be
    /// freed): PRE_FREED, and POOLED where it exists. Every object left on
    /// such a page is dead.
    page_released_mask: [] ; (0, 1099, (1 << 13) | (1 << 14), "src/heap/basic-memory-chunk.h (10.2): PRE_FREED, POOLED"), (1100, 1199, (1 << 14) | (1 << 15), "src/heap/basic-memory-chunk.h (11.3): PRE_FREED, POOLED"), (1200, 1299, 1 << 13, "src/heap/memory-chunk.h (12.4): PRE_FREED (MemoryAllocator::PreFreeMemory; pooled pages keep it); seen 0x12004 on the Node 22 cores"), (1300, 1399, 1 << 16, "src/heap/memory-chunk.h (13.x): PRE_FREED; seen 0x90104 on the Node 24 cores"), (1400, 9999, 0, "no flag in 14.6 (the pooled pages of the Node 26 cores keep their old flags): their metadata is zeroed, see page_metadata_chunk");
    map_instance_size_in_words: ["class_Map__instance_size_in_words"];
    map_inobject_properties_start: ["class_Map__inobject_properties_start_or_constructor_function_index"];
    map_instance_type: ["class_Map__instance_type"];
    map_bit_field: ["class_Map__bit_field"];
    map_bit_field2: ["class_Map__bit_field2"];
    map_bit_field3: ["class_Map__bit_field3"];
    map_prototype: ["class_Map__prototype"];
    map_constructor_or_back_pointer: ["class_Map__constructor_or_back_pointer"];
    map_instance_descriptors: ["class_Map__instance_descriptors", "class_Map__instance_descriptors_offset"];
    elements_kind_mask: ["bit_field2_elements_kind_mask"];
    elements_kind_shift: ["bit_field2_elements_kind_shift"];
    is_dictionary_map_shift: ["bit_field3_is_dictionary_map_shift"];
    own_descriptors_mask: ["bit_field3_number_of_own_descriptors_mask"];
    own_descriptors_shift: ["bit_field3_number_of_own_descriptors_shift"];

    // ---- JSObject and arrays ----
    js_receiver_properties: ["class_JSReceiver__raw_properties_or_hash", "class_JSObject__properties"] ; (ALL.0, ALL.1, 8, "src/objects/js-objects.tq: JSReceiver");
    js_object_elements: ["class_JSObject__elements"] ; (ALL.0, ALL.1, 16, "src/objects/js-objects.tq: JSObject");
    js_object_header_size: ["class_JSObject__internal_fields"] ; (ALL.0, ALL.1, 24, "include/v8-internal.h: kJSObjectHeaderSize");
    /// Where a JS_API_OBJECT's embedder (internal) fields start: after the
    /// JSObject header, and from V8 13 after JSAPIObjectWithEmbedderSlots'
    /// cpp_heap_wrappable word (Node's BaseObject slot 1 is at 40 in Node 24/26).
    api_object_embedder_start: [] ; (0, 1299, 24, "src/objects/js-objects.h: JSObject::kHeaderSize; checked on Node 18-22"), (1300, 9999, 32, "src/objects/js-objects.tq: JSAPIObjectWithEmbedderSlots cpp_heap_wrappable; checked on Node 24/26");
    js_array_length: ["class_JSArray__length"] ; (ALL.0, ALL.1, 24, "src/objects/js-array.tq; docs/v8-layouts.md 2.7");
    fixed_array_length: ["class_FixedArrayBase__length", "class_FixedArray__length"] ; (ALL.0, ALL.1, 8, "src/objects/fixed-array.tq");
    fixed_array_data: ["class_FixedArray__data"] ; (ALL.0, ALL.1, 16, "src/objects/fixed-array.tq");
    fixed_double_array_data: ["class_FixedDoubleArray__data"] ; (ALL.0, ALL.1, 16, "src/objects/fixed-array.tq");
    elements_fast_elements: ["elements_fast_elements"];
    elements_fast_holey_elements: ["elements_fast_holey_elements"];
    elements_dictionary_elements: ["elements_dictionary_elements"];

    // ---- strings ----
    string_length: ["class_String__length"] ; (ALL.0, ALL.1, 12, "src/objects/string.tq");
    seq_one_byte_chars: ["class_SeqOneByteString__chars"] ; (ALL.0, ALL.1, 16, "src/objects/string.tq");
    seq_two_byte_chars: ["class_SeqTwoByteString__chars"] ; (ALL.0, ALL.1, 16, "src/objects/string.tq");
    cons_first: ["class_ConsString__first"];
    cons_second: ["class_ConsString__second"];
    sliced_parent: ["class_SlicedString__parent"];
    sliced_offset: ["class_SlicedString__offset"];
    thin_actual: ["class_ThinString__actual"];
    external_resource: ["class_ExternalString__resource"];
    /// V8's cached copy of the resource data pointer (not for uncached strings).
    external_cached_data: [] ; (ALL.0, ALL.1, 24, "src/objects/string.tq: ExternalString resource_data");
    /// Instance-type bit of external strings whose data pointer V8 does not cache.
    uncached_external_string_mask: ["UncachedExternalStringMask"] ; (ALL.0, ALL.1, 0x10, "src/objects/instance-type.h: kUncachedExternalStringMask");
    /// Instance-type bit set on strings that are not internalized.
    is_not_internalized_mask: ["IsNotInternalizedMask"] ; (ALL.0, ALL.1, 0x20, "src/objects/instance-type.h: kIsNotInternalizedMask");
    /// The data pointer inside Node's string resources (the resource
    /// starts with a vtable and ExternalStringResourceBase's own word).
    /// nodedbg_offset_ExternalString__data__uintptr_t says 8, which none of
    /// them matches; these were read off the Node 18-26 cores.
    extern_string_data: [] ; (0, 1299, 24, "node src/string_bytes.cc ExternString {isolate_, data_, length_}: Node 18-22"), (1300, 9999, 32, "node src/string_bytes.cc ExternString: one more word before data_ in Node 24/26");
    static_resource_data: [] ; (ALL.0, ALL.1, 16, "node src/node_builtins.h StaticExternalByteResource / NonOwningExternalOneByteResource: data_ first");

    // ---- numbers, symbols, BigInt ----
    heap_number_value: ["class_HeapNumber__value"] ; (ALL.0, ALL.1, 8, "src/objects/heap-number.tq");
    symbol_description: ["class_Symbol__name", "class_Symbol__description"] ; (ALL.0, ALL.1, 16, "src/objects/name.tq: Symbol");
    symbol_flags: [] ; (ALL.0, ALL.1, 12, "src/objects/name.tq: Symbol flags (bit 0 is_private)");
    bigint_bitfield: [] ; (ALL.0, ALL.1, 8, "src/objects/bigint.tq: BigIntBase bitfield (sign bit 0, length bits 1-30)");
    bigint_digits: [] ; (ALL.0, ALL.1, 16, "src/objects/bigint.tq: digits");

    // ---- property descriptors and dictionaries ----
    descriptor_header_size: ["class_DescriptorArray__header_size"];
    prop_desc_key: ["prop_desc_key"];
    prop_desc_details: ["prop_desc_details"];
    prop_desc_value: ["prop_desc_value"];
    prop_desc_size: ["prop_desc_size"];
    prop_index_mask: ["prop_index_mask"];
    prop_index_shift: ["prop_index_shift"];
    prop_location_mask: ["prop_location_mask"];
    prop_location_shift: ["prop_location_shift"];
    prop_location_field: ["prop_location_Field"];
    prop_kind_mask: ["prop_kind_mask"];
    prop_kind_accessor: ["prop_kind_Accessor"];
    prop_representation_mask: ["prop_representation_mask"];
    prop_representation_shift: ["prop_representation_shift"];
    prop_representation_double: ["prop_representation_double"];
    prop_attributes_mask: ["prop_attributes_mask"];
    prop_attributes_shift: ["prop_attributes_shift"];
    /// Dictionary-mode details: the enumeration index (JS property order)
    /// sits above kind, constness, attributes and the property cell type.
    prop_dictionary_index_shift: [] ; (ALL.0, ALL.1, 8, "src/objects/property-details.h: DictionaryStorageField = PropertyCellTypeField::Next (bits 8-30)");
    /// Slot index (after the FixedArray header) where a HashTable's prefix starts.
    hash_table_prefix_start: ["namedictionary_prefix_start_index"] ; (ALL.0, ALL.1, 3, "src/objects/hash-table.h: kPrefixStartIndex");
    /// Slot indexes of a HashTable's element count and capacity.
    hash_table_nof_elements: [] ; (ALL.0, ALL.1, 0, "src/objects/hash-table.h: kNumberOfElementsIndex");
    hash_table_capacity: [] ; (ALL.0, ALL.1, 2, "src/objects/hash-table.h: kCapacityIndex");
    name_dict_prefix_size: ["namedictionaryshape_prefix_size"];
    name_dict_entry_size: ["namedictionaryshape_entry_size"];
    number_dict_prefix_size: ["numberdictionaryshape_prefix_size"];
    number_dict_entry_size: ["numberdictionaryshape_entry_size"];
    global_dict_entry_size: ["globaldictionaryshape_entry_size"];

    // ---- functions, scripts, contexts ----
    js_function_shared: ["class_JSFunction__shared"];
    js_function_context: ["class_JSFunction__context"];
    /// The function's initial map once it has constructed an object (else
    /// its prototype): tells a derived class's instances from their base's.
    js_function_prototype_or_initial_map: ["class_JSFunction__prototype_or_initial_map"];
    sfi_name_or_scope_info: ["class_SharedFunctionInfo__name_or_scope_info"];
    sfi_function_data: ["class_SharedFunctionInfo__function_data"];
    sfi_script: ["class_SharedFunctionInfo__script_or_debug_info", "class_SharedFunctionInfo__script", "class_SharedFunctionInfo__raw_script"];
    sfi_flags: ["class_SharedFunctionInfo__flags"];
    sfi_function_token_offset: ["class_SharedFunctionInfo__raw_function_token_offset"];
    sfi_formal_parameter_count: ["class_SharedFunctionInfo__internal_formal_parameter_count"];
    script_source: ["class_Script__source"];
    script_name: ["class_Script__name"];
    script_line_ends: ["class_Script__line_ends"];
    uncompiled_inferred_name: ["class_UncompiledData__inferred_name"];
    uncompiled_start_position: ["class_UncompiledData__start_position"];
    uncompiled_end_position: ["class_UncompiledData__end_position"];
    context_idx_scope_info: ["context_idx_scope_info"];
    context_idx_prev: ["context_idx_prev"];
    context_min_slots: ["context_min_slots"];
    scopeinfo_idx_nparams: ["scopeinfo_idx_nparams"];
    scopeinfo_idx_ncontextlocals: ["scopeinfo_idx_ncontextlocals"];
    scopeinfo_idx_first_vars: ["scopeinfo_idx_first_vars"];
    /// ScopeInfo flags: a Smi before V8 13, a raw uint32 from 13.
    scopeinfo_flags_is_smi: [] ; (0, 1299, 1, "src/objects/scope-info.tq: flags: SmiTagged<ScopeFlags>"), (1300, 9999, 0, "src/objects/scope-info.tq: flags: ScopeFlags (uint32)");
    /// Context-local names are inline below this count, else in a hashtable.
    scopeinfo_max_inlined_names: [] ; (ALL.0, ALL.1, 75, "src/common/globals.h: kScopeInfoMaxInlinedLocalNamesSize");
    /// SFI's first field: function_data (10.x-12.x; only 10/11 export it),
    /// trusted_function_data from 13 (the UncompiledData or BytecodeArray).
    sfi_trusted_function_data: ["class_SharedFunctionInfo__function_data", "class_SharedFunctionInfo__trusted_function_data"] ; (1200, 9999, 8, "src/objects/shared-function-info.tq: first field after the map; checked in 12.4, 13.6, 14.6");
    /// internal_formal_parameter_count counts the receiver from V8 10.
    sfi_params_include_receiver: [] ; (0, 999, 0, "src/objects/shared-function-info.h: before kJSArgcIncludesReceiver"), (1000, 9999, 1, "src/objects/shared-function-info.h: internal_formal_parameter_count_with_receiver");
    /// raw_function_token_offset value meaning "not recorded".
    sfi_function_token_out_of_range: [] ; (ALL.0, ALL.1, 0xffff, "src/objects/shared-function-info.h: kFunctionTokenOutOfRange");
    /// SharedFunctionInfoFlags bits (uint32): function_kind 5 bits at 0,
    /// is_native 5, is_strict 6, function_syntax_kind 3 bits at 7,
    /// is_class_constructor 10.
    sfi_flags_kind_shift: [] ; (ALL.0, ALL.1, 0, "src/objects/shared-function-info.tq: SharedFunctionInfoFlags function_kind");
    sfi_flags_kind_mask: [] ; (ALL.0, ALL.1, 0x1f, "src/objects/shared-function-info.tq: function_kind: FunctionKind: 5 bit");
    sfi_flags_native_bit: [] ; (ALL.0, ALL.1, 5, "src/objects/shared-function-info.tq: is_native");
    sfi_flags_strict_bit: [] ; (ALL.0, ALL.1, 6, "src/objects/shared-function-info.tq: is_strict");
    sfi_flags_class_constructor_bit: [] ; (ALL.0, ALL.1, 10, "src/objects/shared-function-info.tq: is_class_constructor");
    /// ScopeInfo's fields are counted in tagged slots after the map.
    scopeinfo_slots_start: [] ; (ALL.0, ALL.1, 8, "src/objects/scope-info.tq: ScopeInfo extends HeapObject (scopeinfo_idx_* count from here)");
    /// position_info {start, end} at fixed slots 3 and 4 from V8 13;
    /// before, a conditional field after the function variable.
    scopeinfo_position_info_fixed: [] ; (0, 1299, 0, "src/objects/scope-info.tq: position_info[...FUNCTION/SCRIPT/EVAL/MODULE/non-empty CLASS]"), (1300, 9999, 1, "src/objects/scope-info.tq: position_info always present after context_local_count");
    scopeinfo_idx_position_info: [] ; (1300, 9999, 3, "src/objects/scope-info.tq: position_info after flags, parameter_count, context_local_count");
    /// ScopeFlags bit fields (src/objects/scope-info.tq, bitfield struct ScopeFlags).
    scopeinfo_flag_scope_type_mask: [] ; (ALL.0, ALL.1, 0xf, "src/objects/scope-info.tq: scope_type: ScopeType: 4 bit");
    scopeinfo_flag_language_mode_bit: [] ; (ALL.0, ALL.1, 5, "src/objects/scope-info.tq: language_mode");
    scopeinfo_flag_has_saved_class_variable_bit: [] ; (ALL.0, ALL.1, 10, "src/objects/scope-info.tq: has_saved_class_variable");
    scopeinfo_flag_function_variable_shift: [] ; (ALL.0, ALL.1, 12, "src/objects/scope-info.tq: function_variable: VariableAllocationInfo: 2 bit");
    scopeinfo_flag_has_inferred_name_bit: [] ; (ALL.0, ALL.1, 14, "src/objects/scope-info.tq: has_inferred_function_name");
    scopeinfo_flag_function_kind_shift: [] ; (ALL.0, ALL.1, 17, "src/objects/scope-info.tq: function_kind: FunctionKind: 5 bit");
    scopeinfo_flag_has_outer_scope_info_bit: [] ; (ALL.0, ALL.1, 22, "src/objects/scope-info.tq: has_outer_scope_info");
    scopeinfo_flag_has_context_extension_slot_bit: [] ; (ALL.0, ALL.1, 26, "src/objects/scope-info.tq: has_context_extension_slot");
    scopeinfo_flag_has_locals_block_list_bit: [] ; (0, 1299, 28, "src/objects/scope-info.tq: has_locals_block_list (gone in 13: a side table)");
    scopeinfo_flag_is_empty_bit: [] ; (ALL.0, ALL.1, 29, "src/objects/scope-info.tq: is_empty");
    scopeinfo_flag_has_context_cells_bit: [] ; (1400, 9999, 31, "src/objects/scope-info.tq (V8 14): has_context_cells; 0x804171c4 seen in Node 26");
    /// ScopeType numbers (src/objects/scope-info.h / src/common/globals.h
    /// enum ScopeType): renumbered in V8 13 with SCRIPT first and REPL_MODE.
    scope_type_class: [] ; (0, 1299, 0, "src/common/globals.h: CLASS_SCOPE"), (1300, 9999, 2, "src/common/globals.h: CLASS_SCOPE");
    scope_type_eval: [] ; (0, 1299, 1, "src/common/globals.h: EVAL_SCOPE"), (1300, 9999, 3, "src/common/globals.h: EVAL_SCOPE");
    scope_type_function: [] ; (0, 1299, 2, "src/common/globals.h: FUNCTION_SCOPE"), (1300, 9999, 4, "src/common/globals.h: FUNCTION_SCOPE");
    scope_type_module: [] ; (0, 1299, 3, "src/common/globals.h: MODULE_SCOPE"), (1300, 9999, 5, "src/common/globals.h: MODULE_SCOPE");
    scope_type_script: [] ; (0, 1299, 4, "src/common/globals.h: SCRIPT_SCOPE"), (1300, 9999, 0, "src/common/globals.h: SCRIPT_SCOPE");
    scope_type_catch: [] ; (0, 1299, 5, "src/common/globals.h: CATCH_SCOPE"), (1300, 9999, 6, "src/common/globals.h: CATCH_SCOPE");
    scope_type_block: [] ; (0, 1299, 6, "src/common/globals.h: BLOCK_SCOPE"), (1300, 9999, 7, "src/common/globals.h: BLOCK_SCOPE");
    scope_type_with: [] ; (0, 1299, 7, "src/common/globals.h: WITH_SCOPE"), (1300, 9999, 8, "src/common/globals.h: WITH_SCOPE");
    scope_type_shadow_realm: [] ; (0, 1299, 8, "src/common/globals.h: SHADOW_REALM_SCOPE"), (1300, 9999, 9, "src/common/globals.h: SHADOW_REALM_SCOPE");
    scope_type_repl_mode: [] ; (1300, 9999, 1, "src/common/globals.h: REPL_MODE_SCOPE");
    /// NameToIndexHashTable (context local names of a scope with >= 75):
    /// a HashTable whose entries are [name, Smi local index].
    name_to_index_prefix_size: [] ; (ALL.0, ALL.1, 0, "src/objects/hash-table.h: NameToIndexShape kPrefixSize");
    name_to_index_entry_size: [] ; (ALL.0, ALL.1, 2, "src/objects/hash-table.h: NameToIndexShape kEntrySize");
    /// Context: a length Smi then the slots, like a FixedArray.
    context_length: [] ; (ALL.0, ALL.1, 8, "src/objects/contexts.tq: Context length: Smi");
    context_slots: [] ; (ALL.0, ALL.1, 16, "src/objects/contexts.tq: Context elements[length]");
    /// V8 14 ContextCell (a script context's mutable let): tagged_value,
    /// dependent_code, state int32 (0 const, 1 smi, 2 int32, 3 float64,
    /// 4 detached), padding, double_value. Checked on Node 26.
    context_cell_tagged_value: [] ; (1400, 9999, 8, "src/objects/contexts.h: ContextCell tagged_value_");
    context_cell_state: [] ; (1400, 9999, 24, "src/objects/contexts.h: ContextCell state_");
    context_cell_double_value: [] ; (1400, 9999, 32, "src/objects/contexts.h: ContextCell double_value_");
    context_cell_state_int32: [] ; (1400, 9999, 2, "src/objects/contexts.h: ContextCell::kInt32");
    context_cell_state_float64: [] ; (1400, 9999, 3, "src/objects/contexts.h: ContextCell::kFloat64");
    /// JSFunction subtypes after JS_FUNCTION_TYPE (constructors of
    /// builtins, then JS_CLASS_CONSTRUCTOR_TYPE, the highest), for builds
    /// without First/LastJSFunctionType: class constructors were seen at
    /// JS_FUNCTION_TYPE+15 in Node 18 and 20 (12.x+ export the range).
    js_function_subtype_count: [] ; (0, 1199, 15, "src/objects/js-function.tq: JSClassConstructor @highestInstanceTypeWithinParentClassRange; 11 typed-array, Array, Promise, RegExp constructors");
    /// ClassPositions {start, end} (Smis), kept on a class constructor
    /// under the private class_positions_symbol.
    class_positions_start: [] ; (ALL.0, ALL.1, 8, "src/objects/struct.tq: ClassPositions start");
    class_positions_end: [] ; (ALL.0, ALL.1, 16, "src/objects/struct.tq: ClassPositions end");
    /// Context instance types have no names in the metadata, only
    /// First/LastContextType; Torque numbers the ten of them by name:
    /// AWAIT, BLOCK, CATCH, DEBUG_EVALUATE, EVAL, FUNCTION, MODULE, NATIVE,
    /// SCRIPT, WITH (checked: +7 native, +8 script, +5 function, +1 block
    /// in Node 18-26).
    context_types_by_name: [] ; (ALL.0, ALL.1, 1, "torque-generated/instance-types.h: context types in name order");
    /// From V8 13 the SFI's function data is split: untrusted_function_data
    /// (a builtin id Smi, a FunctionTemplateInfo for C++ API functions, or
    /// Smi -1) follows the trusted one. Checked in 13.6 and 14.6.
    sfi_untrusted_function_data: [] ; (1300, 9999, 16, "src/objects/shared-function-info.tq: untrusted_function_data");
    /// A MODULE scope's module_variable_count comes before the local names
    /// from V8 12 (seen in 12.4, 13.6, 14.6); 10.2 and 11.3 keep it at the end.
    scopeinfo_module_count_first: [] ; (0, 1199, 0, "src/objects/scope-info.tq: module_variable_count after module_info"), (1200, 9999, 1, "src/objects/scope-info.tq: module_variable_count after context_local_count/position_info");
    /// Until V8 12 a function being debugged or covered (NODE_V8_COVERAGE)
    /// has a DebugInfo in script_or_debug_info; its script follows shared
    /// and debugger_hints. Seen in Node 18 and 20 under NODE_V8_COVERAGE.
    debug_info_script: [] ; (0, 1199, 24, "src/debug/debug-objects.tq: DebugInfo shared, debugger_hints, script");

    // ---- other JS objects (not in the metadata; docs/v8-layouts.md 2.2-2.7) ----
    js_date_value: ["class_JSDate__value"] ; (ALL.0, ALL.1, 24, "src/objects/js-date.tq");
    js_regexp_data: ["class_JSRegExp__data"] ; (ALL.0, ALL.1, 24, "src/regexp/regexp.tq / js-regexp.tq");
    js_regexp_source: ["class_JSRegExp__source"] ; (ALL.0, ALL.1, 32, "src/objects/js-regexp.tq");
    js_regexp_flags: ["class_JSRegExp__flags"] ; (ALL.0, ALL.1, 40, "src/objects/js-regexp.tq: flags Smi");
    js_collection_table: [] ; (ALL.0, ALL.1, 24, "src/objects/js-collection.tq: JSCollection table");
    ordered_hash_nof_elements: [] ; (ALL.0, ALL.1, 16, "src/objects/ordered-hash-table.h: memory layout");
    ordered_hash_nof_deleted: [] ; (ALL.0, ALL.1, 24, "src/objects/ordered-hash-table.h");
    ordered_hash_nof_buckets: [] ; (ALL.0, ALL.1, 32, "src/objects/ordered-hash-table.h");
    ordered_hash_buckets_start: [] ; (ALL.0, ALL.1, 40, "src/objects/ordered-hash-table.h");
    js_promise_result: [] ; (ALL.0, ALL.1, 24, "src/objects/js-promise.tq: reactions_or_result");
    js_promise_flags: [] ; (ALL.0, ALL.1, 32, "src/objects/js-promise.tq: flags Smi, bits 0-1 status");
    /// A pending promise's reactions_or_result: a list of PromiseReaction
    /// (Smi 0 ends it). From V8 12 the struct starts with
    /// continuation_preserved_embedder_data (Node 24+: the AsyncContextFrame,
    /// a Map holding the AsyncLocalStorage stores). Checked in Node 18-26.
    promise_reaction_continuation_data: ["class_PromiseReaction__continuation_preserved_embedder_data"] ; (1200, 9999, 8, "src/objects/promise.tq: PromiseReaction continuation_preserved_embedder_data (V8 12+)");
    promise_reaction_next: ["class_PromiseReaction__next"] ; (0, 1199, 8, "src/objects/promise.tq: PromiseReaction next"), (1200, 9999, 16, "src/objects/promise.tq: PromiseReaction next");
    promise_reaction_reject_handler: ["class_PromiseReaction__reject_handler"] ; (0, 1199, 16, "src/objects/promise.tq: PromiseReaction reject_handler"), (1200, 9999, 24, "src/objects/promise.tq: PromiseReaction reject_handler");
    promise_reaction_fulfill_handler: ["class_PromiseReaction__fulfill_handler"] ; (0, 1199, 24, "src/objects/promise.tq: PromiseReaction fulfill_handler"), (1200, 9999, 32, "src/objects/promise.tq: PromiseReaction fulfill_handler");
    promise_reaction_promise_or_capability: ["class_PromiseReaction__promise_or_capability"] ; (0, 1199, 32, "src/objects/promise.tq: PromiseReaction promise_or_capability"), (1200, 9999, 40, "src/objects/promise.tq: PromiseReaction promise_or_capability");
    /// PromiseCapability (a Struct): promise, resolve, reject.
    promise_capability_promise: ["class_PromiseCapability__promise"] ; (ALL.0, ALL.1, 8, "src/objects/promise.tq: PromiseCapability promise");
    promise_capability_resolve: ["class_PromiseCapability__resolve"] ; (ALL.0, ALL.1, 16, "src/objects/promise.tq: PromiseCapability resolve");
    promise_capability_reject: ["class_PromiseCapability__reject"] ; (ALL.0, ALL.1, 24, "src/objects/promise.tq: PromiseCapability reject");
    /// A suspended generator or async function (JSGeneratorObject and its
    /// subclasses): function, context, receiver, input_or_debug_pos,
    /// resume_mode, continuation, parameters_and_registers (its frame's
    /// parameters and registers, a FixedArray); JSAsyncFunctionObject adds
    /// its promise. Checked in Node 18-26.
    js_generator_function: ["class_JSGeneratorObject__function"] ; (ALL.0, ALL.1, 24, "src/objects/js-generator.tq: JSGeneratorObject function");
    js_generator_context: ["class_JSGeneratorObject__context"] ; (ALL.0, ALL.1, 32, "src/objects/js-generator.tq: JSGeneratorObject context");
    js_generator_receiver: ["class_JSGeneratorObject__receiver"] ; (ALL.0, ALL.1, 40, "src/objects/js-generator.tq: JSGeneratorObject receiver");
    js_generator_registers: ["class_JSGeneratorObject__parameters_and_registers"] ; (ALL.0, ALL.1, 72, "src/objects/js-generator.tq: JSGeneratorObject parameters_and_registers");
    js_async_function_promise: ["class_JSAsyncFunctionObject__promise"] ; (ALL.0, ALL.1, 80, "src/objects/js-generator.tq: JSAsyncFunctionObject promise");
    js_proxy_target: [] ; (ALL.0, ALL.1, 16, "src/objects/js-proxy.tq");
    js_proxy_handler: [] ; (ALL.0, ALL.1, 24, "src/objects/js-proxy.tq");
    js_bound_target: [] ; (ALL.0, ALL.1, 24, "src/objects/js-function.tq: JSBoundFunction");
    js_bound_this: [] ; (ALL.0, ALL.1, 32, "src/objects/js-function.tq: JSBoundFunction");
    js_bound_args: [] ; (ALL.0, ALL.1, 40, "src/objects/js-function.tq: JSBoundFunction");
    js_primitive_wrapper_value: [] ; (ALL.0, ALL.1, 24, "src/objects/js-primitive-wrapper.tq");
    js_array_buffer_backing_store: ["class_JSArrayBuffer__backing_store"];
    js_array_buffer_byte_length: ["class_JSArrayBuffer__byte_length"];
    js_view_byte_offset: ["class_JSArrayBufferView__byte_offset"];
    js_view_byte_length: ["class_JSArrayBufferView__byte_length"];
    js_view_buffer: [] ; (0, 1299, 24, "src/objects/js-array-buffer.tq: JSArrayBufferView buffer"), (1300, 9999, 32, "src/objects/js-array-buffer.tq: buffer after cpp_heap_wrappable (13.x+); observed in Node 24/26 cores");
    js_typed_array_length: ["class_JSTypedArray__length"];
    js_typed_array_external_pointer: ["class_JSTypedArray__external_pointer"];
    js_typed_array_base_pointer: ["class_JSTypedArray__base_pointer"];

    // ---- objects, elements and collections for ::jsprint (object.rs, value.rs, collections.rs) ----
    /// DescriptorArray `number_of_all_descriptors` (int16).
    descriptor_number_of_all: [] ; (ALL.0, ALL.1, 8, "src/objects/descriptor-array.tq: number_of_all_descriptors uint16 after the map");
    /// PropertyArray: `length_and_hash` Smi (length in the low 10 bits), then the slots.
    property_array_length_and_hash: [] ; (ALL.0, ALL.1, 8, "src/objects/property-array.h: kLengthAndHashOffset");
    property_array_length_mask: [] ; (ALL.0, ALL.1, 0x3ff, "src/objects/property-array.h: LengthField is 10 bits");
    property_array_data: [] ; (ALL.0, ALL.1, 16, "src/objects/property-array.h: kHeaderSize");
    accessor_pair_getter: ["class_AccessorPair__getter"] ; (ALL.0, ALL.1, 8, "src/objects/struct.tq: AccessorPair getter");
    accessor_pair_setter: ["class_AccessorPair__setter"] ; (ALL.0, ALL.1, 16, "src/objects/struct.tq: AccessorPair setter");
    /// Elements kinds the metadata does not name.
    elements_packed_smi: [] ; (ALL.0, ALL.1, 0, "src/objects/elements-kind.h: PACKED_SMI_ELEMENTS");
    elements_holey_smi: [] ; (ALL.0, ALL.1, 1, "src/objects/elements-kind.h: HOLEY_SMI_ELEMENTS");
    elements_packed_double: [] ; (ALL.0, ALL.1, 4, "src/objects/elements-kind.h: PACKED_DOUBLE_ELEMENTS");
    elements_holey_double: [] ; (ALL.0, ALL.1, 5, "src/objects/elements-kind.h: HOLEY_DOUBLE_ELEMENTS");
    elements_last_frozen: [] ; (ALL.0, ALL.1, 11, "src/objects/elements-kind.h: HOLEY_FROZEN_ELEMENTS");
    /// The bit pattern of a hole in a FixedDoubleArray.
    double_hole_nan: [] ; (ALL.0, ALL.1, 0xFFF7_FFFF_FFF7_FFFFu64 as i64, "src/common/globals.h: kHoleNanInt64");
    ordered_hash_map_entry_size: [] ; (ALL.0, ALL.1, 3, "src/objects/ordered-hash-table.h: OrderedHashMap kEntrySize [key, value, chain]");
    ordered_hash_set_entry_size: [] ; (ALL.0, ALL.1, 2, "src/objects/ordered-hash-table.h: OrderedHashSet kEntrySize [key, chain]");
    /// EphemeronHashTable (WeakMap/WeakSet) has no prefix: entries follow the capacity.
    ephemeron_prefix_size: [] ; (ALL.0, ALL.1, 0, "src/objects/hash-table.h: EphemeronHashTableShape kPrefixSize");
    /// UINT8_ELEMENTS, the first typed-array elements kind (DICTIONARY_ELEMENTS + 5).
    elements_uint8: [] ; (0, 1099, 17, "src/objects/elements-kind.h (10.x); observed in Node 18"), (1100, 9999, 18, "src/objects/elements-kind.h (11.x+: SHARED_ARRAY_ELEMENTS added); observed in Node 20-26");
    /// Order of the typed-array kinds after UINT8: 0 = ..Int32, Float32, Float64, Uint8Clamped, BigUint64, BigInt64;
    /// 1 = ..Int32, BigUint64, BigInt64, Uint8Clamped, Float32, Float64, Float16.
    typed_array_kinds_order: [] ; (0, 1299, 0, "src/objects/elements-kind.h TYPED_ARRAYS (12.4 and before); observed Float64 = UINT8+7 in Node 18-22"), (1300, 9999, 1, "src/objects/elements-kind.h TYPED_ARRAYS_BASE (13.x+); observed Float64 = UINT8+10 in Node 24/26");
    /// JSDate's value: a Number (Smi or HeapNumber) before V8 13, an unboxed float64 since.
    js_date_value_is_double: [] ; (0, 1299, 0, "src/objects/js-date.tq: value: Number"), (1300, 9999, 1, "src/objects/js-date.tq: value: float64; observed raw doubles in Node 24/26 cores");
    /// GlobalDictionary (a global object's properties): BaseNameDictionary's
    /// prefix (next enumeration index, object hash), then one PropertyCell per entry.
    global_dict_prefix_size: [] ; (ALL.0, ALL.1, 2, "src/objects/dictionary.h: BaseNameDictionary kPrefixSize; checked on Node 18/22/26 cores");
    property_cell_name: [] ; (ALL.0, ALL.1, 8, "src/objects/property-cell.tq: name; checked on Node 18/22/26 cores");
    property_cell_details: [] ; (ALL.0, ALL.1, 16, "src/objects/property-cell.tq: property_details_raw Smi");
    property_cell_value: [] ; (ALL.0, ALL.1, 24, "src/objects/property-cell.tq: value");
    /// Where an API object's embedder (internal) fields start: after the
    /// JSObject header, and from V8 13 after its cpp_heap_wrappable word.
    js_api_embedder_fields_start: [] ; (0, 1299, 24, "src/objects/js-objects.tq: JSAPIObjectWithEmbedderSlots; checked on Node 18-22 cores against %DebugPrint"), (1300, 9999, 32, "src/objects/js-objects.tq: cpp_heap_wrappable first (13.x+); checked on Node 24/26 cores against %DebugPrint");
    /// HOLE_TYPE, for the Hole objects of V8 12+ (the_hole, hash-table and
    /// property-cell holes); V8 14.6 does not export it. Needed because the
    /// hole's NaN word can sit in an undumped guard page of a core.
    hole_type: ["type_Hole__HOLE_TYPE"] ; (1400, 1499, 274, "src/objects/instance-type.h HOLE_TYPE, unexported in 14.6; observed: every hole in a Node 26.12.1 core has type 274");

    // ---- frames ----
    off_fp_context: ["off_fp_context_or_frame_type", "off_fp_context"];
    off_fp_function: ["off_fp_function"];
    off_fp_args: ["off_fp_args"];
    off_fp_bytecode_array: ["off_fp_bytecode_array"];
    off_fp_bytecode_offset: ["off_fp_bytecode_offset"];
    /// The argument count (with the receiver), a raw intptr below the function.
    /// A BuiltinExitFrame (a C++ builtin called from JS: JSON.stringify,
    /// Array.prototype.join...): the target JSFunction, the argc Smi, and
    /// the receiver (a padding slot sits before it until V8 14).
    builtin_exit_target: [] ; (ALL.0, ALL.1, 24, "src/execution/frame-constants.h BuiltinExitFrameConstants; checked on the Node 18-26 demo oom cores (JSON.stringify)");
    builtin_exit_argc: [] ; (ALL.0, ALL.1, 32, "as builtin_exit_target");
    /// What that argc counts besides the receiver and the arguments:
    /// new_target, target, argc and the padding (BuiltinArguments::kNumExtraArgs);
    /// argc is 8 for a 3-parameter call on Node 22, 7 on Node 26.
    builtin_exit_extra_args: [] ; (0, 1399, 4, "src/builtins/builtins-utils.h BuiltinArguments::kNumExtraArgs; checked on the Node 18-24 demo oom cores"), (1400, 9999, 3, "as above, without the padding slot (V8 14); checked on the Node 26 demo oom core");
    builtin_exit_receiver: [] ; (0, 1399, 48, "as builtin_exit_target: padding at 40 until V8 13"), (1400, 9999, 40, "as builtin_exit_target: no padding in V8 14 (Node 26)");
    off_fp_argc: [] ; (ALL.0, ALL.1, -24, "src/execution/frame-constants.h: StandardFrameConstants::kArgCOffset; checked on Node 18-26 cores");
    /// A typed frame's marker at off_fp_context is `type << 1` as a raw
    /// intptr (a heap pointer there means a JS frame's context).
    frame_marker_shift: [] ; (ALL.0, ALL.1, 1, "src/execution/frames.h: StackFrame::TypeToMarker; checked against frametype_* on Node 18-26 cores (exit 3 -> 6, stub -> 0x22 on 22)");
    /// Where a BytecodeArray's bytecodes start (the frame's Smi bytecode
    /// offset counts from the tagged pointer, so header minus the tag).
    bytecode_array_data: ["class_BytecodeArray__data"];
    /// BytecodeArray source_position_table: after constant_pool and
    /// handler_table in 10.x/11.x, after the wrapper from 12.x.
    bytecode_array_source_positions: [] ; (0, 1199, 32, "src/objects/code.tq (10.2/11.3): BytecodeArray constant_pool 16, handler_table 24, source_position_table 32; checked on Node 18/20"), (1200, 9999, 24, "src/objects/bytecode-array.h (12.x+): length 8, wrapper 16, source_position_table 24; checked on Node 22-26");
    /// A ByteArray's bytes, after the map and length.
    byte_array_data: [] ; (ALL.0, ALL.1, 16, "src/objects/fixed-array.tq: ByteArray / TrustedByteArray bytes");
    /// Stack traces name a method called on a plain function
    /// (`Module._load(...)`) by that function's name from V8 13 (node 24/26
    /// print `Module._load`), by its constructor (`Function._load`) before;
    /// on a class constructor, by the class name in all of them.
    callsite_function_receiver_named: [] ; (0, 1299, 0, "src/objects/call-site-info.cc GetTypeName (<= 12.x); Node 18-22 stderr"), (1300, 9999, 1, "src/objects/call-site-info.cc (13.x+); Node 24/26 stderr");
    /// Map bits stack traces use to name a receiver's type: bit_field2
    /// new_target_is_base (below is_immutable_prototype and the elements
    /// kind, which starts at bit 2) and bit_field3 is_prototype_map (just
    /// below is_dictionary_map, bit 21 in the metadata).
    map_new_target_is_base_bit: [] ; (ALL.0, ALL.1, 0, "src/objects/map.tq: MapBitFields2 new_target_is_base: bool: 1 bit (first)");
    map_is_prototype_map_bit: [] ; (ALL.0, ALL.1, 20, "src/objects/map.tq: MapBitFields3 enum_length 10, number_of_own_descriptors 10, is_prototype_map");
    /// Source position tables: 0 = code offset delta as a zigzag int whose
    /// sign says "statement"; 1 = unsigned `delta << 2 | 2 | is_statement`
    /// (the same functions' tables compared entry by entry in the Node 24
    /// and 26 cores; positions decode alike).
    source_position_code_encoding: [] ; (0, 1399, 0, "src/codegen/source-position-table.cc: EncodeEntry (10.x-13.x)"), (1400, 9999, 1, "src/codegen/source-position-table.cc (14.x); derived from the Node 26 cores");
    /// Optimized and baseline code (V8 12+: Code is a separate object
    /// pointing at its InstructionStream; the pc is found in the stream).
    code_instruction_start: ["class_Code__instruction_start"] ; (1103, 1199, 40, "src/objects/code.h (11.3): kInstructionStartOffset after the InstructionStream; checked on the Node 20 spin cores");
    code_instruction_size: ["class_Code__instruction_size"] ; (1103, 1199, 56, "src/objects/code.h (11.3): flags 48, builtin_id 52, kind_specific_flags 54, instruction_size 56; checked on the Node 20 spin cores");
    code_flags: ["class_Code__flags"] ; (1103, 1199, 48, "src/objects/code.h (11.3): kFlagsOffset; checked on the Node 20 spin cores (kind TURBOFAN)");
    code_kind_mask: ["CodeKindFieldMask"] ; (ALL.0, ALL.1, 15, "src/objects/code.h: KindField (docs/v8-layouts.md 2.13)");
    code_kind_shift: ["CodeKindFieldShift"] ; (ALL.0, ALL.1, 0, "src/objects/code.h: KindField is the first flags field");
    code_kind_baseline: ["CodeKindBaseline"];
    /// MAGLEV and TURBOFAN follow BASELINE in CODE_KIND_LIST (src/objects/code-kind.h); checked on the Node 22-26 spin cores.
    code_kind_maglev_delta: [] ; (ALL.0, ALL.1, 1, "src/objects/code-kind.h: CODE_KIND_LIST ... BASELINE, MAGLEV, TURBOFAN(_JS) (MAGLEV listed since 9.x)");
    code_kind_turbofan_delta: [] ; (ALL.0, ALL.1, 2, "src/objects/code-kind.h: CODE_KIND_LIST ... BASELINE, MAGLEV, TURBOFAN(_JS); flags kind 13 = Baseline 11 + 2 on the Node 18/20 spin cores");
    /// 1 before V8 11.3: the instructions follow the Code header itself
    /// (code_instruction_start is then the header size, 128 on Node 18).
    code_instructions_inline: [] ; (0, 1102, 1, "src/objects/code.h (10.2): Code::raw_instruction_start = address + kHeaderSize"), (1103, 9999, 0, "src/objects/instruction-stream.h (11.3+): instructions in a separate InstructionStream");
    /// Where an InstructionStream's instructions start, and its Code back pointer.
    instruction_stream_start: ["class_InstructionStream__instruction_start"];
    instruction_stream_code: [] ; (1103, 9999, 8, "src/objects/instruction-stream.h: kCodeOffset (first field after the map); checked on the Node 20-26 spin cores");
    /// Code deoptimization_data_or_interpreter_data and position_table.
    code_deopt_data: ["class_Code__deoptimization_data"] ; (0, 1102, 16, "src/objects/code.h (10.2): relocation_info 8, deoptimization_data 16; checked on the Node 18 spin cores"), (1200, 9999, 8, "src/objects/code.h (12.x+): kDeoptimizationDataOrInterpreterDataOffset; checked on the Node 22-26 spin cores");
    code_source_positions: ["class_Code__source_position_table"] ; (0, 1102, 24, "src/objects/code.h (10.2): kPositionTableOffset; checked on the Node 18 spin cores"), (1200, 9999, 16, "src/objects/code.h (12.x+): kPositionTableOffset; checked on the Node 22-26 spin cores");
    /// DeoptimizationData (a FixedArray) entries.
    deopt_inlining_positions_index: ["DeoptimizationDataInliningPositionsIndex"] ; (0, 1102, 7, "src/objects/code.h (10.2): DeoptimizationData::kInliningPositionsIndex");
    deopt_literal_array_index: ["DeoptimizationDataLiteralArrayIndex"] ; (0, 1102, 2, "src/objects/code.h (10.2): DeoptimizationData::kLiteralArrayIndex");
    deopt_sfi_index: ["DeoptimizationDataSharedFunctionInfoIndex", "DeoptimizationDataWrappedSharedFunctionInfoIndex"] ; (0, 1102, 6, "src/objects/code.h (10.2): DeoptimizationData::kSharedFunctionInfoIndex");
    /// sizeof(InliningPosition): SourcePosition (8) + inlined_function_id (4), padded.
    inlining_position_size: [] ; (ALL.0, ALL.1, 16, "src/objects/deoptimization-data.h / src/codegen/source-position.h: struct InliningPosition");
    /// SharedFunctionInfoWrapper's shared_info (V8 13+ DeoptimizationData holds it wrapped).
    sfi_wrapper_shared_info: [] ; (1300, 9999, 8, "src/objects/shared-function-info.h: SharedFunctionInfoWrapper kSharedInfoOffset (after the map)");

    // ---- an Error's captured stack (src/objects/call-site-info.tq) ----
    /// CallSiteInfo fields: receiver_or_instance first before V8 12, the
    /// code object first from 12 (a trusted pointer).
    call_site_receiver: [] ; (0, 1199, 8, "src/objects/call-site-info.tq (10.2/11.3): receiver_or_instance, function, code_object, code_offset_or_source_position, flags, parameters; checked on Node 18/20 cores"), (1200, 1399, 16, "src/objects/call-site-info.tq (12.x/13.x): code_object first; checked on Node 22/24 cores");
    call_site_function: [] ; (0, 1199, 16, "as call_site_receiver"), (1200, 1399, 24, "as call_site_receiver");
    call_site_code: [] ; (0, 1199, 24, "as call_site_receiver"), (1200, 1399, 8, "as call_site_receiver");
    call_site_offset: [] ; (0, 1399, 32, "as call_site_receiver");
    call_site_flags: [] ; (0, 1399, 40, "as call_site_receiver");
    /// V8 14 keeps no CallSiteInfo objects: the captured stack is one
    /// FixedArray of 6 slots per frame (code object, receiver, function,
    /// offset, parameters, flags), in that order.
    call_sites_flat: [] ; (1400, 9999, 6, "V8 14.6: flat call-site records; checked on Node 26 cores");
    /// CallSiteInfoFlags bits: is_constructor 3; is_source_position_computed
    /// after is_async (5) and is_builtin (6).
    call_site_flag_constructor: [] ; (ALL.0, ALL.1, 3, "src/objects/call-site-info.tq CallSiteInfoFlags");
    call_site_flag_position_computed: [] ; (ALL.0, ALL.1, 7, "src/objects/call-site-info.tq CallSiteInfoFlags (no DrumBrake in Node builds)");
    /// A BytecodeWrapper's BytecodeArray (V8 14 call sites hold the wrapper).
    bytecode_wrapper_bytecode: [] ; (1200, 9999, 8, "src/objects/bytecode-array.tq: BytecodeWrapper { bytecode }");

    // ---- Node's own metadata (src/node_postmortem_metadata.cc) ----
    /// NativeContext's embedder data (an EmbedderDataArray), byte offset.
    native_context_embedder_data: ["native_context_embedder_data_offset"];
    /// Bytes per EmbedderDataArray slot (kEmbedderDataSlotSize: one word
    /// without pointer compression or the sandbox, as official builds are).
    embedder_data_slot_size: [] ; (ALL.0, ALL.1, 8, "src/objects/embedder-data-slot.h: kEmbedderDataSlotSize, no pointer compression");
    /// The embedder data slot holding the node::Environment*.
    node_env_index: ["nodedbg_const_ContextEmbedderIndex__kEnvironment"];
    /// BaseObject's v8::Global to its JS object (a pointer to the handle's slot).
    node_persistent_handle: ["nodedbg_offset_BaseObject__persistent_handle_"];
    node_env_handle_queue: ["nodedbg_offset_Environment__handle_wrap_queue_"];
    node_handle_queue_head: ["nodedbg_offset_Environment_HandleWrapQueue__head_"];
    /// A HandleWrap's ListNode in the queue (the wrap is this far before it).
    node_handle_wrap_node: ["nodedbg_offset_HandleWrap__handle_wrap_queue_"];
    node_handle_list_next: ["nodedbg_offset_ListNode_HandleWrap__next_"];
    node_env_req_queue: ["nodedbg_offset_Environment__req_wrap_queue_"];
    node_req_queue_head: ["nodedbg_offset_Environment_ReqWrapQueue__head_"];
    node_req_wrap_node: ["nodedbg_offset_ReqWrap__req_wrap_queue_"];
    node_req_list_next: ["nodedbg_offset_ListNode_ReqWrap__next_"];
}
