//! Swarm, end to end: a throwaway single-node Swarm (`fdcs_e2e::swarm`:
//! its own dockerd as root in a network namespace of its own, busybox
//! imported, `swarm init --advertise-addr 127.0.0.1`) with one `serve` in
//! front of it for the demo tenants alpha and beta.
//!
//! What works inside that namespace (dockerd 20.10.24, kernel 6.18 without
//! IP_VS, dockerd flags `--bridge none --iptables=true` (its own namespace's
//! rules), `lo` up), measured
//! 2026-12-02:
//!
//! - `swarm init --advertise-addr 127.0.0.1`: yes (under 1 s). It creates
//!   the `ingress` overlay network; `docker_gwbridge` appears with the first
//!   task (inside the namespace only, 172.17.0.0/16 there).
//! - `docker stack deploy` (services, overlay networks, secrets): yes; two
//!   replicas run within about 5 s. Secrets are mounted at /run/secrets.
//! - Overlay networks: yes, task to task by task address, and the embedded
//!   DNS answers `tasks.<service>`.
//! - Service VIPs (endpoint mode `vip`, the default): NO. The engine logs
//!   `level=error msg="Could not get ipvs family information from the kernel.
//!   It is possible that ipvs is not enabled in your kernel. Native
//!   loadbalancing will not work until this is fixed."` and a connection to
//!   the VIP (10.0.1.2 for `web`) gets no answer (nc hangs until killed).
//!   `endpoint_mode: dnsrr` works.
//! - Ingress published ports (the routing mesh, `-p 18080:80` or an
//!   engine-assigned one): NO, for the same reason. The service shows
//!   `*:18080->80/tcp` and its tasks run, but nothing listens and no DNAT
//!   rule exists: `curl: (7) Failed to connect to 127.0.0.1 port 18080 after
//!   0 ms: Couldn't connect to server` (also with `--iptables=true`).
//! - Host-mode published ports (`mode: host`, with or without a published
//!   number): yes, when the service has an overlay network (the port is
//!   bound by docker-proxy on `docker_gwbridge`; with `--iptables=true` a
//!   DNAT rule appears too). A service with no network of its own gets
//!   none: its tasks are put on the default `bridge` network, which
//!   `--bridge none` does not create; they run, but the port is never
//!   bound (`NetworkSettings.Ports` is `{}`).
//! - Registries: none reachable from the namespace (no route). `service
//!   create`/`stack deploy` warn `image busybox:latest could not be accessed
//!   on a registry to record its digest` unless `--resolve-image never`,
//!   and each task first logs `pulling image failed ... connect: network is
//!   unreachable`, then runs the local image.
//! - The imported busybox: `wget` segfaults (Debian's static busybox 1.35);
//!   `nc` works, so HTTP checks use `printf 'GET / ...' | nc`.
//! - Teardown: `swarm leave --force` leaves the overlay networks' sandboxes
//!   mounted (`<exec-root>/netns/1-<id>`, `lb_<id>`, nsfs) even after
//!   dockerd stops; the harness unmounts what is left under its directory.
//!
//! Through serve (`policies/examples/swarm.yaml`): alpha and beta deploy
//! the same stack `app` (`tests/fixtures/swarm/tenant-stack.yml`) side by
//! side and each sees and touches only its own (lists, names, ids, id
//! prefixes, task containers, overlay addresses); `service create` with a
//! port the engine picks, secrets and configs; refused creates leave
//! nothing. Those tests print the deploy outputs and the two refusals the
//! closing note quotes, and write them to /tmp/swarm-e2e-quotes.txt.
//!
//! Timings on the CI machine (2 cores, shared): the swarm is up (dockerd,
//! busybox import and check, init) in 2 to 7 s; the binary takes about
//! 40 s, most of it building fdcs-policy.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::swarm::{self, poll, Swarm, SwarmEnv};
use fdcs_e2e::{assert_isolated, fixtures, Out, Tenant};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The self-check's stack on the throwaway engine (nothing else uses it;
/// the tenants' stacks are `app`, `alpha_app_*` and `beta_app_*` there).
const STACK: &str = "harness";

