//! `mounts.no-host-path` and `mounts.volume-driver`: no host path reaches a
//! container in any form — `Binds`, `Mounts`, volume driver options, a
//! third-party volume driver (invariant 3).

use std::collections::BTreeMap;

use crate::decode::{HostConfig, Mount};
use crate::policy::MountsParams;
use crate::{Denial, Enforcer};

/// Rule id for host paths.
pub const RULE: crate::RuleId = crate::RuleId::MOUNTS_NO_HOST_PATH;
/// Rule id for volume drivers.
pub const DRIVER_RULE: crate::RuleId = crate::RuleId::MOUNTS_VOLUME_DRIVER;

/// What the source of a `Binds` entry is, read as the daemon's Linux parser reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindSource<'a> {
    /// An absolute host path.
    HostPath(&'a str),
    /// A named volume.
    Volume(&'a str),
    /// Only a container path: an anonymous volume.
    Anonymous,
}

/// Splits a `Binds` entry `src:dst[:mode]` into its source and the rest.
pub fn parse_bind(spec: &str) -> (BindSource<'_>, &str) {
    match spec.split_once(':') {
        None => (BindSource::Anonymous, spec),
        Some((src, rest))
            if src.starts_with('/') || src.starts_with('\\') || src.contains('\\') =>
        {
            (BindSource::HostPath(src), rest)
        }
        Some((src, rest)) => (BindSource::Volume(src), rest),
    }
}

fn host_path_allowed(params: &MountsParams, path: &str) -> bool {
    if path.split('/').any(|seg| seg == ".." || seg == ".") {
        return false;
    }
    params.allow_host_paths.iter().any(|prefix| {
        let prefix = prefix.trim_end_matches('/');
        !prefix.is_empty()
            && (path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/')))
    })
}

fn host_path_denial(path: &str, field: String) -> Denial {
    Denial::policy(
        RULE,
        format!("bind-mounting the host path `{path}` is not allowed"),
        "use a named volume instead (-v data:/path) or --tmpfs /path",
    )
    .compose(
        "use a named volume (volumes: [\"data:/path\"] with `data: {}` under the top-level volumes:) or tmpfs: [/path]",
    )
    .at(field)
}

/// Checks `Binds`, `Mounts` and `VolumeDriver` of a host config.
pub fn check(params: &MountsParams, hc: &HostConfig, en: &Enforcer) -> Result<(), Denial> {
    for (i, spec) in hc.binds.iter().flatten().enumerate() {
        if let (BindSource::HostPath(p), _) = parse_bind(spec) {
            if !host_path_allowed(params, p) {
                en.refuse(host_path_denial(p, format!("HostConfig.Binds[{i}]")))?;
            }
        }
    }
    for (i, m) in hc.mounts.iter().flatten().enumerate() {
        check_mount(params, m, &format!("HostConfig.Mounts[{i}]"), en)?;
    }
    if let Some(driver) = hc.volume_driver.as_deref().filter(|d| !d.is_empty()) {
        check_driver(params, driver, "HostConfig.VolumeDriver", en)?;
    }
    Ok(())
}

/// Checks one `Mounts` entry (containers now, service specs later).
pub fn check_mount(
    params: &MountsParams,
    m: &Mount,
    field: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    let source = m.source.as_deref().unwrap_or("");
    match m.type_.as_deref().unwrap_or("") {
        "bind" => {
            if host_path_allowed(params, source) {
                Ok(())
            } else {
                en.refuse(host_path_denial(source, format!("{field}.Source")))
            }
        }
        "volume" => {
            if let Some(dc) = m
                .volume_options
                .as_ref()
                .and_then(|v| v.driver_config.as_ref())
            {
                let driver = dc.name.as_deref().unwrap_or("local");
                check_driver(
                    params,
                    driver,
                    &format!("{field}.VolumeOptions.DriverConfig.Name"),
                    en,
                )?;
                if let Some(opts) = &dc.options {
                    check_driver_opts(
                        params,
                        opts,
                        &format!("{field}.VolumeOptions.DriverConfig.Options"),
                        en,
                    )?;
                }
            }
            Ok(())
        }
        "tmpfs" | "image" => Ok(()),
        other => en.refuse(
            Denial::policy(
                RULE,
                format!("mount type `{other}` is not allowed"),
                "use type=volume, type=tmpfs or type=image",
            )
            .at(format!("{field}.Type")),
        ),
    }
}

/// Checks a volume driver name against the allowed list.
pub fn check_driver(
    params: &MountsParams,
    driver: &str,
    field: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    if params.allow_volume_drivers.iter().any(|d| d == driver) {
        Ok(())
    } else {
        en.refuse(
            Denial::policy(
                DRIVER_RULE,
                format!("volume driver `{driver}` is not allowed"),
                format!("use one of: {}", params.allow_volume_drivers.join(", ")),
            )
            .at(field),
        )
    }
}

/// Checks `local` volume driver options: `o=bind`, a `device` path or a
/// network filesystem `type` would mount something of the host's (or of
/// the host's network) into the volume.
pub fn check_driver_opts(
    params: &MountsParams,
    opts: &BTreeMap<String, String>,
    field: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    for (key, value) in opts {
        let k = key.to_ascii_lowercase();
        let bad = match k.as_str() {
            "o" => value
                .split(',')
                .map(|o| o.trim().to_ascii_lowercase())
                .any(|o| o == "bind" || o == "rbind" || o.starts_with("addr=")),
            "device" => {
                let v = value.trim();
                v != "tmpfs" && !host_path_allowed(params, v)
            }
            "type" => !matches!(value.trim(), "tmpfs" | ""),
            "size" => false,
            _ => true,
        };
        if bad {
            en.refuse(Denial::policy(
                RULE,
                format!("volume driver option `{key}={value}` would mount a host path or a remote filesystem"),
                "create a plain named volume without driver options (or with type=tmpfs)",
            )
            .at(format!("{field}.{key}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_driver_opts(
        p: &MountsParams,
        opts: &BTreeMap<String, String>,
        field: &str,
    ) -> Result<(), Denial> {
        super::check_driver_opts(p, opts, field, &Enforcer::deny_all())
    }

    fn params() -> MountsParams {
        MountsParams {
            allow_host_paths: vec!["/srv/shared".into()],
            allow_volume_drivers: vec!["local".into()],
        }
    }

    #[test]
    fn bind_sources() {
        assert_eq!(parse_bind("/etc:/x").0, BindSource::HostPath("/etc"));
        assert_eq!(parse_bind("data:/x:ro").0, BindSource::Volume("data"));
        assert_eq!(parse_bind("/x").0, BindSource::Anonymous);
        assert_eq!(
            parse_bind("\\\\host\\c:/x").0,
            BindSource::HostPath("\\\\host\\c")
        );
    }

    #[test]
    fn allowed_prefixes_cannot_be_escaped() {
        let p = params();
        assert!(host_path_allowed(&p, "/srv/shared"));
        assert!(host_path_allowed(&p, "/srv/shared/a"));
        assert!(!host_path_allowed(&p, "/srv/sharedx"));
        assert!(!host_path_allowed(&p, "/srv/shared/../../etc"));
        assert!(!host_path_allowed(&p, "/srv/shared/./a"));
        assert!(!host_path_allowed(&p, "/etc"));
    }

    #[test]
    fn driver_options_that_bind_are_refused() {
        let p = params();
        let opts = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        for bad in [
            opts(&[("type", "none"), ("o", "bind"), ("device", "/etc")]),
            opts(&[("o", "ro,BIND")]),
            opts(&[("device", "/etc")]),
            opts(&[("type", "nfs"), ("o", "addr=10.0.0.1"), ("device", ":/x")]),
            opts(&[("Device", "/")]),
        ] {
            assert!(check_driver_opts(&p, &bad, "x").is_err(), "{bad:?}");
        }
        assert!(check_driver_opts(
            &p,
            &opts(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=100m")]),
            "x"
        )
        .is_ok());
    }
}
