//! The spanned abstract syntax tree: exactly what the user wrote, nothing resolved.
//! The checker (`crate::check`) turns it into the slot-resolved `crate::ir` program.

use super::span::{Span, Spanned};

pub type Ident = Spanned<String>;
pub type Block = Spanned<Vec<Stmt>>;

/// A whole source file: effect declarations and domains, in the order written.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub effects: Vec<EffectDecl>,
    pub domains: Vec<Domain>,
}

/// `effect cloud.create_node(size: Str) -> Int`: an external call, bound at run time.
#[derive(Clone, Debug)]
pub struct EffectDecl {
    /// The dotted name, e.g. `cloud.create_node`.
    pub name: Spanned<Vec<Ident>>,
    pub params: Vec<Param>,
    pub ret: Spanned<TypeExpr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub ty: Spanned<TypeExpr>,
}

/// A type as written: `Int`, `Map<Str, Int>`, ... Unknown names are the checker's job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeExpr {
    pub name: Ident,
    pub args: Vec<Spanned<TypeExpr>>,
}

#[derive(Clone, Debug)]
pub struct Domain {
    pub name: Ident,
    /// `priority high`: the name as written, checked later.
    pub priority: Option<Ident>,
    /// `retry 5`: the literal as written.
    pub retry: Option<Spanned<String>>,
    pub members: Vec<Member>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Member {
    State(StateDecl),
    Goal(GoalDecl),
    Invariant(InvariantDecl),
    Handler(HandlerDecl),
    /// Produced by parser recovery; the error is already reported.
    Error,
}

#[derive(Clone, Debug)]
pub struct StateDecl {
    pub name: Ident,
    pub ty: Spanned<TypeExpr>,
    pub init: Expr,
    pub span: Span,
}

/// A goal's or invariant's body is parsed as a statement so that a mutation
/// written there (`nodes = 5`) is reported as E003 *Pure Logic*, not as a syntax error.
#[derive(Clone, Debug)]
pub struct GoalDecl {
    pub name: Ident,
    pub cond: Stmt,
    pub repair: Option<Block>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct InvariantDecl {
    pub name: Ident,
    pub cond: Stmt,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct HandlerDecl {
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Set,
    Add,
    Sub,
}

/// An assignment target: a variable, maybe qualified (`Cluster.nodes`), maybe indexed (`m[k]`).
#[derive(Clone, Debug)]
pub struct Place {
    pub path: Vec<Ident>,
    pub indices: Vec<Expr>,
    pub span: Span,
}

pub type Stmt = Spanned<StmtKind>;

#[derive(Clone, Debug)]
pub enum StmtKind {
    Let(Ident, Expr),
    Assign(Place, AssignOp, Expr),
    If(Expr, Block, Option<Block>),
    ForRange(Ident, Expr, Expr, Block),
    /// `for k in coll` or `for k, v in map`.
    ForEach(Ident, Option<Ident>, Expr, Block),
    Send {
        target: Vec<Ident>,
        args: Vec<Expr>,
        after: Option<Expr>,
    },
    Fail(Expr),
    Assert(Expr, Option<Expr>),
    /// An expression used as a statement (an effect call, usually).
    Expr(Expr),
    /// `while` parses so that the checker can explain why Lexum has none.
    While(Expr, Block),
    /// Produced by parser recovery; the error is already reported.
    Error,
}

pub type Expr = Spanned<ExprKind>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
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
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    /// The literal's digits as written (underscores kept); range is checked later.
    Int(String),
    /// The string's value, escapes resolved.
    Str(String),
    Bool(bool),
    List(Vec<Expr>),
    /// `{a, b}`; `{}` is an empty map or set, whichever the context wants.
    Set(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    /// A name or a dotted path: `x`, `Cluster.nodes`, `cloud.create_node`.
    Path(Vec<Ident>),
    /// A call of a builtin or an effect: `len(xs)`, `cloud.create_node("m5")`.
    Call(Vec<Ident>, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Tick,
    Error,
}
