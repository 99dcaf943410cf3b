//! Network endpoints: a tenant's networks are scoped by name, labelled, and
//! bridge-only; connect and disconnect take only own containers.

use super::containers::{filtered, prune, scoped_filters};
use super::containers_create_scope_endpoint as scope_endpoint;
use super::ctx::{Ctx, Stop};
use crate::decode::{decode, encode, NetworkConnect, NetworkCreate, NetworkDisconnect};
use crate::route::Endpoint;
use crate::tenancy::filters::FilterScope;
use crate::tenancy::{
    claim_labels, engine_name, scoped_name, DEFAULT_NETWORK, DEFAULT_NETWORK_LABEL,
};
use crate::{Denial, Forward, ResourceKind, ResponsePlan, ResponseRewrite};

/// The label on every network a tenant creates (never on its default one):
/// a prune with the tenant's own `label!` filter asks for these only.
const TENANT_NETWORK_LABEL: &str = "fdcs.tenant-network";

/// Rule id for network drivers and options.
const DRIVER: crate::RuleId = crate::RuleId::NETWORKS_DRIVER;

/// Bridge options a tenant may set; anything else could attach the network
/// to a host interface (`com.docker.network.bridge.name=docker0`) or change
/// host-level behaviour.
const ALLOWED_OPTIONS: &[&str] = &[
    "com.docker.network.driver.mtu",
    "com.docker.network.bridge.enable_icc",
];

/// Overlay options a tenant may set besides those: `encrypted` (IPsec
/// between nodes) takes nothing from anyone.
const OVERLAY_OPTIONS: &[&str] = &["encrypted"];

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    use ResourceKind::Network;
    match cx.route.endpoint {
        Endpoint::NetworkList => filtered(cx, FilterScope::NetworkList, |name_filters| {
            ResponseRewrite::NetworkList { name_filters }
        }),
        Endpoint::NetworkInspect => cx.to_ref(
            Network,
            ResponsePlan::Rewrite(ResponseRewrite::NetworkInspect),
        ),
        Endpoint::NetworkDelete => delete(cx),
        Endpoint::NetworkCreate => create(cx),
        Endpoint::NetworkConnect => connect(cx),
        Endpoint::NetworkDisconnect => {
            let mut body: NetworkDisconnect = decode(&cx.req.body)?;
            let mut fwd = cx.to_ref(Network, ResponsePlan::PassThrough)?;
            let c = body.container.as_deref().unwrap_or("");
            let id = cx.resolve(ResourceKind::Container, c)?.id.clone();
            if id != c {
                cx.mark_rewritten();
            }
            body.container = Some(id);
            fwd.body = Some(encode(&body));
            Ok(fwd)
        }
        Endpoint::NetworkPrune => prune_networks(cx),
        _ => prune(cx, FilterScope::Prune),
    }
}

/// `docker network prune`: the tenant's unused networks, but never its
/// default one (`bridge` to it), which an engine never prunes. Default
/// networks made before fdcs labelled them can still go; the next
/// container on `bridge` makes it again.
fn prune_networks(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let scoped = scoped_filters(cx, FilterScope::Prune)?;
    // our own JSON; were it unreadable, nothing is pruned (fail closed:
    // a default would lose the owner label)
    let mut filters: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&scoped.upstream).map_err(|_| {
            Stop::Deny(Denial::malformed(
                crate::RuleId::TENANCY_FILTER,
                "the prune filters could not be scoped",
                "send filters as the docker CLI does",
            ))
        })?;
    // The daemon spares a network only when it carries *every* `label!`
    // value: the tenant's own `label!` next to fdcs's would let the default
    // go. With the tenant's, only the networks it created are asked for
    // (a positive label, which the daemon ANDs with the owner label).
    let (key, value) = if filters.contains_key("label!") {
        ("label", format!("{TENANT_NETWORK_LABEL}=true"))
    } else {
        ("label!", DEFAULT_NETWORK_LABEL.to_string())
    };
    let entry = filters
        .entry(key)
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    if let Some(m) = entry.as_object_mut() {
        m.insert(value, serde_json::Value::Bool(true));
    }
    let mut q = cx.query.clone();
    q.set("filters", serde_json::Value::Object(filters).to_string());
    Ok(cx.forward(
        cx.req.path.clone(),
        &q,
        None,
        ResponsePlan::Rewrite(ResponseRewrite::Prune),
    ))
}

/// The networks every engine has: never removed, and never a tenant's
/// name (`bridge` is each tenant's own default network instead).
const PREDEFINED: &[&str] = &["bridge", "host", "none"];

/// `docker network rm`: the tenant's own networks, except its default one,
/// which stands for the engine's `bridge` and is refused as the engine
/// refuses to remove a predefined network (by name or by id: the daemon
/// checks the network it found), with the daemon's own 403 and words.
/// `host` and `none` get the same answer; nothing is forwarded.
fn delete(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let reference = cx.route.reference();
    let predefined = |name: &str| {
        Stop::Deny(Denial::daemon(
            403,
            Some(PREDEFINED_RULE),
            format!("{name} is a pre-defined network and cannot be removed"),
        ))
    };
    if let Some(name) = PREDEFINED.iter().find(|n| **n == reference) {
        return Err(predefined(name));
    }
    let owned = cx.resolve(ResourceKind::Network, reference)?;
    if owned.name == engine_name(&cx.tenant.id, DEFAULT_NETWORK) {
        return Err(predefined(DEFAULT_NETWORK));
    }
    cx.to_ref(ResourceKind::Network, ResponsePlan::PassThrough)
}

