//! Every OT flavour run in-process: two state machines exchanging *serialized*
//! messages, over many random choice vectors and batch sizes, plus refusal of
//! malformed, mismatched and out-of-order messages.

use mpc_crypto::{Block, Delta};
use mpc_ot::iknp::{Extend, SetupAnswer, SetupOffer};
use mpc_ot::{chosen, cot, rot, OtError};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// Batch sizes around the 128-OT tile and chunk boundaries.
const SIZES: &[usize] = &[0, 1, 2, 127, 128, 129, 255, 300, 1000, 64 * 128 + 5];

fn choices(rng: &mut ChaCha12Rng, n: usize) -> Vec<bool> {
    // Vary the density so all-zero and all-one vectors turn up too.
    let p = [0.0, 0.5, 1.0, 0.1][rng.gen_range(0..4)];
    (0..n).map(|_| rng.gen_bool(p)).collect()
}

fn wire_offer(m: &SetupOffer) -> SetupOffer {
    SetupOffer::from_bytes(&m.to_bytes()).expect("own offer decodes")
}

fn wire_answer(m: &SetupAnswer) -> SetupAnswer {
    SetupAnswer::from_bytes(&m.to_bytes()).expect("own answer decodes")
}

fn wire_extend(m: &Extend) -> Extend {
    let bytes = m.to_bytes();
    assert_eq!(bytes.len(), m.encoded_len());
    Extend::from_bytes(&bytes).expect("own extend decodes")
}

fn cot_pair(rng: &mut ChaCha12Rng, delta: &Delta) -> (cot::Sender, cot::Receiver) {
    let (setup, offer) = cot::Receiver::new(rng);
    let (sender, answer) = cot::Sender::new(rng, delta, &wire_offer(&offer)).unwrap();
    let receiver = setup.finish(&wire_answer(&answer)).unwrap();
    (sender, receiver)
}

#[test]
fn correlated_ot_labels_differ_by_delta_exactly_where_chosen() {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    for session in 0..3 {
        let delta = Delta::random(&mut rng);
        let (mut sender, mut receiver) = cot_pair(&mut rng, &delta);
        for &n in SIZES {
            let c = choices(&mut rng, n);
            let (msg, labels) = receiver.extend(&c).unwrap();
            let zero = sender.extend(n, &wire_extend(&msg)).unwrap();
            assert_eq!(labels.len(), n);
            assert_eq!(zero.len(), n);
            for i in 0..n {
                let expect = if c[i] { zero[i] ^ delta.as_block() } else { zero[i] };
                assert_eq!(labels[i], expect, "session {session}, n {n}, OT {i}");
            }
            if n > 1 {
                assert_ne!(zero[0], zero[1], "zero-labels must not repeat");
            }
        }
        assert_eq!(sender.position(), receiver.position());
    }
}

#[test]
fn correlated_ot_many_random_choice_vectors() {
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let delta = Delta::random(&mut rng);
    let (mut sender, mut receiver) = cot_pair(&mut rng, &delta);
    for _ in 0..200 {
        let n = rng.gen_range(0..600);
        let c = choices(&mut rng, n);
        let (msg, labels) = receiver.extend(&c).unwrap();
        let zero = sender.extend(n, &wire_extend(&msg)).unwrap();
        for i in 0..n {
            assert_eq!(labels[i] ^ zero[i], if c[i] { delta.as_block() } else { Block::ZERO });
        }
    }
}

#[test]
fn random_ot_receiver_gets_the_chosen_key_only() {
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let (setup, offer) = rot::Receiver::new(&mut rng);
    let (mut sender, answer) = rot::Sender::new(&mut rng, &wire_offer(&offer)).unwrap();
    let mut receiver = setup.finish(&wire_answer(&answer)).unwrap();
    for round in 0..60 {
        let n = SIZES.get(round).copied().unwrap_or_else(|| rng.gen_range(0..500));
        let c = choices(&mut rng, n);
        let (msg, got) = receiver.extend(&c).unwrap();
        let keys = sender.extend(n, &wire_extend(&msg)).unwrap();
        for i in 0..n {
            assert_eq!(got[i], keys[i][c[i] as usize], "OT {i}");
            assert_ne!(got[i], keys[i][1 - c[i] as usize], "OT {i}: the other key must differ");
            // Hashed keys: no Delta-style correlation is left between the two keys.
            if i > 0 {
                assert_ne!(keys[i][0] ^ keys[i][1], keys[i - 1][0] ^ keys[i - 1][1]);
            }
        }
    }
}

