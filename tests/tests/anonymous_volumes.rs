//! Anonymous volumes become the tenant's volumes (issue 9 item 3), through
//! `fdcs-policy serve` against the real engine with the real docker CLI:
//!
//! - `docker run -v /data busybox` as one tenant makes a volume the engine
//!   labels with that tenant: `docker volume ls` shows it to the tenant and
//!   not to the other one, which cannot remove it; `docker rm -v` removes it;
//! - `docker run --rm -v /data` leaves no volume behind, and `docker volume
//!   prune` removes an unused one;
//! - an image's `VOLUME` gets a labelled volume too, and `-P` publishes (and
//!   `bounds.ports` counts) the image's `EXPOSE`;
//! - anonymous volumes count in the volume quota.
//!
//! The file starts its own `serve` with its own tenants, one per test (and
//! `anontwo`, which only looks), and removes only what it created: its
//! containers and image (named with its tag) and the volumes labelled with
//! its tenants.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{engine_required, scratch_dir, upstream, Engine, Proxy, Tenant};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const TENANTS: &str = "tenants:
  - id: anonone
    tokens: [anonone-token]
  - id: anontwo
    tokens: [anontwo-token]
  - id: anonrm
    tokens: [anonrm-token]
  - id: anonimg
    tokens: [anonimg-token]
  - id: anonquota
    tokens: [anonquota-token]
    quotas: { volumes: 2 }
";

/// This file's tenants: every volume labelled with one of them is this
/// file's to remove.
const OWN_TENANTS: [&str; 5] = ["anonone", "anontwo", "anonrm", "anonimg", "anonquota"];

/// One `serve` for the whole file.
struct Served {
    engine: Engine,
    proxy: Proxy,
    host: String,
    dir: std::path::PathBuf,
    tag: String,
}

impl Served {
    /// This file's tenant `id` (token `<id>-token`).
    fn tenant(&self, id: &str) -> Tenant {
        Tenant::new(id, &format!("{id}-token"), &self.host, &self.dir)
    }

    /// The engine's volumes labelled with `tenant`.
    fn volumes_of(&self, tenant: &str) -> BTreeSet<String> {
        self.engine
            .volumes()
            .into_iter()
            .filter(|v| v.owner == tenant)
            .map(|v| v.name)
            .collect()
    }

    /// Where container `name` (engine-side) mounts which volume.
    fn mounts(&self, engine_name: &str) -> Vec<(String, String)> {
        let out = self.engine.docker(&[
            "inspect",
            "--format",
            "{{range .Mounts}}{{.Destination}}={{.Name}} {{end}}",
            engine_name,
        ]);
        out.ok()
            .split_whitespace()
            .filter_map(|m| m.split_once('='))
            .map(|(d, n)| (d.to_owned(), n.to_owned()))
            .collect()
    }
}

/// Removes the containers whose names hold `tag`, then the volumes and
/// networks (the tenant's default one) labelled with `tenants`, this
/// file's own.
fn cleanup(engine: &Engine, tag: &str, tenants: &[&str]) {
    engine.cleanup(tag);
    let theirs = |o: &fdcs_e2e::engine::Obj| tenants.contains(&o.owner.as_str());
    let vols: Vec<String> = engine
        .volumes()
        .into_iter()
        .filter(theirs)
        .map(|v| v.name)
        .collect();
    if !vols.is_empty() {
        let mut a = vec!["volume", "rm", "-f"];
        a.extend(vols.iter().map(String::as_str));
        let _ = engine.docker(&a);
    }
    let nets: Vec<String> = engine
        .networks()
        .into_iter()
        .filter(theirs)
        .map(|n| n.id)
        .collect();
    if !nets.is_empty() {
        let mut a = vec!["network", "rm"];
        a.extend(nets.iter().map(String::as_str));
        let _ = engine.docker(&a);
    }
}

/// The file's `serve`; `None` means skip (no engine, and none required).
fn served() -> Option<&'static Served> {
    static S: OnceLock<Option<Served>> = OnceLock::new();
    S.get_or_init(|| {
        let dir = scratch_dir("anon");
        let engine = Engine::new(&upstream(), &dir);
        if let Err(why) = engine.available() {
            assert!(
                !engine_required(),
                "no docker engine and CI=true or FDCS_E2E=1 says there must be one:\n{why}"
            );
            eprintln!("skipped: no docker engine");
            return None;
        }
        engine.ensure_busybox(&dir).unwrap();
        let tag = format!("anon{:x}", std::process::id());
        // what a previous run of this file may have left
        cleanup(&engine, "anon-e2e-", &OWN_TENANTS);
        let file = dir.join("tenants.yaml");
        std::fs::write(&file, TENANTS).unwrap();
        let proxy = Proxy::start(&engine.host, &["--tenants", file.to_str().unwrap()], &dir)
            .unwrap_or_else(|e| panic!("{e}"));
        Some(Served {
            host: proxy.host(),
            dir,
            tag,
            engine,
            proxy,
        })
    })
    .as_ref()
}

