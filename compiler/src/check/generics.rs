//! Generic functions (`fn f<const N: usize>`): binding the parameters from the
//! argument types at each call, and the instance (a copy of the definition with the
//! parameters replaced and fresh expression ids) checked and lowered per set of
//! values.
//!
//! *Invariants:* one instance per distinct set of values, at most `MAX_INSTANCES`;
//! instance ids come from `Checker::ids`, above every id of the parsed program, so
//! facts about an instance never collide with another's; a call records its instance
//! in `Checked::call_targets`.

use std::collections::HashMap;

use super::{Checker, FnSig, MAX_INSTANCES};
use crate::ast::*;
use crate::types::Ty;

impl Checker<'_> {
    /// A call of a generic function: the parameters' values come from the argument
    /// types (`[u32; N]` given a `[u32; 4]` makes N = 4); the call is checked against
    /// (and lowered as) the instance for those values, made the first time.
    pub(super) fn generic_call(&mut self, e: &Expr, name: &Ident, args: &[Expr]) -> Ty {
        let n = name.name.as_str();
        let Some(&item) = self.generic_fns.get(n) else { return Ty::Error };
        let Some(Item::Fn(f)) = self.prog.items.get(item) else { return Ty::Error };
        let tys: Vec<Ty> = args.iter().map(|a| self.expr(a, None)).collect();
        if tys.iter().any(Ty::has_error) {
            return Ty::Error;
        }
        if args.len() != f.params.len() {
            self.err(
                e.span,
                format!("`{n}` takes {} arguments but {} were given", f.params.len(), args.len()),
            );
            return Ty::Error;
        }
        let generics: Vec<&str> = f.generics.iter().map(|g| g.name.as_str()).collect();
        let mut values: HashMap<String, i128> = HashMap::new();
        for ((p, t), a) in f.params.iter().zip(&tys).zip(args) {
            if let Err((g, x, y)) = bind_generics(&p.ty, t, &generics, &mut values) {
                self.err_help(
                    a.span,
                    format!("`{g}` cannot be both {x} and {y} in this call of `{n}`"),
                    "pass arrays whose lengths agree with the parameter types",
                );
                return Ty::Error;
            }
        }
        let mut vals = Vec::new();
        for g in &f.generics {
            match values.get(&g.name) {
                Some(v) => vals.push(*v),
                None => {
                    self.err_help(
                        e.span,
                        format!("cannot infer `{}` in this call of `{n}`", g.name),
                        format!("use `{}` in a parameter's type, such as `[u32; {}]`", g.name, g.name),
                    );
                    return Ty::Error;
                }
            }
        }
        let shown: Vec<String> = vals.iter().map(i128::to_string).collect();
        let inst = format!("{n}<{}>", shown.join(", "));
        if !self.out.fns.contains_key(&inst) {
            if self.out.instances.len() >= MAX_INSTANCES {
                self.err(
                    e.span,
                    format!("too many instances of generic functions (at most {MAX_INSTANCES})"),
                );
                return Ty::Error;
            }
            let mut def = f.clone();
            def.name = Ident { name: inst.clone(), span: f.name.span };
            def.generics.clear();
            let map: HashMap<String, i128> = f.generics.iter().map(|g| g.name.clone()).zip(vals).collect();
            substitute_fn(&mut def, &map, &self.ids);
            let params: Vec<Ty> = def.params.iter().map(|p| self.resolve_type(&p.ty)).collect();
            let ret = match &def.ret {
                None => Ty::unit(),
                Some(r) if r.tuple => Ty::Tuple(r.comps.iter().map(|c| self.resolve_type(&c.ty)).collect()),
                Some(r) => r.comps.first().map_or(Ty::unit(), |c| self.resolve_type(&c.ty)),
            };
            let index = self.out.instances.len();
            self.out.instances.push(def);
            self.out.fns.insert(inst.clone(), FnSig { item, params, ret, instance: Some(index) });
            self.pending.push(inst.clone());
        }
        let Some(sig) = self.out.fns.get(&inst).cloned() else { return Ty::Error };
        self.calls.entry(self.current_fn.clone()).or_default().push((inst.clone(), name.span));
        self.out.call_targets.insert(e.id, inst);
        for ((a, t), p) in args.iter().zip(&tys).zip(&sig.params) {
            self.expect_assignable(a, t, p);
        }
        sig.ret
    }
}

