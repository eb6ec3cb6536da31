//! The trace recorder: an observer of the runtime that formats each cycle
//! straight into a buffered file as it happens (memory stays flat however
//! long the run, and no intermediate structures are built), then appends the
//! effect results and the result.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;

use super::format::*;
use super::json::to_json;
use crate::ir::Program;
use crate::runtime::eval::Effects;
use crate::runtime::observe::{CycleRecord, Observer};
use crate::runtime::queue::EventKind;
use crate::runtime::{Outcome, Runtime, Yield};
use crate::value::Value;
use crate::{ir, runtime};

pub fn names(p: &Program) -> NameTables {
    NameTables {
        vars: p.vars.iter().map(|v| v.qualified.clone()).collect(),
        goals: p.goals.iter().map(|g| g.qualified.clone()).collect(),
        handlers: p.handlers.iter().map(|h| h.qualified.clone()).collect(),
    }
}

fn int(buf: &mut Vec<u8>, i: impl itoa::Integer) {
    buf.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
}

/// Appends a value in the trace's value encoding (see `trace::json`).
pub fn write_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Int(i) => int(buf, *i),
        Value::Bool(true) => buf.extend_from_slice(b"true"),
        Value::Bool(false) => buf.extend_from_slice(b"false"),
        Value::Str(s) => {
            let _ = serde_json::to_writer(&mut *buf, &**s);
        }
        Value::List(l) => {
            buf.push(b'[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_value(buf, x);
            }
            buf.push(b']');
        }
        Value::Set(s) => {
            buf.extend_from_slice(b"{\"set\":[");
            for (i, x) in s.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_value(buf, x);
            }
            buf.extend_from_slice(b"]}");
        }
        Value::Map(m) => {
            buf.extend_from_slice(b"{\"map\":[");
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                buf.push(b'[');
                write_value(buf, k);
                buf.push(b',');
                write_value(buf, x);
                buf.push(b']');
            }
            buf.extend_from_slice(b"]}");
        }
    }
}

fn write_args<'a>(buf: &mut Vec<u8>, args: impl Iterator<Item = &'a Value>) {
    buf.push(b'[');
    for (i, a) in args.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_value(buf, a);
    }
    buf.push(b']');
}

/// Appends one cycle exactly as serde would serialize its `CycleJson`
/// (same keys, same order, same omissions), without building one.
pub fn write_cycle(buf: &mut Vec<u8>, r: &CycleRecord<'_>, checkpoint: Option<&str>) {
    buf.extend_from_slice(b"{\"n\":");
    int(buf, r.cycle);
    buf.extend_from_slice(b",\"t\":");
    int(buf, r.tick);
    match &r.event.kind {
        EventKind::Message { handler, args } => {
            buf.extend_from_slice(b",\"e\":{\"m\":");
            int(buf, *handler);
            buf.extend_from_slice(b",\"a\":");
            write_args(buf, args.iter());
            buf.push(b'}');
        }
        EventKind::Repair { goal } => {
            buf.extend_from_slice(b",\"e\":{\"r\":");
            int(buf, *goal);
            buf.push(b'}');
        }
    }
    buf.extend_from_slice(b",\"c\":");
    int(buf, r.event.cause);
    if let Some(g) = r.event.root {
        buf.extend_from_slice(b",\"g\":");
        int(buf, g);
    }
    if r.event.retry > 0 {
        buf.extend_from_slice(b",\"r\":");
        int(buf, r.event.retry);
    }
    if let Some(f) = r.failure {
        let fj = FailureJson {
            k: f.kind.name().to_string(),
            m: f.kind.to_string(),
            s: [f.span.start, f.span.end],
            retried: r.retried,
        };
        buf.extend_from_slice(b",\"f\":");
        let _ = serde_json::to_writer(&mut *buf, &fj);
    }
    if !r.writes.is_empty() {
        buf.extend_from_slice(b",\"w\":[");
        for (i, w) in r.writes.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.push(b'[');
            int(buf, w.var);
            buf.push(b',');
            write_value(buf, &w.old);
            buf.push(b',');
            write_value(buf, &w.new);
            buf.push(b']');
        }
        buf.push(b']');
    }
    if !r.sends.is_empty() {
        buf.extend_from_slice(b",\"s\":[");
        for (i, s) in r.sends.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.push(b'[');
            int(buf, s.handler);
            buf.push(b',');
            write_args(buf, s.args.iter());
            buf.push(b',');
            int(buf, s.due);
            buf.push(b']');
        }
        buf.push(b']');
    }
    if !r.goals.is_empty() {
        buf.extend_from_slice(b",\"q\":[");
        for (i, (g, holds)) in r.goals.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.push(b'[');
            int(buf, *g);
            buf.extend_from_slice(if *holds { b",true]" } else { b",false]" });
        }
        buf.push(b']');
    }
    if let Some(h) = checkpoint {
        buf.extend_from_slice(b",\"h\":\"");
        buf.extend_from_slice(h.as_bytes());
        buf.push(b'"');
    }
    buf.push(b'}');
}

