//! How a repeat is proven (LEXUM.md §4): the fingerprint of a repair
//! cycle's configuration, its digest and key for the detector's memory
//! ([`super::detect`]), and the re-execution from a kept base that confirms
//! a key match by exact equality, or refutes it.

use super::detect::{self, Detector, DetectorRecord, Epoch};
use super::queue::{Event, EventKind};
use super::{hash, sim, Checkpoint, Options, Outcome, Runtime, Yield};
use crate::ir::{GoalId, Priority};
use crate::value::Value;

/// A queued event as a configuration holds it (see [`Runtime::relative_queue`]).
pub(crate) type QueuedConfig = (Priority, EventKind, Option<GoalId>, u32, u64);

/// The part of the configuration that decides the rest of the run, modulo time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Fingerprint {
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

impl Runtime<'_> {
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
    pub(super) fn repeats(
        &mut self,
        t: u64,
        current: &EventKind,
        current_retry: u32,
    ) -> Option<Proven> {
        // With τ in the configuration nothing can repeat: τ only stands still
        // across failed cycles, and each of those raises a retry count (or
        // ends the run in E007). So such programs keep no table at all.
        if self.program.uses_tick || self.inputs_scheduled() {
            return None;
        }
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
        if self.confirm.is_some() || self.program.uses_tick || self.inputs_scheduled() {
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
    }
}
