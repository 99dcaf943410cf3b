//! The two-way tunnel of an upgraded attach or exec: bytes both ways, a
//! client's half-close passed on, and both sides closed as soon as the
//! client is known to be gone.
//!
//! A client that is done sending closes its write side, and the engine must
//! see that (it is how `echo hi | docker exec -i c cat` ends stdin), while
//! output keeps flowing back. The docker CLI does so right after the `101`
//! when it attaches no stdin. If that client then exits, TCP tells the proxy
//! nothing more: its FIN was already sent, and the engine, with a silent
//! container, sends nothing that could fail (issue 9: 40 attaches closed by
//! the client left 39 engine connections open until the container exited).
//! So once the client has half-closed, the tunnel probes it when the engine
//! has been silent for [`PROBE_EVERY`]: on a multiplexed stream (no TTY) it
//! writes an empty stdout frame, eight bytes every client skips (the docker
//! CLI's `stdcopy`, docker-py, dockerode); a gone client answers with a
//! reset and the next write fails. Raw (TTY) streams carry no framing to
//! hide a probe in and are not probed; there the idle timeout, a failed
//! write when output comes, and the tenant's stream limit bound what a
//! vanished client leaves.
//!
//! Every other end is immediate: a client or engine error, a client reset,
//! the engine ending the stream, or the idle timeout, and both sides close.

use super::Framing;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Engine silence after which a half-closed client is probed, and the
/// interval between probes.
pub(crate) const PROBE_EVERY: Duration = Duration::from_millis(500);

/// An empty stdout frame of Docker's multiplexed stream.
const PROBE: [u8; 8] = [1, 0, 0, 0, 0, 0, 0, 0];

/// When anything last passed, in milliseconds since the tunnel opened, and
/// whether the client has half-closed.
struct State {
    opened: Instant,
    last: AtomicU64,
    client_done: AtomicBool,
    client_done_changed: Notify,
}

impl State {
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.opened + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

/// Runs the tunnel until it ends; both sides are dropped (closed) when it
/// returns.
pub(crate) async fn run<C, U>(client: C, engine: U, idle: Option<Duration>, framing: Framing)
where
    C: AsyncRead + AsyncWrite + Send + Unpin,
    U: AsyncRead + AsyncWrite + Send + Unpin,
{
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut er, mut ew) = tokio::io::split(engine);
    let state = State {
        opened: Instant::now(),
        last: AtomicU64::new(0),
        client_done: AtomicBool::new(false),
        client_done_changed: Notify::new(),
    };
    let inbound = async {
        match forward(&mut cr, &mut ew, &state).await {
            Ok(()) => {
                // the client is done sending: the engine sees stdin end
                let _ = ew.shutdown().await;
                state.client_done.store(true, Ordering::Release);
                state.client_done_changed.notify_one();
                // and output keeps flowing until something else ends it
                std::future::pending::<io::Error>().await
            }
            Err(e) => e,
        }
    };
    let outbound = back(&mut er, &mut cw, &state, framing);
    let end = tokio::select! {
        e = inbound => format!("client: {e}"),
        r = outbound => match r {
            Ok(()) => "engine ended the stream".to_string(),
            Err(e) => format!("output: {e}"),
        },
        () = idle_for(&state, idle) => "idle timeout".to_string(),
    };
    tracing::debug!(target: "fdcs::hijack", end, "tunnel closed");
}

/// Client to engine, until the client's EOF (`Ok`) or an error.
async fn forward<R, W>(from: &mut R, to: &mut W, state: &State) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(buf.get(..n).unwrap_or_default()).await?;
        to.flush().await?;
        state.touch();
    }
}

/// Engine to client, probing a half-closed client while the engine is
/// silent; `Ok` when the engine ends the stream.
async fn back<R, W>(from: &mut R, to: &mut W, state: &State, framing: Framing) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    let mut frames = Frames::default();
    let mut framing = framing;
    let mut quiet_since = Instant::now();
    loop {
        let probe_due = state.client_done.load(Ordering::Acquire) && framing.may_be_multiplexed();
        let wake = quiet_since + PROBE_EVERY;
        tokio::select! {
            r = from.read(&mut buf) => {
                let n = r?;
                if n == 0 {
                    let _ = to.shutdown().await;
                    return Ok(());
                }
                let data = buf.get(..n).unwrap_or_default();
                frames.feed(data);
                to.write_all(data).await?;
                to.flush().await?;
                state.touch();
                quiet_since = Instant::now();
            }
            () = tokio::time::sleep_until(wake), if probe_due => {
                if framing.multiplexed().await && frames.at_boundary() {
                    // a gone client resets; this write or the next fails
                    to.write_all(&PROBE).await?;
                    to.flush().await?;
                }
                quiet_since = Instant::now();
            }
            () = state.client_done_changed.notified(), if !probe_due => {
                quiet_since = Instant::now();
            }
        }
    }
}

