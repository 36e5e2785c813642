//! Two-party authenticated garbling of a [`Circuit`] (WRK17, "Authenticated Garbling
//! and Efficient Maliciously Secure Two-Party Computation", CCS 2017, section 3, with
//! the 4-row tables of its Figure 2), secure against a malicious garbler or evaluator.
//!
//! # Phases (both parties; `exchange` = garbler sends then receives, evaluator the reverse)
//! 1. **Authenticated bits** ([`mpc_ot::kos`], one session per direction, from one set
//!    of base OTs: the reverse session is bootstrapped from the first, see
//!    [`mpc_ot::kos`]): each party's random bits MACed under the peer's `Delta`
//!    ([`crate::pin_delta`]).
//! 2. **Wire masks**: a fresh authenticated share `<lambda_w>` for every input wire and
//!    every AND output; XOR/INV/copy/constant wires get theirs by local operations
//!    (INV and constants XOR a public bit).
//! 3. **AND triples** ([`crate::leaky_and`], one equality check, a coin toss,
//!    [`crate::bucket`]); per AND gate `(alpha, beta, gamma)` the share
//!    `<lambda_sigma> = <lambda_alpha lambda_beta>` by Beaver's trick (two MAC-checked
//!    openings).
//! 4. **Inputs**: for the garbler's input wires the evaluator opens its mask share (the
//!    garbler checks the MAC), the garbler sends `z^ = x ^ lambda` and the label
//!    `L_{w,z^}`; for the evaluator's the garbler opens its share, and the evaluator gets
//!    `L_{w,z^}` by KOS-checked correlated OT under `Delta_A` (whose zero-labels become
//!    the garbler's `L_{w,0}`). A masked value `z^` is uniform to the garbler, so no
//!    selective failure on these OTs depends on the evaluator's input.
//! 5. **Garbled tables**: for each AND gate and row `(i, j)` (the masked input values),
//!    `r_ij = lambda_sigma ^ lambda_gamma ^ i lambda_beta ^ j lambda_alpha ^ i j` is the
//!    masked output; the garbler encrypts under `H(L_{alpha,i}, L_{beta,j}, gate, ij)`
//!    its MAC on its share `r^A_ij` and `L_{gamma,0} ^ r^A_ij Delta_A ^ K_A[r^B_ij]`.
//! 6. **Evaluation**: the evaluator decrypts the one row its masked values select,
//!    recovers `r^A` from the MAC (it must equal `K_B[r^A]` or `K_B[r^A] ^ Delta_B`:
//!    anything else aborts, naming the gate), and gets `z^_gamma = r^A ^ r^B` and
//!    `L_{gamma, z^_gamma}` by XORing its own MAC on `r^B`.
//! 7. **Outputs**, only after the whole circuit was evaluated and checked: the evaluator
//!    sends, for the garbler's outputs, `z^`, the label (which the garbler checks against
//!    `L_{w,0} ^ z^ Delta_A`: the evaluator cannot lie about `z^`) and its MAC-checked
//!    mask shares; then the garbler opens its mask shares of the evaluator's outputs.
//!
//! # Amortised runs
//! Phases 1 and the triples of 3 are function independent: [`preprocess`] makes them
//! for K instances of one circuit shape at once (the bucket size follows `K` times the
//! AND count), and [`Preprocessed::run`] runs the rest (the Beaver step of 3, then 4 to
//! 7) for one instance with its own inputs, consuming that instance's masks and
//! triples; [`run_many`] does both, [`run`] is `run_many` with one instance. Table
//! tweaks use AND indices counted across the session, so none repeats.
//!
//! Every receive is bounded by the exact size the protocol fixes for that message
//! ([`AuthError::TooLarge`] otherwise, from the length prefix, before buffering).
//!
//! `H(A, B, g, ij)` is two blocks, `tccr(A, t_0) ^ tccr(B, t_1)` and
//! `tccr(A, t_2) ^ tccr(B, t_3)` with tweaks unique to gate, row and position (the
//! evaluator knows at most one of the two labels of any other row, so each row but its
//! own stays masked under the TCCR assumption with the free-XOR correlation).
//!
//! # Guarantees and costs
//! Security against one malicious party at kappa = 128 (the `Delta`s have 126 free bits)
//! and statistical s = 40 (bucketing), in the random-oracle model for the SHA-256
//! commitments. Any failed check returns an [`AuthError`] naming it, before any output
//! is revealed to the checking party's peer by this party. Not fair: the garbler
//! learns its outputs before it opens the evaluator's. Tables are 4 rows x 32 bytes =
//! 128 bytes per AND gate (WRK17's are 4 x (2 kappa + 1) bits; KRRW18's half-gates
//! form, 2 kappa + 1 bits plus preprocessing, is the next step).

use mpc_circuits::{Circuit, Gate, Reveal};
use mpc_crypto::{Block, Delta, FixedKeyAes};
use mpc_net::{frame, Channel};
use mpc_ot::{iknp, kos};
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::Choice;

use crate::bucket::{self, Triples};
use crate::error::{AuthError, Result};
use crate::feq;
use crate::leaky_and::Layer;
use crate::shares::{pack_bits, unpack_bits, AuthShares};
use crate::{pin_delta, Role};

/// A message transport: whole messages in order. [`ChannelLink`] is the real one;
/// tests wrap it to play a cheating party by editing one message.
pub trait Link {
    /// Sends one message (and flushes).
    fn send(&mut self, msg: &[u8]) -> Result<()>;
    /// Receives one message of at most `max` bytes.
    fn recv(&mut self, max: usize) -> Result<Vec<u8>>;
}

/// Length-prefixed frames over any [`Channel`].
#[derive(Debug)]
pub struct ChannelLink<C>(pub C);

impl<C: Channel> Link for ChannelLink<C> {
    fn send(&mut self, msg: &[u8]) -> Result<()> {
        frame::send_frame(&mut self.0, msg).map_err(net)?;
        self.0.flush().map_err(net)
    }
    /// The length prefix is checked against `max` first; then the whole frame is
    /// allocated at once (every caller's `max` is the exact size the protocol expects,
    /// memory an honest run holds anyway, so growing the buffer piece by piece as
    /// `frame::recv_frame` does against unbounded announcements would only add copies).
    fn recv(&mut self, max: usize) -> Result<Vec<u8>> {
        let len = frame::recv_u32(&mut self.0).map_err(net)? as usize;
        if len > max {
            return Err(AuthError::TooLarge { len: len as u64, max: max as u64 });
        }
        let mut buf = vec![0u8; len];
        self.0.recv_exact(&mut buf).map_err(net)?;
        Ok(buf)
    }
}

