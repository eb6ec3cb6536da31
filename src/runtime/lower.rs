//! Lowers checked bodies and conditions to the register machine
//! ([`super::vm`]). Registers are allocated as a stack: an expression's
//! value lands in the first free register, and everything it used above
//! that is free again afterwards. Conditions compile to jumps (so `&&`,
//! `||` and `!` cost no register), comparisons to one fused
//! compare-and-jump. Whatever has no instruction becomes a closure call.

use super::compile::Compiler;
use super::vm::{Code, Op, Reg, REGS};
use crate::ir::{self, ExprKind as K, Root, Shape, StmtKind as S};
use crate::syntax::ast::{AssignOp, BinOp, UnOp};
use crate::syntax::span::Span;
use crate::types::Type;
use crate::value::Value;

/// Registers kept free for the closure fallback and loop counters: an
/// expression starting above this mark is compiled as one closure.
const HIGH_WATER: usize = REGS - 8;

/// A jump target, resolved when the code is finished.
#[derive(Clone, Copy)]
struct Label(u32);

pub(super) struct Lower<'c, 'p> {
    c: &'c Compiler<'p>,
    ops: Vec<Op>,
    spans: Vec<Span>,
    stmts: Vec<super::compile::StmtFn>,
    vals: Vec<super::compile::ValFn>,
    labels: Vec<u32>,
    next: usize,
}

impl<'c, 'p> Lower<'c, 'p> {
    pub(super) fn new(c: &'c Compiler<'p>) -> Self {
        Lower {
            c,
            ops: Vec::new(),
            spans: Vec::new(),
            stmts: Vec::new(),
            vals: Vec::new(),
            labels: Vec::new(),
            next: 0,
        }
    }

    /// A body: its statements, then `Ret`.
    pub(super) fn body(mut self, stmts: &[ir::Stmt], span: Span) -> Code {
        self.block(stmts);
        self.emit(Op::Ret, span);
        self.finish()
    }

    /// A condition: `RetBool` with its truth.
    pub(super) fn condition(mut self, e: &ir::Expr) -> Code {
        let no = self.label();
        self.jump_if(e, false, no);
        self.emit(Op::RetBool { b: true }, e.span);
        self.place(no);
        self.emit(Op::RetBool { b: false }, e.span);
        self.finish()
    }

    /// Several invariants in order: `FailInvariant` for the first false one, else `Ret`.
    pub(super) fn invariants(mut self, invs: &[(u32, &ir::Expr)], span: Span) -> Code {
        let mut fails = Vec::new();
        for &(i, e) in invs {
            let no = self.label();
            self.jump_if(e, false, no);
            fails.push((i, no, e.span));
        }
        self.emit(Op::Ret, span);
        for (i, no, sp) in fails {
            self.place(no);
            self.emit(Op::FailInvariant { i }, sp);
        }
        self.finish()
    }

    fn finish(mut self) -> Code {
        let labels = std::mem::take(&mut self.labels);
        let at = |t: u32| labels[t as usize];
        for op in &mut self.ops {
            match op {
                Op::Jump { t }
                | Op::JumpIf { t, .. }
                | Op::JumpIfNot { t, .. }
                | Op::Jlt { t, .. }
                | Op::Jle { t, .. }
                | Op::Jgt { t, .. }
                | Op::Jge { t, .. }
                | Op::Jeq { t, .. }
                | Op::Jne { t, .. }
                | Op::JltK { t, .. }
                | Op::JleK { t, .. }
                | Op::JgtK { t, .. }
                | Op::JgeK { t, .. }
                | Op::JeqK { t, .. }
                | Op::JneK { t, .. } => *t = at(*t),
                Op::ForNext { exit, .. } => *exit = at(*exit),
                _ => {}
            }
        }
        Code {
            ops: self.ops.into(),
            spans: self.spans.into(),
            stmts: self.stmts.into(),
            vals: self.vals.into(),
        }
    }

    fn emit(&mut self, op: Op, span: Span) {
        self.ops.push(op);
        self.spans.push(span);
    }

    fn label(&mut self) -> Label {
        self.labels.push(u32::MAX);
        Label(self.labels.len() as u32 - 1)
    }

