//! What lint reports: a rule, a severity and a place in a source file.
//!
//! Findings are data; the CLI renders them (text, JSON, SARIF, JUnit).

use serde::Serialize;

/// How serious a finding is; `--fail-on` compares against this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Would be refused at runtime, or is a host escape.
    Error,
}

impl Severity {
    /// Parses `error`, `warning`, `info` (also `warn`, `note`).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "note" => Some(Severity::Info),
            _ => None,
        }
    }

    /// Lowercase name, as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, located in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule id (`compose.memory-unset`, `mounts.no-host-path`).
    pub rule: fdcs_policy::RuleId,
    /// Severity after the policy's `lint:` overrides.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// What to do instead.
    pub help: String,
    /// Index into the project's [`Source`](crate::load::Source) list.
    pub file: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// The service (or `networks.x`, `volumes.x`) it concerns.
    pub subject: String,
}
