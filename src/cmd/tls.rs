//! The transport options shared by the commands that talk to one peer (`mpc run`,
//! `mpc psi`, `mpc secagg client`): `--tls-cert`, `--tls-key` and `--peer-cert`, TLS
//! 1.3 with the peer's certificate pinned (`mpc_net::TlsChannel`), and the channel to
//! the peer, TLS or plain TCP. Each command adds its own `--insecure` (or none), since
//! what plain TCP risks differs; `mpc secagg serve` pins one certificate per client
//! and declares its own options.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use mpc_net::{Channel, TlsIdentity};

/// `--tls-cert`, `--tls-key` and `--peer-cert`: all three (TLS with the peer pinned)
/// or none (clap's `requires_all`).
#[derive(Debug, clap::Args)]
pub(crate) struct TlsArgs {
    /// Our TLS certificate (PEM); with --tls-key and --peer-cert the session uses TLS.
    #[arg(long, value_name = "FILE", requires_all = ["tls_key", "peer_cert"])]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Our TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "peer_cert"])]
    pub(crate) tls_key: Option<PathBuf>,
    /// The peer's certificate (PEM): the only one accepted.
    #[arg(long, value_name = "FILE", requires_all = ["tls_cert", "tls_key"])]
    pub(crate) peer_cert: Option<PathBuf>,
}

impl TlsArgs {
    /// The TLS identity when all three files are given, else `None`.
    pub(crate) fn identity(&self) -> anyhow::Result<Option<TlsIdentity>> {
        match (&self.tls_cert, &self.tls_key, &self.peer_cert) {
            (Some(cert), Some(key), Some(peer)) => Ok(Some(
                TlsIdentity::from_pem(
                    &read_pem(cert)?,
                    &zeroize::Zeroizing::new(read_pem(key)?),
                    &read_pem(peer)?,
                )
                .context("cannot use the TLS files")?,
            )),
            _ => Ok(None),
        }
    }
}

/// Reads a certificate or key file.
pub(crate) fn read_pem(path: &Path) -> anyhow::Result<Vec<u8>> {
    super::read_path(path, super::SMALL_FILE_LIMIT)
        .with_context(|| format!("cannot read `{}`", path.display()))
}

/// Waits on `addr` for the peer: over TLS with `tls`, else plain TCP (the library's
/// `mpc::listen`, with any number of pins).
pub(crate) fn accept_peer(
    addr: &str,
    tls: Option<&TlsIdentity>,
    timeout: Duration,
) -> anyhow::Result<Box<dyn Channel>> {
    Ok(mpc::internal::accept(addr, tls, timeout)?)
}

/// Connects to the peer at `addr`: over TLS with `tls`, else plain TCP (`mpc::connect`).
pub(crate) fn connect_peer(
    addr: &str,
    tls: Option<&TlsIdentity>,
    timeout: Duration,
) -> anyhow::Result<Box<dyn Channel>> {
    Ok(mpc::internal::dial(addr, tls, timeout)?)
}