#[test]
fn chosen_ot_receiver_gets_exactly_the_chosen_message() {
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    let (setup, offer) = chosen::Receiver::new(&mut rng);
    let (mut sender, answer) = chosen::Sender::new(&mut rng, &wire_offer(&offer)).unwrap();
    let mut receiver = setup.finish(&wire_answer(&answer)).unwrap();
    for round in 0..60 {
        let n = SIZES.get(round).copied().unwrap_or_else(|| rng.gen_range(0..500));
        let c = choices(&mut rng, n);
        let messages: Vec<[Block; 2]> =
            (0..n).map(|_| [Block::random(&mut rng), Block::random(&mut rng)]).collect();
        let (msg, pending) = receiver.extend(&c).unwrap();
        let transfer = sender.send(&messages, &wire_extend(&msg)).unwrap();
        let transfer = chosen::Transfer::from_bytes(&transfer.to_bytes()).unwrap();
        let got = receiver.receive(pending, &transfer).unwrap();
        assert_eq!(got.len(), n);
        for i in 0..n {
            assert_eq!(got[i], messages[i][c[i] as usize], "round {round}, OT {i}");
        }
    }
}

#[test]
fn extend_for_a_different_count_or_out_of_order_is_refused() {
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let delta = Delta::random(&mut rng);
    let (mut sender, mut receiver) = cot_pair(&mut rng, &delta);
    let (m1, _) = receiver.extend(&[true; 200]).unwrap();
    assert!(matches!(sender.extend(100, &m1), Err(OtError::CountMismatch { expected: 100, got: 200, .. })));
    let (m2, _) = receiver.extend(&[false; 10]).unwrap();
    // m2 delivered before m1: refused, and the sender's state is unchanged.
    assert!(matches!(sender.extend(10, &m2), Err(OtError::Malformed { .. })));
    assert!(sender.extend(200, &m1).is_ok());
    assert!(sender.extend(10, &m2).is_ok());
    // Replaying a batch is refused too.
    assert!(sender.extend(10, &m2).is_err());
}

#[test]
fn malformed_extend_messages_are_typed_errors() {
    let mut rng = ChaCha12Rng::seed_from_u64(6);
    let delta = Delta::random(&mut rng);
    let (_, mut receiver) = cot_pair(&mut rng, &delta);
    let (msg, _) = receiver.extend(&[true; 130]).unwrap();
    let bytes = msg.to_bytes();
    assert_eq!(bytes.len(), 13 + 2 * 128 * 16);
    let malformed = |b: &[u8]| matches!(Extend::from_bytes(b), Err(OtError::Malformed { .. }));
    assert!(malformed(&[]));
    assert!(malformed(&bytes[..bytes.len() - 1]));
    assert!(malformed(&bytes[..12]));
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(malformed(&longer));
    let mut tag = bytes.clone();
    tag[0] ^= 1;
    assert!(malformed(&tag));
    // Claims one more tile's worth of OTs than it carries.
    let mut count = bytes.clone();
    count[1..5].copy_from_slice(&300u32.to_le_bytes());
    assert!(malformed(&count));
    let mut huge = bytes.clone();
    huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(malformed(&huge));
    // Random bytes behind a valid tag never panic.
    for len in 0..300 {
        let mut b = vec![0u8; len];
        rng.fill_bytes(&mut b);
        if len > 0 {
            b[0] = 0xE1;
        }
        let _ = Extend::from_bytes(&b);
        let _ = SetupOffer::from_bytes(&b);
        let _ = SetupAnswer::from_bytes(&b);
        let _ = chosen::Transfer::from_bytes(&b);
    }
}

