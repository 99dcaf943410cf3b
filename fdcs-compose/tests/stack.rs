//! `docker stack deploy -c FILE app` offline: the compose files under
//! `tests/data/stack/` translated into the requests the docker CLI sends
//! (`cli/compose/convert`), field by field, and judged by the core with
//! the default policy (swarm off) and `policies/examples/swarm.yaml`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use fdcs_compose::engine::EngineRequest;
use fdcs_compose::load::{Project, Source};
use fdcs_compose::stack::{self, Stack};
use fdcs_compose::{load, Finding, MemFiles, Severity, Vars};
use fdcs_policy::{Policy, Tenant, TenantId};
use serde_json::json;
use std::path::{Path, PathBuf};

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/stack")
        .join(dir)
}

/// The fixture files of `tests/data/stack/<dir>` (compile-time: the
/// crate does no I/O, its tests neither).
fn fixture(dir: &str) -> &'static [(&'static str, &'static str)] {
    match dir {
        "app" => &[
            ("compose.yml", include_str!("data/stack/app/compose.yml")),
            ("pw.txt", include_str!("data/stack/app/pw.txt")),
            ("conf.txt", include_str!("data/stack/app/conf.txt")),
        ],
        "clean" => &[
            ("compose.yml", include_str!("data/stack/clean/compose.yml")),
            ("pw.txt", include_str!("data/stack/clean/pw.txt")),
        ],
        _ => &[("compose.yml", include_str!("data/stack/bad/compose.yml"))],
    }
}

/// The project in `tests/data/stack/<dir>`, its side files in memory.
fn project(dir: &str) -> (Project, Vec<Source>, MemFiles) {
    let d = data(dir);
    let mut files = MemFiles::new();
    let mut text = String::new();
    for (name, t) in fixture(dir) {
        files = files.with(d.join(name), *t);
        if *name == "compose.yml" {
            text = (*t).to_string();
        }
    }
    let mut sources = Vec::new();
    let p = load::from_texts(
        vec![("compose.yml".into(), text)],
        &Vars::new(Vec::new(), None),
        &d,
        &files,
        &mut sources,
    )
    .unwrap();
    (p, sources, files)
}

fn stack_of(dir: &str) -> Stack {
    let (p, _, files) = project(dir);
    stack::requests(&p, "app", &files)
}

fn req<'a>(s: &'a Stack, path: &str, name: &str) -> &'a EngineRequest {
    s.requests
        .iter()
        .find(|r| r.target.ends_with(path) && r.body["Name"] == name)
        .expect(path)
}

fn swarm_policy() -> Policy {
    let text = include_str!("../../policies/examples/swarm.yaml");
    Policy::from_yaml(text, "policies/examples/swarm.yaml").unwrap()
}

fn lint(dir: &str, policy: &Policy) -> (Vec<Finding>, Vec<Source>) {
    let (p, sources, files) = project(dir);
    let tenant = Tenant::new(TenantId::new("alice").unwrap());
    let f = stack::lint(&p, &sources, policy, &tenant, "app", &files);
    (f, sources)
}

