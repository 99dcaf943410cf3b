//! `fdcs-policy login` against a fake Keystone: the token request it sends,
//! and the config.json it leaves (merged, 0600, the headers the docker CLI
//! sends).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;

/// A Keystone answering one `POST /v3/auth/tokens`: 201 with a token when
/// the password (or application credential secret) is right, else 401.
/// Sends the request body it received.
fn fake_keystone() -> (String, mpsc::Receiver<serde_json::Value>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v3", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut len = 0;
        let mut first = String::new();
        r.read_line(&mut first).unwrap();
        assert!(first.starts_with("POST /v3/auth/tokens "), "{first}");
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let ok = v["auth"]["identity"]["password"]["user"]["password"] == "alicepw"
            || v["auth"]["identity"]["application_credential"]["secret"] == "acsecret";
        tx.send(v).unwrap();
        let answer = r#"{"token":{"expires_at":"2099-01-01T00:00:00.000000Z","project":{"id":"0a1b2c","name":"alpha"}}}"#;
        let mut s = s;
        if ok {
            write!(s, "HTTP/1.1 201 Created\r\nX-Subject-Token: tok-123\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}", answer.len()).unwrap();
        } else {
            write!(
                s,
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
            )
            .unwrap();
        }
    });
    (url, rx)
}

fn login(args: &[&str], env: &[(&str, &str)], stdin: &str) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fdcs-policy"));
    c.arg("login").args(args);
    for k in [
        "OS_AUTH_URL",
        "OS_USERNAME",
        "OS_PASSWORD",
        "OS_PROJECT_NAME",
        "OS_USER_DOMAIN_NAME",
        "OS_PROJECT_DOMAIN_NAME",
        "OS_APPLICATION_CREDENTIAL_ID",
        "OS_APPLICATION_CREDENTIAL_SECRET",
        "DOCKER_CONFIG",
    ] {
        c.env_remove(k);
    }
    c.envs(env.iter().copied());
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("fdcs-login-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn os_variables_and_a_prompted_password_merge_the_headers_into_config_json() {
    let (url, seen) = fake_keystone();
    let dir = tempdir("merge");
    let cfg = dir.join("config.json");
    std::fs::write(
        &cfg,
        r#"{"auths":{"reg.example":{"auth":"eA=="}},"HttpHeaders":{"User-Agent":"me","x-auth-token":"old"},"credsStore":"pass"}"#,
    )
    .unwrap();
    let out = login(
        &[],
        &[
            ("OS_AUTH_URL", &url),
            ("OS_USERNAME", "alice"),
            ("OS_PROJECT_NAME", "alpha"),
            ("DOCKER_CONFIG", dir.to_str().unwrap()),
        ],
        "alicepw\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2099-01-01T00:00:00"), "{stdout}");
    let sent = seen.recv().unwrap();
    assert_eq!(sent["auth"]["scope"]["project"]["name"], "alpha");
    assert_eq!(
        sent["auth"]["identity"]["password"]["user"]["name"],
        "alice"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&cfg).unwrap()).unwrap();
    assert_eq!(v["HttpHeaders"]["X-Auth-Token"], "tok-123");
    assert_eq!(v["HttpHeaders"]["X-Auth-TenantId"], "0a1b2c");
    assert_eq!(v["HttpHeaders"]["User-Agent"], "me");
    assert!(v["HttpHeaders"].get("x-auth-token").is_none());
    assert_eq!(v["auths"]["reg.example"]["auth"], "eA==");
    assert_eq!(v["credsStore"], "pass");
    let mode = std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // no temporary file left behind
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn application_credentials_and_os_password_need_no_prompt() {
    let (url, seen) = fake_keystone();
    let dir = tempdir("appcred");
    let out = login(
        &["--keystone", &url, "--config", dir.to_str().unwrap()],
        &[
            ("OS_APPLICATION_CREDENTIAL_ID", "ac1"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "acsecret"),
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = seen.recv().unwrap();
    assert_eq!(
        sent["auth"]["identity"]["methods"][0],
        "application_credential"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(v["HttpHeaders"]["X-Auth-TenantId"], "0a1b2c");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_wrong_password_fails_and_leaves_the_config_alone() {
    let (url, _seen) = fake_keystone();
    let dir = tempdir("wrong");
    let cfg = dir.join("config.json");
    std::fs::write(&cfg, r#"{"HttpHeaders":{"X-Auth-Token":"keep"}}"#).unwrap();
    let out = login(
        &[
            "--keystone",
            &url,
            "--user",
            "alice",
            "--project",
            "alpha",
            "--config",
            dir.to_str().unwrap(),
        ],
        &[("OS_PASSWORD", "nope")],
        "",
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        r#"{"HttpHeaders":{"X-Auth-Token":"keep"}}"#
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn there_is_no_password_flag() {
    let out = login(
        &["--keystone", "http://127.0.0.1:1", "--password", "x"],
        &[],
        "",
    );
    assert!(!out.status.success());
}
