//! `fdcs-policy lint` (not written yet).

use crate::Exit;

/// Arguments of `lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<Exit> {
    anyhow::bail!("`lint` is not implemented yet")
}
