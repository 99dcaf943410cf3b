//! Policy loading and custom CEL rules: the default policy, the examples,
//! every load error with its line and column, CEL bounds, fail-closed
//! evaluation, and the no-panic property of the loader.

use fdcs_policy::policy::{CelContext, CelInput, CelRule, DEFAULT_POLICY_YAML};
use fdcs_policy::{Denial, Policy, PolicyError};
use serde_json::{json, Value};

/// `docker create -P --name web busybox` as the docker CLI 28.2.2 sends it
/// (captured through a logging proxy in front of dockerd 20.10).
const CLI_RUN_BODY: &str = r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":true,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}
"#;

/// `docker-compose up` (1.29.2): the container of a service with an env var,
/// a published container port and a named volume.
const COMPOSE_CREATE_BODY: &str = r#"{"ExposedPorts": {"80/tcp": {}}, "Tty": false, "OpenStdin": false, "StdinOnce": false, "AttachStdin": false, "AttachStdout": false, "AttachStderr": false, "Env": ["FOO=bar"], "Cmd": ["sleep", "1"], "Image": "busybox", "Volumes": {"/data": {}}, "NetworkDisabled": false, "HostConfig": {"NetworkMode": "fdcscap_default", "VolumesFrom": [], "Binds": ["fdcscap_data:/data:rw"], "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": ""}]}, "Links": [], "LogConfig": {"Type": "", "Config": {}}}, "NetworkingConfig": {"EndpointsConfig": {"fdcscap_default": {"Aliases": ["web"], "IPAMConfig": {}}}}, "Labels": {"com.docker.compose.project": "fdcscap", "com.docker.compose.service": "web", "com.docker.compose.oneoff": "False", "com.docker.compose.project.working_dir": "/tmp/cap/comp", "com.docker.compose.project.config_files": "docker-compose.yml", "com.docker.compose.container-number": "1", "com.docker.compose.version": "1.29.2", "com.docker.compose.config-hash": "946d4c9d797c7f1dd22f1ab86191e61de5f41199cb6ee544f2639c0b6436e48c"}}"#;

/// docker-compose 1.29.2's default network.
const COMPOSE_NETWORK_BODY: &str = r#"{"Name": "fdcscap_default", "CheckDuplicate": true, "Labels": {"com.docker.compose.project": "fdcscap", "com.docker.compose.network": "default", "com.docker.compose.version": "1.29.2"}, "Attachable": true}"#;

/// docker-compose 1.29.2's named volume.
const COMPOSE_VOLUME_BODY: &str = r#"{"Name": "fdcscap_data", "Labels": {"com.docker.compose.project": "fdcscap", "com.docker.compose.volume": "data", "com.docker.compose.version": "1.29.2"}}"#;

fn load(src: &str) -> Result<Policy, PolicyError> {
    Policy::from_yaml(src, "test.yaml")
}

fn default_policy() -> Policy {
    Policy::embedded_default().unwrap()
}

/// Runs every rule of `policy` that applies to `endpoint` on `body`.
fn judge_custom(policy: &Policy, endpoint: &str, body: Option<&Value>) -> Result<(), Denial> {
    let input = CelInput {
        endpoint,
        method: "POST",
        path: "/containers/create",
        api_version: "1.41",
        tenant: "alpha",
        object: body,
        query: &[],
    };
    let ctx = CelContext::new(&input);
    for rule in policy.custom.iter().filter(|r| r.applies_to(endpoint)) {
        rule.check(&ctx)?;
    }
    Ok(())
}

