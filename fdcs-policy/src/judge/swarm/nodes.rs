//! `docker node ls` and `docker node inspect`: the nodes of the tenant's
//! pool, sanitised. They are listed, not hidden, because the CLI's
//! `service create/update/scale` waits for convergence by polling nodes and
//! tasks and ignores tasks on nodes it cannot see.

use super::super::containers::scoped_filters;
use super::super::ctx::{Ctx, Stop};
use crate::route::Endpoint;
use crate::tenancy::filters::FilterScope;
use crate::{Forward, NodePool, ResponsePlan, ResponseRewrite};

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let pool = NodePool {
        labels: cx.policy.swarm.node_labels.clone(),
        managers: cx.policy.swarm.allow_managers,
    };
    if cx.route.endpoint == Endpoint::NodeInspect {
        let reference = cx.route.reference().to_string();
        // only by its full id, which tenants are shown: the daemon would
        // find a node by its hidden hostname too
        let id = reference.len() == 25
            && reference
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if !id {
            return Err(Stop::Deny(crate::tenancy::resolve::not_found_node(
                &reference,
            )));
        }
        return Ok(
            cx.as_is(ResponsePlan::Rewrite(ResponseRewrite::NodeInspect {
                reference,
                pool,
            })),
        );
    }
    let scoped = scoped_filters(cx, FilterScope::NodeList)?;
    let mut q = cx.query.clone();
    q.set("filters", scoped.upstream);
    Ok(cx.forward(
        cx.req.path.clone(),
        &q,
        None,
        ResponsePlan::Rewrite(ResponseRewrite::NodeList { pool }),
    ))
}
