//! `bounds.logs`: a container's log takes the engine's disk. `json-file`
//! keeps everything unless told `max-size` (the issue measured 172 MB in
//! 2 s), and `local` takes whatever `max-size` it is given. Both get
//! `max-size` and `max-file` injected when absent, under ceilings; a
//! container that names no driver gets the policy's driver, so that its
//! limits can be set too.

use super::size::{go_units_size, human};
use super::LOGS;
use crate::decode::{HostConfig, LogConfig};
use crate::policy::LogBounds;
use crate::{Denial, Enforcer};

fn opt_field(key: &str) -> String {
    format!("HostConfig.LogConfig.Config.{key}")
}

fn unreadable(key: &str, value: &str, instead: &str) -> Denial {
    Denial::malformed(
        LOGS,
        format!("the log option `{key}={value}` cannot be read"),
        instead,
    )
    .at(opt_field(key))
}

/// Sets the driver where none is named and bounds the disk (and daemon
/// memory, `max-buffer-size`) the log may take. Options are judged before
/// anything is injected, so a denial leaves the body as it was.
///
/// A value refused in `warn` or `audit` mode is forwarded as sent; what is
/// absent is still injected.
pub(crate) fn apply(p: &LogBounds, hc: &mut HostConfig, en: &Enforcer) -> Result<(), Denial> {
    let named = hc
        .log_config
        .as_ref()
        .and_then(|l| l.type_.as_deref())
        .filter(|t| !t.is_empty());
    let driver = match named {
        Some(d) => d.to_string(),
        None if p.driver.is_empty() => return Ok(()),
        None => p.driver.clone(),
    };
    let config = hc.log_config.as_ref().and_then(|l| l.config.as_ref());
    let get = |k: &str| config.and_then(|c| c.get(k)).map(String::as_str);
    if let Some(v) = get("max-buffer-size") {
        match go_units_size(v) {
            None => return Err(unreadable("max-buffer-size", v, "write a size such as 1m")),
            Some(b) if b > p.max_buffer_size => {
                en.refuse(
                    Denial::policy(
                        LOGS,
                        format!(
                            "a log buffer of {} (the daemon's memory) is above the ceiling of {}",
                            human(b),
                            human(p.max_buffer_size)
                        ),
                        format!(
                            "set max-buffer-size to {} or less",
                            human(p.max_buffer_size)
                        ),
                    )
                    .at(opt_field("max-buffer-size")),
                )?;
            }
            Some(_) => {}
        }
    }
    if driver != "json-file" && driver != "local" {
        return Ok(());
    }
    let size = get("max-size");
    if let Some(v) = size {
        match go_units_size(v) {
            None => {
                return Err(unreadable(
                    "max-size",
                    v,
                    "write a size such as --log-opt max-size=10m",
                ))
            }
            Some(b) if b <= 0 || b > p.max_size.max => {
                en.refuse(
                    Denial::policy(
                        LOGS,
                        format!(
                            "a log file size of `{v}` is not allowed: the ceiling is {}",
                            human(p.max_size.max)
                        ),
                        format!("set --log-opt max-size={} or less", human(p.max_size.max)),
                    )
                    .compose(format!(
                        "set logging: {{options: {{max-size: {}}}}} or less",
                        human(p.max_size.max)
                    ))
                    .at(opt_field("max-size")),
                )?;
            }
            Some(_) => {}
        }
    }
    let files = get("max-file");
    if let Some(v) = files {
        // the drivers read it with Go's Atoi: digits only here
        let n = v
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse::<i64>().ok())
            .flatten();
        match n {
            None => {
                return Err(unreadable(
                    "max-file",
                    v,
                    "write a number of files such as --log-opt max-file=3",
                ))
            }
            Some(n) if n < 1 || n > p.max_file.max => {
                en.refuse(
                    Denial::policy(
                        LOGS,
                        format!(
                            "keeping {v} log files is not allowed: between 1 and {}",
                            p.max_file.max
                        ),
                        format!("set --log-opt max-file={} or less", p.max_file.max),
                    )
                    .compose(format!(
                        "set logging: {{options: {{max-file: \"{}\"}}}} or less",
                        p.max_file.max
                    ))
                    .at(opt_field("max-file")),
                )?;
            }
            Some(_) => {}
        }
    }
    let (size_missing, files_missing) = (size.is_none(), files.is_none());
    let lc = hc.log_config.get_or_insert_with(LogConfig::default);
    lc.type_ = Some(driver);
    let config = lc.config.get_or_insert_with(Default::default);
    if size_missing {
        config.insert("max-size".into(), human(p.max_size.default));
    }
    if files_missing {
        config.insert("max-file".into(), p.max_file.default.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::BoundsParams;

    fn apply(p: &LogBounds, hc: &mut HostConfig) -> Result<(), Denial> {
        super::apply(p, hc, &Enforcer::deny_all())
    }

    fn logs() -> LogBounds {
        BoundsParams::default().logs
    }

    fn hc(driver: &str, opts: &[(&str, &str)]) -> HostConfig {
        HostConfig {
            log_config: Some(LogConfig {
                type_: (!driver.is_empty()).then(|| driver.to_string()),
                config: Some(
                    opts.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            }),
            ..HostConfig::default()
        }
    }

    #[test]
    fn the_default_driver_gets_its_limits() {
        for mut h in [hc("", &[]), HostConfig::default()] {
            apply(&logs(), &mut h).unwrap();
            let lc = h.log_config.unwrap();
            assert_eq!(lc.type_.as_deref(), Some("json-file"));
            let c = lc.config.unwrap();
            assert_eq!(
                (c["max-size"].as_str(), c["max-file"].as_str()),
                ("10m", "3")
            );
        }
        let mut h = hc("local", &[("max-size", "20m")]);
        apply(&logs(), &mut h).unwrap();
        let c = h.log_config.unwrap().config.unwrap();
        assert_eq!(
            (c["max-size"].as_str(), c["max-file"].as_str()),
            ("20m", "3")
        );
    }

    #[test]
    fn no_injection_when_the_engine_keeps_its_driver() {
        let p = LogBounds {
            driver: String::new(),
            ..logs()
        };
        let mut h = HostConfig::default();
        apply(&p, &mut h).unwrap();
        assert_eq!(h, HostConfig::default());
    }

    #[test]
    fn ceilings_and_spellings() {
        for (k, v, status) in [
            ("max-size", "1000g", 403),
            ("max-size", "51m", 403),
            ("max-size", "0", 403),
            ("max-size", "-1", 400),
            ("max-size", "1e9", 400),
            ("max-size", "10 m", 400),
            ("max-file", "6", 403),
            ("max-file", "0", 403),
            ("max-file", "-1", 400),
            ("max-file", "+3", 400),
            ("max-file", "3.0", 400),
            ("max-buffer-size", "1g", 403),
        ] {
            let mut h = hc("json-file", &[(k, v)]);
            let before = h.clone();
            let d = apply(&logs(), &mut h).unwrap_err();
            assert_eq!(
                (d.status, d.rule_id().cloned()),
                (status, Some(LOGS)),
                "{k}={v}"
            );
            assert_eq!(h, before, "bad input changes nothing");
        }
        let mut h = hc("json-file", &[("max-size", "50MiB"), ("max-file", "5")]);
        apply(&logs(), &mut h).unwrap();
    }
}
