//! Attacks on the policy core, written as a hostile tenant would send them.
//!
//! Each test is named after the attack it regresses and asserts the SAFE
//! outcome: a denial with the right status and rule, or a rewrite whose
//! forwarded path, query and body are safe. Tenant `alpha` is the attacker;
//! `beta` owns the victim resources, which never appear in alpha's facts
//! (the adapter answers `Owned` obligations with the asking tenant's own
//! resources only).
//!
//! A test marked `#[ignore = "HOLE: ..."]` is an attack the core lets
//! through today: it states the expected safe outcome and fails until the
//! hole is closed (run them with `cargo test --test attacks -- --ignored`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fdcs_policy::{
    judge, rewrite_event, rewrite_response, Denial, Facts, Forward, Obligation, Owned, Policy,
    Request, ResponsePlan, ResponseRewrite, Tenant, TenantId, Verdict,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------- world --

fn hex_id(prefix: &str, fill: char) -> String {
    let mut s = prefix.to_string();
    while s.len() < 64 {
        s.push(fill);
    }
    s
}

fn alpha_web() -> String {
    hex_id("a1", '1')
}
fn alpha_db() -> String {
    hex_id("a2", '2')
}
fn beta_db() -> String {
    hex_id("b1", '3')
}
fn alpha_net() -> String {
    hex_id("c1", '4')
}
fn alpha_bridge() -> String {
    hex_id("c2", '5')
}
fn beta_net() -> String {
    hex_id("d1", '6')
}

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::embedded_default().unwrap())
}

fn alpha() -> Tenant {
    Tenant::new(TenantId::new("alpha").unwrap())
}

/// Alpha's world: what the adapter answers for alpha. Beta's resources exist
/// on the engine but are, by construction, never in it.
fn facts() -> Facts {
    let own = |id: String, name: &str| Owned {
        id,
        name: name.to_string(),
    };
    let mut execs = BTreeMap::new();
    execs.insert("alphaexec".to_string(), Some(alpha_web()));
    execs.insert("betaexec".to_string(), Some(beta_db()));
    execs.insert("goneexec".to_string(), None);
    Facts {
        containers: Some(vec![
            own(alpha_web(), "alpha_web"),
            own(alpha_db(), "alpha_db"),
        ]),
        networks: Some(vec![
            own(alpha_net(), "alpha_net"),
            own(alpha_bridge(), "alpha_bridge"),
        ]),
        volumes: Some(vec![own("alpha_data".into(), "alpha_data")]),
        swarm: BTreeMap::new(),
        services: BTreeMap::new(),
        execs,
        // the image every create here runs: present, declaring nothing
        images: BTreeMap::from([("busybox".to_string(), Some(Default::default()))]),
        lookups: BTreeMap::new(),
        usage: Some(Default::default()),
        named_images: Some(Vec::new()),
        container_mounts: BTreeMap::new(),
        images_unknown: false,
    }
}

fn judge_as(tenant: &Tenant, method: &str, target: &str, body: &[u8]) -> Verdict {
    let req = Request::new(method, target, body.to_vec());
    judge(policy(), tenant, &req, &facts())
}

fn send(method: &str, target: &str, body: &[u8]) -> Verdict {
    judge_as(&alpha(), method, target, body)
}

fn send_json(method: &str, target: &str, body: Value) -> Verdict {
    send(method, target, body.to_string().as_bytes())
}

/// A `docker run` create body with the given `HostConfig`.
fn create(hc: Value) -> Verdict {
    send_json(
        "POST",
        "/v1.41/containers/create",
        json!({"Image": "busybox", "HostConfig": hc}),
    )
}

