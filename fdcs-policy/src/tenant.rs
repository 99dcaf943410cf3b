//! Who is asking: the tenant identity and its per-tenant settings.

use std::fmt;

use crate::image::ImagePattern;

/// A validated tenant id.
///
/// Only `[a-z0-9]{1,64}` is accepted. The engine-side name of a tenant's
/// resource is `<tenant>_<name>`; because a tenant id can never contain `_`,
/// the first `_` always ends the tenant id, so two different (tenant, name)
/// pairs can never produce the same engine-side name (invariant 7). Keystone
/// project ids (32 lowercase hex digits) fit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

/// Why a string is not a valid tenant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tenant id `{0}`: use 1 to 64 characters from [a-z0-9]")]
pub struct InvalidTenantId(pub String);

impl TenantId {
    /// Validates and wraps a tenant id.
    pub fn new(id: &str) -> Result<Self, InvalidTenantId> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(TenantId(id.to_string()))
        } else {
            Err(InvalidTenantId(id.to_string()))
        }
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Per-tenant overrides of the policy's resource ceilings and images.
///
/// `None` means "use the policy's value"; a tenant override can only be
/// set by the operator (tenants file), never by the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantLimits {
    /// Memory ceiling in bytes.
    pub memory: Option<i64>,
    /// CPU ceiling in nano-CPUs (1e9 = one CPU).
    pub nano_cpus: Option<i64>,
    /// Pids ceiling.
    pub pids: Option<i64>,
    /// Image patterns this tenant may use (overrides the policy's list).
    pub images: Option<Vec<ImagePattern>>,
    /// Registries this tenant may also pull from and log in to, beyond the
    /// policy's (a team's own registry).
    pub registries: Vec<String>,
    /// Bounds on this tenant's requests through a proxy, replacing the
    /// proxy's defaults. Not judged by the core: adapters enforce them.
    pub requests: RequestLimits,
    /// Quotas that replace the policy's (`None`: the policy's).
    pub quotas: crate::policy::QuotasParams,
}

/// A tenant's own bounds on its requests through a proxy (`fair.*` rules of
/// `fdcs-tower`); `None`: the proxy's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestLimits {
    /// Requests in flight at once (streamed answers until they end).
    pub concurrent: Option<u32>,
    /// Requests per second, sustained.
    pub per_second: Option<u32>,
    /// Requests at once above the rate (the token bucket's size).
    pub burst: Option<u32>,
    /// Hijacked streams (attach, exec start) open at once.
    pub streams: Option<u32>,
    /// Bytes of engine answers buffered at once.
    pub buffered: Option<u64>,
}

/// An authenticated tenant, as the adapters hand it to the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The validated id.
    pub id: TenantId,
    /// Operator-set overrides.
    pub limits: TenantLimits,
}

impl Tenant {
    /// A tenant with the policy's defaults.
    pub fn new(id: TenantId) -> Self {
        Tenant {
            id,
            limits: TenantLimits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_that_could_break_injectivity_are_rejected() {
        for bad in ["", "a_b", "A", "a-b", "a.b", "a/b", "é", &"a".repeat(65)] {
            assert!(TenantId::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(TenantId::new("alpha").is_ok());
        assert!(TenantId::new("0123456789abcdef0123456789abcdef").is_ok());
    }
}
