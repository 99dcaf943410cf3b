//! The invariant checked after every test: each tenant's lists show only its
//! own objects, and neither tenant can inspect, stop, exec into, read logs
//! of, connect to, or remove the other's — by name, by full ID, by ID
//! prefix, or by the other's engine-side name (`<tenant>_<name>`).
//!
//! The ground truth is the engine itself, asked directly on its socket:
//! which object carries which `fdcs.tenant` label. Tests run in parallel, so
//! objects may appear or vanish between a tenant's listing and the engine
//! snapshot; the checks are written so that this can only hide nothing:
//! an object a tenant listed must, if it still exists, be its own; the
//! objects this test created must all be listed by their owner.

use crate::cmd::Out;
use crate::engine::{Engine, Obj};
use crate::tenant::Tenant;

/// Asserts the isolation invariant between `a` and `b`, in both directions,
/// over what the test tagged `tag` created and over the full lists.
#[track_caller]
pub fn assert_isolated(engine: &Engine, a: &Tenant, b: &Tenant, tag: &str) {
    let containers = engine.containers();
    let networks = engine.networks();
    let volumes = engine.volumes();
    for (me, other) in [(a, b), (b, a)] {
        lists_show_only_own(engine, me, tag);
        let mine_named = |objs: &[Obj], who: &Tenant| -> Vec<Obj> {
            objs.iter()
                .filter(|o| o.owner == who.id && o.name.contains(tag))
                .cloned()
                .collect()
        };
        let my_containers = mine_named(&containers, me);
        for c in mine_named(&containers, other) {
            containers_untouchable(engine, me, other, &c, &my_containers);
        }
        let my_networks = mine_named(&networks, me);
        for n in mine_named(&networks, other) {
            network_untouchable(engine, me, other, &n, &my_networks, &my_containers);
        }
        let my_volumes = mine_named(&volumes, me);
        for v in mine_named(&volumes, other) {
            volume_untouchable(engine, me, other, &v, &my_volumes);
        }
    }
}

/// The tenant-side name of an engine name owned by `t`.
fn short<'a>(t: &Tenant, engine_name: &'a str) -> &'a str {
    engine_name
        .strip_prefix(t.id.as_str())
        .and_then(|r| r.strip_prefix('_'))
        .unwrap_or(engine_name)
}

#[track_caller]
fn lists_show_only_own(engine: &Engine, me: &Tenant, tag: &str) {
    let ps = me.docker(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"]);
    let nets = me.docker(&[
        "network",
        "ls",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Name}}",
    ]);
    let vols = me.docker(&["volume", "ls", "--format", "{{.Name}}"]);
    let (ps_text, nets_text, vols_text) = (ps.ok(), nets.ok(), vols.ok());
    // Snapshot after listing: whatever was listed and still exists is here.
    let containers = engine.containers();
    let networks = engine.networks();
    let volumes = engine.volumes();

    for line in ps_text.lines() {
        let id = line.split_whitespace().next().unwrap_or_default();
        if let Some(o) = containers.iter().find(|o| o.id == id) {
            assert_eq!(
                o.owner, me.id,
                "{} sees container {} ({}), owned by `{}`:\n{ps}",
                me.id, o.name, o.id, o.owner
            );
        }
    }
    for line in nets_text.lines() {
        let id = line.split_whitespace().next().unwrap_or_default();
        if let Some(o) = networks.iter().find(|o| o.id == id) {
            assert_eq!(
                o.owner, me.id,
                "{} sees network {} ({}), owned by `{}`:\n{nets}",
                me.id, o.name, o.id, o.owner
            );
        }
    }
    for name in vols_text.lines().map(str::trim).filter(|n| !n.is_empty()) {
        let scoped = format!("{}_{name}", me.id);
        if let Some(o) = volumes.iter().find(|o| o.id == scoped) {
            assert_eq!(
                o.owner, me.id,
                "{} sees volume {name} backed by {}, owned by `{}`",
                me.id, o.id, o.owner
            );
        } else if let Some(o) = volumes.iter().find(|o| o.id == name) {
            panic!(
                "{} sees volume `{name}` which is the engine volume {} owned by `{}`:\n{vols}",
                me.id, o.id, o.owner
            );
        }
    }
    // Non-vacuity: what this test made for `me` is listed, by its own name.
    for o in containers
        .iter()
        .filter(|o| o.owner == me.id && o.name.contains(tag))
    {
        let want = format!("{} {}", o.id, short(me, &o.name));
        assert!(
            ps_text.lines().any(|l| l.trim() == want),
            "{} does not see its own container `{want}`:\n{ps}",
            me.id
        );
    }
    for o in networks
        .iter()
        .filter(|o| o.owner == me.id && o.name.contains(tag))
    {
        let want = format!("{} {}", o.id, short(me, &o.name));
        assert!(
            nets_text.lines().any(|l| l.trim() == want),
            "{} does not see its own network `{want}`:\n{nets}",
            me.id
        );
    }
    for o in volumes
        .iter()
        .filter(|o| o.owner == me.id && o.name.contains(tag))
    {
        let want = short(me, &o.name);
        assert!(
            vols_text.lines().any(|l| l.trim() == want),
            "{} does not see its own volume `{want}`:\n{vols}",
            me.id
        );
    }
}

