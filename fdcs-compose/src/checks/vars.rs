//! Findings for variables that did not resolve: an error where the value
//! decides a host path, a port or a privilege (compose would silently use an
//! empty string there), information elsewhere.

use super::Hit;
use crate::finding::Severity;
use crate::interp::{Miss, Unresolved};
use fdcs_policy::RuleId;

/// Service fields where an unresolved variable changes a host path, a port or a privilege.
const SENSITIVE_FIELDS: &[&str] = &[
    "ports",
    "volumes",
    "devices",
    "privileged",
    "cap_add",
    "cap_drop",
    "network_mode",
    "pid",
    "ipc",
    "userns_mode",
    "uts",
    "security_opt",
    "user",
    "cgroup_parent",
    "runtime",
    "sysctls",
    "volumes_from",
    "build",
    "image",
    "mem_limit",
    "cpus",
    "pids_limit",
    "deploy",
];

pub(super) fn miss(m: &Miss) -> Hit {
    let field = m.path.get(2).map(String::as_str).unwrap_or("");
    let sensitive = (m.path.first().map(String::as_str) == Some("services")
        && SENSITIVE_FIELDS.contains(&field))
        || (m.path.first().map(String::as_str) == Some("volumes")
            && m.path.get(2).map(String::as_str) == Some("driver_opts"));
    let subject = m.path.get(1).cloned().unwrap_or_default();
    let at = m.path.join(".");
    let needle = match &m.why {
        Unresolved::Invalid => m.var.clone(),
        _ => m.var.clone(),
    };
    match &m.why {
        Unresolved::Required(msg) => Hit {
            rule: RuleId::COMPOSE_REQUIRED_VARIABLE,
            severity: Severity::Error,
            pos: m.pos,
            subject,
            message: format!("required variable `{}` is not set at `{at}`: {msg}", m.var),
            help: format!("set `{}` in the environment, `.env` or `--env-file`", m.var),
            needle: Some(needle.clone()),
        },
        Unresolved::Invalid => Hit {
            rule: RuleId::COMPOSE_INVALID_INTERPOLATION,
            severity: Severity::Error,
            pos: m.pos,
            subject,
            message: format!("invalid interpolation `{}` at `{at}`", m.var),
            help: "close the `${`, use a valid variable name, or write `$$` for a literal `$`".into(),
            needle: Some(needle.clone()),
        },
        Unresolved::Missing if sensitive => Hit {
            rule: RuleId::COMPOSE_UNRESOLVED_VARIABLE,
            severity: Severity::Error,
            pos: m.pos,
            subject,
            message: format!("variable `{}` is not set and decides `{at}`; compose would use an empty string", m.var),
            help: format!("set `{0}`, give a safe default `${{{0}:-...}}`, or require it with `${{{0}:?message}}`", m.var),
            needle: Some(needle.clone()),
        },
        Unresolved::Missing => Hit {
            rule: RuleId::COMPOSE_UNSET_VARIABLE,
            severity: Severity::Info,
            pos: m.pos,
            subject,
            message: format!("variable `{}` is not set at `{at}`; compose would use an empty string", m.var),
            help: format!("set `{0}` or give a default `${{{0}:-...}}`", m.var),
            needle: Some(needle.clone()),
        },
    }
}
