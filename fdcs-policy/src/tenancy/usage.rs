//! What a tenant holds on the engine, as quotas count it: its containers by
//! state and what each reserves of the host.
//!
//! Usage is read from the engine's own state at decision time — one list of
//! the tenant's containers filtered by the owner label — never from the
//! proxy's memory, so that several `serve` replicas agree. What a container
//! reserves (memory, CPUs, pids and published ports, as judged at create) is
//! recorded by fdcs in a reserved label ([`RESERVE_LABEL`]) that the tenant
//! can neither set nor see; the list answer carries it, so the whole usage
//! costs one call whose size is bounded by the tenant's container quota.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::OWNER_LABEL;
use crate::TenantId;

/// The label in which fdcs records what a container reserves, written at
/// create (labels cannot change afterwards; an update may only lower what
/// the label says, see `rules::quotas`).
pub const RESERVE_LABEL: &str = "fdcs.reserve";

/// What one container reserves of the host while it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Memory limit in bytes.
    pub memory: i64,
    /// CPU limit in nano-CPUs.
    pub nano_cpus: i64,
    /// Pids limit.
    pub pids: i64,
    /// Host ports it publishes.
    pub ports: i64,
}

impl Reservation {
    /// The label value: `memory,nano_cpus,pids,ports`.
    pub fn label_value(&self) -> String {
        format!(
            "{},{},{},{}",
            self.memory, self.nano_cpus, self.pids, self.ports
        )
    }

    /// Reads a label value; `None` unless it is exactly four non-negative
    /// integers (a label fdcs did not write counts as unknown).
    pub fn from_label(s: &str) -> Option<Reservation> {
        let mut it = s.split(',').map(|n| {
            n.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0 && n.bytes().all(|b| b.is_ascii_digit()))
        });
        let r = Reservation {
            memory: it.next()??,
            nano_cpus: it.next()??,
            pids: it.next()??,
            ports: it.next()??,
        };
        it.next().is_none().then_some(r)
    }

    /// `n` of it (a service's replicas), saturating.
    pub fn times(self, n: u64) -> Reservation {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        Reservation {
            memory: self.memory.saturating_mul(n),
            nano_cpus: self.nano_cpus.saturating_mul(n),
            pids: self.pids.saturating_mul(n),
            ports: self.ports.saturating_mul(n),
        }
    }

    /// What `self` holds beyond `o`, field by field (never negative).
    pub fn beyond(self, o: Reservation) -> Reservation {
        Reservation {
            memory: self.memory.saturating_sub(o.memory).max(0),
            nano_cpus: self.nano_cpus.saturating_sub(o.nano_cpus).max(0),
            pids: self.pids.saturating_sub(o.pids).max(0),
            ports: self.ports.saturating_sub(o.ports).max(0),
        }
    }

    /// The sum, saturating (an engine answer cannot overflow the count).
    pub fn plus(self, o: Reservation) -> Reservation {
        Reservation {
            memory: self.memory.saturating_add(o.memory),
            nano_cpus: self.nano_cpus.saturating_add(o.nano_cpus),
            pids: self.pids.saturating_add(o.pids),
            ports: self.ports.saturating_add(o.ports),
        }
    }
}

/// The states the daemon reports (`State` in a list answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused: its memory stays taken.
    Paused,
    /// Restarting.
    Restarting,
    /// Being removed.
    Removing,
    /// Exited.
    Exited,
    /// Dead.
    Dead,
}

impl RunState {
    fn parse(s: &str) -> Option<RunState> {
        Some(match s {
            "created" => RunState::Created,
            "running" => RunState::Running,
            "paused" => RunState::Paused,
            "restarting" => RunState::Restarting,
            "removing" => RunState::Removing,
            "exited" => RunState::Exited,
            "dead" => RunState::Dead,
            _ => return None,
        })
    }

    /// Whether a container in this state holds its reservation (counts
    /// against the memory, CPU, pids and port quotas).
    pub fn holds(self) -> bool {
        matches!(
            self,
            RunState::Running | RunState::Paused | RunState::Restarting
        )
    }
}

/// One of the tenant's containers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerUsage {
    /// Full id.
    pub id: String,
    /// Its state.
    pub state: RunState,
    /// What it reserves; `None` when it carries no reserve label (created
    /// before fdcs recorded one): quotas then count the per-container
    /// ceiling, the most it can hold.
    pub reserved: Option<Reservation>,
    /// Host ports it publishes now (distinct port and protocol pairs).
    pub published: i64,
}

