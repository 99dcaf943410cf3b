//! `quota.*`: a tenant as a whole stays within its share of the host.
//!
//! Counts (containers in every state, volumes, networks) and sums (memory,
//! CPUs, pids and published ports of the containers that hold them:
//! running, paused, restarting) are read from the engine at decision time
//! ([`Usage`]), and a request that would take the tenant past a quota is
//! denied before anything reaches the engine. What a container holds is
//! what fdcs recorded when it judged the create ([`RESERVE_LABEL`]); an
//! update may lower it, never raise it past that record.
//!
//! [`RESERVE_LABEL`]: crate::tenancy::usage::RESERVE_LABEL

use crate::policy::QuotasParams;
use crate::tenancy::usage::{Reservation, Usage};
use crate::{Denial, ResourceKind, Tenant};

/// Rule ids.
pub const CONTAINERS: crate::RuleId = crate::RuleId::QUOTA_CONTAINERS;
/// Memory.
pub const MEMORY: crate::RuleId = crate::RuleId::QUOTA_MEMORY;
/// CPUs.
pub const CPUS: crate::RuleId = crate::RuleId::QUOTA_CPUS;
/// Pids.
pub const PIDS: crate::RuleId = crate::RuleId::QUOTA_PIDS;
/// Published host ports.
pub const PORTS: crate::RuleId = crate::RuleId::QUOTA_PORTS;
/// Volumes.
pub const VOLUMES: crate::RuleId = crate::RuleId::QUOTA_VOLUMES;
/// Networks.
pub const NETWORKS: crate::RuleId = crate::RuleId::QUOTA_NETWORKS;

/// What to do instead, for every quota.
const INSTEAD_RESERVE: &str = "stop or remove a container, or ask for a larger quota";

/// The tenant's quotas: the policy's, each replaced by the tenant's own
/// where the tenants file sets one.
pub fn effective(params: &QuotasParams, tenant: &Tenant) -> QuotasParams {
    let t = &tenant.limits.quotas;
    QuotasParams {
        containers: t.containers.or(params.containers),
        memory: t.memory.or(params.memory),
        nano_cpus: t.nano_cpus.or(params.nano_cpus),
        pids: t.pids.or(params.pids),
        published_ports: t.published_ports.or(params.published_ports),
        volumes: t.volumes.or(params.volumes),
        networks: t.networks.or(params.networks),
    }
}

/// One more container (any state).
pub fn one_more_container(q: &QuotasParams, tenant: &Tenant, usage: &Usage) -> Result<(), Denial> {
    let have = i64::try_from(usage.containers.len()).unwrap_or(i64::MAX);
    count(
        CONTAINERS,
        "containers",
        "remove a container (docker rm)",
        tenant,
        have,
        q.containers,
    )
}

/// `more` more volumes or networks, with `have` already (containers are
/// counted by [`one_more_container`]).
pub fn more_of(
    q: &QuotasParams,
    tenant: &Tenant,
    kind: ResourceKind,
    have: usize,
    more: usize,
) -> Result<(), Denial> {
    let n = i64::try_from(have.saturating_add(more).saturating_sub(1)).unwrap_or(i64::MAX);
    let (rule, quota, remove) = match kind {
        ResourceKind::Volume => (VOLUMES, q.volumes, "remove a volume (docker volume rm)"),
        ResourceKind::Network => (NETWORKS, q.networks, "remove a network (docker network rm)"),
        ResourceKind::Container => (CONTAINERS, q.containers, "remove a container (docker rm)"),
        // swarm objects have no count quota of their own: a service's
        // tasks are containers, counted as such
        _ => return Ok(()),
    };
    count(rule, &format!("{}s", kind.noun()), remove, tenant, n, quota)
}

/// Denies when one more than `have` exceeds `quota`.
fn count(
    rule: crate::RuleId,
    noun: &str,
    remove: &str,
    tenant: &Tenant,
    have: i64,
    quota: Option<i64>,
) -> Result<(), Denial> {
    let Some(quota) = quota else {
        return Ok(());
    };
    let would = have.saturating_add(1);
    if would <= quota {
        return Ok(());
    }
    Err(Denial::policy(
        rule,
        format!("{} would have {would} {noun}, quota {quota}", tenant.id),
        format!("{remove}, or ask for a larger quota"),
    ))
}

