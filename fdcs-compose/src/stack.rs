//! A compose file as `docker stack deploy -c FILE <stack>` sends it (docker
//! CLI 20.10 to 28, `cli/compose/convert`): overlay networks
//! (`POST /networks/create`, `<stack>_default` for services that name
//! none), secrets and configs (`POST /secrets/create`, `/configs/create`
//! with the file's data), and per service a `ServiceSpec`
//! (`POST /services/create`) named `<stack>_<service>`; named volumes
//! are mounts of type `volume` (swarm creates them on the task's node).
//! Everything carries `com.docker.stack.namespace=<stack>`.
//!
//! Service keys the CLI drops ("Ignoring unsupported options: ...") or
//! refuses are reported ([`Ignored`]); they are not in the spec.
//!
//! Offline there are no ids: a secret or config reference names the
//! stack's object by its name (`SecretName`), which the core resolves as a
//! reference among the tenant's own.

use crate::engine::units::{bytes, duration_ns, host_path, nano_cpus, ports, shell_words};
use crate::engine::{remove_path, EngineRequest, PathMap, API};
use crate::finding::{Finding, Severity};
use crate::judge::verdict;
use crate::load::{Project, Source};
use crate::merge::to_map;
use crate::node::{Kind, Node, Pos};
use crate::Files;
use fdcs_policy::policy::EnforcementMode;
use fdcs_policy::tenancy::engine_name;
use fdcs_policy::tenancy::usage::Usage;
use fdcs_policy::{Denial, Facts, Owned, Policy, ResourceKind, RuleId, Tenant, Verdict};
use serde_json::{json, Map, Value};

/// The label every object of a stack carries.
pub const NAMESPACE_LABEL: &str = "com.docker.stack.namespace";

/// Service keys `docker stack deploy` ignores with a warning
/// (`types.UnsupportedProperties`).
pub const UNSUPPORTED: &[&str] = &[
    "build",
    "cgroupns_mode",
    "cgroup_parent",
    "devices",
    "domainname",
    "external_links",
    "ipc",
    "links",
    "mac_address",
    "network_mode",
    "pid",
    "privileged",
    "restart",
    "security_opt",
    "shm_size",
    "userns_mode",
];

/// Service keys it ignores as deprecated (`types.DeprecatedProperties`).
pub const DEPRECATED: &[&str] = &["container_name", "expose"];

/// Service keys it refuses (`types.ForbiddenProperties`): the deploy fails.
pub const FORBIDDEN: &[&str] = &[
    "extends",
    "volume_driver",
    "volumes_from",
    "cpu_quota",
    "cpu_shares",
    "cpuset",
    "mem_limit",
    "memswap_limit",
];

/// The requests of a stack, and what of the file it leaves out.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    /// In the CLI's order: networks, secrets, configs, services.
    pub requests: Vec<EngineRequest>,
    /// Service keys the CLI ignores or refuses.
    pub ignored: Vec<Ignored>,
}

/// A service key `stack deploy` does not deploy.
#[derive(Debug, Clone)]
pub struct Ignored {
    /// The service.
    pub service: String,
    /// The key (`privileged`).
    pub key: String,
    /// Where it is.
    pub pos: Pos,
    /// The CLI refuses the file (else it only warns).
    pub forbidden: bool,
}

/// `<stack>_<name>`, the CLI's `Namespace.Scope`.
fn scope(stack: &str, name: &str) -> String {
    format!("{stack}_{name}")
}

fn stack_labels(stack: &str, own: Option<&Node>, paths: &mut PathMap, prefix: &str) -> Value {
    let mut m = Map::new();
    if let Some(l) = own {
        for (k, v) in to_map(l.clone()).entries() {
            let key = k.as_scalar().unwrap_or_default();
            paths.set(format!("{prefix}.{key}"), k.pos);
            m.insert(key, json!(v.as_scalar().unwrap_or_default()));
        }
    }
    m.insert(NAMESPACE_LABEL.into(), json!(stack));
    Value::Object(m)
}

fn strs(n: &Node) -> Vec<String> {
    match &n.kind {
        Kind::Seq(items) => items.iter().filter_map(Node::as_scalar).collect(),
        _ => n.as_scalar().map(|s| shell_words(&s)).unwrap_or_default(),
    }
}

fn is_external(n: &Node) -> bool {
    crate::engine::is_external(n)
}

/// The engine-side name of a top-level network, volume, secret or config
/// of the stack: its `name:` (or external name), else `<stack>_<key>`.
pub fn object_name(project: &Project, stack: &str, section: &str, key: &str) -> String {
    crate::engine::object_name_in(project, stack, section, key)
}

/// Networks a service attaches to: its `networks:` (items or keys), or
/// `default`.
fn service_networks(svc: &Node) -> Vec<(String, Option<&Node>, Pos)> {
    match svc.entry("networks") {
        None => vec![("default".into(), None, svc.pos)],
        Some((_, n)) => {
            let mut out: Vec<(String, Option<&Node>, Pos)> = n
                .items()
                .iter()
                .filter_map(|i| i.as_scalar().map(|s| (s, None, i.pos)))
                .collect();
            out.extend(
                n.entries()
                    .iter()
                    .filter_map(|(k, v)| k.as_scalar().map(|s| (s, Some(v), k.pos))),
            );
            out
        }
    }
}

