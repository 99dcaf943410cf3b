//! Authentication: who is asking.
//!
//! A tenant's docker client sends two headers on every request, set once in
//! `~/.docker/config.json` under `HttpHeaders`: `X-Auth-Token` and
//! `X-Auth-TenantId`. An [`Authenticate`] implementation turns them into a
//! [`Tenant`] or refuses: 401 for missing or wrong credentials, 503 when the
//! identity service cannot answer (never an allow — invariant 9).
//!
//! Two implementations: [`TenantsAuth`] (a tenants file, tokens kept as
//! SHA-256 digests and compared in constant time) and [`KeystoneAuth`]
//! (OpenStack Keystone v3 token validation with a bounded cache).

mod certificate;
mod keystone;
mod tenants_file;
mod time;

pub(crate) use certificate::settle as settle_certificate;
pub use certificate::{CertificateError, CertificateIdentity, ClientCertificate};
pub use keystone::{KeystoneAuth, KeystoneConfig, Roles, ServiceCredentials};
pub use tenants_file::{TenantCredentials, TenantsAuth, TenantsError};

use crate::error::Rejection;
use fdcs_policy::Denial;
use fdcs_policy::{RuleId, Tenant, TenantId};
use http::HeaderMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The header carrying the tenant's token.
pub const TOKEN_HEADER: &str = "x-auth-token";
/// The header naming the tenant (Keystone project id).
pub const TENANT_HEADER: &str = "x-auth-tenantid";

/// What an authenticator answers: the tenant, or why not.
pub type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Tenant, Rejection>> + Send + 'a>>;

/// The credentials a request presented.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The secret token (never logged).
    pub token: String,
    /// The tenant the client claims to be.
    pub tenant: TenantId,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &"<redacted>")
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// What a request does, as far as identity roles go
/// ([`fdcs_policy::route::Endpoint::is_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Changes nothing and runs nothing (a `reader` may).
    Read,
    /// Anything else, and anything the router does not know.
    Write,
}

/// Turns presented credentials into a tenant. Implementations must fail
/// closed: any doubt is a [`Rejection`], never a tenant.
pub trait Authenticate: Send + Sync + 'static {
    /// Checks the credentials.
    fn authenticate<'a>(&'a self, creds: &'a Credentials) -> AuthFuture<'a>;

    /// Checks the credentials for a request that does `access`: an
    /// authenticator that knows roles (Keystone) also refuses a token whose
    /// roles do not allow it (403, `auth.role`). By default roles play no
    /// part.
    fn authenticate_for<'a>(&'a self, creds: &'a Credentials, access: Access) -> AuthFuture<'a> {
        let _ = access;
        self.authenticate(creds)
    }

    /// Who a verified client certificate is. By default certificates name
    /// nobody ([`CertificateIdentity::Unused`]): the headers identify.
    fn certificate_identity(&self, cert: &ClientCertificate) -> CertificateIdentity {
        let _ = cert;
        CertificateIdentity::Unused
    }

    /// Headers to add to a refusal of this authenticator's (a 401's
    /// `WWW-Authenticate`, a 503's `Retry-After`). None by default.
    fn refusal_headers(&self, rejection: &Rejection, headers: &mut HeaderMap) {
        let _ = (rejection, headers);
    }
}

impl<A: Authenticate + ?Sized> Authenticate for Arc<A> {
    fn authenticate<'a>(&'a self, creds: &'a Credentials) -> AuthFuture<'a> {
        (**self).authenticate(creds)
    }
    fn authenticate_for<'a>(&'a self, creds: &'a Credentials, access: Access) -> AuthFuture<'a> {
        (**self).authenticate_for(creds, access)
    }
    fn certificate_identity(&self, cert: &ClientCertificate) -> CertificateIdentity {
        (**self).certificate_identity(cert)
    }
    fn refusal_headers(&self, rejection: &Rejection, headers: &mut HeaderMap) {
        (**self).refusal_headers(rejection, headers);
    }
}

