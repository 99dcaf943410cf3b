//! Swarm answers for a tenant: its services, tasks, secrets and configs
//! with its own names and without fdcs's labels, and the nodes of its pool
//! without anything of the host's (addresses, certificates, engine
//! details, capacity).

use serde_json::{Map, Value};

use super::{each_in, owned_by, strip_labels, unscope_string, unscope_text};
use crate::{NodePool, TenantId};

/// A service, in place: its spec and the previous one a rollback restores.
pub(super) fn service(id: &TenantId, v: &mut Value) {
    for key in ["Spec", "PreviousSpec"] {
        if let Some(spec) = v.get_mut(key) {
            service_spec(id, spec);
        }
    }
    if let Some(Value::String(m)) = v.get_mut("UpdateStatus").and_then(|u| u.get_mut("Message")) {
        *m = unscope_text(id, m);
    }
}

/// A `ServiceSpec` as the tenant would send it: its names, no fdcs label
/// (a spec the engine keeps, judged again before a rollback restores it).
pub(crate) fn service_spec(id: &TenantId, spec: &mut Value) {
    unscope_string(id, spec.get_mut("Name").unwrap_or(&mut Value::Null));
    strip_labels(spec.get_mut("Labels"));
    if let Some(t) = spec.get_mut("TaskTemplate") {
        task_spec(id, t);
    }
}

/// A `TaskSpec`: the container's labels, and the names of the secrets,
/// configs and volumes it uses.
fn task_spec(id: &TenantId, t: &mut Value) {
    let Some(c) = t.get_mut("ContainerSpec") else {
        return;
    };
    strip_labels(c.get_mut("Labels"));
    each_in(c.get_mut("Secrets"), |s| {
        unscope_string(id, s.get_mut("SecretName").unwrap_or(&mut Value::Null));
    });
    each_in(c.get_mut("Configs"), |s| {
        unscope_string(id, s.get_mut("ConfigName").unwrap_or(&mut Value::Null));
    });
    each_in(c.get_mut("Mounts"), |m| {
        let volume = m
            .get("Type")
            .and_then(Value::as_str)
            .is_some_and(|t| t == "volume");
        if volume {
            unscope_string(id, m.get_mut("Source").unwrap_or(&mut Value::Null));
        }
        if let Some(o) = m.get_mut("VolumeOptions") {
            strip_labels(o.get_mut("Labels"));
        }
    });
}

/// A task, in place.
pub(super) fn task(id: &TenantId, v: &mut Value) {
    if let Some(t) = v.get_mut("Spec") {
        task_spec(id, t);
    }
    strip_labels(v.get_mut("Labels"));
    each_in(v.get_mut("NetworksAttachments"), |a| {
        if let Some(spec) = a.get_mut("Network").and_then(|n| n.get_mut("Spec")) {
            unscope_string(id, spec.get_mut("Name").unwrap_or(&mut Value::Null));
            strip_labels(spec.get_mut("Labels"));
        }
    });
    if let Some(Value::String(m)) = v.get_mut("Status").and_then(|s| s.get_mut("Err")) {
        *m = unscope_text(id, m);
    }
}

/// Whether a task is the tenant's: its container labels carry the owner
/// label fdcs wrote into its service's template.
pub(super) fn task_owned(id: &TenantId, v: &Value) -> bool {
    owned_by(
        v.get("Spec")
            .and_then(|s| s.get("ContainerSpec"))
            .and_then(|c| c.get("Labels")),
        id,
    )
}

/// Whether a service, secret or config is the tenant's.
pub(super) fn spec_owned(id: &TenantId, v: &Value) -> bool {
    owned_by(v.get("Spec").and_then(|s| s.get("Labels")), id)
}

/// A secret or config, in place (the daemon never returns a secret's data).
pub(super) fn secret(id: &TenantId, v: &mut Value) {
    if let Some(spec) = v.get_mut("Spec") {
        unscope_string(id, spec.get_mut("Name").unwrap_or(&mut Value::Null));
        strip_labels(spec.get_mut("Labels"));
    }
}

/// Whether a node is in the pool: every pool label, and a worker unless
/// managers are allowed.
pub(super) fn in_pool(pool: &NodePool, v: &Value) -> bool {
    let spec = v.get("Spec");
    let labels = spec.and_then(|s| s.get("Labels"));
    let has_all = pool.labels.iter().all(|(k, want)| {
        labels
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .is_some_and(|have| have == want)
    });
    let role_ok = pool.managers
        || spec
            .and_then(|s| s.get("Role"))
            .and_then(Value::as_str)
            .is_some_and(|r| r == "worker");
    has_all && role_ok
}

/// A node as a tenant sees it: its id and version (the CLI needs them),
/// role, availability and the pool's labels, state and leadership; no
/// hostname, address, certificate, engine or capacity.
pub(super) fn node(pool: &NodePool, v: &Value) -> Value {
    let mut out = Map::new();
    for key in ["ID", "Version", "CreatedAt", "UpdatedAt"] {
        if let Some(x) = v.get(key) {
            out.insert(key.into(), x.clone());
        }
    }
    let spec = v.get("Spec");
    let mut s = Map::new();
    for key in ["Role", "Availability"] {
        if let Some(x) = spec.and_then(|sp| sp.get(key)) {
            s.insert(key.into(), x.clone());
        }
    }
    let labels: Map<String, Value> = pool
        .labels
        .iter()
        .map(|(k, val)| (k.clone(), Value::String(val.clone())))
        .collect();
    s.insert("Labels".into(), Value::Object(labels));
    out.insert("Spec".into(), Value::Object(s));
    let platform = v
        .get("Description")
        .and_then(|d| d.get("Platform"))
        .cloned()
        .unwrap_or(Value::Null);
    out.insert(
        "Description".into(),
        serde_json::json!({ "Hostname": "", "Platform": platform }),
    );
    let state = v
        .get("Status")
        .and_then(|s| s.get("State"))
        .cloned()
        .unwrap_or(Value::Null);
    out.insert("Status".into(), serde_json::json!({ "State": state }));
    if let Some(m) = v.get("ManagerStatus") {
        let mut ms = Map::new();
        for key in ["Leader", "Reachability"] {
            if let Some(x) = m.get(key) {
                ms.insert(key.into(), x.clone());
            }
        }
        out.insert("ManagerStatus".into(), Value::Object(ms));
    }
    Value::Object(out)
}
