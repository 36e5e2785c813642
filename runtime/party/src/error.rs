//! [`SessionError`]: every way a session can fail, each a one-sentence message.

use mpc_garble::GarbleError;
use mpc_net::hello::HelloError;
use mpc_net::NetError;

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The channel failed: timeout, disconnect, socket or TLS error.
    #[error("{0}")]
    Net(#[from] NetError),
    /// The two parties do not run the same program, or chose the same role; the
    /// message names the first difference.
    #[error("{0}")]
    Mismatch(String),
    /// The peer sent bytes that do not parse or do not fit the protocol.
    #[error("the peer misbehaved: {0}")]
    PeerMisbehaved(String),
    /// The program cannot run as a two-party session (party count, reveal target).
    #[error("{0}")]
    Unsupported(String),
    /// Our own inputs do not match the program (count or width).
    #[error("{0}")]
    Input(String),
    /// Garbling or evaluation failed for a reason other than the channel.
    #[error("garbling failed: {0}")]
    Garble(GarbleError),
    /// A check of the malicious-security mode failed (the message names it), or its
    /// protocol could not proceed; no output of ours was revealed to the peer.
    #[error("{0}")]
    Check(String),
    /// A party's thread in [`crate::run_local`] panicked (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<GarbleError> for SessionError {
    fn from(err: GarbleError) -> SessionError {
        match err {
            GarbleError::Sink(inner) | GarbleError::Source(inner) => match inner.downcast::<NetError>() {
                Ok(net) => SessionError::Net(*net),
                Err(other) => SessionError::Garble(GarbleError::Source(other)),
            },
            GarbleError::InvalidOutputLabel { .. } => SessionError::PeerMisbehaved(err.to_string()),
            other => SessionError::Garble(other),
        }
    }
}

impl From<HelloError> for SessionError {
    fn from(err: HelloError) -> SessionError {
        match err {
            HelloError::Net(net) => SessionError::Net(net),
            HelloError::NotMpc => SessionError::PeerMisbehaved(
                "it is not speaking the mpc protocol (its first bytes are not an mpc hello)".into(),
            ),
            HelloError::Malformed(e) => SessionError::PeerMisbehaved(format!("malformed hello: {e}")),
            // Another protocol, version or release: a mismatch to name, not an attack.
            other => SessionError::Mismatch(other.to_string()),
        }
    }
}

impl From<mpc_ot::OtError> for SessionError {
    fn from(err: mpc_ot::OtError) -> SessionError {
        SessionError::PeerMisbehaved(format!("oblivious transfer: {err}"))
    }
}

impl SessionError {
    /// Whether this is only the echo of the other side's failure (the peer closed the
    /// connection), used by [`crate::run_local`] to report the root cause.
    pub(crate) fn is_peer_gone(&self) -> bool {
        matches!(self, SessionError::Net(NetError::Closed))
    }
}
