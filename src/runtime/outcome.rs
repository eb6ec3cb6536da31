//! How a run ends, and the yields that resolved priority conflicts on the
//! way (LEXUM.md §4).

use super::failure::Failure;
use super::machine::Write;
use crate::codes::Code;
use crate::ir::GoalId;

/// A yield: `goal` gave way to `to` when the loop was found before cycle `cycle`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Yield {
    pub goal: GoalId,
    pub to: GoalId,
    pub cycle: u64,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Converged,
    /// E005: the configuration of cycle `start` repeats at cycle `at`.
    Oscillation {
        at: u64,
        start: u64,
        period: u64,
        goals: Vec<GoalId>,
    },
    /// E006: nothing pending while these goals are false.
    Stuck {
        goals: Vec<GoalId>,
    },
    /// E006: the cycle budget ran out.
    Budget {
        goals: Vec<GoalId>,
    },
    /// E006: the queue held more than `limit` events after cycle `cycle`.
    QueueLimit {
        limit: u64,
        cycle: u64,
    },
    /// E007: the event's retries ran out; the run ended in the last quiescent state.
    RetriesExhausted {
        cycle: u64,
        event: String,
        failure: Failure,
        diff: Vec<Write>,
    },
    /// E008: the initial state breaks an invariant (or an initial value fails).
    InitialState {
        invariant: String,
        failure: Option<Failure>,
    },
    /// E009: a goal's predicate failed (overflow, division by zero, a
    /// missing key) after cycle `cycle`; the run halted there.
    GoalFailed {
        goal: GoalId,
        cycle: u64,
        failure: Failure,
    },
}

impl Outcome {
    pub fn code(&self) -> Option<Code> {
        match self {
            Outcome::Converged => None,
            Outcome::Oscillation { .. } => Some(Code::E005),
            Outcome::Stuck { .. } | Outcome::Budget { .. } | Outcome::QueueLimit { .. } => {
                Some(Code::E006)
            }
            Outcome::RetriesExhausted { .. } => Some(Code::E007),
            Outcome::InitialState { .. } => Some(Code::E008),
            Outcome::GoalFailed { .. } => Some(Code::E009),
        }
    }
}
