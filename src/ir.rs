//! The checked program: what the checker hands the runtime. Every name is
//! resolved to a slot (a `VarId`, `GoalId`, `HandlerId`, local index), so the
//! interpreter never looks a string up while it runs.

use crate::syntax::ast::{AssignOp, BinOp, UnOp};
use crate::syntax::span::Span;
use crate::types::Type;
use crate::value::Value;

pub type DomainId = u32;
/// A global state slot: all domains' variables, numbered in declaration order.
pub type VarId = u32;
pub type GoalId = u32;
pub type InvariantId = u32;
pub type HandlerId = u32;
pub type EffectId = u32;
/// A local slot in the running handler's frame (parameters first, then `let`s and loop variables).
pub type LocalId = u32;

/// Scheduling priority, highest first. `Ord` puts `Critical` first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Critical,
    High,
    Normal,
    Low,
    Background,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
        Priority::Background,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
            Priority::Background => "background",
        }
    }

    pub fn from_name(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// Default number of retries after a failed first attempt.
pub const DEFAULT_RETRY: u32 = 3;

#[derive(Clone, Debug)]
pub struct Program {
    pub domains: Vec<Domain>,
    pub vars: Vec<Var>,
    pub goals: Vec<Goal>,
    pub invariants: Vec<Invariant>,
    pub handlers: Vec<Handler>,
    pub effects: Vec<Effect>,
    /// True when any goal, invariant, handler or repair reads `tick`: such a
    /// program gets no E005 proof modulo time.
    pub uses_tick: bool,
}

#[derive(Clone, Debug)]
pub struct Domain {
    pub name: String,
    pub priority: Priority,
    pub retry: u32,
    /// This domain's variables are `vars.start..vars.end`.
    pub vars: std::ops::Range<VarId>,
    pub goals: Vec<GoalId>,
    pub invariants: Vec<InvariantId>,
    pub handlers: Vec<HandlerId>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Var {
    pub name: String,
    /// `Domain.name`, as reports print it.
    pub qualified: String,
    pub domain: DomainId,
    pub ty: Type,
    /// A constant expression: reads no state, calls no effect.
    pub init: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Goal {
    pub name: String,
    pub qualified: String,
    pub domain: DomainId,
    pub cond: Expr,
    pub repair: Option<Body>,
    /// The state the condition reads, sorted: only a write to one of these can change it.
    pub reads: Vec<VarId>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Invariant {
    pub name: String,
    pub qualified: String,
    pub domain: DomainId,
    pub cond: Expr,
    pub reads: Vec<VarId>,
    /// Whether it reads `tick`: then it is checked after every commit,
    /// whatever the cycle wrote (the clock is its changing input).
    pub reads_tick: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Handler {
    pub name: String,
    pub qualified: String,
    pub domain: DomainId,
    pub params: Vec<(String, Type)>,
    pub body: Body,
    pub span: Span,
}

/// A block of statements with the size of the frame it needs.
#[derive(Clone, Debug)]
pub struct Body {
    pub stmts: Vec<Stmt>,
    pub frame_size: u32,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub name: String,
    pub params: Vec<(String, Type)>,
    pub ret: Type,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Len,
    Contains,
    Min,
    Max,
    Abs,
    Get,
    Keys,
    Values,
    Push,
    Insert,
    Remove,
    Sum,
    ToStr,
}

impl Builtin {
    pub const ALL: [(&'static str, Builtin); 13] = [
        ("len", Builtin::Len),
        ("contains", Builtin::Contains),
        ("min", Builtin::Min),
        ("max", Builtin::Max),
        ("abs", Builtin::Abs),
        ("get", Builtin::Get),
        ("keys", Builtin::Keys),
        ("values", Builtin::Values),
        ("push", Builtin::Push),
        ("insert", Builtin::Insert),
        ("remove", Builtin::Remove),
        ("sum", Builtin::Sum),
        ("str", Builtin::ToStr),
    ];

    pub fn from_name(s: &str) -> Option<Builtin> {
        Builtin::ALL.iter().find(|(n, _)| *n == s).map(|(_, b)| *b)
    }

    pub fn name(self) -> &'static str {
        Builtin::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// The static type's shape, so the runtime can compile Int and Bool code unboxed.
    pub shape: Shape,
}

/// What the runtime needs of an expression's static type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Shape {
    Int,
    Bool,
    #[default]
    Other,
}

impl Shape {
    pub fn of(t: &Type) -> Shape {
        match t {
            Type::Int => Shape::Int,
            Type::Bool => Shape::Bool,
            _ => Shape::Other,
        }
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Const(Value),
    Local(LocalId),
    Var(VarId),
    Tick,
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Index(Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    Set(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Builtin(Builtin, Vec<Expr>),
    Effect(EffectId, Vec<Expr>),
}

/// Where an assignment writes: a state slot or a local, then a path of indices.
#[derive(Clone, Debug)]
pub enum Root {
    Var(VarId),
    Local(LocalId),
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `let` and loop variables both bind a fresh local slot.
    Let(LocalId, Expr),
    Assign {
        root: Root,
        indices: Vec<Expr>,
        op: AssignOp,
        value: Expr,
    },
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    ForRange(LocalId, Expr, Expr, Vec<Stmt>),
    /// `for k in c` / `for k, v in c`: over a list's elements (or index and element),
    /// a set's elements, a map's keys (or keys and values).
    ForEach(LocalId, Option<LocalId>, Expr, Vec<Stmt>),
    Send {
        handler: HandlerId,
        args: Vec<Expr>,
        after: Option<Expr>,
    },
    Fail(Expr),
    Assert(Expr, Option<Expr>),
    Expr(Expr),
}
