//! Compose-level checks, modelled on KICS' docker-compose queries. They see
//! what the engine rules cannot: limits left unset (the engine injects
//! defaults silently), unpinned images, variables that did not resolve.
//! Severities here are defaults; the policy's `lint:` block overrides them.

use super::load::Project;
use super::node::{Node, Pos};
use crate::report::Severity;
use std::path::Path;

/// One compose-level finding before severities are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// `compose.<name>`.
    pub(crate) rule: &'static str,
    /// Default severity.
    pub(crate) severity: Severity,
    /// Where.
    pub(crate) pos: Pos,
    /// The service (or other subject).
    pub(crate) subject: String,
    /// What is wrong.
    pub(crate) message: String,
    /// What to do instead.
    pub(crate) help: String,
    /// Text to look for on the line to point the column at it exactly
    /// (`${VAR` inside a longer string value).
    pub(crate) needle: Option<String>,
}

/// Host directories whose mount exposes or endangers the host (KICS list, abridged).
const SENSITIVE: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib64",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/var/lib/docker",
    "/var/log",
    "/var/run",
];
const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
];
const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
    "NET_ADMIN",
    "SYS_BOOT",
    "MAC_ADMIN",
    "BPF",
    "PERFMON",
];

/// Runs every compose-level check on a project.
pub(crate) fn check(project: &Project) -> Vec<Hit> {
    let mut out = Vec::new();
    for m in &project.misses {
        out.push(vars::miss(m));
    }
    // file secrets are bind mounts of the host file (compose 1.29)
    for (k, def) in project
        .doc
        .get("secrets")
        .map(Node::entries)
        .unwrap_or_default()
    {
        if let Some((fk, f)) = def.entry("file") {
            let src = f.as_scalar().unwrap_or_default();
            let folded = host_path(&src, &project.dir);
            if SOCKETS.contains(&folded.as_str()) || is_sensitive(&folded) {
                let name = k.as_scalar().unwrap_or_default();
                out.push(Hit {
                    rule: "compose.sensitive-host-path",
                    severity: Severity::Error,
                    pos: fk.pos,
                    subject: format!("secrets.{name}"),
                    message: format!("secret `{name}` is the sensitive host file `{src}`, bind-mounted into every service that uses it"),
                    help: "keep secrets in files of the project, never system files".into(),
                    needle: None,
                });
            }
        }
    }
    for (k, svc) in project
        .doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default()
    {
        service(
            &k.as_scalar().unwrap_or_default(),
            k,
            svc,
            &project.dir,
            &mut out,
        );
    }
    out
}

fn hit(
    out: &mut Vec<Hit>,
    rule: &'static str,
    severity: Severity,
    pos: Pos,
    svc: &str,
    message: String,
    help: &str,
) {
    out.push(Hit {
        rule,
        severity,
        pos,
        subject: svc.to_string(),
        message,
        help: help.to_string(),
        needle: None,
    });
}

/// Whether a folded host path is, or is under, a directory whose mount
/// exposes or endangers the host.
fn is_sensitive(clean: &str) -> bool {
    SENSITIVE.contains(&clean)
        || [
            "/proc/",
            "/sys/",
            "/dev/",
            "/etc/",
            "/root/",
            "/boot/",
            "/var/lib/docker/",
        ]
        .iter()
        .any(|p| clean.starts_with(p))
}

