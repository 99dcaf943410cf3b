//! [`Fdcs`]: the service the layer produces — DESIGN.md "Flow of one request".

use crate::audit::{Audit, PeerAddr, REQUEST_ID};
use crate::auth::{
    claimed_tenant, credentials, settle_certificate, Access, Authenticate, ClientCertificate,
};
use crate::body::{boxed, discard, full, read_bounded, BoxError, FdcsBody};

/// How much of a denied upload is read and thrown away before answering.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
use crate::config::{Limits, SharedPolicy};
use crate::engine::{send, EngineService};
use crate::error::Rejection;
use crate::fair::{self, budget::Metered, Fair, Ticket};
use crate::forward::{
    judged_request, postludes, preludes, Payload, REGISTRY_AUTH, REGISTRY_CONFIG,
};
use crate::metrics::Metrics;
use crate::serial::TenantTurns;
use crate::tunnels::Tunnels;
use crate::{deadline, hijack, pull, resolve, rewrite};
use bytes::Bytes;
use fdcs_policy::{Forward, Policy, ResponsePlan, Session, Step, Tenant, Verdict};
use http::{Request, Response};
use http_body::Body;
use hyper::upgrade::OnUpgrade;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// What every request shares: the layer's settings and the live policy.
/// The layer builds it; the service only reads it.
pub(crate) struct Shared {
    pub(crate) policy: SharedPolicy,
    pub(crate) auth: Arc<dyn Authenticate>,
    pub(crate) limits: Limits,
    /// Every tenant's share of the proxy (`fair.*`).
    pub(crate) fair: Arc<Fair>,
    pub(crate) metrics: Arc<Metrics>,
    /// Each tenant's quota-checked requests, one at a time.
    pub(crate) turns: Arc<TenantTurns>,
    /// Hijacked tunnels still open (a shutdown waits for them).
    pub(crate) tunnels: Tunnels,
}

/// The future of [`Fdcs`]: never fails; every problem is a Docker-shaped
/// error response.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<FdcsBody>, Infallible>> + Send>>;

/// The fdcs service around an engine service `S`.
///
/// `S` is cloned for each call to the engine (obligation lookups, preludes,
/// the judged request), so it should be a cheap handle such as
/// [`crate::Upstream`]; its readiness is awaited per call.
#[derive(Clone)]
pub struct Fdcs<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for Fdcs<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fdcs").finish_non_exhaustive()
    }
}

impl<S> Fdcs<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Fdcs { inner, shared }
    }
}

impl<S, RB, B> tower::Service<Request<B>> for Fdcs<S>
where
    S: tower::Service<Request<FdcsBody>, Response = Response<RB>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<FdcsBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> ResponseFuture {
        let inner = self.inner.clone();
        let shared = Arc::clone(&self.shared);
        Box::pin(async move { Ok(handle(shared, inner, req).await) })
    }
}

async fn handle<S, RB, B>(shared: Arc<Shared>, inner: S, req: Request<B>) -> Response<FdcsBody>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    // the guard counts, times and audits the request however it ends: a
    // client that goes away drops this future (audit.rs)
    let mut audit = Audit::start(
        Arc::clone(&shared.metrics),
        format!("{:016x}", entropy()),
        req.extensions().get::<PeerAddr>(),
        req.method().as_str(),
        req.uri().path(),
    );
    // the tenant's admission, once it is known; it lives as long as the answer
    let mut ticket = None;
    let resp = match process(&shared, &inner, req, &mut audit, &mut ticket).await {
        Ok(resp) => resp,
        Err(rej) => {
            let rej = fair::explain(rej, ticket.as_ref());
            if audit.rule.is_none() {
                audit.rule = rej.rule();
            }
            audit.verdict = match &rej {
                Rejection::Unauthorized(..) => "unauthenticated",
                // the identity service's outage is not the tenant's fault
                Rejection::IdentityUnavailable(_) => "identity-unavailable",
                Rejection::Denied(_)
                | Rejection::TooLarge(_)
                | Rejection::BadRequest(..)
                | Rejection::Limited(_) => "deny",
                // the engine failed: an error whatever the policy decided
                // (the audit line keeps the decision)
                Rejection::Upstream(_) | Rejection::UpstreamTimeout(_) => "error",
            };
            let mut headers = http::HeaderMap::new();
            shared.auth.refusal_headers(&rej, &mut headers);
            let mut resp = rej.into_response();
            resp.headers_mut().extend(headers);
            resp
        }
    };
    let mut resp = fair::hold(resp, ticket);
    if let Ok(v) = http::HeaderValue::from_str(&audit.id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    audit.finish(resp.status().as_u16());
    resp
}

