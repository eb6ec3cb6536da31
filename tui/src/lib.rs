//! The Lexum time-travel debugger's crate. It depends on no part of the `lexum`
//! crate: it reads a run through the narrow [`TraceView`] trait, which the
//! `lexum` crate implements over its traces. (The debugger itself is issue 7;
//! this crate so far fixes the boundary.)

/// What the debugger needs of a recorded run, and nothing more.
pub trait TraceView {
    /// Number of cycles in the run (cycles are numbered from 1).
    fn len(&self) -> usize;
    /// True when the run has no cycle.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The program's source text.
    fn source(&self) -> &str;
}