fn line_of(sources: &[Source], f: &Finding) -> String {
    sources[f.file]
        .text
        .lines()
        .nth(f.line as usize - 1)
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn networks_secrets_and_configs_are_the_stacks() {
    let s = stack_of("app");
    let ns = json!({"com.docker.stack.namespace": "app"});
    let front = req(&s, "/networks/create", "app_front");
    assert_eq!(front.body["Driver"], "overlay");
    assert_eq!(front.body["Scope"], "swarm");
    assert_eq!(front.body["Labels"], ns);
    let back = req(&s, "/networks/create", "app_back");
    assert_eq!(back.body["Attachable"], true);
    assert_eq!(back.body["Labels"]["team"], "a");
    // worker names no network: the stack's default overlay
    let def = req(&s, "/networks/create", "app_default");
    assert_eq!(def.body["Driver"], "overlay");
    let pw = req(&s, "/secrets/create", "app_pw");
    assert_eq!(pw.body["Data"], "aHVudGVyMg==");
    assert_eq!(pw.body["Labels"], ns);
    let conf = req(&s, "/configs/create", "app_conf");
    assert_eq!(conf.body["Data"], "eD0xCg==");
    // order: networks, secrets, configs, services
    let kinds: Vec<&str> = s
        .requests
        .iter()
        .map(|r| r.target.rsplit('/').nth(1).unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["networks", "networks", "networks", "secrets", "configs", "services", "services"]
    );
}

#[test]
fn a_service_is_a_service_spec_field_by_field() {
    let s = stack_of("app");
    let b = &req(&s, "/services/create", "app_web").body;
    assert_eq!(b["Labels"]["com.docker.stack.namespace"], "app");
    assert_eq!(b["Labels"]["svc"], "web");
    let c = &b["TaskTemplate"]["ContainerSpec"];
    assert_eq!(c["Image"], "nginx:1.27");
    assert_eq!(c["Command"], json!(["/docker-entrypoint.sh"]));
    assert_eq!(c["Args"], json!(["nginx", "-g", "daemon off;"]));
    assert_eq!(c["Hostname"], "web1");
    assert_eq!(c["User"], "101");
    assert_eq!(c["Dir"], "/srv");
    assert_eq!(c["Init"], true);
    assert_eq!(c["ReadOnly"], true);
    assert_eq!(c["Env"], json!(["A=1", "B=2"]));
    assert_eq!(c["Labels"]["tier"], "front");
    assert_eq!(c["Labels"]["com.docker.stack.namespace"], "app");
    assert_eq!(c["CapabilityAdd"], json!(["NET_BIND_SERVICE"]));
    assert_eq!(c["Sysctls"], json!({"net.core.somaxconn": "1024"}));
    assert_eq!(
        c["Ulimits"],
        json!([{"Name": "nofile", "Soft": 1024, "Hard": 2048},
               {"Name": "nproc", "Soft": 512, "Hard": 512}])
    );
    assert_eq!(
        c["Healthcheck"],
        json!({"Test": ["CMD-SHELL", "curl -f http://localhost"],
               "Interval": 30_000_000_000_i64, "Retries": 3})
    );
    assert_eq!(c["DNSConfig"]["Nameservers"], json!(["10.0.0.2"]));
    assert_eq!(c["DNSConfig"]["Search"], json!(["example.org"]));
    assert_eq!(c["Hosts"], json!(["10.0.0.5 db.local"]));
    // mounts: named volume scoped, bind absolute, tmpfs sized
    let m = &c["Mounts"];
    assert_eq!(m[0]["Type"], "volume");
    assert_eq!(m[0]["Source"], "app_data");
    assert_eq!(m[0]["Target"], "/data");
    assert_eq!(
        m[0]["VolumeOptions"]["Labels"]["com.docker.stack.namespace"],
        "app"
    );
    assert_eq!(m[0]["VolumeOptions"]["DriverConfig"]["Name"], "local");
    assert_eq!(
        m[0]["VolumeOptions"]["DriverConfig"]["Options"]["type"],
        "tmpfs"
    );
    assert_eq!(m[1]["Type"], "bind");
    assert_eq!(m[1]["Source"], format!("{}/conf", data("app").display()));
    assert_eq!(m[1]["ReadOnly"], true);
    assert_eq!(m[2]["Type"], "tmpfs");
    assert_eq!(m[2]["TmpfsOptions"]["SizeBytes"], 64 << 20);
    // secrets and configs by name (offline: no ids)
    assert_eq!(
        c["Secrets"][0],
        json!({"SecretName": "app_pw", "File": {"Name": "pw", "UID": "0", "GID": "0", "Mode": 0o444}})
    );
    assert_eq!(c["Secrets"][1]["File"]["Name"], "other");
    assert_eq!(c["Secrets"][1]["File"]["Mode"], 0o400);
    assert_eq!(c["Configs"][0]["ConfigName"], "app_conf");
    assert_eq!(c["Configs"][0]["File"]["Name"], "/conf");
    // ignored by the CLI: not in the spec
    assert!(c.get("Privileged").is_none());
    let t = &b["TaskTemplate"];
    assert_eq!(
        t["LogDriver"],
        json!({"Name": "json-file", "Options": {"max-size": "10m"}})
    );
    assert_eq!(
        t["Resources"],
        json!({"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 256 << 20, "Pids": 100},
               "Reservations": {"MemoryBytes": 64 << 20}})
    );
    assert_eq!(
        t["RestartPolicy"],
        json!({"Condition": "on-failure", "Delay": 5_000_000_000_i64, "MaxAttempts": 3})
    );
    assert_eq!(
        t["Placement"],
        json!({"Constraints": ["node.labels.pool==tenants"],
               "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}],
               "MaxReplicas": 2})
    );
    assert_eq!(
        t["Networks"],
        json!([{"Target": "app_back", "Aliases": ["web"]},
               {"Target": "app_front", "Aliases": ["www", "web"]}])
    );
    assert_eq!(b["Mode"], json!({"Replicated": {"Replicas": 3}}));
    assert_eq!(
        b["UpdateConfig"],
        json!({"Parallelism": 2, "Delay": 10_000_000_000_i64, "Order": "start-first"})
    );
    assert_eq!(b["RollbackConfig"], json!({"Parallelism": 1}));
    assert_eq!(
        b["EndpointSpec"],
        json!({"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress"},
            {"Protocol": "tcp", "TargetPort": 443, "PublishedPort": 8443, "PublishMode": "host"}]})
    );
    let w = &req(&s, "/services/create", "app_worker").body;
    assert_eq!(w["Mode"], json!({"Global": {}}));
    // the service's name is an alias on every user-defined network
    assert_eq!(
        w["TaskTemplate"]["Networks"],
        json!([{"Target": "app_default", "Aliases": ["worker"]}])
    );
}

