//! `--format json`: an array of findings, one object each, stable keys.

use super::{path_of, Finding};
use fdcs_compose::load::Source;
use serde_json::json;

pub(super) fn render(findings: &[Finding], sources: &[Source]) -> String {
    let arr: Vec<_> = findings
        .iter()
        .map(|f| {
            json!({
                "file": path_of(sources, f.file),
                "line": f.line,
                "column": f.col,
                "rule": f.rule,
                "severity": f.severity,
                "subject": f.subject,
                "message": f.message,
                "help": f.help,
            })
        })
        .collect();
    serde_json::to_string_pretty(&arr).unwrap_or_else(|_| "[]".into()) + "\n"
}