/// The harness self-check, straight on the engine (no proxy): the tiny stack
/// of `tests/fixtures/swarm/stack.yml` converges, its secret is mounted,
/// its tasks reach each other over the overlay network, its host-mode
/// port answers inside the namespace, and `stack rm` removes it.
#[test]
fn stack_deploy_converges_on_the_throwaway_swarm() {
    let Some(e) = swarm::env() else { return };
    let s = &e.swarm;
    eprintln!("swarm up in {:?}", e.started_in);
    let compose = fixtures().join("swarm").join("stack.yml");
    let compose = compose.to_str().unwrap();
    let t = Instant::now();
    s.engine
        .docker_timeout(
            &[
                "stack",
                "deploy",
                "--detach=true",
                "--resolve-image",
                "never",
                "-c",
                compose,
                STACK,
            ],
            Duration::from_secs(60),
        )
        .ok();
    let took = s
        .converged(STACK, Duration::from_secs(60))
        .unwrap_or_else(|why| panic!("{why}"));
    eprintln!(
        "stack {STACK}: 2/2 after {took:?} (deploy included: {:?})",
        t.elapsed()
    );

    let tasks: Vec<String> = s
        .engine
        .docker(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.swarm.service.name={STACK}_web"),
        ])
        .ok()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        tasks.len(),
        2,
        "the task containers of {STACK}_web: {tasks:?}"
    );
    let (one, other) = (&tasks[0], &tasks[1]);

    // The secret, as the file stack deploy read.
    let secret = s.engine.docker(&["exec", one, "cat", "/run/secrets/token"]);
    assert_eq!(secret.ok(), "h1swarm-secret-value", "{secret}");

    // Task to task over the overlay network.
    let net = format!("{STACK}_front");
    let ip = s.engine.docker(&[
        "inspect",
        "--format",
        &format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}"),
        other,
    ]);
    let ip = ip.ok().to_owned();
    assert!(!ip.is_empty(), "no address on {net}");
    let get = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc {ip} 80 | head -n 1");
    let over = s.engine.docker(&["exec", one, "sh", "-c", &get]);
    assert_eq!(over.ok(), "HTTP/1.1 200 OK", "{over}\n{}", s.log_tail());

    // The host-mode port the engine picked, from the namespace's host side.
    let port = s.engine.docker(&["port", one, "80/tcp"]);
    let port: u16 = port
        .ok()
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no host port for 80/tcp:\n{port}"));
    let local = s.http_local(port);
    assert_eq!(local.ok(), "HTTP/1.1 200 OK", "{local}\n{}", s.log_tail());

    let t = Instant::now();
    s.engine.docker(&["stack", "rm", STACK]).ok();
    s.removed(STACK, Duration::from_secs(30))
        .unwrap_or_else(|why| panic!("{why}"));
    eprintln!("stack rm: gone after {:?}", t.elapsed());
}

/// What the operator's view of the swarm shows that a tenant must never
/// change (or see: the join token).
#[derive(Debug, PartialEq, Eq)]
struct SwarmState {
    node_state: String,
    node_labels: String,
    task_history: String,
    worker_token: String,
}

fn state(s: &Swarm) -> SwarmState {
    let info = |f: &str| s.engine.docker(&["info", "--format", f]).ok().to_owned();
    SwarmState {
        node_state: info("{{.Swarm.LocalNodeState}} manager={{.Swarm.ControlAvailable}}"),
        node_labels: s
            .engine
            .docker(&[
                "node",
                "inspect",
                &s.node,
                "--format",
                "{{json .Spec.Labels}}",
            ])
            .ok()
            .to_owned(),
        task_history: info("{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}"),
        worker_token: s
            .engine
            .docker(&["swarm", "join-token", "-q", "worker"])
            .ok()
            .to_owned(),
    }
}

/// The rule id in an fdcs refusal (`... (rule system.admin); ...`).
fn rule_of(out: &Out) -> Option<String> {
    let (_, rest) = out.stderr.split_once("(rule ")?;
    let id: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Through serve as alpha: swarm and node administration is the operator's.
/// Each command is refused with an fdcs message naming a rule, alpha never
/// sees the join token, and the engine is unchanged: still an active
/// manager, the node's labels and the cluster's spec as they were.
#[test]
fn operator_only_swarm_actions_are_refused_through_serve() {
    let Some(e) = swarm::env() else { return };
    let s = &e.swarm;
    let before = state(s);
    assert_eq!(before.node_state, "active manager=true", "{before:?}");
    assert!(before.worker_token.starts_with("SWMTKN-"), "{before:?}");

    let label = "x=y";
    for args in [
        &["swarm", "join-token", "worker"][..],
        &["swarm", "join-token", "-q", "manager"],
        &["swarm", "leave", "--force"],
        &["swarm", "update", "--task-history-limit", "1"],
        &["node", "update", "--label-add", label, &s.node],
    ] {
        let out = e.alpha.docker(args);
        let all = out.fails();
        assert!(
            out.stderr.contains("fdcs"),
            "refused, but not by fdcs:\n{out}\n{}",
            e.proxy.log_tail()
        );
        let rule = rule_of(&out);
        assert!(rule.is_some(), "the refusal names no rule:\n{out}");
        assert!(
            !all.contains(&before.worker_token) && !all.contains("SWMTKN-"),
            "alpha saw a join token:\n{out}"
        );
        eprintln!(
            "alpha `docker {}`: refused by {}",
            args.join(" "),
            rule.unwrap()
        );
    }

    let after = state(s);
    assert_eq!(before, after, "alpha's refused commands changed the swarm");
    assert!(e.proxy.alive(), "serve died:\n{}", e.proxy.log_tail());
}

// ---------------------------------------------------------------------------
// Tenants through serve (policies/examples/swarm.yaml).
// ---------------------------------------------------------------------------

/// The tenants' stack name: alpha and beta both deploy `app`.
const APP: &str = "app";

/// Held while a test creates or removes services, and by the denial test
/// for its whole length: it compares the engine's services before and
/// after each refused command.
static SERVICES: Mutex<()> = Mutex::new(());

fn services_lock() -> MutexGuard<'static, ()> {
    SERVICES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Prints `text` under `section` to stderr and rewrites
/// /tmp/swarm-e2e-quotes.txt with every section so far, for the lead's
/// closing note.
fn quote(section: &str, text: &str) {
    static QUOTES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
    eprintln!("=== {section} ===\n{}", text.trim_end());
    let mut q = QUOTES.lock().unwrap_or_else(|p| p.into_inner());
    q.insert(section.to_owned(), text.trim_end().to_owned());
    let all: String = q
        .iter()
        .map(|(k, v)| format!("=== {k} ===\n{v}\n\n"))
        .collect();
    let _ = std::fs::write("/tmp/swarm-e2e-quotes.txt", all);
}

/// One swarm object as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SObj {
    id: String,
    name: String,
    owner: String,
}

