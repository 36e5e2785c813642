//! The session's state machines ([`GarblerMachine`], [`EvaluatorMachine`]) driven
//! by the one driver over channels that record, replay or edit:
//!
//! - replay: two runs with the same seeds send byte-identical transcripts in both
//!   directions, and a machine fed its peer's recorded transcript sends the same
//!   bytes again and ends with the same outputs (one program run and `K` instances,
//!   both garbling schemes, and a session of enough evaluator OTs to run over
//!   SoftSpoken);
//! - edits: a peer that truncates, oversizes, replaces (a valid message of another
//!   kind) or flips a byte of one message makes the other side end with a typed
//!   error naming it; a flipped byte of the garbled tables is *not* detected by the
//!   semi-honest evaluator (its outputs may be wrong), but the garbler's outputs are
//!   either right or refused, because it checks every returned label;
//! - the curious evaluator's view: with the evaluator's seed fixed, the bytes it
//!   receives for two different garbler inputs have the same length and layout, and
//!   the parts that depend on the garbler's input or `Delta` (its input labels'
//!   permute bits, the table bytes, the decoding bits) look uniform and independent
//!   of that input over many garbler seeds. This is a statistical smoke test of
//!   point-and-permute and of the tables' masking, not a proof of simulatability.

mod common;

use common::{Replay, Tap};
use mpc_circuits::eval::eval_groups;
use mpc_circuits::{Bit, Builder, Circuit, PartyId, Program, Reveal, ValueType, Word};
use mpc_crypto::Block;
use mpc_garble::{GarbleError, TableSink};
use mpc_net::{MemoryChannel, NetError};
use mpc_runtime::driver::drive;
use mpc_runtime::handshake::Hello;
use mpc_runtime::machine::{Machine, Planner, Plans, Step, TableIo};
use mpc_runtime::message::{Decode, Encode, Expect, MessageError, ToEvaluator, ToGarbler};
use mpc_runtime::ot_extension::OtExtension;
use mpc_runtime::{EvaluatorMachine, GarblerMachine, Outputs, Scheme, SessionError};
use rand::{Rng, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};

/// A circuit with inputs of both parties, AND, XOR and INV gates, and outputs
/// revealed to all, to the garbler and to the evaluator.
fn circuit(seed: u64, gates: usize) -> Circuit {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut b = Builder::new(&["alice", "bob"]);
    let mut pool: Vec<Bit> = b.input(PartyId(0), "a", 12).into_bits();
    pool.extend(b.input(PartyId(1), "b", 10).into_bits());
    for _ in 0..gates {
        let x = pool[rng.gen_range(0..pool.len())];
        let y = pool[rng.gen_range(0..pool.len())];
        let bit = match rng.gen_range(0..4) {
            0 => b.xor(x, y),
            1 => b.inv(x),
            _ => b.and(x, y),
        };
        pool.push(bit);
    }
    // Outputs from the last gates, so every output depends on many ANDs.
    let n = pool.len();
    let tail = |k: usize, w: usize| Word::from_bits(pool[n - k - w..n - k].to_vec());
    b.output_typed("all", ValueType::UInt(6), Reveal::All, &tail(0, 6));
    b.output_typed("to_alice", ValueType::UInt(4), Reveal::To(PartyId(0)), &tail(6, 4));
    b.output_typed("to_bob", ValueType::UInt(3), Reveal::To(PartyId(1)), &tail(10, 3));
    b.finish().expect("the builder produces valid circuits")
}

fn bits(seed: u64, n: usize) -> Vec<bool> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| r.gen()).collect()
}

/// The plaintext outputs `party` sees, as the machines return them.
fn expected(c: &Circuit, a: &[bool], b: &[bool], party: u8) -> Vec<Option<Vec<bool>>> {
    let all = eval_groups(c, &[a.to_vec(), b.to_vec()]).expect("plaintext evaluation");
    c.outputs()
        .iter()
        .zip(all)
        .map(|(g, v)| match g.reveal {
            Reveal::All => Some(v),
            Reveal::To(p) if p.0 == party => Some(v),
            Reveal::To(_) => None,
        })
        .collect()
}

/// One party's result and the bytes it sent.
struct Run<O> {
    out: Result<O, SessionError>,
    sent: Vec<u8>,
}

