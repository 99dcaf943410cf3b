//! Several `serve` replicas are one service (issue 14 item 7): two
//! `fdcs-policy serve` processes, each on its own port, in front of the one
//! engine, with the same tenants file (`tests/fixtures/replicas/`, tenants
//! `rep1` and `rep2` of this suite's own). Nothing a tenant owns lives in a
//! replica's memory — ownership, names and quota usage are the engine's —
//! so a client may switch replica at every command, or at every connection
//! behind a round-robin balancer, and see one service:
//!
//! - one CLI session of rep1 alternating between replica A and B (run,
//!   inspect by name, full id and prefix, exec, logs, stop/start, networks,
//!   volumes, rm), with rep2 seeing none of it and reusing the same names;
//! - rep1's container quota (3) filled through both replicas, the 4th
//!   refused with the same message by either;
//! - `docker-compose up -d` / `down -v` through a connection-level round
//!   robin (a forwarder in this test), both tenants at once;
//! - the same reads answered byte for byte alike by both replicas.
//!
//! The tests run one at a time (rep1's quota counts every container it
//! holds); a guard removes whatever rep1 and rep2 own on the engine however
//! a test ends.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{assert_isolated, engine_required, fixtures, scratch_dir, upstream, Engine, Proxy};
use fdcs_e2e::{Out, Tenant};
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

const TENANTS: [&str; 2] = ["rep1", "rep2"];

struct Replicas {
    engine: Engine,
    a: Proxy,
    b: Proxy,
    dir: PathBuf,
}

fn replicas() -> Option<&'static Replicas> {
    static R: OnceLock<Option<Replicas>> = OnceLock::new();
    R.get_or_init(|| {
        let dir = scratch_dir("replicas");
        let engine = Engine::new(&upstream(), &dir);
        if let Err(why) = engine.available() {
            assert!(!engine_required(), "no engine: {why}");
            eprintln!("skipped: no docker engine");
            return None;
        }
        engine.ensure_busybox(&dir).unwrap();
        let tenants = fixtures().join("replicas/tenants.yaml");
        let args = ["--tenants", &tenants.display().to_string()];
        let a = Proxy::start(&engine.host, &args, &dir).unwrap_or_else(|e| panic!("{e}"));
        let b = Proxy::start(&engine.host, &args, &dir).unwrap_or_else(|e| panic!("{e}"));
        Some(Replicas { engine, a, b, dir })
    })
    .as_ref()
}

/// One test at a time, with a unique tag and the cleanup guard.
struct Case {
    r: &'static Replicas,
    tag: String,
    _serial: MutexGuard<'static, ()>,
}

fn case() -> Option<Case> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static N: AtomicU32 = AtomicU32::new(0);
    let r = replicas()?;
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    wipe(&r.engine);
    let tag = format!(
        "r{:x}z{}y",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    Some(Case {
        r,
        tag,
        _serial: serial,
    })
}

impl Case {
    fn name(&self, base: &str) -> String {
        format!("{base}-{}", self.tag)
    }

    /// Tenant `id` (token `<id>-token`) pointed at `host`; `label` keeps
    /// each client's configuration directory apart.
    fn tenant(&self, id: &str, host: &str, label: &str) -> Tenant {
        let token = format!("{id}-token");
        Tenant::with_headers(
            &format!("{id}-{label}"),
            id,
            &token,
            &[("X-Auth-Token", &token), ("X-Auth-TenantId", id)],
            host,
            &self.r.dir,
        )
    }

    fn at_a(&self, id: &str) -> Tenant {
        self.tenant(id, &self.r.a.host(), "a")
    }

    fn at_b(&self, id: &str) -> Tenant {
        self.tenant(id, &self.r.b.host(), "b")
    }

    #[track_caller]
    fn finish(&self) {
        for p in [&self.r.a, &self.r.b] {
            assert!(p.alive(), "a replica died; its log:\n{}", p.log_tail());
        }
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for (n, p) in [("A", &self.r.a), ("B", &self.r.b)] {
                eprintln!(
                    "--- replica {n} (log {}) ---\n{}",
                    p.log.display(),
                    p.log_lines_with(&self.tag)
                );
            }
        }
        self.r.engine.cleanup(&self.tag);
        wipe(&self.r.engine);
    }
}

