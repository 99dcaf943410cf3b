//! `POST /containers/create`: every rule on the body, then every reference
//! in it scoped or resolved to the tenant's own resources.

use serde_json::json;

use super::super::ctx::{Ctx, Stop};
use super::volumes;
use crate::decode::{
    decode_container_create, encode, ContainerCreate, EndpointSettings, HostConfig,
};
use crate::rules::resources::Mode;
use crate::rules::{bounds, mounts, namespaces, ports, privileges, resources};
use crate::tenancy::resolve::BodyRef;
use crate::tenancy::{claim_labels, engine_name, names, scoped_name, DEFAULT_NETWORK, OWNER_LABEL};
use crate::{Forward, Prelude, ResourceKind, ResponsePlan, ResponseRewrite};

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let tenant = &cx.tenant.id;
    let p = cx.policy;
    let mut q = cx.query.clone();
    // Never left to the daemon: its generated names are engine-wide, and
    // `flamboyant_feynman` is tenant flamboyant's `feynman`.
    let name = match q.get("name").filter(|n| !n.is_empty()) {
        Some(name) => name.to_string(),
        None => {
            cx.mark_rewritten();
            names::generated(
                cx.req
                    .entropy
                    .unwrap_or_else(|| names::derived_entropy(tenant, &cx.req.body)),
            )
        }
    };
    q.set("name", scoped_name(tenant, &name, "container")?);
    let mut body = decode_container_create(&cx.req.body)?;
    cx.mark_rewritten();
    claim_labels(&mut body.labels, tenant, "Labels")?;
    let given = body.image.clone().unwrap_or_default();
    let image = super::super::images::container_image(cx, &given)?;
    body.image = Some(image.clone());

    let hc = body.host_config.get_or_insert_with(HostConfig::default);
    // every rule sees the body: one in warn or audit mode records its
    // refusal and the next ones still judge (enforce.rs)
    let en = &cx.enforcer;
    ports::check(&p.ports, hc, en)?;
    mounts::check(&p.mounts, hc, en)?;
    privileges::check(&p.privileges, hc, en)?;
    namespaces::check(&p.namespaces, hc, en)?;
    // an image mount (API 1.48) shows an image's files: the tenant's own
    // view of images applies, as for `Image`
    for m in hc.mounts.iter_mut().flatten() {
        if m.type_
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("image"))
        {
            let source = m.source.as_deref().unwrap_or("");
            m.source = Some(super::super::images::container_image(cx, source)?);
        }
    }
    resources::apply(
        &p.resources,
        cx.tenant,
        &mut hc.resources,
        Mode::Create,
        "HostConfig",
        en,
    )?;
    // after the memory limit is settled: tmpfs and /dev/shm count against it
    bounds::apply_create(&p.bounds, &p.volumes, &mut body, en)?;
    let hc = body.host_config.get_or_insert_with(HostConfig::default);
    // On cgroup v1 engines (and API < 1.41) the daemon's default cgroup
    // namespace is the host's: ask for a private one explicitly.
    if hc.cgroupns_mode.as_deref().is_none_or(str::is_empty) && !p.namespaces.allow_host {
        hc.cgroupns_mode = Some("private".into());
    }

    // What the image declares, once the body itself passed: its `EXPOSE`
    // (published under -P) and its `VOLUME`s (anonymous volumes).
    let declared = super::super::images::image_config(cx, &given, &image)?;
    let image_ports = declared
        .map(|i| i.exposed_ports.as_slice())
        .unwrap_or_default();
    bounds::image_ports(&p.bounds, &body, image_ports, en)?;

    let mut prelude = Vec::new();
    let hc = body.host_config.get_or_insert_with(HostConfig::default);
    let mut anonymous = volumes::scope_mounts(cx, hc, &mut prelude)?;
    scope_container_refs(cx, hc)?;
    anonymous += volumes::cover_declared(cx, &mut body, declared)?;
    let hc = body.host_config.get_or_insert_with(HostConfig::default);
    let default_net = scope_network_mode(cx, hc)?;
    scope_endpoints(cx, &mut body, default_net.as_deref())?;
    if let Some(net) = default_net {
        prelude.push(default_network(cx, &net));
    }
    let extra = super::super::quotas::Extra {
        image_ports,
        anonymous_volumes: anonymous,
    };
    super::super::quotas::on_create(cx, &mut body, &prelude, extra)?;

    let mut fwd = cx.forward(
        cx.req.path.clone(),
        &q,
        Some(encode(&body)),
        ResponsePlan::Rewrite(ResponseRewrite::ContainerCreate),
    );
    fwd.prelude = prelude;
    Ok(fwd)
}

