//! What a tenant reads back through fdcs is what a plain engine would show
//! it, in its own names (issue 10 items 2 and 6): the daemon's error
//! messages, inspect answers without the host's paths, the predefined
//! `bridge` network, and its own events — and nothing of another tenant's.
//!
//! Tenants `evb` and `evc` (and `ev`, whose id is a prefix of both) use a
//! `serve` of their own; every expected message is first asked of the
//! engine directly, with the engine-side names, so that nothing here is a
//! hard-coded answer.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{
    assert_isolated, case, engine_required, registry, scratch_dir, serve_for, Case, Engine, Out,
    Proxy, Tenant,
};
use serde_json::Value;
use std::sync::OnceLock;

/// What a hidden id reads as (`fdcs_policy::HIDDEN_ID`).
const HIDDEN_ID: &str = "<hidden id>";

/// This binary's own proxy and tenants.
struct Views {
    proxy: Proxy,
    evb: Tenant,
    evc: Tenant,
    /// A tenant whose id is a prefix of the other two.
    ev: Tenant,
    /// A tenant that prunes (nothing else of it runs meanwhile).
    evd: Tenant,
}

fn views(engine: &Engine) -> &'static Views {
    static V: OnceLock<Views> = OnceLock::new();
    V.get_or_init(|| {
        let dir = scratch_dir("views");
        let (proxy, tenants) = serve_for(&engine.host, &["evb", "evc", "ev", "evd"], &dir).unwrap();
        let [evb, evc, ev, evd]: [Tenant; 4] = tenants.try_into().unwrap();
        Views {
            evb,
            evc,
            ev,
            evd,
            proxy,
        }
    })
}

/// A test: the shared engine (and its cleanup by tag), this binary's tenants.
fn start() -> Option<(Case, &'static Views)> {
    let c = case()?;
    let v = views(&c.env.engine);
    Some((c, v))
}

/// The isolation invariant between evb and evc, and a living proxy.
#[track_caller]
fn finish(c: &Case, v: &Views) {
    assert!(v.proxy.alive(), "serve died:\n{}", v.proxy.log_tail());
    assert_isolated(&c.env.engine, &v.evb, &v.evc, &c.tag);
}

/// The daemon's message as the CLI prints it (`Error response from daemon: ...`).
#[track_caller]
fn daemon_error(out: &Out) -> String {
    let all = out.fails();
    all.lines()
        .find_map(|l| l.split_once("Error response from daemon: ").map(|(_, m)| m))
        .unwrap_or_else(|| panic!("no daemon error in:\n{out}"))
        .trim()
        .to_owned()
}

/// The engine-side name of a tenant's name.
fn scoped(t: &Tenant, name: &str) -> String {
    format!("{}_{name}", t.id)
}

fn engine_id(engine: &Engine, args: &[&str]) -> String {
    engine.docker(args).ok().to_owned()
}

#[test]
fn daemon_messages_quote_the_tenants_own_names() {
    let Some((c, v)) = start() else { return };
    let (t, e) = (&v.evb, &c.env.engine);
    let (web, net, a, vol, vc) = (
        c.name("ev-web"),
        c.name("ev-net"),
        c.name("ev-a"),
        c.name("ev-vol"),
        c.name("ev-vc"),
    );
    let sleep = ["busybox", "sleep", "300"];
    let run = |name: &str, extra: &[&str]| {
        let mut args = vec!["run", "-d", "--name", name];
        args.extend_from_slice(extra);
        args.extend_from_slice(&sleep);
        t.docker(&args)
    };
    run(&web, &[]).ok();
    t.docker(&["network", "create", &net]).ok();
    run(&a, &["--network", &net]).ok();
    t.docker(&["volume", "create", &vol]).ok();
    run(&vc, &["-v", &format!("{vol}:/data")]).ok();
    let web_id = engine_id(e, &["inspect", "--format", "{{.Id}}", &scoped(t, &web)]);
    let vc_id = engine_id(e, &["inspect", "--format", "{{.Id}}", &scoped(t, &vc)]);

    // each: what the tenant reads, and what the engine says to the same
    // request in engine-side names, shown back in the tenant's
    let cases: Vec<(Out, Out, Vec<&str>)> = vec![
        (
            run(&web, &[]),
            e.docker(&["create", "--name", &scoped(t, &web), "busybox"]),
            // the container holding a name may be anyone's (one made on the
            // engine directly): its id is not shown
            vec![web_id.as_str()],
        ),
        (
            t.docker(&["network", "create", &net]),
            e.docker(&["network", "create", &scoped(t, &net)]),
            vec![],
        ),
        (
            t.docker(&["network", "rm", &net]),
            e.docker(&["network", "rm", &scoped(t, &net)]),
            vec![],
        ),
        (
            t.docker(&["volume", "rm", &vol]),
            e.docker(&["volume", "rm", &scoped(t, &vol)]),
            vec![vc_id.as_str()],
        ),
        (
            t.docker(&["network", "connect", &net, &a]),
            e.docker(&["network", "connect", &scoped(t, &net), &scoped(t, &a)]),
            vec![],
        ),
    ];
    for (through, direct, hidden) in cases {
        let got = daemon_error(&through);
        let mut want = daemon_error(&direct).replace("evb_", "");
        for id in hidden {
            want = want.replace(id, HIDDEN_ID);
        }
        assert_eq!(got, want, "\nthrough fdcs:\n{through}\ndirect:\n{direct}");
        assert!(!got.contains("evb_"), "{through}");
    }
    finish(&c, v);
}

