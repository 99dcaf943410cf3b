//! Forwarding exactly what was judged (invariant 6).
//!
//! The request sent upstream is rebuilt from the core's [`Forward`]: its
//! method, path, query and canonical JSON body. Client headers do not pass
//! blindly: only an allow-list does, and never the `X-Auth-*` credentials.

use crate::body::{full, BoxError, FdcsBody};
use crate::config::Limits;
use crate::engine::{call_bytes, daemon_message, json_request, EngineService};
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::{Forward, ResponsePlan};
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body::Body;

/// Client headers that may reach the engine. `X-Registry-Auth` carries pull
/// credentials for the registry (the engine's business, not the tenant's
/// identity); `User-Agent` only feeds the engine's logs.
const PASS: [HeaderName; 3] = [
    header::USER_AGENT,
    HeaderName::from_static("x-registry-auth"),
    header::ACCEPT,
];

/// Sends every prelude; 200/201/409 ("already exists") are fine.
pub(crate) async fn preludes<S, RB>(
    inner: &S,
    fwd: &Forward,
    limits: &Limits,
) -> Result<(), Rejection>
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    for p in &fwd.prelude {
        let method = Method::from_bytes(p.method.as_bytes()).map_err(|_| {
            Rejection::Upstream(format!("fdcs: invalid prelude method `{}`", p.method))
        })?;
        let req = json_request(method, &p.path, Some(&p.body))?;
        let (status, bytes) =
            call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await?;
        if !matches!(
            status,
            StatusCode::OK | StatusCode::CREATED | StatusCode::CONFLICT
        ) {
            return Err(Rejection::Upstream(format!(
                "fdcs: preparing the request failed ({} {} answered {status}): {}",
                p.method,
                p.path,
                daemon_message(&bytes)
            )));
        }
    }
    Ok(())
}

/// The body to send with the judged request.
pub(crate) enum Payload {
    /// Nothing (or nothing judged: then nothing is sent).
    None,
    /// The client's raw body, streamed (only when the core says so).
    Raw(FdcsBody),
}

/// Builds the judged request.
pub(crate) fn judged_request(
    fwd: &Forward,
    client: &HeaderMap,
    payload: Payload,
) -> Result<Request<FdcsBody>, Rejection> {
    let method = Method::from_bytes(fwd.method.as_bytes())
        .map_err(|_| Rejection::Upstream(format!("fdcs: invalid method `{}`", fwd.method)))?;
    let target = match &fwd.query {
        Some(q) if !q.is_empty() => format!("{}?{q}", fwd.path),
        _ => fwd.path.clone(),
    };
    let mut b = Request::builder().method(method).uri(target.as_str());
    let headers = b.headers_mut().ok_or_else(|| {
        Rejection::BadRequest(
            StatusCode::BAD_REQUEST,
            format!("fdcs: invalid request target `{target}`"),
        )
    })?;
    for name in PASS {
        for v in client.get_all(&name) {
            headers.append(name.clone(), v.clone());
        }
    }
    if matches!(fwd.response, ResponsePlan::Hijack) {
        // always ask for the upgrade: the daemon then answers 101 and the
        // tunnel has a clean HTTP boundary on both sides
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    }
    let body = match (&fwd.body, fwd.stream_body, payload) {
        (Some(v), _, _) => {
            let bytes = serde_json::to_vec(v).map_err(|e| {
                Rejection::Upstream(format!("fdcs: could not serialise the judged body: {e}"))
            })?;
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            full(bytes)
        }
        (None, true, Payload::Raw(raw)) => {
            if let Some(ct) = client.get(header::CONTENT_TYPE) {
                headers.insert(header::CONTENT_TYPE, ct.clone());
            }
            raw
        }
        _ => crate::body::empty(),
    };
    b.body(body).map_err(|_| {
        Rejection::BadRequest(
            StatusCode::BAD_REQUEST,
            format!("fdcs: invalid request target `{target}`"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn fwd(body: Option<serde_json::Value>, stream: bool, plan: ResponsePlan) -> Forward {
        Forward {
            method: "POST".into(),
            path: "/v1.41/containers/create".into(),
            query: Some("name=alpha_web".into()),
            body,
            stream_body: stream,
            prelude: vec![],
            response: plan,
        }
    }

    fn client_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-auth-token", HeaderValue::from_static("s3cret"));
        h.insert("x-auth-tenantid", HeaderValue::from_static("alpha"));
        h.insert("x-registry-auth", HeaderValue::from_static("e30="));
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-tar"),
        );
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        h.insert("host", HeaderValue::from_static("evil"));
        h
    }

    #[tokio::test]
    async fn the_canonical_body_is_sent_not_the_clients() {
        let judged = serde_json::json!({"Image": "busybox", "HostConfig": {"Memory": 1}});
        let raw = full(&b"{\"image\":\"busybox\",\"HostConfig\":{\"Privileged\":true}}"[..]);
        let req = judged_request(
            &fwd(Some(judged.clone()), false, ResponsePlan::PassThrough),
            &client_headers(),
            Payload::Raw(raw),
        )
        .unwrap();
        assert_eq!(req.uri(), "/v1.41/containers/create?name=alpha_web");
        assert_eq!(req.headers()["content-type"], "application/json");
        let body = req.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            judged
        );
    }

    #[tokio::test]
    async fn a_raw_body_is_only_streamed_when_the_core_says_so() {
        let raw = full(&b"tar bytes"[..]);
        let req = judged_request(
            &fwd(None, false, ResponsePlan::PassThrough),
            &client_headers(),
            Payload::Raw(raw),
        )
        .unwrap();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty());
        let raw = full(&b"tar bytes"[..]);
        let req = judged_request(
            &fwd(None, true, ResponsePlan::PassThrough),
            &client_headers(),
            Payload::Raw(raw),
        )
        .unwrap();
        assert_eq!(req.headers()["content-type"], "application/x-tar");
        let body = req.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"tar bytes");
    }

    #[test]
    fn credentials_and_unknown_headers_never_reach_the_engine() {
        let req = judged_request(
            &fwd(None, false, ResponsePlan::PassThrough),
            &client_headers(),
            Payload::None,
        )
        .unwrap();
        let h = req.headers();
        assert!(h.get("x-auth-token").is_none());
        assert!(h.get("x-auth-tenantid").is_none());
        assert!(h.get("x-forwarded-for").is_none());
        assert!(h.get("host").is_none());
        assert_eq!(h["x-registry-auth"], "e30=");
    }

    #[test]
    fn hijack_routes_always_ask_the_engine_for_an_upgrade() {
        let req = judged_request(
            &fwd(None, false, ResponsePlan::Hijack),
            &HeaderMap::new(),
            Payload::None,
        )
        .unwrap();
        assert_eq!(req.headers()["upgrade"], "tcp");
        assert_eq!(req.headers()["connection"], "Upgrade");
    }
}
