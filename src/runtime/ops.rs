//! Operations on values: checked arithmetic, comparison, indexing, builtins.
//! Every failure is a `FailureKind`, never a panic.

use std::sync::Arc;

use super::failure::FailureKind as F;
use crate::ir::Builtin;
use crate::syntax::ast::{BinOp, UnOp};
use crate::value::Value;

pub type OpResult = Result<Value, F>;

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        _ => 0,
    }
}

pub fn unary(op: UnOp, v: Value) -> OpResult {
    match (op, v) {
        (UnOp::Neg, Value::Int(i)) => i.checked_neg().map(Value::Int).ok_or(F::Overflow),
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (_, v) => Ok(v),
    }
}

/// Binary operators other than `&&` and `||` (which short-circuit in the evaluator).
pub fn binary(op: BinOp, a: Value, b: Value) -> OpResult {
    use Value::*;
    Ok(match (op, a, b) {
        (BinOp::Add, Int(x), Int(y)) => Int(x.checked_add(y).ok_or(F::Overflow)?),
        (BinOp::Add, Str(x), Str(y)) => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(&x);
            s.push_str(&y);
            Str(Arc::new(s))
        }
        (BinOp::Add, List(mut x), List(y)) => {
            Arc::make_mut(&mut x).append(&y);
            List(x)
        }
        (BinOp::Sub, Int(x), Int(y)) => Int(x.checked_sub(y).ok_or(F::Overflow)?),
        (BinOp::Mul, Int(x), Int(y)) => Int(x.checked_mul(y).ok_or(F::Overflow)?),
        (BinOp::Div, Int(_), Int(0)) | (BinOp::Rem, Int(_), Int(0)) => {
            return Err(F::DivisionByZero)
        }
        (BinOp::Div, Int(x), Int(y)) => Int(x.checked_div(y).ok_or(F::Overflow)?),
        (BinOp::Rem, Int(x), Int(y)) => Int(x.checked_rem(y).ok_or(F::Overflow)?),
        (BinOp::Eq, x, y) => Bool(x == y),
        (BinOp::Ne, x, y) => Bool(x != y),
        (BinOp::Lt, x, y) => Bool(x < y),
        (BinOp::Le, x, y) => Bool(x <= y),
        (BinOp::Gt, x, y) => Bool(x > y),
        (BinOp::Ge, x, y) => Bool(x >= y),
        (BinOp::And, Bool(x), Bool(y)) => Bool(x && y),
        (BinOp::Or, Bool(x), Bool(y)) => Bool(x || y),
        (_, x, _) => x,
    })
}

/// `base[idx]`: a list element or a map value; missing ones fail.
pub fn index(base: &Value, idx: &Value) -> OpResult {
    match base {
        Value::List(l) => {
            let i = int(idx);
            usize::try_from(i)
                .ok()
                .and_then(|u| l.get(u))
                .cloned()
                .ok_or(F::IndexOutOfRange(i, l.len()))
        }
        Value::Map(m) => m
            .get(idx)
            .cloned()
            .ok_or_else(|| F::MissingKey(idx.to_string())),
        _ => Err(F::MissingKey(idx.to_string())),
    }
}

pub fn builtin(b: Builtin, mut args: Vec<Value>) -> OpResult {
    use Value::*;
    let len = |v: &Value| -> i64 {
        match v {
            List(l) => l.len() as i64,
            Set(s) => s.len() as i64,
            Map(m) => m.len() as i64,
            Str(s) => s.len() as i64,
            _ => 0,
        }
    };
    let arg = |args: &mut Vec<Value>, i: usize| std::mem::replace(&mut args[i], Bool(false));
    if args.is_empty() {
        return Ok(Int(0));
    }
    Ok(match b {
        Builtin::Len => Int(len(&args[0])),
        Builtin::Contains => Bool(match (&args[0], &args[1]) {
            (List(l), x) => l.contains(x),
            (Set(s), x) => s.contains(x),
            (Map(m), k) => m.contains_key(k),
            (Str(s), Str(t)) => s.contains(&**t),
            _ => false,
        }),
        Builtin::Min => Int(int(&args[0]).min(int(&args[1]))),
        Builtin::Max => Int(int(&args[0]).max(int(&args[1]))),
        Builtin::Abs => Int(int(&args[0]).checked_abs().ok_or(F::Overflow)?),
        Builtin::Get => match &args[0] {
            Map(m) => m
                .get(&args[1])
                .cloned()
                .unwrap_or_else(|| arg(&mut args, 2)),
            List(l) => usize::try_from(int(&args[1]))
                .ok()
                .and_then(|i| l.get(i).cloned())
                .unwrap_or_else(|| arg(&mut args, 2)),
            _ => arg(&mut args, 2),
        },
        Builtin::Keys => match &args[0] {
            Map(m) => Value::list(m.keys().cloned().collect()),
            _ => Value::list(im::Vector::new()),
        },
        Builtin::Values => match &args[0] {
            Map(m) => Value::list(m.values().cloned().collect()),
            _ => Value::list(im::Vector::new()),
        },
        Builtin::Push => match arg(&mut args, 0) {
            List(mut l) => {
                Arc::make_mut(&mut l).push_back(arg(&mut args, 1));
                List(l)
            }
            other => other,
        },
        Builtin::Insert => match arg(&mut args, 0) {
            Set(mut s) => {
                Arc::make_mut(&mut s).insert(arg(&mut args, 1));
                Set(s)
            }
            Map(mut m) if args.len() == 3 => {
                let (k, v) = (arg(&mut args, 1), arg(&mut args, 2));
                Arc::make_mut(&mut m).insert(k, v);
                Map(m)
            }
            other => other,
        },
        Builtin::Remove => match arg(&mut args, 0) {
            Set(mut s) => {
                Arc::make_mut(&mut s).remove(&args[1]);
                Set(s)
            }
            Map(mut m) => {
                Arc::make_mut(&mut m).remove(&args[1]);
                Map(m)
            }
            other => other,
        },
        Builtin::Sum => {
            let mut total: i64 = 0;
            let items: Vec<i64> = match &args[0] {
                List(l) => l.iter().map(int).collect(),
                Set(s) => s.iter().map(int).collect(),
                _ => Vec::new(),
            };
            for i in items {
                total = total.checked_add(i).ok_or(F::Overflow)?;
            }
            Int(total)
        }
        Builtin::ToStr => Str(Arc::new(args[0].to_string())),
    })
}
