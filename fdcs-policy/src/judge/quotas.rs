//! Where the `quota.*` rules meet the requests they check: container
//! create (the count, the reservation, and the volumes and default network
//! its preludes create), start, restart, unpause and update, and volume
//! and network create.
//!
//! Usage is asked of the engine only when a quota that applies is set, so
//! a policy without quotas costs nothing.

use super::ctx::{Ctx, Stop};
use crate::decode::{ContainerCreate, HostConfig, Resources};
use crate::policy::QuotasParams;
use crate::rules::bounds::ports;
use crate::rules::{quotas, resources};
use crate::tenancy::usage::{Reservation, Usage, RESERVE_LABEL};
use crate::{Obligation, Owned, Prelude, ResourceKind};

/// The tenant's effective quotas.
fn effective(cx: &Ctx<'_>) -> QuotasParams {
    quotas::effective(&cx.policy.quotas, cx.tenant)
}

/// Whether any of the sums quotas bound is set.
fn reserves(q: &QuotasParams) -> bool {
    q.memory.is_some() || q.nano_cpus.is_some() || q.pids.is_some() || q.published_ports.is_some()
}

fn usage<'a>(cx: &Ctx<'a>) -> Result<&'a Usage, Stop> {
    cx.facts.usage.as_ref().ok_or(Stop::Need(Obligation::Usage))
}

/// The tenant's volumes or networks, to count; none when judged offline.
fn owned<'a>(cx: &Ctx<'a>, kind: ResourceKind) -> Result<&'a [Owned], Stop> {
    if cx.facts.usage.as_ref().is_some_and(|u| u.offline) {
        return Ok(&[]);
    }
    cx.facts
        .owned(kind)
        .ok_or(Stop::Need(Obligation::Owned { kind }))
}

/// What a container without a reserve label counts as: the per-container
/// ceilings, the most it can hold.
fn unknown(cx: &Ctx<'_>) -> Reservation {
    let lim = resources::effective(&cx.policy.resources, cx.tenant);
    Reservation {
        memory: lim.memory.max,
        nano_cpus: lim.nano_cpus.max,
        pids: lim.pids.max,
        ports: cx.policy.bounds.ports.max_published,
    }
}

/// CPUs a `Resources` block sets, in nano-CPUs: `NanoCpus`, or
/// `CpuQuota` over `CpuPeriod` (the daemon's default period is 100 ms).
fn nano_cpus(r: &Resources) -> i64 {
    match (r.nano_cpus, r.cpu_quota) {
        (Some(n), _) if n > 0 => n,
        (_, Some(q)) if q > 0 => {
            let period = r.cpu_period.filter(|p| *p > 0).unwrap_or(100_000);
            i64::try_from(i128::from(q) * 1_000_000_000 / i128::from(period)).unwrap_or(i64::MAX)
        }
        _ => 0,
    }
}

/// What the judged create reserves (limits are settled by then); `image`
/// is what the image exposes, which `-P` publishes too.
fn reservation(
    body: &ContainerCreate,
    hc: &HostConfig,
    image: &[String],
) -> Result<Reservation, Stop> {
    let r = &hc.resources;
    Ok(Reservation {
        memory: r.memory.unwrap_or(0).max(0),
        nano_cpus: nano_cpus(r),
        pids: r.pids_limit.unwrap_or(0).max(0),
        ports: ports::published(body.exposed_ports.as_ref(), image, hc)?,
    })
}

/// What a create makes besides the container: the image's exposed ports
/// (published under `-P`) and the anonymous volumes the daemon creates
/// for its mounts.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extra<'a> {
    /// The image's `EXPOSE` keys.
    pub(super) image_ports: &'a [String],
    /// How many new volumes the body's mounts make (no prelude names them).
    pub(super) anonymous_volumes: usize,
}

/// Container create: records what the container reserves in its labels,
/// and checks the container count, the reservation (`docker run` starts
/// it at once) and the volumes and network its preludes (and its
/// anonymous volumes) would create.
pub(super) fn on_create(
    cx: &Ctx<'_>,
    body: &mut ContainerCreate,
    prelude: &[Prelude],
    extra: Extra<'_>,
) -> Result<(), Stop> {
    let hc = body.host_config.clone().unwrap_or_default();
    let reserved = reservation(body, &hc, extra.image_ports)?;
    body.labels
        .get_or_insert_with(Default::default)
        .insert(RESERVE_LABEL.to_string(), reserved.label_value());
    let q = effective(cx);
    if q.containers.is_some() || reserves(&q) {
        let usage = usage(cx)?;
        cx.enforcer
            .check(quotas::one_more_container(&q, cx.tenant, usage))?;
        quotas::reserve(
            &q,
            cx.tenant,
            usage,
            None,
            reserved,
            unknown(cx),
            &cx.enforcer,
        )?;
    }
    let creates = |tail: &str| {
        prelude
            .iter()
            .filter(|p| p.path.ends_with(tail))
            .filter_map(|p| p.body.get("Name").and_then(|n| n.as_str()))
            .collect::<Vec<_>>()
    };
    for (kind, tail) in [
        (ResourceKind::Volume, "/volumes/create"),
        (ResourceKind::Network, "/networks/create"),
    ] {
        let names = creates(tail);
        let (quota, anonymous) = match kind {
            ResourceKind::Volume => (q.volumes, extra.anonymous_volumes),
            _ => (q.networks, 0),
        };
        if (names.is_empty() && anonymous == 0) || quota.is_none() {
            continue;
        }
        let have = owned(cx, kind)?;
        let new = names
            .iter()
            .filter(|n| !have.iter().any(|o| o.name == **n))
            .count()
            + anonymous;
        if new > 0 {
            cx.enforcer
                .check(quotas::more_of(&q, cx.tenant, kind, have.len(), new))?;
        }
    }
    Ok(())
}

