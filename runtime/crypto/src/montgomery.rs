//! Montgomery multiplication of multi-limb integers with the x86-64 MULX / ADCX / ADOX
//! instructions (BMI2 + ADX), for the big-modulus exponentiations of mpc-native's Paillier.
//!
//! [`mont_mul`] computes T = a b R^-1 (mod m) with R = 2^(64 L) by the coarsely integrated
//! operand scanning method (CIOS, Koc-Acar-Kaliski 1996): for each limb b_i, one pass adds
//! a b_i into the accumulator and a second pass adds u m with u = t_0 (-m^-1) mod 2^64,
//! which clears the low limb. Each pass keeps two independent carry chains, ADCX for the
//! low halves of the limb products and ADOX for the high halves, so that a product and
//! its additions issue about once per cycle. Instead of shifting the accumulator by a limb
//! after each b_i, the passes write into a window that slides one limb up a 2L + 1 limb
//! buffer.
//!
//! Invariants:
//! - For a, b < m (odd m, m_inv = -m^-1 mod 2^64) the result T < 2m comes back as its low
//!   L limbs and a top bit; the caller does the final conditional subtraction. Every pass
//!   bound: before pass i the window holds a value below 2m < 2 R, so it fits L + 1 limbs,
//!   and after both passes of i it is below 2mW (W = 2^64), so L + 2 limbs suffice.
//! - Memory safety does not depend on the values: every address the assembly touches is a
//!   function of L alone (the buffer is 3L >= 2L + 1 limbs; the window for b_i covers limbs
//!   i ..= i + L + 1 <= 2L).
//! - Constant time: the instruction sequence depends on L only; no branch and no address
//!   depends on a, b or m.
//! - Used only after run-time detection of BMI2 and ADX ([`available`]); elsewhere callers
//!   keep their portable code.
#![allow(unsafe_code)]

use zeroize::Zeroize;

/// Whether [`mont_mul`] runs for L-limb operands on this CPU: x86-64 with BMI2 and ADX,
/// and L a positive multiple of 8 (the assembly handles eight limbs per loop step).
pub fn available<const L: usize>() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        L > 0 && L.is_multiple_of(8) && has!("bmi2") && has!("adx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// T = a b R^-1 mod m up to one subtraction of m: returns T's low L limbs and its top bit
/// (T < 2m when a, b < m), or `None` where [`available`] is false.
/// Limbs are little-endian; `m` must be odd and `m_inv` = -m^-1 mod 2^64.
pub fn mont_mul<const L: usize>(
    a: &[u64; L],
    b: &[u64; L],
    m: &[u64; L],
    m_inv: u64,
) -> Option<([u64; L], u64)> {
    if !available::<L>() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        Some(cios_adx(a, b, m, m_inv))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, b, m, m_inv);
        None
    }
}

/// T = a^2 R^-1 mod m up to one subtraction of m, as [`mont_mul`] with b = a but with
/// each off-diagonal product computed once (about 3/4 of the limb products).
pub fn mont_sqr<const L: usize>(a: &[u64; L], m: &[u64; L], m_inv: u64) -> Option<([u64; L], u64)> {
    if !available::<L>() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        Some(sqr_adx(a, m, m_inv))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, m, m_inv);
        None
    }
}

/// One limb of a pass: t[k] += lo(x[k] rdx) (CF chain) + hi of the previous limb (OF chain).
/// `$hi` receives this limb's high half; `$prev` holds the previous limb's.
#[cfg(target_arch = "x86_64")]
macro_rules! limb {
    ($off:literal, $hi:literal, $prev:literal) => {
        concat!(
            "mulx ",
            $hi,
            ", r8, qword ptr [rsi + ",
            $off,
            "]\n",
            "adcx r8, qword ptr [rdi + ",
            $off,
            "]\n",
            "adox r8, ",
            $prev,
            "\n",
            "mov qword ptr [rdi + ",
            $off,
            "], r8\n",
        )
    };
}

/// The loop over whole 8-limb steps of a pass (rcx of them, possibly none): continues the
/// pass started by the caller (CF, OF and the previous high half in rax live), advancing
/// rsi and rdi. The loop is controlled by LEA and JRCXZ, which leave CF and OF untouched.
#[cfg(target_arch = "x86_64")]
macro_rules! steps {
    ($top:literal, $done:literal) => {
        concat!(
            "jmp ",
            $done,
            "f\n",
            $top,
            ":\n",
            limb!("0", "r9", "rax"),
            limb!("8", "rax", "r9"),
            limb!("16", "r9", "rax"),
            limb!("24", "rax", "r9"),
            limb!("32", "r9", "rax"),
            limb!("40", "rax", "r9"),
            limb!("48", "r9", "rax"),
            limb!("56", "rax", "r9"),
            "lea rsi, [rsi + 64]\n",
            "lea rdi, [rdi + 64]\n",
            "lea rcx, [rcx - 1]\n",
            // The test sits at the bottom (JRCXZ reaches only 127 bytes).
            $done,
            ":\n",
            "jrcxz ",
            $done,
            "9f\n",
            "jmp ",
            $top,
            "b\n",
            $done,
            "9:\n",
        )
    };
}

