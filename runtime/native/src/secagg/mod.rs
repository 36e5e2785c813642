//! Secure aggregation of integer vectors (Bonawitz et al., CCS 2017).
//!
//! n clients each hold a vector of `dim` integers mod `m` (`2 <= m <= 2^64`); one
//! server learns their sum mod `m` and nothing else about any individual vector, as
//! long as it does not collude with `threshold` or more clients. The server is
//! trusted for membership (the key list is not authenticated to the clients: a
//! malicious server could add clients of its own) and for the sum's correctness.
//! Bonawitz et al.'s consistency round (signed survivor lists) is not run; instead
//! [`Config::new`] demands a strict-majority threshold, so a server that tells some
//! clients "u survived" and others "u dropped" cannot collect `threshold` shares of
//! both of u's secrets. The threat model is spelled out in `docs/native.md`.
//!
//! Rounds (each client message goes to the server; the server forwards):
//! 0. AdvertiseKeys: every client sends two X25519 public keys, `c` (encryption) and
//!    `s` (masks). The server broadcasts the list; the session id is SHA-256 over the
//!    parameters and every advertised key (as Google's fcp/secagg does), and binds all
//!    later keys, ciphertexts and masks to this session.
//! 1. ShareKeys: client u draws a self-mask seed `b_u` and Shamir-shares (over
//!    `Fp61`, the `shamir` module) `b_u` and `s_u^SK` t-of-|U1|; share j goes to client j under
//!    ChaCha20-Poly1305 with a key and nonce from HKDF-SHA-256 over `X25519(c_u, c_j)`,
//!    bound to session, sender, receiver and round (one key per direction;
//!    [`crypto::Direction`]).
//! 2. MaskedInputCollection: `y_u = x_u + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u}
//!    PRG(s_uv) mod m` over the clients v that shared in round 1, with
//!    `s_uv = KDF(X25519(s_u, s_v))` and the PRG AES-128-CTR (keyed with the first 16
//!    bytes of the seed; `crypto::expand_mask`) with rejection sampling when `m` is not
//!    a power of two (no modulo bias).
//! 3. Unmasking: the server names the survivors U3; each client sends, for every
//!    round-1 client, the share of `b` if that client survived and the share of `s^SK`
//!    if it dropped, never both for one client, and answers only once per session.
//!    With at least `threshold` answers the server removes the self masks of the
//!    survivors and the pairwise masks of the dropped, and outputs the sum.
//!
//! Dropouts are tolerated in every round as long as `threshold` clients remain;
//! otherwise [`SecaggError::TooManyDropouts`], never a wrong sum. The server adds the
//! masked vectors into one running sum as they arrive, and only the sum is unmasked:
//! no code path reconstructs an individual input. Every message is length-checked and
//! bound to its round and session: out-of-order, duplicated, replayed or malformed
//! messages are rejected with a typed error.
//!
//! - [`client::Client`] and [`server::Server`]: sans-IO state machines.
//! - [`sim::simulate`]: n clients and a server in one process, with chosen dropouts.
//! - [`net`]: the same over any [`mpc_net::Channel`] (TCP for `mpc secagg`).

pub mod client;
pub mod crypto;
pub mod msg;
pub mod net;
pub mod recover;
pub mod server;
pub mod sim;

use crate::shamir::ShamirError;

pub use client::Client;
pub use server::Server;
pub use sim::{simulate, Clock, Dropouts, SimReport};

/// Most clients in one session.
pub const MAX_CLIENTS: u32 = 10_000;
/// Longest vector.
pub const MAX_DIM: u32 = 10_000_000;

