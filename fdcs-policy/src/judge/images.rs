//! Image endpoints (DESIGN.md invariants 10 and 11).
//!
//! Every route that makes the daemon contact a registry — pull, login,
//! search, distribution inspect, push — is judged against the registries
//! the operator listed, with the credentials judged too. Images of a shared
//! registry are everyone's; an image of a private registry exists only for
//! the tenants that pulled it (their claims, [`crate::tenancy::claims`]).
//! Everything that writes to or exports the shared store is a policy
//! decision, denied by default.

use super::containers::scoped_filters;
use super::ctx::{forbidden, Ctx, Stop};
use crate::image::{
    may_be_id_prefix, search_registry, server_address_registry, AnyReference, Reference,
};
use crate::query::Query;
use crate::route::Endpoint;
use crate::rules::images::{self, BUILD, MANAGE, PULL, PUSH};
use crate::rules::registries;
use crate::tenancy::claims::{self, claim_for, is_shared, no_such_image, parse_claim};
use crate::tenancy::filters::{self, FilterScope};
use crate::{Denial, Forward, Obligation, Prelude, PullClaim, ResponsePlan, ResponseRewrite};

/// Rule id of a reference the engine would not read.
pub(crate) const REFERENCE: crate::RuleId = crate::RuleId::IMAGES_REFERENCE;

pub(super) fn judge(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.images;
    match cx.route.endpoint {
        Endpoint::ImageList => {
            let scoped = scoped_filters(cx, FilterScope::Images)?;
            let mut q = cx.query.clone();
            if cx.query.get("filters").is_some() {
                q.set("filters", scoped.upstream);
            }
            let plan = ResponseRewrite::ImageList {
                shared: p.shared.clone(),
            };
            Ok(cx.forward(cx.req.path.clone(), &q, None, ResponsePlan::Rewrite(plan)))
        }
        Endpoint::ImageInspect | Endpoint::ImageHistory => inspect(cx),
        Endpoint::ImageAttestations => Err(Stop::Deny(no_such_image(cx.route.reference()))),
        Endpoint::ImageSearch => search(cx),
        Endpoint::DistributionInspect => distribution(cx),
        Endpoint::ImageCreate if cx.query.get("fromSrc").is_some_and(|s| !s.is_empty()) => {
            import(cx)
        }
        Endpoint::ImageCreate => pull(cx),
        Endpoint::ImagePrune if !p.allow_manage => prune(cx, IMAGE_PRUNE),
        Endpoint::BuildPrune if !p.allow_build => prune(cx, BUILD_PRUNE),
        Endpoint::ImageBuild | Endpoint::BuildPrune => build(cx),
        Endpoint::ImagePush => push(cx),
        Endpoint::ImageDelete => delete(cx),
        _ => {
            if cx.route.endpoint == Endpoint::ImageTag {
                not_reserved(cx, "repo")?;
            }
            let what = match cx.route.endpoint {
                Endpoint::ImageTag => "tagging images",
                Endpoint::ImageCommit => "committing containers to images",
                Endpoint::ImagePrune => "pruning shared images",
                Endpoint::ImageLoad => "loading images from a tar archive",
                _ => "exporting images (save)",
            };
            images::operation(
                MANAGE,
                p.allow_manage,
                what,
                "images on this engine are shared and managed by the operator",
                &cx.enforcer,
            )?;
            Ok(cx.as_is(ResponsePlan::PassThrough))
        }
    }
}

/// One prune the core answers itself: the filters the daemon accepts, its
/// words for one it does not, and its report of nothing removed.
struct Prune {
    accepted: &'static [&'static str],
    refusal: &'static str,
    report: &'static str,
}

/// `POST /images/prune` (`docker image prune [-a]`, a step of `docker
/// system prune`), filters as the daemon's `ImagesPrune` accepts them.
const IMAGE_PRUNE: Prune = Prune {
    accepted: &["dangling", "label", "label!", "until"],
    refusal: "",
    report: "ImagesDeleted",
};

