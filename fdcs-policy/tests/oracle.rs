//! The engine's own router and decoder as a differential oracle (issue 13
//! item 1; DESIGN.md "Tests", invariants 1 and 6).
//!
//! `tests/oracle/main.go` (repository root) is built against the moby 20.10
//! source Debian ships (`golang-github-docker-docker-dev`): it routes a
//! request with the daemon's own route definitions, gorilla/mux and version
//! middleware, and decodes a body with the handler's own decoder
//! (`runconfig.ContainerDecoder.DecodeConfig` for create, `json.NewDecoder`
//! into the `api/types` struct elsewhere), re-encoded canonically.
//!
//! Every request of the corpus (`corpus/**/*.http`, `data/bodies`), every
//! route of the daemon's table and of the swagger list in many spellings,
//! and generated bodies (see `oracle/gen.rs`) go through both, and must agree:
//!
//! - **route**: fdcs's endpoint is the daemon's route (same method and
//!   template, same parameters, same version), or both refuse;
//! - **body**, where both accept it: fdcs's decoded model equals the
//!   daemon's decoded struct on every field (a field fdcs leaves out is a Go
//!   zero value in the daemon's), *and* the daemon reads the body fdcs
//!   forwards (the canonical re-encoding of its model) exactly as it reads
//!   the original; where the daemon refuses the original, it refuses what
//!   fdcs would forward too.
//!
//! fdcs refusing what the daemon accepts is safe and allowed, counted by
//! reason; the few places where fdcs accepts and the daemon differs are the
//! explicit allowances of `oracle/allow.rs`, each with why. Without Go or
//! the package the tests skip with a message; with `CI=true` they fail.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test binary: a failed expectation is a panic"
)]

#[path = "oracle/allow.rs"]
mod allow;
#[path = "oracle/daemon.rs"]
mod daemon;
#[path = "oracle/gen.rs"]
mod gen;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fdcs_policy::decode::{self, DecodeError};
use fdcs_policy::route::{route, Endpoint, Group, RouteMatch, MIN_API_VERSION};
use fdcs_policy::Denial;
use serde_json::Value;

use daemon::{Answer, Line};

