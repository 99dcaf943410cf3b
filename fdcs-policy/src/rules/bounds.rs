//! `bounds.*` and `volumes.tmpfs`: every host resource a container can take
//! is bounded by the policy (invariant 12), with defaults injected where
//! the daemon's own default is unbounded — published ports, tmpfs and
//! `/dev/shm` (counted against the memory limit), tmpfs volumes, log disk,
//! CPU and block-IO weight, realtime CPU and health-check frequency.
//!
//! Each bound judges its values before it injects anything, so a denial
//! leaves its part of the body as it was (and a denied request forwards
//! nothing); a value that cannot be read exactly as the engine reads it is
//! refused (400), never guessed.

mod health;
mod logs;
pub(crate) mod ports;
pub(crate) mod size;
mod tmpfs;

use std::collections::BTreeMap;

use crate::decode::{ContainerCreate, HostConfig, Resources};
use crate::policy::{BoundsParams, VolumesParams};
use crate::{Denial, Enforcer};

/// Published and exposed ports.
pub const PORTS: crate::RuleId = crate::RuleId::BOUNDS_PORTS;
/// tmpfs mounts and `/dev/shm`.
pub const TMPFS: crate::RuleId = crate::RuleId::BOUNDS_TMPFS;
/// Log size and files.
pub const LOGS: crate::RuleId = crate::RuleId::BOUNDS_LOGS;
/// `CpuShares`, `BlkioWeight`.
pub const CPU_WEIGHT: crate::RuleId = crate::RuleId::BOUNDS_CPU_WEIGHT;
/// Realtime CPU.
pub const REALTIME: crate::RuleId = crate::RuleId::BOUNDS_REALTIME;
/// Health-check frequency.
pub const HEALTHCHECK: crate::RuleId = crate::RuleId::BOUNDS_HEALTHCHECK;
/// `local` volumes of type tmpfs.
pub const VOLUME_TMPFS: crate::RuleId = crate::RuleId::VOLUMES_TMPFS;

/// Judges a create body and injects what is missing; runs after
/// `resources::apply`, so the memory limit is settled.
pub fn apply_create(
    b: &BoundsParams,
    v: &VolumesParams,
    body: &mut ContainerCreate,
    en: &Enforcer,
) -> Result<(), Denial> {
    health::check(&b.healthcheck, body.healthcheck.as_ref(), en)?;
    let hc = body.host_config.get_or_insert_with(HostConfig::default);
    // the body's own ports here; what the image adds under -P once the
    // core has asked for the image (`image_ports`)
    ports::check(&b.ports, body.exposed_ports.as_ref(), &[], hc, en)?;
    check_resources(b, &hc.resources, "HostConfig", en)?;
    for (i, m) in hc.mounts.iter_mut().flatten().enumerate() {
        if m.type_.as_deref() != Some("volume") {
            continue;
        }
        let dc = m
            .volume_options
            .as_mut()
            .and_then(|o| o.driver_config.as_mut());
        let local = dc
            .as_ref()
            .is_some_and(|d| matches!(d.name.as_deref(), None | Some("" | "local")));
        if let Some(opts) = dc.and_then(|d| d.options.as_mut()).filter(|_| local) {
            let field = format!("HostConfig.Mounts[{i}].VolumeOptions.DriverConfig.Options");
            tmpfs::volume(v, opts, &field, en)?;
        }
    }
    tmpfs::apply(&b.tmpfs, hc, en)?;
    logs::apply(&b.logs, hc, en)
}

/// `bounds.ports` again with what the image exposes, which `-P` publishes
/// too (`apply_create` counted the body's own ports).
pub fn image_ports(
    b: &BoundsParams,
    body: &ContainerCreate,
    image: &[String],
    en: &Enforcer,
) -> Result<(), Denial> {
    match body.host_config.as_ref() {
        Some(hc) if hc.publish_all_ports == Some(true) && !image.is_empty() => {
            ports::check(&b.ports, body.exposed_ports.as_ref(), image, hc, en)
        }
        _ => Ok(()),
    }
}

/// Judges `POST /volumes/create` driver options of a `local` volume.
pub fn volume_create(
    v: &VolumesParams,
    opts: &mut BTreeMap<String, String>,
    field: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    tmpfs::volume(v, opts, field, en)
}

