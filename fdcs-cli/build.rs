//! Puts the commit the binary was built from into `FDCS_COMMIT`, for
//! `fdcs-policy --version` and the `fdcs_build_info` metric.
//!
//! Order: `FDCS_BUILD_COMMIT` from the environment (a container build that
//! copies the sources without `.git`), else `git rev-parse --short HEAD` in
//! this crate's folder, else `unknown` (a `cargo package` tarball, a clone
//! without git installed). Never fails the build.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FDCS_BUILD_COMMIT");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string());
    let commit = std::env::var("FDCS_BUILD_COMMIT")
        .ok()
        .filter(|c| is_commit(c))
        .or_else(|| git(&dir, &["rev-parse", "--short", "HEAD"]).filter(|c| is_commit(c)))
        .unwrap_or_else(|| "unknown".to_string());
    // a new commit changes HEAD (detached) or the branch's ref; only
    // existing files are named, or cargo would rerun this every build
    for name in ["HEAD", "packed-refs"] {
        watch(&dir, name);
    }
    if let Some(branch) = git(&dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch(&dir, &branch);
    }
    println!("cargo:rustc-env=FDCS_COMMIT={commit}");
}

/// A short or full hex commit id (nothing else reaches the binary).
fn is_commit(c: &str) -> bool {
    (4..=40).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_hexdigit())
}

fn git(dir: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    Some(s.trim().to_string())
}

fn watch(dir: &str, name: &str) {
    if let Some(p) = git(dir, &["rev-parse", "--git-path", name]) {
        let p = Path::new(dir).join(p);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}
