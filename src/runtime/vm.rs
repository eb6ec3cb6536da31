//! The register machine the hot code runs on. `Int` and `Bool` work happens
//! in 256 unboxed `i64` registers (a `u8` indexes them, so no bounds check),
//! comparisons are fused with their branch, and the common state updates
//! (`x += e`, `x = e`) are single instructions. What the machine has no
//! instruction for (strings, collections, effects, `for .. in`) runs as a
//! closure from [`super::closures`], called from one instruction, so every
//! program runs here whole. [`super::lower`] builds the code.

use super::failure::Failure;
use super::failure::FailureKind as F;
use super::machine::{as_int, fail, Effects, Interp, Outgoing, StmtFn, ValFn, REGS};
use super::queue::Args;
use crate::syntax::span::Span;
use crate::value::Value;

/// A register number.
pub type Reg = u8;

/// One instruction. `t` is an instruction index, `v` a state slot, `l` a
/// frame local, `j` an argument, `f` an index into the code's closures.
/// Where a failure needs a span, it is the instruction's entry in
/// [`Code::spans`]. `Int` and `Bool` locals live in registers; the frame
/// holds only the others (and copies for the closures, see `Spill`).
/// Instructions with `burn` spend a unit of fuel first (their statement's).
#[derive(Clone, Copy, Debug)]
pub enum Op {
    Const {
        d: Reg,
        k: i64,
    },
    Mov {
        d: Reg,
        a: Reg,
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
    /// Copies a register-held local into the frame, for a closure to read.
    Spill {
        l: u32,
        a: Reg,
    },
    SpillBool {
        l: u32,
        a: Reg,
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
    /// `d = a + v` for a state variable `v`.
    AddV {
        d: Reg,
        a: Reg,
        v: u32,
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
    /// By a constant other than 0 and -1: cannot fail.
    DivK {
        d: Reg,
        a: Reg,
        k: i64,
    },
    RemK {
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
    /// Compare and jump when the comparison holds: register against
    /// register (`Jlt`), constant (`JltK`) or state variable (`JltV`); state
    /// variable against a constant that fits 32 bits (`JltVK`, which keeps
    /// an instruction at 16 bytes).
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
    JltV {
        a: Reg,
        v: u32,
        t: u32,
    },
    JleV {
        a: Reg,
        v: u32,
        t: u32,
    },
    JgtV {
        a: Reg,
        v: u32,
        t: u32,
    },
    JgeV {
        a: Reg,
        v: u32,
        t: u32,
    },
    JeqV {
        a: Reg,
        v: u32,
        t: u32,
    },
    JneV {
        a: Reg,
        v: u32,
        t: u32,
    },
    JltVK {
        v: u32,
        k: i32,
        t: u32,
    },
    JleVK {
        v: u32,
        k: i32,
        t: u32,
    },
    JgtVK {
        v: u32,
        k: i32,
        t: u32,
    },
    JgeVK {
        v: u32,
        k: i32,
        t: u32,
    },
    JeqVK {
        v: u32,
        k: i32,
        t: u32,
    },
    JneVK {
        v: u32,
        k: i32,
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
        burn: bool,
    },
    AddVar {
        v: u32,
        a: Reg,
        burn: bool,
    },
    SubVar {
        v: u32,
        a: Reg,
        burn: bool,
    },
    AddVarK {
        v: u32,
        k: i64,
        burn: bool,
    },
    SetVarBool {
        v: u32,
        a: Reg,
        burn: bool,
    },
    /// A `for` range's first step: leave for `t` unless `i` is below `e`,
    /// else spend fuel, set the loop variable's register `l` to `i` and
    /// count `i` up. `ForBack` is the same step at the bottom of the loop:
    /// while `i` is below `e`, step and jump back to the body at `t`. With
    /// `skip`, the body starts with a `Burn`, which the step spends too
    /// when there is fuel for both (jumping past it); when there is not, it
    /// leaves the `Burn` to fail where it would have.
    ForNext {
        i: Reg,
        e: Reg,
        l: Reg,
        t: u32,
    },
    ForBack {
        i: Reg,
        e: Reg,
        l: Reg,
        t: u32,
        skip: bool,
    },
    /// Sends `n` (at most 4) arguments from registers `a` (bit `j` of
    /// `bools` set: argument `j` is a `Bool`).
    Send {
        h: u32,
        a: [Reg; 4],
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

const _: () = assert!(std::mem::size_of::<Op>() == 16);

/// How code ended. A failure is left in [`Interp::failure`], so that this
/// fits a register: returning a `Result` through memory cost the hot path
/// a stalled load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Done,
    Bool(bool),
    Invariant(u32),
    Failed,
}

#[cold]
fn failed(it: &mut Interp, e: Box<crate::runtime::failure::Failure>) -> Exit {
    it.failure = Some(e);
    Exit::Failed
}

/// Compiled code: instructions, the span of each, and the closures it calls.
#[derive(Default)]
pub struct Code {
    pub ops: Box<[Op]>,
    pub spans: Box<[Span]>,
    pub stmts: Box<[StmtFn]>,
    pub vals: Box<[ValFn]>,
    /// Whether the code uses the frame (a closure or a local kept there):
    /// when not, a body runs without setting one up.
    pub frame: bool,
    /// The registers the arguments are loaded into before the first
    /// instruction (argument `j` into `params[j]`; `true`: a `Bool`), for
    /// those held in registers.
    pub params: Box<[(u32, Reg, bool)]>,
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ops.iter()).finish()
    }
}

#[cold]
#[inline(never)]
fn fail_at(it: &mut Interp, code: &Code, pc: usize, kind: F) -> Exit {
    it.failure = fail::<()>(kind, code.spans[pc]).err();
    Exit::Failed
}

/// Runs `code` over the machine `it` with the arguments `args`, the frame
/// `f`, using `r` as registers.
pub fn exec(
    code: &Code,
    it: &mut Interp,
    args: &[Value],
    f: &mut Vec<Value>,
    x: &mut dyn Effects,
    r: &mut [i64; REGS],
) -> Exit {
    let ops = &*code.ops;
    let mut pc = 0usize;
    for &(j, d, boolean) in code.params.iter() {
        r[d as usize] = match args.get(j as usize) {
            Some(Value::Int(i)) => *i,
            Some(Value::Bool(b)) if boolean => *b as i64,
            _ => 0,
        };
    }
    macro_rules! arith {
        ($d:expr, $v:expr) => {
            match $v {
                Some(v) => r[$d as usize] = v,
                None => return fail_at(it, code, pc - 1, F::Overflow),
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
    macro_rules! burn {
        ($b:expr) => {
            if $b {
                if it.fuel == 0 {
                    return fail_at(it, code, pc - 1, F::FuelExhausted);
                }
                it.fuel -= 1;
            }
        };
    }
    macro_rules! var {
        ($v:expr) => {
            as_int(&it.state[$v as usize])
        };
    }
    loop {
        let op = &ops[pc];
        pc += 1;
        match *op {
            Op::Const { d, k } => r[d as usize] = k,
            Op::Mov { d, a } => r[d as usize] = r[a as usize],
            Op::Var { d, v } => r[d as usize] = var!(v),
            Op::VarBool { d, v } => {
                r[d as usize] = matches!(it.state[v as usize], Value::Bool(true)) as i64
            }
            Op::Local { d, l } => r[d as usize] = as_int(&f[l as usize]),
            Op::LocalBool { d, l } => {
                r[d as usize] = matches!(f[l as usize], Value::Bool(true)) as i64
            }
            Op::Spill { l, a } | Op::StoreLocal { l, a } => {
                let n = r[a as usize];
                match &mut f[l as usize] {
                    Value::Int(x) => *x = n,
                    slot => *slot = Value::Int(n),
                }
            }
            Op::SpillBool { l, a } | Op::StoreLocalBool { l, a } => {
                f[l as usize] = Value::Bool(r[a as usize] != 0)
            }
            Op::Tick { d } => r[d as usize] = it.tick,
            Op::Add { d, a, b } => arith!(d, r[a as usize].checked_add(r[b as usize])),
            Op::AddV { d, a, v } => arith!(d, r[a as usize].checked_add(var!(v))),
            Op::Sub { d, a, b } => arith!(d, r[a as usize].checked_sub(r[b as usize])),
            Op::Mul { d, a, b } => arith!(d, r[a as usize].checked_mul(r[b as usize])),
            Op::Div { d, a, b } | Op::Rem { d, a, b } => {
                let (l, m) = (r[a as usize], r[b as usize]);
                if m == 0 {
                    return fail_at(it, code, pc - 1, F::DivisionByZero);
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
            Op::DivK { d, a, k } => r[d as usize] = r[a as usize].wrapping_div(k),
            Op::RemK { d, a, k } => r[d as usize] = r[a as usize].wrapping_rem(k),
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
            Op::JltV { a, v, t } => jump!(r[a as usize] < var!(v), t),
            Op::JleV { a, v, t } => jump!(r[a as usize] <= var!(v), t),
            Op::JgtV { a, v, t } => jump!(r[a as usize] > var!(v), t),
            Op::JgeV { a, v, t } => jump!(r[a as usize] >= var!(v), t),
            Op::JeqV { a, v, t } => jump!(r[a as usize] == var!(v), t),
            Op::JneV { a, v, t } => jump!(r[a as usize] != var!(v), t),
            Op::JltVK { v, k, t } => jump!(var!(v) < k as i64, t),
            Op::JleVK { v, k, t } => jump!(var!(v) <= k as i64, t),
            Op::JgtVK { v, k, t } => jump!(var!(v) > k as i64, t),
            Op::JgeVK { v, k, t } => jump!(var!(v) >= k as i64, t),
            Op::JeqVK { v, k, t } => jump!(var!(v) == k as i64, t),
            Op::JneVK { v, k, t } => jump!(var!(v) != k as i64, t),
            Op::SetVar { v, a, burn } => {
                burn!(burn);
                it.write_int(v, r[a as usize])
            }
            Op::AddVar { v, a, burn } | Op::SubVar { v, a, burn } => {
                burn!(burn);
                let (cur, d) = (var!(v), r[a as usize]);
                let new = if matches!(op, Op::AddVar { .. }) {
                    cur.checked_add(d)
                } else {
                    cur.checked_sub(d)
                };
                match new {
                    Some(n) => it.write_int(v, n),
                    None => return fail_at(it, code, pc - 1, F::Overflow),
                }
            }
            Op::AddVarK { v, k, burn } => {
                burn!(burn);
                match var!(v).checked_add(k) {
                    Some(n) => it.write_int(v, n),
                    None => return fail_at(it, code, pc - 1, F::Overflow),
                }
            }
            Op::SetVarBool { v, a, burn } => {
                burn!(burn);
                it.write_var(v, Value::Bool(r[a as usize] != 0))
            }
            Op::ForNext { i, e, l, t } => {
                let n = r[i as usize];
                if n >= r[e as usize] {
                    pc = t as usize;
                    continue;
                }
                burn!(true);
                r[l as usize] = n;
                r[i as usize] = n + 1;
            }
            Op::ForBack { i, e, l, t, skip } => {
                let n = r[i as usize];
                if n >= r[e as usize] {
                    continue;
                }
                if skip && it.fuel >= 2 {
                    it.fuel -= 2;
                    pc = t as usize + 1;
                } else {
                    burn!(true);
                    pc = t as usize;
                }
                r[l as usize] = n;
                r[i as usize] = n + 1;
            }
            Op::Send { h, a, n, bools } => {
                let arg = |j: usize| {
                    let v = r[a[j] as usize];
                    if bools & (1 << j) != 0 {
                        Value::Bool(v != 0)
                    } else {
                        Value::Int(v)
                    }
                };
                let args = if n <= 2 {
                    // Built in place (what lies past `n` is an `Int`: nothing to drop).
                    Args::from_buf_and_len([arg(0), arg(1)], n as usize)
                } else {
                    (0..n as usize).map(arg).collect()
                };
                it.sends.push(Outgoing {
                    handler: h,
                    args,
                    after: 0,
                });
            }
            Op::Burn => burn!(true),
            Op::Stmt { f: s } => {
                if let Err(e) = code.stmts[s as usize](it, f, x) {
                    return failed(it, e);
                }
            }
            Op::ValInt { d, f: e } => match code.vals[e as usize](it, f, x) {
                Ok(v) => r[d as usize] = as_int(&v),
                Err(e) => return failed(it, e),
            },
            Op::ValBool { d, f: e } => match code.vals[e as usize](it, f, x) {
                Ok(v) => r[d as usize] = matches!(v, Value::Bool(true)) as i64,
                Err(e) => return failed(it, e),
            },
            Op::Ret => return Exit::Done,
            Op::RetBool { b } => return Exit::Bool(b),
            Op::FailInvariant { i } => return Exit::Invariant(i),
        }
    }
}

/// A compiled handler or repair body.
pub struct Body {
    pub code: Code,
    pub frame_size: u32,
}

/// Running code on the machine.
impl Interp {
    /// Runs a compiled body with its arguments as the first locals. It ends
    /// in `Exit::Invariant` when an invariant it checks is false.
    pub fn run_body(&mut self, body: &Body, args: &[Value], fx: &mut dyn Effects) -> Exit {
        let mut frame = std::mem::take(&mut self.frame);
        if body.code.frame {
            frame.clear();
            frame.extend_from_slice(args);
            frame.resize(
                body.frame_size.max(args.len() as u32) as usize,
                Value::Bool(false),
            );
        }
        let r = self.exec(&body.code, args, &mut frame, fx);
        // What is replaced is the empty vector `take` left: nothing to drop.
        std::mem::forget(std::mem::replace(&mut self.frame, frame));
        r
    }

    /// Runs code on the register machine; after `Exit::Failed`, the
    /// failure is in [`Interp::take_failure`].
    #[inline]
    pub fn exec(
        &mut self,
        code: &Code,
        args: &[Value],
        frame: &mut Vec<Value>,
        fx: &mut dyn Effects,
    ) -> Exit {
        // Code never runs inside code today; if it did, it would get fresh registers.
        let mut regs = self.regs.take().unwrap_or_else(|| Box::new([0; REGS]));
        let r = exec(code, self, args, frame, fx, &mut regs);
        self.regs = Some(regs);
        r
    }

    /// Evaluates a compiled condition.
    pub fn condition(&mut self, c: &Code, fx: &mut dyn Effects) -> Result<bool, Failure> {
        let mut frame = Vec::new();
        match self.exec(c, &[], &mut frame, fx) {
            Exit::Failed => Err(self.take_failure()),
            e => Ok(matches!(e, Exit::Bool(true))),
        }
    }

    /// Evaluates a compiled expression (initial values, the REPL).
    pub fn value(&mut self, e: &ValFn, fx: &mut dyn Effects) -> Result<Value, Failure> {
        let mut frame = Vec::new();
        e(self, &mut frame, fx).map_err(|e| *e)
    }
}