    fn place(&mut self, l: Label) {
        self.labels[l.0 as usize] = self.ops.len() as u32;
    }

    fn reg(&mut self) -> Reg {
        let r = self.next as Reg;
        self.next += 1;
        r
    }

    fn block(&mut self, stmts: &[ir::Stmt]) {
        for s in stmts {
            let mark = self.next;
            self.stmt(s);
            self.next = mark;
        }
    }

    /// The statement as one closure call (it spends its own fuel).
    fn fallback(&mut self, s: &ir::Stmt) {
        self.stmts.push(self.c.stmt(s));
        let f = self.stmts.len() as u32 - 1;
        self.emit(Op::Stmt { f }, s.span);
    }

    fn stmt(&mut self, s: &ir::Stmt) {
        let sp = s.span;
        match &s.kind {
            S::Let(l, e) if matches!(e.shape, Shape::Int | Shape::Bool) => {
                self.emit(Op::Burn, sp);
                let a = self.value(e);
                let l = *l;
                let op = if e.shape == Shape::Int {
                    Op::StoreLocal { l, a }
                } else {
                    Op::StoreLocalBool { l, a }
                };
                self.emit(op, sp);
            }
            S::Assign {
                root: Root::Var(v),
                indices,
                op,
                value,
            } if indices.is_empty() => {
                let v = *v;
                match (&self.c.p.vars[v as usize].ty, value.shape, op) {
                    (Type::Int, Shape::Int, _) => {
                        self.emit(Op::Burn, sp);
                        if let (AssignOp::Add, K::Const(Value::Int(k))) = (op, &value.kind) {
                            self.emit(Op::AddVarK { v, k: *k }, sp);
                            return;
                        }
                        let a = self.int(value);
                        let op = match op {
                            AssignOp::Set => Op::SetVar { v, a },
                            AssignOp::Add => Op::AddVar { v, a },
                            AssignOp::Sub => Op::SubVar { v, a },
                        };
                        self.emit(op, sp);
                    }
                    (Type::Bool, Shape::Bool, AssignOp::Set) => {
                        self.emit(Op::Burn, sp);
                        let a = self.boolean(value);
                        self.emit(Op::SetVarBool { v, a }, sp);
                    }
                    _ => self.fallback(s),
                }
            }
            S::If(c, then, els) => {
                self.emit(Op::Burn, sp);
                let (no, end) = (self.label(), self.label());
                self.jump_if(c, false, no);
                self.block(then);
                if !els.is_empty() {
                    self.emit(Op::Jump { t: end.0 }, sp);
                }
                self.place(no);
                self.block(els);
                self.place(end);
            }
            S::ForRange(l, lo, hi, body) if self.next + 2 < HIGH_WATER => {
                self.emit(Op::Burn, sp);
                let i = self.int(lo);
                let e = self.int(hi);
                let (top, exit) = (self.label(), self.label());
                self.place(top);
                self.emit(
                    Op::ForNext {
                        i,
                        e,
                        l: *l,
                        exit: exit.0,
                    },
                    sp,
                );
                self.block(body);
                self.emit(Op::Jump { t: top.0 }, sp);
                self.place(exit);
            }
            S::Send {
                handler,
                args,
                after: None,
            } if args.len() <= 8
                && args
                    .iter()
                    .all(|a| matches!(a.shape, Shape::Int | Shape::Bool))
                && self.next + args.len() < HIGH_WATER =>
            {
                self.emit(Op::Burn, sp);
                let a = self.next as Reg;
                let mut bools = 0u8;
                for (j, arg) in args.iter().enumerate() {
                    if arg.shape == Shape::Bool {
                        bools |= 1 << j;
                    }
                    self.value(arg);
                }
                let op = Op::Send {
                    h: *handler,
                    a,
                    n: args.len() as u8,
                    bools,
                };
                self.emit(op, sp);
            }
            _ => self.fallback(s),
        }
    }

    /// An `Int` or `Bool` expression into the next register.
    fn value(&mut self, e: &ir::Expr) -> Reg {
        if e.shape == Shape::Bool {
            self.boolean(e)
        } else {
            self.int(e)
        }
    }

