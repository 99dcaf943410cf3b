//! Enforcement modes at judging time: the [`Enforcer`] every rule hands its
//! refusals to, and the [`Warning`]s an allowed verdict carries.
//!
//! A rule check does not stop at the first violation of a downgraded rule:
//! it hands each refusal to `enforcer.refuse(denial)?`, which is `Err` (stop,
//! deny) for a rule in `deny` mode and records a warning and returns `Ok`
//! (go on checking) for one in `warn` or `audit` mode. So a rule in `warn`
//! never hides another rule's violation on the same body: with
//! `privileges.privileged: warn`, a body that is privileged *and* adds a
//! capability is still refused for `privileges.capabilities`.
//!
//! Only a 403 is downgraded: a 400 of the same rule (a value it cannot read
//! as the daemon would) is input fdcs cannot judge, and is refused whatever
//! the mode. The policy's loader already refused modes for rules that keep
//! tenants apart ([`crate::policy::downgradable`]); the enforcer checks again,
//! so that no [`EnforcementParams`] built by hand can downgrade one.

use std::cell::RefCell;

use serde::Serialize;

use crate::policy::{downgradable, EnforcementMode, EnforcementParams};
use crate::{Denial, RuleId};

/// A violation of a rule in `warn` or `audit` mode: the request was
/// allowed, and adapters tell the client (`warn`), the audit log and the
/// metrics (both modes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// `warn` or `audit`.
    pub mode: EnforcementMode,
    /// The refusal the rule would have answered in `deny` mode: its rule
    /// id, what was refused, what to do instead, the field path.
    pub denial: Denial,
}

impl Warning {
    /// The rule that was broken.
    pub fn rule(&self) -> Option<&RuleId> {
        self.denial.rule_id()
    }

    /// The text a client is shown (the docker CLI prints it after
    /// `WARNING: `): the refusal, marked as allowed for now.
    pub fn message(&self) -> String {
        let rule = self.denial.rule.as_deref().unwrap_or("-");
        let what = self.denial.what();
        let mode = self.mode;
        match self.denial.instead() {
            Some(instead) => {
                format!("fdcs: {what} (rule {rule}, {mode} mode: allowed for now); {instead}")
            }
            None => format!("fdcs: {what} (rule {rule}, {mode} mode: allowed for now)"),
        }
    }
}

/// Where a rule's refusals go while one request is judged. Pure: it only
/// collects, and the verdict carries what it collected.
#[derive(Debug)]
pub struct Enforcer<'p> {
    modes: &'p EnforcementParams,
    warnings: RefCell<Vec<Warning>>,
}

/// Most warnings one request records beyond the first of each rule: the
/// verdict, the create answer's `Warnings` and the proxy's memory stay
/// bounded whatever the body repeats.
const MAX_WARNINGS: usize = 32;

/// No rule downgraded.
static DENY_ALL: EnforcementParams = EnforcementParams::deny_all();

impl<'p> Enforcer<'p> {
    /// An enforcer for one request under these modes.
    pub fn new(modes: &'p EnforcementParams) -> Self {
        Enforcer {
            modes,
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// An enforcer under which every violation is refused (as before
    /// enforcement modes existed).
    pub fn deny_all() -> Enforcer<'static> {
        Enforcer::new(&DENY_ALL)
    }

    /// The mode `denial` is enforced with: `deny` unless it is a 403 of a
    /// rule the policy put in `warn` or `audit` and that may be downgraded.
    pub fn mode_of(&self, denial: &Denial) -> EnforcementMode {
        match denial.rule_id() {
            Some(rule) if denial.status == 403 && downgradable(rule).is_ok() => {
                self.modes.mode(rule)
            }
            _ => EnforcementMode::Deny,
        }
    }

    /// Whether `rule`'s violations are allowed (its 403s, in `warn` or
    /// `audit`): for a judge that must treat the refused value as allowed
    /// further on (the host network named by `NetworkMode`).
    pub fn allows(&self, rule: &RuleId) -> bool {
        downgradable(rule).is_ok() && self.modes.mode(rule) != EnforcementMode::Deny
    }

    /// Hands over a refusal: `Err(denial)` when its rule denies (stop
    /// judging), `Ok(())` after recording a warning when the rule is in
    /// `warn` or `audit` (go on, and forward the field as the client sent
    /// it).
    pub fn refuse(&self, denial: Denial) -> Result<(), Denial> {
        match self.mode_of(&denial) {
            EnforcementMode::Deny => Err(denial),
            mode => {
                let mut w = self.warnings.borrow_mut();
                // a body repeating one violation (20 000 times the same
                // `CapAdd`) records a bounded number of warnings; a rule
                // not recorded yet always is, so that the audit line and
                // the metrics name every rule the request broke
                if w.len() < MAX_WARNINGS || !w.iter().any(|x| x.denial.rule == denial.rule) {
                    w.push(Warning { mode, denial });
                }
                Ok(())
            }
        }
    }

    /// [`Enforcer::refuse`] of an `Err`; `Ok` passes through. For a check
    /// that returns its first refusal and has nothing to go on with after
    /// it (one count against one quota).
    pub fn check(&self, r: Result<(), Denial>) -> Result<(), Denial> {
        r.or_else(|d| self.refuse(d))
    }

    /// The warnings recorded, in the order the rules ran.
    pub fn into_warnings(self) -> Vec<Warning> {
        self.warnings.into_inner()
    }

    /// Takes the warnings recorded so far, leaving none (the judge hands
    /// them to the verdict while the request's context still holds it).
    pub fn take(&self) -> Vec<Warning> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }
}