/// `POST /build/prune` (`docker builder prune`, a step of `docker system
/// prune`), filters as the daemon's build cache accepts them (`label` and
/// `label!` among them, which `docker system prune --filter` passes on).
const BUILD_PRUNE: Prune = Prune {
    accepted: &[
        "until",
        "unused-for",
        "label",
        "label!",
        "id",
        "parent",
        "type",
        "description",
        "inuse",
        "shared",
        "private",
    ],
    refusal: "failed to prune build cache: ",
    report: "CachesDeleted",
};

/// An image or build-cache prune, answered by the core with the daemon's
/// own empty report (`{"ImagesDeleted":null,"SpaceReclaimed":0}`,
/// `{"CachesDeleted":null,"SpaceReclaimed":0}`) and never forwarded:
/// whatever it would remove is shared. A dangling image has no tag, so no
/// claim: it is no tenant's. `-a` (`dangling=false`) would remove every
/// image no container uses, shared ones first; the tenant's private
/// images (its claims) are left to `docker rmi`. The build cache belongs
/// to no tenant (and without builds a tenant made none). So `docker system
/// prune`, which sends container, network, image and build-cache prunes
/// one after another, completes with what the first two removed instead of
/// failing after them.
fn prune(cx: &Ctx<'_>, kind: Prune) -> Result<Forward, Stop> {
    let filters = filters::parse(cx.query.get("filters").unwrap_or(""))?;
    if let Some(key) = filters
        .keys()
        .find(|k| !kind.accepted.contains(&k.as_str()))
    {
        return Err(Stop::Deny(Denial::daemon(
            400,
            None,
            format!("{}Invalid filter '{key}'", kind.refusal),
        )));
    }
    let mut body = serde_json::Map::new();
    body.insert(kind.report.into(), serde_json::Value::Null);
    body.insert("SpaceReclaimed".into(), serde_json::Value::from(0));
    Ok(cx.as_is(ResponsePlan::Answer {
        body: serde_json::Value::Object(body),
    }))
}

fn malformed(e: impl std::fmt::Display, field: &str) -> Stop {
    Stop::Deny(
        Denial::malformed(
            REFERENCE,
            e.to_string(),
            "name images as `name[:tag]` or `name@digest`",
        )
        .at(field),
    )
}

/// A named reference the tenant gave, refused when it names fdcs's own
/// records.
fn named(cx: &Ctx<'_>, r: Reference, field: &str) -> Result<Reference, Stop> {
    if claims::is_reserved(&r) {
        registries::check_registry(
            &cx.policy.images,
            cx.tenant,
            claims::CLAIM_DOMAIN,
            field,
            &cx.enforcer,
        )?;
    }
    Ok(r)
}

/// Refuses a query value (`repo`, `t`) that would write an image name
/// under fdcs's records.
fn not_reserved(cx: &Ctx<'_>, key: &str) -> Result<(), Stop> {
    match cx.query.get(key).filter(|v| !v.is_empty()) {
        Some(v) => match Reference::parse(v) {
            Ok(r) => named(cx, r, key).map(|_| ()),
            Err(e) => Err(malformed(e, key)),
        },
        None => Ok(()),
    }
}

/// Where a tenant's image reference points on the engine: its own claim
/// for a private image named by tag, or the reference itself (an id, a
/// digest or a shared name, judged on the answer).
fn engine_reference(cx: &Ctx<'_>, given: &str, field: &str) -> Result<Option<String>, Stop> {
    match Reference::parse_any(given) {
        Ok(AnyReference::Named(r)) => claim_of(cx, &named(cx, r, field)?),
        _ => Ok(None),
    }
}