/// Both machines on two threads over recording memory channels.
fn run_pair<'p, G, E>(mut g: G, mut e: E) -> (Run<G::Output>, Run<E::Output>)
where
    G: Machine<'p> + Send,
    G::Output: Send,
    E: Machine<'p>,
{
    let (a, b) = MemoryChannel::pair();
    let (mut ga, mut eb) = (Tap::new(a), Tap::new(b));
    std::thread::scope(|s| {
        let gt = s.spawn(move || {
            let out = drive(&mut ga, &mut g, None);
            drop(ga.inner);
            Run { out, sent: ga.sent }
        });
        let out = drive(&mut eb, &mut e, None);
        drop(eb.inner);
        let er = Run { out, sent: eb.sent };
        (gt.join().expect("the garbler thread does not panic"), er)
    })
}

fn garbler<'p>(p: &'p Program, a: &[bool], scheme: Scheme, seed: u64) -> GarblerMachine<'p, ChaCha20Rng> {
    GarblerMachine::program(p, &[a.to_vec()], scheme, ChaCha20Rng::seed_from_u64(seed)).expect("valid inputs")
}

fn evaluator<'p>(p: &'p Program, b: &[bool], scheme: Scheme, seed: u64) -> EvaluatorMachine<'p> {
    EvaluatorMachine::program(p, &[b.to_vec()], scheme, ChaCha20Rng::seed_from_u64(seed))
        .expect("valid inputs")
}

#[test]
fn same_seeds_same_transcripts_and_a_replayed_peer_gives_the_same_outputs() {
    let c = circuit(1, 300);
    let p = Program::from_circuit(&c).expect("one-body program");
    let (a, b) = (bits(10, 12), bits(11, 10));
    for scheme in [Scheme::HalfGates, Scheme::ThreeHalves] {
        let (g1, e1) = run_pair(garbler(&p, &a, scheme, 7), evaluator(&p, &b, scheme, 8));
        let (g2, e2) = run_pair(garbler(&p, &a, scheme, 7), evaluator(&p, &b, scheme, 8));
        let (go, eo) = (g1.out.expect("garbler"), e1.out.expect("evaluator"));
        assert_eq!(go, vec![expected(&c, &a, &b, 0)], "{scheme}");
        assert_eq!(eo, vec![expected(&c, &a, &b, 1)], "{scheme}");
        assert!(g1.sent == g2.sent && e1.sent == e2.sent, "{scheme}: same seeds, same bytes");
        assert!(g1.sent.len() > 300 * 8, "the tables are in the transcript");
        // Another seed changes the garbler's bytes.
        let (g3, _) = run_pair(garbler(&p, &a, scheme, 9), evaluator(&p, &b, scheme, 8));
        assert_ne!(g1.sent, g3.sent);

        // Each role alone, fed the other's recording, sends the same bytes and ends
        // with the same outputs.
        let mut ch = Replay::new(e1.sent.clone());
        let replayed = drive(&mut ch, &mut garbler(&p, &a, scheme, 7), None).expect("garbler replay");
        assert_eq!(replayed, go);
        assert!(ch.sent == g1.sent && ch.pos == e1.sent.len(), "{scheme}: the garbler's bytes again");
        let mut ch = Replay::new(g1.sent.clone());
        let replayed = drive(&mut ch, &mut evaluator(&p, &b, scheme, 8), None).expect("evaluator replay");
        assert_eq!(replayed, eo);
        assert!(ch.sent == e1.sent && ch.pos == g1.sent.len(), "{scheme}: the evaluator's bytes again");
    }
}

#[test]
fn many_instances_replay_byte_for_byte() {
    let c = circuit(2, 120);
    let ins: Vec<(Vec<bool>, Vec<bool>)> = (0..3).map(|k| (bits(20 + k, 12), bits(30 + k, 10))).collect();
    let g_in: Vec<Vec<Vec<bool>>> = ins.iter().map(|(a, _)| vec![a.clone()]).collect();
    let e_in: Vec<Vec<Vec<bool>>> = ins.iter().map(|(_, b)| vec![b.clone()]).collect();
    let mk_g = || GarblerMachine::many(&c, &g_in, Scheme::HalfGates, ChaCha20Rng::seed_from_u64(3)).unwrap();
    let mk_e =
        || EvaluatorMachine::many(&c, &e_in, Scheme::HalfGates, ChaCha20Rng::seed_from_u64(4)).unwrap();
    let (g1, e1) = run_pair(mk_g(), mk_e());
    let (g2, e2) = run_pair(mk_g(), mk_e());
    assert!(g1.sent == g2.sent && e1.sent == e2.sent);
    let go: Outputs = g1.out.expect("garbler");
    let eo: Outputs = e1.out.expect("evaluator");
    for (k, (a, b)) in ins.iter().enumerate() {
        assert_eq!(go[k], expected(&c, a, b, 0), "instance {k}");
        assert_eq!(eo[k], expected(&c, a, b, 1), "instance {k}");
    }
    let mut ch = Replay::new(g1.sent.clone());
    assert_eq!(drive(&mut ch, &mut mk_e(), None).expect("evaluator replay"), eo);
    assert_eq!(ch.sent, e1.sent);
}

