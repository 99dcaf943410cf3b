//! `bounds.healthcheck`: each health check is an exec the daemon spawns
//! (outside the tenant's cgroups); one every millisecond is a fork bomb
//! the daemon runs for the tenant. Interval, start interval, timeout and
//! start period have minimums (0 is the engine's default and fine), retries
//! a maximum; `Test: ["NONE"]` turns the check off and is always fine.

use super::HEALTHCHECK;
use crate::decode::HealthConfig;
use crate::policy::HealthBounds;
use crate::{Denial, Enforcer};

/// `1000000000` ns → `1s`, `500000000` → `500ms`.
fn human(ns: i64) -> String {
    if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else {
        format!("{ns}ns")
    }
}

/// The compose key under `healthcheck:` for a health check field
/// (`StartPeriod` is `start_period`).
fn compose_key(field: &str) -> &'static str {
    match field {
        "Interval" => "interval",
        "StartInterval" => "start_interval",
        "Timeout" => "timeout",
        "StartPeriod" => "start_period",
        _ => "interval",
    }
}

/// Checks `Config.Healthcheck`.
pub(crate) fn check(
    p: &HealthBounds,
    h: Option<&HealthConfig>,
    en: &Enforcer,
) -> Result<(), Denial> {
    let Some(h) = h else {
        return Ok(());
    };
    if h.test.as_ref().and_then(|t| t.first()).map(String::as_str) == Some("NONE") {
        return Ok(());
    }
    for (value, min, name, flag) in [
        (h.interval, p.min_interval, "Interval", "--health-interval"),
        (
            h.start_interval,
            p.min_interval,
            "StartInterval",
            "--health-start-interval",
        ),
        (h.timeout, p.min_timeout, "Timeout", "--health-timeout"),
        (
            h.start_period,
            p.min_start_period,
            "StartPeriod",
            "--health-start-period",
        ),
    ] {
        let field = format!("Healthcheck.{name}");
        match value {
            Some(v) if v < 0 => {
                return Err(Denial::malformed(
                    HEALTHCHECK,
                    format!("a negative health check {name} ({v} ns) cannot be judged"),
                    format!("set {flag} to {} or more, or leave it unset", human(min)),
                )
                .at(field))
            }
            Some(v) if v < min => {
                en.refuse(
                    Denial::policy(
                        HEALTHCHECK,
                        format!(
                            "a health check {name} of {} is below the minimum of {}",
                            human(v),
                            human(min)
                        ),
                        format!("set {flag} to {} or more, or leave it unset", human(min)),
                    )
                    .compose(format!(
                        "set healthcheck: {{{}: {}}} or more, or leave it unset",
                        compose_key(name),
                        human(min)
                    ))
                    .at(field),
                )?;
            }
            _ => {}
        }
    }
    match h.retries {
        Some(r) if r < 0 => Err(Denial::malformed(
            HEALTHCHECK,
            format!("{r} health check retries cannot be judged"),
            format!("set --health-retries between 1 and {}", p.max_retries),
        )
        .at("Healthcheck.Retries")),
        Some(r) if r > p.max_retries => en.refuse(
            Denial::policy(
                HEALTHCHECK,
                format!("{r} health check retries are more than {}", p.max_retries),
                format!("set --health-retries to {} or less", p.max_retries),
            )
            .compose(format!(
                "set healthcheck: {{retries: {}}} or less",
                p.max_retries
            ))
            .at("Healthcheck.Retries"),
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::BoundsParams;

    fn check(p: &HealthBounds, h: Option<&HealthConfig>) -> Result<(), Denial> {
        super::check(p, h, &Enforcer::deny_all())
    }

    fn p() -> HealthBounds {
        BoundsParams::default().healthcheck
    }

    #[test]
    fn minimums_maximum_and_none() {
        let ms = 1_000_000;
        let ok = HealthConfig {
            test: Some(vec!["CMD".into(), "true".into()]),
            interval: Some(1000 * ms),
            timeout: Some(5000 * ms),
            retries: Some(3),
            ..HealthConfig::default()
        };
        assert!(check(&p(), Some(&ok)).is_ok());
        assert!(check(&p(), Some(&HealthConfig::default())).is_ok());
        for (bad, status) in [
            (
                HealthConfig {
                    interval: Some(ms),
                    ..ok.clone()
                },
                403,
            ),
            (
                HealthConfig {
                    start_interval: Some(ms),
                    ..ok.clone()
                },
                403,
            ),
            (
                HealthConfig {
                    timeout: Some(999 * ms),
                    ..ok.clone()
                },
                403,
            ),
            (
                HealthConfig {
                    start_period: Some(1),
                    ..ok.clone()
                },
                403,
            ),
            (
                HealthConfig {
                    interval: Some(-1),
                    ..ok.clone()
                },
                400,
            ),
            (
                HealthConfig {
                    retries: Some(11),
                    ..ok.clone()
                },
                403,
            ),
            (
                HealthConfig {
                    retries: Some(-1),
                    ..ok.clone()
                },
                400,
            ),
        ] {
            let d = check(&p(), Some(&bad)).unwrap_err();
            assert_eq!(
                (d.status, d.rule_id().cloned()),
                (status, Some(HEALTHCHECK)),
                "{bad:?}"
            );
        }
        let off = HealthConfig {
            test: Some(vec!["NONE".into()]),
            interval: Some(1),
            ..HealthConfig::default()
        };
        assert!(check(&p(), Some(&off)).is_ok());
        assert_eq!(human(1_500_000_000), "1500ms");
    }
}
