//! Enforcement modes (issue 11 item 5), as a hostile tenant and a careless
//! operator would test them: a rule in `warn` or `audit` mode lets its own
//! violation through with a warning, and never anything else.
//!
//! - mixed modes on one body: a downgraded rule never hides another rule's
//!   violation, whatever order the rules run in;
//! - case, duplicate-key and legacy-placement variants of the same body;
//! - every downgradable rule id, in `warn` and in `audit`: allowed with one
//!   kind of warning, and what is forwarded is what the client sent;
//! - invariant rules (tenancy, route, decode, auth, 400s) cannot be
//!   downgraded, neither at load nor by a rule's 400;
//! - CEL rules in `warn` and `audit`, an evaluation failure included;
//! - properties: with every mode `deny`, verdicts are those of a policy
//!   without the block; with every mode `warn`, a request is allowed only
//!   with a warning for the rule that denied it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::collections::BTreeMap;

use fdcs_policy::policy::downgradable;
use fdcs_policy::{
    add_warnings, judge, Denial, EnforcementMode, Facts, Forward, Owned, Policy, Request, RuleId,
    Tenant, TenantId, Verdict, Warning, WarningsField,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const WEB: &str = "a111111111111111111111111111111111111111111111111111111111111111";

fn facts() -> Facts {
    Facts {
        containers: Some(vec![Owned {
            id: WEB.into(),
            name: "alpha_web".into(),
        }]),
        networks: Some(Vec::new()),
        volumes: Some(Vec::new()),
        usage: Some(Default::default()),
        images: BTreeMap::from([
            ("busybox".to_string(), Some(Default::default())),
            ("nginx".to_string(), Some(Default::default())),
        ]),
        named_images: Some(Vec::new()),
        ..Facts::default()
    }
}

fn alpha() -> Tenant {
    Tenant::new(TenantId::new("alpha").unwrap())
}

/// The text of a policy of the FDCS defaults plus `extra` (top-level YAML).
fn src(extra: &str) -> String {
    format!("apiVersion: fdcs/v1\nkind: Policy\nname: t\n{extra}")
}

/// A policy of the FDCS defaults plus `extra` (top-level YAML).
fn policy(extra: &str) -> Policy {
    let src = src(extra);
    Policy::from_yaml(&src, "t.yaml").unwrap_or_else(|e| panic!("{e}\n{src}"))
}

fn load_err(extra: &str) -> String {
    let src = src(extra);
    match Policy::from_yaml(&src, "t.yaml") {
        Ok(_) => panic!("expected a load error for\n{src}"),
        Err(e) => e.to_string(),
    }
}

fn send(p: &Policy, method: &str, target: &str, body: &Value) -> Verdict {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    judge(p, &alpha(), &Request::new(method, target, body), &facts())
}

fn create(p: &Policy, hc: Value) -> Verdict {
    send(
        p,
        "POST",
        "/v1.41/containers/create?name=web",
        &json!({"Image": "busybox", "HostConfig": hc}),
    )
}

#[track_caller]
fn denied(v: Verdict, rule: &RuleId) -> Denial {
    match v {
        Verdict::Deny(d) => {
            assert_eq!(d.rule_id(), Some(rule), "{d:?}");
            d
        }
        other => panic!("expected a denial by {rule}, got {other:?}"),
    }
}

#[track_caller]
fn forwarded(v: Verdict) -> Forward {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f,
        other => panic!("expected a forward, got {other:?}"),
    }
}

