//! Keystone authentication against a fake Keystone (always) and a real one
//! (with `FDCS_E2E_KEYSTONE=1`, which `.ci/run` sets once the Keystone of
//! `tests/keystone/up.sh` answers; `FDCS_E2E_KEYSTONE_URL`, default
//! `http://127.0.0.1:5055`, says where — not `FDCS_KEYSTONE_URL`, serve's
//! own variable).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::Policy;
use fdcs_policy::TenantId;
use fdcs_tower::{
    Access, Authenticate, Credentials, FdcsBody, FdcsLayer, KeystoneAuth, KeystoneConfig,
    ServiceCredentials, SharedPolicy,
};
use std::convert::Infallible;
use tower::{Layer, ServiceExt};

mod support;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::Fake;

/// Service logins seen by every fake Keystone of this test binary.
static LOGINS: AtomicUsize = AtomicUsize::new(0);

fn service() -> ServiceCredentials {
    ServiceCredentials {
        user: "svc".into(),
        password: "svcpw".into(),
        project: "service".into(),
        domain: "default".into(),
    }
}

fn creds(token: &str, tenant: &str) -> Credentials {
    Credentials {
        token: token.into(),
        tenant: TenantId::new(tenant).unwrap(),
    }
}

fn auth(url: String, timeout: Duration) -> KeystoneAuth {
    let mut cfg = KeystoneConfig::new(url, service());
    cfg.timeout = timeout;
    KeystoneAuth::new(cfg, None)
}

