//! TLS 1.3 over TCP with rustls (ring provider), mutually authenticated by pinning.
//!
//! There is no certificate authority: each party has a (typically self-signed)
//! certificate and is told the other's. The verifiers below accept exactly the one
//! pinned DER certificate and check the handshake signature against it; names,
//! dates and chains play no part. The server requires a client certificate, so both
//! sides are authenticated, and a peer presenting any other certificate is refused
//! during the handshake with [`NetError::Tls`].

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, DistinguishedName, OtherError,
    ServerConfig, ServerConnection, SignatureScheme, StreamOwned,
};

use crate::tcp::{connect_stream, TcpListenerChannel};
use crate::{Channel, ChannelStats, Closer, NetError};

const BUFFER: usize = 256 * 1024;
/// The name the client asks for; the pinned verifier ignores names.
const PEER_NAME: &str = "mpc-peer";

/// Our certificate chain and private key, and the peer certificates we accept
/// (one for a two-party session; one per client for a server of many clients).
pub struct TlsIdentity {
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    peers: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").field("certs", &self.certs.len()).finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Parses our certificate (PEM, chain allowed), our private key (PEM: PKCS#8,
    /// PKCS#1 or SEC1) and the peer's certificate (PEM, the first one is pinned).
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8], peer_cert_pem: &[u8]) -> Result<TlsIdentity, NetError> {
        let certs = parse_certs(cert_pem, "our certificate")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| NetError::TlsConfig(format!("cannot read the private key: {e}")))?;
        let peer = parse_certs(peer_cert_pem, "the peer's certificate")?.remove(0);
        Ok(TlsIdentity { certs, key, peers: vec![peer] })
    }

    /// Like [`Self::from_pem`], but pins every certificate in `peer_certs_pem` (each
    /// PEM may hold several): a peer presenting any one of them is accepted, and
    /// [`TlsChannel::peer_index`] tells which. For a server of many clients.
    pub fn from_pem_pins(
        cert_pem: &[u8],
        key_pem: &[u8],
        peer_certs_pem: &[Vec<u8>],
    ) -> Result<TlsIdentity, NetError> {
        let certs = parse_certs(cert_pem, "our certificate")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| NetError::TlsConfig(format!("cannot read the private key: {e}")))?;
        let mut peers = Vec::new();
        for pem in peer_certs_pem {
            peers.extend(parse_certs(pem, "a peer's certificate")?);
        }
        if peers.is_empty() {
            return Err(NetError::TlsConfig("no peer certificate to pin".into()));
        }
        Ok(TlsIdentity { certs, key, peers })
    }

    /// The number of pinned peer certificates.
    pub fn pin_count(&self) -> usize {
        self.peers.len()
    }
}

fn parse_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| NetError::TlsConfig(format!("cannot read {what}: {e}")))?;
    if certs.is_empty() {
        return Err(NetError::TlsConfig(format!("{what} holds no PEM certificate")));
    }
    Ok(certs)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(Debug)]
struct PinMismatch;

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the peer's certificate is not the pinned one")
    }
}

impl std::error::Error for PinMismatch {}

