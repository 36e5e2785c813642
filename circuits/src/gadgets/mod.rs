//! The gadget library: circuits for arithmetic, comparison, selection, shifting,
//! counting, sorting, AES-128 and SHA-256, written against [`Builder`].
//!
//! Conventions shared by every gadget:
//! - words are least significant bit first, two's complement when signed;
//! - operands of a binary gadget have equal widths unless its docs say otherwise
//!   (a mismatch is API misuse and panics with an assertion);
//! - arithmetic wraps modulo `2^n` like Rust's `wrapping_*` methods;
//! - AND counts are the cost that matters (XOR and INV are free in garbling); each
//!   gadget's doc states its count for `n`-bit words with no constant inputs, and
//!   `docs/gates.md` compares them with published circuits. The builder's constant
//!   folding can only lower them.

use crate::builder::{Bit, Builder, Word};

pub mod aes;
pub mod arith;
pub mod cmp;
pub mod count;
pub mod div;
pub mod dp;
pub mod mul;
pub mod mux;
pub mod select;
pub mod sha256;
pub mod shift;
pub mod sort;

/// `!x`, bitwise (free).
pub fn not(b: &mut Builder, x: &Word) -> Word {
    Word::from_bits(x.bits().iter().map(|&v| b.inv(v)).collect())
}

/// `x ^ y`, bitwise (free).
pub fn xor(b: &mut Builder, x: &Word, y: &Word) -> Word {
    assert_eq!(x.width(), y.width(), "xor: operand widths differ");
    Word::from_bits(x.bits().iter().zip(y.bits()).map(|(&p, &q)| b.xor(p, q)).collect())
}

/// `x & y`, bitwise (n AND).
pub fn and(b: &mut Builder, x: &Word, y: &Word) -> Word {
    assert_eq!(x.width(), y.width(), "and: operand widths differ");
    Word::from_bits(x.bits().iter().zip(y.bits()).map(|(&p, &q)| b.and(p, q)).collect())
}

/// `x | y`, bitwise (n AND).
pub fn or(b: &mut Builder, x: &Word, y: &Word) -> Word {
    assert_eq!(x.width(), y.width(), "or: operand widths differ");
    Word::from_bits(x.bits().iter().zip(y.bits()).map(|(&p, &q)| b.or(p, q)).collect())
}

/// Every bit of `x` ANDed with `bit` (n AND).
pub fn and_bit(b: &mut Builder, bit: Bit, x: &Word) -> Word {
    Word::from_bits(x.bits().iter().map(|&v| b.and(bit, v)).collect())
}

/// Every bit of `x` XORed with `bit` (free).
pub fn xor_bit(b: &mut Builder, bit: Bit, x: &Word) -> Word {
    Word::from_bits(x.bits().iter().map(|&v| b.xor(bit, v)).collect())
}

/// The OR of all bits (n-1 AND; 0 for an empty word), as a balanced tree.
pub fn or_all(b: &mut Builder, x: &[Bit]) -> Bit {
    let inv: Vec<Bit> = x.iter().map(|&v| b.inv(v)).collect();
    let all = and_all(b, &inv);
    b.inv(all)
}

/// The AND of all bits (n-1 AND; 1 for an empty word), as a balanced tree.
pub fn and_all(b: &mut Builder, x: &[Bit]) -> Bit {
    match x.len() {
        0 => Bit::ONE,
        1 => x[0],
        n => {
            let l = and_all(b, &x[..n / 2]);
            let r = and_all(b, &x[n / 2..]);
            b.and(l, r)
        }
    }
}

/// Number of bits needed to write `n` in binary (at least 1).
pub fn bits_for(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()).max(1) as usize
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Building one-gadget circuits and evaluating them on `u128` values.
    use crate::builder::{Builder, Word};
    use crate::circuit::{Circuit, PartyId};
    use crate::eval::eval_u128;

    pub fn mask(w: usize) -> u128 {
        if w >= 128 {
            u128::MAX
        } else {
            (1u128 << w) - 1
        }
    }

    /// Sign-extends the low `w` bits of `v`.
    pub fn sext(v: u128, w: usize) -> i128 {
        if w >= 128 {
            v as i128
        } else {
            let shift = 128 - w;
            ((v << shift) as i128) >> shift
        }
    }

    /// A circuit with inputs of the given widths whose outputs are `f`'s words.
    pub fn build(widths: &[usize], f: impl FnOnce(&mut Builder, &[Word]) -> Vec<Word>) -> (Circuit, usize) {
        let mut b = Builder::new(&["a", "b"]);
        let inputs: Vec<Word> = widths
            .iter()
            .enumerate()
            .map(|(i, &w)| b.input(PartyId((i % 2) as u8), &format!("in{i}"), w))
            .collect();
        let outs = f(&mut b, &inputs);
        let ands = b.and_count();
        for (i, o) in outs.iter().enumerate() {
            b.output(&format!("out{i}"), o);
        }
        (b.finish().expect("gadget circuits are valid"), ands)
    }

    /// Evaluates with the inputs masked to their widths.
    pub fn run(c: &Circuit, inputs: &[u128]) -> Vec<u128> {
        let masked: Vec<u128> = c.inputs().iter().zip(inputs).map(|(g, &v)| v & mask(g.ty.width())).collect();
        eval_u128(c, &masked).expect("inputs match the circuit")
    }
}
