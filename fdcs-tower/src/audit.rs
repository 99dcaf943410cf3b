//! One audit line per request, through `tracing` (target `fdcs::audit`):
//! request id, peer, tenant, method, path, endpoint, verdict, the policy's
//! decision, rule, the rules it allowed in `warn` or `audit` mode
//! (`warnings=privileges.capabilities=warn,custom.x=audit`, `-` for none),
//! status, outcome, latency. Tokens and bodies are never logged.
//!
//! [`Audit`] is a drop guard: hyper drops a request's future when its client
//! goes away, and a request the engine may well have carried out (a `stop`,
//! a `wait`) must still leave its line, its count and its time, and leave
//! the in-flight gauge. So the line is written by [`Audit::finish`] when an
//! answer goes out, and otherwise by `Drop`, with `outcome="client-gone"`
//! and the engine's status if the engine had answered by then.

use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::Instant;

/// Where a request came from, as the server that accepted its connection
/// saw it: put it in the request's extensions and the audit line shows it
/// (`peer`). Free text, because a unix socket's peer has no address (`serve`
/// writes `unix:uid=1000,pid=4242` from the socket's peer credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAddr(String);

impl PeerAddr {
    /// The peer as it should appear in the audit line.
    pub fn new(peer: impl Into<String>) -> Self {
        PeerAddr(peer.into())
    }

    /// The text given to [`PeerAddr::new`].
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The header that carries the request id back to the client, so that a
/// tenant can quote it to the operator. The id is always made here: a
/// client's own `X-Request-Id` is neither trusted nor forwarded.
pub(crate) const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// Before the policy decided (no verdict yet).
const PENDING: &str = "pending";

/// What is known about a request as it goes through the layer; writes the
/// audit line and the metrics exactly once, however the request ends.
#[derive(Debug)]
pub(crate) struct Audit {
    metrics: Arc<Metrics>,
    start: Instant,
    pub(crate) id: String,
    peer: Option<String>,
    method: String,
    path: String,
    pub(crate) tenant: Option<String>,
    pub(crate) endpoint: Option<&'static str>,
    /// The metrics label (module docs of [`crate::metrics`]); the policy's
    /// verdict until something overrides it.
    pub(crate) verdict: &'static str,
    /// What the policy decided (`allow`, `rewrite`, `deny`), once it did.
    pub(crate) decision: Option<&'static str>,
    pub(crate) rule: Option<fdcs_policy::RuleId>,
    /// `(rule, mode)` of every rule in `warn` or `audit` mode the allowed
    /// request broke, once each ([`Audit::warned`]).
    warnings: Vec<(String, &'static str)>,
    /// The engine's status for the judged request, once it answered.
    pub(crate) engine_status: Option<u16>,
    written: bool,
}

impl Audit {
    /// A request entered: counted in flight until this is dropped.
    pub(crate) fn start(
        metrics: Arc<Metrics>,
        id: String,
        peer: Option<&PeerAddr>,
        method: &str,
        path: &str,
    ) -> Self {
        metrics.enter();
        Audit {
            metrics,
            start: Instant::now(),
            id,
            peer: peer.map(|p| p.as_str().to_string()),
            method: method.to_string(),
            path: path.to_string(),
            tenant: None,
            endpoint: None,
            verdict: PENDING,
            decision: None,
            rule: None,
            warnings: Vec::new(),
            engine_status: None,
            written: false,
        }
    }

    /// The policy decided `kind` (`allow`, `rewrite`, `deny` or `need`).
    pub(crate) fn decided(&mut self, kind: &'static str) {
        self.verdict = kind;
        if kind != "need" {
            self.decision = Some(kind);
        }
    }

    /// The policy allowed the request with these warnings (the verdict of
    /// the last judging counts: a request judged again replaces them).
    pub(crate) fn warned(&mut self, warnings: &[fdcs_policy::Warning]) {
        self.warnings.clear();
        for w in warnings {
            let rule = w
                .denial
                .rule
                .as_ref()
                .map_or_else(|| "-".to_string(), fdcs_policy::RuleId::to_string);
            let key = (rule, w.mode.as_str());
            if !self.warnings.contains(&key) {
                self.warnings.push(key);
            }
        }
    }

    /// An answer with `status` goes out: writes the line and the metrics.
    pub(crate) fn finish(&mut self, status: u16) {
        // an answer without a verdict is the layer's own failure
        if self.decision.is_none() && matches!(self.verdict, PENDING | "need") {
            self.verdict = "error";
        }
        self.write(Some(status), "answered");
    }

