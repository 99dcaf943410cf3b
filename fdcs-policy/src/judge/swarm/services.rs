//! `POST /services/create` and `POST /services/{id}/update`: a service's
//! task template is judged by the container rules — the very same ones,
//! reading the same model — through its projection onto a container create
//! ([`project`]), and what they settle (limits, tmpfs sizes, log options) is
//! written back ([`write_back`]). What only services have is judged here:
//! published ports (never the shared ingress), networks (the tenant's own
//! overlays), secrets and configs (the tenant's own), placement (the
//! policy's node pool), and a rollback (the spec it would restore).

use serde_json::json;

use super::super::ctx::{Ctx, Stop};
use crate::decode::{
    decode, encode, ContainerCreate, ContainerSpec, HostConfig, LogConfig, ServiceSpec, TaskSpec,
};
use crate::rules::resources::Mode;
use crate::rules::{bounds, mounts, privileges, resources};
use crate::tenancy::{claim_labels, engine_name, names, scoped_name, OWNER_LABEL};
use crate::{Denial, Forward, Prelude, ResourceKind, ResponsePlan, ResponseRewrite};

/// The network every service of a tenant joins when it names none, in
/// place of the engine's shared `bridge` (where tasks of every tenant
/// could reach each other). An overlay of the tenant's own.
pub(crate) const DEFAULT_OVERLAY: &str = "default-overlay";

/// Networks no service of a tenant may join: shared by everyone on the
/// node (`bridge`, `ingress`) or the host's own (`host`).
const SHARED_NETWORKS: &[&str] = &["bridge", "host", "ingress", "docker_gwbridge", "none"];

/// The first API version whose `Resources.Limits` has `Pids`: below it the
/// daemon drops the field, and a service's tasks would run without a pids
/// limit.
const PIDS_SINCE: crate::route::ApiVersion = crate::route::ApiVersion::new(1, 41);

pub(super) fn create(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let mut spec: ServiceSpec = decode(&cx.req.body)?;
    let tenant = &cx.tenant.id;
    // Never left to the daemon: its generated names are engine-wide.
    let name = match spec.annotations.name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => names::generated(
            cx.req
                .entropy
                .unwrap_or_else(|| names::derived_entropy(tenant, &cx.req.body)),
        ),
    };
    spec.annotations.name = Some(scoped_name(tenant, &name, "service")?);
    let mut prelude = Vec::new();
    judge_spec(cx, &mut spec, &mut prelude, None)?;
    cx.mark_rewritten();
    let mut fwd = cx.forward(
        cx.req.path.clone(),
        &cx.query,
        Some(encode(&spec)),
        ResponsePlan::Rewrite(ResponseRewrite::ServiceCreate),
    );
    fwd.registry_auth = registry_auth(cx, &spec)?;
    fwd.prelude = prelude;
    Ok(fwd)
}

/// An update: the spec sent is judged as a create's (its name is the
/// service's own); `rollback=previous` is the spec the engine kept from
/// before the last update, which the engine would restore unjudged — it is
/// judged like any other and sent as the update instead.
pub(super) fn update(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let owned = cx.resolve(ResourceKind::Service, cx.route.reference())?;
    let mut q = cx.query.clone();
    let rollback = q.get("rollback").is_some_and(|r| r == "previous");
    // what the engine keeps of it: read with the inspect that resolved it
    let facts = cx.facts.services.get(&owned.id).ok_or_else(|| {
        Stop::Need(crate::Obligation::ServiceSpec {
            id: owned.id.clone(),
        })
    })?;
    let mut spec: ServiceSpec = if rollback {
        let Some(previous) = facts.as_ref().and_then(|f| f.previous_spec.as_ref()) else {
            return Err(Stop::Deny(Denial::daemon(
                400,
                None,
                format!(
                    "service {} does not have a previous spec",
                    cx.route.reference()
                ),
            )));
        };
        q.remove("rollback");
        // judged as the tenant would send it: its own names, no fdcs label
        let mut view = previous.clone();
        crate::tenancy::rewrite::tenant_service_spec(&cx.tenant.id, &mut view);
        decode(view.to_string().as_bytes())?
    } else {
        decode(&cx.req.body)?
    };
    // a service keeps its name (swarm refuses renames)
    let given = spec.annotations.name.clone().unwrap_or_default();
    if engine_name(&cx.tenant.id, &given) != owned.name {
        return Err(Stop::Deny(Denial::daemon(
            400,
            None,
            "rpc error: code = Unimplemented desc = renaming services is not supported".to_string(),
        )));
    }
    spec.annotations.name = Some(owned.name.clone());
    let mut prelude = Vec::new();
    let holds = facts
        .as_ref()
        .map(|f| (f.holds, f.replicas))
        .unwrap_or_default();
    judge_spec(cx, &mut spec, &mut prelude, Some(holds))?;
    cx.mark_rewritten();
    let mut fwd = cx.forward(
        cx.path_with_ref(&owned.id)?,
        &q,
        Some(encode(&spec)),
        ResponsePlan::Rewrite(ResponseRewrite::ServiceCreate),
    );
    // `registryAuthFrom=previous-spec` would send credentials nobody
    // judged for this image: only the request's own are forwarded
    if q.get("registryAuthFrom").is_some_and(|f| f != "spec") {
        q.set("registryAuthFrom", "spec");
        fwd.query = q.encode();
    }
    fwd.registry_auth = registry_auth(cx, &spec)?;
    fwd.prelude = prelude;
    Ok(fwd)
}

