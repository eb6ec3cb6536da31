//! The deterministic runtime: the scheduler of LEXUM.md §3–4 over a checked
//! program. Configuration ⟨Σ, Q, J, τ⟩: Σ lives in the interpreter's slots,
//! Q in [`queue::Queue`], τ is `tick`. One event per cycle; E005 is proven by
//! an exact repeat of the configuration modulo time.

pub mod checkpoint;
mod closures;
pub(crate) mod compile;
mod detect;
pub mod drive;
pub mod effects;
pub mod failure;
pub mod hash;
mod lower;
pub(crate) mod machine;
pub mod observe;
pub(crate) mod ops;
mod options;
mod outcome;
pub mod queue;
mod repeat;
pub mod report;
mod run_state;
pub mod settings;
pub mod sim;
pub mod subprocess;
mod upgrade;
pub(crate) mod vm;

use crate::ir::{self, GoalId, Priority, Program, VarId};
use crate::value::Value;
pub use checkpoint::Checkpoint;
use compile::Compiled;
use detect::Detector;
pub use detect::DetectorRecord;
use failure::Failure;
use machine::{Effects, Interp, Write};
use observe::{CycleRecord, Observer};
pub use options::{Options, DEFAULT_MAX_QUEUE};
pub use outcome::{Outcome, Yield};
use queue::{Event, EventKind, Queue};
pub(crate) use repeat::QueuedConfig;
use repeat::{Confirm, Lookahead, Probe, Repeat, ReplayTo};
pub(crate) use run_state::RunState;
pub use settings::{EffectsMode, Settings};
pub use upgrade::Upgraded;

pub struct Runtime<'p> {
    pub program: &'p Program,
    pub(crate) interp: Interp,
    /// Shared with the re-executions that confirm a repeat.
    pub(crate) code: std::rc::Rc<Compiled>,
    writes_buf: Vec<Write>,
    /// The variables the last commit changed that a goal reads (reused from
    /// cycle to cycle).
    changed: Vec<VarId>,
    pub options: Options,
    /// What a checkpoint keeps besides the machine's Σ, τ and effect counter.
    pub(crate) run: RunState,
    /// The oscillation detector's memory of this epoch ([`detect`]).
    detector: Detector,
    /// Set on a re-execution that confirms a repeat: it runs to the
    /// candidate cycles and compares configurations there.
    confirm: Option<Box<Confirm>>,
    /// Set on a replica that reports its repair cycles' configurations
    /// (finding μ after Brent's method found λ).
    probe: Option<Box<Probe>>,
    /// Set on a run rewound to Brent's base: where the loop it found is
    /// handled.
    replay_to: Option<Box<ReplayTo>>,
    /// Set on a replica that looks past the budget for a loop.
    lookahead: Option<Box<Lookahead>>,
    /// How many times the run was rewound to handle a loop where it closed
    /// (tests check that Brent's phase ran).
    #[doc(hidden)]
    pub rewinds: u64,
    /// Reused to encode fingerprints for their digest.
    fp_buf: Vec<u8>,
    hasher: hash::RunHasher,
    fx: Box<dyn Effects + 'p>,
    readers: Vec<Vec<GoalId>>,
    /// Per variable: whether any goal reads it (most writes wake no goal).
    read_by_goal: Vec<bool>,
    /// Per handler: its domain's priority.
    handler_priority: Vec<Priority>,
    invariant_readers: Vec<Vec<u32>>,
    /// The invariants that read `tick`.
    tick_invariants: Vec<u32>,
    /// When an initial value failed: the first variable that has none
    /// (it and those after it hold placeholders, reported as undefined).
    pub undefined_from: Option<usize>,
    observer: Option<Box<dyn Observer + 'p>>,
    /// When set, every entry the oscillation detector adds is also appended
    /// here (journaled runs take it with each snapshot, in O(1)).
    pub detector_log: Option<Vec<DetectorRecord>>,
}

impl<'p> Runtime<'p> {
    /// Builds the initial configuration: initial values, the E008 check, and
    /// a repair for every false goal, in declaration order.
    pub fn new(program: &'p Program, options: Options, fx: Box<dyn Effects + 'p>) -> Self {
        Self::with_initial(program, options, fx, &[])
    }

