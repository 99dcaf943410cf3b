//! `images.*`: which images a container may run, and which image operations
//! a tenant may do. Pull is allowed; build, push, and the operations that
//! change or export the shared image store are denied by default.

use crate::image::{ImagePattern, Reference};
use crate::policy::ImagesParams;
use crate::{Denial, Enforcer, Tenant};

/// Rule ids.
pub const ALLOWED: crate::RuleId = crate::RuleId::IMAGES_ALLOWED;
/// `docker build`.
pub const BUILD: crate::RuleId = crate::RuleId::IMAGES_BUILD;
/// `docker push`.
pub const PUSH: crate::RuleId = crate::RuleId::IMAGES_PUSH;
/// tag, commit, import, load, save, delete, prune.
pub const MANAGE: crate::RuleId = crate::RuleId::IMAGES_MANAGE;
/// `docker pull`.
pub const PULL: crate::RuleId = crate::RuleId::IMAGES_PULL;

/// Checks an image reference against the tenant's (or the policy's)
/// patterns; an empty list allows any image from an allowed registry.
pub fn check_image(
    params: &ImagesParams,
    tenant: &Tenant,
    image: &Reference,
    field: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    let allow = tenant.limits.images.as_ref().unwrap_or(&params.allow);
    if allow.is_empty() || allow.iter().any(|p| p.matches(image)) {
        return Ok(());
    }
    let list: Vec<&str> = allow.iter().map(ImagePattern::as_str).collect();
    en.refuse(
        Denial::policy(
            ALLOWED,
            format!("the image `{}` is not allowed", image.familiar()),
            format!("use an image matching one of: {}", list.join(", ")),
        )
        .at(field),
    )
}

/// An image operation the policy may forbid (only `images.pull` may be
/// downgraded: the others act on the shared image store).
pub fn operation(
    rule: crate::RuleId,
    allowed: bool,
    what: &str,
    instead: &str,
    en: &Enforcer,
) -> Result<(), Denial> {
    if allowed {
        Ok(())
    } else {
        en.refuse(Denial::policy(
            rule,
            format!("{what} is not allowed"),
            instead,
        ))
    }
}
