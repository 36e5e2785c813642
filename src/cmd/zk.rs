//! `mpc zk`: Schnorr proofs of knowledge of a discrete log on ristretto255.
//!
//! `keygen` prints a fresh secret scalar and its public point (hex); `prove` reads the secret
//! (hex) on stdin and prints the public point and a proof bound to `--protocol` and
//! `--session`; `verify` checks a proof and exits 1 with one sentence if it does not verify.
//! The secret read from stdin (text, bytes, scalar) is wiped from memory when done; the
//! secret 0 and the public point O (the identity) are refused.

use std::io::Read;

use anyhow::{bail, Context};
use mpc_native::zk::{self, Proof, ProofContext, Statement};
use rand::SeedableRng;
use zeroize::Zeroizing;

use super::outln;

/// The most bytes `prove` reads from stdin (a secret line is 71 bytes; a `keygen`
/// output piped in whole is about 140).
const SECRET_INPUT_LIMIT: u64 = 64 << 10;

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// Arguments of `mpc zk`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ZkCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ZkCommand {
    /// Print a fresh secret scalar and its public point, as hex lines `secret ...`, `public ...`.
    Keygen,
    /// Read a secret scalar (hex) on stdin; print `public <hex>` and `proof <hex>`.
    Prove(ProveArgs),
    /// Verify a proof of knowledge of the discrete log of `--public`.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
struct ProveArgs {
    /// Session id bound into the proof (e.g. a nonce agreed with the verifier).
    #[arg(long)]
    session: String,
    /// Protocol id bound into the proof.
    #[arg(long, default_value = "mpc-cli/schnorr/v1")]
    protocol: String,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Session id the proof must be bound to.
    #[arg(long)]
    session: String,
    /// Protocol id the proof must be bound to.
    #[arg(long, default_value = "mpc-cli/schnorr/v1")]
    protocol: String,
    /// The public point (64 hex digits).
    #[arg(long)]
    public: String,
    /// The proof (hex).
    #[arg(long)]
    proof: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        ZkCommand::Keygen => {
            let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
            let (x, p) = zk::keypair(&mut rng);
            let x = Zeroizing::new(x);
            let secret = Zeroizing::new(to_hex(x.as_bytes()));
            outln!("secret {}\npublic {}", secret.as_str(), to_hex(p.compress().as_bytes()))
        }
        ZkCommand::Prove(a) => {
            // The secret's text, bytes and scalar are wiped when dropped.
            let mut input = Zeroizing::new(String::new());
            std::io::stdin()
                .take(SECRET_INPUT_LIMIT)
                .read_to_string(&mut input)
                .context("could not read the secret from stdin")?;
            let line = input.lines().find(|l| l.starts_with("secret ")).unwrap_or(input.trim());
            let bytes = Zeroizing::new(
                from_hex(line.trim_start_matches("secret ")).context("the secret on stdin is not hex")?,
            );
            let x = Zeroizing::new(
                zk::scalar_from_bytes(&bytes).context("the secret is not a canonical 32-byte scalar")?,
            );
            let public = zk::public_point(&x);
            let ctx = ProofContext { protocol: a.protocol.as_bytes(), session: a.session.as_bytes() };
            let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
            let proof = zk::prove(&ctx, &Statement::dlog_generator(public), &x, &mut rng)?;
            outln!("public {}\nproof {}", to_hex(public.compress().as_bytes()), to_hex(&proof.to_bytes()))
        }
        ZkCommand::Verify(a) => {
            let public = zk::point_from_bytes(&from_hex(&a.public).context("--public is not hex")?)
                .context("--public is not a valid point")?;
            let proof = Proof::from_bytes(&from_hex(&a.proof).context("--proof is not hex")?)
                .context("--proof is not a valid proof encoding")?;
            let ctx = ProofContext { protocol: a.protocol.as_bytes(), session: a.session.as_bytes() };
            match zk::verify(&ctx, &Statement::dlog_generator(public), &proof) {
                Ok(()) => {}
                Err(e @ zk::ZkError::IdentityPoint) => bail!("--public is not usable: {e}"),
                Err(_) => bail!("the proof does not verify for this public point, protocol and session"),
            }
            outln!("valid")
        }
    }
}
