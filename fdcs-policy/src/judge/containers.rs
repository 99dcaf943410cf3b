//! Container endpoints: list, create, update, lifecycle, logs, archive, prune.

pub(super) mod create;
mod volumes;

use super::ctx::{Ctx, Stop};
use crate::decode::{decode, encode, ContainerUpdate};
use crate::route::Endpoint;
use crate::rules::resources::{self, Mode};
use crate::tenancy::filters::{self, FilterScope};
use crate::tenancy::scoped_name;
use crate::{Denial, Forward, ResourceKind, ResponsePlan, ResponseRewrite};

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    use ResourceKind::Container;
    match cx.route.endpoint {
        Endpoint::ContainerList => list(cx),
        Endpoint::ContainerCreate => create::judge(cx),
        Endpoint::ContainerInspect => cx.to_ref(
            Container,
            ResponsePlan::Rewrite(ResponseRewrite::ContainerInspect),
        ),
        Endpoint::ContainerAttach | Endpoint::ContainerAttachWebsocket => {
            cx.to_ref(Container, ResponsePlan::Hijack)
        }
        Endpoint::ContainerUpdate => update(cx),
        Endpoint::ContainerRename => rename(cx),
        Endpoint::PutContainerArchive => {
            let mut fwd = cx.to_ref(Container, ResponsePlan::PassThrough)?;
            fwd.stream_body = true;
            Ok(fwd)
        }
        Endpoint::ContainerPrune => prune(cx, FilterScope::Prune),
        Endpoint::ContainerStart
            if cx.query.get("checkpoint").is_some() || cx.query.get("checkpoint-dir").is_some() =>
        {
            Err(Stop::Deny(Denial::policy(
                crate::RuleId::SYSTEM_ADMIN,
                "restoring a container from a checkpoint is not allowed",
                "start the container without --checkpoint",
            )))
        }
        // Everything else addresses one own container and streams or
        // answers without names: logs, stats, top, changes, export, archive
        // reads, resize, start, stop, restart, kill, pause, unpause, wait, delete.
        Endpoint::ContainerStats => cx.to_ref(Container, ResponsePlan::Stats),
        Endpoint::ContainerStart | Endpoint::ContainerRestart | Endpoint::ContainerUnpause => {
            let fwd = cx.to_ref(Container, ResponsePlan::PassThrough)?;
            let id = cx.resolve(Container, cx.route.reference())?.id.as_str();
            super::quotas::on_start(cx, id)?;
            Ok(fwd)
        }
        _ => cx.to_ref(Container, ResponsePlan::PassThrough),
    }
}

fn list(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let scoped = scoped_filters(cx, FilterScope::ContainerList)?;
    let mut q = cx.query.clone();
    q.set("filters", scoped.upstream);
    // Legacy `before`/`since` query parameters name containers too (an
    // API 1.41 engine ignores them; one it does not have is the tenant's
    // scoped name, nobody else's).
    for key in ["before", "since"] {
        if let Some(r) = q.get(key).filter(|v| !v.is_empty()).map(str::to_string) {
            let id = cx.scoped_ref(ResourceKind::Container, &r, |o| o.id.clone())?;
            q.set(key, id);
        }
    }
    Ok(cx.forward(
        cx.req.path.clone(),
        &q,
        None,
        ResponsePlan::Rewrite(ResponseRewrite::ContainerList {
            name_filters: scoped.name_filters,
        }),
    ))
}

/// Scopes the `filters` query value, mapping the outcome to a [`Stop`].
pub(super) fn scoped_filters(
    cx: &Ctx<'_>,
    scope: FilterScope,
) -> Result<filters::ScopedFilters, Stop> {
    let shared = &cx.policy.images.shared;
    filters::scope(
        cx.query.get("filters"),
        scope,
        &cx.tenant.id,
        cx.facts,
        shared,
    )
    .map_err(|e| match e {
        Ok(o) => Stop::Need(o),
        Err(d) => Stop::Deny(d),
    })
}

/// A list whose `filters` are scoped, with the tenant's name filters handed
/// to the response rewriter `plan` builds.
pub(super) fn filtered(
    cx: &Ctx<'_>,
    scope: FilterScope,
    plan: impl FnOnce(Vec<String>) -> ResponseRewrite,
) -> Result<Forward, Stop> {
    let scoped = scoped_filters(cx, scope)?;
    let mut q = cx.query.clone();
    q.set("filters", scoped.upstream);
    Ok(cx.forward(
        cx.req.path.clone(),
        &q,
        None,
        ResponsePlan::Rewrite(plan(scoped.name_filters)),
    ))
}

/// A prune with the owner label forced in (containers, networks, volumes).
pub(super) fn prune(cx: &Ctx<'_>, scope: FilterScope) -> Result<Forward, Stop> {
    let scoped = scoped_filters(cx, scope)?;
    let mut q = cx.query.clone();
    q.set("filters", scoped.upstream);
    Ok(cx.forward(
        cx.req.path.clone(),
        &q,
        None,
        ResponsePlan::Rewrite(ResponseRewrite::Prune),
    ))
}

fn update(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let mut body: ContainerUpdate = decode(&cx.req.body)?;
    let en = &cx.enforcer;
    crate::rules::privileges::check_resources(&body.resources, "", en)?;
    if body.resources.ulimits.is_some() || body.resources.oom_kill_disable.is_some() {
        return Err(Stop::Deny(Denial::malformed(
            crate::RuleId::PRIVILEGES_DEVICES,
            "Ulimits and OomKillDisable cannot be changed by update",
            "recreate the container with the settings you need",
        )));
    }
    crate::rules::bounds::check_resources(&cx.policy.bounds, &body.resources, "", en)?;
    let before = body.resources.clone();
    resources::apply(
        &cx.policy.resources,
        cx.tenant,
        &mut body.resources,
        Mode::Update,
        "",
        en,
    )?;
    if body.resources != before {
        cx.mark_rewritten();
    }
    let mut fwd = cx.to_ref(ResourceKind::Container, ResponsePlan::PassThrough)?;
    let id = cx
        .resolve(ResourceKind::Container, cx.route.reference())?
        .id
        .as_str();
    super::quotas::on_update(cx, id, &body.resources)?;
    fwd.body = Some(encode(&body));
    Ok(fwd)
}

fn rename(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let Some(name) = cx.query.get("name").filter(|n| !n.is_empty()) else {
        return Err(Stop::Deny(Denial::malformed(
            crate::RuleId::TENANCY_NAME,
            "rename needs a new name",
            "run docker rename OLD NEW",
        )));
    };
    let scoped = scoped_name(&cx.tenant.id, name, "container")?;
    let mut fwd = cx.to_ref(ResourceKind::Container, ResponsePlan::PassThrough)?;
    let mut q = cx.query.clone();
    q.set("name", scoped);
    fwd.query = q.encode();
    Ok(fwd)
}
