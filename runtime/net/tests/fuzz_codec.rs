//! No-panic properties of the common codec and the common hello.
//!
//! - [`Hello::decode`] on arbitrary bytes and on valid hellos with bytes flipped,
//!   truncated or extended: a hello or a typed [`HelloError`], never a panic; what
//!   decodes re-encodes to the same bytes.
//! - A [`Reader`] driven by an arbitrary sequence of reads over arbitrary bytes: each
//!   read returns a value or a typed [`CodecError`], the position never passes the
//!   end, and a count or byte string is only returned when it fits in the bytes left.
//! - A declared length of up to `u32::MAX` is refused with a typed error without being
//!   allocated (an attempt to allocate 4 GiB per item would abort the test).

use mpc_net::codec::{CodecError, Reader, Writer};
use mpc_net::hello::{Hello, HelloError, Protocol, HELLO_LEN, MAGIC};
use proptest::prelude::*;

fn read_op(r: &mut Reader<'_>, op: u8, limit: usize) -> Result<(), CodecError> {
    let before = r.remaining();
    match op % 10 {
        0 => r.u8("a").map(drop),
        1 => r.u16("a").map(drop),
        2 => r.u32("a").map(drop),
        3 => r.u64("a").map(drop),
        4 => r.u128("a").map(drop),
        5 => r.array::<32>("a").map(drop),
        6 => r.bytes(limit, "a").map(|b| assert!(b.len() <= limit && b.len() <= before)),
        7 => r.str(limit, "a").map(drop),
        8 => r.count(limit, 3, "a").map(|n| assert!(n <= limit && n * 3 <= r.remaining())),
        _ => r.take(limit, "a").map(|b| assert_eq!(b.len(), limit)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hello_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..40), magic in any::<bool>()) {
        let mut bytes = bytes;
        if magic && bytes.len() >= 8 {
            bytes[..8].copy_from_slice(&MAGIC);
        }
        if let Ok(h) = Hello::decode(&bytes) {
            prop_assert_eq!(&h.encode()[..], &bytes[..]);
        }
    }

    #[test]
    fn hello_mutated(
        tag in 0u8..3,
        version in any::<u16>(),
        session in any::<[u8; 16]>(),
        edits in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let protocol = [Protocol::Session, Protocol::Psi, Protocol::Secagg][tag as usize];
        let h = Hello { protocol, version, session };
        let mut bytes = h.encode().to_vec();
        prop_assert_eq!(Hello::decode(&bytes).ok(), Some(h));
        for (op, at, value) in edits {
            match op {
                0 if !bytes.is_empty() => {
                    let i = at.index(bytes.len());
                    bytes[i] ^= value | 1;
                }
                1 => bytes.truncate(at.index(bytes.len() + 1)),
                _ => bytes.push(value),
            }
        }
        match Hello::decode(&bytes) {
            Ok(peer) => prop_assert_eq!(&peer.encode()[..], &bytes[..]),
            Err(HelloError::NotMpc | HelloError::OldRelease(_) | HelloError::Malformed(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn reader_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..128),
        ops in prop::collection::vec((any::<u8>(), 0usize..64), 0..24),
    ) {
        let mut r = Reader::new(&bytes);
        for (op, limit) in ops {
            let at = r.position();
            if read_op(&mut r, op, limit).is_err() {
                // A failed read may consume a count but never passes the end.
                prop_assert!(r.position() >= at);
            }
            prop_assert!(r.position() <= bytes.len());
        }
        let left = r.remaining();
        match r.finish() {
            Ok(()) => prop_assert_eq!(left, 0),
            Err(e) => prop_assert_eq!(e, CodecError::Trailing { count: left }),
        }
    }

    #[test]
    fn huge_declared_lengths_are_refused(n in (u32::MAX / 2)..=u32::MAX, tail in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut w = Writer::new();
        w.u32(n).raw(&tail);
        let bytes = w.into_bytes();
        let truncated = |r: Result<usize, CodecError>| matches!(r, Err(CodecError::Truncated { .. }));
        let too_long = |r: Result<usize, CodecError>| matches!(r, Err(CodecError::TooLong { .. }));
        prop_assert!(truncated(Reader::new(&bytes).bytes(usize::MAX, "s").map(<[u8]>::len)));
        prop_assert!(too_long(Reader::new(&bytes).bytes(1 << 20, "s").map(<[u8]>::len)));
        prop_assert!(truncated(Reader::new(&bytes).count(usize::MAX, 1, "n")));
        // An item count whose items are zero bytes long is bounded by the limit only.
        prop_assert!(too_long(Reader::new(&bytes).count(1 << 20, 0, "n")));
    }
}

#[test]
fn a_hello_is_27_bytes_little_endian() {
    let h = Hello { protocol: Protocol::Psi, version: 0x0102, session: [9; 16] };
    let b = h.encode();
    assert_eq!(b.len(), HELLO_LEN);
    assert_eq!(&b[..11], b"MPCHELO\n\x02\x02\x01");
}
