//! `lint` reports in CI what `serve` refuses at deploy time (issue 11 item
//! 8): every case of the lint corpus (`tests/compose/*/`) is linted by the
//! built binary and deployed with docker-compose 1.29 through `serve`, with
//! the same policy and the same tenant, and the two must agree:
//!
//! - (a) a file lint finds no error-level engine finding in deploys;
//! - (b) every refusal serve answers (the first one included) is among
//!   lint's engine errors, by rule id and, where compose names it, service;
//! - (c) a file lint finds an engine error in is refused.
//!
//! "Engine findings" are the core's verdicts on the requests lint derives
//! from the file; the `compose.*` checks (limits left unset, health checks,
//! ...) are lint's own advice that serve does not enforce, and are left out.
//! A file docker-compose 1.29 itself refuses must be listed in
//! [`COMPOSE_129_REFUSES`]: compose must then fail before it creates any
//! container, and lint must fail a YAML, interpolation or profile error too;
//! compose spec files 1.29's schemas reject have twins it loads. Disagreements on
//! what lint does not model yet are listed in [`KNOWN_DIVERGENCES`]; any
//! other disagreement fails.
//!
//! No registry is reachable: before a case deploys, the operator (on the
//! engine's socket, not through serve) tags the local `busybox:latest` under
//! every image name the file resolves to, and removes exactly those tags at
//! the end. Deploying is `up --no-start`: networks, volumes and containers
//! are created, which is where serve judges, and nothing runs (but see
//! second networks below). `build:`
//! services are built through serve as compose builds them (the corpus case
//! ships a Dockerfile `FROM busybox:latest`), so the build request is judged
//! like any other. Cleanup is `down -v` through serve, then (whatever
//! happened) the engine's own view of this run's project prefix.
//!
//! compose 1.29 connects a service's second and later networks only when it
//! starts the container; for a file with such a service the deployed
//! project is also `start`ed, so those `network connect`s are judged too
//! (whether the container then runs is the engine's business).
//!
//! The CI log shows one line per case (lint's exit and engine errors, what
//! serve did, seconds). Run alone: `CI=true FDCS_E2E=1 cargo test -p
//! fdcs-e2e --test lint_parity -- --nocapture`; `FDCS_E2E_PARITY_ONLY=a,b`
//! runs only the cases named.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{engine_required, proxy, scratch_dir, upstream, Engine, Out, Proxy, Tenant};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The tenant both commands judge as (ids are `[a-z0-9]`, so not `parity-a`).
const TENANT: &str = "paritya";

/// What lint must answer for a case docker-compose 1.29 refuses.
#[derive(Debug, Clone, Copy)]
enum LintMust {
    /// Exit 2: the file cannot be read at all.
    InputError,
    /// Exit 1: lint fails it with an error-level finding at the cause.
    Fail,
    /// Anything: the file is valid compose spec (what `docker compose` v2
    /// loads) that 1.29's older schemas reject, so lint is right to judge
    /// it; a `parity-*` twin that 1.29 loads witnesses its engine findings.
    Judge,
}

/// The cases docker-compose 1.29 refuses itself, with why: most when it
/// loads the file (it then sends nothing, checked against serve's audit
/// log), a profile dependency once it has created the networks. Each is
/// checked as listed; a case 1.29 refuses that is not listed, or a listed
/// one it deploys or serve refuses, fails the test.
const COMPOSE_129_REFUSES: &[(&str, LintMust, &str)] = &[
    (
        "yaml-syntax-error",
        LintMust::InputError,
        "a YAML syntax error",
    ),
    (
        "not-a-mapping",
        LintMust::InputError,
        "the document is a list",
    ),
    (
        "interp-invalid",
        LintMust::Fail,
        "`${TAG` is no interpolation",
    ),
    (
        "interp-required",
        LintMust::Fail,
        "`${TAG:?...}` with TAG unset",
    ),
    (
        "interp-unset-port",
        LintMust::Fail,
        "`${API_PORT}:8080` with API_PORT unset is `:8080`, no port",
    ),
    (
        "clean-compose-spec-named",
        LintMust::Judge,
        "top-level `name:` (twin: clean-hardened-v3)",
    ),
    (
        "deploy-limits-v3",
        LintMust::Judge,
        "`deploy.resources.limits.pids` (twin: parity-deploy-limits-v3)",
    ),
    (
        "host-namespaces-v2",
        LintMust::Judge,
        "`uts:` (twin: parity-host-namespaces-v2)",
    ),
    // `${VAR:+alt}` is compose v2's interpolation; 1.29 says "Invalid
    // interpolation format" and sends nothing.
    (
        "adv-interp-plus-alternative",
        LintMust::Judge,
        "`${DEBUG:+-debug}`, compose v2's alternative value",
    ),
    // `include:` is compose v2.20's; 1.29 refuses the key. The included
    // files' hazards are the ones other cases deploy.
    ("include-climb", LintMust::Judge, "top-level `include:`"),
    (
        "include-conflict",
        LintMust::InputError,
        "top-level `include:`; lint: a service defined twice",
    ),
    (
        "include-cycle",
        LintMust::InputError,
        "top-level `include:`; lint: an include cycle",
    ),
    (
        "profiles-dependency-left-out",
        LintMust::InputError,
        "a started service depends on one no active profile starts",
    ),
];

