//! The compose checks, including attacker-side spellings of each escape.

use super::*;
use crate::compose::interp::Vars;
use crate::compose::load::{from_texts, Project};

fn project(yaml: &str) -> Project {
    let mut sources = Vec::new();
    from_texts(
        vec![("c.yml".into(), yaml.into())],
        &Vars::new(Vec::new(), None),
        Path::new("/srv/app"),
        &mut sources,
    )
    .unwrap()
}

fn rules(yaml: &str) -> Vec<&'static str> {
    let mut r: Vec<_> = check(&project(yaml)).into_iter().map(|h| h.rule).collect();
    r.sort_unstable();
    r.dedup();
    r
}

fn has(yaml: &str, rule: &str) -> bool {
    rules(yaml).contains(&rule)
}

const LIMITS: &str = "    mem_limit: 64m\n    cpus: 0.1\n    pids_limit: 10\n    security_opt: [\"no-new-privileges:true\"]\n    healthcheck: {test: [\"CMD\", \"true\"]}\n";

#[test]
fn a_hardened_service_has_no_findings() {
    let y = format!("services:\n  web:\n    image: nginx:1.27.2\n    ports: [\"80\"]\n{LIMITS}");
    assert_eq!(rules(&y), Vec::<&str>::new());
}

#[test]
fn docker_socket_in_every_spelling_is_found() {
    for src in [
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/run/../run/docker.sock",
        "//var//run/./docker.sock",
        "/var/run/docker.sock/",
    ] {
        let y = format!("services:\n  a:\n    image: x:1\n    volumes: [\"{src}:/s\"]\n");
        assert!(has(&y, "compose.docker-socket"), "{src}");
    }
    let y = "services:\n  a:\n    image: x:1\n    volumes:\n      - type: bind\n        source: /var/run/docker.sock\n        target: /s\n";
    assert!(has(y, "compose.docker-socket"));
}

#[test]
fn relative_paths_climbing_to_sensitive_dirs_are_found() {
    // the project lives in /srv/app: ../../etc is /etc
    let y = "services:\n  a:\n    image: x:1\n    volumes: [\"../../etc:/x\"]\n";
    assert!(has(y, "compose.sensitive-host-path"));
    let y = "services:\n  a:\n    image: x:1\n    volumes: [\"./data:/x\"]\n";
    assert!(has(y, "compose.host-path") && !has(y, "compose.sensitive-host-path"));
    let y = "services:\n  a:\n    image: x:1\n    volumes: [\"data:/x\"]\n";
    assert!(!has(y, "compose.host-path"), "named volumes are fine");
}

#[test]
fn privileged_in_any_yaml_spelling_is_found() {
    for v in ["true", "\"true\"", "yes", "True"] {
        let y = format!("services:\n  a:\n    image: x:1\n    privileged: {v}\n");
        assert!(has(&y, "compose.privileged"), "{v}");
    }
    let y = "services:\n  a:\n    image: x:1\n    privileged: false\n";
    assert!(!has(y, "compose.privileged"));
}

#[test]
fn capability_spellings_are_found() {
    for c in ["SYS_ADMIN", "sys_admin", "CAP_SYS_ADMIN", "ALL"] {
        let y = format!("services:\n  a:\n    image: x:1\n    cap_add: [{c}]\n");
        assert!(has(&y, "compose.cap-add-dangerous"), "{c}");
    }
    let y = "services:\n  a:\n    image: x:1\n    cap_add: [CHOWN]\n";
    assert!(has(y, "compose.cap-add") && !has(y, "compose.cap-add-dangerous"));
}

#[test]
fn unconfined_security_options_with_colon_or_equals_are_found() {
    let y = "services:\n  a:\n    image: x:1\n    security_opt: [\"seccomp=unconfined\", \"apparmor:unconfined\"]\n";
    let r = rules(y);
    assert!(
        r.contains(&"compose.seccomp-unconfined") && r.contains(&"compose.apparmor-unconfined"),
        "{r:?}"
    );
    assert!(r.contains(&"compose.no-new-privileges"));
}

#[test]
fn host_namespaces_are_found() {
    let y = "services:\n  a:\n    image: x:1\n    network_mode: host\n    pid: host\n    ipc: host\n    userns_mode: host\n    uts: host\n";
    let r = rules(y);
    for id in [
        "compose.host-network",
        "compose.host-pid",
        "compose.host-ipc",
        "compose.host-userns",
        "compose.host-uts",
    ] {
        assert!(r.contains(&id), "{id}: {r:?}");
    }
}

#[test]
fn explicit_host_ports_in_short_and_long_syntax_are_found() {
    for p in [
        "\"8080:80\"",
        "\"127.0.0.1:8080:80\"",
        "\"8000-8001:80-81\"",
        "{target: 80, published: 8080}",
    ] {
        let y = format!("services:\n  a:\n    image: x:1\n    ports: [{p}]\n");
        assert!(has(&y, "compose.host-port"), "{p}");
    }
    for p in ["\"80\"", "\"127.0.0.1::80\"", "{target: 80}"] {
        let y = format!("services:\n  a:\n    image: x:1\n    ports: [{p}]\n");
        assert!(!has(&y, "compose.host-port"), "{p}");
    }
}

#[test]
fn limits_in_deploy_resources_count() {
    let y = "services:\n  a:\n    image: x:1\n    deploy:\n      resources:\n        limits: {memory: 64m, cpus: '0.5', pids: 10}\n";
    let r = rules(y);
    assert!(
        !r.contains(&"compose.memory-unset")
            && !r.contains(&"compose.cpus-unset")
            && !r.contains(&"compose.pids-unset"),
        "{r:?}"
    );
}

#[test]
fn unresolved_variables_are_errors_only_where_they_matter() {
    let y = "services:\n  a:\n    image: x:1\n    volumes: [\"${DIR}/d:/d\"]\n    environment: [\"A=${A}\"]\n";
    let hits = check(&project(y));
    let sev = |rule: &str| {
        hits.iter()
            .find(|h| h.rule == rule)
            .map(|h| (h.severity, h.pos.line))
    };
    assert_eq!(
        sev("compose.unresolved-variable"),
        Some((Severity::Error, 4))
    );
    assert_eq!(sev("compose.unset-variable"), Some((Severity::Info, 5)));
}

#[test]
fn host_path_folding() {
    let d = Path::new("/srv/app");
    assert_eq!(host_path("/a/../b//c/.", d), "/b/c");
    assert_eq!(host_path("../../../../etc", d), "/etc");
    assert_eq!(host_path("./x", d), "/srv/app/x");
    assert_eq!(host_path("/", d), "/");
}
