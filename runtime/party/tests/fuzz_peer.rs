//! No-panic properties of everything a session decodes from the peer.
//!
//! - [`Hello::from_bytes`] on arbitrary bytes and on valid hellos truncated, with a
//!   byte flipped or a length/count field rewritten; valid hellos round-trip, and
//!   [`Hello::check_peer`] on whatever decodes returns without panicking.
//! - A whole garbler or evaluator session fed a recorded honest peer's byte stream,
//!   mutated (truncated, bytes flipped, lengths rewritten, bytes inserted or deleted):
//!   the session ends with `Ok` or a [`SessionError`], never a panic or a hang (the
//!   scripted channel reports `Closed` when its bytes run out).

use std::sync::{Arc, Mutex};

use mpc_circuits::{Builder, Circuit, PartyId, Reveal, ValueType, Word};
use mpc_net::{Channel, ChannelStats, MemoryChannel, NetError};
use mpc_runtime::handshake::{Hello, Role};
use mpc_runtime::{run_evaluator, run_garbler, SessionOptions};
use proptest::prelude::*;

/// A circuit whose hello exercises every type encoding (bool, u, i, array, tuple,
/// struct) and both reveal kinds.
fn circuit() -> Circuit {
    let mut b = Builder::new(&["alice", "bob"]);
    let pt = ValueType::Struct {
        name: "P".into(),
        fields: vec![("x".into(), ValueType::SInt(3)), ("ok".into(), ValueType::Bool)],
    };
    let x = b.input_typed(PartyId(0), "x", ValueType::Array(Box::new(pt), 2));
    let y = b.input_typed(PartyId(1), "y", ValueType::Tuple(vec![ValueType::UInt(4), ValueType::Bool]));
    let s: Vec<_> = (0..5).map(|i| b.and(x.bit(i), y.bit(i))).collect();
    let t: Vec<_> = (0..3).map(|i| b.xor(x.bit(i + 5), y.bit(i))).collect();
    b.output_typed("s", ValueType::UInt(5), Reveal::All, &Word::from_bits(s));
    b.output_typed("t", ValueType::SInt(3), Reveal::To(PartyId(1)), &Word::from_bits(t.clone()));
    b.output_typed("u", ValueType::Bool, Reveal::To(PartyId(0)), &Word::from_bits(vec![t[0]]));
    b.finish().expect("valid circuit")
}

fn inputs(c: &Circuit, party: u8, seed: u64) -> Vec<Vec<bool>> {
    c.inputs()
        .iter()
        .filter(|g| g.party.0 == party)
        .map(|g| (0..g.ty.width()).map(|i| (seed >> (i % 64)) & 1 == 1).collect())
        .collect()
}

/// Replays fixed bytes as the peer; everything we send is discarded. When the bytes
/// run out the peer has "closed the connection".
struct Script {
    input: Vec<u8>,
    pos: usize,
    stats: ChannelStats,
}

impl Channel for Script {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.stats.bytes_sent += data.len() as u64;
        Ok(())
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        if self.input.len() - self.pos < buf.len() {
            self.pos = self.input.len();
            return Err(NetError::Closed);
        }
        buf.copy_from_slice(&self.input[self.pos..self.pos + buf.len()]);
        self.pos += buf.len();
        self.stats.bytes_received += buf.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> Result<(), NetError> {
        Ok(())
    }
    fn stats(&self) -> ChannelStats {
        self.stats
    }
}

