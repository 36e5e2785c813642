//! SoftSpoken correlated OT, run in-process as IKNP's tests run: two state machines
//! exchanging serialized messages (and once over the in-memory channel), for every
//! `k` in 2..=8, many batch sizes and random choice bits; plus refusal of malformed,
//! mismatched and out-of-order messages, and a property test over `k` and lengths.

use mpc_crypto::{Block, Delta};
use mpc_net::frame::{recv_frame, send_frame};
use mpc_net::{Channel, MemoryChannel};
use mpc_ot::softspoken::{self, Extend, Receiver, Sender, SetupAnswer, SetupOffer};
use mpc_ot::OtError;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// Batch sizes around the 128-OT tile and the chunk boundaries (64 and 32 tiles).
const SIZES: &[usize] = &[0, 1, 2, 127, 128, 129, 255, 300, 1000, 32 * 128 + 1, 64 * 128 + 5];

fn choices(rng: &mut ChaCha12Rng, n: usize) -> Vec<bool> {
    // Vary the density so all-zero and all-one vectors turn up too.
    let p = [0.0, 0.5, 1.0, 0.1][rng.gen_range(0..4)];
    (0..n).map(|_| rng.gen_bool(p)).collect()
}

/// A set-up pair for `k`, every setup message through its wire encoding.
fn pair(rng: &mut ChaCha12Rng, delta: &Delta, k: u8) -> (Sender, Receiver) {
    let (setup, offer) = Receiver::with_k(rng, k).unwrap();
    let offer = SetupOffer::from_bytes(&offer.to_bytes()).unwrap();
    assert_eq!(offer.k(), k);
    let (sender, answer) = Sender::new(rng, delta, &offer).unwrap();
    assert_eq!(sender.k(), k);
    let receiver = setup.finish(&SetupAnswer::from_bytes(&answer.to_bytes()).unwrap()).unwrap();
    assert_eq!(receiver.k(), k);
    (sender, receiver)
}

/// One batch through the wire; checks the message size and returns both outputs.
fn batch(sender: &mut Sender, receiver: &mut Receiver, c: &[bool]) -> (Vec<Block>, Vec<Block>) {
    let (msg, labels) = receiver.extend(c).unwrap();
    let bytes = msg.to_bytes();
    let k = receiver.k();
    assert_eq!(bytes.len(), Extend::encoded_len_for(c.len(), k, msg.carries_tree()).unwrap());
    assert!(bytes.len() <= Extend::max_encoded_len(c.len()));
    let msg = Extend::from_bytes(&bytes).unwrap();
    assert_eq!(msg.len(), c.len());
    let zero = sender.extend(c.len(), &msg).unwrap();
    (zero, labels)
}

fn assert_correlated(delta: &Delta, c: &[bool], zero: &[Block], labels: &[Block], what: &str) {
    assert_eq!(zero.len(), c.len(), "{what}");
    assert_eq!(labels.len(), c.len(), "{what}");
    for i in 0..c.len() {
        let expect = if c[i] { zero[i] ^ delta.as_block() } else { zero[i] };
        assert_eq!(labels[i], expect, "{what}, OT {i}");
    }
}

#[test]
fn every_k_gives_labels_that_differ_by_delta_exactly_where_chosen() {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    for k in softspoken::MIN_K..=softspoken::MAX_K {
        let delta = Delta::random(&mut rng);
        let (mut sender, mut receiver) = pair(&mut rng, &delta, k);
        let mut seen = std::collections::HashSet::new();
        for &n in SIZES {
            let c = choices(&mut rng, n);
            let (zero, labels) = batch(&mut sender, &mut receiver, &c);
            assert_correlated(&delta, &c, &zero, &labels, &format!("k {k}, n {n}"));
            // Zero labels never repeat, within or across batches.
            for z in &zero {
                assert!(seen.insert(z.to_u128()), "k {k}, n {n}: a zero label repeats");
            }
            assert_eq!(sender.position(), receiver.position());
            assert_eq!(receiver.position() % 128, 0);
        }
    }
}

