//! `mpc psi`: private set intersection with a peer over TCP (ECDH on ristretto255).
//!
//! `mpc psi --party NAME (--listen ADDR | --connect ADDR) --set FILE [--cardinality]
//! [--one-sided] (--tls-cert F --tls-key F --peer-cert F | --insecure)`
//! reads one UTF-8 item per line (a trailing newline is optional, a `\r` before the
//! newline is dropped, empty lines and duplicates are ignored), runs
//! `mpc_native::psi::run` and prints the intersection, one item per line in sorted
//! order, or only its size with `--cardinality`. Both parties print the same, except
//! with `--one-sided`, where only the listener learns and prints the intersection.
//! Limits: `mpc_native::psi::MAX_SET_SIZE` items of at most
//! `mpc_native::psi::MAX_ITEM_LEN` bytes; anything else is a one-sentence error.
//!
//! Transport: TLS 1.3 with pinned certificates (`mpc_net::TlsChannel`), both sides
//! authenticated, so a listener runs the protocol only with the one party whose
//! certificate it pinned and nobody else can probe its set with chosen items; a
//! wrong certificate is refused during the handshake, before any PSI message. Plain
//! TCP, where whoever connects first is the peer, needs `--insecure`; with neither,
//! the command refuses to run. In `--one-sided` mode the listener is the server that
//! learns the intersection: it pins the one client it serves (one run per client,
//! each with that client's `--peer-cert`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use mpc_native::psi::{self, Mode, PsiOutput, Role};
use mpc_net::Channel;

use super::tls::{accept_peer, connect_peer, TlsArgs};

/// Arguments of `mpc psi`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["listen", "connect"])))]
pub struct Args {
    /// This party's name (for messages only).
    #[arg(long)]
    party: String,
    /// Wait for the peer on this address (host:port).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Connect to the peer at this address (host:port).
    #[arg(long, value_name = "ADDR")]
    connect: Option<String>,
    /// The set: one UTF-8 item per line.
    #[arg(long, value_name = "FILE")]
    set: PathBuf,
    /// Print only the size of the intersection.
    #[arg(long, conflicts_with = "one_sided")]
    cardinality: bool,
    /// Only the listening party learns (and prints) the intersection; both must say so.
    #[arg(long)]
    one_sided: bool,
    /// Seconds to wait for the peer at each step.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    tls: TlsArgs,
    /// Plain TCP without authentication: whoever connects (or answers) first is the
    /// peer, and may probe the set with items of its choice.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key", "peer_cert"])]
    insecure: bool,
}

/// Reads a set file: one UTF-8 item per line, with the limits of `mpc_native::psi`.
pub fn read_set(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let max_bytes = (psi::MAX_SET_SIZE as u64) * 64;
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read the set file {}", path.display()))?;
    if meta.len() > max_bytes {
        bail!("the set file {} is larger than {} bytes", path.display(), max_bytes);
    }
    let bytes = super::read_path(path, max_bytes)
        .with_context(|| format!("cannot read the set file {}", path.display()))?;
    let mut items = Vec::new();
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if std::str::from_utf8(line).is_err() {
            bail!("line {} of {} is not valid UTF-8", n + 1, path.display());
        }
        if line.len() > psi::MAX_ITEM_LEN {
            bail!("line {} of {} is longer than {} bytes", n + 1, path.display(), psi::MAX_ITEM_LEN);
        }
        items.push(line.to_vec());
        if items.len() > psi::MAX_SET_SIZE {
            bail!("the set file {} has more than {} items", path.display(), psi::MAX_SET_SIZE);
        }
    }
    Ok(items)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.party.trim().is_empty() {
        bail!("the party name must not be empty");
    }
    let timeout = super::timeout_secs(args.timeout)?;
    let tls = args.tls.identity()?;
    if tls.is_none() && !args.insecure {
        bail!(
            "mpc psi needs --tls-cert, --tls-key and --peer-cert (TLS with a pinned peer), \
             or --insecure for plain TCP, where anyone who connects first can probe the set"
        );
    }
    let items = read_set(&args.set)?;
    let mode = match (args.cardinality, args.one_sided) {
        (true, _) => Mode::Cardinality,
        (false, true) => Mode::ListenerOnly,
        (false, false) => Mode::Intersection,
    };
    let (mut channel, role): (Box<dyn Channel>, Role) = match (&args.listen, &args.connect) {
        (Some(addr), None) => (accept_peer(addr, tls.as_ref(), timeout)?, Role::Listener),
        (None, Some(addr)) => (connect_peer(addr, tls.as_ref(), timeout)?, Role::Connector),
        _ => bail!("give exactly one of --listen and --connect"),
    };
    let mut rng = rand::rngs::OsRng;
    let report =
        psi::run(&mut channel, role, mode, items, &mut rng).context("private set intersection failed")?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = match report.output {
        PsiOutput::Cardinality(n) => writeln!(out, "{n}"),
        PsiOutput::Nothing => Ok(()),
        PsiOutput::Intersection(items) => {
            items.iter().try_for_each(|item| out.write_all(item).and_then(|()| out.write_all(b"\n")))
        }
    };
    written.and_then(|()| out.flush()).context("could not write to stdout")
}
