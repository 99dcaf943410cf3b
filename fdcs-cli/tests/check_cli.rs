//! `fdcs-policy check` as scripts use it: the interface, the output formats
//! and the exit codes (0 allowed, 1 denied, 2 usage or input error).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fdcs-policy/tests/corpus")
        .join(rel)
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .arg("check")
        .args(args)
        .output()
        .expect("run fdcs-policy")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch file unique to this test process.
fn scratch(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fdcs-check-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn run_web_is_rewritten_into_the_tenants_scope() {
    let run_web = corpus("cli28/run-web.http");
    let o = check(&["--tenant", "alpha", s(&run_web)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1);
    assert!(
        out.contains(": rewrite POST /v1.41/containers/create?name=alpha_web {"),
        "{out}"
    );
    assert!(out.contains(r#""fdcs.tenant":"alpha""#), "{out}");
}

#[test]
fn run_web_json_has_exactly_the_documented_fields() {
    let run_web = corpus("cli28/run-web.http");
    let o = check(&["--tenant", "alpha", "--format", "json", s(&run_web)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(v["file"], s(&run_web));
    assert_eq!(v["verdict"], "rewrite");
    assert_eq!(v["status"], 200);
    assert_eq!(v["rule"], Value::Null);
    assert_eq!(v["message"], Value::Null);
    assert_eq!(v["forward"]["method"], "POST");
    assert_eq!(v["forward"]["path"], "/v1.41/containers/create");
    assert_eq!(v["forward"]["query"], "name=alpha_web");
    assert_eq!(v["forward"]["body"]["Labels"]["fdcs.tenant"], "alpha");
    assert!(v["obligations"].is_array());
    for key in [
        "file",
        "verdict",
        "status",
        "rule",
        "message",
        "forward",
        "obligations",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn host_bind_mount_is_denied_with_rule_and_advice() {
    let bad = corpus("cli28/run-web-bind-etc.http");
    let o = check(&["--tenant", "alpha", s(&bad)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!(
            "{}: deny 403 mounts.no-host-path: fdcs: ",
            s(&bad)
        )),
        "{out}"
    );
    assert!(out.contains("/etc"), "{out}");

    let o = check(&["--tenant", "alpha", "--format", "json", s(&bad)]);
    let v = &json_lines(&o)[0];
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["status"], 403);
    assert_eq!(v["rule"], "mounts.no-host-path");
    assert_eq!(v["forward"], Value::Null);
}

#[test]
fn foreign_id_prefix_is_not_found_with_state_and_a_question_without() {
    let get = corpus("isolation/inspect-foreign-id-prefix.http");
    let state = corpus("state.json");
    let o = check(&["--tenant", "alpha", "--state", s(&state), s(&get)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim_end(),
        format!("{}: deny 404 -: No such container: bdb0c0", s(&get))
    );
    let o = check(&[
        "--tenant",
        "alpha",
        "--state",
        s(&state),
        "--format",
        "json",
        s(&get),
    ]);
    let v = &json_lines(&o)[0];
    assert_eq!(v["status"], 404);
    assert_eq!(v["rule"], Value::Null);
    assert_eq!(v["message"], "No such container: bdb0c0");
    // one targeted question at a time: the engine-side name, then the prefix
    assert_eq!(
        v["obligations"],
        serde_json::json!([
            {"need": "lookup", "kind": "container", "by": "name", "value": "alpha_bdb0c0", "api": "/v1.41"},
            {"need": "lookup", "kind": "container", "by": "prefix", "value": "bdb0c0", "api": "/v1.41"}
        ])
    );

    // without --state: the question is listed, and nothing was denied
    let o = check(&["--tenant", "alpha", "--format", "json", s(&get)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(v["verdict"], "need");
    assert_eq!(v["forward"], Value::Null);
    assert_eq!(
        v["obligations"],
        serde_json::json!([{"need": "lookup", "kind": "container", "by": "name", "value": "alpha_bdb0c0", "api": "/v1.41"}])
    );
    let o = check(&["--tenant", "alpha", s(&get)]);
    assert!(
        stdout(&o).contains(": need the tenant's container with engine-side name `alpha_bdb0c0`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_same_request_is_the_owners_for_beta() {
    // beta owns a container named `web` too: the name is per tenant
    let get = corpus("isolation/inspect-own-name.http");
    let state = corpus("state.json");
    for tenant in ["alpha", "beta"] {
        let o = check(&["--tenant", tenant, "--state", s(&state), s(&get)]);
        assert_eq!(o.status.code(), Some(0), "{tenant}: {}", stdout(&o));
        // resolved to the owner's own container (an inspect goes by the
        // engine-side name its lookup found), never the other's
        assert!(
            stdout(&o).contains(&format!(
                ": rewrite GET /v1.41/containers/{tenant}_web/json"
            )),
            "{tenant}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn one_denied_request_among_many_exits_1_and_prints_every_line() {
    let files = [
        corpus("cli28/ping.http"),
        corpus("cli28/run-web-publish-8080.http"),
        corpus("cli28/ps.http"),
    ];
    let mut args = vec!["--tenant", "alpha"];
    args.extend(files.iter().map(|f| s(f)));
    let o = check(&args);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].contains(": allow HEAD /_ping"), "{out}");
    assert!(
        lines[1].contains(": deny 403 ports.ephemeral-only: fdcs: "),
        "{out}"
    );
    assert!(
        lines[2].contains(": rewrite GET /v1.41/containers/json?"),
        "{out}"
    );
}

#[test]
fn lf_and_chunked_files_judge_like_the_crlf_original() {
    let original = std::fs::read(corpus("cli28/run-web-bind-etc.http")).unwrap();
    let text = String::from_utf8(original).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let lf = scratch(
        "lf.http",
        format!("{}\n\n{body}", head.replace("\r\n", "\n")).as_bytes(),
    );
    let head_chunked: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let (a, b) = body.split_at(100);
    let chunked = scratch(
        "chunked.http",
        format!(
            "{head_chunked}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        )
        .as_bytes(),
    );
    for f in [&lf, &chunked] {
        let o = check(&["--tenant", "alpha", s(f)]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(": deny 403 mounts.no-host-path:"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn input_errors_exit_2_with_a_clear_message() {
    let ping = corpus("cli28/ping.http");
    // invalid tenant id: could break name scoping
    let o = check(&["--tenant", "al_pha", s(&ping)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid tenant id `al_pha`"),
        "{}",
        stderr(&o)
    );

    // unreadable request file
    let o = check(&["--tenant", "alpha", "/nonexistent/x.http"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read /nonexistent/x.http"),
        "{}",
        stderr(&o)
    );

    // no request file at all
    let o = check(&["--tenant", "alpha"]);
    assert_eq!(o.status.code(), Some(2));

    // bad request file: ambiguous framing; nothing is judged, not even the good one
    let smuggle = scratch(
        "smuggle.http",
        b"POST /v1.41/containers/create HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
    );
    let o = check(&["--tenant", "alpha", s(&ping), s(&smuggle)]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("invalid request file"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("ambiguous"), "{}", stderr(&o));

    // bad state file
    let state = scratch(
        "state.json",
        br#"{"containers":[{"id":"abc","tenant":"alpha","name":"web"}]}"#,
    );
    let o = check(&["--tenant", "alpha", "--state", s(&state), s(&ping)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("64 lowercase hex"), "{}", stderr(&o));

    // unknown format
    let o = check(&["--tenant", "alpha", "--format", "xml", s(&ping)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_broken_policy_is_reported_with_file_line_and_column() {
    let ping = corpus("cli28/ping.http");
    let bad = scratch(
        "bad-policy.yaml",
        b"name: broken\nports:\n  ephemeral_only: [\n",
    );
    let o = check(&["--tenant", "alpha", "--policy", s(&bad), s(&ping)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    // `FILE:LINE:COL: message`
    let at = err.find(&format!("{}:", s(&bad))).expect(&err);
    let rest = &err[at + s(&bad).len() + 1..];
    let mut parts = rest.splitn(3, ':');
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{err}");
    assert!(parts.next().unwrap().parse::<u32>().is_ok(), "{err}");
}

#[test]
fn tenants_file_limits_apply_and_unknown_tenants_are_refused() {
    let tenants = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/demo-tenants.yaml");
    // beta's ceiling in the demo tenants file is 512Mi: 1Gi passes for alpha
    // (policy ceiling) but not for beta
    let body = r#"{"Image":"busybox","HostConfig":{"Memory":1073741824}}"#;
    let req = scratch(
        "one-gig.http",
        format!(
            "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let o = check(&["--tenant", "alpha", "--tenants", s(&tenants), s(&req)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = check(&["--tenant", "beta", "--tenants", s(&tenants), s(&req)]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains(": deny 403 resources.memory: "),
        "{}",
        stdout(&o)
    );

    let o = check(&["--tenant", "gamma", "--tenants", s(&tenants), s(&req)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("tenant `gamma` is not in"),
        "{}",
        stderr(&o)
    );

    let bad = scratch(
        "tenants.yaml",
        b"tenants:\n  - id: Alpha\n    tokens: [x]\n",
    );
    let o = check(&["--tenant", "alpha", "--tenants", s(&bad), s(&req)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{}:", s(&bad))),
        "{}",
        stderr(&o)
    );
}

/// The corpus of `fdcs-policy/tests/corpus`, judged through the CLI, must
/// get the verdicts the library test checks: `check` (raw HTTP parsing,
/// `--state` answers) and the library agree on every case.
#[test]
fn the_request_corpus_gets_the_same_verdicts_through_the_cli() {
    #[derive(serde::Deserialize)]
    struct Manifest {
        cases: Vec<Case>,
    }
    #[derive(serde::Deserialize)]
    struct Case {
        file: String,
        tenant: Option<String>,
        /// The policy file, relative to the repository root.
        policy: Option<String>,
        verdict: String,
        status: Option<u16>,
        /// A known gap of the core: the library test reports it.
        pending: Option<String>,
    }
    let manifest: Manifest =
        serde_saphyr::from_str(&std::fs::read_to_string(corpus("cases.yaml")).unwrap()).unwrap();
    let state = corpus("state.json");
    let tenants = corpus("tenants.yaml");
    let mut checked = 0;
    let policies: std::collections::BTreeSet<Option<&str>> =
        manifest.cases.iter().map(|c| c.policy.as_deref()).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (tenant, policy) in ["alpha", "beta", "gamma", "delta", "epsilon"]
        .into_iter()
        .flat_map(|t| policies.iter().map(move |p| (t, *p)))
    {
        let cases: Vec<&Case> = manifest
            .cases
            .iter()
            .filter(|c| c.tenant.as_deref().unwrap_or("alpha") == tenant)
            .filter(|c| c.policy.as_deref() == policy)
            .collect();
        if cases.is_empty() {
            continue;
        }
        let files: Vec<PathBuf> = cases.iter().map(|c| corpus(&c.file)).collect();
        let policy_path = policy.map(|p| root.join(p));
        let mut args = vec![
            "--tenant",
            tenant,
            "--tenants",
            s(&tenants),
            "--state",
            s(&state),
            "--format",
            "json",
        ];
        if let Some(p) = &policy_path {
            args.extend(["--policy", s(p)]);
        }
        args.extend(files.iter().map(|f| s(f)));
        let o = check(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
        let lines = json_lines(&o);
        assert_eq!(lines.len(), cases.len());
        for (c, v) in cases.iter().zip(&lines) {
            checked += 1;
            if c.pending.is_some() {
                continue;
            }
            let got = v["verdict"].as_str().unwrap();
            let ok = match c.verdict.as_str() {
                "allowed" => got == "allow" || got == "rewrite",
                "any" => got != "need",
                want => got == want,
            };
            assert!(ok, "{}: {got}, expected {}", c.file, c.verdict);
            if let (Some(st), "deny") = (c.status, got) {
                assert_eq!(v["status"], st, "{}", c.file);
            }
        }
    }
    assert_eq!(checked, manifest.cases.len());
}

#[test]
fn another_policy_file_with_cel_rules_is_used() {
    let policy =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/examples/registry-prefix.yaml");
    let foreign_image = corpus("images/create-hub-image.http");
    let o = check(&[
        "--tenant",
        "alpha",
        "--policy",
        s(&policy),
        "--format",
        "json",
        s(&foreign_image),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = &json_lines(&o)[0];
    assert_eq!(v["rule"], "custom.images.registry-prefix");
    // the embedded default allows any image of Docker Hub
    let o = check(&["--tenant", "alpha", s(&foreign_image)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// `check | head`: a reader that went away is no error (ripgrep's rule),
/// nothing on stderr and exit 0; the read end is closed before `check`
/// writes, so every write meets a broken pipe.
#[test]
fn a_closed_stdout_pipe_exits_quietly() {
    let ping = corpus("cli28/ping.http");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .args(["check", "--tenant", "alpha", s(&ping), s(&ping)])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

/// Any other write error (a full disk) is an input/output error: exit 2
/// and a message, not a silent success with a truncated report.
#[test]
fn a_stdout_that_cannot_be_written_is_exit_2_with_a_message() {
    let ping = corpus("cli28/ping.http");
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let o = Command::new(env!("CARGO_BIN_EXE_fdcs-policy"))
        .args(["check", "--tenant", "alpha", s(&ping)])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write to stdout: No space left on device"),
        "{}",
        stderr(&o)
    );
}
