//! The abstract syntax tree, as the parser builds it.
//!
//! Every node carries the byte [`Span`] of the source it came from; every expression
//! carries an [`ExprId`] unique within one parse, so later phases can attach facts
//! (types) to expressions in side tables. The tree is untyped: names are strings and
//! nothing has been checked yet.

use std::cell::Cell;

/// A byte range `lo..hi` of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub lo: usize,
    /// One past the last byte.
    pub hi: usize,
}

impl Span {
    /// The span `lo..hi`.
    pub(crate) fn new(lo: usize, hi: usize) -> Span {
        Span { lo, hi }
    }
}

/// A name with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A whole source file.
#[derive(Clone, Debug, Default)]
pub(crate) struct Program {
    /// Items in source order.
    pub items: Vec<Item>,
    /// One more than the largest [`ExprId`] of the parse: where ids of expressions
    /// made later (generic functions instantiated by the checker) start.
    pub next_id: u32,
}

/// A top-level item.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// `party alice;`
    Party(Ident),
    /// `const N: u32 = 8;` (the type is optional).
    Const { name: Ident, ty: Option<Type>, value: Expr },
    /// `struct Bid { amount: u32, id: u8 }`
    Struct { name: Ident, fields: Vec<(Ident, Type)> },
    /// `enum Shape { Empty, Circle(u32), Rect(u32, u32) }`: variants with their
    /// payload types.
    Enum { name: Ident, variants: Vec<(Ident, Vec<Type>)> },
    /// A function.
    Fn(FnDef),
    /// An item that failed to parse (already reported).
    #[allow(dead_code, reason = "the AST keeps every span the parser saw; none reads this one yet")]
    Error(Span),
}

/// `fn name(params) -> ret { body }`.
#[derive(Clone, Debug)]
pub(crate) struct FnDef {
    /// The function's name.
    pub name: Ident,
    /// `<const N: usize, ...>`: compile-time integer parameters (array lengths),
    /// inferred at each call from the argument types.
    pub generics: Vec<Ident>,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// The return type, if any.
    pub ret: Option<RetType>,
    /// The body.
    pub body: Block,
}

/// `name: T` or, for inputs of `main`, `name: T @party`.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// `mut name: T`: the body may assign it (its own copy).
    pub mutable: bool,
    /// Its type.
    pub ty: Type,
    /// The party that supplies it (inputs of `main` only).
    pub party: Option<Ident>,
}

/// A return type: one component or a parenthesised list of possibly named ones.
#[derive(Clone, Debug)]
pub(crate) struct RetType {
    /// The components.
    pub comps: Vec<RetComp>,
    /// Whether it was written as a tuple `( ... )`.
    pub tuple: bool,
    /// The whole return type.
    #[allow(dead_code, reason = "the AST keeps every span the parser saw; none reads this one yet")]
    pub span: Span,
}

/// One component of a return type: `[name:] T [@party]`.
#[derive(Clone, Debug)]
pub(crate) struct RetComp {
    /// The output's name, if given.
    pub name: Option<Ident>,
    /// Its type.
    pub ty: Type,
    /// The only party that learns it, if restricted.
    pub party: Option<Ident>,
}

/// A type as written.
#[derive(Clone, Debug)]
pub(crate) struct Type {
    /// What kind of type.
    pub kind: TypeKind,
    /// Where it is written.
    pub span: Span,
}

/// The shapes of written types.
#[derive(Clone, Debug)]
pub(crate) enum TypeKind {
    /// `bool`, `u32`, `i8`, or a struct name.
    Named(Ident),
    /// `[T; N]` with a compile-time `N`.
    Array(Box<Type>, Box<Expr>),
    /// `(T, U, ...)`; `()` is the unit type.
    Tuple(Vec<Type>),
}

/// `{ stmts; tail }`.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    /// Statements.
    pub stmts: Vec<Stmt>,
    /// The value of the block, if it ends in an expression without `;`.
    pub tail: Option<Box<Expr>>,
    /// The braces and everything between.
    pub span: Span,
}