/// Where a create answer has room for warnings the client prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningsField {
    /// `Warnings: [..]`, a list (`ContainerCreateResponse`); the docker CLI
    /// prints each as `WARNING: ...`.
    List,
    /// `Warning: ".."`, one string (`NetworkCreateResponse`); the docker CLI
    /// prints it as `WARNING: ...`.
    Text,
}

/// The engine's successful create answer with the `warn`-mode warnings
/// added where the API has room for them; `None` when there is nothing to
/// add or the answer is not a JSON object (it is then passed on as it is).
pub fn add_warnings(
    warnings: &[Warning],
    field: Option<WarningsField>,
    answer: &[u8],
) -> Option<Vec<u8>> {
    let field = field?;
    let shown: Vec<String> = warnings
        .iter()
        .filter(|w| w.mode == EnforcementMode::Warn)
        .map(Warning::message)
        .collect();
    if shown.is_empty() {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_slice(answer).ok()?;
    let obj = v.as_object_mut()?;
    match field {
        WarningsField::List => {
            let mut list = match obj.remove("Warnings") {
                Some(serde_json::Value::Array(a)) => a,
                _ => Vec::new(),
            };
            list.extend(shown.into_iter().map(serde_json::Value::String));
            obj.insert("Warnings".into(), serde_json::Value::Array(list));
        }
        WarningsField::Text => {
            let mut lines: Vec<String> = match obj.get("Warning").and_then(|w| w.as_str()) {
                Some(w) if !w.is_empty() => vec![w.to_string()],
                _ => Vec::new(),
            };
            lines.extend(shown);
            obj.insert(
                "Warning".into(),
                serde_json::Value::String(lines.join("\n")),
            );
        }
    }
    serde_json::to_vec(&v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modes(pairs: &[(RuleId, EnforcementMode)]) -> EnforcementParams {
        EnforcementParams {
            rules: pairs.iter().cloned().collect(),
        }
    }

    #[test]
    fn a_downgraded_403_is_recorded_and_its_400_still_refuses() {
        let m = modes(&[(RuleId::BOUNDS_TMPFS, EnforcementMode::Audit)]);
        let e = Enforcer::new(&m);
        let over = Denial::policy(RuleId::BOUNDS_TMPFS, "too big", "smaller");
        assert_eq!(e.refuse(over.clone()), Ok(()));
        let unreadable = Denial::malformed(RuleId::BOUNDS_TMPFS, "size=0x10", "decimal");
        assert_eq!(e.refuse(unreadable.clone()), Err(unreadable));
        let other = Denial::policy(RuleId::BOUNDS_LOGS, "x", "y");
        assert_eq!(e.refuse(other.clone()), Err(other));
        let w = e.into_warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].mode, EnforcementMode::Audit);
        assert_eq!(w[0].denial, over);
    }

    #[test]
    fn hand_built_modes_cannot_downgrade_an_invariant() {
        let m = modes(&[
            (RuleId::TENANCY_NAME, EnforcementMode::Warn),
            (RuleId::ROUTE_UNKNOWN, EnforcementMode::Audit),
        ]);
        let e = Enforcer::new(&m);
        for rule in [RuleId::TENANCY_NAME, RuleId::ROUTE_UNKNOWN] {
            let d = Denial::policy(rule.clone(), "x", "y");
            assert_eq!(e.refuse(d.clone()), Err(d));
            assert!(!e.allows(&rule));
        }
        let nf = Denial::not_found("No such container: x");
        assert_eq!(e.refuse(nf.clone()), Err(nf));
        assert!(e.take().is_empty());
    }

    #[test]
    fn warn_mode_text_reaches_the_answer_and_audit_mode_does_not() {
        let warn = Warning {
            mode: EnforcementMode::Warn,
            denial: Denial::policy(
                RuleId::PRIVILEGES_CAPABILITIES,
                "adding `NET_ADMIN`",
                "drop it",
            ),
        };
        let audit = Warning {
            mode: EnforcementMode::Audit,
            denial: Denial::policy(RuleId::custom("x"), "quiet", "fine"),
        };
        let both = [warn.clone(), audit.clone()];
        let out = add_warnings(
            &both,
            Some(WarningsField::List),
            br#"{"Id":"abc","Warnings":["engine says"]}"#,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["Warnings"][0], "engine says");
        assert_eq!(
            v["Warnings"][1],
            "fdcs: adding `NET_ADMIN` (rule privileges.capabilities, warn mode: allowed for now); drop it"
        );
        assert_eq!(v["Warnings"].as_array().unwrap().len(), 2);
        let out = add_warnings(
            &both,
            Some(WarningsField::List),
            br#"{"Id":"abc","Warnings":null}"#,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["Warnings"].as_array().unwrap().len(), 1);
        let out = add_warnings(
            &both,
            Some(WarningsField::Text),
            br#"{"Id":"n","Warning":""}"#,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["Warning"], warn.message());
        assert_eq!(
            add_warnings(&[audit], Some(WarningsField::List), b"{}"),
            None
        );
        assert_eq!(add_warnings(&both, None, b"{}"), None);
        assert_eq!(add_warnings(&both, Some(WarningsField::List), b"[1]"), None);
    }
}
