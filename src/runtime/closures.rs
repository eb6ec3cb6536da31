//! The closure backend: compiles checked expressions and statements into
//! closures, once per run (the register machine calls them for whatever it
//! has no instruction for, and `closures_only` runs everything this way). `Int` and `Bool`
//! expressions compile to closures returning `i64`/`bool` directly (their
//! shape is known statically), so arithmetic and conditions never build or
//! drop a `Value`; everything else goes through the generic `Value` path.

use std::sync::Arc;

use super::failure::{Failure, FailureKind as F};
use super::machine::{
    as_int, fail, BoolFn, Effects, Frame, IntFn, Interp, Outgoing, StmtFn, ValFn, R,
};
use super::ops;
use super::queue::Args;
use crate::ir::{self, ExprKind as K, Program, Root, Shape, StmtKind as S};
use crate::syntax::ast::{AssignOp, BinOp, UnOp};
use crate::syntax::span::Span;
use crate::value::Value;

fn at(span: Span) -> impl Fn(F) -> Box<Failure> {
    move |kind| Box::new(Failure { kind, span })
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Compiles expressions and statements to closures: everything the
/// register machine has no instruction for.
pub(super) struct Compiler<'p> {
    pub(super) p: &'p Program,
    pub(super) closures_only: bool,
}

/// An `Int` operand: a constant, a state slot or a local is read inline; only
/// anything else costs a closure call. Most operands are leaves.
enum Operand {
    Const(i64),
    Var(usize),
    Local(usize),
    Code(IntFn),
}

impl Operand {
    #[inline(always)]
    fn get(&self, it: &mut Interp, f: &mut Frame, x: &mut dyn Effects) -> R<i64> {
        Ok(match self {
            Operand::Const(i) => *i,
            Operand::Var(v) => as_int(&it.state[*v]),
            Operand::Local(l) => as_int(&f[*l]),
            Operand::Code(c) => c(it, f, x)?,
        })
    }
}

/// A closure over two `Int` operands, specialized for the common leaf
/// pairs (a local or a state slot against a constant or another leaf), so
/// the hot comparisons and arithmetic do not dispatch on operand kinds.
macro_rules! leaves {
    ($a:expr, $b:expr, |$l:ident, $r:ident| $body:expr) => {
        match ($a, $b) {
            (Operand::Local(x), Operand::Const(c)) => Box::new(move |_, f, _| {
                let ($l, $r) = (as_int(&f[x]), c);
                $body
            }),
            (Operand::Var(x), Operand::Const(c)) => Box::new(move |it, _, _| {
                let ($l, $r) = (as_int(&it.state[x]), c);
                $body
            }),
            (Operand::Local(x), Operand::Var(y)) => Box::new(move |it, f, _| {
                let ($l, $r) = (as_int(&f[x]), as_int(&it.state[y]));
                $body
            }),
            (Operand::Var(x), Operand::Var(y)) => Box::new(move |it, _, _| {
                let ($l, $r) = (as_int(&it.state[x]), as_int(&it.state[y]));
                $body
            }),
            (a, b) => Box::new(move |it, f, x| {
                let $l = a.get(it, f, x)?;
                let $r = b.get(it, f, x)?;
                $body
            }),
        }
    };
}

fn int_arith(op: BinOp, a: Operand, b: Operand, sp: Span) -> IntFn {
    let ovf = move || {
        Box::new(Failure {
            kind: F::Overflow,
            span: sp,
        })
    };
    match op {
        BinOp::Add => leaves!(a, b, |l, r| l.checked_add(r).ok_or_else(ovf)),
        BinOp::Sub => leaves!(a, b, |l, r| l.checked_sub(r).ok_or_else(ovf)),
        BinOp::Mul => leaves!(a, b, |l, r| l.checked_mul(r).ok_or_else(ovf)),
        BinOp::Div | BinOp::Rem => {
            let div = op == BinOp::Div;
            Box::new(move |it, f, x| {
                let l = a.get(it, f, x)?;
                let r = b.get(it, f, x)?;
                if r == 0 {
                    return fail(F::DivisionByZero, sp);
                }
                if div {
                    l.checked_div(r)
                } else {
                    l.checked_rem(r)
                }
                .ok_or_else(ovf)
            })
        }
        _ => Box::new(|_, _, _| Ok(0)),
    }
}

fn int_cmp(op: BinOp, a: Operand, b: Operand) -> BoolFn {
    macro_rules! cmp {
        ($o:tt) => {
            leaves!(a, b, |l, r| Ok(l $o r))
        };
    }
    match op {
        BinOp::Eq => cmp!(==),
        BinOp::Ne => cmp!(!=),
        BinOp::Lt => cmp!(<),
        BinOp::Le => cmp!(<=),
        BinOp::Gt => cmp!(>),
        _ => cmp!(>=),
    }
}

