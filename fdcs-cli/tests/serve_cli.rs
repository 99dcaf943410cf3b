//! `fdcs-policy serve` as an operator deploys it (issue 10, item 8): every
//! setting from `FDCS_*` variables, the secret from a file, unix sockets
//! with a mode and a group, readiness apart from liveness, the peer in the
//! audit line, completions for the shells, the commit in `--version`.
//!
//! No engine is needed: serve starts without one (the readiness endpoint
//! then says so, which is what these tests check). The real engine's side
//! is tests/tests/operator.rs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_fdcs-policy");

fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fdcs-serve-cli-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A serve process, killed on drop.
struct Serve {
    child: Child,
    log: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// `serve` with no arguments at all: everything from `env`.
    fn from_env(env: &[(&str, String)], dir: &Path) -> Serve {
        let log = dir.join("serve.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut c = Command::new(BIN);
        c.arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (k, v) in env {
            c.env(k, v);
        }
        Serve {
            child: c.spawn().unwrap(),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for(&mut self, what: &str, ok: impl Fn() -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if ok() {
                return;
            }
            if let Ok(Some(s)) = self.child.try_wait() {
                panic!("serve exited ({s}) before {what}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no {what} within 20 s:\n{}", self.log());
    }
}

/// One HTTP/1.1 request on `s`; the raw answer.
fn exchange(mut s: impl Read + Write, head: &str) -> String {
    s.write_all(head.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn get_tcp(port: u16, path: &str) -> String {
    let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    exchange(
        s,
        &format!("GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n"),
    )
}

/// A group this process may give a file: `daemon` as root (on every
/// Debian host), else the user's own primary group.
fn a_group() -> (String, u32) {
    let out = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&out.stdout).trim() == "0" {
        let gid = Command::new("getent")
            .args(["group", "daemon"])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&gid.stdout).into_owned();
        let n = line.split(':').nth(2).unwrap().parse().unwrap();
        return ("daemon".to_string(), n);
    }
    let name = Command::new("id").arg("-gn").output().unwrap();
    let gid = Command::new("id").arg("-g").output().unwrap();
    (
        String::from_utf8_lossy(&name.stdout).trim().to_string(),
        String::from_utf8_lossy(&gid.stdout).trim().parse().unwrap(),
    )
}

#[test]
fn settings_from_fdcs_variables_alone_take_effect() {
    let dir = scratch("env");
    let sock = dir.join("tenants.sock");
    let admin = free_port();
    let (group, gid) = a_group();
    let tenants = dir.join("tenants.yaml");
    std::fs::write(&tenants, "tenants:\n  - id: opd\n    tokens: [opd-token]\n").unwrap();
    let mut serve = Serve::from_env(
        &[
            ("FDCS_LISTEN", format!("unix://{}", sock.display())),
            ("FDCS_LISTEN_MODE", "0660".into()),
            ("FDCS_LISTEN_GROUP", group.clone()),
            ("FDCS_ADMIN_LISTEN", format!("tcp://127.0.0.1:{admin}")),
            ("FDCS_TENANTS", tenants.display().to_string()),
            // an engine that is not there: readiness must say so
            (
                "FDCS_UPSTREAM",
                format!("unix://{}", dir.join("no-engine.sock").display()),
            ),
            ("FDCS_LOG_FORMAT", "json".into()),
        ],
        &dir,
    );
    serve.wait_for("the admin listener", || {
        std::net::TcpStream::connect(("127.0.0.1", admin)).is_ok()
    });
    serve.wait_for("the unix socket", || sock.exists());

    // --listen-mode and --listen-group, from the environment
    let meta = std::fs::metadata(&sock).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660, "socket mode");
    assert_eq!(meta.gid(), gid, "socket group (wanted {group})");

    // liveness: the process serves; readiness: the engine is missing
    let health = get_tcp(admin, "/_fdcs/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let ready = get_tcp(admin, "/_fdcs/ready");
    assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
    assert!(
        ready.contains(r#"{"message":"fdcs: not ready: the engine at unix://"#),
        "{ready}"
    );

    // a tenant's request over the unix socket: the engine is down, so it
    // is an error (not an allow), and its audit line names the peer
    let s = UnixStream::connect(&sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let answer = exchange(
        s,
        "GET /v1.41/version HTTP/1.1\r\nHost: fdcs\r\nX-Auth-Token: opd-token\r\n\
         X-Auth-TenantId: opd\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id: "),
        "{answer}"
    );
    let metrics = get_tcp(admin, "/_fdcs/metrics");
    assert!(
        metrics.contains("fdcs_requests_total{verdict=\"error\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("fdcs_requests_total{verdict=\"allow\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("fdcs_in_flight_requests 0"), "{metrics}");
    assert!(metrics.contains("fdcs_build_info{version=\""), "{metrics}");
    let log = serve.log();
    let audit = log
        .lines()
        .find(|l| l.contains("fdcs::audit"))
        .unwrap_or_else(|| panic!("no audit line:\n{log}"));
    // FDCS_LOG_FORMAT=json took effect too
    let line: serde_json::Value = serde_json::from_str(audit).unwrap();
    let fields = &line["fields"];
    let me = format!("unix:uid={}", my_uid());
    assert!(fields["peer"].as_str().unwrap().starts_with(&me), "{audit}");
    assert_eq!(fields["verdict"], "error", "{audit}");
    assert_eq!(fields["status"], 502, "{audit}");
    assert_eq!(fields["request_id"].as_str().unwrap().len(), 16, "{audit}");
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
}

/// This process's uid, from `id -u`.
fn my_uid() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn serve_output(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.arg("serve")
        .args(args)
        .env_remove("FDCS_KEYSTONE_PASSWORD");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn a_missing_password_file_is_a_clear_error_with_exit_code_2() {
    let dir = scratch("secret");
    let missing = dir.join("no-such-password");
    let port = format!("tcp://127.0.0.1:{}", free_port());
    let out = serve_output(
        &[
            "--listen",
            &port,
            "--keystone-url",
            "http://127.0.0.1:9",
            "--keystone-user",
            "fdcs",
            "--keystone-project",
            "service",
        ],
        &[("FDCS_KEYSTONE_PASSWORD_FILE", missing.to_str().unwrap())],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("reading the secret file `{}`", missing.display())),
        "{err}"
    );
    // a value and a file at once: which one counts would be a guess
    let out = serve_output(
        &[
            "--keystone-url",
            "http://127.0.0.1:9",
            "--keystone-password",
            "x",
            "--keystone-password-file",
            missing.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_listen_group_stops_the_start() {
    let dir = scratch("group");
    let sock = format!("unix://{}", dir.join("s.sock").display());
    let out = serve_output(
        &["--listen", &sock, "--listen-group", "fdcs-no-such-group"],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no such group"), "{err}");
    assert!(!dir.join("s.sock").exists(), "the socket was left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_are_scripts_the_shells_accept() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(script.contains("fdcs-policy"), "{shell}: {script}");
        assert!(script.contains("listen-group"), "{shell}");
        if shell == "bash" {
            let path = std::env::temp_dir().join(format!("fdcs-cli-{}.bash", std::process::id()));
            std::fs::write(&path, &script).unwrap();
            let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
            let _ = std::fs::remove_file(&path);
            assert!(
                check.status.success(),
                "bash -n: {}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
}

#[test]
fn version_names_the_commit() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (head, commit) = text
        .strip_suffix(')')
        .and_then(|t| t.split_once(" ("))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(head, concat!("fdcs-policy ", env!("CARGO_PKG_VERSION")));
    // built from a git checkout (as here): the commit, never `unknown`
    let in_git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .is_ok_and(|o| o.status.success());
    if in_git {
        assert!(
            commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{text}"
        );
    } else {
        assert_eq!(commit, "unknown", "{text}");
    }
}

/// serve's log on a terminal (a pty from util-linux `script`), with and
/// without `NO_COLOR`; `None` where there is no `script`.
fn log_on_a_terminal(no_color: bool) -> Option<String> {
    let dir = scratch(if no_color { "nocolor" } else { "color" });
    let cmd = format!(
        "timeout 3 {BIN} serve --listen tcp://127.0.0.1:0 --upstream unix://{}/none.sock",
        dir.display()
    );
    let mut c = Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
    if no_color {
        c.env("NO_COLOR", "1");
    }
    let out = c.output().ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("policy loaded"),
        "serve did not start:\n{text}"
    );
    Some(text)
}

#[test]
fn no_color_keeps_colours_off_a_terminal_log() {
    let (Some(colour), Some(plain)) = (log_on_a_terminal(false), log_on_a_terminal(true)) else {
        eprintln!("skipped: no `script` to run serve on a terminal");
        return;
    };
    // on a terminal serve colours its log; NO_COLOR turns that off
    assert!(
        colour.contains("\x1b["),
        "no colours on a terminal:\n{colour}"
    );
    assert!(
        !plain.contains("\x1b["),
        "colours despite NO_COLOR:\n{plain:?}"
    );
}
