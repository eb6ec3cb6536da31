//! Command-line front end. Parses flags with clap and runs the subcommand on a
//! thread with a large stack, so deep (but legal) input can never overflow it.

mod check;
mod debug;
mod explain;
mod explore;
mod fmt;
mod input;
mod journal;
mod lsp;
mod repl;
mod replay;
mod run;
mod send;
mod serve;
mod source;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit codes, documented in the README.
pub mod exit {
    /// The program checked (or ran) cleanly.
    pub const OK: i32 = 0;
    /// The checker rejected the program.
    pub const REJECTED: i32 = 1;
    /// A run aborted (E005, E006, E007, E008).
    pub const ABORTED: i32 = 2;
    /// Usage or I/O error.
    pub const USAGE: i32 = 3;
}

#[derive(Parser, Debug)]
#[command(
    name = "lexum",
    version,
    about = "A deterministic control-plane language"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and check programs; report every problem found.
    Check(check::Args),
    /// Format programs in one canonical layout (`--check` for CI).
    Fmt(fmt::Args),
    /// Run the language server over standard input and output (docs/editors.md).
    Lsp(lsp::Args),
    /// Run a program until it converges, proves an oscillation, gets stuck or fails.
    Run(run::Args),
    /// Explore every outcome of the world (effect results and failures, input
    /// orders and losses) and report which endings are reachable.
    Explore(explore::Args),
    /// Verify a trace by re-executing it, or show a cycle's state, queue or causes.
    Replay(replay::Args),
    /// Open the time-travel debugger on a trace, or on a program (run first).
    Debug(debug::Args),
    /// Explore interactively: declare domains, send messages, step, travel in time.
    Repl(repl::Args),
    /// Examine a run's write-ahead journal.
    #[command(subcommand)]
    Journal(journal::Command),
    /// Print the long explanation of a diagnostic code (E001 ... W101).
    Explain(explain::Args),
    /// Run a program as a live control plane: an HTTP API, durable messages,
    /// real effects (docs/serve.md).
    Serve(serve::Args),
    /// Send a message to a running `lexum serve`.
    Send(send::SendArgs),
    /// Show a running `lexum serve`'s status.
    Status(send::StatusArgs),
    /// Show a running `lexum serve`'s state (`"Domain.var"` → value).
    State(send::StateArgs),
}

/// Writes to stdout, ignoring a closed pipe (`lexum ... | head` must not panic).
pub fn out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Writes to stderr, ignoring a closed pipe.
pub fn err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Reports an error (or warning) of the tool on stderr, rendered where
/// every diagnostic is.
pub fn fail(code: lexum::codes::Code, message: impl Into<String>) {
    report(&lexum::diag::Diagnostic::plain(code, message));
}

/// Writes a diagnostic about no place in a source file to standard error.
pub fn report(d: &lexum::diag::Diagnostic) {
    err(&format!("{}\n", lexum::diag::render::render_line(d)));
}

const STACK_SIZE: usize = 512 * 1024 * 1024;

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                err("(that is error[L002], invalid usage: `lexum --help` lists the commands, `lexum explain L002` says more)\n");
                return exit::USAGE;
            }
            return exit::OK;
        }
    };
    let worker = std::thread::Builder::new()
        .name("lexum".into())
        .stack_size(STACK_SIZE)
        .spawn(move || match cli.command {
            Command::Check(args) => check::run(args),
            Command::Explain(args) => explain::run(args),
            Command::Fmt(args) => fmt::run(args),
            Command::Lsp(args) => lsp::run(args),
            Command::Run(args) => run::run(args),
            Command::Explore(args) => explore::run(args),
            Command::Replay(args) => replay::run(args),
            Command::Debug(args) => debug::run(args),
            Command::Repl(args) => repl::run(args),
            Command::Journal(cmd) => journal::run(cmd),
            Command::Serve(args) => serve::run(args),
            Command::Send(args) => send::send(args),
            Command::Status(args) => send::status(args),
            Command::State(args) => send::state(args),
        });
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: internal error (this is a bug in lexum; please report it)");
            exit::USAGE
        }
    }
}
