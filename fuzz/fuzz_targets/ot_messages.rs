//! Fuzz target for the malicious-mode OT messages: any bytes through the decoders of
//! the endemic base OT (KOS's setup), KOS's challenge, proof and flip, the IKNP/KOS
//! and SoftSpoken extensions, SoftSpoken's offer and `softspoken::malicious`'s
//! challenge and proof must decode or fail with an `OtError`, never panic; what
//! decodes encodes back to the same bytes (every one of these encodings is canonical).
//! Run with `cargo +nightly fuzz run ot_messages` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpc_ot::softspoken::malicious;
use mpc_ot::{endemic, iknp, kos, softspoken, OtError};

/// Decodes `bytes` with each decoder and encodes what decoded again.
fn reencoded(bytes: &[u8]) -> [(&'static str, Result<Vec<u8>, OtError>); 11] {
    [
        ("endemic::SenderSetup", endemic::SenderSetup::from_bytes(bytes).map(|m| m.to_bytes())),
        ("endemic::ReceiverReply", endemic::ReceiverReply::from_bytes(bytes).map(|m| m.to_bytes())),
        ("iknp::Extend", iknp::Extend::from_bytes(bytes).map(|m| m.to_bytes())),
        ("iknp::Extend (vec)", iknp::Extend::from_vec(bytes.to_vec()).map(|m| m.to_bytes())),
        ("kos::Flip", kos::Flip::from_bytes(bytes).map(|m| m.to_bytes())),
        ("kos::Challenge", kos::Challenge::from_bytes(bytes).map(|m| m.to_bytes())),
        ("kos::Proof", kos::Proof::from_bytes(bytes).map(|m| m.to_bytes())),
        ("softspoken::SetupOffer", softspoken::SetupOffer::from_bytes(bytes).map(|m| m.to_bytes())),
        ("softspoken::Extend", softspoken::Extend::from_vec(bytes.to_vec()).map(|m| m.into_bytes())),
        ("malicious::Challenge", malicious::Challenge::from_bytes(bytes).map(|m| m.to_bytes())),
        ("malicious::Proof", malicious::Proof::from_bytes(bytes).map(|m| m.to_bytes())),
    ]
}

fuzz_target!(|data: &[u8]| {
    for (what, r) in reencoded(data) {
        if let Ok(again) = r {
            assert_eq!(again, data, "{what} decoded a non-canonical encoding");
        }
    }
});
