//! `privileges.*`: no privileged mode, added capabilities, devices, unconfined
//! security options, sysctls, cgroup parent, runtime or log driver override,
//! unless the policy allows it (invariant 3).

use crate::decode::{HostConfig, Resources};
use crate::policy::PrivilegesParams;
use crate::{Denial, Enforcer};

/// Rule ids.
pub const PRIVILEGED: crate::RuleId = crate::RuleId::PRIVILEGES_PRIVILEGED;
/// Capabilities.
pub const CAPABILITIES: crate::RuleId = crate::RuleId::PRIVILEGES_CAPABILITIES;
/// Devices, device requests, device cgroup rules.
pub const DEVICES: crate::RuleId = crate::RuleId::PRIVILEGES_DEVICES;
/// Security options.
pub const SECURITY_OPT: crate::RuleId = crate::RuleId::PRIVILEGES_SECURITY_OPT;
/// Sysctls.
pub const SYSCTLS: crate::RuleId = crate::RuleId::PRIVILEGES_SYSCTLS;
/// Masked / read-only paths.
pub const PATHS: crate::RuleId = crate::RuleId::PRIVILEGES_PATHS;
/// Cgroup parent.
pub const CGROUP_PARENT: crate::RuleId = crate::RuleId::PRIVILEGES_CGROUP_PARENT;
/// Runtime.
pub const RUNTIME: crate::RuleId = crate::RuleId::PRIVILEGES_RUNTIME;
/// Log driver.
pub const LOG_DRIVER: crate::RuleId = crate::RuleId::PRIVILEGES_LOG_DRIVER;
/// OOM-killer protection.
pub const OOM: crate::RuleId = crate::RuleId::PRIVILEGES_OOM_SCORE_ADJ;

/// Log options of the allowed local drivers (json-file, local); options of
/// network drivers (syslog-address, gelf-address, fluentd-address...) would
/// let a tenant point the daemon at any host when the daemon's default
/// driver is one of those.
const LOG_OPTIONS: &[&str] = &[
    "max-size",
    "max-file",
    "compress",
    "mode",
    "max-buffer-size",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
];

fn non_empty<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_some_and(|v| !v.is_empty())
}

/// A capability name as the daemon normalises it: upper case, `CAP_` optional.
fn cap_name(c: &str) -> String {
    let up = c.trim().to_ascii_uppercase();
    up.strip_prefix("CAP_").map(str::to_string).unwrap_or(up)
}

/// Whether a security option is allowed: both `key=value` and the old
/// `key:value` syntax are read, as the daemon reads both.
fn security_opt_allowed(params: &PrivilegesParams, opt: &str) -> bool {
    let norm = |s: &str| s.trim().to_ascii_lowercase().replacen(':', "=", 1);
    let o = norm(opt);
    params.allow_security_opt.iter().any(|a| norm(a) == o)
}

/// Checks every privilege-raising field of a host config; each refusal
/// goes to `en` (a rule in `warn` or `audit` is recorded and checking
/// goes on).
pub fn check(params: &PrivilegesParams, hc: &HostConfig, en: &Enforcer) -> Result<(), Denial> {
    if hc.privileged == Some(true) && !params.allow_privileged {
        en.refuse(
            Denial::policy(
                PRIVILEGED,
                "privileged mode is not allowed",
                "drop --privileged; add only the capabilities the policy allows",
            )
            .compose(
                "remove `privileged: true`; list only the capabilities the policy allows under cap_add",
            )
            .at("HostConfig.Privileged"),
        )?;
    }
    for (i, c) in hc.cap_add.iter().flatten().enumerate() {
        let name = cap_name(c);
        if !params.allow_cap_add.iter().any(|a| cap_name(a) == name) {
            en.refuse(
                Denial::policy(
                    CAPABILITIES,
                    format!("adding the capability `{c}` is not allowed"),
                    "drop --cap-add; the default capability set is what fdcs grants",
                )
                .compose(format!(
                    "remove {c} from cap_add; the default capability set is what fdcs grants"
                ))
                .at(format!("HostConfig.CapAdd[{i}]")),
            )?;
        }
    }
    if non_empty(&hc.capabilities) {
        en.refuse(
            Denial::policy(
                CAPABILITIES,
                "setting the full capability set (`Capabilities`) is not allowed",
                "leave Capabilities unset",
            )
            .at("HostConfig.Capabilities"),
        )?;
    }
    check_resources(&hc.resources, "HostConfig", en)?;
    if hc.oom_score_adj.is_some_and(|v| v < 0) {
        en.refuse(Denial::policy(
            OOM,
            "a negative OOM score adjustment is not allowed (it makes the host's OOM killer pick other tenants first)",
            "drop --oom-score-adj or give it a value of 0 or more",
        )
        .at("HostConfig.OomScoreAdj"))?;
    }
    for (i, opt) in hc.security_opt.iter().flatten().enumerate() {
        if !security_opt_allowed(params, opt) {
            en.refuse(
                Denial::policy(
                    SECURITY_OPT,
                    format!("the security option `{opt}` is not allowed"),
                    format!(
                        "use only: {}",
                        if params.allow_security_opt.is_empty() {
                            "none".to_string()
                        } else {
                            params.allow_security_opt.join(", ")
                        }
                    ),
                )
                .compose(format!(
                    "keep only these in security_opt: {}",
                    if params.allow_security_opt.is_empty() {
                        "none".to_string()
                    } else {
                        params.allow_security_opt.join(", ")
                    }
                ))
                .at(format!("HostConfig.SecurityOpt[{i}]")),
            )?;
        }
    }
    if hc.sysctls.as_ref().is_some_and(|s| !s.is_empty()) {
        en.refuse(
            Denial::policy(SYSCTLS, "setting sysctls is not allowed", "drop --sysctl")
                .compose("remove sysctls:")
                .at("HostConfig.Sysctls"),
        )?;
    }
    for (v, field) in [
        (&hc.masked_paths, "HostConfig.MaskedPaths"),
        (&hc.readonly_paths, "HostConfig.ReadonlyPaths"),
    ] {
        if v.is_some() {
            en.refuse(
                Denial::policy(
                    PATHS,
                    "changing the masked or read-only /proc and /sys paths is not allowed",
                    "leave MaskedPaths and ReadonlyPaths unset",
                )
                .at(field),
            )?;
        }
    }
    if let Some(rt) = hc.runtime.as_deref().filter(|s| !s.is_empty()) {
        if !params.allow_runtimes.iter().any(|a| a == rt) {
            en.refuse(
                Denial::policy(
                    RUNTIME,
                    format!("the runtime `{rt}` is not allowed"),
                    "drop --runtime to use the daemon's default runtime",
                )
                .at("HostConfig.Runtime"),
            )?;
        }
    }
    if let Some(lc) = &hc.log_config {
        let driver = lc.type_.as_deref().unwrap_or("");
        if !driver.is_empty() && !params.allow_log_drivers.iter().any(|a| a == driver) {
            en.refuse(
                Denial::policy(
                    LOG_DRIVER,
                    format!("the log driver `{driver}` is not allowed"),
                    format!("use one of: {}", params.allow_log_drivers.join(", ")),
                )
                .compose(format!(
                    "use logging: {{driver: ...}} with one of: {}, or leave logging unset",
                    params.allow_log_drivers.join(", ")
                ))
                .at("HostConfig.LogConfig.Type"),
            )?;
        }
        if let Some(key) = lc
            .config
            .iter()
            .flatten()
            .map(|(k, _)| k)
            .find(|k| !LOG_OPTIONS.contains(&k.as_str()))
        {
            en.refuse(
                Denial::policy(
                    LOG_DRIVER,
                    format!("the log option `{key}` is not allowed"),
                    format!("use only: {}", LOG_OPTIONS.join(", ")),
                )
                .compose(format!(
                    "keep only these under logging.options: {}",
                    LOG_OPTIONS.join(", ")
                ))
                .at(format!("HostConfig.LogConfig.Config.{key}")),
            )?;
        }
    }
    if hc.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
        en.refuse(
            Denial::policy(
                RUNTIME,
                "OCI annotations are not allowed (they steer the runtime)",
                "drop --annotation",
            )
            .at("HostConfig.Annotations"),
        )?;
    }
    Ok(())
}