/// The tenant's containers, read from the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Every container the tenant owns, any state.
    pub containers: Vec<ContainerUsage>,
    /// Judged without an engine (`lint`, `test`, `check` without a state
    /// file): the tenant holds nothing at all, volumes and networks
    /// included, so quotas see the request on its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
}

/// Container counts as `docker info` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All.
    pub total: i64,
    /// Running (and restarting).
    pub running: i64,
    /// Paused.
    pub paused: i64,
    /// Everything else.
    pub stopped: i64,
}

impl Usage {
    /// Reads the engine's answer to the owner-filtered container list
    /// (`GET /containers/json?all=1&filters={"label":["fdcs.tenant=<id>"]}`);
    /// `None` when it is not a list of containers. Entries without the
    /// tenant's owner label are left out (defence in depth behind the
    /// filter).
    pub fn from_list(tenant: &TenantId, v: &Value) -> Option<Usage> {
        let mut containers = Vec::new();
        for c in v.as_array()? {
            let labels = c.get("Labels");
            let owner = labels
                .and_then(|l| l.get(OWNER_LABEL))
                .and_then(Value::as_str);
            if owner != Some(tenant.as_str()) {
                continue;
            }
            let mut ports: Vec<(i64, &str)> = c
                .get("Ports")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| {
                            let public = p.get("PublicPort")?.as_i64().filter(|n| *n > 0)?;
                            Some((public, p.get("Type").and_then(Value::as_str).unwrap_or("")))
                        })
                        .collect()
                })
                .unwrap_or_default();
            // the daemon lists a binding once per address family
            ports.sort_unstable();
            ports.dedup();
            containers.push(ContainerUsage {
                id: c.get("Id")?.as_str()?.to_string(),
                state: RunState::parse(c.get("State")?.as_str()?)?,
                reserved: labels
                    .and_then(|l| l.get(RESERVE_LABEL))
                    .and_then(Value::as_str)
                    .and_then(Reservation::from_label),
                published: i64::try_from(ports.len()).unwrap_or(i64::MAX),
            });
        }
        Some(Usage {
            containers,
            offline: false,
        })
    }

    /// Container counts by state.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for k in &self.containers {
            c.total += 1;
            match k.state {
                RunState::Running | RunState::Restarting => c.running += 1,
                RunState::Paused => c.paused += 1,
                _ => c.stopped += 1,
            }
        }
        c
    }

    /// The container with this full id.
    pub fn container(&self, id: &str) -> Option<&ContainerUsage> {
        self.containers.iter().find(|c| c.id == id)
    }

    /// What the holding containers reserve together, `except` one (the
    /// container a request is about to start or change). A container
    /// without a reserve label counts as `unknown` (the per-container
    /// ceilings); ports count as published now, or as reserved when more.
    pub fn reserved(&self, unknown: Reservation, except: Option<&str>) -> Reservation {
        self.containers
            .iter()
            .filter(|c| c.state.holds() && Some(c.id.as_str()) != except)
            .fold(Reservation::default(), |sum, c| {
                let mut r = c.reserved.unwrap_or(unknown);
                r.ports = r.ports.max(c.published);
                sum.plus(r)
            })
    }
}

/// A tenant's whole usage, as an operator reads it (`fdcs-policy usage`,
/// the `/_fdcs/metrics` gauges): counts and sums next to each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Containers by state.
    pub containers: Counts,
    /// What the holding containers reserve (unlabelled ones at `unknown`).
    pub reserved: Reservation,
    /// Volumes with the tenant's owner label.
    pub volumes: i64,
    /// Networks with the tenant's owner label.
    pub networks: i64,
}

