//! No-panic properties of every OT message decoder on untrusted bytes: arbitrary byte
//! strings, and valid encodings truncated, extended, with a byte flipped or with
//! their count field rewritten. Decoding returns `Ok` or an [`OtError`]; valid
//! encodings decode to a message that encodes back to the same bytes; a state
//! machine fed a mutated message either refuses it or accepts it without panicking.

use mpc_crypto::Delta;
use mpc_ot::base::{ReceiverReply, SenderSetup};
use mpc_ot::chosen::Transfer;
use mpc_ot::iknp::{Extend, SetupAnswer, SetupOffer};
use mpc_ot::{chosen, cot};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// Every decoder on the same bytes; none may panic.
fn decode_all(bytes: &[u8]) {
    let _ = SenderSetup::from_bytes(bytes);
    let _ = ReceiverReply::from_bytes(bytes);
    let _ = SetupOffer::from_bytes(bytes);
    let _ = SetupAnswer::from_bytes(bytes);
    let _ = Extend::from_bytes(bytes);
    let _ = Extend::from_vec(bytes.to_vec());
    let _ = Transfer::from_bytes(bytes);
}

/// Valid encodings of each message kind (offer, answer, extend for `n` OTs, transfer).
fn valid_messages(seed: u64, n: usize) -> Vec<Vec<u8>> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let delta = Delta::random(&mut rng);
    let (setup, offer) = cot::Receiver::new(&mut rng);
    let (_sender, answer) = cot::Sender::new(&mut rng, &delta, &offer).expect("own offer");
    let mut receiver = setup.finish(&answer).expect("own answer");
    let choices: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
    let (ext, _) = receiver.extend(&choices).expect("extend");

    let (csetup, coffer) = chosen::Receiver::new(&mut rng);
    let (mut csender, canswer) = chosen::Sender::new(&mut rng, &coffer).expect("own offer");
    let mut creceiver = csetup.finish(&canswer).expect("own answer");
    let (cext, _) = creceiver.extend(&choices).expect("extend");
    let msgs: Vec<[mpc_crypto::Block; 2]> =
        (0..n).map(|i| [mpc_crypto::Block::from(i as u128), mpc_crypto::Block::from(!(i as u128))]).collect();
    let transfer = csender.send(&msgs, &cext).expect("send");
    vec![offer.to_bytes(), answer.to_bytes(), ext.to_bytes(), transfer.to_bytes()]
}

fn mutate(mut bytes: Vec<u8>, op: u8, at: prop::sample::Index, value: u32) -> Vec<u8> {
    let pos = at.index(bytes.len() + 1);
    match op {
        // Truncate.
        0 => bytes.truncate(pos),
        // Flip bits of one byte.
        1 if pos < bytes.len() => bytes[pos] ^= (value as u8) | 1,
        // Rewrite the count field (bytes 1..5 of counted messages).
        2 if bytes.len() >= 5 => bytes[1..5].copy_from_slice(&value.to_le_bytes()),
        // Append bytes.
        3 => bytes.extend(std::iter::repeat_n(value as u8, (value % 40) as usize)),
        // Delete one byte.
        _ if pos < bytes.len() => {
            bytes.remove(pos);
        }
        _ => bytes.push(value as u8),
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), tag in 0u8..8) {
        decode_all(&bytes);
        // With each message's real tag in front, decoding gets past the first check.
        let tags = [0xB1u8, 0xB2, 0xE1, 0xE2, 0xB1, 0xB2, 0xE1, 0xE2];
        let mut tagged = vec![tags[usize::from(tag)]];
        tagged.extend_from_slice(&bytes);
        decode_all(&tagged);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Valid messages round-trip; mutated ones decode or fail, never panic, and a
    /// mutated extension message is refused or accepted by a real sender without a
    /// panic.
    #[test]
    fn mutated_valid_messages_never_panic(
        seed: u64,
        n in prop_oneof![Just(0usize), 1usize..300],
        edits in prop::collection::vec((0u8..6, any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        let msgs = valid_messages(seed, n);
        prop_assert_eq!(SetupOffer::from_bytes(&msgs[0]).map(|m| m.to_bytes()), Ok(msgs[0].clone()));
        prop_assert_eq!(SetupAnswer::from_bytes(&msgs[1]).map(|m| m.to_bytes()), Ok(msgs[1].clone()));
        let ext = Extend::from_bytes(&msgs[2]);
        prop_assert_eq!(ext.as_ref().map(|m| (m.len(), m.to_bytes())), Ok((n, msgs[2].clone())));
        prop_assert_eq!(Transfer::from_bytes(&msgs[3]).map(|m| (m.len(), m.to_bytes())), Ok((n, msgs[3].clone())));
        for m in &msgs {
            let mut bytes = m.clone();
            for &(op, at, value) in &edits {
                bytes = mutate(bytes, op, at, value);
            }
            decode_all(&bytes);
        }
        // A real sender fed a mutated extension message.
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 1);
        let delta = Delta::random(&mut rng);
        let (_setup, offer) = cot::Receiver::new(&mut rng);
        let (mut sender, _answer) = cot::Sender::new(&mut rng, &delta, &offer).expect("own offer");
        let mut bytes = msgs[2].clone();
        for &(op, at, value) in &edits {
            bytes = mutate(bytes, op, at, value);
        }
        let mut out = Vec::new();
        if sender.extend_into(n, &bytes, &mut out).is_ok() {
            prop_assert_eq!(out.len(), n);
        }
    }
}
