//! The trace recorder: an observer of the runtime that formats each cycle
//! straight into a buffered file as it happens (memory stays flat however
//! long the run, and no intermediate structures are built), then appends the
//! effect results and the result.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;

use super::format::*;
use crate::ir;
use crate::ir::Program;
use crate::runtime::effects::{EffectError, Effects};
use crate::runtime::observe::{CycleRecord, Observer};
use crate::runtime::{Outcome, Runtime, Yield};
use crate::value::json::to_json;
use crate::value::Value;

pub fn names(p: &Program) -> NameTables {
    NameTables {
        vars: p.vars.iter().map(|v| v.qualified.clone()).collect(),
        goals: p.goals.iter().map(|g| g.qualified.clone()).collect(),
        handlers: p.handlers.iter().map(|h| h.qualified.clone()).collect(),
    }
}

/// Appends one cycle's JSON: the binary record, transcoded (the same path
/// the recorder's writer thread takes).
pub fn write_cycle(buf: &mut Vec<u8>, r: &CycleRecord<'_>, checkpoint: Option<&str>) {
    let mut bin = Vec::with_capacity(128);
    super::wire::encode(&mut bin, r, checkpoint);
    let _ = super::wire::transcode(&mut bin.as_slice(), buf);
}

/// Effect calls as they happened, shared between the binding wrapper and the recorder.
pub type EffectLog = Rc<RefCell<Vec<EffectJson>>>;

/// Wraps an effect binding and logs every call's result.
pub struct Logged {
    pub inner: Box<dyn Effects>,
    pub log: EffectLog,
}

impl Effects for Logged {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        let r = self.inner.call(call_id, effect, args);
        self.log.borrow_mut().push(EffectJson {
            call: call_id,
            effect: effect.name.clone(),
            args: args.iter().map(to_json).collect(),
            result: match &r {
                Ok(v) => json!({ "ok": to_json(v) }),
                Err(e) => json!({ "error": e.to_string() }),
            },
        });
        r
    }
}

/// Where a trace is written: it can take back what it was last given (a
/// run rewound by the oscillation detector, [`Observer::rewound`]).
pub trait TraceOut: std::io::Write {
    /// Removes the last `n` bytes written.
    fn unwrite(&mut self, n: u64) -> std::io::Result<()>;
}

impl TraceOut for std::fs::File {
    fn unwrite(&mut self, n: u64) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let end = self.stream_position()?;
        let len = end
            .checked_sub(n)
            .ok_or_else(|| std::io::Error::other("a rewind goes back past the trace's start"))?;
        self.set_len(len)?;
        self.seek(SeekFrom::Start(len))?;
        Ok(())
    }
}

impl TraceOut for Vec<u8> {
    fn unwrite(&mut self, n: u64) -> std::io::Result<()> {
        let len = (self.len() as u64)
            .checked_sub(n)
            .ok_or_else(|| std::io::Error::other("a rewind goes back past the trace's start"))?;
        self.truncate(len as usize);
        Ok(())
    }
}

impl<T: TraceOut> TraceOut for std::io::BufWriter<T> {
    fn unwrite(&mut self, n: u64) -> std::io::Result<()> {
        use std::io::Write;
        self.flush()?;
        self.get_mut().unwrite(n)
    }
}

impl<T: TraceOut + ?Sized> TraceOut for &mut T {
    fn unwrite(&mut self, n: u64) -> std::io::Result<()> {
        (**self).unwrite(n)
    }
}

/// What the recorder hands its writer thread.
enum Piece {
    /// Binary cycle records.
    Records(Vec<u8>),
    /// The run may come back here ([`Observer::mark`]).
    Mark,
    /// The run went back to the last mark.
    Rewind,
}

/// Encodes cycles into batches that a writer thread turns into JSON.
pub struct Recorder {
    batch: Vec<u8>,
    tx: std::sync::mpsc::SyncSender<Piece>,
    /// Where the hash thread sends checkpoint hashes, for the writer.
    hashes: std::sync::mpsc::Sender<String>,
}

const BATCH: usize = 1 << 18;

impl Observer for Rc<RefCell<Recorder>> {
    fn cycle(&mut self, r: &CycleRecord<'_>, checkpoint: Option<&str>) {
        let mut me = self.borrow_mut();
        super::wire::encode(&mut me.batch, r, checkpoint);
        if me.batch.len() >= BATCH {
            me.hand_over();
        }
    }

    fn yielded(&mut self, _: &Yield) {}

    fn mark(&mut self, _: u64) {
        let mut me = self.borrow_mut();
        me.hand_over();
        let _ = me.tx.send(Piece::Mark);
    }

    fn rewound(&mut self, _: u64) {
        let mut me = self.borrow_mut();
        me.hand_over();
        let _ = me.tx.send(Piece::Rewind);
    }

    fn checkpoint_channel(&self) -> Option<std::sync::mpsc::Sender<String>> {
        Some(self.borrow().hashes.clone())
    }
}

impl Recorder {
    /// Sends the records so far to the writer.
    fn hand_over(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH + 4096));
        // A send fails only if the writer stopped on an I/O error, which it reports.
        let _ = self.tx.send(Piece::Records(full));
    }
}

