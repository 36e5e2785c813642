//! The preprocessing's pipeline after the KOS sessions are set up: authenticated bits
//! by KOS batches both ways at once ([`Round`]), and the triples of each piece (leaky
//! ANDs and equality check; for a piece that ends its pool, then the pool's coin toss
//! and bucketing: [`Lane`]), the triples of piece `c` in the same slots as the KOS
//! round of piece `c + 1`.
//!
//! A *slot* is one exchange ([`Machine::exchange_each`]: the garbler's half first, the
//! evaluator's once the garbler's is in), its half the messages of the KOS round and
//! then those of the triples lane; a slot in which the peer sends nothing is this
//! party's half alone. So no two messages cross, and the drivers (one thread, blocking
//! sends, bounded socket buffers) cannot deadlock: a party moves past slot `t` only
//! once the peer's half of `t` (if any) is wholly in, so while one party sends its half
//! of slot `t`, the peer has finished sending every earlier half and sends nothing of
//! slot `t` (or later) before it has read this one; every send is read.
//!
//! While a party waits for the peer's half of a slot it does what needs nothing more
//! of the peer's ([`Machine::meanwhile`]): it extends its own batch of the next slot,
//! extends the peer's batches it has challenged, and checks and combines a finished
//! pool's bucketing. The messages are the same;
//! the garbler, whose work between the evaluator's half and its own next half is on
//! every slot's critical path, does less of it there.
//!
//! A *stage* is the KOS round of one piece next to the lane of the piece before; it
//! ends when both have; the first stage is the first round (the wire masks and the
//! first piece) alone, the last the last piece's lane alone.
//!
//! *Pools* ([`crate::bucket`]): consecutive pieces bucketed together. Once a piece's
//! equality check passed, its layer 0 is appended to the kept triples (the pool's
//! output positions) and its layers `1..B` to the pool's ([`Making`]'s `pool`), while
//! this party next waits (or at the latest when its pool's bucketing opens); the lane
//! of a piece that does not end its pool ends at the check. The lane of a piece that
//! ends its pool goes on with the pool's coin toss, one shift per layer from it, the
//! `d` openings of every layer against the pool's layer 0 and, once the peer's are
//! in, their checks and the fold ([`bucket::combine`]).
//!
//! Invariants: each check comes before anything that depends on it, exactly as in the
//! protocol run one step after another: a KOS batch's keys are released only by its
//! checked proof, a challenge is drawn only once its batch is in; the evaluator sends
//! its equality digest only once the garbler's commitment is in, the garbler opens it
//! only after its check; each party reveals its coin only after its own equality checks
//! of every piece of the pool (pieces run in order: a pool's earlier pieces were checked
//! in earlier stages) and after the garbler's coin commitment is in; the shifts come
//! from the coin toss after every leaky triple of the pool was fixed and checked; and a
//! pool's output triples are final only after the peer's bucketing openings passed (no
//! message depends on them; every pool is settled before the preprocessing ends). The
//! next pool's leaky triples are made in later stages, after this pool's coin toss,
//! with their own checks and coin toss. Memory: the current pool's leaky layers `1..B`
//! (its layer 0 already in place among the kept triples), one piece's leaky-AND
//! buffers and the next piece's KOS batches at a time, besides what is kept.

use std::collections::VecDeque;

use mpc_crypto::Block;
use mpc_ot::kos;
use rand_core::{CryptoRng, RngCore};

use super::{internal, making, ot, seed, Machine, Piece, Stage, COIN, EQUAL};
use crate::bucket::{self, Triples};
use crate::error::{AuthError, Result};
use crate::feq;
use crate::leaky_and::{Layer, Partial};
use crate::message::{Expect, Message};
use crate::protocol::phase;
use crate::shares::AuthShares;
use crate::Role;

