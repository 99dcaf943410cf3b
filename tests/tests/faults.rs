//! Faults (issue 13, item 4), through a real `fdcs-policy serve`:
//!
//! - an engine that accepts and never answers: 504 (`upstream.timeout`)
//!   after `--upstream-header-timeout`, not a hang; the bound is on the
//!   answer's headers only, so `logs -f`, `events`, `wait`, attach and exec
//!   through a serve with a 2 s bound keep streaming well past it (real
//!   dockerd);
//! - oversized request heads: 431;
//! - SIGTERM with a slow request and an exec stream in flight: both
//!   complete, new connections are refused, serve exits; a stream that
//!   does not end is cut at `--drain-timeout`;
//! - SIGHUP with a broken policy file keeps the old policy and tenants.
//!
//! The engine killed and restarted under load is in `robustness.rs`
//! (`engine_down_gives_502_and_service_resumes_when_it_returns`).
//!
//! Each test runs its own `serve` with tenants `fault1`/`fault2` and names
//! its objects `fault…`, so nothing it does touches another suite.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{engine_required, http, scratch_dir, upstream, Engine, Proxy, Tenant};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TENANTS: &str = "tenants:
  - id: fault1
    tokens: [fault1-token]
";

const ONE: [(&str, &str); 2] = [
    ("X-Auth-Token", "fault1-token"),
    ("X-Auth-TenantId", "fault1"),
];
const TWO: [(&str, &str); 2] = [
    ("X-Auth-Token", "fault2-token"),
    ("X-Auth-TenantId", "fault2"),
];

/// One `serve` of this file's own with tenant `fault1`, and cleanup of what
/// the test created (every name carries `tag`) however the test ends.
struct Served {
    engine: Engine,
    proxy: Proxy,
    one: Tenant,
    tag: String,
    #[expect(dead_code, reason = "kept alive with the proxy's log in it")]
    dir: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- serve log (last lines, {}) ---\n{}",
                self.proxy.log.display(),
                self.proxy.log_tail()
            );
        }
        self.engine.cleanup(&self.tag);
    }
}

/// The machine's engine, or `None` (skip) when there is none and none is
/// required.
fn engine(dir: &Path) -> Option<Engine> {
    let engine = Engine::new(&upstream(), dir);
    if let Err(why) = engine.available() {
        assert!(
            !engine_required(),
            "no docker engine and CI=true or FDCS_E2E=1 says there must be one:\n{why}"
        );
        eprintln!("skipped: no docker engine");
        return None;
    }
    engine.ensure_busybox(dir).unwrap();
    Some(engine)
}

/// `serve --tenants <TENANTS> <extra>` in front of the machine's engine.
fn serve(label: &str, extra: &[&str]) -> Option<Served> {
    let dir = scratch_dir(label);
    let engine = engine(&dir)?;
    let file = dir.join("tenants.yaml");
    std::fs::write(&file, TENANTS).unwrap();
    let mut args = vec!["--tenants", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let proxy = Proxy::start(&engine.host, &args, &dir).unwrap_or_else(|e| panic!("{e}"));
    let host = proxy.host();
    Some(Served {
        one: Tenant::new("fault1", "fault1-token", &host, &dir),
        tag: format!("fault{:x}{label}", std::process::id()),
        engine,
        proxy,
        dir,
    })
}

/// Polls `cond` every 100 ms until it holds or `limit` passes.
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `docker <args>` as `t`, started in the background with its stdout read
/// line by line, so a test can see a stream progress while it runs.
struct Live {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Live {
    fn start(t: &Tenant, args: &[&str]) -> Live {
        let mut child = Command::new(fdcs_e2e::docker_cli())
            .env("DOCKER_CLI_HINTS", "false")
            .env_remove("DOCKER_HOST")
            .arg("--config")
            .arg(&t.config)
            .arg("-H")
            .arg(&t.host)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("docker");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Live {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most `limit`) for a line containing `needle`.
    fn wait_for(&mut self, needle: &str, limit: Duration) -> bool {
        let start = Instant::now();
        if self.seen.iter().any(|l| l.contains(needle)) {
            return true;
        }
        while let Some(left) = limit.checked_sub(start.elapsed()) {
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.contains(needle);
                    self.seen.push(l);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Waits (at most `limit`) for the client to exit; its exit code, its
    /// stdout lines and its stderr.
    fn finish(mut self, limit: Duration) -> (Option<i32>, Vec<String>, String) {
        let start = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break s.code(),
                Ok(None) if start.elapsed() > limit => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(_) => break None,
            }
        };
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(l);
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status, self.seen, err)
    }
}

/// An engine that accepts connections and never answers: a unix socket
/// whose connections are held open and never read from or written to.
fn silent_engine(dir: &Path) -> String {
    let path = dir.join("silent.sock");
    let l = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming() {
            match s {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
    });
    format!("unix://{}", path.display())
}

/// An engine that answers every request with the head of a 200 and the
/// first byte of its body, and then nothing more.
fn stalling_engine(dir: &Path) -> String {
    use std::io::{Read, Write};
    let path = dir.join("stalling.sock");
    let l = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming() {
            let Ok(mut s) = s else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[",
            );
            held.push(s);
        }
    });
    format!("unix://{}", path.display())
}