/// Every `kind` (`service`, `secret`, `config`) on the engine, with its
/// engine-side name and owner label.
fn engine_objs(s: &Swarm, kind: &str) -> Vec<SObj> {
    let ids = s.engine.docker(&[kind, "ls", "-q"]);
    let ids: Vec<&str> = ids.ok().split_whitespace().collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let mut args = vec![
        kind,
        "inspect",
        "--format",
        "{{.ID}} {{.Spec.Name}} {{index .Spec.Labels \"fdcs.tenant\"}}",
    ];
    args.extend(ids);
    // Objects removed between the two calls make inspect exit 1.
    s.engine
        .docker(&args)
        .stdout
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some(SObj {
                id: w.next()?.to_owned(),
                name: w.next()?.to_owned(),
                owner: w.next().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

fn engine_obj(s: &Swarm, kind: &str, name: &str) -> Option<SObj> {
    engine_objs(s, kind).into_iter().find(|o| o.name == name)
}

/// `me`'s `<kind> ls` lists only objects the engine says are `me`'s (an
/// id it shows may be a prefix of the full one), and `want` among them by
/// its own name.
#[track_caller]
fn lists_only_own(s: &Swarm, me: &Tenant, kind: &str, want: &[&str]) {
    let out = me.docker(&[kind, "ls", "--format", "{{.ID}} {{.Name}}"]);
    let text = out.ok().to_owned();
    let objs = engine_objs(s, kind);
    for line in text.lines() {
        let id = line.split_whitespace().next().unwrap_or_default();
        if let Some(o) = objs.iter().find(|o| o.id.starts_with(id)) {
            assert_eq!(
                o.owner, me.id,
                "{} lists {kind} {} ({}), owned by `{}`:\n{out}",
                me.id, o.name, o.id, o.owner
            );
        }
    }
    for w in want {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().nth(1) == Some(*w)),
            "{} does not list its {kind} `{w}`:\n{out}",
            me.id
        );
        assert!(
            objs.iter()
                .any(|o| o.owner == me.id && o.name == format!("{}_{w}", me.id)),
            "the engine has no {kind} {}_{w} owned by {}: {objs:?}",
            me.id,
            me.id
        );
    }
}

/// A tenant command failed as the daemon reports a missing object.
#[track_caller]
fn not_found(out: &Out, what: &str) {
    let all = out.fails().to_lowercase();
    assert!(
        all.contains("no such") || all.contains("not found"),
        "{what}: must fail as `not found`, got:\n{out}"
    );
}

/// The references another tenant could try for `o`: full id, a 12 and a
/// 6 character id prefix, the engine-side name.
fn refs_of(o: &SObj) -> Vec<String> {
    vec![
        o.id.clone(),
        o.id.chars().take(12).collect(),
        o.id.chars().take(6).collect(),
        o.name.clone(),
    ]
}

/// The engine's containers of service `svc` (engine-side name), running.
fn task_containers(s: &Swarm, svc: &str) -> Vec<String> {
    s.engine
        .docker(&[
            "ps",
            "-q",
            "--no-trunc",
            "--filter",
            &format!("label=com.docker.swarm.service.name={svc}"),
        ])
        .ok()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `me`'s services as `<name> <replicas>` lines of `stack services`.
fn replicas(me: &Tenant, stack: &str) -> Result<(), String> {
    let out = me.docker(&[
        "stack",
        "services",
        stack,
        "--format",
        "{{.Name}} {{.Replicas}}",
    ]);
    let mut lines: Vec<&str> = out.stdout.lines().collect();
    lines.sort_unstable();
    if out.success() && lines == ["app_store 1/1", "app_web 2/2"] {
        Ok(())
    } else {
        Err(format!("{} `stack services {stack}`:\n{out}", me.id))
    }
}

/// `me`'s service `name` shows `want` replicas (`3/3`) in `service ls`.
fn service_replicas(me: &Tenant, name: &str, want: &str) -> Result<(), String> {
    let out = me.docker(&[
        "service",
        "ls",
        "--filter",
        &format!("name={name}"),
        "--format",
        "{{.Name}} {{.Replicas}}",
    ]);
    if out.success() && out.stdout.trim() == format!("{name} {want}") {
        Ok(())
    } else {
        Err(format!("{} `service ls` for {name}:\n{out}", me.id))
    }
}

/// The IP address of engine container `c` on engine network `net`.
fn ip_on(s: &Swarm, c: &str, net: &str) -> String {
    let f = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
    let ip = s.engine.docker(&["inspect", "--format", &f, c]);
    let ip = ip.ok().to_owned();
    assert!(!ip.is_empty(), "container {c} has no address on {net}");
    ip
}

/// The ids of the networks engine container `c` is attached to.
fn network_ids(s: &Swarm, c: &str) -> Vec<String> {
    let f = "{{range $k, $v := .NetworkSettings.Networks}}{{$v.NetworkID}} {{end}}";
    s.engine
        .docker(&["inspect", "--format", f, c])
        .ok()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// `GET /` from inside container `c` (as tenant `me`, through serve) to
/// `ip:80`: the first line of the answer, empty for none.
fn http_from(me: &Tenant, c: &str, ip: &str) -> Out {
    let script =
        format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 10 nc -w 2 {ip} 80 | head -n 1");
    me.docker_timeout(&["exec", c, "sh", "-c", &script], Duration::from_secs(30))
}

/// Alpha and beta each deploy the stack `app` of
/// `tests/fixtures/swarm/tenant-stack.yml` at the same time, through serve;
/// both converge; each sees only its own stack, services, tasks, secrets,
/// networks, volumes and task containers; the engine holds `alpha_app_*`
/// and `beta_app_*`, owner-labelled; neither reaches the other's by name,
/// id or id prefix, nor its tasks over the network; scale, update,
/// rollback, logs, service rm and stack rm touch only the tenant's own.
#[test]
fn tenants_deploy_the_same_stack_side_by_side() {
    let Some(e) = swarm::env() else { return };
    let s = &e.swarm;
    let compose = fixtures().join("swarm").join("tenant-stack.yml");
    let compose = compose.to_str().unwrap();
    let t = Instant::now();
    let deploy = |me: &Tenant| {
        me.docker_timeout(
            &[
                "stack",
                "deploy",
                "--detach=true",
                "--resolve-image",
                "never",
                "-c",
                compose,
                APP,
            ],
            Duration::from_secs(120),
        )
    };
    let (da, db) = {
        let _g = services_lock();
        std::thread::scope(|sc| {
            let a = sc.spawn(|| deploy(&e.alpha));
            let b = sc.spawn(|| deploy(&e.beta));
            (a.join().unwrap(), b.join().unwrap())
        })
    };
    for (me, out) in [(&e.alpha, &da), (&e.beta, &db)] {
        assert!(
            out.success(),
            "{} stack deploy:\n{}",
            me.id,
            fdcs_e2e::proxy::explain(out, &e.proxy)
        );
        quote(
            &format!("{}: docker stack deploy -c tenant-stack.yml app", me.id),
            &format!("{}{}", out.stdout, out.stderr),
        );
    }
    for me in [&e.alpha, &e.beta] {
        poll(
            &format!("{}'s stack converges", me.id),
            Duration::from_secs(90),
            || replicas(me, APP),
        )
        .unwrap_or_else(|why| panic!("{why}\n{}", s.log_tail()));
    }
    eprintln!("both stacks converged after {:?}", t.elapsed());

    let phases: [(&str, Phase); 6] = [
        ("views", check_views),
        ("engine", |e| check_engine(&e.swarm)),
        ("cross-tenant", check_cross_tenant),
        ("network isolation", check_network_isolation),
        ("operations", check_operations),
        ("stack rm", check_stack_rm),
    ];
    for (what, phase) in phases {
        let t = Instant::now();
        phase(e);
        eprintln!("{what}: {:?}", t.elapsed());
    }
    assert!(e.proxy.alive(), "serve died:\n{}", e.proxy.log_tail());
}

/// One step of [`tenants_deploy_the_same_stack_side_by_side`].
type Phase = fn(&SwarmEnv);

/// Each tenant's lists show its own `app` and nothing of the other's.
fn check_views(e: &SwarmEnv) {
    let s = &e.swarm;
    for me in [&e.alpha, &e.beta] {
        let stacks = me.docker(&["stack", "ls", "--format", "{{.Name}} {{.Services}}"]);
        assert_eq!(stacks.ok(), "app 2", "{} stack ls", me.id);
        let ps = me.docker(&[
            "stack",
            "ps",
            APP,
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Name}} {{.CurrentState}}",
        ]);
        let mut names: Vec<&str> = ps
            .ok()
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["app_store.1", "app_web.1", "app_web.2"],
            "{} stack ps:\n{ps}",
            me.id
        );
        lists_only_own(s, me, "service", &["app_web", "app_store"]);
        lists_only_own(s, me, "secret", &["app_token"]);
        // Its tasks are the engine's tasks of its own services.
        let engine_tasks = s.engine.docker(&[
            "service",
            "ps",
            "-q",
            "--no-trunc",
            &format!("{}_app_web", me.id),
        ]);
        let engine_tasks = engine_tasks.ok();
        let tasks = me.docker(&["service", "ps", "-q", "--no-trunc", "app_web"]);
        for t in tasks.ok().lines() {
            assert!(
                engine_tasks.lines().any(|l| l == t),
                "{} service ps app_web shows task {t}, not one of {}_app_web's:\n{engine_tasks}",
                me.id,
                me.id
            );
        }
        let nets = me.docker(&["network", "ls", "--format", "{{.Name}}"]);
        assert!(
            nets.ok().lines().any(|l| l == "app_front"),
            "{} network ls:\n{nets}",
            me.id
        );
        poll(
            &format!("{}'s volume app_data", me.id),
            Duration::from_secs(20),
            || {
                let v = me.docker(&["volume", "ls", "--format", "{{.Name}}"]);
                if v.success() && v.stdout.lines().any(|l| l == "app_data") {
                    Ok(())
                } else {
                    Err(v.to_string())
                }
            },
        )
        .unwrap_or_else(|why| panic!("{why}"));
        let ps = me.docker(&["ps", "--format", "{{.Names}}"]);
        let ps = ps.ok().to_owned();
        let webs = ps.lines().filter(|l| l.starts_with("app_web.")).count();
        assert_eq!(webs, 2, "{} ps shows its 2 web tasks:\n{ps}", me.id);
        assert!(
            ps.lines().any(|l| l.starts_with("app_store.1.")),
            "{} ps:\n{ps}",
            me.id
        );
    }
    // Containers, networks and volumes of the stacks: each lists only its
    // own, and the other's are not found by id, id prefix or name.
    assert_isolated(&e.swarm.engine, &e.alpha, &e.beta, "_app_");
}