#[test]
fn keys_the_cli_ignores_are_reported_not_deployed() {
    let s = stack_of("app");
    let ignored: Vec<(&str, bool)> = s
        .ignored
        .iter()
        .map(|i| (i.key.as_str(), i.forbidden))
        .collect();
    assert_eq!(
        ignored,
        [("privileged", false), ("build", false), ("mem_limit", true)]
    );
    let (f, sources) = lint("app", &swarm_policy());
    let p = f
        .iter()
        .find(|f| f.message.contains("`privileged`"))
        .unwrap();
    assert_eq!(p.severity, Severity::Info);
    assert_eq!(line_of(&sources, p), "privileged: true");
    let m = f
        .iter()
        .find(|f| f.message.contains("`mem_limit`"))
        .unwrap();
    assert_eq!(m.severity, Severity::Error);
}

#[test]
fn the_default_policy_refuses_every_service() {
    let (f, _) = lint("clean", &Policy::embedded_default().unwrap());
    for svc in ["web", "db"] {
        assert!(
            f.iter()
                .any(|f| f.subject == svc && f.rule.as_str() == "swarm.disabled"),
            "{svc}: {f:#?}"
        );
    }
}

#[test]
fn a_clean_stack_passes_the_swarm_policy() {
    let (f, _) = lint("clean", &swarm_policy());
    let errors: Vec<_> = f.iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn what_the_swarm_policy_refuses_is_found_at_its_line() {
    let (f, sources) = lint("bad", &swarm_policy());
    let at = |rule: &str| -> Vec<String> {
        f.iter()
            .filter(|f| f.rule.as_str() == rule && f.severity == Severity::Error)
            .map(|f| format!("{}: {}", f.subject, line_of(&sources, f)))
            .collect()
    };
    assert_eq!(
        at("mounts.no-host-path"),
        ["web: - /etc:/host-etc"],
        "{f:#?}"
    );
    assert_eq!(at("ports.ephemeral-only"), ["web: - \"8080:80\""], "{f:#?}");
    assert_eq!(at("resources.memory"), ["web: memory: 8G"], "{f:#?}");
    assert_eq!(
        at("swarm.networks"),
        ["edge: networks: [hostnet]"],
        "{f:#?}"
    );
    // network_mode is dropped by the CLI: information, not an error
    let nm = f
        .iter()
        .find(|f| f.message.contains("`network_mode`"))
        .unwrap();
    assert_eq!(nm.severity, Severity::Info);
}
