//! Swarm support (issue 14) from the attacker's side: tenant alpha trying
//! to reach the host, publish a host port, land on a manager, name beta's
//! objects, exceed its quotas and make the answers leak — each attack with
//! the safe outcome asserted. Eight of them were holes when written (an
//! update scaling past the container quota, `{{templates}}` in mounts,
//! hostname and env, generic resources, image mounts, attachment driver
//! options, node filters and node inspect by hostname, a task list's
//! `node=`); all hold now.
//!
//! The model daemon is `tests/swarm_daemon` (shared with `tests/swarm.rs`):
//! it resolves references as `daemon/cluster/helpers.go`
//! does — exact id, then exact name, then a unique id prefix — among every
//! tenant's objects.
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
const ALPHA_OLD: &str = "a9oooooooooooooooooooooo0";
const BETA_WEB: &str = "b7qqqqqqqqqqqqqqqqqqqqqqq";
const ALPHA_SECRET: &str = "s1aaaaaaaaaaaaaaaaaaaaaaa";
const BETA_SECRET: &str = "s2bbbbbbbbbbbbbbbbbbbbbbb";
const ALPHA_TASK: &str = "t1aaaaaaaaaaaaaaaaaaaaaaa";
const BETA_TASK: &str = "t2bbbbbbbbbbbbbbbbbbbbbbb";
const ALPHA_CONFIG: &str = "c1aaaaaaaaaaaaaaaaaaaaaaa";
const BETA_CONFIG: &str = "c2bbbbbbbbbbbbbbbbbbbbbbb";
const ALPHA_NET: &str = "aa11111111111111111111111111111111111111111111111111111111111111";
const BETA_NET: &str = "bb22222222222222222222222222222222222222222222222222222222222222";
const INGRESS_NET: &str = "ingr3ss0000000000000000000";

fn load(name: &str) -> Policy {
    let path = format!(
        "{}/../policies/examples/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    Policy::from_yaml(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

fn swarm_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| load("swarm"))
}

fn pool_policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| load("swarm-pool"))
}

/// Swarm on, and one host path the operator trusts.
fn shared_path_policy() -> Policy {
    Policy::from_yaml(
        "apiVersion: fdcs/v1\nkind: Policy\nname: shared\nrules:\n  swarm: {enabled: true, allowManagers: true}\n  mounts: {allowHostPaths: [/srv/shared]}\n",
        "shared.yaml",
    )
    .unwrap()
}

fn tenant(id: &str) -> Tenant {
    Tenant::new(TenantId::new(id).unwrap())
}

fn world() -> Vec<Obj> {
    use ResourceKind::{Config, Network, Secret, Service, Task};
    let o = |kind, id, name, owner| Obj {
        kind,
        id,
        name,
        owner,
    };
    vec![
        o(Service, ALPHA_WEB, "alpha_web", "alpha"),
        o(Service, ALPHA_OLD, "alpha_old", "alpha"),
        o(Service, BETA_WEB, "beta_web", "beta"),
        o(Secret, ALPHA_SECRET, "alpha_pw", "alpha"),
        o(Secret, BETA_SECRET, "beta_pw", "beta"),
        o(Task, ALPHA_TASK, ALPHA_TASK, "alpha"),
        o(Task, BETA_TASK, BETA_TASK, "beta"),
        o(Config, ALPHA_CONFIG, "alpha_conf", "alpha"),
        o(Config, BETA_CONFIG, "beta_conf", "beta"),
        o(Network, ALPHA_NET, "alpha_appnet", "alpha"),
        o(Network, BETA_NET, "beta_appnet", "beta"),
        // the engine's own, no owner
        o(Network, INGRESS_NET, "ingress", ""),
    ]
}

/// A previous spec nobody judged (an operator's, or one from before the
/// policy changed): a host bind mount, beta's secret, the ingress.
fn unjudged_previous_spec() -> Value {
    json!({"Name": "alpha_old", "Labels": {OWNER_LABEL: "alpha"},
        "TaskTemplate": {"ContainerSpec": {"Image": "busybox",
            "Labels": {OWNER_LABEL: "alpha"},
            "Mounts": [{"Type": "bind", "Source": "/", "Target": "/host"}]},
            "Resources": {"Limits": {"MemoryBytes": 1_i64 << 20}}},
        "Mode": {"Replicated": {"Replicas": 1}}})
}

/// The daemon's JSON for an object: `ID`, `Spec.Name`, and the owner label
/// where fdcs writes it (a task's in its container spec).
fn json_of(o: &Obj) -> Value {
    let labels = if o.owner.is_empty() {
        json!({})
    } else {
        json!({ OWNER_LABEL: o.owner, "app": "x" })
    };
    match o.kind {
        ResourceKind::Task => json!({
            "ID": o.id,
            "ServiceID": if o.owner == "alpha" { ALPHA_WEB } else { BETA_WEB },
            "Spec": {"ContainerSpec": {"Image": "busybox", "Labels": labels}},
        }),
        ResourceKind::Network => json!({"Id": o.id, "Name": o.name, "Labels": labels}),
        ResourceKind::Service => {
            let mut s = json!({"ID": o.id, "Spec": {"Name": o.name, "Labels": labels,
                "TaskTemplate": {"ContainerSpec": {"Image": "busybox"},
                    "Resources": {"Limits": {"MemoryBytes": 1_i64 << 30}}},
                "Mode": {"Replicated": {"Replicas": 2}}}});
            if o.id == ALPHA_OLD {
                s["Spec"]["Mode"]["Replicated"]["Replicas"] = json!(0);
                s["PreviousSpec"] = unjudged_previous_spec();
            }
            s
        }
        _ => json!({"ID": o.id, "Spec": {"Name": o.name, "Labels": labels}}),
    }
}

