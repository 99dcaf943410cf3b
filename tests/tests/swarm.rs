//! Swarm, end to end: a throwaway single-node Swarm (`fdcs_e2e::swarm`:
//! its own dockerd as root in a network namespace of its own, busybox
//! imported, `swarm init --advertise-addr 127.0.0.1`) with one `serve` in
//! front of it for the demo tenants alpha and beta.
//!
//! What works inside that namespace (dockerd 20.10.24, kernel 6.18 without
//! IP_VS, dockerd flags `--bridge none --iptables=false`, `lo` up), measured
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
//! Timings on the CI machine (2 cores, shared): the swarm is up (dockerd,
//! busybox import and check, init) in 2 to 7 s; the binary takes about
//! 40 s, most of it building fdcs-policy.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::swarm::{self, Swarm};
use fdcs_e2e::{fixtures, Out};
use std::time::{Duration, Instant};

/// The stack's name on the throwaway engine (nothing else uses it).
const STACK: &str = "app";

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
