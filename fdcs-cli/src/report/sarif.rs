//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it — one
//! run, the rules that fired in `tool.driver.rules` (described from the rule
//! catalog), one result per finding with a physical location.

use super::{path_of, Finding, Severity};
use crate::compose::load::Source;
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0+ critical, 7.0+ high, 4.0+ medium, below low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p).to_string();
    p.replace(' ', "%20")
}

pub(super) fn render(findings: &[Finding], sources: &[Source]) -> String {
    let mut rule_ids: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let doc = fdcs_policy::rules::catalog::lookup(id);
            let sev = findings.iter().find(|f| f.rule == *id).map_or(Severity::Error, |f| f.severity);
            let title = doc.map_or_else(|| (*id).to_string(), |d| d.title.to_string());
            let guards = doc.map_or_else(|| title.clone(), |d| d.guards.to_string());
            let comply = doc.map_or("", |d| d.comply);
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": title },
                "fullDescription": { "text": guards },
                "help": { "text": format!("{comply}\nRun `fdcs-policy explain {id}` for an example.") },
                "defaultConfiguration": { "level": level(sev) },
                // GitHub code scanning ranks security alerts by this score
                "properties": { "tags": ["security", "docker-compose"], "security-severity": security_severity(sev) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut phys = json!({ "artifactLocation": { "uri": uri(path_of(sources, f.file)) } });
            if f.line > 0 {
                phys["region"] = json!({ "startLine": f.line, "startColumn": f.col.max(1) });
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.rule).unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": format!("{} — {}", f.message, f.help) },
                "locations": [ { "physicalLocation": phys } ],
            })
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "fdcs-policy",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
            "results": results,
        } ],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