/// Resolves when nothing has passed for `limit` (never without one).
async fn idle_for(state: &State, limit: Option<Duration>) {
    let Some(limit) = limit else {
        return std::future::pending().await;
    };
    loop {
        let deadline = state.last() + limit;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

impl Framing {
    /// Whether probes may be possible (not known to be raw).
    fn may_be_multiplexed(&self) -> bool {
        !matches!(self, Framing::Raw)
    }

    /// Whether the stream is multiplexed, asking the engine the first time
    /// when the request did not say.
    async fn multiplexed(&mut self) -> bool {
        if let Framing::Ask(ask) = self {
            let tty = Pin::as_mut(ask).await;
            *self = match tty {
                Some(false) => Framing::Multiplexed,
                _ => Framing::Raw,
            };
        }
        matches!(self, Framing::Multiplexed)
    }
}

/// Where Docker's multiplexed frames begin and end in the bytes sent so
/// far (a header of stream type, three zero bytes and a big-endian length,
/// then the payload): a probe may only go between two frames. Anything
/// that is not such a header makes the stream unprobeable.
#[derive(Debug, Default)]
struct Frames {
    /// Header bytes of the current frame seen so far (0 to 7).
    header: usize,
    len: [u8; 4],
    /// Payload bytes of the current frame still to come.
    payload: u64,
    broken: bool,
}

impl Frames {
    fn feed(&mut self, mut data: &[u8]) {
        while !self.broken && !data.is_empty() {
            if self.payload > 0 {
                let take = usize::try_from(self.payload).map_or(data.len(), |p| p.min(data.len()));
                self.payload -= take as u64;
                data = data.get(take..).unwrap_or_default();
                continue;
            }
            let Some((&b, rest)) = data.split_first() else {
                break;
            };
            data = rest;
            match self.header {
                0 => self.broken = b > 3,
                1..=3 => self.broken = b != 0,
                i => {
                    if let Some(slot) = self.len.get_mut(i - 4) {
                        *slot = b;
                    }
                }
            }
            self.header += 1;
            if self.header == 8 {
                self.header = 0;
                self.payload = u64::from(u32::from_be_bytes(self.len));
            }
        }
    }

    fn at_boundary(&self) -> bool {
        !self.broken && self.header == 0 && self.payload == 0
    }
}

/// A future that says whether the stream has a TTY (`None`: unknown).
pub(crate) type AskTty = Pin<Box<dyn Future<Output = Option<bool>> + Send>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![kind, 0, 0, 0];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn frame_boundaries_are_found_whatever_the_chunking() {
        let stream = [frame(1, b"hello\n"), frame(2, b""), frame(2, b"oops")].concat();
        for cut in 0..stream.len() {
            let mut f = Frames::default();
            let (a, b) = stream.split_at(cut);
            f.feed(a);
            let boundaries = [0, 14, 22, stream.len()];
            assert_eq!(f.at_boundary(), boundaries.contains(&cut), "cut at {cut}");
            f.feed(b);
            assert!(f.at_boundary(), "whole stream, cut at {cut}");
        }
    }

    #[test]
    fn bytes_that_are_not_frames_stop_the_probes() {
        let mut f = Frames::default();
        f.feed(b"plain tty output\n");
        assert!(!f.at_boundary());
        let mut f = Frames::default();
        f.feed(&[1, 0, 7, 0, 0, 0, 0, 0]);
        assert!(!f.at_boundary());
    }

    #[tokio::test]
    async fn the_engine_sees_the_clients_half_close_and_output_still_flows() {
        let (client, mut client_peer) = tokio::io::duplex(1024);
        let (engine, mut engine_peer) = tokio::io::duplex(1024);
        let tunnel = tokio::spawn(run(client, engine, None, Framing::Raw));
        client_peer.write_all(b"stdin").await.unwrap();
        client_peer.shutdown().await.unwrap();
        let mut got = Vec::new();
        engine_peer.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"stdin");
        engine_peer.write_all(b"stdout after eof").await.unwrap();
        drop(engine_peer);
        let mut out = Vec::new();
        client_peer.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"stdout after eof");
        tunnel.await.unwrap();
    }

    #[tokio::test]
    async fn a_half_closed_client_is_probed_on_a_silent_multiplexed_stream() {
        let (client, mut client_peer) = tokio::io::duplex(1024);
        let (engine, mut engine_peer) = tokio::io::duplex(1024);
        let tunnel = tokio::spawn(run(client, engine, None, Framing::Multiplexed));
        engine_peer.write_all(&frame(1, b"hi")).await.unwrap();
        client_peer.shutdown().await.unwrap();
        let mut got = vec![0u8; 10 + 8];
        tokio::time::timeout(Duration::from_secs(5), client_peer.read_exact(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, [frame(1, b"hi"), PROBE.to_vec()].concat());
        // the client goes away: the next probe fails and the engine side closes
        drop(client_peer);
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), engine_peer.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), tunnel)
            .await
            .unwrap()
            .unwrap();
    }

    #[tokio::test]
    async fn a_tty_stream_is_never_probed() {
        let (client, mut client_peer) = tokio::io::duplex(1024);
        let (engine, engine_peer) = tokio::io::duplex(1024);
        let _tunnel = tokio::spawn(run(client, engine, None, Framing::Raw));
        client_peer.shutdown().await.unwrap();
        let mut one = [0u8; 1];
        let read = tokio::time::timeout(PROBE_EVERY * 4, client_peer.read(&mut one)).await;
        assert!(read.is_err(), "nothing may be written to a raw stream");
        drop(engine_peer);
    }

    #[tokio::test]
    async fn an_idle_tunnel_is_closed_after_the_timeout() {
        let (client, mut client_peer) = tokio::io::duplex(1024);
        let (engine, mut engine_peer) = tokio::io::duplex(1024);
        let idle = Some(Duration::from_millis(300));
        let tunnel = tokio::spawn(run(client, engine, idle, Framing::Raw));
        client_peer.write_all(b"x").await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), engine_peer.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rest, b"x");
        tokio::time::timeout(Duration::from_secs(5), tunnel)
            .await
            .unwrap()
            .unwrap();
    }
}
