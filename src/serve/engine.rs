//! The engine: the one thread that owns the runtime of a live run. It takes
//! requests from the HTTP side through a channel, journals every input
//! before it is acknowledged or applied (one sync for all the messages that
//! arrived together: group commit), decides when logical time may advance,
//! steps the runtime through [`Runtime::drive`], hands snapshots to the
//! background writer and answers reads between slices of cycles.
//!
//! Every input of a live run is a journaled record with its place in the
//! run (the cycle after which it applied), so recovery re-executes exactly:
//! restore the newest snapshot, then apply the later records at their
//! cycles, with effect results played back.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tokio::sync::{broadcast, oneshot};

use super::keys::Keys;

mod replicated;
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::Program;
use crate::journal::run::{Journal, LiveInput, LiveRecord, OpenError, SyncPolicy};
use crate::journal::session::{self, Opened, Setup};
use crate::journal::snapshot::{LiveSection, Snapshotter};
use crate::journal::Storage;
use crate::runtime::drive::Flow;
use crate::runtime::effects::Effects;
use crate::runtime::observe::{CycleRecord, Observer};
use crate::runtime::{report, Outcome, Runtime, Settings, Upgraded, Yield};
use crate::value::json::to_json;
use sha2::Digest;

/// How a live run is set up.
pub struct Config {
    pub storage: Arc<dyn Storage>,
    pub source: String,
    /// The run's settings (`live` is set by the engine).
    pub settings: Settings,
    pub policy: SyncPolicy,
    /// Real milliseconds per logical tick while the run waits for a timer.
    pub tick_ms: u64,
    /// How many idempotency keys are remembered.
    pub keys: usize,
    /// Cycles between snapshots.
    pub snapshot_every: u64,
    /// Continue a journal written by another program under this one.
    pub upgrade: bool,
    /// One node of a cluster: inputs go through the Raft log.
    pub cluster: bool,
}

/// A request from the HTTP side.
pub enum Request {
    /// Queue an external message (already checked against the program).
    /// A message, checked against the program the run is under when it
    /// arrives (an upgrade through a cluster's log may change it at any
    /// time): `to` is `Domain.handler`, `args` in the trace encoding.
    Send {
        to: String,
        args: Vec<Json>,
        key: Option<String>,
        reply: oneshot::Sender<Result<Ack, Refused>>,
    },
    /// The state, of one domain or all: `"Domain.var"` → value.
    State {
        domain: Option<String>,
        reply: oneshot::Sender<Option<Json>>,
    },
    Status {
        reply: oneshot::Sender<Json>,
    },
    Metrics {
        reply: oneshot::Sender<String>,
    },
    /// Stop: finish the cycle, write a snapshot, end.
    Shutdown,
    /// In a cluster: entries Raft committed, in log order.
    Committed(Vec<crate::serve::cluster::state_machine::Committed>),
    /// In a cluster: the node's Raft, once it runs.
    Attach(crate::serve::cluster::Replica),
    /// In a cluster: a snapshot of the state at the last entry applied
    /// (its bytes and `[term, leader, index, position]`).
    BuildSnapshot {
        reply: oneshot::Sender<Option<(Vec<u8>, [u64; 4])>>,
    },
    /// In a cluster: start again from another node's snapshot (of the
    /// entry `at`), the node's own journal with it.
    InstallSnapshot {
        data: Vec<u8>,
        at: [u64; 4],
        reply: oneshot::Sender<Result<(), String>>,
    },
}

/// An acknowledged message: durable in the journal.
#[derive(Clone, Copy, Debug)]
pub struct Ack {
    pub seq: u64,
    pub duplicate: bool,
}

/// Why a message was not accepted: the run halted, the journal failed, or
/// the server is stopping.
#[derive(Clone, Debug)]
pub struct Refused(pub Box<Diagnostic>);

/// A message waiting for its batch's commit: handler, arguments, key, and
/// where its reply goes.
type Pending = (
    String,
    Vec<Json>,
    Option<String>,
    oneshot::Sender<Result<Ack, Refused>>,
);

/// Counters for `/metrics`.
#[derive(Default)]
struct Metrics {
    accepted: u64,
    duplicates: u64,
    commits: u64,
    commit_seconds: f64,
    commit_max_seconds: f64,
    batched: u64,
    snapshots: u64,
    last_snapshot: Option<Instant>,
}

/// What a snapshot of a live run keeps beside the runtime: the count of
/// inputs it covers, the idempotency keys, and the program's text (the log
/// that held it may be gone). Taken in O(1); encoded by the writer.
fn live_section(
    next_input: u64,
    keys: &Keys,
    source: &Arc<str>,
    raft: Option<[u64; 4]>,
    installed_at: Option<u64>,
) -> LiveSection {
    let keys = keys.snapshot();
    let source = source.clone();
    Box::new(move || {
        let mut j =
            json!({ "next_input": next_input, "keys": keys.to_json(), "program": &*source });
        if let Some(r) = raft {
            j["raft_applied"] = json!(r);
        }
        if let Some(c) = installed_at {
            // This journal began at an installed snapshot of that cycle.
            j["installed_at"] = json!(c);
        }
        j
    })
}

