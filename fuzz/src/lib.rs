//! What the fuzz targets share: one tenant and its small world, a session
//! that answers every question the core asks (as `check --state` would), and
//! the invariants a forwarded container create must hold (the checks of
//! `fdcs-policy/tests/properties.rs`, for arbitrary bodies instead of
//! generated ones).
//!
//! A broken invariant panics: libFuzzer records the input as a crash.

use std::sync::OnceLock;

use fdcs_policy::decode::{decode_container_create, encode};
use fdcs_policy::{
    ImageFacts, Obligation, Owned, Policy, Request, ResourceKind, Session, Step, Tenant, TenantId,
    Verdict,
};

/// alpha's container (`db`), network (`backnet`) and volume (`data`).
pub const OWN_ID: &str = "aaaa111111111111111111111111111111111111111111111111111111111111";
/// alpha's network.
pub const OWN_NET: &str = "cccc333333333333333333333333333333333333333333333333333333333333";

/// The embedded default policy, loaded once.
pub fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| match Policy::embedded_default() {
        Ok(p) => p,
        Err(e) => panic!("the default policy must load: {e}"),
    })
}

/// The tenant every request is judged for.
pub fn alpha() -> &'static Tenant {
    static T: OnceLock<Tenant> = OnceLock::new();
    T.get_or_init(|| match TenantId::new("alpha") {
        Ok(id) => Tenant::new(id),
        Err(e) => panic!("alpha is a tenant id: {e}"),
    })
}

fn owned(kind: ResourceKind) -> Vec<Owned> {
    let one = |id: &str, name: &str| {
        vec![Owned {
            id: id.into(),
            name: name.into(),
        }]
    };
    match kind {
        ResourceKind::Container => one(OWN_ID, "alpha_db"),
        ResourceKind::Network => one(OWN_NET, "alpha_backnet"),
        ResourceKind::Volume => one("alpha_data", "alpha_data"),
        _ => Vec::new(),
    }
}

/// The image every reference resolves to: `busybox` declares nothing, any
/// other image an `EXPOSE` and a `VOLUME`, so that `-P` and anonymous
/// volumes are reached too.
fn image(reference: &str) -> ImageFacts {
    let mut facts = ImageFacts {
        id: format!("sha256:{}", "e".repeat(64)),
        repo_tags: vec![format!("{reference}:latest")],
        ..ImageFacts::default()
    };
    if reference != "busybox" {
        facts.exposed_ports = vec!["80/tcp".into()];
        facts.volumes = vec!["/data".into()];
    }
    facts
}

/// Judges `req` for alpha with the default policy, answering every
/// question from alpha's world, until the core decides.
pub fn judge(req: &Request) -> Verdict {
    judge_with(policy(), req)
}

/// [`judge`] with another policy.
pub fn judge_with(policy: &Policy, req: &Request) -> Verdict {
    let mut session = Session::new(policy, alpha(), req);
    loop {
        let questions = match session.step() {
            Step::Decided(v) => return v,
            Step::Ask(q) => q,
        };
        let facts = session.facts_mut();
        for q in questions {
            match q {
                Obligation::Owned { kind } => facts.set_owned(kind, owned(kind)),
                Obligation::Lookup(l) => {
                    let found = l.answer_from(&owned(l.kind));
                    facts.lookups.insert(l, found);
                }
                Obligation::ExecContainer { exec } => {
                    facts.execs.insert(exec, Some(OWN_ID.into()));
                }
                Obligation::Image { reference } => {
                    let i = image(&reference);
                    facts.images.insert(reference, Some(i));
                }
                Obligation::Usage => facts.usage = Some(Default::default()),
                Obligation::NamedImages => facts.named_images = Some(Vec::new()),
                Obligation::ContainerMounts { id } => {
                    facts.container_mounts.insert(id, Some(vec!["/data".into()]));
                }
                Obligation::ServiceSpec { id } => {
                    facts.services.insert(id, None);
                }
            }
        }
    }
}

/// The default policy's ceilings (`policies/default.yaml`, `resources:`).
const MAX_MEMORY: i64 = 1 << 30;
const MAX_PIDS: i64 = 1024;
const MAX_NANO_CPUS: i64 = 2_000_000_000;

