//! Private images and who may see them (DESIGN.md invariant 11).
//!
//! Images live in one store that every tenant shares. An image from a
//! registry the policy calls private may hold what only its puller was
//! allowed to read, so it exists only for the tenants that pulled it
//! themselves, through fdcs, with an answer that said it worked.
//!
//! That record — a *claim* — lives in the engine, as an extra tag that fdcs
//! writes after the pull, so that any number of fdcs replicas agree and a
//! restart forgets nothing:
//!
//! ```text
//! beta pulls   127.0.0.1:5000/priv/app:1
//! fdcs tags    fdcs.invalid/beta/127.0.0.1__5000/priv/app:1
//! ```
//!
//! The claim's registry, `fdcs.invalid`, is a name that never resolves
//! (RFC 6761) and that no policy may list, so no tenant can pull, push or
//! name a claim itself. The tenant id never contains `_` or `/`, and a
//! registry host never contains `_`, so `:` is written as `__` and the
//! mapping is injective: a claim reads back to exactly one tenant and one
//! reference. A pull by digest is claimed with the tag `sha256-<hex>`.
//!
//! A tenant's view of an image is its claims (shown with their original
//! names) and the image's names from shared registries; everything else is
//! hidden, and an image with nothing left to show does not exist for it.

use crate::image::{may_be_id_prefix, registry_key, Reference};
use crate::{Denial, TenantId};

/// The daemon's own answer for an image that does not exist (404), given
/// for an image the tenant may not see.
pub fn no_such_image(reference: &str) -> Denial {
    Denial::not_found(format!("No such image: {reference}"))
}

/// The registry of every claim tag; reserved.
pub const CLAIM_DOMAIN: &str = "fdcs.invalid";

/// Whether images of this reference's registry are shared by all tenants.
pub fn is_shared(shared: &[String], r: &Reference) -> bool {
    let key = registry_key(&r.domain);
    key != CLAIM_DOMAIN && shared.contains(&key)
}

/// Whether `text` names, to the engine, only images of a shared registry:
/// a reference by name (not an id, id prefix or digest of a private
/// repository) whose registry is shared.
pub fn is_shared_name(shared: &[String], text: &str) -> bool {
    !may_be_id_prefix(text)
        && Reference::parse(text).is_ok_and(|r| is_shared(shared, &r) && !is_reserved(&r))
}

/// Whether a reference names fdcs's records: the claim registry, or a
/// Docker Hub repository the engine would list under the same text.
pub fn is_reserved(r: &Reference) -> bool {
    registry_key(&r.domain) == CLAIM_DOMAIN
        || (r.domain == crate::image::DEFAULT_DOMAIN
            && r.path
                .get(..CLAIM_DOMAIN.len() + 1)
                .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{CLAIM_DOMAIN}/"))))
}

/// The claim tag recording that `tenant` pulled `r` (a reference with a
/// tag or a digest).
pub fn claim_for(tenant: &TenantId, r: &Reference) -> Result<Reference, Denial> {
    let refuse = |why: &str| {
        Denial::policy(
            crate::RuleId::IMAGES_PRIVATE,
            format!(
                "fdcs cannot keep a private record of `{}`: {why}",
                r.canonical()
            ),
            "pull a shorter name, or ask the operator to share this registry",
        )
    };
    // the host as the engine keeps it in the image's name (not its
    // registry key: `reg:443` and `reg` are different names to the engine)
    let host = &r.domain;
    if !host
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b':'))
    {
        return Err(refuse("its registry host cannot be written in a tag"));
    }
    let tag = match (&r.digest, &r.tag) {
        (Some(d), _) => d.replacen(':', "-", 1),
        (None, Some(t)) => t.clone(),
        (None, None) => "latest".to_string(),
    };
    let text = format!(
        "{CLAIM_DOMAIN}/{tenant}/{}/{}:{tag}",
        host.replace(':', "__"),
        r.path
    );
    Reference::parse(&text).map_err(|_| refuse("the name would be too long"))
}

/// Reads a claim tag (as the engine lists it) back into its tenant and the
/// reference the tenant pulled; `None` for anything that is not a claim.
pub fn parse_claim(tag: &str) -> Option<(&str, Reference)> {
    let rest = tag.strip_prefix(CLAIM_DOMAIN)?.strip_prefix('/')?;
    let (tenant, rest) = rest.split_once('/')?;
    let (host, rest) = rest.split_once('/')?;
    let (path, t) = rest.rsplit_once(':')?;
    // built, not re-parsed: `reg:443` or a one-word host must stay the
    // registry they were, whatever a re-read of their text would make of it
    let (tag, digest) = match t.strip_prefix("sha256-") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (None, Some(format!("sha256:{hex}")))
        }
        _ => (Some(t.to_string()), None),
    };
    let r = Reference {
        domain: host.replace("__", ":"),
        path: path.to_string(),
        tag,
        digest,
    };
    Some((tenant, r))
}

/// What one tenant sees of an image: its names, or nothing at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageView {
    /// `RepoTags` as the tenant sees them.
    pub repo_tags: Vec<String>,
    /// `RepoDigests` as the tenant sees them.
    pub repo_digests: Vec<String>,
}

