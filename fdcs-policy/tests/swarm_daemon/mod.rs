//! A model of the daemon's swarm routes for the core's tests
//! (`tests/swarm.rs`, `tests/swarm_attacks.rs`): it resolves a reference as
//! `daemon/cluster/helpers.go` does — exact id, then exact name, then a
//! unique id prefix — among *every* tenant's objects, filters lists by
//! `label` and `id`, and answers the core's questions through its own
//! session, as the tower adapter does.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic"
)]

use fdcs_policy::tenancy::OWNER_LABEL;
use fdcs_policy::{Policy, Request, ResourceKind, Session, Step, Tenant, Verdict};
use serde_json::{json, Value};

/// One object of the model daemon.
pub(crate) struct Obj {
    /// Which kind.
    pub(crate) kind: ResourceKind,
    /// Its engine id.
    pub(crate) id: &'static str,
    /// Its engine-side name.
    pub(crate) name: &'static str,
    /// The tenant its owner label names ("" for none).
    pub(crate) owner: &'static str,
}

/// The model daemon's answer to `target` (a path and query, any version
/// prefix), among `world`'s objects shown as `json_of` shows them.
pub(crate) fn answer(
    target: &str,
    world: Vec<Obj>,
    json_of: impl Fn(&Obj) -> Value,
) -> (u16, Vec<u8>) {
    let target = match target.strip_prefix("/v1.") {
        Some(rest) => rest.split_once('/').map_or("", |(_, r)| r),
        None => target,
    }
    .trim_start_matches('/');
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (kind_path, reference) = path.split_once('/').unwrap_or((path, ""));
    if kind_path == "containers" {
        // the tenant's containers, for quotas: two running tasks of
        // alpha's web, each reserving 1 GiB, half a CPU and 256 pids
        let task = |id: &str| {
            json!({"Id": id, "State": "running", "Ports": [],
                "Labels": {OWNER_LABEL: "alpha", "fdcs.reserve": "1073741824,500000000,256,0"}})
        };
        return (
            200,
            serde_json::to_vec(&json!([task(&"c".repeat(64)), task(&"d".repeat(64))])).unwrap(),
        );
    }
    if kind_path == "images" {
        let id = format!("sha256:{}", "e".repeat(64));
        return (
            200,
            serde_json::to_vec(&json!({"Id": id, "RepoTags": ["busybox:latest"],
            "RepoDigests": [], "Config": {}}))
            .unwrap(),
        );
    }
    if kind_path == "volumes" {
        return (200, br#"{"Volumes":[],"Warnings":null}"#.to_vec());
    }
    let kind = match kind_path {
        "services" => ResourceKind::Service,
        "secrets" => ResourceKind::Secret,
        "configs" => ResourceKind::Config,
        "tasks" => ResourceKind::Task,
        "networks" => ResourceKind::Network,
        other => panic!("the model daemon has no {other}"),
    };
    let all: Vec<Obj> = world.into_iter().filter(|o| o.kind == kind).collect();
    if reference.is_empty() {
        let filters: Value = query
            .strip_prefix("filters=")
            .map(|f| serde_json::from_str(&percent_decode(f)).unwrap())
            .unwrap_or(json!({}));
        let want = |key: &str| -> Vec<String> {
            match filters.get(key) {
                Some(Value::Array(a)) => a.iter().map(|v| v.as_str().unwrap().into()).collect(),
                Some(Value::Object(m)) => m.keys().cloned().collect(),
                _ => Vec::new(),
            }
        };
        let labels = want("label");
        let ids = want("id");
        let out: Vec<Value> = all
            .iter()
            .filter(|o| {
                labels
                    .iter()
                    .all(|l| *l == format!("{OWNER_LABEL}={}", o.owner))
            })
            .filter(|o| ids.iter().all(|p| o.id.starts_with(p.as_str())))
            .map(&json_of)
            .collect();
        return (200, serde_json::to_vec(&out).unwrap());
    }
    let reference = percent_decode(reference);
    let found: Vec<&Obj> = if let Some(o) = all.iter().find(|o| o.id == reference) {
        vec![o]
    } else if let Some(o) = all.iter().find(|o| o.name == reference) {
        vec![o]
    } else {
        all.iter()
            .filter(|o| o.id.starts_with(&reference))
            .collect()
    };
    match found.as_slice() {
        [one] => (200, serde_json::to_vec(&json_of(one)).unwrap()),
        [] => (
            404,
            format!(r#"{{"message":"{} {reference} not found"}}"#, kind.noun()).into_bytes(),
        ),
        many => (
            400,
            format!(
                r#"{{"message":"{} {reference} is ambiguous ({} matches found)"}}"#,
                kind.noun(),
                many.len()
            )
            .into_bytes(),
        ),
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Judges `req` for `t` under `policy`, answering every question from
/// `daemon` as the tower adapter does (an id prefix the inspect did not
/// answer is asked again as the owner-filtered list).
pub(crate) fn judge_session(
    policy: &Policy,
    t: &Tenant,
    req: &Request,
    daemon: impl Fn(&str) -> (u16, Vec<u8>),
) -> Verdict {
    let mut session = Session::new(policy, t, req);
    loop {
        match session.step() {
            Step::Decided(v) => return v,
            Step::Ask(questions) => {
                for q in questions {
                    let Some(eq) = q.engine_query(&t.id) else {
                        session.facts_mut().learn_absent(&t.id, &q);
                        continue;
                    };
                    let (mut status, mut answer) = daemon(&eq.target);
                    let mut asked = eq.clone();
                    if let Some(list) = eq.instead(status) {
                        (status, answer) = daemon(&list.target);
                        asked = list;
                    }
                    session
                        .facts_mut()
                        .learn(&t.id, &q, &asked, status, &answer)
                        .unwrap();
                }
            }
        }
    }
}
