//! The whole authenticated-garbling protocol between two threads: honest runs agree
//! with the plaintext evaluator on random circuits; a cheating garbler (or a
//! man-in-the-middle) that changes any byte of any garbler-to-evaluator message makes
//! the run fail with a named check or leaves the outputs correct, never wrong.

use std::thread;

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

/// An edit of one message's bytes.
type Edit = Box<dyn FnMut(&mut Vec<u8>) + Send>;

/// A link that lets a test edit the `index`-th message this side sends.
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

struct Outcome {
    garbler: Result<Vec<Option<bool>>, AuthError>,
    evaluator: Result<Vec<Option<bool>>, AuthError>,
    garbler_lengths: Vec<usize>,
    evaluator_lengths: Vec<usize>,
}

fn run(c: &Circuit, xa: &[bool], xb: &[bool], seed: u64, edit: Option<(usize, Edit)>) -> Outcome {
    run_with(c, xa, xb, seed, edit, None)
}

/// [`run`] with an edit on either side: `edit` of a garbler message, `eval_edit` of an
/// evaluator message.
fn run_with(
    c: &Circuit,
    xa: &[bool],
    xb: &[bool],
    seed: u64,
    edit: Option<(usize, Edit)>,
    eval_edit: Option<(usize, Edit)>,
) -> Outcome {
    let (ca, cb) = MemoryChannel::pair_with_timeout(std::time::Duration::from_secs(20));
    let (c1, xb) = (c.clone(), xb.to_vec());
    let eval = thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0xe);
        let mut link = Tamper { inner: ChannelLink(cb), sent: 0, edit: eval_edit, lengths: Vec::new() };
        let out = protocol::run(Role::Evaluator, &c1, &xb, &mut link, &mut rng);
        (out, link.lengths)
    });
    let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0x9);
    let mut link = Tamper { inner: ChannelLink(ca), sent: 0, edit, lengths: Vec::new() };
    let garbler = protocol::run(Role::Garbler, c, xa, &mut link, &mut rng);
    drop(link.inner);
    let (evaluator, evaluator_lengths) = eval.join().unwrap();
    Outcome { garbler, evaluator, garbler_lengths: link.lengths, evaluator_lengths }
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
fn every_single_byte_flip_from_the_garbler_fails_or_is_harmless() {
    // A man-in-the-middle (or the garbler itself) flips one byte of one message at
    // random offsets: the run must fail with an error or give the right outputs.
    let c = random_circuit(42, 5, 5, 80);
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let (xa, xb) = (bits(&mut rng, 5), bits(&mut rng, 5));
    let (ea, eb) = expected(&c, &xa, &xb);
    let honest = run(&c, &xa, &xb, 7, None);
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
        let o = run(&c, &xa, &xb, 7, Some((msg, edit)));
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

/// The index of the garbled-tables message among the garbler's messages: the one of
/// 128 bytes per AND gate.
fn tables_message(lengths: &[usize], ands: usize) -> usize {
    lengths.iter().rposition(|&l| l == 128 * ands).expect("a tables message")
}

#[test]
fn a_flipped_bit_in_an_opened_garbled_row_is_caught_and_named() {
    let c = random_circuit(5, 4, 4, 40);
    let ands = c.and_count();
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let honest = run(&c, &xa, &xb, 9, None);
    let t = tables_message(&honest.garbler_lengths, ands);
    // Flip the same bit in all four rows of gate 0's MAC: whichever row the evaluator
    // opens is wrong.
    let edit: Edit = Box::new(|m: &mut Vec<u8>| {
        for row in 0..4 {
            m[32 * row + 2] ^= 0x04;
        }
    });
    let o = run(&c, &xa, &xb, 9, Some((t, edit)));
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
    let ands = c.and_count();
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let honest = run(&c, &xa, &xb, 10, None);
    let t = tables_message(&honest.garbler_lengths, ands);
    let edit: Edit = Box::new(|m: &mut Vec<u8>| m.rotate_left(128));
    let o = run(&c, &xa, &xb, 10, Some((t, edit)));
    assert!(matches!(o.evaluator, Err(AuthError::GarbledTable { .. })), "{:?}", o.evaluator.err());
}

#[test]
fn tampered_output_decoding_is_caught() {
    // The garbler's last message opens its mask shares of the evaluator's outputs; a
    // changed bit (a wrong decoding) fails the MAC check.
    let c = random_circuit(8, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let last = run(&c, &xa, &xb, 11, None).garbler_lengths.len() - 1;
    let edit: Edit = Box::new(|m: &mut Vec<u8>| m[5] ^= 1);
    let o = run(&c, &xa, &xb, 11, Some((last, edit)));
    assert!(
        matches!(o.evaluator, Err(AuthError::MacCheck { what: "output masks", .. })),
        "{:?}",
        o.evaluator
    );
}

#[test]
fn an_evaluator_with_inconsistent_ot_choices_is_caught() {
    // The evaluator's second message is its OT extension (after the base-OT offer);
    // flipping one entry of column 0 means a different choice in that column only.
    // Column 0 meets bit 0 of the garbler's Delta, which is always 1: caught.
    let c = random_circuit(9, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(6);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let edit: Edit = Box::new(|m: &mut Vec<u8>| m[mpc_ot::iknp::EXTEND_HEADER_LEN] ^= 1);
    let o = run_with(&c, &xa, &xb, 12, None, Some((1, edit)));
    let err = o.garbler.unwrap_err();
    assert!(err.to_string().contains("consistency check"), "{err}");
}

#[test]
fn an_evaluator_lying_about_the_garblers_output_is_caught() {
    // The evaluator's last message carries, for the garbler's outputs, the masked
    // values and their labels: a flipped masked bit no longer matches its label.
    let c = random_circuit(10, 4, 4, 30);
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let honest = run(&c, &xa, &xb, 13, None);
    assert!(honest.garbler.is_ok());
    let last = honest.evaluator_lengths.len() - 1;
    let edit: Edit = Box::new(|m: &mut Vec<u8>| m[0] ^= 1);
    let o = run_with(&c, &xa, &xb, 13, None, Some((last, edit)));
    assert!(matches!(o.garbler, Err(AuthError::OutputLabel { .. })), "{:?}", o.garbler);
}

#[test]
fn wrong_input_labels_from_the_garbler_fail_or_are_harmless() {
    // The garbler's input message is its masked input bits then one label per input
    // wire. A wrong label makes the first AND row it selects decrypt to garbage (the
    // MAC check fails); where the wire reaches outputs only through XORs the
    // evaluator's outputs do not depend on the label (they use masked values), so the
    // run is right. Never a wrong output.
    let c = random_circuit(11, 4, 4, 40);
    let mut rng = ChaCha12Rng::seed_from_u64(8);
    let (xa, xb) = (bits(&mut rng, 4), bits(&mut rng, 4));
    let (ea, eb) = expected(&c, &xa, &xb);
    let honest = run(&c, &xa, &xb, 14, None);
    let msg = honest.garbler_lengths.iter().position(|&l| l == 1 + 16 * 4).expect("the input message");
    let mut caught = 0;
    for wire in 0..4 {
        let edit: Edit = Box::new(move |m: &mut Vec<u8>| m[1 + 16 * wire + 7] ^= 0x20);
        let o = run(&c, &xa, &xb, 14, Some((msg, edit)));
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
    let honest = run(&c, &xa, &xb, 17, None);
    let t = tables_message(&honest.garbler_lengths, ands);
    let edit: Edit = Box::new(|m: &mut Vec<u8>| m.push(0));
    let o = run(&c, &xa, &xb, 17, Some((t, edit)));
    let want = 128 * ands as u64;
    assert!(
        matches!(o.evaluator, Err(AuthError::TooLarge { len, max }) if len == want + 1 && max == want),
        "{:?}",
        o.evaluator
    );
    assert!(o.garbler.is_err());
}

type ManyResult = Result<Vec<Vec<Option<bool>>>, AuthError>;

/// `K = xs.len()` instances in one session, an optional edit of one garbler message:
/// both results and the garbler's message lengths.
fn run_many(
    c: &Circuit,
    xs: &[(Vec<bool>, Vec<bool>)],
    seed: u64,
    edit: Option<(usize, Edit)>,
) -> (ManyResult, ManyResult, Vec<usize>) {
    let (ca, cb) = MemoryChannel::pair_with_timeout(std::time::Duration::from_secs(20));
    let c1 = c.clone();
    let xb: Vec<Vec<bool>> = xs.iter().map(|x| x.1.clone()).collect();
    let eval = thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0xe);
        let mut link = ChannelLink(cb);
        protocol::run_many(Role::Evaluator, &c1, &xb, &mut link, &mut rng)
    });
    let xa: Vec<Vec<bool>> = xs.iter().map(|x| x.0.clone()).collect();
    let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 0x9);
    let mut link = Tamper { inner: ChannelLink(ca), sent: 0, edit, lengths: Vec::new() };
    let garbler = protocol::run_many(Role::Garbler, c, &xa, &mut link, &mut rng);
    drop(link.inner);
    (garbler, eval.join().unwrap(), link.lengths)
}

