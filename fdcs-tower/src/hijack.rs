//! Hijacked connections (attach, exec start).
//!
//! The request was judged like any other and sent with `Upgrade: tcp`, so
//! the daemon answers `101` before it starts streaming. Only then is the
//! connection turned into a raw tunnel: with the client's own upgrade when
//! it asked for one (the docker CLI and docker-py do), or — for clients that
//! did not — as a plain response body carrying the daemon's output (stdin is
//! not available to such clients through fdcs).

use crate::body::{boxed, BoxError, FdcsBody};
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body::Body;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;

/// Does the client ask for an upgrade (`Connection: Upgrade` + `Upgrade`)?
pub(crate) fn client_wants_upgrade(headers: &http::HeaderMap) -> bool {
    let conn_upgrade = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    conn_upgrade && headers.contains_key(header::UPGRADE)
}

/// Turns the daemon's answer into the client's answer and starts the tunnel.
pub(crate) fn tunnel<RB>(mut resp: Response<RB>, client: Option<OnUpgrade>) -> Response<FdcsBody>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        // detached exec start, or an error: an ordinary response
        let (parts, body) = resp.into_parts();
        return Response::from_parts(parts, boxed(body));
    }
    let upstream = hyper::upgrade::on(&mut resp);
    let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
    match client {
        Some(client) => {
            tokio::spawn(async move {
                let (c, u) = tokio::join!(client, upstream);
                match (c, u) {
                    (Ok(c), Ok(u)) => {
                        let mut c = TokioIo::new(c);
                        let mut u = TokioIo::new(u);
                        if let Err(e) = tokio::io::copy_bidirectional(&mut c, &mut u).await {
                            tracing::debug!(target: "fdcs::hijack", error = %e, "tunnel closed");
                        }
                    }
                    (c, u) => tracing::warn!(
                        target: "fdcs::hijack",
                        client = c.is_ok(),
                        engine = u.is_ok(),
                        "upgrade failed; tunnel not opened"
                    ),
                }
            });
            let mut out = Response::new(crate::body::empty());
            *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            let h = out.headers_mut();
            h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
            h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
            if let Some(ct) = content_type {
                h.insert(header::CONTENT_TYPE, ct);
            }
            out
        }
        None => {
            let (mut tx, body) = http_body_util::channel::Channel::<Bytes, BoxError>::new(4);
            tokio::spawn(async move {
                let Ok(u) = upstream.await else { return };
                let mut u = TokioIo::new(u);
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match u.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let chunk = Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                            if tx.send_data(chunk).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            let mut out = Response::new(boxed(body));
            out.headers_mut().insert(
                header::CONTENT_TYPE,
                content_type.unwrap_or(HeaderValue::from_static(
                    "application/vnd.docker.raw-stream",
                )),
            );
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_requests_are_recognised_as_the_docker_cli_sends_them() {
        let mut h = http::HeaderMap::new();
        assert!(!client_wants_upgrade(&h));
        h.insert("connection", HeaderValue::from_static("Upgrade"));
        assert!(!client_wants_upgrade(&h));
        h.insert("upgrade", HeaderValue::from_static("tcp"));
        assert!(client_wants_upgrade(&h));
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, upgrade"),
        );
        assert!(client_wants_upgrade(&h));
    }
}
