//! The one hello that opens every connection of the toolkit: the two-party session
//! (`mpc run`), PSI (`mpc psi`) and secure aggregation (`mpc secagg`).
//!
//! Wire form, [`HELLO_LEN`] = 27 bytes, not framed:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | [`MAGIC`] `MPCHELO\n` |
//! | 1 | protocol: 1 session, 2 psi, 3 secagg ([`Protocol`]) |
//! | 2 | the protocol's version, `u16` little-endian |
//! | 16 | session id |
//!
//! It is checked first, before any message of the protocol itself, so a peer that
//! speaks another protocol of the toolkit (a PSI client dialing an `mpc run`
//! listener) is refused with one sentence naming both protocols
//! ([`HelloError::WrongProtocol`]), one that speaks another version with both
//! versions, and one that speaks nothing of ours without reading further than the
//! magic. The hellos of releases before this one (magics `MPC2PC\r\n` and
//! `MPCPSI01`) are recognised and named.
//!
//! Who speaks first ([`Turn`]) and what the session id is:
//! - [`Turn::Both`] (the two-party session, whose parties play symmetric roles at
//!   this point): each side sends its hello with a fresh id of its own, then reads
//!   the other's; the ids are not compared.
//! - [`Turn::First`] (the PSI listener, the secagg server): it sends its hello with a
//!   fresh random id, which is the session id, then reads the peer's and requires it
//!   to carry the same id.
//! - [`Turn::Second`] (the PSI connector, a secagg client): it reads the listener's
//!   hello first and answers with the listener's id. It answers even when the
//!   protocol or version differs (with an id of its own), so that both sides report
//!   the mismatch by name; it does not answer a peer whose first bytes are not the
//!   magic.
//!
//! Two parties that both read first cannot meet: only a dialer reads first, and
//! every listener sends first.

use std::fmt;

use crate::codec::{CodecError, Reader, Writer};
use crate::{Channel, NetError};

/// The first 8 bytes of every connection.
pub const MAGIC: [u8; 8] = *b"MPCHELO\n";
/// The hello's length in bytes.
pub const HELLO_LEN: usize = 8 + 1 + 2 + 16;
/// The first bytes of older releases' session and PSI hellos (named in errors).
const OLD_MAGICS: [(&[u8; 8], Protocol); 2] =
    [(b"MPC2PC\r\n", Protocol::Session), (b"MPCPSI01", Protocol::Psi)];

/// The protocols that share the hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// The garbled-circuit two-party session (`mpc run`).
    Session,
    /// Private set intersection (`mpc psi`).
    Psi,
    /// Secure aggregation (`mpc secagg`).
    Secagg,
    /// The two-party session secured against a malicious party (`mpc run --security
    /// malicious`): a semi-honest peer is told the modes differ.
    MaliciousSession,
}

impl Protocol {
    fn tag(self) -> u8 {
        match self {
            Protocol::Session => 1,
            Protocol::Psi => 2,
            Protocol::Secagg => 3,
            Protocol::MaliciousSession => 4,
        }
    }

    fn from_tag(tag: u8) -> Option<Protocol> {
        match tag {
            1 => Some(Protocol::Session),
            2 => Some(Protocol::Psi),
            3 => Some(Protocol::Secagg),
            4 => Some(Protocol::MaliciousSession),
            _ => None,
        }
    }

    /// Its name: `session`, `psi`, `secagg` or `session (--security malicious)`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Session => "session",
            Protocol::Psi => "psi",
            Protocol::Secagg => "secagg",
            Protocol::MaliciousSession => "session (--security malicious)",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One side's hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The protocol it speaks.
    pub protocol: Protocol,
    /// The version of that protocol.
    pub version: u16,
    /// The session id (see the module doc for who chooses it).
    pub session: [u8; 16],
}