/// A memory channel end that records every byte it receives.
struct Recorder {
    inner: MemoryChannel,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Channel for Recorder {
    fn send(&mut self, data: &[u8]) -> Result<(), NetError> {
        self.inner.send(data)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), NetError> {
        self.inner.recv_exact(buf)?;
        self.log.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), NetError> {
        self.inner.flush()
    }
    fn stats(&self) -> ChannelStats {
        self.inner.stats()
    }
}

/// An honest session; returns (bytes the garbler received, bytes the evaluator received).
fn transcripts(c: &Circuit) -> (Vec<u8>, Vec<u8>) {
    let (a, b) = MemoryChannel::pair();
    let (ga, ea) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let mut g = Recorder { inner: a, log: Arc::clone(&ga) };
    let mut e = Recorder { inner: b, log: Arc::clone(&ea) };
    std::thread::scope(|s| {
        let h = s.spawn(|| run_garbler(&mut g, c, &inputs(c, 0, 5), &SessionOptions::default()));
        run_evaluator(&mut e, c, &inputs(c, 1, 9), &SessionOptions::default()).expect("honest evaluator");
        h.join().expect("garbler thread").expect("honest garbler");
    });
    let g = ga.lock().map(|v| v.clone()).unwrap_or_default();
    let e = ea.lock().map(|v| v.clone()).unwrap_or_default();
    (g, e)
}

fn mutate(bytes: &mut Vec<u8>, op: u8, at: prop::sample::Index, value: u32) {
    let pos = at.index(bytes.len() + 1);
    match op {
        0 => bytes.truncate(pos),
        1 if pos < bytes.len() => bytes[pos] ^= (value as u8) | 1,
        // Overwrite four bytes with a little-endian number (a length or count).
        2 if pos + 4 <= bytes.len() => bytes[pos..pos + 4].copy_from_slice(&value.to_le_bytes()),
        3 if pos < bytes.len() => {
            bytes.remove(pos);
        }
        _ => bytes.insert(pos, value as u8),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn hello_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let ours = Hello::new(Role::Garbler, &circuit(), 1);
        if let Ok(h) = Hello::from_bytes(&bytes) {
            prop_assert_eq!(h.to_bytes(), bytes);
            if let Err(e) = ours.check_peer(&h) {
                prop_assert!(!e.to_string().chars().any(char::is_control), "{:?}", e.to_string());
            }
        }
    }

    #[test]
    fn hello_mutated(
        role in 0u8..2,
        instances in 1u32..4,
        edits in prop::collection::vec((0u8..5, any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        let c = circuit();
        let role = if role == 0 { Role::Garbler } else { Role::Evaluator };
        let h = Hello::new(role, &c, instances);
        let mut bytes = h.to_bytes();
        prop_assert_eq!(Hello::from_bytes(&bytes).ok(), Some(h.clone()));
        for (op, at, value) in edits {
            mutate(&mut bytes, op, at, value);
        }
        if let Ok(peer) = Hello::from_bytes(&bytes) {
            prop_assert_eq!(peer.to_bytes(), bytes);
            for e in [h.check_peer(&peer).err(), Hello::new(Role::Evaluator, &c, 1).check_peer(&peer).err()] {
                let text = e.map(|e| e.to_string()).unwrap_or_default();
                prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
            }
        }
    }
}

/// A peer whose hello names its parties, inputs, outputs and struct types with
/// terminal escapes (`\x1b[2J` clears the screen): the mismatch errors, which the CLI
/// prints, show them escaped.
#[test]
fn peer_names_with_control_characters_are_escaped() {
    let evil = "\u{1b}[2J\u{1b}[31mok\r\n";
    let ours = Hello::new(Role::Garbler, &circuit(), 1);
    let renamed = |parties: [&str; 2], input: &str, output: &str, st: &str| {
        let mut b = Builder::new(&parties);
        let pt = ValueType::Struct { name: st.into(), fields: vec![("x".into(), ValueType::Bool)] };
        let x = b.input_typed(PartyId(0), input, pt);
        let y = b.input(PartyId(1), "y", 1);
        let z = b.and(x.bit(0), y.bit(0));
        b.output_typed(output, ValueType::Bool, Reveal::All, &Word::from_bits(vec![z]));
        Hello::new(Role::Evaluator, &b.finish().expect("valid circuit"), 1)
    };
    let peers = [
        renamed([evil, "bob"], "x", "s", "P"),
        renamed(["alice", "bob"], "x", "s", evil),
        renamed(["alice", "bob"], evil, "s", "P"),
        renamed(["alice", "bob"], "x", evil, "P"),
        renamed([&evil.repeat(100), "bob"], "x", "s", "P"),
    ];
    for peer in peers {
        let peer = Hello::from_bytes(&peer.to_bytes()).expect("a well-formed hello");
        let err = ours.check_peer(&peer).expect_err("the programs differ").to_string();
        assert!(!err.chars().any(char::is_control), "{err:?}");
        assert!(err.len() < 1000, "{err:?}");
    }
    assert_eq!(mpc_runtime::handshake::shown(evil), "\\u{1b}[2J\\u{1b}[31mok\\r\\n");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Each case replays one mutated transcript to a garbler and another to an
    /// evaluator; both must end without a panic.
    #[test]
    fn session_against_mutated_peer(
        edits in prop::collection::vec((0u8..5, any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        let c = circuit();
        let (to_garbler, to_evaluator) = transcripts(&c);
        for (stream, garbler) in [(to_garbler, true), (to_evaluator, false)] {
            let mut bytes = stream;
            for &(op, at, value) in &edits {
                mutate(&mut bytes, op, at, value);
            }
            let mut ch = Script { input: bytes, pos: 0, stats: ChannelStats::default() };
            let _ = if garbler {
                run_garbler(&mut ch, &c, &inputs(&c, 0, 1), &SessionOptions::default()).map(|_| ())
            } else {
                run_evaluator(&mut ch, &c, &inputs(&c, 1, 2), &SessionOptions::default()).map(|_| ())
            };
        }
    }
}

#[test]
fn unmutated_transcripts_replay_to_the_end() {
    // The scripted peer is a faithful replay: with no edits the garbler gets through
    // the whole protocol (its OT and label messages are the recorded ones, so the
    // session runs to the output exchange; it must at least not fail on framing).
    let c = circuit();
    let (to_garbler, to_evaluator) = transcripts(&c);
    assert!(!to_garbler.is_empty() && !to_evaluator.is_empty());
    let mut ch = Script { input: to_garbler.clone(), pos: 0, stats: ChannelStats::default() };
    let r = run_garbler(&mut ch, &c, &inputs(&c, 0, 1), &SessionOptions::default());
    // The replayed evaluator answered another garbler's labels, so decoding its
    // returned output labels may fail, but only as a typed error after reading
    // everything.
    if let Err(e) = &r {
        assert!(!matches!(e, mpc_runtime::SessionError::Net(NetError::Closed)), "{e}");
    }
    assert_eq!(ch.pos, to_garbler.len(), "the garbler read the whole transcript");
}

/// A hello declaring up to `u32::MAX` parties, or a name of `u32::MAX` bytes, is
/// refused with a typed error before anything of that size is allocated.
#[test]
fn huge_declared_lengths_in_a_hello_are_refused() {
    for n in [u32::MAX, 1 << 31, 1 << 20] {
        let mut bytes = vec![0u8; 33];
        bytes.extend_from_slice(&n.to_le_bytes());
        bytes.extend_from_slice(&[0; 16]);
        assert!(matches!(
            Hello::decode(&bytes),
            Err(mpc_net::codec::CodecError::TooLong { .. } | mpc_net::codec::CodecError::Truncated { .. })
        ));
        let mut bytes = vec![0u8; 33];
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&n.to_le_bytes());
        bytes.extend_from_slice(&[b'a'; 16]);
        assert!(Hello::decode(&bytes).is_err());
    }
}
