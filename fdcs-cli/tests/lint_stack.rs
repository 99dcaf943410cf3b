//! `fdcs-policy lint --stack FILE`: a compose file linted as `docker stack
//! deploy` deploys it, in every output format, with lint's exit codes
//! (0 nothing at or above `--fail-on`, 1 findings, 2 usage).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test loudly"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .arg("lint")
        .args(args)
        .output()
        .expect("run fdcs-policy")
}

fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fdcs-lint-stack-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn swarm_policy() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../policies/examples/swarm.yaml"
    )
    .to_string()
}

const CLEAN: &str = "services:
  web:
    image: nginx:1.27
    ports: [\"80\"]
    volumes: [data:/data]
    secrets: [pw]
    deploy:
      replicas: 2
      resources:
        limits: {cpus: \"0.5\", memory: 256M, pids: 100}
volumes:
  data:
secrets:
  pw:
    file: ./pw.txt
";

const BAD: &str = "services:
  web:
    image: nginx:1.27
    privileged: true
    ports:
      - \"8080:80\"
    volumes:
      - /etc:/host-etc
    deploy:
      resources:
        limits:
          memory: 8G
  edge:
    image: nginx:1.27
    networks: [hostnet]
networks:
  hostnet:
    external: true
    name: host
";

/// `line rule severity` of each JSON finding.
fn found(out: &Output) -> Vec<String> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["line"],
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_clean_stack_passes_the_swarm_policy() {
    let dir = scratch("clean", &[("compose.yml", CLEAN), ("pw.txt", "pw")]);
    let policy = swarm_policy();
    let out = lint(
        &dir,
        &[
            "--policy",
            &policy,
            "--stack",
            "compose.yml",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let f = found(&out);
    assert!(f.iter().all(|l| !l.ends_with(" error")), "{f:?}");
}

#[test]
fn the_default_policy_finds_every_service_disabled() {
    let dir = scratch("default", &[("compose.yml", CLEAN), ("pw.txt", "pw")]);
    let out = lint(&dir, &["--stack", "compose.yml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let f = found(&out);
    assert!(f.contains(&"2 swarm.disabled error".to_string()), "{f:?}");
}

#[test]
fn refusals_are_at_their_lines_in_every_format() {
    let dir = scratch("bad", &[("compose.yml", BAD)]);
    let policy = swarm_policy();
    let out = lint(
        &dir,
        &[
            "--policy",
            &policy,
            "--stack",
            "compose.yml",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let f = found(&out);
    for want in [
        "4 swarm.spec info",
        "6 ports.ephemeral-only error",
        "8 mounts.no-host-path error",
        "12 resources.memory error",
        "15 swarm.networks error",
    ] {
        assert!(f.contains(&want.to_string()), "{want}: {f:?}");
    }
    let text = lint(&dir, &["--policy", &policy, "--stack", "compose.yml"]);
    assert_eq!(text.status.code(), Some(1));
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(t.contains("mounts.no-host-path"), "{t}");
    assert!(t.contains("compose.yml:8"), "{t}");
    let sarif = lint(
        &dir,
        &[
            "--policy",
            &policy,
            "--stack",
            "compose.yml",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(sarif.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert!(s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "swarm.networks"));
    let junit = lint(
        &dir,
        &[
            "--policy",
            &policy,
            "--stack",
            "compose.yml",
            "--format",
            "junit",
        ],
    );
    assert_eq!(junit.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&junit.stdout).contains("resources.memory"));
    // an ignored key alone fails nothing unless asked to
    let info_only = scratch(
        "info",
        &[(
            "compose.yml",
            "services:\n  web:\n    image: nginx:1.27\n    build: .\n    deploy:\n      resources:\n        limits: {cpus: \"0.5\", memory: 256M, pids: 100}\n",
        )],
    );
    let out = lint(&info_only, &["--policy", &policy, "--stack", "compose.yml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = lint(
        &info_only,
        &[
            "--policy",
            &policy,
            "--stack",
            "compose.yml",
            "--fail-on",
            "info",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_stack_name_scopes_the_objects() {
    let dir = scratch("name", &[("compose.yml", BAD)]);
    let policy = swarm_policy();
    let out = lint(
        &dir,
        &[
            "--policy",
            &policy,
            "--stack",
            "compose.yml",
            "--stack-name",
            "shop",
            "--format",
            "json",
        ],
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("/services/create"), "{s}");
    // --stack-name needs --stack; --stack takes no other files
    let out = lint(&dir, &["--stack-name", "shop"]);
    assert_eq!(out.status.code(), Some(2));
    let out = lint(&dir, &["--stack", "compose.yml", "-f", "compose.yml"]);
    assert_eq!(out.status.code(), Some(2));
}