/// Compound assignment operators map to their binary operator.
#[derive(Clone, Debug)]
pub(crate) enum Stmt {
    /// `let [mut] name [: T] = value;`. `let (a, mut b) = value;` is parsed as a hidden
    /// variable with `tuple: Some(2)` (its value must be a 2-tuple) followed by
    /// `let a = hidden.0; let mut b = hidden.1;` (see `parser::destructure`).
    Let { mutable: bool, name: Ident, ty: Option<Type>, value: Expr, tuple: Option<usize> },
    /// `place = value;` or `place op= value;`
    Assign { place: Expr, op: Option<BinOp>, value: Expr, span: Span },
    /// An expression evaluated for its effects.
    Expr(Expr),
    /// `for var in lo..hi { body }`, counting down from `hi - 1` when `rev`
    /// (`(lo..hi).rev()`). The other loop forms (`..=`, `for x in arr`,
    /// `.iter().enumerate()`) are rewritten into this one by the parser.
    /// `inclusive`: `lo..=hi`.
    For { var: Ident, lo: Expr, hi: Expr, body: Block, span: Span, rev: bool, inclusive: bool },
    /// `return [value];`
    Return { value: Option<Expr>, span: Span },
    /// `while` / `loop`: parsed so that they can be rejected with a good message.
    Unbounded(Span),
    /// A statement that failed to parse (already reported).
    Error(Span),
}

/// Unique id of an expression within one parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ExprId(pub u32);

/// An expression.
#[derive(Clone, Debug)]
pub(crate) struct Expr {
    /// Its id, for side tables.
    pub id: ExprId,
    /// What it is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    /// The operator as written.
    pub(crate) fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            BitAnd => "&",
            BitOr => "|",
            BitXor => "^",
            Shl => "<<",
            Shr => ">>",
            Eq => "==",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            And => "&&",
            Or => "||",
        }
    }
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum UnOp {
    /// `-x` (wrapping negation).
    Neg,
    /// `!x` (logical on bool, bitwise on integers).
    Not,
}

/// The shapes of expressions.
#[derive(Clone, Debug)]
pub(crate) enum ExprKind {
    /// An integer literal as written (digits, prefix, `_`, optional suffix).
    Int(String),
    /// `true` / `false`.
    Bool(bool),
    /// A variable or constant.
    Path(Ident),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `op a`.
    Unary(UnOp, Box<Expr>),
    /// `e as T`.
    Cast(Box<Expr>, Type),
    /// `f(args)`.
    Call(Ident, Vec<Expr>),
    /// `a[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `s.field` or `t.0`.
    Field(Box<Expr>, Ident),
    /// `(a, b, ...)`; `()` is unit.
    Tuple(Vec<Expr>),
    /// `[a, b, ...]`.
    Array(Vec<Expr>),
    /// `[e; N]`.
    Repeat(Box<Expr>, Box<Expr>),
    /// `Name { field: e, ... }`.
    StructLit(Ident, Vec<(Ident, Expr)>),
    /// `{ ... }`.
    Block(Block),
    /// `if c { ... } [else ...]`; the else branch is a block or another `if`.
    If(Box<Expr>, Block, Option<Box<Expr>>),
    /// `recv.name(args)`: `xs.len()`, `x.bit(i)`.
    Method(Box<Expr>, Ident, Vec<Expr>),
    /// `Type::NAME` or `Enum::Variant[(args)]`: `u8::MAX`, `Shape::Rect(2, 3)`.
    Variant(Ident, Ident, Option<Vec<Expr>>),
    /// The tag of `Enum::Variant`, a compile-time integer (made by `match`).
    Tag(Ident, Ident),
    /// `|x| body`: only as the key of `sort_by_key`.
    Closure(Ident, Box<Expr>),
    /// `match scrutinee { arms }`: the arms as written (for exhaustiveness checks and
    /// messages) and the `if` chain the parser rewrote it into, which is what is typed
    /// and lowered.
    Match(Box<MatchInfo>),
    /// An expression that failed to parse (already reported).
    Error,
}

/// A `match` as written, next to its rewriting.
#[derive(Clone, Debug)]
pub(crate) struct MatchInfo {
    /// The scrutinee (inside `desugared`, as the value of its first `let`).
    pub scrutinee: ExprId,
    /// The arms' patterns: alternatives of each arm, and the arm's span.
    pub arms: Vec<(Vec<PatAtom>, Span)>,
    /// `{ let m = scrutinee; if test1 { arm1 } else if ... else { last } }`.
    pub desugared: Expr,
}

