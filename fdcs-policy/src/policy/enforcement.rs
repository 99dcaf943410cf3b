//! The `enforcement:` block: per rule, whether a violation is refused
//! (`deny`, the default), allowed with a warning the client sees (`warn`)
//! or allowed and only counted (`audit`), as Kubernetes
//! ValidatingAdmissionPolicy's `validationActions` (`Deny | Warn | Audit`).
//!
//! An operator rolls a new rule out in `audit`, watches
//! `fdcs_policy_warnings_total{rule,mode}`, then enforces it:
//!
//! ```yaml
//! enforcement:
//!   privileges.capabilities: warn     # allowed; the docker CLI prints WARNING: ...
//!   custom.no-latest: audit           # allowed; audit line and metrics only
//! ```
//!
//! Only policy rules (refusals with 403) can be downgraded, and not all of
//! them: a rule that keeps tenants apart, keeps fdcs able to judge what it
//! forwards, or guards what every tenant shares is refused at load with the
//! reason ([`downgradable`]). A downgraded rule's 400 (a value it cannot
//! read as the daemon reads it) is still a refusal: only its 403 is
//! downgraded ([`crate::Enforcer`]).

use super::err::{Errs, Pos};
use super::PolicyError;
use crate::RuleId;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// What happens to a request that breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnforcementMode {
    /// Refused (the default for every rule).
    #[default]
    Deny,
    /// Allowed; the client is told where the API has a place for it (the
    /// `Warnings` of a container create answer, the `Warning` of a network
    /// create answer), and the audit line and metrics record it.
    Warn,
    /// Allowed; only the audit line and metrics record it.
    Audit,
}

impl EnforcementMode {
    /// Parses a mode as written in the policy: `deny`, `warn` or `audit`,
    /// in any case (Kubernetes spells them `Deny`, `Warn`, `Audit`).
    pub fn parse(s: &str) -> Option<EnforcementMode> {
        match s.to_ascii_lowercase().as_str() {
            "deny" => Some(EnforcementMode::Deny),
            "warn" => Some(EnforcementMode::Warn),
            "audit" => Some(EnforcementMode::Audit),
            _ => None,
        }
    }

    /// The mode as written (`deny`, `warn`, `audit`), for audit lines and
    /// metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementMode::Deny => "deny",
            EnforcementMode::Warn => "warn",
            EnforcementMode::Audit => "audit",
        }
    }
}

impl std::fmt::Display for EnforcementMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `enforcement:` settings of a policy; empty when the block is
/// omitted, so every rule denies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnforcementParams {
    /// Rules not in `deny` mode, by rule id. Never holds a rule that
    /// [`downgradable`] refuses.
    pub rules: BTreeMap<RuleId, EnforcementMode>,
}

impl EnforcementParams {
    /// No rule downgraded: every violation is refused.
    pub const fn deny_all() -> EnforcementParams {
        EnforcementParams {
            rules: BTreeMap::new(),
        }
    }

    /// The mode of one rule (`deny` unless the policy says otherwise).
    pub fn mode(&self, rule: &RuleId) -> EnforcementMode {
        self.rules.get(rule).copied().unwrap_or_default()
    }
}

/// The built-in rules whose refusals (403) an operator may downgrade: those
/// that protect the host and the tenants' shares from a tenant's own
/// container and request (invariants 3, 4, 5, 10 and 12), which the policy's
/// own parameters could also allow. Everything else is refused at load. A
/// rule added to the catalog is not downgradable until it is listed here.
const DOWNGRADABLE: &[RuleId] = &[
    RuleId::PORTS_EPHEMERAL_ONLY,
    RuleId::MOUNTS_NO_HOST_PATH,
    RuleId::MOUNTS_VOLUME_DRIVER,
    RuleId::PRIVILEGES_PRIVILEGED,
    RuleId::PRIVILEGES_CAPABILITIES,
    RuleId::PRIVILEGES_DEVICES,
    RuleId::PRIVILEGES_SECURITY_OPT,
    RuleId::PRIVILEGES_SYSCTLS,
    RuleId::PRIVILEGES_PATHS,
    RuleId::PRIVILEGES_CGROUP_PARENT,
    RuleId::PRIVILEGES_RUNTIME,
    RuleId::PRIVILEGES_LOG_DRIVER,
    RuleId::PRIVILEGES_OOM_SCORE_ADJ,
    RuleId::NAMESPACES_NO_HOST,
    RuleId::RESOURCES_MEMORY,
    RuleId::RESOURCES_CPU,
    RuleId::RESOURCES_PIDS,
    RuleId::BOUNDS_PORTS,
    RuleId::BOUNDS_TMPFS,
    RuleId::BOUNDS_LOGS,
    RuleId::BOUNDS_CPU_WEIGHT,
    RuleId::BOUNDS_REALTIME,
    RuleId::BOUNDS_HEALTHCHECK,
    RuleId::VOLUMES_TMPFS,
    RuleId::QUOTA_CONTAINERS,
    RuleId::QUOTA_MEMORY,
    RuleId::QUOTA_CPUS,
    RuleId::QUOTA_PIDS,
    RuleId::QUOTA_PORTS,
    RuleId::QUOTA_VOLUMES,
    RuleId::QUOTA_NETWORKS,
    RuleId::IMAGES_ALLOWED,
    RuleId::IMAGES_PULL,
    RuleId::IMAGES_REGISTRY,
    RuleId::EXEC_PRIVILEGED,
];

