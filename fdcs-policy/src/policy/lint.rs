//! The `lint:` block: how `fdcs-policy lint` grades its findings.
//!
//! It lives in the core's policy schema so that one policy file drives
//! `lint`, `check`, `test` and `serve` alike (the engine ignores it; only
//! lint reads it). Validated like every other block: unknown keys and
//! unknown levels are errors at their line and column.
//!
//! ```yaml
//! lint:
//!   rules:
//!     compose.memory-unset: error       # raise
//!     compose.healthcheck-unset: off    # silence
//! ```

use super::err::{Errs, Pos};
use super::schema::RawLint;
use super::PolicyError;
use std::collections::BTreeMap;

/// The level a lint rule is reported at, or `Off` to silence it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintLevel {
    /// Worth knowing (`info`, also `note`).
    Info,
    /// Should be fixed (`warning`, also `warn`).
    Warning,
    /// Fails the lint at the default `--fail-on` (`error`).
    Error,
    /// Not reported (`off`, also `none`).
    Off,
}

impl LintLevel {
    /// Parses a level as written in the policy (case-insensitive).
    pub fn parse(s: &str) -> Option<LintLevel> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(LintLevel::Error),
            "warning" | "warn" => Some(LintLevel::Warning),
            "info" | "note" => Some(LintLevel::Info),
            "off" | "none" => Some(LintLevel::Off),
            _ => None,
        }
    }
}

/// The `lint:` settings of a policy; empty when the block is omitted, so
/// every rule keeps its built-in severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintParams {
    /// Per-rule level overrides, keyed by rule id (`compose.memory-unset`,
    /// `mounts.no-host-path`, `custom.x`).
    pub rules: BTreeMap<String, LintLevel>,
}

/// Validates the raw block. `known` says whether a rule id exists (the
/// catalog's, or one of this policy's custom rules): a misspelt id would
/// otherwise change nothing, silently.
pub(super) fn lint(
    raw: RawLint,
    known: impl Fn(&str) -> bool,
    errs: Errs<'_>,
) -> Result<LintParams, PolicyError> {
    let mut rules = BTreeMap::new();
    for (id, level) in raw.rules.unwrap_or_default() {
        if id.trim().is_empty() {
            return Err(errs.at(Pos::of(&level), "lint rule id must not be empty"));
        }
        if !known(&id) {
            return Err(errs.at(
                Pos::of(&level),
                format!(
                    "unknown rule id `{id}` in lint.rules: `fdcs-policy explain --list` lists \
                     the rule ids (custom rules as `custom.<id>`)"
                ),
            ));
        }
        let parsed = LintLevel::parse(&level.value).ok_or_else(|| {
            errs.at(
                Pos::of(&level),
                format!(
                    "unknown level `{}` for `{id}`: use error, warning, info or off",
                    level.value
                ),
            )
        })?;
        rules.insert(id, parsed);
    }
    Ok(LintParams { rules })
}

#[cfg(test)]
mod tests {
    use super::LintLevel;
    use crate::Policy;

    fn load(lint: &str) -> Result<Policy, String> {
        let src = format!("apiVersion: fdcs/v1\nkind: Policy\nname: t\nlint:\n{lint}");
        Policy::from_yaml(&src, "t.yaml").map_err(|e| e.to_string())
    }

    #[test]
    fn the_lint_block_is_part_of_the_policy() {
        let p = load("  rules:\n    compose.memory-unset: error\n    compose.healthcheck-unset: off\n    mounts.no-host-path: warn\n").unwrap();
        assert_eq!(
            p.lint.rules.get("compose.memory-unset"),
            Some(&LintLevel::Error)
        );
        assert_eq!(
            p.lint.rules.get("compose.healthcheck-unset"),
            Some(&LintLevel::Off)
        );
        assert_eq!(
            p.lint.rules.get("mounts.no-host-path"),
            Some(&LintLevel::Warning)
        );
        assert!(Policy::embedded_default().unwrap().lint.rules.is_empty());
    }

    #[test]
    fn unknown_keys_and_levels_are_errors_at_their_place() {
        let e = load("  rulez:\n    compose.a: off\n").unwrap_err();
        assert!(e.starts_with("t.yaml:5:"), "{e}");
        assert!(e.contains("rulez"), "{e}");
        let e = load("  rules:\n    compose.memory-unset: loud\n").unwrap_err();
        assert!(e.starts_with("t.yaml:6:27:"), "{e}");
        assert!(
            e.contains("unknown level `loud` for `compose.memory-unset`"),
            "{e}"
        );
        let e = load("  rules:\n    compose.memory-unset: off\n    compose.memory-unset: error\n")
            .unwrap_err();
        assert!(
            e.contains("duplicate") || e.contains("compose.memory-unset"),
            "{e}"
        );
    }

    #[test]
    fn a_misspelt_rule_id_is_an_error_not_a_silent_no_op() {
        let e = load("  rules:\n    compose.host-prot: off\n").unwrap_err();
        assert!(e.starts_with("t.yaml:6:"), "{e}");
        assert!(e.contains("unknown rule id `compose.host-prot`"), "{e}");
        assert!(e.contains("explain --list"), "{e}");
        // a custom rule of the same policy, by the id lint reports
        let src = "apiVersion: fdcs/v1\nkind: Policy\nname: t\n\
                   custom:\n  - id: env.small\n    match: { endpoints: [ContainerCreate] }\n    \
                   expression: \"true\"\n    message: \"m\"\n\
                   lint:\n  rules:\n    custom.env.small: off\n";
        let p = Policy::from_yaml(src, "t.yaml").unwrap();
        assert_eq!(p.lint.rules.get("custom.env.small"), Some(&LintLevel::Off));
        let e = load("  rules:\n    custom.nope: off\n").unwrap_err();
        assert!(e.contains("unknown rule id `custom.nope`"), "{e}");
        let bare = src.replace("custom.env.small: off", "env.small: off");
        let e = Policy::from_yaml(&bare, "t.yaml").unwrap_err().to_string();
        assert!(e.contains("unknown rule id `env.small`"), "{e}");
    }
}
