//! Counters for the admin listener's `/_fdcs/metrics`, in the Prometheus
//! text exposition format (hand-written: a handful of atomics do not need a
//! metrics framework).
//!
//! Every request is counted exactly once in `fdcs_requests_total`, under one
//! of [`VERDICTS`]:
//!
//! - `allow`, `rewrite`, `deny`: what the policy decided, for a request the
//!   engine (or the layer, for a denial) answered;
//! - `error`: the engine was unreachable or answered nothing usable (the
//!   layer's own 502), whether or not the policy had allowed the request;
//! - `unauthenticated`: missing or wrong credentials (401);
//! - `identity-unavailable`: the identity service was down or slow (503):
//!   not the tenant's fault, so not counted as `unauthenticated`;
//! - `client-gone`: the client went away before the policy decided.
//!
//! A client that goes away *after* the decision keeps the decision's verdict;
//! that no answer reached it shows in `fdcs_responses_total{class="client-gone"}`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];
/// The values of `fdcs_requests_total{verdict}` (module docs).
pub const VERDICTS: [&str; 7] = [
    "allow",
    "rewrite",
    "deny",
    "error",
    "unauthenticated",
    "identity-unavailable",
    "client-gone",
];

/// Request counters and a latency histogram (time to response headers, or
/// to the client's leaving).
#[derive(Debug, Default)]
pub struct Metrics {
    verdicts: [AtomicU64; 7],
    /// Index 0: no answer was sent (the client went away); 1..=5: `1xx`..`5xx`.
    status: [AtomicU64; 6],
    buckets: [AtomicU64; 10],
    count: AtomicU64,
    sum_micros: AtomicU64,
    in_flight: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    denials: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// `(rule, mode)` → requests allowed although they broke a rule in
    /// `warn` or `audit` mode.
    warnings: std::sync::Mutex<std::collections::BTreeMap<(String, &'static str), u64>>,
    identity: std::sync::Arc<IdentityMetrics>,
}

/// The labels of `fdcs_identity_failures_total{kind}`: why a token was
/// refused (401: `unknown-token`, `expired`, `unscoped`, `wrong-project`;
/// 403: `role`) or why Keystone could not say (503: `unreachable`,
/// `timeout`, `status`, `bad-answer`, `service-login`, `busy`).
pub const IDENTITY_FAILURES: [&str; 11] = [
    "unknown-token",
    "expired",
    "unscoped",
    "wrong-project",
    "role",
    "unreachable",
    "timeout",
    "status",
    "bad-answer",
    "service-login",
    "busy",
];

/// The labels of `fdcs_identity_cache_total{result}`.
const CACHE_RESULTS: [&str; 3] = ["hit", "negative-hit", "miss"];

/// What the identity service (Keystone) did: validations sent and how long
/// they took, cache hits and misses, failures by kind, the service
/// account's logins and whether Keystone answers.
#[derive(Debug, Default)]
pub struct IdentityMetrics {
    validations: AtomicU64,
    buckets: [AtomicU64; 10],
    sum_micros: AtomicU64,
    cache: [AtomicU64; 3],
    failures: [AtomicU64; 11],
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    /// 1: up (or not yet asked), 0: the last call had no answer.
    down: AtomicU64,
}

impl IdentityMetrics {
    /// One validation sent to Keystone, answered (or not) after `latency`.
    pub fn validated(&self, latency: Duration) {
        self.validations.fetch_add(1, Relaxed);
        let secs = latency.as_secs_f64();
        for (b, c) in BUCKETS.iter().zip(self.buckets.iter()) {
            if secs <= *b {
                c.fetch_add(1, Relaxed);
            }
        }
        self.sum_micros.fetch_add(
            u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }

    /// Validations sent to Keystone so far.
    pub fn validations(&self) -> u64 {
        self.validations.load(Relaxed)
    }

    /// A token cache lookup: `hit`, `negative-hit` or `miss`.
    pub fn cache(&self, result: &str) {
        if let Some(i) = CACHE_RESULTS.iter().position(|r| *r == result) {
            if let Some(c) = self.cache.get(i) {
                c.fetch_add(1, Relaxed);
            }
        }
    }

    /// Cache lookups with `result` so far.
    pub fn cache_count(&self, result: &str) -> u64 {
        CACHE_RESULTS
            .iter()
            .position(|r| *r == result)
            .and_then(|i| self.cache.get(i))
            .map_or(0, |c| c.load(Relaxed))
    }

    /// A refusal or failure of one of [`IDENTITY_FAILURES`].
    pub fn failed(&self, kind: &str) {
        if let Some(i) = IDENTITY_FAILURES.iter().position(|k| *k == kind) {
            if let Some(c) = self.failures.get(i) {
                c.fetch_add(1, Relaxed);
            }
        }
    }

    /// Failures of `kind` so far.
    pub fn failures(&self, kind: &str) -> u64 {
        IDENTITY_FAILURES
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| self.failures.get(i))
            .map_or(0, |c| c.load(Relaxed))
    }

