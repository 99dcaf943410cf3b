//! `resources.*`: every container ends with memory, CPU and pids limits at or
//! below the tenant's ceilings — defaults injected where absent, "unlimited"
//! spellings replaced, above-ceiling denied, at create and at update
//! (invariant 5).

use crate::decode::Resources;
use crate::policy::{Limit, ResourcesParams};
use crate::{Denial, Enforcer, Tenant};

/// Rule ids.
pub const MEMORY: crate::RuleId = crate::RuleId::RESOURCES_MEMORY;
/// CPU.
pub const CPU: crate::RuleId = crate::RuleId::RESOURCES_CPU;
/// Pids.
pub const PIDS: crate::RuleId = crate::RuleId::RESOURCES_PIDS;

/// The daemon's bounds on `CpuPeriod` and its least `CpuQuota`, in
/// microseconds (1 ms and 1 s; `daemon_unix.go`).
const MIN_CPU_PERIOD: i64 = 1_000;
const MAX_CPU_PERIOD: i64 = 1_000_000;
const MIN_CPU_QUOTA: i64 = 1_000;

/// Whether the body creates (absent means "no limit": inject) or updates
/// (absent or 0 means "unchanged": leave alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST /containers/create`.
    Create,
    /// `POST /containers/{id}/update`.
    Update,
}

/// The effective limits for a tenant: the policy's, lowered by the tenant's
/// operator-set ceilings; a default never exceeds its ceiling.
pub fn effective(params: &ResourcesParams, tenant: &Tenant) -> ResourcesParams {
    let lower = |l: Limit, t: Option<i64>| {
        let max = t.map_or(l.max, |t| t.min(l.max));
        Limit {
            default: l.default.min(max),
            max,
        }
    };
    ResourcesParams {
        memory: lower(params.memory, tenant.limits.memory),
        nano_cpus: lower(params.nano_cpus, tenant.limits.nano_cpus),
        pids: lower(params.pids, tenant.limits.pids),
    }
}

fn human_bytes(b: i64) -> String {
    const MI: i64 = 1024 * 1024;
    if b % (1024 * MI) == 0 {
        format!("{}g", b / (1024 * MI))
    } else if b % MI == 0 {
        format!("{}m", b / MI)
    } else {
        format!("{b} bytes")
    }
}

