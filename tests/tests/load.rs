//! Load with a cross-tenant check on every answer (issue 13 item 3).
//!
//! Four tenants, `load1`..`load4`, use the same names — container `ldweb`,
//! network `ldnet`, volume `ldvol`, and the same cycle names `ldc-<n>`,
//! `ldv-<n>`, `ldn-<n>` at the same time — through one `fdcs-policy serve`
//! against the real engine. 128 keep-alive HTTP/1.1 connections (32 per
//! tenant) send a mix of pings, container, network and volume lists,
//! inspects by name and by full id, references to another tenant's objects
//! (full id, id prefix, engine-side name, and its container of the moment
//! while it is created, started and removed), and create/start/inspect/
//! remove cycles of containers, volumes and (one connection per tenant)
//! networks. Every answer is checked (`load/ops.rs`): no 5xx, nothing of
//! another tenant in any list or inspect, names shown as the tenant's own,
//! a foreign reference answered 404 in the daemon's words (asked of the
//! engine itself for a reference nobody has), no hang, no connection
//! dropped under the client; each tenant's event stream, open through
//! both rounds, holds only its own objects and every container start of
//! its cycles. Each tenant's first containers are created
//! at once, racing to create its default network; and a client stalling a
//! create body must not hold its tenant's other creates (the quota turn).
//!
//! The same round runs twice, on fresh connections; the proxy's RSS
//! (`VmRSS` of `/proc/<pid>/status`) is sampled before, during and after
//! each, and the second round's growth must stay under half the first's
//! (plus 8 MiB for the allocator's noise): a leak per request or per
//! connection grows both rounds alike. Nothing is timed as an assertion;
//! req/s and latency percentiles are printed.
//!
//! The tenant rate limits are raised on the command line (`--tenant-rate`,
//! `--tenant-burst`, `--tenant-concurrency`,
//! `--max-connections-per-address`): the point is the proxy's behaviour
//! under load, not `fair.*`, which `fairness.rs` tests.
//!
//! Size: `FDCS_LOAD_REQUESTS` requests per round (default 5000, the short
//! version CI runs); the long version:
//!
//! ```text
//! FDCS_LOAD_REQUESTS=50000 CI=true FDCS_E2E=1 \
//!   cargo test -p fdcs-e2e --test load -- --nocapture
//! ```
//!
//! Cleanup: only engine objects named `load<k>_...` (this suite's tenants'
//! scope), before the test (a run that was killed) and after it.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    reason = "test code: failing is panicking"
)]

#[path = "load/client.rs"]
mod client;
#[path = "load/ops.rs"]
mod ops;
#[path = "load/world.rs"]
mod world;

use fdcs_e2e::{engine_required, scratch_dir, upstream, Engine, Proxy};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use world::{Side, Wording, World, FIRST, TENANTS};

/// Connections per round (a quarter per tenant).
const CONNECTIONS: usize = 128;

/// Requests per round of the short version.
const SHORT: u64 = 5000;

/// Quotas no round reaches (every connection holds at most one container,
/// volume and network of its cycles at a time).
const QUOTAS: &str = "{ containers: 1000, memory: 256Gi, cpus: 256, pids: 1000000, \
                      publishedPorts: 1000, volumes: 1000, networks: 200 }";

/// The proxy and this suite's cleanup, however the test ends.
struct Run {
    engine: Engine,
    proxy: Proxy,
}

impl Drop for Run {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- serve log (last lines, {}) ---\n{}",
                self.proxy.log.display(),
                self.proxy.log_tail()
            );
        }
        cleanup(&self.engine);
    }
}

/// Whether an engine-side name is in one of this suite's tenants' scopes.
fn ours(name: &str) -> bool {
    TENANTS
        .iter()
        .any(|t| name.strip_prefix(t).is_some_and(|r| r.starts_with('_')))
}