/// Every request `docker stack deploy -c FILE <stack>` sends for the
/// project; `files` reads secret and config files (unreadable: no data).
pub fn requests(project: &Project, stack: &str, files: &dyn Files) -> Stack {
    let mut out = Stack::default();
    let services = project
        .doc
        .get("services")
        .map(Node::entries)
        .unwrap_or_default();
    let anchor = project
        .doc
        .entry("services")
        .map_or(project.doc.pos, |(k, _)| k.pos);

    // networks the services use, declared or `default`
    let mut used: Vec<String> = Vec::new();
    for (_, s) in services {
        for (n, _, _) in service_networks(s) {
            if !used.contains(&n) {
                used.push(n);
            }
        }
    }
    let declared = project.doc.get("networks");
    for net in &used {
        let def = declared.and_then(|d| d.get(net));
        if def.is_none() && net != "default" {
            continue; // the CLI refuses an undeclared network; see `service`
        }
        if def.is_some_and(is_external) {
            continue;
        }
        let mut paths = PathMap::default();
        let mut body = Map::new();
        body.insert(
            "Name".into(),
            json!(object_name(project, stack, "networks", net)),
        );
        let driver = def
            .and_then(|d| d.entry("driver"))
            .map(|(k, v)| {
                paths.set("Driver", k.pos);
                v.as_scalar().unwrap_or_default()
            })
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "overlay".into());
        body.insert("Driver".into(), json!(driver));
        body.insert("Scope".into(), json!("swarm"));
        if let Some(d) = def {
            if let Some((k, o)) = d.entry("driver_opts") {
                body.insert(
                    "Options".into(),
                    Value::Object(crate::engine::string_map(o)),
                );
                paths.set("Options", k.pos);
            }
            for (flag, field) in [("internal", "Internal"), ("attachable", "Attachable")] {
                if let Some((k, v)) = d.entry(flag) {
                    body.insert(field.into(), json!(v.as_bool().unwrap_or(false)));
                    paths.set(field, k.pos);
                }
            }
            if let Some((ik, i)) = d.entry("ipam") {
                paths.set("IPAM", ik.pos);
                let configs: Vec<Value> = i
                    .get("config")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .map(|c| {
                        json!({"Subnet": c.get("subnet").and_then(Node::as_scalar).unwrap_or_default()})
                    })
                    .collect();
                body.insert(
                    "IPAM".into(),
                    json!({
                        "Driver": i.get("driver").and_then(Node::as_scalar).unwrap_or_default(),
                        "Config": configs,
                    }),
                );
            }
        }
        body.insert(
            "Labels".into(),
            stack_labels(
                stack,
                def.and_then(|d| d.get("labels")),
                &mut paths,
                "Labels",
            ),
        );
        let key_pos = declared
            .and_then(|d| d.entry(net))
            .map_or(anchor, |(k, _)| k.pos);
        out.requests.push(EngineRequest {
            method: "POST",
            target: format!("{API}/networks/create"),
            body: Value::Object(body),
            subject: format!("networks.{net}"),
            paths,
            anchor: key_pos,
        });
    }

    // secrets and configs the file declares (the CLI creates every one)
    for (section, path) in [("secrets", "secrets"), ("configs", "configs")] {
        for (k, def) in project
            .doc
            .get(section)
            .map(Node::entries)
            .unwrap_or_default()
        {
            if is_external(def) {
                continue;
            }
            let key = k.as_scalar().unwrap_or_default();
            let mut paths = PathMap::default();
            let mut body = Map::new();
            body.insert(
                "Name".into(),
                json!(object_name(project, stack, section, &key)),
            );
            body.insert(
                "Labels".into(),
                stack_labels(stack, def.get("labels"), &mut paths, "Labels"),
            );
            let data = if let Some(c) = def.get("content").and_then(Node::as_scalar) {
                c.into_bytes()
            } else if let Some(f) = def.get("file").and_then(Node::as_scalar) {
                let p = host_path(&f, &project.dir, crate::engine::home(project));
                files
                    .read(std::path::Path::new(&p))
                    .unwrap_or_default()
                    .into_bytes()
            } else {
                Vec::new()
            };
            body.insert("Data".into(), json!(base64(&data)));
            if let Some((dk, d)) = def.entry("driver") {
                body.insert("Driver".into(), json!({"Name": d.as_scalar()}));
                paths.set("Driver", dk.pos);
            }
            if let Some((tk, t)) = def.entry("template_driver") {
                body.insert("Templating".into(), json!({"Name": t.as_scalar()}));
                paths.set("Templating", tk.pos);
            }
            out.requests.push(EngineRequest {
                method: "POST",
                target: format!("{API}/{path}/create"),
                body: Value::Object(body),
                subject: format!("{section}.{key}"),
                paths,
                anchor: k.pos,
            });
        }
    }

    for (k, svc) in services {
        let name = k.as_scalar().unwrap_or_default();
        for (sk, _) in svc.entries() {
            let key = sk.as_scalar().unwrap_or_default();
            let forbidden = FORBIDDEN.contains(&key.as_str());
            if forbidden
                || UNSUPPORTED.contains(&key.as_str())
                || DEPRECATED.contains(&key.as_str())
            {
                out.ignored.push(Ignored {
                    service: name.clone(),
                    key,
                    pos: sk.pos,
                    forbidden,
                });
            }
        }
        out.requests.push(service(project, stack, &name, k, svc));
    }
    out
}

