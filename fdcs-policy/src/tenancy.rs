//! Tenancy: how a tenant's names map to engine-side names, how ownership is
//! recorded, how list filters are forced, and how answers are shown back.
//!
//! Ownership lives in one engine-side label, [`OWNER_LABEL`], written only by
//! fdcs on create (invariant 8). Names are scoped as `<tenant>_<name>`; since
//! a [`TenantId`] never contains `_`, the mapping is injective (invariant 7).

pub mod ask;
pub mod claims;
pub mod filters;
pub mod lookup;
pub mod names;
pub mod resolve;
pub mod rewrite;
pub mod usage;

use crate::TenantId;

/// The label that records which tenant owns a container, network or volume.
pub const OWNER_LABEL: &str = "fdcs.tenant";

/// Labels with this prefix are reserved for fdcs: a tenant cannot set,
/// filter on, or see them.
pub const RESERVED_LABEL_PREFIX: &str = "fdcs.";

/// The tenant-side name of the network that replaces the default bridge.
pub const DEFAULT_NETWORK: &str = "bridge";

/// The label on a tenant's default network: a network prune leaves it
/// alone, as an engine never prunes its predefined `bridge`.
pub const DEFAULT_NETWORK_LABEL: &str = "fdcs.default-network";

/// The engine-side name of a tenant's resource: `<tenant>_<name>`.
pub fn engine_name(tenant: &TenantId, name: &str) -> String {
    let mut s = String::with_capacity(tenant.as_str().len() + 1 + name.len());
    s.push_str(tenant.as_str());
    s.push('_');
    s.push_str(name);
    s
}

/// The tenant-side name of an engine-side name, if it is in the tenant's scope.
pub fn tenant_name<'a>(tenant: &TenantId, engine: &'a str) -> Option<&'a str> {
    engine
        .strip_prefix(tenant.as_str())
        .and_then(|rest| rest.strip_prefix('_'))
}

/// Whether a label key is reserved for fdcs (compared as the daemon compares
/// label keys: exactly, but we also refuse case variants to be safe).
pub fn is_reserved_label(key: &str) -> bool {
    key.get(..RESERVED_LABEL_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_LABEL_PREFIX))
}

/// Whether `name` is a valid container or volume name for the daemon
/// (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`, a leading `/` allowed for containers).
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    first_ok
        && name.len() >= 2
        && name.len() <= 200
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Whether `s` looks like a full 64-hex engine id.
pub fn is_full_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Refuses reserved labels the tenant tries to set, then writes the owner
/// label: the only way ownership ever gets onto a resource (invariant 8).
pub fn claim_labels(
    labels: &mut Option<std::collections::BTreeMap<String, String>>,
    tenant: &TenantId,
    field: &str,
) -> Result<(), crate::Denial> {
    let map = labels.get_or_insert_with(Default::default);
    if let Some(key) = map.keys().find(|k| is_reserved_label(k)) {
        return Err(crate::Denial::policy(
            crate::RuleId::TENANCY_RESERVED_LABEL,
            format!("the label `{key}` is reserved for fdcs"),
            "choose a label key that does not start with `fdcs.`",
        )
        .at(format!("{field}[\"{key}\"]")));
    }
    map.insert(OWNER_LABEL.to_string(), tenant.as_str().to_string());
    Ok(())
}

/// Validates a name a tenant gives and returns its engine-side form.
pub fn scoped_name(tenant: &TenantId, name: &str, what: &str) -> Result<String, crate::Denial> {
    let n = name.strip_prefix('/').unwrap_or(name);
    if !is_valid_name(n) {
        return Err(crate::Denial::malformed(
            crate::RuleId::TENANCY_NAME,
            format!("invalid {what} name `{name}`"),
            "use 2 to 200 characters from [a-zA-Z0-9_.-], starting with a letter or digit",
        ));
    }
    Ok(engine_name(tenant, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(id: &str) -> TenantId {
        TenantId::new(id).unwrap()
    }

    #[test]
    fn names_round_trip() {
        let a = t("alpha");
        assert_eq!(engine_name(&a, "web"), "alpha_web");
        assert_eq!(tenant_name(&a, "alpha_web"), Some("web"));
        assert_eq!(tenant_name(&a, "alphaweb"), None);
        assert_eq!(tenant_name(&a, "alpha2_web"), None);
        assert_eq!(tenant_name(&t("alpha2"), "alpha_web"), None);
    }

    #[test]
    fn reserved_labels_in_any_case() {
        assert!(is_reserved_label("fdcs.tenant"));
        assert!(is_reserved_label("FDCS.tenant"));
        assert!(is_reserved_label("Fdcs.x"));
        assert!(!is_reserved_label("fdcsx"));
        assert!(!is_reserved_label("com.example"));
    }

    proptest! {
        /// Invariant 7: two different (tenant, name) pairs never map to one
        /// engine-side name.
        #[test]
        fn scoping_is_injective(
            t1 in "[a-z0-9]{1,8}", n1 in "[a-zA-Z0-9][a-zA-Z0-9_.-]{1,12}",
            t2 in "[a-z0-9]{1,8}", n2 in "[a-zA-Z0-9][a-zA-Z0-9_.-]{1,12}",
        ) {
            let (a, b) = (t(&t1), t(&t2));
            if (t1.as_str(), n1.as_str()) != (t2.as_str(), n2.as_str()) {
                prop_assert_ne!(engine_name(&a, &n1), engine_name(&b, &n2));
            }
            let scoped = engine_name(&a, &n1);
            prop_assert_eq!(tenant_name(&a, &scoped), Some(n1.as_str()));
        }
    }
}
