//! How a repeat is proven (LEXUM.md §4): the fingerprint of a repair
//! cycle's configuration, its digest and key for the detector's memory
//! ([`super::detect`]), and the re-execution from a kept base that confirms
//! a key match by exact equality, or refutes it.

use std::sync::Arc;

use super::detect::{self, Brent, Detector, DetectorRecord, Epoch};
use super::queue::{Event, EventKind};
use super::{hash, sim, Checkpoint, Options, Outcome, Runtime, Yield};
use crate::ir::{GoalId, Priority};
use crate::value::Value;

/// A queued event as a configuration holds it (see [`Runtime::relative_queue`]).
pub(crate) type QueuedConfig = (Priority, EventKind, Option<GoalId>, u32, u64);

/// The part of the configuration that decides the rest of the run, modulo time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint {
    /// The repair about to run, with its retry count: a failing repair's
    /// retry is not a repeat of its first attempt (the count decides
    /// between another retry and E007).
    current: EventKind,
    current_retry: u32,
    state: Vec<Value>,
    queue: Vec<QueuedConfig>,
    in_progress: Vec<u32>,
    yielded: Vec<bool>,
    next_effect: u64,
    tick: Option<i64>,
}

/// A proven repeat: the earlier cycle μ, and the goals whose repairs ran
/// from μ up to the repeat.
type Proven = (u64, Vec<GoalId>);

/// What the detector says about a repair cycle about to run.
pub(super) enum Repeat {
    No,
    /// Its configuration is that of the earlier cycle μ: handle the loop now.
    Loop(Proven),
    /// The loop closed at an earlier cycle: the run went back to Brent's base
    /// and replays to it ([`Runtime::replay_to`] says where).
    Rewound,
}

/// A replica that reports each repair cycle's configuration before running
/// it (finding μ by Brent's method).
#[derive(Default)]
pub(super) struct Probe {
    seen: Option<(u64, Fingerprint)>,
    /// When set, the goals whose repairs ran.
    repairs: Option<Vec<GoalId>>,
}

/// A replica that looks past the cycle budget for a loop that closed
/// within it ([`Runtime::loop_within_budget`]).
pub(super) struct Lookahead {
    /// The last Brent index to look at.
    until: u64,
    found: Option<ReplayTo>,
}

/// Where a rewound run handles the loop it found: at cycle `t`, a repeat
/// of cycle `mu`, with the goals repaired in between.
pub(super) struct ReplayTo {
    pub mu: u64,
    pub t: u64,
    pub repairs: Vec<GoalId>,
}

/// What a re-execution looks for: the configuration `target` at one of
/// the `candidates` (sorted) cycles.
pub(super) struct Confirm {
    candidates: Vec<u64>,
    target: Fingerprint,
    found: Option<u64>,
    /// The repair cycle being confirmed (t), and the goals whose repairs
    /// ran from the found cycle up to it.
    until: u64,
    repairs: Vec<GoalId>,
}

/// A variable's value as Brent's saved configuration keeps it: an integer
/// itself, anything else by its content hash. Holding no collection keeps
/// the running state's collections uniquely owned, so they are written in
/// place; a match of hashes is only a candidate, proven by re-execution
/// ([`Runtime::locate`] compares whole configurations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Int(i64),
    Hash(u128),
}

/// Brent's saved configuration: its cycle, the variables as [`Slot`]s, and
/// the rest of the configuration (whose `state` is left empty).
#[derive(Clone, Debug)]
pub(crate) struct Saved {
    pub cycle: u64,
    state: Vec<Slot>,
    rest: Fingerprint,
}

/// Whether `values` match the saved slots (integers first: most
/// configurations differ from the saved one in an integer).
#[inline]
fn same_slots(slots: &[Slot], values: &[Value]) -> bool {
    slots.len() == values.len()
        && slots.iter().zip(values).all(|(s, v)| match (s, v) {
            (Slot::Int(p), Value::Int(q)) => p == q,
            (Slot::Int(_), _) | (_, Value::Int(_)) => false,
            (Slot::Hash(h), v) => *h == v.content_hash(),
        })
}

