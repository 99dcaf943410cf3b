//! A compose project → the Engine API requests docker-compose 1.29 sends
//! for `up` (captured with a logging proxy between docker-compose 1.29.2
//! and dockerd 20.10): `POST /networks/create`, `POST /volumes/create`,
//! `POST /containers/create?name=<project>_<service>_<n>` for each of a
//! service's `scale` containers (`engine/scale.rs`), then, as each
//! container starts, `POST /networks/<net>/disconnect` and `.../connect`
//! for the service's networks (in the order `engine/network.rs` explains).
//!
//! While a body is built, every JSON path written is mapped to the compose
//! node that produced it, so a denial's `field` leads back to a line and
//! column.

#[cfg(test)]
mod capture_tests;
mod container;
pub use container::home;
mod network;
mod resources;
pub mod scale;
mod secrets;
pub mod units;

use super::load::Project;
use super::node::{Node, Pos};
use serde_json::{json, Map, Value};

/// A mapping of scalars as the JSON object of strings compose sends for it
/// (`driver_opts`, `logging.options`, IPAM `options` and `aux_addresses`).
pub(crate) fn string_map(node: &Node) -> Map<String, Value> {
    node.entries()
        .iter()
        .map(|(k, v)| {
            (
                k.as_scalar().unwrap_or_default(),
                json!(v.as_scalar().unwrap_or_default()),
            )
        })
        .collect()
}

/// The API version compose 1.29 speaks to a 20.10 daemon.
pub const API: &str = "/v1.41";

/// JSON path → the compose node that produced it.
#[derive(Debug, Clone, Default)]
pub struct PathMap(Vec<(String, Pos)>);

impl PathMap {
    /// Records that `path` came from `pos`.
    pub fn set(&mut self, path: impl Into<String>, pos: Pos) {
        self.0.push((path.into(), pos));
    }

    /// The position of the longest recorded path that is a prefix of `field`
    /// (`HostConfig.Binds[0]` also answers `HostConfig.Binds[0].Source`).
    pub fn find(&self, field: &str) -> Option<Pos> {
        let norm = normalize(field);
        self.0
            .iter()
            .filter(|(p, _)| {
                let p = normalize(p);
                norm == p
                    || norm.starts_with(&format!("{p}."))
                    || norm.starts_with(&format!("{p}["))
            })
            .max_by_key(|(p, _)| p.len())
            .map(|(_, pos)| *pos)
    }
}

/// Case-insensitive, `["k"]` and `.k` spelled alike.
fn normalize(p: &str) -> String {
    p.replace("[\"", ".")
        .replace("\"]", "")
        .to_ascii_lowercase()
}

/// One request compose would send, with what produced it.
#[derive(Debug, Clone)]
pub struct EngineRequest {
    /// `POST`.
    pub method: &'static str,
    /// Path and query.
    pub target: String,
    /// JSON body.
    pub body: Value,
    /// `web`, `networks.back`, `volumes.data`.
    pub subject: String,
    /// JSON path → compose node.
    pub paths: PathMap,
    /// Where to point when a denial names no mapped field.
    pub anchor: Pos,
}

/// The compose labels every object carries.
fn labels(project: &str, kind: &str, name: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("com.docker.compose.project".into(), json!(project));
    m.insert(format!("com.docker.compose.{kind}"), json!(name));
    m.insert("com.docker.compose.version".into(), json!("1.29.2"));
    m
}

/// `external: true` or `external: {name: ...}`: made by someone else.
pub(crate) fn is_external(n: &Node) -> bool {
    n.get("external")
        .is_some_and(|e| e.as_bool() == Some(true) || !e.entries().is_empty())
}

/// Engine-side name of a top-level network or volume.
pub fn object_name(project: &Project, section: &str, key: &str) -> String {
    object_name_in(project, &project.name, section, key)
}

