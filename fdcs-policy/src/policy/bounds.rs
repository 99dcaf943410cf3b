//! `rules.bounds` and `rules.volumes`: the parameters of the `bounds.*` and
//! `volumes.tmpfs` rules (every host resource a container can take is
//! bounded, invariant 12), their FDCS defaults, and how the file's values
//! are validated.

use super::err::{Errs, Pos};
use super::load::limit;
use super::quantity::Quantity;
use super::schema::{RawBounds, RawVolumes};
use super::{Limit, PolicyError};
use serde_saphyr::Spanned;

const MI: i64 = 1 << 20;
const SECOND: i64 = 1_000_000_000;

/// `bounds.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundsParams {
    /// `bounds.ports`.
    pub ports: PortBounds,
    /// `bounds.tmpfs`.
    pub tmpfs: TmpfsBounds,
    /// `bounds.logs`.
    pub logs: LogBounds,
    /// `bounds.cpu-weight`.
    pub cpu_weight: CpuWeightBounds,
    /// `bounds.realtime`: allow realtime CPU (`CpuRealtimeRuntime`,
    /// `CpuRealtimePeriod`, ulimit `rtprio`).
    pub allow_realtime: bool,
    /// `bounds.healthcheck`.
    pub healthcheck: HealthBounds,
}

/// `bounds.ports`: host ports one container may publish, and how many
/// ports it may expose (each one a host port under `-P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortBounds {
    /// Published host ports (explicit bindings, and what `-P` publishes).
    pub max_published: i64,
    /// `ExposedPorts` entries (a range counts as many ports).
    pub max_exposed: i64,
}

/// `bounds.tmpfs`: tmpfs mounts and `/dev/shm`, in bytes; their sum counts
/// against the container's memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmpfsBounds {
    /// One tmpfs mount (`HostConfig.Tmpfs`, `Mounts` of type tmpfs).
    pub size: Limit,
    /// `ShmSize`.
    pub shm_size: Limit,
}

/// `bounds.logs`: the disk a container's log may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBounds {
    /// The log driver a container that names none gets, so that its
    /// limits can be injected (the engine's own default is not visible to
    /// the core); empty: leave it to the engine (nothing injected).
    pub driver: String,
    /// `max-size` of `json-file` and `local`, in bytes.
    pub max_size: Limit,
    /// `max-file` of `json-file` and `local`.
    pub max_file: Limit,
    /// `max-buffer-size` (the daemon's memory for `mode=non-blocking`), bytes.
    pub max_buffer_size: i64,
}

/// `bounds.cpu-weight`: weights under contention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuWeightBounds {
    /// `CpuShares` ceiling.
    pub max_cpu_shares: i64,
    /// `BlkioWeight` (and per-device weight) ceiling.
    pub max_blkio_weight: i64,
}

/// `bounds.healthcheck`: how often the engine may run a health check
/// (each one an exec the daemon spawns), in nanoseconds; 0 in a request
/// means the engine's default and is always fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthBounds {
    /// Smallest `Interval` and `StartInterval`.
    pub min_interval: i64,
    /// Smallest `Timeout`.
    pub min_timeout: i64,
    /// Smallest `StartPeriod`.
    pub min_start_period: i64,
    /// Largest `Retries`.
    pub max_retries: i64,
}

/// `volumes.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumesParams {
    /// `volumes.tmpfs`: whether `local` volumes of type tmpfs are allowed.
    pub allow_tmpfs: bool,
    /// Their `o=size=`, in bytes: injected when absent, ceiling.
    pub tmpfs_size: Limit,
    /// The operator's shared NFS backend (`volumes.nfs`): every named
    /// volume of a tenant lives there, in the tenant's own directory, so
    /// that a service's tasks find it on any node.
    pub nfs: Option<NfsBackend>,
}

/// An NFS export every node of the cluster can mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NfsBackend {
    /// Server address (a host name or IP address).
    pub server: String,
    /// The export's absolute path (`/srv/fdcs`).
    pub export: String,
    /// Mount options besides `addr=` (`nfsvers=4.1,soft`).
    pub options: String,
}

impl Default for BoundsParams {
    /// The FDCS profile (`policies/default.yaml` says why each value).
    fn default() -> Self {
        BoundsParams {
            ports: PortBounds {
                max_published: 10,
                max_exposed: 32,
            },
            tmpfs: TmpfsBounds {
                size: Limit {
                    default: 64 * MI,
                    max: 512 * MI,
                },
                shm_size: Limit {
                    default: 64 * MI,
                    max: 512 * MI,
                },
            },
            logs: LogBounds {
                driver: "json-file".into(),
                max_size: Limit {
                    default: 10 * MI,
                    max: 50 * MI,
                },
                max_file: Limit { default: 3, max: 5 },
                max_buffer_size: MI,
            },
            cpu_weight: CpuWeightBounds {
                max_cpu_shares: 1024,
                max_blkio_weight: 19,
            },
            allow_realtime: false,
            healthcheck: HealthBounds {
                min_interval: SECOND,
                min_timeout: SECOND,
                min_start_period: SECOND,
                max_retries: 10,
            },
        }
    }
}

