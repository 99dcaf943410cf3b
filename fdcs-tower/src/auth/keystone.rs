//! Authentication against OpenStack Keystone v3.
//!
//! The user's token is validated with `GET /v3/auth/tokens` (`X-Subject-Token`),
//! authorised by a service token the proxy obtains with its own credentials.
//! The token's `project.id` must equal the claimed `X-Auth-TenantId`.
//! Validated tokens are cached until the earlier of their expiry and a TTL, so
//! a revoked token keeps working for at most the TTL. Keystone unreachable,
//! slow or answering nonsense → 503: never an allow.
//!
//! The token's role names (`token.roles`) are cached with it and decide what
//! it may do ([`Roles`]): a read-only role reads, a write role does all the
//! policy allows, neither is a 403 (`auth.role`). Tokens Keystone refused
//! are remembered for a few seconds (a bounded negative cache), concurrent
//! requests with one token share one validation, and at most
//! `max_concurrent` validations are in flight. The counters are in
//! [`IdentityMetrics`]; an outage is one WARN line with its cause, the
//! recovery one INFO line.

use super::time::parse_utc;
use super::{
    role_denied, wrong_token, Access, AuthFuture, Authenticate, CertificateIdentity,
    ClientCertificate, Credentials, TenantsAuth,
};
use crate::error::Rejection;
use crate::metrics::IdentityMetrics;
use bytes::Bytes;
use fdcs_policy::{RuleId, Tenant, TenantId};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// How long a token Keystone refused is refused without asking again.
    pub negative_ttl: Duration,
    /// Most validations in flight at Keystone at once.
    pub max_concurrent: usize,
    /// Which roles may read and which may write.
    pub roles: Roles,
}

impl KeystoneConfig {
    /// Defaults: 5 s timeout, 60 s cache TTL, 5 s negative TTL, 16
    /// concurrent validations, [`Roles::default`].
    pub fn new(url: impl Into<String>, service: ServiceCredentials) -> Self {
        KeystoneConfig {
            url: url.into(),
            service,
            timeout: Duration::from_secs(5),
            cache_ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(5),
            max_concurrent: 16,
            roles: Roles::default(),
        }
    }
}

/// Keystone role names and what they allow. A token with a `write` role may
/// do everything the policy allows; one with only a `read` role only reads
/// ([`Access::Read`]); one with neither is refused. Names compare
/// case-insensitively, as Keystone's do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    /// Roles that may only read (default: `reader`).
    pub read: Vec<String>,
    /// Roles that may do everything (default: `member`, `admin`).
    pub write: Vec<String>,
}

impl Default for Roles {
    fn default() -> Self {
        Roles {
            read: vec!["reader".into()],
            write: vec!["member".into(), "admin".into()],
        }
    }
}

impl Roles {
    /// Whether a token with `have` may do `access`.
    pub fn allows(&self, have: &[String], access: Access) -> bool {
        let any = |set: &[String]| {
            have.iter()
                .any(|h| set.iter().any(|r| r.eq_ignore_ascii_case(h)))
        };
        any(&self.write) || (access == Access::Read && any(&self.read))
    }

