//! Re-executing a trace: `verify` (every cycle must match), `state_at`
//! (the configuration at cycle N) and `why` (the causal chain of cycle N).
//! Effects are never called: their recorded results are played back.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::format::{CycleJson, TraceFile};
use super::load::{Loaded, TraceError};
use super::record::{names, result_json, write_cycle};
use crate::codes::Code;
use crate::ir::{self, Program};
use crate::runtime::drive::Flow;
use crate::runtime::effects::{EffectError, Effects};
use crate::runtime::observe::{CycleRecord, Observer};
use crate::runtime::{Runtime, Yield};
use crate::value::json::from_json;
use crate::value::Value;

/// Plays recorded effect results back by call id.
pub struct Recorded {
    results: BTreeMap<u64, (String, Result<Value, EffectError>)>,
}

impl Recorded {
    /// Plays back these results: call id → (effect name, result).
    pub fn from_results(results: BTreeMap<u64, (String, Result<Value, EffectError>)>) -> Recorded {
        Recorded { results }
    }

    pub fn new(trace: &TraceFile) -> Recorded {
        let mut results = BTreeMap::new();
        for e in &trace.effects {
            let r = match (&e.result.get("ok"), &e.result.get("error")) {
                (Some(v), _) => from_json(v)
                    .ok_or_else(|| EffectError::Unrecorded("unreadable recorded result".into())),
                (_, Some(Json::String(m))) => Err(EffectError::Failed(m.clone())),
                _ => Err(EffectError::Unrecorded("unreadable recorded result".into())),
            };
            results.insert(e.call, (e.effect.clone(), r));
        }
        Recorded { results }
    }
}

impl Effects for Recorded {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        _: &[Value],
    ) -> Result<Value, EffectError> {
        // A recorded result is used only for the call it was recorded for
        // and only with the effect's type; anything else makes the replay
        // diverge (and `verify` name it) instead of feeding typed code.
        match self.results.get(&call_id) {
            Some((name, r)) if *name == effect.name => match r {
                Ok(v) if !v.fits(&effect.ret) => Err(EffectError::Unrecorded(format!(
                    "the recorded result of call {call_id} is not a {}",
                    effect.ret
                ))),
                r => r.clone(),
            },
            Some((name, _)) => Err(EffectError::Unrecorded(format!(
                "call {call_id} was recorded for `{name}`, not `{}`",
                effect.name
            ))),
            None => Err(EffectError::Unrecorded(format!(
                "no recorded result for call {call_id} of `{}`",
                effect.name
            ))),
        }
    }
}

/// A runtime set up as the trace's run was: its settings, its initial
/// values (which a REPL session may have carried over) and its effect results.
pub fn runtime<'p>(loaded: &'p Loaded) -> Runtime<'p> {
    runtime_with(loaded, Box::new(Recorded::new(&loaded.trace)))
}

fn runtime_with<'p>(loaded: &'p Loaded, fx: Box<dyn Effects + 'p>) -> Runtime<'p> {
    let s = &loaded.trace.settings;
    let options = s.options();
    let initial: Vec<(ir::VarId, Value)> = loaded
        .trace
        .initial
        .iter()
        .enumerate()
        .filter(|(v, _)| *v < loaded.program.vars.len())
        .filter_map(|(v, j)| from_json(j).map(|val| (v as ir::VarId, val)))
        .collect();
    Runtime::with_initial(&loaded.program, options, fx, &initial)
}

type Inputs = Vec<crate::runtime::drive::Input>;

/// The trace's external inputs, decoded (unreadable ones are skipped; the
/// replay then diverges and says where).
pub fn inputs(loaded: &Loaded) -> Inputs {
    loaded
        .trace
        .inputs
        .iter()
        .filter(|i| (i.handler as usize) < loaded.program.handlers.len())
        .filter_map(|i| {
            let args: Option<crate::runtime::queue::Args> = i.args.iter().map(from_json).collect();
            Some((i.after, i.handler, args?))
        })
        .collect()
}

/// The first difference found by `verify`.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    pub cycle: u64,
    pub field: String,
    pub recorded: String,
    pub replayed: String,
}

