//! A fair share of the proxy for every tenant (DESIGN.md "Fair sharing").
//!
//! Once a request is authenticated — never before, so a request without
//! valid credentials takes no tenant's slot — its tenant must have room:
//!
//! | rule | bound | default | answer |
//! |---|---|---|---|
//! | `fair.concurrency` | requests in flight at once, streamed answers until they end | 64 | 429 |
//! | `fair.rate` | requests per second (token bucket), and the burst above it | 200, 400 | 429 + `Retry-After` |
//! | `fair.streams` | hijacked streams (attach, exec start) open at once | 32 | 429 |
//! | `fair.memory` | bytes of engine answers buffered at once ([`budget`]) | 256 MiB | 503 + `Retry-After` |
//!
//! The defaults are [`Limits`]'s; a tenant's own values come from the
//! tenants file (`limits.requests`, [`fdcs_policy::RequestLimits`]). A
//! refusal is Docker's `{"message": ...}` naming the rule and what to do,
//! so the docker CLI prints it.
//!
//! ```
//! use bytes::Bytes;
//! use fdcs_policy::{Policy, TenantsFile};
//! use fdcs_tower::{FdcsLayer, Limits, SharedPolicy, TenantsAuth};
//! use http::{Request, Response};
//! use http_body_util::Full;
//! use std::sync::Arc;
//! use tower::{Layer, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tenants = TenantsFile::from_yaml("tenants:\n  - id: alpha\n    tokens: [t]\n", "t.yaml")?;
//! let engine = tower::service_fn(|_req: Request<fdcs_tower::FdcsBody>| async {
//!     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from_static(b"OK"))))
//! });
//! let service = FdcsLayer::new(
//!     SharedPolicy::new(Policy::embedded_default()?),
//!     Arc::new(TenantsAuth::new(tenants.tenants)?),
//! )
//! .limits(Limits::default().with_tenant_rate(1).with_tenant_burst(2))
//! .layer(engine);
//! let ping = || {
//!     Request::get("/_ping")
//!         .header("X-Auth-Token", "t")
//!         .header("X-Auth-TenantId", "alpha")
//!         .body(http_body_util::Empty::<Bytes>::new())
//! };
//! assert_eq!(service.clone().oneshot(ping()?).await?.status(), 200);
//! assert_eq!(service.clone().oneshot(ping()?).await?.status(), 200);
//! let refused = service.clone().oneshot(ping()?).await?;
//! assert_eq!(refused.status(), 429);
//! assert_eq!(refused.headers()["retry-after"], "1");
//! # Ok(())
//! # }
//! ```
//!
//! Caveats: the counts live in this process, so N replicas give a tenant N
//! shares; the per-tenant state of tenants idle for long is forgotten when
//! more than [`MAX_TENANTS`] tenants were seen (their bucket starts full
//! again). Connections that never finish a request are not counted here —
//! the listener bounds them (`serve`: a short first-request deadline and a
//! cap per client address).

mod bucket;
pub(crate) mod budget;

use crate::body::{BoxError, FdcsBody};
use crate::config::Limits;
use crate::error::Rejection;
use bucket::Bucket;
use budget::Budget;
use bytes::Bytes;
use fdcs_policy::{RuleId, Tenant, TenantId};
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Tenants whose state is kept even when idle; past this, idle ones are
/// forgotten.
pub const MAX_TENANTS: usize = 4096;

/// A request refused because its tenant is over its fair share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// `fair.concurrency`, `fair.rate`, `fair.streams` or `fair.memory`.
    pub rule: RuleId,
    /// 429, or 503 for `fair.memory`.
    pub status: StatusCode,
    /// The message the client prints.
    pub message: String,
    /// Seconds after which a retry may succeed (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl Limited {
    fn new(rule: RuleId, status: StatusCode, what: String, instead: &str) -> Self {
        Limited {
            message: format!("fdcs: {what} (rule {rule}); {instead}"),
            rule,
            status,
            retry_after: Some(1),
        }
    }
}

/// One tenant's effective share: the defaults with its own values over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Share {
    concurrency: usize,
    rate: u32,
    burst: u32,
    streams: usize,
    buffered: usize,
}

impl Share {
    fn of(defaults: Share, tenant: &Tenant) -> Share {
        let own = &tenant.limits.requests;
        let size = |v: Option<u32>, d: usize| v.map_or(d, |v| v as usize);
        Share {
            concurrency: size(own.concurrent, defaults.concurrency),
            rate: own.per_second.unwrap_or(defaults.rate),
            burst: own.burst.unwrap_or(defaults.burst),
            streams: size(own.streams, defaults.streams),
            buffered: own.buffered.map_or(defaults.buffered, |b| {
                usize::try_from(b).unwrap_or(usize::MAX)
            }),
        }
    }
}

