//! The real engine, reached directly on its socket (never through the
//! proxy): to decide whether the suite can run, to make sure the `busybox`
//! image exists, to see the ground truth (which engine object carries which
//! owner label) and to clean up what a test created.

use crate::cmd::{self, Out};
use crate::docker_cli;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The label fdcs writes on every object it creates for a tenant.
pub const OWNER_LABEL: &str = "fdcs.tenant";

/// Direct access to one engine socket with an empty client configuration.
#[derive(Debug, Clone)]
pub struct Engine {
    /// `unix:///...` or `tcp://...`, as `docker -H` takes it.
    pub host: String,
    config: PathBuf,
}

/// One engine-side object as the engine itself reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obj {
    /// Full ID (for volumes: the name).
    pub id: String,
    /// Engine-side name, without the container name's leading `/`.
    pub name: String,
    /// Value of [`OWNER_LABEL`], empty when absent.
    pub owner: String,
    /// Containers: `running`, `exited`, ...; empty for networks and volumes.
    pub state: String,
}

impl Engine {
    /// An engine at `host`; `scratch` is a directory for an empty config.json
    /// so that the user's own docker configuration never leaks in.
    pub fn new(host: &str, scratch: &Path) -> Self {
        let config = scratch.join("engine-config");
        let _ = std::fs::create_dir_all(&config);
        let _ = std::fs::write(config.join("config.json"), "{}");
        Engine {
            host: host.to_owned(),
            config,
        }
    }

    /// Runs the docker CLI directly against the engine.
    pub fn docker(&self, args: &[&str]) -> Out {
        self.docker_timeout(args, cmd::DEFAULT_TIMEOUT)
    }

    /// Like [`Engine::docker`] with an explicit deadline.
    pub fn docker_timeout(&self, args: &[&str], timeout: Duration) -> Out {
        let mut c = Command::new(docker_cli());
        c.arg("--config")
            .arg(&self.config)
            .arg("-H")
            .arg(&self.host);
        c.args(args);
        scrub_env(&mut c);
        cmd::run(c, timeout)
    }

    /// Whether the engine answers at all.
    pub fn available(&self) -> Result<(), String> {
        let out = self.docker_timeout(
            &["version", "--format", "{{.Server.Version}}"],
            Duration::from_secs(20),
        );
        if out.success() {
            Ok(())
        } else {
            Err(out.to_string())
        }
    }

    /// Makes sure `busybox:latest` is the image `.ci/run setup` builds: the
    /// suite relies on what it has (EXPOSE 80, an index page, every applet
    /// as a file, a writable /tmp; the list and the reasons are in
    /// `tests/image/busybox.sh`, the one recipe both use). When there is none it is imported from the static
    /// `/bin/busybox`, as `.ci/run` does (no registry is reachable); when
    /// another image holds the name the error lists what it lacks and how
    /// to replace it, instead of letting tests fail far from the cause.
    /// The image's root filesystem is put together under `scratch`.
    pub fn ensure_busybox(&self, scratch: &Path) -> Result<(), String> {
        match self.busybox_script("check", scratch) {
            (Some(0), _) => return Ok(()),
            (Some(2), _) => {}
            (_, lacks) => {
                return Err(format!(
                    "the image busybox:latest on {host} is not the one `.ci/run setup` \
                     builds; it lacks:\n{}\nthe end-to-end tests need that image. Fix: \
                     as root, `DOCKER_HOST={host} bash .ci/run setup` (replaces \
                     busybox:latest with one imported from Debian's busybox-static), or \
                     `docker -H {host} rmi busybox:latest` and run the tests again (the \
                     harness then imports it from /bin/busybox)",
                    lacks.trim_end(),
                    host = self.host,
                ))
            }
        }
        let (code, out) = self.busybox_script("import", scratch);
        if code != Some(0) {
            return Err(format!("cannot import busybox:latest:\n{out}"));
        }
        match self.busybox_script("check", scratch) {
            (Some(0), _) => Ok(()),
            (_, lacks) => Err(format!(
                "imported busybox:latest still lacks:\n{}",
                lacks.trim_end()
            )),
        }
    }

