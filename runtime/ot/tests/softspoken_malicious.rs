//! SoftSpoken's consistency check (`mpc_ot::softspoken::malicious`) played honestly and
//! by a cheating receiver, for every `k`: honest batches pass and give correlated OTs
//! (tile and chunk boundaries, zero length); a correction with another choice vector in
//! one piece, or several pieces, or a tampered proof, is caught with
//! `OtError::ConsistencyCheck` exactly when it would change the sender's labels (the
//! piece's bits of `Delta` are not all zero), and is provably harmless otherwise; the
//! check's messages decode strictly.

use mpc_crypto::{Block, Delta};
use mpc_ot::softspoken::malicious::{self, Challenge, Proof, CHECK_OTS};
use mpc_ot::softspoken::{Extend, SetupAnswer, SetupOffer, EXTEND_HEADER_LEN, MAX_K, MIN_K};
use mpc_ot::OtError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// Batch sizes around the 128-OT tile and the chunk boundaries (64 tiles at k <= 6,
/// 32 at k = 7, 16 at k = 8; the check adds a tile).
const SIZES: &[usize] = &[0, 1, 127, 128, 129, 255, 1000, 15 * 128, 31 * 128 + 3, 63 * 128];

fn pair(rng: &mut ChaCha12Rng, delta: &Delta, k: u8) -> (malicious::Sender, malicious::Receiver) {
    let (setup, offer) = malicious::Receiver::with_k(rng, k).unwrap();
    let offer = SetupOffer::from_bytes(&offer.to_bytes()).unwrap();
    let (sender, answer) = malicious::Sender::new(rng, delta, &offer).unwrap();
    let receiver = setup.finish(&SetupAnswer::from_bytes(&answer.to_bytes()).unwrap()).unwrap();
    assert_eq!((sender.k(), receiver.k()), (k, k));
    (sender, receiver)
}

/// The columns' place in an extension message of parameter `k`.
fn columns_start(msg: &Extend, k: u8) -> usize {
    EXTEND_HEADER_LEN + if msg.carries_tree() { Extend::tree_len(k).unwrap() } else { 0 }
}

/// Flips OT `row` of the correction of piece `piece`: the receiver used choice `!c_row`
/// in that piece only.
fn flip(msg: &Extend, k: u8, piece: usize, row: usize) -> Extend {
    let mut bytes = msg.to_bytes();
    let col_bytes = 16 * msg.len().div_ceil(128);
    bytes[columns_start(msg, k) + piece * col_bytes + row / 8] ^= 1 << (row % 8);
    Extend::from_bytes(&bytes).unwrap()
}

/// One batch through the wire encodings, with the extension message and the proof
/// tampered as asked; the sender's verdict and the receiver's labels.
fn batch(
    rng: &mut ChaCha12Rng,
    sender: &mut malicious::Sender,
    receiver: &mut malicious::Receiver,
    choices: &[bool],
    tamper: impl FnOnce(&Extend) -> Extend,
    tamper_proof: impl FnOnce(Vec<u8>) -> Vec<u8>,
) -> (Result<Vec<Block>, OtError>, Vec<Block>) {
    let (msg, pending_r) = receiver.extend(rng, choices).unwrap();
    let k = receiver.k();
    let total = malicious::wire_ots(choices.len()).unwrap();
    assert_eq!(msg.len(), total);
    assert_eq!(total, choices.len().div_ceil(128) * 128 + CHECK_OTS);
    assert_eq!(msg.encoded_len(), Extend::encoded_len_for(total, k, msg.carries_tree()).unwrap());
    let msg = tamper(&Extend::from_bytes(&msg.to_bytes()).unwrap());
    let (challenge, pending_s) = sender.extend(rng, choices.len(), &msg).unwrap();
    let challenge = Challenge::from_bytes(&challenge.to_bytes()).unwrap();
    let (proof, labels) = pending_r.respond(&challenge);
    assert_eq!(proof.to_bytes().len(), Proof::LEN);
    let proof = Proof::from_bytes(&tamper_proof(proof.to_bytes())).unwrap();
    (pending_s.verify(&proof), labels)
}

fn keep(b: Vec<u8>) -> Vec<u8> {
    b
}

fn assert_correlated(delta: &Delta, c: &[bool], zero: &[Block], labels: &[Block], what: &str) {
    assert_eq!((zero.len(), labels.len()), (c.len(), c.len()), "{what}");
    for i in 0..c.len() {
        let expect = if c[i] { zero[i] ^ delta.as_block() } else { zero[i] };
        assert_eq!(labels[i], expect, "{what}, OT {i}");
    }
}

/// The `d` bits of `Delta` of piece `i` (`d = k` but for the last piece).
fn piece_bits(delta: &Delta, k: u8, i: usize) -> u128 {
    let k = usize::from(k);
    let d = k.min(128 - k * i);
    (u128::from(delta.as_block()) >> (k * i)) & ((1u128 << d) - 1)
}