/// Engine-side name of a top-level network, volume, secret or config when
/// the project (or stack) is called `prefix`: its external name or `name:`,
/// else `<prefix>_<key>`.
pub fn object_name_in(project: &Project, prefix: &str, section: &str, key: &str) -> String {
    let def = project.doc.get(section).and_then(|s| s.get(key));
    if let Some(d) = def {
        if let Some(n) = d
            .get("external")
            .and_then(|e| e.get("name"))
            .and_then(Node::as_scalar)
        {
            return n;
        }
        if let Some(n) = d.get("name").and_then(Node::as_scalar) {
            return n;
        }
        if is_external(d) {
            return key.to_string();
        }
    }
    format!("{prefix}_{key}")
}

/// Every request `docker-compose up` would send for the project, in order.
pub fn requests(project: &Project, project_dir: &std::path::Path) -> Vec<EngineRequest> {
    let mut out = Vec::new();
    let services = project
        .doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default();
    // compose 1.29 creates the networks its services name (those the
    // profiles leave out included), not every one declared (captured,
    // project `hcapcunused`), and `default` when a service names it or
    // names none
    let used = used_networks(services.iter().chain(&project.inactive_defs));
    let uses_default = used.iter().any(|n| n == "default");
    let declared = project
        .doc
        .get("networks")
        .map(Node::entries)
        .unwrap_or_default();
    let declares_default = declared
        .iter()
        .any(|(k, _)| k.as_scalar().as_deref() == Some("default"));
    if uses_default && !declares_default {
        out.push(EngineRequest {
            method: "POST",
            target: format!("{API}/networks/create"),
            body: json!({
                "Name": format!("{}_default", project.name),
                "CheckDuplicate": true,
                "Labels": labels(&project.name, "network", "default"),
                "Attachable": true,
            }),
            subject: "networks.default".into(),
            paths: PathMap::default(),
            anchor: project
                .doc
                .entry("services")
                .map_or(project.doc.pos, |(k, _)| k.pos),
        });
    }
    for (k, def) in declared {
        let key = k.as_scalar().unwrap_or_default();
        if is_external(def) || !used.contains(&key) {
            continue;
        }
        let mut paths = PathMap::default();
        let mut body = Map::new();
        body.insert("Name".into(), json!(object_name(project, "networks", &key)));
        body.insert("CheckDuplicate".into(), json!(true));
        // compose 1.29 makes its networks attachable unless told otherwise (captured)
        body.insert("Attachable".into(), json!(true));
        let mut lab = labels(&project.name, "network", &key);
        if let Some((dk, d)) = def.entry("driver") {
            body.insert("Driver".into(), json!(d.as_scalar()));
            paths.set("Driver", dk.pos);
        }
        if let Some((ok, o)) = def.entry("driver_opts") {
            body.insert("Options".into(), Value::Object(string_map(o)));
            paths.set("Options", ok.pos);
        }
        if let Some((ik, i)) = def.entry("ipam") {
            body.insert("IPAM".into(), ipam(ik, i, &mut paths));
        }
        for (flag, field) in [
            ("internal", "Internal"),
            ("attachable", "Attachable"),
            ("enable_ipv6", "EnableIPv6"),
        ] {
            if let Some((fk, v)) = def.entry(flag) {
                body.insert(field.into(), json!(v.as_bool().unwrap_or(false)));
                paths.set(field, fk.pos);
            }
        }
        if let Some((lk, l)) = def.entry("labels") {
            user_labels(l, &mut lab, &mut paths);
            paths.set("Labels", lk.pos);
        }
        body.insert("Labels".into(), Value::Object(lab));
        out.push(EngineRequest {
            method: "POST",
            target: format!("{API}/networks/create"),
            body: Value::Object(body),
            subject: format!("networks.{key}"),
            paths,
            anchor: k.pos,
        });
    }
    for (k, def) in project
        .doc
        .get("volumes")
        .map(Node::entries)
        .unwrap_or_default()
    {
        let key = k.as_scalar().unwrap_or_default();
        if is_external(def) {
            continue;
        }
        let mut paths = PathMap::default();
        let mut body = Map::new();
        body.insert("Name".into(), json!(object_name(project, "volumes", &key)));
        if let Some((dk, d)) = def.entry("driver") {
            body.insert("Driver".into(), json!(d.as_scalar()));
            paths.set("Driver", dk.pos);
        }
        if let Some((ok, o)) = def.entry("driver_opts") {
            let opts: Map<String, Value> = o
                .entries()
                .iter()
                .map(|(k, v)| {
                    let name = k.as_scalar().unwrap_or_default();
                    paths.set(format!("DriverOpts.{name}"), k.pos);
                    (name, json!(v.as_scalar().unwrap_or_default()))
                })
                .collect();
            body.insert("DriverOpts".into(), Value::Object(opts));
            paths.set("DriverOpts", ok.pos);
        }
        let mut lab = labels(&project.name, "volume", &key);
        if let Some(l) = def.get("labels") {
            user_labels(l, &mut lab, &mut paths);
        }
        body.insert("Labels".into(), Value::Object(lab));
        out.push(EngineRequest {
            method: "POST",
            target: format!("{API}/volumes/create"),
            body: Value::Object(body),
            subject: format!("volumes.{key}"),
            paths,
            anchor: k.pos,
        });
    }
    for ((k, svc), count) in services.iter().zip(scale::plan(project)) {
        let name = k.as_scalar().unwrap_or_default();
        if let Some(b) = container::build_request(project, &name, k, svc) {
            out.push(b);
        }
        // `scale: 0` (or below) creates nothing, its image is still built;
        // container n's requests are the first one's renamed and renumbered
        if count.judged == 0 {
            continue;
        }
        let create = container::create(project, project_dir, &name, k, svc);
        let connects = network::connects(project, &name, k, svc);
        for n in 1..=count.judged {
            let mut one = std::iter::once(create.clone())
                .chain(connects.iter().cloned())
                .collect::<Vec<_>>();
            if n > 1 {
                for r in &mut one {
                    scale::renumber(r, &project.name, &name, n);
                }
            }
            out.extend(one);
        }
    }
    out
}

