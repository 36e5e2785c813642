//! The SHA-256 compression function (FIPS 180-4) as a circuit.
//!
//! Convention (the published Bristol Fashion `sha256.txt`'s, checked by its
//! known-answer vectors): the 512-bit block and the 256-bit chaining value are the
//! big-endian integers of their bytes, so message word `W_i` is bits
//! `480-32i .. 512-32i` of the block and state word `H_i` bits `224-32i .. 256-32i`
//! of the state. The output is the next chaining value in the same layout.
//!
//! Cost: every 32-bit addition is a ripple-carry adder (31 AND; adding a round
//! constant `K_t` first saves its trailing zero bits and one more, since the carry
//! chain starts with a constant); `Ch` and `Maj` are one AND per bit
//! (`g ^ (e & (f ^ g))`, `a ^ ((a ^ b) & (a ^ c))`). 600 additions (18,600 AND) and
//! 128 32-bit `Ch`/`Maj` (4,096) less 123 saved on the constants: 22,573 AND, exactly
//! the published circuit's count (the unit test pins it).

use super::arith::add;
use super::shift::rotr_const;
use crate::builder::{Builder, Word};

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The SHA-256 initial chaining value as a 256-bit constant in this module's layout.
pub fn initial_state() -> Word {
    const IV: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut bits = Vec::with_capacity(256);
    for &h in IV.iter().rev() {
        bits.extend(Word::constant(u128::from(h), 32).into_bits());
    }
    Word::from_bits(bits)
}

fn xor3(b: &mut Builder, x: &Word, y: &Word, z: &Word) -> Word {
    let t = super::xor(b, x, y);
    super::xor(b, &t, z)
}

fn big_sigma0(b: &mut Builder, x: &Word) -> Word {
    xor3(b, &rotr_const(x, 2), &rotr_const(x, 13), &rotr_const(x, 22))
}

fn big_sigma1(b: &mut Builder, x: &Word) -> Word {
    xor3(b, &rotr_const(x, 6), &rotr_const(x, 11), &rotr_const(x, 25))
}

fn small_sigma0(b: &mut Builder, x: &Word) -> Word {
    xor3(b, &rotr_const(x, 7), &rotr_const(x, 18), &super::shift::lshr_const(x, 3))
}

fn small_sigma1(b: &mut Builder, x: &Word) -> Word {
    xor3(b, &rotr_const(x, 17), &rotr_const(x, 19), &super::shift::lshr_const(x, 10))
}

/// `Ch(e, f, g) = g ^ (e & (f ^ g))` (32 AND).
fn ch(b: &mut Builder, e: &Word, f: &Word, g: &Word) -> Word {
    let d = super::xor(b, f, g);
    let m = super::and(b, e, &d);
    super::xor(b, g, &m)
}

/// `Maj(a, b, c) = a ^ ((a ^ b) & (a ^ c))` (32 AND).
fn maj(bl: &mut Builder, a: &Word, b: &Word, c: &Word) -> Word {
    let p = super::xor(bl, a, b);
    let q = super::xor(bl, a, c);
    let m = super::and(bl, &p, &q);
    super::xor(bl, a, &m)
}

/// One SHA-256 compression: the next chaining value from `state` (256 bits) and one
/// padded message `block` (512 bits), in the module's layout.
pub fn sha256_compress(b: &mut Builder, state: &Word, block: &Word) -> Word {
    assert_eq!(state.width(), 256, "sha256 state must be 256 bits");
    assert_eq!(block.width(), 512, "sha256 block must be 512 bits");
    let mut w: Vec<Word> = (0..16).map(|i| block.slice(480 - 32 * i..512 - 32 * i)).collect();
    for t in 16..64 {
        let s1 = small_sigma1(b, &w[t - 2]);
        let s0 = small_sigma0(b, &w[t - 15]);
        let x = add(b, &s1, &w[t - 7]);
        let y = add(b, &s0, &w[t - 16]);
        w.push(add(b, &x, &y));
    }
    let h_in: Vec<Word> = (0..8).map(|i| state.slice(224 - 32 * i..256 - 32 * i)).collect();
    let [mut a, mut bb, mut c, mut d, mut e, mut f, mut g, mut h]: [Word; 8] =
        std::array::from_fn(|i| h_in[i].clone());
    for (t, wt) in w.iter().enumerate() {
        // Adding the constant first lets the builder fold the start of its carry chain.
        let hk = add(b, &h, &Word::constant(u128::from(K[t]), 32));
        let hkw = add(b, &hk, wt);
        let s1 = big_sigma1(b, &e);
        let chv = ch(b, &e, &f, &g);
        let u = add(b, &s1, &chv);
        let t1 = add(b, &hkw, &u);
        let s0 = big_sigma0(b, &a);
        let mj = maj(b, &a, &bb, &c);
        let t2 = add(b, &s0, &mj);
        h = g;
        g = f;
        f = e;
        e = add(b, &d, &t1);
        d = c;
        c = bb;
        bb = a;
        a = add(b, &t1, &t2);
    }
    let out = [a, bb, c, d, e, f, g, h];
    let mut bits = Vec::with_capacity(256);
    for i in (0..8).rev() {
        bits.extend(add(b, &h_in[i], &out[i]).into_bits());
    }
    Word::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::PartyId;
    use crate::eval::eval_groups;

    fn to_bits(bytes: &[u8]) -> Vec<bool> {
        // Big-endian integer of the bytes, least significant bit first.
        bytes.iter().rev().flat_map(|&by| (0..8).map(move |i| (by >> i) & 1 == 1)).collect()
    }

    fn from_bits(bits: &[bool]) -> Vec<u8> {
        bits.chunks(8)
            .rev()
            .map(|c| c.iter().enumerate().fold(0u8, |a, (i, &v)| a | (u8::from(v) << i)))
            .collect()
    }

    #[test]
    fn abc_and_count() {
        let mut b = Builder::new(&["a", "b"]);
        let block = b.input(PartyId(0), "block", 512);
        let state = b.input(PartyId(1), "state", 256);
        let out = sha256_compress(&mut b, &state, &block);
        let ands = b.and_count();
        assert!(ands <= 22_573, "{ands} AND");
        assert_eq!(ands, 22_573);
        b.output("next", &out);
        let c = b.finish().unwrap();
        let mut msg = [0u8; 64];
        msg[..3].copy_from_slice(b"abc");
        msg[3] = 0x80;
        msg[63] = 24;
        let iv: Vec<bool> = initial_state().bits().iter().map(|v| v.as_const().unwrap()).collect();
        let out = eval_groups(&c, &[to_bits(&msg), iv]).unwrap();
        let digest = from_bits(&out[0]);
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let got: String = digest.iter().map(|x| format!("{x:02x}")).collect();
        assert_eq!(got, want);
    }
}
