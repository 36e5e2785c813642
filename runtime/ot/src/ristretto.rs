//! What the two base-OT protocols over ristretto255 ([`crate::base`], Chou-Orlandi;
//! [`crate::endemic`], Masny-Rindal) share: uniform secret scalars, the scalar 1/2,
//! the checked decoding of a peer's point, and the split of a batch's point
//! arithmetic over the cores. Nothing here depends on which protocol runs.
//!
//! Guarantees: [`decode_point`] refuses non-canonical encodings and the identity as
//! [`OtError::InvalidPoint`]; [`par_ranges`] returns the outputs in index order
//! whatever the split, so a batch's result does not depend on the core count.

use curve25519_dalek_5::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek_5::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::error::{OtError, Result};

/// Most threads one batch of base OTs is split over.
pub const MAX_THREADS: usize = 4;
/// OTs per thread below which a batch is not split.
const MIN_PER_THREAD: usize = 16;

/// The cores this process may use, asked once: `available_parallelism` reads the
/// cgroup files on Linux (tens of microseconds, five times per batch of base OTs).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |c| c.get()))
}

/// `f` on contiguous shares of `0..n` (`f(range)` returns one output per index of its
/// range), on up to [`MAX_THREADS`] scoped threads (the first share on the calling
/// thread); the outputs in index order.
pub(crate) fn par_ranges<U: Send>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> Result<Vec<U>> + Sync,
) -> Result<Vec<U>> {
    let threads = cores().min(MAX_THREADS).min(n / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return f(0..n);
    }
    let share = n.div_ceil(threads);
    let ranges: Vec<_> = (0..threads).map(|t| t * share..((t + 1) * share).min(n)).collect();
    let f = &f;
    let parts: Vec<Result<Vec<U>>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges[1..].iter().map(|r| s.spawn(move || f(r.clone()))).collect();
        let mut parts = vec![f(ranges[0].clone())];
        for h in handles {
            // The closures return errors as values; a panic is passed on as it would
            // be without threads.
            parts.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        parts
    });
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// A uniform scalar: 64 bytes from `rng` reduced mod the group order (what dalek's own
/// `Scalar::random` does; dalek 5 takes rand_core 0.10 generators, this crate 0.6).
pub(crate) fn random_scalar<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<Scalar> {
    let mut wide = Zeroizing::new([0u8; 64]);
    rng.fill_bytes(&mut *wide);
    Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide))
}

/// The scalar 1/2 mod the group order `l`, that is `(l + 1) / 2` (public).
pub(crate) fn half() -> Scalar {
    const HALF: [u8; 32] = [
        247, 233, 122, 46, 141, 49, 9, 44, 107, 206, 123, 81, 239, 124, 111, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 8,
    ];
    Scalar::from_bytes_mod_order(HALF)
}

/// Decodes a peer's point, refusing non-canonical encodings and the identity.
pub(crate) fn decode_point(
    what: &'static str,
    index: usize,
    c: &CompressedRistretto,
) -> Result<RistrettoPoint> {
    let p = c.decompress().ok_or(OtError::InvalidPoint {
        what,
        index,
        reason: "not a canonical ristretto255 encoding",
    })?;
    if c.as_bytes() == &[0u8; 32] {
        return Err(OtError::InvalidPoint { what, index, reason: "the identity element" });
    }
    Ok(p)
}