/// An engine that sends its headers and then stalls: an answer fdcs reads
/// whole (a list it rewrites) is 504 after the bound again; one it streams
/// as it comes (`/_ping` passes through) stays open past the bound.
#[test]
fn an_engine_that_stalls_after_its_headers() {
    let dir = scratch_dir("fault-stall");
    let file = dir.join("tenants.yaml");
    std::fs::write(&file, TENANTS).unwrap();
    let proxy = Proxy::start(
        &stalling_engine(&dir),
        &[
            "--tenants",
            file.to_str().unwrap(),
            "--upstream-header-timeout",
            "2",
        ],
        &dir,
    )
    .unwrap();
    let r = http::get(proxy.port, "/v1.41/containers/json", &ONE)
        .unwrap_or_else(|e| panic!("no answer: {e}\n{}", proxy.log_tail()));
    assert_eq!(r.status, 504, "a list read whole:\n{}\n{}", r.head, r.body);
    assert!(
        r.body.contains("did not send its whole answer") && r.body.contains("upstream.timeout"),
        "{}",
        r.body
    );
    // a passed-through answer: its head and first byte come, and the
    // connection is still open well past the bound
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    std::io::Write::write_all(
        &mut s,
        b"GET /_ping HTTP/1.1\r\nHost: fdcs\r\nX-Auth-Token: fault1-token\r\nX-Auth-TenantId: fault1\r\n\r\n",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(6) {
        match std::io::Read::read(&mut s, &mut buf) {
            Ok(0) => panic!(
                "the passed-through answer was cut: {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.ends_with('['),
        "the engine's head and first byte, nothing else: {text:?}"
    );
    assert!(proxy.alive(), "serve died:\n{}", proxy.log_tail());
}

#[test]
fn an_engine_that_never_answers_gets_504_not_a_hang() {
    let dir = scratch_dir("fault-silent");
    let file = dir.join("tenants.yaml");
    std::fs::write(&file, TENANTS).unwrap();
    let proxy = Proxy::start(
        &silent_engine(&dir),
        &[
            "--tenants",
            file.to_str().unwrap(),
            "--upstream-header-timeout",
            "2",
        ],
        &dir,
    )
    .unwrap();
    // a forwarded ping and a list: each answered 504 in Docker's shape,
    // where before both waited for ever (http::get gives up after 30 s)
    for path in ["/_ping", "/v1.41/containers/json", "/v1.41/version"] {
        let r = http::get(proxy.port, path, &ONE)
            .unwrap_or_else(|e| panic!("{path}: no answer: {e}\n{}", proxy.log_tail()));
        assert_eq!(r.status, 504, "{path}:\n{}\n{}", r.head, r.body);
        let json = r.body.find('{').map(|i| &r.body[i..]).unwrap_or_default();
        let json = json
            .get(..=json.rfind('}').unwrap_or(0))
            .unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(json)
            .unwrap_or_else(|e| panic!("{path}: not Docker's error shape ({e}): {}", r.body));
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("rule upstream.timeout")
                && msg.contains("did not start answering")
                && msg.contains("tell the operator"),
            "{path}: the message names the rule and what to do: {msg}"
        );
    }
    // the docker CLI prints it as the daemon's own error
    let t = Tenant::new("fault1", "fault1-token", &proxy.host(), &dir);
    let out = t.docker_timeout(&["ps"], Duration::from_secs(60));
    assert!(!out.timed_out, "docker ps hung:\n{out}");
    out.fails_with("upstream.timeout");
    assert!(proxy.alive(), "serve died:\n{}", proxy.log_tail());
    let audit = proxy.log_lines_with("upstream.timeout");
    assert!(
        audit.contains("status=504"),
        "the audit lines carry the rule and the status:\n{}",
        proxy.log_tail()
    );
}

/// The bound is on the headers: every stream the daemon starts at once
/// runs on past it. Each stream here is silent for longer than the 2 s
/// bound before its first byte, and lasts several times the bound.
#[test]
fn streams_outlive_the_header_timeout() {
    let Some(s) = serve("fault-streams", &["--upstream-header-timeout", "2"]) else {
        return;
    };
    let name = format!("fault-stream-{}", s.tag);
    // events: started before anything happens, so silent for a while
    let mut events = Live::start(
        &s.one,
        &[
            "events",
            "--filter",
            &format!("container={name}"),
            "--format",
            "{{.Action}}",
        ],
    );
    std::thread::sleep(Duration::from_secs(3));
    // silent for 4 s, then a line a second for 8 s
    s.one
        .docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "sleep 4; i=1; while [ $i -le 8 ]; do echo line$i; i=$((i+1)); sleep 1; done",
        ])
        .ok();
    let mut logs = Live::start(&s.one, &["logs", "-f", &name]);
    let wait = Live::start(&s.one, &["wait", &name]);
    let exec = Live::start(
        &s.one,
        &["exec", &name, "sh", "-c", "sleep 4; echo exec-done"],
    );
    // attach (and wait) of a `docker run` in the foreground
    let attached = Live::start(
        &s.one,
        &[
            "run",
            "--rm",
            "--name",
            &format!("fault-attach-{}", s.tag),
            "busybox",
            "sh",
            "-c",
            "sleep 4; echo attach-done",
        ],
    );
    assert!(
        logs.wait_for("line8", Duration::from_secs(60)),
        "logs -f stopped before the last line: {:?}",
        logs.seen
    );
    let (code, lines, err) = logs.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "logs -f: {lines:?} {err}");
    assert_eq!(lines.len(), 8, "logs -f: every line once: {lines:?}");
    let (code, lines, err) = wait.finish(Duration::from_secs(30));
    assert_eq!(
        (code, lines.as_slice()),
        (Some(0), ["0".to_owned()].as_slice()),
        "docker wait: {err}"
    );
    let (code, lines, err) = exec.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "exec: {lines:?} {err}");
    assert!(lines.iter().any(|l| l == "exec-done"), "exec: {lines:?}");
    let (code, lines, err) = attached.finish(Duration::from_secs(30));
    assert_eq!(code, Some(0), "run (attach): {lines:?} {err}");
    assert!(lines.iter().any(|l| l == "attach-done"), "run: {lines:?}");
    assert!(
        events.wait_for("die", Duration::from_secs(30)),
        "events stopped before the container's end: {:?}",
        events.seen
    );
    let _ = events.child.kill();
    let (_, lines, _) = events.finish(Duration::from_secs(10));
    assert!(lines.iter().any(|l| l == "start"), "events: {lines:?}");
    assert!(
        !s.proxy.log_tail().contains("upstream.timeout")
            && s.proxy.log_lines_with("upstream.timeout").is_empty(),
        "no request timed out:\n{}",
        s.proxy.log_lines_with("upstream.timeout")
    );
}

