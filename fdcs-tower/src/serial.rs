//! One tenant's quota-checked requests, one at a time.
//!
//! Quotas are counted from the engine when a request is judged; two creates
//! judged at once would both see the room for one and both fit. The core
//! marks the requests quotas check (`route::intake(..).quota_checked`); the
//! service holds the tenant's turn from before the usage lookup until the
//! engine answered, taken once the request's body is read (a client that
//! stalls its body holds no turn). Other tenants, and the tenant's other
//! requests, never wait for it. Across replicas of the proxy this does not hold (DESIGN.md,
//! "Quotas", says how far that can overshoot).

use fdcs_policy::TenantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::OwnedMutexGuard;

/// Past this many entries, finished tenants' locks are swept on insert.
const SWEEP_AT: usize = 1024;

/// Per-tenant turns; a tenant's lock exists while someone holds or awaits it.
#[derive(Debug, Default)]
pub(crate) struct TenantTurns {
    locks: Mutex<HashMap<TenantId, Weak<tokio::sync::Mutex<()>>>>,
}

/// A tenant's turn: the next of its quota-checked requests waits until this
/// is dropped.
pub(crate) type Turn = OwnedMutexGuard<()>;

impl TenantTurns {
    /// Waits for `tenant`'s turn.
    pub(crate) async fn take(&self, tenant: &TenantId) -> Turn {
        let lock = {
            let mut map = match self.locks.lock() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            if map.len() >= SWEEP_AT {
                map.retain(|_, w| w.strong_count() > 0);
            }
            match map.get(tenant).and_then(Weak::upgrade) {
                Some(l) => l,
                None => {
                    let l = Arc::new(tokio::sync::Mutex::new(()));
                    map.insert(tenant.clone(), Arc::downgrade(&l));
                    l
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn id(s: &str) -> TenantId {
        TenantId::new(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn a_tenant_waits_for_its_own_turn_and_never_for_anothers() {
        let turns = Arc::new(TenantTurns::default());
        let alpha = turns.take(&id("alpha")).await;
        // beta is not held up by alpha
        tokio::time::timeout(Duration::from_secs(1), turns.take(&id("beta")))
            .await
            .unwrap_or_else(|_| panic!("beta waited for alpha"));
        // alpha's second request waits until the first is done
        let t = Arc::clone(&turns);
        let second = tokio::spawn(async move { t.take(&id("alpha")).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "two alpha turns at once");
        drop(alpha);
        tokio::time::timeout(Duration::from_secs(1), second)
            .await
            .unwrap_or_else(|_| panic!("alpha's second turn never came"))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[tokio::test]
    async fn finished_tenants_do_not_accumulate() {
        let turns = TenantTurns::default();
        for i in 0..(SWEEP_AT + 10) {
            drop(turns.take(&id(&format!("t{i}"))).await);
        }
        let n = turns.locks.lock().map(|m| m.len()).unwrap_or(0);
        assert!(n <= SWEEP_AT, "{n} entries kept");
    }
}
