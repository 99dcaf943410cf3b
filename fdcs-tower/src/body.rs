//! Body types and bounded reading.
//!
//! JSON request bodies are read whole, up to a bound, before judging: the
//! core judges bytes, so the layer must hold them. The bound and a deadline
//! keep one client from exhausting memory or holding a task forever.

use crate::error::Rejection;
use bytes::{Bytes, BytesMut};
use http::StatusCode;
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

/// Reads a whole body, refusing more than `limit` bytes (413) or taking
/// longer than `timeout` (408). Never panics on any input.
pub async fn read_bounded<B>(body: B, limit: usize, timeout: Duration) -> Result<Bytes, Rejection>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    match tokio::time::timeout(timeout, collect_limited(body, limit)).await {
        Ok(r) => r,
        Err(_) => Err(Rejection::BadRequest(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "fdcs: the request body was not received within {}s",
                timeout.as_secs()
            ),
        )),
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

async fn collect_limited<B>(body: B, limit: usize) -> Result<Bytes, Rejection>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let too_large = || {
        Rejection::TooLarge(format!(
            "fdcs: the request body is larger than {limit} bytes (rule body.too-large); send a smaller request"
        ))
    };
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let mut buf = BytesMut::new();
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let e: BoxError = e.into();
            Rejection::BadRequest(
                StatusCode::BAD_REQUEST,
                format!("fdcs: could not read the request body: {e}"),
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len().saturating_add(data.len()) > limit {
                return Err(too_large());
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
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
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
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_stalled_body_times_out() {
        let (_tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        let err = read_bounded(body, 5000, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.status(), StatusCode::REQUEST_TIMEOUT);
    }
}
