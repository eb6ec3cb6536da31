//! Why a transaction failed. A failure rolls the cycle back; the event is
//! retried, and when its retries run out the run ends in E007.

use std::fmt;

use crate::syntax::span::Span;

/// Statements and loop iterations one cycle may run before it fails
/// ([`FailureKind::FuelExhausted`]).
pub const FUEL_PER_CYCLE: u64 = 10_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// `fail "reason"`.
    Fail(String),
    /// `assert c, "reason"` with `c` false.
    Assert(String),
    Overflow,
    DivisionByZero,
    MissingKey(String),
    IndexOutOfRange(i64, usize),
    /// The per-cycle fuel limit ran out (a huge range, say).
    FuelExhausted,
    /// An invariant was false after the handler's writes.
    Invariant(String),
    /// An effect binding reported an error.
    Effect(String),
}

/// A transaction failure with the span of the statement or expression that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub span: Span,
}

impl FailureKind {
    /// A stable short name, used in reports, traces and the run hash.
    pub fn name(&self) -> &'static str {
        match self {
            FailureKind::Fail(_) => "fail",
            FailureKind::Assert(_) => "assert",
            FailureKind::Overflow => "overflow",
            FailureKind::DivisionByZero => "division_by_zero",
            FailureKind::MissingKey(_) => "missing_key",
            FailureKind::IndexOutOfRange(..) => "index_out_of_range",
            FailureKind::FuelExhausted => "fuel_exhausted",
            FailureKind::Invariant(_) => "invariant",
            FailureKind::Effect(_) => "effect_error",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FailureKind::Fail(m) => write!(f, "fail: {m}"),
            FailureKind::Assert(m) => write!(f, "assertion failed: {m}"),
            FailureKind::Overflow => write!(f, "integer overflow"),
            FailureKind::DivisionByZero => write!(f, "division by zero"),
            FailureKind::MissingKey(k) => write!(f, "missing key {k}"),
            FailureKind::IndexOutOfRange(i, n) => {
                write!(f, "index {i} out of range for a list of {n}")
            }
            FailureKind::FuelExhausted => write!(
                f,
                "fuel exhausted (a cycle may run at most {} steps)",
                FUEL_PER_CYCLE
            ),
            FailureKind::Invariant(name) => write!(f, "invariant `{name}` broken"),
            FailureKind::Effect(m) => write!(f, "effect error: {m}"),
        }
    }
}