/// Removes the engine objects named `load<k>_...`, and nothing else.
fn cleanup(engine: &Engine) {
    let cs: Vec<String> = engine
        .containers()
        .into_iter()
        .filter(|o| ours(&o.name))
        .map(|o| o.id)
        .collect();
    if !cs.is_empty() {
        let mut a = vec!["rm", "-f", "-v"];
        a.extend(cs.iter().map(String::as_str));
        let _ = engine.docker(&a);
    }
    let ns: Vec<String> = engine
        .networks()
        .into_iter()
        .filter(|o| ours(&o.name))
        .map(|o| o.id)
        .collect();
    if !ns.is_empty() {
        let mut a = vec!["network", "rm"];
        a.extend(ns.iter().map(String::as_str));
        let _ = engine.docker(&a);
    }
    let vs: Vec<String> = engine
        .volumes()
        .into_iter()
        .filter(|o| ours(&o.name))
        .map(|o| o.id)
        .collect();
    if !vs.is_empty() {
        let mut a = vec!["volume", "rm", "-f"];
        a.extend(vs.iter().map(String::as_str));
        let _ = engine.docker(&a);
    }
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// What one round measured.
#[derive(Debug)]
struct Round {
    requests: u64,
    seconds: f64,
    p50_us: u32,
    p99_us: u32,
    max_us: u32,
    reconnects: u32,
    rss_before: u64,
    rss_peak: u64,
    rss_after: u64,
}

/// One round: `CONNECTIONS` fresh connections, `budget` requests in all.
fn round(world: &World, pid: u32, budget: u64, label: &str) -> Round {
    let rss_before = rss_kib(pid);
    let per = budget.div_ceil(CONNECTIONS as u64);
    let barrier = Arc::new(Barrier::new(CONNECTIONS + 1));
    let done = AtomicBool::new(false);
    let mut peak = rss_before;
    let (tallies, seconds) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONNECTIONS)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                s.spawn(move || {
                    let mut w = ops::Worker::new(world, i % TENANTS.len(), i / TENANTS.len());
                    let opened = w.open();
                    barrier.wait();
                    if let Err(e) = opened {
                        world.fail(format!("connection {i}: {e}"));
                        return ops::Tally::default();
                    }
                    w.run(per)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        // Samples the proxy's memory while the round runs.
        let sampler = s.spawn(|| {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                std::thread::sleep(Duration::from_millis(100));
            }
            peak
        });
        let tallies: Vec<ops::Tally> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        let seconds = start.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        peak = peak.max(sampler.join().unwrap_or(0));
        (tallies, seconds)
    });
    let mut latencies: Vec<u32> = Vec::new();
    let (mut requests, mut reconnects) = (0, 0);
    for t in &tallies {
        requests += t.requests;
        reconnects += t.reconnects;
        latencies.extend_from_slice(&t.latencies);
        // Ids a list showed before their creator had recorded them: by
        // now every creator has; each must be the lister's own.
        for (k, id) in &t.unknown {
            match world.owner(id) {
                Some(o) if o == *k => {}
                Some(o) => world.fail(format!(
                    "LEAK: {} listed {id}, created by {}",
                    TENANTS[*k], TENANTS[o]
                )),
                None => world.fail(format!(
                    "LEAK: {} listed {id}, which no load tenant created",
                    TENANTS[*k]
                )),
            }
        }
    }
    for (k, prefix) in tallies.iter().flat_map(|t| &t.ambiguous) {
        let n = world.own_with_prefix(*k, prefix);
        if n < 2 {
            world.fail(format!(
                "LEAK: {} was told prefix {prefix} is ambiguous, with {n} own ids starting so",
                TENANTS[*k]
            ));
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> u32 {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or(0)
    };
    let r = Round {
        requests,
        seconds,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        max_us: latencies.last().copied().unwrap_or(0),
        reconnects,
        rss_before,
        rss_peak: peak,
        rss_after: rss_kib(pid),
    };
    eprintln!(
        "load {label}: {} requests in {:.1} s ({:.0} req/s), p50 {:.2} ms, p99 {:.2} ms, \
         max {:.0} ms, reconnects {}, RSS {} -> {} KiB (peak {})",
        r.requests,
        r.seconds,
        r.requests as f64 / r.seconds.max(1e-9),
        f64::from(r.p50_us) / 1000.0,
        f64::from(r.p99_us) / 1000.0,
        f64::from(r.max_us) / 1000.0,
        r.reconnects,
        r.rss_before,
        r.rss_after,
        r.rss_peak
    );
    r
}

/// Each tenant's event stream, open through both rounds: every event is
/// of the tenant's own objects, under its own names, and it holds every
/// container start of the tenant's cycles (each answered 204). Other
/// suites' events on the shared engine must not show either: an id no
/// load tenant created fails. (A replay with `since` would not do: the
/// engine keeps only its last 256 events.)
struct Events {
    done: Arc<AtomicBool>,
    readers: Vec<(usize, std::thread::JoinHandle<Vec<u8>>)>,
}

impl Events {
    /// Opens one stream per tenant, each read as it comes by a thread of
    /// its own (a stream left unread would back up into the proxy and the
    /// engine, which drops events for a slow subscriber).
    fn open(world: &World) -> Events {
        use std::io::{Read, Write};
        let done = Arc::new(AtomicBool::new(false));
        let mut readers = Vec::new();
        for (k, side) in world.sides.iter().enumerate() {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", world.port)).unwrap();
            let req = format!(
                "GET /v1.41/events HTTP/1.1\r\nHost: fdcs\r\nX-Auth-Token: {}\r\n\
                 X-Auth-TenantId: {}\r\n\r\n",
                side.token, side.id
            );
            s.write_all(req.as_bytes()).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let done = Arc::clone(&done);
            let reader = std::thread::spawn(move || {
                let mut raw = Vec::new();
                let mut buf = [0u8; 65536];
                // After the rounds: until the stream has been quiet twice.
                let mut quiet = 0;
                while quiet < 2 {
                    match s.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            raw.extend_from_slice(buf.get(..n).unwrap_or_default());
                            quiet = 0;
                        }
                        Err(_) if done.load(Ordering::Relaxed) => quiet += 1,
                        Err(_) => {}
                    }
                }
                raw
            });
            readers.push((k, reader));
        }
        Events { done, readers }
    }

    /// Ends the streams and checks what each held.
    fn check(self, world: &World) {
        self.done.store(true, Ordering::Relaxed);
        for (k, reader) in self.readers {
            let who = TENANTS[k];
            let raw = reader.join().unwrap_or_default();
            let text = String::from_utf8_lossy(&raw).into_owned();
            let Some((head, body)) = text.split_once("\r\n\r\n") else {
                world.fail(format!("{who} GET /events: no answer: {text:?}"));
                continue;
            };
            if !head.starts_with("HTTP/1.1 200") {
                world.fail(format!("{who} GET /events: {head}"));
                continue;
            }
            let body = dechunk(body);
            let (mut starts, mut events) = (0u64, 0);
            for line in body.lines().filter(|l| !l.trim().is_empty()) {
                events += 1;
                let Ok(ev) = serde_json::from_str::<serde_json::Value>(line) else {
                    world.fail(format!("{who} GET /events: not JSON: {line}"));
                    continue;
                };
                if ops::scoped_mention(line).is_some() {
                    world.fail(format!("{who} GET /events: an engine-side name: {line}"));
                }
                for id in ops::hex64(line) {
                    if world.owner(id).is_some_and(|o| o != k) {
                        world.fail(format!(
                            "LEAK: {who} GET /events: another tenant's {id}: {line}"
                        ));
                    }
                }
                let str_at = |p: &str| ev.pointer(p).and_then(serde_json::Value::as_str);
                let actor = str_at("/Actor/ID").unwrap_or_default();
                let own = match str_at("/Type").unwrap_or_default() {
                    "container" | "network" => world.owner(actor) == Some(k),
                    "volume" => actor == "ldvol" || actor.starts_with("ldv-"),
                    _ => false,
                };
                if !own {
                    world.fail(format!("LEAK: {who} GET /events: not its own: {line}"));
                }
                let start =
                    str_at("/Type") == Some("container") && str_at("/Action") == Some("start");
                starts += u64::from(start);
            }
            let want = world
                .started
                .get(k)
                .map_or(0, |n| n.load(Ordering::Relaxed));
            eprintln!("load: {who} saw {events} events, {starts} container starts of {want}");
            if starts != want || want == 0 {
                world.fail(format!(
                    "{who} GET /events: {starts} container starts, its cycles started {want}"
                ));
            }
        }
    }
}

