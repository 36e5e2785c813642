//! The whole authenticated-garbling protocol: honest runs agree with the plaintext
//! evaluator on random circuits; each cheating strategy of docs/protocol.md's table is
//! played through the state machines ([`mpc_auth::machine::Machine`], two of them
//! pumped in one thread by `common::pump`) by editing one typed message, and is caught
//! by the check it names (or is harmless, never a wrong output); a man-in-the-middle
//! that changes any byte of any garbler-to-evaluator frame (over a real channel, two
//! threads, through `protocol::run` and a tampering `Link`) makes the run fail with a
//! named check or leaves the outputs correct.

mod common;

use std::thread;

use common::MsgEdit;
use mpc_auth::bucket;
use mpc_auth::machine::{Machine, Options};
use mpc_auth::message::Message;
use mpc_auth::protocol::{self, ChannelLink, Link};
use mpc_auth::{AuthError, Role};
use mpc_circuits::{eval, Circuit, Gate, InputGroup, OutputGroup, PartyId, Reveal, ValueType, WireId};
use mpc_net::MemoryChannel;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// A random circuit over every gate kind (two input groups, outputs to both, to the
/// garbler only and to the evaluator only).
fn random_circuit(seed: u64, n_a: u32, n_b: u32, n_gates: usize) -> Circuit {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let n_in = n_a + n_b;
    let num_wires = n_in + n_gates as u32;
    let mut written: Vec<u32> = (0..n_in).collect();
    let mut gates = Vec::with_capacity(n_gates);
    for out in n_in..num_wires {
        let pick = |rng: &mut ChaCha12Rng, w: &Vec<u32>| {
            let k = if rng.gen_bool(0.5) {
                w.len() - 1 - rng.gen_range(0..w.len().min(4))
            } else {
                rng.gen_range(0..w.len())
            };
            WireId(w[k])
        };
        let (a, b, out) = (pick(&mut rng, &written), pick(&mut rng, &written), WireId(out));
        gates.push(match rng.gen_range(0..10) {
            0..=3 => Gate::And { a, b, out },
            4..=6 => Gate::Xor { a, b, out },
            7 => Gate::Inv { a, out },
            8 => Gate::Const { value: rng.gen(), out },
            _ => Gate::Copy { a, out },
        });
        written.push(out.0);
    }
    let mut pick_out = |n: usize| -> Vec<WireId> {
        let lo = if written.len() > n_in as usize { n_in as usize } else { 0 };
        (0..n).map(|_| WireId(written[rng.gen_range(lo..written.len())])).collect()
    };
    let (all, to_a, to_b) = (pick_out(5), pick_out(3), pick_out(4));
    Circuit::new(
        num_wires,
        vec!["alice".into(), "bob".into()],
        vec![
            InputGroup { name: "a".into(), party: PartyId(0), ty: ValueType::UInt(n_a) },
            InputGroup { name: "b".into(), party: PartyId(1), ty: ValueType::UInt(n_b) },
        ],
        vec![
            OutputGroup { name: "all".into(), ty: ValueType::UInt(5), reveal: Reveal::All, wires: all },
            OutputGroup {
                name: "a".into(),
                ty: ValueType::UInt(3),
                reveal: Reveal::To(PartyId(0)),
                wires: to_a,
            },
            OutputGroup {
                name: "b".into(),
                ty: ValueType::UInt(4),
                reveal: Reveal::To(PartyId(1)),
                wires: to_b,
            },
        ],
        gates,
    )
    .unwrap()
}

/// An edit of one frame's bytes (a man in the middle).
type Edit = Box<dyn FnMut(&mut Vec<u8>) + Send>;

/// A link that lets a test edit the bytes of the `index`-th frame this side sends.
struct Tamper<L> {
    inner: L,
    sent: usize,
    edit: Option<(usize, Edit)>,
    lengths: Vec<usize>,
}

impl<L: Link> Link for Tamper<L> {
    fn send(&mut self, msg: &[u8]) -> Result<(), AuthError> {
        let mut m = msg.to_vec();
        self.lengths.push(m.len());
        if let Some((k, f)) = &mut self.edit {
            if *k == self.sent {
                f(&mut m);
            }
        }
        self.sent += 1;
        self.inner.send(&m)
    }
    fn recv(&mut self, max: usize) -> Result<Vec<u8>, AuthError> {
        self.inner.recv(max)
    }
}

/// Both results of a run over a real channel, and each side's frame lengths.
struct LinkOutcome {
    garbler: Result<Vec<Option<bool>>, AuthError>,
    evaluator: Result<Vec<Option<bool>>, AuthError>,
    garbler_lengths: Vec<usize>,
}

