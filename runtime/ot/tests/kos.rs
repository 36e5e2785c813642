//! The KOS15 consistency check played honestly and by a cheating receiver: every
//! tampering with the receiver's extension message is either detected or provably
//! harmless (the sender's labels are then exactly those of an honest run).

use mpc_crypto::{Block, Delta};
use mpc_ot::iknp::{Extend, EXTEND_HEADER_LEN};
use mpc_ot::kos::{self, Challenge, Proof, CHECK_OTS};
use mpc_ot::OtError;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn pair(rng: &mut ChaCha12Rng, delta: &Delta) -> (kos::Sender, kos::Receiver) {
    let (setup, offer) = kos::Receiver::new(rng);
    let (sender, answer) = kos::Sender::new(rng, delta, &offer).unwrap();
    (sender, setup.finish(&answer).unwrap())
}

/// Flips entry `row` of column `col` of an extension message's `u` matrix: the
/// receiver used choice `!r_row` in that one column only.
fn flip(msg: &Extend, col: usize, row: usize) -> Extend {
    let mut bytes = msg.to_bytes();
    let col_bytes = 16 * (msg.len()).div_ceil(128);
    bytes[EXTEND_HEADER_LEN + col * col_bytes + row / 8] ^= 1 << (row % 8);
    Extend::from_bytes(&bytes).unwrap()
}

/// One batch through the wire encodings; the sender's verdict and both sides' labels.
fn batch(
    rng: &mut ChaCha12Rng,
    sender: &mut kos::Sender,
    receiver: &mut kos::Receiver,
    choices: &[bool],
    tamper: impl FnOnce(&Extend) -> Extend,
) -> (Result<Vec<Block>, OtError>, Vec<Block>) {
    let (msg, pending_r) = receiver.extend(rng, choices).unwrap();
    assert_eq!(msg.len(), choices.len() + CHECK_OTS);
    let msg = tamper(&Extend::from_bytes(&msg.to_bytes()).unwrap());
    let (challenge, pending_s) = sender.extend(rng, choices.len(), &msg).unwrap();
    let challenge = Challenge::from_bytes(&challenge.to_bytes()).unwrap();
    let (proof, labels) = pending_r.respond(&challenge);
    let proof = Proof::from_bytes(&proof.to_bytes()).unwrap();
    (pending_s.verify(&proof), labels)
}

fn delta_with_bit(rng: &mut ChaCha12Rng, bit: usize, value: bool) -> Delta {
    let mut d = u128::from(Block::random(rng));
    d = (d & !(1 << bit)) | ((value as u128) << bit);
    Delta::from_block(Block::from(d))
}

#[test]
fn honest_batches_pass_and_labels_are_correlated() {
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    for n in [0usize, 1, 127, 128, 129, 1000, 5000] {
        let choices: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let (verdict, labels) = batch(&mut rng, &mut s, &mut r, &choices, Extend::clone);
        let zero = verdict.expect("an honest receiver passes");
        assert_eq!((zero.len(), labels.len()), (n, n));
        for i in 0..n {
            let want = if choices[i] { zero[i] ^ delta.as_block() } else { zero[i] };
            assert_eq!(labels[i], want, "n {n}, OT {i}");
        }
    }
}

#[test]
fn an_inconsistent_column_is_caught_where_delta_has_a_one() {
    let mut rng = ChaCha12Rng::seed_from_u64(8);
    for trial in 0..24 {
        let col = rng.gen_range(1..128); // bit 0 of Delta is always 1; test it below
        let row = rng.gen_range(0..300 + CHECK_OTS);
        let delta = delta_with_bit(&mut rng, col, true);
        let (mut s, mut r) = pair(&mut rng, &delta);
        let choices: Vec<bool> = (0..300).map(|_| rng.gen()).collect();
        let (verdict, _) = batch(&mut rng, &mut s, &mut r, &choices, |m| flip(m, col, row));
        assert!(
            matches!(verdict, Err(OtError::ConsistencyCheck { batch_ots: 300 })),
            "trial {trial}: column {col}, row {row} not caught"
        );
    }
    // Column 0 meets Delta's lsb, which is always 1: always caught.
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    let (verdict, _) = batch(&mut rng, &mut s, &mut r, &[true; 10], |m| flip(m, 0, 3));
    assert!(verdict.is_err());
}

