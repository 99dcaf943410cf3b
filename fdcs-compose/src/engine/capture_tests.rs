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
            "/v1.41/networks/lintcap_back/disconnect",
            "/v1.41/networks/lintcap_back/connect",
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

fn project_of(yaml: &str, dir: &str) -> Vec<super::EngineRequest> {
    let mut sources = Vec::new();
    let p = from_texts(
        vec![("docker-compose.yml".into(), yaml.into())],
        &Vars::new(Vec::new(), None),
        Path::new(dir),
        &crate::files::MemFiles::new(),
        &mut sources,
    )
    .unwrap();
    requests(&p, Path::new(dir))
}

fn create_of<'a>(r: &'a [super::EngineRequest], svc: &str) -> &'a super::EngineRequest {
    r.iter()
        .find(|r| r.target.contains("containers/create") && r.subject == svc)
        .unwrap()
}

#[test]
fn blkio_config_and_device_cgroup_rules_match_the_capture() {
    // docker-compose 1.29.2, project hcapcblk, `up --no-start`
    let yaml = r#"version: "2.4"
services:
  app:
    image: example/app:1.0
    command: sleep 1000
    device_cgroup_rules: ["c 1:3 mr", 'a *:* rwm']
    blkio_config:
      weight: 300
      weight_device:
        - path: /dev/loop0
          weight: 400
      device_read_bps:
        - path: /dev/loop0
          rate: '12mb'
        - path: /dev/loop1
          rate: 1024
      device_write_bps:
        - {path: /dev/loop0, rate: 1g}
      device_read_iops:
        - {path: /dev/loop0, rate: 120}
      device_write_iops:
        - {path: /dev/loop0, rate: "30"}
    network_mode: none
"#;
    let r = project_of(yaml, "/nonexistent/hcapcblk");
    let c = create_of(&r, "app");
    let captured = json!({"BlkioDeviceReadBps": [{"Path": "/dev/loop0", "Rate": 12582912}, {"Path": "/dev/loop1", "Rate": 1024}],
        "BlkioDeviceReadIOps": [{"Path": "/dev/loop0", "Rate": 120}], "BlkioDeviceWriteBps": [{"Path": "/dev/loop0", "Rate": 1073741824}],
        "BlkioDeviceWriteIOps": [{"Path": "/dev/loop0", "Rate": 30}], "BlkioWeight": 300, "BlkioWeightDevice": [{"Path": "/dev/loop0", "Weight": 400}],
        "DeviceCgroupRules": ["c 1:3 mr", "a *:* rwm"], "NetworkMode": "none"});
    for (k, v) in captured.as_object().unwrap() {
        assert_eq!(&c.body["HostConfig"][k], v, "HostConfig.{k}");
    }
    let line = |f: &str| c.paths.find(f).map(|p| (p.line, p.col));
    assert_eq!(line("HostConfig.DeviceCgroupRules[1]"), Some((6, 39)));
    assert_eq!(line("HostConfig.BlkioWeight"), Some((8, 7)));
    assert_eq!(line("HostConfig.BlkioWeightDevice"), Some((9, 7)));
    assert_eq!(
        line("HostConfig.BlkioDeviceReadBps[1].Path"),
        Some((15, 11))
    );
    assert_eq!(line("HostConfig.BlkioDeviceReadIOps[0]"), Some((20, 11)));
    // a service with none sends none of them (docker-py leaves them out)
    let plain = project_of(
        "services:\n  a:\n    image: x\n    blkio_config: {weight: 0, device_read_bps: []}\n",
        "/nonexistent/p",
    );
    let hc = &create_of(&plain, "a").body["HostConfig"];
    for k in ["BlkioWeight", "BlkioDeviceReadBps", "DeviceCgroupRules"] {
        assert!(hc.get(k).is_none(), "{k}: {hc}");
    }
}

