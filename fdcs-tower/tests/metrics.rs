//! Metrics and audit lines that do not lie (issue 10, item 7): a request
//! whose client goes away is still counted, timed and audited and leaves
//! the in-flight gauge; engine failures are `error`, an identity outage is
//! `identity-unavailable`; every answer carries the request id of its
//! audit line. Against fake engines: the mechanics of the guard, not the
//! wire (the end-to-end proof is tests/tests/operator.rs).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::{
    AuthFuture, Authenticate, Credentials, FdcsLayer, Metrics, PeerAddr, Rejection, SharedPolicy,
    TenantCredentials, TenantsAuth,
};
use http::{Request, StatusCode};
use http_body_util::Full;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower::{Layer, ServiceExt};

mod support;

/// An engine that answers `/_ping` at once, everything else after `delay`
/// (or fails at once when `down`).
fn engine(delay: Duration, down: bool) -> support::Fake {
    let mut e = support::Fake::new(|_, _| (200, "OK".to_string()));
    e.delay = Some(delay);
    e.down = down;
    e
}

/// An identity service that is down.
struct Outage;

impl Authenticate for Outage {
    fn authenticate<'a>(&'a self, _: &'a Credentials) -> AuthFuture<'a> {
        Box::pin(async {
            Err(Rejection::IdentityUnavailable(
                "fdcs: the identity service is unavailable; try again".into(),
            ))
        })
    }
}

fn tenants() -> Arc<dyn Authenticate> {
    let t = TenantCredentials {
        tenant: Tenant::new(TenantId::new("alpha").unwrap()),
        tokens: vec!["alpha-token".into()],
        token_sha256: vec![],
        certificates: vec![],
    };
    Arc::new(TenantsAuth::new(vec![t]).unwrap())
}

fn layer(auth: Arc<dyn Authenticate>, metrics: &Arc<Metrics>) -> FdcsLayer {
    FdcsLayer::new(SharedPolicy::new(Policy::embedded_default().unwrap()), auth)
        .metrics(Arc::clone(metrics))
}

fn get(path: &str) -> Request<Full<Bytes>> {
    let mut r = Request::get(path)
        .header("x-auth-token", "alpha-token")
        .header("x-auth-tenantid", "alpha")
        .body(Full::new(Bytes::new()))
        .unwrap();
    r.extensions_mut()
        .insert(PeerAddr::new("unix:uid=1000,pid=42"));
    r
}

fn post(path: &str) -> Request<Full<Bytes>> {
    let mut r = get(path);
    *r.method_mut() = http::Method::POST;
    r
}

fn value(m: &Metrics, line: &str) -> u64 {
    let text = m.render();
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{line} missing:\n{text}"))
}

/// Audit lines written while `f` runs, as text.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn capture() -> (Lines, tracing::subscriber::DefaultGuard) {
    let lines = Lines::default();
    let w = lines.clone();
    let sub = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || w.clone())
        .finish();
    (lines, tracing::subscriber::set_default(sub))
}

#[tokio::test]
async fn a_client_that_goes_away_is_counted_timed_audited_and_leaves_the_gauge() {
    let (lines, _g) = capture();
    let metrics = Arc::new(Metrics::default());
    let engine = engine(Duration::from_secs(3600), false);
    let svc = layer(tenants(), &metrics).layer(engine);
    // judged and forwarded: the client leaves while the engine is still at
    // it, and hyper drops the future
    let call = svc.clone().oneshot(get("/v1.41/version"));
    let left = tokio::time::timeout(Duration::from_millis(200), call).await;
    assert!(left.is_err(), "the slow engine answered");
    assert_eq!(metrics.in_flight(), 0, "{}", metrics.render());
    assert_eq!(value(&metrics, "fdcs_request_duration_seconds_count"), 1);
    assert_eq!(
        value(&metrics, "fdcs_responses_total{class=\"client-gone\"}"),
        1
    );
    // the policy's verdict stands: it was allowed before the client left
    assert_eq!(
        value(&metrics, "fdcs_requests_total{verdict=\"client-gone\"}"),
        0
    );
    let text = lines.text();
    let line = text
        .lines()
        .find(|l| l.contains("fdcs::audit"))
        .unwrap_or_else(|| panic!("no audit line:\n{text}"));
    assert!(line.contains("outcome=\"client-gone\""), "{line}");
    assert!(line.contains("peer=\"unix:uid=1000,pid=42\""), "{line}");
    assert!(line.contains("tenant=\"alpha\""), "{line}");
    assert!(line.contains("request_id="), "{line}");
    assert!(!line.contains("status="), "no status was sent: {line}");

    // still asking the engine whose container it is: no verdict yet
    let call = svc.oneshot(post("/v1.41/containers/abc/wait"));
    let left = tokio::time::timeout(Duration::from_millis(200), call).await;
    assert!(left.is_err(), "the slow engine answered");
    assert_eq!(metrics.in_flight(), 0);
    assert_eq!(
        value(&metrics, "fdcs_requests_total{verdict=\"client-gone\"}"),
        1
    );
    assert_eq!(value(&metrics, "fdcs_request_duration_seconds_count"), 2);
}

#[tokio::test]
async fn an_engine_that_is_down_is_an_error_not_an_allow() {
    let (lines, _g) = capture();
    let metrics = Arc::new(Metrics::default());
    let engine = engine(Duration::ZERO, true);
    let resp = layer(tenants(), &metrics)
        .layer(engine)
        .oneshot(get("/v1.41/version"))
        .await
        .unwrap_or_else(|e: Infallible| match e {});
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(value(&metrics, "fdcs_requests_total{verdict=\"error\"}"), 1);
    assert_eq!(value(&metrics, "fdcs_requests_total{verdict=\"allow\"}"), 0);
    assert_eq!(metrics.in_flight(), 0);
    // the audit line still says what the policy decided
    let text = lines.text();
    assert!(
        text.contains("verdict=\"error\" decision=\"allow\""),
        "{text}"
    );
}

#[tokio::test]
async fn an_identity_outage_is_not_counted_as_unauthenticated() {
    let metrics = Arc::new(Metrics::default());
    let engine = engine(Duration::ZERO, false);
    let resp = layer(Arc::new(Outage), &metrics)
        .layer(engine)
        .oneshot(get("/v1.41/version"))
        .await
        .unwrap_or_else(|e: Infallible| match e {});
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        value(
            &metrics,
            "fdcs_requests_total{verdict=\"identity-unavailable\"}"
        ),
        1
    );
    assert_eq!(
        value(&metrics, "fdcs_requests_total{verdict=\"unauthenticated\"}"),
        0
    );
}

#[tokio::test]
async fn every_answer_carries_its_own_request_id_not_the_clients() {
    let (lines, _g) = capture();
    let metrics = Arc::new(Metrics::default());
    let engine = engine(Duration::ZERO, false);
    let svc = layer(tenants(), &metrics).layer(engine);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut r = get("/v1.41/_ping");
        r.headers_mut()
            .insert("x-request-id", "forged\"id".parse().unwrap());
        let resp = svc.clone().oneshot(r).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_ne!(id, "forged\"id");
        assert!(lines.text().contains(&format!("request_id={id}")), "{id}");
        ids.push(id);
    }
    assert_ne!(ids.first(), ids.get(1), "ids repeat");
    assert!(!lines.text().contains("forged"), "{}", lines.text());
}
