//! docker-py 7, unmodified, as two tenants through `fdcs-policy serve`:
//! `containers.run(..., network=...)`, list, logs, `exec_run`, stop,
//! remove, networks (create, list, connect, disconnect, remove), volumes
//! (create, list, remove), `info` and `df` — both tenants with the same
//! names, each seeing only its own (`tests/py/tenant_flow.py` does the
//! steps and checks the engine's owner labels on its own socket).
//!
//! docker-py comes from the virtual environment `.ci/run setup` makes
//! (`docker==7.*` from PyPI): `FDCS_E2E_PYTHON` names its python, else
//! [`CI_VENV_PYTHON`] is tried. Without one the test is skipped with a
//! message, unless CI requires the suite (`fdcs_e2e::engine_required`).
//!
//! Its own tenants (`pya`, `pyb`) and its own `serve`; names are
//! `py-...-<tag>`, and everything with the tag is removed at the end.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::cmd;
use fdcs_e2e::{engine_required, scratch_dir, serve_for, upstream, Engine, Tenant};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Where `.ci/run setup` puts docker-py's virtual environment (and what it
/// exports as `FDCS_E2E_PYTHON`).
const CI_VENV_PYTHON: &str = "/var/lib/fdcs-ci/docker-py/bin/python";

/// The python that has docker-py 7, with its version; `Err` says why none.
fn python() -> Result<(String, String), String> {
    let py = std::env::var("FDCS_E2E_PYTHON").unwrap_or_else(|_| CI_VENV_PYTHON.to_owned());
    let mut c = Command::new(&py);
    c.args(["-c", "import docker; print(docker.__version__)"]);
    let out = cmd::run(c, Duration::from_secs(60));
    if !out.success() {
        return Err(format!(
            "no docker-py at {py} (FDCS_E2E_PYTHON, default {CI_VENV_PYTHON}): \
             run `bash .ci/run setup` as root, or point FDCS_E2E_PYTHON at a python \
             with `pip install 'docker==7.*'`\n{out}"
        ));
    }
    let version = out.stdout.trim().to_owned();
    if !version.starts_with("7.") {
        return Err(format!("{py} has docker-py {version}, the test needs 7.x"));
    }
    Ok((py, version))
}

/// Removes what the run created (names with its tag) however it ends.
struct Cleanup<'a> {
    engine: &'a Engine,
    tag: &'a str,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.engine.cleanup(self.tag);
    }
}

#[test]
fn docker_py_as_two_tenants_sees_only_its_own() {
    let scratch = scratch_dir("docker-py");
    let engine = Engine::new(&upstream(), &scratch);
    if let Err(why) = engine.available() {
        assert!(
            !engine_required(),
            "no docker engine at {} and CI=true or FDCS_E2E=1 says there must be one:\n{why}",
            engine.host
        );
        eprintln!("skipped: no docker engine");
        return;
    }
    let (py, version) = match python() {
        Ok(p) => p,
        Err(why) => {
            assert!(!engine_required(), "CI must run docker-py: {why}");
            eprintln!("skipped: {why}");
            return;
        }
    };
    engine.ensure_busybox(&scratch).unwrap();
    let (proxy, tenants) = serve_for(&engine.host, &["pya", "pyb"], &scratch).unwrap();
    let [pya, pyb]: [Tenant; 2] = tenants.try_into().unwrap();
    let tag = format!("x{:x}p", std::process::id());
    let _cleanup = Cleanup {
        engine: &engine,
        tag: &tag,
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("py/tenant_flow.py");
    let mut c = Command::new(&py);
    c.arg(&script)
        .arg(proxy.host())
        .arg(&engine.host)
        .arg(&tag)
        .arg(format!("pya={}", pya.config.display()))
        .arg(format!("pyb={}", pyb.config.display()));
    for v in [
        "DOCKER_HOST",
        "DOCKER_CONFIG",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
    ] {
        c.env_remove(v);
    }
    // No __pycache__ left in the source tree.
    c.env("PYTHONDONTWRITEBYTECODE", "1");
    let out = cmd::run(c, Duration::from_secs(300));
    eprintln!(
        "tests/py/tenant_flow.py with docker-py {version}:\n{}",
        out.stdout
    );
    assert!(
        out.success(),
        "docker-py flow failed:\n{out}\n--- serve audit lines of this run ---\n{}",
        proxy.log_lines_with(&tag)
    );
    assert!(
        out.stdout.contains("all ok"),
        "the script ended early:\n{out}"
    );
    assert!(proxy.alive(), "serve died:\n{}", proxy.log_tail());
}
