//! The bodies built here against what docker-compose 1.29.2 really sent to
//! dockerd 20.10 for the same file (captured with a logging proxy between
//! `docker-compose -H tcp://...` and the daemon's socket, project `lintcap`).

use super::requests;
use crate::interp::Vars;
use crate::load::from_texts;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

const COMPOSE: &str = r#"version: "3.8"
services:
  web:
    image: busybox
    command: httpd -f -p 8080
    ports: ["18080:8080", "8081"]
    volumes: ["/tmp:/hosttmp:ro", "data:/data"]
    environment: {A: "1"}
    labels: {x: y}
    privileged: true
    cap_add: [NET_ADMIN]
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 50
    security_opt: ["no-new-privileges:true"]
    network_mode: bridge
  db:
    image: busybox
    command: sleep 1000
    networks: [back]
    deploy:
      resources:
        limits: {memory: 32M, cpus: "0.25"}
volumes:
  data: {}
networks:
  back: {}
"#;

fn built() -> Vec<super::EngineRequest> {
    let mut sources = Vec::new();
    let p = from_texts(
        vec![("docker-compose.yml".into(), COMPOSE.into())],
        &Vars::new(Vec::new(), None),
        Path::new("/nonexistent/lintcap"),
        &crate::files::MemFiles::new(),
        &mut sources,
    )
    .unwrap();
    requests(&p, Path::new("/nonexistent/lintcap"))
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn requests_come_in_compose_order_with_compose_targets() {
    let r = built();
    let targets: Vec<&str> = r.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/v1.41/networks/create",
            "/v1.41/volumes/create",
            "/v1.41/containers/create?name=lintcap_web_1",
            "/v1.41/containers/create?name=lintcap_db_1",
        ]
    );
    // captured: {"Name": "lintcap_back", "CheckDuplicate": true, "Labels": {...project, network...}}
    assert_eq!(
        r[0].body,
        json!({"Name": "lintcap_back", "CheckDuplicate": true, "Attachable": true,
            "Labels": {"com.docker.compose.project": "lintcap", "com.docker.compose.network": "back", "com.docker.compose.version": "1.29.2"}})
    );
    assert_eq!(r[0].body["Name"], "lintcap_back");
    assert_eq!(r[0].body["Labels"]["com.docker.compose.network"], "back");
    assert_eq!(r[1].body["Name"], "lintcap_data");
    assert_eq!(r[1].body["Labels"]["com.docker.compose.volume"], "data");
}