/// The engine's side: scoped names, owner labels on services, secrets,
/// task containers and the named volume; the secret reached the volume.
fn check_engine(s: &Swarm) {
    for who in ["alpha", "beta"] {
        for (kind, name) in [
            ("service", "app_web"),
            ("service", "app_store"),
            ("secret", "app_token"),
        ] {
            let full = format!("{who}_{name}");
            let o = engine_obj(s, kind, &full)
                .unwrap_or_else(|| panic!("the engine has no {kind} {full}"));
            assert_eq!(o.owner, who, "{kind} {full}: owner label");
        }
        let net = format!("{who}_app_front");
        let label = s.engine.docker(&[
            "network",
            "inspect",
            "--format",
            "{{.Driver}} {{index .Labels \"fdcs.tenant\"}}",
            &net,
        ]);
        assert_eq!(label.ok(), format!("overlay {who}"), "network {net}");
        for svc in ["app_web", "app_store"] {
            let svc = format!("{who}_{svc}");
            let cs = task_containers(s, &svc);
            assert!(!cs.is_empty(), "no task containers of {svc}");
            for c in &cs {
                let l = s.engine.docker(&[
                    "inspect",
                    "--format",
                    "{{index .Config.Labels \"fdcs.tenant\"}} {{.Name}}",
                    c,
                ]);
                let l = l.ok().to_owned();
                assert!(
                    l.starts_with(&format!("{who} /{svc}.")),
                    "task container of {svc}: {l}"
                );
            }
        }
        let vol = format!("{who}_app_data");
        let v = s.engine.docker(&[
            "volume",
            "inspect",
            "--format",
            "{{index .Labels \"fdcs.tenant\"}}",
            &vol,
        ]);
        assert_eq!(v.ok(), who, "volume {vol}: owner label");
        let store = task_containers(s, &format!("{who}_app_store"));
        let data = s.engine.docker(&["exec", &store[0], "cat", "/data/token"]);
        assert_eq!(data.ok(), "h1swarm-secret-value", "{who}'s store task");
    }
}

