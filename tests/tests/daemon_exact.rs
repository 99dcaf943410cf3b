//! A reference the tenant does not own gets exactly the engine's answer for
//! a reference that does not exist — status and message, per route and per
//! body field (issue 10 item 1). Every case is sent twice: to the engine
//! directly, with the engine-side names (or a name or id nobody has), and
//! through `fdcs-policy serve` as tenant `dxb`, with its own names; the
//! engine's message, its engine-side names mapped back to the tenant's,
//! must be what fdcs answers. Nothing here is a hard-coded answer.
//!
//! Tenant `dxa` owns a container, a network, a volume and an exec; `dxb`
//! names them by name, id prefix and full id, and that must look like a
//! name nobody has. A create the engine takes (it looks some references
//! up only when the container starts) is followed by that start, compared
//! the same way.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{assert_isolated, case, http, scratch_dir, serve_for, Case, Engine, Proxy, Tenant};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;
use std::time::Duration;

/// This binary's own proxy and tenants.
struct Exact {
    proxy: Proxy,
    dxa: Tenant,
    dxb: Tenant,
}

fn exact(engine: &Engine) -> &'static Exact {
    static X: OnceLock<Exact> = OnceLock::new();
    X.get_or_init(|| {
        let dir = scratch_dir("exact");
        let (proxy, tenants) = serve_for(&engine.host, &["dxa", "dxb"], &dir).unwrap();
        let [dxa, dxb]: [Tenant; 2] = tenants.try_into().unwrap();
        Exact { dxa, dxb, proxy }
    })
}

/// An answer: status and the message (Docker's `{"message"}` or the text).
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    message: String,
    body: String,
}

fn answer(r: &http::Response) -> Answer {
    let chunked = r
        .head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(&r.body)
    } else {
        r.body.clone()
    };
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| body.trim().to_owned());
    Answer {
        status: r.status,
        message,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}

