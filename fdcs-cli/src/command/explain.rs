//! `fdcs-policy explain RULE_ID`: what a rule guards against, an example
//! that breaks it, how to comply — from the core's rule catalog, so the ids
//! in denials, lint findings and SARIF reports all have a page.

use crate::Exit;
use fdcs_policy::rules::catalog;

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Rule id, e.g. `ports.ephemeral-only` or `compose.privileged`; `--list` for all.
    #[arg(required_unless_present = "list")]
    rule: Option<String>,
    /// List every rule id with its title.
    #[arg(long)]
    list: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    if args.list {
        for d in catalog::catalog() {
            println!("{:<32} {}", d.id, d.title);
        }
        return Ok(Exit::Ok);
    }
    let id = args.rule.unwrap_or_default();
    let Some(d) = catalog::lookup(&id) else {
        let close: Vec<&str> = catalog::catalog()
            .iter()
            .map(|d| d.id)
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
    println!("{} — {}\n", d.id, d.title);
    println!("What it guards against:\n  {}\n", d.guards);
    println!("Example that breaks it:\n{}\n", indent(d.example));
    println!("How to comply:\n  {}", d.comply);
    Ok(Exit::Ok)
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