/// Accepts exactly the pinned certificates, as server or client verifier.
#[derive(Debug)]
struct Pinned {
    certs: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(PinMismatch)))))
        }
    }

    fn check_signature(
        &self,
        tls13: bool,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check(cert)?;
        let algs = &self.provider.signature_verification_algorithms;
        if tls13 {
            verify_tls13_signature(message, cert, dss, algs)
        } else {
            verify_tls12_signature(message, cert, dss, algs)
        }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity).map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_signature(false, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_signature(true, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity).map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_signature(false, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check_signature(true, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[derive(Debug)]
enum Stream {
    Client(Box<StreamOwned<ClientConnection, TcpStream>>),
    Server(Box<StreamOwned<ServerConnection, TcpStream>>),
}

/// A TLS 1.3 connection to the peer; see the module docs.
#[derive(Debug)]
pub struct TlsChannel {
    stream: Stream,
    wbuf: Vec<u8>,
    timeout: Duration,
    stats: ChannelStats,
    sending: bool,
}

fn tls_err(e: rustls::Error) -> NetError {
    NetError::Tls(describe(&e))
}

/// A sentence for a rustls error, naming the pinning failures plainly.
pub(crate) fn describe(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(_)) => PinMismatch.to_string(),
        rustls::Error::AlertReceived(
            rustls::AlertDescription::BadCertificate
            | rustls::AlertDescription::CertificateUnknown
            | rustls::AlertDescription::DecryptError,
        ) => "the peer refused our certificate (it pins a different one)".to_string(),
        other => other.to_string(),
    }
}

/// Runs the handshake `f` on `sock`, shutting the socket down if it has not finished
/// within `timeout` (then the result is [`NetError::Timeout`]). The socket's read
/// timeout bounds each silence only; a peer trickling handshake bytes just under it
/// would otherwise hold an accepting server for ever.
fn handshake_within(
    sock: &mut TcpStream,
    timeout: Duration,
    f: impl FnOnce(&mut TcpStream) -> Result<(), NetError>,
) -> Result<(), NetError> {
    match crate::run_with_deadline(crate::Closer::new(sock), timeout, || f(sock)) {
        (_, true) => Err(NetError::Timeout(timeout)),
        (res, false) => res,
    }
}

impl TlsChannel {
    /// Connects to `addr` (retrying until `timeout`) and runs the TLS handshake as
    /// the client.
    pub fn connect(addr: &str, identity: &TlsIdentity, timeout: Duration) -> Result<TlsChannel, NetError> {
        let mut sock = connect_stream(addr, timeout)?;
        let verifier = Arc::new(Pinned { certs: identity.peers.clone(), provider: provider() });
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_err)?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_client_auth_cert(identity.certs.clone(), identity.key.clone_key())
            .map_err(|e| NetError::TlsConfig(e.to_string()))?;
        let name = ServerName::try_from(PEER_NAME).map_err(|e| NetError::TlsConfig(e.to_string()))?;
        let mut conn = ClientConnection::new(Arc::new(config), name).map_err(tls_err)?;
        handshake_within(&mut sock, timeout, |sock| {
            while conn.is_handshaking() {
                conn.complete_io(sock).map_err(|e| NetError::from_io(e, timeout))?;
            }
            Ok(())
        })?;
        Ok(TlsChannel::new(Stream::Client(Box::new(StreamOwned::new(conn, sock))), timeout))
    }

    /// Accepts the peer on `listener` (waiting up to `timeout`) and runs the TLS
    /// handshake as the server, requiring the pinned client certificate.
    pub fn accept(
        listener: &TcpListenerChannel,
        identity: &TlsIdentity,
        timeout: Duration,
    ) -> Result<TlsChannel, NetError> {
        let mut sock = listener.accept_stream(timeout)?;
        let verifier = Arc::new(Pinned { certs: identity.peers.clone(), provider: provider() });
        let config = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_err)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(identity.certs.clone(), identity.key.clone_key())
            .map_err(|e| NetError::TlsConfig(e.to_string()))?;
        let mut conn = ServerConnection::new(Arc::new(config)).map_err(tls_err)?;
        handshake_within(&mut sock, timeout, |sock| {
            while conn.is_handshaking() {
                conn.complete_io(sock).map_err(|e| NetError::from_io(e, timeout))?;
            }
            Ok(())
        })?;
        Ok(TlsChannel::new(Stream::Server(Box::new(StreamOwned::new(conn, sock))), timeout))
    }

    fn new(stream: Stream, timeout: Duration) -> TlsChannel {
        TlsChannel {
            stream,
            wbuf: Vec::with_capacity(BUFFER),
            timeout,
            stats: ChannelStats::default(),
            sending: false,
        }
    }

    /// Which of the identity's pinned certificates the peer presented (its position
    /// in the order given to [`TlsIdentity::from_pem_pins`]).
    pub fn peer_index(&self, identity: &TlsIdentity) -> Option<usize> {
        let presented = match &self.stream {
            Stream::Client(s) => s.conn.peer_certificates(),
            Stream::Server(s) => s.conn.peer_certificates(),
        }?;
        let end_entity = presented.first()?;
        identity.peers.iter().position(|c| c.as_ref() == end_entity.as_ref())
    }

    fn write_out(&mut self) -> Result<(), NetError> {
        let result = match &mut self.stream {
            Stream::Client(s) => s.write_all(&self.wbuf).and_then(|()| s.flush()),
            Stream::Server(s) => s.write_all(&self.wbuf).and_then(|()| s.flush()),
        };
        self.wbuf.clear();
        result.map_err(|e| NetError::from_io(e, self.timeout))
    }
}