/// A request head over serve's bound (128 KiB, or more than 100 headers)
/// is answered 431; one below it is served.
#[test]
fn oversized_request_headers_are_431() {
    let Some(s) = serve("fault-431", &[]) else {
        return;
    };
    let port = s.proxy.port;
    let auth = "X-Auth-Token: fault1-token\r\nX-Auth-TenantId: fault1\r\n";
    let big = |n: usize| {
        format!(
            "GET /_ping HTTP/1.1\r\nHost: fdcs\r\n{auth}X-Big: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(n)
        )
    };
    let many = {
        let mut h = format!("GET /_ping HTTP/1.1\r\nHost: fdcs\r\n{auth}");
        for i in 0..150 {
            h.push_str(&format!("X-H{i}: v\r\n"));
        }
        h.push_str("Connection: close\r\n\r\n");
        h
    };
    for (what, req) in [
        ("a 200 KiB header", big(200 * 1024)),
        ("a 1 MiB header", big(1024 * 1024)),
        ("150 headers", many),
    ] {
        let text = http::raw(port, req.as_bytes(), Duration::from_secs(10)).unwrap_or_default();
        let r = http::parse(&text).unwrap_or_else(|| panic!("{what}: no HTTP answer: {text:?}"));
        assert_eq!(r.status, 431, "{what}:\n{}\n{}", r.head, r.body);
    }
    let text = http::raw(port, big(16 * 1024).as_bytes(), Duration::from_secs(10)).unwrap();
    let r = http::parse(&text).unwrap();
    assert_eq!(r.status, 200, "a 16 KiB header:\n{}\n{}", r.head, r.body);
    assert!(s.proxy.alive());
}

