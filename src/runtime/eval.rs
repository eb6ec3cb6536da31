//! The interpreter: runs checked bodies and evaluates conditions over the
//! slot-addressed state, as one transaction per cycle (an undo log makes
//! rollback exact; sends are buffered until commit).

use super::failure::{Failure, FailureKind as F};
use super::ops;
use crate::ir::{self, ExprKind as K, HandlerId, Program, Root, StmtKind as S, VarId};
use crate::syntax::ast::{AssignOp, BinOp};
use crate::syntax::span::Span;
use crate::value::Value;

/// Statements and loop iterations one cycle may run before it fails.
pub const FUEL_PER_CYCLE: u64 = 10_000_000;

/// The binding of effects at run time (simulator, subprocess, Rust API).
pub trait Effects {
    /// Calls effect `effect` with its arguments. `call_id` is deterministic:
    /// the same call in the same run always has the same id.
    fn call(&mut self, call_id: u64, effect: &ir::Effect, args: &[Value]) -> Result<Value, String>;
}

/// A message a handler sent, delivered only if its cycle commits.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub handler: HandlerId,
    pub args: Vec<Value>,
    pub after: u64,
}

/// A committed change of one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub var: VarId,
    pub old: Value,
    pub new: Value,
}

/// Σ plus the transaction in progress.
pub struct Interp<'p> {
    pub program: &'p Program,
    pub state: Vec<Value>,
    pub tick: i64,
    undo: Vec<(VarId, Value)>,
    touched: Vec<bool>,
    pub sends: Vec<Outgoing>,
    fuel: u64,
    /// The id the next effect call gets; it never goes back, even on rollback.
    pub next_effect_id: u64,
}

type R<T> = Result<T, Failure>;

fn fail<T>(kind: F, span: Span) -> R<T> {
    Err(Failure { kind, span })
}

impl<'p> Interp<'p> {
    pub fn new(program: &'p Program, state: Vec<Value>) -> Self {
        let n = state.len();
        Interp {
            program,
            state,
            tick: 0,
            undo: Vec::new(),
            touched: vec![false; n],
            sends: Vec::new(),
            fuel: FUEL_PER_CYCLE,
            next_effect_id: 0,
        }
    }

    /// Starts a transaction.
    pub fn begin(&mut self) {
        self.undo.clear();
        self.sends.clear();
        self.fuel = FUEL_PER_CYCLE;
    }

    /// The writes of the transaction so far: variables whose value changed
    /// (`x = x` writes nothing), in variable order.
    pub fn writes(&self) -> Vec<Write> {
        let mut w: Vec<Write> = self
            .undo
            .iter()
            .filter(|(v, old)| self.state[*v as usize] != *old)
            .map(|(v, old)| Write {
                var: *v,
                old: old.clone(),
                new: self.state[*v as usize].clone(),
            })
            .collect();
        w.sort_by_key(|w| w.var);
        w
    }

    /// Ends the transaction keeping its writes.
    pub fn commit(&mut self) {
        for (v, _) in self.undo.drain(..) {
            self.touched[v as usize] = false;
        }
    }

    /// Ends the transaction undoing every write and dropping every send.
    pub fn rollback(&mut self) {
        while let Some((v, old)) = self.undo.pop() {
            self.state[v as usize] = old;
            self.touched[v as usize] = false;
        }
        self.sends.clear();
    }

    fn burn(&mut self, span: Span) -> R<()> {
        if self.fuel == 0 {
            return fail(F::FuelExhausted, span);
        }
        self.fuel -= 1;
        Ok(())
    }

    /// Runs a handler or repair body with its arguments as the first locals.
    pub fn run_body(&mut self, body: &ir::Body, args: Vec<Value>, fx: &mut dyn Effects) -> R<()> {
        let mut frame = args;
        frame.resize(
            body.frame_size.max(frame.len() as u32) as usize,
            Value::Bool(false),
        );
        self.block(&body.stmts, &mut frame, fx)
    }

    /// Evaluates a pure condition (a goal or an invariant) to a Bool.
    pub fn condition(&mut self, e: &ir::Expr, fx: &mut dyn Effects) -> R<bool> {
        let mut frame = Vec::new();
        Ok(matches!(self.eval(e, &mut frame, fx)?, Value::Bool(true)))
    }

