//! Quotas count the project's own objects, as a fresh tenant at `up` time
//! holds exactly what the project created before each request, and
//! `scale:` / `deploy.replicas` are as many container creates: a project
//! that splits what it asks for so that every request alone fits is still
//! found, at the compose key of the first object over quota. Counts are
//! bounded, so a `scale: 100000` costs lint a bounded number of bodies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use fdcs_compose::engine::{requests, scale, EngineRequest};
use fdcs_compose::load::Project;
use fdcs_compose::{lint, load, Finding, MemFiles, Severity, Vars};
use fdcs_policy::{Policy, Tenant, TenantId};
use std::path::Path;

fn project(yaml: &str) -> (Project, Vec<load::Source>) {
    let mut sources = Vec::new();
    let p = load::from_texts(
        vec![("compose.yml".into(), yaml.into())],
        &Vars::new(Vec::new(), None),
        Path::new("/srv/app"),
        &MemFiles::new(),
        &mut sources,
    )
    .unwrap();
    (p, sources)
}

fn policy(quotas: &str) -> Policy {
    let src = format!(
        "apiVersion: fdcs/v1\nkind: Policy\nname: q\nrules:\n  quotas:\n{}",
        quotas
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    Policy::from_yaml(&src, "q").unwrap()
}

fn findings(quotas: &str, yaml: &str) -> Vec<Finding> {
    let (p, sources) = project(yaml);
    let tenant = Tenant::new(TenantId::new("alice").unwrap());
    lint::lint(&p, &sources, &policy(quotas), &tenant)
}

/// Engine errors and lint's own warnings about judging, as
/// `line:col rule subject`, sorted and deduplicated as lint prints them.
fn errors(quotas: &str, yaml: &str) -> Vec<String> {
    let mut out: Vec<String> = findings(quotas, yaml)
        .into_iter()
        .filter(|f| f.severity == Severity::Error || f.rule == "judge.undecided")
        .map(|f| format!("{}:{} {} {}", f.line, f.col, f.rule, f.subject))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn creates(reqs: &[EngineRequest]) -> Vec<String> {
    reqs.iter()
        .filter(|r| r.target.contains("/containers/create"))
        .map(|r| r.target.rsplit("name=").next().unwrap_or("").to_string())
        .collect()
}

const LIMITED: &str = "    mem_limit: 32m\n    cpus: 0.1\n    pids_limit: 10\n";

#[test]
fn scale_is_that_many_creates_and_the_one_over_quota_is_refused_at_the_service() {
    let yaml = format!("services:\n  worker:\n    image: busybox:1\n    scale: 3\n{LIMITED}");
    let (p, _) = project(&yaml);
    let reqs = requests(&p, &p.dir);
    assert_eq!(
        creates(&reqs),
        ["app_worker_1", "app_worker_2", "app_worker_3"]
    );
    let third = reqs
        .iter()
        .find(|r| r.target.ends_with("app_worker_3"))
        .unwrap();
    assert_eq!(
        third.body["Labels"]["com.docker.compose.container-number"],
        "3"
    );
    assert_eq!(
        errors("containers: 2", &yaml),
        ["2:3 quota.containers worker"]
    );
    assert!(errors("containers: 3", &yaml).is_empty());
    let f = findings("containers: 2", &yaml);
    let q = f.iter().find(|f| f.rule == "quota.containers").unwrap();
    assert!(q.message.contains("3 containers, quota 2"), "{}", q.message);
    assert!(q.message.contains("app_worker_3"), "{}", q.message);
}

#[test]
fn deploy_replicas_count_as_compose_1_29_counts_them() {
    let svc = |deploy: &str| {
        format!("services:\n  w:\n    image: busybox:1\n{LIMITED}    deploy:\n{deploy}")
    };
    let n = |yaml: &str| {
        let (p, _) = project(yaml);
        creates(&requests(&p, &p.dir)).len()
    };
    assert_eq!(n(&svc("      replicas: 3\n")), 3);
    // global mode: one container (scale would still count)
    assert_eq!(n(&svc("      mode: global\n      replicas: 3\n")), 1);
    assert_eq!(
        n(&svc(
            "      replicas: 3\n      placement:\n        max_replicas_per_node: 2\n"
        )),
        2
    );
    assert_eq!(
        errors("containers: 2", &svc("      replicas: 3\n")),
        ["2:3 quota.containers w"]
    );
}

#[test]
fn scale_zero_negative_or_invalid_creates_nothing_or_one() {
    for (scale, want) in [
        ("0", 0),
        ("-5", 0),
        ("\"2\"", 2),
        ("\"0x2\"", 2),
        ("1.5", 1),
    ] {
        let yaml = format!(
            "services:\n  w:\n    image: busybox:1\n    networks: [a]\n    scale: {scale}\n{LIMITED}networks:\n  a: {{}}\n"
        );
        let (p, _) = project(&yaml);
        let reqs = requests(&p, &p.dir);
        assert_eq!(creates(&reqs).len(), want, "scale {scale}");
        // no connect for a container that is never created
        let connects = reqs
            .iter()
            .filter(|r| r.target.ends_with("/connect"))
            .count();
        assert_eq!(connects, want, "scale {scale}");
        assert!(errors("containers: 1", &yaml).len() <= usize::from(want > 1));
    }
}

#[test]
fn a_huge_scale_is_bounded_and_still_found_over_quota() {
    let yaml = format!("services:\n  w:\n    image: busybox:1\n    scale: 100000\n{LIMITED}");
    let (p, _) = project(&yaml);
    let n = creates(&requests(&p, &p.dir)).len();
    assert_eq!(n as u64, scale::MAX_REPLICAS);
    assert_eq!(errors("containers: 20", &yaml), ["2:3 quota.containers w"]);
    // no quota counts them: lint says it judged only some
    let e = errors(
        "containers: unlimited\nmemory: unlimited\ncpus: unlimited\npids: unlimited",
        &yaml,
    );
    assert_eq!(e, ["4:5 judge.undecided w"]);
    // many services each scaled: the project as a whole is bounded too
    let mut many = String::from("services:\n");
    for i in 0..40 {
        many.push_str(&format!(
            "  s{i}:\n    image: busybox:1\n    scale: 100000\n{LIMITED}"
        ));
    }
    let (p, _) = project(&many);
    let n = creates(&requests(&p, &p.dir)).len() as u64;
    assert_eq!(n, 40 + scale::MAX_PROJECT_REPLICAS);
    // over the container quota: every service is refused, the first at its
    // 21st container, each later one at its first; replicas after a
    // refusal are counted without being judged (this stays fast)
    let started = std::time::Instant::now();
    let e = errors("containers: 20", &many);
    assert_eq!(e.len(), 40, "{e:?}");
    assert!(e.iter().all(|f| f.contains("quota.containers")), "{e:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn the_projects_own_networks_count_and_the_one_over_is_refused_at_its_key() {
    let yaml = format!(
        "services:\n  app:\n    image: busybox:1\n    networks: [front, back, admin]\n{LIMITED}networks:\n  front: {{}}\n  back: {{}}\n  admin: {{}}\n"
    );
    // one finding, at `admin:`; the service's connect to the refused
    // network is no not-found (it counts as the project's, to be fixed)
    assert_eq!(
        errors("networks: 2", &yaml),
        ["11:3 quota.networks networks.admin"]
    );
    assert!(errors("networks: 3", &yaml).is_empty());
}

#[test]
fn an_attacker_splitting_objects_across_requests_is_still_found() {
    // each service names one network: every create alone is within quota
    let mut split = String::from("services:\n");
    for s in ["a", "b", "c"] {
        split.push_str(&format!(
            "  {s}:\n    image: busybox:1\n    networks: [n{s}]\n{LIMITED}"
        ));
    }
    split.push_str("networks:\n  na: {}\n  nb: {}\n  nc: {}\n");
    assert_eq!(
        errors("networks: 2", &split),
        ["23:3 quota.networks networks.nc"]
    );

    // three volumes, one per service
    let mut vols = String::from("services:\n");
    for s in ["a", "b", "c"] {
        vols.push_str(&format!(
            "  {s}:\n    image: busybox:1\n    volumes: [\"v{s}:/data\"]\n{LIMITED}"
        ));
    }
    vols.push_str("volumes:\n  va: {}\n  vb: {}\n  vc: {}\n");
    assert_eq!(
        errors("volumes: 2", &vols),
        ["23:3 quota.volumes volumes.vc"]
    );

    // 1 GiB each: any one alone fits 2.5 GiB, three together do not (`up`
    // starts each container, so each holds its memory)
    let mut mem = String::from("services:\n");
    for s in ["a", "b", "c"] {
        mem.push_str(&format!(
            "  {s}:\n    image: busybox:1\n    mem_limit: 1g\n    cpus: 0.1\n    pids_limit: 10\n"
        ));
    }
    let e = errors("memory: 2560Mi", &mem);
    assert_eq!(e, ["12:3 quota.memory c"], "{e:?}");
    assert!(errors("memory: 3Gi", &mem).is_empty());

    // anonymous volumes of earlier containers count too
    let mut anon = String::from("services:\n");
    for s in ["a", "b"] {
        anon.push_str(&format!(
            "  {s}:\n    image: busybox:1\n    volumes: [\"/data\"]\n{LIMITED}"
        ));
    }
    let e = errors("volumes: 1", &anon);
    assert_eq!(e, ["8:3 quota.volumes b"], "{e:?}");
}
