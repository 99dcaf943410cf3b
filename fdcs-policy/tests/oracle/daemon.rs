//! Building and running the Go oracle (`tests/oracle/main.go` at the
//! repository root) against the engine's own source.
//!
//! The source is Debian's `golang-github-docker-docker-dev` (moby 20.10.24
//! under `/usr/share/gocode`, or `$FDCS_ORACLE_GOCODE`), built offline with
//! Go in GOPATH mode. Without `go` or the package the tests skip with a
//! message; with `CI=true` (or `FDCS_ORACLE=1`) they fail instead.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

/// One line of the oracle's answer (see `tests/oracle/main.go`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Answer {
    pub(crate) id: String,
    pub(crate) outcome: String,
    pub(crate) method: String,
    pub(crate) template: String,
    pub(crate) vars: std::collections::BTreeMap<String, String>,
    pub(crate) version: String,
    pub(crate) location: String,
    pub(crate) error: String,
    pub(crate) decoder: String,
    pub(crate) decoded: Option<Value>,
    pub(crate) decode_error: String,
}

/// One line of the oracle's input.
pub(crate) enum Line<'a> {
    /// A request to route (and decode, if its route has a body).
    Request {
        id: &'a str,
        method: &'a str,
        target: &'a str,
        content_type: Option<&'a str>,
        body: &'a [u8],
    },
    /// A body for one decoder.
    Decode {
        id: &'a str,
        decoder: &'a str,
        body: &'a [u8],
    },
}

fn gocode() -> PathBuf {
    std::env::var_os("FDCS_ORACLE_GOCODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/gocode"))
}

fn required() -> bool {
    let on = |k: &str| std::env::var(k).is_ok_and(|v| v == "true" || v == "1");
    on("CI") || on("FDCS_ORACLE")
}

/// The built oracle, or `None` (after saying why) when this machine lacks
/// Go or the engine's source and nothing requires them. Built once per test
/// binary, into the target directory (Go's build cache makes rebuilds cheap).
pub(crate) fn oracle() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(build).as_deref()
}

fn build() -> Option<PathBuf> {
    let moby = gocode().join("src/github.com/docker/docker/api/server/router");
    let go = Command::new("go").arg("version").output();
    let missing = match (&go, moby.is_dir()) {
        (Ok(o), true) if o.status.success() => None,
        (Ok(o), true) => Some(format!(
            "`go version` failed: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        (Err(e), _) => Some(format!("no `go` on PATH ({e})")),
        (_, false) => Some(format!("no moby source at {}", moby.display())),
    };
    if let Some(why) = missing {
        let fix = "apt-get install -y golang-go golang-github-docker-docker-dev";
        if required() {
            panic!(
                "the daemon oracle is required here (CI=true or FDCS_ORACLE=1) but {why}; {fix}"
            );
        }
        eprintln!("skipping the daemon oracle: {why} (install with `{fix}`)");
        return None;
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fdcs-oracle");
    let pkg = root.join("gopath/src/fdcsoracle");
    std::fs::create_dir_all(&pkg).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oracle/main.go");
    std::fs::copy(&src, pkg.join("main.go")).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let bin = root.join("fdcs-oracle");
    let gopath = std::env::join_paths([root.join("gopath"), gocode()]).unwrap();
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(&pkg)
        .env("GOPATH", gopath)
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", root.join("gocache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building the daemon oracle failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(bin)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Runs every line through one oracle process; answers come back in order.
pub(crate) fn ask(bin: &Path, lines: &[Line<'_>]) -> Vec<Answer> {
    let mut input = String::new();
    for l in lines {
        let v = match l {
            Line::Request {
                id,
                method,
                target,
                content_type,
                body,
            } => {
                let mut headers = serde_json::Map::new();
                if let Some(ct) = content_type {
                    headers.insert("Content-Type".into(), Value::from(*ct));
                }
                serde_json::json!({
                    "id": id, "method": method, "target": target,
                    "headers": headers, "body": b64(body),
                })
            }
            Line::Decode { id, decoder, body } => {
                serde_json::json!({"id": id, "decoder": decoder, "body": b64(body)})
            }
        };
        input.push_str(&v.to_string());
        input.push('\n');
    }
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let answers: Vec<Answer> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| {
            let l = l.unwrap();
            serde_json::from_str(&l).unwrap_or_else(|e| panic!("oracle answer {l:?}: {e}"))
        })
        .collect();
    writer.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success(), "the oracle failed");
    assert_eq!(answers.len(), lines.len(), "one answer per line");
    answers
}
