//! Adversary H3's attacks on enforcement modes (issue 11 item 5): YAML
//! spellings that might downgrade an invariant rule, a downgraded rule
//! hiding another rule's refusal of the same field, warning texts that
//! could break a create answer, and registry names that reach the host's
//! own loopback while `images.registry` is only warned.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::collections::BTreeMap;

use fdcs_policy::{
    add_warnings, judge, Denial, EnforcementMode, Facts, Forward, Owned, Policy, Request, RuleId,
    Tenant, TenantId, Verdict, Warning, WarningsField,
};
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
        images: BTreeMap::from([("busybox".to_string(), Some(Default::default()))]),
        named_images: Some(Vec::new()),
        ..Facts::default()
    }
}

fn alpha() -> Tenant {
    Tenant::new(TenantId::new("alpha").unwrap())
}

fn src(extra: &str) -> String {
    format!("apiVersion: fdcs/v1\nkind: Policy\nname: t\n{extra}")
}

fn policy(extra: &str) -> Policy {
    let s = src(extra);
    Policy::from_yaml(&s, "t.yaml").unwrap_or_else(|e| panic!("{e}\n{s}"))
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
