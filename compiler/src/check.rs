//! The checker: names, types, parties, constants, recursion.
//!
//! Produces [`Checked`]: the struct table, every function's signature, the parties, the
//! type of every expression (after literal coercion, see [`Ty::Int`]) and the type
//! each cast or array repeat denotes. Lowering relies on these facts and on the
//! absence of errors; it re-checks nothing but compile-time values (array bounds, loop
//! bounds) which it reports itself.
//!
//! Rules (see docs/language.md): no implicit conversions between run-time integer
//! types; compile-time integers coerce to any integer type; shift amounts may be any
//! unsigned type; `==`/`!=` work on any type, ordering only on integers; `main`'s
//! parameters name a declared party; recursion is rejected.

use std::collections::HashMap;

use crate::ast::*;
use crate::builtins;
use crate::diag::Diagnostic;
use crate::types::{
    int_type_name, parse_literal, StructDef, Ty, MAX_ARRAY_LEN, MAX_INT_WIDTH, MAX_TYPE_DEPTH,
    MAX_TYPE_NODES, MAX_VALUE_BITS,
};

/// A function's checked signature.
#[derive(Clone, Debug)]
pub struct FnSig {
    /// Index into `Program::items`.
    pub item: usize,
    /// Parameter types.
    pub params: Vec<Ty>,
    /// Return type (unit when omitted).
    pub ret: Ty,
    /// For an instance of a generic function: its index in [`Checked::instances`]
    /// (whose body is the one to lower, not `item`'s).
    pub instance: Option<usize>,
}

/// An `enum`: the struct that holds its values (a `(tag)` field, then each variant's
/// payloads as fields `Variant.0`, `Variant.1`, ...) and its variants in order (the
/// tag of variant k is k).
#[derive(Clone, Debug)]
pub struct EnumDef {
    /// Index of the struct in [`Checked::structs`].
    pub strukt: usize,
    /// Variant names and payload types.
    pub variants: Vec<(String, Vec<Ty>)>,
}

/// One output of `main`: name, type, and the party that learns it (None = all).
#[derive(Clone, Debug)]
pub struct OutputSpec {
    /// The output group's name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// `Some(k)` when only party `k` learns it.
    pub party: Option<u8>,
}

/// Everything the checker learned.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Party names in declaration order.
    pub parties: Vec<String>,
    /// Struct definitions.
    pub structs: Vec<StructDef>,
    /// Struct name to index.
    pub struct_index: HashMap<String, usize>,
    /// Functions by name.
    pub fns: HashMap<String, FnSig>,
    /// Constants in order: name, item index, type.
    pub consts: Vec<(String, usize, Ty)>,
    /// Type of each expression by id (after coercion).
    pub expr_types: HashMap<ExprId, Ty>,
    /// Parties of `main`'s inputs, in parameter order.
    pub input_parties: Vec<u8>,
    /// The outputs of `main`.
    pub outputs: Vec<OutputSpec>,
    /// Whether `main` returns a tuple whose components are separate outputs.
    pub output_tuple: bool,
    /// Returned expressions given as the element of a one-element tuple return type
    /// (`x` for `-> (m: u8)`): their value is wrapped into that tuple.
    pub wrap_single: std::collections::HashSet<ExprId>,
    /// Enums by name.
    pub enums: HashMap<String, EnumDef>,
    /// Instances of generic functions (`dot<4>`): copies of the generic definition
    /// with the parameters replaced by their values and fresh expression ids.
    pub instances: Vec<FnDef>,
    /// Calls of generic functions: the instance (a key of `fns`) each one calls.
    pub call_targets: HashMap<ExprId, String>,
}

impl Checked {
    /// The type recorded for `e` (the error type if none was).
    pub fn ty(&self, e: &Expr) -> Ty {
        self.expr_types.get(&e.id).cloned().unwrap_or(Ty::Error)
    }
}

/// Most instances of generic functions one program may create.
const MAX_INSTANCES: usize = 10_000;

#[derive(Clone)]
pub(crate) struct Var {
    pub(crate) ty: Ty,
    pub(crate) mutable: bool,
    /// For an untyped `let mut` whose type holds compile-time integers: the start
    /// of its name, the key of [`Checker::inferred`].
    pub(crate) decl: Option<usize>,
}

