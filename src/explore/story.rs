//! A path told in one line: the choices the world made, and how it ended.

use super::choice::{CallOutcome, Choice};
use super::{Ending, Spec};
use crate::ir::Program;
use crate::runtime::Outcome;

/// The choices of a path, in order, leaving out the calls where the world
/// had no other outcome. Consecutive failures of one effect are told once.
pub fn story(program: &Program, spec: &Spec, choices: &[Choice]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < choices.len() {
        match &choices[i] {
            Choice::Arrive { input, cycle } => {
                // The inputs that could have come first and did not.
                let later: Vec<String> = spec
                    .inputs
                    .iter()
                    .enumerate()
                    .filter(|(j, a)| {
                        *j as u32 != *input
                            && a.after <= *cycle
                            && !choices[..i].iter().any(|c| settles(c, *j as u32))
                    })
                    .map(|(j, _)| format!("`{}`", label(program, spec, j as u32)))
                    .collect();
                let before = if later.is_empty() {
                    String::new()
                } else {
                    format!(", before {}", later.join(" and "))
                };
                parts.push(format!(
                    "`{}` arrived after cycle {cycle}{before}",
                    label(program, spec, *input)
                ));
            }
            Choice::Lose { input } => {
                parts.push(format!("`{}` was lost", label(program, spec, *input)));
            }
            Choice::Call {
                alternatives: false,
                ..
            } => {}
            Choice::Call {
                effect,
                call,
                outcome: CallOutcome::Returned(v),
                ..
            } => parts.push(format!("call {call} of `{effect}` returned {v}")),
            Choice::Call {
                effect,
                call,
                outcome: CallOutcome::Failed,
                ..
            } => {
                let mut calls = vec![*call];
                while let Some(Choice::Call {
                    effect: e,
                    call: c,
                    outcome: CallOutcome::Failed,
                    alternatives: true,
                }) = choices.get(i + 1)
                {
                    if e != effect {
                        break;
                    }
                    calls.push(*c);
                    i += 1;
                }
                parts.push(if calls.len() == 1 {
                    format!("call {call} of `{effect}` failed")
                } else {
                    let list: Vec<String> = calls.iter().map(u64::to_string).collect();
                    format!("calls {} of `{effect}` failed", list.join(", "))
                });
            }
        }
        i += 1;
    }
    if parts.is_empty() {
        "the world had no choice to make on this path".to_string()
    } else {
        parts.join(", then ")
    }
}

/// Whether choice `c` delivered or lost input `j`.
fn settles(c: &Choice, j: u32) -> bool {
    matches!(c, Choice::Arrive { input, .. } | Choice::Lose { input } if *input == j)
}

fn label(program: &Program, spec: &Spec, input: u32) -> String {
    spec.inputs.get(input as usize).map_or_else(
        || format!("input {input}"),
        |a| super::input_label(program, a),
    )
}

/// How a path ended, in one line.
pub fn ending(program: &Program, e: &Ending) -> String {
    let goals = |gs: &[crate::ir::GoalId]| -> String {
        let names: Vec<String> = gs
            .iter()
            .map(|g| format!("`{}`", program.goals[*g as usize].qualified))
            .collect();
        names.join(", ")
    };
    match e {
        Ending::Loop { start, at } => format!(
            "the configuration of cycle {start} comes back at cycle {at}, lap after lap (a loop proven by exact comparison)"
        ),
        Ending::Run(o) => match o {
            Outcome::Converged => "converged".to_string(),
            Outcome::Oscillation {
                at, start, goals: g, ..
            } => format!(
                "the configuration of cycle {start} repeats at cycle {at}: the repairs of {} go round forever",
                goals(g)
            ),
            Outcome::Stuck { goals: g } => {
                format!("nothing is pending while {} are false", goals(g))
            }
            Outcome::Budget { goals: g } => {
                format!("the cycle budget ran out while {} are false", goals(g))
            }
            Outcome::QueueLimit { limit, cycle } => {
                format!("the queue held more than {limit} events after cycle {cycle}")
            }
            Outcome::RetriesExhausted {
                cycle,
                event,
                failure,
                ..
            } => format!(
                "`{event}` failed in cycle {cycle} ({}) and its retries ran out",
                failure.kind
            ),
            Outcome::InitialState { invariant, .. } => {
                format!("the initial state breaks `{invariant}`")
            }
            Outcome::GoalFailed {
                goal,
                cycle,
                failure,
            } => format!(
                "goal `{}` failed after cycle {cycle} ({})",
                program.goals[*goal as usize].qualified, failure.kind
            ),
        },
    }
}
