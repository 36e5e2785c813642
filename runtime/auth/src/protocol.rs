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
//! 3. **AND triples** in pieces, each with its own KOS batches, [`crate::leaky_and`]
//!    and equality check, bucketed in pools of pieces ([`crate::bucket::pool_plan`]),
//!    each pool with its own coin toss and [`crate::bucket`]ing by cyclic shifts; per AND gate `(alpha, beta, gamma)` the share
//!    `<lambda_sigma> = <lambda_alpha lambda_beta>` by Beaver's trick (two MAC-checked
//!    openings).
//! 4. **Inputs**: for the garbler's input wires the evaluator opens its mask share (the
//!    garbler checks the MAC), the garbler sends `z^ = x ^ lambda` and the label
//!    `L_{w,z^}`; for the evaluator's the garbler opens its share (the evaluator checks
//!    the MAC), the evaluator sends `z^ = y ^ lambda` in the clear and the garbler
//!    answers with `L_{w,z^}` (no OT: WRK17's online phase, as emp-ag2pc's; a masked
//!    value is uniform to the garbler, which holds only a key for the evaluator's
//!    share of `lambda`, so no selective failure depends on the evaluator's input).
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
//! for K instances of one circuit shape at once (the bucket size follows the pools of
//! the `K` times AND count triples), and [`Preprocessed::run`] runs the rest (the Beaver step of 3, then 4 to
//! 7) for one instance with its own inputs, consuming that instance's masks and
//! triples; [`run_many`] does both (its instances pipelined: instance `n + 1`'s Beaver
//! step and garbling while `n` is evaluated, see [`crate::machine`]), [`run`] is
//! `run_many` with one instance. Table tweaks use AND indices counted across the
//! session, so none repeats.
//!
//! # One implementation: the machine
//! The protocol is one sans-IO state machine per role, [`crate::machine::Machine`]
//! (typed [`crate::message::Message`]s, the rng injected, no IO); this module holds the
//! local computation of each phase as functions the machine calls, and [`run`],
//! [`run_many`], [`preprocess`] and [`Preprocessed::run`] are one loop ([`drive`])
//! that runs a machine over a [`Link`]. Every receive is bounded by the exact size the
//! protocol fixes for that message ([`crate::message::Expect::max`];
//! [`AuthError::TooLarge`] otherwise, from the length prefix, before buffering).
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

use mpc_circuits::{Circuit, Reveal};
use mpc_crypto::{Block, Delta, Prg};
use mpc_net::{frame, Channel};
use mpc_ot::kos;
use rand_core::{CryptoRng, RngCore};

use crate::bucket::{self, Triples};
use crate::error::{AuthError, Result};
use crate::garbling::{self, Active, Share};
use crate::machine::{Machine, Step};
use crate::message::decode;
use crate::schedule::Schedule;
use crate::shares::{check_open_parts, open_parts, AuthShares};
use crate::Role;

/// A message transport: whole messages in order. [`ChannelLink`] is the real one;
/// tests wrap it to play a man-in-the-middle that changes bytes.
pub trait Link {
    /// Sends one message (and flushes).
    fn send(&mut self, msg: &[u8]) -> Result<()>;
    /// [`Link::send`] of a buffer the caller gives away (what [`drive`] calls): a link
    /// over a channel that queues whole buffers moves it instead of copying. The
    /// default sends the slice.
    fn send_vec(&mut self, msg: Vec<u8>) -> Result<()> {
        self.send(&msg)
    }
    /// Receives one message of at most `max` bytes.
    fn recv(&mut self, max: usize) -> Result<Vec<u8>>;
}

/// Length-prefixed frames over any [`Channel`].
#[derive(Debug)]
pub struct ChannelLink<C>(pub C);

impl<C: Channel> Link for ChannelLink<C> {
    fn send(&mut self, msg: &[u8]) -> Result<()> {
        frame::send_frame(&mut self.0, msg)?;
        Ok(self.0.flush()?)
    }
    /// The same frame as [`Link::send`], the body given to [`Channel::send_vec`] (the
    /// in-memory channel moves it to the peer).
    fn send_vec(&mut self, msg: Vec<u8>) -> Result<()> {
        frame::send_frame_vec(&mut self.0, msg)?;
        Ok(self.0.flush()?)
    }
    /// The length prefix is checked against `max` first; then the whole frame is
    /// taken at once ([`Channel::recv_vec`]: every caller's `max` is the exact size
    /// the protocol expects, memory an honest run holds anyway, so growing the buffer
    /// piece by piece as `frame::recv_frame` does against unbounded announcements
    /// would only add copies; the in-memory channel hands over the sender's buffer).
    fn recv(&mut self, max: usize) -> Result<Vec<u8>> {
        let len = frame::recv_u32(&mut self.0)? as usize;
        if len > max {
            return Err(AuthError::TooLarge { len: len as u64, max: max as u64 });
        }
        Ok(self.0.recv_vec(len)?)
    }
}