/// One alternative of a `match` pattern.
#[derive(Clone, Debug)]
pub(crate) enum PatAtom {
    /// `_` or a name binding the whole value.
    #[allow(dead_code, reason = "the AST keeps every span the parser saw; none reads this one yet")]
    Wild(Span),
    /// `true` / `false`.
    #[allow(dead_code, reason = "the AST keeps every span the parser saw; none reads this one yet")]
    Bool(bool, Span),
    /// An integer literal, a byte literal or `true`/`false` (as 1/0 with `bool`).
    #[allow(dead_code, reason = "the AST keeps every span the parser saw; none reads this one yet")]
    Int(String, Span),
    /// `lo..=hi` of integer literals.
    Range(String, String, Span),
    /// `Enum::Variant` or `Enum::Variant(a, b)` with that many bindings.
    Variant(Ident, Ident, Span),
}

/// Hands out expression ids during one parse.
#[derive(Debug, Default)]
pub(crate) struct IdGen {
    next: Cell<u32>,
}

impl IdGen {
    /// A fresh id.
    pub(crate) fn fresh(&self) -> ExprId {
        let id = self.next.get();
        self.next.set(id.wrapping_add(1));
        ExprId(id)
    }

    /// The id `fresh` would give next.
    pub(crate) fn peek(&self) -> u32 {
        self.next.get()
    }

    /// Ids from `start` on.
    pub(crate) fn starting_at(start: u32) -> IdGen {
        IdGen { next: Cell::new(start) }
    }

    /// Builds an expression with a fresh id.
    pub(crate) fn expr(&self, kind: ExprKind, lo: usize, hi: usize) -> Expr {
        Expr { id: self.fresh(), kind, span: Span::new(lo, hi) }
    }
}

// ---------------------------------------------------------------------------------
// Dropping without recursion
//
// The derived drop glue of a tree recurses once per level, so dropping an expression
// nested a few ten thousand levels deep (`!!!!...x`, `x+x+...+x`, `[[[...]]]`, nested
// `for` loops) overflows the stack, and the parser drops such trees itself when it
// recovers from a syntax error. These `Drop` impls move the children of every node
// onto a heap worklist instead, so a tree of any depth is freed in constant stack.

/// A subtree on the drop worklist.
enum Node {
    Expr(Expr),
    Type(Type),
    Block(Block),
}

fn push_stmt(stmt: Stmt, out: &mut Vec<Node>) {
    match stmt {
        Stmt::Let { ty, value, .. } => {
            out.extend(ty.map(Node::Type));
            out.push(Node::Expr(value));
        }
        Stmt::Assign { place, value, .. } => {
            out.push(Node::Expr(place));
            out.push(Node::Expr(value));
        }
        Stmt::Expr(e) => out.push(Node::Expr(e)),
        Stmt::For { lo, hi, body, .. } => {
            out.push(Node::Expr(lo));
            out.push(Node::Expr(hi));
            out.push(Node::Block(body));
        }
        Stmt::Return { value, .. } => out.extend(value.map(Node::Expr)),
        Stmt::Unbounded(_) | Stmt::Error(_) => {}
    }
}

impl Node {
    /// Moves this node's children onto `out`; the node itself is then a leaf.
    fn take_children(&mut self, out: &mut Vec<Node>) {
        match self {
            Node::Expr(e) => e.take_children(out),
            Node::Type(t) => t.take_children(out),
            Node::Block(b) => b.take_children(out),
        }
    }
}

impl Expr {
    /// The left spine of a chain of binary operators: for `((x + y) * z) - w`, the
    /// nodes `[- , *, +]` from the outermost in (empty when `self` is not binary) and
    /// the leftmost operand `x`. Phases that recurse on expressions walk a chain with
    /// this in a loop, so that `a + b + ... + z` costs one level of recursion (the
    /// nesting limit counts it as one, see [`too_deep`]).
    pub(crate) fn binary_spine(&self) -> (Vec<&Expr>, &Expr) {
        let mut spine = Vec::new();
        let mut cur = self;
        while let ExprKind::Binary(_, a, _) = &cur.kind {
            spine.push(cur);
            cur = a;
        }
        (spine, cur)
    }