/// A `Delta` whose piece `i` (for parameter `k`) is zero (piece 0 keeps `Delta`'s lsb).
fn delta_with_zero_piece(rng: &mut ChaCha12Rng, k: u8, i: usize) -> Delta {
    assert!(i > 0);
    let k = usize::from(k);
    let d = k.min(128 - k * i);
    let mask = ((1u128 << d) - 1) << (k * i);
    Delta::from_block(Block::from(u128::from(Block::random(rng)) & !mask))
}

fn pieces(k: u8) -> usize {
    128usize.div_ceil(usize::from(k))
}

#[test]
fn honest_batches_pass_and_give_correlated_ots_for_every_k() {
    let mut rng = ChaCha12Rng::seed_from_u64(21);
    for k in MIN_K..=MAX_K {
        let delta = Delta::random(&mut rng);
        let (mut s, mut r) = pair(&mut rng, &delta, k);
        for &n in SIZES {
            let c: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
            let (verdict, labels) = batch(&mut rng, &mut s, &mut r, &c, Extend::clone, keep);
            let zero = verdict.unwrap_or_else(|e| panic!("k {k}, n {n}: an honest receiver fails: {e}"));
            assert_correlated(&delta, &c, &zero, &labels, &format!("k {k}, n {n}"));
        }
    }
}

#[test]
fn a_flipped_correction_bit_is_caught_exactly_when_its_piece_of_delta_is_not_zero() {
    let mut rng = ChaCha12Rng::seed_from_u64(22);
    for k in [2u8, 3, 5, 8] {
        for trial in 0..6 {
            let delta = Delta::random(&mut rng);
            let (mut s, mut r) = pair(&mut rng, &delta, k);
            let n = [1usize, 200, 1000][trial % 3];
            let piece = rng.gen_range(0..pieces(k));
            // Any row: a real OT, the padding, or the check tile.
            let row = rng.gen_range(0..malicious::wire_ots(n).unwrap());
            let c: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
            let (verdict, _) = batch(&mut rng, &mut s, &mut r, &c, |m| flip(m, k, piece, row), keep);
            if piece_bits(&delta, k, piece) != 0 {
                let err = verdict.expect_err("an inconsistent piece must be caught");
                assert_eq!(err, OtError::ConsistencyCheck { batch_ots: n }, "k {k}");
            } else {
                verdict.expect("a flip under a zero piece of Delta changes nothing");
            }
        }
    }
}

#[test]
fn a_flip_under_a_zero_piece_of_delta_is_harmless() {
    // W_{i,b} = V_{i,b} ^ Delta_{i,b} c^(i): with Delta_i = 0 the correction is unused, so
    // the sender's labels are exactly an honest run's and the check passes.
    let mut rng = ChaCha12Rng::seed_from_u64(23);
    for k in [3u8, 4, 7] {
        let piece = 1 + rng.gen_range(0..pieces(k) - 1);
        let delta = delta_with_zero_piece(&mut rng, k, piece);
        let (mut s, mut r) = pair(&mut rng, &delta, k);
        let c: Vec<bool> = (0..300).map(|_| rng.gen()).collect();
        let (verdict, labels) = batch(&mut rng, &mut s, &mut r, &c, |m| flip(m, k, piece, 7), keep);
        let zero = verdict.expect("harmless flips pass");
        assert_correlated(&delta, &c, &zero, &labels, &format!("k {k}"));
    }
}

#[test]
fn other_choices_in_half_of_the_pieces_are_caught() {
    // A receiver that corrects the first half of the pieces to c and the rest to
    // c ^ e (e: every fifth OT) in every batch, for several k and a later batch too.
    let mut rng = ChaCha12Rng::seed_from_u64(24);
    for k in [2u8, 4, 6, 8] {
        let delta = Delta::random(&mut rng);
        let (mut s, mut r) = pair(&mut rng, &delta, k);
        // An honest first batch, so the cheat is in a batch without the tree sums.
        let (ok, _) = batch(&mut rng, &mut s, &mut r, &[true; 10], Extend::clone, keep);
        ok.expect("honest batch");
        let n = 700;
        let c: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let half = pieces(k) / 2;
        let cheat = |m: &Extend| {
            let mut m = m.clone();
            for piece in half..pieces(k) {
                for row in (0..n).step_by(5) {
                    m = flip(&m, k, piece, row);
                }
            }
            m
        };
        let (verdict, _) = batch(&mut rng, &mut s, &mut r, &c, cheat, keep);
        assert_eq!(verdict.unwrap_err(), OtError::ConsistencyCheck { batch_ots: n }, "k {k}");
    }
}

