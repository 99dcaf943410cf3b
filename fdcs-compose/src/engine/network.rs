//! A service's network attachment → `HostConfig.NetworkMode` and
//! `NetworkingConfig`.

use super::{object_name, PathMap};
use crate::load::Project;
use crate::node::Node;
use serde_json::{json, Map, Value};

/// `network_mode` or the first of `networks` (compose connects the others
/// after create), with the service name as alias.
pub(super) fn networking(
    project: &Project,
    name: &str,
    svc: &Node,
    body: &mut Map<String, Value>,
    hc: &mut Map<String, Value>,
    p: &mut PathMap,
) {
    if let Some((k, m)) = svc.entry("network_mode") {
        let mut s = m.as_scalar().unwrap_or_default();
        if let Some(other) = s.strip_prefix("service:") {
            s = format!("container:{}_{other}_1", project.name);
        }
        hc.insert("NetworkMode".into(), json!(s));
        p.set("HostConfig.NetworkMode", k.pos);
        return;
    }
    let (net_key, first) = match svc.entry("networks") {
        Some((k, n)) => {
            let first = n
                .items()
                .first()
                .and_then(Node::as_scalar)
                .or_else(|| n.entries().first().and_then(|(k, _)| k.as_scalar()));
            (Some(k.pos), first.unwrap_or_else(|| "default".into()))
        }
        None => (None, "default".to_string()),
    };
    let engine = object_name(project, "networks", &first);
    hc.insert("NetworkMode".into(), json!(engine));
    body.insert(
        "NetworkingConfig".into(),
        json!({"EndpointsConfig": {engine.clone(): {"Aliases": [name], "IPAMConfig": {}}}}),
    );
    if let Some(pos) = net_key {
        p.set("HostConfig.NetworkMode", pos);
        p.set("NetworkingConfig", pos);
    }
}
