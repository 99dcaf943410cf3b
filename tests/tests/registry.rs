//! Images and registries get tenancy (issue 7), against a real registry.
//!
//! The harness ([`fdcs_e2e::registry`]) starts Debian's `docker-registry`
//! on loopback with htpasswd auth, pushes a private image into it through
//! the engine's own socket (`127.0.0.1:<port>/priv/app:1`, whose `/secret`
//! holds a per-run string) and removes it from the engine again. One
//! `serve` runs with a policy that lists that registry:
//!
//! ```yaml
//! rules:
//!   images:
//!     registries: [docker.io, "127.0.0.1:<port>"]
//! ```
//!
//! so `docker.io` is shared and the test registry private. Then:
//!
//! - beta logs in to it through fdcs, pulls the image, sees and runs it,
//!   and the engine holds beta's claim tag `fdcs.invalid/beta/...`;
//! - alpha, never logged in, does not see it in any list, cannot inspect,
//!   history or run it by name, id or prefix, and never reads its secret;
//! - beta's `docker rmi` drops beta's claim (and the image with it);
//! - a registry that the policy does not list (a [`Listener`]) is never
//!   contacted — by pull, login, search, distribution inspect, in any
//!   spelling of its host, nor through credentials (`X-Registry-Auth`,
//!   `/auth`) naming it.
//!
//! Most tests collect every failed expectation and report them together,
//! so that one run shows everything the proxy gets wrong.
//!
//! No traffic leaves loopback: requests whose denial the feature guarantees
//! but which a proxy without it would forward to `docker.io` (or to a
//! resolver, for hosts like `127.1`) are sent only once the proxy has shown
//! it judges that path, on a loopback twin of the request.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::registry::{base64url, missing_tools, store_credentials, Listener, Pushed, Registry};
use fdcs_e2e::{assert_isolated, cmd::Out, engine_required, http, scratch_dir, upstream};
use fdcs_e2e::{Engine, Proxy, Tenant};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The htpasswd user of the test registry.
const USER: &str = "user";
/// Its password.
const PASS: &str = "pass";
/// The private image's repository path and tag inside the test registry.
const REPO: &str = "priv/app";
const TAG: &str = "1";

/// What every test shares: the engine, the registry and the pushed image.
struct Fixture {
    engine: Engine,
    registry: Registry,
    image: Pushed,
    scratch: PathBuf,
}

/// The proxy for this binary with the registry policy, and its tenants.
struct Served {
    proxy: Proxy,
    alpha: Tenant,
    beta: Tenant,
}

enum Setup<T> {
    Ready(T),
    Skip(String),
    Broken(String),
}

fn setup_fixture() -> Setup<Fixture> {
    let scratch = scratch_dir("registry");
    let engine = Engine::new(&upstream(), &scratch);
    let required = engine_required();
    if let Err(why) = engine.available() {
        return if required {
            Setup::Broken(format!(
                "no docker engine at {}, and CI=true or FDCS_E2E=1 says there must be one:\n{why}",
                engine.host
            ))
        } else {
            Setup::Skip("no docker engine".to_owned())
        };
    }
    if let Some(why) = missing_tools() {
        return if required {
            Setup::Broken(format!("CI needs the registry tools: {why}"))
        } else {
            Setup::Skip(why)
        };
    }
    if let Err(why) = engine.ensure_busybox(&scratch) {
        return Setup::Broken(why);
    }
    let registry = match Registry::start(&scratch, USER, PASS) {
        Ok(r) => r,
        Err(why) => return Setup::Broken(why),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let secret = format!("fdcs-e2e-secret-{:x}-{nanos:x}", std::process::id());
    let image = match registry.push_private(&engine.host, &scratch, REPO, TAG, &secret) {
        Ok(i) => i,
        Err(why) => return Setup::Broken(why),
    };
    Setup::Ready(Fixture {
        engine,
        registry,
        image,
        scratch,
    })
}

/// The shared fixture; `None` means skip.
fn fixture() -> Option<&'static Fixture> {
    static FX: OnceLock<Setup<Fixture>> = OnceLock::new();
    match FX.get_or_init(setup_fixture) {
        Setup::Ready(f) => Some(f),
        Setup::Skip(why) => {
            eprintln!("skipped: {why}");
            None
        }
        Setup::Broken(why) => panic!("registry end-to-end environment: {why}"),
    }
}