/// A round of KOS batches both ways at once: each party extends its own batches
/// (its bits, MACed under the peer's `Delta`) as the KOS receiver while it takes the
/// peer's as the sender. In slot `k` each party sends its batch `k`, its challenge of
/// the peer's batch `k - 1` and its proof for its own batch `k - 2` (whichever exist),
/// so that between two slots both parties have the same work: one batch of each kind.
/// Batch `i` of both directions makes share vector `i`: the wire masks first (first
/// round), then `a, b, r` of each leaky-AND layer of the piece.
pub(super) struct Round {
    /// Whether the first batch is the wire masks (the first round).
    masks: bool,
    /// The piece whose layers follow, if any.
    piece: Option<Piece>,
    /// OTs per batch (the same both ways).
    sizes: Vec<usize>,
    /// The slot to exchange next (`0..sizes.len() + 2`).
    slot: usize,
    /// My batches awaiting the peer's challenge, oldest first.
    challenged: VecDeque<(Vec<bool>, kos::PendingReceiver)>,
    /// The peer's batches awaiting its proof, oldest first (the older ones extended).
    proved: VecDeque<Proved>,
    /// My batches' bits and MACs (answered), the peer's batches' keys (checked).
    macs: Vec<(Vec<bool>, Vec<Block>)>,
    keys: Vec<Vec<Block>>,
    /// My challenge and proof for the next slot (made from the peer's last half).
    ready: Vec<Message>,
    /// My next batch, extended ahead (see [`Machine::meanwhile`]): its index, bits,
    /// message and pending state.
    ahead: Option<Ahead>,
    /// How many of my batches were extended (in this slot's half or ahead).
    extended: usize,
}

/// A batch of the peer's: challenged, and extended once this party has time for it
/// (in the order taken; at the latest when its proof is in).
enum Proved {
    Taken(kos::Unextended),
    Extended(kos::PendingSender),
    Moving,
}

/// A batch of mine extended before its slot.
struct Ahead {
    batch: usize,
    bits: Vec<bool>,
    ext: Message,
    pending: kos::PendingReceiver,
}

impl Round {
    fn new(masks: Option<usize>, piece: Option<Piece>, layers: usize) -> Box<Round> {
        let mut sizes: Vec<usize> = masks.into_iter().collect();
        if let Some(p) = piece {
            sizes.extend(core::iter::repeat_n(p.n, 3 * layers));
        }
        Box::new(Round {
            masks: masks.is_some(),
            piece,
            slot: 0,
            challenged: VecDeque::new(),
            proved: VecDeque::new(),
            macs: Vec::with_capacity(sizes.len()),
            keys: Vec::with_capacity(sizes.len()),
            ready: Vec::new(),
            ahead: None,
            extended: 0,
            sizes,
        })
    }

    /// Whether every batch was answered and checked.
    fn done(&self) -> bool {
        self.slot == self.sizes.len() + 2
    }

    /// The messages of either party's half of the current slot, in order.
    fn expects(&self) -> Vec<Expect> {
        let (k, n) = (self.slot, self.sizes.len());
        let mut e = Vec::with_capacity(3);
        if let Some(&ots) = self.sizes.get(k) {
            e.push(Expect::OtExtend { ots: ots + kos::CHECK_OTS });
        }
        if (1..=n).contains(&k) {
            e.push(Expect::KosChallenge);
        }
        if (2..=n + 1).contains(&k) {
            e.push(Expect::KosProof);
        }
        e
    }
}

/// The round's authenticated bits once done: the wire masks (first round) and the
/// piece's share vectors.
struct Authenticated {
    masks: Option<AuthShares>,
    piece: Option<Piece>,
    parts: Vec<AuthShares>,
}

/// The triples of one piece in slots (G garbler, E evaluator; `t` the lane's slot):
///
/// ```text
/// t  G sends                           E sends
/// 0  LeakyTables x B                   LeakyTables x B
/// 1  LeakyBits x B                     LeakyBits x B
/// 2  Commitment (equality)             Value (its digest)
/// 3  Opening (equality)                                       (the lane ends here,
///                                                             or if the piece ends
///                                                             its pool:)
/// 3  Opening (equality), Commitment (coin)
/// 4                                    Value (its coin)
/// 5  Opening (coin)
/// 6  BucketOpening x (B - 1)           BucketOpening x (B - 1)  (L bits each: the
///                                                               whole pool's)
/// ```
///
/// (The garbler holds the coin toss's seed from slot 4 on but opens its `d`s with the
/// evaluator, after slot 5, so both do that work between the same two slots.)
///
/// For a lane alone these are the messages of the protocol run one step after
/// another, in the same order.
pub(super) struct Lane {
    /// Triples of the piece.
    n: usize,
    /// Whether the piece ends its pool.
    ends_pool: bool,
    state: LaneState,
    /// My half of the next slot, and the peer's.
    out: Vec<Message>,
    expects: Vec<Expect>,
}