fn encode_kind(b: &mut Vec<u8>, k: &EventKind) {
    match k {
        EventKind::Message { handler, args } => {
            b.push(1);
            b.extend_from_slice(&handler.to_le_bytes());
            b.extend_from_slice(&(args.len() as u32).to_le_bytes());
            for a in args {
                b.extend_from_slice(&a.content_hash().to_le_bytes());
            }
        }
        EventKind::Repair { goal } => {
            b.push(2);
            b.extend_from_slice(&goal.to_le_bytes());
        }
    }
}

impl<'p> Runtime<'p> {
    /// Puts back detector memory read from disk, after [`Runtime::restore`]
    /// (whose checkpoint brought the epoch's first base). Records from
    /// before that base belong to earlier epochs and can never match again.
    pub fn restore_detector(&mut self, records: &[DetectorRecord]) {
        let Some(start) = self.detector.first_base().map(|b| b.cycle()) else {
            return;
        };
        for r in records {
            match *r {
                DetectorRecord::Fingerprint { cycle, digest } if cycle > start => {
                    let key = detect::key_of(&digest, self.options.digest_bits);
                    self.detector.remember(key, cycle);
                }
                _ => {}
            }
        }
        self.detector.next_base = self.detector.count + self.detector.stride;
    }

    /// The queue as a configuration holds it: each event's priority, kind,
    /// root, retry count and due time relative to τ, in scheduling order.
    pub(crate) fn relative_queue(&self) -> Vec<QueuedConfig> {
        let tau = self.tau();
        self.run
            .queue
            .iter()
            .map(|(p, e)| {
                (
                    p,
                    e.kind.clone(),
                    e.root,
                    e.retry,
                    e.due.saturating_sub(tau),
                )
            })
            .collect()
    }

    pub(super) fn fingerprint(&self, current: &EventKind, current_retry: u32) -> Fingerprint {
        Fingerprint {
            current: current.clone(),
            current_retry,
            state: self.interp.state.clone(),
            queue: self.relative_queue(),
            in_progress: self.run.in_progress.clone(),
            yielded: self.run.yielded.clone(),
            next_effect: self.interp.next_effect_id,
            tick: if self.program.uses_tick || self.inputs_scheduled() {
                Some(self.interp.tick)
            } else {
                None
            },
        }
    }

    /// sha256 over the configuration with each value replaced by its
    /// 128-bit content hash ([`Value::content_hash`], O(1) per value), so a
    /// digest costs O(variables + queue) however big the collections, and
    /// nothing is copied. A digest only finds candidates; equality is
    /// confirmed on whole configurations ([`Runtime::confirm_repeat`]).
    fn digest_now(&mut self, current: &EventKind, current_retry: u32) -> [u8; 32] {
        use sha2::Digest;
        let tau = self.tau();
        let mut b = std::mem::take(&mut self.fp_buf);
        b.clear();
        encode_kind(&mut b, current);
        b.extend_from_slice(&current_retry.to_le_bytes());
        for v in &self.interp.state {
            b.extend_from_slice(&v.content_hash().to_le_bytes());
        }
        b.extend_from_slice(&(self.run.queue.len() as u64).to_le_bytes());
        for (p, e) in self.run.queue.iter() {
            b.push(p as u8);
            encode_kind(&mut b, &e.kind);
            b.extend_from_slice(&e.root.map_or(u64::MAX, u64::from).to_le_bytes());
            b.extend_from_slice(&e.retry.to_le_bytes());
            b.extend_from_slice(&e.due.saturating_sub(tau).to_le_bytes());
        }
        for n in &self.run.in_progress {
            b.extend_from_slice(&n.to_le_bytes());
        }
        b.extend(self.run.yielded.iter().map(|y| *y as u8));
        b.extend_from_slice(&self.interp.next_effect_id.to_le_bytes());
        let d = sha2::Sha256::digest(&b).into();
        self.fp_buf = b;
        d
    }

    /// Records the fingerprint of cycle `t`; returns the earlier cycle whose
    /// configuration it equals (proven, not hashed).
    pub(super) fn repeats(&mut self, t: u64, current: &EventKind, current_retry: u32) -> Repeat {
        // With τ in the configuration nothing can repeat: τ only stands still
        // across failed cycles, and each of those raises a retry count (or
        // ends the run in E007). So such programs keep no table at all.
        if self.program.uses_tick || self.inputs_scheduled() {
            return Repeat::No;
        }
        if self.detector.brent.is_some() {
            return self.brent_step(t, current, current_retry);
        }
        match self.table_step(t, current, current_retry) {
            Some(p) => Repeat::Loop(p),
            None => Repeat::No,
        }
    }