/// The (rule, mode) pairs a forward carries, deduplicated, in order.
fn warned(f: &Forward) -> Vec<(String, EnforcementMode)> {
    let mut out: Vec<(String, EnforcementMode)> = Vec::new();
    for w in &f.warnings {
        let key = (w.rule().map(|r| r.to_string()).unwrap_or_default(), w.mode);
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

fn hc(f: &Forward) -> &Value {
    &f.body.as_ref().unwrap()["HostConfig"]
}

// ------------------------------------------------------ mixed modes --

#[test]
fn privileged_in_warn_does_not_hide_an_added_capability() {
    let p = policy("enforcement:\n  privileges.privileged: warn\n");
    let both = json!({"Privileged": true, "CapAdd": ["SYS_ADMIN"]});
    let d = denied(create(&p, both), &RuleId::PRIVILEGES_CAPABILITIES);
    assert_eq!(d.status, 403);
    let f = forwarded(create(&p, json!({"Privileged": true})));
    assert_eq!(
        warned(&f),
        [("privileges.privileged".into(), EnforcementMode::Warn)]
    );
    // forwarded as the client sent it: the operator allowed it, noisily
    assert_eq!(hc(&f)["Privileged"], true);
}

#[test]
fn capabilities_in_warn_does_not_hide_privileged_mode() {
    let p = policy("enforcement:\n  privileges.capabilities: warn\n");
    let both = json!({"Privileged": true, "CapAdd": ["SYS_ADMIN"]});
    denied(create(&p, both), &RuleId::PRIVILEGES_PRIVILEGED);
}

#[test]
fn three_modes_on_one_body_deny_for_the_deny_rule() {
    let p =
        policy("enforcement:\n  privileges.privileged: warn\n  privileges.capabilities: audit\n");
    let all = json!({
        "Privileged": true,
        "CapAdd": ["SYS_ADMIN", "NET_ADMIN"],
        "Devices": [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}],
    });
    denied(create(&p, all), &RuleId::PRIVILEGES_DEVICES);
    let two = json!({"Privileged": true, "CapAdd": ["SYS_ADMIN", "NET_ADMIN"]});
    let f = forwarded(create(&p, two));
    assert_eq!(
        warned(&f),
        [
            ("privileges.privileged".into(), EnforcementMode::Warn),
            ("privileges.capabilities".into(), EnforcementMode::Audit)
        ]
    );
    // every added capability was judged, and each is named
    let caps: Vec<String> = f
        .warnings
        .iter()
        .filter(|w| w.mode == EnforcementMode::Audit)
        .map(|w| w.denial.what().to_string())
        .collect();
    assert_eq!(caps.len(), 2, "{caps:?}");
    assert_eq!(hc(&f)["CapAdd"], json!(["SYS_ADMIN", "NET_ADMIN"]));
}

#[test]
fn a_warned_family_never_hides_a_later_family() {
    // ports run before mounts, privileges before namespaces, built-in
    // rules before custom ones: each later refusal still stands
    let p = policy(
        "enforcement:\n  ports.ephemeral-only: warn\n  privileges.sysctls: warn\n  \
         resources.memory: audit\n\
         custom:\n  - id: owner\n    match: { endpoints: [ContainerCreate] }\n    \
         expression: \"has(object.Labels) && 'owner' in object.Labels\"\n    \
         message: \"an owner label is required; add --label owner=you\"\n",
    );
    let port = json!({"80/tcp": [{"HostPort": "8080"}]});
    denied(
        create(&p, json!({"PortBindings": port, "Binds": ["/etc:/x"]})),
        &RuleId::MOUNTS_NO_HOST_PATH,
    );
    denied(
        create(
            &p,
            json!({"Sysctls": {"net.ipv4.ip_forward": "1"}, "PidMode": "host"}),
        ),
        &RuleId::NAMESPACES_NO_HOST,
    );
    denied(
        create(&p, json!({"PortBindings": port, "Memory": 2_i64 << 30})),
        &RuleId::custom("owner"),
    );
    // the same body with the label: allowed, two warnings
    let v = send(
        &p,
        "POST",
        "/v1.41/containers/create?name=web",
        &json!({"Image": "busybox", "Labels": {"owner": "me"},
                "HostConfig": {"PortBindings": port, "Memory": 2_i64 << 30}}),
    );
    let f = forwarded(v);
    assert_eq!(
        warned(&f),
        [
            ("ports.ephemeral-only".into(), EnforcementMode::Warn),
            ("resources.memory".into(), EnforcementMode::Audit)
        ]
    );
    // neither clamped nor replaced: the client's value goes on
    assert_eq!(hc(&f)["Memory"], 2_i64 << 30);
    assert_eq!(hc(&f)["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
}

#[test]
fn a_downgraded_rule_s_input_error_is_still_refused() {
    // bounds.tmpfs in audit lets a size above the ceiling through, but a
    // size the kernel reads differently from fdcs is a 400 whatever the mode
    let p = policy("enforcement:\n  bounds.tmpfs: audit\n  resources.cpu: warn\n");
    let f = forwarded(create(
        &p,
        json!({"Tmpfs": {"/t": "size=1g"}, "Memory": 1_i64 << 30}),
    ));
    assert!(warned(&f)
        .iter()
        .all(|(r, m)| r == "bounds.tmpfs" && *m == EnforcementMode::Audit));
    assert!(!f.warnings.is_empty());
    let d = denied(
        create(&p, json!({"Tmpfs": {"/t": "size=0x10"}})),
        &RuleId::BOUNDS_TMPFS,
    );
    assert_eq!(d.status, 400);
    let d = denied(
        create(
            &p,
            json!({"NanoCpus": 1_000_000_000_i64, "CpuQuota": 50_000}),
        ),
        &RuleId::RESOURCES_CPU,
    );
    assert_eq!(d.status, 400);
}

#[test]
fn a_warned_rule_does_not_open_tenancy() {
    let p = policy("enforcement:\n  privileges.privileged: warn\n  namespaces.no-host: warn\n");
    // another tenant's container, named while privileged is only warned
    let v = create(&p, json!({"Privileged": true, "VolumesFrom": ["beta_db"]}));
    match v {
        Verdict::Deny(d) => assert_eq!(d.status, 400, "{d:?}"),
        other => panic!("expected the daemon's answer for a missing container, got {other:?}"),
    }
    // a reserved label, a scoped name: refused as before
    let v = send(
        &p,
        "POST",
        "/v1.41/containers/create?name=web",
        &json!({"Image": "busybox", "Labels": {"fdcs.tenant": "beta"},
                "HostConfig": {"Privileged": true}}),
    );
    denied(v, &RuleId::TENANCY_RESERVED_LABEL);
    // a container namespace of another tenant's, with host namespaces warned
    let v = create(&p, json!({"PidMode": "container:beta_db"}));
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

#[test]
fn the_host_network_in_warn_mode_is_the_host_s_and_reported() {
    let p = policy("enforcement:\n  namespaces.no-host: warn\n");
    let f = forwarded(create(&p, json!({"NetworkMode": "host"})));
    assert_eq!(
        warned(&f),
        [("namespaces.no-host".into(), EnforcementMode::Warn)]
    );
    assert_eq!(hc(&f)["NetworkMode"], "host");
    // in deny mode: refused, as before
    denied(
        create(&policy(""), json!({"NetworkMode": "host"})),
        &RuleId::NAMESPACES_NO_HOST,
    );
}

// ---------------------------------------- case and spelling variants --

#[test]
fn case_and_duplicate_key_variants_do_not_escape_a_deny_rule() {
    let p = policy("enforcement:\n  privileges.privileged: warn\n");
    for body in [
        r#"{"Image":"busybox","HostConfig":{"privileged":true,"capadd":["SYS_ADMIN"]}}"#,
        r#"{"Image":"busybox","hostconfig":{"PRIVILEGED":true,"CAPADD":["cap_sys_admin"]}}"#,
        // the legacy top-level placement of older API versions
        r#"{"Image":"busybox","Privileged":true,"CapAdd":["sys_admin"]}"#,
    ] {
        let req = Request::new(
            "POST",
            "/v1.24/containers/create?name=web",
            body.as_bytes().to_vec(),
        );
        let v = judge(&p, &alpha(), &req, &facts());
        denied(v, &RuleId::PRIVILEGES_CAPABILITIES);
    }
    // a privileged key spelled twice: the decoder's answer, whatever the mode
    let req = Request::new(
        "POST",
        "/v1.41/containers/create?name=web",
        br#"{"Image":"busybox","HostConfig":{"Privileged":false,"privileged":true,"Privileged":false}}"#
            .to_vec(),
    );
    let v = judge(&p, &alpha(), &req, &facts());
    if let Verdict::Deny(d) = &v {
        assert!(
            d.rule.as_deref().is_some_and(|r| r.starts_with("decode.")),
            "{d:?}"
        );
    }
}

#[test]
fn rule_id_and_mode_spellings_are_load_errors_at_their_place() {
    for (block, needle) in [
        (
            "  Privileges.Capabilities: warn\n",
            "unknown rule id `Privileges.Capabilities`",
        ),
        (
            "  \"privileges.capabilities \": warn\n",
            "unknown rule id `privileges.capabilities `",
        ),
        ("  privileges.*: warn\n", "unknown rule id `privileges.*`"),
        ("  privileges: warn\n", "unknown rule id `privileges`"),
        ("  custom.nope: audit\n", "unknown rule id `custom.nope`"),
        (
            "  privileges.capabilities: warning\n",
            "unknown enforcement mode `warning`",
        ),
        (
            "  privileges.capabilities: off\n",
            "unknown enforcement mode `off`",
        ),
        (
            "  privileges.capabilities: true\n",
            "unknown enforcement mode",
        ),
    ] {
        let e = load_err(&format!("enforcement:\n{block}"));
        assert!(e.starts_with("t.yaml:5:"), "{e}");
        assert!(e.contains(needle), "{needle}: {e}");
    }
    let e = load_err(
        "enforcement:\n  privileges.capabilities: warn\n  privileges.capabilities: deny\n",
    );
    assert!(
        e.contains("duplicate") || e.contains("privileges.capabilities"),
        "{e}"
    );
    let e = load_err("enforcement: [privileges.capabilities]\n");
    assert!(e.starts_with("t.yaml:4:"), "{e}");
    // Kubernetes' spelling is accepted
    let p = policy("enforcement:\n  privileges.capabilities: Warn\n  privileges.devices: AUDIT\n");
    assert_eq!(
        p.mode(&RuleId::PRIVILEGES_CAPABILITIES),
        EnforcementMode::Warn
    );
    assert_eq!(p.mode(&RuleId::PRIVILEGES_DEVICES), EnforcementMode::Audit);
    assert_eq!(
        p.mode(&RuleId::PRIVILEGES_PRIVILEGED),
        EnforcementMode::Deny
    );
    // a custom rule by the id its denials carry, never by its bare name
    let custom = "custom:\n  - id: env.small\n    match: { endpoints: [ContainerCreate] }\n    \
                  expression: \"true\"\n    message: \"m\"\n";
    let p = policy(&format!(
        "{custom}enforcement:\n  custom.env.small: audit\n"
    ));
    assert_eq!(p.mode(&RuleId::custom("env.small")), EnforcementMode::Audit);
    let e = load_err(&format!("{custom}enforcement:\n  env.small: audit\n"));
    assert!(e.contains("unknown rule id `env.small`"), "{e}");
}

#[test]
fn invariant_rules_cannot_be_downgraded_and_policy_rules_can() {
    let mut downgradable_ids = 0;
    for rule in RuleId::builtin() {
        for mode in ["warn", "audit"] {
            let block = format!("enforcement:\n  {rule}: {mode}\n");
            let src = format!("apiVersion: fdcs/v1\nkind: Policy\nname: t\n{block}");
            match (downgradable(rule), Policy::from_yaml(&src, "t.yaml")) {
                (Ok(()), Ok(p)) => assert_eq!(p.mode(rule).as_str(), mode),
                (Err(why), Err(e)) => {
                    let e = e.to_string();
                    assert!(e.starts_with("t.yaml:5:"), "{e}");
                    assert!(
                        e.contains(&format!("`{rule}` cannot be put in {mode} mode")),
                        "{e}"
                    );
                    assert!(e.contains(why), "{e}");
                }
                (d, l) => panic!("{rule} {mode}: downgradable {d:?}, load {l:?}"),
            }
        }
        // `deny` is every rule's mode already: saying so is fine
        policy(&format!("enforcement:\n  {rule}: deny\n"));
        if downgradable(rule).is_ok() {
            downgradable_ids += 1;
        }
    }
    assert!(downgradable_ids >= 30, "{downgradable_ids}");
    for rule in [
        RuleId::TENANCY_NAME,
        RuleId::TENANCY_NOT_FOUND,
        RuleId::TENANCY_RESERVED_LABEL,
        RuleId::TENANCY_FILTER,
        RuleId::ROUTE_UNKNOWN,
        RuleId::ROUTE_AMBIGUOUS,
        RuleId::DECODE_UNKNOWN_FIELD,
        RuleId::DECODE_AMBIGUOUS,
        RuleId::REQUEST_MALFORMED,
        RuleId::AUTH_MISSING,
        RuleId::BODY_TOO_LARGE,
        RuleId::IMAGES_RESERVED,
        RuleId::IMAGES_PRIVATE,
        RuleId::IMAGES_MANAGE,
        RuleId::SYSTEM_ADMIN,
        RuleId::VOLUMES_ANONYMOUS,
        RuleId::NETWORKS_PREDEFINED,
        RuleId::NETWORKS_DRIVER,
        RuleId::COMPOSE_MEMORY_UNSET,
    ] {
        assert!(downgradable(&rule).is_err(), "{rule}");
    }
}

// ---------------------------------- every downgradable rule, one by one --

/// One request that breaks `rule` (and, under the policy `extra`, nothing
/// else), and where its offending value sits in the forwarded body.
struct Case {
    rule: RuleId,
    extra: &'static str,
    method: &'static str,
    target: &'static str,
    body: Value,
    kept: Option<(&'static str, Value)>,
}

fn case(rule: RuleId, hc: Value, kept: Option<(&'static str, Value)>) -> Case {
    Case {
        rule,
        extra: "",
        method: "POST",
        target: "/v1.41/containers/create?name=web",
        body: json!({"Image": "busybox", "HostConfig": hc}),
        kept,
    }
}

fn cases() -> Vec<Case> {
    let dev = json!([{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]);
    let mut v = vec![
        case(
            RuleId::PORTS_EPHEMERAL_ONLY,
            json!({"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}),
            Some(("/HostConfig/PortBindings/80~1tcp/0/HostPort", json!("8080"))),
        ),
        case(
            RuleId::MOUNTS_NO_HOST_PATH,
            json!({"Binds": ["/etc:/x"]}),
            Some(("/HostConfig/Binds/0", json!("/etc:/x"))),
        ),
        case(
            RuleId::PRIVILEGES_PRIVILEGED,
            json!({"Privileged": true}),
            Some(("/HostConfig/Privileged", json!(true))),
        ),
        case(
            RuleId::PRIVILEGES_CAPABILITIES,
            json!({"CapAdd": ["NET_ADMIN"]}),
            Some(("/HostConfig/CapAdd/0", json!("NET_ADMIN"))),
        ),
        case(
            RuleId::PRIVILEGES_DEVICES,
            json!({"Devices": dev}),
            Some(("/HostConfig/Devices/0/PathOnHost", json!("/dev/sda"))),
        ),
        case(
            RuleId::PRIVILEGES_SECURITY_OPT,
            json!({"SecurityOpt": ["seccomp=unconfined"]}),
            Some(("/HostConfig/SecurityOpt/0", json!("seccomp=unconfined"))),
        ),
        case(
            RuleId::PRIVILEGES_SYSCTLS,
            json!({"Sysctls": {"net.ipv4.ip_forward": "1"}}),
            Some(("/HostConfig/Sysctls/net.ipv4.ip_forward", json!("1"))),
        ),
        case(RuleId::PRIVILEGES_PATHS, json!({"MaskedPaths": []}), None),
        case(
            RuleId::PRIVILEGES_CGROUP_PARENT,
            json!({"CgroupParent": "/system.slice"}),
            Some(("/HostConfig/CgroupParent", json!("/system.slice"))),
        ),
        case(
            RuleId::PRIVILEGES_RUNTIME,
            json!({"Runtime": "runc-debug"}),
            Some(("/HostConfig/Runtime", json!("runc-debug"))),
        ),
        case(
            RuleId::PRIVILEGES_OOM_SCORE_ADJ,
            json!({"OomScoreAdj": -1000}),
            Some(("/HostConfig/OomScoreAdj", json!(-1000))),
        ),
        case(
            RuleId::NAMESPACES_NO_HOST,
            json!({"PidMode": "host"}),
            Some(("/HostConfig/PidMode", json!("host"))),
        ),
        case(
            RuleId::RESOURCES_MEMORY,
            json!({"Memory": 2_i64 << 30}),
            Some(("/HostConfig/Memory", json!(2_i64 << 30))),
        ),
        case(
            RuleId::RESOURCES_CPU,
            json!({"NanoCpus": 3_000_000_000_i64}),
            Some(("/HostConfig/NanoCpus", json!(3_000_000_000_i64))),
        ),
        case(
            RuleId::RESOURCES_PIDS,
            json!({"PidsLimit": 2000}),
            Some(("/HostConfig/PidsLimit", json!(2000))),
        ),
        case(
            RuleId::BOUNDS_TMPFS,
            json!({"ShmSize": 1_i64 << 30, "Memory": 1_i64 << 30}),
            Some(("/HostConfig/ShmSize", json!(1_i64 << 30))),
        ),
        case(
            RuleId::BOUNDS_LOGS,
            json!({"LogConfig": {"Type": "json-file", "Config": {"max-size": "1000g"}}}),
            Some(("/HostConfig/LogConfig/Config/max-size", json!("1000g"))),
        ),
        case(
            RuleId::BOUNDS_CPU_WEIGHT,
            json!({"CpuShares": 262_144}),
            Some(("/HostConfig/CpuShares", json!(262_144))),
        ),
        case(
            RuleId::BOUNDS_REALTIME,
            json!({"CpuRealtimeRuntime": 950_000}),
            Some(("/HostConfig/CpuRealtimeRuntime", json!(950_000))),
        ),
        Case {
            rule: RuleId::BOUNDS_HEALTHCHECK,
            extra: "",
            method: "POST",
            target: "/v1.41/containers/create?name=web",
            body: json!({"Image": "busybox",
                         "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1_000_000}}),
            kept: Some(("/Healthcheck/Interval", json!(1_000_000))),
        },
        Case {
            rule: RuleId::BOUNDS_PORTS,
            extra: "rules:\n  bounds:\n    ports: { maxPublished: 1, maxExposed: 32 }\n",
            method: "POST",
            target: "/v1.41/containers/create?name=web",
            body: json!({"Image": "busybox", "HostConfig": {"PortBindings": {
                "80/tcp": [{"HostPort": ""}], "81/tcp": [{"HostPort": ""}]}}}),
            kept: Some(("/HostConfig/PortBindings/81~1tcp", json!([{}]))),
        },
        Case {
            rule: RuleId::QUOTA_MEMORY,
            extra: "rules:\n  quotas: { memory: 128Mi }\n",
            method: "POST",
            target: "/v1.41/containers/create?name=web",
            body: json!({"Image": "busybox", "HostConfig": {"Memory": 256_i64 << 20}}),
            kept: Some(("/HostConfig/Memory", json!(256_i64 << 20))),
        },
        Case {
            rule: RuleId::IMAGES_ALLOWED,
            extra: "rules:\n  images: { allow: [\"busybox*\"] }\n",
            method: "POST",
            target: "/v1.41/containers/create?name=web",
            body: json!({"Image": "nginx"}),
            kept: None,
        },
        Case {
            rule: RuleId::IMAGES_PULL,
            extra: "rules:\n  images: { allowPull: false }\n",
            method: "POST",
            target: "/v1.41/images/create?fromImage=busybox&tag=1.36",
            body: Value::Null,
            kept: None,
        },
        Case {
            rule: RuleId::IMAGES_REGISTRY,
            extra: "",
            method: "POST",
            target: "/v1.41/images/create?fromImage=registry.example%2Fapp&tag=1",
            body: Value::Null,
            kept: None,
        },
        Case {
            rule: RuleId::EXEC_PRIVILEGED,
            extra: "",
            method: "POST",
            target: "/v1.41/containers/web/exec",
            body: json!({"Cmd": ["sh"], "Privileged": true}),
            kept: Some(("/Privileged", json!(true))),
        },
        Case {
            rule: RuleId::MOUNTS_VOLUME_DRIVER,
            extra: "",
            method: "POST",
            target: "/v1.41/volumes/create",
            body: json!({"Name": "vol1", "Driver": "rexray"}),
            kept: Some(("/Driver", json!("rexray"))),
        },
        Case {
            rule: RuleId::VOLUMES_TMPFS,
            extra: "",
            method: "POST",
            target: "/v1.41/volumes/create",
            body: json!({"Name": "vol1", "Driver": "local",
                         "DriverOpts": {"type": "tmpfs", "device": "tmpfs", "o": "size=1g"}}),
            kept: Some(("/DriverOpts/o", json!("size=1g"))),
        },
    ];
    v.push(case(
        RuleId::PRIVILEGES_LOG_DRIVER,
        json!({"LogConfig": {"Type": "syslog", "Config": {}}}),
        Some(("/HostConfig/LogConfig/Type", json!("syslog"))),
    ));
    v
}

#[test]
fn every_downgradable_rule_warns_or_audits_instead_of_denying() {
    let mut covered = Vec::new();
    for c in cases() {
        let deny = policy(c.extra);
        let d = denied(send(&deny, c.method, c.target, &c.body), &c.rule);
        assert_eq!(d.status, 403, "{}: {d:?}", c.rule);
        for mode in [EnforcementMode::Warn, EnforcementMode::Audit] {
            let extra = format!("{}enforcement:\n  {}: {mode}\n", c.extra, c.rule);
            let p = policy(&extra);
            let v = send(&p, c.method, c.target, &c.body);
            let f = match v {
                Verdict::Allow(f) | Verdict::Rewrite(f) => f,
                other => panic!("{} in {mode}: expected a forward, got {other:?}", c.rule),
            };
            assert_eq!(
                warned(&f),
                [(c.rule.to_string(), mode)],
                "{} in {mode}: {:?}",
                c.rule,
                f.warnings
            );
            assert!(f.warnings.iter().all(|w| w.denial.status == 403));
            // the warning is the refusal the client would have had
            assert_eq!(f.warnings[0].denial, d, "{}", c.rule);
            if let Some((ptr, want)) = &c.kept {
                let body = f.body.as_ref().expect("a body");
                assert_eq!(
                    body.pointer(ptr),
                    Some(want),
                    "{} in {mode}: {body}",
                    c.rule
                );
            }
        }
        covered.push(c.rule);
    }
    // every downgradable built-in rule that a request can break here
    let untested: Vec<&RuleId> = RuleId::builtin()
        .filter(|r| downgradable(r).is_ok() && !covered.contains(r))
        .collect();
    let quotas_of_state = [
        RuleId::QUOTA_CONTAINERS,
        RuleId::QUOTA_CPUS,
        RuleId::QUOTA_PIDS,
        RuleId::QUOTA_PORTS,
        RuleId::QUOTA_VOLUMES,
        RuleId::QUOTA_NETWORKS,
    ];
    assert!(
        untested.iter().all(|r| quotas_of_state.contains(r)),
        "no case for {untested:?}"
    );
}

#[test]
fn warn_text_names_the_rule_the_mode_and_what_to_do() {
    let p = policy("enforcement:\n  privileges.capabilities: warn\n");
    let f = forwarded(create(&p, json!({"CapAdd": ["NET_ADMIN"]})));
    let w: &Warning = &f.warnings[0];
    let text = w.message();
    assert!(
        text.starts_with("fdcs: adding the capability `NET_ADMIN`"),
        "{text}"
    );
    assert!(
        text.contains("(rule privileges.capabilities, warn mode: allowed for now)"),
        "{text}"
    );
    assert!(text.contains("drop --cap-add"), "{text}");
    assert_eq!(w.denial.field.as_deref(), Some("HostConfig.CapAdd[0]"));
    assert_eq!(f.warnings_field, Some(fdcs_policy::WarningsField::List));
    // a network create has room for one warning text
    let p = policy(
        "custom:\n  - id: net.labelled\n    match: { endpoints: [NetworkCreate] }\n    \
         expression: \"has(object.Labels) && 'team' in object.Labels\"\n    \
         message: \"networks need a team label; add --label team=yours\"\n\
         enforcement:\n  custom.net.labelled: warn\n",
    );
    let f = forwarded(send(
        &p,
        "POST",
        "/v1.41/networks/create",
        &json!({"Name": "net1"}),
    ));
    assert_eq!(
        warned(&f),
        [("custom.net.labelled".into(), EnforcementMode::Warn)]
    );
    assert_eq!(f.warnings_field, Some(fdcs_policy::WarningsField::Text));
    // networks.* keep tenants apart: a driver option is refused whatever the mode
    let e = load_err("enforcement:\n  networks.driver: warn\n");
    assert!(e.contains("another tenant's bridge"), "{e}");
    // a volume create has none: audit line and metrics only
    let p = policy("enforcement:\n  volumes.tmpfs: warn\n");
    let f = forwarded(send(
        &p,
        "POST",
        "/v1.41/volumes/create",
        &json!({"Name": "vol1", "DriverOpts": {"type": "tmpfs", "device": "tmpfs", "o": "size=1g"}}),
    ));
    assert_eq!(f.warnings.len(), 1);
    assert_eq!(f.warnings_field, None);
}

// --------------------------------------------------------- CEL rules --

const CEL: &str = "custom:\n  - id: owner\n    match: { endpoints: [ContainerCreate] }\n    \
    expression: \"has(object.Labels) && 'owner' in object.Labels\"\n    \
    message: \"an owner label is required; add --label owner=you\"\n  \
    - id: team\n    match: { endpoints: [ContainerCreate] }\n    \
    expression: \"has(object.Labels) && 'team' in object.Labels\"\n    \
    message: \"a team label is required; add --label team=yours\"\n  \
    - id: broken\n    match: { endpoints: [VolumeCreate] }\n    \
    expression: \"object.NoSuchField == 1\"\n    message: \"never\"\n";

#[test]
fn cel_rules_in_warn_and_audit() {
    let p = policy(&format!(
        "{CEL}enforcement:\n  custom.owner: warn\n  custom.broken: audit\n"
    ));
    // owner is only warned, team still denies
    denied(create(&p, json!({})), &RuleId::custom("team"));
    let v = send(
        &p,
        "POST",
        "/v1.41/containers/create?name=web",
        &json!({"Image": "busybox", "Labels": {"team": "a"}}),
    );
    let f = forwarded(v);
    assert_eq!(warned(&f), [("custom.owner".into(), EnforcementMode::Warn)]);
    assert!(f.warnings[0]
        .message()
        .contains("an owner label is required"));
    // a rule that cannot be evaluated is, in audit mode, audited (as
    // ValidatingAdmissionPolicy's failurePolicy Fail with Audit does)
    let f = forwarded(send(
        &p,
        "POST",
        "/v1.41/volumes/create",
        &json!({"Name": "vol1"}),
    ));
    assert_eq!(
        warned(&f),
        [("custom.broken".into(), EnforcementMode::Audit)]
    );
    assert!(f.warnings[0]
        .denial
        .what()
        .contains("could not be evaluated"));
    // and in deny mode, refused (fail closed)
    let p = policy(CEL);
    denied(
        send(
            &p,
            "POST",
            "/v1.41/volumes/create",
            &json!({"Name": "vol1"}),
        ),
        &RuleId::custom("broken"),
    );
}

#[test]
fn a_built_in_warning_and_a_custom_denial_deny() {
    let p = policy(&format!(
        "{CEL}enforcement:\n  privileges.privileged: audit\n  custom.team: audit\n"
    ));
    denied(
        create(&p, json!({"Privileged": true})),
        &RuleId::custom("owner"),
    );
}

// -------------------------------------------------------- properties --

fn spelled(key: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..3, key.len()).prop_map(move |choice| {
        key.chars()
            .zip(choice)
            .map(|(c, k)| match k {
                1 => c.to_ascii_lowercase(),
                2 => c.to_ascii_uppercase(),
                _ => c,
            })
            .collect()
    })
}

fn host_field() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        (
            spelled("Binds"),
            prop_oneof![Just(json!(["/etc:/x"])), Just(json!(["data:/d"]))]
        ),
        (spelled("Privileged"), any::<bool>().prop_map(|b| json!(b))),
        (
            spelled("CapAdd"),
            prop_oneof![
                Just(json!(["SYS_ADMIN"])),
                Just(json!(["NET_ADMIN", "CHOWN"])),
                Just(json!([]))
            ]
        ),
        (
            spelled("PortBindings"),
            prop_oneof![
                Just(json!({"80/tcp": [{"HostPort": ""}]})),
                Just(json!({"80/tcp": [{"HostPort": "8080"}]})),
            ]
        ),
        (
            spelled("PidMode"),
            prop_oneof![
                Just(json!("host")),
                Just(json!("")),
                Just(json!("container:beta_db"))
            ]
        ),
        (
            spelled("NetworkMode"),
            prop_oneof![
                Just(json!("host")),
                Just(json!("bridge")),
                Just(json!("none"))
            ]
        ),
        (
            spelled("Memory"),
            prop_oneof![
                Just(json!(-1)),
                Just(json!(0)),
                Just(json!(1_i64 << 20)),
                Just(json!(1_i64 << 40))
            ]
        ),
        (
            spelled("PidsLimit"),
            prop_oneof![Just(json!(-1)), Just(json!(10)), Just(json!(1_i64 << 30))]
        ),
        (
            spelled("NanoCpus"),
            prop_oneof![Just(json!(0)), Just(json!(64_000_000_000_i64))]
        ),
        (
            spelled("Sysctls"),
            Just(json!({"net.ipv4.ip_forward": "1"}))
        ),
        (
            spelled("SecurityOpt"),
            prop_oneof![
                Just(json!(["seccomp=unconfined"])),
                Just(json!(["no-new-privileges"]))
            ]
        ),
        (
            spelled("Devices"),
            Just(
                json!([{"PathOnHost": "/dev/sda", "PathInContainer": "/x", "CgroupPermissions": "r"}])
            )
        ),
        (
            spelled("Tmpfs"),
            prop_oneof![
                Just(json!({"/t": "size=2g"})),
                Just(json!({"/t": "size=0x10"})),
                Just(json!({"/t": ""}))
            ]
        ),
        (
            spelled("CpuShares"),
            prop_oneof![Just(json!(262_144)), Just(json!(512))]
        ),
        (
            spelled("OomScoreAdj"),
            prop_oneof![Just(json!(-1000)), Just(json!(100))]
        ),
        (spelled("Links"), Just(json!(["beta_db:db"]))),
    ]
}

fn create_body() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(host_field(), 0..6),
        prop_oneof![
            Just(json!({})),
            Just(json!({"owner": "me"})),
            Just(json!({"fdcs.tenant": "beta"}))
        ],
        any::<bool>(),
    )
        .prop_map(|(fields, labels, legacy)| {
            let parts: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
                .collect();
            let head = format!(r#""Image":"busybox","Labels":{labels}"#);
            let text = if legacy || parts.is_empty() {
                let mut all = vec![head];
                all.extend(parts);
                format!("{{{}}}", all.join(","))
            } else {
                format!(r#"{{{head},"HostConfig":{{{}}}}}"#, parts.join(","))
            };
            text.into_bytes()
        })
}

fn judge_body(p: &Policy, version: &str, body: &[u8]) -> Verdict {
    let req = Request::new(
        "POST",
        &format!("/{version}/containers/create?name=web"),
        body.to_vec(),
    );
    judge(p, &alpha(), &req, &facts())
}

fn every_downgradable(mode: &str) -> String {
    let mut s = String::from("enforcement:\n");
    for r in RuleId::builtin().filter(|r| downgradable(r).is_ok()) {
        s.push_str(&format!("  {r}: {mode}\n"));
    }
    s.push_str(&format!("  custom.owner: {mode}\n"));
    s
}

const OWNER: &str = "custom:\n  - id: owner\n    match: { endpoints: [ContainerCreate] }\n    \
    expression: \"has(object.Labels) && 'owner' in object.Labels\"\n    \
    message: \"an owner label is required; add --label owner=you\"\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    /// With every mode `deny`, spelled out, the verdict is the one of the
    /// same policy without the block (today's), and it carries no warning.
    #[test]
    fn all_deny_is_today(body in create_body(), v41 in any::<bool>()) {
        let today = policy(OWNER);
        let spelled_out = policy(&format!("{OWNER}{}", every_downgradable("deny")));
        let version = if v41 { "v1.41" } else { "v1.24" };
        let a = judge_body(&today, version, &body);
        let b = judge_body(&spelled_out, version, &body);
        prop_assert_eq!(&a, &b);
        if let Some(f) = a.forward() {
            prop_assert!(f.warnings.is_empty());
        }
    }

    /// With every downgradable rule in `warn`: a request today's policy
    /// allows is judged exactly as today; one it denies by a downgradable
    /// rule's 403 is denied by a later rule or allowed with a warning for
    /// that very rule; one it denies otherwise (tenancy, 400s) is denied.
    #[test]
    fn all_warn_allows_only_what_it_reports(body in create_body()) {
        let today = policy(OWNER);
        let warn = policy(&format!("{OWNER}{}", every_downgradable("warn")));
        let a = judge_body(&today, "v1.41", &body);
        let b = judge_body(&warn, "v1.41", &body);
        match &a {
            Verdict::Deny(d) if d.status == 403
                && d.rule_id().is_some_and(|r| downgradable(r).is_ok()) =>
            {
                if let Some(f) = b.forward() {
                    let first = f.warnings.first().map(|w| &w.denial);
                    prop_assert_eq!(first, Some(d));
                    prop_assert!(f.warnings.iter().all(|w| w.mode == EnforcementMode::Warn));
                }
            }
            Verdict::Deny(d) => {
                prop_assert!(matches!(b, Verdict::Deny(_)), "today {:?}, warn {:?}", d, b);
            }
            _ => prop_assert_eq!(&a, &b),
        }
    }
}

#[test]
fn a_registry_on_the_host_s_own_network_is_refused_whatever_the_mode() {
    let p = policy("enforcement:\n  images.registry: warn\n  images.pull: warn\n");
    for from in [
        "127.0.0.1:5000%2Fx",
        "localhost:5000%2Fx",
        "%5B%3A%3A1%5D:5000%2Fx",
        "reg.example.:5000%2Fx",
    ] {
        let v = send(
            &p,
            "POST",
            &format!("/v1.41/images/create?fromImage={from}&tag=1"),
            &Value::Null,
        );
        match v {
            Verdict::Deny(d) => assert!(
                d.status == 400 || d.rule_id() == Some(&RuleId::IMAGES_REGISTRY),
                "{d:?}"
            ),
            other => panic!("{from}: expected a denial, got {other:?}"),
        }
    }
    // a pull of every tag: the claim records one tag, whatever the mode
    let v = send(
        &p,
        "POST",
        "/v1.41/images/create?fromImage=registry.example%2Fapp",
        &Value::Null,
    );
    denied(v, &RuleId::IMAGES_PULL);
}

#[test]
fn an_update_never_raises_a_limit_past_its_record_whatever_the_mode() {
    let p = policy("enforcement:\n  quota.memory: warn\n  resources.memory: warn\n");
    let mut f = facts();
    f.usage = Some(fdcs_policy::tenancy::usage::Usage {
        containers: vec![fdcs_policy::tenancy::usage::ContainerUsage {
            id: WEB.into(),
            state: fdcs_policy::tenancy::usage::RunState::Running,
            reserved: Some(fdcs_policy::tenancy::usage::Reservation {
                memory: 256 << 20,
                nano_cpus: 500_000_000,
                pids: 256,
                ports: 0,
            }),
            published: 0,
        }],
        offline: false,
    });
    let req = Request::new(
        "POST",
        "/v1.41/containers/web/update",
        json!({"Memory": 512_i64 << 20}).to_string().into_bytes(),
    );
    denied(judge(&p, &alpha(), &req, &f), &RuleId::QUOTA_MEMORY);
}

// Adversary H3's attacks: YAML spellings that might downgrade an invariant rule, a downgraded rule hiding another rule's refusal of the same field, warning texts that could break a create answer, and registry names that reach the host's own loopback while `images.registry` is only warned.

/// Every invariant rule, spelt every way YAML allows, is either a load
/// error or leaves the rule in `deny`: nothing the loader accepts puts
/// `tenancy.*`, `route.*`, `decode.*`, `auth.*` or `networks.*` in warn.
#[test]
fn no_yaml_spelling_downgrades_an_invariant_rule() {
    let invariants = [
        RuleId::TENANCY_NAME,
        RuleId::TENANCY_RESERVED_LABEL,
        RuleId::ROUTE_UNKNOWN,
        RuleId::parse("auth.missing").unwrap(),
        RuleId::parse("networks.driver").unwrap(),
    ];
    let custom = "custom:\n  - id: tenancy.name\n    match: { endpoints: [ContainerCreate] }\n    \
                  expression: \"true\"\n    message: \"m\"\n";
    let blocks = [
        // a merge key and an anchor
        "x-modes: &m { tenancy.name: warn }\nenforcement:\n  <<: *m\n".to_string(),
        "enforcement:\n  <<: { tenancy.name: warn }\n".to_string(),
        "enforcement:\n  privileges.capabilities: &w warn\n  tenancy.name: *w\n".to_string(),
        // quoted, tagged, complex-key and flow spellings
        "enforcement:\n  \"tenancy.name\": warn\n".to_string(),
        "enforcement:\n  'tenancy.name': audit\n".to_string(),
        "enforcement:\n  !!str tenancy.name: warn\n".to_string(),
        "enforcement:\n  ? tenancy.name\n  : warn\n".to_string(),
        "enforcement: { tenancy.name: warn }\n".to_string(),
        "enforcement: {\"route.unknown\": audit}\n".to_string(),
        // case, whitespace, unicode look-alikes and escapes
        "enforcement:\n  TENANCY.NAME: warn\n".to_string(),
        "enforcement:\n  \"tenancy.name\\t\": warn\n".to_string(),
        "enforcement:\n  \"tenancy\\u2024name\": warn\n".to_string(),
        "enforcement:\n  \"tenancy.n\\u0430me\": warn\n".to_string(),
        "enforcement:\n  \"\\uFF54enancy.name\": warn\n".to_string(),
        "enforcement:\n  \"tenancy.name\\u200b\": warn\n".to_string(),
        "enforcement:\n  \"tenancy.name\\0\": warn\n".to_string(),
        // the mode spelt oddly
        "enforcement:\n  tenancy.name: \"W\\u0430rn\"\n".to_string(),
        "enforcement:\n  tenancy.name: [warn]\n".to_string(),
        "enforcement:\n  tenancy.name: { mode: warn }\n".to_string(),
        // a second block, a duplicate key ending in warn
        "enforcement:\n  tenancy.name: deny\n  tenancy.name: warn\n".to_string(),
        "enforcement:\n  tenancy.name: deny\nenforcement:\n  tenancy.name: warn\n".to_string(),
        // custom ids that name built-ins
        "enforcement:\n  custom.tenancy.name: warn\n".to_string(),
        format!("{custom}enforcement:\n  custom.tenancy.name: warn\n"),
        "enforcement:\n  custom.: warn\n".to_string(),
        "enforcement:\n  \"custom.\\u0000\": warn\n".to_string(),
        "enforcement:\n  auth.missing: warn\n".to_string(),
        "enforcement:\n  networks.driver: audit\n".to_string(),
        "enforcement:\n  ~: warn\n".to_string(),
        "enforcement:\n  42: warn\n".to_string(),
    ];
    for b in &blocks {
        let s = src(b);
        let Ok(p) = Policy::from_yaml(&s, "t.yaml") else {
            continue;
        };
        for r in &invariants {
            assert_eq!(p.mode(r), EnforcementMode::Deny, "{r} via\n{b}");
        }
    }
    // the custom rule named `tenancy.name` is the custom one only; the
    // built-in tenancy.name still refuses another tenant's name
    let p = policy(&format!(
        "{custom}enforcement:\n  custom.tenancy.name: warn\n"
    ));
    assert_eq!(
        p.mode(&RuleId::custom("tenancy.name")),
        EnforcementMode::Warn
    );
    assert_eq!(p.mode(&RuleId::TENANCY_NAME), EnforcementMode::Deny);
    let v = create(&p, json!({"VolumesFrom": ["beta_db"]}));
    assert!(
        matches!(v, Verdict::Deny(ref d) if d.status == 400),
        "{v:?}"
    );
}

/// One field that two rules refuse: the downgraded one never lets the
/// other's refusal go.
#[test]
fn a_field_two_rules_refuse_is_refused_by_the_deny_rule() {
    // privileged warned: devices (the same body) and the host pid namespace
    let p = policy("enforcement:\n  privileges.privileged: warn\n");
    denied(
        create(
            &p,
            json!({"Privileged": true, "Devices": [{"PathOnHost": "/dev/sda",
                   "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]}),
        ),
        &RuleId::PRIVILEGES_DEVICES,
    );
    denied(
        create(&p, json!({"Privileged": true, "PidMode": "host"})),
        &RuleId::NAMESPACES_NO_HOST,
    );
    // host paths warned: a bind of a host path is still a tmpfs/volume
    // judged by the others; the host network mode stays refused
    let p = policy("enforcement:\n  mounts.no-host-path: warn\n");
    denied(
        create(&p, json!({"Binds": ["/etc:/x"], "NetworkMode": "host"})),
        &RuleId::NAMESPACES_NO_HOST,
    );
    // the log driver warned: its options of the same LogConfig still warn
    // under the same rule only, and a cgroup parent in the same body denies
    let p = policy("enforcement:\n  privileges.log-driver: warn\n");
    denied(
        create(
            &p,
            json!({"LogConfig": {"Type": "syslog", "Config": {"syslog-address": "udp://10.0.0.1:514"}},
                   "CgroupParent": "/"}),
        ),
        &RuleId::PRIVILEGES_CGROUP_PARENT,
    );
    // exec privileged warned: another tenant's container is still not found
    let p = policy("enforcement:\n  exec.privileged: warn\n");
    let v = send(
        &p,
        "POST",
        "/v1.41/containers/beta_db/exec",
        &json!({"Cmd": ["sh"], "Privileged": true}),
    );
    match v {
        Verdict::Deny(d) => assert_eq!(d.status, 404, "{d:?}"),
        other => panic!("expected not found, got {other:?}"),
    }
}

/// A warning quotes what the client sent (a capability name with quotes,
/// newlines and a fake `Warnings` entry): the answer stays one JSON object
/// with the engine's warnings first and exactly one entry per refusal.
#[test]
fn a_hostile_warning_text_does_not_break_the_create_answer() {
    let p = policy("enforcement:\n  privileges.capabilities: warn\n");
    let evil = "X\"],\"Warnings\":[\"forged\"],\"Id\":\"other\n\u{1b}[2J";
    let f = forwarded(create(&p, json!({"CapAdd": [evil, "NET_ADMIN"]})));
    assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
    let out = add_warnings(
        &f.warnings,
        Some(WarningsField::List),
        br#"{"Id":"abc","Warnings":["engine"]}"#,
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["Id"], "abc");
    let list = v["Warnings"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0], "engine");
    assert!(list[1].as_str().unwrap().contains(evil));
    // the network create answer's one string: the engine's text survives
    let out = add_warnings(
        &f.warnings,
        Some(WarningsField::Text),
        br#"{"Id":"n","Warning":"engine"}"#,
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!(v["Warning"].as_str().unwrap().starts_with("engine\nfdcs: "));
    assert_eq!(v["Id"], "n");
}

/// The names an ordinary host's /etc/hosts gives its loopback (Debian,
/// Ubuntu, RHEL, Alpine): with `images.registry` in warn they would make
/// the daemon pull from a registry on the host itself, which DESIGN says
/// is refused whatever the mode ("`localhost` ... is refused").
#[test]
fn loopback_names_of_etc_hosts_are_localhost_whatever_the_mode() {
    let p = policy("enforcement:\n  images.registry: warn\n  images.pull: warn\n");
    for from in [
        "localhost4:5000%2Fx",
        "localhost6:5000%2Fx",
        "ip6-localhost:5000%2Fx",
        "ip6-loopback:5000%2Fx",
        "localhost.localdomain:5000%2Fx",
        "localhost4.localdomain4:5000%2Fx",
        "localhost6.localdomain6:5000%2Fx",
        "LOCALHOST:5000%2Fx",
    ] {
        let v = send(
            &p,
            "POST",
            &format!("/v1.41/images/create?fromImage={from}&tag=1"),
            &Value::Null,
        );
        match v {
            Verdict::Deny(d) => assert!(
                d.status == 400 || d.rule_id() == Some(&RuleId::IMAGES_REGISTRY),
                "{from}: {d:?}"
            ),
            other => panic!("{from}: expected a denial, got {other:?}"),
        }
    }
}

/// A warning's text is the denial's: nothing but the rule, what the client
/// sent and the policy's own advice (no engine-side names, no host paths
/// the client did not write).
#[test]
fn a_warning_names_only_what_the_tenant_sent() {
    let p = policy(
        "enforcement:\n  mounts.no-host-path: warn\n  mounts.volume-driver: warn\n  \
         namespaces.no-host: warn\n",
    );
    let f = forwarded(create(
        &p,
        json!({"Binds": ["/srv/a:/a"], "IpcMode": "host",
               "Mounts": [{"Type": "volume", "Source": "data", "Target": "/v",
                 "VolumeOptions": {"DriverConfig": {"Name": "nfs"}}}]}),
    ));
    for w in &f.warnings {
        let m = Warning::message(w);
        assert!(!m.contains("alpha_"), "engine-side name in {m}");
        assert!(!m.contains("/var/lib/docker"), "{m}");
    }
}

/// A body that repeats one violation thousands of times (`CapAdd` with
/// the same capability 20 000 times, about 240 KB) must not make the
/// verdict, the create answer and the proxy's memory grow with it: a
/// request records a bounded number of warnings, and every rule it broke
/// at least once (the audit line and the metrics count rules).
#[test]
fn a_repeated_violation_records_a_bounded_number_of_warnings() {
    let p = policy("enforcement:\n  privileges.capabilities: warn\n  privileges.sysctls: audit\n");
    let caps: Vec<&str> = std::iter::repeat_n("NET_ADMIN", 20_000).collect();
    let f = forwarded(create(
        &p,
        json!({"CapAdd": caps, "Sysctls": {"net.ipv4.ip_forward": "1"}}),
    ));
    assert!(f.warnings.len() <= 64, "{} warnings", f.warnings.len());
    let rules: Vec<String> = f
        .warnings
        .iter()
        .filter_map(|w| w.rule().map(ToString::to_string))
        .collect();
    assert!(rules.iter().any(|r| r == "privileges.capabilities"));
    assert!(rules.iter().any(|r| r == "privileges.sysctls"));
    let out = add_warnings(
        &f.warnings,
        Some(WarningsField::List),
        br#"{"Id":"abc","Warnings":[]}"#,
    )
    .unwrap();
    assert!(out.len() < 64 * 1024, "{} bytes of warnings", out.len());
}

/// A per-container ceiling in warn lets `-m 64g` through as sent; the
/// tenant's quota (in deny) still counts those 64g and refuses, as it
/// does for the pids and CPUs of the same body.
#[test]
fn a_warned_ceiling_is_still_counted_by_the_quota_in_deny() {
    let p = policy(
        "enforcement:\n  resources.memory: warn\n  resources.pids: warn\n  resources.cpu: warn\n",
    );
    denied(
        create(&p, json!({"Memory": 64_i64 << 30})),
        &RuleId::QUOTA_MEMORY,
    );
    denied(
        create(&p, json!({"PidsLimit": 100_000})),
        &RuleId::QUOTA_PIDS,
    );
    denied(
        create(&p, json!({"NanoCpus": 64_000_000_000_i64})),
        &RuleId::QUOTA_CPUS,
    );
    // unlimited pids (0 and -1) in warn: never forwarded as unlimited
    // (the quota cannot count infinity): the default, or a refusal
    for unlimited in [0, -1] {
        match create(&p, json!({"PidsLimit": unlimited})) {
            Verdict::Deny(_) => {}
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                let n = f.body.as_ref().unwrap()["HostConfig"]["PidsLimit"].as_i64();
                assert!(
                    n.is_some_and(|n| n > 0 && n <= 2048),
                    "PidsLimit {unlimited}: {n:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