/// Cases whose disagreement is known and tracked elsewhere, with why. Only
/// features lint does not model yet may be listed (issue 11 item 7:
/// `include:`, `profiles`, a service's second and later networks,
/// `device_cgroup_rules`, `blkio_config`); any other disagreement fails the
/// test. A listed case that agrees again fails too, so the list cannot rot.
// Empty since issue 11 item 7 landed (profiles, blkio_config,
// device_cgroup_rules, further networks, include: now agree). An entry is
// `("case", "what each says")` with an `// issue 11 item 7:` comment.
const KNOWN_DIVERGENCES: &[(&str, &str)] = &[];

/// One corpus case and how each command is invoked for it.
struct Spec {
    name: String,
    dir: PathBuf,
    /// The case's `--policy`, absolute; `None`: the embedded default.
    policy: Option<PathBuf>,
    /// The `args` file as lint takes it (default `.`).
    lint_args: Vec<String>,
    /// The same files and variables as docker-compose takes them.
    compose_args: Vec<String>,
}

/// Reads `args` (one argument a line, as `fdcs-cli/tests/lint_corpus.rs`
/// does) and maps each to compose: `-f`, `--env-file`, `--profile` as they are,
/// `--policy` to serve, `.` (the case directory) to compose's working
/// directory. An argument this mapping does not know fails the test, so a
/// new kind of case cannot be compared half-way.
fn spec(dir: &Path) -> Spec {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let lint_args: Vec<String> = match std::fs::read_to_string(dir.join("args")) {
        Ok(t) => t
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        Err(_) => vec![".".to_owned()],
    };
    let mut policy = None;
    let mut compose_args = Vec::new();
    let mut it = lint_args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--policy" => policy = it.next().map(|p| dir.join(p)),
            "-f" | "--file" | "--env-file" | "--profile" => {
                let v = it
                    .next()
                    .unwrap_or_else(|| panic!("{name}: `{a}` without a value"));
                compose_args.push(if a == "--file" {
                    "-f".to_owned()
                } else {
                    a.clone()
                });
                compose_args.push(v.clone());
            }
            "." => {}
            other => panic!(
                "{name}: the parity test does not know how to give `{other}` (from `args`) \
                 to docker-compose; teach `spec` in tests/tests/lint_parity.rs"
            ),
        }
    }
    Spec {
        name,
        dir: dir.to_path_buf(),
        policy,
        lint_args,
        compose_args,
    }
}

/// What lint said about one case.
struct Lint {
    exit: i32,
    /// Error-level findings of engine rules: (subject, rule), in order.
    engine_errors: Vec<(String, String)>,
}

fn lint(spec: &Spec, tenants: &Path) -> Lint {
    let bin = proxy::binary().unwrap();
    let mut c = Command::new(bin);
    c.current_dir(&spec.dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .args(["lint", "--format", "json", "--tenant", TENANT, "--tenants"])
        .arg(tenants)
        .args(&spec.lint_args);
    let out = fdcs_e2e::cmd::run(c, Duration::from_secs(60));
    let exit = out.code.unwrap_or(-1);
    let findings = match serde_json::from_str::<Value>(&out.stdout) {
        Ok(Value::Array(a)) => a,
        _ if exit == 2 => Vec::new(),
        _ => panic!("{}: lint printed no JSON array:\n{out}", spec.name),
    };
    let engine_errors = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| {
            let rule = f["rule"].as_str()?;
            (!rule.starts_with("compose.")).then(|| {
                (
                    f["subject"].as_str().unwrap_or_default().to_owned(),
                    rule.to_owned(),
                )
            })
        })
        .collect();
    Lint {
        exit,
        engine_errors,
    }
}

