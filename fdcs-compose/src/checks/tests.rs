//! The compose checks, including attacker-side spellings of each escape.

use super::*;
use crate::interp::Vars;
use crate::load::{from_texts, Project};
use std::path::Path;

fn project(yaml: &str) -> Project {
    let mut sources = Vec::new();
    from_texts(
        vec![("c.yml".into(), yaml.into())],
        &Vars::new(Vec::new(), None),
        Path::new("/srv/app"),
        &crate::files::MemFiles::new(),
        &mut sources,
    )
    .unwrap()
}

fn rules(yaml: &str) -> Vec<String> {
    let mut r: Vec<String> = check(&project(yaml))
        .into_iter()
        .map(|h| h.rule.to_string())
        .collect();
    r.sort_unstable();
    r.dedup();
    r
}

const LIMITS: &str = "    mem_limit: 64m\n    cpus: 0.1\n    pids_limit: 10\n    security_opt: [\"no-new-privileges:true\"]\n    healthcheck: {test: [\"CMD\", \"true\"]}\n";

#[test]
fn a_hardened_service_has_no_findings() {
    let y = format!("services:\n  web:\n    image: nginx:1.27.2\n    ports: [\"80\"]\n{LIMITS}");
    assert_eq!(rules(&y), Vec::<String>::new());
}

#[test]
fn limits_in_deploy_resources_count() {
    let y = "services:\n  a:\n    image: x:1\n    deploy:\n      resources:\n        limits: {memory: 64m, cpus: '0.5', pids: 10}\n";
    let r = rules(y);
    assert!(
        !r.iter().any(|x| x == "compose.memory-unset")
            && !r.iter().any(|x| x == "compose.cpus-unset")
            && !r.iter().any(|x| x == "compose.pids-unset"),
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
