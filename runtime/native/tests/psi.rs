//! Tests of ECDH PSI: RFC 9380 / RFC 9496 vectors for the hash to ristretto255, and
//! the protocol over in-memory and TCP channels with known overlaps, both modes,
//! malformed peers and oversized inputs.

use std::thread;

use curve25519_dalek::ristretto::RistrettoPoint;
use mpc_native::psi::{self, expand_message_xmd_sha512, Mode, PsiError, PsiOutput, Role};
use mpc_net::{Channel, MemoryChannel, TcpChannel, TcpListenerChannel};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Duration;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("vector file is JSON")
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex in vector file")
}

#[test]
fn expand_message_xmd_sha512_matches_rfc9380() {
    let v = json(include_str!("vectors/h2c/expand_message_xmd_SHA512_38.json"));
    let dst = v["DST"].as_str().unwrap().as_bytes();
    let tests = v["tests"].as_array().unwrap();
    assert!(tests.len() >= 5);
    for t in tests {
        let msg = t["msg"].as_str().unwrap().as_bytes();
        let len =
            usize::from_str_radix(t["len_in_bytes"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        let out = expand_message_xmd_sha512(msg, dst, len).unwrap();
        assert_eq!(hex::encode(out), t["uniform_bytes"].as_str().unwrap(), "msg {:?}", t["msg"]);
    }
    assert!(expand_message_xmd_sha512(b"x", &[0u8; 256], 64).is_err());
    assert!(expand_message_xmd_sha512(b"x", b"d", 256 * 64).is_err());
}

#[test]
fn one_way_map_matches_rfc9496() {
    let v = json(include_str!("vectors/ristretto/rfc9496_ristretto255.json"));
    let cases = v["from_uniform_bytes"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let input = unhex(case[0].as_str().unwrap());
        let mut bytes = [0u8; 64];
        bytes.copy_from_slice(&input);
        let p = RistrettoPoint::from_uniform_bytes(&bytes);
        assert_eq!(hex::encode(p.compress().as_bytes()), case[1].as_str().unwrap());
    }
}

#[test]
fn hash_to_ristretto255_is_map_of_expand() {
    let dst = b"QUUX-V01-CS02-with-ristretto255_XMD:SHA-512_R255MAP_RO_";
    let p = psi::hash_to_ristretto255(b"abc", dst).unwrap();
    let mut u = [0u8; 64];
    u.copy_from_slice(&expand_message_xmd_sha512(b"abc", dst, 64).unwrap());
    assert_eq!(p, RistrettoPoint::from_uniform_bytes(&u));
    assert_ne!(p, psi::hash_to_ristretto255(b"abd", dst).unwrap());
}

fn items(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn run_pair<A: Channel + 'static, B: Channel + 'static>(
    mut a: A,
    mut b: B,
    mode: Mode,
    x: Vec<Vec<u8>>,
    y: Vec<Vec<u8>>,
) -> (Result<psi::PsiReport, PsiError>, Result<psi::PsiReport, PsiError>) {
    let h = thread::spawn(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        psi::run(&mut b, Role::Connector, mode, y, &mut rng)
    });
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let ra = psi::run(&mut a, Role::Listener, mode, x, &mut rng);
    drop(a);
    (ra, h.join().expect("connector thread"))
}

fn memory(mode: Mode, x: Vec<Vec<u8>>, y: Vec<Vec<u8>>) -> (PsiOutput, PsiOutput) {
    let (a, b) = MemoryChannel::pair();
    let (ra, rb) = run_pair(a, b, mode, x, y);
    (ra.unwrap().output, rb.unwrap().output)
}

#[test]
fn known_overlaps_both_modes() {
    let cases: Vec<(Vec<&str>, Vec<&str>, Vec<&str>)> = vec![
        (vec![], vec![], vec![]),
        (vec!["a"], vec![], vec![]),
        (vec!["a", "b", "c"], vec!["a", "b", "c"], vec!["a", "b", "c"]),
        (vec!["a", "b"], vec!["c", "d"], vec![]),
        (vec!["a", "a", "b", "b", "z"], vec!["b", "b", "z", "q"], vec!["b", "z"]),
        (vec!["héllo", "", "x y"], vec!["", "x y", "hello"], vec!["", "x y"]),
    ];
    for (x, y, want) in cases {
        let want = items(&want);
        let (a, b) = memory(Mode::Intersection, items(&x), items(&y));
        assert_eq!(a, PsiOutput::Intersection(want.clone()), "{x:?} {y:?}");
        assert_eq!(b, PsiOutput::Intersection(want.clone()), "{x:?} {y:?}");
        let (a, b) = memory(Mode::Cardinality, items(&x), items(&y));
        assert_eq!(a, PsiOutput::Cardinality(want.len()));
        assert_eq!(b, PsiOutput::Cardinality(want.len()));
        let (a, b) = memory(Mode::ListenerOnly, items(&x), items(&y));
        assert_eq!(a, PsiOutput::Intersection(want.clone()));
        assert_eq!(b, PsiOutput::Nothing);
    }
}

#[test]
fn random_sets_with_known_overlap() {
    let mut x: Vec<Vec<u8>> = (0..300u32).map(|i| format!("item-{i}").into_bytes()).collect();
    let y: Vec<Vec<u8>> = (200..450u32).map(|i| format!("item-{i}").into_bytes()).collect();
    x.push(b"only-x".to_vec());
    let (a, b) = memory(Mode::Intersection, x, y);
    let mut want: Vec<Vec<u8>> = (200..300u32).map(|i| format!("item-{i}").into_bytes()).collect();
    want.sort();
    assert_eq!(a, PsiOutput::Intersection(want.clone()));
    assert_eq!(b, PsiOutput::Intersection(want));
}

#[test]
fn over_tcp() {
    let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let h = thread::spawn(move || {
        let mut ch = TcpChannel::connect(&addr, Duration::from_secs(10)).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        psi::run(&mut ch, Role::Connector, Mode::Intersection, items(&["1", "2", "3"]), &mut rng)
    });
    let mut ch = listener.accept(Duration::from_secs(10)).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let a = psi::run(&mut ch, Role::Listener, Mode::Intersection, items(&["2", "3", "4"]), &mut rng).unwrap();
    let b = h.join().unwrap().unwrap();
    assert_eq!(a.output, PsiOutput::Intersection(items(&["2", "3"])));
    assert_eq!(b.output, a.output);
    assert_eq!(a.peer_set_size, 3);
    // 3 points out and 3 back each way plus headers.
    assert!(a.bytes_sent >= 6 * 32 && b.bytes_sent >= 6 * 32);
}

#[test]
fn mode_mismatch_is_an_error() {
    let (mut a, mut b) = MemoryChannel::pair();
    let h = thread::spawn(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        psi::run(&mut b, Role::Connector, Mode::Cardinality, items(&["a"]), &mut rng)
    });
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let ra = psi::run(&mut a, Role::Listener, Mode::Intersection, items(&["a"]), &mut rng);
    assert!(matches!(ra, Err(PsiError::ModeMismatch { .. })), "{ra:?}");
    drop(a);
    assert!(h.join().unwrap().is_err());
}

#[test]
fn malformed_peer_messages_are_rejected() {
    // A garbage hello.
    let (mut a, mut b) = MemoryChannel::pair();
    b.send(&[0u8; 49]).unwrap();
    b.flush().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let r = psi::run(&mut a, Role::Listener, Mode::Intersection, items(&["a"]), &mut rng);
    assert!(matches!(r, Err(PsiError::PeerMisbehaved(_))), "{r:?}");

    // A valid hello announcing two items, then points that are not group elements.
    let (mut a, mut b) = MemoryChannel::pair();
    let hello =
        psi::Hello { protocol: psi::Protocol::Ecdh, mode: Mode::Intersection, nonce: [7; 32], set_size: 2 };
    let h = thread::spawn(move || {
        let common = mpc_net::hello::Hello {
            protocol: mpc_net::hello::Protocol::Psi,
            version: psi::VERSION,
            session: [0; 16],
        };
        mpc_net::hello::exchange(&mut b, &common, mpc_net::hello::Turn::Second).unwrap();
        let _ = mpc_net::frame::recv_frame(&mut b, 41).unwrap();
        mpc_net::frame::send_frame(&mut b, &hello.encode()).unwrap();
        b.flush().unwrap();
        // Read the listener's list (count + one frame) and answer with junk.
        let n = mpc_net::frame::recv_u64(&mut b).unwrap();
        let _ = mpc_net::frame::recv_frame(&mut b, 1 << 20).unwrap();
        mpc_net::frame::send_u64(&mut b, 2).unwrap();
        mpc_net::frame::send_frame(&mut b, &[0xffu8; 64]).unwrap();
        mpc_net::frame::send_u64(&mut b, n).unwrap();
        mpc_net::frame::send_frame(&mut b, &vec![0xffu8; 32 * n as usize]).unwrap();
        b.flush().unwrap();
        b
    });
    let r = psi::run(&mut a, Role::Listener, Mode::Intersection, items(&["a"]), &mut rng);
    assert!(matches!(r, Err(PsiError::PeerMisbehaved(_))), "{r:?}");
    drop(h.join().unwrap());

    // A hello announcing more than the limit.
    let too_big = psi::Hello {
        protocol: psi::Protocol::Ecdh,
        mode: Mode::Intersection,
        nonce: [0; 32],
        set_size: 1 << 40,
    }
    .encode();
    assert!(matches!(psi::Hello::decode(&too_big), Err(PsiError::PeerMisbehaved(_))));
}

#[test]
fn oversized_items_are_rejected_locally() {
    let long = vec![b'x'; psi::MAX_ITEM_LEN + 1];
    assert!(matches!(psi::prepare_set(vec![long]), Err(PsiError::ItemTooLong { .. })));
    let ok = psi::prepare_set(items(&["b", "a", "b"])).unwrap();
    assert_eq!(ok, items(&["a", "b"]));
}