    /// Like [`Runtime::new`], with some variables starting from given values
    /// instead of their declared ones (the REPL keeps values across a
    /// redeclaration this way). Invariants are checked on the result (E008).
    pub fn with_initial(
        program: &'p Program,
        options: Options,
        fx: Box<dyn Effects + 'p>,
        initial: &[(VarId, Value)],
    ) -> Self {
        let mut rt = Self::build(program, options, fx, hash::RunHasher::default());
        rt.start(initial);
        rt
    }

    /// A runtime with its tables built and nothing run.
    fn build(
        program: &'p Program,
        options: Options,
        fx: Box<dyn Effects + 'p>,
        hasher: hash::RunHasher,
    ) -> Self {
        let code = std::rc::Rc::new(Compiled::new(program, options.closures_only));
        Self::build_with(program, options, fx, hasher, code)
    }

    fn build_with(
        program: &'p Program,
        options: Options,
        fx: Box<dyn Effects + 'p>,
        hasher: hash::RunHasher,
        code: std::rc::Rc<Compiled>,
    ) -> Self {
        let nvars = program.vars.len();
        let mut readers = vec![Vec::new(); nvars];
        for (g, goal) in program.goals.iter().enumerate() {
            for &v in &goal.reads {
                readers[v as usize].push(g as GoalId);
            }
        }
        let mut invariant_readers = vec![Vec::new(); nvars];
        for (i, inv) in program.invariants.iter().enumerate() {
            for &v in &inv.reads {
                invariant_readers[v as usize].push(i as u32);
            }
        }
        Runtime {
            program,
            interp: Interp::new(vec![Value::Bool(false); nvars]),
            code,
            writes_buf: Vec::new(),
            changed: Vec::new(),
            options,
            run: RunState::new(program.goals.len()),
            detector: Detector::default(),
            confirm: None,
            probe: None,
            replay_to: None,
            lookahead: None,
            rewinds: 0,
            fp_buf: Vec::new(),
            hasher,
            fx,
            read_by_goal: readers.iter().map(|r| !r.is_empty()).collect(),
            handler_priority: program
                .handlers
                .iter()
                .map(|h| program.domains[h.domain as usize].priority)
                .collect(),
            readers,
            invariant_readers,
            tick_invariants: program
                .invariants
                .iter()
                .enumerate()
                .filter(|(_, inv)| inv.reads_tick)
                .map(|(i, _)| i as u32)
                .collect(),
            undefined_from: None,
            observer: None,
            detector_log: None,
        }
    }

    /// A variable's value for reports: `None` when it has none (an initial
    /// value failed before it was set).
    pub fn value_of(&self, v: usize) -> Option<&Value> {
        match self.undefined_from {
            Some(u) if v >= u => None,
            _ => self.interp.state.get(v),
        }
    }

    fn start(&mut self, initial: &[(VarId, Value)]) {
        let mut nofx = sim::Unbound;
        for (v, var) in self.program.vars.iter().enumerate() {
            if let Some((_, val)) = initial.iter().find(|(i, _)| *i as usize == v) {
                self.interp.state[v] = val.clone();
                continue;
            }
            match self.interp.value(&self.code.inits[v], &mut nofx) {
                Ok(val) => self.interp.state[v] = val,
                Err(f) => {
                    self.run.outcome = Some(Outcome::InitialState {
                        invariant: format!("initial value of {}", var.qualified),
                        failure: Some(f),
                    });
                    self.undefined_from = Some(v);
                    return;
                }
            }
        }
        for (i, inv) in self.program.invariants.iter().enumerate() {
            match self.interp.condition(&self.code.invariants[i], &mut nofx) {
                Ok(true) => {}
                Ok(false) => {
                    self.run.outcome = Some(Outcome::InitialState {
                        invariant: inv.qualified.clone(),
                        failure: None,
                    });
                    return;
                }
                Err(f) => {
                    self.run.outcome = Some(Outcome::InitialState {
                        invariant: inv.qualified.clone(),
                        failure: Some(f),
                    });
                    return;
                }
            }
        }
        self.run.quiescent = self.interp.state.clone();
        for g in 0..self.program.goals.len() as GoalId {
            self.consider_goal(g, 0);
        }
    }