enum LaneState {
    Tables {
        layers: Vec<Layer>,
        partials: Vec<Partial>,
    },
    Bits {
        layers: Vec<Layer>,
        s: Vec<Vec<Block>>,
    },
    /// Garbler: committed to its digest, the evaluator's comes.
    GbEqual {
        state: feq::Committed,
        digest: [u8; 32],
        layers: Vec<Triples>,
    },
    /// Garbler: equality opened in this slot; the piece does not end its pool.
    GbOpened,
    /// Garbler: equality opened and coin committed in this slot.
    GbCoin {
        mine: [u8; 32],
        state: feq::Committed,
    },
    /// Garbler: the evaluator's coin comes.
    GbCoinValue {
        mine: [u8; 32],
        state: feq::Committed,
    },
    /// Garbler: its coin opened in this slot.
    GbSeed {
        seed: Block,
    },
    /// Evaluator: its digest sent, the garbler's commitment comes.
    EvEqual {
        digest: [u8; 32],
        layers: Vec<Triples>,
    },
    /// Evaluator: the garbler's opening (and coin commitment, if the piece ends its
    /// pool) come.
    EvEqualOpen {
        digest: [u8; 32],
        com: [u8; 32],
        layers: Vec<Triples>,
    },
    /// Evaluator: its coin sent in this slot.
    EvCoin {
        mine: [u8; 32],
        com: [u8; 32],
    },
    /// Evaluator: the garbler's coin opening comes.
    EvCoinOpen {
        mine: [u8; 32],
        com: [u8; 32],
    },
    /// Either: the bucketing openings exchanged in this slot.
    Combine {
        buckets: Buckets,
    },
    Moving,
}

/// What became of a lane after the peer's half of a slot.
enum LaneEnd {
    /// It goes on.
    Going,
    /// It ended (a piece that does not end its pool: checked, kept in the pool).
    Done,
    /// Its pool's layers and the peer's bucketing openings, to check and combine.
    Bucketed(Box<(Buckets, Vec<Vec<u8>>)>),
}

/// A pool's layers being bucketed: the pool is the kept triples `at .. at + n` (its
/// layer 0), `d` of every other layer (as its pieces) against them, opened.
struct Buckets {
    at: usize,
    n: usize,
    rest: Vec<Vec<Triples>>,
    /// Per layer of `rest`: its shift and my bits of `d`.
    opened: Vec<(usize, Vec<bool>)>,
}

/// The pipeline in one stage.
pub(super) struct Pipeline {
    kos: Option<Box<Round>>,
    lane: Option<Box<Lane>>,
    /// The KOS round's bits once it is done, until the stage ends.
    bits: Option<Authenticated>,
    /// How many of the peer's messages of this slot are the KOS round's, and how many
    /// in all.
    kos_expects: usize,
    want: usize,
    /// The peer's messages of the slot in progress.
    peer: Vec<Message>,
    /// A finished pool's layers and the peer's bucketing openings, to check and
    /// combine while this party waits (see [`Machine::meanwhile`]).
    unbucketed: Option<Box<(Buckets, Vec<Vec<u8>>)>>,
}

