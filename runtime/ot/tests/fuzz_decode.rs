//! No-panic properties of every OT message decoder on untrusted bytes: arbitrary byte
//! strings, and valid encodings truncated, extended, with a byte flipped or with
//! their count field rewritten. Decoding returns `Ok` or an [`OtError`]; valid
//! encodings decode to a message that encodes back to the same bytes; a state
//! machine fed a mutated message either refuses it or accepts it without panicking.
//!
//! Covered: Chou-Orlandi base OT (`base`), IKNP, chosen-message OT, the Masny-Rindal
//! endemic base OT (`endemic`, which is also KOS's setup), KOS's challenge, proof and
//! flip, SoftSpoken's offer and extension, and `softspoken::malicious`'s challenge and
//! proof. The malicious protocols' messages are made by real sessions (a few per run:
//! each sets up 128 base OTs on ristretto255).

use mpc_crypto::Delta;
use mpc_ot::base::{ReceiverReply, SenderSetup};
use mpc_ot::chosen::Transfer;
use mpc_ot::iknp::{Extend, SetupAnswer, SetupOffer};
use mpc_ot::softspoken::malicious;
use mpc_ot::{chosen, cot, endemic, kos, softspoken, OtError};
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
    // These encodings are canonical: what decodes encodes back to the same bytes.
    for kind in MaliciousKind::ALL {
        if let Ok(again) = kind.reencode(bytes) {
            assert_eq!(again, bytes, "{kind:?} decoded a non-canonical encoding");
        }
    }
}

/// The messages of the malicious-mode OTs, each with its checked decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MaliciousKind {
    EndemicSetup,
    EndemicReply,
    KosExtend,
    KosFlip,
    KosChallenge,
    KosProof,
    SoftOffer,
    SoftExtend,
    SoftChallenge,
    SoftProof,
}

impl MaliciousKind {
    const ALL: [MaliciousKind; 10] = [
        MaliciousKind::EndemicSetup,
        MaliciousKind::EndemicReply,
        MaliciousKind::KosExtend,
        MaliciousKind::KosFlip,
        MaliciousKind::KosChallenge,
        MaliciousKind::KosProof,
        MaliciousKind::SoftOffer,
        MaliciousKind::SoftExtend,
        MaliciousKind::SoftChallenge,
        MaliciousKind::SoftProof,
    ];

    /// Decodes `bytes` as this kind and encodes the message again.
    fn reencode(self, bytes: &[u8]) -> Result<Vec<u8>, OtError> {
        match self {
            // `kos::SetupOffer`/`SetupAnswer` are these two types.
            MaliciousKind::EndemicSetup => endemic::SenderSetup::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::EndemicReply => endemic::ReceiverReply::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::KosExtend => Extend::from_vec(bytes.to_vec()).map(|m| m.to_bytes()),
            MaliciousKind::KosFlip => kos::Flip::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::KosChallenge => kos::Challenge::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::KosProof => kos::Proof::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::SoftOffer => softspoken::SetupOffer::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::SoftExtend => {
                let a = softspoken::Extend::from_bytes(bytes)?;
                let b = softspoken::Extend::from_vec(bytes.to_vec())?;
                assert_eq!((a.len(), a.first_index()), (b.len(), b.first_index()));
                Ok(a.into_bytes())
            }
            MaliciousKind::SoftChallenge => malicious::Challenge::from_bytes(bytes).map(|m| m.to_bytes()),
            MaliciousKind::SoftProof => malicious::Proof::from_bytes(bytes).map(|m| m.to_bytes()),
        }
    }
}