/// Neither tenant reaches the other's services, tasks or secrets by full
/// id, id prefix or engine-side name; its own short names mean its own.
fn check_cross_tenant(e: &SwarmEnv) {
    let s = &e.swarm;
    for (me, other) in [(&e.alpha, &e.beta), (&e.beta, &e.alpha)] {
        let before = engine_objs(s, "service");
        for svc in ["app_web", "app_store"] {
            let own = engine_obj(s, "service", &format!("{}_{svc}", me.id)).unwrap();
            let theirs = engine_obj(s, "service", &format!("{}_{svc}", other.id)).unwrap();
            let id = me.docker(&["service", "inspect", "--format", "{{.ID}}", svc]);
            assert_eq!(id.ok(), own.id, "{} `service inspect {svc}`", me.id);
            for r in refs_of(&theirs) {
                let ctx = |c: &str| format!("{} `service {c} {r}` ({}'s)", me.id, other.id);
                not_found(&me.docker(&["service", "inspect", &r]), &ctx("inspect"));
                not_found(&me.docker(&["service", "ps", &r]), &ctx("ps"));
                not_found(&me.docker(&["service", "logs", &r]), &ctx("logs"));
                not_found(
                    &me.docker(&["service", "scale", "--detach", &format!("{r}=1")]),
                    &ctx("scale"),
                );
                not_found(&me.docker(&["service", "rm", &r]), &ctx("rm"));
            }
        }
        let tasks = s.engine.docker(&[
            "service",
            "ps",
            "-q",
            "--no-trunc",
            &format!("{}_app_web", other.id),
        ]);
        let tasks: Vec<String> = tasks.ok().lines().map(str::to_owned).collect();
        assert!(!tasks.is_empty());
        for t in &tasks {
            for r in [t.clone(), t.chars().take(12).collect()] {
                not_found(
                    &me.docker(&["inspect", "--type", "task", &r]),
                    &format!("{} `inspect --type task {r}` ({}'s)", me.id, other.id),
                );
            }
        }
        let secret = engine_obj(s, "secret", &format!("{}_app_token", other.id)).unwrap();
        for r in refs_of(&secret) {
            let ctx = |c: &str| format!("{} `secret {c} {r}` ({}'s)", me.id, other.id);
            not_found(&me.docker(&["secret", "inspect", &r]), &ctx("inspect"));
            not_found(&me.docker(&["secret", "rm", &r]), &ctx("rm"));
        }
        assert_eq!(
            before,
            engine_objs(s, "service"),
            "{}'s attempts changed the services",
            me.id
        );
        assert!(
            engine_obj(s, "secret", &secret.name).is_some(),
            "{} removed {}",
            me.id,
            secret.name
        );
    }
}