/// The request that creates the tenant's default network if missing.
fn default_network(cx: &Ctx<'_>, name: &str) -> Prelude {
    Prelude {
        method: "POST".into(),
        path: cx.versioned("/networks/create"),
        body: json!({
            "Name": name,
            "CheckDuplicate": true,
            "Driver": "bridge",
            "Labels": {
                OWNER_LABEL: cx.tenant.id.as_str(),
                crate::tenancy::DEFAULT_NETWORK_LABEL: "true",
            },
        }),
    }
}

/// The request that creates a named volume with the tenant's owner label
/// (on the policy's shared backend, if it names one).
pub(in crate::judge) fn volume_prelude(cx: &Ctx<'_>, engine: &str) -> Prelude {
    let mut body = json!({ "Name": engine, "Labels": { OWNER_LABEL: cx.tenant.id.as_str() } });
    let own = crate::tenancy::tenant_name(&cx.tenant.id, engine).unwrap_or(engine);
    if let Some(opts) = crate::rules::backend::driver_opts(&cx.policy.volumes, &cx.tenant.id, own) {
        body["Driver"] = json!("local");
        body["DriverOpts"] = json!(opts);
    }
    Prelude {
        method: "POST".into(),
        path: cx.versioned("/volumes/create"),
        body,
    }
}

/// `Links`, `VolumesFrom` and `container:<ref>` modes name containers: each
/// is rewritten to the engine-side identity of the tenant's own. One it
/// does not own gets the daemon's answer for that field, as if it did not
/// exist: 400 with the daemon's wording where the daemon looks it up at
/// create time ([`BodyRef`]); the tenant's scoped name (nobody else's)
/// where it looks only when the container starts (UTS and cgroup modes).
fn scope_container_refs(cx: &Ctx<'_>, hc: &mut HostConfig) -> Result<(), Stop> {
    for link in hc.links.iter_mut().flatten() {
        *link = scope_link(cx, link, Some(BodyRef::Link))?;
    }
    for vf in hc.volumes_from.iter_mut().flatten() {
        let (r, mode) = match vf.split_once(':') {
            Some((r, m)) => (r, Some(m)),
            None => (vf.as_str(), None),
        };
        let id = &cx.body_container(BodyRef::VolumesFrom, r)?.id;
        *vf = match mode {
            Some(m) => format!("{id}:{m}"),
            None => id.clone(),
        };
    }
    for (mode, at_create) in [
        (&mut hc.pid_mode, true),
        (&mut hc.ipc_mode, true),
        (&mut hc.uts_mode, false),
        (&mut hc.cgroup, false),
    ] {
        if let Some(v) = mode.as_mut() {
            if let Some(r) = v.strip_prefix("container:") {
                let id = if at_create {
                    cx.body_container(BodyRef::NamespaceMode, r)?.id.clone()
                } else {
                    cx.scoped_ref(ResourceKind::Container, r, |o| o.id.clone())?
                };
                *v = format!("container:{id}");
            }
        }
    }
    Ok(())
}

/// `name[:alias]` → `<engine name>:<alias>` (the alias stays the tenant's).
/// A container the tenant does not own is the daemon's answer for `field`
/// (`HostConfig.Links`), or its scoped name (an endpoint's `Links`, which
/// the daemon does not look up at create).
fn scope_link(cx: &Ctx<'_>, link: &str, field: Option<BodyRef>) -> Result<String, Stop> {
    // as the daemon's `opts.ParseLink`: `/name:/c/alias` is `name`
    let (target, alias) = match link.split_once(':') {
        Some((t, a)) => (t.strip_prefix('/').unwrap_or(t), a),
        None => (link, link),
    };
    let engine = match field {
        Some(f) => cx.body_container(f, target)?.name.clone(),
        None => cx.scoped_ref(ResourceKind::Container, target, |o| o.name.clone())?,
    };
    let alias = alias.trim_start_matches('/');
    Ok(format!("{engine}:{alias}"))
}

