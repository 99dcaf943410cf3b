//! What the policy forbids fails with the fdcs message in the CLI's own
//! output, creates nothing on the engine, and identity problems are 401s
//! that say how to set `HttpHeaders`.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{case, fixtures, http, Case, Tenant};

/// Runs `docker run --name <name> <flags> busybox true` as both tenants and
/// asserts the fdcs denial naming `rule`, and that no such container
/// reached the engine.
fn denied_run(c: &Case, base: &str, rule: &str, flags: &[&str]) {
    let name = c.name(base);
    c.both(|t| {
        let mut args = vec!["run", "--name", &name];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["busybox", "true"]);
        let out = t.docker(&args);
        out.fails_with("fdcs:");
        out.fails_with(rule);
    });
    let leaked: Vec<_> = c
        .env
        .engine
        .containers()
        .into_iter()
        .filter(|o| o.name.contains(&name))
        .collect();
    assert!(
        leaked.is_empty(),
        "a denied create reached the engine: {leaked:?}"
    );
}

#[test]
fn explicit_host_port_is_denied() {
    let Some(c) = case() else { return };
    denied_run(&c, "p8080", "ports.ephemeral-only", &["-p", "8080:80"]);
    denied_run(
        &c,
        "p127",
        "ports.ephemeral-only",
        &["-p", "127.0.0.1:8081:80"],
    );
    c.finish();
}

#[test]
fn host_bind_mounts_are_denied() {
    let Some(c) = case() else { return };
    denied_run(&c, "bindv", "mounts.no-host-path", &["-v", "/etc:/x"]);
    denied_run(
        &c,
        "bindm",
        "mounts.no-host-path",
        &["--mount", "type=bind,src=/etc,dst=/x"],
    );
    // The `local` driver's bind option is a host mount too.
    let vol = c.name("bindvol");
    c.both(|t| {
        t.docker(&[
            "volume",
            "create",
            "--driver",
            "local",
            "--opt",
            "type=none",
            "--opt",
            "o=bind",
            "--opt",
            "device=/etc",
            &vol,
        ])
        .fails_with("mounts.no-host-path");
    });
    assert!(
        !c.env.engine.volumes().iter().any(|o| o.name.contains(&vol)),
        "a bind volume reached the engine"
    );
    c.finish();
}

#[test]
fn privileges_and_host_namespaces_are_denied() {
    let Some(c) = case() else { return };
    denied_run(&c, "priv", "privileges.privileged", &["--privileged"]);
    denied_run(
        &c,
        "cap",
        "privileges.capabilities",
        &["--cap-add", "SYS_ADMIN"],
    );
    denied_run(&c, "pid", "namespaces.no-host", &["--pid", "host"]);
    denied_run(&c, "net", "namespaces.no-host", &["--network", "host"]);
    c.finish();
}

#[test]
fn memory_above_the_ceiling_is_denied() {
    let Some(c) = case() else { return };
    denied_run(&c, "mem", "resources.memory", &["-m", "64g"]);
    c.finish();
}

#[test]
fn build_and_push_are_denied() {
    let Some(c) = case() else { return };
    let image = c.name("built");
    let ctx = fixtures().join("build");
    c.both(|t| {
        // The legacy builder posts the context to /build; BuildKit would
        // need buildx, which is not installed.
        t.docker_env(
            &[("DOCKER_BUILDKIT", "0")],
            &["build", "-t", &image, ctx.to_str().unwrap()],
        )
        .fails_with("images.build");
        t.docker(&["push", "busybox"]).fails_with("images.push");
    });
    let images = c.env.engine.docker(&["image", "ls", "-q", &image]);
    assert!(images.ok().is_empty(), "a denied build produced an image");
    c.finish();
}

fn raw_status(c: &Case, headers: &[(&str, &str)]) -> http::Response {
    http::get(c.env.proxy.port, "/v1.41/containers/json", headers).unwrap()
}

#[test]
fn no_token_is_401_with_a_hint() {
    let Some(c) = case() else { return };
    let r = raw_status(&c, &[]);
    assert_eq!(r.status, 401, "no headers:\n{} {}", r.head, r.body);
    assert!(
        r.body.contains("HttpHeaders"),
        "the 401 must say how to set HttpHeaders: {}",
        r.body
    );
    let r = raw_status(&c, &[("X-Auth-TenantId", "alpha")]);
    assert_eq!(r.status, 401, "id without token:\n{} {}", r.head, r.body);
    let r = raw_status(&c, &[("X-Auth-Token", "alpha-token")]);
    assert_eq!(r.status, 401, "token without id:\n{} {}", r.head, r.body);
    let r = raw_status(
        &c,
        &[("X-Auth-Token", "wrong"), ("X-Auth-TenantId", "alpha")],
    );
    assert_eq!(r.status, 401, "wrong token:\n{} {}", r.head, r.body);

    let nobody = Tenant::with_headers(
        "nobody",
        "nobody",
        "",
        &[],
        &c.env.proxy.host(),
        &c.env.scratch,
    );
    let out = nobody.docker(&["ps"]);
    out.fails_with("HttpHeaders");
    c.finish();
}

#[test]
fn a_valid_token_with_another_tenants_id_is_401() {
    let Some(c) = case() else { return };
    for (token, id) in [("alpha-token", "beta"), ("beta-token", "alpha")] {
        let r = raw_status(&c, &[("X-Auth-Token", token), ("X-Auth-TenantId", id)]);
        assert_eq!(
            r.status, 401,
            "token {token} as {id}:\n{} {}",
            r.head, r.body
        );
        let label = format!("cross-{id}");
        let t = Tenant::with_headers(
            &label,
            id,
            token,
            &[("X-Auth-Token", token), ("X-Auth-TenantId", id)],
            &c.env.proxy.host(),
            &c.env.scratch,
        );
        let out = t.docker(&["ps"]);
        let text = out.fails();
        assert!(
            text.contains("401")
                || text.to_lowercase().contains("unauthor")
                || text.contains("fdcs"),
            "CLI output must show the refusal:\n{out}"
        );
    }
    c.finish();
}

/// Per-tenant ceilings from the tenants file: beta's memory ceiling is
/// 512Mi (policies/demo-tenants.yaml), alpha has the policy's 1Gi.
#[test]
fn per_tenant_ceilings_apply() {
    let Some(c) = case() else { return };
    let name = c.name("m768");
    c.alpha()
        .docker(&[
            "run", "-d", "--name", &name, "-m", "768m", "busybox", "sleep", "300",
        ])
        .ok();
    c.beta()
        .docker(&[
            "run", "-d", "--name", &name, "-m", "768m", "busybox", "sleep", "300",
        ])
        .fails_with("resources.memory");
    let mem = c.env.engine.docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}}",
        &format!("alpha_{name}"),
    ]);
    assert_eq!(
        mem.ok(),
        (768 * 1024 * 1024).to_string(),
        "alpha's -m 768m reached the engine as asked"
    );
    c.finish();
}
