//! Listening: TCP and unix sockets, optional TLS, one HTTP/1.1 connection
//! task per client with upgrades enabled (attach, exec start), header read
//! deadlines, and graceful shutdown that lets in-flight requests finish.
//!
//! A connection is not a tenant's until its first request is authenticated,
//! so the listener bounds what an anonymous client can hold: a connection
//! must finish TLS and its first request's headers within the first-request
//! deadline (`--first-request-timeout`, 5 s), and one client address may
//! hold at most `--max-connections-per-address` connections ([`peers`]).
//! A flood of connections that never finish their headers thus neither
//! stays long nor fills `--max-connections` for everyone else.
//!
//! A unix listener gets the mode and group of `--listen-mode` and
//! `--listen-group` right after it is bound: until then it has the mode the
//! umask gives (only its owner may connect under the usual 022), so the
//! short window admits nobody the operator did not mean to.

use super::peers::{PeerSlot, Peers, REFUSED};
use anyhow::Context as _;
use fdcs_tower::{ClientCertificate, PeerAddr};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

/// Longest a client may take to send the headers of a request after the
/// first (hyper counts a keep-alive connection's idle time in it too).
pub(super) const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// Most bytes of a request's head (request line and headers) a client may
/// send; more is answered 431 and the connection closed (hyper's own
/// answer when its read buffer fills before the head ends; its count limit,
/// 100 headers, gives 431 too). The daemon's Go server allows 1 MiB, but no
/// Docker client needs near that: its largest header, `X-Registry-Config`
/// of a build, carries a few KiB per registry login. Without this bound
/// hyper would buffer 400 KiB per connection, times `--max-connections`.
pub(super) const MAX_HEAD: usize = 128 * 1024;

/// A byte stream a connection runs on.
pub(super) trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// Who may connect to the unix listeners (`--listen unix:///PATH`).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SocketArgs {
    /// Mode of every unix listener's socket file, in octal (`0660`: owner
    /// and group may connect). Without it the umask decides, which usually
    /// lets only serve's own user in.
    #[arg(long, env = "FDCS_LISTEN_MODE", value_parser = parse_mode)]
    listen_mode: Option<u32>,
    /// Group (name or number) of every unix listener's socket file, so that
    /// the users in it may connect (with `--listen-mode 0660`), as the
    /// `docker` group does for the engine's socket.
    #[arg(long, env = "FDCS_LISTEN_GROUP")]
    listen_group: Option<String>,
}

fn parse_mode(s: &str) -> Result<u32, String> {
    let digits = s.strip_prefix("0o").unwrap_or(s);
    match u32::from_str_radix(digits, 8) {
        Ok(m) if m <= 0o777 => Ok(m),
        _ => Err(format!(
            "`{s}` is not a file mode: give octal permission bits such as 0660"
        )),
    }
}

/// What a unix listener's socket file gets after binding.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SocketPerms {
    mode: Option<u32>,
    gid: Option<u32>,
}

impl SocketPerms {
    /// Resolves `--listen-group` (before binding anything: a typo fails
    /// the start, not the first client).
    pub(super) fn resolve(a: &SocketArgs) -> anyhow::Result<Self> {
        let gid = match a.listen_group.as_deref() {
            None => None,
            Some(g) => Some(group_id(g)?),
        };
        Ok(SocketPerms {
            mode: a.listen_mode,
            gid,
        })
    }

    /// Gives the socket its group and mode without following a link: in a
    /// directory others can write to, the path could be swapped for a link
    /// to another file between bind and here (the socket's directory should
    /// be writable by serve's user alone, as systemd's `RuntimeDirectory=`
    /// makes it; this narrows what is left to a race).
    fn apply(&self, path: &std::path::Path) -> anyhow::Result<()> {
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        if let Some(gid) = self.gid {
            std::os::unix::fs::lchown(path, None, Some(gid)).with_context(|| {
                format!(
                    "giving `{}` the group {gid} (--listen-group)",
                    path.display()
                )
            })?;
        }
        let is_socket = std::fs::symlink_metadata(path)
            .with_context(|| format!("reading `{}` after binding it", path.display()))?
            .file_type()
            .is_socket();
        if !is_socket {
            anyhow::bail!(
                "`{}` is no longer the socket serve bound (replaced meanwhile?); \
                 put the socket in a directory only serve's user can write to",
                path.display()
            );
        }
        if let Some(mode) = self.mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(
                || {
                    format!(
                        "setting the mode of `{}` to {mode:04o} (--listen-mode)",
                        path.display()
                    )
                },
            )?;
        }
        Ok(())
    }
}

/// A group by number or by name (through the system's group database,
/// so groups from LDAP or sssd count as well as /etc/group's).
fn group_id(g: &str) -> anyhow::Result<u32> {
    if let Ok(n) = g.parse::<u32>() {
        return Ok(n);
    }
    match nix::unistd::Group::from_name(g) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => anyhow::bail!("--listen-group `{g}`: no such group on this host"),
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "--listen-group `{g}`: cannot read the group database"
        ))),
    }
}

/// A bound listener.
pub(super) enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener, PathBuf),
}