/// Every rule on a spec, and every reference in it scoped to the tenant;
/// `holds` is what the service holds now (an update).
fn judge_spec(
    cx: &Ctx<'_>,
    spec: &mut ServiceSpec,
    prelude: &mut Vec<Prelude>,
    holds: Option<(crate::tenancy::usage::Reservation, u64)>,
) -> Result<(), Stop> {
    let tenant = &cx.tenant.id;
    claim_labels(&mut spec.annotations.labels, tenant, "Labels")?;
    let task = spec.task_template.get_or_insert_with(TaskSpec::default);
    refuse_other_runtimes(task)?;
    let container = task
        .container_spec
        .get_or_insert_with(ContainerSpec::default);
    // every task's container carries the owner label, so that the
    // container routes see the tenant's own tasks and no one else's
    claim_labels(
        &mut container.labels,
        tenant,
        "TaskTemplate.ContainerSpec.Labels",
    )?;
    let given = container.image.clone().unwrap_or_default();
    container.image = Some(super::super::images::container_image(cx, &given)?);
    refuse_templates(container)?;
    // an image mount shows an image's files: the tenant's view of images
    // applies, as for a container's
    for m in container.mounts.iter_mut().flatten() {
        if m.type_
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("image"))
        {
            let source = m.source.as_deref().unwrap_or("");
            m.source = Some(super::super::images::container_image(cx, source)?);
        }
    }
    let generic = task
        .resources
        .as_ref()
        .and_then(|r| r.reservations.as_ref())
        .and_then(|r| r.generic_resources.as_ref())
        .is_some_and(|g| !g.is_null() && g.as_array().is_none_or(|a| !a.is_empty()));
    if generic {
        return Err(Stop::Deny(
            Denial::policy(
                crate::RuleId::SWARM_SPEC,
                "generic resources (GPUs and other node devices) are not allowed",
                "reserve CPUs and memory only (--reserve-cpu, --reserve-memory)",
            )
            .at("TaskTemplate.Resources.Reservations.GenericResources"),
        ));
    }

    let mut projected = project(task);
    let en = &cx.enforcer;
    let p = cx.policy;
    {
        let hc = projected
            .host_config
            .get_or_insert_with(HostConfig::default);
        mounts::check(&p.mounts, hc, en)?;
        privileges::check(&p.privileges, hc, en)?;
        if cx.route.api_version() < PIDS_SINCE {
            return Err(Stop::Deny(Denial::malformed(
                crate::RuleId::RESOURCES_PIDS,
                format!(
                    "API version {} cannot limit a service's pids (the daemon drops Limits.Pids below 1.41)",
                    cx.route.api_version()
                ),
                "use API version 1.41 or newer (DOCKER_API_VERSION=1.41)",
            )));
        }
        resources::apply(
            &p.resources,
            cx.tenant,
            &mut hc.resources,
            Mode::Create,
            "TaskTemplate.Resources.Limits",
            en,
        )?;
    }
    bounds::apply_create(&p.bounds, &p.volumes, &mut projected, en)?;
    write_back(task, projected);

    let container = task
        .container_spec
        .get_or_insert_with(ContainerSpec::default);
    for m in container.mounts.iter_mut().flatten() {
        scope_volume_mount(cx, m)?;
    }
    scope_secrets(cx, container)?;
    placement(cx, task)?;
    let default_net = scope_networks(cx, spec)?;
    if let Some(net) = default_net {
        prelude.push(default_overlay(cx, &net));
    }
    ports(cx, spec)?;
    quota(cx, spec, holds)
}

