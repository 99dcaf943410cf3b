//! Pure response rewriters: show the tenant its own names back, hide
//! engine-side names and fdcs labels, and drop anything not the tenant's
//! (defence in depth behind the forced owner-label filter).

mod errors;
mod events;
mod images;
mod swarm;

pub(crate) use swarm::service_spec as tenant_service_spec;

pub use errors::{rewrite_error, HIDDEN_ID};
pub use events::rewrite_event;

use serde_json::{Map, Value};

use super::claims::{no_such_image, unclaim_text};

use super::filters::NameFilter;
use super::{is_reserved_label, tenant_name, OWNER_LABEL};
use crate::{ResponseRewrite, Tenant, TenantId};

/// Rewrites a buffered JSON response (any status) for the tenant.
///
/// An error answer (`{"message": ...}`) gets engine-side names replaced by
/// the tenant's; a success answer is rewritten per `plan`. A body that is
/// not JSON is replaced by an empty answer of the expected shape rather than
/// passed through unread (fail closed).
pub fn rewrite_response(plan: &ResponseRewrite, tenant: &Tenant, body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => rewrite_value(plan, tenant, v),
        Err(_) => empty_for(plan).into_bytes(),
    }
}

/// [`rewrite_response`] of an answer already parsed (an inspect read while
/// judging): the same rewrite, without reading the JSON a second time.
fn rewrite_value(plan: &ResponseRewrite, tenant: &Tenant, mut v: Value) -> Vec<u8> {
    let id = &tenant.id;
    // The daemon's error shape is exactly `{"message": "..."}`.
    if let Some(obj) = v.as_object_mut().filter(|o| o.len() == 1) {
        if let Some(Value::String(m)) = obj.get_mut("message") {
            *m = errors::error_text(id, &[], m);
            return to_bytes(&v);
        }
    }
    match plan {
        ResponseRewrite::ContainerList { name_filters } => {
            if let Value::Array(items) = &mut v {
                items.retain(|c| owned_by(c.get("Labels"), id));
                for c in items.iter_mut() {
                    container_summary(id, c);
                }
                let filter = NameFilter::new(name_filters);
                items.retain(|c| {
                    c.get("Names")
                        .and_then(Value::as_array)
                        .is_some_and(|names| {
                            names
                                .iter()
                                .filter_map(Value::as_str)
                                .any(|n| filter.matches(n.trim_start_matches('/')))
                        })
                });
            }
        }
        ResponseRewrite::ContainerInspect => container_inspect(id, &mut v),
        ResponseRewrite::ContainerCreate => {
            if let Some(Value::Array(w)) = v.get_mut("Warnings") {
                for s in w.iter_mut() {
                    unscope_string(id, s);
                }
            }
        }
        ResponseRewrite::NetworkList { name_filters } => {
            if let Value::Array(items) = &mut v {
                items.retain(|n| owned_by(n.get("Labels"), id));
                for n in items.iter_mut() {
                    network(id, n);
                }
                let filter = NameFilter::new(name_filters);
                items.retain(|n| name_of(n).is_some_and(|s| filter.matches(s)));
            }
        }
        ResponseRewrite::NetworkInspect => network(id, &mut v),
        ResponseRewrite::VolumeList { name_filters } => {
            if let Some(Value::Array(items)) = v.get_mut("Volumes") {
                items.retain(|n| owned_by(n.get("Labels"), id));
                for n in items.iter_mut() {
                    volume(id, n);
                }
                let filter = NameFilter::new(name_filters);
                items.retain(|n| name_of(n).is_some_and(|s| filter.matches(s)));
            }
        }
        ResponseRewrite::VolumeInspect => volume(id, &mut v),
        ResponseRewrite::ExecInspect => {}
        ResponseRewrite::Info(view) => v = info(&v, view),
        ResponseRewrite::SystemDf { shared } => system_df(shared, id, &mut v),
        ResponseRewrite::ImageList { shared } => {
            if let Value::Array(items) = &mut v {
                images::list(shared, id, items);
            }
        }
        ResponseRewrite::ImageInspect {
            reference,
            shared,
            history,
        } => {
            let visible = match &mut v {
                Value::Array(layers) if *history => images::history(shared, id, layers),
                img @ Value::Object(_) if !*history => images::apply_view(shared, id, img),
                _ => false,
            };
            if !visible {
                // the status that goes with it is `answer_status`'s business
                return no_such_image(reference).to_json().into_bytes();
            }
        }
        ResponseRewrite::ImageDelete => {
            if let Value::Array(items) = &mut v {
                images::deleted(id, items);
            }
        }
        ResponseRewrite::ServiceList => {
            if let Value::Array(items) = &mut v {
                items.retain(|s| swarm::spec_owned(id, s));
                items.iter_mut().for_each(|s| swarm::service(id, s));
            }
        }
        ResponseRewrite::ServiceInspect => swarm::service(id, &mut v),
        ResponseRewrite::ServiceCreate => {
            if let Some(Value::Array(w)) = v.get_mut("Warnings") {
                for s in w.iter_mut() {
                    if let Value::String(t) = s {
                        *t = errors::error_text(id, &[], t);
                    }
                }
            }
        }
        ResponseRewrite::TaskList => {
            if let Value::Array(items) = &mut v {
                items.retain(|t| swarm::task_owned(id, t));
                items.iter_mut().for_each(|t| swarm::task(id, t));
            }
        }
        ResponseRewrite::TaskInspect => swarm::task(id, &mut v),
        ResponseRewrite::SecretList => {
            if let Value::Array(items) = &mut v {
                items.retain(|s| swarm::spec_owned(id, s));
                items.iter_mut().for_each(|s| swarm::secret(id, s));
            }
        }
        ResponseRewrite::SecretInspect => swarm::secret(id, &mut v),
        ResponseRewrite::NodeList { pool } => {
            if let Value::Array(items) = &mut v {
                items.retain(|n| swarm::in_pool(pool, n));
                for n in items.iter_mut() {
                    *n = swarm::node(pool, n);
                }
            }
        }
        ResponseRewrite::NodeInspect { reference, pool } => {
            if !swarm::in_pool(pool, &v) {
                return crate::tenancy::resolve::not_found_node(reference)
                    .to_json()
                    .into_bytes();
            }
            v = swarm::node(pool, &v);
        }
        ResponseRewrite::Prune => {
            for key in ["VolumesDeleted", "NetworksDeleted"] {
                if let Some(Value::Array(names)) = v.get_mut(key) {
                    for s in names.iter_mut() {
                        unscope_string(id, s);
                    }
                }
            }
        }
    }
    to_bytes(&v)
}

