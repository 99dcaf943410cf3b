//! Forwarding exactly what was judged (invariant 6).
//!
//! The request sent upstream is rebuilt from the core's [`Forward`]: its
//! method, path, query and canonical JSON body. Client headers do not pass
//! blindly: only the core's allow-list does ([`Forward::client_headers`]),
//! never the `X-Auth-*` credentials.

use crate::body::{full, BoxError, FdcsBody};
use crate::config::Limits;
use crate::engine::{call_bytes, daemon_message, json_request, EngineService};
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::{Forward, ResponsePlan};
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body::Body;

/// `X-Registry-Auth`.
pub(crate) const REGISTRY_AUTH: HeaderName = HeaderName::from_static("x-registry-auth");
/// `X-Registry-Config`.
pub(crate) const REGISTRY_CONFIG: HeaderName = HeaderName::from_static("x-registry-config");

/// Sends every postlude, after a successful answer; a failure is only
/// logged (the tenant's request already did what it asked).
pub(crate) async fn postludes<S, RB>(inner: &S, fwd: &Forward, limits: &Limits)
where
    S: EngineService<RB>,
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    for p in &fwd.postlude {
        let Ok(method) = Method::from_bytes(p.method.as_bytes()) else {
            continue;
        };
        let body = (!p.body.is_null()).then_some(&p.body);
        let Ok(req) = json_request(method, &p.path, body) else {
            continue;
        };
        match call_bytes(inner, req, limits.max_response_body, limits.lookup_timeout).await {
            Ok((status, _)) if status.is_success() => {}
            Ok((status, bytes)) => tracing::info!(
                path = %p.path, %status, message = %daemon_message(&bytes), "fdcs: a follow-up request was refused"
            ),
            Err(e) => {
                tracing::info!(path = %p.path, error = ?e, "fdcs: a follow-up request failed")
            }
        }
    }
}

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
    for name in fwd.client_headers() {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for v in client.get_all(&name) {
            headers.append(name.clone(), v.clone());
        }
    }
    for (name, value) in [
        (REGISTRY_AUTH, &fwd.registry_auth),
        (REGISTRY_CONFIG, &fwd.registry_config),
    ] {
        if let Some(v) = value {
            let v = HeaderValue::from_str(v).map_err(|_| {
                Rejection::Upstream(format!(
                    "fdcs: the judged {name} header is not a header value"
                ))
            })?;
            headers.insert(name, v);
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
        (None, true, Payload::Raw(raw)) => raw,
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
            postlude: vec![],
            registry_auth: None,
            registry_config: None,
            response: plan,
            warnings: vec![],
            warnings_field: None,
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
        // registry credentials pass only as the core judged them
        assert!(h.get("x-registry-auth").is_none());
        let mut judged = fwd(None, false, ResponsePlan::PassThrough);
        judged.registry_auth = Some("eyJ1c2VybmFtZSI6InUifQ==".into());
        let req = judged_request(&judged, &client_headers(), Payload::None).unwrap();
        assert_eq!(req.headers()["x-registry-auth"], "eyJ1c2VybmFtZSI6InUifQ==");
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
