//! The machine the compiled code runs on: Σ in slots, the clock, and the
//! transaction in progress (an undo log makes rollback exact; sends are
//! buffered until commit; effect call ids never go back).

use std::sync::Arc;

pub use super::effects::Effects;
use super::failure::{Failure, FailureKind as F};
use super::ops;
use crate::ir::{HandlerId, VarId};
use crate::syntax::ast::{AssignOp, BinOp};
use crate::syntax::span::Span;
use crate::value::Value;

pub use super::failure::FUEL_PER_CYCLE;

/// The number of registers of the register machine ([`super::vm`]); a `u8`
/// register number cannot name more.
pub const REGS: usize = 256;

/// What compiled code returns: a failure ends the transaction.
pub type R<T> = Result<T, Box<Failure>>;
/// The locals of a body that are not in registers.
pub type Frame = Vec<Value>;
/// The closure backend's calling convention ([`super::closures`]), shared
/// with the register machine, which calls closures for what it has no
/// instruction for.
pub type IntFn = Box<dyn Fn(&mut Interp, &mut Frame, &mut dyn Effects) -> R<i64> + Send + Sync>;
pub type BoolFn = Box<dyn Fn(&mut Interp, &mut Frame, &mut dyn Effects) -> R<bool> + Send + Sync>;
pub type ValFn = Box<dyn Fn(&mut Interp, &mut Frame, &mut dyn Effects) -> R<Value> + Send + Sync>;
pub type StmtFn = Box<dyn Fn(&mut Interp, &mut Frame, &mut dyn Effects) -> R<()> + Send + Sync>;

pub fn fail<T>(kind: F, span: Span) -> R<T> {
    Err(Box::new(Failure { kind, span }))
}

/// An `Int` value's number (0 for anything else: the checker rules that out).
pub fn as_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        _ => 0,
    }
}

/// A message a handler sent, delivered only if its cycle commits.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub handler: HandlerId,
    pub args: super::queue::Args,
    pub after: u64,
}

/// A committed change of one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub var: VarId,
    pub old: Value,
    pub new: Value,
}

/// What the transaction saved of a variable before its first assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Saved {
    Nothing,
    /// An `Int`, in `old_int`.
    Int,
    /// Any other value, in `old`.
    Value,
}

/// Σ plus the transaction in progress. The transaction's log is the list of
/// variables it assigned, in first-assignment order, with each one's old
/// value saved beside the state (unboxed for `Int`s): an assignment costs a
/// 4-byte push the first time and nothing after.
pub struct Interp {
    pub state: Vec<Value>,
    pub tick: i64,
    order: Vec<VarId>,
    saved: Vec<Saved>,
    old_int: Vec<i64>,
    old: Vec<Value>,
    pub sends: Vec<Outgoing>,
    pub(super) fuel: u64,
    /// The id the next effect call gets; it never goes back, even on rollback.
    pub next_effect_id: u64,
    /// The frame buffer, reused from cycle to cycle.
    pub(super) frame: Vec<Value>,
    /// The register machine's registers (taken while code runs).
    pub(super) regs: Option<Box<[i64; REGS]>>,
    /// Why the code that last ended in `Exit::Failed` failed.
    pub(super) failure: Option<Box<Failure>>,
}

impl Interp {
    pub fn new(state: Vec<Value>) -> Self {
        let n = state.len();
        Interp {
            state,
            tick: 0,
            order: Vec::new(),
            saved: vec![Saved::Nothing; n],
            old_int: vec![0; n],
            old: vec![Value::Bool(false); n],
            sends: Vec::new(),
            fuel: FUEL_PER_CYCLE,
            next_effect_id: 0,
            frame: Vec::new(),
            regs: Some(Box::new([0; REGS])),
            failure: None,
        }
    }

    /// Starts a transaction.
    pub fn begin(&mut self) {
        // Both are empty after every commit and rollback; the tests keep
        // the common case from calling into the drops.
        if !self.order.is_empty() {
            // A transaction left open keeps its writes (as it always has).
            while let Some(v) = self.order.pop() {
                self.take_saved(v as usize);
            }
        }
        if !self.sends.is_empty() {
            self.sends.clear();
        }
        self.fuel = FUEL_PER_CYCLE;
    }

