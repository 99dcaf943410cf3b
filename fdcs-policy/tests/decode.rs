//! Go-exact decoding (DESIGN.md invariant 6), from the attacker's side, and
//! the real bodies the docker CLI 28 / 20.10 and docker-compose 1.29 send.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test binary: helpers fail loudly by design"
)]

use fdcs_policy::decode::{
    decode, decode_container_create, encode, ContainerCreate, ContainerUpdate, DecodeError,
    DecodeErrorKind, ExecCreate, NetworkConnect, NetworkCreate, NetworkDisconnect, VolumeCreate,
};
use fdcs_policy::Denial;
use serde_json::{json, Value};

fn create(body: &str) -> Result<ContainerCreate, DecodeError> {
    decode_container_create(body.as_bytes())
}

fn err(body: &str) -> DecodeError {
    match create(body) {
        Ok(c) => panic!("decoded, expected an error: {body} -> {:?}", encode(&c)),
        Err(e) => e,
    }
}

fn hc(body: &str) -> fdcs_policy::decode::HostConfig {
    create(body).unwrap().host_config.unwrap()
}

// ---- case folding -------------------------------------------------------

#[test]
fn case_variant_keys_reach_their_fields() {
    let c = create(r#"{"image":"busybox","hostconfig":{"PRIVILEGED":true,"binds":["/:/host"],"cApAdD":["ALL"]}}"#).unwrap();
    assert_eq!(c.image.as_deref(), Some("busybox"));
    let h = c.host_config.unwrap();
    assert_eq!(h.privileged, Some(true));
    assert_eq!(h.binds, Some(vec!["/:/host".to_string()]));
    assert_eq!(h.cap_add, Some(vec!["ALL".to_string()]));
}

#[test]
fn long_s_is_an_s_to_the_daemon() {
    // "Bindſ" (U+017F) is `Binds` for Go's bytes.EqualFold.
    let h = hc("{\"Image\":\"x\",\"HostConfig\":{\"Bind\u{17F}\":[\"/etc:/x\"]}}");
    assert_eq!(h.binds, Some(vec!["/etc:/x".to_string()]));
    let h = hc("{\"HostConfig\":{\"\u{17F}y\u{17F}ctl\u{17F}\":{\"kernel.x\":\"1\"}}}");
    assert!(h.sysctls.is_some());
}

#[test]
fn kelvin_sign_is_a_k_to_the_daemon() {
    let h = hc("{\"HostConfig\":{\"\u{212A}ernelMemory\":5,\"Lin\u{212A}s\":[\"db:db\"]}}");
    assert_eq!(h.resources.kernel_memory, Some(5));
    assert_eq!(h.links, Some(vec!["db:db".to_string()]));
}

#[test]
fn lookalikes_that_go_does_not_fold_are_unknown() {
    let e = err("{\"HostConfig\":{\"Pr\u{131}vileged\":true}}");
    assert_eq!(e.kind, DecodeErrorKind::UnknownField);
    assert!(e.path.starts_with("HostConfig."), "{}", e.path);
}

#[test]
fn map_keys_are_not_folded() {
    let c = create(r#"{"Labels":{"a":"1","A":"2"}}"#).unwrap();
    assert_eq!(c.labels.unwrap().len(), 2);
}

#[test]
fn exact_match_is_preferred_over_fold() {
    // both spellings are the same field: the later one wins, whichever it is
    let h = hc(r#"{"HostConfig":{"privileged":true,"Privileged":false}}"#);
    assert_eq!(h.privileged, Some(false));
    let h = hc(r#"{"HostConfig":{"Privileged":false,"privileged":true}}"#);
    assert_eq!(h.privileged, Some(true));
}

// ---- duplicates ---------------------------------------------------------

#[test]
fn duplicate_hostconfig_objects_merge_privileged_in() {
    let h = hc(r#"{"Image":"x","HostConfig":{"Privileged":true},"HostConfig":{"Memory":1}}"#);
    assert_eq!(h.privileged, Some(true));
    assert_eq!(h.resources.memory, Some(1));
    // and through a case variant of the key
    let h = hc(r#"{"HostConfig":{"Memory":1},"hostCONFIG":{"Privileged":true}}"#);
    assert_eq!(h.privileged, Some(true));
    assert_eq!(h.resources.memory, Some(1));
}

#[test]
fn duplicate_nested_structs_merge_recursively() {
    let h = hc(
        r#"{"HostConfig":{"LogConfig":{"Type":"json-file"}},"HostConfig":{"LogConfig":{"Config":{"a":"b"}}}}"#,
    );
    let lc = h.log_config.unwrap();
    assert_eq!(lc.type_.as_deref(), Some("json-file"));
    assert_eq!(lc.config.unwrap()["a"], "b");
}

#[test]
fn last_duplicate_scalar_wins() {
    let h = hc(r#"{"HostConfig":{"Privileged":false,"Privileged":true}}"#);
    assert_eq!(h.privileged, Some(true));
    let h = hc(r#"{"HostConfig":{"Privileged":true,"Privileged":false}}"#);
    assert_eq!(h.privileged, Some(false));
}

#[test]
fn last_duplicate_array_of_strings_wins() {
    let h = hc(r#"{"HostConfig":{"Binds":["/:/x","/etc:/y"],"Binds":["v:/data"]}}"#);
    assert_eq!(h.binds, Some(vec!["v:/data".to_string()]));
}

#[test]
fn duplicate_maps_keep_earlier_keys() {
    let h = hc(r#"{"HostConfig":{"Sysctls":{"kernel.a":"1"},"Sysctls":{"kernel.b":"2"}}}"#);
    let s = h.sysctls.unwrap();
    assert_eq!(s.len(), 2);
    let h = hc(
        r#"{"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]},"PortBindings":{"81/tcp":[{}]}}}"#,
    );
    let pb = h.port_bindings.unwrap();
    assert_eq!(
        pb["80/tcp"].as_ref().unwrap()[0].host_port.as_deref(),
        Some("8080")
    );
    assert!(pb.contains_key("81/tcp"));
}

#[test]
fn duplicate_map_key_last_wins() {
    let c = create(r#"{"Labels":{"a":"1","a":"2"}}"#).unwrap();
    assert_eq!(c.labels.unwrap()["a"], "2");
}

#[test]
fn null_after_value_is_ambiguous() {
    for body in [
        r#"{"HostConfig":{"Privileged":true,"Privileged":null}}"#,
        r#"{"HostConfig":{"Privileged":true},"HostConfig":null}"#,
        r#"{"HostConfig":{"Binds":["/:/x"],"binds":null}}"#,
        r#"{"Labels":{"a":"b"},"Labels":null}"#,
    ] {
        let e = err(body);
        assert_eq!(e.kind, DecodeErrorKind::Ambiguous, "{body}");
    }
}

#[test]
fn null_before_value_is_fine_and_null_alone_is_absent() {
    let h = hc(r#"{"HostConfig":{"Privileged":null,"Privileged":true}}"#);
    assert_eq!(h.privileged, Some(true));
    let c = create(r#"{"Image":"x","HostConfig":null,"Env":null}"#).unwrap();
    assert!(c.host_config.is_none());
    assert!(c.env.is_none());
}

#[test]
fn repeated_arrays_of_objects_are_ambiguous() {
    // Go decodes the second Mounts[0] *into* the first: Type stays "bind".
    let e = err(
        r#"{"HostConfig":{"Mounts":[{"Type":"bind","Source":"/etc","Target":"/x"}],"Mounts":[{"Target":"/x"}]}}"#,
    );
    assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
    assert_eq!(e.path, "HostConfig.Mounts");
}

// ---- unknown fields -----------------------------------------------------

#[test]
fn unknown_fields_are_denied_by_name_at_any_depth() {
    let cases = [
        (r#"{"Imagee":"x"}"#, "Imagee"),
        (
            r#"{"HostConfig":{"Privileged":false,"Evil":1}}"#,
            "HostConfig.Evil",
        ),
        (
            r#"{"ExposedPorts":{"80/tcp":{"x":1}}}"#,
            "ExposedPorts.80/tcp.x",
        ),
        (r#"{"Volumes":{"/d":{"Bind":"/"}}}"#, "Volumes./d.Bind"),
        (
            r#"{"Healthcheck":{"Test":["NONE"],"Shell":"x"}}"#,
            "Healthcheck.Shell",
        ),
        (
            r#"{"HostConfig":{"Mounts":[{"Type":"volume","VolumeOptions":{"DriverConfig":{"Nam":"x"}}}]}}"#,
            "HostConfig.Mounts[0].VolumeOptions.DriverConfig.Nam",
        ),
        (
            r#"{"NetworkingConfig":{"EndpointsConfig":{"n":{"IPAMConfig":{"Foo":1}}}}}"#,
            "NetworkingConfig.EndpointsConfig.n.IPAMConfig.Foo",
        ),
        (
            r#"{"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"","Extra":1}]}}}"#,
            "HostConfig.PortBindings.80/tcp[0].Extra",
        ),
    ];
    for (body, path) in cases {
        let e = err(body);
        assert_eq!(e.kind, DecodeErrorKind::UnknownField, "{body}");
        assert_eq!(e.path, path, "{body}");
    }
}

#[test]
fn unknown_field_becomes_a_400_denial_naming_it() {
    let d: Denial = err(r#"{"HostConfig":{"Evil":1}}"#).into();
    assert_eq!(d.status, 400);
    assert_eq!(d.rule.as_deref(), Some("decode.unknown-field"));
    assert_eq!(d.field.as_deref(), Some("HostConfig.Evil"));
    assert!(d.message.starts_with("fdcs: "), "{}", d.message);
    assert!(
        d.message.contains("(rule decode.unknown-field); "),
        "{}",
        d.message
    );
    assert!(d.message.contains("`HostConfig.Evil`"), "{}", d.message);
}

#[test]
fn top_level_fields_are_unknown_to_plain_models() {
    // only container create has the legacy placement
    let e = decode::<ContainerUpdate>(br#"{"HostConfig":{"Memory":1}}"#).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnknownField);
    let e = decode::<ContainerCreate>(br#"{"Privileged":true}"#).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnknownField);
}

// ---- malformed ----------------------------------------------------------

#[test]
fn malformed_bodies_are_400() {
    let cases = [
        r#"{"HostConfig":{"Memory":1e3}}"#,
        r#"{"HostConfig":{"Memory":1.0}}"#,
        r#"{"HostConfig":{"Memory":"1"}}"#,
        r#"{"HostConfig":{"Memory":99999999999999999999}}"#,
        r#"{"HostConfig":{"BlkioWeight":70000}}"#,
        r#"{"HostConfig":{"BlkioWeight":-1}}"#,
        r#"{"HostConfig":{"Privileged":"true"}}"#,
        r#"{"HostConfig":{"Binds":"/:/x"}}"#,
        r#"{"HostConfig":[]}"#,
        r#"{"Image":"x"} trailing"#,
        r#"{"Image":"x"}{"Image":"y"}"#,
        "",
        "   ",
        "null",
        "[]",
        r#"{"Image":"x""#,
    ];
    for body in cases {
        let e = err(body);
        assert_eq!(e.kind, DecodeErrorKind::Malformed, "{body}");
        let d: Denial = e.into();
        assert_eq!(
            (d.status, d.rule.as_deref()),
            (400, Some("decode.malformed")),
            "{body}"
        );
    }
    assert_eq!(
        err(r#"{"HostConfig":{"Memory":1e3}}"#).path,
        "HostConfig.Memory"
    );
    assert_eq!(
        err(r#"{"HostConfig":{"Binds":["a",1]}}"#).path,
        "HostConfig.Binds[1]"
    );
}

#[test]
fn invalid_utf8_is_malformed() {
    let e = decode_container_create(b"{\"Image\":\"\xff\"}").unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Malformed);
    let e = decode_container_create(b"{\"Imag\xc5\":\"x\"}").unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Malformed);
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let deep = format!(
        "{{\"Labels\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(err(&deep).kind, DecodeErrorKind::Malformed);
    let deep = format!(
        "{{\"ClusterVolumeSpec\":{}1{}}}",
        "{\"a\":".repeat(5000),
        "}".repeat(5000)
    );
    assert!(decode::<VolumeCreate>(deep.as_bytes()).is_err());
}

// ---- legacy placement ---------------------------------------------------

#[test]
fn legacy_top_level_hostconfig_fields_are_moved_in() {
    let h = hc(
        r#"{"Image":"x","Privileged":true,"Binds":["/:/host"],"PortBindings":{"80/tcp":[{"HostPort":"80"}]},"Memory":5}"#,
    );
    assert_eq!(h.privileged, Some(true));
    assert_eq!(h.binds, Some(vec!["/:/host".to_string()]));
    assert!(h.port_bindings.is_some());
    assert_eq!(h.resources.memory, Some(5));
    // case variants at the top level too
    let h = hc(r#"{"image":"x","PRIVILEGED":true}"#);
    assert_eq!(h.privileged, Some(true));
    // HostConfig: null does not hide them
    let h = hc(r#"{"HostConfig":null,"CapAdd":"ALL"}"#);
    assert_eq!(h.cap_add, Some(vec!["ALL".to_string()]));
}

#[test]
fn legacy_fields_next_to_hostconfig_are_ambiguous() {
    let e = err(r#"{"Image":"x","HostConfig":{},"Privileged":true}"#);
    assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
    assert_eq!(e.path, "Privileged");
    assert!(
        e.message.contains("move it into `HostConfig`"),
        "{}",
        e.message
    );
    let e = err(r#"{"Binds":["/:/x"],"HostConfig":{"Binds":[]}}"#);
    assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
}

#[test]
fn legacy_cpuset_fills_empty_cpuset_cpus() {
    let h = hc(r#"{"Cpuset":"0-1","HostConfig":{"CpusetCpus":""}}"#);
    assert_eq!(h.resources.cpuset_cpus.as_deref(), Some("0-1"));
    let h = hc(r#"{"Cpuset":"0-1","HostConfig":{"CpusetCpus":"2"}}"#);
    assert_eq!(h.resources.cpuset_cpus.as_deref(), Some("2"));
    // without a host config the daemon ignores it, unless another
    // top-level host field is there, even a `null` one (which we cannot
    // tell from absent): refused (the daemon oracle's finding)
    for body in [r#"{"Cpuset":"0-1"}"#, r#"{"Cpuset":"0-1","ShmSize":null}"#] {
        let e = create(body).unwrap_err();
        assert_eq!(
            (e.kind, e.path.as_str()),
            (DecodeErrorKind::Ambiguous, "Cpuset")
        );
    }
    let h = hc(r#"{"Cpuset":"0-1","ShmSize":1}"#);
    assert_eq!(h.resources.cpuset_cpus.as_deref(), Some("0-1"));
    let c = create(r#"{"Cpuset":""}"#).unwrap();
    assert_eq!(encode(&c), json!({}));
}

// ---- 20.10 StrSlice -----------------------------------------------------

#[test]
fn strslice_fields_accept_a_string() {
    let c = create(r#"{"Cmd":"echo hi","Entrypoint":["sh","-c"],"HostConfig":{"CapAdd":"NET_ADMIN","CapDrop":null}}"#).unwrap();
    assert_eq!(c.cmd, Some(vec!["echo hi".to_string()]));
    assert_eq!(
        c.host_config.unwrap().cap_add,
        Some(vec!["NET_ADMIN".to_string()])
    );
}

#[test]
fn repeated_strslice_last_wins_whatever_its_form() {
    let c = create(r#"{"Cmd":"a","Cmd":["b","c"],"Entrypoint":["x"],"entrypoint":"y"}"#).unwrap();
    assert_eq!(c.cmd, Some(vec!["b".to_string(), "c".to_string()]));
    assert_eq!(c.entrypoint, Some(vec!["y".to_string()]));
}

// ---- other bodies, same rules ---------------------------------------------

#[test]
fn escaped_keys_are_unescaped_before_matching() {
    let h = hc(r#"{"HostConfig":{"Privil\u0065ged":true,"\u0042inds":["/:/x"]}}"#);
    assert_eq!(h.privileged, Some(true));
    assert!(h.binds.is_some());
}

#[test]
fn port_binding_fields_fold_too() {
    let h = hc(
        r#"{"HostConfig":{"PortBindings":{"80/tcp":[{"hostport":"8080","HOSTIP":"0.0.0.0"}]}}}"#,
    );
    let pb = &h.port_bindings.unwrap()["80/tcp"];
    assert_eq!(pb.as_ref().unwrap()[0].host_port.as_deref(), Some("8080"));
    // and the legacy top level
    let h = hc(r#"{"portbindings":{"80/tcp":[{"HostPort":"80"}]}}"#);
    assert!(h.port_bindings.is_some());
}

#[test]
fn exec_privileged_by_case_variant_and_duplicate() {
    let e: ExecCreate = decode(br#"{"Cmd":["sh"],"Privileged":false,"PRIVILEGED":true}"#).unwrap();
    assert_eq!(e.privileged, Some(true));
    let e: ExecCreate =
        decode("{\"Cmd\":[\"sh\"],\"Privileged\":false,\"privileged\":true}".as_bytes()).unwrap();
    assert_eq!(e.privileged, Some(true));
    assert!(
        decode::<ExecCreate>(br#"{"Cmd":["sh"],"Privileged":true,"Privileged":null}"#).is_err()
    );
}

#[test]
fn volume_driver_opts_merge_across_duplicates() {
    let v: VolumeCreate = decode(
        br#"{"Name":"v","driveropts":{"o":"bind"},"DriverOpts":{"device":"/etc","type":"none"}}"#,
    )
    .unwrap();
    let o = v.driver_opts.unwrap();
    assert_eq!(o["o"], "bind");
    assert_eq!(o["device"], "/etc");
}

#[test]
fn update_limits_last_duplicate_wins_and_unknowns_are_named() {
    let u: ContainerUpdate =
        decode(br#"{"Memory":1,"memory":999999999999,"pidslimit":-1}"#).unwrap();
    assert_eq!(u.resources.memory, Some(999_999_999_999));
    assert_eq!(u.resources.pids_limit, Some(-1));
    let e = decode::<ContainerUpdate>(br#"{"Privileged":true}"#).unwrap_err();
    assert_eq!(
        (e.kind, e.path.as_str()),
        (DecodeErrorKind::UnknownField, "Privileged")
    );
}

#[test]
fn network_bodies_fold_and_deny_unknowns() {
    let n: NetworkCreate = decode(br#"{"name":"n","ipam":{"config":[{"subnet":"10.0.0.0/24"}]},"OPTIONS":{"com.docker.network.bridge.name":"docker0"}}"#).unwrap();
    assert_eq!(
        n.ipam.unwrap().config.unwrap()[0].subnet.as_deref(),
        Some("10.0.0.0/24")
    );
    assert!(n
        .options
        .unwrap()
        .contains_key("com.docker.network.bridge.name"));
    let c: NetworkConnect =
        decode(br#"{"container":"db","endpointconfig":{"aliases":["x"]}}"#).unwrap();
    assert_eq!(c.container.as_deref(), Some("db"));
    let e = decode::<NetworkDisconnect>(br#"{"Container":"x","Forced":true}"#).unwrap_err();
    assert_eq!(e.path, "Forced");
}

// ---- round trip ---------------------------------------------------------

#[test]
fn encode_is_canonical_and_stable() {
    let body = r#"{"image":"x","HostConfig":{"Memory":1},"HostConfig":{"privileged":true,"PortBindings":{"80/tcp":null}},"ExposedPorts":{"80/tcp":{}}}"#;
    let once = encode(&create(body).unwrap());
    assert_eq!(
        once,
        json!({"Image":"x","ExposedPorts":{"80/tcp":{}},"HostConfig":{"Privileged":true,"PortBindings":{"80/tcp":null},"Memory":1}})
    );
    let twice = encode(&create(&once.to_string()).unwrap());
    assert_eq!(once, twice);
}

// ---- real bodies --------------------------------------------------------

/// Drops `null`s; the canonical form omits them (absent and null are one).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Fields whose zero must survive re-encoding: Go pointers (nil and zero
/// differ) and the fields the decoder keeps `as explicit`.
const ZERO_KEPT: &[&str] = &[
    "OomKillDisable",
    "PidsLimit",
    "MemorySwappiness",
    "Init",
    "StopTimeout",
    "EnableIPv4",
    "EnableIPv6",
    "CheckDuplicate",
    "Privileged",
];

/// A Go zero value of a scalar (or of `[2]uint`): what the decoder may drop
/// from a non-pointer field, since the daemon reads it as absent.
fn is_go_zero(v: &Value) -> bool {
    match v {
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_i64() == Some(0) || n.as_u64() == Some(0),
        Value::Array(a) => a.len() == 2 && a.iter().all(|x| x.as_u64() == Some(0)),
        _ => false,
    }
}

/// `out` says what `sent` says: every field kept as sent, except a Go zero
/// of a non-pointer scalar field, which may be dropped. Empty slices and
/// maps always survive.
fn covers(name: &str, path: &str, out: &Value, sent: &Value) {
    match (out, sent) {
        (Value::Object(o), Value::Object(s)) => {
            for (k, sv) in s {
                let p = format!("{path}.{k}");
                match o.get(k) {
                    Some(ov) => covers(name, &p, ov, sv),
                    None => assert!(
                        sv.is_null() || (is_go_zero(sv) && !ZERO_KEPT.contains(&k.as_str())),
                        "{name}: {p} = {sv} was dropped"
                    ),
                }
            }
            for k in o.keys() {
                assert!(s.contains_key(k), "{name}: {path}.{k} was added");
            }
        }
        (Value::Array(o), Value::Array(s)) => {
            assert_eq!(o.len(), s.len(), "{name}: {path}");
            for (i, (ov, sv)) in o.iter().zip(s).enumerate() {
                covers(name, &format!("{path}[{i}]"), ov, sv);
            }
        }
        _ => assert_eq!(out, sent, "{name}: {path} changed"),
    }
}

/// Map values may legitimately be null (`PortBindings`, `EndpointsConfig`);
/// compare with nulls removed on both sides.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    name: &str,
    body: &[u8],
    dec: fn(&[u8]) -> Result<T, DecodeError>,
) {
    let model = dec(body).unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = encode(&model);
    let sent: Value = serde_json::from_slice(body).unwrap();
    // HostConfig is flattened with Resources: key order differs, content must not.
    covers(name, "", &without_nulls(&out), &without_nulls(&sent));
    let again = encode(&dec(out.to_string().as_bytes()).unwrap());
    assert_eq!(again, out, "{name}: re-encoding is not stable");
}

#[test]
fn real_client_bodies_decode_and_reencode_without_loss() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bodies");
    let mut seen = 0;
    for client in ["cli28", "cli20", "compose129", "dockerpy72"] {
        let dir = std::path::Path::new(root).join(client);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let name = format!("{client}/{}", f.file_name().unwrap().to_string_lossy());
            let body = std::fs::read(&f).unwrap();
            let stem = f.file_stem().unwrap().to_string_lossy().to_string();
            match stem
                .split('-')
                .take(2)
                .collect::<Vec<_>>()
                .join("-")
                .as_str()
            {
                "container-create" => round_trip(&name, &body, decode_container_create),
                "container-update" => round_trip::<ContainerUpdate>(&name, &body, decode),
                "exec-create" => round_trip::<ExecCreate>(&name, &body, decode),
                "network-create" => round_trip::<NetworkCreate>(&name, &body, decode),
                "network-connect" => round_trip::<NetworkConnect>(&name, &body, decode),
                "network-disconnect" => round_trip::<NetworkDisconnect>(&name, &body, decode),
                "volume-create" => round_trip::<VolumeCreate>(&name, &body, decode),
                other => panic!("{name}: unknown body family {other}"),
            }
            seen += 1;
        }
    }
    assert!(seen >= 30, "only {seen} bodies found");
}

#[test]
fn cli28_run_body_has_the_newer_fields() {
    let body = include_bytes!("data/bodies/cli28/container-create-run-P-web.json");
    let c = decode_container_create(body).unwrap();
    let ep = &c.networking_config.unwrap().endpoints_config.unwrap()["default"];
    // `"GwPriority":0` and `"ConsoleSize":[0,0]` are Go zeros of non-pointer
    // fields: accepted, and read as absent, as the daemon does
    assert_eq!(ep.as_ref().unwrap().gw_priority, None);
    let h = c.host_config.unwrap();
    assert_eq!(h.publish_all_ports, Some(true));
    assert_eq!(h.console_size, None);
}

// ---- Go zero values -------------------------------------------------------

#[test]
fn zeros_of_non_pointer_scalars_read_as_absent() {
    let c = create(
        r#"{"Hostname":"","Tty":false,"Image":"x","HostConfig":{"ShmSize":0,"CpuShares":0,"NetworkMode":"","AutoRemove":false,"ConsoleSize":[0,0],"RestartPolicy":{"Name":"","MaximumRetryCount":0}}}"#,
    )
    .unwrap();
    assert_eq!(c.hostname, None);
    assert_eq!(c.tty, None);
    let h = c.host_config.as_ref().unwrap();
    assert_eq!(h.shm_size, None);
    assert_eq!(h.resources.cpu_shares, None);
    assert_eq!(h.network_mode, None);
    assert_eq!(h.auto_remove, None);
    assert_eq!(h.console_size, None);
    // an empty struct stays: only scalars are normalised
    assert_eq!(h.restart_policy, Some(Default::default()));
    assert_eq!(
        encode(&c),
        json!({"Image":"x","HostConfig":{"RestartPolicy":{}}})
    );
    // non-zero values are untouched
    let h = hc(r#"{"HostConfig":{"ShmSize":1,"ConsoleSize":[0,1],"NetworkMode":"none"}}"#);
    assert_eq!(h.shm_size, Some(1));
    assert_eq!(h.console_size, Some([0, 1]));
    assert_eq!(h.network_mode.as_deref(), Some("none"));
}

#[test]
fn zeros_of_go_pointer_fields_are_kept() {
    // nil and zero differ for `*bool`/`*int64`/`*int`: `PidsLimit: 0` is
    // "unlimited", absent is "the default" (at update: "unchanged")
    let c = create(
        r#"{"StopTimeout":0,"HostConfig":{"OomKillDisable":false,"PidsLimit":0,"MemorySwappiness":0,"Init":false,"Privileged":false}}"#,
    )
    .unwrap();
    assert_eq!(c.stop_timeout, Some(0));
    let h = c.host_config.as_ref().unwrap();
    assert_eq!(h.resources.oom_kill_disable, Some(false));
    assert_eq!(h.resources.pids_limit, Some(0));
    assert_eq!(h.resources.memory_swappiness, Some(0));
    assert_eq!(h.init, Some(false));
    assert_eq!(h.privileged, Some(false));
    let u: ContainerUpdate = decode(br#"{"PidsLimit":0,"Memory":0}"#).unwrap();
    assert_eq!(u.resources.pids_limit, Some(0));
    assert_eq!(u.resources.memory, None);
    let n: NetworkCreate =
        decode(br#"{"Name":"n","EnableIPv6":false,"EnableIPv4":false,"CheckDuplicate":false,"Internal":false}"#)
            .unwrap();
    assert_eq!(n.enable_ipv6, Some(false));
    assert_eq!(n.enable_ipv4, Some(false));
    assert_eq!(n.check_duplicate, Some(false));
    assert_eq!(n.internal, None);
    // exec's `ConsoleSize` is a `*[2]uint`
    let e: ExecCreate = decode(br#"{"Cmd":["sh"],"ConsoleSize":[0,0],"Tty":false}"#).unwrap();
    assert_eq!(e.console_size, Some([0, 0]));
    assert_eq!(e.tty, None);
}

#[test]
fn empty_and_null_slices_and_maps_stay_distinct() {
    // `"Entrypoint": []` resets the image's entrypoint; absent or null keeps it
    let c = create(
        r#"{"Entrypoint":[],"Cmd":[],"Env":[],"Labels":{},"HostConfig":{"Binds":[],"Tmpfs":{}}}"#,
    )
    .unwrap();
    assert_eq!(c.entrypoint, Some(vec![]));
    assert_eq!(c.cmd, Some(vec![]));
    assert_eq!(c.env, Some(vec![]));
    assert_eq!(c.labels, Some(Default::default()));
    let h = c.host_config.as_ref().unwrap();
    assert_eq!(h.binds, Some(vec![]));
    assert_eq!(h.tmpfs, Some(Default::default()));
    assert_eq!(
        encode(&c),
        json!({"Entrypoint":[],"Cmd":[],"Env":[],"Labels":{},"HostConfig":{"Binds":[],"Tmpfs":{}}})
    );
    let c = create(r#"{"Entrypoint":null,"Cmd":null}"#).unwrap();
    assert_eq!((c.entrypoint, c.cmd), (None, None));
    // map values are data, never normalised
    let c = create(r#"{"Labels":{"a":""},"HostConfig":{"Sysctls":{"x":""}}}"#).unwrap();
    assert_eq!(c.labels.unwrap()["a"], "");
}

#[test]
fn a_zero_top_level_legacy_field_next_to_hostconfig_is_harmless() {
    // 20.10 copies a top-level field into `HostConfig` only where the object
    // leaves it zero: a zero top-level field changes nothing
    let c = create(r#"{"ShmSize":0,"HostConfig":{"ShmSize":5}}"#).unwrap();
    assert_eq!(c.host_config.unwrap().shm_size, Some(5));
    // a non-zero one is still refused as ambiguous
    let e = err(r#"{"ShmSize":1,"HostConfig":{"ShmSize":5}}"#);
    assert_eq!(e.kind, DecodeErrorKind::Ambiguous);
}

// ---- properties ---------------------------------------------------------

/// Fields whose JSON object is a Go map: its keys are data, never folded.
const MAP_FIELDS: &[&str] = &[
    "ExposedPorts",
    "Volumes",
    "Labels",
    "PortBindings",
    "EndpointsConfig",
    "Config",
    "Sysctls",
    "Tmpfs",
    "StorageOpt",
    "Annotations",
    "Options",
    "DriverOpts",
    "AuxiliaryAddresses",
];

/// Rewrites struct keys rune by rune as Go would still match them: ASCII
/// case flips, `k` → KELVIN SIGN, `s` → LONG S.
fn vary_key(key: &str, picks: &mut impl Iterator<Item = u8>) -> String {
    key.chars()
        .map(|c| match picks.next().unwrap_or(0) % 4 {
            1 => c.to_ascii_uppercase(),
            2 => c.to_ascii_lowercase(),
            3 if c.eq_ignore_ascii_case(&'k') => '\u{212A}',
            3 if c.eq_ignore_ascii_case(&'s') => '\u{17F}',
            _ => c,
        })
        .collect()
}

fn vary(v: &Value, is_map: bool, picks: &mut impl Iterator<Item = u8>) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    if is_map {
                        (k.clone(), vary(v, false, picks))
                    } else {
                        let inner_map = MAP_FIELDS.contains(&k.as_str());
                        (vary_key(k, picks), vary(v, inner_map, picks))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| vary(v, false, picks)).collect()),
        other => other.clone(),
    }
}

const RUN_BODY: &[u8] = include_bytes!("data/bodies/cli28/container-create-run-P-web.json");
const FULL_BODY: &[u8] =
    include_bytes!("data/bodies/cli28/container-create-volume-tmpfs-env-label-restart.json");

proptest::proptest! {
    #[test]
    fn folded_key_variants_decode_to_the_same_model(picks in proptest::collection::vec(0u8..4, 0..4000)) {
        for body in [RUN_BODY, FULL_BODY] {
            let want = decode_container_create(body).unwrap();
            let sent: Value = serde_json::from_slice(body).unwrap();
            let varied = vary(&sent, false, &mut picks.iter().copied());
            let got = decode_container_create(varied.to_string().as_bytes()).unwrap();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn hostconfig_split_in_two_objects_decodes_to_the_same_model(at in 0usize..120) {
        for body in [RUN_BODY, FULL_BODY] {
            let want = decode_container_create(body).unwrap();
            let sent: Value = serde_json::from_slice(body).unwrap();
            let mut parts: Vec<String> = Vec::new();
            for (k, v) in sent.as_object().unwrap() {
                if k == "HostConfig" {
                    let hc = v.as_object().unwrap();
                    let cut = at.min(hc.len());
                    let render = |it: &mut dyn Iterator<Item = (&String, &Value)>| {
                        let m: serde_json::Map<String, Value> =
                            it.map(|(k, v)| (k.clone(), v.clone())).collect();
                        Value::Object(m).to_string()
                    };
                    parts.push(format!("\"HostConfig\":{}", render(&mut hc.iter().take(cut))));
                    parts.push(format!("\"hostconfig\":{}", render(&mut hc.iter().skip(cut))));
                } else {
                    parts.push(format!("{}:{}", Value::String(k.clone()), v));
                }
            }
            let split = format!("{{{}}}", parts.join(","));
            let got = decode_container_create(split.as_bytes()).unwrap();
            proptest::prop_assert_eq!(got, want);
        }
    }
}

/// Every position of a value in `v`, as a JSON pointer.
fn positions(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                positions(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                positions(x, p, out);
            }
        }
        _ => {}
    }
}

/// Go's decoder never fails on a `null`: wherever a captured body holds a
/// value, `null` there decodes (absent, or Go's zero value), and what is
/// forwarded decodes again to the same model (issue 10 item 3).
#[test]
fn a_null_anywhere_in_a_real_body_decodes_as_go_reads_it() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bodies");
    let mut tried = 0;
    for client in ["cli28", "cli20", "compose129", "dockerpy72"] {
        for f in std::fs::read_dir(std::path::Path::new(root).join(client)).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let body: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            let mut at = Vec::new();
            positions(&body, String::new(), &mut at);
            for p in at {
                let mut b = body.clone();
                *b.pointer_mut(&p).unwrap() = Value::Null;
                let bytes = b.to_string().into_bytes();
                let again = |e: Value| e.to_string().into_bytes();
                macro_rules! check {
                    ($dec:expr) => {{
                        let m = $dec(&bytes).unwrap_or_else(|e| panic!("{name} {p}: {e}"));
                        let fwd = encode(&m);
                        assert_eq!(
                            encode(&$dec(&again(fwd.clone())).unwrap()),
                            fwd,
                            "{name} {p}"
                        );
                    }};
                }
                if name.starts_with("container-create") {
                    check!(decode_container_create)
                } else if name.starts_with("container-update") {
                    check!(decode::<ContainerUpdate>)
                } else if name.starts_with("exec-create") {
                    check!(decode::<ExecCreate>)
                } else if name.starts_with("network-create") {
                    check!(decode::<NetworkCreate>)
                } else if name.starts_with("network-connect") {
                    check!(decode::<NetworkConnect>)
                } else if name.starts_with("network-disconnect") {
                    check!(decode::<NetworkDisconnect>)
                } else if name.starts_with("volume-create") {
                    check!(decode::<VolumeCreate>)
                } else {
                    panic!("{name}: unknown family");
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 1000, "only {tried} positions");
}