    /// The table's phase: remembers cycle `t`'s key, and proves a repeat of
    /// an earlier cycle with the same key by re-execution.
    fn table_step(&mut self, t: u64, current: &EventKind, current_retry: u32) -> Option<Proven> {
        let digest = self.digest_now(current, current_retry);
        let key = detect::key_of(&digest, self.options.digest_bits);
        let candidates = self.detector.candidates(key, t);
        if !candidates.is_empty() {
            let now = self.fingerprint(current, current_retry);
            if let Some(found) = self.confirm_repeat(&candidates, now, t) {
                return Some(found);
            }
        }
        self.detector.remember(key, t);
        if let Some(log) = self.detector_log.as_mut() {
            log.push(DetectorRecord::Fingerprint { cycle: t, digest });
        }
        None
    }

    /// Brent's phase: compares cycle `t`'s configuration exactly with the
    /// saved one, and moves the saved one at doubling distances. A match
    /// gives λ; μ and the cycle where the loop closed come from
    /// re-execution ([`Runtime::locate`]), and the run rewinds there.
    fn brent_step(&mut self, t: u64, current: &EventKind, current_retry: u32) -> Repeat {
        let Some(b) = self.detector.brent.as_ref() else {
            return Repeat::No;
        };
        // Borrowed, not cloned: this runs on every repair cycle.
        let back = b
            .saved
            .as_ref()
            .filter(|s| self.is_at(s, current, current_retry))
            .map(|s| (b.lam + 1, s.cycle));
        if let Some((lam, saved)) = back {
            {
                match self.locate(lam, saved) {
                    Some(found) if self.lookahead.is_some() => {
                        if let Some(l) = self.lookahead.as_mut() {
                            l.found = Some(found);
                        }
                        self.run.outcome = Some(Outcome::Converged);
                        return Repeat::No;
                    }
                    Some(found) if found.t == t => return Repeat::Loop((found.mu, found.repairs)),
                    Some(found) => {
                        self.rewind(found);
                        return Repeat::Rewound;
                    }
                    // Equal configurations with no repeat behind them: only
                    // a forged snapshot gives that. Go on.
                    None => {}
                }
            }
        }
        let Some(b) = self.detector.brent.as_mut() else {
            return Repeat::No;
        };
        b.lam += 1;
        b.index += 1;
        if let Some(l) = self.lookahead.as_ref() {
            if b.index > l.until {
                self.run.outcome = Some(Outcome::Converged);
                return Repeat::No;
            }
        }
        let Some(b) = self.detector.brent.as_mut() else {
            return Repeat::No;
        };
        let save = b.saved.is_none() || b.lam >= b.power;
        if save {
            self.save_brent(t, current, current_retry);
        }
        Repeat::No
    }

    /// Brent's saved configuration moves to cycle `t` (at doubling
    /// distances: kept out of line).
    #[cold]
    #[inline(never)]
    fn save_brent(&mut self, t: u64, current: &EventKind, current_retry: u32) {
        let mut rest = self.fingerprint(current, current_retry);
        let state = std::mem::take(&mut rest.state)
            .iter()
            .map(|v| match v {
                Value::Int(i) => Slot::Int(*i),
                v => Slot::Hash(v.content_hash()),
            })
            .collect();
        if let Some(b) = self.detector.brent.as_mut() {
            if b.saved.is_some() {
                b.power = b.power.saturating_mul(2);
            }
            b.lam = 0;
            b.saved = Some(Arc::new(Saved {
                cycle: t,
                state,
                rest,
            }));
        }
    }

    /// Whether the configuration now, about to run `current`, is `f`
    /// (compared in place, cheapest fields first: most cycles differ from
    /// the saved one in a counter or a variable).
    fn is_at(&self, saved: &Saved, current: &EventKind, current_retry: u32) -> bool {
        let tau = self.tau();
        let f = &saved.rest;
        f.current_retry == current_retry
            && f.next_effect == self.interp.next_effect_id
            && f.queue.len() == self.run.queue.len()
            && same_slots(&saved.state, &self.interp.state)
            && f.current == *current
            && f.in_progress == self.run.in_progress
            && f.yielded == self.run.yielded
            && f.queue
                .iter()
                .zip(self.run.queue.iter())
                .all(|((p, k, g, r, d), (q, e))| {
                    *p == q
                        && *k == e.kind
                        && *g == e.root
                        && *r == e.retry
                        && *d == e.due.saturating_sub(tau)
                })
    }

