//! The admin listener: `/_fdcs/health` and Prometheus `/_fdcs/metrics`.
//! Kept off the tenants' listener so that tenants never see it.

use super::gauges::Gauges;
use super::listen::{Listener, HEADER_TIMEOUT};
use bytes::Bytes;
use fdcs_tower::Metrics;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::watch;

/// Serves the admin endpoints until `stop`.
pub(super) async fn serve(
    l: Listener,
    metrics: Arc<Metrics>,
    usage: Arc<Gauges>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let io = tokio::select! {
            r = l.accept() => match r {
                Ok(io) => io,
                Err(_) => {
                    // EMFILE and friends: back off instead of spinning
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let metrics = Arc::clone(&metrics);
        let usage = Arc::clone(&usage);
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let metrics = Arc::clone(&metrics);
                let usage = Arc::clone(&usage);
                async move { Ok::<_, Infallible>(answer(&req, &metrics, &usage)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(io), svc)
                .await;
        });
    }
}

fn answer(req: &Request<Incoming>, metrics: &Metrics, usage: &Gauges) -> Response<Full<Bytes>> {
    let (status, ctype, body) = match (req.method().as_str(), req.uri().path()) {
        ("GET" | "HEAD", "/_fdcs/health") => (StatusCode::OK, "text/plain", "ok\n".to_string()),
        ("GET" | "HEAD", "/_fdcs/metrics") => (
            StatusCode::OK,
            "text/plain; version=0.0.4",
            format!("{}{}", metrics.render(), usage.render()),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_string(),
        ),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    if let Ok(v) = http::HeaderValue::from_str(ctype) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp
}