/// Tells SSE subscribers about each cycle (only while someone listens).
struct Events {
    tx: broadcast::Sender<Arc<str>>,
    program: &'static Program,
}

impl Observer for Events {
    fn cycle(&mut self, r: &CycleRecord<'_>, _: Option<&str>) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        let p = self.program;
        let writes: serde_json::Map<String, Json> = r
            .writes
            .iter()
            .map(|w| (p.vars[w.var as usize].qualified.clone(), to_json(&w.new)))
            .collect();
        let goals: serde_json::Map<String, Json> = r
            .goals
            .iter()
            .map(|(g, b)| (p.goals[*g as usize].qualified.clone(), json!(b)))
            .collect();
        let ev = json!({
            "cycle": r.cycle,
            "tick": r.tick,
            "event": r.event.kind.describe(p),
            "failure": r.failure.map(|f| f.kind.to_string()),
            "writes": writes,
            "goals": goals,
        });
        let _ = self.tx.send(Arc::from(ev.to_string()));
    }

    /// Subscribers are told that the cycles after `to` were the
    /// detector's look-ahead: the ones that follow replace them.
    fn rewound(&mut self, to: u64) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Arc::from(json!({ "rewind": to }).to_string()));
        }
    }

    fn yielded(&mut self, y: &Yield) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        let p = self.program;
        let ev = json!({
            "yield": p.goals[y.goal as usize].qualified,
            "to": p.goals[y.to as usize].qualified,
            "cycle": y.cycle,
        });
        let _ = self.tx.send(Arc::from(ev.to_string()));
    }
}

/// A program that lives as long as the process: a live run may switch
/// programs (upgrades), and a runtime borrows its program.
pub fn leak(program: Program) -> &'static Program {
    Box::leak(Box::new(program))
}

/// Checks an upgrade's program text.
pub fn upgraded_program(source: &str) -> Result<&'static Program, String> {
    let checked = crate::check::check_source(source);
    match checked.program {
        Some(p) => Ok(leak(p)),
        None => Err(format!(
            "the program of an upgrade does not check ({} errors)",
            checked.diagnostics.iter().filter(|d| d.is_error()).count()
        )),
    }
}

/// Applies a journaled input to a runtime: a message is checked against
/// the program again (a journal is data, not trusted), time only moves on,
/// an upgrade switches programs (returned with what it kept and reset).
pub fn apply_input<'p>(
    program: &'p Program,
    rt: &mut Runtime<'p>,
    r: &LiveRecord,
) -> Result<Option<(&'p Program, Upgraded)>, String> {
    match &r.input {
        LiveInput::Message { to, args, .. } => {
            let (h, args) = crate::runtime::drive::external_message(program, to, args)
                .map_err(|e| format!("live input {}: {e}", r.seq))?;
            rt.send_external(h, args);
        }
        LiveInput::Time { tick } => rt.advance_time(*tick),
        LiveInput::Upgrade { source } => {
            let new = upgraded_program(source)?;
            let sha = sha2::Sha256::digest(source.as_bytes());
            let report = rt.upgrade(new, &sha);
            return Ok(Some((new, report)));
        }
    }
    Ok(None)
}

/// Re-executes to the cycle a journaled input was applied after, then
/// applies it: recovery, `replay DIR --verify` and the debugger's trace all
/// go through here. `Err` says how the journal and the run disagree.
pub fn replay_input<'p>(
    program: &'p Program,
    rt: &mut Runtime<'p>,
    r: &LiveRecord,
    mut after_cycle: impl FnMut(&mut Runtime<'_>),
) -> Result<Option<(&'p Program, Upgraded)>, String> {
    rt.drive(&[], r.after, |rt| {
        after_cycle(rt);
        Flow::Continue
    });
    if rt.cycle() != r.after {
        return Err(format!(
            "live input {} was applied after cycle {}, but the run re-executes to cycle {} there",
            r.seq,
            r.after,
            rt.cycle()
        ));
    }
    apply_input(program, rt, r)
}

/// A started engine: where to send requests, the event stream, and the
/// thread (its result is the reason it stopped early, if it did).
pub struct Handle {
    pub requests: mpsc::Sender<Request>,
    pub events: broadcast::Sender<Arc<str>>,
    pub thread: std::thread::JoinHandle<Result<(), Vec<Diagnostic>>>,
    /// Warnings from opening the journal (a torn tail, skipped snapshots).
    pub warnings: Vec<Diagnostic>,
    /// What an upgrade at this start kept and reset.
    pub upgraded: Option<Upgraded>,
    /// In a cluster: the Raft position of the last input the journal holds.
    pub raft_applied: Option<[u64; 4]>,
}

