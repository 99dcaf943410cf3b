//! Swarm objects from the attacker's side: alpha naming beta's services,
//! secrets, configs and tasks by name, full id and id prefix, filtering
//! lists on them, and reading the answers — through the core's own
//! session, against a small model of the daemon that resolves references
//! as `daemon/cluster/helpers.go` does (exact id, then exact name, then a
//! unique id prefix, among *every* tenant's objects).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

mod swarm_daemon;

use std::sync::OnceLock;

use swarm_daemon::{percent_decode, Obj};

use fdcs_policy::tenancy::OWNER_LABEL;
use fdcs_policy::{
    rewrite_answer, Policy, Request, ResourceKind, ResponseRewrite, Tenant, TenantId, Verdict,
};
use serde_json::{json, Value};

/// Swarm ids: 25 base-36 characters.
const ALPHA_WEB: &str = "a1b2c3d4e5f6g7h8i9j0k1l2m";
const ALPHA_DB: &str = "a1zzzzzzzzzzzzzzzzzzzzzzz";
const BETA_WEB: &str = "b7qqqqqqqqqqqqqqqqqqqqqqq";
const ALPHA_SECRET: &str = "s1aaaaaaaaaaaaaaaaaaaaaaa";
const BETA_SECRET: &str = "s2bbbbbbbbbbbbbbbbbbbbbbb";
const ALPHA_TASK: &str = "t1aaaaaaaaaaaaaaaaaaaaaaa";
const BETA_TASK: &str = "t2bbbbbbbbbbbbbbbbbbbbbbb";
const ALPHA_CONFIG: &str = "c1aaaaaaaaaaaaaaaaaaaaaaa";
const ALPHA_NET: &str = "aa11111111111111111111111111111111111111111111111111111111111111";
const BETA_NET: &str = "bb22222222222222222222222222222222222222222222222222222222222222";

fn swarm_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../policies/examples/swarm.yaml"
        );
        Policy::from_yaml(&std::fs::read_to_string(path).unwrap(), path).unwrap()
    })
}

fn tenant(id: &str) -> Tenant {
    Tenant::new(TenantId::new(id).unwrap())
}

fn world() -> Vec<Obj> {
    use ResourceKind::{Secret, Service, Task};
    let o = |kind, id, name, owner| Obj {
        kind,
        id,
        name,
        owner,
    };
    vec![
        o(Service, ALPHA_WEB, "alpha_web", "alpha"),
        o(Service, ALPHA_DB, "alpha_db", "alpha"),
        o(Service, BETA_WEB, "beta_web", "beta"),
        o(Secret, ALPHA_SECRET, "alpha_pw", "alpha"),
        o(Secret, BETA_SECRET, "beta_pw", "beta"),
        o(Task, ALPHA_TASK, ALPHA_TASK, "alpha"),
        o(Task, BETA_TASK, BETA_TASK, "beta"),
        o(ResourceKind::Config, ALPHA_CONFIG, "alpha_conf", "alpha"),
        o(ResourceKind::Network, ALPHA_NET, "alpha_appnet", "alpha"),
        o(ResourceKind::Network, BETA_NET, "beta_appnet", "beta"),
    ]
}

/// The daemon's JSON for an object: `ID`, `Spec.Name`, and the owner label
/// where fdcs writes it (a task's in its container spec).
fn json_of(o: &Obj) -> Value {
    let labels = json!({ OWNER_LABEL: o.owner, "app": "x" });
    match o.kind {
        ResourceKind::Task => json!({
            "ID": o.id,
            "ServiceID": if o.owner == "alpha" { ALPHA_WEB } else { BETA_WEB },
            "Spec": {"ContainerSpec": {"Image": "busybox", "Labels": labels}},
        }),
        ResourceKind::Network => json!({"Id": o.id, "Name": o.name, "Labels": labels}),
        ResourceKind::Service => json!({"ID": o.id, "Spec": {"Name": o.name, "Labels": labels,
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox"},
                "Resources": {"Limits": {"MemoryBytes": 1_i64 << 30}}},
            "Mode": {"Replicated": {"Replicas": 2}}}}),
        _ => json!({"ID": o.id, "Spec": {"Name": o.name, "Labels": labels}}),
    }
}

/// The model daemon over this file's world.
fn daemon(target: &str) -> (u16, Vec<u8>) {
    swarm_daemon::answer(target, world(), json_of)
}

/// Judges `method target` for `who` under `policy`, answering every
/// question from the model daemon.
fn judge_with(policy: &Policy, who: &str, method: &str, target: &str, body: &[u8]) -> Verdict {
    let req = Request::new(method, target, body.to_vec());
    swarm_daemon::judge_session(policy, &tenant(who), &req, daemon)
}

