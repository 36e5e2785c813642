//! The server of secure aggregation as a sans-IO state machine.
//!
//! The server collects each round's messages with `receive`, then closes the round
//! with the matching `finish_*` method, which fails with
//! [`SecaggError::TooManyDropouts`] if fewer than `threshold` clients answered.
//! Masked inputs are added into one running sum on arrival; [`Server::finish`]
//! reconstructs only the self-mask seeds of survivors and the mask keys of dropped
//! clients (checking each key against its advertised public key) and removes their
//! masks from the sum. No method reconstructs or returns an individual input.
//!
//! The secrets are reconstructed together ([`recover::reconstruct_many`]: Lagrange
//! coefficients once per set of x-coordinates, extra shares checked by one random
//! linear combination drawn from the OS generator), and masks are removed in place
//! ([`apply_mask`]).

use std::collections::{BTreeMap, BTreeSet};

use rand_core::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};

use super::client::{pairwise_seed, self_seed, session_id};
use super::crypto::{apply_mask, field_to_secret, Sign, SHARE_CIPHERTEXT_LEN, SHARE_LEN};
use super::msg::{Message, ShareKind};
use super::{recover, Config, SecaggError};
use crate::shamir::{Fp61, Share};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Round {
    Keys,
    Shares,
    Masked,
    Unmask,
    Done,
}

/// The server.
#[derive(Debug)]
pub struct Server {
    config: Config,
    round: Round,
    keys: BTreeMap<u32, ([u8; 32], [u8; 32])>,
    session: [u8; 32],
    /// Round 1: ciphertexts by receiver, as (sender, ciphertext).
    mailbox: BTreeMap<u32, Vec<(u32, Vec<u8>)>>,
    u2: BTreeSet<u32>,
    u3: BTreeSet<u32>,
    sum: Vec<u64>,
    /// Round 3: per client the shares received about it.
    shares: BTreeMap<u32, Vec<Share<Fp61>>>,
    u5: BTreeSet<u32>,
}

fn proto(msg: String) -> SecaggError {
    SecaggError::Protocol(msg)
}

impl Server {
    /// A server for `config`.
    pub fn new(config: Config) -> Server {
        Server {
            config,
            round: Round::Keys,
            keys: BTreeMap::new(),
            session: [0; 32],
            mailbox: BTreeMap::new(),
            u2: BTreeSet::new(),
            u3: BTreeSet::new(),
            sum: vec![0; config.dim as usize],
            shares: BTreeMap::new(),
            u5: BTreeSet::new(),
        }
    }

    /// The session parameters.
    pub fn config(&self) -> Config {
        self.config
    }

    /// The session id (zero before the key list is out).
    pub fn session(&self) -> [u8; 32] {
        self.session
    }

    fn check_session(&self, session: &[u8; 32], from: u32) -> Result<(), SecaggError> {
        if *session != self.session {
            return Err(proto(format!("client {from} sent a message for another session")));
        }
        Ok(())
    }

    fn enough(&self, round: u8, alive: usize) -> Result<(), SecaggError> {
        let threshold = self.config.threshold as usize;
        if alive < threshold {
            return Err(SecaggError::TooManyDropouts { round, alive, threshold });
        }
        Ok(())
    }

    /// Accepts one client message for the current round.
    pub fn receive(&mut self, from: u32, msg: Message) -> Result<(), SecaggError> {
        if from >= self.config.clients {
            return Err(proto(format!("client id {from} is out of range")));
        }
        match (self.round, msg) {
            (Round::Keys, Message::AdvertiseKeys { c_pk, s_pk }) => {
                if self.keys.contains_key(&from) {
                    return Err(proto(format!("client {from} advertised keys twice")));
                }
                self.keys.insert(from, (c_pk, s_pk));
            }
            (Round::Shares, Message::ShareKeys { session, ciphertexts }) => {
                self.check_session(&session, from)?;
                if !self.keys.contains_key(&from) {
                    return Err(proto(format!("client {from} did not advertise keys")));
                }
                if self.u2.contains(&from) {
                    return Err(proto(format!("client {from} sent its shares twice")));
                }
                let mut to: BTreeSet<u32> = BTreeSet::new();
                for (v, ct) in &ciphertexts {
                    if *v == from || !self.keys.contains_key(v) || !to.insert(*v) {
                        return Err(proto(format!("client {from} addressed shares wrongly")));
                    }
                    if ct.len() != SHARE_CIPHERTEXT_LEN {
                        return Err(proto(format!(
                            "client {from} sent a share ciphertext of the wrong length"
                        )));
                    }
                }
                if to.len() != self.keys.len() - 1 {
                    return Err(proto(format!("client {from} did not share with every client")));
                }
                for (v, ct) in ciphertexts {
                    self.mailbox.entry(v).or_default().push((from, ct));
                }
                self.u2.insert(from);
            }
            (Round::Masked, Message::MaskedInput { session, values }) => {
                self.check_session(&session, from)?;
                if !self.u2.contains(&from) {
                    return Err(proto(format!("client {from} sent a masked input without sharing keys")));
                }
                if self.u3.contains(&from) {
                    return Err(proto(format!("client {from} sent its masked input twice")));
                }
                let m = self.config.modulus;
                if values.len() != self.sum.len() || values.iter().any(|&v| !m.contains(v)) {
                    return Err(proto(format!("client {from} sent a masked input of the wrong shape")));
                }
                for (s, v) in self.sum.iter_mut().zip(&values) {
                    *s = m.add(*s, *v);
                }
                self.u3.insert(from);
            }
            (Round::Unmask, Message::UnmaskShares { session, shares }) => {
                self.check_session(&session, from)?;
                if !self.u3.contains(&from) {
                    return Err(proto(format!("client {from} is not a survivor")));
                }
                if self.u5.contains(&from) {
                    return Err(proto(format!("client {from} sent its unmasking shares twice")));
                }
                let mut about_seen = BTreeSet::new();
                let mut parsed = Vec::with_capacity(shares.len());
                for (about, kind, bytes) in shares {
                    let want =
                        if self.u3.contains(&about) { ShareKind::SelfMask } else { ShareKind::MaskKey };
                    if !self.u2.contains(&about) || kind != want || !about_seen.insert(about) {
                        return Err(proto(format!("client {from} sent an unexpected share")));
                    }
                    if bytes.len() != SHARE_LEN {
                        return Err(proto(format!("client {from} sent a share of the wrong length")));
                    }
                    parsed.push((about, Share::<Fp61>::from_bytes(&bytes)?));
                }
                if about_seen.len() != self.u2.len() {
                    return Err(proto(format!("client {from} did not send a share for every client")));
                }
                for (about, share) in parsed {
                    self.shares.entry(about).or_default().push(share);
                }
                self.u5.insert(from);
            }
            (round, msg) => {
                return Err(proto(format!("client {from} sent {} during round {round:?}", msg.name())));
            }
        }
        Ok(())
    }

