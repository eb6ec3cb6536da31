//! Lowers checked bodies and conditions to the register machine
//! ([`super::vm`]). `Int` and `Bool` locals (parameters, `let`s, loop
//! variables) each own a register. Temporaries are allocated above them as
//! a stack: an expression's value is either a local's register or the
//! first free one, and everything it used above that is free again
//! afterwards. Conditions compile to jumps (so `&&`, `||` and `!` cost no
//! register), comparisons to one fused compare-and-jump, a statement
//! whose value is at hand to one instruction. Whatever has no instruction
//! becomes a closure call, with the register-held locals copied to the
//! frame around it.

use super::closures::Compiler;
use super::machine::{StmtFn, ValFn, REGS};
use super::vm::{Code, Op, Reg};
use crate::ir::{self, ExprKind as K, Root, Shape, StmtKind as S};
use crate::syntax::ast::{AssignOp, BinOp, UnOp};
use crate::syntax::span::Span;
use crate::types::Type;
use crate::value::Value;

/// Registers kept free for the closure fallback and loop counters: an
/// expression starting above this mark is compiled as one closure.
const HIGH_WATER: usize = REGS - 8;

/// At most this many locals live in registers; any others stay in the frame.
const MAX_REGISTER_LOCALS: usize = 64;

/// The compare-and-jump instruction for comparison `$c`, one of the six
/// variants given in the order `<`, `<=`, `>`, `>=`, `==`, `!=`, with the
/// fields given.
macro_rules! jump_op {
    ($c:expr, $lt:ident $le:ident $gt:ident $ge:ident $eq:ident $ne:ident { $($f:tt)* }) => {
        match $c {
            Cmp::Lt => Op::$lt { $($f)* },
            Cmp::Le => Op::$le { $($f)* },
            Cmp::Gt => Op::$gt { $($f)* },
            Cmp::Ge => Op::$ge { $($f)* },
            Cmp::Eq => Op::$eq { $($f)* },
            Cmp::Ne => Op::$ne { $($f)* },
        }
    };
}

/// A jump target, resolved when the code is finished.
#[derive(Clone, Copy)]
struct Label(u32);