fn judge(who: &str, method: &str, target: &str) -> Verdict {
    judge_with(swarm_policy(), who, method, target, b"")
}

fn denied_not_found(v: &Verdict) -> String {
    match v {
        Verdict::Deny(d) if d.status == 404 => d.message.clone(),
        other => panic!("expected a 404, got {other:?}"),
    }
}

fn forwarded_path(v: &Verdict) -> String {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f.path.clone(),
        other => panic!("expected a forward, got {other:?}"),
    }
}

#[test]
fn default_policy_refuses_every_swarm_route() {
    let policy = Policy::embedded_default().unwrap();
    for (m, p) in [
        ("GET", "/v1.41/services"),
        ("POST", "/v1.41/services/create"),
        ("GET", "/v1.41/services/web"),
        ("GET", "/v1.41/tasks"),
        ("GET", "/v1.41/secrets"),
        ("POST", "/v1.41/configs/create"),
        ("GET", "/v1.41/nodes"),
        ("GET", "/v1.41/swarm"),
    ] {
        match judge_with(&policy, "alpha", m, p, b"{}") {
            Verdict::Deny(d) => {
                assert_eq!(d.status, 403, "{m} {p}");
                assert_eq!(d.rule.unwrap().as_str(), "swarm.disabled", "{m} {p}");
                assert!(d.message.contains("rules.swarm"), "{m} {p}: {}", d.message);
            }
            other => panic!("{m} {p}: {other:?}"),
        }
    }
}

#[test]
fn the_swarm_settings_and_membership_stay_the_operators() {
    for (m, p) in [
        ("GET", "/v1.41/swarm"),
        ("POST", "/v1.41/swarm/leave"),
        ("GET", "/v1.41/swarm/unlockkey"),
        ("POST", "/v1.41/swarm/update"),
        ("POST", "/v1.41/nodes/n1/update"),
        ("DELETE", "/v1.41/nodes/n1"),
    ] {
        match judge_with(swarm_policy(), "alpha", m, p, b"{}") {
            Verdict::Deny(d) => {
                assert_eq!(d.status, 403, "{m} {p}");
                assert_eq!(d.rule.unwrap().as_str(), "system.admin", "{m} {p}");
            }
            other => panic!("{m} {p}: {other:?}"),
        }
    }
}

#[test]
fn another_tenants_service_is_not_found_by_name_id_or_prefix() {
    // beta has `web`; alpha's own `web` is another service
    assert_eq!(
        forwarded_path(&judge("alpha", "GET", "/v1.41/services/web")),
        format!("/v1.41/services/alpha_web"),
        "an inspect by name goes by the engine-side name it looked up"
    );
    for r in [BETA_WEB, "b7", "b7qqq", "beta_web"] {
        let msg = denied_not_found(&judge("alpha", "GET", &format!("/v1.41/services/{r}")));
        assert_eq!(msg, format!("service {r} not found"), "{r}");
        let msg = denied_not_found(&judge("alpha", "DELETE", &format!("/v1.41/services/{r}")));
        assert_eq!(msg, format!("service {r} not found"), "{r}");
        let msg = denied_not_found(&judge("alpha", "GET", &format!("/v1.41/services/{r}/logs")));
        assert_eq!(msg, format!("service {r} not found"), "{r}");
    }
    // the CLI's `insertDefaults=false` is the default: dropped, so the
    // lookup's own answer serves the inspect
    match judge("alpha", "GET", "/v1.41/services/web?insertDefaults=false") {
        Verdict::Allow(f) | Verdict::Rewrite(f) => {
            assert_eq!(f.path, "/v1.41/services/alpha_web");
            assert_eq!(f.query, None);
        }
        other => panic!("{other:?}"),
    }
    // beta sees its own, and none of alpha's
    assert_eq!(
        forwarded_path(&judge(
            "beta",
            "DELETE",
            &format!("/v1.41/services/{BETA_WEB}")
        )),
        format!("/v1.41/services/{BETA_WEB}")
    );
    let msg = denied_not_found(&judge(
        "beta",
        "GET",
        &format!("/v1.41/services/{ALPHA_WEB}"),
    ));
    assert_eq!(msg, format!("service {ALPHA_WEB} not found"));
}