#[test]
fn inspect_answers_show_no_host_paths() {
    let Some((c, v)) = start() else { return };
    let (t, e) = (&v.evb, &c.env.engine);
    let (ctr, vol) = (c.name("ev-paths"), c.name("ev-pathvol"));
    t.docker(&["volume", "create", &vol]).ok();
    t.docker(&[
        "run",
        "-d",
        "--name",
        &ctr,
        "-v",
        &format!("{vol}:/data"),
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    // the engine's own answers do hold them
    let direct = e.docker(&["inspect", &scoped(t, &ctr)]);
    assert!(direct.ok().contains("/var/lib/docker"), "{direct}");
    let direct = e.docker(&["volume", "inspect", &scoped(t, &vol)]);
    assert!(direct.ok().contains("/var/lib/docker"), "{direct}");

    let out = t.docker(&["inspect", &ctr]);
    let text = out.ok();
    assert!(!text.contains("/var/lib/docker"), "{out}");
    assert!(!text.contains("/var/run/docker"), "{out}");
    let inspect: Value = serde_json::from_str(text).unwrap();
    let c0 = &inspect[0];
    for key in ["LogPath", "ResolvConfPath", "HostnamePath", "HostsPath"] {
        assert_eq!(c0[key], "", "{key}: {out}");
    }
    assert!(c0.get("GraphDriver").is_none(), "{out}");
    assert_eq!(c0["NetworkSettings"]["SandboxKey"], "", "{out}");
    assert_eq!(c0["Mounts"][0]["Name"], vol.as_str(), "{out}");
    assert_eq!(c0["Mounts"][0]["Source"], "", "{out}");
    assert_eq!(c0["Mounts"][0]["Destination"], "/data", "{out}");

    let out = t.docker(&["volume", "inspect", &vol]);
    let text = out.ok();
    assert!(!text.contains("/var/lib/docker"), "{out}");
    let vi: Value = serde_json::from_str(text).unwrap();
    assert_eq!(vi[0]["Name"], vol.as_str());
    assert_eq!(vi[0]["Mountpoint"], "");
    for args in [
        &["volume", "ls", "--format", "{{.Name}} {{.Mountpoint}}"][..],
        &["ps", "--no-trunc", "--format", "{{.Mounts}}"],
        &["image", "inspect", "busybox"],
        &["system", "df", "-v"],
    ] {
        let out = t.docker(args);
        assert!(!out.ok().contains("/var/lib/docker"), "{out}");
    }
    finish(&c, v);
}

#[test]
fn network_rm_bridge_is_refused_as_the_engine_refuses_it_and_the_default_network_stays() {
    let Some((c, v)) = start() else { return };
    let (t, e) = (&v.evb, &c.env.engine);
    // a container on the default network makes it exist
    let ctr = c.name("ev-onbridge");
    t.docker(&["run", "-d", "--name", &ctr, "busybox", "sleep", "300"])
        .ok();
    let bridge_id = engine_id(
        e,
        &["network", "inspect", "--format", "{{.Id}}", "evb_bridge"],
    );
    for name in ["bridge", "host", "none"] {
        // the engine refuses these and removes nothing
        let direct = e.docker(&["network", "rm", name]);
        let through = t.docker(&["network", "rm", name]);
        assert_eq!(daemon_error(&through), daemon_error(&direct), "{through}");
    }
    // by id, too: the daemon checks the network it found
    let through = t.docker(&["network", "rm", &bridge_id]);
    assert_eq!(
        daemon_error(&through),
        "bridge is a pre-defined network and cannot be removed"
    );
    let out = t.docker(&[
        "network",
        "inspect",
        "--format",
        "{{.Name}} {{.Id}}",
        "bridge",
    ]);
    assert_eq!(out.ok(), format!("bridge {bridge_id}"));
    let out = t.docker(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(
        out.ok().lines().filter(|l| *l == "bridge").count(),
        1,
        "{out}"
    );
    assert!(!out.ok().contains("evb_"), "{out}");
    let out = t.docker(&["inspect", "--format", "{{.HostConfig.NetworkMode}}", &ctr]);
    assert_eq!(out.ok(), "bridge");
    finish(&c, v);
}

#[test]
fn network_prune_leaves_the_default_network_as_an_engine_leaves_bridge() {
    let Some((c, v)) = start() else { return };
    let t = &v.evd;
    let (ctr, idle) = (c.name("ev-pruned"), c.name("ev-idle"));
    t.docker(&["run", "--name", &ctr, "busybox", "true"]).ok();
    t.docker(&["rm", &ctr]).ok();
    t.docker(&["network", "create", &idle]).ok();
    // `bridge` is unused now, like the idle network
    let out = t.docker(&["network", "prune", "-f"]);
    let text = out.ok();
    assert!(text.contains(&idle), "{out}");
    assert!(!text.lines().any(|l| l.trim() == "bridge"), "{out}");
    let out = t.docker(&["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(out.ok(), "bridge", "{out}");
    finish(&c, v);
}

/// One tenant's events of the window, one JSON object per line.
fn events(t: &Tenant, since: &str, until: &str, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["events", "--since", since, "--until", until];
    for f in filters {
        args.extend(["--filter", f]);
    }
    args.extend(["--format", "{{json .}}"]);
    let out = t.docker(&args);
    out.ok()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn attr<'a>(ev: &'a Value, key: &str) -> &'a str {
    ev["Actor"]["Attributes"][key].as_str().unwrap_or("")
}

/// `Type Action` of the events about one object, in order.
fn actions(evs: &[Value], kind: &str, pick: impl Fn(&Value) -> bool) -> Vec<String> {
    evs.iter()
        .filter(|e| e["Type"] == kind && pick(e))
        .map(|e| e["Action"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// What one tenant does; returns the engine-side ids of its network and container.
fn lifecycle(t: &Tenant, e: &Engine, net: &str, vol: &str, ctr: &str) -> (String, String) {
    t.docker(&["network", "create", net]).ok();
    t.docker(&["volume", "create", vol]).ok();
    t.docker(&[
        "run",
        "-d",
        "--name",
        ctr,
        "--network",
        net,
        "-v",
        &format!("{vol}:/data"),
        "busybox",
        "sleep",
        "300",
    ])
    .ok();
    let net_id = engine_id(
        e,
        &["network", "inspect", "--format", "{{.Id}}", &scoped(t, net)],
    );
    let ctr_id = engine_id(e, &["inspect", "--format", "{{.Id}}", &scoped(t, ctr)]);
    t.docker(&["exec", ctr, "true"]).ok();
    t.docker(&["network", "disconnect", net, ctr]).ok();
    t.docker(&["network", "connect", net, ctr]).ok();
    t.docker(&["rm", "-f", ctr]).ok();
    t.docker(&["volume", "rm", vol]).ok();
    t.docker(&["network", "rm", net]).ok();
    (net_id, ctr_id)
}

#[test]
fn each_tenant_sees_its_own_network_volume_container_and_exec_events_only() {
    let Some((c, v)) = start() else { return };
    let e = &c.env.engine;
    let (net, vol, ctr) = (c.name("ev-enet"), c.name("ev-evol"), c.name("ev-ectr"));
    let since = unix_now();
    let (b, cc) = std::thread::scope(|s| {
        let hb = s.spawn(|| lifecycle(&v.evb, e, &net, &vol, &ctr));
        let hc = s.spawn(|| lifecycle(&v.evc, e, &net, &vol, &ctr));
        (hb.join().unwrap(), hc.join().unwrap())
    });
    let until = (unix_now() + 1).to_string();
    let since = since.to_string();

    for (t, (net_id, ctr_id), (other_net, other_ctr)) in [(&v.evb, &b, &cc), (&v.evc, &cc, &b)] {
        let other = if t.id == "evb" { "evc" } else { "evb" };
        let all = events(t, &since, &until, &[]);
        for ev in &all {
            let line = ev.to_string();
            assert!(
                !line.contains("evb") && !line.contains("evc") && !line.contains("fdcs."),
                "{}: {line}",
                t.id
            );
            assert!(
                !line.contains(other_net.as_str()) && !line.contains(other_ctr.as_str()),
                "{} sees {other}'s object: {line}",
                t.id
            );
        }
        // exactly what the engine recorded for its objects, in its names
        let direct = |filter: &str| -> Vec<Value> {
            let out = e.docker(&[
                "events",
                "--since",
                &since,
                "--until",
                &until,
                "--filter",
                filter,
                "--format",
                "{{json .}}",
            ]);
            out.ok()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let net_actions = actions(&all, "network", |ev| ev["Actor"]["ID"] == net_id.as_str());
        let want = actions(&direct(&format!("network={net_id}")), "network", |_| true);
        assert_eq!(net_actions, want, "{}'s network events", t.id);
        for a in ["create", "connect", "disconnect", "destroy"] {
            assert!(
                net_actions.iter().any(|x| x == a),
                "{}: no network {a}: {net_actions:?}",
                t.id
            );
        }
        assert!(all
            .iter()
            .filter(|ev| ev["Actor"]["ID"] == net_id.as_str())
            .all(|ev| attr(ev, "name") == net));

        let vol_actions = actions(&all, "volume", |ev| ev["Actor"]["ID"] == vol.as_str());
        let want = actions(
            &direct(&format!("volume={}", scoped(t, &vol))),
            "volume",
            |ev| ev["Actor"]["ID"] == scoped(t, &vol).as_str(),
        );
        assert_eq!(vol_actions, want, "{}'s volume events", t.id);
        for a in ["create", "mount", "unmount", "destroy"] {
            assert!(
                vol_actions.iter().any(|x| x == a),
                "{}: no volume {a}: {vol_actions:?}",
                t.id
            );
        }

        let ctr_actions = actions(&all, "container", |ev| ev["Actor"]["ID"] == ctr_id.as_str());
        let want = actions(&direct(&format!("container={ctr_id}")), "container", |_| {
            true
        });
        assert_eq!(ctr_actions, want, "{}'s container events", t.id);
        for a in [
            "create",
            "start",
            "exec_create",
            "exec_start",
            "exec_die",
            "die",
            "destroy",
        ] {
            assert!(
                ctr_actions.iter().any(|x| x.starts_with(a)),
                "{}: no container {a}: {ctr_actions:?}",
                t.id
            );
        }
        assert!(all
            .iter()
            .filter(|ev| ev["Actor"]["ID"] == ctr_id.as_str())
            .all(|ev| attr(ev, "name") == ctr));

        // the tenant's filters, in its own names
        let only = events(
            t,
            &since,
            &until,
            &["type=network", &format!("network={net}")],
        );
        assert_eq!(actions(&only, "network", |_| true), net_actions);
        assert_eq!(only.len(), net_actions.len(), "{only:?}");
        let only = events(t, &since, &until, &[&format!("volume={vol}")]);
        assert_eq!(actions(&only, "volume", |_| true), vol_actions);
        assert_eq!(only.len(), vol_actions.len(), "{only:?}");
        let only = events(t, &since, &until, &[&format!("container={ctr}")]);
        assert_eq!(actions(&only, "container", |_| true), ctr_actions);
        let only = events(
            t,
            &since,
            &until,
            &["event=create", &format!("network={net}")],
        );
        assert_eq!(actions(&only, "network", |_| true), ["create"]);
    }
    // `ev` is a prefix of both ids, and owns nothing of theirs
    let seen = events(&v.ev, &since, &until, &[]);
    assert!(seen.is_empty(), "ev sees: {seen:?}");
    finish(&c, v);
}

/// Removes the private image (every tag: the pull's and the claim) however
/// the test ends; the image is this run's own (pushed by the test).
struct RemoveImage<'a>(&'a Engine, String);

impl Drop for RemoveImage<'_> {
    fn drop(&mut self) {
        if self.0.docker(&["image", "inspect", &self.1]).success() {
            let _ = self.0.docker(&["rmi", "-f", &self.1]);
        }
    }
}

#[test]
fn image_events_show_a_tenant_its_own_pull_of_a_private_image_and_no_one_else() {
    let Some((c, _)) = start() else { return };
    if let Some(why) = registry::missing_tools() {
        assert!(!engine_required(), "CI needs the registry tools: {why}");
        eprintln!("skipped: {why}");
        return;
    }
    let e = &c.env.engine;
    let dir = scratch_dir("views-registry");
    let (user, pass) = ("evuser", "evpass");
    let reg = registry::Registry::start(&dir, user, pass).unwrap();
    let secret = format!("ev-secret-{}-{}", std::process::id(), c.tag);
    let image = reg
        .push_private(&e.host, &dir, "ev/app", "1", &secret)
        .unwrap();
    let _remove = RemoveImage(e, image.id.clone());
    let policy = dir.join("policy.yaml");
    std::fs::write(
        &policy,
        format!(
            "apiVersion: fdcs/v1\nkind: Policy\nname: e2e-views\nrules:\n  images:\n    \
             registries: [docker.io, \"{}\"]\n",
            reg.host()
        ),
    )
    .unwrap();
    let tenants = dir.join("tenants.yaml");
    std::fs::write(
        &tenants,
        "tenants:\n  - id: evb\n    tokens: [evb-token]\n  - id: evc\n    tokens: [evc-token]\n",
    )
    .unwrap();
    let proxy = Proxy::start(
        &e.host,
        &[
            "--policy",
            &policy.display().to_string(),
            "--tenants",
            &tenants.display().to_string(),
        ],
        &dir,
    )
    .unwrap();
    let evb = Tenant::new("evb", "evb-token", &proxy.host(), &dir);
    let evc = Tenant::new("evc", "evc-token", &proxy.host(), &dir);
    evb.docker(&["login", &reg.host(), "-u", user, "-p", pass])
        .ok();

    let since = unix_now().to_string();
    evb.docker_timeout(
        &["pull", &image.reference],
        std::time::Duration::from_secs(120),
    )
    .ok();
    // fdcs writes its claim once the pull stream ended: wait for it
    let (host, path) = image.repository.split_once('/').unwrap();
    let claim = format!(
        "fdcs.invalid/evb/{}/{path}:{}",
        host.replace(':', "__"),
        image.tag
    );
    let claimed = (0..100).any(|_| {
        let tags = e.docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .RepoTags}}",
            &image.id,
        ]);
        let done = tags.stdout.contains(&claim);
        if !done {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        done
    });
    assert!(claimed, "fdcs never tagged its claim {claim}");
    let until = (unix_now() + 1).to_string();

    // the engine saw the pull and fdcs's claim on it
    let out = e.docker(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "type=image",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
    ]);
    assert!(
        out.ok().lines().any(|l| l == format!("tag {claim}")),
        "no claim tag among the engine's events:\n{out}"
    );
    // evb: the tag of what it pulled, in the name it pulled; no claim
    let seen = events(&evb, &since, &until, &["type=image"]);
    assert!(
        seen.iter()
            .any(|ev| ev["Action"] == "tag" && attr(ev, "name") == image.reference),
        "{seen:?}"
    );
    for ev in &seen {
        let line = ev.to_string();
        assert!(!line.contains("fdcs.") && !line.contains("evb"), "{line}");
    }
    // evc pulled nothing: it sees nothing of it
    let seen = events(&evc, &since, &until, &[]);
    for ev in &seen {
        let line = ev.to_string();
        assert!(
            !line.contains(&image.id) && !line.contains("ev/app"),
            "evc sees evb's pull: {line}"
        );
    }
    assert!(proxy.alive(), "{}", proxy.log_tail());
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
