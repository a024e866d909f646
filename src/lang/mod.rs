//! mdb's command language: parsing, expressions, formats, pipelines, REPL.

pub mod dcmd;
pub mod exec;
pub mod expr;
pub mod format;
pub mod parse;
pub mod repl;
