//! A throwaway single-node Swarm: a [`Dockerd`] of its own (own data and
//! exec roots and socket, in a network namespace of its own with `lo` up),
//! the suite's `busybox:latest` imported into it, `docker swarm init
//! --advertise-addr 127.0.0.1` run on it; and, for the swarm suite, one
//! `serve` in front of it with the demo tenants ([`env`]).
//!
//! ## Teardown
//!
//! A test binary keeps its swarm in a static, and statics are never
//! dropped; so, as for [`crate::Proxy`], a shell watchdog started with the
//! engine reads a pipe held by this process and, when the pipe closes
//! (the [`Swarm`] dropped, or this process gone however it ended), runs
//! `docker swarm leave --force`, stops that dockerd (by its pid, after
//! checking that the pid is still the dockerd of this directory), unmounts
//! whatever of the engine is still mounted under the directory (leaving the
//! swarm leaves the network sandboxes of overlay networks mounted at
//! `<exec-root>/netns/*`) and removes the data and exec roots.
//!
//! Without root, `dockerd`, `unshare` or `ip` the swarm tests skip, unless
//! CI requires the suite (`CI=true` or `FDCS_E2E=1`), as for [`Dockerd`].

use crate::cmd::Out;
use crate::dockerd::Dockerd;
use crate::{docker_cli, Engine, Proxy, Tenant};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running single-node Swarm manager on a throwaway dockerd, torn down
/// on drop (or when this process exits).
#[derive(Debug)]
pub struct Swarm {
    /// The engine, reached directly on its socket (the operator's view).
    pub engine: Engine,
    /// The id of its one node.
    pub node: String,
    /// The scratch directory holding the engine's roots, socket and log.
    pub dir: PathBuf,
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
    // Dropped after `Swarm::drop` has left the swarm and stopped it.
    dockerd: Dockerd,
}

