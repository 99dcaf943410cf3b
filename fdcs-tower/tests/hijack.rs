//! Hijacked connections end to end through real sockets: a fake engine on a
//! unix socket that answers `101` and echoes upper-cased, the layer served by
//! hyper on TCP, and a raw client, with and without `Upgrade: tcp`.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::{EngineAddr, FdcsLayer, SharedPolicy, TenantCredentials, TenantsAuth, Upstream};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::Layer;

const CID: &str = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
const EXEC: &str = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0";

async fn engine_answer(mut req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let json = |s: String| {
        let mut r = Response::new(Full::new(Bytes::from(s)));
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        r
    };
    if path.ends_with(&format!("/exec/{EXEC}/json")) {
        return json(format!(
            r#"{{"ID":"{EXEC}","ContainerID":"{CID}","Running":false}}"#
        ));
    }
    if path.ends_with("/containers/json") {
        return json(format!(
            r#"[{{"Id":"{CID}","Names":["/alpha_web"],"Labels":{{"fdcs.tenant":"alpha"}}}}]"#
        ));
    }
    // the targeted ownership lookup of the exec's container, by its id
    if path.ends_with(&format!("/containers/{CID}/json")) {
        return json(format!(
            r#"{{"Id":"{CID}","Name":"/alpha_web","Config":{{"Labels":{{"fdcs.tenant":"alpha"}}}}}}"#
        ));
    }
    if path.ends_with(&format!("/exec/{EXEC}/start")) {
        if req.headers().get("upgrade").map(|v| v.as_bytes()) != Some(b"tcp") {
            let mut r = Response::new(Full::new(Bytes::from_static(b"engine wanted an upgrade")));
            *r.status_mut() = StatusCode::BAD_REQUEST;
            return r;
        }
        let on = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let mut io = TokioIo::new(on.await.unwrap());
            let mut buf = [0u8; 64];
            io.write_all(b"ready\n").await.unwrap();
            loop {
                let n = io.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                let up: Vec<u8> = buf[..n].to_ascii_uppercase();
                io.write_all(&up).await.unwrap();
            }
        });
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let h = r.headers_mut();
        h.insert("connection", "Upgrade".parse().unwrap());
        h.insert("upgrade", "tcp".parse().unwrap());
        h.insert(
            "content-type",
            "application/vnd.docker.raw-stream".parse().unwrap(),
        );
        return r;
    }
    let mut r = Response::new(Full::new(Bytes::from_static(
        b"{\"message\":\"page not found\"}",
    )));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

async fn start_engine() -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "fdcs-hijack-{}-{}.sock",
        std::process::id(),
        rand_suffix()
    ));
    let _ = std::fs::remove_file(&path);
    let l = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|req| async move {
                    Ok::<_, std::convert::Infallible>(engine_answer(req).await)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    path
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

/// Removes the fake engine's socket when a test ends, pass or fail.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn start_proxy(engine: PathBuf) -> std::net::SocketAddr {
    let auth = TenantsAuth::new(vec![TenantCredentials {
        tenant: Tenant::new(TenantId::new("alpha").unwrap()),
        tokens: vec!["alpha-token".into()],
        token_sha256: vec![],
    }])
    .unwrap();
    let layer = FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(auth),
    );
    let svc = layer.layer(Upstream::new(&EngineAddr::Unix(engine)));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let svc = TowerToHyperService::new(svc.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

async fn read_until(s: &mut tokio::net::TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !got.windows(needle.len()).any(|w| w == needle) {
        let n = tokio::time::timeout_at(deadline, s.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("timed out; got {:?}", String::from_utf8_lossy(&got)))
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    got
}

fn exec_start(upgrade: bool) -> String {
    let body = r#"{"Detach":false,"Tty":false}"#;
    let up = if upgrade {
        "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    } else {
        ""
    };
    format!(
        "POST /v1.41/exec/{EXEC}/start HTTP/1.1\r\nHost: x\r\nX-Auth-Token: alpha-token\r\nX-Auth-TenantId: alpha\r\nContent-Type: application/json\r\n{up}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn an_upgrading_client_gets_a_two_way_tunnel_after_the_engines_101() {
    let engine = start_engine().await;
    let _cleanup = Cleanup(engine.clone());
    let proxy = start_proxy(engine).await;
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(exec_start(true).as_bytes()).await.unwrap();
    let head = read_until(&mut s, b"ready\n").await;
    let text = String::from_utf8_lossy(&head);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(text.to_ascii_lowercase().contains("upgrade: tcp"), "{text}");
    s.write_all(b"ping").await.unwrap();
    let echoed = read_until(&mut s, b"PING").await;
    assert!(
        echoed.ends_with(b"PING"),
        "{:?}",
        String::from_utf8_lossy(&echoed)
    );
}

#[tokio::test]
async fn a_client_without_upgrade_still_gets_the_output_as_a_body() {
    let engine = start_engine().await;
    let _cleanup = Cleanup(engine.clone());
    let proxy = start_proxy(engine).await;
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(exec_start(false).as_bytes()).await.unwrap();
    let got = read_until(&mut s, b"ready\n").await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("application/vnd.docker.raw-stream"), "{text}");
}

#[tokio::test]
async fn another_tenants_exec_is_never_started() {
    let engine = start_engine().await;
    let _cleanup = Cleanup(engine.clone());
    let proxy = start_proxy(engine).await;
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let other = "f".repeat(64);
    let req = exec_start(true).replace(EXEC, &other);
    s.write_all(req.as_bytes()).await.unwrap();
    let got = read_until(&mut s, b"}").await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 404"), "{text}");
    assert!(!text.contains("ready"), "{text}");
}
