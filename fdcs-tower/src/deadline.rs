//! How long the engine may take to start answering the judged request
//! ([`Limits::upstream_header_timeout`]): an engine that accepts and never
//! answers gets a 504 (rule `upstream.timeout`) instead of holding the
//! client, its connection and its tenant's share for ever.
//!
//! The bound is on the answer's status and headers only. The daemon sends
//! them at once for every stream (`logs -f`, `events`, `wait`, the `101` of
//! attach and exec start), so those run as long as they run; what comes
//! after the headers is not timed here, except for an answer the layer
//! must read whole before it can answer ([`read_whole`]). The clock starts once the request
//! is sent, its body included: an upload (`docker cp` into a container,
//! `docker load`) may legitimately take longer to send than the bound.

use crate::body::{BoxError, FdcsBody};
use crate::config::Limits;
use crate::engine::read_limited;
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::{Forward, RuleId};
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;

/// Says when a streamed request body has been handed to the engine's
/// connection whole (or given up: then the call fails on its own).
pub(crate) struct Sent(oneshot::Receiver<()>);

/// A request body that reports, through [`Sent`], when it is done.
struct Watched {
    inner: FdcsBody,
    done: Option<oneshot::Sender<()>>,
}

impl Watched {
    fn finish(&mut self) {
        if let Some(tx) = self.done.take() {
            let _ = tx.send(());
        }
    }
}

impl Body for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) || self.inner.is_end_stream() {
            self.finish();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // the connection dropped the body: sent, or never to be
        self.finish();
    }
}

/// Wraps a streamed upload so that the header deadline starts after its
/// last byte.
pub(crate) fn watch_sent(body: FdcsBody) -> (FdcsBody, Sent) {
    let (tx, rx) = oneshot::channel();
    let watched = Watched {
        inner: body,
        done: Some(tx),
    };
    (crate::body::boxed(watched), Sent(rx))
}

/// Reads an answer the layer needs whole before it can answer anything (a
/// list or inspect to rewrite, an error to show in the tenant's names):
/// for the client that answer has not started until its last byte came, so
/// it gets [`Limits::upstream_header_timeout`] again once its headers are
/// in. A streamed answer is never read here.
pub(crate) async fn read_whole<RB>(body: RB, limits: &Limits) -> Result<Bytes, Rejection>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let read = read_limited(body, limits.max_response_body);
    let Some(limit) = limits.upstream_header_timeout else {
        return read.await;
    };
    tokio::time::timeout(limit, read).await.map_err(|_| {
        Rejection::UpstreamTimeout(format!(
            "fdcs: the Docker engine did not send its whole answer within {}s \
             (rule {}); try again later, and tell the operator if it persists",
            limit.as_secs(),
            RuleId::UPSTREAM_TIMEOUT
        ))
    })?
}

/// The time the engine has to start answering `fwd`: the bound, plus the
/// `t` seconds a container stop or restart asks the daemon to wait before
/// it kills (`t=-1`, wait for ever: no bound). A container wait below API
/// 1.30 has none either: the daemon sends its headers only when the
/// container exits (from 1.30 on, at once).
pub(crate) fn allowance(fwd: &Forward, bound: Option<Duration>) -> Option<Duration> {
    let bound = bound?;
    if fwd.path.contains("/containers/")
        && fwd.path.ends_with("/wait")
        && api_before(&fwd.path, (1, 30))
    {
        return None;
    }
    let stops = fwd.path.contains("/containers/")
        && (fwd.path.ends_with("/stop") || fwd.path.ends_with("/restart"));
    if !stops {
        return Some(bound);
    }
    let t = fwd
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == "t").then(|| v.parse::<i64>().ok())?
        });
    match t {
        Some(t) if t < 0 => None,
        Some(t) => Some(bound.saturating_add(Duration::from_secs(t.unsigned_abs()))),
        None => Some(bound),
    }
}

/// Whether `path` names an API version (`/vX.Y/...`) below `version`;
/// without one the daemon serves its current version.
fn api_before(path: &str, version: (u32, u32)) -> bool {
    let named = path
        .strip_prefix("/v")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(v, _)| v.split_once('.'))
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    named.is_some_and(|v| v < version)
}