/// The watchdog: blocks on stdin, then tears the engine down. Arguments:
/// `$1` the directory, `$2` the dockerd pid, `$3...` the docker CLI with
/// its `--config` and `-H` options.
const WATCHDOG: &str = r#"
trap '' INT HUP
dir="$1"; pid="$2"; shift 2
read _ignored
timeout 30 "$@" swarm leave --force >/dev/null 2>&1
ours() { tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--data-root $dir/data"; }
alive() { s="$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)"; [ -n "$s" ] && [ "$s" != Z ]; }
if ours; then
    kill -TERM "$pid" 2>/dev/null
    i=0
    while [ "$i" -lt 150 ] && alive; do sleep 0.1; i=$((i + 1)); done
    if alive && ours; then kill -KILL "$pid" 2>/dev/null; sleep 0.5; fi
fi
# What is still mounted under the directory, deepest first.
awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
rm -rf "$dir/data" "$dir/exec"
exit 0
"#;

impl Swarm {
    /// A started single-node swarm in a fresh scratch directory, or `None`
    /// (after saying why) where this machine cannot run a throwaway
    /// dockerd and CI does not require it; panics when it cannot start.
    #[track_caller]
    pub fn throwaway(label: &str) -> Option<Swarm> {
        let (d, dir) = Dockerd::throwaway_loopback(label)?;
        match Swarm::init(d, &dir) {
            Ok(s) => Some(s),
            Err(why) => panic!("throwaway swarm in {}: {why}", dir.display()),
        }
    }

    /// Imports busybox into the started `d` and makes it a swarm manager.
    fn init(d: Dockerd, dir: &Path) -> Result<Swarm, String> {
        let engine = Engine::new(&d.host(), dir);
        let watchdog = watchdog(&d, dir)?;
        let mut swarm = Swarm {
            engine,
            node: String::new(),
            dir: dir.to_path_buf(),
            watchdog: Mutex::new(Some(watchdog)),
            dockerd: d,
        };
        // From here on a failure drops `swarm`, which tears it all down.
        swarm.engine.ensure_busybox(dir)?;
        let out = swarm.engine.docker_timeout(
            &[
                "swarm",
                "init",
                "--advertise-addr",
                "127.0.0.1",
                "--listen-addr",
                "127.0.0.1:2377",
            ],
            Duration::from_secs(60),
        );
        if !out.success() {
            return Err(format!("swarm init failed:\n{out}\n{}", swarm.log_tail()));
        }
        let node = swarm
            .engine
            .docker(&["info", "--format", "{{.Swarm.NodeID}}"])
            .stdout
            .trim()
            .to_owned();
        if node.is_empty() {
            return Err("swarm init succeeded but `info` shows no node id".to_owned());
        }
        swarm.node = node;
        Ok(swarm)
    }

    /// Its socket as `docker -H` and `serve --upstream` take it.
    pub fn host(&self) -> String {
        self.dockerd.host()
    }

    /// The last lines of its dockerd's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(30);
        format!(
            "--- throwaway dockerd log (last lines) ---\n{}",
            lines.get(from..).unwrap_or_default().join("\n")
        )
    }

    /// Polls (every 500 ms, up to `timeout`) until every service of
    /// `stack` runs all its replicas (`docker stack services`: `n/n`,
    /// n > 0, for each). The error holds the last listing and the tasks.
    pub fn converged(&self, stack: &str, timeout: Duration) -> Result<Duration, String> {
        let start = Instant::now();
        let mut last;
        loop {
            last = self.engine.docker(&[
                "stack",
                "services",
                stack,
                "--format",
                "{{.Name}} {{.Replicas}}",
            ]);
            let lines: Vec<&str> = last.stdout.lines().collect();
            let full = |l: &&str| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|r| r.split_once('/'))
                    .is_some_and(|(a, b)| a == b && b != "0")
            };
            if last.success() && !lines.is_empty() && lines.iter().all(full) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > timeout {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let tasks = self.engine.docker(&["stack", "ps", "--no-trunc", stack]);
        Err(format!(
            "stack {stack} did not converge within {timeout:?}:\n{last}\n{tasks}\n{}",
            self.log_tail()
        ))
    }

    /// Polls until `docker stack rm` has removed every service and network
    /// of `stack` (the network goes last, asynchronously).
    pub fn removed(&self, stack: &str, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        let filter = format!("label=com.docker.stack.namespace={stack}");
        loop {
            let s = self
                .engine
                .docker(&["service", "ls", "-q", "--filter", &filter]);
            let n = self
                .engine
                .docker(&["network", "ls", "-q", "--filter", &filter]);
            if s.success() && n.success() && s.ok().is_empty() && n.ok().is_empty() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "stack {stack} still there after {timeout:?}:\n{s}\n{n}"
                ));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// `GET /` on `127.0.0.1:<port>` inside the engine's network namespace
    /// (a busybox container on the engine's host network): the first line
    /// of the answer, e.g. `HTTP/1.1 200 OK`. (The static busybox's `wget`
    /// crashes; its `nc` is fine.)
    pub fn http_local(&self, port: u16) -> Out {
        let script =
            format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 {port} | head -n 1");
        self.engine.docker_timeout(
            &[
                "run",
                "--rm",
                "--network",
                "host",
                "busybox",
                "sh",
                "-c",
                &script,
            ],
            Duration::from_secs(30),
        )
    }

    /// Stops the engine now and waits for the teardown (idempotent).
    pub fn teardown(&mut self) {
        let _ = self
            .engine
            .docker_timeout(&["swarm", "leave", "--force"], Duration::from_secs(30));
        self.dockerd.stop();
        if let Ok(mut g) = self.watchdog.lock() {
            if let Some((mut c, stdin)) = g.take() {
                drop(stdin);
                let _ = c.wait();
            }
        }
    }
}