/// A container about to hold `new` (created to be run, started, restarted
/// or unpaused): what the tenant's other holding containers reserve plus
/// `new` stays within every quota. `own` is the container's id when it
/// exists already (its current holding is not counted twice); `unknown`
/// is what a container without a reserve label counts as.
pub fn reserve(
    q: &QuotasParams,
    tenant: &Tenant,
    usage: &Usage,
    own: Option<&str>,
    new: Reservation,
    unknown: Reservation,
    en: &crate::Enforcer,
) -> Result<(), Denial> {
    let sum = usage.reserved(unknown, own).plus(new);
    let over = |rule: crate::RuleId, what: String, quota: String| {
        en.refuse(Denial::policy(
            rule,
            format!("{} would reserve {what}, quota {quota}", tenant.id),
            INSTEAD_RESERVE,
        ))
    };
    if let Some(m) = q.memory.filter(|m| sum.memory > *m) {
        over(MEMORY, format!("{} of memory", bytes(sum.memory)), bytes(m))?;
    }
    if let Some(c) = q.nano_cpus.filter(|c| sum.nano_cpus > *c) {
        over(
            CPUS,
            format!("{} CPUs", cpus(sum.nano_cpus)),
            format!("{} CPUs", cpus(c)),
        )?;
    }
    if let Some(p) = q.pids.filter(|p| sum.pids > *p) {
        over(PIDS, format!("{} pids", sum.pids), p.to_string())?;
    }
    if let Some(p) = q.published_ports.filter(|p| sum.ports > *p) {
        over(
            PORTS,
            format!("{} published host ports", sum.ports),
            p.to_string(),
        )?;
    }
    Ok(())
}

/// An update of a container's limits: none may rise above what the
/// container was created with, since that record is what quotas count.
/// A value of 0 or absent leaves the limit as it is.
pub fn update_within(
    recorded: Reservation,
    memory: i64,
    nano_cpus: i64,
    pids: i64,
) -> Result<(), Denial> {
    let deny = |rule: crate::RuleId, what: String| {
        Err(Denial::policy(
            rule,
            format!("an update cannot raise a container's {what}: quotas count what it was created with"),
            "create a new container with the limit you need (docker run -m/--cpus/--pids-limit)",
        ))
    };
    if memory > recorded.memory {
        return deny(
            MEMORY,
            format!(
                "memory from {} to {}",
                bytes(recorded.memory),
                bytes(memory)
            ),
        );
    }
    if nano_cpus > recorded.nano_cpus {
        return deny(
            CPUS,
            format!(
                "CPUs from {} to {}",
                cpus(recorded.nano_cpus),
                cpus(nano_cpus)
            ),
        );
    }
    if pids > recorded.pids {
        return deny(PIDS, format!("pids limit from {} to {pids}", recorded.pids));
    }
    Ok(())
}

/// `4 GiB`, `4.5 GiB`, `256 MiB`, `512 bytes`: as a person reads a quota.
pub fn bytes(b: i64) -> String {
    const KI: f64 = 1024.0;
    let f = b as f64;
    let (v, unit) = if f >= KI * KI * KI {
        (f / (KI * KI * KI), "GiB")
    } else if f >= KI * KI {
        (f / (KI * KI), "MiB")
    } else if f >= KI {
        (f / KI, "KiB")
    } else if b == 0 {
        return "0".into();
    } else {
        return format!("{b} bytes");
    };
    format!("{} {unit}", trim(format!("{v:.2}")))
}

