//! Attacks on registries and images (DESIGN.md invariants 10 and 11),
//! written as a hostile tenant would send them.
//!
//! Each test is named after the attack and asserts the SAFE outcome: the
//! daemon is asked to contact only a registry the policy lists, with
//! credentials judged and re-encoded, and an image of a private registry
//! exists only for the tenant that pulled it. Tenant `alpha` is the
//! attacker; `beta` pulled the private image `reg.example:5000/app:1`, so
//! the engine holds it under that name and under beta's claim
//! `fdcs.invalid/beta/reg.example__5000/app:1`.
//!
//! A test whose name starts with `regression_` is an attack that got
//! through when the feature first landed (found by an adversarial review)
//! and was closed since; a new hole is named `hole_` and fails until it is
//! closed (deliberately not `#[ignore]`d).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::sync::OnceLock;

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use fdcs_policy::image::{may_be_id_prefix, ImagePattern};
use fdcs_policy::{
    judge, rewrite_answer, Denial, Facts, Forward, ImageFacts, Obligation, Policy, Request,
    ResponsePlan, ResponseRewrite, Tenant, TenantId, TenantLimits, Verdict,
};
use proptest::prelude::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------- world --

/// The default policy's text, with the private registry listed and the
/// given images flags set.
fn policy_yaml(flags: &[(&str, &str)]) -> String {
    let mut src = include_str!("../../policies/default.yaml").replace(
        "registries: [docker.io]",
        r#"registries: [docker.io, "reg.example:5000"]"#,
    );
    assert!(src.contains(r#""reg.example:5000""#));
    for (from, to) in flags {
        assert!(src.contains(from), "{from}");
        src = src.replace(from, to);
    }
    src
}

const PRIVATE_YAML: &[(&str, &str)] = &[];
const BUILD_YAML: &[(&str, &str)] = &[("allowBuild: false", "allowBuild: true")];
const MANAGE_YAML: &[(&str, &str)] = &[("allowManage: false", "allowManage: true")];
const PUSH_YAML: &[(&str, &str)] = &[("allowPush: false", "allowPush: true")];

fn default_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::embedded_default().unwrap())
}

fn load(cell: &'static OnceLock<Policy>, flags: &[(&str, &str)]) -> &'static Policy {
    cell.get_or_init(|| Policy::from_yaml(&policy_yaml(flags), "registry_attacks.yaml").unwrap())
}

/// docker.io (shared) and reg.example:5000 (private).
fn private_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    load(&P, PRIVATE_YAML)
}

fn build_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    load(&P, BUILD_YAML)
}

fn manage_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    load(&P, MANAGE_YAML)
}

fn push_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    load(&P, PUSH_YAML)
}

fn tenant(id: &str) -> Tenant {
    Tenant::new(TenantId::new(id).unwrap())
}

fn alpha() -> Tenant {
    tenant("alpha")
}

fn beta() -> Tenant {
    tenant("beta")
}

fn hex(fill: &str) -> String {
    fill.repeat(64 / fill.len())
}

/// Beta's private image (pulled from reg.example:5000).
fn beta_image_id() -> String {
    format!("sha256:{}", hex("be"))
}
/// The manifest digest of beta's private image.
fn beta_digest() -> String {
    format!("sha256:{}", hex("d1"))
}
fn shared_image_id() -> String {
    format!("sha256:{}", hex("5a"))
}
fn alpha_image_id() -> String {
    format!("sha256:{}", hex("a1"))
}

const BETA_CLAIM: &str = "fdcs.invalid/beta/reg.example__5000/app:1";

fn beta_image() -> ImageFacts {
    ImageFacts {
        id: beta_image_id(),
        repo_tags: vec!["reg.example:5000/app:1".into(), BETA_CLAIM.into()],
        repo_digests: vec![format!("reg.example:5000/app@{}", beta_digest())],
        ..ImageFacts::default()
    }
}

fn shared_image() -> ImageFacts {
    ImageFacts {
        id: shared_image_id(),
        repo_tags: vec!["busybox:latest".into()],
        repo_digests: vec![format!("busybox@sha256:{}", hex("bb"))],
        ..ImageFacts::default()
    }
}

fn alpha_private_image() -> ImageFacts {
    ImageFacts {
        id: alpha_image_id(),
        repo_tags: vec![
            "reg.example:5000/mine:1".into(),
            "fdcs.invalid/alpha/reg.example__5000/mine:1".into(),
        ],
        repo_digests: vec![format!("reg.example:5000/mine@sha256:{}", hex("a2"))],
        ..ImageFacts::default()
    }
}

fn req(method: &str, target: &str, body: impl Into<Vec<u8>>) -> Request {
    Request::new(method, target, body)
}

/// Judges, answering every `Owned` obligation with "nothing owned" (the
/// image obligations are what these tests are about).
fn settle(p: &Policy, t: &Tenant, r: &Request, facts: &Facts) -> Verdict {
    let mut facts = facts.clone();
    for _ in 0..8 {
        match judge(p, t, r, &facts) {
            // the tenant owns nothing: no resources, no usage; an image
            // named by name (what a create runs, once resolved) is there
            // and declares no EXPOSE or VOLUME
            Verdict::Need(obs)
                if obs.iter().all(|o| match o {
                    Obligation::Owned { .. } | Obligation::Usage => true,
                    Obligation::Image { reference } => !may_be_id_prefix(reference),
                    _ => false,
                }) =>
            {
                for o in obs {
                    match o {
                        Obligation::Owned { kind } => facts.set_owned(kind, Vec::new()),
                        Obligation::Image { reference } => {
                            facts.images.insert(reference, Some(ImageFacts::default()));
                        }
                        _ => facts.usage = Some(Default::default()),
                    }
                }
            }
            v => return v,
        }
    }
    panic!("the judge keeps asking for facts")
}

fn as_alpha(p: &Policy, method: &str, target: &str, body: &[u8]) -> Verdict {
    settle(
        p,
        &alpha(),
        &req(method, target, body.to_vec()),
        &Facts::default(),
    )
}

