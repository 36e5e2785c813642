//! Comparisons. `<` is the carry out of `x + !y + 1` computed with one AND per bit
//! (n AND); signed comparison flips both sign bits first (free). Equality is an AND
//! tree over `!(x ^ y)` (n-1 AND).

use crate::builder::{Bit, Builder, Word};

/// Carry out of `x + !y + 1`, i.e. `x >= y` as unsigned (n AND).
fn geq_unsigned(b: &mut Builder, x: &[Bit], y: &[Bit]) -> Bit {
    let mut c = Bit::ONE;
    for (&xi, &yi) in x.iter().zip(y) {
        let nyi = b.inv(yi);
        let a = b.xor(xi, c);
        let d = b.xor(nyi, c);
        let m = b.and(a, d);
        c = b.xor(c, m);
    }
    c
}

fn operands(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> (Vec<Bit>, Vec<Bit>) {
    assert_eq!(x.width(), y.width(), "comparison: operand widths differ");
    let mut xs = x.bits().to_vec();
    let mut ys = y.bits().to_vec();
    if signed && !xs.is_empty() {
        let top = xs.len() - 1;
        xs[top] = b.inv(xs[top]);
        ys[top] = b.inv(ys[top]);
    }
    (xs, ys)
}

/// `x < y` (n AND).
pub fn lt(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Bit {
    let (xs, ys) = operands(b, x, y, signed);
    let ge = geq_unsigned(b, &xs, &ys);
    b.inv(ge)
}

/// `x >= y` (n AND).
pub fn ge(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Bit {
    let (xs, ys) = operands(b, x, y, signed);
    geq_unsigned(b, &xs, &ys)
}

/// `x > y` (n AND).
pub fn gt(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Bit {
    lt(b, y, x, signed)
}

/// `x <= y` (n AND).
pub fn le(b: &mut Builder, x: &Word, y: &Word, signed: bool) -> Bit {
    ge(b, y, x, signed)
}

/// `x == y` (n-1 AND).
pub fn eq(b: &mut Builder, x: &Word, y: &Word) -> Bit {
    assert_eq!(x.width(), y.width(), "eq: operand widths differ");
    let same: Vec<Bit> = x
        .bits()
        .iter()
        .zip(y.bits())
        .map(|(&p, &q)| {
            let d = b.xor(p, q);
            b.inv(d)
        })
        .collect();
    super::and_all(b, &same)
}

/// `x != y` (n-1 AND).
pub fn ne(b: &mut Builder, x: &Word, y: &Word) -> Bit {
    let e = eq(b, x, y);
    b.inv(e)
}

/// `x == 0` (n-1 AND).
pub fn is_zero(b: &mut Builder, x: &Word) -> Bit {
    let any = super::or_all(b, x.bits());
    b.inv(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::testutil::{build, mask, run, sext};
    use proptest::prelude::*;

    fn bit(v: Bit) -> Word {
        Word::from_bits(vec![v])
    }

    #[test]
    fn and_counts() {
        for n in [1usize, 7, 64, 128] {
            assert_eq!(build(&[n, n], |b, w| vec![bit(lt(b, &w[0], &w[1], false))]).1, n);
            assert_eq!(build(&[n, n], |b, w| vec![bit(lt(b, &w[0], &w[1], true))]).1, n);
            assert_eq!(build(&[n, n], |b, w| vec![bit(eq(b, &w[0], &w[1]))]).1, n - 1);
            assert_eq!(build(&[n], |b, w| vec![bit(is_zero(b, &w[0]))]).1, n - 1);
        }
    }

    fn check(w: usize, x: u128, y: u128) {
        let (x, y) = (x & mask(w), y & mask(w));
        let (c, _) = build(&[w, w], |b, i| {
            let mut o = Vec::new();
            for s in [false, true] {
                o.push(bit(lt(b, &i[0], &i[1], s)));
                o.push(bit(le(b, &i[0], &i[1], s)));
                o.push(bit(gt(b, &i[0], &i[1], s)));
                o.push(bit(ge(b, &i[0], &i[1], s)));
            }
            o.push(bit(eq(b, &i[0], &i[1])));
            o.push(bit(ne(b, &i[0], &i[1])));
            o.push(bit(is_zero(b, &i[0])));
            o
        });
        let out: Vec<bool> = run(&c, &[x, y]).into_iter().map(|v| v == 1).collect();
        let (sx, sy) = (sext(x, w), sext(y, w));
        assert_eq!(
            out,
            vec![x < y, x <= y, x > y, x >= y, sx < sy, sx <= sy, sx > sy, sx >= sy, x == y, x != y, x == 0]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_rust(w in 1usize..=64, x: u128, y: u128, same: bool) {
            check(w, x, if same { x } else { y });
        }
        #[test]
        fn matches_rust_128(x: u128, y: u128) { check(128, x, y); }
    }
}
