//! Functions, SharedFunctionInfos and Scripts. (Being written.)

use super::{Heap, V8Error};

/// A JSFunction's name: its own name, else the inferred one (`Widget.spin`),
/// else empty for an anonymous function.
pub fn function_name(h: &Heap, func: u64) -> Result<String, V8Error> {
    let _ = h;
    Err(V8Error::bad(func, "function", "function names are not implemented yet"))
}