/// Why the hello exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HelloError {
    /// The peer's first bytes are not [`MAGIC`] (nor an older release's magic).
    #[error("the peer is not speaking the mpc protocol (its first bytes are not an mpc hello)")]
    NotMpc,
    /// The peer runs a release of mpc from before this hello.
    #[error("the peer runs an older release of mpc whose {0} protocol this version does not speak")]
    OldRelease(Protocol),
    /// The peer speaks another protocol of the toolkit.
    #[error("the peer speaks the mpc {peer} protocol, not {ours}")]
    WrongProtocol {
        /// Ours.
        ours: Protocol,
        /// The peer's.
        peer: Protocol,
    },
    /// The peer speaks another version of our protocol.
    #[error("the peer speaks version {peer} of the mpc {protocol} protocol, we speak version {ours}")]
    Version {
        /// The protocol.
        protocol: Protocol,
        /// Our version.
        ours: u16,
        /// The peer's.
        peer: u16,
    },
    /// The hello's fields do not decode (an unknown protocol tag).
    #[error("the peer's hello is malformed: {0}")]
    Malformed(#[from] CodecError),
    /// The dialer answered with another session id than ours.
    #[error("the peer answered with another session id than the one we chose")]
    SessionId,
    /// The channel failed.
    #[error(transparent)]
    Net(#[from] NetError),
}

/// Who speaks first (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Both at once; each id its own.
    Both,
    /// Sends first, chooses the session id and checks that the peer echoes it.
    First,
    /// Reads first and echoes the peer's session id.
    Second,
}

impl Hello {
    /// The wire form.
    pub fn encode(&self) -> [u8; HELLO_LEN] {
        let mut w = Writer::with_capacity(HELLO_LEN);
        w.raw(&MAGIC).u8(self.protocol.tag()).u16(self.version).raw(&self.session);
        let mut out = [0u8; HELLO_LEN];
        out.copy_from_slice(&w.into_bytes());
        out
    }

    /// Parses a hello (all [`HELLO_LEN`] bytes, magic first).
    pub fn decode(bytes: &[u8]) -> Result<Hello, HelloError> {
        let mut r = Reader::new(bytes);
        check_magic(&r.array::<8>("magic")?)?;
        let at = r.position();
        let tag = r.u8("protocol")?;
        let protocol = Protocol::from_tag(tag).ok_or(CodecError::BadValue { what: "protocol", at })?;
        let version = r.u16("version")?;
        let session = r.array::<16>("session id")?;
        r.finish()?;
        Ok(Hello { protocol, version, session })
    }

    /// Whether `peer` speaks our protocol in our version.
    pub fn check(&self, peer: &Hello) -> Result<(), HelloError> {
        if peer.protocol != self.protocol {
            return Err(HelloError::WrongProtocol { ours: self.protocol, peer: peer.protocol });
        }
        if peer.version != self.version {
            return Err(HelloError::Version {
                protocol: self.protocol,
                ours: self.version,
                peer: peer.version,
            });
        }
        Ok(())
    }
}

fn check_magic(magic: &[u8; 8]) -> Result<(), HelloError> {
    if *magic == MAGIC {
        return Ok(());
    }
    match OLD_MAGICS.iter().find(|(m, _)| *m == magic) {
        Some((_, p)) => Err(HelloError::OldRelease(*p)),
        None => Err(HelloError::NotMpc),
    }
}

/// Reads the peer's hello: the magic first (so a peer speaking something else is
/// refused after 8 bytes), then the rest; checks that it speaks `ours`'s protocol
/// and version. With [`send`], the two halves of [`Turn::Both`] for a protocol that
/// has more to send before it reads.
pub fn recv<C: Channel + ?Sized>(ch: &mut C, ours: &Hello) -> Result<Hello, HelloError> {
    let peer = recv_any(ch)?;
    ours.check(&peer)?;
    Ok(peer)
}

fn recv_any<C: Channel + ?Sized>(ch: &mut C) -> Result<Hello, HelloError> {
    Hello::decode(&recv_raw(ch)?)
}

/// Reads the bytes of the peer's hello, undecoded: the magic first (so a peer
/// speaking something else is refused after 8 bytes), then the rest. For a caller
/// that decodes messages apart from reading them (the session's driver).
pub fn recv_raw<C: Channel + ?Sized>(ch: &mut C) -> Result<[u8; HELLO_LEN], HelloError> {
    let mut buf = [0u8; HELLO_LEN];
    ch.recv_exact(&mut buf[..8])?;
    check_magic(&buf[..8].try_into().unwrap_or([0; 8]))?;
    ch.recv_exact(&mut buf[8..])?;
    Ok(buf)
}

/// Sends our hello (buffered: flush before waiting).
pub fn send<C: Channel + ?Sized>(ch: &mut C, hello: &Hello) -> Result<(), NetError> {
    ch.send(&hello.encode())
}