/// The engine's requests, with those an effect call read ahead (in a
/// cluster a follower waiting for a result reads past other requests).
pub(crate) struct Inbox {
    rx: mpsc::Receiver<Request>,
    stash: RefCell<std::collections::VecDeque<Request>>,
}

impl Inbox {
    /// The next request: `Ok(None)` when none came within `timeout`,
    /// `Err` when every sender is gone.
    fn next(&self, timeout: Duration) -> Result<Option<Request>, ()> {
        if let Some(r) = self.stash.borrow_mut().pop_front() {
            return Ok(Some(r));
        }
        if timeout.is_zero() {
            return match self.rx.try_recv() {
                Ok(r) => Ok(Some(r)),
                Err(mpsc::TryRecvError::Empty) => Ok(None),
                Err(mpsc::TryRecvError::Disconnected) => Err(()),
            };
        }
        match self.rx.recv_timeout(timeout) {
            Ok(r) => Ok(Some(r)),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
        }
    }
}

/// Opens the journal and recovers the run on a new thread; returns once it
/// is ready to serve, or why it cannot.
pub fn start(
    config: Config,
    program: Arc<Program>,
    bind: Box<dyn FnOnce() -> Box<dyn Effects> + Send>,
) -> Result<Handle, Vec<Diagnostic>> {
    let (tx, rx) = mpsc::channel();
    let (events, _) = broadcast::channel(1024);
    let (ready_tx, ready_rx) = mpsc::channel();
    let ev = events.clone();
    let thread = std::thread::Builder::new()
        .name("lexum-engine".into())
        .spawn(move || {
            let program: &'static Program = leak((*program).clone());
            let inbox = Rc::new(Inbox {
                rx,
                stash: RefCell::new(std::collections::VecDeque::new()),
            });
            let shared = Rc::new(RefCell::new(replicated::Shared {
                inbox: Some(inbox.clone()),
                ..Default::default()
            }));
            let (effects, make_effects): (Box<dyn Effects>, _) = if config.cluster {
                let real = Rc::new(RefCell::new(bind()));
                let (shared, inbox) = (shared.clone(), inbox.clone());
                let make = move || -> Box<dyn Effects> {
                    Box::new(replicated::ReplicatedEffects {
                        real: real.clone(),
                        shared: shared.clone(),
                        inbox: inbox.clone(),
                    })
                };
                (
                    make(),
                    Some(Box::new(make) as Box<dyn Fn() -> Box<dyn Effects>>),
                )
            } else {
                (bind(), None)
            };
            let mut engine = match Engine::open(&config, program, effects, ev) {
                Ok(e) => e,
                Err(d) => {
                    let _ = ready_tx.send(Err(d.clone()));
                    return Err(d);
                }
            };
            if let Some(make) = make_effects {
                engine.cluster = Some(replicated::Cluster::new(
                    shared,
                    &engine,
                    config.storage.clone(),
                    make,
                ));
            }
            let _ = ready_tx.send(Ok((
                std::mem::take(&mut engine.warnings),
                engine.upgraded.clone(),
                engine.raft_applied(),
            )));
            engine.serve(inbox)
        })
        .map_err(|e| {
            vec![Diagnostic::plain(
                Code::L001,
                format!("cannot start the engine thread: {e}"),
            )]
        })?;
    match ready_rx.recv() {
        Ok(Ok((warnings, upgraded, raft_applied))) => Ok(Handle {
            requests: tx,
            events,
            thread,
            warnings,
            upgraded,
            raft_applied,
        }),
        Ok(Err(d)) => {
            let _ = thread.join();
            Err(d)
        }
        Err(_) => Err(thread.join().ok().and_then(|r| r.err()).unwrap_or_default()),
    }
}

fn open_error(e: OpenError) -> Vec<Diagnostic> {
    e.diagnostics()
}

struct Engine {
    program: &'static Program,
    source: Arc<str>,
    rt: Runtime<'static>,
    events: broadcast::Sender<Arc<str>>,
    settings: Settings,
    /// What an upgrade at this start kept and reset.
    upgraded: Option<Upgraded>,
    journal: Rc<RefCell<Journal>>,
    writer: Option<Snapshotter>,
    warnings: Vec<Diagnostic>,
    next_input: u64,
    keys: Keys,
    /// The Raft position of the last input applied (cluster only).
    raft_at: Option<[u64; 4]>,
    /// The cycle of the installed snapshot this journal began at (cluster).
    installed_at: Option<u64>,
    /// In a cluster: the program this node was started with under
    /// `--upgrade`, which it proposes to the log once it leads (until the
    /// run is under it).
    proposed_upgrade: Option<Arc<str>>,
    /// In a cluster: the node's Raft and where the log lets the run go.
    cluster: Option<replicated::Cluster>,
    /// Why the run no longer executes (an ending, or the journal failed).
    halted: Option<Diagnostic>,
    stopping: bool,
    tick_ms: u64,
    snapshot_every: u64,
    last_snapshot_cycle: u64,
    /// While waiting for a timer: since when, at which τ and cycle.
    waiting_since: Option<(Instant, i64, u64)>,
    metrics: Metrics,
}