/// The `POST /services/create` of one service.
fn service(project: &Project, stack: &str, name: &str, key: &Node, svc: &Node) -> EngineRequest {
    let mut p = PathMap::default();
    let deploy = svc.get("deploy");
    let mut c = Map::new();
    const CS: &str = "TaskTemplate.ContainerSpec";
    if let Some((ik, i)) = svc.entry("image") {
        c.insert("Image".into(), json!(i.as_scalar().unwrap_or_default()));
        p.set(format!("{CS}.Image"), ik.pos);
    }
    for (field, json_name) in [("entrypoint", "Command"), ("command", "Args")] {
        if let Some((fk, v)) = svc.entry(field) {
            c.insert(json_name.into(), json!(strs(v)));
            p.set(format!("{CS}.{json_name}"), fk.pos);
        }
    }
    for (field, json_name) in [
        ("hostname", "Hostname"),
        ("working_dir", "Dir"),
        ("user", "User"),
        ("stop_signal", "StopSignal"),
        ("isolation", "Isolation"),
    ] {
        if let Some((fk, v)) = svc.entry(field) {
            c.insert(json_name.into(), json!(v.as_scalar().unwrap_or_default()));
            p.set(format!("{CS}.{json_name}"), fk.pos);
        }
    }
    for (field, json_name) in [
        ("tty", "TTY"),
        ("stdin_open", "OpenStdin"),
        ("read_only", "ReadOnly"),
        ("init", "Init"),
    ] {
        if let Some((fk, v)) = svc.entry(field) {
            c.insert(json_name.into(), json!(v.as_bool().unwrap_or(false)));
            p.set(format!("{CS}.{json_name}"), fk.pos);
        }
    }
    if let Some((gk, g)) = svc.entry("stop_grace_period") {
        if let Some(ns) = g.as_scalar().and_then(|s| duration_ns(&s)) {
            c.insert("StopGracePeriod".into(), json!(ns));
            p.set(format!("{CS}.StopGracePeriod"), gk.pos);
        }
    }
    if let Some((ek, env)) = svc.entry("environment") {
        let mut list: Vec<String> = to_map(env.clone())
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
        list.sort();
        c.insert("Env".into(), json!(list));
        p.set(format!("{CS}.Env"), ek.pos);
    }
    c.insert(
        "Labels".into(),
        stack_labels(stack, svc.get("labels"), &mut p, &format!("{CS}.Labels")),
    );
    // DNS
    let mut dns = Map::new();
    for (field, json_name) in [
        ("dns", "Nameservers"),
        ("dns_search", "Search"),
        ("dns_opt", "Options"),
    ] {
        if let Some((fk, v)) = svc.entry(field) {
            dns.insert(json_name.into(), json!(strs(v)));
            p.set(format!("{CS}.DNSConfig.{json_name}"), fk.pos);
        }
    }
    if !dns.is_empty() {
        c.insert("DNSConfig".into(), Value::Object(dns));
    }
    // extra_hosts `name:ip` → swarm's `ip name`
    if let Some((hk, h)) = svc.entry("extra_hosts") {
        let hosts: Vec<String> = if h.entries().is_empty() {
            h.items()
                .iter()
                .filter_map(Node::as_scalar)
                .map(|s| match s.split_once([':', '=']) {
                    Some((n, ip)) => format!("{ip} {n}"),
                    None => s,
                })
                .collect()
        } else {
            h.entries()
                .iter()
                .map(|(n, ip)| {
                    format!(
                        "{} {}",
                        ip.as_scalar().unwrap_or_default(),
                        n.as_scalar().unwrap_or_default()
                    )
                })
                .collect()
        };
        c.insert("Hosts".into(), json!(hosts));
        p.set(format!("{CS}.Hosts"), hk.pos);
    }
    for (field, json_name) in [("cap_add", "CapabilityAdd"), ("cap_drop", "CapabilityDrop")] {
        if let Some((fk, v)) = svc.entry(field) {
            c.insert(json_name.into(), json!(strs(v)));
            p.set(format!("{CS}.{json_name}"), fk.pos);
            for (i, it) in v.items().iter().enumerate() {
                p.set(format!("{CS}.{json_name}[{i}]"), it.pos);
            }
        }
    }
    if let Some((gk, g)) = svc.entry("group_add") {
        c.insert("Groups".into(), json!(strs(g)));
        p.set(format!("{CS}.Groups"), gk.pos);
    }
    if let Some((sk, s)) = svc.entry("sysctls") {
        let m: Map<String, Value> = to_map(s.clone())
            .entries()
            .iter()
            .map(|(k, v)| {
                let key = k.as_scalar().unwrap_or_default();
                p.set(format!("{CS}.Sysctls.{key}"), k.pos);
                (key, json!(v.as_scalar().unwrap_or_default()))
            })
            .collect();
        c.insert("Sysctls".into(), Value::Object(m));
        p.set(format!("{CS}.Sysctls"), sk.pos);
    }
    if let Some((uk, u)) = svc.entry("ulimits") {
        let list: Vec<Value> = u
            .entries()
            .iter()
            .map(|(k, v)| {
                let n = |f: &str| {
                    v.get(f)
                        .and_then(Node::as_scalar)
                        .and_then(|s| s.parse::<i64>().ok())
                };
                let (soft, hard) = match v.as_scalar().and_then(|s| s.parse::<i64>().ok()) {
                    Some(single) => (single, single),
                    None => (n("soft").unwrap_or(0), n("hard").unwrap_or(0)),
                };
                json!({"Name": k.as_scalar().unwrap_or_default(), "Soft": soft, "Hard": hard})
            })
            .collect();
        c.insert("Ulimits".into(), json!(list));
        p.set(format!("{CS}.Ulimits"), uk.pos);
    }
    if let Some((hk, h)) = svc.entry("healthcheck") {
        c.insert("Healthcheck".into(), healthcheck(h));
        p.set(format!("{CS}.Healthcheck"), hk.pos);
    }
    // mounts
    let mut mounts = Vec::new();
    if let Some((vk, vs)) = svc.entry("volumes") {
        p.set(format!("{CS}.Mounts"), vk.pos);
        for it in vs.items() {
            if let Some(m) = mount(project, stack, it) {
                p.set(format!("{CS}.Mounts[{}]", mounts.len()), it.pos);
                mounts.push(m);
            }
        }
    }
    if !mounts.is_empty() {
        c.insert("Mounts".into(), json!(mounts));
    }
    for (section, field, id) in [
        ("secrets", "Secrets", "SecretName"),
        ("configs", "Configs", "ConfigName"),
    ] {
        if let Some((sk, s)) = svc.entry(section) {
            p.set(format!("{CS}.{field}"), sk.pos);
            let refs: Vec<Value> = s
                .items()
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    p.set(format!("{CS}.{field}[{i}]"), it.pos);
                    reference(project, stack, section, id, it)
                })
                .collect();
            c.insert(field.into(), json!(refs));
        }
    }

    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(c));
    if let Some((lk, l)) = svc.entry("logging") {
        let mut d = Map::new();
        if let Some((dk, drv)) = l.entry("driver") {
            d.insert("Name".into(), json!(drv.as_scalar().unwrap_or_default()));
            p.set("TaskTemplate.LogDriver.Name", dk.pos);
        }
        if let Some((ok, o)) = l.entry("options") {
            d.insert(
                "Options".into(),
                Value::Object(crate::engine::string_map(o)),
            );
            p.set("TaskTemplate.LogDriver.Options", ok.pos);
            for (k, _) in o.entries() {
                let key = k.as_scalar().unwrap_or_default();
                p.set(format!("TaskTemplate.LogDriver.Options.{key}"), k.pos);
            }
        }
        task.insert("LogDriver".into(), Value::Object(d));
        p.set("TaskTemplate.LogDriver", lk.pos);
    }
    if let Some((rk, r)) = deploy.and_then(|d| d.entry("resources")) {
        p.set("TaskTemplate.Resources", rk.pos);
        let mut res = Map::new();
        for (section, field) in [("limits", "Limits"), ("reservations", "Reservations")] {
            let Some((sk, s)) = r.entry(section) else {
                continue;
            };
            let at = format!("TaskTemplate.Resources.{field}");
            p.set(&at, sk.pos);
            let mut m = Map::new();
            if let Some((ck, cpus)) = s.entry("cpus") {
                if let Some(n) = cpus.as_scalar().and_then(|c| nano_cpus(&c)) {
                    m.insert("NanoCPUs".into(), json!(n));
                    p.set(format!("{at}.NanoCPUs"), ck.pos);
                }
            }
            if let Some((mk, mem)) = s.entry("memory") {
                if let Some(n) = mem.as_scalar().and_then(|b| bytes(&b)) {
                    m.insert("MemoryBytes".into(), json!(n));
                    p.set(format!("{at}.MemoryBytes"), mk.pos);
                }
            }
            if section == "limits" {
                if let Some((pk, pids)) = s.entry("pids") {
                    if let Some(n) = pids.as_scalar().and_then(|v| v.parse::<i64>().ok()) {
                        m.insert("Pids".into(), json!(n));
                        p.set(format!("{at}.Pids"), pk.pos);
                    }
                }
            }
            res.insert(field.into(), Value::Object(m));
        }
        task.insert("Resources".into(), Value::Object(res));
    }
    if let Some(rp) = restart_policy(svc, deploy, &mut p) {
        task.insert("RestartPolicy".into(), rp);
    }
    if let Some((pk, pl)) = deploy.and_then(|d| d.entry("placement")) {
        p.set("TaskTemplate.Placement", pk.pos);
        let mut m = Map::new();
        if let Some((ck, cs)) = pl.entry("constraints") {
            m.insert("Constraints".into(), json!(strs(cs)));
            p.set("TaskTemplate.Placement.Constraints", ck.pos);
        }
        if let Some((prk, prefs)) = pl.entry("preferences") {
            let list: Vec<Value> = prefs
                .items()
                .iter()
                .filter_map(|i| i.get("spread").and_then(Node::as_scalar))
                .map(|s| json!({"Spread": {"SpreadDescriptor": s}}))
                .collect();
            m.insert("Preferences".into(), json!(list));
            p.set("TaskTemplate.Placement.Preferences", prk.pos);
        }
        if let Some((mk, mx)) = pl.entry("max_replicas_per_node") {
            if let Some(n) = mx.as_scalar().and_then(|s| s.parse::<u64>().ok()) {
                m.insert("MaxReplicas".into(), json!(n));
                p.set("TaskTemplate.Placement.MaxReplicas", mk.pos);
            }
        }
        task.insert("Placement".into(), Value::Object(m));
    }
    // networks: `<stack>_<net>` (or the declared name), with the
    // service's name as an alias on user-defined ones
    let mut nets: Vec<(String, Value)> = Vec::new();
    let mut net_pos = Vec::new();
    for (net, cfg, pos) in service_networks(svc) {
        let declared = project.doc.get("networks").and_then(|n| n.get(&net));
        let target = if declared.is_some() || net == "default" {
            object_name(project, stack, "networks", &net)
        } else {
            // the CLI refuses an undeclared network ("service web
            // references network x, which is not declared"); a predefined
            // one is what the author meant
            net.clone()
        };
        let mut aliases: Vec<String> = cfg
            .and_then(|c| c.get("aliases"))
            .map(strs)
            .unwrap_or_default();
        if !["host", "bridge", "none", "default"].contains(&target.as_str())
            && !target.starts_with("container:")
        {
            aliases.push(name.to_string());
        }
        let mut a = Map::new();
        a.insert("Target".into(), json!(target));
        if !aliases.is_empty() {
            a.insert("Aliases".into(), json!(aliases));
        }
        nets.push((target, Value::Object(a)));
        net_pos.push(pos);
    }
    // the CLI sorts them by target
    let mut order: Vec<usize> = (0..nets.len()).collect();
    order.sort_by(|a, b| nets.get(*a).map(|n| &n.0).cmp(&nets.get(*b).map(|n| &n.0)));
    let mut list = Vec::new();
    for (i, o) in order.iter().enumerate() {
        if let (Some((_, v)), Some(pos)) = (nets.get(*o), net_pos.get(*o)) {
            p.set(format!("TaskTemplate.Networks[{i}]"), *pos);
            list.push(v.clone());
        }
    }
    if let Some((nk, _)) = svc.entry("networks") {
        p.set("TaskTemplate.Networks", nk.pos);
    }
    task.insert("Networks".into(), json!(list));

    let mut body = Map::new();
    body.insert("Name".into(), json!(scope(stack, name)));
    body.insert(
        "Labels".into(),
        stack_labels(
            stack,
            deploy.and_then(|d| d.get("labels")),
            &mut p,
            "Labels",
        ),
    );
    body.insert("TaskTemplate".into(), Value::Object(task));
    body.insert("Mode".into(), mode(deploy, &mut p));
    for (field, json_name) in [
        ("update_config", "UpdateConfig"),
        ("rollback_config", "RollbackConfig"),
    ] {
        if let Some((uk, u)) = deploy.and_then(|d| d.entry(field)) {
            body.insert(json_name.into(), update_config(u));
            p.set(json_name, uk.pos);
        }
    }
    body.insert("EndpointSpec".into(), endpoint(svc, deploy, &mut p));
    EngineRequest {
        method: "POST",
        target: format!("{API}/services/create"),
        body: Value::Object(body),
        subject: name.to_string(),
        paths: p,
        anchor: key.pos,
    }
}

