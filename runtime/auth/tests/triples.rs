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
/// toss, then bucketing with MAC-checked openings of `d`.
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
        let perm = bucket::permutation(seed, l as u64, n);
        let (d_a, mut open_a) = bucket::open_d(&acc_a, &ta, &perm)?;
        let (d_b, open_b) = bucket::open_d(&acc_b, &tb, &perm)?;
        if let Some(k) = flip_d {
            open_a[5 + k / 8] ^= 1 << (k % 8);
        }
        bucket::combine(&p.da, &mut acc_a, &ta, &perm, &d_a, &open_b)?;
        bucket::combine(&p.db, &mut acc_b, &tb, &perm, &d_b, &open_a)?;
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
/// for the default plan with its real smallest chunk at every total from one triple
/// on (sampled), and `B` is the smallest that does (one less would not).
#[test]
fn chunk_plans_meet_the_stated_bound_with_real_chunk_sizes() {
    let margin = |chunks: &[usize], b: usize| {
        let l_min = *chunks.iter().min().expect("a nonzero total has a chunk") as f64;
        b as f64 + (b as f64 - 1.0) * l_min.log2() - 40.0 - (chunks.len() as f64).log2()
    };
    let mut total = 1usize;
    let mut seen = std::collections::BTreeSet::new();
    while total <= 1 << 22 {
        let (chunks, b) = bucket::chunk_plan(total, bucket::CHUNK_TRIPLES);
        let made = chunks.iter().sum::<usize>();
        assert!(
            made == total || (made.is_power_of_two() && made > total && made <= bucket::MAX_PAD),
            "{total}: {chunks:?}"
        );
        assert!(margin(&chunks, b) >= 0.0, "{total} triples: {chunks:?} at B = {b}");
        assert!(margin(&chunks, b - 1) < 0.0 || b == 2, "{total} triples: B = {b} is not the smallest");
        seen.insert(b);
        total += total / 7 + 1;
    }
    assert!(seen.contains(&4) && seen.contains(&7), "{seen:?}");
}

/// The step of the bound that is not arithmetic: with layer 0 in order and each other
/// layer under its own uniform permutation, the probability that some bucket is made
/// only of leaked triples is at most `t_0 prod_{j>=1} t_j / L^(B-1)` (the union bound
/// over buckets). Checked exactly by enumerating every permutation for small `L`,
/// `B` and leaked sets; the second half checks `prod_j t_j 2^-t_j <= 2^-B`, which
/// turns it into `2^-B L^-(B-1)` after the equality check's `2^-t`.
#[test]
fn the_bucketing_bound_holds_exactly_on_small_cases() {
    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![Vec::new()];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for i in 0..n {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }
    for l in 1..=4usize {
        let perms = permutations(l);
        // B = 3: layers 1 and 2 permuted; leaked sets are the first t_j indices (any
        // set of a size is the same up to relabelling under a uniform permutation).
        for t0 in 0..=l {
            for t1 in 0..=l {
                for t2 in 0..=l {
                    let mut bad = 0usize;
                    for p1 in &perms {
                        for p2 in &perms {
                            if (0..l).any(|i| i < t0 && p1[i] < t1 && p2[i] < t2) {
                                bad += 1;
                            }
                        }
                    }
                    let prob = bad as f64 / (perms.len() * perms.len()) as f64;
                    let bound = (t0 * t1 * t2) as f64 / (l * l) as f64;
                    assert!(prob <= bound + 1e-12, "L = {l}, t = ({t0}, {t1}, {t2}): {prob} > {bound}");
                    let with_check = bound * 2f64.powi(-((t0 + t1 + t2) as i32));
                    assert!(with_check <= 2f64.powi(-3) / (l * l) as f64 + 1e-15);
                }
            }
        }
    }
    for t in 0..64u32 {
        assert!(t as f64 * 2f64.powi(-(t as i32)) <= 0.5, "t = {t}");
    }
}

#[test]
fn bucket_sizes_and_permutations() {
    // B + (B - 1) log2 L >= 40 (+ log2 chunks).
    assert_eq!(bucket::bucket_size(1), 40);
    assert_eq!(bucket::bucket_size(64), 7);
    assert_eq!(bucket::bucket_size(1 << 10), 5);
    assert_eq!(bucket::bucket_size(4_096), 4);
    assert_eq!(bucket::bucket_size(4_095), 5);
    assert_eq!(bucket::bucket_size(6_400), 4);
    assert_eq!(bucket::bucket_size(1 << 18), 4);
    assert_eq!(bucket::bucket_size(370_000), 4);
    assert_eq!(bucket::bucket_size(371_000), 3);
    // Chunks: the union bound over them (40 + log2 chunks).
    assert_eq!(bucket::bucket_size_chunked(1 << 17, 1), 4);
    assert_eq!(bucket::bucket_size_chunked(1 << 15, 20), 4);
    assert_eq!(bucket::bucket_size_chunked(524_288, 2), 3);
    assert_eq!(bucket::bucket_size_chunked(524_287, 2), 4);
    assert_eq!(bucket::bucket_size_chunked(1 << 20, 1), bucket::bucket_size(1 << 20));
    assert_eq!(bucket::chunk_sizes(0, 16), Vec::<usize>::new());
    assert_eq!(bucket::chunk_sizes(16, 16), vec![16]);
    assert_eq!(bucket::chunk_sizes(35, 16), vec![12, 12, 11]);
    assert_eq!(bucket::chunk_sizes(680_000, 1 << 17).len(), 6);
    // The plan takes the fewest leaky triples, then the smallest chunks (down to 2^15).
    assert_eq!(bucket::chunk_plan(640_000, 1 << 20), (vec![640_000], 3));
    let capped = bucket::chunk_plan(640_000, 1 << 17);
    assert_eq!((capped.0.len(), capped.1), (20, 4), "chunks of 2^15 at B = 4 under a cap of 2^17");
    let big = bucket::chunk_plan(3 << 20, 1 << 20);
    assert_eq!((big.0.len(), big.1), (3, 3));
    assert_eq!(bucket::chunk_plan(6_400, bucket::CHUNK_TRIPLES), (vec![6_400], 4));
    assert_eq!(bucket::chunk_plan(64, bucket::CHUNK_TRIPLES), (vec![64], 7));
    // Below 64 triples the check OTs of 3 B batches per chunk outweigh the triples:
    // padded to 64 at B = 7 (7 x (64 + 256) OTs per batch kind) rather than one
    // triple at B = 40 (40 x 257).
    assert_eq!(bucket::chunk_plan(1, bucket::CHUNK_TRIPLES), (vec![64], 7));
    assert_eq!(bucket::chunk_plan(40, bucket::CHUNK_TRIPLES), (vec![64], 7));
    assert_eq!(bucket::chunk_plan(63, bucket::CHUNK_TRIPLES), (vec![63], 7));
    assert_eq!(bucket::chunk_plan(65, bucket::CHUNK_TRIPLES), (vec![65], 7));
    assert_eq!(bucket::chunk_plan(0, bucket::CHUNK_TRIPLES).0, Vec::<usize>::new());
    assert_eq!(bucket::chunk_plan(35, 16), (vec![12, 12, 11], bucket::bucket_size_chunked(11, 3)));
    let seed = Block::from(99u128);
    let p = bucket::permutation(seed, 0, 1000);
    let mut sorted = p.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    assert_eq!(p, bucket::permutation(seed, 0, 1000));
    assert_ne!(p, bucket::permutation(seed, 1, 1000));
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