/// Bytes and time of one phase of a run, as seen by one party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// `authenticated bits`, `AND triples`, `inputs`, `garbled tables`, `outputs`.
    pub name: &'static str,
    /// Bytes this party sent in the phase (message payloads).
    pub bytes_sent: u64,
    /// Bytes it received.
    pub bytes_received: u64,
    /// Wall time of the phase.
    pub elapsed: std::time::Duration,
}

/// Counts a [`Link`]'s traffic by phase.
struct Meter<'a, L> {
    inner: &'a mut L,
    sent: u64,
    received: u64,
    mark: (u64, u64, std::time::Instant),
    phases: Vec<Phase>,
}

impl<'a, L: Link> Meter<'a, L> {
    fn new(inner: &'a mut L) -> Meter<'a, L> {
        Meter { inner, sent: 0, received: 0, mark: (0, 0, std::time::Instant::now()), phases: Vec::new() }
    }

    /// Closes the current phase under `name`.
    fn phase(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.phases.push(Phase {
            name,
            bytes_sent: self.sent - self.mark.0,
            bytes_received: self.received - self.mark.1,
            elapsed: now - self.mark.2,
        });
        self.mark = (self.sent, self.received, now);
    }
}

impl<L: Link> Link for Meter<'_, L> {
    fn send(&mut self, msg: &[u8]) -> Result<()> {
        self.sent += msg.len() as u64;
        self.inner.send(msg)
    }
    fn recv(&mut self, max: usize) -> Result<Vec<u8>> {
        let m = self.inner.recv(max)?;
        self.received += m.len() as u64;
        Ok(m)
    }
}

fn net(e: mpc_net::NetError) -> AuthError {
    AuthError::from(e)
}

fn ot(e: mpc_ot::OtError) -> AuthError {
    AuthError::Ot(e.to_string())
}

/// The bound on a base-OT setup message (the only messages whose size this crate does
/// not fix: they belong to `mpc_ot::base`, a few KiB for 128 OTs).
const SETUP_MAX: usize = 1 << 16;

/// The size of an [`AuthShares::open`] message for `n` bits.
fn open_len(n: usize) -> usize {
    5 + n.div_ceil(8) + 32
}

/// Sends `mine` and receives the peer's message of at most `max` bytes (every caller
/// passes the exact size the peer's message must have, so an oversized frame is refused
/// from its length prefix before any of it is buffered).
fn exchange<L: Link>(role: Role, link: &mut L, mine: &[u8], max: usize) -> Result<Vec<u8>> {
    match role {
        Role::Garbler => {
            link.send(mine)?;
            link.recv(max)
        }
        Role::Evaluator => {
            let theirs = link.recv(max)?;
            link.send(mine)?;
            Ok(theirs)
        }
    }
}

/// [`exchange`] of several messages: the garbler sends all of them, then receives as
/// many; the evaluator receives all, then sends (one flight each way).
fn exchange_all<L: Link>(role: Role, link: &mut L, mine: &[Vec<u8>], max: usize) -> Result<Vec<Vec<u8>>> {
    let mut theirs = Vec::with_capacity(mine.len());
    match role {
        Role::Garbler => {
            for m in mine {
                link.send(m)?;
            }
            for _ in mine {
                theirs.push(link.recv(max)?);
            }
        }
        Role::Evaluator => {
            for _ in mine {
                theirs.push(link.recv(max)?);
            }
            for m in mine {
                link.send(m)?;
            }
        }
    }
    Ok(theirs)
}

/// The wires of this party's inputs, in group order.
fn input_wires(circuit: &Circuit, party: u8) -> Vec<usize> {
    let mut out = Vec::new();
    for (k, g) in circuit.inputs().iter().enumerate() {
        if g.party.0 == party {
            out.extend(circuit.input_wires(k).map(|w| w as usize));
        }
    }
    out
}

fn revealed_to(reveal: Reveal, party: u8) -> bool {
    match reveal {
        Reveal::All => true,
        Reveal::To(p) => p.0 == party,
    }
}

/// Output wires revealed to `party`, in output order.
fn output_wires(circuit: &Circuit, party: u8) -> Vec<usize> {
    circuit
        .outputs()
        .iter()
        .filter(|g| revealed_to(g.reveal, party))
        .flat_map(|g| g.wires.iter().map(|w| w.index()))
        .collect()
}

fn and_gates(circuit: &Circuit) -> Vec<(usize, usize, usize)> {
    circuit
        .gates()
        .iter()
        .filter_map(|g| match *g {
            Gate::And { a, b, out } => Some((a.index(), b.index(), out.index())),
            _ => None,
        })
        .collect()
}

fn choice(b: bool) -> Choice {
    Choice::from(b as u8)
}

/// One instance's result for one party: one entry per output wire (outputs in order),
/// `Some(bit)` where the output is revealed to this party.
pub type Outputs = Vec<Option<bool>>;

/// Runs this party's side. `inputs` are the bits of this party's input wires in group
/// order; the result has one entry per output wire (outputs in order): `Some(bit)` where
/// the output is revealed to this party.
pub fn run<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    inputs: &[bool],
    link: &mut L,
    rng: &mut R,
) -> Result<Vec<Option<bool>>> {
    run_reported(role, circuit, inputs, link, rng).map(|(out, _)| out)
}

/// [`run`], also returning this party's bytes and time per phase.
pub fn run_reported<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    inputs: &[bool],
    link: &mut L,
    rng: &mut R,
) -> Result<(Vec<Option<bool>>, Vec<Phase>)> {
    let (mut outs, phases) = run_many_reported(role, circuit, &[inputs.to_vec()], link, rng)?;
    // One instance was asked for, so there is one result.
    Ok((outs.pop().unwrap_or_default(), phases))
}

/// Runs `inputs.len()` instances of `circuit` in one session (amortised): one
/// function-independent preprocessing ([`preprocess`]) for all of them, then each
/// instance's function-dependent and online phases ([`Preprocessed::run`]) with its
/// own inputs. One result per instance, as [`run`]'s.
pub fn run_many<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
    link: &mut L,
    rng: &mut R,
) -> Result<Vec<Outputs>> {
    run_many_reported(role, circuit, inputs, link, rng).map(|(out, _)| out)
}