    fn block(&mut self, stmts: &[ir::Stmt], frame: &mut Vec<Value>, fx: &mut dyn Effects) -> R<()> {
        for s in stmts {
            self.stmt(s, frame, fx)?;
        }
        Ok(())
    }

    fn write_var(&mut self, v: VarId, value: Value) {
        let i = v as usize;
        if !self.touched[i] {
            self.touched[i] = true;
            let old = std::mem::replace(&mut self.state[i], value);
            self.undo.push((v, old));
        } else {
            self.state[i] = value;
        }
    }

    fn stmt(&mut self, s: &ir::Stmt, frame: &mut Vec<Value>, fx: &mut dyn Effects) -> R<()> {
        self.burn(s.span)?;
        match &s.kind {
            S::Let(slot, e) => {
                let v = self.eval(e, frame, fx)?;
                frame[*slot as usize] = v;
            }
            S::Assign {
                root,
                indices,
                op,
                value,
            } => {
                let v = self.eval(value, frame, fx)?;
                let mut idx = Vec::with_capacity(indices.len());
                for i in indices {
                    idx.push(self.eval(i, frame, fx)?);
                }
                let current = match root {
                    Root::Var(var) => self.state[*var as usize].clone(),
                    Root::Local(l) => frame[*l as usize].clone(),
                };
                let new =
                    update(current, &idx, *op, v).map_err(|kind| Failure { kind, span: s.span })?;
                match root {
                    Root::Var(var) => self.write_var(*var, new),
                    Root::Local(l) => frame[*l as usize] = new,
                }
            }
            S::If(c, then, els) => {
                if matches!(self.eval(c, frame, fx)?, Value::Bool(true)) {
                    self.block(then, frame, fx)?;
                } else {
                    self.block(els, frame, fx)?;
                }
            }
            S::ForRange(slot, lo, hi, body) => {
                let lo = as_int(&self.eval(lo, frame, fx)?);
                let hi = as_int(&self.eval(hi, frame, fx)?);
                let mut i = lo;
                while i < hi {
                    self.burn(s.span)?;
                    frame[*slot as usize] = Value::Int(i);
                    self.block(body, frame, fx)?;
                    i += 1;
                }
            }
            S::ForEach(k, v, coll, body) => {
                let c = self.eval(coll, frame, fx)?;
                let pairs: Box<dyn Iterator<Item = (Value, Option<Value>)>> = match c {
                    Value::List(l) => {
                        if v.is_some() {
                            Box::new(
                                l.into_iter()
                                    .enumerate()
                                    .map(|(i, x)| (Value::Int(i as i64), Some(x))),
                            )
                        } else {
                            Box::new(l.into_iter().map(|x| (x, None)))
                        }
                    }
                    Value::Set(set) => Box::new(set.into_iter().map(|x| (x, None))),
                    Value::Map(m) => Box::new(m.into_iter().map(|(a, b)| (a, Some(b)))),
                    _ => Box::new(std::iter::empty()),
                };
                for (a, b) in pairs {
                    self.burn(s.span)?;
                    frame[*k as usize] = a;
                    if let (Some(vs), Some(b)) = (v, b) {
                        frame[*vs as usize] = b;
                    }
                    self.block(body, frame, fx)?;
                }
            }
            S::Send {
                handler,
                args,
                after,
            } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a, frame, fx)?);
                }
                let after = match after {
                    Some(e) => {
                        let n = as_int(&self.eval(e, frame, fx)?);
                        if n < 0 {
                            return fail(
                                F::Fail(format!("negative delay {n} after `after`")),
                                e.span,
                            );
                        }
                        n as u64
                    }
                    None => 0,
                };
                self.sends.push(Outgoing {
                    handler: *handler,
                    args: vals,
                    after,
                });
            }
            S::Fail(msg) => {
                let m = self.eval(msg, frame, fx)?;
                return fail(F::Fail(text(&m)), s.span);
            }
            S::Assert(c, msg) => {
                if !matches!(self.eval(c, frame, fx)?, Value::Bool(true)) {
                    let m = match msg {
                        Some(m) => text(&self.eval(m, frame, fx)?),
                        None => "assertion failed".to_string(),
                    };
                    return fail(F::Assert(m), s.span);
                }
            }
            S::Expr(e) => {
                self.eval(e, frame, fx)?;
            }
        }
        Ok(())
    }

    pub fn eval(&mut self, e: &ir::Expr, frame: &mut Vec<Value>, fx: &mut dyn Effects) -> R<Value> {
        let wrap = |kind| Failure { kind, span: e.span };
        Ok(match &e.kind {
            K::Const(v) => v.clone(),
            K::Local(l) => frame[*l as usize].clone(),
            K::Var(v) => self.state[*v as usize].clone(),
            K::Tick => Value::Int(self.tick),
            K::Unary(op, a) => {
                let a = self.eval(a, frame, fx)?;
                ops::unary(*op, a).map_err(wrap)?
            }
            K::Binary(BinOp::And, a, b) => {
                if matches!(self.eval(a, frame, fx)?, Value::Bool(true)) {
                    self.eval(b, frame, fx)?
                } else {
                    Value::Bool(false)
                }
            }
            K::Binary(BinOp::Or, a, b) => {
                if matches!(self.eval(a, frame, fx)?, Value::Bool(true)) {
                    Value::Bool(true)
                } else {
                    self.eval(b, frame, fx)?
                }
            }
            K::Binary(op, a, b) => {
                let a = self.eval(a, frame, fx)?;
                let b = self.eval(b, frame, fx)?;
                ops::binary(*op, a, b).map_err(wrap)?
            }
            K::Index(base, idx) => {
                let b = self.eval(base, frame, fx)?;
                let i = self.eval(idx, frame, fx)?;
                ops::index(&b, &i).map_err(wrap)?
            }
            K::List(items) => {
                let mut out = im::Vector::new();
                for i in items {
                    out.push_back(self.eval(i, frame, fx)?);
                }
                Value::List(out)
            }
            K::Set(items) => {
                let mut out = im::OrdSet::new();
                for i in items {
                    out.insert(self.eval(i, frame, fx)?);
                }
                Value::Set(out)
            }
            K::Map(entries) => {
                let mut out = im::OrdMap::new();
                for (k, v) in entries {
                    let k = self.eval(k, frame, fx)?;
                    let v = self.eval(v, frame, fx)?;
                    out.insert(k, v);
                }
                Value::Map(out)
            }
            K::Builtin(b, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a, frame, fx)?);
                }
                ops::builtin(*b, vals).map_err(wrap)?
            }
            K::Effect(id, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a, frame, fx)?);
                }
                let call_id = self.next_effect_id;
                self.next_effect_id += 1;
                let effect = &self.program.effects[*id as usize];
                fx.call(call_id, effect, &vals)
                    .map_err(|m| wrap(F::Effect(m)))?
            }
        })
    }
}

