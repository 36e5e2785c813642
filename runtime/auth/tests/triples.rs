//! Authenticated AND triples between two parties driven through their serialized
//! messages: honest runs give `c = a & b` with consistent MACs; a cheating party that
//! edits a message is caught, or learns exactly the bounded leak the protocol allows.

use mpc_auth::bucket::{self, Triples};
use mpc_auth::leaky_and::Layer;
use mpc_auth::shares::AuthShares;
use mpc_auth::{feq, pin_delta, AuthError, Role};
use mpc_crypto::{Block, Delta};
use mpc_ot::kos;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use sha2::{Digest, Sha256};

struct Pair {
    da: Delta,
    db: Delta,
}

/// `holder`'s random bits authenticated to the party with `delta`, through a real
/// KOS-checked OT run: (holder's bits and MACs, verifier's keys).
fn authenticate(rng: &mut ChaCha12Rng, delta: &Delta, bits: &[bool]) -> (Vec<Block>, Vec<Block>) {
    let (setup, offer) = kos::Receiver::new(rng);
    let (mut s, answer) = kos::Sender::new(rng, delta, &offer).unwrap();
    let mut r = setup.finish(&answer).unwrap();
    let (msg, pending_r) = r.extend(rng, bits).unwrap();
    let (challenge, pending_s) = s.extend(rng, bits.len(), &msg).unwrap();
    let (proof, macs) = pending_r.respond(&challenge);
    let keys = pending_s.verify(&proof).unwrap();
    (macs, keys)
}

impl Pair {
    fn new(rng: &mut ChaCha12Rng) -> Pair {
        Pair {
            da: pin_delta(Role::Garbler, Block::random(rng)),
            db: pin_delta(Role::Evaluator, Block::random(rng)),
        }
    }

    /// `n` random authenticated shares: (garbler's half, evaluator's half).
    fn deal(&self, rng: &mut ChaCha12Rng, n: usize) -> (AuthShares, AuthShares) {
        let bits_a: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let bits_b: Vec<bool> = (0..n).map(|_| rng.gen()).collect();
        let (macs_a, keys_b) = authenticate(rng, &self.db, &bits_a);
        let (macs_b, keys_a) = authenticate(rng, &self.da, &bits_b);
        let a = AuthShares { bits: bits_a, macs: macs_a, keys: keys_a };
        let b = AuthShares { bits: bits_b, macs: macs_b, keys: keys_b };
        assert!(a.consistent_with(&b, &self.da, &self.db));
        (a, b)
    }

    fn layer(&self, rng: &mut ChaCha12Rng, n: usize, first: u64) -> (Layer, Layer) {
        // One OT batch per direction for the whole layer.
        let (x, y) = self.deal(rng, 3 * n);
        let part = |s: &AuthShares, i: usize| s.slice(i * n..(i + 1) * n);
        (
            Layer { a: part(&x, 0), b: part(&x, 1), r: part(&x, 2), first_index: first },
            Layer { a: part(&y, 0), b: part(&y, 1), r: part(&y, 2), first_index: first },
        )
    }
}

/// Which message a cheater edits.
#[derive(Clone, Copy)]
enum Edit {
    None,
    /// The garbler's table row `k` gets `x` XORed in.
    GarblerRow(usize, u8),
    /// The garbler's opened bit `k` is flipped.
    GarblerBit(usize),
}

