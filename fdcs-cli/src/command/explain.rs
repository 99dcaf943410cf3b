//! `fdcs-policy explain` (not written yet).

use crate::Exit;

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<Exit> {
    anyhow::bail!("`explain` is not implemented yet")
}
