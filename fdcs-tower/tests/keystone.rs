//! Keystone authentication against a fake Keystone (always) and a real one
//! (only with `FDCS_KEYSTONE=1`; start it with /work/shared/keystone/up.sh
//! and provision.sh, then point `FDCS_KEYSTONE_URL` at it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::TenantId;
use fdcs_tower::{Authenticate, Credentials, KeystoneAuth, KeystoneConfig, ServiceCredentials};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
            if let Some(project) = subject.strip_prefix("good-") {
                resp(
                    200,
                    format!(
                        r#"{{"token":{{"expires_at":"{future}","project":{{"id":"{project}"}}}}}}"#
                    ),
                )
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

/// Against a real Keystone provisioned by /work/shared/keystone/provision.sh.
#[tokio::test]
async fn real_keystone_validates_project_tokens() {
    if std::env::var("FDCS_KEYSTONE").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set FDCS_KEYSTONE=1 (and FDCS_KEYSTONE_URL) to run against a real Keystone"
        );
        return;
    }
    let url = std::env::var("FDCS_KEYSTONE_URL").unwrap_or_else(|_| "http://127.0.0.1:5000".into());
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
