//! `fdcs-policy test [DIR]`: runs policy test suites.
//!
//! A suite is a YAML file of cases; each case holds a raw HTTP request (as
//! a client puts it on the wire) or a compose snippet, the tenant, the
//! expected verdict and, for denials, the rule. Output lists every case and
//! ends with `N passed, N failed`; exit 1 when any case fails, 2 when a
//! suite cannot be read.

mod suite;

use super::policy_args::PolicyArgs;
use crate::Exit;
use anyhow::Context;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("policy", |a| a.help(
        "Policy to test (default: the suite's `policy:`, else the embedded FDCS profile)"
    )),
    mut_arg("tenants", |a| a.help(
        "Tenants file: each case's `tenant:` must be one of its tenants, judged with its own \
         ceilings, images and limits (default: none, the policy's defaults)"
    ))
)]
pub(crate) struct Args {
    /// A suite file or a directory of suites (`*.yaml`, `*.yml`, searched recursively).
    #[arg(default_value = "policies/tests")]
    dir: PathBuf,
    #[command(flatten)]
    source: PolicyArgs,
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    let mut files = Vec::new();
    collect(&args.dir, &mut files).with_context(|| format!("reading `{}`", args.dir.display()))?;
    files.sort();
    if files.is_empty() {
        anyhow::bail!("no test suites (*.yaml) under `{}`", args.dir.display());
    }
    let tenants = args.source.tenants()?;
    let (mut passed, mut failed) = (0usize, 0usize);
    // one line per case as it is judged (a slow suite shows progress)
    let mut out = std::io::stdout().lock();
    for f in &files {
        let outcomes = suite::run_file(f, &args.source.policy, &tenants)?;
        for o in outcomes {
            let line = match &o.failure {
                None => {
                    passed += 1;
                    format!("ok   {}: {}", f.display(), o.name)
                }
                Some(why) => {
                    failed += 1;
                    format!("FAIL {}:{}: {} — {why}", f.display(), o.line, o.name)
                }
            };
            if let Err(e) = writeln!(out, "{line}") {
                return super::stdout_failed(e);
            }
        }
    }
    drop(out);
    let code = if failed > 0 { Exit::Found } else { Exit::Ok };
    super::emit(&format!("{passed} passed, {failed} failed\n"), code)
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if p.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    for e in std::fs::read_dir(p)? {
        let path = e?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
    Ok(())
}
