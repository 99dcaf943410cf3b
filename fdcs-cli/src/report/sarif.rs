//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning (and other SARIF
//! consumers) accept it — one run, the rules that fired in
//! `tool.driver.rules` (described from the rule catalog), one result per
//! finding with a physical location relative to the `SRCROOT` base
//! (`--base`), a `partialFingerprints` entry that survives lines moving, and
//! an `invocations` entry that says whether the run succeeded: a file that
//! could not be read or parsed is a `toolExecutionNotifications` error and
//! `executionSuccessful: false`, never an empty, clean-looking result list.
//!
//! Columns are Unicode code points (`columnKind: unicodeCodePoints`), as
//! the compose parser counts them.
//!
//! No rule has a public documentation URL, so rules carry `help.text` (the
//! `explain` text) and no `helpUri`.

use super::{Finding, Run, Severity};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `uriBaseId` every relative URI is resolved against.
const BASE_ID: &str = "SRCROOT";

/// The key of our fingerprint in `partialFingerprints` (versioned: a change
/// of what is hashed must change the key, not silently re-open alerts).
const FINGERPRINT: &str = "fdcsFindingHash/v1";

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

/// Percent-encodes what may not appear in a URI path (RFC 3986: keeps
/// unreserved characters, `/` and sub-delimiters that are safe in paths).
fn encode(path: &str) -> String {
    let mut o = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                o.push(char::from(b));
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}

/// The artifact location of a file: relative to `SRCROOT` when under the
/// base, else an absolute `file://` URI.
fn artifact(run: &Run<'_>, path: &str) -> Value {
    match run.relative(path) {
        Some(rel) => json!({ "uri": encode(&rel), "uriBaseId": BASE_ID }),
        None => {
            json!({ "uri": format!("file://{}", encode(&run.absolute(path).display().to_string())) })
        }
    }
}

fn location(run: &Run<'_>, path: &str, line: u32, col: u32) -> Value {
    let mut phys = json!({ "artifactLocation": artifact(run, path) });
    if line > 0 {
        phys["region"] = json!({ "startLine": line, "startColumn": col.max(1) });
    }
    json!({ "physicalLocation": phys })
}

/// A fingerprint stable across runs: the rule, the file (relative to the
/// base), the service and the finding's source line with its whitespace
/// collapsed — not the line number, so edits above a finding keep its alert.
/// `nth` tells apart identical findings in one file.
fn fingerprint(rule: &str, file: &str, subject: &str, snippet: &str, nth: usize) -> String {
    let snippet: Vec<&str> = snippet.split_whitespace().collect();
    let mut h = Sha256::new();
    for part in [rule, file, subject, &snippet.join(" ")] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let hex: String = h
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{hex}:{nth}")
}

/// The `explain` text of a rule, as SARIF `help`.
fn help(id: &str, doc: Option<&fdcs_policy::rules::catalog::RuleDoc>) -> String {
    match doc {
        Some(d) => format!(
            "{}\n\nWhat it guards against: {}\n\nExample that breaks it:\n{}\n\nHow to comply: {}\n\nRun `fdcs-policy explain {id}` for this text.",
            d.title, d.guards, d.example, d.comply
        ),
        None => format!("Run `fdcs-policy explain {id}`."),
    }
}

pub(super) fn render(run: &Run<'_>) -> String {
    let findings = run.findings;
    let mut rule_ids: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let doc = fdcs_policy::rules::catalog::lookup(id);
            let sev = findings
                .iter()
                .find(|f| f.rule == *id)
                .map_or(Severity::Error, |f| f.severity);
            let title = doc.map_or_else(|| (*id).to_string(), |d| d.title.to_string());
            let guards = doc.map_or_else(|| title.clone(), |d| d.guards.to_string());
            json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": title },
                "fullDescription": { "text": guards },
                "help": { "text": help(id, doc) },
                "defaultConfiguration": { "level": level(sev) },
                // GitHub code scanning ranks security alerts by this score
                "properties": { "tags": ["security", "docker-compose"], "security-severity": security_severity(sev) },
            })
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(run, f, &rule_ids, &mut seen))
        .collect();
    let notifications: Vec<Value> = run
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "descriptor": { "id": "input-error" },
                "locations": [ location(run, &e.path, e.line, e.col) ],
            })
        })
        .collect();
    let base_uri = {
        let b = encode(&super::normalize(run.base).display().to_string());
        if b.ends_with('/') {
            format!("file://{b}")
        } else {
            format!("file://{b}/")
        }
    };
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "fdcs-policy",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
                "notifications": [ {
                    "id": "input-error",
                    "shortDescription": { "text": "A file could not be read or parsed; it was not linted." },
                } ],
            } },
            "invocations": [ {
                "executionSuccessful": run.errors.is_empty(),
                "exitCode": run.exit_code(),
                "toolExecutionNotifications": notifications,
            } ],
            "originalUriBaseIds": { BASE_ID: { "uri": base_uri } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        } ],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn result(
    run: &Run<'_>,
    f: &Finding,
    rule_ids: &[&str],
    seen: &mut HashMap<String, usize>,
) -> Value {
    let path = super::path_of(run.sources, f.file);
    let file = run
        .relative(path)
        .unwrap_or_else(|| run.absolute(path).display().to_string());
    let snippet = run
        .sources
        .get(f.file)
        .and_then(|s| s.text.lines().nth(f.line.saturating_sub(1) as usize))
        .unwrap_or("");
    let key = fingerprint(&f.rule, &file, &f.subject, snippet, 0);
    let nth = seen.entry(key).or_insert(0);
    let print = fingerprint(&f.rule, &file, &f.subject, snippet, *nth);
    *nth += 1;
    json!({
        "ruleId": f.rule,
        "ruleIndex": rule_ids.iter().position(|r| *r == f.rule.as_str()).unwrap_or(0),
        "level": level(f.severity),
        "message": { "text": format!("{} — {}", f.message, f.help) },
        "locations": [ location(run, path, f.line, f.col) ],
        "partialFingerprints": { FINGERPRINT: print },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode("a b/ñ.yml"), "a%20b/%C3%B1.yml");
        assert_eq!(encode("x#y?z"), "x%23y%3Fz");
    }

    #[test]
    fn fingerprints_ignore_indentation_but_not_content() {
        let a = fingerprint("r", "f.yml", "web", "    - \"80:80\"", 0);
        assert_eq!(a, fingerprint("r", "f.yml", "web", "  - \"80:80\"  ", 0));
        assert_ne!(a, fingerprint("r", "f.yml", "web", "  - \"81:81\"", 0));
        assert_ne!(a, fingerprint("r", "f.yml", "api", "    - \"80:80\"", 0));
        assert_ne!(a, fingerprint("r", "g.yml", "web", "    - \"80:80\"", 0));
        assert_ne!(a, fingerprint("r", "f.yml", "web", "    - \"80:80\"", 1));
    }
}
