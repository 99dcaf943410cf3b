//! Listening: TCP and unix sockets, optional TLS, one HTTP/1.1 connection
//! task per client with upgrades enabled (attach, exec start), header read
//! deadlines, and graceful shutdown that lets in-flight requests finish.

use anyhow::Context as _;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

/// Longest a client may take to send a request's headers or finish TLS.
pub(super) const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// A byte stream a connection runs on.
pub(super) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A bound listener.
pub(super) enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener, PathBuf),
}

impl Listener {
    /// Binds `tcp://HOST:PORT` or `unix:///PATH`.
    pub(super) async fn bind(addr: &str) -> anyhow::Result<Self> {
        if let Some(hp) = addr.strip_prefix("tcp://") {
            let l = tokio::net::TcpListener::bind(hp.trim_end_matches('/'))
                .await
                .with_context(|| format!("listening on `{addr}`"))?;
            Ok(Listener::Tcp(l))
        } else if let Some(p) = addr.strip_prefix("unix://").filter(|p| p.starts_with('/')) {
            let path = PathBuf::from(p);
            // a socket left behind by an earlier run; never remove anything else
            if std::fs::symlink_metadata(&path).is_ok_and(|m| {
                use std::os::unix::fs::FileTypeExt;
                m.file_type().is_socket()
            }) {
                let _ = std::fs::remove_file(&path);
            }
            let l = tokio::net::UnixListener::bind(&path)
                .with_context(|| format!("listening on `{addr}`"))?;
            Ok(Listener::Unix(l, path))
        } else {
            anyhow::bail!("invalid listen address `{addr}`: use tcp://HOST:PORT or unix:///PATH")
        }
    }

    /// The next client.
    pub(super) async fn accept(&self) -> std::io::Result<Box<dyn Io>> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Box::new(s))
            }
            Listener::Unix(l, _) => {
                let (s, _) = l.accept().await?;
                Ok(Box::new(s))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Counts open connections so that shutdown can wait for them, and bounds
/// them: at the limit, accepting waits (the kernel backlog absorbs the rest)
/// instead of running the process out of file descriptors.
#[derive(Clone)]
pub(super) struct Connections(Arc<(AtomicUsize, Notify)>, Arc<Semaphore>);

pub(super) struct ConnGuard {
    count: Arc<(AtomicUsize, Notify)>,
    /// Held for the connection's life; dropping it frees a slot.
    _permit: OwnedSemaphorePermit,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        if self.count.0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.count.1.notify_waiters();
        }
    }
}

impl Connections {
    /// At most `max` connections at once (at least one).
    pub(super) fn new(max: usize) -> Self {
        Connections(Arc::default(), Arc::new(Semaphore::new(max.max(1))))
    }

    async fn enter(&self) -> Option<ConnGuard> {
        let permit = Arc::clone(&self.1).acquire_owned().await.ok()?;
        self.0 .0.fetch_add(1, Ordering::AcqRel);
        Some(ConnGuard {
            count: Arc::clone(&self.0),
            _permit: permit,
        })
    }

    /// Waits until every connection closed, at most `limit`; true if all did.
    pub(super) async fn drained(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.0 .1.notified();
                if self.0 .0.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

/// Accepts until `stop`, one task per connection.
pub(super) async fn accept_loop<S>(
    l: Listener,
    svc: S,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    conns: Connections,
) where
    S: tower::Service<
            Request<Incoming>,
            Response = Response<fdcs_tower::FdcsBody>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    loop {
        let guard = tokio::select! {
            g = conns.enter() => match g {
                Some(g) => g,
                None => return,
            },
            _ = stop.changed() => return,
        };
        let io = tokio::select! {
            r = l.accept() => match r {
                Ok(io) => io,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning
                    tracing::warn!(target: "fdcs::serve", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let svc = svc.clone();
        let tls = tls.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let io: Box<dyn Io> = match tls {
                None => io,
                Some(acceptor) => {
                    match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(io)).await {
                        Ok(Ok(s)) => Box::new(s),
                        Ok(Err(e)) => {
                            tracing::debug!(target: "fdcs::serve", error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    }
                }
            };
            serve_connection(io, svc, stop).await;
        });
    }
}

async fn serve_connection<S>(io: Box<dyn Io>, svc: S, mut stop: watch::Receiver<bool>)
where
    S: tower::Service<
            Request<Incoming>,
            Response = Response<fdcs_tower::FdcsBody>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let conn = b
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(svc))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(target: "fdcs::serve", error = %e, "connection ended");
            }
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
