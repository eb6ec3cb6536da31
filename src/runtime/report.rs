//! The report of a run, as text (LEXUM.md §4's required lines) and as JSON
//! with the same facts. Shared by `lexum run` and the REPL's `:run`.

use serde_json::json;

use super::{Outcome, Runtime};
use crate::diag::{render::render_line, Diagnostic};
use crate::ir::{Priority, Program};

fn goal_names(program: &Program, goals: &[u32]) -> Vec<String> {
    goals
        .iter()
        .map(|g| program.goals[*g as usize].qualified.clone())
        .collect()
}

/// The ending of a run that did not converge, as a diagnostic: its code
/// and the report's first line (the REPL, `lexum run` and the server's
/// status show it the same way).
pub fn ending(program: &Program, outcome: &Outcome) -> Option<Diagnostic> {
    let message = match outcome {
        Outcome::Converged => return None,
        Outcome::Oscillation {
            at, start, period, ..
        } => format!(
            "oscillation detected at cycle {at}: the configuration of cycle {start} repeats (period {period})"
        ),
        Outcome::Stuck { goals } => format!(
            "stuck: nothing is pending but these goals are false: {}",
            goal_names(program, goals).join(", ")
        ),
        Outcome::Budget { goals } if goals.is_empty() => {
            "cycle budget exhausted with work still pending (every goal holds)".to_string()
        }
        Outcome::Budget { goals } => format!(
            "cycle budget exhausted; goals still false: {}",
            goal_names(program, goals).join(", ")
        ),
        Outcome::QueueLimit { limit, cycle } => format!(
            "queue limit exhausted: more than {limit} events pending after cycle {cycle} (--max-queue)"
        ),
        Outcome::GoalFailed {
            goal,
            cycle,
            failure,
        } => format!(
            "the predicate of goal `{}` fails after cycle {cycle}: {}",
            program.goals[*goal as usize].qualified, failure.kind
        ),
        Outcome::RetriesExhausted {
            cycle,
            event,
            failure,
            ..
        } => format!(
            "retries exhausted at cycle {cycle}: {event} failed: {}",
            failure.kind
        ),
        Outcome::InitialState { invariant, failure } => {
            match (invariant.strip_prefix("initial value of "), failure) {
                (Some(var), Some(f)) => {
                    format!("the initial value of `{var}` fails: {}", f.kind)
                }
                (_, Some(f)) => format!("the initial state breaks `{invariant}`: {}", f.kind),
                (_, None) => format!("the initial state breaks `{invariant}`"),
            }
        }
    };
    Some(Diagnostic::plain(outcome.code()?, message))
}

pub fn text(rt: &mut Runtime, program: &Program, outcome: &Outcome) -> String {
    let mut s = match ending(program, outcome) {
        None => "status: converged\n".to_string(),
        Some(d) => render_line(&d) + "\n",
    };
    match outcome {
        Outcome::Oscillation { goals, .. } => {
            s.push_str(&format!(
                "  goals: {}\n",
                goal_names(program, goals).join(", ")
            ));
            let mut domains: Vec<String> = goals
                .iter()
                .map(|g| {
                    program.domains[program.goals[*g as usize].domain as usize]
                        .name
                        .clone()
                })
                .collect();
            domains.dedup();
            s.push_str(&format!("  domains: {}\n", domains.join(", ")));
        }
        Outcome::RetriesExhausted { diff, .. } => {
            s.push_str(
                "  state at failure vs last quiescent state (the run ends in the latter):\n",
            );
            for w in diff {
                s.push_str(&format!(
                    "    {}: {} (quiescent: {})\n",
                    program.vars[w.var as usize].qualified, w.new, w.old
                ));
            }
            if diff.is_empty() {
                s.push_str("    (no difference)\n");
            }
        }
        _ => {}
    }
    for y in &rt.run.yields {
        s.push_str(&format!(
            "yield: {} yielded to {} at cycle {}\n",
            program.goals[y.goal as usize].qualified,
            program.goals[y.to as usize].qualified,
            y.cycle
        ));
    }
    s.push_str(&format!(
        "cycles: {}\ntime: {}\nretries: {}\n",
        rt.run.cycle, rt.interp.tick, rt.run.retries
    ));
    let runs: Vec<String> = program
        .goals
        .iter()
        .enumerate()
        .filter(|(g, _)| rt.run.repair_runs[*g] > 0)
        .map(|(g, goal)| format!("{} {}", goal.qualified, rt.run.repair_runs[g]))
        .collect();
    if !runs.is_empty() {
        s.push_str(&format!("repairs: {}\n", runs.join(", ")));
    }
    let waits: Vec<String> = Priority::ALL
        .iter()
        .map(|p| format!("{} {}", p.name(), rt.run.max_wait[*p as usize]))
        .collect();
    s.push_str(&format!("longest wait (cycles): {}\n", waits.join(", ")));
    s.push_str("state:\n");
    for (v, var) in program.vars.iter().enumerate() {
        match rt.value_of(v) {
            Some(x) => s.push_str(&format!("{} = {x}\n", var.qualified)),
            None => s.push_str(&format!("{} is undefined\n", var.qualified)),
        }
    }
    s.push_str(&format!("run hash: {}\n", rt.run_hash()));
    s
}

pub fn json(rt: &mut Runtime, program: &Program, outcome: &Outcome) -> serde_json::Value {
    let mut j = json!({
        "status": if matches!(outcome, Outcome::Converged) { "converged" } else { "aborted" },
        "code": outcome.code().map(|c| c.as_str()),
        "cycles": rt.run.cycle,
        "time": rt.interp.tick,
        "retries": rt.run.retries,
        "run_hash": rt.run_hash(),
        "yields": rt.run.yields.iter().map(|y| json!({
            "goal": program.goals[y.goal as usize].qualified,
            "to": program.goals[y.to as usize].qualified,
            "cycle": y.cycle,
        })).collect::<Vec<_>>(),
        "state": program.vars.iter().enumerate().map(|(v, var)| (var.qualified.clone(), rt.value_of(v).map_or(serde_json::Value::Null, |x| json!(x.to_string())))).collect::<serde_json::Map<_, _>>(),
        "repairs": program.goals.iter().enumerate().map(|(g, goal)| (goal.qualified.clone(), json!(rt.run.repair_runs[g]))).collect::<serde_json::Map<_, _>>(),
        "longest_wait": Priority::ALL.iter().map(|p| (p.name().to_string(), json!(rt.run.max_wait[*p as usize]))).collect::<serde_json::Map<_, _>>(),
    });
    if let Outcome::Oscillation {
        at,
        start,
        period,
        goals,
    } = outcome
    {
        j["oscillation"] = json!({"at": at, "start": start, "period": period, "goals": goal_names(program, goals)});
    }
    if let Outcome::GoalFailed {
        goal,
        cycle,
        failure,
    } = outcome
    {
        j["goal_failed"] = json!({"goal": program.goals[*goal as usize].qualified, "cycle": cycle, "failure": failure.kind.to_string()});
    }
    if let Outcome::Stuck { goals } | Outcome::Budget { goals } = outcome {
        j["false_goals"] = json!(goal_names(program, goals));
    }
    j
}