/// The model daemon over this file's world.
fn daemon(target: &str) -> (u16, Vec<u8>) {
    swarm_daemon::answer(target, world(), json_of)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Judges `req` for `who` under `policy`, answering every question from
/// the model daemon.
fn judge_req(policy: &Policy, who: &str, req: Request) -> Verdict {
    swarm_daemon::judge_session(policy, &tenant(who), &req, daemon)
}

fn judge_with(policy: &Policy, who: &str, method: &str, target: &str, body: &[u8]) -> Verdict {
    judge_req(policy, who, Request::new(method, target, body.to_vec()))
}

fn judge(method: &str, target: &str) -> Verdict {
    judge_with(swarm_policy(), "alpha", method, target, b"")
}

/// `GET` of a list with `filters` (JSON, encoded here).
fn list(policy: &Policy, path: &str, filters: &Value) -> Verdict {
    let target = format!("{path}?filters={}", percent_encode(&filters.to_string()));
    judge_with(policy, "alpha", "GET", &target, b"")
}

fn forwarded(v: &Verdict) -> &fdcs_policy::Forward {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

fn body_of(v: &Verdict) -> &Value {
    forwarded(v).body.as_ref().unwrap()
}

fn query_of(v: &Verdict) -> String {
    percent_decode(forwarded(v).query.as_deref().unwrap_or(""))
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

fn denied_not_found(v: &Verdict) -> String {
    match v {
        Verdict::Deny(d) if d.status == 404 => d.message.clone(),
        other => panic!("expected a 404, got {other:?}"),
    }
}

/// `docker service create --name web -p 80 busybox httpd`, as CLI 28
/// sends it (API 1.41).
fn service_body() -> Value {
    json!({
        "Name": "web",
        "Labels": {},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox:latest",
                "Args": ["httpd", "-f", "-p", "80"],
                "Init": false,
                "DNSConfig": {},
                "Isolation": "default"
            },
            "Resources": {"Limits": {}, "Reservations": {}},
            "RestartPolicy": {"Condition": "any", "MaxAttempts": 0},
            "Placement": {},
            "ForceUpdate": 0,
            "Runtime": "container"
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress"}
        ]}
    })
}

/// `service_body` with `value` at the JSON pointer `at` (parents made).
fn with(at: &str, value: Value) -> Value {
    let mut b = service_body();
    let mut cur = &mut b;
    let parts: Vec<&str> = at.trim_start_matches('/').split('/').collect();
    for (i, p) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            cur[*p] = value;
            break;
        }
        if cur.get(*p).is_none() {
            cur[*p] = json!({});
        }
        cur = &mut cur[*p];
    }
    b
}

fn create_with(policy: &Policy, body: &Value) -> Verdict {
    judge_with(
        policy,
        "alpha",
        "POST",
        "/v1.41/services/create",
        &serde_json::to_vec(body).unwrap(),
    )
}

fn create(body: &Value) -> Verdict {
    create_with(swarm_policy(), body)
}

fn create_raw(body: &str) -> Verdict {
    judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        "/v1.41/services/create",
        body.as_bytes(),
    )
}

fn update(target: &str, body: &Value) -> Verdict {
    judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        target,
        &serde_json::to_vec(body).unwrap(),
    )
}

/// The mounts of the container spec that would reach the engine, if any.
fn assert_no_host_mount(v: &Verdict, what: &str) {
    if let Verdict::Allow(f) | Verdict::Rewrite(f) = v {
        let mounts = &f.body.as_ref().unwrap()["TaskTemplate"]["ContainerSpec"]["Mounts"];
        panic!("{what}: forwarded with mounts {mounts}");
    }
}

// ---------------------------------------------------------------- host

#[test]
fn service_mounts_in_every_spelling_stay_off_the_host() {
    // swarm reads a mount type upper-cased, and an empty type as BIND
    // (`convert/container.go`): none of these may pass as a non-bind
    for ty in [
        "bind", "BIND", "Bind", "", "VOLUME", "Volume", "cluster", "npipe",
    ] {
        let m = json!([{"Type": ty, "Source": "/", "Target": "/h"}]);
        let v = create(&with("/TaskTemplate/ContainerSpec/Mounts", m));
        assert_no_host_mount(&v, ty);
        assert_eq!(denied(&v).0, "mounts.no-host-path", "{ty:?}");
    }
    // no Type at all is BIND to swarm
    let m = json!([{"Source": "/etc", "Target": "/h"}]);
    assert_eq!(
        denied(&create(&with("/TaskTemplate/ContainerSpec/Mounts", m))).0,
        "mounts.no-host-path"
    );
    // a bind mount's options do not make it anything else
    let m = json!([{"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/s",
        "BindOptions": {"Propagation": "rshared", "CreateMountpoint": true}}]);
    assert_eq!(
        denied(&create(&with("/TaskTemplate/ContainerSpec/Mounts", m))).0,
        "mounts.no-host-path"
    );
    // a volume of the local driver that binds a host path
    for opts in [
        json!({"type": "none", "o": "bind", "device": "/"}),
        json!({"type": "none", "o": "ro,rbind", "device": "/etc"}),
        json!({"Device": "/"}),
        json!({"type": "nfs", "o": "addr=10.0.0.1", "device": ":/"}),
    ] {
        let m = json!([{"Type": "volume", "Source": "data", "Target": "/d",
            "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": opts}}}]);
        let v = create(&with("/TaskTemplate/ContainerSpec/Mounts", m));
        assert_eq!(denied(&v).0, "mounts.no-host-path", "{opts}");
    }
    // another volume driver
    let m = json!([{"Type": "volume", "Source": "data", "Target": "/d",
        "VolumeOptions": {"DriverConfig": {"Name": "vieux/sshfs"}}}]);
    assert_eq!(
        denied(&create(&with("/TaskTemplate/ContainerSpec/Mounts", m))).0,
        "mounts.volume-driver"
    );
    // case-folded keys and a later duplicate, as Go reads them
    let v = create_raw(
        r#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox",
        "Mounts":[{"Type":"volume","Source":"data","Target":"/d"}],
        "mounts":[{"type":"volume","source":"x","target":"/x"}],
        "MOUNTS":[{"TYPE":"bind","SOURCE":"/","TARGET":"/h"}]}}}"#,
    );
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
    let v = create_raw(
        r#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox",
        "Mounts":[{"Type":"volume","Source":"data","Target":"/d","type":"bind","source":"/"}]}}}"#,
    );
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

#[test]

