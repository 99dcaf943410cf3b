//! Allocations per request (issue 8, item 3): heap blocks and bytes counted
//! by a global allocator wrapper (`stats_alloc`, no `unsafe` in this file),
//! for
//!
//! - one `fdcs_policy::judge` of the docker CLI 28's `docker run -d -P
//!   --name web busybox httpd -f -p 80` create body, default policy, plus the
//!   re-serialisation of the forwarded body (what `benches/judge.rs` times),
//!   and of `GET /v1.41/_ping`;
//! - one request through the tower service (`FdcsLayer` around a fake
//!   in-process engine, no sockets): `GET /_ping`, `GET /containers/json`,
//!   inspect by name, container create — each as the docker CLI 28 sends it
//!   (captured requests under `fdcs-policy/tests/corpus/cli28/`), the engine
//!   answering with bodies captured from dockerd 20.10 (`benches/fixtures/`).
//!   The response body is read to its end inside the count.
//!
//! Everything runs on one thread (a current-thread tokio runtime), so the
//! process-wide counters see only the request. Each case is warmed up, then
//! every one of `ITERS` requests is counted on its own; the table shows the
//! median and the range. The fake engine's own cost per call (its boxed
//! future, the answer's header map) is measured alone and shown apart: it is
//! inside the tower figures, once per engine call.
//!
//! Two passes: without a `tracing` subscriber (the layer as a library with
//! no logging), and with the subscriber `serve` installs (fmt, `info`
//! filter, writing the audit line of every request to a sink that counts
//! them).
//!
//! Run: `cargo bench -p fdcs-tower --bench allocs` (prints a table; no
//! thresholds are asserted).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark setup: a failure aborts the run"
)]

use bytes::Bytes;
use fdcs_policy::{judge, Facts, Policy, Tenant, TenantId};
use fdcs_tower::{FdcsBody, FdcsLayer, Limits, SharedPolicy, TenantCredentials, TenantsAuth};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tower::{Layer, Service, ServiceExt};

#[path = "engine_fixtures.rs"]
mod engine_fixtures;
use engine_fixtures::EngineFixtures;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const WARMUP: usize = 200;
const ITERS: usize = 2_000;
/// alpha's containers in the fake engine's answer to the container list
const LIST_LEN: usize = 10;

const RUN_WEB: &[u8] = include_bytes!("../fdcs-policy/tests/corpus/cli28/run-web.http");
const PING: &[u8] = include_bytes!("../fdcs-policy/tests/corpus/cli28/ping.http");
const PS: &[u8] = include_bytes!("../fdcs-policy/tests/corpus/cli28/ps.http");
const INSPECT: &[u8] = include_bytes!("../fdcs-policy/tests/corpus/cli28/exec-ls.json.http");

/// A captured request: method, target, headers, body.
struct Captured {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse(raw: &[u8]) -> Captured {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, p + 4))
        .unwrap_or((raw.len(), raw.len()));
    let head = String::from_utf8_lossy(&raw[..split.0]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default();
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Captured {
        method,
        target,
        headers,
        body: raw[split.1..].to_vec(),
    }
}

impl Captured {
    fn http(&self) -> Request<Full<Bytes>> {
        let mut b = Request::builder()
            .method(self.method.as_str())
            .uri(self.target.as_str());
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(Full::new(Bytes::from(self.body.clone()))).unwrap()
    }
}

/// An in-process engine: answers from memory (`engine_fixtures.rs`, with
/// the headers dockerd 20.10 sends), reads the request body to its end, and
/// (when asked) records the calls it was sent.
#[derive(Clone)]
struct Fake {
    engine: &'static EngineFixtures,
    record: Option<Arc<Mutex<Vec<String>>>>,
}

