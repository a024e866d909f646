//! Architecture-specific facts. Only x86_64 today; an aarch64 port adds a
//! sibling module with the same items.

pub mod x86_64;