    /// A login (or renewal) of the proxy's service account.
    pub fn service_login(&self, ok: bool) {
        if ok {
            self.logins_ok.fetch_add(1, Relaxed);
        } else {
            self.logins_failed.fetch_add(1, Relaxed);
        }
    }

    /// Whether Keystone answered its last call.
    pub fn set_up(&self, up: bool) {
        self.down.store(u64::from(!up), Relaxed);
    }

    fn render(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "# HELP fdcs_identity_validations_total Token validations sent to Keystone."
        );
        let _ = writeln!(s, "# TYPE fdcs_identity_validations_total counter");
        let _ = writeln!(s, "fdcs_identity_validations_total {}", self.validations());
        let _ = writeln!(s, "# HELP fdcs_identity_validation_duration_seconds Time Keystone took to validate a token.");
        let _ = writeln!(
            s,
            "# TYPE fdcs_identity_validation_duration_seconds histogram"
        );
        for (b, c) in BUCKETS.iter().zip(self.buckets.iter()) {
            let _ = writeln!(
                s,
                "fdcs_identity_validation_duration_seconds_bucket{{le=\"{b}\"}} {}",
                c.load(Relaxed)
            );
        }
        let n = self.validations();
        let _ = writeln!(
            s,
            "fdcs_identity_validation_duration_seconds_bucket{{le=\"+Inf\"}} {n}"
        );
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(s, "fdcs_identity_validation_duration_seconds_sum {sum}");
        let _ = writeln!(s, "fdcs_identity_validation_duration_seconds_count {n}");
        let _ = writeln!(s, "# HELP fdcs_identity_cache_total Token cache lookups (negative-hit: a token Keystone refused moments ago).");
        let _ = writeln!(s, "# TYPE fdcs_identity_cache_total counter");
        for (r, c) in CACHE_RESULTS.iter().zip(self.cache.iter()) {
            let _ = writeln!(
                s,
                "fdcs_identity_cache_total{{result=\"{r}\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP fdcs_identity_failures_total Tokens refused and Keystone failures, by kind."
        );
        let _ = writeln!(s, "# TYPE fdcs_identity_failures_total counter");
        for (k, c) in IDENTITY_FAILURES.iter().zip(self.failures.iter()) {
            let _ = writeln!(
                s,
                "fdcs_identity_failures_total{{kind=\"{k}\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(s, "# HELP fdcs_identity_service_logins_total Logins and renewals of the proxy's Keystone service account.");
        let _ = writeln!(s, "# TYPE fdcs_identity_service_logins_total counter");
        let _ = writeln!(
            s,
            "fdcs_identity_service_logins_total{{result=\"ok\"}} {}",
            self.logins_ok.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "fdcs_identity_service_logins_total{{result=\"failed\"}} {}",
            self.logins_failed.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "# HELP fdcs_identity_up Whether the identity service answered its last call."
        );
        let _ = writeln!(s, "# TYPE fdcs_identity_up gauge");
        let _ = writeln!(s, "fdcs_identity_up {}", 1 - self.down.load(Relaxed).min(1));
    }
}

/// Most distinct rule ids counted in `fdcs_denials_total`; the rest count as
/// `rule="other"`. Rule ids come from the core's catalog and the policy's
/// custom rules, so this only bounds a policy with very many custom rules.
const MAX_DENIAL_RULES: usize = 256;

/// Where `error` is in [`VERDICTS`].
const VERDICT_ERROR: usize = 3;

impl Metrics {
    /// Records one finished request: its verdict (one of [`VERDICTS`]; any
    /// other counts as `error`), the status sent (`None`: the client went
    /// away before an answer) and how long it took.
    pub fn record(&self, verdict: &str, status: Option<u16>, latency: Duration) {
        let i = VERDICTS
            .iter()
            .position(|v| *v == verdict)
            .unwrap_or(VERDICT_ERROR);
        if let Some(c) = self.verdicts.get(i) {
            c.fetch_add(1, Relaxed);
        }
        // 0: no answer; a status under 100 cannot be sent and counts as 1xx
        let class = status.map_or(0, |s| usize::from(s / 100).clamp(1, 5));
        if let Some(c) = self.status.get(class) {
            c.fetch_add(1, Relaxed);
        }
        let secs = latency.as_secs_f64();
        for (b, c) in BUCKETS.iter().zip(self.buckets.iter()) {
            if secs <= *b {
                c.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
    }

    /// Records a denial by the rule that refused it (operators see which
    /// rules tenants run into).
    pub fn denied(&self, rule: &str) {
        let mut m = match self.denials.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = if m.contains_key(rule) || m.len() < MAX_DENIAL_RULES {
            rule
        } else {
            "other"
        };
        *m.entry(key.to_string()).or_insert(0) += 1;
    }

    /// Records a request the policy allowed although it broke `rule`, which
    /// is in `mode` (`warn` or `audit`): what enforcing the rule would have
    /// refused, counted once per request and rule. An operator rolling a
    /// rule out in `audit` watches this before enforcing it.
    pub fn policy_warned(&self, rule: &str, mode: &'static str) {
        let mut m = match self.warnings.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = (rule.to_string(), mode);
        let key = if m.contains_key(&key) || m.len() < MAX_DENIAL_RULES {
            key
        } else {
            ("other".to_string(), mode)
        };
        *m.entry(key).or_insert(0) += 1;
    }

    /// A request entered (for the in-flight gauge).
    pub fn enter(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }

    /// A request left.
    pub fn leave(&self) {
        let _ = self
            .in_flight
            .fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(1)));
    }

    /// Requests being handled now (`fdcs_in_flight_requests`).
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Relaxed)
    }