impl Service<Request<FdcsBody>> for Fake {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<FdcsBody>) -> Self::Future {
        let me = self.clone();
        Box::pin(async move {
            let (parts, mut body) = req.into_parts();
            let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
            let r = me.engine.reply(parts.method.as_str(), target);
            if let Some(rec) = &me.record {
                rec.lock()
                    .unwrap()
                    .push(format!("{} {} -> {}", parts.method, target, r.status));
            }
            while let Some(f) = body.frame().await {
                black_box(f.ok());
            }
            let mut resp = Response::new(Full::new(Bytes::from_static(r.body)));
            *resp.status_mut() = StatusCode::from_u16(r.status).unwrap();
            let h = resp.headers_mut();
            h.reserve(8);
            for (k, v) in [
                ("api-version", "1.41"),
                ("docker-experimental", "false"),
                ("ostype", "linux"),
                ("server", "Docker/20.10.24+dfsg1 (linux)"),
                ("date", "Tue, 01 Dec 2026 23:30:00 GMT"),
            ] {
                h.insert(k, HeaderValue::from_static(v));
            }
            h.insert("content-type", HeaderValue::from_static(r.content_type));
            h.insert("content-length", HeaderValue::from(r.body.len()));
            Ok(resp)
        })
    }
}

/// One count: the process-wide allocator counters' change.
#[derive(Clone, Copy)]
struct Count {
    allocs: usize,
    reallocs: usize,
    bytes: usize,
}

fn count(region: &Region<'_, System>) -> Count {
    let s = region.change();
    Count {
        allocs: s.allocations,
        reallocs: s.reallocations,
        // bytes requested by alloc, plus what reallocations grew by
        bytes: s.bytes_allocated + usize::try_from(s.bytes_reallocated).unwrap_or(0),
    }
}

struct Row {
    what: String,
    engine_calls: usize,
    counts: Vec<Count>,
}

fn median(mut v: Vec<usize>) -> usize {
    v.sort_unstable();
    v[v.len() / 2]
}

fn range(v: &[usize]) -> String {
    let (lo, hi) = (v.iter().min().unwrap(), v.iter().max().unwrap());
    if lo == hi {
        String::new()
    } else {
        format!(" ({lo}–{hi})")
    }
}

/// The medians of a row: allocations, reallocations, bytes.
fn medians(r: &Row) -> [usize; 3] {
    [
        median(r.counts.iter().map(|c| c.allocs).collect()),
        median(r.counts.iter().map(|c| c.reallocs).collect()),
        median(r.counts.iter().map(|c| c.bytes).collect()),
    ]
}

/// Prints a table; `fake` is the fake engine's own cost per call, shown
/// subtracted (times the engine calls) in the last column.
fn print(title: &str, rows: &[Row], fake: Option<[usize; 3]>) {
    println!("\n{title}\n");
    println!("| case | engine calls | allocations | reallocations | bytes | less the fake engine's (allocations / bytes) |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        let a: Vec<usize> = r.counts.iter().map(|c| c.allocs).collect();
        let re: Vec<usize> = r.counts.iter().map(|c| c.reallocs).collect();
        let b: Vec<usize> = r.counts.iter().map(|c| c.bytes).collect();
        let [ma, mr, mb] = medians(r);
        let own = match fake {
            Some([fa, _, fb]) if r.engine_calls > 0 && !r.what.starts_with("the fake") => format!(
                "{} / {}",
                ma.saturating_sub(fa * r.engine_calls),
                mb.saturating_sub(fb * r.engine_calls)
            ),
            _ => "–".into(),
        };
        println!(
            "| {} | {} | {ma}{} | {mr}{} | {mb}{} | {own} |",
            r.what,
            r.engine_calls,
            range(&a),
            range(&re),
            range(&b),
        );
    }
}

/// Counts `ITERS` runs of `f` one by one, after `WARMUP` uncounted ones.
fn counted(mut f: impl FnMut()) -> Vec<Count> {
    let mut counts = Vec::with_capacity(ITERS);
    for i in 0..WARMUP + ITERS {
        let region = Region::new(GLOBAL);
        f();
        if i >= WARMUP {
            counts.push(count(&region));
        }
    }
    counts
}