    fn priority_of_event(&self, kind: &EventKind) -> Priority {
        match kind {
            EventKind::Message { handler, .. } => self.handler_priority[*handler as usize],
            EventKind::Repair { goal } => {
                let domain = self.program.goals[*goal as usize].domain;
                self.program.domains[domain as usize].priority
            }
        }
    }

    fn enqueue(&mut self, kind: EventKind, root: Option<GoalId>, retry: u32, due: u64, cause: u64) {
        let now = self.tau();
        self.enqueue_at(kind, root, retry, due, cause, now);
    }

    /// [`Runtime::enqueue`] with the current time `now` given (a cycle's
    /// sends are enqueued at the time the cycle ran).
    fn enqueue_at(
        &mut self,
        kind: EventKind,
        root: Option<GoalId>,
        retry: u32,
        due: u64,
        cause: u64,
        now: u64,
    ) {
        let p = self.priority_of_event(&kind);
        if let Some(r) = root {
            self.run.in_progress[r as usize] += 1;
        }
        let seq = self.run.seq;
        self.run.seq += 1;
        self.run.queue.push(
            p,
            Event {
                kind,
                root,
                retry,
                due,
                seq,
                cause,
                enqueued_at: self.run.cycle,
            },
            now,
        );
    }

    fn tau(&self) -> u64 {
        self.interp.tick as u64
    }

    /// Goal `g`'s truth as shown to observers and front ends: evaluating it
    /// changes nothing (a failing predicate shows as false; the run itself
    /// meets the failure where the scheduler evaluates the goal).
    fn goal_shown(&mut self, g: GoalId) -> bool {
        let mut nofx = sim::Unbound;
        matches!(
            self.interp
                .condition(&self.code.goals[g as usize], &mut nofx),
            Ok(true)
        )
    }

    /// Whether goal `g` holds. A predicate that fails is not "false": the
    /// run halts with E009 (the first failure is kept), and the goal counts
    /// as holding so that nothing is enqueued for it.
    fn goal_holds(&mut self, g: GoalId) -> bool {
        let mut nofx = sim::Unbound;
        match self
            .interp
            .condition(&self.code.goals[g as usize], &mut nofx)
        {
            Ok(b) => b,
            Err(failure) => {
                if !matches!(self.run.outcome, Some(Outcome::GoalFailed { .. })) {
                    self.run.outcome = Some(Outcome::GoalFailed {
                        goal: g,
                        cycle: self.run.cycle,
                        failure,
                    });
                }
                true
            }
        }
    }

    /// Enqueues goal `g`'s repair if it is false, not yielded, has a repair
    /// and has nothing in progress.
    fn consider_goal(&mut self, g: GoalId, cause: u64) {
        let gi = g as usize;
        if self.run.yielded[gi]
            || self.run.in_progress[gi] > 0
            || self.program.goals[gi].repair.is_none()
        {
            return;
        }
        if !self.goal_holds(g) {
            let due = self.tau();
            self.enqueue(EventKind::Repair { goal: g }, Some(g), 0, due, cause);
        }
    }

    /// The goals that are false and not yielded.
    pub fn false_goals(&mut self) -> Vec<GoalId> {
        let mut out = Vec::new();
        for g in 0..self.program.goals.len() as GoalId {
            if !self.run.yielded[g as usize] && !self.goal_holds(g) {
                out.push(g);
            }
        }
        out
    }

    /// Queues an external message (the REPL's `send`, `--input`): due now,
    /// with no causal root. A run that had ended goes on.
    pub fn send_external(&mut self, handler: ir::HandlerId, args: queue::Args) {
        self.run.external_input = true;
        self.run.inputs_delivered += 1;
        let due = self.tau();
        let cycle = self.run.cycle;
        self.enqueue(EventKind::Message { handler, args }, None, 0, due, cycle);
        if matches!(
            self.run.outcome,
            Some(Outcome::Converged) | Some(Outcome::Stuck { .. })
        ) {
            self.run.outcome = None;
        }
    }

    /// Saves where the run is (between cycles). Costs O(variables + queue).
    pub fn checkpoint(&mut self) -> Checkpoint {
        let hash = self.hasher.state();
        let mut c = self.capture(hash);
        c.detector = self.detector.clone();
        c
    }