#[test]
fn an_inconsistent_column_where_delta_has_a_zero_is_harmless() {
    // The sender's rows ignore u_j when Delta_j = 0, so the flip changes nothing: the
    // check passes and every label is what an honest run gives. This is the bounded
    // selective failure of KOS15: passing tells the receiver Delta_j = 0, and it cost
    // it a 1/2 chance of being caught.
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    for _ in 0..8 {
        let col = rng.gen_range(1..128);
        let row = rng.gen_range(0..200);
        let delta = delta_with_bit(&mut rng, col, false);
        let (mut s, mut r) = pair(&mut rng, &delta);
        let choices: Vec<bool> = (0..200).map(|_| rng.gen()).collect();
        let (verdict, labels) = batch(&mut rng, &mut s, &mut r, &choices, |m| flip(m, col, row));
        let zero = verdict.expect("a flip under a zero bit of Delta changes nothing");
        for i in 0..200 {
            let want = if choices[i] { zero[i] ^ delta.as_block() } else { zero[i] };
            assert_eq!(labels[i], want);
        }
    }
}

#[test]
fn a_receiver_cannot_fix_its_proof_without_delta() {
    // Lying in column 5 of row 2 shifts the sender's sum by chi_2 * x^5 exactly when
    // Delta_5 = 1. The only correction that passes is that element (the KOS15 guess of
    // one bit of Delta); no single-bit change of `x` or `t` is it.
    let mut rng = ChaCha12Rng::seed_from_u64(10);
    let delta = delta_with_bit(&mut rng, 5, true);
    let (mut s, mut r) = pair(&mut rng, &delta);
    let choices: Vec<bool> = (0..64).map(|_| rng.gen()).collect();
    let (msg, pending_r) = r.extend(&mut rng, &choices).unwrap();
    let (challenge, pending_s) = s.extend(&mut rng, 64, &flip(&msg, 5, 2)).unwrap();
    let (proof, _) = pending_r.respond(&challenge);
    let bytes = proof.to_bytes();
    assert_eq!(bytes.len(), 33);
    // The honest proof of the lying receiver fails ...
    let mut verdicts = vec![pending_s.verify(&proof).is_ok()];
    // ... and so does every altered one (fresh sessions, same strategy).
    for bit in 0..256 {
        let mut rng = ChaCha12Rng::seed_from_u64(10);
        let delta = delta_with_bit(&mut rng, 5, true);
        let (mut s, mut r) = pair(&mut rng, &delta);
        let choices: Vec<bool> = (0..64).map(|_| rng.gen()).collect();
        let (msg, pending_r) = r.extend(&mut rng, &choices).unwrap();
        let (challenge, pending_s) = s.extend(&mut rng, 64, &flip(&msg, 5, 2)).unwrap();
        let (proof, _) = pending_r.respond(&challenge);
        let mut b = proof.to_bytes();
        b[1 + bit / 8] ^= 1 << (bit % 8);
        verdicts.push(pending_s.verify(&Proof::from_bytes(&b).unwrap()).is_ok());
    }
    assert!(verdicts.iter().all(|&ok| !ok));
}

#[test]
fn a_tampered_proof_of_an_honest_batch_fails() {
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    let (msg, pending_r) = r.extend(&mut rng, &[true, false, true]).unwrap();
    let (challenge, pending_s) = s.extend(&mut rng, 3, &msg).unwrap();
    let (proof, _) = pending_r.respond(&challenge);
    let mut b = proof.to_bytes();
    b[20] ^= 0x40; // a bit of t
    let err = pending_s.verify(&Proof::from_bytes(&b).unwrap()).unwrap_err();
    assert!(err.to_string().contains("consistency check"), "{err}");
}

