//! Settings of the layer: bounds and deadlines, and the live policy that a
//! reload can swap without restarting.

use fdcs_policy::Policy;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Bounds and deadlines. Every one of them keeps a single client from
/// holding memory or a task without end.
///
/// Start from [`Limits::default`] and change what you need with the
/// `with_*` setters; the struct is `#[non_exhaustive]`, so a new bound in a
/// later version is not a breaking change.
///
/// ```
/// use fdcs_tower::Limits;
/// use std::time::Duration;
///
/// let limits = Limits::default()
///     .with_max_json_body(256 * 1024)
///     .with_body_timeout(Duration::from_secs(10));
/// assert_eq!(limits.max_json_body, 256 * 1024);
/// assert_eq!(limits.max_rounds, Limits::default().max_rounds);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest JSON request body read for judging (default 1 MiB → 413).
    pub max_json_body: usize,
    /// Deadline for receiving a JSON request body (default 30 s → 408).
    pub body_timeout: Duration,
    /// Largest engine answer buffered for rewriting or for an obligation
    /// lookup (default 64 MiB → 502).
    pub max_response_body: usize,
    /// Deadline for obligation lookups and preludes, answer read whole
    /// (default 30 s → 504, rule `upstream.timeout`).
    pub lookup_timeout: Duration,
    /// Longest the engine may take to start answering the judged request
    /// — its status line and headers — counted from when the request (its
    /// body included) has been sent (default 60 s → 504, rule
    /// `upstream.timeout`; `None`: no bound).
    ///
    /// Why: an engine that accepts a connection and never answers (a
    /// frozen daemon, a stuck storage driver, a half-dead TCP peer) would
    /// otherwise hold the client, its connection and the tenant's slot for
    /// ever. Why the headers only: the daemon sends them at once for its
    /// streams (`logs -f`, `events`, `wait`, the `101` of `attach` and
    /// `exec`), which then run for hours; a bound on the whole answer would
    /// cut them. Why after the body: an upload (`docker cp`, `load`) may
    /// take longer than the bound to send. A stop or restart with `t=N`
    /// gets `N` seconds more (the daemon waits that long before it kills),
    /// and `t=-1` (wait for ever) no bound. An answer the layer reads
    /// whole before answering (a list or inspect it rewrites, an error)
    /// has the bound again for its body: until then the client has nothing.
    pub upstream_header_timeout: Option<Duration>,
    /// Judge rounds before giving up (fail closed; default 32). Each round
    /// is one targeted lookup (a reference costs one to three: full id,
    /// name, id prefix), so this also bounds the engine calls one request
    /// can cause.
    pub max_rounds: usize,
    /// Longest `/events` line kept; a longer one is dropped (default 1 MiB).
    pub max_event_line: usize,
    /// Requests one tenant may have in flight at once, a streamed answer
    /// (`logs -f`, `events`, `stats`) until it ends (default 64; more → 429,
    /// rule `fair.concurrency`; 0: no limit). Counted after authentication.
    pub tenant_concurrency: usize,
    /// Requests per second one tenant may send, sustained (token bucket;
    /// default 200; more → 429 with `Retry-After`, rule `fair.rate`; 0: no
    /// limit).
    pub tenant_rate: u32,
    /// Requests one tenant may send at once above [`Limits::tenant_rate`],
    /// the size of its bucket (default 400: `docker-compose up` of a large
    /// project starts dozens of services at once).
    pub tenant_burst: u32,
    /// Hijacked streams (attach, exec start) one tenant may have open at
    /// once (default 32; more → 429, rule `fair.streams`; 0: no limit).
    pub tenant_streams: usize,
    /// Bytes of engine answers the layer may hold for one tenant at once
    /// while it reads them whole (lookups, rewritten lists and inspects;
    /// default 256 MiB, four answers of [`Limits::max_response_body`]; more
    /// → 503, rule `fair.memory`; 0: no limit).
    pub tenant_buffered: usize,
    /// How long a hijacked tunnel may carry nothing either way before it is
    /// closed (default `None`: never, because an interactive `docker exec
    /// -it` or `attach` is idle for as long as its user reads; a client
    /// that is gone is noticed without it, see [`crate::FdcsLayer`]).
    pub stream_idle_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_body: 1 << 20,
            body_timeout: Duration::from_secs(30),
            max_response_body: 64 << 20,
            lookup_timeout: Duration::from_secs(30),
            upstream_header_timeout: Some(Duration::from_secs(60)),
            max_rounds: 32,
            max_event_line: 1 << 20,
            tenant_concurrency: 64,
            tenant_rate: 200,
            tenant_burst: 400,
            tenant_streams: 32,
            tenant_buffered: 256 << 20,
            stream_idle_timeout: None,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_json_body`].
    #[must_use]
    pub fn with_max_json_body(mut self, bytes: usize) -> Self {
        self.max_json_body = bytes;
        self
    }

    /// Sets [`Limits::body_timeout`].
    #[must_use]
    pub fn with_body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Sets [`Limits::max_response_body`].
    #[must_use]
    pub fn with_max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Sets [`Limits::lookup_timeout`].
    #[must_use]
    pub fn with_lookup_timeout(mut self, timeout: Duration) -> Self {
        self.lookup_timeout = timeout;
        self
    }

    /// Sets [`Limits::upstream_header_timeout`].
    #[must_use]
    pub fn with_upstream_header_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.upstream_header_timeout = timeout;
        self
    }

    /// Sets [`Limits::max_rounds`].
    #[must_use]
    pub fn with_max_rounds(mut self, rounds: usize) -> Self {
        self.max_rounds = rounds;
        self
    }

    /// Sets [`Limits::max_event_line`].
    #[must_use]
    pub fn with_max_event_line(mut self, bytes: usize) -> Self {
        self.max_event_line = bytes;
        self
    }

    /// Sets [`Limits::tenant_concurrency`].
    #[must_use]
    pub fn with_tenant_concurrency(mut self, requests: usize) -> Self {
        self.tenant_concurrency = requests;
        self
    }

    /// Sets [`Limits::tenant_rate`].
    #[must_use]
    pub fn with_tenant_rate(mut self, per_second: u32) -> Self {
        self.tenant_rate = per_second;
        self
    }

    /// Sets [`Limits::tenant_burst`].
    #[must_use]
    pub fn with_tenant_burst(mut self, requests: u32) -> Self {
        self.tenant_burst = requests;
        self
    }

    /// Sets [`Limits::tenant_streams`].
    #[must_use]
    pub fn with_tenant_streams(mut self, streams: usize) -> Self {
        self.tenant_streams = streams;
        self
    }

    /// Sets [`Limits::tenant_buffered`].
    #[must_use]
    pub fn with_tenant_buffered(mut self, bytes: usize) -> Self {
        self.tenant_buffered = bytes;
        self
    }

    /// Sets [`Limits::stream_idle_timeout`].
    #[must_use]
    pub fn with_stream_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.stream_idle_timeout = timeout;
        self
    }
}

/// The policy in force, shared by every request and swapped whole on reload:
/// a request judges with the policy it started with.
///
/// ```
/// use fdcs_policy::Policy;
/// use fdcs_tower::SharedPolicy;
///
/// # fn main() -> Result<(), fdcs_policy::PolicyError> {
/// let policy = SharedPolicy::new(Policy::embedded_default()?);
/// let in_flight = policy.load(); // a request holds this one to the end
/// policy.store(Policy::embedded_default()?); // SIGHUP: the next request sees it
/// assert_eq!(in_flight.name, policy.load().name);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SharedPolicy(Arc<RwLock<Arc<Policy>>>);

impl SharedPolicy {
    /// Wraps a loaded policy.
    pub fn new(policy: Policy) -> Self {
        SharedPolicy(Arc::new(RwLock::new(Arc::new(policy))))
    }

    /// The current policy.
    pub fn load(&self) -> Arc<Policy> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Puts a new policy in force for requests that start from now on.
    pub fn store(&self, policy: Policy) {
        let p = Arc::new(policy);
        match self.0.write() {
            Ok(mut g) => *g = p,
            Err(poisoned) => *poisoned.into_inner() = p,
        }
    }
}