/// The weights and realtime fields of `Resources`, shared by create and
/// update (`docker update --cpu-shares`, `--blkio-weight`, and the
/// realtime fields all change a running container).
pub fn check_resources(
    b: &BoundsParams,
    r: &Resources,
    prefix: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    let at = |f: &str| {
        if prefix.is_empty() {
            f.to_string()
        } else {
            format!("{prefix}.{f}")
        }
    };
    let w = &b.cpu_weight;
    match r.cpu_shares {
        Some(s) if s < 0 => {
            return Err(Denial::malformed(
                CPU_WEIGHT,
                format!("a CPU weight of {s} cannot be judged"),
                format!("set --cpu-shares between 2 and {}", w.max_cpu_shares),
            )
            .at(at("CpuShares")))
        }
        Some(s) if s > w.max_cpu_shares => {
            en.refuse(
                Denial::policy(
                    CPU_WEIGHT,
                    format!(
                        "a CPU weight (--cpu-shares) of {s} is above the ceiling of {}",
                        w.max_cpu_shares
                    ),
                    format!(
                        "set --cpu-shares to {} or less, or leave it unset",
                        w.max_cpu_shares
                    ),
                )
                .at(at("CpuShares")),
            )?;
        }
        _ => {}
    }
    let weights = r
        .blkio_weight
        .map(|bw| (i64::from(bw), at("BlkioWeight")))
        .into_iter()
        .chain(
            r.blkio_weight_device
                .iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, d)| {
                    d.weight
                        .map(|bw| (i64::from(bw), at(&format!("BlkioWeightDevice[{i}].Weight"))))
                }),
        );
    for (bw, field) in weights {
        if bw > w.max_blkio_weight {
            en.refuse(
                Denial::policy(
                    CPU_WEIGHT,
                    format!(
                        "a block-IO weight of {bw} is above the ceiling of {}",
                        w.max_blkio_weight
                    ),
                    format!(
                        "set --blkio-weight to {} or less, or leave it unset",
                        w.max_blkio_weight
                    ),
                )
                .at(field),
            )?;
        }
    }
    if b.allow_realtime {
        return Ok(());
    }
    let realtime = |field: &str| {
        Denial::policy(
            REALTIME,
            "realtime CPU scheduling is not allowed (a realtime task can starve the host)",
            "drop --cpu-rt-runtime, --cpu-rt-period and --ulimit rtprio",
        )
        .at(at(field))
    };
    if r.cpu_realtime_runtime.is_some_and(|v| v != 0) {
        en.refuse(realtime("CpuRealtimeRuntime"))?;
    }
    if r.cpu_realtime_period.is_some_and(|v| v != 0) {
        en.refuse(realtime("CpuRealtimePeriod"))?;
    }
    for (i, u) in r.ulimits.iter().flatten().enumerate() {
        // the engine upper-cases the name into RLIMIT_<NAME>
        let rtprio = u
            .name
            .as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("rtprio"));
        if rtprio && (u.soft.unwrap_or(0) != 0 || u.hard.unwrap_or(0) != 0) {
            en.refuse(realtime(&format!("Ulimits[{i}]")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Ulimit, WeightDevice};

    fn check_resources(b: &BoundsParams, r: &Resources, prefix: &str) -> Result<(), Denial> {
        super::check_resources(b, r, prefix, &Enforcer::deny_all())
    }

    #[test]
    fn weights_under_ceilings_at_create_and_update() {
        let b = BoundsParams::default();
        let ok = Resources {
            cpu_shares: Some(512),
            blkio_weight: Some(10),
            ..Resources::default()
        };
        assert!(check_resources(&b, &ok, "").is_ok());
        for (bad, status) in [
            (
                Resources {
                    cpu_shares: Some(262_144),
                    ..Resources::default()
                },
                403,
            ),
            (
                Resources {
                    cpu_shares: Some(-1),
                    ..Resources::default()
                },
                400,
            ),
            (
                Resources {
                    blkio_weight: Some(1000),
                    ..Resources::default()
                },
                403,
            ),
            (
                Resources {
                    blkio_weight_device: Some(vec![WeightDevice {
                        path: Some("/dev/sda".into()),
                        weight: Some(1000),
                    }]),
                    ..Resources::default()
                },
                403,
            ),
        ] {
            let d = check_resources(&b, &bad, "").unwrap_err();
            assert_eq!(
                (d.status, d.rule_id().cloned()),
                (status, Some(CPU_WEIGHT)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn realtime_is_refused_in_every_field() {
        let b = BoundsParams::default();
        for bad in [
            Resources {
                cpu_realtime_runtime: Some(950_000),
                ..Resources::default()
            },
            Resources {
                cpu_realtime_runtime: Some(-1),
                ..Resources::default()
            },
            Resources {
                cpu_realtime_period: Some(1_000_000),
                ..Resources::default()
            },
            Resources {
                ulimits: Some(vec![Ulimit {
                    name: Some("RtPrio".into()),
                    soft: Some(99),
                    hard: Some(99),
                }]),
                ..Resources::default()
            },
        ] {
            let d = check_resources(&b, &bad, "HostConfig").unwrap_err();
            assert_eq!(d.rule_id().cloned(), Some(REALTIME), "{bad:?}");
        }
        let zero = Resources {
            ulimits: Some(vec![Ulimit {
                name: Some("rtprio".into()),
                soft: Some(0),
                hard: Some(0),
            }]),
            ..Resources::default()
        };
        assert!(check_resources(&b, &zero, "").is_ok());
        let allow = BoundsParams {
            allow_realtime: true,
            ..BoundsParams::default()
        };
        let rt = Resources {
            cpu_realtime_runtime: Some(950_000),
            ..Resources::default()
        };
        assert!(check_resources(&allow, &rt, "").is_ok());
    }
}