fn an_image_mount_of_a_service_names_only_images_alpha_may_see() {
    // a container's image mount Source goes through the tenant's view of
    // images (`container_image`), which refuses what is no image name;
    // a service's is forwarded as sent
    let m = json!([{"Type": "image", "Source": "/", "Target": "/i"}]);
    let v = create(&with("/TaskTemplate/ContainerSpec/Mounts", m));
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

#[test]
fn a_tmpfs_of_a_service_gets_a_size() {
    let m = json!([{"Type": "tmpfs", "Target": "/t"}]);
    let v = create(&with("/TaskTemplate/ContainerSpec/Mounts", m));
    let b = body_of(&v);
    let size = &b["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["TmpfsOptions"]["SizeBytes"];
    assert!(size.as_i64().is_some_and(|s| s > 0), "{b}");
    let m = json!([{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 64_i64 << 30}}]);
    assert_eq!(
        denied(&create(&with("/TaskTemplate/ContainerSpec/Mounts", m))).0,
        "bounds.tmpfs"
    );
    // a tmpfs volume of the local driver without a size, in any spelling
    let m = json!([{"Type": "volume", "Source": "t", "Target": "/t",
        "VolumeOptions": {"DriverConfig": {"Name": "local",
            "Options": {"type": "tmpfs", "device": "tmpfs", "o": "size=0"}}}}]);
    assert!(matches!(
        create(&with("/TaskTemplate/ContainerSpec/Mounts", m)),
        Verdict::Deny(_)
    ));
}

#[test]
fn what_unconfines_a_container_unconfines_no_task() {
    let spec = "/TaskTemplate/ContainerSpec";
    let cases = [
        (
            format!("{spec}/CapabilityAdd"),
            json!(["ALL"]),
            "privileges.capabilities",
        ),
        (
            format!("{spec}/CapabilityAdd"),
            json!(["cap_sys_admin"]),
            "privileges.capabilities",
        ),
        (
            format!("{spec}/Sysctls"),
            json!({"net.ipv4.ip_forward": "1"}),
            "privileges.sysctls",
        ),
        (
            format!("{spec}/Privileges"),
            json!({"AppArmor": {"Mode": "disabled"}}),
            "privileges.security-opt",
        ),
        (
            format!("{spec}/Privileges"),
            json!({"Seccomp": {"Mode": "custom", "Profile": "{}"}}),
            "privileges.security-opt",
        ),
        (
            format!("{spec}/Privileges"),
            json!({"SELinuxContext": {"Type": "spc_t"}}),
            "privileges.security-opt",
        ),
        (
            format!("{spec}/Privileges"),
            json!({"CredentialSpec": {"Config": ALPHA_CONFIG}}),
            "privileges.security-opt",
        ),
        (
            "/TaskTemplate/LogDriver".into(),
            json!({"Name": "json-file", "Options": {"max-size": "100g"}}),
            "bounds.logs",
        ),
        (
            "/TaskTemplate/LogDriver".into(),
            json!({"Name": "gelf", "Options": {"gelf-address": "udp://10.0.0.1:1"}}),
            "privileges.log-driver",
        ),
        (
            "/TaskTemplate/PluginSpec".into(),
            json!({"Name": "evil/plugin", "Privileges": [{"Name": "mount", "Value": ["/"]}]}),
            "swarm.spec",
        ),
        (
            "/TaskTemplate/NetworkAttachmentSpec".into(),
            json!({"ContainerID": "x"}),
            "swarm.spec",
        ),
        (
            "/TaskTemplate/Runtime".into(),
            json!("attachment"),
            "swarm.spec",
        ),
        (
            format!("{spec}/Labels"),
            json!({"FDCS.tenant": "beta"}),
            "tenancy.reserved-label",
        ),
        (
            format!("{spec}/Labels"),
            json!({"fdcs.reserve": "0,0,0,0"}),
            "tenancy.reserved-label",
        ),
    ];
    for (at, value, rule) in cases {
        let v = create(&with(&at, value.clone()));
        let (got, msg) = denied(&v);
        assert_eq!(got, rule, "{at} = {value}: {msg}");
    }
    // a field the engine does not know is refused by name, in any place
    let v = create(&with("/TaskTemplate/ContainerSpec/Privileged", json!(true)));
    assert!(
        matches!(&v, Verdict::Deny(d) if d.message.contains("Privileged")),
        "{v:?}"
    );
    let v = create(&with(
        "/TaskTemplate/ContainerSpec/Devices",
        json!(["/dev/sda"]),
    ));
    assert!(
        matches!(&v, Verdict::Deny(d) if d.message.contains("Devices")),
        "{v:?}"
    );
    let v = create(&with(
        "/TaskTemplate/HostConfig",
        json!({"Privileged": true}),
    ));
    assert!(matches!(v, Verdict::Deny(_)));
    // a seccomp mode swarm would not read as `unconfined` is not allowed
    // through either (judged as sent)
    let v = create(&with(
        &format!("{spec}/Privileges"),
        json!({"Seccomp": {"Mode": "Unconfined"}}),
    ));
    assert!(matches!(v, Verdict::Deny(_)));
}

#[test]

fn generic_resources_are_refused() {
    let v = create(&with(
        "/TaskTemplate/Resources/Reservations",
        json!({"GenericResources": [
            {"NamedResourceSpec": {"Kind": "NVIDIA-GPU", "Value": "GPU-0"}},
            {"DiscreteResourceSpec": {"Kind": "SSD", "Value": 8}}
        ]}),
    ));
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

#[test]

fn templates_cannot_lead_a_mount_out_of_an_allowed_host_path() {
    let p = shared_path_policy();
    // the judged text is under /srv/shared; the node expands it to `/`
    let m = json!([{"Type": "bind", "Source": "/srv/shared/{{\"../..\"}}", "Target": "/h"}]);
    let v = create_with(&p, &with("/TaskTemplate/ContainerSpec/Mounts", m));
    assert_no_host_mount(&v, "templated bind source");
    // `o` is expanded too: `{{"bind"}}` is `bind` on the node
    let m = json!([{"Type": "volume", "Source": "data", "Target": "/d",
        "VolumeOptions": {"DriverConfig": {"Name": "local",
            "Options": {"type": "", "device": "/srv/shared", "o": "{{\"bi\"}}nd"}}}}]);
    let v = create_with(&p, &with("/TaskTemplate/ContainerSpec/Mounts", m));
    assert_no_host_mount(&v, "templated driver option");
}

#[test]
fn an_allowed_host_path_is_not_left_by_dot_segments() {
    let p = shared_path_policy();
    let ok = json!([{"Type": "bind", "Source": "/srv/shared/a", "Target": "/h"}]);
    assert!(matches!(
        create_with(&p, &with("/TaskTemplate/ContainerSpec/Mounts", ok)),
        Verdict::Rewrite(_) | Verdict::Allow(_)
    ));
    for src in ["/srv/shared/../..", "/srv/sharedx", "/srv/shared/./../etc"] {
        let m = json!([{"Type": "bind", "Source": src, "Target": "/h"}]);
        let v = create_with(&p, &with("/TaskTemplate/ContainerSpec/Mounts", m));
        assert_eq!(denied(&v).0, "mounts.no-host-path", "{src}");
    }
}

// ------------------------------------------------------------ networks

#[test]
fn no_service_joins_a_shared_or_host_network_in_any_spelling() {
    for target in ["host", "bridge", "ingress", "docker_gwbridge", "none"] {
        for at in ["/TaskTemplate/Networks", "/Networks"] {
            let v = create(&with(at, json!([{"Target": target}])));
            assert_eq!(denied(&v).0, "swarm.networks", "{at} {target}");
        }
    }
    // a case variant or an id is resolved among alpha's own networks only:
    // forwarded as a scoped name nobody else has, never as given
    for target in [
        "Host",
        "INGRESS",
        "Bridge",
        INGRESS_NET,
        "ingr3ss",
        BETA_NET,
        "bb22",
    ] {
        let v = create(&with("/TaskTemplate/Networks", json!([{"Target": target}])));
        match &v {
            Verdict::Deny(_) => {}
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                let t = &f.body.as_ref().unwrap()["TaskTemplate"]["Networks"][0]["Target"];
                assert_eq!(t, &json!(format!("alpha_{target}")), "{target}");
            }
            other => panic!("{other:?}"),
        }
    }
    // the legacy top-level place and the template's both count: one bad
    // entry among own ones is refused
    let mut b = with("/TaskTemplate/Networks", json!([{"Target": "appnet"}]));
    b["Networks"] = json!([{"Target": "ingress"}]);
    assert_eq!(denied(&create(&b)).0, "swarm.networks");
    // a case-folded duplicate key is the one Go reads
    let v = create_raw(
        r#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"},
        "Networks":[{"Target":"appnet"}],"networks":[{"target":"host"}]}}"#,
    );
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
    // own network by name goes as its id
    let v = create(&with(
        "/TaskTemplate/Networks",
        json!([{"Target": "appnet"}]),
    ));
    assert_eq!(
        body_of(&v)["TaskTemplate"]["Networks"][0]["Target"],
        ALPHA_NET
    );
}