/// The tenant's claim a named reference stands for (`None`: shared, or a
/// digest, which the engine resolves as it is).
fn claim_of(cx: &Ctx<'_>, r: &Reference) -> Result<Option<String>, Stop> {
    if is_shared(&cx.policy.images.shared, r) || r.digest.is_some() {
        Ok(None)
    } else {
        Ok(Some(
            claim_for(&cx.tenant.id, &r.with_default_tag())?.canonical(),
        ))
    }
}

/// `GET /images/{name}/json` and `/history`.
fn inspect(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let given = cx.route.reference();
    let history = cx.route.endpoint == Endpoint::ImageHistory;
    let path = match engine_reference(cx, given, "name")? {
        Some(claim) => {
            let tail = if history { "history" } else { "json" };
            cx.versioned(&format!("/images/{claim}/{tail}"))
        }
        None => cx.req.path.clone(),
    };
    let plan = ResponseRewrite::ImageInspect {
        reference: given.to_string(),
        shared: cx.policy.images.shared.clone(),
        history,
    };
    Ok(cx.forward(path, &cx.query, None, ResponsePlan::Rewrite(plan)))
}

/// `X-Registry-Auth` on a service create or update: the credentials the
/// nodes pull the service's image with, judged as a pull's are (only for
/// the image's own registry). An image named by id needs no credentials.
pub(crate) fn service_registry_auth(cx: &Ctx<'_>, image: &str) -> Result<Option<String>, Stop> {
    let header = cx.req.registry_auth.as_deref();
    match Reference::parse_any(image) {
        Ok(AnyReference::Named(r)) => Ok(registries::judge_auth_header(header, &r.domain)?),
        _ if header.is_none_or(str::is_empty) => Ok(None),
        _ => Err(Stop::Deny(Denial::malformed(
            crate::RuleId::IMAGES_CREDENTIALS,
            "registry credentials for an image named by id",
            "name the image by its registry and name",
        ))),
    }
}

/// Resolves a container's `Image` to what the engine should run: the
/// tenant's claim of a private image, the pinned id of an image named by id
/// (after checking that the tenant may see it), or the shared name.
pub(crate) fn container_image(cx: &Ctx<'_>, given: &str) -> Result<String, Stop> {
    let p = &cx.policy.images;
    let parsed = Reference::parse_any(given).map_err(|e| malformed(e, "Image"))?;
    if let AnyReference::Named(r) = &parsed {
        named(cx, r.clone(), "Image")?;
        // a digest of a private repository may be another tenant's pull:
        // only the engine knows whose, so it is looked up like an id
        let private_digest = r.digest.is_some() && !is_shared(&p.shared, r);
        if !may_be_id_prefix(given) && !private_digest {
            // a private image comes only from a listed registry (so compose
            // lint reports the registry a deploy's pull would be refused)
            if !is_shared(&p.shared, r) {
                registries::check_registry(p, cx.tenant, &r.domain, "Image", &cx.enforcer)?;
            }
            images::check_image(p, cx.tenant, &r.with_default_tag(), "Image", &cx.enforcer)?;
            return Ok(claim_of(cx, r)?.unwrap_or_else(|| given.to_string()));
        }
    }
    // an id, or a name the daemon may also read as an id prefix: which
    // image it is, and whether the tenant may see it, only the engine knows
    let Some(found) = cx.facts.images.get(given) else {
        return Err(Stop::Need(Obligation::Image {
            reference: given.to_string(),
        }));
    };
    let Some(img) = found else {
        return Err(Stop::Deny(no_such_image(given)));
    };
    let Some(view) = claims::view(&p.shared, &cx.tenant.id, &img.repo_tags, &img.repo_digests)
    else {
        return Err(Stop::Deny(no_such_image(given)));
    };
    let allowed = view
        .repo_tags
        .iter()
        .chain(view.repo_digests.iter())
        .filter_map(|n| Reference::parse(n).ok())
        .any(|r| {
            // a probe: only the refusal below counts
            let probe = crate::Enforcer::deny_all();
            images::check_image(p, cx.tenant, &r.with_default_tag(), "Image", &probe).is_ok()
        });
    if !allowed {
        let named = view.repo_tags.first().or(view.repo_digests.first());
        let r = named.and_then(|n| Reference::parse(n).ok());
        match r {
            Some(r) => {
                let probe = crate::Enforcer::deny_all();
                match images::check_image(p, cx.tenant, &r, "Image", &probe) {
                    Err(d) => cx.enforcer.refuse(d)?,
                    Ok(()) => return Err(Stop::Deny(no_such_image(given))),
                }
            }
            None => return Err(Stop::Deny(no_such_image(given))),
        }
    }
    cx.mark_rewritten();
    Ok(img.id.clone())
}

