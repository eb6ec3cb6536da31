//! The one loop that runs a runtime, for every front end (`lexum run`,
//! traces and replay, the journal, the REPL): deliver each external input
//! once its `after` cycles have run (at once if the run has gone idle, as
//! nothing would ever advance the count), step, and let the caller look
//! after each cycle. The rule for inputs lives here and nowhere else.

use super::queue::Args;
use super::Runtime;
use crate::ir::HandlerId;

/// Cycles between kept states, wherever a front end keeps them to revisit
/// cycles (the REPL's checkpoints, the debugger's states rebuilt from a
/// trace): going back costs at most this many cycles of re-execution.
pub const CHECKPOINT_EVERY: u64 = 256;

/// An external input: delivered once `after` cycles have run; the handler
/// and its arguments.
pub type Input = (u64, HandlerId, Args);

/// Why an external message (from an input file, an HTTP request or a
/// journal) does not fit the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadMessage {
    NoHandler(String),
    Arity {
        to: String,
        takes: usize,
        found: usize,
    },
    /// The argument at this position (from 1) encodes no value.
    NotAValue(usize),
    WrongType {
        param: String,
        ty: String,
        found: String,
    },
}

impl std::fmt::Display for BadMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            BadMessage::NoHandler(to) => write!(f, "no handler `{to}`"),
            BadMessage::Arity { to, takes, found } => {
                write!(f, "`{to}` takes {takes} arguments, found {found}")
            }
            BadMessage::NotAValue(i) => write!(f, "argument {i} is not a value"),
            BadMessage::WrongType { param, ty, found } => {
                write!(f, "argument `{param}` must be {ty}, found {found}")
            }
        }
    }
}

/// Resolves an external message: the handler `to` (`Domain.handler`) and
/// its arguments in the value encoding, each checked against the handler's
/// parameter types.
pub fn external_message(
    program: &crate::ir::Program,
    to: &str,
    args: &[serde_json::Value],
) -> Result<(HandlerId, Args), BadMessage> {
    let h = program
        .handlers
        .iter()
        .position(|h| h.qualified == to)
        .ok_or_else(|| BadMessage::NoHandler(to.to_string()))?;
    let params = &program.handlers[h].params;
    if params.len() != args.len() {
        return Err(BadMessage::Arity {
            to: to.to_string(),
            takes: params.len(),
            found: args.len(),
        });
    }
    let mut out = Args::new();
    for (i, ((name, ty), a)) in params.iter().zip(args).enumerate() {
        let v = crate::value::json::from_json(a).ok_or(BadMessage::NotAValue(i + 1))?;
        if !v.fits(ty) {
            return Err(BadMessage::WrongType {
                param: name.clone(),
                ty: ty.to_string(),
                found: v.to_string(),
            });
        }
        out.push(v);
    }
    Ok((h as HandlerId, out))
}

/// What the caller wants after a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

impl Runtime<'_> {
    /// Whether an input meant for after cycle `after` is delivered now: once
    /// that many cycles have run, or at once if the system has gone idle
    /// (converged or stuck: nothing would ever advance the count).
    pub fn input_due(&self, after: u64) -> bool {
        after <= self.run.cycle
            || matches!(
                self.run.outcome,
                Some(super::Outcome::Converged) | Some(super::Outcome::Stuck { .. })
            )
    }

    /// Sends the inputs of `inputs` (the run's whole list, in order of
    /// `after`) that are due and not yet delivered; the runtime counts what
    /// it has delivered, so a restored checkpoint goes on from the right one.
    #[inline]
    pub fn deliver_inputs(&mut self, inputs: &[Input]) {
        while let Some((after, h, args)) = inputs.get(self.run.inputs_delivered as usize) {
            if !self.input_due(*after) {
                break;
            }
            self.send_external(*h, args.clone());
        }
    }

    /// Whether the run can go on: it has not ended, or an input is due that
    /// would wake it.
    pub fn can_go_on(&self, inputs: &[Input]) -> bool {
        self.run.outcome.is_none()
            || inputs
                .get(self.run.inputs_delivered as usize)
                .is_some_and(|i| self.input_due(i.0))
    }

    /// Runs until the run ends (with no input left to wake it), `until`
    /// cycles have run, `after_cycle` says stop, or (a live run) it waits for
    /// time to advance. Returns the cycle it stopped at.
    pub fn drive(
        &mut self,
        inputs: &[Input],
        until: u64,
        mut after_cycle: impl FnMut(&mut Runtime<'_>) -> Flow,
    ) -> u64 {
        loop {
            self.deliver_inputs(inputs);
            if self.run.outcome.is_some() || self.run.cycle >= until {
                break;
            }
            let before = self.run.cycle;
            self.step();
            if self.run.cycle == before && self.run.outcome.is_none() {
                break; // waiting for time (Options::hold_time)
            }
            if after_cycle(self) == Flow::Stop {
                break;
            }
        }
        self.run.cycle
    }

    /// Runs to the end, delivering `inputs` on time.
    pub fn run_with_inputs(&mut self, inputs: &[Input]) -> &super::Outcome {
        self.drive(inputs, u64::MAX, |_| Flow::Continue);
        self.run
            .outcome
            .as_ref()
            .unwrap_or(&super::Outcome::Converged)
    }
}