    fn take_children(&mut self, out: &mut Vec<Node>) {
        let kind = std::mem::replace(&mut self.kind, ExprKind::Error);
        match kind {
            ExprKind::Int(_)
            | ExprKind::Bool(_)
            | ExprKind::Path(_)
            | ExprKind::Tag(..)
            | ExprKind::Error => {}
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Repeat(a, b) => {
                out.push(Node::Expr(*a));
                out.push(Node::Expr(*b));
            }
            ExprKind::Unary(_, a) | ExprKind::Field(a, _) | ExprKind::Closure(_, a) => {
                out.push(Node::Expr(*a))
            }
            ExprKind::Method(a, _, items) => {
                out.push(Node::Expr(*a));
                out.extend(items.into_iter().map(Node::Expr));
            }
            ExprKind::Variant(_, _, items) => out.extend(items.into_iter().flatten().map(Node::Expr)),
            ExprKind::Match(m) => out.push(Node::Expr(m.desugared)),
            ExprKind::Cast(a, t) => {
                out.push(Node::Expr(*a));
                out.push(Node::Type(t));
            }
            ExprKind::Call(_, items) | ExprKind::Tuple(items) | ExprKind::Array(items) => {
                out.extend(items.into_iter().map(Node::Expr));
            }
            ExprKind::StructLit(_, fields) => out.extend(fields.into_iter().map(|(_, e)| Node::Expr(e))),
            ExprKind::Block(b) => out.push(Node::Block(b)),
            ExprKind::If(c, then, els) => {
                out.push(Node::Expr(*c));
                out.push(Node::Block(then));
                out.extend(els.map(|e| Node::Expr(*e)));
            }
        }
    }

    fn is_leaf(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Path(_) | ExprKind::Tag(..) | ExprKind::Error
        )
    }
}

impl Type {
    fn take_children(&mut self, out: &mut Vec<Node>) {
        match std::mem::replace(&mut self.kind, TypeKind::Tuple(Vec::new())) {
            TypeKind::Named(_) => {}
            TypeKind::Array(t, n) => {
                out.push(Node::Type(*t));
                out.push(Node::Expr(*n));
            }
            TypeKind::Tuple(ts) => out.extend(ts.into_iter().map(Node::Type)),
        }
    }
}

impl Block {
    fn take_children(&mut self, out: &mut Vec<Node>) {
        for stmt in std::mem::take(&mut self.stmts) {
            push_stmt(stmt, out);
        }
        out.extend(self.tail.take().map(|e| Node::Expr(*e)));
    }
}

/// Frees the nodes on `stack` one at a time, pushing each one's children.
fn drain(mut stack: Vec<Node>) {
    while let Some(mut node) = stack.pop() {
        node.take_children(&mut stack);
        // `node` has no children left, so dropping it here does not recurse.
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        if !self.is_leaf() {
            let mut stack = Vec::new();
            self.take_children(&mut stack);
            drain(stack);
        }
    }
}

impl Drop for Type {
    fn drop(&mut self) {
        if !matches!(self.kind, TypeKind::Named(_)) {
            let mut stack = Vec::new();
            self.take_children(&mut stack);
            drain(stack);
        }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if !self.stmts.is_empty() || self.tail.is_some() {
            let mut stack = Vec::new();
            self.take_children(&mut stack);
            drain(stack);
        }
    }
}

// ---------------------------------------------------------------------------------
// Nesting depth, measured without recursion

