//! Treating the engine's answer as the core planned: pass it through,
//! rewrite a buffered JSON answer, or rewrite `/events` line by line.
//!
//! An error answer (400 and up) of any route, whatever its plan, is read
//! and rewritten by the core ([`error`]): the daemon's own messages keep
//! their wording, with engine-side names and claims shown as the tenant's
//! names and ids the request did not name hidden, JSON or plain text.

mod events;

use crate::body::{boxed, full, BoxError, FdcsBody};
use crate::config::Limits;
use crate::deadline::read_whole;
use crate::error::Rejection;
use bytes::Bytes;
use fdcs_policy::{Forward, ResponsePlan, ResponseRewrite, Tenant};
use http::{header, HeaderValue, Response};
use http_body::Body;

pub(crate) use events::EventLines;

/// Applies the response plan (hijack excepted: see [`crate::hijack`]).
/// A successful create answer also gets the warnings of the rules the
/// policy allowed in `warn` mode, where the API has room for them
/// ([`fdcs_policy::add_warnings`]): the docker CLI prints each one.
pub(crate) async fn respond<RB>(
    fwd: &Forward,
    tenant: &Tenant,
    resp: Response<RB>,
    limits: &Limits,
) -> Result<Response<FdcsBody>, Rejection>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let ok = resp.status().is_success();
    let (mut parts, body) = resp.into_parts();
    match &fwd.response {
        ResponsePlan::Rewrite(rw) => {
            let bytes = read_whole(body, limits).await?;
            Ok(rewritten(rw, tenant, parts, &bytes, ok.then_some(fwd)))
        }
        ResponsePlan::Events if ok => {
            parts.headers.remove(header::CONTENT_LENGTH);
            let lines = EventLines::events(boxed(body), tenant.clone(), limits.max_event_line);
            Ok(Response::from_parts(parts, boxed(lines)))
        }
        // a network create's answer (`{"Id", "Warning"}`), small and bounded:
        // read only when a `warn`-mode warning has a place in it
        ResponsePlan::PassThrough if ok && shows_warnings(fwd) => {
            let bytes = read_whole(body, limits).await?;
            let out = fdcs_policy::add_warnings(&fwd.warnings, fwd.warnings_field, &bytes)
                .unwrap_or_else(|| bytes.to_vec());
            parts.headers.remove(header::TRANSFER_ENCODING);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(out.len()));
            Ok(Response::from_parts(parts, full(out)))
        }
        _ => Ok(Response::from_parts(parts, boxed(body))),
    }
}

/// Whether the answer has a place for a `warn`-mode warning of `fwd`.
fn shows_warnings(fwd: &Forward) -> bool {
    fwd.warnings_field.is_some()
        && fwd
            .warnings
            .iter()
            .any(|w| w.mode == fdcs_policy::EnforcementMode::Warn)
}

/// Whether the engine's answer is an error (400 and up) that the core
/// rewrites whatever the plan: the daemon's messages quote engine-side
/// names and ids on every route, streaming and hijacking ones included.
pub(crate) fn is_error<RB>(resp: &Response<RB>) -> bool {
    resp.status().as_u16() >= 400
}

/// An error answer of the engine, read (bounded) and shown in the
/// tenant's names ([`fdcs_policy::rewrite_error`]): JSON or plain text,
/// any route, ids the judged request did not name hidden.
pub(crate) async fn error<RB>(
    fwd: &Forward,
    tenant: &Tenant,
    resp: Response<RB>,
    limits: &Limits,
) -> Result<Response<FdcsBody>, Rejection>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let (mut parts, body) = resp.into_parts();
    let bytes = read_whole(body, limits).await?;
    let out = fdcs_policy::rewrite_error(tenant, fwd, &bytes);
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(out.len()));
    Ok(Response::from_parts(parts, full(out)))
}

/// A buffered answer, rewritten by the core for the tenant.
/// With `warned`, the answer also gets that forward's `warn`-mode
/// warnings where the API has room for them.
pub(crate) fn rewritten(
    rw: &ResponseRewrite,
    tenant: &Tenant,
    mut parts: http::response::Parts,
    bytes: &[u8],
    warned: Option<&Forward>,
) -> Response<FdcsBody> {
    let (status, mut out) = fdcs_policy::rewrite_answer(rw, tenant, parts.status.as_u16(), bytes);
    if let Some(fwd) = warned {
        if let Some(with) = fdcs_policy::add_warnings(&fwd.warnings, fwd.warnings_field, &out) {
            out = with;
        }
    }
    parts.status = http::StatusCode::from_u16(status).unwrap_or(parts.status);
    parts.headers.remove(header::TRANSFER_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(out.len()));
    Response::from_parts(parts, full(out))
}

/// An answer read while judging (an inspect lookup), served as the
/// request's own.
pub(crate) fn from_lookup(
    rw: &ResponseRewrite,
    tenant: &Tenant,
    answer: serde_json::Value,
) -> Response<FdcsBody> {
    let (status, out) = fdcs_policy::rewrite_parsed_answer(rw, tenant, answer);
    json_answer(status, out)
}

/// The core's own answer to a request it did not forward
/// ([`ResponsePlan::Answer`]).
pub(crate) fn answered(body: &serde_json::Value) -> Response<FdcsBody> {
    json_answer(200, serde_json::to_vec(body).unwrap_or_default())
}

/// A JSON answer made here rather than by the engine.
fn json_answer(status: u16, out: Vec<u8>) -> Response<FdcsBody> {
    let len = out.len();
    let mut resp = Response::new(full(out));
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    resp
}

/// Streams a `docker stats` answer with the tenant's own names.
pub(crate) fn stats<RB>(tenant: &Tenant, resp: Response<RB>, limits: &Limits) -> Response<FdcsBody>
where
    RB: Body<Data = Bytes> + Send + 'static,
    RB::Error: Into<BoxError>,
{
    let (mut parts, body) = resp.into_parts();
    if !parts.status.is_success() {
        return Response::from_parts(parts, boxed(body));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let tenant = tenant.clone();
    let rewrite: events::LineFn =
        Box::new(move |line| Some(fdcs_policy::rewrite_stats_line(&tenant, line)));
    let lines = EventLines::new(boxed(body), rewrite, limits.max_event_line);
    Response::from_parts(parts, boxed(lines))
}
