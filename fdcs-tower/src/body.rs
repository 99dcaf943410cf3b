//! Body types and bounded reading.
//!
//! JSON request bodies are read whole, up to a bound, before judging: the
//! core judges bytes, so the layer must hold them. The bound and a deadline
//! keep one client from exhausting memory or holding a task forever.

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::{BodyExt, Empty, Full};
use std::time::Duration;

/// Boxed error used by bodies crossing the layer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The one body type the layer produces, both towards the engine and back
/// to the client; boxing keeps foreign body types out of the public API.
pub type FdcsBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// A complete body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> FdcsBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// An empty body.
pub fn empty() -> FdcsBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Boxes any body with `Bytes` data.
pub fn boxed<B>(body: B) -> FdcsBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// Why [`read_bounded`] gave up on a body. The layer answers each with a
/// Docker-shaped error (413, 408 or 400); another proxy can map them to
/// its own.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The body is longer than the bound.
    #[error("the request body is larger than {limit} bytes")]
    TooLarge {
        /// The bound, in bytes.
        limit: usize,
    },
    /// The whole body did not arrive within the deadline.
    #[error("the request body was not received within {}s", .timeout.as_secs())]
    TimedOut {
        /// The deadline.
        timeout: Duration,
    },
    /// The body itself failed (the client went away, bad chunking, ...).
    #[error("could not read the request body")]
    Body(#[source] BoxError),
}

/// Reads a whole body, refusing more than `limit` bytes or taking longer
/// than `timeout`. Never panics on any input.
///
/// ```
/// use bytes::Bytes;
/// use fdcs_tower::{read_bounded, ReadError};
/// use http_body_util::Full;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let small = Full::new(Bytes::from_static(b"{}"));
/// let got = read_bounded(small, 1024, Duration::from_secs(1)).await;
/// assert_eq!(got.ok(), Some(Bytes::from_static(b"{}")));
///
/// let big = Full::new(Bytes::from(vec![b'x'; 2048]));
/// let err = read_bounded(big, 1024, Duration::from_secs(1)).await;
/// assert!(matches!(err, Err(ReadError::TooLarge { limit: 1024 })));
/// # }
/// ```
pub async fn read_bounded<B>(body: B, limit: usize, timeout: Duration) -> Result<Bytes, ReadError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match tokio::time::timeout(timeout, collect_limited(body, limit)).await {
        Ok(r) => r,
        Err(_) => Err(ReadError::TimedOut { timeout }),
    }
}

/// Reads and throws away up to `limit` bytes of a body the proxy refused
/// before reading it (a denied `docker build` context, say). A client that
/// is still uploading when the answer comes and the connection closes sees
/// "broken pipe" instead of the denial; draining a bounded amount first lets
/// the CLI print the message. Errors and timeouts end the drain quietly.
pub(crate) async fn discard<B>(body: B, limit: usize, timeout: Duration)
where
    B: Body<Data = Bytes>,
{
    let drain = async {
        let mut seen = 0usize;
        let mut body = std::pin::pin!(body);
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen = seen.saturating_add(data.len());
                if seen > limit {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(timeout, drain).await;
}

async fn collect_limited<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(ReadError::TooLarge { limit });
    }
    let mut buf = BytesMut::new();
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Body(e.into()))?;
        if let Ok(data) = frame.into_data() {
            if buf.len().saturating_add(data.len()) > limit {
                return Err(ReadError::TooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_over_the_bound_is_413() {
        let body = Full::new(Bytes::from(vec![b'x'; 2048]));
        let err = read_bounded(body, 1024, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 1024 }), "{err}");
    }

    #[tokio::test]
    async fn a_body_at_the_bound_is_read() {
        let body = Full::new(Bytes::from(vec![b'x'; 1024]));
        let got = read_bounded(body, 1024, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(got.len(), 1024);
    }

    #[tokio::test]
    async fn a_streamed_body_without_length_is_still_bounded() {
        let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(4);
        tokio::spawn(async move {
            for _ in 0..100 {
                if tx.send_data(Bytes::from(vec![b'y'; 100])).await.is_err() {
                    break;
                }
            }
        });
        let err = read_bounded(body, 5000, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit: 5000 }), "{err}");
    }

    #[tokio::test]
    async fn a_stalled_body_times_out() {
        let (_tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        let err = read_bounded(body, 5000, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(matches!(err, ReadError::TimedOut { .. }), "{err}");
    }
}
