//! Findings and the formats they are printed in: `text` (rustc-like, with a
//! source snippet and a caret), `json`, SARIF 2.1.0 and JUnit XML.
//!
//! Rendering is pure (findings + sources → string); only the command prints.

mod json;
mod junit;
mod sarif;
mod text;

use crate::compose::load::Source;
use serde::Serialize;

/// How serious a finding is; `--fail-on` compares against this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Would be refused at runtime, or is a host escape.
    Error,
}

impl Severity {
    /// Parses `error`, `warning`, `info` (also `warn`, `note`).
    pub(crate) fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "note" => Some(Severity::Info),
            _ => None,
        }
    }

    /// Lowercase name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, located in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Rule id (`compose.privileged`, `mounts.no-host-path`).
    pub(crate) rule: String,
    /// Severity after the policy's `lint:` overrides.
    pub(crate) severity: Severity,
    /// What is wrong.
    pub(crate) message: String,
    /// What to do instead.
    pub(crate) help: String,
    /// Index into the source list.
    pub(crate) file: usize,
    /// 1-based line.
    pub(crate) line: u32,
    /// 1-based column.
    pub(crate) col: u32,
    /// The service (or `networks.x`, `volumes.x`) it concerns.
    pub(crate) subject: String,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-like text with a source snippet.
    Text,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0, as GitHub code scanning accepts it.
    Sarif,
    /// JUnit XML: one test case per file, one failure per finding.
    Junit,
}

/// Renders findings in a format. `color` only affects `text`.
pub(crate) fn render(
    format: Format,
    findings: &[Finding],
    sources: &[Source],
    color: bool,
) -> String {
    match format {
        Format::Text => text::render(findings, sources, color),
        Format::Json => json::render(findings, sources),
        Format::Sarif => sarif::render(findings, sources),
        Format::Junit => junit::render(findings, sources),
    }
}

/// An input error (YAML syntax, not a mapping, unreadable file) in the
/// text style, with the line and a caret when the position is known.
pub(crate) fn render_error(
    path: &str,
    text: &str,
    line: u32,
    col: u32,
    message: &str,
    color: bool,
) -> String {
    text::render_error(path, text, line, col, message, color)
}

/// The path of a finding's file.
fn path_of(sources: &[Source], file: usize) -> &str {
    sources
        .get(file)
        .map(|s| s.path.as_str())
        .unwrap_or("<unknown>")
}