#[test]
fn malformed_setup_messages_are_refused() {
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let delta = Delta::random(&mut rng);
    let (setup, offer) = cot::Receiver::new(&mut rng);
    let mut bad = offer.to_bytes();
    bad[1..].copy_from_slice(&[0u8; 32]);
    assert!(matches!(SetupOffer::from_bytes(&bad), Err(OtError::InvalidPoint { .. })));
    let (_, answer) = cot::Sender::new(&mut rng, &delta, &offer).unwrap();
    let bytes = answer.to_bytes();
    assert_eq!(bytes.len(), 4101);
    let mut short = bytes.clone();
    short[1..5].copy_from_slice(&127u32.to_le_bytes());
    short.truncate(5 + 127 * 32);
    // Well-formed, but for 127 base OTs: the receiver refuses it by count.
    let short = SetupAnswer::from_bytes(&short).unwrap();
    assert!(matches!(setup.finish(&short), Err(OtError::CountMismatch { expected: 128, got: 127, .. })));
}

#[test]
fn chosen_transfer_for_another_batch_is_refused() {
    let mut rng = ChaCha12Rng::seed_from_u64(8);
    let (setup, offer) = chosen::Receiver::new(&mut rng);
    let (mut sender, answer) = chosen::Sender::new(&mut rng, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let msgs = vec![[Block::ZERO, Block::ONES]; 5];
    let (m1, p1) = receiver.extend(&[true; 5]).unwrap();
    let (m2, p2) = receiver.extend(&[false; 5]).unwrap();
    let t1 = sender.send(&msgs, &m1).unwrap();
    let t2 = sender.send(&msgs, &m2).unwrap();
    // The transfer of batch 2 does not answer batch 1.
    assert!(matches!(receiver.receive(p1, &t2), Err(OtError::Malformed { .. })));
    assert_eq!(receiver.receive(p2, &t2).unwrap(), vec![Block::ZERO; 5]);
    let (_, p3) = receiver.extend(&[true; 4]).unwrap();
    assert!(matches!(receiver.receive(p3, &t1), Err(OtError::CountMismatch { .. })));
    let mut bytes = t1.to_bytes();
    bytes.pop();
    assert!(matches!(chosen::Transfer::from_bytes(&bytes), Err(OtError::Malformed { .. })));
    // More messages than the batch has OTs is a count mismatch for the sender.
    let (m4, _) = receiver.extend(&[true; 3]).unwrap();
    assert!(matches!(sender.send(&msgs, &m4), Err(OtError::CountMismatch { .. })));
}

#[test]
fn correlated_ot_buffer_reusing_path_matches_and_checks_bytes() {
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    let delta = Delta::random(&mut rng);
    let (mut sender, mut receiver) = cot_pair(&mut rng, &delta);
    let (mut msg, mut labels, mut zero) = (Vec::new(), Vec::new(), Vec::new());
    for &n in SIZES {
        let c = choices(&mut rng, n);
        receiver.extend_into(&c, &mut msg, &mut labels).unwrap();
        assert_eq!(msg.len(), Extend::encoded_len_for(n));
        sender.extend_into(n, &msg, &mut zero).unwrap();
        assert_eq!((labels.len(), zero.len()), (n, n));
        for i in 0..n {
            assert_eq!(labels[i] ^ zero[i], if c[i] { delta.as_block() } else { Block::ZERO });
        }
        // The typed and the buffer paths interleave on one session.
        let (m, l) = receiver.extend(&c).unwrap();
        let z = sender.extend(n, &Extend::from_vec(m.into_bytes()).unwrap()).unwrap();
        for i in 0..n {
            assert_eq!(l[i] ^ z[i], if c[i] { delta.as_block() } else { Block::ZERO });
        }
    }
    receiver.extend_into(&[true; 10], &mut msg, &mut labels).unwrap();
    let before = sender.position();
    let mut bad = msg.clone();
    bad.truncate(bad.len() - 16);
    assert!(matches!(sender.extend_into(10, &bad, &mut zero), Err(OtError::Malformed { .. })));
    assert!(matches!(sender.extend_into(11, &msg, &mut zero), Err(OtError::CountMismatch { .. })));
    assert_eq!(sender.position(), before, "a refused message leaves the state unchanged");
    sender.extend_into(10, &msg, &mut zero).unwrap();
    assert_eq!(labels[3] ^ zero[3], delta.as_block());
}
