//! Hashing to ristretto255 as RFC 9380 specifies it.
//!
//! [`expand_message_xmd_sha512`] is RFC 9380 section 5.3.1 with SHA-512, and
//! [`hash_to_ristretto255`] is the `hash_to_ristretto255` of RFC 9380 appendix B /
//! RFC 9496 section 4.3.4: 64 bytes of `expand_message_xmd` fed to ristretto255's
//! one-way map (`RistrettoPoint::from_uniform_bytes`). Both are checked against the
//! published vectors in `tests/vectors/` (see its PROVENANCE.md). The output is a
//! uniformly distributed group element whose discrete log nobody knows, which is
//! what ECDH-PSI needs.

use curve25519_dalek::ristretto::RistrettoPoint;
use sha2::{Digest, Sha512};

use super::PsiError;

/// RFC 9380 `expand_message_xmd` with SHA-512 (b = 64, s = 128 bytes). Fails for
/// `len > 255 * 64`, `len > 65535` or a DST longer than 255 bytes.
pub fn expand_message_xmd_sha512(msg: &[u8], dst: &[u8], len: usize) -> Result<Vec<u8>, PsiError> {
    const B: usize = 64;
    const S: usize = 128;
    let ell = len.div_ceil(B);
    if ell > 255 || len > 65535 || dst.len() > 255 {
        return Err(PsiError::InvalidParameter("expand_message_xmd: output or DST too long".into()));
    }
    let dst_prime = |h: &mut Sha512| {
        h.update(dst);
        h.update([dst.len() as u8]); // dst.len() <= 255 checked above
    };
    let mut h = Sha512::new();
    h.update([0u8; S]);
    h.update(msg);
    h.update((len as u16).to_be_bytes()); // len <= 65535 checked above
    h.update([0u8]);
    dst_prime(&mut h);
    let b0 = h.finalize();
    let mut h = Sha512::new();
    h.update(b0);
    h.update([1u8]);
    dst_prime(&mut h);
    let mut bi = h.finalize();
    let mut out = Vec::with_capacity(ell * B);
    out.extend_from_slice(&bi);
    for i in 2..=ell {
        let mut x = [0u8; B];
        for (j, v) in x.iter_mut().enumerate() {
            *v = b0[j] ^ bi[j];
        }
        let mut h = Sha512::new();
        h.update(x);
        h.update([i as u8]); // i <= ell <= 255
        dst_prime(&mut h);
        bi = h.finalize();
        out.extend_from_slice(&bi);
    }
    out.truncate(len);
    Ok(out)
}

/// `hash_to_ristretto255(msg, dst)`: RFC 9380 appendix B.
pub fn hash_to_ristretto255(msg: &[u8], dst: &[u8]) -> Result<RistrettoPoint, PsiError> {
    let bytes = expand_message_xmd_sha512(msg, dst, 64)?;
    let mut uniform = [0u8; 64];
    uniform.copy_from_slice(&bytes);
    Ok(RistrettoPoint::from_uniform_bytes(&uniform))
}
