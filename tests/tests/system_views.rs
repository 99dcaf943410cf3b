//! `docker info`, `docker system df` and `docker system prune` show and
//! touch a tenant's own world, as a plain engine would show a user its own
//! (issue 10 items 4 and 5).
//!
//! A throwaway dockerd with its own `serve`, so that the counts are exact
//! and nothing else on the machine's engine is at risk: before the fix a
//! tenant's `docker system prune` pruned its containers and networks and
//! then failed on the image prune, and `docker info` showed `Images: 0`.
//! The engine holds, besides the two tenants' objects, the operator's own:
//! a stopped container, an image only a private registry names, and a
//! dangling image that an image prune reaching the engine would remove.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use std::collections::BTreeSet;

use fdcs_e2e::dockerd::Dockerd;
use fdcs_e2e::{case, docker_cli, Engine, Out, Proxy, Tenant};
use serde_json::Value;

/// The Debian CLI 20.10, when the machine has it beside CLI 28.
const CLI20: &str = "/usr/bin/docker";

/// The ids of the engine's images that a tenant may see: those with a
/// name on Docker Hub (the default policy's shared registry). The others
/// (a private registry's, dangling) are nobody's to see here.
fn shared_images(engine: &Engine) -> BTreeSet<String> {
    let out = engine.docker(&[
        "image",
        "ls",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Repository}}",
    ]);
    out.ok()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, repo)| {
            let first = repo.split('/').next().unwrap_or("");
            *repo != "<none>"
                && !(repo.contains('/')
                    && (first.contains('.') || first.contains(':') || first == "localhost"))
        })
        .map(|(id, _)| id.to_owned())
        .collect()
}

fn all_images(engine: &Engine) -> BTreeSet<String> {
    let out = engine.docker(&["image", "ls", "-a", "-q", "--no-trunc"]);
    out.ok().split_whitespace().map(str::to_owned).collect()
}

/// `docker info --format '{{json .}}'` as JSON.
fn info(out: &Out) -> Value {
    serde_json::from_str(out.ok().trim()).unwrap_or_else(|e| panic!("{e}:\n{out}"))
}

/// `docker system df --format '{{json .}}'`: type → that line.
fn df(out: &Out) -> std::collections::BTreeMap<String, Value> {
    out.ok()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (v["Type"].as_str().unwrap_or("").to_owned(), v)
        })
        .collect()
}