#[track_caller]
fn denied(v: Verdict) -> Denial {
    match v {
        Verdict::Deny(d) => d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[track_caller]
fn forwarded(v: Verdict) -> Forward {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

/// A policy denial (403) by `rule`.
#[track_caller]
fn assert_rule(v: Verdict, status: u16, rule: &str) -> Denial {
    let d = denied(v);
    assert_eq!(
        (d.status, d.rule.as_deref()),
        (status, Some(rule)),
        "{}",
        d.message
    );
    d
}

/// The daemon's own not-found, revealing nothing.
#[track_caller]
fn assert_not_found(v: Verdict) -> Denial {
    let d = denied(v);
    assert_eq!((d.status, d.rule.as_deref()), (404, None), "{}", d.message);
    assert!(!d.message.contains("fdcs"), "{}", d.message);
    d
}

#[track_caller]
fn body_of(f: &Forward) -> &Value {
    f.body.as_ref().expect("a forwarded JSON body")
}

/// The `filters` value of a forwarded query, parsed; asserts there is one.
#[track_caller]
fn forwarded_filters(f: &Forward) -> Value {
    let q = f.query.as_deref().expect("a forwarded query");
    let values: Vec<String> = q
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| *k == "filters")
        .map(|(_, v)| decode_component(v))
        .collect();
    assert_eq!(values.len(), 1, "exactly one filters value in {q}");
    serde_json::from_str(&values[0]).unwrap()
}

fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[track_caller]
fn assert_owner_filter_only_alpha(filters: &Value) {
    let labels = &filters["label"];
    assert_eq!(labels["fdcs.tenant=alpha"], true, "{filters}");
    let text = filters.to_string();
    assert!(!text.contains("beta"), "{filters}");
    assert!(!text.to_ascii_lowercase().contains("label!"), "{filters}");
}

// ------------------------------------------- invariant 1: default deny --

#[test]
fn route_percent_encoded_resource_word_is_refused() {
    for p in [
        "/v1.41/%63ontainers/json",
        "/v1.41/containers/%62eta_db/json",
        "/v1.41/containers/web%2F..%2F..%2Fbeta/json",
        "/v1.41/containers/web%252Fjson",
    ] {
        assert_rule(send("GET", p, b""), 400, "route.ambiguous");
    }
}

#[test]
fn route_dot_segments_duplicate_and_trailing_slashes_are_refused() {
    for p in [
        "/v1.41//containers/web/json",
        "/v1.41/containers/web/../beta_db/json",
        "/v1.41/containers/./web/json",
        "/v1.41/containers/web/json/",
        "//v1.41/containers/web/json",
        "/v1.41/containers/web\\..\\beta/json",
    ] {
        let d = denied(send("GET", p, b""));
        assert_eq!(d.status, 400, "{p}: {}", d.message);
    }
}

#[test]
fn route_version_prefix_tricks_are_refused() {
    for p in [
        "/V1.41/_ping",
        "/v1.41.0/_ping",
        "/v01.41/_ping",
        "/v1.99/_ping",
    ] {
        let d = denied(send("GET", p, b""));
        assert!(matches!(d.status, 400 | 403), "{p}: {d:?}");
    }
}

#[test]
fn route_old_api_start_with_host_config_body_is_refused() {
    // Below 1.24 the daemon applies a HostConfig sent to /start.
    let body = json!({"Binds": ["/:/host"], "Privileged": true}).to_string();
    assert_rule(
        send("POST", "/v1.23/containers/web/start", body.as_bytes()),
        400,
        "route.version",
    );
}

#[test]
fn route_start_body_is_never_forwarded() {
    let body = json!({"Binds": ["/:/host"], "Privileged": true}).to_string();
    for p in ["/v1.41/containers/web/start", "/containers/web/start"] {
        let f = forwarded(send("POST", p, body.as_bytes()));
        assert!(f.body.is_none() && !f.stream_body, "{p}: {f:?}");
    }
}

#[test]
fn route_lowercase_method_and_unknown_routes_are_denied() {
    assert_rule(send("get", "/v1.41/_ping", b""), 403, "route.unknown");
    assert_rule(send("GET", "/v1.41/nope", b""), 403, "route.unknown");
    assert_rule(
        send("TRACE", "/v1.41/containers/json", b""),
        403,
        "route.unknown",
    );
}

#[test]
fn session_and_grpc_are_denied() {
    assert_rule(send("POST", "/v1.41/session", b""), 403, "system.session");
    assert_rule(send("POST", "/session", b""), 403, "system.session");
    let d = denied(send("POST", "/v1.41/grpc", b""));
    assert_eq!(d.status, 403);
}

#[test]
fn build_with_remote_context_is_denied() {
    for q in [
        "remote=http://169.254.169.254/latest",
        "remote=git://internal/repo&t=x",
        "t=x",
    ] {
        assert_rule(
            send("POST", &format!("/v1.41/build?{q}"), b""),
            403,
            "images.build",
        );
    }
}

/// The report a prune answered by fdcs carries, or a panic when the prune
/// would reach the engine.
#[track_caller]
fn answered(v: Verdict) -> Value {
    match forwarded(v).response {
        ResponsePlan::Answer { body } => body,
        other => panic!("a prune of the shared store would reach the engine: {other:?}"),
    }
}

#[test]
fn image_and_build_cache_prunes_never_reach_the_engine_and_answer_as_it_does_for_nothing() {
    // `docker system prune [-a]` sends these after the container and network
    // prunes; a denial here came after those had already removed things
    for q in [
        "",
        r#"?filters={"dangling":["true"]}"#,
        r#"?filters={"dangling":["false"]}"#,
        r#"?filters={"until":["24h"],"label":["x=y"],"label!":["keep"]}"#,
        r#"?filters={"dangling":{"false":true}}"#,
    ] {
        let body = answered(send("POST", &format!("/v1.41/images/prune{q}"), b""));
        assert_eq!(
            body,
            json!({"ImagesDeleted": null, "SpaceReclaimed": 0}),
            "{q}"
        );
    }
    for q in [
        "",
        "?all=1",
        r#"?all=1&filters={"until":["24h"]}"#,
        r#"?filters={"label":["x=y"],"label!":["keep"]}"#,
        "?keep-storage=0",
    ] {
        let body = answered(send("POST", &format!("/v1.41/build/prune{q}"), b""));
        assert_eq!(
            body,
            json!({"CachesDeleted": null, "SpaceReclaimed": 0}),
            "{q}"
        );
        let body = answered(send("POST", &format!("/v1.24/build/prune{q}"), b""));
        assert_eq!(body["SpaceReclaimed"], 0);
    }
    // a filter the daemon refuses is refused in its words, before anything
    let d = denied(send(
        "POST",
        r#"/v1.41/images/prune?filters={"reference":["x"]}"#,
        b"",
    ));
    assert_eq!(
        (d.status, d.message.as_str()),
        (400, "Invalid filter 'reference'")
    );
    let d = denied(send(
        "POST",
        r#"/v1.41/build/prune?filters={"bogus":["x"]}"#,
        b"",
    ));
    assert_eq!(
        (d.status, d.message.as_str()),
        (400, "failed to prune build cache: Invalid filter 'bogus'")
    );
    assert_eq!(
        denied(send("POST", "/v1.41/images/prune?filters=[", b"")).status,
        400
    );
}

#[test]
fn checkpoint_with_host_directory_is_denied() {
    let body = json!({"CheckpointID": "x", "CheckpointDir": "/etc"}).to_string();
    let d = denied(send(
        "POST",
        "/v1.41/containers/web/checkpoints",
        body.as_bytes(),
    ));
    assert_eq!(d.status, 403, "{}", d.message);
}

#[test]
fn swarm_services_and_plugins_are_denied() {
    let svc = json!({"TaskTemplate": {"ContainerSpec": {"Image": "busybox",
        "Mounts": [{"Type": "bind", "Source": "/", "Target": "/host"}]}}});
    for (m, p, b) in [
        ("POST", "/v1.41/services/create", svc.to_string()),
        ("POST", "/v1.41/swarm/init", "{}".to_string()),
        (
            "POST",
            "/v1.41/plugins/pull?remote=evil/plugin",
            "[]".to_string(),
        ),
        ("GET", "/v1.41/secrets", String::new()),
        ("GET", "/v1.41/nodes", String::new()),
    ] {
        let d = denied(send(m, p, b.as_bytes()));
        assert_eq!(d.status, 403, "{p}: {}", d.message);
    }
}

// -------------------------------------------- invariant 2: isolation ----

#[test]
fn foreign_container_by_name_engine_name_id_and_prefix_is_not_found() {
    for r in [
        "beta_db".to_string(),
        "db2".to_string(),
        beta_db(),
        beta_db()[..12].to_string(),
        "b1".to_string(),
        "alpha_web".to_string(), // engine-side names are not aliases
    ] {
        let d = assert_not_found(send("GET", &format!("/v1.41/containers/{r}/json"), b""));
        assert_eq!(d.message, format!("No such container: {r}"));
    }
}

#[test]
fn foreign_container_read_and_write_paths_are_not_found() {
    for (m, tail) in [
        ("GET", "export"),
        ("GET", "archive?path=/etc"),
        ("HEAD", "archive?path=/etc"),
        ("PUT", "archive?path=/"),
        ("GET", "attach/ws?stream=1"),
        ("POST", "attach?stream=1&stdin=1"),
        ("GET", "logs?stdout=1"),
        ("GET", "changes"),
        ("GET", "top"),
        ("GET", "stats?stream=0"),
        ("POST", "kill"),
        ("POST", "stop"),
        ("POST", "pause"),
        ("POST", "wait"),
        ("POST", "resize?h=1&w=1"),
        ("POST", "rename?name=mine"),
        ("POST", "update"),
        ("POST", "exec"),
    ] {
        let body: &[u8] = match tail {
            "update" => b"{}",
            "exec" => br#"{"Cmd":["sh"]}"#,
            _ => b"",
        };
        let path = format!("/v1.41/containers/beta_db/{tail}");
        assert_not_found(send(m, &path, body));
        let path = format!("/v1.41/containers/{}/{tail}", beta_db());
        assert_not_found(send(m, &path, body));
    }
    assert_not_found(send("DELETE", "/v1.41/containers/beta_db?force=1", b""));
}

#[test]
fn own_container_reference_is_forwarded_as_its_full_id() {
    let f = forwarded(send("GET", "/v1.41/containers/web/archive?path=/etc", b""));
    assert_eq!(f.path, format!("/v1.41/containers/{}/archive", alpha_web()));
    let f = forwarded(send("GET", "/v1.41/containers/a1/json", b""));
    assert_eq!(f.path, format!("/v1.41/containers/{}/json", alpha_web()));
}

#[test]
fn ambiguous_prefix_is_judged_among_own_only() {
    // `a` matches alpha's two containers, never beta's `b1...`.
    let d = denied(send("GET", "/v1.41/containers/a/json", b""));
    assert_eq!(d.status, 400);
    assert!(d.message.contains("multiple IDs"), "{}", d.message);
    assert_not_found(send("GET", "/v1.41/containers/b/json", b""));
}

/// A create body reference the daemon looks up at create time: its 400
/// with the daemon's wording, exactly as for a name that does not exist
/// (a 404 makes the docker CLI pull the image).
#[track_caller]
fn assert_missing_in_body(v: Verdict, message: &str) {
    let d = denied(v);
    assert_eq!((d.status, d.rule.as_deref()), (400, None), "{}", d.message);
    assert_eq!(d.message, message);
}

/// What is forwarded names nothing of beta's: no beta id, no beta name.
#[track_caller]
fn names_nothing_of_betas(f: &Forward) {
    // `alpha_<beta's id>` is a name in alpha's scope: nobody's but alpha's
    let mut text = body_of(f).to_string();
    for theirs in [beta_db(), beta_net()] {
        text = text.replace(&format!("alpha_{theirs}"), "alpha_x");
    }
    for theirs in [beta_db(), beta_net()] {
        assert!(!text.contains(&theirs[..12]), "{text}");
    }
    for theirs in ["\"beta_db", "\"beta_net", ":beta_db", "container:b1"] {
        assert!(!text.contains(theirs), "{text}");
    }
}

#[test]
fn links_to_foreign_containers_are_what_the_daemon_says_of_none() {
    for (l, r) in [
        ("beta_db:db".to_string(), "beta_db".to_string()),
        ("/beta_db:/web/db".to_string(), "beta_db".to_string()),
        (format!("{}:db", beta_db()), beta_db()),
        ("b1:db".to_string(), "b1".to_string()),
        ("db2".to_string(), "db2".to_string()),
    ] {
        assert_missing_in_body(
            create(json!({"Links": [l]})),
            &format!("could not get container for {r}: No such container: {r}"),
        );
    }
    let f = forwarded(create(json!({"Links": ["db:database"]})));
    assert_eq!(body_of(&f)["HostConfig"]["Links"][0], "alpha_db:database");
}

#[test]
fn volumes_from_foreign_containers_is_what_the_daemon_says_of_none() {
    for (vf, r) in [
        ("beta_db".to_string(), "beta_db".to_string()),
        ("beta_db:ro".to_string(), "beta_db".to_string()),
        (format!("{}:rw", beta_db()), beta_db()),
        ("b1".to_string(), "b1".to_string()),
    ] {
        assert_missing_in_body(
            create(json!({"VolumesFrom": [vf]})),
            &format!("No such container: {r}"),
        );
    }
    let f = forwarded(create(json!({"VolumesFrom": ["db:ro"]})));
    assert_eq!(
        body_of(&f)["HostConfig"]["VolumesFrom"][0],
        format!("{}:ro", alpha_db())
    );
}

#[test]
fn container_namespace_modes_naming_foreign_containers_are_what_the_daemon_says_of_none() {
    for r in ["beta_db".to_string(), beta_db(), "b1".to_string()] {
        // looked up at create: the daemon's 400
        for field in ["PidMode", "IpcMode"] {
            let mut hc = serde_json::Map::new();
            hc.insert(field.into(), json!(format!("container:{r}")));
            assert_missing_in_body(
                create(Value::Object(hc)),
                &format!("No such container: {r}"),
            );
        }
        // looked up when it starts (or never): the tenant's scoped name,
        // which is nobody else's
        for field in ["NetworkMode", "UTSMode", "Cgroup"] {
            let mut hc = serde_json::Map::new();
            hc.insert(field.into(), json!(format!("container:{r}")));
            let f = forwarded(create(Value::Object(hc)));
            names_nothing_of_betas(&f);
            assert_eq!(
                body_of(&f)["HostConfig"][field],
                format!("container:alpha_{r}"),
                "{field}"
            );
        }
    }
    let f = forwarded(create(json!({"PidMode": "container:web"})));
    assert_eq!(
        body_of(&f)["HostConfig"]["PidMode"],
        format!("container:{}", alpha_web())
    );
}

#[test]
fn networking_config_naming_foreign_networks_or_containers_names_only_the_tenants_scope() {
    let run = |ec: Value| {
        forwarded(send_json(
            "POST",
            "/v1.41/containers/create",
            json!({"Image": "busybox", "NetworkingConfig": {"EndpointsConfig": ec}}),
        ))
    };
    let eps = |f: &Forward| body_of(f)["NetworkingConfig"]["EndpointsConfig"].clone();
    for (key, scoped) in [
        ("beta_net".to_string(), "alpha_beta_net".to_string()),
        (beta_net(), format!("alpha_{}", beta_net())),
        ("host".to_string(), "alpha_host".to_string()),
    ] {
        let f = run(json!({ key.clone(): {} }));
        names_nothing_of_betas(&f);
        assert!(eps(&f).get(&scoped).is_some(), "{key}: {}", eps(&f));
    }
    let f = run(json!({"bridge": {"NetworkID": beta_net()}}));
    names_nothing_of_betas(&f);
    assert_eq!(
        eps(&f)["alpha_bridge"]["NetworkID"],
        format!("alpha_{}", beta_net())
    );
    let f = run(json!({"bridge": {"Links": ["beta_db:db"]}}));
    names_nothing_of_betas(&f);
    assert_eq!(eps(&f)["alpha_bridge"]["Links"][0], "alpha_beta_db:db");
    let f = run(json!({"bridge": {"Aliases": ["x"]}}));
    let eps = body_of(&f)["NetworkingConfig"]["EndpointsConfig"]
        .as_object()
        .unwrap();
    assert_eq!(eps.keys().collect::<Vec<_>>(), vec!["alpha_bridge"]);
}

#[test]
fn network_mode_naming_a_foreign_network_names_only_the_tenants_scope() {
    let mode = |m: &str| {
        let f = forwarded(create(json!({ "NetworkMode": m })));
        names_nothing_of_betas(&f);
        body_of(&f)["HostConfig"]["NetworkMode"].clone()
    };
    for m in ["beta_net", "alpha_net", "d1", "none2"] {
        assert_eq!(mode(m), format!("alpha_{m}"));
    }
    assert_eq!(mode(&beta_net()), format!("alpha_{}", beta_net()));
    assert_eq!(mode("net"), "alpha_net");
    assert_eq!(mode(&alpha_net()), "alpha_net");
}

#[test]
fn default_bridge_is_replaced_by_the_tenants_network() {
    for m in ["", "default", "bridge"] {
        let f = forwarded(create(json!({ "NetworkMode": m })));
        assert_eq!(body_of(&f)["HostConfig"]["NetworkMode"], "alpha_bridge");
        let pre = f
            .prelude
            .iter()
            .find(|p| p.path.ends_with("/networks/create"))
            .expect("default network prelude");
        assert_eq!(pre.body["Name"], "alpha_bridge");
        assert_eq!(pre.body["Labels"]["fdcs.tenant"], "alpha");
        assert_eq!(pre.body["Driver"], "bridge");
    }
}

#[test]
fn network_connect_and_disconnect_with_foreign_parties_are_not_found() {
    let connect =
        |net: &str, body: Value| send_json("POST", &format!("/v1.41/networks/{net}/connect"), body);
    assert_not_found(connect("net", json!({"Container": "beta_db"})));
    assert_not_found(connect("net", json!({ "Container": beta_db() })));
    assert_not_found(connect("beta_net", json!({"Container": "web"})));
    assert_not_found(connect(&beta_net(), json!({"Container": "web"})));
    // the daemon reads these only when it connects: scoped, nobody else's
    let f = forwarded(connect(
        "net",
        json!({"Container": "web", "EndpointConfig": {"NetworkID": beta_net()}}),
    ));
    names_nothing_of_betas(&f);
    let f = forwarded(connect(
        "net",
        json!({"Container": "web", "EndpointConfig": {"Links": ["beta_db:db"]}}),
    ));
    names_nothing_of_betas(&f);
    assert_eq!(
        body_of(&f)["EndpointConfig"]["Links"][0],
        "alpha_beta_db:db"
    );
    for (net, c) in [("net", "beta_db"), ("beta_net", "web")] {
        assert_not_found(send_json(
            "POST",
            &format!("/v1.41/networks/{net}/disconnect"),
            json!({"Container": c, "Force": true}),
        ));
    }
    let f = forwarded(connect("net", json!({"Container": "web"})));
    assert_eq!(f.path, format!("/v1.41/networks/{}/connect", alpha_net()));
    assert_eq!(body_of(&f)["Container"], alpha_web());
}

#[test]
fn foreign_network_and_volume_reads_and_deletes_are_not_found() {
    for (m, p) in [
        ("GET", "/v1.41/networks/beta_net"),
        ("DELETE", "/v1.41/networks/beta_net"),
        ("GET", "/v1.41/networks/d1"),
        ("GET", "/v1.41/volumes/beta_data"),
        ("DELETE", "/v1.41/volumes/beta_data"),
        ("GET", "/v1.41/volumes/alpha_data"),
    ] {
        assert_not_found(send(m, p, b""));
    }
    assert_not_found(send("GET", &format!("/v1.41/networks/{}", beta_net()), b""));
}

#[test]
fn foreign_exec_start_resize_and_inspect_are_not_found() {
    for (m, tail, body) in [
        (
            "POST",
            "start",
            br#"{"Detach":false,"Tty":true}"#.as_slice(),
        ),
        ("POST", "resize?h=10&w=10", b"".as_slice()),
        ("GET", "json", b"".as_slice()),
    ] {
        for exec in ["betaexec", "goneexec"] {
            let d = assert_not_found(send(m, &format!("/v1.41/exec/{exec}/{tail}"), body));
            assert_eq!(d.message, format!("No such exec instance: {exec}"));
        }
    }
    forwarded(send("POST", "/v1.41/exec/alphaexec/start", b"{}"));
}

#[test]
fn exec_start_cannot_smuggle_fields() {
    // `ExecStartCheck` has no such field; whatever the verdict, it must not
    // reach the daemon.
    match send(
        "POST",
        "/v1.41/exec/alphaexec/start",
        br#"{"Detach":true,"Privileged":true,"Cmd":["sh"]}"#,
    ) {
        Verdict::Deny(d) => assert_eq!(d.status, 400),
        v => {
            let f = forwarded(v);
            assert_eq!(body_of(&f), &json!({"Detach": true}));
        }
    }
}

#[test]
fn container_list_before_since_and_reference_filters_are_scoped() {
    for q in [
        "before=beta_db".to_string(),
        format!("since={}", beta_db()),
        "since=b1".to_string(),
        r#"filters={"before":["beta_db"]}"#.to_string(),
        r#"filters={"since":{"b1":true}}"#.to_string(),
        r#"filters={"network":["beta_net"]}"#.to_string(),
    ] {
        // the engine's answer for a name nobody has (500 "no such
        // container", or an empty list for `network`): the tenant's
        // scoped name goes, never beta's name or id
        let f = forwarded(send("GET", &format!("/v1.41/containers/json?{q}"), b""));
        let mut filters = format!("{} {}", forwarded_filters(&f), f.query.clone().unwrap());
        for theirs in [beta_db(), beta_net()] {
            filters = filters.replace(&format!("alpha_{theirs}"), "alpha_x");
            assert!(!filters.contains(&theirs[..12]), "{q}: {filters}");
        }
        for theirs in ["\"beta_", "\"b1\""] {
            assert!(!filters.contains(theirs), "{q}: {filters}");
        }
        assert!(filters.contains("alpha_"), "{q}: {filters}");
    }
    let f = forwarded(send("GET", "/v1.41/containers/json?before=web", b""));
    assert!(f
        .query
        .unwrap()
        .contains(&format!("before={}", alpha_web())));
}

#[test]
fn rename_of_foreign_container_is_not_found_and_own_is_scoped() {
    assert_not_found(send(
        "POST",
        "/v1.41/containers/beta_db/rename?name=xy",
        b"",
    ));
    let f = forwarded(send(
        "POST",
        "/v1.41/containers/web/rename?name=beta_db",
        b"",
    ));
    assert!(f.query.unwrap().contains("name=alpha_beta_db"));
    let d = denied(send("POST", "/v1.41/containers/web/rename?name=../x", b""));
    assert_eq!(d.status, 400);
}

#[test]
fn named_volumes_in_binds_and_mounts_are_scoped_to_the_tenant() {
    let f = forwarded(create(json!({
        "Binds": ["beta_data:/a", "data:/b:ro"],
        "Mounts": [{"Type": "volume", "Source": "beta_data", "Target": "/c"},
                   {"Type": "volume", "Source": "/etc", "Target": "/d"}]
    })));
    let hc = &body_of(&f)["HostConfig"];
    assert_eq!(
        hc["Binds"],
        json!(["alpha_beta_data:/a", "alpha_data:/b:ro"])
    );
    assert_eq!(hc["Mounts"][0]["Source"], "alpha_beta_data");
    assert_eq!(hc["Mounts"][1]["Source"], "alpha_etc");
    for p in &f.prelude {
        if p.path.ends_with("/volumes/create") {
            assert!(p.body["Name"].as_str().unwrap().starts_with("alpha_"));
            assert_eq!(p.body["Labels"]["fdcs.tenant"], "alpha");
        }
    }
}

#[test]
fn container_name_cannot_escape_the_tenant_scope() {
    let f = forwarded(send(
        "POST",
        "/v1.41/containers/create?name=beta_db",
        br#"{"Image":"busybox"}"#,
    ));
    assert!(f.query.unwrap().contains("name=alpha_beta_db"));
    for n in ["../beta_db", "a/b", "x", "_x", "a%00b"] {
        let d = denied(send(
            "POST",
            &format!("/v1.41/containers/create?name={n}"),
            br#"{"Image":"busybox"}"#,
        ));
        assert_eq!(d.status, 400, "{n}");
    }
}

// ------------------------------------------- invariant 3: no host access --

#[test]
fn host_bind_in_binds_in_every_spelling_is_denied() {
    for b in [
        "/:/host",
        "/etc:/x:ro",
        "/var/run/docker.sock:/s",
        "\\\\host\\share:/x",
        "/srv/../etc:/x",
    ] {
        assert_rule(create(json!({ "Binds": [b] })), 403, "mounts.no-host-path");
    }
}

#[test]
fn host_bind_via_mounts_is_denied() {
    for m in [
        json!({"Type": "bind", "Source": "/", "Target": "/host"}),
        json!({"Type": "bind", "Source": "/etc", "Target": "/x", "BindOptions": {"Propagation": "rshared"}}),
        json!({"Type": "BIND", "Source": "/", "Target": "/host"}),
        json!({"Type": "", "Source": "/", "Target": "/host"}),
        json!({"Source": "/", "Target": "/host"}),
        json!({"Type": "npipe", "Source": "/", "Target": "/host"}),
        json!({"Type": "cluster", "Source": "x", "Target": "/host"}),
    ] {
        assert_rule(create(json!({ "Mounts": [m] })), 403, "mounts.no-host-path");
    }
}

#[test]
fn host_bind_via_anonymous_volume_mount_driver_options_is_denied() {
    for opts in [
        json!({"type": "none", "o": "bind", "device": "/"}),
        json!({"o": "rbind", "device": "/etc"}),
        json!({"type": "nfs", "o": "addr=10.0.0.1", "device": ":/export"}),
        json!({"device": "/dev/sda1", "type": "ext4"}),
        json!({"O": "bind", "Device": "/"}),
    ] {
        for src in [json!(null), json!("data")] {
            let m = json!({"Type": "volume", "Source": src, "Target": "/x",
                "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": opts}}});
            let d = assert_rule(create(json!({ "Mounts": [m] })), 403, "mounts.no-host-path");
            assert!(d.field.unwrap().contains("DriverConfig"));
        }
    }
}