/// One `volumes:` item as a swarm mount (`convert/volume.go`).
fn mount(project: &Project, stack: &str, it: &Node) -> Option<Value> {
    let home = crate::engine::home(project);
    let mut m = Map::new();
    let (ty, source, target, ro, vol_opts) = if let Some(s) = it.as_scalar() {
        let parts: Vec<&str> = s.splitn(3, ':').collect();
        let (src, target, mode) = match parts.as_slice() {
            [t] => ("", *t, ""),
            [s, t] => (*s, *t, ""),
            [s, t, m] => (*s, *t, *m),
            _ => return None,
        };
        let bind = src.starts_with(['/', '.', '~']);
        let ty = if bind { "bind" } else { "volume" };
        (
            ty.to_string(),
            src.to_string(),
            target.to_string(),
            mode.split(',').any(|o| o == "ro"),
            None,
        )
    } else {
        let ty = it
            .get("type")
            .and_then(Node::as_scalar)
            .unwrap_or_else(|| "volume".into());
        (
            ty,
            it.get("source")
                .and_then(Node::as_scalar)
                .unwrap_or_default(),
            it.get("target")
                .and_then(Node::as_scalar)
                .unwrap_or_default(),
            it.get("read_only").and_then(Node::as_bool).unwrap_or(false),
            Some(it),
        )
    };
    m.insert("Type".into(), json!(ty));
    match ty.as_str() {
        "bind" => {
            m.insert(
                "Source".into(),
                json!(host_path(&source, &project.dir, home)),
            );
            if let Some(prop) = vol_opts
                .and_then(|o| o.get("bind"))
                .and_then(|b| b.get("propagation"))
                .and_then(Node::as_scalar)
            {
                m.insert("BindOptions".into(), json!({"Propagation": prop}));
            }
        }
        "volume" if !source.is_empty() => {
            let def = project.doc.get("volumes").and_then(|v| v.get(&source));
            m.insert(
                "Source".into(),
                json!(object_name(project, stack, "volumes", &source)),
            );
            let mut o = Map::new();
            let mut ignore = PathMap::default();
            o.insert(
                "Labels".into(),
                stack_labels(stack, def.and_then(|d| d.get("labels")), &mut ignore, "x"),
            );
            if let Some(nc) = vol_opts
                .and_then(|v| v.get("volume"))
                .and_then(|v| v.get("nocopy"))
                .and_then(Node::as_bool)
            {
                o.insert("NoCopy".into(), json!(nc));
            }
            if let Some(d) = def.filter(|d| !is_external(d)) {
                if let Some(drv) = d.get("driver").and_then(Node::as_scalar) {
                    let opts = d
                        .get("driver_opts")
                        .map(crate::engine::string_map)
                        .unwrap_or_default();
                    o.insert("DriverConfig".into(), json!({"Name": drv, "Options": opts}));
                } else if let Some(opts) = d.get("driver_opts") {
                    o.insert(
                        "DriverConfig".into(),
                        json!({"Options": crate::engine::string_map(opts)}),
                    );
                }
            }
            m.insert("VolumeOptions".into(), Value::Object(o));
        }
        "tmpfs" => {
            if let Some(n) = vol_opts
                .and_then(|o| o.get("tmpfs"))
                .and_then(|t| t.get("size"))
                .and_then(Node::as_scalar)
                .and_then(|s| bytes(&s))
            {
                m.insert("TmpfsOptions".into(), json!({"SizeBytes": n}));
            }
        }
        _ => {}
    }
    m.insert("Target".into(), json!(target));
    if ro {
        m.insert("ReadOnly".into(), json!(true));
    }
    Some(Value::Object(m))
}

