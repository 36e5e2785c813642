//! Expressions: literals, names, operators, casts, `if`, blocks, arrays, tuples,
//! struct literals, calls of functions and builtins, and methods.
//!
//! *Invariants:* every expression visited gets a type in `Checked::expr_types`
//! (the error type after an error); nesting past `MAX_NESTING` is reported once and
//! not descended into; a left-associated chain `a + b + c` is one level, walked in a
//! loop; builtins are checked through their `builtins` entry after the arity check
//! here, so no builtin name is matched in this module.

use super::stmts::{block_returns, expr_returns};
use super::{is_comptime, Checker, MAX_NESTING};
use crate::ast::*;
use crate::builtins;
use crate::types::{parse_literal, Ty, MAX_ARRAY_LEN, MAX_INT_WIDTH, MAX_VALUE_BITS};

impl Checker<'_> {
    pub(crate) fn expr(&mut self, e: &Expr, expected: Option<&Ty>) -> Ty {
        if self.depth >= MAX_NESTING {
            if !self.too_deep {
                self.too_deep = true;
                self.err_help(e.span, "expression nested too deeply", crate::parser::nesting_help());
            }
            return self.set(e, Ty::Error);
        }
        self.depth += 1;
        let t = self.expr_inner(e, expected);
        self.depth -= 1;
        self.set(e, t)
    }

    pub(super) fn expr_inner(&mut self, e: &Expr, expected: Option<&Ty>) -> Ty {
        match &e.kind {
            ExprKind::Error => Ty::Error,
            ExprKind::Int(text) => match parse_literal(text) {
                Err(m) => {
                    self.err(e.span, m);
                    Ty::Error
                }
                Ok(lit) => match lit.suffix {
                    Some((signed, w)) => {
                        if w == 0 || w > u64::from(MAX_INT_WIDTH) {
                            self.err(e.span, format!("integer width {w} is out of range"));
                            return Ty::Error;
                        }
                        if signed {
                            Ty::SInt(w as u32)
                        } else {
                            Ty::UInt(w as u32)
                        }
                    }
                    None => match expected {
                        Some(t) if t.is_int() => t.clone(),
                        _ => {
                            if lit.as_i128().is_none() {
                                self.err_help(
                                    e.span,
                                    "integer literal is too large for a compile-time integer",
                                    "give it a type: `0x...u256`",
                                );
                                return Ty::Error;
                            }
                            Ty::Int
                        }
                    },
                },
            },
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Path(n) => {
                if let Some(v) = self.lookup(&n.name) {
                    return v.ty.clone();
                }
                if let Some((_, _, t)) = self.out.consts.iter().find(|c| c.0 == n.name) {
                    return t.clone();
                }
                if self.out.fns.contains_key(&n.name) || builtins::is_function(&n.name) {
                    self.err_help(
                        n.span,
                        format!("`{}` is a function", n.name),
                        format!("call it: `{}(...)`", n.name),
                    );
                } else {
                    let help = self.name_help(&n.name);
                    self.err_help(n.span, format!("cannot find `{}` in this scope", n.name), help);
                }
                Ty::Error
            }
            ExprKind::Binary(..) => self.binary(e, expected),
            ExprKind::Unary(op, a) => {
                let t = self.expr(a, expected);
                match (op, &t) {
                    (_, Ty::Error) => Ty::Error,
                    (UnOp::Neg, Ty::SInt(_) | Ty::Int) => t,
                    (UnOp::Neg, Ty::UInt(_)) => {
                        self.err_help(
                            e.span,
                            format!("cannot negate unsigned `{}`", self.show(&t)),
                            "use `0 - x` for wrapping negation",
                        );
                        Ty::Error
                    }
                    (UnOp::Not, Ty::Bool | Ty::UInt(_) | Ty::SInt(_)) => t,
                    (UnOp::Not, Ty::Int) => {
                        self.err_help(
                            e.span,
                            "`!` needs a typed integer",
                            "give the value a type, e.g. `!(5u8)`",
                        );
                        Ty::Error
                    }
                    _ => {
                        let sym = if *op == UnOp::Neg { "-" } else { "!" };
                        self.err(e.span, format!("cannot apply `{sym}` to `{}`", self.show(&t)));
                        Ty::Error
                    }
                }
            }
            ExprKind::Cast(a, ty) => {
                let target = self.resolve_type(ty);
                let src = self.expr(a, None);
                if !target.has_error() && !target.is_int() {
                    self.err_help(
                        ty.span,
                        format!("cannot cast to `{}`", self.show(&target)),
                        "casts go to integer types; for bool write `x != 0`",
                    );
                    return Ty::Error;
                }
                if !src.has_error() && !matches!(src, Ty::Bool | Ty::UInt(_) | Ty::SInt(_) | Ty::Int) {
                    self.err(a.span, format!("cannot cast `{}` to an integer", self.show(&src)));
                    return Ty::Error;
                }
                target
            }
            ExprKind::Call(name, args) => self.call(e, name, args, expected),
            ExprKind::Method(recv, name, args) => self.method(e, recv, name, args),
            ExprKind::Variant(t, v, args) => self.variant(e, t, v, args.as_deref()),
            ExprKind::Tag(en, v) => {
                if self.variant_index(en, v).is_some() {
                    Ty::Int
                } else {
                    Ty::Error
                }
            }
            ExprKind::Closure(..) => {
                self.err_help(
                    e.span,
                    "closures are only supported as the key of `sort_by_key`",
                    "write `sort_by_key(xs, |x| x.field)`",
                );
                Ty::Error
            }
            ExprKind::Match(m) => {
                let t = self.expr(&m.desugared, expected);
                let st = self.out.expr_types.get(&m.scrutinee).cloned().unwrap_or(Ty::Error);
                self.exhaustive(e.span, &st, &m.arms);
                t
            }
            ExprKind::Index(base, idx) => {
                let bt = self.expr(base, None);
                self.index_type(e, &bt, idx)
            }
            ExprKind::Field(base, f) => {
                let bt = self.expr(base, None);
                self.field_type(&bt, f)
            }
            ExprKind::Tuple(items) => {
                let exp: Vec<Option<Ty>> = match expected {
                    Some(Ty::Tuple(ts)) if ts.len() == items.len() => ts.iter().cloned().map(Some).collect(),
                    _ => vec![None; items.len()],
                };
                Ty::Tuple(items.iter().zip(exp).map(|(it, x)| self.expr(it, x.as_ref())).collect())
            }
            ExprKind::Array(items) => {
                let mut elem: Option<Ty> = match expected {
                    Some(Ty::Array(t, _)) => Some((**t).clone()),
                    _ => None,
                };
                let mut tys = Vec::new();
                for it in items {
                    let t = self.expr(it, elem.as_ref());
                    if elem.as_ref().is_none_or(|x| *x == Ty::Int && t != Ty::Int) {
                        elem = Some(t.clone());
                    }
                    tys.push(t);
                }
                let elem = elem.unwrap_or(Ty::Int);
                for (it, t) in items.iter().zip(&tys) {
                    if !self.assignable(it, t, &elem) {
                        self.err(
                            it.span,
                            format!(
                                "array elements must have one type: expected `{}`, found `{}`",
                                self.show(&elem),
                                self.show(t)
                            ),
                        );
                    }
                }
                if items.len() as u64 > MAX_ARRAY_LEN {
                    self.err(e.span, "array literal is too long");
                    return Ty::Error;
                }
                Ty::Array(Box::new(elem), items.len() as u32)
            }
            ExprKind::Repeat(v, n) => {
                let elem = match expected {
                    Some(Ty::Array(t, _)) => Some((**t).clone()),
                    _ => None,
                };
                let t = self.expr(v, elem.as_ref());
                let Some(len) = self.array_len(n) else { return Ty::Error };
                let ty = Ty::Array(Box::new(t), len);
                if ty.width(&self.out.structs) > MAX_VALUE_BITS {
                    self.err(e.span, "array is too large");
                    return Ty::Error;
                }
                ty
            }
            ExprKind::StructLit(name, fields) if self.out.enums.contains_key(&name.name) => {
                for (_, v) in fields {
                    self.expr(v, None);
                }
                self.err_help(
                    name.span,
                    format!("`{}` is an enum, not a struct", name.name),
                    format!("build a variant: `{}::Variant` or `{}::Variant(value)`", name.name, name.name),
                );
                Ty::Error
            }
            ExprKind::StructLit(name, fields) => {
                let Some(&si) = self.out.struct_index.get(&name.name) else {
                    self.err(name.span, format!("unknown struct `{}`", name.name));
                    for (_, v) in fields {
                        self.expr(v, None);
                    }
                    return Ty::Error;
                };
                let defs = self.out.structs[si].fields.clone();
                let mut seen: Vec<&str> = Vec::new();
                for (fname, v) in fields {
                    match defs.iter().find(|(n, _)| n == &fname.name) {
                        Some((_, ft)) => {
                            if seen.contains(&fname.name.as_str()) {
                                self.err(fname.span, format!("field `{}` is given twice", fname.name));
                            }
                            seen.push(&fname.name);
                            let t = self.expr(v, Some(ft));
                            self.expect_assignable(v, &t, ft);
                        }
                        None => {
                            self.err(
                                fname.span,
                                format!("struct `{}` has no field `{}`", name.name, fname.name),
                            );
                            self.expr(v, None);
                        }
                    }
                }
                let missing: Vec<&str> =
                    defs.iter().map(|(n, _)| n.as_str()).filter(|n| !seen.contains(n)).collect();
                if !missing.is_empty() {
                    let add: Vec<String> = missing.iter().map(|m| format!("`{m}: ...`")).collect();
                    self.err_help(
                        e.span,
                        format!("missing fields in `{}`: {}", name.name, missing.join(", ")),
                        format!("add {}", add.join(", ")),
                    );
                }
                Ty::Struct(si)
            }
            ExprKind::Block(b) => self.block(b, expected),
            ExprKind::If(c, then, els) => {
                let ct = self.expr(c, Some(&Ty::Bool));
                if !ct.has_error() && ct != Ty::Bool {
                    self.err_help(
                        c.span,
                        format!("`if` condition must be `bool`, found `{}`", self.show(&ct)),
                        "compare it, e.g. `x != 0`; integers are not truth values",
                    );
                }
                let tt = self.block(then, expected);
                match els {
                    None => {
                        if tt != Ty::unit() && !tt.has_error() {
                            if let Some(tail) = &then.tail {
                                self.err_help(
                                    tail.span,
                                    "`if` without `else` cannot have a value",
                                    "add an `else` branch or end the line with `;`",
                                );
                            }
                        }
                        Ty::unit()
                    }
                    // A branch that surely returns has no value: the `if` has the other's.
                    Some(el) if block_returns(then) => self.expr(el, expected),
                    Some(el) if expr_returns(el) => {
                        self.expr(el, expected);
                        tt
                    }
                    Some(el) => {
                        let hint = if is_comptime(&tt) { expected.cloned() } else { Some(tt.clone()) };
                        let et = self.expr(el, hint.as_ref().or(expected));
                        if self.compatible(&tt, &et) {
                            if let Some(tail) = &then.tail {
                                self.set(tail, et.clone());
                            }
                            et
                        } else if self.assignable(el, &et, &tt) {
                            tt
                        } else {
                            self.err(
                                e.span,
                                format!(
                                    "`if` and `else` have different types: `{}` and `{}`",
                                    self.show(&tt),
                                    self.show(&et)
                                ),
                            );
                            Ty::Error
                        }
                    }
                }
            }
        }
    }

    /// The type of binary expression `e`. A left-associated chain `a + b + c` is
    /// walked down its left spine and back up in a loop: one level of recursion (and
    /// of nesting) however long it is; the right operands recurse as usual.
    pub(super) fn binary(&mut self, e: &Expr, expected: Option<&Ty>) -> Ty {
        use BinOp::*;
        let (spine, leftmost) = e.binary_spine();
        // Top down: what each node's operands are expected to be.
        let mut operand_exps: Vec<Option<Ty>> = Vec::with_capacity(spine.len());
        let mut exp = expected.cloned();
        for node in &spine {
            let ExprKind::Binary(op, ..) = &node.kind else { continue };
            exp = match op {
                Add | Sub | Mul | Div | Rem | BitAnd | BitOr | BitXor | Shl | Shr => {
                    exp.filter(|t| t.is_int() || *t == Ty::Bool)
                }
                And | Or => Some(Ty::Bool),
                _ => None,
            };
            operand_exps.push(exp.clone());
        }
        // Bottom up: the leftmost operand, then each node's right operand and type.
        let mut at = self.expr(leftmost, operand_exps.last().and_then(Option::as_ref));
        for (k, (node, operand_exp)) in spine.iter().zip(&operand_exps).enumerate().rev() {
            let ExprKind::Binary(op, a, b) = &node.kind else { continue };
            let bt = if matches!(op, Shl | Shr) {
                self.expr(b, None)
            } else {
                let hint = if is_comptime(&at) { operand_exp.clone() } else { Some(at.clone()) };
                self.expr(b, hint.as_ref())
            };
            let t = self.binary_types(*op, node.span, &at, &bt, a, b);
            // `expr` records the outermost node's type; the inner ones are set here.
            at = if k == 0 { t } else { self.set(node, t) };
        }
        at
    }

    /// The result type of `a op b` given operand types; records literal coercions.
    pub(crate) fn binary_types(&mut self, op: BinOp, span: Span, at: &Ty, bt: &Ty, a: &Expr, b: &Expr) -> Ty {
        use BinOp::*;
        if at.has_error() || bt.has_error() {
            return Ty::Error;
        }
        let (at, bt) = (at.clone(), bt.clone());
        match op {
            Shl | Shr => {
                if !at.is_integral() {
                    self.err(a.span, format!("cannot shift `{}`", self.show(&at)));
                    return Ty::Error;
                }
                if !matches!(bt, Ty::UInt(_) | Ty::Int) {
                    self.err_help(
                        b.span,
                        format!("shift amount must be unsigned, found `{}`", self.show(&bt)),
                        "cast it: `n as u32`",
                    );
                    return Ty::Error;
                }
                if at == Ty::Int && bt != Ty::Int {
                    self.err_help(
                        a.span,
                        "cannot shift a compile-time integer by a run-time amount",
                        "give it a type: `1u32 << n`",
                    );
                    return Ty::Error;
                }
                at
            }
            And | Or => {
                if at != Ty::Bool || bt != Ty::Bool {
                    self.err(
                        span,
                        format!(
                            "`{}` needs `bool` operands, found `{}` and `{}`",
                            op.symbol(),
                            self.show(&at),
                            self.show(&bt)
                        ),
                    );
                    return Ty::Error;
                }
                Ty::Bool
            }
            _ => {
                // Unify the operand types.
                let t = if at == bt {
                    at.clone()
                } else if at == Ty::Int && bt.is_int() {
                    self.set(a, bt.clone());
                    bt.clone()
                } else if bt == Ty::Int && at.is_int() {
                    self.set(b, at.clone());
                    at.clone()
                } else {
                    let help = if at.is_int() && bt.is_int() {
                        let (wa, wb) = (at.width(&self.out.structs), bt.width(&self.out.structs));
                        let (wide, narrow_expr) = if wa >= wb { (&at, b) } else { (&bt, a) };
                        let _ = narrow_expr;
                        format!("convert one side with `as`, e.g. `(...) as {}`", self.show(wide))
                    } else {
                        "both operands must have the same type".to_string()
                    };
                    self.err_help(
                        span,
                        format!(
                            "mismatched types: `{}` {} `{}`",
                            self.show(&at),
                            op.symbol(),
                            self.show(&bt)
                        ),
                        help,
                    );
                    return Ty::Error;
                };
                match op {
                    Eq | Ne => Ty::Bool,
                    Lt | Le | Gt | Ge => {
                        if !t.is_integral() {
                            self.err(
                                span,
                                format!("`{}` compares integers, not `{}`", op.symbol(), self.show(&t)),
                            );
                            return Ty::Error;
                        }
                        Ty::Bool
                    }
                    BitAnd | BitOr | BitXor => {
                        if !(t.is_integral() || t == Ty::Bool) {
                            self.err(
                                span,
                                format!(
                                    "`{}` needs integer or bool operands, found `{}`",
                                    op.symbol(),
                                    self.show(&t)
                                ),
                            );
                            return Ty::Error;
                        }
                        t
                    }
                    _ => {
                        if !t.is_integral() {
                            self.err(
                                span,
                                format!(
                                    "`{}` needs integer operands, found `{}`",
                                    op.symbol(),
                                    self.show(&t)
                                ),
                            );
                            return Ty::Error;
                        }
                        t
                    }
                }
            }
        }
    }

    pub(super) fn call(&mut self, e: &Expr, name: &Ident, args: &[Expr], expected: Option<&Ty>) -> Ty {
        let n = name.name.as_str();
        if builtins::is_function(n) {
            return self.builtin(e, name, args, expected);
        }
        if self.generic_fns.contains_key(n) {
            return self.generic_call(e, name, args);
        }
        let Some(sig) = self.out.fns.get(n).cloned() else {
            for a in args {
                self.expr(a, None);
            }
            let builtin_names: Vec<&str> = builtins::function_names().collect();
            let names = self.out.fns.keys().map(String::as_str).chain(builtin_names.iter().copied());
            let help = match crate::diag::similar(n, names) {
                Some(s) => format!("a function with a similar name exists: `{s}`"),
                None => {
                    format!(
                        "define it with `fn {n}(...) -> T {{ ... }}` (builtins: {})",
                        builtins::function_names().collect::<Vec<_>>().join(", ")
                    )
                }
            };
            self.err_help(name.span, format!("cannot find function `{n}`"), help);
            return Ty::Error;
        };
        self.calls.entry(self.current_fn.clone()).or_default().push((n.to_string(), name.span));
        if n == "main" {
            self.err(name.span, "`main` cannot be called");
        }
        if args.len() != sig.params.len() {
            let params: Vec<String> = sig.params.iter().map(|p| self.show(p)).collect();
            self.err_help(
                e.span,
                format!("`{n}` takes {} arguments but {} were given", sig.params.len(), args.len()),
                format!("its parameters are `{n}({})`", params.join(", ")),
            );
        }
        for (a, p) in args.iter().zip(&sig.params) {
            let t = self.expr(a, Some(p));
            self.expect_assignable(a, &t, p);
        }
        for a in args.iter().skip(sig.params.len()) {
            self.expr(a, None);
        }
        sig.ret
    }

    /// A call of a built-in function: the arity here, the rest by its entry.
    pub(super) fn builtin(&mut self, e: &Expr, name: &Ident, args: &[Expr], expected: Option<&Ty>) -> Ty {
        let Some((_, b)) = builtins::lookup(&name.name, builtins::Form::Function) else { return Ty::Error };
        if args.len() != b.arity {
            for a in args {
                self.expr(a, None);
            }
            self.err(
                e.span,
                format!("`{}` takes {} argument(s) but {} were given", b.name, b.arity, args.len()),
            );
            return Ty::Error;
        }
        (b.check)(self, &builtins::CheckCall { name: b.name, expr: e, recv: None, args, expected })
    }

    /// `recv.len()` (a compile-time integer) and `recv.bit(i)`.
    pub(super) fn method(&mut self, e: &Expr, recv: &Expr, name: &Ident, args: &[Expr]) -> Ty {
        let rt = self.expr(recv, None);
        let arity = |c: &mut Self, n: usize| {
            if args.len() != n {
                for a in args {
                    c.expr(a, None);
                }
                c.err(e.span, format!("`{}` takes {n} argument(s) but {} were given", name.name, args.len()));
                return false;
            }
            true
        };
        if let Some((_, b)) = builtins::lookup(&name.name, builtins::Form::Method) {
            if !arity(self, b.arity) {
                return Ty::Error;
            }
            return (b.check)(
                self,
                &builtins::CheckCall { name: b.name, expr: e, recv: Some((recv, rt)), args, expected: None },
            );
        }
        match name.name.as_str() {
            "iter" | "into_iter" | "enumerate" | "rev" => {
                for a in args {
                    self.expr(a, None);
                }
                self.err_help(
                    name.span,
                    format!("`{}()` is only supported in the head of a `for` loop", name.name),
                    "write `for x in xs`, `for (i, x) in xs.iter().enumerate()` or `for i in (0..N).rev()`",
                );
                Ty::Error
            }
            other => {
                for a in args {
                    self.expr(a, None);
                }
                self.err_help(
                    name.span,
                    format!("no method `{other}` on `{}`", self.show(&rt)),
                    builtins::methods_help(),
                );
                Ty::Error
            }
        }
    }
}