/// Polls `check` every 300 ms until it returns `Ok`, or `timeout` passes:
/// then the error is the last `Err` it returned, with `what` and the time.
pub fn poll<F>(what: &str, timeout: Duration, mut check: F) -> Result<Duration, String>
where
    F: FnMut() -> Result<(), String>,
{
    let start = Instant::now();
    loop {
        let last = match check() {
            Ok(()) => return Ok(start.elapsed()),
            Err(why) => why,
        };
        if start.elapsed() > timeout {
            return Err(format!("{what}: not within {timeout:?}:\n{last}"));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Starts the teardown watchdog for the running `d`.
fn watchdog(d: &Dockerd, dir: &Path) -> Result<(Child, ChildStdin), String> {
    let pid = d.pid().ok_or("the throwaway dockerd is not running")?;
    // An empty client configuration of its own (the user's never leaks in).
    let config = dir.join("watchdog-config");
    std::fs::create_dir_all(&config).map_err(|e| e.to_string())?;
    std::fs::write(config.join("config.json"), "{}").map_err(|e| e.to_string())?;
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(WATCHDOG)
        .arg("swarm-watchdog")
        .arg(dir)
        .arg(pid.to_string())
        .arg(docker_cli())
        .arg("--config")
        .arg(&config)
        .arg("-H")
        .arg(d.host());
    crate::engine::scrub_env(&mut c);
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the swarm watchdog: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin pipe")?;
    Ok((child, stdin))
}

impl Drop for Swarm {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// What the swarm suite of one test binary shares: the swarm, one `serve`
/// in front of it with the demo tenants and `policies/examples/swarm.yaml`,
/// and the two tenants.
#[derive(Debug)]
pub struct SwarmEnv {
    /// The throwaway single-node swarm (the operator's view: `swarm.engine`).
    pub swarm: Swarm,
    /// `serve` with the embedded demo tenants and the swarm policy,
    /// upstream the swarm.
    pub proxy: Proxy,
    /// Tenant `alpha` (token `alpha-token`).
    pub alpha: Tenant,
    /// Tenant `beta` (token `beta-token`).
    pub beta: Tenant,
    /// How long bringing the swarm up took (dockerd, busybox, init).
    pub started_in: Duration,
}

enum Setup {
    Ready(Box<SwarmEnv>),
    Skip,
    Broken(String),
}

/// The shared swarm environment of this test binary; `None` means skip
/// (said once per test). Panics when CI requires it and it cannot be had.
#[track_caller]
pub fn env() -> Option<&'static SwarmEnv> {
    static ENV: OnceLock<Setup> = OnceLock::new();
    match ENV.get_or_init(setup) {
        Setup::Ready(e) => Some(e),
        Setup::Skip => {
            eprintln!("skipped: cannot run a throwaway swarm engine");
            None
        }
        Setup::Broken(why) => panic!("swarm end-to-end environment: {why}"),
    }
}

fn setup() -> Setup {
    let start = Instant::now();
    // `throwaway` panics itself when CI requires a swarm it cannot start;
    // inside `get_or_init` that would poison every later test with an
    // unrelated message, so catch it and keep its text.
    let swarm = match std::panic::catch_unwind(|| Swarm::throwaway("swarm")) {
        Ok(Some(s)) => s,
        Ok(None) => return Setup::Skip,
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned());
            return Setup::Broken(why);
        }
    };
    let started_in = start.elapsed();
    // The swarm profile: services, stacks, secrets and configs enabled.
    let policy = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("policies")
        .join("examples")
        .join("swarm.yaml");
    let policy = policy.display().to_string();
    let proxy = match Proxy::start(&swarm.host(), &["--policy", &policy], &swarm.dir) {
        Ok(p) => p,
        Err(why) => return Setup::Broken(why),
    };
    let host = proxy.host();
    Setup::Ready(Box::new(SwarmEnv {
        alpha: Tenant::new("alpha", "alpha-token", &host, &swarm.dir),
        beta: Tenant::new("beta", "beta-token", &host, &swarm.dir),
        proxy,
        swarm,
        started_in,
    }))
}