#[test]
fn a_softspoken_session_replays_byte_for_byte() {
    // 30 instances of 10 evaluator bits: 300 OTs, over SoftSpoken (k = 3).
    let c = circuit(3, 100);
    let k = 30;
    assert_eq!(Hello::new(mpc_runtime::Role::Evaluator, &c, k).ot_extension(), OtExtension::SoftSpoken);
    let ins: Vec<(Vec<bool>, Vec<bool>)> =
        (0..u64::from(k)).map(|i| (bits(40 + i, 12), bits(80 + i, 10))).collect();
    let g_in: Vec<Vec<Vec<bool>>> = ins.iter().map(|(a, _)| vec![a.clone()]).collect();
    let e_in: Vec<Vec<Vec<bool>>> = ins.iter().map(|(_, b)| vec![b.clone()]).collect();
    let mk_g = || GarblerMachine::many(&c, &g_in, Scheme::HalfGates, ChaCha20Rng::seed_from_u64(5)).unwrap();
    let mk_e =
        || EvaluatorMachine::many(&c, &e_in, Scheme::HalfGates, ChaCha20Rng::seed_from_u64(6)).unwrap();
    // The evaluator's third and fourth messages: the SoftSpoken offer and the one
    // extension frame (first batch, with the tree sums).
    let seen = std::sync::Mutex::new(Vec::new());
    let record = |at| {
        let seen = &seen;
        Edit::message(mk_e(), at, move |m: Vec<u8>| {
            seen.lock().unwrap().push(m.clone());
            m
        })
    };
    let (g1, e1) = run_pair(mk_g(), record(2));
    let (g2, e2) = run_pair(mk_g(), record(3));
    assert!(g1.sent == g2.sent && e1.sent == e2.sent);
    let seen = seen.into_inner().unwrap();
    assert_eq!(&seen[0][4..6], &[0x51, 3], "a SoftSpoken offer with k = 3");
    let ext_len = mpc_ot::softspoken::Extend::encoded_len_for(300, 3, true).unwrap();
    assert_eq!(seen[1].len(), 4 + ext_len);
    let go: Outputs = g1.out.expect("garbler");
    let eo: Outputs = e1.out.expect("evaluator");
    for (i, (a, b)) in ins.iter().enumerate() {
        assert_eq!(go[i], expected(&c, a, b, 0), "instance {i}");
        assert_eq!(eo[i], expected(&c, a, b, 1), "instance {i}");
    }
    let mut ch = Replay::new(g1.sent.clone());
    assert_eq!(drive(&mut ch, &mut mk_e(), None).expect("evaluator replay"), eo);
    assert_eq!(ch.sent, e1.sent);
    let mut ch = Replay::new(e1.sent.clone());
    assert_eq!(drive(&mut ch, &mut mk_g(), None).expect("garbler replay"), go);
    assert_eq!(ch.sent, g1.sent);
}

