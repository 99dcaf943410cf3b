//! `serve --keystone-url` against a real Keystone, the one
//! `tests/keystone/up.sh` starts (Debian's python3-keystone; `.ci/run` starts
//! it and sets `FDCS_E2E_KEYSTONE=1`). Skipped unless `FDCS_E2E_KEYSTONE=1`.
//!
//! Users sign in with `fdcs-policy login` and use the docker CLI unmodified:
//! alice (member of alpha) and bob (member of beta) each see only their own
//! containers; the login keeps the rest of config.json and makes it 0600;
//! carol (only `reader` on alpha) lists but cannot create (`auth.role`);
//! a garbage token and a token of another project are 401; Keystone stopped
//! is 503, and started again the same `serve` goes on.
//!
//! `FDCS_E2E_KEYSTONE_URL` (default `http://127.0.0.1:5055`) and
//! `FDCS_E2E_KEYSTONE_DIR` (default `/tmp/fdcs-ci-keystone`, up.sh's
//! `KS_DIR`) say where it is; the users and passwords are provision.py's.
//! (Not `FDCS_KEYSTONE_URL`: that is serve's own variable, and every other
//! suite's serve would read it.) Engine objects: names start with `kst-`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{cmd, docker_cli, http, proxy, scratch_dir, upstream, Engine, Proxy};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// The suites of this binary run one at a time: one of them stops Keystone.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Keystone {
    url: String,
    dir: String,
    scratch: PathBuf,
    engine: Engine,
}

/// The Keystone of `tests/keystone/up.sh`, or `None` (skip).
fn keystone(label: &str) -> Option<Keystone> {
    if std::env::var("FDCS_E2E_KEYSTONE").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set FDCS_E2E_KEYSTONE=1 with a Keystone from tests/keystone/up.sh \
             (FDCS_E2E_KEYSTONE_URL, default http://127.0.0.1:5055)"
        );
        return None;
    }
    let url =
        std::env::var("FDCS_E2E_KEYSTONE_URL").unwrap_or_else(|_| "http://127.0.0.1:5055".into());
    let dir =
        std::env::var("FDCS_E2E_KEYSTONE_DIR").unwrap_or_else(|_| "/tmp/fdcs-ci-keystone".into());
    let scratch = scratch_dir(label);
    let engine = Engine::new(&upstream(), &scratch);
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            engine.available()?;
            engine.ensure_busybox(&scratch)
        })
        .clone()
        .unwrap();
    Some(Keystone {
        url,
        dir,
        scratch,
        engine,
    })
}

impl Keystone {
    /// `serve --keystone-url` with provision.py's service user `svc`.
    fn serve(&self, extra: &[&str]) -> Proxy {
        let pwfile = self.scratch.join("svc.pw");
        std::fs::write(&pwfile, "svcpw\n").unwrap();
        let mut args = vec![
            "--keystone-url",
            &self.url,
            "--keystone-user",
            "svc",
            "--keystone-password-file",
            pwfile.to_str().unwrap(),
            "--keystone-project",
            "service",
        ];
        args.extend_from_slice(extra);
        Proxy::start(&upstream(), &args, &self.scratch).unwrap()
    }

    /// `fdcs-policy login` as `user` (password `<user>pw`) into `dir`.
    fn login(&self, dir: &Path, user: &str, project: &str) -> cmd::Out {
        let mut c = Command::new(proxy::binary().unwrap());
        c.args([
            "login",
            "--keystone",
            &self.url,
            "--user",
            user,
            "--project",
            project,
            "--config",
        ])
        .arg(dir)
        .env("OS_PASSWORD", format!("{user}pw"))
        .env_remove("DOCKER_CONFIG");
        for v in [
            "OS_AUTH_URL",
            "OS_USERNAME",
            "OS_PROJECT_NAME",
            "OS_USER_DOMAIN_NAME",
            "OS_PROJECT_DOMAIN_NAME",
        ] {
            c.env_remove(v);
        }
        cmd::run(c, Duration::from_secs(60))
    }

