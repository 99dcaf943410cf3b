//! Exec endpoints: create in an own container, start/resize/inspect an exec
//! only when its container is the tenant's own. Privileged exec is refused.

use serde::{Deserialize, Serialize};

use super::ctx::{Ctx, Stop};
use crate::decode::{decode, encode, ExecCreate};
use crate::route::Endpoint;
use crate::{Denial, Forward, Obligation, ResourceKind, ResponsePlan, ResponseRewrite};

/// Rule id.
const PRIVILEGED: crate::RuleId = crate::RuleId::EXEC_PRIVILEGED;

/// The body of `POST /exec/{id}/start` (`container.ExecStartOptions`).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecStart {
    #[serde(rename = "Detach", skip_serializing_if = "Option::is_none")]
    detach: Option<bool>,
    #[serde(rename = "Tty", skip_serializing_if = "Option::is_none")]
    tty: Option<bool>,
    #[serde(rename = "ConsoleSize", skip_serializing_if = "Option::is_none")]
    console_size: Option<[u64; 2]>,
}

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    match cx.route.endpoint {
        Endpoint::ContainerExec => create(cx),
        Endpoint::ExecStart => {
            let mut fwd = own_exec(cx, ResponsePlan::Hijack)?;
            let body: ExecStart = if cx.req.body.iter().all(u8::is_ascii_whitespace) {
                ExecStart::default()
            } else {
                decode(&cx.req.body)?
            };
            fwd.body = Some(encode(&body));
            Ok(fwd)
        }
        Endpoint::ExecInspect => own_exec(cx, ResponsePlan::Rewrite(ResponseRewrite::ExecInspect)),
        _ => own_exec(cx, ResponsePlan::PassThrough),
    }
}

fn create(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let mut body: ExecCreate = decode(&cx.req.body)?;
    // docker-py repeats the container here; only the path's (resolved)
    // reference may name it.
    if body.container.take().is_some() {
        cx.mark_rewritten();
    }
    if body.privileged == Some(true) && !cx.policy.exec.allow_privileged {
        cx.enforcer.refuse(
            Denial::policy(
                PRIVILEGED,
                "privileged exec is not allowed",
                "run docker exec without --privileged",
            )
            .at("Privileged"),
        )?;
    }
    let mut fwd = cx.to_ref(ResourceKind::Container, ResponsePlan::PassThrough)?;
    fwd.body = Some(encode(&body));
    Ok(fwd)
}

/// The exec must belong to one of the tenant's containers; otherwise it is
/// reported exactly as the daemon reports a missing exec.
fn own_exec(cx: &Ctx<'_>, plan: ResponsePlan) -> Result<Forward, Stop> {
    let exec = cx.route.reference();
    let missing = || Stop::Deny(Denial::not_found(format!("No such exec instance: {exec}")));
    let container = match cx.facts.execs.get(exec) {
        None => {
            return Err(Stop::Need(Obligation::ExecContainer {
                exec: exec.to_string(),
            }))
        }
        Some(None) => return Err(missing()),
        Some(Some(c)) => c,
    };
    // the exec's container by its full id: one targeted lookup
    match cx.resolve(ResourceKind::Container, container) {
        Ok(o) if &o.id == container => Ok(cx.as_is(plan)),
        Ok(_) | Err(Stop::Deny(_)) => Err(missing()),
        Err(need) => Err(need),
    }
}
