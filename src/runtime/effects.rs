//! Effect bindings: how a run reaches the world (the simulator, commands,
//! a journal's playback, Rust code), and why a call can fail.
//!
//! An effect error is the world's answer, not a fault of the program or of
//! Lexum: the transaction that made the call fails with `effect_error` and
//! is retried (LEXUM.md §3), and E007 reports it when the retries run out.
//! Its text enters the trace and the run hash, so every variant's wording
//! below is part of the format.

use std::fmt;

use crate::ir;
use crate::value::Value;

/// The binding of effects at run time (simulator, subprocess, journal
/// playback, the Rust API).
pub trait Effects {
    /// Calls effect `effect` with its arguments. `call_id` is deterministic:
    /// the same call in the same run always has the same id.
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError>;
}

/// Why an effect call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EffectError {
    /// The binding's own failure, with its message: what a Rust binding
    /// returns, and a recorded failure played back from a trace or journal.
    Failed(String),
    /// No binding is given for the effect.
    Unbound { effect: String },
    /// The simulator's drawn failure (`--fail-rate`).
    Simulated { effect: String, call: u64 },
    /// A command binding could not be started.
    Start { command: String, error: String },
    /// A command binding could not be waited for.
    Command { command: String, error: String },
    /// A command did not finish within the effect timeout.
    Timeout { effect: String, ms: u128 },
    /// A command printed more than the output limit.
    TooMuchOutput { effect: String, limit: u64 },
    /// A command's output could not be collected.
    Lost { effect: String },
    /// A command exited with a status other than 0; `why` is the first line
    /// of its standard error.
    Exit {
        effect: String,
        status: i32,
        why: String,
    },
    /// A command was killed by a signal.
    Signal { effect: String },
    /// A command printed no JSON.
    NoJson { effect: String },
    /// A command printed JSON that encodes no value.
    NotAValue { effect: String },
    /// A result is not of the effect's declared type.
    WrongType { effect: String, value: Value },
    /// An HTTP binding could not be reached, or timed out.
    Http { effect: String, error: String },
    /// An HTTP binding answered with a status other than 2xx.
    HttpStatus { effect: String, status: u16 },
    /// A recorded result is unusable for this call (a replay diverges).
    Unrecorded(String),
    /// The journal refused: it holds a record this run did not write, lost
    /// acknowledged results, or could not be written. The run stops (J004
    /// or J002 names the cause).
    Journal(&'static str),
}

impl fmt::Display for EffectError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            EffectError::Failed(m) | EffectError::Unrecorded(m) => f.write_str(m),
            EffectError::Unbound { effect } => {
                write!(
                    f,
                    "effect `{effect}` is not bound (run with `--effects sim`)"
                )
            }
            EffectError::Simulated { effect, call } => {
                write!(f, "simulated failure of `{effect}` (call {call})")
            }
            EffectError::Start { command, error } => write!(f, "cannot start `{command}`: {error}"),
            EffectError::Command { command, error } => write!(f, "`{command}` failed: {error}"),
            EffectError::Timeout { effect, ms } => {
                write!(f, "`{effect}` did not finish within {ms} ms")
            }
            EffectError::TooMuchOutput { effect, limit } => {
                write!(f, "`{effect}` printed more than {limit} bytes")
            }
            EffectError::Lost { effect } => write!(f, "`{effect}` failed"),
            EffectError::Exit {
                effect,
                status,
                why,
            } => write!(
                f,
                "`{effect}` exited with status {status}{}{why}",
                if why.is_empty() { "" } else { ": " }
            ),
            EffectError::Signal { effect } => write!(f, "`{effect}` was killed by a signal"),
            EffectError::NoJson { effect } => write!(f, "`{effect}` printed no JSON result"),
            EffectError::NotAValue { effect } => {
                write!(f, "`{effect}` printed something that is not a value")
            }
            EffectError::WrongType { effect, value } => write!(
                f,
                "`{effect}` returned {value}, which is not of its declared type"
            ),
            EffectError::Http { effect, error } => write!(f, "`{effect}` failed: {error}"),
            EffectError::HttpStatus { effect, status } => {
                write!(f, "`{effect}` answered HTTP {status}")
            }
            EffectError::Journal(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for EffectError {}