/// One pass: t[0..L] += x * rdx with x at rsi and the window t at rdi, carries into t[L]
/// and t[L + 1]. Leaves rsi and rdi advanced by 8L bytes.
#[cfg(target_arch = "x86_64")]
macro_rules! pass {
    ($top:literal, $done:literal) => {
        concat!(
            "xor eax, eax\n", // previous high half = 0; clears CF and OF
            "mov rcx, {blocks}\n",
            steps!($top, $done),
            // t[L] += last high half + CF + OF; t[L + 1] += the carries out of that.
            "adcx rax, qword ptr [rdi]\n",
            "adox rax, r11\n",
            "mov qword ptr [rdi], rax\n",
            "mov r9, qword ptr [rdi + 8]\n",
            "adcx r9, r11\n",
            "adox r9, r11\n",
            "mov qword ptr [rdi + 8], r9\n",
        )
    };
}

/// One limb of a squaring row's head, as [`limb!`] but with the high half always moved to
/// rax (the heads have from 0 to 7 limbs, so the register parity is not fixed).
#[cfg(target_arch = "x86_64")]
macro_rules! head_limb {
    ($off:literal) => {
        concat!(limb!($off, "r9", "rax"), "mov rax, r9\n")
    };
}

/// Row i = 8I + k of the squaring's off-diagonal triangle: t[2i + 1 ..= i + L - 1] +=
/// a[i + 1 .. L] * a[i], and t[i + L] (still zero) = the carry out. r12 = &a[8I],
/// r13 = &t[16I], r15 = L / 8 - 1 - I (whole 8-limb steps after the head). The head is
/// the 7 - k limbs left in block I; `$a` = 8k, `$a1` = 8k + 8, `$t` = 16k + 8 and
/// `$h8` = 8 (7 - k) are byte offsets.
#[cfg(target_arch = "x86_64")]
macro_rules! tri_row {
    ($a:literal, $a1:literal, $t:literal, $h8:literal, $top:literal, $done:literal; $($off:literal)*) => {
        concat!(
            "mov rdx, qword ptr [r12 + ", $a, "]\n",
            "lea rsi, [r12 + ", $a1, "]\n",
            "lea rdi, [r13 + ", $t, "]\n",
            "xor eax, eax\n",
            $(head_limb!($off),)*
            "lea rsi, [rsi + ", $h8, "]\n",
            "lea rdi, [rdi + ", $h8, "]\n",
            "mov rcx, r15\n",
            steps!($top, $done),
            // The row's value fits below position i + L + 1 (see `sqr_adx`).
            "adcx rax, r11\n",
            "adox rax, r11\n",
            "mov qword ptr [rdi], rax\n",
        )
    };
}

/// One step of the squaring's doubling: t[2i], t[2i + 1] = 2 (t[2i], t[2i + 1]) + a[i]^2
/// with the doubling on the CF chain and the square on the OF chain.
#[cfg(target_arch = "x86_64")]
macro_rules! double_limb {
    ($a:literal, $t0:literal, $t1:literal) => {
        concat!(
            "mov rdx, qword ptr [rsi + ",
            $a,
            "]\n",
            "mulx r9, r8, rdx\n",
            "mov rax, qword ptr [rdi + ",
            $t0,
            "]\n",
            "adcx rax, rax\n",
            "adox rax, r8\n",
            "mov qword ptr [rdi + ",
            $t0,
            "], rax\n",
            "mov rax, qword ptr [rdi + ",
            $t1,
            "]\n",
            "adcx rax, rax\n",
            "adox rax, r9\n",
            "mov qword ptr [rdi + ",
            $t1,
            "], rax\n",
        )
    };
}

