//! The fake engine the layer's tests run against: it records what reaches
//! it and answers by method and target, after a delay or not at all.
//! A unit test's stand-in only; the end-to-end proof is tests/ at the
//! workspace root, against a real dockerd.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses part of it; a poisoned lock is a failed test"
)]

use bytes::Bytes;
use fdcs_tower::FdcsBody;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as it reached the engine.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

/// How the engine answers a method and target: status and JSON body.
pub(crate) type Answer = Arc<dyn Fn(&str, &str) -> (u16, String) + Send + Sync>;

/// A fake engine, cheap to clone (clones share what was seen).
#[derive(Clone)]
pub(crate) struct Fake {
    pub(crate) seen: Arc<Mutex<Vec<Seen>>>,
    pub(crate) answer: Answer,
    /// Refuse every connection, as an engine that is down.
    pub(crate) down: bool,
    /// Answer everything but `/_ping` after this long.
    pub(crate) delay: Option<Duration>,
}

impl Fake {
    pub(crate) fn new(
        answer: impl Fn(&str, &str) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        Fake {
            seen: Arc::default(),
            answer: Arc::new(answer),
            down: false,
            delay: None,
        }
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl tower::Service<Request<FdcsBody>> for Fake {
    type Response = Response<Full<Bytes>>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<FdcsBody>) -> Self::Future {
        let me = self.clone();
        Box::pin(async move {
            if me.down {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "connection refused",
                ));
            }
            if let Some(d) = me.delay.filter(|_| !req.uri().path().ends_with("/_ping")) {
                tokio::time::sleep(d).await;
            }
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let target = parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default();
            me.seen.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                target: target.clone(),
                headers: parts.headers.clone(),
                body,
            });
            let (status, body) = (me.answer)(parts.method.as_str(), &target);
            let mut resp = Response::new(Full::new(Bytes::from(body)));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            resp.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("application/json"),
            );
            Ok(resp)
        })
    }
}
