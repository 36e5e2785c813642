//! Enums and associated items: `Enum::Variant[(payload)]`, `uN::MAX`/`MIN`/`BITS`,
//! and the exhaustiveness of `match` (which the parser rewrote into an `if` chain on
//! tags and values, keeping the arms for this check).
//!
//! *Invariants:* a variant's tag is its position; the values a `match` leaves out
//! are reported with the missing variants or values named.

use super::Checker;
use crate::ast::*;
use crate::types::{int_type_name, parse_literal, Ty, MAX_INT_WIDTH};

impl Checker<'_> {
    /// The enum whose values struct `si` holds, if it is one.
    pub(super) fn enum_of(&self, si: usize) -> Option<&str> {
        self.out.enums.iter().find(|(_, d)| d.strukt == si).map(|(n, _)| n.as_str())
    }

    /// The index of variant `v` of enum `en`, reporting an unknown enum or variant.
    pub(super) fn variant_index(&mut self, en: &Ident, v: &Ident) -> Option<usize> {
        let Some(def) = self.out.enums.get(&en.name) else {
            self.err_help(en.span, format!("unknown enum `{}`", en.name), "declare it: `enum E { A, B }`");
            return None;
        };
        match def.variants.iter().position(|(n, _)| n == &v.name) {
            Some(k) => Some(k),
            None => {
                let names: Vec<&str> = def.variants.iter().map(|(n, _)| n.as_str()).collect();
                let help = format!("its variants are: {}", names.join(", "));
                self.err_help(v.span, format!("enum `{}` has no variant `{}`", en.name, v.name), help);
                None
            }
        }
    }

    /// `T::NAME` (`u8::MAX`, `i32::MIN`, `u64::BITS`) or `Enum::Variant[(args)]`.
    pub(super) fn variant(&mut self, e: &Expr, t: &Ident, v: &Ident, args: Option<&[Expr]>) -> Ty {
        if let Some((signed, w)) = int_type_name(&t.name) {
            for a in args.unwrap_or_default() {
                self.expr(a, None);
            }
            if w == 0 || w > u64::from(MAX_INT_WIDTH) {
                self.err(t.span, format!("integer width {w} is out of range"));
                return Ty::Error;
            }
            let ty = if signed { Ty::SInt(w as u32) } else { Ty::UInt(w as u32) };
            return match (v.name.as_str(), args) {
                ("MAX" | "MIN", None) => ty,
                ("BITS", None) => Ty::UInt(32),
                _ => {
                    self.err_help(
                        e.span,
                        format!("`{}` has no associated item `{}`", t.name, v.name),
                        "integer types have `MIN`, `MAX` and `BITS`",
                    );
                    Ty::Error
                }
            };
        }
        if !self.out.enums.contains_key(&t.name) {
            for a in args.unwrap_or_default() {
                self.expr(a, None);
            }
            self.err_help(
                t.span,
                format!("unknown enum or type `{}`", t.name),
                "`T::NAME` names an integer type's `MIN`/`MAX`/`BITS` or a variant of a declared enum",
            );
            return Ty::Error;
        }
        let Some(k) = self.variant_index(t, v) else {
            for a in args.unwrap_or_default() {
                self.expr(a, None);
            }
            return Ty::Error;
        };
        let Some(def) = self.out.enums.get(&t.name).cloned() else { return Ty::Error };
        let payload = def.variants[k].1.clone();
        let given = args.unwrap_or_default();
        if given.len() != payload.len() || (args.is_some() && payload.is_empty()) {
            for a in given {
                self.expr(a, None);
            }
            let want = if payload.is_empty() {
                format!("write `{}::{}` without arguments", t.name, v.name)
            } else {
                format!("`{}::{}` holds {} value(s)", t.name, v.name, payload.len())
            };
            self.err_help(
                e.span,
                format!(
                    "`{}::{}` takes {} value(s) but {} were given",
                    t.name,
                    v.name,
                    payload.len(),
                    given.len()
                ),
                want,
            );
            return Ty::Error;
        }
        for (a, want) in given.iter().zip(&payload) {
            let got = self.expr(a, Some(want));
            self.expect_assignable(a, &got, want);
        }
        Ty::Struct(def.strukt)
    }

    /// Whether the arms of a `match` on a value of type `st` cover every value;
    /// reports the values left out. (The parser made the last arm the `else` of the
    /// rewritten `if` chain, so this is what makes that right.)
    pub(super) fn exhaustive(&mut self, span: Span, st: &Ty, arms: &[(Vec<PatAtom>, Span)]) {
        if st.has_error() {
            return;
        }
        let atoms: Vec<&PatAtom> = arms.iter().flat_map(|(a, _)| a.iter()).collect();
        let en = match st {
            Ty::Struct(si) => self.enum_of(*si).map(str::to_string),
            _ => None,
        };
        for a in &atoms {
            if let PatAtom::Variant(e, v, s) = a {
                match &en {
                    Some(en) if *en == e.name => {}
                    Some(en) => {
                        self.err(*s, format!("expected a variant of `{en}`, found `{}::{}`", e.name, v.name));
                        return;
                    }
                    None => {
                        let msg =
                            format!("a variant pattern cannot match a value of type `{}`", self.show(st));
                        self.err(*s, msg);
                        return;
                    }
                }
            }
        }
        if atoms.iter().any(|a| matches!(a, PatAtom::Wild(_))) {
            return;
        }
        if let Ty::Struct(si) = st {
            if let Some(en) = self.enum_of(*si).map(str::to_string) {
                let Some(def) = self.out.enums.get(&en).cloned() else { return };
                let mut covered = vec![false; def.variants.len()];
                for a in &atoms {
                    match a {
                        PatAtom::Variant(e, v, s) => {
                            if e.name != en {
                                self.err(
                                    *s,
                                    format!("expected a variant of `{en}`, found `{}::{}`", e.name, v.name),
                                );
                                return;
                            }
                            if let Some(k) = def.variants.iter().position(|(n, _)| n == &v.name) {
                                covered[k] = true;
                            }
                        }
                        _ => return, // a type error, reported by the comparison
                    }
                }
                let missing: Vec<String> = def
                    .variants
                    .iter()
                    .zip(&covered)
                    .filter(|(_, c)| !**c)
                    .map(|((n, _), _)| format!("`{en}::{n}`"))
                    .collect();
                if !missing.is_empty() {
                    self.err_help(
                        span,
                        format!("non-exhaustive `match`: {} not covered", missing.join(", ")),
                        "add an arm for each, or a catch-all `_ => ...` last",
                    );
                }
                return;
            }
        }
        if atoms.iter().any(|a| matches!(a, PatAtom::Variant(..))) {
            if let Some(PatAtom::Variant(_, _, s)) = atoms.iter().find(|a| matches!(a, PatAtom::Variant(..)))
            {
                self.err(*s, format!("a variant pattern cannot match a value of type `{}`", self.show(st)));
            }
            return;
        }
        // Integers and bool: the literal values and ranges must cover the type's range.
        let (lo, hi) = match st {
            Ty::Bool => (0i128, 1i128),
            Ty::UInt(w) if *w < 127 => (0, (1i128 << w) - 1),
            Ty::SInt(w) if *w < 127 => (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1),
            _ => (i128::MIN, i128::MAX),
        };
        let mut ivs: Vec<(i128, i128)> = Vec::new();
        let value = |t: &str| {
            let (neg, t) = match t.strip_prefix('-') {
                Some(t) => (true, t),
                None => (false, t),
            };
            let v = parse_literal(t).ok()?.as_i128()?;
            if neg {
                v.checked_neg()
            } else {
                Some(v)
            }
        };
        for a in &atoms {
            match a {
                PatAtom::Bool(b, _) => ivs.push((i128::from(*b), i128::from(*b))),
                PatAtom::Int(t, _) => {
                    if let Some(v) = value(t) {
                        ivs.push((v, v))
                    }
                }
                PatAtom::Range(a, b, s) => match (value(a), value(b)) {
                    (Some(a), Some(b)) if a <= b => ivs.push((a, b)),
                    _ => self.err_help(*s, "empty or invalid range pattern", "write `lo..=hi` with lo <= hi"),
                },
                _ => {}
            }
        }
        ivs.sort_unstable();
        let mut next = lo;
        let mut full = false;
        for (a, b) in ivs {
            if a > next {
                break;
            }
            if b >= hi {
                full = true;
                break;
            }
            next = next.max(b + 1);
        }
        if !full {
            let first = if next <= hi { format!("`{next}`") } else { "some values".into() };
            self.err_help(
                span,
                format!(
                    "non-exhaustive `match` on `{}`: {first} and possibly more not covered",
                    self.show(st)
                ),
                "add a catch-all arm `_ => ...` last",
            );
        }
    }
}
