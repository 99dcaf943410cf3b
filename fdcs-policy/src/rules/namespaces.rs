//! `namespaces.no-host`: no host namespace in any mode (invariant 3).
//! `container:<ref>` modes are resolved to the tenant's own containers by
//! the judge (invariant 2).

use crate::decode::HostConfig;
use crate::policy::NamespacesParams;
use crate::{Denial, Enforcer};

/// Rule id.
pub const RULE: crate::RuleId = crate::RuleId::NAMESPACES_NO_HOST;

/// The namespace fields of a host config, with their JSON names and the CLI
/// flag that sets them.
pub fn modes(hc: &HostConfig) -> [(&'static str, &'static str, Option<&str>); 7] {
    [
        ("NetworkMode", "--network", hc.network_mode.as_deref()),
        ("PidMode", "--pid", hc.pid_mode.as_deref()),
        ("IpcMode", "--ipc", hc.ipc_mode.as_deref()),
        ("UTSMode", "--uts", hc.uts_mode.as_deref()),
        ("UsernsMode", "--userns", hc.userns_mode.as_deref()),
        ("CgroupnsMode", "--cgroupns", hc.cgroupns_mode.as_deref()),
        ("Cgroup", "--cgroup", hc.cgroup.as_deref()),
    ]
}

/// The compose key that sets a namespace field (`PidMode` is `pid:`), for
/// what to do instead in a compose file's terms.
fn compose_key(field: &str) -> &'static str {
    match field {
        "NetworkMode" => "network_mode",
        "PidMode" => "pid",
        "IpcMode" => "ipc",
        "UTSMode" => "uts",
        "UsernsMode" => "userns_mode",
        "CgroupnsMode" | "Cgroup" => "cgroup",
        _ => "the namespace key",
    }
}

/// Refuses `host` in any namespace mode. The daemon compares these values
/// exactly, but `HOST` or ` host` are refused too: a daemon version that
/// folds or trims must not turn them into a host namespace.
pub fn check(params: &NamespacesParams, hc: &HostConfig, en: &Enforcer) -> Result<(), Denial> {
    if params.allow_host {
        return Ok(());
    }
    for (field, flag, value) in modes(hc) {
        let Some(v) = value else { continue };
        if v.trim().eq_ignore_ascii_case("host") {
            en.refuse(Denial::policy(
                RULE,
                format!(
                    "the host {} namespace is not allowed",
                    field.trim_end_matches("Mode").to_ascii_lowercase()
                ),
                format!("drop {flag} host; containers get their own namespace"),
            )
            .compose(
                format!(
                    "remove `{}: host`; services get their own namespaces and the project's networks",
                    compose_key(field)
                )
            )
            .at(format!("HostConfig.{field}")))?;
        }
    }
    Ok(())
}