/// Removes every container, network and volume rep1 and rep2 own on the
/// engine (the ids are this suite's alone).
fn wipe(engine: &Engine) {
    let owned = |objs: Vec<fdcs_e2e::engine::Obj>| -> Vec<String> {
        objs.into_iter()
            .filter(|o| TENANTS.contains(&o.owner.as_str()))
            .map(|o| o.id)
            .collect()
    };
    for (cmd, ids) in [
        (&["rm", "-f", "-v"][..], owned(engine.containers())),
        (&["network", "rm"][..], owned(engine.networks())),
        (&["volume", "rm", "-f"][..], owned(engine.volumes())),
    ] {
        if !ids.is_empty() {
            let mut a: Vec<&str> = cmd.to_vec();
            a.extend(ids.iter().map(String::as_str));
            let _ = engine.docker(&a);
        }
    }
}

#[track_caller]
fn not_found(out: &Out, what: &str) {
    let all = out.fails().to_lowercase();
    assert!(
        all.contains("no such") || all.contains("not found"),
        "{what}: must fail as `not found`, got:\n{out}"
    );
}

#[test]
fn one_cli_session_alternating_between_replicas() {
    let Some(c) = case() else { return };
    let started = Instant::now();
    let (a1, b1) = (c.at_a("rep1"), c.at_b("rep1"));
    let (a2, b2) = (c.at_a("rep2"), c.at_b("rep2"));
    let web = c.name("web");
    let net = c.name("n");
    let vol = c.name("v");

    let id = a1
        .docker(&[
            "run",
            "-d",
            "--name",
            &web,
            "busybox",
            "sh",
            "-c",
            "echo hello-replicas; exec sleep 600",
        ])
        .ok()
        .to_owned();
    assert_eq!(id.len(), 64, "run -d prints the full id: {id}");
    let ps = b1.docker(&["ps", "--no-trunc", "--format", "{{.ID}} {{.Names}}"]);
    assert_eq!(ps.ok(), format!("{id} {web}"), "B lists what A created");
    for r in [web.as_str(), id.as_str(), &id[..12], &id[..7]] {
        let out = b1.docker(&["inspect", "--format", "{{.Id}} {{.Name}}", r]);
        assert_eq!(out.ok(), format!("{id} /{web}"), "inspect {r} on B");
    }
    // exec is a hijack: create and start both on B, stdin through the tunnel
    let ex = b1.docker_stdin(b"through-b\n", &["exec", "-i", &web, "cat"]);
    assert_eq!(ex.ok(), "through-b", "exec -i on B");
    assert_eq!(b1.docker(&["exec", &web, "echo", "hi"]).ok(), "hi");
    let logs = a1.docker(&["logs", &web]);
    assert!(logs.ok().contains("hello-replicas"), "logs on A:\n{logs}");
    b1.docker(&["stop", "-t", "0", &web]).ok();
    let st = a1.docker(&["inspect", "--format", "{{.State.Running}}", &web]);
    assert_eq!(st.ok(), "false", "A sees B's stop");
    a1.docker(&["start", &web]).ok();
    let st = b1.docker(&["inspect", "--format", "{{.State.Running}}", &web]);
    assert_eq!(st.ok(), "true", "B sees A's start");

    // a network made through A, used through B
    let net_id = a1.docker(&["network", "create", &net]).ok().to_owned();
    let nb = c.name("nb");
    b1.docker(&[
        "run",
        "-d",
        "--name",
        &nb,
        "--network",
        &net,
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    let nets = a1.docker(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Networks}}",
        &nb,
    ]);
    assert!(
        nets.ok().contains(&format!("\"{net}\"")) && !nets.ok().contains("rep1_"),
        "A sees {nb} on {net}, by its own name:\n{nets}"
    );
    let members = b1.docker(&[
        "network",
        "inspect",
        "--format",
        "{{.Id}} {{range .Containers}}{{.Name}}{{end}}",
        &net,
    ]);
    assert_eq!(
        members.ok(),
        format!("{net_id} {nb}"),
        "network inspect on B"
    );

    // a volume made through B, written through A, read through B
    b1.docker(&["volume", "create", &vol]).ok();
    let mount = format!("{vol}:/d");
    a1.docker(&[
        "run",
        "--rm",
        "-v",
        &mount,
        "busybox",
        "sh",
        "-c",
        "echo kept > /d/f",
    ])
    .ok();
    let read = b1.docker(&["run", "--rm", "-v", &mount, "busybox", "cat", "/d/f"]);
    assert_eq!(read.ok(), "kept", "the volume's data through B");

    // rep2, on either replica, sees none of it
    for t in [&a2, &b2] {
        for r in [web.as_str(), id.as_str(), &id[..12], &id[..7], &nb] {
            not_found(&t.docker(&["inspect", "--type", "container", r]), r);
        }
        not_found(&t.docker(&["logs", &web]), &web);
        for r in [net.as_str(), &net_id, &net_id[..12]] {
            not_found(&t.docker(&["network", "inspect", r]), r);
        }
        not_found(&t.docker(&["volume", "inspect", &vol]), &vol);
        assert_eq!(t.docker(&["ps", "-aq"]).ok(), "", "rep2's ps -a");
        let nets = t.docker(&["network", "ls", "--format", "{{.Name}}"]);
        assert!(!nets.ok().contains(&c.tag), "rep2's network ls:\n{nets}");
        let vols = t.docker(&["volume", "ls", "-q"]);
        assert!(!vols.ok().contains(&c.tag), "rep2's volume ls:\n{vols}");
    }
    // ... and reuses the same names, through the other replicas
    let id2 = b2
        .docker(&["run", "-d", "--name", &web, "busybox", "sleep", "600"])
        .ok()
        .to_owned();
    assert_ne!(id2, id);
    a2.docker(&["network", "create", &net]).ok();
    b2.docker(&["volume", "create", &vol]).ok();
    let own = a2.docker(&["inspect", "--format", "{{.Id}}", &web]);
    assert_eq!(own.ok(), id2, "rep2's `{web}` is its own");

    // the harness's full check, rep1 on A against rep2 on B (the loops
    // above already asked the other pairing)
    assert_isolated(&c.r.engine, &a1, &b2, &c.tag);

    b1.docker(&["rm", "-f", &web, &nb]).ok();
    not_found(&a1.docker(&["inspect", &web]), "rm -f through B, seen by A");
    assert_eq!(
        a2.docker(&["inspect", "--format", "{{.Id}}", &web]).ok(),
        id2
    );
    a1.docker(&["network", "rm", &net]).ok();
    b1.docker(&["volume", "rm", &vol]).ok();
    c.finish();
    eprintln!("session through two replicas: {:?}", started.elapsed());
}