/// One instance over an in-memory channel between two threads, `protocol::run` on
/// both sides, with an optional byte edit of one garbler frame (a man in the middle).
fn run_link(c: &Circuit, xa: &[bool], xb: &[bool], seed: u64, edit: Option<(usize, Edit)>) -> LinkOutcome {
    let (ca, cb) = MemoryChannel::pair_with_timeout(std::time::Duration::from_secs(20));
    let (c1, xb) = (c.clone(), xb.to_vec());
    let eval = thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0xe);
        protocol::run(Role::Evaluator, &c1, &xb, &mut ChannelLink(cb), &mut rng)
    });
    let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0x9);
    let mut link = Tamper { inner: ChannelLink(ca), sent: 0, edit, lengths: Vec::new() };
    let garbler = protocol::run(Role::Garbler, c, xa, &mut link, &mut rng);
    drop(link.inner);
    let evaluator = eval.join().unwrap();
    LinkOutcome { garbler, evaluator, garbler_lengths: link.lengths }
}

/// One instance through the two machines (seeds as in [`run_link`]), with an optional
/// edit of one typed message sent by each side.
fn run(c: &Circuit, xa: &[bool], xb: &[bool], seed: u64, edit: Option<MsgEdit>) -> Outcome {
    run_with(c, xa, xb, seed, edit, None)
}

/// [`run`] with an edit on either side: `edit` of a garbler message, `eval_edit` of an
/// evaluator message.
fn run_with(
    c: &Circuit,
    xa: &[bool],
    xb: &[bool],
    seed: u64,
    edit: Option<MsgEdit>,
    eval_edit: Option<MsgEdit>,
) -> Outcome {
    let one = |o: Result<Vec<Vec<Option<bool>>>, AuthError>| o.map(|mut v| v.pop().unwrap_or_default());
    let o = run_many_with(c, &[(xa.to_vec(), xb.to_vec())], seed, edit, eval_edit);
    assert!(!o.edit_unused, "the message to edit was never sent");
    Outcome { garbler: one(o.garbler), evaluator: one(o.evaluator) }
}

struct Outcome {
    garbler: Result<Vec<Option<bool>>, AuthError>,
    evaluator: Result<Vec<Option<bool>>, AuthError>,
}

/// `K = xs.len()` instances through the two machines, optional edits.
fn run_many_with(
    c: &Circuit,
    xs: &[(Vec<bool>, Vec<bool>)],
    seed: u64,
    edit: Option<MsgEdit>,
    eval_edit: Option<MsgEdit>,
) -> common::Pumped {
    run_with_options(c, xs, seed, Options::default(), edit, eval_edit)
}

/// [`run_many_with`] with preprocessing `options` (both sides).
fn run_with_options(
    c: &Circuit,
    xs: &[(Vec<bool>, Vec<bool>)],
    seed: u64,
    options: Options,
    edit: Option<MsgEdit>,
    eval_edit: Option<MsgEdit>,
) -> common::Pumped {
    let xa: Vec<Vec<bool>> = xs.iter().map(|x| x.0.clone()).collect();
    let xb: Vec<Vec<bool>> = xs.iter().map(|x| x.1.clone()).collect();
    let g = Machine::with_options(Role::Garbler, c, &xa, options, ChaCha12Rng::seed_from_u64(seed ^ 0x9));
    let e = Machine::with_options(Role::Evaluator, c, &xb, options, ChaCha12Rng::seed_from_u64(seed ^ 0xe));
    common::pump(g.unwrap(), e.unwrap(), edit, eval_edit)
}

fn expected(c: &Circuit, xa: &[bool], xb: &[bool]) -> (Vec<Option<bool>>, Vec<Option<bool>>) {
    let out = eval::eval_groups(c, &[xa.to_vec(), xb.to_vec()]).unwrap();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (g, bits) in c.outputs().iter().zip(out) {
        for bit in bits {
            let (to_a, to_b) = match g.reveal {
                Reveal::All => (true, true),
                Reveal::To(p) => (p.0 == 0, p.0 == 1),
            };
            a.push(to_a.then_some(bit));
            b.push(to_b.then_some(bit));
        }
    }
    (a, b)
}

fn bits(rng: &mut ChaCha12Rng, n: usize) -> Vec<bool> {
    (0..n).map(|_| rng.gen()).collect()
}

#[test]
fn random_circuits_give_the_plaintext_outputs() {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    for seed in 0..6 {
        let c = random_circuit(seed, 6, 7, [0, 1, 30, 200, 60, 120][seed as usize]);
        let (xa, xb) = (bits(&mut rng, 6), bits(&mut rng, 7));
        let o = run(&c, &xa, &xb, seed, None);
        let (ea, eb) = expected(&c, &xa, &xb);
        assert_eq!(o.garbler.unwrap(), ea, "seed {seed}");
        assert_eq!(o.evaluator.unwrap(), eb, "seed {seed}");
    }
}

