//! Tests of secure aggregation: exact sums with and without dropouts in every round,
//! too many dropouts, malformed, replayed and out-of-order messages, masked inputs that
//! differ from the inputs, non-power-of-two moduli, and a run over TCP. The attacks of
//! issue #15: the honest-but-curious server's two-time pad on recorded traffic,
//! tampered and redirected ciphertexts, split survivor lists, a slow-loris client and
//! server, and an oversized frame.

use std::thread;
use std::time::Duration;

use mpc_native::secagg::msg::{Message, ShareKind};
use mpc_native::secagg::{self, net, simulate, Client, Config, Dropouts, Modulus, SecaggError, Server};
use mpc_net::{MemoryChannel, TcpChannel, TcpListenerChannel};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn inputs(n: u32, dim: u32, m: Modulus, seed: u64) -> Vec<Vec<u64>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| (0..dim).map(|_| (u128::from(rng.next_u64()) % m.value()) as u64).collect()).collect()
}

fn expected(inputs: &[Vec<u64>], included: &[u32], m: Modulus) -> Vec<u64> {
    let dim = inputs[0].len();
    (0..dim).map(|j| included.iter().fold(0u64, |acc, &i| m.add(acc, inputs[i as usize][j]))).collect()
}

fn run(cfg: Config, drops: &Dropouts, seed: u64) -> Result<(Vec<Vec<u64>>, secagg::SimReport), SecaggError> {
    let xs = inputs(cfg.clients, cfg.dim, cfg.modulus, seed);
    let mut rng = ChaCha20Rng::seed_from_u64(seed + 1);
    let rep = simulate(cfg, &xs, drops, &mut rng)?;
    Ok((xs, rep))
}

