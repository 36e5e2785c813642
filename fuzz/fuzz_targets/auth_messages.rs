//! Fuzz target for the malicious session's message decoding (`mpc_auth::message`):
//! the first byte picks what the receiver waits for (an `Expect` of small size), the
//! rest is the frame body. `decode` returns a message of that kind or a typed error,
//! never panics; the error is `TooLarge` exactly when the body is over
//! `Expect::max`; what decodes encodes back to the same body.
//! Run with `cargo +nightly fuzz run auth_messages` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpc_auth::message::{decode, Expect};
use mpc_auth::AuthError;

/// Every kind of message, with small sizes (the OT extension at 2 tiles).
const EXPECTS: [Expect; 19] = [
    Expect::OtSetupOffer,
    Expect::OtSetupAnswer,
    Expect::OtExtend { ots: 256 },
    Expect::KosFlip,
    Expect::KosChallenge,
    Expect::KosProof,
    Expect::LeakyTables { n: 9 },
    Expect::LeakyBits { n: 9 },
    Expect::Commitment { what: "fuzz" },
    Expect::Value { what: "fuzz" },
    Expect::Opening { what: "fuzz" },
    Expect::BucketOpening { bits: 9 },
    Expect::BeaverOpening { bits: 14 },
    Expect::InputMasks { bits: 3 },
    Expect::EvaluatorInputs { wires: 11 },
    Expect::GarblerInputs { garbler: 3, evaluator: 2 },
    Expect::Tables { ands: 2 },
    Expect::EvaluatorOutputs { wires: 5 },
    Expect::OutputMasks { bits: 5 },
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let expect = EXPECTS[usize::from(pick) % EXPECTS.len()];
    let over = body.len() > expect.max();
    match decode(expect, body.to_vec()) {
        Err(AuthError::TooLarge { .. }) => assert!(over, "{expect:?}: TooLarge within the bound"),
        Err(_) => assert!(!over, "{expect:?}: over the bound but not TooLarge"),
        Ok(m) => {
            assert!(!over && expect.admits(&m), "{expect:?} gave {m:?}");
            assert_eq!(m.to_wire().as_ref(), body, "{expect:?} decoded a non-canonical body");
        }
    }
});
