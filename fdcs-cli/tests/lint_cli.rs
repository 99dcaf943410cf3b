//! `fdcs-policy lint` as CI runs it: how files are named, the SARIF and
//! JUnit reports CI systems upload, and input errors in them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
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

/// A scratch directory unique to this test, with the given files.
fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fdcs-lint-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const BIND: &str =
    "services:\n  web:\n    image: nginx:1.25\n    volumes:\n      - ./src:/usr/share/nginx/html\n";

fn rules_at(out: &Output) -> Vec<String> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_bare_file_name_resolves_relative_paths_from_its_own_directory() {
    let dir = scratch("bare", &[("compose.yml", BIND)]);
    let bare = lint(&dir, &["--format", "json", "compose.yml"]);
    let dotted = lint(&dir, &["--format", "json", "./compose.yml"]);
    let by_dir = lint(&dir, &["--format", "json", "."]);
    let f = lint(&dir, &["--format", "json", "-f", "compose.yml"]);
    let got = rules_at(&bare);
    assert!(
        got.contains(&"compose.yml:5:9 mounts.no-host-path".to_string()),
        "the bind mount, not a volume named `./src`: {got:?}"
    );
    assert!(!got.iter().any(|r| r.ends_with("tenancy.name")), "{got:?}");
    assert_eq!(got, rules_at(&dotted));
    assert_eq!(got, rules_at(&by_dir));
    assert_eq!(got, rules_at(&f));
    // from elsewhere, named through its directory
    let parent = dir.parent().unwrap();
    let name = format!("{}/compose.yml", dir.file_name().unwrap().to_str().unwrap());
    let other = lint(parent, &["--format", "json", &name]);
    let other: Vec<String> = rules_at(&other)
        .into_iter()
        .map(|r| {
            r.replace(
                &format!("{}/", dir.file_name().unwrap().to_str().unwrap()),
                "",
            )
        })
        .collect();
    assert_eq!(got, other);
    std::fs::remove_dir_all(&dir).ok();
}
