//! AES-128 encryption (FIPS-197) as a circuit.
//!
//! Word convention (the published Bristol Fashion `aes_128.txt`'s): a 128-bit key or
//! block is the big-endian integer of its 16 bytes, so byte `k` (FIPS order, byte 0
//! first) is bits `8*(15-k) .. 8*(15-k)+8` of the word, least significant bit first,
//! and wire 0 is the lowest bit of the LAST byte.
//!
//! The S-box is Boyar and Peralta's 115-gate circuit with 32 AND gates (see
//! [`sbox`]; their depth-16 variant needs 34 AND, so the smaller one is used). The
//! key schedule has 40 S-boxes (1,280 AND) and the 10 rounds 160 (5,120 AND): 6,400
//! AND with the key schedule in the circuit, 5,120 with an expanded key as input.
//! ShiftRows, MixColumns and AddRoundKey are XOR only.

use crate::builder::{Bit, Builder, Word};

type Byte = [Bit; 8];

/// The AES S-box on one byte (bit 0 least significant): 32 AND, 83 XOR/XNOR.
///
/// The 115-gate circuit (32 AND, 83 XOR/XNOR) of Boyar and Peralta ("A new
/// combinational logic minimization technique with applications to cryptology",
/// SEA 2010; Boyar, Matthews and Peralta, J. Cryptology 26(2), 2013), written out
/// from its published equations and checked here on all 256 inputs. `U0` is the most significant input bit, `S0` the most significant
/// output bit.
pub fn sbox(b: &mut Builder, x: Byte) -> Byte {
    let u: [Bit; 8] = std::array::from_fn(|i| x[7 - i]);
    let mut xo = |p: Bit, q: Bit| b.xor(p, q);
    // Top linear layer (23 XOR).
    let y14 = xo(u[3], u[5]);
    let y13 = xo(u[0], u[6]);
    let y9 = xo(u[0], u[3]);
    let y8 = xo(u[0], u[5]);
    let t0 = xo(u[1], u[2]);
    let y1 = xo(t0, u[7]);
    let y4 = xo(y1, u[3]);
    let y12 = xo(y13, y14);
    let y2 = xo(y1, u[0]);
    let y5 = xo(y1, u[6]);
    let y3 = xo(y5, y8);
    let t1 = xo(u[4], y12);
    let y15 = xo(t1, u[5]);
    let y20 = xo(t1, u[1]);
    let y6 = xo(y15, u[7]);
    let y10 = xo(y15, t0);
    let y11 = xo(y20, y9);
    let y7 = xo(u[7], y11);
    let y17 = xo(y10, y11);
    let y19 = xo(y10, y8);
    let y16 = xo(t0, y11);
    let y21 = xo(y13, y16);
    let y18 = xo(u[0], y16);
    // Non-linear middle (32 AND).
    let t2 = b.and(y12, y15);
    let t3 = b.and(y3, y6);
    let t4 = b.xor(t3, t2);
    let t5 = b.and(y4, u[7]);
    let t6 = b.xor(t5, t2);
    let t7 = b.and(y13, y16);
    let t8 = b.and(y5, y1);
    let t9 = b.xor(t8, t7);
    let t10 = b.and(y2, y7);
    let t11 = b.xor(t10, t7);
    let t12 = b.and(y9, y11);
    let t13 = b.and(y14, y17);
    let t14 = b.xor(t13, t12);
    let t15 = b.and(y8, y10);
    let t16 = b.xor(t15, t12);
    let t17 = b.xor(t4, t14);
    let t18 = b.xor(t6, t16);
    let t19 = b.xor(t9, t14);
    let t20 = b.xor(t11, t16);
    let t21 = b.xor(t17, y20);
    let t22 = b.xor(t18, y19);
    let t23 = b.xor(t19, y21);
    let t24 = b.xor(t20, y18);
    let t25 = b.xor(t21, t22);
    let t26 = b.and(t21, t23);
    let t27 = b.xor(t24, t26);
    let t28 = b.and(t25, t27);
    let t29 = b.xor(t28, t22);
    let t30 = b.xor(t23, t24);
    let t31 = b.xor(t22, t26);
    let t32 = b.and(t31, t30);
    let t33 = b.xor(t32, t24);
    let t34 = b.xor(t23, t33);
    let t35 = b.xor(t27, t33);
    let t36 = b.and(t24, t35);
    let t37 = b.xor(t36, t34);
    let t38 = b.xor(t27, t36);
    let t39 = b.and(t29, t38);
    let t40 = b.xor(t25, t39);
    let t41 = b.xor(t40, t37);
    let t42 = b.xor(t29, t33);
    let t43 = b.xor(t29, t40);
    let t44 = b.xor(t33, t37);
    let t45 = b.xor(t42, t41);
    let z0 = b.and(t44, y15);
    let z1 = b.and(t37, y6);
    let z2 = b.and(t33, u[7]);
    let z3 = b.and(t43, y16);
    let z4 = b.and(t40, y1);
    let z5 = b.and(t29, y7);
    let z6 = b.and(t42, y11);
    let z7 = b.and(t45, y17);
    let z8 = b.and(t41, y10);
    let z9 = b.and(t44, y12);
    let z10 = b.and(t37, y3);
    let z11 = b.and(t33, y4);
    let z12 = b.and(t43, y13);
    let z13 = b.and(t40, y5);
    let z14 = b.and(t29, y2);
    let z15 = b.and(t42, y9);
    let z16 = b.and(t45, y14);
    let z17 = b.and(t41, y8);
    // Bottom linear layer (30 XOR/XNOR).
    let mut xo = |p: Bit, q: Bit| b.xor(p, q);
    let t46 = xo(z15, z16);
    let t47 = xo(z10, z11);
    let t48 = xo(z5, z13);
    let t49 = xo(z9, z10);
    let t50 = xo(z2, z12);
    let t51 = xo(z2, z5);
    let t52 = xo(z7, z8);
    let t53 = xo(z0, z3);
    let t54 = xo(z6, z7);
    let t55 = xo(z16, z17);
    let t56 = xo(z12, t48);
    let t57 = xo(t50, t53);
    let t58 = xo(z4, t46);
    let t59 = xo(z3, t54);
    let t60 = xo(t46, t57);
    let t61 = xo(z14, t57);
    let t62 = xo(t52, t58);
    let t63 = xo(t49, t58);
    let t64 = xo(z4, t59);
    let t65 = xo(t61, t62);
    let t66 = xo(z1, t63);
    let s0 = xo(t59, t63);
    let s6 = xo(t56, t62); // XNOR below
    let s7 = xo(t48, t60); // XNOR below
    let t67 = xo(t64, t65);
    let s3 = xo(t53, t66);
    let s4 = xo(t51, t66);
    let s5 = xo(t47, t65);
    let s1 = xo(t64, s3); // XNOR below
    let s2 = xo(t55, t67); // XNOR below
    let s1 = b.inv(s1);
    let s2 = b.inv(s2);
    let s6 = b.inv(s6);
    let s7 = b.inv(s7);
    // S0 is the most significant bit.
    [s7, s6, s5, s4, s3, s2, s1, s0]
}

