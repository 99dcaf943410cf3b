//! The admin listener: `/_fdcs/health`, `/_fdcs/ready` and Prometheus
//! `/_fdcs/metrics`. Kept off the tenants' listener so that tenants never
//! see it.
//!
//! Liveness and readiness answer different questions, as Kubernetes probes
//! and load balancers ask them:
//!
//! - `/_fdcs/health` (liveness): the process runs and serves HTTP. Always
//!   200; restarting serve would not help when the engine is down.
//! - `/_fdcs/ready` (readiness): requests would be served now: the policy
//!   is loaded and the engine answers `/_ping` within [`PING_TIMEOUT`].
//!   Otherwise 503 with Docker's `{"message": ...}` saying what is not
//!   ready; take the instance out of rotation, do not restart it.

use super::gauges::Gauges;
use super::listen::{Listener, HEADER_TIMEOUT};
use bytes::Bytes;
use fdcs_tower::{EngineAddr, Metrics, SharedPolicy, Upstream};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Longest the engine may take to answer the readiness `/_ping`.
pub(super) const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// What the admin endpoints read.
#[derive(Clone)]
pub(super) struct State {
    pub(super) metrics: Arc<Metrics>,
    pub(super) usage: Arc<Gauges>,
    pub(super) engine: EngineAddr,
    /// The engine as `--upstream` named it, for the messages.
    pub(super) upstream: String,
    /// Always holds a policy: serve does not start without one, and a bad
    /// reload keeps the old one; readiness names it.
    pub(super) policy: SharedPolicy,
}

/// Serves the admin endpoints until `stop`.
pub(super) async fn serve(l: Listener, state: State, mut stop: watch::Receiver<bool>) {
    loop {
        let io = tokio::select! {
            r = l.accept() => match r {
                Ok(io) => io,
                Err(_) => {
                    // EMFILE and friends: back off instead of spinning
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(answer(&req, &state).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(io), svc)
                .await;
        });
    }
}

async fn answer(req: &Request<Incoming>, state: &State) -> Response<Full<Bytes>> {
    let (status, ctype, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET" | "HEAD", "/_fdcs/health") => (StatusCode::OK, "text/plain", "ok\n".to_string()),
        ("GET" | "HEAD", "/_fdcs/ready") => {
            let (status, message) = ready(state).await;
            let body = serde_json::json!({ "message": message }).to_string();
            (status, "application/json", body)
        }
        ("GET" | "HEAD", "/_fdcs/metrics") => (
            StatusCode::OK,
            "text/plain; version=0.0.4",
            format!(
                "{}{}{}",
                build_info(),
                state.metrics.render(),
                state.usage.render()
            ),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_string(),
        ),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    if let Ok(v) = http::HeaderValue::from_str(ctype) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp
}

/// Whether requests would be served now, and what is not ready if not.
async fn ready(state: &State) -> (StatusCode, String) {
    let policy = state.policy.load();
    match tokio::time::timeout(PING_TIMEOUT, ping(&state.engine)).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            format!(
                "ready: policy `{}` loaded, the engine answers /_ping",
                policy.name
            ),
        ),
        Ok(Err(why)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("fdcs: not ready: the engine at {} {why}", state.upstream),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "fdcs: not ready: the engine at {} did not answer /_ping within {PING_TIMEOUT:?}",
                state.upstream
            ),
        ),
    }
}

/// One `GET /_ping` on a fresh connection: the engine is up when it says 200.
async fn ping(engine: &EngineAddr) -> Result<(), String> {
    let req = http::Request::get("/_ping")
        .body(fdcs_tower::empty())
        .map_err(|e| e.to_string())?;
    let resp = tower::Service::call(&mut Upstream::new(engine), req)
        .await
        .map_err(|e| format!("cannot be reached: {}", chain(&e)))?;
    match resp.status() {
        StatusCode::OK => Ok(()),
        s => Err(format!("answered /_ping with {s}")),
    }
}

/// An error with its causes (`client error (Connect): No such file or
/// directory`): the outermost alone rarely says what to fix.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// `fdcs_build_info{version,commit} 1`: which build runs, for dashboards
/// and for telling replicas apart during a rollout.
fn build_info() -> String {
    format!(
        "# HELP fdcs_build_info The running build (always 1).\n\
         # TYPE fdcs_build_info gauge\n\
         fdcs_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION"),
        crate::command::COMMIT
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_info_names_the_version_and_commit() {
        let text = build_info();
        let line = text.lines().last().unwrap();
        assert!(line.starts_with("fdcs_build_info{version=\""), "{line}");
        assert!(line.ends_with("\"} 1"), "{line}");
        assert!(!line.contains("commit=\"\""), "{line}");
    }

    #[tokio::test]
    async fn an_engine_that_is_not_there_is_not_ready_and_says_so() {
        let state = State {
            metrics: Arc::default(),
            usage: Arc::default(),
            engine: "unix:///nonexistent/fdcs-ready-test.sock".parse().unwrap(),
            upstream: "unix:///nonexistent/fdcs-ready-test.sock".into(),
            policy: SharedPolicy::new(fdcs_policy::Policy::embedded_default().unwrap()),
        };
        let (status, message) = ready(&state).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            message.starts_with("fdcs: not ready: the engine at unix:///nonexistent/"),
            "{message}"
        );
    }
}
