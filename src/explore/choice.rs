//! The world's choices on one path, and the effect binding that makes them.
//!
//! A path is a list of choices: an input arrives (or is lost) at a cycle
//! boundary, or an effect call returns a value (or fails). The explorer
//! runs a cycle with a [`Script`] of outcomes for its calls, in order; a call
//! past the script is a branch point: the binding names the call and its
//! possible outcomes and refuses it, and the explorer throws that cycle
//! away and runs it again once per outcome.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::ir;
use crate::runtime::effects::{EffectError, Effects};
use crate::runtime::sim::Simulator;
use crate::types::Type;
use crate::value::Value;

/// What an effect call did on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    Returned(Value),
    Failed,
}

/// One choice of the world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// External input `input` (its position in the inputs file) arrived
    /// after `cycle` cycles.
    Arrive { input: u32, cycle: u64 },
    /// External input `input` was lost.
    Lose { input: u32 },
    /// Effect call `call` (the run's call id) of `effect`. `alternatives`
    /// says whether the world had another outcome to choose here (a story
    /// leaves out the calls that had none).
    Call {
        effect: String,
        call: u64,
        outcome: CallOutcome,
        alternatives: bool,
    },
}

/// The outcomes a call of an effect can have on a path.
#[derive(Clone, Debug)]
pub struct Outcomes {
    /// The values tried, in order: both Bools, the `--effect-values` of the
    /// effect, or else the simulator's one value for this call.
    pub values: Vec<Value>,
    /// Whether failure is tried too (the fault budget is not spent).
    pub can_fail: bool,
}

/// A branch point met by a cycle: the call past the script.
#[derive(Clone, Debug)]
pub struct Wanted {
    pub effect: String,
    pub call: u64,
    pub values: Vec<Value>,
}

/// The outcomes for one cycle's calls, shared between the explorer and the
/// binding it gave the runtime. Each is a [`Choice::Call`].
#[derive(Default)]
pub struct Script {
    pub outcomes: Vec<Choice>,
    pub used: usize,
    pub wanted: Option<Wanted>,
}

impl Script {
    pub fn reset(&mut self, outcomes: &[Choice]) {
        self.outcomes.clear();
        self.outcomes.extend_from_slice(outcomes);
        self.used = 0;
        self.wanted = None;
    }
}

/// The values a call of `effect` may return: both Bools, the given ones,
/// or the simulator's value for this call (seeded, as `--effects sim`).
pub fn values_for(
    effect: &ir::Effect,
    given: &BTreeMap<String, Vec<Value>>,
    sim: &mut Simulator,
    call: u64,
    args: &[Value],
) -> Vec<Value> {
    if let Some(v) = given.get(&effect.name) {
        return v.clone();
    }
    if effect.ret == Type::Bool {
        return vec![Value::Bool(true), Value::Bool(false)];
    }
    match sim.call(call, effect, args) {
        Ok(v) => vec![v],
        Err(_) => Vec::new(),
    }
}

/// The binding the explorer runs cycles with.
pub struct Chooser {
    pub script: Rc<RefCell<Script>>,
    pub given: Rc<BTreeMap<String, Vec<Value>>>,
    pub sim: Simulator,
}

/// The refusal of a call past the script: the cycle is thrown away.
pub const BRANCH: &str = "explore: this call is a branch point";

impl Effects for Chooser {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        let mut s = self.script.borrow_mut();
        if let Some(Choice::Call { outcome, .. }) = s.outcomes.get(s.used).cloned() {
            s.used += 1;
            return match outcome {
                CallOutcome::Returned(v) => Ok(v),
                CallOutcome::Failed => Err(failure(effect, call_id)),
            };
        }
        let values = values_for(effect, &self.given, &mut self.sim, call_id, args);
        s.wanted = Some(Wanted {
            effect: effect.name.clone(),
            call: call_id,
            values,
        });
        Err(EffectError::Journal(BRANCH))
    }
}

/// The failure an explored call fails with (as the simulator's: its text
/// enters the run hash, and a counterexample's trace records it).
pub fn failure(effect: &ir::Effect, call: u64) -> EffectError {
    EffectError::Simulated {
        effect: effect.name.clone(),
        call,
    }
}

/// Plays a whole path's calls back, in order (a counterexample's trace is
/// recorded through it). Each outcome is used only for the call it was
/// chosen for (same call id, same effect), as a trace's recorded results
/// are: anything else is a divergence, named, never a value fed to the
/// wrong call.
pub struct Playback {
    /// `Choice::Call`s, in the order they were made.
    pub calls: std::collections::VecDeque<Choice>,
}

impl Effects for Playback {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        _: &[Value],
    ) -> Result<Value, EffectError> {
        match self.calls.pop_front() {
            Some(Choice::Call {
                effect: e,
                call,
                outcome,
                ..
            }) if call == call_id && e == effect.name => match outcome {
                CallOutcome::Returned(v) => Ok(v),
                CallOutcome::Failed => Err(failure(effect, call_id)),
            },
            _ => Err(EffectError::Unrecorded(format!(
                "call {call_id} of `{}` is not the next call of the explored path",
                effect.name
            ))),
        }
    }
}