/// The policy of this binary: the test registry is one the daemon may
/// contact; everything else keeps the defaults (`docker.io` shared).
fn policy(registry: &str) -> String {
    format!(
        "apiVersion: fdcs/v1\n\
         kind: Policy\n\
         name: e2e-registry\n\
         rules:\n  \
           images:\n    \
             registries: [docker.io, \"{registry}\"]\n"
    )
}

/// policies/demo-tenants.yaml without beta's `images: [\"busybox*\"]`.
const TENANTS: &str = "tenants:
  - id: alpha
    tokens: [alpha-token]
  - id: beta
    tokens: [beta-token]
    limits:
      memory: 512Mi
      cpus: 1
      pids: 512
";

fn served(fx: &'static Fixture) -> &'static Served {
    static SERVED: OnceLock<Result<Served, String>> = OnceLock::new();
    let s = SERVED.get_or_init(|| {
        let dir = fx.scratch.join("serve");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let policy_file = dir.join("policy.yaml");
        let tenants_file = dir.join("tenants.yaml");
        std::fs::write(&policy_file, policy(&fx.registry.host())).map_err(|e| e.to_string())?;
        std::fs::write(&tenants_file, TENANTS).map_err(|e| e.to_string())?;
        let proxy = Proxy::start(
            &fx.engine.host,
            &[
                "--policy",
                policy_file.to_str().unwrap_or_default(),
                "--tenants",
                tenants_file.to_str().unwrap_or_default(),
            ],
            &dir,
        )?;
        let host = proxy.host();
        Ok(Served {
            alpha: Tenant::new("alpha", "alpha-token", &host, &dir),
            beta: Tenant::new("beta", "beta-token", &host, &dir),
            proxy,
        })
    });
    match s {
        Ok(s) => s,
        Err(why) => panic!(
            "`serve` with the registry policy (rules.images.registries: [docker.io, \"{}\"]) \
             did not start:\n{why}",
            fx.registry.host()
        ),
    }
}

/// A tag unique to one test of this run; part of every name it creates.
fn new_tag() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("x{:x}z{n}yreg", std::process::id())
}

/// Removes, however the test ends, what it created: containers, networks
/// and volumes named with its tag, and the private image (by its id, which
/// is unique to this run) with every tag the engine has for it.
struct Cleanup {
    fx: &'static Fixture,
    tag: String,
    image: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.fx.engine.cleanup(&self.tag);
        if self.image
            && self
                .fx
                .engine
                .docker(&["image", "inspect", &self.fx.image.id])
                .success()
        {
            let _ = self.fx.engine.docker(&["rmi", "-f", &self.fx.image.id]);
        }
    }
}

/// Failed expectations, collected and reported together.
struct Checks {
    what: &'static str,
    failures: Vec<String>,
}

impl Checks {
    fn new(what: &'static str) -> Self {
        Checks {
            what,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, why: impl FnOnce() -> String) -> bool {
        if !ok {
            let why = why();
            eprintln!("FAILED: {why}\n");
            self.failures.push(why);
        }
        ok
    }

    #[track_caller]
    fn done(self, s: &Served, fx: &Fixture) {
        assert!(
            self.failures.is_empty(),
            "{}: {} expectation(s) failed:\n\n{}\n\n--- serve log (last lines, {}) ---\n{}\n\
             --- registry log (last lines, {}) ---\n{}",
            self.what,
            self.failures.len(),
            self.failures
                .iter()
                .enumerate()
                .map(|(i, f)| format!("[{}] {f}", i + 1))
                .collect::<Vec<_>>()
                .join("\n\n"),
            s.proxy.log.display(),
            s.proxy.log_tail(),
            fx.registry.log.display(),
            fx.registry.log_tail()
        );
    }
}

/// stdout and stderr joined.
fn all(out: &Out) -> String {
    format!("{}\n{}", out.stdout, out.stderr)
}

fn has(out: &Out, needle: &str) -> bool {
    all(out).to_lowercase().contains(&needle.to_lowercase())
}

/// The tenant's fdcs headers, for raw requests.
fn headers(t: &Tenant) -> Vec<(&str, &str)> {
    vec![
        ("X-Auth-Token", t.token.as_str()),
        ("X-Auth-TenantId", t.id.as_str()),
    ]
}

/// Percent-encodes a query value as Go's `url.QueryEscape` does.
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The tags the engine itself has for the private image (empty when the
/// engine does not have it).
fn engine_tags(fx: &Fixture) -> Vec<String> {
    let out = fx.engine.docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .RepoTags}}",
        &fx.image.id,
    ]);
    if !out.success() {
        return Vec::new();
    }
    serde_json::from_str(out.stdout.trim()).unwrap_or_default()
}