#[cfg(target_arch = "x86_64")]
fn cios_adx<const L: usize>(a: &[u64; L], b: &[u64; L], m: &[u64; L], m_inv: u64) -> ([u64; L], u64) {
    // 3L contiguous limbs, zero: the sliding window needs 2L + 1 (see the module docs).
    let mut buf = [[0u64; L]; 3];
    // SAFETY: the caller checked BMI2 and ADX (`available`), and L is a positive multiple
    // of 8, so each pass runs L / 8 whole loop steps. Reads: a, m and b over exactly L
    // limbs each; reads and writes: buf limbs 0 ..= 2L < 3L (module docs). All pointers
    // come from live references of those sizes; the registers named are declared
    // clobbered; the block does not touch the stack.
    unsafe {
        core::arch::asm!(
            "2:",
            "mov rdx, qword ptr [r14]",
            "mov rsi, r12",
            pass!("3", "4"),
            "sub rdi, {bytes}",
            "mov rdx, qword ptr [rdi]",
            "imul rdx, r10",
            "mov rsi, r13",
            pass!("5", "6"),
            "sub rdi, {bytes_less_one}",
            "add r14, 8",
            "dec r15",
            "jnz 2b",
            blocks = const L / 8,
            bytes = const 8 * L,
            bytes_less_one = const (8 * L).saturating_sub(8),
            in("r12") a.as_ptr(),
            in("r13") m.as_ptr(),
            inout("r14") b.as_ptr() => _,
            inout("rdi") buf.as_mut_ptr() as *mut u64 => _,
            inout("r15") L => _,
            in("r10") m_inv,
            in("r11") 0u64,
            out("rax") _,
            out("rcx") _,
            out("rdx") _,
            out("rsi") _,
            out("r8") _,
            out("r9") _,
            options(nostack),
        );
    }
    let out = (buf[1], buf[2][0]);
    buf.zeroize();
    out
}