/// One refusal in docker-compose's output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    /// The service compose was working on, when its output says.
    service: Option<String>,
    rule: String,
    /// serve's message from `fdcs:` on (or the daemon's not-found line).
    message: String,
}

/// What deploying did.
enum Outcome {
    Deployed,
    Refused(Vec<Refusal>),
    /// compose could not load the file and sent nothing: its first line.
    Unloadable(String),
    /// compose failed, but not with a refusal: its last line, and all.
    Failed(String, String),
}

/// The refusals in docker-compose's stderr, in order, each once: serve's
/// daemon-style `fdcs: ... (rule <id>); ...`, and the daemon's not-found
/// wording (which lint reports as `tenancy.not-found`, the rule serve's
/// ownership lookups carry).
fn refusals(stderr: &str, project: &str) -> Vec<Refusal> {
    let mut out: Vec<Refusal> = Vec::new();
    let mut current: Option<String> = None;
    for line in stderr.lines() {
        // `Pulling web (nginx:1.25)...`, `Building app`: the service of the
        // next error when it does not say itself.
        for start in ["Pulling ", "Building "] {
            if let Some(rest) = line.strip_prefix(start) {
                current = rest.split([' ', '(']).next().map(str::to_owned);
            }
        }
        // `Creating volume "<project>_shared" with local driver`: lint's
        // subject is `volumes.shared`
        for (start, section) in [
            ("Creating volume \"", "volumes"),
            ("Creating network \"", "networks"),
        ] {
            if let Some(rest) = line.strip_prefix(start) {
                let name = rest.split('"').next().unwrap_or_default();
                let key = name
                    .strip_prefix(project)
                    .and_then(|k| k.strip_prefix('_'))
                    .unwrap_or(name);
                current = Some(format!("{section}.{key}"));
            }
        }
        let mut service = line
            .split_once("for service ")
            .and_then(|(_, r)| r.split(':').next())
            .map(str::to_owned)
            .or_else(|| current.clone());
        let rule = if let Some((_, r)) = line.split_once("(rule ") {
            r.split(')').next().map(str::to_owned)
        } else if line.contains("declared as external, but could not be found") {
            // compose looks an external network or volume up before any
            // create (serve answers 404 for one not the tenant's); lint
            // reports it at the service that uses it
            service = None;
            Some("tenancy.not-found".to_owned())
        } else if [
            "No such container",
            "No such image",
            "No such network",
            "No such volume",
        ]
        .iter()
        .any(|n| line.contains(n))
            || (line.contains("network ") && line.contains(" not found"))
        {
            Some("tenancy.not-found".to_owned())
        } else {
            None
        };
        if let Some(rule) = rule {
            // compose prints each error twice (container, then service)
            if !out.iter().any(|r| r.rule == rule && r.service == service) {
                let message = line.find("fdcs: ").map_or(line, |i| &line[i..]);
                out.push(Refusal {
                    service,
                    rule,
                    message: message.trim().to_owned(),
                });
            }
        }
    }
    out
}

/// Tags the operator made for this run, removed (only those) on drop.
struct Tags<'a> {
    engine: &'a Engine,
    made: Vec<String>,
}

impl Tags<'_> {
    /// Makes `image` resolve to the local busybox unless it already exists.
    fn ensure(&mut self, image: &str) {
        if self.made.iter().any(|m| m == image) {
            return;
        }
        if self.engine.docker(&["image", "inspect", image]).success() {
            return;
        }
        self.engine.docker(&["tag", "busybox:latest", image]).ok();
        self.made.push(image.to_owned());
    }
}

impl Drop for Tags<'_> {
    fn drop(&mut self) {
        for image in &self.made {
            let out = self.engine.docker(&["rmi", image]);
            if !out.success() {
                eprintln!("lint_parity: could not remove the tag {image}:\n{out}");
            }
        }
    }
}

