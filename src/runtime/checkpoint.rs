//! A checkpoint: everything [`super::Runtime::restore`] needs to continue a
//! run from a cycle boundary. The REPL keeps them in memory; journaled runs
//! write them to disk as snapshots, through the JSON form here.

use serde_json::{json, Value as Json};

use super::queue::{Args, Event, EventKind, Queue};
use super::{Outcome, Yield};
use crate::ir::{Priority, Program};
use crate::trace::json::{from_json, to_json};
use crate::value::Value;

/// Where a run is, between two cycles. Cloning is O(variables + queue): the
/// values themselves are persistent and shared.
#[derive(Clone)]
pub struct Checkpoint {
    pub cycle: u64,
    pub(crate) state: Vec<Value>,
    pub(crate) tick: i64,
    pub(crate) next_effect_id: u64,
    pub(crate) queue: Queue,
    pub(crate) seq: u64,
    pub(crate) in_progress: Vec<u32>,
    pub(crate) yielded: Vec<bool>,
    pub(crate) yields: Vec<Yield>,
    pub(crate) repair_runs: Vec<u64>,
    pub(crate) hash: sha2::Sha256,
    pub(crate) quiescent: Vec<Value>,
    pub(crate) retries: u64,
    pub(crate) max_wait: [u64; 5],
    pub(crate) outcome: Option<Outcome>,
    pub(crate) external_input: bool,
    pub(crate) goal_truth: Vec<bool>,
    pub(crate) inputs_delivered: u64,
    /// The oscillation detector's memory. Its JSON form keeps only the
    /// epoch's first base: the table comes back from `detector.wal`.
    pub(crate) detector: super::detect::Detector,
}

/// Why a stored checkpoint cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

fn bad<T>(what: &str) -> Result<T, Unreadable> {
    Err(Unreadable(what.to_string()))
}

fn event_json(p: Priority, e: &Event) -> Json {
    let kind = match &e.kind {
        EventKind::Message { handler, args } => {
            json!({"handler": handler, "args": args.iter().map(to_json).collect::<Vec<_>>()})
        }
        EventKind::Repair { goal } => json!({ "goal": goal }),
    };
    json!({
        "priority": p as u8,
        "event": kind,
        "root": e.root,
        "retry": e.retry,
        "due": e.due,
        "seq": e.seq,
        "cause": e.cause,
        "enqueued_at": e.enqueued_at,
    })
}

fn u64_of(j: &Json, key: &str) -> Result<u64, Unreadable> {
    j.get(key)
        .and_then(Json::as_u64)
        .ok_or_else(|| Unreadable(format!("`{key}` is missing or not a count")))
}

fn event_of(j: &Json, program: &Program) -> Result<(Priority, Event), Unreadable> {
    let p = u64_of(j, "priority")? as usize;
    let Some(&priority) = Priority::ALL.get(p) else {
        return bad("an event has an unknown priority");
    };
    let ev = j.get("event").unwrap_or(&Json::Null);
    let kind = if let Some(h) = ev.get("handler").and_then(Json::as_u64) {
        if h as usize >= program.handlers.len() {
            return bad("an event names an unknown handler");
        }
        let Some(Json::Array(args)) = ev.get("args") else {
            return bad("a message has no arguments");
        };
        let args: Option<Args> = args.iter().map(from_json).collect();
        let Some(args) = args else {
            return bad("a message argument is not a value");
        };
        EventKind::Message {
            handler: h as u32,
            args,
        }
    } else if let Some(g) = ev.get("goal").and_then(Json::as_u64) {
        if g as usize >= program.goals.len() {
            return bad("an event names an unknown goal");
        }
        EventKind::Repair { goal: g as u32 }
    } else {
        return bad("an event is neither a message nor a repair");
    };
    let root = match j.get("root") {
        Some(Json::Null) | None => None,
        Some(r) => match r.as_u64() {
            Some(g) if (g as usize) < program.goals.len() => Some(g as u32),
            _ => return bad("an event has an unknown root goal"),
        },
    };
    Ok((
        priority,
        Event {
            kind,
            root,
            retry: u64_of(j, "retry")?.min(u32::MAX as u64) as u32,
            due: u64_of(j, "due")?,
            seq: u64_of(j, "seq")?,
            cause: u64_of(j, "cause")?,
            enqueued_at: u64_of(j, "enqueued_at")?,
        },
    ))
}

/// A JSON array read with `f`, of exactly `n` entries when `n` is given.
fn list_of<T>(
    j: Option<&Json>,
    n: Option<usize>,
    f: impl Fn(&Json) -> Option<T>,
) -> Result<Vec<T>, Unreadable> {
    let Some(Json::Array(items)) = j else {
        return bad("a list is missing");
    };
    if n.is_some_and(|n| items.len() != n) {
        return bad("a list has the wrong length");
    }
    items
        .iter()
        .map(|x| f(x).ok_or_else(|| Unreadable("a list entry is unreadable".into())))
        .collect()
}