/// One leaky layer: both parties' `<c>` halves and their equality digests.
fn run_leaky(p: &Pair, la: Layer, lb: Layer, edit: Edit) -> (Triples, Triples, [u8; 32], [u8; 32]) {
    let n = la.len();
    let (mut ta, pa) = la.tables(Role::Garbler, &p.da).unwrap();
    let (tb, pb) = lb.tables(Role::Evaluator, &p.db).unwrap();
    if let Edit::GarblerRow(k, x) = edit {
        ta[5 + 16 * k + 3] ^= x;
    }
    let (sa, mut bits_a) = la.evaluate(Role::Garbler, pa, &tb).unwrap();
    let (sb, bits_b) = lb.evaluate(Role::Evaluator, pb, &ta).unwrap();
    if let Edit::GarblerBit(k) = edit {
        bits_a[5 + k / 8] ^= 1 << (k % 8);
    }
    let (mut ha, mut hb) = (feq::EqDigest::new(), feq::EqDigest::new());
    let ta = la.finish(Role::Garbler, &p.da, sa, &bits_b, &mut ha).unwrap();
    let tb = lb.finish(Role::Evaluator, &p.db, sb, &bits_a, &mut hb).unwrap();
    assert_eq!(ta.c.len(), n);
    (ta, tb, ha.finalize(), hb.finalize())
}

fn value(x: &AuthShares, y: &AuthShares, i: usize) -> bool {
    x.bits[i] ^ y.bits[i]
}

fn assert_triples(p: &Pair, ta: &Triples, tb: &Triples) {
    for (x, y) in [(&ta.a, &tb.a), (&ta.b, &tb.b), (&ta.c, &tb.c)] {
        assert!(x.consistent_with(y, &p.da, &p.db), "MACs must stay consistent");
    }
    for i in 0..ta.a.len() {
        let (a, b, c) = (value(&ta.a, &tb.a, i), value(&ta.b, &tb.b, i), value(&ta.c, &tb.c, i));
        assert_eq!(c, a & b, "triple {i}");
    }
}

#[test]
fn honest_leaky_ands_multiply_and_agree() {
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let p = Pair::new(&mut rng);
    for (n, first) in [(1usize, 0u64), (7, 1), (300, 8)] {
        let (la, lb) = p.layer(&mut rng, n, first);
        let (ta, tb, da, db) = run_leaky(&p, la, lb, Edit::None);
        assert_triples(&p, &ta, &tb);
        assert_eq!(da, db, "honest parties' equality digests agree");
    }
}

#[test]
fn a_wrong_table_row_is_caught_exactly_when_the_honest_a_bit_is_one() {
    // The bounded leak of KRRW18's leaky AND: editing row k changes the evaluator's
    // E_k only if its a-share is 1, so the check's outcome reveals that bit (and the
    // cheater is caught half the time); it never makes a wrong triple pass.
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let p = Pair::new(&mut rng);
    let n = 40;
    for k in 0..n {
        let (la, lb) = p.layer(&mut rng, n, 0);
        let a_bit = lb.a.bits[k];
        let (ta, tb, da, db) = run_leaky(&p, la, lb, Edit::GarblerRow(k, 0x10));
        assert_eq!(da != db, a_bit, "row {k}: caught iff the evaluator's a-share is 1");
        if da == db {
            assert_triples(&p, &ta, &tb); // passed: harmless, the triples are right
        }
    }
}

#[test]
fn a_wrong_opened_bit_is_always_caught() {
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let p = Pair::new(&mut rng);
    for k in [0usize, 5, 99] {
        let (la, lb) = p.layer(&mut rng, 100, 0);
        let (_, _, da, db) = run_leaky(&p, la, lb, Edit::GarblerBit(k));
        assert_ne!(da, db, "bit {k}");
    }
}

/// The equality check between digests, through its three messages; `Err` names the
/// side that refused.
fn run_feq(rng: &mut ChaCha12Rng, da: [u8; 32], db: [u8; 32], tamper_opening: bool) -> Result<(), AuthError> {
    let (state, commitment) = feq::commit(rng, "leaky AND", da);
    let commitment = feq::digest_message("commitment", &commitment).unwrap();
    let from_b = feq::digest_message("digest", &db).unwrap();
    if from_b != state.value() {
        return Err(AuthError::Equality { what: "leaky AND" });
    }
    let mut opening = state.opening();
    if tamper_opening {
        opening[40] ^= 1;
    }
    let opened = feq::verify_opening("leaky AND", &commitment, &opening)?;
    if opened != db {
        return Err(AuthError::Equality { what: "leaky AND" });
    }
    Ok(())
}