#[test]
fn malformed_check_messages_are_refused() {
    assert!(Challenge::from_bytes(&[]).is_err());
    assert!(Challenge::from_bytes(&[0xC1; 16]).is_err());
    assert!(Challenge::from_bytes(&[0xC2; 17]).is_err());
    assert!(Proof::from_bytes(&[0xC2; 32]).is_err());
    assert!(Proof::from_bytes(&[0xC2; 34]).is_err());
    assert!(Proof::from_bytes(&[0xC1; 33]).is_err());
}

#[test]
fn the_abort_rate_of_a_single_lie_is_about_one_half() {
    // Over random Deltas, lying in one column is caught exactly when Delta has a one
    // there: the receiver learns one bit of Delta per lie at the price of an abort
    // half the time (KOS15's bounded leakage), never more.
    let mut rng = ChaCha12Rng::seed_from_u64(12);
    let (mut caught, trials) = (0, 64);
    for _ in 0..trials {
        let delta = Delta::random(&mut rng);
        let col = 77;
        let (mut s, mut r) = pair(&mut rng, &delta);
        let (verdict, _) = batch(&mut rng, &mut s, &mut r, &[false; 8], |m| flip(m, col, 1));
        let bit = (u128::from(delta.as_block()) >> col) & 1 == 1;
        assert_eq!(verdict.is_err(), bit, "caught exactly when Delta_{col} = 1");
        caught += verdict.is_err() as usize;
    }
    assert!((16..=48).contains(&caught), "{caught} of {trials}");
}

/// A forward batch of `n` OTs with the bootstrap OTs, through the wire encodings:
/// the forward verdict with the reverse receiver, the forward labels and the reverse
/// sender (whose `Delta` is `reverse`).
#[allow(clippy::type_complexity)]
fn bootstrap(
    rng: &mut ChaCha12Rng,
    sender: &mut kos::Sender,
    receiver: &mut kos::Receiver,
    choices: &[bool],
    reverse: &Delta,
    tamper: impl FnOnce(&Extend) -> Extend,
) -> (Result<(Vec<Block>, kos::Receiver), OtError>, Vec<Block>, kos::Sender) {
    let (msg, flip, pending_r) = receiver.extend_bootstrap(rng, choices, reverse).unwrap();
    assert_eq!(msg.len(), choices.len() + kos::BOOTSTRAP_OTS + CHECK_OTS);
    let flip = kos::Flip::from_bytes(&flip.to_bytes()).unwrap();
    let msg = tamper(&Extend::from_bytes(&msg.to_bytes()).unwrap());
    let (challenge, pending_s) = sender.extend_bootstrap(rng, choices.len(), &msg).unwrap();
    let (proof, labels, reverse_sender) = pending_r.respond_bootstrap(&challenge).unwrap();
    let proof = Proof::from_bytes(&proof.to_bytes()).unwrap();
    (pending_s.verify_bootstrap(&proof, &flip), labels, reverse_sender)
}

#[test]
fn a_bootstrapped_reverse_session_gives_correlated_ots_under_the_other_delta() {
    let mut rng = ChaCha12Rng::seed_from_u64(21);
    let (delta, reverse) = (Delta::random(&mut rng), Delta::random(&mut rng));
    let (mut s, mut r) = pair(&mut rng, &delta);
    let choices: Vec<bool> = (0..300).map(|_| rng.gen()).collect();
    let (verdict, labels, mut rev_s) = bootstrap(&mut rng, &mut s, &mut r, &choices, &reverse, Extend::clone);
    let (zero, mut rev_r) = verdict.expect("an honest receiver passes");
    for i in 0..choices.len() {
        assert_eq!(labels[i], if choices[i] { zero[i] ^ delta.as_block() } else { zero[i] });
    }
    // The reverse session (roles swapped: the old sender chooses), several checked
    // batches, then the forward session goes on too.
    for n in [1usize, 200, 1000] {
        let c: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let (verdict, labels) = batch(&mut rng, &mut rev_s, &mut rev_r, &c, Extend::clone);
        let zero = verdict.expect("honest reverse batch");
        for i in 0..n {
            assert_eq!(labels[i], if c[i] { zero[i] ^ reverse.as_block() } else { zero[i] }, "n {n}, OT {i}");
        }
    }
    let c: Vec<bool> = (0..129).map(|_| rng.gen()).collect();
    let (verdict, labels) = batch(&mut rng, &mut s, &mut r, &c, Extend::clone);
    let zero = verdict.unwrap();
    assert!((0..129).all(|i| labels[i] == if c[i] { zero[i] ^ delta.as_block() } else { zero[i] }));
}