struct Checker<'a> {
    buf: Vec<u8>,
    /// Borrowed from the loaded trace (a copy doubled the memory of
    /// verifying a long trace).
    expected: &'a [CycleJson],
    next: usize,
    found: Option<Divergence>,
    /// The oscillation detector's last mark: past it, cycles may be its
    /// look-ahead, which a rewind takes back.
    mark: Option<u64>,
    /// A divergence after the mark, held while a rewind may still take it
    /// back, and the repair cycles the detector had seen in its epoch then.
    pending: Option<Divergence>,
    pending_reach: Option<u64>,
}

fn first_difference(a: &CycleJson, b: &CycleJson) -> Option<(String, String, String)> {
    let ja = serde_json::to_value(a).ok()?;
    let jb = serde_json::to_value(b).ok()?;
    let (Json::Object(ma), Json::Object(mb)) = (&ja, &jb) else {
        return None;
    };
    for (key, field) in [
        ("n", "cycle"),
        ("t", "tick"),
        ("e", "event"),
        ("c", "cause"),
        ("g", "root"),
        ("r", "retry"),
        ("f", "failure"),
        ("w", "writes"),
        ("s", "sends"),
        ("q", "goals"),
        ("h", "checkpoint"),
    ] {
        let (x, y) = (ma.get(key), mb.get(key));
        if x != y {
            let show = |v: Option<&Json>| {
                v.map(|v| v.to_string())
                    .unwrap_or_else(|| "(absent)".into())
            };
            return Some((field.to_string(), show(x), show(y)));
        }
    }
    None
}

impl Observer for Rc<RefCell<Checker<'_>>> {
    fn cycle(&mut self, r: &CycleRecord<'_>, checkpoint: Option<&str>) {
        let mut me = self.borrow_mut();
        if me.found.is_some() {
            return;
        }
        if me.pending.is_some() {
            return;
        }
        let mut buf = std::mem::take(&mut me.buf);
        buf.clear();
        write_cycle(&mut buf, r, checkpoint);
        let parsed: Result<CycleJson, _> = serde_json::from_slice(&buf);
        me.buf = buf;
        let Ok(got) = parsed else {
            me.found = Some(Divergence {
                cycle: r.cycle,
                field: "cycle".into(),
                recorded: String::new(),
                replayed: "(unreadable)".into(),
            });
            return;
        };
        let i = me.next;
        me.next += 1;
        let divergence = match me.expected.get(i) {
            None => Some(Divergence {
                cycle: got.cycle,
                field: "cycle".into(),
                recorded: "(the trace ends before this cycle)".into(),
                replayed: serde_json::to_string(&got).unwrap_or_default(),
            }),
            Some(want) if *want != got => {
                let (field, recorded, replayed) = first_difference(want, &got)
                    .unwrap_or_else(|| ("cycle".into(), String::new(), String::new()));
                Some(Divergence {
                    cycle: want.cycle,
                    field,
                    recorded,
                    replayed,
                })
            }
            Some(_) => None,
        };
        match me.mark {
            Some(m) if divergence.as_ref().is_some_and(|d| d.cycle > m) => me.pending = divergence,
            _ => me.found = divergence,
        }
    }

    fn mark(&mut self, cycle: u64) {
        self.borrow_mut().mark = Some(cycle);
    }

    fn yielded(&mut self, _: &Yield) {}

    /// Cycles past `to` were the detector's look-ahead: they are compared
    /// again as they run again, and what they diverged in does not count.
    fn rewound(&mut self, to: u64) {
        let mut me = self.borrow_mut();
        if me.found.as_ref().is_some_and(|d| d.cycle > to) {
            me.found = None;
        }
        if me.pending.as_ref().is_some_and(|d| d.cycle > to) {
            me.pending = None;
            me.pending_reach = None;
        }
        me.next = me.expected.partition_point(|c| c.cycle <= to);
    }
}

