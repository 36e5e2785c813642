//! Batched Shamir reconstruction for the server's unmasking round.
//!
//! The server reconstructs one secret (five `Fp61` elements) per round-1 client, and
//! the shares of all of them come from the same clients, so they sit at the same
//! x-coordinates. [`reconstruct_many`] therefore computes the Lagrange coefficients
//! once per set of x-coordinates (with barycentric weights and one batched inversion:
//! O(t^2 + n t) field operations for the whole batch) instead of once per secret, and
//! checks the shares beyond the first `t` against the polynomial with one random
//! linear combination of all the secrets of a group (a share off its polynomial
//! escapes with probability at most 1/p = 2^-61, the combination being drawn after
//! the shares are fixed).
//!
//! Guarantee: the result equals calling [`shamir::reconstruct`] on each list. Any
//! list that fails the quick checks, and every list of a group whose combined check
//! fails, goes through [`shamir::reconstruct`] itself, so the error returned (which
//! share is inconsistent, too few shares, mixed splits) is the one the plain path
//! gives. The x-coordinates are public; only the share values are secret.

use std::collections::{BTreeMap, BTreeSet};

use rand_core::CryptoRngCore;

use crate::shamir::{self, Field, ShamirError, Share};

/// Lagrange coefficients for one set of x-coordinates: the `t` smallest are the base,
/// the rest are checked against the polynomial through the base.
#[derive(Debug)]
pub(crate) struct Plan<F: Field> {
    /// `lambda_i` with `f(0) = sum_i lambda_i f(base_i)`.
    pub(crate) at_zero: Vec<F>,
    /// For each extra x, the coefficients over the base that give `f(x)`.
    pub(crate) at_extra: Vec<Vec<F>>,
}

/// Inverts every element in place (Montgomery's trick: one inversion and 3(n-1)
/// multiplications); `None` if one is zero.
fn batch_invert<F: Field>(v: &mut [F]) -> Option<()> {
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = F::one();
    for x in v.iter() {
        prefix.push(acc);
        acc = acc * *x;
    }
    let mut inv = Option::<F>::from(acc.invert())?;
    for (x, p) in v.iter_mut().zip(prefix).rev() {
        let xi = inv * p;
        inv = inv * *x;
        *x = xi;
    }
    Some(())
}

/// The plan for sorted, distinct, non-zero `xs` with threshold `t <= xs.len()`.
pub(crate) fn plan<F: Field>(xs: &[u16], t: usize) -> Result<Plan<F>, ShamirError> {
    let collide = ShamirError::Malformed("x-coordinates collide");
    let (base, extra) = xs.split_at(t);
    let fb: Vec<F> = base.iter().map(|&x| F::from_u64(u64::from(x))).collect();
    // Barycentric weights w_i = 1 / prod_{j != i} (x_i - x_j).
    let mut w: Vec<F> = fb
        .iter()
        .enumerate()
        .map(|(i, xi)| {
            fb.iter().enumerate().filter(|(j, _)| *j != i).fold(F::one(), |acc, (_, xj)| acc * (*xi - *xj))
        })
        .collect();
    batch_invert(&mut w).ok_or(collide.clone())?;
    // lambda_i(x) = l(x) * w_i / (x - x_i) with l(x) = prod_j (x - x_j).
    let at = |x: F| -> Result<Vec<F>, ShamirError> {
        let mut d: Vec<F> = fb.iter().map(|xi| x - *xi).collect();
        let l = d.iter().fold(F::one(), |acc, v| acc * *v);
        batch_invert(&mut d).ok_or(collide.clone())?;
        Ok(d.iter().zip(&w).map(|(inv, wi)| l * *wi * *inv).collect())
    };
    let at_zero = at(F::zero())?;
    let at_extra =
        extra.iter().map(|&x| at(F::from_u64(u64::from(x)))).collect::<Result<Vec<_>, ShamirError>>()?;
    Ok(Plan { at_zero, at_extra })
}