fn as_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        _ => 0,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Applies `op` with `v` at the index path inside `current`; returns the new value.
fn update(current: Value, idx: &[Value], op: AssignOp, v: Value) -> Result<Value, F> {
    let Some((first, rest)) = idx.split_first() else {
        return match op {
            AssignOp::Set => Ok(v),
            AssignOp::Add => ops::binary(BinOp::Add, current, v),
            AssignOp::Sub => ops::binary(BinOp::Sub, current, v),
        };
    };
    match current {
        Value::Map(mut m) => {
            let child = match m.get(first) {
                Some(c) => c.clone(),
                None if rest.is_empty() && op == AssignOp::Set => {
                    m.insert(first.clone(), v);
                    return Ok(Value::Map(m));
                }
                None => return Err(F::MissingKey(first.to_string())),
            };
            let new = update(child, rest, op, v)?;
            m.insert(first.clone(), new);
            Ok(Value::Map(m))
        }
        Value::List(mut l) => {
            let i = as_int(first);
            let Some(u) = usize::try_from(i).ok().filter(|u| *u < l.len()) else {
                return Err(F::IndexOutOfRange(i, l.len()));
            };
            let new = update(l[u].clone(), rest, op, v)?;
            l.set(u, new);
            Ok(Value::List(l))
        }
        _ => Err(F::MissingKey(first.to_string())),
    }
}