#[test]
fn the_machines_and_the_link_loop_give_the_same_outputs() {
    // `protocol::run` over a channel between two threads is the same machine run by
    // the one loop: the same outputs as the pumped machines with the same seeds.
    let c = random_circuit(3, 6, 7, 90);
    let mut rng = ChaCha12Rng::seed_from_u64(40);
    let (xa, xb) = (bits(&mut rng, 6), bits(&mut rng, 7));
    let (ea, eb) = expected(&c, &xa, &xb);
    let linked = run_link(&c, &xa, &xb, 41, None);
    let pumped = run(&c, &xa, &xb, 41, None);
    assert_eq!((linked.garbler.unwrap(), linked.evaluator.unwrap()), (ea.clone(), eb.clone()));
    assert_eq!((pumped.garbler.unwrap(), pumped.evaluator.unwrap()), (ea, eb));
}

#[test]
fn every_single_byte_flip_from_the_garbler_fails_or_is_harmless() {
    // A man-in-the-middle (or the garbler itself) flips one byte of one frame at
    // random offsets, over a real channel: the run must fail with an error or give the
    // right outputs.
    let c = random_circuit(42, 5, 5, 80);
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let (xa, xb) = (bits(&mut rng, 5), bits(&mut rng, 5));
    let (ea, eb) = expected(&c, &xa, &xb);
    let honest = run_link(&c, &xa, &xb, 7, None);
    assert_eq!(honest.evaluator.as_ref().unwrap(), &eb);
    let lengths = honest.garbler_lengths;
    let tables = tables_message(&lengths, c.and_count());
    let (mut failed, mut harmless) = (0, 0);
    for trial in 0..80 {
        // Half the flips land in the garbled tables, the rest anywhere.
        let msg = if trial % 2 == 0 { tables } else { trial % lengths.len() };
        if lengths[msg] == 0 {
            continue;
        }
        let offset = rng.gen_range(0..lengths[msg]);
        let x: u8 = rng.gen_range(1..=255);
        let edit: Edit = Box::new(move |m: &mut Vec<u8>| m[offset] ^= x);
        let o = run_link(&c, &xa, &xb, 7, Some((msg, edit)));
        // Whichever side finishes must have the right outputs.
        if let Ok(a) = &o.garbler {
            assert_eq!(a, &ea, "message {msg} offset {offset}: a wrong garbler output");
        }
        if let Ok(b) = &o.evaluator {
            assert_eq!(b, &eb, "message {msg} offset {offset}: a wrong evaluator output");
        }
        if o.garbler.is_ok() && o.evaluator.is_ok() {
            harmless += 1;
        } else {
            failed += 1;
        }
    }
    assert!(failed > 0, "some flips must be caught ({harmless} harmless)");
}

/// The index of the garbled-tables frame among the garbler's frames: the one of 128
/// bytes per AND gate.
fn tables_message(lengths: &[usize], ands: usize) -> usize {
    lengths.iter().rposition(|&l| l == 128 * ands).expect("a tables message")
}

/// An edit of the `k`-th message of kind `name`.
fn edit(name: &'static str, k: usize, f: impl FnMut(&mut Message) + 'static) -> Option<MsgEdit> {
    Some((name, k, Box::new(f)))
}

/// The bytes of a message that keeps them (tables, openings, leaky-AND rows).
fn bytes_of(m: &mut Message) -> &mut Vec<u8> {
    match m {
        Message::Tables(b)
        | Message::OutputMasks(b)
        | Message::InputMasks(b)
        | Message::BeaverOpening(b)
        | Message::BucketOpening(b)
        | Message::LeakyTables(b)
        | Message::LeakyBits(b) => b,
        other => panic!("{other:?} keeps no bytes"),
    }
}

#[test]
fn a_flipped_bit_in_an_opened_garbled_row_is_caught_and_named() {
    let c = random_circuit(5, 4, 4, 40);
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    // Flip the same bit in all four rows of gate 0's MAC: whichever row the evaluator
    // opens is wrong.
    let flip = edit("garbled tables", 0, |m| {
        let t = bytes_of(m);
        for row in 0..4 {
            t[32 * row + 2] ^= 0x04;
        }
    });
    let o = run(&c, &xa, &xb, 9, flip);
    let err = o.evaluator.unwrap_err();
    assert_eq!(err, AuthError::GarbledTable { gate: 0 });
    assert_eq!(err.to_string(), "the peer's garbled table for AND gate 0 failed authentication");
    assert!(o.garbler.is_err(), "the garbler gets no output either");
}

#[test]
fn tables_of_another_function_are_caught() {
    // The garbler garbles a different circuit of the same shape (AND gates in the same
    // places but fed by other wires, say): here every AND row is replaced by the row of
    // the next gate. The evaluator's MAC check refuses.
    let c = random_circuit(6, 4, 4, 60);
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let o = run(&c, &xa, &xb, 10, edit("garbled tables", 0, |m| bytes_of(m).rotate_left(128)));
    assert!(matches!(o.evaluator, Err(AuthError::GarbledTable { .. })), "{:?}", o.evaluator.err());
}

