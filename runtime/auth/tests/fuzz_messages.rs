//! No-panic properties of everything the malicious protocol decodes from its peer.
//!
//! - [`decode`] of arbitrary bytes against every [`Expect`] (small sizes): a message or
//!   a typed error, never a panic; a body over [`Expect::max`] is always `TooLarge`.
//! - A valid message of every kind, for its [`Expect`], round-trips through [`decode`]
//!   (the OT messages from a real KOS session over the endemic base OT); truncated,
//!   extended or with bytes changed, it decodes or fails with a typed error under
//!   every `Expect`, never panics, and is `TooLarge` exactly when over the bound.
//! - A whole session through the two machines (`common::pump`) with one message of
//!   either side replaced by arbitrary bytes (of any length up to the bound and a
//!   little past it): both sides end with outputs or an error, never a panic or a
//!   hang, and no side that ends with outputs has wrong ones. The same with one message
//!   truncated, extended or with bytes changed (so that it often still decodes and
//!   reaches the protocol's checks).

mod common;

use mpc_auth::feq;
use mpc_auth::machine::Machine;
use mpc_auth::message::{decode, Expect, Message};
use mpc_auth::{AuthError, Role};
use mpc_circuits::eval::eval_groups;
use mpc_circuits::{Builder, Circuit, PartyId, Reveal, ValueType, Word};
use mpc_crypto::{Block, Delta};
use mpc_ot::kos;
use proptest::prelude::*;
use rand::{Rng, RngCore};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha12Rng;

fn expects() -> Vec<Expect> {
    let w = "fuzz";
    vec![
        Expect::OtSetupOffer,
        Expect::OtSetupAnswer,
        Expect::OtExtend { ots: 300 },
        Expect::KosFlip,
        Expect::KosChallenge,
        Expect::KosProof,
        Expect::LeakyTables { n: 9 },
        Expect::LeakyBits { n: 9 },
        Expect::Commitment { what: w },
        Expect::Value { what: w },
        Expect::Opening { what: w },
        Expect::BucketOpening { bits: 9 },
        Expect::BeaverOpening { bits: 14 },
        Expect::InputMasks { bits: 3 },
        Expect::EvaluatorInputs { wires: 11 },
        Expect::GarblerInputs { garbler: 3, evaluator: 2 },
        Expect::Tables { ands: 2 },
        Expect::EvaluatorOutputs { wires: 5 },
        Expect::OutputMasks { bits: 5 },
    ]
}

/// A valid message for each entry of [`expects`] (the OT extension's size from the
/// real batch), with the `Expect` its receiver waits for.
fn valid_messages(seed: u64, choices: usize) -> Vec<(Expect, Message)> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let delta = Delta::random(&mut rng);
    let (setup, offer) = kos::Receiver::new(&mut rng);
    let (mut sender, answer) = kos::Sender::new(&mut rng, &delta, &offer).expect("own offer");
    let mut receiver = setup.finish(&answer).expect("own answer");
    let bits: Vec<bool> = (0..choices).map(|_| rng.gen()).collect();
    let reverse = Delta::random(&mut rng);
    let (ext, flip, pending_r) = receiver.extend_bootstrap(&mut rng, &bits, &reverse).expect("extend");
    let (challenge, _pending_s) = sender.extend_bootstrap(&mut rng, choices, &ext).expect("honest batch");
    let (proof, _, _) = pending_r.respond_bootstrap(&challenge).expect("honest challenge");
    let ots = ext.len();

    let mut bytes = |n: usize| {
        let mut b = vec![0u8; n];
        rng.fill_bytes(&mut b);
        b
    };
    let mut out = Vec::new();
    for expect in expects() {
        let m = match expect {
            Expect::OtSetupOffer => Message::OtSetupOffer(offer.clone()),
            Expect::OtSetupAnswer => Message::OtSetupAnswer(answer.clone()),
            Expect::OtExtend { .. } => {
                out.push((Expect::OtExtend { ots }, Message::OtExtend(ext.clone())));
                continue;
            }
            Expect::KosFlip => Message::KosFlip(flip),
            Expect::KosChallenge => Message::KosChallenge(challenge),
            Expect::KosProof => Message::KosProof(proof),
            Expect::LeakyTables { .. } => Message::LeakyTables(bytes(expect.max())),
            Expect::LeakyBits { .. } => Message::LeakyBits(bytes(expect.max())),
            Expect::Commitment { .. } => Message::Commitment(bytes(32).try_into().expect("32 bytes")),
            Expect::Value { .. } => Message::Value(bytes(32).try_into().expect("32 bytes")),
            Expect::Opening { .. } => {
                Message::Opening(bytes(feq::OPENING_LEN).try_into().expect("the length"))
            }
            Expect::BucketOpening { .. } => Message::BucketOpening(bytes(expect.max())),
            Expect::BeaverOpening { .. } => Message::BeaverOpening(bytes(expect.max())),
            Expect::InputMasks { .. } => Message::InputMasks(bytes(expect.max())),
            Expect::OutputMasks { .. } => Message::OutputMasks(bytes(expect.max())),
            Expect::Tables { .. } => Message::Tables(bytes(expect.max())),
            Expect::EvaluatorInputs { wires } => {
                Message::EvaluatorInputs(bytes(wires).iter().map(|b| b & 1 == 1).collect())
            }
            Expect::GarblerInputs { garbler, evaluator } => {
                let masked = bytes(garbler).iter().map(|b| b & 1 == 1).collect();
                let labels = bytes(16 * (garbler + evaluator))
                    .chunks_exact(16)
                    .map(|c| Block::from(<[u8; 16]>::try_from(c).expect("16 bytes")))
                    .collect();
                Message::GarblerInputs { masked, labels }
            }
            Expect::EvaluatorOutputs { wires } => {
                let masked = bytes(wires).iter().map(|b| b & 1 == 1).collect();
                let labels = bytes(16 * wires)
                    .chunks_exact(16)
                    .map(|c| Block::from(<[u8; 16]>::try_from(c).expect("16 bytes")))
                    .collect();
                let masks = bytes(mpc_auth::message::open_len(wires));
                Message::EvaluatorOutputs { masked, labels, masks }
            }
            other => panic!("no valid message for {other:?}: add it here"),
        };
        out.push((expect, m));
    }
    out
}