/// Effect calls as they happened, shared between the binding wrapper and the recorder.
pub type EffectLog = Rc<RefCell<Vec<EffectJson>>>;

/// Wraps an effect binding and logs every call's result.
pub struct Logged {
    pub inner: Box<dyn Effects>,
    pub log: EffectLog,
}

impl Effects for Logged {
    fn call(&mut self, call_id: u64, effect: &ir::Effect, args: &[Value]) -> Result<Value, String> {
        let r = self.inner.call(call_id, effect, args);
        self.log.borrow_mut().push(EffectJson {
            call: call_id,
            effect: effect.name.clone(),
            args: args.iter().map(to_json).collect(),
            result: match &r {
                Ok(v) => json!({ "ok": to_json(v) }),
                Err(e) => json!({ "error": e }),
            },
        });
        r
    }
}

/// Streams cycles into `out`; the first write error is kept and reported at the end.
pub struct Recorder<W: std::io::Write> {
    out: W,
    buf: Vec<u8>,
    first: bool,
    pub error: Option<std::io::Error>,
}

impl<W: std::io::Write> Recorder<W> {
    fn flush_buf(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(&self.buf) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }
}

impl<W: std::io::Write> Observer for Rc<RefCell<Recorder<W>>> {
    fn cycle(&mut self, r: &CycleRecord<'_>, checkpoint: Option<&str>) {
        let mut me = self.borrow_mut();
        if !me.first {
            me.buf.extend_from_slice(b",\n");
        }
        me.first = false;
        write_cycle(&mut me.buf, r, checkpoint);
        if me.buf.len() >= 1 << 20 {
            me.flush_buf();
        }
    }

    fn yielded(&mut self, _: &Yield) {}
}

pub fn yield_json(y: &Yield, n: &NameTables) -> YieldJson {
    YieldJson {
        goal: n.goals[y.goal as usize].clone(),
        to: n.goals[y.to as usize].clone(),
        cycle: y.cycle,
    }
}

/// The result section, from a finished run.
pub fn result_json(rt: &mut Runtime<'_>, outcome: &Outcome, names: &NameTables) -> ResultJson {
    let (status, loop_) = match outcome {
        Outcome::Converged => ("converged", None),
        Outcome::Oscillation {
            at,
            start,
            period,
            goals,
        } => (
            "oscillation",
            Some(LoopJson {
                start: *start,
                period: *period,
                at: *at,
                goals: goals
                    .iter()
                    .map(|g| names.goals[*g as usize].clone())
                    .collect(),
            }),
        ),
        Outcome::Stuck { .. } => ("stuck", None),
        Outcome::Budget { .. } => ("budget", None),
        Outcome::RetriesExhausted { .. } => ("retries_exhausted", None),
        Outcome::InitialState { .. } => ("initial_state", None),
    };
    ResultJson {
        status: status.to_string(),
        code: outcome.code().map(|c| c.as_str().to_string()),
        cycles: rt.cycle,
        time: rt.interp.tick,
        loop_,
        yields: rt.yields.iter().map(|y| yield_json(y, names)).collect(),
        final_state: rt
            .interp
            .state
            .iter()
            .enumerate()
            .map(|(v, val)| VarValue {
                var: names.vars[v].clone(),
                value: to_json(val),
            })
            .collect(),
        run_hash: rt.run_hash(),
    }
}

