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