/// Byte `k` (FIPS order) of a 128-bit word.
fn byte(w: &Word, k: usize) -> Byte {
    let base = 8 * (15 - k);
    std::array::from_fn(|i| w.bit(base + i))
}

/// The 128-bit word of 16 bytes in FIPS order.
fn word(bytes: &[Byte; 16]) -> Word {
    let mut bits = vec![Bit::ZERO; 128];
    for (k, by) in bytes.iter().enumerate() {
        bits[8 * (15 - k)..8 * (15 - k) + 8].copy_from_slice(by);
    }
    Word::from_bits(bits)
}

fn xor_byte(b: &mut Builder, x: Byte, y: Byte) -> Byte {
    std::array::from_fn(|i| b.xor(x[i], y[i]))
}

fn const_byte(v: u8) -> Byte {
    std::array::from_fn(|i| Bit::Const((v >> i) & 1 == 1))
}

/// Multiplication by x in GF(2^8) (free).
fn xtime(b: &mut Builder, x: Byte) -> Byte {
    let hi = x[7];
    let mut out = [Bit::ZERO; 8];
    out[0] = hi;
    out[1..8].copy_from_slice(&x[..7]);
    // Reduce by 0x1b = bits 0, 1, 3, 4.
    for i in [1usize, 3, 4] {
        out[i] = b.xor(out[i], hi);
    }
    out
}

fn check_width(name: &str, w: &Word) {
    assert_eq!(w.width(), 128, "{name} must be 128 bits");
}

/// The 11 round keys of AES-128, each a 128-bit word in the module's convention
/// (40 S-boxes: 1,280 AND).
pub fn aes128_key_schedule(b: &mut Builder, key: &Word) -> Vec<Word> {
    check_width("aes128 key", key);
    const RCON: [u8; 10] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];
    // w[i] is 4 bytes.
    let mut w: Vec<[Byte; 4]> = (0..4).map(|i| std::array::from_fn(|j| byte(key, 4 * i + j))).collect();
    for i in 4..44 {
        let mut temp = w[i - 1];
        if i % 4 == 0 {
            let rot = [temp[1], temp[2], temp[3], temp[0]];
            temp = rot.map(|x| sbox(b, x));
            temp[0] = xor_byte(b, temp[0], const_byte(RCON[i / 4 - 1]));
        }
        let prev = w[i - 4];
        let next: [Byte; 4] = std::array::from_fn(|j| xor_byte(b, prev[j], temp[j]));
        w.push(next);
    }
    (0..11)
        .map(|r| {
            let bytes: [Byte; 16] = std::array::from_fn(|k| w[4 * r + k / 4][k % 4]);
            word(&bytes)
        })
        .collect()
}