#[track_caller]
fn denied(v: Verdict) -> Denial {
    match v {
        Verdict::Deny(d) => d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

/// Any refusal that forwards nothing: 400 malformed, 403 policy or 404.
#[track_caller]
fn refused(v: Verdict, what: &str) -> Denial {
    match v {
        Verdict::Deny(d) => {
            assert!(matches!(d.status, 400 | 403 | 404), "{what}: {d:?}");
            d
        }
        other => panic!("{what}: expected a denial, got {other:?}"),
    }
}

#[track_caller]
fn assert_rule(v: Verdict, status: u16, rule: &str) -> Denial {
    let d = denied(v);
    assert_eq!(
        (d.status, d.rule.as_deref()),
        (status, Some(rule)),
        "{}",
        d.message
    );
    d
}

#[track_caller]
fn assert_not_found(v: Verdict, given: &str) {
    let d = denied(v);
    assert_eq!((d.status, d.rule.as_deref()), (404, None), "{}", d.message);
    assert_eq!(d.message, format!("No such image: {given}"));
}

#[track_caller]
fn forwarded(v: Verdict) -> Forward {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unpct(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The forwarded query as decoded pairs.
fn pairs(f: &Forward) -> Vec<(String, String)> {
    f.query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unpct(k), unpct(v))
        })
        .collect()
}

fn one(f: &Forward, key: &str) -> String {
    let vals: Vec<String> = pairs(f)
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(vals.len(), 1, "exactly one `{key}` in {:?}", f.query);
    vals[0].clone()
}

fn pull(p: &Policy, t: &Tenant, from: &str, tag: &str) -> Verdict {
    let target = format!(
        "/v1.41/images/create?fromImage={}&tag={}",
        pct(from),
        pct(tag)
    );
    settle(p, t, &req("POST", &target, Vec::new()), &Facts::default())
}

fn header(json: &str) -> String {
    URL_SAFE.encode(json)
}

fn decoded_header(h: &str) -> Value {
    let bytes = URL_SAFE
        .decode(h)
        .or_else(|_| URL_SAFE_NO_PAD.decode(h))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn create_body(image: &str) -> Vec<u8> {
    json!({"Image": image, "HostConfig": {}})
        .to_string()
        .into_bytes()
}

fn create_as(p: &Policy, t: &Tenant, version: &str, body: Vec<u8>, facts: &Facts) -> Verdict {
    settle(
        p,
        t,
        &req("POST", &format!("/{version}/containers/create"), body),
        facts,
    )
}

fn forwarded_image(f: &Forward) -> String {
    f.body.as_ref().unwrap()["Image"]
        .as_str()
        .unwrap()
        .to_string()
}

// ----------------------------------- invariant 10: registry spellings --

/// Every way of naming a registry other than Docker Hub that the default
/// policy must refuse (it lists docker.io only). The daemon sits on the
/// host's network: each of these is somewhere it must not connect.
const FOREIGN: &[&str] = &[
    "2130706433:5000/x",
    "0x7f.1/x",
    "0x7f.1:5000/x",
    "0X7F000001/x",
    "0177.0.0.1/x",
    "0177.1:5000/x",
    "127.1/x",
    "127.0.0.1/x",
    "127.0.0.1:5000/x",
    "127.0.0.1:2375/x",
    "169.254.169.254/latest",
    "10.0.0.1/x",
    "[::1]:5000/x",
    "[::1]/x",
    "[::ffff:127.0.0.1]:5000/x",
    "[fe80::1]/x",
    "localhost/x",
    "localhost:5000/x",
    "LOCALHOST:5000/x",
    "LocalHost/x",
    "x.localhost/x",
    "localhost./x",
    "docker.io./library/busybox",
    "docker.io:80/library/busybox",
    "docker.io:5000/library/busybox",
    "index.docker.io./library/busybox",
    "evil.example/x",
    "EVIL.EXAMPLE/x",
    "Evil.Example:443/x",
    "busybox.attacker.example/evil",
    "Foo/bar",
    "fOO/bar",
    "reg.example:5000/app",
    "REG.EXAMPLE:5000/app",
    "reg.example/app",
    "registry-1.docker.io/library/busybox",
];

#[test]
fn pull_from_any_foreign_registry_spelling_is_refused_by_default() {
    for from in FOREIGN {
        for tag in ["1", "latest", ""] {
            let d = refused(pull(default_policy(), &alpha(), from, tag), from);
            if d.status == 403 {
                assert!(
                    matches!(
                        d.rule.as_deref(),
                        Some("images.registry" | "images.reserved" | "images.pull")
                    ),
                    "{from}:{tag}: {d:?}"
                );
            }
        }
        // with the tag inside fromImage, and with a digest
        let d = refused(
            pull(default_policy(), &alpha(), &format!("{from}:1"), ""),
            from,
        );
        assert_ne!(d.rule.as_deref(), Some("images.pull"), "{from}: {d:?}");
        let dig = format!("{from}@sha256:{}", hex("ab"));
        refused(pull(default_policy(), &alpha(), &dig, ""), &dig);
    }
}

#[test]
fn pull_of_a_numeric_first_component_without_dot_or_colon_is_docker_hub() {
    // splitDockerDomain: `2130706433/x` is the Hub namespace `2130706433`.
    let f = forwarded(pull(default_policy(), &alpha(), "2130706433/x", "1"));
    assert_eq!(one(&f, "fromImage"), "docker.io/2130706433/x");
}

#[test]
fn regression_docker_hub_in_another_case_or_with_port_443_is_another_registry_to_the_daemon() {
    // The daemon rewrites only the exact `docker.io` / `index.docker.io` to
    // Docker Hub (registry-1.docker.io, the operator's registry-mirrors).
    // `Docker.IO/...` or `docker.io:443/...` is a plain registry at the
    // host docker.io: not the listed registry, though `registry_key` folds
    // it into `docker.io`; the image is then shared as if from the Hub.
    for from in [
        "Docker.IO/library/busybox",
        "DOCKER.IO/library/busybox",
        "docker.io:443/library/busybox",
        "INDEX.DOCKER.IO/library/busybox",
        "index.docker.io:443/library/busybox",
    ] {
        let v = pull(default_policy(), &alpha(), from, "1");
        if let Some(f) = v.forward() {
            assert_eq!(
                one(f, "fromImage"),
                "docker.io/library/busybox",
                "`{from}` forwarded as another registry than docker.io"
            );
        }
    }
}

#[test]
fn pull_from_loopback_names_the_rule_and_the_allowed_registries() {
    let d = assert_rule(
        pull(default_policy(), &alpha(), "127.0.0.1:5000/x", "1"),
        403,
        "images.registry",
    );
    assert!(d.message.contains("docker.io"), "{}", d.message);
    assert!(d.message.contains("127.0.0.1:5000"), "{}", d.message);
    assert_eq!(d.field.as_deref(), Some("fromImage"));
}

#[test]
fn pull_from_near_misses_of_the_listed_private_registry_is_refused() {
    // Only `reg.example:5000` exactly is listed.
    for from in [
        "reg.example/app",
        "reg.example:5001/app",
        "reg.example:05000/app",
        "reg.example.:5000/app",
        "reg.example:5000./app",
        "reg.example:5000.evil.example/app",
        "u@reg.example:5000/app",
        "reg.example:5000@evil.example/app",
        "reg.example%3A5000/app",
        "sub.reg.example:5000/app",
        "example:5000/app",
        "reg.example:443/app",
        "xn--reg-example:5000/app",
        "reg\u{2024}example:5000/app",
        "\u{ff52}eg.example:5000/app",
    ] {
        refused(pull(private_policy(), &alpha(), from, "1"), from);
    }
}

#[test]
fn pull_from_the_listed_private_registry_forwards_its_canonical_name() {
    for from in [
        "reg.example:5000/app",
        "REG.EXAMPLE:5000/app",
        "Reg.Example:5000/app",
    ] {
        let f = forwarded(pull(private_policy(), &alpha(), from, "1"));
        assert_eq!(one(&f, "fromImage"), "reg.example:5000/app", "{from}");
        assert_eq!(one(&f, "tag"), "1");
        let ResponsePlan::Pull { claim: Some(c) } = &f.response else {
            panic!("a private pull must be claimed: {:?}", f.response);
        };
        assert_eq!(c.repo, "fdcs.invalid/alpha/reg.example__5000/app");
        assert_eq!(c.tag, "1");
    }
    // a shared pull records nothing
    let f = forwarded(pull(private_policy(), &alpha(), "busybox", "1"));
    assert_eq!(one(&f, "fromImage"), "docker.io/library/busybox");
    assert!(matches!(f.response, ResponsePlan::Pull { claim: None }));
}

#[test]
fn pull_with_percent_encoded_registry_is_judged_decoded() {
    for q in [
        "fromImage=127.0.0.1%3A5000%2Fx&tag=1",
        "fromImage=%6cocalhost%2Fx&tag=1",
        "fromImage=%31%32%37%2E%31/x&tag=1",
        "fromImage=evil%2Eexample/x&tag=1",
        "fromImage=%5B%3A%3A1%5D%3A5000/x&tag=1",
        "from%49mage=evil.example/x&tag=1",
    ] {
        let v = as_alpha(
            default_policy(),
            "POST",
            &format!("/v1.41/images/create?{q}"),
            b"",
        );
        refused(v, q);
    }
}

#[test]
fn pull_with_duplicate_from_image_is_judged_on_the_first_as_go_reads_it() {
    // Go's Form.Get takes the first value.
    let v = as_alpha(
        default_policy(),
        "POST",
        "/v1.41/images/create?fromImage=evil.example/x&fromImage=busybox&tag=1",
        b"",
    );
    refused(v, "evil first");
    let f = forwarded(as_alpha(
        default_policy(),
        "POST",
        "/v1.41/images/create?fromImage=busybox&fromImage=evil.example/x&tag=1&tag=x",
        b"",
    ));
    assert_eq!(one(&f, "fromImage"), "docker.io/library/busybox");
    assert_eq!(one(&f, "tag"), "1");
    assert!(
        !f.query.as_deref().unwrap().contains("evil"),
        "{:?}",
        f.query
    );
}

#[test]
fn pull_tag_carrying_a_path_or_host_is_refused() {
    for tag in [
        "/evil.example/x",
        "../../evil.example/x",
        "evil.example/x:1",
        "1/../../x",
        "1@sha256:0000",
        ":1",
        "-1",
        ".1",
        "1 ",
        "1\n",
        &"t".repeat(129),
    ] {
        refused(pull(default_policy(), &alpha(), "busybox", tag), tag);
    }
}

#[test]
fn pull_tag_that_is_a_digest_pulls_that_digest_only() {
    let d = format!("sha256:{}", hex("ab"));
    let f = forwarded(pull(default_policy(), &alpha(), "busybox:1", &d));
    assert_eq!(one(&f, "fromImage"), "docker.io/library/busybox");
    assert_eq!(one(&f, "tag"), d);
    // a digest with a bad length or case is no digest and no tag
    for bad in [
        format!("sha256:{}", &hex("ab")[..63]),
        format!("sha256:{}", hex("AB")),
        format!("md5:{}", &hex("ab")[..32]),
    ] {
        refused(pull(default_policy(), &alpha(), "busybox", &bad), &bad);
    }
    // a private pull by digest is claimed by digest
    let f = forwarded(pull(private_policy(), &alpha(), "reg.example:5000/app", &d));
    let ResponsePlan::Pull { claim: Some(c) } = &f.response else {
        panic!("{:?}", f.response)
    };
    assert_eq!(c.tag, format!("sha256-{}", hex("ab")));
}

#[test]
fn pull_of_every_tag_is_refused() {
    for (from, tag) in [
        ("busybox", ""),
        ("busybox:", ""),
        ("docker.io/library/busybox:", ""),
        ("reg.example:5000/app", ""),
        ("reg.example:5000/app:", ""),
    ] {
        let d = refused(pull(private_policy(), &alpha(), from, tag), from);
        assert_eq!(d.status, 403, "{from}: {d:?}");
    }
    // docker pull -a: fromImage=busybox: and no tag key at all
    refused(
        as_alpha(
            default_policy(),
            "POST",
            "/v1.41/images/create?fromImage=busybox%3A",
            b"",
        ),
        "pull -a",
    );
    refused(
        as_alpha(
            default_policy(),
            "POST",
            "/v1.41/images/create?fromImage=",
            b"",
        ),
        "empty fromImage",
    );
    refused(
        as_alpha(default_policy(), "POST", "/v1.41/images/create", b""),
        "no fromImage",
    );
}

#[test]
fn pull_forwards_only_the_judged_parameters() {
    let f = forwarded(as_alpha(
        default_policy(),
        "POST",
        "/v1.41/images/create?fromImage=busybox&tag=1&repo=evil.example/x&fromSrc=&message=m&changes=CMD+x",
        b"",
    ));
    let keys: Vec<String> = pairs(&f).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["fromImage", "tag"], "{:?}", f.query);
}

#[test]
fn import_from_a_url_is_refused() {
    for q in [
        "fromSrc=http://127.0.0.1:2375/containers/json",
        "fromSrc=http%3A%2F%2F169.254.169.254%2F",
        "fromSrc=https://evil.example/x.tar",
        "fromSrc=file:///etc/shadow",
        "fromSrc=-",
    ] {
        for p in [default_policy(), private_policy()] {
            refused(
                as_alpha(p, "POST", &format!("/v1.41/images/create?{q}"), b""),
                q,
            );
        }
        let v = as_alpha(
            manage_policy(),
            "POST",
            &format!("/v1.41/images/create?{q}"),
            b"",
        );
        if q != "fromSrc=-" {
            refused(v, q);
        }
    }
}

#[test]
fn regression_import_with_from_image_makes_the_daemon_pull_unjudged() {
    // moby's postImagesCreate pulls when `fromImage` is set and only
    // imports otherwise; fdcs reads `fromSrc` first and forwards the
    // query as it is, so the daemon pulls from the tenant's registry.
    let v = as_alpha(
        manage_policy(),
        "POST",
        "/v1.41/images/create?fromSrc=-&fromImage=127.0.0.1:5000/x&tag=1",
        b"",
    );
    if let Some(f) = v.forward() {
        let q = f.query.clone().unwrap_or_default();
        assert!(
            !pairs(f)
                .iter()
                .any(|(k, v)| k == "fromImage" && !v.is_empty()),
            "forwarded an import whose fromImage the daemon pulls: {q}"
        );
    }
}

#[test]
fn regression_import_may_tag_the_reserved_claim_registry() {
    // `docker import - fdcs.invalid/beta/reg.example__5000/app:1` forges
    // beta's claim: beta's `docker run reg.example:5000/app:1` then runs
    // alpha's archive.
    let v = as_alpha(
        manage_policy(),
        "POST",
        "/v1.41/images/create?fromSrc=-&repo=fdcs.invalid/beta/reg.example__5000/app&tag=1",
        b"",
    );
    assert_rule(v, 403, "images.reserved");
}

// ------------------------------------------------ search, distribution --

#[test]
fn search_of_a_foreign_registry_is_refused() {
    for term in [
        "127.0.0.1:5000/x",
        "localhost/x",
        "evil.example/x",
        "2130706433:80/x",
        "[::1]:5000/x",
        "docker.io./x",
        "reg.example:5000/x",
        "evil.example/",
        "fdcs.invalid/beta",
    ] {
        let t = format!("/v1.41/images/search?term={}", pct(term));
        refused(as_alpha(default_policy(), "GET", &t, b""), term);
        let t = format!("/v1.41/images/search?term={}&limit=1", term);
        refused(as_alpha(default_policy(), "GET", &t, b""), term);
    }
    refused(
        as_alpha(
            default_policy(),
            "GET",
            "/v1.41/images/search?term=%6cocalhost%2Fx",
            b"",
        ),
        "encoded",
    );
    refused(
        as_alpha(
            default_policy(),
            "GET",
            "/v1.41/images/search?term=evil.example/x&term=busybox",
            b"",
        ),
        "first term",
    );
}

#[test]
fn search_on_docker_hub_forwards_only_the_first_term() {
    for term in ["busybox", "Foo/bar", "LOCALHOST/x", "team/app"] {
        let t = format!("/v1.41/images/search?term={}", pct(term));
        forwarded(as_alpha(default_policy(), "GET", &t, b""));
    }
    let f = forwarded(as_alpha(
        default_policy(),
        "GET",
        "/v1.41/images/search?term=busybox&term=evil.example/x",
        b"",
    ));
    assert!(!f.query.unwrap_or_default().contains("evil"));
}

#[test]
fn distribution_inspect_of_a_foreign_registry_is_refused() {
    for name in [
        "127.0.0.1:5000/x",
        "127.0.0.1:5000/x:1",
        "localhost/x",
        "LOCALHOST:5000/x",
        "evil.example/x@sha256:".to_string().leak(),
        "[::1]:5000/x",
        "0x7f.1/x",
        "docker.io./library/busybox",
        "fdcs.invalid/beta/reg.example__5000/app:1",
        "Foo/bar",
    ] {
        let p = format!("/v1.41/distribution/{name}/json");
        refused(as_alpha(default_policy(), "GET", &p, b""), name);
    }
    for p in [
        "/v1.41/distribution/127.0.0.1%3A5000%2Fx/json",
        "/v1.41/distribution/evil.example%2Fx/json",
        &format!("/v1.41/distribution/{}/json", hex("ab")),
        &format!("/v1.41/distribution/sha256:{}/json", hex("ab")),
    ] {
        refused(as_alpha(default_policy(), "GET", p, b""), p);
    }
    forwarded(as_alpha(
        default_policy(),
        "GET",
        "/v1.41/distribution/busybox:1/json",
        b"",
    ));
    forwarded(as_alpha(
        private_policy(),
        "GET",
        "/v1.41/distribution/reg.example:5000/app:1/json",
        b"",
    ));
}

#[test]
fn plugin_pull_and_install_are_refused() {
    for (m, p) in [
        ("POST", "/v1.41/plugins/pull?remote=127.0.0.1:5000/x&name=x"),
        ("POST", "/v1.41/plugins/pull?remote=vieux/sshfs"),
        ("POST", "/v1.41/plugins/x/upgrade?remote=evil.example/x"),
        ("GET", "/v1.41/plugins/privileges?remote=evil.example/x"),
        ("POST", "/v1.41/plugins/x/push"),
    ] {
        refused(as_alpha(default_policy(), m, p, b""), p);
    }
}

// --------------------------------------------------------------- login --

fn login(p: &Policy, body: &str) -> Verdict {
    as_alpha(p, "POST", "/v1.41/auth", body.as_bytes())
}

#[test]
fn login_to_a_foreign_registry_is_refused() {
    for addr in [
        "127.0.0.1:5000",
        "https://127.0.0.1:5000/v2/",
        "http://2130706433",
        "localhost",
        "https://LOCALHOST:5000",
        "[::1]:5000",
        "evil.example",
        "https://evil.example/v1/",
        "docker.io.",
        "https://docker.io./",
        "reg.example:5000",
        "169.254.169.254",
    ] {
        let d = refused(
            login(
                default_policy(),
                &json!({"serveraddress": addr}).to_string(),
            ),
            addr,
        );
        assert!(matches!(d.status, 400 | 403), "{addr}: {d:?}");
        if d.status == 403 {
            assert_eq!(d.rule.as_deref(), Some("images.registry"), "{addr}: {d:?}");
        }
    }
}

#[test]
fn login_scheme_userinfo_and_path_tricks_are_refused() {
    for addr in [
        "https://evil@docker.io",
        "https://docker.io@evil.example",
        "docker.io@evil.example",
        "u:p@docker.io",
        "HTTPS://docker.io",
        "Https://evil.example",
        "https:docker.io",
        "https:/evil.example",
        "//evil.example",
        "https:///docker.io",
        "ftp://docker.io",
        "https://docker.io\\@evil.example",
        "https://docker.io%40evil.example",
        "https://docker.io:/",
        "https://docker.io:x/",
        "https://docker.io /",
        "https://docker.io\t",
        "https://docker.io\u{0}",
        "https://do\u{0441}ker.io",
    ] {
        let d = refused(
            login(
                default_policy(),
                &json!({"serveraddress": addr}).to_string(),
            ),
            addr,
        );
        assert!(matches!(d.status, 400 | 403), "{addr}: {d:?}");
    }
}

#[test]
fn login_to_docker_hub_forwards_the_judged_body() {
    for addr in [
        "",
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "https://docker.io/../evil.example",
        "https://docker.io#@evil.example",
        "https://docker.io?x=@evil.example",
    ] {
        let body = json!({"username": "u", "password": "p", "serveraddress": addr}).to_string();
        let f = forwarded(login(default_policy(), &body));
        let b = f.body.expect("the judged body is forwarded");
        assert_eq!(b["username"], "u", "{addr}");
        assert!(!b.to_string().contains("evil.example@"), "{b}");
    }
}

#[test]
fn login_body_case_variant_and_duplicate_keys_are_read_as_go_reads_them() {
    // Go: case-insensitive keys, the last duplicate wins.
    let bad = [
        r#"{"serveraddress":"docker.io","ServerAddress":"evil.example"}"#,
        r#"{"ServerAddress":"docker.io","SERVERADDRESS":"127.0.0.1:5000"}"#,
        r#"{"serveraddress":"docker.io","serveraddress":"localhost"}"#,
        r#"{"SeRvErAdDrEsS":"evil.example"}"#,
    ];
    for b in bad {
        refused(login(default_policy(), b), b);
    }
    let f = forwarded(login(
        default_policy(),
        r#"{"ServerAddress":"evil.example","serveraddress":"docker.io","Username":"u"}"#,
    ));
    let b = f.body.unwrap();
    assert!(!b.to_string().contains("evil"), "{b}");
    assert!(!b.to_string().contains("ServerAddress"), "{b}");
}

#[test]
fn login_body_unknown_or_mistyped_fields_are_refused() {
    for b in [
        r#"{"serveraddress":"docker.io","realm":"http://169.254.169.254/"}"#,
        r#"{"serveraddress":"docker.io","registry":"evil.example"}"#,
        r#"{"serveraddress":"docker.io","server_address":"evil.example"}"#,
        r#"{"serveraddress":["evil.example"]}"#,
        r#"{"serveraddress":1}"#,
        r#"["docker.io"]"#,
        r#"{"serveraddress":"docker.io"} {"serveraddress":"evil.example"}"#,
        "not json",
    ] {
        let d = refused(login(default_policy(), b), b);
        assert!(matches!(d.status, 400 | 403), "{b}: {d:?}");
    }
}

#[test]
fn login_to_the_listed_private_registry_is_allowed() {
    for addr in [
        "reg.example:5000",
        "https://reg.example:5000/v2/",
        "REG.EXAMPLE:5000",
    ] {
        forwarded(login(
            private_policy(),
            &json!({"serveraddress": addr}).to_string(),
        ));
    }
    for addr in [
        "reg.example",
        "reg.example:5001",
        "https://reg.example:5000@evil.example",
    ] {
        refused(
            login(
                private_policy(),
                &json!({"serveraddress": addr}).to_string(),
            ),
            addr,
        );
    }
}

// ----------------------------------------------------- X-Registry-Auth --

fn pull_with_auth(p: &Policy, from: &str, tag: &str, auth: &str) -> Verdict {
    let target = format!(
        "/v1.41/images/create?fromImage={}&tag={}",
        pct(from),
        pct(tag)
    );
    settle(
        p,
        &alpha(),
        &req("POST", &target, Vec::new()).with_registry_auth(auth),
        &Facts::default(),
    )
}

#[test]
fn registry_auth_tokens_for_another_host_are_refused() {
    for json in [
        r#"{"identitytoken":"t","serveraddress":"evil.example"}"#,
        r#"{"registrytoken":"t","serveraddress":"127.0.0.1:5000"}"#,
        r#"{"identitytoken":"t","serveraddress":"https://169.254.169.254/"}"#,
        r#"{"username":"u","password":"p","serveraddress":"localhost:5000"}"#,
        r#"{"identitytoken":"t","serveraddress":"docker.io."}"#,
        r#"{"identitytoken":"t","serveraddress":"reg.example:5000"}"#,
        r#"{"identitytoken":"t","serveraddress":"https://evil@docker.io"}"#,
        r#"{"identitytoken":"t","serveraddress":"HTTPS://docker.io"}"#,
    ] {
        let d = refused(
            pull_with_auth(private_policy(), "busybox", "1", &header(json)),
            json,
        );
        assert!(matches!(d.status, 400 | 403), "{json}: {d:?}");
        let d = refused(
            pull_with_auth(
                private_policy(),
                "reg.example:5000/app",
                "1",
                &header(&json.replace("reg.example:5000", "docker.io")),
            ),
            json,
        );
        assert!(matches!(d.status, 400 | 403), "{json}: {d:?}");
    }
}

#[test]
fn registry_auth_for_the_pulled_registry_is_forwarded_re_encoded() {
    for (from, json) in [
        (
            "busybox",
            r#"{"ServerAddress":"https://index.docker.io/v1/","IdentityToken":"t"}"#,
        ),
        ("busybox", r#"{"username":"u","password":"p"}"#),
        ("busybox", r#"{"username":"u","password":"p","email":""}"#),
        (
            "reg.example:5000/app",
            r#"{"Username":"u","Password":"p","ServerAddress":"reg.example:5000"}"#,
        ),
        (
            "reg.example:5000/app",
            r#"{"registrytoken":"t","serveraddress":"https://reg.example:5000/v2/"}"#,
        ),
    ] {
        for sent in [
            header(json),
            URL_SAFE_NO_PAD.encode(json),
            format!("{}\n", header(json)),
        ] {
            let f = forwarded(pull_with_auth(private_policy(), from, "1", &sent));
            let out = f
                .registry_auth
                .clone()
                .expect("judged credentials are forwarded");
            let v = decoded_header(&out);
            let obj = v.as_object().unwrap();
            for k in obj.keys() {
                assert_eq!(k, &k.to_ascii_lowercase(), "canonical keys: {v}");
            }
            if json.contains("IdentityToken") || json.contains("Username") || sent.ends_with('\n') {
                assert_ne!(out, sent, "the client's bytes passed as sent");
            }
            let orig: Value = serde_json::from_str(json).unwrap();
            let secret = orig
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| {
                    k.to_ascii_lowercase().contains("token") || k.eq_ignore_ascii_case("password")
                })
                .map(|(_, v)| v.clone());
            if let Some(s) = secret {
                assert!(obj.values().any(|v| *v == s), "the credentials kept: {v}");
            }
        }
    }
}

#[test]
fn registry_auth_that_cannot_be_read_is_refused() {
    let std_with_plus = STANDARD.encode(r#"{"username":"~~~","password":"???"}"#);
    assert!(std_with_plus.contains('+') || std_with_plus.contains('/'));
    for h in [
        "not base64!".to_string(),
        std_with_plus,
        header("null"),
        header("[]"),
        header(r#""docker.io""#),
        header(r#"{"username":"u""#),
        header(r#"{"username":"u","realm":"http://169.254.169.254/"}"#),
        header(r#"{"username":"u","serveraddress":"docker.io","Proxy":"x"}"#),
        header(r#"{"username":1}"#),
        header(r#"{"username":"u"} {"serveraddress":"evil.example"}"#),
        header(r#"{"username":"u"}"#).replace('=', "%3D"),
        format!("{}====", URL_SAFE_NO_PAD.encode(r#"{"username":"u"}"#)),
        "A".repeat(70_000),
    ] {
        let d = refused(pull_with_auth(default_policy(), "busybox", "1", &h), &h);
        assert!(matches!(d.status, 400 | 403), "{h}: {d:?}");
    }
}

#[test]
fn registry_auth_case_variant_duplicate_keys_are_read_as_go_reads_them() {
    for json in [
        r#"{"serveraddress":"docker.io","ServerAddress":"evil.example","identitytoken":"t"}"#,
        r#"{"SERVERADDRESS":"docker.io","serverAddress":"127.0.0.1:5000","IdentityToken":"t"}"#,
    ] {
        refused(
            pull_with_auth(default_policy(), "busybox", "1", &header(json)),
            json,
        );
    }
    let json = r#"{"ServerAddress":"evil.example","serveraddress":"docker.io","identitytoken":"a","IdentityToken":"b"}"#;
    let f = forwarded(pull_with_auth(
        default_policy(),
        "busybox",
        "1",
        &header(json),
    ));
    let v = decoded_header(f.registry_auth.as_deref().unwrap());
    assert_eq!(v["identitytoken"], "b", "{v}");
    assert!(!v.to_string().contains("evil"), "{v}");
}

#[test]
fn registry_auth_is_judged_on_search_distribution_and_push() {
    let evil = header(r#"{"identitytoken":"t","serveraddress":"evil.example"}"#);
    for (p, m, t) in [
        (default_policy(), "GET", "/v1.41/images/search?term=busybox"),
        (
            default_policy(),
            "GET",
            "/v1.41/distribution/busybox:1/json",
        ),
        (push_policy(), "POST", "/v1.41/images/alpha/app/push?tag=1"),
    ] {
        let r = req(m, t, Vec::new()).with_registry_auth(evil.clone());
        refused(settle(p, &alpha(), &r, &Facts::default()), t);
    }
    // and dropped where the daemon reads none
    let r = req("POST", "/v1.41/containers/create", create_body("busybox"))
        .with_registry_auth(evil.clone())
        .with_registry_config(evil);
    let f = forwarded(settle(default_policy(), &alpha(), &r, &Facts::default()));
    assert!(
        f.registry_auth.is_none() && f.registry_config.is_none(),
        "{f:?}"
    );
}

#[test]
fn push_goes_only_to_an_allowed_shared_registry() {
    assert_rule(
        as_alpha(
            default_policy(),
            "POST",
            "/v1.41/images/alpha/app/push?tag=1",
            b"",
        ),
        403,
        "images.push",
    );
    for name in [
        "127.0.0.1:5000/x",
        "localhost:5000/x",
        "evil.example/x",
        "reg.example:5000/app",
        "fdcs.invalid/beta/reg.example__5000/app",
        "[::1]:5000/x",
    ] {
        let p = format!("/v1.41/images/{name}/push?tag=1");
        refused(as_alpha(push_policy(), "POST", &p, b""), name);
    }
    refused(
        as_alpha(
            push_policy(),
            "POST",
            "/v1.41/images/alpha/app/push?tag=../x",
            b"",
        ),
        "bad tag",
    );
}

// --------------------------------------------------- X-Registry-Config --

fn build_with_config(cfg: &str, query: &str) -> Verdict {
    let r = req("POST", &format!("/v1.41/build{query}"), b"tar".to_vec()).with_registry_config(cfg);
    settle(build_policy(), &alpha(), &r, &Facts::default())
}

#[test]
fn build_registry_config_naming_a_foreign_registry_is_refused() {
    for json in [
        r#"{"evil.example":{"username":"u"}}"#,
        r#"{"127.0.0.1:5000":{}}"#,
        r#"{"https://index.docker.io/v1/":{},"localhost:5000":{"identitytoken":"t"}}"#,
        r#"{"docker.io":{"identitytoken":"t","serveraddress":"evil.example"}}"#,
        r#"{"docker.io":{"identitytoken":"t","realm":"http://169.254.169.254/"}}"#,
        r#"{"https://evil@docker.io":{}}"#,
        r#"{"fdcs.invalid":{}}"#,
        r#"{"docker.io":{"username":"u"},"docker.io":{"username":"u","serveraddress":"evil.example"}}"#,
        r#"["docker.io"]"#,
    ] {
        refused(build_with_config(&header(json), ""), json);
    }
    refused(build_with_config("not base64!", ""), "garbage");
}

#[test]
fn build_registry_config_for_allowed_registries_is_re_encoded() {
    let json = r#"{"https://index.docker.io/v1/":{"IdentityToken":"t"},"reg.example:5000":{"Username":"u","Password":"p"}}"#;
    let sent = header(json);
    let f = forwarded(build_with_config(&sent, ""));
    let out = f.registry_config.expect("judged");
    assert_ne!(out, sent);
    let v = decoded_header(&out);
    assert_eq!(v["reg.example:5000"]["password"], "p", "{v}");
}

#[test]
fn build_with_a_remote_context_is_refused() {
    for q in [
        "?remote=http://127.0.0.1:2375/x",
        "?remote=git://evil.example/x",
        "?remote=https%3A%2F%2F169.254.169.254%2F",
        "?%72emote=http://evil.example/x",
    ] {
        refused(build_with_config("", q), q);
    }
}

#[test]
fn regression_build_tag_may_name_the_reserved_claim_registry() {
    // `docker build -t fdcs.invalid/beta/reg.example__5000/app:1 .` forges
    // beta's claim: beta's next `docker run reg.example:5000/app:1` runs
    // alpha's build. The build's `t` is not judged at all.
    let v = build_with_config("", "?t=fdcs.invalid%2Fbeta%2Freg.example__5000%2Fapp%3A1");
    assert_rule(v, 403, "images.reserved");
}

#[test]
fn regression_build_network_mode_host_reaches_the_hosts_loopback() {
    // issue 7: a RUN step with `networkmode=host` reaches the daemon API on
    // the host's loopback. Build query parameters are forwarded unjudged.
    for q in ["?networkmode=host", "?networkmode=container:beta_db"] {
        let v = build_with_config("", q);
        if let Some(f) = v.forward() {
            panic!("forwarded a build with {q}: {:?}", f.query);
        }
    }
}

// ------------------------------------------- the reserved claim registry --

#[test]
fn the_claim_registry_is_refused_wherever_a_tenant_names_it() {
    let p = private_policy();
    for from in [
        "fdcs.invalid/beta/reg.example__5000/app",
        "FDCS.INVALID/beta/reg.example__5000/app",
        "fdcs.invalid:443/beta/reg.example__5000/app",
        "Fdcs.Invalid/alpha/reg.example__5000/app",
    ] {
        refused(pull(p, &alpha(), from, "1"), from);
    }
    for name in [
        BETA_CLAIM,
        "fdcs.invalid/beta/reg.example__5000/app",
        "FDCS.INVALID/beta/x:1",
    ] {
        let v = create_as(p, &alpha(), "v1.41", create_body(name), &Facts::default());
        refused(v, name);
        for tail in ["json", "history"] {
            let v = as_alpha(p, "GET", &format!("/v1.41/images/{name}/{tail}"), b"");
            refused(v, name);
        }
        refused(
            as_alpha(p, "DELETE", &format!("/v1.41/images/{name}"), b""),
            name,
        );
        refused(
            as_alpha(p, "GET", &format!("/v1.41/distribution/{name}/json"), b""),
            name,
        );
    }
}

#[test]
fn a_claim_spelled_with_port_443_never_reaches_beta_claims() {
    // `fdcs.invalid:443` is the reserved registry to an allow-list; the
    // engine reads it as another name. Either refused, or mapped into
    // alpha's own claims: never beta's.
    let name = "fdcs.invalid:443/beta/reg.example__5000/app:1";
    let v = create_as(
        private_policy(),
        &alpha(),
        "v1.41",
        create_body(name),
        &Facts::default(),
    );
    if let Some(f) = v.forward() {
        let img = forwarded_image(f);
        assert!(img.starts_with("fdcs.invalid/alpha/"), "{img}");
    }
    let v = as_alpha(
        private_policy(),
        "GET",
        &format!("/v1.41/images/{name}/json"),
        b"",
    );
    if let Some(f) = v.forward() {
        assert!(f.path.contains("/images/fdcs.invalid/alpha/"), "{}", f.path);
    }
}

#[test]
fn regression_docker_hub_repository_spelled_like_a_claim_is_not_refused() {
    // The engine lists `docker.io/fdcs.invalid/beta/...:1` familiar, as
    // `fdcs.invalid/beta/reg.example__5000/app:1`: exactly beta's claim
    // tag, which the answer rewriter then shows beta as its own
    // `reg.example:5000/app:1`. A tenant must not name it.
    let from = "docker.io/fdcs.invalid/beta/reg.example__5000/app";
    let v = pull(private_policy(), &alpha(), from, "1");
    assert!(
        matches!(v, Verdict::Deny(_)),
        "a Docker Hub path that lists as a claim was forwarded: {v:?}"
    );
}

#[test]
fn regression_rmi_of_another_tenants_claim_is_forwarded_when_manage_is_allowed() {
    // The reserved-registry refusal is swallowed by the "manage" fallback.
    let v = as_alpha(
        manage_policy(),
        "DELETE",
        &format!("/v1.41/images/{BETA_CLAIM}"),
        b"",
    );
    assert_rule(v, 403, "images.reserved");
}

#[test]
fn regression_tag_into_the_claim_registry_when_manage_is_allowed() {
    let v = as_alpha(
        manage_policy(),
        "POST",
        "/v1.41/images/busybox/tag?repo=fdcs.invalid/beta/reg.example__5000/app&tag=1",
        b"",
    );
    assert_rule(v, 403, "images.reserved");
}

// --------------------------------- invariant 11: answers, as alpha sees --

fn list_answer() -> Value {
    json!([
        {"Id": shared_image_id(), "RepoTags": ["busybox:latest"],
         "RepoDigests": [format!("busybox@sha256:{}", hex("bb"))], "Size": 1},
        {"Id": beta_image_id(), "ParentId": "",
         "RepoTags": ["reg.example:5000/app:1", BETA_CLAIM],
         "RepoDigests": [format!("reg.example:5000/app@{}", beta_digest())], "Size": 2},
        {"Id": format!("sha256:{}", hex("b2")),
         "RepoTags": [format!("fdcs.invalid/beta/reg.example__5000/app:sha256-{}", hex("d2"))],
         "RepoDigests": [format!("reg.example:5000/app@sha256:{}", hex("d2"))]},
        {"Id": format!("sha256:{}", hex("00")),
         "RepoTags": ["<none>:<none>"], "RepoDigests": ["<none>@<none>"]},
        {"Id": format!("sha256:{}", hex("0b")),
         "RepoTags": null,
         "RepoDigests": [format!("reg.example:5000/other@sha256:{}", hex("d3"))]},
        {"Id": format!("sha256:{}", hex("0c")), "RepoTags": null, "RepoDigests": null},
        {"Id": format!("sha256:{}", hex("3c")),
         "RepoTags": ["alpine:3", "reg.example:5000/app:2",
                      "fdcs.invalid/beta/reg.example__5000/app:2"],
         "RepoDigests": [format!("alpine@sha256:{}", hex("a3")),
                         format!("reg.example:5000/app@sha256:{}", hex("d4"))]},
        {"Id": format!("sha256:{}", hex("e1")),
         "RepoTags": ["evil.example/x:1", "fdcs.invalid/gamma/evil.example/x:1"],
         "RepoDigests": []},
        {"Id": format!("sha256:{}", hex("e2")),
         "RepoTags": ["fdcs.invalid/beta/../alpha/x:1", "fdcs.invalid/beta"],
         "RepoDigests": ["fdcs.invalid/beta/reg.example__5000/app@sha256:"]}
    ])
}

fn answer(plan: &ResponseRewrite, t: &Tenant, status: u16, body: &Value) -> (u16, Value) {
    let (s, out) = rewrite_answer(plan, t, status, body.to_string().as_bytes());
    (s, serde_json::from_slice(&out).unwrap())
}

fn list_plan(p: &Policy, t: &Tenant) -> ResponseRewrite {
    let f = forwarded(settle(
        p,
        t,
        &req("GET", "/v1.41/images/json?all=1", Vec::new()),
        &Facts::default(),
    ));
    match f.response {
        ResponsePlan::Rewrite(r) => r,
        other => panic!("{other:?}"),
    }
}

#[track_caller]
fn assert_no_trace_of_beta(text: &str) {
    for needle in [
        "beta",
        "fdcs.invalid",
        "reg.example",
        "evil.example",
        &hex("be"),
        &hex("d1"),
        &hex("b2"),
        &hex("d2"),
        &hex("d3"),
        &hex("d4"),
        &hex("e1"),
        &hex("0b"),
    ] {
        assert!(!text.contains(needle), "`{needle}` leaked in {text}");
    }
}

#[test]
fn image_list_shows_alpha_no_private_image_and_no_private_name() {
    let plan = list_plan(private_policy(), &alpha());
    let (s, v) = answer(&plan, &alpha(), 200, &list_answer());
    assert_eq!(s, 200);
    assert_no_trace_of_beta(&v.to_string());
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&shared_image_id().as_str()), "{v}");
    let mixed = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["Id"] == format!("sha256:{}", hex("3c")))
        .expect("the image alpine:3 names is shared");
    assert_eq!(mixed["RepoTags"], json!(["alpine:3"]));
}

#[test]
fn image_list_shows_beta_its_own_image_under_the_name_it_pulled() {
    let plan = list_plan(private_policy(), &beta());
    let (_, v) = answer(&plan, &beta(), 200, &list_answer());
    let text = v.to_string();
    assert!(!text.contains("fdcs.invalid"), "{text}");
    assert!(!text.contains("evil.example"), "{text}");
    let mine = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["Id"] == beta_image_id())
        .expect("beta sees its image");
    assert_eq!(mine["RepoTags"], json!(["reg.example:5000/app:1"]));
    assert_eq!(
        mine["RepoDigests"],
        json!([format!("reg.example:5000/app@{}", beta_digest())])
    );
    let by_digest = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["Id"] == format!("sha256:{}", hex("b2")))
        .expect("beta sees what it pulled by digest");
    assert_eq!(
        by_digest["RepoDigests"],
        json!([format!("reg.example:5000/app@sha256:{}", hex("d2"))])
    );
    // `reg.example:5000/other` was never pulled by beta
    assert!(!text.contains(&hex("d3")), "{text}");
}

#[test]
fn system_df_shows_alpha_no_private_image() {
    let f = forwarded(as_alpha(private_policy(), "GET", "/v1.41/system/df", b""));
    let ResponsePlan::Rewrite(plan) = f.response else {
        panic!()
    };
    let df = json!({"LayersSize": 1, "Images": list_answer(), "Containers": [], "Volumes": [], "BuildCache": [
        {"ID": "x", "Description": "mount / from exec /bin/sh -c cat reg.example:5000 beta secret"}]});
    let (_, v) = answer(&plan, &alpha(), 200, &df);
    assert_no_trace_of_beta(&v.to_string());
}

fn inspect_plan(p: &Policy, t: &Tenant, given: &str, tail: &str) -> (Forward, ResponseRewrite) {
    let f = forwarded(settle(
        p,
        t,
        &req("GET", &format!("/v1.41/images/{given}/{tail}"), Vec::new()),
        &Facts::default(),
    ));
    let ResponsePlan::Rewrite(plan) = f.response.clone() else {
        panic!("{:?}", f.response)
    };
    (f, plan)
}

fn inspect_answer(img: &ImageFacts) -> Value {
    json!({"Id": img.id, "RepoTags": img.repo_tags, "RepoDigests": img.repo_digests,
           "Parent": "", "Config": {"Env": ["SECRET=beta"]},
           "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": "/var/lib/docker/overlay2/x"}},
           "Metadata": {"LastTagTime": "2026-01-01T00:00:00Z"}})
}

#[test]
fn inspect_of_a_hidden_image_is_the_daemons_not_found_for_the_name_given() {
    let givens = [
        beta_image_id(),
        hex("be"),
        "bebe".to_string(),
        format!("reg.example:5000/app@{}", beta_digest()),
        format!("reg.example:5000/app:1@{}", beta_digest()),
    ];
    for given in &givens {
        let (_, plan) = inspect_plan(private_policy(), &alpha(), given, "json");
        let (s, v) = answer(&plan, &alpha(), 200, &inspect_answer(&beta_image()));
        assert_eq!(s, 404, "{given}: {v}");
        assert_eq!(
            v,
            json!({"message": format!("No such image: {given}")}),
            "{given}"
        );
    }
    // by tag, alpha is sent to its own (missing) claim
    let (f, plan) = inspect_plan(private_policy(), &alpha(), "reg.example:5000/app:1", "json");
    assert_eq!(
        f.path,
        "/v1.41/images/fdcs.invalid/alpha/reg.example__5000/app:1/json"
    );
    let engine = json!({"message": "No such image: fdcs.invalid/alpha/reg.example__5000/app:1"});
    let (s, v) = answer(&plan, &alpha(), 404, &engine);
    assert_eq!(s, 404);
    assert_eq!(
        v,
        json!({"message": "No such image: reg.example:5000/app:1"})
    );
    // beta sees its own, without the host's paths
    let (f, plan) = inspect_plan(private_policy(), &beta(), "reg.example:5000/app:1", "json");
    assert_eq!(f.path, format!("/v1.41/images/{BETA_CLAIM}/json"));
    let (s, v) = answer(&plan, &beta(), 200, &inspect_answer(&beta_image()));
    assert_eq!(s, 200);
    assert_eq!(v["RepoTags"], json!(["reg.example:5000/app:1"]));
    assert!(!v.to_string().contains("fdcs.invalid"), "{v}");
    assert!(!v.to_string().contains("/var/lib/docker"), "{v}");
}

#[test]
fn history_of_a_hidden_image_is_not_found_and_layers_show_no_private_name() {
    let layers = json!([
        {"Id": beta_image_id(), "Tags": ["reg.example:5000/app:1", BETA_CLAIM], "CreatedBy": "COPY secret /"},
        {"Id": shared_image_id(), "Tags": ["busybox:latest"], "CreatedBy": "ADD rootfs"}
    ]);
    for given in [
        beta_image_id(),
        "be".to_string(),
        format!("reg.example:5000/app@{}", beta_digest()),
    ] {
        let (_, plan) = inspect_plan(private_policy(), &alpha(), &given, "history");
        let (s, v) = answer(&plan, &alpha(), 200, &layers);
        assert_eq!(s, 404, "{given}: {v}");
        assert_eq!(v, json!({"message": format!("No such image: {given}")}));
    }
    // a shared image built on a private one: the private layer's names go
    let on_private = json!([
        {"Id": shared_image_id(), "Tags": ["team/app:1"]},
        {"Id": beta_image_id(), "Tags": ["reg.example:5000/app:1", BETA_CLAIM]}
    ]);
    let (_, plan) = inspect_plan(private_policy(), &alpha(), "team/app:1", "history");
    let (s, v) = answer(&plan, &alpha(), 200, &on_private);
    assert_eq!(s, 200);
    assert!(!v.to_string().contains("reg.example"), "{v}");
    assert!(!v.to_string().contains("fdcs.invalid"), "{v}");
}

#[test]
fn inspect_answer_that_is_not_json_or_not_an_object_reveals_nothing() {
    let (_, plan) = inspect_plan(private_policy(), &alpha(), &beta_image_id(), "json");
    for body in [
        b"not json".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        br#"{"Id":"x","RepoTags":"reg.example:5000/app:1"}"#.to_vec(),
    ] {
        let (s, out) = rewrite_answer(&plan, &alpha(), 200, &body);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("reg.example"), "{text}");
        assert!(s == 404 || text == "{}", "{s}: {text}");
    }
}

// ------------------------------------------- container create: `Image` --

fn facts_with(reference: &str, img: Option<ImageFacts>) -> Facts {
    let mut f = Facts::default();
    f.images.insert(reference.to_string(), img);
    f
}

#[test]
fn create_with_an_id_like_image_asks_the_engine_first() {
    for given in [
        beta_image_id(),
        hex("be"),
        "bebe".to_string(),
        "cafe".to_string(),
        "sha256:be".to_string(),
        "sha256:".to_string(),
        "b".to_string(),
    ] {
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.41",
            create_body(&given),
            &Facts::default(),
        );
        match v {
            Verdict::Need(obs) => assert!(
                obs.contains(&Obligation::Image {
                    reference: given.clone()
                }),
                "{given}: {obs:?}"
            ),
            Verdict::Deny(d) => assert!(matches!(d.status, 400 | 404), "{given}: {d:?}"),
            other => panic!("{given}: forwarded without asking: {other:?}"),
        }
    }
}

#[test]
fn create_with_an_id_of_beta_private_image_is_not_found() {
    for given in [
        beta_image_id(),
        hex("be"),
        "bebe".to_string(),
        "cafe".to_string(),
    ] {
        let facts = facts_with(&given, Some(beta_image()));
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.41",
            create_body(&given),
            &facts,
        );
        assert_not_found(v, &given);
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.41",
            create_body(&given),
            &facts_with(&given, None),
        );
        assert_not_found(v, &given);
    }
}

#[test]
fn create_with_an_id_alpha_may_see_is_pinned_to_the_full_id() {
    for (given, img) in [
        ("cafe", shared_image()),
        ("5a5a", shared_image()),
        ("a1", alpha_private_image()),
    ] {
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.41",
            create_body(given),
            &facts_with(given, Some(img.clone())),
        );
        let f = forwarded(v);
        assert_eq!(forwarded_image(&f), img.id, "{given}");
    }
    // beta may see its own by id
    let given = hex("be");
    let v = create_as(
        private_policy(),
        &beta(),
        "v1.41",
        create_body(&given),
        &facts_with(&given, Some(beta_image())),
    );
    assert_eq!(forwarded_image(&forwarded(v)), beta_image_id());
}

#[test]
fn create_with_a_private_name_runs_alpha_own_claim() {
    for (given, engine) in [
        (
            "reg.example:5000/app:1",
            "fdcs.invalid/alpha/reg.example__5000/app:1",
        ),
        (
            "reg.example:5000/app",
            "fdcs.invalid/alpha/reg.example__5000/app:latest",
        ),
        (
            "REG.EXAMPLE:5000/app:1",
            "fdcs.invalid/alpha/reg.example__5000/app:1",
        ),
    ] {
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.41",
            create_body(given),
            &Facts::default(),
        );
        assert_eq!(forwarded_image(&forwarded(v)), engine, "{given}");
    }
}