/// Rule id (for the audit line) of refusing to remove a predefined network.
const PREDEFINED_RULE: crate::RuleId = crate::RuleId::NETWORKS_PREDEFINED;

fn create(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let mut body: NetworkCreate = decode(&cx.req.body)?;
    let name = body.name.clone().unwrap_or_default();
    if matches!(name.as_str(), "host" | "none" | "default" | "bridge") {
        return Err(Stop::Deny(Denial::policy(
            crate::RuleId::TENANCY_NAME,
            format!("`{name}` is a predefined network name"),
            "choose another name",
        )));
    }
    body.name = Some(scoped_name(&cx.tenant.id, &name, "network")?);
    let driver = body.driver.as_deref().unwrap_or("bridge");
    // a swarm's overlay networks are the tenant's own segments for its
    // services (and, attachable, its containers), where the policy lets
    // tenants use the swarm
    let overlay = driver == "overlay" && cx.policy.swarm.enabled;
    if !driver.is_empty() && driver != "bridge" && !overlay {
        return Err(deny(
            format!("the network driver `{driver}` is not allowed"),
            "Driver",
        ));
    }
    for (flag, field) in [(body.ingress, "Ingress"), (body.config_only, "ConfigOnly")] {
        if flag == Some(true) {
            return Err(deny(format!("`{field}` networks are not allowed"), field));
        }
    }
    if body.config_from.is_some() {
        return Err(deny("`ConfigFrom` is not allowed".into(), "ConfigFrom"));
    }
    let scope_ok = |s: &str| s.is_empty() || s == if overlay { "swarm" } else { "local" };
    if body.scope.as_deref().is_some_and(|s| !scope_ok(s)) {
        return Err(deny(
            "only local-scope networks are allowed".into(),
            "Scope",
        ));
    }
    let allowed = |k: &str| ALLOWED_OPTIONS.contains(&k) || overlay && OVERLAY_OPTIONS.contains(&k);
    if let Some(k) = body
        .options
        .iter()
        .flatten()
        .map(|(k, _)| k)
        .find(|k| !allowed(k))
    {
        return Err(deny(
            format!("the network option `{k}` is not allowed"),
            &format!("Options.{k}"),
        ));
    }
    if let Some(ipam) = &body.ipam {
        if ipam
            .driver
            .as_deref()
            .is_some_and(|d| !d.is_empty() && d != "default")
        {
            return Err(deny(
                "only the default IPAM driver is allowed".into(),
                "IPAM.Driver",
            ));
        }
        if ipam.options.as_ref().is_some_and(|o| !o.is_empty()) {
            return Err(deny("IPAM options are not allowed".into(), "IPAM.Options"));
        }
        // A chosen subnet can shadow the host's own networks (the bridge
        // route wins on the host), cutting it off from them.
        if ipam.config.as_ref().is_some_and(|c| !c.is_empty()) {
            return Err(deny(
                "choosing subnets or gateways is not allowed (a subnet can shadow the host's networks)".into(),
                "IPAM.Config",
            ));
        }
    }
    claim_labels(&mut body.labels, &cx.tenant.id, "Labels")?;
    body.labels
        .get_or_insert_with(Default::default)
        .insert(TENANT_NETWORK_LABEL.into(), "true".into());
    super::quotas::on_network_create(cx)?;
    cx.mark_rewritten();
    // Two networks of one name would make a name ambiguous; ask the daemon
    // to refuse duplicates (newer daemons always do).
    body.check_duplicate = Some(true);
    Ok(cx.forward(
        cx.req.path.clone(),
        &cx.query,
        Some(encode(&body)),
        ResponsePlan::PassThrough,
    ))
}

fn connect(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let mut body: NetworkConnect = decode(&cx.req.body)?;
    let net = cx.resolve(ResourceKind::Network, cx.route.reference())?;
    let c = body.container.as_deref().unwrap_or("");
    let id = cx.resolve(ResourceKind::Container, c)?.id.clone();
    if id != c {
        cx.mark_rewritten();
    }
    body.container = Some(id);
    if let Some(ep) = body.endpoint_config.take() {
        body.endpoint_config = Some(scope_endpoint(cx, ep, Some(&net.id))?);
    }
    Ok(cx.forward(
        cx.path_with_ref(&net.id)?,
        &cx.query,
        Some(encode(&body)),
        ResponsePlan::PassThrough,
    ))
}

fn deny(what: String, field: &str) -> Stop {
    Stop::Deny(
        Denial::policy(
            DRIVER,
            what,
            "create a plain bridge network: docker network create NAME",
        )
        .at(field),
    )
}