#[test]
fn foreign_volume_driver_is_denied_everywhere() {
    assert_rule(
        create(json!({"VolumeDriver": "vieux/sshfs"})),
        403,
        "mounts.volume-driver",
    );
    let m = json!({"Type": "volume", "Target": "/x",
        "VolumeOptions": {"DriverConfig": {"Name": "rexray/ebs"}}});
    assert_rule(
        create(json!({ "Mounts": [m] })),
        403,
        "mounts.volume-driver",
    );
    let m = json!({"Type": "volume", "Target": "/x",
        "VolumeOptions": {"DriverConfig": {"Name": ""}}});
    assert!(matches!(create(json!({ "Mounts": [m] })), Verdict::Deny(_)));
    assert_rule(
        send_json(
            "POST",
            "/v1.41/volumes/create",
            json!({"Name": "x1", "Driver": "vieux/sshfs"}),
        ),
        403,
        "mounts.volume-driver",
    );
}

#[test]
fn volume_create_with_host_mounting_options_is_denied() {
    for opts in [
        json!({"type": "none", "o": "bind", "device": "/"}),
        json!({"o": "ro,BIND", "device": "/etc"}),
        json!({"device": "/"}),
        json!({"type": "nfs", "o": "addr=10.0.0.1,rw", "device": ":/srv"}),
        json!({"type": "cifs", "device": "//10.0.0.1/share"}),
        json!({"type": "none", "o": " bind ", "device": "/"}),
        json!({"Type": "none", "O": "bind", "DEVICE": "/"}),
        json!({" o": "bind"}),
        json!({"mountpoint": "/"}),
    ] {
        assert_rule(
            send_json(
                "POST",
                "/v1.41/volumes/create",
                json!({"Name": "evil", "Driver": "local", "DriverOpts": opts}),
            ),
            403,
            "mounts.no-host-path",
        );
    }
    // tmpfs-backed volumes are fine
    forwarded(send_json(
        "POST",
        "/v1.41/volumes/create",
        json!({"Name": "t1", "DriverOpts": {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}}),
    ));
}

