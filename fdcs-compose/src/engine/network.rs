//! A service's network attachment → `HostConfig.NetworkMode` and
//! `NetworkingConfig` of its create, then the `network disconnect` and
//! `connect` requests compose sends when it starts the container.
//!
//! Captured from docker-compose 1.29.2 against dockerd 20.10 (projects
//! `hcapcnet`, `hcapclnk`): the create names one network, the *primary*;
//! at start compose walks every network of the service in the same order,
//! disconnects the primary (the daemon did not give it the short-id alias
//! compose looks for) and connects each one, the primary included, with
//! `{"Container": <id>, "EndpointConfig": {"Aliases": [...], ...}}`. The
//! order: by `priority` (highest first, file order among equals) when any
//! network of the service sets one, else by engine-side name — so
//! `networks: [zeta, back]` makes `<project>_back` the primary.

use super::container::pct;
use super::{object_name, EngineRequest, PathMap, API};
use crate::load::Project;
use crate::node::{Node, Pos};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One network of a service, in compose's order.
struct Attachment<'a> {
    /// Engine-side name (`<project>_back`, or an external network's name).
    engine: String,
    /// Where the service names it (`networks:` item or key).
    pos: Option<Pos>,
    /// The service's settings for it (`aliases`, `ipv4_address`, ...).
    def: Option<&'a Node>,
}

/// The service's networks as compose orders them; empty under `network_mode`.
fn attachments<'a>(project: &Project, svc: &'a Node) -> Vec<Attachment<'a>> {
    if svc.get("network_mode").is_some() {
        return Vec::new();
    }
    let Some(nets) = svc.get("networks") else {
        return vec![Attachment {
            engine: object_name(project, "networks", "default"),
            pos: None,
            def: None,
        }];
    };
    let mut out: Vec<(i64, Attachment<'a>)> = Vec::new();
    for it in nets.items() {
        if let Some(key) = it.as_scalar() {
            out.push((
                0,
                Attachment {
                    engine: object_name(project, "networks", &key),
                    pos: Some(it.pos),
                    def: None,
                },
            ));
        }
    }
    for (k, def) in nets.entries() {
        let key = k.as_scalar().unwrap_or_default();
        let priority = def
            .get("priority")
            .and_then(Node::as_scalar)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        out.push((
            priority,
            Attachment {
                engine: object_name(project, "networks", &key),
                pos: Some(k.pos),
                def: Some(def),
            },
        ));
    }
    if out.iter().any(|(p, _)| *p != 0) {
        // stable: file order among equal priorities
        out.sort_by_key(|(p, _)| std::cmp::Reverse(*p));
    } else {
        out.sort_by(|a, b| a.1.engine.cmp(&b.1.engine));
    }
    out.into_iter().map(|(_, a)| a).collect()
}

/// The service name and its own `aliases` for one network (compose sends
/// a set; its order here is the file's).
fn aliases(name: &str, def: Option<&Node>) -> Vec<String> {
    let mut out = vec![name.to_string()];
    for a in def
        .and_then(|d| d.get("aliases"))
        .map(Node::items)
        .unwrap_or_default()
    {
        if let Some(s) = a.as_scalar().filter(|s| !out.contains(s)) {
            out.push(s);
        }
    }
    out
}

/// `ipv4_address`, `ipv6_address` (and, for a connect, `link_local_ips`)
/// → `IPAMConfig`, each field mapped to its key.
fn ipam(def: Option<&Node>, link_local: bool, at: &str, p: &mut PathMap) -> Map<String, Value> {
    let mut m = Map::new();
    for (key, field) in [
        ("ipv4_address", "IPv4Address"),
        ("ipv6_address", "IPv6Address"),
    ] {
        if let Some((k, v)) = def.and_then(|d| d.entry(key)) {
            if let Some(s) = v.as_scalar().filter(|s| !s.is_empty()) {
                m.insert(field.into(), json!(s));
                p.set(format!("{at}.IPAMConfig.{field}"), k.pos);
            }
        }
    }
    if link_local {
        if let Some((k, v)) = def.and_then(|d| d.entry("link_local_ips")) {
            let ips: Vec<String> = v.items().iter().filter_map(Node::as_scalar).collect();
            m.insert("LinkLocalIPs".into(), json!(ips));
            p.set(format!("{at}.IPAMConfig.LinkLocalIPs"), k.pos);
        }
    }
    m
}