/// [`run_many`], also returning this party's bytes and time per phase (the
/// preprocessing's phases, then each instance's).
pub fn run_many_reported<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
    link: &mut L,
    rng: &mut R,
) -> Result<(Vec<Outputs>, Vec<Phase>)> {
    let mut meter = Meter::new(link);
    let mut pre = preprocess_metered(role, circuit, inputs.len(), &mut meter, rng)?;
    let mut outs = Vec::with_capacity(inputs.len());
    for x in inputs {
        outs.push(pre.run_metered(circuit, x, &mut meter, rng)?);
    }
    Ok((outs, meter.phases))
}

/// The function-independent preprocessing of `instances` runs of circuits shaped like
/// `circuit` (its input wires and AND gates): both sessions of authenticated bits, a
/// wire mask per input wire and AND gate of every instance, and one AND triple per AND
/// gate of every instance, bucketed together (the bucket size follows the total AND
/// count, [`bucket::bucket_size`]).
pub fn preprocess<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    instances: usize,
    link: &mut L,
    rng: &mut R,
) -> Result<Preprocessed> {
    preprocess_metered(role, circuit, instances, &mut Meter::new(link), rng)
}

/// One party's preprocessing for a number of instances of one circuit, consumed one
/// instance at a time by [`Preprocessed::run`] (in the same order on both sides).
/// Never reused: every instance takes fresh masks and triples.
pub struct Preprocessed {
    role: Role,
    delta: Delta,
    n_in: usize,
    n_and: usize,
    instances: usize,
    next: usize,
    /// `instances * (n_in + n_and)` wire masks, instance by instance.
    masks: AuthShares,
    /// `instances * n_and` AND triples, instance by instance.
    triples: Triples,
    /// The session in which I am the receiver (my bits MACed under the peer's Delta).
    mine: kos::Receiver,
    /// The session in which I am the sender (with my Delta).
    theirs: kos::Sender,
}

impl core::fmt::Debug for Preprocessed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Preprocessed")
            .field("role", &self.role)
            .field("instances", &self.instances)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

fn preprocess_metered<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    instances: usize,
    link: &mut Meter<'_, L>,
    rng: &mut R,
) -> Result<Preprocessed> {
    if circuit.parties().len() != 2 {
        return Err(AuthError::InvalidArgument(format!(
            "authenticated garbling is for two parties; the circuit has {}",
            circuit.parties().len()
        )));
    }
    if instances == 0 {
        return Err(AuthError::InvalidArgument("zero instances".into()));
    }
    let delta = pin_delta(role, Block::random(rng));
    let n_in = circuit.num_input_wires() as usize;
    let n_and = circuit.and_count();
    let too_many =
        || AuthError::InvalidArgument(format!("{instances} instances of {n_and} AND gates is too many"));
    let total_and = n_and.checked_mul(instances).ok_or_else(too_many)?;
    let b_size = bucket::bucket_size(total_and.max(1));
    let n_masks = (n_in + n_and).checked_mul(instances).ok_or_else(too_many)?;
    if n_masks.max(total_and) + kos::BOOTSTRAP_OTS + kos::CHECK_OTS > mpc_ot::MAX_BATCH {
        return Err(too_many());
    }

    // 1. One base-OT set, both KOS sessions, my bits authenticated to the peer and
    // the peer's to me: one batch of wire masks, then one batch per part (a, b, r) of
    // each leaky-AND layer, so no part is ever copied out of a larger pool.
    let mut sizes = vec![n_masks];
    sizes.extend(core::iter::repeat_n(total_and, if total_and == 0 { 0 } else { 3 * b_size }));
    let (parts, mine, theirs) = authenticate(role, link, rng, &delta, &sizes)?;
    link.phase("authenticated bits");

    // 2. Triples for every AND gate of every instance.
    let mut parts = parts.into_iter();
    let masks = parts.next().unwrap_or_default();
    let triples = make_triples(role, link, rng, &delta, parts, total_and)?;
    link.phase("AND triples");
    Ok(Preprocessed { role, delta, n_in, n_and, instances, next: 0, masks, triples, mine, theirs })
}

impl Preprocessed {
    /// Instances not yet run.
    pub fn remaining(&self) -> usize {
        self.instances - self.next
    }

    /// Runs the next instance: `circuit` must have the shape the preprocessing was made
    /// for; `inputs` and the result as in [`run`].
    pub fn run<L: Link, R: RngCore + CryptoRng>(
        &mut self,
        circuit: &Circuit,
        inputs: &[bool],
        link: &mut L,
        rng: &mut R,
    ) -> Result<Vec<Option<bool>>> {
        self.run_metered(circuit, inputs, &mut Meter::new(link), rng)
    }