#[test]

fn an_attachments_driver_options_set_no_sysctls() {
    let v = create(&with(
        "/TaskTemplate/Networks",
        json!([{"Target": "appnet", "DriverOpts": {
            "com.docker.network.endpoint.sysctls": "net.ipv4.conf.IFNAME.route_localnet=1"}}]),
    ));
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

// --------------------------------------------------------------- ports

#[test]
fn no_host_port_of_the_tenants_choosing_and_never_the_mesh() {
    for mode in ["ingress", "host", "HOST", "Ingress", ""] {
        let p = json!([{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 22, "PublishMode": mode}]);
        let v = create(&with("/EndpointSpec/Ports", p));
        assert_eq!(denied(&v).0, "ports.ephemeral-only", "{mode:?}");
        let p = json!([{"Protocol": "udp", "TargetPort": 53, "PublishMode": mode}]);
        let v = create(&with("/EndpointSpec/Ports", p));
        let port = &body_of(&v)["EndpointSpec"]["Ports"][0];
        assert_eq!(port["PublishMode"], "host", "{mode:?}");
        assert!(port.get("PublishedPort").is_none_or(|p| p == 0), "{port}");
    }
    // the second of two ports, and a case-folded duplicate
    let p = json!([{"TargetPort": 80}, {"TargetPort": 81, "PublishedPort": 8081}]);
    assert_eq!(
        denied(&create(&with("/EndpointSpec/Ports", p))).0,
        "ports.ephemeral-only"
    );
    let v = create_raw(
        r#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},
        "EndpointSpec":{"Ports":[{"TargetPort":80,"PublishedPort":0,"publishedport":2222}]}}"#,
    );
    assert_eq!(denied(&v).0, "ports.ephemeral-only");
    // many ports
    let many: Vec<Value> = (1..=500).map(|p| json!({"TargetPort": p})).collect();
    assert_eq!(
        denied(&create(&with("/EndpointSpec/Ports", Value::Array(many)))).0,
        "bounds.ports"
    );
}

// ----------------------------------------------------------- placement

#[test]
fn no_constraint_spelling_lands_a_task_on_a_manager() {
    for c in [
        "node.role == manager",
        "node.role==MANAGER",
        " node.role==manager ",
        "node.role\t==\tmanager",
    ] {
        let v = create_with(
            pool_policy(),
            &with("/TaskTemplate/Placement/Constraints", json!([c])),
        );
        assert_eq!(denied(&v).0, "swarm.placement", "{c:?}");
    }
    // everything else is ANDed with the pool's constraints, which are
    // always there: no spelling can widen the pool
    for c in [
        "node.role!=worker",
        "node.hostname==manager-1",
        "node.id==m1m1m1m1m1m1m1m1m1m1m1m1m",
        "engine.labels.role==manager",
        "node.labels.pool!=tenants",
    ] {
        let v = create_with(
            pool_policy(),
            &with("/TaskTemplate/Placement/Constraints", json!([c])),
        );
        if let Verdict::Allow(f) | Verdict::Rewrite(f) = &v {
            let got = &f.body.as_ref().unwrap()["TaskTemplate"]["Placement"]["Constraints"];
            let got: Vec<&str> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect();
            assert!(got.contains(&"node.role==worker"), "{c}: {got:?}");
            assert!(got.contains(&"node.labels.pool==tenants"), "{c}: {got:?}");
        }
    }
    // a case-folded `placement` that drops the constraints is still placed
    let v = create_with(
        pool_policy(),
        &serde_json::from_str::<Value>(
            r#"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"},
            "Placement":{"Constraints":["node.labels.pool==tenants"]},
            "placement":{"constraints":[],"preferences":[{"Spread":{"SpreadDescriptor":"node.id"}}]}}}"#,
        )
        .unwrap(),
    );
    let got = &body_of(&v)["TaskTemplate"]["Placement"]["Constraints"];
    assert!(got.to_string().contains("node.role==worker"), "{got}");
    // and an update is placed as a create is
    let v = judge_with(
        pool_policy(),
        "alpha",
        "POST",
        "/v1.41/services/web/update?version=3",
        &serde_json::to_vec(&service_body()).unwrap(),
    );
    let got = &body_of(&v)["TaskTemplate"]["Placement"]["Constraints"];
    assert!(got.to_string().contains("node.role==worker"), "{got}");
}

// ---------------------------------------------------- beta's objects

