//! `lexum replay TRACE`: verify a trace, or show a cycle's configuration or
//! causal chain. Effects are never called: recorded results are played back.

use lexum::diag::render;
use lexum::trace::load::{load, Loaded, TraceError};
use lexum::trace::replay;
use serde_json::json;

use super::{exit, Format};

#[derive(clap::Args, Debug)]
pub struct Args {
    trace: String,
    /// Re-execute and check every cycle (the default when nothing else is asked).
    #[arg(long)]
    verify: bool,
    /// Print the full state and queue after cycle N (0: the initial state; `end`: the last cycle).
    #[arg(long, value_name = "N")]
    at: Option<String>,
    /// Print the causal chain of cycle N back to the initial state.
    #[arg(long, value_name = "N")]
    why: Option<u64>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn report(e: &TraceError, trace: &str) -> i32 {
    super::err(&format!("{e}\n"));
    if !e.diagnostics.is_empty() {
        super::err(&render::render_text(
            &e.diagnostics,
            &format!("{trace} (program)"),
            "",
            false,
        ));
    }
    match e.code {
        lexum::codes::Code::T004 | lexum::codes::Code::T005 => exit::ABORTED,
        _ => exit::REJECTED,
    }
}

/// `lexum replay DIR --verify`: a live run's journal.
fn verify_journal(dir: &str) -> i32 {
    let storage = std::sync::Arc::new(lexum::journal::FileStorage::new(std::path::Path::new(dir)));
    match lexum::serve::verify::verify(storage) {
        Ok(v) => {
            super::out(&format!(
                "ok: {} cycles re-executed from {}, live inputs: {}, snapshots that match: {}; run hash {}\n",
                v.cycles,
                if v.from == 0 { "the start".to_string() } else { format!("the snapshot of cycle {}", v.from) },
                v.inputs,
                v.snapshots,
                v.run_hash
            ));
            exit::OK
        }
        Err(diags) => {
            for d in &diags {
                super::report(d);
            }
            if diags.iter().any(|d| d.code == lexum::Code::T005) {
                exit::ABORTED
            } else {
                exit::REJECTED
            }
        }
    }
}

pub fn run(args: Args) -> i32 {
    if std::path::Path::new(&args.trace).is_dir() {
        return verify_journal(&args.trace);
    }
    let bytes = match std::fs::read(&args.trace) {
        Ok(b) => b,
        Err(e) => {
            super::fail(
                lexum::codes::Code::L001,
                format!("cannot read `{}`: {e}", args.trace),
            );
            return exit::USAGE;
        }
    };
    let loaded = match load(&bytes) {
        Ok(l) => l,
        Err(e) => return report(&e, &args.trace),
    };
    if loaded.trace.settings.live {
        super::fail(
            lexum::Code::L002,
            "this trace was made from a live run's journal (for the debugger); verify the journal itself with `lexum replay DIR --verify`",
        );
        return exit::USAGE;
    }
    let mut code = exit::OK;
    let nothing_asked = args.at.is_none() && args.why.is_none();
    if args.verify || nothing_asked {
        code = match replay::verify(&loaded) {
            Ok(n) => {
                super::out(&format!(
                    "ok: {n} cycles replayed, every cycle matches the trace; run hash {}\n",
                    loaded.trace.result.run_hash
                ));
                exit::OK
            }
            Err(e) => return report(&e, &args.trace),
        };
    }
    if let Some(at) = &args.at {
        let n = if at == "end" {
            loaded.trace.cycles.len() as u64
        } else {
            match at.parse::<u64>() {
                Ok(n) => n,
                Err(_) => {
                    super::fail(
                        lexum::codes::Code::L002,
                        format!("--at takes a cycle number or `end`, found `{at}`"),
                    );
                    return exit::USAGE;
                }
            }
        };
        match print_at(&loaded, n, args.format) {
            Ok(()) => {}
            Err(e) => return report(&e, &args.trace),
        }
    }
    if let Some(n) = args.why {
        match replay::why(&loaded, n) {
            Ok(chain) => match args.format {
                Format::Text => {
                    for (i, l) in chain.iter().enumerate() {
                        super::out(&format!("{}{}\n", "  ".repeat(i), l.text));
                    }
                }
                Format::Json => super::out(&format!(
                    "{}\n",
                    json!(chain
                        .iter()
                        .map(|l| json!({"cycle": l.cycle, "text": l.text}))
                        .collect::<Vec<_>>())
                )),
            },
            Err(e) => return report(&e, &args.trace),
        }
    }
    code
}

fn print_at(loaded: &Loaded, n: u64, format: Format) -> Result<(), TraceError> {
    let rt = replay::state_at(loaded, n)?;
    let program = &loaded.program;
    let queue: Vec<(String, u64, u64, String, Option<String>, u32)> = rt
        .queue()
        .iter()
        .map(|(p, e)| {
            (
                p.name().to_string(),
                e.due,
                e.seq,
                rt.describe(&e.kind),
                e.root.map(|g| program.goals[g as usize].qualified.clone()),
                e.retry,
            )
        })
        .collect();
    match format {
        Format::Text => {
            let mut s = format!("cycle {} (tick {})\nstate:\n", rt.cycle(), rt.tick());
            for (v, var) in program.vars.iter().enumerate() {
                s.push_str(&format!("{} = {}\n", var.qualified, rt.state()[v]));
            }
            s.push_str(&format!(
                "queue ({} pending, in scheduling order):\n",
                queue.len()
            ));
            for (p, due, seq, ev, root, retry) in &queue {
                s.push_str(&format!("  [{p}] due {due} seq {seq}: {ev}"));
                if let Some(r) = root {
                    s.push_str(&format!(" (for {r})"));
                }
                if *retry > 0 {
                    s.push_str(&format!(" retry {retry}"));
                }
                s.push('\n');
            }
            super::out(&s);
        }
        Format::Json => {
            let state: serde_json::Map<String, serde_json::Value> = program
                .vars
                .iter()
                .enumerate()
                .map(|(v, var)| {
                    (
                        var.qualified.clone(),
                        lexum::value::json::to_json(&rt.state()[v]),
                    )
                })
                .collect();
            let doc = json!({
                "cycle": rt.cycle(),
                "tick": rt.tick(),
                "state": state,
                "queue": queue.iter().map(|(p, due, seq, ev, root, retry)| json!({
                    "priority": p, "due": due, "seq": seq, "event": ev, "root": root, "retry": retry,
                })).collect::<Vec<_>>(),
            });
            super::out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        }
    }
    Ok(())
}