fn send_flushed<C: Channel + ?Sized>(ch: &mut C, hello: &Hello) -> Result<(), HelloError> {
    send(ch, hello)?;
    ch.flush()?;
    Ok(())
}

/// Exchanges hellos as `turn` says (see the module doc) and returns the peer's,
/// which speaks our protocol and version (and, unless [`Turn::Both`], carries the
/// session id of the side that spoke first).
pub fn exchange<C: Channel + ?Sized>(ch: &mut C, ours: &Hello, turn: Turn) -> Result<Hello, HelloError> {
    match turn {
        Turn::Both => {
            send_flushed(ch, ours)?;
            recv(ch, ours)
        }
        Turn::First => {
            send_flushed(ch, ours)?;
            let peer = recv(ch, ours)?;
            if peer.session != ours.session {
                return Err(HelloError::SessionId);
            }
            Ok(peer)
        }
        Turn::Second => {
            let peer = recv_any(ch)?;
            let agreed = ours.check(&peer);
            let answer = if agreed.is_ok() { Hello { session: peer.session, ..*ours } } else { *ours };
            let sent = send_flushed(ch, &answer);
            agreed?;
            sent?;
            Ok(peer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryChannel;

    fn hello(protocol: Protocol, version: u16, id: u8) -> Hello {
        Hello { protocol, version, session: [id; 16] }
    }

    fn pair(
        a: Hello,
        ta: Turn,
        b: Hello,
        tb: Turn,
    ) -> (Result<Hello, HelloError>, Result<Hello, HelloError>) {
        let (mut x, mut y) = MemoryChannel::pair();
        std::thread::scope(|s| {
            let h = s.spawn(move || exchange(&mut y, &b, tb));
            let ra = exchange(&mut x, &a, ta);
            drop(x);
            (ra, h.join().unwrap_or(Err(HelloError::NotMpc)))
        })
    }

    #[test]
    fn agree_and_echo_the_first_sides_id() {
        let (a, b) = pair(hello(Protocol::Psi, 2, 1), Turn::First, hello(Protocol::Psi, 2, 9), Turn::Second);
        assert_eq!(a.unwrap().session, [1; 16]);
        assert_eq!(b.unwrap().session, [1; 16]);
        let (a, b) =
            pair(hello(Protocol::Session, 4, 1), Turn::Both, hello(Protocol::Session, 4, 2), Turn::Both);
        assert_eq!((a.unwrap().session, b.unwrap().session), ([2; 16], [1; 16]));
    }

    #[test]
    fn both_sides_name_the_other_protocol_and_version() {
        let (a, b) =
            pair(hello(Protocol::Session, 4, 1), Turn::Both, hello(Protocol::Psi, 2, 9), Turn::Second);
        assert_eq!(a.unwrap_err().to_string(), "the peer speaks the mpc psi protocol, not session");
        assert_eq!(b.unwrap_err().to_string(), "the peer speaks the mpc session protocol, not psi");
        let (a, b) =
            pair(hello(Protocol::Secagg, 2, 1), Turn::First, hello(Protocol::Secagg, 3, 9), Turn::Second);
        assert!(matches!(a, Err(HelloError::Version { ours: 2, peer: 3, .. })), "{a:?}");
        assert!(matches!(b, Err(HelloError::Version { ours: 3, peer: 2, .. })), "{b:?}");
    }

    #[test]
    fn junk_old_releases_and_bad_tags() {
        assert!(matches!(Hello::decode(&[0; HELLO_LEN]), Err(HelloError::NotMpc)));
        let mut old = [0u8; HELLO_LEN];
        old[..8].copy_from_slice(b"MPC2PC\r\n");
        assert!(matches!(Hello::decode(&old), Err(HelloError::OldRelease(Protocol::Session))));
        let mut bad = hello(Protocol::Psi, 1, 0).encode();
        bad[8] = 0;
        assert!(matches!(Hello::decode(&bad), Err(HelloError::Malformed(CodecError::BadValue { .. }))));
        let good = hello(Protocol::Psi, 1, 0).encode();
        assert!(matches!(
            Hello::decode(&good[..20]),
            Err(HelloError::Malformed(CodecError::Truncated { .. }))
        ));
        assert_eq!(Hello::decode(&good).unwrap(), hello(Protocol::Psi, 1, 0));
    }
}
