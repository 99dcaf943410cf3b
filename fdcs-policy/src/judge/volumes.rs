//! Volume endpoints: scoped names, owner label, `local` driver without
//! options that would mount a host path (invariant 3).

use super::containers::{filtered, prune};
use super::ctx::{forbidden, Ctx, Stop};
use crate::decode::{decode, encode, VolumeCreate};
use crate::route::Endpoint;
use crate::rules::{bounds, mounts};
use crate::tenancy::filters::FilterScope;
use crate::tenancy::{claim_labels, scoped_name};
use crate::{Denial, Forward, ResourceKind, ResponsePlan, ResponseRewrite};

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    use ResourceKind::Volume;
    match cx.route.endpoint {
        Endpoint::VolumeList => filtered(cx, FilterScope::VolumeList, |name_filters| {
            ResponseRewrite::VolumeList { name_filters }
        }),
        Endpoint::VolumeInspect => cx.to_ref(
            Volume,
            ResponsePlan::Rewrite(ResponseRewrite::VolumeInspect),
        ),
        Endpoint::VolumeDelete => cx.to_ref(Volume, ResponsePlan::PassThrough),
        Endpoint::VolumeCreate => create(cx),
        Endpoint::VolumeUpdate => Err(forbidden(
            crate::RuleId::SYSTEM_ADMIN,
            "updating cluster volumes is not allowed",
            "use local named volumes",
        )),
        _ => prune(cx, FilterScope::Prune),
    }
}

fn create(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.mounts;
    let mut body: VolumeCreate = decode(&cx.req.body)?;
    if body
        .cluster_volume_spec
        .as_ref()
        .is_some_and(|v| !v.is_null())
    {
        return Err(Stop::Deny(
            Denial::policy(
                crate::RuleId::MOUNTS_VOLUME_DRIVER,
                "cluster volumes are not allowed",
                "create a local named volume",
            )
            .at("ClusterVolumeSpec"),
        ));
    }
    // No name: the daemon picks a random 64-hex name, which no other
    // tenant's scoped reference can ever produce; it is owned by label.
    let own = body.name.clone().filter(|n| !n.is_empty());
    if let Some(name) = own.as_deref() {
        body.name = Some(scoped_name(&cx.tenant.id, name, "volume")?);
    }
    let driver = body
        .driver
        .as_deref()
        .filter(|d| !d.is_empty())
        .unwrap_or("local");
    let en = &cx.enforcer;
    mounts::check_driver(p, driver, "Driver", en)?;
    if let Some(opts) = body.driver_opts.as_mut() {
        mounts::check_driver_opts(p, opts, "DriverOpts", en)?;
        if driver == "local" {
            bounds::volume_create(&cx.policy.volumes, opts, "DriverOpts", en)?;
        }
    }
    // a named local volume without options lives on the operator's shared
    // backend, if the policy names one (a daemon-named one cannot: its
    // directory would need the name it has not got yet)
    let plain = driver == "local" && body.driver_opts.as_ref().is_none_or(|o| o.is_empty());
    if let (true, Some(name)) = (plain, own.as_deref()) {
        if let Some(opts) =
            crate::rules::backend::driver_opts(&cx.policy.volumes, &cx.tenant.id, name)
        {
            body.driver = Some("local".into());
            body.driver_opts = Some(opts);
        }
    }
    claim_labels(&mut body.labels, &cx.tenant.id, "Labels")?;
    super::quotas::on_volume_create(cx, body.name.as_deref().filter(|n| !n.is_empty()))?;
    cx.mark_rewritten();
    Ok(cx.forward(
        cx.req.path.clone(),
        &cx.query,
        Some(encode(&body)),
        ResponsePlan::Rewrite(ResponseRewrite::VolumeInspect),
    ))
}
