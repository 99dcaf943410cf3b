//! Property tests for invariants 3–8 over generated create bodies and paths:
//! whatever a client sends, what fdcs forwards never holds a host mount, a
//! host port, a host namespace, a missing or above-ceiling limit, a foreign
//! reference, or a forged owner label.

#![expect(
    clippy::expect_used,
    reason = "test helpers: a failed setup is a failed test"
)]

use fdcs_policy::decode::decode_container_create;
use fdcs_policy::{judge, Facts, Owned, Policy, Request, Tenant, TenantId, Verdict};
use proptest::prelude::*;
use serde_json::{json, Value};

const OWN_ID: &str = "aaaa111111111111111111111111111111111111111111111111111111111111";
const OTHER_ID: &str = "aaab222222222222222222222222222222222222222222222222222222222222";
const OWN_NET: &str = "cccc333333333333333333333333333333333333333333333333333333333333";

fn facts() -> Facts {
    Facts {
        containers: Some(vec![Owned {
            id: OWN_ID.into(),
            name: "alpha_db".into(),
        }]),
        networks: Some(vec![Owned {
            id: OWN_NET.into(),
            name: "alpha_backnet".into(),
        }]),
        volumes: Some(vec![Owned {
            id: "alpha_data".into(),
            name: "alpha_data".into(),
        }]),
        usage: Some(Default::default()),
        // the image every create here runs: present, declaring nothing
        images: [("busybox".to_string(), Some(Default::default()))].into(),
        ..Facts::default()
    }
}

fn policy() -> Policy {
    Policy::embedded_default().expect("default policy loads")
}

fn alpha() -> Tenant {
    Tenant::new(TenantId::new("alpha").expect("valid"))
}

/// A key in a random case spelling, sometimes with Go's fold-equivalent
/// Unicode letters (U+017F for s, U+212A for k).
fn spelled(key: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..4, key.len()).prop_map(move |choice| {
        key.chars()
            .zip(choice)
            .map(|(c, k)| match (c, k) {
                ('s' | 'S', 3) => '\u{17F}'.to_string(),
                ('k' | 'K', 3) => '\u{212A}'.to_string(),
                (c, 1) => c.to_ascii_lowercase().to_string(),
                (c, 2) => c.to_ascii_uppercase().to_string(),
                (c, _) => c.to_string(),
            })
            .collect()
    })
}

fn bind() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("/etc:/x")),
        Just(json!("/:/host:ro")),
        Just(json!("data:/data")),
        Just(json!("other:/o")),
        Just(json!("/anon")),
        Just(json!("\\\\srv\\share:/x")),
    ]
}