#[test]
fn exact_sum_without_dropouts() {
    for m in [
        Modulus::power_of_two(32).unwrap(),
        Modulus::power_of_two(64).unwrap(),
        Modulus::new(1_000_003).unwrap(),
    ] {
        let cfg = Config::new(6, 4, 20, m).unwrap();
        let (xs, rep) = run(cfg, &Dropouts::default(), 1).unwrap();
        assert_eq!(rep.included, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(rep.sum, expected(&xs, &rep.included, m));
    }
}

#[test]
fn exact_sum_with_dropouts_in_each_round() {
    let m = Modulus::power_of_two(20).unwrap();
    let cfg = Config::new(8, 5, 10, m).unwrap();
    let cases = [
        Dropouts { round0: vec![1], ..Default::default() },
        Dropouts { round1: vec![2], ..Default::default() },
        Dropouts { round2: vec![3, 7], ..Default::default() },
        Dropouts { round3: vec![0, 5], ..Default::default() },
        Dropouts { round0: vec![0], round1: vec![1], round2: vec![2], round3: vec![] },
        Dropouts { round0: vec![0], round1: vec![1], round3: vec![3], ..Default::default() },
    ];
    for (k, d) in cases.iter().enumerate() {
        let (xs, rep) = run(cfg, d, 10 + k as u64).unwrap();
        // A client that dropped before sending its masked input is not in the sum; one
        // that dropped in round 3 is (its masked input arrived).
        let mut want: Vec<u32> = (0..8).collect();
        want.retain(|i| !d.round0.contains(i) && !d.round1.contains(i) && !d.round2.contains(i));
        assert_eq!(rep.included, want, "case {k}");
        assert_eq!(rep.sum, expected(&xs, &rep.included, m), "case {k}");
    }
}

#[test]
fn too_many_dropouts_is_a_clear_error() {
    let cfg = Config::new(5, 4, 3, Modulus::power_of_two(16).unwrap()).unwrap();
    for (round, d) in [
        (0u8, Dropouts { round0: vec![0, 1], ..Default::default() }),
        (1, Dropouts { round1: vec![0, 1], ..Default::default() }),
        (2, Dropouts { round2: vec![3, 4], ..Default::default() }),
        (3, Dropouts { round3: vec![1, 2], ..Default::default() }),
    ] {
        match run(cfg, &d, 3) {
            Err(SecaggError::TooManyDropouts { round: r, alive, threshold: 4 }) => {
                assert_eq!(r, round);
                assert_eq!(alive, 3);
            }
            other => panic!("round {round}: expected TooManyDropouts, got {other:?}"),
        }
    }
}

#[test]
fn server_sees_only_masked_inputs() {
    let m = Modulus::power_of_two(32).unwrap();
    let cfg = Config::new(5, 3, 64, m).unwrap();
    let (xs, rep) = run(cfg, &Dropouts { round3: vec![4], ..Default::default() }, 4).unwrap();
    assert_eq!(rep.masked_inputs.len(), 5);
    for (id, y) in &rep.masked_inputs {
        let x = &xs[*id as usize];
        assert_ne!(y, x, "client {id}'s masked vector equals its input");
        // Barely any coordinate may coincide by chance (probability 2^-32 each).
        assert!(y.iter().zip(x).filter(|(a, b)| a == b).count() <= 1);
    }
    // Even the masked vectors of two clients summed do not give their inputs' sum.
    let two: Vec<u64> = (0..64).map(|j| m.add(rep.masked_inputs[&0][j], rep.masked_inputs[&1][j])).collect();
    assert_ne!(two, expected(&xs, &[0, 1], m));
}

/// Runs rounds 0 and 1 by hand and returns the server, clients and round-1 replies.
fn setup(cfg: Config, rng: &mut ChaCha20Rng) -> (Server, Vec<Client>, Message) {
    let mut server = Server::new(cfg);
    let mut clients = Vec::new();
    for id in 0..cfg.clients {
        let (c, msg) = Client::new(id, cfg, vec![id as u64; cfg.dim as usize], rng).unwrap();
        server.receive(id, msg).unwrap();
        clients.push(c);
    }
    let keys = server.finish_keys().unwrap();
    (server, clients, keys)
}

#[test]
fn replayed_and_out_of_order_messages_are_rejected() {
    let cfg = Config::new(4, 3, 4, Modulus::power_of_two(16).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (mut server, mut clients, keys) = setup(cfg, &mut rng);
    // A late AdvertiseKeys (round 0 message in round 1) is refused.
    let late = Message::AdvertiseKeys { c_pk: [1; 32], s_pk: [2; 32] };
    assert!(matches!(server.receive(0, late), Err(SecaggError::Protocol(_))));
    let mut share_msgs = Vec::new();
    for c in clients.iter_mut() {
        share_msgs.push(c.handle(keys.clone(), &mut rng).unwrap().unwrap());
    }
    // A client refuses a second key list.
    assert!(clients[0].handle(keys.clone(), &mut rng).is_err());
    for (id, m) in share_msgs.iter().enumerate() {
        server.receive(id as u32, m.clone()).unwrap();
    }
    // A replayed ShareKeys is refused.
    assert!(matches!(server.receive(0, share_msgs[0].clone()), Err(SecaggError::Protocol(_))));
    let boxes = server.finish_shares().unwrap();
    // A ciphertext box replayed to another client fails (wrong sender/receiver binding).
    let Message::Ciphertexts { session, ciphertexts } = boxes[&0].clone() else { panic!() };
    let mut for_0: Vec<(u32, Vec<u8>)> = ciphertexts.iter().filter(|(from, _)| *from != 1).cloned().collect();
    assert!(matches!(
        clients[1].on_ciphertexts(session, for_0.clone()),
        Err(SecaggError::Decrypt { from: 2 })
    ));
    // A box naming the receiver itself as a sender is refused too.
    for_0.insert(0, (1, vec![0; 40]));
    assert!(matches!(clients[1].on_ciphertexts(session, for_0), Err(SecaggError::Protocol(_))));
    // A box from another session is refused.
    let mut fresh = ChaCha20Rng::seed_from_u64(6);
    let (_, mut other, other_keys) = setup(cfg, &mut fresh);
    other[2].handle(other_keys, &mut fresh).unwrap();
    assert!(matches!(other[2].on_ciphertexts(session, ciphertexts), Err(SecaggError::Protocol(_))));

    let mut masked = Vec::new();
    for c in clients.iter_mut().skip(1).take(3) {
        masked.push(c.handle(boxes[&c.id()].clone(), &mut rng).unwrap().unwrap());
    }
    // Client 0 never sent its masked input; the others did.
    for (k, m) in masked.iter().enumerate() {
        server.receive(k as u32 + 1, m.clone()).unwrap();
    }
    assert!(matches!(server.receive(1, masked[0].clone()), Err(SecaggError::Protocol(_))));
    let survivors = server.finish_masked().unwrap();
    let Message::Survivors { session, ids } = survivors.clone() else { panic!() };
    assert_eq!(ids, vec![1, 2, 3]);
    let reply = clients[1].handle(survivors.clone(), &mut rng).unwrap().unwrap();
    // The honest client answers the unmasking round only once, so a server cannot
    // collect both the self-mask share and the key share of one peer by asking twice.
    let all = vec![0, 1, 2, 3];
    assert!(clients[1].on_survivors(session, all).is_err());
    // It sent the key share for the dropped client 0 and self-mask shares for the rest.
    let Message::UnmaskShares { shares, .. } = &reply else { panic!() };
    for (about, kind, _) in shares {
        let want = if *about == 0 { ShareKind::MaskKey } else { ShareKind::SelfMask };
        assert_eq!(*kind, want);
    }
    server.receive(1, reply.clone()).unwrap();
    assert!(matches!(server.receive(1, reply), Err(SecaggError::Protocol(_))));
}

#[test]
fn malformed_messages_are_rejected() {
    let cfg = Config::new(3, 2, 4, Modulus::power_of_two(8).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let (mut server, mut clients, keys) = setup(cfg, &mut rng);
    let msgs: Vec<Message> =
        clients.iter_mut().map(|c| c.handle(keys.clone(), &mut rng).unwrap().unwrap()).collect();
    // Shares addressed to the sender itself are refused.
    let Message::ShareKeys { session, mut ciphertexts } = msgs[0].clone() else { panic!() };
    ciphertexts[0].0 = 0;
    assert!(server.receive(0, Message::ShareKeys { session, ciphertexts }).is_err());
    for (i, m) in msgs.into_iter().enumerate() {
        server.receive(i as u32, m).unwrap();
    }
    let boxes = server.finish_shares().unwrap();
    // A tampered ciphertext fails authentication (see also
    // `tampered_and_redirected_ciphertexts_are_rejected_with_a_typed_error`).
    let Message::Ciphertexts { session, mut ciphertexts } = boxes[&2].clone() else { panic!() };
    ciphertexts[0].1[3] ^= 0x40;
    assert!(matches!(clients[2].on_ciphertexts(session, ciphertexts), Err(SecaggError::Decrypt { from: 0 })));
    // A masked input of the wrong length or out of range is refused.
    let y = clients[0].handle(boxes[&0].clone(), &mut rng).unwrap().unwrap();
    let Message::MaskedInput { session, values } = y else { panic!() };
    assert!(server.receive(0, Message::MaskedInput { session, values: values[..3].to_vec() }).is_err());
    assert!(server.receive(0, Message::MaskedInput { session, values: vec![256, 0, 0, 0] }).is_err());
    assert!(server.receive(0, Message::MaskedInput { session: [0; 32], values: values.clone() }).is_err());
    server.receive(0, Message::MaskedInput { session, values }).unwrap();
    // Garbage bytes never decode.
    for junk in [&[][..], &[6u8, 1, 2][..], &[42u8; 40][..]] {
        assert!(matches!(Message::decode(junk), Err(SecaggError::Malformed(_))));
    }
}

#[test]
fn bad_parameters_are_rejected() {
    let m = Modulus::power_of_two(8).unwrap();
    assert!(Config::new(5, 1, 4, m).is_err());
    assert!(Config::new(5, 6, 4, m).is_err());
    assert!(Config::new(5, 3, 0, m).is_err());
    // No signed survivor lists, so the threshold must be a strict majority (issue #15):
    // otherwise a server splitting the survivor list gets both secrets of a client.
    for (n, t) in [(4, 2), (6, 3), (10, 5), (100, 50)] {
        let err = Config::new(n, t, 4, m).unwrap_err().to_string();
        assert!(err.contains("more than half"), "{err}");
    }
    for (n, t) in [(3, 2), (5, 3), (101, 51)] {
        assert!(Config::new(n, t, 4, m).is_ok());
    }
    assert!(Modulus::new(1).is_err());
    assert!(Modulus::new((1 << 64) + 1).is_err());
    assert!(Modulus::power_of_two(65).is_err());
    let cfg = Config::new(3, 2, 2, m).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    assert!(Client::new(0, cfg, vec![1, 2, 3], &mut rng).is_err());
    assert!(Client::new(0, cfg, vec![1, 256], &mut rng).is_err());
    // The error names the position of a bad value, never the (secret) value.
    let err = Client::new(0, cfg, vec![1, 4_000_000_123], &mut rng).unwrap_err().to_string();
    assert!(!err.contains("4000000123") && err.contains("number 2"), "{err}");
    assert!(Client::new(3, cfg, vec![1, 2], &mut rng).is_err());
}

#[test]
fn over_channels() {
    let m = Modulus::power_of_two(32).unwrap();
    let cfg = Config::new(4, 3, 8, m).unwrap();
    let xs = inputs(4, 8, m, 11);
    // Three clients over TCP, one in memory that hangs up after the key round.
    let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut handles = Vec::new();
    for i in 0..3u64 {
        let addr = addr.clone();
        let x = xs.clone();
        handles.push(thread::spawn(move || {
            let mut ch = TcpChannel::connect(&addr, Duration::from_secs(10)).unwrap();
            let mut rng = ChaCha20Rng::seed_from_u64(100 + i);
            // The server numbers clients by accept order: read the id from the run.
            net::run_client(&mut ch, x[0].clone(), &mut rng, &net::ClientOptions::default())
                .map(|r| r.sum)
                .map_err(|e| e.to_string())
        }));
        // Accept in order so the ids are 0, 1, 2.
    }
    let mut chans: Vec<Box<dyn mpc_net::Channel>> = Vec::new();
    for _ in 0..3 {
        chans.push(Box::new(listener.accept(Duration::from_secs(10)).unwrap()));
    }
    let (server_end, mut client_end) = MemoryChannel::pair();
    chans.push(Box::new(server_end));
    let dropper = thread::spawn(move || {
        // Read the welcome, send keys, then vanish.
        greet(&mut client_end);
        let w = mpc_net::frame::recv_frame(&mut client_end, 1 << 20).unwrap();
        let Message::Welcome { config, id } = Message::decode(&w).unwrap() else { panic!() };
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let (_c, first) = Client::new(id, config, vec![5; 8], &mut rng).unwrap();
        mpc_net::frame::send_frame(&mut client_end, &first.encode()).unwrap();
        mpc_net::Channel::flush(&mut client_end).unwrap();
        let _ = mpc_net::frame::recv_frame(&mut client_end, 1 << 20);
        drop(client_end);
    });
    let rep = net::serve(cfg, chans, &net::ServeOptions::default()).unwrap();
    dropper.join().unwrap();
    assert_eq!(rep.included, vec![0, 1, 2]);
    assert!(rep.dropped.contains_key(&3));
    // Every TCP client sent xs[0], so the sum is 3 * xs[0].
    let want: Vec<u64> = xs[0].iter().map(|&v| m.add(m.add(v, v), v)).collect();
    assert_eq!(rep.sum, want);
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), want);
    }
}