/// The quotas, on what each task may take times the replicas.
fn quota(
    cx: &Ctx<'_>,
    spec: &mut ServiceSpec,
    holds: Option<(crate::tenancy::usage::Reservation, u64)>,
) -> Result<(), Stop> {
    let ports = spec
        .endpoint_spec
        .as_ref()
        .and_then(|e| e.ports.as_ref())
        .map_or(0, Vec::len);
    let mode = spec.mode.as_ref();
    // a global service runs one task per node of the pool, which the core
    // does not know: counted as one (DESIGN.md "Swarm")
    let replicas = mode
        .and_then(|m| m.replicated.as_ref())
        .map(|r| r.replicas.unwrap_or(1))
        .or_else(|| {
            mode.and_then(|m| m.replicated_job.as_ref())
                .map(|j| j.max_concurrent.unwrap_or(1))
        })
        .unwrap_or(1);
    let task = spec.task_template.get_or_insert_with(TaskSpec::default);
    let limits = task
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .cloned()
        .unwrap_or_default();
    let per_task = crate::tenancy::usage::Reservation {
        memory: limits.memory_bytes.unwrap_or(0).max(0),
        nano_cpus: limits.nano_cpus.unwrap_or(0).max(0),
        pids: limits.pids.unwrap_or(0).max(0),
        ports: i64::try_from(ports).unwrap_or(i64::MAX),
    };
    let container = task
        .container_spec
        .get_or_insert_with(ContainerSpec::default);
    super::super::quotas::on_service(cx, &mut container.labels, per_task, replicas, holds)
}

/// Swarm expands Go templates (`{{.Node.Hostname}}`, `{{"x"}}`) in a
/// task's mounts, hostname and environment on the node, after fdcs judged
/// the text: a mount's judged path would not be the one mounted, and the
/// node's hostname, which fdcs hides, would reach the task. Templates in
/// mounts are refused, and anywhere else those that name the node.
fn refuse_templates(c: &ContainerSpec) -> Result<(), Stop> {
    let deny = |field: &str, what: &str| {
        Err(Stop::Deny(
            Denial::policy(
                crate::RuleId::SWARM_SPEC,
                format!("templates {what} are not allowed (`{field}`)"),
                "write the value itself; `{{.Service.Name}}` and `{{.Task.Slot}}` work outside mounts",
            )
            .at(format!("TaskTemplate.ContainerSpec.{field}")),
        ))
    };
    for (i, m) in c.mounts.iter().flatten().enumerate() {
        if serde_json::to_string(m).is_ok_and(|t| t.contains("{{")) {
            return deny(&format!("Mounts[{i}]"), "in mounts");
        }
    }
    let names_node = |t: &str| t.contains("{{") && t.contains("Node");
    if c.hostname.as_deref().is_some_and(names_node) {
        return deny("Hostname", "that name the node");
    }
    if let Some(i) = c.env.iter().flatten().position(|e| names_node(e)) {
        return deny(&format!("Env[{i}]"), "that name the node");
    }
    if c.labels
        .iter()
        .flatten()
        .any(|(k, v)| names_node(k) || names_node(v))
    {
        return deny("Labels", "that name the node");
    }
    Ok(())
}

/// A task template that is not a container: a plugin or a network
/// attachment (swarm's internal kinds) runs nothing fdcs can judge.
fn refuse_other_runtimes(task: &TaskSpec) -> Result<(), Stop> {
    let other = [
        ("PluginSpec", task.plugin_spec.is_some()),
        (
            "NetworkAttachmentSpec",
            task.network_attachment_spec.is_some(),
        ),
        (
            "Runtime",
            task.runtime
                .as_deref()
                .is_some_and(|r| !r.is_empty() && r != "container"),
        ),
    ];
    if let Some((field, _)) = other.iter().find(|(_, set)| *set) {
        return Err(Stop::Deny(
            Denial::policy(
                crate::RuleId::SWARM_SPEC,
                format!("`TaskTemplate.{field}` is not allowed: only container services run"),
                "create a service of containers (docker service create IMAGE)",
            )
            .at(format!("TaskTemplate.{field}")),
        ));
    }
    Ok(())
}