#[test]
fn the_equality_check_passes_equal_digests_only() {
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    assert!(run_feq(&mut rng, [7; 32], [7; 32], false).is_ok());
    assert!(run_feq(&mut rng, [7; 32], [8; 32], false).is_err());
    assert!(run_feq(&mut rng, [7; 32], [7; 32], true).is_err(), "a changed opening");
    assert!(feq::verify_opening("x", &[0; 32], &[0; 63]).is_err());
}

/// Full triple generation: `bucket_size(n)` leaky layers, one equality check, a coin
/// toss, then bucketing by cyclic shifts with MAC-checked openings of `d`.
fn triples(
    p: &Pair,
    rng: &mut ChaCha12Rng,
    n: usize,
    flip_d: Option<usize>,
) -> Result<(Triples, Triples), AuthError> {
    let b = bucket::bucket_size(n);
    let (mut ha, mut hb) = (Sha256::new(), Sha256::new());
    let mut layers = Vec::new();
    for l in 0..b {
        let (la, lb) = p.layer(rng, n, (l * n) as u64);
        let (ta, tb, da, db) = run_leaky(p, la, lb, Edit::None);
        ha.update(da);
        hb.update(db);
        layers.push((ta, tb));
    }
    run_feq(rng, ha.finalize().into(), hb.finalize().into(), false)?;
    // Coin toss: the garbler commits to its seed, the evaluator sends its own, the
    // garbler opens.
    let (seed_a, seed_b) = (rng.gen::<[u8; 32]>(), rng.gen::<[u8; 32]>());
    let (state, com) = feq::commit(rng, "coin", seed_a);
    let opened = feq::verify_opening("coin", &com, &state.opening())?;
    let seed = Block::from(
        u128::from_le_bytes(opened[..16].try_into().unwrap())
            ^ u128::from_le_bytes(seed_b[..16].try_into().unwrap()),
    );
    let mut it = layers.into_iter();
    let (mut acc_a, mut acc_b) = it.next().unwrap();
    for (l, (ta, tb)) in it.enumerate() {
        let s = bucket::shift(seed, l as u64, n);
        let (ta, tb) = (std::slice::from_ref(&ta), std::slice::from_ref(&tb));
        let (d_a, mut open_a) = bucket::open_d(&acc_a, 0, ta, s)?;
        let (d_b, open_b) = bucket::open_d(&acc_b, 0, tb, s)?;
        if let Some(k) = flip_d {
            open_a[5 + k / 8] ^= 1 << (k % 8);
        }
        let opened = |pieces, mine, peer| bucket::Opened { pieces, shift: s, mine, peer };
        bucket::combine(&p.da, &mut acc_a, 0, &[opened(ta, &d_a, &open_b)])?;
        bucket::combine(&p.db, &mut acc_b, 0, &[opened(tb, &d_b, &open_a)])?;
    }
    Ok((acc_a, acc_b))
}

#[test]
fn bucketed_triples_are_correct_and_authenticated() {
    let mut rng = ChaCha12Rng::seed_from_u64(5);
    let p = Pair::new(&mut rng);
    let (ta, tb) = triples(&p, &mut rng, 50, None).unwrap();
    assert_eq!(ta.a.len(), 50);
    assert_triples(&p, &ta, &tb);
}

#[test]
fn a_lie_about_d_in_bucketing_is_caught() {
    let mut rng = ChaCha12Rng::seed_from_u64(6);
    let p = Pair::new(&mut rng);
    let err = triples(&p, &mut rng, 20, Some(3)).unwrap_err();
    assert!(matches!(err, AuthError::MacCheck { what: "bucketing d", bits: 20 }), "{err}");
}

