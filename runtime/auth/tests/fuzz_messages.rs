//! No-panic properties of everything the malicious protocol decodes from its peer.
//!
//! - [`decode`] of arbitrary bytes against every [`Expect`] (small sizes): a message or
//!   a typed error, never a panic; a body over [`Expect::max`] is always `TooLarge`.
//! - A whole session through the two machines (`common::pump`) with one message of
//!   either side replaced by arbitrary bytes (of any length up to the bound and a
//!   little past it): both sides end with outputs or an error, never a panic or a
//!   hang, and no side that ends with outputs has wrong ones.

mod common;

use mpc_auth::machine::Machine;
use mpc_auth::message::{decode, Expect, Message};
use mpc_auth::{AuthError, Role};
use mpc_circuits::eval::eval_groups;
use mpc_circuits::{Builder, Circuit, PartyId, Reveal, ValueType, Word};
use proptest::prelude::*;
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
        Expect::GarblerInputs { wires: 3 },
        Expect::Tables { ands: 2 },
        Expect::EvaluatorOutputs { wires: 5 },
        Expect::OutputMasks { bits: 5 },
    ]
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
    fn decoding_arbitrary_bytes_never_panics(k in 0usize..18, bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        let expect = expects()[k];
        let over = bytes.len() > expect.max();
        match decode(expect, bytes) {
            Err(AuthError::TooLarge { .. }) => prop_assert!(over),
            Ok(m) => prop_assert!(!over && expect.admits(&m)),
            Err(_) => prop_assert!(!over),
        }
    }
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
        let new_len = len.index(bytes.len() + 8);
        let garbage: Vec<u8> = (0..new_len).map(|i| fill[i % fill.len()] ^ (i as u8)).collect();
        // Replace the message by garbage of its own kind: the machine under test sees
        // the bytes as its peer would (`pump` re-decodes them with its own Expect).
        let replace = move |m: &mut Message| *m = Message::Tables(garbage.clone());
        let edit: common::MsgEdit = (name, k, Box::new(replace));
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
    }
}