#[test]
fn betas_objects_are_not_found_in_any_path_spelling() {
    for (path, noun, refs) in [
        (
            "services",
            "service",
            vec![BETA_WEB, "b7", "beta_web", "BETA_WEB"],
        ),
        ("secrets", "secret", vec![BETA_SECRET, "s2", "beta_pw"]),
        ("configs", "config", vec![BETA_CONFIG, "c2b", "beta_conf"]),
        ("tasks", "task", vec![BETA_TASK, "t2b"]),
    ] {
        for r in refs {
            for v in ["/v1.41", "/v1.24", ""] {
                let t = format!("{v}/{path}/{r}");
                let msg = denied_not_found(&judge("GET", &t));
                assert_eq!(msg, format!("{noun} {r} not found"), "{t}");
                if path != "tasks" {
                    let msg = denied_not_found(&judge("DELETE", &t));
                    assert_eq!(msg, format!("{noun} {r} not found"), "DELETE {t}");
                }
            }
        }
    }
    // percent-encoded and doubled slashes are the same reference
    for t in [
        "/v1.41/services/beta%5Fweb",
        "/v1.41/services/%62eta_web",
        "/v1.41//services/beta_web",
        "/v1.41/services/beta_web/",
    ] {
        match judge("DELETE", t) {
            Verdict::Deny(d) => assert!(d.status == 404 || d.status == 400, "{t}: {d:?}"),
            other => panic!("{t}: {other:?}"),
        }
    }
    // a path that climbs out of the reference is no reference of alpha's
    for t in [
        "/v1.41/services/web%2F..%2F..%2Fsecrets%2Fbeta_pw",
        "/v1.41/services/..%2Fsecrets%2Fbeta_pw",
    ] {
        match judge("GET", t) {
            Verdict::Deny(_) => {}
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                assert!(!f.path.contains("beta"), "{t} -> {}", f.path);
            }
            other => panic!("{t}: {other:?}"),
        }
    }
    // logs of beta's tasks and services
    for t in [
        format!("/v1.41/tasks/{BETA_TASK}/logs?stdout=1"),
        "/v1.41/tasks/t2/logs".to_string(),
        format!("/v1.41/services/{BETA_WEB}/logs?stdout=1"),
        "/v1.41/services/beta_web/logs".to_string(),
    ] {
        denied_not_found(&judge("GET", &t));
    }
    // own objects by a unique own prefix go by their full id
    assert_eq!(
        forwarded(&judge("GET", "/v1.41/tasks/t1/logs")).path,
        format!("/v1.41/tasks/{ALPHA_TASK}/logs")
    );
    // insertDefaults=true is still an inspect of alpha's own, rewritten
    let v = judge("GET", "/v1.41/services/web?insertDefaults=true");
    let f = forwarded(&v);
    assert!(f.path.ends_with("/services/alpha_web") || f.path.ends_with(ALPHA_WEB));
    assert!(matches!(
        f.response,
        fdcs_policy::ResponsePlan::Rewrite(ResponseRewrite::ServiceInspect)
    ));
}

#[test]
fn secret_and_config_references_in_a_body_are_alphas_own() {
    let secrets = |r: Value| with("/TaskTemplate/ContainerSpec/Secrets", r);
    // own id with beta's name: the id decides, and the name sent is the own one
    let v = create(&secrets(
        json!([{"SecretID": ALPHA_SECRET, "SecretName": "beta_pw",
        "File": {"Name": "pw"}}]),
    ));
    let s = &body_of(&v)["TaskTemplate"]["ContainerSpec"]["Secrets"][0];
    assert_eq!(s["SecretID"], ALPHA_SECRET);
    assert_eq!(s["SecretName"], "alpha_pw");
    // beta's id with own name, beta's id alone, beta's engine name alone
    for (id, name) in [
        (Some(BETA_SECRET), Some("pw")),
        (Some(BETA_SECRET), None),
        (None, Some("beta_pw")),
        (Some("s2"), Some("pw")),
        (Some(""), Some("beta_pw")),
    ] {
        let mut r = json!({"File": {"Name": "x"}});
        if let Some(i) = id {
            r["SecretID"] = json!(i);
        }
        if let Some(n) = name {
            r["SecretName"] = json!(n);
        }
        let v = create(&secrets(json!([r])));
        assert!(denied_not_found(&v).starts_with("secret "), "{r}");
    }
    // a reference with neither is nobody's
    assert!(matches!(
        create(&secrets(json!([{"File": {"Name": "x"}}]))),
        Verdict::Deny(_)
    ));
    // configs, as a file and as a runtime (credential spec) target
    for target in [json!({"File": {"Name": "/c"}}), json!({"Runtime": {}})] {
        let mut r = target.clone();
        r["ConfigID"] = json!(BETA_CONFIG);
        r["ConfigName"] = json!("conf");
        let v = create(&with("/TaskTemplate/ContainerSpec/Configs", json!([r])));
        assert_eq!(
            denied_not_found(&v),
            format!("config {BETA_CONFIG} not found")
        );
        let mut r = target;
        r["ConfigID"] = json!(ALPHA_CONFIG);
        r["ConfigName"] = json!("beta_conf");
        let v = create(&with("/TaskTemplate/ContainerSpec/Configs", json!([r])));
        let c = &body_of(&v)["TaskTemplate"]["ContainerSpec"]["Configs"][0];
        assert_eq!(
            (c["ConfigID"].as_str(), c["ConfigName"].as_str()),
            (Some(ALPHA_CONFIG), Some("alpha_conf"))
        );
    }
    // a volume named like beta's is alpha's own scoped name
    let m = json!([{"Type": "volume", "Source": "beta_data", "Target": "/d"}]);
    let v = create(&with("/TaskTemplate/ContainerSpec/Mounts", m));
    assert_eq!(
        body_of(&v)["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Source"],
        "alpha_beta_data"
    );
}