/// Errors of secure aggregation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecaggError {
    /// A parameter or input is unusable.
    #[error("{0}")]
    InvalidParameter(String),
    /// A message could not be decoded.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A message arrived out of order, twice, from the wrong session or otherwise
    /// against the protocol.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// Fewer than `threshold` clients remain.
    #[error("too many clients dropped out: {alive} remain in round {round}, the threshold is {threshold}")]
    TooManyDropouts {
        /// The round (0-3).
        round: u8,
        /// Clients left.
        alive: usize,
        /// The threshold.
        threshold: usize,
    },
    /// A share ciphertext failed authentication (modified, or sealed for another
    /// direction, round or session).
    #[error("the share ciphertext from client {from} failed authentication")]
    Decrypt {
        /// The client named as its sender.
        from: u32,
    },
    /// The peer did not deliver a whole message within the deadline (a per-message
    /// bound, unlike the channel's per-read timeout).
    #[error("the peer sent no complete message within {} s", .0.as_secs_f64())]
    Deadline(std::time::Duration),
    /// Secret sharing failed (bad shares).
    #[error("secret sharing failed: {0}")]
    Shamir(#[from] ShamirError),
    /// The peer speaks another protocol of the toolkit, another version, or not
    /// ours at all (the common hello, [`mpc_net::hello`]).
    #[error(transparent)]
    Hello(mpc_net::hello::HelloError),
    /// The channel failed.
    #[error(transparent)]
    Net(#[from] mpc_net::NetError),
}

impl From<mpc_net::hello::HelloError> for SecaggError {
    fn from(err: mpc_net::hello::HelloError) -> SecaggError {
        match err {
            mpc_net::hello::HelloError::Net(net) => SecaggError::Net(net),
            other => SecaggError::Hello(other),
        }
    }
}

/// The modulus of the vectors: any `m` with `2 <= m <= 2^64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulus(u128);

impl Modulus {
    /// `2^bits` for `1 <= bits <= 64`.
    pub fn power_of_two(bits: u32) -> Result<Modulus, SecaggError> {
        if !(1..=64).contains(&bits) {
            return Err(SecaggError::InvalidParameter(format!("the modulus 2^{bits} is not in 2^1..2^64")));
        }
        Ok(Modulus(1u128 << bits))
    }

    /// Any `m` in `[2, 2^64]`.
    pub fn new(m: u128) -> Result<Modulus, SecaggError> {
        if !(2..=1u128 << 64).contains(&m) {
            return Err(SecaggError::InvalidParameter(format!("the modulus {m} is not in [2, 2^64]")));
        }
        Ok(Modulus(m))
    }

    /// The value of `m`.
    pub fn value(self) -> u128 {
        self.0
    }

    /// `(a + b) mod m` for reduced operands (`a, b < m`).
    #[inline]
    pub fn add(self, a: u64, b: u64) -> u64 {
        // a + b < 2m, so one conditional subtraction reduces it; no division.
        let s = u128::from(a) + u128::from(b);
        let over = u128::from(s >= self.0);
        (s - over * self.0) as u64 // < m <= 2^64
    }

    /// `(a - b) mod m` for reduced operands (`a, b < m`).
    #[inline]
    pub fn sub(self, a: u64, b: u64) -> u64 {
        let (d, borrow) = a.overflowing_sub(b);
        // On a borrow, d = a - b + 2^64 and the result is a - b + m = d + m - 2^64,
        // which wraps to the same u64 as d + m.
        d.wrapping_add((u128::from(borrow) * self.0) as u64)
    }

    /// True if `v < m`.
    pub fn contains(self, v: u64) -> bool {
        u128::from(v) < self.0
    }
}

/// Session parameters, fixed by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of clients expected (ids 0..clients).
    pub clients: u32,
    /// Shares needed to reconstruct, and the fewest clients that must remain.
    pub threshold: u32,
    /// Vector length.
    pub dim: u32,
    /// The modulus.
    pub modulus: Modulus,
}

impl Config {
    /// Checks `clients / 2 < threshold <= clients <= MAX_CLIENTS`, `threshold >= 2`
    /// and `1 <= dim <= MAX_DIM`.
    ///
    /// The threshold must be a strict majority because this implementation does not
    /// run the consistency round of Bonawitz et al.'s actively secure variant (signed
    /// survivor lists): a server that tells some clients "u survived" and others "u
    /// dropped" collects at most one share per client, so it needs `2 * threshold <=
    /// clients` to obtain both `b_u` and `s_u^SK`. See the module docs.
    pub fn new(clients: u32, threshold: u32, dim: u32, modulus: Modulus) -> Result<Config, SecaggError> {
        if clients > MAX_CLIENTS {
            return Err(SecaggError::InvalidParameter(format!(
                "at most {MAX_CLIENTS} clients are supported"
            )));
        }
        if threshold < 2 || threshold > clients {
            return Err(SecaggError::InvalidParameter(format!(
                "the threshold {threshold} must be between 2 and the number of clients {clients}"
            )));
        }
        if 2 * u64::from(threshold) <= u64::from(clients) {
            return Err(SecaggError::InvalidParameter(format!(
                "the threshold {threshold} must be more than half the number of clients {clients} (no signed survivor lists: see docs/native.md)"
            )));
        }
        if dim == 0 || dim > MAX_DIM {
            return Err(SecaggError::InvalidParameter(format!(
                "the dimension must be between 1 and {MAX_DIM}"
            )));
        }
        Ok(Config { clients, threshold, dim, modulus })
    }
}
