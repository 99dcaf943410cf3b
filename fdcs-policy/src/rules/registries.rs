//! `images.registry`, `images.credentials`, `images.reserved`: which
//! registries the daemon may contact on a tenant's behalf, and with which
//! credentials (DESIGN.md invariant 10).
//!
//! The daemon runs on the host's network and follows what a registry
//! answers — redirects, `WWW-Authenticate` realms — to any URL. A registry
//! the tenant picks is therefore a way to make the host send requests
//! anywhere; only the operator's list is contacted. The list is compared on
//! the registry host exactly as the engine derives it from the reference;
//! nothing here resolves a name, so an IP literal in any spelling, a
//! trailing dot or `localhost` are only allowed when listed exactly.

use std::collections::BTreeMap;

use crate::decode::{
    decode_registry_auth, decode_registry_config, encode_registry_auth, AuthConfig,
};
use crate::image::{classify_host, registry_key, server_address_registry, HostKind};
use crate::policy::ImagesParams;
use crate::tenancy::claims::CLAIM_DOMAIN;
use crate::{Denial, Tenant};

/// A registry not on the operator's list.
pub const REGISTRY: crate::RuleId = crate::RuleId::IMAGES_REGISTRY;
/// Registry credentials that do not belong to the request's registry.
pub const CREDENTIALS: crate::RuleId = crate::RuleId::IMAGES_CREDENTIALS;
/// fdcs's own records (the `fdcs.invalid` registry).
pub const RESERVED: crate::RuleId = crate::RuleId::IMAGES_RESERVED;

/// Every registry this tenant may have the daemon contact.
pub fn allowed_registries<'a>(
    params: &'a ImagesParams,
    tenant: &'a Tenant,
) -> impl Iterator<Item = &'a str> {
    params
        .registries
        .iter()
        .chain(tenant.limits.registries.iter())
        .map(String::as_str)
}

/// Refuses a registry (a reference's domain) that is not listed. In `warn`
/// or `audit` mode (`en`) a registry *name* is let through; an IP
/// address, `localhost` or a trailing dot never is (the daemon would reach
/// into the host's own network).
pub fn check_registry(
    params: &ImagesParams,
    tenant: &Tenant,
    domain: &str,
    field: &str,
    en: &crate::Enforcer,
) -> Result<(), Denial> {
    let key = registry_key(domain);
    if key == CLAIM_DOMAIN {
        return Err(Denial::policy(
            RESERVED,
            format!(
                "the registry `{CLAIM_DOMAIN}` is reserved for fdcs's records of private images"
            ),
            "use the name you pulled the image by",
        )
        .at(field));
    }
    if allowed_registries(params, tenant).any(|r| r == key) {
        return Ok(());
    }
    let kind = classify_host(&key);
    let what = match kind {
        HostKind::Ipv4 | HostKind::Ipv6 => "an IP address as a registry",
        HostKind::Localhost => "a registry on localhost",
        HostKind::TrailingDot => "a registry host with a trailing dot",
        HostKind::Name => "the registry",
    };
    let list: Vec<&str> = allowed_registries(params, tenant).collect();
    let instead = if list.is_empty() {
        "no registry is allowed here; use the images already on the engine".to_string()
    } else {
        format!(
            "use images from the allowed registries: {} (the operator can add one to the policy's rules.images.registries)",
            list.join(", ")
        )
    };
    let d = Denial::policy(
        REGISTRY,
        format!("{what} `{domain}` is not allowed"),
        instead,
    )
    .at(field);
    match kind {
        HostKind::Name => en.refuse(d),
        _ => Err(d),
    }
}

fn undecodable(header: &str, e: impl std::fmt::Display) -> Denial {
    Denial::malformed(
        CREDENTIALS,
        format!("the {header} header cannot be read: {e}"),
        "send registry credentials as the docker CLI does (docker login), or none",
    )
}

/// Judges credentials meant for `registry` (a reference's domain): they
/// may only name that registry, so that an identity token is never handed
/// to a registry the credentials were not made for.
pub fn judge_credentials(auth: &AuthConfig, registry: &str, field: &str) -> Result<(), Denial> {
    let Some(addr) = auth.server_address.as_deref() else {
        return Ok(());
    };
    let named =
        server_address_registry(addr).map_err(|e| undecodable(field, e).at("serveraddress"))?;
    if registry_key(&named) == registry_key(registry) {
        Ok(())
    } else {
        Err(Denial::policy(
            CREDENTIALS,
            format!("credentials for `{named}` cannot be sent to the registry `{registry}`"),
            format!(
                "log in to `{registry}` itself (docker login {registry}), or send no credentials"
            ),
        )
        .at("serveraddress"))
    }
}

/// Judges an `X-Registry-Auth` header for a request to `registry`; the
/// header to forward, re-encoded from what was judged.
pub fn judge_auth_header(header: Option<&str>, registry: &str) -> Result<Option<String>, Denial> {
    let Some(h) = header.filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let auth = decode_registry_auth(h).map_err(|e| undecodable("X-Registry-Auth", e))?;
    judge_credentials(&auth, registry, "X-Registry-Auth")?;
    Ok(Some(encode_registry_auth(&auth)))
}

/// Judges an `X-Registry-Config` header (builds): every registry it names
/// must be allowed, and each entry's credentials must be for that registry.
pub fn judge_config_header(
    params: &ImagesParams,
    tenant: &Tenant,
    header: Option<&str>,
) -> Result<Option<String>, Denial> {
    let Some(h) = header.filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let map: BTreeMap<String, AuthConfig> =
        decode_registry_config(h).map_err(|e| undecodable("X-Registry-Config", e))?;
    for (key, auth) in &map {
        let registry =
            server_address_registry(key).map_err(|e| undecodable("X-Registry-Config", e))?;
        // a build's registries: never downgraded (builds act on the shared store)
        check_registry(
            params,
            tenant,
            &registry,
            "X-Registry-Config",
            &crate::Enforcer::deny_all(),
        )?;
        judge_credentials(auth, &registry, "X-Registry-Config")?;
    }
    Ok(Some(encode_registry_auth(&map)))
}
