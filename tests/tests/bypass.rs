//! Attacker-side end-to-end tests: tenant alpha names tenant beta's objects
//! inside request bodies, list filters and labels, the ways past Docker
//! proxies were bypassed (DESIGN.md, "Known bypass families"), with the real
//! docker CLI. Every attempt must be refused (or be harmless: scoped to
//! alpha's own namespace), and beta's objects must be untouched.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{case, Case, Out};

/// A refusal of any honest kind: not found (daemon wording) or an fdcs denial.
#[track_caller]
fn refused(out: &Out, what: &str) {
    let all = out.fails().to_lowercase();
    assert!(
        all.contains("no such") || all.contains("not found") || all.contains("fdcs:"),
        "{what}: must be refused as not found or by an fdcs rule:\n{out}"
    );
}

/// Beta's objects: a running container (returns its full id), a network and
/// a volume holding a secret.
fn beta_victims(c: &Case) -> (String, String) {
    let b = c.beta();
    let victim = c.name("victim");
    let secret = format!("beta-secret-{}", c.tag);
    b.docker(&["volume", "create", &c.name("bvol")]).ok();
    let mount = format!("{}:/v", c.name("bvol"));
    let id = b
        .docker(&[
            "run",
            "-d",
            "--name",
            &victim,
            "-v",
            &mount,
            "busybox",
            "sh",
            "-c",
            &format!("echo {secret} > /v/f; sleep 300"),
        ])
        .ok()
        .to_owned();
    b.docker(&["network", "create", &c.name("bnet")]).ok();
    (id, secret)
}

#[test]
fn references_to_another_tenants_objects_inside_create_bodies_are_refused() {
    let Some(c) = case() else { return };
    let (id, secret) = beta_victims(&c);
    let a = c.alpha();
    let victim = c.name("victim");
    let engine_victim = format!("beta_{victim}");
    let attempts: Vec<(&str, Vec<String>)> = vec![
        (
            "--volumes-from by name",
            vec!["--volumes-from".into(), victim.clone()],
        ),
        (
            "--volumes-from by id",
            vec!["--volumes-from".into(), id.clone()],
        ),
        (
            "--volumes-from by engine name",
            vec!["--volumes-from".into(), engine_victim.clone()],
        ),
        (
            "--network container:",
            vec!["--network".into(), format!("container:{id}")],
        ),
        (
            "--pid container:",
            vec!["--pid".into(), format!("container:{victim}")],
        ),
        (
            "--ipc container:",
            vec!["--ipc".into(), format!("container:{}", &id[..12])],
        ),
        ("--link", vec!["--link".into(), format!("{victim}:v")]),
        (
            "--network <beta's network>",
            vec!["--network".into(), c.name("bnet")],
        ),
        (
            "--network <beta's engine network name>",
            vec!["--network".into(), format!("beta_{}", c.name("bnet"))],
        ),
    ];
    for (i, (what, flags)) in attempts.iter().enumerate() {
        let name = c.name(&format!("atk{i}"));
        let mut args: Vec<&str> = vec!["run", "--name", &name];
        args.extend(flags.iter().map(String::as_str));
        args.extend(["busybox", "cat", "/v/f"]);
        let out = a.docker(&args);
        assert!(
            !out.stdout.contains(&secret),
            "{what}: alpha read beta's secret:\n{out}"
        );
        refused(&out, what);
    }
    // A volume named like beta's engine-side volume is alpha's own, new and empty.
    let mount = format!("beta_{}:/v", c.name("bvol"));
    let out = a.docker(&["run", "--rm", "-v", &mount, "busybox", "cat", "/v/f"]);
    assert!(
        !out.stdout.contains(&secret),
        "-v beta_<vol>: alpha read beta's secret:\n{out}"
    );
    let mount = format!("{}:/v", c.name("bvol"));
    let out = a.docker(&["run", "--rm", "-v", &mount, "busybox", "cat", "/v/f"]);
    assert!(
        !out.stdout.contains(&secret),
        "-v <beta's vol name>: alpha read beta's secret:\n{out}"
    );

    for (what, args) in [
        ("attach", vec!["attach", "--no-stdin", id.as_str()]),
        ("cp out", vec!["cp", &format!("{id}:/v/f"), "-"]),
        ("export", vec!["export", &id]),
        ("diff", vec!["diff", &id]),
        ("kill", vec!["kill", &id]),
        ("pause", vec!["pause", &id]),
        ("update", vec!["update", "--memory", "128m", &id]),
        ("commit", vec!["commit", &id]),
        ("wait", vec!["wait", &id]),
    ] {
        let args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
        let out = a.docker_timeout(&args, std::time::Duration::from_secs(20));
        assert!(
            !out.stdout.contains(&secret),
            "{what}: alpha read beta's secret:\n{out}"
        );
        refused(&out, what);
    }
    let st = c
        .env
        .engine
        .docker(&["inspect", "--format", "{{.State.Status}}", &id]);
    assert_eq!(
        st.ok(),
        "running",
        "beta's container after alpha's attempts"
    );
    c.finish();
}