    /// The roles that would allow `access`, for the 403's message.
    fn needed(&self, access: Access) -> String {
        let mut names: Vec<&str> = self.write.iter().map(String::as_str).collect();
        if access == Access::Read {
            names.splice(0..0, self.read.iter().map(String::as_str));
        }
        match names.as_slice() {
            [] => "(none is configured)".into(),
            [one] => format!("`{one}`"),
            [init @ .., last] => format!(
                "{} or `{last}`",
                init.iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

const MAX_CACHE: usize = 10_000;
const MAX_NEGATIVE: usize = 4_096;
const MAX_KEYSTONE_BODY: usize = 1 << 20;

#[derive(Debug, Clone)]
struct Validated {
    project: String,
    roles: Vec<String>,
    until: Instant,
}

/// What one validation came to, shared with the requests that waited for it.
type Outcome = Result<Validated, Rejection>;

/// Requests with the same token wait on one gate; the first one through
/// validates and leaves the outcome for the others.
type Gate = Arc<tokio::sync::Mutex<Option<Outcome>>>;

/// The Keystone authenticator. `C` is how it connects: plain HTTP by
/// default; [`KeystoneAuth::with_connector`] takes any hyper-util connector
/// (an HTTPS one, for instance — the binary builds one with rustls).
#[derive(Debug)]
pub struct KeystoneAuth<C = HttpConnector> {
    cfg: KeystoneConfig,
    tokens_url: String,
    client: Client<C, Full<Bytes>>,
    cache: Mutex<HashMap<[u8; 32], Validated>>,
    /// Tokens Keystone refused, with the refusal, until the instant.
    refused: Mutex<HashMap<[u8; 32], (Rejection, Instant)>>,
    inflight: Mutex<HashMap<[u8; 32], Gate>>,
    permits: tokio::sync::Semaphore,
    metrics: Arc<IdentityMetrics>,
    /// Keystone's last call failed for want of an answer (for the WARN/INFO
    /// pair on outage and recovery).
    down: AtomicBool,
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
            permits: tokio::sync::Semaphore::new(cfg.max_concurrent.max(1)),
            cfg,
            cache: Mutex::new(HashMap::new()),
            refused: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
            metrics: Arc::new(IdentityMetrics::default()),
            down: AtomicBool::new(false),
            service_token: Mutex::new(None),
            login: tokio::sync::Mutex::new(()),
            limits,
        }
    }

    /// Records into these counters (the layer's, [`crate::Metrics::identity`]).
    pub fn with_metrics(mut self, metrics: Arc<IdentityMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The counters this authenticator records into.
    pub fn metrics(&self) -> Arc<IdentityMetrics> {
        Arc::clone(&self.metrics)
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

    fn refused_before(&self, key: &[u8; 32]) -> Option<Rejection> {
        let mut refused = self.refused.lock().ok()?;
        match refused.get(key) {
            Some((r, until)) if *until > Instant::now() => Some(r.clone()),
            Some(_) => {
                refused.remove(key);
                None
            }
            None => None,
        }
    }

    fn lookup(&self, key: &[u8; 32]) -> Option<Outcome> {
        if let Some(v) = self.cached(key) {
            return Some(Ok(v));
        }
        self.refused_before(key).map(Err)
    }

    fn remember_refusal(&self, key: [u8; 32], r: Rejection) {
        if self.cfg.negative_ttl.is_zero() {
            return;
        }
        if let Ok(mut refused) = self.refused.lock() {
            if refused.len() >= MAX_NEGATIVE {
                let now = Instant::now();
                refused.retain(|_, (_, until)| *until > now);
                if refused.len() >= MAX_NEGATIVE {
                    refused.clear();
                }
            }
            refused.insert(key, (r, Instant::now() + self.cfg.negative_ttl));
        }
    }

    fn gate(&self, key: [u8; 32]) -> Option<Gate> {
        let mut inflight = self.inflight.lock().ok()?;
        Some(Arc::clone(inflight.entry(key).or_default()))
    }

    fn ungate(&self, key: &[u8; 32]) {
        if let Ok(mut inflight) = self.inflight.lock() {
            inflight.remove(key);
        }
    }

    /// Validates a token no cache knows, once for all the requests that
    /// present it meanwhile, within the bound on concurrent validations.
    async fn validate_once(&self, key: [u8; 32], token: &str) -> Outcome {
        let Some(gate) = self.gate(key) else {
            return Err(unavailable("the token cache is broken"));
        };
        let mut shared = gate.lock().await;
        if let Some(outcome) = shared.as_ref() {
            return outcome.clone();
        }
        // a validation that ended between the lookup and the gate
        if let Some(outcome) = self.lookup(&key) {
            return outcome;
        }
        let outcome = match tokio::time::timeout(self.cfg.timeout, self.permits.acquire()).await {
            Ok(Ok(_permit)) => {
                let started = Instant::now();
                let outcome = self.validate(token).await;
                self.metrics.validated(started.elapsed());
                outcome
            }
            _ => Err(self.fail(
                "busy",
                "too many token validations are waiting for Keystone",
            )),
        };
        match &outcome {
            Ok(v) => self.remember(key, v.clone()),
            Err(r @ Rejection::Unauthorized(..)) => self.remember_refusal(key, r.clone()),
            Err(_) => {}
        }
        *shared = Some(outcome.clone());
        self.ungate(&key);
        outcome
    }

    /// Keystone answered: if it had been down, say it is back.
    fn reachable(&self) {
        self.metrics.set_up(true);
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!(target: "fdcs::identity", url = %self.cfg.url, "Keystone answers again");
        }
    }

    /// A 503 of kind `kind` (a label of `fdcs_identity_failures_total`): the
    /// first one of an outage is logged at WARN with its cause.
    fn fail(&self, kind: &'static str, why: &str) -> Rejection {
        self.metrics.failed(kind);
        if kind != "busy" {
            self.metrics.set_up(false);
            if !self.down.swap(true, Ordering::Relaxed) {
                tracing::warn!(target: "fdcs::identity", url = %self.cfg.url, cause = %why, "Keystone is unreachable: requests get 503 until it answers");
            }
        }
        unavailable(why)
    }

    /// A 401 of kind `kind`.
    fn refuse(&self, kind: &'static str, message: &str) -> Rejection {
        self.metrics.failed(kind);
        Rejection::Unauthorized(RuleId::AUTH_INVALID, message.to_string())
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

    async fn check(&self, creds: &Credentials, access: Access) -> Result<Tenant, Rejection> {
        let key: [u8; 32] = Sha256::digest(creds.token.as_bytes()).into();
        let v = match self.lookup(&key) {
            Some(Ok(v)) => {
                self.metrics.cache("hit");
                v
            }
            Some(Err(r)) => {
                self.metrics.cache("negative-hit");
                return Err(r);
            }
            None => {
                self.metrics.cache("miss");
                self.validate_once(key, &creds.token).await?
            }
        };
        if v.project != creds.tenant.as_str() {
            self.metrics.failed("wrong-project");
            return Err(wrong_token(&creds.tenant));
        }
        if !self.cfg.roles.allows(&v.roles, access) {
            self.metrics.failed("role");
            return Err(role_denied(access, &self.cfg.roles.needed(access)));
        }
        Ok(self.tenant(creds.tenant.clone()))
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
                    self.reachable();
                    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
                        self.fail("bad-answer", "Keystone answered with invalid JSON")
                    })?;
                    let project = v["token"]["project"]["id"]
                        .as_str()
                        .ok_or_else(|| {
                            self.refuse("unscoped", "fdcs: authentication failed: the token is not scoped to a project; ask Keystone for a project-scoped token (fdcs-policy login)")
                        })?
                        .to_string();
                    let until = v["token"]["expires_at"]
                        .as_str()
                        .and_then(parse_utc)
                        .ok_or_else(|| {
                            self.fail("bad-answer", "Keystone sent no readable token expiry")
                        })?;
                    let left = until
                        .duration_since(SystemTime::now())
                        .map_err(|_| self.refuse("expired", "fdcs: authentication failed: the token has expired; get a new one (fdcs-policy login)"))?;
                    let roles = v["token"]["roles"]
                        .as_array()
                        .map(|roles| {
                            roles
                                .iter()
                                .filter_map(|r| r["name"].as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    return Ok(Validated {
                        project,
                        roles,
                        until: Instant::now() + left.min(self.cfg.cache_ttl),
                    });
                }
                StatusCode::NOT_FOUND => {
                    self.reachable();
                    return Err(self.refuse(
                        "unknown-token",
                        "fdcs: authentication failed: Keystone does not know this token (expired or revoked); get a new one (fdcs-policy login) and update X-Auth-Token in ~/.docker/config.json",
                    ));
                }
                // the service token was refused: refresh it once
                StatusCode::UNAUTHORIZED if attempt == 0 => continue,
                other => {
                    return Err(self.fail(
                        "status",
                        &format!("Keystone answered {other} to a token validation"),
                    ))
                }
            }
        }
        Err(self.fail(
            "service-login",
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
            self.metrics.service_login(false);
            return Err(self.fail(
                "service-login",
                &format!("Keystone answered {status} to the proxy's service login"),
            ));
        }
        let token = headers
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.fail("bad-answer", "Keystone sent no X-Subject-Token"))?
            .to_string();
        self.metrics.service_login(true);
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
            let resp = self.client.request(req).await.map_err(|e| {
                self.fail(
                    "unreachable",
                    &format!("Keystone is unreachable: {}", chain(&e)),
                )
            })?;
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_KEYSTONE_BODY)
                .collect()
                .await
                .map_err(|e| {
                    self.fail(
                        "bad-answer",
                        &format!("reading Keystone's answer failed: {e}"),
                    )
                })?
                .to_bytes();
            Ok((parts.status, parts.headers, body))
        };
        tokio::time::timeout(self.cfg.timeout, fut)
            .await
            .map_err(|_| self.fail("timeout", "Keystone did not answer in time"))?
    }
}

