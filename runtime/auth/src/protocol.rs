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
    fn recv(&mut self, max: usize) -> Result<Vec<u8>> {
        frame::recv_frame(&mut self.0, max).map_err(net)
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
    match e {
        mpc_net::NetError::Closed => AuthError::Closed,
        mpc_net::NetError::FrameTooLarge { len, max } => AuthError::TooLarge { len, max },
        other => AuthError::Transport(other.to_string()),
    }
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
    let mut meter = Meter::new(link);
    let out = run_metered(role, circuit, inputs, &mut meter, rng)?;
    Ok((out, meter.phases))
}

fn run_metered<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    inputs: &[bool],
    link: &mut Meter<'_, L>,
    rng: &mut R,
) -> Result<Vec<Option<bool>>> {
    if circuit.parties().len() != 2 {
        return Err(AuthError::InvalidArgument(format!(
            "authenticated garbling is for two parties; the circuit has {}",
            circuit.parties().len()
        )));
    }
    let me = role.index() as u8;
    let my_inputs = input_wires(circuit, me);
    if inputs.len() != my_inputs.len() {
        return Err(AuthError::InvalidArgument(format!(
            "{} input bits given, the circuit takes {} from this party",
            inputs.len(),
            my_inputs.len()
        )));
    }
    let delta = pin_delta(role, Block::random(rng));
    let ands = and_gates(circuit);
    let n_in = circuit.num_input_wires() as usize;
    let n_and = ands.len();
    let b_size = bucket::bucket_size(n_and.max(1));
    let n_bits = n_in + n_and + 3 * b_size * n_and;

    // 1. One base-OT set, both KOS sessions, my bits authenticated to the peer and
    // the peer's to me.
    let my_bits: Vec<bool> = (0..n_bits).map(|_| rng.next_u32() & 1 == 1).collect();
    let (pool, mine, theirs) = authenticate(role, link, rng, &delta, &my_bits)?;

    link.phase("authenticated bits");

    // 2. Wire masks.
    let mut masks = AuthShares {
        bits: vec![false; circuit.num_wires() as usize],
        macs: vec![Block::ZERO; circuit.num_wires() as usize],
        keys: vec![Block::ZERO; circuit.num_wires() as usize],
    };
    for w in 0..n_in {
        masks.xor_at(w, &pool, w);
    }
    let mut and_index = 0;
    for g in circuit.gates() {
        match *g {
            Gate::Xor { a, b, out } => {
                masks.xor_within(out.index(), a.index());
                masks.xor_within(out.index(), b.index());
            }
            Gate::And { out, .. } => {
                masks.xor_at(out.index(), &pool, n_in + and_index);
                and_index += 1;
            }
            Gate::Inv { a, out } => {
                masks.xor_within(out.index(), a.index());
                masks.xor_public(role, &delta, out.index(), true);
            }
            Gate::Const { value, out } => masks.xor_public(role, &delta, out.index(), value),
            Gate::Copy { a, out } => masks.xor_within(out.index(), a.index()),
        }
    }

    // 3. Triples, then <lambda_alpha lambda_beta> per AND gate.
    let triple_pool = pool.slice(n_in + n_and..n_bits);
    let triples = make_triples(role, link, rng, &delta, &triple_pool, n_and, b_size)?;
    let sigma = beaver(role, link, &delta, &masks, &ands, triples)?;
    link.phase("AND triples");

    // 4. Inputs.
    let peer_inputs = input_wires(circuit, 1 - me);
    let mut peer_masks_of_mine = AuthShares::default();
    for &w in &peer_inputs {
        peer_masks_of_mine.push_from(&masks, w);
    }
    // Each party opens its shares of the masks of the *peer's* input wires.
    let opening = peer_masks_of_mine.open("input masks");
    let peer_opening = exchange(role, link, &opening, open_len(my_inputs.len()))?;
    let mut mine_masks = AuthShares::default();
    for &w in &my_inputs {
        mine_masks.push_from(&masks, w);
    }
    let peer_bits = mine_masks.check_open(&delta, "input masks", &peer_opening)?;
    // z^ = x ^ lambda for my inputs.
    let zhat_mine: Vec<bool> =
        inputs.iter().zip(&mine_masks.bits).zip(&peer_bits).map(|((&x, &a), &b)| x ^ a ^ b).collect();

    match role {
        Role::Garbler => garbler(
            circuit,
            link,
            rng,
            &delta,
            &masks,
            &ands,
            &sigma,
            &my_inputs,
            &zhat_mine,
            &peer_inputs,
            mine,
            theirs,
        ),
        Role::Evaluator => evaluator(
            circuit,
            link,
            rng,
            &delta,
            &masks,
            &ands,
            &sigma,
            &my_inputs,
            &zhat_mine,
            &peer_inputs,
            mine,
            theirs,
        ),
    }
}

