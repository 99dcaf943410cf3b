//! The subcommands; one file each under `command/`.

mod check;
mod completions;
mod explain;
mod lint;
mod login;
mod policy_args;
mod rawhttp;
mod serve;
mod test;
mod usage;

use crate::Exit;

/// The embedded demo tenants (alpha and beta), used by `serve` and `usage`
/// when no tenants file is given.
pub(crate) const DEMO_TENANTS: &str = include_str!("../../policies/demo-tenants.yaml");
use clap::{Parser, Subcommand};

/// The version and the commit it was built from (build.rs), so that a bug
/// report names the exact build.
pub(crate) const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("FDCS_COMMIT"), ")");

/// The commit alone (`unknown` when built without git).
pub(crate) const COMMIT: &str = env!("FDCS_COMMIT");

/// fdcs-policy: multi-tenant Docker Engine API policy — judge requests
/// offline, lint compose files, run policy tests, serve the proxy.
#[derive(Debug, Parser)]
#[command(name = "fdcs-policy", version = VERSION, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge raw HTTP request files offline for a tenant.
    Check(check::Args),
    /// Lint docker-compose files against the policy.
    Lint(lint::Args),
    /// Run policy test suites.
    Test(test::Args),
    /// Explain a rule: what it guards, an example, how to comply.
    Explain(explain::Args),
    /// Serve the multi-tenant Docker endpoint.
    Serve(serve::Args),
    /// Sign in to Keystone and write the token into the docker CLI's
    /// config.json (HttpHeaders).
    Login(login::Args),
    /// Show every tenant's usage against its quotas, read from the engine.
    Usage(usage::Args),
    /// Print a shell completion script (bash, zsh, fish) to stdout.
    Completions(completions::Args),
}

/// What a failed write to stdout means for a command's outcome: a reader
/// that went away (`| head`) ends the run quietly with exit 0, as in
/// ripgrep; any other error (a full disk, `>/dev/full`) is exit 2 with the
/// error, never a silent success with a cut-off report.
pub(crate) fn stdout_failed(e: std::io::Error) -> anyhow::Result<Exit> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(Exit::Ok)
    } else {
        Err(anyhow::Error::new(e).context("cannot write to stdout"))
    }
}

/// Writes a command's whole output to stdout and ends with `code`; a write
/// that fails ends as [`stdout_failed`] says (`println!` would panic with
/// exit 101 on `| head` or a full disk).
pub(crate) fn emit(text: &str, code: Exit) -> anyhow::Result<Exit> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(code),
        Err(e) => stdout_failed(e),
    }
}

pub(crate) fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Check(a) => check::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Test(a) => test::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Login(a) => login::run(a),
        Command::Usage(a) => usage::run(a),
        Command::Completions(a) => completions::run(a),
    }
}
