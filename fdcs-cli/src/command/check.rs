//! `fdcs-policy check` (not written yet).

use crate::Exit;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<Exit> {
    anyhow::bail!("`check` is not implemented yet")
}
