//! # fdcs-e2e — the end-to-end harness
//!
//! Drives the real `docker` CLI and `docker-compose` as two tenants, `alpha`
//! and `beta` (the demo tenants of `policies/demo-tenants.yaml`), through one
//! `fdcs-policy serve` per test binary, against a real dockerd; and checks
//! after every test, against the engine itself, that neither tenant can see
//! or touch the other's objects ([`assert_isolated`]).
//!
//! ## When there is no engine
//!
//! If the engine does not answer, a test prints `skipped: no docker engine`
//! and returns — so that `cargo test --workspace` works on a laptop without
//! Docker — unless `CI=true` or `FDCS_E2E=1`, where a missing engine is a
//! failure (`.ci/run` sets `FDCS_E2E=1`). Everything else (the binary does
//! not build, `serve` does not start) always fails.
//!
//! ## Knobs
//!
//! `FDCS_E2E_UPSTREAM` (default `unix:///var/run/docker.sock`),
//! `FDCS_E2E_DOCKER` (default `/usr/local/bin/docker`, else `docker` on
//! `PATH`), `FDCS_E2E_COMPOSE` (default `docker-compose`), `FDCS_POLICY_BIN`
//! (use this binary instead of building one).
//!
//! ## Engine restarts
//!
//! The tests that stop and start an engine, or that prune, never touch the
//! machine's engine: they start a second, throwaway dockerd (as root, in a
//! network namespace of its own, see [`dockerd`]) with its own `serve`.
//! Without root or `dockerd` they skip, unless CI requires the suite.
//! The swarm suite runs the same way on a throwaway single-node Swarm
//! ([`swarm`]).
#![forbid(unsafe_code)]
// This crate is a test harness: a failed expectation is reported by
// panicking, exactly like `assert!` in a test.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: failing is panicking"
)]

pub mod cmd;
pub mod dockerd;
pub mod engine;
pub mod http;
pub mod isolation;
pub mod proxy;
pub mod registry;
pub mod swarm;
pub mod tenant;

pub use cmd::Out;
pub use engine::Engine;
pub use isolation::assert_isolated;
pub use proxy::Proxy;
pub use tenant::Tenant;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The docker CLI to drive (CLI 28 by default).
pub fn docker_cli() -> String {
    if let Ok(p) = std::env::var("FDCS_E2E_DOCKER") {
        return p;
    }
    if Path::new("/usr/local/bin/docker").is_file() {
        "/usr/local/bin/docker".to_owned()
    } else {
        "docker".to_owned()
    }
}

/// Whether a missing engine must fail the suite instead of skipping it.
pub fn engine_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
        || std::env::var("FDCS_E2E").is_ok_and(|v| v == "1")
}

/// The engine socket the proxy fronts.
pub fn upstream() -> String {
    std::env::var("FDCS_E2E_UPSTREAM").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
}

