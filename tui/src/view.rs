//! What the debugger needs of a recorded run, and nothing more. Cycles are
//! numbered from 1; "cycle 0" is the initial state.

/// How the run ended, for the header and the `o` key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `converged`, `oscillation`, ...
    pub status: String,
    pub code: Option<String>,
    pub run_hash: String,
    /// E005: the cycle where the loop began, and its period.
    pub loop_start: Option<usize>,
    pub loop_period: Option<usize>,
    /// (cycle, text) of each yield.
    pub yields: Vec<(usize, String)>,
}

/// What the timeline shows for a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Committed,
    /// Committed, and the queue was empty after it.
    Quiescent,
    /// Failed and rolled back.
    Failed,
    /// A retry that committed.
    Retried,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Message,
    Repair,
}

/// One cycle, as text ready to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CycleInfo {
    pub cycle: usize,
    pub tick: i64,
    /// `Bank.transfer(-37)` or `repair Teller.all_sent`.
    pub event: String,
    pub domain: String,
    /// The handler's or the goal's name, without the domain.
    pub name: String,
    pub kind: Option<Kind>,
    /// The cycle whose commit enqueued this event (None: the start).
    pub cause: Option<usize>,
    pub retry: u32,
    /// The failure's message, if the cycle failed.
    pub failed: Option<String>,
    /// (var index, old, new).
    pub writes: Vec<(usize, String, String)>,
    pub sends: Vec<String>,
    /// The running handler's or repair's byte span in the source.
    pub span: Option<(usize, usize)>,
}

/// A pending event, in scheduling order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueItem {
    pub priority: String,
    pub due: u64,
    pub event: String,
    /// The cycle that enqueued it.
    pub cause: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoalState {
    Holds,
    False,
    Yielded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalInfo {
    pub name: String,
    pub state: GoalState,
    /// The cycle since which it has been in this state (0: from the start).
    pub since: usize,
}

pub trait TraceView {
    /// Number of cycles.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The program's name (its file) for the header.
    fn title(&self) -> &str;
    fn source(&self) -> &str;
    fn summary(&self) -> &Summary;
    /// One mark per cycle: index `i` is cycle `i + 1`.
    fn marks(&self) -> &[Mark];
    /// Cycle `n` (1..=len).
    fn cycle(&self, n: usize) -> Option<CycleInfo>;
    /// Every variable's qualified name.
    fn variables(&self) -> &[String];
    /// Every variable's value after cycle `n`, as text.
    fn state(&self, n: usize) -> Vec<String>;
    /// The pending events after cycle `n`, in scheduling order.
    fn queue(&self, n: usize) -> Vec<QueueItem>;
    /// Every goal after cycle `n`.
    fn goals(&self, n: usize) -> Vec<GoalInfo>;
    /// The values an `Int` variable took: (cycle, value) at the start and at
    /// each change. Empty for other types.
    fn series(&self, var: usize) -> Vec<(usize, i64)>;
    /// The nearest cycle after (`forward`) or before `from` where the Lexum
    /// condition `expr` holds; an error message if `expr` does not check.
    fn find(&self, from: usize, forward: bool, expr: &str) -> Result<Option<usize>, String>;
}