/// Asserts a tenant command failed the way the daemon reports a missing
/// object (so a foreign object is indistinguishable from none).
#[track_caller]
fn not_found(out: &Out, what: &str) {
    let all = out.fails().to_lowercase();
    assert!(
        all.contains("no such") || all.contains("not found"),
        "{what}: must fail as `not found`, got:\n{out}"
    );
}

#[track_caller]
fn containers_untouchable(engine: &Engine, me: &Tenant, other: &Tenant, c: &Obj, mine: &[Obj]) {
    let before = engine.containers().into_iter().find(|o| o.id == c.id);
    let name = short(other, &c.name).to_owned();
    let ctx = |r: &str| {
        format!(
            "{} touching {}'s container {} via `{r}`",
            me.id, other.id, c.name
        )
    };
    let mut refs: Vec<String> = vec![
        c.id.clone(),
        c.id.chars().take(12).collect(),
        c.id.chars().take(7).collect(),
        c.name.clone(),
    ];
    let same_name = mine.iter().find(|o| short(me, &o.name) == name);
    match same_name {
        // `me` has its own container of that name: the name must mean that one.
        Some(own) => {
            let out = me.docker(&["container", "inspect", "--format", "{{.Id}}", &name]);
            assert_eq!(
                out.ok(),
                own.id,
                "{}: `{name}` must resolve to its own container:\n{out}",
                ctx(&name)
            );
        }
        None => refs.push(name.clone()),
    }
    // A ref that is also the name of one of `me`'s own objects (alpha may
    // well own a volume called `beta_data`) means that one, rightly.
    refs.retain(|r| !mine.iter().any(|o| short(me, &o.name) == r));
    for r in &refs {
        not_found(&me.docker(&["container", "inspect", r]), &ctx(r));
        not_found(&me.docker(&["logs", r]), &format!("logs: {}", ctx(r)));
        not_found(
            &me.docker(&["exec", r, "true"]),
            &format!("exec: {}", ctx(r)),
        );
        not_found(
            &me.docker(&["stop", "-t", "0", r]),
            &format!("stop: {}", ctx(r)),
        );
        // CLI 28 exits 0 from `rm -f` on a missing container, printing the
        // daemon's error: judge by the message and, below, by the engine.
        let rm = me.docker(&["rm", "-f", r]);
        assert!(
            rm.stderr.to_lowercase().contains("no such container"),
            "rm -f: {}: must report `no such container`:\n{rm}",
            ctx(r)
        );
    }
    let after = engine.containers().into_iter().find(|o| o.id == c.id);
    assert_eq!(
        before, after,
        "{}'s container {} changed while {} poked at it",
        other.id, c.name, me.id
    );
}

#[track_caller]
fn network_untouchable(
    engine: &Engine,
    me: &Tenant,
    other: &Tenant,
    n: &Obj,
    mine: &[Obj],
    my_containers: &[Obj],
) {
    let name = short(other, &n.name).to_owned();
    let ctx = |r: &str| {
        format!(
            "{} touching {}'s network {} via `{r}`",
            me.id, other.id, n.name
        )
    };
    let mut refs: Vec<String> = vec![
        n.id.clone(),
        n.id.chars().take(12).collect(),
        n.name.clone(),
    ];
    refs.push(name);
    refs.retain(|r| !mine.iter().any(|o| short(me, &o.name) == r));
    let own_running = my_containers
        .iter()
        .find(|c| c.state == "running")
        .map(|c| short(me, &c.name).to_owned());
    for r in &refs {
        not_found(&me.docker(&["network", "inspect", r]), &ctx(r));
        not_found(
            &me.docker(&["network", "rm", r]),
            &format!("network rm: {}", ctx(r)),
        );
        if let Some(c) = &own_running {
            let out = me.docker(&["network", "connect", r, c]);
            not_found(&out, &format!("network connect: {}", ctx(r)));
        }
    }
    assert!(
        engine.networks().iter().any(|o| o.id == n.id),
        "{}'s network {} vanished while {} poked at it",
        other.id,
        n.name,
        me.id
    );
}

#[track_caller]
fn volume_untouchable(engine: &Engine, me: &Tenant, other: &Tenant, v: &Obj, mine: &[Obj]) {
    let name = short(other, &v.name).to_owned();
    let ctx = |r: &str| {
        format!(
            "{} touching {}'s volume {} via `{r}`",
            me.id, other.id, v.name
        )
    };
    let mut refs = vec![v.name.clone()];
    refs.push(name);
    refs.retain(|r| !mine.iter().any(|o| short(me, &o.name) == r));
    for r in &refs {
        not_found(&me.docker(&["volume", "inspect", r]), &ctx(r));
        not_found(
            &me.docker(&["volume", "rm", r]),
            &format!("volume rm: {}", ctx(r)),
        );
    }
    assert!(
        engine.volumes().iter().any(|o| o.id == v.id),
        "{}'s volume {} vanished while {} poked at it",
        other.id,
        v.name,
        me.id
    );
}