    /// The variables the transaction assigned so far (a superset of its writes).
    pub fn touched_vars(&self) -> impl Iterator<Item = VarId> + '_ {
        self.order.iter().copied()
    }

    /// Takes the saved old value of variable `i` back out of the log.
    fn take_saved(&mut self, i: usize) -> Value {
        match std::mem::replace(&mut self.saved[i], Saved::Nothing) {
            Saved::Int => Value::Int(self.old_int[i]),
            Saved::Value => std::mem::replace(&mut self.old[i], Value::Bool(false)),
            Saved::Nothing => self.state[i].clone(),
        }
    }

    /// Ends the transaction keeping its writes: the encoding of each
    /// variable whose value changed (`x = x` writes nothing), variable id
    /// and new value, goes to the run hash's buffer `hash` in the order the
    /// transaction first assigned them, and those a goal reads (`watched`)
    /// to `changed`. Full [`Write`] records, with the old values, are built
    /// only when `records` asks for them (someone observes the run): the hot
    /// loop does not pay for them.
    #[inline(always)]
    pub fn commit(
        &mut self,
        hash: &mut Vec<u8>,
        changed: &mut Vec<VarId>,
        watched: &[bool],
        mut records: Option<&mut Vec<Write>>,
    ) {
        changed.clear();
        if let Some(r) = records.as_deref_mut() {
            r.clear();
        }
        hash.reserve(13 * self.order.len());
        let order = std::mem::take(&mut self.order);
        for &v in &order {
            let i = v as usize;
            // The common case: an `Int` that stays one, unboxed throughout.
            let int = match (
                self.saved.get_mut(i),
                self.state.get(i),
                self.old_int.get(i),
            ) {
                (Some(saved @ Saved::Int), Some(Value::Int(n)), Some(o)) => {
                    *saved = Saved::Nothing;
                    Some((*n, *o))
                }
                _ => None,
            };
            if let Some((n, o)) = int {
                if n == o {
                    continue;
                }
                super::hash::encode_int_write(hash, v, n);
                if let Some(r) = records.as_deref_mut() {
                    r.push(Write {
                        var: v,
                        old: Value::Int(o),
                        new: Value::Int(n),
                    });
                }
            } else {
                let old = self.take_saved(i);
                let new = &self.state[i];
                if *new == old {
                    continue;
                }
                super::hash::encode_write(hash, v, new);
                if let Some(r) = records.as_deref_mut() {
                    r.push(Write {
                        var: v,
                        old,
                        new: new.clone(),
                    });
                }
            }
            if watched.get(i).copied().unwrap_or(true) {
                changed.push(v);
            }
        }
        self.order = order;
        self.order.clear();
    }

    /// Ends the transaction undoing every write and dropping every send.
    pub fn rollback(&mut self) {
        while let Some(v) = self.order.pop() {
            let i = v as usize;
            self.state[i] = self.take_saved(i);
        }
        self.sends.clear();
    }

    /// Spends one unit of fuel.
    #[inline]
    pub fn burn(&mut self, span: Span) -> R<()> {
        if self.fuel == 0 {
            return fail(F::FuelExhausted, span);
        }
        self.fuel -= 1;
        Ok(())
    }

    /// Writes a state slot, remembering its old value the first time.
    #[inline]
    pub fn write_var(&mut self, v: VarId, value: Value) {
        let i = v as usize;
        let old = std::mem::replace(&mut self.state[i], value);
        if self.saved[i] == Saved::Nothing {
            self.saved[i] = Saved::Value;
            self.old[i] = old;
            self.order.push(v);
        }
    }

    /// [`Interp::write_var`] for an `Int` variable, which always holds an
    /// `Int`: the slot is updated in place, without moving a `Value`.
    #[inline(always)]
    pub fn write_int(&mut self, v: VarId, n: i64) {
        let i = v as usize;
        if let Value::Int(x) = &mut self.state[i] {
            if self.saved[i] == Saved::Nothing {
                self.saved[i] = Saved::Int;
                self.old_int[i] = *x;
                self.order.push(v);
            }
            *x = n;
        } else {
            self.write_var(v, Value::Int(n));
        }
    }

    /// Why the last code that ended in `Exit::Failed` failed.
    pub fn take_failure(&mut self) -> Failure {
        match self.failure.take() {
            Some(f) => *f,
            None => Failure {
                kind: F::Fail("failed".into()),
                span: Span::default(),
            },
        }
    }
}

/// Applies `op` with `v` at the index path inside `current`; returns the new value.
pub fn update(current: Value, idx: &[Value], op: AssignOp, v: Value) -> Result<Value, F> {
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
                    Arc::make_mut(&mut m).insert(first.clone(), v);
                    return Ok(Value::Map(m));
                }
                None => return Err(F::MissingKey(first.to_string())),
            };
            let new = update(child, rest, op, v)?;
            Arc::make_mut(&mut m).insert(first.clone(), new);
            Ok(Value::Map(m))
        }
        Value::List(mut l) => {
            let i = as_int(first);
            let Some(u) = usize::try_from(i).ok().filter(|u| *u < l.len()) else {
                return Err(F::IndexOutOfRange(i, l.len()));
            };
            let new = update(l[u].clone(), rest, op, v)?;
            Arc::make_mut(&mut l).set(u, new);
            Ok(Value::List(l))
        }
        _ => Err(F::MissingKey(first.to_string())),
    }
}