impl<R: RngCore + CryptoRng> Machine<'_, R> {
    /// Both KOS sessions exist: the first stage, the first round of batches (the wire
    /// masks and the first piece's layers).
    pub(super) fn first_round(&mut self) -> Result<Stage> {
        let m = making(&mut self.pre)?;
        let piece = m.pieces.pop_front();
        let round = Round::new(Some(m.plan.n_masks), piece, m.plan.b_size);
        self.slot(Box::new(Pipeline {
            kos: Some(round),
            lane: None,
            bits: None,
            kos_expects: 0,
            want: 0,
            peer: Vec::new(),
            unbucketed: None,
        }))
    }

    /// The next slot: my half made and sent (or deferred, see `exchange_each`); a
    /// slot in which the peer sends nothing is processed at once. At the end of a
    /// stage, the next one.
    fn slot(&mut self, mut p: Box<Pipeline>) -> Result<Stage> {
        loop {
            if let Some(round) = p.kos.take_if(|r| r.done()) {
                p.bits = Some(authenticated(*round)?);
            }
            if p.kos.is_none() && p.lane.is_none() {
                return self.stage_end(p);
            }
            let mut mine = Vec::with_capacity(3);
            let mut expects = Vec::new();
            if let Some(round) = p.kos.as_mut() {
                mine.extend(self.kos_half(round)?);
                expects = round.expects();
            }
            p.kos_expects = expects.len();
            if let Some(lane) = p.lane.as_mut() {
                mine.append(&mut lane.out);
                expects.append(&mut lane.expects);
            }
            if expects.is_empty() {
                mine.into_iter().for_each(|m| self.send(m));
                self.take(&mut p, Vec::new())?;
                continue;
            }
            p.want = expects.len();
            self.exchange_each(mine, expects);
            return Ok(Stage::Pipeline(p));
        }
    }

    /// One of the peer's messages of the slot; once its half is whole, the slot is
    /// processed and the next one started.
    pub(super) fn pipeline_receive(&mut self, mut p: Box<Pipeline>, msg: Message) -> Result<Stage> {
        p.peer.push(msg);
        if p.peer.len() < p.want {
            return Ok(Stage::Pipeline(p));
        }
        let peer = std::mem::take(&mut p.peer);
        self.take(&mut p, peer)?;
        self.slot(p)
    }

    /// The peer's half of a slot: the KOS round's messages, then the lane's.
    fn take(&mut self, p: &mut Pipeline, mut peer: Vec<Message>) -> Result<()> {
        let lane_part = peer.split_off(p.kos_expects.min(peer.len()));
        if let Some(round) = p.kos.as_mut() {
            self.kos_take(round, peer)?;
        }
        if let Some(mut lane) = p.lane.take() {
            match self.lane_take(&mut lane, lane_part)? {
                LaneEnd::Bucketed(bucketed) => {
                    self.settle(p)?;
                    p.unbucketed = Some(bucketed);
                }
                LaneEnd::Done => {}
                LaneEnd::Going => p.lane = Some(lane),
            }
        }
        Ok(())
    }

    /// Checked pieces placed ([`Machine::place_checked`]), and a finished pool's
    /// bucketing, if one waits: the peer's openings checked and the layers folded into
    /// the pool's output triples.
    fn settle(&mut self, p: &mut Pipeline) -> Result<()> {
        self.place_checked()?;
        if let Some(bucketed) = p.unbucketed.take() {
            let (buckets, peer) = *bucketed;
            let m = making(&mut self.pre)?;
            combine(&m.delta, &mut m.triples, buckets, peer)?;
        }
        Ok(())
    }

    /// My KOS half of the slot: my batch of this slot (extended now, or ahead), after
    /// the challenge and proof made from the peer's last half.
    fn kos_half(&mut self, round: &mut Round) -> Result<Vec<Message>> {
        let mut mine = Vec::with_capacity(3);
        let ahead = round.ahead.take_if(|a| a.batch == round.slot);
        match ahead {
            Some(Ahead { bits, ext, pending, .. }) => {
                mine.push(ext);
                round.challenged.push_back((bits, pending));
            }
            None => {
                if let Some(&n) = round.sizes.get(round.slot) {
                    let (bits, ext, pending) = self.extend_mine(n)?;
                    round.extended += 1;
                    mine.push(ext);
                    round.challenged.push_back((bits, pending));
                }
            }
        }
        mine.append(&mut round.ready);
        Ok(mine)
    }

    /// A batch of `n` random bits of mine, extended (the KOS receiver's side).
    fn extend_mine(&mut self, n: usize) -> Result<(Vec<bool>, Message, kos::PendingReceiver)> {
        let receiver = making(&mut self.pre)?.mine.as_mut().ok_or_else(|| internal("no receiver session"))?;
        let (bits, ext, pending) = receiver.extend_random(&mut self.rng, n).map_err(ot)?;
        Ok((bits, Message::OtExtend(ext), pending))
    }

    /// While this party waits for the peer's half of a slot (its own half sent, see
    /// [`Machine::next_step`]), the work that needs nothing more of the peer's: a
    /// finished lane's bucketing ([`Machine::settle`]), the peer's batches challenged
    /// in the last slot extended (in order; a batch still taken when its proof comes is
    /// extended then), and my batch of the next slot extended ahead, if the round has
    /// one. None moves a check before what it guards: no message depends on a pool's
    /// triples (they are settled before the preprocessing ends), a batch's challenge
    /// is drawn once it is in and its keys come only from its checked proof, and my
    /// batch takes nothing from the peer (my random bits under my receiver session,
    /// whose batches are extended in order either way). It takes this work off the
    /// slots' critical path: the garbler did it between the evaluator's half and its
    /// own next half, while the evaluator waited.
    pub(super) fn meanwhile(&mut self, p: &mut Pipeline) -> Result<()> {
        self.settle(p)?;
        let Some(round) = p.kos.as_mut() else { return Ok(()) };
        for batch in round.proved.iter_mut() {
            if let Proved::Taken(_) = batch {
                let Proved::Taken(taken) = std::mem::replace(batch, Proved::Moving) else {
                    return Err(internal("a batch moved out"));
                };
                *batch = Proved::Extended(theirs_session(making(&mut self.pre)?)?.finish(taken).map_err(ot)?);
            }
        }
        // Only the batch right after this slot's (which is extended, or does not exist).
        let batch = round.slot + 1;
        if round.ahead.is_some() || round.extended != batch {
            return Ok(());
        }
        let Some(&n) = round.sizes.get(batch) else { return Ok(()) };
        let (bits, ext, pending) = self.extend_mine(n)?;
        round.extended += 1;
        round.ahead = Some(Ahead { batch, bits, ext, pending });
        Ok(())
    }

    /// The peer's KOS half of the slot: its proof checked (the keys of its batch
    /// `k - 2` released only then), its challenge of my batch `k - 1` answered, its
    /// batch `k` taken (my challenge drawn after it is in).
    fn kos_take(&mut self, round: &mut Round, peer: Vec<Message>) -> Result<()> {
        let m = making(&mut self.pre)?;
        let (mut challenge, mut proof) = (None, None);
        for msg in peer {
            match msg {
                Message::OtExtend(ext) => {
                    let n = *round.sizes.get(round.slot).ok_or_else(|| internal("a batch too many"))?;
                    let theirs = theirs_session(m)?;
                    // The challenge now; the batch's extension once my next half is out
                    // (see `meanwhile`).
                    let (c, taken) = theirs.challenge(&mut self.rng, n, ext).map_err(ot)?;
                    round.proved.push_back(Proved::Taken(taken));
                    challenge = Some(Message::KosChallenge(c));
                }
                Message::KosChallenge(c) => {
                    let (bits, pending) =
                        round.challenged.pop_front().ok_or_else(|| internal("a challenge too many"))?;
                    let (p, macs) = pending.respond(&c);
                    round.macs.push((bits, macs));
                    proof = Some(Message::KosProof(p));
                }
                Message::KosProof(p) => {
                    let pending = match round.proved.pop_front() {
                        Some(Proved::Extended(pending)) => pending,
                        Some(Proved::Taken(taken)) => theirs_session(m)?.finish(taken).map_err(ot)?,
                        Some(Proved::Moving) | None => return Err(internal("a proof too many")),
                    };
                    round.keys.push(pending.verify(&p).map_err(ot)?);
                }
                other => return Err(internal(&format!("a {} message in a KOS slot", other.name()))),
            }
        }
        round.ready.extend(challenge);
        round.ready.extend(proof);
        round.slot += 1;
        Ok(())
    }

    /// Both halves of a stage are done: keep the wire masks (first round), and start
    /// the next stage: the done round's piece's lane (its leaky-AND tables) next to the
    /// next piece's KOS round; or end the preprocessing.
    fn stage_end(&mut self, mut p: Box<Pipeline>) -> Result<Stage> {
        let mut lane = None;
        if let Some(Authenticated { masks, piece, parts }) = p.bits.take() {
            if let Some(masks) = masks {
                making(&mut self.pre)?.masks = masks;
                self.phase(phase::AUTHENTICATED_BITS);
            }
            if let Some(piece) = piece {
                lane = Some(self.lane(piece, parts)?);
            }
        }
        let m = making(&mut self.pre)?;
        let kos = m.pieces.pop_front().map(|piece| Round::new(None, Some(piece), m.plan.b_size));
        if kos.is_none() && lane.is_none() {
            self.settle(&mut p)?;
            return self.preprocessed();
        }
        p.kos = kos;
        p.lane = lane;
        self.slot(p)
    }

    /// A piece's lane: its layers of authenticated bits and their leaky-AND tables
    /// (the layers are independent: all their tables in one slot, then all bits).
    fn lane(&mut self, piece: Piece, parts: Vec<AuthShares>) -> Result<Box<Lane>> {
        let Piece { n, ends_pool } = piece;
        let role = self.role;
        let m = making(&mut self.pre)?;
        let mut layers = Vec::with_capacity(m.plan.b_size);
        let mut parts = parts.into_iter();
        while let (Some(a), Some(b), Some(r)) = (parts.next(), parts.next(), parts.next()) {
            if a.len() != n || b.len() != n || r.len() != n {
                return Err(AuthError::InvalidArgument(format!(
                    "a leaky-AND layer of other than {n} shares"
                )));
            }
            layers.push(Layer { a, b, r, first_index: m.next_index });
            m.next_index += n as u64;
        }
        let (mut out, mut partials) = (Vec::with_capacity(layers.len()), Vec::with_capacity(layers.len()));
        for l in &layers {
            let (rows, partial) = l.tables(role, &m.delta)?;
            out.push(Message::LeakyTables(rows));
            partials.push(partial);
        }
        let expects = vec![Expect::LeakyTables { n }; layers.len()];
        Ok(Box::new(Lane { n, ends_pool, state: LaneState::Tables { layers, partials }, out, expects }))
    }

    /// The peer's half of a lane slot (see [`Lane`]): the lane moved on, my half of
    /// its next slot made; or it ended: a piece within its pool once checked, a piece
    /// that ends its pool with the pool's layers and the peer's bucketing openings
    /// (checked and combined by [`Machine::settle`]).
    fn lane_take(&mut self, lane: &mut Lane, peer: Vec<Message>) -> Result<LaneEnd> {
        let (role, n, ends_pool) = (self.role, lane.n, lane.ends_pool);
        let delta = making(&mut self.pre)?.delta.clone();
        let state = std::mem::replace(&mut lane.state, LaneState::Moving);
        let mut peer = peer.into_iter();
        let (next, out, expects) = match (state, role) {
            (LaneState::Tables { layers, partials }, _) => {
                let mut s = Vec::with_capacity(layers.len());
                let mut bits = Vec::with_capacity(layers.len());
                // Each peer table is dropped once evaluated (not all at the end).
                for ((layer, partial), msg) in layers.iter().zip(partials).zip(peer) {
                    let Message::LeakyTables(t) = msg else { return Err(internal("not leaky-AND tables")) };
                    let (si, b) = layer.evaluate(role, partial, &t)?;
                    s.push(si);
                    bits.push(Message::LeakyBits(b));
                }
                let expects = vec![Expect::LeakyBits { n }; layers.len()];
                (LaneState::Bits { layers, s }, bits, expects)
            }
            (LaneState::Bits { layers, s }, _) => {
                let mut check = crate::feq::EqDigest::new();
                let mut triples = Vec::with_capacity(layers.len());
                for ((layer, s), msg) in layers.into_iter().zip(s).zip(peer) {
                    let Message::LeakyBits(b) = msg else { return Err(internal("not leaky-AND bits")) };
                    triples.push(layer.finish(role, &delta, s, &b, &mut check)?);
                }
                let digest: [u8; 32] = check.finalize();
                // The commit-then-open equality check of the two digests.
                match role {
                    Role::Garbler => {
                        let (state, com) = feq::commit(&mut self.rng, EQUAL, digest);
                        (
                            LaneState::GbEqual { state, digest, layers: triples },
                            vec![Message::Commitment(com)],
                            vec![Expect::Value { what: EQUAL }],
                        )
                    }
                    Role::Evaluator => (
                        LaneState::EvEqual { digest, layers: triples },
                        vec![Message::Value(digest)],
                        vec![Expect::Commitment { what: EQUAL }],
                    ),
                }
            }
            (LaneState::GbEqual { state, digest, layers }, _) => {
                let Some(Message::Value(theirs)) = peer.next() else { return Err(internal("no digest")) };
                if theirs != digest {
                    return Err(AuthError::Equality { what: EQUAL });
                }
                self.piece_checked(layers)?;
                let opening = Message::Opening(state.opening());
                if ends_pool {
                    // The coin toss that picks the pool's shifts (the garbler commits
                    // first), only after the checks of all the pool's pieces.
                    let mut mine = [0u8; 32];
                    self.rng.fill_bytes(&mut mine);
                    let (coin, com) = feq::commit(&mut self.rng, COIN, mine);
                    let out = vec![opening, Message::Commitment(com)];
                    (LaneState::GbCoin { mine, state: coin }, out, Vec::new())
                } else {
                    (LaneState::GbOpened, vec![opening], Vec::new())
                }
            }
            (LaneState::GbOpened, _) => return Ok(LaneEnd::Done),
            (LaneState::GbCoin { mine, state }, _) => {
                (LaneState::GbCoinValue { mine, state }, Vec::new(), vec![Expect::Value { what: COIN }])
            }
            (LaneState::GbCoinValue { mine, state }, _) => {
                let Some(Message::Value(theirs)) = peer.next() else { return Err(internal("no coin")) };
                let seed = seed(&mine, &theirs);
                (LaneState::GbSeed { seed }, vec![Message::Opening(state.opening())], Vec::new())
            }
            (LaneState::GbSeed { seed }, _) => {
                let (buckets, out) = self.open_buckets(seed)?;
                let expects = vec![Expect::BucketOpening { bits: buckets.n }; buckets.rest.len()];
                (LaneState::Combine { buckets }, out, expects)
            }
            (LaneState::Combine { buckets }, _) => {
                let peer = peer.map(bucket_opening).collect::<Result<Vec<_>>>()?;
                return Ok(LaneEnd::Bucketed(Box::new((buckets, peer))));
            }
            (LaneState::EvEqual { digest, layers }, _) => {
                let Some(Message::Commitment(com)) = peer.next() else {
                    return Err(internal("no commitment"));
                };
                let mut expects = vec![Expect::Opening { what: EQUAL }];
                if ends_pool {
                    expects.push(Expect::Commitment { what: COIN });
                }
                (LaneState::EvEqualOpen { digest, com, layers }, Vec::new(), expects)
            }
            (LaneState::EvEqualOpen { digest, com, layers }, _) => {
                let Some(Message::Opening(o)) = peer.next() else { return Err(internal("no opening")) };
                if feq::verify_opening(EQUAL, &com, &o)? != digest {
                    return Err(AuthError::Equality { what: EQUAL });
                }
                self.piece_checked(layers)?;
                if !ends_pool {
                    return Ok(LaneEnd::Done);
                }
                let Some(Message::Commitment(coin)) = peer.next() else {
                    return Err(internal("no coin commitment"));
                };
                // My coin only after my checks of the pool's pieces (and the garbler's
                // commitment).
                let mut mine = [0u8; 32];
                self.rng.fill_bytes(&mut mine);
                (LaneState::EvCoin { mine, com: coin }, vec![Message::Value(mine)], Vec::new())
            }
            (LaneState::EvCoin { mine, com }, _) => {
                (LaneState::EvCoinOpen { mine, com }, Vec::new(), vec![Expect::Opening { what: COIN }])
            }
            (LaneState::EvCoinOpen { mine, com }, _) => {
                let Some(Message::Opening(o)) = peer.next() else { return Err(internal("no coin opening")) };
                let theirs = feq::verify_opening(COIN, &com, &o)?;
                let (buckets, out) = self.open_buckets(seed(&mine, &theirs))?;
                let expects = vec![Expect::BucketOpening { bits: buckets.n }; buckets.rest.len()];
                (LaneState::Combine { buckets }, out, expects)
            }
            (LaneState::Moving, _) => return Err(internal("a lane moved out")),
        };
        lane.state = next;
        lane.out = out;
        lane.expects = expects;
        Ok(LaneEnd::Going)
    }

    /// A piece's leaky triples passed its equality check: kept aside, to be placed
    /// ([`Machine::place_checked`]) while this party waits, not between the peer's half
    /// and mine (copying layer 0 is on that path otherwise).
    fn piece_checked(&mut self, layers: Vec<Triples>) -> Result<()> {
        let m = making(&mut self.pre)?;
        if layers.len() != m.plan.b_size {
            return Err(internal("a piece of another number of layers"));
        }
        m.checked.push(layers);
        Ok(())
    }

    /// The checked pieces placed, in order: each one's layer 0 goes to the kept
    /// triples (the pool's output positions; moved, not copied, for a session of one
    /// piece), its other layers to the pool.
    fn place_checked(&mut self) -> Result<()> {
        let m = making(&mut self.pre)?;
        for layers in std::mem::take(&mut m.checked) {
            let mut layers = layers.into_iter();
            let first = layers.next().ok_or_else(|| internal("a piece without layers"))?;
            if m.triples.is_empty() && m.plan.pools.iter().map(Vec::len).sum::<usize>() == 1 {
                m.triples = first;
            } else {
                if m.triples.is_empty() {
                    m.triples.reserve(m.plan.pools.iter().flatten().sum());
                }
                m.triples.append(first);
            }
            m.pool.resize_with(m.plan.b_size - 1, Vec::new);
            for (pool, layer) in m.pool.iter_mut().zip(layers) {
                pool.push(layer);
            }
        }
        Ok(())
    }

    /// The bucketing of the pool that ends here, with the coin toss's `seed`: a shift
    /// per layer `1..B`, `d` of each such layer against the pool's layer 0 (the kept
    /// triples from `pool_at`, which combining leaves as they are in `b`); the
    /// openings. The next pool starts after this one.
    fn open_buckets(&mut self, seed: Block) -> Result<(Buckets, Vec<Message>)> {
        self.place_checked()?;
        let m = making(&mut self.pre)?;
        let rest = std::mem::take(&mut m.pool);
        let at = m.pool_at;
        let n = m.triples.len() - at;
        m.pool_at = m.triples.len();
        if rest.len() + 1 != m.plan.b_size || n == 0 {
            return Err(internal("a pool of another shape"));
        }
        let mut opened = Vec::with_capacity(rest.len());
        let mut msgs = Vec::with_capacity(rest.len());
        for (l, layer) in rest.iter().enumerate() {
            let s = bucket::shift(seed, l as u64, n);
            let (d, opening) = bucket::open_d(&m.triples, at, layer, s)?;
            opened.push((s, d));
            msgs.push(Message::BucketOpening(opening));
        }
        Ok((Buckets { at, n, rest, opened }, msgs))
    }
}

