//! The queue Q: pending events ordered by ≺ = (priority, due, sequence number).
//! One ordered map per priority; the next event is the first ready one of the
//! highest priority that has one.

use std::collections::BTreeMap;

use crate::ir::{GoalId, HandlerId, Priority};
use crate::value::Value;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Message {
        handler: HandlerId,
        args: Vec<Value>,
    },
    Repair {
        goal: GoalId,
    },
}

/// A pending event. `root` is the goal at the root of its causal chain (none
/// for the initial state's and external input's messages).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    pub kind: EventKind,
    pub root: Option<GoalId>,
    pub retry: u32,
    pub due: u64,
    pub seq: u64,
    /// The cycle whose commit enqueued it (0: the start).
    pub cause: u64,
    /// The cycle in which it was enqueued, for the starvation report.
    pub enqueued_at: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Queue {
    by_priority: [BTreeMap<(u64, u64), Event>; 5],
    len: usize,
}

fn slot(p: Priority) -> usize {
    p as usize
}

impl Queue {
    pub fn push(&mut self, priority: Priority, e: Event) {
        self.by_priority[slot(priority)].insert((e.due, e.seq), e);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes and returns min≺ of the events due at or before `now`.
    pub fn pop_ready(&mut self, now: u64) -> Option<(Priority, Event)> {
        for p in Priority::ALL {
            let q = &mut self.by_priority[slot(p)];
            if let Some(entry) = q.first_entry() {
                if entry.key().0 <= now {
                    self.len -= 1;
                    return Some((p, entry.remove()));
                }
            }
        }
        None
    }

    /// The earliest due time of any pending event.
    pub fn earliest_due(&self) -> Option<u64> {
        self.by_priority
            .iter()
            .filter_map(|q| q.keys().next().map(|k| k.0))
            .min()
    }

    /// Every event in scheduling order (priority, due, sequence).
    pub fn iter(&self) -> impl Iterator<Item = (Priority, &Event)> {
        Priority::ALL
            .into_iter()
            .flat_map(move |p| self.by_priority[slot(p)].values().map(move |e| (p, e)))
    }

    /// Drops every event rooted at one of `goals`; returns how many.
    pub fn drop_rooted(&mut self, goals: &[GoalId]) -> usize {
        let mut dropped = 0;
        for q in &mut self.by_priority {
            let before = q.len();
            q.retain(|_, e| !e.root.is_some_and(|r| goals.contains(&r)));
            dropped += before - q.len();
        }
        self.len -= dropped;
        dropped
    }
}