#[test]
fn regression_create_with_a_private_image_by_digest_runs_beta_image() {
    // The engine resolves `reg.example:5000/app@sha256:<d>` from the
    // RepoDigests beta's pull recorded, without a pull: alpha runs beta's
    // private image knowing only its (not secret) digest.
    for given in [
        format!("reg.example:5000/app@{}", beta_digest()),
        format!("reg.example:5000/app:1@{}", beta_digest()),
        format!("REG.EXAMPLE:5000/app@{}", beta_digest()),
    ] {
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.41",
            create_body(&given),
            &Facts::default(),
        );
        if let Some(f) = v.forward() {
            let img = forwarded_image(f);
            assert!(
                img.starts_with("fdcs.invalid/alpha/") || img.starts_with("sha256:"),
                "`{given}` forwarded as `{img}`: the engine runs beta's private image"
            );
        }
    }
}

#[test]
fn image_mount_sources_are_judged_like_image() {
    // API 1.48+: `--mount type=image,source=...` mounts an image's files
    // into the container. Its source gets the tenant's own view of images:
    // a private name becomes alpha's own claim, beta's claim is reserved,
    // an id or a private digest is looked up first.
    for source in [
        "reg.example:5000/app:1".to_string(),
        BETA_CLAIM.to_string(),
        beta_image_id(),
        format!("reg.example:5000/app@{}", beta_digest()),
    ] {
        let body = json!({"Image": "busybox", "HostConfig": {"Mounts": [
            {"Type": "image", "Source": source, "Target": "/beta"}]}});
        let v = create_as(
            private_policy(),
            &alpha(),
            "v1.48",
            body.to_string().into_bytes(),
            &Facts::default(),
        );
        if let Some(f) = v.forward() {
            let m = &f.body.as_ref().unwrap()["HostConfig"]["Mounts"][0]["Source"];
            assert!(
                m.as_str()
                    .is_some_and(|s| s.starts_with("fdcs.invalid/alpha/")),
                "an image mount of `{source}` was forwarded as {m}"
            );
        }
    }
}