#[test]
fn a_tampered_proof_of_an_honest_batch_fails() {
    let mut rng = ChaCha12Rng::seed_from_u64(25);
    for k in [2u8, 5, 8] {
        let delta = Delta::random(&mut rng);
        let (mut s, mut r) = pair(&mut rng, &delta, k);
        for byte in [1usize, 9, 16, 17, 30, 48] {
            let c: Vec<bool> = (0..130).map(|_| rng.gen()).collect();
            let (verdict, _) = batch(&mut rng, &mut s, &mut r, &c, Extend::clone, |mut p| {
                p[byte] ^= 0x10;
                p
            });
            let err = verdict.expect_err("a changed proof must fail");
            assert!(err.to_string().contains("consistency check"), "{err}");
        }
    }
}

#[test]
fn a_proof_for_another_challenge_fails() {
    // The receiver must answer the challenge it was sent: a proof for a challenge of
    // its own choosing (made before seeing the sender's) does not verify.
    let mut rng = ChaCha12Rng::seed_from_u64(26);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta, 4);
    let (msg, pending_r) = r.extend(&mut rng, &[true, false, true]).unwrap();
    let (_, pending_s) = s.extend(&mut rng, 3, &msg).unwrap();
    let own = Challenge::from_bytes(&[[0x54u8].as_slice(), &[7u8; 16]].concat()).unwrap();
    let (proof, _) = pending_r.respond(&own);
    assert!(matches!(pending_s.verify(&proof), Err(OtError::ConsistencyCheck { batch_ots: 3 })));
}

#[test]
fn the_sender_refuses_a_batch_of_the_wrong_size_or_order() {
    let mut rng = ChaCha12Rng::seed_from_u64(27);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta, 3);
    let (msg, _) = r.extend(&mut rng, &[true; 5]).unwrap();
    // 5 OTs take 256 on the wire; a sender expecting 200 wants 384.
    assert!(matches!(s.extend(&mut rng, 200, &msg), Err(OtError::CountMismatch { .. })));
    // Refusal left the sender unchanged: the right count still works.
    let (_, p) = s.extend(&mut rng, 5, &msg).unwrap();
    drop(p);
    assert_eq!(s.position(), r.position());
    // A replay of the same (first) batch is out of order now.
    assert!(s.extend(&mut rng, 5, &msg).is_err());
    // The default k is the semi-honest default.
    let (setup, offer) = malicious::Receiver::new(&mut rng);
    assert_eq!(offer.k(), mpc_ot::softspoken::DEFAULT_K);
    drop(setup);
    assert!(malicious::wire_ots(usize::MAX).is_none());
}

#[test]
fn malformed_check_messages_are_refused() {
    assert!(Challenge::from_bytes(&[]).is_err());
    assert!(Challenge::from_bytes(&[0x54; 16]).is_err());
    assert!(Challenge::from_bytes(&[0x54; 18]).is_err());
    assert!(Challenge::from_bytes(&[0xC1; 17]).is_err());
    assert!(Challenge::from_bytes(&[0x54; 17]).is_ok());
    assert!(Proof::from_bytes(&[0x55; 48]).is_err());
    assert!(Proof::from_bytes(&[0x55; 50]).is_err());
    assert!(Proof::from_bytes(&[0xC2; 49]).is_err());
    assert!(Proof::from_bytes(&[0x55; 49]).is_ok());
    for len in 0..60 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 0x54) as u8).collect();
        let _ = Challenge::from_bytes(&bytes);
        let _ = Proof::from_bytes(&bytes);
    }
    let err = Proof::from_bytes(&[0x55; 48]).unwrap_err();
    assert!(matches!(err, OtError::Malformed { .. }), "{err}");
}

#[test]
fn the_proof_of_the_same_choices_is_masked_by_the_random_tile() {
    // c_hat = H(c) includes chi_T times the receiver's random check tile: two receivers
    // with the same real choices answering the same challenge give different c_hat
    // (equal only if the check tile were not random).
    let mut rng = ChaCha12Rng::seed_from_u64(28);
    let c: Vec<bool> = (0..300).map(|_| rng.gen()).collect();
    let challenge = Challenge::from_bytes(&[[0x54u8].as_slice(), &[9u8; 16]].concat()).unwrap();
    let mut c_hats = Vec::new();
    for seed in [1u64, 2, 3] {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let delta = Delta::random(&mut rng);
        let (_, mut r) = pair(&mut rng, &delta, 3);
        let (_, pending) = r.extend(&mut rng, &c).unwrap();
        let (proof, _) = pending.respond(&challenge);
        c_hats.push(proof.to_bytes()[1..17].to_vec());
    }
    assert_ne!(c_hats[0], c_hats[1]);
    assert_ne!(c_hats[1], c_hats[2]);
    assert_ne!(c_hats[0], c_hats[2]);
}
