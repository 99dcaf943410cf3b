//! Hijacked connections end to end through real sockets: a fake engine on a
//! unix socket that answers `101` and echoes upper-cased (or, for the
//! `SILENT` exec, says one frame and then nothing, reading no stdin, as
//! dockerd does for an attach without stdin), the layer served by hyper on
//! TCP, and a raw client, with and without `Upgrade: tcp`.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap or panic is a failed test"
)]

use bytes::Bytes;
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::{
    EngineAddr, FdcsLayer, Limits, SharedPolicy, TenantCredentials, TenantsAuth, Upstream,
};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tower::Layer;

const CID: &str = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
const EXEC: &str = "e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0";
const SILENT: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

/// Where the fake engine hands the streams of `SILENT` execs to the test.
type Silent = mpsc::UnboundedSender<TokioIo<Upgraded>>;

async fn engine_answer(
    mut req: Request<Incoming>,
    silent: Option<Silent>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let json = |s: String| {
        let mut r = Response::new(Full::new(Bytes::from(s)));
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        r
    };
    for id in [EXEC, SILENT] {
        if path.ends_with(&format!("/exec/{id}/json")) {
            return json(format!(
                r#"{{"ID":"{id}","ContainerID":"{CID}","Running":false}}"#
            ));
        }
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
    if path.ends_with(&format!("/exec/{SILENT}/start")) {
        let on = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let mut io = TokioIo::new(on.await.unwrap());
            // one stdout frame, then silence; stdin is never read
            io.write_all(&[1, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', b'\n'])
                .await
                .unwrap();
            if let Some(tx) = silent {
                let _ = tx.send(io);
            }
        });
        return switching();
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
        return switching();
    }
    let mut r = Response::new(Full::new(Bytes::from_static(
        b"{\"message\":\"page not found\"}",
    )));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

fn switching() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert("connection", "Upgrade".parse().unwrap());
    h.insert("upgrade", "tcp".parse().unwrap());
    h.insert(
        "content-type",
        "application/vnd.docker.raw-stream".parse().unwrap(),
    );
    r
}

async fn start_engine() -> PathBuf {
    start_engine_with(None).await
}

async fn start_engine_with(silent: Option<Silent>) -> PathBuf {
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
            let silent = silent.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let silent = silent.clone();
                    async move { Ok::<_, std::convert::Infallible>(engine_answer(req, silent).await) }
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
    start_proxy_with(engine, Limits::default()).await
}

async fn start_proxy_with(engine: PathBuf, limits: Limits) -> std::net::SocketAddr {
    let auth = TenantsAuth::new(vec![TenantCredentials {
        tenant: Tenant::new(TenantId::new("alpha").unwrap()),
        tokens: vec!["alpha-token".into()],
        token_sha256: vec![],
        certificates: vec![],
    }])
    .unwrap();
    let layer = FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(auth),
    )
    .limits(limits);
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
    exec_start_of(EXEC, upgrade, false)
}

fn exec_start_of(exec: &str, upgrade: bool, tty: bool) -> String {
    let body = format!(r#"{{"Detach":false,"Tty":{tty}}}"#);
    let up = if upgrade {
        "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    } else {
        ""
    };
    format!(
        "POST /v1.41/exec/{exec}/start HTTP/1.1\r\nHost: x\r\nX-Auth-Token: alpha-token\r\nX-Auth-TenantId: alpha\r\nContent-Type: application/json\r\n{up}Content-Length: {}\r\n\r\n{body}",
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

/// Whether the proxy has closed its connection to the engine: a write to
/// a unix socket whose peer is gone fails at once.
async fn engine_side_closed(io: &mut TokioIo<Upgraded>) -> bool {
    let frame = [1u8, 0, 0, 0, 0, 0, 0, 1, b'.'];
    let first = io.write_all(&frame).await.and(io.flush().await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = io.write_all(&frame).await.and(io.flush().await);
    first.is_err() || second.is_err()
}

/// Issue 9: a client that half-closes (the docker CLI does when it sends no
/// stdin) and then goes away, while the engine says nothing, used to leave
/// the engine connection open until the container exited. The proxy probes
/// a half-closed client of a silent multiplexed stream and closes the
/// engine side once the client is gone.
#[tokio::test]
async fn a_client_that_half_closes_and_goes_away_releases_the_engine_connection() {
    let (tx, mut streams) = mpsc::unbounded_channel();
    let engine = start_engine_with(Some(tx)).await;
    let _cleanup = Cleanup(engine.clone());
    let proxy = start_proxy(engine).await;
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(exec_start_of(SILENT, true, false).as_bytes())
        .await
        .unwrap();
    let head = read_until(&mut s, b"hi\n").await;
    assert!(String::from_utf8_lossy(&head).starts_with("HTTP/1.1 101"));
    let mut upstream = streams.recv().await.unwrap();
    // alive and half-closed: the tunnel stays, output still reaches it
    s.shutdown().await.unwrap();
    let mut probe = [0u8; 8];
    tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut probe))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(probe, [1, 0, 0, 0, 0, 0, 0, 0], "an empty stdout frame");
    assert!(!engine_side_closed(&mut upstream).await);
    // gone: the engine side is closed within a few probes
    drop(s);
    let start = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if engine_side_closed(&mut upstream).await {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the engine connection is still open after the client left"
        );
    }
}

/// A TTY stream has no framing to hide a probe in: a client gone from it is
/// found by the idle timeout.
#[tokio::test]
async fn an_idle_tty_stream_is_closed_by_the_idle_timeout() {
    let (tx, mut streams) = mpsc::unbounded_channel();
    let engine = start_engine_with(Some(tx)).await;
    let _cleanup = Cleanup(engine.clone());
    let limits = Limits::default().with_stream_idle_timeout(Some(Duration::from_secs(1)));
    let proxy = start_proxy_with(engine, limits).await;
    let mut s = tokio::net::TcpStream::connect(proxy).await.unwrap();
    s.write_all(exec_start_of(SILENT, true, true).as_bytes())
        .await
        .unwrap();
    read_until(&mut s, b"hi\n").await;
    let mut upstream = streams.recv().await.unwrap();
    s.shutdown().await.unwrap();
    drop(s);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !engine_side_closed(&mut upstream).await,
        "closed before the idle timeout"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(engine_side_closed(&mut upstream).await);
}

/// `fair.streams`: a tenant's open tunnels are bounded, and a slot comes
/// back when its tunnel ends.
#[tokio::test]
async fn a_tenants_streams_are_bounded_and_come_back_when_they_end() {
    let engine = start_engine().await;
    let _cleanup = Cleanup(engine.clone());
    let proxy = start_proxy_with(engine, Limits::default().with_tenant_streams(1)).await;
    let mut first = tokio::net::TcpStream::connect(proxy).await.unwrap();
    first.write_all(exec_start(true).as_bytes()).await.unwrap();
    read_until(&mut first, b"ready\n").await;
    let mut second = tokio::net::TcpStream::connect(proxy).await.unwrap();
    second.write_all(exec_start(true).as_bytes()).await.unwrap();
    let refused = String::from_utf8_lossy(&read_until(&mut second, b"}").await).into_owned();
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.contains("(rule fair.streams)"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 1"),
        "{refused}"
    );
    // the first ends (the echoing engine ends on stdin EOF): its slot is free
    first.shutdown().await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), first.read_to_end(&mut rest)).await;
    let mut third = tokio::net::TcpStream::connect(proxy).await.unwrap();
    third.write_all(exec_start(true).as_bytes()).await.unwrap();
    let text = String::from_utf8_lossy(&read_until(&mut third, b"ready\n").await).into_owned();
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
}
