//! One suite file: its cases, judged with the core.
//!
//! ```yaml
//! policy: ../default.yaml        # optional, relative to this file
//! cases:
//!   - name: explicit host port
//!     tenant: alpha                # default alpha
//!     request: |                   # raw HTTP, parsed by rawhttp (LF accepted)
//!       POST /v1.41/containers/create HTTP/1.1
//!       Content-Type: application/json
//!
//!       {"Image":"busybox","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}}}
//!     expect: deny                 # allow | rewrite | allowed | deny | need
//!     rule: ports.ephemeral-only
//!   - name: compose service
//!     compose: |                   # a compose file; every request compose sends is judged
//!       services: {web: {image: busybox, privileged: true}}
//!     expect: deny
//!     rule: privileges.privileged  # also `compose.*` ids of the lint checks
//! ```

use crate::command::policy_args::{PolicyArg, Tenants};
use crate::files::DiskFiles;
use anyhow::{anyhow, Context};
use fdcs_compose::{checks, engine, judge, load, Severity, Vars};
use fdcs_policy::{Facts, NoAnswers, Policy, Session, Tenant, TenantId, Verdict};
use std::path::Path;

/// The result of one case.
pub(super) struct Outcome {
    /// The case's name.
    pub(super) name: String,
    /// Line of the case in the suite.
    pub(super) line: u32,
    /// Why it failed, if it did.
    pub(super) failure: Option<String>,
}

/// Runs every case of a suite file.
pub(super) fn run_file(
    path: &Path,
    policy_override: &PolicyArg,
    tenants: &Tenants,
) -> anyhow::Result<Vec<Outcome>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
    let doc = fdcs_compose::node::parse(&text, 0)
        .map_err(|e| anyhow!("{}:{}:{}: {}", path.display(), e.line, e.col, e.message))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    // `--policy` wins over the suite's `policy:` (relative to the suite)
    let policy = match (
        &policy_override.policy,
        doc.get("policy").and_then(|p| p.as_scalar()),
    ) {
        (None, Some(rel)) => PolicyArg {
            policy: Some(dir.join(rel)),
        }
        .load()?,
        _ => policy_override.load()?,
    };
    let cases = doc
        .get("cases")
        .ok_or_else(|| anyhow!("{}: no `cases:` list", path.display()))?;
    let mut out = Vec::new();
    for (i, case) in cases.items().iter().enumerate() {
        let name = case
            .get("name")
            .and_then(|n| n.as_scalar())
            .unwrap_or_else(|| format!("case {}", i + 1));
        let failure = run_case(case, &policy, tenants, dir)
            .err()
            .map(|e| format!("{e:#}"));
        out.push(Outcome {
            name,
            line: case.pos.line,
            failure,
        });
    }
    Ok(out)
}

/// What a case produced: its verdict kind and the rules that denied.
struct Got {
    kind: &'static str,
    rules: Vec<String>,
}

fn run_case(
    case: &fdcs_compose::node::Node,
    policy: &Policy,
    tenants: &Tenants,
    dir: &Path,
) -> anyhow::Result<()> {
    let tenant_id = case
        .get("tenant")
        .and_then(|t| t.as_scalar())
        .unwrap_or_else(|| "alpha".into());
    let tenant = tenants.get(&TenantId::new(&tenant_id)?)?;
    let expect = case
        .get("expect")
        .and_then(|e| e.as_scalar())
        .ok_or_else(|| anyhow!("case has no `expect:`"))?;
    let want_rule = case.get("rule").and_then(|r| r.as_scalar());
    let got = if let Some(raw) = case.get("request").and_then(|r| r.as_scalar()) {
        // a YAML literal block keeps one final newline; a request without a
        // body still needs the blank line that ends its head
        let raw = if raw.contains("\n\n") || raw.contains("\r\n\r\n") {
            raw
        } else {
            format!("{}\n\n", raw.trim_end())
        };
        let req = crate::command::rawhttp::parse(raw.as_bytes()).context("parsing `request`")?;
        let Ok((v, _)) = Session::new(policy, &tenant, &req)
            .with_facts(Facts::offline())
            .run(&mut NoAnswers);
        let rules = match &v {
            Verdict::Deny(d) => vec![d.rule.as_ref().map(ToString::to_string).unwrap_or_default()],
            _ => Vec::new(),
        };
        Got {
            kind: v.kind(),
            rules,
        }
    } else if let Some(snippet) = case.get("compose").and_then(|c| c.as_scalar()) {
        compose(&snippet, policy, &tenant, dir)?
    } else {
        anyhow::bail!("case has neither `request:` nor `compose:`");
    };
    let kind_ok = match expect.as_str() {
        "allowed" => matches!(got.kind, "allow" | "rewrite"),
        "allow" | "rewrite" | "deny" | "need" => got.kind == expect,
        other => {
            anyhow::bail!("unknown expect `{other}`: use allow, rewrite, allowed, deny or need")
        }
    };
    let rule_ok = want_rule
        .as_ref()
        .is_none_or(|r| got.rules.iter().any(|g| g == r));
    if kind_ok && rule_ok {
        Ok(())
    } else {
        let want = match &want_rule {
            Some(r) => format!("{expect} ({r})"),
            None => expect.clone(),
        };
        let had = if got.rules.is_empty() {
            got.kind.to_string()
        } else {
            format!("{} ({})", got.kind, got.rules.join(", "))
        };
        anyhow::bail!("expected {want}, got {had}")
    }
}

/// Judges every request compose would send for the snippet; the case's
/// verdict is the worst of them (deny > need > rewrite > allow). Lint's
/// compose-level findings count as denials by their `compose.*` id.
fn compose(snippet: &str, policy: &Policy, tenant: &Tenant, dir: &Path) -> anyhow::Result<Got> {
    let mut sources = Vec::new();
    let vars = Vars::new(Vec::new(), None);
    // LoadError displays as `compose snippet:LINE:COL: message`
    let project = load::from_texts(
        vec![("compose snippet".into(), snippet.to_string())],
        &vars,
        dir,
        &DiskFiles,
        &mut sources,
    )?;
    let mut kind = "allow";
    let mut rules = Vec::new();
    // as lint judges: each request on what the project's earlier ones made
    let mut up = judge::UpState::new(&project, tenant);
    for req in engine::requests(&project, dir) {
        let v = judge::verdict(policy, tenant, &req, &req.body, up.facts());
        up.record(&req, v.forward());
        let rank = |k: &str| {
            ["allow", "rewrite", "need", "deny"]
                .iter()
                .position(|x| *x == k)
                .unwrap_or(0)
        };
        if rank(v.kind()) > rank(kind) {
            kind = v.kind();
        }
        if let Verdict::Deny(d) = v {
            rules.push(d.rule.map(String::from).unwrap_or_default());
        }
    }
    for h in checks::check(&project) {
        if h.severity == Severity::Error {
            rules.push(h.rule.to_string());
        }
    }
    Ok(Got { kind, rules })
}
