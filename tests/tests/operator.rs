//! The operator's view does not lie (issue 10, item 7), through the real
//! `serve` and a real dockerd, as tenant `opd`:
//!
//! - a client that goes away before its answer (`docker stop -t 5` given
//!   up after a second) still leaves one audit line (`client-gone`), its
//!   count and its time, and `fdcs_in_flight_requests` goes back to 0,
//!   while the engine carries the stop out;
//! - with the engine stopped, `/_fdcs/ready` is 503 and says why while
//!   `/_fdcs/health` stays 200 (liveness is not readiness), and a request
//!   is counted as an `error`, not an `allow`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::dockerd::Dockerd;
use fdcs_e2e::{case, http, proxy::free_port, scratch_dir, Proxy, Tenant};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

const OPD: [(&str, &str); 2] = [("X-Auth-Token", "opd-token"), ("X-Auth-TenantId", "opd")];

/// A tenants file with the tenant `opd` alone.
fn opd_tenants(dir: &Path) -> String {
    let p = dir.join("tenants-opd.yaml");
    std::fs::write(&p, "tenants:\n  - id: opd\n    tokens: [opd-token]\n").unwrap();
    p.display().to_string()
}

/// A proxy for `opd` with an admin listener; returns it and the admin port.
fn opd_proxy(upstream: &str, dir: &Path) -> (Proxy, u16) {
    let admin = free_port().unwrap();
    let proxy = Proxy::start(
        upstream,
        &[
            "--tenants",
            &opd_tenants(dir),
            "--admin-listen",
            &format!("tcp://127.0.0.1:{admin}"),
        ],
        dir,
    )
    .unwrap();
    (proxy, admin)
}

fn metrics(admin: u16) -> String {
    let r = http::get(admin, "/_fdcs/metrics", &[]).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The value of the sample `name` (with its labels) in the exposition.
fn sample(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| {
            let v = l.strip_prefix(name)?.strip_prefix(' ')?;
            v.trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
}

/// Polls until `f` holds, at most `limit`; the last value otherwise.
fn eventually<T>(limit: Duration, mut f: impl FnMut() -> (bool, T)) -> T {
    let start = Instant::now();
    loop {
        let (ok, v) = f();
        if ok || start.elapsed() > limit {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_client_that_gives_up_still_leaves_its_audit_line_and_the_gauge_goes_down() {
    let Some(c) = case() else { return };
    let dir = scratch_dir("operator-gone");
    let (proxy, admin) = opd_proxy(&c.env.engine.host, &dir);
    let opd = Tenant::new("opd", "opd-token", &proxy.host(), &dir);
    let name = c.name("opd-slow");
    opd.docker(&["run", "-d", "--name", &name, "busybox", "sleep", "300"])
        .ok();
    let before = metrics(admin);

    // `docker stop -t 5` whose client gives up after one second
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    let head = format!(
        "POST /v1.41/containers/{name}/stop?t=5 HTTP/1.1\r\nHost: fdcs\r\n\
         X-Auth-Token: opd-token\r\nX-Auth-TenantId: opd\r\nContent-Length: 0\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut buf = [0u8; 64];
    let early = s.read(&mut buf);
    assert!(
        early.is_err(),
        "the engine answered the stop within a second: {early:?}"
    );
    drop(s);

    // the engine still stops the container (after its 5 s grace)
    let state = eventually(Duration::from_secs(30), || {
        let out =
            c.env
                .engine
                .docker(&["inspect", "-f", "{{.State.Status}}", &format!("opd_{name}")]);
        let st = out.stdout.trim().to_owned();
        (st == "exited", st)
    });
    assert_eq!(state, "exited", "the engine did not carry out the stop");

    let after = eventually(Duration::from_secs(10), || {
        let m = metrics(admin);
        (sample(&m, "fdcs_in_flight_requests") == 0, m)
    });
    assert_eq!(
        sample(&after, "fdcs_in_flight_requests"),
        0,
        "a request whose client left stays in flight:\n{after}"
    );
    let gone = "fdcs_responses_total{class=\"client-gone\"}";
    assert_eq!(
        sample(&after, gone),
        sample(&before, gone) + 1,
        "the stop is not counted as client-gone:\n{after}"
    );
    let count = "fdcs_request_duration_seconds_count";
    assert!(
        sample(&after, count) > sample(&before, count),
        "the stop is not timed:\n{after}"
    );
    let lines = proxy.log_lines_with(&format!("/containers/{name}/stop"));
    let audit: Vec<&str> = lines
        .lines()
        .filter(|l| l.contains("fdcs::audit"))
        .collect();
    assert_eq!(audit.len(), 1, "one audit line for the stop:\n{lines}");
    let line = audit.first().copied().unwrap_or_default();
    for want in [
        "outcome=\"client-gone\"",
        "tenant=\"opd\"",
        "peer=\"127.0.0.1:",
        "request_id=",
    ] {
        assert!(line.contains(want), "{want} missing: {line}");
    }
    drop(proxy);
    remove_opd(&c);
    c.finish();
}

/// Removes the containers and networks the tenant `opd` made here (its
/// containers carry the test's tag; its default network does not).
fn remove_opd(c: &fdcs_e2e::Case) {
    let e = &c.env.engine;
    e.cleanup(&c.tag);
    let left = e.containers().into_iter().any(|o| o.owner == "opd");
    if !left {
        for n in e.networks().into_iter().filter(|o| o.owner == "opd") {
            let _ = e.docker(&["network", "rm", &n.id]);
        }
    }
}

#[test]
fn an_engine_that_is_down_is_not_ready_still_alive_and_counted_as_error() {
    let Some(c) = case() else { return };
    let Some((mut d, dir)) = Dockerd::throwaway("operator-down") else {
        return;
    };
    let (proxy, admin) = opd_proxy(&d.host(), &dir);
    let ready = http::get(admin, "/_fdcs/ready", &[]).unwrap();
    assert_eq!(ready.status, 200, "engine up: ready:\n{}", ready.body);

    d.stop();
    let ready = http::get(admin, "/_fdcs/ready", &[]).unwrap();
    assert_eq!(ready.status, 503, "engine down: ready:\n{}", ready.body);
    let v: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with("fdcs: not ready: the engine at unix://") && msg.contains("d.sock"),
        "what is not ready: {msg}"
    );
    let health = http::get(admin, "/_fdcs/health", &[]).unwrap();
    assert_eq!(health.status, 200, "liveness is not readiness");

    let before = metrics(admin);
    let r = http::get(proxy.port, "/v1.41/containers/json", &OPD).unwrap();
    assert_eq!(r.status, 502, "engine down:\n{}\n{}", r.head, r.body);
    let after = metrics(admin);
    for (verdict, more) in [("error", 1), ("allow", 0), ("rewrite", 0)] {
        let name = format!("fdcs_requests_total{{verdict=\"{verdict}\"}}");
        assert_eq!(
            sample(&after, &name),
            sample(&before, &name) + more,
            "{name}:\n{after}"
        );
    }

    d.start().unwrap();
    let ready = http::get(admin, "/_fdcs/ready", &[]).unwrap();
    assert_eq!(ready.status, 200, "engine back: ready:\n{}", ready.body);
    assert!(proxy.alive(), "the proxy died:\n{}", proxy.log_tail());
    drop(proxy);
    drop(d);
    c.finish();
}
