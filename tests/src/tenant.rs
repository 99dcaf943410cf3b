//! A tenant as its user would be set up: an ordinary docker CLI (and
//! docker-compose) whose `config.json` carries the two fdcs headers in
//! `HttpHeaders`, pointed at the proxy with `-H` (`DOCKER_HOST` for compose).
//!
//! docker-compose 1.29 is docker-py underneath, which reads `HttpHeaders`
//! from `$DOCKER_CONFIG/config.json` and adds them to every request
//! (`docker/utils/decorators.py: update_headers`), so the same directory
//! serves both clients.

use crate::cmd::{self, Out};
use crate::docker_cli;
use crate::engine::scrub_env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One tenant's client configuration.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The tenant id (`X-Auth-TenantId`).
    pub id: String,
    /// The token it presents (`X-Auth-Token`).
    pub token: String,
    /// The directory holding its `config.json` (`--config`, `DOCKER_CONFIG`).
    pub config: PathBuf,
    /// The proxy, `tcp://127.0.0.1:PORT`.
    pub host: String,
}

impl Tenant {
    /// Writes `<scratch>/<label>/config.json` with the given headers.
    /// `headers` is a list of (name, value); an empty list makes a client
    /// that sends no fdcs headers at all.
    pub fn with_headers(
        label: &str,
        id: &str,
        token: &str,
        headers: &[(&str, &str)],
        host: &str,
        scratch: &Path,
    ) -> Tenant {
        let config = scratch.join(format!("tenant-{label}"));
        let _ = std::fs::create_dir_all(&config);
        let mut map = serde_json::Map::new();
        for (k, v) in headers {
            map.insert((*k).to_owned(), serde_json::Value::String((*v).to_owned()));
        }
        let json = serde_json::json!({ "HttpHeaders": map });
        let _ = std::fs::write(config.join("config.json"), json.to_string());
        Tenant {
            id: id.to_owned(),
            token: token.to_owned(),
            config,
            host: host.to_owned(),
        }
    }

    /// The normal tenant: its own token and its own id.
    pub fn new(id: &str, token: &str, host: &str, scratch: &Path) -> Tenant {
        Tenant::with_headers(
            id,
            id,
            token,
            &[("X-Auth-Token", token), ("X-Auth-TenantId", id)],
            host,
            scratch,
        )
    }

    /// `docker --config DIR -H HOST <args>`.
    pub fn docker(&self, args: &[&str]) -> Out {
        self.docker_timeout(args, cmd::DEFAULT_TIMEOUT)
    }

    /// Like [`Tenant::docker`] with an explicit deadline.
    pub fn docker_timeout(&self, args: &[&str], timeout: Duration) -> Out {
        let mut c = Command::new(docker_cli());
        scrub_env(&mut c);
        c.arg("--config")
            .arg(&self.config)
            .arg("-H")
            .arg(&self.host);
        c.args(args);
        cmd::run(c, timeout)
    }

    /// Like [`Tenant::docker`] with another docker CLI binary (e.g. the
    /// Debian CLI 20.10 at `/usr/bin/docker`) and extra environment.
    pub fn docker_bin(&self, bin: &str, env: &[(&str, &str)], args: &[&str]) -> Out {
        let mut c = Command::new(bin);
        scrub_env(&mut c);
        for (k, v) in env {
            c.env(k, v);
        }
        c.arg("--config")
            .arg(&self.config)
            .arg("-H")
            .arg(&self.host);
        c.args(args);
        cmd::run(c, cmd::DEFAULT_TIMEOUT)
    }

    /// Like [`Tenant::docker`], feeding `input` to the CLI's stdin.
    pub fn docker_stdin(&self, input: &[u8], args: &[&str]) -> Out {
        let mut c = Command::new(docker_cli());
        scrub_env(&mut c);
        c.arg("--config")
            .arg(&self.config)
            .arg("-H")
            .arg(&self.host);
        c.args(args);
        cmd::run_with_input(c, Some(input.to_vec()), cmd::DEFAULT_TIMEOUT)
    }

    /// Like [`Tenant::docker`] with extra environment variables.
    pub fn docker_env(&self, env: &[(&str, &str)], args: &[&str]) -> Out {
        let mut c = Command::new(docker_cli());
        scrub_env(&mut c);
        for (k, v) in env {
            c.env(k, v);
        }
        c.arg("--config")
            .arg(&self.config)
            .arg("-H")
            .arg(&self.host);
        c.args(args);
        cmd::run(c, cmd::DEFAULT_TIMEOUT)
    }

    /// `docker-compose <args>` with `DOCKER_HOST` and `DOCKER_CONFIG` set,
    /// run in `dir`.
    pub fn compose(&self, dir: &Path, args: &[&str]) -> Out {
        let bin = std::env::var("FDCS_E2E_COMPOSE").unwrap_or_else(|_| "docker-compose".to_owned());
        let mut c = Command::new(bin);
        scrub_env(&mut c);
        self.compose_run(c, dir, args)
    }

    /// Like [`Tenant::compose`] with an environment of `PATH` and `HOME`
    /// only, as `fdcs-cli/tests/lint_corpus.rs` lints the corpus: compose
    /// interpolates `${VAR}` from the environment, so a variable of the CI
    /// runner would make compose deploy another file than the one lint read.
    pub fn compose_clean_env(&self, dir: &Path, args: &[&str]) -> Out {
        let bin = std::env::var("FDCS_E2E_COMPOSE").unwrap_or_else(|_| "docker-compose".to_owned());
        let mut c = Command::new(bin);
        c.env_clear();
        for keep in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(keep) {
                c.env(keep, v);
            }
        }
        c.env("DOCKER_CLI_HINTS", "false");
        self.compose_run(c, dir, args)
    }

    /// Like [`Tenant::compose`] with extra environment variables (e.g.
    /// `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`, docker-py's TLS setup).
    pub fn compose_env(&self, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
        let bin = std::env::var("FDCS_E2E_COMPOSE").unwrap_or_else(|_| "docker-compose".to_owned());
        let mut c = Command::new(bin);
        scrub_env(&mut c);
        for (k, v) in env {
            c.env(k, v);
        }
        self.compose_run(c, dir, args)
    }

    fn compose_run(&self, mut c: Command, dir: &Path, args: &[&str]) -> Out {
        c.env("DOCKER_HOST", &self.host)
            .env("DOCKER_CONFIG", &self.config)
            .env("COMPOSE_INTERACTIVE_NO_CLI", "1")
            .current_dir(dir)
            .args(args);
        cmd::run(c, Duration::from_secs(180))
    }
}