/// A limit of `n` permits; 0 means none.
fn pool(n: usize) -> Option<Arc<Semaphore>> {
    (n > 0).then(|| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS))))
}

#[derive(Debug)]
struct TenantState {
    share: Share,
    requests: Option<Arc<Semaphore>>,
    streams: Option<Arc<Semaphore>>,
    buffered: Option<Arc<Semaphore>>,
    bucket: Option<Mutex<Bucket>>,
}

impl TenantState {
    fn new(share: Share, now: Instant) -> Self {
        TenantState {
            share,
            requests: pool(share.concurrency),
            streams: pool(share.streams),
            buffered: pool(share.buffered),
            bucket: (share.rate > 0).then(|| Mutex::new(Bucket::new(share.rate, share.burst, now))),
        }
    }
}

/// Every tenant's share, shared by all requests of a layer.
#[derive(Debug)]
pub(crate) struct Fair {
    defaults: Share,
    tenants: RwLock<HashMap<TenantId, Arc<TenantState>>>,
}

impl Fair {
    pub(crate) fn new(limits: &Limits) -> Self {
        Fair {
            defaults: Share {
                concurrency: limits.tenant_concurrency,
                rate: limits.tenant_rate,
                burst: limits.tenant_burst,
                streams: limits.tenant_streams,
                buffered: limits.tenant_buffered,
            },
            tenants: RwLock::default(),
        }
    }

    /// The tenant's state, made (or remade, when its share changed with a
    /// reload of the tenants file) on demand.
    fn state(&self, tenant: &Tenant) -> Arc<TenantState> {
        let share = Share::of(self.defaults, tenant);
        {
            let map = self.tenants.read().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = map.get(&tenant.id).filter(|s| s.share == share) {
                return Arc::clone(s);
            }
        }
        let mut map = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = map.get(&tenant.id).filter(|s| s.share == share) {
            return Arc::clone(s);
        }
        if map.len() >= MAX_TENANTS {
            // forget tenants with nothing in flight (their Arc is the map's only)
            map.retain(|_, s| Arc::strong_count(s) > 1);
        }
        let s = Arc::new(TenantState::new(share, Instant::now()));
        map.insert(tenant.id.clone(), Arc::clone(&s));
        s
    }

    /// Admits one authenticated request, or says which bound it is over.
    pub(crate) fn admit(&self, tenant: &Tenant) -> Result<Ticket, Limited> {
        let state = self.state(tenant);
        let share = state.share;
        let id = &tenant.id;
        let request = match &state.requests {
            None => None,
            Some(s) => Some(Arc::clone(s).try_acquire_owned().map_err(|_| {
                Limited::new(
                    RuleId::FAIR_CONCURRENCY,
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("{id} already has {} requests in flight", share.concurrency),
                    "wait for some to finish (a stream such as `logs -f`, `events` or \
                     `stats` counts until it ends), then retry",
                )
            })?),
        };
        if let Some(bucket) = &state.bucket {
            let taken = bucket
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(Instant::now());
            if let Err(wait) = taken {
                let mut l = Limited::new(
                    RuleId::FAIR_RATE,
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "{id} sent more than {} requests per second (burst {})",
                        share.rate, share.burst
                    ),
                    "retry after a moment, or send fewer requests at once",
                );
                l.retry_after = Some(wait.as_secs_f64().ceil().max(1.0) as u64);
                return Err(l);
            }
        }
        Ok(Ticket {
            budget: Budget::new(state.buffered.clone()),
            tenant: id.clone(),
            state,
            _request: request,
        })
    }
}

/// An admitted request: its slot, its budget of buffered bytes, and the
/// right to ask for a stream. Dropping it frees everything it holds; it
/// travels with the response body ([`hold`]).
#[derive(Debug)]
pub(crate) struct Ticket {
    state: Arc<TenantState>,
    tenant: TenantId,
    budget: Budget,
    _request: Option<OwnedSemaphorePermit>,
}

/// A hijacked stream's slot, held by its tunnel until it ends.
#[derive(Debug)]
pub(crate) struct StreamSlot {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Ticket {
    /// The request's budget of buffered answers.
    pub(crate) fn budget(&self) -> Budget {
        self.budget.clone()
    }

