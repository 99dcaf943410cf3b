//! A fair share of the host (issue 9): per-tenant quotas with the policy's
//! defaults, names the daemon would pick kept in the tenant's scope, and
//! usage that tenants (`docker info`) and operators (`fdcs-policy usage`)
//! can see — through `serve`, with the real docker CLI, against the real
//! engine.
//!
//! The shared environment of the other suites gives alpha and beta roomy
//! quotas (they run in parallel as the same two tenants); this binary runs
//! its own `serve` with the embedded policy's quotas (4 GiB, 4 CPUs, 20
//! containers, 5 networks) and two tenants of its own, `quotaa` and
//! `quotab`, so that nothing else on the engine counts against them.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{engine_required, scratch_dir, upstream, Engine, Proxy, Tenant};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

struct Served {
    engine: Engine,
    proxy: Proxy,
    a: Tenant,
    b: Tenant,
    /// For the generated names: its own, so that the quota test's counts
    /// never see its container.
    c: Tenant,
    tenants: PathBuf,
}

fn served() -> Option<&'static Served> {
    static S: OnceLock<Option<Served>> = OnceLock::new();
    S.get_or_init(|| {
        let dir = scratch_dir("quotas");
        let engine = Engine::new(&upstream(), &dir);
        if let Err(why) = engine.available() {
            assert!(!engine_required(), "no engine: {why}");
            eprintln!("skipped: no docker engine");
            return None;
        }
        engine.ensure_busybox(&dir).unwrap();
        let tenants = dir.join("tenants.yaml");
        std::fs::write(
            &tenants,
            "tenants:\n  - id: quotaa\n    tokens: [quotaa-token]\n  - id: quotab\n    tokens: [quotab-token]\n  \
             - id: quotac\n    tokens: [quotac-token]\n",
        )
        .unwrap();
        let proxy = Proxy::start(
            &engine.host,
            &["--tenants", &tenants.display().to_string()],
            &dir,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let host = proxy.host();
        Some(Served {
            a: Tenant::new("quotaa", "quotaa-token", &host, &dir),
            b: Tenant::new("quotab", "quotab-token", &host, &dir),
            c: Tenant::new("quotac", "quotac-token", &host, &dir),
            engine,
            proxy,
            tenants,
        })
    })
    .as_ref()
}

/// Removes every container and network the two tenants own on the engine
/// (the ids are theirs alone: nobody else uses these tenant ids).
fn clean(s: &Served) {
    for t in [&s.a, &s.b] {
        let ids: Vec<String> = s
            .engine
            .containers()
            .into_iter()
            .filter(|o| o.owner == t.id)
            .map(|o| o.id)
            .collect();
        if !ids.is_empty() {
            let mut a = vec!["rm", "-f", "-v"];
            a.extend(ids.iter().map(String::as_str));
            s.engine.docker(&a);
        }
    }
}

/// `fdcs-policy usage` against the same engine, as the operator runs it.
fn usage(s: &Served) -> String {
    let out = Command::new(fdcs_e2e::proxy::binary().unwrap())
        .args(["usage", "--upstream", &upstream(), "--tenants"])
        .arg(&s.tenants)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "usage failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_1g(t: &Tenant, name: &str) -> fdcs_e2e::cmd::Out {
    t.docker_timeout(
        &[
            "run", "-d", "--name", name, "-m", "1g", "busybox", "sleep", "600",
        ],
        Duration::from_secs(60),
    )
}

/// The transcript: alpha's fifth 1 GiB container is denied by
/// `quota.memory` with usage and quota in the message; beta is unaffected;
/// stopping one gives the room back; `fdcs-policy usage` shows both.
#[test]
fn the_fifth_gigabyte_is_denied_and_the_other_tenant_keeps_working() {
    let Some(s) = served() else { return };
    clean(s);
    let mut transcript = String::new();
    for i in 1..=4 {
        run_1g(&s.a, &format!("g{i}")).ok();
    }
    let denied = run_1g(&s.a, "g5");
    let msg = denied.fails_with("(rule quota.memory)");
    assert!(
        msg.contains(
            "fdcs: quotaa would reserve 5 GiB of memory, quota 4 GiB (rule quota.memory); \
             stop or remove a container, or ask for a larger quota"
        ),
        "{denied}"
    );
    transcript.push_str(&format!("{denied}\n"));
    assert!(
        !s.engine
            .containers()
            .iter()
            .any(|o| o.owner == s.a.id && o.name.ends_with("_g5")),
        "the denied container reached the engine"
    );
    // beta's share is its own
    let b = run_1g(&s.b, "g1");
    b.ok();
    transcript.push_str(&format!("{b}\n"));
    // a stopped container holds nothing: the room comes back
    s.a.docker_timeout(&["stop", "-t", "0", "g1"], Duration::from_secs(60))
        .ok();
    run_1g(&s.a, "g5").ok();
    // and a start must fit too
    let start =
        s.a.docker_timeout(&["start", "g1"], Duration::from_secs(60));
    start.fails_with("(rule quota.memory)");
    // update may lower a limit, never raise it past what quotas counted
    s.a.docker(&["update", "--cpus", "0.25", "g2"]).ok();
    s.a.docker(&["update", "--cpus", "1", "g2"])
        .fails_with("(rule quota.cpus)");

    let table = usage(s);
    transcript.push_str(&format!("$ fdcs-policy usage --tenants ...\n{table}"));
    eprintln!("--- transcript ---\n{transcript}");
    let line = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no line for {id}:\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    // TENANT CONTAINERS RUNNING MEMORY CPUS ...
    assert_eq!(line("quotaa")[1], "5/20", "{table}");
    assert_eq!(line("quotaa")[2], "4", "{table}");
    assert_eq!(line("quotaa")[3..6].join(" "), "4 GiB/4 GiB", "{table}");
    assert_eq!(line("quotab")[1], "1/20", "{table}");
    assert_eq!(line("quotab")[3..6].join(" "), "1 GiB/4 GiB", "{table}");
    // docker info shows the tenant its own world
    let info =
        s.a.docker(&[
            "info",
            "--format",
            "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.NCPU}} {{.MemTotal}}",
        ])
        .ok()
        .to_string();
    assert_eq!(info, format!("5 4 1 4 {}", 4_u64 << 30), "docker info");
    assert!(s.proxy.alive(), "{}", s.proxy.log_tail());
    clean(s);
}

/// A container created without a name gets one in the tenant's scope, shown
/// back as the daemon shows a generated name; the daemon never picks it.
#[test]
fn a_container_without_a_name_is_named_in_the_tenants_scope() {
    let Some(s) = served() else { return };
    let id = s.c.docker(&["create", "busybox", "true"]).ok().to_string();
    let shown =
        s.c.docker(&["inspect", "--format", "{{.Name}}", &id])
            .ok()
            .to_string();
    let engine_side = s
        .engine
        .docker(&["inspect", "--format", "{{.Name}}", &id])
        .ok()
        .to_string();
    s.c.docker(&["rm", &id]).ok();
    let bare = shown.trim_start_matches('/');
    assert!(
        !bare.is_empty() && !bare.starts_with("quotac_"),
        "the tenant sees {shown}"
    );
    assert_eq!(engine_side, format!("/quotac_{bare}"), "engine-side name");
}