/// One honest run of each malicious-mode protocol with `n` OTs (SoftSpoken with
/// parameter `k`), with every receiving step that follows a message replayed on that
/// message after `edit`: the endemic sender's `finish`, the KOS and SoftSpoken
/// senders' `extend` and `verify`, the receivers' `respond`. A replay refuses or
/// accepts, never panics; the honest messages round-trip through their decoders and
/// the honest run succeeds. Returns the honest messages.
fn malicious_sessions(
    seed: u64,
    n: usize,
    k: u8,
    edit: &dyn Fn(Vec<u8>) -> Vec<u8>,
) -> Vec<(MaliciousKind, Vec<u8>)> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let choices: Vec<bool> = (0..n).map(|i| (i * 7 + 3) % 5 < 2).collect();
    let mut sent = Vec::new();

    // Endemic base OT of `n % 9` OTs (each costs a few point operations), run twice
    // from the same seed: honestly, then with the reply edited.
    let base_n = n % 9;
    for edited in [false, true] {
        let mut rng = ChaCha12Rng::seed_from_u64(seed ^ 2);
        let (esender, esetup) = endemic::Sender::new(&mut rng, base_n).expect("within MAX_BATCH");
        let setup_bytes = esetup.to_bytes();
        let esetup = if edited {
            match endemic::SenderSetup::from_bytes(&edit(setup_bytes.clone())) {
                Ok(s) => s,
                Err(_) => esetup,
            }
        } else {
            esetup
        };
        let (ereply, _keys) = endemic::receive(&mut rng, &esetup, &choices[..base_n]).expect("a valid setup");
        let reply_bytes = ereply.to_bytes();
        if edited {
            if let Ok(reply) = endemic::ReceiverReply::from_bytes(&edit(reply_bytes)) {
                let _ = esender.finish(&reply);
            }
        } else {
            assert_eq!(esender.finish(&ereply).expect("honest reply").len(), base_n);
            sent.push((MaliciousKind::EndemicSetup, setup_bytes));
            sent.push((MaliciousKind::EndemicReply, reply_bytes));
        }
    }

    // KOS (its setup is the endemic OT): an honest batch with the proof edited, then a
    // bootstrap batch with the extension message, the flip and the challenge edited.
    let delta = Delta::random(&mut rng);
    let (rsetup, offer) = kos::Receiver::new(&mut rng);
    let (mut ksender, answer) = kos::Sender::new(&mut rng, &delta, &offer).expect("own offer");
    let mut kreceiver = rsetup.finish(&answer).expect("own answer");
    let (ext, pending_r) = kreceiver.extend(&mut rng, &choices).expect("extend");
    let (challenge, pending_s) = ksender.extend(&mut rng, n, &ext).expect("honest batch");
    let (proof, _) = pending_r.respond(&challenge);
    if let Ok(p) = kos::Proof::from_bytes(&edit(proof.to_bytes())) {
        let verdict = pending_s.verify(&p);
        if p == proof {
            assert_eq!(verdict.expect("honest proof").len(), n);
        }
    }
    sent.push((MaliciousKind::KosExtend, ext.to_bytes()));
    sent.push((MaliciousKind::KosChallenge, challenge.to_bytes()));
    sent.push((MaliciousKind::KosProof, proof.to_bytes()));
    let reverse = Delta::random(&mut rng);
    let (ext, flip, pending_r) = kreceiver.extend_bootstrap(&mut rng, &choices, &reverse).expect("extend");
    sent.push((MaliciousKind::KosFlip, flip.to_bytes()));
    if let Ok(e) = Extend::from_vec(edit(ext.to_bytes())) {
        if let Ok((challenge, pending_s)) = ksender.extend_bootstrap(&mut rng, n, &e) {
            if let Ok(c) = kos::Challenge::from_bytes(&edit(challenge.to_bytes())) {
                if let Ok((proof, _, _)) = pending_r.respond_bootstrap(&c) {
                    if let Ok(f) = kos::Flip::from_bytes(&edit(flip.to_bytes())) {
                        let _ = pending_s.verify_bootstrap(&proof, &f);
                    }
                }
            }
        }
    }

    // SoftSpoken's malicious mode: a first batch (which carries the tree) and a second,
    // each with one message edited.
    let (ssetup, soffer) = malicious::Receiver::with_k(&mut rng, k).expect("k in range");
    sent.push((MaliciousKind::SoftOffer, soffer.to_bytes()));
    let (mut ssender, sanswer) = malicious::Sender::new(&mut rng, &delta, &soffer).expect("own offer");
    let mut sreceiver = ssetup.finish(&sanswer).expect("own answer");
    let (ext, pending_r) = sreceiver.extend(&mut rng, &choices).expect("extend");
    let (challenge, pending_s) = ssender.extend(&mut rng, n, &ext).expect("honest batch");
    let (proof, _) = pending_r.respond(&challenge);
    if let Ok(p) = malicious::Proof::from_bytes(&edit(proof.to_bytes())) {
        let verdict = pending_s.verify(&p);
        if p == proof {
            assert_eq!(verdict.expect("honest proof").len(), n);
        }
    }
    sent.push((MaliciousKind::SoftExtend, ext.to_bytes()));
    sent.push((MaliciousKind::SoftChallenge, challenge.to_bytes()));
    sent.push((MaliciousKind::SoftProof, proof.to_bytes()));
    let (ext, pending_r) = sreceiver.extend(&mut rng, &choices).expect("extend");
    sent.push((MaliciousKind::SoftExtend, ext.to_bytes()));
    if let Ok(e) = softspoken::Extend::from_vec(edit(ext.to_bytes())) {
        if let Ok((challenge, pending_s)) = ssender.extend(&mut rng, n, &e) {
            if let Ok(c) = malicious::Challenge::from_bytes(&edit(challenge.to_bytes())) {
                let (proof, _) = pending_r.respond(&c);
                let _ = pending_s.verify(&proof);
            }
        }
    }
    sent
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
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), tag in 0u8..14) {
        decode_all(&bytes);
        // With each message's real tag in front, decoding gets past the first check.
        let tags = [0xB1u8, 0xB2, 0xE1, 0xE2, 0xD1, 0xD2, 0xC1, 0xC2, 0xC3, 0x51, 0x52, 0x53, 0x54, 0x55];
        let mut tagged = vec![tags[usize::from(tag) % tags.len()]];
        tagged.extend_from_slice(&bytes);
        decode_all(&tagged);
        // An endemic reply whose count matches its length, so decoding reaches the
        // points (random 32-byte strings: mostly not canonical encodings).
        let pairs = bytes.len() / 64;
        let mut reply = vec![0xD2u8];
        reply.extend_from_slice(&(pairs as u32).to_le_bytes());
        reply.extend_from_slice(&bytes[..64 * pairs]);
        let _ = endemic::ReceiverReply::from_bytes(&reply);
        // A SoftSpoken extension header with a valid k (2..=8) in front of the bytes.
        let mut soft = vec![0x52 + (tag & 1), 2 + tag % 7];
        soft.extend_from_slice(&bytes);
        let _ = softspoken::Extend::from_bytes(&soft);
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The malicious-mode OTs' messages (endemic, KOS, SoftSpoken's check): valid
    /// encodings round-trip; every decoder and every receiving state machine fed a
    /// mutated message refuses it or accepts it, never panics.
    #[test]
    fn mutated_malicious_messages_never_panic(
        seed: u64,
        n in prop_oneof![Just(0usize), 1usize..300],
        k in softspoken::MIN_K..=softspoken::MAX_K,
        edits in prop::collection::vec((0u8..6, any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        let edit = |mut bytes: Vec<u8>| {
            for &(op, at, value) in &edits {
                bytes = mutate(bytes, op, at, value);
            }
            bytes
        };
        let sent = malicious_sessions(seed, n, k, &edit);
        prop_assert_eq!(sent.len(), 11);
        for (kind, bytes) in &sent {
            prop_assert_eq!(kind.reencode(bytes), Ok(bytes.clone()), "{:?} does not round-trip", kind);
            let mutated = edit(bytes.clone());
            for other in MaliciousKind::ALL {
                let _ = other.reencode(&mutated);
            }
            decode_all(&mutated);
        }
    }
}
