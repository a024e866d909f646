//! (placeholder: being written)

use crate::lang::dcmd::Registry;

pub fn register(_r: &mut Registry) {}
