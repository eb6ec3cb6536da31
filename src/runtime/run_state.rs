//! The scheduler's resumable state: everything a run carries from one cycle
//! to the next besides the machine's Σ, τ and effect counter (which
//! [`super::machine::Interp`] holds next to the transaction). A checkpoint is a
//! clone of it, and its JSON form is derived: a new piece of state is one
//! field here.

use serde::{Deserialize, Serialize};

use super::queue::{EventKind, Queue};
use super::{Outcome, Yield};
use crate::ir::Program;
use crate::value::Value;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RunState {
    /// Cycles run so far.
    pub cycle: u64,
    /// Q: the pending events.
    pub queue: Queue,
    /// The sequence number the next event gets.
    pub seq: u64,
    /// Per goal: events rooted at it that are still pending.
    pub in_progress: Vec<u32>,
    /// Per goal: whether it yielded to a goal of higher priority.
    pub yielded: Vec<bool>,
    pub yields: Vec<Yield>,
    /// Per goal: how many of its repairs ran (statistics).
    pub repair_runs: Vec<u64>,
    /// The last state in which no transaction was retrying (E007 ends
    /// there). Stored only when it differs from the state.
    #[serde(skip)]
    pub quiescent: Vec<Value>,
    /// Failed transactions retried so far (statistics).
    pub retries: u64,
    /// Per priority, the longest an event waited between enqueue and its
    /// cycle (statistics).
    pub max_wait: [u64; 5],
    /// How the run ended. Not stored: a stored run goes on, or has
    /// converged or got stuck, which stepping again recomputes.
    #[serde(skip)]
    pub outcome: Option<Outcome>,
    /// Set once external input arrives: from then on a repeat of the
    /// configuration proves nothing unless τ repeats too (it cannot).
    #[serde(default)]
    pub external_input: bool,
    /// Each goal's truth after the last cycle (kept only while observed, and
    /// computed again when an observer attaches).
    #[serde(skip)]
    pub goal_truth: Vec<bool>,
    /// How many external inputs have been delivered (a resumed run goes on
    /// from the next).
    pub inputs_delivered: u64,
    /// How often a live run's time was advanced by a journaled decision.
    #[serde(default)]
    pub time_advances: u64,
}

impl RunState {
    /// Before the first cycle of a program with `goals` goals.
    pub fn new(goals: usize) -> Self {
        RunState {
            cycle: 0,
            queue: Queue::default(),
            seq: 0,
            in_progress: vec![0; goals],
            yielded: vec![false; goals],
            yields: Vec::new(),
            repair_runs: vec![0; goals],
            quiescent: Vec::new(),
            retries: 0,
            max_wait: [0; 5],
            outcome: None,
            external_input: false,
            goal_truth: Vec::new(),
            inputs_delivered: 0,
            time_advances: 0,
        }
    }

    /// Checks a stored state against the program that will run it: every
    /// goal and handler it names exists and every per-goal list has one
    /// entry per goal. `Err` names what is wrong.
    pub fn fits(&self, program: &Program) -> Result<(), &'static str> {
        let goals = program.goals.len();
        if self.in_progress.len() != goals
            || self.yielded.len() != goals
            || self.repair_runs.len() != goals
        {
            return Err("a per-goal list has the wrong length");
        }
        let goal_ok = |g: u32| (g as usize) < goals;
        if !self.yields.iter().all(|y| goal_ok(y.goal) && goal_ok(y.to)) {
            return Err("a yield names an unknown goal");
        }
        for (p, e) in self.queue.iter() {
            let domain = match &e.kind {
                EventKind::Message { handler, .. } => {
                    program.handlers.get(*handler as usize).map(|h| h.domain)
                }
                EventKind::Repair { goal } => program.goals.get(*goal as usize).map(|g| g.domain),
            };
            let Some(domain) = domain else {
                return Err("an event names an unknown handler or goal");
            };
            if !e.root.is_none_or(goal_ok) {
                return Err("an event has an unknown root goal");
            }
            if program.domains[domain as usize].priority != p {
                return Err("an event is queued at another priority than its domain's");
            }
        }
        Ok(())
    }
}
