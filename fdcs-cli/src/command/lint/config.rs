//! The policy `lint` judges with, and the severities of its findings.
//!
//! Severities come from the optional `lint:` block of the policy file, part
//! of the core's policy schema (so `check` and `serve` read the same file):
//!
//! ```yaml
//! lint:
//!   rules:
//!     compose.host-port: error      # raise
//!     compose.healthcheck-unset: off  # silence
//! ```

use crate::report::{Finding, Severity};
use anyhow::Context;
use fdcs_policy::policy::{LintLevel, LintParams};
use fdcs_policy::Policy;
use std::collections::BTreeMap;
use std::path::Path;

/// Per-rule severity overrides; `None` silences the rule.
#[derive(Debug, Default)]
pub(super) struct Severities(BTreeMap<String, Option<Severity>>);

impl Severities {
    /// Applies overrides, drops silenced findings, sorts by place.
    pub(super) fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let mut out: Vec<Finding> = findings
            .into_iter()
            .filter_map(|mut f| match self.0.get(&f.rule) {
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

/// Loads the policy (file or embedded default) with the same core loader
/// `check`, `test` and `serve` use; its `lint:` block is part of it.
pub(super) fn load(path: Option<&Path>) -> anyhow::Result<(Policy, Severities)> {
    let policy = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading policy `{}`", p.display()))?;
            // PolicyError displays as `file:line:col: message`
            Policy::from_yaml(&text, &p.display().to_string())?
        }
        None => Policy::embedded_default().context("the embedded default policy")?,
    };
    let severities = Severities::from_policy(&policy.lint);
    Ok((policy, severities))
}

impl Severities {
    /// The overrides of a policy's `lint:` block.
    fn from_policy(lint: &LintParams) -> Severities {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_lint_block_sets_and_silences_severities() {
        let src = "apiVersion: fdcs/v1\nkind: Policy\nname: x\nlint:\n  rules:\n    compose.healthcheck-unset: off\n    compose.host-port: error\n";
        let p = Policy::from_yaml(src, "p").unwrap();
        let sev = Severities::from_policy(&p.lint);
        assert_eq!(sev.0.get("compose.healthcheck-unset"), Some(&None));
        assert_eq!(sev.0.get("compose.host-port"), Some(&Some(Severity::Error)));
    }
}