// ------------------------------------------------ image list filters --

#[test]
fn regression_image_list_filters_name_the_reserved_claim_registry() {
    // `since`/`before` make the engine resolve the reference: beta's claim
    // answers "exists" or "No such image", telling alpha what beta pulled.
    for key in ["since", "before", "reference"] {
        let filters = json!({ key: [BETA_CLAIM] }).to_string();
        let t = format!("/v1.41/images/json?filters={}", pct(&filters));
        let v = as_alpha(private_policy(), "GET", &t, b"");
        if let Some(f) = v.forward() {
            let q = unpct(f.query.as_deref().unwrap_or(""));
            assert!(!q.contains("fdcs.invalid/beta"), "{key}: forwarded {q}");
        }
    }
}

#[test]
fn regression_image_list_since_filter_probes_a_private_image() {
    // `since=reg.example:5000/app:1` is resolved on the engine's name, which
    // exists only because beta pulled it: an existence oracle (and `since`
    // with an id prefix enumerates every image id on the engine).
    for v in ["reg.example:5000/app:1", "be"] {
        let filters = json!({ "since": [v] }).to_string();
        let t = format!("/v1.41/images/json?filters={}", pct(&filters));
        let out = as_alpha(private_policy(), "GET", &t, b"");
        if let Some(f) = out.forward() {
            let q = unpct(f.query.as_deref().unwrap_or(""));
            assert!(!q.contains(&format!("\"{v}\"")), "forwarded {q}");
        }
    }
}