fn judge_rows(engine: &EngineFixtures) -> Vec<Row> {
    let policy = Policy::embedded_default().expect("embedded policy loads");
    let alpha = Tenant::new(TenantId::new("alpha").unwrap());
    let run = parse(RUN_WEB);
    let create = fdcs_policy::Request::new(&run.method, &run.target, run.body.clone());
    let ping = fdcs_policy::Request::new("GET", "/v1.41/_ping", Vec::new());
    let mut calls = Vec::new();
    let (v, facts) = engine.converse(&policy, &alpha, &create, Some(&mut calls));
    assert_eq!(v.kind(), "rewrite", "{v:?} after {calls:?}");
    assert_eq!(judge(&policy, &alpha, &create, &facts).kind(), "rewrite");
    let none = Facts::default();

    let judged = counted(|| {
        let v = judge(
            black_box(&policy),
            black_box(&alpha),
            black_box(&create),
            black_box(&facts),
        );
        let body = v
            .forward()
            .and_then(|f| f.body.as_ref())
            .map(serde_json::to_vec);
        drop(black_box(body));
        drop(v);
    });
    let conversation = counted(|| {
        drop(black_box(engine.converse(
            black_box(&policy),
            &alpha,
            black_box(&create),
            None,
        )));
    });
    let pinged = counted(|| {
        drop(black_box(judge(
            black_box(&policy),
            &alpha,
            black_box(&ping),
            &none,
        )));
    });
    vec![
        Row {
            what: "`judge` of the `docker run` create body (final round, all facts known) + forwarded body to bytes".into(),
            engine_calls: 0,
            counts: judged,
        },
        Row {
            what: format!(
                "the same create's whole conversation in the core (`Session`: {} rounds of judging, {} answers read by `Facts::learn`), no serialisation",
                calls.len() + 1,
                calls.len()
            ),
            engine_calls: 0,
            counts: conversation,
        },
        Row {
            what: "`judge` of `GET /v1.41/_ping`".into(),
            engine_calls: 0,
            counts: pinged,
        },
    ]
}

fn layer() -> FdcsLayer {
    let auth = TenantsAuth::new(vec![TenantCredentials {
        tenant: Tenant::new(TenantId::new("alpha").unwrap()),
        tokens: vec!["alpha-token".into()],
        token_sha256: vec![],
        certificates: vec![],
    }])
    .unwrap();
    // one tenant as fast as it can go: its fair share is raised far above
    // that, so the limiter's checks run (and are counted) but never refuse
    FdcsLayer::new(
        SharedPolicy::new(Policy::embedded_default().unwrap()),
        Arc::new(auth),
    )
    .limits(
        Limits::default()
            .with_tenant_rate(u32::MAX)
            .with_tenant_burst(u32::MAX)
            .with_tenant_concurrency(1 << 16),
    )
}

async fn drain<B: Body + Unpin>(mut body: B) -> usize {
    let mut n = 0;
    while let Some(f) = body.frame().await {
        if let Ok(Some(d)) = f.map(|f| f.into_data().ok()) {
            n += bytes::Buf::remaining(&d);
        }
    }
    n
}

/// Counts `ITERS` requests one by one, after `WARMUP` uncounted ones: the
/// service and the request are made outside the count; the call, the
/// answer and reading its body to the end inside.
fn counted_requests<S, R, B>(
    rt: &tokio::runtime::Runtime,
    mut make: impl FnMut() -> (S, R),
) -> Vec<Count>
where
    S: Service<R, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body + Unpin,
{
    let mut counts = Vec::with_capacity(ITERS);
    for i in 0..WARMUP + ITERS {
        let (svc, req) = make();
        let region = Region::new(GLOBAL);
        rt.block_on(async {
            let resp = svc.oneshot(req).await.unwrap();
            black_box(drain(resp.into_body()).await);
        });
        if i >= WARMUP {
            counts.push(count(&region));
        }
    }
    counts
}