/// The bound docs/protocol.md states, `B + (B - 1) log2 L_min >= 40 + log2 C`, holds
/// for the default plan with its real smallest pool at every total from one triple
/// on (sampled), `B` is the smallest that does (one less would not), and no pool or
/// piece is over its cap.
#[test]
fn pool_plans_meet_the_stated_bound_with_real_pool_sizes() {
    let margin = |pools: &[usize], b: usize| {
        let l_min = *pools.iter().min().expect("a nonzero total has a pool") as f64;
        b as f64 + (b as f64 - 1.0) * l_min.log2() - 40.0 - (pools.len() as f64).log2()
    };
    // The default cap, and 2^20 (which takes B = 3 from 370,728 triples).
    for cap in [bucket::POOL_TRIPLES, 1 << 20] {
        let mut total = 1usize;
        let mut seen = std::collections::BTreeSet::new();
        while total <= 1 << 24 {
            let plan = bucket::pool_plan(total, cap, bucket::PIECE_TRIPLES);
            let (pools, b) = (plan.pool_sizes(), plan.b);
            let made = plan.triples();
            assert!(
                made == total || (made.is_power_of_two() && made > total && made <= bucket::MAX_PAD),
                "{total}: {pools:?}"
            );
            assert!(pools.iter().all(|&p| p <= cap));
            assert!(plan.pools.iter().flatten().all(|&p| p > 0 && p <= bucket::PIECE_TRIPLES));
            assert!(margin(&pools, b) >= 0.0, "{total} triples: {pools:?} at B = {b}");
            assert!(margin(&pools, b - 1) < 0.0 || b == 2, "{total} triples: B = {b} is not the smallest");
            seen.insert(b);
            total += total / 7 + 1;
        }
        assert!(seen.contains(&4) && seen.contains(&7), "{seen:?}");
        assert_eq!(seen.contains(&3), cap >= 370_728, "{seen:?}");
    }
}

/// The step of the bound that is not arithmetic: with layer 0 in order and each other
/// layer `j` rotated by its own uniform shift `s_j` (bucket `i` takes its triple
/// `(i + s_j) mod L`), the probability that some bucket is made only of leaked triples
/// is at most `t_0 prod_{j>=1} t_j / L^(B-1)` (the union bound over buckets). Checked
/// exactly by enumerating every tuple of shifts and every leaked set of every layer
/// (shifts, unlike permutations, do not make all sets of one size alike) for `B = 3`,
/// `L <= 5` and `B = 4`, `L <= 3`; and every bucket of every shift tuple takes each
/// leaky triple exactly once. The last part checks `prod_j t_j 2^-t_j <= 2^-B`, which
/// turns the bound into `2^-B L^-(B-1)` after the equality check's `2^-t`.
#[test]
fn the_bucketing_bound_holds_exactly_on_small_cases() {
    /// Every tuple of `b - 1` shifts of `0..l`.
    fn shift_tuples(l: usize, b: usize) -> Vec<Vec<usize>> {
        (0..b - 1).fold(vec![Vec::new()], |acc, _| {
            acc.into_iter().flat_map(|t| (0..l).map(move |s| [t.clone(), vec![s]].concat())).collect()
        })
    }
    for (b, max_l) in [(3usize, 5usize), (4, 3)] {
        for l in 1..=max_l {
            let shifts = shift_tuples(l, b);
            // Each bucket takes each layer's triples once: a shift is a bijection.
            for t in &shifts {
                for (j, &s) in t.iter().enumerate() {
                    let mut used = vec![false; l];
                    (0..l).for_each(|i| used[(i + s) % l] = true);
                    assert!(used.iter().all(|&u| u), "L = {l}, layer {}", j + 1);
                }
            }
            // Leaked sets as bit masks over 0..l, one per layer.
            let sets = 1usize << l;
            for masks in 0..sets.pow(b as u32) {
                let t: Vec<usize> = (0..b).map(|j| (masks / sets.pow(j as u32)) % sets).collect();
                let bad = shifts
                    .iter()
                    .filter(|sh| {
                        (0..l).any(|i| {
                            t[0] >> i & 1 == 1
                                && sh.iter().enumerate().all(|(j, &s)| t[j + 1] >> ((i + s) % l) & 1 == 1)
                        })
                    })
                    .count();
                let prob = bad as f64 / shifts.len() as f64;
                let sizes: Vec<u32> = t.iter().map(|m| m.count_ones()).collect();
                let bound = sizes.iter().map(|&k| k as f64).product::<f64>() / (l as f64).powi(b as i32 - 1);
                assert!(prob <= bound + 1e-12, "B = {b}, L = {l}, sets {t:?}: {prob} > {bound}");
                let with_check = bound * 2f64.powi(-(sizes.iter().sum::<u32>() as i32));
                assert!(with_check <= 2f64.powi(-(b as i32)) / (l as f64).powi(b as i32 - 1) + 1e-15);
            }
        }
    }
    for t in 0..64u32 {
        assert!(t as f64 * 2f64.powi(-(t as i32)) <= 0.5, "t = {t}");
    }
}

