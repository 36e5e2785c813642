//! [`listen`] and [`connect`]: the channel to the other party over TCP, or TLS 1.3 with
//! the peer's certificate pinned ([`PeerOptions`]), as `mpc run`, `mpc psi` and
//! `mpc secagg client` open it.
//!
//! Invariants: every wait (accepting, connecting with retries, each read and write) is
//! bounded by the options' timeout; with TLS both sides authenticate and each accepts
//! exactly the one certificate it pinned (`mpc_net::TlsChannel`).

use std::sync::Arc;
use std::time::Duration;

use mpc_net::{TcpChannel, TcpListenerChannel, TlsChannel, TlsIdentity};

use super::error::Error;
use crate::Channel;

/// How [`listen`] and [`connect`] reach the peer: a timeout (30 s unless set) and,
/// optionally, TLS.
#[derive(Clone, Debug)]
pub struct PeerOptions {
    timeout: Duration,
    tls: Option<Arc<TlsIdentity>>,
}

impl Default for PeerOptions {
    fn default() -> PeerOptions {
        PeerOptions { timeout: Duration::from_secs(30), tls: None }
    }
}

impl PeerOptions {
    /// How long to wait for the peer: to accept or connect (connecting retries until
    /// then), and then for every read and write.
    pub fn timeout(mut self, timeout: Duration) -> PeerOptions {
        self.timeout = timeout;
        self
    }

    /// TLS 1.3 with our certificate and private key and the peer's certificate, the
    /// only one accepted (all PEM). The peer passes the mirror image. Without TLS the
    /// channel is plain TCP: labels and outputs travel in clear.
    ///
    /// ```
    /// let bad = mpc::PeerOptions::default().tls_pem(b"not a certificate", b"", b"");
    /// assert!(matches!(bad, Err(mpc::Error::Tls { .. })));
    /// ```
    pub fn tls_pem(
        mut self,
        cert_pem: &[u8],
        key_pem: &[u8],
        peer_cert_pem: &[u8],
    ) -> Result<PeerOptions, Error> {
        let id = TlsIdentity::from_pem(cert_pem, key_pem, peer_cert_pem)
            .map_err(|source| Error::Tls { source })?;
        self.tls = Some(Arc::new(id));
        Ok(self)
    }
}

/// Waits on `addr` (such as `0.0.0.0:7000`) for the peer to connect.
///
/// ```
/// use std::time::Duration;
/// let p = mpc::Program::compile("party a; party b; fn main(x: u8 @a, y: u8 @b) -> bool { x < y }").unwrap();
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let addr = format!("127.0.0.1:{port}");
/// let opts = mpc::PeerOptions::default().timeout(Duration::from_secs(20));
/// let (q, a, o) = (p.clone(), addr.clone(), opts.clone());
/// let bob = std::thread::spawn(move || {
///     let mut inputs = q.inputs("b").unwrap();
///     inputs.set("y", 9u8).unwrap();
///     q.run("b", inputs, &mut mpc::connect(&a, &o).unwrap()).unwrap()
/// });
/// let mut channel = mpc::listen(&addr, &opts).unwrap();
/// let mut inputs = p.inputs("a").unwrap();
/// inputs.set("x", 3u8).unwrap();
/// let out = p.run("a", inputs, &mut channel).unwrap();
/// assert!(out.get::<bool>(&p.circuit().outputs()[0].name).unwrap());
/// bob.join().unwrap();
/// // Nobody listening: connecting gives up at the timeout, an error, not a hang.
/// let short = mpc::PeerOptions::default().timeout(Duration::from_millis(300));
/// assert!(matches!(mpc::connect(&addr, &short), Err(mpc::Error::Channel(_))));
/// ```
pub fn listen(addr: &str, options: &PeerOptions) -> Result<Box<dyn Channel>, Error> {
    accept(addr, options.tls.as_deref(), options.timeout)
}

/// Connects to the peer at `addr` (such as `host:7000`), retrying until the timeout.
pub fn connect(addr: &str, options: &PeerOptions) -> Result<Box<dyn Channel>, Error> {
    dial(addr, options.tls.as_deref(), options.timeout)
}

/// [`listen`] with a TLS identity of any number of pins (the CLI's form).
pub fn accept(addr: &str, tls: Option<&TlsIdentity>, timeout: Duration) -> Result<Box<dyn Channel>, Error> {
    let listener =
        TcpListenerChannel::bind(addr).map_err(|source| Error::Listen { addr: addr.into(), source })?;
    let waiting = |source| Error::NoPeer { addr: addr.into(), source };
    Ok(match tls {
        Some(id) => Box::new(TlsChannel::accept(&listener, id, timeout).map_err(waiting)?),
        None => Box::new(listener.accept(timeout).map_err(waiting)?),
    })
}

/// [`connect`] with a TLS identity (the CLI's form).
pub fn dial(addr: &str, tls: Option<&TlsIdentity>, timeout: Duration) -> Result<Box<dyn Channel>, Error> {
    Ok(match tls {
        Some(id) => Box::new(TlsChannel::connect(addr, id, timeout)?),
        None => Box::new(TcpChannel::connect(addr, timeout)?),
    })
}