    fn run_metered<L: Link, R: RngCore + CryptoRng>(
        &mut self,
        circuit: &Circuit,
        inputs: &[bool],
        link: &mut Meter<'_, L>,
        rng: &mut R,
    ) -> Result<Vec<Option<bool>>> {
        if self.next == self.instances {
            return Err(AuthError::InvalidArgument(format!(
                "all {} preprocessed instances were used",
                self.instances
            )));
        }
        if circuit.num_input_wires() as usize != self.n_in || circuit.and_count() != self.n_and {
            return Err(AuthError::InvalidArgument(format!(
                "a circuit of {} input wires and {} AND gates; the preprocessing is for {} and {}",
                circuit.num_input_wires(),
                circuit.and_count(),
                self.n_in,
                self.n_and
            )));
        }
        let role = self.role;
        let me = role.index() as u8;
        let my_inputs = input_wires(circuit, me);
        if inputs.len() != my_inputs.len() {
            return Err(AuthError::InvalidArgument(format!(
                "{} input bits given, the circuit takes {} from this party",
                inputs.len(),
                my_inputs.len()
            )));
        }
        let instance = self.next;
        self.next += 1;
        let delta = &self.delta;
        let ands = and_gates(circuit);
        let (n_in, n_and) = (self.n_in, self.n_and);

        // Wire masks of this instance.
        let base = instance * (n_in + n_and);
        let nw = circuit.num_wires() as usize;
        let mut masks =
            AuthShares { bits: vec![false; nw], macs: vec![Block::ZERO; nw], keys: vec![Block::ZERO; nw] };
        for w in 0..n_in {
            masks.xor_at(w, &self.masks, base + w);
        }
        let mut and_index = 0;
        for g in circuit.gates() {
            match *g {
                Gate::Xor { a, b, out } => {
                    masks.xor_within(out.index(), a.index());
                    masks.xor_within(out.index(), b.index());
                }
                Gate::And { out, .. } => {
                    masks.xor_at(out.index(), &self.masks, base + n_in + and_index);
                    and_index += 1;
                }
                Gate::Inv { a, out } => {
                    masks.xor_within(out.index(), a.index());
                    masks.xor_public(role, delta, out.index(), true);
                }
                Gate::Const { value, out } => masks.xor_public(role, delta, out.index(), value),
                Gate::Copy { a, out } => masks.xor_within(out.index(), a.index()),
            }
        }

        // <lambda_alpha lambda_beta> per AND gate from this instance's triples.
        let t0 = instance * n_and;
        let sigma = beaver(role, link, delta, &masks, &ands, &self.triples, t0)?;
        link.phase("AND gates (Beaver)");

        // Inputs: each party opens its shares of the masks of the peer's input wires.
        let peer_inputs = input_wires(circuit, 1 - me);
        let mut peer_masks_of_mine = AuthShares::default();
        for &w in &peer_inputs {
            peer_masks_of_mine.push_from(&masks, w);
        }
        let opening = peer_masks_of_mine.open("input masks");
        let peer_opening = exchange(role, link, &opening, open_len(my_inputs.len()))?;
        let mut mine_masks = AuthShares::default();
        for &w in &my_inputs {
            mine_masks.push_from(&masks, w);
        }
        let peer_bits = mine_masks.check_open(delta, "input masks", &peer_opening)?;
        // z^ = x ^ lambda for my inputs.
        let zhat_mine: Vec<bool> =
            inputs.iter().zip(&mine_masks.bits).zip(&peer_bits).map(|((&x, &a), &b)| x ^ a ^ b).collect();

        let wires = Wires { masks: &masks, ands: &ands, sigma: &sigma, first_and: t0 };
        match role {
            Role::Garbler => garbler(
                circuit,
                link,
                rng,
                delta,
                &wires,
                &my_inputs,
                &zhat_mine,
                &peer_inputs,
                &mut self.theirs,
            ),
            Role::Evaluator => evaluator(
                circuit,
                link,
                rng,
                delta,
                &wires,
                &my_inputs,
                &zhat_mine,
                &peer_inputs,
                &mut self.mine,
            ),
        }
    }
}

/// One instance's authenticated wire masks and AND gates.
struct Wires<'a> {
    /// `<lambda_w>` per wire.
    masks: &'a AuthShares,
    /// `(alpha, beta, gamma)` per AND gate.
    ands: &'a [(usize, usize, usize)],
    /// `<lambda_alpha lambda_beta>` per AND gate.
    sigma: &'a AuthShares,
    /// The session-wide index of this instance's AND gate 0 (the tables' tweaks).
    first_and: usize,
}