/// A task of alpha cannot reach a task of beta by its overlay address,
/// while a beta task reaches its sibling (the control); alpha's and beta's
/// tasks share no network.
fn check_network_isolation(e: &SwarmEnv) {
    let s = &e.swarm;
    let a = task_containers(s, "alpha_app_web");
    let b = task_containers(s, "beta_app_web");
    assert_eq!((a.len(), b.len()), (2, 2), "web tasks: {a:?} {b:?}");
    let b_ip = ip_on(s, &b[1], "beta_app_front");
    let control = http_from(&e.beta, &b[0], &b_ip);
    assert_eq!(
        control.ok(),
        "HTTP/1.1 200 OK",
        "beta's task to its sibling {b_ip}:\n{}",
        s.log_tail()
    );
    let cross = http_from(&e.alpha, &a[0], &b_ip);
    assert!(
        cross.stdout.trim().is_empty(),
        "alpha's task reached beta's task at {b_ip}:\n{cross}"
    );
    let a_ip = ip_on(s, &a[1], "alpha_app_front");
    let cross = http_from(&e.beta, &b[0], &a_ip);
    assert!(
        cross.stdout.trim().is_empty(),
        "beta's task reached alpha's task at {a_ip}:\n{cross}"
    );
    eprintln!(
        "beta -> beta {b_ip}: {}; alpha -> beta: nothing",
        control.ok()
    );

    // every overlay task is also on the node's shared `docker_gwbridge`
    // (its way out): there the engine keeps tenants apart only by
    // `enable_icc=false` under iptables (DESIGN.md, "Swarm")
    let gw = |c: &str| -> String {
        let id = s.engine.docker(&["inspect", "--format", "{{.Id}}", c]);
        let f = format!("{{{{(index .Containers \"{}\").IPv4Address}}}}", id.ok());
        let out = s
            .engine
            .docker(&["network", "inspect", "--format", &f, "docker_gwbridge"]);
        out.ok().split('/').next().unwrap_or_default().to_owned()
    };
    let b_gw = gw(&b[1]);
    assert!(
        !b_gw.is_empty(),
        "beta's task has no docker_gwbridge address"
    );
    let own = http_from(&e.beta, &b[1], &b_gw);
    assert_eq!(own.ok(), "HTTP/1.1 200 OK", "beta's task to its own {b_gw}");
    let cross = http_from(&e.alpha, &a[0], &b_gw);
    assert!(
        cross.stdout.trim().is_empty(),
        "alpha's task reached beta's task at its docker_gwbridge address {b_gw}:\n{cross}"
    );

    let nets = |cs: &[String]| -> Vec<String> {
        let mut v: Vec<String> = cs.iter().flat_map(|c| network_ids(s, c)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (na, nb) = (
        nets(&[a, task_containers(s, "alpha_app_store")].concat()),
        nets(&[b, task_containers(s, "beta_app_store")].concat()),
    );
    let shared: Vec<&String> = na.iter().filter(|n| nb.contains(n)).collect();
    assert!(
        shared.is_empty(),
        "alpha's and beta's tasks share networks {shared:?}"
    );
}

/// Alpha scales, force-updates, rolls back, reads logs of and removes its
/// services; beta's stay as they were.
fn check_operations(e: &SwarmEnv) {
    let s = &e.swarm;
    let a = &e.alpha;
    let beta_before = engine_objs(s, "service");
    let beta_before: Vec<&SObj> = beta_before.iter().filter(|o| o.owner == "beta").collect();
    let t = Instant::now();
    a.docker(&["service", "scale", "--detach", "app_web=3"])
        .ok();
    poll("alpha's app_web at 3/3", Duration::from_secs(60), || {
        service_replicas(a, "app_web", "3/3")
    })
    .unwrap_or_else(|why| panic!("{why}"));
    service_replicas(&e.beta, "app_web", "2/2").unwrap();
    eprintln!("scale app_web=3: {:?}", t.elapsed());

    let state = |want: &'static str| {
        move || {
            let out = a.docker(&[
                "service",
                "inspect",
                "--format",
                "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
                "app_web",
            ]);
            if out.success() && out.stdout.trim() == want {
                Ok(())
            } else {
                Err(out.to_string())
            }
        }
    };
    let t = Instant::now();
    let up = a.docker(&["service", "update", "--detach", "--force", "app_web"]);
    assert!(up.success(), "{}", fdcs_e2e::proxy::explain(&up, &e.proxy));
    poll(
        "update --force completes",
        Duration::from_secs(90),
        state("completed"),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    eprintln!("update --force: {:?}", t.elapsed());
    // fdcs sends a rollback as a plain update of the judged PreviousSpec
    // (DESIGN.md, "Update and rollback"): the engine reports it as a new
    // update, `completed`, that puts ForceUpdate back where it was.
    let status = || {
        a.docker(&[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ForceUpdate}} {{.UpdateStatus.StartedAt}}",
            "app_web",
        ])
        .ok()
        .to_owned()
    };
    let forced = status();
    assert!(forced.starts_with("1 "), "after update --force: {forced}");
    let t = Instant::now();
    let rb = a.docker(&["service", "rollback", "--detach", "app_web"]);
    assert!(rb.success(), "{}", fdcs_e2e::proxy::explain(&rb, &e.proxy));
    poll("rollback completes", Duration::from_secs(90), || {
        let now = status();
        if now.starts_with("0 ") && now != forced {
            state("completed")()
        } else {
            Err(format!("after rollback: {now} (before: {forced})"))
        }
    })
    .unwrap_or_else(|why| panic!("{why}"));
    poll(
        "alpha's app_web at 3/3 again",
        Duration::from_secs(60),
        || service_replicas(a, "app_web", "3/3"),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    eprintln!("rollback: {:?}", t.elapsed());
    // Through fdcs every task of the rolled-back service is still owned.
    for c in task_containers(s, "alpha_app_web") {
        let l = s.engine.docker(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"fdcs.tenant\"}}",
            &c,
        ]);
        assert_eq!(l.ok(), "alpha", "task container {c} after rollback");
    }

    poll(
        "alpha's service logs app_store",
        Duration::from_secs(30),
        || {
            let out = a.docker(&["service", "logs", "app_store"]);
            if out.success() && out.stdout.contains("store-ready") {
                Ok(())
            } else {
                Err(out.to_string())
            }
        },
    )
    .unwrap_or_else(|why| panic!("{why}"));

    {
        let _g = services_lock();
        a.docker(&["service", "rm", "app_store"]).ok();
    }
    assert!(engine_obj(s, "service", "alpha_app_store").is_none());
    let after = engine_objs(s, "service");
    let after: Vec<&SObj> = after.iter().filter(|o| o.owner == "beta").collect();
    assert_eq!(
        beta_before, after,
        "alpha's operations changed beta's services"
    );
    replicas(&e.beta, APP).unwrap();
}

