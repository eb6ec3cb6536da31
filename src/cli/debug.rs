//! `lexum debug TRACE.json` or `lexum debug FILE.lxm [run flags]`: the
//! time-travel debugger. A program is run first and its trace recorded to a
//! temporary file.

use std::io::IsTerminal;

use lexum::check::check_source;
use lexum::debug::DebugView;
use lexum::diag::render;
use lexum::trace::load::load;
use lexum::trace::record::record_run;

use super::{exit, source};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A trace (`.json`) or a program (`.lxm`) to run and open.
    file: String,
    /// Open at cycle N, `end` or `oscillation`.
    #[arg(long, default_value = "0")]
    at: String,
    /// For a program: the cycle budget.
    #[arg(long, default_value_t = 1_000_000_000)]
    max_cycles: u64,
    /// For a program: the simulator's flags.
    #[command(flatten)]
    sim: super::run::SimFlags,
}

pub fn run(args: Args) -> i32 {
    let bytes = if std::path::Path::new(&args.file).is_dir() {
        let storage = std::sync::Arc::new(lexum::journal::FileStorage::new(std::path::Path::new(
            &args.file,
        )));
        match lexum::serve::verify::trace(storage) {
            Ok(b) => b,
            Err(diags) => {
                for d in &diags {
                    super::report(d);
                }
                return exit::REJECTED;
            }
        }
    } else if args.file.ends_with(".lxm") {
        match trace_of_program(&args) {
            Ok(b) => b,
            Err(code) => return code,
        }
    } else {
        match std::fs::read(&args.file) {
            Ok(b) => b,
            Err(e) => {
                super::fail(
                    lexum::codes::Code::L001,
                    format!("cannot read `{}`: {e}", args.file),
                );
                return exit::USAGE;
            }
        }
    };
    let loaded = match load(&bytes) {
        Ok(l) => l,
        Err(e) => {
            super::err(&format!("{e}\n"));
            return exit::REJECTED;
        }
    };
    let len = loaded.trace.cycles.len();
    let start = match args.at.as_str() {
        "end" => len,
        "oscillation" => loaded
            .trace
            .result
            .loop_
            .as_ref()
            .map(|l| l.start as usize)
            .unwrap_or(0),
        n => {
            match n.parse::<usize>() {
                Ok(n) if n <= len => n,
                _ => {
                    super::fail(lexum::codes::Code::L002, format!("--at takes a cycle from 0 to {len}, `end` or `oscillation`, found `{n}`"));
                    return exit::USAGE;
                }
            }
        }
    };
    let title = std::path::Path::new(&args.file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let view = match DebugView::new(title, loaded) {
        Ok(v) => v,
        Err(e) => {
            super::err(&format!("{e}\n"));
            return exit::REJECTED;
        }
    };
    if !std::io::stdout().is_terminal() {
        super::fail(
            lexum::codes::Code::L002,
            "`lexum debug` needs a terminal; use `lexum replay` in scripts",
        );
        return exit::USAGE;
    }
    match lexum_tui::term::run(&view, start) {
        Ok(()) => exit::OK,
        Err(e) => {
            super::fail(lexum::codes::Code::L001, format!("terminal error: {e}"));
            exit::USAGE
        }
    }
}

fn trace_of_program(args: &Args) -> Result<Vec<u8>, i32> {
    let file = source::read(&args.file).map_err(|d| {
        super::report(&d);
        exit::USAGE
    })?;
    let checked = check_source(&file.text);
    let Some(program) = checked.program else {
        super::err(&render::render_text(
            &checked.diagnostics,
            &file.name,
            &file.text,
            false,
        ));
        return Err(exit::REJECTED);
    };
    let settings = args
        .sim
        .settings(args.max_cycles, lexum::runtime::DEFAULT_MAX_QUEUE, false)
        .ok_or(exit::USAGE)?;
    let mut bytes = Vec::new();
    record_run(&program, &file.text, &settings, &mut bytes).map_err(|e| {
        super::fail(
            lexum::codes::Code::L001,
            format!("cannot record the trace: {e}"),
        );
        exit::USAGE
    })?;
    Ok(bytes)
}