#[test]
fn an_id_prefix_resolves_among_the_tenants_own_only() {
    // `a1` is a prefix of both of alpha's: ambiguous, in the daemon's words
    match judge("alpha", "GET", "/v1.41/services/a1") {
        Verdict::Deny(d) => {
            assert_eq!(d.status, 400);
            assert_eq!(d.message, "service a1 is ambiguous (2 matches found)");
        }
        other => panic!("{other:?}"),
    }
    // a unique own prefix goes to the full id
    assert_eq!(
        forwarded_path(&judge("alpha", "DELETE", "/v1.41/services/a1b")),
        format!("/v1.41/services/{ALPHA_WEB}")
    );
    // a task, by id or prefix only
    assert_eq!(
        forwarded_path(&judge("alpha", "GET", "/v1.41/tasks/t1")),
        format!("/v1.41/tasks/{ALPHA_TASK}")
    );
    for r in [BETA_TASK, "t2", "t"] {
        let v = judge("alpha", "GET", &format!("/v1.41/tasks/{r}"));
        if r == "t" {
            // only alpha's own t1… matches among its own
            assert_eq!(forwarded_path(&v), format!("/v1.41/tasks/{ALPHA_TASK}"));
        } else {
            assert_eq!(denied_not_found(&v), format!("task {r} not found"));
        }
    }
}

#[test]
fn another_tenants_secret_is_not_found() {
    assert_eq!(
        forwarded_path(&judge("alpha", "GET", "/v1.41/secrets/pw")),
        "/v1.41/secrets/alpha_pw"
    );
    for r in [BETA_SECRET, "s2", "beta_pw"] {
        let msg = denied_not_found(&judge("alpha", "DELETE", &format!("/v1.41/secrets/{r}")));
        assert_eq!(msg, format!("secret {r} not found"));
    }
}

fn query_of(v: &Verdict) -> String {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => percent_decode(f.query.as_deref().unwrap_or("")),
        other => panic!("expected a forward, got {other:?}"),
    }
}

#[test]
fn lists_are_cut_to_the_tenants_own_and_filters_scoped() {
    let owner = format!("{OWNER_LABEL}=alpha");
    for p in [
        "/v1.41/services",
        "/v1.41/tasks",
        "/v1.41/secrets",
        "/v1.41/configs",
    ] {
        let q = query_of(&judge("alpha", "GET", p));
        assert!(q.contains(&owner), "{p}: {q}");
    }
    let q = query_of(&judge(
        "alpha",
        "GET",
        "/v1.41/services?filters=%7B%22name%22%3A%5B%22web%22%5D%7D",
    ));
    assert!(q.contains("alpha_web") && q.contains(&owner), "{q}");
    // `service=` is resolved among alpha's own: its web by name, and
    // beta's id only as a name nobody has
    let q = query_of(&judge(
        "alpha",
        "GET",
        "/v1.41/tasks?filters=%7B%22service%22%3A%5B%22web%22%5D%7D",
    ));
    assert!(q.contains(ALPHA_WEB), "{q}");
    let q = query_of(&judge(
        "alpha",
        "GET",
        &format!("/v1.41/tasks?filters=%7B%22service%22%3A%5B%22{BETA_WEB}%22%5D%7D"),
    ));
    assert!(!q.contains(&format!("\"{BETA_WEB}\"")), "{q}");
    // ownership labels cannot be filtered on
    match judge(
        "alpha",
        "GET",
        "/v1.41/services?filters=%7B%22label%22%3A%5B%22fdcs.tenant%3Dbeta%22%5D%7D",
    ) {
        Verdict::Deny(d) => assert_eq!(d.rule.unwrap().as_str(), "tenancy.reserved-label"),
        other => panic!("{other:?}"),
    }
    // nodes belong to nobody: no owner label forced
    let q = query_of(&judge("alpha", "GET", "/v1.41/nodes"));
    assert!(!q.contains(&owner), "{q}");
}