/// A network's `ipam:` → the create body's `IPAM` as compose 1.29 sends
/// it (captured, projects h1capa, h1capb): `Driver` `default` unless
/// given, every `config` item with all four keys (`null` where unset:
/// `subnet`, `gateway`, `ip_range` → `IPRange`, `aux_addresses` →
/// `AuxiliaryAddresses`), `Options` only when given.
fn ipam(key: &Node, def: &Node, paths: &mut PathMap) -> Value {
    paths.set("IPAM", key.pos);
    let mut m = Map::new();
    let driver = match def.entry("driver") {
        Some((dk, d)) => {
            paths.set("IPAM.Driver", dk.pos);
            d.as_scalar().unwrap_or_default()
        }
        None => "default".into(),
    };
    m.insert("Driver".into(), json!(driver));
    let mut configs = Vec::new();
    if let Some((ck, c)) = def.entry("config") {
        paths.set("IPAM.Config", ck.pos);
        for (i, it) in c.items().iter().enumerate() {
            paths.set(format!("IPAM.Config[{i}]"), it.pos);
            let mut item = Map::new();
            for (k, field) in [
                ("subnet", "Subnet"),
                ("gateway", "Gateway"),
                ("ip_range", "IPRange"),
            ] {
                let v = match it.entry(k) {
                    Some((fk, v)) => {
                        paths.set(format!("IPAM.Config[{i}].{field}"), fk.pos);
                        v.as_scalar().map_or(Value::Null, |s| json!(s))
                    }
                    None => Value::Null,
                };
                item.insert(field.into(), v);
            }
            let aux = match it.entry("aux_addresses") {
                Some((ak, a)) => {
                    paths.set(format!("IPAM.Config[{i}].AuxiliaryAddresses"), ak.pos);
                    Value::Object(string_map(a))
                }
                None => Value::Null,
            };
            item.insert("AuxiliaryAddresses".into(), aux);
            configs.push(Value::Object(item));
        }
    }
    m.insert("Config".into(), Value::Array(configs));
    if let Some((ok, o)) = def.entry("options") {
        paths.set("IPAM.Options", ok.pos);
        m.insert("Options".into(), Value::Object(string_map(o)));
    }
    Value::Object(m)
}

