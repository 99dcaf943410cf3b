//! Response rewriters (stub).
use crate::{ResponseRewrite, Tenant};

/// Rewrites a buffered JSON response for the tenant.
pub fn rewrite_response(_plan: &ResponseRewrite, _tenant: &Tenant, body: &[u8]) -> Vec<u8> {
    body.to_vec()
}

/// Rewrites one events line; `None` drops it.
pub fn rewrite_event(_tenant: &Tenant, line: &[u8]) -> Option<Vec<u8>> {
    Some(line.to_vec())
}