/// Phase 1: `my_bits` authenticated to the peer and the peer's as many bits to me.
/// One set of base OTs (the evaluator is the base-OT sender): the evaluator's bits go
/// through a KOS batch to the garbler (`Delta_A`) that also carries the bootstrap OTs
/// of the reverse session ([`kos::Receiver::extend_bootstrap`]), then the garbler's
/// bits through that reverse session to the evaluator (`Delta_B`). Returns my
/// [`AuthShares`] of the pool and both sessions: `mine` (I am its receiver: my bits
/// MACed under the peer's `Delta`) and `theirs` (I am its sender, with my `Delta`).
fn authenticate<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    link: &mut L,
    rng: &mut R,
    delta: &Delta,
    my_bits: &[bool],
) -> Result<(AuthShares, kos::Receiver, kos::Sender)> {
    let n = my_bits.len();
    match role {
        Role::Evaluator => {
            let (setup, offer) = kos::Receiver::new(rng);
            link.send(&offer.to_bytes())?;
            let answer = iknp::SetupAnswer::from_bytes(&link.recv(SETUP_MAX)?).map_err(ot)?;
            let mut mine = setup.finish(&answer).map_err(ot)?;
            let (ext, flip, pending) = mine.extend_bootstrap(rng, my_bits, delta).map_err(ot)?;
            link.send(ext.as_bytes())?;
            link.send(&flip.to_bytes())?;
            let challenge = kos::Challenge::from_bytes(&link.recv(kos::Challenge::LEN)?).map_err(ot)?;
            let (proof, macs, mut theirs) = pending.respond_bootstrap(&challenge).map_err(ot)?;
            link.send(&proof.to_bytes())?;
            let peer_ext =
                iknp::Extend::from_vec(link.recv(iknp::Extend::encoded_len_for(n + kos::CHECK_OTS))?)
                    .map_err(ot)?;
            let (challenge, pending) = theirs.extend(rng, n, &peer_ext).map_err(ot)?;
            link.send(&challenge.to_bytes())?;
            let proof = kos::Proof::from_bytes(&link.recv(kos::Proof::LEN)?).map_err(ot)?;
            let keys = pending.verify(&proof).map_err(ot)?;
            Ok((AuthShares { bits: my_bits.to_vec(), macs, keys }, mine, theirs))
        }
        Role::Garbler => {
            let offer = iknp::SetupOffer::from_bytes(&link.recv(SETUP_MAX)?).map_err(ot)?;
            let (mut theirs, answer) = kos::Sender::new(rng, delta, &offer).map_err(ot)?;
            link.send(&answer.to_bytes())?;
            let boot = iknp::Extend::encoded_len_for(n + kos::BOOTSTRAP_OTS + kos::CHECK_OTS);
            let peer_ext = iknp::Extend::from_vec(link.recv(boot)?).map_err(ot)?;
            let flip = kos::Flip::from_bytes(&link.recv(kos::Flip::LEN)?).map_err(ot)?;
            let (challenge, pending) = theirs.extend_bootstrap(rng, n, &peer_ext).map_err(ot)?;
            link.send(&challenge.to_bytes())?;
            let proof = kos::Proof::from_bytes(&link.recv(kos::Proof::LEN)?).map_err(ot)?;
            let (keys, mut mine) = pending.verify_bootstrap(&proof, &flip).map_err(ot)?;
            let (ext, pending) = mine.extend(rng, my_bits).map_err(ot)?;
            link.send(ext.as_bytes())?;
            let challenge = kos::Challenge::from_bytes(&link.recv(kos::Challenge::LEN)?).map_err(ot)?;
            let (proof, macs) = pending.respond(&challenge);
            link.send(&proof.to_bytes())?;
            Ok((AuthShares { bits: my_bits.to_vec(), macs, keys }, mine, theirs))
        }
    }
}

