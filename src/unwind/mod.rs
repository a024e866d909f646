//! Native stack unwinding.