#[test]
fn quota_usage_is_the_engines_on_every_replica() {
    let Some(c) = case() else { return };
    let (a1, b1) = (c.at_a("rep1"), c.at_b("rep1"));
    let held: Vec<_> =
        c.r.engine
            .containers()
            .into_iter()
            .filter(|o| o.owner == "rep1")
            .collect();
    assert!(held.is_empty(), "rep1 must start empty: {held:?}");
    for (t, n) in [(&a1, "q1"), (&a1, "q2"), (&b1, "q3")] {
        t.docker(&["create", "--name", &c.name(n), "busybox", "true"])
            .ok();
    }
    let want = "fdcs: rep1 would have 4 containers, quota 3 (rule quota.containers); \
                remove a container (docker rm), or ask for a larger quota";
    let mut said = Vec::new();
    for t in [&a1, &b1] {
        let out = t.docker(&["create", "--name", &c.name("q4"), "busybox", "true"]);
        let all = out.fails_with("(rule quota.containers)");
        let line = all
            .lines()
            .find_map(|l| l.find("fdcs: ").map(|i| l[i..].trim().to_owned()))
            .unwrap_or_else(|| panic!("no fdcs message:\n{out}"));
        said.push(line);
    }
    assert_eq!(said[0], said[1], "both replicas refuse alike");
    assert_eq!(said[0], want);
    // room made through B is room on A at once
    b1.docker(&["rm", &c.name("q1")]).ok();
    a1.docker(&["create", "--name", &c.name("q4"), "busybox", "true"])
        .ok();
    b1.docker(&["create", "--name", &c.name("q5"), "busybox", "true"])
        .fails_with("(rule quota.containers)");
    c.finish();
}