    /// The identity service's counters, rendered with these (give them to
    /// [`crate::KeystoneAuth::with_metrics`]).
    pub fn identity(&self) -> std::sync::Arc<IdentityMetrics> {
        std::sync::Arc::clone(&self.identity)
    }

    /// Records a reload attempt.
    pub fn reloaded(&self, ok: bool) {
        if ok {
            self.reloads_ok.fetch_add(1, Relaxed);
        } else {
            self.reloads_failed.fetch_add(1, Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# HELP fdcs_requests_total Requests by verdict.");
        let _ = writeln!(s, "# TYPE fdcs_requests_total counter");
        for (v, c) in VERDICTS.iter().zip(self.verdicts.iter()) {
            let _ = writeln!(
                s,
                "fdcs_requests_total{{verdict=\"{v}\"}} {}",
                c.load(Relaxed)
            );
        }
        let _ = writeln!(
            s,
            "# HELP fdcs_responses_total Responses by status class (client-gone: the client left before its answer)."
        );
        let _ = writeln!(s, "# TYPE fdcs_responses_total counter");
        for (i, c) in self.status.iter().enumerate() {
            let n = c.load(Relaxed);
            let _ = match i {
                0 => writeln!(s, "fdcs_responses_total{{class=\"client-gone\"}} {n}"),
                i => writeln!(s, "fdcs_responses_total{{class=\"{i}xx\"}} {n}"),
            };
        }
        let _ = writeln!(
            s,
            "# HELP fdcs_request_duration_seconds Time to response headers (or to the client's leaving)."
        );
        let _ = writeln!(s, "# TYPE fdcs_request_duration_seconds histogram");
        for (b, c) in BUCKETS.iter().zip(self.buckets.iter()) {
            let _ = writeln!(
                s,
                "fdcs_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                c.load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(
            s,
            "fdcs_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(s, "fdcs_request_duration_seconds_sum {sum}");
        let _ = writeln!(s, "fdcs_request_duration_seconds_count {count}");
        let _ = writeln!(s, "# HELP fdcs_in_flight_requests Requests being handled.");
        let _ = writeln!(s, "# TYPE fdcs_in_flight_requests gauge");
        let _ = writeln!(
            s,
            "fdcs_in_flight_requests {}",
            self.in_flight.load(Relaxed)
        );
        let _ = writeln!(s, "# HELP fdcs_reloads_total Policy and tenants reloads.");
        let _ = writeln!(s, "# TYPE fdcs_reloads_total counter");
        let _ = writeln!(
            s,
            "fdcs_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Relaxed)
        );
        let _ = writeln!(
            s,
            "fdcs_reloads_total{{result=\"failed\"}} {}",
            self.reloads_failed.load(Relaxed)
        );
        let _ = writeln!(s, "# HELP fdcs_denials_total Denied requests by rule.");
        let _ = writeln!(s, "# TYPE fdcs_denials_total counter");
        let denials = match self.denials.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for (rule, n) in denials {
            let _ = writeln!(s, "fdcs_denials_total{{rule=\"{rule}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP fdcs_policy_warnings_total Requests allowed although they broke a rule in warn or audit mode, by rule and mode."
        );
        let _ = writeln!(s, "# TYPE fdcs_policy_warnings_total counter");
        let warnings = match self.warnings.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for ((rule, mode), n) in warnings {
            let _ = writeln!(
                s,
                "fdcs_policy_warnings_total{{rule=\"{rule}\",mode=\"{mode}\"}} {n}"
            );
        }
        self.identity.render(&mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_up_in_the_exposition() {
        let m = Metrics::default();
        m.record("deny", Some(403), Duration::from_micros(50));
        m.record("allow", Some(200), Duration::from_millis(2));
        m.denied("quota.memory");
        m.denied("quota.memory");
        m.policy_warned("privileges.capabilities", "warn");
        m.policy_warned("custom.no-latest", "audit");
        m.policy_warned("custom.no-latest", "audit");
        let text = m.render();
        assert!(
            text.contains(
                "fdcs_policy_warnings_total{rule=\"privileges.capabilities\",mode=\"warn\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("fdcs_policy_warnings_total{rule=\"custom.no-latest\",mode=\"audit\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("fdcs_denials_total{rule=\"quota.memory\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("fdcs_requests_total{verdict=\"deny\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("fdcs_responses_total{class=\"4xx\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("fdcs_request_duration_seconds_bucket{le=\"0.0001\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("fdcs_request_duration_seconds_count 2"),
            "{text}"
        );
    }
}