/// A service's secret or config reference (`convertServiceSecrets`):
/// `File` with the target (`/run/secrets/<source>` on the node; configs
/// `/<source>`), uid/gid `0`, mode 0444.
fn reference(project: &Project, stack: &str, section: &str, id: &str, it: &Node) -> Value {
    let (source, target, uid, gid, mode) = match it.as_scalar() {
        Some(s) => (s, None, None, None, None),
        None => {
            let f = |k: &str| it.get(k).and_then(Node::as_scalar);
            (
                f("source").unwrap_or_default(),
                f("target"),
                f("uid"),
                f("gid"),
                it.get("mode").and_then(|m| match &m.kind {
                    Kind::Int(i) => Some(*i),
                    _ => m.as_scalar().and_then(|s| i64::from_str_radix(&s, 8).ok()),
                }),
            )
        }
    };
    let file_name = match (section, target) {
        (_, Some(t)) => t,
        ("configs", None) => format!("/{source}"),
        _ => source.clone(),
    };
    json!({
        id: object_name(project, stack, section, &source),
        "File": {
            "Name": file_name,
            "UID": uid.unwrap_or_else(|| "0".into()),
            "GID": gid.unwrap_or_else(|| "0".into()),
            "Mode": mode.unwrap_or(0o444),
        },
    })
}