/// How many times one function body is checked again after types were inferred for
/// its untyped `let mut`s (each pass may infer more; the rest keep their errors).
const MAX_INFER_PASSES: usize = 4;

pub(crate) struct Checker<'p> {
    prog: &'p Program,
    pub(crate) out: Checked,
    diags: Vec<Diagnostic>,
    pub(crate) scopes: Vec<HashMap<String, Var>>,
    const_values: HashMap<String, i128>,
    calls: HashMap<String, Vec<(String, Span)>>,
    current_fn: String,
    ret_ty: Ty,
    depth: usize,
    too_deep: bool,
    struct_too_big: bool,
    /// Types inferred for untyped `let mut` variables from their first typed
    /// assignment, by the start of the variable's name.
    inferred: HashMap<usize, Ty>,
    /// Whether the current pass over a body inferred a new type.
    inferred_new: bool,
    /// Generic functions by name: item index.
    generic_fns: HashMap<String, usize>,
    /// Instances whose bodies are still to be checked.
    pending: Vec<String>,
    /// Ids for the expressions of instances.
    ids: IdGen,
}

/// Deepest expression nesting the checker (and so the compiler) accepts.
pub const MAX_NESTING: usize = 256;

/// Checks a parsed program. Returns the facts and the diagnostics (errors mean the
/// facts must not be lowered).
pub fn check(prog: &Program) -> (Checked, Vec<Diagnostic>) {
    let mut c = Checker {
        prog,
        out: Checked::default(),
        diags: Vec::new(),
        scopes: Vec::new(),
        const_values: HashMap::new(),
        calls: HashMap::new(),
        current_fn: String::new(),
        ret_ty: Ty::unit(),
        depth: 0,
        too_deep: false,
        struct_too_big: false,
        inferred: HashMap::new(),
        inferred_new: false,
        generic_fns: HashMap::new(),
        pending: Vec::new(),
        ids: IdGen::starting_at(prog.next_id),
    };
    c.run();
    (c.out, c.diags)
}

pub(crate) fn is_comptime(t: &Ty) -> bool {
    matches!(t, Ty::Int)
}