/// A host path as the kernel will resolve it: `~` and relative paths
/// anchored (home, project directory), `.`/`..`/`//` folded, so
/// `/var/run/../run/docker.sock` is seen as `/run/docker.sock`.
pub(crate) fn host_path(src: &str, dir: &Path) -> String {
    let joined = if let Some(rest) = src.strip_prefix('~') {
        format!(
            "{}/{rest}",
            std::env::var("HOME").unwrap_or_else(|_| "/root".into())
        )
    } else if src.starts_with('/') {
        src.to_string()
    } else {
        format!("{}/{src}", dir.display())
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn service(name: &str, key: &Node, svc: &Node, dir: &Path, out: &mut Vec<Hit>) {
    use Severity::{Error, Info, Warning};
    let limits = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("limits"));
    let has = |f: &str, d: &str| svc.get(f).is_some() || limits.and_then(|l| l.get(d)).is_some();
    if !has("mem_limit", "memory") {
        hit(
            out,
            "compose.memory-unset",
            Warning,
            key.pos,
            name,
            format!("service `{name}` sets no memory limit"),
            "add `mem_limit: 256m` (or `deploy.resources.limits.memory`)",
        );
    }
    if !has("cpus", "cpus") {
        hit(
            out,
            "compose.cpus-unset",
            Warning,
            key.pos,
            name,
            format!("service `{name}` sets no CPU limit"),
            "add `cpus: 0.5` (or `deploy.resources.limits.cpus`)",
        );
    }
    if !has("pids_limit", "pids") {
        hit(
            out,
            "compose.pids-unset",
            Warning,
            key.pos,
            name,
            format!("service `{name}` sets no pids limit"),
            "add `pids_limit: 100`",
        );
    }
    if let Some((k, v)) = svc.entry("privileged") {
        if v.as_bool() == Some(true) {
            hit(
                out,
                "compose.privileged",
                Error,
                k.pos,
                name,
                format!("service `{name}` runs privileged"),
                "remove `privileged`; add only the capabilities it needs with `cap_add`",
            );
        }
    }
    for (field, rule, what) in [
        ("network_mode", "compose.host-network", "network"),
        ("pid", "compose.host-pid", "pid"),
        ("ipc", "compose.host-ipc", "ipc"),
        ("userns_mode", "compose.host-userns", "user"),
        ("uts", "compose.host-uts", "uts"),
    ] {
        if let Some((k, v)) = svc.entry(field) {
            if v.as_scalar().as_deref() == Some("host") {
                hit(
                    out,
                    rule,
                    Error,
                    k.pos,
                    name,
                    format!(
                        "service `{name}` shares the host's {what} namespace (`{field}: host`)"
                    ),
                    "remove it; use the service's own namespace and compose networks",
                );
            }
        }
    }
    if let Some(opts) = svc.get("security_opt") {
        let mut nnp = false;
        for it in opts.items() {
            let s = it.as_scalar().unwrap_or_default().replace('=', ":");
            if s.starts_with("seccomp:unconfined") {
                hit(
                    out,
                    "compose.seccomp-unconfined",
                    Error,
                    it.pos,
                    name,
                    format!("service `{name}` disables seccomp"),
                    "remove `seccomp:unconfined`; the default profile applies",
                );
            }
            if s.starts_with("apparmor:unconfined") {
                hit(
                    out,
                    "compose.apparmor-unconfined",
                    Error,
                    it.pos,
                    name,
                    format!("service `{name}` disables AppArmor"),
                    "remove `apparmor:unconfined`",
                );
            }
            if matches!(
                s.as_str(),
                "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges:1"
            ) {
                nnp = true;
            }
        }
        if !nnp {
            hit(
                out,
                "compose.no-new-privileges",
                Warning,
                key.pos,
                name,
                format!("service `{name}` does not set `no-new-privileges`"),
                "add `no-new-privileges:true` to `security_opt`",
            );
        }
    } else {
        hit(
            out,
            "compose.no-new-privileges",
            Warning,
            key.pos,
            name,
            format!("service `{name}` does not set `no-new-privileges`"),
            "add `security_opt: [\"no-new-privileges:true\"]`",
        );
    }
    if let Some(caps) = svc.get("cap_add") {
        for it in caps.items() {
            let c = it.as_scalar().unwrap_or_default().to_ascii_uppercase();
            let c = c.strip_prefix("CAP_").unwrap_or(&c).to_string();
            if DANGEROUS_CAPS.contains(&c.as_str()) {
                hit(
                    out,
                    "compose.cap-add-dangerous",
                    Error,
                    it.pos,
                    name,
                    format!("service `{name}` adds capability `{c}`"),
                    "remove it; this capability is close to privileged mode",
                );
            } else {
                hit(
                    out,
                    "compose.cap-add",
                    Warning,
                    it.pos,
                    name,
                    format!("service `{name}` adds capability `{c}`"),
                    "remove `cap_add`; prefer `cap_drop: [ALL]`",
                );
            }
        }
    }
    if let Some(devs) = svc.get("devices") {
        for it in devs.items() {
            let d = it.as_scalar().unwrap_or_else(|| {
                it.get("source")
                    .and_then(Node::as_scalar)
                    .unwrap_or_default()
            });
            hit(
                out,
                "compose.devices",
                Error,
                it.pos,
                name,
                format!("service `{name}` maps host device `{d}`"),
                "remove `devices`; use volumes for data",
            );
        }
    }
    if let Some(ports) = svc.get("ports") {
        for it in ports.items() {
            let explicit = match it.as_scalar() {
                Some(s) => super::engine::units::ports(&s)
                    .is_some_and(|v| v.iter().any(|p| !p.host_port.is_empty())),
                None => it
                    .get("published")
                    .and_then(Node::as_scalar)
                    .is_some_and(|p| !p.is_empty()),
            };
            if explicit {
                let pos = it.get("published").map_or(it.pos, |n| n.pos);
                let spec = it.as_scalar().unwrap_or_else(|| {
                    it.get("published")
                        .and_then(Node::as_scalar)
                        .unwrap_or_default()
                });
                hit(
                    out,
                    "compose.host-port",
                    Warning,
                    pos,
                    name,
                    format!("service `{name}` publishes an explicit host port (`{spec}`)"),
                    "publish only the container port (`\"80\"`) to get a daemon-assigned host port",
                );
            }
        }
    }
    if let Some(vols) = svc.get("volumes") {
        for it in vols.items() {
            let (src, is_bind) = match it.as_scalar() {
                Some(s) => {
                    let parts: Vec<&str> = s.split(':').collect();
                    let src = if parts.len() >= 2 {
                        parts.first().copied().unwrap_or("")
                    } else {
                        ""
                    };
                    (src.to_string(), src.starts_with(['/', '.', '~']))
                }
                None => {
                    let src = it
                        .get("source")
                        .and_then(Node::as_scalar)
                        .unwrap_or_default();
                    (
                        src,
                        it.get("type").and_then(Node::as_scalar).as_deref() == Some("bind"),
                    )
                }
            };
            if !is_bind {
                continue;
            }
            let folded = host_path(&src, dir);
            let clean = folded.as_str();
            if SOCKETS.contains(&clean) {
                hit(
                    out,
                    "compose.docker-socket",
                    Error,
                    it.pos,
                    name,
                    format!("service `{name}` mounts the container engine socket `{src}`"),
                    "do not mount the socket; it gives control of the host",
                );
            } else if is_sensitive(clean) {
                hit(
                    out,
                    "compose.sensitive-host-path",
                    Error,
                    it.pos,
                    name,
                    format!("service `{name}` mounts sensitive host path `{src}`"),
                    "use a named volume and copy what you need into it",
                );
            } else {
                hit(
                    out,
                    "compose.host-path",
                    Warning,
                    it.pos,
                    name,
                    format!("service `{name}` bind-mounts host path `{src}`"),
                    "use a named volume (`data:/path`) declared under top-level `volumes:`",
                );
            }
        }
    }
    if let Some((k, v)) = svc.entry("image") {
        let img = v.as_scalar().unwrap_or_default();
        let last = img.rsplit('/').next().unwrap_or("");
        if !img.contains('@') && (!last.contains(':') || last.ends_with(":latest")) {
            hit(
                out,
                "compose.image-latest",
                Info,
                k.pos,
                name,
                format!("service `{name}` uses unpinned image `{img}`"),
                "pin a tag or digest (`image: nginx:1.27.2`)",
            );
        }
    }
    if svc.get("healthcheck").is_none() {
        hit(
            out,
            "compose.healthcheck-unset",
            Info,
            key.pos,
            name,
            format!("service `{name}` has no healthcheck"),
            "add a `healthcheck:` with a `test:`",
        );
    }
}

#[cfg(test)]
mod tests;
mod vars;