/// Whether process `pid` has exited (gone, or a zombie its watchdog has
/// not reaped yet).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// How many exec starts of the proxy have been answered 101 (audit lines).
fn execs_started(proxy: &Proxy) -> usize {
    std::fs::read_to_string(&proxy.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("/start") && l.contains("/exec/") && l.contains("status=101"))
        .count()
}

/// SIGTERM with a slow request (`docker stop -t 4` of a container that
/// ignores SIGTERM) and an exec stream in flight: both complete, new
/// connections are refused meanwhile, and serve exits once they are done
/// (well before its 30 s drain timeout: the log says nothing was cut).
#[test]
fn sigterm_drains_in_flight_requests_and_exec_streams() {
    let Some(s) = serve("fault-term", &["--drain-timeout", "30"]) else {
        return;
    };
    let a = format!("fault-term-a-{}", s.tag);
    let b = format!("fault-term-b-{}", s.tag);
    for n in [&a, &b] {
        s.one
            .docker(&["run", "-d", "--name", n, "busybox", "sleep", "300"])
            .ok();
    }
    let pid = s.proxy.pid().unwrap();
    let stop = Live::start(&s.one, &["stop", "-t", "4", &b]);
    let exec = Live::start(
        &s.one,
        &[
            "exec",
            &a,
            "sh",
            "-c",
            "echo exec-started; sleep 4; echo exec-done",
        ],
    );
    let mut exec = exec;
    assert!(
        exec.wait_for("exec-started", Duration::from_secs(30)),
        "the exec did not start"
    );
    assert!(eventually(Duration::from_secs(10), || execs_started(
        &s.proxy
    ) > 0));
    // the stop was sent before the exec (it waits 4 s on the engine)
    std::thread::sleep(Duration::from_millis(500));
    s.proxy.signal("TERM").unwrap();

    // new connections are refused while the old ones drain
    assert!(
        eventually(Duration::from_secs(10), || TcpStream::connect((
            "127.0.0.1",
            s.proxy.port
        ))
        .is_err()),
        "serve still accepts connections after SIGTERM"
    );
    let (code, lines, err) = stop.finish(Duration::from_secs(60));
    assert_eq!(code, Some(0), "stop cut by SIGTERM: {lines:?} {err}");
    // the stream is carried to its end; the docker CLI then asks for the
    // exec's exit code on a new connection, which a draining serve refuses,
    // so the client's own status is not the command's
    let (_, lines, err) = exec.finish(Duration::from_secs(60));
    assert!(
        lines.iter().any(|l| l == "exec-done"),
        "exec cut by SIGTERM: {lines:?} {err}"
    );
    assert!(
        eventually(Duration::from_secs(30), || exited(pid)),
        "serve did not exit after draining:\n{}",
        s.proxy.log_tail()
    );
    let state = s.engine.docker(&[
        "inspect",
        "-f",
        "{{.State.Running}}",
        &format!("fault1_{b}"),
    ]);
    assert_eq!(state.ok().trim(), "false", "the drained stop took effect");
    let log = std::fs::read_to_string(&s.proxy.log).unwrap();
    assert!(
        log.contains("drained=true") && log.contains("tunnels_closed=true"),
        "serve's last words:\n{}",
        s.proxy.log_tail()
    );
}

