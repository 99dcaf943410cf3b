//! Image references as the engine reads them, and what they say about the
//! registry the daemon would contact (DESIGN.md invariants 10 and 11).
//!
//! The daemon turns every name a tenant gives it (`busybox`,
//! `reg.example:5000/team/app:1`, `app@sha256:...`) into a registry host to
//! connect to. A proxy that reads the name any other way allows a different
//! registry than the one the daemon contacts, so this module follows the
//! engine's reference grammar (`github.com/docker/distribution/reference`,
//! as vendored in moby 20.10) exactly, and refuses what it cannot read.
//! Nothing here resolves names: an IP literal in any spelling is recognised
//! as one from its text alone.

mod host;
mod pattern;
mod reference;

pub use host::{classify_host, registry_key, search_registry, server_address_registry, HostKind};
pub use pattern::ImagePattern;
pub use reference::{may_be_id_prefix, AnyReference, Reference, ReferenceError, DEFAULT_DOMAIN};