/// Invariants 3–8 on a forwarded container create body: read back exactly
/// as the daemon reads it, it holds no host mount, host port, host
/// namespace, privilege, foreign reference or forged owner label, and its
/// limits are set and under the ceilings. And it is canonical: what the
/// daemon reads back re-encodes to the very bytes forwarded.
pub fn assert_safe_create(body: &serde_json::Value) {
    let bytes = match serde_json::to_vec(body) {
        Ok(b) => b,
        Err(e) => panic!("forwarded body does not serialise: {e}"),
    };
    let c = match decode_container_create(&bytes) {
        Ok(c) => c,
        Err(e) => panic!("forwarded body does not decode: {e}: {body}"),
    };
    assert_eq!(&encode(&c), body, "forwarded body is not canonical");
    let owner = c.labels.as_ref().and_then(|l| l.get("fdcs.tenant"));
    assert_eq!(owner.map(String::as_str), Some("alpha"), "owner label");
    let Some(hc) = c.host_config else {
        panic!("host config is always forwarded: {body}")
    };
    for b in hc.binds.iter().flatten() {
        // a lone `/path` is an anonymous volume (the daemon's Linux parser)
        if b.contains(':') {
            assert!(
                !b.starts_with('/') && !b.starts_with('\\'),
                "host path forwarded: {b}"
            );
            assert!(b.starts_with("alpha_"), "unscoped volume forwarded: {b}");
        }
    }
    for m in hc.mounts.iter().flatten() {
        assert_ne!(m.type_.as_deref(), Some("bind"), "bind mount: {body}");
        if let Some(src) = m.source.as_deref().filter(|s| !s.is_empty()) {
            let anon = src.len() == 64 && src.bytes().all(|b| b.is_ascii_hexdigit());
            assert!(
                src.starts_with("alpha_") || anon || m.type_.as_deref() == Some("image"),
                "unscoped mount source: {src}"
            );
        }
        let opts = m
            .volume_options
            .as_ref()
            .and_then(|v| v.driver_config.as_ref())
            .and_then(|d| d.options.as_ref());
        for (k, v) in opts.into_iter().flatten() {
            // only a tmpfs volume's own options (`volumes.tmpfs`)
            let ok = match k.as_str() {
                "type" | "device" => v == "tmpfs",
                "o" => !v.split(',').any(|o| o.trim() == "bind" || o.trim() == "rbind"),
                _ => false,
            };
            assert!(ok, "volume driver option {k}={v} forwarded: {body}");
        }
    }
    for list in hc.port_bindings.iter().flat_map(|m| m.values()).flatten() {
        for pb in list {
            let port = pb.host_port.as_deref().unwrap_or("");
            assert!(port.is_empty(), "host port {port} forwarded");
        }
    }
    assert_ne!(hc.privileged, Some(true), "privileged");
    assert!(hc.cap_add.as_ref().is_none_or(|c| c.is_empty()), "cap_add");
    let r = &hc.resources;
    assert!(r.devices.as_ref().is_none_or(|d| d.is_empty()), "devices");
    assert!(hc.sysctls.as_ref().is_none_or(|s| s.is_empty()), "sysctls");
    assert!(r.cgroup_parent.as_deref().unwrap_or("").is_empty(), "cgroup parent");
    assert!(hc.runtime.as_deref().unwrap_or("").is_empty(), "runtime");
    for opt in hc.security_opt.iter().flatten() {
        assert!(!opt.contains("unconfined"), "security option {opt}");
    }
    for mode in [
        &hc.network_mode,
        &hc.pid_mode,
        &hc.ipc_mode,
        &hc.uts_mode,
        &hc.userns_mode,
        &hc.cgroupns_mode,
    ] {
        let m = mode.as_deref().unwrap_or("");
        assert!(!m.eq_ignore_ascii_case("host"), "host namespace: {body}");
        if let Some(r) = m.strip_prefix("container:") {
            assert!(r == OWN_ID || r.starts_with("alpha_"), "container:{r}");
        }
    }
    let nm = hc.network_mode.as_deref().unwrap_or("");
    assert!(
        nm.starts_with("alpha_") || nm == "none" || nm.starts_with("container:"),
        "network {nm}"
    );
    for l in hc.links.iter().flatten() {
        assert!(l.starts_with("alpha_db:"), "link {l}");
    }
    for v in hc.volumes_from.iter().flatten() {
        assert!(v.starts_with(OWN_ID), "volumes-from {v}");
    }
    let mem = r.memory.unwrap_or(0);
    assert!(mem > 0 && mem <= MAX_MEMORY, "memory {mem}");
    let pids = r.pids_limit.unwrap_or(0);
    assert!(pids > 0 && pids <= MAX_PIDS, "pids {pids}");
    let nano = r.nano_cpus.unwrap_or(0);
    let quota = r.cpu_quota.unwrap_or(0);
    assert!(nano > 0 || quota > 0, "no CPU limit: {body}");
    assert!((0..=MAX_NANO_CPUS).contains(&nano), "nano cpus {nano}");
    assert!(quota >= 0, "cpu quota {quota}");
}