/// A node on the depth-measuring worklist, with its depth.
enum NodeRef<'a> {
    Expr(&'a Expr),
    Type(&'a Type),
    Block(&'a Block),
}

/// The first node (in source order of discovery) that lies more than `limit` levels
/// deep, counting expressions, types and `for` loops as levels (blocks and other
/// statements sit between them and add none). Uses a heap worklist, so it works on
/// trees of any depth; every later phase may then recurse freely on a tree that
/// passed.
pub(crate) fn too_deep(program: &Program, limit: usize) -> Option<Span> {
    let mut stack: Vec<(NodeRef<'_>, usize)> = Vec::new();
    for item in &program.items {
        match item {
            Item::Party(_) | Item::Error(_) => {}
            Item::Enum { variants, .. } => {
                stack.extend(variants.iter().flat_map(|(_, ts)| ts.iter().map(|t| (NodeRef::Type(t), 1))))
            }
            Item::Const { ty, value, .. } => {
                stack.extend(ty.iter().map(|t| (NodeRef::Type(t), 1)));
                stack.push((NodeRef::Expr(value), 1));
            }
            Item::Struct { fields, .. } => stack.extend(fields.iter().map(|(_, t)| (NodeRef::Type(t), 1))),
            Item::Fn(f) => {
                stack.extend(f.params.iter().map(|p| (NodeRef::Type(&p.ty), 1)));
                if let Some(ret) = &f.ret {
                    stack.extend(ret.comps.iter().map(|c| (NodeRef::Type(&c.ty), 1)));
                }
                stack.push((NodeRef::Block(&f.body), 0));
            }
        }
    }
    while let Some((node, depth)) = stack.pop() {
        let span = match node {
            NodeRef::Expr(e) => e.span,
            NodeRef::Type(t) => t.span,
            NodeRef::Block(b) => b.span,
        };
        if depth > limit {
            return Some(span);
        }
        let d = depth + 1;
        match node {
            NodeRef::Expr(e) => match &e.kind {
                ExprKind::Int(_)
                | ExprKind::Bool(_)
                | ExprKind::Path(_)
                | ExprKind::Tag(..)
                | ExprKind::Error => {}
                // A left-associated chain `a + b + c` is one level: the phases that
                // recurse walk its left spine in a loop (see `Expr::binary_spine`).
                ExprKind::Binary(_, a, b) => {
                    let left = if matches!(a.kind, ExprKind::Binary(..)) { depth } else { d };
                    stack.push((NodeRef::Expr(a), left));
                    stack.push((NodeRef::Expr(b), d));
                }
                ExprKind::Index(a, b) | ExprKind::Repeat(a, b) => {
                    stack.push((NodeRef::Expr(a), d));
                    stack.push((NodeRef::Expr(b), d));
                }
                ExprKind::Unary(_, a) | ExprKind::Field(a, _) | ExprKind::Closure(_, a) => {
                    stack.push((NodeRef::Expr(a), d))
                }
                ExprKind::Method(a, _, items) => {
                    stack.push((NodeRef::Expr(a), d));
                    stack.extend(items.iter().map(|x| (NodeRef::Expr(x), d)));
                }
                ExprKind::Variant(_, _, items) => {
                    stack.extend(items.iter().flatten().map(|x| (NodeRef::Expr(x), d)))
                }
                ExprKind::Match(m) => stack.push((NodeRef::Expr(&m.desugared), depth)),
                ExprKind::Cast(a, t) => {
                    stack.push((NodeRef::Expr(a), d));
                    stack.push((NodeRef::Type(t), d));
                }
                ExprKind::Call(_, items) | ExprKind::Tuple(items) | ExprKind::Array(items) => {
                    stack.extend(items.iter().map(|x| (NodeRef::Expr(x), d)));
                }
                ExprKind::StructLit(_, fields) => {
                    stack.extend(fields.iter().map(|(_, x)| (NodeRef::Expr(x), d)))
                }
                ExprKind::Block(b) => stack.push((NodeRef::Block(b), depth)),
                ExprKind::If(c, then, els) => {
                    stack.push((NodeRef::Expr(c), d));
                    stack.push((NodeRef::Block(then), depth));
                    stack.extend(els.iter().map(|x| (NodeRef::Expr(x), d)));
                }
            },
            NodeRef::Type(t) => match &t.kind {
                TypeKind::Named(_) => {}
                TypeKind::Array(elem, n) => {
                    stack.push((NodeRef::Type(elem), d));
                    stack.push((NodeRef::Expr(n), d));
                }
                TypeKind::Tuple(ts) => stack.extend(ts.iter().map(|x| (NodeRef::Type(x), d))),
            },
            // A block is not a level of its own: its statements and tail sit at the
            // depth of the expression (or loop) that holds it.
            NodeRef::Block(b) => {
                for stmt in &b.stmts {
                    match stmt {
                        Stmt::Let { ty, value, .. } => {
                            stack.extend(ty.iter().map(|t| (NodeRef::Type(t), d)));
                            stack.push((NodeRef::Expr(value), d));
                        }
                        Stmt::Assign { place, value, .. } => {
                            stack.push((NodeRef::Expr(place), d));
                            stack.push((NodeRef::Expr(value), d));
                        }
                        Stmt::Expr(e) => stack.push((NodeRef::Expr(e), d)),
                        Stmt::For { lo, hi, body, .. } => {
                            stack.push((NodeRef::Expr(lo), d));
                            stack.push((NodeRef::Expr(hi), d));
                            stack.push((NodeRef::Block(body), d));
                        }
                        Stmt::Return { value, .. } => {
                            stack.extend(value.iter().map(|x| (NodeRef::Expr(x), d)))
                        }
                        Stmt::Unbounded(_) | Stmt::Error(_) => {}
                    }
                }
                stack.extend(b.tail.iter().map(|x| (NodeRef::Expr(x), d)));
            }
        }
    }
    None
}

impl Expr {
    /// Whether the expression ends in a block (and so may stand as a statement without `;`).
    pub(crate) fn is_block_like(&self) -> bool {
        matches!(self.kind, ExprKind::Block(_) | ExprKind::If(..) | ExprKind::Match(_))
    }
}