/// Bytes and time of one phase of a run, as seen by one party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    /// One of [`phase`]'s names.
    pub name: &'static str,
    /// Bytes this party sent in the phase (message payloads). The instances' messages
    /// are counted by kind (Beaver openings; input masks and inputs; tables; output
    /// message and masks), since pipelined instances interleave them.
    pub bytes_sent: u64,
    /// Bytes it received.
    pub bytes_received: u64,
    /// Wall time from the previous phase mark to this one (with pipelined instances
    /// the marks bound the steps of different instances: a phase's time is the span
    /// between its marks, not the work of that kind alone).
    pub elapsed: std::time::Duration,
    /// The part of `elapsed` spent blocked receiving: waiting for the peer (and for
    /// the bytes to arrive). `elapsed - waiting` is this party's own work.
    pub waiting: std::time::Duration,
}

/// The names of the phases of a run ([`Phase::name`]), marked by the machine
/// ([`crate::machine::Step::Phase`]) and used to count the instances' bytes by kind.
pub mod phase {
    /// The wire masks' authenticated bits (the first piece's KOS round).
    pub const AUTHENTICATED_BITS: &str = "authenticated bits";
    /// The AND triples (every pool).
    pub const AND_TRIPLES: &str = "AND triples";
    /// An instance's Beaver openings.
    pub const BEAVER: &str = "AND gates (Beaver)";
    /// An instance's input masks and masked inputs, and the garbler's input labels.
    pub const INPUTS: &str = "inputs";
    /// An instance's garbled tables.
    pub const TABLES: &str = "garbled tables";
    /// An instance's output message and output masks.
    pub const OUTPUTS: &str = "outputs";
}

/// The phase an instance's message belongs to, by its kind ([`Expect::name`] /
/// [`crate::message::Message::name`]): instances are pipelined (instance `n + 1`'s
/// tables go out with instance `n`'s output masks), so the online part's bytes are
/// counted by kind, not by the phase marks around them. `None` for the
/// preprocessing's messages, which run in order and are counted between marks.
fn online_phase(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Beaver openings" => phase::BEAVER,
        "input masks" | "evaluator inputs" | "garbler inputs" => phase::INPUTS,
        "garbled tables" => phase::TABLES,
        "output message" | "output masks" => phase::OUTPUTS,
        _ => return None,
    })
}

/// Counts a [`Link`]'s traffic by phase: the preprocessing's bytes between the phase
/// marks, the instances' by message kind ([`online_phase`]), time between marks.
struct Meter {
    sent: u64,
    received: u64,
    waiting: std::time::Duration,
    mark: (u64, u64, std::time::Instant, std::time::Duration),
    /// Online bytes (sent, received) per phase not yet given to a closed phase.
    online: Vec<(&'static str, u64, u64)>,
    phases: Vec<Phase>,
}

impl Meter {
    fn new() -> Meter {
        let zero = std::time::Duration::ZERO;
        Meter {
            sent: 0,
            received: 0,
            waiting: zero,
            mark: (0, 0, std::time::Instant::now(), zero),
            online: Vec::new(),
            phases: Vec::new(),
        }
    }

    /// Counts one message of kind `kind`, `len` bytes, sent or received.
    fn count(&mut self, kind: &str, len: usize, sent: bool) {
        let len = len as u64;
        match online_phase(kind) {
            Some(phase) => {
                let at = match self.online.iter().position(|o| o.0 == phase) {
                    Some(at) => at,
                    None => {
                        self.online.push((phase, 0, 0));
                        self.online.len() - 1
                    }
                };
                let o = &mut self.online[at];
                if sent {
                    o.1 += len;
                } else {
                    o.2 += len;
                }
            }
            None if sent => self.sent += len,
            None => self.received += len,
        }
    }

    /// The online bytes of `name` counted so far, taken.
    fn take_online(&mut self, name: &str) -> (u64, u64) {
        match self.online.iter_mut().find(|o| o.0 == name) {
            Some(o) => (std::mem::take(&mut o.1), std::mem::take(&mut o.2)),
            None => (0, 0),
        }
    }

    /// Closes the current phase under `name`.
    fn phase(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        let (on_sent, on_received) = self.take_online(name);
        self.phases.push(Phase {
            name,
            bytes_sent: self.sent - self.mark.0 + on_sent,
            bytes_received: self.received - self.mark.1 + on_received,
            elapsed: now - self.mark.2,
            waiting: self.waiting - self.mark.3,
        });
        self.mark = (self.sent, self.received, now, self.waiting);
    }