async fn process<S, RB, B>(
    shared: &Shared,
    inner: &S,
    req: Request<B>,
    audit: &mut Audit,
    ticket: &mut Option<Ticket>,
) -> Result<Response<FdcsBody>, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let limits = &shared.limits;
    // 1 authenticate: a client certificate that is a tenant's, else the
    // headers (auth/certificate.rs)
    let by_certificate = match req.extensions().get::<ClientCertificate>() {
        Some(cert) => settle_certificate(
            shared.auth.certificate_identity(cert),
            cert,
            claimed_tenant(req.headers()),
        )?,
        None => None,
    };
    let tenant = match by_certificate {
        Some(tenant) => {
            audit.tenant = Some(tenant.id.to_string());
            tenant
        }
        None => {
            let creds = credentials(req.headers())?;
            audit.tenant = Some(creds.tenant.to_string());
            // what identity roles must allow: unknown routes count as writes
            let read = fdcs_policy::route::route(
                req.method().as_str(),
                req.uri().path(),
                shared.policy.load().min_api_version,
            )
            .is_ok_and(|m| m.endpoint.is_read());
            let access = if read { Access::Read } else { Access::Write };
            shared.auth.authenticate_for(&creds, access).await?
        }
    };

    // 1b the tenant's fair share: counted from here, never before (fair.rs);
    // answers read whole while judging are charged to its budget
    let ticket = ticket.insert(shared.fair.admit(&tenant).map_err(Rejection::Limited)?);
    let metered = Metered::new(inner.clone(), ticket.budget());
    let inner = &metered;

    let policy = shared.policy.load();
    let method = req.method().as_str().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let intake = fdcs_policy::route::intake(&method, req.uri().path(), policy.min_api_version);
    audit.endpoint = intake.endpoint;

    let (mut parts, body) = req.into_parts();
    let client_upgrade = parts.extensions.remove::<OnUpgrade>();
    let wants_upgrade = hijack::client_wants_upgrade(&parts.headers);

    // 2 read the body, bounded; uploads wait for the verdict
    // a pull (`POST /images/create?fromImage=`) has no body: not an upload
    let upload = intake.upload && body.size_hint().exact() != Some(0);
    let (mut raw, bytes) = if upload {
        (Some(boxed(body)), Bytes::new())
    } else {
        (
            None,
            read_bounded(body, limits.max_json_body, limits.body_timeout).await?,
        )
    };
    // held from before the usage lookup until the engine answered
    // (serial.rs), and only once the body is in: a client stalling its
    // body must not hold the tenant's other creates for the body timeout
    let _turn = match intake.quota_checked {
        true => Some(shared.turns.take(&tenant.id).await),
        false => None,
    };
    let mut request = fdcs_policy::Request::new(method, &target, bytes.to_vec());
    request.registry_auth = single_header(&parts.headers, &REGISTRY_AUTH)?;
    request.registry_config = single_header(&parts.headers, &REGISTRY_CONFIG)?;
    // names the core must make up come from here, not from the core
    request.entropy = Some(entropy());

    // 3 + 4 judge, answering obligations
    let mut seen = resolve::Seen::default();
    let mut fwd = match decide(&policy, &tenant, &request, inner, shared, audit, &mut seen).await {
        Ok(f) => f,
        Err(e) => {
            // an unread upload: take a bounded amount off the wire so the
            // client reads the denial instead of a broken pipe
            if let Some(body) = raw.take() {
                discard(body, DRAIN_LIMIT, limits.body_timeout).await;
            }
            return Err(e);
        }
    };
    if let Some(body) = raw.take_if(|_| !fwd.stream_body) {
        // the core wants to see this body after all: read it and judge again
        let bytes = read_bounded(body, limits.max_json_body, limits.body_timeout).await?;
        request.body = bytes.to_vec();
        fwd = decide(&policy, &tenant, &request, inner, shared, audit, &mut seen).await?;
    }

    // the lookups' answers are judged and gone: their bytes no longer count
    ticket.budget().release();
    // a hijacked stream holds one of the tenant's stream slots until it ends
    let stream = match fwd.response {
        ResponsePlan::Hijack => Some(ticket.stream().map_err(Rejection::Limited)?),
        _ => None,
    };

    // the core answered it itself: nothing goes to the engine
    if let ResponsePlan::Answer { body } = &fwd.response {
        return Ok(rewrite::answered(body));
    }
    // an inspect the judging already read: its answer is the request's
    if let Some(answer) = already_answered(&fwd, &mut seen) {
        if let ResponsePlan::Rewrite(rw) = &fwd.response {
            return Ok(rewrite::from_lookup(rw, &tenant, answer));
        }
    }

    // 5 forward exactly what was judged
    preludes(inner, &fwd, limits).await?;
    let (payload, sent) = match raw {
        Some(r) => {
            let (body, sent) = deadline::watch_sent(r);
            (Payload::Raw(body), Some(sent))
        }
        None if fwd.stream_body => (Payload::Raw(full(Bytes::from(request.body))), None),
        None => (Payload::None, None),
    };
    let upstream_req = judged_request(&fwd, &parts.headers, payload)?;
    // the engine must start its answer in time; streams then run on
    let allowance = deadline::allowance(&fwd, limits.upstream_header_timeout);
    let what = format!("{} {}", parts.method, parts.uri.path());
    // an answer read whole (to rewrite it) is charged until the client has
    // it; a streamed one is passed on as it comes, not charged
    let resp = match fwd.response {
        ResponsePlan::Rewrite(_) => {
            deadline::headers(send(inner, upstream_req), allowance, sent, &what).await?
        }
        _ => {
            let passthrough = inner.passthrough();
            deadline::headers(send(&passthrough, upstream_req), allowance, sent, &what).await?
        }
    };
    audit.engine_status = Some(resp.status().as_u16());
    let inner = &inner.passthrough();

    if resp.status().is_success() {
        postludes(inner, &fwd, limits).await;
    }

    // 6 the answer; the daemon's errors in the tenant's names, any plan
    if rewrite::is_error(&resp) {
        return rewrite::error(&fwd, &tenant, resp, limits).await;
    }
    match &fwd.response {
        ResponsePlan::Pull { claim } => Ok(pull::watch(inner.clone(), claim.clone(), resp, limits)),
        ResponsePlan::Hijack => Ok(hijack::tunnel(
            resp,
            client_upgrade.filter(|_| wants_upgrade),
            hijack::Tunnel::new(&fwd, inner, stream, limits).counted(shared.tunnels.enter()),
        )),
        ResponsePlan::Stats => Ok(rewrite::stats(&tenant, resp, limits)),
        _ => rewrite::respond(&fwd, &tenant, resp, limits).await,
    }
}