fn body(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

/// A policy with one custom rule on ContainerCreate.
fn one_rule(expression: &str) -> String {
    format!(
        "apiVersion: fdcs/v1\nkind: Policy\nname: t\ncustom:\n  - id: t\n    match: {{ endpoints: [ContainerCreate] }}\n    expression: {expression:?}\n    message: \"refused; do something else\"\n"
    )
}

fn rule(src: &str) -> CelRule {
    load(src).unwrap().custom.remove(0)
}

fn check_one(expression: &str, object: &Value) -> Result<(), Denial> {
    let r = rule(&one_rule(expression));
    let query = [("name".to_string(), "web".to_string())];
    let input = CelInput {
        endpoint: "ContainerCreate",
        method: "POST",
        path: "/containers/create",
        api_version: "1.41",
        tenant: "alpha",
        object: Some(object),
        query: &query,
    };
    let ctx = CelContext::new(&input);
    r.check(&ctx)
}

// ---------------------------------------------------------------- default

#[test]
fn embedded_default_loads_with_the_fdcs_profile() {
    let p = default_policy();
    assert_eq!(p.name, "fdcs-default");
    assert_eq!(p.min_api_version.to_string(), "1.24");
    assert!(p.ports.ephemeral_only);
    assert!(p.mounts.allow_host_paths.is_empty());
    assert_eq!(p.mounts.allow_volume_drivers, ["local"]);
    assert!(!p.privileges.allow_privileged);
    assert!(p.privileges.allow_cap_add.is_empty());
    assert!(p.privileges.allow_security_opt.contains(&"no-new-privileges".to_string()));
    assert!(!p.namespaces.allow_host);
    assert_eq!(p.resources.memory.default, 256 << 20);
    assert_eq!(p.resources.memory.max, 1 << 30);
    assert_eq!(p.resources.nano_cpus.default, 500_000_000);
    assert_eq!(p.resources.nano_cpus.max, 2_000_000_000);
    assert_eq!(p.resources.pids.default, 256);
    assert_eq!(p.resources.pids.max, 1024);
    assert_eq!(p.images.allow, ["*"]);
    assert!(p.images.allow_pull && !p.images.allow_build && !p.images.allow_push);
    assert!(!p.images.allow_manage && !p.exec.allow_privileged);
    let ids: Vec<&str> = p.custom.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["custom.labels.bounded", "custom.env.bounded", "custom.ulimits.bounded"]);
}

#[test]
fn default_custom_rules_allow_the_docker_cli_and_compose() {
    let p = default_policy();
    judge_custom(&p, "ContainerCreate", Some(&body(CLI_RUN_BODY))).unwrap();
    judge_custom(&p, "ContainerCreate", Some(&body(COMPOSE_CREATE_BODY))).unwrap();
    judge_custom(&p, "NetworkCreate", Some(&body(COMPOSE_NETWORK_BODY))).unwrap();
    judge_custom(&p, "VolumeCreate", Some(&body(COMPOSE_VOLUME_BODY))).unwrap();
    let exec = json!({"User":"","Privileged":false,"Tty":true,"AttachStdin":true,
        "AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"",
        "Env":null,"WorkingDir":"","Cmd":["sh"]});
    judge_custom(&p, "ContainerExec", Some(&exec)).unwrap();
    // Rules that do not match an endpoint do not run; no body is fine.
    judge_custom(&p, "SystemPing", None).unwrap();
}

#[test]
fn default_labels_rule_denies_too_many_or_too_large_labels() {
    let p = default_policy();
    let mut b = body(CLI_RUN_BODY);
    let labels: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
    b["Labels"] = Value::Object(labels);
    let d = judge_custom(&p, "ContainerCreate", Some(&b)).unwrap_err();
    assert_eq!(d.status, 403);
    assert_eq!(d.rule.as_deref(), Some("custom.labels.bounded"));
    assert!(d.message.contains("at most 64"), "{}", d.message);

    let mut b = body(CLI_RUN_BODY);
    b["Labels"] = json!({"big": "x".repeat(4097)});
    assert!(judge_custom(&p, "ContainerCreate", Some(&b)).is_err());
    b["Labels"] = json!({"x".repeat(257): "v"});
    assert!(judge_custom(&p, "ContainerCreate", Some(&b)).is_err());
    // The same bound on volumes and networks.
    let v = json!({"Name":"data","Labels":{"big": "x".repeat(5000)}});
    assert!(judge_custom(&p, "VolumeCreate", Some(&v)).is_err());
    // At the bound: allowed.
    b["Labels"] = Value::Object((0..64).map(|i| (format!("k{i}"), json!("x".repeat(4096)))).collect());
    judge_custom(&p, "ContainerCreate", Some(&b)).unwrap();
}

