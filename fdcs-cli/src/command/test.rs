//! `fdcs-policy test` (not written yet).

use crate::Exit;

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args) -> anyhow::Result<Exit> {
    anyhow::bail!("`test` is not implemented yet")
}