#[test]
fn bytes_per_ot_are_ceil_128_over_k_bits() {
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    for k in softspoken::MIN_K..=softspoken::MAX_K {
        let delta = Delta::random(&mut rng);
        let (mut sender, mut receiver) = pair(&mut rng, &delta, k);
        let n = 1024;
        let c = choices(&mut rng, n);
        let (msg, _) = receiver.extend(&c).unwrap();
        assert!(msg.carries_tree());
        let pieces = 128usize.div_ceil(usize::from(k));
        // Two blocks per tree level below the first: 128 levels in all, one first
        // level per piece.
        assert_eq!(Extend::tree_len(k).unwrap(), 32 * (128 - pieces));
        assert_eq!(
            msg.encoded_len(),
            softspoken::EXTEND_HEADER_LEN + Extend::tree_len(k).unwrap() + pieces * n / 8
        );
        sender.extend(n, &msg).unwrap();
        let (msg, _) = receiver.extend(&c).unwrap();
        assert!(!msg.carries_tree());
        assert_eq!(msg.encoded_len(), softspoken::EXTEND_HEADER_LEN + pieces * n / 8);
        // At most half of IKNP's 16 bytes per OT (exactly half at k = 2).
        let iknp = mpc_ot::iknp::Extend::encoded_len_for(n) - mpc_ot::iknp::EXTEND_HEADER_LEN;
        assert!(msg.encoded_len() - softspoken::EXTEND_HEADER_LEN <= iknp / 2);
    }
}

#[test]
fn many_random_choice_vectors_and_lengths() {
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    for k in [3u8, 8] {
        let delta = Delta::random(&mut rng);
        let (mut sender, mut receiver) = pair(&mut rng, &delta, k);
        for round in 0..60 {
            let n = rng.gen_range(0..600);
            let c: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
            let (zero, labels) = batch(&mut sender, &mut receiver, &c);
            assert_correlated(&delta, &c, &zero, &labels, &format!("k {k}, round {round}"));
        }
    }
}

#[test]
fn the_default_k_is_what_new_offers() {
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    let (setup, offer) = Receiver::new(&mut rng);
    assert_eq!(offer.k(), softspoken::DEFAULT_K);
    let delta = Delta::random(&mut rng);
    let (mut sender, answer) = Sender::new(&mut rng, &delta, &offer).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let c = choices(&mut rng, 500);
    let (zero, labels) = batch(&mut sender, &mut receiver, &c);
    assert_correlated(&delta, &c, &zero, &labels, "default k");
}

#[test]
fn over_the_in_memory_channel() {
    const BATCHES: [usize; 4] = [0, 700, 128, 5000];
    let k = 5;
    let (mut ch_s, mut ch_r) = MemoryChannel::pair();
    let delta = Delta::random(&mut ChaCha12Rng::seed_from_u64(5));
    let garbler_delta = Delta::from_block(delta.as_block());
    let sender =
        std::thread::spawn(move || -> Result<Vec<Vec<Block>>, Box<dyn std::error::Error + Send + Sync>> {
            let mut rng = ChaCha12Rng::seed_from_u64(6);
            let offer = SetupOffer::from_bytes(&recv_frame(&mut ch_s, 1 << 16)?)?;
            let (mut sender, answer) = Sender::new(&mut rng, &garbler_delta, &offer)?;
            send_frame(&mut ch_s, &answer.to_bytes())?;
            ch_s.flush()?;
            let mut out = Vec::new();
            let mut zero = Vec::new();
            for n in BATCHES {
                let msg = recv_frame(&mut ch_s, Extend::max_encoded_len(n))?;
                sender.extend_into(n, &msg, &mut zero)?;
                out.push(zero.clone());
            }
            Ok(out)
        });
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let (setup, offer) = Receiver::with_k(&mut rng, k).unwrap();
    send_frame(&mut ch_r, &offer.to_bytes()).unwrap();
    ch_r.flush().unwrap();
    let answer = SetupAnswer::from_bytes(&recv_frame(&mut ch_r, 1 << 16).unwrap()).unwrap();
    let mut receiver = setup.finish(&answer).unwrap();
    let (mut msg, mut labels) = (Vec::new(), Vec::new());
    let mut mine = Vec::new();
    let mut all_choices = Vec::new();
    let before = ch_r.bytes_sent();
    for n in BATCHES {
        let c = choices(&mut rng, n);
        receiver.extend_into(&c, &mut msg, &mut labels).unwrap();
        send_frame(&mut ch_r, &msg).unwrap();
        ch_r.flush().unwrap();
        mine.push(labels.clone());
        all_choices.push(c);
    }
    let sent = ch_r.bytes_sent() - before;
    let expect: usize =
        BATCHES.iter().enumerate().map(|(b, &n)| 4 + Extend::encoded_len_for(n, k, b == 0).unwrap()).sum();
    assert_eq!(sent, expect as u64, "frames of the exact message sizes");
    let theirs = sender.join().expect("sender thread").expect("sender side");
    for (b, ((c, zero), labels)) in all_choices.iter().zip(&theirs).zip(&mine).enumerate() {
        assert_correlated(&delta, c, zero, labels, &format!("batch {b}"));
    }
}