fn rewrite(plan: ResponseRewrite, who: &str, body: Value) -> Value {
    let (status, out) = rewrite_answer(
        &plan,
        &tenant(who),
        200,
        &serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(status, 200);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn answers_show_the_tenants_names_and_nothing_of_others() {
    let list: Vec<Value> = world()
        .iter()
        .filter(|o| o.kind == ResourceKind::Service)
        .map(json_of)
        .collect();
    let out = rewrite(ResponseRewrite::ServiceList, "alpha", Value::Array(list));
    let names: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Spec"]["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "db"]);
    assert!(!out.to_string().contains(OWNER_LABEL), "{out}");
    let tasks: Vec<Value> = world()
        .iter()
        .filter(|o| o.kind == ResourceKind::Task)
        .map(json_of)
        .collect();
    let out = rewrite(ResponseRewrite::TaskList, "beta", Value::Array(tasks));
    assert_eq!(out.as_array().unwrap().len(), 1);
    assert_eq!(out[0]["ID"], BETA_TASK);
    assert!(!out.to_string().contains(OWNER_LABEL), "{out}");
    // a service's secrets and volumes in the tenant's names
    let svc = json!({"ID": ALPHA_WEB, "Spec": {"Name": "alpha_web", "Labels": {OWNER_LABEL: "alpha"},
        "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Labels": {OWNER_LABEL: "alpha"},
            "Secrets": [{"SecretID": ALPHA_SECRET, "SecretName": "alpha_pw"}],
            "Mounts": [{"Type": "volume", "Source": "alpha_data", "Target": "/d",
                "VolumeOptions": {"Labels": {OWNER_LABEL: "alpha", "x": "y"}}}]}}},
        "PreviousSpec": {"Name": "alpha_web", "Labels": {OWNER_LABEL: "alpha"}}});
    let out = rewrite(ResponseRewrite::ServiceInspect, "alpha", svc);
    let c = &out["Spec"]["TaskTemplate"]["ContainerSpec"];
    assert_eq!(c["Secrets"][0]["SecretName"], "pw");
    assert_eq!(c["Mounts"][0]["Source"], "data");
    assert_eq!(c["Mounts"][0]["VolumeOptions"]["Labels"], json!({"x": "y"}));
    assert_eq!(out["PreviousSpec"]["Name"], "web");
    assert!(!out.to_string().contains(OWNER_LABEL), "{out}");
}

fn node(id: &str, role: &str, labels: Value) -> Value {
    json!({
        "ID": id, "Version": {"Index": 9},
        "Spec": {"Role": role, "Availability": "active", "Labels": labels},
        "Description": {"Hostname": "host-17.internal", "Platform": {"OS": "linux"},
            "Resources": {"NanoCPUs": 64_000_000_000_u64, "MemoryBytes": 1_u64 << 40},
            "Engine": {"EngineVersion": "20.10.24", "Plugins": []},
            "TLSInfo": {"TrustRoot": "-----BEGIN CERTIFICATE-----"}},
        "Status": {"State": "ready", "Addr": "10.1.2.3"},
        "ManagerStatus": {"Leader": true, "Reachability": "reachable", "Addr": "10.1.2.3:2377"},
    })
}

#[test]
fn nodes_are_the_pools_and_show_nothing_of_the_host() {
    let pool = fdcs_policy::NodePool {
        labels: [("pool".to_string(), "tenants".to_string())].into(),
        managers: false,
    };
    let nodes = json!([
        node("n1", "manager", json!({"pool": "tenants"})),
        node("n2", "worker", json!({"pool": "tenants", "rack": "r9"})),
        node("n3", "worker", json!({})),
    ]);
    let out = rewrite(
        ResponseRewrite::NodeList { pool: pool.clone() },
        "alpha",
        nodes,
    );
    let ids: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["ID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["n2"],
        "a manager and a node outside the pool are hidden"
    );
    let text = out.to_string();
    for leak in [
        "10.1.2.3",
        "host-17",
        "CERTIFICATE",
        "20.10.24",
        "NanoCPUs",
        "r9",
    ] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    assert_eq!(out[0]["Spec"]["Labels"], json!({"pool": "tenants"}));
    assert_eq!(out[0]["Status"]["State"], "ready");
    // a node outside the pool is not found, in the daemon's words
    let plan = ResponseRewrite::NodeInspect {
        reference: "n1".into(),
        pool,
    };
    let (status, out) = rewrite_answer(
        &plan,
        &tenant("alpha"),
        200,
        &serde_json::to_vec(&node("n1", "manager", json!({"pool": "tenants"}))).unwrap(),
    );
    assert_eq!(status, 404);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"message":"node n1 not found"}"#
    );
}

/// `docker service create --name web -p 80 busybox httpd -f -p 80`, as
/// CLI 28 sends it (API 1.41).
fn service_body() -> Value {
    json!({
        "Name": "web",
        "Labels": {},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox:latest",
                "Args": ["httpd", "-f", "-p", "80"],
                "Init": false,
                "StopGracePeriod": 10_000_000_000_i64,
                "DNSConfig": {},
                "Isolation": "default"
            },
            "Resources": {"Limits": {}, "Reservations": {}},
            "RestartPolicy": {"Condition": "any", "Delay": 5_000_000_000_i64, "MaxAttempts": 0},
            "Placement": {},
            "ForceUpdate": 0,
            "Runtime": "container"
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5_000_000_000_i64,
            "MaxFailureRatio": 0, "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress"}
        ]}
    })
}

fn create(body: &Value) -> Verdict {
    judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        "/v1.41/services/create",
        &serde_json::to_vec(body).unwrap(),
    )
}

