//! `mpc run` (not implemented yet; arrives with its issue).

/// Arguments of `mpc run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Remaining arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let _ = args.rest;
    anyhow::bail!("`mpc run` is not implemented yet")
}