#[test]
fn k_outside_two_to_eight_is_refused() {
    let mut rng = ChaCha12Rng::seed_from_u64(8);
    for k in [0u8, 1, 9, 255] {
        assert!(matches!(Receiver::with_k(&mut rng, k), Err(OtError::InvalidArgument(_))), "k {k}");
        assert!(matches!(Extend::encoded_len_for(1, k, false), Err(OtError::InvalidArgument(_))));
        assert!(matches!(Extend::tree_len(k), Err(OtError::InvalidArgument(_))));
    }
    let (_, offer) = Receiver::with_k(&mut rng, 4).unwrap();
    let mut bytes = offer.to_bytes();
    for bad in [1u8, 9] {
        bytes[1] = bad;
        assert!(matches!(SetupOffer::from_bytes(&bytes), Err(OtError::Malformed { .. })), "k {bad}");
    }
}

#[test]
fn malformed_and_mismatched_messages_are_typed_errors_and_change_nothing() {
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    let delta = Delta::random(&mut rng);
    let (mut sender, mut receiver) = pair(&mut rng, &delta, 4);
    let n = 300;
    let c = choices(&mut rng, n);
    let (msg, labels) = receiver.extend(&c).unwrap();
    let good = msg.to_bytes();
    let mut zero = Vec::new();

    // Wrong sizes: truncated, one byte more, empty, header only.
    for bad in [&good[..good.len() - 1], &[good.clone(), vec![0]].concat()[..], &[][..], &good[..14]] {
        assert!(matches!(Extend::from_bytes(bad), Err(OtError::Malformed { .. })));
        assert!(matches!(sender.extend_into(n, bad, &mut zero), Err(OtError::Malformed { .. })));
    }
    // A count this side does not expect.
    assert!(matches!(
        sender.extend_into(n + 1, &good, &mut zero),
        Err(OtError::CountMismatch { expected: 301, got: 300, .. })
    ));
    // A wrong tag, a later-batch tag on the first batch (no tree), another k.
    let mut tag = good.clone();
    tag[0] = 0xE1;
    assert!(matches!(sender.extend_into(n, &tag, &mut zero), Err(OtError::Malformed { .. })));
    let mut later = good[..softspoken::EXTEND_HEADER_LEN].to_vec();
    later[0] = 0x53;
    later.extend_from_slice(&good[softspoken::EXTEND_HEADER_LEN + Extend::tree_len(4).unwrap()..]);
    assert!(Extend::from_bytes(&later).is_ok(), "a well-formed later batch");
    assert!(matches!(sender.extend_into(n, &later, &mut zero), Err(OtError::Malformed { .. })));
    let mut other_k = later.clone();
    other_k[1] = 8;
    assert!(matches!(sender.extend_into(n, &other_k, &mut zero), Err(OtError::Malformed { .. })));
    // A huge count is refused before any allocation.
    let mut huge = good.clone();
    huge[2..6].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(Extend::from_bytes(&huge), Err(OtError::Malformed { .. })));
    assert_eq!(sender.position(), 0, "refused messages change nothing");

    // The genuine message still works after all the refusals.
    sender.extend_into(n, &good, &mut zero).unwrap();
    assert_correlated(&delta, &c, &zero, &labels, "after refusals");

    // Replaying the first batch (tree again, old position) and skipping a batch.
    assert!(matches!(sender.extend_into(n, &good, &mut zero), Err(OtError::Malformed { .. })));
    let (skipped, _) = receiver.extend(&c).unwrap();
    let (next, labels) = receiver.extend(&c).unwrap();
    assert!(matches!(sender.extend(n, &next), Err(OtError::Malformed { .. })));
    sender.extend(n, &skipped).unwrap();
    let zero = sender.extend(n, &next).unwrap();
    assert_correlated(&delta, &c, &zero, &labels, "after a refused reorder");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = ChaCha12Rng::seed_from_u64(10);
    let delta = Delta::random(&mut rng);
    let (mut pending, mut receiver) = pair(&mut rng, &delta, 2);
    // A second sender past its first batch (seeds built), so both states see the bytes.
    let (mut ready, mut receiver2) = pair(&mut rng, &delta, 2);
    let (first, _) = receiver2.extend(&[true; 10]).unwrap();
    ready.extend(10, &first).unwrap();
    let mut zero = Vec::new();
    for len in 0..300 {
        let mut buf = vec![0u8; len];
        rng.fill(&mut buf[..]);
        if len > 1 {
            buf[0] = [0x51, 0x52, 0x53][len % 3];
            buf[1] = (len % 10) as u8;
        }
        let _ = SetupOffer::from_bytes(&buf);
        let _ = SetupAnswer::from_bytes(&buf);
        let _ = Extend::from_bytes(&buf);
        for sender in [&mut pending, &mut ready] {
            let _ = sender.extend_into(len % 7, &buf, &mut zero);
        }
    }
    // Neither state moved, so the genuine next batches still work.
    assert_eq!((pending.position(), ready.position()), (0, 128));
    let c = [false, true, true];
    let (msg, labels) = receiver.extend(&c).unwrap();
    let zero = pending.extend(3, &msg).unwrap();
    assert_correlated(&delta, &c, &zero, &labels, "pending sender after garbage");
    let (msg, labels) = receiver2.extend(&c).unwrap();
    let zero = ready.extend(3, &msg).unwrap();
    assert_correlated(&delta, &c, &zero, &labels, "ready sender after garbage");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x005e_ed0f_50f7),
        ..ProptestConfig::default()
    })]

    /// Any k, any sequence of batch lengths: every label is correlated with Delta.
    #[test]
    fn any_k_and_lengths(k in softspoken::MIN_K..=softspoken::MAX_K,
                         lengths in proptest::collection::vec(0usize..1200, 1..4),
                         seed in any::<u64>()) {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let delta = Delta::random(&mut rng);
        let (mut sender, mut receiver) = pair(&mut rng, &delta, k);
        for n in lengths {
            let c: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
            let (zero, labels) = batch(&mut sender, &mut receiver, &c);
            for i in 0..n {
                prop_assert_eq!(labels[i] ^ zero[i], if c[i] { delta.as_block() } else { Block::ZERO });
            }
        }
    }
}