#[test]
fn a_wrong_flip_breaks_the_reverse_correlation() {
    // The flip carries the reverse Delta's bits: a receiver that sends another one has
    // effectively another Delta, which the MAC checks above the OT then catch. Here:
    // the reverse session no longer matches `reverse`.
    let mut rng = ChaCha12Rng::seed_from_u64(22);
    let (delta, reverse) = (Delta::random(&mut rng), Delta::random(&mut rng));
    let (mut s, mut r) = pair(&mut rng, &delta);
    let (msg, flip, pending_r) = r.extend_bootstrap(&mut rng, &[true; 8], &reverse).unwrap();
    let mut fb = flip.to_bytes();
    fb[1 + 3] ^= 0x10;
    let (challenge, pending_s) = s.extend_bootstrap(&mut rng, 8, &msg).unwrap();
    let (proof, _, mut rev_s) = pending_r.respond_bootstrap(&challenge).unwrap();
    let (_, mut rev_r) = pending_s.verify_bootstrap(&proof, &kos::Flip::from_bytes(&fb).unwrap()).unwrap();
    let c = vec![false; 256];
    let (verdict, labels) = batch(&mut rng, &mut rev_s, &mut rev_r, &c, Extend::clone);
    // With all-zero choices an honest session gives labels == zero-labels.
    match verdict {
        Ok(zero) => assert!(zero.iter().zip(&labels).any(|(z, l)| z != l)),
        Err(e) => assert!(matches!(e, OtError::ConsistencyCheck { .. }), "{e}"),
    }
}

#[test]
fn an_inconsistent_bootstrap_batch_yields_no_reverse_session() {
    // Column 0 meets bit 0 of Delta, set to 1: the check fails and nothing is derived.
    let mut rng = ChaCha12Rng::seed_from_u64(23);
    let delta = delta_with_bit(&mut rng, 0, true);
    let reverse = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    let (verdict, _, _) = bootstrap(&mut rng, &mut s, &mut r, &[true; 40], &reverse, |m| flip(m, 0, 3));
    assert!(matches!(verdict, Err(OtError::ConsistencyCheck { .. })), "{:?}", verdict.err());
}

#[test]
fn bootstrap_calls_on_plain_batches_and_malformed_flips_are_refused() {
    let mut rng = ChaCha12Rng::seed_from_u64(24);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    let (msg, pending_r) = r.extend(&mut rng, &[true, false]).unwrap();
    let (challenge, pending_s) = s.extend(&mut rng, 2, &msg).unwrap();
    let (proof, _, _) = {
        let e = pending_r.respond_bootstrap(&challenge).expect_err("a plain batch");
        assert!(matches!(e, OtError::InvalidArgument(_)), "{e}");
        let (msg, flip, p) = r.extend_bootstrap(&mut rng, &[true], &delta).unwrap();
        assert!(kos::Flip::from_bytes(&flip.to_bytes()[..16]).is_err());
        let mut long = flip.to_bytes();
        long.push(0);
        assert!(kos::Flip::from_bytes(&long).is_err());
        let _ = msg;
        p.respond_bootstrap(&challenge).unwrap()
    };
    let flip = kos::Flip::from_bytes(&[0xC3; 17]).unwrap();
    let e = pending_s.verify_bootstrap(&proof, &flip).expect_err("a plain batch");
    assert!(matches!(e, OtError::InvalidArgument(_)), "{e}");
}