/// Ends a test: on failure, the serve log; then what the test left (its
/// containers, named `<prefix>...`, and its tenant's volumes).
struct Finish(&'static Served, &'static str, &'static str);

impl Drop for Finish {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- serve log ({}) ---\n{}",
                self.0.proxy.log.display(),
                self.0.proxy.log_tail()
            );
        }
        cleanup(&self.0.engine, self.1, &[self.2]);
    }
}

/// Polls `cond` every 100 ms until it holds or `limit` passes.
fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The reproduction: one create made 40 anonymous volumes without
/// the owner label, which stayed after `docker rm` and which no tenant
/// could list or remove.
#[test]
fn docker_run_v_data_is_the_tenants_volume_and_rm_v_removes_it() {
    let Some(s) = served() else { return };
    let (one, two) = (s.tenant("anonone"), s.tenant("anontwo"));
    let name = format!("anon-e2e-run-{}", s.tag);
    let _f = Finish(s, "anon-e2e-run-", "anonone");
    let before = s.volumes_of("anonone");
    one.docker(&[
        "run", "--name", &name, "-v", "/data", "-v", "/more/", "busybox", "true",
    ])
    .ok();
    let made: Vec<String> = s
        .volumes_of("anonone")
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(made.len(), 2, "two labelled volumes: {made:?}");
    let mounts = s.mounts(&format!("anonone_{name}"));
    for dest in ["/data", "/more"] {
        let (_, vol) = mounts
            .iter()
            .find(|(d, _)| d == dest)
            .unwrap_or_else(|| panic!("{dest} not mounted: {mounts:?}"));
        assert!(made.contains(vol), "{dest}: {vol} is not labelled anonone");
    }
    // nothing unlabelled was made for it
    assert!(mounts.iter().all(|(_, v)| made.contains(v)), "{mounts:?}");

    let mine = one.docker(&["volume", "ls", "-q"]).ok().to_owned();
    let theirs = two.docker(&["volume", "ls", "-q"]).ok().to_owned();
    for v in &made {
        assert!(
            mine.contains(v.as_str()),
            "anonone does not see {v}:\n{mine}"
        );
        assert!(!theirs.contains(v.as_str()), "anontwo sees {v}:\n{theirs}");
        two.docker(&["volume", "rm", v])
            .fails_with("no such volume");
        two.docker(&["volume", "inspect", v])
            .fails_with("no such volume");
    }
    one.docker(&["volume", "inspect", &made[0]]).ok();

    one.docker(&["rm", "-v", &name]).ok();
    let left = s.volumes_of("anonone");
    assert!(
        made.iter().all(|v| !left.contains(v)),
        "rm -v left {left:?}"
    );
}

#[test]
fn run_rm_and_volume_prune_remove_anonymous_volumes() {
    let Some(s) = served() else { return };
    let two = s.tenant("anonrm");
    let name = format!("anon-e2e-rm-{}", s.tag);
    let _f = Finish(s, "anon-e2e-rm-", "anonrm");
    let before = s.volumes_of("anonrm");
    two.docker(&["run", "--rm", "-v", "/scratch", "busybox", "true"])
        .ok();
    // the daemon removes an auto-removed container (and its anonymous
    // volumes) just after it exits
    assert!(
        eventually(Duration::from_secs(10), || s.volumes_of("anonrm") == before),
        "run --rm left {:?}",
        s.volumes_of("anonrm")
            .difference(&before)
            .collect::<Vec<_>>()
    );
    two.docker(&["create", "--name", &name, "-v", "/scratch", "busybox"])
        .ok();
    let made: Vec<String> = s
        .volumes_of("anonrm")
        .difference(&before)
        .cloned()
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    two.docker(&["rm", &name]).ok();
    // `rm` without -v keeps it, as the daemon keeps its own; prune removes it
    assert!(s.volumes_of("anonrm").contains(&made[0]));
    let pruned = two.docker(&["volume", "prune", "-f"]).ok().to_owned();
    assert!(pruned.contains(made[0].as_str()), "{pruned}");
    assert!(!s.volumes_of("anonrm").contains(&made[0]));
}

