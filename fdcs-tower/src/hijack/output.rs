//! The output of a hijacked stream as a plain response body, for a client
//! that did not ask for an upgrade (it gets no stdin through fdcs).
//!
//! The body reads the engine's connection itself, so when the client goes
//! away and hyper drops the body, the engine connection is dropped with it
//! at once; nothing waits for the engine's next byte to find out.

use crate::body::BoxError;
use crate::fair::StreamSlot;
use bytes::Bytes;
use http_body::{Body, Frame};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::time::Sleep;

enum Engine {
    Upgrading(OnUpgrade),
    Streaming(TokioIo<Upgraded>),
    Done,
}

/// The engine's output, frame by frame.
pub(crate) struct Output {
    engine: Engine,
    buf: Box<[u8]>,
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    _slot: Option<StreamSlot>,
}

impl Output {
    pub(crate) fn new(
        upgrade: OnUpgrade,
        idle: Option<Duration>,
        slot: Option<StreamSlot>,
    ) -> Self {
        Output {
            engine: Engine::Upgrading(upgrade),
            buf: vec![0u8; 16 * 1024].into_boxed_slice(),
            idle: idle.map(|d| (d, Box::pin(tokio::time::sleep(d)))),
            _slot: slot,
        }
    }
}

impl Body for Output {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some((_, sleep)) = &mut this.idle {
            if sleep.as_mut().poll(cx).is_ready() {
                tracing::debug!(target: "fdcs::hijack", "idle timeout");
                this.engine = Engine::Done;
                return Poll::Ready(None);
            }
        }
        loop {
            match &mut this.engine {
                Engine::Done => return Poll::Ready(None),
                Engine::Upgrading(up) => match std::task::ready!(Pin::new(up).poll(cx)) {
                    Ok(io) => this.engine = Engine::Streaming(TokioIo::new(io)),
                    Err(e) => {
                        tracing::warn!(target: "fdcs::hijack", error = %e, "engine upgrade failed");
                        this.engine = Engine::Done;
                    }
                },
                Engine::Streaming(io) => {
                    let mut rb = ReadBuf::new(&mut this.buf);
                    match std::task::ready!(Pin::new(io).poll_read(cx, &mut rb)) {
                        Ok(()) if !rb.filled().is_empty() => {
                            let chunk = Bytes::copy_from_slice(rb.filled());
                            if let Some((d, sleep)) = &mut this.idle {
                                sleep.as_mut().reset(tokio::time::Instant::now() + *d);
                            }
                            return Poll::Ready(Some(Ok(Frame::data(chunk))));
                        }
                        // the end of the stream, or an engine error: end the body
                        _ => this.engine = Engine::Done,
                    }
                }
            }
        }
    }
}