impl Tally {
    /// Tallies `tenant` from the engine's list answers of owner-labelled
    /// containers, volumes (`{"Volumes": [...]}`) and networks; `None` when
    /// an answer is not the engine's shape.
    pub fn from_lists(
        tenant: &TenantId,
        containers: &Value,
        volumes: &Value,
        networks: &Value,
        unknown: Reservation,
    ) -> Option<Tally> {
        let usage = Usage::from_list(tenant, containers)?;
        let owned = |items: &Value| -> Option<i64> {
            let n = items
                .as_array()?
                .iter()
                .filter(|o| {
                    o.get("Labels")
                        .and_then(|l| l.get(OWNER_LABEL))
                        .and_then(Value::as_str)
                        == Some(tenant.as_str())
                })
                .count();
            Some(i64::try_from(n).unwrap_or(i64::MAX))
        };
        let volumes = match volumes.get("Volumes")? {
            Value::Null => 0,
            list => owned(list)?,
        };
        Some(Tally {
            containers: usage.counts(),
            reserved: usage.reserved(unknown, None),
            volumes,
            networks: owned(networks)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use serde_json::json;

    fn alpha() -> TenantId {
        TenantId::new("alpha").unwrap()
    }

    #[test]
    fn reserve_labels_round_trip_and_anything_else_is_unknown() {
        let r = Reservation {
            memory: 1 << 30,
            nano_cpus: 500_000_000,
            pids: 256,
            ports: 2,
        };
        assert_eq!(Reservation::from_label(&r.label_value()), Some(r));
        for bad in [
            "",
            "1,2,3",
            "1,2,3,4,5",
            "-1,2,3,4",
            "+1,2,3,4",
            "1,2,x,4",
            " 1,2,3,4",
            "1,,3,4",
        ] {
            assert_eq!(Reservation::from_label(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_list_answer_reads_as_states_reservations_and_ports() {
        let v = json!([
            {"Id": "a", "State": "running", "Labels": {"fdcs.tenant": "alpha", "fdcs.reserve": "100,1000,10,1"},
             "Ports": [{"PrivatePort": 80, "PublicPort": 49153, "Type": "tcp", "IP": "0.0.0.0"},
                       {"PrivatePort": 80, "PublicPort": 49153, "Type": "tcp", "IP": "::"},
                       {"PrivatePort": 81, "Type": "tcp"}]},
            {"Id": "b", "State": "exited", "Labels": {"fdcs.tenant": "alpha", "fdcs.reserve": "100,1000,10,0"}},
            {"Id": "c", "State": "paused", "Labels": {"fdcs.tenant": "alpha"}},
            {"Id": "d", "State": "running", "Labels": {"fdcs.tenant": "beta", "fdcs.reserve": "1,1,1,1"}}
        ]);
        let u = Usage::from_list(&alpha(), &v).unwrap();
        assert_eq!(u.containers.len(), 3, "beta's container is not alpha's");
        assert_eq!(u.containers[0].published, 1);
        assert_eq!(
            u.counts(),
            Counts {
                total: 3,
                running: 1,
                paused: 1,
                stopped: 1
            }
        );
        let unknown = Reservation {
            memory: 1000,
            nano_cpus: 1,
            pids: 1,
            ports: 0,
        };
        // a and c hold; c has no label and counts as the ceiling
        assert_eq!(
            u.reserved(unknown, None),
            Reservation {
                memory: 1100,
                nano_cpus: 1001,
                pids: 11,
                ports: 1
            }
        );
        assert_eq!(u.reserved(unknown, Some("a")).memory, 1000);
    }

    #[test]
    fn an_answer_that_is_not_a_container_list_is_not_an_empty_usage() {
        for v in [
            json!({"message": "boom"}),
            json!([{"Id": "a", "Labels": {"fdcs.tenant": "alpha"}}]),
            json!([{"Id": "a", "State": "sleeping", "Labels": {"fdcs.tenant": "alpha"}}]),
        ] {
            assert_eq!(Usage::from_list(&alpha(), &v), None, "{v}");
        }
    }

    #[test]
    fn a_tally_counts_only_the_tenants_own() {
        let cs = json!([
            {"Id": "a", "State": "running", "Labels": {"fdcs.tenant": "alpha", "fdcs.reserve": "100,1000,10,0"}},
            {"Id": "b", "State": "running", "Labels": {"fdcs.tenant": "beta", "fdcs.reserve": "100,1000,10,0"}}
        ]);
        let vs = json!({"Volumes": [{"Name": "alpha_v", "Labels": {"fdcs.tenant": "alpha"}}, {"Name": "x", "Labels": null}]});
        let ns = json!([{"Name": "alpha_n", "Labels": {"fdcs.tenant": "alpha"}}, {"Name": "beta_n", "Labels": {"fdcs.tenant": "beta"}}]);
        let t = Tally::from_lists(&alpha(), &cs, &vs, &ns, Reservation::default()).unwrap();
        assert_eq!(t.containers.running, 1);
        assert_eq!(t.reserved.memory, 100);
        assert_eq!((t.volumes, t.networks), (1, 1));
        assert!(
            Tally::from_lists(&alpha(), &cs, &json!([]), &ns, Reservation::default()).is_none()
        );
    }
}
