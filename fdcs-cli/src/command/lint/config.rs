//! The policy `lint` judges with, and the severities of its findings.
//!
//! Severities come from an optional `lint:` block of the policy file, read
//! here with our own parse until the core's policy schema carries it:
//!
//! ```yaml
//! lint:
//!   rules:
//!     compose.host-port: error      # raise
//!     compose.healthcheck-unset: off  # silence
//! ```

use crate::compose::node;
use crate::report::{Finding, Severity};
use anyhow::Context;
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

/// Loads the policy (file or embedded default) and its `lint:` block.
pub(super) fn load(path: Option<&Path>) -> anyhow::Result<(Policy, Severities)> {
    let (text, origin) = match path {
        Some(p) => (
            std::fs::read_to_string(p)
                .with_context(|| format!("reading policy `{}`", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            fdcs_policy::policy::DEFAULT_POLICY_YAML.to_string(),
            "policies/default.yaml".to_string(),
        ),
    };
    let severities = severities(&text, &origin)?;
    let policy = Policy::from_yaml(&without_lint_block(&text), &origin)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((policy, severities))
}

/// The policy text with its top-level `lint:` block blanked out (lines kept,
/// so the core's errors keep their line numbers): the core's schema does not
/// know the block yet and rejects unknown keys.
fn without_lint_block(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let top_level = !line.starts_with([' ', '\t', '#', '\n', '\r']) && !line.trim().is_empty();
        if top_level {
            inside = line.starts_with("lint:");
        }
        if inside {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line);
        }
    }
    out
}

fn severities(text: &str, origin: &str) -> anyhow::Result<Severities> {
    let doc = node::parse(text, 0)
        .map_err(|e| anyhow::anyhow!("{origin}:{}:{}: {}", e.line, e.col, e.message))?;
    let mut map = BTreeMap::new();
    for (k, v) in doc
        .get("lint")
        .and_then(|l| l.get("rules"))
        .map(node::Node::entries)
        .unwrap_or_default()
    {
        let id = k.as_scalar().unwrap_or_default();
        let s = v.as_scalar().unwrap_or_default();
        let sev = match s.as_str() {
            "off" | "false" | "none" => None,
            other => Some(Severity::parse(other).ok_or_else(|| anyhow::anyhow!("{origin}:{}:{}: unknown severity `{other}` for `{id}`: use error, warning, info or off", v.pos.line, v.pos.col))?),
        };
        map.insert(id, sev);
    }
    Ok(Severities(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lint_block_is_blanked_and_lines_are_kept() {
        let src = "name: x\nlint:\n  rules:\n    compose.a: off\n# c\nrules:\n  ports: {}\n";
        let out = without_lint_block(src);
        assert_eq!(out, "name: x\n\n\n\n\nrules:\n  ports: {}\n");
        let sev = severities(src, "p").unwrap();
        assert_eq!(sev.0.get("compose.a"), Some(&None));
    }

    #[test]
    fn a_bad_severity_is_an_error_with_its_position() {
        let e = severities("lint:\n  rules:\n    compose.a: loud\n", "p.yaml").unwrap_err();
        assert!(e.to_string().starts_with("p.yaml:3:16"), "{e}");
    }
}
