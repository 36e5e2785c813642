//! Source-level facts about a program, for `mpc compile --explain` and `mpc lsp`:
//! every diagnostic, the type of every expression, where each name is defined, and
//! where the AND gates go.
//!
//! [`analyze`] runs the same front end and program form as `compile_program` (with
//! source attribution on: `Ir::spans`, `blast::blast_attributed`, `emit`'s trace) and
//! never panics. Gate costs are for the whole run of the program form, per source
//! span: each body's AND gates per span times the number of times the body runs.
//!
//! *Invariant:* when [`Analysis::costs`] is present, the AND gates of its lines plus
//! [`Explanation::unattributed`] equal the program's AND count (`Program::stats`);
//! the same holds for its spans. A node shared by several expressions (common
//! subexpressions) counts for the first expression that made it.

use std::collections::HashMap;

use crate::ast::{Block, Expr, ExprKind, Ident, Item, Program, Span, Stmt, Type, TypeKind};
use crate::check::Checked;
use crate::diag::Diagnostic;
use crate::types::Ty;
use crate::Options;

/// The whole run's AND gates of one source span (an expression or statement).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpanCost {
    /// AND gates executed over the whole run.
    pub and_gates: u128,
    /// The longest chain of this span's own AND gates within one body call.
    pub depth: u32,
    /// How many times the span's code runs: lowering's evaluations (unrolled
    /// iterations, inlined calls) times the trip counts of the rolled loops around it.
    pub runs: u128,
}

/// The cost of one source line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineCost {
    /// 1-based line number.
    pub line: usize,
    /// AND gates of the whole run.
    pub and_gates: u128,
    /// The largest depth of the line's spans.
    pub depth: u32,
    /// The most runs of any of its spans (a line in a loop body of 100 trips: 100).
    pub runs: u128,
}

impl LineCost {
    /// AND gates per run (`and_gates / runs`; the total when the line never ran apart).
    pub fn per_run(&self) -> f64 {
        if self.runs > 1 {
            self.and_gates as f64 / self.runs as f64
        } else {
            self.and_gates as f64
        }
    }
}

/// The cost of one function: the lines between its name and its closing brace (a
/// function inlined at several calls counts all of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnCost {
    /// Its name.
    pub name: String,
    /// From its name to its closing brace.
    pub span: Span,
    /// AND gates of the whole run.
    pub and_gates: u128,
    /// The largest depth of its spans.
    pub depth: u32,
}

/// Where the AND gates of a compiled program go.
#[derive(Clone, Debug, Default)]
pub struct Explanation {
    /// The program's AND gates for the whole run (`Program::stats().and`).
    pub and_gates: u128,
    /// Lines with AND gates, heaviest first (ties by line number).
    pub lines: Vec<LineCost>,
    /// Functions with AND gates, heaviest first.
    pub functions: Vec<FnCost>,
    /// AND gates of no source line (zero unless a pass lost a node's origin).
    pub unattributed: u128,
    /// Per span (expressions and statements), with gates or runs.
    pub spans: HashMap<Span, SpanCost>,
}

/// What a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    /// A `let`, a parameter or a loop counter.
    Variable,
    /// A function.
    Function,
    /// A `const`.
    Const,
    /// A struct.
    Struct,
    /// A struct's field.
    Field,
}

/// One use of a name and where it is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Definition {
    /// The name as used.
    pub use_span: Span,
    /// The name where it is defined.
    pub def_span: Span,
    /// What it is.
    pub kind: DefKind,
}

/// Everything [`analyze`] found.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Errors and warnings of every stage that ran.
    pub diagnostics: Vec<Diagnostic>,
    /// The type of every expression that checked, as the user writes it.
    pub types: Vec<(Span, String)>,
    /// Every resolved use of a name.
    pub definitions: Vec<Definition>,
    /// Where the gates go, when the program compiled.
    pub costs: Option<Explanation>,
}

impl Analysis {
    /// The innermost expression containing byte `pos`, with its type.
    pub fn type_at(&self, pos: usize) -> Option<(Span, &str)> {
        self.types
            .iter()
            .filter(|(s, _)| s.lo <= pos && pos < s.hi)
            .min_by_key(|(s, _)| s.hi - s.lo)
            .map(|(s, t)| (*s, t.as_str()))
    }

    /// The definition of the name at byte `pos`.
    pub fn definition_at(&self, pos: usize) -> Option<&Definition> {
        self.definitions.iter().find(|d| d.use_span.lo <= pos && pos < d.use_span.hi.max(d.use_span.lo + 1))
    }
}

