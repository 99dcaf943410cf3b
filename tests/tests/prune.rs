//! Prune and image-management commands cannot reach other tenants' objects,
//! the operator's objects, or the shared images.
//!
//! These run against a second, throwaway dockerd with its own `serve`: if
//! the proxy were broken, a tenant's `container prune` would delete every
//! stopped container on the engine, and the machine's engine may be shared.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::dockerd::Dockerd;
use fdcs_e2e::{assert_isolated, case, Engine, Proxy, Tenant};

#[test]
fn prune_and_image_management_touch_only_what_the_tenant_owns() {
    let Some(c) = case() else { return };
    let Some((d, dir)) = Dockerd::throwaway("prune") else {
        return;
    };
    let engine = Engine::new(&d.host(), &dir);
    engine.ensure_busybox(&dir).unwrap();
    let proxy = Proxy::start(&d.host(), &[], &dir).unwrap();
    let alpha = Tenant::new("alpha", "alpha-token", &proxy.host(), &dir);
    let beta = Tenant::new("beta", "beta-token", &proxy.host(), &dir);

    // The operator's own stopped container and unused volume, not fdcs's.
    let op = c.name("operator");
    engine
        .docker(&["create", "--name", &op, "busybox", "true"])
        .ok();
    engine.docker(&["volume", "create", &op]).ok();
    for t in [&alpha, &beta] {
        t.docker(&["create", "--name", &c.name("stopped"), "busybox", "true"])
            .ok();
        t.docker(&["volume", "create", &c.name("unused")]).ok();
        t.docker(&["network", "create", &c.name("idle")]).ok();
    }
    let beta_before: Vec<_> = [engine.containers(), engine.networks(), engine.volumes()]
        .concat()
        .into_iter()
        .filter(|o| o.owner == "beta" && o.name.contains(&c.tag))
        .collect();
    assert_eq!(
        beta_before.len(),
        3,
        "beta's objects on the engine: {beta_before:?}"
    );

    let mut outcomes = Vec::new();
    for args in [
        &["container", "prune", "-f"][..],
        &["volume", "prune", "-f"],
        &["network", "prune", "-f"],
        &["image", "prune", "-a", "-f"],
        &["system", "prune", "-f"],
        &["rmi", "-f", "busybox"],
        &["tag", "busybox", "alpha-owns-this"],
    ] {
        let out = alpha.docker(args);
        if !out.success() {
            assert!(
                out.stderr.contains("fdcs:"),
                "refused, but not by fdcs:\n{out}"
            );
        }
        outcomes.push(out);
    }
    let report: String = outcomes.iter().map(|o| format!("{o}\n")).collect();
    eprintln!("alpha's prune and image commands:\n{report}");

    let now = [engine.containers(), engine.networks(), engine.volumes()].concat();
    for o in &beta_before {
        assert!(
            now.iter().any(|n| n.id == o.id),
            "beta's {} is gone after alpha's prunes:\n{report}",
            o.name
        );
    }
    assert!(
        now.iter().any(|n| n.name == op && n.state == "created"),
        "the operator's container is gone:\n{report}"
    );
    assert!(
        now.iter().any(|n| n.id == op && n.state.is_empty()),
        "the operator's volume is gone:\n{report}"
    );
    engine.docker(&["image", "inspect", "busybox:latest"]).ok();
    let tagged = engine.docker(&["image", "inspect", "alpha-owns-this"]);
    assert!(
        !tagged.success(),
        "a tenant tagged a shared image:\n{report}"
    );
    if outcomes.first().is_some_and(|o| o.success()) {
        assert!(
            !now.iter()
                .any(|n| n.owner == "alpha" && n.name.contains(&c.name("stopped"))),
            "container prune succeeded but left alpha's own stopped container:\n{report}"
        );
    }

    assert_isolated(&engine, &alpha, &beta, &c.tag);
    engine.cleanup(&c.tag);
    drop(proxy);
    drop(d);
    c.finish();
}