/// Phase 1: random bits authenticated both ways, one KOS batch per entry of `sizes`
/// in each direction (the batches of a direction are sent back to back, then all their
/// challenges, then all their proofs: three flights for any number of batches). One set
/// of base OTs (the evaluator is the base-OT sender): the evaluator's first batch to
/// the garbler (`Delta_A`) also carries the bootstrap OTs of the reverse session
/// ([`kos::Receiver::extend_bootstrap`]), in which the garbler's bits go to the
/// evaluator (`Delta_B`). Returns my [`AuthShares`] per batch and both sessions:
/// `mine` (I am its receiver: my bits MACed under the peer's `Delta`) and `theirs`
/// (I am its sender, with my `Delta`).
fn authenticate<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    link: &mut L,
    rng: &mut R,
    delta: &Delta,
    sizes: &[usize],
) -> Result<(Vec<AuthShares>, kos::Receiver, kos::Sender)> {
    let random_bits = |rng: &mut R, n: usize| -> Vec<bool> {
        let mut bytes = vec![0u8; n.div_ceil(8)];
        rng.fill_bytes(&mut bytes);
        (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
    };
    let ext_len = |n: usize| iknp::Extend::encoded_len_for(n + kos::CHECK_OTS);
    let Some(&first) = sizes.first() else {
        return Err(AuthError::InvalidArgument("no batches to authenticate".into()));
    };
    match role {
        Role::Evaluator => {
            let (setup, offer) = kos::Receiver::new(rng);
            link.send(&offer.to_bytes())?;
            let answer = iknp::SetupAnswer::from_bytes(&link.recv(SETUP_MAX)?).map_err(ot)?;
            let mut mine = setup.finish(&answer).map_err(ot)?;
            // My bits to the garbler, the first batch with the bootstrap OTs.
            let mut pending = Vec::with_capacity(sizes.len());
            for (i, &n) in sizes.iter().enumerate() {
                let bits = random_bits(rng, n);
                if i == 0 {
                    let (ext, flip, p) = mine.extend_bootstrap(rng, &bits, delta).map_err(ot)?;
                    link.send(ext.as_bytes())?;
                    link.send(&flip.to_bytes())?;
                    pending.push((bits, p));
                } else {
                    let (ext, p) = mine.extend(rng, &bits).map_err(ot)?;
                    link.send(ext.as_bytes())?;
                    pending.push((bits, p));
                }
            }
            let mut challenges = Vec::with_capacity(sizes.len());
            for _ in sizes {
                challenges.push(kos::Challenge::from_bytes(&link.recv(kos::Challenge::LEN)?).map_err(ot)?);
            }
            let mut macs = Vec::with_capacity(sizes.len());
            let mut theirs = None;
            for (i, ((bits, p), challenge)) in pending.into_iter().zip(&challenges).enumerate() {
                let (proof, m) = if i == 0 {
                    let (proof, m, sender) = p.respond_bootstrap(challenge).map_err(ot)?;
                    theirs = Some(sender);
                    (proof, m)
                } else {
                    p.respond(challenge)
                };
                link.send(&proof.to_bytes())?;
                macs.push((bits, m));
            }
            let Some(mut theirs) = theirs else {
                return Err(AuthError::InvalidArgument("no bootstrap batch".into()));
            };
            // The garbler's bits to me: all batches in, then all challenges out.
            let mut pending = Vec::with_capacity(sizes.len());
            let mut challenges = Vec::with_capacity(sizes.len());
            for &n in sizes {
                let ext = iknp::Extend::from_vec(link.recv(ext_len(n))?).map_err(ot)?;
                let (challenge, p) = theirs.extend(rng, n, &ext).map_err(ot)?;
                challenges.push(challenge);
                pending.push(p);
            }
            for c in &challenges {
                link.send(&c.to_bytes())?;
            }
            let mut out = Vec::with_capacity(sizes.len());
            for ((bits, macs), p) in macs.into_iter().zip(pending) {
                let proof = kos::Proof::from_bytes(&link.recv(kos::Proof::LEN)?).map_err(ot)?;
                out.push(AuthShares { bits, macs, keys: p.verify(&proof).map_err(ot)? });
            }
            Ok((out, mine, theirs))
        }
        Role::Garbler => {
            let offer = iknp::SetupOffer::from_bytes(&link.recv(SETUP_MAX)?).map_err(ot)?;
            let (mut theirs, answer) = kos::Sender::new(rng, delta, &offer).map_err(ot)?;
            link.send(&answer.to_bytes())?;
            // The evaluator's bits to me, the first batch with the bootstrap OTs.
            let boot_len = iknp::Extend::encoded_len_for(first + kos::BOOTSTRAP_OTS + kos::CHECK_OTS);
            let mut pending = Vec::with_capacity(sizes.len());
            let mut challenges = Vec::with_capacity(sizes.len());
            let mut flip = None;
            for (i, &n) in sizes.iter().enumerate() {
                let (challenge, p) = if i == 0 {
                    let ext = iknp::Extend::from_vec(link.recv(boot_len)?).map_err(ot)?;
                    flip = Some(kos::Flip::from_bytes(&link.recv(kos::Flip::LEN)?).map_err(ot)?);
                    theirs.extend_bootstrap(rng, n, &ext).map_err(ot)?
                } else {
                    let ext = iknp::Extend::from_vec(link.recv(ext_len(n))?).map_err(ot)?;
                    theirs.extend(rng, n, &ext).map_err(ot)?
                };
                challenges.push(challenge);
                pending.push(p);
            }
            for c in &challenges {
                link.send(&c.to_bytes())?;
            }
            let mut keys = Vec::with_capacity(sizes.len());
            let mut mine = None;
            for (i, p) in pending.into_iter().enumerate() {
                let proof = kos::Proof::from_bytes(&link.recv(kos::Proof::LEN)?).map_err(ot)?;
                match (i, &flip) {
                    (0, Some(flip)) => {
                        let (k, receiver) = p.verify_bootstrap(&proof, flip).map_err(ot)?;
                        mine = Some(receiver);
                        keys.push(k);
                    }
                    _ => keys.push(p.verify(&proof).map_err(ot)?),
                }
            }
            let Some(mut mine) = mine else {
                return Err(AuthError::InvalidArgument("no bootstrap batch".into()));
            };
            // My bits to the evaluator.
            let mut pending = Vec::with_capacity(sizes.len());
            for &n in sizes {
                let bits = random_bits(rng, n);
                let (ext, p) = mine.extend(rng, &bits).map_err(ot)?;
                link.send(ext.as_bytes())?;
                pending.push((bits, p));
            }
            let mut challenges = Vec::with_capacity(sizes.len());
            for _ in sizes {
                challenges.push(kos::Challenge::from_bytes(&link.recv(kos::Challenge::LEN)?).map_err(ot)?);
            }
            let mut out = Vec::with_capacity(sizes.len());
            for (((bits, p), keys), challenge) in pending.into_iter().zip(keys).zip(&challenges) {
                let (proof, macs) = p.respond(challenge);
                link.send(&proof.to_bytes())?;
                out.push(AuthShares { bits, macs, keys });
            }
            Ok((out, mine, theirs))
        }
    }
}

/// `n` AND triples from leaky-AND layers whose shares `a, b, r` are the next three
/// entries of `parts` each (`n` shares apiece), one equality check, a coin toss,
/// bucketing.
fn make_triples<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    link: &mut L,
    rng: &mut R,
    delta: &Delta,
    mut parts: impl Iterator<Item = AuthShares>,
    n: usize,
) -> Result<Triples> {
    if n == 0 {
        return Ok(Triples::default());
    }
    let mut layers_in = Vec::new();
    while let (Some(a), Some(b), Some(r)) = (parts.next(), parts.next(), parts.next()) {
        if a.len() != n || b.len() != n || r.len() != n {
            return Err(AuthError::InvalidArgument(format!("a leaky-AND layer of other than {n} shares")));
        }
        let first_index = (layers_in.len() * n) as u64;
        layers_in.push(Layer { a, b, r, first_index });
    }
    let b_size = layers_in.len();
    // The layers are independent: all their tables in one flight each way, then all
    // their bits.
    let tables = layers_in.iter().map(|l| l.tables(role, delta)).collect::<Result<Vec<_>>>()?;
    let peer_tables = exchange_all(role, link, &tables, 5 + 16 * n)?;
    drop(tables);
    let mut evaluated = Vec::with_capacity(b_size);
    for (layer, peer) in layers_in.iter().zip(&peer_tables) {
        evaluated.push(layer.evaluate(role, delta, peer)?);
    }
    drop(peer_tables);
    let bits: Vec<Vec<u8>> = evaluated.iter().map(|(_, b)| b.clone()).collect();
    let peer_bits = exchange_all(role, link, &bits, 5 + n.div_ceil(8))?;
    let mut check = Sha256::new();
    let mut layers = Vec::with_capacity(b_size);
    for ((layer, (s, _)), peer) in layers_in.into_iter().zip(evaluated).zip(&peer_bits) {
        layers.push(layer.finish(role, delta, s, peer, &mut check)?);
    }
    let digest: [u8; 32] = check.finalize().into();
    equal(role, link, rng, "leaky AND triples", digest)?;
    let seed = coin(role, link, rng)?;
    let mut it = layers.into_iter();
    let Some(mut acc) = it.next() else {
        return Err(AuthError::InvalidArgument(format!("no leaky-AND layers for {n} triples")));
    };
    // `d` of every layer against the first layer's `b` (which combining leaves as it
    // is), all openings in one flight each way, then the layers folded in.
    let rest: Vec<Triples> = it.collect();
    let mut opened = Vec::with_capacity(rest.len());
    for (l, layer) in rest.iter().enumerate() {
        let perm = bucket::permutation(seed, l as u64, n);
        let (d, opening) = bucket::open_d(&acc, layer, &perm)?;
        opened.push((perm, d, opening));
    }
    let openings: Vec<Vec<u8>> = opened.iter().map(|(_, _, o)| o.clone()).collect();
    let peer_openings = exchange_all(role, link, &openings, open_len(n))?;
    for ((layer, (perm, d, _)), peer) in rest.iter().zip(&opened).zip(&peer_openings) {
        bucket::combine(delta, &mut acc, layer, perm, d, peer)?;
    }
    Ok(acc)
}

