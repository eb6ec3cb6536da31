//! Lexum: a deterministic control-plane language.
//!
//! Data flows one way: source → [`syntax`] (spanned AST) → [`check`] (the
//! slot-resolved [`ir`] program) → runtime → trace → debugger. Diagnostics from
//! every phase are plain [`diag::Diagnostic`] values with a stable [`codes::Code`].
//!
//! # Embedding
//!
//! The names re-exported here are the embedding API: check a program, run
//! it with an effect binding of your own (or the simulator), read its
//! outcome, state and run hash, record or verify a trace. Build without the
//! default `cli` feature (`default-features = false`) to leave out the
//! front ends (clap, rustyline, ratatui, crossterm).
//!
//! ```
//! use lexum::{check_source, Options, Outcome, Runtime};
//!
//! let src = "domain Cluster {
//!   state nodes: Int = 1
//!   goal enough: nodes >= 3 repair { nodes += 1 }
//! }";
//! let program = check_source(src).program.expect("the program checks");
//! let mut rt = Runtime::new(&program, Options::default(), Box::new(lexum::runtime::sim::Unbound));
//! assert_eq!(rt.run(), &Outcome::Converged);
//! assert_eq!(rt.state()[0], lexum::Value::Int(3));
//! assert_eq!(rt.run_hash().len(), 64);
//! ```
//!
//! `examples/embed.rs` binds an effect from Rust and verifies a trace.

pub mod check;
pub mod codes;
#[cfg(feature = "cli")]
pub mod debug;
pub mod diag;
pub mod explore;
pub mod format;
pub mod ir;
pub mod journal;
#[cfg(feature = "cli")]
pub mod lsp;
#[cfg(feature = "cli")]
pub mod repl;
pub mod runtime;
#[cfg(feature = "cli")]
pub mod serve;
pub mod syntax;
pub mod trace;
pub mod types;
pub mod value;

pub use check::{check_source, Checked};
pub use codes::Code;
pub use diag::Diagnostic;
pub use runtime::effects::{EffectError, Effects};
pub use runtime::{Options, Outcome, Runtime};
pub use value::Value;
