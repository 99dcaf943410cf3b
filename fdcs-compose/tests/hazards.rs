//! Every host hazard of a compose file, in the spellings an attacker would
//! try, is found by the core's engine rules on the requests compose sends,
//! reported once, at the compose key, and only when the policy refuses it:
//! lint says what `serve` will say, with the operator's parameters.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use fdcs_compose::{lint, load, Finding, MemFiles, Severity, Vars};
use fdcs_policy::{Policy, Tenant, TenantId};
use std::path::Path;

fn lint_with(policy: &Policy, yaml: &str) -> Vec<Finding> {
    let mut sources = Vec::new();
    let project = load::from_texts(
        vec![("compose.yml".into(), yaml.into())],
        &Vars::new(vec![("HOME".into(), "/home/alice".into())], None),
        Path::new("/srv/app"),
        &MemFiles::new(),
        &mut sources,
    )
    .unwrap();
    let tenant = Tenant::new(TenantId::new("alice").unwrap());
    lint::lint(&project, &sources, policy, &tenant)
}

/// The error-level findings, as `line:col rule`.
fn errors(yaml: &str) -> Vec<String> {
    errors_with(&Policy::embedded_default().unwrap(), yaml)
}

fn errors_with(policy: &Policy, yaml: &str) -> Vec<String> {
    let mut out: Vec<String> = lint_with(policy, yaml)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}:{} {}", f.line, f.col, f.rule))
        .collect();
    out.sort();
    out
}

fn rules(yaml: &str) -> Vec<String> {
    let mut r: Vec<String> = errors(yaml)
        .into_iter()
        .filter_map(|e| e.split_once(' ').map(|(_, r)| r.to_string()))
        .collect();
    r.dedup();
    r
}

fn service(body: &str) -> String {
    format!("services:\n  a:\n    image: busybox:1.36\n{body}")
}

#[test]
fn the_engine_socket_in_every_spelling_is_a_host_bind_mount() {
    for src in [
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run/../run/docker.sock",
        "//var//run/./docker.sock",
        "/var/run/docker.sock/",
        "../../var/run/docker.sock",
        "~/../../var/run/docker.sock",
    ] {
        let y = service(&format!("    volumes: [\"{src}:/s\"]\n"));
        assert_eq!(rules(&y), ["mounts.no-host-path"], "{src}");
    }
    let y = service(
        "    volumes:\n      - type: bind\n        source: /var/run/docker.sock\n        target: /s\n",
    );
    assert_eq!(errors(&y), ["5:9 mounts.no-host-path"]);
}

#[test]
fn relative_and_home_paths_are_host_paths_and_named_volumes_are_not() {
    for src in ["./data", "../../etc", "~/x", "."] {
        let y = service(&format!("    volumes: [\"{src}:/x\"]\n"));
        assert_eq!(rules(&y), ["mounts.no-host-path"], "{src}");
    }
    let y = format!(
        "{}volumes:\n  data:\n",
        service("    volumes: [\"data:/x\"]\n")
    );
    assert!(rules(&y).is_empty(), "{:?}", errors(&y));
}

#[test]
fn privileged_in_any_yaml_spelling_is_refused_once() {
    for v in ["true", "yes", "True"] {
        let y = service(&format!("    privileged: {v}\n"));
        assert_eq!(errors(&y), ["4:5 privileges.privileged"], "{v}");
    }
    assert!(rules(&service("    privileged: false\n")).is_empty());
}

#[test]
fn capability_spellings_are_refused_and_an_allowed_one_is_not() {
    for c in [
        "SYS_ADMIN",
        "sys_admin",
        "CAP_SYS_ADMIN",
        "ALL",
        "NET_ADMIN",
    ] {
        let y = service(&format!("    cap_add: [{c}]\n"));
        assert_eq!(rules(&y), ["privileges.capabilities"], "{c}");
    }
    // issue 11: a policy that allows NET_ADMIN must not see lint fail it
    let p = Policy::from_yaml(
        "apiVersion: fdcs/v1\nkind: Policy\nname: allow-net-admin\nrules:\n  privileges:\n    allowCapAdd: [NET_ADMIN]\n",
        "allow-net-admin.yaml",
    )
    .unwrap();
    let y = service("    cap_add: [NET_ADMIN]\n");
    assert!(errors_with(&p, &y).is_empty(), "{:?}", errors_with(&p, &y));
    let y = service("    cap_add: [NET_ADMIN, SYS_ADMIN]\n");
    assert_eq!(errors_with(&p, &y), ["4:26 privileges.capabilities"]);
}