/// Binds the generic parameters in a parameter's written type from the argument's
/// type: `[T; N]` against `[T'; 4]` binds N = 4. `Err((name, old, new))` on a clash.
pub(super) fn bind_generics(
    t: &Type,
    ty: &Ty,
    generics: &[&str],
    values: &mut HashMap<String, i128>,
) -> Result<(), (String, i128, i128)> {
    match (&t.kind, ty) {
        (TypeKind::Array(elem, len), Ty::Array(el, n)) => {
            if let ExprKind::Path(g) = &len.kind {
                if generics.contains(&g.name.as_str()) {
                    let n = i128::from(*n);
                    match values.get(&g.name) {
                        Some(&old) if old != n => return Err((g.name.clone(), old, n)),
                        _ => {
                            values.insert(g.name.clone(), n);
                        }
                    }
                }
            }
            bind_generics(elem, el, generics, values)
        }
        (TypeKind::Tuple(ts), Ty::Tuple(tys)) => {
            for (t, ty) in ts.iter().zip(tys) {
                bind_generics(t, ty, generics, values)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Replaces the generic parameters in a copy of a function by their values (as
/// literals) and gives every expression a fresh id, so that the checker's facts about
/// the instance do not collide with the generic definition's or another instance's.
/// Recursive: trees passed the parser's depth limit.
pub(super) fn substitute_fn(f: &mut FnDef, map: &HashMap<String, i128>, ids: &IdGen) {
    for p in &mut f.params {
        subst_type(&mut p.ty, map, ids);
    }
    if let Some(r) = &mut f.ret {
        for c in &mut r.comps {
            subst_type(&mut c.ty, map, ids);
        }
    }
    subst_block(&mut f.body, map, ids);
}

pub(super) fn subst_type(t: &mut Type, map: &HashMap<String, i128>, ids: &IdGen) {
    match &mut t.kind {
        TypeKind::Named(_) => {}
        TypeKind::Array(elem, n) => {
            subst_type(elem, map, ids);
            subst_expr(n, map, ids);
        }
        TypeKind::Tuple(ts) => ts.iter_mut().for_each(|t| subst_type(t, map, ids)),
    }
}

pub(super) fn subst_block(b: &mut Block, map: &HashMap<String, i128>, ids: &IdGen) {
    for s in &mut b.stmts {
        match s {
            Stmt::Let { ty, value, .. } => {
                if let Some(t) = ty {
                    subst_type(t, map, ids);
                }
                subst_expr(value, map, ids);
            }
            Stmt::Assign { place, value, .. } => {
                subst_expr(place, map, ids);
                subst_expr(value, map, ids);
            }
            Stmt::Expr(e) => subst_expr(e, map, ids),
            Stmt::For { lo, hi, body, .. } => {
                subst_expr(lo, map, ids);
                subst_expr(hi, map, ids);
                subst_block(body, map, ids);
            }
            Stmt::Return { value, .. } => {
                if let Some(v) = value {
                    subst_expr(v, map, ids);
                }
            }
            Stmt::Unbounded(_) | Stmt::Error(_) => {}
        }
    }
    if let Some(t) = &mut b.tail {
        subst_expr(t, map, ids);
    }
}

pub(super) fn subst_expr(e: &mut Expr, map: &HashMap<String, i128>, ids: &IdGen) {
    e.id = ids.fresh();
    match &mut e.kind {
        ExprKind::Path(n) => {
            if let Some(v) = map.get(&n.name) {
                e.kind = ExprKind::Int(v.to_string());
            }
        }
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Tag(..) | ExprKind::Error => {}
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Repeat(a, b) => {
            subst_expr(a, map, ids);
            subst_expr(b, map, ids);
        }
        ExprKind::Unary(_, a) | ExprKind::Field(a, _) | ExprKind::Closure(_, a) => subst_expr(a, map, ids),
        ExprKind::Cast(a, t) => {
            subst_expr(a, map, ids);
            subst_type(t, map, ids);
        }
        ExprKind::Call(_, xs) | ExprKind::Tuple(xs) | ExprKind::Array(xs) => {
            xs.iter_mut().for_each(|x| subst_expr(x, map, ids))
        }
        ExprKind::Method(a, _, xs) => {
            subst_expr(a, map, ids);
            xs.iter_mut().for_each(|x| subst_expr(x, map, ids));
        }
        ExprKind::Variant(_, _, xs) => xs.iter_mut().flatten().for_each(|x| subst_expr(x, map, ids)),
        ExprKind::StructLit(_, fs) => fs.iter_mut().for_each(|(_, x)| subst_expr(x, map, ids)),
        ExprKind::Block(b) => subst_block(b, map, ids),
        ExprKind::If(c, t, el) => {
            subst_expr(c, map, ids);
            subst_block(t, map, ids);
            if let Some(el) = el {
                subst_expr(el, map, ids);
            }
        }
        ExprKind::Match(m) => {
            subst_expr(&mut m.desugared, map, ids);
            // The scrutinee is the value of the rewriting's first `let`.
            if let ExprKind::Block(b) = &m.desugared.kind {
                if let Some(Stmt::Let { value, .. }) = b.stmts.first() {
                    m.scrutinee = value.id;
                }
            }
        }
    }
}