#[test]
fn default_env_rule_denies_too_many_variables_with_a_computed_message() {
    let p = default_policy();
    let mut b = body(CLI_RUN_BODY);
    b["Env"] = Value::Array((0..300).map(|i| json!(format!("V{i}=1"))).collect());
    let d = judge_custom(&p, "ContainerCreate", Some(&b)).unwrap_err();
    assert_eq!(d.rule.as_deref(), Some("custom.env.bounded"));
    assert!(d.message.contains("sets 300 environment variables"), "{}", d.message);
    assert!(d.message.contains("(rule custom.env.bounded); pass configuration"), "{}", d.message);

    b["Env"] = json!([format!("A={}", "x".repeat(40000))]);
    let d = judge_custom(&p, "ContainerCreate", Some(&b)).unwrap_err();
    assert!(d.message.contains("longer than 32768"), "{}", d.message);
    // Exec is bounded too.
    let exec = json!({"Cmd":["sh"],"Env":(0..257).map(|i| format!("V{i}=1")).collect::<Vec<_>>()});
    assert!(judge_custom(&p, "ContainerExec", Some(&exec)).is_err());
}

#[test]
fn default_ulimits_rule_denies_unlimited_and_huge_ulimits() {
    let p = default_policy();
    let mut b = body(CLI_RUN_BODY);
    b["HostConfig"]["Ulimits"] = json!([{"Name":"nofile","Soft":1024,"Hard":4096}]);
    judge_custom(&p, "ContainerCreate", Some(&b)).unwrap();
    for bad in [
        json!([{"Name":"nofile","Soft":-1,"Hard":-1}]),
        json!([{"Name":"nproc","Soft":10,"Hard":99999999}]),
        json!([{"Name":"nofile","Soft":"1","Hard":1}]),
        json!(["nofile"]),
    ] {
        b["HostConfig"]["Ulimits"] = bad.clone();
        let d = judge_custom(&p, "ContainerCreate", Some(&b)).unwrap_err();
        assert_eq!(d.rule.as_deref(), Some("custom.ulimits.bounded"), "{bad}");
    }
}

// ---------------------------------------------------------------- load errors

/// Loads `src`, expects an error, checks its position and that the message
/// contains `needle`.
#[track_caller]
fn load_err(src: &str, line: usize, column: usize, needle: &str) -> PolicyError {
    let e = load(src).expect_err("policy must not load");
    println!("{e}");
    assert_eq!((e.line, e.column), (line, column), "{e}");
    assert!(e.message.contains(needle), "`{needle}` not in: {e}");
    assert!(e.to_string().starts_with(&format!("test.yaml:{line}:{column}: ")));
    e
}

const HEAD: &str = "apiVersion: fdcs/v1\nkind: Policy\nname: t\n";

#[test]
fn debug_print_errors() {
    for src in [
        format!("{HEAD}bogus: 1\n"),
        format!("{HEAD}rules:\n  privileges:\n    allowPrivilege: true\n"),
        format!("{HEAD}rules:\n  resources:\n    memory: {{ default: 2Gi, max: 1Gi }}\n"),
        format!("{HEAD}rules:\n  ports: {{ ephemeralOnly: yes }}\n"),
        format!("{HEAD}name: x\n"),
        "apiVersion: fdcs/v1\nkind: Policy\n".to_string(),
        "[1, 2".to_string(),
        "".to_string(),
        format!("{HEAD}custom:\n  - id: x\n    match: {{ endpoints: [ContainerCreate] }}\n    expression: \"1 +\"\n    message: m\n"),
        format!("{HEAD}custom:\n  - id: x\n    match: {{ endpoints: [ContainerCreate] }}\n    expression: |\n      true &&\n        (1 + )\n    message: m\n"),
    ] {
        match load(&src) {
            Ok(_) => println!("OK?? {src}"),
            Err(e) => println!("{e}"),
        }
    }
}
