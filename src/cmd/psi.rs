//! `mpc psi`: private set intersection with a peer over TCP (ECDH on ristretto255, or
//! KKRT16 OT-based PSI with `--protocol kkrt`).
//!
//! `mpc psi --party NAME (--listen ADDR | --connect ADDR) --set FILE
//! [--protocol ecdh|kkrt] [--cardinality] [--one-sided] [--stats]
//! (--tls-cert F --tls-key F --peer-cert F | --insecure)`
//! streams one UTF-8 item per line from the file (a trailing newline is optional, a
//! `\r` before the newline is dropped, empty lines and duplicates are ignored; the
//! file may be of any size, only the item count and length are limited), runs
//! `mpc_native::psi::run` (ECDH, the default) or `mpc_native::psi::kkrt::run` and
//! prints the intersection, one item per line in sorted order, or only its size with
//! `--cardinality` (ECDH only: KKRT reveals the intersection to the listener, so
//! `--protocol kkrt --cardinality` is refused before connecting). Both parties print
//! the same, except with `--one-sided`, where only the listener learns and prints the
//! intersection. Both parties must name the same protocol; a mismatch is refused by
//! name. ECDH stays the default (no automatic switch by size: the choice must agree
//! before either side has seen the other's size); use kkrt above a few thousand
//! items (docs/native.md has the numbers).
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

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use mpc_native::psi::{self, ItemSet, Mode, PsiOutput, Role};
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
    /// The protocol: `ecdh` (every mode, small sets) or `kkrt` (OT-based, large sets).
    #[arg(long, value_enum, default_value_t = ProtocolArg::Ecdh)]
    protocol: ProtocolArg,
    /// Print only the size of the intersection (ECDH only).
    #[arg(long, conflicts_with = "one_sided")]
    cardinality: bool,
    /// Only the listening party learns (and prints) the intersection; both must say so.
    #[arg(long)]
    one_sided: bool,
    /// Print one line to stderr after the run: protocol, the peer's set size, bytes
    /// sent and received by this party.
    #[arg(long)]
    stats: bool,
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

/// The most bytes read from a set "file" that is not a regular file.
const STREAM_LIMIT: u64 = (psi::MAX_SET_SIZE as u64) * 64;

/// The PSI protocol named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ProtocolArg {
    /// ECDH on ristretto255.
    Ecdh,
    /// KKRT16: OPRF from OT extension, cuckoo hashing.
    Kkrt,
}

/// Reads a set file as a stream: one UTF-8 item per line, with the limits of
/// `mpc_native::psi` (a line is read only up to one byte past the item limit). A
/// regular file may be of any size; anything else (a pipe, `/dev/zero`) may never end,
/// so at most [`STREAM_LIMIT`] bytes are read from it.
pub fn read_set(path: &Path) -> anyhow::Result<ItemSet> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read the set file {}", path.display()))?;
    let regular =
        file.metadata().with_context(|| format!("cannot read the set file {}", path.display()))?.is_file();
    let mut total = 0u64;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut items = ItemSet::new();
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        // Read at most MAX_ITEM_LEN + 2 bytes of the line (item, `\r`, `\n`); a longer
        // line is refused without buffering the rest of it.
        let limit = (psi::MAX_ITEM_LEN + 2) as u64;
        let got = std::io::Read::take(&mut reader, limit)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read the set file {}", path.display()))?;
        if got == 0 {
            break;
        }
        total += got as u64;
        if !regular && total > STREAM_LIMIT {
            bail!(
                "the set file {} is not a regular file and gives more than {STREAM_LIMIT} bytes",
                path.display()
            );
        }
        let ended = line.last() == Some(&b'\n');
        if ended {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > psi::MAX_ITEM_LEN || (!ended && got as u64 == limit) {
            bail!("line {} of {} is longer than {} bytes", n, path.display(), psi::MAX_ITEM_LEN);
        }
        if line.is_empty() {
            continue;
        }
        if std::str::from_utf8(&line).is_err() {
            bail!("line {} of {} is not valid UTF-8", n, path.display());
        }
        if items.len() == psi::MAX_SET_SIZE {
            bail!("the set file {} has more than {} items", path.display(), psi::MAX_SET_SIZE);
        }
        items.push(&line).with_context(|| format!("line {} of {}", n, path.display()))?;
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
    if args.protocol == ProtocolArg::Kkrt && args.cardinality {
        bail!("{}", psi::kkrt::CARDINALITY_REFUSAL);
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
    let report = match args.protocol {
        ProtocolArg::Ecdh => psi::run(&mut channel, role, mode, items.to_vecs(), &mut rng),
        ProtocolArg::Kkrt => psi::kkrt::run(&mut channel, role, mode, &items, &mut rng),
    }
    .context("private set intersection failed")?;
    if args.stats {
        super::note(format_args!(
            "psi: protocol {}, peer set {} items, sent {} bytes, received {} bytes\n",
            protocol_name(args.protocol),
            report.peer_set_size,
            report.bytes_sent,
            report.bytes_received
        ));
    }
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

fn protocol_name(p: ProtocolArg) -> &'static str {
    match p {
        ProtocolArg::Ecdh => "ecdh",
        ProtocolArg::Kkrt => "kkrt",
    }
}