fn count(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// Sets up sva's four containers (two running, one paused, one stopped),
/// an unused network and volume; svb's one stopped container and unused
/// network. Returns sva's stopped container's id.
fn populate(c: &fdcs_e2e::Case, sva: &Tenant, svb: &Tenant) -> String {
    for n in ["run1", "run2", "paused"] {
        sva.docker(&["run", "-d", "--name", &c.name(n), "busybox", "sleep", "600"])
            .ok();
    }
    sva.docker(&["pause", &c.name("paused")]).ok();
    sva.docker(&["run", "--name", &c.name("stopped"), "busybox", "true"])
        .ok();
    sva.docker(&["network", "create", &c.name("idle")]).ok();
    sva.docker(&["volume", "create", &c.name("data")]).ok();
    svb.docker(&["run", "--name", &c.name("theirs"), "busybox", "true"])
        .ok();
    svb.docker(&["network", "create", &c.name("theirs")]).ok();
    sva.docker(&["inspect", "--format", "{{.Id}}", &c.name("stopped")])
        .ok()
        .trim()
        .to_owned()
}

#[test]
fn info_df_and_system_prune_show_and_touch_only_the_tenants_own() {
    let Some(c) = case() else { return };
    let Some((d, dir)) = Dockerd::throwaway("system-views") else {
        return;
    };
    let engine = Engine::new(&d.host(), &dir);
    engine.ensure_busybox(&dir).unwrap();
    let tenants = dir.join("tenants.yaml");
    std::fs::write(
        &tenants,
        "tenants:\n  - id: sva\n    tokens: [sva-token]\n  - id: svb\n    tokens: [svb-token]\n",
    )
    .unwrap();
    let proxy = Proxy::start(
        &d.host(),
        &["--tenants", &tenants.display().to_string()],
        &dir,
    )
    .unwrap();
    let sva = Tenant::new("sva", "sva-token", &proxy.host(), &dir);
    let svb = Tenant::new("svb", "svb-token", &proxy.host(), &dir);

    // the operator's: a stopped container, an image only a private
    // registry names, a dangling image
    let op = c.name("operator");
    engine
        .docker(&["create", "--name", &op, "busybox", "true"])
        .ok();
    engine
        .docker(&["commit", &op, "registry.example:5000/op/private:1"])
        .ok();
    let dangling = engine.docker(&["commit", &op]).ok().trim().to_owned();
    let stopped = populate(&c, &sva, &svb);

    let visible = shared_images(&engine);
    assert!(
        !visible.is_empty() && all_images(&engine).len() >= visible.len() + 2,
        "the engine should hold busybox, the private and the dangling image"
    );
    let n_visible = i64::try_from(visible.len()).unwrap();

    // docker info: the tenant's own counts
    // what a user reads (shown with a failure, and with --nocapture)
    eprintln!(
        "{}\n{}",
        sva.docker(&["info"]),
        sva.docker(&["system", "df"])
    );
    let i = info(&sva.docker(&["info", "--format", "{{json .}}"]));
    let counts = [
        "Containers",
        "ContainersRunning",
        "ContainersPaused",
        "ContainersStopped",
        "Images",
    ]
    .map(|k| count(&i, k));
    assert_eq!(counts, [4, 2, 1, 1, n_visible], "sva's docker info: {i}");
    assert_eq!(i["Name"], "fdcs");
    // the engine's root directory (in the scratch directory here) and
    // other engine details stay hidden
    let text = i.to_string();
    assert!(!text.contains(&*dir.to_string_lossy()), "{text}");
    for key in ["DockerRootDir", "HttpProxy", "HTTPSProxy"] {
        assert!(i[key].as_str().unwrap_or("").is_empty(), "{key}: {text}");
    }
    let i = info(&svb.docker(&["info", "--format", "{{json .}}"]));
    let counts = ["Containers", "ContainersRunning", "ContainersStopped"].map(|k| count(&i, k));
    assert_eq!(counts, [1, 0, 1], "svb's docker info: {i}");

    // docker system df: ditto
    let out = sva.docker(&["system", "df", "--format", "{{json .}}"]);
    eprintln!("{out}");
    let lines = df(&out);
    let total = |t: &str| lines[t]["TotalCount"].as_str().unwrap_or("").to_owned();
    assert_eq!(total("Images"), visible.len().to_string(), "{out}");
    assert_eq!(
        lines["Images"]["Active"], "1",
        "sva's containers use busybox: {out}"
    );
    assert_eq!(total("Containers"), "4", "{out}");
    assert_eq!(total("Local Volumes"), "1", "{out}");
    assert_eq!(total("Build Cache"), "0", "{out}");
    for l in lines.values() {
        assert!(
            !l["Reclaimable"].as_str().unwrap_or("").starts_with('-'),
            "{out}"
        );
    }
    let verbose = sva.docker(&["system", "df", "-v"]);
    assert!(
        !verbose.ok().contains(&c.name("theirs")) && !verbose.ok().contains("private"),
        "{verbose}"
    );

    // docker system prune -f: sva's stopped container and unused network go,
    // the command succeeds and says so; nothing else is touched
    let before: Vec<_> = [engine.containers(), engine.networks(), engine.volumes()]
        .concat()
        .into_iter()
        .filter(|o| o.owner == "svb" || o.name == op)
        .collect();
    let out = sva.docker(&["system", "prune", "-f"]);
    eprintln!("{out}");
    let text = out.ok();
    assert!(text.contains(&stopped), "the stopped container: {out}");
    assert!(
        text.contains(&format!("Deleted Networks:\n{}\n", c.name("idle"))),
        "the unused network, by the tenant's name: {out}"
    );
    assert!(text.contains("Total reclaimed space"), "{out}");
    assert!(!text.contains("sva_"), "an engine-side name: {out}");
    let remaining = [engine.containers(), engine.networks(), engine.volumes()].concat();
    for o in &before {
        assert!(
            remaining.iter().any(|n| n.id == o.id),
            "{} ({}) is gone after sva's system prune:\n{out}",
            o.name,
            o.owner
        );
    }
    assert!(
        all_images(&engine).contains(&dangling),
        "the operator's dangling image was pruned: the image prune reached the engine\n{out}"
    );
    let i = info(&sva.docker(&["info", "--format", "{{json .}}"]));
    assert_eq!(count(&i, "Containers"), 3, "{i}");

    // the filters `docker system prune` takes reach every step, the
    // image and build-cache prunes included
    for filter in ["until=1h", "label=fdcs-e2e-nothing", "label!=fdcs-e2e-keep"] {
        let out = sva.docker(&["system", "prune", "-f", "--filter", filter]);
        assert!(out.ok().contains("Total reclaimed space"), "{out}");
    }
    // -a and --volumes: whatever the tenant owns goes, nothing shared
    let out = sva.docker(&["system", "prune", "-a", "-f", "--volumes"]);
    eprintln!("{out}");
    assert!(out.ok().contains("Total reclaimed space"), "{out}");
    for args in [
        &["image", "prune", "-a", "-f"][..],
        &["builder", "prune", "-f"],
        &["builder", "prune", "-a", "-f"],
    ] {
        let out = sva.docker(args);
        eprintln!("{out}");
        assert!(out.ok().contains("Total reclaimed space: 0B"), "{out}");
    }
    assert!(all_images(&engine).contains(&dangling));
    assert_eq!(
        shared_images(&engine),
        visible,
        "a shared image was removed"
    );

    // the Debian CLI 20.10 sends the same prunes; its output is the same
    if std::path::Path::new(CLI20).is_file() && docker_cli() != CLI20 {
        sva.docker(&["run", "--name", &c.name("stopped20"), "busybox", "true"])
            .ok();
        sva.docker(&["network", "create", &c.name("idle20")]).ok();
        let i: Value = serde_json::from_str(
            sva.docker_bin(CLI20, &[], &["info", "--format", "{{json .}}"])
                .ok()
                .trim(),
        )
        .unwrap();
        assert_eq!(
            [
                "Containers",
                "ContainersRunning",
                "ContainersPaused",
                "ContainersStopped",
                "Images"
            ]
            .map(|k| count(&i, k)),
            [4, 2, 1, 1, n_visible],
            "{i}"
        );
        let out = sva.docker_bin(CLI20, &[], &["system", "df", "--format", "{{json .}}"]);
        assert_eq!(df(&out)["Containers"]["TotalCount"], "4", "{out}");
        let out = sva.docker_bin(CLI20, &[], &["system", "prune", "-f"]);
        eprintln!("{out}");
        assert!(
            out.ok()
                .contains(&format!("Deleted Networks:\n{}", c.name("idle20"))),
            "{out}"
        );
        assert!(all_images(&engine).contains(&dangling));
    }

    let remaining = [engine.containers(), engine.networks(), engine.volumes()].concat();
    for o in &before {
        assert!(remaining.iter().any(|n| n.id == o.id), "{} is gone", o.name);
    }
    assert!(proxy.alive(), "{}", proxy.log_tail());
    engine.cleanup(&c.tag);
    drop(proxy);
    drop(d);
    c.finish();
}
