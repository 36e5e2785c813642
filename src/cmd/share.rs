//! `mpc share`: Shamir secret sharing of arbitrary bytes, like `ssss-split`/`ssss-combine`.
//!
//! `mpc share split --threshold T --shares N` reads the secret (any bytes) on stdin and
//! writes N shares on stdout, one per line (text encoding documented in
//! `mpc_native::shamir`). `mpc share combine` reads share lines on stdin (blank lines are
//! ignored) and writes the secret's exact bytes. Too few, mixed or corrupted shares make
//! it exit 1 with one sentence. Randomness: the OS generator seeding ChaCha20.

use std::io::{Read, Write};

use anyhow::Context;
use mpc_native::shamir::{self, Gf256, Share};
use rand::SeedableRng;

/// Arguments of `mpc share`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ShareCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ShareCommand {
    /// Split the secret read on stdin into shares, one per line on stdout.
    Split {
        /// Number of shares needed to reconstruct (1..=shares).
        #[arg(long, short = 't')]
        threshold: usize,
        /// Number of shares to produce (1..=255).
        #[arg(long, short = 'n')]
        shares: usize,
    },
    /// Read share lines on stdin and write the secret's bytes on stdout.
    Combine,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        ShareCommand::Split { threshold, shares } => split(threshold, shares),
        ShareCommand::Combine => combine(),
    }
}

fn split(threshold: usize, shares: usize) -> anyhow::Result<()> {
    let mut secret = Vec::new();
    std::io::stdin().read_to_end(&mut secret).context("could not read the secret from stdin")?;
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    let result = shamir::split_bytes(&secret, threshold, shares, &mut rng);
    zero(&mut secret);
    let dealt = result.context("could not split the secret")?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for share in &dealt {
        writeln!(out, "{}", share.to_text()).context("could not write the shares")?;
    }
    out.flush().context("could not write the shares")?;
    Ok(())
}

fn combine() -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("could not read shares from stdin (expected text lines)")?;
    let mut shares: Vec<Share<Gf256>> = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let share =
            Share::<Gf256>::from_text(line).with_context(|| format!("share on line {} is invalid", i + 1))?;
        shares.push(share);
    }
    zero_string(&mut input);
    let secret = shamir::reconstruct_bytes(&shares).context("could not combine the shares")?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(&secret).context("could not write the secret")?;
    out.flush().context("could not write the secret")?;
    Ok(())
}

/// Overwrites a buffer that held secret bytes (best effort; the CLI does not depend on
/// `zeroize` directly).
fn zero(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        *b = 0;
    }
    std::hint::black_box(buf);
}

fn zero_string(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    zero(&mut bytes);
}
