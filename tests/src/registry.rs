//! A real image registry on loopback, a private image pushed into it, and a
//! plain TCP listener that counts who connects: what the registry tests
//! (issue 7) need to show that the daemon contacts only the registries the
//! policy lists, and that a private image stays with the tenants that
//! pulled it.
//!
//! ## The registry
//!
//! Debian's `docker-registry` (the distribution registry 2.8, package
//! `docker-registry`; `.ci/run` installs it with `apache2-utils` for
//! `htpasswd`), started by the test as a child process on a free loopback
//! port with filesystem storage in a scratch directory and htpasswd basic
//! auth (bcrypt, as the registry requires: `htpasswd -Bbn`). The daemon
//! treats `127.0.0.0/8` as insecure registries by default, so it speaks
//! plain HTTP to it and sends basic auth over HTTP; no certificate is
//! needed (verified: `docker login`, push and pull with credentials work,
//! a pull without them fails with `no basic auth credentials`).
//!
//! Like `serve` (see [`crate::proxy`]), the registry runs under a shell
//! watchdog that blocks on a pipe held by this process and kills the
//! registry, then removes its storage, when the pipe closes — however this
//! process ends.
//!
//! ## The private image
//!
//! [`Registry::push_private`] builds an image of its own with `docker
//! import` of a tiny root (`/bin/busybox`, `sh` and `cat`, and `/secret`
//! holding a per-run string, so that its id is unique to the run), tags it
//! `127.0.0.1:<port>/<repo>:<tag>`, logs in with a scratch client config,
//! pushes it through the engine's own socket (never through fdcs) and
//! removes it from the engine again, so that a tenant's pull really fetches
//! it from the registry.
//!
//! ## The listener
//!
//! [`Listener`] stands where a registry that the policy does not list would
//! be: it accepts on `127.0.0.1:<port>` (and `[::1]:<port>` when the machine
//! has IPv6 loopback), counts connections, keeps the first bytes of each for
//! failure messages and answers a 404, so that a daemon that does connect
//! fails fast instead of hanging.

use crate::cmd::{self, Out};
use crate::docker_cli;
use crate::engine::scrub_env;
use crate::http;
use crate::proxy::free_port;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where Debian's `docker-registry` package installs the registry.
pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// The basic-auth realm the registry announces.
pub const REALM: &str = "fdcs-e2e";

/// The registry binary: `FDCS_E2E_REGISTRY` or [`REGISTRY_BIN`].
pub fn registry_binary() -> PathBuf {
    std::env::var_os("FDCS_E2E_REGISTRY").map_or_else(|| PathBuf::from(REGISTRY_BIN), PathBuf::from)
}

/// Why the registry tests cannot run here (`docker-registry` or `htpasswd`
/// missing), or `None` when they can.
pub fn missing_tools() -> Option<String> {
    let bin = registry_binary();
    if !bin.is_file() {
        return Some(format!(
            "{} is missing (Debian package docker-registry; `.ci/run setup` installs it)",
            bin.display()
        ));
    }
    let mut c = Command::new("htpasswd");
    c.arg("-Bbn").arg("probe").arg("probe");
    let out = cmd::run(c, Duration::from_secs(20));
    if !out.success() {
        return Some(format!(
            "htpasswd does not work (Debian package apache2-utils; `.ci/run setup` installs it):\n{out}"
        ));
    }
    None
}

/// A running registry with htpasswd auth, killed on drop (or when this
/// process exits).
#[derive(Debug)]
pub struct Registry {
    /// The loopback port it listens on.
    pub port: u16,
    /// The user htpasswd knows.
    pub user: String,
    /// That user's password.
    pub password: String,
    /// Its scratch directory (config, htpasswd, storage, log).
    pub dir: PathBuf,
    /// Where its output goes.
    pub log: PathBuf,
    pidfile: PathBuf,
    child: Mutex<Option<(Child, ChildStdin)>>,
}

/// An image pushed to the registry and removed from the engine.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `127.0.0.1:<port>/<repo>:<tag>`.
    pub reference: String,
    /// `127.0.0.1:<port>/<repo>`.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The full image id, 64 hex digits without `sha256:` (a pull of the
    /// pushed image yields the same id: it is the digest of its config).
    pub id: String,
    /// What `/secret` holds in the image.
    pub secret: String,
}