#[test]
fn an_images_volume_is_labelled_and_its_expose_is_counted_under_publish_all() {
    let Some(s) = served() else { return };
    let img = s.tenant("anonimg");
    let _f = Finish(s, "anon-e2e-img-", "anonimg");
    // an image of Docker Hub's (shared) naming, made here from busybox:
    // one VOLUME, eleven EXPOSEd ports
    let image = format!("fdcse2e/anon-e2e-img-{}:1", s.tag);
    let _image = RemoveImage(s, image.clone());
    let base = format!("anon-e2e-img-base-{}", s.tag);
    s.engine
        .docker(&["create", "--name", &base, "busybox"])
        .ok();
    let expose = "EXPOSE 9000 9001 9002 9003 9004 9005 9006 9007 9008 9009 9010";
    s.engine
        .docker(&[
            "commit",
            "--change",
            "VOLUME /imgvol",
            "--change",
            expose,
            &base,
            &image,
        ])
        .ok();
    s.engine.docker(&["rm", &base]).ok();

    let name = format!("anon-e2e-img-c-{}", s.tag);
    img.docker(&["create", "--name", &name, &image]).ok();
    let made: Vec<String> = s.volumes_of("anonimg").into_iter().collect();
    let mounts = s.mounts(&format!("anonimg_{name}"));
    assert_eq!(made.len(), 1, "{made:?} {mounts:?}");
    assert_eq!(mounts, vec![("/imgvol".to_owned(), made[0].clone())]);
    img.docker(&["rm", "-v", &name]).ok();
    assert!(s.volumes_of("anonimg").is_empty(), "rm -v removes it");
    // shadowed by a named volume: no anonymous one
    let vol = format!("anon-e2e-img-vol-{}", s.tag);
    img.docker(&[
        "create",
        "--name",
        &name,
        "-v",
        &format!("{vol}:/imgvol"),
        &image,
    ])
    .ok();
    let mounts = s.mounts(&format!("anonimg_{name}"));
    assert_eq!(
        mounts,
        vec![("/imgvol".to_owned(), format!("anonimg_{vol}"))]
    );
    assert_eq!(s.volumes_of("anonimg").len(), 1, "the named one only");
    img.docker(&["rm", "-v", &name]).ok();
    img.docker(&["volume", "rm", &vol]).ok();
    // -P would publish every port the image exposes (eleven, and what the
    // base image exposes): over bounds.ports' ten
    let exposed = s.engine.docker(&[
        "image",
        "inspect",
        "--format",
        "{{len .Config.ExposedPorts}}",
        &image,
    ]);
    let n: usize = exposed.ok().parse().unwrap();
    assert!(n >= 11, "{n}");
    let out = img
        .docker(&["create", "-P", "--name", &name, &image])
        .fails_with("bounds.ports");
    assert!(out.contains(&format!("{n} host ports")), "{out}");
}

/// Removes an image this file made, however the test ends.
struct RemoveImage(&'static Served, String);

impl Drop for RemoveImage {
    fn drop(&mut self) {
        let _ = self.0.engine.docker(&["rmi", "-f", &self.1]);
    }
}

#[test]
fn anonymous_volumes_count_in_the_volume_quota() {
    let Some(s) = served() else { return };
    let quota = s.tenant("anonquota");
    let name = format!("anon-e2e-quota-{}", s.tag);
    let _f = Finish(s, "anon-e2e-quota-", "anonquota");
    let out = quota
        .docker(&[
            "create", "--name", &name, "-v", "/a", "-v", "/b", "-v", "/c", "busybox",
        ])
        .fails_with("quota.volumes");
    assert!(out.contains("quota 2"), "{out}");
    assert!(s.volumes_of("anonquota").is_empty(), "nothing was made");
    quota
        .docker(&["create", "--name", &name, "-v", "/a", "-v", "/b", "busybox"])
        .ok();
    assert_eq!(s.volumes_of("anonquota").len(), 2);
    let second = format!("anon-e2e-quota-2-{}", s.tag);
    quota
        .docker(&["create", "--name", &second, "-v", "/c", "busybox"])
        .fails_with("quota.volumes");
    quota.docker(&["rm", "-v", &name]).ok();
    quota
        .docker(&["create", "--name", &second, "-v", "/c", "busybox"])
        .ok();
    quota.docker(&["rm", "-v", &second]).ok();
    assert!(s.volumes_of("anonquota").is_empty());
}
