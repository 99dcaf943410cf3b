//! Both tenants run the same compose project (same project, service, volume
//! and network names) at the same time, through docker-compose 1.29, and
//! both succeed; while both are up, the isolation invariant holds.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{assert_isolated, case, fixtures};
use std::time::Duration;

#[test]
fn both_tenants_bring_up_the_same_project_at_once() {
    let Some(c) = case() else { return };
    let project = c.name("proj");
    let dir = fixtures().join("compose");
    c.both(|t| {
        t.compose(&dir, &["-p", &project, "up", "-d"]).ok();
        let ps = t.compose(&dir, &["-p", &project, "ps"]);
        let text = ps.ok();
        for svc in ["web", "worker"] {
            let row = format!("{project}_{svc}_1");
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&row) && l.contains("Up")),
                "{}: compose ps lacks a running {row}:\n{ps}",
                t.id
            );
        }
        let mut logs = String::new();
        for _ in 0..50 {
            logs = t
                .compose(&dir, &["-p", &project, "logs", "--no-color", "worker"])
                .ok()
                .to_owned();
            if logs.contains("worker-up") {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(
            logs.contains("worker-up"),
            "{}: compose logs:\n{logs}",
            t.id
        );
        // docker-py's exec: create, then a hijacked start.
        let said = format!("compose-exec-{}", t.id);
        let ex = t.compose(
            &dir,
            &["-p", &project, "exec", "-T", "worker", "echo", &said],
        );
        assert_eq!(ex.ok(), said, "{}: compose exec", t.id);
        // The project's containers are the tenant's own, named as compose named them.
        let ps = t.docker(&[
            "ps",
            "--filter",
            &format!("label=com.docker.compose.project={project}"),
            "--format",
            "{{.Names}}",
        ]);
        let mut names: Vec<&str> = ps.ok().lines().collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [format!("{project}_web_1"), format!("{project}_worker_1")],
            "{}",
            t.id
        );
    });
    let e = c.env;
    assert_isolated(&e.engine, &e.alpha, &e.beta, &c.tag);
    c.both(|t| {
        t.compose(&dir, &["-p", &project, "down", "-v"]).ok();
    });
    let left: Vec<_> = e
        .engine
        .containers()
        .into_iter()
        .filter(|o| o.name.contains(&c.tag))
        .collect();
    assert!(left.is_empty(), "down left containers: {left:?}");
    let left: Vec<_> = e
        .engine
        .networks()
        .into_iter()
        .filter(|o| o.name.contains(&c.tag))
        .collect();
    assert!(left.is_empty(), "down left networks: {left:?}");
    let left: Vec<_> = e
        .engine
        .volumes()
        .into_iter()
        .filter(|o| o.name.contains(&c.tag))
        .collect();
    assert!(left.is_empty(), "down -v left volumes: {left:?}");
    c.finish();
}

#[test]
fn a_denied_project_shows_the_fdcs_message_and_creates_no_container() {
    let Some(c) = case() else { return };
    let project = c.name("bad");
    let dir = fixtures().join("compose-denied");
    c.both(|t| {
        let out = t.compose(&dir, &["-p", &project, "up", "-d"]);
        out.fails_with("fdcs:");
        let _ = t.compose(&dir, &["-p", &project, "down", "-v"]);
    });
    let created: Vec<_> = c
        .env
        .engine
        .containers()
        .into_iter()
        .filter(|o| o.name.contains(&c.tag))
        .collect();
    assert!(
        created.is_empty(),
        "a denied compose service reached the engine: {created:?}"
    );
    c.finish();
}
