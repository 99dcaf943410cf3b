//! Image endpoints. Images are shared by all tenants (they hold no tenant
//! data), so reads are allowed; pulling is allowed; everything that writes
//! to or exports the shared store is a policy decision, denied by default.

use super::containers::scoped_filters;
use super::ctx::{forbidden, Ctx, Stop};
use crate::route::Endpoint;
use crate::rules::images::{self, BUILD, MANAGE, PULL, PUSH};
use crate::tenancy::filters::FilterScope;
use crate::{Forward, ResponsePlan};

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.images;
    match cx.route.endpoint {
        Endpoint::ImageList => {
            let scoped = scoped_filters(cx, FilterScope::Images)?;
            let mut q = cx.query.clone();
            if cx.query.get("filters").is_some() {
                q.set("filters", scoped.upstream);
            }
            Ok(cx.forward(cx.req.path.clone(), &q, None, ResponsePlan::PassThrough))
        }
        Endpoint::ImageInspect
        | Endpoint::ImageHistory
        | Endpoint::ImageSearch
        | Endpoint::DistributionInspect
        | Endpoint::ImageAttestations => Ok(cx.as_is(ResponsePlan::PassThrough)),
        Endpoint::ImageCreate => {
            if cx.query.get("fromSrc").is_some_and(|s| !s.is_empty()) {
                images::operation(
                    MANAGE,
                    p.allow_manage,
                    "importing an image (fromSrc)",
                    "pull images from a registry instead",
                )?;
                return Ok(cx.as_is(ResponsePlan::PassThrough));
            }
            images::operation(
                PULL,
                p.allow_pull,
                "pulling images",
                "ask the operator for the images you need",
            )?;
            let from = cx.query.get("fromImage").unwrap_or("");
            let image = match cx.query.get("tag").filter(|t| !t.is_empty()) {
                Some(tag) if tag.starts_with("sha256:") => format!("{from}@{tag}"),
                Some(tag) => format!("{from}:{tag}"),
                None => from.to_string(),
            };
            images::check_image(p, cx.tenant, &image, "fromImage")?;
            Ok(cx.as_is(ResponsePlan::PassThrough))
        }
        Endpoint::ImageBuild | Endpoint::BuildPrune => {
            images::operation(
                BUILD,
                p.allow_build,
                "building images on the shared engine",
                "build elsewhere, push to a registry, then pull",
            )?;
            // Even when allowed, a build's remote context would make the
            // daemon fetch a URL of the tenant's choosing.
            if cx.query.get("remote").is_some_and(|r| !r.is_empty()) {
                return Err(forbidden(
                    BUILD,
                    "a remote build context is not allowed",
                    "send the build context from the client",
                ));
            }
            let mut fwd = cx.as_is(ResponsePlan::PassThrough);
            fwd.stream_body = true;
            Ok(fwd)
        }
        Endpoint::ImagePush => {
            images::operation(
                PUSH,
                p.allow_push,
                "pushing images from the shared engine",
                "push from your own build machine",
            )?;
            Ok(cx.as_is(ResponsePlan::PassThrough))
        }
        _ => {
            let what = match cx.route.endpoint {
                Endpoint::ImageTag => "tagging images",
                Endpoint::ImageCommit => "committing containers to images",
                Endpoint::ImageDelete => "deleting shared images",
                Endpoint::ImagePrune => "pruning shared images",
                Endpoint::ImageLoad => "loading images from a tar archive",
                _ => "exporting images (save)",
            };
            images::operation(
                MANAGE,
                p.allow_manage,
                what,
                "images on this engine are shared and managed by the operator",
            )?;
            Ok(cx.as_is(ResponsePlan::PassThrough))
        }
    }
}