/// The container create the task template stands for: the fields the
/// container rules read, moved into the container model (the same Go types
/// where swarm shares them: mounts, health checks, ulimits).
fn project(task: &mut TaskSpec) -> ContainerCreate {
    let c = task
        .container_spec
        .get_or_insert_with(ContainerSpec::default);
    let mut hc = HostConfig {
        mounts: c.mounts.take(),
        cap_add: c.capability_add.take(),
        cap_drop: c.capability_drop.take(),
        sysctls: c.sysctls.take(),
        init: c.init.take(),
        isolation: c.isolation.take(),
        readonly_rootfs: c.read_only.take(),
        group_add: c.groups.take(),
        extra_hosts: c.hosts.take(),
        oom_score_adj: c.oom_score_adj.take(),
        ..HostConfig::default()
    };
    if let Some(p) = &c.privileges {
        hc.security_opt = Some(security_opts(p));
    }
    hc.resources.ulimits = c.ulimits.take();
    if let Some(r) = &task.resources {
        if let Some(l) = &r.limits {
            hc.resources.nano_cpus = l.nano_cpus;
            hc.resources.memory = l.memory_bytes;
            hc.resources.pids_limit = l.pids;
        }
        if let Some(res) = &r.reservations {
            hc.resources.memory_reservation = res.memory_bytes;
        }
    }
    if let Some(d) = &task.log_driver {
        hc.log_config = Some(LogConfig {
            type_: d.name.clone(),
            config: d.options.clone(),
        });
    }
    ContainerCreate {
        image: c.image.clone(),
        labels: c.labels.clone(),
        healthcheck: c.healthcheck.take(),
        host_config: Some(hc),
        ..ContainerCreate::default()
    }
}

/// What the rules settled, back into the task template.
fn write_back(task: &mut TaskSpec, projected: ContainerCreate) {
    let mut hc = projected.host_config.unwrap_or_default();
    let c = task
        .container_spec
        .get_or_insert_with(ContainerSpec::default);
    c.mounts = hc.mounts.take();
    c.capability_add = hc.cap_add.take();
    c.capability_drop = hc.cap_drop.take();
    c.sysctls = hc.sysctls.take();
    c.init = hc.init.take();
    c.isolation = hc.isolation.take();
    c.read_only = hc.readonly_rootfs.take();
    c.groups = hc.group_add.take();
    c.hosts = hc.extra_hosts.take();
    c.oom_score_adj = hc.oom_score_adj.take();
    c.ulimits = hc.resources.ulimits.take();
    c.healthcheck = projected.healthcheck;
    let r = task.resources.get_or_insert_with(Default::default);
    let l = r.limits.get_or_insert_with(Default::default);
    l.nano_cpus = hc.resources.nano_cpus;
    l.memory_bytes = hc.resources.memory;
    l.pids = hc.resources.pids_limit;
    if let Some(log) = hc.log_config {
        let d = task.log_driver.get_or_insert_with(Default::default);
        d.name = log.type_;
        d.options = log.config;
    }
}

/// A service's `Privileges` in the words of a container's `SecurityOpt`,
/// which the privileges rule judges: what disables a confinement
/// (`label=disable`, `seccomp=unconfined`, `apparmor=unconfined`), a
/// custom profile or label, a credential spec.
fn security_opts(p: &crate::decode::Privileges) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = &p.se_linux_context {
        if s.disable == Some(true) {
            out.push("label=disable".to_string());
        }
        for (k, v) in [
            ("user", &s.user),
            ("role", &s.role),
            ("type", &s.type_),
            ("level", &s.level),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.push(format!("label={k}:{v}"));
            }
        }
    }
    if let Some(s) = &p.seccomp {
        match s.mode.as_deref() {
            None | Some("" | "default") => {}
            Some("unconfined") => out.push("seccomp=unconfined".into()),
            Some(other) => out.push(format!("seccomp={other}")),
        }
        if s.profile.as_ref().is_some_and(|p| !p.is_empty()) {
            out.push("seccomp=<custom profile>".into());
        }
    }
    if let Some(a) = &p.app_armor {
        match a.mode.as_deref() {
            None | Some("" | "default") => {}
            Some("disabled") => out.push("apparmor=unconfined".into()),
            Some(other) => out.push(format!("apparmor={other}")),
        }
    }
    if p.credential_spec.is_some() {
        out.push("credentialspec=<given>".into());
    }
    if p.no_new_privileges == Some(true) {
        out.push("no-new-privileges:true".into());
    }
    out
}