/// A connection-level round robin: each accepted connection goes to the
/// next of `targets`, bytes copied both ways, half-closes passed on.
struct RoundRobin {
    port: u16,
    sent: Arc<[AtomicUsize; 2]>,
    stop: Arc<AtomicBool>,
}

impl RoundRobin {
    fn start(targets: [u16; 2]) -> RoundRobin {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let sent = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (sent.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0usize;
            for conn in l.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let i = n % 2;
                n += 1;
                s[i].fetch_add(1, Ordering::SeqCst);
                let to = targets[i];
                std::thread::spawn(move || pipe(client, to));
            }
        });
        RoundRobin { port, sent, stop }
    }

    fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    fn counts(&self) -> [usize; 2] {
        [
            self.sent[0].load(Ordering::SeqCst),
            self.sent[1].load(Ordering::SeqCst),
        ]
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pipe(client: TcpStream, to: u16) {
    let Ok(up) = TcpStream::connect(("127.0.0.1", to)) else {
        return;
    };
    let (Ok(mut c2), Ok(mut u2)) = (client.try_clone(), up.try_clone()) else {
        return;
    };
    let t = std::thread::spawn(move || {
        let _ = io::copy(&mut c2, &mut u2);
        let _ = u2.shutdown(Shutdown::Write);
    });
    let (mut up, mut client) = (up, client);
    let _ = io::copy(&mut up, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = t.join();
}

/// One JSON document per line, without `drop`'s keys, re-serialised.
fn strip_lines(text: &str, drop: &[&str]) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            if let Some(m) = v.as_object_mut() {
                for k in drop {
                    m.remove(*k);
                }
                // The CLI joins a labels map in Go's map order, random at
                // each run (the same replica's answer prints differently
                // twice): compare the set of labels.
                if let Some(serde_json::Value::String(l)) = m.get_mut("Labels") {
                    let mut parts: Vec<&str> = l.split(',').collect();
                    parts.sort_unstable();
                    *l = parts.join(",");
                }
            }
            v.to_string()
        })
        .collect()
}