/// The session in which I am the sender (set up by the bootstrap batch).
fn theirs_session(m: &mut super::Making) -> Result<&mut kos::Sender> {
    m.theirs.as_mut().ok_or_else(|| internal("no sender session"))
}

/// A done round's authenticated bits: batch `i` of both directions is share vector `i`.
fn authenticated(round: Round) -> Result<Authenticated> {
    let Round { masks, piece, macs, keys, .. } = round;
    if macs.len() != keys.len() {
        return Err(internal("a round of KOS batches out of step"));
    }
    let mut parts = macs.into_iter().zip(keys).map(|((bits, macs), keys)| AuthShares { bits, macs, keys });
    let masks = if masks { parts.next() } else { None };
    Ok(Authenticated { masks, piece, parts: parts.collect() })
}

/// The pool's other layers folded into its output triples (`triples` from `at`), after
/// the checks of the peer's openings of `d`; then dropped.
fn combine(
    delta: &mpc_crypto::Delta,
    triples: &mut Triples,
    buckets: Buckets,
    peer: Vec<Vec<u8>>,
) -> Result<()> {
    let Buckets { at, rest, opened, .. } = buckets;
    if peer.len() != rest.len() || opened.len() != rest.len() {
        return Err(internal("bucketing openings out of step"));
    }
    let layers: Vec<bucket::Opened<'_>> = rest
        .iter()
        .zip(&opened)
        .zip(&peer)
        .map(|((pieces, (shift, mine)), peer)| bucket::Opened { pieces, shift: *shift, mine, peer })
        .collect();
    bucket::combine(delta, triples, at, &layers)
}

fn bucket_opening(msg: Message) -> Result<Vec<u8>> {
    match msg {
        Message::BucketOpening(o) => Ok(o),
        other => Err(internal(&format!("a {} message among bucketing openings", other.name()))),
    }
}