#[test]
fn unconfined_security_options_with_colon_or_equals_are_refused() {
    for opt in [
        "seccomp=unconfined",
        "seccomp:unconfined",
        "apparmor:unconfined",
        "apparmor=unconfined",
    ] {
        let y = service(&format!("    security_opt: [\"{opt}\"]\n"));
        assert_eq!(rules(&y), ["privileges.security-opt"], "{opt}");
    }
    let y = service("    security_opt: [\"no-new-privileges:true\"]\n");
    assert!(rules(&y).is_empty());
}

#[test]
fn host_namespaces_are_refused_each_at_its_key() {
    for (key, line_col) in [
        ("network_mode", "4:5"),
        ("pid", "4:5"),
        ("ipc", "4:5"),
        ("userns_mode", "4:5"),
        ("uts", "4:5"),
    ] {
        let y = service(&format!("    {key}: host\n"));
        assert_eq!(
            errors(&y),
            [format!("{line_col} namespaces.no-host")],
            "{key}"
        );
    }
}

#[test]
fn explicit_host_ports_in_short_and_long_syntax_are_refused() {
    for p in [
        "\"8080:80\"",
        "\"127.0.0.1:8080:80\"",
        "\"8000-8001:80-81\"",
        "{target: 80, published: 8080}",
        // a host address is a host resource too
        "\"127.0.0.1::80\"",
    ] {
        let y = service(&format!("    ports: [{p}]\n"));
        assert_eq!(rules(&y), ["ports.ephemeral-only"], "{p}");
    }
    for p in ["\"80\"", "\"0.0.0.0::80\"", "{target: 80}"] {
        let y = service(&format!("    ports: [{p}]\n"));
        assert!(rules(&y).is_empty(), "{p}: {:?}", errors(&y));
    }
}

#[test]
fn devices_and_file_secrets_of_host_files_are_refused() {
    let y = service("    devices: [\"/dev/sda:/dev/sda\"]\n");
    assert_eq!(rules(&y), ["privileges.devices"]);
    let y = format!(
        "{}secrets:\n  pw:\n    file: /etc/shadow\n",
        service("    secrets: [pw]\n")
    );
    assert_eq!(rules(&y), ["mounts.no-host-path"]);
}

#[test]
fn each_problem_is_reported_once_with_help_for_compose_files() {
    let y = service("    privileged: true\n    ports: [\"8080:80\"]\n    volumes: [\"/etc:/x\"]\n");
    let found = lint_with(&Policy::embedded_default().unwrap(), &y);
    let errors: Vec<&Finding> = found
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let mut places: Vec<(u32, u32)> = errors.iter().map(|f| (f.line, f.col)).collect();
    places.sort_unstable();
    places.dedup();
    assert_eq!(
        places.len(),
        errors.len(),
        "one finding per place: {errors:#?}"
    );
    assert_eq!(errors.len(), 3, "{errors:#?}");
    for f in &errors {
        assert!(!f.rule.starts_with("compose."), "{f:?}");
    }
}

#[test]
fn help_is_written_for_compose_files() {
    let y = service("    privileged: true\n    ports: [\"8080:80\"]\n    volumes: [\"/etc:/x\"]\n");
    for f in lint_with(&Policy::embedded_default().unwrap(), &y) {
        assert!(
            !f.help.contains(" -p ")
                && !f.help.contains("--privileged")
                && !f.help.contains(" -v "),
            "CLI wording in help: {f:?}"
        );
    }
}

#[test]
fn a_rule_in_warn_mode_is_a_warning_and_in_audit_mode_information() {
    // what serve lets through with a WARNING (warn) or only logs (audit)
    let p = Policy::from_yaml(
        "apiVersion: fdcs/v1\nkind: Policy\nname: rollout\nenforcement:\n  privileges.capabilities: warn\n  privileges.privileged: audit\n",
        "rollout.yaml",
    )
    .unwrap();
    let y = service("    privileged: true\n    cap_add: [SYS_ADMIN]\n    ports: [\"8080:80\"]\n");
    let mut got: Vec<String> = lint_with(&p, &y)
        .into_iter()
        .filter(|f| !f.rule.starts_with("compose."))
        .map(|f| format!("{}:{} {} {}", f.line, f.col, f.severity.as_str(), f.rule))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "4:5 info privileges.privileged",
            "5:15 warning privileges.capabilities",
            "6:13 error ports.ephemeral-only",
        ]
    );
}
