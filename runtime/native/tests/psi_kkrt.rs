//! Tests of KKRT16 PSI (`mpc_native::psi::kkrt`): random sets of random sizes give
//! exactly the plaintext intersection in both modes; refusals (cardinality, a peer
//! asking for ECDH); and the two views: what the listener receives does not hold the
//! connector's other items, and what the connector receives is the same size and
//! equally unbiased whatever the listener's set.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::thread;

use mpc_native::psi::{self, kkrt, ItemSet, Mode, PsiError, PsiOutput, Role};
use mpc_net::{Channel, ChannelStats, MemoryChannel, NetError};
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn set(items: &[Vec<u8>]) -> ItemSet {
    ItemSet::from_items(items).expect("within limits")
}

type Reports = (Result<psi::PsiReport, PsiError>, Result<psi::PsiReport, PsiError>);

/// Listener with `x` and connector with `y` over any pair of channels.
fn run_pair<A: Channel + 'static, B: Channel + 'static>(
    mut a: A,
    mut b: B,
    mode: Mode,
    x: ItemSet,
    y: ItemSet,
    seeds: (u64, u64),
) -> Reports {
    let h = thread::spawn(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(seeds.1);
        kkrt::run(&mut b, Role::Connector, mode, &y, &mut rng)
    });
    let mut rng = ChaCha20Rng::seed_from_u64(seeds.0);
    let ra = kkrt::run(&mut a, Role::Listener, mode, &x, &mut rng);
    drop(a);
    (ra, h.join().expect("connector thread"))
}

fn plain_intersection(x: &[Vec<u8>], y: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let a: BTreeSet<&Vec<u8>> = x.iter().collect();
    let b: BTreeSet<&Vec<u8>> = y.iter().collect();
    a.intersection(&b).map(|v| (*v).clone()).collect()
}

fn item_strategy() -> impl Strategy<Value = Vec<u8>> {
    // Short items (the injective digest) and long ones (SHA-256), from a small alphabet
    // so that random sets overlap.
    prop_oneof![prop::collection::vec(0u8..4, 0..4), prop::collection::vec(0u8..2, 14..20),]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random sets (empty, disjoint, equal, overlapping, with duplicates) give exactly
    /// the plaintext intersection, to both parties or to the listener only.
    #[test]
    fn random_sets_give_the_exact_intersection(
        x in prop::collection::vec(item_strategy(), 0..300),
        y in prop::collection::vec(item_strategy(), 0..300),
        shape in 0u8..4,
        one_sided in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let y = match shape {
            0 => x.clone(),                                   // equal
            1 => y.into_iter().map(|mut v| { v.push(9); v }).collect(), // disjoint
            2 => x.iter().chain(&y).chain(&x).cloned().collect(), // superset with duplicates
            _ => y,                                           // random overlap
        };
        let mode = if one_sided { Mode::ListenerOnly } else { Mode::Intersection };
        let (a, b) = MemoryChannel::pair();
        let (ra, rb) = run_pair(a, b, mode, set(&x), set(&y), (seed, seed ^ 1));
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let want = plain_intersection(&x, &y);
        prop_assert_eq!(ra.output, PsiOutput::Intersection(want.clone()));
        if one_sided {
            prop_assert_eq!(rb.output, PsiOutput::Nothing);
        } else {
            prop_assert_eq!(rb.output, PsiOutput::Intersection(want));
        }
        let distinct = |v: &[Vec<u8>]| v.iter().collect::<BTreeSet<_>>().len();
        prop_assert_eq!(ra.peer_set_size, distinct(&y));
        prop_assert_eq!(rb.peer_set_size, distinct(&x));
    }
}

#[test]
fn a_thousand_random_items_per_side() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut draw = |n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| format!("{:016x}", rand_chacha::rand_core::RngCore::next_u64(&mut rng)).into_bytes())
            .collect()
    };
    let common = draw(100);
    let x: Vec<Vec<u8>> = draw(900).into_iter().chain(common.clone()).collect();
    let y: Vec<Vec<u8>> = common.iter().cloned().chain(draw(1100)).collect();
    let (a, b) = MemoryChannel::pair();
    let (ra, rb) = run_pair(a, b, Mode::Intersection, set(&x), set(&y), (1, 2));
    let mut want = common;
    want.sort();
    assert_eq!(ra.unwrap().output, PsiOutput::Intersection(want.clone()));
    assert_eq!(rb.unwrap().output, PsiOutput::Intersection(want));
}