    /// The phases, with online bytes counted after their phase's last mark added to
    /// that phase's last entry (or a new entry if it never closed).
    fn finish(mut self) -> Vec<Phase> {
        for (name, sent, received) in std::mem::take(&mut self.online) {
            if sent == 0 && received == 0 {
                continue;
            }
            match self.phases.iter_mut().rev().find(|p| p.name == name) {
                Some(p) => {
                    p.bytes_sent += sent;
                    p.bytes_received += received;
                }
                None => self.phases.push(Phase {
                    name,
                    bytes_sent: sent,
                    bytes_received: received,
                    elapsed: std::time::Duration::ZERO,
                    waiting: std::time::Duration::ZERO,
                }),
            }
        }
        self.phases
    }
}

/// The one loop: runs `machine` to its end over `link` (each message one frame, its
/// bytes moved to [`Link::send_vec`], each receive bounded by [`crate::message::Expect::max`] and decoded with [`decode`]); returns this
/// party's bytes and time per phase.
pub fn drive<L: Link, R: RngCore + CryptoRng>(
    machine: &mut Machine<'_, R>,
    link: &mut L,
) -> Result<Vec<Phase>> {
    let mut meter = Meter::new();
    loop {
        match machine.next_step()? {
            Step::Send(msg) => {
                let name = msg.name();
                // The message's bytes moved out, not copied (`Link::send_vec`).
                let bytes = msg.into_wire();
                meter.count(name, bytes.len(), true);
                link.send_vec(bytes)?;
            }
            Step::Recv(expect) => {
                let start = std::time::Instant::now();
                let bytes = link.recv(expect.max())?;
                meter.waiting += start.elapsed();
                meter.count(expect.name(), bytes.len(), false);
                machine.receive(decode(expect, bytes)?)?;
            }
            Step::Phase(name) => meter.phase(name),
            Step::Done => return Ok(meter.finish()),
        }
    }
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
    let mut machine = Machine::new(role, circuit, inputs, rng)?;
    let phases = drive(&mut machine, link)?;
    Ok((machine.take_outputs(), phases))
}

/// The function-independent preprocessing of `instances` runs of circuits shaped like
/// `circuit` (its input wires and AND gates): both sessions of authenticated bits, a
/// wire mask per input wire and AND gate of every instance, and one AND triple per AND
/// gate of every instance, made piece by piece and bucketed pool by pool (the pools,
/// pieces and bucket size from the total AND count, [`bucket::pool_plan`]).
pub fn preprocess<L: Link, R: RngCore + CryptoRng>(
    role: Role,
    circuit: &Circuit,
    instances: usize,
    link: &mut L,
    rng: &mut R,
) -> Result<Preprocessed> {
    let mut machine = Machine::preprocess(role, circuit, instances, rng)?;
    drive(&mut machine, link)?;
    machine
        .into_preprocessed()
        .ok_or_else(|| AuthError::InvalidArgument("the preprocessing machine ended without one".into()))
}

/// One party's preprocessing for a number of instances of one circuit, consumed one
/// instance at a time by [`Preprocessed::run`] (in the same order on both sides).
/// Never reused: every instance takes fresh masks and triples.
pub struct Preprocessed {
    pub(crate) role: Role,
    pub(crate) delta: Delta,
    pub(crate) n_in: usize,
    pub(crate) n_and: usize,
    pub(crate) instances: usize,
    pub(crate) next: usize,
    /// `instances * (n_in + n_and)` wire masks, instance by instance.
    pub(crate) masks: AuthShares,
    /// `instances * n_and` AND triples, instance by instance.
    pub(crate) triples: Triples,
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

impl Preprocessed {
    /// Instances not yet run.
    pub fn remaining(&self) -> usize {
        self.instances - self.next
    }

    /// Runs the next instance: `circuit` must have the shape the preprocessing was made
    /// for; `inputs` and the result as in [`run`]. The instance is used up even if the
    /// run fails.
    pub fn run<L: Link, R: RngCore + CryptoRng>(
        &mut self,
        circuit: &Circuit,
        inputs: &[bool],
        link: &mut L,
        rng: &mut R,
    ) -> Result<Vec<Option<bool>>> {
        let mut machine = Machine::instance(self, circuit, inputs, rng)?;
        drive(&mut machine, link)?;
        machine
            .take_outputs()
            .pop()
            .ok_or_else(|| AuthError::InvalidArgument("the instance machine ended without outputs".into()))
    }

