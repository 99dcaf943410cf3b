//! The hot path: the docker CLI 28 `docker run -d -P --name web busybox`
//! create body, default policy (with its three CEL rules), decode + judge +
//! re-serialise. Budget (DESIGN.md): median under 8 µs.
//!
//! The create is judged with the facts a real engine gives by the end of
//! its conversation (quota usage from alpha's container list, the image's
//! declared ports): `engine_fixtures.rs` answers each question from
//! answers captured from dockerd 20.10, the way the tower asks them. Since
//! quotas and image facts, a create judged with no facts is only a
//! question (`need`), not the hot path. `session_run_web_create` times the
//! whole conversation in the core (every round, reading the answers).
//!
//! Run: `cargo bench -p fdcs-policy --bench judge`

#![expect(
    clippy::expect_used,
    reason = "bench setup: a failed setup is a failed bench"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use fdcs_policy::{judge, Facts, Policy, Request, Tenant, TenantId};
use std::hint::black_box;

#[path = "engine_fixtures.rs"]
mod engine_fixtures;
use engine_fixtures::EngineFixtures;

const RUN_WEB: &[u8] = include_bytes!("../fdcs-policy/tests/corpus/cli28/run-web.http");

fn request(raw: &[u8]) -> Request {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, p + 4))
        .unwrap_or((raw.len(), raw.len()));
    let head = String::from_utf8_lossy(&raw[..split.0]);
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    Request::new(method, target, raw[split.1..].to_vec())
}

fn bench(c: &mut Criterion) {
    let policy = Policy::embedded_default().expect("embedded policy loads");
    assert!(
        policy.custom.len() >= 3,
        "the default policy carries three CEL rules"
    );
    let alpha = Tenant::new(TenantId::new("alpha").expect("valid id"));
    let req = request(RUN_WEB);
    let engine = EngineFixtures::new(10);
    let mut calls = Vec::new();
    let (v, facts) = engine.converse(&policy, &alpha, &req, Some(&mut calls));
    eprintln!("engine calls of the create's conversation: {calls:?}");
    // sanity: this is the rewrite path, not an early deny
    assert_eq!(v.kind(), "rewrite", "{v:?} after {calls:?}");
    let v = judge(&policy, &alpha, &req, &facts);
    assert_eq!(v.kind(), "rewrite", "{v:?}");

    c.bench_function("judge_run_web_create (decode+judge+serialize)", |b| {
        b.iter(|| {
            let v = judge(
                black_box(&policy),
                black_box(&alpha),
                black_box(&req),
                black_box(&facts),
            );
            let body = v
                .forward()
                .and_then(|f| f.body.as_ref())
                .map(serde_json::to_vec);
            black_box(body)
        })
    });
    c.bench_function(
        "session_run_web_create (every round + reading answers)",
        |b| {
            b.iter(|| engine.converse(black_box(&policy), black_box(&alpha), black_box(&req), None))
        },
    );
    let ping = Request::new("GET", "/v1.41/_ping", Vec::new());
    let none = Facts::default();
    c.bench_function("judge_ping", |b| {
        b.iter(|| judge(black_box(&policy), &alpha, black_box(&ping), &none))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