/// What the image a create runs declares (`EXPOSE`, `VOLUME`): asked of
/// the engine (one inspect of `engine`, the reference [`container_image`]
/// gave) unless judging it already asked (an image named by id), or there
/// is no image store to ask ([`crate::Facts::images_unknown`]: `None`, the
/// body is judged alone).
///
/// An image the engine does not have is the daemon's own "No such image"
/// (404), as the create would have answered: the docker CLI then pulls it
/// and sends the create again.
pub(crate) fn image_config<'a>(
    cx: &Ctx<'a>,
    given: &str,
    engine: &str,
) -> Result<Option<&'a crate::ImageFacts>, Stop> {
    let found = cx
        .facts
        .images
        .get(engine)
        .or_else(|| cx.facts.images.get(given));
    match found {
        Some(Some(img)) => Ok(Some(img)),
        Some(None) => Err(Stop::Deny(no_such_image(&daemon_name(given)))),
        None if cx.facts.images_unknown => Ok(None),
        None => Err(Stop::Need(Obligation::Image {
            reference: engine.to_string(),
        })),
    }
}

/// A reference as the daemon's "No such image" shows it: a name with its
/// default tag, familiar (`busybox:latest`); anything else as given.
fn daemon_name(given: &str) -> String {
    match Reference::parse_any(given) {
        Ok(AnyReference::Named(r)) => r.with_default_tag().familiar(),
        _ => given.to_string(),
    }
}

/// `POST /images/create?fromImage=`: a pull.
fn pull(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.images;
    images::operation(
        PULL,
        p.allow_pull,
        "pulling images",
        "ask the operator for the images you need",
        &cx.enforcer,
    )?;
    let from = cx.query.get("fromImage").unwrap_or("");
    if from.is_empty() {
        return Err(Stop::Deny(
            Denial::malformed(
                REFERENCE,
                "a pull needs `fromImage`",
                "name the image to pull (docker pull NAME:TAG)",
            )
            .at("fromImage"),
        ));
    }
    let tag = cx.query.get("tag").unwrap_or("");
    let r = Reference::parse_pull(from, tag).map_err(|e| malformed(e, "fromImage"))?;
    let r = named(cx, r, "fromImage")?;
    registries::check_registry(p, cx.tenant, &r.domain, "fromImage", &cx.enforcer)?;
    // refused whatever the mode: the claim of a private pull records one tag
    if r.is_name_only() {
        return Err(Stop::Deny(
            Denial::policy(
                PULL,
                format!("pulling every tag of `{}` is not allowed", r.familiar()),
                "pull one tag or digest (docker pull NAME:TAG)",
            )
            .at("tag"),
        ));
    }
    images::check_image(p, cx.tenant, &r, "fromImage", &cx.enforcer)?;
    let auth = registries::judge_auth_header(cx.req.registry_auth.as_deref(), &r.domain)?;

    let mut q = Query::default();
    q.set("fromImage", r.name());
    q.set(
        "tag",
        r.digest
            .clone()
            .or_else(|| r.tag.clone())
            .unwrap_or_default(),
    );
    if let Some(platform) = cx.query.get("platform").filter(|s| !s.is_empty()) {
        q.set("platform", platform);
    }
    let claim = if is_shared(&p.shared, &r) {
        None
    } else {
        let c = claim_for(&cx.tenant.id, &r)?;
        Some(PullClaim {
            prefix: cx.route.prefix(),
            name: r.name(),
            reference: r.canonical(),
            repo: c.name(),
            tag: c.tag.clone().unwrap_or_default(),
        })
    };
    let mut fwd = cx.forward(cx.req.path.clone(), &q, None, ResponsePlan::Pull { claim });
    fwd.registry_auth = auth;
    Ok(fwd)
}