    fn write(&mut self, status: Option<u16>, outcome: &'static str) {
        if std::mem::replace(&mut self.written, true) {
            return;
        }
        let latency = self.start.elapsed();
        // the status sent to the client: none when it left
        let sent = if outcome == "answered" { status } else { None };
        self.metrics.record(self.verdict, sent, latency);
        if let (Some(rule), "deny") = (&self.rule, self.verdict) {
            self.metrics.denied(rule);
        }
        for (rule, mode) in &self.warnings {
            self.metrics.policy_warned(rule, mode);
        }
        let warnings = match self.warnings.is_empty() {
            true => "-".to_string(),
            false => self
                .warnings
                .iter()
                .map(|(r, m)| format!("{r}={m}"))
                .collect::<Vec<_>>()
                .join(","),
        };
        tracing::info!(
            target: "fdcs::audit",
            request_id = %self.id,
            peer = self.peer.as_deref().unwrap_or("-"),
            tenant = self.tenant.as_deref().unwrap_or("-"),
            method = %self.method,
            path = %self.path,
            endpoint = self.endpoint.unwrap_or("-"),
            verdict = self.verdict,
            decision = self.decision.unwrap_or("-"),
            rule = self.rule.as_deref().unwrap_or("-"),
            warnings = %warnings,
            // absent when the client left before the engine answered
            status,
            outcome,
            latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        if !self.written {
            if self.verdict == PENDING || self.verdict == "need" {
                self.verdict = "client-gone";
            }
            self.write(self.engine_status, "client-gone");
        }
        self.metrics.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(m: &Metrics, line: &str) -> Option<u64> {
        m.render()
            .lines()
            .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
    }

    #[test]
    fn a_dropped_request_is_counted_once_and_leaves_the_gauge() {
        let m = Arc::new(Metrics::default());
        {
            let mut a = Audit::start(Arc::clone(&m), "id".into(), None, "POST", "/x");
            assert_eq!(m.in_flight(), 1);
            a.decided("allow");
            a.engine_status = Some(204);
        }
        assert_eq!(m.in_flight(), 0);
        assert_eq!(count(&m, "fdcs_requests_total{verdict=\"allow\"}"), Some(1));
        assert_eq!(
            count(&m, "fdcs_responses_total{class=\"client-gone\"}"),
            Some(1)
        );
        assert_eq!(count(&m, "fdcs_responses_total{class=\"2xx\"}"), Some(0));
    }

    #[test]
    fn a_finished_request_is_not_counted_again_on_drop() {
        let m = Arc::new(Metrics::default());
        {
            let mut a = Audit::start(Arc::clone(&m), "id".into(), None, "GET", "/x");
            a.decided("deny");
            a.rule = Some(fdcs_policy::RuleId::PORTS_EPHEMERAL_ONLY);
            a.finish(403);
            assert_eq!(m.in_flight(), 1, "still in flight until the guard goes");
        }
        assert_eq!(m.in_flight(), 0);
        assert_eq!(count(&m, "fdcs_request_duration_seconds_count"), Some(1));
        assert_eq!(
            count(&m, "fdcs_denials_total{rule=\"ports.ephemeral-only\"}"),
            Some(1)
        );
    }

    #[test]
    fn warnings_are_counted_once_per_request_and_rule() {
        use fdcs_policy::{Denial, EnforcementMode, RuleId, Warning};
        let m = Arc::new(Metrics::default());
        let w = |rule: RuleId, mode| Warning {
            mode,
            denial: Denial::policy(rule, "x", "y"),
        };
        {
            let mut a = Audit::start(Arc::clone(&m), "id".into(), None, "POST", "/x");
            a.decided("rewrite");
            a.warned(&[
                w(RuleId::PRIVILEGES_CAPABILITIES, EnforcementMode::Warn),
                w(RuleId::PRIVILEGES_CAPABILITIES, EnforcementMode::Warn),
                w(RuleId::custom("x"), EnforcementMode::Audit),
            ]);
            a.finish(201);
        }
        assert_eq!(
            count(
                &m,
                "fdcs_policy_warnings_total{rule=\"privileges.capabilities\",mode=\"warn\"}"
            ),
            Some(1)
        );
        assert_eq!(
            count(
                &m,
                "fdcs_policy_warnings_total{rule=\"custom.x\",mode=\"audit\"}"
            ),
            Some(1)
        );
    }

    #[test]
    fn leaving_before_the_verdict_is_client_gone() {
        let m = Arc::new(Metrics::default());
        {
            let mut a = Audit::start(Arc::clone(&m), "id".into(), None, "GET", "/x");
            a.decided("need");
        }
        assert_eq!(
            count(&m, "fdcs_requests_total{verdict=\"client-gone\"}"),
            Some(1)
        );
    }
}
