//! Run settings: what a caller may choose about a run (budgets, whether
//! to detect oscillation, which backend) without changing its meaning.

/// The default bound on pending events (about 100 MB of queue): a program
/// that sends faster than it handles ends in E006 instead of taking the
/// machine's memory.
pub const DEFAULT_MAX_QUEUE: u64 = 1_000_000;

/// Repair cycles per epoch remembered one by one ([`Options::table_limit`]):
/// 4096 keys cost about 200 KB, and a loop shorter than that is found
/// without a rewind.
pub const DEFAULT_TABLE_LIMIT: u64 = 4096;

/// [`DEFAULT_TABLE_LIMIT`], or `LEXUM_DETECT_TABLE` when set: a knob for
/// tests, which run whole front ends with 0 (Brent's method from the first
/// repair cycle) to prove that their output does not change.
fn table_limit() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("LEXUM_DETECT_TABLE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_TABLE_LIMIT)
    })
}

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
    /// How many repair cycles of an epoch the detector remembers one by
    /// one (detecting a repeat the moment it happens) before it switches to
    /// Brent's method, in constant memory, and rewinds to the repeat when it
    /// finds one ([`crate::runtime`]'s `detect`). The answers are the same
    /// either way; tests set it to 0 to prove that.
    #[doc(hidden)]
    pub table_limit: u64,
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
            table_limit: table_limit(),
            hold_time: false,
        }
    }
}