fn host_field() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        (spelled("Binds"), proptest::collection::vec(bind(), 0..3)).prop_map(|(k, v)| (k, Value::Array(v))),
        (spelled("Privileged"), any::<bool>()).prop_map(|(k, v)| (k, json!(v))),
        (spelled("CapAdd"), prop_oneof![Just(json!(["SYS_ADMIN"])), Just(json!("NET_ADMIN")), Just(json!([]))]).prop_map(|(k, v)| (k, v)),
        (spelled("PortBindings"), prop_oneof![
            Just(json!({"80/tcp":[{"HostIp":"","HostPort":""}]})),
            Just(json!({"80/tcp":[{"HostIp":"","HostPort":"8080"}]})),
            Just(json!({"80/tcp":[{"HostPort":"1-65535"}]})),
        ]).prop_map(|(k, v)| (k, v)),
        (spelled("NetworkMode"), prop_oneof![Just("host"), Just("bridge"), Just("container:db"), Just("container:aaab"), Just("backnet"), Just("none"), Just("")]).prop_map(|(k, v)| (k, json!(v))),
        (spelled("PidMode"), prop_oneof![Just("host"), Just("container:aaaa"), Just("container:aaab"), Just("")]).prop_map(|(k, v)| (k, json!(v))),
        (spelled("Memory"), prop_oneof![Just(-1i64), Just(0), Just(1 << 20), Just(1 << 40)]).prop_map(|(k, v)| (k, json!(v))),
        (spelled("PidsLimit"), prop_oneof![Just(-1i64), Just(0), Just(10), Just(1 << 30)]).prop_map(|(k, v)| (k, json!(v))),
        (spelled("NanoCpus"), prop_oneof![Just(0i64), Just(1_000_000), Just(64_000_000_000)]).prop_map(|(k, v)| (k, json!(v))),
        (spelled("CpuQuota"), prop_oneof![Just(-1i64), Just(0), Just(50_000), Just(10_000_000)]).prop_map(|(k, v)| (k, json!(v))),
        (spelled("Mounts"), prop_oneof![
            Just(json!([{"Type":"bind","Source":"/etc","Target":"/x"}])),
            Just(json!([{"Type":"volume","Source":"data","Target":"/x"}])),
            Just(json!([{"Type":"volume","Source":"v","Target":"/x","VolumeOptions":{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/etc"}}}}])),
            Just(json!([{"Type":"tmpfs","Target":"/t"}])),
        ]).prop_map(|(k, v)| (k, v)),
        (spelled("Links"), prop_oneof![Just(json!(["db:db"])), Just(json!(["aaab:x"]))]).prop_map(|(k, v)| (k, v)),
        (spelled("VolumesFrom"), prop_oneof![Just(json!(["db"])), Just(json!(["aaab:ro"]))]).prop_map(|(k, v)| (k, v)),
    ]
}

/// A create body: random host fields, placed inside `HostConfig` (in one
/// or two duplicate objects) or at the legacy top level.
fn create_body() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(host_field(), 0..6),
        proptest::collection::vec(host_field(), 0..3),
        0u8..3,
        prop_oneof![
            Just(json!({})),
            Just(json!({"fdcs.tenant":"beta"})),
            Just(json!({"app":"x"}))
        ],
    )
        .prop_map(|(a, b, placement, labels)| {
            let obj = |fields: &[(String, Value)]| {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v))
                    .collect();
                format!("{{{}}}", parts.join(","))
            };
            let head = format!(r#""Image":"busybox","Labels":{labels}"#);
            match placement {
                0 => format!(r#"{{{head},"HostConfig":{}}}"#, obj(&a)),
                1 => format!(
                    r#"{{{head},"HostConfig":{},"HostConfig":{}}}"#,
                    obj(&a),
                    obj(&b)
                ),
                _ => {
                    let inner = obj(&a);
                    format!(
                        "{{{head},{}}}",
                        inner.trim_start_matches('{').trim_end_matches('}')
                    )
                    .replace("{,", "{")
                    .replace(",}", "}")
                }
            }
        })
}

fn assert_safe_forward(body: &Value) -> Result<(), TestCaseError> {
    // The forwarded body, read back exactly as the daemon reads it.
    let bytes = serde_json::to_vec(body).expect("serialises");
    let c = decode_container_create(&bytes).expect("forwarded body decodes");
    prop_assert_eq!(
        c.labels
            .as_ref()
            .and_then(|l| l.get("fdcs.tenant"))
            .map(String::as_str),
        Some("alpha")
    );
    let hc = c.host_config.expect("host config is always forwarded");
    for b in hc.binds.iter().flatten() {
        // a lone `/path` is an anonymous volume (the daemon's Linux parser)
        if b.contains(':') {
            prop_assert!(
                !b.starts_with('/') && !b.starts_with('\\'),
                "host path forwarded: {}",
                b
            );
            prop_assert!(b.starts_with("alpha_"), "unscoped volume forwarded: {}", b);
        }
    }
    for m in hc.mounts.iter().flatten() {
        prop_assert_ne!(m.type_.as_deref(), Some("bind"));
        let opts = m
            .volume_options
            .as_ref()
            .and_then(|v| v.driver_config.as_ref())
            .and_then(|d| d.options.as_ref());
        prop_assert!(opts.is_none_or(|o| o.is_empty()));
    }
    for list in hc.port_bindings.iter().flat_map(|m| m.values()).flatten() {
        for pb in list {
            prop_assert!(pb.host_port.as_deref().unwrap_or("").is_empty());
        }
    }
    prop_assert_ne!(hc.privileged, Some(true));
    prop_assert!(hc.cap_add.as_ref().is_none_or(|c| c.is_empty()));
    for mode in [
        &hc.network_mode,
        &hc.pid_mode,
        &hc.ipc_mode,
        &hc.uts_mode,
        &hc.userns_mode,
    ] {
        let m = mode.as_deref().unwrap_or("");
        prop_assert!(!m.eq_ignore_ascii_case("host"));
        if let Some(r) = m.strip_prefix("container:") {
            // the own container's id, or a name in alpha's scope (one it
            // does not have, looked up by the daemon when it starts)
            prop_assert!(r == OWN_ID || r.starts_with("alpha_"), "container:{}", r);
        }
    }
    let nm = hc.network_mode.as_deref().unwrap_or("");
    prop_assert!(
        nm.starts_with("alpha_") || nm == "none" || nm.starts_with("container:"),
        "network {}",
        nm
    );
    for l in hc.links.iter().flatten() {
        prop_assert!(l.starts_with("alpha_db:"), "link {}", l);
    }
    for v in hc.volumes_from.iter().flatten() {
        prop_assert!(v.starts_with(OWN_ID), "volumes-from {}", v);
    }
    let r = &hc.resources;
    let mem = r.memory.unwrap_or(0);
    prop_assert!(mem > 0 && mem <= 1 << 30, "memory {}", mem);
    let pids = r.pids_limit.unwrap_or(0);
    prop_assert!(pids > 0 && pids <= 4096, "pids {}", pids);
    let nano = r.nano_cpus.unwrap_or(0);
    let quota = r.cpu_quota.unwrap_or(0);
    prop_assert!(nano > 0 || quota > 0, "no CPU limit");
    prop_assert!(nano <= 4_000_000_000 && quota >= 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Invariants 3, 4, 5, 2, 8 on create bodies.
    #[test]
    fn allowed_create_bodies_are_safe(body in create_body()) {
        let req = Request::new("POST", "/v1.41/containers/create?name=web", body.clone().into_bytes());
        match judge(&policy(), &alpha(), &req, &facts()) {
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                let b = f.body.expect("create forwards a body");
                assert_safe_forward(&b)?;
            }
            Verdict::Deny(d) => prop_assert!(d.status >= 400 && !d.message.is_empty()),
            Verdict::Need(o) => prop_assert!(false, "all facts were given, yet {:?}", o),
        }
    }

    /// Invariant 1 and 2 on paths: nothing panics, and whatever is forwarded
    /// addresses only the tenant's own resources.
    #[test]
    fn forwarded_paths_address_own_resources(
        method in prop_oneof![Just("GET"), Just("POST"), Just("DELETE"), Just("PUT"), Just("HEAD")],
        prefix in prop_oneof![Just(""), Just("/v1.41"), Just("/v1.24"), Just("/v1.12"), Just("/V1.41")],
        kind in prop_oneof![Just("containers"), Just("networks"), Just("volumes"), Just("exec")],
        reference in prop_oneof![Just("db".to_string()), Just("aaab".to_string()), Just("aaa".to_string()), Just(OTHER_ID.to_string()), Just("beta_db".to_string()), "[a-z0-9%./_-]{0,12}"],
        action in prop_oneof![Just(""), Just("/json"), Just("/logs"), Just("/start"), Just("/archive"), Just("/export"), Just("/attach/ws"), Just("/exec"), Just("/../json")],
    ) {
        let path = format!("{prefix}/{kind}/{reference}{action}");
        let req = Request::new(method, &path, Vec::new());
        if let Verdict::Allow(f) | Verdict::Rewrite(f) = judge(&policy(), &alpha(), &req, &facts()) {
            // the tenant's own resources, by id or (an inspect found by its
            // name) by their engine-side name
            let own = [OWN_ID, OWN_NET, "alpha_data", "alpha_db", "alpha_backnet"];
            let seg = f.path.trim_start_matches(prefix).split('/').nth(2).unwrap_or("");
            prop_assert!(own.contains(&seg) || ["json", "create", "prune"].contains(&seg) || seg.is_empty(), "{} forwarded as {}", path, f.path);
        }
    }
}