fn is_int_arith(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
    )
}

fn is_cmp(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    )
}

impl Compiler<'_> {
    fn operand(&self, e: &ir::Expr) -> Operand {
        match &e.kind {
            K::Const(Value::Int(i)) => Operand::Const(*i),
            K::Var(v) if e.shape == Shape::Int => Operand::Var(*v as usize),
            K::Local(l) if e.shape == Shape::Int => Operand::Local(*l as usize),
            _ => Operand::Code(self.int(e)),
        }
    }

    fn int(&self, e: &ir::Expr) -> IntFn {
        let sp = e.span;
        match &e.kind {
            K::Const(Value::Int(i)) => {
                let i = *i;
                Box::new(move |_, _, _| Ok(i))
            }
            K::Var(v) => {
                let v = *v as usize;
                Box::new(move |it, _, _| Ok(as_int(&it.state[v])))
            }
            K::Local(l) => {
                let l = *l as usize;
                Box::new(move |_, f, _| Ok(as_int(&f[l])))
            }
            K::Tick => Box::new(|it, _, _| Ok(it.tick)),
            K::Unary(UnOp::Neg, a) => {
                let a = self.int(a);
                Box::new(move |it, f, x| {
                    a(it, f, x)?
                        .checked_neg()
                        .ok_or_else(|| at(sp)(F::Overflow))
                })
            }
            K::Binary(op, a, b)
                if is_int_arith(*op) && a.shape == Shape::Int && b.shape == Shape::Int =>
            {
                int_arith(*op, self.operand(a), self.operand(b), sp)
            }
            K::Builtin(ir::Builtin::Min | ir::Builtin::Max, args) if args.len() == 2 => {
                let (a, b) = (self.operand(&args[0]), self.operand(&args[1]));
                if matches!(e.kind, K::Builtin(ir::Builtin::Min, _)) {
                    Box::new(move |it, f, x| Ok(a.get(it, f, x)?.min(b.get(it, f, x)?)))
                } else {
                    Box::new(move |it, f, x| Ok(a.get(it, f, x)?.max(b.get(it, f, x)?)))
                }
            }
            _ => {
                let g = self.generic(e);
                Box::new(move |it, f, x| Ok(as_int(&g(it, f, x)?)))
            }
        }
    }

    fn boolean(&self, e: &ir::Expr) -> BoolFn {
        match &e.kind {
            K::Const(Value::Bool(b)) => {
                let b = *b;
                Box::new(move |_, _, _| Ok(b))
            }
            K::Var(v) => {
                let v = *v as usize;
                Box::new(move |it, _, _| Ok(matches!(it.state[v], Value::Bool(true))))
            }
            K::Local(l) => {
                let l = *l as usize;
                Box::new(move |_, f, _| Ok(matches!(f[l], Value::Bool(true))))
            }
            K::Unary(UnOp::Not, a) => {
                let a = self.boolean(a);
                Box::new(move |it, f, x| Ok(!a(it, f, x)?))
            }
            K::Binary(BinOp::And, a, b) => {
                let (a, b) = (self.boolean(a), self.boolean(b));
                Box::new(move |it, f, x| Ok(a(it, f, x)? && b(it, f, x)?))
            }
            K::Binary(BinOp::Or, a, b) => {
                let (a, b) = (self.boolean(a), self.boolean(b));
                Box::new(move |it, f, x| Ok(a(it, f, x)? || b(it, f, x)?))
            }
            K::Binary(op, a, b)
                if is_cmp(*op) && a.shape == Shape::Int && b.shape == Shape::Int =>
            {
                int_cmp(*op, self.operand(a), self.operand(b))
            }
            _ => {
                let g = self.generic(e);
                Box::new(move |it, f, x| Ok(matches!(g(it, f, x)?, Value::Bool(true))))
            }
        }
    }

    /// Any expression as a `Value`, using the unboxed paths where they apply.
    pub(super) fn val(&self, e: &ir::Expr) -> ValFn {
        match (&e.kind, e.shape) {
            (K::Binary(op, a, b), Shape::Int)
                if is_int_arith(*op) && a.shape == Shape::Int && b.shape == Shape::Int =>
            {
                let i = self.int(e);
                Box::new(move |it, f, x| Ok(Value::Int(i(it, f, x)?)))
            }
            (K::Binary(op, a, b), Shape::Bool)
                if matches!(op, BinOp::And | BinOp::Or)
                    || (is_cmp(*op) && a.shape == Shape::Int && b.shape == Shape::Int) =>
            {
                let c = self.boolean(e);
                Box::new(move |it, f, x| Ok(Value::Bool(c(it, f, x)?)))
            }
            _ => self.generic(e),
        }
    }

    fn vals(&self, es: &[ir::Expr]) -> Box<[ValFn]> {
        es.iter().map(|e| self.val(e)).collect()
    }

    fn generic(&self, e: &ir::Expr) -> ValFn {
        let sp = e.span;
        match &e.kind {
            K::Const(v) => {
                let v = v.clone();
                Box::new(move |_, _, _| Ok(v.clone()))
            }
            K::Var(v) => {
                let v = *v as usize;
                Box::new(move |it, _, _| Ok(it.state[v].clone()))
            }
            K::Local(l) => {
                let l = *l as usize;
                Box::new(move |_, f, _| Ok(f[l].clone()))
            }
            K::Tick => Box::new(|it, _, _| Ok(Value::Int(it.tick))),
            K::Unary(op, a) => {
                let (op, a) = (*op, self.val(a));
                Box::new(move |it, f, x| ops::unary(op, a(it, f, x)?).map_err(at(sp)))
            }
            K::Binary(BinOp::And | BinOp::Or, ..) => {
                let c = self.boolean(e);
                Box::new(move |it, f, x| Ok(Value::Bool(c(it, f, x)?)))
            }
            K::Binary(op, a, b) => {
                let (op, a, b) = (*op, self.val(a), self.val(b));
                Box::new(move |it, f, x| {
                    let l = a(it, f, x)?;
                    ops::binary(op, l, b(it, f, x)?).map_err(at(sp))
                })
            }
            K::Index(base, idx) => {
                let (b, i) = (self.val(base), self.val(idx));
                Box::new(move |it, f, x| {
                    let bv = b(it, f, x)?;
                    ops::index(&bv, &i(it, f, x)?).map_err(at(sp))
                })
            }
            K::List(items) => {
                let items = self.vals(items);
                Box::new(move |it, f, x| {
                    let mut out = im::Vector::new();
                    for i in items.iter() {
                        out.push_back(i(it, f, x)?);
                    }
                    Ok(Value::list(out))
                })
            }
            K::Set(items) => {
                let items = self.vals(items);
                Box::new(move |it, f, x| {
                    let mut out = im::OrdSet::new();
                    for i in items.iter() {
                        out.insert(i(it, f, x)?);
                    }
                    Ok(Value::set(out))
                })
            }
            K::Map(entries) => {
                let entries: Vec<(ValFn, ValFn)> = entries
                    .iter()
                    .map(|(k, v)| (self.val(k), self.val(v)))
                    .collect();
                Box::new(move |it, f, x| {
                    let mut out = im::OrdMap::new();
                    for (k, v) in entries.iter() {
                        let k = k(it, f, x)?;
                        out.insert(k, v(it, f, x)?);
                    }
                    Ok(Value::map(out))
                })
            }
            K::Builtin(b, args) => {
                let (b, args) = (*b, self.vals(args));
                Box::new(move |it, f, x| {
                    let mut vals = Vec::with_capacity(args.len());
                    for a in args.iter() {
                        vals.push(a(it, f, x)?);
                    }
                    ops::builtin(b, vals).map_err(at(sp))
                })
            }
            K::Effect(id, args) => {
                let effect = Arc::new(self.p.effects[*id as usize].clone());
                let args = self.vals(args);
                Box::new(move |it, f, x| {
                    let mut vals = Vec::with_capacity(args.len());
                    for a in args.iter() {
                        vals.push(a(it, f, x)?);
                    }
                    let call_id = it.next_effect_id;
                    it.next_effect_id += 1;
                    x.call(call_id, &effect, &vals)
                        .map_err(|m| at(sp)(F::Effect(m.to_string())))
                })
            }
        }
    }

    fn block(&self, stmts: &[ir::Stmt]) -> Box<[StmtFn]> {
        stmts.iter().map(|s| self.stmt(s)).collect()
    }

    pub(super) fn stmt(&self, s: &ir::Stmt) -> StmtFn {
        let sp = s.span;
        match &s.kind {
            S::Let(slot, e) => {
                let slot = *slot as usize;
                if e.shape == Shape::Int {
                    let v = self.int(e);
                    Box::new(move |it, f, x| {
                        it.burn(sp)?;
                        f[slot] = Value::Int(v(it, f, x)?);
                        Ok(())
                    })
                } else {
                    let v = self.val(e);
                    Box::new(move |it, f, x| {
                        it.burn(sp)?;
                        f[slot] = v(it, f, x)?;
                        Ok(())
                    })
                }
            }
            S::Assign {
                root: Root::Var(var),
                indices,
                op,
                value,
            } if indices.is_empty()
                && value.shape == Shape::Int
                && self.p.vars[*var as usize].ty == crate::types::Type::Int =>
            {
                let (var, op, v) = (*var as usize, *op, self.operand(value));
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let d = v.get(it, f, x)?;
                    let cur = as_int(&it.state[var]);
                    let new = match op {
                        AssignOp::Set => Some(d),
                        AssignOp::Add => cur.checked_add(d),
                        AssignOp::Sub => cur.checked_sub(d),
                    };
                    let Some(new) = new else {
                        return fail(F::Overflow, sp);
                    };
                    it.write_int(var as ir::VarId, new);
                    Ok(())
                })
            }
            S::Assign {
                root,
                indices,
                op,
                value,
            } => {
                let (root, op, v, idx) = (root.clone(), *op, self.val(value), self.vals(indices));
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let v = v(it, f, x)?;
                    let mut path = Vec::with_capacity(idx.len());
                    for i in idx.iter() {
                        path.push(i(it, f, x)?);
                    }
                    let current = match root {
                        Root::Var(var) => it.state[var as usize].clone(),
                        Root::Local(l) => f[l as usize].clone(),
                    };
                    let new = super::machine::update(current, &path, op, v).map_err(at(sp))?;
                    match root {
                        Root::Var(var) => it.write_var(var, new),
                        Root::Local(l) => f[l as usize] = new,
                    }
                    Ok(())
                })
            }
            S::If(c, then, els) => {
                let (c, t, e) = (self.boolean(c), self.block(then), self.block(els));
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let branch = if c(it, f, x)? { &t } else { &e };
                    for s in branch.iter() {
                        s(it, f, x)?;
                    }
                    Ok(())
                })
            }
            S::ForRange(slot, lo, hi, body) => {
                let (slot, lo, hi, body) =
                    (*slot as usize, self.int(lo), self.int(hi), self.block(body));
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let (mut i, end) = (lo(it, f, x)?, hi(it, f, x)?);
                    while i < end {
                        it.burn(sp)?;
                        f[slot] = Value::Int(i);
                        for s in body.iter() {
                            s(it, f, x)?;
                        }
                        i += 1;
                    }
                    Ok(())
                })
            }
            S::ForEach(k, v, coll, body) => {
                let (k, v, coll, body) = (
                    *k as usize,
                    v.map(|v| v as usize),
                    self.val(coll),
                    self.block(body),
                );
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let c = coll(it, f, x)?;
                    let pairs: Vec<(Value, Option<Value>)> = match c {
                        Value::List(l) => l
                            .iter()
                            .enumerate()
                            .map(|(i, e)| match v {
                                Some(_) => (Value::Int(i as i64), Some(e.clone())),
                                None => (e.clone(), None),
                            })
                            .collect(),
                        Value::Set(s) => s.iter().map(|e| (e.clone(), None)).collect(),
                        Value::Map(m) => m
                            .iter()
                            .map(|(a, b)| (a.clone(), Some(b.clone())))
                            .collect(),
                        _ => Vec::new(),
                    };
                    for (a, b) in pairs {
                        it.burn(sp)?;
                        f[k] = a;
                        if let (Some(vs), Some(b)) = (v, b) {
                            f[vs] = b;
                        }
                        for s in body.iter() {
                            s(it, f, x)?;
                        }
                    }
                    Ok(())
                })
            }
            S::Send {
                handler,
                args,
                after,
            } => {
                let handler = *handler;
                let args = self.vals(args);
                let after = after.as_ref().map(|a| (self.int(a), a.span));
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let mut vals = Args::new();
                    for a in args.iter() {
                        vals.push(a(it, f, x)?);
                    }
                    let after = match &after {
                        Some((a, asp)) => {
                            let n = a(it, f, x)?;
                            if n < 0 {
                                return fail(
                                    F::Fail(format!("negative delay {n} after `after`")),
                                    *asp,
                                );
                            }
                            // Logical time is checked arithmetic: the timer
                            // must fall due at a time τ can still advance from.
                            if it.tick.checked_add(n).is_none_or(|d| d == i64::MAX) {
                                return fail(F::Overflow, *asp);
                            }
                            n as u64
                        }
                        None => 0,
                    };
                    it.sends.push(Outgoing {
                        handler,
                        args: vals,
                        after,
                    });
                    Ok(())
                })
            }
            S::Fail(msg) => {
                let m = self.val(msg);
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    let m = m(it, f, x)?;
                    fail(F::Fail(text(&m)), sp)
                })
            }
            S::Assert(c, msg) => {
                let (c, m) = (self.boolean(c), msg.as_ref().map(|m| self.val(m)));
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    if c(it, f, x)? {
                        return Ok(());
                    }
                    let m = match &m {
                        Some(m) => text(&m(it, f, x)?),
                        None => "assertion failed".to_string(),
                    };
                    fail(F::Assert(m), sp)
                })
            }
            S::Expr(e) => {
                let e = self.val(e);
                Box::new(move |it, f, x| {
                    it.burn(sp)?;
                    e(it, f, x)?;
                    Ok(())
                })
            }
        }
    }
}