#[test]
fn the_web_create_body_matches_the_capture() {
    let r = built();
    let b = &r[2].body;
    let captured = json!({"ExposedPorts": {"8080/tcp": {}, "8081/tcp": {}}, "Env": ["A=1"], "Cmd": ["httpd", "-f", "-p", "8080"], "Image": "busybox", "Volumes": {"/data": {}, "/hosttmp": {}},
        "HostConfig": {"Memory": 67108864, "Privileged": true, "NetworkMode": "bridge", "CapAdd": ["NET_ADMIN"], "SecurityOpt": ["no-new-privileges:true"], "Binds": ["lintcap_data:/data:rw", "/tmp:/hosttmp:ro"],
            "PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "18080"}], "8081/tcp": [{"HostIp": "", "HostPort": ""}]}, "PidsLimit": 50, "NanoCpus": 500000000},
        "Labels": {"x": "y", "com.docker.compose.project": "lintcap", "com.docker.compose.service": "web", "com.docker.compose.oneoff": "False", "com.docker.compose.container-number": "1", "com.docker.compose.version": "1.29.2"}});
    for k in ["ExposedPorts", "Env", "Cmd", "Image", "Volumes", "Labels"] {
        assert_eq!(b[k], captured[k], "{k}");
    }
    let (h, c) = (&b["HostConfig"], &captured["HostConfig"]);
    for k in [
        "Memory",
        "Privileged",
        "NetworkMode",
        "CapAdd",
        "SecurityOpt",
        "PortBindings",
        "PidsLimit",
        "NanoCpus",
    ] {
        assert_eq!(h[k], c[k], "HostConfig.{k}");
    }
    // compose orders Binds its own way; the set is what matters
    assert_eq!(strings(&h["Binds"]), strings(&c["Binds"]));
}

#[test]
fn the_db_create_body_matches_the_capture() {
    let r = built();
    let b = &r[3].body;
    assert_eq!(b["Cmd"], json!(["sleep", "1000"]));
    assert_eq!(b["HostConfig"]["Memory"], 33554432);
    assert_eq!(b["HostConfig"]["NanoCpus"], 250000000);
    assert_eq!(b["HostConfig"]["NetworkMode"], "lintcap_back");
    assert_eq!(
        b["NetworkingConfig"]["EndpointsConfig"]["lintcap_back"]["Aliases"],
        json!(["db"])
    );
}

#[test]
fn every_field_maps_back_to_its_compose_line() {
    let r = built();
    let web = &r[2];
    let line = |f: &str| web.paths.find(f).map(|p| (p.line, p.col));
    assert_eq!(line("HostConfig.Privileged"), Some((10, 5)));
    assert_eq!(line("HostConfig.CapAdd[0]"), Some((11, 15)));
    assert_eq!(line("HostConfig.Binds[0]"), Some((7, 15)));
    assert_eq!(line("HostConfig.Binds[1]"), Some((7, 35)));
    assert_eq!(
        line("HostConfig.PortBindings[\"8080/tcp\"][0].HostPort"),
        Some((6, 13))
    );
    assert_eq!(line("HostConfig.Memory"), Some((12, 5)));
    assert_eq!(line("HostConfig.NetworkMode"), Some((16, 5)));
    let db = &r[3];
    assert_eq!(
        db.paths.find("HostConfig.Memory").map(|p| p.line),
        Some(23),
        "deploy limits map to their key"
    );
}

#[test]
fn file_secrets_become_read_only_bind_mounts_as_compose_sends_them() {
    // captured from docker-compose 1.29.2 (project lintcap2, dir /tmp/lintcap/proj2):
    // "Mounts": [{"Target": "/run/secrets/token", "Source": "/tmp/lintcap/proj2/token.txt", "Type": "bind", "ReadOnly": true},
    //            {"Target": "/etc/other.txt", "Source": "/etc/hostname", "Type": "bind", "ReadOnly": true}]
    let yaml = "version: \"3.8\"\nservices:\n  app:\n    image: busybox\n    secrets:\n      - token\n      - source: other\n        target: /etc/other.txt\nsecrets:\n  token:\n    file: ./token.txt\n  other:\n    file: /etc/hostname\n";
    let mut sources = Vec::new();
    let dir = Path::new("/nonexistent/proj2");
    let p = from_texts(
        vec![("c.yml".into(), yaml.into())],
        &Vars::new(Vec::new(), None),
        dir,
        &crate::files::MemFiles::new(),
        &mut sources,
    )
    .unwrap();
    let reqs = requests(&p, dir);
    // captured: {"Name": "lintcap2_default", "CheckDuplicate": true, "Labels": {...}, "Attachable": true}
    assert_eq!(
        reqs[0].body,
        json!({"Name": "proj2_default", "CheckDuplicate": true, "Attachable": true,
            "Labels": {"com.docker.compose.project": "proj2", "com.docker.compose.network": "default", "com.docker.compose.version": "1.29.2"}})
    );
    let create = reqs
        .iter()
        .find(|r| r.target.contains("containers/create"))
        .unwrap();
    assert_eq!(
        create.body["HostConfig"]["Mounts"],
        json!([
            {"Target": "/run/secrets/token", "Source": "/nonexistent/proj2/token.txt", "Type": "bind", "ReadOnly": true},
            {"Target": "/etc/other.txt", "Source": "/etc/hostname", "Type": "bind", "ReadOnly": true}
        ])
    );
    assert_eq!(
        create
            .paths
            .find("HostConfig.Mounts[1].Source")
            .map(|p| p.line),
        Some(7)
    );
}