    /// A signed-in user: its own config directory, `login` done.
    fn user(&self, user: &str, project: &str) -> User {
        let dir = self.scratch.join(user);
        std::fs::create_dir_all(&dir).unwrap();
        let out = self.login(&dir, user, project);
        assert!(out.ok().contains("expires at"), "{out}");
        User { dir }
    }

    /// up.sh `stop` or `start`, on this Keystone.
    fn control(&self, what: &str) -> cmd::Out {
        let port = self.url.rsplit(':').next().unwrap_or("5055");
        let port = port.split('/').next().unwrap_or(port);
        let mut c = Command::new("bash");
        c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("keystone/up.sh"))
            .arg(what)
            .env("KS_DIR", &self.dir)
            .env("KS_PORT", port);
        cmd::run(c, Duration::from_secs(90))
    }

    /// Removes this suite's containers (`kst-` names) of these projects.
    fn cleanup(&self, projects: &[&str]) {
        for c in self.engine.containers() {
            if c.name.contains("kst-") && projects.contains(&c.owner.as_str()) {
                let _ = self.engine.docker(&["rm", "-f", "-v", &c.id]);
            }
        }
    }
}

struct User {
    dir: PathBuf,
}

impl User {
    fn docker(&self, host: &str, args: &[&str]) -> cmd::Out {
        let mut c = Command::new(docker_cli());
        c.arg("--config")
            .arg(&self.dir)
            .args(["-H", host])
            .args(args)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONFIG")
            .env_remove("DOCKER_CONTEXT");
        cmd::run(c, Duration::from_secs(120))
    }

