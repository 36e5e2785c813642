//! No-panic properties of the decoders of PSI and secure aggregation, which read
//! through the common codec (`mpc_net::codec`).
//!
//! - [`Message::decode_typed`] (secagg), [`psi::Hello::decode`] and
//!   [`psi::decode_points`] on arbitrary bytes and on valid messages with bytes
//!   flipped, count fields rewritten, truncated or extended: a message or a typed
//!   error, never a panic; what decodes re-encodes to the same bytes.
//! - What decodes never holds more than a small multiple of the message's own size
//!   (every count is checked against the bytes left before anything is allocated),
//!   and a message declaring up to `u32::MAX` items is refused without allocating
//!   them (the attempt would abort the test).

use mpc_native::psi;
use mpc_native::secagg::msg::{Message, ShareKind};
use mpc_native::secagg::{Config, Modulus};
use mpc_net::codec::CodecError;
use proptest::prelude::*;

fn valid_messages() -> Vec<Message> {
    let cfg = Config::new(5, 3, 4, Modulus::power_of_two(32).expect("2^32 is a modulus")).expect("valid");
    vec![
        Message::Welcome { config: cfg, id: 2 },
        Message::AdvertiseKeys { c_pk: [1; 32], s_pk: [2; 32] },
        Message::KeyList { keys: vec![(0, [1; 32], [2; 32]), (3, [3; 32], [4; 32])] },
        Message::ShareKeys { session: [5; 32], ciphertexts: vec![(1, vec![1, 2, 3]), (2, vec![])] },
        Message::Ciphertexts { session: [5; 32], ciphertexts: vec![(4, vec![9; 20])] },
        Message::MaskedInput { session: [5; 32], values: vec![1, u64::MAX, 7] },
        Message::Survivors { session: [5; 32], ids: vec![0, 1, 4] },
        Message::UnmaskShares {
            session: [5; 32],
            shares: vec![(1, ShareKind::MaskKey, vec![9; 5]), (2, ShareKind::SelfMask, vec![])],
        },
        Message::Sum { session: [5; 32], values: vec![0x1234_5678, 0] },
    ]
}

/// Heap bytes a decoded message holds (an upper estimate).
fn footprint(m: &Message) -> usize {
    let pair = std::mem::size_of::<(u32, Vec<u8>)>();
    match m {
        Message::KeyList { keys } => keys.len() * std::mem::size_of::<(u32, [u8; 32], [u8; 32])>(),
        Message::ShareKeys { ciphertexts, .. } | Message::Ciphertexts { ciphertexts, .. } => {
            ciphertexts.iter().map(|(_, c)| pair + c.len()).sum()
        }
        Message::MaskedInput { values, .. } | Message::Sum { values, .. } => values.len() * 8,
        Message::Survivors { ids, .. } => ids.len() * 4,
        Message::UnmaskShares { shares, .. } => {
            shares.iter().map(|(_, _, s)| std::mem::size_of::<(u32, ShareKind, Vec<u8>)>() + s.len()).sum()
        }
        _ => 0,
    }
}

fn check_secagg(bytes: &[u8]) -> Result<(), TestCaseError> {
    match Message::decode_typed(bytes) {
        Ok(m) => {
            prop_assert_eq!(m.encode(), bytes);
            prop_assert!(footprint(&m) <= 8 * bytes.len(), "{} holds {} bytes", m.name(), footprint(&m));
        }
        Err(
            CodecError::Truncated { .. }
            | CodecError::TooLong { .. }
            | CodecError::Trailing { .. }
            | CodecError::BadValue { .. },
        ) => {}
        Err(e) => prop_assert!(false, "unexpected error {e}"),
    }
    Ok(())
}

fn mutate(bytes: &mut Vec<u8>, op: u8, at: prop::sample::Index, value: u32) {
    let pos = at.index(bytes.len() + 1);
    match op {
        0 if pos < bytes.len() => bytes[pos] ^= (value as u8) | 1,
        1 => bytes.truncate(pos),
        // Overwrite four bytes with a little-endian number (a length or count).
        2 if pos + 4 <= bytes.len() => bytes[pos..pos + 4].copy_from_slice(&value.to_le_bytes()),
        3 if pos < bytes.len() => {
            bytes.remove(pos);
        }
        _ => bytes.insert(pos, value as u8),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn secagg_arbitrary_bytes(tag in 0u8..11, body in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut bytes = vec![tag];
        bytes.extend(body);
        check_secagg(&bytes)?;
    }

    #[test]
    fn secagg_mutated(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((0u8..5, any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        let msgs = valid_messages();
        let m = &msgs[which.index(msgs.len())];
        let mut bytes = m.encode();
        prop_assert_eq!(&Message::decode_typed(&bytes).expect("valid message"), m);
        for (op, at, value) in edits {
            mutate(&mut bytes, op, at, value);
        }
        check_secagg(&bytes)?;
    }

    #[test]
    fn psi_hello_and_points(
        bytes in prop::collection::vec(any::<u8>(), 0..100),
        n in 0usize..4,
        edits in prop::collection::vec((0u8..5, any::<prop::sample::Index>(), any::<u32>()), 0..3),
    ) {
        if let Ok(h) = psi::Hello::decode(&bytes) {
            prop_assert_eq!(h.encode(), bytes.clone());
        }
        let good = psi::Hello { protocol: psi::Protocol::Ecdh, mode: psi::Mode::Cardinality, nonce: [3; 32], set_size: 9 };
        let mut m = good.encode();
        for (op, at, value) in edits.iter().cloned() {
            mutate(&mut m, op, at, value);
        }
        match psi::Hello::decode(&m) {
            Ok(h) => prop_assert_eq!(h.encode(), m),
            Err(psi::PsiError::PeerMisbehaved(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
        match psi::decode_points(&bytes, n) {
            Ok(p) => prop_assert_eq!(p.concat(), bytes),
            Err(psi::PsiError::PeerMisbehaved(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn secagg_huge_counts_are_refused(tag in 3u8..10, n in (1u32 << 20)..=u32::MAX, tail in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = vec![tag];
        if tag != 3 {
            bytes.extend_from_slice(&[0; 32]); // session
        }
        bytes.extend_from_slice(&n.to_le_bytes());
        bytes.extend(tail);
        prop_assert!(Message::decode_typed(&bytes).is_err());
    }
}

#[test]
fn a_huge_ciphertext_length_is_refused_before_allocation() {
    // One ciphertext entry declaring u32::MAX bytes.
    let mut bytes = vec![4];
    bytes.extend_from_slice(&[0; 32]);
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&7u32.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(
        matches!(Message::decode_typed(&bytes), Err(CodecError::TooLong { len, .. }) if len == u64::from(u32::MAX))
    );
}
