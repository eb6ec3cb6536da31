//! The queue Q: pending events ordered by ≺ = (priority, due, sequence number).
//!
//! Per priority, two structures: a FIFO for events due when they were
//! enqueued (plain sends and repairs: τ never decreases and sequence numbers
//! grow, so arrival order *is* (due, seq) order) and an ordered map for timers
//! and retries (due later). The next event of a priority is the smaller of the
//! two fronts; the next event overall is the first ready one of the highest
//! priority. Push and pop are O(1) for plain messages.

use std::collections::{BTreeMap, VecDeque};

use smallvec::SmallVec;

use crate::ir::{GoalId, HandlerId, Priority};
use crate::value::Value;

/// Message arguments: up to two inline, so most messages allocate nothing.
pub type Args = SmallVec<[Value; 2]>;

#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Message { handler: HandlerId, args: Args },
    Repair { goal: GoalId },
}

impl EventKind {
    /// `Domain.handler(args)` or `repair Domain.goal`: how reports, the
    /// REPL and the debugger name an event (ids the program lacks print
    /// as `?`).
    pub fn describe(&self, program: &crate::ir::Program) -> String {
        match self {
            EventKind::Message { handler, args } => format!(
                "{}({})",
                program
                    .handlers
                    .get(*handler as usize)
                    .map_or("?", |h| h.qualified.as_str()),
                args.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            EventKind::Repair { goal } => format!(
                "repair {}",
                program
                    .goals
                    .get(*goal as usize)
                    .map_or("?", |g| g.qualified.as_str())
            ),
        }
    }
}

/// A pending event. `root` is the goal at the root of its causal chain (none
/// for external input).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct Event {
    pub due: u64,
    pub seq: u64,
    /// The cycle whose commit enqueued it (0: the start).
    pub cause: u64,
    /// The cycle count when it was enqueued, for the starvation report.
    pub enqueued_at: u64,
    pub root: Option<GoalId>,
    pub retry: u32,
    pub kind: EventKind,
}

#[derive(Clone, Debug, Default)]
struct Lane {
    now: VecDeque<Event>,
    later: BTreeMap<(u64, u64), Event>,
}

impl Lane {
    fn len(&self) -> usize {
        self.now.len() + self.later.len()
    }

    /// Which front comes first: `Some(true)` the FIFO, `Some(false)` the timers.
    fn front(&self) -> Option<(bool, u64)> {
        let a = self.now.front().map(|e| (e.due, e.seq));
        let b = self.later.keys().next().copied();
        match (a, b) {
            (Some(a), Some(b)) => Some(if a <= b { (true, a.0) } else { (false, b.0) }),
            (Some(a), None) => Some((true, a.0)),
            (None, Some(b)) => Some((false, b.0)),
            (None, None) => None,
        }
    }

    fn sorted(&self) -> Vec<&Event> {
        let mut v: Vec<&Event> = self.now.iter().chain(self.later.values()).collect();
        v.sort_by_key(|e| (e.due, e.seq));
        v
    }
}

#[derive(Clone, Debug, Default)]
pub struct Queue {
    lanes: [Lane; 5],
    len: usize,
}

impl Queue {
    /// Adds an event. `now` is the current τ: an event due then goes to the FIFO.
    pub fn push(&mut self, priority: Priority, e: Event, now: u64) {
        let lane = &mut self.lanes[priority as usize];
        let fifo_ok = lane
            .now
            .back()
            .is_none_or(|b| (b.due, b.seq) < (e.due, e.seq));
        if e.due <= now && fifo_ok {
            lane.now.push_back(e);
        } else {
            lane.later.insert((e.due, e.seq), e);
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes and returns min≺ of the events due at or before `now` (its
    /// priority is its domain's). Returning the event alone, not paired with
    /// its priority, keeps the copy out of the queue aligned: the paired
    /// form cost a stalled load on every cycle.
    #[inline]
    pub fn pop_ready(&mut self, now: u64) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        for lane in self.lanes.iter_mut() {
            if lane.later.is_empty() {
                // Only plain events: the FIFO's front is the lane's first.
                if lane.now.front().is_some_and(|e| e.due <= now) {
                    if let Some(e) = lane.now.pop_front() {
                        self.len -= 1;
                        return Some(e);
                    }
                }
                continue;
            }
            if let Some((fifo, due)) = lane.front() {
                if due <= now {
                    let e = if fifo {
                        lane.now.pop_front()
                    } else {
                        lane.later.pop_first().map(|(_, e)| e)
                    };
                    if let Some(e) = e {
                        self.len -= 1;
                        return Some(e);
                    }
                }
            }
        }
        None
    }

    /// The earliest due time of any pending event.
    pub fn earliest_due(&self) -> Option<u64> {
        self.lanes
            .iter()
            .filter_map(|l| l.front().map(|f| f.1))
            .min()
    }

    /// Every event in scheduling order (priority, due, sequence).
    pub fn iter(&self) -> impl Iterator<Item = (Priority, &Event)> {
        Priority::ALL.into_iter().flat_map(move |p| {
            self.lanes[p as usize]
                .sorted()
                .into_iter()
                .map(move |e| (p, e))
        })
    }

    /// Drops every event rooted at one of `goals`; returns how many.
    pub fn drop_rooted(&mut self, goals: &[GoalId]) -> usize {
        let keep = |e: &Event| !e.root.is_some_and(|r| goals.contains(&r));
        let mut dropped = 0;
        for lane in &mut self.lanes {
            let before = lane.len();
            lane.now.retain(keep);
            lane.later.retain(|_, e| keep(e));
            dropped += before - lane.len();
        }
        self.len -= dropped;
        dropped
    }
}

/// Stored as a list of `[priority, event]` in scheduling order.
impl serde::Serialize for Queue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len))?;
        for (p, e) in self.iter() {
            seq.serialize_element(&(p as u8, e))?;
        }
        seq.end()
    }
}

/// Every event goes back in as if due (the FIFO holds the sorted run of
/// events; anything out of order goes to the timers): the pop order is ≺
/// whatever τ is, so the queue needs no clock to be read back.
impl<'de> serde::Deserialize<'de> for Queue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let events: Vec<(u8, Event)> = Vec::deserialize(d)?;
        let mut q = Queue::default();
        for (p, e) in events {
            let Some(&p) = Priority::ALL.get(p as usize) else {
                return Err(D::Error::custom("an event has an unknown priority"));
            };
            q.push(p, e, u64::MAX);
        }
        Ok(q)
    }
}