    fn config(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.join("config.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn header(&self, name: &str) -> String {
        self.config()["HttpHeaders"][name]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The project id `login` wrote (`X-Auth-TenantId`).
    fn project(&self) -> String {
        self.header("X-Auth-TenantId")
    }
}

fn port(proxy: &Proxy) -> u16 {
    proxy.host().rsplit(':').next().unwrap().parse().unwrap()
}

/// `GET /containers/json` with these headers, straight to serve.
fn list(proxy: &Proxy, token: &str, tenant: &str) -> http::Response {
    http::get(
        port(proxy),
        "/v1.41/containers/json",
        &[("X-Auth-Token", token), ("X-Auth-TenantId", tenant)],
    )
    .unwrap()
}

#[test]
fn alice_and_bob_sign_in_and_each_sees_only_its_own() {
    let _one = one_at_a_time();
    let Some(ks) = keystone("keystone-users") else {
        return;
    };
    let proxy = ks.serve(&[]);
    let host = proxy.host();

    // alice's config.json has settings of her own, which login must keep
    let alice_dir = ks.scratch.join("alice");
    std::fs::create_dir_all(&alice_dir).unwrap();
    std::fs::write(
        alice_dir.join("config.json"),
        r#"{"psFormat":"table {{.Names}}\t{{.Status}}","HttpHeaders":{"X-Meta":"keep-me","X-Auth-Token":"stale"}}"#,
    )
    .unwrap();
    std::fs::set_permissions(
        alice_dir.join("config.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let alice = ks.user("alice", "alpha");
    let conf = alice.config();
    assert_eq!(conf["psFormat"], "table {{.Names}}\t{{.Status}}", "{conf}");
    assert_eq!(conf["HttpHeaders"]["X-Meta"], "keep-me", "{conf}");
    assert_ne!(alice.header("X-Auth-Token"), "stale", "{conf}");
    let mode = std::fs::metadata(alice.dir.join("config.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "config.json mode {mode:o}");
    let bob = ks.user("bob", "beta");
    let (pa, pb) = (alice.project(), bob.project());
    assert_ne!(pa, pb);
    ks.cleanup(&[&pa, &pb]);

    let run = ["run", "-d", "--name", "kst-web", "busybox", "sleep", "300"];
    let a_id = alice.docker(&host, &run).ok().to_owned();
    let b_id = bob.docker(&host, &run).ok().to_owned();
    assert_ne!(a_id, b_id);

    // each lists only its own, by the same name; alice's psFormat applies
    let a_ps = alice.docker(&host, &["ps"]);
    assert!(a_ps.ok().starts_with("NAMES"), "{a_ps}");
    assert!(a_ps.ok().contains("kst-web"), "{a_ps}");
    let a_ids = alice.docker(&host, &["ps", "-q", "--no-trunc"]);
    assert_eq!(a_ids.ok(), a_id, "{a_ps}");
    let b_ids = bob.docker(&host, &["ps", "-q", "--no-trunc"]);
    assert_eq!(b_ids.ok(), b_id);
    // and cannot touch the other's
    bob.docker(&host, &["inspect", &a_id]).fails_with("no such");
    let rm = bob.docker(&host, &["rm", "-f", &a_id]);
    assert!(rm.stderr.contains("No such container"), "{rm}");
    assert_eq!(alice.docker(&host, &["ps", "-q", "--no-trunc"]).ok(), a_id);
    // the engine's view: each container carries its project as owner
    let owners: Vec<(String, String)> = ks
        .engine
        .containers()
        .into_iter()
        .filter(|c| c.id == a_id || c.id == b_id)
        .map(|c| (c.id, c.owner))
        .collect();
    assert!(owners.contains(&(a_id.clone(), pa.clone())), "{owners:?}");
    assert!(owners.contains(&(b_id.clone(), pb.clone())), "{owners:?}");

    alice.docker(&host, &["rm", "-f", "kst-web"]).ok();
    bob.docker(&host, &["rm", "-f", "kst-web"]).ok();
    assert_eq!(alice.docker(&host, &["ps", "-aq"]).ok(), "");
    assert_eq!(bob.docker(&host, &["ps", "-aq"]).ok(), "");
    ks.cleanup(&[&pa, &pb]);
}

#[test]
fn a_reader_lists_but_cannot_run() {
    let _one = one_at_a_time();
    let Some(ks) = keystone("keystone-reader") else {
        return;
    };
    let proxy = ks.serve(&[]);
    let host = proxy.host();
    let carol = ks.user("carol", "alpha");
    carol.docker(&host, &["ps"]).ok();
    carol.docker(&host, &["ps", "-a"]).ok();
    let out = carol
        .docker(
            &host,
            &[
                "run",
                "-d",
                "--name",
                "kst-carol",
                "busybox",
                "sleep",
                "300",
            ],
        )
        .fails_with("auth.role");
    assert!(out.contains("member"), "{out}");
    let pa = carol.project();
    assert!(
        !ks.engine
            .containers()
            .iter()
            .any(|c| c.name.contains("kst-carol")),
        "a reader's run created a container"
    );
    ks.cleanup(&[&pa]);
}

#[test]
fn garbage_and_another_projects_token_are_401() {
    let _one = one_at_a_time();
    let Some(ks) = keystone("keystone-401") else {
        return;
    };
    let proxy = ks.serve(&[]);
    let alice = ks.user("alice", "alpha");
    let bob = ks.user("bob", "beta");
    let (token, pa, pb) = (alice.header("X-Auth-Token"), alice.project(), bob.project());

    let ok = list(&proxy, &token, &pa);
    assert_eq!(ok.status, 200, "{}{}", ok.head, ok.body);

    let garbage = list(&proxy, "gAAAAAB-not-a-token", &pa);
    assert_eq!(garbage.status, 401, "{}{}", garbage.head, garbage.body);
    assert!(
        garbage.body.contains("fdcs: authentication failed"),
        "{}",
        garbage.body
    );
    assert!(
        garbage.head.to_lowercase().contains("www-authenticate"),
        "{}",
        garbage.head
    );

    // alice's (valid) token, presented as beta's
    let wrong = list(&proxy, &token, &pb);
    assert_eq!(wrong.status, 401, "{}{}", wrong.head, wrong.body);
    assert!(
        wrong
            .body
            .contains(&format!("the token is not valid for tenant `{pb}`")),
        "{}",
        wrong.body
    );

    // the docker CLI shows the message
    let dir = ks.scratch.join("garbage");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"HttpHeaders":{{"X-Auth-Token":"garbage","X-Auth-TenantId":"{pa}"}}}}"#),
    )
    .unwrap();
    User { dir }
        .docker(&proxy.host(), &["ps"])
        .fails_with("fdcs: authentication failed");
}

/// Starts Keystone again however the test ends.
struct Restart<'a>(&'a Keystone);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        // no panic here: this may run while the test is panicking
        let out = self.0.control("start");
        if !out.success() {
            eprintln!("restarting Keystone failed:\n{out}");
        }
    }
}