#[test]
fn many_instances_in_one_session_each_give_the_plaintext_outputs() {
    let mut rng = ChaCha12Rng::seed_from_u64(20);
    for (seed, k) in [(30u64, 1usize), (31, 5)] {
        let c = random_circuit(seed, 6, 5, 150);
        let xs: Vec<(Vec<bool>, Vec<bool>)> =
            (0..k).map(|_| (bits(&mut rng, 6), bits(&mut rng, 5))).collect();
        let (g, e, _) = run_many(&c, &xs, seed, None);
        let (g, e) = (g.unwrap(), e.unwrap());
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
    // preprocessing, random keys and blocks, checked against the plaintext evaluator.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../circuits/tests/vectors/bristol/aes_128.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        panic!("the published AES-128 circuit at {}", path.display());
    };
    let c = mpc_circuits::bristol::read(&text).unwrap();
    let mut rng = ChaCha12Rng::seed_from_u64(21);
    let (na, nb) = (c.inputs()[0].ty.width(), c.inputs()[1].ty.width());
    let xs: Vec<(Vec<bool>, Vec<bool>)> = (0..3).map(|_| (bits(&mut rng, na), bits(&mut rng, nb))).collect();
    let (g, e, _) = run_many(&c, &xs, 22, None);
    let (g, e) = (g.unwrap(), e.unwrap());
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
    let ands = c.and_count();
    let mut rng = ChaCha12Rng::seed_from_u64(23);
    let xs: Vec<(Vec<bool>, Vec<bool>)> = (0..3).map(|_| (bits(&mut rng, 4), bits(&mut rng, 4))).collect();
    let (_, _, lengths) = run_many(&c, &xs, 24, None);
    let tables: Vec<usize> = (0..lengths.len()).filter(|&i| lengths[i] == 128 * ands).collect();
    assert_eq!(tables.len(), 3, "one tables message per instance");
    let edit: Edit = Box::new(|m: &mut Vec<u8>| {
        for row in 0..4 {
            m[128 * 2 + 32 * row + 5] ^= 0x40;
        }
    });
    let (g, e, _) = run_many(&c, &xs, 24, Some((tables[1], edit)));
    assert_eq!(e.unwrap_err(), AuthError::GarbledTable { gate: 2 });
    assert!(g.is_err(), "the garbler gets no output of instance 1 either");
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
    let honest = run(&c, &xa, &xb, 28, None);
    let want = 5 + 16 * c.and_count();
    let tables = honest.garbler_lengths.iter().position(|&len| len == want);
    let t = tables.expect("a leaky-AND tables message");
    let edit: Edit = Box::new(|m: &mut Vec<u8>| {
        assert_eq!(m[0], 0xB2, "a leaky-AND tables message");
        for k in 0..(m.len() - 5) / 16 {
            m[5 + 16 * k + 9] ^= 0x01;
        }
    });
    let o = run(&c, &xa, &xb, 28, Some((t, edit)));
    let eq = |r: &Result<Vec<Option<bool>>, AuthError>| matches!(r, Err(AuthError::Equality { .. }));
    assert!(eq(&o.garbler) || eq(&o.evaluator), "{:?} / {:?}", o.garbler, o.evaluator);
    assert!(o.garbler.is_err() && o.evaluator.is_err());
}
