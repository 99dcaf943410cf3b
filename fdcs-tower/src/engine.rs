//! Calling the wrapped engine service: one request, engine failures turned
//! into 502 rejections (fail closed), bounded reading of small answers.

use crate::body::{full, BoxError, FdcsBody};
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::RuleId;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tower::{Service, ServiceExt};

/// The bounds every inner service must meet, proven once: any cloneable
/// `Service<http::Request<FdcsBody>>` answering `http::Response<RB>` with a
/// `Send` future is an engine service.
pub trait EngineService<RB>: Clone + Send + Sync + 'static {
    /// The future of one engine call (readiness included).
    type EngineFuture: Future<Output = Result<Response<RB>, BoxError>> + Send + 'static;

    /// Waits for readiness and sends one request.
    fn engine_call(self, req: Request<FdcsBody>) -> Self::EngineFuture;
}

impl<S, RB> EngineService<RB> for S
where
    S: Service<Request<FdcsBody>, Response = Response<RB>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    RB: 'static,
{
    type EngineFuture = Pin<Box<dyn Future<Output = Result<Response<RB>, BoxError>> + Send>>;

    fn engine_call(self, req: Request<FdcsBody>) -> Self::EngineFuture {
        // no async block here: rustc cannot see through the service's future
        // type inside a generator (rust-lang/rust#110338), a combinator it can
        Box::pin(self.map_err(Into::into).oneshot(req))
    }
}

/// Sends one request; a transport failure is a 502.
pub(crate) async fn send<S, RB>(
    inner: &S,
    req: Request<FdcsBody>,
) -> Result<Response<RB>, Rejection>
where
    S: EngineService<RB>,
{
    inner.clone().engine_call(req).await.map_err(|e| {
        Rejection::Upstream(format!(
            "fdcs: the Docker engine is unavailable ({}); try again later",
            error_chain(&*e)
        ))
    })
}

/// A JSON request built by the layer itself (lookups, preludes).
pub(crate) fn json_request(
    method: Method,
    path_and_query: &str,
    body: Option<&serde_json::Value>,
) -> Result<Request<FdcsBody>, Rejection> {
    let mut b = Request::builder().method(method).uri(path_and_query);
    let body = match body {
        Some(v) => {
            b = b.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            full(serde_json::to_vec(v).unwrap_or_default())
        }
        None => crate::body::empty(),
    };
    b.body(body).map_err(|e| {
        Rejection::Upstream(format!(
            "fdcs: could not build the engine request `{path_and_query}`: {e}"
        ))
    })
}

/// Sends a request and reads the whole (bounded) answer, within a deadline.
pub(crate) async fn call_bytes<S, RB>(
    inner: &S,
    req: Request<FdcsBody>,
    max: usize,
    timeout: Duration,
) -> Result<(StatusCode, Bytes), Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let what = req.uri().path().to_string();
    let fut = async {
        let resp = send(inner, req).await?;
        let status = resp.status();
        let bytes = read_limited(resp.into_body(), max).await?;
        Ok((status, bytes))
    };
    tokio::time::timeout(timeout, fut).await.map_err(|_| {
        Rejection::UpstreamTimeout(format!(
            "fdcs: the Docker engine did not answer `{what}` within {}s (rule {}); \
             try again later, and tell the operator if it persists",
            timeout.as_secs(),
            RuleId::UPSTREAM_TIMEOUT
        ))
    })?
}

/// Reads a body up to `max` bytes; more is a 502 (the engine's answer is
/// not the client's fault, and not judged if cut short).
pub(crate) async fn read_limited<RB>(body: RB, max: usize) -> Result<Bytes, Rejection>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    Limited::new(body, max)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            Rejection::Upstream(format!(
                "fdcs: could not read the Docker engine's answer ({e})"
            ))
        })
}

pub(crate) use fdcs_policy::daemon_message;

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
