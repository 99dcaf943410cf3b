//! The policy `lint` judges with, and the severities of its findings (the
//! policy's `lint:` block, read by [`fdcs_compose::lint::Severities`]).

use anyhow::Context;
use fdcs_compose::lint::Severities;
use fdcs_policy::Policy;
use std::path::Path;

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