/// `1.5`, `4`, `0.25`.
pub fn cpus(nano: i64) -> String {
    trim(format!("{:.3}", nano as f64 / 1e9))
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use crate::tenancy::usage::{ContainerUsage, RunState};
    use crate::TenantId;

    const GI: i64 = 1 << 30;

    fn reserve(
        q: &QuotasParams,
        tenant: &Tenant,
        usage: &Usage,
        own: Option<&str>,
        new: Reservation,
        unknown: Reservation,
    ) -> Result<(), Denial> {
        super::reserve(
            q,
            tenant,
            usage,
            own,
            new,
            unknown,
            &crate::Enforcer::deny_all(),
        )
    }

    fn alpha() -> Tenant {
        Tenant::new(TenantId::new("alpha").unwrap())
    }

    fn quotas() -> QuotasParams {
        QuotasParams {
            containers: Some(3),
            memory: Some(4 * GI),
            nano_cpus: Some(4_000_000_000),
            pids: Some(2048),
            published_ports: Some(20),
            volumes: Some(2),
            networks: Some(2),
        }
    }

    fn running(id: &str, memory: i64) -> ContainerUsage {
        ContainerUsage {
            id: id.into(),
            state: RunState::Running,
            reserved: Some(Reservation {
                memory,
                nano_cpus: 500_000_000,
                pids: 256,
                ports: 0,
            }),
            published: 0,
        }
    }

    fn gig(memory: i64) -> Reservation {
        Reservation {
            memory,
            nano_cpus: 500_000_000,
            pids: 256,
            ports: 0,
        }
    }

    #[test]
    fn the_fifth_gigabyte_is_denied_with_usage_and_quota() {
        let usage = Usage {
            containers: (0..4).map(|i| running(&format!("c{i}"), GI)).collect(),
            offline: false,
        };
        let d = reserve(&quotas(), &alpha(), &usage, None, gig(GI / 2), gig(GI)).unwrap_err();
        assert_eq!(d.rule_id().cloned(), Some(MEMORY));
        assert_eq!(
            d.message,
            "fdcs: alpha would reserve 4.5 GiB of memory, quota 4 GiB (rule quota.memory); stop or remove a container, or ask for a larger quota"
        );
        // stopped containers hold nothing
        let mut usage = usage;
        usage.containers[0].state = RunState::Exited;
        assert!(reserve(&quotas(), &alpha(), &usage, None, gig(GI / 2), gig(GI)).is_ok());
    }

    #[test]
    fn a_container_is_not_counted_twice_and_an_unlabelled_one_counts_as_the_ceiling() {
        let usage = Usage {
            containers: vec![
                running("a", 3 * GI),
                ContainerUsage {
                    reserved: None,
                    ..running("b", 0)
                },
            ],
            offline: false,
        };
        // b counts as the 1 GiB ceiling: 3 + 1 = 4, nothing more fits
        assert!(reserve(&quotas(), &alpha(), &usage, None, gig(1), gig(GI)).is_err());
        // restarting a itself: 1 (b) + 3 (a, once) = 4
        assert!(reserve(&quotas(), &alpha(), &usage, Some("a"), gig(3 * GI), gig(GI)).is_ok());
    }

    #[test]
    fn counts_deny_the_one_past_the_quota() {
        let usage = Usage {
            containers: (0..3).map(|i| running(&format!("c{i}"), 1)).collect(),
            offline: false,
        };
        let d = one_more_container(&quotas(), &alpha(), &usage).unwrap_err();
        assert_eq!(
            d.message,
            "fdcs: alpha would have 4 containers, quota 3 (rule quota.containers); remove a container (docker rm), or ask for a larger quota"
        );
        assert!(more_of(&quotas(), &alpha(), ResourceKind::Volume, 1, 1).is_ok());
        assert_eq!(
            more_of(&quotas(), &alpha(), ResourceKind::Volume, 1, 2)
                .unwrap_err()
                .rule_id()
                .cloned(),
            Some(VOLUMES)
        );
        assert!(more_of(&quotas(), &alpha(), ResourceKind::Network, 2, 0).is_ok());
        assert!(more_of(&quotas(), &alpha(), ResourceKind::Network, 2, 1).is_err());
        let none = QuotasParams::default();
        assert!(one_more_container(&none, &alpha(), &usage).is_ok());
    }

    #[test]
    fn an_update_never_raises_what_quotas_count() {
        let r = gig(GI);
        assert!(update_within(r, GI, 0, 0).is_ok());
        assert!(update_within(r, GI / 2, 500_000_000, 100).is_ok());
        assert_eq!(
            update_within(r, 2 * GI, 0, 0)
                .unwrap_err()
                .rule_id()
                .cloned(),
            Some(MEMORY)
        );
        assert_eq!(
            update_within(r, 0, 600_000_000, 0)
                .unwrap_err()
                .rule_id()
                .cloned(),
            Some(CPUS)
        );
        assert_eq!(
            update_within(r, 0, 0, 257).unwrap_err().rule_id().cloned(),
            Some(PIDS)
        );
    }

    #[test]
    fn quantities_read_as_people_write_them() {
        assert_eq!(bytes(4 * GI), "4 GiB");
        assert_eq!(bytes(4 * GI + GI / 2), "4.5 GiB");
        assert_eq!(bytes(256 << 20), "256 MiB");
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(cpus(4_000_000_000), "4");
        assert_eq!(cpus(1_500_000_000), "1.5");
    }
}