/// The JSON text of `v`. `to_vec` writes straight into a buffer, where
/// `Display` goes through a formatter adapter byte run by byte run.
fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// Rewrites one line of a `docker stats` stream ([`ResponsePlan::Stats`]):
/// the engine-side name (`"name":"/alpha_web"`) becomes the tenant's own.
/// The container was resolved to one the tenant owns before the request
/// went, so a line that is not a stats object passes unchanged.
///
/// [`ResponsePlan::Stats`]: crate::ResponsePlan::Stats
pub fn rewrite_stats_line(tenant: &Tenant, line: &[u8]) -> Vec<u8> {
    let Ok(mut v) = serde_json::from_slice::<Value>(line) else {
        return line.to_vec();
    };
    let Some(name) = v.get_mut("name") else {
        return line.to_vec();
    };
    let Some(own) = name
        .as_str()
        .map(|n| n.strip_prefix('/').unwrap_or(n))
        .and_then(|n| tenant_name(&tenant.id, n))
    else {
        return line.to_vec();
    };
    *name = Value::String(format!("/{own}"));
    let mut out = to_bytes(&v);
    out.push(b'\n');
    out
}

/// Rewrites a buffered answer of any status for the tenant, and gives the
/// status to send with it: an image the tenant may not see is answered
/// `404` in the daemon's words, whatever the engine said. An error answer
/// (400 and up) of any shape is rewritten as [`rewrite_error`] rewrites it,
/// with every id hidden (no request to vouch for one); another answer that
/// is not the daemon's `{"message": ...}` passes as it is.
pub fn rewrite_answer(
    plan: &ResponseRewrite,
    tenant: &Tenant,
    status: u16,
    body: &[u8],
) -> (u16, Vec<u8>) {
    if status >= 400 {
        return (status, errors::rewrite_error_naming(&tenant.id, &[], body));
    }
    if !(200..300).contains(&status) {
        let is_message = serde_json::from_slice::<Value>(body).is_ok_and(|v| {
            v.as_object()
                .is_some_and(|o| o.len() == 1 && o.get("message").is_some_and(Value::is_string))
        });
        if !is_message {
            return (status, body.to_vec());
        }
    }
    let out = rewrite_response(plan, tenant, body);
    (answer_status(plan, status, &out), out)
}