impl Listener {
    /// Binds `tcp://HOST:PORT` or `unix:///PATH` (a socket file with
    /// `perms`).
    pub(super) async fn bind(addr: &str, perms: SocketPerms) -> anyhow::Result<Self> {
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
            // from here on, dropping it removes the socket file again
            let l = Listener::Unix(l, path.clone());
            perms.apply(&path)?;
            Ok(l)
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

    /// The next client, with its place in its address's count and who it
    /// is for the audit lines; `None` when its address is over the cap (it
    /// was answered 503 and closed).
    pub(super) async fn accept_counted(&self, peers: &Peers) -> std::io::Result<Option<Accepted>> {
        match self {
            Listener::Tcp(l) => {
                let (s, addr) = l.accept().await?;
                let Some(slot) = peers.enter(addr.ip()) else {
                    // non-blocking: a flood must not hold the accept loop
                    let _ = s.try_write(&REFUSED);
                    return Ok(None);
                };
                let _ = s.set_nodelay(true);
                Ok(Some((
                    Box::new(s),
                    Some(slot),
                    PeerAddr::new(addr.to_string()),
                )))
            }
            // a local socket: its clients are the host's own users, named
            // by the kernel's peer credentials
            Listener::Unix(l, _) => {
                let (s, _) = l.accept().await?;
                let peer = match s.peer_cred() {
                    Ok(c) => match c.pid() {
                        Some(pid) => format!("unix:uid={},pid={pid}", c.uid()),
                        None => format!("unix:uid={}", c.uid()),
                    },
                    Err(_) => "unix".to_string(),
                };
                Ok(Some((Box::new(s), None, PeerAddr::new(peer))))
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

/// An accepted client: its stream, its place in its address's count, and
/// who it is.
pub(super) type Accepted = (Box<dyn Io>, Option<PeerSlot>, PeerAddr);

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

/// How anonymous clients are bounded before their first request.
#[derive(Clone)]
pub(super) struct Anonymous {
    /// Deadline from accept to the first request's headers (TLS included).
    pub(super) first_request: Duration,
    /// Connections per client address.
    pub(super) peers: Peers,
}

/// Accepts until `stop`, one task per connection.
pub(super) async fn accept_loop<S>(
    l: Listener,
    svc: S,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    conns: Connections,
    anonymous: Anonymous,
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
        let (io, peer, addr) = tokio::select! {
            r = l.accept_counted(&anonymous.peers) => match r {
                Ok(Some(accepted)) => accepted,
                // refused: its global slot goes back with `guard`
                Ok(None) => continue,
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
        let deadline = tokio::time::Instant::now() + anonymous.first_request;
        tokio::spawn(async move {
            let _guard = guard;
            let _peer = peer;
            let (io, cert): (Box<dyn Io>, _) = match tls {
                None => (io, None),
                Some(acceptor) => {
                    match tokio::time::timeout_at(deadline, acceptor.accept(io)).await {
                        Ok(Ok(s)) => match client_certificate(&s) {
                            Ok(cert) => (Box::new(s), cert),
                            Err(e) => {
                                tracing::warn!(target: "fdcs::serve", error = %e, peer = addr.as_str(), "client certificate refused");
                                return;
                            }
                        },
                        Ok(Err(e)) => {
                            tracing::debug!(target: "fdcs::serve", error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    }
                }
            };
            serve_connection(io, svc, stop, deadline, addr, cert).await;
        });
    }
}

/// The names of the certificate the client presented, which rustls has
/// verified against `--tls-client-ca` (none without one): read once per
/// connection, they may identify the tenant (fdcs-tower auth/certificate).
fn client_certificate(
    s: &tokio_rustls::server::TlsStream<Box<dyn Io>>,
) -> Result<Option<ClientCertificate>, fdcs_tower::CertificateError> {
    match s.get_ref().1.peer_certificates().and_then(|c| c.first()) {
        Some(leaf) => ClientCertificate::from_der(leaf.as_ref()).map(Some),
        None => Ok(None),
    }
}

async fn serve_connection<S>(
    io: Box<dyn Io>,
    svc: S,
    mut stop: watch::Receiver<bool>,
    first_request_by: tokio::time::Instant,
    peer: PeerAddr,
    cert: Option<ClientCertificate>,
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
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD);
    let first = Arc::new(AtomicBool::new(false));
    let svc = FirstRequest {
        inner: svc,
        seen: Arc::clone(&first),
        peer,
        cert,
    };
    let conn = b
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(svc))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let mut waiting_for_first = true;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(target: "fdcs::serve", error = %e, "connection ended");
                }
                return;
            }
            _ = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
                return;
            }
            () = tokio::time::sleep_until(first_request_by), if waiting_for_first => {
                if !first.load(Ordering::Acquire) {
                    // dropping the connection closes it; it never was a tenant's
                    tracing::debug!(target: "fdcs::serve", "no request headers in time; closed");
                    return;
                }
                waiting_for_first = false;
            }
        }
    }
}

/// Notes that the connection's first request arrived (hyper calls the
/// service once a request's headers are read), and tells every request of
/// the connection who sent it (for its audit line) and with which client
/// certificate (for identity).
#[derive(Clone)]
struct FirstRequest<S> {
    inner: S,
    seen: Arc<AtomicBool>,
    peer: PeerAddr,
    cert: Option<ClientCertificate>,
}

impl<S, B> tower::Service<Request<B>> for FirstRequest<S>
where
    S: tower::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> S::Future {
        self.seen.store(true, Ordering::Release);
        req.extensions_mut().insert(self.peer.clone());
        if let Some(cert) = &self.cert {
            req.extensions_mut().insert(cert.clone());
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_octal_permission_bits() {
        assert_eq!(parse_mode("0660"), Ok(0o660));
        assert_eq!(parse_mode("660"), Ok(0o660));
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        for bad in ["0999", "rw-rw----", "", "7777", "-1"] {
            assert!(parse_mode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn groups_by_number_and_by_name() {
        assert_eq!(group_id("0").unwrap(), 0);
        // root's group is named on every Linux host
        assert_eq!(group_id("root").unwrap(), 0);
        let err = group_id("fdcs-no-such-group").unwrap_err().to_string();
        assert!(err.contains("no such group"), "{err}");
    }
}