/// `POST /images/create?fromSrc=`: an import. The daemon fetches any other
/// source than the request body (`-`) as a URL, so only `-` is allowed.
fn import(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    images::operation(
        MANAGE,
        cx.policy.images.allow_manage,
        "importing an image (fromSrc)",
        "pull images from a registry instead",
        &cx.enforcer,
    )?;
    if cx.query.get("fromImage").is_some_and(|s| !s.is_empty()) {
        // the daemon pulls whenever `fromImage` is set
        return Err(forbidden(
            MANAGE,
            "an import cannot also name an image to pull (fromImage)",
            "import with fromSrc=- alone, or pull separately",
        ));
    }
    not_reserved(cx, "repo")?;
    if cx.query.get("fromSrc") != Some("-") {
        return Err(forbidden(
            MANAGE,
            "importing from a URL makes the daemon fetch it and is not allowed",
            "send the archive in the request body (docker import FILE)",
        ));
    }
    let mut fwd = cx.as_is(ResponsePlan::PassThrough);
    fwd.stream_body = true;
    Ok(fwd)
}

/// The request as it is, to a registry already judged allowed, with the
/// client's credentials judged for that registry and re-encoded.
fn as_is_to_registry(cx: &Ctx<'_>, registry: &str) -> Result<Forward, Stop> {
    let mut fwd = cx.as_is(ResponsePlan::PassThrough);
    fwd.registry_auth = registries::judge_auth_header(cx.req.registry_auth.as_deref(), registry)?;
    Ok(fwd)
}

/// `GET /images/search?term=`: the daemon asks the term's registry.
fn search(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let term = cx.query.get("term").unwrap_or("");
    let registry = search_registry(term);
    registries::check_registry(
        &cx.policy.images,
        cx.tenant,
        &registry,
        "term",
        &cx.enforcer,
    )?;
    as_is_to_registry(cx, &registry)
}

/// `GET /distribution/{name}/json`: the daemon fetches the manifest.
fn distribution(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let given = cx.route.reference();
    let r = match Reference::parse_any(given).map_err(|e| malformed(e, "name"))? {
        AnyReference::Named(r) => named(cx, r, "name")?,
        AnyReference::Id(_) => {
            return Err(Stop::Deny(Denial::malformed(
                REFERENCE,
                "an image id names no registry",
                "name the image by repository (NAME:TAG)",
            )))
        }
    };
    registries::check_registry(
        &cx.policy.images,
        cx.tenant,
        &r.domain,
        "name",
        &cx.enforcer,
    )?;
    as_is_to_registry(cx, &r.domain)
}

/// `POST /auth`: `docker login`, judged like any body and forwarded as
/// judged.
pub(super) fn login(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let auth: crate::decode::AuthConfig = crate::decode::decode(&cx.req.body)?;
    let registry = server_address_registry(auth.server_address.as_deref().unwrap_or(""))
        .map_err(|e| malformed(e, "serveraddress"))?;
    registries::check_registry(
        &cx.policy.images,
        cx.tenant,
        &registry,
        "serveraddress",
        &cx.enforcer,
    )?;
    let body = crate::decode::encode(&auth);
    Ok(cx.forward(
        cx.req.path.clone(),
        &cx.query,
        Some(body),
        ResponsePlan::PassThrough,
    ))
}