/// Parses, checks and (when error-free) compiles `source` to its program form with
/// source attribution; see the module docs.
pub fn analyze(source: &str, options: &Options) -> Analysis {
    let (prog, mut diagnostics) = crate::parser::parse(source);
    let Some(prog) = prog else { return Analysis { diagnostics, ..Analysis::default() } };
    let (checked, cd) = crate::check::check(&prog);
    diagnostics.extend(cd);
    let mut a = Analysis { types: Vec::new(), definitions: Vec::new(), costs: None, diagnostics: Vec::new() };
    Walker::new(&prog, &checked, &mut a).items(&prog);
    if !diagnostics.iter().any(Diagnostic::is_error) {
        let front = crate::middle(&prog, &checked, options, true, &mut |_, _| {}).map_err(|d| *d);
        match front.and_then(|(ir, roll)| crate::back(&ir, &roll, options, true)) {
            Ok((program, spans)) => a.costs = Some(explanation(source, &prog, program.stats().and, spans)),
            Err(d) => diagnostics.push(d),
        }
    }
    a.diagnostics = diagnostics;
    a
}

/// Compiles `source` and says where its AND gates go: [`analyze`]'s costs, or the
/// diagnostics that stopped it.
pub fn explain(source: &str, options: &Options) -> (Option<Explanation>, Vec<Diagnostic>) {
    let a = analyze(source, options);
    (a.costs, a.diagnostics)
}

/// Byte offsets where each line starts.
pub fn line_starts(source: &str) -> Vec<usize> {
    std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// The 1-based line of byte `pos`.
pub fn line_of(starts: &[usize], pos: usize) -> usize {
    starts.partition_point(|&s| s <= pos).max(1)
}

fn explanation(source: &str, prog: &Program, total: u128, spans: HashMap<Span, SpanCost>) -> Explanation {
    let starts = line_starts(source);
    let mut lines: HashMap<usize, LineCost> = HashMap::new();
    let mut unattributed = 0u128;
    for (span, c) in &spans {
        if *span == Span::default() {
            unattributed = unattributed.saturating_add(c.and_gates);
            continue;
        }
        let line = line_of(&starts, span.lo);
        let l = lines.entry(line).or_insert(LineCost { line, and_gates: 0, depth: 0, runs: 0 });
        l.and_gates = l.and_gates.saturating_add(c.and_gates);
        l.depth = l.depth.max(c.depth);
        l.runs = l.runs.max(c.runs);
    }
    let mut lines: Vec<LineCost> = lines.into_values().filter(|l| l.and_gates > 0).collect();
    lines.sort_by(|a, b| b.and_gates.cmp(&a.and_gates).then(a.line.cmp(&b.line)));
    let mut functions: Vec<FnCost> = prog
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Fn(f) => Some(FnCost {
                name: f.name.name.clone(),
                span: Span::new(f.name.span.lo, f.body.span.hi),
                and_gates: 0,
                depth: 0,
            }),
            _ => None,
        })
        .collect();
    for (span, c) in &spans {
        if let Some(f) = functions.iter_mut().find(|f| f.span.lo <= span.lo && span.lo < f.span.hi) {
            f.and_gates = f.and_gates.saturating_add(c.and_gates);
            f.depth = f.depth.max(c.depth);
        }
    }
    functions.retain(|f| f.and_gates > 0);
    functions.sort_by(|a, b| b.and_gates.cmp(&a.and_gates).then(a.span.lo.cmp(&b.span.lo)));
    Explanation { and_gates: total, lines, functions, unattributed, spans }
}

/// Walks the syntax tree once: expression types and name resolution.
struct Walker<'a> {
    ck: &'a Checked,
    out: &'a mut Analysis,
    scopes: Vec<Vec<(String, Span)>>,
    fns: HashMap<&'a str, Span>,
    consts: HashMap<&'a str, Span>,
    structs: HashMap<&'a str, StructSpans<'a>>,
}

/// A struct's name and its fields' names where they are defined.
type StructSpans<'a> = (Span, Vec<(&'a str, Span)>);