pub(super) struct Lower<'c, 'p> {
    c: &'c Compiler<'p>,
    ops: Vec<Op>,
    spans: Vec<Span>,
    stmts: Vec<StmtFn>,
    vals: Vec<ValFn>,
    labels: Vec<u32>,
    next: usize,
    /// Per frame slot: its register and whether it holds a `Bool`.
    locals: Vec<Option<(Reg, bool)>>,
    /// Whether the code reads or writes the frame.
    frame: bool,
    params: Vec<(u32, Reg, bool)>,
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
            locals: Vec::new(),
            frame: false,
            params: Vec::new(),
        }
    }

    /// A body with parameters of the given shapes: its statements, then
    /// (when it wrote anything) the invariants `invs` in order, then `Ret`;
    /// `FailInvariant` for the first false invariant.
    pub(super) fn body(
        mut self,
        b: &ir::Body,
        params: &[Shape],
        invs: &[(u32, &ir::Expr)],
    ) -> Code {
        let mut shapes = vec![Shape::Other; b.frame_size.max(params.len() as u32) as usize];
        shapes[..params.len()].copy_from_slice(params);
        local_shapes(&b.stmts, &mut shapes);
        for shape in shapes {
            let reg = match shape {
                _ if self.c.closures_only => {
                    self.frame = true;
                    None
                }
                Shape::Int | Shape::Bool if self.next < MAX_REGISTER_LOCALS => {
                    Some((self.reg(), shape == Shape::Bool))
                }
                _ => None,
            };
            self.locals.push(reg);
        }
        for j in 0..params.len() {
            match self.locals[j] {
                Some((d, boolean)) => self.params.push((j as u32, d, boolean)),
                // A parameter kept in the frame is read there by closures.
                None => self.frame = true,
            }
        }
        self.block(&b.stmts);
        // Checked even when the body wrote nothing: they hold then (every
        // committed state satisfies them), and a test would cost more.
        let ret = self.label();
        self.invariants(invs, ret);
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

    /// Checks invariants in order, then `Ret` (placed at `ret`).
    fn invariants(&mut self, invs: &[(u32, &ir::Expr)], ret: Label) {
        let mut fails = Vec::new();
        for &(i, e) in invs {
            let no = self.label();
            self.jump_if(e, false, no);
            fails.push((i, no, e.span));
        }
        self.place(ret);
        let span = self.spans.last().copied().unwrap_or_default();
        self.emit(Op::Ret, span);
        for (i, no, sp) in fails {
            self.place(no);
            self.emit(Op::FailInvariant { i }, sp);
        }
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
                | Op::JneK { t, .. }
                | Op::JltV { t, .. }
                | Op::JleV { t, .. }
                | Op::JgtV { t, .. }
                | Op::JgeV { t, .. }
                | Op::JeqV { t, .. }
                | Op::JneV { t, .. }
                | Op::JltVK { t, .. }
                | Op::JleVK { t, .. }
                | Op::JgtVK { t, .. }
                | Op::JgeVK { t, .. }
                | Op::JeqVK { t, .. }
                | Op::JneVK { t, .. }
                | Op::ForNext { t, .. }
                | Op::ForBack { t, .. } => *t = at(*t),
                _ => {}
            }
        }
        Code {
            ops: self.ops.into(),
            spans: self.spans.into(),
            stmts: self.stmts.into(),
            vals: self.vals.into(),
            frame: self.frame,
            params: self.params.into(),
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
        // Expressions past HIGH_WATER become one closure: at most a few
        // registers above it are ever taken.
        debug_assert!(self.next < REGS, "register {} out of range", self.next);
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

    /// Copies the register-held locals to the frame, for a closure.
    fn spill(&mut self, span: Span) {
        self.frame = true;
        for (l, reg) in self.locals.clone().into_iter().enumerate() {
            let l = l as u32;
            match reg {
                Some((a, false)) => self.emit(Op::Spill { l, a }, span),
                Some((a, true)) => self.emit(Op::SpillBool { l, a }, span),
                None => {}
            }
        }
    }

    /// The statement as one closure call (it spends its own fuel); it may
    /// assign locals, so they are read back.
    fn fallback(&mut self, s: &ir::Stmt) {
        self.spill(s.span);
        self.stmts.push(self.c.stmt(s));
        let f = self.stmts.len() as u32 - 1;
        self.emit(Op::Stmt { f }, s.span);
        for (l, reg) in self.locals.clone().into_iter().enumerate() {
            let l = l as u32;
            match reg {
                Some((d, false)) => self.emit(Op::Local { d, l }, s.span),
                Some((d, true)) => self.emit(Op::LocalBool { d, l }, s.span),
                None => {}
            }
        }
    }

    /// Emits `Burn` for a statement; [`Lower::fused_burn`] may take it back.
    fn burn(&mut self, span: Span) -> usize {
        self.emit(Op::Burn, span);
        self.ops.len()
    }

    /// Whether nothing was emitted since the `Burn` at `mark`: then the
    /// `Burn` is removed and the statement's instruction spends the fuel.
    fn fused_burn(&mut self, mark: usize) -> bool {
        if self.ops.len() == mark && matches!(self.ops.last(), Some(Op::Burn)) {
            self.ops.pop();
            self.spans.pop();
            return true;
        }
        false
    }

    fn stmt(&mut self, s: &ir::Stmt) {
        let sp = s.span;
        if self.c.closures_only {
            return self.fallback(s);
        }
        match &s.kind {
            S::Let(l, e) if matches!(e.shape, Shape::Int | Shape::Bool) => {
                self.burn(sp);
                let a = self.value(e);
                let l = *l;
                let op = match self.locals[l as usize] {
                    Some((d, _)) => Op::Mov { d, a },
                    None if e.shape == Shape::Int => Op::StoreLocal { l, a },
                    None => Op::StoreLocalBool { l, a },
                };
                if !matches!(op, Op::Mov { .. }) {
                    self.frame = true;
                }
                self.emit(op, sp);
            }
            S::Assign {
                root: Root::Local(l),
                indices,
                op,
                value,
            } if indices.is_empty()
                && self.locals[*l as usize].is_some()
                && (value.shape == Shape::Int || *op == AssignOp::Set) =>
            {
                let Some((d, _)) = self.locals[*l as usize] else {
                    return;
                };
                self.burn(sp);
                let a = self.value(value);
                let op = match op {
                    AssignOp::Set => Op::Mov { d, a },
                    AssignOp::Add => Op::Add { d, a: d, b: a },
                    AssignOp::Sub => Op::Sub { d, a: d, b: a },
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
                        let mark = self.burn(sp);
                        if let (AssignOp::Add, K::Const(Value::Int(k))) = (op, &value.kind) {
                            let burn = self.fused_burn(mark);
                            self.emit(Op::AddVarK { v, k: *k, burn }, sp);
                            return;
                        }
                        let a = self.int(value);
                        let burn = self.fused_burn(mark);
                        let op = match op {
                            AssignOp::Set => Op::SetVar { v, a, burn },
                            AssignOp::Add => Op::AddVar { v, a, burn },
                            AssignOp::Sub => Op::SubVar { v, a, burn },
                        };
                        self.emit(op, sp);
                    }
                    (Type::Bool, Shape::Bool, AssignOp::Set) => {
                        let mark = self.burn(sp);
                        let a = self.boolean(value);
                        let burn = self.fused_burn(mark);
                        self.emit(Op::SetVarBool { v, a, burn }, sp);
                    }
                    _ => self.fallback(s),
                }
            }
            S::If(c, then, els) => {
                self.burn(sp);
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
            S::ForRange(l, lo, hi, body)
                if self.next + 2 < HIGH_WATER && self.locals[*l as usize].is_some() =>
            {
                let Some((l, _)) = self.locals[*l as usize] else {
                    return;
                };
                self.burn(sp);
                // The counter and the bound in two fresh registers: the body
                // may assign the loop variable without changing the count.
                let i = self.reg();
                let x = self.int(lo);
                self.emit(Op::Mov { d: i, a: x }, sp);
                self.next = i as usize + 1;
                let e = self.reg();
                let y = self.int(hi);
                self.emit(Op::Mov { d: e, a: y }, sp);
                self.next = e as usize + 1;
                let (body_start, exit) = (self.label(), self.label());
                self.emit(Op::ForNext { i, e, l, t: exit.0 }, sp);
                self.place(body_start);
                let first = self.ops.len();
                self.block(body);
                let skip = self.ops.len() > first + 1 && matches!(self.ops[first], Op::Burn);
                self.emit(
                    Op::ForBack {
                        i,
                        e,
                        l,
                        t: body_start.0,
                        skip,
                    },
                    sp,
                );
                self.place(exit);
            }
            S::Send {
                handler,
                args,
                after: None,
            } if args.len() <= 4
                && args
                    .iter()
                    .all(|a| matches!(a.shape, Shape::Int | Shape::Bool))
                && self.next + args.len() < HIGH_WATER =>
            {
                self.burn(sp);
                let mut a = [0; 4];
                let mut bools = 0u8;
                for (j, arg) in args.iter().enumerate() {
                    if arg.shape == Shape::Bool {
                        bools |= 1 << j;
                    }
                    a[j] = self.value(arg);
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

    /// An `Int` or `Bool` expression: a local's register or the next free one.
    fn value(&mut self, e: &ir::Expr) -> Reg {
        if e.shape == Shape::Bool {
            self.boolean(e)
        } else {
            self.int(e)
        }
    }

    /// The expression as one closure call, its value as an `Int` (or a `Bool`).
    fn closure(&mut self, e: &ir::Expr, boolean: bool) -> Reg {
        self.spill(e.span);
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

    /// An `Int` expression: a local's register or the next free one.
    fn int(&mut self, e: &ir::Expr) -> Reg {
        if self.next >= HIGH_WATER || self.c.closures_only {
            return self.closure(e, false);
        }
        let sp = e.span;
        let mark = self.next;
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
            K::Local(l) if e.shape == Shape::Int => match self.locals[*l as usize] {
                Some((r, _)) => r,
                None => {
                    self.frame = true;
                    let d = self.reg();
                    self.emit(Op::Local { d, l: *l }, sp);
                    d
                }
            },
            K::Tick => {
                let d = self.reg();
                self.emit(Op::Tick { d }, sp);
                d
            }
            K::Unary(UnOp::Neg, a) if a.shape == Shape::Int => {
                let x = self.int(a);
                self.next = mark;
                let d = self.reg();
                self.emit(Op::Neg { d, a: x }, sp);
                d
            }
            K::Binary(op, a, b)
                if matches!(
                    op,
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
                ) && a.shape == Shape::Int
                    && b.shape == Shape::Int =>
            {
                let x = self.int(a);
                // The right operand: a constant (not a divisor that can
                // fail), a state variable to add, or a register.
                let rhs = match (&b.kind, op) {
                    (K::Const(Value::Int(k)), BinOp::Div | BinOp::Rem) if *k == 0 || *k == -1 => {
                        Rhs::Reg(self.int(b))
                    }
                    (K::Const(Value::Int(k)), _) => Rhs::Const(*k),
                    (K::Var(v), BinOp::Add) => Rhs::Var(*v),
                    _ => Rhs::Reg(self.int(b)),
                };
                self.next = mark;
                let d = self.reg();
                let a = x;
                let op = match (op, rhs) {
                    (BinOp::Add, Rhs::Const(k)) => Op::AddK { d, a, k },
                    (BinOp::Sub, Rhs::Const(k)) => Op::SubK { d, a, k },
                    (BinOp::Mul, Rhs::Const(k)) => Op::MulK { d, a, k },
                    (BinOp::Div, Rhs::Const(k)) => Op::DivK { d, a, k },
                    (_, Rhs::Const(k)) => Op::RemK { d, a, k },
                    (_, Rhs::Var(v)) => Op::AddV { d, a, v },
                    (BinOp::Add, Rhs::Reg(b)) => Op::Add { d, a, b },
                    (BinOp::Sub, Rhs::Reg(b)) => Op::Sub { d, a, b },
                    (BinOp::Mul, Rhs::Reg(b)) => Op::Mul { d, a, b },
                    (BinOp::Div, Rhs::Reg(b)) => Op::Div { d, a, b },
                    (_, Rhs::Reg(b)) => Op::Rem { d, a, b },
                };
                self.emit(op, sp);
                d
            }
            K::Builtin(ir::Builtin::Min | ir::Builtin::Max, args)
                if args.len() == 2 && args.iter().all(|a| a.shape == Shape::Int) =>
            {
                let x = self.int(&args[0]);
                let y = self.int(&args[1]);
                self.next = mark;
                let d = self.reg();
                let op = if matches!(e.kind, K::Builtin(ir::Builtin::Min, _)) {
                    Op::Min { d, a: x, b: y }
                } else {
                    Op::Max { d, a: x, b: y }
                };
                self.emit(op, sp);
                d
            }
            _ => self.closure(e, false),
        }
    }

    /// A `Bool` expression, as 0 or 1: a local's register or the next free one.
    fn boolean(&mut self, e: &ir::Expr) -> Reg {
        if self.next >= HIGH_WATER || self.c.closures_only {
            return self.closure(e, true);
        }
        let sp = e.span;
        let mark = self.next;
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
            K::Local(l) => match self.locals[*l as usize] {
                Some((r, _)) => r,
                None => {
                    self.frame = true;
                    let d = self.reg();
                    self.emit(Op::LocalBool { d, l: *l }, sp);
                    d
                }
            },
            K::Unary(UnOp::Not, a) => {
                let x = self.boolean(a);
                self.next = mark;
                let d = self.reg();
                self.emit(Op::Not { d, a: x }, sp);
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
        if self.c.closures_only {
            return self.test(e, want, to);
        }
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
                if self.next + 2 < HIGH_WATER
                    && a.shape == Shape::Int
                    && b.shape == Shape::Int
                    && cmp(*op).is_some() =>
            {
                let Some(c) = cmp(*op) else {
                    return;
                };
                let c = if want { c } else { c.negate() };
                // Constants and state variables go right, where the fused forms take them.
                let (a, b, c) = if rank(a) > rank(b) {
                    (b, a, c.mirror())
                } else {
                    (a, b, c)
                };
                let t = to.0;
                let op = match (&a.kind, &b.kind) {
                    (K::Var(v), K::Const(Value::Int(k))) if i32::try_from(*k).is_ok() => {
                        let (v, k) = (*v, *k as i32);
                        jump_op!(c, JltVK JleVK JgtVK JgeVK JeqVK JneVK { v, k, t })
                    }
                    (_, K::Const(Value::Int(k))) => {
                        let (a, k) = (self.int(a), *k);
                        jump_op!(c, JltK JleK JgtK JgeK JeqK JneK { a, k, t })
                    }
                    (_, K::Var(v)) => {
                        let (a, v) = (self.int(a), *v);
                        jump_op!(c, JltV JleV JgtV JgeV JeqV JneV { a, v, t })
                    }
                    _ => {
                        let (a, b) = (self.int(a), self.int(b));
                        jump_op!(c, Jlt Jle Jgt Jge Jeq Jne { a, b, t })
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

/// The right operand of an arithmetic instruction.
#[derive(Clone, Copy)]
enum Rhs {
    Const(i64),
    Var(u32),
    Reg(Reg),
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
    /// The comparison with its sides swapped: `a < b` is `b > a`.
    fn mirror(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            c => c,
        }
    }

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

/// How much a comparison operand wants the right-hand side: constants most,
/// then state variables, then anything else.
fn rank(e: &ir::Expr) -> u8 {
    match &e.kind {
        K::Const(Value::Int(_)) => 2,
        K::Var(_) => 1,
        _ => 0,
    }
}

/// Records the shape of each local a `let` or a loop binds.
fn local_shapes(stmts: &[ir::Stmt], out: &mut [Shape]) {
    for s in stmts {
        match &s.kind {
            S::Let(l, e) => {
                if let Some(slot) = out.get_mut(*l as usize) {
                    *slot = e.shape;
                }
            }
            S::If(_, a, b) => {
                local_shapes(a, out);
                local_shapes(b, out);
            }
            S::ForRange(l, _, _, body) => {
                if let Some(slot) = out.get_mut(*l as usize) {
                    *slot = Shape::Int;
                }
                local_shapes(body, out);
            }
            S::ForEach(_, _, _, body) => local_shapes(body, out),
            _ => {}
        }
    }
}