/// The effect binding a trace's settings ask for.
pub fn binding(settings: &Settings) -> Box<dyn Effects> {
    match settings.effects.as_str() {
        "sim" => Box::new(runtime::sim::Simulator {
            seed: settings.seed,
            fail_per_million: settings.fail_per_million,
        }),
        _ => Box::new(runtime::sim::Unbound),
    }
}

/// The fields before `cycles`, in file order.
#[derive(serde::Serialize)]
struct Header<'a> {
    format: &'static str,
    version: u64,
    program: ProgramInfo,
    settings: &'a Settings,
    inputs: Vec<InputJson>,
    names: &'a NameTables,
    initial: Vec<serde_json::Value>,
}

/// Runs `program` to its end while streaming its trace to `out`.
/// Returns the finished runtime and its outcome.
pub fn record_run<'p, W: std::io::Write + 'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    out: W,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    record_session(program, source, settings, &[], &[], out)
}

/// Records a run that starts from some given values (a REPL session after a
/// redeclaration) and receives external inputs `(after, handler, args)`.
pub fn record_session<'p, W: std::io::Write + 'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    initial: &[(ir::VarId, Value)],
    inputs: &[(u64, ir::HandlerId, crate::runtime::queue::Args)],
    out: W,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    let names = names(program);
    let log: EffectLog = Rc::new(RefCell::new(Vec::new()));
    let fx = Box::new(Logged {
        inner: binding(settings),
        log: log.clone(),
    });
    let options = runtime::Options {
        max_cycles: settings.max_cycles,
        detect_oscillation: settings.oscillation_detection,
        evaluate_all_goals: false,
    };
    let mut rt = Runtime::with_initial(program, options, fx, initial);
    let header = Header {
        format: FORMAT,
        version: VERSION,
        program: ProgramInfo {
            source: source.to_string(),
            hash: super::sha256_hex(source.as_bytes()),
        },
        settings,
        inputs: inputs
            .iter()
            .map(|(after, handler, args)| InputJson {
                after: *after,
                handler: *handler,
                args: args.iter().map(to_json).collect(),
            })
            .collect(),
        names: &names,
        initial: rt.interp.state.iter().map(to_json).collect(),
    };
    let recorder = Rc::new(RefCell::new(Recorder {
        out,
        buf: Vec::with_capacity((1 << 20) + 4096),
        first: true,
        error: None,
    }));
    {
        let mut head = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        head.pop(); // the closing brace: the cycles follow
        head.extend_from_slice(b",\"cycles\":[\n");
        recorder.borrow_mut().buf.extend_from_slice(&head);
    }
    rt.observe(Box::new(recorder.clone()));
    let outcome = rt.run_with_inputs(inputs).clone();
    let result = result_json(&mut rt, &outcome, &names);
    drop(rt.unobserve());
    let mut rec = Rc::try_unwrap(recorder)
        .map_err(|_| std::io::Error::other("the recorder is still shared"))?
        .into_inner();
    let tail = json!({ "effects": *log.borrow(), "result": result });
    let tail_bytes = serde_json::to_vec(&tail).map_err(std::io::Error::other)?;
    rec.buf.extend_from_slice(b"\n],");
    rec.buf.extend_from_slice(&tail_bytes[1..]); // without its opening brace
    rec.buf.push(b'\n');
    rec.flush_buf();
    if let Some(e) = rec.error.take() {
        return Err(e);
    }
    rec.out.flush()?;
    Ok((rt, outcome))
}