/// `NetworkMode`: the default bridge becomes the tenant's own default
/// network (returned, so it is created first); `container:<ref>` and
/// network names resolve to the tenant's own, or to its scoped name when it
/// has none: the daemon looks them up when the container starts, and then
/// says "network x not found" / "No such container: x" as for any name.
fn scope_network_mode(cx: &Ctx<'_>, hc: &mut HostConfig) -> Result<Option<String>, Stop> {
    let mode = hc.network_mode.clone().unwrap_or_default();
    match mode.as_str() {
        "" | "default" | DEFAULT_NETWORK => {
            let net = engine_name(&cx.tenant.id, DEFAULT_NETWORK);
            hc.network_mode = Some(net.clone());
            Ok(Some(net))
        }
        "none" => Ok(None),
        // the host's network, when the operator allows host namespaces or
        // has `namespaces.no-host` in warn or audit mode (`namespaces::check`
        // refused it otherwise, or recorded its refusal): `host` exactly, as
        // the daemon compares it; any other spelling is a network's name
        "host"
            if cx.policy.namespaces.allow_host
                || cx.enforcer.allows(&crate::RuleId::NAMESPACES_NO_HOST) =>
        {
            Ok(None)
        }
        m => {
            if let Some(r) = m.strip_prefix("container:") {
                let id = cx.scoped_ref(ResourceKind::Container, r, |o| o.id.clone())?;
                hc.network_mode = Some(format!("container:{id}"));
            } else {
                let net = cx.scoped_ref(ResourceKind::Network, m, |o| o.name.clone())?;
                hc.network_mode = Some(net);
            }
            Ok(None)
        }
    }
}

/// `NetworkingConfig.EndpointsConfig`: keys are networks, `Links` inside
/// are containers; all must be the tenant's own.
fn scope_endpoints(
    cx: &Ctx<'_>,
    body: &mut ContainerCreate,
    default_net: Option<&str>,
) -> Result<(), Stop> {
    let Some(eps) = body
        .networking_config
        .as_mut()
        .and_then(|n| n.endpoints_config.as_mut())
    else {
        return Ok(());
    };
    let old = std::mem::take(eps);
    for (net, settings) in old {
        let (engine, id) = match (net.as_str(), default_net) {
            ("default" | DEFAULT_NETWORK, Some(d)) => (d.to_string(), None),
            _ => match cx.resolve_in_body(ResourceKind::Network, &net)? {
                Some(o) => (o.name.clone(), Some(o.id.as_str())),
                // looked up when the container starts, as `NetworkMode`
                None => (engine_name(&cx.tenant.id, &net), None),
            },
        };
        let settings = match settings {
            Some(s) => Some(scope_endpoint(cx, s, id)?),
            None => None,
        };
        eps.insert(engine, settings);
    }
    Ok(())
}

/// Scopes one endpoint's settings (links, and a network id that must match).
pub(in crate::judge) fn scope_endpoint(
    cx: &Ctx<'_>,
    mut s: EndpointSettings,
    network_id: Option<&str>,
) -> Result<EndpointSettings, Stop> {
    // The daemon finds a user-defined network by `NetworkID` when the
    // container starts: it must be the tenant's own network's id, or a
    // scoped name that is nobody else's ("network x not found" then).
    if let Some(given) = s.network_id.clone().filter(|n| !n.is_empty()) {
        if network_id != Some(given.as_str()) {
            s.network_id = Some(cx.scoped_ref(ResourceKind::Network, &given, |o| o.id.clone())?);
        }
    }
    if let Some(links) = s.links.as_mut() {
        for link in links.iter_mut() {
            *link = scope_link(cx, link, None)?;
        }
    }
    Ok(s)
}