#[test]
fn list_filters_cannot_reach_betas_objects() {
    let owner = format!("{OWNER_LABEL}=alpha");
    for (path, filters) in [
        ("/v1.41/services", json!({"label": ["fdcs.tenant"]})),
        (
            "/v1.41/services",
            json!({"label": {"fdcs.tenant=beta": true}}),
        ),
        ("/v1.41/tasks", json!({"label": ["Fdcs.Tenant"]})),
        ("/v1.41/secrets", json!({"label": ["fdcs.tenant="]})),
        ("/v1.41/configs", json!({"label": ["fdcs.reserve"]})),
    ] {
        let v = list(swarm_policy(), path, &filters);
        assert_eq!(denied(&v).0, "tenancy.reserved-label", "{path} {filters}");
    }
    // name, names and id only narrow what the owner label already cut
    for (path, filters) in [
        ("/v1.41/services", json!({"name": ["beta_web"]})),
        ("/v1.41/services", json!({"id": ["b7"]})),
        ("/v1.41/secrets", json!({"names": ["beta_pw"]})),
        ("/v1.41/configs", json!({"name": ["beta"]})),
        ("/v1.41/tasks", json!({"id": [BETA_TASK]})),
        ("/v1.41/tasks", json!({"name": ["beta_web"]})),
    ] {
        let q = query_of(&list(swarm_policy(), path, &filters));
        assert!(q.contains(&owner), "{path} {filters}: {q}");
        assert!(!q.contains("\"beta_"), "{path} {filters}: {q}");
    }
    // a task list's service=: beta's, by id, prefix or name, is never sent
    for r in [BETA_WEB, "b7", "beta_web"] {
        let q = query_of(&list(
            swarm_policy(),
            "/v1.41/tasks",
            &json!({"service": [r]}),
        ));
        assert!(!q.contains(&format!("\"{r}\"")), "{r}: {q}");
        assert!(q.contains(&owner), "{q}");
    }
    // a filter key the lists do not know
    let v = list(
        swarm_policy(),
        "/v1.41/services",
        &json!({"owner": ["beta"]}),
    );
    assert_eq!(denied(&v).0, "tenancy.filter");
}

// ---------------------------------------------- names and injectivity

#[test]
fn names_in_another_tenants_scope_stay_in_alphas() {
    let mut b = service_body();
    b["Name"] = json!("beta_web");
    assert_eq!(body_of(&create(&b))["Name"], "alpha_beta_web");
    for (path, noun) in [
        ("/v1.41/secrets/create", "secret"),
        ("/v1.41/configs/create", "config"),
    ] {
        let v = judge_with(
            swarm_policy(),
            "alpha",
            "POST",
            path,
            br#"{"Name":"beta_pw","Data":"eA=="}"#,
        );
        assert_eq!(body_of(&v)["Name"], "alpha_beta_pw", "{noun}");
        // a name swarm or the CLI could read otherwise is refused
        for bad in ["", "/", "a/b", "../x", "x y"] {
            let body = json!({"Name": bad, "Data": "eA=="}).to_string();
            let v = judge_with(swarm_policy(), "alpha", "POST", path, body.as_bytes());
            assert!(matches!(v, Verdict::Deny(_)), "{noun} {bad:?}");
        }
        // and owner labels are the engine's to write
        let body = json!({"Name": "x1", "Data": "eA==", "Labels": {"fdcs.tenant": "beta"}});
        let v = judge_with(
            swarm_policy(),
            "alpha",
            "POST",
            path,
            body.to_string().as_bytes(),
        );
        assert_eq!(denied(&v).0, "tenancy.reserved-label");
    }
    // the daemon would name an unnamed service engine-wide: fdcs names it
    let mut b = service_body();
    b.as_object_mut().unwrap().remove("Name");
    let name = body_of(&create(&b))["Name"].as_str().unwrap().to_string();
    assert!(name.starts_with("alpha_"), "{name}");
}

#[test]
fn an_update_cannot_rename_nor_reach_beta() {
    for name in ["beta_web", "alpha_web", "WEB", "", "other"] {
        let mut b = service_body();
        b["Name"] = json!(name);
        let v = update("/v1.41/services/web/update?version=3", &b);
        assert!(
            matches!(&v, Verdict::Deny(d) if d.status == 400),
            "{name:?}: {v:?}"
        );
    }
    for r in [BETA_WEB, "b7q", "beta_web"] {
        let v = update(
            &format!("/v1.41/services/{r}/update?version=3"),
            &service_body(),
        );
        assert_eq!(denied_not_found(&v), format!("service {r} not found"));
    }
    // secrets and configs change only their labels, and only alpha's
    for (r, name) in [(BETA_SECRET, "pw"), ("beta_pw", "beta_pw")] {
        let body = json!({"Name": name, "Labels": {}}).to_string();
        let v = judge_with(
            swarm_policy(),
            "alpha",
            "POST",
            &format!("/v1.41/secrets/{r}/update?version=1"),
            body.as_bytes(),
        );
        denied_not_found(&v);
    }
    let body = json!({"Name": "beta_pw", "Labels": {}}).to_string();
    let v = judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        "/v1.41/secrets/pw/update?version=1",
        body.as_bytes(),
    );
    assert!(matches!(&v, Verdict::Deny(d) if d.status == 400), "{v:?}");
    let body = json!({"Name": "pw", "Labels": {"fdcs.tenant": "beta"}}).to_string();
    let v = judge_with(
        swarm_policy(),
        "alpha",
        "POST",
        "/v1.41/secrets/pw/update?version=1",
        body.as_bytes(),
    );
    assert_eq!(denied(&v).0, "tenancy.reserved-label");
}

#[test]
fn a_rollback_restores_only_a_judged_spec() {
    // the engine's previous spec binds `/`: judged, and refused
    let v = update(
        "/v1.41/services/old/update?version=3&rollback=previous",
        &service_body(),
    );
    assert_eq!(denied(&v).0, "mounts.no-host-path");
    // the query's first value is the one the daemon reads; a later
    // `rollback=previous` is dropped, never forwarded unjudged
    let mut old = service_body();
    old["Name"] = json!("old");
    let v = update(
        "/v1.41/services/old/update?version=3&rollback=none&rollback=previous",
        &old,
    );
    let q = forwarded(&v).query.clone().unwrap_or_default();
    assert!(!q.contains("previous"), "{q}");
    // and the body's own spec is what was judged
    assert!(body_of(&v)["TaskTemplate"]["ContainerSpec"]["Mounts"].is_null());
    // registryAuthFrom: only the request's own credentials
    for from in ["previous-spec", "PREVIOUS-SPEC", ""] {
        let v = update(
            &format!("/v1.41/services/web/update?version=3&registryAuthFrom={from}"),
            &service_body(),
        );
        let q = forwarded(&v).query.clone().unwrap_or_default();
        assert!(!q.to_ascii_lowercase().contains("previous"), "{from}: {q}");
    }
}