fn healthcheck(h: &Node) -> Value {
    let mut m = Map::new();
    if h.get("disable").and_then(Node::as_bool) == Some(true) {
        m.insert("Test".into(), json!(["NONE"]));
        return Value::Object(m);
    }
    if let Some(t) = h.get("test") {
        let test = match &t.kind {
            Kind::Seq(items) => json!(items.iter().filter_map(Node::as_scalar).collect::<Vec<_>>()),
            _ => json!(["CMD-SHELL", t.as_scalar().unwrap_or_default()]),
        };
        m.insert("Test".into(), test);
    }
    for (field, json_name) in [
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ] {
        if let Some(ns) = h
            .get(field)
            .and_then(Node::as_scalar)
            .and_then(|s| duration_ns(&s))
        {
            m.insert(json_name.into(), json!(ns));
        }
    }
    if let Some(r) = h
        .get("retries")
        .and_then(Node::as_scalar)
        .and_then(|s| s.parse::<i64>().ok())
    {
        m.insert("Retries".into(), json!(r));
    }
    Value::Object(m)
}

/// `deploy.restart_policy`, else the service's `restart:` as the CLI
/// reads it (`convertRestartPolicy`).
fn restart_policy(svc: &Node, deploy: Option<&Node>, p: &mut PathMap) -> Option<Value> {
    if let Some((rk, r)) = deploy.and_then(|d| d.entry("restart_policy")) {
        p.set("TaskTemplate.RestartPolicy", rk.pos);
        let mut m = Map::new();
        if let Some(c) = r.get("condition").and_then(Node::as_scalar) {
            m.insert("Condition".into(), json!(c));
        }
        for (field, json_name) in [("delay", "Delay"), ("window", "Window")] {
            if let Some(ns) = r
                .get(field)
                .and_then(Node::as_scalar)
                .and_then(|s| duration_ns(&s))
            {
                m.insert(json_name.into(), json!(ns));
            }
        }
        if let Some(n) = r
            .get("max_attempts")
            .and_then(Node::as_scalar)
            .and_then(|s| s.parse::<u64>().ok())
        {
            m.insert("MaxAttempts".into(), json!(n));
        }
        return Some(Value::Object(m));
    }
    let (rk, r) = svc.entry("restart")?;
    let r = r.as_scalar().unwrap_or_default();
    p.set("TaskTemplate.RestartPolicy", rk.pos);
    let (cond, attempts) = match r.split_once(':') {
        Some(("on-failure", n)) => ("on-failure", n.parse::<u64>().ok()),
        _ => match r.as_str() {
            "no" | "" => ("none", None),
            "on-failure" => ("on-failure", None),
            _ => ("any", None),
        },
    };
    let mut m = Map::new();
    m.insert("Condition".into(), json!(cond));
    if let Some(n) = attempts {
        m.insert("MaxAttempts".into(), json!(n));
    }
    Some(Value::Object(m))
}

/// `deploy.mode` and `deploy.replicas`.
fn mode(deploy: Option<&Node>, p: &mut PathMap) -> Value {
    let replicas = deploy.and_then(|d| d.entry("replicas"));
    if let Some((rk, _)) = replicas {
        p.set("Mode", rk.pos);
    }
    let n = replicas
        .and_then(|(_, r)| r.as_scalar())
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1);
    let m = deploy.and_then(|d| d.entry("mode"));
    if let Some((mk, _)) = m {
        p.set("Mode", mk.pos);
    }
    match m.and_then(|(_, v)| v.as_scalar()).as_deref() {
        Some("global") => json!({"Global": {}}),
        Some("global-job") => json!({"GlobalJob": {}}),
        Some("replicated-job") => {
            json!({"ReplicatedJob": {"MaxConcurrent": n, "TotalCompletions": n}})
        }
        _ => json!({"Replicated": {"Replicas": n}}),
    }
}

fn update_config(u: &Node) -> Value {
    let mut m = Map::new();
    let s = |k: &str| u.get(k).and_then(Node::as_scalar);
    m.insert(
        "Parallelism".into(),
        json!(s("parallelism")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1)),
    );
    for (field, json_name) in [("delay", "Delay"), ("monitor", "Monitor")] {
        if let Some(ns) = s(field).and_then(|v| duration_ns(&v)) {
            m.insert(json_name.into(), json!(ns));
        }
    }
    if let Some(f) = s("failure_action") {
        m.insert("FailureAction".into(), json!(f));
    }
    if let Some(r) = s("max_failure_ratio").and_then(|v| v.parse::<f64>().ok()) {
        m.insert("MaxFailureRatio".into(), json!(r));
    }
    if let Some(o) = s("order") {
        m.insert("Order".into(), json!(o));
    }
    Value::Object(m)
}

