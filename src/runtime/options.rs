//! Run settings: what a caller may choose about a run (budgets, whether
//! to detect oscillation, which backend) without changing its meaning.

/// The default bound on pending events (about 100 MB of queue): a program
/// that sends faster than it handles ends in E006 instead of taking the
/// machine's memory.
pub const DEFAULT_MAX_QUEUE: u64 = 1_000_000;

/// Run settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub max_cycles: u64,
    /// The most events the queue may hold after a cycle; more ends the run
    /// (E006).
    pub max_queue: u64,
    /// Prove oscillations (E005) and resolve priorities by yielding.
    pub detect_oscillation: bool,
    /// Evaluate every goal after every cycle instead of only those that can
    /// have changed (the same run, slower; the property tests compare them).
    pub evaluate_all_goals: bool,
    /// Run every statement and expression as a closure instead of on the
    /// register machine ([`vm`]): the reference the property tests compare
    /// the machine against (the same run, slower).
    pub closures_only: bool,
    /// How many bits of a fingerprint's digest key the detector's table
    /// (64 normally). Tests weaken it to a few bits to prove that a key
    /// match is never taken as a repeat: the answers must not change.
    #[doc(hidden)]
    pub digest_bits: u32,
    /// A live run: when nothing is ready and a timer or retry waits, τ does
    /// not jump to it; the run waits ([`crate::Runtime::waiting_for`]) until
    /// the caller advances time ([`crate::Runtime::advance_time`]), so that
    /// the decision can be journaled.
    pub hold_time: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_cycles: 1_000_000_000,
            max_queue: DEFAULT_MAX_QUEUE,
            detect_oscillation: true,
            evaluate_all_goals: false,
            closures_only: false,
            digest_bits: 64,
            hold_time: false,
        }
    }
}