impl Checkpoint {
    /// How many events its queue holds.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The checkpoint as JSON (the runtime part of a snapshot). The ending is
    /// not stored: snapshots are taken only while the run goes on, or once it
    /// converged or got stuck, which stepping again recomputes from the state.
    pub fn to_json(&self) -> Json {
        let state: Vec<Json> = self.state.iter().map(to_json).collect();
        let quiescent = if self.quiescent == self.state {
            Json::Null
        } else {
            Json::Array(self.quiescent.iter().map(to_json).collect())
        };
        let hash: Vec<u8> = {
            use sha2::digest::common::hazmat::SerializableState;
            self.hash.serialize().to_vec()
        };
        json!({
            "cycle": self.cycle,
            "clock": self.tick,
            "state": state,
            "queue": self.queue.iter().map(|(p, e)| event_json(p, e)).collect::<Vec<_>>(),
            "seq": self.seq,
            "next_effect_id": self.next_effect_id,
            "in_progress": self.in_progress,
            "yielded": self.yielded,
            "yields": self.yields.iter().map(|y| json!([y.goal, y.to, y.cycle])).collect::<Vec<_>>(),
            "repair_runs": self.repair_runs,
            "hasher": hex(&hash),
            "quiescent": quiescent,
            "retries": self.retries,
            "max_wait": self.max_wait,
            "external_input": self.external_input,
            "inputs_delivered": self.inputs_delivered,
            "detector_base": self.detector.first_base().map(|b| b.to_json()),
        })
    }

    /// Reads [`Checkpoint::to_json`]'s form back for `program`, checking every
    /// index against it. `state`, when given, replaces the `state` field
    /// (snapshots store it by domain and decode it directly).
    pub fn from_json(
        j: &Json,
        program: &Program,
        state: Option<Vec<Value>>,
    ) -> Result<Checkpoint, Unreadable> {
        let Json::Object(o) = j else {
            return bad("the checkpoint is not an object");
        };
        let nvars = program.vars.len();
        let ngoals = program.goals.len();
        let state = match state {
            Some(s) if s.len() == nvars => s,
            Some(_) => return bad("a state has the wrong number of variables"),
            None => list_of(o.get("state"), Some(nvars), from_json)?,
        };
        let quiescent = match o.get("quiescent") {
            Some(Json::Null) | None => state.clone(),
            Some(q) => list_of(Some(q), Some(nvars), from_json)?,
        };
        let mut queue = Queue::default();
        let Some(Json::Array(events)) = o.get("queue") else {
            return bad("the queue is missing");
        };
        let tick = o
            .get("clock")
            .and_then(Json::as_i64)
            .ok_or_else(|| Unreadable("the clock is missing".into()))?;
        for e in events {
            let (p, ev) = event_of(e, program)?;
            queue.push(p, ev, tick.max(0) as u64);
        }
        let hash = {
            use sha2::digest::common::hazmat::SerializableState;
            let bytes = o
                .get("hasher")
                .and_then(Json::as_str)
                .and_then(unhex)
                .ok_or_else(|| Unreadable("the hasher state is unreadable".into()))?;
            let arr = bytes
                .as_slice()
                .try_into()
                .map_err(|_| Unreadable("the hasher state has the wrong size".into()))?;
            sha2::Sha256::deserialize(arr)
                .map_err(|_| Unreadable("the hasher state is invalid".into()))?
        };
        let yields = list_of(o.get("yields"), None, |y| {
            let g = y.get(0)?.as_u64()? as u32;
            let to = y.get(1)?.as_u64()? as u32;
            ((g as usize) < ngoals && (to as usize) < ngoals).then_some(Yield {
                goal: g,
                to,
                cycle: y.get(2)?.as_u64()?,
            })
        })?;
        let max_wait: Vec<u64> = list_of(o.get("max_wait"), Some(5), Json::as_u64)?;
        let detector = match o.get("detector_base") {
            None | Some(Json::Null) => super::detect::Detector::default(),
            Some(b) => {
                if b.get("detector_base").is_some_and(|x| !x.is_null()) {
                    return bad("a detector base has a base of its own");
                }
                let base = Checkpoint::from_json(b, program, None)?;
                let epoch = super::detect::Epoch {
                    effect: base.next_effect_id,
                    yields: base.yields.len(),
                };
                super::detect::Detector::starting(epoch, base)
            }
        };
        Ok(Checkpoint {
            cycle: u64_of(j, "cycle")?,
            state,
            tick,
            next_effect_id: u64_of(j, "next_effect_id")?,
            queue,
            seq: u64_of(j, "seq")?,
            in_progress: list_of(o.get("in_progress"), Some(ngoals), |x| {
                x.as_u64().and_then(|n| u32::try_from(n).ok())
            })?,
            yielded: list_of(o.get("yielded"), Some(ngoals), Json::as_bool)?,
            yields,
            repair_runs: list_of(o.get("repair_runs"), Some(ngoals), Json::as_u64)?,
            hash,
            quiescent,
            retries: u64_of(j, "retries")?,
            max_wait: [
                max_wait[0],
                max_wait[1],
                max_wait[2],
                max_wait[3],
                max_wait[4],
            ],
            outcome: None,
            external_input: o
                .get("external_input")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            goal_truth: Vec::new(),
            inputs_delivered: u64_of(j, "inputs_delivered")?,
            detector,
        })
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Reads lowercase or uppercase hex; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
