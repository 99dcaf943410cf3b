//! Judging a project's requests with the core, as `serve` would at
//! `docker-compose up` time.
//!
//! A create that names the project's own networks or volumes makes the core
//! ask who owns them ([`Verdict::Need`]). At `up` time compose has just
//! created them for this tenant, so the answer is known: the facts list
//! what the project created so far (and nothing else). A reference to
//! anything else stays unowned, as it would be; external networks and
//! volumes are not among them, compose only looks them up.
//!
//! Quotas count what the project itself created before the request
//! ([`UpState`]): a fresh tenant at `up` time holds exactly that. The
//! tenant's other objects are unknown offline and count as none, so a
//! finding is a lower bound: a project over quota on its own is refused
//! whatever else the tenant holds; one within it may still be refused on a
//! tenant that holds more (`check --state` counts a state file's).

use super::engine::{scale, EngineRequest};
use super::load::Project;
use fdcs_policy::tenancy::engine_name;
use fdcs_policy::tenancy::usage::{ContainerUsage, Reservation, RunState, Usage, RESERVE_LABEL};
use fdcs_policy::{
    Facts, Forward, NoAnswers, Owned, Policy, Request, ResourceKind, Session, Tenant, Verdict,
};
use serde_json::Value;

/// The tenant as `docker-compose up` leaves it, request by request: the
/// facts each request is judged with, then [`UpState::record`] adds what
/// it created. Networks and volumes are owned (and counted) from their
/// create on, in the order compose sends them (all before any container);
/// containers count from their create, as running (`up` starts each one:
/// its reservation holds), and every container of the project is owned
/// from the start, since compose orders services by what they name.
/// Everything compose sends counts, refused or not: the quota findings say
/// what the project needs in total, and an object refused for another
/// reason (to be fixed) stays nameable by the later requests.
#[derive(Debug, Clone)]
pub struct UpState {
    facts: Facts,
    tenant: fdcs_policy::TenantId,
    anonymous: usize,
    /// Service → what its last allowed container reserves.
    reserved: std::collections::BTreeMap<String, Reservation>,
}

impl UpState {
    /// Before the first request: the project's own containers are owned
    /// (references between services), nothing is counted yet.
    pub fn new(project: &Project, tenant: &Tenant) -> UpState {
        let mut facts = Facts::offline();
        // counted, not waved through: the project's own objects so far
        facts.usage = Some(Usage {
            containers: Vec::new(),
            offline: false,
        });
        facts.set_owned(ResourceKind::Network, Vec::new());
        facts.set_owned(ResourceKind::Volume, Vec::new());
        let containers = scale::plan(project)
            .iter()
            .flat_map(|r| {
                (1..=r.judged).map(move |n| format!("{}_{}_{n}", project.name, r.service))
            })
            .map(|n| {
                let engine = engine_name(&tenant.id, &n);
                Owned {
                    id: fake_id(&engine),
                    name: engine,
                }
            })
            .collect();
        facts.set_owned(ResourceKind::Container, containers);
        UpState {
            facts,
            tenant: tenant.id.clone(),
            anonymous: 0,
            reserved: std::collections::BTreeMap::new(),
        }
    }

    /// The facts the next request is judged with.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Adds what `req` created: its network, its volume, or its container
    /// (holding what the core recorded in `forward`'s reserve label; when
    /// refused, what the service's last allowed container holds), the volumes and network its preludes create and the
    /// anonymous volumes its mounts make. A connect creates nothing.
    pub fn record(&mut self, req: &EngineRequest, forward: Option<&Forward>) {
        let path = req.target.split('?').next().unwrap_or("");
        let sent_name = req.body.get("Name").and_then(Value::as_str);
        let judged_name = forward
            .and_then(|f| f.body.as_ref())
            .and_then(|b| b.get("Name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let engine = |n: &str| engine_name(&self.tenant, n);
        if path.ends_with("/networks/create") {
            if let Some(n) = judged_name.or_else(|| sent_name.map(engine)) {
                self.add(ResourceKind::Network, n);
            }
        } else if path.ends_with("/volumes/create") {
            if let Some(n) = judged_name.or_else(|| sent_name.map(engine)) {
                self.add(ResourceKind::Volume, n);
            }
        } else if path.ends_with("/containers/create") {
            self.record_container(req, forward);
        }
    }

    fn record_container(&mut self, req: &EngineRequest, forward: Option<&Forward>) {
        let name = req
            .target
            .split_once("name=")
            .map_or("", |(_, n)| n.split('&').next().unwrap_or(""));
        let body = forward.and_then(|f| f.body.as_ref());
        let recorded = body
            .and_then(|b| b.get("Labels"))
            .and_then(|l| l.get(RESERVE_LABEL))
            .and_then(Value::as_str)
            .and_then(Reservation::from_label);
        // a refused replica holds what the service's allowed ones do (the
        // same body but its name); a refused first container, nothing
        let reserved = match recorded {
            Some(r) => {
                self.reserved.insert(req.subject.clone(), r);
                r
            }
            None => self.reserved.get(&req.subject).copied().unwrap_or_default(),
        };
        let id = fake_id(&engine_name(&self.tenant, name));
        if let Some(u) = self.facts.usage.as_mut() {
            u.containers.push(ContainerUsage {
                id,
                state: RunState::Running,
                reserved: Some(reserved),
                published: 0,
            });
        }
        for p in forward.map(|f| f.prelude.as_slice()).unwrap_or_default() {
            let kind = if p.path.ends_with("/volumes/create") {
                ResourceKind::Volume
            } else if p.path.ends_with("/networks/create") {
                ResourceKind::Network
            } else {
                continue;
            };
            if let Some(n) = p.body.get("Name").and_then(Value::as_str) {
                self.add(kind, n.to_string());
            }
        }
        // a volume mount without a source: the daemon makes a new volume
        let anonymous = body
            .and_then(|b| b.get("HostConfig"))
            .and_then(|h| h.get("Mounts"))
            .and_then(Value::as_array)
            .map_or(0, |ms| {
                ms.iter()
                    .filter(|m| m.get("Type").and_then(Value::as_str) == Some("volume"))
                    .filter(|m| {
                        m.get("Source")
                            .and_then(Value::as_str)
                            .is_none_or(str::is_empty)
                    })
                    .count()
            });
        for _ in 0..anonymous {
            self.anonymous += 1;
            let n = format!("anonymous volume {}", self.anonymous);
            self.add(ResourceKind::Volume, n);
        }
    }

    /// Owns `name` of `kind` from now on (once).
    fn add(&mut self, kind: ResourceKind, name: String) {
        let list = self.facts.owned_mut(kind);
        if list.iter().any(|o| o.name == name) {
            return;
        }
        list.push(Owned {
            id: fake_id(&name),
            name,
        });
    }
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
