//! Tenancy: naming, labels, filters, response rewriting.
pub mod rewrite;