/// The writer thread: transcodes batches and writes them; returns the output
/// and the first error. A rewind cuts the output back to the last mark.
fn writer<W: TraceOut>(
    mut out: W,
    rx: std::sync::mpsc::Receiver<Piece>,
    hashes: std::sync::mpsc::Receiver<String>,
) -> (W, Option<std::io::Error>) {
    let mut pending = || hashes.recv().ok();
    let mut json = Vec::with_capacity(2 * BATCH);
    let mut first = true;
    let mut error = None;
    // Bytes written, and (bytes, first) at the last mark.
    let mut written = 0u64;
    let mut mark = (0u64, true);
    for piece in rx {
        let batch = match piece {
            Piece::Records(b) => b,
            Piece::Mark => {
                mark = (written, first);
                continue;
            }
            Piece::Rewind => {
                if error.is_none() {
                    if let Err(e) = out.unwrite(written - mark.0) {
                        error = Some(e);
                    }
                }
                (written, first) = mark;
                continue;
            }
        };
        let mut input = batch.as_slice();
        while !input.is_empty() {
            if !first {
                json.extend_from_slice(b",\n");
            }
            first = false;
            if super::wire::transcode_with(&mut input, &mut json, &mut pending).is_none() {
                error.get_or_insert_with(|| {
                    std::io::Error::other("a cycle record could not be transcoded")
                });
                break;
            }
        }
        if error.is_none() {
            if let Err(e) = out.write_all(&json) {
                error = Some(e);
            }
        }
        written += json.len() as u64;
        json.clear();
    }
    (out, error)
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
        Outcome::QueueLimit { .. } => ("queue_limit", None),
        Outcome::RetriesExhausted { .. } => ("retries_exhausted", None),
        Outcome::InitialState { .. } => ("initial_state", None),
        Outcome::GoalFailed { .. } => ("goal_failed", None),
    };
    ResultJson {
        status: status.to_string(),
        code: outcome.code().map(|c| c.as_str().to_string()),
        cycles: rt.run.cycle,
        time: rt.interp.tick,
        loop_,
        yields: rt.run.yields.iter().map(|y| yield_json(y, names)).collect(),
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
    settings.binding()
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
pub fn record_run<'p, W: TraceOut + Send + 'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    out: W,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    record_session(program, source, settings, &[], &[], out)
}

/// Records a run that starts from some given values (a REPL session after a
/// redeclaration) and receives external inputs `(after, handler, args)`.
pub fn record_session<'p, W: TraceOut + Send + 'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    initial: &[(ir::VarId, Value)],
    inputs: &[(u64, ir::HandlerId, crate::runtime::queue::Args)],
    out: W,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    record_session_with(
        program,
        source,
        settings,
        initial,
        inputs,
        binding(settings),
        out,
    )
}

/// [`record_session`] with effects bound by `inner` (commands, Rust code):
/// every result is recorded, so the trace replays without calling anything.
pub fn record_session_with<'p, W: TraceOut + Send + 'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    initial: &[(ir::VarId, Value)],
    inputs: &[(u64, ir::HandlerId, crate::runtime::queue::Args)],
    inner: Box<dyn Effects>,
    out: W,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    record_driven(
        program,
        source,
        settings,
        initial,
        inputs,
        inner,
        out,
        |rt| rt.run_with_inputs(inputs).clone(),
    )
}

/// Records a run that `run` drives (a live journal's re-execution applies
/// its inputs itself); `inputs` are only written into the header.
#[allow(clippy::too_many_arguments)]
pub fn record_driven<'p, W: TraceOut + Send + 'p>(
    program: &'p Program,
    source: &str,
    settings: &Settings,
    initial: &[(ir::VarId, Value)],
    inputs: &[(u64, ir::HandlerId, crate::runtime::queue::Args)],
    inner: Box<dyn Effects>,
    out: W,
    run: impl FnOnce(&mut Runtime<'p>) -> Outcome,
) -> std::io::Result<(Runtime<'p>, Outcome)> {
    let names = names(program);
    let log: EffectLog = Rc::new(RefCell::new(Vec::new()));
    let fx = Box::new(Logged {
        inner,
        log: log.clone(),
    });
    let options = settings.options();
    let mut rt = Runtime::with_initial(program, options, fx, initial);
    let mut out = out;
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
    let mut head = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    head.pop(); // the closing brace: the cycles follow
    head.extend_from_slice(b",\"cycles\":[\n");
    out.write_all(&head)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(4);
    let (hash_tx, hash_rx) = std::sync::mpsc::channel::<String>();
    let recorder = Rc::new(RefCell::new(Recorder {
        batch: Vec::with_capacity(BATCH + 4096),
        tx,
        hashes: hash_tx,
    }));
    rt.observe(Box::new(recorder.clone()));
    let (outcome, mut out) = std::thread::scope(|s| -> std::io::Result<(Outcome, W)> {
        let handle = std::thread::Builder::new()
            .name("lexum-trace".into())
            .spawn_scoped(s, move || writer(out, rx, hash_rx))
            .map_err(std::io::Error::other)?;
        let outcome = run(&mut rt);
        drop(rt.unobserve());
        let rec = Rc::try_unwrap(recorder)
            .map_err(|_| std::io::Error::other("the recorder is still shared"))?
            .into_inner();
        let mut rec = rec;
        rec.hand_over();
        drop(rec.tx);
        let (out, error) = handle
            .join()
            .map_err(|_| std::io::Error::other("the trace writer failed"))?;
        match error {
            Some(e) => Err(e),
            None => Ok((outcome, out)),
        }
    })?;
    let result = result_json(&mut rt, &outcome, &names);
    let tail = json!({ "effects": *log.borrow(), "result": result });
    let tail_bytes = serde_json::to_vec(&tail).map_err(std::io::Error::other)?;
    let mut end = b"\n],".to_vec();
    end.extend_from_slice(&tail_bytes[1..]); // without its opening brace
    end.push(b'\n');
    out.write_all(&end)?;
    out.flush()?;
    Ok((rt, outcome))
}