/// One request to the engine's own socket.
fn direct(engine: &Engine, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let socket = engine
        .host
        .strip_prefix("unix://")
        .unwrap_or("/var/run/docker.sock");
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut req =
        format!("{method} /v1.41{path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    answer(&http::parse(&text).unwrap_or_else(|| panic!("not HTTP: {text:?}")))
}

/// The same request through fdcs as tenant `t`.
fn through(x: &Exact, t: &Tenant, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut headers = vec![
        ("X-Auth-Token", t.token.as_str()),
        ("X-Auth-TenantId", t.id.as_str()),
    ];
    if !body.is_empty() {
        headers.push(("Content-Type", "application/json"));
    }
    let r = http::request(
        x.proxy.port,
        method,
        &format!("/v1.41{path}"),
        &headers,
        body.as_bytes(),
    )
    .unwrap();
    answer(&r)
}

/// A hex string of `len` that starts no id of any container, network or
/// exec on the engine (ids are random: the first one tried almost always
/// does): the engine's view of "an id prefix nobody has".
fn unused_hex(engine: &Engine, len: usize, salt: &str) -> String {
    let mut ids = String::new();
    for args in [
        &["ps", "-aq", "--no-trunc"][..],
        &["network", "ls", "-q", "--no-trunc"][..],
    ] {
        ids.push_str(engine.docker(args).ok());
        ids.push('\n');
    }
    for n in 0u32.. {
        let seed = format!("{salt}{n}");
        let mut h = String::new();
        for (i, b) in seed.bytes().cycle().take(len).enumerate() {
            let v = (u32::from(b) * 31 + i as u32 * 7 + n) % 16;
            h.push(char::from_digit(v, 16).unwrap());
        }
        if !ids.lines().any(|id| id.starts_with(&h)) {
            return h;
        }
    }
    unreachable!()
}

/// What tenant `dxb` writes (`tenant`) and what the engine is sent for it
/// (`engine`): its scoped name, or a name or id nobody has; `back` maps the
/// engine's message back to the tenant's words.
#[derive(Debug, Clone)]
struct Ref {
    what: String,
    tenant: String,
    engine: String,
}

impl Ref {
    fn back(&self, engine_message: &str) -> String {
        engine_message
            .replace(&self.engine, &self.tenant)
            .replace("dxb_", "")
    }
}

/// The world of one test: dxa's objects, dxb's own, and the references.
struct World {
    containers: Vec<Ref>,
    networks: Vec<Ref>,
    volumes: Vec<Ref>,
    execs: Vec<Ref>,
    /// dxb's own running container and network (tenant name, engine name).
    own_ctr: (String, String),
    own_net: (String, String),
}

fn world(c: &Case, x: &Exact) -> World {
    let e = &c.env.engine;
    let (a_ctr, a_net, a_vol) = (c.name("dx-a"), c.name("dx-an"), c.name("dx-av"));
    let (b_ctr, b_net) = (c.name("dx-b"), c.name("dx-bn"));
    x.dxa.docker(&["network", "create", &a_net]).ok();
    x.dxa.docker(&["volume", "create", &a_vol]).ok();
    x.dxa
        .docker(&["run", "-d", "--name", &a_ctr, "busybox", "sleep", "600"])
        .ok();
    x.dxb.docker(&["network", "create", &b_net]).ok();
    x.dxb
        .docker(&["run", "-d", "--name", &b_ctr, "busybox", "sleep", "600"])
        .ok();
    let id = |args: &[&str]| e.docker(args).ok().trim().to_owned();
    let a_ctr_id = id(&["inspect", "-f", "{{.Id}}", &format!("dxa_{a_ctr}")]);
    let a_net_id = id(&[
        "network",
        "inspect",
        "-f",
        "{{.Id}}",
        &format!("dxa_{a_net}"),
    ]);
    let exec = through(
        x,
        &x.dxa,
        "POST",
        &format!("/containers/{a_ctr}/exec"),
        Some(&json!({"Cmd": ["true"]})),
    );
    assert_eq!(exec.status, 201, "{exec:?}");
    let a_exec: String = serde_json::from_str::<Value>(&exec.body).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let nosuch = c.name("dx-nosuch");
    let r = |what: &str, tenant: &str, engine: String| Ref {
        what: what.to_owned(),
        tenant: tenant.to_owned(),
        engine,
    };
    let hex = |len: usize, salt: &str| unused_hex(e, len, salt);
    World {
        containers: vec![
            r("missing name", &nosuch, format!("dxb_{nosuch}")),
            r("dxa's name", &a_ctr, format!("dxb_{a_ctr}")),
            r("dxa's id prefix", &a_ctr_id[..12], hex(12, "c")),
            r("dxa's full id", &a_ctr_id, hex(64, "C")),
        ],
        networks: vec![
            r("missing name", &nosuch, format!("dxb_{nosuch}")),
            r("dxa's name", &a_net, format!("dxb_{a_net}")),
            r("dxa's id prefix", &a_net_id[..12], hex(12, "n")),
        ],
        volumes: vec![
            r("missing name", &nosuch, format!("dxb_{nosuch}")),
            r("dxa's name", &a_vol, format!("dxb_{a_vol}")),
        ],
        execs: vec![
            r("missing id", &"e".repeat(64), "e".repeat(64)),
            r("dxa's exec", &a_exec, hex(64, "E")),
        ],
        own_ctr: (b_ctr.clone(), format!("dxb_{b_ctr}")),
        own_net: (b_net.clone(), format!("dxb_{b_net}")),
    }
}

/// One comparison; the failures are collected, so that one run shows all.
fn compare(
    fails: &mut Vec<String>,
    table: &mut Vec<String>,
    label: &str,
    r: &Ref,
    direct: &Answer,
    fdcs: &Answer,
) {
    let want = r.back(&direct.message);
    let row = format!("| {label} | {} | {} | {} |", r.what, direct.status, want);
    if !table.contains(&row) {
        table.push(row);
    }
    if direct.status != fdcs.status || (direct.status >= 400 && want != fdcs.message) {
        fails.push(format!(
            "{label} ({}): engine {} `{want}` (sent `{}`), fdcs {} `{}`",
            r.what, direct.status, r.engine, fdcs.status, fdcs.message
        ));
    }
}

fn finish(c: &Case, x: &Exact, fails: &[String], table: &[String]) {
    eprintln!("| reference | form | engine status | engine message |\n|---|---|---|---|");
    for row in table {
        eprintln!("{row}");
    }
    assert!(fails.is_empty(), "\n{}", fails.join("\n"));
    assert!(x.proxy.alive(), "serve died:\n{}", x.proxy.log_tail());
    assert_isolated(&c.env.engine, &x.dxa, &x.dxb, &c.tag);
}

/// A create body with `{R}` (container) or `{N}` (network) in it, as the
/// tenant writes it and as the engine is sent it.
fn fill(template: &Value, key: &str, value: &str, own_net: &str) -> Value {
    let text = template
        .to_string()
        .replace(key, value)
        .replace("{OWN_NET}", own_net);
    serde_json::from_str(&text).unwrap()
}

#[test]
fn bad_references_in_create_bodies_answer_as_the_engine_does() {
    let Some(c) = case() else { return };
    let x = exact(&c.env.engine);
    let w = world(&c, x);
    let e = &c.env.engine;
    let (fails, table) = (&mut Vec::new(), &mut Vec::new());
    let base = |hc: Value| json!({"Image": "busybox", "Cmd": ["true"], "HostConfig": hc});
    let ctr_fields: Vec<(&str, Value)> = vec![
        (
            "HostConfig.VolumesFrom",
            base(json!({"VolumesFrom": ["{R}"]})),
        ),
        ("HostConfig.Links", base(json!({"Links": ["{R}:x"]}))),
        (
            "HostConfig.NetworkMode container:",
            base(json!({"NetworkMode": "container:{R}"})),
        ),
        (
            "HostConfig.PidMode container:",
            base(json!({"PidMode": "container:{R}"})),
        ),
        (
            "HostConfig.IpcMode container:",
            base(json!({"IpcMode": "container:{R}"})),
        ),
        (
            "HostConfig.UTSMode container:",
            base(json!({"UTSMode": "container:{R}"})),
        ),
        (
            "HostConfig.Cgroup container:",
            base(json!({"Cgroup": "container:{R}"})),
        ),
        (
            "EndpointsConfig.*.Links",
            json!({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "{OWN_NET}"},
                   "NetworkingConfig": {"EndpointsConfig": {"{OWN_NET}": {"Links": ["{R}:x"]}}}}),
        ),
    ];
    let net_fields: Vec<(&str, Value)> = vec![
        (
            "HostConfig.NetworkMode",
            base(json!({"NetworkMode": "{R}"})),
        ),
        (
            "NetworkMode + EndpointsConfig key (docker run --network)",
            json!({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "{R}"},
                   "NetworkingConfig": {"EndpointsConfig": {"{R}": {}}}}),
        ),
        (
            "EndpointsConfig key",
            json!({"Image": "busybox", "Cmd": ["true"], "NetworkingConfig": {"EndpointsConfig": {"{R}": {}}}}),
        ),
        (
            "EndpointsConfig.*.NetworkID",
            json!({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "{OWN_NET}"},
                   "NetworkingConfig": {"EndpointsConfig": {"{OWN_NET}": {"NetworkID": "{R}"}}}}),
        ),
    ];
    let mut n = 0;
    for (fields, refs) in [(&ctr_fields, &w.containers), (&net_fields, &w.networks)] {
        for (label, template) in fields {
            for r in refs {
                n += 1;
                let name = c.name(&format!("dx-c{n}"));
                let via = fill(template, "{R}", &r.tenant, &w.own_net.0);
                let raw = fill(template, "{R}", &r.engine, &w.own_net.1);
                let d = direct(
                    e,
                    "POST",
                    &format!("/containers/create?name=dxd-{name}"),
                    Some(&raw),
                );
                let f = through(
                    x,
                    &x.dxb,
                    "POST",
                    &format!("/containers/create?name={name}"),
                    Some(&via),
                );
                compare(fails, table, &format!("create: {label}"), r, &d, &f);
                if d.status == 201 && f.status == 201 {
                    let d = direct(e, "POST", &format!("/containers/dxd-{name}/start"), None);
                    let f = through(
                        x,
                        &x.dxb,
                        "POST",
                        &format!("/containers/{name}/start"),
                        None,
                    );
                    compare(
                        fails,
                        table,
                        &format!("start after create: {label}"),
                        r,
                        &d,
                        &f,
                    );
                }
            }
        }
    }
    finish(&c, x, fails, table);
}

