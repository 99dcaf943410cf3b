//! Fair sharing (`fair.*`) from the attacker's side, against a fake engine:
//! a tenant over its rate, its concurrency or its memory budget is refused
//! with Docker's message shape and `Retry-After`, while another tenant is
//! served; requests without valid credentials take nobody's share.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::{FdcsBody, FdcsLayer, Limits, SharedPolicy, TenantCredentials, TenantsAuth};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower::{Layer, ServiceExt};

/// Permits of the fake engine's gate.
const GATE: usize = 1 << 20;

/// A fake engine: `/_ping` answers `OK`, a container list answers
/// `list_bytes` of alpha's (or beta's) containers, and every call first
/// waits for a permit of `gate` (to hold requests in flight).
#[derive(Clone)]
struct Engine {
    calls: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
    list_bytes: usize,
}

impl Engine {
    fn new(list_bytes: usize) -> Self {
        Engine {
            calls: Arc::default(),
            gate: Arc::new(Semaphore::new(GATE)),
            list_bytes,
        }
    }
}

impl tower::Service<Request<FdcsBody>> for Engine {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Infallible>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<FdcsBody>) -> Self::Future {
        let me = self.clone();
        Box::pin(async move {
            me.calls.fetch_add(1, Ordering::SeqCst);
            let _permit = me.gate.acquire().await.unwrap();
            let body = if req.uri().path().ends_with("/containers/json") {
                let tenant = if req.uri().to_string().contains("beta") {
                    "beta"
                } else {
                    "alpha"
                };
                let pad = "x".repeat(me.list_bytes);
                format!(
                    r#"[{{"Id":"{}","Names":["/{tenant}_web"],"Labels":{{"fdcs.tenant":"{tenant}"}},"Pad":"{pad}"}}]"#,
                    "c".repeat(64)
                )
            } else {
                "OK".to_string()
            };
            let mut resp = Response::new(Full::new(Bytes::from(body)));
            resp.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            Ok(resp)
        })
    }
}

fn layer(limits: Limits) -> FdcsLayer {
    let t = |id: &str, tok: &str| TenantCredentials {
        tenant: Tenant::new(TenantId::new(id).unwrap()),
        tokens: vec![tok.into()],
        token_sha256: vec![],
        certificates: vec![],
    };
    let auth = TenantsAuth::new(vec![t("alpha", "alpha-token"), t("beta", "beta-token")]).unwrap();
    FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(auth),
    )
    .limits(limits)
}

fn req(path: &str, tenant: &str, token: &str) -> Request<Empty<Bytes>> {
    Request::get(path)
        .header("X-Auth-Token", token)
        .header("X-Auth-TenantId", tenant)
        .body(Empty::new())
        .unwrap()
}

fn as_(tenant: &str, path: &str) -> Request<Empty<Bytes>> {
    req(path, tenant, &format!("{tenant}-token"))
}

async fn message(resp: Response<FdcsBody>) -> String {
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_tenant_over_its_rate_gets_429_with_retry_after_and_the_other_is_served() {
    let engine = Engine::new(0);
    let svc =
        layer(Limits::default().with_tenant_rate(5).with_tenant_burst(10)).layer(engine.clone());
    let mut refused = None;
    for _ in 0..50 {
        let resp = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(resp);
            break;
        }
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let refused = refused.expect("alpha was never refused");
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.headers()["content-type"], "application/json");
    let calls = engine.calls.load(Ordering::SeqCst);
    let text = message(refused).await;
    assert!(
        text.starts_with("fdcs: alpha sent more than 5 requests per second"),
        "{text}"
    );
    assert!(text.contains("(rule fair.rate)"), "{text}");
    assert_eq!(
        calls, 10,
        "the burst reached the engine, the refusal did not"
    );
    for _ in 0..10 {
        let resp = svc.clone().oneshot(as_("beta", "/_ping")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "beta has its own bucket");
    }
    // a second later, alpha has tokens again
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let resp = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn requests_without_valid_credentials_take_no_tenants_share() {
    let svc =
        layer(Limits::default().with_tenant_rate(1).with_tenant_burst(3)).layer(Engine::new(0));
    for _ in 0..200 {
        // alpha's id with a wrong token, and no credentials at all
        let r = svc
            .clone()
            .oneshot(req("/_ping", "alpha", "guess"))
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let none = Request::get("/_ping").body(Empty::<Bytes>::new()).unwrap();
        assert_eq!(
            svc.clone().oneshot(none).await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    for i in 0..3 {
        let r = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "alpha's burst, request {i}");
    }
}

#[tokio::test]
async fn concurrency_counts_requests_in_flight_per_tenant() {
    let engine = Engine::new(0);
    let gate = Arc::clone(&engine.gate);
    let held = gate.acquire_many(GATE as u32).await.unwrap();
    let svc = layer(Limits::default().with_tenant_concurrency(2)).layer(engine.clone());
    let a1 = tokio::spawn(svc.clone().oneshot(as_("alpha", "/_ping")));
    let a2 = tokio::spawn(svc.clone().oneshot(as_("alpha", "/_ping")));
    while engine.calls.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    let third = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.headers()["retry-after"], "1");
    let text = message(third).await;
    assert!(
        text.contains("alpha already has 2 requests in flight (rule fair.concurrency)"),
        "{text}"
    );
    // beta is not held up by alpha's requests
    let b = tokio::spawn(svc.clone().oneshot(as_("beta", "/_ping")));
    drop(held);
    assert_eq!(b.await.unwrap().unwrap().status(), StatusCode::OK);
    for a in [a1, a2] {
        assert_eq!(a.await.unwrap().unwrap().status(), StatusCode::OK);
    }
    let again = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK, "the slots came back");
}

#[tokio::test]
async fn a_response_body_holds_its_slot_until_the_client_has_read_it() {
    let svc = layer(Limits::default().with_tenant_concurrency(1)).layer(Engine::new(0));
    let first = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let second = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(
        second.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the first body is unread"
    );
    first.into_body().collect().await.unwrap();
    let third = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn buffered_answers_are_bounded_per_tenant_and_the_refusal_is_fair_memory() {
    // each list answer is ~60 KiB; alpha may hold 100 KiB at once
    let svc = layer(Limits::default().with_tenant_buffered(100 << 10)).layer(Engine::new(60 << 10));
    let first = svc
        .clone()
        .oneshot(as_("alpha", "/v1.41/containers/json"))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    // the first rewritten answer is not read yet: it still counts
    let second = svc
        .clone()
        .oneshot(as_("alpha", "/v1.41/containers/json"))
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers()["retry-after"], "1");
    let text = message(second).await;
    assert!(text.contains("(rule fair.memory)"), "{text}");
    // beta's budget is its own
    let beta = svc
        .clone()
        .oneshot(as_("beta", "/v1.41/containers/json"))
        .await
        .unwrap();
    assert_eq!(beta.status(), StatusCode::OK);
    // once alpha has read its answer, the budget is back
    let listed = first.into_body().collect().await.unwrap().to_bytes();
    assert!(listed.len() > 60 << 10);
    let third = svc
        .clone()
        .oneshot(as_("alpha", "/v1.41/containers/json"))
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_answer_larger_than_the_whole_budget_is_refused_not_cut() {
    let svc = layer(Limits::default().with_tenant_buffered(16 << 10)).layer(Engine::new(64 << 10));
    let resp = svc
        .clone()
        .oneshot(as_("alpha", "/v1.41/containers/json"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    // small answers still pass
    let ping = svc.clone().oneshot(as_("alpha", "/_ping")).await.unwrap();
    assert_eq!(ping.status(), StatusCode::OK);
}