/// The body of a chunked answer (as far as it came).
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let (Some(chunk), Some(after)) = (rest.get(..n), rest.get(n..)) else {
            break;
        };
        if n == 0 {
            break;
        }
        out.push_str(chunk);
        s = after.strip_prefix("\r\n").unwrap_or(after);
    }
    out
}

/// A tenant's quota-checked requests run one at a time
/// (`fdcs-tower/src/serial.rs`); a client of the tenant that stalls its
/// create body must not hold that turn: the tenant's next volume create is
/// answered while the stalled request still has no answer (had it waited
/// for the turn, the stalled one would have been answered first, at the
/// body timeout). An order of events, not a timing.
fn stalled_body_holds_no_turn(port: u16) {
    use std::io::{ErrorKind, Read, Write};
    let (t, token) = (TENANTS[0], format!("{}-token", TENANTS[0]));
    let mut stalled = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /v1.41/volumes/create HTTP/1.1\r\nHost: fdcs\r\nX-Auth-Token: {token}\r\n\
         X-Auth-TenantId: {t}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n\
         {{\"Name\":"
    );
    stalled.write_all(head.as_bytes()).unwrap();
    // The stalled request is in the proxy before the next one is sent.
    let mut c = client::Conn::new(port, t, &token);
    c.send("GET", "/_ping", None).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let a = c
        .send("POST", "/volumes/create", Some(r#"{"Name":"ldv-stall"}"#))
        .unwrap();
    assert_eq!(
        a.status, 201,
        "{t}'s volume create next to a stalled one: {}",
        a.body
    );
    stalled.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 256];
    match stalled.read(&mut buf) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!(
            "{t}'s volume create waited for a stalled create body of its own tenant \
             (that request was answered first: {:?})",
            other.map(|n| String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned())
        ),
    }
    drop(stalled);
    let a = c.send("DELETE", "/volumes/ldv-stall", None).unwrap();
    assert_eq!(a.status, 204, "{}", a.body);
}

#[test]
fn load_every_answer_checked() {
    let scratch = scratch_dir("load");
    let engine = Engine::new(&upstream(), &scratch);
    if let Err(why) = engine.available() {
        assert!(!engine_required(), "no docker engine: {why}");
        eprintln!("skipped: no docker engine");
        return;
    }
    engine.ensure_busybox(&scratch).unwrap();
    cleanup(&engine);
    let budget: u64 = match std::env::var("FDCS_LOAD_REQUESTS") {
        Ok(v) => v
            .parse()
            .expect("FDCS_LOAD_REQUESTS is a number of requests per round"),
        Err(_) => SHORT,
    };

    let mut tenants = String::from("tenants:\n");
    for t in TENANTS {
        tenants.push_str(&format!(
            "  - id: {t}\n    tokens: [{t}-token]\n    quotas: {QUOTAS}\n"
        ));
    }
    let file = scratch.join("tenants-load.yaml");
    std::fs::write(&file, tenants).unwrap();
    let proxy = Proxy::start(
        &engine.host,
        &[
            "--tenants",
            &file.display().to_string(),
            "--tenant-rate",
            "1000000",
            "--tenant-burst",
            "1000000",
            "--tenant-concurrency",
            "1024",
            "--max-connections-per-address",
            "1024",
        ],
        &scratch,
    )
    .unwrap();
    let run = Run { engine, proxy };
    let pid = run.proxy.pid().expect("the serve pid");

    let wording = Wording::from_engine(&run.engine.host).unwrap();
    let port = run.proxy.port;
    let sides: Vec<Side> = std::thread::scope(|s| {
        let hs: Vec<_> = TENANTS
            .iter()
            .map(|t| s.spawn(move || world::make_side(port, t)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap().unwrap_or_else(|e| panic!("setup: {e}")))
            .collect()
    });
    // The race for each default network made exactly one.
    for t in TENANTS {
        let bridges = run
            .engine
            .networks()
            .into_iter()
            .filter(|n| n.name == format!("{t}_bridge"))
            .count();
        assert_eq!(
            bridges,
            1,
            "{t}'s first {} containers at once made {bridges} default networks",
            FIRST + 1
        );
    }
    stalled_body_holds_no_turn(port);
    let world = World::new(port, sides, wording);

    let events = Events::open(&world);
    let first = round(&world, pid, budget, "round 1");
    let second = round(&world, pid, budget, "round 2");
    events.check(&world);

    let (failed, kept) = world.failures();
    let server_errors = world.server_errors.load(Ordering::Relaxed);
    eprintln!(
        "load: {} requests on {CONNECTIONS} connections, {server_errors} answers 5xx, \
         {failed} failed checks, {} own prefixes that vanished (404 quoting the full id)",
        first.requests + second.requests,
        world.vanished.load(Ordering::Relaxed)
    );
    assert!(
        failed == 0,
        "{failed} failed answers ({server_errors} of them 5xx); the first {}:\n{}",
        kept.len(),
        kept.join("\n")
    );
    assert!(run.proxy.alive(), "serve died under load");
    assert_eq!(
        first.reconnects + second.reconnects,
        0,
        "the proxy closed keep-alive connections under its clients"
    );
    assert!(
        first.requests >= budget && second.requests >= budget,
        "a round sent fewer requests than asked: {first:?} {second:?}"
    );

    // What the rounds leave: the fixtures only (every cycle removed what
    // it made), each once.
    let mut left: Vec<String> = Vec::new();
    for n in run
        .engine
        .containers()
        .iter()
        .map(|o| &o.name)
        .filter(|n| ours(n))
    {
        left.push(n.clone());
    }
    for n in run
        .engine
        .networks()
        .iter()
        .map(|o| &o.name)
        .filter(|n| ours(n))
    {
        left.push(n.clone());
    }
    for n in run
        .engine
        .volumes()
        .iter()
        .map(|o| &o.name)
        .filter(|n| ours(n))
    {
        left.push(n.clone());
    }
    left.sort();
    let mut want: Vec<String> = Vec::new();
    for t in TENANTS {
        want.push(format!("{t}_ldweb"));
        want.extend((1..=FIRST).map(|i| format!("{t}_ldfirst-{i}")));
        want.push(format!("{t}_ldnet"));
        want.push(format!("{t}_bridge"));
        want.push(format!("{t}_ldvol"));
    }
    want.sort();
    assert_eq!(left, want, "what the rounds left on the engine");

    // Flat memory: the second round, identical to the first, may grow the
    // proxy's RSS by at most half of what the first did (which includes
    // the allocator's warm-up), plus 8 MiB of noise.
    let grew = |r: &Round| r.rss_after.saturating_sub(r.rss_before);
    let (g1, g2) = (grew(&first), grew(&second));
    eprintln!("load: RSS growth round 1 {g1} KiB, round 2 {g2} KiB");
    assert!(
        g2 <= g1 / 2 + 8 * 1024,
        "the proxy's memory keeps growing: round 1 +{g1} KiB, round 2 +{g2} KiB \
         ({first:?}, {second:?})"
    );
}