/// [`rewrite_answer`] of a success answer already parsed: an inspect the
/// judging read (owner label checked) is the request's answer, rewritten
/// from the value the lookup parsed instead of from its bytes again.
pub fn rewrite_parsed_answer(
    plan: &ResponseRewrite,
    tenant: &Tenant,
    answer: Value,
) -> (u16, Vec<u8>) {
    let out = rewrite_value(plan, tenant, answer);
    (answer_status(plan, 200, &out), out)
}

/// 404 when an image answer was turned into "No such image".
fn answer_status(plan: &ResponseRewrite, status: u16, out: &[u8]) -> u16 {
    let hidden = (200..300).contains(&status)
        && match plan {
            ResponseRewrite::ImageInspect { .. } => {
                out.starts_with(br#"{"message":"No such image: "#)
            }
            ResponseRewrite::NodeInspect { .. } => out.starts_with(br#"{"message":"node "#),
            _ => false,
        };
    if hidden {
        404
    } else {
        status
    }
}

fn empty_for(plan: &ResponseRewrite) -> String {
    match plan {
        ResponseRewrite::ContainerList { .. }
        | ResponseRewrite::NetworkList { .. }
        | ResponseRewrite::ImageList { .. }
        | ResponseRewrite::ImageDelete
        | ResponseRewrite::ServiceList
        | ResponseRewrite::TaskList
        | ResponseRewrite::SecretList
        | ResponseRewrite::NodeList { .. } => "[]".into(),
        ResponseRewrite::VolumeList { .. } => r#"{"Volumes":[],"Warnings":null}"#.into(),
        _ => "{}".into(),
    }
}

fn owned_by(labels: Option<&Value>, id: &TenantId) -> bool {
    labels
        .and_then(|l| l.get(OWNER_LABEL))
        .and_then(Value::as_str)
        == Some(id.as_str())
}

fn name_of(v: &Value) -> Option<&str> {
    v.get("Name").and_then(Value::as_str)
}

/// Removes reserved labels from a `Labels` object.
fn strip_labels(labels: Option<&mut Value>) {
    if let Some(Value::Object(m)) = labels {
        m.retain(|k, _| !is_reserved_label(k));
    }
}

/// `alpha_web` → `web`; anything else unchanged.
fn unscope_string(id: &TenantId, s: &mut Value) {
    if let Value::String(text) = s {
        if let Some(n) = tenant_name(id, text) {
            *text = n.to_string();
        }
    }
}

/// Each `/`- and `:`-separated segment unscoped: `/alpha_web/db` → `/web/db`,
/// `alpha_data:/data` → `data:/data`.
fn unscope_segments(id: &TenantId, s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut seg = String::new();
    for ch in s.chars() {
        if ch == '/' || ch == ':' {
            out.push_str(tenant_name(id, &seg).unwrap_or(&seg));
            out.push(ch);
            seg.clear();
        } else {
            seg.push(ch);
        }
    }
    out.push_str(tenant_name(id, &seg).unwrap_or(&seg));
    out
}

fn unscope_segments_value(id: &TenantId, v: &mut Value) {
    if let Value::String(s) = v {
        *s = unscope_segments(id, s);
    }
}

/// Replaces `<tenant>_name` by `name` wherever it starts a word in free
/// text (daemon error messages quote engine-side names).
pub fn unscope_text(id: &TenantId, text: &str) -> String {
    let prefix = format!("{id}_");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(&prefix) {
        let boundary = rest[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'));
        let boundary = boundary
            && (pos > 0 || out.is_empty() || {
                out.chars()
                    .next_back()
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'))
            });
        out.push_str(&rest[..pos]);
        if !boundary {
            out.push_str(&prefix);
        }
        rest = &rest[pos + prefix.len()..];
    }
    out.push_str(rest);
    out
}

fn rename_keys(id: &TenantId, v: Option<&mut Value>) {
    if let Some(Value::Object(m)) = v {
        let old = std::mem::take(m);
        let mut new = Map::with_capacity(old.len());
        for (k, val) in old {
            let k = tenant_name(id, &k).map(str::to_string).unwrap_or(k);
            new.insert(k, val);
        }
        *m = new;
    }
}

fn each_in(v: Option<&mut Value>, mut f: impl FnMut(&mut Value)) {
    if let Some(Value::Array(a)) = v {
        a.iter_mut().for_each(&mut f);
    }
}

/// A container's image as the tenant named it (its claim shown back).
fn unclaim_image(id: &TenantId, image: Option<&mut Value>) {
    if let Some(Value::String(s)) = image {
        *s = unclaim_text(id, s);
    }
}

fn container_summary(id: &TenantId, c: &mut Value) {
    each_in(c.get_mut("Names"), |n| unscope_segments_value(id, n));
    unclaim_image(id, c.get_mut("Image"));
    strip_labels(c.get_mut("Labels"));
    if let Some(hc) = c.get_mut("HostConfig") {
        if let Some(m) = hc.get_mut("NetworkMode") {
            unscope_string(id, m);
        }
    }
    if let Some(ns) = c.get_mut("NetworkSettings") {
        rename_keys(id, ns.get_mut("Networks"));
    }
    each_in(c.get_mut("Mounts"), |m| mount(id, m));
}

/// A mount of a container, in a list or an inspect: a volume's name as
/// the tenant's, and not where the volume lives on the host. A bind's
/// source is the path the creator gave (only a policy that allows binds
/// lets one through), so it stays.
fn mount(id: &TenantId, m: &mut Value) {
    if let Some(n) = m.get_mut("Name") {
        unscope_string(id, n);
    }
    if m.get("Type").and_then(Value::as_str) == Some("volume") {
        blank(m, "Source");
    }
}

/// An inspect's string field emptied, where it is present: the host's
/// paths are no tenant's business (invariant 11), and an empty string is
/// what a Go client reads for a path the engine does not have.
fn blank(v: &mut Value, key: &str) {
    if let Some(s) = v.get_mut(key).filter(|s| s.is_string()) {
        *s = Value::String(String::new());
    }
}

/// Where the daemon keeps a container's files on the host.
const HOST_PATHS: &[&str] = &["LogPath", "ResolvConfPath", "HostnamePath", "HostsPath"];

fn container_inspect(id: &TenantId, c: &mut Value) {
    for key in HOST_PATHS {
        blank(c, key);
    }
    // the storage driver's directories on the host (image inspect drops it too)
    if let Some(o) = c.as_object_mut() {
        o.remove("GraphDriver");
    }
    if let Some(n) = c.get_mut("Name") {
        unscope_segments_value(id, n);
    }
    if let Some(cfg) = c.get_mut("Config") {
        strip_labels(cfg.get_mut("Labels"));
        unclaim_image(id, cfg.get_mut("Image"));
    }
    if let Some(hc) = c.get_mut("HostConfig") {
        for key in ["NetworkMode", "PidMode", "IpcMode"] {
            if let Some(m) = hc.get_mut(key) {
                unscope_segments_value(id, m);
            }
        }
        for key in ["Binds", "Links", "VolumesFrom"] {
            each_in(hc.get_mut(key), |b| unscope_segments_value(id, b));
        }
    }
    if let Some(ns) = c.get_mut("NetworkSettings") {
        rename_keys(id, ns.get_mut("Networks"));
        // `/var/run/docker/netns/<id>`: the namespace's file on the host
        blank(ns, "SandboxKey");
    }
    each_in(c.get_mut("Mounts"), |m| mount(id, m));
}

fn network(id: &TenantId, n: &mut Value) {
    if let Some(name) = n.get_mut("Name") {
        unscope_string(id, name);
    }
    strip_labels(n.get_mut("Labels"));
    if let Some(Value::Object(cs)) = n.get_mut("Containers") {
        for c in cs.values_mut() {
            if let Some(name) = c.get_mut("Name") {
                unscope_string(id, name);
            }
        }
    }
}

fn volume(id: &TenantId, v: &mut Value) {
    if let Some(name) = v.get_mut("Name") {
        unscope_string(id, name);
    }
    // `/var/lib/docker/volumes/<engine name>/_data`: a host path
    blank(v, "Mountpoint");
    strip_labels(v.get_mut("Labels"));
}

/// `/info` keeps only fields that describe the engine, not other tenants.
fn info(v: &Value, view: &crate::InfoView) -> Value {
    const KEEP: &[&str] = &[
        "ID",
        "Driver",
        "MemoryLimit",
        "SwapLimit",
        "KernelMemory",
        "CpuCfsPeriod",
        "CpuCfsQuota",
        "CPUShares",
        "CPUSet",
        "PidsLimit",
        "IPv4Forwarding",
        "Debug",
        "OomKillDisable",
        "LoggingDriver",
        "CgroupDriver",
        "CgroupVersion",
        "KernelVersion",
        "OperatingSystem",
        "OSVersion",
        "OSType",
        "Architecture",
        "NCPU",
        "MemTotal",
        "IndexServerAddress",
        "ServerVersion",
        "DefaultRuntime",
        "Isolation",
        "SecurityOptions",
        "ExperimentalBuild",
        "Runtimes",
    ];
    let mut out = Map::new();
    for key in KEEP {
        if let Some(val) = v.get(*key) {
            out.insert((*key).to_string(), val.clone());
        }
    }
    let c = view.containers;
    for (key, n) in [
        ("Containers", c.total),
        ("ContainersRunning", c.running),
        ("ContainersPaused", c.paused),
        ("ContainersStopped", c.stopped),
        ("Images", view.images),
    ] {
        out.insert(key.to_string(), Value::from(n));
    }
    // the tenant's share where the engine shows the host's capacity
    if let Some(n) = view.ncpu {
        out.insert("NCPU".into(), Value::from(n));
    }
    if let Some(m) = view.mem_total {
        out.insert("MemTotal".into(), Value::from(m));
    }
    out.insert("Name".into(), Value::from("fdcs"));
    // the node's swarm state only where the policy lets tenants use the
    // swarm (`docker stack deploy` checks ControlAvailable); never its
    // addresses, managers or the cluster's details
    let engine_swarm = v.get("Swarm").filter(|_| view.swarm);
    let state = engine_swarm
        .and_then(|s| s.get("LocalNodeState"))
        .cloned()
        .unwrap_or_else(|| Value::from("inactive"));
    let control = engine_swarm
        .and_then(|s| s.get("ControlAvailable"))
        .cloned()
        .unwrap_or(Value::Bool(false));
    // the node's id is in `docker node ls` anyway (`node ps self` reads it)
    let node = engine_swarm
        .and_then(|s| s.get("NodeID"))
        .cloned()
        .unwrap_or_else(|| Value::from(""));
    out.insert(
        "Swarm".into(),
        serde_json::json!({"LocalNodeState": state, "NodeID": node, "NodeAddr": "", "ControlAvailable": control, "Error": "", "RemoteManagers": null}),
    );
    Value::Object(out)
}

/// `/system/df` as the tenant's own: its containers and volumes, the
/// images it may see (each with the number of its own containers that use
/// it), what their layers take, and no build cache (which belongs to no
/// tenant).
fn system_df(shared: &[String], id: &TenantId, v: &mut Value) {
    let mut uses: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    if let Some(Value::Array(cs)) = v.get_mut("Containers") {
        cs.retain(|c| owned_by(c.get("Labels"), id));
        for c in cs.iter_mut() {
            if let Some(image) = c.get("ImageID").and_then(Value::as_str) {
                *uses.entry(image.to_string()).or_default() += 1;
            }
            container_summary(id, c);
        }
    }
    if let Some(Value::Array(vs)) = v.get_mut("Volumes") {
        vs.retain(|n| owned_by(n.get("Labels"), id));
        for n in vs.iter_mut() {
            volume(id, n);
        }
    }
    let mut layers = 0;
    if let Some(Value::Array(imgs)) = v.get_mut("Images") {
        images::list(shared, id, imgs);
        for i in imgs.iter_mut() {
            // the engine counts every tenant's containers; the tenant sees its own
            let own = i
                .get("Id")
                .and_then(Value::as_str)
                .and_then(|img| uses.get(img))
                .copied()
                .unwrap_or(0);
            if let Some(c) = i.get_mut("Containers") {
                *c = Value::from(own);
            }
        }
        layers = layers_size(imgs);
    }
    if let Some(o) = v.as_object_mut() {
        if o.contains_key("LayersSize") {
            o.insert("LayersSize".into(), Value::from(layers));
        }
        // the build cache is the engine's, shared by whoever builds
        o.insert("BuildCache".into(), Value::Array(Vec::new()));
        if o.contains_key("BuilderSize") {
            o.insert("BuilderSize".into(), Value::from(0));
        }
    }
}

/// What the layers of these images take together, for `LayersSize`: each
/// image's own layers (`Size - SharedSize`) once, and the largest part any
/// of them shares. Never more than the union of their layers (a layer the
/// tenant's images share with one another is counted once), exact when
/// what they share is one common base; the engine's own total would show
/// the size of images the tenant may not see.
fn layers_size(imgs: &[Value]) -> i64 {
    let field = |i: &Value, k: &str| i.get(k).and_then(Value::as_i64).unwrap_or(0).max(0);
    let own: i64 = imgs
        .iter()
        .map(|i| (field(i, "Size") - field(i, "SharedSize")).max(0))
        .fold(0, i64::saturating_add);
    let shared = imgs
        .iter()
        .map(|i| field(i, "SharedSize"))
        .max()
        .unwrap_or(0);
    own.saturating_add(shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alpha() -> Tenant {
        Tenant::new(TenantId::new("alpha").unwrap())
    }

    fn rw(plan: ResponseRewrite, v: Value) -> Value {
        serde_json::from_slice(&rewrite_response(&plan, &alpha(), v.to_string().as_bytes()))
            .unwrap()
    }

    #[test]
    fn container_list_shows_own_names_only() {
        let v = json!([
            {"Id":"a","Names":["/alpha_web"],"Labels":{"fdcs.tenant":"alpha","x":"y"},
             "HostConfig":{"NetworkMode":"alpha_bridge"},
             "NetworkSettings":{"Networks":{"alpha_bridge":{}}},"Mounts":[{"Name":"alpha_data"}]},
            {"Id":"b","Names":["/beta_web"],"Labels":{"fdcs.tenant":"beta"}},
            {"Id":"c","Names":["/alpha_forged"],"Labels":{}}
        ]);
        let out = rw(
            ResponseRewrite::ContainerList {
                name_filters: vec![],
            },
            v,
        );
        assert_eq!(
            out,
            json!([{"Id":"a","Names":["/web"],"Labels":{"x":"y"},"HostConfig":{"NetworkMode":"bridge"},
                    "NetworkSettings":{"Networks":{"bridge":{}}},"Mounts":[{"Name":"data"}]}])
        );
    }

    #[test]
    fn name_filters_apply_to_tenant_names() {
        let v = json!([
            {"Names":["/alpha_web"],"Labels":{"fdcs.tenant":"alpha"}},
            {"Names":["/alpha_db"],"Labels":{"fdcs.tenant":"alpha"}}
        ]);
        let out = rw(
            ResponseRewrite::ContainerList {
                name_filters: vec!["^web$".into()],
            },
            v,
        );
        assert_eq!(out.as_array().unwrap().len(), 1);
    }

    #[test]
    fn inspect_hides_labels_and_scoped_names() {
        let v = json!({"Name":"/alpha_web","Config":{"Labels":{"fdcs.tenant":"alpha"}},
            "HostConfig":{"Binds":["alpha_data:/data"],"NetworkMode":"alpha_bridge","Links":["/alpha_db:/alpha_web/db"]},
            "NetworkSettings":{"Networks":{"alpha_bridge":{}}}});
        let out = rw(ResponseRewrite::ContainerInspect, v);
        assert_eq!(out["Name"], "/web");
        assert_eq!(out["Config"]["Labels"], json!({}));
        assert_eq!(out["HostConfig"]["Binds"][0], "data:/data");
        assert_eq!(out["HostConfig"]["Links"][0], "/db:/web/db");
        assert!(out["NetworkSettings"]["Networks"].get("bridge").is_some());
    }

    #[test]
    fn inspect_and_lists_show_no_host_paths() {
        let v = json!({"Name":"/alpha_web","LogPath":"/var/lib/docker/containers/x/x-json.log",
            "ResolvConfPath":"/var/lib/docker/containers/x/resolv.conf","HostnamePath":"/h","HostsPath":"/hs",
            "GraphDriver":{"Data":{"MergedDir":"/var/lib/docker/overlay2/x/merged"},"Name":"overlay2"},
            "NetworkSettings":{"SandboxKey":"/var/run/docker/netns/abc","Networks":{}},
            "Mounts":[{"Type":"volume","Name":"alpha_data","Source":"/var/lib/docker/volumes/alpha_data/_data","Destination":"/data"},
                      {"Type":"bind","Source":"/srv/given","Destination":"/b"}]});
        let out = rw(ResponseRewrite::ContainerInspect, v);
        let text = out.to_string();
        assert!(!text.contains("/var/"), "{text}");
        assert_eq!(out["LogPath"], "");
        assert_eq!(out["Mounts"][0]["Name"], "data");
        assert_eq!(out["Mounts"][0]["Destination"], "/data");
        // what a bind's creator gave stays (binds are a policy's choice)
        assert_eq!(out["Mounts"][1]["Source"], "/srv/given");
        let vols = json!({"Volumes":[{"Name":"alpha_data","Labels":{"fdcs.tenant":"alpha"},
            "Mountpoint":"/var/lib/docker/volumes/alpha_data/_data"}],"Warnings":null});
        let out = rw(
            ResponseRewrite::VolumeList {
                name_filters: vec![],
            },
            vols,
        );
        assert_eq!(out["Volumes"][0]["Mountpoint"], "");
        let out = rw(
            ResponseRewrite::VolumeInspect,
            json!({"Name":"alpha_data","Mountpoint":"/var/lib/docker/volumes/alpha_data/_data"}),
        );
        assert_eq!(out, json!({"Name":"data","Mountpoint":""}));
    }

    #[test]
    fn error_messages_show_tenant_names() {
        let v = json!({"message":"Conflict. The container name \"/alpha_web\" is already in use"});
        let out = rw(ResponseRewrite::ContainerCreate, v);
        assert_eq!(
            out["message"],
            "Conflict. The container name \"/web\" is already in use"
        );
        assert_eq!(
            unscope_text(&alpha().id, "xalpha_web alpha_db"),
            "xalpha_web db"
        );
    }

    #[test]
    fn events_of_others_and_unlabelled_are_dropped() {
        let t = alpha();
        let mine = br#"{"Type":"container","Actor":{"ID":"x","Attributes":{"name":"alpha_web","fdcs.tenant":"alpha"}}}"#;
        let out: Value = serde_json::from_slice(&rewrite_event(&t, mine).unwrap()).unwrap();
        assert_eq!(out["Actor"]["Attributes"], json!({"name":"web"}));
        let theirs = br#"{"Type":"container","Actor":{"Attributes":{"name":"beta_web","fdcs.tenant":"beta"}}}"#;
        assert!(rewrite_event(&t, theirs).is_none());
        assert!(rewrite_event(
            &t,
            br#"{"Type":"container","Actor":{"Attributes":{"name":"alpha_x"}}}"#
        )
        .is_none());
        let image =
            br#"{"Type":"image","Actor":{"ID":"busybox","Attributes":{"fdcs.tenant":"alpha"}}}"#;
        assert!(rewrite_event(&t, image).is_none());
        assert!(rewrite_event(&t, b"garbage").is_none());
    }

    #[test]
    fn info_hides_counts_and_names() {
        let out = rw(
            ResponseRewrite::Info(crate::InfoView::default()),
            json!({"Containers":12,"Name":"host1","NCPU":2,"Plugins":{}}),
        );
        assert_eq!(out["Containers"], 0);
        assert_eq!(out["Name"], "fdcs");
        assert_eq!(out["NCPU"], 2);
        assert!(out.get("Plugins").is_none());
        // the tenant's own counts and quotas where the host's would show
        let view = crate::InfoView {
            containers: crate::tenancy::usage::Counts {
                total: 3,
                running: 1,
                paused: 1,
                stopped: 1,
            },
            ncpu: Some(4),
            mem_total: Some(4 << 30),
            images: 2,
            swarm: false,
        };
        let out = rw(
            ResponseRewrite::Info(view),
            json!({"Containers":12,"ContainersRunning":9,"NCPU":64,"MemTotal":1_u64 << 40}),
        );
        assert_eq!(out["Containers"], 3);
        assert_eq!(out["ContainersRunning"], 1);
        assert_eq!(out["ContainersPaused"], 1);
        assert_eq!(out["ContainersStopped"], 1);
        assert_eq!(out["NCPU"], 4);
        assert_eq!(out["MemTotal"], 4_i64 << 30);
        assert_eq!(out["Images"], 2);
    }

    #[test]
    fn non_json_success_answers_are_not_passed_through() {
        let out = rewrite_response(
            &ResponseRewrite::ContainerList {
                name_filters: vec![],
            },
            &alpha(),
            b"<html>",
        );
        assert_eq!(out, b"[]");
    }

    #[test]
    fn a_stats_line_shows_the_tenants_own_name_and_others_pass_unchanged() {
        let out = rewrite_stats_line(
            &alpha(),
            br#"{"name":"/alpha_web","id":"abc","pids_stats":{"current":1}}"#,
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["name"], "/web");
        assert_eq!(v["pids_stats"]["current"], 1);
        for line in [
            &b"not json"[..],
            br#"{"id":"x"}"#,
            br#"{"name":"/beta_db"}"#,
            br#"{"name":7}"#,
        ] {
            assert_eq!(rewrite_stats_line(&alpha(), line), line.to_vec());
        }
    }
}