#[test]
fn a_reference_filter_on_a_private_name_is_a_pattern_the_answer_is_cut_to() {
    // `docker images reg.example:5000/app` is a name pattern the daemon
    // matches, not a lookup: it is forwarded, and the list answer is cut to
    // what the tenant may see (no oracle), so beta can list its own images
    let filters = json!({ "reference": ["reg.example:5000/app"] }).to_string();
    let t = format!("/v1.41/images/json?filters={}", pct(&filters));
    let f = forwarded(as_alpha(private_policy(), "GET", &t, b""));
    assert!(matches!(
        f.response,
        ResponsePlan::Rewrite(ResponseRewrite::ImageList { .. })
    ));
}

// ------------------------------------------------ tenants and patterns --

#[test]
fn a_tenant_registry_addition_is_that_tenant_only() {
    let mut gamma = tenant("gamma");
    gamma.limits = TenantLimits {
        registries: vec!["reg.example:5000".into()],
        ..TenantLimits::default()
    };
    let f = forwarded(pull(default_policy(), &gamma, "reg.example:5000/app", "1"));
    let ResponsePlan::Pull { claim: Some(c) } = &f.response else {
        panic!("{:?}", f.response)
    };
    assert_eq!(c.repo, "fdcs.invalid/gamma/reg.example__5000/app");
    assert_rule(
        pull(default_policy(), &alpha(), "reg.example:5000/app", "1"),
        403,
        "images.registry",
    );
}