#[test]
fn bad_references_in_paths_and_bodies_answer_as_the_engine_does() {
    let Some(c) = case() else { return };
    let x = exact(&c.env.engine);
    let w = world(&c, x);
    let e = &c.env.engine;
    let (fails, table) = (&mut Vec::new(), &mut Vec::new());
    let mut check = |label: &str, r: &Ref, method: &str, path: &str, body: Option<Value>| {
        let dpath = path
            .replace("{R}", &r.engine)
            .replace("{OWN_NET}", &w.own_net.1)
            .replace("{OWN}", &w.own_ctr.1);
        let fpath = path
            .replace("{R}", &r.tenant)
            .replace("{OWN_NET}", &w.own_net.0)
            .replace("{OWN}", &w.own_ctr.0);
        let dbody = body
            .as_ref()
            .map(|b| fill(b, "{R}", &r.engine, &w.own_net.1));
        let dbody = dbody.map(|b| fill(&b, "{OWN}", &w.own_ctr.1, &w.own_net.1));
        let fbody = body
            .as_ref()
            .map(|b| fill(b, "{R}", &r.tenant, &w.own_net.0));
        let fbody = fbody.map(|b| fill(&b, "{OWN}", &w.own_ctr.0, &w.own_net.0));
        let d = direct(e, method, &dpath, dbody.as_ref());
        let f = through(x, &x.dxb, method, &fpath, fbody.as_ref());
        compare(fails, table, label, r, &d, &f);
        if d.status == 200 && d.body.trim() == "[]" && f.body.trim() != "[]" {
            fails.push(format!("{label} ({}): engine [], fdcs {}", r.what, f.body));
        }
    };
    for r in &w.containers {
        check(
            "GET /containers/{id}/json",
            r,
            "GET",
            "/containers/{R}/json",
            None,
        );
        check(
            "POST /containers/{id}/start",
            r,
            "POST",
            "/containers/{R}/start",
            None,
        );
        check(
            "POST /containers/{id}/stop",
            r,
            "POST",
            "/containers/{R}/stop?t=0",
            None,
        );
        check(
            "DELETE /containers/{id}",
            r,
            "DELETE",
            "/containers/{R}?force=1",
            None,
        );
        check(
            "GET /containers/{id}/logs",
            r,
            "GET",
            "/containers/{R}/logs?stdout=1",
            None,
        );
        check(
            "POST /containers/{id}/exec",
            r,
            "POST",
            "/containers/{R}/exec",
            Some(json!({"Cmd": ["true"]})),
        );
        check(
            "POST /networks/{id}/connect Container",
            r,
            "POST",
            "/networks/{OWN_NET}/connect",
            Some(json!({"Container": "{R}"})),
        );
        check(
            "POST /networks/{id}/disconnect Container",
            r,
            "POST",
            "/networks/{OWN_NET}/disconnect",
            Some(json!({"Container": "{R}"})),
        );
        for (m, route) in [
            ("POST", "/containers/{R}/restart?t=0"),
            ("POST", "/containers/{R}/kill"),
            ("POST", "/containers/{R}/pause"),
            ("POST", "/containers/{R}/unpause"),
            ("POST", "/containers/{R}/wait"),
            ("POST", "/containers/{R}/rename?name=dx-renamed"),
            ("POST", "/containers/{R}/resize?h=10&w=10"),
            ("POST", "/containers/{R}/attach?stream=1&stdout=1"),
            ("GET", "/containers/{R}/top"),
            ("GET", "/containers/{R}/changes"),
            ("GET", "/containers/{R}/export"),
            ("GET", "/containers/{R}/stats?stream=0"),
            ("GET", "/containers/{R}/archive?path=/etc"),
            ("HEAD", "/containers/{R}/archive?path=/etc"),
        ] {
            let label = format!("{m} {}", route.replace("{R}", "{id}"));
            check(&label, r, m, route, None);
        }
        check(
            "POST /containers/{id}/update",
            r,
            "POST",
            "/containers/{R}/update",
            Some(json!({"CpuShares": 512})),
        );
        check(
            "GET /containers/json before",
            r,
            "GET",
            "/containers/json?all=1&filters=%7B%22before%22%3A%5B%22{R}%22%5D%7D",
            None,
        );
        check(
            "GET /containers/json since",
            r,
            "GET",
            "/containers/json?all=1&filters=%7B%22since%22%3A%5B%22{R}%22%5D%7D",
            None,
        );
    }
    for r in &w.networks {
        check("GET /networks/{id}", r, "GET", "/networks/{R}", None);
        check("DELETE /networks/{id}", r, "DELETE", "/networks/{R}", None);
        check(
            "POST /networks/{id}/connect (running container)",
            r,
            "POST",
            "/networks/{R}/connect",
            Some(json!({"Container": "{OWN}"})),
        );
        check(
            "POST /networks/{id}/disconnect (running container)",
            r,
            "POST",
            "/networks/{R}/disconnect",
            Some(json!({"Container": "{OWN}"})),
        );
        check(
            "GET /containers/json network",
            r,
            "GET",
            "/containers/json?all=1&filters=%7B%22network%22%3A%5B%22{R}%22%5D%7D",
            None,
        );
    }
    for r in &w.volumes {
        check("GET /volumes/{name}", r, "GET", "/volumes/{R}", None);
        check("DELETE /volumes/{name}", r, "DELETE", "/volumes/{R}", None);
    }
    for r in &w.execs {
        check("GET /exec/{id}/json", r, "GET", "/exec/{R}/json", None);
        check(
            "POST /exec/{id}/start",
            r,
            "POST",
            "/exec/{R}/start",
            Some(json!({"Detach": true})),
        );
        check(
            "POST /exec/{id}/resize",
            r,
            "POST",
            "/exec/{R}/resize?h=10&w=10",
            None,
        );
    }
    finish(&c, x, fails, table);
}

