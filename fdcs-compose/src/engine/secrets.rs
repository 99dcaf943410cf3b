//! File secrets (`secrets: [name]` with top-level `secrets.<name>.file`):
//! compose 1.29 bind-mounts the host file read-only, captured as
//! `Mounts [{Target: /run/secrets/<name>, Source: <abs file>, Type: bind, ReadOnly: true}]`.
//! That is a host bind mount like any other, and is judged as one.

use super::PathMap;
use crate::load::Project;
use crate::node::Node;
use serde_json::{json, Value};

/// Appends the service's file secrets to `mounts`.
pub(super) fn secrets(project: &Project, svc: &Node, mounts: &mut Vec<Value>, p: &mut PathMap) {
    if let Some((sk, secrets)) = svc.entry("secrets") {
        p.set("HostConfig.Mounts", sk.pos);
        for it in secrets.items() {
            let (source, target) = match it.as_scalar() {
                Some(name) => (name, None),
                None => (
                    it.get("source")
                        .and_then(Node::as_scalar)
                        .unwrap_or_default(),
                    it.get("target").and_then(Node::as_scalar),
                ),
            };
            let file = project
                .doc
                .get("secrets")
                .and_then(|s| s.get(&source))
                .and_then(|d| d.get("file"))
                .and_then(Node::as_scalar);
            let Some(file) = file else { continue };
            let host = super::units::host_path(&file, &project.dir, super::home(project));
            let target = match target {
                Some(t) if t.starts_with('/') => t,
                Some(t) => format!("/run/secrets/{t}"),
                None => format!("/run/secrets/{source}"),
            };
            p.set(format!("HostConfig.Mounts[{}]", mounts.len()), it.pos);
            mounts
                .push(json!({"Target": target, "Source": host, "Type": "bind", "ReadOnly": true}));
        }
    }
}