impl<'p> Checker<'p> {
    pub(crate) fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg));
    }

    pub(crate) fn err_help(&mut self, span: Span, msg: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::error(span, msg).with_help(help));
    }

    /// The help for an unknown name: a similar variable or constant, if any.
    fn name_help(&self, name: &str) -> String {
        let vars = self.scopes.iter().flat_map(|s| s.keys()).map(String::as_str);
        let consts = self.out.consts.iter().map(|c| c.0.as_str());
        match crate::diag::similar(name, vars.chain(consts)) {
            Some(s) => format!("a variable with a similar name exists: `{s}`"),
            None => "declare it with `let` before this use, or as a parameter".into(),
        }
    }

    pub(crate) fn show(&self, t: &Ty) -> String {
        t.display(&self.out.structs)
    }

    fn run(&mut self) {
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
    fn fn_body(&mut self, f: &FnDef, sig: &FnSig) {
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

    fn check_new_name(&mut self, seen: &mut HashMap<String, Span>, name: &Ident) -> bool {
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
    fn contains_struct(&self, t: &Ty, si: usize) -> bool {
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
    fn limit_struct_shapes(&mut self, roots: &[usize], memo: &mut [Option<(usize, u64)>]) {
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

    fn party_index(&mut self, p: &Ident) -> Option<u8> {
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

    fn check_main(&mut self) {
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

    fn check_recursion(&mut self) {
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

    // ---- types ----

    fn resolve_type(&mut self, t: &Type) -> Ty {
        match &t.kind {
            TypeKind::Named(n) => {
                if n.name == "bool" {
                    return Ty::Bool;
                }
                if let Some((signed, w)) = int_type_name(&n.name) {
                    if w == 0 || w > u64::from(MAX_INT_WIDTH) {
                        self.err_help(
                            n.span,
                            format!("integer width {w} is out of range"),
                            "integer types are u1..u256 and i1..i256",
                        );
                        return Ty::Error;
                    }
                    let w = w as u32;
                    return if signed { Ty::SInt(w) } else { Ty::UInt(w) };
                }
                match self.out.struct_index.get(&n.name) {
                    Some(&i) => Ty::Struct(i),
                    None => {
                        self.err_help(
                            n.span,
                            format!("unknown type `{}`", n.name),
                            "types are bool, uN, iN, [T; N], tuples and declared structs",
                        );
                        Ty::Error
                    }
                }
            }
            TypeKind::Tuple(ts) => Ty::Tuple(ts.iter().map(|t| self.resolve_type(t)).collect()),
            TypeKind::Array(elem, n) => {
                let e = self.resolve_type(elem);
                let Some(len) = self.array_len(n) else { return Ty::Error };
                let ty = Ty::Array(Box::new(e), len);
                if ty.width(&self.out.structs) > MAX_VALUE_BITS {
                    self.err(t.span, format!("type is too large (more than {MAX_VALUE_BITS} bits)"));
                    return Ty::Error;
                }
                ty
            }
        }
    }

    fn array_len(&mut self, n: &Expr) -> Option<u32> {
        self.scopes.push(HashMap::new());
        self.expr(n, None);
        self.scopes.pop();
        match self.const_eval(n) {
            Some(v) if v >= 0 && (v as u64) <= MAX_ARRAY_LEN => Some(v as u32),
            Some(v) => {
                self.err(n.span, format!("array length {v} is out of range (0..={MAX_ARRAY_LEN})"));
                None
            }
            None => {
                self.err_help(
                    n.span,
                    "array length must be known at compile time",
                    "use a literal or a `const` (inputs are secret and cannot size arrays)",
                );
                None
            }
        }
    }

    /// Evaluates integer expressions over literals and constants (no diagnostics).
    pub(crate) fn const_eval(&self, e: &Expr) -> Option<i128> {
        self.const_eval_at(e, 0)
    }

    fn const_eval_at(&self, e: &Expr, depth: usize) -> Option<i128> {
        if depth > MAX_NESTING {
            return None;
        }
        let d = depth + 1;
        match &e.kind {
            ExprKind::Int(t) => parse_literal(t).ok()?.as_i128(),
            ExprKind::Path(n) => self.const_values.get(&n.name).copied(),
            ExprKind::Cast(inner, _) => self.const_eval_at(inner, d),
            ExprKind::Unary(UnOp::Neg, inner) => self.const_eval_at(inner, d)?.checked_neg(),
            ExprKind::Binary(..) => {
                // The chain's left spine in a loop (one level, see `Expr::binary_spine`).
                let (spine, leftmost) = e.binary_spine();
                let mut acc = self.const_eval_at(leftmost, d)?;
                for node in spine.iter().rev() {
                    let ExprKind::Binary(op, _, b) = &node.kind else { return None };
                    acc = Self::const_binary(*op, acc, self.const_eval_at(b, d)?)?;
                }
                Some(acc)
            }
            ExprKind::Block(b) if b.stmts.is_empty() => self.const_eval_at(b.tail.as_ref()?, d),
            _ => None,
        }
    }

    /// `a op b` on compile-time integers; `None` on overflow or a non-integer operator.
    fn const_binary(op: BinOp, a: i128, b: i128) -> Option<i128> {
        match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            BinOp::Div => a.checked_div(b),
            BinOp::Rem => a.checked_rem(b),
            BinOp::Shl => {
                u32::try_from(b).ok().and_then(|b| a.checked_shl(b)).filter(|v| v >> b.min(127) == a)
            }
            BinOp::Shr => u32::try_from(b).ok().and_then(|b| a.checked_shr(b)),
            BinOp::BitAnd => Some(a & b),
            BinOp::BitOr => Some(a | b),
            BinOp::BitXor => Some(a ^ b),
            _ => None,
        }
    }

    pub(crate) fn set(&mut self, e: &Expr, t: Ty) -> Ty {
        self.out.expr_types.insert(e.id, t.clone());
        t
    }

    /// Whether a value of type `got` may be used where `want` is expected; on success
    /// records the coercion of compile-time integers on `e`.
    fn assignable(&mut self, e: &Expr, got: &Ty, want: &Ty) -> bool {
        if got == want || got.has_error() || want.has_error() {
            return true;
        }
        if self.compatible(got, want) {
            self.set(e, want.clone());
            return true;
        }
        false
    }

    fn compatible(&self, got: &Ty, want: &Ty) -> bool {
        match (got, want) {
            (a, b) if a == b => true,
            (Ty::Int, w) => w.is_integral(),
            (Ty::Array(a, n), Ty::Array(b, m)) => n == m && self.compatible(a, b),
            (Ty::Tuple(a), Ty::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.compatible(x, y))
            }
            _ => false,
        }
    }

    pub(crate) fn expect_assignable(&mut self, e: &Expr, got: &Ty, want: &Ty) {
        if !self.assignable(e, got, want) {
            let help = if got.is_int() && want.is_int() {
                format!("convert it with `as`: `(...) as {}`", self.show(want))
            } else {
                "change the value or the declared type".to_string()
            };
            self.err_help(
                e.span,
                format!("mismatched types: expected `{}`, found `{}`", self.show(want), self.show(got)),
                help,
            );
        }
    }

    /// Like [`Self::expect_assignable`] for a returned value; also accepts the element
    /// of a one-element tuple return type (`x` for `-> (m: u8)`, as if `(x,)`).
    fn expect_returned(&mut self, e: &Expr, got: &Ty, want: &Ty) {
        if let Ty::Tuple(ts) = want {
            if let [t] = ts.as_slice() {
                if !self.compatible(got, want) && !got.has_error() && self.assignable(e, got, t) {
                    self.out.wrap_single.insert(e.id);
                    return;
                }
            }
        }
        self.expect_assignable(e, got, want);
    }

    fn lookup(&self, name: &str) -> Option<&Var> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    // ---- statements ----

    fn block(&mut self, b: &Block, expected: Option<&Ty>) -> Ty {
        self.scopes.push(HashMap::new());
        for s in &b.stmts {
            self.stmt(s);
        }
        let t = match &b.tail {
            Some(e) => self.expr(e, expected),
            None => Ty::unit(),
        };
        self.scopes.pop();
        t
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { mutable, name, ty, value, tuple } => {
                let mut want = ty.as_ref().map(|t| self.resolve_type(t));
                if want.is_none() && *mutable {
                    want = self.inferred.get(&name.span.lo).cloned();
                }
                let untyped = want.is_none() && *mutable;
                let got = self.expr(value, want.as_ref());
                let t = match want {
                    Some(w) => {
                        self.expect_assignable(value, &got, &w);
                        w
                    }
                    None => got,
                };
                let t = match tuple {
                    Some(n) => self.destructured(value, t, *n),
                    None => t,
                };
                if let Some(scope) = self.scopes.last_mut() {
                    let decl = (untyped && t.has_comptime(&self.out.structs)).then_some(name.span.lo);
                    scope.insert(name.name.clone(), Var { ty: t, mutable: *mutable, decl });
                }
            }
            Stmt::Assign { place, op, value, span } => {
                let pt = self.place(place);
                match op {
                    None => {
                        let vt = self.expr(value, Some(&pt));
                        if !self.compatible(&vt, &pt) {
                            self.infer_from(place, &pt, &vt);
                        }
                        if pt == Ty::Int && vt.is_int() && vt != Ty::Int {
                            if !self.assignable(value, &vt, &pt) {
                                let help = self.declare_help(place, &vt);
                                self.err_help(
                                    value.span,
                                    format!(
                                        "mismatched types: expected `{}`, found `{}`",
                                        self.show(&pt),
                                        self.show(&vt)
                                    ),
                                    help,
                                );
                            }
                        } else {
                            self.expect_assignable(value, &vt, &pt);
                        }
                    }
                    Some(op) => {
                        let vt = if matches!(op, BinOp::Shl | BinOp::Shr) {
                            self.expr(value, None)
                        } else {
                            self.expr(value, Some(&pt))
                        };
                        let rt = self.binary_types(*op, *span, &pt, &vt, place, value);
                        if !rt.has_error() && !pt.has_error() && !self.compatible(&rt, &pt) {
                            let msg = format!("`{}=` cannot assign `{}` here", op.symbol(), self.show(&rt));
                            if pt == Ty::Int && rt.is_int() {
                                if !matches!(op, BinOp::Shl | BinOp::Shr) {
                                    self.infer_from(place, &pt, &rt);
                                }
                                let help = self.declare_help(place, &rt);
                                self.err_help(*span, msg, help);
                            } else {
                                self.err(*span, msg);
                            }
                        }
                    }
                }
            }
            Stmt::Expr(e) => {
                self.expr(e, None);
            }
            Stmt::For { var, lo, hi, body, .. } => {
                let lt = self.expr(lo, None);
                let ht = self.expr(hi, Some(&lt));
                let lt = if is_comptime(&lt) && ht.is_int() {
                    self.set(lo, ht.clone());
                    ht.clone()
                } else {
                    lt
                };
                if !lt.has_error() && !ht.has_error() && (!lt.is_integral() || !self.compatible(&ht, &lt)) {
                    {
                        self.err_help(
                            Span::new(lo.span.lo, hi.span.hi),
                            format!(
                                "loop bounds must be integers of one type, found `{}` and `{}`",
                                self.show(&lt),
                                self.show(&ht)
                            ),
                            "write bounds like `0..N` with a constant N",
                        );
                    }
                }
                let mut scope = HashMap::new();
                scope.insert(
                    var.name.clone(),
                    Var { ty: if lt.has_error() { Ty::Int } else { lt }, mutable: false, decl: None },
                );
                self.scopes.push(scope);
                self.block(body, None);
                self.scopes.pop();
            }
            Stmt::Return { value, span } => {
                let want = self.ret_ty.clone();
                match value {
                    Some(v) => {
                        let t = self.expr(v, Some(&want));
                        self.expect_returned(v, &t, &want);
                    }
                    None => {
                        if want != Ty::unit() {
                            self.err(*span, format!("`return` needs a value of type `{}`", self.show(&want)));
                        }
                    }
                }
            }
            Stmt::Unbounded(span) => self.err_help(
                *span,
                "unbounded loops are not supported",
                "circuits have a fixed size: use `for i in 0..N { ... }` with a compile-time N",
            ),
            Stmt::Error(_) => {}
        }
    }

    /// `place` (a compile-time integer) is assigned a value of run-time type `got`:
    /// when it is an untyped `let mut` variable (or an element of one, through
    /// indices), infer the variable's type from this first typed assignment.
    fn infer_from(&mut self, place: &Expr, pt: &Ty, got: &Ty) {
        if *pt != Ty::Int || !matches!(got, Ty::UInt(_) | Ty::SInt(_)) {
            return;
        }
        let mut depth = 0;
        let mut cur = place;
        while let ExprKind::Index(base, _) = &cur.kind {
            depth += 1;
            cur = base;
        }
        let ExprKind::Path(n) = &cur.kind else { return };
        let Some(Var { ty, decl: Some(lo), .. }) = self.lookup(&n.name) else { return };
        // The variable's type must be `[..[{integer}; _]..; _]` with exactly `depth` levels.
        fn rebuild(t: &Ty, depth: usize, got: &Ty) -> Option<Ty> {
            match t {
                Ty::Int if depth == 0 => Some(got.clone()),
                Ty::Array(el, n) if depth > 0 => Some(Ty::Array(Box::new(rebuild(el, depth - 1, got)?), *n)),
                _ => None,
            }
        }
        let lo = *lo;
        let Some(t) = rebuild(ty, depth, got) else { return };
        if let std::collections::hash_map::Entry::Vacant(v) = self.inferred.entry(lo) {
            v.insert(t);
            self.inferred_new = true;
        }
    }

    /// Help for assigning a value of type `got` to a compile-time integer `place`.
    fn declare_help(&self, place: &Expr, got: &Ty) -> String {
        let mut cur = place;
        while let ExprKind::Index(base, _) | ExprKind::Field(base, _) = &cur.kind {
            cur = base;
        }
        let name = match &cur.kind {
            ExprKind::Path(n) => n.name.as_str(),
            _ => "s",
        };
        let t = self.show(got);
        if matches!(place.kind, ExprKind::Field(..)) || !matches!(cur.kind, ExprKind::Path(_)) {
            return format!(
                "`{name}` holds compile-time integers: give the integers in its declaration a type, e.g. `0{t}` instead of `0`"
            );
        }
        format!(
            "`{name}` holds compile-time integers: give it a type where it is declared, \
             e.g. `let mut {name} = 0{t};` (write `0{t}`, not `0`) or `let mut {name}: {t} = ...;`"
        )
    }

    /// The type of the value of `let (a, b, ..) = value;` (`n` names): it must be an
    /// `n`-tuple. The error type otherwise, so that the names bound from it do not
    /// report more errors.
    fn destructured(&mut self, value: &Expr, t: Ty, n: usize) -> Ty {
        match &t {
            Ty::Tuple(ts) if ts.len() == n => t,
            Ty::Error => t,
            Ty::Tuple(ts) => {
                self.err_help(
                    value.span,
                    format!("this tuple has {} elements, but the pattern has {n} names", ts.len()),
                    "name every element (`_` for one you do not need)",
                );
                Ty::Error
            }
            _ => {
                self.err_help(
                    value.span,
                    format!("`let (..)` needs a tuple, found `{}`", self.show(&t)),
                    "destructure a tuple such as `f(a)` returning `(u8, u8)`, or use `let x = ...;`",
                );
                Ty::Error
            }
        }
    }

    /// Checks an assignment target; returns its type.
    fn place(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Path(n) => {
                let t = match self.lookup(&n.name) {
                    Some(v) if v.mutable => v.ty.clone(),
                    Some(v) => {
                        let t = v.ty.clone();
                        self.err_help(
                            n.span,
                            format!("cannot assign twice to immutable variable `{}`", n.name),
                            format!("declare it with `let mut {}`", n.name),
                        );
                        t
                    }
                    None => {
                        if self.const_values.contains_key(&n.name)
                            || self.out.consts.iter().any(|c| c.0 == n.name)
                        {
                            self.err(n.span, format!("cannot assign to constant `{}`", n.name));
                        } else {
                            self.err_help(
                                n.span,
                                format!("cannot find variable `{}` in this scope", n.name),
                                format!("declare it first: `let mut {} = ...;`", n.name),
                            );
                            // Later uses of the name are not errors of their own.
                            if let Some(scope) = self.scopes.last_mut() {
                                scope
                                    .insert(n.name.clone(), Var { ty: Ty::Error, mutable: true, decl: None });
                            }
                        }
                        Ty::Error
                    }
                };
                self.set(e, t)
            }
            ExprKind::Index(base, idx) => {
                let bt = self.place(base);
                let t = self.index_type(e, &bt, idx);
                self.set(e, t)
            }
            ExprKind::Field(base, f) => {
                let bt = self.place(base);
                let t = self.field_type(&bt, f);
                self.set(e, t)
            }
            _ => {
                self.expr(e, None);
                self.err_help(
                    e.span,
                    "invalid assignment target",
                    "assign to a variable, an array element `a[i]` or a field `s.f`",
                );
                Ty::Error
            }
        }
    }

    fn index_type(&mut self, e: &Expr, bt: &Ty, idx: &Expr) -> Ty {
        let it = self.expr(idx, None);
        if !it.has_error() && !matches!(it, Ty::UInt(_) | Ty::Int) {
            self.err_help(
                idx.span,
                format!("array index must be unsigned, found `{}`", self.show(&it)),
                "cast it: `i as u32`",
            );
        }
        match bt {
            Ty::Array(elem, _) => (**elem).clone(),
            Ty::Error => Ty::Error,
            other => {
                self.err(e.span, format!("cannot index a value of type `{}`", self.show(other)));
                Ty::Error
            }
        }
    }

    fn field_type(&mut self, bt: &Ty, f: &Ident) -> Ty {
        match bt {
            Ty::Struct(i) if self.enum_of(*i).is_some() => {
                let found =
                    self.out.structs[*i].fields.iter().find(|(n, _)| n == &f.name).map(|(_, t)| t.clone());
                match found {
                    Some(t) => t,
                    // A payload of a variant that does not exist (made by `match`,
                    // whose pattern is reported).
                    None if f.name.contains('.') => Ty::Error,
                    None => {
                        let name = self.out.structs[*i].name.clone();
                        self.err_help(
                            f.span,
                            format!("enum `{name}` has no fields"),
                            "read its variants' values with `match`",
                        );
                        Ty::Error
                    }
                }
            }
            Ty::Struct(i) => {
                let s = &self.out.structs[*i];
                match s.fields.iter().find(|(n, _)| n == &f.name) {
                    Some((_, t)) => t.clone(),
                    None => {
                        let names: Vec<String> = s.fields.iter().map(|(n, _)| n.clone()).collect();
                        let sname = s.name.clone();
                        self.err_help(
                            f.span,
                            format!("struct `{sname}` has no field `{}`", f.name),
                            format!("its fields are: {}", names.join(", ")),
                        );
                        Ty::Error
                    }
                }
            }
            Ty::Tuple(ts) => match f.name.parse::<usize>().ok().and_then(|i| ts.get(i)) {
                Some(t) => t.clone(),
                None => {
                    self.err(f.span, format!("tuple has no field `{}` (it has {} fields)", f.name, ts.len()));
                    Ty::Error
                }
            },
            Ty::Error => Ty::Error,
            other => {
                self.err(f.span, format!("type `{}` has no fields", self.show(other)));
                Ty::Error
            }
        }
    }

    // ---- expressions ----

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

    fn expr_inner(&mut self, e: &Expr, expected: Option<&Ty>) -> Ty {
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
    fn binary(&mut self, e: &Expr, expected: Option<&Ty>) -> Ty {
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

    fn call(&mut self, e: &Expr, name: &Ident, args: &[Expr], expected: Option<&Ty>) -> Ty {
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
    fn builtin(&mut self, e: &Expr, name: &Ident, args: &[Expr], expected: Option<&Ty>) -> Ty {
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

    /// The enum whose values struct `si` holds, if it is one.
    fn enum_of(&self, si: usize) -> Option<&str> {
        self.out.enums.iter().find(|(_, d)| d.strukt == si).map(|(n, _)| n.as_str())
    }

    /// The index of variant `v` of enum `en`, reporting an unknown enum or variant.
    fn variant_index(&mut self, en: &Ident, v: &Ident) -> Option<usize> {
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
    fn variant(&mut self, e: &Expr, t: &Ident, v: &Ident, args: Option<&[Expr]>) -> Ty {
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

    /// `recv.len()` (a compile-time integer) and `recv.bit(i)`.
    fn method(&mut self, e: &Expr, recv: &Expr, name: &Ident, args: &[Expr]) -> Ty {
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
                    "methods are `len()` on arrays and `bit(i)` on integers",
                );
                Ty::Error
            }
        }
    }

    /// Whether the arms of a `match` on a value of type `st` cover every value;
    /// reports the values left out. (The parser made the last arm the `else` of the
    /// rewritten `if` chain, so this is what makes that right.)
    fn exhaustive(&mut self, span: Span, st: &Ty, arms: &[(Vec<PatAtom>, Span)]) {
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

    /// A call of a generic function: the parameters' values come from the argument
    /// types (`[u32; N]` given a `[u32; 4]` makes N = 4); the call is checked against
    /// (and lowered as) the instance for those values, made the first time.
    fn generic_call(&mut self, e: &Expr, name: &Ident, args: &[Expr]) -> Ty {
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

/// Whether a block surely ends in a `return`: a `return` statement, or a tail `if`
/// (or block) all of whose branches end in one.
fn block_returns(b: &Block) -> bool {
    match &b.tail {
        None => matches!(b.stmts.last(), Some(Stmt::Return { .. })),
        Some(e) => expr_returns(e),
    }
}

/// Whether an `if`/block expression surely ends in a `return` on every branch.
/// Iterative over `else if` chains, recursive only into nested blocks (whose depth
/// the checker limits).
fn expr_returns(e: &Expr) -> bool {
    let mut e = e;
    loop {
        match &e.kind {
            ExprKind::Block(b) => return block_returns(b),
            ExprKind::Match(m) => e = &m.desugared,
            ExprKind::If(_, then, Some(el)) => {
                if !block_returns(then) {
                    return false;
                }
                e = el;
            }
            _ => return false,
        }
    }
}

/// Binds the generic parameters in a parameter's written type from the argument's
/// type: `[T; N]` against `[T'; 4]` binds N = 4. `Err((name, old, new))` on a clash.
fn bind_generics(
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
fn substitute_fn(f: &mut FnDef, map: &HashMap<String, i128>, ids: &IdGen) {
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

fn subst_type(t: &mut Type, map: &HashMap<String, i128>, ids: &IdGen) {
    match &mut t.kind {
        TypeKind::Named(_) => {}
        TypeKind::Array(elem, n) => {
            subst_type(elem, map, ids);
            subst_expr(n, map, ids);
        }
        TypeKind::Tuple(ts) => ts.iter_mut().for_each(|t| subst_type(t, map, ids)),
    }
}

fn subst_block(b: &mut Block, map: &HashMap<String, i128>, ids: &IdGen) {
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

fn subst_expr(e: &mut Expr, map: &HashMap<String, i128>, ids: &IdGen) {
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