fn forwarded(v: &Verdict) -> &fdcs_policy::Forward {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

fn denied(v: &Verdict) -> (&str, &str) {
    match v {
        Verdict::Deny(d) => (
            d.rule.as_ref().map(|r| r.as_str()).unwrap_or("-"),
            d.message.as_str(),
        ),
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn a_service_is_judged_as_its_containers_are_and_scoped() {
    let v = create(&service_body());
    let f = forwarded(&v);
    let b = f.body.as_ref().unwrap();
    assert_eq!(b["Name"], "alpha_web");
    assert_eq!(b["Labels"][OWNER_LABEL], "alpha");
    let c = &b["TaskTemplate"]["ContainerSpec"];
    assert_eq!(
        c["Labels"][OWNER_LABEL], "alpha",
        "every task's container is owned"
    );
    // the default policy's defaults, as a container gets them
    let l = &b["TaskTemplate"]["Resources"]["Limits"];
    assert_eq!(l["MemoryBytes"], 256 << 20);
    assert_eq!(l["NanoCPUs"], 500_000_000);
    assert_eq!(l["Pids"], 256);
    // never the shared ingress, never a chosen host port
    let p = &b["EndpointSpec"]["Ports"][0];
    assert_eq!(p["PublishMode"], "host");
    assert!(p.get("PublishedPort").is_none());
    // the tenant's own default overlay, made first if missing
    assert_eq!(
        b["TaskTemplate"]["Networks"][0]["Target"],
        "alpha_default-overlay"
    );
    assert_eq!(f.prelude.len(), 1);
    assert_eq!(f.prelude[0].body["Driver"], "overlay");
    assert_eq!(f.prelude[0].body["Labels"][OWNER_LABEL], "alpha");
    assert_eq!(b["Mode"]["Replicated"]["Replicas"], 2);
    assert_eq!(b["TaskTemplate"]["ForceUpdate"], 0);
    // "unlimited" pids (0 or -1) is the default limit, as for a container
    let mut body = service_body();
    body["TaskTemplate"]["Resources"] = json!({"Limits": {"Pids": -1}});
    let v = create(&body);
    let l = &forwarded(&v).body.as_ref().unwrap()["TaskTemplate"]["Resources"]["Limits"];
    assert_eq!(l["Pids"], 256);
}

#[test]
fn what_a_container_may_not_do_a_service_may_not_do() {
    let with = |pointer: &str, value: Value| {
        let mut b = service_body();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        b.pointer_mut(parent).unwrap()[key] = value;
        b
    };
    let spec = "/TaskTemplate/ContainerSpec";
    let cases: Vec<(Value, &str)> = vec![
        (
            with(
                "/EndpointSpec/Ports",
                json!([{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080}]),
            ),
            "ports.ephemeral-only",
        ),
        (
            with(
                "/EndpointSpec/Ports",
                json!([{"TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}]),
            ),
            "ports.ephemeral-only",
        ),
        (
            {
                let mut b = service_body();
                b.pointer_mut(spec).unwrap()["Mounts"] =
                    json!([{"Type": "bind", "Source": "/", "Target": "/host"}]);
                b
            },
            "mounts.no-host-path",
        ),
        (
            {
                let mut b = service_body();
                b.pointer_mut(spec).unwrap()["Mounts"] = json!([{"Type": "volume", "Source": "v",
                    "Target": "/v", "VolumeOptions": {"DriverConfig": {"Name": "local",
                    "Options": {"type": "none", "o": "bind", "device": "/etc"}}}}]);
                b
            },
            "mounts.no-host-path",
        ),
        (
            {
                let mut b = service_body();
                b.pointer_mut(spec).unwrap()["CapabilityAdd"] = json!(["NET_ADMIN"]);
                b
            },
            "privileges.capabilities",
        ),
        (
            {
                let mut b = service_body();
                b.pointer_mut(spec).unwrap()["Sysctls"] = json!({"kernel.shm_rmid_forced": "1"});
                b
            },
            "privileges.sysctls",
        ),
        (
            {
                let mut b = service_body();
                b.pointer_mut(spec).unwrap()["Privileges"] =
                    json!({"SELinuxContext": {"Disable": true}});
                b
            },
            "privileges.security-opt",
        ),
        (
            {
                let mut b = service_body();
                b.pointer_mut(spec).unwrap()["Privileges"] =
                    json!({"Seccomp": {"Mode": "unconfined"}});
                b
            },
            "privileges.security-opt",
        ),
        (
            with(
                "/TaskTemplate/Resources",
                json!({"Limits": {"MemoryBytes": 8_i64 << 30}}),
            ),
            "resources.memory",
        ),
        (
            with("/TaskTemplate/Resources", json!({"Limits": {"Pids": 4096}})),
            "resources.pids",
        ),
        (
            with("/TaskTemplate/LogDriver", json!({"Name": "syslog"})),
            "privileges.log-driver",
        ),
        (
            with("/TaskTemplate/Networks", json!([{"Target": "host"}])),
            "swarm.networks",
        ),
        (
            with("/TaskTemplate/Networks", json!([{"Target": "ingress"}])),
            "swarm.networks",
        ),
        (
            with("/TaskTemplate/PluginSpec", json!({"Name": "x"})),
            "swarm.spec",
        ),
        (with("/TaskTemplate/Runtime", json!("plugin")), "swarm.spec"),
        (
            with("/Labels", json!({"fdcs.tenant": "beta"})),
            "tenancy.reserved-label",
        ),
    ];
    for (body, rule) in cases {
        let v = create(&body);
        assert!(matches!(v, Verdict::Deny(_)), "{rule}: {body}");
        let (got, msg) = denied(&v);
        assert_eq!(got, rule, "{msg}\n{body}");
        assert!(msg.starts_with("fdcs: "), "{msg}");
    }
}

#[test]
fn references_in_a_service_are_the_tenants_own() {
    let mut b = service_body();
    b["TaskTemplate"]["Networks"] = json!([{"Target": "appnet"}]);
    b["TaskTemplate"]["ContainerSpec"]["Secrets"] = json!([{"SecretID": ALPHA_SECRET, "SecretName": "pw", "File": {"Name": "pw", "UID": "0", "GID": "0", "Mode": 292}}]);
    b["TaskTemplate"]["ContainerSpec"]["Configs"] =
        json!([{"ConfigID": ALPHA_CONFIG, "ConfigName": "conf", "File": {"Name": "/c"}}]);
    b["TaskTemplate"]["ContainerSpec"]["Mounts"] =
        json!([{"Type": "volume", "Source": "data", "Target": "/d"}]);
    let v = create(&b);
    let f = forwarded(&v);
    let out = f.body.as_ref().unwrap();
    assert_eq!(out["TaskTemplate"]["Networks"][0]["Target"], ALPHA_NET);
    assert!(f.prelude.is_empty(), "no default overlay when one is named");
    let c = &out["TaskTemplate"]["ContainerSpec"];
    assert_eq!(c["Secrets"][0]["SecretName"], "alpha_pw");
    assert_eq!(c["Configs"][0]["ConfigName"], "alpha_conf");
    assert_eq!(c["Mounts"][0]["Source"], "alpha_data");
    assert_eq!(
        c["Mounts"][0]["VolumeOptions"]["Labels"][OWNER_LABEL],
        "alpha"
    );
    // beta's secret, by id or name: the daemon's not-found
    for r in [BETA_SECRET, "beta_pw", "s2"] {
        let mut b = service_body();
        b["TaskTemplate"]["ContainerSpec"]["Secrets"] =
            json!([{"SecretID": r, "SecretName": "pw"}]);
        let v = create(&b);
        assert_eq!(denied_not_found(&v), format!("secret {r} not found"));
    }
    // beta's network by name is a name nobody of alpha's has: forwarded
    // scoped, so the engine answers as for any missing network
    let mut b = service_body();
    b["TaskTemplate"]["Networks"] = json!([{"Target": "beta_appnet"}]);
    let v = create(&b);
    assert_eq!(
        forwarded(&v).body.as_ref().unwrap()["TaskTemplate"]["Networks"][0]["Target"],
        "alpha_beta_appnet"
    );
    let mut b = service_body();
    b["TaskTemplate"]["Networks"] = json!([{"Target": BETA_NET}]);
    let v = create(&b);
    assert_ne!(
        forwarded(&v).body.as_ref().unwrap()["TaskTemplate"]["Networks"][0]["Target"],
        BETA_NET
    );
}

#[test]
fn placement_stays_in_the_pool() {
    let pool = Policy::from_yaml(
        "apiVersion: fdcs/v1\nkind: Policy\nname: pool\nrules:\n  swarm:\n    enabled: true\n    nodeLabels: {pool: tenants}\n",
        "pool.yaml",
    )
    .unwrap();
    let send = |body: &Value| {
        judge_with(
            &pool,
            "alpha",
            "POST",
            "/v1.41/services/create",
            &serde_json::to_vec(body).unwrap(),
        )
    };
    let v = send(&service_body());
    let c = &forwarded(&v).body.as_ref().unwrap()["TaskTemplate"]["Placement"]["Constraints"];
    assert_eq!(
        c,
        &json!(["node.role==worker", "node.labels.pool==tenants"])
    );
    let mut b = service_body();
    b["TaskTemplate"]["Placement"] = json!({"Constraints": ["node.role == manager"]});
    assert_eq!(denied(&send(&b)).0, "swarm.placement");
    // an API version that drops Limits.Pids cannot bound a service's pids
    let v = judge_with(
        &pool,
        "alpha",
        "POST",
        "/v1.40/services/create",
        &serde_json::to_vec(&service_body()).unwrap(),
    );
    assert_eq!(denied(&v).0, "resources.pids");
}

#[test]
fn an_update_is_judged_like_a_create_and_keeps_the_name() {
    let send = |target: &str, body: &Value| {
        judge_with(
            swarm_policy(),
            "alpha",
            "POST",
            target,
            &serde_json::to_vec(body).unwrap(),
        )
    };
    let v = send("/v1.41/services/web/update?version=7", &service_body());
    let f = forwarded(&v);
    assert_eq!(f.path, format!("/v1.41/services/{ALPHA_WEB}/update"));
    assert_eq!(f.body.as_ref().unwrap()["Name"], "alpha_web");
    let mut b = service_body();
    b["TaskTemplate"]["Resources"] = json!({"Limits": {"MemoryBytes": 8_i64 << 30}});
    assert_eq!(
        denied(&send("/v1.41/services/web/update?version=7", &b)).0,
        "resources.memory"
    );
    let mut b = service_body();
    b["Name"] = json!("other");
    match send("/v1.41/services/web/update?version=7", &b) {
        Verdict::Deny(d) => assert_eq!(d.status, 400),
        other => panic!("{other:?}"),
    }
    // beta's service is not found to alpha
    assert_eq!(
        denied_not_found(&send(
            &format!("/v1.41/services/{BETA_WEB}/update?version=7"),
            &service_body()
        )),
        format!("service {BETA_WEB} not found")
    );
    // registryAuthFrom=previous-spec would send credentials nobody judged
    let v = send(
        "/v1.41/services/web/update?version=7&registryAuthFrom=previous-spec",
        &service_body(),
    );
    assert!(
        forwarded(&v)
            .query
            .as_deref()
            .unwrap()
            .contains("registryAuthFrom=spec"),
        "{v:?}"
    );
}

#[test]
fn a_case_folded_duplicate_cannot_smuggle_a_bind_mount() {
    // Go reads `taskTemplate` as `TaskTemplate`, and the last duplicate wins
    let body = br#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},
        "taskTemplate":{"containerSpec":{"image":"busybox","mounts":[{"type":"bind","source":"/","target":"/h"}]}}}"#;
    let v = judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        "/v1.41/services/create",
        body,
    );
    assert_eq!(denied(&v).0, "mounts.no-host-path");
    let body =
        br#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox","Smuggled":1}}}"#;
    match judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        "/v1.41/services/create",
        body,
    ) {
        Verdict::Deny(d) => assert!(d.message.contains("Smuggled"), "{}", d.message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn replicas_times_limits_fit_the_quota() {
    // the default quotas: 20 containers, 4 GiB; alpha's two running tasks
    // hold 2 GiB
    let sized = |replicas: u64, memory: i64| {
        let mut b = service_body();
        b["Mode"] = json!({"Replicated": {"Replicas": replicas}});
        b["TaskTemplate"]["Resources"] = json!({"Limits": {"MemoryBytes": memory}});
        b
    };
    let gib = 1_i64 << 30;
    let v = create(&sized(2, gib));
    let c = &forwarded(&v).body.as_ref().unwrap()["TaskTemplate"]["ContainerSpec"];
    assert_eq!(c["Labels"]["fdcs.reserve"], "1073741824,500000000,256,1");
    assert_eq!(denied(&create(&sized(3, gib))).0, "quota.memory");
    assert_eq!(denied(&create(&sized(19, 1 << 20))).0, "quota.containers");
    // an update counts what it adds to what the service holds (2 x 1 GiB)
    let update = |b: &Value| {
        judge_with(
            swarm_policy(),
            "alpha",
            "POST",
            "/v1.41/services/web/update?version=3",
            &serde_json::to_vec(b).unwrap(),
        )
    };
    assert!(matches!(update(&sized(4, gib)), Verdict::Rewrite(_)));
    assert_eq!(denied(&update(&sized(5, gib))).0, "quota.memory");
}

fn nfs_policy() -> Policy {
    Policy::from_yaml(
        "apiVersion: fdcs/v1\nkind: Policy\nname: nfs\nrules:\n  swarm: {enabled: true, allowManagers: true}\n  volumes:\n    nfs: {server: 10.0.0.5, export: /srv/fdcs, options: 'nfsvers=4.1,soft'}\n",
        "nfs.yaml",
    )
    .unwrap()
}

#[test]
fn volumes_live_on_the_operators_nfs_backend_in_the_tenants_directory() {
    let p = nfs_policy();
    let want = json!({"type": "nfs", "o": "addr=10.0.0.5,nfsvers=4.1,soft", "device": ":/srv/fdcs/alpha/data"});
    // docker volume create data
    let v = judge_with(
        &p,
        "alpha",
        "POST",
        "/v1.41/volumes/create",
        br#"{"Name":"data"}"#,
    );
    let b = forwarded(&v).body.clone().unwrap();
    assert_eq!(b["Name"], "alpha_data");
    assert_eq!(b["DriverOpts"], want);
    // a service's named volume: every node mounts the same export
    let mut body = service_body();
    body["TaskTemplate"]["ContainerSpec"]["Mounts"] =
        json!([{"Type": "volume", "Source": "data", "Target": "/d"}]);
    let v = judge_with(
        &p,
        "alpha",
        "POST",
        "/v1.41/services/create",
        &serde_json::to_vec(&body).unwrap(),
    );
    let m = &forwarded(&v).body.as_ref().unwrap()["TaskTemplate"]["ContainerSpec"]["Mounts"][0];
    assert_eq!(m["Source"], "alpha_data");
    assert_eq!(m["VolumeOptions"]["DriverConfig"]["Name"], "local");
    assert_eq!(m["VolumeOptions"]["DriverConfig"]["Options"], want);
    // a tenant's own nfs options stay refused, with or without a backend
    for policy in [&p, swarm_policy()] {
        let v = judge_with(
            policy,
            "alpha",
            "POST",
            "/v1.41/volumes/create",
            br#"{"Name":"xx","DriverOpts":{"type":"nfs","o":"addr=10.9.9.9","device":":/"}}"#,
        );
        assert_eq!(denied(&v).0, "mounts.no-host-path");
    }
    // docker run -v data:/d: the volume it creates first is there too
    let v = judge_with(
        &p,
        "alpha",
        "POST",
        "/v1.41/containers/create?name=c1",
        br#"{"Image":"busybox","HostConfig":{"Binds":["data:/d"]}}"#,
    );
    let pre = &forwarded(&v).prelude;
    let vol = pre
        .iter()
        .find(|p| p.path.ends_with("/volumes/create"))
        .unwrap();
    assert_eq!(vol.body["DriverOpts"], want);
    // beta's directory is beta's
    let v = judge_with(
        &p,
        "beta",
        "POST",
        "/v1.41/volumes/create",
        br#"{"Name":"data"}"#,
    );
    assert_eq!(
        forwarded(&v).body.as_ref().unwrap()["DriverOpts"]["device"],
        ":/srv/fdcs/beta/data"
    );
}

#[test]
fn an_nfs_backend_that_would_not_read_as_one_is_refused_at_load() {
    for bad in [
        "{server: 'a,b', export: /x}",
        "{server: s, export: relative}",
        "{server: s, export: /a/../b}",
        "{server: s, export: /x, options: 'addr=10.1.1.1'}",
        "{server: s, export: '/x,y'}",
    ] {
        let src = format!(
            "apiVersion: fdcs/v1\nkind: Policy\nname: nfs\nrules:\n  volumes:\n    nfs: {bad}\n"
        );
        assert!(Policy::from_yaml(&src, "nfs.yaml").is_err(), "{bad}");
    }
}

#[test]
fn info_keeps_what_stack_deploy_needs_and_nothing_of_the_cluster() {
    let engine = json!({"Containers": 9, "Swarm": {"LocalNodeState": "active", "NodeID": "n1",
        "NodeAddr": "10.1.2.3", "ControlAvailable": true, "Error": "",
        "RemoteManagers": [{"NodeID": "n1", "Addr": "10.1.2.3:2377"}],
        "Cluster": {"ID": "c1", "TLSInfo": {"TrustRoot": "-----BEGIN CERTIFICATE-----"}}}});
    let view = |swarm| fdcs_policy::InfoView {
        swarm,
        ..Default::default()
    };
    let on = rewrite(ResponseRewrite::Info(view(true)), "alpha", engine.clone());
    assert_eq!(on["Swarm"]["ControlAvailable"], true);
    assert_eq!(on["Swarm"]["LocalNodeState"], "active");
    assert_eq!(on["Swarm"]["NodeID"], "n1");
    let text = on.to_string();
    for leak in ["10.1.2.3", "CERTIFICATE", "\"c1\""] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    // swarm off: the engine's swarm does not exist for the tenant
    let off = rewrite(ResponseRewrite::Info(view(false)), "alpha", engine);
    assert_eq!(off["Swarm"]["ControlAvailable"], false);
    assert_eq!(off["Swarm"]["LocalNodeState"], "inactive");
    assert_eq!(off["Swarm"]["NodeID"], "");
}