#[test]
fn challenged_batches_finished_later_match_extend_and_keep_their_order() {
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    // Two batches challenged before either is extended, then finished in order.
    let choices: Vec<Vec<bool>> =
        [300usize, 129].iter().map(|&n| (0..n).map(|_| rng.gen()).collect()).collect();
    let mut taken = Vec::new();
    let mut pending_r = Vec::new();
    for c in &choices {
        let (msg, p) = r.extend(&mut rng, c).unwrap();
        let (challenge, t) = s.challenge(&mut rng, c.len(), msg).unwrap();
        pending_r.push(p.respond(&challenge));
        taken.push(t);
    }
    for ((t, (proof, labels)), c) in taken.into_iter().zip(pending_r).zip(&choices) {
        let zero = s.finish(t).unwrap().verify(&proof).expect("an honest receiver passes");
        for i in 0..c.len() {
            let want = if c[i] { zero[i] ^ delta.as_block() } else { zero[i] };
            assert_eq!(labels[i], want, "OT {i}");
        }
    }
    // The same draws as `extend`: a twin sender's challenge is the same.
    let mut a = ChaCha12Rng::seed_from_u64(12);
    let mut b = a.clone();
    let (mut s1, mut r1) = pair(&mut a, &delta);
    let (mut s2, mut r2) = pair(&mut b, &delta);
    let (m1, _) = r1.extend(&mut a, &choices[0]).unwrap();
    let (m2, _) = r2.extend(&mut b, &choices[0]).unwrap();
    let (c1, _) = s1.extend(&mut a, choices[0].len(), &m1).unwrap();
    let (c2, _) = s2.challenge(&mut b, choices[0].len(), m2).unwrap();
    assert_eq!(c1, c2);
    // A batch finished before an earlier one fails.
    let (first, _) = r.extend(&mut rng, &choices[1]).unwrap();
    let (second, _) = r.extend(&mut rng, &choices[1]).unwrap();
    let (_, t1) = s.challenge(&mut rng, choices[1].len(), first).unwrap();
    let (_, t2) = s.challenge(&mut rng, choices[1].len(), second).unwrap();
    assert!(s.finish(t2).is_err());
    drop(t1);
}

#[test]
fn random_choice_batches_pass_and_match_their_returned_choices() {
    let mut rng = ChaCha12Rng::seed_from_u64(17);
    let delta = Delta::random(&mut rng);
    let (mut s, mut r) = pair(&mut rng, &delta);
    let mut ones = 0usize;
    for n in [0usize, 1, 127, 128, 129, 1000, 5000] {
        let (choices, msg, pending_r) = r.extend_random(&mut rng, n).unwrap();
        assert_eq!((choices.len(), msg.len()), (n, n + CHECK_OTS));
        let (challenge, pending_s) = s.extend(&mut rng, n, &msg).unwrap();
        let (proof, labels) = pending_r.respond(&challenge);
        let zero = pending_s.verify(&proof).expect("an honest receiver passes");
        for ((z, l), &c) in zero.iter().zip(&labels).zip(&choices) {
            let want = if c { *z ^ delta.as_block() } else { *z };
            assert_eq!(*l, want);
        }
        ones += choices.iter().filter(|&&c| c).count();
    }
    // 6,385 uniform bits: the count of ones is within 6 sigma (~240) of half.
    assert!(ones.abs_diff(6385 / 2) < 240, "{ones} ones in 6385 random choices");
}

#[test]
fn random_choice_batches_refuse_a_count_past_the_limit() {
    let mut rng = ChaCha12Rng::seed_from_u64(18);
    let delta = Delta::random(&mut rng);
    let (_, mut r) = pair(&mut rng, &delta);
    assert!(matches!(r.extend_random(&mut rng, mpc_ot::MAX_BATCH), Err(OtError::InvalidArgument(_))));
}
