//! The Swarm bodies (`swarm.ServiceSpec`, `SecretSpec`, `ConfigSpec`) through
//! the Go-exact decoder. The bodies here are hand-written in the shape the
//! docker CLI sends (not yet captured from a live CLI: issue 14 follow-up).
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test binary: helpers fail loudly by design"
)]

use fdcs_policy::decode::{decode, encode, ConfigSpec, DecodeErrorKind, SecretSpec, ServiceSpec};
use serde_json::{json, Value};

fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(body: &Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let model: T = decode(&bytes).unwrap_or_else(|e| panic!("{e:?}: {body}"));
    assert_eq!(&encode(&model), body);
}

fn service_create() -> Value {
    json!({
        "Name": "web",
        "Labels": {"a": "b"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox:latest",
                "Args": ["sleep", "1000"],
                "Env": ["A=1"],
                "Init": false,
                "Mounts": [
                    {"Type": "volume", "Source": "data", "Target": "/data"},
                    {"Type": "tmpfs", "Target": "/t"}
                ],
                "Healthcheck": {"Test": ["CMD-SHELL", "true"]},
                "Secrets": [{"File": {"Name": "s", "UID": "0", "GID": "0", "Mode": 292},
                             "SecretID": "x", "SecretName": "s"}],
                "Configs": [{"File": {"Name": "/c", "UID": "0", "GID": "0", "Mode": 292},
                             "ConfigID": "y", "ConfigName": "c"}],
                "Sysctls": {"net.ipv4.ip_forward": "0"},
                "CapabilityAdd": ["CAP_NET_ADMIN"],
                "DNSConfig": {},
                "Isolation": "default"
            },
            "Resources": {
                "Limits": {"NanoCPUs": 500000000, "MemoryBytes": 67108864},
                "Reservations": {"MemoryBytes": 33554432}
            },
            "Placement": {"Constraints": ["node.role==manager"]},
            "Networks": [{"Target": "net1"}],
            "LogDriver": {"Name": "json-file"},
            "ForceUpdate": 0,
            "Runtime": "container"
        },
        "Mode": {"Replicated": {"Replicas": 2}},
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Order": "stop-first"},
        "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause", "Order": "stop-first"},
        "EndpointSpec": {"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "host"}
        ]}
    })
}

#[test]
fn service_spec_roundtrips() {
    roundtrip::<ServiceSpec>(&service_create());
}

#[test]
fn secret_and_config_specs_roundtrip() {
    roundtrip::<SecretSpec>(&json!({"Name": "s", "Labels": {"k": "v"}, "Data": "aGk="}));
    roundtrip::<ConfigSpec>(&json!({"Name": "c", "Data": "aGk="}));
}

#[test]
fn case_folded_task_template_reaches_its_field() {
    let s: ServiceSpec =
        decode(br#"{"taskTemplate":{"containerspec":{"IMAGE":"busybox"}}}"#).unwrap();
    let v = encode(&s);
    assert_eq!(v["TaskTemplate"]["ContainerSpec"]["Image"], "busybox");
}

#[test]
fn duplicate_key_last_wins() {
    let s: ServiceSpec = decode(br#"{"Name":"a","Name":"b"}"#).unwrap();
    assert_eq!(encode(&s)["Name"], "b");
}

#[test]
fn unknown_field_is_refused_by_name() {
    let e = decode::<ServiceSpec>(br#"{"TaskTemplate":{"ContainerSpec":{"Privileged":true}}}"#)
        .unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnknownField);
    assert!(e.path.contains("Privileged"), "{}", e.path);
}

fn captured(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/bodies/swarm/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn captured_service_bodies_roundtrip() {
    for cli in ["cli28", "cli20"] {
        for kind in [
            "services-create",
            "service-update-flags",
            "service-update-scale",
            "service-update-rollback",
        ] {
            roundtrip::<ServiceSpec>(&captured(&format!("{cli}-{kind}.json")));
        }
        roundtrip::<SecretSpec>(&captured(&format!("{cli}-secrets-create.json")));
        roundtrip::<ConfigSpec>(&captured(&format!("{cli}-configs-create.json")));
    }
    // CLI 28's stack deploy sends `"Privileges":{"CredentialSpec":null,
    // "NoNewPrivileges":false,"SELinuxContext":null}`: Go zeros, omitted.
    let mut stack = captured("cli28-stack-deploy-services-create.json");
    stack["TaskTemplate"]["ContainerSpec"]["Privileges"] = json!({});
    roundtrip::<ServiceSpec>(&stack);
    roundtrip::<SecretSpec>(&captured("cli28-stack-deploy-secrets-create.json"));
}

#[test]
fn secret_and_config_data_is_base64_as_the_daemon_reads_it() {
    // Go's `[]byte`: base64.StdEncoding, padding required, line breaks
    // ignored; what the daemon refuses is refused (the daemon oracle's
    // finding: a repeated `Data` whose earlier value is not base64)
    for ok in ["aGk=", "aG\nk=", "aGk=\r\n", "", "aGl="] {
        let body = json!({"Name": "s", "Data": ok}).to_string();
        let s: SecretSpec = decode(body.as_bytes()).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
        assert_eq!(
            encode(&s)["Data"],
            if ok.is_empty() {
                Value::Null
            } else {
                json!(ok)
            }
        );
        decode::<ConfigSpec>(body.as_bytes()).unwrap();
    }
    for bad in ["aGk", "aGk==", "!!", "aGk=x", "a"] {
        let body = json!({"Name": "s", "Data": bad}).to_string();
        let e = decode::<SecretSpec>(body.as_bytes()).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Malformed, "{bad:?}");
        assert!(decode::<ConfigSpec>(body.as_bytes()).is_err(), "{bad:?}");
    }
    let e = decode::<SecretSpec>(br#"{"Name":"s","Data":"aGk","data":"aGkx"}"#).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Malformed);
}
