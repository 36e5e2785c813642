//! [`Block`], the 128-bit wire label / OT message, and [`Delta`], the global free-XOR offset.
//!
//! Guarantees: a `Block` is exactly 16 bytes (`#[repr(transparent)]` over `u128`, 16-byte
//! aligned on x86-64), `Pod`, and its byte encoding ([`Block::to_bytes`]) is little-endian
//! and platform independent. Equality (`==`) is implemented with `subtle` and runs in
//! constant time; `Debug` never prints the value. A [`Delta`] always has its least
//! significant bit set (the point-and-permute invariant) and is zeroized on drop.

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitXor, BitXorAssign};

use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 128-bit block: a garbled-circuit wire label, an OT message, a hash input or output.
///
/// Blocks are secrets in most uses, so `Debug` prints `Block(..)` and `==` is
/// constant time (it goes through [`ConstantTimeEq`]; a hand-written `PartialEq` rather
/// than a derived one, so that tests can still use `assert_eq!`). The in-memory layout
/// equals [`Block::to_bytes`] on little-endian targets, which is what the AES routines
/// rely on (see `aes.rs`).
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Block(u128);

impl Block {
    /// The all-zero block.
    pub const ZERO: Block = Block(0);
    /// The all-one block.
    pub const ONES: Block = Block(u128::MAX);
    /// The block whose only set bit is the lsb (the value 1).
    pub const ONE: Block = Block(1);

    /// Builds a block from its 16-byte little-endian encoding.
    #[inline(always)]
    pub const fn from_bytes(bytes: [u8; 16]) -> Block {
        Block(u128::from_le_bytes(bytes))
    }

    /// The 16-byte little-endian encoding (the wire format of labels and OT messages).
    #[inline(always)]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }

    /// Builds a block from a 128-bit integer (bit 0 of the integer is the lsb).
    #[inline(always)]
    pub const fn from_u128(v: u128) -> Block {
        Block(v)
    }

    /// The block as a 128-bit integer.
    #[inline(always)]
    pub const fn to_u128(self) -> u128 {
        self.0
    }

    /// The least significant bit: the point-and-permute (colour) bit of a label.
    #[inline(always)]
    pub const fn lsb(self) -> bool {
        (self.0 & 1) == 1
    }

    /// This block with its lsb set to `bit`.
    #[inline(always)]
    pub const fn with_lsb(self, bit: bool) -> Block {
        Block((self.0 & !1) | bit as u128)
    }

    /// All ones if `bit`, else zero: a branch-free select mask (`x & Block::mask(b)`).
    /// For bits the other party may see or that are public; a secret choice between
    /// two blocks goes through [`Block::xor_if`] (constant time behind `subtle`).
    #[inline(always)]
    pub const fn mask(bit: bool) -> Block {
        Block((bit as u128).wrapping_neg())
    }

    /// A uniformly random block.
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Block {
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        Block::from_bytes(b)
    }

    /// `self` if `bit` is false, `self ^ other` if true, in constant time.
    #[inline(always)]
    pub fn xor_if(self, other: Block, bit: Choice) -> Block {
        self ^ Block::conditional_select(&Block::ZERO, &other, bit)
    }

    /// The linear orthomorphism sigma(x_L || x_R) = (x_L ^ x_R) || x_L used by the CCR
    /// hash (Guo-Katz-Wang-Yu 2019/074, section 7.3); x_L is the high 64 bits.
    #[inline(always)]
    pub const fn sigma(self) -> Block {
        let hi = (self.0 >> 64) as u64;
        let lo = self.0 as u64;
        Block((((hi ^ lo) as u128) << 64) | hi as u128)
    }
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Block(..)")
    }
}

impl ConstantTimeEq for Block {
    #[inline]
    fn ct_eq(&self, other: &Block) -> Choice {
        // subtle's u128 comparison: one branch-free reduction and one optimisation
        // barrier, where comparing the 16 bytes went through sixteen.
        self.0.ct_eq(&other.0)
    }
}

impl ConditionallySelectable for Block {
    #[inline]
    fn conditional_select(a: &Block, b: &Block, choice: Choice) -> Block {
        Block(u128::conditional_select(&a.0, &b.0, choice))
    }
}

