//! `fdcs-policy test`: the shipped suites pass, and a suite with a wrong
//! expectation really fails (a test runner that cannot fail is a defect).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .arg("test")
        .args(args)
        .output()
        .expect("run fdcs-policy")
}

fn last_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_shipped_suites_for_the_default_policy_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/tests");
    let out = run(&[dir.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let last = last_line(&out);
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 30, "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok ")).count(),
        passed,
        "every case is listed"
    );
}

fn temp_suite(name: &str, body: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fdcs-policy-tests-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("suite.yaml"), body).unwrap();
    dir
}

#[test]
fn a_wrong_expectation_fails_and_exits_1() {
    let dir = temp_suite(
        "wrong",
        r#"cases:
  - name: privileged is denied (right)
    request: |
      POST /v1.41/containers/create HTTP/1.1
      Content-Type: application/json

      {"Image":"busybox","HostConfig":{"Privileged":true}}
    expect: deny
    rule: privileges.privileged
  - name: privileged is allowed (wrong on purpose)
    request: |
      POST /v1.41/containers/create HTTP/1.1
      Content-Type: application/json

      {"Image":"busybox","HostConfig":{"Privileged":true}}
    expect: allowed
  - name: wrong rule (on purpose)
    compose: |
      services:
        web: {image: busybox, ports: ["80:80"]}
    expect: deny
    rule: privileges.privileged
"#,
    );
    let out = run(&[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "1 passed, 2 failed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("expected deny (privileges.privileged), got deny (ports.ephemeral-only"),
        "{text}"
    );
}

#[test]
fn a_broken_suite_is_an_error_with_its_position() {
    let dir = temp_suite("broken", "cases:\n  - name: x\n    expect: [deny\n");
    let out = run(&[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("suite.yaml:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--tenants` (the one argument group every command shares): a case's
/// tenant is judged with its own ceilings, and a tenant the file does not
/// have fails that case with the ones it has.
#[test]
fn with_tenants_a_case_is_judged_with_its_tenants_own_ceilings() {
    let tenants = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/demo-tenants.yaml");
    let body = r#"{"Image":"busybox","HostConfig":{"Memory":1073741824}}"#;
    let suite = format!(
        "cases:\n{}",
        [("alpha", "allowed"), ("beta", "deny"), ("gamma", "allowed")]
            .iter()
            .map(|(tenant, expect)| format!(
                "  - name: one gig for {tenant}\n    tenant: {tenant}\n    request: |\n      \
                 POST /v1.41/containers/create HTTP/1.1\n      Content-Type: application/json\n\n      \
                 {body}\n    expect: {expect}\n"
            ))
            .collect::<String>()
    );
    let dir = temp_suite("tenants", &suite);
    let out = run(&[
        dir.to_str().unwrap(),
        "--tenants",
        tenants.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(last_line(&out), "2 passed, 1 failed", "{text}");
    assert!(
        text.contains("one gig for gamma — tenant `gamma` is not in `")
            && text.contains("(its tenants: alpha, beta)"),
        "{text}"
    );
    // without the file beta has the policy's ceilings: one gig passes
    let out = run(&[dir.to_str().unwrap()]);
    assert_eq!(last_line(&out), "2 passed, 1 failed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL ") && text.contains("one gig for beta"),
        "{text}"
    );
}