    /// A replica of this run at `base` that neither hashes, detects nor
    /// calls effects (within an epoch none are called).
    fn replica(&self, base: &Checkpoint) -> Runtime<'p> {
        let options = Options {
            max_cycles: u64::MAX,
            ..self.options.clone()
        };
        let mut replica = Runtime::build_with(
            self.program,
            options,
            Box::new(sim::Unbound),
            hash::RunHasher::discarding(),
            self.code.clone(),
        );
        replica.restore_state(base);
        replica.detector = Detector::default();
        replica
    }

    /// In a probing replica: runs to the next repair cycle and past it;
    /// returns that cycle and its configuration before it ran.
    fn next_repair(&mut self) -> Option<(u64, Fingerprint)> {
        while self.run.outcome.is_none() {
            self.step();
            if let Some(seen) = self.probe.as_mut().and_then(|p| p.seen.take()) {
                return Some(seen);
            }
        }
        None
    }

    /// Finds a loop of `lam` repair cycles whose configuration at `saved`
    /// recurs: two replicas from the epoch's first base, `lam` repair cycles
    /// apart, run until their configurations are equal (exactly). The first
    /// is then at μ; t is the first cycle after it with μ's configuration.
    /// `None` when they meet nowhere up to `saved` (no real repeat).
    #[cold]
    #[inline(never)]
    fn locate(&self, lam: u64, saved: u64) -> Option<ReplayTo> {
        let first = self.detector.first_base()?.clone();
        let mut a = self.replica(&first);
        let mut b = self.replica(&first);
        a.probe = Some(Box::default());
        b.probe = Some(Box::default());
        for _ in 0..lam {
            b.next_repair()?;
        }
        loop {
            let (mu, fa) = a.next_repair()?;
            let (_, fb) = b.next_repair()?;
            if fa == fb {
                // μ is the loop's start. The distance came from a match of
                // hashes, so it may be a multiple of the period: the first
                // cycle whose configuration is μ's again is t. On the way,
                // the repairs of μ … t − 1 (a has run μ's already).
                let EventKind::Repair { goal } = fa.current else {
                    return None;
                };
                a.probe.as_mut()?.repairs = Some(vec![goal]);
                let t = loop {
                    let (c, f) = a.next_repair()?;
                    if f == fa {
                        break c;
                    }
                };
                let repairs = a.probe.as_mut()?.repairs.take()?;
                return Some(ReplayTo { mu, t, repairs });
            }
            if mu >= saved {
                return None;
            }
        }
    }

    /// The repair cycles the detector has seen in this epoch (its table's
    /// and Brent's). A loop that closed by now is found before this reaches
    /// four times its present value plus two (the table's part, then three
    /// times the rest: see
    /// [`Runtime::loop_within_budget`]); `replay --verify` bounds its
    /// patience with a divergence that a rewind could take back by it.
    #[doc(hidden)]
    pub fn detector_reach(&self) -> u64 {
        self.detector.count + self.detector.brent.as_ref().map_or(0, |b| b.index)
    }

    /// At the cycle budget, in Brent's phase: whether a loop closed within
    /// the budget (or at the cycle after it, which the table would have
    /// seen before the budget ended the run) that Brent's method has not
    /// seen yet. A loop that closed by the epoch's k-th repair cycle has its
    /// period and its start at most k, so the saved configuration reaches it
    /// at a power of two below 2k, and the repeat is seen within 3k of the
    /// phase's repair cycles. A replica looks that far ahead. Then the run
    /// rewinds to it, and ends as a run with the table would have (E005 or
    /// a yield, not the budget).
    pub(super) fn loop_within_budget(&mut self) -> Option<ReplayTo> {
        if self.confirm.is_some() || self.probe.is_some() || self.lookahead.is_some() {
            return None;
        }
        if !self.options.detect_oscillation || self.replay_to.is_some() {
            return None;
        }
        let index = self.detector.brent.as_ref()?.index + self.detector.count;
        let mut here = self.capture(sha2::Sha256::default());
        here.detector = self.detector.clone();
        let mut replica = self.replica(&here);
        replica.detector = here.detector.clone();
        replica.lookahead = Some(Box::new(Lookahead {
            until: index.saturating_mul(3).saturating_add(2),
            found: None,
        }));
        // In a loop that closed by the budget, repair cycles come back at
        // most a period (at most the budget) apart: a longer stretch
        // without one, or a new epoch, means there is none to find.
        let gap = self.options.max_cycles.saturating_add(1);
        let epoch = self.detector.epoch;
        let mut last_repair = replica.run.cycle;
        let mut seen = replica.detector_reach();
        while replica.run.outcome.is_none() {
            replica.step();
            let reach = replica.detector_reach();
            if reach != seen {
                seen = reach;
                last_repair = replica.run.cycle;
            }
            if replica.detector.epoch != epoch
                || replica.detector.brent.is_none()
                || replica.run.cycle - last_repair > gap
            {
                return None;
            }
        }
        let found = replica.lookahead.take()?.found?;
        (found.t <= self.options.max_cycles.saturating_add(1)).then_some(found)
    }

    /// Takes the run back to the boundary where Brent's phase began and
    /// sets it to replay to `to.t`: observers forget the cycles after the
    /// base, the run hash's state is put back, and the detector keeps its
    /// epoch (Brent starts over past the base).
    #[cold]
    #[inline(never)]
    pub(super) fn rewind(&mut self, to: ReplayTo) {
        let Some(brent) = self.detector.brent.clone() else {
            return;
        };
        let mut detector = self.detector.clone();
        let base = brent.base;
        if let Some(o) = self.observer.as_mut() {
            o.rewound(base.cycle());
        }
        if !self.hasher.is_discarding() {
            self.hasher.reset(base.hash.clone());
        }
        self.restore_state(&base);
        detector.brent = Some(Brent::starting_at(base));
        self.detector = detector;
        self.rewinds += 1;
        self.replay_to = Some(Box::new(to));
    }

    /// Whether one of `candidates` (earlier repair cycles of this epoch,
    /// oldest first) had exactly the configuration `now`: re-executes from
    /// the latest base before the oldest candidate, without effects,
    /// observers or hashing, and compares whole configurations there.
    fn confirm_repeat(&self, candidates: &[u64], now: Fingerprint, t: u64) -> Option<Proven> {
        // Candidates grouped by the base they are re-executed from, so each
        // re-execution is at most a stride of the epoch long.
        let mut now = Some(now);
        let mut rest = candidates;
        while let Some(&first) = rest.first() {
            let base = self.detector.base_before(first)?.clone();
            let next = self
                .detector
                .bases
                .iter()
                .find(|b| b.cycle() >= first)
                .map_or(u64::MAX, |b| b.cycle());
            let n = rest.iter().take_while(|c| **c <= next).count();
            let (group, later) = rest.split_at(n);
            rest = later;
            let (found, target) = self.reexecute(&base, group, now.take()?, t)?;
            if found.is_some() {
                return found;
            }
            now = Some(target);
        }
        None
    }

    /// Re-executes from `base` to the last of `group`, comparing the
    /// configuration at each of them with `target`.
    fn reexecute(
        &self,
        base: &Checkpoint,
        group: &[u64],
        target: Fingerprint,
        t: u64,
    ) -> Option<(Option<Proven>, Fingerprint)> {
        let mut replica = self.replica(base);
        replica.confirm = Some(Box::new(Confirm {
            candidates: group.to_vec(),
            target,
            found: None,
            until: t,
            repairs: Vec::new(),
        }));
        while replica.run.outcome.is_none() && replica.run.cycle < t {
            replica.step();
        }
        replica.confirm.map(|c| {
            let Confirm {
                found,
                repairs,
                target,
                ..
            } = *c;
            (found.map(|mu| (mu, repairs)), target)
        })
    }

    /// At a boundary between events: starts a new epoch when the next effect
    /// call id or the yields changed (taking its first base), or takes the
    /// next base when it is due.
    #[inline]
    pub(super) fn maybe_base(&mut self) {
        if self.confirm.is_some()
            || self.probe.is_some()
            || self.program.uses_tick
            || self.inputs_scheduled()
        {
            return;
        }
        let epoch = Epoch {
            effect: self.interp.next_effect_id,
            yields: self.run.yields.len(),
            inputs: self.run.inputs_delivered + self.run.time_advances,
        };
        if self.detector.epoch != Some(epoch) {
            let base = self.capture(sha2::Sha256::default());
            self.detector = Detector::starting(epoch, base);
        } else if self.detector.count >= self.detector.next_base {
            let base = self.capture(sha2::Sha256::default());
            self.detector.add_base(base);
        }
        if self.detector.brent.is_none() && self.detector.count >= self.options.table_limit {
            // Brent's base holds the hash state: a rewind goes back to it.
            let hash = if self.hasher.is_discarding() {
                sha2::Sha256::default()
            } else {
                self.hasher.state()
            };
            let base = self.capture(hash);
            if let Some(o) = self.observer.as_mut() {
                o.mark(base.cycle());
            }
            self.detector.brent = Some(Brent::starting(base));
        }
    }

    /// Handles a proven loop from cycle `mu` to `t`: yield, or E005.
    /// `r` holds the goals whose repairs ran in cycles μ … t − 1, as the
    /// re-execution that proved the loop saw them.
    pub(super) fn on_loop(&mut self, mu: u64, t: u64, mut r: Vec<GoalId>) -> bool {
        r.sort_unstable();
        r.dedup();
        let prio = |g: &GoalId| {
            self.program.domains[self.program.goals[*g as usize].domain as usize].priority
        };
        let highest = r.iter().map(prio).min();
        let lowest = r.iter().map(prio).max();
        match (highest, lowest) {
            (Some(h), Some(l)) if h != l => {
                let winner = *r.iter().find(|g| prio(g) == h).unwrap_or(&r[0]);
                let losers: Vec<GoalId> = r.iter().copied().filter(|g| prio(g) == l).collect();
                for &g in &losers {
                    self.run.yielded[g as usize] = true;
                    self.run.in_progress[g as usize] = 0;
                    let y = Yield {
                        goal: g,
                        to: winner,
                        cycle: t,
                    };
                    if let Some(o) = self.observer.as_mut() {
                        o.yielded(&y);
                    }
                    self.run.yields.push(y);
                    hash::encode_yield(&mut self.hasher.buf, t, g, winner);
                }
                self.run.queue.drop_rooted(&losers);
                true
            }
            _ => {
                self.run.outcome = Some(Outcome::Oscillation {
                    at: t,
                    start: mu,
                    period: t - mu,
                    goals: r,
                });
                false
            }
        }
    }

    /// Whether external inputs arrive on a schedule of cycle counts (a
    /// batch run's `--input`): then a repeat of the configuration proves
    /// nothing, as the schedule goes on. A live run's inputs arrive when
    /// they arrive: a repeat between two of them proves that the run loops
    /// until the next one (each input starts a new epoch, so re-execution
    /// never crosses one).
    fn inputs_scheduled(&self) -> bool {
        self.run.external_input && !self.options.hold_time
    }

    /// In a re-execution, at repair cycle `t` about to run `ev`: notes the
    /// target configuration when it is found; `true` once the re-execution
    /// has seen what it needs (the repeat itself, or the last candidate).
    pub(super) fn confirming_at(&mut self, t: u64, ev: &Event) -> bool {
        let Some(mut c) = self.confirm.take() else {
            return false;
        };
        if c.found.is_none()
            && c.candidates.binary_search(&t).is_ok()
            && self.fingerprint(&ev.kind, ev.retry) == c.target
        {
            c.found = Some(t);
        }
        // Once found, go on to the repeat itself, to see which repairs ran
        // in between.
        let done = match c.found {
            Some(_) => t >= c.until,
            None => c.candidates.last() <= Some(&t),
        };
        self.confirm = Some(c);
        done
    }

    /// In a re-execution past the found configuration: goal `g`'s repair ran.
    pub(super) fn confirm_saw_repair(&mut self, g: GoalId) {
        if let Some(c) = self.confirm.as_mut().filter(|c| c.found.is_some()) {
            c.repairs.push(g);
        }
        if let Some(r) = self.probe.as_mut().and_then(|p| p.repairs.as_mut()) {
            r.push(g);
        }
    }

    /// In a probing replica, at repair cycle `t` about to run `ev`: notes its
    /// configuration.
    pub(super) fn probe_at(&mut self, t: u64, ev: &Event) {
        if self.probe.is_some() {
            let f = self.fingerprint(&ev.kind, ev.retry);
            if let Some(p) = self.probe.as_mut() {
                p.seen = Some((t, f));
            }
        }
    }
}
