//! The client of secure aggregation as a sans-IO state machine.
//!
//! Each `on_*` method consumes the server's message for one round and returns the
//! client's answer; calling them out of order, twice, or with a message for another
//! session is an error. In the unmasking round an honest client reveals, for each peer,
//! either the share of its self-mask seed (the peer survived) or of its mask key (the
//! peer dropped), never both, and it answers that round only once: a server that asks
//! again (to collect the other share) is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::crypto::{
    apply_mask, kdf, open, seal, secret_to_field, Direction, Sign, SHARE_CIPHERTEXT_LEN, SHARE_LEN,
};
use super::msg::{Message, ShareKind};
use super::{Config, SecaggError};
use crate::shamir::{self, Fp61, Share};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Round {
    Advertised,
    Shared,
    Masked,
    Unmasked,
    Done,
}

/// The session id: SHA-256 over the parameters and every advertised key.
pub fn session_id(config: &Config, keys: &[(u32, [u8; 32], [u8; 32])]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"mpc-secagg-v1 session");
    h.update(config.clients.to_le_bytes());
    h.update(config.threshold.to_le_bytes());
    h.update(config.dim.to_le_bytes());
    h.update(config.modulus.value().to_le_bytes());
    for (id, c, s) in keys {
        h.update(id.to_le_bytes());
        h.update(c);
        h.update(s);
    }
    h.finalize().into()
}

/// The round in which shares are sealed (bound into their keys and AAD).
pub(crate) const SHARE_ROUND: u8 = 1;

/// The pairwise mask seed of two clients from their X25519 agreement.
pub fn pairwise_seed(session: &[u8; 32], dh: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    kdf(b"mpc-secagg-v1 pairwise mask", session, dh)
}

/// The self-mask PRG seed from `b`.
pub fn self_seed(session: &[u8; 32], b: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    kdf(b"mpc-secagg-v1 self mask", session, b)
}

/// Encoded shares of one peer's (`s^SK`, `b`), as received.
type SharePair = (Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>);

/// One client.
pub struct Client {
    id: u32,
    config: Config,
    input: Zeroizing<Vec<u64>>,
    c_sk: StaticSecret,
    s_sk: StaticSecret,
    b: Zeroizing<[u8; 32]>,
    round: Round,
    session: [u8; 32],
    keys: BTreeMap<u32, ([u8; 32], [u8; 32])>,
    /// Our own shares of our own secrets (x = our position + 1).
    own: Option<(Vec<u8>, Vec<u8>)>,
    /// Shares received from each round-1 peer: (share of s^SK, share of b), encoded.
    received: BTreeMap<u32, SharePair>,
    /// Round 1 to 2: the X25519 agreement `X25519(c_u, c_v)` with each peer, from which
    /// the two directional share keys are derived (`crypto::Direction`); cleared after use.
    enc_keys: BTreeMap<u32, Zeroizing<[u8; 32]>>,
    u2: BTreeSet<u32>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("id", &self.id).field("round", &self.round).finish_non_exhaustive()
    }
}

fn proto(msg: &str) -> SecaggError {
    SecaggError::Protocol(msg.to_string())
}

