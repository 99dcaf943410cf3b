//! `fdcs-policy explain RULE_ID`: what a rule guards against, an example
//! that breaks it, how to comply — from the core's rule catalog, so the ids
//! in denials, lint findings and SARIF reports all have a page.

use super::policy_args::PolicyArg;
use crate::Exit;
use fdcs_policy::rules::catalog;

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
#[command(mut_arg("policy", |a| a.help(
    "Policy whose `custom.*` rules to explain (default: the embedded FDCS profile)"
)))]
pub(crate) struct Args {
    /// Rule id, e.g. `ports.ephemeral-only` or `compose.memory-unset`; `--list` for all.
    #[arg(required_unless_present = "list")]
    rule: Option<String>,
    /// List every rule id with its title.
    #[arg(long)]
    list: bool,
    #[command(flatten)]
    source: PolicyArg,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    if args.list {
        let list: String = catalog::catalog()
            .iter()
            .map(|d| format!("{:<32} {}\n", d.id, d.title))
            .collect();
        return super::emit(&list, Exit::Ok);
    }
    let id = args.rule.unwrap_or_default();
    if let Some(custom) = id.strip_prefix("custom.") {
        return explain_custom(custom, &args.source);
    }
    let Some(d) = catalog::lookup(&id) else {
        let close: Vec<&str> = catalog::catalog()
            .iter()
            .map(|d| d.id.as_str())
            .filter(|c| {
                c.contains(&id) || id.split('.').next().is_some_and(|fam| c.starts_with(fam))
            })
            .collect();
        eprintln!("fdcs-policy: error: no rule `{id}`");
        if !close.is_empty() {
            eprintln!("did you mean: {}", close.join(", "));
        }
        eprintln!("run `fdcs-policy explain --list` for every rule");
        return Ok(Exit::Error);
    };
    let page = format!(
        "{} — {}\n\nWhat it guards against:\n  {}\n\nExample that breaks it:\n{}\n\n\
         How to comply:\n  {}\n",
        d.id,
        d.title,
        d.guards,
        indent(d.example),
        d.comply
    );
    super::emit(&page, Exit::Ok)
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A custom CEL rule is documented by its policy: show its match, the
/// expression that must hold and its message.
fn explain_custom(id: &str, source: &PolicyArg) -> anyhow::Result<Exit> {
    let (text, origin) = source.text()?;
    // a policy the core refuses is reported at its line, as every command does
    fdcs_policy::Policy::from_yaml(&text, &origin)?;
    let doc = fdcs_compose::node::parse(&text, 0)
        .map_err(|e| anyhow::anyhow!("{origin}:{}:{}: {}", e.line, e.col, e.message))?;
    let rules = doc.get("custom").map(|c| c.items()).unwrap_or_default();
    let Some(rule) = rules
        .iter()
        .find(|r| r.get("id").and_then(|i| i.as_scalar()).as_deref() == Some(id))
    else {
        eprintln!("fdcs-policy: error: no custom rule `{id}` in {origin}");
        return Ok(Exit::Error);
    };
    let field = |k: &str| rule.get(k).and_then(|v| v.as_scalar()).unwrap_or_default();
    let endpoints: Vec<String> = rule
        .get("match")
        .and_then(|m| m.get("endpoints"))
        .map(|e| e.items().iter().filter_map(|x| x.as_scalar()).collect())
        .unwrap_or_default();
    let judges = if endpoints.is_empty() {
        "every endpoint".to_string()
    } else {
        endpoints.join(", ")
    };
    let message = field("message");
    let message = if message.is_empty() {
        field("messageExpression")
    } else {
        message
    };
    let page = format!(
        "custom.{id} — custom CEL rule of {origin} (line {})\n\n\
         Judges:\n  {judges}\n\n\
         Allowed when (CEL):\n{}\n\n\
         Denial message:\n{}\n",
        rule.pos.line,
        indent(field("expression").trim()),
        indent(message.trim())
    );
    super::emit(&page, Exit::Ok)
}
