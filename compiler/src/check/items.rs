//! Items: the passes over the whole program (parties, structs, enums, constants,
//! function signatures, then bodies), `main`'s inputs and outputs, struct shape
//! limits and the call graph's recursion check.
//!
//! *Invariants:* names are declared once across structs, enums, constants and
//! functions, and never as a builtin; every struct and enum exists (with its fields
//! filled in source order) before any signature or body is checked; a struct that
//! contains itself or passes `MAX_TYPE_DEPTH`/`MAX_TYPE_NODES` is reported once and
//! loses its fields, so later phases may walk struct types recursively; a generic
//! function's body is checked only per instance; recursion is reported once.

use std::collections::HashMap;

use super::stmts::{block_returns, expr_returns};
use super::{Checker, EnumDef, FnSig, OutputSpec, Var, MAX_INFER_PASSES};
use crate::ast::*;
use crate::builtins;
use crate::types::{StructDef, Ty, MAX_TYPE_DEPTH, MAX_TYPE_NODES};

impl Checker<'_> {
    pub(super) fn run(&mut self) {
        let prog = self.prog;
        // Pass 1: parties, struct names, function names.
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in &prog.items {
            match item {
                Item::Party(name) => {
                    if self.out.parties.contains(&name.name) {
                        self.err(name.span, format!("party `{}` is declared twice", name.name));
                    } else if self.out.parties.len() >= 255 {
                        self.err(name.span, "too many parties (at most 255)");
                    } else {
                        self.out.parties.push(name.name.clone());
                    }
                }
                Item::Struct { name, .. } | Item::Enum { name, .. }
                    if self.check_new_name(&mut seen, name) =>
                {
                    let idx = self.out.structs.len();
                    self.out.structs.push(StructDef { name: name.name.clone(), fields: Vec::new() });
                    self.out.struct_index.insert(name.name.clone(), idx);
                    if matches!(item, Item::Enum { .. }) {
                        let def = EnumDef { strukt: idx, variants: Vec::new() };
                        self.out.enums.insert(name.name.clone(), def);
                    }
                }
                _ => {}
            }
        }
        // Pass 2: struct fields, constants, signatures (in source order).
        for (idx, item) in prog.items.iter().enumerate() {
            match item {
                Item::Struct { name, fields } => {
                    let Some(&si) = self.out.struct_index.get(&name.name) else { continue };
                    if !self.out.structs[si].fields.is_empty() {
                        continue;
                    }
                    let mut fs: Vec<(String, Ty)> = Vec::new();
                    for (fname, fty) in fields {
                        let t = self.resolve_type(fty);
                        if fs.iter().any(|(n, _)| n == &fname.name) {
                            self.err(fname.span, format!("field `{}` is declared twice", fname.name));
                        }
                        if self.contains_struct(&t, si) {
                            self.err(fty.span, format!("struct `{}` cannot contain itself", name.name));
                            continue;
                        }
                        fs.push((fname.name.clone(), t));
                    }
                    self.out.structs[si].fields = fs;
                    // Cut oversized structs as soon as they are defined, so that later
                    // definitions never walk them.
                    let mut memo = vec![None; self.out.structs.len()];
                    self.limit_struct_shapes(&[si], &mut memo);
                }
                Item::Enum { name, variants } => {
                    let Some(&si) = self.out.struct_index.get(&name.name) else { continue };
                    if !self.out.enums.contains_key(&name.name) || !self.out.structs[si].fields.is_empty() {
                        continue;
                    }
                    if variants.is_empty() {
                        self.err_help(name.span, format!("enum `{}` has no variants", name.name), "add one");
                    }
                    let tag_width = (usize::BITS - variants.len().saturating_sub(1).leading_zeros()).max(1);
                    let mut fs: Vec<(String, Ty)> = vec![("(tag)".into(), Ty::UInt(tag_width))];
                    let mut vs: Vec<(String, Vec<Ty>)> = Vec::new();
                    for (vname, tys) in variants {
                        if vs.iter().any(|(n, _)| n == &vname.name) {
                            self.err(vname.span, format!("variant `{}` is declared twice", vname.name));
                            continue;
                        }
                        let mut ts = Vec::new();
                        for (k, t) in tys.iter().enumerate() {
                            let ty = self.resolve_type(t);
                            if self.contains_struct(&ty, si) {
                                self.err(t.span, format!("enum `{}` cannot contain itself", name.name));
                                continue;
                            }
                            fs.push((format!("{}.{k}", vname.name), ty.clone()));
                            ts.push(ty);
                        }
                        vs.push((vname.name.clone(), ts));
                    }
                    self.out.structs[si].fields = fs;
                    if let Some(e) = self.out.enums.get_mut(&name.name) {
                        e.variants = vs;
                    }
                    let mut memo = vec![None; self.out.structs.len()];
                    self.limit_struct_shapes(&[si], &mut memo);
                }
                Item::Const { name, ty, value } => {
                    if !self.check_new_name(&mut seen, name) {
                        continue;
                    }
                    let want = ty.as_ref().map(|t| self.resolve_type(t));
                    self.scopes.push(HashMap::new());
                    let got = self.expr(value, want.as_ref());
                    self.scopes.pop();
                    let t = match want {
                        Some(w) => {
                            self.expect_assignable(value, &got, &w);
                            w
                        }
                        None => got,
                    };
                    if let Some(v) = self.const_eval(value) {
                        self.const_values.insert(name.name.clone(), v);
                    }
                    self.out.consts.push((name.name.clone(), idx, t));
                }
                Item::Fn(f) => {
                    if !self.check_new_name(&mut seen, &f.name) {
                        continue;
                    }
                    if builtins::is_function(&f.name.name) {
                        self.err_help(
                            f.name.span,
                            format!("`{}` is a built-in function and cannot be redefined", f.name.name),
                            "choose another name",
                        );
                        continue;
                    }
                    if !f.generics.is_empty() {
                        // Checked per instance, when a call gives the parameters values.
                        self.generic_fns.insert(f.name.name.clone(), idx);
                        continue;
                    }
                    let params: Vec<Ty> = f.params.iter().map(|p| self.resolve_type(&p.ty)).collect();
                    let ret = match &f.ret {
                        None => Ty::unit(),
                        Some(r) if r.tuple => {
                            Ty::Tuple(r.comps.iter().map(|c| self.resolve_type(&c.ty)).collect())
                        }
                        Some(r) => match r.comps.first() {
                            Some(c) => self.resolve_type(&c.ty),
                            None => Ty::unit(),
                        },
                    };
                    self.out
                        .fns
                        .insert(f.name.name.clone(), FnSig { item: idx, params, ret, instance: None });
                }
                Item::Party(_) | Item::Error(_) => {}
            }
        }
        // Structs that refer to later ones were checked before those were defined:
        // check every struct again now that all are.
        let all: Vec<usize> = (0..self.out.structs.len()).collect();
        let mut memo = vec![None; all.len()];
        self.limit_struct_shapes(&all, &mut memo);
        // Pass 3: main's interface.
        self.check_main();
        // Pass 4: bodies, then the bodies of the generic functions' instances (which
        // may call for more instances).
        for item in &prog.items {
            if let Item::Fn(f) = item {
                let Some(sig) = self.out.fns.get(&f.name.name).cloned() else { continue };
                if sig.item >= prog.items.len() || sig.instance.is_some() {
                    continue;
                }
                self.fn_body(f, &sig);
            }
        }
        while let Some(name) = self.pending.pop() {
            let Some(sig) = self.out.fns.get(&name).cloned() else { continue };
            let Some(f) = sig.instance.and_then(|i| self.out.instances.get(i)).cloned() else { continue };
            self.fn_body(&f, &sig);
        }
        self.check_recursion();
    }

    /// Checks the body of function `f` (with signature `sig`).
    pub(super) fn fn_body(&mut self, f: &FnDef, sig: &FnSig) {
        // Inferred `let mut` types are per body (instances of one generic function
        // share its spans but not its array lengths).
        self.inferred.clear();
        self.current_fn = f.name.name.clone();
        self.ret_ty = sig.ret.clone();
        let mut scope: HashMap<String, Var> = HashMap::new();
        for (p, t) in f.params.iter().zip(&sig.params) {
            if scope.contains_key(&p.name.name) {
                self.err(p.name.span, format!("parameter `{}` is declared twice", p.name.name));
            }
            scope.insert(p.name.name.clone(), Var { ty: t.clone(), mutable: p.mutable, decl: None });
            if f.name.name != "main" {
                if let Some(party) = &p.party {
                    self.err_help(
                        party.span,
                        "only inputs of `main` belong to a party",
                        "remove the `@party` annotation",
                    );
                }
            }
        }
        if f.name.name != "main" {
            if let Some(r) = &f.ret {
                for c in &r.comps {
                    if let Some(p) = &c.party {
                        self.err_help(
                            p.span,
                            "only outputs of `main` can be restricted to a party",
                            "remove the `@party` annotation",
                        );
                    }
                }
            }
        }
        let ret = sig.ret.clone();
        let (diags, too_deep) = (self.diags.len(), self.too_deep);
        let mut passes = 0;
        let body_ty = loop {
            self.inferred_new = false;
            self.scopes.push(scope.clone());
            let t = self.block(&f.body, Some(&ret));
            self.scopes.pop();
            passes += 1;
            if !self.inferred_new || passes > MAX_INFER_PASSES {
                break t;
            }
            // A `let mut` got its type from a later assignment: check the body
            // again with it (the first pass's diagnostics are dropped).
            self.diags.truncate(diags);
            self.too_deep = too_deep;
        };
        let tail_returns = f.body.tail.as_deref().is_some_and(expr_returns);
        if !tail_returns && (!block_returns(&f.body) || f.body.tail.is_some()) {
            let span = f.body.tail.as_ref().map(|t| t.span).unwrap_or(f.body.span);
            match &f.body.tail {
                Some(t) => self.expect_returned(t, &body_ty, &ret),
                None => {
                    if ret != Ty::unit() && !ret.has_error() {
                        // `x + 1;` as the last statement: the `;` is the mistake.
                        let semi = match f.body.stmts.last() {
                            Some(Stmt::Expr(last))
                                if !last.is_block_like()
                                    && self.out.expr_types.get(&last.id) == Some(&ret) =>
                            {
                                Some(last.span)
                            }
                            _ => None,
                        };
                        let (span, help) = match semi {
                            Some(s) => (s, "remove the `;` after this expression to return its value"),
                            None => (
                                span,
                                "end the body with the value to return (no `;`) or a `return` statement",
                            ),
                        };
                        self.err_help(
                            span,
                            format!("function `{}` must return `{}`", f.name.name, self.show(&ret)),
                            help,
                        );
                    }
                }
            }
        }
    }

    pub(super) fn check_new_name(&mut self, seen: &mut HashMap<String, Span>, name: &Ident) -> bool {
        if seen.contains_key(&name.name) {
            self.err_help(
                name.span,
                format!("the name `{}` is defined twice", name.name),
                "rename one of the two definitions",
            );
            return false;
        }
        seen.insert(name.name.clone(), name.span);
        true
    }

    /// Whether `t` mentions struct `si`, directly or through other structs. Walks the
    /// struct graph once with a visited set (a recursive walk is exponential on DAGs
    /// like `struct S1 { a: S2, b: S2 }` and overflows the stack on long chains).
    pub(super) fn contains_struct(&self, t: &Ty, si: usize) -> bool {
        let mut seen = vec![false; self.out.structs.len()];
        let mut types: Vec<&Ty> = vec![t];
        while let Some(t) = types.pop() {
            match t {
                Ty::Struct(i) => {
                    if *i == si {
                        return true;
                    }
                    if !std::mem::replace(&mut seen[*i], true) {
                        types.extend(self.out.structs[*i].fields.iter().map(|(_, f)| f));
                    }
                }
                Ty::Array(e, _) => types.push(e),
                Ty::Tuple(ts) => types.extend(ts.iter()),
                _ => {}
            }
        }
        false
    }

    /// Depth and expanded node count of every struct reachable from `roots`, children
    /// first, memoized in `memo`. A struct past [`MAX_TYPE_DEPTH`] or [`MAX_TYPE_NODES`]
    /// is reported (the first time only) and loses its fields, so that everything
    /// after the checker may walk struct types recursively.
    pub(super) fn limit_struct_shapes(&mut self, roots: &[usize], memo: &mut [Option<(usize, u64)>]) {
        fn struct_refs(t: &Ty, out: &mut Vec<usize>) {
            match t {
                Ty::Struct(i) => out.push(*i),
                Ty::Array(e, _) => struct_refs(e, out),
                Ty::Tuple(ts) => ts.iter().for_each(|t| struct_refs(t, out)),
                _ => {}
            }
        }
        fn shape(t: &Ty, memo: &[Option<(usize, u64)>]) -> (usize, u64) {
            match t {
                Ty::Struct(i) => memo[*i].unwrap_or((1, 1)),
                Ty::Array(e, _) => {
                    let (d, n) = shape(e, memo);
                    (d + 1, n.saturating_add(1))
                }
                Ty::Tuple(ts) => ts
                    .iter()
                    .map(|t| shape(t, memo))
                    .fold((1usize, 1u64), |(d, n), (d2, n2)| (d.max(d2 + 1), n.saturating_add(n2))),
                _ => (1, 1),
            }
        }
        let mut on_stack = vec![false; self.out.structs.len()];
        let mut stack: Vec<(usize, bool)> = roots.iter().map(|&i| (i, false)).collect();
        while let Some((i, ready)) = stack.pop() {
            if memo[i].is_some() {
                continue;
            }
            if !ready {
                if on_stack[i] {
                    continue; // a cycle (already reported); treat as a leaf
                }
                on_stack[i] = true;
                stack.push((i, true));
                let mut refs = Vec::new();
                self.out.structs[i].fields.iter().for_each(|(_, t)| struct_refs(t, &mut refs));
                stack.extend(
                    refs.into_iter().filter(|&j| memo[j].is_none() && !on_stack[j]).map(|j| (j, false)),
                );
                continue;
            }
            let (d, n) = self.out.structs[i]
                .fields
                .iter()
                .map(|(_, t)| shape(t, memo))
                .fold((1usize, 1u64), |(d, n), (d2, n2)| (d.max(d2 + 1), n.saturating_add(n2)));
            if d > MAX_TYPE_DEPTH || n > MAX_TYPE_NODES {
                if !self.struct_too_big {
                    self.struct_too_big = true;
                    let name = self.out.structs[i].name.clone();
                    let span = self
                        .prog
                        .items
                        .iter()
                        .find_map(|it| match it {
                            Item::Struct { name: n, .. } if n.name == name => Some(n.span),
                            _ => None,
                        })
                        .unwrap_or_default();
                    self.err_help(
                        span,
                        format!("struct `{name}` is too deeply nested or too large"),
                        format!(
                            "its fields may nest at most {MAX_TYPE_DEPTH} levels of structs, arrays and tuples, \
                             with at most {MAX_TYPE_NODES} types in all"
                        ),
                    );
                }
                self.out.structs[i].fields.clear();
                memo[i] = Some((1, 1));
            } else {
                memo[i] = Some((d, n));
            }
            on_stack[i] = false;
        }
    }

    pub(super) fn party_index(&mut self, p: &Ident) -> Option<u8> {
        match self.out.parties.iter().position(|n| n == &p.name) {
            Some(i) => u8::try_from(i).ok(),
            // With no parties at all, `check_main` says so once ("no parties are
            // declared"), not once per annotation.
            None if self.out.parties.is_empty() => None,
            None => {
                let help = format!("declared parties: {}", self.out.parties.join(", "));
                self.err_help(p.span, format!("unknown party `{}`", p.name), help);
                None
            }
        }
    }

    pub(super) fn check_main(&mut self) {
        let prog = self.prog;
        let Some(sig) = self.out.fns.get("main").cloned() else {
            self.err_help(
                Span::new(0, 0),
                "the program has no `main` function",
                "add `fn main(a: u32 @alice, ...) -> T { ... }`",
            );
            return;
        };
        let Item::Fn(f) = &prog.items[sig.item] else { return };
        if self.out.parties.is_empty() {
            self.err_help(
                f.name.span,
                "no parties are declared",
                "declare them before `main`: `party alice;`",
            );
        }
        for (p, t) in f.params.iter().zip(&sig.params) {
            match &p.party {
                Some(party) => {
                    if let Some(k) = self.party_index(party) {
                        self.out.input_parties.push(k);
                    }
                }
                None => self.err_help(
                    p.name.span,
                    format!("input `{}` of `main` does not say which party supplies it", p.name.name),
                    format!("add the party after the type: `{}: {} @alice`", p.name.name, self.show(t)),
                ),
            }
            if t.has_comptime(&self.out.structs) {
                self.err(p.ty.span, "inputs must have a run-time type");
            } else if !t.has_error() && t.width(&self.out.structs) == 0 {
                self.err(
                    p.ty.span,
                    format!("input `{}` has no bits (its type `{}` is empty)", p.name.name, self.show(t)),
                );
            } else if t.depth(&self.out.structs) > MAX_TYPE_DEPTH {
                self.err_help(
                    p.ty.span,
                    format!("the type of input `{}` is nested too deeply", p.name.name),
                    format!(
                        "inputs and outputs nest at most {MAX_TYPE_DEPTH} levels (values and session messages are limited to that)"
                    ),
                );
            }
        }
        let Some(r) = &f.ret else {
            self.err_help(
                f.name.span,
                "`main` returns nothing, so the computation has no output",
                "add `-> T`",
            );
            return;
        };
        self.out.output_tuple = r.tuple;
        let tys: Vec<Ty> = match &sig.ret {
            Ty::Tuple(ts) if r.tuple => ts.clone(),
            t => vec![t.clone()],
        };
        let mut names: Vec<String> = Vec::new();
        for (i, (c, t)) in r.comps.iter().zip(tys).enumerate() {
            let name = c.name.as_ref().map(|n| n.name.clone()).unwrap_or_else(|| i.to_string());
            if names.contains(&name) {
                let span = c.name.as_ref().map(|n| n.span).unwrap_or(c.ty.span);
                self.err(span, format!("two outputs are named `{name}`"));
            }
            names.push(name.clone());
            let party = c.party.as_ref().and_then(|p| self.party_index(p));
            if t.has_comptime(&self.out.structs) {
                self.err(c.ty.span, "outputs must have a run-time type");
            } else if !t.has_error() && t.width(&self.out.structs) == 0 {
                self.err(
                    c.ty.span,
                    format!("output `{name}` has no bits (its type `{}` is empty)", self.show(&t)),
                );
            } else if t.depth(&self.out.structs) > MAX_TYPE_DEPTH {
                self.err_help(
                    c.ty.span,
                    format!("the type of output `{name}` is nested too deeply"),
                    format!(
                        "inputs and outputs nest at most {MAX_TYPE_DEPTH} levels (values and session messages are limited to that)"
                    ),
                );
            }
            self.out.outputs.push(OutputSpec { name, ty: t, party });
        }
        if !r.tuple {
            if let Some(o) = self.out.outputs.first_mut() {
                o.name = r
                    .comps
                    .first()
                    .and_then(|c| c.name.as_ref())
                    .map(|n| n.name.clone())
                    .unwrap_or("0".into());
            }
        }
    }

    pub(super) fn check_recursion(&mut self) {
        // Depth-first search for a cycle in the call graph.
        let names: Vec<String> = self.calls.keys().cloned().collect();
        let mut state: HashMap<String, u8> = HashMap::new(); // 1 = on stack, 2 = done
        let mut reported = false;
        for n in names {
            if reported {
                break;
            }
            let mut stack: Vec<(String, usize)> = vec![(n.clone(), 0)];
            if state.get(&n).copied().unwrap_or(0) != 0 {
                continue;
            }
            state.insert(n, 1);
            while let Some((f, i)) = stack.pop() {
                let edges = self.calls.get(&f).cloned().unwrap_or_default();
                if i < edges.len() {
                    stack.push((f.clone(), i + 1));
                    let (g, span) = &edges[i];
                    match state.get(g).copied().unwrap_or(0) {
                        0 => {
                            state.insert(g.clone(), 1);
                            stack.push((g.clone(), 0));
                        }
                        1 => {
                            self.err_help(
                                *span,
                                format!("recursive call: `{g}` calls itself (through `{f}`)"),
                                "circuits have a fixed size; rewrite the recursion as a `for` loop",
                            );
                            reported = true;
                            break;
                        }
                        _ => {}
                    }
                } else {
                    state.insert(f, 2);
                }
            }
        }
    }
}