#[test]
fn cardinality_is_refused_in_one_sentence() {
    let (mut a, _b) = MemoryChannel::pair();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let r = kkrt::run(&mut a, Role::Listener, Mode::Cardinality, &ItemSet::new(), &mut rng);
    match r {
        Err(PsiError::InvalidParameter(msg)) => assert!(msg.contains("--protocol ecdh"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_peer_asking_for_ecdh_is_refused_by_name() {
    let (mut a, mut b) = MemoryChannel::pair();
    let h = thread::spawn(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        psi::run(&mut b, Role::Connector, Mode::Intersection, vec![b"a".to_vec()], &mut rng)
    });
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let x = set(&[b"a".to_vec()]);
    let ra = kkrt::run(&mut a, Role::Listener, Mode::Intersection, &x, &mut rng);
    drop(a);
    let rb = h.join().unwrap();
    assert!(
        matches!(
            ra,
            Err(PsiError::ProtocolMismatch { ours: psi::Protocol::Kkrt, peer: psi::Protocol::Ecdh })
        ),
        "{ra:?}"
    );
    assert!(matches!(rb, Err(PsiError::ProtocolMismatch { .. }) | Err(PsiError::Net(_))), "{rb:?}");
    if let Err(e) = ra {
        assert!(e.to_string().contains("kkrt") && e.to_string().contains("ecdh"), "{e}");
    }
}

/// A listener set of 2^16 items gets the stash-free table (1.27 n bins, 3 values per
/// connector item); the intersection is still exact.
#[test]
fn the_stash_free_table_gives_the_exact_intersection() {
    let n1 = psi::cuckoo::NO_STASH_FROM;
    let x: Vec<Vec<u8>> = (0..n1).map(|i| format!("x{i}").into_bytes()).collect();
    let y: Vec<Vec<u8>> = (0..3000).map(|i| format!("x{}", i * 41).into_bytes()).collect();
    let want = plain_intersection(&x, &y);
    assert_eq!(want.len(), 1599); // 41 i < 2^16 for i <= 1598
    let (a, b) = MemoryChannel::pair();
    let (ra, rb) = run_pair(a, b, Mode::Intersection, set(&x), set(&y), (3, 4));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.output, PsiOutput::Intersection(want.clone()));
    assert_eq!(rb.output, PsiOutput::Intersection(want));
    // The connector's records: 3 values of 9 bytes (40 + ceil(log2(2^16 * 3000)) = 68
    // bits) per item, no stash fields.
    let rows = psi::cuckoo::Params::for_size(n1).bins;
    assert!(ra.bytes_received < rb.bytes_received);
    assert!(rb.bytes_received as usize > rows * 64);
    assert!((rb.bytes_sent as usize) < 3000 * 3 * 9 + 20_000, "{}", rb.bytes_sent);
}

/// With 6,826 listener items the table has exactly 8,192 bins (one OPRF chunk) and a
/// stash of 6, so the stash rows arrive in a chunk of their own; the connector keeps
/// them aside and the records still give the exact intersection.
#[test]
fn stash_rows_in_a_chunk_of_their_own() {
    let n1 = 6826;
    let params = psi::cuckoo::Params::for_size(n1);
    assert_eq!((params.bins, params.stash), (8192, 6));
    let x: Vec<Vec<u8>> = (0..n1).map(|i| format!("item {i}").into_bytes()).collect();
    let y: Vec<Vec<u8>> = (0..700).map(|i| format!("item {}", i * 13).into_bytes()).collect();
    let want = plain_intersection(&x, &y);
    assert_eq!(want.len(), 526); // 13 i < 6826 for i <= 525
    for mode in [Mode::Intersection, Mode::ListenerOnly] {
        let (a, b) = MemoryChannel::pair();
        let (ra, rb) = run_pair(a, b, mode, set(&x), set(&y), (5, 6));
        assert_eq!(ra.unwrap().output, PsiOutput::Intersection(want.clone()));
        let expect_b = if mode == Mode::Intersection {
            PsiOutput::Intersection(want.clone())
        } else {
            PsiOutput::Nothing
        };
        assert_eq!(rb.unwrap().output, expect_b);
    }
}

/// A peer that speaks version 2 of PSI (1.2 n bins and a stash at every size) is
/// refused in the common hello, with both versions named.
#[test]
fn a_peer_of_the_previous_version_is_refused() {
    assert_eq!(psi::VERSION, 3);
    let (mut a, mut b) = MemoryChannel::pair();
    let h = thread::spawn(move || {
        let old =
            mpc_net::hello::Hello { protocol: mpc_net::hello::Protocol::Psi, version: 2, session: [0; 16] };
        mpc_net::hello::exchange(&mut b, &old, mpc_net::hello::Turn::Second)
    });
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let ra = kkrt::run(&mut a, Role::Listener, Mode::Intersection, &set(&[b"a".to_vec()]), &mut rng);
    drop(a);
    let rb = h.join().unwrap();
    match ra {
        Err(e @ PsiError::WrongPeer(_)) => {
            let msg = e.to_string();
            assert!(msg.contains("version 2") && msg.contains("version 3"), "{msg}");
        }
        other => panic!("expected a version refusal, got {other:?}"),
    }
    assert!(rb.is_err(), "the old peer refuses too");
}

/// A channel that keeps a copy of every byte it receives.
struct Recording {
    inner: MemoryChannel,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Channel for Recording {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.inner.send(data)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        self.inner.recv_exact(buf)?;
        self.log.lock().unwrap().extend_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), NetError> {
        self.inner.flush()
    }
    fn stats(&self) -> ChannelStats {
        self.inner.stats()
    }
}

/// Runs with both directions recorded; returns (what the listener received, what the
/// connector received).
fn transcripts(mode: Mode, x: &[Vec<u8>], y: &[Vec<u8>], seeds: (u64, u64)) -> (Vec<u8>, Vec<u8>) {
    let (a, b) = MemoryChannel::pair();
    let (la, lb) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let a = Recording { inner: a, log: la.clone() };
    let b = Recording { inner: b, log: lb.clone() };
    let (ra, rb) = run_pair(a, b, mode, set(x), set(y), seeds);
    ra.unwrap();
    rb.unwrap();
    let a = la.lock().unwrap().clone();
    let b = lb.lock().unwrap().clone();
    (a, b)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    range.map(|i| format!("{prefix}-{i:08}").into_bytes()).collect()
}

/// The listener's view: the connector's non-matching items never appear in what it
/// receives, nor do their digests (the 16 bytes the OPRF is evaluated on).
#[test]
fn the_listener_view_holds_no_other_items_in_the_clear() {
    let x = numbered("shared", 0..40);
    let y: Vec<Vec<u8>> = numbered("shared", 0..40).into_iter().chain(numbered("secret", 0..400)).collect();
    let (to_listener, _) = transcripts(Mode::Intersection, &x, &y, (3, 4));
    for item in &y[40..] {
        assert!(!contains(&to_listener, item), "{:?} in the clear", String::from_utf8_lossy(item));
        assert!(!contains(&to_listener, &kkrt::digest(item).to_bytes()[..15]));
    }
}

/// The connector's view: for two listener sets of the same size (one sharing nothing
/// with the connector, one equal to its set, so their code words differ everywhere),
/// the connector receives transcripts of the same length, and the OPRF rows, the only
/// part that depends on the listener's set, are unbiased in every one of the 512
/// columns and pairwise distinct (unmasked rows would repeat: every empty bin's row
/// carries the same dummy code word).
#[test]
fn the_connector_view_does_not_depend_on_the_listener_set() {
    let y = numbered("conn", 0..1500);
    let disjoint = numbered("other", 0..1500);
    let (_, view_a) = transcripts(Mode::ListenerOnly, &disjoint, &y, (5, 6));
    let (_, view_b) = transcripts(Mode::ListenerOnly, &y, &y, (7, 6));
    assert_eq!(view_a.len(), view_b.len());
    let params = psi::cuckoo::Params::for_size(1500);
    let rows = params.bins + params.stash;
    let row_bytes = mpc_ot::kkrt::ROW_BYTES;
    for view in [&view_a, &view_b] {
        // The OPRF chunks end the transcript: frames of up to CHUNK_ROWS rows, each with
        // a 4-byte length; with one chunk here, the last rows * 64 bytes are the rows.
        assert!(rows <= mpc_ot::kkrt::CHUNK_ROWS);
        let body = &view[view.len() - rows * row_bytes..];
        let len = u32::from_le_bytes(view[view.len() - rows * row_bytes - 4..][..4].try_into().unwrap());
        assert_eq!(len as usize, rows * row_bytes, "the chunk frame");
        let mut distinct = BTreeSet::new();
        for col in 0..8 * row_bytes {
            let ones =
                body.chunks_exact(row_bytes).filter(|r| (r[col / 8] >> (col % 8)) & 1 == 1).count() as f64;
            let frac = ones / rows as f64;
            // 7 standard deviations of a fair coin over `rows` draws.
            let bound = 7.0 * 0.5 / (rows as f64).sqrt();
            assert!((frac - 0.5).abs() < bound, "column {col}: {frac}");
        }
        for r in body.chunks_exact(row_bytes) {
            distinct.insert(r.to_vec());
        }
        assert_eq!(distinct.len(), rows, "every row is fresh");
    }
    assert_ne!(view_a, view_b);
}