    /// A checkpoint with the given hashing state and no detector memory
    /// (what the detector's bases are: re-executions neither hash nor
    /// detect).
    fn capture(&self, hash: sha2::Sha256) -> Checkpoint {
        Checkpoint {
            run: self.run.clone(),
            state: self.interp.state.clone(),
            tick: self.interp.tick,
            next_effect_id: self.interp.next_effect_id,
            hash,
            detector: Detector::default(),
        }
    }

    /// Puts the run back at a checkpoint of this branch (earlier or later).
    /// The detector's memory comes back with it (a persistent structure).
    pub fn restore(&mut self, c: &Checkpoint) {
        self.restore_state(c);
        self.hasher = hash::RunHasher::with_state(c.hash.clone());
    }

    /// Saves where the run is without its hashing state (the exploration
    /// re-records the paths it reports; nothing else reads the hash).
    pub(crate) fn checkpoint_unhashed(&mut self) -> Checkpoint {
        let mut c = self.capture(sha2::Sha256::default());
        c.detector = self.detector.clone();
        c
    }

    /// Puts the run back at a checkpoint and stops hashing (see
    /// [`Runtime::checkpoint_unhashed`]): no hashing thread, no round trip
    /// to it per checkpoint.
    pub(crate) fn restore_unhashed(&mut self, c: &Checkpoint) {
        self.restore_state(c);
        if !self.hasher.is_discarding() {
            self.hasher = hash::RunHasher::discarding();
        }
    }

    /// [`Runtime::restore`] without the hashing state.
    fn restore_state(&mut self, c: &Checkpoint) {
        self.detector = c.detector.clone();
        self.replay_to = None;
        self.run = c.run.clone();
        self.interp.state = c.state.clone();
        self.interp.tick = c.tick;
        self.interp.next_effect_id = c.next_effect_id;
    }

    /// Clears a budget ending so that stepping can go on (the REPL's `:step`
    /// after `:run N`).
    pub fn resume(&mut self) {
        if matches!(self.run.outcome, Some(Outcome::Budget { .. })) {
            self.run.outcome = None;
        }
    }

    pub fn run_hash(&mut self) -> String {
        self.hasher.hex()
    }

    /// Every variable's current value, by variable id (declaration order:
    /// `program.vars`).
    pub fn state(&self) -> &[Value] {
        &self.interp.state
    }

    /// Cycles run so far.
    pub fn cycle(&self) -> u64 {
        self.run.cycle
    }