#[test]
fn registry_credentials_of_a_service_are_for_its_image_only() {
    use base64::Engine as _;
    let auth = |server: &str| {
        base64::engine::general_purpose::URL_SAFE
            .encode(json!({"username": "u", "password": "p", "serveraddress": server}).to_string())
    };
    let req = |header: String| {
        Request::new(
            "POST",
            "/v1.41/services/create",
            serde_json::to_vec(&service_body()).unwrap(),
        )
        .with_registry_auth(header)
    };
    let v = judge_req(swarm_policy(), "alpha", req(auth("evil.example.com")));
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
    let v = judge_req(swarm_policy(), "alpha", req("not base64 !".into()));
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

// -------------------------------------------------------------- quotas

fn sized(mode: Value, memory: i64) -> Value {
    let mut b = service_body();
    b["Mode"] = mode;
    b["TaskTemplate"]["Resources"] = json!({"Limits": {"MemoryBytes": memory}});
    b
}

#[test]
fn replicas_in_every_mode_count_against_the_quotas() {
    let gib = 1_i64 << 30;
    // alpha's two running tasks hold 2 GiB of the 4 GiB
    for mode in [
        json!({"Replicated": {"Replicas": 3}}),
        json!({"replicated": {"replicas": 3}}),
        json!({"Replicated": {"Replicas": 1, "replicas": 3}}),
        json!({"ReplicatedJob": {"MaxConcurrent": 3, "TotalCompletions": 100}}),
    ] {
        assert_eq!(
            denied(&create(&sized(mode.clone(), gib))).0,
            "quota.memory",
            "{mode}"
        );
    }
    for mode in [
        json!({"Replicated": {"Replicas": 19}}),
        json!({"Replicated": {"Replicas": 18_446_744_073_709_551_615_u64}}),
        json!({"ReplicatedJob": {"MaxConcurrent": 1000}}),
    ] {
        let v = create(&sized(mode.clone(), 8 << 20));
        assert!(denied(&v).0.starts_with("quota."), "{mode}: {v:?}");
    }
    // absent replicas are one, as the daemon reads them
    let v = create(&sized(json!({"Replicated": {}}), gib));
    assert!(matches!(v, Verdict::Rewrite(_)), "{v:?}");
    // a replica count swarm would not read as a number is refused
    let v = create(&sized(json!({"Replicated": {"Replicas": -1}}), gib));
    assert!(matches!(v, Verdict::Deny(_)));
    let v = create(&sized(json!({"Replicated": {"Replicas": "3"}}), gib));
    assert!(matches!(v, Verdict::Deny(_)));
}

#[test]

fn scaling_by_update_is_held_to_the_container_quota() {
    // alpha holds 2 tasks (20 allowed): a create of 200 tiny replicas is
    // refused, and so must the update that scales web to 200 be
    let tiny = |replicas: u64| {
        let mut b = service_body();
        b["Mode"] = json!({"Replicated": {"Replicas": replicas}});
        b["TaskTemplate"]["Resources"] = json!({"Limits": {
            "MemoryBytes": 8_i64 << 20, "NanoCPUs": 10_000_000, "Pids": 4}});
        b.as_object_mut().unwrap().remove("EndpointSpec");
        b
    };
    assert_eq!(denied(&create(&tiny(200))).0, "quota.containers");
    let v = update("/v1.41/services/web/update?version=3", &tiny(200));
    assert_eq!(denied(&v).0, "quota.containers", "{v:?}");
}

#[test]
fn scaling_by_update_counts_memory_beyond_what_is_held() {
    let gib = 1_i64 << 30;
    let v = update(
        "/v1.41/services/web/update?version=3",
        &sized(json!({"Replicated": {"Replicas": 5}}), gib),
    );
    assert_eq!(denied(&v).0, "quota.memory");
    // a rollback whose previous spec scales is judged the same way: alpha
    // `old` holds nothing (0 replicas) and its previous spec binds `/`
    let v = update(
        "/v1.41/services/old/update?version=3&rollback=previous",
        &service_body(),
    );
    assert!(matches!(v, Verdict::Deny(_)));
}

// --------------------------------------------------------------- nodes

#[test]
fn the_swarm_itself_stays_the_operators() {
    for (m, p) in [
        ("GET", "/v1.41/swarm"),
        ("GET", "/swarm"),
        ("GET", "/v1.24/swarm"),
        ("POST", "/v1.41/swarm/init"),
        ("POST", "/v1.41/swarm/join"),
        ("POST", "/v1.41/swarm/unlock"),
        ("POST", "/v1.41/nodes/n2/update?version=1"),
        ("DELETE", "/v1.41/nodes/n2?force=1"),
    ] {
        match judge(m, p) {
            Verdict::Deny(d) => assert_eq!(d.status, 403, "{m} {p}: {d:?}"),
            other => panic!("{m} {p}: {other:?}"),
        }
    }
}

fn node(id: &str, role: &str, labels: Value) -> Value {
    json!({
        "ID": id, "Version": {"Index": 9},
        "Spec": {"Name": "secret-name", "Role": role, "Availability": "active", "Labels": labels},
        "Description": {"Hostname": "host-17.internal", "Platform": {"OS": "linux"},
            "Resources": {"NanoCPUs": 64_000_000_000_u64, "MemoryBytes": 1_u64 << 40},
            "Engine": {"EngineVersion": "20.10.24", "Labels": {"dc": "zrh"}, "Plugins": []},
            "TLSInfo": {"TrustRoot": "-----BEGIN CERTIFICATE-----"}},
        "Status": {"State": "ready", "Addr": "10.1.2.3", "Message": "host-17 10.1.2.3"},
        "ManagerStatus": {"Leader": true, "Reachability": "reachable", "Addr": "10.1.2.3:2377"},
    })
}

#[test]
fn a_node_answer_shows_nothing_of_the_host() {
    let pool = fdcs_policy::NodePool {
        labels: [("pool".to_string(), "tenants".to_string())].into(),
        managers: false,
    };
    let plan = ResponseRewrite::NodeInspect {
        reference: "n2".into(),
        pool: pool.clone(),
    };
    let (status, out) = rewrite_answer(
        &plan,
        &tenant("alpha"),
        200,
        &serde_json::to_vec(&node(
            "n2",
            "worker",
            json!({"pool": "tenants", "rack": "r9"}),
        ))
        .unwrap(),
    );
    assert_eq!(status, 200);
    let text = String::from_utf8(out).unwrap();
    for leak in [
        "10.1.2.3",
        "host-17",
        "CERTIFICATE",
        "20.10.24",
        "zrh",
        "r9",
        "secret-name",
    ] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
    // a label-less worker, a manager in the pool and one spelled `Worker`
    // are outside it
    for n in [
        node("n3", "worker", json!({})),
        node("n1", "manager", json!({"pool": "tenants"})),
        node("n4", "Worker", json!({"pool": "tenants"})),
        node("n5", "worker", json!({"pool": "Tenants"})),
    ] {
        let (status, _) = rewrite_answer(
            &plan,
            &tenant("alpha"),
            200,
            &serde_json::to_vec(&n).unwrap(),
        );
        assert_eq!(status, 404, "{n}");
    }
    // a list cut to the pool
    let (_, out) = rewrite_answer(
        &ResponseRewrite::NodeList { pool },
        &tenant("alpha"),
        200,
        &serde_json::to_vec(&json!([
            node("n1", "manager", json!({"pool": "tenants"})),
            node("n2", "worker", json!({"pool": "tenants"}))
        ]))
        .unwrap(),
    );
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert!(!v.to_string().contains("10.1.2.3"));
}

#[test]

fn node_filters_are_no_oracle_for_what_the_answer_hides() {
    for filters in [
        json!({"name": ["host-1"]}),
        json!({"label": ["dc=zrh"]}),
        json!({"node.label": ["rack=r9"]}),
    ] {
        match list(pool_policy(), "/v1.41/nodes", &filters) {
            Verdict::Deny(_) => {}
            v => {
                let q = query_of(&v);
                for probe in ["host-1", "zrh", "r9"] {
                    assert!(!q.contains(probe), "{filters}: forwarded {q}");
                }
            }
        }
    }
    // nor a node inspect by hostname (only ids are shown, so only ids name)
    match judge_with(
        pool_policy(),
        "alpha",
        "GET",
        "/v1.41/nodes/host-17.internal",
        b"",
    ) {
        Verdict::Deny(_) => {}
        v => assert!(!forwarded(&v).path.contains("host-17"), "{v:?}"),
    }
}

#[test]
fn a_task_lists_node_filter_is_no_oracle_for_nodes_outside_the_pool() {
    match list(
        pool_policy(),
        "/v1.41/tasks",
        &json!({"node": ["manager-1"]}),
    ) {
        Verdict::Deny(_) => {}
        v => {
            let q = query_of(&v);
            assert!(!q.contains("manager-1"), "forwarded {q}");
        }
    }
}

#[test]

fn templates_do_not_reveal_node_hostnames() {
    for (at, value) in [
        (
            "/TaskTemplate/ContainerSpec/Hostname",
            json!("{{.Node.Hostname}}"),
        ),
        (
            "/TaskTemplate/ContainerSpec/Env",
            json!(["H={{.Node.Hostname}}"]),
        ),
    ] {
        let v = create_with(pool_policy(), &with(at, value.clone()));
        match &v {
            Verdict::Deny(_) => {}
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                let b = f.body.as_ref().unwrap().to_string();
                assert!(!b.contains(".Node.Hostname"), "{at} = {value}: forwarded");
            }
            other => panic!("{other:?}"),
        }
    }
}