#[test]
fn keystone_stopped_is_503_and_started_again_serve_goes_on() {
    let _one = one_at_a_time();
    let Some(ks) = keystone("keystone-outage") else {
        return;
    };
    // a 1 s cache, so that alice's token is asked about again during the outage
    let proxy = ks.serve(&["--keystone-cache-ttl", "1"]);
    let host = proxy.host();
    let alice = ks.user("alice", "alpha");
    let (token, pa) = (alice.header("X-Auth-Token"), alice.project());
    alice.docker(&host, &["ps"]).ok();

    let restart = Restart(&ks);
    ks.control("stop").ok();
    std::thread::sleep(Duration::from_millis(1500));
    let down = list(&proxy, &token, &pa);
    assert_eq!(down.status, 503, "{}{}", down.head, down.body);
    assert!(
        down.body
            .contains("fdcs: the identity service is unavailable"),
        "{}",
        down.body
    );
    assert!(
        down.head.to_lowercase().contains("retry-after"),
        "{}",
        down.head
    );
    alice
        .docker(&host, &["ps"])
        .fails_with("the identity service is unavailable");
    assert!(
        !proxy.log_lines_with("Keystone is unreachable").is_empty(),
        "{}",
        proxy.log_tail()
    );

    drop(restart); // Keystone starts again; serve is the same process
    let start = Instant::now();
    loop {
        let out = alice.docker(&host, &["ps"]);
        if out.success() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "serve did not resume after Keystone came back:\n{out}\n{}",
            proxy.log_tail()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(proxy.alive());
    assert!(
        !proxy.log_lines_with("Keystone answers again").is_empty(),
        "{}",
        proxy.log_tail()
    );
    let up = list(&proxy, &token, &pa);
    assert_eq!(up.status, 200, "{}{}", up.head, up.body);
}

impl Keystone {
    fn port(&self) -> u16 {
        let port = self.url.rsplit(':').next().unwrap_or("5055");
        port.split('/').next().unwrap_or(port).parse().unwrap()
    }

    /// A request to Keystone's v3 API itself (not through serve).
    fn api(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> http::Response {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        http::request(
            self.port(),
            method,
            &format!("/v3{path}"),
            &h,
            body.as_bytes(),
        )
        .unwrap()
    }
}

/// `date -u` this many seconds from now, as Keystone takes `expires_at`.
fn utc_in(seconds: u64) -> String {
    let mut c = Command::new("date");
    c.args([
        "-u",
        "-d",
        &format!("+{seconds} seconds"),
        "+%Y-%m-%dT%H:%M:%S",
    ]);
    cmd::run(c, Duration::from_secs(10)).ok().trim().to_owned()
}

/// Polls `list` until it answers `status`, for at most `within`.
fn until_status(
    proxy: &Proxy,
    token: &str,
    tenant: &str,
    status: u16,
    within: Duration,
) -> http::Response {
    let start = Instant::now();
    loop {
        let r = list(proxy, token, tenant);
        if r.status == status || start.elapsed() > within {
            return r;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Issue 12 item 5: a token revoked in Keystone (`DELETE /v3/auth/tokens`,
/// what `openstack token revoke` does) stops working once serve's cache
/// entry runs out (`--keystone-cache-ttl`, here 2 s: the documented
/// revocation window), and a token that expires (an application
/// credential's token, which Keystone caps at the credential's
/// `expires_at`, here 20 s away) stops working at its expiry, whatever the
/// cache TTL: both are 401 with fdcs's message, for the docker CLI too.
#[test]
fn revoked_and_expired_tokens_are_401_after_the_cache_window() {
    let _one = one_at_a_time();
    let Some(ks) = keystone("keystone-revoke") else {
        return;
    };
    let proxy = ks.serve(&["--keystone-cache-ttl", "2", "--keystone-negative-ttl", "0"]);
    let host = proxy.host();

    // revoked
    let alice = ks.user("alice", "alpha");
    let (token, pa) = (alice.header("X-Auth-Token"), alice.project());
    let ok = list(&proxy, &token, &pa);
    assert_eq!(ok.status, 200, "{}{}", ok.head, ok.body);
    let revoke = ks.api(
        "DELETE",
        "/auth/tokens",
        &[("X-Auth-Token", &token), ("X-Subject-Token", &token)],
        "",
    );
    assert_eq!(revoke.status, 204, "{}{}", revoke.head, revoke.body);
    let revoked_at = Instant::now();
    let gone = until_status(&proxy, &token, &pa, 401, Duration::from_secs(15));
    assert_eq!(
        gone.status, 401,
        "a revoked token still works: {}{}",
        gone.head, gone.body
    );
    assert!(
        gone.body.contains("fdcs: authentication failed"),
        "{}",
        gone.body
    );
    eprintln!(
        "revoked token refused {:.1} s after the revocation (cache TTL 2 s)",
        revoked_at.elapsed().as_secs_f64()
    );
    alice
        .docker(&host, &["ps"])
        .fails_with("fdcs: authentication failed");

    // expired: an application credential of alice's that lapses in 20 s
    let fresh = ks.user("alice", "alpha");
    let token = fresh.header("X-Auth-Token");
    let me = ks.api(
        "GET",
        "/auth/tokens",
        &[("X-Auth-Token", &token), ("X-Subject-Token", &token)],
        "",
    );
    assert_eq!(me.status, 200, "{}{}", me.head, me.body);
    let me: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    let user_id = me["token"]["user"]["id"].as_str().unwrap().to_owned();
    let name = format!("kst-expiring-{}", std::process::id());
    let created = ks.api(
        "POST",
        &format!("/users/{user_id}/application_credentials"),
        &[("X-Auth-Token", &token)],
        &serde_json::json!({"application_credential": {"name": name, "expires_at": utc_in(20)}})
            .to_string(),
    );
    assert_eq!(created.status, 201, "{}{}", created.head, created.body);
    let created: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let (cred_id, secret) = (
        created["application_credential"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        created["application_credential"]["secret"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    // `login` with it, the CI user's way
    let dir = ks.scratch.join("expiring");
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Command::new(proxy::binary().unwrap());
    c.args([
        "login",
        "--keystone",
        &ks.url,
        "--application-credential-id",
        &cred_id,
        "--config",
    ])
    .arg(&dir)
    .env("OS_APPLICATION_CREDENTIAL_SECRET", &secret)
    .env_remove("DOCKER_CONFIG")
    .env_remove("OS_AUTH_URL")
    .env_remove("OS_USERNAME")
    .env_remove("OS_PROJECT_NAME");
    let login = cmd::run(c, Duration::from_secs(60));
    assert!(login.ok().contains("expires at"), "{login}");
    let ci = User { dir };
    let (ci_token, ci_project) = (ci.header("X-Auth-Token"), ci.project());
    assert_eq!(ci_project, pa, "the credential's project is alpha");
    ci.docker(&host, &["ps"]).ok();
    let expired = until_status(&proxy, &ci_token, &ci_project, 401, Duration::from_secs(60));
    assert_eq!(
        expired.status, 401,
        "an expired token still works: {}{}",
        expired.head, expired.body
    );
    assert!(
        expired.body.contains("fdcs: authentication failed"),
        "{}",
        expired.body
    );
    ci.docker(&host, &["ps"])
        .fails_with("fdcs: authentication failed");
    // the user's other, unexpired token is unaffected
    let still = list(&proxy, &token, &pa);
    assert_eq!(still.status, 200, "{}{}", still.head, still.body);
    let _ = ks.api(
        "DELETE",
        &format!("/users/{user_id}/application_credentials/{cred_id}"),
        &[("X-Auth-Token", &token)],
        "",
    );
}
