//! Attacks on the host-resource bounds (issue 9 item 2), written as a
//! tenant that wants more than its share would send them: each test is
//! named after what it tries and asserts the safe outcome — a denial by the
//! right rule and status, or a forward in which the resource is bounded.
//!
//! As in `attacks.rs`, a test marked `#[ignore = "HOLE: ..."]` states the
//! safe outcome of an attack the core lets through today; it fails until
//! the hole is closed (`cargo test --test bounds_attacks -- --ignored`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::sync::OnceLock;

use fdcs_policy::{
    judge, Denial, Facts, Forward, Owned, Policy, Request, Tenant, TenantId, Verdict,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const MI: i64 = 1 << 20;
const WEB: &str = "a111111111111111111111111111111111111111111111111111111111111111";

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::embedded_default().unwrap())
}

fn facts() -> Facts {
    Facts {
        containers: Some(vec![Owned {
            id: WEB.into(),
            name: "alpha_web".into(),
        }]),
        networks: Some(vec![]),
        volumes: Some(vec![]),
        usage: Some(Default::default()),
        // the image every create here runs: present, declaring nothing
        images: [("busybox".to_string(), Some(Default::default()))].into(),
        ..Facts::default()
    }
}

fn send(target: &str, body: &str) -> Verdict {
    let tenant = Tenant::new(TenantId::new("alpha").unwrap());
    let req = Request::new("POST", target, body.as_bytes().to_vec());
    judge(policy(), &tenant, &req, &facts())
}

fn create(body: Value) -> Verdict {
    send("/v1.41/containers/create", &body.to_string())
}

fn create_hc(hc: Value) -> Verdict {
    create(json!({"Image": "busybox", "HostConfig": hc}))
}