/// a^2 in three phases over a 2L-limb buffer t, then Montgomery reduction:
/// 1. the off-diagonal triangle sum_{i<j} a_i a_j W^(i+j), row by row (row i adds
///    a[i+1..L] a_i at t[2i+1..]; a row's value is below W^(L-i) so its carry lands in the
///    still-zero t[i+L] and goes no further);
/// 2. t = 2t + sum a_i^2 W^(2i) (below W^(2L), so no carry leaves t);
/// 3. L reduction passes t += u m W^i with u = t_i (-m^-1) mod W; the carry out of pass i
///    is kept in r12 and added at position i + L + 1 by the next pass. T = t / R < 2m for
///    a < m, so the last carry is T's top bit.
#[cfg(target_arch = "x86_64")]
fn sqr_adx<const L: usize>(a: &[u64; L], m: &[u64; L], m_inv: u64) -> ([u64; L], u64) {
    let mut buf = [[0u64; L]; 3];
    let carry: u64;
    // SAFETY: BMI2 and ADX were checked (`available`) and L is a positive multiple of 8.
    // Reads a and m over exactly L limbs; reads and writes buf limbs 0 .. 2L < 3L: triangle
    // row i touches t[2i + 1 ..= i + L], the doubling t[0 .. 2L], reduction pass i
    // t[i ..= i + L] with i + L <= 2L - 1. Every address depends on L only. The registers
    // named are declared clobbered; the block does not touch the stack.
    unsafe {
        core::arch::asm!(
            // Phase 1: the triangle, one block of 8 rows per loop step.
            "mov r15, {blocks_less_one}",
            "20:",
            tri_row!("0", "8", "8", "56", "22", "23"; "0" "8" "16" "24" "32" "40" "48"),
            tri_row!("8", "16", "24", "48", "24", "25"; "0" "8" "16" "24" "32" "40"),
            tri_row!("16", "24", "40", "40", "26", "27"; "0" "8" "16" "24" "32"),
            tri_row!("24", "32", "56", "32", "28", "29"; "0" "8" "16" "24"),
            tri_row!("32", "40", "72", "24", "32", "33"; "0" "8" "16"),
            tri_row!("40", "48", "88", "16", "34", "35"; "0" "8"),
            tri_row!("48", "56", "104", "8", "36", "37"; "0"),
            tri_row!("56", "64", "120", "0", "38", "39";),
            "add r12, 64",
            "add r13, 128",
            "sub r15, 1",
            "jns 20b",
            // Phase 2: double and add the squares, four limbs of a per loop step.
            "sub r12, {bytes}",
            "sub r13, {bytes2}",
            "mov rsi, r12",
            "mov rdi, r13",
            "mov rcx, {quads}",
            "xor eax, eax",
            "42:",
            double_limb!("0", "0", "8"),
            double_limb!("8", "16", "24"),
            double_limb!("16", "32", "40"),
            double_limb!("24", "48", "56"),
            "lea rsi, [rsi + 32]",
            "lea rdi, [rdi + 64]",
            "lea rcx, [rcx - 1]",
            "jrcxz 43f",
            "jmp 42b",
            "43:",
            // Phase 3: reduction, one pass per limb.
            "mov rdi, r13",
            "xor r12d, r12d",
            "mov r15, {limbs}",
            "44:",
            "mov rdx, qword ptr [rdi]",
            "imul rdx, r10",
            "mov rsi, r14",
            "xor eax, eax",
            "mov rcx, {blocks}",
            steps!("45", "46"),
            "adcx rax, qword ptr [rdi]",
            "adox rax, r12",
            "mov qword ptr [rdi], rax",
            "mov r12, 0",
            "adcx r12, r11",
            "adox r12, r11",
            "sub rdi, {bytes_less_one}",
            "dec r15",
            "jnz 44b",
            blocks = const L / 8,
            blocks_less_one = const L.saturating_sub(8) / 8,
            quads = const L / 4,
            limbs = const L,
            bytes = const 8 * L,
            bytes2 = const 16 * L,
            bytes_less_one = const (8 * L).saturating_sub(8),
            inout("r12") a.as_ptr() => carry,
            inout("r13") buf.as_mut_ptr() as *mut u64 => _,
            in("r14") m.as_ptr(),
            in("r10") m_inv,
            in("r11") 0u64,
            out("r15") _,
            out("rax") _,
            out("rcx") _,
            out("rdx") _,
            out("rsi") _,
            out("rdi") _,
            out("r8") _,
            out("r9") _,
            options(nostack),
        );
    }
    let out = (buf[1], carry);
    buf.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// -m^-1 mod 2^64 by Newton's iteration.
    fn neg_inv(m0: u64) -> u64 {
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(inv)));
        }
        inv.wrapping_neg()
    }

    /// Reference: schoolbook a b, then word-by-word REDC; returns (low L limbs, top bit).
    fn reference<const L: usize>(a: &[u64; L], b: &[u64; L], m: &[u64; L]) -> ([u64; L], u64) {
        let mut t = vec![0u64; 2 * L + 1];
        for i in 0..L {
            let mut c = 0u128;
            for j in 0..L {
                let s = t[i + j] as u128 + (a[j] as u128) * (b[i] as u128) + c;
                t[i + j] = s as u64;
                c = s >> 64;
            }
            t[i + L] = c as u64;
        }
        let m_inv = neg_inv(m[0]);
        for i in 0..L {
            let u = t[i].wrapping_mul(m_inv);
            let mut c = 0u128;
            for j in 0..L {
                let s = t[i + j] as u128 + (u as u128) * (m[j] as u128) + c;
                t[i + j] = s as u64;
                c = s >> 64;
            }
            let mut k = i + L;
            while c != 0 {
                let s = t[k] as u128 + c;
                t[k] = s as u64;
                c = s >> 64;
                k += 1;
            }
        }
        let mut low = [0u64; L];
        low.copy_from_slice(&t[L..2 * L]);
        (low, t[2 * L])
    }

    /// A random value below m (top limb reduced below m's).
    fn below<const L: usize>(rng: &mut impl Rng, m: &[u64; L]) -> [u64; L] {
        let mut x = [0u64; L];
        rng.fill(&mut x[..]);
        x[L - 1] = if m[L - 1] == 0 { 0 } else { x[L - 1] % m[L - 1] };
        x
    }

    fn check<const L: usize>(seed: u64) {
        if !available::<L>() {
            eprintln!("no BMI2/ADX here: the portable path is tested by mpc-native");
            return;
        }
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        for case in 0..64 {
            let mut m = [0u64; L];
            rng.fill(&mut m[..]);
            m[0] |= 1;
            match case % 4 {
                0 => m[L - 1] |= 1 << 63, // full-size modulus
                1 => m = [u64::MAX; L],   // every limb all ones
                2 => m[L - 1] >>= 17,     // short modulus
                _ => {}
            }
            let (a, b) = match case % 8 {
                // the largest operands: m - 1 twice
                1 | 5 => {
                    let mut x = m;
                    x[0] -= 1;
                    (x, x)
                }
                3 => ([0u64; L], below(&mut rng, &m)),
                _ => (below(&mut rng, &m), below(&mut rng, &m)),
            };
            let got = mont_mul(&a, &b, &m, neg_inv(m[0])).expect("available");
            assert_eq!(got, reference(&a, &b, &m), "L = {L}, case {case}");
            assert!(got.1 <= 1);
            for x in [a, b] {
                let sq = mont_sqr(&x, &m, neg_inv(m[0])).expect("available");
                assert_eq!(sq, reference(&x, &x, &m), "square, L = {L}, case {case}");
            }
        }
    }

    #[test]
    fn matches_reference_redc() {
        check::<8>(1);
        check::<16>(2);
        check::<24>(3);
        check::<32>(4);
        check::<48>(5);
        check::<64>(6);
        check::<96>(7);
        check::<128>(8);
    }

    #[test]
    fn unsupported_sizes_decline() {
        let x = [1u64; 4];
        assert!(mont_mul(&x, &x, &x, 1).is_none());
        assert!(mont_sqr(&x, &x, 1).is_none());
        assert!(!available::<12>());
    }
}