impl Engine {
    fn open(
        config: &Config,
        newest: &'static Program,
        inner: Box<dyn Effects>,
        events: broadcast::Sender<Arc<str>>,
    ) -> Result<Engine, Vec<Diagnostic>> {
        let mut settings = config.settings.clone();
        settings.live = true;
        // Recovery starts under the program the journal was last saved
        // under, and passes through the upgrades in its log.
        let source = crate::journal::run::live_program(&*config.storage)
            .unwrap_or_else(|| config.source.clone());
        let program = if source == config.source {
            newest
        } else {
            upgraded_program(&source).map_err(|what| open_error(OpenError::Foreign { what }))?
        };
        let setup = Setup {
            storage: config.storage.clone(),
            source: &source,
            settings: &settings,
            inputs: &[],
            // In a cluster the Raft log (synced on a majority) is what
            // makes an input durable; a node's own journal that loses its
            // tail is handed those entries again.
            policy: if config.cluster {
                SyncPolicy::Batch
            } else {
                config.policy
            },
            snapshot_every: config.snapshot_every,
            segment_bytes: crate::journal::run::SEGMENT_BYTES,
            after_cycle: None,
            measure: false,
            wait_for_snapshots: false,
        };
        let Opened {
            runtime,
            journal,
            writer,
            warnings,
            live,
            ..
        } = session::open(program, &setup, inner).map_err(open_error)?;
        let foreign = |what: String| open_error(OpenError::Foreign { what });
        let next_input = match live.get("next_input") {
            None => 0,
            Some(n) => n
                .as_u64()
                .ok_or_else(|| foreign("a snapshot's live section is unreadable".into()))?,
        };
        let raft_at = match live.get("raft_applied") {
            None => None,
            Some(r) => Some(
                serde_json::from_value::<[u64; 4]>(r.clone())
                    .map_err(|_| foreign("a snapshot's Raft position is unreadable".into()))?,
            ),
        };
        let installed_at = live.get("installed_at").and_then(|c| c.as_u64());
        let keys = match live.get("keys") {
            None => Keys::new(config.keys),
            Some(k) => Keys::from_json(k, config.keys)
                .ok_or_else(|| foreign("a snapshot's idempotency keys are unreadable".into()))?,
        };
        let mut e = Engine {
            program,
            source: source.into(),
            events: events.clone(),
            settings,
            upgraded: None,
            last_snapshot_cycle: runtime.cycle(),
            rt: runtime,
            journal,
            writer,
            warnings,
            next_input,
            keys,
            raft_at,
            installed_at,
            proposed_upgrade: None,
            cluster: None,
            halted: None,
            stopping: false,
            tick_ms: config.tick_ms,
            snapshot_every: config.snapshot_every.max(1),
            waiting_since: None,
            metrics: Metrics::default(),
        };
        e.recover()?;
        if *e.source != *config.source {
            if config.cluster && config.upgrade {
                // In a cluster an upgrade is an input like any other: this
                // node proposes it once it leads (docs/cluster.md).
                e.proposed_upgrade = Some(config.source.as_str().into());
                e.check_ending();
                return Ok(e);
            }
            if !config.upgrade {
                return Err(open_error(OpenError::Mismatch {
                    what: format!(
                        "another program (sha256 {}); start with --upgrade to continue its run under this one",
                        crate::trace::sha256_hex(e.source.as_bytes())
                    ),
                }));
            }
            let record = LiveRecord {
                seq: e.next_input,
                after: e.rt.cycle(),
                input: LiveInput::Upgrade {
                    source: config.source.clone(),
                },
                raft: None,
            };
            e.journal.borrow_mut().append_live(&record);
            e.next_input += 1;
            e.commit(1).map_err(|d| vec![*d])?;
            e.apply(&record)
                .map_err(|what| open_error(OpenError::Foreign { what }))?;
        }
        e.check_ending();
        Ok(e)
    }

    /// Switches to an upgraded program: the observer and the snapshot
    /// writer follow it.
    fn switch(&mut self, program: &'static Program, source: String, report: Upgraded) {
        self.program = program;
        self.source = source.into();
        // Its names are the old program's; `watch_events` attaches anew.
        self.rt.unobserve();
        if let Some(w) = self.writer.as_mut() {
            let id = crate::journal::snapshot::Identity {
                program_hash: crate::trace::sha256_hex(self.source.as_bytes()),
                settings: self.settings.clone(),
                inputs_hash: crate::trace::sha256_hex(
                    &serde_json::to_vec(&crate::journal::run::inputs_json(&[])).unwrap_or_default(),
                ),
                run_id: self.journal.borrow().run_id.clone(),
            };
            w.retarget(program, id);
        }
        self.upgraded = Some(report);
    }