/// Removes, on the engine, whatever is left under this run's project prefix.
struct Cleanup<'a>(&'a Engine, String);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.0.cleanup(&self.1);
    }
}

/// The image names compose resolves for the file (`config` is offline).
fn images(config: &Out) -> Vec<String> {
    config
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("    image: "))
        .map(|i| i.trim().trim_matches(['\'', '"']).to_owned())
        .collect()
}

/// Whether a service of the resolved file joins two networks or more
/// (`config` prints a service's networks as keys at six spaces).
fn more_than_one_network(config: &Out) -> bool {
    let mut in_networks = false;
    let mut count = 0;
    for line in config.stdout.lines() {
        let indent = line.len() - line.trim_start().len();
        if line == "    networks:" {
            in_networks = true;
            count = 0;
        } else if in_networks && indent <= 4 {
            in_networks = false;
        } else if in_networks && indent == 6 {
            count += 1;
            if count > 1 {
                return true;
            }
        }
    }
    false
}

fn audit_lines(p: &Proxy) -> usize {
    std::fs::read_to_string(&p.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("fdcs::audit"))
        .count()
}

/// A serve for one policy, and the tenant pointed at it.
struct Serve {
    proxy: Proxy,
    tenant: Tenant,
}

fn serve(policy: Option<&Path>, tenants: &Path, scratch: &Path) -> Serve {
    let tenants = tenants.display().to_string();
    let policy = policy.map(|p| p.display().to_string());
    let mut extra = vec!["--tenants", tenants.as_str()];
    if let Some(p) = &policy {
        extra.extend(["--policy", p.as_str()]);
    }
    let proxy = Proxy::start(&upstream(), &extra, scratch).unwrap();
    let tenant = Tenant::new(TENANT, &format!("{TENANT}-token"), &proxy.host(), scratch);
    Serve { proxy, tenant }
}

