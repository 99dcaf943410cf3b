//! One policy file for every command (issue 11, item 4): each policy in the
//! repository loads with `lint`, `check`, `test` and `serve`.
//!
//! `check`, `test` and `serve` (its `Sources::read_policy`, used at start and
//! on reload) all read a policy with the core's one loader,
//! `fdcs_policy::Policy::from_yaml`, and `lint` does too (its `lint:` block is
//! part of the core's schema, not blanked out). So the test checks that loader
//! on every file, and runs the real binary's `check`, `lint`, `test` and
//! `serve` on each: a policy that one command refuses exits 2 there. `serve`
//! needs no engine to start (it answers 502 until one is there), so it is
//! started on a scratch unix socket and asked for `/_ping`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail the test loudly"
)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run fdcs-policy")
}

/// Every tracked YAML file under `policies/` and `tests/` (and the crate's
/// embedded copy) that is a policy: `apiVersion: fdcs/v1` and `kind: Policy`.
fn policy_files() -> Vec<PathBuf> {
    let out = Command::new("git")
        .current_dir(root())
        .args(["ls-files", "--", "*.yaml", "*.yml"])
        .output()
        .expect("git ls-files");
    assert!(out.status.success(), "git ls-files failed");
    let mut found = Vec::new();
    for rel in String::from_utf8_lossy(&out.stdout).lines() {
        let p = root().join(rel);
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let is_policy = text.lines().any(|l| l.trim() == "kind: Policy")
            && text.lines().any(|l| l.trim() == "apiVersion: fdcs/v1");
        if is_policy {
            found.push(PathBuf::from(rel));
        }
    }
    found.sort();
    found
}

/// Starts `serve` with the policy (no engine behind it) and sends one
/// `/_ping`: any HTTP answer means the policy loaded and serve runs; an exit
/// before that is the refusal, with its stderr.
fn serve_answers(policy: &Path) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "fdcs-policy-files-serve-{}-{}",
        std::process::id(),
        policy.file_stem().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("fdcs.sock");
    let log = dir.join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .current_dir(root())
        .args(["serve", "--policy"])
        .arg(policy)
        .args(["--tenants", "policies/demo-tenants.yaml", "--listen"])
        .arg(format!("unix://{}", sock.display()))
        .arg("--upstream")
        .arg(format!("unix://{}", dir.join("no-engine.sock").display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    let result = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Err(format!(
                "exited {status} before answering: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        if let Ok(mut s) = UnixStream::connect(&sock) {
            s.write_all(b"GET /_ping HTTP/1.1\r\nHost: fdcs\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            break if answer.starts_with("HTTP/1.1 ") {
                Ok(())
            } else {
                Err(format!("no HTTP answer: {answer:?}"))
            };
        }
        if Instant::now() > deadline {
            break Err("did not listen within 20 s".to_string());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[test]
fn every_policy_loads_with_lint_check_test_and_serve() {
    let files = policy_files();
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    assert!(
        names.iter().any(|n| n == "policies/default.yaml"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("tests/")),
        "a policy under tests/ (one with a `lint:` block): {names:?}"
    );
    let with_lint_block = files
        .iter()
        .filter(|p| {
            std::fs::read_to_string(root().join(p))
                .unwrap()
                .lines()
                .any(|l| l == "lint:")
        })
        .count();
    assert!(
        with_lint_block > 0,
        "no policy has a `lint:` block: {names:?}"
    );
    let request = "fdcs-policy/tests/corpus/cli28/run-web.http";
    let mut failures = Vec::new();
    for rel in &files {
        let path = rel.display().to_string();
        // the loader `check`, `test` and `serve` share
        let text = std::fs::read_to_string(root().join(rel)).unwrap();
        if let Err(e) = fdcs_policy::Policy::from_yaml(&text, &path) {
            failures.push(format!("Policy::from_yaml (check/test/serve): {e}"));
        }
        let commands: [(&str, Vec<&str>); 3] = [
            (
                "check",
                vec!["check", "--tenant", "alpha", "--policy", &path, request],
            ),
            (
                "lint",
                vec!["lint", "--policy", &path, "tests/compose/clean-hardened-v3"],
            ),
            ("test", vec!["test", "--policy", &path, "policies/tests"]),
        ];
        if let Err(e) = serve_answers(rel) {
            failures.push(format!("serve {path}: {e}"));
        }
        for (name, args) in commands {
            let o = run(&args);
            let code = o.status.code().unwrap_or(-1);
            let err = String::from_utf8_lossy(&o.stderr);
            // 0 allowed/clean, 1 denied/findings/failed cases; 2 = refused input
            if !(code == 0 || code == 1) || err.contains(&format!("{path}:")) {
                failures.push(format!("{name} {path}: exit {code}: {err}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_policy_with_an_unknown_lint_key_is_refused_by_every_command_at_its_line() {
    let dir = std::env::temp_dir().join(format!("fdcs-policy-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: fdcs/v1\nkind: Policy\nname: bad\nlint:\n  rules:\n    compose.a: off\n  colour: red\n",
    )
    .unwrap();
    let b = bad.display().to_string();
    let request = "fdcs-policy/tests/corpus/cli28/run-web.http";
    for args in [
        vec!["check", "--tenant", "alpha", "--policy", &b, request],
        vec!["lint", "--policy", &b, "tests/compose/clean-hardened-v3"],
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("{b}:7:")), "{args:?}: {err}");
        assert!(err.contains("colour"), "{args:?}: {err}");
    }
    let err = serve_answers(&bad).expect_err("serve refuses it");
    assert!(
        err.contains(&format!("{b}:7:")) && err.contains("colour"),
        "serve: {err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