    /// Applies the journaled inputs the restored snapshot does not cover,
    /// each after the cycle it was applied after.
    fn recover(&mut self) -> Result<(), Vec<Diagnostic>> {
        let records = std::mem::take(&mut self.journal.borrow_mut().live);
        for r in records {
            if r.seq < self.next_input {
                continue;
            }
            let foreign = |what: String| open_error(OpenError::Foreign { what });
            if r.seq != self.next_input {
                return Err(foreign(format!(
                    "live input {} is missing (the log goes on with input {})",
                    self.next_input, r.seq
                )));
            }
            let applied = replay_input(self.program, &mut self.rt, &r, |_| {});
            if let Some(what) = self.journal.borrow_mut().foreign.take() {
                return Err(foreign(what));
            }
            let upgraded = applied.map_err(foreign)?;
            self.applied(&r, upgraded);
            self.next_input = r.seq + 1;
            if r.raft.is_some() {
                self.raft_at = r.raft;
            }
        }
        Ok(())
    }

    /// Applies a durable input to the runtime (the input count is the
    /// caller's: it counted the input when it journaled it).
    fn apply(&mut self, r: &LiveRecord) -> Result<(), String> {
        let upgraded = apply_input(self.program, &mut self.rt, r)?;
        self.applied(r, upgraded);
        Ok(())
    }

