//! `ports.ephemeral-only`: only daemon-assigned host ports (invariant 4).

use crate::decode::HostConfig;
use crate::policy::PortsParams;
use crate::{Denial, Enforcer};

/// Rule id.
pub const RULE: crate::RuleId = crate::RuleId::PORTS_EPHEMERAL_ONLY;

/// Refuses any explicit host port or host IP in `PortBindings`.
///
/// `-p 80` arrives as `{"80/tcp":[{"HostIp":"","HostPort":""}]}`: allowed.
/// `-p 8080:80` sets `HostPort`, a range `8000-8010:80` too: denied. A host
/// IP is refused as well, since binding to a chosen address is a host-level
/// decision (`-p 127.0.0.1::80`).
pub fn check(params: &PortsParams, hc: &HostConfig, en: &Enforcer) -> Result<(), Denial> {
    if !params.ephemeral_only {
        return Ok(());
    }
    let Some(bindings) = &hc.port_bindings else {
        return Ok(());
    };
    for (port, list) in bindings {
        for (i, b) in list.iter().flatten().enumerate() {
            let host_port = b.host_port.as_deref().unwrap_or("").trim();
            if !host_port.is_empty() && host_port != "0" {
                en.refuse(Denial::policy(
                    RULE,
                    format!("host port {host_port} is not allowed"),
                    format!(
                        "publish with -P or -p {} to get a daemon-assigned port",
                        port.split('/').next().unwrap_or(port)
                    ),
                )
                .compose(
                    format!(
                        "publish only the container port: ports: [\"{}\"], and read the host port with `docker compose port`",
                        port.split('/').next().unwrap_or(port)
                    )
                )
                .at(format!("HostConfig.PortBindings[\"{port}\"][{i}].HostPort")))?;
            }
            let host_ip = b.host_ip.as_deref().unwrap_or("").trim();
            if !host_ip.is_empty() && host_ip != "0.0.0.0" && host_ip != "::" {
                en.refuse(
                    Denial::policy(
                        RULE,
                        format!(
                            "binding a published port to host address {host_ip} is not allowed"
                        ),
                        "publish without a host address (-p 80)",
                    )
                    .compose(format!(
                        "publish without a host address: ports: [\"{}\"]",
                        port.split('/').next().unwrap_or(port)
                    ))
                    .at(format!("HostConfig.PortBindings[\"{port}\"][{i}].HostIp")),
                )?;
            }
        }
    }
    Ok(())
}
