//! Client certificates as identity, at the layer: a request that carries a
//! verified [`ClientCertificate`] (the TLS listener's doing) is the tenant
//! the tenants file names it, with no headers; from the attacker's side, a
//! certificate of nobody, a certificate plus another tenant's headers, or
//! another tenant's token without a certificate get nothing.
//! The end-to-end proof with the docker CLI is tests/tests/tls.rs.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{CertificateName, Policy, Tenant, TenantId};
use fdcs_tower::{
    ClientCertificate, FdcsBody, FdcsLayer, SharedPolicy, TenantCredentials, TenantsAuth,
};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::convert::Infallible;
use std::sync::Arc;
use tower::{Layer, ServiceExt};

mod support;
use support::Fake;

/// A self-signed P-256 certificate: `CN=alpha`, SANs
/// `DNS:Alpha.Clients.Example, IP:127.0.0.1, email:ops@example.org`.
const ALPHA_DER: &[u8] = include_bytes!("fixtures/client-alpha.der");
/// Its SubjectPublicKeyInfo's SHA-256 (`openssl x509 -pubkey -noout |
/// openssl pkey -pubin -outform der | sha256sum`).
const ALPHA_SPKI: &str = "83355c7aaff871520914e780f921f791d4c271b8611f02f3e6a72f597d88c34a";

fn entry(id: &str, tokens: &[&str], certificates: Vec<CertificateName>) -> TenantCredentials {
    TenantCredentials {
        tenant: Tenant::new(TenantId::new(id).unwrap()),
        tokens: tokens.iter().map(|t| t.to_string()).collect(),
        token_sha256: vec![],
        certificates,
    }
}

fn layer(tenants: Vec<TenantCredentials>) -> FdcsLayer {
    FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(TenantsAuth::new(tenants).unwrap()),
    )
}

/// alpha by certificate only (by its CN), beta by token (and by a key
/// that is not alpha's).
fn mapped() -> FdcsLayer {
    layer(vec![
        entry(
            "alpha",
            &[],
            vec![CertificateName::CommonName("alpha".into())],
        ),
        entry(
            "beta",
            &["beta-token"],
            vec![CertificateName::SpkiSha256("00".repeat(32))],
        ),
    ])
}

fn alpha_cert() -> ClientCertificate {
    ClientCertificate::from_der(ALPHA_DER).unwrap()
}

fn req(cert: Option<ClientCertificate>, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut b = Request::builder()
        .method("GET")
        .uri("/v1.41/containers/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut r = b.body(Full::new(Bytes::new())).unwrap();
    if let Some(c) = cert {
        r.extensions_mut().insert(c);
    }
    r
}

async fn call(layer: FdcsLayer, fake: &Fake, r: Request<Full<Bytes>>) -> (StatusCode, String) {
    let resp: Response<FdcsBody> = layer
        .layer(fake.clone())
        .oneshot(r)
        .await
        .unwrap_or_else(|e: Infallible| match e {});
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status, String::from_utf8_lossy(&body).into_owned())
}

fn engine() -> Fake {
    Fake::new(|_, _| (200, "[]".into()))
}

/// The list reached the engine filtered to `tenant`'s own containers.
fn listed_for(fake: &Fake, tenant: &str) -> bool {
    let label = format!("fdcs.tenant={tenant}");
    fake.seen().iter().any(|s| {
        s.target.starts_with("/v1.41/containers/json")
            && percent_decoded(&s.target).contains(&label)
    })
}