#[test]
fn a_hello_announcing_the_other_ot_extension_is_refused() {
    let c = circuit(4, 40);
    for (k, ours, theirs) in
        [(30u32, "SoftSpoken (k = 3)", OtExtension::Iknp), (1, "IKNP", OtExtension::SoftSpoken)]
    {
        let g_in = vec![vec![bits(1, 12)]; k as usize];
        let e_in = vec![vec![bits(2, 10)]; k as usize];
        let g = GarblerMachine::many(&c, &g_in, Scheme::HalfGates, ChaCha20Rng::seed_from_u64(1)).unwrap();
        let e = EvaluatorMachine::many(&c, &e_in, Scheme::HalfGates, ChaCha20Rng::seed_from_u64(2)).unwrap();
        // The evaluator's program hello (message 1) rewritten with the other choice,
        // as a peer of another release would send it.
        let other = move |m: Vec<u8>| {
            let hello = Hello::decode(&m[4..]).expect("our own hello decodes");
            reframe(&hello.with_ot_extension(theirs).to_bytes())
        };
        let (gr, _) = run_pair(g, Edit::message(e, 1, other));
        let err = gr.out.expect_err("the garbler refuses");
        assert!(matches!(err, SessionError::Mismatch(_)), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("over {ours} but the peer over {theirs}")), "{msg}");
    }
    // A byte naming neither extension is a malformed hello.
    let mut body = Hello::new(mpc_runtime::Role::Garbler, &c, 1).to_bytes();
    *body.last_mut().unwrap() = 5;
    let err = Hello::decode(&body).unwrap_err();
    assert!(err.to_string().contains("OT extension"), "{err}");
}

// ---- edits -------------------------------------------------------------------

/// A message as sent by [`Edit`]: the machine's own, or bytes edited from its encoding.
enum Wired<M> {
    Msg(M),
    Raw(Vec<u8>),
}

impl<M: Encode> Encode for Wired<M> {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), NetError> {
        match self {
            Wired::Msg(m) => m.encode(out),
            Wired::Raw(b) => {
                out.extend_from_slice(b);
                Ok(())
            }
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Wired::Msg(m) => m.name(),
            Wired::Raw(_) => "edited",
        }
    }
}

/// A party that follows its machine but edits the wire bytes of its `at`-th sent
/// message (counted from 0) with `edit`, and, if `flip_table` is set, flips that byte
/// of the table stream.
struct Edit<M, F> {
    inner: M,
    sent: usize,
    at: usize,
    edit: F,
    flip_table: Option<usize>,
}

impl<M, F> Edit<M, F> {
    fn message(inner: M, at: usize, edit: F) -> Edit<M, F> {
        Edit { inner, sent: 0, at, edit, flip_table: None }
    }
}

fn no_edit(b: Vec<u8>) -> Vec<u8> {
    b
}

/// Flips one byte of the table stream on its way to the real sink.
struct FlipSink<'a> {
    inner: &'a mut dyn TableSink,
    at: usize,
    pos: usize,
}

impl TableSink for FlipSink<'_> {
    fn write_tables(&mut self, bytes: &[u8]) -> Result<(), GarbleError> {
        let mut copy = bytes.to_vec();
        if (self.pos..self.pos + bytes.len()).contains(&self.at) {
            copy[self.at - self.pos] ^= 0x01;
        }
        self.pos += bytes.len();
        self.inner.write_tables(&copy)
    }
}

impl<'p, M, F> Machine<'p> for Edit<M, F>
where
    M: Machine<'p>,
    F: FnMut(Vec<u8>) -> Vec<u8>,
{
    type Out = Wired<M::Out>;
    type In = M::In;
    type Output = M::Output;

    fn planner(&self) -> Planner<'p> {
        self.inner.planner()
    }
    fn next_step(&mut self) -> Result<Step<Wired<M::Out>, M::Output>, SessionError> {
        Ok(match self.inner.next_step()? {
            Step::Send(m) => {
                self.sent += 1;
                if self.sent - 1 == self.at {
                    let mut bytes = Vec::new();
                    m.encode(&mut bytes)?;
                    Step::Send(Wired::Raw((self.edit)(bytes)))
                } else {
                    Step::Send(Wired::Msg(m))
                }
            }
            Step::Flush => Step::Flush,
            Step::Recv(e) => Step::Recv(e),
            Step::Tables(d) => Step::Tables(d),
            Step::Done(o) => Step::Done(o),
        })
    }
    fn receive(&mut self, msg: M::In) -> Result<(), SessionError> {
        self.inner.receive(msg)
    }
    fn tables(&mut self, io: TableIo<'_>, plans: Plans) -> Result<(), SessionError> {
        match (io, self.flip_table) {
            (TableIo::Sink(sink), Some(at)) => {
                self.inner.tables(TableIo::Sink(&mut FlipSink { inner: sink, at, pos: 0 }), plans)
            }
            (io, _) => self.inner.tables(io, plans),
        }
    }
}