impl<'a> Walker<'a> {
    fn new(prog: &'a Program, ck: &'a Checked, out: &'a mut Analysis) -> Walker<'a> {
        let mut w = Walker {
            ck,
            out,
            scopes: Vec::new(),
            fns: HashMap::new(),
            consts: HashMap::new(),
            structs: HashMap::new(),
        };
        for it in &prog.items {
            match it {
                Item::Fn(f) => {
                    w.fns.entry(&f.name.name).or_insert(f.name.span);
                }
                Item::Const { name, .. } => {
                    w.consts.entry(&name.name).or_insert(name.span);
                }
                Item::Struct { name, fields } => {
                    let fs = fields.iter().map(|(f, _)| (f.name.as_str(), f.span)).collect();
                    w.structs.entry(&name.name).or_insert((name.span, fs));
                }
                Item::Party(_) | Item::Enum { .. } | Item::Error(_) => {}
            }
        }
        w
    }

    fn def(&mut self, use_span: Span, def_span: Span, kind: DefKind) {
        self.out.definitions.push(Definition { use_span, def_span, kind });
    }

    fn items(&mut self, prog: &Program) {
        for it in &prog.items {
            match it {
                Item::Fn(f) => {
                    let mut scope = Vec::new();
                    for p in &f.params {
                        self.ty(&p.ty);
                        scope.push((p.name.name.clone(), p.name.span));
                    }
                    if let Some(r) = &f.ret {
                        for c in &r.comps {
                            self.ty(&c.ty);
                        }
                    }
                    self.scopes.push(scope);
                    self.block(&f.body);
                    self.scopes.pop();
                }
                Item::Const { ty, value, .. } => {
                    if let Some(t) = ty {
                        self.ty(t);
                    }
                    self.expr(value);
                }
                Item::Struct { fields, .. } => {
                    for (_, t) in fields {
                        self.ty(t);
                    }
                }
                Item::Enum { variants, .. } => {
                    for t in variants.iter().flat_map(|(_, ts)| ts) {
                        self.ty(t);
                    }
                }
                Item::Party(_) | Item::Error(_) => {}
            }
        }
    }

    fn ty(&mut self, t: &Type) {
        match &t.kind {
            TypeKind::Named(n) => {
                if let Some((s, _)) = self.structs.get(n.name.as_str()) {
                    let s = *s;
                    self.def(n.span, s, DefKind::Struct);
                }
            }
            TypeKind::Array(t, n) => {
                self.ty(t);
                self.expr(n);
            }
            TypeKind::Tuple(ts) => ts.iter().for_each(|t| self.ty(t)),
        }
    }

    fn bind(&mut self, name: &Ident) {
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.name.clone(), name.span));
        }
    }

    fn block(&mut self, b: &Block) {
        self.scopes.push(Vec::new());
        for s in &b.stmts {
            match s {
                Stmt::Let { name, ty, value, .. } => {
                    if let Some(t) = ty {
                        self.ty(t);
                    }
                    self.expr(value);
                    self.bind(name);
                }
                Stmt::Assign { place, value, .. } => {
                    self.expr(place);
                    self.expr(value);
                }
                Stmt::Expr(e) => self.expr(e),
                Stmt::For { var, lo, hi, body, .. } => {
                    self.expr(lo);
                    self.expr(hi);
                    self.scopes.push(vec![(var.name.clone(), var.span)]);
                    self.block(body);
                    self.scopes.pop();
                }
                Stmt::Return { value, .. } => {
                    if let Some(v) = value {
                        self.expr(v);
                    }
                }
                Stmt::Unbounded(_) | Stmt::Error(_) => {}
            }
        }
        if let Some(t) = &b.tail {
            self.expr(t);
        }
        self.scopes.pop();
    }

    fn expr(&mut self, e: &Expr) {
        let ty = self.ck.ty(e);
        if ty != Ty::Error {
            self.out.types.push((e.span, ty.display(&self.ck.structs)));
        }
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Tag(..) | ExprKind::Error => {}
            ExprKind::Method(recv, _, args) => {
                self.expr(recv);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Variant(_, _, args) => args.iter().flatten().for_each(|a| self.expr(a)),
            ExprKind::Closure(param, body) => {
                self.scopes.push(vec![(param.name.clone(), param.span)]);
                self.expr(body);
                self.scopes.pop();
            }
            ExprKind::Match(info) => self.expr(&info.desugared),
            ExprKind::Path(n) => {
                let local = self.scopes.iter().rev().flat_map(|s| s.iter().rev()).find(|(x, _)| *x == n.name);
                if let Some(&(_, s)) = local {
                    self.def(n.span, s, DefKind::Variable);
                } else if let Some(&s) = self.consts.get(n.name.as_str()) {
                    self.def(n.span, s, DefKind::Const);
                }
            }
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Repeat(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Unary(_, a) => self.expr(a),
            ExprKind::Cast(a, t) => {
                self.expr(a);
                self.ty(t);
            }
            ExprKind::Call(n, args) => {
                if let Some(&s) = self.fns.get(n.name.as_str()) {
                    self.def(n.span, s, DefKind::Function);
                }
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Field(base, f) => {
                self.expr(base);
                if let Ty::Struct(i) = self.ck.ty(base) {
                    let name = self.ck.structs.get(i).map(|s| s.name.as_str()).unwrap_or("");
                    let field =
                        self.structs.get(name).and_then(|(_, fs)| fs.iter().find(|(x, _)| *x == f.name));
                    if let Some(&(_, s)) = field {
                        self.def(f.span, s, DefKind::Field);
                    }
                }
            }
            ExprKind::Tuple(xs) | ExprKind::Array(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::StructLit(n, fields) => {
                let found = self.structs.get(n.name.as_str()).cloned();
                if let Some((s, _)) = &found {
                    self.def(n.span, *s, DefKind::Struct);
                }
                for (f, v) in fields {
                    let def = found.as_ref().and_then(|(_, fs)| fs.iter().find(|(x, _)| *x == f.name));
                    if let Some(&(_, s)) = def {
                        self.def(f.span, s, DefKind::Field);
                    }
                    self.expr(v);
                }
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::If(c, t, e) => {
                self.expr(c);
                self.block(t);
                if let Some(e) = e {
                    self.expr(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROG: &str = "party a;\nparty b;\n\
        fn sq(x: u16) -> u16 { x * x }\n\
        fn main(x: u16 @a, y: u16 @b) -> u16 {\n\
        let p = sq(x);\n\
        let q = x + y;\n\
        p ^ q\n\
        }\n";

    /// The lines' AND gates add up to the program's, and the multiplication's line
    /// (inside `sq`) carries its gates.
    #[test]
    fn costs_add_up_and_land_on_the_multiplication() {
        let a = analyze(PROG, &Options::default());
        assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
        let costs = a.costs.expect("compiles");
        let sum: u128 = costs.lines.iter().map(|l| l.and_gates).sum::<u128>() + costs.unattributed;
        assert_eq!(sum, costs.and_gates);
        assert_eq!(costs.unattributed, 0);
        assert_eq!(costs.lines[0].line, 3, "{:?}", costs.lines);
        assert_eq!(costs.functions[0].name, "sq");
        let add = costs.lines.iter().find(|l| l.line == 6).expect("the addition's line");
        assert_eq!(add.and_gates, 15);
    }

    #[test]
    fn types_and_definitions() {
        let a = analyze(PROG, &Options::default());
        let mul = PROG.find("x * x").expect("present") + 2;
        let (span, ty) = a.type_at(mul).expect("typed");
        assert_eq!(&PROG[span.lo..span.hi], "x * x");
        assert_eq!(ty, "u16");
        let call = PROG.find("sq(x)").expect("present");
        let d = a.definition_at(call).expect("resolved");
        assert_eq!(d.kind, DefKind::Function);
        assert_eq!(d.def_span.lo, PROG.find("sq(x: u16)").expect("present"));
        let p_use = PROG.find("p ^ q").expect("present");
        let d = a.definition_at(p_use).expect("resolved");
        assert_eq!(d.def_span.lo, PROG.find("p = sq").expect("present"));
    }

    /// Every corpus program, as compiled and with every loop rolled and every sort
    /// streamed: the lines add up to the program's AND gates, none unattributed.
    #[test]
    fn corpus_costs_add_up() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
        let mut rolled = Options::default();
        rolled.limits.roll_min_work = 0;
        rolled.limits.sort_stream_min = 0;
        let mut n = 0;
        for entry in std::fs::read_dir(dir).expect("the corpus") {
            let path = entry.expect("entry").path();
            let Ok(src) = std::fs::read_to_string(&path) else { continue };
            for opts in [Options::default(), rolled.clone()] {
                let Some(costs) = analyze(&src, &opts).costs else { continue };
                let (p, _) = crate::compile_program(&src, &opts);
                let p = p.expect("compiles when analysis does");
                assert_eq!(costs.and_gates, p.stats().and, "{}", path.display());
                let lines: u128 = costs.lines.iter().map(|l| l.and_gates).sum();
                assert_eq!(costs.unattributed, 0, "{}", path.display());
                assert_eq!(lines, costs.and_gates, "{}", path.display());
                n += 1;
            }
        }
        assert!(n > 100, "{n}");
    }

    /// Every one-character deletion of a program, and a few insertions at every
    /// position, are analysed without a panic: errors become diagnostics, and what
    /// the walker resolves points into the text.
    #[test]
    fn damaged_programs_never_panic() {
        let mut texts: Vec<String> = Vec::new();
        for (i, c) in PROG.char_indices() {
            let mut t = PROG.to_string();
            t.replace_range(i..i + c.len_utf8(), "");
            texts.push(t);
            for ins in ["(", "}", "é", "fn", "x.y"] {
                let mut t = PROG.to_string();
                t.insert_str(i, ins);
                texts.push(t);
            }
        }
        for t in &texts {
            let a = analyze(t, &Options::default());
            for d in &a.definitions {
                assert!(d.use_span.hi <= t.len() && d.def_span.hi <= t.len(), "{t}");
            }
            if a.costs.is_none() {
                assert!(!a.diagnostics.is_empty(), "{t}");
            }
        }
    }

    #[test]
    fn errors_are_diagnostics() {
        let a = analyze("party a;\nfn main(x: u8 @a) -> u8 { x + true }\n", &Options::default());
        assert!(a.diagnostics.iter().any(Diagnostic::is_error));
        assert!(a.costs.is_none());
    }
}
