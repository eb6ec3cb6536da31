//! What an observer of a run (the trace recorder) is told after each cycle.
//! Unobserved runs pay nothing for it.

use super::failure::Failure;
use super::machine::{Outgoing, Write};
use super::queue::Event;
use super::{Runtime, Yield};
use crate::ir::{GoalId, VarId};

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

    /// The run may come back to the boundary after cycle `cycle` (where the
    /// oscillation detector switched to Brent's method; at most once per
    /// epoch): an observer that writes somewhere notes where it is.
    fn mark(&mut self, _cycle: u64) {}

    /// The run went back to the boundary after cycle `to` (the latest
    /// [`Observer::mark`]): forget every cycle and yield after it. The
    /// cycles that follow are told again, the same up to the cycle where the
    /// loop the detector found closed; from there the run goes on as a run
    /// that saw the loop at once.
    fn rewound(&mut self, to: u64);

    /// An observer that can wait for checkpoint hashes gives a channel here:
    /// the hash thread then sends each checkpoint's hash there when it gets to
    /// it, the scheduler never waits, and `cycle` sees `Some("")` ("on your
    /// channel") instead of the hash.
    fn checkpoint_channel(&self) -> Option<std::sync::mpsc::Sender<String>> {
        None
    }
}

/// Attaching observers and telling them about cycles.
impl<'p> Runtime<'p> {
    /// Attaches an observer (a trace recorder, say) before the first cycle.
    /// Observing costs time: goals are evaluated to report their changes.
    pub fn observe(&mut self, observer: Box<dyn Observer + 'p>) {
        self.run.goal_truth = (0..self.program.goals.len() as GoalId)
            .map(|g| self.goal_shown(g))
            .collect();
        self.observer = Some(observer);
    }

    /// Whether an observer is attached.
    pub fn is_observed(&self) -> bool {
        self.observer.is_some()
    }

    /// Detaches the observer.
    pub fn unobserve(&mut self) -> Option<Box<dyn Observer + 'p>> {
        self.observer.take()
    }

    /// Each goal's truth now, in declaration order.
    pub fn goal_truths(&mut self) -> Vec<bool> {
        (0..self.program.goals.len() as GoalId)
            .map(|g| self.goal_shown(g))
            .collect()
    }

    /// Goals whose truth this cycle's writes changed (all goals are checked
    /// when the program reads `tick`). Updates the cached truths.
    pub(super) fn goal_changes(&mut self, changed: &[VarId]) -> Vec<(GoalId, bool)> {
        let mut goals: Vec<GoalId> = if self.program.uses_tick {
            (0..self.program.goals.len() as GoalId).collect()
        } else {
            changed
                .iter()
                .flat_map(|v| self.readers[*v as usize].iter().copied())
                .collect()
        };
        goals.sort_unstable();
        goals.dedup();
        let mut changed = Vec::new();
        for g in goals {
            let now = self.goal_shown(g);
            if self.run.goal_truth[g as usize] != now {
                self.run.goal_truth[g as usize] = now;
                changed.push((g, now));
            }
        }
        changed
    }

    pub(super) fn notify(&mut self, record: CycleRecord<'_>) {
        let checkpoint = if record.cycle.is_multiple_of(HASH_EVERY) {
            match self.observer.as_ref().and_then(|o| o.checkpoint_channel()) {
                Some(tx) => {
                    self.hasher.hex_to(tx);
                    Some(String::new())
                }
                None => Some(self.hasher.hex()),
            }
        } else {
            None
        };
        if let Some(o) = self.observer.as_mut() {
            o.cycle(&record, checkpoint.as_deref());
        }
    }
}