#[test]
fn tampered_output_decoding_is_caught() {
    // The garbler's last message opens its mask shares of the evaluator's outputs; a
    // changed bit (a wrong decoding) fails the MAC check.
    let c = random_circuit(8, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let o = run(&c, &xa, &xb, 11, edit("output masks", 0, |m| bytes_of(m)[5] ^= 1));
    assert!(
        matches!(o.evaluator, Err(AuthError::MacCheck { what: "output masks", .. })),
        "{:?}",
        o.evaluator
    );
}

#[test]
fn an_evaluator_with_inconsistent_ot_choices_is_caught() {
    // The evaluator's first OT extension batch with one entry of column 0 flipped: a
    // different choice in that column only. Column 0 meets bit 0 of the garbler's
    // Delta, which is always 1: caught.
    let c = random_circuit(9, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(6);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let cheat = edit("OT extension", 0, |m| {
        let Message::OtExtend(ext) = m else { panic!("{m:?}") };
        let mut b = ext.to_bytes();
        b[mpc_ot::iknp::EXTEND_HEADER_LEN] ^= 1;
        *ext = mpc_ot::iknp::Extend::from_vec(b).unwrap();
    });
    let o = run_with(&c, &xa, &xb, 12, None, cheat);
    let err = o.garbler.unwrap_err();
    assert!(err.to_string().contains("consistency check"), "{err}");
}

#[test]
fn evaluator_inputs_of_the_wrong_length_are_refused() {
    // The evaluator's masked input bits (4 wires: one byte, 4 padding bits) with one
    // bit too many (a padding bit set), 12 bits (two bytes) or none: the garbler
    // refuses them by length or padding before it sends its inputs or tables.
    let c = random_circuit(9, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(6);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    assert!(run(&c, &xa, &xb, 12, None).garbler.is_ok());
    for n in [5usize, 12, 0] {
        let wrong = edit("evaluator inputs", 0, move |m| {
            let Message::EvaluatorInputs(z) = m else { panic!("{m:?}") };
            z.resize(n, true);
        });
        let o = run_many_with(&c, &[(xa.clone(), xb.clone())], 12, None, wrong);
        assert!(!o.edit_unused);
        let err = o.garbler.unwrap_err();
        let want = if n == 12 { "TooLarge" } else { "Malformed" };
        assert!(format!("{err:?}").starts_with(want), "{n} bits: {err:?}");
        assert!(!o.to_evaluator.iter().any(|(n, _)| *n == "garbled tables"), "no tables after a refusal");
        assert!(o.evaluator.is_err());
    }
}

#[test]
fn a_masked_input_bit_changed_on_the_wire_fails_or_is_harmless() {
    // A man in the middle flips one of the evaluator's masked input bits: the garbler
    // answers with the label of the other value, which no longer matches the masked
    // value the evaluator holds: the first AND row it selects fails its MAC check; a
    // wire that reaches outputs only by XOR leaves the evaluator's outputs right
    // (they use its masked values) and fails the garbler's output-label check where it
    // reaches the garbler's outputs. Never a wrong output. (An evaluator that sends
    // other masked bits and uses them itself has chosen another input: allowed.)
    let c = random_circuit(17, 4, 4, 60);
    let mut rng = ChaCha12Rng::seed_from_u64(18);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let (ea, eb) = expected(&c, &xa, &xb);
    let mut caught = 0;
    for wire in 0..4 {
        let flip = edit("evaluator inputs", 0, move |m| {
            let Message::EvaluatorInputs(z) = m else { panic!("{m:?}") };
            z[wire] ^= true;
        });
        let o = run_with(&c, &xa, &xb, 19, None, flip);
        if let Ok(a) = &o.garbler {
            assert_eq!(a, &ea, "wire {wire}");
        }
        if let Ok(b) = &o.evaluator {
            assert_eq!(b, &eb, "wire {wire}");
        }
        caught += usize::from(o.garbler.is_err() || o.evaluator.is_err());
    }
    assert!(caught > 0, "a flipped bit of a wire feeding an AND gate must be caught");
}

#[test]
fn wrong_labels_for_the_evaluators_inputs_fail_or_are_harmless() {
    // The garbler's labels of the evaluator's input wires (after its own 4 in the
    // garbler-inputs message), each changed: caught at the first AND row the label
    // selects, or harmless (outputs use the authenticated masked values, not labels;
    // a label reaching the garbler's outputs by XOR alone fails the garbler's own
    // output-label check). Never a wrong output.
    let c = random_circuit(11, 4, 4, 40);
    let mut rng = ChaCha12Rng::seed_from_u64(8);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let (ea, eb) = expected(&c, &xa, &xb);
    let mut caught = 0;
    for wire in 0..4 {
        let wrong = edit("garbler inputs", 0, move |m| {
            let Message::GarblerInputs { labels, .. } = m else { panic!("{m:?}") };
            assert_eq!(labels.len(), 8, "labels of both parties' input wires");
            labels[4 + wire] ^= mpc_crypto::Block::from(1u128 << 77);
        });
        let o = run(&c, &xa, &xb, 14, wrong);
        if let Ok(a) = &o.garbler {
            assert_eq!(a, &ea);
        }
        match (&o.evaluator, &o.garbler) {
            (Ok(b), _) => assert_eq!(b, &eb),
            (Err(AuthError::GarbledTable { .. }), _) => caught += 1,
            (Err(AuthError::Closed), Err(AuthError::OutputLabel { .. })) => {}
            (e, g) => panic!("{e:?} / {g:?}"),
        }
    }
    assert!(caught > 0, "a label feeding an AND gate must be caught");
}

#[test]
fn an_evaluator_lying_about_the_garblers_output_is_caught() {
    // The evaluator's output message carries, for the garbler's outputs, the masked
    // values and their labels: a flipped masked bit no longer matches its label.
    let c = random_circuit(10, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    assert!(run(&c, &xa, &xb, 13, None).garbler.is_ok());
    let lie = edit("output message", 0, |m| {
        let Message::EvaluatorOutputs { masked, .. } = m else { panic!("{m:?}") };
        masked[0] ^= true;
    });
    let o = run_with(&c, &xa, &xb, 13, None, lie);
    assert!(matches!(o.garbler, Err(AuthError::OutputLabel { .. })), "{:?}", o.garbler);
}

#[test]
fn wrong_input_labels_from_the_garbler_fail_or_are_harmless() {
    // A wrong label makes the first AND row it selects decrypt to garbage (the MAC
    // check fails); where the wire reaches outputs only through XORs the evaluator's
    // outputs do not depend on the label (they use masked values), so the run is
    // right. Never a wrong output.
    let c = random_circuit(11, 4, 4, 40);
    let mut rng = ChaCha12Rng::seed_from_u64(8);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let (ea, eb) = expected(&c, &xa, &xb);
    let mut caught = 0;
    for wire in 0..4 {
        let wrong = edit("garbler inputs", 0, move |m| {
            let Message::GarblerInputs { labels, .. } = m else { panic!("{m:?}") };
            labels[wire] ^= mpc_crypto::Block::from(1u128 << 61);
        });
        let o = run(&c, &xa, &xb, 14, wrong);
        if let Ok(a) = &o.garbler {
            assert_eq!(a, &ea);
        }
        match &o.evaluator {
            Ok(b) => assert_eq!(b, &eb),
            Err(_) => caught += 1,
        }
    }
    assert!(caught > 0, "a label feeding an AND gate must be caught");
}

#[test]
fn wrong_macs_on_authenticated_bits_are_caught() {
    // Each opening of authenticated bits in an instance, with its MAC digest changed
    // (the bits as they are): the Beaver openings (either side) and the input masks.
    let c = random_circuit(15, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let last = |m: &mut Message| {
        let b = bytes_of(m);
        let n = b.len();
        b[n - 1] ^= 0x80;
    };
    let o = run(&c, &xa, &xb, 16, edit("Beaver openings", 0, last));
    assert!(
        matches!(o.evaluator, Err(AuthError::MacCheck { what: "Beaver openings", .. })),
        "{:?}",
        o.evaluator
    );
    let o = run_with(&c, &xa, &xb, 16, None, edit("Beaver openings", 0, last));
    assert!(matches!(o.garbler, Err(AuthError::MacCheck { what: "Beaver openings", .. })), "{:?}", o.garbler);
    let o = run_with(&c, &xa, &xb, 16, None, edit("input masks", 0, last));
    assert!(matches!(o.garbler, Err(AuthError::MacCheck { what: "input masks", .. })), "{:?}", o.garbler);
    // The garbler's opening of the evaluator's input masks: refused before the
    // evaluator sends its masked inputs.
    let o = run(&c, &xa, &xb, 16, edit("input masks", 0, last));
    assert!(matches!(o.evaluator, Err(AuthError::MacCheck { what: "input masks", .. })), "{:?}", o.evaluator);
}

#[test]
fn an_oversized_message_is_refused_from_its_length_before_it_is_buffered() {
    // A peer announces a 1 GiB first message and then sends nothing: the evaluator
    // refuses it from the length prefix alone (it would otherwise wait for the body
    // and fail with a timeout instead).
    let c = random_circuit(12, 4, 4, 20);
    let (mut ca, cb) = MemoryChannel::pair_with_timeout(std::time::Duration::from_secs(20));
    mpc_net::frame::send_u32(&mut ca, 1 << 30).unwrap();
    mpc_net::Channel::flush(&mut ca).unwrap();
    let mut rng = ChaCha12Rng::seed_from_u64(15);
    let err = protocol::run(Role::Evaluator, &c, &[false; 4], &mut ChannelLink(cb), &mut rng).unwrap_err();
    assert!(matches!(err, AuthError::TooLarge { len, .. } if len == 1 << 30), "{err}");
    drop(ca);
}

#[test]
fn a_message_one_byte_longer_than_its_exact_size_is_refused() {
    // Every receive is bounded by the exact size the protocol fixes: the garbled
    // tables with one byte appended are refused by length, not parsed.
    let c = random_circuit(13, 4, 4, 40);
    let ands = c.and_count();
    let mut rng = ChaCha12Rng::seed_from_u64(16);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let o = run(&c, &xa, &xb, 17, edit("garbled tables", 0, |m| bytes_of(m).push(0)));
    let want = 128 * ands as u64;
    assert!(
        matches!(o.evaluator, Err(AuthError::TooLarge { len, max }) if len == want + 1 && max == want),
        "{:?}",
        o.evaluator
    );
    assert!(o.garbler.is_err());
}

#[test]
fn many_instances_in_one_session_each_give_the_plaintext_outputs() {
    let mut rng = ChaCha12Rng::seed_from_u64(20);
    for (seed, k) in [(30u64, 1usize), (31, 5)] {
        let c = random_circuit(seed, 6, 5, 150);
        let xs: Vec<(Vec<bool>, Vec<bool>)> =
            (0..k).map(|_| (bits(&mut rng, 6), bits(&mut rng, 5))).collect();
        let o = run_many_with(&c, &xs, seed, None, None);
        let (g, e) = (o.garbler.unwrap(), o.evaluator.unwrap());
        assert_eq!((g.len(), e.len()), (k, k));
        for (j, (xa, xb)) in xs.iter().enumerate() {
            let (ea, eb) = expected(&c, xa, xb);
            assert_eq!((&g[j], &e[j]), (&ea, &eb), "seed {seed}, instance {j}");
        }
    }
}

#[test]
fn the_aes_circuit_amortised_over_three_instances_matches_the_plaintext() {
    // Three AES-128 runs (the published Bristol Fashion circuit) in one session, one
    // preprocessing, random keys and blocks, checked against the plaintext evaluator,
    // over a real channel between two threads (`protocol::run_many`).
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../circuits/tests/vectors/bristol/aes_128.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        panic!("the published AES-128 circuit at {}", path.display());
    };
    let c = mpc_circuits::bristol::read(&text).unwrap();
    let mut rng = ChaCha12Rng::seed_from_u64(21);
    let (na, nb) = (c.inputs()[0].ty.width(), c.inputs()[1].ty.width());
    let xs: Vec<(Vec<bool>, Vec<bool>)> = (0..3).map(|_| (bits(&mut rng, na), bits(&mut rng, nb))).collect();
    let (ca, cb) = MemoryChannel::pair_with_timeout(std::time::Duration::from_secs(20));
    let c1 = c.clone();
    let xb: Vec<Vec<bool>> = xs.iter().map(|x| x.1.clone()).collect();
    let eval = thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(22);
        protocol::run_many(Role::Evaluator, &c1, &xb, &mut ChannelLink(cb), &mut rng)
    });
    let xa: Vec<Vec<bool>> = xs.iter().map(|x| x.0.clone()).collect();
    let mut rng = ChaCha12Rng::seed_from_u64(23);
    let g = protocol::run_many(Role::Garbler, &c, &xa, &mut ChannelLink(ca), &mut rng).unwrap();
    let e = eval.join().unwrap().unwrap();
    for (j, (xa, xb)) in xs.iter().enumerate() {
        let (ea, eb) = expected(&c, xa, xb);
        assert_eq!((&g[j], &e[j]), (&ea, &eb), "instance {j}");
    }
}

#[test]
fn a_cheat_in_one_instance_of_many_is_caught() {
    // K = 3: the garbler flips a MAC bit in all four rows of AND gate 2 of instance 1
    // only. Instance 0 is unaffected; the evaluator stops at instance 1, naming the gate.
    let c = random_circuit(32, 4, 4, 60);
    let mut rng = ChaCha12Rng::seed_from_u64(23);
    let xs: Vec<(Vec<bool>, Vec<bool>)> = (0..3).map(|_| (bits(&mut rng, 4), bits(&mut rng, 4))).collect();
    let honest = run_many_with(&c, &xs, 24, None, None);
    assert_eq!(honest.to_evaluator.iter().filter(|(n, _)| *n == "garbled tables").count(), 3);
    let flip = edit("garbled tables", 1, |m| {
        let t = bytes_of(m);
        for row in 0..4 {
            t[128 * 2 + 32 * row + 5] ^= 0x40;
        }
    });
    let o = run_many_with(&c, &xs, 24, flip, None);
    assert_eq!(o.evaluator.unwrap_err(), AuthError::GarbledTable { gate: 2 });
    assert!(o.garbler.is_err(), "the garbler gets no output of instance 1 either");
}

#[test]
fn a_preprocessing_is_used_once_per_instance_and_for_its_own_shape() {
    let c = random_circuit(33, 3, 3, 40);
    let other = random_circuit(34, 3, 3, 90);
    let (ca, cb) = MemoryChannel::pair_with_timeout(std::time::Duration::from_secs(20));
    let c1 = c.clone();
    let eval = thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(25);
        let mut link = ChannelLink(cb);
        let mut pre = protocol::preprocess(Role::Evaluator, &c1, 1, &mut link, &mut rng).unwrap();
        let out = pre.run(&c1, &[true, false, true], &mut link, &mut rng);
        (out, pre.remaining(), pre.run(&c1, &[true; 3], &mut link, &mut rng))
    });
    let mut rng = ChaCha12Rng::seed_from_u64(26);
    let mut link = ChannelLink(ca);
    let mut pre = protocol::preprocess(Role::Garbler, &c, 1, &mut link, &mut rng).unwrap();
    if other.and_count() != c.and_count() {
        let err = pre.run(&other, &[false; 3], &mut link, &mut rng).unwrap_err();
        assert!(matches!(err, AuthError::InvalidArgument(_)), "{err}");
    }
    let out = pre.run(&c, &[false, false, true], &mut link, &mut rng).unwrap();
    let (ea, eb) = expected(&c, &[false, false, true], &[true, false, true]);
    assert_eq!(out, ea);
    let (e_out, remaining, again) = eval.join().unwrap();
    assert_eq!((e_out.unwrap(), remaining), (eb, 0));
    assert!(matches!(again, Err(AuthError::InvalidArgument(_))), "{again:?}");
}

