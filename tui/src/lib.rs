//! The Lexum time-travel debugger. This crate knows nothing of the `lexum`
//! crate: it reads a run through the narrow [`view::TraceView`] trait, which
//! `lexum` implements over its traces. [`app::App`] is the navigation state
//! machine (pure, tested without a terminal); [`ui`] draws it; [`term`] runs it
//! in a real terminal and always restores the terminal.

pub mod app;
pub mod keys;
pub mod term;
pub mod ui;
pub mod view;

pub use app::App;
pub use ratatui;
pub use view::TraceView;
