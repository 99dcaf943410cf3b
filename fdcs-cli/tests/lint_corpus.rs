//! The compose corpus under `tests/compose/`: every case is linted by the
//! built binary and must produce exactly the findings (file, line, column,
//! severity, rule) and the exit code in its `expected.json`.
//!
//! A case is a directory with compose file(s), an optional `.env`, an
//! optional `args` file (one argument per line; default `.`), and
//! `expected.json`. The environment is cleared so interpolation only sees
//! what the case ships.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_fdcs-policy")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/compose")
}

fn lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .arg("lint")
        .args(args)
        .output()
        .expect("run fdcs-policy")
}

fn case_args(dir: &Path) -> Vec<String> {
    match std::fs::read_to_string(dir.join("args")) {
        Ok(t) => t
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        Err(_) => vec![".".to_string()],
    }
}

#[test]
fn every_corpus_case_gives_its_expected_findings_and_exit_code() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/compose exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 30,
        "the corpus must hold at least 30 cases, has {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let args = case_args(dir);
        let mut argv: Vec<&str> = vec!["--format", "json"];
        argv.extend(args.iter().map(String::as_str));
        let out = lint(dir, &argv);
        let code = out.status.code().unwrap_or(-1);
        let got: Vec<String> = serde_json::from_slice::<Value>(&out.stdout)
            .unwrap_or(Value::Array(vec![]))
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{} {} {}",
                    f["file"].as_str().unwrap(),
                    f["line"],
                    f["column"],
                    f["severity"].as_str().unwrap(),
                    f["rule"].as_str().unwrap()
                )
            })
            .collect();
        let want: Vec<String> = expected["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if code != expected["exit"].as_i64().unwrap() as i32 {
            failures.push(format!(
                "{name}: exit {code}, expected {}; stderr: {}",
                expected["exit"],
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        if got != want {
            failures.push(format!("{name}:\n  got  {got:#?}\n  want {want:#?}"));
        }
        if let Some(loc) = expected.get("stderr").and_then(Value::as_str) {
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.contains(loc) {
                failures.push(format!("{name}: stderr {err:?} lacks {loc:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_corpus_covers_clean_violating_versions_interpolation_and_multiple_files() {
    let root = corpus();
    let mut exits = std::collections::BTreeSet::new();
    let (mut v2, mut v3, mut spec, mut interp, mut multi) = (0, 0, 0, 0, 0);
    for e in std::fs::read_dir(&root).unwrap() {
        let dir = e.unwrap().path();
        let Ok(exp) = std::fs::read_to_string(dir.join("expected.json")) else {
            continue;
        };
        let exp: Value = serde_json::from_str(&exp).unwrap();
        exits.insert(exp["exit"].as_i64().unwrap());
        let mut yaml = 0;
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                yaml += 1;
                let t = std::fs::read_to_string(&p).unwrap();
                if t.contains("version: '2") || t.contains("version: \"2") {
                    v2 += 1;
                } else if t.contains("version: '3")
                    || t.contains("version: \"3")
                    || t.contains("version: 3")
                {
                    v3 += 1;
                } else {
                    spec += 1;
                }
                if t.contains("${") {
                    interp += 1;
                }
            }
        }
        if yaml > 1 {
            multi += 1;
        }
    }
    assert_eq!(
        exits,
        [0, 1, 2].into_iter().collect(),
        "clean, violating and broken cases"
    );
    for (what, n) in [
        ("v2", v2),
        ("v3", v3),
        ("compose-spec", spec),
        ("interpolation", interp),
        ("multi-file", multi),
    ] {
        assert!(n >= 2, "too few {what} cases: {n}");
    }
}

#[test]
fn text_output_points_at_line_and_column_with_a_caret_and_no_colour_in_a_pipe() {
    let dir = corpus().join("cadvisor");
    let out = lint(&dir, &["."]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b'),
        "no ANSI colour when stdout is not a terminal"
    );
    let expected = "error[privileges.privileged]: privileged mode is not allowed (POST /v1.41/containers/create?name=cadvisor_cadvisor_1)\n --> docker-compose.yml:5:5\n  |\n5 |     privileged: true\n  |     ^^^^^^^^^^\n";
    assert!(text.contains(expected), "{text}");
    assert!(text.contains("error[ports.ephemeral-only]"), "{text}");
}

#[test]
fn fail_on_controls_the_exit_code() {
    let dir = corpus().join("interp-dotenv-resolved"); // warnings and info only
    assert_eq!(lint(&dir, &["."]).status.code(), Some(0));
    assert_eq!(
        lint(&dir, &["--fail-on", "warning", "."]).status.code(),
        Some(1)
    );
    assert_eq!(
        lint(&dir, &["--fail-on", "bogus", "."]).status.code(),
        Some(2)
    );
    assert_eq!(lint(&dir, &["no-such-file.yml"]).status.code(), Some(2));
}

#[test]
fn policy_lint_block_changes_severities() {
    let tmp = std::env::temp_dir().join(format!("fdcs-lint-policy-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let policy = tmp.join("policy.yaml");
    let mut src = fdcs_default_policy();
    src.push_str("\nlint:\n  rules:\n    compose.no-new-privileges: error\n    compose.healthcheck-unset: off\n");
    std::fs::write(&policy, src).unwrap();
    let dir = corpus().join("interp-dotenv-resolved");
    let out = lint(
        &dir,
        &[
            "--format",
            "json",
            "--policy",
            policy.to_str().unwrap(),
            ".",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<(&str, &str)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [("compose.no-new-privileges", "error")],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
}

fn fdcs_default_policy() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/default.yaml"))
        .unwrap()
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let dir = corpus().join("prometheus-node-exporter");
    let out = lint(&dir, &["--format", "sarif", "."]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 5);
    let r = &results[0]["locations"][0]["physicalLocation"];
    // relative to the repository root (the default `--base`), as code scanning resolves it
    assert_eq!(
        r["artifactLocation"]["uri"],
        "tests/compose/prometheus-node-exporter/docker-compose.yml"
    );
    assert_eq!(r["artifactLocation"]["uriBaseId"], "SRCROOT");
    assert!(r["region"]["startLine"].as_u64().unwrap() >= 1);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().any(|r| r["id"] == "namespaces.no-host"));

    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/sarif-schema-2.1.0.json");
    let sarif = std::env::temp_dir().join(format!("fdcs-lint-{}.sarif", std::process::id()));
    std::fs::write(&sarif, &out.stdout).unwrap();
    let check = Command::new("python3")
        .arg("-c")
        .arg("import json,sys,jsonschema; jsonschema.Draft4Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2]))); print('valid')")
        .arg(&schema)
        .arg(&sarif)
        .output()
        .expect("python3 with the `jsonschema` package is needed (pip install jsonschema)");
    assert!(
        check.status.success(),
        "SARIF does not validate: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // and an invalid document must not: the validator is really checking
    std::fs::write(
        &sarif,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}"#,
    )
    .unwrap();
    let bad = Command::new("python3")
        .arg("-c")
        .arg("import json,sys,jsonschema; jsonschema.Draft4Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))")
        .arg(&schema)
        .arg(&sarif)
        .output()
        .unwrap();
    assert!(!bad.status.success(), "the schema check accepts anything");
}

#[test]
fn junit_output_has_one_case_per_service_failing_on_findings_at_or_above_fail_on() {
    let dir = corpus().join("watchtower");
    let out = lint(&dir, &["--format", "junit", "."]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"));
    let json = lint(&dir, &["--format", "json", "."]);
    let findings: Vec<Value> = serde_json::from_slice::<Value>(&json.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let mut services: Vec<&str> = findings
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    services.sort_unstable();
    services.dedup();
    assert_eq!(xml.matches("<testcase ").count(), services.len(), "{xml}");
    let failing = services
        .iter()
        .filter(|s| {
            findings
                .iter()
                .any(|f| f["subject"] == **s && f["severity"] == "error")
        })
        .count();
    assert_eq!(xml.matches("<failure ").count(), failing, "{xml}");
    assert!(
        xml.contains(&format!(
            "tests=\"{}\" failures=\"{failing}\" errors=\"0\"",
            services.len()
        )),
        "{xml}"
    );
    assert!(
        xml.contains("docker-compose.yml:6:9: error[mounts.no-host-path]"),
        "{xml}"
    );
    assert!(
        xml.contains("file=\"tests/compose/watchtower/docker-compose.yml\""),
        "{xml}"
    );
}

#[test]
fn explain_documents_rules_from_denials_and_checks() {
    for id in [
        "ports.ephemeral-only",
        "compose.memory-unset",
        "compose.unresolved-variable",
    ] {
        let out = Command::new(bin()).args(["explain", id]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{id}");
        let text = String::from_utf8(out.stdout).unwrap();
        for part in [
            "What it guards against",
            "Example that breaks it",
            "How to comply",
        ] {
            assert!(text.contains(part), "{id}: {text}");
        }
    }
    let out = Command::new(bin())
        .args(["explain", "no.such"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_rule_the_corpus_reports_has_an_explain_page() {
    let mut ids = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(corpus()).unwrap() {
        let Ok(t) = std::fs::read_to_string(e.unwrap().path().join("expected.json")) else {
            continue;
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        for f in v["findings"].as_array().unwrap() {
            ids.insert(f.as_str().unwrap().rsplit(' ').next().unwrap().to_string());
        }
    }
    assert!(ids.len() > 20, "{ids:?}");
    for id in ids {
        let out = Command::new(bin()).args(["explain", &id]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "`explain {id}` fails");
    }
}

#[test]
fn a_tenants_file_applies_that_tenants_ceilings_and_images() {
    let tmp = std::env::temp_dir().join(format!("fdcs-lint-tenants-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let tenants = tmp.join("tenants.yaml");
    std::fs::write(&tenants, "tenants:\n  - id: small\n    tokens: [t1]\n    limits:\n      memory: 128Mi\n      images: [\"busybox*\"]\n  - id: big\n    tokens: [t2]\n").unwrap();
    let dir = corpus().join("clean-hardened-v3"); // nginx:1.27.2, mem_limit 256m
    let run = |id: &str| {
        let out = lint(
            &dir,
            &[
                "--format",
                "json",
                "--tenants",
                tenants.to_str().unwrap(),
                "--tenant",
                id,
                ".",
            ],
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let rules: Vec<String> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["rule"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        (out.status.code(), rules)
    };
    assert_eq!(run("big"), (Some(0), vec![]));
    let (code, rules) = run("small");
    assert_eq!(code, Some(1));
    assert_eq!(
        rules,
        ["images.allowed", "resources.memory"],
        "both, though the first denial stops the engine"
    );
    assert_eq!(
        run("nobody").0,
        Some(2),
        "an unknown tenant is a usage error"
    );
}