#[track_caller]
fn assert_rule(v: Verdict, status: u16, rule: &str) -> Denial {
    match v {
        Verdict::Deny(d) => {
            assert_eq!(
                (d.status, d.rule.as_deref()),
                (status, Some(rule)),
                "{}",
                d.message
            );
            assert!(
                d.message.contains(&format!("(rule {rule})")),
                "{}",
                d.message
            );
            assert!(d.message.starts_with("fdcs: "), "{}", d.message);
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

#[track_caller]
fn body(v: Verdict) -> Value {
    forwarded(v).body.expect("a forwarded body")
}

fn exposed(n: u16) -> Value {
    Value::Object(
        (0..n)
            .map(|i| (format!("{}/tcp", 8000 + i), json!({})))
            .collect(),
    )
}

// ---------------------------------------------------------------- ports --

#[test]
fn hundred_exposed_ports_with_publish_all_are_refused() {
    // the issue's reproduction: 200 host ports and 200 docker-proxy processes
    let d = assert_rule(
        create(json!({"Image": "busybox", "ExposedPorts": exposed(100),
                      "HostConfig": {"PublishAllPorts": true}})),
        403,
        "bounds.ports",
    );
    assert!(d.message.contains("exposes 100 ports"), "{}", d.message);
}

#[test]
fn eleven_ports_under_publish_all_are_refused_ten_are_fine() {
    let run = |n| {
        create(json!({"Image": "busybox", "ExposedPorts": exposed(n),
                      "HostConfig": {"PublishAllPorts": true}}))
    };
    assert_rule(run(11), 403, "bounds.ports");
    forwarded(run(10));
}

#[test]
fn one_port_bound_many_times_counts_every_binding() {
    let bindings: Vec<Value> = (0..11).map(|_| json!({"HostPort": ""})).collect();
    assert_rule(
        create_hc(json!({"PortBindings": {"80/tcp": bindings}})),
        403,
        "bounds.ports",
    );
}

#[test]
fn a_port_range_counts_every_port_in_it() {
    assert_rule(
        create(
            json!({"Image": "busybox", "ExposedPorts": {"1-65535/tcp": {}},
                      "HostConfig": {"PublishAllPorts": true}}),
        ),
        403,
        "bounds.ports",
    );
    assert_rule(
        create_hc(json!({"PortBindings": {"8000-8020/udp": [{"HostPort": ""}]}})),
        403,
        "bounds.ports",
    );
}

#[test]
fn folded_and_legacy_spellings_of_publish_all_are_counted() {
    let ports = exposed(11).to_string();
    for body in [
        format!(
            r#"{{"Image":"busybox","exposedports":{ports},"hostconfig":{{"publi\u017fhallports":true}}}}"#
        ),
        format!(r#"{{"Image":"busybox","ExposedPorts":{ports},"PublishAllPorts":true}}"#),
        format!(
            r#"{{"Image":"busybox","ExposedPorts":{ports},"HostConfig":{{"PublishAllPorts":false}},"HostConfig":{{"PublishAllPorts":true}}}}"#
        ),
    ] {
        assert_rule(send("/v1.41/containers/create", &body), 403, "bounds.ports");
    }
}

#[test]
fn a_port_key_that_cannot_be_read_is_refused() {
    for key in ["80/TCP", "80/tcp/x", "x/tcp", "99999/tcp", "9-8/tcp", "-1"] {
        let mut e = serde_json::Map::new();
        e.insert(key.into(), json!({}));
        assert_rule(
            create(json!({"Image": "busybox", "ExposedPorts": e})),
            400,
            "bounds.ports",
        );
    }
}

/// A create as judged against an engine whose `busybox` exposes `ports`.
fn create_with_image_ports(hc: Value, ports: &[String]) -> Verdict {
    let mut f = facts();
    let img = fdcs_policy::ImageFacts {
        exposed_ports: ports.to_vec(),
        ..Default::default()
    };
    f.images.insert("busybox".into(), Some(img));
    let tenant = Tenant::new(TenantId::new("alpha").unwrap());
    let body = json!({"Image": "busybox", "HostConfig": hc}).to_string();
    let req = Request::new("POST", "/v1.41/containers/create", body.into_bytes());
    judge(policy(), &tenant, &req, &f)
}

#[test]
fn publish_all_asks_for_the_images_exposed_ports() {
    // (this was a HOLE: -P publishes the image's EXPOSE, which the body
    // does not show; the core now asks for the image and counts it)
    let mut f = facts();
    f.images.clear();
    let tenant = Tenant::new(TenantId::new("alpha").unwrap());
    let body = json!({"Image": "busybox", "HostConfig": {"PublishAllPorts": true}}).to_string();
    let req = Request::new("POST", "/v1.41/containers/create", body.into_bytes());
    match judge(policy(), &tenant, &req, &f) {
        Verdict::Need(o) => assert_eq!(
            o,
            vec![fdcs_policy::Obligation::Image {
                reference: "busybox".into()
            }]
        ),
        v => panic!("expected the image to be asked for, got {v:?}"),
    }
    let wide: Vec<String> = (9000..9011).map(|p| format!("{p}/tcp")).collect();
    let d = assert_rule(
        create_with_image_ports(json!({"PublishAllPorts": true}), &wide),
        403,
        "bounds.ports",
    );
    assert!(d.message.contains("11 host ports"), "{}", d.message);
    // bound by the body, the image's ports publish what the bindings say
    let bound: serde_json::Map<String, Value> = wide
        .iter()
        .map(|k| (k.clone(), json!([{"HostPort": ""}])))
        .take(3)
        .collect();
    forwarded(create_with_image_ports(
        json!({"PublishAllPorts": true, "PortBindings": bound}),
        &wide[..3],
    ));
    // without -P the image's EXPOSE publishes nothing
    forwarded(create_with_image_ports(json!({}), &wide));
}

// ---------------------------------------------------------------- tmpfs --

#[test]
fn every_tmpfs_gets_a_size_and_all_fit_in_the_memory_limit() {
    let b = body(create_hc(json!({
        "Memory": 128 * MI,
        "Tmpfs": {"/run": "", "/tmp": "rw,noexec,nosuid"},
        "Mounts": [{"Type": "tmpfs", "Target": "/cache"}],
    })));
    let hc = &b["HostConfig"];
    assert_eq!(hc["Tmpfs"]["/run"], "size=32m");
    assert_eq!(hc["Tmpfs"]["/tmp"], "rw,noexec,nosuid,size=32m");
    assert_eq!(hc["Mounts"][0]["TmpfsOptions"]["SizeBytes"], 32 * MI);
    assert_eq!(hc["ShmSize"], 32 * MI);
}

#[test]
fn tmpfs_sized_above_the_memory_limit_is_refused() {
    let d = assert_rule(
        create_hc(json!({"Memory": 64 * MI, "Tmpfs": {"/a": "size=48m", "/b": "size=48m"}})),
        403,
        "bounds.tmpfs",
    );
    assert!(d.message.contains("96m"), "{}", d.message);
    assert!(d.message.contains("64m"), "{}", d.message);
    // the injected default memory limit counts too
    assert_rule(
        create_hc(json!({"Tmpfs": {"/a": "size=500m"}})),
        403,
        "bounds.tmpfs",
    );
}

#[test]
fn shm_size_is_counted_with_the_tmpfs_mounts() {
    assert_rule(
        create_hc(json!({"Memory": 64 * MI, "ShmSize": 60 * MI, "Tmpfs": {"/a": "size=8m"}})),
        403,
        "bounds.tmpfs",
    );
    assert_rule(
        create_hc(json!({"Memory": 1 << 30, "ShmSize": i64::MAX})),
        403,
        "bounds.tmpfs",
    );
}

#[test]
fn tmpfs_size_spellings_the_kernel_reads_otherwise_are_refused() {
    for opts in [
        "size=0",
        "size=",
        "SIZE=1g",
        "Size=1g",
        "size=1m,size=1g",
        "size=50%",
        "size=0x40000000",
        "size=0100m",
        "size=1gb",
        "nr_blocks=0",
        "size=18446744073709551617",
        "size=-1",
        "rw, size=1m",
        "bind",
    ] {
        assert_rule(
            create_hc(json!({"Tmpfs": {"/x": opts}})),
            400,
            "bounds.tmpfs",
        );
    }
}

#[test]
fn tmpfs_mount_sizes_that_cannot_be_judged_are_refused() {
    let mount = |size: Value| {
        create_hc(json!({"Mounts": [{"Type": "tmpfs", "Target": "/t",
                                     "TmpfsOptions": {"SizeBytes": size}}]}))
    };
    assert_rule(mount(json!(-1)), 400, "bounds.tmpfs");
    assert_rule(mount(json!(i64::MAX)), 403, "bounds.tmpfs");
    assert_rule(mount(json!("1g")), 400, "decode.malformed");
    assert_rule(mount(json!(1.5e9)), 400, "decode.malformed");
}

#[test]
fn merged_hostconfig_objects_are_judged_as_the_daemon_merges_them() {
    assert_rule(
        send(
            "/v1.41/containers/create",
            r#"{"Image":"busybox","HostConfig":{"Memory":134217728},"HostConfig":{"Tmpfs":{"/a":"size=200m"}}}"#,
        ),
        403,
        "bounds.tmpfs",
    );
}

// -------------------------------------------------------- tmpfs volumes --

fn volume(opts: Value) -> Verdict {
    send(
        "/v1.41/volumes/create",
        &json!({"Name": "scratch", "Driver": "local", "DriverOpts": opts}).to_string(),
    )
}

#[test]
fn a_one_gigabyte_tmpfs_volume_is_refused() {
    // the issue's reproduction: memory charged to no container
    assert_rule(
        volume(json!({"type": "tmpfs", "device": "tmpfs", "o": "size=1g"})),
        403,
        "volumes.tmpfs",
    );
    assert_rule(
        volume(json!({"type": "tmpfs", "device": "tmpfs", "o": "uid=0,size=1G,mode=1777"})),
        403,
        "volumes.tmpfs",
    );
}

#[test]
fn a_tmpfs_volume_without_a_size_gets_the_default() {
    let b = body(volume(
        json!({"type": "tmpfs", "device": "tmpfs", "o": "uid=1000"}),
    ));
    assert_eq!(b["DriverOpts"]["o"], "uid=1000,size=64m");
    let b = body(volume(json!({"type": "tmpfs", "device": "tmpfs"})));
    assert_eq!(b["DriverOpts"]["o"], "size=64m");
}

#[test]
fn tmpfs_volume_spellings_that_cannot_be_judged_are_refused() {
    for opts in [
        json!({"type": "tmpfs", "device": "tmpfs", "o": "size=1m,size=1g"}),
        json!({"type": "tmpfs", "device": "tmpfs", "o": "SIZE=1g"}),
        json!({"type": "tmpfs", "device": "tmpfs", "o": "size=50%"}),
        json!({"type": "tmpfs", "device": "tmpfs", "o": "nr_blocks=0"}),
        json!({"type": "tmpfs", "device": "tmpfs", "o": "size=0"}),
        json!({"Type": "tmpfs", "device": "tmpfs", "o": "size=1m"}),
        json!({"type": " tmpfs", "device": "tmpfs", "o": "size=1m"}),
    ] {
        assert_rule(volume(opts), 400, "volumes.tmpfs");
    }
}

#[test]
fn an_anonymous_tmpfs_volume_in_a_mount_is_bounded_too() {
    let mount = |o: &str| {
        create_hc(
            json!({"Mounts": [{"Type": "volume", "Target": "/v", "VolumeOptions": {
            "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs", "device": "tmpfs", "o": o}}}}]}),
        )
    };
    assert_rule(mount("size=1g"), 403, "volumes.tmpfs");
    forwarded(mount("size=16m"));
}

#[test]
fn tmpfs_volumes_are_refused_when_the_policy_allows_none() {
    let src = policy_with("  volumes:\n    tmpfs: { allow: false }\n");
    let tenant = Tenant::new(TenantId::new("alpha").unwrap());
    let req = Request::new(
        "POST",
        "/v1.41/volumes/create",
        br#"{"Name":"scratch","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=1m"}}"#
            .to_vec(),
    );
    assert_rule(judge(&src, &tenant, &req, &facts()), 403, "volumes.tmpfs");
}

fn policy_with(rules: &str) -> Policy {
    let src = format!("apiVersion: fdcs/v1\nkind: Policy\nname: t\nrules:\n{rules}");
    Policy::from_yaml(&src, "t.yaml").unwrap()
}

// ----------------------------------------------------------------- logs --

#[test]
fn a_default_container_gets_a_bounded_log() {
    // the issue's reproduction: json-file without max-size, 172 MB in 2 s
    for hc in [json!({}), json!({"LogConfig": {"Type": "", "Config": {}}})] {
        let b = body(create_hc(hc));
        let lc = &b["HostConfig"]["LogConfig"];
        assert_eq!(lc["Type"], "json-file");
        assert_eq!(lc["Config"]["max-size"], "10m");
        assert_eq!(lc["Config"]["max-file"], "3");
    }
}

#[test]
fn a_thousand_gigabyte_log_is_refused() {
    for (driver, size) in [
        ("json-file", "1000g"),
        ("local", "1000g"),
        ("", "1000g"),
        ("json-file", "1T"),
        ("json-file", "51m"),
        ("json-file", "0"),
    ] {
        assert_rule(
            create_hc(json!({"LogConfig": {"Type": driver, "Config": {"max-size": size}}})),
            403,
            "bounds.logs",
        );
    }
}

#[test]
fn log_sizes_that_cannot_be_read_are_refused() {
    for (k, v) in [
        ("max-size", "1e12"),
        ("max-size", "-1"),
        ("max-size", "10 m"),
        ("max-size", "0x10"),
        ("max-size", ""),
        ("max-file", "-1"),
        ("max-file", "+5"),
        ("max-file", "99999999999999999999"),
        ("max-buffer-size", "lots"),
    ] {
        assert_rule(
            create_hc(json!({"LogConfig": {"Type": "json-file", "Config": {k: v}}})),
            400,
            "bounds.logs",
        );
    }
}

#[test]
fn a_huge_non_blocking_log_buffer_is_refused() {
    assert_rule(
        create_hc(json!({"LogConfig": {"Type": "json-file",
            "Config": {"mode": "non-blocking", "max-buffer-size": "10g"}}})),
        403,
        "bounds.logs",
    );
}

#[test]
fn a_duplicate_log_option_is_judged_by_the_value_that_wins() {
    assert_rule(
        send(
            "/v1.41/containers/create",
            r#"{"Image":"busybox","HostConfig":{"LogConfig":{"Type":"json-file","Config":{"max-size":"1m","max-size":"1000g"}}}}"#,
        ),
        403,
        "bounds.logs",
    );
}

// ------------------------------------------------- CPU weight, realtime --

#[test]
fn cpu_shares_of_262144_are_refused_at_create_and_update() {
    assert_rule(
        create_hc(json!({"CpuShares": 262_144})),
        403,
        "bounds.cpu-weight",
    );
    assert_rule(
        send("/v1.41/containers/web/update", r#"{"CpuShares":262144}"#),
        403,
        "bounds.cpu-weight",
    );
    assert_rule(
        send("/v1.41/containers/web/update", r#"{"BlkioWeight":1000}"#),
        403,
        "bounds.cpu-weight",
    );
    assert_rule(
        create_hc(json!({"CpuShares": -1})),
        400,
        "bounds.cpu-weight",
    );
    let b = body(create_hc(json!({"CpuShares": 512})));
    assert_eq!(b["HostConfig"]["CpuShares"], 512);
}

#[test]
fn realtime_cpu_is_refused_in_every_spelling() {
    for hc in [
        json!({"CpuRealtimeRuntime": 950_000}),
        json!({"CpuRealtimeRuntime": -1}),
        json!({"CpuRealtimePeriod": 1_000_000}),
        json!({"Ulimits": [{"Name": "rtprio", "Soft": 99, "Hard": 99}]}),
        json!({"Ulimits": [{"Name": "RTPRIO", "Soft": 0, "Hard": 1}]}),
        json!({"Ulimits": [{"Name": " rtprio", "Soft": 1, "Hard": 1}]}),
    ] {
        assert_rule(create_hc(hc), 403, "bounds.realtime");
    }
    assert_rule(
        send(
            "/v1.41/containers/web/update",
            r#"{"cpurealtimeruntime":950000}"#,
        ),
        403,
        "bounds.realtime",
    );
}

// ---------------------------------------------------------- healthcheck --

fn health(h: Value) -> Verdict {
    create(json!({"Image": "busybox", "Healthcheck": h}))
}

#[test]
fn a_health_check_every_millisecond_is_refused() {
    // the issue's reproduction: execs spawned by the daemon every 1 ms
    let d = assert_rule(
        health(json!({"Test": ["CMD", "true"], "Interval": 1_000_000})),
        403,
        "bounds.healthcheck",
    );
    assert!(d.message.contains("1ms"), "{}", d.message);
    for h in [
        json!({"Test": ["CMD", "true"], "StartInterval": 1_000_000}),
        json!({"Test": ["CMD-SHELL", "true"], "Timeout": 1}),
        json!({"StartPeriod": 999_999_999}),
        json!({"Test": ["CMD", "true"], "Retries": 1_000_000}),
    ] {
        assert_rule(health(h), 403, "bounds.healthcheck");
    }
    assert_rule(health(json!({"Interval": -1})), 400, "bounds.healthcheck");
    assert_rule(
        send(
            "/v1.41/containers/create",
            r#"{"Image":"busybox","HEALTHCHECK":{"test":["CMD","true"],"interval":30000000000,"INTERVAL":1000000}}"#,
        ),
        403,
        "bounds.healthcheck",
    );
}

#[test]
fn health_checks_at_the_defaults_or_turned_off_are_fine() {
    forwarded(health(
        json!({"Test": ["CMD", "true"], "Interval": 0, "Retries": 0}),
    ));
    forwarded(health(json!({"Test": ["NONE"], "Interval": 1})));
    forwarded(health(
        json!({"Test": ["CMD", "true"], "Interval": 30_000_000_000_i64, "Timeout": 5_000_000_000_i64, "Retries": 3}),
    ));
}

#[test]
#[ignore = "HOLE: an image's own HEALTHCHECK (inherited when the body sets none) is not in the body; the core asks for the image now (EXPOSE, VOLUME), but ImageFacts does not read Config.Healthcheck: read it, and make this test judge a 1 ms image health check (bounds.healthcheck)"]
fn an_images_one_millisecond_health_check_is_judged() {
    let v = create(json!({"Image": "busybox"}));
    assert!(matches!(v, Verdict::Need(_)), "{v:?}");
}

// ------------------------------------------------------------- property --

/// A tmpfs size as the test's generator writes one: digits and k/m/g.
fn size_of(opts: &str) -> Option<i64> {
    let v = opts
        .split(',')
        .filter_map(|o| o.strip_prefix("size="))
        .collect::<Vec<_>>();
    assert!(v.len() <= 1, "one size at most: {opts}");
    let v = v.first()?;
    let (num, shift) = match v.as_bytes().last()? {
        b'k' => (&v[..v.len() - 1], 10),
        b'm' => (&v[..v.len() - 1], 20),
        b'g' => (&v[..v.len() - 1], 30),
        _ => (&v[..], 0),
    };
    Some(num.parse::<i64>().unwrap() << shift)
}

fn tmpfs_opts() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("rw,noexec".to_string()),
        (1i64..600).prop_map(|m| format!("size={m}m")),
        (1i64..3).prop_map(|g| format!("rw,size={g}g")),
        (1i64..100_000).prop_map(|k| format!("size={k}k,mode=1777")),
        Just("size=0".to_string()),
        Just("SIZE=1g".to_string()),
        Just("size=1m,size=2g".to_string()),
    ]
}

fn memory() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(0)),
        Just(json!(-1)),
        (4i64..1100).prop_map(|m| json!(m * MI)),
        Just(json!(1i64 << 40)),
    ]
}

