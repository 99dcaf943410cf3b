//! Built-in rules, one file per family. Each rule is a pure function of the
//! policy's parameters and the decoded model; each denial carries a stable
//! rule id, the JSON path of the offending field and what to do instead.
//!
//! Container and service bodies share the models in [`crate::decode`], so a
//! rule is written once.

pub mod backend;
pub mod bounds;
pub mod catalog;
pub mod images;
pub mod mounts;
pub mod namespaces;
pub mod ports;
pub mod privileges;
pub mod quotas;
pub mod registries;
pub mod resources;
