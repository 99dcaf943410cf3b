//! # fdcs-policy — the pure core of fdcs
//!
//! Judges one Docker Engine API request for one tenant, exactly as the daemon
//! will read it, and rewrites the daemon's answers so the tenant sees only its
//! own world. No I/O: no sockets, files, clocks, threads or global state.
//! Whatever the core needs from the engine it asks for as data
//! ([`Obligation`]); the caller answers in [`Facts`] and asks again.
//!
//! ```
//! use fdcs_policy::{judge, Facts, Policy, Request, Tenant, TenantId, Verdict};
//!
//! let policy = Policy::embedded_default().unwrap();
//! let alpha = Tenant::new(TenantId::new("alpha").unwrap());
//! let req = Request::new("GET", "/v1.41/_ping", Vec::new());
//! assert!(matches!(judge(&policy, &alpha, &req, &Facts::default()), Verdict::Allow(_)));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod decode;
mod enforce;
pub mod image;
mod judge;
pub mod policy;
pub mod query;
mod request;
pub mod route;
pub mod rules;
mod session;
pub mod tenancy;
mod tenant;
pub mod tenants;
mod verdict;

pub use enforce::{add_warnings, Enforcer, Warning, WarningsField};
pub use judge::judge;
pub use policy::{EnforcementMode, Policy, PolicyError};
pub use request::Request;
pub use rules::catalog::RuleId;
pub use session::{Answer, NoAnswers, Session, Step, DEFAULT_MAX_ROUNDS};
pub use tenancy::ask::{daemon_message, EngineQuery, UnreadableAnswer};
pub use tenancy::rewrite::{
    rewrite_answer, rewrite_error, rewrite_event, rewrite_parsed_answer, rewrite_response,
    rewrite_stats_line, HIDDEN_ID,
};
pub use tenant::{InvalidTenantId, RequestLimits, Tenant, TenantId, TenantLimits};
pub use tenants::{CertificateName, TenantEntry, TenantsFile};
pub use verdict::{
    Denial, Facts, Forward, ImageFacts, InfoView, NodePool, Obligation, Owned, Prelude, PullClaim,
    ResourceKind, ResponsePlan, ResponseRewrite, ServiceFacts, Verdict, FORWARDED_HEADERS,
};