/// A named volume a task mounts: the tenant's, by its scoped name, made
/// with the owner label when the task's node creates it (so the volume
/// routes see it as the tenant's).
fn scope_volume_mount(cx: &Ctx<'_>, m: &mut crate::decode::Mount) -> Result<(), Stop> {
    if m.type_.as_deref() != Some("volume") {
        return Ok(());
    }
    let source = m.source.clone().unwrap_or_default();
    if !source.is_empty() {
        m.source = Some(scoped_name(&cx.tenant.id, &source, "volume")?);
    }
    let o = m.volume_options.get_or_insert_with(Default::default);
    // on the operator's shared backend, so that every node a task lands on
    // mounts the same volume (a tenant's own options were judged above)
    let given = o
        .driver_config
        .as_ref()
        .is_some_and(|d| d.options.as_ref().is_some_and(|x| !x.is_empty()));
    if !source.is_empty() && !given {
        if let Some(opts) =
            crate::rules::backend::driver_opts(&cx.policy.volumes, &cx.tenant.id, &source)
        {
            o.driver_config = Some(crate::decode::Driver {
                name: Some("local".into()),
                options: Some(opts),
            });
        }
    }
    claim_labels(
        &mut o.labels,
        &cx.tenant.id,
        "TaskTemplate.ContainerSpec.Mounts.VolumeOptions.Labels",
    )?;
    Ok(())
}

/// Secrets and configs a service uses: the tenant's own, named by id (as
/// the CLI sends them) or by name; shown to the engine by their ids and
/// engine-side names.
fn scope_secrets(cx: &Ctx<'_>, c: &mut ContainerSpec) -> Result<(), Stop> {
    for s in c.secrets.iter_mut().flatten() {
        let (id, name) = own_object(
            cx,
            ResourceKind::Secret,
            s.secret_id.as_deref(),
            s.secret_name.as_deref(),
        )?;
        s.secret_id = Some(id);
        s.secret_name = Some(name);
    }
    for s in c.configs.iter_mut().flatten() {
        let (id, name) = own_object(
            cx,
            ResourceKind::Config,
            s.config_id.as_deref(),
            s.config_name.as_deref(),
        )?;
        s.config_id = Some(id);
        s.config_name = Some(name);
    }
    Ok(())
}

/// The tenant's secret or config that a reference names (id first, as
/// swarm reads it), or the daemon's not-found.
fn own_object(
    cx: &Ctx<'_>,
    kind: ResourceKind,
    id: Option<&str>,
    name: Option<&str>,
) -> Result<(String, String), Stop> {
    let reference = id.filter(|i| !i.is_empty()).or(name).unwrap_or_default();
    let owned = cx.resolve(kind, reference)?;
    Ok((owned.id.clone(), owned.name.clone()))
}

/// The node pool: the policy's labels as constraints, workers only unless
/// managers are allowed; a tenant's own constraint that would reach a
/// manager is refused.
fn placement(cx: &Ctx<'_>, task: &mut TaskSpec) -> Result<(), Stop> {
    let s = &cx.policy.swarm;
    let mut pool: Vec<String> = s
        .node_labels
        .iter()
        .map(|(k, v)| format!("node.labels.{k}=={v}"))
        .collect();
    if !s.allow_managers {
        let given = task
            .placement
            .as_ref()
            .and_then(|p| p.constraints.as_deref())
            .unwrap_or_default();
        let to_manager = given.iter().find(|c| {
            let compact: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
            compact.eq_ignore_ascii_case("node.role==manager")
        });
        if let Some(c) = to_manager {
            return Err(Stop::Deny(
                Denial::policy(
                    crate::RuleId::SWARM_PLACEMENT,
                    format!(
                        "the constraint `{c}` places tasks on managers, which are the operator's"
                    ),
                    "drop the constraint; fdcs places tasks on the tenants' nodes",
                )
                .at("TaskTemplate.Placement.Constraints"),
            ));
        }
        pool.insert(0, "node.role==worker".into());
    }
    if !pool.is_empty() {
        let pl = task.placement.get_or_insert_with(Default::default);
        pl.constraints.get_or_insert_with(Vec::new).extend(pool);
        cx.mark_rewritten();
    }
    Ok(())
}

