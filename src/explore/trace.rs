//! A counterexample as a trace file: the path's choices played back
//! through the recorder, so `lexum replay --verify` and `lexum debug` take
//! it like any other run.

use std::collections::VecDeque;

use super::choice::{Choice, Playback};
use super::{Ending, Found, Spec};
use crate::ir::Program;
use crate::runtime::{EffectsMode, Outcome, Settings};

/// Records the run of `found`'s path to `out`; returns how it ended.
pub fn write<W: crate::trace::record::TraceOut + Send>(
    program: &Program,
    source: &str,
    spec: &Spec,
    found: &Found,
    out: W,
) -> std::io::Result<Outcome> {
    let mut inputs = Vec::new();
    let mut calls = VecDeque::new();
    for c in &found.choices {
        match c {
            Choice::Arrive { input, cycle } => {
                if let Some(a) = spec.inputs.get(*input as usize) {
                    inputs.push((*cycle, a.handler, a.args.clone()));
                }
            }
            Choice::Lose { .. } => {}
            Choice::Call { .. } => calls.push_back(c.clone()),
        }
    }
    let settings = Settings {
        // A loop the exploration proved is cut where it was proven.
        max_cycles: match found.ending {
            Ending::Loop { at, .. } => at,
            Ending::Run(_) => 1_000_000_000,
        },
        oscillation_detection: true,
        effects: EffectsMode::None,
        seed: spec.seed,
        fail_per_million: 0,
        max_queue: spec.max_queue,
        live: false,
    };
    let (_, outcome) = crate::trace::record::record_session_with(
        program,
        source,
        &settings,
        &[],
        &inputs,
        Box::new(Playback { calls }),
        out,
    )?;
    Ok(outcome)
}