fn shm() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(-1)),
        (1i64..700).prop_map(|m| json!(m * MI)),
        Just(json!(i64::MAX)),
    ]
}

fn mount_size() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        (1i64..600).prop_map(|m| json!({"SizeBytes": m * MI})),
        Just(json!({"SizeBytes": -5})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever a tenant sends, a forwarded create has a size on every
    /// tmpfs and `/dev/shm`, each under its ceiling, and their sum fits in
    /// the memory limit; and its log is bounded.
    #[test]
    fn forwarded_tmpfs_and_shm_fit_in_the_memory_limit(
        mem in memory(),
        shm in shm(),
        tmpfs in proptest::collection::btree_map("/[a-z]{1,6}", tmpfs_opts(), 0..4),
        mounts in proptest::collection::vec(mount_size(), 0..3),
        ipc in prop_oneof![Just(""), Just("private"), Just("shareable"), Just("none")],
    ) {
        let mounts: Vec<Value> = mounts
            .into_iter()
            .enumerate()
            .map(|(i, o)| json!({"Type": "tmpfs", "Target": format!("/m{i}"), "TmpfsOptions": o}))
            .collect();
        let mut hc = json!({"Tmpfs": tmpfs, "Mounts": mounts, "IpcMode": ipc});
        if !mem.is_null() { hc["Memory"] = mem; }
        if !shm.is_null() { hc["ShmSize"] = shm; }
        let v = create_hc(hc);
        if let Some(f) = v.forward() {
            let hc = &f.body.as_ref().unwrap()["HostConfig"];
            let memory = hc["Memory"].as_i64().unwrap();
            prop_assert!(memory > 0 && memory <= 1 << 30);
            let mut sum = 0i64;
            for (path, opts) in hc["Tmpfs"].as_object().into_iter().flatten() {
                let s = size_of(opts.as_str().unwrap());
                prop_assert!(s.is_some_and(|s| s > 0 && s <= 512 * MI), "{path}: {opts}");
                sum += s.unwrap();
            }
            for m in hc["Mounts"].as_array().into_iter().flatten() {
                let s = m["TmpfsOptions"]["SizeBytes"].as_i64();
                prop_assert!(s.is_some_and(|s| s > 0 && s <= 512 * MI), "{m}");
                sum += s.unwrap();
            }
            match hc.get("ShmSize").and_then(Value::as_i64) {
                Some(s) => {
                    prop_assert!(s > 0 && s <= 512 * MI);
                    sum += s;
                }
                None => prop_assert_eq!(ipc, "none", "a container with its own /dev/shm gets a size"),
            }
            prop_assert!(sum <= memory, "{sum} > {memory}");
            let lc = &hc["LogConfig"]["Config"];
            prop_assert!(lc["max-size"].is_string() && lc["max-file"].is_string());
        }
    }
}
