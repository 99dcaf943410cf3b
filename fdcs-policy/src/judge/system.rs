//! System endpoints: ping and version as they are; info, df and events
//! rewritten to the tenant's own world; sessions and cluster/plugin
//! administration denied.

use super::containers::scoped_filters;
use super::ctx::{forbidden, Ctx, Stop};
use crate::route::{Endpoint, Group};
use crate::rules::quotas;
use crate::tenancy::claims;
use crate::tenancy::filters::FilterScope;
use crate::{Denial, Forward, InfoView, Obligation, ResponsePlan, ResponseRewrite};

/// `docker info`: the tenant's own counts (one usage lookup, one list of
/// the engine's named images) and its quotas in place of the host's CPUs
/// and memory.
fn info(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let usage = cx
        .facts
        .usage
        .as_ref()
        .ok_or(Stop::Need(Obligation::Usage))?;
    let images = visible_images(cx)?;
    let q = quotas::effective(&cx.policy.quotas, cx.tenant);
    let view = InfoView {
        containers: usage.counts(),
        ncpu: q
            .nano_cpus
            .map(|n| n.saturating_add(999_999_999) / 1_000_000_000),
        mem_total: q.memory,
        images,
        swarm: cx.policy.swarm.enabled,
    };
    Ok(cx.as_is(ResponsePlan::Rewrite(ResponseRewrite::Info(view))))
}

/// How many of the engine's images the tenant may see (a shared name or
/// one of its claims, as `docker images` shows them to it); none without
/// an image store ([`crate::Facts::images_unknown`]).
fn visible_images(cx: &Ctx<'_>) -> Result<i64, Stop> {
    if cx.facts.images_unknown {
        return Ok(0);
    }
    let list = cx
        .facts
        .named_images
        .as_ref()
        .ok_or(Stop::Need(Obligation::NamedImages))?;
    let shared = &cx.policy.images.shared;
    let n = list
        .iter()
        .filter(|i| claims::view(shared, &cx.tenant.id, &i.repo_tags, &i.repo_digests).is_some())
        .count();
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    match cx.route.endpoint {
        Endpoint::SystemPing | Endpoint::SystemPingHead | Endpoint::SystemVersion => {
            Ok(cx.as_is(ResponsePlan::PassThrough))
        }
        Endpoint::SystemAuth => super::images::login(cx),
        Endpoint::SystemInfo => info(cx),
        Endpoint::SystemDataUsage => {
            Ok(cx.as_is(ResponsePlan::Rewrite(ResponseRewrite::SystemDf {
                shared: cx.policy.images.shared.clone(),
            })))
        }
        Endpoint::SystemEvents => {
            let scoped = scoped_filters(cx, FilterScope::Events)?;
            let mut q = cx.query.clone();
            q.set("filters", scoped.upstream);
            Ok(cx.forward(cx.req.path.clone(), &q, None, ResponsePlan::Events))
        }
        Endpoint::Session => Err(forbidden(
            crate::RuleId::SYSTEM_SESSION,
            "BuildKit sessions (/session) are not allowed",
            "build elsewhere and pull the image",
        )),
        // `docker inspect NAME` (no --type) asks every kind in turn and only
        // moves on after a 404; plugins are not the tenant's to see, so
        // they do not exist for it.
        Endpoint::Admin(Group::Plugin)
            if cx.req.method == "GET" && cx.req.path.ends_with("/json") =>
        {
            Err(Stop::Deny(Denial::not_found(format!(
                "plugin \"{}\" not found",
                cx.route.reference()
            ))))
        }
        _ => Err(forbidden(
            crate::RuleId::SYSTEM_ADMIN,
            &format!("{} administration is not allowed", cx.route.endpoint.name()),
            "swarm, node, plugin and cluster administration belong to the operator",
        )),
    }
}
