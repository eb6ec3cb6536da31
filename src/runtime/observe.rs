//! What an observer of a run (the trace recorder) is told after each cycle.
//! Unobserved runs pay nothing for it.

use super::eval::Write;
use super::failure::Failure;
use super::queue::{Args, Event};
use super::Yield;
use crate::ir::{GoalId, HandlerId};

/// How often (in cycles) an observer is handed the run hash so far.
pub const CHECKPOINT_EVERY: u64 = 1000;

/// A message a committed cycle sent, with the tick it is due at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub handler: HandlerId,
    pub args: Args,
    pub due: u64,
}

/// One cycle, as it happened.
pub struct CycleRecord<'a> {
    pub cycle: u64,
    /// τ when the cycle started.
    pub tick: i64,
    pub event: &'a Event,
    /// `None` when the cycle committed.
    pub failure: Option<&'a Failure>,
    /// For a failed cycle: whether the event was queued again (false: E007).
    pub retried: bool,
    pub writes: &'a [Write],
    pub sends: &'a [Sent],
    /// Goals whose truth the cycle changed, with their new truth.
    pub goals: &'a [(GoalId, bool)],
}

pub trait Observer {
    /// Called after every cycle; `checkpoint` is the run hash so far every
    /// [`CHECKPOINT_EVERY`] cycles.
    fn cycle(&mut self, record: &CycleRecord<'_>, checkpoint: Option<&str>);
    /// Called for each yield.
    fn yielded(&mut self, y: &Yield);
}