    /// How the run ended, once it has.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.run.outcome.as_ref()
    }

    /// The logical clock τ.
    pub fn tick(&self) -> i64 {
        self.interp.tick
    }

    pub fn queue(&self) -> &Queue {
        &self.run.queue
    }

    /// Runs until the run ends.
    pub fn run(&mut self) -> &Outcome {
        self.run_with_inputs(&[])
    }

    /// With [`Options::hold_time`]: the due time τ must reach for the run to
    /// go on, when nothing is ready now and a timer or retry waits.
    pub fn waiting_for(&self) -> Option<u64> {
        if self.run.outcome.is_some() {
            return None;
        }
        let due = self.run.queue.earliest_due()?;
        (due > self.tau()).then_some(due)
    }

    /// Moves τ forward to `to` (a live run's journaled time decision). τ
    /// never goes back: an earlier `to` changes nothing.
    pub fn advance_time(&mut self, to: u64) {
        let to = to.min(i64::MAX as u64) as i64;
        if to > self.interp.tick {
            self.interp.tick = to;
            self.run.time_advances += 1;
        }
    }

    /// Runs at most one cycle (or ends the run).
    pub fn step(&mut self) {
        if self.run.queue.len() as u64 > self.options.max_queue && self.run.outcome.is_none() {
            self.run.outcome = Some(Outcome::QueueLimit {
                limit: self.options.max_queue,
                cycle: self.run.cycle,
            });
        }
        while self.run.outcome.is_none() {
            if self.options.detect_oscillation {
                self.maybe_base();
            }
            let tau = self.tau();
            // Borrowed where it was popped, not moved out: moving the event
            // cost a stalled copy on every cycle.
            let popped = self.run.queue.pop_ready(tau);
            let Some(ev) = &popped else {
                if let Some(d) = self.run.queue.earliest_due() {
                    if self.options.hold_time {
                        return; // waiting: the caller advances time
                    }
                    self.interp.tick = d as i64;
                    continue;
                }
                let f = self.false_goals();
                if self.run.outcome.is_some() {
                    return; // a goal's predicate failed (E009)
                }
                self.run.outcome = Some(if f.is_empty() {
                    Outcome::Converged
                } else {
                    Outcome::Stuck { goals: f }
                });
                return;
            };
            let prio = self.priority_of_event(&ev.kind);
            if let Some(r) = ev.root {
                self.run.in_progress[r as usize] =
                    self.run.in_progress[r as usize].saturating_sub(1);
            }
            if let EventKind::Repair { goal } = ev.kind {
                if self.goal_holds(goal) {
                    continue; // dropped without a cycle
                }
                if self.options.detect_oscillation {
                    let t = self.run.cycle + 1;
                    let repeat = if self.confirm.is_some() {
                        // A re-execution: compare at the candidate cycles.
                        if self.confirming_at(t, ev) {
                            self.run.outcome = Some(Outcome::Converged);
                            return;
                        }
                        Repeat::No
                    } else if self.probe.is_some() {
                        self.probe_at(t, ev);
                        Repeat::No
                    } else if let Some(to) = self.replay_to.as_ref() {
                        // A rewound run: the loop is handled where it closed.
                        if to.t <= t {
                            let to = self.replay_to.take();
                            to.map_or(Repeat::No, |to| Repeat::Loop((to.mu, to.repairs)))
                        } else {
                            Repeat::No
                        }
                    } else {
                        self.repeats(t, &ev.kind, ev.retry)
                    };
                    if let Repeat::Rewound = repeat {
                        continue;
                    }
                    if let Repeat::Loop((mu, r)) = repeat {
                        if self.on_loop(mu, t, r) && !self.run.yielded[goal as usize] {
                            // Put the repair back where it was; the loop is broken.
                            if let Some(r) = ev.root {
                                self.run.in_progress[r as usize] += 1;
                            }
                            let now = self.tau();
                            self.run.queue.push(prio, ev.clone(), now);
                        }
                        continue;
                    }
                }
            }
            if self.run.cycle >= self.options.max_cycles {
                if let Some(to) = self.loop_within_budget_from(prio, ev) {
                    self.rewind(to);
                    continue;
                }
                let now = self.tau();
                self.run.queue.push(prio, ev.clone(), now);
                let goals = self.false_goals();
                if self.run.outcome.is_none() {
                    self.run.outcome = Some(Outcome::Budget { goals });
                }
                return;
            }
            self.run_cycle(prio, ev);
            return;
        }
    }

    /// [`Runtime::loop_within_budget`] at the boundary before `ev`, which
    /// was popped: it is put back for the look-ahead, then taken out again.
    fn loop_within_budget_from(&mut self, prio: Priority, ev: &Event) -> Option<ReplayTo> {
        self.detector.brent.as_ref()?;
        if let Some(r) = ev.root {
            self.run.in_progress[r as usize] += 1;
        }
        let now = self.tau();
        self.run.queue.push(prio, ev.clone(), now);
        let found = self.loop_within_budget();
        let _ = self.run.queue.pop_ready(now);
        if let Some(r) = ev.root {
            self.run.in_progress[r as usize] -= 1;
        }
        found
    }

    fn run_cycle(&mut self, prio: Priority, ev: &Event) {
        self.run.cycle += 1;
        let cycle = self.run.cycle;
        let wait = cycle.saturating_sub(ev.enqueued_at + 1);
        let w = &mut self.run.max_wait[prio as usize];
        *w = (*w).max(wait);
        let program = self.program;
        let start_tick = self.interp.tick;
        self.interp.begin();
        let (result, repair_of) = match &ev.kind {
            EventKind::Message { handler, args } => (
                self.interp
                    .run_body(&self.code.handlers[*handler as usize], args, &mut *self.fx),
                None,
            ),
            EventKind::Repair { goal } => {
                let r = match &self.code.repairs[*goal as usize] {
                    Some(b) => self.interp.run_body(b, &[], &mut *self.fx),
                    None => vm::Exit::Done,
                };
                (r, Some(*goal))
            }
        };
        let observed = self.observer.is_some();
        let mut writes = observed.then(|| std::mem::take(&mut self.writes_buf));
        let mut changed = std::mem::take(&mut self.changed);
        let result = match result {
            vm::Exit::Failed => Err(self.interp.take_failure()),
            vm::Exit::Invariant(i) => {
                let inv = &program.invariants[i as usize];
                Err(Failure {
                    kind: failure::FailureKind::Invariant(inv.qualified.clone()),
                    span: inv.span,
                })
            }
            _ if program.uses_tick => self.check_invariants(&ev.kind),
            _ => Ok(()),
        };
        // Hash: cycle, event, outcome, writes.
        hash::encode_event(&mut self.hasher.buf, cycle, &ev.kind);
        if let Some(g) = repair_of {
            self.confirm_saw_repair(g);
            self.run.repair_runs[g as usize] += 1;
        }
        match result {
            Ok(()) => {
                hash::encode_committed(&mut self.hasher.buf);
                let records = writes.as_mut();
                self.interp.commit(
                    &mut self.hasher.buf,
                    &mut changed,
                    &self.read_by_goal,
                    records,
                );
                let tau = self.tau();
                let root = repair_of.or(ev.root);
                let sends = observed.then(|| std::mem::take(&mut self.interp.sends));
                self.interp.tick += 1;
                // The observer sees the sends before they move into the queue
                // (no copy); goals are evaluated at the new time.
                if observed {
                    let goals = self.goal_changes(&changed);
                    self.notify(CycleRecord {
                        cycle,
                        tick: start_tick,
                        event: ev,
                        failure: None,
                        retried: false,
                        writes: writes.as_deref().unwrap_or_default(),
                        sends: sends.as_deref().unwrap_or_default(),
                        send_tick: tau,
                        goals: &goals,
                    });
                }
                if let Some(s) = sends {
                    self.interp.sends = s;
                }
                if !self.interp.sends.is_empty() {
                    self.enqueue_sends(root, tau, cycle);
                }
                if self.run.queue.is_empty() {
                    self.run.quiescent = self.interp.state.clone();
                }
                let wakes = !changed.is_empty()
                    || root.is_some_and(|r| self.run.in_progress[r as usize] == 0)
                    || self.options.evaluate_all_goals
                    || self.program.uses_tick;
                if wakes {
                    self.reevaluate(&changed, root, cycle);
                }
            }
            Err(failure) => {
                let failure_copy = failure.clone();
                hash::encode_failed(&mut self.hasher.buf, failure.kind.name());
                self.interp.rollback();
                let domain = match &ev.kind {
                    EventKind::Message { handler, .. } => {
                        program.handlers[*handler as usize].domain
                    }
                    EventKind::Repair { goal } => program.goals[*goal as usize].domain,
                };
                let limit = program.domains[domain as usize].retry;
                // A backoff that would take τ past its range cannot be
                // waited for: the retries have run out.
                let due = self
                    .interp
                    .tick
                    .checked_add(1i64 << ev.retry.min(62))
                    .filter(|d| *d < i64::MAX);
                if let (true, Some(due)) = (ev.retry < limit, due) {
                    self.run.retries += 1;
                    self.enqueue(ev.kind.clone(), ev.root, ev.retry + 1, due as u64, ev.cause);
                } else {
                    let failed = self.interp.state.clone();
                    let diff: Vec<Write> = failed
                        .iter()
                        .zip(&self.run.quiescent)
                        .enumerate()
                        .filter(|(_, (a, b))| a != b)
                        .map(|(v, (a, b))| Write {
                            var: v as VarId,
                            old: b.clone(),
                            new: a.clone(),
                        })
                        .collect();
                    self.interp.state = self.run.quiescent.clone();
                    self.run.outcome = Some(Outcome::RetriesExhausted {
                        cycle,
                        event: self.describe(&ev.kind),
                        failure,
                        diff,
                    });
                }
                // A failed cycle changes nothing, but its root may have drained.
                if let Some(r) = ev.root {
                    if self.run.outcome.is_none() && self.run.in_progress[r as usize] == 0 {
                        self.consider_goal(r, cycle);
                    }
                }
                if self.observer.is_some() {
                    let retried = self.run.outcome.is_none();
                    self.notify(CycleRecord {
                        cycle,
                        tick: start_tick,
                        event: ev,
                        failure: Some(&failure_copy),
                        retried,
                        writes: &[],
                        sends: &[],
                        send_tick: start_tick as u64,
                        goals: &[],
                    });
                }
            }
        }
        self.hasher.maybe_flush();
        if let Some(w) = writes {
            self.writes_buf = w;
        }
        self.changed = changed;
    }

    /// Moves a committed cycle's sends into the queue, in order.
    fn enqueue_sends(&mut self, root: Option<GoalId>, tau: u64, cycle: u64) {
        if let Some(r) = root {
            self.run.in_progress[r as usize] += self.interp.sends.len() as u32;
        }
        let Runtime {
            interp,
            run: RunState { queue, seq, .. },
            handler_priority,
            ..
        } = self;
        for s in interp.sends.drain(..) {
            let event = Event {
                kind: EventKind::Message {
                    handler: s.handler,
                    args: s.args,
                },
                root,
                retry: 0,
                due: tau + s.after,
                seq: *seq,
                cause: cycle,
                enqueued_at: cycle,
            };
            *seq += 1;
            queue.push(handler_priority[s.handler as usize], event, tau);
        }
    }

    /// In a program that reads `tick`: checks the state the commit would
    /// leave, at τ + 1, against the invariants that read a variable this
    /// cycle assigned and those that read `tick` (whose input changes at
    /// every commit). A commit at the last representable τ fails with an
    /// overflow. (Programs that do not read `tick` have each body check the
    /// invariants that read a variable it may assign: every committed state
    /// satisfies every invariant, so that is the same.)
    fn check_invariants(&mut self, kind: &EventKind) -> Result<(), Failure> {
        let Some(next) = self.interp.tick.checked_add(1) else {
            let span = match kind {
                EventKind::Message { handler, .. } => self.program.handlers[*handler as usize].span,
                EventKind::Repair { goal } => self.program.goals[*goal as usize].span,
            };
            return Err(Failure {
                kind: failure::FailureKind::Overflow,
                span,
            });
        };
        let mut nofx = sim::Unbound;
        let mut to_check: smallvec::SmallVec<[u32; 8]> = self
            .interp
            .touched_vars()
            .flat_map(|v| self.invariant_readers[v as usize].iter().copied())
            .collect();
        to_check.extend(self.tick_invariants.iter().copied());
        to_check.sort_unstable();
        to_check.dedup();
        let now = self.interp.tick;
        self.interp.tick = next;
        let mut result = Ok(());
        for &i in &to_check {
            let inv = &self.program.invariants[i as usize];
            match self
                .interp
                .condition(&self.code.invariants[i as usize], &mut nofx)
            {
                Ok(true) => {}
                Ok(false) => {
                    result = Err(Failure {
                        kind: failure::FailureKind::Invariant(inv.qualified.clone()),
                        span: inv.span,
                    });
                    break;
                }
                Err(f) => {
                    result = Err(f);
                    break;
                }
            }
        }
        self.interp.tick = now;
        result
    }

    /// After a commit: goals whose reads were written, or whose work drained.
    fn reevaluate(&mut self, changed: &[VarId], root: Option<GoalId>, cycle: u64) {
        let mut goals: Vec<GoalId> = if self.options.evaluate_all_goals || self.program.uses_tick {
            (0..self.program.goals.len() as GoalId).collect()
        } else {
            let mut g: Vec<GoalId> = changed
                .iter()
                .flat_map(|v| self.readers[*v as usize].iter().copied())
                .collect();
            if let Some(r) = root {
                if self.run.in_progress[r as usize] == 0 {
                    g.push(r);
                }
            }
            g
        };
        goals.sort_unstable();
        goals.dedup();
        for g in goals {
            self.consider_goal(g, cycle);
        }
    }

    /// `Domain.handler(args)` or `repair Domain.goal`, for reports.
    pub fn describe(&self, kind: &EventKind) -> String {
        kind.describe(self.program)
    }
}
