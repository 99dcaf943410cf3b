//! `fdcs-policy serve` (not written yet).

use crate::Exit;

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<Exit> {
    anyhow::bail!("`serve` is not implemented yet")
}
