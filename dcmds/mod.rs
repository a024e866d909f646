//! The commands users type, one module per family. Each command's manual
//! lives in its record, beside its handler.
//!
//! - [`meta`]: `::help`, `::dcmds`, `::formats`, `::eval`, `::walk`, `$q`.
//! - [`process`]: `::status`, `$m`/`::mappings`, `::gcore`.
//! - [`stack`]: `$C`, `$c`, `::stack`, `::threads`, `::thread`, `$r`/`::regs`.
//! - [`symbols`]: `::nm`, `::whatis`.
//! - [`dis`]: `::dis`.
//! - [`v8`]: `::v8metadata` and the V8 internals family.
//! - [`jsfunc`]: `::jsfunction`, `::jssource`, `::jsclosure`, `::v8context`, `::v8scopeinfo`.
//! - [`findjsobjects`]: `::findjsobjects`, the heap scan.
//! - [`js`]: `::jsprint`, `::jsconstructor`, `::jsarray`, `::nodebuffer`.
//! - [`jsstack`]: `::jsstack`, `::jsframe`.
//! - [`node`]: `::nodeinfo`, `::nodeenvs`, `::nodehandles`, `::noderequests`, `::jserror`.
//! - [`refs`]: `::jsfindrefs`, `::jsretainers`, `::v8whatis`, `::jsfunctions`.

use crate::lang::dcmd::Registry;

pub mod dis;
pub mod jsfunc;
pub mod findjsobjects;
pub mod js;
pub mod jsstack;
pub mod meta;
pub mod node;
pub mod process;
pub mod refs;
pub mod stack;
pub mod symbols;
pub mod v8;

/// Every dcmd and walker jmdb knows.
pub fn registry() -> Registry {
    let mut r = Registry::default();
    meta::register(&mut r);
    process::register(&mut r);
    stack::register(&mut r);
    symbols::register(&mut r);
    dis::register(&mut r);
    v8::register(&mut r);
    jsfunc::register(&mut r);
    findjsobjects::register(&mut r);
    js::register(&mut r);
    jsstack::register(&mut r);
    node::register(&mut r);
    refs::register(&mut r);
    r
}