#[test]
fn list_filters_cannot_reach_another_tenants_objects() {
    let Some(c) = case() else { return };
    let (id, _) = beta_victims(&c);
    let a = c.alpha();
    for filter in [
        "label=fdcs.tenant=beta".to_owned(),
        "label=fdcs.tenant".to_owned(),
        format!("id={id}"),
        format!("name=beta_{}", c.name("victim")),
        format!("name={}", c.name("victim")),
    ] {
        let out = a.docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &filter,
            "--format",
            "{{.ID}}",
        ]);
        assert!(
            !out.stdout.contains(&id),
            "ps --filter {filter} shows beta's container:\n{out}"
        );
    }
    let out = a.docker(&[
        "network",
        "ls",
        "--filter",
        "label=fdcs.tenant=beta",
        "--format",
        "{{.Name}}",
    ]);
    assert!(
        !out.stdout.contains(&c.name("bnet")),
        "network ls --filter shows beta's network:\n{out}"
    );
    let out = a.docker(&[
        "volume",
        "ls",
        "--filter",
        "label=fdcs.tenant=beta",
        "--format",
        "{{.Name}}",
    ]);
    assert!(
        !out.stdout.contains(&c.name("bvol")),
        "volume ls --filter shows beta's volume:\n{out}"
    );
    let out = a.docker(&[
        "events",
        "--since",
        "5m",
        "--until",
        "0s",
        "--format",
        "{{.Actor.ID}} {{.Actor.Attributes.name}}",
    ]);
    assert!(
        !out.stdout.contains(&id),
        "events show beta's container:\n{out}"
    );
    assert!(
        !out.stdout.contains(&c.name("victim")),
        "events show beta's container name:\n{out}"
    );
    let df = a.docker(&["system", "df", "-v"]);
    if df.success() {
        for leak in [
            &id[..12],
            c.name("victim").as_str(),
            c.name("bvol").as_str(),
        ] {
            assert!(
                !df.stdout.contains(leak),
                "system df -v shows beta's `{leak}`:\n{df}"
            );
        }
    } else {
        df.fails_with("fdcs:");
    }
    c.finish();
}