impl Pushed {
    /// The first 12 hex digits of the id, as `docker images` shows it.
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

impl Registry {
    /// Starts the registry on a free loopback port with one htpasswd user
    /// and waits until `GET /v2/` answers 401. Retries on another port when
    /// the chosen one was taken in the meantime.
    pub fn start(scratch: &Path, user: &str, password: &str) -> Result<Registry, String> {
        if let Some(why) = missing_tools() {
            return Err(why);
        }
        let mut last = String::new();
        for attempt in 0..4 {
            let port = free_port()?;
            let dir = scratch.join(format!("registry-{port}-{attempt}"));
            match Registry::start_on(&dir, port, user, password) {
                Ok(r) => return Ok(r),
                Err(why) => last = why,
            }
        }
        Err(last)
    }

    fn start_on(dir: &Path, port: u16, user: &str, password: &str) -> Result<Registry, String> {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let htpasswd = dir.join("htpasswd");
        let mut c = Command::new("htpasswd");
        c.arg("-Bbn").arg(user).arg(password);
        let out = cmd::run(c, Duration::from_secs(20));
        if !out.success() {
            return Err(format!("htpasswd -Bbn failed:\n{out}"));
        }
        std::fs::write(&htpasswd, out.stdout.trim_end().to_owned() + "\n")
            .map_err(|e| e.to_string())?;
        let config = dir.join("config.yml");
        let yaml = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n\
             auth:\n  htpasswd:\n    realm: {REALM}\n    path: {}\n",
            data.display(),
            htpasswd.display()
        );
        std::fs::write(&config, yaml).map_err(|e| e.to_string())?;
        let log = dir.join("registry.log");
        let pidfile = dir.join("registry.pid");
        // The watchdog (see the module docs): EOF on stdin kills the
        // registry and removes its storage.
        let script = format!(
            "'{}' serve '{}' >'{}' 2>&1 </dev/null & pid=$!; echo $pid >'{}'; \
             trap 'kill $pid 2>/dev/null' EXIT; \
             read _ignored; kill $pid 2>/dev/null; sleep 0.2; kill -9 $pid 2>/dev/null; \
             rm -rf '{}'; exit 0",
            registry_binary().display(),
            config.display(),
            log.display(),
            pidfile.display(),
            data.display()
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the registry: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let registry = Registry {
            port,
            user: user.to_owned(),
            password: password.to_owned(),
            dir: dir.to_path_buf(),
            log,
            pidfile,
            child: Mutex::new(Some((child, stdin))),
        };
        registry.wait_ready(Duration::from_secs(20))?;
        Ok(registry)
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < timeout {
            if start.elapsed() > Duration::from_millis(300) && !self.alive() {
                return Err(format!(
                    "the registry exited at start; its log ({}):\n{}",
                    self.log.display(),
                    self.log_tail()
                ));
            }
            match http::get(self.port, "/v2/", &[]) {
                Ok(r) if r.status == 401 => return Ok(()),
                Ok(r) => last = format!("GET /v2/ answered {}:\n{}", r.status, r.head),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "the registry on port {} did not answer 401 on /v2/ within {timeout:?} ({last}); its log:\n{}",
            self.port,
            self.log_tail()
        ))
    }

    /// `127.0.0.1:<port>`, the registry host as image references name it.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The `Authorization` header value for the htpasswd user.
    pub fn basic_auth(&self) -> String {
        basic_auth(&self.user, &self.password)
    }

    /// Whether the registry process itself (not only its watchdog) runs.
    pub fn alive(&self) -> bool {
        let Ok(pid) = std::fs::read_to_string(&self.pidfile) else {
            return false;
        };
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        // `pid (comm) STATE ...`; a zombie has exited.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    }

    /// The last lines of the registry's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(30);
        lines.get(from..).unwrap_or_default().join("\n")
    }

