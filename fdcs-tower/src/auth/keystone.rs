//! Authentication against OpenStack Keystone v3.
//!
//! The user's token is validated with `GET /v3/auth/tokens` (`X-Subject-Token`),
//! authorised by a service token the proxy obtains with its own credentials.
//! The token's `project.id` must equal the claimed `X-Auth-TenantId`.
//! Validated tokens are cached until the earlier of their expiry and a TTL, so
//! a revoked token keeps working for at most the TTL. Keystone unreachable,
//! slow or answering nonsense → 503: never an allow.

use super::time::parse_utc;
use super::{wrong_token, AuthFuture, Authenticate, Credentials, TenantsAuth};
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::{RuleId, Tenant, TenantId};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The proxy's own Keystone account, used to validate users' tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceCredentials {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Project name the service token is scoped to.
    pub project: String,
    /// Domain id of user and project (usually `default`).
    pub domain: String,
}

impl std::fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceCredentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("project", &self.project)
            .field("domain", &self.domain)
            .finish()
    }
}

/// Keystone settings.
#[derive(Debug, Clone)]
pub struct KeystoneConfig {
    /// Base URL, `http://host:5000` or `http://host:5000/v3`.
    pub url: String,
    /// The service account.
    pub service: ServiceCredentials,
    /// Per-call deadline; slower is a 503.
    pub timeout: Duration,
    /// Longest a validated token is trusted without asking again.
    pub cache_ttl: Duration,
}

impl KeystoneConfig {
    /// Defaults: 5 s timeout, 60 s cache TTL.
    pub fn new(url: impl Into<String>, service: ServiceCredentials) -> Self {
        KeystoneConfig {
            url: url.into(),
            service,
            timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(60),
        }
    }
}

const MAX_CACHE: usize = 10_000;
const MAX_KEYSTONE_BODY: usize = 1 << 20;

#[derive(Debug, Clone)]
struct Validated {
    project: String,
    until: Instant,
}

/// The Keystone authenticator. `C` is how it connects: plain HTTP by
/// default; [`KeystoneAuth::with_connector`] takes any hyper-util connector
/// (an HTTPS one, for instance — the binary builds one with rustls).
#[derive(Debug)]
pub struct KeystoneAuth<C = HttpConnector> {
    cfg: KeystoneConfig,
    tokens_url: String,
    client: Client<C, Full<Bytes>>,
    cache: Mutex<HashMap<[u8; 32], Validated>>,
    service_token: Mutex<Option<(String, Instant)>>,
    /// One service login at a time: a burst of first requests must not
    /// become a burst of logins.
    login: tokio::sync::Mutex<()>,
    limits: Option<Arc<TenantsAuth>>,
}

impl KeystoneAuth<HttpConnector> {
    /// A Keystone authenticator over plain HTTP; per-tenant limits come from
    /// `limits` when given (the tenants file), else the policy's defaults.
    pub fn new(cfg: KeystoneConfig, limits: Option<Arc<TenantsAuth>>) -> Self {
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(cfg.timeout));
        KeystoneAuth::with_connector(cfg, limits, http)
    }
}