#[test]
fn ownership_labels_cannot_be_forged_and_limits_cannot_be_lifted() {
    let Some(c) = case() else { return };
    let a = c.alpha();
    let forged = c.name("forged");
    a.docker(&[
        "run",
        "-d",
        "--name",
        &forged,
        "--label",
        "fdcs.tenant=beta",
        "busybox",
        "sleep",
        "300",
    ])
    .fails_with("fdcs:");
    assert!(
        !c.env
            .engine
            .containers()
            .iter()
            .any(|o| o.name.contains(&forged)),
        "a forged-label container reached the engine"
    );
    a.docker(&[
        "network",
        "create",
        "--label",
        "fdcs.tenant=beta",
        &c.name("fnet"),
    ])
    .fails_with("fdcs:");
    a.docker(&[
        "volume",
        "create",
        "--label",
        "fdcs.tenant=beta",
        &c.name("fvol"),
    ])
    .fails_with("fdcs:");

    let own = c.name("own");
    a.docker(&["run", "-d", "--name", &own, "busybox", "sleep", "300"])
        .ok();
    let mem = c.env.engine.docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}",
        &format!("alpha_{own}"),
    ]);
    let vals: Vec<i64> = mem
        .ok()
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    assert!(
        vals.iter().all(|v| *v > 0),
        "default limits injected (memory, nanocpus, pids): {mem}"
    );
    a.docker(&["update", "--memory", "64g", "--memory-swap", "64g", &own])
        .fails_with("resources.memory");
    let after = c.env.engine.docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}",
        &format!("alpha_{own}"),
    ]);
    assert_eq!(mem.ok(), after.ok(), "limits changed by a denied update");
    // -1 means "unlimited" to the daemon: denied, or replaced by the default.
    let _ = a.docker(&["update", "--pids-limit", "-1", &own]);
    let pids = c.env.engine.docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.PidsLimit}}",
        &format!("alpha_{own}"),
    ]);
    let pids: i64 = pids.ok().parse().unwrap_or(0);
    assert!(
        pids > 0 && pids <= 1024,
        "update --pids-limit -1 lifted the pids limit to {pids}"
    );
    c.finish();
}

/// Raw HTTP with alpha's headers: path spellings the daemon's router would
/// accept for beta's container never reach it.
#[test]
fn path_tricks_cannot_reach_another_tenants_container() {
    let Some(c) = case() else { return };
    let (id, secret) = beta_victims(&c);
    let port = c.env.proxy.port;
    let alpha = [
        ("X-Auth-Token", "alpha-token"),
        ("X-Auth-TenantId", "alpha"),
    ];
    let short = &id[..12];
    let engine_name = format!("beta_{}", c.name("victim"));
    let paths = [
        format!("/v1.41/containers/{id}/json"),
        format!("/containers/{id}/json"),
        format!("/v1.24/containers/{short}/json"),
        format!("/v1.41//containers/{id}/json"),
        format!("/v1.41/containers//{id}/json"),
        format!("/v1.41/containers/{id}/json/"),
        format!("/v1.41/containers/x/../{id}/json"),
        format!("/v1.41/containers/./{id}/json"),
        format!("/v1.41/containers/{id}%2Fjson"),
        format!("/v1.41/%63ontainers/{id}/json"),
        format!("/V1.41/containers/{id}/json"),
        format!("/v1.41/containers/{engine_name}/json"),
        format!("/v1.41/containers/%2F{engine_name}/json"),
        format!("/v1.41/containers/{id}/archive?path=/v/f"),
        format!("/v1.41/containers/{id}/export"),
        format!("/v1.41/containers/{id}/logs?stdout=1"),
        format!("/v1.41/containers/{id}/attach/ws?stream=1&stdout=1"),
        format!("/v1.41/containers/json?all=1&filters=%7B%22id%22%3A%5B%22{id}%22%5D%7D"),
    ];
    for p in &paths {
        let r = fdcs_e2e::http::get(port, p, &alpha).unwrap();
        // The secret is in the victim's command line, never in a request:
        // seeing it means seeing beta's container (errors may echo the id).
        assert!(
            !r.body.contains(&secret)
                && !r.body.contains("\"State\"")
                && !r.body.contains(&format!("\"Id\":\"{id}\"")),
            "GET {p} leaks beta's container ({}):\n{}",
            r.status,
            r.body
        );
        if !p.contains("containers/json") {
            assert!(
                r.status >= 400,
                "GET {p} must be refused, got {}:\n{}",
                r.status,
                r.body
            );
        }
    }
    for p in [
        "/session",
        "/v1.41/session",
        "/grpc",
        "/v1.41/grpc",
        "/v1.41/swarm",
        "/v1.41/nodes",
        "/v1.41/secrets",
        "/v1.41/plugins",
    ] {
        let r = fdcs_e2e::http::request(port, "POST", p, &alpha, b"").unwrap();
        assert!(
            r.status >= 400,
            "POST {p} must be refused, got {}:\n{}",
            r.status,
            r.body
        );
    }
    c.finish();
}

