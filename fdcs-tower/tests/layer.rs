//! The layer against a fake engine: what reaches the engine, and what the
//! client gets back, for allowed, denied and failing requests.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::{FdcsBody, FdcsLayer, Limits, SharedPolicy, TenantCredentials, TenantsAuth};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::sync::Arc;
use tower::{Layer, ServiceExt};

mod support;
use support::Fake;

fn layer() -> FdcsLayer {
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
    .limits(Limits::default().with_max_json_body(64 * 1024))
}

fn req(
    method: &str,
    target: &str,
    tenant: Option<(&str, &str)>,
    body: &str,
) -> Request<Full<Bytes>> {
    let mut b = Request::builder()
        .method(method)
        .uri(target)
        .header("content-type", "application/json");
    if let Some((id, tok)) = tenant {
        b = b.header("x-auth-token", tok).header("x-auth-tenantid", id);
    }
    b.body(Full::new(Bytes::from(body.to_string()))).unwrap()
}

const ALPHA: Option<(&str, &str)> = Some(("alpha", "alpha-token"));

async fn call(fake: &Fake, r: Request<Full<Bytes>>) -> (StatusCode, http::HeaderMap, String) {
    let svc = layer().layer(fake.clone());
    let resp: Response<FdcsBody> = svc
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

fn message(body: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {body}"))
        .to_string()
}

/// Whether a GET is one targeted ownership lookup by name or id (an
/// inspect), as opposed to a list.
fn is_inspect_lookup(method: &str, target: &str) -> bool {
    let target = target.strip_prefix("/v1.41").unwrap_or(target);
    method == "GET"
        && ((target.starts_with("/containers/")
            && target.ends_with("/json")
            && !target.starts_with("/containers/json"))
            || (target.starts_with("/networks/") && !target.contains('?'))
            || (target.starts_with("/volumes/") && !target.contains('?')))
}

/// The engine's image inspect of the shared busybox (every create asks for
/// the image it runs: its EXPOSE and VOLUME count).
const BUSYBOX: &str = r#"{"Id":"sha256:4d559cfb5947e32b1a4e1c1e9e1c3f1f0b3b3a5e2f7d4f7e2b6a0c9d8e7f6a5b","RepoTags":["busybox:latest"],"RepoDigests":[],"Config":{"ExposedPorts":null,"Volumes":null}}"#;

fn is_image_inspect(method: &str, target: &str) -> bool {
    let target = target.strip_prefix("/v1.41").unwrap_or(target);
    method == "GET" && target.starts_with("/images/") && target.ends_with("/json")
}

fn ok_engine() -> Fake {
    Fake::new(|method, target| {
        if is_image_inspect(method, target) {
            (200, BUSYBOX.into())
        } else if is_inspect_lookup(method, target) {
            (404, r#"{"message":"No such object"}"#.into())
        } else if target.starts_with("/containers/json") || target.starts_with("/networks?") {
            (200, "[]".into())
        } else if target.starts_with("/volumes?") {
            (200, r#"{"Volumes":[],"Warnings":null}"#.into())
        } else if target.contains("/create") {
            (201, r#"{"Id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","Warnings":[]}"#.into())
        } else {
            (200, "{}".into())
        }
    })
}

#[tokio::test]
async fn no_credentials_is_401_with_the_config_json_hint_and_nothing_reaches_the_engine() {
    let fake = ok_engine();
    let (status, headers, body) = call(&fake, req("GET", "/_ping", None, "")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["content-type"], "application/json");
    assert!(message(&body).contains("HttpHeaders"), "{body}");
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn a_valid_token_with_another_tenants_id_is_401() {
    let fake = ok_engine();
    let (status, _, _) = call(
        &fake,
        req("GET", "/_ping", Some(("beta", "alpha-token")), ""),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn credentials_never_reach_the_engine() {
    let fake = ok_engine();
    let (status, _, _) = call(&fake, req("GET", "/v1.41/_ping", ALPHA, "")).await;
    assert_eq!(status, StatusCode::OK);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].headers.get("x-auth-token").is_none());
    assert!(seen[0].headers.get("x-auth-tenantid").is_none());
}

#[tokio::test]
async fn a_denied_create_forwards_nothing_and_says_why() {
    let fake = ok_engine();
    let body = r#"{"Image":"busybox","HostConfig":{"Privileged":true}}"#;
    let (status, _, resp) = call(
        &fake,
        req("POST", "/v1.41/containers/create?name=web", ALPHA, body),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&resp).contains("privileged"), "{resp}");
    assert!(
        fake.seen().iter().all(|s| s.method == "GET"),
        "{:?}",
        fake.seen()
    );
}

#[tokio::test]
async fn an_allowed_create_forwards_the_judged_body_not_the_clients() {
    let fake = ok_engine();
    // a duplicate key: the canonical body must carry exactly one, the judged one
    let body = r#"{"Image":"busybox","Image":"busybox","Labels":{"x":"y"}}"#;
    let (status, _, _) = call(
        &fake,
        req("POST", "/v1.41/containers/create?name=web", ALPHA, body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let seen = fake.seen();
    let create = seen
        .iter()
        .find(|s| s.target.contains("/containers/create"))
        .expect("create forwarded");
    assert!(
        create.target.contains("name=alpha_web"),
        "{}",
        create.target
    );
    let judged: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(judged["Labels"]["fdcs.tenant"], "alpha");
    assert_ne!(&create.body[..], body.as_bytes());
    assert_eq!(create.headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_body_over_the_bound_is_413_and_nothing_is_forwarded() {
    let fake = ok_engine();
    let big = format!(
        r#"{{"Image":"busybox","Env":["X={}"]}}"#,
        "a".repeat(100 * 1024)
    );
    let (status, _, resp) = call(&fake, req("POST", "/v1.41/containers/create", ALPHA, &big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(message(&resp).contains("larger than"), "{resp}");
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn a_container_the_tenant_does_not_own_is_not_found_and_never_asked_for() {
    // the engine lists alpha's containers: none
    let fake = ok_engine();
    let (status, _, resp) = call(
        &fake,
        req("GET", "/v1.41/containers/beta_db/json", ALPHA, ""),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{resp}");
    assert!(message(&resp).contains("No such container"), "{resp}");
    // one targeted lookup, in the tenant's own scope: beta's container is
    // never named to the engine
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].target, "/v1.41/containers/alpha_beta_db/json");
}

#[tokio::test]
async fn an_engine_that_is_down_gives_502_in_dockers_shape() {
    let mut fake = ok_engine();
    fake.down = true;
    let (status, _, resp) = call(&fake, req("GET", "/v1.41/_ping", ALPHA, "")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        message(&resp).contains("Docker engine is unavailable"),
        "{resp}"
    );
}

#[tokio::test]
async fn a_failing_ownership_lookup_fails_closed() {
    let fake = Fake::new(|_, target| {
        if target.starts_with("/containers/json") {
            (500, r#"{"message":"boom"}"#.into())
        } else {
            (200, "{}".into())
        }
    });
    let (status, _, resp) = call(&fake, req("POST", "/v1.41/containers/web/stop", ALPHA, "")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{resp}");
    assert!(fake.seen().iter().all(|s| !s.target.contains("/stop")));
}

#[tokio::test]
async fn a_failing_prelude_stops_the_create() {
    let fake = Fake::new(|method, target| {
        if method == "POST" && target.contains("/networks/create") {
            (500, r#"{"message":"no address pools left"}"#.into())
        } else if is_image_inspect(method, target) {
            (200, BUSYBOX.into())
        } else if target.starts_with("/volumes?") {
            (200, r#"{"Volumes":[]}"#.into())
        } else if method == "GET" {
            (200, "[]".into())
        } else {
            (201, "{}".into())
        }
    });
    let (status, _, resp) = call(
        &fake,
        req(
            "POST",
            "/v1.41/containers/create",
            ALPHA,
            r#"{"Image":"busybox"}"#,
        ),
    )
    .await;
    assert!(
        fake.seen()
            .iter()
            .any(|s| s.target.contains("/networks/create")),
        "no prelude sent: {:?}",
        fake.seen()
    );
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{resp}");
    assert!(message(&resp).contains("no address pools left"), "{resp}");
    assert!(fake
        .seen()
        .iter()
        .all(|s| !s.target.contains("/containers/create")));
}

#[tokio::test]
async fn events_of_other_tenants_are_dropped_from_the_stream() {
    let fake = Fake::new(|_, target| {
        if target.contains("/events") {
            let a = r#"{"Type":"container","Action":"start","Actor":{"ID":"1","Attributes":{"name":"alpha_web","fdcs.tenant":"alpha"}}}"#;
            let b = r#"{"Type":"container","Action":"start","Actor":{"ID":"2","Attributes":{"name":"beta_db","fdcs.tenant":"beta"}}}"#;
            (200, format!("{a}\n{b}\n"))
        } else {
            (200, "[]".into())
        }
    });
    let (status, _, body) = call(&fake, req("GET", "/v1.41/events", ALPHA, "")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = body.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1, "{body}");
    assert!(!body.contains("beta"), "{body}");
    assert!(!body.contains("fdcs.tenant"), "{body}");
}

#[tokio::test]
async fn garbage_requests_get_an_answer_not_a_panic() {
    let fake = ok_engine();
    for (m, t, b) in [
        ("POST", "/v1.41/containers/create", "{not json"),
        ("POST", "/v1.41/containers/create", "\u{0}\u{1}"),
        ("GET", "/v1.41/../../etc/passwd", ""),
        ("GET", "/%2e%2e/containers/json", ""),
        ("DELETE", "/v9.99/containers/x", ""),
        ("PATCH", "/", ""),
    ] {
        let (status, _, body) = call(&fake, req(m, t, ALPHA, b)).await;
        assert!(status.is_client_error(), "{m} {t}: {status} {body}");
        let _ = message(&body);
    }
}

fn alpha_owns_web() -> Fake {
    Fake::new(|method, target| {
        let id = "a".repeat(64);
        // the targeted lookup, with or without the request's version prefix
        let unversioned = target.strip_prefix("/v1.41").unwrap_or(target);
        if unversioned == "/containers/alpha_web/json"
            || unversioned == format!("/containers/{id}/json")
        {
            (
                200,
                format!(
                    r#"{{"Id":"{id}","Name":"/alpha_web","Config":{{"Labels":{{"fdcs.tenant":"alpha"}}}}}}"#
                ),
            )
        } else if is_inspect_lookup(method, target) {
            (404, r#"{"message":"No such object"}"#.into())
        } else if unversioned.starts_with("/containers/json") {
            (
                200,
                format!(
                    r#"[{{"Id":"{id}","Names":["/alpha_web"],"Labels":{{"fdcs.tenant":"alpha"}}}}]"#
                ),
            )
        } else if unversioned.starts_with("/networks?") {
            (200, "[]".into())
        } else if unversioned.starts_with("/volumes?") {
            (200, r#"{"Volumes":[]}"#.into())
        } else {
            (200, "{}".into())
        }
    })
}

fn tar_upload(target: &str, size: usize) -> Request<Full<Bytes>> {
    Request::builder()
        .method("PUT")
        .uri(target)
        .header("content-type", "application/x-tar")
        .header("x-auth-token", "alpha-token")
        .header("x-auth-tenantid", "alpha")
        .body(Full::new(Bytes::from(vec![7u8; size])))
        .unwrap()
}

#[tokio::test]
async fn an_upload_into_an_own_container_streams_past_the_json_bound() {
    let fake = alpha_owns_web();
    // 256 KiB: four times the layer's JSON bound in these tests
    let (status, _, body) = call(
        &fake,
        tar_upload("/v1.41/containers/web/archive?path=/tmp", 256 * 1024),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = fake.seen();
    let put = seen
        .iter()
        .find(|s| s.method == "PUT")
        .expect("upload forwarded");
    assert_eq!(put.body.len(), 256 * 1024);
    assert_eq!(put.headers["content-type"], "application/x-tar");
    assert!(
        put.target.contains(&"a".repeat(64)) || put.target.contains("alpha_web"),
        "{}",
        put.target
    );
}

#[tokio::test]
async fn an_upload_into_another_tenants_container_is_404_and_not_sent() {
    let fake = alpha_owns_web();
    for target in [
        "/v1.41/containers/beta_db/archive?path=/",
        "/v1.41/containers/db/archive?path=/",
        "/v1.41/containers/bbbb/archive?path=/",
    ] {
        let (status, _, body) = call(&fake, tar_upload(target, 1024)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{target}: {body}");
    }
    assert!(
        fake.seen().iter().all(|s| s.method == "GET"),
        "{:?}",
        fake.seen()
    );
}

#[tokio::test]
async fn a_client_upgrade_on_an_ordinary_route_is_not_passed_on() {
    let fake = alpha_owns_web();
    let mut r = req("GET", "/v1.41/containers/web/json", ALPHA, "");
    r.headers_mut()
        .insert("connection", "Upgrade".parse().unwrap());
    r.headers_mut().insert("upgrade", "tcp".parse().unwrap());
    let (status, _, _) = call(&fake, r).await;
    assert_eq!(status, StatusCode::OK);
    for s in fake.seen() {
        assert!(s.headers.get("upgrade").is_none(), "{s:?}");
        assert!(s.headers.get("connection").is_none(), "{s:?}");
    }
}

#[tokio::test]
async fn an_inspect_by_name_costs_one_engine_call() {
    // the ownership lookup is the inspect itself: its answer is served
    let fake = alpha_owns_web();
    let (status, _, body) = call(&fake, req("GET", "/v1.41/containers/web/json", ALPHA, "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].target, "/v1.41/containers/alpha_web/json");
    // and the tenant sees its own name back, without the owner label
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Name"], "/web");
    assert!(v["Config"]["Labels"].get("fdcs.tenant").is_none(), "{body}");
}

#[tokio::test]
async fn a_mutation_by_name_acts_on_the_resolved_id() {
    let fake = alpha_owns_web();
    let (status, _, body) = call(&fake, req("POST", "/v1.41/containers/web/stop", ALPHA, "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = fake.seen();
    assert_eq!(seen.len(), 2, "one lookup, one stop: {seen:?}");
    assert_eq!(
        seen[1].target,
        format!("/v1.41/containers/{}/stop", "a".repeat(64))
    );
}