#[test]
fn tenant_image_patterns_never_cross_a_slash_or_the_host() {
    let mut t = alpha();
    t.limits.images = Some(vec![
        ImagePattern::parse("busybox*").unwrap(),
        ImagePattern::parse("reg.example:5000/team/*").unwrap(),
    ]);
    for ok in ["busybox", "busyboxplus", "reg.example:5000/team/app"] {
        forwarded(pull(private_policy(), &t, ok, "1"));
    }
    for bad in [
        "busybox.attacker.example/evil",
        "docker.io/busybox/evil",
        "busybox/evil",
        "reg.example:5000/team/a/b",
        "reg.example:5000/teamx/app",
        "reg.example:5000/busybox",
    ] {
        refused(pull(private_policy(), &t, bad, "1"), bad);
        let v = create_as(
            private_policy(),
            &t,
            "v1.41",
            create_body(&format!("{bad}:1")),
            &Facts::default(),
        );
        refused(v, bad);
    }
}

// -------------------------------------------------------------- proptest --

fn host_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "127.1",
            "2130706433",
            "0x7f.1",
            "0177.0.0.1",
            "[::1]",
            "[::1]:5000",
            "localhost",
            "LOCALHOST",
            "LocalHost:5000",
            "docker.io",
            "docker.io.",
            "index.docker.io",
            "Docker.IO",
            "DOCKER.IO",
            "docker.io:443",
            "docker.io:80",
            "reg.example:5000",
            "REG.EXAMPLE:5000",
            "reg.example",
            "reg.example:443",
            "reg.example.:5000",
            "evil.example",
            "Foo",
            "fdcs.invalid",
            "FDCS.INVALID",
            "busybox",
            "library",
            "a",
            "x.localhost",
            "0x7F000001:5000",
            "[::ffff:7f00:1]",
            "1.2.3.4:5000",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z0-9.:_\\-\\[\\]]{1,12}",
    ]
}