/// Whether `rule` may be put in `warn` or `audit` mode; `Err` says why not.
/// Every custom CEL rule may (each is a policy rule that refuses with 403).
pub fn downgradable(rule: &RuleId) -> Result<(), &'static str> {
    if rule.is_custom() || DOWNGRADABLE.contains(rule) {
        return Ok(());
    }
    let id = rule.as_str();
    let family = id.split_once('.').map_or(id, |(f, _)| f);
    Err(match family {
        "route" | "decode" | "request" | "judge" => {
            "fdcs could not read the request as the daemon would, and letting it through would \
             forward what was not judged (invariants 1, 6 and 9)"
        }
        "tenancy" | "networks" | "volumes" => {
            "it keeps tenants apart: names, ownership labels, not-found answers and networks \
             of their own (a network option can name another tenant's bridge; invariants 2, 7 \
             and 8)"
        }
        "images" if matches!(id, "images.reserved" | "images.private") => {
            "it keeps tenants' private images apart (invariant 11)"
        }
        "images" if matches!(id, "images.credentials" | "images.reference") => {
            "what the daemon is sent must be what fdcs judged: registry credentials and image \
             references it cannot read as the engine does are refused (invariants 6 and 10)"
        }
        "images" | "system" => {
            "it guards what every tenant shares (the image store, the daemon itself): a warning \
             would still let one tenant change or read it for all; the rule's parameter \
             (`allowBuild`, `allowPush`, `allowManage`), where there is one, is the way to allow it"
        }
        "body" | "auth" | "upstream" | "fair" => {
            "it is decided before or outside the policy (credentials, body size, the engine's \
             availability, fair shares), not by a policy rule"
        }
        "compose" => {
            "it is a lint finding, not a rule the engine enforces: grade it in `lint.rules`"
        }
        _ => "it is not a policy rule that refuses with 403",
    })
}

/// Validates the raw block. `known` says whether a rule id exists (the
/// catalog's, or one of this policy's custom rules), as for `lint.rules`:
/// a misspelt id would otherwise leave the rule denying, silently.
pub(super) fn enforcement(
    raw: Option<BTreeMap<String, Spanned<String>>>,
    known: impl Fn(&str) -> Option<RuleId>,
    errs: Errs<'_>,
) -> Result<EnforcementParams, PolicyError> {
    let mut rules = BTreeMap::new();
    for (id, mode) in raw.unwrap_or_default() {
        let at = Pos::of(&mode);
        if id.trim().is_empty() {
            return Err(errs.at(at, "enforcement rule id must not be empty"));
        }
        let Some(rule) = known(&id) else {
            return Err(errs.at(
                at,
                format!(
                    "unknown rule id `{id}` in enforcement: `fdcs-policy explain --list` lists \
                     the rule ids (custom rules as `custom.<id>`)"
                ),
            ));
        };
        let parsed = EnforcementMode::parse(&mode.value).ok_or_else(|| {
            errs.at(
                at,
                format!(
                    "unknown enforcement mode `{}` for `{id}`: use deny, warn or audit (to allow \
                     what the rule refuses, change the rule's parameters)",
                    mode.value
                ),
            )
        })?;
        if parsed == EnforcementMode::Deny {
            continue;
        }
        if let Err(why) = downgradable(&rule) {
            return Err(errs.at(
                at,
                format!(
                    "`{id}` cannot be put in {parsed} mode: {why}; only policy rules that refuse \
                     with 403 can be warn or audit"
                ),
            ));
        }
        rules.insert(rule, parsed);
    }
    Ok(EnforcementParams { rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_rule_is_a_catalog_rule_and_no_invariant_is_listed() {
        for r in DOWNGRADABLE {
            assert!(r.doc().is_some(), "{r}");
            for family in [
                "tenancy.", "route.", "decode.", "auth.", "body.", "compose.",
            ] {
                assert!(!r.as_str().starts_with(family), "{r}");
            }
        }
        for r in RuleId::builtin() {
            let listed = DOWNGRADABLE.contains(r);
            assert_eq!(downgradable(r).is_ok(), listed, "{r}");
        }
        assert!(downgradable(&RuleId::custom("x")).is_ok());
    }

    #[test]
    fn modes_parse_in_any_case_and_nothing_else() {
        assert_eq!(EnforcementMode::parse("Warn"), Some(EnforcementMode::Warn));
        assert_eq!(
            EnforcementMode::parse("AUDIT"),
            Some(EnforcementMode::Audit)
        );
        assert_eq!(EnforcementMode::parse("deny"), Some(EnforcementMode::Deny));
        for bad in ["warning", "off", "allow", "dryrun", " warn", ""] {
            assert_eq!(EnforcementMode::parse(bad), None, "{bad}");
        }
    }
}
