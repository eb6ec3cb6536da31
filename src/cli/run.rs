//! `lexum run FILE`: check, run to the end, print the report.

use lexum::check::check_source;
use lexum::diag::{render, Diagnostic};
use lexum::ir::{Priority, Program};
use lexum::runtime::{Options, Outcome, Runtime};
use lexum::trace::format::Settings;
use lexum::trace::record::{binding, record_run};
use serde_json::json;

use super::{exit, source, ColorChoice, Format};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EffectsBinding {
    /// Every effect call fails (the default: effects must be bound explicitly).
    None,
    /// The deterministic simulator.
    Sim,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    file: String,
    /// Cycle budget; running out is E006.
    #[arg(long, default_value_t = 1_000_000_000)]
    max_cycles: u64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[arg(long, value_enum, default_value_t = EffectsBinding::None)]
    effects: EffectsBinding,
    /// Seed of the effect simulator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fraction of simulated effect calls that fail, from 0 to 1.
    #[arg(long, default_value = "0")]
    fail_rate: String,
    /// Turn off oscillation detection (for measuring its cost).
    #[arg(long, hide = true)]
    no_oscillation_detection: bool,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Record a trace of every cycle to this file (for `lexum replay` and `lexum debug`).
    #[arg(long)]
    trace: Option<String>,
}

/// Parses a rate such as `0.05` into failures per million, without floats.
fn per_million(s: &str) -> Option<u32> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 6 || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let int: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: u32 = format!("{frac:0<6}").parse().ok()?;
    let v = int.checked_mul(1_000_000)?.checked_add(frac)?;
    (v <= 1_000_000).then_some(v)
}

pub fn run(args: Args) -> i32 {
    let color = source::use_color(args.color);
    let Some(rate) = per_million(&args.fail_rate) else {
        super::err(&format!(
            "error[L002]: --fail-rate must be a number from 0 to 1, found `{}`\n",
            args.fail_rate
        ));
        return exit::USAGE;
    };
    let file = match source::read(&args.file) {
        Ok(f) => f,
        Err(msg) => {
            super::err(&format!("{msg}\n"));
            return exit::USAGE;
        }
    };
    let checked = match &file.encoding_error {
        Some(d) => {
            super::err(&render::render_text(
                std::slice::from_ref(d),
                &file.name,
                &file.text,
                color,
            ));
            return exit::REJECTED;
        }
        None => check_source(&file.text),
    };
    let Some(program) = checked.program else {
        super::err(&render::render_text(
            &checked.diagnostics,
            &file.name,
            &file.text,
            color,
        ));
        return exit::REJECTED;
    };
    let settings = Settings {
        max_cycles: args.max_cycles,
        oscillation_detection: !args.no_oscillation_detection,
        effects: match args.effects {
            EffectsBinding::None => "none".into(),
            EffectsBinding::Sim => "sim".into(),
        },
        seed: args.seed,
        fail_per_million: rate,
    };
    let (mut rt, outcome) = match &args.trace {
        Some(path) => match record_to_file(&program, &file.text, &settings, path) {
            Ok(r) => r,
            Err(e) => {
                super::err(&format!(
                    "error[{}]: cannot write the trace `{path}`: {e}\n",
                    lexum::codes::Code::L001
                ));
                return exit::USAGE;
            }
        },
        None => {
            let options = Options {
                max_cycles: settings.max_cycles,
                detect_oscillation: settings.oscillation_detection,
                evaluate_all_goals: false,
            };
            let mut rt = Runtime::new(&program, options, binding(&settings));
            let outcome = rt.run().clone();
            (rt, outcome)
        }
    };
    match args.format {
        Format::Text => {
            super::out(&text_report(&mut rt, &program, &outcome));
            if let Outcome::RetriesExhausted { failure, event, .. } = &outcome {
                let d = Diagnostic::new(
                    lexum::codes::Code::E007,
                    failure.span,
                    format!("{event} failed: {}", failure.kind),
                )
                .with_label(failure.kind.to_string());
                super::err(&render::render_text(&[d], &file.name, &file.text, color));
            }
        }
        Format::Json => super::out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&json_report(&mut rt, &program, &outcome))
                .unwrap_or_default()
        )),
    }
    match outcome {
        Outcome::Converged => exit::OK,
        _ => exit::ABORTED,
    }
}

/// Records the run's trace into `path` atomically: a temporary file beside it,
/// renamed into place once complete, so a reader never sees half a trace.
fn record_to_file<'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    path: &str,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    let tmp = format!("{path}.tmp");
    let file = std::fs::File::create(&tmp)?;
    let r = record_run(program, source, settings, file)?;
    std::fs::rename(&tmp, path)?;
    Ok(r)
}