/// Truncates, flips a byte, rewrites bytes 1..5, appends, or deletes a byte.
fn mutate(mut bytes: Vec<u8>, op: u8, at: prop::sample::Index, value: u32) -> Vec<u8> {
    let pos = at.index(bytes.len() + 1);
    match op {
        0 => bytes.truncate(pos),
        1 if pos < bytes.len() => bytes[pos] ^= (value as u8) | 1,
        2 if bytes.len() >= 5 => bytes[1..5].copy_from_slice(&value.to_le_bytes()),
        3 => bytes.extend(std::iter::repeat_n(value as u8, (value % 40) as usize)),
        _ if pos < bytes.len() => {
            bytes.remove(pos);
        }
        _ => bytes.push(value as u8),
    }
    bytes
}

/// `decode` under `expect`: a message of its kind that encodes back to `bytes`, or a
/// typed error, `TooLarge` exactly over the bound.
fn check_decode(expect: Expect, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let over = bytes.len() > expect.max();
    match decode(expect, bytes.clone()) {
        Err(AuthError::TooLarge { .. }) => prop_assert!(over),
        Ok(m) => {
            prop_assert!(!over && expect.admits(&m));
            // Every encoding is canonical: what decodes encodes back to its bytes.
            prop_assert_eq!(m.to_wire().into_owned(), bytes);
        }
        Err(_) => prop_assert!(!over),
    }
    Ok(())
}