/// The quick checks of one list: one split, one threshold, equal lengths, distinct
/// non-zero x, at least `t` shares. Returns `(t, len, order by x)` or `None` when the
/// plain path should decide.
fn shape<F: Field>(shares: &[Share<F>]) -> Option<(usize, usize, Vec<usize>)> {
    let first = shares.first()?;
    let t = first.threshold();
    let len = first.values().len();
    if t == 0 || shares.len() < t {
        return None;
    }
    let mut seen = BTreeSet::new();
    for s in shares {
        if s.split_id() != first.split_id()
            || s.threshold() != t
            || s.values().len() != len
            || s.x() == 0
            || s.x() as usize > F::MAX_SHARES
            || !seen.insert(s.x())
        {
            return None;
        }
    }
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|&i| shares[i].x());
    Some((t, len, order))
}

/// Reconstructs each list of shares, as [`shamir::reconstruct`] would (see the module
/// docs); `rng` draws the combination that checks the extra shares.
pub fn reconstruct_many<F: Field>(
    lists: &[Vec<Share<F>>],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<Vec<F>>, ShamirError> {
    let mut out: Vec<Option<Vec<F>>> = (0..lists.len()).map(|_| None).collect();
    // Lists grouped by (threshold, sorted x-coordinates), each with its order by x.
    type Members = Vec<(usize, Vec<usize>)>;
    let mut groups: BTreeMap<(usize, Vec<u16>), Members> = BTreeMap::new();
    for (i, shares) in lists.iter().enumerate() {
        match shape(shares) {
            Some((t, _, order)) => {
                let xs: Vec<u16> = order.iter().map(|&k| shares[k].x()).collect();
                groups.entry((t, xs)).or_default().push((i, order));
            }
            None => out[i] = Some(shamir::reconstruct(shares)?),
        }
    }
    for ((t, xs), members) in groups {
        let plan = plan::<F>(&xs, t)?;
        if !combined_check(lists, &members, &plan, t, xs.len(), rng) {
            for (i, _) in &members {
                out[*i] = Some(shamir::reconstruct(&lists[*i])?);
            }
            continue;
        }
        for (i, order) in members {
            let len = lists[i][0].values().len();
            let mut secret = vec![F::zero(); len];
            for (lambda, &k) in plan.at_zero.iter().zip(&order[..t]) {
                for (acc, y) in secret.iter_mut().zip(lists[i][k].values()) {
                    *acc = *acc + *lambda * *y;
                }
            }
            out[i] = Some(secret);
        }
    }
    // Every index was filled above: either by its group or by the plain path.
    Ok(out.into_iter().flatten().collect())
}

/// True if a random linear combination of every element of every list in the group
/// lies on a polynomial of degree below `t` at all `n` x-coordinates.
fn combined_check<F: Field>(
    lists: &[Vec<Share<F>>],
    members: &[(usize, Vec<usize>)],
    plan: &Plan<F>,
    t: usize,
    n: usize,
    rng: &mut impl CryptoRngCore,
) -> bool {
    if n == t {
        return true; // no extra share to check
    }
    let mut combined = vec![F::zero(); n];
    for (i, order) in members {
        let len = lists[*i][0].values().len();
        let r: Vec<F> = (0..len).map(|_| F::random(rng)).collect();
        for (acc, &k) in combined.iter_mut().zip(order) {
            for (ri, y) in r.iter().zip(lists[*i][k].values()) {
                *acc = *acc + *ri * *y;
            }
        }
    }
    let mut ok = subtle::Choice::from(1u8);
    for (lambdas, want) in plan.at_extra.iter().zip(&combined[t..]) {
        let got = lambdas.iter().zip(&combined[..t]).fold(F::zero(), |acc, (l, v)| acc + *l * *v);
        ok &= got.ct_eq(want);
    }
    bool::from(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shamir::Fp61;
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn shuffle<T>(v: &mut [T], rng: &mut ChaCha20Rng) {
        for i in (1..v.len()).rev() {
            v.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
    }

    #[test]
    fn plan_matches_lagrange_coefficients() {
        let xs: Vec<u16> = vec![2, 3, 5, 8, 13, 21, 34];
        for t in 1..=xs.len() {
            let p = plan::<Fp61>(&xs, t).unwrap();
            let want = shamir::lagrange_coefficients::<Fp61>(&xs[..t], Fp61::from_u64(0)).unwrap();
            assert_eq!(
                p.at_zero.iter().map(Fp61::value).collect::<Vec<_>>(),
                want.iter().map(Fp61::value).collect::<Vec<_>>()
            );
            for (e, &x) in xs[t..].iter().enumerate() {
                let want =
                    shamir::lagrange_coefficients::<Fp61>(&xs[..t], Fp61::from_u64(u64::from(x))).unwrap();
                let got: Vec<u64> = p.at_extra[e].iter().map(Fp61::value).collect();
                assert_eq!(got, want.iter().map(Fp61::value).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn batch_agrees_with_plain_reconstruction() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        for (t, n, holders) in [(2usize, 3usize, 3usize), (3, 7, 5), (4, 10, 10), (6, 20, 13), (1, 4, 2)] {
            let mut lists = Vec::new();
            let mut secrets = Vec::new();
            for k in 0..9 {
                let secret: Vec<Fp61> = (0..5).map(|_| Fp61::random(&mut rng)).collect();
                let mut shares = shamir::split(&secret, t, n, &mut rng).unwrap();
                shuffle(&mut shares, &mut rng);
                // Most lists share one holder set; every third uses another subset.
                let take = if k % 3 == 2 { t.max(holders - 1) } else { holders };
                shares.truncate(take);
                secrets.push(secret);
                lists.push(shares);
            }
            let got = reconstruct_many(&lists, &mut rng).unwrap();
            for ((g, s), l) in got.iter().zip(&secrets).zip(&lists) {
                let plain = shamir::reconstruct(l).unwrap();
                assert_eq!(
                    g.iter().map(Fp61::value).collect::<Vec<_>>(),
                    plain.iter().map(Fp61::value).collect::<Vec<_>>()
                );
                assert_eq!(
                    g.iter().map(Fp61::value).collect::<Vec<_>>(),
                    s.iter().map(Fp61::value).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn batch_reports_the_plain_errors() {
        let mut rng = ChaCha20Rng::seed_from_u64(22);
        let split = |rng: &mut ChaCha20Rng| {
            let secret: Vec<Fp61> = (0..5).map(|_| Fp61::random(rng)).collect();
            shamir::split(&secret, 3, 6, rng).unwrap()
        };
        // A share off the polynomial among otherwise good lists.
        let mut lists: Vec<Vec<Share<Fp61>>> = (0..4).map(|_| split(&mut rng)).collect();
        let bad = &lists[2][5];
        let mut values = bad.values().to_vec();
        values[4] = values[4] + Fp61::from_u64(1);
        let tampered = Share::from_parts(bad.split_id(), 3, bad.x(), values).unwrap();
        lists[2][5] = tampered;
        let plain = shamir::reconstruct(&lists[2]).unwrap_err();
        assert!(matches!(plain, ShamirError::InconsistentShare { x: 6 }));
        let got = reconstruct_many(&lists, &mut rng).unwrap_err();
        assert_eq!(got.to_string(), plain.to_string());
        // Too few shares, and shares of two splits mixed.
        let mut short = vec![split(&mut rng)];
        short[0].truncate(2);
        let got = reconstruct_many(&short, &mut rng).unwrap_err();
        assert_eq!(got.to_string(), shamir::reconstruct(&short[0]).unwrap_err().to_string());
        let (a, b) = (split(&mut rng), split(&mut rng));
        let mixed = vec![vec![a[0].clone(), a[1].clone(), b[2].clone(), a[3].clone()]];
        assert!(matches!(reconstruct_many(&mixed, &mut rng), Err(ShamirError::MixedSplits)));
    }

    #[test]
    fn batch_invert_inverts() {
        let mut v: Vec<Fp61> = (1..50u64).map(|x| Fp61::from_u64(x * 7919)).collect();
        let orig = v.clone();
        batch_invert(&mut v).unwrap();
        for (a, b) in v.iter().zip(&orig) {
            assert_eq!((*a * *b).value(), 1);
        }
        let mut z = vec![Fp61::from_u64(3), Fp61::from_u64(0)];
        assert!(batch_invert(&mut z).is_none());
    }
}
