//! docker-compose projects for fdcs, without I/O: loading, interpolation,
//! merging, `include:`, `extends` and `profiles`, the Engine API requests
//! docker-compose 1.29 sends for them, and lint's findings.
//!
//! The crate reads nothing itself: file texts come in through [`Files`] and
//! the environment as [`Vars`], so `lint` in CI, `fdcs-policy test` suites
//! and any program embedding it see the same project. Everything the engine
//! rules decide is the core's verdict ([`fdcs_policy::judge`], the one
//! `serve` runs) on the requests compose would send; [`checks`] keeps only
//! what the engine cannot see.
//!
//! ```
//! use fdcs_compose::{lint, load, MemFiles, Vars};
//! use fdcs_policy::{Policy, Tenant, TenantId};
//! use std::path::Path;
//!
//! let files = MemFiles::new();
//! let mut sources = Vec::new();
//! let project = load::from_texts(
//!     vec![("compose.yml".into(), "services:\n  web:\n    image: busybox\n    privileged: true\n".into())],
//!     &Vars::new(Vec::new(), None),
//!     Path::new("/srv/app"),
//!     &files,
//!     &mut sources,
//! )?;
//! let policy = Policy::embedded_default()?;
//! let tenant = Tenant::new(TenantId::new("alice")?);
//! let findings = lint::lint(&project, &sources, &policy, &tenant);
//! assert!(findings.iter().any(|f| f.rule == "privileges.privileged"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod checks;
pub mod engine;
mod extends;
pub mod files;
pub mod finding;
mod include;
pub mod interp;
pub mod judge;
pub mod lint;
pub mod load;
pub mod merge;
pub mod node;
mod profiles;
pub mod stack;
mod verdicts;

pub use files::{Files, MemFiles};
pub use finding::{Finding, Severity};
pub use interp::Vars;

#[cfg(test)]
mod fuzz_tests;
