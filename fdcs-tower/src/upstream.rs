//! The engine: a pooled HTTP/1.1 client to dockerd over a unix socket or TCP.
//!
//! [`Upstream`] is the innermost service the layer wraps. It accepts requests
//! with an origin-form URI (`/v1.41/containers/json`) and sends them to the
//! configured engine; any other `Service` that reaches a Docker engine can
//! stand in for it (tests use a fake).

use crate::body::FdcsBody;
use http::{uri::PathAndQuery, Request, Response, Uri};
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Where the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAddr {
    /// `unix:///var/run/docker.sock`
    Unix(PathBuf),
    /// `tcp://HOST:PORT`
    Tcp(String),
}

/// Why an engine address is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid engine address `{0}`: use unix:///PATH or tcp://HOST:PORT")]
pub struct InvalidEngineAddr(pub String);

impl std::str::FromStr for EngineAddr {
    type Err = InvalidEngineAddr;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(p) = s.strip_prefix("unix://") {
            if p.starts_with('/') {
                return Ok(EngineAddr::Unix(PathBuf::from(p)));
            }
        } else if let Some(hp) = s.strip_prefix("tcp://") {
            let hp = hp.trim_end_matches('/');
            if hp
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
            {
                return Ok(EngineAddr::Tcp(hp.to_string()));
            }
        }
        Err(InvalidEngineAddr(s.to_string()))
    }
}

/// Connects to a unix socket whatever the URI says.
#[derive(Debug, Clone)]
struct UnixConnector(PathBuf);

impl tower::Service<Uri> for UnixConnector {
    type Response = TokioIo<tokio::net::UnixStream>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        let path = self.0.clone();
        Box::pin(async move { Ok(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) })
    }
}

#[derive(Debug, Clone)]
enum Conn {
    Unix(Client<UnixConnector, FdcsBody>),
    Tcp(Client<HttpConnector, FdcsBody>),
}

/// A pooled client to one engine. Cloning shares the pool.
#[derive(Debug, Clone)]
pub struct Upstream {
    conn: Conn,
    authority: String,
}

impl Upstream {
    /// A client for the engine at `addr`.
    pub fn new(addr: &EngineAddr) -> Self {
        let builder = Client::builder(TokioExecutor::new());
        match addr {
            EngineAddr::Unix(p) => Upstream {
                conn: Conn::Unix(builder.build(UnixConnector(p.clone()))),
                // the daemon ignores Host on its socket; any valid authority does
                authority: "docker".to_string(),
            },
            EngineAddr::Tcp(hp) => {
                let mut http = HttpConnector::new();
                http.set_nodelay(true);
                Upstream {
                    conn: Conn::Tcp(builder.build(http)),
                    authority: hp.clone(),
                }
            }
        }
    }
}

impl tower::Service<Request<FdcsBody>> for Upstream {
    type Response = Response<Incoming>;
    type Error = hyper_util::client::legacy::Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request<FdcsBody>) -> Self::Future {
        let pq = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        if let Ok(uri) = Uri::builder()
            .scheme("http")
            .authority(self.authority.as_str())
            .path_and_query(pq)
            .build()
        {
            *req.uri_mut() = uri;
        }
        match &self.conn {
            Conn::Unix(c) => c.request(req),
            Conn::Tcp(c) => c.request(req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_addresses_parse() {
        assert_eq!(
            "unix:///var/run/docker.sock".parse::<EngineAddr>().unwrap(),
            EngineAddr::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(
            "tcp://127.0.0.1:2375".parse::<EngineAddr>().unwrap(),
            EngineAddr::Tcp("127.0.0.1:2375".into())
        );
        for bad in ["", "unix://rel", "tcp://host", "http://x:1", "tcp://:80"] {
            assert!(bad.parse::<EngineAddr>().is_err(), "{bad}");
        }
    }
}