#[test]
fn compose_through_a_round_robin_and_identical_reads() {
    let Some(c) = case() else { return };
    let started = Instant::now();
    let rr = RoundRobin::start([c.r.a.port, c.r.b.port]);
    let (r1, r2) = (
        c.tenant("rep1", &rr.host(), "rr"),
        c.tenant("rep2", &rr.host(), "rr"),
    );
    let project = c.name("proj");
    let dir = fixtures().join("replicas");
    std::thread::scope(|s| {
        let hs: Vec<_> = [&r1, &r2]
            .into_iter()
            .map(|t| {
                s.spawn(|| {
                    t.compose(&dir, &["-p", &project, "up", "-d"])
                        .ok()
                        .to_owned()
                })
            })
            .collect();
        for h in hs {
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
    for t in [&r1, &r2] {
        let ps = t.compose(&dir, &["-p", &project, "ps"]);
        for svc in ["web", "worker"] {
            let row = format!("{project}_{svc}_1");
            assert!(
                ps.ok()
                    .lines()
                    .any(|l| l.starts_with(&row) && l.contains("Up")),
                "{}: compose ps lacks a running {row}:\n{ps}",
                t.id
            );
        }
        let ex = t.compose(
            &dir,
            &["-p", &project, "exec", "-T", "worker", "echo", &t.id],
        );
        assert_eq!(ex.ok(), t.id, "compose exec through the round robin");
    }
    // what one replica would give: the objects, named and labelled as usual
    let (a1, b1) = (c.at_a("rep1"), c.at_b("rep1"));
    let a2 = c.at_a("rep2");
    assert_isolated(&c.r.engine, &r1, &r2, &c.tag);
    for t in [&a1, &a2] {
        let mut names: Vec<String> = t
            .docker(&["ps", "--format", "{{.Names}}"])
            .ok()
            .lines()
            .map(str::to_owned)
            .collect();
        names.sort();
        assert_eq!(
            names,
            [format!("{project}_web_1"), format!("{project}_worker_1")]
        );
        let nets = t.docker(&["network", "ls", "--format", "{{.Name}}"]);
        assert!(
            nets.ok().lines().any(|l| l == format!("{project}_back")),
            "{nets}"
        );
        let vols = t.docker(&["volume", "ls", "--format", "{{.Name}}"]);
        assert_eq!(vols.ok(), format!("{project}_data"), "{vols}");
    }

    // the same reads through A and through B, byte for byte
    let mut reads = 0;
    // (rep1's view; rep2's is rewritten by the same code, and the budget
    // of this suite is < 90 s on a loaded CI box)
    for (ta, tb) in [(&a1, &b1)] {
        let ids = ta.docker(&["ps", "-aq", "--no-trunc"]).ok().to_owned();
        let ids: Vec<&str> = ids.lines().collect();
        let mut inspect = vec!["inspect"];
        inspect.extend(&ids);
        let net = format!("{project}_back");
        let vol = format!("{project}_data");
        let cases: [(Vec<&str>, &[&str]); 7] = [
            // Status ("Up 3 seconds") and RunningFor are relative to now
            (
                vec!["ps", "-a", "--no-trunc", "--format", "json"],
                &["Status", "RunningFor"],
            ),
            (inspect, &[]),
            (vec!["network", "ls", "--no-trunc", "--format", "json"], &[]),
            (vec!["network", "inspect", &net], &[]),
            (vec!["volume", "ls", "--format", "json"], &[]),
            (vec!["volume", "inspect", &vol], &[]),
            // the engine's clock and its momentary goroutine, fd and
            // event-listener counts
            (
                vec!["info", "--format", "{{json .}}"],
                &["SystemTime", "NGoroutines", "NFd", "NEventsListener"],
            ),
        ];
        for (args, drop) in cases {
            let (x, y) = (ta.docker(&args), tb.docker(&args));
            reads += 2;
            let (x, y) = if args[0] == "inspect" || args.get(1) == Some(&"inspect") {
                (x.ok().to_owned(), y.ok().to_owned())
            } else {
                (
                    strip_lines(x.ok(), drop).join("\n"),
                    strip_lines(y.ok(), drop).join("\n"),
                )
            };
            assert!(!x.is_empty());
            assert_eq!(
                x,
                y,
                "{}: `{}` differs between A and B",
                ta.id,
                args.join(" ")
            );
        }
        let counts = "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} \
                      {{.ContainersStopped}} {{.Images}} {{.NCPU}} {{.MemTotal}}";
        let (x, y) = (
            ta.docker(&["info", "--format", counts]),
            tb.docker(&["info", "--format", counts]),
        );
        reads += 2;
        assert_eq!(x.ok(), y.ok(), "info counts");
        assert!(x.ok().starts_with("2 2 0 0 "), "info counts: {x}");
    }

    std::thread::scope(|s| {
        let hs: Vec<_> = [&r1, &r2]
            .into_iter()
            .map(|t| {
                s.spawn(|| {
                    t.compose(&dir, &["-p", &project, "down", "-v"])
                        .ok()
                        .to_owned()
                })
            })
            .collect();
        for h in hs {
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
    let left: Vec<String> =
        c.r.engine
            .containers()
            .into_iter()
            .map(|o| o.name)
            .chain(c.r.engine.networks().into_iter().map(|o| o.name))
            .chain(c.r.engine.volumes().into_iter().map(|o| o.name))
            .filter(|n| n.contains(&c.tag))
            .collect();
    assert!(left.is_empty(), "down -v left {left:?}");
    let [to_a, to_b] = rr.counts();
    assert!(
        to_a > 0 && to_b > 0,
        "the round robin used both: {to_a} {to_b}"
    );
    c.finish();
    eprintln!(
        "compose through the round robin: {to_a} connections to A, {to_b} to B; \
         {reads} reads compared; {:?}",
        started.elapsed()
    );
}