/// `ports:` → `EndpointSpec.Ports`, `PublishMode` `ingress` unless
/// `mode: host`; `deploy.endpoint_mode` → `EndpointSpec.Mode`.
fn endpoint(svc: &Node, deploy: Option<&Node>, p: &mut PathMap) -> Value {
    let mut e = Map::new();
    if let Some((mk, m)) = deploy.and_then(|d| d.entry("endpoint_mode")) {
        e.insert(
            "Mode".into(),
            json!(m.as_scalar().unwrap_or_default().to_ascii_lowercase()),
        );
        p.set("EndpointSpec.Mode", mk.pos);
    }
    let mut list = Vec::new();
    if let Some((pk, ps)) = svc.entry("ports") {
        p.set("EndpointSpec.Ports", pk.pos);
        for it in ps.items() {
            let (specs, mode, published_pos) = match it.as_scalar() {
                Some(s) => (ports(&s).unwrap_or_default(), "ingress".to_string(), it.pos),
                None => {
                    let f = |k: &str| it.get(k).and_then(Node::as_scalar).unwrap_or_default();
                    let proto = Some(f("protocol"))
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "tcp".into());
                    let spec = format!("{}:{}/{proto}", f("published"), f("target"));
                    let mode = Some(f("mode"))
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "ingress".into());
                    (
                        ports(&spec).unwrap_or_default(),
                        mode,
                        it.get("published").map_or(it.pos, |n| n.pos),
                    )
                }
            };
            for s in specs {
                let i = list.len();
                p.set(format!("EndpointSpec.Ports[{i}]"), it.pos);
                p.set(
                    format!("EndpointSpec.Ports[{i}].PublishedPort"),
                    published_pos,
                );
                let mut m = Map::new();
                m.insert("Protocol".into(), json!(s.proto));
                m.insert(
                    "TargetPort".into(),
                    json!(s.container.parse::<u32>().unwrap_or(0)),
                );
                if let Ok(h) = s.host_port.parse::<u32>() {
                    m.insert("PublishedPort".into(), json!(h));
                }
                m.insert("PublishMode".into(), json!(mode));
                list.push(Value::Object(m));
            }
        }
    }
    if !list.is_empty() {
        e.insert("Ports".into(), json!(list));
    }
    Value::Object(e)
}

/// Standard base64 with padding (a secret's `Data`).
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let ch = |i: u32| char::from(T.get(((n >> i) & 63) as usize).copied().unwrap_or(b'A'));
        out.push(ch(18));
        out.push(ch(12));
        out.push(if chunk.len() > 1 { ch(6) } else { '=' });
        out.push(if chunk.len() > 2 { ch(0) } else { '=' });
    }
    out
}

/// A container-rule field (the core judges a task template as a container
/// create) → where it stands in the service spec.
fn service_field(field: &str) -> String {
    const CS: &str = "TaskTemplate.ContainerSpec";
    let table: &[(&str, String)] = &[
        ("HostConfig.Mounts", format!("{CS}.Mounts")),
        ("HostConfig.CapAdd", format!("{CS}.CapabilityAdd")),
        ("HostConfig.CapDrop", format!("{CS}.CapabilityDrop")),
        ("HostConfig.Capabilities", format!("{CS}.CapabilityAdd")),
        ("HostConfig.Sysctls", format!("{CS}.Sysctls")),
        ("HostConfig.Init", format!("{CS}.Init")),
        ("HostConfig.ReadonlyRootfs", format!("{CS}.ReadOnly")),
        ("HostConfig.GroupAdd", format!("{CS}.Groups")),
        ("HostConfig.ExtraHosts", format!("{CS}.Hosts")),
        ("HostConfig.OomScoreAdj", format!("{CS}.OomScoreAdj")),
        ("HostConfig.Ulimits", format!("{CS}.Ulimits")),
        ("HostConfig.SecurityOpt", format!("{CS}.Privileges")),
        ("HostConfig.Isolation", format!("{CS}.Isolation")),
        (
            "HostConfig.LogConfig.Type",
            "TaskTemplate.LogDriver.Name".into(),
        ),
        (
            "HostConfig.LogConfig.Config",
            "TaskTemplate.LogDriver.Options".into(),
        ),
        ("HostConfig.LogConfig", "TaskTemplate.LogDriver".into()),
        (
            "HostConfig.Memory",
            "TaskTemplate.Resources.Limits.MemoryBytes".into(),
        ),
        (
            "HostConfig.NanoCpus",
            "TaskTemplate.Resources.Limits.NanoCPUs".into(),
        ),
        (
            "HostConfig.PidsLimit",
            "TaskTemplate.Resources.Limits.Pids".into(),
        ),
        (
            "TaskTemplate.Resources.Limits.Memory",
            "TaskTemplate.Resources.Limits.MemoryBytes".into(),
        ),
        (
            "TaskTemplate.Resources.Limits.NanoCpus",
            "TaskTemplate.Resources.Limits.NanoCPUs".into(),
        ),
        (
            "TaskTemplate.Resources.Limits.PidsLimit",
            "TaskTemplate.Resources.Limits.Pids".into(),
        ),
        ("Healthcheck", format!("{CS}.Healthcheck")),
        ("Image", format!("{CS}.Image")),
    ];
    for (from, to) in table {
        if let Some(rest) = field.strip_prefix(from) {
            // `Memory` must not match `MemoryBytes` or `MemoryReservation`
            if rest.is_empty() || rest.starts_with(['.', '[']) {
                // an index into SecurityOpt does not map onto Privileges
                if *from == "HostConfig.SecurityOpt" {
                    return to.clone();
                }
                return format!("{to}{rest}");
            }
        }
    }
    field.to_string()
}

