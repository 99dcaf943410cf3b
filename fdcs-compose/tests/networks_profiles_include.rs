//! Issue 11 item 7: `blkio_config` and `device_cgroup_rules`, a service's
//! further networks (`network connect`), `profiles` and `include:`, each
//! judged as `serve` would judge what compose sends, in the spellings an
//! attacker would try.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use fdcs_compose::{lint, load, Finding, MemFiles, Severity, Vars};
use fdcs_policy::{Policy, Tenant, TenantId};
use std::path::Path;

fn tenant() -> Tenant {
    Tenant::new(TenantId::new("alice").unwrap())
}

fn lint_project(project: &load::Project, sources: &[load::Source]) -> Vec<String> {
    let policy = Policy::embedded_default().unwrap();
    let mut out: Vec<String> = lint::lint(project, sources, &policy, &tenant())
        .into_iter()
        .filter(|f: &Finding| f.severity == Severity::Error)
        .map(|f| {
            format!(
                "{}:{}:{} {} {}",
                sources[f.file].path, f.line, f.col, f.rule, f.subject
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The error-level findings of one file, as `file:line:col rule subject`.
fn errors(yaml: &str) -> Vec<String> {
    errors_env(yaml, &[])
}

fn errors_env(yaml: &str, env: &[(&str, &str)]) -> Vec<String> {
    let mut sources = Vec::new();
    let project = load::from_texts(
        vec![("compose.yml".into(), yaml.into())],
        &Vars::new(
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            None,
        ),
        Path::new("/srv/app"),
        &MemFiles::new(),
        &mut sources,
    )
    .unwrap();
    lint_project(&project, &sources)
}

#[test]
fn per_device_blkio_limits_and_cgroup_rules_are_refused_in_every_spelling() {
    let cases = [
        // a weight for one device still names the device
        ("    blkio_config:\n      weight_device:\n        - {path: /dev/sda, weight: 10}\n", "compose.yml:5:7 privileges.devices a"),
        // iops limits, the rate a quoted number
        ("    blkio_config:\n      device_write_iops:\n        - path: /dev/sda\n          rate: \"1000\"\n", "compose.yml:5:7 privileges.devices a"),
        // a bps rate with odd units and a path that climbs
        ("    blkio_config:\n      device_read_bps:\n        - {path: /dev/../dev/sda, rate: 1GB}\n", "compose.yml:5:7 privileges.devices a"),
        // a cgroup rule as a bare string (compose's schema wants a list; split, still a rule)
        ("    device_cgroup_rules: 'a *:* rwm'\n", "compose.yml:4:5 privileges.devices a"),
        // a cgroup rule from an unset variable's default
        ("    device_cgroup_rules: [\"${RULE:-b 8:* rwm}\"]\n", "compose.yml:4:5 privileges.devices a"),
    ];
    // the core names the list, not the item: the finding is at its key
    for (body, want) in cases {
        let yaml = format!("services:\n  a:\n    image: busybox:1.36\n{body}");
        assert_eq!(errors(&yaml), [want], "{body}");
    }
    // inherited through `extends`: found at the base's line
    let yaml = "services:\n  base:\n    image: busybox:1.36\n    device_cgroup_rules: [\"c 1:3 mr\"]\n  a:\n    extends: base\n";
    assert_eq!(
        errors(yaml),
        [
            "compose.yml:4:5 privileges.devices a",
            "compose.yml:4:5 privileges.devices base"
        ]
    );
    // a weight alone within the ceiling names no device
    let yaml = "services:\n  a:\n    image: busybox:1.36\n    blkio_config: {weight: 10}\n";
    assert!(errors(yaml).is_empty(), "{:?}", errors(yaml));
}

#[test]
fn further_networks_the_tenant_does_not_own_are_refused_at_their_name() {
    let yaml = "services:\n  a:\n    image: busybox:1.36\n    networks: [own, ext, hostnet, br]\nnetworks:\n  own: {}\n  ext:\n    external: true\n  hostnet:\n    external: true\n    name: host\n  br:\n    external:\n      name: bridge\n";
    assert_eq!(
        errors(yaml),
        [
            "compose.yml:4:21 tenancy.not-found a",
            "compose.yml:4:26 tenancy.not-found a",
            "compose.yml:4:35 tenancy.not-found a",
        ]
    );
    // the project's own networks, in list or map form, are fine
    let yaml = "services:\n  a:\n    image: busybox:1.36\n    networks:\n      front:\n      back: {aliases: [x], priority: 5}\nnetworks:\n  front: {}\n  back: {}\n";
    assert!(errors(yaml).is_empty(), "{:?}", errors(yaml));
}

/// Loads `/srv/app/compose.yml` with the other files given, through `Files`.
fn load_tree(
    files: &[(&str, &str)],
    env: &[(&str, &str)],
    profiles: &[&str],
) -> Result<(load::Project, Vec<load::Source>), load::LoadError> {
    let mut mem = MemFiles::new();
    for (p, t) in files {
        mem = mem.with(*p, *t);
    }
    let opts = load::LoadOptions {
        env_file: None,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        profiles: profiles.iter().map(|s| s.to_string()).collect(),
    };
    let mut sources = Vec::new();
    let p = load::load(&["/srv/app/compose.yml".into()], &opts, &mem, &mut sources)?;
    Ok((p, sources))
}

#[test]
fn a_profile_gated_privileged_service_is_judged_once_its_profile_is_active() {
    let yaml = "services:\n  app:\n    image: busybox:1.36\n  dbg:\n    image: busybox:1.36\n    privileged: true\n    profiles: [debug]\n";
    assert!(errors(yaml).is_empty(), "left out: {:?}", errors(yaml));
    // from the environment (comma-separated, as compose splits it)
    assert_eq!(
        errors_env(yaml, &[("COMPOSE_PROFILES", "ops,debug")]),
        ["compose.yml:6:5 privileges.privileged dbg"]
    );
    // from the project's `.env`
    let files = [
        ("/srv/app/compose.yml", yaml),
        ("/srv/app/.env", "COMPOSE_PROFILES=debug\n"),
    ];
    let (p, s) = load_tree(&files, &[], &[]).unwrap();
    assert_eq!(
        lint_project(&p, &s),
        ["/srv/app/compose.yml:6:5 privileges.privileged dbg"]
    );
    // `--profile` replaces the variable: `ops` only, `dbg` left out again
    let (p, s) = load_tree(&files, &[], &["ops"]).unwrap();
    assert!(lint_project(&p, &s).is_empty());
    assert_eq!(p.inactive, ["dbg"]);
    let (p, s) = load_tree(&files, &[], &["debug"]).unwrap();
    assert_eq!(
        lint_project(&p, &s),
        ["/srv/app/compose.yml:6:5 privileges.privileged dbg"]
    );
}

#[test]
fn an_included_privileged_service_and_a_climbing_bind_mount_are_found_in_their_file() {
    let main =
        "include:\n  - ../../shared/compose.yml\nservices:\n  app:\n    image: busybox:1.36\n";
    let shared = "services:\n  agent:\n    image: busybox:1.36\n    privileged: true\n    volumes:\n      - ../../:/host\n";
    let files = [
        ("/srv/app/compose.yml", main),
        ("/shared/compose.yml", shared),
    ];
    let (p, s) = load_tree(&files, &[], &[]).unwrap();
    assert_eq!(
        lint_project(&p, &s),
        [
            "/shared/compose.yml:4:5 privileges.privileged agent",
            "/shared/compose.yml:6:9 mounts.no-host-path agent",
        ]
    );
    // the bind's source is relative to the included file's directory
    let reqs = fdcs_compose::engine::requests(&p, &p.dir);
    let agent = reqs
        .iter()
        .find(|r| r.subject == "agent" && r.target.contains("create"))
        .unwrap();
    assert_eq!(
        agent.body["HostConfig"]["Binds"],
        serde_json::json!(["/:/host:rw"])
    );
}

#[test]
fn the_long_form_reads_its_own_env_file_and_project_directory() {
    let main = "include:\n  - path: lib/db.yml\n    project_directory: lib/root\n    env_file: lib/db.env\nservices:\n  app:\n    image: busybox:1.36\n";
    let db = "services:\n  db:\n    image: busybox:1.36\n    cap_add: [\"${CAP}\"]\n    volumes: [\"./data:/data\"]\n";
    let files = [
        ("/srv/app/compose.yml", main),
        ("/srv/app/lib/db.yml", db),
        ("/srv/app/lib/db.env", "CAP=SYS_ADMIN\n"),
    ];
    let (p, s) = load_tree(&files, &[], &[]).unwrap();
    assert_eq!(
        lint_project(&p, &s),
        [
            "/srv/app/lib/db.yml:4:15 privileges.capabilities db",
            "/srv/app/lib/db.yml:5:15 mounts.no-host-path db",
        ]
    );
    let reqs = fdcs_compose::engine::requests(&p, &p.dir);
    let db = reqs
        .iter()
        .find(|r| r.subject == "db" && r.target.contains("create"))
        .unwrap();
    assert_eq!(
        db.body["HostConfig"]["Binds"],
        serde_json::json!(["/srv/app/lib/root/data:/data:rw"])
    );
    // an env_file that is not there is an error at the include
    let files = [
        ("/srv/app/compose.yml", main),
        ("/srv/app/lib/db.yml", db_text()),
    ];
    let e = load_tree(&files, &[], &[]).unwrap_err();
    assert_eq!((e.line, e.col), (2, 5), "{e}");
}

fn db_text() -> &'static str {
    "services:\n  db:\n    image: busybox:1.36\n"
}

#[test]
fn conflicts_and_cycles_are_load_errors_at_their_place() {
    // a service the project has too
    let main = "include: [other.yml]\nservices:\n  web:\n    image: busybox:1.36\n";
    let other = "services:\n  web:\n    image: busybox:1.36\n    privileged: true\n";
    let e = load_tree(
        &[
            ("/srv/app/compose.yml", main),
            ("/srv/app/other.yml", other),
        ],
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.line, e.col),
        ("/srv/app/compose.yml", 3, 3),
        "{e}"
    );
    assert!(e.message.contains("/srv/app/other.yml"), "{e}");
    // an identical network is no conflict; a different one is
    let main = "include: [other.yml]\nservices:\n  web: {image: busybox:1.36, networks: [n]}\nnetworks:\n  n: {driver: bridge}\n";
    let same = "networks:\n  n: {driver: bridge}\n";
    assert!(load_tree(
        &[("/srv/app/compose.yml", main), ("/srv/app/other.yml", same)],
        &[],
        &[]
    )
    .is_ok());
    let differs = "networks:\n  n: {driver: macvlan}\n";
    let e = load_tree(
        &[
            ("/srv/app/compose.yml", main),
            ("/srv/app/other.yml", differs),
        ],
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!((e.line, e.col), (5, 3), "{e}");
    // a file that includes the project's own file
    let main = "include: [sub/a.yml]\nservices:\n  web: {image: busybox:1.36}\n";
    let a = "include:\n  - ../compose.yml\n";
    let e = load_tree(
        &[("/srv/app/compose.yml", main), ("/srv/app/sub/a.yml", a)],
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.line, e.col),
        ("/srv/app/sub/a.yml", 2, 5),
        "{e}"
    );
    assert!(e.message.contains("cycle"), "{e}");
    // a file that is not there, and a malformed item
    let e = load_tree(
        &[("/srv/app/compose.yml", "include: [nope.yml]\n")],
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!((e.line, e.col), (1, 11), "{e}");
    let e = load_tree(
        &[(
            "/srv/app/compose.yml",
            "include:\n  - {project_directory: x}\n",
        )],
        &[],
        &[],
    )
    .unwrap_err();
    assert_eq!((e.line, e.col), (2, 5), "{e}");
}

#[test]
fn an_include_tree_that_doubles_at_every_level_stops_with_an_error() {
    let mut files: Vec<(String, String)> = vec![(
        "/srv/app/compose.yml".into(),
        "include: [l0.yml, l0.yml]\nservices:\n  a: {image: busybox:1.36}\n".into(),
    )];
    for i in 0..14 {
        files.push((
            format!("/srv/app/l{i}.yml"),
            format!(
                "include: [l{n}.yml, l{n}.yml]\nnetworks:\n  n: {{}}\n",
                n = i + 1
            ),
        ));
    }
    files.push(("/srv/app/l14.yml".into(), "networks:\n  n: {}\n".into()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let e = load_tree(&refs, &[], &[]).unwrap_err();
    assert!(e.message.contains("more than"), "{e}");
}