#[test]
fn bucket_sizes_and_pool_plans() {
    // B + (B - 1) log2 L >= 40 (+ log2 pools).
    assert_eq!(bucket::bucket_size(1), 40);
    assert_eq!(bucket::bucket_size(64), 7);
    assert_eq!(bucket::bucket_size(1 << 10), 5);
    assert_eq!(bucket::bucket_size(4_096), 4);
    assert_eq!(bucket::bucket_size(4_095), 5);
    assert_eq!(bucket::bucket_size(6_400), 4);
    assert_eq!(bucket::bucket_size(1 << 18), 4);
    assert_eq!(bucket::bucket_size(370_000), 4);
    assert_eq!(bucket::bucket_size(371_000), 3);
    // Pools: the union bound over them (40 + log2 pools).
    assert_eq!(bucket::bucket_size_pools(1 << 17, 1), 4);
    assert_eq!(bucket::bucket_size_pools(1 << 15, 20), 4);
    assert_eq!(bucket::bucket_size_pools(524_288, 2), 3);
    assert_eq!(bucket::bucket_size_pools(524_287, 2), 4);
    assert_eq!(bucket::bucket_size_pools(1 << 20, 8), 3);
    assert_eq!(bucket::bucket_size_pools(1 << 20, 9), 4);
    assert_eq!(bucket::bucket_size_pools(1 << 20, 1), bucket::bucket_size(1 << 20));
    assert_eq!(bucket::split_evenly(0, 16), Vec::<usize>::new());
    assert_eq!(bucket::split_evenly(16, 16), vec![16]);
    assert_eq!(bucket::split_evenly(35, 16), vec![12, 12, 11]);
    assert_eq!(bucket::split_evenly(680_000, 1 << 17).len(), 6);
    let plan = |total| bucket::pool_plan(total, bucket::POOL_TRIPLES, bucket::PIECE_TRIPLES);
    // AES-128 x 100 by default: pools of one piece of 32,000 at B = 4 (B = 3 needs a
    // pool of 370,728).
    let aes100 = plan(640_000);
    assert_eq!((aes100.pools.len(), aes100.pieces(), aes100.b), (20, 20, 4));
    // Under a cap of 2^20: one pool at B = 3 in 20 pieces (two pools would need B = 4).
    let big = bucket::pool_plan(640_000, 1 << 20, bucket::PIECE_TRIPLES);
    assert_eq!((big.pool_sizes(), big.b), (vec![640_000], 3));
    assert_eq!(big.pools[0], vec![32_000; 20]);
    // Below 370,728 triples B = 3 is out of reach: the smallest pools (one piece each)
    // at the same B, as before pools.
    let below = plan(300_000);
    assert_eq!((below.pools.len(), below.pieces(), below.b), (10, 10, 4));
    // Under a cap of 2^20, eight full pools still at B = 3, more take B = 4 (in pools
    // of one piece).
    let capped = |total| bucket::pool_plan(total, 1 << 20, bucket::PIECE_TRIPLES);
    assert_eq!((capped(8 << 20).pools.len(), capped(8 << 20).b), (8, 3));
    assert_eq!(capped((8 << 20) + 8).b, 4);
    assert_eq!((capped(3 << 20).pools.len(), capped(3 << 20).b), (3, 3));
    // Huge sessions by default: pools of several pieces keep B = 4 (pools of one piece
    // would need B = 5 from 2^25 triples).
    let huge = plan(1 << 26);
    assert_eq!(huge.b, 4);
    assert!(huge.pools.iter().all(|p| p.len() >= 2), "{:?}", &huge.pools[..2]);
    assert_eq!(bucket::pool_plan(1 << 26, 1 << 15, 1 << 15).b, 5);
    // One AES-128 and the auction's 64 AND gates: as before.
    assert_eq!(plan(6_400), bucket::PoolPlan { pools: vec![vec![6_400]], b: 4 });
    assert_eq!(plan(64), bucket::PoolPlan { pools: vec![vec![64]], b: 7 });
    // Below 64 triples the check OTs of 3 B batches per piece outweigh the triples:
    // padded to 64 at B = 7 (7 x (64 + 256) OTs per batch kind) rather than one
    // triple at B = 40 (40 x 257).
    assert_eq!(plan(1), bucket::PoolPlan { pools: vec![vec![64]], b: 7 });
    assert_eq!(plan(40), bucket::PoolPlan { pools: vec![vec![64]], b: 7 });
    assert_eq!(plan(63), bucket::PoolPlan { pools: vec![vec![63]], b: 7 });
    assert_eq!(plan(65), bucket::PoolPlan { pools: vec![vec![65]], b: 7 });
    assert!(plan(0).pools.is_empty());
    // Small caps (as tests use): pools of at most 32 in pieces of at most 16.
    let small = bucket::pool_plan(90, 32, 16);
    assert_eq!(small.pools, vec![vec![15, 15], vec![15, 15], vec![15, 15]]);
    assert_eq!(small.b, bucket::bucket_size_pools(30, 3));
    let seed = Block::from(99u128);
    assert!(bucket::shift(seed, 0, 1000) < 1000);
    assert_eq!(bucket::shift(seed, 0, 1000), bucket::shift(seed, 0, 1000));
}