/// The fixtures folder (`tests/fixtures`).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// What one test binary shares: the engine, one proxy, two tenants.
#[derive(Debug)]
pub struct Env {
    /// The real engine, on its own socket.
    pub engine: Engine,
    /// The proxy under test.
    pub proxy: Proxy,
    /// Tenant `alpha` (token `alpha-token`).
    pub alpha: Tenant,
    /// Tenant `beta` (token `beta-token`).
    pub beta: Tenant,
    /// A scratch directory private to this test process.
    pub scratch: PathBuf,
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch_dir(label: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("fdcs-e2e-{}-{label}-{n}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A tenants file with the demo tenants (`alpha`/`alpha-token`,
/// `beta`/`beta-token`, beta with the demo file's lower ceilings and
/// busybox-only images) and an operator's roomy quotas: the suites of one
/// binary run in parallel as the same two tenants, and together they hold
/// more than the policy's default quotas allow. Quotas themselves are
/// tested with the policy's defaults in `tests/tests/quotas.rs`.
pub fn roomy_tenants(scratch: &Path) -> Result<PathBuf, String> {
    let path = scratch.join("tenants-roomy.yaml");
    let text = format!(
        "tenants:\n  - id: alpha\n    tokens: [alpha-token]\n    quotas: {ROOMY_QUOTAS}\n  \
         - id: beta\n    tokens: [beta-token]\n    quotas: {ROOMY_QUOTAS}\n    \
         limits: {{ memory: 512Mi, cpus: 1, pids: 512, images: [\"busybox*\"] }}\n"
    );
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// Quotas no suite reaches: the suites of one binary run in parallel.
const ROOMY_QUOTAS: &str = "{ containers: 1000, memory: 256Gi, cpus: 256, pids: 1000000, \
                            publishedPorts: 1000, volumes: 1000, networks: 200 }";

/// A `serve` of a suite's own in front of `upstream`, for tenants of its own
/// (`<id>` with token `<id>-token`, roomy quotas): suites that need ids no
/// other suite uses (a prefix of another id, tenants that prune) get them
/// without sharing the binary's alpha and beta. The tenants come back in the
/// order of `ids`.
pub fn serve_for(
    upstream: &str,
    ids: &[&str],
    scratch: &Path,
) -> Result<(Proxy, Vec<Tenant>), String> {
    let mut text = String::from("tenants:\n");
    for id in ids {
        text.push_str(&format!(
            "  - id: {id}\n    tokens: [{id}-token]\n    quotas: {ROOMY_QUOTAS}\n"
        ));
    }
    let path = scratch.join(format!("tenants-{}.yaml", ids.join("-")));
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    let proxy = Proxy::start(
        upstream,
        &["--tenants", &path.display().to_string()],
        scratch,
    )?;
    let host = proxy.host();
    let tenants = ids
        .iter()
        .map(|id| Tenant::new(id, &format!("{id}-token"), &host, scratch))
        .collect();
    Ok((proxy, tenants))
}

enum Setup {
    Ready(Box<Env>),
    Skip,
    Broken(String),
}

fn setup() -> Setup {
    let scratch = scratch_dir("env");
    let engine = Engine::new(&upstream(), &scratch);
    if let Err(why) = engine.available() {
        if engine_required() {
            return Setup::Broken(format!(
                "no docker engine at {} and CI=true or FDCS_E2E=1 says there must be one:\n{why}",
                engine.host
            ));
        }
        return Setup::Skip;
    }
    if let Err(why) = engine.ensure_busybox(&scratch) {
        return Setup::Broken(why);
    }
    let tenants = match roomy_tenants(&scratch) {
        Ok(t) => t,
        Err(why) => return Setup::Broken(why),
    };
    let proxy = match Proxy::start(
        &engine.host,
        &["--tenants", &tenants.display().to_string()],
        &scratch,
    ) {
        Ok(p) => p,
        Err(why) => return Setup::Broken(why),
    };
    let host = proxy.host();
    Setup::Ready(Box::new(Env {
        alpha: Tenant::new("alpha", "alpha-token", &host, &scratch),
        beta: Tenant::new("beta", "beta-token", &host, &scratch),
        engine,
        proxy,
        scratch,
    }))
}

/// The shared environment of this test binary; `None` means "skip" (no
/// engine and none required). Panics when the environment is required and
/// cannot be set up.
#[track_caller]
pub fn env() -> Option<&'static Env> {
    static ENV: OnceLock<Setup> = OnceLock::new();
    match ENV.get_or_init(setup) {
        Setup::Ready(e) => Some(e),
        Setup::Skip => {
            eprintln!("skipped: no docker engine");
            None
        }
        Setup::Broken(why) => panic!("end-to-end environment: {why}"),
    }
}

/// One test: a unique tag for the names it creates, the isolation check at
/// [`Case::finish`], and cleanup (through the engine socket) however the
/// test ends.
#[derive(Debug)]
pub struct Case {
    /// The shared environment.
    pub env: &'static Env,
    /// Unique to this test in this run; part of every name the test creates.
    pub tag: String,
}

/// Starts a test; `None` means skip (see [`env`]).
#[track_caller]
pub fn case() -> Option<Case> {
    static N: AtomicU32 = AtomicU32::new(0);
    let env = env()?;
    let n = N.fetch_add(1, Ordering::Relaxed);
    // `z..y` delimits the counter so that no tag is a substring of another.
    let tag = format!("x{:x}z{n}y", std::process::id());
    Some(Case { env, tag })
}

impl Case {
    /// `<base>-<tag>`: a name unique to this test.
    pub fn name(&self, base: &str) -> String {
        format!("{base}-{}", self.tag)
    }

    /// Tenant alpha.
    pub fn alpha(&self) -> &'static Tenant {
        &self.env.alpha
    }

    /// Tenant beta.
    pub fn beta(&self) -> &'static Tenant {
        &self.env.beta
    }

    /// Runs `f` for alpha and beta at the same time, with the same names;
    /// a failure in either fails the test with that tenant's message.
    pub fn both<F>(&self, f: F)
    where
        F: Fn(&Tenant) + Sync,
    {
        std::thread::scope(|s| {
            let ha = s.spawn(|| f(self.alpha()));
            let hb = s.spawn(|| f(self.beta()));
            for h in [ha, hb] {
                if let Err(p) = h.join() {
                    std::panic::resume_unwind(p);
                }
            }
        });
    }

    /// The invariant check every test ends with.
    #[track_caller]
    pub fn finish(self) {
        let e = self.env;
        assert!(
            e.proxy.alive(),
            "the proxy died during the test; its log:\n{}",
            e.proxy.log_tail()
        );
        assert_isolated(&e.engine, &e.alpha, &e.beta, &self.tag);
    }
}

impl Drop for Case {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Shown with the failure: what the proxy decided about this
            // test's requests (rule ids, statuses).
            eprintln!(
                "--- serve audit lines of this test (log: {}) ---\n{}",
                self.env.proxy.log.display(),
                self.env.proxy.log_lines_with(&self.tag)
            );
        }
        self.env.engine.cleanup(&self.tag);
    }
}
