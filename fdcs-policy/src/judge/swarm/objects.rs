//! Secrets and configs: named in the tenant's scope, owned by the owner
//! label, their data never judged nor shown (the daemon never returns it);
//! an external secret store (`Driver`) is refused, since its plugin would
//! fetch whatever the tenant names.

use super::super::ctx::{Ctx, Stop};
use crate::decode::{decode, encode, Annotations, ConfigSpec, Driver, SecretSpec};
use crate::route::Endpoint;
use crate::tenancy::{claim_labels, scoped_name, tenant_name};
use crate::{Denial, Forward, ResourceKind, ResponsePlan};

/// A spec of either kind, as far as the judge looks into it.
enum Spec {
    Secret(SecretSpec),
    Config(ConfigSpec),
}

impl Spec {
    fn read(cx: &Ctx<'_>, kind: ResourceKind) -> Result<Spec, Stop> {
        Ok(match kind {
            ResourceKind::Secret => Spec::Secret(decode(&cx.req.body)?),
            _ => Spec::Config(decode(&cx.req.body)?),
        })
    }

    fn annotations(&mut self) -> &mut Annotations {
        match self {
            Spec::Secret(s) => &mut s.annotations,
            Spec::Config(c) => &mut c.annotations,
        }
    }

    fn drivers(&self) -> [(&'static str, Option<&Driver>); 2] {
        match self {
            Spec::Secret(s) => [
                ("Driver", s.driver.as_ref()),
                ("Templating", s.templating.as_ref()),
            ],
            Spec::Config(c) => [("Driver", None), ("Templating", c.templating.as_ref())],
        }
    }

    fn encode(&self) -> serde_json::Value {
        match self {
            Spec::Secret(s) => encode(s),
            Spec::Config(c) => encode(c),
        }
    }
}

fn kind_of(cx: &Ctx<'_>) -> ResourceKind {
    match cx.route.endpoint {
        Endpoint::SecretCreate | Endpoint::SecretUpdate => ResourceKind::Secret,
        _ => ResourceKind::Config,
    }
}

/// Refuses a secret store plugin, and templating other than Go's own.
fn judge_drivers(spec: &Spec) -> Result<(), Stop> {
    for (field, d) in spec.drivers() {
        let Some(d) = d else { continue };
        let name = d.name.as_deref().unwrap_or("");
        let ok = field == "Templating" && matches!(name, "" | "golang");
        if !ok {
            return Err(Stop::Deny(
                Denial::policy(
                    crate::RuleId::SWARM_SPEC,
                    format!("`{field}` `{name}` is not allowed"),
                    "store the data in the secret itself (docker secret create NAME FILE)",
                )
                .at(field),
            ));
        }
    }
    Ok(())
}

/// `POST /secrets/create`, `POST /configs/create`.
pub(super) fn create(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let kind = kind_of(cx);
    let mut spec = Spec::read(cx, kind)?;
    judge_drivers(&spec)?;
    let a = spec.annotations();
    let name = a.name.clone().unwrap_or_default();
    a.name = Some(scoped_name(&cx.tenant.id, &name, kind.noun())?);
    claim_labels(&mut a.labels, &cx.tenant.id, "Labels")?;
    cx.mark_rewritten();
    Ok(cx.forward(
        cx.req.path.clone(),
        &cx.query,
        Some(spec.encode()),
        ResponsePlan::PassThrough,
    ))
}

/// `POST /secrets/{id}/update`, `POST /configs/{id}/update`: swarm changes
/// only the labels; the name stays the engine's (as the CLI sends it back,
/// in the tenant's words).
pub(super) fn update(cx: &Ctx<'_>, kind: ResourceKind) -> Result<Forward, Stop> {
    let owned = cx.resolve(kind, cx.route.reference())?;
    let mut spec = Spec::read(cx, kind)?;
    judge_drivers(&spec)?;
    let a = spec.annotations();
    let given = a.name.clone().unwrap_or_default();
    let own = tenant_name(&cx.tenant.id, &owned.name).unwrap_or_default();
    if given != own && given != owned.name {
        return Err(Stop::Deny(Denial::daemon(
            400,
            None,
            "rpc error: code = InvalidArgument desc = only updates to Labels are allowed"
                .to_string(),
        )));
    }
    a.name = Some(owned.name.clone());
    claim_labels(&mut a.labels, &cx.tenant.id, "Labels")?;
    cx.mark_rewritten();
    Ok(cx.forward(
        cx.path_with_ref(&owned.id)?,
        &cx.query,
        Some(spec.encode()),
        ResponsePlan::PassThrough,
    ))
}