/// The commit-then-open equality check of two digests.
fn equal<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    link: &mut L,
    rng: &mut R,
    what: &'static str,
    digest: [u8; 32],
) -> Result<()> {
    match role {
        Role::Garbler => {
            let (state, com) = feq::commit(rng, what, digest);
            link.send(&com)?;
            let theirs = feq::digest_message(what, &link.recv(32)?)?;
            if theirs != digest {
                return Err(AuthError::Equality { what });
            }
            link.send(&state.opening())
        }
        Role::Evaluator => {
            let com = feq::digest_message(what, &link.recv(32)?)?;
            link.send(&digest)?;
            let theirs = feq::verify_opening(what, &com, &link.recv(feq::OPENING_LEN)?)?;
            if theirs != digest {
                return Err(AuthError::Equality { what });
            }
            Ok(())
        }
    }
}

/// A coin toss: the garbler commits to its seed first.
fn coin<L: Link, R: RngCore + CryptoRng>(role: Role, link: &mut L, rng: &mut R) -> Result<Block> {
    let mut mine = [0u8; 32];
    rng.fill_bytes(&mut mine);
    let theirs = match role {
        Role::Garbler => {
            let (state, com) = feq::commit(rng, "coin toss", mine);
            link.send(&com)?;
            let theirs = feq::digest_message("coin toss", &link.recv(32)?)?;
            link.send(&state.opening())?;
            theirs
        }
        Role::Evaluator => {
            let com = feq::digest_message("coin toss", &link.recv(32)?)?;
            link.send(&mine)?;
            feq::verify_opening("coin toss", &com, &link.recv(feq::OPENING_LEN)?)?
        }
    };
    let mut seed = [0u8; 16];
    for i in 0..16 {
        seed[i] = mine[i] ^ theirs[i];
    }
    Ok(Block::from(seed))
}

/// `<lambda_alpha lambda_beta>` for every AND gate from one triple each: triples
/// `t0..t0 + ands.len()` of `t`.
fn beaver<L: Link>(
    role: Role,
    link: &mut L,
    delta: &Delta,
    masks: &AuthShares,
    ands: &[(usize, usize, usize)],
    t: &Triples,
    t0: usize,
) -> Result<AuthShares> {
    let n = ands.len();
    // d = lambda_alpha ^ a, e = lambda_beta ^ b, opened together.
    let mut de = AuthShares::with_capacity(2 * n);
    for (k, &(alpha, _, _)) in ands.iter().enumerate() {
        de.push_from(masks, alpha);
        de.xor_at(k, &t.a, t0 + k);
    }
    for (k, &(_, beta, _)) in ands.iter().enumerate() {
        de.push_from(masks, beta);
        de.xor_at(n + k, &t.b, t0 + k);
    }
    let peer = exchange(role, link, &de.open("Beaver openings"), open_len(2 * n))?;
    let peer = de.check_open(delta, "Beaver openings", &peer)?;
    let mut sigma = AuthShares::with_capacity(n);
    for k in 0..n {
        sigma.push_from(&t.c, t0 + k);
        let d = de.bits[k] ^ peer[k];
        let e = de.bits[n + k] ^ peer[n + k];
        if d {
            sigma.xor_at(k, &t.b, t0 + k);
        }
        if e {
            sigma.xor_at(k, &t.a, t0 + k);
        }
        sigma.xor_public(role, delta, k, d & e);
    }
    Ok(sigma)
}

/// The share of `r_ij` of gate `k`: (bit, MAC, key).
fn row_share(
    masks: &AuthShares,
    sigma: &AuthShares,
    k: usize,
    (alpha, beta, gamma): (usize, usize, usize),
    i: bool,
    j: bool,
) -> (bool, Block, Block) {
    let mut bit = sigma.bits[k] ^ masks.bits[gamma];
    let mut mac = sigma.macs[k] ^ masks.macs[gamma];
    let mut key = sigma.keys[k] ^ masks.keys[gamma];
    if i {
        bit ^= masks.bits[beta];
        mac ^= masks.macs[beta];
        key ^= masks.keys[beta];
    }
    if j {
        bit ^= masks.bits[alpha];
        mac ^= masks.macs[alpha];
        key ^= masks.keys[alpha];
    }
    (bit, mac, key)
}

/// The tweak of position `pos` (0..4) of row `row` of AND gate `gate` (session-wide
/// index) in `H(A, B, gate, row) = (tccr(A, t0) ^ tccr(B, t1), tccr(A, t2) ^ tccr(B, t3))`.
fn row_tweak(gate: usize, row: usize, pos: usize) -> Block {
    Block::from((1u128 << 127) | (((gate as u128) * 4 + row as u128) << 2) | pos as u128)
}

/// The 16 bytes at `off` (the caller checked the length).
fn block_at(bytes: &[u8], off: usize) -> Block {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[off..off + 16]);
    Block::from(b)
}

/// The evaluator's state while it walks the circuit.
struct Evaluation<'a> {
    delta: &'a Delta,
    w: &'a Wires<'a>,
    tables: &'a [u8],
    /// Masked value per wire.
    zhat: Vec<bool>,
    /// Active label per wire.
    label: Vec<Block>,
    /// Wires written by an AND gate of `batch` (not yet known).
    busy: Vec<bool>,
    /// AND gates (instance-local indices) waiting to be hashed.
    batch: Vec<usize>,
    hashes: Vec<Block>,
}

