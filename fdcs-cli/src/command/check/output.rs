//! Printing verdicts: one line per request, text or JSON.
//!
//! Text: `PATH: deny 403 RULE: MESSAGE`, `PATH: rewrite METHOD PATH?QUERY BODY`,
//! `PATH: allow METHOD PATH?QUERY`, `PATH: need OBLIGATION, ...`.
//! JSON: `{"file","verdict","status","rule","message","field","forward","obligations"}`
//! where `forward` is `{"method","path","query","body"}` (plus `"prelude"`
//! when requests must be sent first) or null.

use super::judge::Outcome;
use super::Format;
use fdcs_policy::{Forward, Obligation, Verdict};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// Writes outcomes to stdout in one format.
pub(crate) struct Printer {
    format: Format,
    out: std::io::Stdout,
}

impl Printer {
    pub(crate) fn new(format: Format) -> Self {
        Printer {
            format,
            out: std::io::stdout(),
        }
    }

    /// Prints one outcome; an error means stdout is gone.
    pub(crate) fn print(&mut self, path: &Path, o: &Outcome) -> std::io::Result<()> {
        let line = match self.format {
            Format::Text => text(path, o),
            Format::Json => json_line(path, o).to_string(),
        };
        let mut out = self.out.lock();
        writeln!(out, "{line}")?;
        out.flush()
    }
}

/// The readable line.
pub(crate) fn text(path: &Path, o: &Outcome) -> String {
    let file = path.display();
    match &o.verdict {
        Verdict::Deny(d) => format!(
            "{file}: deny {} {}: {}",
            d.status,
            d.rule.as_deref().unwrap_or("-"),
            d.message
        ),
        Verdict::Allow(f) | Verdict::Rewrite(f) => {
            let mut s = format!("{file}: {} {} {}", o.verdict.kind(), f.method, target(f));
            if let Some(b) = &f.body {
                s.push(' ');
                s.push_str(&b.to_string());
            }
            for p in &f.prelude {
                s.push_str(&format!(" (after {} {} {})", p.method, p.path, p.body));
            }
            if let fdcs_policy::ResponsePlan::Answer { body } = &f.response {
                s.push_str(&format!(" (not forwarded: fdcs answers {body})"));
            }
            s
        }
        Verdict::Need(obls) => {
            let asked: Vec<String> = obls.iter().map(obligation_text).collect();
            format!("{file}: need {}", asked.join(", "))
        }
    }
}

fn target(f: &Forward) -> String {
    match &f.query {
        Some(q) => format!("{}?{q}", f.path),
        None => f.path.clone(),
    }
}

fn obligation_text(o: &Obligation) -> String {
    match o {
        Obligation::Owned { kind } => format!("the tenant's {}s", kind.noun()),
        Obligation::ExecContainer { exec } => format!("the container of exec `{exec}`"),
        Obligation::Image { reference } => format!("the image `{reference}` resolves to"),
        Obligation::Usage => "what the tenant's containers hold (states and reservations)".into(),
        Obligation::NamedImages => "the engine's named images".into(),
        Obligation::ContainerMounts { id } => format!("where the container `{id}` mounts things"),
        Obligation::ServiceSpec { id } => format!("the spec service `{id}` would roll back to"),
        Obligation::Lookup(l) => {
            let (what, v) = match &l.by {
                fdcs_policy::tenancy::lookup::LookupBy::Id(v) => ("id", v),
                fdcs_policy::tenancy::lookup::LookupBy::Name(v) => ("engine-side name", v),
                fdcs_policy::tenancy::lookup::LookupBy::Prefix(v) => ("id prefix", v),
            };
            format!("the tenant's {} with {what} `{v}`", l.kind.noun())
        }
    }
}

/// The JSON object, as scripts read it.
pub(crate) fn json_line(path: &Path, o: &Outcome) -> Value {
    let (status, rule, message, field) = match &o.verdict {
        Verdict::Deny(d) => (
            json!(d.status),
            json!(d.rule),
            json!(d.message),
            json!(d.field),
        ),
        Verdict::Allow(_) | Verdict::Rewrite(_) => {
            (json!(200), Value::Null, Value::Null, Value::Null)
        }
        Verdict::Need(_) => (Value::Null, Value::Null, Value::Null, Value::Null),
    };
    let forward = match o.verdict.forward() {
        Some(f) => {
            let mut v = json!({
                "method": f.method,
                "path": f.path,
                "query": f.query,
                "body": f.body,
            });
            if !f.prelude.is_empty() {
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("prelude".into(), json!(f.prelude));
                }
            }
            v
        }
        None => Value::Null,
    };
    json!({
        "file": path.display().to_string(),
        "verdict": o.verdict.kind(),
        "status": status,
        "rule": rule,
        "message": message,
        "field": field,
        "forward": forward,
        "obligations": o.obligations,
    })
}
