//! Lexum: a deterministic control-plane language.
//!
//! Data flows one way: source → [`syntax`] (spanned AST) → [`check`] (the
//! slot-resolved [`ir`] program) → runtime → trace → debugger. Diagnostics from
//! every phase are plain [`diag::Diagnostic`] values with a stable [`codes::Code`].

pub mod check;
pub mod codes;
pub mod debug;
pub mod diag;
pub mod ir;
pub mod journal;
pub mod repl;
pub mod runtime;
pub mod syntax;
pub mod trace;
pub mod types;
pub mod value;