/// One request for both sides.
#[derive(Debug, Clone)]
struct Probe {
    /// Where it comes from (a corpus file, a generator and its variant).
    origin: String,
    method: String,
    target: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Probe {
    fn new(origin: impl Into<String>, method: &str, target: &str, body: Vec<u8>) -> Self {
        Probe {
            origin: origin.into(),
            method: method.into(),
            target: target.into(),
            content_type: (!body.is_empty()).then(|| "application/json".into()),
            body,
        }
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What one comparison came to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Both sides accept, and agree.
    Agree,
    /// Both sides refuse.
    BothRefuse,
    /// fdcs refuses what the daemon accepts (safe), and why.
    FdcsRefuses(String),
    /// An explicit allowance of `allow.rs`.
    Allowed(&'static str),
    /// A disagreement.
    Fail(String),
}

// ---------------------------------------------------------------- probes

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// A raw corpus request (CRLF head, `Content-Length` or chunked body), as
/// `corpus.rs` reads it.
fn parse_http(origin: &str, raw: &[u8]) -> Probe {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{origin}: no blank line"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap().split(' ');
    let method = first.next().unwrap().to_string();
    let target = first.next().unwrap().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let body = if header("transfer-encoding").is_some_and(|v| v == "chunked") {
        let mut body = Vec::new();
        let mut pos = 0;
        loop {
            let nl = pos + rest[pos..].windows(2).position(|w| w == b"\r\n").unwrap();
            let size_text = std::str::from_utf8(&rest[pos..nl]).unwrap();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap(), 16).unwrap();
            pos = nl + 2;
            if size == 0 {
                break body;
            }
            body.extend_from_slice(&rest[pos..pos + size]);
            pos += size + 2;
        }
    } else {
        rest.to_vec()
    };
    Probe {
        origin: origin.to_string(),
        method,
        target,
        content_type: header("content-type"),
        body,
    }
}

fn corpus_probes() -> Vec<Probe> {
    let root = manifest().join("tests/corpus");
    let mut files = Vec::new();
    walk(&root, "http", &mut files);
    files
        .iter()
        .map(|f| {
            let name = f.strip_prefix(&root).unwrap().display().to_string();
            parse_http(&format!("corpus/{name}"), &std::fs::read(f).unwrap())
        })
        .collect()
}

/// The captured bodies of `data/bodies`, sent where their clients sent them.
fn captured_probes() -> Vec<Probe> {
    let root = manifest().join("tests/data/bodies");
    let mut files = Vec::new();
    walk(&root, "json", &mut files);
    files
        .iter()
        .map(|f| {
            let file = f.file_name().unwrap().to_string_lossy().to_string();
            // swarm/ names carry the client first
            let name = file
                .strip_prefix("cli20-")
                .or_else(|| file.strip_prefix("cli28-"))
                .map(|n| n.strip_prefix("stack-deploy-").unwrap_or(n))
                .unwrap_or(&file)
                .to_string();
            let kind = [
                ("services-create", "service"),
                ("service-update", "service-update"),
                ("secrets-create", "secret"),
                ("configs-create", "config"),
                ("networks-create", "network"),
                ("container-create", "create"),
                ("container-update", "update"),
                ("exec-create", "exec"),
                ("network-create", "network"),
                ("network-connect", "connect"),
                ("network-disconnect", "disconnect"),
                ("volume-create", "volume"),
            ]
            .iter()
            .find(|(p, _)| name.starts_with(p))
            .map(|(_, k)| *k)
            .unwrap_or_else(|| panic!("{name}: unknown family"));
            let (m, t) = gen::target(kind);
            let origin = format!("data/bodies/{}", f.strip_prefix(&root).unwrap().display());
            Probe::new(origin, m, t, std::fs::read(f).unwrap())
        })
        .collect()
}

/// Concrete paths for a route template (`{name:.*}` and friends filled in).
fn instantiate(template: &str) -> Vec<String> {
    let mut fills = vec!["web"];
    if ["/images/", "/distribution/", "/plugins/"]
        .iter()
        .any(|p| template.starts_with(p))
    {
        fills.push("library/busybox:latest");
    }
    fills
        .into_iter()
        .map(|fill| {
            let mut out = String::new();
            let mut rest = template;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                out.push_str(fill);
                rest = &rest[close..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// Route probes: every daemon route and every swagger route, with every
/// method and version prefix, and the daemon routes in many spellings.
fn route_probes(bin: &Path) -> Vec<Probe> {
    let listing = std::process::Command::new(bin)
        .arg("-routes")
        .output()
        .unwrap();
    assert!(listing.status.success());
    let mut paths = BTreeSet::new();
    for l in String::from_utf8(listing.stdout).unwrap().lines() {
        let template = l.split(' ').nth(1).unwrap();
        paths.extend(instantiate(template));
    }
    let daemon_paths = paths.clone();
    for l in include_str!("data/routes/swagger-paths.txt").lines() {
        if let Some(t) = l.split(' ').nth(1) {
            paths.extend(instantiate(t));
        }
    }
    let mut out = Vec::new();
    for p in &paths {
        for prefix in gen::PREFIXES {
            for m in gen::METHODS {
                out.push(Probe::new("routes", m, &format!("{prefix}{p}"), Vec::new()));
            }
        }
    }
    for p in &daemon_paths {
        for s in gen::spellings(p) {
            for m in ["GET", "POST", "DELETE", "HEAD", "PUT"] {
                out.push(Probe::new(
                    "route-spellings",
                    m,
                    &format!("/v1.41{s}"),
                    Vec::new(),
                ));
            }
        }
    }
    out
}

fn body_probes(seeds: &[Probe]) -> Vec<Probe> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |out: &mut Vec<Probe>, origin: String, kind: &str, body: Vec<u8>| {
        if seen.insert((kind.to_string(), body.clone())) {
            let (m, t) = gen::target(kind);
            out.push(Probe::new(origin, m, t, body));
        }
    };
    // every seed body (captured, corpus) mutated
    let mut bases: Vec<(String, &'static str, Value)> = Vec::new();
    for s in seeds {
        let Ok(d) = route(&s.method, s.path(), MIN_API_VERSION) else {
            continue;
        };
        let kind = match d.endpoint {
            Endpoint::ContainerCreate => "create",
            Endpoint::ContainerUpdate => "update",
            Endpoint::ContainerExec => "exec",
            Endpoint::NetworkCreate => "network",
            Endpoint::NetworkConnect => "connect",
            Endpoint::NetworkDisconnect => "disconnect",
            Endpoint::VolumeCreate => "volume",
            Endpoint::ServiceCreate | Endpoint::ServiceUpdate => "service",
            Endpoint::SecretCreate => "secret",
            Endpoint::ConfigCreate => "config",
            _ => continue,
        };
        if let Ok(v) = serde_json::from_slice::<Value>(&s.body) {
            if v.is_object() {
                bases.push((s.origin.clone(), kind, v));
            }
        }
    }
    for (kind, body) in gen::OTHERS {
        let v: Value = serde_json::from_slice(body).unwrap();
        push(&mut out, format!("gen/{kind}"), kind, body.to_vec());
        bases.push((format!("gen/{kind}"), kind, v));
    }
    for shape in gen::SHAPES {
        push(&mut out, "gen/shape".into(), "create", shape.to_vec());
        if let Ok(v) = serde_json::from_slice::<Value>(shape) {
            if v.is_object() {
                bases.push(("gen/shape".into(), "create", v));
            }
        }
        // the shapes that are not about create fields, on the other routes
        if !shape.starts_with(b"{\"") {
            for kind in ["update", "exec", "network", "volume", "service"] {
                push(&mut out, "gen/shape".into(), kind, shape.to_vec());
            }
        }
    }
    // bodies with the same keys in the same places mutate alike: one of
    // each shape is enough (the corpus repeats shapes a lot)
    let mut shapes = BTreeSet::new();
    bases.retain(|(_, kind, v)| shapes.insert((kind.to_string(), key_shape(v))));
    for (origin, kind, v) in &bases {
        for (name, body) in gen::mutations(v) {
            push(&mut out, format!("{origin} {name}"), kind, body);
        }
        if *kind == "create" {
            for (name, body) in gen::legacy(v) {
                push(&mut out, format!("{origin} {name}"), kind, body);
            }
        }
    }
    let create: Value = serde_json::json!({"Image": "busybox", "HostConfig": {}});
    for ptr in gen::CREATE_NUMBERS {
        for n in gen::NUMBERS {
            push(
                &mut out,
                format!("gen/number {ptr}={n}"),
                "create",
                gen::with_number(&create, ptr, n),
            );
        }
    }
    for (ptr, kind, base) in [
        ("/Memory", "update", serde_json::json!({})),
        ("/ConsoleSize/0", "exec", serde_json::json!({"Cmd": ["ls"]})),
        (
            "/TaskTemplate/Resources/Limits/MemoryBytes",
            "service",
            serde_json::json!({"Name": "s"}),
        ),
        (
            "/UpdateConfig/MaxFailureRatio",
            "service",
            serde_json::json!({"Name": "s"}),
        ),
    ] {
        for n in gen::NUMBERS {
            push(
                &mut out,
                format!("gen/number {kind}{ptr}={n}"),
                kind,
                gen::with_number(&base, ptr, n),
            );
        }
    }
    for token in gen::STRINGS {
        for (name, body) in gen::with_string(token) {
            push(&mut out, format!("gen/{name}"), "create", body);
        }
    }
    for (name, body) in gen::nesting() {
        push(&mut out, format!("gen/{name}"), "create", body);
    }
    out
}

/// The keys of a body and where they are (values left out).
fn key_shape(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}:{}", key_shape(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(key_shape).collect::<Vec<_>>().join(",")
        ),
        _ => String::new(),
    }
}

// ------------------------------------------------------------ the routes

/// The daemon routes (method, template) an fdcs endpoint stands for.
fn daemon_routes(e: Endpoint) -> &'static [(&'static str, &'static str)] {
    use Endpoint as E;
    match e {
        E::ContainerList => &[("GET", "/containers/json")],
        E::ContainerCreate => &[("POST", "/containers/create")],
        E::ContainerInspect => &[("GET", "/containers/{name:.*}/json")],
        E::ContainerTop => &[("GET", "/containers/{name:.*}/top")],
        E::ContainerLogs => &[("GET", "/containers/{name:.*}/logs")],
        E::ContainerChanges => &[("GET", "/containers/{name:.*}/changes")],
        E::ContainerExport => &[("GET", "/containers/{name:.*}/export")],
        E::ContainerStats => &[("GET", "/containers/{name:.*}/stats")],
        E::ContainerResize => &[("POST", "/containers/{name:.*}/resize")],
        E::ContainerStart => &[("POST", "/containers/{name:.*}/start")],
        E::ContainerStop => &[("POST", "/containers/{name:.*}/stop")],
        E::ContainerRestart => &[("POST", "/containers/{name:.*}/restart")],
        E::ContainerKill => &[("POST", "/containers/{name:.*}/kill")],
        E::ContainerUpdate => &[("POST", "/containers/{name:.*}/update")],
        E::ContainerRename => &[("POST", "/containers/{name:.*}/rename")],
        E::ContainerPause => &[("POST", "/containers/{name:.*}/pause")],
        E::ContainerUnpause => &[("POST", "/containers/{name:.*}/unpause")],
        E::ContainerAttach => &[("POST", "/containers/{name:.*}/attach")],
        E::ContainerAttachWebsocket => &[("GET", "/containers/{name:.*}/attach/ws")],
        E::ContainerWait => &[("POST", "/containers/{name:.*}/wait")],
        E::ContainerDelete => &[("DELETE", "/containers/{name:.*}")],
        E::ContainerArchiveInfo => &[("HEAD", "/containers/{name:.*}/archive")],
        E::ContainerArchive => &[("GET", "/containers/{name:.*}/archive")],
        E::PutContainerArchive => &[("PUT", "/containers/{name:.*}/archive")],
        E::ContainerPrune => &[("POST", "/containers/prune")],
        E::ContainerExec => &[("POST", "/containers/{name:.*}/exec")],
        E::ExecStart => &[("POST", "/exec/{name:.*}/start")],
        E::ExecResize => &[("POST", "/exec/{name:.*}/resize")],
        E::ExecInspect => &[("GET", "/exec/{id:.*}/json")],
        E::ImageList => &[("GET", "/images/json")],
        E::ImageBuild => &[("POST", "/build")],
        E::BuildPrune => &[("POST", "/build/prune")],
        E::ImageCreate => &[("POST", "/images/create")],
        E::ImageInspect => &[("GET", "/images/{name:.*}/json")],
        E::ImageHistory => &[("GET", "/images/{name:.*}/history")],
        E::ImagePush => &[("POST", "/images/{name:.*}/push")],
        E::ImageTag => &[("POST", "/images/{name:.*}/tag")],
        E::ImageDelete => &[("DELETE", "/images/{name:.*}")],
        E::ImageSearch => &[("GET", "/images/search")],
        E::ImagePrune => &[("POST", "/images/prune")],
        E::ImageCommit => &[("POST", "/commit")],
        E::ImageGet => &[("GET", "/images/{name:.*}/get")],
        E::ImageGetAll => &[("GET", "/images/get")],
        E::ImageLoad => &[("POST", "/images/load")],
        E::DistributionInspect => &[("GET", "/distribution/{name:.*}/json")],
        E::NetworkList => &[("GET", "/networks")],
        E::NetworkInspect => &[("GET", "/networks/{id:.+}")],
        E::NetworkDelete => &[("DELETE", "/networks/{id:.*}")],
        E::NetworkCreate => &[("POST", "/networks/create")],
        E::NetworkConnect => &[("POST", "/networks/{id:.*}/connect")],
        E::NetworkDisconnect => &[("POST", "/networks/{id:.*}/disconnect")],
        E::NetworkPrune => &[("POST", "/networks/prune")],
        E::VolumeList => &[("GET", "/volumes")],
        E::VolumeCreate => &[("POST", "/volumes/create")],
        E::VolumeInspect => &[("GET", "/volumes/{name:.*}")],
        E::VolumeDelete => &[("DELETE", "/volumes/{name:.*}")],
        E::VolumePrune => &[("POST", "/volumes/prune")],
        E::SystemAuth => &[("POST", "/auth")],
        E::SystemInfo => &[("GET", "/info")],
        E::SystemVersion => &[("GET", "/version")],
        E::SystemPing => &[("GET", "/_ping")],
        E::SystemPingHead => &[("HEAD", "/_ping")],
        E::SystemEvents => &[("GET", "/events")],
        E::SystemDataUsage => &[("GET", "/system/df")],
        E::Session => &[("POST", "/session")],
        E::SwarmInspect => &[("GET", "/swarm")],
        E::ServiceList => &[("GET", "/services")],
        E::ServiceCreate => &[("POST", "/services/create")],
        E::ServiceInspect => &[("GET", "/services/{id}")],
        E::ServiceDelete => &[("DELETE", "/services/{id}")],
        E::ServiceUpdate => &[("POST", "/services/{id}/update")],
        E::ServiceLogs => &[("GET", "/services/{id}/logs")],
        E::TaskList => &[("GET", "/tasks")],
        E::TaskInspect => &[("GET", "/tasks/{id}")],
        E::TaskLogs => &[("GET", "/tasks/{id}/logs")],
        E::SecretList => &[("GET", "/secrets")],
        E::SecretCreate => &[("POST", "/secrets/create")],
        E::SecretInspect => &[("GET", "/secrets/{id}")],
        E::SecretDelete => &[("DELETE", "/secrets/{id}")],
        E::SecretUpdate => &[("POST", "/secrets/{id}/update")],
        E::ConfigList => &[("GET", "/configs")],
        E::ConfigCreate => &[("POST", "/configs/create")],
        E::ConfigInspect => &[("GET", "/configs/{id}")],
        E::ConfigDelete => &[("DELETE", "/configs/{id}")],
        E::ConfigUpdate => &[("POST", "/configs/{id}/update")],
        E::NodeList => &[("GET", "/nodes")],
        E::NodeInspect => &[("GET", "/nodes/{id}")],
        E::Admin(Group::Swarm) => &[
            ("POST", "/swarm/init"),
            ("POST", "/swarm/join"),
            ("POST", "/swarm/leave"),
            ("GET", "/swarm/unlockkey"),
            ("POST", "/swarm/update"),
            ("POST", "/swarm/unlock"),
        ],
        E::Admin(Group::Node) => &[("DELETE", "/nodes/{id}"), ("POST", "/nodes/{id}/update")],
        E::Admin(Group::Plugin) => &[
            ("GET", "/plugins"),
            ("GET", "/plugins/{name:.*}/json"),
            ("GET", "/plugins/privileges"),
            ("DELETE", "/plugins/{name:.*}"),
            ("POST", "/plugins/{name:.*}/enable"),
            ("POST", "/plugins/{name:.*}/disable"),
            ("POST", "/plugins/pull"),
            ("POST", "/plugins/{name:.*}/push"),
            ("POST", "/plugins/{name:.*}/upgrade"),
            ("POST", "/plugins/{name:.*}/set"),
            ("POST", "/plugins/create"),
        ],
        E::Admin(Group::Checkpoint) => &[
            ("GET", "/containers/{name:.*}/checkpoints"),
            ("POST", "/containers/{name:.*}/checkpoints"),
            ("DELETE", "/containers/{name}/checkpoints/{checkpoint}"),
        ],
        E::Admin(Group::Grpc) => &[("POST", "/grpc")],
        // the debug routes take any method (createMux registers them
        // without one): the oracle reports the template only
        E::Admin(Group::Other) => &[
            ("POST", "/build/cancel"),
            ("", "/debug/vars"),
            ("", "/debug/pprof/"),
            ("", "/debug/pprof/cmdline"),
            ("", "/debug/pprof/profile"),
            ("", "/debug/pprof/symbol"),
            ("", "/debug/pprof/trace"),
            ("", "/debug/pprof/{name}"),
        ],
        // newer than 20.10: never routed by its daemon (allow.rs)
        E::ImageAttestations | E::VolumeUpdate => &[],
    }
}

/// The variables of a template, in path order.
fn template_vars(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split(['}', ':']).next())
        .collect()
}

fn compare_route(p: &Probe, fdcs: &Result<RouteMatch, Denial>, d: &Answer) -> Outcome {
    let daemon_routes_it = matches!(d.outcome.as_str(), "routed" | "experimental");
    let m = match fdcs {
        Err(denial) => {
            if !daemon_routes_it {
                return Outcome::BothRefuse;
            }
            let rule = denial.rule.as_deref().unwrap_or("");
            return match allow::fdcs_refusal(rule, &d.method, &d.template) {
                Some(why) => Outcome::FdcsRefuses(why.to_string()),
                None => Outcome::Fail(format!(
                    "fdcs refuses ({rule}) a route the daemon serves: {} {}",
                    d.method, d.template
                )),
            };
        }
        Ok(m) => m,
    };
    if let Some(why) = allow::unrouted(m.endpoint, d) {
        return Outcome::Allowed(why);
    }
    if !matches!(d.outcome.as_str(), "routed" | "experimental" | "version") {
        return Outcome::Fail(format!(
            "fdcs routes {:?} what the daemon answers with {} {}",
            m.endpoint, d.outcome, d.location
        ));
    }
    let known = daemon_routes(m.endpoint)
        .iter()
        .any(|(meth, t)| *t == d.template && (meth.is_empty() || *meth == d.method));
    if !known {
        return Outcome::Fail(format!(
            "fdcs routes {:?}, the daemon {} {}",
            m.endpoint, d.method, d.template
        ));
    }
    if !matches!(m.endpoint, Endpoint::Admin(_)) {
        let theirs: Vec<&str> = template_vars(&d.template)
            .iter()
            .map(|v| d.vars.get(*v).map_or("", String::as_str))
            .collect();
        if theirs != m.params {
            return Outcome::Fail(format!(
                "parameters: fdcs {:?}, the daemon {theirs:?}",
                m.params
            ));
        }
    }
    let ours = m.version.map(|v| v.to_string());
    if ours.as_deref() != d.vars.get("version").map(String::as_str) {
        return Outcome::Fail(format!(
            "version: fdcs {ours:?}, the daemon {:?}",
            d.vars.get("version")
        ));
    }
    if d.outcome == "version" {
        return match allow::newer_version(m) {
            Some(why) => Outcome::Allowed(why),
            None => Outcome::Fail(format!("the daemon refuses the version: {}", d.error)),
        };
    }
    let _ = p;
    Outcome::Agree
}

// ------------------------------------------------------------ the bodies

/// fdcs's decoding of a body for a daemon decoder, as the judge decodes it:
/// the model, encoded canonically (what fdcs forwards).
fn fdcs_decode(decoder: &str, body: &[u8]) -> Option<Result<Value, DecodeError>> {
    use fdcs_policy::decode::*;
    fn enc<T: serde::Serialize>(r: Result<T, DecodeError>) -> Result<Value, DecodeError> {
        r.map(|m| encode(&m))
    }
    Some(match decoder {
        "container-create" => enc(decode_container_create(body)),
        "container-update" => enc(decode::decode::<ContainerUpdate>(body)),
        "exec-create" => enc(decode::decode::<ExecCreate>(body)),
        "network-create" => enc(decode::decode::<NetworkCreate>(body)),
        "network-connect" => enc(decode::decode::<NetworkConnect>(body)),
        "network-disconnect" => enc(decode::decode::<NetworkDisconnect>(body)),
        "volume-create" => enc(decode::decode::<VolumeCreate>(body)),
        "service-spec" => enc(decode::decode::<ServiceSpec>(body)),
        "secret-spec" => enc(decode::decode::<SecretSpec>(body)),
        "config-spec" => enc(decode::decode::<ConfigSpec>(body)),
        "auth" => enc(decode::decode::<AuthConfig>(body)),
        // exec start's model is the judge's own; not compared here
        _ => return None,
    })
}

/// A Go zero value: what a field fdcs leaves out reads as in the daemon.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty() || a.iter().all(|x| x.is_number() && is_zero(x)),
        Value::Object(m) => m.values().all(is_zero),
    }
}

