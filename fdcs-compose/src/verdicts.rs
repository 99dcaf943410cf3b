//! Judging compose's requests with the core, exactly as `serve` would.
//!
//! The core stops at the first denial of a request; to report every
//! problem of a service at once, the offending field is removed and the
//! request judged again, until it passes or the denial names no field.

use crate::engine::{remove_path, EngineRequest};
use crate::finding::{Finding, Severity};
use crate::judge::verdict;
use fdcs_policy::{Facts, Policy, Tenant, Verdict};

/// At most this many denials per request (a body has far fewer fields).
const MAX_ROUNDS: usize = 64;

/// The findings for one request; `Need` (ownership lookups) is no finding.
pub(crate) fn judge(
    policy: &Policy,
    tenant: &Tenant,
    req: &EngineRequest,
    facts: &Facts,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut body = req.body.clone();
    let mut removed = Removed::default();
    for _ in 0..MAX_ROUNDS {
        let Verdict::Deny(d) = verdict(policy, tenant, req, &body, facts) else {
            break;
        };
        let original = d.field.as_deref().map(|f| removed.original(f));
        let pos = original
            .as_deref()
            .and_then(|f| req.paths.find(f))
            .unwrap_or(req.anchor);
        let rule = d.rule.clone().unwrap_or_else(|| "tenancy.not-found".into());
        let (message, help) = split_message(&d.message, &rule);
        out.push(Finding {
            rule,
            severity: Severity::Error,
            message: format!("{message} ({} {})", req.method, req.target),
            help,
            file: pos.file,
            line: pos.line,
            col: pos.col,
            subject: req.subject.clone(),
        });
        // remove the whole offending element (`Mounts[1]`, not just
        // `Mounts[1].Source`) so the rest of the body is judged as sent
        let element = |f: &str| match split_index(f) {
            Some((array, i, _)) => format!("{array}[{i}]"),
            None => f.to_string(),
        };
        match (d.field, original) {
            // a create needs an image: swap the refused one for an allowed one
            (Some(f), _) if f.eq_ignore_ascii_case("Image") => {
                match allowed_image(policy, tenant) {
                    Some(img) if body.get("Image") != Some(&serde_json::json!(img)) => {
                        body["Image"] = serde_json::json!(img);
                    }
                    _ => break,
                }
            }
            (Some(f), Some(orig)) if remove_path(&mut body, &element(&f)) => {
                removed.record(&element(&orig))
            }
            _ => break,
        }
    }
    out
}

/// An image name the tenant may use, made from the first allowed pattern
/// (`busybox*` → `busybox`; `busybox` when any image is allowed), to keep
/// judging a body whose image was refused.
fn allowed_image(policy: &Policy, tenant: &Tenant) -> Option<String> {
    let patterns = tenant
        .limits
        .images
        .as_ref()
        .unwrap_or(&policy.images.allow);
    let name = patterns
        .first()
        .map(|p| p.as_str().replace('*', ""))
        .filter(|n| !n.is_empty() && !n.ends_with('/') && !n.ends_with(':'))
        .unwrap_or_else(|| "busybox".to_string());
    Some(name)
}

/// Array elements removed so far, by original index, so that a later
/// denial's `Binds[0]` (after `Binds[0]` was removed) maps back to the
/// element that was `Binds[1]` in the body compose built.
#[derive(Default)]
struct Removed(Vec<(String, usize)>);

impl Removed {
    /// The field as it was named in the original body.
    fn original(&self, field: &str) -> String {
        let Some((array, idx, rest)) = split_index(field) else {
            return field.to_string();
        };
        let mut gone: Vec<usize> = self
            .0
            .iter()
            .filter(|(a, _)| a.eq_ignore_ascii_case(array))
            .map(|(_, i)| *i)
            .collect();
        gone.sort_unstable();
        let mut orig = idx;
        for g in gone {
            if g <= orig {
                orig += 1;
            }
        }
        format!("{array}[{orig}]{rest}")
    }

    fn record(&mut self, original: &str) {
        if let Some((array, idx, "")) = split_index(original) {
            self.0.push((array.to_string(), idx));
        }
    }
}

/// `HostConfig.Binds[2].Source` → (`HostConfig.Binds`, 2, `.Source`), first index only.
fn split_index(field: &str) -> Option<(&str, usize, &str)> {
    let open = field.find('[')?;
    let close = open + field.get(open..)?.find(']')?;
    let idx = field.get(open + 1..close)?.parse().ok()?;
    Some((field.get(..open)?, idx, field.get(close + 1..)?))
}

/// `fdcs: what (rule x); instead` → (`what`, `instead`).
fn split_message(m: &str, rule: &str) -> (String, String) {
    let m = m.strip_prefix("fdcs: ").unwrap_or(m);
    let marker = format!(" (rule {rule})");
    match m.split_once(&marker) {
        Some((what, rest)) => {
            let help = rest.trim_start_matches(';').trim();
            let help = if help.is_empty() {
                format!("see `fdcs-policy explain {rule}`")
            } else {
                help.to_string()
            };
            (what.to_string(), help)
        }
        None => (m.to_string(), format!("see `fdcs-policy explain {rule}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_after_removals_map_back_to_the_original_element() {
        let mut r = Removed::default();
        assert_eq!(r.original("HostConfig.Binds[0]"), "HostConfig.Binds[0]");
        r.record("HostConfig.Binds[0]");
        assert_eq!(r.original("HostConfig.Binds[0]"), "HostConfig.Binds[1]");
        r.record("HostConfig.Binds[1]");
        assert_eq!(
            r.original("HostConfig.Binds[0].Source"),
            "HostConfig.Binds[2].Source"
        );
        assert_eq!(r.original("HostConfig.CapAdd[0]"), "HostConfig.CapAdd[0]");
        r.record("HostConfig.Binds[3]");
        assert_eq!(r.original("HostConfig.Binds[0]"), "HostConfig.Binds[2]");
        assert_eq!(r.original("HostConfig.Binds[1]"), "HostConfig.Binds[4]");
    }

    #[test]
    fn denial_messages_split_into_what_and_instead() {
        let (w, h) = split_message(
            "fdcs: host port 8080 is not allowed (rule ports.ephemeral-only); publish with -P",
            "ports.ephemeral-only",
        );
        assert_eq!(w, "host port 8080 is not allowed");
        assert_eq!(h, "publish with -P");
        let (w, h) = split_message("No such container: x", "tenancy.not-found");
        assert_eq!(w, "No such container: x");
        assert!(h.contains("explain"));
    }
}
