//! Judging a project's requests with the core, as `serve` would at
//! `docker-compose up` time.
//!
//! A create that names the project's own networks or volumes makes the core
//! ask who owns them ([`Verdict::Need`]). At `up` time compose has just
//! created them for this tenant, so the answer is known: the facts list the
//! project's own networks and volumes (and nothing else) and the request is
//! judged again. A reference to anything else stays unowned, as it would be.

use super::engine::{is_external, object_name, EngineRequest};
use super::load::Project;
use super::node::Node;
use fdcs_policy::tenancy::engine_name;
use fdcs_policy::{
    Facts, NoAnswers, Owned, Policy, Request, ResourceKind, Session, Tenant, Verdict,
};

/// The networks, volumes and containers `up` creates for the tenant: a
/// service may name the others (`links`, `network_mode: service:x`, a
/// further network it is connected to). External networks and volumes are
/// not among them: compose only looks them up.
pub fn project_facts(project: &Project, tenant: &Tenant) -> Facts {
    let owned = |section: &str, implicit_default: bool| -> Vec<Owned> {
        let mut names: Vec<String> = project
            .doc
            .get(section)
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            // an external network or volume is someone else's until the
            // daemon says otherwise: compose does not create it
            .filter(|(_, def)| !is_external(def))
            .filter_map(|(k, _)| k.as_scalar())
            .map(|k| object_name(project, section, &k))
            .collect();
        if implicit_default {
            names.push(format!("{}_default", project.name));
        }
        names
            .into_iter()
            .map(|n| {
                let engine = engine_name(&tenant.id, &n);
                Owned {
                    id: fake_id(&engine),
                    name: engine,
                }
            })
            .collect()
    };
    // the project judged on its own: quotas see each request alone
    let mut facts = Facts::offline();
    facts.set_owned(ResourceKind::Network, owned("networks", true));
    facts.set_owned(ResourceKind::Volume, owned("volumes", false));
    let containers = project
        .doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, _)| k.as_scalar())
        .map(|svc| {
            let engine = engine_name(&tenant.id, &format!("{}_{svc}_1", project.name));
            Owned {
                id: fake_id(&engine),
                name: engine,
            }
        })
        .collect();
    facts.set_owned(ResourceKind::Container, containers);
    facts
}

/// A stable 64-hex id for a resource that does not exist yet.
fn fake_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(64);
    for round in 0u64..4 {
        for b in name.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// Judges one request body (bytes as compose would send them).
pub fn verdict(
    policy: &Policy,
    tenant: &Tenant,
    req: &EngineRequest,
    body: &serde_json::Value,
    facts: &Facts,
) -> Verdict {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(body).unwrap_or_default()
    };
    let request = Request::new(req.method, &req.target, bytes);
    let session = Session::new(policy, tenant, &request).with_facts(facts.clone());
    let Ok((verdict, _)) = session.run(&mut NoAnswers);
    verdict
}