#[test]
fn cluster_volume_spec_is_denied() {
    assert_rule(
        send_json(
            "POST",
            "/v1.44/volumes/create",
            json!({"Name": "c1", "ClusterVolumeSpec": {"Group": "x"}}),
        ),
        403,
        "mounts.volume-driver",
    );
}

#[test]
fn privileged_in_every_spelling_is_denied() {
    for body in [
        r#"{"Image":"busybox","HostConfig":{"Privileged":true}}"#,
        r#"{"Image":"busybox","HostConfig":{"privileged":true}}"#,
        r#"{"Image":"busybox","hostconfig":{"PRIVILEGED":true}}"#,
        r#"{"Image":"busybox","HostConfig":{"Privileged":false,"privileged":true}}"#,
        r#"{"Image":"busybox","HostConfig":{"Privileged":false},"HostConfig":{"Privileged":true}}"#,
        r#"{"Image":"busybox","HostConfig":{"Privileged":false},"hostConfig":{"Memory":1073741824,"Privileged":true}}"#,
        r#"{"Image":"busybox","Privileged":true}"#,
        r#"{"Image":"busybox","HostConfig":null,"privileged":true}"#,
    ] {
        assert_rule(
            send("POST", "/v1.41/containers/create", body.as_bytes()),
            403,
            "privileges.privileged",
        );
    }
}

#[test]
fn privileged_false_last_wins_is_forwarded_as_false() {
    let f = forwarded(send(
        "POST",
        "/v1.41/containers/create",
        br#"{"Image":"busybox","HostConfig":{"privileged":true,"Privileged":false}}"#,
    ));
    let hc = body_of(&f)["HostConfig"].as_object().unwrap();
    assert_eq!(hc["Privileged"], false);
    assert!(!hc.contains_key("privileged"));
}

#[test]
fn capabilities_in_every_spelling_are_denied() {
    for hc in [
        json!({"CapAdd": ["SYS_ADMIN"]}),
        json!({"CapAdd": ["cap_sys_admin"]}),
        json!({"CapAdd": [" Sys_Ptrace "]}),
        json!({"CapAdd": ["ALL"]}),
        json!({"CapAdd": "NET_ADMIN"}),
        json!({"Capabilities": ["CAP_SYS_ADMIN"]}),
    ] {
        assert_rule(create(hc), 403, "privileges.capabilities");
    }
}

#[test]
fn devices_in_every_form_are_denied() {
    for hc in [
        json!({"Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]}),
        json!({"DeviceRequests": [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}]}),
        json!({"DeviceCgroupRules": ["b *:* rwm"]}),
        json!({"Device\u{17F}": [{"PathOnHost": "/dev/mem"}]}),
    ] {
        assert_rule(create(hc), 403, "privileges.devices");
    }
    // legacy top-level placement
    assert_rule(
        send_json(
            "POST",
            "/v1.41/containers/create",
            json!({"Image": "busybox", "Devices": [{"PathOnHost": "/dev/kmsg"}]}),
        ),
        403,
        "privileges.devices",
    );
}

#[test]
fn unconfined_security_options_are_denied() {
    for o in [
        "seccomp=unconfined",
        "seccomp:unconfined",
        "SECCOMP=UNCONFINED",
        "apparmor=unconfined",
        "apparmor:unconfined",
        "label=disable",
        "label:disable",
        "systempaths=unconfined",
        "no-new-privileges:false",
        "no-new-privileges=false",
        r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#,
    ] {
        assert_rule(
            create(json!({ "SecurityOpt": [o] })),
            403,
            "privileges.security-opt",
        );
    }
    forwarded(create(json!({"SecurityOpt": ["no-new-privileges"]})));
}

#[test]
fn unmasking_proc_and_sys_is_denied() {
    for hc in [
        json!({"MaskedPaths": []}),
        json!({"ReadonlyPaths": []}),
        json!({"Ma\u{17F}\u{212A}edPaths": []}),
    ] {
        assert_rule(create(hc), 403, "privileges.paths");
    }
}

#[test]
fn sysctls_cgroup_parent_runtime_annotations_and_log_drivers_are_denied() {
    assert_rule(
        create(json!({"Sysctls": {"kernel.shm_rmid_forced": "1"}})),
        403,
        "privileges.sysctls",
    );
    assert_rule(
        create(json!({"\u{17F}ysctls": {"net.ipv4.ip_forward": "1"}})),
        403,
        "privileges.sysctls",
    );
    assert_rule(
        create(json!({"CgroupParent": "/"})),
        403,
        "privileges.cgroup-parent",
    );
    assert_rule(
        create(json!({"CgroupParent": "system.slice"})),
        403,
        "privileges.cgroup-parent",
    );
    assert_rule(
        create(json!({"Runtime": "/usr/bin/evil"})),
        403,
        "privileges.runtime",
    );
    assert_rule(
        create(json!({"Annotations": {"io.containerd.x": "y"}})),
        403,
        "privileges.runtime",
    );
    for t in ["syslog", "gelf", "fluentd", "awslogs", "splunk", "journald"] {
        assert_rule(
            create(json!({"LogConfig": {"Type": t, "Config": {}}})),
            403,
            "privileges.log-driver",
        );
    }
}

#[test]
fn log_options_for_the_daemon_default_driver_are_denied() {
    // With `Type` empty the daemon uses its configured default driver; if the
    // operator's default is syslog/gelf/fluentd, these make the daemon send
    // the tenant's logs (and open connections) wherever the tenant says.
    let d = denied(create(json!({"LogConfig": {"Type": "",
        "Config": {"syslog-address": "tcp://10.0.0.1:514", "gelf-address": "udp://10.0.0.1:1"}}})));
    assert_eq!(d.rule.as_deref(), Some("privileges.log-driver"));
}

#[test]
fn host_namespaces_in_every_spelling_are_denied() {
    for field in [
        "NetworkMode",
        "PidMode",
        "IpcMode",
        "UTSMode",
        "UsernsMode",
        "CgroupnsMode",
        "Cgroup",
    ] {
        for v in ["host", "HOST", " host", "Host "] {
            let mut hc = serde_json::Map::new();
            hc.insert(field.into(), json!(v));
            assert_rule(create(Value::Object(hc)), 403, "namespaces.no-host");
        }
    }
    // folded field name
    assert_rule(
        create(json!({"pidmode": "host"})),
        403,
        "namespaces.no-host",
    );
}

#[test]
fn privileged_exec_in_every_spelling_is_denied() {
    for body in [
        r#"{"Cmd":["sh"],"Privileged":true}"#,
        r#"{"Cmd":["sh"],"privileged":true}"#,
        r#"{"Cmd":["sh"],"PRIVILEGED":true}"#,
        r#"{"Cmd":["sh"],"Privileged":false,"privileged":true}"#,
    ] {
        assert_rule(
            send("POST", "/v1.41/containers/web/exec", body.as_bytes()),
            403,
            "exec.privileged",
        );
    }
    let f = forwarded(send(
        "POST",
        "/v1.41/containers/web/exec",
        br#"{"Cmd":["sh"],"privileged":true,"Privileged":false}"#,
    ));
    assert_eq!(body_of(&f)["Privileged"], false);
    assert_eq!(f.path, format!("/v1.41/containers/{}/exec", alpha_web()));
}

#[test]
fn network_create_that_reaches_the_host_is_denied() {
    let net = |body: Value| send_json("POST", "/v1.41/networks/create", body);
    for body in [
        json!({"Name": "n1", "Options": {"com.docker.network.bridge.name": "docker0"}}),
        json!({"Name": "n1", "Options": {"com.docker.network.bridge.host_binding_ipv4": "127.0.0.1"}}),
        json!({"Name": "n1", "Options": {"com.docker.network.bridge.enable_ip_masquerade": "false"}}),
        json!({"Name": "n1", "Options": {"parent": "eth0"}}),
        json!({"Name": "n1", "Driver": "macvlan", "Options": {"parent": "eth0"}}),
        json!({"Name": "n1", "Driver": "ipvlan"}),
        json!({"Name": "n1", "Driver": "host"}),
        json!({"Name": "n1", "Driver": "overlay"}),
        json!({"Name": "n1", "Driver": "Bridge"}),
        json!({"Name": "n1", "IPAM": {"Config": [{"Subnet": "10.0.0.0/8"}]}}),
        json!({"Name": "n1", "IPAM": {"Config": [{"Subnet": "169.254.169.0/24", "Gateway": "169.254.169.254"}]}}),
        json!({"Name": "n1", "IPAM": {"Driver": "evil"}}),
        json!({"Name": "n1", "IPAM": {"Options": {"x": "y"}}}),
        json!({"Name": "n1", "Ingress": true}),
        json!({"Name": "n1", "ConfigOnly": true}),
        json!({"Name": "n1", "ConfigFrom": {"Network": "beta_net"}}),
        json!({"Name": "n1", "Scope": "swarm"}),
    ] {
        assert_rule(net(body.clone()), 403, "networks.driver");
    }
    for name in ["host", "bridge", "none", "default"] {
        assert_rule(net(json!({ "Name": name })), 403, "tenancy.name");
    }
    let f = forwarded(net(json!({"Name": "alpha_x", "Driver": "bridge"})));
    let b = body_of(&f);
    assert_eq!(b["Name"], "alpha_alpha_x");
    assert_eq!(b["Labels"]["fdcs.tenant"], "alpha");
    assert_eq!(b["CheckDuplicate"], true);
}

// ------------------------------------------------- invariant 4: ports ----

#[test]
fn explicit_host_ports_in_every_spelling_are_denied() {
    for b in [
        json!({"HostPort": "8080"}),
        json!({"HostPort": " 22"}),
        json!({"HostPort": "8000-8010"}),
        json!({"HostPort": "00"}),
        json!({"HostIp": "127.0.0.1", "HostPort": ""}),
        json!({"HostIp": "10.0.0.5"}),
        json!({"hostport": "80"}),
    ] {
        assert_rule(
            create(json!({"PortBindings": {"80/tcp": [b]}})),
            403,
            "ports.ephemeral-only",
        );
    }
    assert_rule(
        send_json(
            "POST",
            "/v1.41/containers/create",
            json!({"Image": "busybox", "PortBindings": {"80/tcp": [{"HostPort": "80"}]}}),
        ),
        403,
        "ports.ephemeral-only",
    );
    forwarded(create(
        json!({"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": ""}], "81/tcp": null}}),
    ));
}

// --------------------------------------------- invariant 5: resources ----