impl Channel for TlsChannel {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.stats.on_send(data.len(), &mut self.sending);
        self.wbuf.extend_from_slice(data);
        if self.wbuf.len() >= BUFFER {
            self.write_out()?;
        }
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        let result = match &mut self.stream {
            Stream::Client(s) => s.read_exact(buf),
            Stream::Server(s) => s.read_exact(buf),
        };
        result.map_err(|e| NetError::from_io(e, self.timeout))?;
        self.stats.on_recv(buf.len(), &mut self.sending);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), NetError> {
        self.write_out()
    }

    fn stats(&self) -> ChannelStats {
        self.stats
    }

    fn closer(&self) -> Option<Closer> {
        match &self.stream {
            Stream::Client(s) => Closer::new(&s.sock),
            Stream::Server(s) => Closer::new(&s.sock),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed() -> (String, String) {
        // rcgen only fails on invalid names; "mpc-peer" is a valid DNS name.
        let ck = rcgen::generate_simple_self_signed(vec![PEER_NAME.to_string()]).expect("valid name");
        (ck.cert.pem(), ck.key_pair.serialize_pem())
    }

    fn run_pair(
        server_pins: &str,
        client_pins: &str,
        a: &(String, String),
        b: &(String, String),
    ) -> (Result<(), NetError>, Result<(), NetError>) {
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server_id =
            TlsIdentity::from_pem(a.0.as_bytes(), a.1.as_bytes(), server_pins.as_bytes()).unwrap();
        let client_id =
            TlsIdentity::from_pem(b.0.as_bytes(), b.1.as_bytes(), client_pins.as_bytes()).unwrap();
        let timeout = Duration::from_secs(5);
        let client = std::thread::spawn(move || -> Result<(), NetError> {
            let mut ch = TlsChannel::connect(&addr, &client_id, timeout)?;
            ch.send(b"ping")?;
            ch.flush()?;
            let mut buf = [0u8; 4];
            ch.recv_exact(&mut buf)?;
            assert_eq!(&buf, b"pong");
            Ok(())
        });
        let server = (|| -> Result<(), NetError> {
            let mut ch = TlsChannel::accept(&listener, &server_id, timeout)?;
            let mut buf = [0u8; 4];
            ch.recv_exact(&mut buf)?;
            assert_eq!(&buf, b"ping");
            ch.send(b"pong")?;
            ch.flush()
        })();
        (server, client.join().unwrap())
    }

    #[test]
    fn pinned_certificates_connect_and_others_are_refused() {
        let a = self_signed();
        let b = self_signed();
        let c = self_signed();
        let (s, cl) = run_pair(&b.0, &a.0, &a, &b);
        assert!(s.is_ok() && cl.is_ok(), "{s:?} {cl:?}");
        // The server pins c, but the client presents b.
        let (s, cl) = run_pair(&c.0, &a.0, &a, &b);
        assert!(matches!(s, Err(NetError::Tls(ref m)) if m.contains("pinned")), "{s:?}");
        assert!(cl.is_err());
        // The client pins c, but the server presents a.
        let (s, cl) = run_pair(&b.0, &c.0, &a, &b);
        assert!(matches!(cl, Err(NetError::Tls(ref m)) if m.contains("pinned")), "{cl:?}");
        assert!(s.is_err());
    }

    #[test]
    fn a_pin_set_accepts_each_pinned_client_and_names_it() {
        let server = self_signed();
        let clients = [self_signed(), self_signed()];
        let other = self_signed();
        let pins: Vec<Vec<u8>> = clients.iter().map(|c| c.0.clone().into_bytes()).collect();
        let id = TlsIdentity::from_pem_pins(server.0.as_bytes(), server.1.as_bytes(), &pins).unwrap();
        assert_eq!(id.pin_count(), 2);
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let timeout = Duration::from_secs(5);
        for (want, who) in [(Some(1usize), &clients[1]), (Some(0), &clients[0]), (None, &other)] {
            let client_id =
                TlsIdentity::from_pem(who.0.as_bytes(), who.1.as_bytes(), server.0.as_bytes()).unwrap();
            let a = addr.clone();
            let t = std::thread::spawn(move || TlsChannel::connect(&a, &client_id, timeout).map(|_| ()));
            match TlsChannel::accept(&listener, &id, timeout) {
                Ok(ch) => assert_eq!(ch.peer_index(&id), want),
                Err(e) => assert!(want.is_none(), "{e}"),
            }
            let _ = t.join().unwrap();
        }
    }

    #[test]
    fn a_trickled_handshake_ends_at_the_timeout() {
        // The "client" sends one byte of a ClientHello every 100 ms, under the 700 ms
        // read timeout: only the handshake deadline ends the accept.
        let server = self_signed();
        let id =
            TlsIdentity::from_pem(server.0.as_bytes(), server.1.as_bytes(), server.0.as_bytes()).unwrap();
        let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            // A TLS record header announcing a 512-byte handshake message.
            for b in [0x16u8, 0x03, 0x01, 0x02, 0x00].iter().chain([0u8; 40].iter()) {
                if s.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let start = std::time::Instant::now();
        let res = TlsChannel::accept(&listener, &id, Duration::from_millis(700));
        assert!(matches!(res, Err(NetError::Timeout(_))), "{res:?}");
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        t.join().unwrap();
    }

    #[test]
    fn bad_pem_is_a_config_error() {
        let a = self_signed();
        let err = TlsIdentity::from_pem(b"junk", a.1.as_bytes(), a.0.as_bytes()).unwrap_err();
        assert!(matches!(err, NetError::TlsConfig(_)));
        let err = TlsIdentity::from_pem(a.0.as_bytes(), b"junk", a.0.as_bytes()).unwrap_err();
        assert!(matches!(err, NetError::TlsConfig(_)));
    }
}
