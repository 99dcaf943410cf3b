//! Attacks on the anonymous volumes of a container create (issue 9 item 3),
//! written as a tenant would send them: every spelling of a volume the
//! daemon makes by itself must reach the engine as a volume mount the
//! daemon creates *with the tenant's owner label* (listed, counted,
//! removed by `rm -v`), or be refused — never as one it would create
//! unlabelled. The image's `VOLUME`s and `EXPOSE` come from one image
//! inspect the core asks for.
//!
//! The property at the end models what the daemon (20.10,
//! `registerMountPoints` and `createContainerOSSpecificSettings`) would
//! create for a forwarded body, and checks that nothing is unlabelled.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a failed expectation is a panic, as in assert!"
)]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use fdcs_policy::{
    judge, Denial, Facts, ImageFacts, Obligation, Owned, Policy, Request, Tenant, TenantId,
    TenantsFile, Verdict,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const OWN_DB: &str = "d111111111111111111111111111111111111111111111111111111111111111";
const BETA_DB: &str = "e222222222222222222222222222222222222222222222222222222222222222";
/// A volume the daemon named for alpha (an anonymous one), owned by label.
const OWN_ANON: &str = "a333333333333333333333333333333333333333333333333333333333333333";

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| Policy::embedded_default().unwrap())
}

fn alpha() -> Tenant {
    Tenant::new(TenantId::new("alpha").unwrap())
}

fn image(volumes: &[&str], ports: &[&str]) -> ImageFacts {
    ImageFacts {
        id: format!("sha256:{}", "b".repeat(64)),
        repo_tags: vec!["busybox:latest".into()],
        volumes: volumes.iter().map(|s| s.to_string()).collect(),
        exposed_ports: ports.iter().map(|s| s.to_string()).collect(),
        ..ImageFacts::default()
    }
}

/// Alpha's world: container `db` (mounting `/var/lib/db`), volume `data`
/// and an anonymous one; `busybox` declares what `img` says.
fn facts(img: ImageFacts) -> Facts {
    Facts {
        containers: Some(vec![Owned {
            id: OWN_DB.into(),
            name: "alpha_db".into(),
        }]),
        networks: Some(vec![]),
        volumes: Some(vec![
            Owned {
                id: "alpha_data".into(),
                name: "alpha_data".into(),
            },
            Owned {
                id: OWN_ANON.into(),
                name: OWN_ANON.into(),
            },
        ]),
        usage: Some(Default::default()),
        images: [("busybox".to_string(), Some(img))].into(),
        container_mounts: [(OWN_DB.to_string(), Some(vec!["/var/lib/db".to_string()]))].into(),
        ..Facts::default()
    }
}

fn judge_as(tenant: &Tenant, method: &str, target: &str, body: &Value, f: &Facts) -> Verdict {
    let raw = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    judge(policy(), tenant, &Request::new(method, target, raw), f)
}

fn create_with(body: Value, img: ImageFacts) -> Verdict {
    judge_as(
        &alpha(),
        "POST",
        "/v1.41/containers/create?name=anon",
        &body,
        &facts(img),
    )
}

fn create(body: Value) -> Verdict {
    create_with(body, image(&[], &[]))
}

fn create_hc(hc: Value) -> Verdict {
    create(json!({"Image": "busybox", "HostConfig": hc}))
}

#[track_caller]
fn denied(v: Verdict, status: u16, rule: Option<&str>) -> Denial {
    match v {
        Verdict::Deny(d) => {
            assert_eq!(
                (d.status, d.rule.as_deref()),
                (status, rule),
                "{}",
                d.message
            );
            d
        }
        other => panic!("expected a denial by {rule:?}, got {other:?}"),
    }
}

#[track_caller]
fn body(v: Verdict) -> Value {
    match v {
        Verdict::Allow(f) | Verdict::Rewrite(f) => f.body.expect("a body"),
        other => panic!("expected a forward, got {other:?}"),
    }
}