#[test]
fn larger_session_with_dropouts_and_odd_modulus() {
    // Enough clients that the server checks many shares beyond the threshold through
    // the batched reconstruction, with dropouts after rounds 1 and 2.
    let m = Modulus::new((1u128 << 61) - 1).unwrap();
    let cfg = Config::new(30, 20, 37, m).unwrap();
    let d = Dropouts { round2: vec![3, 11, 29], round3: vec![0, 17], ..Default::default() };
    let (xs, rep) = run(cfg, &d, 41).unwrap();
    let want: Vec<u32> = (0..30).filter(|i| ![3, 11, 29].contains(i)).collect();
    assert_eq!(rep.included, want);
    assert_eq!(rep.sum, expected(&xs, &rep.included, m));
    // Times and bytes are reported for every client that took part.
    assert_eq!(rep.client_times.len(), 30);
    assert_eq!(rep.client_bytes_received.len(), 30);
    assert!(rep.client_bytes_sent.values().all(|&b| b > 0));
}

#[test]
fn an_inconsistent_unmasking_share_is_an_error_not_a_wrong_sum() {
    use mpc_native::shamir::{Fp61, Share};
    let cfg = Config::new(5, 3, 4, Modulus::power_of_two(32).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let (mut server, mut clients, keys) = setup(cfg, &mut rng);
    for c in clients.iter_mut() {
        let m = c.handle(keys.clone(), &mut rng).unwrap().unwrap();
        server.receive(c.id(), m).unwrap();
    }
    let boxes = server.finish_shares().unwrap();
    for c in clients.iter_mut() {
        let m = c.handle(boxes[&c.id()].clone(), &mut rng).unwrap().unwrap();
        server.receive(c.id(), m).unwrap();
    }
    let survivors = server.finish_masked().unwrap();
    for c in clients.iter_mut() {
        let mut reply = c.handle(survivors.clone(), &mut rng).unwrap().unwrap();
        if c.id() == 1 {
            // Client 1 lies about its share of client 0's self-mask seed.
            let Message::UnmaskShares { shares, .. } = &mut reply else { panic!() };
            let share = Share::<Fp61>::from_bytes(&shares[0].2).unwrap();
            let mut values = share.values().to_vec();
            values[2] = values[2] + Fp61::new(5).unwrap();
            let bad =
                Share::from_parts(share.split_id(), share.threshold() as u16, share.x(), values).unwrap();
            shares[0].2 = bad.to_bytes();
        }
        server.receive(c.id(), reply).unwrap();
    }
    assert!(matches!(server.finish(), Err(SecaggError::Shamir(_))));
}

/// Everything an honest-but-curious server (or a passive eavesdropper) sees in one
/// honest session of five clients with threshold three: the key list, every round-1
/// ciphertext, the masked inputs, and the unmasking shares. Client 3 drops after
/// sharing its keys; client 4's masked input reaches the wire but too late, so the
/// server declares it dropped (the case double masking exists for).
struct Recorded {
    inputs: Vec<Vec<u64>>,
    session: [u8; 32],
    keys: Vec<(u32, [u8; 32], [u8; 32])>,
    /// (sender, receiver) -> ciphertext.
    ciphertexts: std::collections::BTreeMap<(u32, u32), Vec<u8>>,
    /// The late masked input of client 4.
    late_masked: Vec<u64>,
    /// (revealer, about, kind, share bytes).
    unmask: Vec<(u32, u32, ShareKind, Vec<u8>)>,
    sum: Vec<u64>,
}

fn record_honest_session(seed: u64) -> Recorded {
    let m = Modulus::power_of_two(32).unwrap();
    let cfg = Config::new(5, 3, 6, m).unwrap();
    let xs = inputs(5, 6, m, seed);
    let mut rng = ChaCha20Rng::seed_from_u64(seed + 1);
    let mut server = Server::new(cfg);
    let mut clients = Vec::new();
    for id in 0..5 {
        let (c, msg) = Client::new(id, cfg, xs[id as usize].clone(), &mut rng).unwrap();
        server.receive(id, msg).unwrap();
        clients.push(c);
    }
    let key_list = server.finish_keys().unwrap();
    let Message::KeyList { keys } = key_list.clone() else { panic!("a key list") };
    let mut ciphertexts = std::collections::BTreeMap::new();
    for c in clients.iter_mut() {
        let reply = c.handle(key_list.clone(), &mut rng).unwrap().unwrap();
        let Message::ShareKeys { ciphertexts: cts, .. } = &reply else { panic!("shares") };
        for (to, ct) in cts {
            ciphertexts.insert((c.id(), *to), ct.clone());
        }
        server.receive(c.id(), reply).unwrap();
    }
    let session = clients[0].session();
    let boxes = server.finish_shares().unwrap();
    let mut late_masked = Vec::new();
    for id in [0u32, 1, 2, 4] {
        let reply = clients[id as usize].handle(boxes[&id].clone(), &mut rng).unwrap().unwrap();
        if id == 4 {
            let Message::MaskedInput { values, .. } = reply else { panic!("a masked input") };
            late_masked = values;
        } else {
            server.receive(id, reply).unwrap();
        }
    }
    let survivors = server.finish_masked().unwrap();
    let mut unmask = Vec::new();
    for id in [0u32, 1, 2] {
        let reply = clients[id as usize].handle(survivors.clone(), &mut rng).unwrap().unwrap();
        let Message::UnmaskShares { shares, .. } = &reply else { panic!("unmasking shares") };
        for (about, kind, bytes) in shares {
            unmask.push((id, *about, *kind, bytes.clone()));
        }
        server.receive(id, reply).unwrap();
    }
    let sum = server.finish().unwrap();
    Recorded { inputs: xs, session, keys, ciphertexts, late_masked, unmask, sum }
}

/// The shares of one secret at every x = 1..=5, interpolated from at least three
/// shares (what a server that reconstructs a secret also learns).
fn all_shares(shares: &[mpc_native::shamir::Share<mpc_native::shamir::Fp61>]) -> Vec<Vec<u8>> {
    use mpc_native::shamir::{lagrange_coefficients, Field, Fp61, Share};
    let xs: Vec<u16> = shares.iter().map(|s| s.x()).collect();
    (1..=5u16)
        .map(|x| {
            let l = lagrange_coefficients::<Fp61>(&xs, Fp61::from_u64(u64::from(x))).unwrap();
            let values = (0..shares[0].values().len())
                .map(|k| shares.iter().zip(&l).fold(Fp61::zero(), |acc, (s, li)| acc + s.values()[k] * *li))
                .collect();
            Share::from_parts(shares[0].split_id(), shares[0].threshold() as u16, x, values)
                .unwrap()
                .to_bytes()
        })
        .collect()
}

/// The two-time-pad attack of issue #15 on recorded traffic: for each pair of clients
/// u, v, XOR the ciphertexts u->v and v->u and strip the plaintext the server knows
/// from the polynomials it reconstructs legitimately (the self-mask seed `b` of the
/// survivors, the mask key `s^SK` of the dropped), leaving the other party's share.
/// With the shares so gathered it tries to recover client 4's self-mask seed (and so
/// its input, from its late masked vector) and the mask keys of the survivors.
#[test]
fn honest_but_curious_server_learns_nothing_from_ciphertext_pairs() {
    use mpc_native::shamir::{Fp61, Share};
    use x25519_dalek::{PublicKey, StaticSecret};
    let rec = record_honest_session(4242);
    let m = Modulus::power_of_two(32).unwrap();
    assert_eq!(rec.sum, expected(&rec.inputs, &[0, 1, 2], m));
    let s_pk = |id: u32| rec.keys.iter().find(|k| k.0 == id).unwrap().2;

    // What the protocol reveals: b of 0, 1, 2 and s^SK of 3, 4, as whole polynomials.
    let mut known: std::collections::BTreeMap<(u32, ShareKind), Vec<Vec<u8>>> = Default::default();
    for about in 0..5u32 {
        for kind in [ShareKind::SelfMask, ShareKind::MaskKey] {
            let shares: Vec<Share<Fp61>> = rec
                .unmask
                .iter()
                .filter(|(_, a, k, _)| *a == about && *k == kind)
                .map(|(_, _, _, b)| Share::from_bytes(b).unwrap())
                .collect();
            if shares.len() >= 3 {
                known.insert((about, kind), all_shares(&shares));
            }
        }
    }
    // The control: the legitimately revealed mask key of client 4 is its real key.
    let s4 = secagg::crypto::field_to_secret(
        &mpc_native::shamir::reconstruct(
            &rec.unmask
                .iter()
                .filter(|(_, a, k, _)| *a == 4 && *k == ShareKind::MaskKey)
                .map(|(_, _, _, b)| Share::<Fp61>::from_bytes(b).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap(),
    )
    .unwrap();
    let s4 = StaticSecret::from(*s4);
    assert_eq!(PublicKey::from(&s4).to_bytes(), s_pk(4));
    assert_eq!(known.len(), 5);

    // The attack: candidate shares (about, kind) -> list of shares, from every pair.
    let mut stolen: std::collections::BTreeMap<(u32, ShareKind), Vec<Share<Fp61>>> = Default::default();
    for (&(u, v), ct_uv) in &rec.ciphertexts {
        let Some(ct_vu) = rec.ciphertexts.get(&(v, u)) else { continue };
        let pad: Vec<u8> = ct_uv.iter().zip(ct_vu).map(|(a, b)| a ^ b).collect();
        for (kind, known_share) in [ShareKind::MaskKey, ShareKind::SelfMask]
            .into_iter()
            .filter_map(|k| known.get(&(u, k)).map(|p| (k, &p[v as usize])))
        {
            let len = known_share.len();
            // Try the layouts a plaintext might have: an optional 4-byte length prefix,
            // then s^SK's share, then b's share.
            for prefix in [0usize, 4] {
                let at = prefix + if kind == ShareKind::MaskKey { 0 } else { len };
                let Some(piece) = pad.get(at..at + len) else { continue };
                let guess: Vec<u8> = piece.iter().zip(known_share).map(|(a, b)| a ^ b).collect();
                if let Ok(share) = Share::<Fp61>::from_bytes(&guess) {
                    stolen.entry((v, kind)).or_default().push(share);
                }
            }
        }
    }
    // Client 4's input from its late masked vector, if its b can be rebuilt.
    if let Some(shares) = stolen.get(&(4, ShareKind::SelfMask)) {
        if let Ok(b4) = mpc_native::shamir::reconstruct(shares) {
            if let Ok(b4) = secagg::crypto::field_to_secret(&b4) {
                let mut x4 = rec.late_masked.clone();
                let sign = secagg::crypto::Sign::Sub;
                secagg::crypto::apply_mask(&mut x4, &secagg::client::self_seed(&rec.session, &b4), m, sign);
                for v in 0..4u32 {
                    let dh = s4.diffie_hellman(&PublicKey::from(s_pk(v)));
                    let seed = secagg::client::pairwise_seed(&rec.session, dh.as_bytes());
                    secagg::crypto::apply_mask(&mut x4, &seed, m, secagg::crypto::Sign::Add);
                }
                assert_ne!(x4, rec.inputs[4], "the server recovered client 4's input");
            }
        }
    }
    // The mask keys of the survivors (with their b, known to the server, they would
    // unmask the survivors' individual inputs).
    for v in 0..3u32 {
        if let Some(shares) = stolen.get(&(v, ShareKind::MaskKey)) {
            if let Ok(s) = mpc_native::shamir::reconstruct(shares) {
                if let Ok(s) = secagg::crypto::field_to_secret(&s) {
                    let pk = PublicKey::from(&StaticSecret::from(*s)).to_bytes();
                    assert_ne!(pk, s_pk(v), "the server recovered client {v}'s mask key");
                }
            }
        }
    }
    // No share beyond what the protocol reveals decodes at all.
    assert!(stolen.is_empty(), "the XOR of ciphertext pairs yielded {} valid shares", stolen.len());
}

/// Every way a server or an on-path attacker can alter a round-1 box: a flipped bit in
/// the body or the tag, a ciphertext relabelled with another sender, the ciphertext
/// of the opposite direction (v->u delivered as u->v), a truncated or extended one.
/// The receiving client refuses each with a typed error and sends no masked input.
#[test]
fn tampered_and_redirected_ciphertexts_are_rejected_with_a_typed_error() {
    let cfg = Config::new(3, 2, 4, Modulus::power_of_two(16).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let (mut server, mut clients, keys) = setup(cfg, &mut rng);
    let msgs: Vec<Message> =
        clients.iter_mut().map(|c| c.handle(keys.clone(), &mut rng).unwrap().unwrap()).collect();
    // ct 1 -> 0, as client 1 sent it.
    let Message::ShareKeys { ciphertexts: from1, .. } = &msgs[1] else { panic!() };
    let ct_1_to_0 = from1.iter().find(|(to, _)| *to == 0).unwrap().1.clone();
    for (i, m) in msgs.into_iter().enumerate() {
        server.receive(i as u32, m).unwrap();
    }
    let boxes = server.finish_shares().unwrap();
    // Client 0's box holds (1, ct 1->0) and (2, ct 2->0).
    let Message::Ciphertexts { session, ciphertexts } = boxes[&0].clone() else { panic!() };
    let good = ciphertexts.clone();
    let with = |f: &dyn Fn(&mut CtBox)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };
    let cases: Vec<(&str, CtBox, u32)> = vec![
        ("flipped body bit", with(&|c| c[0].1[10] ^= 1), 1),
        ("flipped tag bit", with(&|c| *c[1].1.last_mut().unwrap() ^= 0x80), 2),
        ("swapped senders", with(&|c| (c[0].0, c[1].0) = (c[1].0, c[0].0)), 2),
        ("relabelled sender", with(&|c| c[1].1 = c[0].1.clone()), 2),
    ];
    for (what, cts, from) in cases {
        let mut victim = clone_client_at_round1(cfg, 77, 0);
        let res = victim.on_ciphertexts(session, cts);
        assert!(matches!(res, Err(SecaggError::Decrypt { from: f }) if f == from), "{what}: {res:?}");
    }
    // The opposite direction: client 1 receives ct 1->0 as if client 0 had sent it
    // to 1 (the two directions share one X25519 agreement, but not one key).
    let Message::Ciphertexts { session: s1, ciphertexts: box1 } = boxes[&1].clone() else { panic!() };
    let reflected: Vec<(u32, Vec<u8>)> =
        box1.iter().map(|(f, ct)| (*f, if *f == 0 { ct_1_to_0.clone() } else { ct.clone() })).collect();
    let mut c1 = clone_client_at_round1(cfg, 77, 1);
    assert!(matches!(c1.on_ciphertexts(s1, reflected), Err(SecaggError::Decrypt { from: 0 })));
    // Lengths are checked exactly before anything is opened.
    for len in [0usize, 1, 155, 157, 4096] {
        let mut c = good.clone();
        c[0].1.resize(len, 0);
        let mut victim = clone_client_at_round1(cfg, 77, 0);
        assert!(matches!(victim.on_ciphertexts(session, c), Err(SecaggError::Malformed(_))), "{len}");
    }
    // The untouched box still works, so the cases above failed for their change alone.
    let mut victim = clone_client_at_round1(cfg, 77, 0);
    assert!(matches!(victim.on_ciphertexts(session, good), Ok(Message::MaskedInput { .. })));
}

/// A round-1 box: (sender, ciphertext) pairs.
type CtBox = Vec<(u32, Vec<u8>)>;

/// Client `id` of the session `setup(cfg, seed)` builds, after it sent its shares
/// (the same keys and shares every time, since the generator is seeded).
fn clone_client_at_round1(cfg: Config, seed: u64, id: u32) -> Client {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (_, mut clients, keys) = setup(cfg, &mut rng);
    for c in clients.iter_mut() {
        c.handle(keys.clone(), &mut rng).unwrap().unwrap();
    }
    clients.swap_remove(id as usize)
}

/// The split-survivor-list attack of issue #15: a malicious server tells some clients
/// "client 4 survived" (they reveal their shares of `b_4`) and the others "client 4
/// dropped" (they reveal their shares of `s_4^SK`). Each honest client answers once,
/// with one kind of share per peer, so with a strict-majority threshold (which
/// `Config::new` now demands) no split yields `threshold` shares of both; every split
/// of the five clients is tried.
#[test]
fn split_survivor_lists_never_yield_both_secrets_of_a_client() {
    use mpc_native::shamir::{reconstruct, Fp61, Share};
    let cfg = Config::new(5, 3, 2, Modulus::power_of_two(16).unwrap()).unwrap();
    // Which clients are told "4 survived" (bit i of the mask); the rest "4 dropped".
    // Client 4 itself must be on any list it receives, so it is always told "survived".
    for told_survived in 0u32..16 {
        let mut rng = ChaCha20Rng::seed_from_u64(900 + u64::from(told_survived));
        let (mut server, mut clients, keys) = setup(cfg, &mut rng);
        for c in clients.iter_mut() {
            server.receive(c.id(), c.handle(keys.clone(), &mut rng).unwrap().unwrap()).unwrap();
        }
        let boxes = server.finish_shares().unwrap();
        for c in clients.iter_mut() {
            server.receive(c.id(), c.handle(boxes[&c.id()].clone(), &mut rng).unwrap().unwrap()).unwrap();
        }
        let Message::Survivors { session, .. } = server.finish_masked().unwrap() else { panic!() };
        let (mut b4, mut s4) = (Vec::new(), Vec::new());
        for c in clients.iter_mut() {
            let survived = c.id() == 4 || told_survived & (1 << c.id()) != 0;
            let ids: Vec<u32> = (0..5).filter(|&i| i != 4 || survived).collect();
            let Ok(Message::UnmaskShares { shares, .. }) = c.on_survivors(session, ids.clone()) else {
                continue;
            };
            // Asked again with the other list, the client refuses.
            let other: Vec<u32> = if survived { (0..4).collect() } else { (0..5).collect() };
            assert!(c.on_survivors(session, other).is_err());
            for (about, kind, bytes) in shares {
                if about == 4 {
                    let share = Share::<Fp61>::from_bytes(&bytes).unwrap();
                    match kind {
                        ShareKind::SelfMask => b4.push(share),
                        ShareKind::MaskKey => s4.push(share),
                    }
                }
            }
        }
        assert_eq!(b4.len() + s4.len(), 5, "split {told_survived:04b}");
        assert!(
            reconstruct(&b4).is_err() || reconstruct(&s4).is_err(),
            "split {told_survived:04b} gave {} shares of b_4 and {} of s_4",
            b4.len(),
            s4.len()
        );
    }
}

/// Sends `bytes` one at a time with `pause` between them (a slow-loris peer), until
/// done or the connection fails; loopback only, bounded by `bytes.len()`.
fn trickle(ch: &mut TcpChannel, bytes: &[u8], pause: Duration) {
    for b in bytes {
        if mpc_net::Channel::send(ch, &[*b]).and_then(|()| mpc_net::Channel::flush(ch)).is_err() {
            return;
        }
        thread::sleep(pause);
    }
}

/// Issue #15 item 6: one client trickles its round-0 message a byte every 150 ms,
/// under the 1 s per-read timeout, so only a deadline for the whole round stops it.
/// The round ends at the 1.5 s round deadline, the slow client is dropped, and the
/// three honest clients get the right sum soon after (the old sequential server took
/// about 69 x 150 ms = 10 s for this round).
#[test]
fn a_slow_loris_client_is_dropped_at_the_round_deadline() {
    let m = Modulus::power_of_two(32).unwrap();
    let cfg = Config::new(4, 3, 8, m).unwrap();
    let xs = inputs(4, 8, m, 12);
    let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let read_timeout = Duration::from_secs(1);
    let start = std::time::Instant::now();
    let mut chans = Vec::new();
    let mut honest = Vec::new();
    for i in 0..4u64 {
        let addr = addr.clone();
        let x = xs[i as usize].clone();
        let h = thread::spawn(move || {
            // Honest clients wait out the slow client's round: their read timeout is
            // longer than the server's round deadline.
            let mut ch = TcpChannel::connect(&addr, Duration::from_secs(5)).unwrap();
            if i == 1 {
                // The slow loris: reads its welcome, then trickles a valid message.
                greet(&mut ch);
                let w = mpc_net::frame::recv_frame(&mut ch, 1 << 20).unwrap();
                let Message::Welcome { config, id } = Message::decode(&w).unwrap() else { panic!() };
                let mut rng = ChaCha20Rng::seed_from_u64(31);
                let (_c, first) = Client::new(id, config, vec![5; 8], &mut rng).unwrap();
                let body = first.encode();
                let mut framed = (body.len() as u32).to_le_bytes().to_vec();
                framed.extend_from_slice(&body);
                trickle(&mut ch, &framed, Duration::from_millis(150));
                return Err("slow".to_string());
            }
            let mut rng = ChaCha20Rng::seed_from_u64(200 + i);
            let opts = net::ClientOptions { message_deadline: Duration::from_secs(10) };
            let r = net::run_client(&mut ch, x, &mut rng, &opts).map_err(|e| e.to_string())?;
            Ok((r.sum, start.elapsed()))
        });
        // Accept in order so client i gets id i.
        chans.push(listener.accept(read_timeout).unwrap());
        honest.push(h);
    }
    let opts = net::ServeOptions { round_deadline: Duration::from_millis(1500) };
    let rep = net::serve(cfg, chans, &opts).unwrap();
    let took = start.elapsed();
    assert_eq!(rep.included, vec![0, 2, 3]);
    assert!(rep.dropped[&1].contains("within 1.5 s"), "{:?}", rep.dropped);
    assert_eq!(rep.sum, expected(&xs, &[0, 2, 3], m));
    // The deadline plus three quick rounds; far below the 10 s the trickle would take.
    assert!(took < Duration::from_secs(5), "the session took {took:?}");
    for (i, h) in honest.into_iter().enumerate() {
        let r = h.join().unwrap();
        if i == 1 {
            continue;
        }
        let (sum, at) = r.unwrap();
        assert_eq!(sum, rep.sum);
        assert!(at < Duration::from_secs(5), "client {i} finished after {at:?}");
    }
}

/// The client's side of item 6: a server that trickles its welcome a byte every
/// 100 ms (under the 1 s read timeout) is given up at the client's 0.8 s message
/// deadline with a typed error.
#[test]
fn a_client_gives_up_on_a_trickling_server_at_its_message_deadline() {
    let listener = TcpListenerChannel::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let mut ch = listener.accept(Duration::from_secs(1)).unwrap();
        mpc_net::hello::exchange(&mut ch, &common_hello(), mpc_net::hello::Turn::First).unwrap();
        let cfg = Config::new(3, 2, 2, Modulus::power_of_two(8).unwrap()).unwrap();
        let body = Message::Welcome { config: cfg, id: 0 }.encode();
        let mut framed = (body.len() as u32).to_le_bytes().to_vec();
        framed.extend_from_slice(&body);
        trickle(&mut ch, &framed, Duration::from_millis(100));
    });
    let mut ch = TcpChannel::connect(&addr, Duration::from_secs(1)).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let start = std::time::Instant::now();
    let opts = net::ClientOptions { message_deadline: Duration::from_millis(800) };
    let res = net::run_client(&mut ch, vec![1, 2], &mut rng, &opts);
    assert!(matches!(res, Err(SecaggError::Deadline(_))), "{res:?}");
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    drop(ch);
    server.join().unwrap();
}

/// A client announcing a frame longer than any message of the session could be is
/// dropped before the server buffers it; the others finish. The bound follows the
/// parameters (a few hundred bytes here), not the 128 MiB transport maximum.
#[test]
fn a_frame_longer_than_any_message_of_the_session_is_refused() {
    let m = Modulus::power_of_two(16).unwrap();
    let cfg = Config::new(4, 3, 2, m).unwrap();
    let limit = net::max_message_len(&cfg);
    assert!(limit < 1024, "{limit}");
    let xs = inputs(4, 2, m, 13);
    let mut chans = Vec::new();
    let mut handles = Vec::new();
    for i in 0..4u64 {
        let (server_end, mut client_end) = MemoryChannel::pair_with_timeout(Duration::from_secs(10));
        chans.push(server_end);
        let x = xs[i as usize].clone();
        handles.push(thread::spawn(move || {
            if i == 2 {
                greet(&mut client_end);
                let _welcome = mpc_net::frame::recv_frame(&mut client_end, 1 << 20).unwrap();
                // Announce limit + 1 bytes and send them.
                let junk = vec![2u8; limit + 1];
                let _ = mpc_net::frame::send_frame(&mut client_end, &junk);
                let _ = mpc_net::Channel::flush(&mut client_end);
                return None;
            }
            let mut rng = ChaCha20Rng::seed_from_u64(300 + i);
            Some(net::run_client(&mut client_end, x, &mut rng, &net::ClientOptions::default()).unwrap().sum)
        }));
    }
    let rep = net::serve(cfg, chans, &net::ServeOptions::default()).unwrap();
    assert_eq!(rep.included, vec![0, 1, 3]);
    assert!(rep.dropped[&2].contains("more than the limit"), "{:?}", rep.dropped);
    assert_eq!(rep.sum, expected(&xs, &[0, 1, 3], m));
    for h in handles {
        if let Some(sum) = h.join().unwrap() {
            assert_eq!(sum, rep.sum);
        }
    }
}

/// A key list carrying a low-order X25519 key (here the all-zero point) for another
/// client is refused: the agreement with it would be a value the server knows. (Mask
/// keys are checked in round 2: `a_low_order_mask_key_is_refused_in_round_2`.)
#[test]
fn a_low_order_key_in_the_key_list_is_refused() {
    let cfg = Config::new(3, 2, 2, Modulus::power_of_two(8).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(55);
    let (_, mut clients, keys) = setup(cfg, &mut rng);
    let Message::KeyList { keys } = keys else { panic!() };
    let mut bad = keys.clone();
    bad[1].1 = [0u8; 32];
    let res = clients[0].on_key_list(bad, &mut rng);
    assert!(matches!(res, Err(SecaggError::Protocol(ref m)) if m.contains("low-order")), "{res:?}");
}

/// Round 2's check: a malicious client 1 advertises a low-order mask key but sends
/// valid, correctly sealed shares (built here by hand); honest client 0 refuses to
/// draw a pairwise mask from it.
#[test]
fn a_low_order_mask_key_is_refused_in_round_2() {
    use mpc_native::secagg::crypto::{seal, secret_to_field, Direction};
    use x25519_dalek::{PublicKey, StaticSecret};
    let cfg = Config::new(3, 2, 2, Modulus::power_of_two(8).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(56);
    let (c0, msg0) = Client::new(0, cfg, vec![1, 2], &mut rng).unwrap();
    let mut c0 = c0;
    let Message::AdvertiseKeys { c_pk: c0_pk, s_pk: s0_pk } = msg0 else { panic!() };
    let c1_sk = StaticSecret::random_from_rng(&mut rng);
    let c1_pk = PublicKey::from(&c1_sk).to_bytes();
    let keys = vec![(0, c0_pk, s0_pk), (1, c1_pk, [0u8; 32])];
    c0.on_key_list(keys.clone(), &mut rng).unwrap();
    let session = secagg::client::session_id(&cfg, &keys);
    assert_eq!(session, c0.session());
    // Client 1's shares for client 0 (at x = 1), sealed as an honest client would.
    let secret = [7u8; 32];
    let s = mpc_native::shamir::split(&secret_to_field(&secret), 2, 2, &mut rng).unwrap();
    let b = mpc_native::shamir::split(&secret_to_field(&secret), 2, 2, &mut rng).unwrap();
    let mut pt = s[0].to_bytes();
    pt.extend_from_slice(&b[0].to_bytes());
    let dh = c1_sk.diffie_hellman(&PublicKey::from(c0_pk));
    let ct = seal(dh.as_bytes(), &Direction { session: &session, from: 1, to: 0, round: 1 }, &pt).unwrap();
    let res = c0.on_ciphertexts(session, vec![(1, ct)]);
    assert!(matches!(res, Err(SecaggError::Protocol(ref m)) if m.contains("low-order")), "{res:?}");
}

/// The common hello of a secagg connection (`mpc_net::hello`).
fn common_hello() -> mpc_net::hello::Hello {
    mpc_net::hello::Hello {
        protocol: mpc_net::hello::Protocol::Secagg,
        version: net::VERSION,
        session: [0; 16],
    }
}

/// A scripted client's answer to the server's common hello.
fn greet<C: mpc_net::Channel + ?Sized>(ch: &mut C) {
    mpc_net::hello::exchange(ch, &common_hello(), mpc_net::hello::Turn::Second).unwrap();
}