    /// What the engine keeps of an applied input: its key, a new program.
    fn applied(&mut self, r: &LiveRecord, upgraded: Option<(&'static Program, Upgraded)>) {
        if let (Some((program, report)), LiveInput::Upgrade { source }) = (upgraded, &r.input) {
            self.switch(program, source.clone(), report);
        }
        if let LiveInput::Message { key: Some(k), .. } = &r.input {
            self.keys.insert(k.clone(), r.seq);
        }
    }

    /// The loop: requests, inputs, time, cycles, until asked to stop.
    fn serve(mut self, inbox: Rc<Inbox>) -> Result<(), Vec<Diagnostic>> {
        loop {
            let runnable = self.halted.is_none()
                && self.rt.outcome().is_none()
                && self.rt.waiting_for().is_none()
                && self.rt.cycle() < self.limit();
            let timeout = if runnable {
                Duration::ZERO
            } else if self.cluster.is_some() {
                self.time_due_in()
                    .unwrap_or(Duration::from_millis(20))
                    .min(Duration::from_millis(20))
            } else {
                self.time_due_in().unwrap_or(Duration::from_secs(1))
            };
            let mut batch = Vec::new();
            let first = match inbox.next(timeout) {
                Ok(r) => r,
                Err(()) => {
                    self.stopping = true;
                    None
                }
            };
            if let Some(r) = first {
                self.take(r, &mut batch);
                while batch.len() < 4096 {
                    match inbox.next(Duration::ZERO) {
                        Ok(Some(r)) => self.take(r, &mut batch),
                        _ => break,
                    }
                }
            }
            if self.cluster.is_some() {
                if self.abandoned() {
                    return Ok(());
                }
                self.replicate(batch);
            } else if !batch.is_empty() {
                self.accept(batch);
            }
            if self.stopping {
                break;
            }
            if self.cluster.is_some() {
                self.lead();
            } else {
                self.advance_time_if_due();
            }
            self.run_slice();
        }
        self.stop();
        Ok(())
    }

    /// Answers a read at once; collects a message into the batch.
    fn take(&mut self, r: Request, batch: &mut Vec<Pending>) {
        match r {
            Request::Send {
                to,
                args,
                key,
                reply,
            } => batch.push((to, args, key, reply)),
            Request::State { domain, reply } => {
                let _ = reply.send(self.state(domain.as_deref()));
            }
            Request::Status { reply } => {
                let _ = reply.send(self.status());
            }
            Request::Metrics { reply } => {
                let _ = reply.send(self.metrics());
            }
            Request::Shutdown => {
                self.stopping = true;
                if let Some(c) = &self.cluster {
                    c.shared.borrow_mut().stopping = true;
                }
            }
            Request::Committed(entries) => self.committed(entries),
            Request::Attach(replica) => self.attach(replica),
            Request::BuildSnapshot { reply } => {
                let _ = reply.send(self.raft_snapshot());
            }
            Request::InstallSnapshot { data, at, reply } => {
                let _ = reply.send(self.install(&data, at));
            }
        }
    }

    /// Answers what must be refused now, and splits the rest: new messages
    /// (numbered from the next input on) and duplicates by key (with the
    /// number they were first accepted under).
    #[allow(clippy::type_complexity)]
    fn sort_batch(
        &self,
        batch: Vec<Pending>,
    ) -> (
        Vec<(u64, LiveInput, oneshot::Sender<Result<Ack, Refused>>)>,
        Vec<(u64, oneshot::Sender<Result<Ack, Refused>>)>,
    ) {
        let mut fresh = Vec::new();
        let mut dups = Vec::new();
        let mut in_batch: std::collections::HashMap<String, u64> = Default::default();
        for (to, args, key, reply) in batch {
            if let Some(d) = self.refusal() {
                let _ = reply.send(Err(Refused(Box::new(d))));
                continue;
            }
            if let Err(e) = crate::runtime::drive::external_message(self.program, &to, &args) {
                let why = match e {
                    crate::runtime::drive::BadMessage::NoHandler(to) => {
                        format!("no handler `{to}` (write `Domain.handler`)")
                    }
                    e => e.to_string(),
                };
                let _ = reply.send(Err(Refused(Box::new(Diagnostic::plain(Code::S001, why)))));
                continue;
            }
            let seq = self.next_input + fresh.len() as u64;
            if let Some(k) = &key {
                if let Some(first) = self.keys.get(k).or_else(|| in_batch.get(k).copied()) {
                    dups.push((first, reply));
                    continue;
                }
                in_batch.insert(k.clone(), seq);
            }
            let input = LiveInput::Message { to, args, key };
            fresh.push((seq, input, reply));
        }
        (fresh, dups)
    }

    /// Journals a batch of messages, makes them durable with one commit,
    /// then applies and acknowledges them (duplicates by key are
    /// acknowledged with their first sequence number and not applied).
    fn accept(&mut self, batch: Vec<Pending>) {
        let (messages, dups) = self.sort_batch(batch);
        let mut fresh = Vec::new();
        for (seq, input, reply) in messages {
            let record = LiveRecord {
                seq,
                after: self.rt.cycle(),
                input,
                raft: None,
            };
            self.journal.borrow_mut().append_live(&record);
            self.next_input += 1;
            fresh.push((record, reply));
        }
        if fresh.is_empty() && dups.is_empty() {
            return;
        }
        let committed = if fresh.is_empty() {
            Ok(())
        } else {
            self.commit(fresh.len())
        };
        if let Err(d) = committed {
            for (_, reply) in fresh {
                let _ = reply.send(Err(Refused(d.clone())));
            }
            for (_, reply) in dups {
                let _ = reply.send(Err(Refused(d.clone())));
            }
            return;
        }
        for (record, reply) in fresh {
            let seq = record.seq;
            if let Err(what) = self.apply(&record) {
                self.halt(Diagnostic::plain(Code::J004, what));
            }
            self.metrics.accepted += 1;
            let _ = reply.send(Ok(Ack {
                seq,
                duplicate: false,
            }));
        }
        for (seq, reply) in dups {
            self.metrics.duplicates += 1;
            let _ = reply.send(Ok(Ack {
                seq,
                duplicate: true,
            }));
        }
    }

    /// Commits the journal; on failure the run halts (nothing appended
    /// since the last commit is acknowledged or applied).
    fn commit(&mut self, records: usize) -> Result<(), Box<Diagnostic>> {
        let t = Instant::now();
        let r = self.journal.borrow_mut().commit();
        let secs = t.elapsed().as_secs_f64();
        self.metrics.commits += 1;
        self.metrics.commit_seconds += secs;
        self.metrics.commit_max_seconds = self.metrics.commit_max_seconds.max(secs);
        self.metrics.batched += records as u64;
        r.inspect_err(|d| self.halt(*d.clone()))
    }

    fn halt(&mut self, d: Diagnostic) {
        if self.halted.is_none() {
            self.halted = Some(d);
            self.step_aside();
        }
    }

    /// Why a message would be refused now.
    fn refusal(&self) -> Option<Diagnostic> {
        if self.stopping {
            return Some(Diagnostic::plain(
                Code::S003,
                "the server is stopping; send the message again once it is back",
            ));
        }
        self.halted.clone()
    }

    /// When a waiting run's timer is due in real time: the due τ, and the
    /// instant `--tick-ms` per tick after the wait began.
    fn timer_due(&mut self) -> Option<(u64, Instant)> {
        if self.halted.is_some() {
            return None;
        }
        let due = self.rt.waiting_for()?;
        let (since, tau, _) = self.anchor();
        let ticks = due.saturating_sub(tau.max(0) as u64);
        Some((
            due,
            since + Duration::from_millis(self.tick_ms.saturating_mul(ticks)),
        ))
    }

    /// How long until a waiting run's timer is due in real time.
    fn time_due_in(&mut self) -> Option<Duration> {
        let (_, at) = self.timer_due()?;
        Some(
            at.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        )
    }

    /// When the current wait began (reset whenever τ or the cycle moved).
    fn anchor(&mut self) -> (Instant, i64, u64) {
        let now = (self.rt.tick(), self.rt.cycle());
        match self.waiting_since {
            Some((t, tau, c)) if (tau, c) == now => (t, tau, c),
            _ => {
                let a = (Instant::now(), now.0, now.1);
                self.waiting_since = Some(a);
                a
            }
        }
    }

    /// Lets τ reach a waiting timer once its real time has passed: the
    /// decision is journaled (and durable) before it is applied.
    fn advance_time_if_due(&mut self) {
        let Some((due, at)) = self.timer_due() else {
            return;
        };
        if Instant::now() < at {
            return;
        }
        let record = LiveRecord {
            seq: self.next_input,
            after: self.rt.cycle(),
            input: LiveInput::Time { tick: due },
            raft: None,
        };
        self.journal.borrow_mut().append_live(&record);
        self.next_input += 1;
        if self.commit(1).is_ok() {
            let _ = self.apply(&record);
        }
    }

    /// Observes cycles only while an SSE client listens: an observed run
    /// evaluates the goals a cycle may have changed, which nobody needs
    /// otherwise.
    fn watch_events(&mut self) {
        let listening = self.events.receiver_count() > 0;
        match (listening, self.rt.is_observed()) {
            (true, false) => self.rt.observe(Box::new(Events {
                tx: self.events.clone(),
                program: self.program,
            })),
            (false, true) => drop(self.rt.unobserve()),
            _ => {}
        }
    }

    /// Runs cycles for at most a few milliseconds (reads and messages wait
    /// no longer than that), taking snapshots on the way.
    fn run_slice(&mut self) {
        if self.halted.is_some() || self.rt.outcome().is_some() {
            return;
        }
        self.watch_events();
        let start = Instant::now();
        let until = self.rt.cycle().saturating_add(100_000).min(self.limit());
        let mut foreign = None;
        let (every, mut last) = (self.snapshot_every, self.last_snapshot_cycle);
        let mut snapshots = 0;
        let (next_input, keys, source) = (self.next_input, &self.keys, &self.source);
        let raft_applied = self.raft_applied();
        let installed_at = self.installed_at;
        let journal = self.journal.clone();
        let shared = self.shared();
        let writer = &mut self.writer;
        self.rt.drive(&[], until, |rt| {
            if let Some(what) = journal.borrow_mut().foreign.take() {
                foreign = Some(what);
                return Flow::Stop;
            }
            if shared.as_ref().is_some_and(|s| s.borrow().superseded) {
                // The cycle was cut short for a snapshot: not kept.
                return Flow::Stop;
            }
            if let Some(w) = writer.as_mut() {
                if rt.cycle() >= last + every && !w.busy() {
                    session::submit(
                        rt,
                        w,
                        &journal,
                        live_section(next_input, keys, source, raft_applied, installed_at),
                    );
                    last = rt.cycle();
                    snapshots += 1;
                }
            }
            if start.elapsed() > Duration::from_millis(5) {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
        self.last_snapshot_cycle = last;
        if snapshots > 0 {
            self.metrics.snapshots += snapshots;
            self.metrics.last_snapshot = Some(Instant::now());
        }
        if let Some(what) = foreign {
            self.halt(Diagnostic::plain(
                Code::J004,
                format!("the journal holds a record this run did not write: {what}"),
            ));
        }
        let failed = self.journal.borrow().error.as_ref().map(|e| e.diagnostic());
        if let Some(d) = failed {
            self.halt(d);
        }
        self.check_ending();
    }

    /// E005, E007, E008, E009 and the queue limit halt a live run; a
    /// converged or stuck run is idle and wakes on the next message.
    fn check_ending(&mut self) {
        let Some(outcome) = self.rt.outcome() else {
            return;
        };
        if matches!(outcome, Outcome::Converged | Outcome::Stuck { .. }) {
            return;
        }
        if let Some(d) = report::ending(self.program, outcome) {
            self.halt(d);
        }
    }

    /// Writes a last snapshot and waits for it.
    fn stop(mut self) {
        if let Some(mut w) = self.writer.take() {
            if self.unkept() {
                // An effect call was cut short: this state is not the
                // log's, so no snapshot of it.
                w.finish();
                return;
            }
            // A snapshot says the log is durable up to its position: not
            // after the journal failed.
            let journal_ok = self.journal.borrow().error.is_none()
                && !self
                    .halted
                    .as_ref()
                    .is_some_and(|d| matches!(d.code, Code::J001 | Code::J002 | Code::J004));
            if journal_ok {
                let live = live_section(
                    self.next_input,
                    &self.keys,
                    &self.source,
                    self.raft_applied(),
                    self.installed_at,
                );
                while w.busy() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                session::submit(&mut self.rt, &mut w, &self.journal, live);
            }
            w.finish();
        }
    }

    fn state(&self, domain: Option<&str>) -> Option<Json> {
        let p = self.program;
        let d = match domain {
            Some(name) => Some(p.domains.iter().position(|d| d.name == name)?),
            None => None,
        };
        let mut out = serde_json::Map::new();
        for (i, v) in p.vars.iter().enumerate() {
            if d.is_some_and(|d| v.domain as usize != d) {
                continue;
            }
            let value = self.rt.value_of(i).map_or(Json::Null, to_json);
            out.insert(v.qualified.clone(), value);
        }
        Some(Json::Object(out))
    }

    fn status(&mut self) -> Json {
        let p = self.program;
        // Shown truths: evaluating them changes nothing (the scheduler's
        // own evaluation would end the run on a failing predicate, and a
        // read must never change the run).
        let truths = self.rt.goal_truths();
        let yielded = &self.rt.run.yielded;
        let false_goals: Vec<String> = truths
            .into_iter()
            .enumerate()
            .filter(|(g, holds)| !holds && !yielded.get(*g).copied().unwrap_or(false))
            .map(|(g, _)| p.goals[g].qualified.clone())
            .collect();
        let state = match (&self.halted, self.rt.outcome()) {
            (Some(_), _) => "halted",
            (None, Some(Outcome::Stuck { .. })) => "stuck",
            (None, Some(_)) => "idle",
            (None, None) => "running",
        };
        let report = self.halted.as_ref().map(|d| {
            let outcome = self.rt.outcome().cloned();
            match outcome {
                Some(o) if o.code() == Some(d.code) => report::text(&mut self.rt, p, &o),
                _ => crate::diag::render::render_line(d),
            }
        });
        json!({
            "cycle": self.rt.cycle(),
            "tick": self.rt.tick(),
            "state": state,
            "code": self.halted.as_ref().map(|d| d.code.to_string()),
            "report": report,
            "queue": self.rt.queue().len(),
            "waiting_for_tick": self.rt.waiting_for(),
            "false_goals": false_goals,
            "inputs": self.next_input,
            "upgraded": self.upgraded.as_ref().map(|u| json!({
                "kept": u.kept,
                "reset": u.reset,
                "removed": u.removed,
                "dropped_messages": u.dropped_messages,
            })),
            "run_hash": self.rt.run_hash(),
            "cluster": self.cluster_status(),
        })
    }

    fn metrics(&mut self) -> String {
        let p = self.program;
        let m = &self.metrics;
        let mut s = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, String)>| {
            s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (labels, v) in lines {
                s.push_str(&format!("{name}{labels} {v}\n"));
            }
        };
        let one = |v: String| vec![(String::new(), v)];
        metric(
            "lexum_cycles_total",
            "counter",
            "Cycles run.",
            one(self.rt.cycle().to_string()),
        );
        metric(
            "lexum_messages_accepted_total",
            "counter",
            "Messages acknowledged and applied (this process).",
            one(m.accepted.to_string()),
        );
        metric(
            "lexum_messages_duplicate_total",
            "counter",
            "Messages acknowledged again by idempotency key (this process).",
            one(m.duplicates.to_string()),
        );
        metric(
            "lexum_repairs_total",
            "counter",
            "Repairs run, per goal.",
            p.goals
                .iter()
                .enumerate()
                .map(|(g, goal)| {
                    (
                        format!("{{goal=\"{}\"}}", goal.qualified),
                        self.rt.run.repair_runs[g].to_string(),
                    )
                })
                .collect(),
        );
        metric(
            "lexum_retries_total",
            "counter",
            "Failed transactions retried.",
            one(self.rt.run.retries.to_string()),
        );
        metric(
            "lexum_yields_total",
            "counter",
            "Goals that yielded.",
            one(self.rt.run.yields.len().to_string()),
        );
        metric(
            "lexum_queue_depth",
            "gauge",
            "Pending events.",
            one(self.rt.queue().len().to_string()),
        );
        metric(
            "lexum_journal_commits_total",
            "counter",
            "Journal commits (one sync each under --sync always).",
            one(m.commits.to_string()),
        );
        metric(
            "lexum_journal_commit_seconds_total",
            "counter",
            "Time spent committing the journal.",
            one(format!("{:.6}", m.commit_seconds)),
        );
        metric(
            "lexum_journal_commit_seconds_max",
            "gauge",
            "The longest journal commit.",
            one(format!("{:.6}", m.commit_max_seconds)),
        );
        metric(
            "lexum_journal_commit_batch_records_total",
            "counter",
            "Records made durable by commits (divide by commits for the batch size).",
            one(m.batched.to_string()),
        );
        metric(
            "lexum_snapshots_total",
            "counter",
            "Snapshots handed to the writer.",
            one(m.snapshots.to_string()),
        );
        metric(
            "lexum_snapshot_age_seconds",
            "gauge",
            "Seconds since the last snapshot (-1: none yet in this process).",
            one(m.last_snapshot.map_or("-1".to_string(), |t| {
                format!("{:.3}", t.elapsed().as_secs_f64())
            })),
        );
        metric(
            "lexum_idempotency_keys",
            "gauge",
            "Idempotency keys remembered.",
            one(self.keys.len().to_string()),
        );
        s
    }
}