fn reframe(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// The error message of the side that caught the edit.
fn caught<A, B>(g: &Run<A>, e: &Run<B>, garbler_side: bool) -> String {
    let err = if garbler_side { g.out.as_ref().err() } else { e.out.as_ref().err() };
    err.map(|e| e.to_string()).unwrap_or_else(|| "no error".into())
}

// Sent messages, counted from 0. Garbler: 0 common hello, 1 hello, 2 OT answer,
// 3 input labels, 4 decoding. Evaluator: 0 common hello, 1 hello, 2 OT offer,
// 3 OT extension, 4 status, 5 output labels.

#[test]
fn an_edited_message_is_a_typed_error_naming_it() {
    let c = circuit(3, 200);
    let p = Program::from_circuit(&c).expect("one-body program");
    let (a, b) = (bits(40, 12), bits(41, 10));
    let hs = Scheme::HalfGates;
    let g = || garbler(&p, &a, hs, 1);
    let e = || evaluator(&p, &b, hs, 2);

    // Truncated: the OT extension one block short (re-framed), and the hello cut.
    let (gr, er) = run_pair(g(), Edit::message(e(), 3, |m: Vec<u8>| reframe(&m[4..m.len() - 16])));
    let msg = caught(&gr, &er, true);
    assert!(msg.contains("oblivious transfer"), "{msg}");
    let (gr, er) = run_pair(Edit::message(g(), 1, |m: Vec<u8>| reframe(&m[4..m.len() - 3])), e());
    let msg = caught(&gr, &er, false);
    assert!(msg.contains("malformed hello"), "{msg}");

    // Oversized: an OT setup answer announcing 1 MiB.
    let (gr, er) = run_pair(Edit::message(g(), 2, |_| (1u32 << 20).to_le_bytes().to_vec()), e());
    let msg = caught(&gr, &er, false);
    assert!(msg.contains("its OT setup answer message has 1048576 bytes, at most 65536"), "{msg}");

    // Wrong kind: a valid OT offer (a frame) in place of the garbler's hello, and in
    // place of the evaluator's OT extension.
    let offer = {
        let (_, offer) = mpc_ot::cot::Receiver::new(&mut ChaCha20Rng::seed_from_u64(5));
        reframe(&offer.to_bytes())
    };
    let o = offer.clone();
    let (gr, er) = run_pair(Edit::message(g(), 1, move |_| o.clone()), e());
    let msg = caught(&gr, &er, false);
    assert!(msg.contains("malformed hello"), "{msg}");
    let (gr, er) = run_pair(g(), Edit::message(e(), 3, move |_| offer.clone()));
    let msg = caught(&gr, &er, true);
    assert!(msg.contains("oblivious transfer"), "{msg}");

    // A flipped byte: the magic, the status byte, a returned output label.
    let (gr, er) = run_pair(
        g(),
        Edit::message(e(), 0, |mut m: Vec<u8>| {
            m[0] ^= 0x20;
            m
        }),
    );
    let msg = caught(&gr, &er, true);
    assert!(msg.contains("not speaking the mpc protocol"), "{msg}");
    let (gr, er) = run_pair(g(), Edit::message(e(), 4, |_| vec![7]));
    let msg = caught(&gr, &er, true);
    assert!(msg.contains("it sent status 7 after evaluating"), "{msg}");
    let (gr, er) = run_pair(
        g(),
        Edit::message(e(), 5, |mut m: Vec<u8>| {
            m[5] ^= 0x80;
            m
        }),
    );
    let msg = caught(&gr, &er, true);
    assert!(matches!(gr.out, Err(SessionError::PeerMisbehaved(_))), "{msg}");
    // The unedited run for comparison: no error anywhere.
    let (gr, er) = run_pair(Edit::message(g(), 99, no_edit), e());
    assert!(gr.out.is_ok() && er.out.is_ok());
}

#[test]
fn a_flipped_table_byte_is_undetected_by_the_evaluator_but_never_a_wrong_garbler_output() {
    let c = circuit(4, 200);
    let p = Program::from_circuit(&c).expect("one-body program");
    let (a, b) = (bits(50, 12), bits(51, 10));
    let tables = mpc_garble::table_bytes(&c) as usize;
    let (mut evaluator_wrong, mut garbler_refused) = (0, 0);
    for at in (0..tables).step_by(97) {
        let mut cheat = Edit::message(garbler(&p, &a, Scheme::HalfGates, 1), usize::MAX, no_edit);
        cheat.flip_table = Some(at);
        let (gr, er) = run_pair(cheat, evaluator(&p, &b, Scheme::HalfGates, 2));
        // The semi-honest evaluator cannot tell: it always ends, maybe wrong.
        let eo = er.out.expect("the evaluator does not detect a flipped table byte");
        evaluator_wrong += usize::from(eo != vec![expected(&c, &a, &b, 1)]);
        match gr.out {
            Ok(go) => assert_eq!(go, vec![expected(&c, &a, &b, 0)], "offset {at}"),
            Err(SessionError::PeerMisbehaved(_)) => garbler_refused += 1,
            Err(other) => panic!("offset {at}: {other}"),
        }
    }
    // The flips do reach outputs (else the test shows nothing).
    assert!(garbler_refused > 0 && evaluator_wrong > 0, "{garbler_refused} {evaluator_wrong}");
}

#[test]
fn machines_refuse_messages_out_of_turn_and_decoders_check_sizes() {
    let c = circuit(5, 50);
    let p = Program::from_circuit(&c).expect("one-body program");
    let mut g = garbler(&p, &bits(1, 12), Scheme::HalfGates, 1);
    let err = g.receive(ToGarbler::Evaluated).unwrap_err();
    assert!(err.to_string().contains("a status message arrived"), "{err}");
    let err = ToEvaluator::decode(Expect::InputLabels { count: 2 }, &[0u8; 31]).unwrap_err();
    assert!(matches!(err, MessageError::Length { len: 31, want: 32, .. }), "{err}");
    let err = ToEvaluator::decode(Expect::Decoding { bits: 3 }, &[0xF8]).unwrap_err();
    assert!(matches!(err, MessageError::Malformed { .. }), "{err}");
    let err = ToGarbler::decode(Expect::OtAnswer { ext: OtExtension::Iknp }, &[0u8; 4]).unwrap_err();
    assert!(matches!(err, MessageError::Unexpected { .. }), "{err}");
    let err = ToGarbler::decode(Expect::Evaluated, &[1]).unwrap_err();
    assert!(err.to_string().contains("it sent status 1 after"), "{err}");
    // Round trip of a label message.
    let labels = vec![Block::from_bytes([3; 16]), Block::from_bytes([4; 16])];
    let mut wire = Vec::new();
    ToEvaluator::InputLabels(zeroize::Zeroizing::new(labels.clone())).encode(&mut wire).expect("small");
    match ToEvaluator::decode(Expect::InputLabels { count: 2 }, &wire) {
        Ok(ToEvaluator::InputLabels(got)) => {
            assert!(got.iter().zip(&labels).all(|(x, y)| x.to_bytes() == y.to_bytes()))
        }
        other => panic!("{other:?}"),
    }
}

// ---- the curious evaluator ---------------------------------------------------------

/// What the evaluator receives, cut at the protocol's boundaries.
struct View {
    len: usize,
    /// The garbler's input labels (16 bytes each).
    labels: Vec<[u8; 16]>,
    tables: Vec<u8>,
    decoding: Vec<u8>,
}

fn view(c: &Circuit, p: &Program, a: &[bool], b: &[bool], g_seed: u64) -> View {
    let (g, e) = run_pair(garbler(p, a, Scheme::HalfGates, g_seed), evaluator(p, b, Scheme::HalfGates, 99));
    assert!(g.out.is_ok() && e.out.is_ok());
    let t = g.sent;
    // common hello, hello frame, OT answer frame, then labels, tables, decoding.
    let frame_end = |at: usize| at + 4 + u32::from_le_bytes(t[at..at + 4].try_into().unwrap()) as usize;
    let after_hello = frame_end(mpc_net::hello::HELLO_LEN);
    let labels_at = frame_end(after_hello);
    let tables_at = labels_at + 16 * 12;
    let decoding_at = tables_at + mpc_garble::table_bytes(c) as usize;
    View {
        len: t.len(),
        labels: t[labels_at..tables_at].chunks_exact(16).map(|l| l.try_into().unwrap()).collect(),
        tables: t[tables_at..decoding_at].to_vec(),
        decoding: t[decoding_at..].to_vec(),
    }
}

/// Whether `ones` successes out of `n` fair coin flips is within 5 standard deviations.
fn fair(ones: usize, n: usize) -> bool {
    let (mean, sd) = (n as f64 / 2.0, (n as f64).sqrt() / 2.0);
    (ones as f64 - mean).abs() <= 5.0 * sd
}

#[test]
fn the_evaluators_view_does_not_depend_on_the_garblers_input() {
    let c = circuit(6, 120);
    let p = Program::from_circuit(&c).expect("one-body program");
    let b = bits(60, 10);
    let inputs = [vec![false; 12], vec![true; 12]];
    let runs = 48;
    let mut lens = Vec::new();
    for a in &inputs {
        let (mut permute_is_input, mut table_ones, mut table_bits, mut decoding_ones) = (0, 0, 0, 0);
        for seed in 0..runs {
            let v = view(&c, &p, a, &b, 1000 + seed);
            lens.push(v.len);
            // The permute (colour) bit of the label the evaluator holds for each of
            // the garbler's input bits is independent of that bit.
            for (l, &bit) in v.labels.iter().zip(a) {
                permute_is_input += usize::from((l[0] & 1 == 1) == bit);
            }
            table_ones += v.tables.iter().map(|x| x.count_ones() as usize).sum::<usize>();
            table_bits += v.tables.len() * 8;
            // Decoding bits of the 9 outputs the evaluator sees (6 + 3, packed).
            decoding_ones += v.decoding.iter().map(|x| x.count_ones() as usize).sum::<usize>();
        }
        let n = runs as usize;
        assert!(fair(permute_is_input, n * 12), "input {a:?}: {permute_is_input} of {}", n * 12);
        assert!(fair(table_ones, table_bits), "input {a:?}: {table_ones} of {table_bits} table bits");
        assert!(fair(decoding_ones, n * 9), "input {a:?}: {decoding_ones} of {}", n * 9);
    }
    assert!(lens.iter().all(|&l| l == lens[0]), "the transcript's length does not depend on the input");
}

/// Keeps the tests honest about what a replayed peer sees: a transcript cut short
/// ends in `Closed`, not a hang or a panic.
#[test]
fn a_replay_cut_short_ends_with_closed() {
    let c = circuit(7, 40);
    let p = Program::from_circuit(&c).expect("one-body program");
    let (a, b) = (bits(70, 12), bits(71, 10));
    let (g, _) = run_pair(garbler(&p, &a, Scheme::HalfGates, 1), evaluator(&p, &b, Scheme::HalfGates, 2));
    let mut ch = Replay::new(g.sent[..g.sent.len() / 2].to_vec());
    let out = drive(&mut ch, &mut evaluator(&p, &b, Scheme::HalfGates, 2), None);
    assert!(matches!(out, Err(SessionError::Net(NetError::Closed))), "{out:?}");
}

/// The many-instance session runs instance `k` as call `k` of the circuit on one
/// `ProgramGarbler`; its tables are byte for byte those of a `Garbler` per instance
/// with tweak base `k * tweaks_used` (the protocol of `docs/protocol.md`, "Many
/// instances"), so peers of either kind interoperate.
#[test]
fn instances_as_calls_on_one_kernel_garble_the_per_instance_tables() {
    use mpc_circuits::Engine;
    let c = circuit(8, 300);
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let delta = mpc_crypto::Delta::random(&mut rng);
    let n_in = c.num_input_wires() as usize;
    let zeros: Vec<Vec<Block>> =
        (0..4).map(|_| (0..n_in).map(|_| Block::random(&mut rng)).collect()).collect();
    let mut per_instance = Vec::new();
    let mut out_a = Vec::new();
    for (k, zero) in zeros.iter().enumerate() {
        let base = mpc_garble::tweaks_used(&c) * k as u64;
        let mut g = mpc_garble::Garbler::new(&c, &delta, zero.clone(), base).expect("garbler");
        g.garble(&mut per_instance).expect("garble");
        out_a.push(g.output_zero_labels().expect("garbled").to_vec());
    }
    let mut on_one = Vec::new();
    let mut g = mpc_garble::ProgramGarbler::new(&delta, 0, &mut on_one);
    let mut out_b = Vec::new();
    for zero in &zeros {
        let mut out = Vec::new();
        g.call(0, &c, zero, &mut out).expect("call");
        out_b.push(out);
    }
    g.finish().expect("finish");
    drop(g);
    assert_eq!(per_instance.len(), 4 * mpc_garble::table_bytes(&c) as usize);
    assert!(per_instance == on_one, "the same tables");
    let same = out_a.iter().flatten().zip(out_b.iter().flatten()).all(|(x, y)| x.to_bytes() == y.to_bytes());
    assert!(same, "the same output zero labels");
}