fn from_image() -> impl Strategy<Value = (String, String)> {
    let path = prop::collection::vec("[a-z0-9][a-z0-9._\\-]{0,6}", 1..4).prop_map(|v| v.join("/"));
    let suffix = prop_oneof![
        Just(String::new()),
        Just(":".to_string()),
        "[a-zA-Z0-9_.\\-]{0,6}".prop_map(|t| format!(":{t}")),
        Just(format!("@sha256:{}", "ab".repeat(32))),
        Just(format!(":1@sha256:{}", "cd".repeat(32))),
    ];
    let tag = prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9_.\\-/:@]{0,8}",
        Just(format!("sha256:{}", "ef".repeat(32))),
    ];
    prop_oneof![
        4 => (host_token(), path, suffix, tag).prop_map(|(h, p, s, t)| {
            if h.is_empty() { (format!("{p}{s}"), t) } else { (format!("{h}/{p}{s}"), t) }
        }),
        1 => (any::<String>(), any::<String>()),
    ]
}

#[track_caller]
fn pull_stays_listed(p: &Policy, listed: &[&str], from: &str, tag: &str, auth: Option<&str>) {
    let target = format!(
        "/v1.41/images/create?fromImage={}&tag={}",
        pct(from),
        pct(tag)
    );
    let mut r = req("POST", &target, Vec::new());
    if let Some(a) = auth {
        r = r.with_registry_auth(a);
    }
    let v = settle(p, &alpha(), &r, &Facts::default());
    if let Some(f) = v.forward() {
        let image = one(f, "fromImage");
        // the forwarded name always spells its registry out
        let (host, _) = image.split_once('/').expect("a fully qualified name");
        // host case and `:443` are folded here; that the daemon reads
        // `Docker.IO` and `docker.io:443` as another registry than the Hub
        // is `hole_docker_hub_in_another_case_or_with_port_443_...`
        let folded = host.to_ascii_lowercase();
        let folded = folded.strip_suffix(":443").unwrap_or(&folded);
        let folded = if folded == "index.docker.io" {
            "docker.io"
        } else {
            folded
        };
        assert!(
            listed.contains(&folded),
            "{from:?} {tag:?} forwarded `{image}`"
        );
        let t = one(f, "tag");
        assert!(!t.is_empty(), "{from:?} {tag:?}: an every-tag pull");
        assert!(!t.contains('/'), "{t}");
        if let ResponsePlan::Pull { claim: Some(c) } = &f.response {
            assert!(c.repo.starts_with("fdcs.invalid/alpha/"), "{c:?}");
        }
        assert!(!image.starts_with("fdcs.invalid"), "{image}");
        if let Some(out) = &f.registry_auth {
            let v = decoded_header(out);
            if let Some(addr) = v.get("serveraddress").and_then(Value::as_str) {
                let addr = addr
                    .trim_start_matches("https://")
                    .trim_start_matches("http://");
                let h = addr.split('/').next().unwrap().to_ascii_lowercase();
                let h = h.trim_end_matches(":443");
                let same = h == folded
                    || (folded == "docker.io" && (h == "index.docker.io" || h == "docker.io"));
                assert!(same, "credentials for `{addr}` sent to `{host}`");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_pulls_never_reach_an_unlisted_registry((from, tag) in from_image()) {
        pull_stays_listed(default_policy(), &["docker.io"], &from, &tag, None);
        pull_stays_listed(private_policy(), &["docker.io", "reg.example:5000"], &from, &tag, None);
    }

    #[test]
    fn arbitrary_credentials_never_name_another_registry(
        (from, tag) in from_image(),
        addr in prop_oneof![host_token(), any::<String>()],
        scheme in prop::sample::select(vec!["", "https://", "http://", "HTTPS://", "https://u@"]),
        key in prop::sample::select(vec!["serveraddress", "ServerAddress", "SERVERADDRESS"]),
    ) {
        let json = json!({ key: format!("{scheme}{addr}"), "identitytoken": "t" }).to_string();
        pull_stays_listed(private_policy(), &["docker.io", "reg.example:5000"], &from, &tag, Some(&header(&json)));
    }

    #[test]
    fn arbitrary_search_terms_never_reach_an_unlisted_registry(term in prop_oneof![
        (host_token(), "[a-z0-9/]{0,6}").prop_map(|(h, p)| format!("{h}/{p}")),
        any::<String>(),
    ]) {
        let t = format!("/v1.41/images/search?term={}", pct(&term));
        if as_alpha(default_policy(), "GET", &t, b"").forward().is_some() {
            // moby registry.splitReposSearchTerm + ValidateIndexName
            let index = match term.split_once('/') {
                Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
                _ => "docker.io",
            };
            let key = index.to_ascii_lowercase();
            let key = key.trim_end_matches(":443");
            prop_assert!(key == "docker.io" || key == "index.docker.io", "{term:?} searched `{index}`");
        }
    }

    #[test]
    fn arbitrary_create_images_never_run_another_tenants_claim(
        (from, _) in from_image(),
    ) {
        let v = create_as(private_policy(), &alpha(), "v1.41", create_body(&from), &Facts::default());
        if let Some(f) = v.forward() {
            let img = forwarded_image(f).to_ascii_lowercase();
            prop_assert!(!img.starts_with("fdcs.invalid/") || img.starts_with("fdcs.invalid/alpha/"), "{from:?} → {img}");
        }
    }
}
