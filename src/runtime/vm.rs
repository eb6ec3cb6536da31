//! The register machine the hot code runs on. `Int` and `Bool` work happens
//! in 256 unboxed `i64` registers (a `u8` indexes them, so no bounds check),
//! comparisons are fused with their branch, and the common state updates
//! (`x += e`, `x = e`) are single instructions. What the machine has no
//! instruction for (strings, collections, effects, `for .. in`) runs as a
//! closure from [`super::compile`], called from one instruction, so every
//! program runs here whole. [`super::lower`] builds the code.

use super::compile::{as_int, fail, StmtFn, ValFn, R};
use super::eval::{Effects, Interp, Outgoing};
use super::failure::FailureKind as F;
use super::queue::Args;
use crate::syntax::span::Span;
use crate::value::Value;

/// A register number.
pub type Reg = u8;

/// The number of registers; [`Reg`] cannot name more.
pub const REGS: usize = 256;

/// One instruction. `t` and `exit` are instruction indices; `v` a state
/// slot, `l` a frame local, `f` an index into the code's closures. Where a
/// failure needs a span, it is the instruction's entry in [`Code::spans`].
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Const {
        d: Reg,
        k: i64,
    },
    Var {
        d: Reg,
        v: u32,
    },
    VarBool {
        d: Reg,
        v: u32,
    },
    Local {
        d: Reg,
        l: u32,
    },
    LocalBool {
        d: Reg,
        l: u32,
    },
    Tick {
        d: Reg,
    },
    /// Checked arithmetic (overflow fails; so does a zero divisor).
    Add {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Sub {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Mul {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Div {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Rem {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    AddK {
        d: Reg,
        a: Reg,
        k: i64,
    },
    SubK {
        d: Reg,
        a: Reg,
        k: i64,
    },
    MulK {
        d: Reg,
        a: Reg,
        k: i64,
    },
    Neg {
        d: Reg,
        a: Reg,
    },
    Not {
        d: Reg,
        a: Reg,
    },
    Min {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Max {
        d: Reg,
        a: Reg,
        b: Reg,
    },
    Jump {
        t: u32,
    },
    JumpIf {
        c: Reg,
        t: u32,
    },
    JumpIfNot {
        c: Reg,
        t: u32,
    },
    /// Compare and jump when the comparison holds.
    Jlt {
        a: Reg,
        b: Reg,
        t: u32,
    },
    Jle {
        a: Reg,
        b: Reg,
        t: u32,
    },
    Jgt {
        a: Reg,
        b: Reg,
        t: u32,
    },
    Jge {
        a: Reg,
        b: Reg,
        t: u32,
    },
    Jeq {
        a: Reg,
        b: Reg,
        t: u32,
    },
    Jne {
        a: Reg,
        b: Reg,
        t: u32,
    },
    JltK {
        a: Reg,
        k: i64,
        t: u32,
    },
    JleK {
        a: Reg,
        k: i64,
        t: u32,
    },
    JgtK {
        a: Reg,
        k: i64,
        t: u32,
    },
    JgeK {
        a: Reg,
        k: i64,
        t: u32,
    },
    JeqK {
        a: Reg,
        k: i64,
        t: u32,
    },
    JneK {
        a: Reg,
        k: i64,
        t: u32,
    },
    StoreLocal {
        l: u32,
        a: Reg,
    },
    StoreLocalBool {
        l: u32,
        a: Reg,
    },
    /// `v = a`, `v += a`, `v -= a`, `v += k` on an `Int` state variable.
    SetVar {
        v: u32,
        a: Reg,
    },
    AddVar {
        v: u32,
        a: Reg,
    },
    SubVar {
        v: u32,
        a: Reg,
    },
    AddVarK {
        v: u32,
        k: i64,
    },
    SetVarBool {
        v: u32,
        a: Reg,
    },
    /// A `for` range's step: leave for `exit` once `i` reaches `e`, else
    /// spend fuel, set the loop variable `l` to `i` and count `i` up.
    ForNext {
        i: Reg,
        e: Reg,
        l: u32,
        exit: u32,
    },
    /// Sends `n` arguments from registers `a..a+n` (bit `j` of `bools` set:
    /// argument `j` is a `Bool`).
    Send {
        h: u32,
        a: Reg,
        n: u8,
        bools: u8,
    },
    /// One unit of fuel (a statement).
    Burn,
    /// A statement the machine has no instruction for.
    Stmt {
        f: u32,
    },
    /// An expression the machine has no instruction for, as an `Int` or a `Bool`.
    ValInt {
        d: Reg,
        f: u32,
    },
    ValBool {
        d: Reg,
        f: u32,
    },
    Ret,
    RetBool {
        b: bool,
    },
    /// An invariant checked by this code is false.
    FailInvariant {
        i: u32,
    },
}

/// How code ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Done,
    Bool(bool),
    Invariant(u32),
}

/// Compiled code: instructions, the span of each, and the closures it calls.
#[derive(Default)]
pub struct Code {
    pub ops: Box<[Op]>,
    pub spans: Box<[Span]>,
    pub stmts: Box<[StmtFn]>,
    pub vals: Box<[ValFn]>,
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ops.iter()).finish()
    }
}

#[cold]
#[inline(never)]
fn fail_at(code: &Code, pc: usize, kind: F) -> R<Exit> {
    fail(kind, code.spans[pc])
}

/// Runs `code` over the machine `it` with the frame `f`, using `r` as registers.
pub fn exec(
    code: &Code,
    it: &mut Interp,
    f: &mut Vec<Value>,
    x: &mut dyn Effects,
    r: &mut [i64; REGS],
) -> R<Exit> {
    let ops = &*code.ops;
    let mut pc = 0usize;
    macro_rules! arith {
        ($d:expr, $v:expr) => {
            match $v {
                Some(v) => r[$d as usize] = v,
                None => return fail_at(code, pc - 1, F::Overflow),
            }
        };
    }
    macro_rules! jump {
        ($c:expr, $t:expr) => {
            if $c {
                pc = $t as usize;
            }
        };
    }
    loop {
        let op = &ops[pc];
        pc += 1;
        match *op {
            Op::Const { d, k } => r[d as usize] = k,
            Op::Var { d, v } => r[d as usize] = as_int(&it.state[v as usize]),
            Op::VarBool { d, v } => {
                r[d as usize] = matches!(it.state[v as usize], Value::Bool(true)) as i64
            }
            Op::Local { d, l } => r[d as usize] = as_int(&f[l as usize]),
            Op::LocalBool { d, l } => {
                r[d as usize] = matches!(f[l as usize], Value::Bool(true)) as i64
            }
            Op::Tick { d } => r[d as usize] = it.tick,
            Op::Add { d, a, b } => arith!(d, r[a as usize].checked_add(r[b as usize])),
            Op::Sub { d, a, b } => arith!(d, r[a as usize].checked_sub(r[b as usize])),
            Op::Mul { d, a, b } => arith!(d, r[a as usize].checked_mul(r[b as usize])),
            Op::Div { d, a, b } | Op::Rem { d, a, b } => {
                let (l, m) = (r[a as usize], r[b as usize]);
                if m == 0 {
                    return fail_at(code, pc - 1, F::DivisionByZero);
                }
                let v = if matches!(op, Op::Div { .. }) {
                    l.checked_div(m)
                } else {
                    l.checked_rem(m)
                };
                arith!(d, v)
            }
            Op::AddK { d, a, k } => arith!(d, r[a as usize].checked_add(k)),
            Op::SubK { d, a, k } => arith!(d, r[a as usize].checked_sub(k)),
            Op::MulK { d, a, k } => arith!(d, r[a as usize].checked_mul(k)),
            Op::Neg { d, a } => arith!(d, r[a as usize].checked_neg()),
            Op::Not { d, a } => r[d as usize] = (r[a as usize] == 0) as i64,
            Op::Min { d, a, b } => r[d as usize] = r[a as usize].min(r[b as usize]),
            Op::Max { d, a, b } => r[d as usize] = r[a as usize].max(r[b as usize]),
            Op::Jump { t } => pc = t as usize,
            Op::JumpIf { c, t } => jump!(r[c as usize] != 0, t),
            Op::JumpIfNot { c, t } => jump!(r[c as usize] == 0, t),
            Op::Jlt { a, b, t } => jump!(r[a as usize] < r[b as usize], t),
            Op::Jle { a, b, t } => jump!(r[a as usize] <= r[b as usize], t),
            Op::Jgt { a, b, t } => jump!(r[a as usize] > r[b as usize], t),
            Op::Jge { a, b, t } => jump!(r[a as usize] >= r[b as usize], t),
            Op::Jeq { a, b, t } => jump!(r[a as usize] == r[b as usize], t),
            Op::Jne { a, b, t } => jump!(r[a as usize] != r[b as usize], t),
            Op::JltK { a, k, t } => jump!(r[a as usize] < k, t),
            Op::JleK { a, k, t } => jump!(r[a as usize] <= k, t),
            Op::JgtK { a, k, t } => jump!(r[a as usize] > k, t),
            Op::JgeK { a, k, t } => jump!(r[a as usize] >= k, t),
            Op::JeqK { a, k, t } => jump!(r[a as usize] == k, t),
            Op::JneK { a, k, t } => jump!(r[a as usize] != k, t),
            Op::StoreLocal { l, a } => {
                let n = r[a as usize];
                match &mut f[l as usize] {
                    Value::Int(x) => *x = n,
                    slot => *slot = Value::Int(n),
                }
            }
            Op::StoreLocalBool { l, a } => f[l as usize] = Value::Bool(r[a as usize] != 0),
            Op::SetVar { v, a } => it.write_int(v, r[a as usize]),
            Op::AddVar { v, a } | Op::SubVar { v, a } => {
                let (cur, d) = (as_int(&it.state[v as usize]), r[a as usize]);
                let new = if matches!(op, Op::AddVar { .. }) {
                    cur.checked_add(d)
                } else {
                    cur.checked_sub(d)
                };
                match new {
                    Some(n) => it.write_int(v, n),
                    None => return fail_at(code, pc - 1, F::Overflow),
                }
            }
            Op::AddVarK { v, k } => match as_int(&it.state[v as usize]).checked_add(k) {
                Some(n) => it.write_int(v, n),
                None => return fail_at(code, pc - 1, F::Overflow),
            },
            Op::SetVarBool { v, a } => it.write_var(v, Value::Bool(r[a as usize] != 0)),
            Op::ForNext { i, e, l, exit } => {
                let n = r[i as usize];
                if n >= r[e as usize] {
                    pc = exit as usize;
                    continue;
                }
                if it.fuel == 0 {
                    return fail_at(code, pc - 1, F::FuelExhausted);
                }
                it.fuel -= 1;
                match &mut f[l as usize] {
                    Value::Int(x) => *x = n,
                    slot => *slot = Value::Int(n),
                }
                r[i as usize] = n + 1;
            }
            Op::Send { h, a, n, bools } => {
                let mut args = Args::new();
                for j in 0..n {
                    let v = r[a.wrapping_add(j) as usize];
                    args.push(if bools & (1 << j) != 0 {
                        Value::Bool(v != 0)
                    } else {
                        Value::Int(v)
                    });
                }
                it.sends.push(Outgoing {
                    handler: h,
                    args,
                    after: 0,
                });
            }
            Op::Burn => {
                if it.fuel == 0 {
                    return fail_at(code, pc - 1, F::FuelExhausted);
                }
                it.fuel -= 1;
            }
            Op::Stmt { f: s } => code.stmts[s as usize](it, f, x)?,
            Op::ValInt { d, f: e } => r[d as usize] = as_int(&code.vals[e as usize](it, f, x)?),
            Op::ValBool { d, f: e } => {
                r[d as usize] = matches!(code.vals[e as usize](it, f, x)?, Value::Bool(true)) as i64
            }
            Op::Ret => return Ok(Exit::Done),
            Op::RetBool { b } => return Ok(Exit::Bool(b)),
            Op::FailInvariant { i } => return Ok(Exit::Invariant(i)),
        }
    }
}