impl Default for VolumesParams {
    fn default() -> Self {
        VolumesParams {
            allow_tmpfs: true,
            tmpfs_size: Limit {
                default: 64 * MI,
                max: 256 * MI,
            },
            nfs: None,
        }
    }
}

/// `rules.bounds` as written → parameters; `log_drivers` is
/// `privileges.allowLogDrivers`, which the default driver must be in.
pub(super) fn bounds(
    raw: RawBounds,
    log_drivers: &[String],
    errs: Errs<'_>,
) -> Result<BoundsParams, PolicyError> {
    let d = BoundsParams::default();
    let ports = PortBounds {
        max_published: count(&raw.ports.max_published, d.ports.max_published, 0, errs)?,
        max_exposed: count(&raw.ports.max_exposed, d.ports.max_exposed, 0, errs)?,
    };
    let tmpfs = TmpfsBounds {
        size: limit(
            &raw.tmpfs.size,
            Quantity::bytes,
            d.tmpfs.size.default,
            d.tmpfs.size.max,
            "tmpfs size",
            errs,
        )?,
        shm_size: limit(
            &raw.tmpfs.shm_size,
            Quantity::bytes,
            d.tmpfs.shm_size.default,
            d.tmpfs.shm_size.max,
            "shmSize",
            errs,
        )?,
    };
    let driver = match raw.logs.driver {
        None => d.logs.driver.clone(),
        Some(s) => {
            if !s.value.is_empty() && !log_drivers.iter().any(|l| l == &s.value) {
                return Err(errs.at(
                    Pos::of(&s),
                    format!(
                        "log driver `{}` is not in privileges.allowLogDrivers; list it there, or write \"\" to leave the driver to the engine",
                        s.value
                    ),
                ));
            }
            s.value
        }
    };
    let logs = LogBounds {
        driver,
        max_size: limit(
            &raw.logs.max_size,
            Quantity::bytes,
            d.logs.max_size.default,
            d.logs.max_size.max,
            "log maxSize",
            errs,
        )?,
        max_file: limit(
            &raw.logs.max_file,
            Quantity::count,
            d.logs.max_file.default,
            d.logs.max_file.max,
            "log maxFile",
            errs,
        )?,
        max_buffer_size: match &raw.logs.max_buffer_size {
            None => d.logs.max_buffer_size,
            Some(q) => positive(q, Quantity::bytes, errs)?,
        },
    };
    let cpu_weight = CpuWeightBounds {
        max_cpu_shares: in_range(
            &raw.cpu_weight.max_cpu_shares,
            d.cpu_weight.max_cpu_shares,
            2..=262_144,
            errs,
        )?,
        max_blkio_weight: in_range(
            &raw.cpu_weight.max_blkio_weight,
            d.cpu_weight.max_blkio_weight,
            10..=1000,
            errs,
        )?,
    };
    let h = &raw.healthcheck;
    let healthcheck = HealthBounds {
        min_interval: duration(&h.min_interval, d.healthcheck.min_interval, errs)?,
        min_timeout: duration(&h.min_timeout, d.healthcheck.min_timeout, errs)?,
        min_start_period: duration(&h.min_start_period, d.healthcheck.min_start_period, errs)?,
        max_retries: count(&h.max_retries, d.healthcheck.max_retries, 0, errs)?,
    };
    Ok(BoundsParams {
        ports,
        tmpfs,
        logs,
        cpu_weight,
        allow_realtime: raw.realtime.allow.unwrap_or(d.allow_realtime),
        healthcheck,
    })
}

/// `rules.volumes` as written → parameters.
pub(super) fn volumes(raw: RawVolumes, errs: Errs<'_>) -> Result<VolumesParams, PolicyError> {
    let d = VolumesParams::default();
    Ok(VolumesParams {
        allow_tmpfs: raw.tmpfs.allow.unwrap_or(d.allow_tmpfs),
        tmpfs_size: limit(
            &raw.tmpfs.size,
            Quantity::bytes,
            d.tmpfs_size.default,
            d.tmpfs_size.max,
            "tmpfs volume size",
            errs,
        )?,
        nfs: raw.nfs.map(|n| nfs(n, errs)).transpose()?,
    })
}

/// `volumes.nfs`: what fdcs writes into driver options must read as one
/// server, one absolute path and plain options.
fn nfs(raw: Spanned<super::schema::RawNfs>, errs: Errs<'_>) -> Result<NfsBackend, PolicyError> {
    let n = &raw.value;
    let plain = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b) || extra.contains(&b))
    };
    if !plain(&n.server, b"[]") {
        return Err(errs.at(
            Pos::of(&raw),
            format!(
                "nfs server `{}` must be a host name or an IP address",
                n.server
            ),
        ));
    }
    let path_ok = n.export.starts_with('/')
        && plain(&n.export, b"/")
        && !n.export.split('/').any(|seg| seg == "..");
    if !path_ok {
        return Err(errs.at(
            Pos::of(&raw),
            format!(
                "nfs export `{}` must be an absolute path without `..`",
                n.export
            ),
        ));
    }
    let options = n.options.clone().unwrap_or_default();
    let options_ok = options.is_empty()
        || (plain(&options, b",=")
            && !options
                .split(',')
                .any(|o| o.trim().to_ascii_lowercase().starts_with("addr=")));
    if !options_ok {
        return Err(errs.at(
            Pos::of(&raw),
            format!(
                "nfs options `{options}` must be plain mount options (fdcs writes addr= itself)"
            ),
        ));
    }
    Ok(NfsBackend {
        server: n.server.clone(),
        export: n.export.trim_end_matches('/').to_string(),
        options,
    })
}