fn goal_names(program: &Program, goals: &[u32]) -> Vec<String> {
    goals
        .iter()
        .map(|g| program.goals[*g as usize].qualified.clone())
        .collect()
}

fn text_report(rt: &mut Runtime, program: &Program, outcome: &Outcome) -> String {
    let mut s = String::new();
    match outcome {
        Outcome::Converged => s.push_str("status: converged\n"),
        Outcome::Oscillation {
            at,
            start,
            period,
            goals,
        } => {
            s.push_str(&format!(
                "error[E005]: oscillation detected at cycle {at}: the configuration of cycle {start} repeats (period {period})\n"
            ));
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
        Outcome::Stuck { goals } => s.push_str(&format!(
            "error[E006]: stuck: nothing is pending but these goals are false: {}\n",
            goal_names(program, goals).join(", ")
        )),
        Outcome::Budget { goals } => s.push_str(&format!(
            "error[E006]: cycle budget exhausted; goals still false: {}\n",
            goal_names(program, goals).join(", ")
        )),
        Outcome::RetriesExhausted {
            cycle,
            event,
            failure,
            diff,
        } => {
            s.push_str(&format!(
                "error[E007]: retries exhausted at cycle {cycle}: {event} failed: {}\n",
                failure.kind
            ));
            s.push_str(
                "  state at failure vs last quiescent state (the run ends in the latter):\n",
            );
            for w in diff {
                s.push_str(&format!(
                    "    {}: {} (quiescent: {})\n",
                    program.vars[w.var as usize].qualified, w.new, w.old
                ));
            }
        }
        Outcome::InitialState { invariant, failure } => {
            s.push_str(&format!(
                "error[E008]: the initial state breaks `{invariant}`"
            ));
            if let Some(f) = failure {
                s.push_str(&format!(": {}", f.kind));
            }
            s.push('\n');
        }
    }
    for y in &rt.yields {
        s.push_str(&format!(
            "yield: {} yielded to {} at cycle {}\n",
            program.goals[y.goal as usize].qualified,
            program.goals[y.to as usize].qualified,
            y.cycle
        ));
    }
    s.push_str(&format!(
        "cycles: {}\ntime: {}\nretries: {}\n",
        rt.cycle, rt.interp.tick, rt.retries
    ));
    let runs: Vec<String> = program
        .goals
        .iter()
        .enumerate()
        .filter(|(g, _)| rt.repair_runs[*g] > 0)
        .map(|(g, goal)| format!("{} {}", goal.qualified, rt.repair_runs[g]))
        .collect();
    if !runs.is_empty() {
        s.push_str(&format!("repairs: {}\n", runs.join(", ")));
    }
    let waits: Vec<String> = Priority::ALL
        .iter()
        .map(|p| format!("{} {}", p.name(), rt.max_wait[*p as usize]))
        .collect();
    s.push_str(&format!("longest wait (cycles): {}\n", waits.join(", ")));
    s.push_str("state:\n");
    for (v, var) in program.vars.iter().enumerate() {
        s.push_str(&format!("{} = {}\n", var.qualified, rt.interp.state[v]));
    }
    s.push_str(&format!("run hash: {}\n", rt.run_hash()));
    s
}

fn json_report(rt: &mut Runtime, program: &Program, outcome: &Outcome) -> serde_json::Value {
    let mut j = json!({
        "status": if matches!(outcome, Outcome::Converged) { "converged" } else { "aborted" },
        "code": outcome.code().map(|c| c.as_str()),
        "cycles": rt.cycle,
        "time": rt.interp.tick,
        "retries": rt.retries,
        "run_hash": rt.run_hash(),
        "yields": rt.yields.iter().map(|y| json!({
            "goal": program.goals[y.goal as usize].qualified,
            "to": program.goals[y.to as usize].qualified,
            "cycle": y.cycle,
        })).collect::<Vec<_>>(),
        "state": program.vars.iter().enumerate().map(|(v, var)| (var.qualified.clone(), json!(rt.interp.state[v].to_string()))).collect::<serde_json::Map<_, _>>(),
        "repairs": program.goals.iter().enumerate().map(|(g, goal)| (goal.qualified.clone(), json!(rt.repair_runs[g]))).collect::<serde_json::Map<_, _>>(),
        "longest_wait": Priority::ALL.iter().map(|p| (p.name().to_string(), json!(rt.max_wait[*p as usize]))).collect::<serde_json::Map<_, _>>(),
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
    if let Outcome::Stuck { goals } | Outcome::Budget { goals } = outcome {
        j["false_goals"] = json!(goal_names(program, goals));
    }
    j
}