/// Re-executes the trace and compares every cycle, then the result.
pub fn verify(loaded: &Loaded) -> Result<u64, TraceError> {
    let expected = &loaded.trace.cycles;
    let checker = Rc::new(RefCell::new(Checker {
        buf: Vec::new(),
        expected,
        next: 0,
        found: None,
        mark: None,
        pending: None,
        pending_reach: None,
    }));
    let log: super::record::EffectLog = Rc::default();
    let fx = super::record::Logged {
        inner: Box::new(Recorded::new(&loaded.trace)),
        log: log.clone(),
    };
    let mut rt = runtime_with(loaded, Box::new(fx));
    // Everything recorded is checked: the names behind the ids and the
    // initial values first.
    let facts = |field: &str, a: Json, b: Json| {
        if a == b {
            Ok(())
        } else {
            Err(TraceError::new(
                Code::T005,
                format!("the trace's `{field}` was recorded as {a} but replays as {b}"),
            ))
        }
    };
    facts(
        "names",
        serde_json::to_value(&loaded.trace.names).unwrap_or_default(),
        serde_json::to_value(names(&loaded.program)).unwrap_or_default(),
    )?;
    facts(
        "initial",
        Json::Array(loaded.trace.initial.clone()),
        Json::Array(
            rt.interp
                .state
                .iter()
                .map(crate::value::json::to_json)
                .collect(),
        ),
    )?;
    rt.observe(Box::new(checker.clone()));
    let inputs = inputs(loaded);
    let seen = checker.clone();
    rt.drive(&inputs, u64::MAX, |rt| {
        let mut c = seen.borrow_mut();
        if c.found.is_some() {
            return Flow::Stop;
        }
        // A divergence past the detector's mark stands once the detector
        // can no longer be looking ahead: a loop that closed before it is
        // seen within four times the repair cycles the epoch had then
        // (see `Runtime::detector_reach`), and a new epoch ends the look-ahead.
        if c.pending.is_some() {
            let reach = rt.detector_reach();
            match c.pending_reach {
                None => c.pending_reach = Some(reach),
                Some(r0) if reach < r0 || reach > r0.saturating_mul(4).saturating_add(2) => {
                    c.found = c.pending.take();
                    return Flow::Stop;
                }
                Some(_) => {}
            }
        }
        Flow::Continue
    });
    let divergence = {
        let c = checker.borrow();
        c.found.clone().or_else(|| c.pending.clone())
    };
    if let Some(d) = divergence {
        return Err(TraceError::new(
            Code::T004,
            format!(
                "replay diverges at cycle {}: field `{}` was recorded as {} but replays as {}",
                d.cycle, d.field, d.recorded, d.replayed
            ),
        ));
    }
    let replayed = checker.borrow().next;
    if replayed < expected.len() {
        return Err(TraceError::new(
            Code::T004,
            format!(
                "replay diverges at cycle {}: the run ended after {replayed} cycles but the trace records {}",
                expected[replayed].cycle,
                expected.len()
            ),
        ));
    }
    let outcome = rt
        .run
        .outcome
        .clone()
        .unwrap_or(crate::runtime::Outcome::Converged);
    let result = result_json(&mut rt, &outcome, &names(&loaded.program));
    let want = &loaded.trace.result;
    for (field, a, b) in [
        (
            "status",
            Json::from(want.status.clone()),
            Json::from(result.status.clone()),
        ),
        (
            "loop",
            serde_json::to_value(&want.loop_).unwrap_or_default(),
            serde_json::to_value(&result.loop_).unwrap_or_default(),
        ),
        (
            "yields",
            serde_json::to_value(&want.yields).unwrap_or_default(),
            serde_json::to_value(&result.yields).unwrap_or_default(),
        ),
        (
            "final_state",
            serde_json::to_value(&want.final_state).unwrap_or_default(),
            serde_json::to_value(&result.final_state).unwrap_or_default(),
        ),
        (
            "run_hash",
            Json::from(want.run_hash.clone()),
            Json::from(result.run_hash.clone()),
        ),
        (
            "code",
            Json::from(want.code.clone()),
            Json::from(result.code.clone()),
        ),
        ("cycles", Json::from(want.cycles), Json::from(result.cycles)),
        ("time", Json::from(want.time), Json::from(result.time)),
    ] {
        if a != b {
            return Err(TraceError::new(
                Code::T005,
                format!("the result's `{field}` was recorded as {a} but replays as {b}"),
            ));
        }
    }
    facts(
        "effects",
        serde_json::to_value(&loaded.trace.effects).unwrap_or_default(),
        serde_json::to_value(&*log.borrow()).unwrap_or_default(),
    )?;
    Ok(replayed as u64)
}