/// `0` and `0.0`: one number (a Go float64 marshals without a fraction).
fn same_number(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_i64().zip(y.as_i64()).is_some_and(|(x, y)| x == y)
                || x.as_u64().zip(y.as_u64()).is_some_and(|(x, y)| x == y)
                || (x.is_f64() || y.is_f64()) && x.as_f64() == y.as_f64()
        }
        _ => false,
    }
}

/// `path` with array indices as `*`, for the allowance lists.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.parse::<usize>().is_ok() { "*" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// fdcs's model against the daemon's struct, field by field: every field
/// fdcs holds has the daemon's value; every field it leaves out is a zero
/// value in the daemon's (or an allowance).
fn agree(decoder: &str, path: &str, go: &Value, ours: Option<&Value>, out: &mut Vec<String>) {
    let ours = ours.filter(|v| !v.is_null());
    match (go, ours) {
        (_, None) => {
            if !is_zero(go) && !allow::daemon_default(decoder, path, go) {
                out.push(format!("{path}: the daemon reads {go}, fdcs nothing"));
            }
        }
        (Value::Object(g), Some(Value::Object(o))) => {
            // Go matches keys case-insensitively, and marshals its own
            // spelling (swarmkit's protobuf types have lower-case tags)
            let find = |k: &str| {
                o.get(k).or_else(|| {
                    o.iter()
                        .find(|(ok, _)| ok.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v)
                })
            };
            for (k, gv) in g {
                agree(decoder, &format!("{path}/{k}"), gv, find(k), out);
            }
            for (k, ov) in o {
                let p = format!("{path}/{k}");
                let known = g.keys().any(|gk| gk.eq_ignore_ascii_case(k));
                // a key Go left out: `omitempty` of a zero value, or a field
                // the 20.10 struct does not have
                if !known && !is_zero(ov) && !allow::field_unknown_to_20_10(decoder, &shape(&p)) {
                    out.push(format!(
                        "{p}: fdcs reads {ov}, the daemon has no such field"
                    ));
                }
            }
        }
        (Value::Array(g), Some(Value::Array(o))) if g.len() == o.len() => {
            for (i, (gv, ov)) in g.iter().zip(o).enumerate() {
                agree(decoder, &format!("{path}/{i}"), gv, Some(ov), out);
            }
        }
        (g, Some(o)) => {
            if g != o && !same_number(g, o) && !allow::same_value(decoder, path, g, o) {
                out.push(format!("{path}: the daemon reads {g}, fdcs {o}"));
            }
        }
    }
}