/// A small circuit: 3 input bits each, a few ANDs, outputs to both and to each.
fn circuit() -> Circuit {
    let mut b = Builder::new(&["alice", "bob"]);
    let x = b.input(PartyId(0), "x", 3);
    let y = b.input(PartyId(1), "y", 3);
    let s: Vec<_> = (0..3).map(|i| b.and(x.bit(i), y.bit(i))).collect();
    let t = b.and(s[0], s[1]);
    let u = b.xor(t, s[2]);
    let v = b.inv(u);
    b.output_typed("all", ValueType::UInt(2), Reveal::All, &Word::from_bits(vec![u, v]));
    b.output_typed("a", ValueType::Bool, Reveal::To(PartyId(0)), &Word::from_bits(vec![t]));
    b.output_typed("b", ValueType::UInt(2), Reveal::To(PartyId(1)), &Word::from_bits(vec![s[0], s[2]]));
    b.finish().expect("a valid circuit")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(k in 0usize..19, bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        check_decode(expects()[k], bytes)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn valid_messages_round_trip_and_mutated_ones_never_panic(
        seed: u64,
        choices in prop_oneof![Just(0usize), 1usize..300],
        edits in proptest::collection::vec((0u8..6, any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        let all = expects();
        let valid = valid_messages(seed, choices);
        prop_assert_eq!(valid.len(), all.len());
        for (expect, m) in &valid {
            let wire = m.to_wire().into_owned();
            prop_assert_eq!(wire.len(), expect.max(), "{:?} is not of its exact size", expect);
            let back = decode(*expect, wire.clone());
            prop_assert!(back.is_ok(), "{:?} refused: {:?}", expect, back);
            let back = back.expect("checked above");
            prop_assert_eq!(back.name(), m.name());
            prop_assert_eq!(back.to_wire().into_owned(), wire.clone());
            let mut bytes = wire;
            for &(op, at, value) in &edits {
                bytes = mutate(bytes, op, at, value);
            }
            check_decode(*expect, bytes.clone())?;
            for other in &all {
                check_decode(*other, bytes.clone())?;
            }
        }
    }
}

/// One session in which the `pick`-th message that one side sends is replaced by
/// `replace(its wire bytes)`: both sides end with outputs or an error (never a panic
/// or a hang, which `pump` would not return from), and a side that ends with outputs
/// has the right ones.
fn session_with_one_message_replaced(
    garbler_side: bool,
    pick: prop::sample::Index,
    replace: impl Fn(&[u8]) -> Vec<u8> + 'static,
) -> Result<(), TestCaseError> {
    let c = circuit();
    let (xa, xb) = (vec![true, false, true], vec![true, true, false]);
    let want = eval_groups(&c, &[xa.clone(), xb.clone()]).unwrap();
    let honest = common::pump(
        Machine::new(Role::Garbler, &c, std::slice::from_ref(&xa), ChaCha12Rng::seed_from_u64(1)).unwrap(),
        Machine::new(Role::Evaluator, &c, std::slice::from_ref(&xb), ChaCha12Rng::seed_from_u64(2)).unwrap(),
        None,
        None,
    );
    let sent = if garbler_side { &honest.to_evaluator } else { &honest.to_garbler };
    let (name, bytes) = &sent[pick.index(sent.len())];
    let k = sent[..pick.index(sent.len())].iter().filter(|(n, _)| n == name).count();
    let replacement = replace(bytes);
    // Replace the message by these bytes: the machine under test sees them as its peer
    // would (`pump` re-decodes them with its own Expect; the variant is only a carrier).
    let edit_fn = move |m: &mut Message| *m = Message::Tables(replacement.clone());
    let edit: common::MsgEdit = (name, k, Box::new(edit_fn));
    let (ge, ee) = if garbler_side { (Some(edit), None) } else { (None, Some(edit)) };
    let o = common::pump(
        Machine::new(Role::Garbler, &c, &[xa], ChaCha12Rng::seed_from_u64(1)).unwrap(),
        Machine::new(Role::Evaluator, &c, &[xb], ChaCha12Rng::seed_from_u64(2)).unwrap(),
        ge,
        ee,
    );
    for (party, out) in [(0u8, &o.garbler), (1, &o.evaluator)] {
        if let Ok(outs) = out {
            let flat: Vec<Option<bool>> = c
                .outputs()
                .iter()
                .zip(&want)
                .flat_map(|(g, bits)| {
                    let shown = match g.reveal {
                        Reveal::All => true,
                        Reveal::To(p) => p.0 == party,
                    };
                    bits.iter().map(move |&b| shown.then_some(b))
                })
                .collect();
            prop_assert_eq!(&outs[0], &flat, "party {} ends with a wrong output", party);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_session_with_one_message_replaced_by_garbage_never_panics_or_lies(
        garbler_side in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        len in any::<prop::sample::Index>(),
        fill in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        session_with_one_message_replaced(garbler_side, pick, move |bytes| {
            let new_len = len.index(bytes.len() + 8);
            (0..new_len).map(|i| fill[i % fill.len()] ^ (i as u8)).collect()
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_session_with_one_message_mutated_never_panics_or_lies(
        garbler_side in any::<bool>(),
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((0u8..6, any::<prop::sample::Index>(), any::<u32>()), 1..3),
    ) {
        session_with_one_message_replaced(garbler_side, pick, move |bytes| {
            let mut bytes = bytes.to_vec();
            for &(op, at, value) in &edits {
                bytes = mutate(bytes, op, at, value);
            }
            bytes
        })?;
    }
}