/// `docker build`: denied by default; when allowed, never a remote context,
/// and only credentials for allowed registries.
fn build(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.images;
    images::operation(
        BUILD,
        p.allow_build,
        "building images on the shared engine",
        "build elsewhere, push to a registry, then pull",
        &cx.enforcer,
    )?;
    // Even when allowed, a build's remote context would make the daemon
    // fetch a URL of the tenant's choosing.
    if cx.query.get("remote").is_some_and(|r| !r.is_empty()) {
        return Err(forbidden(
            BUILD,
            "a remote build context is not allowed",
            "send the build context from the client",
        ));
    }
    // RUN steps on the host's network (or another container's) reach what
    // the daemon reaches
    if !matches!(
        cx.query.get("networkmode"),
        None | Some("" | "default" | "none")
    ) {
        return Err(forbidden(
            BUILD,
            "a build network mode other than the default is not allowed",
            "build without --network",
        ));
    }
    not_reserved(cx, "t")?;
    let mut fwd = cx.as_is(ResponsePlan::PassThrough);
    fwd.stream_body = true;
    fwd.registry_config =
        registries::judge_config_header(p, cx.tenant, cx.req.registry_config.as_deref())?;
    Ok(fwd)
}

/// `docker push`: denied by default; when allowed, only to an allowed
/// registry, and never a private image (the engine's copy may be another
/// tenant's).
fn push(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.images;
    images::operation(
        PUSH,
        p.allow_push,
        "pushing images from the shared engine",
        "push from your own build machine",
        &cx.enforcer,
    )?;
    let tag = cx.query.get("tag").unwrap_or("");
    let r = Reference::parse_pull(cx.route.reference(), tag).map_err(|e| malformed(e, "name"))?;
    let r = named(cx, r, "name")?;
    registries::check_registry(p, cx.tenant, &r.domain, "name", &cx.enforcer)?;
    if !is_shared(&p.shared, &r) {
        return Err(forbidden(
            PUSH,
            "pushing an image of a private registry from the shared engine is not allowed",
            "push from your own build machine",
        ));
    }
    as_is_to_registry(cx, &r.domain)
}

/// `docker rmi NAME` of a private image: removes the tenant's claim, and
/// the image's private names with it when no other tenant claims it (the
/// daemon then removes the image unless a container uses it). Anything
/// else is image management.
fn delete(cx: &Ctx<'_>) -> Result<Forward, Stop> {
    let p = &cx.policy.images;
    let given = cx.route.reference();
    let claim = match engine_reference(cx, given, "name")? {
        Some(claim) => claim,
        None => {
            images::operation(
                MANAGE,
                p.allow_manage,
                "deleting shared images",
                "images on this engine are shared and managed by the operator",
                &cx.enforcer,
            )?;
            return Ok(cx.as_is(ResponsePlan::PassThrough));
        }
    };
    let Some(found) = cx.facts.images.get(&claim) else {
        return Err(Stop::Need(Obligation::Image { reference: claim }));
    };
    let Some(img) = found else {
        return Err(Stop::Deny(no_such_image(given)));
    };
    let others = img
        .repo_tags
        .iter()
        .any(|t| parse_claim(t).is_some_and(|(owner, _)| owner != cx.tenant.id.as_str()));
    let mut fwd = cx.forward(
        cx.versioned(&format!("/images/{claim}")),
        &Query::default(),
        None,
        ResponsePlan::Rewrite(ResponseRewrite::ImageDelete),
    );
    if !others {
        // the private names this claim kept: nobody else may see them
        for t in &img.repo_tags {
            let private = parse_claim(t).is_none()
                && Reference::parse(t).is_ok_and(|r| !is_shared(&p.shared, &r));
            if private {
                fwd.postlude.push(Prelude {
                    method: "DELETE".into(),
                    path: cx.versioned(&format!("/images/{t}")),
                    body: serde_json::Value::Null,
                });
            }
        }
    }
    Ok(fwd)
}
