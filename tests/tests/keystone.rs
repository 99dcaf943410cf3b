//! `serve --keystone-url` against a real Keystone (`../shared/keystone/up.sh`
//! and `provision.sh`; skipped unless `FDCS_E2E_KEYSTONE=1`): users sign in
//! with `fdcs-policy login` and use the docker CLI unmodified; a user with
//! only the `reader` role lists but cannot create; garbage tokens get 401.
//!
//! `FDCS_KEYSTONE_URL` (default `http://127.0.0.1:5000`) and
//! `FDCS_KEYSTONE_READER=USER:PASSWORD:PROJECT` (a user with only `reader`
//! on a project; provision.sh does not make one) configure it.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{cmd, docker_cli, proxy, scratch_dir, upstream, Proxy};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn login(dir: &Path, url: &str, user: &str, pw: &str, project: &str) -> cmd::Out {
    let mut c = Command::new(proxy::binary().unwrap());
    c.args([
        "login",
        "--keystone",
        url,
        "--user",
        user,
        "--project",
        project,
        "--config",
    ])
    .arg(dir)
    .env("OS_PASSWORD", pw)
    .env_remove("DOCKER_CONFIG");
    cmd::run(c, Duration::from_secs(60))
}

fn docker(dir: &Path, host: &str, args: &[&str]) -> cmd::Out {
    let mut c = Command::new(docker_cli());
    c.arg("--config").arg(dir).args(["-H", host]).args(args);
    cmd::run(c, Duration::from_secs(120))
}

#[test]
fn a_reader_lists_but_cannot_create_and_garbage_is_401() {
    if std::env::var("FDCS_E2E_KEYSTONE").as_deref() != Ok("1") {
        eprintln!("skipped: set FDCS_E2E_KEYSTONE=1 with a Keystone from ../shared/keystone/up.sh");
        return;
    }
    let url = std::env::var("FDCS_KEYSTONE_URL").unwrap_or_else(|_| "http://127.0.0.1:5000".into());
    let reader =
        std::env::var("FDCS_KEYSTONE_READER").expect("FDCS_KEYSTONE_READER=USER:PASSWORD:PROJECT");
    let r: Vec<&str> = reader.splitn(3, ':').collect();
    assert_eq!(r.len(), 3, "FDCS_KEYSTONE_READER=USER:PASSWORD:PROJECT");
    let dir = scratch_dir("keystone");
    let pwfile = dir.join("svc.pw");
    std::fs::write(&pwfile, "svcpw\n").unwrap();
    let proxy = Proxy::start(
        &upstream(),
        &[
            "--keystone-url",
            &url,
            "--keystone-user",
            "svc",
            "--keystone-password-file",
            pwfile.to_str().unwrap(),
            "--keystone-project",
            "service",
        ],
        &dir,
    )
    .unwrap();
    let host = proxy.host();

    let reader_dir = dir.join("reader");
    let out = login(&reader_dir, &url, r[0], r[1], r[2]);
    assert!(out.ok().contains("expires at"), "{out}");
    docker(&reader_dir, &host, &["ps"]).ok();
    docker(&reader_dir, &host, &["create", "busybox"]).fails_with("auth.role");

    let alice_dir = dir.join("alice");
    login(&alice_dir, &url, "alice", "alicepw", "alpha").ok();
    docker(&alice_dir, &host, &["ps"]).ok();

    let garbage = dir.join("garbage");
    std::fs::create_dir_all(&garbage).unwrap();
    std::fs::write(
        garbage.join("config.json"),
        r#"{"HttpHeaders":{"X-Auth-Token":"garbage","X-Auth-TenantId":"alpha"}}"#,
    )
    .unwrap();
    docker(&garbage, &host, &["ps"]).fails_with("authentication failed");
    drop(proxy);
}
