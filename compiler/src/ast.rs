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
    pub fn new(lo: usize, hi: usize) -> Span {
        Span { lo, hi }
    }

    /// As a range.
    pub fn range(self) -> std::ops::Range<usize> {
        self.lo..self.hi
    }
}

/// A name with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A whole source file.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Items in source order.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug)]
pub enum Item {
    /// `party alice;`
    Party(Ident),
    /// `const N: u32 = 8;` (the type is optional).
    Const { name: Ident, ty: Option<Type>, value: Expr },
    /// `struct Bid { amount: u32, id: u8 }`
    Struct { name: Ident, fields: Vec<(Ident, Type)> },
    /// A function.
    Fn(FnDef),
    /// An item that failed to parse (already reported).
    Error(Span),
}

/// `fn name(params) -> ret { body }`.
#[derive(Clone, Debug)]
pub struct FnDef {
    /// The function's name.
    pub name: Ident,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// The return type, if any.
    pub ret: Option<RetType>,
    /// The body.
    pub body: Block,
}

/// `name: T` or, for inputs of `main`, `name: T @party`.
#[derive(Clone, Debug)]
pub struct Param {
    /// The parameter's name.
    pub name: Ident,
    /// Its type.
    pub ty: Type,
    /// The party that supplies it (inputs of `main` only).
    pub party: Option<Ident>,
}

/// A return type: one component or a parenthesised list of possibly named ones.
#[derive(Clone, Debug)]
pub struct RetType {
    /// The components.
    pub comps: Vec<RetComp>,
    /// Whether it was written as a tuple `( ... )`.
    pub tuple: bool,
    /// The whole return type.
    pub span: Span,
}

/// One component of a return type: `[name:] T [@party]`.
#[derive(Clone, Debug)]
pub struct RetComp {
    /// The output's name, if given.
    pub name: Option<Ident>,
    /// Its type.
    pub ty: Type,
    /// The only party that learns it, if restricted.
    pub party: Option<Ident>,
}

/// A type as written.
#[derive(Clone, Debug)]
pub struct Type {
    /// What kind of type.
    pub kind: TypeKind,
    /// Where it is written.
    pub span: Span,
}

/// The shapes of written types.
#[derive(Clone, Debug)]
pub enum TypeKind {
    /// `bool`, `u32`, `i8`, or a struct name.
    Named(Ident),
    /// `[T; N]` with a compile-time `N`.
    Array(Box<Type>, Box<Expr>),
    /// `(T, U, ...)`; `()` is the unit type.
    Tuple(Vec<Type>),
}

/// `{ stmts; tail }`.
#[derive(Clone, Debug)]
pub struct Block {
    /// Statements.
    pub stmts: Vec<Stmt>,
    /// The value of the block, if it ends in an expression without `;`.
    pub tail: Option<Box<Expr>>,
    /// The braces and everything between.
    pub span: Span,
}

/// Compound assignment operators map to their binary operator.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let [mut] name [: T] = value;`
    Let { mutable: bool, name: Ident, ty: Option<Type>, value: Expr },
    /// `place = value;` or `place op= value;`
    Assign { place: Expr, op: Option<BinOp>, value: Expr, span: Span },
    /// An expression evaluated for its effects.
    Expr(Expr),
    /// `for var in lo..hi { body }`
    For { var: Ident, lo: Expr, hi: Expr, body: Block, span: Span },
    /// `return [value];`
    Return { value: Option<Expr>, span: Span },
    /// `while` / `loop`: parsed so that they can be rejected with a good message.
    Unbounded(Span),
    /// A statement that failed to parse (already reported).
    Error(Span),
}

/// Unique id of an expression within one parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

/// An expression.
#[derive(Clone, Debug)]
pub struct Expr {
    /// Its id, for side tables.
    pub id: ExprId,
    /// What it is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
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
    pub fn symbol(self) -> &'static str {
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
pub enum UnOp {
    /// `-x` (wrapping negation).
    Neg,
    /// `!x` (logical on bool, bitwise on integers).
    Not,
}

/// The shapes of expressions.
#[derive(Clone, Debug)]
pub enum ExprKind {
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
    /// An expression that failed to parse (already reported).
    Error,
}

/// Hands out expression ids during one parse.
#[derive(Debug, Default)]
pub struct IdGen {
    next: Cell<u32>,
}

impl IdGen {
    /// A fresh id.
    pub fn fresh(&self) -> ExprId {
        let id = self.next.get();
        self.next.set(id.wrapping_add(1));
        ExprId(id)
    }

    /// Builds an expression with a fresh id.
    pub fn expr(&self, kind: ExprKind, lo: usize, hi: usize) -> Expr {
        Expr { id: self.fresh(), kind, span: Span::new(lo, hi) }
    }
}

impl Expr {
    /// Whether the expression ends in a block (and so may stand as a statement without `;`).
    pub fn is_block_like(&self) -> bool {
        matches!(self.kind, ExprKind::Block(_) | ExprKind::If(..))
    }
}