/// The networks a service joins (the task template's, and the legacy
/// top-level ones of API < 1.25): the tenant's own, by id; the shared and
/// host networks refused; none given is the tenant's default overlay.
/// Returns that overlay's engine-side name when it is used.
fn scope_networks(cx: &Ctx<'_>, spec: &mut ServiceSpec) -> Result<Option<String>, Stop> {
    let legacy = spec.networks.take().unwrap_or_default();
    let task = spec.task_template.get_or_insert_with(TaskSpec::default);
    let nets = task.networks.get_or_insert_with(Vec::new);
    nets.extend(legacy);
    if nets.is_empty() {
        let name = engine_name(&cx.tenant.id, DEFAULT_OVERLAY);
        nets.push(crate::decode::NetworkAttachmentConfig {
            target: Some(name.clone()),
            ..Default::default()
        });
        return Ok(Some(name));
    }
    for (i, n) in nets.iter_mut().enumerate() {
        // endpoint options reach the network driver unjudged
        // (`com.docker.network.endpoint.sysctls` sets the task's sysctls)
        if n.driver_opts.as_ref().is_some_and(|o| !o.is_empty()) {
            return Err(Stop::Deny(
                Denial::policy(
                    crate::RuleId::SWARM_NETWORKS,
                    "network attachment driver options are not allowed",
                    "attach without --network-opt / driver_opts",
                )
                .at(format!("TaskTemplate.Networks[{i}].DriverOpts")),
            ));
        }
        let target = n.target.clone().unwrap_or_default();
        if SHARED_NETWORKS.contains(&target.as_str()) {
            return Err(Stop::Deny(
                Denial::policy(
                    crate::RuleId::SWARM_NETWORKS,
                    format!("services may not join the `{target}` network: it is shared with other tenants or the host"),
                    "attach the service to your own overlay network (docker network create -d overlay NAME), or to none for your default one",
                )
                .at(format!("TaskTemplate.Networks[{i}].Target")),
            ));
        }
        let id = cx.scoped_ref(ResourceKind::Network, &target, |o| o.id.clone())?;
        n.target = Some(id);
    }
    Ok(None)
}

/// The request that creates the tenant's default overlay if missing.
fn default_overlay(cx: &Ctx<'_>, name: &str) -> Prelude {
    Prelude {
        method: "POST".into(),
        path: cx.versioned("/networks/create"),
        body: json!({
            "Name": name,
            "CheckDuplicate": true,
            "Driver": "overlay",
            "Scope": "swarm",
            "Labels": {
                OWNER_LABEL: cx.tenant.id.as_str(),
                crate::tenancy::DEFAULT_NETWORK_LABEL: "true",
            },
        }),
    }
}

/// Published ports: never a host port of the tenant's choosing, and never
/// the shared ingress (its routing mesh joins every tenant's tasks on one
/// overlay): each is published by the task's own node, on a port the
/// engine picks (`PublishMode: host`, no `PublishedPort`).
fn ports(cx: &Ctx<'_>, spec: &mut ServiceSpec) -> Result<(), Stop> {
    let Some(ep) = spec.endpoint_spec.as_mut() else {
        return Ok(());
    };
    let ports = ep.ports.get_or_insert_with(Vec::new);
    let max = cx.policy.bounds.ports.max_published;
    if i64::try_from(ports.len()).unwrap_or(i64::MAX) > max {
        return Err(Stop::Deny(
            Denial::policy(
                crate::RuleId::BOUNDS_PORTS,
                format!("{} published ports is more than {max}", ports.len()),
                "publish fewer ports",
            )
            .at("EndpointSpec.Ports"),
        ));
    }
    for (i, port) in ports.iter_mut().enumerate() {
        if let Some(p) = port.published_port.filter(|p| *p != 0) {
            if cx.policy.ports.ephemeral_only {
                cx.enforcer.refuse(
                    Denial::policy(
                        crate::RuleId::PORTS_EPHEMERAL_ONLY,
                        format!("host port {p} is not allowed"),
                        "publish with -p TARGET (e.g. -p 80) to get a port the engine picks",
                    )
                    .at(format!("EndpointSpec.Ports[{i}].PublishedPort")),
                )?;
            }
        }
        port.publish_mode = Some("host".into());
    }
    cx.mark_rewritten();
    Ok(())
}

/// `X-Registry-Auth` on a service: the credentials every node pulls the
/// image with, judged like a pull's (only for the image's registry).
fn registry_auth(cx: &Ctx<'_>, spec: &ServiceSpec) -> Result<Option<String>, Stop> {
    let image = spec
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.as_deref())
        .unwrap_or_default();
    super::super::images::service_registry_auth(cx, image)
}
