//! Image patterns and registry hosts as an operator writes them, in the
//! policy and in the tenants file: validated once, at load time, with the
//! same reference grammar the judge reads requests with.

use super::err::{Errs, Pos};
use super::PolicyError;
use crate::image::{registry_key, ImagePattern, Reference};
use crate::tenancy::claims::CLAIM_DOMAIN;
use serde_saphyr::Spanned;

/// Compiles a list of image patterns (`busybox*`, `reg.example/team/**`).
pub(crate) fn image_patterns(
    list: Option<Vec<Spanned<String>>>,
    errs: Errs<'_>,
) -> Result<Option<Vec<ImagePattern>>, PolicyError> {
    let Some(list) = list else { return Ok(None) };
    let mut out = Vec::with_capacity(list.len());
    for p in &list {
        let pattern = ImagePattern::parse(&p.value)
            .map_err(|m| errs.at(Pos::of(p), format!("image pattern `{}`: {m}", p.value)))?;
        out.push(pattern);
    }
    Ok(Some(out))
}

/// Validates a list of registry hosts (`docker.io`, `reg.example:5000`) and
/// returns their [`registry_key`]s.
///
/// A host must be one the engine reads as a registry in a reference: a
/// first component with a `.` or a `:port`, or `localhost`. A bare word
/// (`myregistry`) would be read as a Docker Hub namespace, so listing it
/// could never allow anything and is refused as a mistake.
pub(crate) fn registry_hosts(
    list: Option<Vec<Spanned<String>>>,
    errs: Errs<'_>,
) -> Result<Option<Vec<String>>, PolicyError> {
    let Some(list) = list else { return Ok(None) };
    let mut out = Vec::with_capacity(list.len());
    for h in &list {
        let host = h.value.as_str();
        let bad = |why: &str| errs.at(Pos::of(h), format!("registry `{host}` {why}"));
        if host.contains('/') || host.contains('*') || host.chars().any(char::is_whitespace) {
            return Err(bad(
                "must be a host or host:port, without a path, wildcard or scheme",
            ));
        }
        let key = registry_key(host);
        let parsed = Reference::parse(&format!("{host}/fdcs-probe"))
            .map_err(|_| bad("is not a registry host the engine can read"))?;
        if registry_key(&parsed.domain) != key {
            return Err(bad(
                "is not read as a registry host by the engine: a host needs a `.` or a `:port`, or must be `localhost`",
            ));
        }
        if key == CLAIM_DOMAIN {
            return Err(bad("is reserved by fdcs for its records of private images"));
        }
        if !out.contains(&key) {
            out.push(key);
        }
    }
    Ok(Some(out))
}