/// Start, restart, unpause of the container `id`: a container that does
/// not hold its reservation yet must fit beside the others.
pub(super) fn on_start(cx: &Ctx<'_>, id: &str) -> Result<(), Stop> {
    let q = effective(cx);
    if !reserves(&q) {
        return Ok(());
    }
    let usage = usage(cx)?;
    let own = usage.container(id);
    if own.is_some_and(|c| c.state.holds()) {
        return Ok(());
    }
    let unknown = unknown(cx);
    let new = own.and_then(|c| c.reserved).unwrap_or(unknown);
    quotas::reserve(&q, cx.tenant, usage, Some(id), new, unknown, &cx.enforcer)?;
    Ok(())
}

/// Update of the container `id`: limits stay at or below what its create
/// recorded (quotas count that record). Never downgraded: a limit raised
/// past its record would stay uncounted once the quota is enforced again.
pub(super) fn on_update(cx: &Ctx<'_>, id: &str, r: &Resources) -> Result<(), Stop> {
    let q = effective(cx);
    let (memory, cpus, pids) = (
        r.memory.unwrap_or(0),
        nano_cpus(r),
        r.pids_limit.unwrap_or(0),
    );
    if !reserves(&q) || (memory <= 0 && cpus <= 0 && pids <= 0) {
        return Ok(());
    }
    let usage = usage(cx)?;
    let recorded = usage
        .container(id)
        .and_then(|c| c.reserved)
        .unwrap_or_else(|| unknown(cx));
    quotas::update_within(recorded, memory, cpus, pids)?;
    Ok(())
}

/// Volume create of `engine` (its engine-side name; `None`: the daemon
/// names it, a new one).
pub(super) fn on_volume_create(cx: &Ctx<'_>, engine: Option<&str>) -> Result<(), Stop> {
    let q = effective(cx);
    if q.volumes.is_none() {
        return Ok(());
    }
    let have = owned(cx, ResourceKind::Volume)?;
    if engine.is_some_and(|n| have.iter().any(|o| o.name == n)) {
        // an existing volume: the daemon answers with it, nothing new
        return Ok(());
    }
    Ok(cx.enforcer.check(quotas::more_of(
        &q,
        cx.tenant,
        ResourceKind::Volume,
        have.len(),
        1,
    ))?)
}

/// Network create.
pub(super) fn on_network_create(cx: &Ctx<'_>) -> Result<(), Stop> {
    let q = effective(cx);
    if q.networks.is_none() {
        return Ok(());
    }
    let have = owned(cx, ResourceKind::Network)?;
    Ok(cx.enforcer.check(quotas::more_of(
        &q,
        cx.tenant,
        ResourceKind::Network,
        have.len(),
        1,
    ))?)
}

/// A service create or update: its replicas, each reserving what one task
/// may take (`per_task`), must fit the tenant's quotas with what its
/// containers (running tasks included) hold already; an update counts only
/// what it adds to what the service holds now (`holds`: its reservation
/// and replicas). Every task's
/// container is labelled with what it reserves, as a container is, so the
/// running tasks are counted from then on.
pub(super) fn on_service(
    cx: &Ctx<'_>,
    labels: &mut Option<std::collections::BTreeMap<String, String>>,
    per_task: Reservation,
    replicas: u64,
    holds: Option<(Reservation, u64)>,
) -> Result<(), Stop> {
    labels
        .get_or_insert_with(Default::default)
        .insert(RESERVE_LABEL.to_string(), per_task.label_value());
    let q = effective(cx);
    if q.containers.is_none() && !reserves(&q) {
        return Ok(());
    }
    let usage = usage(cx)?;
    let have = usage.containers.len();
    // an update adds only the replicas beyond those the service has
    let had = holds.map_or(0, |(_, n)| n);
    let adds = usize::try_from(replicas.saturating_sub(had)).unwrap_or(usize::MAX);
    if adds > 0 {
        cx.enforcer.check(quotas::more_of(
            &q,
            cx.tenant,
            ResourceKind::Container,
            have,
            adds,
        ))?;
    }
    let wants = per_task.times(replicas);
    let new = holds.map_or(wants, |(h, _)| wants.beyond(h));
    quotas::reserve(&q, cx.tenant, usage, None, new, unknown(cx), &cx.enforcer)?;
    Ok(())
}