/// The claim tag fdcs writes for `tenant`'s pull of the private image.
fn claim_tag(fx: &Fixture, tenant: &str) -> String {
    format!(
        "fdcs.invalid/{tenant}/127.0.0.1__{}/{REPO}:{TAG}",
        fx.registry.port
    )
}

/// Whether `text` shows the private image at all: its repository, its id
/// (full or as `docker images` shortens it), its secret, or any of fdcs's
/// claim tags.
fn shows_image(fx: &Fixture, text: &str) -> bool {
    text.contains(&fx.image.repository)
        || text.contains(fx.image.short_id())
        || text.contains(&fx.image.secret)
        || text.contains("fdcs.invalid")
}

/// A denial by the registry allow-list, as the spec words it.
/// A raw request's answer must be a 403 by `images.registry` that names the
/// allowed registries.
fn expect_registry_denied(
    ck: &mut Checks,
    fx: &Fixture,
    what: &str,
    answer: std::io::Result<http::Response>,
) {
    match answer {
        Ok(r) => {
            _ = ck.check(
                r.status == 403 && registry_denied(fx, &r.body).is_ok(),
                || {
                    format!(
                        "{what} must be 403 by images.registry ({}); got {}:\n{}\n{}",
                        registry_denied(fx, &r.body).err().unwrap_or_default(),
                        r.status,
                        r.head,
                        r.body
                    )
                },
            )
        }
        Err(e) => _ = ck.check(false, || format!("{what}: {e}")),
    }
}

fn registry_denied(fx: &Fixture, text: &str) -> Result<(), String> {
    let lower = text.to_lowercase();
    let missing: Vec<&str> = ["images.registry", "docker.io"]
        .into_iter()
        .filter(|n| !lower.contains(n))
        .collect();
    let listed = lower.contains(&fx.registry.host());
    if missing.is_empty() && listed {
        Ok(())
    } else {
        Err(format!(
            "the denial must name the rule `images.registry` and the allowed registries \
             (docker.io, {}); missing: {:?}{}",
            fx.registry.host(),
            missing,
            if listed { "" } else { " and the test registry" }
        ))
    }
}

/// Waits a moment (a daemon that connects does so before it answers, but
/// the listener thread counts asynchronously) and checks that the listener
/// got no connection since the previous check (`so_far`, updated).
fn no_connection(ck: &mut Checks, l: &Listener, so_far: &mut usize, what: &str) {
    std::thread::sleep(Duration::from_millis(300));
    let before = *so_far;
    *so_far = l.connections();
    let n = so_far.saturating_sub(before);
    ck.check(n == 0, || {
        let seen = l.seen();
        format!(
            "{what}: the daemon connected to the unlisted registry {} ({n} connection(s); \
             the listener saw: {:?})",
            l.host(),
            seen.get(before..).unwrap_or_default()
        )
    });
}

// ---------------------------------------------------------------------------