#[test]
fn wrong_leaky_and_rows_in_a_session_fail_the_equality_check() {
    // The garbler's first leaky-AND message (tag 0xB2, a 16-byte half-gate row per
    // candidate) with a bit flipped in every row: each row is noticed where the
    // evaluator's share `a` is 1, so with 30-odd candidates the equality check fails
    // (both parties compare the digests).
    let c = random_circuit(35, 4, 4, 60);
    let mut rng = ChaCha12Rng::seed_from_u64(27);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let wrong = edit("leaky-AND tables", 0, |m| {
        let t = bytes_of(m);
        assert_eq!(t[0], 0xB2, "a leaky-AND tables message");
        for k in 0..(t.len() - 5) / 16 {
            t[5 + 16 * k + 9] ^= 0x01;
        }
    });
    let o = run(&c, &xa, &xb, 28, wrong);
    let eq = |r: &Result<Vec<Option<bool>>, AuthError>| matches!(r, Err(AuthError::Equality { .. }));
    assert!(eq(&o.garbler) || eq(&o.evaluator), "{:?} / {:?}", o.garbler, o.evaluator);
    assert!(o.garbler.is_err() && o.evaluator.is_err());
}

#[test]
fn a_message_of_another_kind_is_refused_by_the_machine() {
    // A machine handed a valid message of another kind than it waits for refuses it
    // by name and stops.
    let c = random_circuit(36, 3, 3, 20);
    let mut g = Machine::new(Role::Garbler, &c, &[vec![false; 3]], ChaCha12Rng::seed_from_u64(1)).unwrap();
    let Ok(mpc_auth::machine::Step::Recv(want)) = g.next_step() else { panic!("the garbler waits first") };
    assert_eq!(want.name(), "OT setup");
    let err = g.receive(Message::Tables(vec![0; 128])).unwrap_err();
    assert_eq!(err, AuthError::Unexpected { got: "garbled tables", want: "OT setup" });
    assert!(g.next_step().is_err(), "a machine stops at its first error");
}