/// `stack rm` by alpha removes alpha's stack only; then beta's.
fn check_stack_rm(e: &SwarmEnv) {
    let s = &e.swarm;
    let gone = |who: &'static str| {
        move || {
            let left: Vec<String> = ["service", "secret"]
                .iter()
                .flat_map(|k| engine_objs(s, k))
                .filter(|o| o.name.starts_with(&format!("{who}_app_")))
                .map(|o| o.name)
                .chain(
                    s.engine
                        .docker(&["network", "ls", "--format", "{{.Name}}"])
                        .stdout
                        .lines()
                        .filter(|n| n.starts_with(&format!("{who}_app_")))
                        .map(str::to_owned),
                )
                .collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("still on the engine: {left:?}"))
            }
        }
    };
    let t = Instant::now();
    {
        let _g = services_lock();
        e.alpha.docker(&["stack", "rm", APP]).ok();
    }
    poll(
        "alpha's stack removed",
        Duration::from_secs(60),
        gone("alpha"),
    )
    .unwrap_or_else(|why| panic!("{why}"));
    eprintln!("alpha stack rm: {:?}", t.elapsed());
    assert_eq!(
        e.alpha
            .docker(&["stack", "ls", "--format", "{{.Name}}"])
            .ok(),
        ""
    );
    replicas(&e.beta, APP).unwrap_or_else(|why| panic!("beta's stack after alpha's rm: {why}"));
    for kind in ["service", "secret"] {
        assert!(
            engine_objs(s, kind).iter().any(|o| o.owner == "beta"),
            "beta's {kind}s are gone"
        );
    }
    {
        let _g = services_lock();
        e.beta.docker(&["stack", "rm", APP]).ok();
    }
    poll(
        "beta's stack removed",
        Duration::from_secs(60),
        gone("beta"),
    )
    .unwrap_or_else(|why| panic!("{why}"));
}

