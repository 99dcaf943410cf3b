//! The request corpus: raw HTTP requests as real clients send them (and as
//! attackers write them), each with the verdict the default policy must give.
//!
//! `corpus/cases.yaml` lists the cases and what they cover; `corpus/state.json`
//! is the engine's world the obligations are answered from (the same format
//! as `fdcs-policy check --state`). Every case is judged through the library,
//! obligations answered, exactly as `serve` and `check` do; all mismatches are
//! reported together.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use fdcs_policy::tenancy::usage::{ContainerUsage, Reservation, RunState, Usage};
use fdcs_policy::tenancy::{engine_name, is_full_id};
use fdcs_policy::{
    judge, Facts, Obligation, Owned, Policy, Request, ResourceKind, Tenant, TenantId, Verdict,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    must_cover: MustCover,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MustCover {
    rules: Vec<String>,
    families: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    #[serde(default)]
    tenant: Option<String>,
    /// The policy to judge with, relative to the repository root (default:
    /// the embedded default policy).
    #[serde(default)]
    policy: Option<String>,
    verdict: String,
    #[serde(default)]
    status: Option<u16>,
    /// Absent: not checked; null: must be none; a string or a list of
    /// acceptable ids.
    #[serde(default, deserialize_with = "present")]
    rule: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    asserts: Vec<String>,
    covers: Vec<String>,
    /// A known gap: the expectation is what the core should do and does
    /// not do yet. Reported, not failed; failed once it passes, so the
    /// marker is removed when the gap is closed.
    #[serde(default)]
    pending: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for the reader of cases.yaml")]
    note: Option<String>,
}

/// Distinguishes `rule: null` (must be none) from an absent `rule`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The engine's world, as in `fdcs-policy check --state`.
#[derive(Debug, Deserialize)]
struct World {
    containers: Vec<Res>,
    networks: Vec<Res>,
    volumes: Vec<Vol>,
    execs: Vec<Exec>,
    #[serde(default)]
    images: Vec<fdcs_policy::ImageFacts>,
}

#[derive(Debug, Deserialize)]
struct Res {
    id: String,
    tenant: String,
    name: String,
    /// A container's state for quotas (default: exited, holding nothing).
    #[serde(default)]
    state: Option<RunState>,
    /// What a container reserves (its `fdcs.reserve` label); absent: the
    /// per-container ceilings.
    #[serde(default)]
    reserve: Option<Reservation>,
    /// Where a container mounts things (`Mounts[].Destination`).
    #[serde(default)]
    mounts: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Vol {
    tenant: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct Exec {
    id: String,
    container: String,
}

impl World {
    /// The tenant's own resources of a kind, with engine-side names.
    fn owned(&self, tenant: &TenantId, kind: ResourceKind) -> Vec<Owned> {
        let res = |list: &[Res]| -> Vec<Owned> {
            list.iter()
                .filter(|r| r.tenant == tenant.as_str())
                .map(|r| Owned {
                    id: r.id.clone(),
                    name: engine_name(tenant, &r.name),
                })
                .collect()
        };
        match kind {
            ResourceKind::Container => res(&self.containers),
            ResourceKind::Network => res(&self.networks),
            ResourceKind::Volume => self
                .volumes
                .iter()
                .filter(|v| v.tenant == tenant.as_str())
                .map(|v| {
                    // a 64-hex name is the daemon's own (an anonymous or
                    // unnamed volume), owned by label, not scoped
                    let name = if is_full_id(&v.name) {
                        v.name.clone()
                    } else {
                        engine_name(tenant, &v.name)
                    };
                    Owned {
                        id: name.clone(),
                        name,
                    }
                })
                .collect(),
            // the corpus world holds no swarm objects
            _ => Vec::new(),
        }
    }

    fn answer(&self, tenant: &TenantId, ob: &Obligation, facts: &mut Facts) {
        match ob {
            Obligation::Owned { kind } => facts.set_owned(*kind, self.owned(tenant, *kind)),
            Obligation::ExecContainer { exec } => {
                let c = self
                    .execs
                    .iter()
                    .find(|x| &x.id == exec)
                    .map(|x| x.container.clone());
                facts.execs.insert(exec.clone(), c);
            }
            Obligation::Lookup(lookup) => {
                let found = lookup.answer_from(&self.owned(tenant, lookup.kind));
                facts.lookups.insert(lookup.clone(), found);
            }
            Obligation::Usage => {
                let containers = self
                    .containers
                    .iter()
                    .filter(|r| r.tenant == tenant.as_str())
                    .map(|r| ContainerUsage {
                        id: r.id.clone(),
                        state: r.state.unwrap_or(RunState::Exited),
                        reserved: r.reserve,
                        published: r.reserve.map_or(0, |x| x.ports),
                    })
                    .collect();
                facts.usage = Some(Usage {
                    containers,
                    offline: false,
                });
            }
            Obligation::NamedImages => {
                let named = self.images.iter().filter(|i| !i.repo_tags.is_empty());
                facts.named_images = Some(named.cloned().collect());
            }
            Obligation::Image { reference } => {
                // by name as the daemon reads names (`busybox` is
                // `busybox:latest`), then by id or id prefix
                let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
                let want = normal(reference);
                let same = |t: &String| t == reference || (want.is_some() && normal(t) == want);
                let found = self
                    .images
                    .iter()
                    .find(|i| i.repo_tags.iter().chain(&i.repo_digests).any(same))
                    .or_else(|| {
                        self.images
                            .iter()
                            .find(|i| i.id.trim_start_matches("sha256:").starts_with(hex))
                    });
                facts.images.insert(reference.clone(), found.cloned());
            }
            Obligation::ContainerMounts { id } => {
                let found = self
                    .containers
                    .iter()
                    .find(|r| &r.id == id && r.tenant == tenant.as_str())
                    .map(|r| r.mounts.clone());
                facts.container_mounts.insert(id.clone(), found);
            }
            // the corpus world holds no services
            Obligation::ServiceSpec { id } => {
                facts.services.insert(id.clone(), None);
            }
        }
    }
}

/// A name reference in canonical form with its default tag; `None` for
/// what is not one.
fn normal(s: &str) -> Option<String> {
    fdcs_policy::image::Reference::parse(s)
        .ok()
        .map(|r| r.with_default_tag().canonical())
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A minimal reader for the corpus files, which are all CRLF, framed by
/// `Content-Length` or chunked (the CLI's `rawhttp` is the full parser).
fn parse_request(raw: &[u8]) -> Request {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("head ends with a blank line");
    let head = std::str::from_utf8(&raw[..split]).expect("utf-8 head");
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let mut first = lines.next().expect("request line").split(' ');
    let method = first.next().expect("method");
    let target = first.next().expect("target");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let body = if header("transfer-encoding").is_some_and(|v| v == "chunked") {
        let mut body = Vec::new();
        let mut pos = 0;
        loop {
            let nl = pos
                + rest[pos..]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .expect("size");
            let size_text = std::str::from_utf8(&rest[pos..nl]).expect("hex");
            let size = usize::from_str_radix(size_text.split(';').next().unwrap(), 16).unwrap();
            pos = nl + 2;
            if size == 0 {
                break body;
            }
            body.extend_from_slice(&rest[pos..pos + size]);
            pos += size + 2;
        }
    } else {
        let len = header("content-length").map_or(0, |v| v.parse::<usize>().expect("length"));
        assert_eq!(rest.len(), len, "body length must match Content-Length");
        rest.to_vec()
    };
    let mut req = Request::new(method, target, body);
    req.registry_auth = header("x-registry-auth").cloned();
    req.registry_config = header("x-registry-config").cloned();
    req
}

fn judge_with_world(policy: &Policy, tenant: &Tenant, req: &Request, world: &World) -> Verdict {
    let mut facts = Facts::default();
    let mut verdict = judge(policy, tenant, req, &facts);
    for _ in 0..6 {
        let Verdict::Need(obls) = &verdict else {
            break;
        };
        for o in obls {
            world.answer(&tenant.id, o, &mut facts);
        }
        verdict = judge(policy, tenant, req, &facts);
    }
    verdict
}

/// The first value of a query parameter, percent-decoded.
fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON value as the manifest writes it: strings bare, the rest as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// Checks one `asserts` entry against what is forwarded; `Err` says why not.
fn check_assert(a: &str, verdict: &Verdict) -> Result<(), String> {
    let Some(fwd) = verdict.forward() else {
        return Ok(()); // denied: nothing forwarded, nothing to check
    };
    let mut parts = a.splitn(3, ' ');
    let (lhs, op, rhs) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if lhs == "headers" {
        // the client headers the adapter may copy onto the judged request
        let got = fwd.client_headers();
        let ok = match op {
            "has" => got.contains(&rhs),
            "lacks" => !got.contains(&rhs),
            _ => return Err(format!("unknown headers op `{op}`")),
        };
        return if ok {
            Ok(())
        } else {
            Err(format!("forwarded client headers are {got:?}"))
        };
    }
    if lhs == "response" {
        let got = serde_json::to_value(&fwd.response).expect("plan serialises");
        let want: Value = serde_json::from_str(rhs).expect("assert json");
        return if got == want {
            Ok(())
        } else {
            Err(format!("response plan is {got}"))
        };
    }
    if let Some(param) = lhs.strip_prefix('?') {
        let got = query_param(fwd.query.as_deref(), param);
        let ok = match op {
            "==" => got.as_deref() == Some(rhs),
            "has" => got.as_deref().is_some_and(|g| g.contains(rhs)),
            _ => return Err(format!("unknown query op `{op}`")),
        };
        return if ok {
            Ok(())
        } else {
            Err(format!("query is {:?}", fwd.query))
        };
    }
    let body = fwd.body.clone().unwrap_or(Value::Null);
    let got = body.pointer(lhs);
    let ok = match op {
        "absent" => got.is_none(),
        "==" => got.is_some_and(|g| text(g) == rhs),
        "!=" => got.is_none_or(|g| text(g) != rhs),
        ">" => got
            .and_then(Value::as_f64)
            .is_some_and(|g| g > rhs.parse::<f64>().expect("number")),
        "starts_with" => got
            .and_then(Value::as_str)
            .is_some_and(|g| g.starts_with(rhs)),
        _ => return Err(format!("unknown op `{op}`")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{lhs} is {got:?}"))
    }
}

fn check_case(c: &Case, verdict: &Verdict) -> Vec<String> {
    let mut why = Vec::new();
    let kind = verdict.kind();
    let verdict_ok = match c.verdict.as_str() {
        "allowed" => matches!(kind, "allow" | "rewrite"),
        "any" => kind != "need",
        v => v == kind,
    };
    if !verdict_ok {
        why.push(format!("verdict {kind}, expected {}", c.verdict));
    }
    if let Verdict::Deny(d) = verdict {
        if let Some(s) = c.status {
            if s != d.status {
                why.push(format!("status {}, expected {s}", d.status));
            }
        }
        match &c.rule {
            None => {}
            Some(Value::Null) if d.rule.is_some() => {
                why.push(format!("rule {:?}, expected none", d.rule));
            }
            Some(Value::String(r)) if d.rule.as_deref() != Some(r) => {
                why.push(format!("rule {:?}, expected {r}", d.rule));
            }
            Some(Value::Array(rs))
                if !rs
                    .iter()
                    .any(|r| r.as_str().is_some() && r.as_str() == d.rule.as_deref()) =>
            {
                why.push(format!("rule {:?}, expected one of {rs:?}", d.rule));
            }
            _ => {}
        }
        if let Some(m) = &c.message {
            if &d.message != m {
                why.push(format!("message {:?}, expected {m:?}", d.message));
            }
        }
    }
    for a in &c.asserts {
        if let Err(e) = check_assert(a, verdict) {
            why.push(format!("assert `{a}` failed: {e}"));
        }
    }
    why
}

fn load() -> (Manifest, World) {
    let dir = corpus_dir();
    let manifest: Manifest = serde_saphyr::from_str(
        &std::fs::read_to_string(dir.join("cases.yaml")).expect("cases.yaml"),
    )
    .expect("cases.yaml parses");
    let world: World =
        serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).expect("state"))
            .expect("state.json parses");
    (manifest, world)
}

/// Engine rules no corpus case can give, and where they are shown given:
/// an undecided conversation needs more lookup rounds than a case holds
/// (`session.rs`); the default policy allows every image and shares every
/// registry it lists (`denials.rs`, with a policy that restricts).
const SHOWN_ELSEWHERE: &[&str] = &["judge.undecided", "images.allowed", "images.private"];

/// A policy file of the repository (`policies/examples/swarm.yaml`).
fn load_policy(path: &str) -> Policy {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    let src = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
    Policy::from_yaml(&src, path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_corpus_case_gets_its_expected_verdict() {
    let (manifest, world) = load();
    let policy = Policy::embedded_default().expect("default policy");
    let tenants = fdcs_policy::TenantsFile::from_yaml(
        &std::fs::read_to_string(corpus_dir().join("tenants.yaml")).expect("tenants.yaml"),
        "tenants.yaml",
    )
    .expect("tenants.yaml parses");
    let mut failures = Vec::new();
    let mut policies: std::collections::BTreeMap<String, Policy> = Default::default();
    // the rule ids the judge gave on cases that passed
    let mut emitted = BTreeSet::new();
    for c in &manifest.cases {
        let raw = std::fs::read(corpus_dir().join(&c.file)).expect("case file");
        let req = parse_request(&raw);
        let id = TenantId::new(c.tenant.as_deref().unwrap_or("alpha")).unwrap();
        let tenant = tenants
            .get(&id)
            .unwrap_or_else(|| panic!("{}: tenant {id} is not in tenants.yaml", c.file))
            .tenant
            .clone();
        let verdict = match &c.policy {
            None => judge_with_world(&policy, &tenant, &req, &world),
            Some(path) => {
                let p = policies
                    .entry(path.clone())
                    .or_insert_with(|| load_policy(path));
                judge_with_world(p, &tenant, &req, &world)
            }
        };
        let why = check_case(c, &verdict);
        if let Some(gap) = &c.pending {
            if why.is_empty() {
                failures.push(format!(
                    "{}: passes now; remove its `pending` marker ({gap})",
                    c.file
                ));
            } else {
                eprintln!("pending {}: {gap}", c.file);
            }
            continue;
        }
        if let (true, Verdict::Deny(d)) = (why.is_empty(), &verdict) {
            // a denial without a rule id is the daemon's own not-found,
            // which `lint` reports as `tenancy.not-found`
            emitted.insert(
                d.rule
                    .as_ref()
                    .map_or_else(|| "tenancy.not-found".to_string(), ToString::to_string),
            );
        }
        if !why.is_empty() {
            let shown = match &verdict {
                Verdict::Deny(d) => format!("deny {} {:?}: {}", d.status, d.rule, d.message),
                v => v.kind().to_string(),
            };
            failures.push(format!("{}: {} (got {shown})", c.file, why.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        manifest.cases.len(),
        failures.join("\n")
    );

    // the catalog and the judge agree: every documented engine rule is
    // given by some case (the proxy's and lint's ids are shown by their own
    // crates' tests), and every id given is documented or one of the
    // policy's custom rules
    let never: Vec<&str> = fdcs_policy::rules::catalog::catalog()
        .iter()
        .filter(|d| d.id.layer() == fdcs_policy::rules::catalog::Layer::Core)
        .map(|d| d.id.as_str())
        .filter(|id| !SHOWN_ELSEWHERE.contains(id) && !emitted.contains(*id))
        .collect();
    assert!(never.is_empty(), "documented, but no case emits: {never:?}");
    let undocumented: Vec<&String> = emitted
        .iter()
        .filter(|id| fdcs_policy::RuleId::parse(id).is_none())
        .collect();
    assert!(
        undocumented.is_empty(),
        "emitted, not documented: {undocumented:?}"
    );
}

#[test]
fn every_rule_and_bypass_family_is_covered() {
    let (manifest, _) = load();
    let covered: BTreeSet<&str> = manifest
        .cases
        .iter()
        .flat_map(|c| c.covers.iter().map(String::as_str))
        .collect();
    let missing: Vec<&String> = manifest
        .must_cover
        .rules
        .iter()
        .chain(&manifest.must_cover.families)
        .filter(|id| !covered.contains(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "no corpus case covers {missing:?}");

    // every rule the judge can give must be in must_cover: the documented
    // engine rules (not the adapters' auth/upstream/body-size ones, not the
    // compose checks of `lint`) and the default policy's CEL rules
    let policy = Policy::embedded_default().expect("default policy");
    let listed: BTreeSet<&str> = manifest
        .must_cover
        .rules
        .iter()
        .map(String::as_str)
        .collect();
    let custom: Vec<String> = policy.custom.iter().map(|r| r.id().to_string()).collect();
    let unlisted: Vec<&str> = fdcs_policy::rules::catalog::catalog()
        .iter()
        // the proxy's and lint's ids are shown emitted by their own crates'
        // tests; an undecided conversation needs more lookup rounds than a
        // corpus case can hold (`session.rs` tests it)
        .filter(|d| d.id.layer() == fdcs_policy::rules::catalog::Layer::Core)
        .map(|d| d.id.as_str())
        .filter(|id| *id != "judge.undecided")
        .chain(custom.iter().map(String::as_str))
        .filter(|id| !listed.contains(id))
        .collect();
    assert!(
        unlisted.is_empty(),
        "rules missing from must_cover: {unlisted:?}"
    );

    // an expected rule id that is not a known rule is a typo in the manifest
    let known = listed;
    for c in &manifest.cases {
        let ids: Vec<&str> = match &c.rule {
            Some(Value::String(r)) => vec![r.as_str()],
            Some(Value::Array(rs)) => rs.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        for id in ids {
            assert!(known.contains(id), "{}: unknown rule id `{id}`", c.file);
        }
    }
}

#[test]
fn every_request_file_has_an_expected_verdict() {
    let (manifest, _) = load();
    // a file may be listed once per tenant and policy (the same request
    // from alpha and beta, or under the swarm policy)
    let mut listed: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for c in &manifest.cases {
        let tenant = c.tenant.as_deref().unwrap_or("alpha");
        let policy = c.policy.as_deref().unwrap_or("");
        *listed.entry((c.file.as_str(), tenant, policy)).or_default() += 1;
    }
    let dups: Vec<_> = listed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dups.is_empty(), "listed twice: {dups:?}");
    let mut on_disk = Vec::new();
    for family in std::fs::read_dir(corpus_dir()).unwrap() {
        let family = family.unwrap().path();
        if !family.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&family).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "http") {
                let rel = f.strip_prefix(corpus_dir()).unwrap();
                on_disk.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let orphans: Vec<_> = on_disk
        .iter()
        .filter(|f| !listed.keys().any(|(l, _, _)| l == f))
        .collect();
    assert!(
        orphans.is_empty(),
        "request files with no expected verdict: {orphans:?}"
    );
    let ghosts: Vec<_> = listed
        .keys()
        .filter(|(f, _, _)| !on_disk.iter().any(|d| d == f))
        .collect();
    assert!(
        ghosts.is_empty(),
        "manifest names missing files: {ghosts:?}"
    );
}

#[test]
fn the_assert_checker_can_fail() {
    // the checker itself must reject what it should, or the corpus proves nothing
    let fwd = serde_json::json!({"HostConfig": {"PidsLimit": 0, "Binds": ["beta_x:/x"]}});
    let v = Verdict::Rewrite(fdcs_policy::Forward {
        method: "POST".into(),
        path: "/v1.41/containers/create".into(),
        query: Some("name=beta_web&filters=%7B%22label%22%3A%5B%22x%22%5D%7D".into()),
        body: Some(fwd),
        stream_body: false,
        registry_auth: None,
        registry_config: None,
        postlude: vec![],
        prelude: vec![],
        response: fdcs_policy::ResponsePlan::PassThrough,
        warnings: Vec::new(),
        warnings_field: None,
    });
    for bad in [
        "/HostConfig/PidsLimit > 0",
        "/HostConfig/Binds/0 starts_with alpha_",
        "/HostConfig absent",
        "?name == alpha_web",
        "?filters has fdcs.tenant=alpha",
        "response == {\"kind\":\"events\"}",
    ] {
        assert!(check_assert(bad, &v).is_err(), "{bad} passed");
    }
    for good in [
        "/HostConfig/PidsLimit != 1",
        "/Labels absent",
        "?name == beta_web",
        "?filters has \"label\"",
    ] {
        assert!(check_assert(good, &v).is_ok(), "{good} failed");
    }
}