    /// The expression as one closure call, its value as an `Int` (or a `Bool`).
    fn closure(&mut self, e: &ir::Expr, boolean: bool) -> Reg {
        self.vals.push(self.c.val(e));
        let f = self.vals.len() as u32 - 1;
        let d = self.reg();
        let op = if boolean {
            Op::ValBool { d, f }
        } else {
            Op::ValInt { d, f }
        };
        self.emit(op, e.span);
        d
    }

    /// An `Int` expression into the next register.
    fn int(&mut self, e: &ir::Expr) -> Reg {
        if self.next >= HIGH_WATER {
            return self.closure(e, false);
        }
        let sp = e.span;
        match &e.kind {
            K::Const(Value::Int(k)) => {
                let d = self.reg();
                self.emit(Op::Const { d, k: *k }, sp);
                d
            }
            K::Var(v) if e.shape == Shape::Int => {
                let d = self.reg();
                self.emit(Op::Var { d, v: *v }, sp);
                d
            }
            K::Local(l) if e.shape == Shape::Int => {
                let d = self.reg();
                self.emit(Op::Local { d, l: *l }, sp);
                d
            }
            K::Tick => {
                let d = self.reg();
                self.emit(Op::Tick { d }, sp);
                d
            }
            K::Unary(UnOp::Neg, a) if a.shape == Shape::Int => {
                let d = self.int(a);
                self.emit(Op::Neg { d, a: d }, sp);
                d
            }
            K::Binary(op, a, b)
                if matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
                ) && a.shape == Shape::Int
                    && b.shape == Shape::Int =>
            {
                let d = self.int(a);
                if let (BinOp::Add | BinOp::Sub | BinOp::Mul, K::Const(Value::Int(k))) =
                    (op, &b.kind)
                {
                    let k = *k;
                    let op = match op {
                        BinOp::Add => Op::AddK { d, a: d, k },
                        BinOp::Sub => Op::SubK { d, a: d, k },
                        _ => Op::MulK { d, a: d, k },
                    };
                    self.emit(op, sp);
                } else {
                    let r = self.int(b);
                    let op = match op {
                        BinOp::Add => Op::Add { d, a: d, b: r },
                        BinOp::Sub => Op::Sub { d, a: d, b: r },
                        BinOp::Mul => Op::Mul { d, a: d, b: r },
                        BinOp::Div => Op::Div { d, a: d, b: r },
                        _ => Op::Rem { d, a: d, b: r },
                    };
                    self.emit(op, sp);
                    self.next -= 1;
                }
                d
            }
            K::Builtin(ir::Builtin::Min | ir::Builtin::Max, args)
                if args.len() == 2 && args.iter().all(|a| a.shape == Shape::Int) =>
            {
                let d = self.int(&args[0]);
                let r = self.int(&args[1]);
                let op = if matches!(e.kind, K::Builtin(ir::Builtin::Min, _)) {
                    Op::Min { d, a: d, b: r }
                } else {
                    Op::Max { d, a: d, b: r }
                };
                self.emit(op, sp);
                self.next -= 1;
                d
            }
            _ => self.closure(e, false),
        }
    }

    /// A `Bool` expression into the next register, as 0 or 1.
    fn boolean(&mut self, e: &ir::Expr) -> Reg {
        if self.next >= HIGH_WATER {
            return self.closure(e, true);
        }
        let sp = e.span;
        match &e.kind {
            K::Const(Value::Bool(b)) => {
                let d = self.reg();
                self.emit(Op::Const { d, k: *b as i64 }, sp);
                d
            }
            K::Var(v) => {
                let d = self.reg();
                self.emit(Op::VarBool { d, v: *v }, sp);
                d
            }
            K::Local(l) => {
                let d = self.reg();
                self.emit(Op::LocalBool { d, l: *l }, sp);
                d
            }
            K::Unary(UnOp::Not, a) => {
                let d = self.boolean(a);
                self.emit(Op::Not { d, a: d }, sp);
                d
            }
            _ if self.branches(e) => {
                let d = self.reg();
                let no = self.label();
                self.emit(Op::Const { d, k: 0 }, sp);
                self.jump_if(e, false, no);
                self.emit(Op::Const { d, k: 1 }, sp);
                self.place(no);
                d
            }
            _ => self.closure(e, true),
        }
    }

    /// Whether [`Lower::jump_if`] compiles `e` to jumps (not a register test).
    fn branches(&self, e: &ir::Expr) -> bool {
        match &e.kind {
            K::Binary(BinOp::And | BinOp::Or, ..) => true,
            K::Binary(op, a, b) => {
                cmp(*op).is_some() && a.shape == Shape::Int && b.shape == Shape::Int
            }
            _ => false,
        }
    }

    /// Jumps to `to` when the `Bool` expression `e` is `want`, else falls through.
    fn jump_if(&mut self, e: &ir::Expr, want: bool, to: Label) {
        let sp = e.span;
        let mark = self.next;
        match &e.kind {
            K::Const(Value::Bool(b)) => {
                if *b == want {
                    self.emit(Op::Jump { t: to.0 }, sp);
                }
            }
            K::Unary(UnOp::Not, a) => self.jump_if(a, !want, to),
            K::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                // `a && b` is false as soon as `a` is; `a || b` true as soon as `a` is.
                let decisive = *op == BinOp::Or;
                if want == decisive {
                    self.jump_if(a, want, to);
                    self.jump_if(b, want, to);
                } else {
                    let skip = self.label();
                    self.jump_if(a, decisive, skip);
                    self.jump_if(b, want, to);
                    self.place(skip);
                }
            }
            K::Binary(op, a, b)
                if self.next + 2 < HIGH_WATER && a.shape == Shape::Int && b.shape == Shape::Int =>
            {
                let Some(c) = cmp(*op) else {
                    return self.test(e, want, to);
                };
                let c = if want { c } else { c.negate() };
                let x = self.int(a);
                let t = to.0;
                let op = if let K::Const(Value::Int(k)) = &b.kind {
                    let k = *k;
                    match c {
                        Cmp::Lt => Op::JltK { a: x, k, t },
                        Cmp::Le => Op::JleK { a: x, k, t },
                        Cmp::Gt => Op::JgtK { a: x, k, t },
                        Cmp::Ge => Op::JgeK { a: x, k, t },
                        Cmp::Eq => Op::JeqK { a: x, k, t },
                        Cmp::Ne => Op::JneK { a: x, k, t },
                    }
                } else {
                    let y = self.int(b);
                    match c {
                        Cmp::Lt => Op::Jlt { a: x, b: y, t },
                        Cmp::Le => Op::Jle { a: x, b: y, t },
                        Cmp::Gt => Op::Jgt { a: x, b: y, t },
                        Cmp::Ge => Op::Jge { a: x, b: y, t },
                        Cmp::Eq => Op::Jeq { a: x, b: y, t },
                        Cmp::Ne => Op::Jne { a: x, b: y, t },
                    }
                };
                self.emit(op, sp);
            }
            _ => self.test(e, want, to),
        }
        self.next = mark;
    }

    /// The `Bool` value in a register, then a jump on it.
    fn test(&mut self, e: &ir::Expr, want: bool, to: Label) {
        let mark = self.next;
        let c = self.boolean(e);
        let t = to.0;
        let op = if want {
            Op::JumpIf { c, t }
        } else {
            Op::JumpIfNot { c, t }
        };
        self.emit(op, e.span);
        self.next = mark;
    }
}

#[derive(Clone, Copy)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    fn negate(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Ge,
            Cmp::Le => Cmp::Gt,
            Cmp::Gt => Cmp::Le,
            Cmp::Ge => Cmp::Lt,
            Cmp::Eq => Cmp::Ne,
            Cmp::Ne => Cmp::Eq,
        }
    }
}

fn cmp(op: BinOp) -> Option<Cmp> {
    Some(match op {
        BinOp::Lt => Cmp::Lt,
        BinOp::Le => Cmp::Le,
        BinOp::Gt => Cmp::Gt,
        BinOp::Ge => Cmp::Ge,
        BinOp::Eq => Cmp::Eq,
        BinOp::Ne => Cmp::Ne,
        _ => return None,
    })
}