fn tower_rows(
    rt: &tokio::runtime::Runtime,
    engine: &'static EngineFixtures,
    show_calls: bool,
) -> Vec<Row> {
    let mut ping = parse(PING);
    // the CLI pings with HEAD; the three-way benchmark and this one with GET
    ping.method = "GET".into();
    ping.target = "/v1.41/_ping".into();
    let cases = [
        ("`GET /v1.41/_ping`", ping, StatusCode::OK),
        (
            "`GET /v1.41/containers/json` (10 containers)",
            parse(PS),
            StatusCode::OK,
        ),
        (
            "`GET /v1.41/containers/web/json` (inspect by name)",
            parse(INSPECT),
            StatusCode::OK,
        ),
        (
            "`POST /v1.41/containers/create?name=web` (the `docker run` body)",
            parse(RUN_WEB),
            StatusCode::CREATED,
        ),
    ];
    let layer = layer();
    let mut rows = Vec::new();

    // the fake engine alone, per call: what every tower figure includes
    // once per engine call
    let fake = Fake {
        engine,
        record: None,
    };
    let counts = counted_requests(rt, || {
        let req: Request<FdcsBody> = Request::get("/v1.41/_ping")
            .body(fdcs_tower::empty())
            .unwrap();
        (fake.clone(), req)
    });
    rows.push(Row {
        what: "the fake engine alone, one call (`/_ping`)".into(),
        engine_calls: 1,
        counts,
    });

    for (what, cap, want) in cases {
        // which engine calls one request makes, and that it succeeds
        let rec = Arc::new(Mutex::new(Vec::new()));
        let svc = layer.layer(Fake {
            engine,
            record: Some(Arc::clone(&rec)),
        });
        let status = rt.block_on(async {
            let resp = svc.oneshot(cap.http()).await.unwrap();
            let status = resp.status();
            drain(resp.into_body()).await;
            status
        });
        let calls = rec.lock().unwrap().clone();
        assert_eq!(status, want, "{what}: engine calls {calls:?}");
        if show_calls {
            eprintln!("{what}: {status}; engine calls: {calls:?}");
        }

        let svc = layer.layer(Fake {
            engine,
            record: None,
        });
        let counts = counted_requests(rt, || (svc.clone(), cap.http()));
        rows.push(Row {
            what: what.into(),
            engine_calls: calls.len(),
            counts,
        });
    }
    rows
}

static LOG_LINES: AtomicUsize = AtomicUsize::new(0);
static LOG_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Where the subscriber writes: nowhere, counting lines and bytes.
struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG_BYTES.fetch_add(buf.len(), Ordering::Relaxed);
        LOG_LINES.fetch_add(
            buf.iter().filter(|&&b| b == b'\n').count(),
            Ordering::Relaxed,
        );
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "allocations per request: median over {ITERS} counted requests (range when they differ), after {WARMUP} warm-up ones; bytes = requested by alloc + grown by realloc"
    );
    let engine: &'static EngineFixtures = Box::leak(Box::new(EngineFixtures::new(LIST_LEN)));
    print("Judging (fdcs-policy, no I/O)", &judge_rows(engine), None);
    let plain = tower_rows(&rt, engine, true);
    let fake = plain.first().map(medians);
    print(
        "Through the tower service, fake in-process engine, no tracing subscriber",
        &plain,
        fake,
    );
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_ansi(false)
        .with_writer(|| Sink)
        .finish();
    let rows = tracing::subscriber::with_default(subscriber, || tower_rows(&rt, engine, false));
    let lines = LOG_LINES.load(Ordering::Relaxed);
    assert!(lines > 0, "the subscriber wrote no line");
    eprintln!(
        "the subscriber wrote {lines} lines, {} bytes",
        LOG_BYTES.load(Ordering::Relaxed)
    );
    let title = "Through the tower service, with serve's subscriber (fmt, `info`, audit lines to a counting sink)";
    if rows.iter().map(medians).eq(plain.iter().map(medians)) {
        println!("\n{title}: the same medians in every row (the fmt subscriber formats into a reused buffer)");
    } else {
        print(title, &rows, fake);
    }
}