/// Phase 3a: `n` AND triples from `b_size` layers of leaky ANDs over `pool`
/// (`3 * b_size * n` shares), one equality check, a coin toss, bucketing.
fn make_triples<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    link: &mut L,
    rng: &mut R,
    delta: &Delta,
    pool: &AuthShares,
    n: usize,
    b_size: usize,
) -> Result<Triples> {
    if n == 0 {
        return Ok(Triples::default());
    }
    let mut check = Sha256::new();
    let mut layers = Vec::with_capacity(b_size);
    for l in 0..b_size {
        let base = 3 * l * n;
        let layer = Layer {
            a: pool.slice(base..base + n),
            b: pool.slice(base + n..base + 2 * n),
            r: pool.slice(base + 2 * n..base + 3 * n),
            first_index: (l * n) as u64,
        };
        let tables = layer.tables(role, delta)?;
        let peer_tables = exchange(role, link, &tables, 5 + 16 * n)?;
        let (s, bits) = layer.evaluate(role, delta, &peer_tables)?;
        let peer_bits = exchange(role, link, &bits, 5 + n.div_ceil(8))?;
        let (a, b) = (layer.a.clone(), layer.b.clone());
        let c = layer.finish(role, delta, s, &peer_bits, &mut check)?;
        layers.push(Triples { a, b, c });
    }
    let digest: [u8; 32] = check.finalize().into();
    equal(role, link, rng, "leaky AND triples", digest)?;
    let seed = coin(role, link, rng)?;
    let mut it = layers.into_iter();
    let Some(mut acc) = it.next() else {
        return Ok(Triples::default());
    };
    for (l, layer) in it.enumerate() {
        let perm = bucket::permutation(seed, l as u64, n);
        let (d, opening) = bucket::open_d(&acc, &layer, &perm)?;
        let peer_opening = exchange(role, link, &opening, open_len(n))?;
        bucket::combine(delta, &mut acc, &layer, &perm, &d, &peer_opening)?;
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

/// Phase 3b: `<lambda_alpha lambda_beta>` for every AND gate from one triple each.
fn beaver<L: Link>(
    role: Role,
    link: &mut L,
    delta: &Delta,
    masks: &AuthShares,
    ands: &[(usize, usize, usize)],
    t: Triples,
) -> Result<AuthShares> {
    let n = ands.len();
    // d = lambda_alpha ^ a, e = lambda_beta ^ b, opened together.
    let mut de = AuthShares::default();
    for (k, &(alpha, _, _)) in ands.iter().enumerate() {
        de.push_from(masks, alpha);
        de.xor_at(k, &t.a, k);
    }
    for (k, &(_, beta, _)) in ands.iter().enumerate() {
        de.push_from(masks, beta);
        de.xor_at(n + k, &t.b, k);
    }
    let peer = exchange(role, link, &de.open("Beaver openings"), open_len(2 * n))?;
    let peer = de.check_open(delta, "Beaver openings", &peer)?;
    let mut sigma = t.c;
    for k in 0..n {
        let d = de.bits[k] ^ peer[k];
        let e = de.bits[n + k] ^ peer[n + k];
        if d {
            sigma.xor_at(k, &t.b, k);
        }
        if e {
            sigma.xor_at(k, &t.a, k);
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

/// `H(A, B, gate, row)`, two blocks.
fn row_pad(aes: &FixedKeyAes, a: Block, b: Block, gate: usize, row: usize) -> [Block; 2] {
    let t = |pos: u128| Block::from((1u128 << 127) | (((gate as u128) * 4 + row as u128) << 2) | pos);
    [aes.tccr(a, t(0)) ^ aes.tccr(b, t(1)), aes.tccr(a, t(2)) ^ aes.tccr(b, t(3))]
}

#[allow(clippy::too_many_arguments)]
fn garbler<L: Link, R: RngCore + CryptoRng>(
    circuit: &Circuit,
    link: &mut Meter<'_, L>,
    rng: &mut R,
    delta: &Delta,
    masks: &AuthShares,
    ands: &[(usize, usize, usize)],
    sigma: &AuthShares,
    my_inputs: &[usize],
    zhat_mine: &[bool],
    peer_inputs: &[usize],
    _mine: kos::Receiver,
    mut theirs: kos::Sender,
) -> Result<Vec<Option<bool>>> {
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
    // Labels of every wire, then the tables.
    let aes = FixedKeyAes::global();
    let mut tables = Vec::with_capacity(128 * ands.len());
    let mut and_k = 0;
    for g in circuit.gates() {
        match *g {
            Gate::Xor { a, b, out } => zero[out.index()] = zero[a.index()] ^ zero[b.index()],
            Gate::Inv { a, out } | Gate::Copy { a, out } => zero[out.index()] = zero[a.index()],
            Gate::Const { out, .. } => zero[out.index()] = Block::ZERO,
            Gate::And { a, b, out } => {
                let gate = (a.index(), b.index(), out.index());
                zero[out.index()] = Block::random(rng);
                for row in 0..4 {
                    let (i, j) = (row >> 1 == 1, row & 1 == 1);
                    let (bit, mac, key) = row_share(masks, sigma, and_k, gate, i, j);
                    let bit = bit ^ (i & j);
                    let label = zero[out.index()].xor_if(d, choice(bit)) ^ key;
                    let pad = row_pad(
                        aes,
                        zero[a.index()].xor_if(d, choice(i)),
                        zero[b.index()].xor_if(d, choice(j)),
                        and_k,
                        row,
                    );
                    tables.extend_from_slice(&(mac ^ pad[0]).to_bytes());
                    tables.extend_from_slice(&(label ^ pad[1]).to_bytes());
                }
                and_k += 1;
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
    masks: &AuthShares,
    ands: &[(usize, usize, usize)],
    sigma: &AuthShares,
    my_inputs: &[usize],
    zhat_mine: &[bool],
    peer_inputs: &[usize],
    mut mine: kos::Receiver,
    _theirs: kos::Sender,
) -> Result<Vec<Option<bool>>> {
    let d = delta.as_block();
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
        label[w] = Block::from(<[u8; 16]>::try_from(&msg[off..off + 16]).expect("16-byte slice"));
    }
    link.phase("inputs");
    let tables = link.recv(128 * ands.len())?;
    if tables.len() != 128 * ands.len() {
        return Err(AuthError::Malformed {
            what: "garbled tables",
            reason: format!("{} bytes for {} AND gates", tables.len(), ands.len()),
        });
    }
    let aes = FixedKeyAes::global();
    let mut and_k = 0;
    for g in circuit.gates() {
        match *g {
            Gate::Xor { a, b, out } => {
                zhat[out.index()] = zhat[a.index()] ^ zhat[b.index()];
                label[out.index()] = label[a.index()] ^ label[b.index()];
            }
            Gate::Inv { a, out } | Gate::Copy { a, out } => {
                zhat[out.index()] = zhat[a.index()];
                label[out.index()] = label[a.index()];
            }
            Gate::Const { out, .. } => {
                zhat[out.index()] = false;
                label[out.index()] = Block::ZERO;
            }
            Gate::And { a, b, out } => {
                let (i, j) = (zhat[a.index()], zhat[b.index()]);
                let row = 2 * i as usize + j as usize;
                let off = 128 * and_k + 32 * row;
                let block =
                    |o: usize| Block::from(<[u8; 16]>::try_from(&tables[o..o + 16]).expect("16 bytes"));
                let pad = row_pad(aes, label[a.index()], label[b.index()], and_k, row);
                let mac = block(off) ^ pad[0];
                let part = block(off + 16) ^ pad[1];
                let (bit, my_mac, key) =
                    row_share(masks, sigma, and_k, (a.index(), b.index(), out.index()), i, j);
                let key = key.xor_if(d, choice(i & j));
                let r_a = if mac == key {
                    false
                } else if mac == key ^ d {
                    true
                } else {
                    return Err(AuthError::GarbledTable { gate: and_k });
                };
                zhat[out.index()] = r_a ^ bit;
                label[out.index()] = part ^ my_mac;
                and_k += 1;
            }
        }
    }
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
