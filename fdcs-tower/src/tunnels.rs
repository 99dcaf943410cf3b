//! Hijacked tunnels still open, so that a shutdown can wait for them.
//!
//! An attach or exec stream outlives its HTTP connection: once both sides
//! upgraded, the connection task is done and the tunnel runs in a task of
//! its own ([`crate::hijack`]). A server that drains only its connections
//! on SIGTERM would cut every `docker exec` at once; with [`Tunnels`] it
//! can give them the same drain time as in-flight requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The count of open tunnels of one layer (cheap to clone; clones share it).
///
/// ```
/// use fdcs_tower::Tunnels;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let tunnels = Tunnels::default();
/// assert_eq!(tunnels.open(), 0);
/// assert!(tunnels.closed(Duration::from_millis(1)).await);
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tunnels(Arc<Count>);

#[derive(Debug, Default)]
struct Count {
    open: AtomicUsize,
    none_left: Notify,
}

/// One open tunnel; dropping it (the tunnel ended) counts it out.
pub(crate) struct Open(Arc<Count>);

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.none_left.notify_waiters();
        }
    }
}

impl Tunnels {
    /// Counts a tunnel in until the returned guard is dropped.
    pub(crate) fn enter(&self) -> Open {
        self.0.open.fetch_add(1, Ordering::AcqRel);
        Open(Arc::clone(&self.0))
    }

    /// How many tunnels are open now.
    pub fn open(&self) -> usize {
        self.0.open.load(Ordering::Acquire)
    }

    /// Waits until no tunnel is open, at most `limit`; true if none is.
    pub async fn closed(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.0.none_left.notified();
                if self.open() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn closing_waits_for_the_last_tunnel_or_the_limit() {
        let t = Tunnels::default();
        let a = t.enter();
        let b = t.enter();
        assert_eq!(t.open(), 2);
        assert!(!t.closed(Duration::from_secs(1)).await);
        drop(a);
        let waiter = tokio::spawn({
            let t = t.clone();
            async move { t.closed(Duration::from_secs(60)).await }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(b);
        assert!(waiter.await.unwrap());
        assert_eq!(t.open(), 0);
    }
}