    /// A slot for one hijacked stream of this tenant.
    pub(crate) fn stream(&self) -> Result<StreamSlot, Limited> {
        let permit = match &self.state.streams {
            None => None,
            Some(s) => Some(Arc::clone(s).try_acquire_owned().map_err(|_| {
                Limited::new(
                    RuleId::FAIR_STREAMS,
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "{} already has {} attach or exec streams open",
                        self.tenant, self.state.share.streams
                    ),
                    "end one (leave a `docker exec`, detach from an attach), then retry",
                )
            })?),
        };
        Ok(StreamSlot { _permit: permit })
    }

    /// The refusal for an answer that did not fit the tenant's budget.
    fn over_budget(&self) -> Limited {
        Limited::new(
            RuleId::FAIR_MEMORY,
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} has more than {} MiB of engine answers being read at once",
                self.tenant,
                self.state.share.buffered >> 20
            ),
            "retry when its other requests have finished, or ask for less at once \
             (filters, fewer objects)",
        )
    }
}

/// What a failed request reports: an engine answer that stopped because the
/// tenant's budget ran out is `fair.memory`, not an engine failure.
pub(crate) fn explain(rejection: Rejection, ticket: Option<&Ticket>) -> Rejection {
    match (rejection, ticket) {
        (Rejection::Upstream(_), Some(t)) if t.budget.exceeded() => {
            Rejection::Limited(t.over_budget())
        }
        (other, _) => other,
    }
}

/// The response, its body holding the ticket until the client has it all
/// (or goes away).
pub(crate) fn hold(resp: Response<FdcsBody>, ticket: Option<Ticket>) -> Response<FdcsBody> {
    match ticket {
        None => resp,
        Some(ticket) => resp.map(|inner| {
            http_body_util::BodyExt::boxed_unsync(Holding {
                inner,
                _ticket: ticket,
            })
        }),
    }
}

struct Holding {
    inner: FdcsBody,
    _ticket: Ticket,
}

impl Body for Holding {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// How long a refused client should wait.
    fn retry(l: &Limited) -> Duration {
        Duration::from_secs(l.retry_after.unwrap_or(0))
    }

    fn tenant(id: &str) -> Tenant {
        Tenant::new(TenantId::new(id).unwrap())
    }

    fn fair(f: impl FnOnce(Limits) -> Limits) -> Fair {
        Fair::new(&f(Limits::default()))
    }