fn percent_decoded(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_real_certificate_yields_its_names_and_key_digest() {
    let c = alpha_cert();
    assert_eq!(c.common_names(), ["alpha"]);
    assert_eq!(
        c.alt_names(),
        ["alpha.clients.example", "127.0.0.1", "ops@example.org"]
    );
    assert_eq!(c.spki_sha256(), ALPHA_SPKI);
}

#[tokio::test]
async fn a_mapped_certificate_is_its_tenant_without_any_header() {
    let fake = engine();
    let (status, body) = call(mapped(), &fake, req(Some(alpha_cert()), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(listed_for(&fake, "alpha"), "{:?}", fake.seen());
}

#[tokio::test]
async fn each_kind_of_certificate_name_identifies() {
    for name in [
        CertificateName::CommonName("alpha".into()),
        CertificateName::AltName("alpha.clients.example".into()),
        CertificateName::AltName("127.0.0.1".into()),
        CertificateName::SpkiSha256(ALPHA_SPKI.into()),
    ] {
        let fake = engine();
        let l = layer(vec![entry("gamma", &[], vec![name.clone()])]);
        let (status, body) = call(l, &fake, req(Some(alpha_cert()), &[])).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert!(listed_for(&fake, "gamma"), "{name}");
    }
}

#[tokio::test]
async fn a_certificate_with_headers_naming_another_tenant_is_refused() {
    // beta's own, valid token rides on alpha's certificate: refused, and
    // nothing reaches the engine
    let fake = engine();
    let (status, body) = call(
        mapped(),
        &fake,
        req(
            Some(alpha_cert()),
            &[("x-auth-token", "beta-token"), ("x-auth-tenantid", "beta")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body.contains("auth.certificate") || body.contains("names `beta`"),
        "{body}"
    );
    assert!(body.contains("is tenant `alpha`"), "{body}");
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());

    // headers that agree with the certificate are fine
    let fake = engine();
    let (status, body) = call(
        mapped(),
        &fake,
        req(Some(alpha_cert()), &[("x-auth-tenantid", "alpha")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(listed_for(&fake, "alpha"));
}

#[tokio::test]
async fn a_certificate_of_nobody_is_refused_even_with_a_valid_token() {
    // the file maps certificates, this one is none of them: the token of
    // beta does not make it beta
    let fake = engine();
    let l = layer(vec![
        entry(
            "alpha",
            &[],
            vec![CertificateName::CommonName("not-alpha".into())],
        ),
        entry("beta", &["beta-token"], vec![]),
    ]);
    let (status, body) = call(
        l,
        &fake,
        req(
            Some(alpha_cert()),
            &[("x-auth-token", "beta-token"), ("x-auth-tenantid", "beta")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("is not any tenant's"), "{body}");
    assert!(body.contains("CN `alpha`"), "{body}");
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn a_certificate_whose_names_map_to_two_tenants_is_refused() {
    let fake = engine();
    let l = layer(vec![
        entry(
            "alpha",
            &[],
            vec![CertificateName::CommonName("alpha".into())],
        ),
        entry(
            "beta",
            &[],
            vec![CertificateName::SpkiSha256(ALPHA_SPKI.into())],
        ),
    ]);
    let (status, body) = call(l, &fake, req(Some(alpha_cert()), &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("more than one tenant"), "{body}");
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn without_certificate_mappings_the_headers_identify_as_before() {
    // no tenant is named by certificate: the certificate only let the
    // client connect, the token says who it is
    let fake = engine();
    let l = layer(vec![entry("beta", &["beta-token"], vec![])]);
    let (status, body) = call(
        l,
        &fake,
        req(
            Some(alpha_cert()),
            &[("x-auth-token", "beta-token"), ("x-auth-tenantid", "beta")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(listed_for(&fake, "beta"));
}

#[tokio::test]
async fn a_certificate_only_tenant_cannot_be_reached_by_headers() {
    // alpha has no token: no header, no guess gets in as alpha
    let fake = engine();
    for token in ["", "alpha", "alpha-token"] {
        let (status, body) = call(
            mapped(),
            &fake,
            req(
                None,
                &[("x-auth-token", token), ("x-auth-tenantid", "alpha")],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
    }
    assert!(fake.seen().is_empty());
}

#[test]
fn two_tenants_cannot_share_a_certificate_name() {
    let e = TenantsAuth::new(vec![
        entry("alpha", &[], vec![CertificateName::CommonName("x".into())]),
        entry("beta", &[], vec![CertificateName::CommonName("x".into())]),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("`alpha` and `beta`"), "{e}");
    // and a tenant with neither tokens nor certificates is a mistake
    assert!(TenantsAuth::new(vec![entry("alpha", &[], vec![])]).is_err());
}

// --- attacks (fixtures: fixtures/make-attack-certs.py) ---

fn fixture(der: &[u8]) -> ClientCertificate {
    ClientCertificate::from_der(der).unwrap()
}

/// alpha and beta, each by its CN.
fn by_cn() -> FdcsLayer {
    layer(vec![
        entry(
            "alpha",
            &[],
            vec![CertificateName::CommonName("alpha".into())],
        ),
        entry(
            "beta",
            &[],
            vec![CertificateName::CommonName("beta".into())],
        ),
    ])
}

async fn refused(layer: FdcsLayer, cert: ClientCertificate, headers: &[(&str, &str)]) -> String {
    let fake = engine();
    let (status, body) = call(layer, &fake, req(Some(cert), headers)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    body
}

#[tokio::test]
async fn a_subject_with_two_common_names_of_two_tenants_is_ambiguous() {
    let c = fixture(include_bytes!("fixtures/cn-alpha-cn-beta.der"));
    assert_eq!(c.common_names(), ["alpha", "beta"]);
    let body = refused(by_cn(), c, &[]).await;
    assert!(body.contains("more than one tenant"), "{body}");
}

#[tokio::test]
async fn a_bmpstring_common_name_is_read_not_skipped() {
    // CN=alpha (UTF8String) + CN=beta (BMPString): skipping the BMPString
    // made this alpha, hiding that it names beta too
    let c = fixture(include_bytes!("fixtures/cn-alpha-bmp-beta.der"));
    assert_eq!(c.common_names(), ["alpha", "beta"]);
    let body = refused(by_cn(), c, &[]).await;
    assert!(body.contains("more than one tenant"), "{body}");
}

#[test]
fn a_common_name_that_cannot_be_read_fails_the_certificate() {
    // T61String: no reliable text; dropping it would hide a name
    let der = include_bytes!("fixtures/cn-alpha-t61-beta.der");
    assert!(ClientCertificate::from_der(der).is_err());
}

#[test]
fn a_second_subject_alt_name_extension_fails_the_certificate() {
    // duplicate extensions: reading neither (as before) would hide names
    let der = include_bytes!("fixtures/two-san-extensions.der");
    assert!(ClientCertificate::from_der(der).is_err());
}

#[tokio::test]
async fn a_san_and_a_cn_of_the_same_text_are_different_names() {
    // alpha is cn `x`, beta is san `x`; the certificate has DNS:x and
    // CN=nobody: it is beta, not ambiguous and not alpha
    let l = layer(vec![
        entry("alpha", &[], vec![CertificateName::CommonName("x".into())]),
        entry("beta", &[], vec![CertificateName::AltName("x".into())]),
    ]);
    let fake = engine();
    let c = fixture(include_bytes!("fixtures/sans.der"));
    let (status, body) = call(l, &fake, req(Some(c), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(listed_for(&fake, "beta"));
}

fn sans() -> ClientCertificate {
    fixture(include_bytes!("fixtures/sans.der"))
}

async fn san_is(file_san: &str) -> bool {
    let l = layer(vec![entry(
        "gamma",
        &[],
        vec![CertificateName::AltName(file_san.to_string())],
    )]);
    let fake = engine();
    let (status, _) = call(l, &fake, req(Some(sans()), &[])).await;
    status == StatusCode::OK && listed_for(&fake, "gamma")
}

#[tokio::test]
async fn alt_names_match_by_their_kind_s_rules() {
    let c = sans();
    assert!(
        c.alt_names().contains(&"shared.example.".to_string()),
        "{:?}",
        c.alt_names()
    );
    // DNS names ignore case; a trailing dot is another name (fails closed)
    assert!(san_is("shared.example.").await);
    assert!(!san_is("shared.example").await);
    // IPv6 in its canonical form; an IPv4-mapped address is not the IPv4 one
    assert!(san_is("2001:db8::1").await);
    assert!(!san_is("10.0.0.1").await);
    assert!(san_is("::ffff:10.0.0.1").await);
    // a URI's path is case-sensitive: spiffe://td/tenant/alpha is another
    // workload than .../Alpha
    assert!(san_is("spiffe://td/tenant/Alpha").await);
    assert!(!san_is("spiffe://td/tenant/alpha").await);
}

#[tokio::test]
async fn tenant_header_tricks_with_a_certificate_are_refused() {
    let c = alpha_cert();
    // two headers, even both alpha: ambiguous, refused
    let mut r = req(Some(c.clone()), &[]);
    r.headers_mut()
        .append("x-auth-tenantid", "alpha".parse().unwrap());
    r.headers_mut()
        .append("x-auth-tenantid", "beta".parse().unwrap());
    let fake = engine();
    let (status, body) = call(mapped(), &fake, r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(fake.seen().is_empty());
    for claimed in ["beta ", "BETA", "", "alpha,beta"] {
        refused(mapped(), c.clone(), &[("x-auth-tenantid", claimed)]).await;
    }
}

#[tokio::test]
async fn a_reload_remaps_a_kept_connection_s_certificate_on_its_next_request() {
    // the listener reads the certificate once per connection and the layer
    // maps it per request: after a SIGHUP reload (TenantsAuth::replace) the
    // same certificate is whoever the new file says, or nobody
    let auth = Arc::new(
        TenantsAuth::new(vec![entry(
            "alpha",
            &[],
            vec![CertificateName::CommonName("alpha".into())],
        )])
        .unwrap(),
    );
    let l = FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::clone(&auth) as Arc<dyn fdcs_tower::Authenticate>,
    );
    let fake = engine();
    let (status, _) = call(l.clone(), &fake, req(Some(alpha_cert()), &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed_for(&fake, "alpha"));

    // the mapping moves to beta: the certificate is beta now
    auth.replace(vec![
        entry("alpha", &["alpha-token"], vec![]),
        entry(
            "beta",
            &[],
            vec![CertificateName::AltName("alpha.clients.example".into())],
        ),
    ])
    .unwrap();
    let fake = engine();
    let (status, _) = call(l.clone(), &fake, req(Some(alpha_cert()), &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(listed_for(&fake, "beta") && !listed_for(&fake, "alpha"));

    // no mapping left: the certificate is nobody, headers are needed
    auth.replace(vec![entry("alpha", &["alpha-token"], vec![])])
        .unwrap();
    let fake = engine();
    let (status, body) = call(l, &fake, req(Some(alpha_cert()), &[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(fake.seen().is_empty());
}