/// A stable id for an object that does not exist yet: 25 base-36
/// characters for swarm objects, 64 hex for networks.
fn fake_id(name: &str, swarm: bool) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::new();
    for round in 0u64..4 {
        for b in name.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    if swarm {
        // hex is base-36 too; 25 of them
        out.truncate(25);
    }
    out
}

/// Every finding of a stack: the service keys the CLI ignores (info) or
/// refuses (error), then each request judged by the core as `serve` would
/// at `docker stack deploy` time, the stack's own networks, secrets and
/// configs owned by the tenant from their create on.
pub fn lint(
    project: &Project,
    sources: &[Source],
    policy: &Policy,
    tenant: &Tenant,
    stack: &str,
    files: &dyn Files,
) -> Vec<Finding> {
    let _ = sources;
    let st = requests(project, stack, files);
    let mut findings: Vec<Finding> = st
        .ignored
        .iter()
        .map(|i| {
            let (severity, message, help) = if i.forbidden {
                (
                    Severity::Error,
                    format!(
                        "`{}` of service `{}`: docker stack deploy refuses it",
                        i.key, i.service
                    ),
                    "use `deploy.resources` for limits and top-level `volumes` to share data"
                        .to_string(),
                )
            } else {
                (
                    Severity::Info,
                    format!(
                        "`{}` of service `{}` is ignored by docker stack deploy (\"Ignoring unsupported options\")",
                        i.key, i.service
                    ),
                    "drop it, or express it with `deploy:`; the service runs without it".to_string(),
                )
            };
            Finding {
                rule: RuleId::SWARM_SPEC,
                severity,
                message,
                help,
                file: i.pos.file,
                line: i.pos.line,
                col: i.pos.col,
                subject: i.service.clone(),
            }
        })
        .collect();
    let mut facts = Facts::offline();
    facts.usage = Some(Usage {
        containers: Vec::new(),
        offline: false,
    });
    for kind in [
        ResourceKind::Network,
        ResourceKind::Volume,
        ResourceKind::Secret,
        ResourceKind::Config,
        ResourceKind::Service,
    ] {
        facts.set_owned(kind, Vec::new());
    }
    for req in &st.requests {
        findings.extend(judge(policy, tenant, req, &facts));
        // created for the tenant, refused or not (to be fixed): later
        // requests may name it
        let path = req.target.split('?').next().unwrap_or("");
        let kind = if path.ends_with("/networks/create") {
            Some((ResourceKind::Network, false))
        } else if path.ends_with("/secrets/create") {
            Some((ResourceKind::Secret, true))
        } else if path.ends_with("/configs/create") {
            Some((ResourceKind::Config, true))
        } else if path.ends_with("/services/create") {
            Some((ResourceKind::Service, true))
        } else {
            None
        };
        if let (Some((kind, swarm)), Some(name)) =
            (kind, req.body.get("Name").and_then(Value::as_str))
        {
            let engine = engine_name(&tenant.id, name);
            let list = facts.owned_mut(kind);
            if !list.iter().any(|o| o.name == engine) {
                list.push(Owned {
                    id: fake_id(&engine, swarm),
                    name: engine,
                });
            }
        }
    }
    findings
}

/// At most this many denials per request.
const MAX_ROUNDS: usize = 64;

/// The findings of one request: each denial at the compose key its field
/// came from, the field removed and the request judged again.
fn judge(policy: &Policy, tenant: &Tenant, req: &EngineRequest, facts: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut body = req.body.clone();
    for _ in 0..MAX_ROUNDS {
        let d = match verdict(policy, tenant, req, &body, facts) {
            Verdict::Deny(d) => d,
            Verdict::Need(obligations) => {
                out.push(Finding {
                    rule: RuleId::JUDGE_UNDECIDED,
                    severity: Severity::Warning,
                    message: format!(
                        "lint cannot decide {} {} offline ({} facts asked)",
                        req.method,
                        req.target,
                        obligations.len()
                    ),
                    help: "judge it with `fdcs-policy check --state`, or report it".into(),
                    file: req.anchor.file,
                    line: req.anchor.line,
                    col: req.anchor.col,
                    subject: req.subject.clone(),
                });
                break;
            }
            allowed => {
                for w in allowed.warnings() {
                    let severity = match w.mode {
                        EnforcementMode::Audit => Severity::Info,
                        _ => Severity::Warning,
                    };
                    out.push(finding(req, &w.denial, severity));
                }
                break;
            }
        };
        out.push(finding(req, &d, Severity::Error));
        let Some(field) = d.field.as_deref().map(service_field) else {
            break;
        };
        // the whole offending element (`Mounts[1]`, not `Mounts[1].Source`)
        let element = match field.find(']') {
            Some(close) => field.get(..=close).unwrap_or(&field).to_string(),
            None => field.clone(),
        };
        if !remove_path(&mut body, &element) {
            break;
        }
    }
    out
}

fn finding(req: &EngineRequest, d: &Denial, severity: Severity) -> Finding {
    let field = d.field.as_deref().map(service_field);
    crate::verdicts::finding(req, d, field.as_deref(), severity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_the_cli_sends_data() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn container_fields_map_onto_the_service_spec() {
        assert_eq!(
            service_field("HostConfig.Mounts[1].Source"),
            "TaskTemplate.ContainerSpec.Mounts[1].Source"
        );
        assert_eq!(
            service_field("TaskTemplate.Resources.Limits.Memory"),
            "TaskTemplate.Resources.Limits.MemoryBytes"
        );
        assert_eq!(
            service_field("TaskTemplate.Resources.Limits.MemoryBytes"),
            "TaskTemplate.Resources.Limits.MemoryBytes"
        );
        assert_eq!(
            service_field("EndpointSpec.Ports[0]"),
            "EndpointSpec.Ports[0]"
        );
    }
}