    /// Ends round 0: the key list to broadcast.
    pub fn finish_keys(&mut self) -> Result<Message, SecaggError> {
        self.expect(Round::Keys)?;
        self.enough(0, self.keys.len())?;
        let keys: Vec<(u32, [u8; 32], [u8; 32])> =
            self.keys.iter().map(|(&id, &(c, s))| (id, c, s)).collect();
        self.session = session_id(&self.config, &keys);
        self.round = Round::Shares;
        Ok(Message::KeyList { keys })
    }

    /// Ends round 1: for each client that shared, the ciphertexts addressed to it
    /// (from the other clients that shared).
    pub fn finish_shares(&mut self) -> Result<BTreeMap<u32, Message>, SecaggError> {
        self.expect(Round::Shares)?;
        self.enough(1, self.u2.len())?;
        let mut out = BTreeMap::new();
        let mailbox = std::mem::take(&mut self.mailbox);
        for &v in &self.u2 {
            let ciphertexts: Vec<(u32, Vec<u8>)> = mailbox
                .get(&v)
                .map(|l| l.iter().filter(|(u, _)| self.u2.contains(u)).cloned().collect())
                .unwrap_or_default();
            out.insert(v, Message::Ciphertexts { session: self.session, ciphertexts });
        }
        self.round = Round::Masked;
        Ok(out)
    }

    /// Ends round 2: the survivor list to send to the survivors.
    pub fn finish_masked(&mut self) -> Result<Message, SecaggError> {
        self.expect(Round::Masked)?;
        self.enough(2, self.u3.len())?;
        self.round = Round::Unmask;
        Ok(Message::Survivors { session: self.session, ids: self.u3.iter().copied().collect() })
    }

    /// The clients whose masked input is in the sum (known after round 2).
    pub fn survivors(&self) -> Vec<u32> {
        self.u3.iter().copied().collect()
    }

    /// Ends round 3: removes the masks and returns the sum of the survivors' inputs.
    pub fn finish(&mut self) -> Result<Vec<u64>, SecaggError> {
        self.expect(Round::Unmask)?;
        self.enough(3, self.u5.len())?;
        let m = self.config.modulus;
        let mut sum = self.sum.clone();
        // Every u5 client sent a share about every u2 client, so the lists share one
        // set of x-coordinates and one Lagrange plan (see `recover`).
        let lists: Vec<Vec<Share<Fp61>>> =
            self.u2.iter().map(|u| self.shares.get(u).cloned().unwrap_or_default()).collect();
        let secrets = recover::reconstruct_many(&lists, &mut OsRng)?;
        drop(lists);
        for (&u, elems) in self.u2.iter().zip(&secrets) {
            let secret = field_to_secret(elems)?;
            if self.u3.contains(&u) {
                apply_mask(&mut sum, &self_seed(&self.session, &secret), m, Sign::Sub);
            } else {
                let sk = StaticSecret::from(*secret);
                let (_, s_pk) = self.keys[&u]; // u2 is a subset of the advertised keys
                if PublicKey::from(&sk).to_bytes() != s_pk {
                    return Err(proto(format!("the reconstructed mask key of client {u} is wrong")));
                }
                for &v in &self.u3 {
                    let (_, v_pk) = self.keys[&v];
                    let dh = sk.diffie_hellman(&PublicKey::from(v_pk));
                    // v added +mask if v < u and -mask if v > u; undo it.
                    let sign = if v < u { Sign::Sub } else { Sign::Add };
                    apply_mask(&mut sum, &pairwise_seed(&self.session, dh.as_bytes()), m, sign);
                }
            }
        }
        self.round = Round::Done;
        Ok(sum)
    }

    fn expect(&self, round: Round) -> Result<(), SecaggError> {
        if self.round != round {
            return Err(proto(format!("the server is in round {:?}, not {round:?}", self.round)));
        }
        Ok(())
    }
}