    /// Runs `tests/image/busybox.sh <what>` with this engine's docker CLI:
    /// its exit code and what it printed (stdout, then stderr).
    fn busybox_script(&self, what: &str, scratch: &Path) -> (Option<i32>, String) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("image/busybox.sh");
        let mut c = Command::new("sh");
        c.arg(script)
            .arg(what)
            .arg(docker_cli())
            .arg("--config")
            .arg(&self.config)
            .arg("-H")
            .arg(&self.host);
        scrub_env(&mut c);
        c.env_remove("BUSYBOX_IMAGE").env("TMPDIR", scratch);
        let out = cmd::run(c, Duration::from_secs(120));
        (out.code, format!("{}{}", out.stdout, out.stderr))
    }

    /// All containers with their owner label (ground truth).
    pub fn containers(&self) -> Vec<Obj> {
        let ids = self.docker(&["ps", "-aq", "--no-trunc"]);
        let ids: Vec<&str> = ids.stdout.split_whitespace().collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let mut args = vec![
            "container",
            "inspect",
            "--format",
            "{{.Id}} {{.Name}} {{index .Config.Labels \"fdcs.tenant\"}}| {{.State.Status}}",
        ];
        args.extend(ids);
        // Containers removed between the two calls make inspect exit 1;
        // the others are still printed.
        parse(&self.docker(&args).stdout, true)
    }

    /// All networks with their owner label.
    pub fn networks(&self) -> Vec<Obj> {
        let ids = self.docker(&["network", "ls", "-q", "--no-trunc"]);
        let ids: Vec<&str> = ids.stdout.split_whitespace().collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let mut args = vec![
            "network",
            "inspect",
            "--format",
            "{{.Id}} {{.Name}} {{index .Labels \"fdcs.tenant\"}}|",
        ];
        args.extend(ids);
        parse(&self.docker(&args).stdout, false)
    }

    /// All volumes with their owner label (`id` is the engine-side name).
    pub fn volumes(&self) -> Vec<Obj> {
        let ids = self.docker(&["volume", "ls", "-q"]);
        let ids: Vec<&str> = ids.stdout.split_whitespace().collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let mut args = vec![
            "volume",
            "inspect",
            "--format",
            "{{.Name}} {{.Name}} {{index .Labels \"fdcs.tenant\"}}|",
        ];
        args.extend(ids);
        parse(&self.docker(&args).stdout, false)
    }

    /// Removes every container, network and volume whose engine-side name
    /// contains `tag` (what one test created). Tags are unique to one test
    /// of one run (see `fdcs_e2e::case`), so nothing else on a shared engine
    /// is at risk; the owner label is not required, so that what a broken
    /// proxy created without it is cleaned up too.
    pub fn cleanup(&self, tag: &str) {
        let mine = |o: &Obj| o.name.contains(tag);
        let cs: Vec<String> = self
            .containers()
            .into_iter()
            .filter(mine)
            .map(|o| o.id)
            .collect();
        if !cs.is_empty() {
            let mut a = vec!["rm", "-f", "-v"];
            a.extend(cs.iter().map(String::as_str));
            let _ = self.docker(&a);
        }
        let ns: Vec<String> = self
            .networks()
            .into_iter()
            .filter(mine)
            .map(|o| o.id)
            .collect();
        if !ns.is_empty() {
            let mut a = vec!["network", "rm"];
            a.extend(ns.iter().map(String::as_str));
            let _ = self.docker(&a);
        }
        let vs: Vec<String> = self
            .volumes()
            .into_iter()
            .filter(mine)
            .map(|o| o.id)
            .collect();
        if !vs.is_empty() {
            let mut a = vec!["volume", "rm", "-f"];
            a.extend(vs.iter().map(String::as_str));
            let _ = self.docker(&a);
        }
    }
}

/// Removes the environment variables through which a docker client could be
/// pointed elsewhere than the command line says.
pub(crate) fn scrub_env(c: &mut Command) {
    for v in [
        "DOCKER_HOST",
        "DOCKER_CONFIG",
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_API_VERSION",
        // docker-py (docker-compose 1.29) talks through requests, which
        // prefers these over the CA docker-py sets from DOCKER_CERT_PATH
        // (psf/requests#3829): a machine that sets them breaks its TLS
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ] {
        c.env_remove(v);
    }
    c.env("DOCKER_CLI_HINTS", "false");
}

fn parse(text: &str, container: bool) -> Vec<Obj> {
    text.lines()
        .filter_map(|l| {
            let (head, state) = l.split_once('|')?;
            // A missing label prints as `<no value>` with some templates.
            let head = head.replace("<no value>", "");
            let mut it = head.split_whitespace();
            let id = it.next()?.to_owned();
            let name = it.next()?.trim_start_matches('/').to_owned();
            let owner = it.next().unwrap_or("").to_owned();
            let state = if container {
                state.trim().to_owned()
            } else {
                String::new()
            };
            Some(Obj {
                id,
                name,
                owner,
                state,
            })
        })
        .collect()
}