    /// Builds a private image (see the module docs), pushes it as
    /// `127.0.0.1:<port>/<repo>:<tag>` through the engine at `engine_host`
    /// and removes it from the engine again.
    pub fn push_private(
        &self,
        engine_host: &str,
        scratch: &Path,
        repo: &str,
        tag: &str,
        secret: &str,
    ) -> Result<Pushed, String> {
        let work = scratch.join(format!("push-{}-{}", self.port, repo.replace('/', "_")));
        let root = work.join("root");
        let bin = root.join("bin");
        std::fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
        std::fs::copy("/bin/busybox", bin.join("busybox"))
            .map_err(|e| format!("/bin/busybox: {e}"))?;
        for applet in ["sh", "cat", "ls", "true"] {
            let _ = std::os::unix::fs::symlink("busybox", bin.join(applet));
        }
        std::fs::write(root.join("secret"), format!("{secret}\n")).map_err(|e| e.to_string())?;
        let config = work.join("client-config");
        std::fs::create_dir_all(&config).map_err(|e| e.to_string())?;
        std::fs::write(config.join("config.json"), "{}").map_err(|e| e.to_string())?;
        let docker = |args: &[&str]| -> Out {
            let mut c = Command::new(docker_cli());
            scrub_env(&mut c);
            c.arg("--config").arg(&config).arg("-H").arg(engine_host);
            c.args(args);
            cmd::run(c, Duration::from_secs(120))
        };

        let repository = format!("{}/{repo}", self.host());
        let reference = format!("{repository}:{tag}");
        if docker(&["image", "inspect", &reference]).success() {
            return Err(format!(
                "the engine already has an image {reference} (left over from another run?); not touching it"
            ));
        }
        let script = format!(
            "tar -c -C '{}' . | '{}' --config '{}' -H '{}' import --change 'ENV PATH=/bin' \
             --change 'CMD [\"sh\"]' - '{}'",
            root.display(),
            docker_cli(),
            config.display(),
            engine_host,
            reference
        );
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        scrub_env(&mut c);
        let imported = cmd::run(c, Duration::from_secs(120));
        if !imported.success() {
            return Err(format!("cannot import the private image:\n{imported}"));
        }
        let id = imported
            .stdout
            .trim()
            .trim_start_matches("sha256:")
            .to_owned();
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("docker import printed no image id:\n{imported}"));
        }
        let pushed = Pushed {
            reference: reference.clone(),
            repository,
            tag: tag.to_owned(),
            id: id.clone(),
            secret: secret.to_owned(),
        };
        let steps = || -> Result<(), String> {
            let login = docker(&[
                "login",
                &self.host(),
                "-u",
                &self.user,
                "-p",
                &self.password,
            ]);
            if !login.success() || !login.stdout.contains("Login Succeeded") {
                return Err(format!("docker login to the registry failed:\n{login}"));
            }
            let push = docker(&["push", &reference]);
            if !push.success() {
                return Err(format!(
                    "docker push failed:\n{push}\n--- registry log ---\n{}",
                    self.log_tail()
                ));
            }
            let _ = docker(&["logout", &self.host()]);
            Ok(())
        };
        let result = steps();
        // Whatever happened: the engine must not keep the image, so that a
        // tenant's pull fetches it from the registry. It is ours (its id is
        // unique to this run), so removing it by id is safe.
        let rmi = docker(&["rmi", &reference]);
        let kept = docker(&["image", "inspect", &id]).success();
        if kept {
            let _ = docker(&["rmi", "-f", &id]);
        }
        // The root and the client config (which holds the credentials) are
        // not needed any more.
        let _ = std::fs::remove_dir_all(&work);
        result?;
        if !rmi.success() {
            return Err(format!(
                "cannot remove the pushed image from the engine:\n{rmi}"
            ));
        }
        if kept {
            return Err(format!("the engine still had {id} after `docker rmi`"));
        }
        Ok(pushed)
    }

    /// Stops the registry now (closing the watchdog's stdin).
    pub fn stop(&self) {
        if let Ok(mut g) = self.child.lock() {
            if let Some((mut c, stdin)) = g.take() {
                drop(stdin);
                let _ = c.wait();
            }
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A plain TCP listener on a free loopback port, counting connections.
#[derive(Debug)]
pub struct Listener {
    /// The port, on `127.0.0.1` (and on `[::1]` when [`Listener::ipv6`]).
    pub port: u16,
    /// Whether `[::1]:<port>` is listened on too.
    pub ipv6: bool,
    count: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Listener {
    /// Listens on a free loopback port, accepting in background threads.
    pub fn new() -> Result<Listener, String> {
        let mut last = String::new();
        for _ in 0..8 {
            let port = free_port()?;
            let v4 = match TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => l,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            // The same port on IPv6 loopback, so that `[::1]:<port>` and a
            // `localhost` that resolves to ::1 land here too.
            let v6 = TcpListener::bind(("::1", port)).ok();
            let count = Arc::new(AtomicUsize::new(0));
            let seen = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let ipv6 = v6.is_some();
            let mut threads = Vec::new();
            for l in std::iter::once(v4).chain(v6) {
                l.set_nonblocking(true).map_err(|e| e.to_string())?;
                let (count, seen, stop) = (count.clone(), seen.clone(), stop.clone());
                threads.push(std::thread::spawn(move || {
                    accept_loop(&l, &count, &seen, &stop)
                }));
            }
            return Ok(Listener {
                port,
                ipv6,
                count,
                seen,
                stop,
                threads,
            });
        }
        Err(format!("cannot bind a loopback listener: {last}"))
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// The first bytes each connection sent (for failure messages).
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    l: &TcpListener,
    count: &AtomicUsize,
    seen: &Arc<Mutex<Vec<String>>>,
    stop: &AtomicBool,
) {
    while !stop.load(Ordering::SeqCst) {
        match l.accept() {
            Ok((s, peer)) => {
                // Counted at once; what it sent is recorded when it arrives.
                count.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let first = first_bytes(s);
                    if let Ok(mut g) = seen.lock() {
                        g.push(format!("from {peer}: {first}"));
                    }
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Reads what a connection sends first (briefly), answers 404 and closes;
/// returns its first line (or says it was a TLS handshake).
fn first_bytes(mut s: TcpStream) -> String {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).unwrap_or(0);
    let _ =
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let got = buf.get(..n).unwrap_or_default();
    if got.first() == Some(&0x16) {
        return "a TLS handshake".to_owned();
    }
    let text = String::from_utf8_lossy(got);
    text.lines()
        .next()
        .unwrap_or_default()
        .escape_debug()
        .to_string()
}

/// Adds `auths.<registry>.auth` to `<config_dir>/config.json`, keeping the
/// rest of the file: what `docker login` stores without a credential
/// helper.
pub fn store_credentials(
    config_dir: &Path,
    registry: &str,
    user: &str,
    password: &str,
) -> Result<(), String> {
    let file = config_dir.join("config.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|_| "{}".to_owned());
    let mut cfg: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let obj = cfg
        .as_object_mut()
        .ok_or_else(|| format!("{} is not a JSON object", file.display()))?;
    let auths = obj.entry("auths").or_insert_with(|| serde_json::json!({}));
    let auths = auths
        .as_object_mut()
        .ok_or_else(|| format!("`auths` in {} is not an object", file.display()))?;
    auths.insert(
        registry.to_owned(),
        serde_json::json!({ "auth": base64(format!("{user}:{password}").as_bytes(), STANDARD) }),
    );
    std::fs::write(&file, cfg.to_string()).map_err(|e| format!("{}: {e}", file.display()))
}

/// `Basic <base64(user:password)>`.
pub fn basic_auth(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64(format!("{user}:{password}").as_bytes(), STANDARD)
    )
}

/// Base64url with padding, as the docker CLI encodes `X-Registry-Auth`
/// (Go's `base64.URLEncoding`).
pub fn base64url(bytes: &[u8]) -> String {
    base64(bytes, URL_SAFE)
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let sym = |i: u32| char::from(alphabet.get((i & 63) as usize).copied().unwrap_or(b'='));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{base64url, basic_auth};

    #[test]
    fn base64_matches_go() {
        // Go: base64.URLEncoding.EncodeToString([]byte("{\"a\":\"?>\"}"))
        assert_eq!(base64url(b"{\"a\":\"?>\"}"), "eyJhIjoiPz4ifQ==");
        assert_eq!(base64url(b"\xfb\xff"), "-_8=");
        assert_eq!(basic_auth("user", "pass"), "Basic dXNlcjpwYXNz");
        assert_eq!(base64url(b""), "");
    }
}