/// A stream that would not end by itself is cut at `--drain-timeout`:
/// serve exits, and so does its client.
#[test]
fn sigterm_cuts_a_stream_that_outlives_the_drain_timeout() {
    let Some(s) = serve("fault-cut", &["--drain-timeout", "3"]) else {
        return;
    };
    let a = format!("fault-cut-{}", s.tag);
    s.one
        .docker(&["run", "-d", "--name", &a, "busybox", "sleep", "300"])
        .ok();
    let pid = s.proxy.pid().unwrap();
    let mut exec = Live::start(
        &s.one,
        &["exec", &a, "sh", "-c", "echo exec-started; sleep 600"],
    );
    assert!(exec.wait_for("exec-started", Duration::from_secs(30)));
    s.proxy.signal("TERM").unwrap();
    assert!(
        eventually(Duration::from_secs(30), || exited(pid)),
        "serve did not exit at its drain timeout:\n{}",
        s.proxy.log_tail()
    );
    let (code, _, _) = exec.finish(Duration::from_secs(30));
    assert!(code.is_some(), "the exec client hung after serve exited");
    let log = std::fs::read_to_string(&s.proxy.log).unwrap();
    assert!(
        log.contains("tunnels_closed=false") && log.contains("tunnels_cut=1"),
        "serve's last words:\n{}",
        s.proxy.log_tail()
    );
}

/// SIGHUP reloads policy and tenants as a pair: a broken policy file
/// (not YAML; a policy that does not validate) keeps both old ones, even
/// when the tenants file changed validly alongside.
#[test]
fn sighup_with_a_broken_policy_keeps_the_old_policy_and_tenants() {
    let dir = scratch_dir("fault-hup");
    let Some(engine) = engine(&dir) else { return };
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/default.yaml"),
    )
    .unwrap();
    let swarm_on = default.replacen(
        "    enabled: false\n    nodeLabels",
        "    enabled: true\n    nodeLabels",
        1,
    );
    assert_ne!(swarm_on, default, "policies/default.yaml changed shape");
    let policy = dir.join("policy.yaml");
    let tenants = dir.join("tenants.yaml");
    std::fs::write(&policy, &default).unwrap();
    std::fs::write(&tenants, TENANTS).unwrap();
    let proxy = Proxy::start(
        &engine.host,
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--tenants",
            tenants.to_str().unwrap(),
        ],
        &dir,
    )
    .unwrap();
    let status = |h: &[(&str, &str)], path: &str| http::get(proxy.port, path, h).unwrap().status;
    let services = || status(&ONE, "/v1.41/services");
    let failures = || {
        std::fs::read_to_string(&proxy.log)
            .unwrap_or_default()
            .matches("reload failed")
            .count()
    };
    assert_eq!(services(), 403, "swarm off in the first policy");
    assert_eq!(status(&TWO, "/v1.41/containers/json"), 401);

    // a good policy: swarm on, so services reach the engine
    std::fs::write(&policy, &swarm_on).unwrap();
    proxy.signal("HUP").unwrap();
    assert!(
        eventually(Duration::from_secs(10), || services() != 403),
        "SIGHUP did not load the new policy:\n{}",
        proxy.log_tail()
    );

    let with_two = format!("{TENANTS}  - id: fault2\n    tokens: [fault2-token]\n");
    let broken_cel = swarm_on.replacen(
        "custom:",
        "custom:\n  - id: fault.broken\n    expression: 'this is (not CEL'\n    message: x\n",
        1,
    );
    for (what, text) in [
        ("not YAML", "rules: [ this is not: valid\n".to_owned()),
        (
            "an unknown rule",
            swarm_on.replacen("rules:\n", "rules:\n  faultNoSuchRule: {}\n", 1),
        ),
        ("a CEL rule that does not compile", broken_cel),
    ] {
        std::fs::write(&tenants, &with_two).unwrap();
        std::fs::write(&policy, &text).unwrap();
        let before = failures();
        proxy.signal("HUP").unwrap();
        assert!(
            eventually(Duration::from_secs(10), || failures() > before),
            "{what}: no 'reload failed' line:\n{}",
            proxy.log_tail()
        );
        assert!(proxy.alive(), "{what}: serve died:\n{}", proxy.log_tail());
        assert_ne!(services(), 403, "{what}: the old (swarm on) policy is kept");
        assert_eq!(
            status(&ONE, "/v1.41/containers/json"),
            200,
            "{what}: fault1"
        );
        assert_eq!(
            status(&TWO, "/v1.41/containers/json"),
            401,
            "{what}: the new tenants file is not taken without its policy"
        );
    }
    // fixed: both files load
    std::fs::write(&policy, &default).unwrap();
    proxy.signal("HUP").unwrap();
    assert!(
        eventually(Duration::from_secs(10), || services() == 403
            && status(&TWO, "/v1.41/containers/json") == 200),
        "the fixed pair did not load:\n{}",
        proxy.log_tail()
    );
}