/// The network keys the services attach to: their `networks:` (list items
/// or keys), `default` for one without; none under `network_mode`.
fn used_networks<'a>(services: impl Iterator<Item = &'a (Node, Node)>) -> Vec<String> {
    let mut out = Vec::new();
    for (_, s) in services {
        if s.get("network_mode").is_some() {
            continue;
        }
        match s.get("networks") {
            None => out.push("default".to_string()),
            Some(n) => {
                out.extend(n.items().iter().filter_map(Node::as_scalar));
                out.extend(n.entries().iter().filter_map(|(k, _)| k.as_scalar()));
            }
        }
    }
    out
}

/// Adds a network's or volume's own `labels` (list or map form) to the
/// body's labels, remembering where each key stands in the compose file.
fn user_labels(l: &Node, lab: &mut Map<String, Value>, paths: &mut PathMap) {
    for (k, v) in super::merge::to_map(l.clone()).entries() {
        let key = k.as_scalar().unwrap_or_default();
        paths.set(format!("Labels.{key}"), k.pos);
        lab.insert(key, json!(v.as_scalar().unwrap_or_default()));
    }
}

/// Removes the value at a JSON path (`HostConfig.Binds[0]`, `HostConfig.PortBindings["80/tcp"]`),
/// matching object keys case-insensitively as the daemon does. Used to look
/// for further denials after the first one. Returns whether anything was removed.
pub fn remove_path(v: &mut Value, path: &str) -> bool {
    let mut segs: Vec<Seg> = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[\"") {
            let Some(end) = r.find("\"]") else {
                return false;
            };
            segs.push(Seg::Key(r.get(..end).unwrap_or("").to_string()));
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { return false };
            let Ok(i) = r.get(..end).unwrap_or("").parse() else {
                return false;
            };
            segs.push(Seg::Idx(i));
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            segs.push(Seg::Key(r.get(..end).unwrap_or("").to_string()));
            rest = r.get(end..).unwrap_or("");
        }
    }
    let Some((last, init)) = segs.split_last() else {
        return false;
    };
    let mut cur = v;
    for s in init {
        let next = match (s, cur) {
            (Seg::Key(k), Value::Object(m)) => m
                .iter_mut()
                .rev()
                .find(|(mk, _)| mk.eq_ignore_ascii_case(k))
                .map(|(_, v)| v),
            (Seg::Idx(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match (last, cur) {
        (Seg::Key(k), Value::Object(m)) => {
            let key = m
                .keys()
                .rev()
                .find(|mk| mk.eq_ignore_ascii_case(k))
                .cloned();
            key.is_some_and(|k| m.remove(&k).is_some())
        }
        (Seg::Idx(i), Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

enum Seg {
    Key(String),
    Idx(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_path_handles_arrays_quoted_keys_and_case() {
        let mut v = json!({"HostConfig": {"Binds": ["a", "b"], "PortBindings": {"80/tcp": []}, "Privileged": true}});
        assert!(remove_path(&mut v, "HostConfig.Binds[0]"));
        assert!(remove_path(&mut v, "HostConfig.PortBindings[\"80/tcp\"]"));
        assert!(remove_path(&mut v, "hostconfig.privileged"));
        assert!(!remove_path(&mut v, "HostConfig.Nope"));
        assert_eq!(
            v,
            json!({"HostConfig": {"Binds": ["b"], "PortBindings": {}}})
        );
    }

    #[test]
    fn path_map_takes_the_longest_prefix() {
        let mut m = PathMap::default();
        let p = |l| Pos {
            file: 0,
            line: l,
            col: 1,
        };
        m.set("HostConfig", p(1));
        m.set("HostConfig.Binds[0]", p(2));
        m.set("HostConfig.PortBindings.80/tcp", p(3));
        assert_eq!(m.find("HostConfig.Binds[0].Source"), Some(p(2)));
        assert_eq!(m.find("HostConfig.Binds[1]"), Some(p(1)));
        assert_eq!(
            m.find("HostConfig.PortBindings[\"80/tcp\"][0].HostPort"),
            Some(p(3))
        );
        assert_eq!(m.find("Image"), None);
    }
}