/// Small pools of small pieces, so that a few dozen AND gates make several pools of
/// several pieces.
const SMALL: Options = Options { pool_triples: 24, piece_triples: 12 };

/// Both parties' input bits of one instance.
type Pair = (Vec<bool>, Vec<bool>);

/// A circuit and three instances' inputs whose 3 x (AND count) triples make at least
/// three pools of [`SMALL`], each of two pieces; and the number of leaky-AND layers.
fn pooled_case() -> (Circuit, Vec<Pair>, usize) {
    let c = random_circuit(41, 4, 4, 60);
    let total = 3 * c.and_count();
    let plan = bucket::pool_plan(total, SMALL.pool_triples, SMALL.piece_triples);
    assert!(plan.pools.len() >= 3, "{total} triples make {:?}", plan.pools);
    assert!(plan.pools.iter().all(|p| p.len() == 2), "{total} triples make {:?}", plan.pools);
    let mut rng = ChaCha12Rng::seed_from_u64(42);
    let xs = (0..3).map(|_| (bits(&mut rng, 4), bits(&mut rng, 4))).collect();
    (c, xs, plan.b)
}

#[test]
fn a_session_preprocessed_in_pools_of_pieces_gives_the_plaintext_outputs() {
    let (c, xs, b) = pooled_case();
    let o = run_with_options(&c, &xs, 43, SMALL, None, None);
    let (g, e) = (o.garbler.unwrap(), o.evaluator.unwrap());
    for (k, (xa, xb)) in xs.iter().enumerate() {
        let (ea, eb) = expected(&c, xa, xb);
        assert_eq!((&g[k], &e[k]), (&ea, &eb), "instance {k}");
    }
    // Every piece made its own layers and equality check, every pool its own coin
    // toss and bucketing.
    let plan = bucket::pool_plan(3 * c.and_count(), SMALL.pool_triples, SMALL.piece_triples);
    let (pools, pieces) = (plan.pools.len(), plan.pieces());
    let count = |name: &str| o.to_evaluator.iter().filter(|(n, _)| *n == name).count();
    assert_eq!(count("leaky-AND tables"), pieces * b);
    assert_eq!(count("commitment"), pieces + pools);
    assert_eq!(count("bucket opening"), pools * (b - 1));
}