impl<C> KeystoneAuth<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// A Keystone authenticator connecting through `connector`.
    pub fn with_connector(
        cfg: KeystoneConfig,
        limits: Option<Arc<TenantsAuth>>,
        connector: C,
    ) -> Self {
        let base = cfg.url.trim_end_matches('/');
        let base = base.strip_suffix("/v3").unwrap_or(base);
        let tokens_url = format!("{base}/v3/auth/tokens");
        KeystoneAuth {
            client: Client::builder(TokioExecutor::new()).build(connector),
            tokens_url,
            cfg,
            cache: Mutex::new(HashMap::new()),
            service_token: Mutex::new(None),
            login: tokio::sync::Mutex::new(()),
            limits,
        }
    }

    fn tenant(&self, id: TenantId) -> Tenant {
        self.limits
            .as_ref()
            .and_then(|l| l.tenant(&id))
            .unwrap_or_else(|| Tenant::new(id))
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Validated> {
        let mut cache = self.cache.lock().ok()?;
        match cache.get(key) {
            Some(v) if v.until > Instant::now() => Some(v.clone()),
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    fn remember(&self, key: [u8; 32], v: Validated) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHE {
                let now = Instant::now();
                cache.retain(|_, e| e.until > now);
                if cache.len() >= MAX_CACHE {
                    cache.clear();
                }
            }
            cache.insert(key, v);
        }
    }

    async fn check(&self, creds: &Credentials) -> Result<Tenant, Rejection> {
        let key: [u8; 32] = Sha256::digest(creds.token.as_bytes()).into();
        let v = match self.cached(&key) {
            Some(v) => v,
            None => {
                let v = self.validate(&creds.token).await?;
                self.remember(key, v.clone());
                v
            }
        };
        if v.project == creds.tenant.as_str() {
            Ok(self.tenant(creds.tenant.clone()))
        } else {
            Err(wrong_token(&creds.tenant))
        }
    }

    async fn validate(&self, token: &str) -> Result<Validated, Rejection> {
        for attempt in 0..2 {
            let svc = self.service_token(attempt > 0).await?;
            let req = Request::builder()
                .method(Method::GET)
                .uri(&self.tokens_url)
                .header("x-auth-token", svc)
                .header("x-subject-token", token)
                .header("accept", "application/json")
                .body(Full::new(Bytes::new()))
                .map_err(|_| {
                    Rejection::Unauthorized(
                        RuleId::AUTH_INVALID,
                        "fdcs: the token is not a valid header value".into(),
                    )
                })?;
            let (status, _, body) = self.call(req).await?;
            match status {
                StatusCode::OK => {
                    let v: serde_json::Value = serde_json::from_slice(&body)
                        .map_err(|_| unavailable("Keystone answered with invalid JSON"))?;
                    let project = v["token"]["project"]["id"]
                        .as_str()
                        .ok_or_else(|| {
                            Rejection::Unauthorized(
                                RuleId::AUTH_INVALID,
                                "fdcs: authentication failed: the token is not scoped to a project; ask Keystone for a project-scoped token".into(),
                            )
                        })?
                        .to_string();
                    let until = v["token"]["expires_at"]
                        .as_str()
                        .and_then(parse_utc)
                        .ok_or_else(|| unavailable("Keystone sent no readable token expiry"))?;
                    let left = until
                        .duration_since(SystemTime::now())
                        .map_err(|_| Rejection::Unauthorized(RuleId::AUTH_INVALID, "fdcs: authentication failed: the token has expired".into()))?;
                    return Ok(Validated {
                        project,
                        until: Instant::now() + left.min(self.cfg.cache_ttl),
                    });
                }
                StatusCode::NOT_FOUND => {
                    return Err(Rejection::Unauthorized(
                        RuleId::AUTH_INVALID,
                        "fdcs: authentication failed: Keystone does not know this token (expired or revoked); get a new one and update X-Auth-Token in ~/.docker/config.json".into(),
                    ))
                }
                // the service token was refused: refresh it once
                StatusCode::UNAUTHORIZED if attempt == 0 => continue,
                other => return Err(unavailable(&format!("Keystone answered {other} to a token validation"))),
            }
        }
        Err(unavailable(
            "Keystone refused the proxy's service credentials",
        ))
    }

    fn cached_service_token(&self) -> Option<String> {
        let g = self.service_token.lock().ok()?;
        g.as_ref()
            .filter(|(_, until)| *until > Instant::now())
            .map(|(t, _)| t.clone())
    }

    async fn service_token(&self, refresh: bool) -> Result<String, Rejection> {
        if !refresh {
            if let Some(t) = self.cached_service_token() {
                return Ok(t);
            }
        }
        let _one_login = self.login.lock().await;
        if !refresh {
            // another request may have logged in while this one waited
            if let Some(t) = self.cached_service_token() {
                return Ok(t);
            }
        }
        let s = &self.cfg.service;
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": s.user, "domain": {"id": s.domain}, "password": s.password}}},
            "scope": {"project": {"name": s.project, "domain": {"id": s.domain}}}
        }});
        let req = Request::builder()
            .method(Method::POST)
            .uri(&self.tokens_url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|_| unavailable("could not build the Keystone request"))?;
        let (status, headers, body) = self.call(req).await?;
        if status != StatusCode::CREATED && status != StatusCode::OK {
            return Err(unavailable(&format!(
                "Keystone answered {status} to the proxy's service login"
            )));
        }
        let token = headers
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unavailable("Keystone sent no X-Subject-Token"))?
            .to_string();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let left = v["token"]["expires_at"]
            .as_str()
            .and_then(parse_utc)
            .and_then(|t| t.duration_since(SystemTime::now()).ok())
            .unwrap_or(Duration::from_secs(300));
        // refresh a minute early so a validation never carries a dying token
        let until = Instant::now() + left.saturating_sub(Duration::from_secs(60));
        if let Ok(mut g) = self.service_token.lock() {
            *g = Some((token.clone(), until));
        }
        Ok(token)
    }

    async fn call(
        &self,
        req: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, http::HeaderMap, Bytes), Rejection> {
        let fut = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| unavailable(&format!("Keystone is unreachable: {e}")))?;
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_KEYSTONE_BODY)
                .collect()
                .await
                .map_err(|e| unavailable(&format!("reading Keystone's answer failed: {e}")))?
                .to_bytes();
            Ok((parts.status, parts.headers, body))
        };
        tokio::time::timeout(self.cfg.timeout, fut)
            .await
            .map_err(|_| unavailable("Keystone did not answer in time"))?
    }
}

fn unavailable(why: &str) -> Rejection {
    Rejection::IdentityUnavailable(format!(
        "fdcs: the identity service is unavailable ({why}); try again later"
    ))
}

impl<C> Authenticate for KeystoneAuth<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    fn authenticate<'a>(&'a self, creds: &'a Credentials) -> AuthFuture<'a> {
        Box::pin(self.check(creds))
    }
}