/// The answer to the judged request, when judging already made that exact
/// call: a plain GET (no body, no prelude, no credentials) whose target is
/// an inspect lookup's.
fn already_answered(fwd: &Forward, seen: &mut resolve::Seen) -> Option<serde_json::Value> {
    let plain = fwd.method == "GET"
        && fwd.body.is_none()
        && !fwd.stream_body
        && fwd.prelude.is_empty()
        && fwd.postlude.is_empty()
        && fwd.registry_auth.is_none()
        && matches!(fwd.response, ResponsePlan::Rewrite(_));
    if !plain {
        return None;
    }
    let target = match &fwd.query {
        Some(q) if !q.is_empty() => format!("{}?{q}", fwd.path),
        _ => fwd.path.clone(),
    };
    seen.take(&target)
}

/// Randomness for generated names: not secret (a name in a tenant's own
/// scope), only unlikely to repeat.
fn entropy() -> u64 {
    use std::hash::BuildHasher;
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    std::collections::hash_map::RandomState::new()
        .hash_one(N.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// A header the core judges: at most one, and text. Two would leave it to
/// the daemon which one counts.
fn single_header(
    headers: &http::HeaderMap,
    name: &http::HeaderName,
) -> Result<Option<String>, Rejection> {
    let mut all = headers.get_all(name).iter();
    let Some(first) = all.next() else {
        return Ok(None);
    };
    let bad = |why: &str| {
        Rejection::BadRequest(
            http::StatusCode::BAD_REQUEST,
            format!("fdcs: the {name} header {why}; send it once, as the docker CLI does"),
        )
    };
    if all.next().is_some() {
        return Err(bad("is given more than once"));
    }
    first
        .to_str()
        .map(|s| Some(s.to_string()))
        .map_err(|_| bad("is not plain text"))
}

/// Judges until the core decides, answering obligations between rounds.
async fn decide<S, RB>(
    policy: &Policy,
    tenant: &Tenant,
    request: &fdcs_policy::Request,
    inner: &S,
    shared: &Shared,
    audit: &mut Audit,
    seen: &mut resolve::Seen,
) -> Result<Forward, Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let mut session =
        Session::new(policy, tenant, request).with_max_rounds(shared.limits.max_rounds);
    loop {
        match session.step() {
            Step::Ask(questions) => {
                audit.decided("need");
                resolve::answer(
                    inner,
                    tenant,
                    &questions,
                    session.facts_mut(),
                    seen,
                    &shared.limits,
                )
                .await?;
            }
            Step::Decided(verdict) => {
                audit.decided(verdict.kind());
                return match verdict {
                    Verdict::Allow(f) | Verdict::Rewrite(f) => {
                        audit.warned(&f.warnings);
                        Ok(f)
                    }
                    Verdict::Deny(d) => {
                        audit.rule = d.rule_id().cloned();
                        Err(Rejection::Denied(d))
                    }
                    // a session only ends in a question when answers stop
                    Verdict::Need(_) => Err(Rejection::Upstream(
                        "fdcs: the engine lookups did not complete; try again".into(),
                    )),
                };
            }
        }
    }
}