/// `network_mode`, or the primary of the service's networks with the
/// service name and its aliases, as the create sends them.
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
    let Some(primary) = attachments(project, svc).into_iter().next() else {
        return;
    };
    let engine = primary.engine.clone();
    hc.insert("NetworkMode".into(), json!(engine));
    let at = format!("NetworkingConfig.EndpointsConfig.{engine}");
    let ipam = ipam(primary.def, false, &at, p);
    body.insert(
        "NetworkingConfig".into(),
        json!({"EndpointsConfig": {engine.clone(): {"Aliases": aliases(name, primary.def), "IPAMConfig": ipam}}}),
    );
    if let Some(pos) = primary.pos {
        p.set("HostConfig.NetworkMode", pos);
        p.set("NetworkingConfig", pos);
    }
}

/// `links: [svc[:alias]]` and `external_links: [container[:alias]]` as
/// compose sends them (captured; compose's `_get_links`): each linked
/// service's first container under the alias, its short name (`<svc>_1`)
/// and its full name, then each external container under its alias (one
/// alias, the last to name it, per container), as `container:alias` in
/// docker-py's order (sorted by container, then alias); each entry with
/// the position of the item that made it.
pub(super) fn links(project: &Project, svc: &Node) -> Vec<(String, Pos)> {
    let mut by_alias: BTreeMap<String, (String, Pos)> = BTreeMap::new();
    for it in svc.get("links").map(Node::items).unwrap_or_default() {
        let Some(l) = it.as_scalar() else { continue };
        let (other, alias) = l.split_once(':').unwrap_or((&l, &l));
        let container = format!("{}_{other}_1", project.name);
        for a in [alias.to_string(), format!("{other}_1"), container.clone()] {
            by_alias.insert(a, (container.clone(), it.pos));
        }
    }
    for it in svc
        .get("external_links")
        .map(Node::items)
        .unwrap_or_default()
    {
        let Some(l) = it.as_scalar() else { continue };
        let (container, alias) = l.split_once(':').unwrap_or((&l, &l));
        by_alias.insert(alias.to_string(), (container.to_string(), it.pos));
    }
    let mut out: Vec<(String, String, Pos)> = by_alias
        .into_iter()
        .map(|(alias, (c, pos))| (c, alias, pos))
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out.into_iter()
        .map(|(c, alias, pos)| (format!("{c}:{alias}"), pos))
        .collect()
}

/// The requests compose sends for the service's networks when it starts
/// the container: `disconnect` from the primary, then a `connect` to every
/// network, primary first.
///
/// `Container` is the container's name: its id is the daemon's to choose,
/// and the core resolves a name and an id of the tenant's container alike.
/// The alias compose adds for that id (its first 12 hex digits) is left
/// out for the same reason; the core reads no alias.
pub(super) fn connects(
    project: &Project,
    name: &str,
    key: &Node,
    svc: &Node,
) -> Vec<EngineRequest> {
    let container = format!("{}_{name}_1", project.name);
    let links = links(project, svc);
    let mut out = Vec::new();
    for (i, net) in attachments(project, svc).into_iter().enumerate() {
        let anchor = net.pos.unwrap_or(key.pos);
        // docker-py quotes the name as one path segment
        let target = |verb: &str| format!("{API}/networks/{}/{verb}", pct(&net.engine));
        if i == 0 {
            out.push(EngineRequest {
                method: "POST",
                target: target("disconnect"),
                body: json!({"Container": container}),
                subject: name.to_string(),
                paths: PathMap::default(),
                anchor,
            });
        }
        let mut paths = PathMap::default();
        let mut ep = Map::new();
        ep.insert("Aliases".into(), json!(aliases(name, net.def)));
        if !links.is_empty() {
            for (j, (_, pos)) in links.iter().enumerate() {
                paths.set(format!("EndpointConfig.Links[{j}]"), *pos);
            }
            let l: Vec<&str> = links.iter().map(|(s, _)| s.as_str()).collect();
            ep.insert("Links".into(), json!(l));
        }
        let ipam = ipam(net.def, true, "EndpointConfig", &mut paths);
        if !ipam.is_empty() {
            ep.insert("IPAMConfig".into(), Value::Object(ipam));
        }
        out.push(EngineRequest {
            method: "POST",
            target: target("connect"),
            body: json!({"Container": container, "EndpointConfig": ep}),
            subject: name.to_string(),
            paths,
            anchor,
        });
    }
    out
}
