//! A denial's parts (rule, status, what, instead, the compose wording of
//! instead, field) and the `{"message"}` rendered from them: the client
//! sees exactly the text it always saw, and `lint` can say the same thing
//! in a compose file's terms without parsing the message back apart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use fdcs_policy::{
    judge, Denial, Facts, Owned, Policy, Request, RuleId, Tenant, TenantId, Verdict,
};
use serde_json::{json, Value};

fn denied(hc: Value) -> Denial {
    let policy = Policy::embedded_default().unwrap();
    let tenant = Tenant::new(TenantId::new("alpha").unwrap());
    let body = json!({"Image": "busybox", "HostConfig": hc}).to_string();
    let req = Request::new("POST", "/v1.41/containers/create", body.into_bytes());
    let facts = Facts {
        containers: Some(Vec::<Owned>::new()),
        networks: Some(vec![]),
        volumes: Some(vec![]),
        usage: Some(Default::default()),
        images: [("busybox".to_string(), Some(Default::default()))].into(),
        ..Facts::default()
    };
    match judge(&policy, &tenant, &req, &facts) {
        Verdict::Deny(d) => d,
        v => panic!("expected a denial, got {v:?}"),
    }
}

/// The message is `fdcs: <what> (rule <id>); <instead>`, made of the parts.
fn assert_rendered(d: &Denial) {
    let id = d.rule_id().expect("a rule");
    assert_eq!(d.rule.as_deref(), Some(id.as_str()));
    assert_eq!(
        d.message,
        format!("fdcs: {} (rule {id}); {}", d.what(), d.instead().unwrap())
    );
    assert_eq!(d.to_json(), json!({ "message": d.message }).to_string());
}

#[test]
fn a_host_port_denial_says_it_for_the_cli_and_for_compose() {
    let d = denied(json!({"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}));
    assert_eq!(d.rule_id(), Some(&RuleId::PORTS_EPHEMERAL_ONLY));
    assert_eq!(d.status, 403);
    assert_eq!(d.what(), "host port 8080 is not allowed");
    assert_eq!(
        d.instead(),
        Some("publish with -P or -p 80 to get a daemon-assigned port")
    );
    assert!(
        d.instead_compose().unwrap().contains(r#"ports: ["80"]"#),
        "{:?}",
        d.instead_compose()
    );
    assert_eq!(
        d.field.as_deref(),
        Some(r#"HostConfig.PortBindings["80/tcp"][0].HostPort"#)
    );
    assert_rendered(&d);
    assert_eq!(
        d.message,
        "fdcs: host port 8080 is not allowed (rule ports.ephemeral-only); publish with -P or -p 80 to get a daemon-assigned port"
    );
}

#[test]
fn the_rules_compose_users_hit_have_compose_wording() {
    for (hc, rule, compose) in [
        (
            json!({"Binds": ["/etc:/x"]}),
            RuleId::MOUNTS_NO_HOST_PATH,
            "data:/path",
        ),
        (
            json!({"Privileged": true}),
            RuleId::PRIVILEGES_PRIVILEGED,
            "privileged: true",
        ),
        (
            json!({"CapAdd": ["SYS_ADMIN"]}),
            RuleId::PRIVILEGES_CAPABILITIES,
            "cap_add",
        ),
        (
            json!({"Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]}),
            RuleId::PRIVILEGES_DEVICES,
            "devices:",
        ),
        (
            json!({"SecurityOpt": ["seccomp=unconfined"]}),
            RuleId::PRIVILEGES_SECURITY_OPT,
            "security_opt",
        ),
        (
            json!({"Sysctls": {"net.ipv4.ip_forward": "1"}}),
            RuleId::PRIVILEGES_SYSCTLS,
            "sysctls:",
        ),
        (
            json!({"NetworkMode": "host"}),
            RuleId::NAMESPACES_NO_HOST,
            "network_mode: host",
        ),
        (
            json!({"PidMode": "host"}),
            RuleId::NAMESPACES_NO_HOST,
            "pid: host",
        ),
        (
            json!({"IpcMode": "host"}),
            RuleId::NAMESPACES_NO_HOST,
            "ipc: host",
        ),
        (
            json!({"Memory": 1_i64 << 40}),
            RuleId::RESOURCES_MEMORY,
            "mem_limit",
        ),
        (
            json!({"NanoCpus": 64_000_000_000_i64}),
            RuleId::RESOURCES_CPU,
            "cpus",
        ),
        (
            json!({"PidsLimit": 1_000_000}),
            RuleId::RESOURCES_PIDS,
            "pids_limit",
        ),
        (
            json!({"Tmpfs": {"/x": "size=100g"}}),
            RuleId::BOUNDS_TMPFS,
            "tmpfs:",
        ),
        (
            json!({"LogConfig": {"Type": "syslog", "Config": {}}}),
            RuleId::PRIVILEGES_LOG_DRIVER,
            "logging:",
        ),
        (
            json!({"LogConfig": {"Type": "json-file", "Config": {"max-size": "1000g"}}}),
            RuleId::BOUNDS_LOGS,
            "max-size",
        ),
    ] {
        let d = denied(hc.clone());
        assert_eq!(d.rule_id(), Some(&rule), "{hc}: {}", d.message);
        let c = d
            .instead_compose()
            .unwrap_or_else(|| panic!("{hc}: no compose wording"));
        assert!(c.contains(compose), "{hc}: {c}");
        assert_rendered(&d);
    }
}

#[test]
fn the_daemons_own_answers_have_no_instead() {
    let d = Denial::not_found("No such container: db");
    assert_eq!(
        (d.status, d.rule_id(), d.rule.as_deref()),
        (404, None, None)
    );
    assert_eq!(d.message, "No such container: db");
    assert_eq!(d.what(), "No such container: db");
    assert_eq!(d.instead(), None);
    assert_eq!(d.to_json(), r#"{"message":"No such container: db"}"#);
}

/// The two engine rules the default policy cannot trip (it allows every
/// image and shares every registry it lists), shown with a policy that can:
/// the corpus (`corpus.rs`) shows every other documented engine rule.
#[test]
fn images_allowed_and_images_private_are_emitted_by_a_policy_that_restricts() {
    let yaml = include_str!("../../policies/default.yaml")
        .replace(
            r#"allow: ["*"]"#,
            r#"allow: ["busybox*", "reg.example:5000/*"]"#,
        )
        .replace(
            "registries: [docker.io]",
            r#"registries: [docker.io, "reg.example:5000"]"#,
        );
    let policy = Policy::from_yaml(&yaml, "denials.yaml").unwrap();
    let tenant = Tenant::new(TenantId::new("alpha").unwrap());
    let facts = Facts {
        images: [("nginx".to_string(), Some(Default::default()))].into(),
        ..Facts::offline()
    };
    let deny = |req: Request| match judge(&policy, &tenant, &req, &facts) {
        Verdict::Deny(d) => d,
        v => panic!("expected a denial, got {v:?}"),
    };
    let body = json!({"Image": "nginx"}).to_string().into_bytes();
    let d = deny(Request::new("POST", "/v1.41/containers/create", body));
    assert_eq!(d.rule_id(), Some(&RuleId::IMAGES_ALLOWED), "{}", d.message);
    let long = "a".repeat(230);
    let target = format!("/v1.41/images/create?fromImage=reg.example:5000/{long}&tag=1");
    let d = deny(Request::new("POST", &target, Vec::new()));
    assert_eq!(d.rule_id(), Some(&RuleId::IMAGES_PRIVATE), "{}", d.message);
}
