//! Exact non-negative rationals for privacy parameters.
//!
//! Privacy parameters (epsilon, rho, noise scales) are kept as exact fractions
//! `num / den` of `u64`s, reduced to lowest terms, so that the samplers and the
//! accountant never round. Decimal strings such as `"0.1"` parse exactly (to `1/10`);
//! conversions from `f64` round in the direction that keeps the guarantee (a budget
//! or an epsilon rounds down, a sensitivity rounds up). Every operation is checked:
//! a result that would not fit is an error, never a wrap.

use std::cmp::Ordering;
use std::fmt;

use super::DpError;

/// A non-negative rational `num / den` in lowest terms, `den > 0`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Rational {
    num: u64,
    den: u64,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

impl Rational {
    /// Zero.
    pub const ZERO: Rational = Rational { num: 0, den: 1 };
    /// One.
    pub const ONE: Rational = Rational { num: 1, den: 1 };

    /// `num / den`, reduced. Fails if `den == 0`.
    pub fn new(num: u64, den: u64) -> Result<Rational, DpError> {
        if den == 0 {
            return Err(DpError::InvalidParameter("a fraction has a zero denominator".into()));
        }
        Self::reduce(u128::from(num), u128::from(den))
    }

    /// The integer `n`.
    pub fn integer(n: u64) -> Rational {
        Rational { num: n, den: 1 }
    }

    fn reduce(num: u128, den: u128) -> Result<Rational, DpError> {
        let g = gcd(num, den).max(1);
        let (n, d) = (num / g, den / g);
        match (u64::try_from(n), u64::try_from(d)) {
            (Ok(num), Ok(den)) => Ok(Rational { num, den }),
            _ => Err(DpError::Overflow),
        }
    }

    /// The numerator (lowest terms).
    pub fn numer(self) -> u64 {
        self.num
    }

    /// The denominator (lowest terms, positive).
    pub fn denom(self) -> u64 {
        self.den
    }

    /// True for zero.
    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    /// Parses `"3"`, `"0.25"`, `"1/3"` or `"1e-3"`-free decimal text exactly. Negative
    /// numbers, NaN and infinities are errors.
    pub fn parse(text: &str) -> Result<Rational, DpError> {
        let bad = || {
            DpError::InvalidParameter(format!(
                "`{text}` is not a non-negative decimal with at most 18 digits after the point, \
                 nor a fraction of two 64-bit integers"
            ))
        };
        let t = text.trim();
        if let Some((n, d)) = t.split_once('/') {
            let n: u64 = n.trim().parse().map_err(|_| bad())?;
            let d: u64 = d.trim().parse().map_err(|_| bad())?;
            return Rational::new(n, d);
        }
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 18
        {
            return Err(bad());
        }
        let int: u128 = if int.is_empty() { 0 } else { int.parse().map_err(|_| bad())? };
        let den = 10u128.pow(frac.len() as u32);
        let f: u128 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        let num = int.checked_mul(den).and_then(|v| v.checked_add(f)).ok_or(DpError::Overflow)?;
        Self::reduce(num, den)
    }

    /// The largest multiple of `2^-30` not above `x` (rounds a budget or an epsilon
    /// down, which keeps the privacy guarantee). NaN, infinities and negatives fail.
    pub fn from_f64_down(x: f64) -> Result<Rational, DpError> {
        Self::from_f64(x, false)
    }

    /// The smallest multiple of `2^-30` not below `x` (rounds a sensitivity up).
    pub fn from_f64_up(x: f64) -> Result<Rational, DpError> {
        Self::from_f64(x, true)
    }

    fn from_f64(x: f64, up: bool) -> Result<Rational, DpError> {
        if !x.is_finite() || x < 0.0 {
            return Err(DpError::InvalidParameter(format!("{x} is not a finite non-negative number")));
        }
        let scaled = x * (1u64 << 30) as f64; // exact: multiplication by a power of two
        let v = if up { scaled.ceil() } else { scaled.floor() };
        if v >= 2f64.powi(63) {
            return Err(DpError::Overflow);
        }
        Rational::new(v as u64, 1 << 30)
    }

    /// An approximation for display and for post-processing only.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// `self + other`, checked.
    pub fn checked_add(self, other: Rational) -> Result<Rational, DpError> {
        let (a, b, c, d) = (self.num as u128, self.den as u128, other.num as u128, other.den as u128);
        let num = a.checked_mul(d).and_then(|x| c.checked_mul(b).and_then(|y| x.checked_add(y)));
        Self::reduce(num.ok_or(DpError::Overflow)?, b * d)
    }

    /// `self - other`, checked; fails if the result would be negative.
    pub fn checked_sub(self, other: Rational) -> Result<Rational, DpError> {
        let (a, b, c, d) = (self.num as u128, self.den as u128, other.num as u128, other.den as u128);
        let (x, y) = (a * d, c * b);
        if y > x {
            return Err(DpError::Overflow);
        }
        Self::reduce(x - y, b * d)
    }

    /// `self * other`, checked.
    pub fn checked_mul(self, other: Rational) -> Result<Rational, DpError> {
        Self::reduce(self.num as u128 * other.num as u128, self.den as u128 * other.den as u128)
    }

    /// `self / other`, checked; fails for `other == 0`.
    pub fn checked_div(self, other: Rational) -> Result<Rational, DpError> {
        if other.num == 0 {
            return Err(DpError::InvalidParameter("division by zero".into()));
        }
        Self::reduce(self.num as u128 * other.den as u128, self.den as u128 * other.num as u128)
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Rational) -> Ordering {
        (self.num as u128 * other.den as u128).cmp(&(other.num as u128 * self.den as u128))
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Rational) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(Rational::parse("0.1").unwrap(), Rational::new(1, 10).unwrap());
        assert_eq!(Rational::parse("1/3").unwrap(), Rational::new(2, 6).unwrap());
        assert_eq!(Rational::parse("2").unwrap(), Rational::integer(2));
        assert_eq!(Rational::parse(".5").unwrap(), Rational::new(1, 2).unwrap());
        for bad in ["", "-1", "NaN", "inf", "1/0", "1e3", "0.1.2", "."] {
            assert!(Rational::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_is_exact() {
        let a = Rational::parse("0.1").unwrap();
        let b = Rational::parse("0.2").unwrap();
        assert_eq!(a.checked_add(b).unwrap(), Rational::parse("0.3").unwrap());
        assert_eq!(b.checked_sub(a).unwrap(), a);
        assert!(a.checked_sub(b).is_err());
        assert_eq!(a.checked_mul(b).unwrap(), Rational::new(1, 50).unwrap());
        assert_eq!(a.checked_div(b).unwrap(), Rational::new(1, 2).unwrap());
        assert!(a < b);
    }

    #[test]
    fn f64_rounding_direction() {
        let down = Rational::from_f64_down(0.1).unwrap();
        let up = Rational::from_f64_up(0.1).unwrap();
        assert!(down <= Rational::parse("0.1").unwrap());
        assert!(up >= Rational::parse("0.1").unwrap());
        assert!(Rational::from_f64_down(f64::NAN).is_err());
        assert!(Rational::from_f64_down(-1.0).is_err());
        assert!(Rational::from_f64_up(f64::INFINITY).is_err());
    }
}
