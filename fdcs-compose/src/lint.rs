//! A project's findings: the compose-only checks, then every request
//! compose would send judged by the core, graded by the policy's `lint:`
//! block.
//!
//! Severities come from the optional `lint:` block of the policy file, part
//! of the core's policy schema (so `check` and `serve` read the same file):
//!
//! ```yaml
//! lint:
//!   rules:
//!     compose.memory-unset: error     # raise
//!     compose.healthcheck-unset: off  # silence
//! ```

use crate::finding::{Finding, Severity};
use crate::load::{Project, Source};
use crate::node::Pos;
use crate::{checks, engine, judge, verdicts};
use fdcs_policy::policy::{LintLevel, LintParams};
use fdcs_policy::{Policy, RuleId, Tenant};
use std::collections::BTreeMap;

/// Every finding of one project, before the `lint:` overrides: what the
/// compose-only checks see, and each engine rule the core refuses, once,
/// at the compose key that caused it.
pub fn lint(
    project: &Project,
    sources: &[Source],
    policy: &Policy,
    tenant: &Tenant,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for h in checks::check(project) {
        let col = h
            .needle
            .as_deref()
            .map_or(h.pos.col, |n| refine(sources, h.pos, n));
        findings.push(Finding {
            rule: h.rule,
            severity: h.severity,
            message: h.message,
            help: h.help,
            file: h.pos.file,
            line: h.pos.line,
            col,
            subject: h.subject,
        });
    }
    // each request judged on the tenant as the project's earlier ones left
    // it, so quotas count the project's own networks, volumes, containers
    let mut up = judge::UpState::new(project, tenant);
    // services a quota refused a container of: their later replicas are
    // refused alike (counts only grow) with the same findings at the same
    // keys, so they are counted without being judged again
    let mut over: Vec<String> = Vec::new();
    for req in engine::requests(project, &project.dir) {
        if over.contains(&req.subject) {
            up.record(&req, None);
            continue;
        }
        let (found, forward) = verdicts::judge(policy, tenant, &req, up.facts());
        let quota_refused = found
            .iter()
            .any(|f| f.severity == Severity::Error && f.rule.as_str().starts_with("quota."));
        if quota_refused && req.target.contains("/containers/create") {
            over.push(req.subject.clone());
        }
        findings.extend(found);
        up.record(&req, forward.as_ref());
    }
    for r in engine::scale::plan(project) {
        // refused by a quota already: the containers not judged would be too
        let refused = over.contains(&r.service);
        if r.judged < r.wanted && !refused {
            findings.push(Finding {
                rule: RuleId::JUDGE_UNDECIDED,
                severity: Severity::Warning,
                message: format!(
                    "service `{}` has {} containers; lint judged the first {} only, so \
                     quotas are not checked for the others",
                    r.service, r.wanted, r.judged
                ),
                help: format!(
                    "lower `scale` to at most {} to have every container judged, or ask \
                     the operator what the tenant's container quota is",
                    engine::scale::MAX_REPLICAS
                ),
                file: r.pos.file,
                line: r.pos.line,
                col: r.pos.col,
                subject: r.service,
            });
        }
    }
    findings
}

/// Per-rule severity overrides from a policy's `lint:` block; `None`
/// silences the rule.
#[derive(Debug, Default)]
pub struct Severities(BTreeMap<String, Option<Severity>>);

impl Severities {
    /// The overrides of a policy's `lint:` block.
    pub fn from_policy(lint: &LintParams) -> Severities {
        Severities(
            lint.rules
                .iter()
                .map(|(id, level)| {
                    let sev = match level {
                        LintLevel::Off => None,
                        LintLevel::Info => Some(Severity::Info),
                        LintLevel::Warning => Some(Severity::Warning),
                        LintLevel::Error => Some(Severity::Error),
                    };
                    (id.clone(), sev)
                })
                .collect(),
        )
    }

    /// Applies overrides, drops silenced findings, sorts by place and
    /// drops repeats of one rule at one place.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut out: Vec<Finding> = findings
            .into_iter()
            .filter_map(|mut f| match self.0.get(f.rule.as_str()) {
                Some(None) => None,
                Some(Some(s)) => {
                    f.severity = *s;
                    Some(f)
                }
                None => Some(f),
            })
            .collect();
        out.sort_by(|a, b| (a.file, a.line, a.col, &a.rule).cmp(&(b.file, b.line, b.col, &b.rule)));
        out.dedup_by(|a, b| {
            a.file == b.file && a.line == b.line && a.col == b.col && a.rule == b.rule
        });
        out
    }
}

/// The column of `needle` (a variable) on the finding's line, at or after
/// the value's start; the value's own column when it spans lines.
fn refine(sources: &[Source], pos: Pos, needle: &str) -> u32 {
    let Some(line) = sources
        .get(pos.file)
        .and_then(|s| s.text.lines().nth(pos.line.saturating_sub(1) as usize))
    else {
        return pos.col;
    };
    let start: usize = line
        .chars()
        .take(pos.col.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    let rest = line.get(start..).unwrap_or("");
    let candidates = if needle.starts_with('$') {
        vec![needle.to_string()]
    } else {
        vec![format!("${{{needle}"), format!("${needle}")]
    };
    candidates
        .iter()
        .find_map(|c| rest.find(c.as_str()))
        .map_or(pos.col, |off| {
            pos.col + rest.get(..off).map_or(0, |p| p.chars().count()) as u32
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_lint_block_sets_and_silences_severities() {
        let src = "apiVersion: fdcs/v1\nkind: Policy\nname: x\nlint:\n  rules:\n    compose.healthcheck-unset: off\n    compose.memory-unset: error\n";
        let p = Policy::from_yaml(src, "p").unwrap();
        let sev = Severities::from_policy(&p.lint);
        assert_eq!(sev.0.get("compose.healthcheck-unset"), Some(&None));
        assert_eq!(
            sev.0.get("compose.memory-unset"),
            Some(&Some(Severity::Error))
        );
    }
}
