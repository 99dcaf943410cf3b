//! One service → `POST /containers/create?name=<project>_<service>_1`, with
//! the body docker-compose 1.29.2 sends (field by field as captured), and
//! `POST /build` when the service builds its image.

use super::network::{links, networking};
use super::resources::{blkio, resources};
use super::secrets::secrets;
use super::units::{bytes, duration_ns, ports, shell_words};
use super::{labels, object_name, string_map, EngineRequest, PathMap, API};
use crate::load::Project;
use crate::merge::to_map;
use crate::node::{Kind, Node};
use serde_json::{json, Map, Value};
use std::path::Path;

/// `build:` → the build request compose sends before creating. 1.29
/// builds with the docker CLI (`COMPOSE_DOCKER_CLI_BUILD`), whose query is
/// sorted by key (captured, project h1capd:
/// `/build?dockerfile=Dockerfile&networkmode=host&t=h1cap%2Fbuilt%3A1&version=1`,
/// `...&t=h1capd_other&target=t1&version=1`); of the options only
/// `network` (`networkmode`) and `target` are sent here, the ones that are
/// judged or name what is built.
pub(super) fn build_request(
    project: &Project,
    name: &str,
    key: &Node,
    svc: &Node,
) -> Option<EngineRequest> {
    let (bk, b) = svc.entry("build")?;
    let tag = svc
        .get("image")
        .and_then(Node::as_scalar)
        .unwrap_or_else(|| format!("{}_{name}", project.name));
    let mut paths = PathMap::default();
    paths.set("", bk.pos);
    let opt = |k: &str| b.get(k).and_then(Node::as_scalar).filter(|s| !s.is_empty());
    let dockerfile = opt("dockerfile").unwrap_or_else(|| "Dockerfile".into());
    let dockerfile = dockerfile.trim_start_matches("./").to_string();
    let mut query = vec![("dockerfile", dockerfile)];
    if let Some((nk, n)) = b.entry("network") {
        if let Some(n) = n.as_scalar().filter(|s| !s.is_empty()) {
            query.push(("networkmode", n));
            paths.set("networkmode", nk.pos);
        }
    }
    query.push(("t", tag));
    if let Some(t) = opt("target") {
        query.push(("target", t));
    }
    query.push(("version", "1".into()));
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", pct(v)))
        .collect();
    Some(EngineRequest {
        method: "POST",
        target: format!("{API}/build?{}", q.join("&")),
        body: Value::Null,
        subject: name.to_string(),
        paths,
        anchor: if bk.pos.line > 0 { bk.pos } else { key.pos },
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters (a tag
/// in a query, a network name as a path segment), as docker-py does.
pub(super) fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn strs(n: &Node) -> Vec<String> {
    match &n.kind {
        Kind::Seq(items) => items.iter().filter_map(Node::as_scalar).collect(),
        _ => n.as_scalar().map(|s| shell_words(&s)).unwrap_or_default(),
    }
}

/// The container create request for one service.
pub(super) fn create(
    project: &Project,
    dir: &Path,
    name: &str,
    key: &Node,
    svc: &Node,
) -> EngineRequest {
    let mut p = PathMap::default();
    let mut body = Map::new();
    let mut hc = Map::new();
    let image = svc
        .get("image")
        .and_then(Node::as_scalar)
        .unwrap_or_else(|| format!("{}_{name}", project.name));
    body.insert("Image".into(), json!(image));
    if let Some((k, _)) = svc.entry("image") {
        p.set("Image", k.pos);
    }
    for (field, json_name) in [("command", "Cmd"), ("entrypoint", "Entrypoint")] {
        if let Some((k, v)) = svc.entry(field) {
            body.insert(json_name.into(), json!(strs(v)));
            p.set(json_name, k.pos);
        }
    }
    for (field, json_name) in [
        ("user", "User"),
        ("working_dir", "WorkingDir"),
        ("hostname", "Hostname"),
        ("domainname", "Domainname"),
        ("stop_signal", "StopSignal"),
        ("mac_address", "MacAddress"),
    ] {
        if let Some((k, v)) = svc.entry(field) {
            body.insert(json_name.into(), json!(v.as_scalar().unwrap_or_default()));
            p.set(json_name, k.pos);
        }
    }
    for (field, json_name) in [("tty", "Tty"), ("stdin_open", "OpenStdin")] {
        body.insert(
            json_name.into(),
            json!(svc.get(field).and_then(Node::as_bool).unwrap_or(false)),
        );
    }
    if let Some((k, env)) = svc.entry("environment") {
        let list: Vec<String> = to_map(env.clone())
            .entries()
            .iter()
            .filter_map(|(k, v)| {
                let k = k.as_scalar()?;
                match v.as_scalar() {
                    Some(v) => Some(format!("{k}={v}")),
                    None => project.vars.lookup(&k).map(|v| format!("{k}={v}")),
                }
            })
            .collect();
        body.insert("Env".into(), json!(list));
        p.set("Env", k.pos);
    }
    let mut lab = Map::new();
    if let Some((lk, l)) = svc.entry("labels") {
        for (k, v) in to_map(l.clone()).entries() {
            let key = k.as_scalar().unwrap_or_default();
            p.set(format!("Labels.{key}"), k.pos);
            lab.insert(key, json!(v.as_scalar().unwrap_or_default()));
        }
        p.set("Labels", lk.pos);
    }
    lab.extend(labels(&project.name, "service", name));
    lab.insert("com.docker.compose.oneoff".into(), json!("False"));
    lab.insert("com.docker.compose.container-number".into(), json!("1"));
    body.insert("Labels".into(), Value::Object(lab));

    // ports → ExposedPorts + HostConfig.PortBindings
    let mut exposed = Map::new();
    let mut bindings: Map<String, Value> = Map::new();
    if let Some((ek, e)) = svc.entry("expose") {
        for it in e.items() {
            let s = it.as_scalar().unwrap_or_default();
            let key = if s.contains('/') {
                s
            } else {
                format!("{s}/tcp")
            };
            p.set(format!("ExposedPorts.{key}"), it.pos);
            exposed.insert(key, json!({}));
        }
        p.set("ExposedPorts", ek.pos);
    }
    if let Some((pk, ps)) = svc.entry("ports") {
        p.set("HostConfig.PortBindings", pk.pos);
        for it in ps.items() {
            let specs = match it.as_scalar() {
                Some(s) => ports(&s).unwrap_or_default(),
                None => {
                    let target = it
                        .get("target")
                        .and_then(Node::as_scalar)
                        .unwrap_or_default();
                    let published = it
                        .get("published")
                        .and_then(Node::as_scalar)
                        .unwrap_or_default();
                    let proto = it
                        .get("protocol")
                        .and_then(Node::as_scalar)
                        .unwrap_or_else(|| "tcp".into());
                    let ip = it
                        .get("host_ip")
                        .and_then(Node::as_scalar)
                        .unwrap_or_default();
                    ports(&format!(
                        "{ip}{}{published}:{target}/{proto}",
                        if ip.is_empty() { "" } else { ":" }
                    ))
                    .unwrap_or_default()
                }
            };
            for s in specs {
                let key = format!("{}/{}", s.container, s.proto);
                let pos = it.get("published").map_or(it.pos, |n| n.pos);
                p.set(format!("HostConfig.PortBindings.{key}"), pos);
                p.set(format!("ExposedPorts.{key}"), it.pos);
                exposed.insert(key.clone(), json!({}));
                let entry = bindings.entry(key).or_insert_with(|| json!([]));
                if let Value::Array(a) = entry {
                    a.push(json!({"HostIp": s.host_ip, "HostPort": s.host_port}));
                }
            }
        }
    }
    if !exposed.is_empty() {
        body.insert("ExposedPorts".into(), Value::Object(exposed));
    }

    // volumes → Binds (short syntax), Mounts (long syntax), Volumes
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    let mut vols = Map::new();
    if let Some((vk, vs)) = svc.entry("volumes") {
        p.set("HostConfig.Binds", vk.pos);
        p.set("HostConfig.Mounts", vk.pos);
        for it in vs.items() {
            if let Some(s) = it.as_scalar() {
                let parts: Vec<&str> = s.splitn(3, ':').collect();
                match parts.as_slice() {
                    [target] => {
                        vols.insert((*target).to_string(), json!({}));
                    }
                    [src, target, rest @ ..] => {
                        let mode = rest.first().copied().unwrap_or("rw");
                        let src = host_or_volume(project, dir, src);
                        p.set(format!("HostConfig.Binds[{}]", binds.len()), it.pos);
                        binds.push(format!("{src}:{target}:{mode}"));
                        vols.insert((*target).to_string(), json!({}));
                    }
                    [] => {}
                }
            } else {
                let ty = it
                    .get("type")
                    .and_then(Node::as_scalar)
                    .unwrap_or_else(|| "volume".into());
                let target = it
                    .get("target")
                    .and_then(Node::as_scalar)
                    .unwrap_or_default();
                let mut m = Map::new();
                m.insert("Type".into(), json!(ty));
                if let Some(src) = it.get("source").and_then(Node::as_scalar) {
                    let src = if ty == "bind" {
                        host_or_volume(project, dir, &format!("./{}", src.trim_start_matches("./")))
                            .replace("/./", "/")
                    } else {
                        object_name(project, "volumes", &src)
                    };
                    let src = if ty == "bind"
                        && it
                            .get("source")
                            .and_then(Node::as_scalar)
                            .is_some_and(|s| s.starts_with('/'))
                    {
                        it.get("source")
                            .and_then(Node::as_scalar)
                            .unwrap_or_default()
                    } else {
                        src
                    };
                    m.insert("Source".into(), json!(src));
                }
                m.insert("Target".into(), json!(target));
                if let Some(ro) = it.get("read_only").and_then(Node::as_bool) {
                    m.insert("ReadOnly".into(), json!(ro));
                }
                if let Some(prop) = it
                    .get("bind")
                    .and_then(|b| b.get("propagation"))
                    .and_then(Node::as_scalar)
                {
                    m.insert("BindOptions".into(), json!({"Propagation": prop}));
                }
                // captured (project h1capb): `tmpfs: {size: 2147483648}` →
                // `"TmpfsOptions": {"SizeBytes": 2147483648}` (compose's
                // `bytes_to_int`: `64m` counts too)
                if let Some((sk, sv)) = it.get("tmpfs").and_then(|t| t.entry("size")) {
                    if let Some(n) = sv.as_scalar().and_then(|s| bytes(&s)) {
                        m.insert("TmpfsOptions".into(), json!({"SizeBytes": n}));
                        p.set(
                            format!("HostConfig.Mounts[{}].TmpfsOptions", mounts.len()),
                            sk.pos,
                        );
                    }
                }
                p.set(format!("HostConfig.Mounts[{}]", mounts.len()), it.pos);
                mounts.push(Value::Object(m));
            }
        }
    }
    if !vols.is_empty() {
        body.insert("Volumes".into(), Value::Object(vols));
    }

    secrets(project, svc, &mut mounts, &mut p);

    // HostConfig
    hc.insert("Binds".into(), json!(binds));
    if !mounts.is_empty() {
        hc.insert("Mounts".into(), json!(mounts));
    }
    hc.insert("PortBindings".into(), Value::Object(bindings));
    let bools = [
        ("privileged", "Privileged"),
        ("read_only", "ReadonlyRootfs"),
        ("init", "Init"),
        ("oom_kill_disable", "OomKillDisable"),
    ];
    for (field, json_name) in bools {
        if let Some((k, v)) = svc.entry(field) {
            hc.insert(json_name.into(), json!(v.as_bool().unwrap_or(false)));
            p.set(format!("HostConfig.{json_name}"), k.pos);
        }
    }
    let lists = [
        ("cap_add", "CapAdd"),
        ("cap_drop", "CapDrop"),
        ("security_opt", "SecurityOpt"),
        ("dns", "Dns"),
        ("dns_search", "DnsSearch"),
        ("group_add", "GroupAdd"),
        ("volumes_from", "VolumesFrom"),
        ("extra_hosts", "ExtraHosts"),
        ("device_cgroup_rules", "DeviceCgroupRules"),
    ];
    for (field, json_name) in lists {
        if let Some((k, v)) = svc.entry(field) {
            let items: Vec<String> = if field == "volumes_from" {
                strs(v)
                    .into_iter()
                    .map(|f| match f.strip_prefix("container:") {
                        Some(c) => c.to_string(),
                        None => {
                            let (svc, mode) = f
                                .split_once(':')
                                .map_or((f.as_str(), None), |(a, b)| (a, Some(b)));
                            let base = format!("{}_{svc}_1", project.name);
                            mode.map_or(base.clone(), |m| format!("{base}:{m}"))
                        }
                    })
                    .collect()
            } else if field == "extra_hosts" && !v.entries().is_empty() {
                v.entries()
                    .iter()
                    .map(|(a, b)| {
                        format!(
                            "{}:{}",
                            a.as_scalar().unwrap_or_default(),
                            b.as_scalar().unwrap_or_default()
                        )
                    })
                    .collect()
            } else {
                strs(v)
            };
            for (i, it) in v.items().iter().enumerate() {
                p.set(format!("HostConfig.{json_name}[{i}]"), it.pos);
            }
            hc.insert(json_name.into(), json!(items));
            p.set(format!("HostConfig.{json_name}"), k.pos);
        }
    }
    if let Some((k, _)) = svc.entry("links").or_else(|| svc.entry("external_links")) {
        let list = links(project, svc);
        for (i, (_, pos)) in list.iter().enumerate() {
            p.set(format!("HostConfig.Links[{i}]"), *pos);
        }
        let l: Vec<String> = list.into_iter().map(|(s, _)| s).collect();
        hc.insert("Links".into(), json!(l));
        p.set("HostConfig.Links", k.pos);
    }
    let strings = [
        ("pid", "PidMode"),
        ("ipc", "IpcMode"),
        ("userns_mode", "UsernsMode"),
        ("uts", "UTSMode"),
        ("cgroup_parent", "CgroupParent"),
        ("runtime", "Runtime"),
        ("isolation", "Isolation"),
        ("cgroup", "CgroupnsMode"),
        // compose 1.29 reads it in version 1 files only
        ("volume_driver", "VolumeDriver"),
    ];
    for (field, json_name) in strings {
        if let Some((k, v)) = svc.entry(field) {
            let mut s = v.as_scalar().unwrap_or_default();
            if let Some(other) = s.strip_prefix("service:") {
                s = format!("container:{}_{other}_1", project.name);
            }
            hc.insert(json_name.into(), json!(s));
            p.set(format!("HostConfig.{json_name}"), k.pos);
        }
    }
    if let Some((k, d)) = svc.entry("devices") {
        let devs: Vec<Value> = d
            .items()
            .iter()
            .enumerate()
            .map(|(i, it)| {
                p.set(format!("HostConfig.Devices[{i}]"), it.pos);
                let s = it.as_scalar().unwrap_or_default();
                let parts: Vec<&str> = s.split(':').collect();
                let host = parts.first().copied().unwrap_or("");
                json!({"PathOnHost": host, "PathInContainer": parts.get(1).copied().unwrap_or(host), "CgroupPermissions": parts.get(2).copied().unwrap_or("rwm")})
            })
            .collect();
        hc.insert("Devices".into(), json!(devs));
        p.set("HostConfig.Devices", k.pos);
    }
    if let Some((k, s)) = svc.entry("sysctls") {
        let m: Map<String, Value> = to_map(s.clone())
            .entries()
            .iter()
            .map(|(a, b)| {
                let key = a.as_scalar().unwrap_or_default();
                p.set(format!("HostConfig.Sysctls.{key}"), a.pos);
                (key, json!(b.as_scalar().unwrap_or_default()))
            })
            .collect();
        hc.insert("Sysctls".into(), Value::Object(m));
        p.set("HostConfig.Sysctls", k.pos);
    }
    if let Some((k, u)) = svc.entry("ulimits") {
        let mut list = Vec::new();
        for (i, (name, v)) in u.entries().iter().enumerate() {
            let num = |n: Option<&Node>| {
                n.and_then(Node::as_scalar)
                    .and_then(|s| s.parse::<i64>().ok())
            };
            let (soft, hard) = match num(Some(v)) {
                Some(both) => (Some(both), Some(both)),
                None => (num(v.get("soft")), num(v.get("hard"))),
            };
            p.set(format!("HostConfig.Ulimits[{i}]"), name.pos);
            list.push(
                json!({"Name": name.as_scalar().unwrap_or_default(), "Soft": soft, "Hard": hard}),
            );
        }
        hc.insert("Ulimits".into(), json!(list));
        p.set("HostConfig.Ulimits", k.pos);
    }
    if let Some((k, t)) = svc.entry("tmpfs") {
        let m: Map<String, Value> = strs(t)
            .into_iter()
            .map(|s| match s.split_once(':') {
                Some((a, b)) => (a.to_string(), json!(b)),
                None => (s, json!("")),
            })
            .collect();
        hc.insert("Tmpfs".into(), Value::Object(m));
        p.set("HostConfig.Tmpfs", k.pos);
    }
    if let Some((k, l)) = svc.entry("logging") {
        let ty = l
            .get("driver")
            .and_then(Node::as_scalar)
            .unwrap_or_default();
        let opts = l.get("options").map(string_map).unwrap_or_default();
        hc.insert("LogConfig".into(), json!({"Type": ty, "Config": opts}));
        p.set(
            "HostConfig.LogConfig",
            l.entry("driver").map_or(k.pos, |(dk, _)| dk.pos),
        );
    } else {
        hc.insert("LogConfig".into(), json!({"Type": "", "Config": {}}));
    }
    if let Some((k, r)) = svc.entry("restart") {
        let s = r.as_scalar().unwrap_or_default();
        let (n, c) = s
            .split_once(':')
            .map_or((s.as_str(), 0), |(a, b)| (a, b.parse().unwrap_or(0)));
        hc.insert(
            "RestartPolicy".into(),
            json!({"Name": n, "MaximumRetryCount": c}),
        );
        p.set("HostConfig.RestartPolicy", k.pos);
    }
    if let Some((k, v)) = svc.entry("oom_score_adj") {
        // compose's `to_int`; captured (project h1capa): `"OomScoreAdj": -500`
        if let Some(n) = v.as_scalar().and_then(|s| s.trim().parse::<i64>().ok()) {
            hc.insert("OomScoreAdj".into(), json!(n));
            p.set("HostConfig.OomScoreAdj", k.pos);
        }
    }
    if let Some((k, v)) = svc.entry("dns_opt") {
        hc.insert("DnsOptions".into(), json!(strs(v)));
        p.set("HostConfig.DnsOptions", k.pos);
    }
    device_requests(svc, &mut hc, &mut p);
    if let Some((k, h)) = svc.entry("healthcheck") {
        body.insert("Healthcheck".into(), healthcheck(h, k, &mut p));
    }
    resources(svc, &mut hc, &mut p);
    blkio(svc, &mut hc, &mut p);
    networking(project, name, svc, &mut body, &mut hc, &mut p);
    body.insert("HostConfig".into(), Value::Object(hc));
    p.set("HostConfig", key.pos);
    EngineRequest {
        method: "POST",
        target: format!("{API}/containers/create?name={}_{name}_1", project.name),
        body: Value::Object(body),
        subject: name.to_string(),
        paths: p,
        anchor: key.pos,
    }
}

/// A short-syntax source: a host path (resolved against the project
/// directory, as compose does) or a named volume (scoped to the project).
fn host_or_volume(project: &Project, dir: &Path, src: &str) -> String {
    if src.starts_with('/') {
        src.to_string()
    } else if src.starts_with('.') {
        dir.join(src).display().to_string().replace("/./", "/")
    } else if let Some(rest) = src.strip_prefix('~') {
        format!("{}{rest}", home(project))
    } else {
        object_name(project, "volumes", src)
    }
}

/// `~` in a host path: `HOME` from the variables the project was loaded
/// with, `/root` when unset (compose runs as root on these hosts).
pub fn home(project: &Project) -> &str {
    project.vars.lookup("HOME").unwrap_or("/root")
}

/// `healthcheck:` → `Config.Healthcheck` as compose 1.29 sends it
/// (captured, projects h1capa, h1capb): `disable` (whatever its value:
/// compose's `process_healthcheck` asks only whether it is there) →
/// `Test: ["NONE"]`; a string `test` → `["CMD-SHELL", test]`; `interval`,
/// `timeout` and `start_period` in nanoseconds (a YAML number as it is, a
/// string as a duration); what is unset goes out as `null`.
fn healthcheck(h: &Node, key: &Node, p: &mut PathMap) -> Value {
    p.set("Healthcheck", key.pos);
    let mut m = Map::new();
    let test = if let Some((dk, _)) = h.entry("disable") {
        p.set("Healthcheck.Test", dk.pos);
        json!(["NONE"])
    } else if let Some((tk, t)) = h.entry("test") {
        p.set("Healthcheck.Test", tk.pos);
        match &t.kind {
            Kind::Seq(items) => json!(items.iter().filter_map(Node::as_scalar).collect::<Vec<_>>()),
            _ => t
                .as_scalar()
                .map_or(Value::Null, |s| json!(["CMD-SHELL", s])),
        }
    } else {
        Value::Null
    };
    m.insert("Test".into(), test);
    for (field, json_name) in [
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
    ] {
        let v = match h.entry(field) {
            Some((fk, v)) => {
                p.set(format!("Healthcheck.{json_name}"), fk.pos);
                match &v.kind {
                    Kind::Int(i) => json!(i),
                    _ => v
                        .as_scalar()
                        .and_then(|s| duration_ns(&s))
                        .map_or(Value::Null, |n| json!(n)),
                }
            }
            None => Value::Null,
        };
        m.insert(json_name.into(), v);
    }
    let retries = match h.entry("retries") {
        Some((rk, v)) => {
            p.set("Healthcheck.Retries", rk.pos);
            v.as_scalar()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .map_or(Value::Null, |n| json!(n))
        }
        None => Value::Null,
    };
    m.insert("Retries".into(), retries);
    Value::Object(m)
}

/// `deploy.resources.reservations.devices` → `HostConfig.DeviceRequests`
/// (captured, project h1capb: `{"Driver": "nvidia", "Count": 1,
/// "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}}`): compose's
/// `get_device_requests` reads `count: all` as -1 and wraps the
/// capabilities in one list; docker-py fills in what is unset.
fn device_requests(svc: &Node, hc: &mut Map<String, Value>, p: &mut PathMap) {
    let Some((k, devs)) = svc
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.entry("devices"))
    else {
        return;
    };
    let list: Vec<Value> = devs
        .items()
        .iter()
        .enumerate()
        .map(|(i, d)| {
            p.set(format!("HostConfig.DeviceRequests[{i}]"), d.pos);
            let count = match d.get("count").map(|c| &c.kind) {
                Some(Kind::Int(n)) => *n,
                Some(Kind::Str(s)) if s == "all" => -1,
                _ => 0,
            };
            let caps: Vec<String> = d
                .get("capabilities")
                .map(|c| c.items().iter().filter_map(Node::as_scalar).collect())
                .unwrap_or_default();
            let opts = d.get("options").map(string_map).unwrap_or_default();
            json!({
                "Driver": d.get("driver").and_then(Node::as_scalar).unwrap_or_default(),
                "Count": count,
                "DeviceIDs": d.get("device_ids").map(strs).unwrap_or_default(),
                "Capabilities": if d.get("capabilities").is_some() { json!([caps]) } else { json!([]) },
                "Options": opts,
            })
        })
        .collect();
    if !list.is_empty() {
        hc.insert("DeviceRequests".into(), Value::Array(list));
        p.set("HostConfig.DeviceRequests", k.pos);
    }
}
