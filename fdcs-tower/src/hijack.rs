//! Hijacked connections (attach, exec start).
//!
//! The request was judged like any other and sent with `Upgrade: tcp`, so
//! the daemon answers `101` before it starts streaming. Only then is the
//! connection turned into a raw tunnel ([`pipe`]): with the client's own
//! upgrade when it asked for one (the docker CLI and docker-py do), or — for
//! clients that did not — as a plain response body carrying the daemon's
//! output ([`output`]; stdin is not available to such clients through fdcs).
//!
//! Each tunnel holds one of its tenant's stream slots (`fair.streams`) until
//! it ends, and ends as soon as the client is known to be gone, or after
//! [`crate::Limits::stream_idle_timeout`] without a byte either way.

mod output;
mod pipe;

use crate::body::{boxed, BoxError, FdcsBody};
use crate::config::Limits;
use crate::engine::{call_bytes, json_request, EngineService};
use crate::fair::StreamSlot;
use crate::tunnels::Open;
use bytes::Bytes;
use fdcs_policy::Forward;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body::Body;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::time::Duration;

/// Docker's content type of a multiplexed (no TTY) stream, API 1.42 on.
const MULTIPLEXED: &str = "application/vnd.docker.multiplexed-stream";

/// Largest inspect answer read to learn whether an attach has a TTY.
const MAX_INSPECT: usize = 4 << 20;

/// How the engine frames the stream: it decides where a liveness probe may
/// go (see [`pipe`]).
pub(crate) enum Framing {
    /// Docker's 8-byte-header frames (no TTY).
    Multiplexed,
    /// Raw bytes (a TTY), or not known.
    Raw,
    /// Not said by the request: whether the container has a TTY, asked of
    /// the engine the first time a probe is due (an attach below API 1.42,
    /// whose content type does not tell).
    Ask(pipe::AskTty),
}

/// What a tunnel needs besides its two ends.
pub(crate) struct Tunnel {
    slot: Option<StreamSlot>,
    /// Counted among the layer's open tunnels while it runs.
    open: Option<Open>,
    idle: Option<Duration>,
    framing: Framing,
}

impl Tunnel {
    /// The settings of the tunnel for the judged request `fwd`: exec start
    /// says in its (judged) body whether it has a TTY, which is what the
    /// daemon frames by; an attach frames by the container's `Config.Tty`,
    /// read with one inspect of the container the request names, lazily.
    pub(crate) fn new<S, RB>(
        fwd: &Forward,
        engine: &S,
        slot: Option<StreamSlot>,
        limits: &Limits,
    ) -> Self
    where
        S: EngineService<RB>,
        RB: Body<Data = Bytes> + Send + 'static,
        RB::Error: Into<BoxError>,
    {
        let tty = fwd.body.as_ref().and_then(|b| b.as_object()).map(|b| {
            b.get("Tty")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        });
        let framing = if fwd.path.ends_with("/start") {
            match tty {
                Some(false) => Framing::Multiplexed,
                _ => Framing::Raw,
            }
        } else if let Some(container) = fwd.path.strip_suffix("/attach") {
            let target = format!("{container}/json");
            let engine = engine.clone();
            let timeout = limits.lookup_timeout;
            Framing::Ask(Box::pin(async move {
                let req = json_request(Method::GET, &target, None).ok()?;
                let (status, body) = call_bytes(&engine, req, MAX_INSPECT, timeout).await.ok()?;
                if !status.is_success() {
                    return None;
                }
                let v: serde_json::Value = serde_json::from_slice(&body).ok()?;
                v.get("Config")?.get("Tty")?.as_bool()
            }))
        } else {
            Framing::Raw
        };
        Tunnel {
            slot,
            open: None,
            idle: limits.stream_idle_timeout,
            framing,
        }
    }

    /// Counts the tunnel among the layer's open ones while it runs.
    pub(crate) fn counted(mut self, open: Open) -> Self {
        self.open = Some(open);
        self
    }
}

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
pub(crate) fn tunnel<RB>(
    mut resp: Response<RB>,
    client: Option<OnUpgrade>,
    tunnel: Tunnel,
) -> Response<FdcsBody>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        // detached exec start, or an error: an ordinary response (and the
        // stream slot goes back)
        let (parts, body) = resp.into_parts();
        return Response::from_parts(parts, boxed(body));
    }
    let upstream = hyper::upgrade::on(&mut resp);
    let content_type = resp.headers().get(header::CONTENT_TYPE).cloned();
    let Tunnel {
        slot,
        open,
        idle,
        mut framing,
    } = tunnel;
    if content_type
        .as_ref()
        .is_some_and(|ct| ct.as_bytes() == MULTIPLEXED.as_bytes())
    {
        framing = Framing::Multiplexed;
    }
    match client {
        Some(client) => {
            tokio::spawn(async move {
                let _slot = slot;
                let _open = open;
                let (c, u) = tokio::join!(client, upstream);
                match (c, u) {
                    (Ok(c), Ok(u)) => {
                        pipe::run(TokioIo::new(c), TokioIo::new(u), idle, framing).await
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
            let mut out = Response::new(boxed(output::Output::new(upstream, idle, slot)));
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