/// The columns on the wire hide the choice bits: with all-zero and all-one choices
/// every column is still about half ones (a receiver sending `c`, or `u_i` without
/// the seed the sender lacks, would fail this), and no two pieces' columns agree.
#[test]
fn wire_columns_are_masked_choices() {
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    for k in [2u8, 5, 8] {
        let delta = Delta::random(&mut rng);
        let (_, mut receiver) = pair(&mut rng, &delta, k);
        let n = 4096;
        for bit in [false, true] {
            let (msg, _) = receiver.extend(&vec![bit; n]).unwrap();
            let bytes = msg.as_bytes();
            let start = softspoken::EXTEND_HEADER_LEN
                + if msg.carries_tree() { Extend::tree_len(k).unwrap() } else { 0 };
            let columns: Vec<&[u8]> = bytes[start..].chunks_exact(n / 8).collect();
            assert_eq!(columns.len(), 128usize.div_ceil(usize::from(k)));
            for (i, col) in columns.iter().enumerate() {
                let ones: u32 = col.iter().map(|b| b.count_ones()).sum();
                assert!((1700..2400).contains(&ones), "k {k}, choice {bit}, column {i}: {ones} ones of {n}");
            }
            for (i, a) in columns.iter().enumerate() {
                for b in &columns[i + 1..] {
                    assert_ne!(a, b, "k {k}: two pieces sent the same column");
                }
            }
        }
    }
}
