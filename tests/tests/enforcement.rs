//! Enforcement modes through the real parts (issue 11 item 5): the docker
//! CLI through `fdcs-policy serve` with a policy that puts
//! `privileges.capabilities` in `warn` and the default policy's CEL rule
//! `custom.ulimits.bounded` in `audit`, as tenants `enfa` and `enfb`:
//!
//! - `docker create --cap-add NET_ADMIN` succeeds, the CLI prints the
//!   `WARNING:` fdcs put in the create answer's `Warnings`, and the
//!   container really has the capability;
//! - a ulimit above the CEL rule's bound is created silently (audit);
//! - the audit lines name both rules and modes, and `/_fdcs/metrics`
//!   counts them in `fdcs_policy_warnings_total{rule,mode}`;
//! - a rule still in `deny` (`privileges.privileged`) refuses the same
//!   request with `--privileged` added, nothing created;
//! - `enfb` sees none of it.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: failing is panicking"
)]

use fdcs_e2e::{assert_isolated, case, http, scratch_dir, Engine, Proxy, Tenant};
use std::path::Path;

/// The admin listener's port (this suite's range is 24110-24119).
const ADMIN: u16 = 24110;

const ENFORCEMENT: &str = "\nenforcement:\n  privileges.capabilities: warn\n  \
                           custom.ulimits.bounded: audit\n";

/// The default policy with the enforcement block added.
fn policy_file(dir: &Path) -> String {
    let default = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/default.yaml"),
    )
    .unwrap();
    let p = dir.join("policy-enforcement.yaml");
    std::fs::write(&p, format!("{default}{ENFORCEMENT}")).unwrap();
    p.display().to_string()
}

fn tenants_file(dir: &Path) -> String {
    let p = dir.join("tenants-enf.yaml");
    std::fs::write(
        &p,
        "tenants:\n  - id: enfa\n    tokens: [enfa-token]\n  - id: enfb\n    tokens: [enfb-token]\n",
    )
    .unwrap();
    p.display().to_string()
}

fn metrics() -> String {
    let r = http::get(ADMIN, "/_fdcs/metrics", &[]).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The value of the sample `name` (with its labels); 0 when absent.
fn sample(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn warn_reaches_the_cli_audit_is_counted_and_deny_still_refuses() {
    let Some(c) = case() else { return };
    let dir = scratch_dir("enforcement");
    let proxy = Proxy::start(
        &c.env.engine.host,
        &[
            "--policy",
            &policy_file(&dir),
            "--tenants",
            &tenants_file(&dir),
            "--admin-listen",
            &format!("tcp://127.0.0.1:{ADMIN}"),
        ],
        &dir,
    )
    .unwrap();
    let enfa = Tenant::new("enfa", "enfa-token", &proxy.host(), &dir);
    let enfb = Tenant::new("enfb", "enfb-token", &proxy.host(), &dir);
    let engine = &c.env.engine;
    // this test's containers go however it ends (names carry its tag)
    let _cleanup = Cleanup(engine, c.tag.clone());
    let before = metrics();

    // warn: created, and the CLI prints the warning fdcs put in the answer
    let cap = c.name("enf-cap");
    let out = enfa.docker(&[
        "create",
        "--name",
        &cap,
        "--cap-add",
        "NET_ADMIN",
        "busybox",
        "true",
    ]);
    let id = out.ok().trim().to_owned();
    assert!(!id.is_empty(), "{out}");
    assert!(
        // CLI 28 sends `CAP_NET_ADMIN`, older ones `NET_ADMIN`
        out.stderr
            .contains("WARNING: fdcs: adding the capability `")
            && out.stderr.contains("NET_ADMIN` is not allowed")
            && out
                .stderr
                .contains("(rule privileges.capabilities, warn mode: allowed for now)"),
        "the CLI printed no fdcs warning:\n{out}\n{}",
        proxy.log_tail()
    );
    let caps = engine.docker(&[
        "inspect",
        "-f",
        "{{json .HostConfig.CapAdd}}",
        &format!("enfa_{cap}"),
    ]);
    assert!(caps.ok().contains("NET_ADMIN"), "{caps}");

    // audit: created, and the client is told nothing
    let ul = c.name("enf-ulimit");
    let out = enfa.docker(&[
        "create",
        "--name",
        &ul,
        "--ulimit",
        "nofile=2000000:2000000",
        "busybox",
        "true",
    ]);
    out.ok();
    assert!(
        !out.stderr.contains("WARNING"),
        "audit mode warned the client:\n{out}"
    );

    // deny: the same capability with --privileged is refused for privileged
    let priv_name = c.name("enf-priv");
    let out = enfa.docker(&[
        "create",
        "--name",
        &priv_name,
        "--privileged",
        "--cap-add",
        "NET_ADMIN",
        "busybox",
        "true",
    ]);
    let msg = out.fails_with("rule privileges.privileged");
    assert!(msg.contains("privileged mode is not allowed"), "{msg}");
    let gone = engine.docker(&["inspect", &format!("enfa_{priv_name}")]);
    assert!(!gone.success(), "a refused create left a container: {gone}");

    // the audit lines say which rules were allowed in which mode
    let lines = proxy.log_lines_with("fdcs::audit");
    let creates: Vec<&str> = lines
        .lines()
        .filter(|l| l.contains("/containers/create"))
        .collect();
    assert!(
        creates
            .iter()
            .any(|l| l.contains("privileges.capabilities=warn")),
        "no audit line names the warned rule:\n{lines}"
    );
    assert!(
        creates
            .iter()
            .any(|l| l.contains("custom.ulimits.bounded=audit")),
        "no audit line names the audited rule:\n{lines}"
    );
    assert!(
        creates
            .iter()
            .any(|l| l.contains("rule=\"privileges.privileged\"") && l.contains("verdict=\"deny\"")),
        "no audit line for the refusal:\n{lines}"
    );

    // and the metrics count them, once per request
    let after = metrics();
    let warn = "fdcs_policy_warnings_total{rule=\"privileges.capabilities\",mode=\"warn\"}";
    let audit = "fdcs_policy_warnings_total{rule=\"custom.ulimits.bounded\",mode=\"audit\"}";
    assert_eq!(sample(&after, warn), sample(&before, warn) + 1, "{after}");
    assert_eq!(sample(&after, audit), sample(&before, audit) + 1, "{after}");
    let denied = "fdcs_denials_total{rule=\"privileges.privileged\"}";
    assert_eq!(
        sample(&after, denied),
        sample(&before, denied) + 1,
        "{after}"
    );

    // the other tenant sees none of it
    let ps = enfb.docker(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!ps.ok().contains("enf-"), "{ps}");
    assert_isolated(engine, &enfa, &enfb, &c.tag);
    drop(proxy);
}

/// Removes what the test made (`Engine::cleanup`: names with its tag),
/// and `enfa`'s default network, which its first create made.
struct Cleanup<'a>(&'a Engine, String);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.0.cleanup(&self.1);
        let _ = self.0.docker(&["network", "rm", "enfa_bridge"]);
    }
}
