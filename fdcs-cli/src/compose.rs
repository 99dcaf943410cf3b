//! docker-compose files: loading, merging, interpolation, compose-level
//! checks, and the Engine API requests compose would send for them.
//!
//! Only the binary reads files, so this lives in `fdcs-cli`; the judging
//! itself is the core's [`fdcs_policy::judge`], the same one `serve` uses.

pub(crate) mod checks;
pub(crate) mod engine;
mod extends;
pub(crate) mod interp;
pub(crate) mod judge;
pub(crate) mod load;
pub(crate) mod merge;
pub(crate) mod node;

#[cfg(test)]
mod fuzz_tests;