/// Constant-time equality (see the type's documentation for why `==` exists at all).
impl PartialEq for Block {
    #[inline]
    fn eq(&self, other: &Block) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Block {}

impl zeroize::DefaultIsZeroes for Block {}

impl From<[u8; 16]> for Block {
    #[inline(always)]
    fn from(b: [u8; 16]) -> Block {
        Block::from_bytes(b)
    }
}

impl From<Block> for [u8; 16] {
    #[inline(always)]
    fn from(b: Block) -> [u8; 16] {
        b.to_bytes()
    }
}

impl From<u128> for Block {
    #[inline(always)]
    fn from(v: u128) -> Block {
        Block(v)
    }
}

impl From<u64> for Block {
    #[inline(always)]
    fn from(v: u64) -> Block {
        Block(v as u128)
    }
}

impl From<Block> for u128 {
    #[inline(always)]
    fn from(b: Block) -> u128 {
        b.0
    }
}

impl BitXor for Block {
    type Output = Block;
    #[inline(always)]
    fn bitxor(self, rhs: Block) -> Block {
        Block(self.0 ^ rhs.0)
    }
}

impl BitXorAssign for Block {
    #[inline(always)]
    fn bitxor_assign(&mut self, rhs: Block) {
        self.0 ^= rhs.0;
    }
}

impl BitAnd for Block {
    type Output = Block;
    #[inline(always)]
    fn bitand(self, rhs: Block) -> Block {
        Block(self.0 & rhs.0)
    }
}

impl BitAndAssign for Block {
    #[inline(always)]
    fn bitand_assign(&mut self, rhs: Block) {
        self.0 &= rhs.0;
    }
}

/// The global free-XOR offset: a secret block whose lsb is always 1.
///
/// The label of bit `b` on a wire with zero-label `W0` is `W0 ^ b*Delta`; since
/// `Delta.lsb() == 1`, the two labels of a wire have different colour bits. Only the
/// garbler holds a `Delta`. It is not `Copy`, is zeroized on drop, and its `Debug` is
/// redacted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Delta(Block);

impl Delta {
    /// A uniformly random Delta (127 random bits, lsb forced to 1).
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Delta {
        Delta::from_block(Block::random(rng))
    }

    /// Wraps `b` with its lsb forced to 1 (e.g. a Delta agreed with correlated OT).
    pub fn from_block(b: Block) -> Delta {
        Delta(b.with_lsb(true))
    }

    /// The offset as a block (lsb is 1).
    #[inline(always)]
    pub fn as_block(&self) -> Block {
        self.0
    }
}

impl fmt::Debug for Delta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Delta(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha12Rng;

    #[test]
    fn bytes_roundtrip_and_lsb() {
        let mut bytes = [0u8; 16];
        bytes[0] = 1;
        bytes[15] = 0x80;
        let b = Block::from_bytes(bytes);
        assert!(b.lsb());
        assert_eq!(b.to_bytes(), bytes);
        assert_eq!(bytemuck::bytes_of(&b), &bytes[..], "memory layout is the LE encoding");
        assert!(!b.with_lsb(false).lsb());
        assert_eq!(core::mem::size_of::<Block>(), 16);
    }

    #[test]
    fn xor_and_eq() {
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        let a = Block::random(&mut rng);
        let b = Block::random(&mut rng);
        assert_eq!((a ^ b) ^ b, a);
        assert_ne!(a, b);
        assert_eq!(a & Block::ZERO, Block::ZERO);
        assert_eq!(a.xor_if(b, Choice::from(0)), a);
        assert_eq!(a.xor_if(b, Choice::from(1)), a ^ b);
        assert_eq!(format!("{a:?}"), "Block(..)");
    }

    #[test]
    fn delta_has_lsb_set() {
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        for _ in 0..64 {
            assert!(Delta::random(&mut rng).as_block().lsb());
        }
        assert!(Delta::from_block(Block::ZERO).as_block().lsb());
        assert_eq!(format!("{:?}", Delta::from_block(Block::ONES)), "Delta(..)");
    }

    #[test]
    fn sigma_is_linear_orthomorphism() {
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        let a = Block::random(&mut rng);
        let b = Block::random(&mut rng);
        assert_eq!((a ^ b).sigma(), a.sigma() ^ b.sigma());
        // sigma(x) ^ x is also a permutation: check it is not the identity-ish zero map.
        assert_ne!(a.sigma() ^ a, Block::ZERO);
    }
}
