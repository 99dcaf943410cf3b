//! Judging compose's requests with the core, exactly as `serve` would.
//!
//! The core stops at the first denial of a request; to report every
//! problem of a service at once, the offending field is removed and the
//! request judged again, until it passes or the denial names no field.
//! A rule the policy has in `warn` mode is a warning (serve lets it through
//! and the client prints it), one in `audit` mode is information (serve
//! lets it through and only logs and counts it).

use crate::engine::{remove_path, EngineRequest};
use crate::finding::{Finding, Severity};
use crate::judge::verdict;
use fdcs_policy::policy::EnforcementMode;
use fdcs_policy::{Denial, Facts, Forward, Policy, RuleId, Tenant, Verdict};

/// At most this many denials per request (a body has far fewer fields).
const MAX_ROUNDS: usize = 64;

/// The findings for one request (`Need`, an ownership lookup, is no
/// finding), and what serve would forward once the refused fields are
/// gone (`None`: refused whole, or undecided).
pub(crate) fn judge(
    policy: &Policy,
    tenant: &Tenant,
    req: &EngineRequest,
    facts: &Facts,
) -> (Vec<Finding>, Option<Forward>) {
    let mut out = Vec::new();
    let mut body = req.body.clone();
    let mut removed = Removed::default();
    let mut forward = None;
    for _ in 0..MAX_ROUNDS {
        let d = match verdict(policy, tenant, req, &body, facts) {
            Verdict::Deny(d) => d,
            allowed => {
                for w in allowed.warnings() {
                    let severity = match w.mode {
                        EnforcementMode::Audit => Severity::Info,
                        _ => Severity::Warning,
                    };
                    let field = w.denial.field.as_deref().map(|f| removed.original(f));
                    out.push(finding(req, &w.denial, field.as_deref(), severity));
                }
                forward = allowed.forward().cloned();
                break;
            }
        };
        let original = d.field.as_deref().map(|f| removed.original(f));
        out.push(finding(req, &d, original.as_deref(), Severity::Error));
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
    (out, forward)
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

/// One refusal (or a downgraded one) as a finding at the compose key its
/// field came from, worded for compose files where the core has the words.
pub(crate) fn finding(
    req: &EngineRequest,
    d: &Denial,
    field: Option<&str>,
    severity: Severity,
) -> Finding {
    let pos = field.and_then(|f| req.paths.find(f)).unwrap_or(req.anchor);
    // a plain not-found carries no rule, to look like the daemon's own
    let rule = d.rule_id().cloned().unwrap_or(RuleId::TENANCY_NOT_FOUND);
    let help = d
        .instead_compose()
        .or(d.instead())
        .map(str::to_string)
        .unwrap_or_else(|| format!("see `fdcs-policy explain {rule}`"));
    Finding {
        rule,
        severity,
        message: format!("{} ({} {})", d.what(), req.method, req.target),
        help,
        file: pos.file,
        line: pos.line,
        col: pos.col,
        subject: req.subject.clone(),
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
}
