//! Connections per client address (`--max-connections-per-address`), so
//! that one client holding connections it never uses — thousands that never
//! finish their headers, say — cannot fill `--max-connections` for
//! everyone. Counted at accept, before anything is read: no tenant is known
//! yet. An IPv6 client is counted by its /64, which one host can fill with
//! addresses of its own; an IPv4-mapped address as the IPv4 one.
//!
//! A connection over the cap gets a `503` naming the rule and is closed at
//! once, without a task of its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

/// What a refused connection is sent (one write; it may not even arrive).
pub(super) static REFUSED: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let body = serde_json::json!({
        "message": "fdcs: too many connections from this address (rule fair.connections); \
                    close idle connections, or connect from fewer clients"
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
});

/// The open connections of every client address.
#[derive(Clone)]
pub(super) struct Peers(Arc<Inner>);

struct Inner {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
    refused: AtomicU64,
    last_warned: Mutex<Option<Instant>>,
}

/// One connection's place in its address's count, given back on drop.
pub(super) struct PeerSlot {
    peers: Arc<Inner>,
    key: IpAddr,
}

impl Peers {
    /// At most `max` connections per address; 0: no limit.
    pub(super) fn new(max: usize) -> Self {
        Peers(Arc::new(Inner {
            max,
            open: Mutex::default(),
            refused: AtomicU64::new(0),
            last_warned: Mutex::new(None),
        }))
    }

    /// A slot for a connection from `addr`, or `None` when the address has
    /// its share open already.
    pub(super) fn enter(&self, addr: IpAddr) -> Option<PeerSlot> {
        if self.0.max == 0 {
            return Some(PeerSlot {
                peers: Arc::clone(&self.0),
                key: key(addr),
            });
        }
        let key = key(addr);
        let mut open = self.0.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= self.0.max {
            drop(open);
            self.refused(key);
            return None;
        }
        *n += 1;
        Some(PeerSlot {
            peers: Arc::clone(&self.0),
            key,
        })
    }

    /// Counts a refusal; warns at most every 10 s (a flood must not flood
    /// the log too).
    fn refused(&self, key: IpAddr) {
        let total = self.0.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self.0.last_warned.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            *last = Some(Instant::now());
            tracing::warn!(
                target: "fdcs::serve",
                client = %key,
                max = self.0.max,
                refused_total = total,
                "too many connections from one address; refusing (rule fair.connections)"
            );
        }
    }

    #[cfg(test)]
    fn open(&self, addr: IpAddr) -> usize {
        let open = self.0.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(&key(addr)).copied().unwrap_or(0)
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        if self.peers.max == 0 {
            return;
        }
        let mut open = self.peers.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The address a connection is counted under.
fn key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn each_address_gets_its_own_share_and_gives_it_back() {
        let peers = Peers::new(2);
        let a1 = peers.enter(ip("10.0.0.1")).unwrap();
        let _a2 = peers.enter(ip("10.0.0.1")).unwrap();
        assert!(peers.enter(ip("10.0.0.1")).is_none());
        let _b = peers.enter(ip("10.0.0.2")).unwrap();
        drop(a1);
        assert!(peers.enter(ip("10.0.0.1")).is_some());
        assert_eq!(peers.open(ip("10.0.0.2")), 1);
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let peers = Peers::new(1);
        let _a = peers.enter(ip("2001:db8:1:2::1")).unwrap();
        assert!(peers.enter(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(peers.enter(ip("2001:db8:1:3::1")).is_some());
        let _v4 = peers.enter(ip("192.0.2.7")).unwrap();
        assert!(peers.enter(ip("::ffff:192.0.2.7")).is_none());
    }

    #[test]
    fn zero_is_no_limit() {
        let peers = Peers::new(0);
        let all: Vec<PeerSlot> = (0..1000)
            .map(|_| peers.enter(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(all.len(), 1000);
    }

    #[test]
    fn the_refusal_is_a_complete_docker_shaped_answer() {
        let text = std::str::from_utf8(&REFUSED).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(v["message"]
            .as_str()
            .unwrap()
            .contains("(rule fair.connections)"));
    }
}