fn compose_args<'a>(spec: &'a Spec, more: &[&'a str]) -> Vec<&'a str> {
    let mut a: Vec<&str> = spec.compose_args.iter().map(String::as_str).collect();
    a.extend_from_slice(more);
    a
}

/// Deploys one case as the tenant through `s` and takes it down again.
/// `config` is what `docker-compose config` said about the case.
fn deploy(spec: &Spec, config: &Out, project: &str, s: &Serve, tags: &mut Tags<'_>) -> Outcome {
    let t = &s.tenant;
    if !config.success() {
        let before = audit_lines(&s.proxy);
        let up = t.compose_clean_env(
            &spec.dir,
            &compose_args(spec, &["-p", project, "up", "--no-start"]),
        );
        // the audit line of a request is written before its answer
        let sent = audit_lines(&s.proxy) - before;
        assert!(
            !up.success() && sent == 0,
            "{}: `config` fails but `up` exited {:?} after {sent} requests:\n{up}",
            spec.name,
            up.code
        );
        // the line that says why, not compose's preamble and advice
        let why = config
            .stderr
            .lines()
            .map(str::trim)
            .find(|l| {
                !l.is_empty()
                    && !l.contains("variable is not set")
                    && !l.starts_with("The Compose file")
                    && !l.starts_with("You might be seeing")
                    && !l.starts_with("For more on")
            })
            .unwrap_or_default()
            .to_owned();
        return Outcome::Unloadable(why);
    }
    for image in images(config) {
        tags.ensure(&image);
    }
    let up = t.compose_clean_env(
        &spec.dir,
        &compose_args(spec, &["-p", project, "up", "--no-start"]),
    );
    // compose 1.29 connects a container's second and later networks when it
    // starts it: only `start` sends those `network connect`s. Whether the
    // container then runs (a busybox under another image's name, with that
    // image's command) is the engine's business, not a refusal.
    let start = (up.success() && more_than_one_network(config))
        .then(|| t.compose_clean_env(&spec.dir, &compose_args(spec, &["-p", project, "start"])));
    let down = t.compose_clean_env(
        &spec.dir,
        &compose_args(spec, &["-p", project, "down", "-v", "-t", "0"]),
    );
    // a project compose could not bring up may not come down either (a
    // `network_mode: container:<x>` it cannot resolve fails `down` too):
    // the engine-side cleanup of the run's prefix removes what is left
    assert!(
        down.success() || !up.success(),
        "{}: `down -v` through serve failed:\n{down}\n--- serve log ---\n{}",
        spec.name,
        s.proxy.log_tail()
    );
    assert!(!up.timed_out, "{}: `up` hung:\n{up}", spec.name);
    if let Some(start) = start {
        let r = refusals(&start.stderr, project);
        return if r.is_empty() {
            Outcome::Deployed
        } else {
            Outcome::Refused(r)
        };
    }
    if up.success() {
        return Outcome::Deployed;
    }
    let r = refusals(&up.stderr, project);
    if r.is_empty() {
        let why = up
            .stderr
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_owned();
        Outcome::Failed(why, up.to_string())
    } else {
        Outcome::Refused(r)
    }
}

/// Whether lint and serve agree on one case; `Err` says how they do not.
fn judge(lint: &Lint, outcome: &Outcome, listed: Option<LintMust>) -> Result<(), String> {
    let rules = || {
        lint.engine_errors
            .iter()
            .map(|(s, r)| format!("{r}@{s}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match outcome {
        Outcome::Unloadable(why) | Outcome::Failed(why, _) if listed.is_some() => match listed {
            Some(LintMust::InputError) if lint.exit != 2 => Err(format!(
                "compose refuses the file ({why}); lint must exit 2, exits {}",
                lint.exit
            )),
            Some(LintMust::Fail) if lint.exit != 1 => Err(format!(
                "compose refuses the file ({why}); lint must fail it (exit 1), exits {}",
                lint.exit
            )),
            _ => Ok(()),
        },
        Outcome::Unloadable(why) => Err(format!(
            "docker-compose 1.29 cannot load the file ({why}); if that is what the case \
             is about, list it in COMPOSE_129_REFUSES with why"
        )),
        _ if listed.is_some() => Err(
            "listed in COMPOSE_129_REFUSES, but docker-compose 1.29 sent it to serve".to_owned(),
        ),
        Outcome::Deployed if lint.engine_errors.is_empty() => Ok(()),
        Outcome::Deployed => Err(format!(
            "(c) lint has engine errors [{}] but serve deployed the file",
            rules()
        )),
        Outcome::Failed(_, out) => Err(format!(
            "docker-compose failed without a refusal from serve (if compose itself refuses \
             the file, list it in COMPOSE_129_REFUSES with why):\n{out}"
        )),
        Outcome::Refused(rs) => {
            if lint.engine_errors.is_empty() {
                let said: Vec<String> = rs
                    .iter()
                    .map(|r| format!("{} ({:?}): {}", r.rule, r.service, r.message))
                    .collect();
                return Err(format!(
                    "(a) lint has no engine error but serve refused:\n  {}",
                    said.join("\n  ")
                ));
            }
            for r in rs {
                let known = lint.engine_errors.iter().any(|(s, rule)| {
                    *rule == r.rule && r.service.as_ref().is_none_or(|svc| svc == s)
                });
                if !known {
                    return Err(format!(
                        "(b) serve refused with {} (service {:?}), which is not among lint's \
                         engine errors [{}]:\n  {}",
                        r.rule,
                        r.service,
                        rules(),
                        r.message
                    ));
                }
            }
            Ok(())
        }
    }
}

fn show(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Deployed => "deployed".to_owned(),
        Outcome::Refused(rs) => {
            let r: Vec<String> = rs
                .iter()
                .map(|r| format!("{}@{}", r.rule, r.service.as_deref().unwrap_or("?")))
                .collect();
            format!("refused: {}", r.join(", "))
        }
        Outcome::Unloadable(why) => format!("compose cannot load it: {why}"),
        Outcome::Failed(why, _) => format!("compose refuses it: {why}"),
    }
}

#[test]
fn lint_errors_and_serve_refusals_agree_on_every_corpus_case() {
    let started = Instant::now();
    let scratch = scratch_dir("lint-parity");
    let engine = Engine::new(&upstream(), &scratch);
    if let Err(why) = engine.available() {
        assert!(!engine_required(), "no docker engine:\n{why}");
        eprintln!("skipped: no docker engine");
        return;
    }
    engine.ensure_busybox(&scratch).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("compose");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "the corpus holds {} cases", dirs.len());

    // A tenant with the policy's own ceilings and quotas, as lint judges
    // without a tenants file; lint is given this file too, so that both
    // judge the very same tenant.
    let tenants = scratch.join("tenants-parity.yaml");
    std::fs::write(
        &tenants,
        format!("tenants:\n  - id: {TENANT}\n    tokens: [{TENANT}-token]\n"),
    )
    .unwrap();
    let prefix = format!("par{:x}q", std::process::id());
    let _cleanup = Cleanup(&engine, prefix.clone());
    let mut tags = Tags {
        engine: &engine,
        made: Vec::new(),
    };
    // a developer's subset: FDCS_E2E_PARITY_ONLY=case,case
    let only = std::env::var("FDCS_E2E_PARITY_ONLY").unwrap_or_default();
    let only: Vec<&str> = only.split(',').filter(|c| !c.is_empty()).collect();
    let specs: Vec<Spec> = dirs
        .iter()
        .map(|d| spec(d))
        .filter(|s| only.is_empty() || only.contains(&s.name.as_str()))
        .collect();
    let mut serves: BTreeMap<Option<PathBuf>, Serve> = BTreeMap::new();
    let offline = serve(None, &tenants, &scratch);
    // `config` never reaches the engine: one case's runs while the one
    // before deploys (python's start-up is most of its second).
    let config_tenant = offline.tenant.clone();
    serves.insert(None, offline);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    std::thread::scope(|scope| {
        // dropped first if a case panics, which stops the producer
        let rx = rx;
        scope.spawn(|| {
            for spec in &specs {
                let lint = lint(spec, &tenants);
                let config =
                    config_tenant.compose_clean_env(&spec.dir, &compose_args(spec, &["config"]));
                if tx.send((lint, config)).is_err() {
                    break;
                }
            }
        });
        for (i, spec) in specs.iter().enumerate() {
            let case_started = Instant::now();
            let (lint, config) = rx.recv().unwrap();
            let s = serves
                .entry(spec.policy.clone())
                .or_insert_with(|| serve(spec.policy.as_deref(), &tenants, &scratch));
            let project = format!("{prefix}{i}");
            let outcome = deploy(spec, &config, &project, s, &mut tags);
            let listed = COMPOSE_129_REFUSES
                .iter()
                .find(|(c, _, _)| *c == spec.name)
                .map(|(_, m, _)| *m);
            let verdict = judge(&lint, &outcome, listed);
            let known = KNOWN_DIVERGENCES.iter().find(|(c, _)| *c == spec.name);
            let status = match (&verdict, known) {
                (Ok(()), None) => "agree".to_owned(),
                (Err(_), Some((_, why))) => format!("KNOWN ({why})"),
                (Ok(()), Some(_)) => {
                    failures.push(format!(
                        "{}: listed in KNOWN_DIVERGENCES but lint and serve agree now; \
                     remove it from the list",
                        spec.name
                    ));
                    "AGREES (listed as known)".to_owned()
                }
                (Err(e), None) => {
                    failures.push(format!("{}: {e}", spec.name));
                    "DIVERGE".to_owned()
                }
            };
            let mut errs: Vec<String> = lint
                .engine_errors
                .iter()
                .map(|(s, r)| format!("{r}@{s}"))
                .collect();
            errs.dedup();
            rows.push(format!(
                "{:<30} {:>4}  {:<60}  {:<50}  {:>4.1}  {status}",
                spec.name,
                lint.exit,
                if errs.is_empty() {
                    "-".to_owned()
                } else {
                    errs.join(", ")
                },
                show(&outcome),
                case_started.elapsed().as_secs_f64()
            ));
        }
    });
    drop(tags);
    eprintln!(
        "lint/serve parity, {} cases in {:.1?} (tenant {TENANT}):\n{:<30} {:>4}  {:<60}  {:<50}  {:>4}  status\n{}",
        rows.len(),
        started.elapsed(),
        "case",
        "lint",
        "lint engine errors (rule@subject)",
        "serve (docker-compose up --no-start)",
        "s",
        rows.join("\n")
    );
    for s in serves.values() {
        assert!(
            s.proxy.alive(),
            "serve died during the run:\n{}",
            s.proxy.log_tail()
        );
    }
    assert!(
        failures.is_empty(),
        "lint and serve disagree:\n{}",
        failures.join("\n\n")
    );
}