/// The 403 for a token whose roles do not allow the request: names the
/// role(s) that would (`needed`, e.g. "`member` or `admin`").
pub(crate) fn role_denied(access: Access, needed: &str) -> Rejection {
    let what = match access {
        Access::Read => "reading",
        Access::Write => "changing anything",
    };
    Rejection::Denied(Denial::policy(
        RuleId::AUTH_ROLE,
        format!("your token's roles on this project do not allow {what}: it needs the role {needed}"),
        "ask the project's administrator for that role in Keystone, then get a new token (fdcs-policy login)",
    ))
}

/// How to fix a missing header, shown in every 401.
pub(crate) const HOW_TO: &str = "set them in ~/.docker/config.json: \
{\"HttpHeaders\":{\"X-Auth-Token\":\"<your token>\",\"X-Auth-TenantId\":\"<your tenant id>\"}}";

/// Reads the two headers; missing, repeated, non-UTF-8 or malformed → 401.
pub fn credentials(headers: &HeaderMap) -> Result<Credentials, Rejection> {
    let token = header(headers, TOKEN_HEADER)?.ok_or_else(missing_headers)?;
    let tenant = claimed_tenant(headers)?.ok_or_else(missing_headers)?;
    Ok(Credentials { token, tenant })
}

/// The tenant the `X-Auth-TenantId` header names, if it is there at all;
/// repeated, non-UTF-8, blank or malformed → 401.
pub(crate) fn claimed_tenant(headers: &HeaderMap) -> Result<Option<TenantId>, Rejection> {
    let Some(claimed) = header(headers, TENANT_HEADER)? else {
        return Ok(None);
    };
    TenantId::new(&claimed).map(Some).map_err(|e| {
        Rejection::Unauthorized(
            RuleId::AUTH_INVALID,
            format!("fdcs: authentication failed: {e}; {HOW_TO}"),
        )
    })
}

/// One header's single, non-blank value; absent → `None`, anything
/// ambiguous → the 401 of missing credentials.
fn header(headers: &HeaderMap, name: &str) -> Result<Option<String>, Rejection> {
    let mut values = headers.get_all(name).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(missing_headers());
    }
    let s = v.to_str().map_err(|_| missing_headers())?.trim();
    if s.is_empty() {
        return Err(missing_headers());
    }
    Ok(Some(s.to_string()))
}

fn missing_headers() -> Rejection {
    Rejection::Unauthorized(RuleId::AUTH_MISSING, format!(
        "fdcs: authentication required: the X-Auth-Token and X-Auth-TenantId headers are missing or invalid; {HOW_TO}"
    ))
}

/// The 401 for a token that does not belong to the claimed tenant.
pub(crate) fn wrong_token(tenant: &TenantId) -> Rejection {
    Rejection::Unauthorized(RuleId::AUTH_INVALID, format!(
        "fdcs: authentication failed: the token is not valid for tenant `{tenant}`; check X-Auth-Token and X-Auth-TenantId in ~/.docker/config.json ({HOW_TO})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn missing_headers_are_401_with_the_config_json_hint() {
        for h in [
            headers(&[]),
            headers(&[("x-auth-token", "t")]),
            headers(&[("x-auth-tenantid", "alpha")]),
            headers(&[("x-auth-token", " "), ("x-auth-tenantid", "alpha")]),
        ] {
            let e = credentials(&h).unwrap_err();
            assert_eq!(e.status(), http::StatusCode::UNAUTHORIZED);
            assert!(e.to_string().contains("HttpHeaders"), "{e}");
        }
    }

    #[test]
    fn a_repeated_header_is_refused_not_guessed() {
        let h = headers(&[
            ("x-auth-token", "t"),
            ("x-auth-tenantid", "alpha"),
            ("x-auth-tenantid", "beta"),
        ]);
        assert!(credentials(&h).is_err());
    }

    #[test]
    fn a_tenant_id_that_could_break_naming_is_refused() {
        for bad in ["Alpha", "a_b", "../x", "alpha beta"] {
            let h = headers(&[("x-auth-token", "t"), ("x-auth-tenantid", bad)]);
            assert!(credentials(&h).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_token_is_never_in_debug_output() {
        let h = headers(&[("x-auth-token", "s3cret"), ("x-auth-tenantid", "alpha")]);
        let c = credentials(&h).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
