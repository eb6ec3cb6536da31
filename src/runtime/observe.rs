//! What an observer of a run (the trace recorder) is told after each cycle.
//! Unobserved runs pay nothing for it.

use super::eval::{Outgoing, Write};
use super::failure::Failure;
use super::queue::Event;
use super::Yield;
use crate::ir::GoalId;

/// How often (in cycles) an observer is handed the run hash so far.
pub const HASH_EVERY: u64 = 1000;

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
    /// The messages sent; each is due at `send_tick + after`.
    pub sends: &'a [Outgoing],
    pub send_tick: u64,
    /// Goals whose truth the cycle changed, with their new truth.
    pub goals: &'a [(GoalId, bool)],
}

pub trait Observer {
    /// Called after every cycle; `checkpoint` is the run hash so far every
    /// [`HASH_EVERY`] cycles.
    fn cycle(&mut self, record: &CycleRecord<'_>, checkpoint: Option<&str>);
    /// Called for each yield.
    fn yielded(&mut self, y: &Yield);

    /// An observer that can wait for checkpoint hashes gives a channel here:
    /// the hash thread then sends each checkpoint's hash there when it gets to
    /// it, the scheduler never waits, and `cycle` sees `Some("")` ("on your
    /// channel") instead of the hash.
    fn checkpoint_channel(&self) -> Option<std::sync::mpsc::Sender<String>> {
        None
    }
}