/// AES-128 of `block` under an expanded key (11 round keys of 128 bits): 5,120 AND.
pub fn aes128_expanded(b: &mut Builder, round_keys: &[Word], block: &Word) -> Word {
    assert_eq!(round_keys.len(), 11, "AES-128 needs 11 round keys");
    check_width("aes128 block", block);
    round_keys.iter().for_each(|k| check_width("aes128 round key", k));
    let mut s: [Byte; 16] = std::array::from_fn(|k| byte(block, k));
    let add_key = |b: &mut Builder, s: &mut [Byte; 16], key: &Word| {
        for (k, by) in s.iter_mut().enumerate() {
            *by = xor_byte(b, *by, byte(key, k));
        }
    };
    add_key(b, &mut s, &round_keys[0]);
    for (round, key) in round_keys.iter().enumerate().skip(1) {
        // SubBytes.
        for by in s.iter_mut() {
            *by = sbox(b, *by);
        }
        // ShiftRows: byte (row r, column c) = index r + 4c takes the byte at column c + r.
        let old = s;
        for c in 0..4 {
            for r in 0..4 {
                s[r + 4 * c] = old[r + 4 * ((c + r) % 4)];
            }
        }
        // MixColumns (not in the last round).
        if round < 10 {
            for c in 0..4 {
                let a: [Byte; 4] = std::array::from_fn(|r| s[r + 4 * c]);
                let t01 = xor_byte(b, a[0], a[1]);
                let t23 = xor_byte(b, a[2], a[3]);
                let t = xor_byte(b, t01, t23);
                for r in 0..4 {
                    // b_r = a_r ^ t ^ xtime(a_r ^ a_{r+1}).
                    let d = xor_byte(b, a[r], a[(r + 1) % 4]);
                    let x2 = xtime(b, d);
                    let v = xor_byte(b, a[r], t);
                    s[r + 4 * c] = xor_byte(b, v, x2);
                }
            }
        }
        add_key(b, &mut s, key);
    }
    word(&s)
}

/// AES-128 of `block` under `key`, the key schedule in the circuit: 6,400 AND.
pub fn aes128(b: &mut Builder, key: &Word, block: &Word) -> Word {
    let keys = aes128_key_schedule(b, key);
    aes128_expanded(b, &keys, block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, run};

    /// The AES S-box from its definition (inverse in GF(2^8), then the affine map).
    fn sbox_ref(x: u8) -> u8 {
        let mul = |mut a: u8, mut b: u8| {
            let mut p = 0u8;
            while b != 0 {
                if b & 1 == 1 {
                    p ^= a;
                }
                let hi = a & 0x80;
                a <<= 1;
                if hi != 0 {
                    a ^= 0x1b;
                }
                b >>= 1;
            }
            p
        };
        let inv = if x == 0 { 0 } else { (1..=255u8).find(|&y| mul(x, y) == 1).unwrap_or(0) };
        let mut s = inv;
        for k in 1..5 {
            s ^= inv.rotate_left(k);
        }
        s ^ 0x63
    }

    #[test]
    fn sbox_is_exact_with_32_and() {
        let (c, ands) = build(&[8], |b, w| {
            let x: Byte = std::array::from_fn(|i| w[0].bit(i));
            vec![Word::from_bits(sbox(b, x).to_vec())]
        });
        assert_eq!(ands, 32);
        for x in 0..=255u8 {
            assert_eq!(run(&c, &[u128::from(x)])[0], u128::from(sbox_ref(x)), "S({x:#x})");
        }
    }

    #[test]
    fn fips197_appendix_c1_and_counts() {
        let (c, ands) = build(&[128, 128], |b, w| vec![aes128(b, &w[0], &w[1])]);
        assert_eq!(ands, 6400);
        let key = 0x000102030405060708090a0b0c0d0e0f_u128;
        let pt = 0x00112233445566778899aabbccddeeff_u128;
        assert_eq!(run(&c, &[key, pt])[0], 0x69c4e0d86a7b0430d8cdb78070b4c55a);
        // Expanded key: the schedule evaluated on its own, then 5,120 AND for the rounds.
        let (ks, ks_ands) = build(&[128], |b, w| aes128_key_schedule(b, &w[0]));
        assert_eq!(ks_ands, 1280);
        let round_keys = run(&ks, &[key]);
        let (c2, ands2) = build(&[128; 12], |b, w| vec![aes128_expanded(b, &w[..11], &w[11])]);
        assert_eq!(ands2, 5120);
        let mut inputs = round_keys;
        inputs.push(pt);
        assert_eq!(run(&c2, &inputs)[0], 0x69c4e0d86a7b0430d8cdb78070b4c55a);
        // FIPS-197 Appendix A.1: the last round key of 2b7e1516...
        let last = run(&ks, &[0x2b7e151628aed2a6abf7158809cf4f3c])[10];
        assert_eq!(last, 0xd014f9a8c9ee2589e13f0cc8b6630ca6);
    }
}
