//! The `fdcs-policy` command line: parse arguments, run one subcommand, map
//! the outcome to an exit code. Only this crate talks to the terminal.
//!
//! Exit codes: 0 success (all allowed / nothing found), 1 something denied
//! or found, 2 usage or input error.
#![forbid(unsafe_code)]

mod command;
mod exit;
mod files;
mod report;

pub use exit::Exit;

use clap::Parser;

/// Runs the command line and returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = match command::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, errors with 2
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    match command::run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("fdcs-policy: error: {e:#}");
            Exit::Error.into()
        }
    }
}