    /// Refuses an instance the preprocessing cannot run: none left, another shape, or
    /// another number of input bits than the circuit takes from this party. `shape`:
    /// the circuit's input wires, AND gates and input wires of this party (counted
    /// once per circuit by the caller).
    pub(crate) fn check_next(&self, shape: (usize, usize, usize), inputs: &[bool]) -> Result<()> {
        let (n_in, n_and, mine) = shape;
        if self.next == self.instances {
            return Err(AuthError::InvalidArgument(format!(
                "all {} preprocessed instances were used",
                self.instances
            )));
        }
        if n_in != self.n_in || n_and != self.n_and {
            return Err(AuthError::InvalidArgument(format!(
                "a circuit of {n_in} input wires and {n_and} AND gates; the preprocessing is for {} and {}",
                self.n_in, self.n_and
            )));
        }
        if inputs.len() != mine {
            return Err(AuthError::InvalidArgument(format!(
                "{} input bits given, the circuit takes {mine} from this party",
                inputs.len()
            )));
        }
        Ok(())
    }
}

// ---- The local computation of each phase (called by the machine, no IO) ----

/// The wires of this party's inputs, in group order.
pub(crate) fn input_wires(circuit: &Circuit, party: u8) -> Vec<usize> {
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
pub(crate) fn output_wires(circuit: &Circuit, party: u8) -> Vec<usize> {
    circuit
        .outputs()
        .iter()
        .filter(|g| revealed_to(g.reveal, party))
        .flat_map(|g| g.wires.iter().map(|w| w.index()))
        .collect()
}

/// The AND gates' `(a, b, out)` wires, in circuit order (the tests' oracle).
#[cfg(test)]
pub(crate) fn and_gates(circuit: &Circuit) -> Vec<(usize, usize, usize)> {
    circuit
        .gates()
        .iter()
        .filter_map(|g| match *g {
            mpc_circuits::Gate::And { a, b, out } => Some((a.index(), b.index(), out.index())),
            _ => None,
        })
        .collect()
}

/// `n` random bits from `rng`.
pub(crate) fn random_bits<R: RngCore>(rng: &mut R, n: usize) -> Vec<bool> {
    let mut bytes = vec![0u8; n.div_ceil(8)];
    rng.fill_bytes(&mut bytes);
    (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
}

/// The sizes of a preprocessing for `instances` runs of `circuit`, checked.
pub(crate) struct Plan {
    pub(crate) n_in: usize,
    pub(crate) n_and: usize,
    /// Wire masks of all instances (input wires and AND outputs).
    pub(crate) n_masks: usize,
    /// The triples of all instances in pools of pieces ([`bucket::pool_plan`]; none
    /// without AND gates).
    pub(crate) pools: Vec<Vec<usize>>,
    /// Leaky triples per triple ([`bucket::bucket_size_pools`] of the smallest pool
    /// and the number of pools).
    pub(crate) b_size: usize,
}

impl Plan {
    /// `pool_triples`: the most triples bucketed together, `piece_triples`: the most
    /// made in one piece ([`bucket::POOL_TRIPLES`] and [`bucket::PIECE_TRIPLES`] by
    /// default; [`bucket::pool_plan`] may take smaller pools).
    pub(crate) fn new(
        circuit: &Circuit,
        instances: usize,
        pool_triples: usize,
        piece_triples: usize,
    ) -> Result<Plan> {
        if circuit.parties().len() != 2 {
            return Err(AuthError::InvalidArgument(format!(
                "authenticated garbling is for two parties; the circuit has {}",
                circuit.parties().len()
            )));
        }
        if instances == 0 {
            return Err(AuthError::InvalidArgument("zero instances".into()));
        }
        if pool_triples == 0 || piece_triples == 0 {
            return Err(AuthError::InvalidArgument("pools or pieces of zero triples".into()));
        }
        let n_in = circuit.num_input_wires() as usize;
        let n_and = circuit.and_count();
        let too_many =
            || AuthError::InvalidArgument(format!("{instances} instances of {n_and} AND gates is too many"));
        let total_and = n_and.checked_mul(instances).ok_or_else(too_many)?;
        let n_masks = (n_in + n_and).checked_mul(instances).ok_or_else(too_many)?;
        // `n_masks >= total_and >=` any piece: the one batch limit to check.
        if n_masks + kos::BOOTSTRAP_OTS + kos::CHECK_OTS > mpc_ot::MAX_BATCH {
            return Err(too_many());
        }
        let bucket::PoolPlan { pools, b } = bucket::pool_plan(total_and, pool_triples, piece_triples);
        Ok(Plan { n_in, n_and, n_masks, pools, b_size: b })
    }
}

/// One instance's wire masks as the online part reads them ([`wire_masks`]): the
/// masks of every AND gate's inputs, in gate order (streamed by the Beaver step, the
/// tables and the evaluation), and of the output wires. The input wires' masks and
/// the AND outputs' are the preprocessing's, read where they are.
pub(crate) struct Masks {
    /// `<lambda_alpha>` per AND gate `(alpha, beta, gamma)`.
    pub(crate) a: AuthShares,
    /// `<lambda_beta>` per AND gate.
    pub(crate) b: AuthShares,
    /// `<lambda_w>` of the output wires revealed to each party, in output order.
    pub(crate) out: [AuthShares; 2],
    /// The garbler's zero-labels, walked with the masks ([`wire_masks`]).
    pub(crate) labels: Option<Labels>,
}

/// The garbler's zero-labels of an instance, drawn when its masks are made (they
/// depend on nothing of the peer's) and walked with them: the AND gates' inputs' (gate
/// order), the AND outputs' (fresh) and the output wires'.
pub(crate) struct Labels {
    /// `L_{alpha,0}` and `L_{beta,0}` per AND gate `(alpha, beta, gamma)`.
    pub(crate) a: Vec<Block>,
    pub(crate) b: Vec<Block>,
    /// `L_{gamma,0}` per AND gate (fresh).
    pub(crate) and: Vec<Block>,
    /// The input wires' (fresh).
    pub(crate) zero_in: Vec<Block>,
    /// The output wires' revealed to each party, in output order.
    pub(crate) out: [Vec<Block>; 2],
}

/// A slot of the garbler's walk: a wire's mask share and its zero-label.
#[derive(Clone, Copy)]
struct Labelled {
    share: Share,
    label: Block,
}

impl core::ops::BitXor for Labelled {
    type Output = Labelled;
    #[inline(always)]
    fn bitxor(self, o: Labelled) -> Labelled {
        Labelled { share: self.share ^ o.share, label: self.label ^ o.label }
    }
}

/// [`wire_masks`] of instance `instance` of `pre`.
pub(crate) fn instance_masks(
    pre: &Preprocessed,
    schedule: &Schedule,
    instance: usize,
    labels: Option<(Vec<Block>, Vec<Block>)>,
) -> Masks {
    wire_masks(pre.role, &pre.delta, schedule, &pre.masks, instance * (pre.n_in + pre.n_and), labels)
}

/// The masks of an instance ([`Masks`]) from `fresh`'s entries `base..`: the input
/// wires' (wires `0..n_in`) first, then one per AND gate in gate order; XOR, INV,
/// constant and copy wires by local operations, one walk of the circuit's
/// [`Schedule`] (XORing a public 1, [`AuthShares::xor_public`]'s rule: the garbler
/// flips its bit, the evaluator moves its key by its `Delta`). With `labels` (the
/// garbler's zero-labels of the input wires and of the AND outputs) the same walk
/// carries the zero-labels ([`Masks::labels`]; an INV or a constant moves no label).
pub(crate) fn wire_masks(
    role: Role,
    delta: &Delta,
    schedule: &Schedule,
    fresh: &AuthShares,
    base: usize,
    labels: Option<(Vec<Block>, Vec<Block>)>,
) -> Masks {
    let n_in = schedule.n_in();
    let n_and = schedule.ands().len();
    let one = match role {
        Role::Garbler => Share { bit: true, mac: Block::ZERO, key: Block::ZERO },
        Role::Evaluator => Share { bit: false, mac: Block::ZERO, key: delta.as_block() },
    };
    let g = base + n_in..base + n_in + n_and;
    let (bits, macs, keys) = (&fresh.bits[g.clone()], &fresh.macs[g.clone()], &fresh.keys[g]);
    let (mut a, mut b) = (AuthShares::with_capacity(n_and), AuthShares::with_capacity(n_and));
    let gather = |wires: &[u32], at: &dyn Fn(u32) -> Share| {
        let mut o = AuthShares::with_capacity(wires.len());
        wires.iter().for_each(|&w| at(w).push_to(&mut o));
        o
    };
    let Some((zero_in, and)) = labels else {
        let mut slots = schedule.new_slots(Share::ZERO, Share::ZERO, one);
        for (w, s) in slots[..n_in].iter_mut().enumerate() {
            *s = Share::at(fresh, base + w);
        }
        schedule.walk(&mut slots, |k, gate, s| {
            s[gate.a as usize].push_to(&mut a);
            s[gate.b as usize].push_to(&mut b);
            s[gate.out as usize] = Share { bit: bits[k], mac: macs[k], key: keys[k] };
        });
        let out = [0, 1].map(|p| gather(schedule.outputs(p), &|w| slots[w as usize]));
        return Masks { a, b, out, labels: None };
    };
    let zero = Labelled { share: Share::ZERO, label: Block::ZERO };
    let mut slots = schedule.new_slots(zero, zero, Labelled { share: one, label: Block::ZERO });
    for (w, s) in slots[..n_in].iter_mut().enumerate() {
        *s = Labelled { share: Share::at(fresh, base + w), label: zero_in[w] };
    }
    let (mut la, mut lb) = (Vec::with_capacity(n_and), Vec::with_capacity(n_and));
    schedule.walk(&mut slots, |k, gate, s| {
        let (x, y) = (s[gate.a as usize], s[gate.b as usize]);
        x.share.push_to(&mut a);
        y.share.push_to(&mut b);
        la.push(x.label);
        lb.push(y.label);
        s[gate.out as usize] =
            Labelled { share: Share { bit: bits[k], mac: macs[k], key: keys[k] }, label: and[k] };
    });
    let out = [0, 1].map(|p| gather(schedule.outputs(p), &|w| slots[w as usize].share));
    let labels_out = [0, 1].map(|p| schedule.outputs(p).iter().map(|&w| slots[w as usize].label).collect());
    let labels = Labels { a: la, b: lb, and, zero_in, out: labels_out };
    Masks { a, b, out, labels: Some(labels) }
}

/// `x ^ y` of two equally long runs of blocks.
fn xor_blocks<'a>(x: &'a [Block], y: &'a [Block]) -> impl Iterator<Item = Block> + 'a {
    x.iter().zip(y).map(|(&x, &y)| x ^ y)
}

/// The name of the Beaver step's openings (their tags' domain).
const BEAVER: &str = "Beaver openings";

/// The Beaver step's shares to open, `d = lambda_alpha ^ a` for every AND gate, then
/// `e = lambda_beta ^ b`, from triples `t0..` of `t`: my bits of them, and their
/// opening ([`AuthShares::open`]'s bytes; the MACs of `d` and `e` are summed as they
/// are made, never stored).
pub(crate) fn beaver_open(m: &Masks, t: &Triples, t0: usize) -> (Vec<bool>, Vec<u8>) {
    let r = t0..t0 + m.a.len();
    let mut bits = Vec::with_capacity(2 * m.a.len());
    bits.extend(m.a.bits.iter().zip(&t.a.bits[r.clone()]).map(|(&x, &y)| x ^ y));
    bits.extend(m.b.bits.iter().zip(&t.b.bits[r.clone()]).map(|(&x, &y)| x ^ y));
    let macs = xor_blocks(&m.a.macs, &t.a.macs[r.clone()]).chain(xor_blocks(&m.b.macs, &t.b.macs[r]));
    let open = open_parts(BEAVER, &bits, macs);
    (bits, open)
}

/// Checks the peer's opening of its `d`, `e` ([`beaver_open`]) against my keys of
/// them ([`AuthShares::check_open`]); returns the peer's bits.
pub(crate) fn beaver_check(
    delta: &Delta,
    m: &Masks,
    t: &Triples,
    t0: usize,
    opening: &[u8],
) -> Result<Vec<bool>> {
    let r = t0..t0 + m.a.len();
    let keys = xor_blocks(&m.a.keys, &t.a.keys[r.clone()]).chain(xor_blocks(&m.b.keys, &t.b.keys[r]));
    check_open_parts(delta, BEAVER, opening, 2 * m.a.len(), keys)
}

/// `<lambda_alpha lambda_beta ^ lambda_gamma>` for every AND gate (what its rows are
/// built on) from its triple `t0 + k` of `t`, the opened `d`, `e` (my bits in
/// `mine`, the peer's, MAC-checked, in `peer`) and its output mask `gamma[k]`
/// ([`Preprocessed`]'s masks from `gbase`): `<c> ^ d <b> ^ e <a> ^ d e ^ <gamma>`.
pub(crate) fn beaver_finish(
    role: Role,
    delta: &Delta,
    (mine, peer): (&[bool], &[bool]),
    t: &Triples,
    t0: usize,
    gamma: &AuthShares,
    gbase: usize,
) -> AuthShares {
    let n = mine.len() / 2;
    let r = t0..t0 + n;
    let g = gbase..gbase + n;
    // `d`, `e` are opened (public): the masks below only keep the loops branch-free.
    let d: Vec<bool> = mine[..n].iter().zip(&peer[..n]).map(|(&x, &y)| x ^ y).collect();
    let e: Vec<bool> = mine[n..].iter().zip(&peer[n..2 * n]).map(|(&x, &y)| x ^ y).collect();
    // The public `d e` (`AuthShares::xor_public`): the garbler's bit, or the
    // evaluator's key moved by its Delta.
    let (one_bit, one_key) = match role {
        Role::Garbler => (true, Block::ZERO),
        Role::Evaluator => (false, delta.as_block()),
    };
    let (a, b, c) = (&t.a, &t.b, &t.c);
    let de = || d.iter().zip(&e).map(|(&d, &e)| (d, e));
    let bits = c.bits[r.clone()]
        .iter()
        .zip(&b.bits[r.clone()])
        .zip(&a.bits[r.clone()])
        .zip(&gamma.bits[g.clone()])
        .zip(de())
        .map(|((((&c, &b), &a), &gm), (d, e))| c ^ gm ^ (d & b) ^ (e & a) ^ (d & e & one_bit))
        .collect();
    let macs = c.macs[r.clone()]
        .iter()
        .zip(&b.macs[r.clone()])
        .zip(&a.macs[r.clone()])
        .zip(&gamma.macs[g.clone()])
        .zip(de())
        .map(|((((&c, &b), &a), &gm), (d, e))| c ^ gm ^ (Block::mask(d) & b) ^ (Block::mask(e) & a))
        .collect();
    let keys = c.keys[r.clone()]
        .iter()
        .zip(&b.keys[r.clone()])
        .zip(&a.keys[r])
        .zip(&gamma.keys[g])
        .zip(de())
        .map(|((((&c, &b), &a), &gm), (d, e))| {
            c ^ gm ^ (Block::mask(d) & b) ^ (Block::mask(e) & a) ^ (Block::mask(d & e) & one_key)
        })
        .collect();
    AuthShares { bits, macs, keys }
}

/// One instance's authenticated wire masks and AND gates.
pub(crate) struct Wires<'a> {
    /// The circuit's walk.
    pub(crate) schedule: &'a Schedule,
    /// The masks of the AND gates' inputs ([`Masks::a`], [`Masks::b`]).
    pub(crate) masks: &'a Masks,
    /// `<lambda_alpha lambda_beta ^ lambda_gamma>` per AND gate ([`beaver_finish`]).
    pub(crate) s: &'a AuthShares,
    /// The session-wide index of this instance's AND gate 0 (the tables' tweaks).
    pub(crate) first_and: usize,
}

/// The fresh zero-labels of `n` AND outputs: AES-CTR under a fresh 128-bit seed from
/// `rng` (the VAES counter-mode kernel, where a ChaCha rng gives 16 bytes at a time).
pub(crate) fn fresh_labels<R: RngCore + CryptoRng>(rng: &mut R, n: usize) -> Vec<Block> {
    let mut fresh = vec![Block::ZERO; n];
    Prg::from_rng_block(rng).fill_blocks(&mut fresh);
    fresh
}

/// The garbler's authenticated tables of all AND gates ([`garbling::garble_tables`],
/// from the zero-labels walked with the masks, [`Masks::labels`]).
///
/// # Errors
/// If the masks were made without labels (a caller bug).
pub(crate) fn garble(delta: &Delta, w: &Wires<'_>) -> Result<Vec<u8>> {
    let labels = w
        .masks
        .labels
        .as_ref()
        .ok_or_else(|| AuthError::InvalidArgument("internal: no zero-labels".into()))?;
    Ok(garbling::garble_tables(delta.as_block(), w, labels))
}

/// The garbler's check of the evaluator's output message: the label of each of my
/// output wires (`wires`, their zero-labels in `zero`, in the same order) must be
/// `L_{w,0} ^ z^ Delta_A`.
pub(crate) fn check_output_labels(
    delta: &Delta,
    wires: &[usize],
    zero: &[Block],
    masked: &[bool],
    labels: &[Block],
) -> Result<()> {
    let d = delta.as_block();
    for (((&w, &l0), &z), &label) in wires.iter().zip(zero).zip(masked).zip(labels) {
        // `z` is the evaluator's claim, public: a mask, not a constant-time select.
        if label != l0 ^ (d & Block::mask(z)) {
            return Err(AuthError::OutputLabel { wire: w });
        }
    }
    Ok(())
}

/// The masked value and label of each output wire revealed to each party, in output
/// order (the evaluator's result of [`evaluate`]).
pub(crate) type Evaluated = [Vec<(bool, Block)>; 2];

/// The evaluator's walk of the circuit from its input wires' masked values and labels
/// (`zhat_in`, `label_in`, one per input wire), checking every decrypted row; returns
/// the output wires' masked values and labels, or names the first AND gate (in circuit
/// order) whose row failed.
///
/// The walk goes level by level ([`Schedule::by_level`]), each level's AND gates
/// hashed in batches ([`garbling::decrypt_batch`]); if a row fails, the circuit is
/// walked again gate by gate in circuit order ([`evaluate_in_order`]) so that the gate
/// named is the one the circuit order meets first (the values before it are the same
/// in either order, so that walk fails too).
pub(crate) fn evaluate(
    delta: &Delta,
    w: &Wires<'_>,
    zhat_in: &[bool],
    label_in: &[Block],
    tables: &[u8],
) -> Result<Evaluated> {
    let ands = w.schedule.ands().len();
    if tables.len() != 128 * ands {
        return Err(AuthError::Malformed {
            what: "garbled tables",
            reason: format!("{} bytes, expected {}", tables.len(), 128 * ands),
        });
    }
    match evaluate_by_level(delta, w, zhat_in, label_in, tables) {
        Some(out) => Ok(out),
        None => evaluate_in_order(delta, w, zhat_in, label_in, tables),
    }
}

/// [`evaluate`]'s walk level by level; `None` if a row fails (`tables` has 128
/// bytes per AND gate: checked by the caller).
pub(crate) fn evaluate_by_level(
    delta: &Delta,
    w: &Wires<'_>,
    zhat_in: &[bool],
    label_in: &[Block],
    tables: &[u8],
) -> Option<Evaluated> {
    let schedule = w.schedule.by_level();
    let ands = schedule.ands();
    let d = delta.as_block();
    let mut slots = schedule.new_slots(Active::ZERO, Active::ZERO, Active::ZERO);
    for ((s, &z), &label) in slots[..schedule.n_in()].iter_mut().zip(zhat_in).zip(label_in) {
        *s = Active { z, label };
    }
    let mut buf = garbling::EvalBuffers::default();
    let (mut i, mut done) = (0, 0);
    while i < ands.len() {
        let before = ands[i].ops_before as usize;
        schedule.run(&mut slots, done, before);
        done = before;
        let mut j = i + 1;
        while j < ands.len() && j - i < garbling::EVAL_BATCH && ands[j].group == ands[i].group {
            j += 1;
        }
        garbling::decrypt_batch(&ands[i..j], d, w, tables, &mut slots, &mut buf).ok()?;
        i = j;
    }
    schedule.run(&mut slots, done, schedule.ops());
    Some([0, 1].map(|p| {
        schedule.outputs(p).iter().map(|&s| (slots[s as usize].z, slots[s as usize].label)).collect()
    }))
}

/// [`evaluate`] gate by gate in circuit order ([`garbling::decrypt`]), stopping at the
/// first AND gate whose row fails.
pub(crate) fn evaluate_in_order(
    delta: &Delta,
    w: &Wires<'_>,
    zhat_in: &[bool],
    label_in: &[Block],
    tables: &[u8],
) -> Result<Evaluated> {
    let schedule = w.schedule;
    let ands = schedule.ands();
    if tables.len() != 128 * ands.len() {
        return Err(AuthError::Malformed {
            what: "garbled tables",
            reason: format!("{} bytes, expected {}", tables.len(), 128 * ands.len()),
        });
    }
    let d = delta.as_block();
    let mut slots = schedule.new_slots(Active::ZERO, Active::ZERO, Active::ZERO);
    for ((s, &z), &label) in slots[..schedule.n_in()].iter_mut().zip(zhat_in).zip(label_in) {
        *s = Active { z, label };
    }
    let mut done = 0;
    for (k, &gate) in ands.iter().enumerate() {
        schedule.run(&mut slots, done, gate.ops_before as usize);
        done = gate.ops_before as usize;
        garbling::decrypt(k, gate, d, w, tables, &mut slots)
            .map_err(|gate| AuthError::GarbledTable { gate })?;
    }
    schedule.run(&mut slots, done, schedule.ops());
    Ok([0, 1].map(|p| {
        schedule.outputs(p).iter().map(|&s| (slots[s as usize].z, slots[s as usize].label)).collect()
    }))
}

/// One entry per output wire: the value `z^ ^ lambda_me ^ lambda_peer` where revealed
/// to `party`; `values` has one `(z^, my share, peer's share)` per revealed wire, in
/// the order of [`output_wires`].
pub(crate) fn assemble(circuit: &Circuit, party: u8, values: &[(bool, bool, bool)]) -> Result<Outputs> {
    let mut values = values.iter();
    let mut out = Vec::new();
    for g in circuit.outputs() {
        for _ in &g.wires {
            if revealed_to(g.reveal, party) {
                let Some(&(z, a, b)) = values.next() else {
                    return Err(AuthError::InvalidArgument("fewer output values than revealed wires".into()));
                };
                out.push(Some(z ^ a ^ b));
            } else {
                out.push(None);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Expect;

    /// Every message kind of the online part is counted under its phase, and none of
    /// the preprocessing's: the mapping is by the kinds' names, so a renamed kind
    /// fails here rather than silently moving bytes between phases.
    #[test]
    fn online_message_kinds_map_to_their_phases() {
        let online = [
            (Expect::BeaverOpening { bits: 1 }, phase::BEAVER),
            (Expect::InputMasks { bits: 1 }, phase::INPUTS),
            (Expect::EvaluatorInputs { wires: 1 }, phase::INPUTS),
            (Expect::GarblerInputs { garbler: 1, evaluator: 1 }, phase::INPUTS),
            (Expect::Tables { ands: 1 }, phase::TABLES),
            (Expect::EvaluatorOutputs { wires: 1 }, phase::OUTPUTS),
            (Expect::OutputMasks { bits: 1 }, phase::OUTPUTS),
        ];
        for (e, p) in online {
            assert_eq!(online_phase(e.name()), Some(p), "{}", e.name());
        }
        let preprocessing = [
            Expect::OtSetupOffer,
            Expect::OtSetupAnswer,
            Expect::OtExtend { ots: 1 },
            Expect::KosFlip,
            Expect::KosChallenge,
            Expect::KosProof,
            Expect::LeakyTables { n: 1 },
            Expect::LeakyBits { n: 1 },
            Expect::Commitment { what: "x" },
            Expect::Value { what: "x" },
            Expect::Opening { what: "x" },
            Expect::BucketOpening { bits: 1 },
        ];
        for e in preprocessing {
            assert_eq!(online_phase(e.name()), None, "{}", e.name());
        }
    }
}