/// Raw create bodies with decoder tricks: case-variant and duplicate keys,
/// legacy top-level fields. Each is refused, or what reaches the engine
/// carries no host bind.
#[test]
fn create_bodies_with_decoder_tricks_never_bind_the_host() {
    let Some(c) = case() else { return };
    let port = c.env.proxy.port;
    let headers = [
        ("X-Auth-Token", "alpha-token"),
        ("X-Auth-TenantId", "alpha"),
        ("Content-Type", "application/json"),
    ];
    let bodies = [
        r#"{"Image":"busybox","HostConfig":{"binds":["/etc:/x"]}}"#,
        r#"{"Image":"busybox","hostconfig":{"Binds":["/etc:/x"]}}"#,
        r#"{"Image":"busybox","HostConfig":{"Binds":[],"Binds":["/etc:/x"]}}"#,
        r#"{"Image":"busybox","HostConfig":{"Binds":[]},"HostConfig":{"Binds":["/etc:/x"]}}"#,
        r#"{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Source":"/etc","Target":"/x"}]}}"#,
        r#"{"Image":"busybox","HostConfig":{"mounts":[{"type":"BIND","source":"/etc","target":"/x"}]}}"#,
        r#"{"Image":"busybox","Binds":["/etc:/x"]}"#,
        r#"{"Image":"busybox","HostConfig":{"Privileged":false,"privileged":true}}"#,
        r#"{"Image":"busybox","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}}}"#,
        r#"{"Image":"busybox","Labels":{"fdcs.tenant":"beta"}}"#,
        r#"{"Image":"busybox","Labels":{"FDCS.tenant":"beta"}}"#,
        r#"{"Image":"busybox","HostConfig":{"PidsLimit":-1,"Memory":0}}"#,
        r#"{"Image":"busybox","HostConfig":{"Binds":["/etc:/x"]}"#,
    ];
    for (i, body) in bodies.iter().enumerate() {
        let name = c.name(&format!("raw{i}"));
        let path = format!("/v1.41/containers/create?name={name}");
        let r = fdcs_e2e::http::request(port, "POST", &path, &headers, body.as_bytes()).unwrap();
        let on_engine = c.env.engine.docker(&[
            "container",
            "inspect",
            "--format",
            "{{json .HostConfig.Binds}} {{json .HostConfig.Mounts}} {{.HostConfig.Privileged}} {{json .HostConfig.PortBindings}} {{index .Config.Labels \"fdcs.tenant\"}} {{.HostConfig.PidsLimit}} {{.HostConfig.Memory}}",
            &format!("alpha_{name}"),
        ]);
        if r.status < 300 {
            let seen = on_engine.ok();
            assert!(
                !seen.contains("/etc") && !seen.contains(" true ") && !seen.contains("8080"),
                "body {body} was allowed ({}) and reached the engine with host access: {seen}",
                r.status
            );
            let fields: Vec<&str> = seen.split_whitespace().collect();
            assert_eq!(
                fields.get(4).copied(),
                Some("alpha"),
                "body {body}: owner label on the engine: {seen}"
            );
            let pids: i64 = fields.get(5).and_then(|v| v.parse().ok()).unwrap_or(0);
            let mem: i64 = fields.get(6).and_then(|v| v.parse().ok()).unwrap_or(0);
            assert!(
                pids > 0 && mem > 0,
                "body {body}: limits must be injected: {seen}"
            );
        } else {
            assert!(
                (400..500).contains(&r.status),
                "body {body}: refused with a 4xx, got {}:\n{}",
                r.status,
                r.body
            );
            assert!(
                r.body.contains("message"),
                "body {body}: Docker's error shape: {}",
                r.body
            );
            assert!(
                !on_engine.success(),
                "body {body} was refused ({}) but a container exists:\n{on_engine}",
                r.status
            );
        }
    }
    c.finish();
}
