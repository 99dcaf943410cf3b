//! Enforcement modes through the layer, against a fake engine: a rule in
//! `warn` lets the request through and its warning reaches the client in
//! the create answer's `Warnings` (the docker CLI prints them), the
//! network create answer's `Warning`, the audit line and
//! `fdcs_policy_warnings_total`; a rule in `audit` reaches only the audit
//! line and the metrics; a rule in `deny` refuses and forwards nothing.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::{FdcsBody, FdcsLayer, Metrics, SharedPolicy, TenantCredentials, TenantsAuth};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::sync::Arc;
use tower::{Layer, ServiceExt};

mod support;
use support::Fake;

const BUSYBOX: &str = r#"{"Id":"sha256:4d559cfb5947e32b1a4e1c1e9e1c3f1f0b3b3a5e2f7d4f7e2b6a0c9d8e7f6a5b","RepoTags":["busybox:latest"],"RepoDigests":[],"Config":{"ExposedPorts":null,"Volumes":null}}"#;
const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// An engine with busybox, no containers, networks or volumes yet, whose
/// create answers carry a warning of its own.
fn engine() -> Fake {
    Fake::new(|method, target| {
        if method == "GET" && target.contains("/images/") {
            (200, BUSYBOX.to_string())
        } else if method == "GET" && target.contains("/volumes?") {
            (200, r#"{"Volumes":[],"Warnings":null}"#.to_string())
        } else if method == "GET"
            && (target.contains("/containers/json") || target.contains("/networks?"))
        {
            (200, "[]".to_string())
        } else if method == "GET" {
            (404, r#"{"message":"No such object"}"#.to_string())
        } else if target.contains("/containers/create") {
            (
                201,
                format!(r#"{{"Id":"{ID}","Warnings":["from the engine"]}}"#),
            )
        } else if target.contains("/networks/create") {
            (201, format!(r#"{{"Id":"{ID}","Warning":""}}"#))
        } else {
            (
                201,
                r#"{"Name":"alpha_v","Driver":"local","Labels":{}}"#.to_string(),
            )
        }
    })
}

const POLICY: &str = "apiVersion: fdcs/v1\nkind: Policy\nname: t\n\
    custom:\n  - id: team\n    match: { endpoints: [ContainerCreate, NetworkCreate, VolumeCreate] }\n    \
    expression: \"has(object.Labels) && 'team' in object.Labels\"\n    \
    message: \"a team label is required; add --label team=yours\"\n\
    enforcement:\n  privileges.capabilities: warn\n  privileges.sysctls: audit\n  custom.team: warn\n";

fn layer(metrics: &Arc<Metrics>) -> FdcsLayer {
    let alpha = TenantCredentials {
        tenant: Tenant::new(TenantId::new("alpha").unwrap()),
        tokens: vec!["alpha-token".into()],
        token_sha256: vec![],
        certificates: vec![],
    };
    FdcsLayer::new(
        SharedPolicy::new(Policy::from_yaml(POLICY, "t.yaml").unwrap()),
        Arc::new(TenantsAuth::new(vec![alpha]).unwrap()),
    )
    .metrics(Arc::clone(metrics))
}

async fn post(
    metrics: &Arc<Metrics>,
    engine: &Fake,
    target: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let r = Request::builder()
        .method("POST")
        .uri(target)
        .header("content-type", "application/json")
        .header("x-auth-token", "alpha-token")
        .header("x-auth-tenantid", "alpha")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp: Response<FdcsBody> = layer(metrics)
        .layer(engine.clone())
        .oneshot(r)
        .await
        .unwrap_or_else(|e: Infallible| match e {});
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    if let Some(len) = parts.headers.get("content-length") {
        let len: usize = len.to_str().unwrap().parse().unwrap();
        assert_eq!(len, bytes.len(), "content-length matches the body");
    }
    (parts.status, serde_json::from_slice(&bytes).unwrap())
}

fn count(m: &Metrics, sample: &str) -> u64 {
    m.render()
        .lines()
        .find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
        .unwrap_or(0)
}

fn forwarded_create(engine: &Fake, what: &str) -> serde_json::Value {
    let seen = engine.seen();
    let s = seen
        .iter()
        .find(|s| s.method == "POST" && s.target.contains(what))
        .unwrap_or_else(|| panic!("no {what} reached the engine: {seen:?}"));
    serde_json::from_slice(&s.body).unwrap()
}

#[tokio::test]
async fn a_warn_rule_reaches_the_create_answer_and_an_audit_rule_does_not() {
    let metrics = Arc::new(Metrics::default());
    let engine = engine();
    let (status, answer) = post(
        &metrics,
        &engine,
        "/v1.41/containers/create?name=web",
        serde_json::json!({"Image": "busybox", "HostConfig": {
            "CapAdd": ["NET_ADMIN"], "Sysctls": {"net.ipv4.ip_forward": "1"}}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let warnings: Vec<&str> = answer["Warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert_eq!(warnings[0], "from the engine");
    assert!(
        warnings[1].starts_with("fdcs: adding the capability `NET_ADMIN` is not allowed (rule privileges.capabilities, warn mode: allowed for now)"),
        "{warnings:?}"
    );
    assert!(
        warnings[2].contains("rule custom.team, warn mode"),
        "{warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("sysctls")),
        "audit mode told the client: {warnings:?}"
    );
    // forwarded as the client sent it
    let fwd = forwarded_create(&engine, "/containers/create");
    assert_eq!(
        fwd["HostConfig"]["CapAdd"],
        serde_json::json!(["NET_ADMIN"])
    );
    assert_eq!(fwd["HostConfig"]["Sysctls"]["net.ipv4.ip_forward"], "1");
    for (rule, mode) in [
        ("privileges.capabilities", "warn"),
        ("privileges.sysctls", "audit"),
        ("custom.team", "warn"),
    ] {
        let sample = format!("fdcs_policy_warnings_total{{rule=\"{rule}\",mode=\"{mode}\"}}");
        assert_eq!(
            count(&metrics, &sample),
            1,
            "{sample}\n{}",
            metrics.render()
        );
    }
    assert_eq!(
        count(&metrics, "fdcs_requests_total{verdict=\"rewrite\"}"),
        1
    );
}

#[tokio::test]
async fn a_network_create_answer_carries_the_warning_text() {
    let metrics = Arc::new(Metrics::default());
    let engine = engine();
    let (status, answer) = post(
        &metrics,
        &engine,
        "/v1.41/networks/create",
        serde_json::json!({"Name": "back"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let text = answer["Warning"].as_str().unwrap();
    assert!(text.contains("a team label is required"), "{text}");
    assert!(text.contains("rule custom.team, warn mode"), "{text}");
}

#[tokio::test]
async fn a_volume_create_has_no_place_for_warnings_and_is_still_counted() {
    let metrics = Arc::new(Metrics::default());
    let engine = engine();
    let (status, answer) = post(
        &metrics,
        &engine,
        "/v1.41/volumes/create",
        serde_json::json!({"Name": "vol1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(
        answer.get("Warnings").is_none() && answer.get("Warning").is_none(),
        "{answer}"
    );
    let sample = "fdcs_policy_warnings_total{rule=\"custom.team\",mode=\"warn\"}";
    assert_eq!(count(&metrics, sample), 1, "{}", metrics.render());
}

#[tokio::test]
async fn a_deny_rule_beside_a_warn_rule_refuses_and_forwards_nothing() {
    let metrics = Arc::new(Metrics::default());
    let engine = engine();
    let (status, answer) = post(
        &metrics,
        &engine,
        "/v1.41/containers/create?name=web",
        serde_json::json!({"Image": "busybox", "Labels": {"team": "a"},
            "HostConfig": {"CapAdd": ["NET_ADMIN"], "Privileged": true}}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let msg = answer["message"].as_str().unwrap();
    assert!(msg.contains("rule privileges.privileged"), "{msg}");
    let creates = engine
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.target.contains("/containers/create"))
        .count();
    assert_eq!(creates, 0);
    assert_eq!(
        count(
            &metrics,
            "fdcs_denials_total{rule=\"privileges.privileged\"}"
        ),
        1
    );
    let sample = "fdcs_policy_warnings_total{rule=\"privileges.capabilities\",mode=\"warn\"}";
    assert_eq!(
        count(&metrics, sample),
        0,
        "a denied request counts no warning"
    );
}

/// Adversary H3: a tenant's own text inside warn-mode warnings (quotes, a
/// forged `Warnings` entry, newlines, multi-byte characters) and a body that
/// repeats one violation thousands of times must leave the create answer one
/// valid JSON object with the engine's warning first, a right `Content-
/// Length`, a bounded list, and each rule counted once.
#[tokio::test]
async fn a_hostile_and_repeated_warning_keeps_the_create_answer_whole_and_bounded() {
    let metrics = Arc::new(Metrics::default());
    let engine = engine();
    let evil = "X\"],\"Warnings\":[\"forged\"],\"Id\":\"other\né\u{1b}[2J\r\nWARNING: fake";
    let mut caps = vec![evil.to_string()];
    caps.extend(std::iter::repeat_n("NET_ADMIN".to_string(), 5_000));
    let (status, answer) = post(
        &metrics,
        &engine,
        "/v1.41/containers/create?name=web",
        serde_json::json!({"Image": "busybox", "Labels": {"team": "a"},
            "HostConfig": {"CapAdd": caps}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["Id"], ID);
    let warnings = answer["Warnings"].as_array().unwrap();
    assert_eq!(warnings[0], "from the engine");
    assert!(warnings.len() <= 1 + 33, "{} warnings", warnings.len());
    assert!(!warnings.iter().any(|w| w == "forged"), "{warnings:?}");
    assert!(warnings[1].as_str().unwrap().contains(evil));
    assert_eq!(
        count(
            &metrics,
            "fdcs_policy_warnings_total{rule=\"privileges.capabilities\",mode=\"warn\"}"
        ),
        1,
        "{}",
        metrics.render()
    );
    // what reached the engine is what the client sent
    let fwd = forwarded_create(&engine, "/containers/create");
    assert_eq!(fwd["HostConfig"]["CapAdd"].as_array().unwrap().len(), 5_001);
}
