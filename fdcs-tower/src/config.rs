//! Settings of the layer: bounds and deadlines, and the live policy that a
//! reload can swap without restarting.

use fdcs_policy::Policy;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Bounds and deadlines. Every one of them keeps a single client from
/// holding memory or a task without end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest JSON request body read for judging (default 1 MiB → 413).
    pub max_json_body: usize,
    /// Deadline for receiving a JSON request body (→ 408).
    pub body_timeout: Duration,
    /// Largest engine answer buffered for rewriting or for an obligation
    /// lookup (default 64 MiB → 502).
    pub max_response_body: usize,
    /// Deadline for obligation lookups and preludes (→ 502).
    pub lookup_timeout: Duration,
    /// Judge rounds before giving up (fail closed). Each round is one
    /// targeted lookup (a reference costs one to three: full id, name, id
    /// prefix), so this also bounds the engine calls one request can cause.
    pub max_rounds: usize,
    /// Longest `/events` line kept; a longer one is dropped.
    pub max_event_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_json_body: 1 << 20,
            body_timeout: Duration::from_secs(30),
            max_response_body: 64 << 20,
            lookup_timeout: Duration::from_secs(30),
            max_rounds: 32,
            max_event_line: 1 << 20,
        }
    }
}

/// The policy in force, shared by every request and swapped whole on reload:
/// a request judges with the policy it started with.
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