/// An error with its causes (hyper-util's own says only "client error").
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Seconds a client is told to wait after a 503 of the identity service.
const RETRY_AFTER_SECS: u64 = 5;

fn unavailable(why: &str) -> Rejection {
    Rejection::IdentityUnavailable(format!(
        "fdcs: the identity service is unavailable ({why}); try again later"
    ))
}

impl<C> Authenticate for KeystoneAuth<C>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    /// Certificates name the tenants file's tenants (limits come from there
    /// too); Keystone is asked only about tokens.
    fn certificate_identity(&self, cert: &ClientCertificate) -> CertificateIdentity {
        match &self.limits {
            Some(tenants) => tenants.certificate(cert),
            None => CertificateIdentity::Unused,
        }
    }

    /// Without knowing what the request does, roles must allow writing.
    fn authenticate<'a>(&'a self, creds: &'a Credentials) -> AuthFuture<'a> {
        Box::pin(self.check(creds, Access::Write))
    }

    fn authenticate_for<'a>(&'a self, creds: &'a Credentials, access: Access) -> AuthFuture<'a> {
        Box::pin(self.check(creds, access))
    }

    fn refusal_headers(&self, rejection: &Rejection, headers: &mut http::HeaderMap) {
        match rejection {
            Rejection::Unauthorized(..) => {
                let uri = self.cfg.url.replace('"', "%22");
                if let Ok(v) = http::HeaderValue::from_str(&format!("Keystone uri=\"{uri}\"")) {
                    headers.insert(http::header::WWW_AUTHENTICATE, v);
                }
            }
            Rejection::IdentityUnavailable(_) => {
                headers.insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(RETRY_AFTER_SECS),
                );
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reader_reads_member_and_admin_write_nothing_else_does_anything() {
        let r = Roles::default();
        assert!(r.allows(&names(&["reader"]), Access::Read));
        assert!(!r.allows(&names(&["reader"]), Access::Write));
        for w in ["member", "admin", "Member"] {
            assert!(r.allows(&names(&[w]), Access::Write), "{w}");
            assert!(r.allows(&names(&[w]), Access::Read), "{w}");
        }
        assert!(!r.allows(&names(&["load-balancer_observer"]), Access::Read));
        assert!(!r.allows(&[], Access::Read));
    }

    #[test]
    fn the_403_names_the_roles_that_would_do() {
        let r = Roles::default();
        assert_eq!(r.needed(Access::Write), "`member` or `admin`");
        assert_eq!(r.needed(Access::Read), "`reader`, `member` or `admin`");
        let e = role_denied(Access::Write, &r.needed(Access::Write));
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        assert_eq!(e.rule(), Some(RuleId::AUTH_ROLE));
        assert!(e.to_string().contains("`member` or `admin`"), "{e}");
        assert!(
            e.body_json().starts_with("{\"message\""),
            "{}",
            e.body_json()
        );
    }
}
