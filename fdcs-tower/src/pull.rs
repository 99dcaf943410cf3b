//! A pull's progress stream, passed through as it comes, and the tenant's
//! claim on a private image written when it ends well
//! ([`fdcs_policy::tenancy::claims`]).
//!
//! The daemon answers a pull with `200` and reports failure inside the
//! stream (`{"error": ...}`), so success is known only at its end: the
//! stream is watched line by line, and the last chunk is held back until
//! the claim is tagged, so that the client's next step (`docker run`
//! after its own pull) finds it. A claim that cannot be written ends the
//! stream with an error line, which the CLI prints.

use crate::body::{boxed, BoxError, FdcsBody};
use crate::config::Limits;
use crate::engine::{call_bytes, daemon_message, json_request, EngineService};
use bytes::Bytes;
use fdcs_policy::query::percent_encode;
use fdcs_policy::PullClaim;
use http::{header, Method, Response};
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Longest progress line that is read for its meaning (longer ones pass).
const MAX_LINE: usize = 64 * 1024;

/// Streams the pull's answer; writes the claim when it succeeded.
pub(crate) fn watch<S, RB>(
    inner: S,
    claim: Option<PullClaim>,
    resp: Response<RB>,
    limits: &Limits,
) -> Response<FdcsBody>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let (mut parts, body) = resp.into_parts();
    let Some(claim) = claim.filter(|_| parts.status.is_success()) else {
        return Response::from_parts(parts, boxed(body));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let (tx, rx) = mpsc::channel(16);
    let limits = limits.clone();
    tokio::spawn(async move {
        let mut progress = Progress::default();
        let mut body = boxed(body);
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => {
                    if let Some(data) = f.data_ref() {
                        progress.feed(data);
                    }
                    if tx.send(Ok(f)).await.is_err() {
                        return; // the client left: no claim for a pull it did not see end
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        progress.finish();
        if progress.failed {
            return;
        }
        if let Err(message) = tag(&inner, &claim, progress.digest.as_deref(), &limits).await {
            let line = serde_json::json!({"errorDetail": {"message": message}, "error": message});
            let _ = tx
                .send(Ok(Frame::data(Bytes::from(format!("{line}\r\n")))))
                .await;
        }
    });
    Response::from_parts(parts, boxed(ChannelBody { rx }))
}

/// Tags the pulled image with the tenant's claim.
async fn tag<S, RB>(
    inner: &S,
    claim: &PullClaim,
    digest: Option<&str>,
    limits: &Limits,
) -> Result<(), String>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    // by digest when the daemon named one: the image that was pulled, even
    // if another pull has moved the tag since
    let source = match digest {
        Some(d) => format!("{}@{d}", claim.name),
        None => claim.reference.clone(),
    };
    let target = format!(
        "{}/images/{source}/tag?repo={}&tag={}",
        claim.prefix,
        percent_encode(&claim.repo),
        percent_encode(&claim.tag)
    );
    let failed = |why: String| {
        format!("fdcs: the image was pulled but fdcs could not record it for you ({why}); pull it again")
    };
    let req = json_request(Method::POST, &target, None).map_err(|e| failed(e.to_string()))?;
    match call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await {
        Ok((status, _)) if status.is_success() => Ok(()),
        Ok((status, bytes)) => Err(failed(format!("{status}: {}", daemon_message(&bytes)))),
        Err(e) => Err(failed(e.to_string())),
    }
}

/// What the progress stream said so far.
#[derive(Default)]
struct Progress {
    partial: Vec<u8>,
    failed: bool,
    digest: Option<String>,
}

impl Progress {
    fn feed(&mut self, mut chunk: &[u8]) {
        while let Some(nl) = chunk.iter().position(|b| *b == b'\n') {
            let (head, rest) = chunk.split_at(nl);
            chunk = rest.get(1..).unwrap_or_default();
            if self.partial.len() + head.len() <= MAX_LINE {
                self.partial.extend_from_slice(head);
                let line = std::mem::take(&mut self.partial);
                self.line(&line);
            }
            self.partial.clear();
        }
        if self.partial.len() + chunk.len() <= MAX_LINE {
            self.partial.extend_from_slice(chunk);
        } else {
            // an over-long line reads as a failure: no claim on what was not understood
            self.failed = true;
            self.partial.clear();
        }
    }

    fn finish(&mut self) {
        let line = std::mem::take(&mut self.partial);
        if !line.iter().all(u8::is_ascii_whitespace) {
            self.line(&line);
        }
    }

    fn line(&mut self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            self.failed = true;
            return;
        };
        if v.get("error").is_some() || v.get("errorDetail").is_some() {
            self.failed = true;
        }
        if let Some(d) = v
            .get("status")
            .and_then(|s| s.as_str())
            .and_then(|s| s.strip_prefix("Digest: "))
        {
            self.digest = Some(d.trim().to_string());
        }
    }
}

/// A body fed by the watching task.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Frame<Bytes>, BoxError>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.rx.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_that_ends_well_names_its_digest() {
        let mut p = Progress::default();
        p.feed(b"{\"status\":\"Pulling from priv/app\",\"id\":\"1\"}\r\n{\"status\":\"Dig");
        p.feed(b"est: sha256:abc\"}\r\n{\"status\":\"Status: Downloaded newer image\"}\r\n");
        p.finish();
        assert!(!p.failed);
        assert_eq!(p.digest.as_deref(), Some("sha256:abc"));
    }

    #[test]
    fn an_error_line_anywhere_means_no_claim() {
        let mut p = Progress::default();
        p.feed(b"{\"status\":\"Pulling\"}\r\n{\"errorDetail\":{\"message\":\"unauthorized\"},\"error\":\"unauthorized\"}");
        p.finish();
        assert!(p.failed);
        let mut p = Progress::default();
        p.feed(b"not json\n");
        assert!(p.failed);
    }
}