fn cpus(n: i64) -> String {
    let s = format!("{:.3}", n as f64 / 1e9);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Injects defaults and enforces ceilings on one `Resources` block.
/// `prefix` is the JSON path of the block (`HostConfig` or ""). A value
/// refused by a rule in `warn` or `audit` mode (`en`) is left as the client
/// sent it; an absent one still gets its default.
pub fn apply(
    params: &ResourcesParams,
    tenant: &Tenant,
    r: &mut Resources,
    mode: Mode,
    prefix: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    let lim = effective(params, tenant);
    let at = |f: &str| {
        if prefix.is_empty() {
            f.to_string()
        } else {
            format!("{prefix}.{f}")
        }
    };

    // memory: 0 means unlimited at create, unchanged at update; negative is
    // refused (the daemon reads -1 as unlimited in places).
    match r.memory {
        Some(m) if m < 0 => en.refuse(
            Denial::policy(
                MEMORY,
                "an unlimited memory limit is not allowed",
                format!("set -m to at most {}", human_bytes(lim.memory.max)),
            )
            .compose(format!(
                "set mem_limit to at most {}",
                human_bytes(lim.memory.max)
            ))
            .at(at("Memory")),
        )?,
        Some(m) if m > lim.memory.max => en.refuse(
            Denial::policy(
                MEMORY,
                format!(
                    "memory limit {} is above your ceiling of {}",
                    human_bytes(m),
                    human_bytes(lim.memory.max)
                ),
                format!("set -m to at most {}", human_bytes(lim.memory.max)),
            )
            .compose(format!(
                "set mem_limit to at most {}",
                human_bytes(lim.memory.max)
            ))
            .at(at("Memory")),
        )?,
        Some(m) if m > 0 => {}
        _ => {
            if mode == Mode::Create {
                r.memory = Some(lim.memory.default);
            }
        }
    }
    // swap: must not exceed twice the ceiling (-1 = unlimited swap refused).
    if let Some(s) = r.memory_swap {
        if s < 0 || s > 2 * lim.memory.max {
            en.refuse(
                Denial::policy(
                    MEMORY,
                    "an unlimited or above-ceiling memory+swap limit is not allowed",
                    format!(
                        "set --memory-swap to at most {}",
                        human_bytes(2 * lim.memory.max)
                    ),
                )
                .compose(format!(
                    "set memswap_limit to at most {}",
                    human_bytes(2 * lim.memory.max)
                ))
                .at(at("MemorySwap")),
            )?;
        }
    }

    // CPU: NanoCpus, or CpuQuota/CpuPeriod (period defaults to 100 ms).
    let nano = r.nano_cpus.unwrap_or(0);
    let quota = r.cpu_quota.unwrap_or(0);
    if nano < 0 {
        en.refuse(cpu_denial(&lim, "a negative CPU limit", at("NanoCpus")))?;
    }
    if nano > 0 && quota != 0 {
        return Err(Denial::malformed(
            CPU,
            "NanoCpus and CpuQuota cannot both be set",
            "use either --cpus or --cpu-quota",
        )
        .at(at("CpuQuota")));
    }
    if nano > lim.nano_cpus.max {
        en.refuse(cpu_denial(
            &lim,
            &format!("{} CPUs", cpus(nano)),
            at("NanoCpus"),
        ))?;
    }
    if quota < 0 {
        en.refuse(cpu_denial(
            &lim,
            "an unlimited CPU quota (-1)",
            at("CpuQuota"),
        ))?;
    }
    // At update, 0 means "unchanged": a new period alone would rescale the
    // container's existing quota (and a quota alone be read against an
    // unknown period), so the pair must be judged together.
    if mode == Mode::Update && ((quota != 0) != (r.cpu_period.unwrap_or(0) != 0)) {
        return Err(Denial::malformed(
            CPU,
            "CpuQuota and CpuPeriod must be updated together",
            "pass both --cpu-quota and --cpu-period, or use --cpus",
        )
        .at(at("CpuPeriod")));
    }
    // The daemon refuses a period outside 1 ms..1 s (`verifyPlatformContainerResources`);
    // refused here first, so that no quota is ever derived from one (a
    // period of 1 µs would round the injected default quota down to 0:
    // no CPU limit at all).
    let period = r.cpu_period.unwrap_or(0);
    if period != 0 && !(MIN_CPU_PERIOD..=MAX_CPU_PERIOD).contains(&period) {
        return Err(Denial::malformed(
            CPU,
            format!("CpuPeriod {period} is outside the daemon's range of {MIN_CPU_PERIOD} to {MAX_CPU_PERIOD} microseconds"),
            "pass --cpu-period between 1000 and 1000000, or use --cpus",
        )
        .at(at("CpuPeriod")));
    }
    if quota > 0 {
        let period = match r.cpu_period.unwrap_or(0) {
            0 => Some(100_000),
            p if p < 0 => {
                en.refuse(cpu_denial(&lim, "a negative CPU period", at("CpuPeriod")))?;
                None
            }
            p => Some(p),
        };
        // quota/period CPUs, compared in nano-CPUs without overflow
        let effective = period.map(|period| (quota as i128) * 1_000_000_000 / (period as i128));
        if let (Some(effective), Some(period)) = (effective, period) {
            if effective > lim.nano_cpus.max as i128 {
                en.refuse(cpu_denial(
                    &lim,
                    &format!("a CPU quota of {quota}/{period}"),
                    at("CpuQuota"),
                ))?;
            }
        }
    }
    if nano == 0 && quota == 0 && mode == Mode::Create {
        match r.cpu_period {
            Some(p) if p > 0 => {
                // the default share of this period, but never under the
                // daemon's least quota (1 ms), and then within the ceiling
                let share = (lim.nano_cpus.default as i128) * (p as i128) / 1_000_000_000;
                let q = share.max(MIN_CPU_QUOTA as i128);
                if q * 1_000_000_000 / (p as i128) > lim.nano_cpus.max as i128 {
                    en.refuse(cpu_denial(
                        &lim,
                        &format!("the least CPU quota, {MIN_CPU_QUOTA}/{p},"),
                        at("CpuPeriod"),
                    ))?;
                }
                r.cpu_quota = Some(q as i64)
            }
            _ => r.nano_cpus = Some(lim.nano_cpus.default),
        }
    }

    // pids: 0 and -1 both mean unlimited; at update too (PidsLimit is a
    // pointer there: present means "set it").
    match r.pids_limit {
        Some(p) if p > lim.pids.max => en.refuse(
            Denial::policy(
                PIDS,
                format!("pids limit {p} is above your ceiling of {}", lim.pids.max),
                format!("set --pids-limit to at most {}", lim.pids.max),
            )
            .compose(format!("set pids_limit to at most {}", lim.pids.max))
            .at(at("PidsLimit")),
        )?,
        Some(p) if p > 0 => {}
        Some(_) => r.pids_limit = Some(lim.pids.default),
        None => {
            if mode == Mode::Create {
                r.pids_limit = Some(lim.pids.default);
            }
        }
    }
    Ok(())
}

fn cpu_denial(lim: &ResourcesParams, what: &str, field: String) -> Denial {
    Denial::policy(
        CPU,
        format!(
            "{what} is above your CPU ceiling of {} CPUs",
            cpus(lim.nano_cpus.max)
        ),
        format!("set --cpus to at most {}", cpus(lim.nano_cpus.max)),
    )
    .compose(format!("set cpus to at most {}", cpus(lim.nano_cpus.max)))
    .at(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(
        params: &ResourcesParams,
        tenant: &Tenant,
        r: &mut Resources,
        mode: Mode,
        prefix: &str,
    ) -> Result<(), Denial> {
        super::apply(params, tenant, r, mode, prefix, &Enforcer::deny_all())
    }
    use crate::TenantId;

    fn params() -> ResourcesParams {
        ResourcesParams {
            memory: Limit {
                default: 256 << 20,
                max: 1 << 30,
            },
            nano_cpus: Limit {
                default: 500_000_000,
                max: 2_000_000_000,
            },
            pids: Limit {
                default: 256,
                max: 1024,
            },
        }
    }

    fn tenant() -> Tenant {
        Tenant::new(TenantId::new("alpha").unwrap())
    }

    #[test]
    fn defaults_are_injected_at_create_only() {
        let mut r = Resources::default();
        apply(&params(), &tenant(), &mut r, Mode::Create, "HostConfig").unwrap();
        assert_eq!(
            (r.memory, r.nano_cpus, r.pids_limit),
            (Some(256 << 20), Some(500_000_000), Some(256))
        );
        let mut u = Resources::default();
        apply(&params(), &tenant(), &mut u, Mode::Update, "").unwrap();
        assert_eq!((u.memory, u.nano_cpus, u.pids_limit), (None, None, None));
    }

    #[test]
    fn unlimited_spellings_never_survive() {
        for p in [0, -1, -1000] {
            for mode in [Mode::Create, Mode::Update] {
                let mut r = Resources {
                    pids_limit: Some(p),
                    ..Resources::default()
                };
                apply(&params(), &tenant(), &mut r, mode, "").unwrap();
                assert_eq!(r.pids_limit, Some(256));
            }
        }
        let mut r = Resources {
            memory: Some(-1),
            ..Resources::default()
        };
        assert!(apply(&params(), &tenant(), &mut r, Mode::Update, "").is_err());
        let mut r = Resources {
            cpu_quota: Some(-1),
            ..Resources::default()
        };
        assert!(apply(&params(), &tenant(), &mut r, Mode::Update, "").is_err());
        let mut r = Resources {
            memory_swap: Some(-1),
            ..Resources::default()
        };
        assert!(apply(&params(), &tenant(), &mut r, Mode::Create, "").is_err());
    }

    #[test]
    fn ceilings_at_create_and_update() {
        for mode in [Mode::Create, Mode::Update] {
            let mut r = Resources {
                memory: Some(2 << 30),
                ..Resources::default()
            };
            assert_eq!(
                apply(&params(), &tenant(), &mut r, mode, "")
                    .unwrap_err()
                    .rule_id()
                    .cloned(),
                Some(MEMORY)
            );
            let mut r = Resources {
                nano_cpus: Some(3_000_000_000),
                ..Resources::default()
            };
            assert_eq!(
                apply(&params(), &tenant(), &mut r, mode, "")
                    .unwrap_err()
                    .rule_id()
                    .cloned(),
                Some(CPU)
            );
            let mut r = Resources {
                cpu_quota: Some(300_000),
                cpu_period: Some(100_000),
                ..Resources::default()
            };
            assert_eq!(
                apply(&params(), &tenant(), &mut r, mode, "")
                    .unwrap_err()
                    .rule_id()
                    .cloned(),
                Some(CPU)
            );
            let mut r = Resources {
                cpu_quota: Some(300_000),
                ..Resources::default()
            };
            assert!(apply(&params(), &tenant(), &mut r, mode, "").is_err());
            let mut r = Resources {
                pids_limit: Some(5000),
                ..Resources::default()
            };
            assert_eq!(
                apply(&params(), &tenant(), &mut r, mode, "")
                    .unwrap_err()
                    .rule_id()
                    .cloned(),
                Some(PIDS)
            );
        }
    }

    #[test]
    fn tenant_ceiling_lowers_policy_and_default() {
        let mut t = tenant();
        t.limits.memory = Some(128 << 20);
        let mut r = Resources::default();
        apply(&params(), &t, &mut r, Mode::Create, "").unwrap();
        assert_eq!(r.memory, Some(128 << 20));
        let mut r = Resources {
            memory: Some(200 << 20),
            ..Resources::default()
        };
        assert!(apply(&params(), &t, &mut r, Mode::Create, "").is_err());
    }

    /// Found by `fuzz/` (target `create`): a period of 1 µs made the
    /// injected default quota 0.5 µs, rounded to 0 — no CPU limit.
    #[test]
    fn cpu_period_outside_the_daemons_range_is_refused() {
        for p in [1, 999, -1, 1_000_001, i64::MIN, i64::MAX] {
            for mode in [Mode::Create, Mode::Update] {
                let mut r = Resources {
                    cpu_period: Some(p),
                    cpu_quota: Some(if mode == Mode::Update { 50_000 } else { 0 }),
                    ..Resources::default()
                };
                let d = apply(&params(), &tenant(), &mut r, mode, "").unwrap_err();
                assert_eq!(d.status, 400, "{p}: {}", d.message);
            }
        }
    }

    /// A short period gets at least the daemon's least quota, 1 ms.
    #[test]
    fn injected_quota_is_never_under_one_millisecond() {
        let mut r = Resources {
            cpu_period: Some(1_000),
            ..Resources::default()
        };
        apply(&params(), &tenant(), &mut r, Mode::Create, "").unwrap();
        assert_eq!((r.nano_cpus, r.cpu_quota), (None, Some(1_000)));
        let low = ResourcesParams {
            nano_cpus: Limit {
                default: 100_000_000,
                max: 500_000_000,
            },
            ..params()
        };
        let mut r = Resources {
            cpu_period: Some(1_000),
            ..Resources::default()
        };
        assert!(apply(&low, &tenant(), &mut r, Mode::Create, "").is_err());
    }

    #[test]
    fn cpu_period_alone_gets_a_quota() {
        let mut r = Resources {
            cpu_period: Some(50_000),
            ..Resources::default()
        };
        apply(&params(), &tenant(), &mut r, Mode::Create, "").unwrap();
        assert_eq!((r.nano_cpus, r.cpu_quota), (None, Some(25_000)));
    }
}