/// The forwarded volume mounts without a source: what the daemon will
/// create, with the labels it will give them.
fn anonymous(b: &Value) -> Vec<(String, Value)> {
    b["HostConfig"]["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Type"] == "volume" && m.get("Source").is_none())
        .map(|m| {
            (
                m["Target"].as_str().unwrap().to_string(),
                m["VolumeOptions"]["Labels"].clone(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_labelled_at(b: &Value, targets: &[&str]) {
    let got = anonymous(b);
    let paths: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(paths, targets, "{b}");
    for (t, labels) in &got {
        assert_eq!(labels["fdcs.tenant"], "alpha", "{t}: {labels}");
    }
}

// ------------------------------------------------------ Config.Volumes --

#[test]
fn docker_run_v_data_makes_a_volume_the_daemon_labels() {
    let b = body(create(
        json!({"Image": "busybox", "Volumes": {"/data": {}}}),
    ));
    assert_labelled_at(&b, &["/data"]);
    // the body still says what the tenant asked for
    assert_eq!(b["Volumes"], json!({"/data": {}}));
}

#[test]
fn odd_spellings_of_one_path_make_one_volume() {
    let b = body(create(json!({"Image": "busybox", "Volumes": {
        "/data": {}, "/data/": {}, "//data": {}, "/x/../data/.": {}
    }})));
    assert_labelled_at(&b, &["/data"]);
    let b = body(create(
        json!({"Image": "busybox", "Volumes": {"/a//b/": {}}}),
    ));
    assert_labelled_at(&b, &["/a/b"]);
}

#[test]
fn paths_the_daemon_cannot_mount_a_volume_on_are_refused() {
    for key in [
        "/", "//", "/..", "/../..", "", ".", "data", "./data", "\\data", "/a\\b",
    ] {
        let mut v = serde_json::Map::new();
        v.insert(key.into(), json!({}));
        let d = denied(
            create(json!({"Image": "busybox", "Volumes": v})),
            400,
            Some("volumes.anonymous"),
        );
        assert!(d.message.starts_with("fdcs: "), "{key:?}: {}", d.message);
    }
}

#[test]
fn a_path_already_mounted_needs_no_volume() {
    let vols = json!({"/data": {}});
    for hc in [
        json!({"Binds": ["data:/data"]}),
        json!({"Binds": ["data:/data/:ro"]}),
        json!({"Mounts": [{"Type": "volume", "Source": "data", "Target": "/data"}]}),
        json!({"Mounts": [{"Type": "tmpfs", "Target": "/data/"}]}),
        json!({"Tmpfs": {"/data": ""}}),
    ] {
        let b = body(create(
            json!({"Image": "busybox", "Volumes": vols, "HostConfig": hc.clone()}),
        ));
        assert_labelled_at(&b, &[]);
    }
    // `Tmpfs` keys are compared as written: `/data/` does not cover `/data`
    let b = body(create(json!({"Image": "busybox", "Volumes": vols,
        "HostConfig": {"Tmpfs": {"/data/": ""}}})));
    assert_labelled_at(&b, &["/data"]);
}

#[test]
fn a_volume_driver_applies_as_the_daemon_applies_it() {
    let b = body(create(json!({"Image": "busybox", "Volumes": {"/data": {}},
        "HostConfig": {"VolumeDriver": "local"}})));
    let m = &b["HostConfig"]["Mounts"][0];
    assert_eq!(m["VolumeOptions"]["DriverConfig"]["Name"], "local");
    denied(
        create(json!({"Image": "busybox", "Volumes": {"/data": {}},
            "HostConfig": {"VolumeDriver": "rexray"}})),
        403,
        Some("mounts.volume-driver"),
    );
}

// --------------------------------------------------------------- Binds --

#[test]
fn a_lone_path_in_binds_becomes_a_labelled_mount() {
    let b = body(create_hc(json!({"Binds": ["/data", "data:/named"]})));
    assert_eq!(b["HostConfig"]["Binds"], json!(["alpha_data:/named"]));
    assert_labelled_at(&b, &["/data"]);
    // the same path in Config.Volumes too: one volume, as the daemon makes
    let b = body(create(json!({"Image": "busybox", "Volumes": {"/data": {}},
        "HostConfig": {"Binds": ["/data"]}})));
    assert_labelled_at(&b, &["/data"]);
}

#[test]
fn a_lone_name_in_binds_is_no_volume_name() {
    // the daemon reads a lone entry as a container path: `data` is a
    // relative one, refused (by the daemon too), not the volume `data`
    for bind in ["data", "/", "//", "\\data"] {
        denied(
            create_hc(json!({"Binds": [bind]})),
            400,
            Some("volumes.anonymous"),
        );
    }
}

#[test]
fn an_anonymous_volume_is_mounted_again_by_the_name_ls_shows() {
    let b = body(create_hc(json!({"Binds": [format!("{OWN_ANON}:/data")]})));
    assert_eq!(b["HostConfig"]["Binds"][0], format!("{OWN_ANON}:/data"));
    // beta's (or nobody's) 64-hex volume is not alpha's: alpha gets its own
    let other = "f".repeat(64);
    let v = create_hc(json!({"Binds": [format!("{other}:/data")]}));
    let Verdict::Rewrite(f) = v else {
        panic!("{v:?}")
    };
    let bind = f.body.unwrap()["HostConfig"]["Binds"][0].clone();
    assert_eq!(bind, format!("alpha_{other}:/data"));
    assert_eq!(f.prelude[0].body["Name"], format!("alpha_{other}"));
}

// -------------------------------------------------------------- Mounts --

#[test]
fn a_volume_mount_without_source_gets_the_owner_label() {
    for m in [
        json!({"Type": "volume", "Target": "/data"}),
        json!({"Type": "volume", "Source": "", "Target": "/data"}),
        json!({"Type": "volume", "Target": "/data", "VolumeOptions": {"Labels": {"team": "red"}}}),
        json!({"Type": "volume", "Target": "/data/", "VolumeOptions": {"NoCopy": true}}),
    ] {
        let b = body(create_hc(json!({"Mounts": [m.clone()]})));
        let got = anonymous(&b);
        assert_eq!(got.len(), 1, "{m}");
        assert_eq!(got[0].1["fdcs.tenant"], "alpha", "{m}");
    }
    let b = body(create_hc(json!({"Mounts": [
        {"Type": "volume", "Target": "/data", "VolumeOptions": {"Labels": {"team": "red"}}}
    ]})));
    assert_eq!(
        b["HostConfig"]["Mounts"][0]["VolumeOptions"]["Labels"]["team"],
        "red"
    );
}

#[test]
fn a_forged_owner_label_on_a_volume_mount_is_refused() {
    for key in ["fdcs.tenant", "FDCS.tenant", "fdcs.anything"] {
        let mut labels = serde_json::Map::new();
        labels.insert(key.into(), json!("beta"));
        for src in [json!(null), json!("data")] {
            let mut m = json!({"Type": "volume", "Target": "/data",
                "VolumeOptions": {"Labels": labels.clone()}});
            if !src.is_null() {
                m["Source"] = src;
            }
            denied(
                create_hc(json!({"Mounts": [m]})),
                403,
                Some("tenancy.reserved-label"),
            );
        }
    }
    // and on the container: the owner of what it makes is fdcs's to write
    denied(
        create(json!({"Image": "busybox", "Volumes": {"/data": {}},
            "Labels": {"fdcs.tenant": "beta"}})),
        403,
        Some("tenancy.reserved-label"),
    );
}

#[test]
fn a_read_only_or_relative_anonymous_mount_is_refused() {
    denied(
        create_hc(json!({"Mounts": [{"Type": "volume", "Target": "/data", "ReadOnly": true}]})),
        400,
        Some("volumes.anonymous"),
    );
    for target in ["data", "/", "", "/.."] {
        denied(
            create_hc(json!({"Mounts": [{"Type": "volume", "Target": target}]})),
            400,
            Some("volumes.anonymous"),
        );
    }
}

#[test]
fn another_volume_driver_or_host_options_are_refused_for_anonymous_mounts() {
    denied(
        create_hc(json!({"Mounts": [{"Type": "volume", "Target": "/data",
            "VolumeOptions": {"DriverConfig": {"Name": "rexray"}}}]})),
        403,
        Some("mounts.volume-driver"),
    );
    denied(
        create_hc(json!({"Mounts": [{"Type": "volume", "Target": "/data",
            "VolumeOptions": {"DriverConfig": {"Name": "local",
                "Options": {"type": "none", "o": "bind", "device": "/etc"}}}}]})),
        403,
        Some("mounts.no-host-path"),
    );
    // a tmpfs volume is sized, and labelled
    let b = body(create_hc(
        json!({"Mounts": [{"Type": "volume", "Target": "/data",
        "VolumeOptions": {"DriverConfig": {"Name": "local",
            "Options": {"type": "tmpfs", "device": "tmpfs"}}}}]}),
    ));
    let m = &b["HostConfig"]["Mounts"][0]["VolumeOptions"];
    assert!(
        m["DriverConfig"]["Options"]["o"]
            .as_str()
            .unwrap()
            .starts_with("size="),
        "{m}"
    );
    assert_eq!(m["Labels"]["fdcs.tenant"], "alpha");
}

// ------------------------------------------------------ image VOLUMEs --

#[test]
fn an_images_volumes_are_made_labelled() {
    let img = image(&["/var/lib/db", "/cache/"], &[]);
    let b = body(create_with(json!({"Image": "busybox"}), img.clone()));
    assert_labelled_at(&b, &["/var/lib/db", "/cache"]);
    // shadowed by a bind, a mount, a tmpfs, a --volumes-from container
    for hc in [
        json!({"Binds": ["data:/var/lib/db", "data:/cache"]}),
        json!({"Mounts": [{"Type": "tmpfs", "Target": "/cache"}], "Tmpfs": {"/var/lib/db": ""}}),
        json!({"VolumesFrom": ["db"], "Binds": ["data:/cache:ro"]}),
    ] {
        let b = body(create_with(
            json!({"Image": "busybox", "HostConfig": hc.clone()}),
            img.clone(),
        ));
        assert_labelled_at(&b, &[]);
    }
    let b = body(create_with(
        json!({"Image": "busybox", "HostConfig": {"VolumesFrom": ["db:ro"]}}),
        img,
    ));
    assert_labelled_at(&b, &["/cache"]);
}

#[test]
fn an_image_volume_on_a_path_no_volume_can_take_is_refused() {
    for bad in ["data", "/", ""] {
        let d = denied(
            create_with(json!({"Image": "busybox"}), image(&[bad], &[])),
            400,
            Some("volumes.anonymous"),
        );
        assert_eq!(d.field.as_deref(), Some("Image"), "{bad:?}");
    }
}

#[test]
fn the_image_is_asked_for_once_the_body_passed() {
    let mut f = facts(image(&[], &[]));
    f.images.clear();
    let req = |b: Value| Request::new("POST", "/v1.41/containers/create", b.to_string());
    let v = judge(policy(), &alpha(), &req(json!({"Image": "busybox"})), &f);
    assert_eq!(
        v,
        Verdict::Need(vec![Obligation::Image {
            reference: "busybox".into()
        }])
    );
    // a refused body costs no engine call
    let v = judge(
        policy(),
        &alpha(),
        &req(json!({"Image": "busybox", "HostConfig": {"Privileged": true}})),
        &f,
    );
    assert!(matches!(v, Verdict::Deny(_)), "{v:?}");
}

#[test]
fn an_image_the_engine_lacks_is_the_daemons_no_such_image() {
    let mut f = facts(image(&[], &[]));
    f.images.insert("busybox".into(), None);
    let req = Request::new(
        "POST",
        "/v1.41/containers/create",
        json!({"Image": "busybox"}).to_string(),
    );
    let d = denied(judge(policy(), &alpha(), &req, &f), 404, None);
    // the docker CLI pulls on this 404 and sends the create again
    assert_eq!(d.message, "No such image: busybox:latest");
}

#[test]
fn volumes_from_a_container_asks_where_it_mounts_things() {
    let mut f = facts(image(&["/var/lib/db"], &[]));
    f.container_mounts.clear();
    let req = Request::new(
        "POST",
        "/v1.41/containers/create",
        json!({"Image": "busybox", "HostConfig": {"VolumesFrom": ["db"]}}).to_string(),
    );
    let v = judge(policy(), &alpha(), &req, &f);
    assert_eq!(
        v,
        Verdict::Need(vec![Obligation::ContainerMounts { id: OWN_DB.into() }])
    );
    // beta's container is not found, mounts or not: the daemon's 400
    let req = Request::new(
        "POST",
        "/v1.41/containers/create",
        json!({"Image": "busybox", "HostConfig": {"VolumesFrom": [BETA_DB]}}).to_string(),
    );
    let mut f = facts(image(&["/var/lib/db"], &[]));
    f.lookups.clear();
    f.containers = Some(vec![]);
    denied(judge(policy(), &alpha(), &req, &f), 400, None);
}

#[test]
fn without_an_engine_a_create_is_judged_on_its_body_alone() {
    let req = Request::new(
        "POST",
        "/v1.41/containers/create",
        json!({"Image": "busybox", "Volumes": {"/data": {}},
            "HostConfig": {"VolumesFrom": ["db"]}})
        .to_string(),
    );
    let mut f = Facts::offline();
    f.containers = Some(vec![Owned {
        id: OWN_DB.into(),
        name: "alpha_db".into(),
    }]);
    assert_labelled_at(&body(judge(policy(), &alpha(), &req, &f)), &["/data"]);
}

// ------------------------------------------------------------ -P, EXPOSE --

#[test]
fn publish_all_counts_what_the_image_exposes() {
    let wide: Vec<String> = (9000..9011).map(|p| format!("{p}/tcp")).collect();
    let wide: Vec<&str> = wide.iter().map(String::as_str).collect();
    let p = json!({"Image": "busybox", "HostConfig": {"PublishAllPorts": true}});
    let d = denied(
        create_with(p.clone(), image(&[], &wide)),
        403,
        Some("bounds.ports"),
    );
    assert!(d.message.contains("11 host ports"), "{}", d.message);
    body(create_with(p, image(&[], &wide[..10])));
    body(create_with(json!({"Image": "busybox"}), image(&[], &wide)));
}

// --------------------------------------------------------------- quota --

#[test]
fn anonymous_volumes_count_in_the_volume_quota() {
    let tenants = TenantsFile::from_yaml(
        "tenants:\n  - id: alpha\n    tokens: [t]\n    quotas: { volumes: 3 }\n",
        "t.yaml",
    )
    .unwrap();
    let t = tenants
        .get(&TenantId::new("alpha").unwrap())
        .unwrap()
        .tenant
        .clone();
    let f = facts(image(&["/cache"], &[]));
    // alpha owns 2: one more fits, two do not
    let v = judge_as(
        &t,
        "POST",
        "/v1.41/containers/create",
        &json!({"Image": "busybox"}),
        &f,
    );
    body(v);
    let d = denied(
        judge_as(
            &t,
            "POST",
            "/v1.41/containers/create",
            &json!({"Image": "busybox", "Volumes": {"/data": {}}}),
            &f,
        ),
        403,
        Some("quota.volumes"),
    );
    assert!(d.message.contains("volumes"), "{}", d.message);
    // and with a named one beside them
    denied(
        judge_as(
            &t,
            "POST",
            "/v1.41/containers/create",
            &json!({"Image": "busybox", "HostConfig": {"Binds": ["new:/new"]}}),
            &f,
        ),
        403,
        Some("quota.volumes"),
    );
}

// ----------------------------------------------------------- rm -v ------

#[test]
fn rm_v_of_another_tenants_container_is_not_found() {
    // alpha owns `db` only; beta's `db` exists on the engine
    let f = facts(image(&[], &[]));
    for target in [
        format!("/v1.41/containers/{BETA_DB}?v=1"),
        "/v1.41/containers/beta_db?v=1&force=1".to_string(),
        "/v1.41/containers/e222?v=1".to_string(),
    ] {
        denied(
            judge_as(&alpha(), "DELETE", &target, &Value::Null, &f),
            404,
            None,
        );
    }
    // its own: as sent (the daemon removes the anonymous volumes itself)
    let v = judge_as(
        &alpha(),
        "DELETE",
        "/v1.41/containers/db?v=1",
        &Value::Null,
        &f,
    );
    let f = v.forward().unwrap();
    assert_eq!(f.path, format!("/v1.41/containers/{OWN_DB}"));
    assert_eq!(f.query.as_deref(), Some("v=1"));
    assert!(f.postlude.is_empty());
}

// ------------------------------------------------------------ property --

/// What the daemon would create, without a label, for this forwarded body
/// and image: the destinations of its implicit anonymous volumes.
fn unlabelled_by_daemon(b: &Value, img: &ImageFacts) -> Vec<String> {
    let hc = &b["HostConfig"];
    let mut covered = BTreeSet::new();
    let mut out = Vec::new();
    for bind in hc["Binds"].as_array().into_iter().flatten() {
        let parts: Vec<&str> = bind.as_str().unwrap().splitn(3, ':').collect();
        if parts.len() == 1 {
            // a lone path: an anonymous volume the daemon makes unlabelled
            out.push(parts[0].to_string());
        }
        covered.insert(clean(parts.get(1).copied().unwrap_or(parts[0])));
    }
    for m in hc["Mounts"].as_array().into_iter().flatten() {
        let t = clean(m["Target"].as_str().unwrap_or(""));
        let labelled = m["VolumeOptions"]["Labels"]["fdcs.tenant"] == "alpha";
        if m["Type"] == "volume" && m.get("Source").is_none() && !labelled {
            out.push(t.clone());
        }
        covered.insert(t);
    }
    let tmpfs: BTreeSet<String> = hc["Tmpfs"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    let declared = b["Volumes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .chain(img.volumes.iter().cloned());
    for key in declared {
        let d = clean(&key);
        if !covered.contains(&d) && !tmpfs.contains(&d) {
            out.push(d.clone());
            covered.insert(d);
        }
    }
    out
}

/// Go's `path.Clean`, written again here so that the model does not
/// borrow the code under test.
fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for s in p.split('/') {
        match s {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            ".." if rooted => {}
            s => out.push(s),
        }
    }
    let j = out.join("/");
    if rooted {
        format!("/{j}")
    } else if j.is_empty() {
        ".".into()
    } else {
        j
    }
}

fn path() -> impl Strategy<Value = String> {
    // paths no volume can take (refused) rarely, so that most cases forward
    prop_oneof![
        3 => Just("/data".to_string()),
        3 => Just("/data/".to_string()),
        2 => Just("//data".to_string()),
        3 => Just("/cache".to_string()),
        1 => Just("/".to_string()),
        1 => Just("data".to_string()),
        2 => Just("/a/../data".to_string()),
        8 => "/[a-c]{1,2}(/[a-c]{1,2})?/?",
    ]
}

proptest! {
    /// Whatever mix of spellings a tenant sends, what is forwarded makes
    /// the daemon create no volume without the tenant's owner label.
    #[test]
    fn the_daemon_is_never_left_an_unlabelled_volume_to_make(
        volumes in prop::collection::vec(path(), 0..4),
        lone in prop::collection::vec(path(), 0..3),
        named in prop::collection::vec(path(), 0..2),
        anon_mounts in prop::collection::vec(path(), 0..3),
        tmpfs in prop::collection::vec(path(), 0..2),
        image_vols in prop::collection::vec(path(), 0..3),
    ) {
        let vmap: serde_json::Map<String, Value> =
            volumes.iter().map(|v| (v.clone(), json!({}))).collect();
        let mut binds: Vec<String> = lone.clone();
        binds.extend(named.iter().map(|p| format!("data:{p}")));
        let mounts: Vec<Value> = anon_mounts
            .iter()
            .map(|t| json!({"Type": "volume", "Target": t}))
            .collect();
        let tmap: serde_json::Map<String, Value> =
            tmpfs.iter().map(|t| (t.clone(), json!(""))).collect();
        let img = image(&image_vols.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        let v = create_with(
            json!({"Image": "busybox", "Volumes": vmap,
                "HostConfig": {"Binds": binds, "Mounts": mounts, "Tmpfs": tmap}}),
            img.clone(),
        );
        match v {
            Verdict::Allow(f) | Verdict::Rewrite(f) => {
                let b = f.body.unwrap();
                let left = unlabelled_by_daemon(&b, &img);
                prop_assert!(left.is_empty(), "unlabelled {left:?} in {b}");
            }
            // a path refused (relative, `/`), or one the daemon refuses
            Verdict::Deny(d) => prop_assert_eq!(d.rule.as_deref(), Some("volumes.anonymous"), "{:?}", d),
            Verdict::Need(o) => prop_assert!(false, "asked {o:?}"),
        }
    }
}

#[test]
fn the_daemon_model_sees_what_an_unjudged_body_would_leave() {
    // the model itself must find the volumes the daemon would make, or
    // the property above proves nothing
    let raw = json!({"Image": "busybox", "Volumes": {"/data/": {}, "/x": {}},
        "HostConfig": {"Binds": ["/lone", "v:/x"], "Mounts": [{"Type": "volume", "Target": "/m"}]}});
    let left = unlabelled_by_daemon(&raw, &image(&["/img", "/data"], &[]));
    assert_eq!(left, ["/lone", "/m", "/data", "/img"]);
}
