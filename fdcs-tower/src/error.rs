//! Errors in Docker's own shape: every refusal the layer produces reaches the
//! client as `{"message": "..."}` with a fitting status, so the docker CLI
//! prints it as it prints the daemon's own errors.

use crate::body::{full, FdcsBody, ReadError};
use crate::fair::Limited;
use fdcs_policy::{Denial, RuleId};
use http::{header, HeaderValue, Response, StatusCode};

/// Why the layer answered instead of the engine. Each variant maps to one
/// HTTP status (DESIGN.md "Verdicts and errors").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The policy refused (403/404/400/413 as the denial says).
    #[error("{}", .0.message)]
    Denied(Denial),
    /// Missing (`auth.missing`) or wrong (`auth.invalid`) credentials (401).
    #[error("{1}")]
    Unauthorized(RuleId, String),
    /// The identity service is down or slow (503); never an allow.
    #[error("{0}")]
    IdentityUnavailable(String),
    /// The request body is over the bound (413).
    #[error("{0}")]
    TooLarge(String),
    /// The request could not be read (400 / 408).
    #[error("{1}")]
    BadRequest(StatusCode, String),
    /// The engine failed or answered something unusable (502).
    #[error("{0}")]
    Upstream(String),
    /// The engine did not start its answer, or a lookup did not complete,
    /// in time (504, rule `upstream.timeout`; [`crate::Limits`]).
    #[error("{0}")]
    UpstreamTimeout(String),
    /// The tenant is over its fair share (429, or 503 for memory), with
    /// `Retry-After` ([`crate::fair`]).
    #[error("{}", .0.message)]
    Limited(Limited),
}

impl Rejection {
    /// The HTTP status sent to the client.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Denied(d) => StatusCode::from_u16(d.status).unwrap_or(StatusCode::FORBIDDEN),
            Rejection::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            Rejection::IdentityUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BadRequest(s, _) => *s,
            Rejection::Upstream(_) => StatusCode::BAD_GATEWAY,
            Rejection::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            Rejection::Limited(l) => l.status,
        }
    }

    /// The rule id for the audit line and the denial counter; `None` only
    /// for the daemon's plain not-found.
    pub fn rule(&self) -> Option<RuleId> {
        match self {
            Rejection::Denied(d) => d.rule_id().cloned(),
            Rejection::Unauthorized(rule, _) => Some(rule.clone()),
            Rejection::IdentityUnavailable(_) => Some(RuleId::AUTH_UNAVAILABLE),
            Rejection::TooLarge(_) => Some(RuleId::BODY_TOO_LARGE),
            Rejection::BadRequest(..) => Some(RuleId::REQUEST_MALFORMED),
            Rejection::Upstream(_) => Some(RuleId::UPSTREAM_UNAVAILABLE),
            Rejection::UpstreamTimeout(_) => Some(RuleId::UPSTREAM_TIMEOUT),
            Rejection::Limited(l) => Some(l.rule.clone()),
        }
    }

    /// The `{"message": ...}` body.
    pub fn body_json(&self) -> String {
        match self {
            Rejection::Denied(d) => d.to_json(),
            other => serde_json::json!({ "message": other.to_string() }).to_string(),
        }
    }

    /// Builds the HTTP response.
    pub fn into_response(self) -> Response<FdcsBody> {
        let mut resp = error_response(self.status(), self.body_json());
        if let Rejection::Limited(Limited {
            retry_after: Some(secs),
            ..
        }) = self
        {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// A body the layer could not read: 413, 408 or 400, in the words the
/// docker CLI prints.
impl From<ReadError> for Rejection {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge { .. } => Rejection::TooLarge(format!(
                "fdcs: {e} (rule {}); send a smaller request",
                RuleId::BODY_TOO_LARGE
            )),
            ReadError::TimedOut { .. } => {
                Rejection::BadRequest(StatusCode::REQUEST_TIMEOUT, format!("fdcs: {e}"))
            }
            ReadError::Body(ref why) => {
                Rejection::BadRequest(StatusCode::BAD_REQUEST, format!("fdcs: {e}: {why}"))
            }
        }
    }
}

/// A JSON error response with the given status and body.
pub(crate) fn error_response(status: StatusCode, json: String) -> Response<FdcsBody> {
    let mut resp = Response::new(full(json));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denial_keeps_its_status_and_message() {
        let d = Denial::policy(RuleId::PORTS_EPHEMERAL_ONLY, "host port 8080", "use -P");
        let r = Rejection::Denied(d.clone());
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.body_json(), d.to_json());
        assert_eq!(r.rule(), Some(RuleId::PORTS_EPHEMERAL_ONLY));
    }

    #[test]
    fn unreadable_bodies_keep_their_status_and_wording() {
        let too_large = Rejection::from(ReadError::TooLarge { limit: 1024 });
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            too_large.to_string(),
            "fdcs: the request body is larger than 1024 bytes (rule body.too-large); send a smaller request"
        );
        let slow = Rejection::from(ReadError::TimedOut {
            timeout: std::time::Duration::from_secs(30),
        });
        assert_eq!(slow.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(
            slow.to_string(),
            "fdcs: the request body was not received within 30s"
        );
        let broken = Rejection::from(ReadError::Body("connection reset".into()));
        assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            broken.to_string(),
            "fdcs: could not read the request body: connection reset"
        );
    }

    #[test]
    fn messages_are_docker_shaped_json() {
        let r = Rejection::Upstream("engine \"down\"".into());
        let v: serde_json::Value = serde_json::from_str(&r.body_json()).unwrap();
        assert_eq!(v["message"], "engine \"down\"");
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    }
}
