//! `rules.quotas` (and a tenant's `quotas` in the tenants file): the
//! parameters of the `quota.*` rules, their FDCS defaults, and how the
//! file's values are read.

use super::err::{Errs, Pos};
use super::quantity::Quantity;
use super::schema::RawQuotas;
use super::PolicyError;
use serde_saphyr::Spanned;

/// A tenant's share of the host as a whole; `None`: no quota.
///
/// Counts are of the tenant's own objects in any state; memory, CPUs,
/// pids and published ports are sums over its containers that hold them
/// (running, paused, restarting). See `rules::quotas`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotasParams {
    /// Containers, any state.
    pub containers: Option<i64>,
    /// Memory, bytes.
    pub memory: Option<i64>,
    /// CPUs, nano-CPUs.
    pub nano_cpus: Option<i64>,
    /// Pids.
    pub pids: Option<i64>,
    /// Published host ports.
    pub published_ports: Option<i64>,
    /// Volumes.
    pub volumes: Option<i64>,
    /// Networks (the tenant's default network counts).
    pub networks: Option<i64>,
}

/// The FDCS profile's quotas, fit for a small shared host: 20 containers,
/// 4 GiB, 4 CPUs, 2,048 pids, 20 published ports, 20 volumes, 5 networks.
pub const FDCS_QUOTAS: QuotasParams = QuotasParams {
    containers: Some(20),
    memory: Some(4 << 30),
    nano_cpus: Some(4_000_000_000),
    pids: Some(2048),
    published_ports: Some(20),
    volumes: Some(20),
    networks: Some(5),
};

/// Reads a `quotas` block over `base`: an omitted field keeps `base`'s
/// value, `unlimited` becomes `unlimited` (the policy: no quota; a tenant:
/// a quota no usage reaches, since its `None` means "the policy's"),
/// anything else must be a positive quantity in the field's unit.
pub(crate) fn quotas(
    raw: RawQuotas,
    base: QuotasParams,
    unlimited: Option<i64>,
    errs: Errs<'_>,
) -> Result<QuotasParams, PolicyError> {
    let read = |v: Option<Spanned<Quantity>>,
                parse: fn(&Quantity) -> Result<i64, String>,
                base: Option<i64>,
                what: &str|
     -> Result<Option<i64>, PolicyError> {
        let Some(v) = v else {
            return Ok(base);
        };
        if matches!(&v.value, Quantity::Text(s) if s == "unlimited") {
            return Ok(unlimited);
        }
        let n = parse(&v.value).map_err(|m| errs.at(Pos::of(&v), m))?;
        if n <= 0 {
            return Err(errs.at(
                Pos::of(&v),
                format!(
                    "quota {what} `{}` must be positive; write `unlimited` for no quota",
                    v.value
                ),
            ));
        }
        Ok(Some(n))
    };
    Ok(QuotasParams {
        containers: read(
            raw.containers,
            Quantity::count,
            base.containers,
            "containers",
        )?,
        memory: read(raw.memory, Quantity::bytes, base.memory, "memory")?,
        nano_cpus: read(raw.cpus, Quantity::nano_cpus, base.nano_cpus, "cpus")?,
        pids: read(raw.pids, Quantity::count, base.pids, "pids")?,
        published_ports: read(
            raw.published_ports,
            Quantity::count,
            base.published_ports,
            "publishedPorts",
        )?,
        volumes: read(raw.volumes, Quantity::count, base.volumes, "volumes")?,
        networks: read(raw.networks, Quantity::count, base.networks, "networks")?,
    })
}
