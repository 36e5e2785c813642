//! The connection to the peer for `Program.run` and `psi.intersect`: `listen=` or
//! `connect=` (`HOST:PORT`), plain TCP, or TLS 1.3 with the peer's certificate pinned
//! when `tls_cert`, `tls_key` and `peer_cert` (PEM files, as the CLI's `--tls-*`
//! options) are given. Every read and write has the timeout; connecting retries until
//! it, so the two parties may start in either order. These calls run without the GIL.

use std::path::PathBuf;
use std::time::Duration;

use mpc::{Channel, NetError};
use mpc_net::{TcpChannel, TcpListenerChannel, TlsChannel, TlsIdentity};
use pyo3::prelude::*;

use crate::errors::{ChannelError, InputError};

/// The largest PEM file read (certificates and keys are a few KiB).
const PEM_LIMIT: u64 = 1 << 20;

/// Where the peer is, and how to talk to it.
#[derive(Debug)]
pub struct Peer {
    endpoint: Endpoint,
    timeout: Duration,
    tls: Option<TlsIdentity>,
}

#[derive(Debug)]
enum Endpoint {
    Listen(String),
    Connect(String),
}

impl Peer {
    /// Checks the keyword arguments: exactly one of `listen`/`connect`, a timeout in
    /// (0, 10^6] seconds, all three TLS files or none.
    pub fn new(
        listen: Option<String>,
        connect: Option<String>,
        timeout: f64,
        tls_cert: Option<PathBuf>,
        tls_key: Option<PathBuf>,
        peer_cert: Option<PathBuf>,
    ) -> PyResult<Peer> {
        let endpoint = match (listen, connect) {
            (Some(a), None) => Endpoint::Listen(a),
            (None, Some(a)) => Endpoint::Connect(a),
            _ => {
                return Err(InputError::new_err(
                    "give exactly one of listen=\"HOST:PORT\" or connect=\"HOST:PORT\"",
                ))
            }
        };
        if !(timeout.is_finite() && timeout > 0.0 && timeout <= 1e6) {
            return Err(InputError::new_err(
                "timeout must be a positive number of seconds (at most 1000000)",
            ));
        }
        let tls = match (tls_cert, tls_key, peer_cert) {
            (None, None, None) => None,
            (Some(cert), Some(key), Some(peer)) => {
                let id = TlsIdentity::from_pem(
                    &read_pem(&cert)?,
                    &zeroize::Zeroizing::new(read_pem(&key)?),
                    &read_pem(&peer)?,
                )
                .map_err(|e| ChannelError::new_err(format!("cannot use the TLS files: {e}")))?;
                Some(id)
            }
            _ => return Err(InputError::new_err("TLS needs all three of tls_cert, tls_key and peer_cert")),
        };
        Ok(Peer { endpoint, timeout: Duration::from_secs_f64(timeout), tls })
    }

    /// Whether the connection is TLS with a pinned peer.
    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether this side listens (it speaks first in PSI).
    pub fn listens(&self) -> bool {
        matches!(self.endpoint, Endpoint::Listen(_))
    }

    /// Opens the connection (blocking; call it without the GIL). The error is the
    /// CLI's sentence.
    pub fn open(&self) -> Result<Box<dyn Channel + Send>, String> {
        let t = self.timeout;
        match &self.endpoint {
            Endpoint::Listen(addr) => {
                let listener =
                    TcpListenerChannel::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
                let waiting = |e: NetError| format!("no peer connected to {addr}: {e}");
                Ok(match &self.tls {
                    Some(id) => Box::new(TlsChannel::accept(&listener, id, t).map_err(waiting)?),
                    None => Box::new(listener.accept(t).map_err(waiting)?),
                })
            }
            Endpoint::Connect(addr) => Ok(match &self.tls {
                Some(id) => Box::new(TlsChannel::connect(addr, id, t).map_err(|e| e.to_string())?),
                None => Box::new(TcpChannel::connect(addr, t).map_err(|e| e.to_string())?),
            }),
        }
    }
}

fn read_pem(path: &PathBuf) -> PyResult<Vec<u8>> {
    use std::io::Read;
    let fail = |e: std::io::Error| ChannelError::new_err(format!("cannot read `{}`: {e}", path.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(path).map_err(fail)?.take(PEM_LIMIT + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > PEM_LIMIT {
        return Err(ChannelError::new_err(format!("cannot read `{}`: larger than 1 MiB", path.display())));
    }
    Ok(bytes)
}