/// The issue's own report: the docker CLI must not read the answer as "no
/// such image" and try a pull; it prints what it prints on a plain engine.
#[test]
fn docker_run_with_a_missing_network_does_not_pull() {
    let Some(c) = case() else { return };
    let x = exact(&c.env.engine);
    let e = &c.env.engine;
    let net = c.name("dx-nosuchnet");
    let name = c.name("dx-cli");
    let through = x
        .dxb
        .docker(&["run", "--name", &name, "--network", &net, "busybox", "true"]);
    let direct = e.docker(&[
        "run",
        "--name",
        &format!("dxd-{name}"),
        "--network",
        &format!("dxb_{net}"),
        "busybox",
        "true",
    ]);
    let err = through.fails();
    assert!(!err.contains("Unable to find image"), "{through}");
    let want = direct.fails().replace("dxb_", "");
    assert!(!want.contains("Unable to find image"), "{direct}");
    assert_eq!(
        err.trim(),
        want.trim(),
        "\nthrough fdcs:\n{through}\ndirect:\n{direct}"
    );
    for args in [
        vec![
            "run",
            "--name",
            "X",
            "--volumes-from",
            "NOSUCH",
            "busybox",
            "true",
        ],
        vec![
            "run",
            "--name",
            "X",
            "--network",
            "container:NOSUCH",
            "busybox",
            "true",
        ],
        vec![
            "run", "--name", "X", "--link", "NOSUCH:x", "busybox", "true",
        ],
    ] {
        let n = c.name("dx-cli2");
        let nosuch = c.name("dx-nosuch");
        let fill = |ctr: &str, r: &str| -> Vec<String> {
            args.iter()
                .map(|a| a.replace("NOSUCH", r).replace('X', ctr))
                .collect()
        };
        let t_args = fill(&n, &nosuch);
        let d_args = fill(&format!("dxd-{n}"), &format!("dxb_{nosuch}"));
        let through = x
            .dxb
            .docker(&t_args.iter().map(String::as_str).collect::<Vec<_>>());
        let direct = e.docker(&d_args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            !through.fails().contains("Unable to find image"),
            "{through}"
        );
        assert_eq!(
            through.fails().trim(),
            direct.fails().replace("dxb_", "").trim(),
            "\nthrough fdcs:\n{through}\ndirect:\n{direct}"
        );
        let _ = x.dxb.docker(&["rm", "-f", &n]);
        let _ = e.docker(&["rm", "-f", &format!("dxd-{n}")]);
    }
    assert!(x.proxy.alive(), "serve died:\n{}", x.proxy.log_tail());
    assert_isolated(e, &x.dxa, &x.dxb, &c.tag);
}