#[test]
fn create_without_limits_gets_the_defaults() {
    let f = forwarded(create(json!({})));
    let hc = &body_of(&f)["HostConfig"];
    assert_eq!(hc["Memory"], 256 << 20);
    assert_eq!(hc["NanoCpus"], 500_000_000);
    assert_eq!(hc["PidsLimit"], 256);
}

#[test]
fn create_unlimited_and_above_ceiling_resources_are_denied() {
    for (hc, rule) in [
        (json!({"Memory": 2_147_483_648_i64}), "resources.memory"),
        (json!({"Memory": -1}), "resources.memory"),
        (json!({"MemorySwap": -1}), "resources.memory"),
        (
            json!({"Memory": 1_073_741_824, "MemorySwap": 4_294_967_296_i64}),
            "resources.memory",
        ),
        (json!({"NanoCpus": 3_000_000_000_i64}), "resources.cpu"),
        (json!({"NanoCpus": -1}), "resources.cpu"),
        (json!({"CpuQuota": -1}), "resources.cpu"),
        (json!({"CpuQuota": 300_000}), "resources.cpu"),
        (
            json!({"CpuQuota": 3_000, "CpuPeriod": 1_000}),
            "resources.cpu",
        ),
        (json!({"PidsLimit": 5000}), "resources.pids"),
        (json!({"memory": 2_147_483_648_i64}), "resources.memory"),
    ] {
        assert_rule(create(hc), 403, rule);
    }
    assert_rule(
        create(json!({"NanoCpus": 1_000_000_000, "CpuQuota": 100_000})),
        400,
        "resources.cpu",
    );
    // a period outside the daemon's 1 ms..1 s is malformed, as the daemon
    // says (400), not a policy matter; -1 never means "unlimited" here
    assert_rule(
        create(json!({"CpuQuota": 1_000, "CpuPeriod": -1})),
        400,
        "resources.cpu",
    );
    // legacy top-level placement
    assert_rule(
        send_json(
            "POST",
            "/v1.41/containers/create",
            json!({"Image": "busybox", "Memory": -1}),
        ),
        403,
        "resources.memory",
    );
}

#[test]
fn create_unlimited_pids_spellings_get_the_default() {
    for p in [0, -1, -9999] {
        let f = forwarded(create(json!({ "PidsLimit": p })));
        assert_eq!(body_of(&f)["HostConfig"]["PidsLimit"], 256, "{p}");
    }
}

#[test]
fn tenant_ceiling_lowers_the_policy_ceiling() {
    let mut t = alpha();
    t.limits.memory = Some(128 << 20);
    t.limits.pids = Some(10);
    let body = json!({"Image": "busybox", "HostConfig": {"Memory": 200 << 20}}).to_string();
    assert_rule(
        judge_as(&t, "POST", "/v1.41/containers/create", body.as_bytes()),
        403,
        "resources.memory",
    );
    let body = br#"{"Image":"busybox","HostConfig":{"PidsLimit":100}}"#;
    assert_rule(
        judge_as(&t, "POST", "/v1.41/containers/create", body),
        403,
        "resources.pids",
    );
}

fn update(body: Value) -> Verdict {
    send_json("POST", "/v1.41/containers/web/update", body)
}

#[test]
fn update_cannot_lift_limits() {
    for (b, rule) in [
        (json!({"Memory": 2_147_483_648_i64}), "resources.memory"),
        (json!({"Memory": -1}), "resources.memory"),
        (json!({"MemorySwap": -1}), "resources.memory"),
        (json!({"memoryswap": -1}), "resources.memory"),
        (json!({"NanoCpus": 3_000_000_000_i64}), "resources.cpu"),
        (json!({"CpuQuota": -1}), "resources.cpu"),
        (
            json!({"CpuQuota": 1_000_000, "CpuPeriod": 100_000}),
            "resources.cpu",
        ),
        (json!({"PidsLimit": 100_000}), "resources.pids"),
    ] {
        assert_rule(update(b), 403, rule);
    }
}

#[test]
fn update_unlimited_pids_spellings_get_the_default() {
    for body in [
        json!({"PidsLimit": 0}),
        json!({"PidsLimit": -1}),
        json!({"pidslimit": -1}),
        json!({"PidsLimit": 5, "pidsLimit": -1}),
    ] {
        let f = forwarded(update(body.clone()));
        assert_eq!(body_of(&f)["PidsLimit"], 256, "{body}");
        assert_eq!(f.path, format!("/v1.41/containers/{}/update", alpha_web()));
    }
}

#[test]
fn update_cannot_smuggle_host_config_fields() {
    for b in [
        json!({"Privileged": true}),
        json!({"Binds": ["/:/host"]}),
        json!({"HostConfig": {"Privileged": true}}),
        json!({"NetworkMode": "host"}),
    ] {
        let d = denied(update(b));
        assert_eq!(d.status, 400);
    }
}

#[test]
fn update_cpu_period_alone_cannot_multiply_the_quota() {
    // create --cpu-period 100000 --cpu-quota 200000 (2 CPUs, at the ceiling)
    forwarded(create(json!({"CpuPeriod": 100_000, "CpuQuota": 200_000})));
    // then shrink the period: the daemon keeps the quota -> 200 CPUs
    let v = update(json!({"CpuPeriod": 1_000}));
    assert!(
        matches!(&v, Verdict::Deny(d) if d.rule.as_deref() == Some("resources.cpu")),
        "{v:?}"
    );
}

#[test]
fn update_cpu_quota_alone_is_judged_against_an_unknown_period() {
    // create --cpu-period 1000 --cpu-quota 2000 (2 CPUs)
    forwarded(create(json!({"CpuPeriod": 1_000, "CpuQuota": 2_000})));
    // 200000 / 100000 = 2 CPUs as judged; 200000 / 1000 = 200 CPUs as run
    let v = update(json!({"CpuQuota": 200_000}));
    assert!(
        matches!(&v, Verdict::Deny(d) if d.rule.as_deref() == Some("resources.cpu")),
        "{v:?}"
    );
}