/// The tenant's view of an image with these engine-side `RepoTags` and
/// `RepoDigests`; `None` when the image does not exist for the tenant.
pub fn view<S: AsRef<str>>(
    shared: &[String],
    tenant: &TenantId,
    repo_tags: &[S],
    repo_digests: &[S],
) -> Option<ImageView> {
    let mut out = ImageView::default();
    let mut claimed: Vec<String> = Vec::new();
    for tag in repo_tags.iter().map(AsRef::as_ref) {
        if let Some((owner, original)) = parse_claim(tag) {
            if owner == tenant.as_str() {
                claimed.push(original.name());
                let list = if original.digest.is_some() {
                    &mut out.repo_digests
                } else {
                    &mut out.repo_tags
                };
                push_unique(list, original.familiar());
            }
        } else if Reference::parse(tag).is_ok_and(|r| is_shared(shared, &r)) {
            push_unique(&mut out.repo_tags, tag.to_string());
        }
    }
    for d in repo_digests.iter().map(AsRef::as_ref) {
        let Ok(r) = Reference::parse(d) else { continue };
        if is_shared(shared, &r) || claimed.contains(&r.name()) {
            push_unique(&mut out.repo_digests, d.to_string());
        }
    }
    if out.repo_tags.is_empty() && out.repo_digests.is_empty() {
        None
    } else {
        Some(out)
    }
}

fn push_unique(list: &mut Vec<String>, s: String) {
    if !list.contains(&s) {
        list.push(s);
    }
}

/// Replaces the tenant's claim tags inside a text (a daemon message, a
/// container's `Image`) with the names the tenant pulled.
pub fn unclaim_text(tenant: &TenantId, text: &str) -> String {
    let prefix = format!("{CLAIM_DOMAIN}/{tenant}/");
    if !text.contains(&prefix) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        out.push_str(rest.get(..at).unwrap_or_default());
        let tail = rest.get(at..).unwrap_or_default();
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._:/@-".contains(c)))
            .unwrap_or(tail.len());
        let word = tail.get(..len).unwrap_or_default();
        match parse_claim(word) {
            Some((_, r)) => out.push_str(&r.familiar()),
            None => out.push_str(word),
        }
        rest = tail.get(len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    fn tenant(id: &str) -> TenantId {
        TenantId::new(id).unwrap()
    }

    fn claim(t: &str, r: &str) -> String {
        claim_for(&tenant(t), &Reference::parse(r).unwrap().with_default_tag())
            .unwrap()
            .canonical()
    }

    #[test]
    fn a_claim_reads_back_to_its_tenant_and_the_reference_pulled() {
        for r in [
            "127.0.0.1:5000/priv/app:1",
            "reg.example/team/app:v1.2",
            "reg.example:443/x:latest",
            "localhost:5000/a__b/c:t",
            "reg.example/app@sha256:0123456789012345678901234567890123456789012345678901234567890123",
        ] {
            let c = claim("beta", r);
            assert!(c.starts_with("fdcs.invalid/beta/"), "{c}");
            let (owner, back) = parse_claim(&c).unwrap();
            assert_eq!(owner, "beta");
            assert_eq!(back, Reference::parse(r).unwrap(), "{r} via {c}");
        }
    }

    #[test]
    fn claims_of_different_tenants_or_references_never_collide() {
        let pairs = [
            ("alpha", "reg.example:5000/x:1"),
            ("alpha", "reg.example/5000/x:1"),
            ("alpha", "reg.example__5000/x:1"),
            ("alphab", "reg.example/x:1"),
            ("alpha", "b/reg.example/x:1"),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (t, r) in pairs {
            if let Ok(parsed) = Reference::parse(r) {
                if let Ok(c) = claim_for(&tenant(t), &parsed) {
                    assert!(seen.insert(c.canonical()), "{t} {r} collides");
                }
            }
        }
    }

    #[test]
    fn a_tenant_sees_its_claims_and_shared_names_only() {
        let shared = vec!["docker.io".to_string()];
        let tags = [
            "busybox:latest".to_string(),
            "127.0.0.1:5000/priv/app:1".to_string(),
            claim("beta", "127.0.0.1:5000/priv/app:1"),
        ];
        let digests = ["127.0.0.1:5000/priv/app@sha256:0123456789012345678901234567890123456789012345678901234567890123".to_string()];
        let beta = view(&shared, &tenant("beta"), &tags, &digests).unwrap();
        assert_eq!(
            beta.repo_tags,
            ["busybox:latest", "127.0.0.1:5000/priv/app:1"]
        );
        assert_eq!(beta.repo_digests.len(), 1);
        let alpha = view(&shared, &tenant("alpha"), &tags, &digests).unwrap();
        assert_eq!(alpha.repo_tags, ["busybox:latest"]);
        assert!(alpha.repo_digests.is_empty());
        // without the shared name, the image does not exist for alpha
        assert!(view(&shared, &tenant("alpha"), &tags[1..], &digests).is_none());
        assert!(view(&shared, &tenant("alpha"), &[] as &[String], &[]).is_none());
    }

    #[test]
    fn claims_in_messages_read_as_the_names_pulled() {
        let c = claim("beta", "127.0.0.1:5000/priv/app:1");
        let msg = format!("No such image: {c}");
        assert_eq!(
            unclaim_text(&tenant("beta"), &msg),
            "No such image: 127.0.0.1:5000/priv/app:1"
        );
        // another tenant's claim is not decoded for alpha
        assert_eq!(unclaim_text(&tenant("alpha"), &msg), msg);
    }
}
