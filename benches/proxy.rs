//! The proxy's cost over direct engine access (DESIGN.md budgets):
//! - added latency of an allowed request with no ownership lookup
//!   (`GET /_ping`): p50 under 100 µs over direct;
//! - `/_ping` throughput at 64 concurrent clients: at least 70% of direct.
//!
//! Against the real dockerd at `/var/run/docker.sock` (or `FDCS_BENCH_ENGINE`,
//! `unix:///PATH` or `tcp://HOST:PORT`); the layer runs in-process behind a
//! hyper server on loopback, the way `serve` runs it.
//!
//! Run: `cargo bench -p fdcs-tower --bench proxy`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark setup: a failure aborts the run"
)]

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use fdcs_policy::{Policy, Tenant, TenantId};
use fdcs_tower::EngineService;
use fdcs_tower::{
    empty, EngineAddr, FdcsBody, FdcsLayer, Limits, SharedPolicy, TenantCredentials, TenantsAuth,
    Upstream,
};
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use tower::Layer;

fn engine() -> EngineAddr {
    std::env::var("FDCS_BENCH_ENGINE")
        .unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
        .parse()
        .expect("FDCS_BENCH_ENGINE: unix:///PATH or tcp://HOST:PORT")
}

async fn start_proxy(engine: &EngineAddr) -> std::net::SocketAddr {
    let auth = TenantsAuth::new(vec![TenantCredentials {
        tenant: Tenant::new(TenantId::new("alpha").unwrap()),
        tokens: vec!["alpha-token".into()],
        token_sha256: vec![],
        certificates: vec![],
    }])
    .unwrap();
    // one tenant as fast as it can go: its fair share is raised far above
    // that, so the limiter's checks run (and are measured) but never refuse
    let layer = FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(auth),
    )
    .limits(
        Limits::default()
            .with_tenant_rate(u32::MAX)
            .with_tenant_burst(u32::MAX)
            .with_tenant_concurrency(1 << 16),
    );
    let svc = layer.layer(Upstream::new(engine));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            let _ = s.set_nodelay(true);
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

fn bench(c: &mut Criterion) {
    let engine = engine();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let direct = Upstream::new(&engine);
    // `cargo test --benches` runs this once: without an engine, skip
    let probe: Request<FdcsBody> = Request::get("/_ping").body(empty()).unwrap();
    if let Err(e) = rt.block_on(direct.clone().engine_call(probe)) {
        eprintln!("skipped: no Docker engine at {engine:?}: {e}");
        return;
    }
    let proxy_addr = rt.block_on(start_proxy(&engine));
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    let client: Client<HttpConnector, Empty<Bytes>> =
        Client::builder(TokioExecutor::new()).build(http);
    let via_proxy = move || {
        let req = Request::get(format!("http://{proxy_addr}/v1.41/_ping"))
            .header("x-auth-token", "alpha-token")
            .header("x-auth-tenantid", "alpha")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let client = client.clone();
        async move {
            let resp = client.request(req).await.unwrap();
            assert!(
                resp.status().is_success(),
                "proxy answered {}",
                resp.status()
            );
            resp.into_body().collect().await.unwrap();
        }
    };
    let straight = move || {
        let req: Request<FdcsBody> = Request::get("/v1.41/_ping").body(empty()).unwrap();
        let direct = direct.clone();
        async move {
            // engine_call: a boxed Send future (rustc cannot prove Send for
            // `oneshot` inside an async block, rust-lang/rust#110338)
            let resp = direct.engine_call(req).await.unwrap();
            assert!(
                resp.status().is_success(),
                "engine answered {}",
                resp.status()
            );
            resp.into_body().collect().await.unwrap();
        }
    };
    // fail fast, outside the measurement, if the engine is not there
    rt.block_on(straight());
    rt.block_on(via_proxy());

    let mut g = c.benchmark_group("ping");
    g.bench_function("direct", |b| b.iter(|| rt.block_on(straight())));
    g.bench_function("via fdcs", |b| b.iter(|| rt.block_on(via_proxy())));
    g.finish();

    let mut g = c.benchmark_group("ping x64 concurrent");
    g.bench_function("direct", |b| {
        b.iter(|| {
            rt.block_on(async { futures_join((0..64).map(|_| tokio::spawn(straight()))).await })
        })
    });
    g.bench_function("via fdcs", |b| {
        b.iter(|| {
            rt.block_on(async { futures_join((0..64).map(|_| tokio::spawn(via_proxy()))).await })
        })
    });
    g.finish();
}

async fn futures_join(handles: impl Iterator<Item = tokio::task::JoinHandle<()>>) {
    for h in handles.collect::<Vec<_>>() {
        h.await.unwrap();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