#[test]
fn a_pieces_triples_share_slots_with_the_next_pieces_kos_round() {
    // The garbler's first round is 1 + 3B batches (the wire masks, then the first
    // piece's); the second piece's batches go out in the slots of the first piece's
    // leaky ANDs and equality check, the third piece's in those of the second
    // piece's, which ends the first pool: its coin toss and bucketing.
    let (c, xs, b) = pooled_case();
    assert!(b >= 3, "the lane's 7 slots fit in a round of 3B + 2");
    let o = run_with_options(&c, &xs, 43, SMALL, None, None);
    assert!(o.garbler.is_ok() && o.evaluator.is_ok());
    let names: Vec<&str> = o.to_evaluator.iter().map(|(n, _)| *n).collect();
    let nth = |name: &str, k: usize| names.iter().enumerate().filter(|(_, n)| **n == name).nth(k).unwrap().0;
    let batch = |piece: usize, k: usize| nth("OT extension", 1 + 3 * b * piece + k);
    assert!(batch(1, 0) < nth("leaky-AND tables", 0), "the second piece's first batch opens the stage");
    assert!(nth("leaky-AND tables", 0) < batch(1, 1));
    assert!(nth("leaky-AND tables", b) < batch(2, 1), "the second piece's lane beside the third's round");
    assert!(batch(2, 0) < nth("bucket opening", 0), "the first pool bucketed after its second piece");
    assert!(nth("bucket opening", 0) < batch(2, 3 * b - 1), "the first pool bucketed within the round");
    assert!(nth("bucket opening", b - 2) < nth("leaky-AND tables", 2 * b), "pools stay in order");
}