/// Replays up to (and including) cycle `n`; 0 is the initial state.
pub fn state_at<'p>(loaded: &'p Loaded, n: u64) -> Result<Runtime<'p>, TraceError> {
    let total = loaded.trace.cycles.len() as u64;
    if n > total {
        return Err(TraceError::new(
            Code::T006,
            format!("no cycle {n}: this trace has cycles 0 (the initial state) to {total}"),
        ));
    }
    let mut rt = runtime(loaded);
    let inputs = inputs(loaded);
    rt.drive(&inputs, n, |_| Flow::Continue);
    Ok(rt)
}

/// One link of a causal chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub cycle: u64,
    pub text: String,
}

/// `Domain.handler(args)` or `repair Domain.goal`, from a cycle's record.
pub fn event_text(c: &CycleJson, program: &Program) -> String {
    use crate::runtime::queue::EventKind;
    let kind = match (c.event.handler, c.event.goal) {
        (Some(handler), _) => {
            let args: Option<crate::runtime::queue::Args> =
                c.event.args.iter().flatten().map(from_json).collect();
            match args {
                Some(args) => EventKind::Message { handler, args },
                None => return "?".to_string(),
            }
        }
        (None, Some(goal)) => EventKind::Repair { goal },
        (None, None) => return "?".to_string(),
    };
    kind.describe(program)
}

/// The causal chain of cycle `n`, back to the initial state.
pub fn why(loaded: &Loaded, n: u64) -> Result<Vec<Link>, TraceError> {
    let cycles = &loaded.trace.cycles;
    if n == 0 || n as usize > cycles.len() {
        return Err(TraceError::new(
            Code::T006,
            format!("no cycle {n}: this trace has cycles 1 to {}", cycles.len()),
        ));
    }
    let program: &Program = &loaded.program;
    let mut chain = Vec::new();
    let mut at = n;
    // Causes always point backwards, so the walk ends.
    while at > 0 {
        let c = &cycles[at as usize - 1];
        let mut text = format!("cycle {}: {}", c.cycle, event_text(c, program));
        if c.retry > 0 {
            text.push_str(&format!(" (retry {})", c.retry));
        }
        let cause = c.cause;
        let goal = c.event.goal.and_then(|g| program.goals.get(g as usize));
        match (goal, cause) {
            (Some(goal), 0) => text.push_str(&format!(
                ", because `{}` was false in the initial state",
                goal.qualified
            )),
            (Some(goal_ir), k) if (k as usize) <= cycles.len() => {
                let goal = &goal_ir.qualified;
                let prev = &cycles[k as usize - 1];
                let writes: Vec<String> = prev
                    .writes
                    .iter()
                    .filter(|w| goal_ir.reads.contains(&w.0))
                    .map(|w| {
                        let name = program
                            .vars
                            .get(w.0 as usize)
                            .map(|v| v.qualified.as_str())
                            .unwrap_or("?");
                        format!(
                            "{name} = {}",
                            from_json(&w.2).map(|v| v.to_string()).unwrap_or_default()
                        )
                    })
                    .collect();
                if writes.is_empty() {
                    text.push_str(&format!(
                        ", because `{goal}` was false when its earlier work drained at cycle {k}"
                    ));
                } else {
                    text.push_str(&format!(
                        ", because cycle {k} wrote {} and `{goal}` became false",
                        writes.join(", ")
                    ));
                }
            }
            (Some(_), k) => text.push_str(&format!(", enqueued by cycle {k}")),
            (_, 0) => text.push_str(", sent at the start"),
            (_, k) => text.push_str(&format!(", sent by cycle {k}")),
        }
        chain.push(Link {
            cycle: c.cycle,
            text,
        });
        if cause >= at {
            break;
        }
        at = cause;
    }
    chain.push(Link {
        cycle: 0,
        text: "the initial state".into(),
    });
    Ok(chain)
}
