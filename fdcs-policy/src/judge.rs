//! The judge (stub).
use crate::{Denial, Facts, Policy, Request, Tenant, Verdict};

/// Judges one request for one tenant.
pub fn judge(_policy: &Policy, _tenant: &Tenant, _req: &Request, _facts: &Facts) -> Verdict {
    Verdict::Deny(Denial::policy("route.unknown", "not written", "wait"))
}