/// `docker service create` with a published port and no network, service
/// logs and rm; secrets and configs created, listed, inspected and removed;
/// neither reachable by the other tenant; alpha cannot mount beta's secret.
#[test]
fn services_secrets_and_configs_of_a_tenant() {
    let Some(e) = swarm::env() else { return };
    let s = &e.swarm;
    let (a, b) = (&e.alpha, &e.beta);
    let t = Instant::now();
    let created = {
        let _g = services_lock();
        a.docker(&[
            "service",
            "create",
            "--detach",
            "--name",
            "web",
            "-p",
            "80",
            "--replicas",
            "2",
            "--stop-grace-period",
            "1s",
            "busybox",
            "sh",
            "-c",
            "echo hello-from-web && exec httpd -f -p 80",
        ])
    };
    assert!(
        created.success(),
        "{}",
        fdcs_e2e::proxy::explain(&created, &e.proxy)
    );
    poll("alpha's web at 2/2", Duration::from_secs(60), || {
        service_replicas(a, "web", "2/2")
    })
    .unwrap_or_else(|why| panic!("{why}\n{}", s.log_tail()));
    eprintln!("service create web: 2/2 after {:?}", t.elapsed());
    // No network named: the tenant's default overlay.
    let nets = s.engine.docker(&[
        "service",
        "inspect",
        "--format",
        "{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}",
        "alpha_web",
    ]);
    let default_overlay = s.engine.docker(&[
        "network",
        "inspect",
        "--format",
        "{{.ID}}",
        "alpha_default-overlay",
    ]);
    assert_eq!(nets.ok(), default_overlay.ok(), "alpha_web's networks");
    // Host-mode ports the engine picked, one per task, answering.
    let ps = a.docker(&[
        "service",
        "ps",
        "web",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Ports}}",
    ]);
    let ports: Vec<u16> = ps
        .ok()
        .lines()
        .filter_map(|l| l.split("->").next()?.rsplit(':').next()?.parse().ok())
        .collect();
    assert_eq!(ports.len(), 2, "host-mode ports of web's tasks:\n{ps}");
    quote("alpha: docker service ps web (ports)", ps.ok());
    // The operator's view of the same, for comparison.
    let engine_ps = s.engine.docker(&[
        "service",
        "ps",
        "alpha_web",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Ports}}",
    ]);
    let spec = s.engine.docker(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.EndpointSpec}} {{json .Endpoint.Ports}}",
        "alpha_web",
    ]);
    eprintln!(
        "engine: service ps alpha_web ports:\n{}\nendpoint spec and ports: {}",
        engine_ps.ok(),
        spec.ok()
    );
    let http = s.http_local(ports[0]);
    assert_eq!(http.ok(), "HTTP/1.1 200 OK", "port {}", ports[0]);
    // The task containers, as alpha's `docker ps` shows them.
    let mine = a.docker(&["ps", "--format", "{{.Names}}"]);
    assert_eq!(
        mine.ok().lines().filter(|l| l.starts_with("web.")).count(),
        2,
        "{mine}"
    );
    let bps = b.docker(&["ps", "--format", "{{.Names}}"]);
    assert!(!bps.ok().lines().any(|l| l.starts_with("web.")), "{bps}");
    not_found(
        &b.docker(&["service", "inspect", "web"]),
        "beta `service inspect web`",
    );
    poll("service logs web", Duration::from_secs(30), || {
        let out = a.docker(&["service", "logs", "web"]);
        if out.success() && out.stdout.matches("hello-from-web").count() == 2 {
            Ok(())
        } else {
            Err(out.to_string())
        }
    })
    .unwrap_or_else(|why| panic!("{why}"));
    {
        let _g = services_lock();
        a.docker(&["service", "rm", "web"]).ok();
    }
    assert!(engine_obj(s, "service", "alpha_web").is_none());

    // Secrets and configs.
    for kind in ["secret", "config"] {
        let (mine, theirs) = (format!("a{kind}"), format!("b{kind}"));
        let id = a.docker_stdin(b"alpha's value", &[kind, "create", &mine, "-"]);
        let id = id.ok().to_owned();
        b.docker_stdin(b"beta's value", &[kind, "create", &theirs, "-"])
            .ok();
        lists_only_own(s, a, kind, &[&mine]);
        lists_only_own(s, b, kind, &[&theirs]);
        let name = a.docker(&[kind, "inspect", "--format", "{{.Spec.Name}} {{.ID}}", &mine]);
        assert_eq!(name.ok(), format!("{mine} {id}"));
        let o = engine_obj(s, kind, &format!("beta_{theirs}")).unwrap();
        assert_eq!(o.owner, "beta");
        let mut refs = refs_of(&o);
        refs.push(theirs.clone());
        for r in &refs {
            not_found(
                &a.docker(&[kind, "inspect", r]),
                &format!("alpha `{kind} inspect {r}`"),
            );
            not_found(
                &a.docker(&[kind, "rm", r]),
                &format!("alpha `{kind} rm {r}`"),
            );
        }
        assert!(
            engine_obj(s, kind, &o.name).is_some(),
            "beta's {kind} is gone"
        );
    }
    // Alpha's service cannot mount beta's secret, by its name or the
    // engine's; nothing is created.
    {
        let _g = services_lock();
        let before = engine_objs(s, "service");
        for r in ["bsecret", "beta_bsecret"] {
            let out = a.docker(&[
                "service", "create", "--detach", "--name", "steal", "--secret", r, "busybox",
                "sleep", "60",
            ]);
            not_found(&out, &format!("alpha `service create --secret {r}`"));
        }
        assert_eq!(before, engine_objs(s, "service"));
    }
    for kind in ["secret", "config"] {
        a.docker(&[kind, "rm", &format!("a{kind}")]).ok();
        b.docker(&[kind, "rm", &format!("b{kind}")]).ok();
        assert!(engine_obj(s, kind, &format!("alpha_a{kind}")).is_none());
        assert!(engine_obj(s, kind, &format!("beta_b{kind}")).is_none());
    }
    assert!(e.proxy.alive(), "serve died:\n{}", e.proxy.log_tail());
}

/// Each refused `service create` fails with fdcs's message and leaves the
/// engine's services as they were.
#[test]
fn refused_service_creates_leave_nothing() {
    let Some(e) = swarm::env() else { return };
    let s = &e.swarm;
    let _g = services_lock();
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["--mount", "type=bind,src=/,dst=/h"],
            &["fdcs: bind-mounting the host path `/` is not allowed (rule mounts.no-host-path)"],
        ),
        (
            &["--publish", "8080:80"],
            &["fdcs: host port 8080 is not allowed (rule ports.ephemeral-only)"],
        ),
        (
            &["--cap-add", "NET_ADMIN"],
            &["fdcs:", "(rule privileges.capabilities)"],
        ),
        (&["--network", "host"], &["network host not found"]),
        (&["--limit-memory", "8g"], &["fdcs:", "(rule resources."]),
    ];
    for (flags, want) in cases {
        let before = engine_objs(s, "service");
        let mut args = vec!["service", "create", "--detach", "--name", "refused"];
        args.extend(flags);
        args.extend(["busybox", "sleep", "60"]);
        let out = e.alpha.docker(&args);
        let all = out.fails();
        for w in want {
            assert!(
                all.contains(w),
                "alpha `service create {}`: no `{w}` in:\n{}",
                flags.join(" "),
                fdcs_e2e::proxy::explain(&out, &e.proxy)
            );
        }
        assert_eq!(
            before,
            engine_objs(s, "service"),
            "`service create {}` changed the engine's services",
            flags.join(" ")
        );
        eprintln!(
            "alpha `service create {}`: {}",
            flags.join(" "),
            out.stderr.trim()
        );
        if matches!(flags[0], "--mount" | "--publish") {
            quote(
                &format!("alpha: docker service create {} busybox", flags.join(" ")),
                &out.stderr,
            );
        }
    }
    assert!(e.proxy.alive(), "serve died:\n{}", e.proxy.log_tail());
}