impl Evaluation<'_> {
    /// Decrypts and checks the rows of the waiting AND gates, in order.
    fn flush(&mut self) -> Result<()> {
        let (w, d) = (self.w, self.delta.as_block());
        let h = &mut self.hashes[..4 * self.batch.len()];
        for (x, &k) in self.batch.iter().enumerate() {
            let (a, b, _) = w.ands[k];
            h[4 * x..4 * x + 4].copy_from_slice(&[
                self.label[a],
                self.label[b],
                self.label[a],
                self.label[b],
            ]);
        }
        let (zhat, batch) = (&self.zhat, &self.batch);
        let row_of = |k: usize| {
            let (a, b, _) = w.ands[k];
            2 * zhat[a] as usize + zhat[b] as usize
        };
        FixedKeyAes::global().tccr_many(h, |x| {
            let k = batch[x / 4];
            row_tweak(w.first_and + k, row_of(k), x % 4)
        });
        for (x, &k) in self.batch.iter().enumerate() {
            let (a, b, out) = w.ands[k];
            let (i, j) = (self.zhat[a], self.zhat[b]);
            let off = 128 * k + 32 * (2 * i as usize + j as usize);
            let mac = block_at(self.tables, off) ^ h[4 * x] ^ h[4 * x + 1];
            let part = block_at(self.tables, off + 16) ^ h[4 * x + 2] ^ h[4 * x + 3];
            let (bit, my_mac, key) = row_share(w.masks, w.sigma, k, (a, b, out), i, j);
            let key = key.xor_if(d, choice(i & j));
            let r_a = if mac == key {
                false
            } else if mac == key ^ d {
                true
            } else {
                return Err(AuthError::GarbledTable { gate: k });
            };
            self.zhat[out] = r_a ^ bit;
            self.label[out] = part ^ my_mac;
            self.busy[out] = false;
        }
        self.batch.clear();
        Ok(())
    }
}

/// AND gates hashed per call of the multi-block TCCR kernel.
const HASH_BATCH: usize = 256;

#[allow(clippy::too_many_arguments)]
fn garbler<L: Link, R: RngCore + CryptoRng>(
    circuit: &Circuit,
    link: &mut Meter<'_, L>,
    rng: &mut R,
    delta: &Delta,
    w: &Wires<'_>,
    my_inputs: &[usize],
    zhat_mine: &[bool],
    peer_inputs: &[usize],
    theirs: &mut kos::Sender,
) -> Result<Vec<Option<bool>>> {
    let (masks, ands, sigma) = (w.masks, w.ands, w.sigma);
    let d = delta.as_block();
    let mut zero = vec![Block::ZERO; circuit.num_wires() as usize];
    for &w in my_inputs {
        zero[w] = Block::random(rng);
    }
    // The evaluator's input labels: a KOS batch with its masked values as choices.
    let ext =
        iknp::Extend::from_vec(link.recv(iknp::Extend::encoded_len_for(peer_inputs.len() + kos::CHECK_OTS))?)
            .map_err(ot)?;
    let (challenge, pending) = theirs.extend(rng, peer_inputs.len(), &ext).map_err(ot)?;
    link.send(&challenge.to_bytes())?;
    let proof = kos::Proof::from_bytes(&link.recv(kos::Proof::LEN)?).map_err(ot)?;
    for (&w, k) in peer_inputs.iter().zip(pending.verify(&proof).map_err(ot)?) {
        zero[w] = k;
    }
    // My inputs: masked values and active labels.
    let mut msg = pack_bits(zhat_mine);
    for (&w, &z) in my_inputs.iter().zip(zhat_mine) {
        msg.extend_from_slice(&zero[w].xor_if(d, choice(z)).to_bytes());
    }
    link.send(&msg)?;
    link.phase("inputs");
    // The zero-label of every wire (an AND output's is fresh), then the tables of all
    // AND gates, HASH_BATCH gates per TCCR call (16 hashes each).
    for g in circuit.gates() {
        match *g {
            Gate::Xor { a, b, out } => zero[out.index()] = zero[a.index()] ^ zero[b.index()],
            Gate::Inv { a, out } | Gate::Copy { a, out } => zero[out.index()] = zero[a.index()],
            Gate::Const { out, .. } => zero[out.index()] = Block::ZERO,
            Gate::And { out, .. } => zero[out.index()] = Block::random(rng),
        }
    }
    let aes = FixedKeyAes::global();
    let mut tables = Vec::with_capacity(128 * ands.len());
    let mut hashes = vec![Block::ZERO; 16 * HASH_BATCH.min(ands.len())];
    for (c, chunk) in ands.chunks(HASH_BATCH).enumerate() {
        let k0 = c * HASH_BATCH;
        let h = &mut hashes[..16 * chunk.len()];
        for (g, &(a, b, _)) in chunk.iter().enumerate() {
            for row in 0..4 {
                let (i, j) = (row >> 1 == 1, row & 1 == 1);
                let (la, lb) = (zero[a].xor_if(d, choice(i)), zero[b].xor_if(d, choice(j)));
                h[16 * g + 4 * row..16 * g + 4 * row + 4].copy_from_slice(&[la, lb, la, lb]);
            }
        }
        let first = w.first_and + k0;
        aes.tccr_many(h, |x| row_tweak(first + x / 16, (x / 4) % 4, x % 4));
        for (g, &gate) in chunk.iter().enumerate() {
            let k = k0 + g;
            for row in 0..4 {
                let (i, j) = (row >> 1 == 1, row & 1 == 1);
                let (bit, mac, key) = row_share(masks, sigma, k, gate, i, j);
                let bit = bit ^ (i & j);
                let label = zero[gate.2].xor_if(d, choice(bit)) ^ key;
                let p = &h[16 * g + 4 * row..16 * g + 4 * row + 4];
                tables.extend_from_slice(&(mac ^ p[0] ^ p[1]).to_bytes());
                tables.extend_from_slice(&(label ^ p[2] ^ p[3]).to_bytes());
            }
        }
    }
    link.send(&tables)?;
    link.phase("garbled tables");
    // Outputs: mine first (the evaluator's z^, labels and mask shares), checked.
    let my_outs = output_wires(circuit, 0);
    let n = my_outs.len();
    let msg = link.recv(n.div_ceil(8) + 16 * n + 5 + n.div_ceil(8) + 32)?;
    if msg.len() < n.div_ceil(8) + 16 * n {
        return Err(AuthError::Malformed { what: "output message", reason: format!("{} bytes", msg.len()) });
    }
    let zhat = unpack_bits(&msg[..n.div_ceil(8)], n)
        .map_err(|reason| AuthError::Malformed { what: "output message", reason })?;
    let mut my_mask = AuthShares::default();
    for (idx, &w) in my_outs.iter().enumerate() {
        let off = n.div_ceil(8) + 16 * idx;
        let label = Block::from(<[u8; 16]>::try_from(&msg[off..off + 16]).expect("16-byte slice"));
        if label != zero[w].xor_if(d, choice(zhat[idx])) {
            return Err(AuthError::OutputLabel { wire: w });
        }
        my_mask.push_from(masks, w);
    }
    let peer_mask = my_mask.check_open(delta, "output masks", &msg[n.div_ceil(8) + 16 * n..])?;
    // Then the evaluator's outputs: my mask shares, opened.
    let theirs_out = output_wires(circuit, 1);
    let mut open = AuthShares::default();
    for &w in &theirs_out {
        open.push_from(masks, w);
    }
    link.send(&open.open("output masks"))?;
    link.phase("outputs");
    let mut mine_values = my_outs.iter().zip(zhat.iter().zip(my_mask.bits.iter().zip(&peer_mask)));
    Ok(assemble(circuit, 0, &mut mine_values))
}