    #[test]
    fn the_rate_is_per_tenant_and_says_when_to_retry() {
        let fair = fair(|l| l.with_tenant_rate(1).with_tenant_burst(3));
        let (a, b) = (tenant("alpha"), tenant("beta"));
        for _ in 0..3 {
            fair.admit(&a).unwrap();
        }
        let refused = fair.admit(&a).unwrap_err();
        assert_eq!(refused.rule, "fair.rate");
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry(&refused), Duration::from_secs(1));
        assert_eq!(
            refused.message,
            "fdcs: alpha sent more than 1 requests per second (burst 3) (rule fair.rate); \
             retry after a moment, or send fewer requests at once"
        );
        fair.admit(&b).unwrap();
    }

    #[test]
    fn concurrency_counts_tickets_alive_and_refusals_take_no_token() {
        let fair = fair(|l| l.with_tenant_concurrency(2).with_tenant_burst(3));
        let a = tenant("alpha");
        let t1 = fair.admit(&a).unwrap();
        let _t2 = fair.admit(&a).unwrap();
        for _ in 0..10 {
            assert_eq!(fair.admit(&a).unwrap_err().rule, "fair.concurrency");
        }
        drop(t1);
        // the ten refusals took no token: the third of the burst is there
        fair.admit(&a).unwrap();
    }

    #[test]
    fn streams_are_bounded_while_their_slots_live() {
        let fair = fair(|l| l.with_tenant_streams(1));
        let t = fair.admit(&tenant("alpha")).unwrap();
        let slot = t.stream().unwrap();
        drop(t);
        let t = fair.admit(&tenant("alpha")).unwrap();
        assert_eq!(t.stream().unwrap_err().rule, "fair.streams");
        drop(slot);
        t.stream().unwrap();
    }

    #[test]
    fn zero_means_no_limit() {
        let fair = fair(|l| {
            l.with_tenant_concurrency(0)
                .with_tenant_rate(0)
                .with_tenant_streams(0)
        });
        let a = tenant("alpha");
        let held: Vec<Ticket> = (0..1000).map(|_| fair.admit(&a).unwrap()).collect();
        let slots: Vec<StreamSlot> = held.iter().map(|t| t.stream().unwrap()).collect();
        assert_eq!(slots.len(), 1000);
    }

    #[test]
    fn a_tenants_own_values_replace_the_defaults_and_follow_a_reload() {
        let fair = fair(|l| l.with_tenant_concurrency(1));
        let mut a = tenant("alpha");
        a.limits.requests.concurrent = Some(2);
        let _t1 = fair.admit(&a).unwrap();
        let _t2 = fair.admit(&a).unwrap();
        assert!(fair.admit(&a).is_err());
        // the tenants file now says 3: a fresh state with the new share
        a.limits.requests.concurrent = Some(3);
        fair.admit(&a).unwrap();
    }

    /// The catalog's proxy ids (`Layer::Proxy`) and the ids this crate's
    /// rejections carry are the same set: each scenario below is what
    /// produces its id (here, where the fair-share internals are in reach).
    /// `fair.connections` is `serve`'s listener's, shown by its own tests
    /// (`fdcs-cli/src/command/serve/peers.rs`).
    #[test]
    fn every_proxy_rule_id_in_the_catalog_is_emitted() {
        use crate::body::ReadError;
        use fdcs_policy::rules::catalog::{catalog, Layer};
        let a = tenant("alpha");
        let id = |r: Rejection| r.rule().map(|r| r.to_string()).unwrap_or_default();
        let limited = |l: Limited| id(Rejection::Limited(l));
        let mut emitted = vec![
            id(crate::auth::credentials(&http::HeaderMap::new()).unwrap_err()),
            id(crate::auth::wrong_token(&a.id)),
            id(crate::auth::role_denied(
                crate::auth::Access::Write,
                "`member`",
            )),
            // a client certificate of nobody (auth/certificate.rs)
            id(crate::auth::settle_certificate(
                crate::auth::CertificateIdentity::Unknown,
                &crate::auth::ClientCertificate::for_tests(),
                Ok(None),
            )
            .unwrap_err()),
            // what the Keystone client and the engine client answer when
            // they cannot be reached
            id(Rejection::IdentityUnavailable("down".into())),
            id(Rejection::Upstream("down".into())),
            // an engine that does not start answering in time
            // (`deadline::headers`, `engine::call_bytes`)
            id(Rejection::UpstreamTimeout("hung".into())),
            id(Rejection::from(ReadError::TooLarge { limit: 1 })),
            id(Rejection::from(ReadError::TimedOut {
                timeout: Duration::from_secs(1),
            })),
            id(Rejection::from(ReadError::Body("reset".into()))),
        ];
        let f = fair(|l| l.with_tenant_concurrency(1));
        let _held = f.admit(&a).unwrap();
        emitted.push(limited(f.admit(&a).unwrap_err()));
        let f = fair(|l| l.with_tenant_rate(1).with_tenant_burst(1));
        drop(f.admit(&a).unwrap());
        emitted.push(limited(f.admit(&a).unwrap_err()));
        let f = fair(|l| l.with_tenant_streams(1));
        let t = f.admit(&a).unwrap();
        let _slot = t.stream().unwrap();
        emitted.push(limited(t.stream().unwrap_err()));
        let f = fair(|l| l.with_tenant_buffered(10));
        let t = f.admit(&a).unwrap();
        assert!(t.budget().charge(20).is_err());
        emitted.push(id(explain(Rejection::Upstream("cut".into()), Some(&t))));
        emitted.push("fair.connections".into());
        emitted.sort();
        emitted.dedup();
        let documented: Vec<String> = catalog()
            .iter()
            .filter(|d| d.id.layer() == Layer::Proxy)
            .map(|d| d.id.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(emitted, documented);
    }

    #[test]
    fn an_exhausted_budget_turns_the_engine_error_into_fair_memory() {
        let fair = fair(|l| l.with_tenant_buffered(10));
        let t = fair.admit(&tenant("alpha")).unwrap();
        assert!(t.budget().charge(20).is_err());
        let r = explain(Rejection::Upstream("cut short".into()), Some(&t));
        let Rejection::Limited(l) = r else {
            panic!("{r:?}")
        };
        assert_eq!(l.rule, "fair.memory");
        assert_eq!(l.status, StatusCode::SERVICE_UNAVAILABLE);
        let other = explain(Rejection::Upstream("down".into()), None);
        assert!(matches!(other, Rejection::Upstream(_)));
    }

    #[test]
    fn idle_tenants_are_forgotten_past_the_cap_busy_ones_never() {
        let fair = fair(|l| l);
        let busy = fair.admit(&tenant("busy")).unwrap();
        for i in 0..MAX_TENANTS + 10 {
            drop(fair.admit(&tenant(&format!("t{i}"))).unwrap());
        }
        let map = fair.tenants.read().unwrap();
        assert!(map.len() <= MAX_TENANTS, "{}", map.len());
        assert!(map.contains_key(&busy.tenant));
    }
}
