//! mdb's command language: parsing, expressions, formats, pipelines, REPL.

pub mod dcmd;
