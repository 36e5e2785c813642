//! `mpc-crypto`: the symmetric primitives under garbling and OT extension.
//!
//! # API
//! - [`Block`]: a 128-bit value (`#[repr(transparent)]` over `u128`, `Copy`, `Pod`),
//!   XOR/AND operators, [`Block::lsb`] (the colour bit), [`Block::from_bytes`] /
//!   [`Block::to_bytes`] (16 bytes, little-endian: the wire format), `Block::ZERO`.
//!   `==` is constant time (via `subtle`); `Debug` prints `Block(..)`.
//! - [`Delta`]: the garbler's free-XOR offset; every constructor forces lsb = 1
//!   ([`Delta::random`], [`Delta::from_block`]); redacted `Debug`; zeroized on drop.
//! - [`FixedKeyAes`]: AES-128 under the public [`aes::FIXED_KEY`] as a permutation `pi`
//!   ([`FixedKeyAes::global`] is the shared instance), with the hashes of
//!   Guo-Katz-Wang-Yu (eprint 2019/074): `cr(x) = pi(x)^x`, `ccr(x) = cr(sigma(x))`,
//!   `tccr(x, i) = pi(pi(x)^i) ^ pi(x)`, each also as an in-place batched `_many`
//!   function ([`FixedKeyAes::tccr_many`] takes a tweak closure, `tccr_many_with` a
//!   slice). Batches keep 8+ independent AES blocks in flight.
//! - Half-gates kernels for mpc-garble ([`FixedKeyAes::garble_and_gates`] /
//!   [`FixedKeyAes::eval_and_gates`] on label slots in place,
//!   [`FixedKeyAes::garble_half_gates`] / [`FixedKeyAes::eval_half_gates`] on pair
//!   slices), tables as bytes (32 per AND), see `gates.rs`.
//! - [`XorList`]: free-XOR gates `[a, b, out]` over label slots, run in order with one
//!   range check per run (mpc-garble's compiled schedules), see `xor_list.rs`.
//! - [`aes_backend`]: `"aes-ni"` or `"soft"`, whichever the `aes` crate picked at run
//!   time on this CPU; [`FixedKeyAes::kernel_name`]: which of our engines runs
//!   (`"vaes"`, `"aes-ni"` or `"portable"`).
//! - [`montgomery`]: Montgomery multiplication and squaring of L-limb integers (L a
//!   multiple of 8) with MULX/ADCX/ADOX, for mpc-native's Paillier exponentiations;
//!   `None` where the CPU lacks BMI2/ADX, so callers keep a portable path.
//! - [`Prg`]: AES-128-CTR under a secret seed producing [`Block`]s
//!   ([`Prg::fill_blocks`], [`Prg::random_block`]); also `RngCore + CryptoRng +
//!   SeedableRng` (seed = 16 bytes).
//! - [`transpose`]: the 128x128 bit-matrix transpose of OT extension (an AVX2 variant
//!   chosen at run time).
//! - [`chi`]: the KOS check's sums `sum chi_i b_i` and `sum chi_i r_i` with the
//!   coefficients `chi_i` (AES-CTR under the challenge seed) made in registers.
//! - [`columns`]: IKNP's 128 column PRGs in lock step, written tile by tile with the
//!   wire columns' XOR in the same pass (VAES on 512-bit registers, four columns per
//!   register, where the CPU has it).
//! - [`sha256::compress_lanes`]: the SHA-256 compression function of several
//!   independent messages at once (SHA-NI with the lanes interleaved, chosen at run
//!   time; portable otherwise), for mpc-auth's equality digest.
//! - [`prefetch`]: a cache-line prefetch hint for gathers (the bucketing of mpc-auth).
//! - [`thread_cpu_ns`]: the calling thread's CPU time, the one clock of the
//!   benchmarks (`benches/`, `mpc_garble::perf`) and the secagg simulation; here
//!   because every crate that measures depends on this one.
//!
//! **Internal crate** of the `mpc` workspace, not published: its API serves the
//! workspace's other crates and may change at any time. Applications use the `mpc`
//! crate's facade (`mpc::Program`, `mpc::Inputs`, `mpc::Outputs`, `mpc::Channel`).
//!
//! # Security notes
//! The fixed-key hashes assume AES-128 under a fixed public key behaves as a random
//! permutation (the ideal-permutation model of GKWY). The TCCR gives tweakable circular
//! correlation robustness as required by half-gates with free-XOR, provided a tweak is
//! never used twice with the same Delta; avoiding reuse is the caller's job (mpc-garble
//! derives tweaks from a per-session offset plus the gate index).
//!
//! The only `unsafe` in the workspace is here: a slice cast from `[Block]` to the `aes`
//! crate's block type (see `aes.rs`), unchecked label-slot indexing after one range
//! check per batch (`gates.rs`) or per run of an [`XorList`] (`xor_list.rs`), and the
//! fused kernels in `ni.rs` (x86-64: AES-NI on 128-bit registers, VAES on 256-bit
//! registers with the AES rounds in inline assembly;
//! used only after run-time detection of the instructions; each unsafe block carries
//! its justification), and the MULX/ADCX/ADOX Montgomery multiplication and squaring in
//! `montgomery.rs` (inline assembly over fixed-size arrays; every address depends on the
//! limb count only; used after detecting BMI2 and ADX), the call of the AVX2-compiled
//! transpose (`transpose.rs`, safe code compiled for AVX2, called after detecting it),
//! the column-PRG kernels of `columns.rs` and the check-sum kernel of `chi.rs` (VAES/AVX-512 on slices whose sizes are
//! checked before the call), and the cache prefetch hint [`prefetch`] (no memory access, cannot fault). The AES
//! kernels keep 16 blocks in flight through both AES layers of the TCCR; they are
//! tested bit-for-bit against the `aes` crate and the portable half-gates code.

pub mod aes;
mod block;
pub mod chi;
pub mod columns;
mod gates;
pub mod gf128;
pub mod montgomery;
#[cfg(target_arch = "x86_64")]
mod ni;
mod prg;
pub mod sha256;
pub mod transpose;
mod xor_list;

/// Hints the CPU to bring the cache line holding `x` into cache (x86-64 `prefetcht0`;
/// nothing elsewhere), for gathers whose addresses are known some iterations ahead.
/// A hint only: it never faults and changes no value.
#[inline(always)]
pub fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: `x` is a valid reference; a prefetch reads nothing architecturally and
    // cannot fault. SSE is part of the x86-64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(x as *const T as *const i8)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

pub use crate::aes::{aes_backend, FixedKeyAes};
pub use block::{Block, Delta};
pub use prg::Prg;
pub use xor_list::XorList;

/// Nanoseconds the calling thread has run on a CPU, from Linux's
/// `/proc/thread-self/schedstat` (safe code, no libc; `None` where that cannot be
/// read). On a shared, loaded machine this measures the work done rather than the
/// share of the CPU the scheduler granted.
pub fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Re-exported so users can name the traits `Block` implements.
pub use subtle;