/// A fake Keystone: the user token `good-<project>` belongs to <project>,
/// `old` has expired, anything else is unknown. Counts validations.
async fn fake_keystone() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let validations = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&validations);
    tokio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.unwrap();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let counter = Arc::clone(&counter);
                    async move { Ok::<_, std::convert::Infallible>(answer(req, &counter).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    (format!("http://{addr}/v3"), validations)
}

async fn answer(req: Request<Incoming>, validations: &AtomicUsize) -> Response<Full<Bytes>> {
    let future = "2099-01-01T00:00:00.000000Z";
    let resp = |status: u16, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = StatusCode::from_u16(status).unwrap();
        r
    };
    match (req.method().as_str(), req.uri().path()) {
        ("POST", "/v3/auth/tokens") => {
            LOGINS.fetch_add(1, Ordering::SeqCst);
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            if v["auth"]["identity"]["password"]["user"]["password"] != "svcpw" {
                return resp(401, "{}".into());
            }
            let mut r = resp(201, format!(r#"{{"token":{{"expires_at":"{future}"}}}}"#));
            r.headers_mut()
                .insert("x-subject-token", "service-token".parse().unwrap());
            r
        }
        ("GET", "/v3/auth/tokens") => {
            if req.headers().get("x-auth-token").map(|v| v.as_bytes()) != Some(b"service-token") {
                return resp(401, "{}".into());
            }
            validations.fetch_add(1, Ordering::SeqCst);
            let subject = req
                .headers()
                .get("x-subject-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            // a validation takes a moment, so that concurrent requests overlap
            tokio::time::sleep(Duration::from_millis(10)).await;
            let roles = |project: &str, roles: &str| {
                resp(
                    200,
                    format!(
                        r#"{{"token":{{"expires_at":"{future}","project":{{"id":"{project}"}},"roles":[{roles}]}}}}"#
                    ),
                )
            };
            if let Some(project) = subject.strip_prefix("good-") {
                roles(
                    project,
                    r#"{"id":"m1","name":"member"},{"id":"r1","name":"reader"}"#,
                )
            } else if let Some(project) = subject.strip_prefix("reader-") {
                roles(project, r#"{"id":"r1","name":"reader"}"#)
            } else if let Some(project) = subject.strip_prefix("norole-") {
                roles(project, r#"{"id":"x1","name":"load-balancer_observer"}"#)
            } else if subject == "old" {
                resp(
                    200,
                    r#"{"token":{"expires_at":"2001-01-01T00:00:00Z","project":{"id":"alpha"}}}"#
                        .into(),
                )
            } else if subject == "unscoped" {
                resp(200, format!(r#"{{"token":{{"expires_at":"{future}"}}}}"#))
            } else {
                resp(404, r#"{"error":{"code":404}}"#.into())
            }
        }
        _ => resp(404, "{}".into()),
    }
}

#[tokio::test]
async fn a_project_token_authenticates_its_own_project_only() {
    let (url, _) = fake_keystone().await;
    let a = auth(url, Duration::from_secs(2));
    let t = a.authenticate(&creds("good-alpha", "alpha")).await.unwrap();
    assert_eq!(t.id.as_str(), "alpha");
    let e = a
        .authenticate(&creds("good-alpha", "beta"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_expired_and_unscoped_tokens_are_401() {
    let (url, _) = fake_keystone().await;
    let a = auth(url, Duration::from_secs(2));
    for tok in ["nope", "old", "unscoped"] {
        let e = a.authenticate(&creds(tok, "alpha")).await.unwrap_err();
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED, "{tok}");
    }
}

#[tokio::test]
async fn a_validated_token_is_cached_and_the_cache_still_checks_the_project() {
    let (url, validations) = fake_keystone().await;
    let a = auth(url, Duration::from_secs(2));
    a.authenticate(&creds("good-alpha", "alpha")).await.unwrap();
    a.authenticate(&creds("good-alpha", "alpha")).await.unwrap();
    assert_eq!(validations.load(Ordering::SeqCst), 1);
    // a cached token with another tenant id is still refused
    let e = a
        .authenticate(&creds("good-alpha", "beta"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_zero_ttl_asks_keystone_every_time() {
    let (url, validations) = fake_keystone().await;
    let mut cfg = KeystoneConfig::new(url, service());
    cfg.cache_ttl = Duration::ZERO;
    let a = KeystoneAuth::new(cfg, None);
    a.authenticate(&creds("good-alpha", "alpha")).await.unwrap();
    a.authenticate(&creds("good-alpha", "alpha")).await.unwrap();
    assert_eq!(validations.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_keystone_is_503_never_an_allow() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let a = auth(format!("http://{addr}"), Duration::from_secs(2));
    let e = a
        .authenticate(&creds("good-alpha", "alpha"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{e}");
}

#[tokio::test]
async fn a_keystone_that_never_answers_is_503_within_the_timeout() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    // accept and hold connections, never answer
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    let a = auth(format!("http://{addr}"), Duration::from_millis(300));
    let started = std::time::Instant::now();
    let e = a
        .authenticate(&creds("good-alpha", "alpha"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn wrong_service_credentials_are_503_not_401() {
    // the user did nothing wrong: the proxy is misconfigured
    let (url, _) = fake_keystone().await;
    let mut cfg = KeystoneConfig::new(
        url,
        ServiceCredentials {
            password: "wrong".into(),
            ..service()
        },
    );
    cfg.timeout = Duration::from_secs(2);
    let a = KeystoneAuth::new(cfg, None);
    let e = a
        .authenticate(&creds("good-alpha", "alpha"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{e}");
}

/// Against a real Keystone provisioned by tests/keystone/provision.py.
#[tokio::test]
async fn real_keystone_validates_project_tokens() {
    let Some(url) = real_keystone() else { return };
    let base = url
        .trim_end_matches('/')
        .trim_end_matches("/v3")
        .to_string();
    let (alice, alpha) = user_token(&base, "alice", "alicepw", "alpha").await;
    let (_, beta) = user_token(&base, "bob", "bobpw", "beta").await;
    let a = auth(url, Duration::from_secs(10));
    let t = a.authenticate(&creds(&alice, &alpha)).await.unwrap();
    assert_eq!(t.id.as_str(), alpha);
    let e = a.authenticate(&creds(&alice, &beta)).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    let e = a
        .authenticate(&creds("not-a-token", &alpha))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
}

/// The real Keystone's URL, or `None` (skip, saying why).
fn real_keystone() -> Option<String> {
    if std::env::var("FDCS_E2E_KEYSTONE").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set FDCS_E2E_KEYSTONE=1 (and FDCS_E2E_KEYSTONE_URL) to run against a real Keystone"
        );
        return None;
    }
    Some(std::env::var("FDCS_E2E_KEYSTONE_URL").unwrap_or_else(|_| "http://127.0.0.1:5055".into()))
}

async fn user_token(base: &str, user: &str, pw: &str, project: &str) -> (String, String) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let body = serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"id": "default"}, "password": pw}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}});
    let req = Request::post(format!("{base}/v3/auth/tokens"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "login of {user} failed");
    let token = resp.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_string();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    (
        token,
        v["token"]["project"]["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_burst_of_first_requests_logs_the_service_in_once() {
    let (url, validations) = fake_keystone().await;
    let a = Arc::new(auth(url, Duration::from_secs(2)));
    let before = LOGINS.load(Ordering::SeqCst);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let a = Arc::clone(&a);
        tasks.push(tokio::spawn(async move {
            a.authenticate(&creds(&format!("good-t{i}"), &format!("t{i}")))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(validations.load(Ordering::SeqCst), 16);
    // other tests of this binary may log in meanwhile, but never 16 times
    assert!(
        LOGINS.load(Ordering::SeqCst) - before < 8,
        "{} logins",
        LOGINS.load(Ordering::SeqCst) - before
    );
}

#[tokio::test]
async fn roles_come_with_the_token_reader_reads_member_writes() {
    let (url, validations) = fake_keystone().await;
    let a = auth(url, Duration::from_secs(2));
    let reader = creds("reader-alpha", "alpha");
    a.authenticate_for(&reader, Access::Read).await.unwrap();
    let e = a
        .authenticate_for(&reader, Access::Write)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::FORBIDDEN);
    assert_eq!(e.rule().unwrap().as_str(), "auth.role");
    assert!(e.to_string().contains("`member` or `admin`"), "{e}");
    // the roles were cached with the token: one validation for both
    assert_eq!(validations.load(Ordering::SeqCst), 1);
    let member = creds("good-alpha", "alpha");
    a.authenticate_for(&member, Access::Write).await.unwrap();
    let none = creds("norole-alpha", "alpha");
    let e = a.authenticate_for(&none, Access::Read).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::FORBIDDEN);
    assert!(
        e.to_string().contains("`reader`, `member` or `admin`"),
        "{e}"
    );
}

#[tokio::test]
async fn a_thousand_requests_with_one_garbage_token_validate_it_once() {
    let (url, validations) = fake_keystone().await;
    let a = Arc::new(auth(url, Duration::from_secs(2)));
    let m = a.metrics();
    // 500 at once, then 500 one after the other
    let mut tasks = Vec::new();
    for _ in 0..500 {
        let a = Arc::clone(&a);
        tasks.push(tokio::spawn(async move {
            a.authenticate(&creds("garbage", "alpha")).await
        }));
    }
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..500 {
        let e = a
            .authenticate(&creds("garbage", "alpha"))
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    }
    let n = validations.load(Ordering::SeqCst);
    eprintln!("1000 garbage requests: {n} validation(s) at Keystone");
    assert!(n <= 2, "{n} validations");
    assert_eq!(m.validations(), n as u64);
    assert!(m.cache_count("negative-hit") >= 500);
    assert_eq!(m.failures("unknown-token"), n as u64);
}

#[tokio::test]
async fn the_negative_cache_forgets_after_its_ttl() {
    let (url, validations) = fake_keystone().await;
    let mut cfg = KeystoneConfig::new(url, service());
    cfg.negative_ttl = Duration::from_millis(100);
    let a = KeystoneAuth::new(cfg, None);
    for _ in 0..10 {
        a.authenticate(&creds("garbage", "alpha"))
            .await
            .unwrap_err();
    }
    assert_eq!(validations.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;
    a.authenticate(&creds("garbage", "alpha"))
        .await
        .unwrap_err();
    assert_eq!(validations.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn concurrent_validations_are_bounded() {
    // 64 distinct tokens at once, at most 4 validations in flight
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (url, _) = fake_keystone().await;
    let upstream = url
        .trim_start_matches("http://")
        .trim_end_matches("/v3")
        .to_string();
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    // a counting relay in front of the fake Keystone
    {
        let (now, peak) = (Arc::clone(&now), Arc::clone(&peak));
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let (now, peak, upstream) = (Arc::clone(&now), Arc::clone(&peak), upstream.clone());
                tokio::spawn(async move {
                    let mut u = tokio::net::TcpStream::connect(upstream).await.unwrap();
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    let _ = tokio::io::copy_bidirectional(&mut s, &mut u).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
    }
    let mut cfg = KeystoneConfig::new(format!("http://{addr}"), service());
    cfg.max_concurrent = 4;
    let a = Arc::new(KeystoneAuth::new(cfg, None));
    let mut tasks = Vec::new();
    for i in 0..64 {
        let a = Arc::clone(&a);
        tasks.push(tokio::spawn(async move {
            a.authenticate(&creds(&format!("good-t{i}"), &format!("t{i}")))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // connections are pooled: at most the permits (plus the service login)
    let p = peak.load(Ordering::SeqCst);
    eprintln!("peak connections to Keystone: {p}");
    assert!(p <= 5, "{p} connections at once");
}

fn keystone_layer(a: KeystoneAuth) -> FdcsLayer {
    FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(a),
    )
}

async fn through(
    layer: &FdcsLayer,
    fake: &Fake,
    method: &str,
    target: &str,
    token: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let r = Request::builder()
        .method(method)
        .uri(target)
        .header("content-type", "application/json")
        .header("x-auth-token", token)
        .header("x-auth-tenantid", "alpha")
        .body(Full::new(Bytes::from(if method == "POST" {
            "{\"Image\":\"busybox\"}"
        } else {
            ""
        })))
        .unwrap();
    let resp: Response<FdcsBody> = layer
        .layer(fake.clone())
        .oneshot(r)
        .await
        .unwrap_or_else(|e: Infallible| match e {});
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn through_the_layer_a_reader_lists_but_cannot_create() {
    let (url, _) = fake_keystone().await;
    let layer = keystone_layer(auth(url, Duration::from_secs(2)));
    let fake = Fake::new(|_, _| (200, "[]".into()));
    let (status, _, body) = through(
        &layer,
        &fake,
        "GET",
        "/v1.43/containers/json",
        "reader-alpha",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = through(
        &layer,
        &fake,
        "POST",
        "/v1.43/containers/create",
        "reader-alpha",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains("rule auth.role") && msg.contains("`member`"),
        "{msg}"
    );
    // attach and exec are writes
    let (status, _, _) = through(
        &layer,
        &fake,
        "POST",
        "/v1.43/containers/x/attach?stream=1",
        "reader-alpha",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = through(
        &layer,
        &fake,
        "POST",
        "/v1.43/containers/x/exec",
        "reader-alpha",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // nothing the reader was refused reached the engine
    assert!(fake
        .seen()
        .iter()
        .all(|s| !s.target.contains("create") && !s.target.contains("exec")));
}

#[tokio::test]
async fn a_401_says_where_to_authenticate_and_a_503_when_to_retry() {
    let (url, _) = fake_keystone().await;
    let layer = keystone_layer(auth(url.clone(), Duration::from_secs(2)));
    let fake = Fake::new(|_, _| (200, "[]".into()));
    let (status, headers, _) =
        through(&layer, &fake, "GET", "/v1.43/containers/json", "garbage").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        headers["www-authenticate"].to_str().unwrap(),
        format!("Keystone uri=\"{url}\"")
    );
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let layer = keystone_layer(auth(format!("http://{addr}"), Duration::from_secs(2)));
    let (status, headers, body) =
        through(&layer, &fake, "GET", "/v1.43/containers/json", "good-alpha").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers["retry-after"].to_str().unwrap(), "5");
}

#[tokio::test]
async fn an_outage_shows_in_the_metrics_and_the_recovery_too() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (url, _) = fake_keystone().await;
    let upstream = url
        .trim_start_matches("http://")
        .trim_end_matches("/v3")
        .to_string();
    let open = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                if !open.load(Ordering::SeqCst) {
                    drop(s);
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let mut u = tokio::net::TcpStream::connect(upstream).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut s, &mut u).await;
                });
            }
        });
    }
    let a = auth(format!("http://{addr}"), Duration::from_secs(2));
    let m = a.metrics();
    let e = a
        .authenticate(&creds("good-alpha", "alpha"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{e}");
    let metrics = fdcs_tower::Metrics::default();
    let _ = metrics; // the layer's own exposition renders these counters too
    assert!(m.failures("unreachable") + m.failures("bad-answer") >= 1);
    open.store(true, Ordering::SeqCst);
    a.authenticate(&creds("good-alpha", "alpha")).await.unwrap();
}

#[test]
fn the_identity_counters_are_in_the_exposition() {
    let m = fdcs_tower::Metrics::default();
    m.identity().cache("miss");
    m.identity().failed("unknown-token");
    m.identity().validated(Duration::from_millis(3));
    let text = m.render();
    for line in [
        "fdcs_identity_validations_total 1",
        "fdcs_identity_cache_total{result=\"miss\"} 1",
        "fdcs_identity_failures_total{kind=\"unknown-token\"} 1",
        "fdcs_identity_validation_duration_seconds_bucket{le=\"0.005\"} 1",
        "fdcs_identity_up 1",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
}

/// A user with only Keystone's `reader` role on a project reads and is
/// refused writes (403 `auth.role`): provision.py's carol on alpha, or
/// `FDCS_KEYSTONE_READER=USER:PASSWORD:PROJECT` for another Keystone.
#[tokio::test]
async fn real_keystone_reader_role_only_reads() {
    let Some(url) = real_keystone() else { return };
    let reader =
        std::env::var("FDCS_KEYSTONE_READER").unwrap_or_else(|_| "carol:carolpw:alpha".into());
    let mut parts = reader.splitn(3, ':');
    let (Some(user), Some(pw), Some(project)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("FDCS_KEYSTONE_READER is USER:PASSWORD:PROJECT, not {reader:?}");
    };
    let base = url
        .trim_end_matches('/')
        .trim_end_matches("/v3")
        .to_string();
    let (token, project_id) = user_token(&base, user, pw, project).await;
    let a = auth(url, Duration::from_secs(10));
    let c = creds(&token, &project_id);
    a.authenticate_for(&c, Access::Read).await.unwrap();
    let e = a.authenticate_for(&c, Access::Write).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e.rule().unwrap().as_str(), "auth.role");
    let (alice, alpha) = user_token(&base, "alice", "alicepw", "alpha").await;
    a.authenticate_for(&creds(&alice, &alpha), Access::Write)
        .await
        .unwrap();
}