/// What the comparison of one body needs once the oracle has read fdcs's
/// forwarded body too.
struct Pending {
    probe: usize,
    decoder: String,
    original: Result<Value, String>,
    ours: Value,
}

#[derive(Default)]
struct Report {
    counts: BTreeMap<(String, Outcome), usize>,
    failures: Vec<String>,
    examples: BTreeMap<String, String>,
}

impl Report {
    fn add(&mut self, what: &str, p: &Probe, o: Outcome) {
        if let Outcome::Fail(why) = &o {
            self.failures.push(format!(
                "{what} {} {} [{}] body {:?}: {why}",
                p.method,
                p.target,
                p.origin,
                String::from_utf8_lossy(&p.body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
        let key = match &o {
            Outcome::Fail(_) => Outcome::Fail(String::new()),
            other => other.clone(),
        };
        let label = format!("{key:?}");
        self.examples
            .entry(format!("{what} {label}"))
            .or_insert_with(|| format!("{} {} [{}]", p.method, p.target, p.origin));
        *self.counts.entry((what.to_string(), key)).or_default() += 1;
    }

    fn finish(self, title: &str) {
        let total: usize = self.counts.values().sum();
        eprintln!("{title}: {total} comparisons");
        for ((what, o), n) in &self.counts {
            let ex = self
                .examples
                .get(&format!("{what} {o:?}"))
                .cloned()
                .unwrap_or_default();
            eprintln!("  {what:5} {n:7}  {o:?}   e.g. {ex}");
        }
        if !self.failures.is_empty() {
            let shown: Vec<&String> = self.failures.iter().take(60).collect();
            panic!(
                "{} disagreement(s) with the daemon (first {}):\n{}",
                self.failures.len(),
                shown.len(),
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// Runs probes through both sides and compares routes and bodies.
fn compare(bin: &Path, probes: &[Probe], title: &str) {
    let ids: Vec<String> = (0..probes.len()).map(|i| i.to_string()).collect();
    let lines: Vec<Line<'_>> = probes
        .iter()
        .zip(&ids)
        .map(|(p, id)| Line::Request {
            id,
            method: &p.method,
            target: &p.target,
            content_type: p.content_type.as_deref(),
            body: &p.body,
        })
        .collect();
    let t = std::time::Instant::now();
    let answers = daemon::ask(bin, &lines);
    eprintln!("{title}: the daemon's answers in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut report = Report::default();
    let mut pending = Vec::new();
    for (i, (p, d)) in probes.iter().zip(&answers).enumerate() {
        let fdcs = route(&p.method, p.path(), MIN_API_VERSION);
        let o = compare_route(p, &fdcs, d);
        let routed_alike = matches!(o, Outcome::Agree | Outcome::Allowed(_));
        report.add("route", p, o);
        if !routed_alike || d.outcome != "routed" || d.decoder.is_empty() {
            continue;
        }
        let original = match &d.decoded {
            Some(v) => Ok(v.clone()),
            None => Err(d.decode_error.clone()),
        };
        let Some(ours) = fdcs_decode(&d.decoder, &p.body) else {
            continue;
        };
        match (ours, &original) {
            (Err(_), Err(_)) => report.add("body", p, Outcome::BothRefuse),
            (Err(e), Ok(_)) => report.add("body", p, Outcome::FdcsRefuses(format!("{:?}", e.kind))),
            (Ok(ours), _) => {
                // the judge's model reads back as itself
                let again = fdcs_decode(&d.decoder, ours.to_string().as_bytes());
                if !matches!(&again, Some(Ok(v)) if *v == ours) {
                    report.add(
                        "body",
                        p,
                        Outcome::Fail(format!("fdcs's forward {ours} reads back as {again:?}")),
                    );
                    continue;
                }
                pending.push(Pending {
                    probe: i,
                    decoder: d.decoder.clone(),
                    original,
                    ours,
                });
            }
        }
    }
    // the daemon reads what fdcs would forward
    let forwards: Vec<Vec<u8>> = pending
        .iter()
        .map(|q| q.ours.to_string().into_bytes())
        .collect();
    let lines: Vec<Line<'_>> = pending
        .iter()
        .zip(&forwards)
        .zip(&ids)
        .map(|((q, body), id)| Line::Decode {
            id,
            decoder: &q.decoder,
            body,
        })
        .collect();
    eprintln!("{title}: fdcs's side in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let again = daemon::ask(bin, &lines);
    eprintln!(
        "{title}: the daemon's reading of the forwards in {:?}",
        t.elapsed()
    );
    for (q, d2) in pending.iter().zip(&again) {
        let p = &probes[q.probe];
        let forward = d2.decoded.clone().ok_or_else(|| d2.decode_error.clone());
        let o = match (&q.original, &forward) {
            (Err(_), Err(_)) => Outcome::Allowed(allow::DAEMON_REFUSES_BOTH),
            (Err(e), Ok(_)) => match allow::repaired(&q.decoder, e) {
                Some(why) => Outcome::Allowed(why),
                None => Outcome::Fail(format!(
                    "the daemon refuses the original ({e}) but accepts fdcs's forward {}",
                    q.ours
                )),
            },
            (Ok(_), Err(e)) => Outcome::Fail(format!(
                "the daemon accepts the original but refuses fdcs's forward {} ({e})",
                q.ours
            )),
            (Ok(orig), Ok(fwd)) => {
                let mut diffs = Vec::new();
                agree(&q.decoder, "", orig, Some(&q.ours), &mut diffs);
                if orig != fwd && !allow::same_reading(&q.decoder, orig, fwd) {
                    diffs.push(format!(
                        "the daemon reads the original as {orig} and fdcs's forward {} as {fwd}",
                        q.ours
                    ));
                }
                if diffs.is_empty() {
                    Outcome::Agree
                } else {
                    Outcome::Fail(diffs.join("; "))
                }
            }
        };
        report.add("body", p, o);
    }
    report.finish(title);
}

#[test]
fn the_corpus_agrees_with_the_daemons_router_and_decoder() {
    let Some(bin) = daemon::oracle() else {
        return;
    };
    let mut probes = corpus_probes();
    assert!(probes.len() > 500, "the corpus went missing");
    probes.extend(captured_probes());
    compare(bin, &probes, "corpus");
}

#[test]
fn every_route_and_spelling_agrees_with_the_daemons_router() {
    let Some(bin) = daemon::oracle() else {
        return;
    };
    let probes = route_probes(bin);
    assert!(probes.len() > 10_000, "{} route probes", probes.len());
    compare(bin, &probes, "routes");
}

#[test]
fn generated_bodies_agree_with_the_daemons_decoder() {
    let Some(bin) = daemon::oracle() else {
        return;
    };
    let mut seeds = corpus_probes();
    seeds.extend(captured_probes());
    let probes = body_probes(&seeds);
    assert!(probes.len() > 5_000, "{} body probes", probes.len());
    compare(bin, &probes, "bodies");
}