/// A count of at least `min` (omitted: `default`).
fn count(
    raw: &Option<Spanned<Quantity>>,
    default: i64,
    min: i64,
    errs: Errs<'_>,
) -> Result<i64, PolicyError> {
    let Some(q) = raw else {
        return Ok(default);
    };
    let n = q.value.count().map_err(|m| errs.at(Pos::of(q), m))?;
    if n >= min {
        Ok(n)
    } else {
        Err(errs.at(Pos::of(q), format!("`{n}` must be {min} or more")))
    }
}

/// An integer in `range` (omitted: `default`).
fn in_range(
    raw: &Option<Spanned<Quantity>>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    errs: Errs<'_>,
) -> Result<i64, PolicyError> {
    let Some(q) = raw else {
        return Ok(default);
    };
    let n = q.value.count().map_err(|m| errs.at(Pos::of(q), m))?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(errs.at(
            Pos::of(q),
            format!(
                "`{n}` must be between {} and {}, the engine's range",
                range.start(),
                range.end()
            ),
        ))
    }
}

fn positive(
    q: &Spanned<Quantity>,
    parse: fn(&Quantity) -> Result<i64, String>,
    errs: Errs<'_>,
) -> Result<i64, PolicyError> {
    let n = parse(&q.value).map_err(|m| errs.at(Pos::of(q), m))?;
    if n > 0 {
        Ok(n)
    } else {
        Err(errs.at(Pos::of(q), format!("`{}` must be positive", q.value)))
    }
}

/// A duration (`1s`, `500ms`; 0 turns the minimum off), in nanoseconds.
fn duration(
    raw: &Option<Spanned<Quantity>>,
    default: i64,
    errs: Errs<'_>,
) -> Result<i64, PolicyError> {
    match raw {
        None => Ok(default),
        Some(q) => q.value.duration().map_err(|m| errs.at(Pos::of(q), m)),
    }
}

#[cfg(test)]
mod tests {
    use crate::Policy;

    fn load(rules: &str) -> Result<Policy, String> {
        let src = format!("apiVersion: fdcs/v1\nkind: Policy\nname: t\nrules:\n{rules}");
        Policy::from_yaml(&src, "t.yaml").map_err(|e| e.to_string())
    }

    #[test]
    fn omitted_blocks_keep_the_defaults_of_the_embedded_policy() {
        let p = load("  ports: { ephemeralOnly: true }\n").unwrap();
        let embedded = Policy::embedded_default().unwrap();
        assert_eq!(p.bounds, embedded.bounds);
        assert_eq!(p.volumes, embedded.volumes);
        assert_eq!(p.bounds, super::BoundsParams::default());
    }

    #[test]
    fn values_are_read_and_checked() {
        let p = load(
            "  bounds:\n    healthcheck: { minInterval: 500ms, maxRetries: 3 }\n    logs: { driver: \"\", maxSize: { default: 1m, max: 2m } }\n  volumes:\n    tmpfs: { allow: false }\n",
        )
        .unwrap();
        assert_eq!(p.bounds.healthcheck.min_interval, 500_000_000);
        assert_eq!(p.bounds.healthcheck.max_retries, 3);
        assert_eq!(p.bounds.logs.driver, "");
        assert_eq!(p.bounds.logs.max_size.max, 2 << 20);
        assert!(!p.volumes.allow_tmpfs);
        for (bad, says) in [
            (
                "  bounds:\n    logs: { driver: syslog }\n",
                "allowLogDrivers",
            ),
            (
                "  bounds:\n    cpuWeight: { maxCpuShares: 1 }\n",
                "between 2 and 262144",
            ),
            (
                "  bounds:\n    cpuWeight: { maxBlkioWeight: 1001 }\n",
                "between 10 and 1000",
            ),
            (
                "  bounds:\n    healthcheck: { minInterval: 1 }\n",
                "invalid duration",
            ),
            ("  bounds:\n    ports: { maxPublished: -1 }\n", "0 or more"),
            (
                "  bounds:\n    tmpfs: { size: { default: 1Gi, max: 1Mi } }\n",
                "above max",
            ),
            (
                "  bounds:\n    logs: { maxFile: { default: 0, max: 3 } }\n",
                "positive",
            ),
            (
                "  bounds:\n    ports: { maxPublishd: 3 }\n",
                "unknown field",
            ),
        ] {
            let e = load(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(e.contains("t.yaml:"), "{bad}: {e}");
        }
    }
}