#[test]
fn update_cannot_smuggle_devices_or_cgroup_parent() {
    for b in [
        json!({"Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]}),
        json!({"DeviceCgroupRules": ["b *:* rwm"]}),
        json!({"CgroupParent": "/"}),
        json!({"BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1}]}),
    ] {
        let v = update(b.clone());
        let safe = match &v {
            Verdict::Deny(_) => true,
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                let key = b.as_object().unwrap().keys().next().unwrap().clone();
                body_of(f).get(&key).is_none()
            }
            Verdict::Need(_) => false,
        };
        assert!(safe, "{b}: {v:?}");
    }
}

#[test]
fn oom_score_adj_protection_is_denied() {
    assert!(matches!(
        create(json!({"OomScoreAdj": -1000})),
        Verdict::Deny(_)
    ));
}

#[test]
fn blkio_device_throttles_naming_host_devices_are_denied() {
    for hc in [
        json!({"BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1}]}),
        json!({"BlkioWeightDevice": [{"Path": "/dev/sda", "Weight": 10}]}),
    ] {
        assert!(matches!(create(hc), Verdict::Deny(_)));
    }
}

// ---------------------------------- invariant 6: judge what is forwarded --

#[test]
fn ambiguous_or_unknown_bodies_are_refused() {
    for (body, rule) in [
        (
            r#"{"Image":"busybox","HostConfig":{"Privileged":true,"Privileged":null}}"#,
            "decode.ambiguous",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{},"Privileged":true}"#,
            "decode.ambiguous",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"Memory":1},"Binds":["/:/h"]}"#,
            "decode.ambiguous",
        ),
        (
            r#"{"Image":"busybox","HostConfig":{"Evil":true}}"#,
            "decode.unknown-field",
        ),
        (r#"{"Image":"busybox","Evil":1}"#, "decode.unknown-field"),
        (r#"{"Image":"busybox","":1}"#, "decode.unknown-field"),
        (
            r#"{"Image":"busybox","HostConfig":{"Pr\u0131vileged":true}}"#,
            "decode.unknown-field",
        ),
        (
            r#"{"Image":"busybox"} {"HostConfig":{"Privileged":true}}"#,
            "decode.malformed",
        ),
        (r#"["Image"]"#, "decode.malformed"),
        ("not json", "decode.malformed"),
    ] {
        let d = denied(send("POST", "/v1.41/containers/create", body.as_bytes()));
        assert_eq!(
            (d.status, d.rule.as_deref()),
            (400, Some(rule)),
            "{body}: {}",
            d.message
        );
    }
}

#[test]
fn kelvin_and_long_s_keys_are_read_as_the_daemon_reads_them() {
    for hc in [
        r#"{"Bind\u017f":["/:/host"]}"#,
        r#"{"BIND\u017f":["/etc:/x"]}"#,
        r#"{"Mount\u017f":[{"Type":"bind","Source":"/","Target":"/h"}]}"#,
    ] {
        let body = format!(r#"{{"Image":"busybox","HostConfig":{hc}}}"#);
        assert_rule(
            send("POST", "/v1.41/containers/create", body.as_bytes()),
            403,
            "mounts.no-host-path",
        );
    }
    let body =
        "{\"Image\":\"busybox\",\"HostConfig\":{\"\u{17F}ecurityOpt\":[\"seccomp=unconfined\"]}}";
    assert_rule(
        send("POST", "/v1.41/containers/create", body.as_bytes()),
        403,
        "privileges.security-opt",
    );
}

#[test]
fn forwarded_body_is_canonical_and_carries_only_judged_fields() {
    let f = forwarded(send(
        "POST",
        "/v1.41/containers/create",
        "{\"image\":\"busybox\",\"hostconfig\":{\"bind\u{17F}\":[\"data:/d\"],\"MEMORY\":1048576}}"
            .as_bytes(),
    ));
    let b = body_of(&f).as_object().unwrap();
    let keys: Vec<&String> = b.keys().collect();
    assert!(
        keys.iter()
            .all(|k| k.chars().next().unwrap().is_ascii_uppercase()),
        "{keys:?}"
    );
    assert_eq!(b["Image"], "busybox");
    assert_eq!(b["HostConfig"]["Binds"][0], "alpha_data:/d");
    assert_eq!(b["HostConfig"]["Memory"], 1_048_576);
    assert!(b["HostConfig"].get("bind\u{17F}").is_none());
}

// ------------------------------------- invariant 8: unforgeable owner ----

#[test]
fn owner_labels_cannot_be_set_on_any_resource() {
    for k in ["fdcs.tenant", "FDCS.tenant", "Fdcs.Tenant", "fdcs.anything"] {
        let labels = json!({ k: "beta" });
        assert_rule(
            send_json(
                "POST",
                "/v1.41/containers/create",
                json!({"Image": "busybox", "Labels": labels}),
            ),
            403,
            "tenancy.reserved-label",
        );
        assert_rule(
            send_json(
                "POST",
                "/v1.41/networks/create",
                json!({"Name": "n1", "Labels": labels}),
            ),
            403,
            "tenancy.reserved-label",
        );
        assert_rule(
            send_json(
                "POST",
                "/v1.41/volumes/create",
                json!({"Name": "v1", "Labels": labels}),
            ),
            403,
            "tenancy.reserved-label",
        );
        let m = json!({"Type": "volume", "Source": "v2", "Target": "/x",
            "VolumeOptions": {"Labels": labels}});
        assert_rule(
            create(json!({ "Mounts": [m] })),
            403,
            "tenancy.reserved-label",
        );
    }
    // two Labels objects folded alike are merged, as Go merges them
    assert_rule(
        send(
            "POST",
            "/v1.41/containers/create",
            br#"{"Image":"busybox","Labels":{"a":"1"},"labels":{"fdcs.tenant":"beta"}}"#,
        ),
        403,
        "tenancy.reserved-label",
    );
}

#[test]
fn forwarded_create_carries_the_callers_owner_label() {
    let f = forwarded(send_json(
        "POST",
        "/v1.41/containers/create",
        json!({"Image": "busybox", "Labels": {"app": "x"}}),
    ));
    assert_eq!(body_of(&f)["Labels"]["fdcs.tenant"], "alpha");
    assert_eq!(body_of(&f)["Labels"]["app"], "x");
}

#[test]
fn label_filter_injection_in_both_shapes_is_refused() {
    let lists = [
        "/v1.41/containers/json",
        "/v1.41/networks",
        "/v1.41/volumes",
        "/v1.41/events",
        "/v1.41/images/json",
    ];
    for path in lists {
        for f in [
            r#"{"label":["fdcs.tenant=beta"]}"#,
            r#"{"label":{"fdcs.tenant=beta":true}}"#,
            r#"{"label":{"FDCS.tenant=beta":true}}"#,
            r#"{"label":["fdcs.tenant"]}"#,
            r#"{"label":{"fdcs.tenant!=alpha":true}}"#,
        ] {
            assert_rule(
                send("GET", &format!("{path}?filters={f}"), b""),
                403,
                "tenancy.reserved-label",
            );
        }
    }
    for path in [
        "/v1.41/containers/prune",
        "/v1.41/networks/prune",
        "/v1.41/volumes/prune",
    ] {
        for f in [
            r#"{"label!":["fdcs.tenant=alpha"]}"#,
            r#"{"label!":{"fdcs.tenant":true}}"#,
            r#"{"label":["fdcs.tenant=beta"]}"#,
        ] {
            assert_rule(
                send("POST", &format!("{path}?filters={f}"), b""),
                403,
                "tenancy.reserved-label",
            );
        }
    }
}

#[test]
fn owner_label_filter_is_forced_on_lists_prunes_and_events() {
    for (m, path) in [
        ("GET", "/v1.41/containers/json?all=1"),
        ("GET", "/v1.41/networks"),
        ("GET", "/v1.41/volumes"),
        ("POST", "/v1.41/containers/prune"),
        ("POST", "/v1.41/volumes/prune"),
    ] {
        let f = forwarded(send(m, path, b""));
        assert_owner_filter_only_alpha(&forwarded_filters(&f));
    }
    // a network prune spares the tenant's default network, as an engine
    // spares its `bridge`: fdcs's own `label!`, and only that
    let f = forwarded(send("POST", "/v1.41/networks/prune", b""));
    let mut filters = forwarded_filters(&f);
    let not = filters
        .as_object_mut()
        .and_then(|m| m.remove("label!"))
        .unwrap_or_default();
    assert_eq!(not, json!({"fdcs.default-network": true}), "{filters}");
    assert_owner_filter_only_alpha(&filters);
    // events: no owner filter (network and volume events carry no labels);
    // the stream is cut to the tenant's by the events rewriter
    let f = forwarded(send("GET", "/v1.41/events?since=0", b""));
    assert_no_label_filter_of_others(&forwarded_filters(&f));
}

#[test]
fn a_network_prune_label_not_filter_cannot_take_the_default_network() {
    // The daemon skips a network only when it carries *every* `label!`
    // value: a tenant's own `label!=x` next to fdcs's
    // `label!=fdcs.default-network` would let the default network go
    // (it has no `x`). Measured on dockerd 20.10: `{"label!":["x"]}` pruned
    // the tenant's `bridge`. With the tenant's `label!`, only the networks
    // it created (labelled so at create) may be asked for.
    for q in [
        r#"filters={"label!":["x"]}"#,
        r#"filters={"label!":{"x":true}}"#,
        r#"filters={"label!":["x=1"],"until":["1h"]}"#,
    ] {
        let f = forwarded(send("POST", &format!("/v1.41/networks/prune?{q}"), b""));
        let filters = forwarded_filters(&f);
        let must = filters["label"].as_object().cloned().unwrap_or_default();
        assert!(
            must.contains_key("fdcs.tenant-network=true") && must.contains_key("fdcs.tenant=alpha"),
            "{q}: {filters}"
        );
        let not = filters["label!"].as_object().cloned().unwrap_or_default();
        assert!(
            !not.is_empty() && !not.contains_key("fdcs.tenant-network=true"),
            "{filters}"
        );
    }
    // what a tenant creates carries the label; the default network does not
    let f = forwarded(send_json(
        "POST",
        "/v1.41/networks/create",
        json!({"Name": "lab", "Labels": {"app": "x"}}),
    ));
    let labels = &f.body.as_ref().expect("a body")["Labels"];
    assert_eq!(labels["fdcs.tenant-network"], "true", "{labels}");
    assert_eq!(labels["app"], "x", "{labels}");
    // the tenant cannot set it itself (reserved), nor filter on it
    let d = denied(send_json(
        "POST",
        "/v1.41/networks/create",
        json!({"Name": "lab2", "Labels": {"fdcs.tenant-network": "true"}}),
    ));
    assert_eq!(d.rule.as_deref(), Some("tenancy.reserved-label"), "{d:?}");
    // without the tenant's `label!`, fdcs's alone, as before
    let f = forwarded(send(
        "POST",
        r#"/v1.41/networks/prune?filters={"label":["x"]}"#,
        b"",
    ));
    let filters = forwarded_filters(&f);
    assert_eq!(filters["label!"], json!({"fdcs.default-network": true}));
}

/// What an events request may forward: no label filter but the tenant's own.
fn assert_no_label_filter_of_others(filters: &Value) {
    let text = filters.to_string();
    assert!(
        !text.contains("fdcs.") && !text.contains("beta"),
        "{filters}"
    );
}

#[test]
fn duplicated_and_encoded_filters_params_cannot_replace_the_owner_filter() {
    for q in [
        r#"filters={}&filters={"label":["fdcs.tenant=beta"]}"#,
        r#"filters=&filters={"label":["fdcs.tenant=beta"]}"#,
        r#"filters={"label":["app=x"]}&%66ilters={"label":["fdcs.tenant=beta"]}"#,
        r#"all=1&filters={"label":{"app=x":true}}&filters={"label":{"fdcs.tenant=beta":true}}"#,
    ] {
        for (m, path) in [
            ("GET", "/v1.41/containers/json"),
            ("POST", "/v1.41/volumes/prune"),
        ] {
            let f = forwarded(send(m, &format!("{path}?{q}"), b""));
            assert_owner_filter_only_alpha(&forwarded_filters(&f));
        }
        let f = forwarded(send("GET", &format!("/v1.41/events?{q}"), b""));
        assert_no_label_filter_of_others(&forwarded_filters(&f));
    }
}

#[test]
fn semicolons_and_bad_escapes_in_queries_are_refused() {
    for q in [
        r#"all=1;filters={"label":["fdcs.tenant=beta"]}"#,
        "filters=%zz",
        "filters=%ff",
        "a;b=1",
    ] {
        assert_rule(
            send("GET", &format!("/v1.41/containers/json?{q}"), b""),
            400,
            "route.ambiguous",
        );
    }
}

#[test]
fn filters_we_cannot_scope_are_refused() {
    for (path, f) in [
        ("/v1.41/containers/json", r#"{"nope":["x"]}"#),
        ("/v1.41/containers/prune", r#"{"id":["x"]}"#),
        ("/v1.41/volumes/prune", r#"{"name":["x"]}"#),
        ("/v1.41/containers/json", r#"{"label":[1]}"#),
        ("/v1.41/containers/json", r#"{"label":{"a":"yes"}}"#),
        ("/v1.41/containers/json", r#"["label"]"#),
    ] {
        let m = if path.ends_with("prune") {
            "POST"
        } else {
            "GET"
        };
        let d = denied(send(m, &format!("{path}?filters={f}"), b""));
        assert_eq!(d.status, 400, "{path} {f}: {}", d.message);
    }
}

#[test]
fn events_reference_filters_are_scoped_to_engine_names() {
    let f = forwarded(send(
        "GET",
        r#"/v1.41/events?filters={"container":["beta_db"],"network":["n"],"volume":["v"]}"#,
        b"",
    ));
    let filters = forwarded_filters(&f);
    assert_eq!(filters["container"]["alpha_beta_db"], true);
    assert_eq!(filters["network"]["alpha_n"], true);
    assert_eq!(filters["volume"]["alpha_v"], true);
    // network and volume events carry no labels: the owner label would hide
    // them, so the events rewriter alone cuts the stream to the tenant's
    // (`events_of_other_tenants_and_of_unowned_actors_are_dropped`)
    assert!(filters.get("label").is_none(), "{filters}");
}

// ------------------------------------ images: shared store, write-denied --

#[test]
fn shared_image_store_writes_and_exports_are_denied() {
    for (m, p) in [
        ("POST", "/v1.41/images/create?fromSrc=-&repo=x"),
        ("POST", "/v1.41/images/create?fromSrc=http://10.0.0.1/x.tar"),
        ("POST", "/v1.41/images/busybox/tag?repo=alpine"),
        ("DELETE", "/v1.41/images/busybox?force=1"),
        ("POST", "/v1.41/images/load"),
        ("GET", "/v1.41/images/busybox/get"),
        ("GET", "/v1.41/images/get?names=busybox"),
        ("POST", "/v1.41/commit?container=beta_db&repo=stolen"),
        ("POST", "/v1.41/commit?container=web&repo=mine"),
    ] {
        assert_rule(send(m, p, b""), 403, "images.manage");
    }
    assert_rule(
        send("POST", "/v1.41/images/busybox/push", b""),
        403,
        "images.push",
    );
}

// ----------------------------------------------- response rewriting ------

fn rewrite(plan: ResponseRewrite, engine: Value) -> Value {
    serde_json::from_slice(&rewrite_response(
        &plan,
        &alpha(),
        engine.to_string().as_bytes(),
    ))
    .unwrap()
}

#[test]
fn container_list_answer_never_shows_other_tenants() {
    let engine = json!([
        {"Id": alpha_web(), "Names": ["/alpha_web"], "Labels": {"fdcs.tenant": "alpha", "app": "x"}},
        {"Id": beta_db(), "Names": ["/beta_db"], "Labels": {"fdcs.tenant": "beta"}},
        {"Id": "c", "Names": ["/alpha_forged"], "Labels": {"FDCS.tenant": "alpha"}},
        {"Id": "d", "Names": ["/alpha_nolabel"], "Labels": {}},
        {"Id": "e", "Names": ["/alpha_space"], "Labels": {"fdcs.tenant": "alpha "}},
        {"Id": "f", "Names": ["/operator"]}
    ]);
    let out = rewrite(
        ResponseRewrite::ContainerList {
            name_filters: vec![],
        },
        engine,
    );
    let items = out.as_array().unwrap();
    assert_eq!(items.len(), 1, "{out}");
    assert_eq!(items[0]["Names"][0], "/web");
    assert!(items[0]["Labels"].get("fdcs.tenant").is_none());
}

#[test]
fn network_and_volume_list_answers_never_show_other_tenants() {
    let nets = json!([
        {"Name": "alpha_net", "Labels": {"fdcs.tenant": "alpha"}},
        {"Name": "beta_net", "Labels": {"fdcs.tenant": "beta"}},
        {"Name": "bridge", "Labels": {}},
        {"Name": "host"},
    ]);
    let out = rewrite(
        ResponseRewrite::NetworkList {
            name_filters: vec![],
        },
        nets,
    );
    assert_eq!(out, json!([{"Name": "net", "Labels": {}}]));
    let vols = json!({"Volumes": [
        {"Name": "alpha_data", "Labels": {"fdcs.tenant": "alpha"}},
        {"Name": "beta_data", "Labels": {"fdcs.tenant": "beta"}},
        {"Name": hex_id("e", '7'), "Labels": null}
    ], "Warnings": null});
    let out = rewrite(
        ResponseRewrite::VolumeList {
            name_filters: vec![],
        },
        vols,
    );
    assert_eq!(out["Volumes"], json!([{"Name": "data", "Labels": {}}]));
}

#[test]
fn system_df_answer_never_shows_other_tenants() {
    let engine = json!({
        "LayersSize": 123_456,
        "BuilderSize": 99,
        "Images": [
            {"Id": "sha256:1", "Containers": 7, "RepoTags": ["busybox:latest"],
             "Size": 1000, "SharedSize": 0},
            {"Id": "sha256:2", "Containers": 1, "RepoTags": ["fdcs.invalid/beta/reg.example/app:1"],
             "Size": 100_000, "SharedSize": 0},
            {"Id": "sha256:3", "Containers": 0, "RepoTags": ["alpine:3"],
             "Size": 3000, "SharedSize": 500}
        ],
        "Containers": [
            {"Id": alpha_web(), "Names": ["/alpha_web"], "ImageID": "sha256:1",
             "Labels": {"fdcs.tenant": "alpha"}},
            {"Id": beta_db(), "Names": ["/beta_db"], "ImageID": "sha256:1",
             "Labels": {"fdcs.tenant": "beta"}}
        ],
        "Volumes": [
            {"Name": "alpha_data", "Labels": {"fdcs.tenant": "alpha"}},
            {"Name": "beta_data", "Labels": {"fdcs.tenant": "beta"}}
        ],
        "BuildCache": [{"ID": "x", "Description": "beta's secret build"}]
    });
    let out = rewrite(
        ResponseRewrite::SystemDf {
            shared: vec!["docker.io".into()],
        },
        engine,
    );
    let text = out.to_string();
    assert!(!text.contains("beta"), "{text}");
    assert_eq!(out["Containers"].as_array().unwrap().len(), 1);
    assert_eq!(out["Volumes"][0]["Name"], "data");
    // beta's private image is not alpha's to see
    assert_eq!(out["Images"].as_array().unwrap().len(), 2);
    // the engine counts every tenant's containers on an image; alpha its own
    assert_eq!(out["Images"][0]["Containers"], 1);
    assert_eq!(out["Images"][1]["Containers"], 0);
    // the layers of the images alpha sees, not the engine's whole store
    // (which holds beta's private image); never below what the CLI
    // subtracts for the images in use, so its reclaimable stays positive
    assert_eq!(out["LayersSize"], 1000 + 2500 + 500);
    assert_eq!(out["BuilderSize"], 0);
    assert_eq!(out["BuildCache"], json!([]));
}

#[test]
fn info_counts_the_tenants_own_containers_and_the_images_it_may_see() {
    let req = Request::new("GET", "/v1.41/info", Vec::new());
    let mut f = facts();
    f.usage = None;
    f.named_images = None;
    let t = alpha();
    // one list of the tenant's containers, then one of the named images
    let list = json!([
        {"Id": alpha_web(), "State": "running", "Labels": {"fdcs.tenant": "alpha"}},
        {"Id": alpha_db(), "State": "paused", "Labels": {"fdcs.tenant": "alpha"}},
        {"Id": "c3", "State": "exited", "Labels": {"fdcs.tenant": "alpha"}},
        {"Id": beta_db(), "State": "running", "Labels": {"fdcs.tenant": "beta"}}
    ]);
    let images = json!([
        {"Id": "sha256:1", "RepoTags": ["busybox:latest", "busybox:1"], "RepoDigests": null},
        {"Id": "sha256:2", "RepoTags": ["fdcs.invalid/beta/reg.example/app:1"], "RepoDigests": []},
        {"Id": "sha256:3", "RepoTags": ["fdcs.invalid/alpha/reg.example/app:1"], "RepoDigests": []},
        {"Id": "sha256:4", "RepoTags": ["reg.example/app:1"], "RepoDigests": []}
    ]);
    for (want, answer) in [
        (Obligation::Usage, &list),
        (Obligation::NamedImages, &images),
    ] {
        let Verdict::Need(asked) = judge(policy(), &t, &req, &f) else {
            panic!("info decided without {want:?}")
        };
        assert_eq!(asked, vec![want.clone()]);
        let q = want.engine_query(&t.id).unwrap();
        f.learn(&t.id, &want, &q, 200, answer.to_string().as_bytes())
            .unwrap();
    }
    let plan = forwarded(judge(policy(), &t, &req, &f)).response;
    let ResponsePlan::Rewrite(ResponseRewrite::Info(view)) = plan else {
        panic!("{plan:?}")
    };
    let c = view.containers;
    assert_eq!((c.total, c.running, c.paused, c.stopped), (3, 1, 1, 1));
    // busybox (shared) and alpha's own private image; not beta's, not one
    // of a private registry that alpha never pulled
    assert_eq!(view.images, 2);
    // an answer that is not an image list is an error, not "no images"
    let q = Obligation::NamedImages.engine_query(&t.id).unwrap();
    assert!(
        q.target.starts_with("/images/json?filters="),
        "{}",
        q.target
    );
    let mut g = Facts::default();
    for bad in [&b"{\"message\":\"x\"}"[..], b"[{\"Id\":7}]", b"<html>"] {
        assert!(g
            .learn(&t.id, &Obligation::NamedImages, &q, 200, bad)
            .is_err());
    }
    assert!(g
        .learn(&t.id, &Obligation::NamedImages, &q, 500, b"{}")
        .is_err());
    assert!(g.named_images.is_none());
}

#[test]
fn info_answer_hides_host_and_other_tenants() {
    let engine = json!({
        "Name": "prod-host-7", "Containers": 40, "ContainersRunning": 30, "Images": 99,
        "NCPU": 8, "HttpProxy": "http://user:secret@proxy:3128", "NoProxy": "internal",
        "DockerRootDir": "/var/lib/docker", "Labels": ["rack=r7"],
        "RegistryConfig": {"Mirrors": ["https://mirror.internal"]},
        "Swarm": {"NodeID": "n1", "RemoteManagers": [{"Addr": "10.0.0.1:2377"}]},
        "Plugins": {"Volume": ["local", "sshfs"]}
    });
    let out = rewrite(ResponseRewrite::Info(Default::default()), engine);
    let text = out.to_string();
    for secret in [
        "prod-host-7",
        "secret",
        "internal",
        "/var/lib",
        "rack",
        "10.0.0.1",
        "sshfs",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(out["Containers"], 0);
    assert_eq!(out["Images"], 0);
    assert_eq!(out["NCPU"], 8);
}

#[test]
fn non_json_answers_are_replaced_not_passed_through() {
    for plan in [
        ResponseRewrite::ContainerList {
            name_filters: vec![],
        },
        ResponseRewrite::Info(Default::default()),
        ResponseRewrite::SystemDf {
            shared: vec!["docker.io".into()],
        },
    ] {
        let out = rewrite_response(&plan, &alpha(), b"beta_db\nprod-host");
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("beta") && !text.contains("prod"), "{text}");
    }
}

#[test]
fn events_of_other_tenants_and_of_unowned_actors_are_dropped() {
    let t = alpha();
    for line in [
        json!({"Type": "container", "Action": "start", "Actor": {"ID": beta_db(),
            "Attributes": {"name": "beta_db", "fdcs.tenant": "beta"}}}),
        json!({"Type": "container", "Action": "start", "Actor": {"ID": "x",
            "Attributes": {"name": "alpha_x", "FDCS.tenant": "alpha"}}}),
        json!({"Type": "container", "Action": "start", "Actor": {"ID": "x",
            "Attributes": {"name": "alpha_x"}}}),
        // a network event is its network's, never its container's
        json!({"Type": "network", "Action": "connect", "Actor": {"ID": "n",
            "Attributes": {"name": "beta_net", "container": alpha_web()}}}),
        json!({"Type": "volume", "Action": "mount", "Actor": {"ID": "beta_data",
            "Attributes": {"container": alpha_web(), "fdcs.tenant": "alpha"}}}),
        json!({"Type": "network", "Action": "create", "Actor": {"ID": "n",
            "Attributes": {"name": "alphanet", "fdcs.tenant": "alpha"}}}),
        json!({"Type": "daemon", "Action": "reload", "Actor": {"ID": "d",
            "Attributes": {"name": "prod-host-7"}}}),
    ] {
        assert!(
            rewrite_event(&t, line.to_string().as_bytes()).is_none(),
            "{line}"
        );
    }
    assert!(rewrite_event(&t, b"{\"Actor\":").is_none());
    let mine = json!({"Type": "container", "Action": "die", "Actor": {"ID": alpha_web(),
        "Attributes": {"name": "alpha_web", "fdcs.tenant": "alpha", "exitCode": "0"}}});
    let out: Value =
        serde_json::from_slice(&rewrite_event(&t, mine.to_string().as_bytes()).unwrap()).unwrap();
    assert_eq!(
        out["Actor"]["Attributes"],
        json!({"name": "web", "exitCode": "0"})
    );
}

#[test]
fn image_events_carrying_an_owner_label_from_image_labels_are_dropped() {
    // `LABEL fdcs.tenant=alpha` in any image on a registry; beta pulls it.
    let line = json!({"Type": "image", "Action": "pull", "Actor": {"ID": "evil:latest",
        "Attributes": {"name": "evil:latest", "fdcs.tenant": "alpha"}}});
    assert!(rewrite_event(&alpha(), line.to_string().as_bytes()).is_none());
}

#[test]
fn error_answers_show_only_the_tenants_names() {
    let out = rewrite(
        ResponseRewrite::ContainerInspect,
        json!({"message": "Conflict. The container name \"/alpha_web\" is already in use"}),
    );
    assert_eq!(
        out["message"],
        "Conflict. The container name \"/web\" is already in use"
    );
}

#[test]
fn start_with_a_host_checkpoint_dir_is_denied() {
    // The tenant can fill its own volume's `_data` (a host path it learns
    // from `docker volume inspect`) with a crafted CRIU image.
    let v = send(
        "POST",
        "/v1.41/containers/web/start?checkpoint=cp1&checkpoint-dir=/var/lib/docker/volumes/alpha_data/_data",
        b"",
    );
    let safe = match &v {
        Verdict::Deny(_) => true,
        Verdict::Allow(f) | Verdict::Rewrite(f) => {
            !f.query.as_deref().unwrap_or("").contains("checkpoint")
        }
        Verdict::Need(_) => false,
    };
    assert!(safe, "{v:?}");
}

#[test]
fn network_connect_to_predefined_networks_is_not_found() {
    for net in ["host", "none", "docker_gwbridge", "ingress"] {
        assert_not_found(send_json(
            "POST",
            &format!("/v1.41/networks/{net}/connect"),
            json!({"Container": "web"}),
        ));
    }
}

#[test]
fn removing_a_predefined_network_is_refused_as_the_engine_refuses_it() {
    // dockerd 20.10: `DELETE /networks/bridge` is 403 with these words; a
    // tenant's `bridge` is its default network, which must stay
    let bridge = alpha_bridge();
    for (reference, name) in [
        ("bridge", "bridge"),
        (bridge.as_str(), "bridge"),
        ("alpha_bridge", "alpha_bridge"),
        ("host", "host"),
        ("none", "none"),
    ] {
        let v = send("DELETE", &format!("/v1.41/networks/{reference}"), b"");
        if name == "alpha_bridge" {
            // the engine-side name is no name of the tenant's
            assert_not_found(v);
            continue;
        }
        let d = denied(v);
        assert_eq!(
            (d.status, d.message.as_str()),
            (
                403,
                format!("{name} is a pre-defined network and cannot be removed").as_str()
            ),
            "{reference}"
        );
    }
    let f = forwarded(send("DELETE", "/v1.41/networks/net", b""));
    assert_eq!(f.path, format!("/v1.41/networks/{}", alpha_net()));
    assert_not_found(send("DELETE", "/v1.41/networks/beta_net", b""));
    assert_not_found(send(
        "DELETE",
        &format!("/v1.41/networks/{}", beta_net()),
        b"",
    ));
}

#[test]
fn unnamed_volume_create_still_carries_the_owner_label() {
    let f = forwarded(send_json(
        "POST",
        "/v1.41/volumes/create",
        json!({"Driver": "local"}),
    ));
    let b = body_of(&f);
    assert_eq!(b["Labels"]["fdcs.tenant"], "alpha");
    assert!(b
        .get("Name")
        .is_none_or(|n| n.as_str().unwrap_or("").is_empty()));
}

#[test]
fn prune_keeps_the_tenants_own_filters_and_adds_the_owner_label() {
    let f = forwarded(send(
        "POST",
        r#"/v1.41/containers/prune?filters={"until":["24h"],"label!":["keep"]}"#,
        b"",
    ));
    let filters = forwarded_filters(&f);
    assert_eq!(filters["until"]["24h"], true);
    assert_eq!(filters["label!"]["keep"], true);
    assert_eq!(filters["label"]["fdcs.tenant=alpha"], true);
}

#[test]
fn create_without_cgroupns_mode_does_not_join_the_host_cgroup_namespace() {
    // Checked on the CI dockerd 20.10 (cgroup v1): `docker run busybox
    // readlink /proc/self/ns/cgroup` prints the host's namespace; with
    // `--cgroupns private` it does not. API < 1.41 defaults to host too.
    for path in ["/v1.41/containers/create", "/v1.40/containers/create"] {
        let f = forwarded(send_json("POST", path, json!({"Image": "busybox"})));
        assert_eq!(
            body_of(&f)["HostConfig"]["CgroupnsMode"],
            "private",
            "{path}"
        );
    }
}

// ------------------------------------ issue 9: names the daemon would pick --

/// The engine-side name a create is forwarded with.
fn forwarded_name(f: &Forward) -> String {
    f.query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("name="))
        .unwrap_or_else(|| panic!("no name in {:?}", f.query))
        .to_string()
}

#[test]
fn a_create_without_a_name_is_named_in_the_tenants_scope_never_by_the_daemon() {
    // The daemon's own generated names are engine-wide: `flamboyant_feynman`
    // would be tenant flamboyant's `feynman` (squatted, and its 409 shows the
    // other tenant's container id).
    let body = json!({"Image": "busybox"}).to_string();
    for target in [
        "/v1.41/containers/create",
        "/v1.41/containers/create?name=",
        "/containers/create",
    ] {
        let flamboyant = Tenant::new(TenantId::new("flamboyant").unwrap());
        for tenant in [alpha(), flamboyant] {
            let req = Request::new("POST", target, body.as_bytes().to_vec()).with_entropy(7);
            let f = forwarded(judge(policy(), &tenant, &req, &facts()));
            let name = forwarded_name(&f);
            let own = fdcs_policy::tenancy::tenant_name(&tenant.id, &name)
                .unwrap_or_else(|| panic!("{target}: `{name}` is not in {}'s scope", tenant.id));
            assert!(fdcs_policy::tenancy::is_valid_name(own), "{own}");
        }
    }
    // the adapter's randomness decides; without it the request does
    let named = |e: Option<u64>| {
        let mut req = Request::new("POST", "/v1.41/containers/create", body.as_bytes().to_vec());
        req.entropy = e;
        forwarded_name(&forwarded(judge(policy(), &alpha(), &req, &facts())))
    };
    assert_ne!(named(Some(1)), named(Some(2)));
    assert_eq!(named(None), named(None));
}

#[test]
fn an_id_prefix_other_tenants_containers_share_is_no_oracle() {
    // dockerd 20.10 answers an inspect of a container id prefix that two
    // containers (anyone's) share with 500 "Multiple IDs found with
    // provided prefix"; were that surfaced, `docker inspect 7` would tell
    // "no such container" from "engine error" and so map other tenants'
    // ids digit by digit. The prefix must be asked again as the tenant's
    // own owner-filtered list, whatever error status the inspect got.
    use fdcs_policy::tenancy::lookup::{Lookup, LookupBy};
    use fdcs_policy::ResourceKind;
    for kind in [ResourceKind::Container, ResourceKind::Network] {
        let q = Obligation::Lookup(Lookup {
            kind,
            by: LookupBy::Prefix("7".into()),
            api: "/v1.41".into(),
        })
        .engine_query(&alpha().id)
        .expect("a prefix lookup asks the engine");
        for status in [400, 500] {
            let list = q
                .instead(status)
                .unwrap_or_else(|| panic!("{kind:?} {status}: surfaced, not asked as a list"));
            assert!(list.list, "{list:?}");
            assert!(list.target.contains("fdcs.tenant%3Dalpha"), "{list:?}");
        }
        assert!(q.instead(404).is_none(), "404 is none of anyone's");
    }
}

#[test]
fn daemon_errors_show_no_host_paths() {
    use fdcs_policy::rewrite_error;
    // measured on dockerd 20.10 through serve: `docker run -v vol:/etc/hostname`
    // answered "source /var/lib/docker/overlay2/<hidden id>/merged/etc/hostname
    // is not directory" (invariant 11: host paths never reach a tenant)
    let fwd = forwarded(send("POST", "/v1.41/containers/web/start", b""));
    let overlay = hex_id("9f", '7');
    for message in [
        format!("source /var/lib/docker/overlay2/{overlay}/merged/etc/hostname is not directory"),
        "error mounting \"/var/lib/docker/volumes/alpha_v/_data\" to rootfs at \"/etc/hostname\": not a directory".to_string(),
        "error while creating mount source path '/var/lib/docker/volumes/alpha_v/_data': mkdir /var/lib/docker/volumes/alpha_v: permission denied".to_string(),
        "open /run/containerd/io.containerd.runtime.v2.task/moby/x/config.json: no such file".to_string(),
    ] {
        let body = json!({ "message": message }).to_string();
        let out = String::from_utf8(rewrite_error(&alpha(), &fwd, body.as_bytes())).unwrap();
        for leak in ["/var/lib/docker", "/run/containerd", "overlay2", "_data"] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        // what the tenant's own paths are stays readable
        if message.contains("rootfs at") {
            assert!(out.contains("/etc/hostname"), "{out}");
        }
    }
}

#[test]
fn allow_host_lets_the_hosts_network_through_and_only_its_exact_spelling() {
    // issue 11: with `allowHost: true`, `network_mode: host` was refused as a
    // network the tenant does not own (404) by both lint and serve
    let p = Policy::from_yaml(
        "apiVersion: fdcs/v1\nkind: Policy\nname: allow-host\nrules:\n  namespaces:\n    allowHost: true\n",
        "allow-host.yaml",
    )
    .unwrap();
    let judge_hc = |hc: Value| {
        let body = json!({"Image": "busybox", "HostConfig": hc}).to_string();
        let req = Request::new("POST", "/v1.41/containers/create", body.into_bytes());
        judge(&p, &alpha(), &req, &facts())
    };
    let fwd = forwarded(judge_hc(json!({"NetworkMode": "host"})));
    let sent = fwd.body.unwrap();
    assert_eq!(sent["HostConfig"]["NetworkMode"], "host");
    assert!(fwd.prelude.is_empty(), "no default network for the host's");
    // any other spelling is a network name of the tenant's, as the daemon reads it
    let fwd = forwarded(judge_hc(json!({"NetworkMode": "HOST"})));
    assert_eq!(fwd.body.unwrap()["HostConfig"]["NetworkMode"], "alpha_HOST");
    // and the default policy still refuses it
    assert_rule(
        create(json!({"NetworkMode": "host"})),
        403,
        "namespaces.no-host",
    );
}