/// Awaits the engine's answer to the judged request (`what`: the client's
/// method and path, for the message), at most `allowance` after the body
/// is `sent`; later, a 504.
pub(crate) async fn headers<F, T>(
    answer: F,
    allowance: Option<Duration>,
    sent: Option<Sent>,
    what: &str,
) -> Result<T, Rejection>
where
    F: Future<Output = Result<T, Rejection>>,
{
    let Some(limit) = allowance else {
        return answer.await;
    };
    let clock = async move {
        if let Some(Sent(rx)) = sent {
            // a dropped sender means the body is done with too
            let _ = rx.await;
        }
        tokio::time::sleep(limit).await;
    };
    tokio::select! {
        biased;
        r = answer => r,
        () = clock => Err(Rejection::UpstreamTimeout(format!(
            "fdcs: the Docker engine did not start answering `{what}` within {}s \
             (rule {}); try again later, and tell the operator if it persists",
            limit.as_secs(),
            RuleId::UPSTREAM_TIMEOUT
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fdcs_policy::ResponsePlan;
    use http_body_util::BodyExt;

    fn fwd(path: &str, query: Option<&str>) -> Forward {
        Forward {
            method: "POST".into(),
            path: path.into(),
            query: query.map(Into::into),
            body: None,
            stream_body: false,
            prelude: vec![],
            postlude: vec![],
            registry_auth: None,
            registry_config: None,
            response: ResponsePlan::PassThrough,
            warnings: vec![],
            warnings_field: None,
        }
    }

    #[test]
    fn a_stop_gets_the_seconds_it_asks_the_daemon_to_wait() {
        let b = Some(Duration::from_secs(60));
        let stop = "/v1.41/containers/alpha_web/stop";
        assert_eq!(allowance(&fwd(stop, None), b), b);
        assert_eq!(
            allowance(&fwd(stop, Some("t=30")), b),
            Some(Duration::from_secs(90))
        );
        assert_eq!(allowance(&fwd(stop, Some("signal=KILL&t=-1")), b), None);
        assert_eq!(
            allowance(&fwd("/containers/x/restart", Some("t=5")), b),
            Some(Duration::from_secs(65))
        );
        assert_eq!(allowance(&fwd("/v1.41/containers/json", Some("t=5")), b), b);
        assert_eq!(allowance(&fwd(stop, Some("t=5")), None), None);
    }

    #[test]
    fn a_legacy_wait_has_no_bound_a_current_one_has() {
        let b = Some(Duration::from_secs(60));
        assert_eq!(allowance(&fwd("/v1.29/containers/x/wait", None), b), None);
        assert_eq!(allowance(&fwd("/v1.24/containers/x/wait", None), b), None);
        assert_eq!(allowance(&fwd("/v1.30/containers/x/wait", None), b), b);
        assert_eq!(allowance(&fwd("/v1.41/containers/x/wait", None), b), b);
        assert_eq!(allowance(&fwd("/containers/x/wait", None), b), b);
        assert_eq!(allowance(&fwd("/v1.29/containers/json", None), b), b);
    }

    #[tokio::test(start_paused = true)]
    async fn no_answer_in_time_is_a_504_with_the_rule() {
        let never = std::future::pending::<Result<(), Rejection>>();
        let r = headers(never, Some(Duration::from_secs(2)), None, "GET /_ping").await;
        let err = r.unwrap_err();
        assert_eq!(err.status(), http::StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(err.rule(), Some(RuleId::UPSTREAM_TIMEOUT));
        assert!(err.to_string().contains("`GET /_ping` within 2s"), "{err}");
        let soon = async { Ok::<_, Rejection>(7) };
        assert_eq!(
            headers(soon, Some(Duration::from_secs(2)), None, "x")
                .await
                .unwrap(),
            7
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_read_whole_must_come_whole_in_time() {
        let limits = Limits::default().with_upstream_header_timeout(Some(Duration::from_secs(2)));
        let (mut tx, stalled) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        tx.send_data(Bytes::from_static(b"[")).await.unwrap();
        let err = read_whole(stalled, &limits).await.unwrap_err();
        assert_eq!(err.status(), http::StatusCode::GATEWAY_TIMEOUT);
        assert!(err.to_string().contains("whole answer within 2s"), "{err}");
        drop(tx);
        let whole = http_body_util::Full::new(Bytes::from_static(b"[]"));
        assert_eq!(&read_whole(whole, &limits).await.unwrap()[..], b"[]");
    }

    #[tokio::test(start_paused = true)]
    async fn the_clock_starts_when_the_upload_is_sent() {
        let (mut tx, upload) = http_body_util::channel::Channel::<Bytes, BoxError>::new(1);
        let (body, sent) = watch_sent(crate::body::boxed(upload));
        // the engine reads the upload for 10 s, then answers 1 s later
        let answer = async move {
            let got = body
                .collect()
                .await
                .map_err(|e| Rejection::Upstream(e.to_string()))?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok::<_, Rejection>(got.to_bytes().len())
        };
        let sender = async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = tx.send_data(Bytes::from_static(b"x")).await;
            }
        };
        let (r, ()) = tokio::join!(
            headers(answer, Some(Duration::from_secs(2)), Some(sent), "PUT /x"),
            sender
        );
        assert_eq!(r.unwrap(), 10);
    }
}
