//! `lexum explore FILE`: every outcome of the world, explored on the real
//! runtime (`lexum::explore`); the report, the counterexamples' traces, and
//! exit codes 0 (complete, every path ends well), 2 (a bad ending is
//! reachable), 4 (stopped at a bound, no bad ending found).

use std::io::IsTerminal;

use lexum::codes::Code;
use lexum::diag::Diagnostic;
use lexum::explore::{self, Spec};
use lexum::ir::Program;

use super::{exit, source, ColorChoice};

/// The default bound on distinct configurations.
pub const DEFAULT_MAX_STATES: u64 = 2_000_000;

/// Exit code: the exploration stopped at a bound and found no bad ending.
pub const BOUNDED: i32 = 4;

#[derive(clap::Args, Debug)]
pub struct Args {
    file: String,
    /// External inputs, one JSON line each: {"after": N, "until": M, "send":
    /// "D.handler", "args": [...]}; each may arrive after any cycle from N to M.
    #[arg(long, value_name = "FILE")]
    inputs: Option<String>,
    /// Inputs may also be lost.
    #[arg(long)]
    lossy: bool,
    /// The results to try for an effect, as JSON values: `cloud.size=1,2,3`.
    /// Bool effects try both values without it; other effects get the
    /// simulator's value for each call.
    #[arg(long, value_name = "NAME=V1,V2,...")]
    effect_values: Vec<String>,
    /// At most K failed effect calls on one path (0: effects never fail).
    #[arg(long, value_name = "K")]
    max_failures: Option<u32>,
    /// Explore paths of at most N cycles.
    #[arg(long, value_name = "N")]
    max_depth: Option<u64>,
    /// Stop after N distinct configurations (0: no limit). Each takes about
    /// 2 KB, so the default bounds memory to a few GB.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
    max_states: u64,
    /// Accept this ending as well as convergence (E005, E006, E007, E008, E009).
    #[arg(long, value_name = "CODE")]
    allow: Vec<String>,
    /// Write each counterexample as a trace file in DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<String>,
    /// Threads (the report is the same for any number).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Seed of the simulator that gives values to effects with none listed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

pub fn run(args: Args) -> i32 {
    let color = source::use_color(args.color);
    let (file, program) = match source::checked(&args.file, color) {
        Ok(fp) => fp,
        Err(code) => return code,
    };
    let spec = match spec(&args, &program) {
        Ok(s) => s,
        Err(d) => {
            super::report(&d);
            return exit::USAGE;
        }
    };
    let progress = std::io::stderr().is_terminal();
    let start = std::time::Instant::now();
    let mut shown = false;
    let mut on_wave = |explored: u64, depth: u64| {
        if progress {
            let secs = start.elapsed().as_secs_f64().max(1e-3);
            super::err(&format!(
                "\rexplored {explored} configurations, depth {depth}, {:.0} per second ",
                explored as f64 / secs
            ));
            shown = true;
        }
    };
    let report = explore::explore(&program, &spec, &mut on_wave);
    if shown {
        super::err("\r\x1b[K");
    }
    let mut traces = Vec::new();
    if let Some(dir) = &args.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            super::fail(Code::L001, format!("cannot create `{dir}`: {e}"));
            return exit::USAGE;
        }
        for f in &report.bad {
            let code = f
                .ending
                .code()
                .map_or("converged".into(), |c| c.to_string());
            let path = std::path::Path::new(dir).join(format!("{code}.trace"));
            let shown = path.display().to_string();
            let written = std::fs::File::create(&path).and_then(|out| {
                explore::trace::write(&program, &file.text, &spec, f, std::io::BufWriter::new(out))
            });
            match written {
                Ok(_) => traces.push(shown),
                Err(e) => {
                    super::fail(Code::L001, format!("cannot write `{shown}`: {e}"));
                    return exit::USAGE;
                }
            }
        }
    }
    super::out(&explore::report::text(
        &program, &spec, &args.file, &report, &traces,
    ));
    match report.exit_code() {
        0 => exit::OK,
        2 => exit::ABORTED,
        _ => BOUNDED,
    }
}

/// The exploration the flags ask for, or why they do not make one.
fn spec(args: &Args, program: &Program) -> Result<Spec, Box<Diagnostic>> {
    let usage = |why: String| Box::new(Diagnostic::plain(Code::L002, why));
    let mut spec = Spec {
        lossy: args.lossy,
        max_failures: args.max_failures,
        max_depth: args.max_depth,
        max_states: (args.max_states != 0).then_some(args.max_states),
        seed: args.seed,
        jobs: args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        ..Spec::default()
    };
    if spec.jobs == 0 || spec.jobs > explore::MAX_JOBS {
        return Err(usage(format!(
            "--jobs must be from 1 to {}",
            explore::MAX_JOBS
        )));
    }
    if let Some(path) = &args.inputs {
        // An unreadable file is L001, a bad line L002: the reader says which.
        let windows = super::input::read_windows(path, program)?;
        if windows.len() > explore::MAX_INPUTS {
            return Err(usage(format!(
                "`{path}` holds {} inputs; an exploration takes at most {}",
                windows.len(),
                explore::MAX_INPUTS
            )));
        }
        spec.inputs = windows.into_iter().map(|(_, a)| a).collect();
    }
    for ev in &args.effect_values {
        let (name, values) = explore::parse_effect_values(program, ev).map_err(usage)?;
        spec.effect_values.insert(name, values);
    }
    for a in &args.allow {
        spec.allow.push(explore::parse_allow(a).map_err(usage)?);
    }
    Ok(spec)
}