#[test]
fn further_networks_are_connected_after_create_as_compose_does() {
    // docker-compose 1.29.2, project hcapcnet, `up -d`: `app` sets a
    // priority, so its order is by priority then file order; `one` sets
    // none, so its order is by engine name (`back` before `zeta`)
    let yaml = r#"version: "2.4"
services:
  app:
    image: example/app:1.0
    command: sleep 1000
    networks:
      zeta:
      back:
        aliases: [db-alias]
      front:
        priority: 10
  one:
    image: example/app:1.0
    command: sleep 1000
    networks: [zeta, back]
networks:
  zeta: {}
  back: {}
  front: {}
"#;
    let r = project_of(yaml, "/nonexistent/hcapcnet");
    let seq: Vec<(&str, &str)> = r
        .iter()
        .filter(|r| !r.target.ends_with("/networks/create"))
        .map(|r| (r.subject.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seq,
        [
            ("app", "/v1.41/containers/create?name=hcapcnet_app_1"),
            ("app", "/v1.41/networks/hcapcnet_front/disconnect"),
            ("app", "/v1.41/networks/hcapcnet_front/connect"),
            ("app", "/v1.41/networks/hcapcnet_zeta/connect"),
            ("app", "/v1.41/networks/hcapcnet_back/connect"),
            ("one", "/v1.41/containers/create?name=hcapcnet_one_1"),
            ("one", "/v1.41/networks/hcapcnet_back/disconnect"),
            ("one", "/v1.41/networks/hcapcnet_back/connect"),
            ("one", "/v1.41/networks/hcapcnet_zeta/connect"),
        ]
    );
    // captured create of `one`: only the primary network
    let one = create_of(&r, "one");
    assert_eq!(one.body["HostConfig"]["NetworkMode"], "hcapcnet_back");
    assert_eq!(
        one.body["NetworkingConfig"],
        json!({"EndpointsConfig": {"hcapcnet_back": {"Aliases": ["one"], "IPAMConfig": {}}}})
    );
    // captured: {"Container": "<id>", "EndpointConfig": {"Aliases": ["app", "db-alias", "<short id>"]}}
    let back = r
        .iter()
        .find(|r| r.subject == "app" && r.target == "/v1.41/networks/hcapcnet_back/connect")
        .unwrap();
    assert_eq!(
        back.body,
        json!({"Container": "hcapcnet_app_1", "EndpointConfig": {"Aliases": ["app", "db-alias"]}})
    );
    assert_eq!((back.anchor.line, back.anchor.col), (8, 7));
    let disc = r
        .iter()
        .find(|r| r.target == "/v1.41/networks/hcapcnet_back/disconnect")
        .unwrap();
    assert_eq!(disc.body, json!({"Container": "hcapcnet_one_1"}));
    assert_eq!((disc.anchor.line, disc.anchor.col), (15, 22));
}

#[test]
fn links_and_addresses_match_the_capture() {
    // docker-compose 1.29.2, project hcapclnk, `up -d`
    let yaml = r#"version: "2.4"
services:
  db:
    image: example/app:1.0
    command: sleep 1000
  web:
    image: example/app:1.0
    command: sleep 1000
    links: ["db:database"]
    networks:
      default:
      other:
        ipv4_address: 10.213.77.10
networks:
  other:
    ipam:
      config:
        - subnet: 10.213.77.0/24
"#;
    let r = project_of(yaml, "/nonexistent/hcapclnk");
    let links = json!([
        "hcapclnk_db_1:database",
        "hcapclnk_db_1:db_1",
        "hcapclnk_db_1:hcapclnk_db_1"
    ]);
    let web = create_of(&r, "web");
    assert_eq!(web.body["HostConfig"]["Links"], links);
    assert_eq!(web.body["HostConfig"]["NetworkMode"], "hcapclnk_default");
    assert_eq!(
        web.paths.find("HostConfig.Links[2]").map(|p| p.line),
        Some(9)
    );
    let other = r
        .iter()
        .find(|r| r.target == "/v1.41/networks/hcapclnk_other/connect")
        .unwrap();
    // captured: {"Aliases": ["web", "<short id>"], "IPAMConfig": {"IPv4Address": "10.213.77.10"}, "Links": [...]}
    assert_eq!(
        other.body,
        json!({"Container": "hcapclnk_web_1", "EndpointConfig": {"Aliases": ["web"], "IPAMConfig": {"IPv4Address": "10.213.77.10"}, "Links": links}})
    );
    assert_eq!(
        other
            .paths
            .find("EndpointConfig.IPAMConfig.IPv4Address")
            .map(|p| (p.line, p.col)),
        Some((13, 9))
    );
    // a service without `networks:` is reconnected to the default network
    let db: Vec<&str> = r
        .iter()
        .filter(|r| r.subject == "db")
        .map(|r| r.target.as_str())
        .collect();
    assert_eq!(
        db,
        [
            "/v1.41/containers/create?name=hcapclnk_db_1",
            "/v1.41/networks/hcapclnk_default/disconnect",
            "/v1.41/networks/hcapclnk_default/connect"
        ]
    );
}

#[test]
fn only_the_networks_services_name_are_created() {
    // docker-compose 1.29.2, project hcapcunused, `up --no-start`: created
    // `default` (named by `a`), `used`, and `onlylater` (named only by a
    // service its profile leaves out); not `unused`
    let yaml = r#"version: "3.9"
services:
  a:
    image: hcapc/box:1
    command: sleep 1000
    networks: [default, used]
  b:
    image: hcapc/box:1
    command: sleep 1000
    networks: [onlylater]
    profiles: [later]
networks:
  used: {}
  unused: {}
  onlylater: {}
"#;
    let r = project_of(yaml, "/nonexistent/hcapcunused");
    let created: Vec<&str> = r
        .iter()
        .filter(|r| r.target.ends_with("/networks/create"))
        .map(|r| r.body["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        created,
        [
            "hcapcunused_default",
            "hcapcunused_used",
            "hcapcunused_onlylater"
        ]
    );
    let creates: Vec<&str> = r
        .iter()
        .filter(|r| r.target.contains("containers/create"))
        .map(|r| r.subject.as_str())
        .collect();
    assert_eq!(creates, ["a"]);
}

#[test]
fn oom_realtime_healthchecks_and_swappiness_match_the_capture() {
    // docker-compose 1.29.2, project h1capa, `up --no-start <service>`
    // each, through a logging proxy; `cpu_rt_period: "1000000"` (a quoted
    // number) made compose itself fail (`to_microseconds` of no duration)
    let yaml = r#"version: "2.4"
services:
  oom:
    image: h1cap/box:1
    oom_score_adj: -500
  rt:
    image: h1cap/box:1
    cpu_rt_runtime: 400ms
    cpu_rt_period: 1400us
  rtnum:
    image: h1cap/box:1
    cpu_rt_runtime: 950000
    cpu_rt_period: 1000000
  hc1:
    image: h1cap/box:1
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://localhost:8080/"]
      interval: 100ms
      timeout: 5s
      retries: 20
      start_period: 1m30s
  hc2:
    image: h1cap/box:1
    healthcheck:
      test: wget -q localhost
      interval: 2h3m4s5ms6us
  hc3:
    image: h1cap/box:1
    healthcheck:
      disable: true
  hc4:
    image: h1cap/box:1
    healthcheck:
      test: ["CMD-SHELL", "true"]
      retries: 0
      interval: 0s
  hc5:
    image: h1cap/box:1
    healthcheck:
      test: ["NONE"]
  vd:
    image: h1cap/box:1
    mem_swappiness: 10
    dns_opt: ["ndots:2"]
"#;
    let r = project_of(yaml, "/nonexistent/h1capa");
    let hc = |s: &str| create_of(&r, s).body["HostConfig"].clone();
    assert_eq!(hc("oom")["OomScoreAdj"], -500);
    assert_eq!(hc("rt")["CPURealtimeRuntime"], 400000);
    assert_eq!(hc("rt")["CPURealtimePeriod"], 1400);
    assert_eq!(hc("rtnum")["CPURealtimeRuntime"], 950000);
    assert_eq!(hc("rtnum")["CPURealtimePeriod"], 1000000);
    assert_eq!(hc("vd")["MemorySwappiness"], 10);
    assert_eq!(hc("vd")["DnsOptions"], json!(["ndots:2"]));
    let health = |s: &str| create_of(&r, s).body["Healthcheck"].clone();
    assert_eq!(
        health("hc1"),
        json!({"Interval": 100000000, "Retries": 20, "StartPeriod": 90000000000_i64, "Test": ["CMD", "wget", "-q", "-O-", "http://localhost:8080/"], "Timeout": 5000000000_i64})
    );
    assert_eq!(
        health("hc2"),
        json!({"Interval": 7384005006000_i64, "Retries": null, "StartPeriod": null, "Test": ["CMD-SHELL", "wget -q localhost"], "Timeout": null})
    );
    let none = json!({"Interval": null, "Retries": null, "StartPeriod": null, "Test": ["NONE"], "Timeout": null});
    assert_eq!(health("hc3"), none);
    assert_eq!(health("hc5"), none);
    assert_eq!(
        health("hc4"),
        json!({"Interval": 0, "Retries": 0, "StartPeriod": null, "Test": ["CMD-SHELL", "true"], "Timeout": null})
    );
    assert!(create_of(&r, "oom").body.get("Healthcheck").is_none());
    let line = |s: &str, f: &str| create_of(&r, s).paths.find(f).map(|p| (p.line, p.col));
    assert_eq!(line("oom", "HostConfig.OomScoreAdj"), Some((5, 5)));
    assert_eq!(line("rt", "HostConfig.CpuRealtimePeriod"), Some((9, 5)));
    assert_eq!(line("hc1", "Healthcheck.Interval"), Some((18, 7)));
    assert_eq!(line("hc1", "Healthcheck.Retries"), Some((20, 7)));
    assert_eq!(line("hc3", "Healthcheck.Test"), Some((30, 7)));
}

#[test]
fn ipam_tmpfs_mounts_and_device_requests_match_the_capture() {
    // docker-compose 1.29.2, projects h1capa (`ipn`, 2.4) and h1capb (3.8)
    let yaml = r#"version: "3.8"
services:
  tmp:
    image: h1cap/box:1
    volumes:
      - type: tmpfs
        target: /cache
        tmpfs:
          size: 2147483648
      - type: tmpfs
        target: /other
        read_only: true
    network_mode: none
  gpu:
    image: h1cap/box:1
    network_mode: none
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: 1
              capabilities: [gpu]
  net:
    image: h1cap/box:1
    networks: [ipn, n3]
networks:
  ipn:
    ipam:
      driver: default
      config:
        - subnet: 10.239.77.0/24
          gateway: 10.239.77.1
          ip_range: 10.239.77.128/25
          aux_addresses:
            host1: 10.239.77.5
      options:
        foo: bar
  n3:
    driver: bridge
    ipam:
      config:
        - subnet: 10.239.78.0/24
"#;
    let r = project_of(yaml, "/nonexistent/h1capb");
    let net = |n: &str| {
        r.iter()
            .find(|r| r.target.ends_with("/networks/create") && r.subject == n)
            .unwrap()
    };
    assert_eq!(
        net("networks.ipn").body["IPAM"],
        json!({"Config": [{"AuxiliaryAddresses": {"host1": "10.239.77.5"}, "Gateway": "10.239.77.1", "IPRange": "10.239.77.128/25", "Subnet": "10.239.77.0/24"}], "Driver": "default", "Options": {"foo": "bar"}})
    );
    assert_eq!(
        net("networks.n3").body["IPAM"],
        json!({"Config": [{"AuxiliaryAddresses": null, "Gateway": null, "IPRange": null, "Subnet": "10.239.78.0/24"}], "Driver": "default"})
    );
    let at = |n: &str, f: &str| net(n).paths.find(f).map(|p| (p.line, p.col));
    assert_eq!(at("networks.ipn", "IPAM.Config"), Some((31, 7)));
    assert_eq!(at("networks.ipn", "IPAM.Options"), Some((37, 7)));
    assert_eq!(
        at("networks.n3", "IPAM.Driver"),
        Some((41, 5)),
        "no driver: the `ipam` key"
    );
    // compose sent the two mounts as [/other, /cache]; the order is its
    // own, each item as here (an unset `read_only` and `source` as null)
    let tmp = create_of(&r, "tmp");
    assert_eq!(
        tmp.body["HostConfig"]["Mounts"],
        json!([
            {"Target": "/cache", "TmpfsOptions": {"SizeBytes": 2147483648_i64}, "Type": "tmpfs"},
            {"ReadOnly": true, "Target": "/other", "Type": "tmpfs"}
        ])
    );
    assert_eq!(
        tmp.paths
            .find("HostConfig.Mounts[0].TmpfsOptions.SizeBytes")
            .map(|p| (p.line, p.col)),
        Some((9, 11))
    );
    assert_eq!(
        create_of(&r, "gpu").body["HostConfig"]["DeviceRequests"],
        json!([{"Capabilities": [["gpu"]], "Count": 1, "DeviceIDs": [], "Driver": "nvidia", "Options": {}}])
    );
}

#[test]
fn external_links_match_the_capture() {
    // docker-compose 1.29.2, project h1capc, `up --no-start` (so `db` was
    // not running and compose's `_get_links` left it out; with `up -d` it
    // is linked as `links_and_addresses_match_the_capture` shows):
    // ["h1capa_hc1_1:h1capa_hc1_1", "h1capa_hc2_1:db_1", "h1capa_oom_1:ext"]
    let yaml = r#"version: "2.4"
services:
  web:
    image: h1cap/box:1
    external_links: ["h1capa_oom_1:ext", "h1capa_hc1_1", "h1capa_hc2_1:db_1"]
"#;
    let r = project_of(yaml, "/nonexistent/h1capc");
    let web = create_of(&r, "web");
    assert_eq!(
        web.body["HostConfig"]["Links"],
        json!([
            "h1capa_hc1_1:h1capa_hc1_1",
            "h1capa_hc2_1:db_1",
            "h1capa_oom_1:ext"
        ])
    );
    assert_eq!(
        web.paths
            .find("HostConfig.Links[0]")
            .map(|p| (p.line, p.col)),
        Some((5, 42))
    );
    // an external link's alias replaces a linked service's alias of the same name
    let both = project_of(
        "services:\n  db:\n    image: x\n  web:\n    image: x\n    links: [db]\n    external_links: [\"other_1:db_1\"]\n",
        "/nonexistent/p",
    );
    assert_eq!(
        create_of(&both, "web").body["HostConfig"]["Links"],
        json!(["other_1:db_1", "p_db_1:db", "p_db_1:p_db_1"])
    );
}

#[test]
fn build_queries_match_the_capture() {
    // docker-compose 1.29.2, project h1capd, `build` (through the docker CLI)
    let yaml = r#"version: "3.8"
services:
  app:
    image: h1cap/built:1
    build:
      context: .
      network: host
  other:
    build:
      context: .
      dockerfile: ./Dockerfile
      target: t1
"#;
    let r = project_of(yaml, "/nonexistent/h1capd");
    let builds: Vec<&str> = r
        .iter()
        .filter(|r| r.target.contains("/build?"))
        .map(|r| r.target.as_str())
        .collect();
    assert_eq!(
        builds,
        [
            "/v1.41/build?dockerfile=Dockerfile&networkmode=host&t=h1cap%2Fbuilt%3A1&version=1",
            "/v1.41/build?dockerfile=Dockerfile&t=h1capd_other&target=t1&version=1"
        ]
    );
}
