//! `images.*`: which images a container may run, and which image operations
//! a tenant may do. Pull is allowed; build, push, and the operations that
//! change or export the shared image store are denied by default.

use crate::policy::ImagesParams;
use crate::{Denial, Tenant};

/// Rule ids.
pub const ALLOWED: &str = "images.allowed";
/// `docker build`.
pub const BUILD: &str = "images.build";
/// `docker push`.
pub const PUSH: &str = "images.push";
/// tag, commit, import, load, save, delete, prune.
pub const MANAGE: &str = "images.manage";
/// `docker pull`.
pub const PULL: &str = "images.pull";

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p.get(pi) != Some(&b'*') && p.get(pi) == t.get(ti) {
            pi += 1;
            ti += 1;
        } else if p.get(pi) == Some(&b'*') {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&b'*') {
        pi += 1;
    }
    pi == p.len()
}

/// Checks an image reference against the tenant's (or the policy's) list.
pub fn check_image(
    params: &ImagesParams,
    tenant: &Tenant,
    image: &str,
    field: &str,
) -> Result<(), Denial> {
    let allow = tenant.limits.images.as_ref().unwrap_or(&params.allow);
    if allow.is_empty() {
        return Ok(());
    }
    let tagged = if image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
    {
        image.to_string()
    } else {
        format!("{image}:latest")
    };
    if allow.iter().any(|p| glob(p, image) || glob(p, &tagged)) {
        Ok(())
    } else {
        Err(Denial::policy(
            ALLOWED,
            format!("the image `{image}` is not allowed"),
            format!("use an image matching one of: {}", allow.join(", ")),
        )
        .at(field))
    }
}

/// An image operation the policy may forbid.
pub fn operation(
    rule: &'static str,
    allowed: bool,
    what: &str,
    instead: &str,
) -> Result<(), Denial> {
    if allowed {
        Ok(())
    } else {
        Err(Denial::policy(
            rule,
            format!("{what} is not allowed"),
            instead,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("busybox*", "busybox:latest"));
        assert!(glob("registry.example/*", "registry.example/team/app:1"));
        assert!(!glob(
            "registry.example/*",
            "evil.example/registry.example/x"
        ));
        assert!(glob("*:1.*", "app:1.2"));
        assert!(!glob("busybox", "busybox2"));
    }
}