impl Client {
    /// A client with `input` (length `dim`, values below the modulus); returns it and
    /// its round-0 message.
    pub fn new(
        id: u32,
        config: Config,
        input: Vec<u64>,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Client, Message), SecaggError> {
        if input.len() != config.dim as usize {
            return Err(SecaggError::InvalidParameter(format!(
                "the input has {} values but the session expects {}",
                input.len(),
                config.dim
            )));
        }
        // The message names the position, never the value: inputs are secret.
        if let Some(i) = input.iter().position(|&v| !config.modulus.contains(v)) {
            return Err(SecaggError::InvalidParameter(format!(
                "input value number {} is not below the modulus {}",
                i + 1,
                config.modulus.value()
            )));
        }
        if id >= config.clients {
            return Err(SecaggError::InvalidParameter(format!("client id {id} is out of range")));
        }
        let c_sk = StaticSecret::random_from_rng(&mut *rng);
        let s_sk = StaticSecret::random_from_rng(&mut *rng);
        let mut b = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *b);
        let msg = Message::AdvertiseKeys {
            c_pk: PublicKey::from(&c_sk).to_bytes(),
            s_pk: PublicKey::from(&s_sk).to_bytes(),
        };
        let client = Client {
            id,
            config,
            input: Zeroizing::new(input),
            c_sk,
            s_sk,
            b,
            round: Round::Advertised,
            session: [0; 32],
            keys: BTreeMap::new(),
            own: None,
            received: BTreeMap::new(),
            enc_keys: BTreeMap::new(),
            u2: BTreeSet::new(),
        };
        Ok((client, msg))
    }

    /// This client's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The session id (all zero before round 1).
    pub fn session(&self) -> [u8; 32] {
        self.session
    }

    /// Dispatches a server message to the right round.
    pub fn handle(
        &mut self,
        msg: Message,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Option<Message>, SecaggError> {
        match msg {
            Message::KeyList { keys } => self.on_key_list(keys, rng).map(Some),
            Message::Ciphertexts { session, ciphertexts } => {
                self.on_ciphertexts(session, ciphertexts).map(Some)
            }
            Message::Survivors { session, ids } => self.on_survivors(session, ids).map(Some),
            Message::Sum { session, .. } => {
                if self.round != Round::Unmasked || session != self.session {
                    return Err(proto("a result arrived out of order or for another session"));
                }
                self.round = Round::Done;
                Ok(None)
            }
            other => Err(SecaggError::Protocol(format!("a client does not expect {}", other.name()))),
        }
    }

    /// Round 1: checks the key list, derives the session id, shares `s^SK` and `b`.
    pub fn on_key_list(
        &mut self,
        keys: Vec<(u32, [u8; 32], [u8; 32])>,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Message, SecaggError> {
        if self.round != Round::Advertised {
            return Err(proto("a key list arrived out of order"));
        }
        if keys.windows(2).any(|w| w[0].0 >= w[1].0) || keys.iter().any(|k| k.0 >= self.config.clients) {
            return Err(proto("the key list is not sorted by distinct client ids"));
        }
        if keys.len() < self.config.threshold as usize {
            return Err(SecaggError::TooManyDropouts {
                round: 0,
                alive: keys.len(),
                threshold: self.config.threshold as usize,
            });
        }
        let mine = (PublicKey::from(&self.c_sk).to_bytes(), PublicKey::from(&self.s_sk).to_bytes());
        let pos = keys
            .iter()
            .position(|k| k.0 == self.id && (k.1, k.2) == mine)
            .ok_or_else(|| proto("the key list does not carry this client's keys"))?;
        let mut distinct = BTreeSet::new();
        for (_, c, s) in &keys {
            if !distinct.insert(*c) || !distinct.insert(*s) {
                return Err(proto("the key list repeats a public key"));
            }
        }
        self.session = session_id(&self.config, &keys);
        let n = keys.len();
        let t = self.config.threshold as usize;
        let s_shares = shamir::split(&secret_to_field(&self.s_sk.to_bytes()), t, n, rng)?;
        let b_shares = shamir::split(&secret_to_field(&self.b), t, n, rng)?;
        let mut ciphertexts = Vec::with_capacity(n - 1);
        for (j, (peer, c_pk, _)) in keys.iter().enumerate() {
            let s = s_shares[j].to_bytes();
            let b = b_shares[j].to_bytes();
            if j == pos {
                self.own = Some((s, b));
                continue;
            }
            if s.len() != SHARE_LEN || b.len() != SHARE_LEN {
                return Err(SecaggError::InvalidParameter("a share has an unexpected length".into()));
            }
            let mut pt = Zeroizing::new(Vec::with_capacity(2 * SHARE_LEN));
            pt.extend_from_slice(&s);
            pt.extend_from_slice(&b);
            let shared = self.c_sk.diffie_hellman(&PublicKey::from(*c_pk));
            // A low-order public key makes the agreement a value anyone knows.
            if !shared.was_contributory() {
                return Err(SecaggError::Protocol(format!(
                    "the key list gives client {peer} a low-order key"
                )));
            }
            let dh = Zeroizing::new(*shared.as_bytes());
            let dir = Direction { session: &self.session, from: self.id, to: *peer, round: SHARE_ROUND };
            ciphertexts.push((*peer, seal(&dh, &dir, &pt)?));
            // The agreement is symmetric; the peer's shares to us open under the key of
            // the other direction, derived from the same agreement in round 2.
            self.enc_keys.insert(*peer, dh);
        }
        self.keys = keys.into_iter().map(|(id, c, s)| (id, (c, s))).collect();
        self.round = Round::Shared;
        Ok(Message::ShareKeys { session: self.session, ciphertexts })
    }

    /// Round 2: decrypts the shares sent to us and returns the masked input.
    pub fn on_ciphertexts(
        &mut self,
        session: [u8; 32],
        ciphertexts: Vec<(u32, Vec<u8>)>,
    ) -> Result<Message, SecaggError> {
        if self.round != Round::Shared {
            return Err(proto("ciphertexts arrived out of order"));
        }
        if session != self.session {
            return Err(proto("ciphertexts belong to another session"));
        }
        let mut u2 = BTreeSet::from([self.id]);
        for (from, ct) in &ciphertexts {
            let Some(key) = self.enc_keys.get(from) else {
                return Err(proto("a ciphertext comes from a client outside the session"));
            };
            if !u2.insert(*from) {
                return Err(proto("two ciphertexts come from the same client"));
            }
            if ct.len() != SHARE_CIPHERTEXT_LEN {
                return Err(SecaggError::Malformed(format!(
                    "the share ciphertext from client {from} has the wrong length"
                )));
            }
            let dir = Direction { session: &self.session, from: *from, to: self.id, round: SHARE_ROUND };
            let pt = open(key, &dir, ct)?;
            let (s, b) = pt.split_at(SHARE_LEN); // pt.len() == 2 * SHARE_LEN (checked above)
            let s = Zeroizing::new(s.to_vec());
            let b = Zeroizing::new(b.to_vec());
            // Check both decode as shares now, so a bad one fails here, not later.
            Share::<Fp61>::from_bytes(&s)?;
            Share::<Fp61>::from_bytes(&b)?;
            self.received.insert(*from, (s, b));
        }
        if u2.len() < self.config.threshold as usize {
            return Err(SecaggError::TooManyDropouts {
                round: 1,
                alive: u2.len(),
                threshold: self.config.threshold as usize,
            });
        }
        let m = self.config.modulus;
        let mut y: Vec<u64> = self.input.to_vec();
        apply_mask(&mut y, &self_seed(&self.session, &self.b), m, Sign::Add);
        for &peer in &u2 {
            if peer == self.id {
                continue;
            }
            let (_, s_pk) = self.keys[&peer]; // u2 is a subset of the key list
            let dh = self.s_sk.diffie_hellman(&PublicKey::from(s_pk));
            if !dh.was_contributory() {
                return Err(SecaggError::Protocol(format!("client {peer} has a low-order mask key")));
            }
            let sign = if self.id < peer { Sign::Add } else { Sign::Sub };
            apply_mask(&mut y, &pairwise_seed(&self.session, dh.as_bytes()), m, sign);
        }
        self.enc_keys.clear();
        self.u2 = u2;
        self.round = Round::Masked;
        Ok(Message::MaskedInput { session: self.session, values: y })
    }

    /// Round 3: reveals, for each round-1 client, the share of `b` (survivor) or of
    /// `s^SK` (dropped), never both; answers once.
    pub fn on_survivors(&mut self, session: [u8; 32], ids: Vec<u32>) -> Result<Message, SecaggError> {
        if self.round != Round::Masked {
            return Err(proto("the survivor list arrived out of order or a second time"));
        }
        if session != self.session {
            return Err(proto("the survivor list belongs to another session"));
        }
        if ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(proto("the survivor list is not sorted and distinct"));
        }
        let u3: BTreeSet<u32> = ids.into_iter().collect();
        if !u3.is_subset(&self.u2) || !u3.contains(&self.id) {
            return Err(proto("the survivor list names clients that did not share keys"));
        }
        if u3.len() < self.config.threshold as usize {
            return Err(SecaggError::TooManyDropouts {
                round: 2,
                alive: u3.len(),
                threshold: self.config.threshold as usize,
            });
        }
        self.round = Round::Unmasked;
        let mut shares = Vec::with_capacity(self.u2.len());
        for &peer in &self.u2 {
            let (s, b) = if peer == self.id {
                let (s, b) = self.own.as_ref().ok_or_else(|| proto("no own shares"))?;
                (s.as_slice(), b.as_slice())
            } else {
                let (s, b) = &self.received[&peer]; // every u2 member other than us sent shares
                (s.as_slice(), b.as_slice())
            };
            if u3.contains(&peer) {
                shares.push((peer, ShareKind::SelfMask, b.to_vec()));
            } else {
                shares.push((peer, ShareKind::MaskKey, s.to_vec()));
            }
        }
        Ok(Message::UnmaskShares { session: self.session, shares })
    }
}