#[allow(clippy::too_many_arguments)]
fn evaluator<L: Link, R: RngCore + CryptoRng>(
    circuit: &Circuit,
    link: &mut Meter<'_, L>,
    rng: &mut R,
    delta: &Delta,
    w: &Wires<'_>,
    my_inputs: &[usize],
    zhat_mine: &[bool],
    peer_inputs: &[usize],
    mine: &mut kos::Receiver,
) -> Result<Vec<Option<bool>>> {
    let (masks, ands) = (w.masks, w.ands);
    let nw = circuit.num_wires() as usize;
    let mut zhat = vec![false; nw];
    let mut label = vec![Block::ZERO; nw];
    // My input labels by KOS-checked correlated OT.
    let (ext, pending) = mine.extend(rng, zhat_mine).map_err(ot)?;
    link.send(ext.as_bytes())?;
    let challenge = kos::Challenge::from_bytes(&link.recv(kos::Challenge::LEN)?).map_err(ot)?;
    let (proof, labels) = pending.respond(&challenge);
    link.send(&proof.to_bytes())?;
    for ((&w, &z), l) in my_inputs.iter().zip(zhat_mine).zip(labels) {
        zhat[w] = z;
        label[w] = l;
    }
    // The garbler's inputs.
    let n = peer_inputs.len();
    let msg = link.recv(n.div_ceil(8) + 16 * n)?;
    if msg.len() != n.div_ceil(8) + 16 * n {
        return Err(AuthError::Malformed { what: "garbler inputs", reason: format!("{} bytes", msg.len()) });
    }
    let z = unpack_bits(&msg[..n.div_ceil(8)], n)
        .map_err(|reason| AuthError::Malformed { what: "garbler inputs", reason })?;
    for (idx, &w) in peer_inputs.iter().enumerate() {
        let off = n.div_ceil(8) + 16 * idx;
        zhat[w] = z[idx];
        label[w] = block_at(&msg, off);
    }
    link.phase("inputs");
    let tables = link.recv(128 * ands.len())?;
    if tables.len() != 128 * ands.len() {
        return Err(AuthError::Malformed {
            what: "garbled tables",
            reason: format!("{} bytes for {} AND gates", tables.len(), ands.len()),
        });
    }
    // AND gates wait in `batch` until a gate reads one of their outputs (or the batch
    // is full), then are hashed in one TCCR call and checked in circuit order, so the
    // first failing gate is the one named, as gate by gate.
    let mut e = Evaluation {
        delta,
        w,
        tables: &tables,
        zhat,
        label,
        busy: vec![false; nw],
        batch: Vec::with_capacity(HASH_BATCH),
        hashes: vec![Block::ZERO; 4 * HASH_BATCH],
    };
    let mut and_k = 0;
    for g in circuit.gates() {
        let waits = match *g {
            Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => e.busy[a.index()] || e.busy[b.index()],
            Gate::Inv { a, .. } | Gate::Copy { a, .. } => e.busy[a.index()],
            Gate::Const { .. } => false,
        };
        if waits || e.batch.len() == HASH_BATCH {
            e.flush()?;
        }
        match *g {
            Gate::Xor { a, b, out } => {
                e.zhat[out.index()] = e.zhat[a.index()] ^ e.zhat[b.index()];
                e.label[out.index()] = e.label[a.index()] ^ e.label[b.index()];
            }
            Gate::Inv { a, out } | Gate::Copy { a, out } => {
                e.zhat[out.index()] = e.zhat[a.index()];
                e.label[out.index()] = e.label[a.index()];
            }
            Gate::Const { out, .. } => {
                e.zhat[out.index()] = false;
                e.label[out.index()] = Block::ZERO;
            }
            Gate::And { out, .. } => {
                e.batch.push(and_k);
                e.busy[out.index()] = true;
                and_k += 1;
            }
        }
    }
    e.flush()?;
    let Evaluation { zhat, label, .. } = e;
    link.phase("garbled tables");
    // Outputs: the garbler's first (z^, labels, my mask shares), then mine.
    let theirs_out = output_wires(circuit, 0);
    let mut msg = pack_bits(&theirs_out.iter().map(|&w| zhat[w]).collect::<Vec<_>>());
    let mut open = AuthShares::default();
    for &w in &theirs_out {
        msg.extend_from_slice(&label[w].to_bytes());
        open.push_from(masks, w);
    }
    msg.extend_from_slice(&open.open("output masks"));
    link.send(&msg)?;
    let my_outs = output_wires(circuit, 1);
    let mut my_mask = AuthShares::default();
    for &w in &my_outs {
        my_mask.push_from(masks, w);
    }
    let peer_mask =
        my_mask.check_open(delta, "output masks", &link.recv(5 + my_outs.len().div_ceil(8) + 32)?)?;
    let zh: Vec<bool> = my_outs.iter().map(|&w| zhat[w]).collect();
    link.phase("outputs");
    let mut values = my_outs.iter().zip(zh.iter().zip(my_mask.bits.iter().zip(&peer_mask)));
    Ok(assemble(circuit, 1, &mut values))
}

/// One entry per output wire: the value `z^ ^ lambda_me ^ lambda_peer` where revealed.
fn assemble<'a>(
    circuit: &Circuit,
    party: u8,
    values: &mut impl Iterator<Item = (&'a usize, (&'a bool, (&'a bool, &'a bool)))>,
) -> Vec<Option<bool>> {
    let mut out = Vec::new();
    for g in circuit.outputs() {
        for _ in &g.wires {
            if revealed_to(g.reveal, party) {
                // `output_wires` lists exactly these wires in this order.
                let (_, (z, (a, b))) = values.next().expect("one value per revealed output wire");
                out.push(Some(z ^ a ^ b));
            } else {
                out.push(None);
            }
        }
    }
    out
}
