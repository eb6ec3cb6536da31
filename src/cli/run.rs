//! `lexum run FILE`: check, run to the end, print the report.

use lexum::diag::{render, Diagnostic};
use lexum::ir::Program;

use lexum::journal::run::SyncPolicy;
use lexum::journal::session;
use lexum::runtime::{report, Outcome, Runtime};
use lexum::trace::format::Settings;
use lexum::trace::record::{binding, record_session_with};

use super::{exit, source, ColorChoice, Format};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EffectsBinding {
    /// Every effect call fails (the default: effects must be bound explicitly).
    None,
    /// The deterministic simulator.
    Sim,
}

/// The simulator's flags, shared by `run`, `serve` and `debug`.
#[derive(clap::Args, Debug)]
pub struct SimFlags {
    /// The effect binding for effects no `--effect` binds.
    #[arg(long, value_enum, default_value_t = EffectsBinding::None)]
    pub effects: EffectsBinding,
    /// Seed of the effect simulator.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Fraction of simulated effect calls that fail, from 0 to 1.
    #[arg(long, default_value = "0")]
    pub fail_rate: String,
}

impl SimFlags {
    /// The run's settings for these flags (`None`, reported as L002, for a
    /// fail rate that is not a number from 0 to 1).
    pub fn settings(&self, max_cycles: u64, max_queue: u64, live: bool) -> Option<Settings> {
        let Some(fail_per_million) = per_million(&self.fail_rate) else {
            super::fail(
                lexum::codes::Code::L002,
                format!(
                    "--fail-rate must be a number from 0 to 1, found `{}`",
                    self.fail_rate
                ),
            );
            return None;
        };
        Some(Settings {
            max_cycles,
            oscillation_detection: true,
            effects: match self.effects {
                EffectsBinding::None => lexum::runtime::EffectsMode::None,
                EffectsBinding::Sim => lexum::runtime::EffectsMode::Sim,
            },
            seed: self.seed,
            fail_per_million,
            max_queue,
            live,
        })
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    file: String,
    /// Cycle budget; running out is E006.
    #[arg(long, default_value_t = 1_000_000_000)]
    max_cycles: u64,
    /// The most events the queue may hold; more is E006.
    #[arg(long, default_value_t = lexum::runtime::DEFAULT_MAX_QUEUE)]
    max_queue: u64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    sim: SimFlags,
    /// Turn off oscillation detection (for measuring its cost).
    #[arg(long, hide = true)]
    no_oscillation_detection: bool,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Record a trace of every cycle to this file (for `lexum replay` and `lexum debug`).
    #[arg(long)]
    trace: Option<String>,
    /// Journal effect results to this directory; run again with the same
    /// directory to resume after a crash (docs/journal.md).
    #[arg(long, value_name = "DIR")]
    journal: Option<String>,
    /// External messages, one JSON line each: {"after": N, "send": "D.handler", "args": [...]}.
    #[arg(long, value_name = "FILE")]
    input: Option<String>,
    /// With --journal: when results are made durable.
    #[arg(long, value_enum, default_value_t = Sync::Always)]
    sync: Sync,
    /// With --journal: write a snapshot every N cycles (and when the run ends quiescent).
    #[arg(long, value_name = "N", default_value_t = session::DEFAULT_SNAPSHOT_EVERY)]
    snapshot_every: u64,
    /// With --journal: exit abruptly after this cycle, as if killed (tests).
    #[arg(long, hide = true, value_name = "N")]
    crash_after_cycle: Option<u64>,
    /// With --journal: time every cycle and print the longest, with and
    /// without a snapshot being written, to stderr (benchmarks).
    #[arg(long, hide = true)]
    measure_cycles: bool,
    /// With --journal: wait for each snapshot to be durable (tests).
    #[arg(long, hide = true)]
    snapshot_wait: bool,
    /// With --journal: start a new log segment past this many bytes.
    #[arg(long, hide = true, default_value_t = lexum::journal::run::SEGMENT_BYTES)]
    segment_bytes: u64,
    /// Bind an effect to a command: JSON arguments on stdin, a JSON result
    /// on stdout, a non-zero exit is an effect error (docs/journal.md).
    #[arg(long, value_name = "NAME=COMMAND")]
    effect: Vec<String>,
    /// How long one `--effect` command may take, in milliseconds; past it
    /// the command is killed and the call is an effect error.
    #[arg(long, value_name = "MS", default_value_t = lexum::runtime::subprocess::DEFAULT_TIMEOUT.as_millis() as u64)]
    effect_timeout: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sync {
    /// fsync before each effect result is used (never loses an acknowledged result).
    Always,
    /// fsync every 64 records and at the end.
    Batch,
    /// Leave it to the operating system.
    Never,
}

/// Parses a rate such as `0.05` into failures per million, without floats.
pub fn per_million(s: &str) -> Option<u32> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    // At least one digit: `''` and `.` are not numbers.
    if int.is_empty() && frac.is_empty() {
        return None;
    }
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
    let Some(mut settings) = args.sim.settings(args.max_cycles, args.max_queue, false) else {
        return exit::USAGE;
    };
    settings.oscillation_detection = !args.no_oscillation_detection;
    let (file, program) = match source::checked(&args.file, color) {
        Ok(fp) => fp,
        Err(code) => return code,
    };
    let inputs = match &args.input {
        None => Vec::new(),
        Some(path) => match super::input::read(path, &program) {
            Ok(i) => i,
            Err(d) => {
                super::report(&d);
                return exit::USAGE;
            }
        },
    };
    if args.journal.is_some() && args.trace.is_some() {
        super::fail(
            lexum::codes::Code::L002,
            "--journal and --trace cannot be used together yet",
        );
        return exit::USAGE;
    }
    let inner = match effect_binding(&settings, &args.effect, args.effect_timeout, &program) {
        Ok(b) => b,
        Err(d) => {
            super::err(&format!("{}\n", lexum::diag::render::render_line(&d)));
            return exit::USAGE;
        }
    };
    let mut journal = None;
    let (mut rt, outcome) = match (&args.journal, &args.trace) {
        (Some(dir), _) => {
            // A testing hook: end the process abruptly after a given cycle,
            // as `kill -9` would (no destructor runs, nothing is flushed).
            let crash = args.crash_after_cycle.map(|n| {
                move |c: u64| {
                    if c >= n {
                        std::process::exit(137)
                    }
                }
            });
            let policy = match args.sync {
                Sync::Always => SyncPolicy::Always,
                Sync::Batch => SyncPolicy::Batch,
                Sync::Never => SyncPolicy::Never,
            };
            let setup = session::Setup {
                storage: std::sync::Arc::new(lexum::journal::FileStorage::new(
                    std::path::Path::new(dir),
                )),
                source: &file.text,
                settings: &settings,
                inputs: &inputs,
                policy,
                snapshot_every: args.snapshot_every,
                segment_bytes: args.segment_bytes,
                after_cycle: crash.as_ref().map(|f| f as &dyn Fn(u64)),
                measure: args.measure_cycles,
                wait_for_snapshots: args.snapshot_wait,
            };
            match session::run(&program, &setup, inner) {
                Ok(done) => {
                    for w in &done.warnings {
                        super::err(&format!("{}\n", lexum::diag::render::render_line(w)));
                    }
                    if args.measure_cycles {
                        let s = done.stats;
                        super::err(&format!(
                            "cycle times: longest {} µs, longest while a snapshot was being written {} µs, longest snapshot hand-over {} µs, {} snapshots; over 1 ms: {} of {} cycles while writing, {} of {} otherwise\n",
                            s.longest_cycle.as_micros(),
                            s.longest_cycle_while_writing.as_micros(),
                            s.longest_submit.as_micros(),
                            s.snapshots,
                            s.slow_while_writing,
                            s.cycles_while_writing,
                            s.slow_otherwise,
                            s.cycles_otherwise
                        ));
                    }
                    journal = Some(done.journal);
                    (done.runtime, done.outcome)
                }
                Err(e) => {
                    super::err(&format!("{e}\n"));
                    return exit::USAGE;
                }
            }
        }
        (None, Some(path)) => {
            match record_to_file(&program, &file.text, &settings, &inputs, inner, path) {
                Ok(r) => r,
                Err(e) => {
                    super::fail(
                        lexum::codes::Code::L001,
                        format!("cannot write the trace `{path}`: {e}"),
                    );
                    return exit::USAGE;
                }
            }
        }
        (None, None) => {
            let mut rt = Runtime::new(&program, settings.options(), inner);
            let outcome = rt.run_with_inputs(&inputs).clone();
            (rt, outcome)
        }
    };
    if let Some(j) = &journal {
        let status = outcome.code().map(|c| c.as_str()).unwrap_or("converged");
        let hash = rt.run_hash();
        let mut j = j.borrow_mut();
        if let Some((s, h)) = j.ended.clone() {
            if s != status || h != hash {
                super::fail(
                    lexum::codes::Code::J004,
                    format!("the journal records a run that ended {s} with hash {h}, but it replays as {status} with hash {hash}"),
                );
                return exit::ABORTED;
            }
        }
        j.finish(status, &hash);
        if let Some(e) = j.error.take() {
            super::err(&format!("{e}\n"));
            return exit::USAGE;
        }
    }
    match args.format {
        Format::Text => {
            super::out(&report::text(&mut rt, &program, &outcome));
            if let Outcome::RetriesExhausted { failure, event, .. } = &outcome {
                let d = Diagnostic::new(
                    lexum::codes::Code::E007,
                    failure.span,
                    format!("{event} failed: {}", failure.kind),
                )
                .with_label(failure.kind.to_string());
                super::err(&render::render_text(&[d], &file.name, &file.text, color));
            }
            if let Outcome::GoalFailed { goal, failure, .. } = &outcome {
                let d = Diagnostic::new(
                    lexum::codes::Code::E009,
                    failure.span,
                    format!(
                        "the predicate of goal `{}` fails: {}",
                        program.goals[*goal as usize].qualified, failure.kind
                    ),
                )
                .with_label(failure.kind.to_string());
                super::err(&render::render_text(&[d], &file.name, &file.text, color));
            }
        }
        Format::Json => super::out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report::json(&mut rt, &program, &outcome))
                .unwrap_or_default()
        )),
    }
    match outcome {
        Outcome::Converged => exit::OK,
        _ => exit::ABORTED,
    }
}

/// The effect binding: commands from `--effect`, then the `--effects` one.
fn effect_binding(
    settings: &Settings,
    flags: &[String],
    timeout_ms: u64,
    program: &Program,
) -> Result<Box<dyn lexum::Effects>, Box<lexum::Diagnostic>> {
    let fallback = binding(settings);
    if flags.is_empty() {
        return Ok(fallback);
    }
    let commands = lexum::runtime::subprocess::parse_bindings(flags, program)?;
    Ok(Box::new(lexum::runtime::subprocess::Subprocess {
        commands,
        fallback,
        timeout: std::time::Duration::from_millis(timeout_ms),
    }))
}

/// Records the run's trace into `path` atomically: a temporary file beside it,
/// renamed into place once complete, so a reader never sees half a trace.
fn record_to_file<'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    inputs: &super::input::Inputs,
    inner: Box<dyn lexum::Effects>,
    path: &str,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    let tmp = format!("{path}.tmp");
    let file = std::fs::File::create(&tmp)?;
    let r = record_session_with(program, source, settings, &[], inputs, inner, file)?;
    std::fs::rename(&tmp, path)?;
    Ok(r)
}
