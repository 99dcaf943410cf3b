//! The CI integration this repository publishes (issue 11 item 6): the
//! pre-commit hook in `.pre-commit-hooks.yaml` parses, names the compose
//! files compose itself reads and runs a command that works; the README's
//! GitHub Actions, GitLab and pre-commit snippets parse and say what the
//! README promises.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap()
}

/// The one hook, as pre-commit reads it.
fn hook() -> Value {
    let hooks: Value = serde_saphyr::from_str(&read(".pre-commit-hooks.yaml")).unwrap();
    let hooks = hooks.as_array().expect("a list of hooks");
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    hooks.first().unwrap().clone()
}

fn field<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
}

#[test]
fn the_pre_commit_hook_parses_and_runs_fdcs_policy_from_path() {
    let h = hook();
    assert_eq!(field(&h, "id"), "fdcs-lint");
    assert_eq!(field(&h, "entry"), "fdcs-policy lint");
    // the repository root is a virtual manifest: `language: rust` cannot
    // `cargo install --path .` it
    assert_eq!(field(&h, "language"), "system");
    assert!(!field(&h, "name").is_empty());
    assert!(
        h.get("pass_filenames").is_none_or(|p| p == true),
        "lint takes the changed files"
    );
}

/// pre-commit matches `files` with Python's `re.search` on the path from
/// the repository root; this pattern means the same in the `regex` crate.
#[test]
fn the_hooks_files_pattern_takes_compose_file_names_at_any_depth_and_nothing_else() {
    let h = hook();
    let files = regex::Regex::new(field(&h, "files")).unwrap();
    for name in [
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yaml",
        "compose.yml",
        "compose.prod.yml",
        "docker-compose.override.yml",
        "sub/docker-compose.override.yaml",
        "deploy/stack/compose.staging.yaml",
    ] {
        assert!(files.is_match(name), "{name} is not matched");
    }
    for name in [
        "mycompose.yml.bak",
        "mycompose.yml",
        "docker-compose.yml.orig",
        "compose.json",
        "compose/README.md",
        "sub/xdocker-compose.yml",
        "compose.yaml/notes.txt",
    ] {
        assert!(!files.is_match(name), "{name} is matched");
    }
}

/// The hook's command as pre-commit runs it (`entry`, then `args`, then the
/// files), with the binary this crate builds in the place of the one on
/// `PATH`: a clean file passes, a file with an engine finding fails.
#[test]
fn the_hooks_entry_passes_a_clean_file_and_fails_a_dangerous_one() {
    let h = hook();
    let entry: Vec<&str> = field(&h, "entry").split_whitespace().collect();
    let (program, args) = entry.split_first().unwrap();
    assert_eq!(*program, "fdcs-policy");
    let run = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
            .current_dir(root())
            .args(args)
            .args(["--policy", "policies/default.yaml"])
            .arg(file)
            .output()
            .unwrap()
    };
    let clean = run("tests/compose/clean-hardened-v3/docker-compose.yml");
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    let socket = run("tests/compose/portainer-socket/docker-compose.yml");
    assert_eq!(socket.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&socket.stdout).contains("error["));
}

/// The YAML blocks of the README's CI section, parsed.
fn readme_ci_snippets() -> Vec<Value> {
    let readme = read("README.md");
    let start = readme
        .find("### `lint` in CI and in pre-commit")
        .expect("the README's CI section");
    let section = readme.get(start..).unwrap();
    // up to the next `## ` heading (the search starts past this one's `###`)
    let end = section
        .get(4..)
        .and_then(|s| s.find("\n## "))
        .map_or(section.len(), |e| e + 4);
    let mut blocks = Vec::new();
    let mut rest = section.get(..end).unwrap();
    while let Some(open) = rest.find("```yaml\n") {
        let body = rest.get(open + 8..).unwrap();
        let close = body.find("```").expect("a closed block");
        let yaml = body.get(..close).unwrap();
        blocks.push(
            serde_saphyr::from_str::<Value>(yaml)
                .unwrap_or_else(|e| panic!("README YAML block does not parse: {e}\n{yaml}")),
        );
        rest = body.get(close + 3..).unwrap();
    }
    blocks
}

/// `workspace.package.repository` of the root `Cargo.toml`, the URL the
/// snippets install from.
fn repository() -> String {
    let cargo = read("Cargo.toml");
    let line = cargo
        .lines()
        .find(|l| l.starts_with("repository = "))
        .expect("workspace.package.repository");
    line.trim_start_matches("repository = ")
        .trim_matches('"')
        .to_string()
}

#[test]
fn the_readmes_ci_snippets_parse_install_from_the_repository_and_upload_always() {
    let blocks = readme_ci_snippets();
    assert_eq!(blocks.len(), 3, "GitHub Actions, GitLab, pre-commit");
    let repo = repository();
    let install = format!("cargo install --locked --git {repo} fdcs-cli");

    // GitHub Actions: install, lint to SARIF, upload whatever lint's exit code
    let steps = blocks[0]
        .pointer("/jobs/fdcs-lint/steps")
        .and_then(Value::as_array)
        .expect("jobs.fdcs-lint.steps");
    let runs: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.get("run").and_then(Value::as_str))
        .collect();
    assert!(runs.contains(&install.as_str()), "{runs:?}");
    assert!(
        runs.contains(&"fdcs-policy lint --format sarif --policy policy.yaml . > fdcs.sarif"),
        "{runs:?}"
    );
    let upload = steps
        .iter()
        .find(|s| {
            s.get("uses").and_then(Value::as_str) == Some("github/codeql-action/upload-sarif@v3")
        })
        .expect("an upload-sarif step");
    assert_eq!(field(upload, "if"), "always()");
    assert_eq!(
        upload.pointer("/with/sarif_file").and_then(Value::as_str),
        Some("fdcs.sarif")
    );
    assert_eq!(
        blocks[0]
            .pointer("/jobs/fdcs-lint/permissions/security-events")
            .and_then(Value::as_str),
        Some("write"),
        "code scanning uploads need security-events: write"
    );

    // GitLab: JUnit report kept on failure
    let job = blocks[1].get("fdcs-lint").expect("a fdcs-lint job");
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(script.contains(&install.as_str()), "{script:?}");
    assert!(
        script.iter().any(|l| l.contains("--format junit")),
        "{script:?}"
    );
    assert_eq!(
        job.pointer("/artifacts/reports/junit")
            .and_then(Value::as_str),
        Some("fdcs-junit.xml")
    );
    assert_eq!(
        job.pointer("/artifacts/when").and_then(Value::as_str),
        Some("always")
    );

    // pre-commit: this repository's hook
    let repos = blocks[2]["repos"].as_array().unwrap();
    let ours = repos.first().unwrap();
    assert_eq!(field(ours, "repo"), repo);
    assert_eq!(
        ours.pointer("/hooks/0/id").and_then(Value::as_str),
        Some(field(&hook(), "id"))
    );
}