#[test]
fn cheats_in_a_later_piece_are_caught() {
    // The first piece honest; in the second one (the first pool's last): wrong
    // leaky-AND rows (the piece's equality check), inconsistent OT choices in the
    // piece's own KOS round (its consistency check); a wrong MAC digest on the second
    // pool's first bucketing opening (its MAC check).
    let (c, xs, b) = pooled_case();
    let o = run_with_options(
        &c,
        &xs,
        44,
        SMALL,
        edit("leaky-AND tables", b, |m| {
            let t = bytes_of(m);
            for k in 0..(t.len() - 5) / 16 {
                t[5 + 16 * k + 9] ^= 0x01;
            }
        }),
        None,
    );
    assert!(!o.edit_unused);
    let eq = |r: &Result<Vec<Vec<Option<bool>>>, AuthError>| matches!(r, Err(AuthError::Equality { .. }));
    assert!(eq(&o.garbler) || eq(&o.evaluator), "{:?} / {:?}", o.garbler.err(), o.evaluator.err());
    assert!(o.garbler.is_err() && o.evaluator.is_err());

    let o = run_with_options(
        &c,
        &xs,
        44,
        SMALL,
        None,
        edit("bucket opening", b - 1, |m| {
            let t = bytes_of(m);
            let n = t.len();
            t[n - 1] ^= 0x80;
        }),
    );
    assert!(!o.edit_unused);
    assert!(matches!(o.garbler, Err(AuthError::MacCheck { what: "bucketing d", .. })), "{:?}", o.garbler);

    // The evaluator sends its bootstrap batch, then 1 + 3B OT extension batches in the
    // first round (the wire masks, then a, b, r of each layer): the next is the second
    // piece's first.
    let o = run_with_options(
        &c,
        &xs,
        44,
        SMALL,
        None,
        edit("OT extension", 2 + 3 * b, |m| {
            let Message::OtExtend(ext) = m else { panic!("{m:?}") };
            let mut bytes = ext.to_bytes();
            bytes[mpc_ot::iknp::EXTEND_HEADER_LEN] ^= 1;
            *ext = mpc_ot::iknp::Extend::from_vec(bytes).unwrap();
        }),
    );
    assert!(!o.edit_unused);
    let err = o.garbler.unwrap_err();
    assert!(err.to_string().contains("consistency check"), "{err}");
}
