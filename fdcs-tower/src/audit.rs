//! One audit line per request, through `tracing` (target `fdcs::audit`):
//! tenant, method, path, endpoint, verdict, rule, status, latency. Tokens and
//! bodies are never logged.

use crate::metrics::Metrics;
use std::time::Instant;

/// What is known about a request as it goes through the layer.
#[derive(Debug)]
pub(crate) struct Audit {
    pub(crate) start: Instant,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) tenant: Option<String>,
    pub(crate) endpoint: Option<&'static str>,
    pub(crate) verdict: &'static str,
    pub(crate) rule: Option<String>,
}

impl Audit {
    pub(crate) fn start(method: &str, path: &str) -> Self {
        Audit {
            start: Instant::now(),
            method: method.to_string(),
            path: path.to_string(),
            tenant: None,
            endpoint: None,
            verdict: "error",
            rule: None,
        }
    }

    /// Writes the line and records the metrics.
    pub(crate) fn finish(&self, status: u16, metrics: &Metrics) {
        let latency = self.start.elapsed();
        metrics.record(self.verdict, status, latency);
        if let (Some(rule), "deny") = (&self.rule, self.verdict) {
            metrics.denied(rule);
        }
        tracing::info!(
            target: "fdcs::audit",
            tenant = self.tenant.as_deref().unwrap_or("-"),
            method = %self.method,
            path = %self.path,
            endpoint = self.endpoint.unwrap_or("-"),
            verdict = self.verdict,
            rule = self.rule.as_deref().unwrap_or("-"),
            status,
            latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
}
