//! One `fdcs-policy serve` process on a free loopback port.
//!
//! The binary is the one cargo builds for `fdcs-cli`, found beside this test
//! executable (`target/<profile>/fdcs-policy`, which also honours
//! `CARGO_TARGET_DIR`) or named by `FDCS_POLICY_BIN`. It is (re)built once per
//! test process with `cargo build -p fdcs-cli --bin fdcs-policy`, which is a
//! no-op when it is fresh, so a stale binary is never tested.
//!
//! A test binary keeps its proxies in statics, and statics are never
//! dropped; so `serve` runs under a tiny shell watchdog that reads its stdin
//! — a pipe held by this process — and kills `serve` when the pipe closes,
//! which the kernel does however this process ends (even on SIGKILL).

use crate::cmd::{self, Out};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running `serve`, killed on drop (or when this process exits).
#[derive(Debug)]
pub struct Proxy {
    /// The loopback port it listens on.
    pub port: u16,
    /// Where its stdout and stderr go (shown when a test fails).
    pub log: PathBuf,
    pidfile: PathBuf,
    child: Mutex<Option<(Child, ChildStdin)>>,
}

/// Path of the `fdcs-policy` binary, built on first use.
pub fn binary() -> Result<&'static Path, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(build)
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

fn build() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("FDCS_POLICY_BIN") {
        return Ok(PathBuf::from(p));
    }
    // target/<profile>/deps/<this test> → target/<profile>
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the target directory")?
        .to_path_buf();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut c = Command::new(cargo);
    c.args([
        "build",
        "-p",
        "fdcs-cli",
        "--bin",
        "fdcs-policy",
        "--manifest-path",
    ])
    .arg(&manifest);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        c.arg("--release");
    }
    if let Some(target) = profile_dir.parent() {
        c.env("CARGO_TARGET_DIR", target);
    }
    let out = cmd::run(c, Duration::from_secs(900));
    let bin = profile_dir.join("fdcs-policy");
    if !out.success() {
        return Err(format!("cannot build fdcs-policy:\n{out}"));
    }
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("built, but {} is missing", bin.display()))
    }
}

/// A free loopback port (bound, read, released; the tiny race with other
/// processes is acceptable for tests).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl Proxy {
    /// Starts `fdcs-policy serve --listen tcp://127.0.0.1:<free port>
    /// --upstream <upstream> <extra>` and waits until it answers HTTP.
    pub fn start(upstream: &str, extra: &[&str], scratch: &Path) -> Result<Proxy, String> {
        let bin = binary()?;
        let port = free_port()?;
        let log = scratch.join(format!("serve-{port}.log"));
        let pidfile = scratch.join(format!("serve-{port}.pid"));
        let mut args = vec![
            "serve".to_owned(),
            "--listen".to_owned(),
            format!("tcp://127.0.0.1:{port}"),
            "--upstream".to_owned(),
            upstream.to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let quoted: Vec<String> = args
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', "")))
            .collect();
        // The watchdog: serve in the background, then block on stdin; EOF
        // (this process gone or the Proxy dropped) kills serve.
        let script = format!(
            "'{}' {} >'{}' 2>&1 </dev/null & pid=$!; echo $pid >'{}'; trap 'kill $pid 2>/dev/null' EXIT; \
             read _ignored; kill $pid 2>/dev/null; sleep 0.2; kill -9 $pid 2>/dev/null; exit 0",
            bin.display(),
            quoted.join(" "),
            log.display(),
            pidfile.display()
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start serve: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let proxy = Proxy {
            port,
            log,
            pidfile,
            child: Mutex::new(Some((child, stdin))),
        };
        // With TLS a plain HTTP probe gets no answer: accepting is enough.
        let tls = extra.contains(&"--tls-cert");
        proxy.wait_ready(Duration::from_secs(30), tls)?;
        Ok(proxy)
    }

    /// `tcp://127.0.0.1:<port>`, as `docker -H` takes it.
    pub fn host(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(30);
        lines.get(from..).unwrap_or_default().join("\n")
    }

    /// The log lines that mention `needle` (a test's tag appears in the
    /// audit line of every request that names one of its objects).
    pub fn log_lines_with(&self, needle: &str) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains(needle))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether the serve process is still alive.
    pub fn alive(&self) -> bool {
        let Ok(mut g) = self.child.lock() else {
            return false;
        };
        match g.as_mut() {
            Some((c, _)) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    fn wait_ready(&self, timeout: Duration, accept_only: bool) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if !self.alive() {
                return Err(format!(
                    "`fdcs-policy serve` exited at start; its log ({}):\n{}",
                    self.log.display(),
                    self.log_tail()
                ));
            }
            // Any HTTP answer (even 401) means it is listening and serving.
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                if accept_only {
                    return Ok(());
                }
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ =
                    s.write_all(b"GET /_ping HTTP/1.1\r\nHost: fdcs\r\nConnection: close\r\n\r\n");
                let mut buf = [0u8; 5];
                if s.read_exact(&mut buf).is_ok() && &buf == b"HTTP/" {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "`fdcs-policy serve` did not answer on port {} within {timeout:?}; its log:\n{}",
            self.port,
            self.log_tail()
        ))
    }

    /// The pid of the serve process itself (not of its watchdog), for
    /// looking at what it holds open in `/proc/<pid>`.
    pub fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// Sends a signal (`HUP`, `TERM`, ...) to the serve process itself.
    pub fn signal(&self, sig: &str) -> Result<(), String> {
        let pid = std::fs::read_to_string(&self.pidfile).map_err(|e| e.to_string())?;
        let mut c = Command::new("kill");
        c.arg(format!("-{sig}")).arg(pid.trim());
        let out = cmd::run(c, Duration::from_secs(10));
        if out.success() {
            Ok(())
        } else {
            Err(out.to_string())
        }
    }

    /// Stops the server now (closing the watchdog's stdin).
    pub fn stop(&self) {
        if let Ok(mut g) = self.child.lock() {
            if let Some((mut c, stdin)) = g.take() {
                drop(stdin);
                let _ = c.wait();
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A helper so tests can show the serve log next to a failing command.
pub fn explain(out: &Out, proxy: &Proxy) -> String {
    format!(
        "{out}\n--- serve log (last lines) ---\n{}",
        proxy.log_tail()
    )
}
