//! Swarm endpoints: a tenant's services, tasks, secrets and configs, owned
//! by label and named in its scope like containers; the nodes its tasks
//! may land on, shown sanitised; the swarm's own settings and membership
//! left to the operator (DESIGN.md "Swarm").
//!
//! Everything here is refused unless the policy enables it
//! (`rules.swarm.enabled`).

mod nodes;
mod objects;
mod services;

use super::containers::filtered;
use super::ctx::{forbidden, Ctx, Stop};
use crate::route::Endpoint;
use crate::tenancy::filters::FilterScope;
use crate::{Forward, ResourceKind, ResponsePlan, ResponseRewrite};

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    use ResourceKind::{Config, Secret, Service, Task};
    if !cx.policy.swarm.enabled {
        return Err(forbidden(
            crate::RuleId::SWARM_DISABLED,
            "Swarm services are not enabled on this service",
            "run containers (docker run, docker-compose up), or ask the operator to enable rules.swarm",
        ));
    }
    let rewrite = |r| ResponsePlan::Rewrite(r);
    match cx.route.endpoint {
        // the join tokens and the cluster's CA are the operator's
        Endpoint::SwarmInspect => Err(forbidden(
            crate::RuleId::SYSTEM_ADMIN,
            "the swarm's settings and join tokens are the operator's",
            "ask the operator to add nodes; `docker info` shows whether the swarm is available",
        )),
        Endpoint::ServiceList => filtered(cx, FilterScope::ServiceList, |_| {
            ResponseRewrite::ServiceList
        }),
        Endpoint::ServiceInspect => {
            let mut fwd = cx.to_ref(Service, rewrite(ResponseRewrite::ServiceInspect))?;
            // `insertDefaults=false` (the CLI's) is the daemon's default:
            // without it the request is the very call its lookup made,
            // whose answer then serves it (no second engine call)
            if cx.query.get("insertDefaults").is_some_and(|v| v == "false") {
                let mut q = cx.query.clone();
                q.remove("insertDefaults");
                fwd.query = q.encode();
            }
            Ok(fwd)
        }
        Endpoint::ServiceDelete | Endpoint::ServiceLogs => {
            cx.to_ref(Service, ResponsePlan::PassThrough)
        }
        Endpoint::ServiceCreate => services::create(cx),
        Endpoint::ServiceUpdate => services::update(cx),
        Endpoint::TaskList => filtered(cx, FilterScope::TaskList, |_| ResponseRewrite::TaskList),
        Endpoint::TaskInspect => cx.to_ref(Task, rewrite(ResponseRewrite::TaskInspect)),
        Endpoint::TaskLogs => cx.to_ref(Task, ResponsePlan::PassThrough),
        Endpoint::SecretList | Endpoint::ConfigList => {
            filtered(cx, FilterScope::SecretList, |_| ResponseRewrite::SecretList)
        }
        Endpoint::SecretInspect => cx.to_ref(Secret, rewrite(ResponseRewrite::SecretInspect)),
        Endpoint::ConfigInspect => cx.to_ref(Config, rewrite(ResponseRewrite::SecretInspect)),
        Endpoint::SecretDelete => cx.to_ref(Secret, ResponsePlan::PassThrough),
        Endpoint::ConfigDelete => cx.to_ref(Config, ResponsePlan::PassThrough),
        Endpoint::SecretCreate | Endpoint::ConfigCreate => objects::create(cx),
        Endpoint::SecretUpdate => objects::update(cx, Secret),
        Endpoint::ConfigUpdate => objects::update(cx, Config),
        Endpoint::NodeList | Endpoint::NodeInspect => nodes::judge(cx),
        _ => Err(forbidden(
            crate::RuleId::SYSTEM_ADMIN,
            "this swarm operation is not allowed",
            "ask the operator",
        )),
    }
}
