//! Compose-level checks: only what the engine rules cannot see. Limits left
//! unset (`serve` injects the policy's defaults silently), no
//! `no-new-privileges`, unpinned images, no health check, variables that did
//! not resolve. Everything the engine rules decide (privileged, namespaces,
//! capabilities, devices, ports, bind mounts, the engine socket...) is the
//! core's verdict on the requests compose sends, with the operator's
//! parameters ([`crate::lint`]): reported once, by the core's rule id, and
//! never by a second list of our own that could disagree with `serve`.
//! Severities here are defaults; the policy's `lint:` block overrides them.

use super::load::Project;
use super::node::{Node, Pos};
use crate::finding::Severity;
use fdcs_policy::RuleId;

/// One compose-level finding before severities are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// `compose.<name>`.
    pub rule: RuleId,
    /// Default severity.
    pub severity: Severity,
    /// Where.
    pub pos: Pos,
    /// The service (or other subject).
    pub subject: String,
    /// What is wrong.
    pub message: String,
    /// What to do instead.
    pub help: String,
    /// Text to look for on the line to point the column at it exactly
    /// (`${VAR` inside a longer string value).
    pub needle: Option<String>,
}

/// Runs every compose-level check on a project.
pub fn check(project: &Project) -> Vec<Hit> {
    let mut out = Vec::new();
    for m in &project.misses {
        out.push(vars::miss(m));
    }
    for (k, svc) in project
        .doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default()
    {
        service(&k.as_scalar().unwrap_or_default(), k, svc, &mut out);
    }
    out
}

fn hit(
    out: &mut Vec<Hit>,
    rule: RuleId,
    severity: Severity,
    pos: Pos,
    svc: &str,
    message: String,
    help: &str,
) {
    out.push(Hit {
        rule,
        severity,
        pos,
        subject: svc.to_string(),
        message,
        help: help.to_string(),
        needle: None,
    });
}

fn service(name: &str, key: &Node, svc: &Node, out: &mut Vec<Hit>) {
    use Severity::{Info, Warning};
    let limits = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("limits"));
    let has = |f: &str, d: &str| svc.get(f).is_some() || limits.and_then(|l| l.get(d)).is_some();
    if !has("mem_limit", "memory") {
        hit(
            out,
            RuleId::COMPOSE_MEMORY_UNSET,
            Warning,
            key.pos,
            name,
            format!("service `{name}` sets no memory limit"),
            "add `mem_limit: 256m` (or `deploy.resources.limits.memory`)",
        );
    }
    if !has("cpus", "cpus") {
        hit(
            out,
            RuleId::COMPOSE_CPUS_UNSET,
            Warning,
            key.pos,
            name,
            format!("service `{name}` sets no CPU limit"),
            "add `cpus: 0.5` (or `deploy.resources.limits.cpus`)",
        );
    }
    if !has("pids_limit", "pids") {
        hit(
            out,
            RuleId::COMPOSE_PIDS_UNSET,
            Warning,
            key.pos,
            name,
            format!("service `{name}` sets no pids limit"),
            "add `pids_limit: 100`",
        );
    }
    let opts = svc.get("security_opt");
    let nnp = opts.is_some_and(|o| {
        o.items().iter().any(|it| {
            let s = it.as_scalar().unwrap_or_default().replace('=', ":");
            matches!(
                s.as_str(),
                "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges:1"
            )
        })
    });
    if !nnp {
        hit(
            out,
            RuleId::COMPOSE_NO_NEW_PRIVILEGES,
            Warning,
            key.pos,
            name,
            format!("service `{name}` does not set `no-new-privileges`"),
            if opts.is_some() {
                "add `no-new-privileges:true` to `security_opt`"
            } else {
                "add `security_opt: [\"no-new-privileges:true\"]`"
            },
        );
    }
    if let Some((k, v)) = svc.entry("image") {
        let img = v.as_scalar().unwrap_or_default();
        let last = img.rsplit('/').next().unwrap_or("");
        if !img.contains('@') && (!last.contains(':') || last.ends_with(":latest")) {
            hit(
                out,
                RuleId::COMPOSE_IMAGE_LATEST,
                Info,
                k.pos,
                name,
                format!("service `{name}` uses unpinned image `{img}`"),
                "pin a tag or digest (`image: nginx:1.27.2`)",
            );
        }
    }
    if svc.get("healthcheck").is_none() {
        hit(
            out,
            RuleId::COMPOSE_HEALTHCHECK_UNSET,
            Info,
            key.pos,
            name,
            format!("service `{name}` has no healthcheck"),
            "add a `healthcheck:` with a `test:`",
        );
    }
}

#[cfg(test)]
mod tests;
mod vars;
