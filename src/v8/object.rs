//! JavaScript objects: maps, descriptors, properties and elements.
//! (Being written.)

use super::{Heap, V8Error};

/// The name of the constructor that made `obj` (`Object`, `Widget`,
/// `Array`), from its map's constructor chain.
pub fn constructor_name(h: &Heap, obj: u64) -> Result<String, V8Error> {
    let _ = h;
    Err(V8Error::bad(obj, "object", "constructor names are not implemented yet"))
}

/// The own property names a fast-mode map describes, in order.
pub fn map_property_names(h: &Heap, map: u64) -> Result<Vec<String>, V8Error> {
    let _ = h;
    Err(V8Error::bad(map, "map", "property names are not implemented yet"))
}