/// The privilege-raising fields of `Resources`, shared by create and
/// update: host devices (also as blkio throttling targets, which the daemon
/// looks up on the host) and the cgroup parent.
pub fn check_resources(r: &Resources, prefix: &str, en: &Enforcer) -> Result<(), Denial> {
    let at = |f: &str| {
        if prefix.is_empty() {
            f.to_string()
        } else {
            format!("{prefix}.{f}")
        }
    };
    for (present, field) in [
        (non_empty(&r.devices), "Devices"),
        (non_empty(&r.device_requests), "DeviceRequests"),
        (non_empty(&r.device_cgroup_rules), "DeviceCgroupRules"),
        (non_empty(&r.blkio_weight_device), "BlkioWeightDevice"),
        (non_empty(&r.blkio_device_read_bps), "BlkioDeviceReadBps"),
        (non_empty(&r.blkio_device_write_bps), "BlkioDeviceWriteBps"),
        (non_empty(&r.blkio_device_read_iops), "BlkioDeviceReadIOps"),
        (
            non_empty(&r.blkio_device_write_iops),
            "BlkioDeviceWriteIOps",
        ),
    ] {
        if present {
            en.refuse(
                Denial::policy(
                    DEVICES,
                    "access to host devices is not allowed",
                    "drop --device, --gpus, --device-cgroup-rule and per-device blkio limits",
                )
                .compose(
                    "remove devices:, device_cgroup_rules:, GPU reservations (deploy.resources.reservations.devices) and blkio_config device limits",
                )
                .at(at(field)),
            )?;
            // one refusal for the devices of a body is enough
            break;
        }
    }
    if r.cgroup_parent.as_deref().is_some_and(|s| !s.is_empty()) {
        en.refuse(
            Denial::policy(
                CGROUP_PARENT,
                "choosing the cgroup parent is not allowed",
                "drop --cgroup-parent",
            )
            .at(at("CgroupParent")),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> PrivilegesParams {
        PrivilegesParams {
            allow_privileged: false,
            allow_cap_add: vec!["NET_BIND_SERVICE".into()],
            allow_security_opt: vec!["no-new-privileges".into(), "no-new-privileges=true".into()],
            allow_runtimes: vec![],
            allow_log_drivers: vec!["json-file".into()],
        }
    }

    #[test]
    fn capability_spellings() {
        assert_eq!(cap_name("cap_net_bind_service"), "NET_BIND_SERVICE");
        assert_eq!(cap_name(" Sys_Admin "), "SYS_ADMIN");
    }

    #[test]
    fn both_security_opt_syntaxes() {
        let p = params();
        assert!(security_opt_allowed(&p, "no-new-privileges:true"));
        assert!(security_opt_allowed(&p, "no-new-privileges=true"));
        assert!(!security_opt_allowed(&p, "seccomp=unconfined"));
        assert!(!security_opt_allowed(&p, "seccomp:unconfined"));
        assert!(!security_opt_allowed(&p, "apparmor=unconfined"));
        assert!(!security_opt_allowed(&p, "label:disable"));
    }
}
