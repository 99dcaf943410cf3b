//! [`FdcsLayer`]: the configured middleware, cheap to clone, wrapping any
//! engine service into an [`Fdcs`] service.

use crate::auth::Authenticate;
use crate::config::{Limits, SharedPolicy};
use crate::fair::Fair;
use crate::metrics::Metrics;
use crate::service::{Fdcs, Shared};
use crate::tunnels::Tunnels;
use std::sync::Arc;

/// The fdcs middleware: authenticate, read the body (bounded), judge,
/// resolve obligations, forward the judged request, rewrite the answer.
///
/// Build it once and apply it to the service that reaches the engine
/// (usually [`crate::Upstream`]).
///
/// ```
/// use std::sync::Arc;
/// use fdcs_policy::{Policy, TenantsFile};
/// use fdcs_tower::{EngineAddr, FdcsLayer, Limits, Metrics, SharedPolicy, TenantsAuth, Upstream};
/// use tower::Layer;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tenants = TenantsFile::from_yaml("tenants:\n  - id: alpha\n    tokens: [t]\n", "t.yaml")?;
/// let metrics = Arc::new(Metrics::default());
/// let layer = FdcsLayer::new(
///     SharedPolicy::new(Policy::embedded_default()?),
///     Arc::new(TenantsAuth::new(tenants.tenants)?),
/// )
/// .limits(Limits::default().with_max_json_body(256 * 1024))
/// .metrics(Arc::clone(&metrics));
/// let engine: EngineAddr = "unix:///var/run/docker.sock".parse()?;
/// let service = layer.layer(Upstream::new(&engine)); // connects on first use
/// # drop(service);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FdcsLayer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FdcsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FdcsLayer")
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

impl FdcsLayer {
    /// A layer judging with `policy` and identifying tenants with `auth`.
    pub fn new(policy: SharedPolicy, auth: Arc<dyn Authenticate>) -> Self {
        let limits = Limits::default();
        FdcsLayer {
            shared: Arc::new(Shared {
                policy,
                auth,
                fair: Arc::new(Fair::new(&limits)),
                limits,
                metrics: Arc::new(Metrics::default()),
                turns: Arc::default(),
                tunnels: Tunnels::default(),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Shared)) -> Self {
        let s = &*self.shared;
        let mut shared = Shared {
            policy: s.policy.clone(),
            auth: Arc::clone(&s.auth),
            limits: s.limits.clone(),
            fair: Arc::clone(&s.fair),
            metrics: Arc::clone(&s.metrics),
            turns: Arc::clone(&s.turns),
            tunnels: s.tunnels.clone(),
        };
        f(&mut shared);
        FdcsLayer {
            shared: Arc::new(shared),
        }
    }

    /// Replaces the bounds and deadlines (and starts every tenant's fair
    /// share afresh with them).
    pub fn limits(self, limits: Limits) -> Self {
        self.with(|s| {
            s.fair = Arc::new(Fair::new(&limits));
            s.limits = limits;
        })
    }

    /// The attach and exec tunnels of the services this layer makes that
    /// are still open: they outlive their HTTP connections, so a server
    /// draining on shutdown waits for these as well as for its connections.
    pub fn tunnels(&self) -> Tunnels {
        self.shared.tunnels.clone()
    }

    /// Records into these metrics (to expose them elsewhere).
    pub fn metrics(self, metrics: Arc<Metrics>) -> Self {
        self.with(|s| s.metrics = metrics)
    }
}

impl<S> tower::Layer<S> for FdcsLayer {
    type Service = Fdcs<S>;

    fn layer(&self, inner: S) -> Fdcs<S> {
        Fdcs::new(inner, Arc::clone(&self.shared))
    }
}
