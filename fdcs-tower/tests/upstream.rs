//! The engine client over TCP and over a unix socket: origin-form requests
//! reach the engine with their path and query intact, and a missing engine
//! is an error (the layer turns it into a 502).
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use bytes::Bytes;
use fdcs_tower::{empty, EngineAddr, EngineService, FdcsBody, Upstream};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    Ok(Response::new(Full::new(Bytes::from(target))))
}

fn serve<I>(io: I)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    tokio::spawn(async move {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(io), hyper::service::service_fn(echo))
            .await;
    });
}

async fn get(up: &Upstream, target: &str) -> Result<String, fdcs_tower::BoxError> {
    let req: Request<FdcsBody> = Request::get(target).body(empty()).unwrap();
    let resp = up.clone().engine_call(req).await?;
    Ok(String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap())
}

#[tokio::test]
async fn tcp_engine_gets_the_exact_target() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            serve(s);
        }
    });
    let up = Upstream::new(&format!("tcp://{addr}").parse::<EngineAddr>().unwrap());
    let target =
        "/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22fdcs.tenant%3Dalpha%22%5D%7D";
    assert_eq!(get(&up, target).await.unwrap(), target);
}

#[tokio::test]
async fn unix_engine_gets_the_exact_target() {
    let path = std::env::temp_dir().join(format!("fdcs-upstream-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let l = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            serve(s);
        }
    });
    let up = Upstream::new(&EngineAddr::Unix(path.clone()));
    assert_eq!(get(&up, "/_ping?x=%2F").await.unwrap(), "/_ping?x=%2F");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_missing_engine_is_an_error_not_a_hang() {
    let up = Upstream::new(&EngineAddr::Unix("/nonexistent/fdcs-test.sock".into()));
    let r = tokio::time::timeout(std::time::Duration::from_secs(5), get(&up, "/_ping")).await;
    assert!(matches!(r, Ok(Err(_))), "{r:?}");
}