#[test]
fn an_opening_passes_exactly_with_valid_macs() {
    // The batch MAC check of an opening (a random linear combination of the MACs):
    // honest openings pass, and so does one whose bit and MAC both moved by the
    // peer's Delta (still a valid IT-MAC: the check tests exactly that relation); a
    // flipped bit, a changed MAC, or two flipped bits whose MAC changes cancel in a
    // plain XOR of the MACs are refused.
    let mut rng = ChaCha12Rng::seed_from_u64(12);
    let p = Pair::new(&mut rng);
    let (a, b) = p.deal(&mut rng, 300);
    let check = |opener: &AuthShares| b.check_open(&p.db, "test", &opener.open("test"));
    assert_eq!(check(&a).unwrap(), a.bits);
    let mut moved = a.clone();
    moved.bits[7] ^= true;
    moved.macs[7] ^= p.db.as_block();
    assert_eq!(check(&moved).unwrap(), moved.bits);
    let mut flipped = a.clone();
    flipped.bits[299] ^= true;
    assert!(matches!(check(&flipped), Err(AuthError::MacCheck { .. })));
    let mut mac = a.clone();
    mac.macs[0] ^= Block::from(1u128 << 77);
    assert!(matches!(check(&mac), Err(AuthError::MacCheck { .. })));
    let mut pair = a.clone();
    let x = Block::from(0x1234_5678u128 << 40);
    for i in [3, 250] {
        pair.bits[i] ^= true;
        pair.macs[i] ^= x;
    }
    assert!(matches!(check(&pair), Err(AuthError::MacCheck { .. })));
}
