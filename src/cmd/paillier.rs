//! `mpc paillier`: Paillier key generation, encryption, homomorphic sum and decryption.
//!
//! Keys and ciphertexts use the library's versioned JSON encodings; ciphertext streams are
//! one JSON object per line. Values are signed integers (one per line). The secret key
//! file is created with mode 0600 on Unix, and the JSON text of a secret key is wiped
//! from memory once written or parsed.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use mpc_native::paillier::{Ciphertext, FixedBaseEncryptor, PublicKey, SecretKey};
use rand::SeedableRng;
use zeroize::Zeroizing;

/// Arguments of `mpc paillier`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PaillierCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PaillierCommand {
    /// Generate a key pair and write it as JSON files.
    Keygen {
        /// Modulus size in bits (at least 2048, at most 8192).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
        /// Where to write the secret key (created; must not exist).
        #[arg(long)]
        secret_key: PathBuf,
        /// Where to write the public key.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Encrypt signed integers (one per line on stdin) to ciphertext lines.
    Encrypt {
        /// The public key file.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Add the ciphertexts on stdin homomorphically; print one ciphertext.
    Sum {
        /// The public key file.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Decrypt ciphertext lines on stdin to signed integers.
    Decrypt {
        /// The secret key file.
        #[arg(long)]
        secret_key: PathBuf,
    },
}

/// The largest `--bits` of `keygen` (an 8192-bit key takes seconds to a minute).
const MAX_KEYGEN_BITS: u32 = 8192;

const STDOUT: &str = "could not write to stdout";

/// Reads a key file. The text is wiped when parsing is done (a secret key's JSON holds
/// its primes).
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text = Zeroizing::new(
        super::read_path_text(path, super::SMALL_FILE_LIMIT)
            .with_context(|| format!("could not read the {what} {}", path.display()))?,
    );
    serde_json::from_str(&text).with_context(|| format!("{} is not a valid {what}", path.display()))
}

/// Creates the secret key's file; it must not exist. On Unix it is created readable
/// and writable by its owner only (0600, whatever the umask), since it holds the primes.
fn create_secret_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn ciphertext_lines() -> anyhow::Result<Vec<Ciphertext>> {
    let mut out = Vec::new();
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("could not read stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).with_context(|| format!("line {} is not a ciphertext", i + 1))?);
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.command {
        PaillierCommand::Keygen { bits, secret_key, public_key } => {
            // Prime generation time grows with the fourth power of the size: a 16384-bit
            // key takes minutes, a huge --bits would never finish.
            if bits > MAX_KEYGEN_BITS {
                bail!("--bits {bits} is too large: at most {MAX_KEYGEN_BITS} bits are supported");
            }
            let sk = SecretKey::generate(bits, &mut rng).context("could not generate the key")?;
            let mut file = create_secret_file(&secret_key)
                .with_context(|| format!("could not create {}", secret_key.display()))?;
            // The public key must not land on the secret key's file (`--public-key`
            // naming the same file, as `k` and `./k` or through a link): that would
            // replace the secret key and succeed.
            let same_file = std::fs::canonicalize(&public_key)
                .ok()
                .is_some_and(|pk| std::fs::canonicalize(&secret_key).is_ok_and(|sk| sk == pk));
            if same_file {
                drop(file);
                let _ = std::fs::remove_file(&secret_key);
                bail!("--public-key and --secret-key name the same file {}", secret_key.display());
            }
            let written = file
                .write_all(Zeroizing::new(serde_json::to_string(&sk)?).as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("could not write {}", secret_key.display()))
                .and_then(|()| {
                    std::fs::write(&public_key, serde_json::to_string(sk.public_key())?)
                        .with_context(|| format!("could not write {}", public_key.display()))
                });
            if written.is_err() {
                // Leave no half-made key pair behind: a rerun would refuse the existing
                // secret key file, and it would have no public key.
                drop(file);
                let _ = std::fs::remove_file(&secret_key);
            }
            written?;
        }
        PaillierCommand::Encrypt { public_key } => {
            let pk: PublicKey = read_json(&public_key, "public key")?;
            let enc = FixedBaseEncryptor::new(&pk, &mut rng);
            for (i, line) in std::io::stdin().lock().lines().enumerate() {
                let line = line.context("could not read stdin")?;
                if line.trim().is_empty() {
                    continue;
                }
                let v: i128 =
                    line.trim().parse().with_context(|| format!("line {} is not an integer", i + 1))?;
                let c = enc.encrypt_i128(v, &mut rng)?;
                writeln!(out, "{}", serde_json::to_string(&c)?).context(STDOUT)?;
            }
        }
        PaillierCommand::Sum { public_key } => {
            let pk: PublicKey = read_json(&public_key, "public key")?;
            let cts = ciphertext_lines()?;
            let Some(first) = cts.first() else { bail!("no ciphertexts on stdin") };
            let mut acc = first.clone();
            pk.validate(&acc).context("line 1 is not a ciphertext of this key")?;
            for (i, c) in cts.iter().enumerate().skip(1) {
                acc = pk
                    .add(&acc, c)
                    .with_context(|| format!("ciphertext {} does not belong to this key", i + 1))?;
            }
            writeln!(out, "{}", serde_json::to_string(&acc)?).context(STDOUT)?;
        }
        PaillierCommand::Decrypt { secret_key } => {
            let sk: SecretKey = read_json(&secret_key, "secret key")?;
            for (i, c) in ciphertext_lines()?.iter().enumerate() {
                let v =
                    sk.decrypt_i128(c).with_context(|| format!("could not decrypt ciphertext {}", i + 1))?;
                writeln!(out, "{v}").context(STDOUT)?;
            }
        }
    }
    out.flush().context(STDOUT)?;
    Ok(())
}