/// The harness itself, without fdcs: the registry requires its htpasswd
/// credentials over plain HTTP, holds the pushed image, the engine does not
/// (so a tenant's pull fetches it), the daemon cannot pull it anonymously,
/// and the listener counts connections.
#[test]
fn harness_registry_auth_push_and_listener_work() {
    let Some(fx) = fixture() else { return };
    let r = &fx.registry;
    assert!(
        r.alive(),
        "the registry is not running; its log:\n{}",
        r.log_tail()
    );

    let anon = http::get(r.port, "/v2/", &[]).unwrap();
    assert_eq!(
        anon.status, 401,
        "GET /v2/ without credentials:\n{}",
        anon.head
    );
    assert!(
        anon.head.contains("Basic realm=\"fdcs-e2e\""),
        "the registry must ask for basic auth:\n{}",
        anon.head
    );
    let auth = r.basic_auth();
    let ok = http::get(r.port, "/v2/", &[("Authorization", &auth)]).unwrap();
    assert_eq!(
        ok.status, 200,
        "GET /v2/ with the htpasswd user:\n{}",
        ok.head
    );
    let wrong = fdcs_e2e::registry::basic_auth(USER, "wrong");
    let bad = http::get(r.port, "/v2/", &[("Authorization", &wrong)]).unwrap();
    assert_eq!(
        bad.status, 401,
        "GET /v2/ with a wrong password:\n{}",
        bad.head
    );

    let manifest = http::get(
        r.port,
        &format!("/v2/{REPO}/manifests/{TAG}"),
        &[
            ("Authorization", &auth),
            (
                "Accept",
                "application/vnd.docker.distribution.manifest.v2+json",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        manifest.status, 200,
        "the pushed manifest must be in the registry:\n{}\n{}",
        manifest.head, manifest.body
    );
    assert!(
        manifest.body.contains(&fx.image.id),
        "the manifest must name the image's config {}:\n{}",
        fx.image.id,
        manifest.body
    );
    // That the engine did not keep the pushed image is checked by
    // `push_private` itself: by now another test may have pulled it.

    // The daemon itself, asked directly with an empty client config, is
    // refused by the registry: so only credentials make a pull work.
    let anon_pull = fx
        .engine
        .docker_timeout(&["pull", &fx.image.reference], Duration::from_secs(60));
    anon_pull.fails_with("no basic auth credentials");

    let l = Listener::new().unwrap();
    assert_eq!(l.connections(), 0);
    let resp = http::get(l.port, "/v2/", &[]).unwrap();
    assert_eq!(resp.status, 404, "the listener answers 404");
    let start = std::time::Instant::now();
    while (l.connections() == 0 || l.seen().is_empty()) && start.elapsed() < Duration::from_secs(2)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(l.connections(), 1, "the listener counts connections");
    assert!(
        l.seen().first().is_some_and(|s| s.contains("GET /v2/")),
        "the listener records the request line: {:?}",
        l.seen()
    );
}

/// Spec points 1, 2, 3 and 6: beta's login, pull, listing, run and inspect
/// of the private image and its claim on the engine; alpha's complete
/// ignorance of it; beta's `docker rmi` dropping the claim.
#[test]
fn beta_pulls_a_private_image_alpha_never_sees_it_and_beta_rmi_drops_the_claim() {
    let Some(fx) = fixture() else { return };
    let s = served(fx);
    let tag = new_tag();
    let _cleanup = Cleanup {
        fx,
        tag: tag.clone(),
        image: true,
    };
    let mut ck = Checks::new("private image of beta's");
    let (a, b) = (&s.alpha, &s.beta);
    let img = &fx.image;
    let reg = fx.registry.host();

    // 1. docker login through fdcs.
    let bad = b.docker(&["login", &reg, "-u", USER, "-p", "wrong-password"]);
    ck.check(!bad.success(), || {
        format!("beta's login with a wrong password must fail:\n{bad}")
    });
    ck.check(
        has(&bad, "unauthorized") && !all(&bad).contains("EOF"),
        || {
            format!(
                "a wrong password must fail with the registry's `unauthorized`, not `EOF`:\n{bad}"
            )
        },
    );
    let login = b.docker(&["login", &reg, "-u", USER, "-p", PASS]);
    ck.check(
        login.success() && login.stdout.contains("Login Succeeded"),
        || format!("beta's docker login to {reg} through fdcs:\n{login}"),
    );
    let cfg = std::fs::read_to_string(b.config.join("config.json")).unwrap_or_default();
    let stored = cfg.contains(&reg);
    ck.check(stored && cfg.contains("HttpHeaders"), || {
        format!(
            "beta's config.json must hold the credentials for {reg} and keep HttpHeaders:\n{cfg}"
        )
    });
    if !stored {
        // Reported above; stored here as `docker login` would store them,
        // so that the pull and the isolation checks below still say
        // something about a proxy whose login is broken.
        store_credentials(&b.config, &reg, USER, PASS).unwrap();
    }

    // 2. beta pulls, lists, runs and inspects it.
    let pull = b.docker_timeout(&["pull", &img.reference], Duration::from_secs(120));
    ck.check(pull.success(), || {
        format!("beta's docker pull {} through fdcs:\n{pull}", img.reference)
    });
    let pulled = fx.engine.docker(&["image", "inspect", &img.id]).success();
    ck.check(pulled, || {
        format!(
            "after beta's pull the engine must have the image {} (else alpha's checks below prove nothing)",
            img.id
        )
    });
    let images = b.docker(&["images", "--format", "{{.Repository}} {{.Tag}} {{.ID}}"]);
    let want = format!("{} {TAG} {}", img.repository, img.short_id());
    ck.check(
        images.success() && images.stdout.lines().any(|l| l.trim() == want),
        || format!("beta's docker images must list `{want}`:\n{images}"),
    );
    ck.check(
        !images
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("fdcs.invalid")),
        || format!("beta's docker images must never show fdcs's claim tags:\n{images}"),
    );
    let run_name = format!("run-{tag}");
    let run = b.docker(&[
        "run",
        "--rm",
        "--name",
        &run_name,
        &img.reference,
        "cat",
        "/secret",
    ]);
    ck.check(run.success() && run.stdout.trim() == img.secret, || {
        format!(
            "beta's docker run {} cat /secret must print the secret:\n{run}",
            img.reference
        )
    });
    let inspect = b.docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{json .RepoTags}}",
        &img.reference,
    ]);
    ck.check(
        inspect.success() && inspect.stdout.contains(&img.id),
        || format!("beta's docker image inspect {}:\n{inspect}", img.reference),
    );
    ck.check(!all(&inspect).contains("fdcs.invalid"), || {
        format!("beta's image inspect must not show fdcs's claim tags:\n{inspect}")
    });
    let tags = engine_tags(fx);
    let beta_claim = claim_tag(fx, "beta");
    ck.check(tags.contains(&beta_claim), || {
        format!(
            "on the engine the image must carry beta's claim `{beta_claim}`; its tags: {tags:?}"
        )
    });

    // 3. alpha, never logged in, does not see it.
    let mut alpha_outs: Vec<Out> = Vec::new();
    for args in [
        vec!["images"],
        vec!["images", "-a"],
        vec!["images", "--no-trunc"],
        vec!["images", "-q", "--no-trunc"],
        vec!["images", "--format", "{{.ID}}"],
        vec!["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
        vec![
            "images",
            "--filter",
            &format!("reference={}", img.repository),
        ],
        vec![
            "images",
            "-a",
            "--filter",
            &format!("reference={}:*", img.repository),
        ],
        vec!["images", img.repository.as_str()],
        vec!["system", "df", "-v"],
    ] {
        let out = a.docker(&args);
        ck.check(!shows_image(fx, &all(&out)), || {
            format!(
                "alpha's `docker {}` shows beta's private image:\n{out}",
                args.join(" ")
            )
        });
        alpha_outs.push(out);
    }
    let sha = format!("sha256:{}", img.id);
    let refs = [
        img.reference.as_str(),
        img.id.as_str(),
        sha.as_str(),
        img.short_id(),
    ];
    for r in refs {
        for args in [
            vec!["image", "inspect", r],
            vec!["inspect", "--type", "image", r],
            vec!["history", r],
        ] {
            let out = a.docker(&args);
            ck.check(!out.success() && has(&out, "no such image"), || {
                format!(
                    "alpha's `docker {}` must fail with `No such image`:\n{out}",
                    args.join(" ")
                )
            });
            alpha_outs.push(out);
        }
    }
    // By name: the image does not exist for alpha, so the CLI pulls it with
    // alpha's (absent) credentials, and the registry refuses.
    let run_name = format!("arun-{tag}");
    let out = a.docker_timeout(
        &[
            "run",
            "--rm",
            "--name",
            &run_name,
            &img.reference,
            "cat",
            "/secret",
        ],
        Duration::from_secs(120),
    );
    ck.check(
        !out.success()
            && has(&out, "unable to find image")
            && (has(&out, "no basic auth credentials") || has(&out, "unauthorized")),
        || {
            format!(
                "alpha's docker run {} must find no such image and then be refused by the \
                 registry (no basic auth credentials / unauthorized):\n{out}",
                img.reference
            )
        },
    );
    alpha_outs.push(out);
    // By id, `sha256:` id and prefix: no such image (`--pull never`: a pull
    // of a bare 12-digit prefix would name docker.io/library/<prefix>).
    for (i, r) in [img.id.as_str(), sha.as_str(), img.short_id()]
        .into_iter()
        .enumerate()
    {
        let name = format!("arun{i}-{tag}");
        let out = a.docker(&[
            "run", "--rm", "--pull", "never", "--name", &name, r, "cat", "/secret",
        ]);
        ck.check(!out.success() && has(&out, "no such image"), || {
            format!("alpha's docker run {r} must fail with `No such image`:\n{out}")
        });
        alpha_outs.push(out);
    }
    for out in &alpha_outs {
        ck.check(!all(out).contains(&img.secret), || {
            format!("alpha read beta's secret:\n{out}")
        });
    }
    let tags = engine_tags(fx);
    ck.check(!tags.iter().any(|t| t.starts_with("fdcs.invalid/alpha/")), || {
        format!("alpha's failed attempts must leave no claim of alpha's; the image's tags: {tags:?}")
    });
    ck.check(
        !fx.engine
            .containers()
            .iter()
            .any(|c| c.name.contains("arun") && c.name.contains(&tag)),
        || "alpha's docker run attempts must create no container".to_owned(),
    );

    // 6. beta's docker rmi drops beta's claim.
    let rmi = b.docker(&["rmi", &img.reference]);
    ck.check(rmi.success(), || {
        format!("beta's docker rmi {} through fdcs:\n{rmi}", img.reference)
    });
    let images = b.docker(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    ck.check(images.success() && !shows_image(fx, &images.stdout), || {
        format!("after its rmi, beta's docker images must not show the image:\n{images}")
    });
    let tags = engine_tags(fx);
    ck.check(!tags.iter().any(|t| t.starts_with("fdcs.invalid/beta/")), || {
        format!("after beta's rmi the engine must hold no claim of beta's; the image's tags: {tags:?}")
    });
    let still = fx.engine.docker(&["image", "inspect", &img.id]).success();
    ck.check(!still, || {
        format!(
            "with no claim left and no container using it, beta's rmi must remove the image \
             (issue 7, point 5); the engine still has it with tags {tags:?}"
        )
    });

    ck.check(s.proxy.alive(), || {
        "the proxy died during the test".to_owned()
    });
    ck.done(s, fx);
    assert_isolated(&fx.engine, a, b, &tag);
}

/// Spec point 4: a registry not on the list is never contacted, in any
/// spelling of its host, by any route that would make the daemon contact it.
#[test]
fn registries_not_on_the_list_are_denied_before_the_daemon_connects() {
    let Some(fx) = fixture() else { return };
    let s = served(fx);
    let tag = new_tag();
    let _cleanup = Cleanup {
        fx,
        tag: tag.clone(),
        image: false,
    };
    let mut ck = Checks::new("unlisted registry");
    let a = &s.alpha;
    let l = Listener::new().unwrap();
    let mut so_far = 0;
    let other = l.host();
    let port = l.port;

    let pull = a.docker_timeout(&["pull", &format!("{other}/x")], Duration::from_secs(60));
    let pull_denied = !pull.success() && registry_denied(fx, &all(&pull)).is_ok();
    ck.check(pull_denied, || {
        format!(
            "alpha's docker pull {other}/x: {}:\n{pull}",
            registry_denied(fx, &all(&pull)).err().unwrap_or_default()
        )
    });
    no_connection(&mut ck, &l, &mut so_far, "docker pull");

    let login = a.docker(&["login", &other, "-u", USER, "-p", PASS]);
    ck.check(
        !login.success() && registry_denied(fx, &all(&login)).is_ok(),
        || {
            format!(
                "alpha's docker login {other}: {}:\n{login}",
                registry_denied(fx, &all(&login)).err().unwrap_or_default()
            )
        },
    );
    no_connection(&mut ck, &l, &mut so_far, "docker login");

    let search = a.docker_timeout(&["search", &format!("{other}/x")], Duration::from_secs(60));
    ck.check(
        !search.success() && registry_denied(fx, &all(&search)).is_ok(),
        || {
            format!(
                "alpha's docker search {other}/x: {}:\n{search}",
                registry_denied(fx, &all(&search)).err().unwrap_or_default()
            )
        },
    );
    no_connection(&mut ck, &l, &mut so_far, "docker search");

    let path = format!("/v1.41/distribution/{other}/x/json");
    let what = format!("GET {path}");
    expect_registry_denied(
        &mut ck,
        fx,
        &what,
        http::get(s.proxy.port, &path, &headers(a)),
    );
    no_connection(&mut ck, &l, &mut so_far, "GET /distribution/.../json");

    // Other spellings of a loopback host. `127.1` and `2130706433` are not
    // IP literals to Go: a daemon asked for them would query the resolver
    // (off loopback), so they are tried only once the proxy has shown that
    // it judges the registry of a pull.
    let mut spellings = vec![
        (format!("localhost:{port}/x"), true),
        (format!("[::1]:{port}/x"), true),
    ];
    spellings.push((format!("127.1:{port}/x"), false));
    spellings.push((format!("2130706433:{port}/x"), false));
    for (r, loopback_only) in &spellings {
        if !loopback_only && !pull_denied {
            ck.check(false, || {
                format!(
                    "docker pull {r}: not tried, because the proxy forwarded the pull of \
                     {other}/x and this spelling would make the daemon query a name resolver"
                )
            });
            continue;
        }
        let out = a.docker_timeout(&["pull", r], Duration::from_secs(60));
        ck.check(
            !out.success() && registry_denied(fx, &all(&out)).is_ok(),
            || {
                format!(
                    "alpha's docker pull {r}: {}:\n{out}",
                    registry_denied(fx, &all(&out)).err().unwrap_or_default()
                )
            },
        );
        no_connection(&mut ck, &l, &mut so_far, &format!("docker pull {r}"));
    }

    ck.check(s.proxy.alive(), || {
        "the proxy died during the test".to_owned()
    });
    ck.done(s, fx);
    assert_eq!(l.connections(), 0, "{:?}", l.seen());
    assert_isolated(&fx.engine, a, &s.beta, &tag);
}

/// Spec point 5: credentials and login bodies that would send the daemon
/// elsewhere, or that fdcs cannot judge, are refused; the listener standing
/// for the attacker's registry is never contacted.
#[test]
fn credentials_for_other_registries_and_undecodable_auth_are_refused() {
    let Some(fx) = fixture() else { return };
    let s = served(fx);
    let tag = new_tag();
    let _cleanup = Cleanup {
        fx,
        tag: tag.clone(),
        image: false,
    };
    let mut ck = Checks::new("registry credentials");
    let a = &s.alpha;
    let l = Listener::new().unwrap();
    let mut so_far = 0;
    let other = l.host();
    let port = s.proxy.port;

    let create = |image: &str, tag: &str, xra: &str| {
        let path = format!(
            "/v1.41/images/create?fromImage={}&tag={tag}",
            query_escape(image)
        );
        let mut h = headers(a);
        h.push(("X-Registry-Auth", xra));
        (path.clone(), http::request(port, "POST", &path, &h, b""))
    };

    // a. An allowed image with an identity token for another registry. Tried
    // first on the (loopback) test registry; the docker.io twin only when
    // that one was refused, so that a proxy forwarding it sends no pull
    // off the machine.
    let creds = serde_json::json!({
        "username": "",
        "password": "",
        "serveraddress": other,
        "identitytoken": "fdcs-e2e-identity-token",
    });
    let xra = base64url(creds.to_string().as_bytes());
    let mut refused_loopback = false;
    for (image, image_tag) in [(fx.image.repository.as_str(), TAG), ("busybox", "latest")] {
        if image == "busybox" && !refused_loopback {
            ck.check(false, || {
                "pull of busybox with an identity token for another registry: not tried, \
                 because the same request for the test registry was forwarded"
                    .to_owned()
            });
            continue;
        }
        let (path, r) = create(image, image_tag, &xra);
        match r {
            Ok(r) => {
                let ok = r.status == 403 && r.body.contains("fdcs:");
                refused_loopback |= ok;
                ck.check(ok, || {
                    format!(
                        "POST {path} with X-Registry-Auth for {other} (identitytoken) must be \
                         denied (403, credentials for another registry); got {}:\n{}\n{}",
                        r.status, r.head, r.body
                    )
                });
            }
            Err(e) => {
                ck.check(false, || format!("POST {path}: {e}"));
            }
        }
        no_connection(
            &mut ck,
            &l,
            &mut so_far,
            "pull with another registry's identity token",
        );
    }

    // b. Undecodable X-Registry-Auth: not base64, and base64 of no JSON.
    let not_json = base64url(b"this is not json");
    let mut refused_loopback = false;
    for (image, image_tag, xra) in [
        (fx.image.repository.as_str(), TAG, "!!not*base64!!"),
        (fx.image.repository.as_str(), TAG, not_json.as_str()),
        ("busybox", "latest", "!!not*base64!!"),
    ] {
        if image == "busybox" && !refused_loopback {
            ck.check(false, || {
                "pull of busybox with an undecodable X-Registry-Auth: not tried, because \
                 the same request for the test registry was forwarded"
                    .to_owned()
            });
            continue;
        }
        let (path, r) = create(image, image_tag, xra);
        match r {
            Ok(r) => {
                let ok = r.status == 400
                    && r.body.contains("fdcs:")
                    && r.body.to_lowercase().contains("x-registry-auth");
                refused_loopback |= ok;
                ck.check(ok, || {
                    format!(
                        "POST {path} with X-Registry-Auth `{xra}` must be 400 with an fdcs \
                         message naming X-Registry-Auth; got {}:\n{}\n{}",
                        r.status, r.head, r.body
                    )
                });
            }
            Err(e) => {
                ck.check(false, || format!("POST {path}: {e}"));
            }
        }
    }
    no_connection(&mut ck, &l, &mut so_far, "undecodable X-Registry-Auth");

    // c. A login body naming another registry, with an identity token.
    let mut h = headers(a);
    h.push(("Content-Type", "application/json"));
    let body = serde_json::json!({"serveraddress": other, "identitytoken": "x"}).to_string();
    let what = format!("POST /auth {body}");
    let answer = http::request(port, "POST", "/v1.41/auth", &h, body.as_bytes());
    expect_registry_denied(&mut ck, fx, &what, answer);
    no_connection(&mut ck, &l, &mut so_far, "POST /auth for another registry");

    // d. A login body with a field the engine does not know.
    let body = serde_json::json!({
        "serveraddress": fx.registry.host(),
        "username": USER,
        "password": PASS,
        "fdcsBogusField": 1,
    })
    .to_string();
    match http::request(port, "POST", "/v1.41/auth", &h, body.as_bytes()) {
        Ok(r) => {
            ck.check(r.status == 400 && r.body.contains("fdcsBogusField"), || {
                format!(
                    "POST /auth with an unknown field must be 400 naming it; got {}:\n{}\n{}",
                    r.status, r.head, r.body
                )
            });
        }
        Err(e) => {
            ck.check(false, || format!("POST /auth: {e}"));
        }
    }

    ck.check(s.proxy.alive(), || {
        "the proxy died during the test".to_owned()
    });
    ck.done(s, fx);
    assert_eq!(l.connections(), 0, "{:?}", l.seen());
    assert_isolated(&fx.engine, a, &s.beta, &tag);
}