// -------------------------------------------------------------- answers

#[test]
fn answers_do_not_leak_other_tenants_or_fdcs() {
    // a service answer: the engine-side names become alpha's; a name in
    // beta's scope stays as it is (alpha never sees it as its own)
    let svc = json!({"ID": ALPHA_WEB, "Spec": {"Name": "alpha_web",
        "Labels": {OWNER_LABEL: "alpha", "fdcs.reserve": "1,2,3,4"},
        "TaskTemplate": {"ContainerSpec": {"Image": "busybox",
            "Labels": {OWNER_LABEL: "alpha", "fdcs.reserve": "1,2,3,4"},
            "Secrets": [{"SecretID": ALPHA_SECRET, "SecretName": "alpha_pw"}],
            "Configs": [{"ConfigID": ALPHA_CONFIG, "ConfigName": "alpha_conf"}]}}},
        "UpdateStatus": {"Message": "update paused: task alpha_web.1.x failed"}});
    let (_, out) = rewrite_answer(
        &ResponseRewrite::ServiceInspect,
        &tenant("alpha"),
        200,
        &serde_json::to_vec(&svc).unwrap(),
    );
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("fdcs."), "{text}");
    assert!(!text.contains("alpha_"), "{text}");
    // lists hold only alpha's
    let all: Vec<Value> = world()
        .iter()
        .filter(|o| o.kind == ResourceKind::Secret || o.kind == ResourceKind::Config)
        .map(json_of)
        .collect();
    let (_, out) = rewrite_answer(
        &ResponseRewrite::SecretList,
        &tenant("alpha"),
        200,
        &serde_json::to_vec(&all).unwrap(),
    );
    let text = String::from_utf8(out).unwrap();
    assert!(
        !text.contains("beta") && !text.contains(BETA_SECRET),
        "{text}"
    );
    // a task of beta's in a task list answer is dropped, whatever its
    // service labels say
    let t = json!([{"ID": BETA_TASK, "ServiceID": ALPHA_WEB,
        "Spec": {"ContainerSpec": {"Labels": {OWNER_LABEL: "beta"}}},
        "Labels": {OWNER_LABEL: "alpha"}}]);
    let (_, out) = rewrite_answer(
        &ResponseRewrite::TaskList,
        &tenant("alpha"),
        200,
        &serde_json::to_vec(&t).unwrap(),
    );
    assert_eq!(out, b"[]");
    // swarm events are the engine's: never shown to a tenant
    for ty in ["service", "node", "secret", "config"] {
        let line = json!({"Type": ty, "Action": "create", "scope": "swarm",
            "Actor": {"ID": BETA_WEB, "Attributes": {"name": "beta_web"}}});
        assert!(fdcs_policy::tenancy::rewrite::rewrite_event(
            &tenant("alpha"),
            &serde_json::to_vec(&line).unwrap()
        )
        .is_none());
    }
}

#[test]
fn overlay_networks_a_tenant_makes_are_its_own_and_plain() {
    let make = |body: Value| {
        judge_with(
            swarm_policy(),
            "alpha",
            "POST",
            "/v1.41/networks/create",
            &serde_json::to_vec(&body).unwrap(),
        )
    };
    let v =
        make(json!({"Name": "ingress", "Driver": "overlay", "Scope": "swarm", "Attachable": true}));
    assert_eq!(body_of(&v)["Name"], "alpha_ingress");
    assert_eq!(body_of(&v)["Labels"][OWNER_LABEL], "alpha");
    // the routing mesh's own network, a config of another network's, or a
    // config-only network are no tenant's to make
    for extra in [
        json!({"Ingress": true}),
        json!({"ConfigFrom": {"Network": "beta_cfg"}}),
        json!({"ConfigOnly": true}),
        json!({"Labels": {"fdcs.tenant": "beta"}}),
    ] {
        let mut b = json!({"Name": "n1", "Driver": "overlay", "Scope": "swarm"});
        for (k, val) in extra.as_object().unwrap() {
            b[k] = val.clone();
        }
        assert!(matches!(make(b.clone()), Verdict::Deny(_)), "{b}");
    }
}
