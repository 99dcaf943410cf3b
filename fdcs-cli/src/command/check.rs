//! `fdcs-policy check`: the offline judge.
//!
//! ```text
//! fdcs-policy check --tenant ID [--policy FILE] [--tenants FILE] [--state FILE]
//!                   [--format text|json] REQUEST_FILE...
//! ```
//!
//! Judges raw HTTP request files for one tenant with the same core as
//! `serve`. Obligations (ownership, exec owner) are answered from `--state`;
//! without it they are reported as `need`.
//!
//! Exit codes: 0 every request allowed or rewritten (`need` counts as not
//! denied: nothing was refused yet), 1 at least one denied, 2 usage or input
//! error. Every file is read and parsed before anything is judged, so an
//! input error prints no partial verdicts.

mod judge;
mod output;
mod state;

use super::policy_args::PolicyArgs;
use super::rawhttp;
use crate::Exit;
use anyhow::Context;
use fdcs_policy::TenantId;
use state::State;
use std::path::{Path, PathBuf};

/// Arguments of `check`. Scripts rely on this interface: keep it exactly.
#[derive(Debug, clap::Args)]
#[command(
    mut_arg("tenants", |a| a.help(
        "Tenants file: `--tenant` must be one of its tenants, judged with its own ceilings, \
         images and limits (default: none, the policy's defaults)"
    )),
    after_help = "Exit status: 0 every request allowed or rewritten (or needing facts \
    without --state), 1 at least one denied, 2 usage or input error.\n\
    --state JSON: {\"containers\":[{\"id\":\"<64 hex>\",\"tenant\":\"beta\",\"name\":\"db\"}],\
    \"networks\":[{\"id\",\"tenant\",\"name\"}],\"volumes\":[{\"tenant\",\"name\"}],\
    \"execs\":[{\"id\",\"container\"}]} (names as the tenant knows them)"
)]
pub(crate) struct Args {
    /// The tenant the requests come from.
    #[arg(long, value_name = "ID", value_parser = parse_tenant_id)]
    tenant: TenantId,
    #[command(flatten)]
    source: PolicyArgs,
    /// The engine's world as JSON, to answer ownership questions offline.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Raw HTTP/1.1 request files.
    #[arg(value_name = "REQUEST_FILE", required = true)]
    files: Vec<PathBuf>,
}

/// How verdicts are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One readable line per request.
    Text,
    /// One JSON object per request, one per line.
    Json,
}

fn parse_tenant_id(s: &str) -> Result<TenantId, String> {
    TenantId::new(s).map_err(|e| e.to_string())
}

pub(crate) fn run(args: Args) -> anyhow::Result<Exit> {
    let policy = args.source.load_policy()?;
    let tenant = args.source.tenant(&args.tenant)?;
    let state = match &args.state {
        Some(p) => Some(State::from_json(&read_text(p)?, &p.display().to_string())?),
        None => None,
    };
    let mut requests = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let req = rawhttp::parse(&bytes)
            .with_context(|| format!("invalid request file {}", path.display()))?;
        requests.push((path, req));
    }

    let mut out = output::Printer::new(args.format);
    let mut denied = false;
    for (path, req) in &requests {
        let outcome = judge::judge_with_state(&policy, &tenant, req, state.as_ref());
        denied |= outcome.is_denied();
        if let Err(e) = out.print(path, &outcome) {
            return super::stdout_failed(e);
        }
    }
    Ok(if denied { Exit::Found } else { Exit::Ok })
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}
