//! The engine as one node of a cluster (issue 14, docs/cluster.md). Inputs
//! reach the runtime only through the Raft log, in log order, on every
//! node alike: the leader proposes and waits for the commit, then applies
//! what the log says, as followers do. Three kinds of items:
//!
//! - a live input (message, time) is applied after the cycle it names;
//! - `Advance` lets every node run cycles up to a bound. The leader runs
//!   no cycle the log has not allowed, so a new leader never finds a cycle
//!   it would have to undo, and an input's place is the same everywhere;
//! - an effect result: only the leader calls effects, and the result is
//!   committed before the run uses it. A follower that reaches a call
//!   reads the log ahead until its result arrives; a new leader calls
//!   again only what has no committed result, under the same call id.
//!
//! A Live item that does not fit (its number is not the next input's, or
//! its cycle has passed: a proposal that timed out and was committed
//! later) is skipped, by every node alike, and its client retries by key.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use openraft::ServerState;
use serde_json::{json, Value as Json};

use super::{replay_input, Ack, Engine, Inbox, Pending, Refused, Request};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir;
use crate::journal::run::LiveInput;
use crate::journal::session::{self, Opened, Setup};
use crate::journal::snapshot::{self as snapshots, Identity};
use crate::journal::Storage;
use crate::runtime::effects::{EffectError, Effects};
use crate::serve::cluster::state_machine::Committed;
use crate::serve::cluster::types::Item;
use crate::serve::cluster::Replica;
use crate::value::json::{from_json, to_json};
use crate::value::Value;

/// Cycles one `Advance` allows.
const SLICE: u64 = 1024;
/// How long a leader may go without an answer from a majority before it
/// stops proposing (the longest election timeout).
const QUORUM_SILENCE_MS: u64 = 1200;
/// How long a proposal may take to commit before its clients are told to
/// retry.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(3);

/// What the engine and the effect binding share (one thread).
#[derive(Default)]
pub(crate) struct Shared {
    pub replica: Option<Replica>,
    pub inbox: Option<Rc<Inbox>>,
    /// Committed effect results not used yet, by call id.
    pub results: BTreeMap<u64, (String, Json)>,
    /// The first call id the run has not used a result for.
    pub next_call: u64,
    /// The highest term among the entries read so far.
    pub seen_term: u64,
    pub stopping: bool,
    /// An effect call was cut short: this node's state is no longer the
    /// log's, and the engine ends without a snapshot.
    pub abandoned: bool,
    /// A snapshot to install came while a cycle waited for an effect's
    /// result (which the log no longer holds): the cycle was cut short,
    /// and nothing runs or applies until the snapshot replaces the state.
    pub superseded: bool,
}

impl Shared {
    /// Leader, and every entry of earlier terms read.
    fn leads(&self) -> bool {
        let Some(r) = &self.replica else {
            return false;
        };
        let m = r.raft.metrics();
        let m = m.borrow();
        // A leader that has not heard from a majority for longer than an
        // election takes is most likely cut off: it proposes nothing (a
        // proposal would only wait out its timeout) and refuses at once.
        let in_touch = m
            .millis_since_quorum_ack
            .is_some_and(|ms| ms <= QUORUM_SILENCE_MS);
        m.state == ServerState::Leader && m.current_term == self.seen_term && in_touch
    }

    fn read(&mut self, entries: &[Committed], from_call: u64) {
        for (id, batch) in entries {
            self.seen_term = self.seen_term.max(id.leader_id.term);
            for item in batch.iter().flatten() {
                if let Item::Effect {
                    call,
                    effect,
                    result,
                } = item
                {
                    if *call >= from_call {
                        self.results.insert(*call, (effect.clone(), result.clone()));
                    }
                }
            }
        }
    }
}

/// Proposes `items` and waits for the commit (at most `COMMIT_TIMEOUT`):
/// the index of the entry.
fn propose(replica: &Replica, items: Vec<Item>) -> Option<u64> {
    let raft = replica.raft.clone();
    replica
        .tokio
        .block_on(
            async move { tokio::time::timeout(COMMIT_TIMEOUT, raft.client_write(items)).await },
        )
        .ok()?
        .ok()
        .map(|r| r.log_id.index)
}

/// The effect binding of a cluster node (inside the journal's binding, so
/// the node's own journal records each result too).
pub(crate) struct ReplicatedEffects {
    /// The real binding (shared: a node that installs a snapshot opens a
    /// new journal, with a new binding around the same one).
    pub real: Rc<RefCell<Box<dyn Effects>>>,
    pub shared: Rc<RefCell<Shared>>,
    pub inbox: Rc<Inbox>,
}

fn encode(r: &Result<Value, EffectError>) -> Json {
    match r {
        Ok(v) => json!({ "ok": to_json(v) }),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

fn decode(name: &str, result: &Json, effect: &ir::Effect) -> Result<Value, EffectError> {
    let bad = || EffectError::Unrecorded("an unreadable replicated result".into());
    if name != effect.name {
        return Err(bad());
    }
    match (result.get("ok"), result.get("error")) {
        (Some(v), _) => from_json(v).filter(|v| v.fits(&effect.ret)).ok_or_else(bad),
        (_, Some(Json::String(m))) => Err(EffectError::Failed(m.clone())),
        _ => Err(bad()),
    }
}

impl Effects for ReplicatedEffects {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        let mut tried = false;
        loop {
            {
                let mut s = self.shared.borrow_mut();
                s.results = s.results.split_off(&call_id);
                if let Some((name, result)) = s.results.remove(&call_id) {
                    s.next_call = call_id + 1;
                    return decode(&name, &result, effect);
                }
                if s.stopping || s.abandoned {
                    s.abandoned = true;
                    return Err(EffectError::Journal(
                        "the node stopped during an effect call",
                    ));
                }
                if s.superseded {
                    // The log that held this call's result is purged; the
                    // snapshot that covers it replaces the whole state, so
                    // the cycle ends here, unrecorded, and is never kept.
                    return Err(EffectError::Journal(
                        "a snapshot replaces this node's state during an effect call",
                    ));
                }
            }
            let leads = self.shared.borrow().leads();
            if leads && !tried {
                tried = true;
                let r = self.real.borrow_mut().call(call_id, effect, args);
                let item = Item::Effect {
                    call: call_id,
                    effect: effect.name.clone(),
                    result: encode(&r),
                };
                let replica = self.shared.borrow().replica.clone();
                if replica.is_some_and(|rep| propose(&rep, vec![item]).is_some()) {
                    self.shared.borrow_mut().next_call = call_id + 1;
                    return r;
                }
                // Not committed (leadership lost, or too slow): the log
                // decides which result this call has.
                continue;
            }
            tried = false;
            // Read the log ahead; everything read is handled later, in order.
            match self.inbox.rx.recv_timeout(Duration::from_millis(20)) {
                Ok(Request::Committed(entries)) => {
                    self.shared.borrow_mut().read(&entries, call_id);
                    self.inbox
                        .stash
                        .borrow_mut()
                        .push_back(Request::Committed(entries));
                }
                Ok(Request::Shutdown) => {
                    self.shared.borrow_mut().stopping = true;
                    self.inbox.stash.borrow_mut().push_back(Request::Shutdown);
                }
                Ok(Request::Attach(r)) => self.shared.borrow_mut().replica = Some(r),
                Ok(r @ Request::InstallSnapshot { .. }) => {
                    self.shared.borrow_mut().superseded = true;
                    self.inbox.stash.borrow_mut().push_back(r);
                }
                Ok(Request::Send { reply, .. }) => {
                    // The run is inside a cycle until the log holds this
                    // result (a partition, a leader change): nothing can
                    // be accepted meanwhile.
                    let _ = reply.send(Err(Refused(Box::new(Diagnostic::plain(
                        Code::S004,
                        "this node waits for the log to hold an effect's result; retry (another node may lead)",
                    )))));
                }
                Ok(other) => self.inbox.stash.borrow_mut().push_back(other),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    self.shared.borrow_mut().stopping = true;
                }
            }
        }
    }
}

/// The engine's side of a cluster node.
pub(crate) struct Cluster {
    pub shared: Rc<RefCell<Shared>>,
    /// The log lets the run go up to this cycle.
    position: u64,
    /// The highest term among the entries the engine applied.
    applied_term: u64,
    /// The last entry applied.
    applied_index: u64,
    /// The inputs applied from the entry being waited for.
    applied_seqs: Vec<u64>,
    /// The leader that proposed the last entry applied.
    applied_leader: u64,
    /// When this node, holding an upgrade to propose, may next ask for an
    /// election.
    next_campaign: Option<std::time::Instant>,
    /// The node's journal, and its effect binding (both to start the
    /// journal again from an installed snapshot).
    storage: Arc<dyn Storage>,
    make_effects: Box<dyn Fn() -> Box<dyn Effects>>,
}

impl Cluster {
    pub fn new(
        shared: Rc<RefCell<Shared>>,
        engine: &Engine,
        storage: Arc<dyn Storage>,
        make_effects: Box<dyn Fn() -> Box<dyn Effects>>,
    ) -> Cluster {
        Cluster {
            shared,
            applied_leader: engine.raft_at.map_or(0, |r| r[1]),
            storage,
            make_effects,
            position: engine.rt.cycle().max(engine.raft_at.map_or(0, |r| r[3])),
            applied_term: engine.raft_at.map_or(0, |r| r[0]),
            applied_index: engine.raft_at.map_or(0, |r| r[2]),
            applied_seqs: Vec::new(),
            // The first campaign waits for the node to catch up a little.
            next_campaign: Some(std::time::Instant::now() + Duration::from_secs(2)),
        }
    }
}

fn not_leader(shared: &Shared) -> Diagnostic {
    let leader = shared.replica.as_ref().and_then(|r| {
        let id = r.raft.metrics().borrow().current_leader?;
        Some((id, r.peers.get(&id).cloned().unwrap_or_default()))
    });
    Diagnostic::plain(
        Code::S004,
        match leader {
            Some((id, addr)) => {
                format!("this node is not the leader; the leader is node {id} at http://{addr}")
            }
            None => "this node is not the leader, and no leader is known yet; retry".to_string(),
        },
    )
}

impl Engine {
    /// Where the run may go: the log's bound in a cluster (nowhere while
    /// a snapshot is about to replace the state).
    pub(super) fn limit(&self) -> u64 {
        match &self.cluster {
            None => u64::MAX,
            Some(c) if c.shared.borrow().superseded => self.rt.cycle(),
            Some(c) => c.position,
        }
    }

    pub(super) fn abandoned(&self) -> bool {
        self.cluster
            .as_ref()
            .is_some_and(|c| c.shared.borrow().abandoned)
    }

    /// The state is not the log's (an effect call was cut short, or a
    /// snapshot is about to replace it): no snapshot may be taken of it.
    pub(super) fn unkept(&self) -> bool {
        self.cluster.as_ref().is_some_and(|c| {
            let s = c.shared.borrow();
            s.abandoned || s.superseded
        })
    }

    /// The flags `unkept` reads, for a loop that cannot borrow the engine.
    pub(super) fn shared(&self) -> Option<Rc<RefCell<Shared>>> {
        self.cluster.as_ref().map(|c| c.shared.clone())
    }

    /// The Raft position of the last input applied (cluster only).
    pub(crate) fn raft_applied(&self) -> Option<[u64; 4]> {
        self.raft_at
    }

    pub(super) fn attach(&mut self, replica: Replica) {
        if let Some(c) = &self.cluster {
            c.shared.borrow_mut().replica = Some(replica);
        }
        self.step_aside();
    }

    /// Leader, with every earlier entry applied.
    fn leads(&self) -> bool {
        self.cluster.as_ref().is_some_and(|c| {
            let s = c.shared.borrow();
            s.leads() && c.applied_term == s.seen_term
        })
    }

    /// Applies committed entries in log order.
    pub(super) fn committed(&mut self, entries: Vec<Committed>) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        if c.shared.borrow().superseded {
            // The snapshot that comes next covers these.
            return;
        }
        let next_call = c.shared.borrow().next_call;
        c.shared.borrow_mut().read(&entries, next_call);
        let mut journaled = 0;
        for (id, batch) in entries {
            let c = self.cluster.as_mut().expect("a cluster engine");
            if id.index <= c.applied_index && c.applied_index > 0 {
                continue; // handed over again after a restart
            }
            c.applied_index = id.index;
            c.applied_term = c.applied_term.max(id.leader_id.term);
            c.applied_leader = id.leader_id.node_id;
            for item in batch.into_iter().flatten() {
                let c = self.cluster.as_mut().expect("a cluster engine");
                match &item {
                    Item::Advance {
                        to,
                        at,
                        hash,
                        program,
                    } => {
                        c.position = c.position.max(*to);
                        self.check_hash(*at, hash, program);
                    }
                    Item::Effect { .. } => {}
                    Item::Live { .. } => {
                        let Some(r) = item.record(id, c.position) else {
                            continue;
                        };
                        if r.seq != self.next_input || r.after < self.rt.cycle() {
                            continue;
                        }
                        c.position = c.position.max(r.after);
                        let upgrade = matches!(r.input, LiveInput::Upgrade { .. });
                        if self.node_fault() || (self.halted.is_some() && !upgrade) {
                            continue;
                        }
                        if upgrade {
                            // A run that ended (E005, say) goes on under the
                            // new program, as a single server's does.
                            self.halted = None;
                        }
                        match replay_input(self.program, &mut self.rt, &r, |_| {}) {
                            Ok(upgraded) => {
                                self.journal.borrow_mut().append_live(&r);
                                journaled += 1;
                                self.applied(&r, upgraded);
                                self.next_input = r.seq + 1;
                                self.raft_at = r.raft;
                                if let Some(c) = self.cluster.as_mut() {
                                    c.applied_seqs.push(r.seq);
                                }
                                if upgrade {
                                    self.check_ending();
                                }
                            }
                            Err(what) => self.halt(Diagnostic::plain(Code::J004, what)),
                        }
                    }
                }
            }
        }
        if journaled > 0 {
            let _ = self.commit(journaled);
        }
    }

    /// Runs to cycle `at` and compares the program and the run hash with
    /// the leader's.
    fn check_hash(&mut self, at: u64, hash: &str, program: &str) {
        if self.halted.is_some() || at < self.rt.cycle() {
            // Past it already: the entry is one handed over again.
            return;
        }
        let mine = crate::trace::sha256_hex(self.source.as_bytes());
        if mine != program {
            self.halt(Diagnostic::plain(
                Code::S005,
                format!(
                    "at cycle {at} the cluster runs the program with sha256 {program}, but this node runs {mine}: start it with the cluster's program (`--upgrade` with a new one proposes it to the cluster)"
                ),
            ));
            return;
        }
        self.rt
            .drive(&[], at, |_| crate::runtime::drive::Flow::Continue);
        if self.rt.cycle() != at {
            self.halt(Diagnostic::plain(
                Code::S006,
                format!(
                    "the leader ran to cycle {at}, but this node's run stops at cycle {}",
                    self.rt.cycle()
                ),
            ));
            return;
        }
        let mine = self.rt.run_hash();
        if mine != hash {
            self.halt(Diagnostic::plain(
                Code::S006,
                format!(
                    "at cycle {at} the leader's run hash is {hash}, this node's is {mine}: the runs diverged (a bug in lexum)"
                ),
            ));
        }
    }

    /// Waits until the entry at `index` is applied; other requests that
    /// come meanwhile are handled afterwards, in order.
    fn applied_through(&mut self, inbox_timeout: Duration, index: u64) {
        let deadline = std::time::Instant::now() + COMMIT_TIMEOUT;
        let inbox = self.inbox();
        let mut later = Vec::new();
        while self
            .cluster
            .as_ref()
            .is_some_and(|c| c.applied_index < index)
            && std::time::Instant::now() < deadline
        {
            match inbox.rx.recv_timeout(inbox_timeout) {
                Ok(Request::Committed(e)) => self.committed(e),
                Ok(other) => later.push(other),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        inbox.stash.borrow_mut().extend(later);
    }

    fn inbox(&self) -> Rc<Inbox> {
        self.cluster
            .as_ref()
            .and_then(|c| c.shared.borrow().inbox.clone())
            .expect("a cluster engine has an inbox")
    }

    /// Proposes items and applies the log through them: `true` once the
    /// entry is applied.
    fn propose_and_apply(&mut self, items: Vec<Item>) -> bool {
        let Some(replica) = self
            .cluster
            .as_ref()
            .and_then(|c| c.shared.borrow().replica.clone())
        else {
            return false;
        };
        if let Some(c) = self.cluster.as_mut() {
            c.applied_seqs.clear();
        }
        let Some(index) = propose(&replica, items) else {
            return false;
        };
        self.applied_through(Duration::from_millis(20), index);
        self.cluster
            .as_ref()
            .is_some_and(|c| c.applied_index >= index)
    }

    /// Messages in a cluster: the leader proposes them and acknowledges
    /// those the log applied; other nodes refuse with the leader's address.
    pub(super) fn replicate(&mut self, batch: Vec<Pending>) {
        if batch.is_empty() {
            return;
        }
        if !self.leads() {
            let d = match (self.refusal(), &self.cluster) {
                (Some(d), _) => d,
                (None, Some(c)) => not_leader(&c.shared.borrow()),
                (None, None) => return,
            };
            for (_, _, _, reply) in batch {
                let _ = reply.send(Err(Refused(Box::new(d.clone()))));
            }
            return;
        }
        // An input goes where the log has let the run go.
        self.catch_up();
        let (messages, dups) = self.sort_batch(batch);
        let after = self.rt.cycle();
        let mut items = Vec::new();
        let mut fresh = Vec::new();
        for (seq, input, reply) in messages {
            items.push(Item::Live { seq, after, input });
            fresh.push((seq, reply));
        }
        let ok = items.is_empty() || self.propose_and_apply(items);
        let applied = self
            .cluster
            .as_ref()
            .map(|c| c.applied_seqs.clone())
            .unwrap_or_default();
        let retry = || {
            Refused(Box::new(Diagnostic::plain(
                Code::S004,
                "the message was not committed in time (a leader change?); send it again with the same key",
            )))
        };
        for (seq, reply) in fresh {
            if ok && applied.contains(&seq) {
                self.metrics.accepted += 1;
                let _ = reply.send(Ok(Ack {
                    seq,
                    duplicate: false,
                }));
            } else {
                let _ = reply.send(Err(retry()));
            }
        }
        for (seq, reply) in dups {
            self.metrics.duplicates += 1;
            let _ = reply.send(if ok {
                Ok(Ack {
                    seq,
                    duplicate: true,
                })
            } else {
                Err(retry())
            });
        }
    }

    /// Runs to the log's bound (an input must not land before a cycle the
    /// log already allowed: followers would run that cycle first).
    fn catch_up(&mut self) {
        let to = self.limit();
        self.rt
            .drive(&[], to, |_| crate::runtime::drive::Flow::Continue);
    }

    /// The leader's own decisions: time, and how far the run may go.
    pub(super) fn lead(&mut self) {
        if self.node_fault() {
            return;
        }
        if !self.leads() {
            self.campaign_for_upgrade();
            return;
        }
        // An upgrade first: it may also be what ends a halt (E005, say).
        if let Some(source) = self.proposed_upgrade.clone() {
            if *source == *self.source {
                self.proposed_upgrade = None;
            } else {
                self.catch_up();
                let item = Item::Live {
                    seq: self.next_input,
                    after: self.rt.cycle(),
                    input: LiveInput::Upgrade {
                        source: source.to_string(),
                    },
                };
                self.propose_and_apply(vec![item]);
                return;
            }
        }
        if self.halted.is_some() {
            return;
        }
        if let Some((due, at)) = self.timer_due() {
            if std::time::Instant::now() >= at {
                self.catch_up();
                let item = Item::Live {
                    seq: self.next_input,
                    after: self.rt.cycle(),
                    input: LiveInput::Time { tick: due },
                };
                self.propose_and_apply(vec![item]);
            }
            return;
        }
        let runnable = self.rt.outcome().is_none() && self.rt.waiting_for().is_none();
        if runnable && self.rt.cycle() >= self.limit() {
            let at = self.rt.cycle();
            let hash = self.rt.run_hash();
            self.propose_and_apply(vec![Item::Advance {
                to: at + SLICE,
                at,
                hash,
                program: crate::trace::sha256_hex(self.source.as_bytes()),
            }]);
        }
    }

    /// A node started with `--upgrade` proposes its program once it leads;
    /// as a follower it asks for an election (at most every 5 s), which an
    /// up-to-date node wins, so the upgrade does not wait on chance.
    fn campaign_for_upgrade(&mut self) {
        let Some(c) = self.cluster.as_mut() else {
            return;
        };
        if self.proposed_upgrade.is_none() {
            return;
        }
        if self.proposed_upgrade.as_deref() == Some(&*self.source) {
            self.proposed_upgrade = None;
            return;
        }
        let now = std::time::Instant::now();
        if c.next_campaign.is_some_and(|at| now < at) {
            return;
        }
        c.next_campaign = Some(now + Duration::from_secs(5));
        if let Some(r) = c.shared.borrow().replica.clone() {
            if r.raft.metrics().borrow().state == ServerState::Leader {
                return; // not yet caught up with its own term: no need
            }
            let raft = r.raft.clone();
            r.tokio.spawn(async move {
                let _ = raft.trigger().elect().await;
            });
        }
    }

    /// Halted for a fault of this node's own (another program, a diverged
    /// run, a journal that failed), not for an ending of the run, which
    /// every node reaches alike and an upgrade may end.
    pub(super) fn node_fault(&self) -> bool {
        self.halted.as_ref().is_some_and(|d| {
            matches!(
                d.code,
                Code::S005 | Code::S006 | Code::J001 | Code::J002 | Code::J004
            )
        })
    }

    /// A node halted for its own fault stops leading and campaigning, so
    /// the others elect a leader that can go on (openraft 0.9 has no
    /// leadership transfer: without heartbeats, the others time out).
    pub(super) fn step_aside(&self) {
        let Some(c) = &self.cluster else {
            return;
        };
        if let Some(r) = &c.shared.borrow().replica {
            let on = !self.node_fault();
            r.raft.runtime_config().elect(on);
            r.raft.runtime_config().heartbeat(on);
        }
    }

    /// The node's role for `/v1/status`.
    pub(super) fn cluster_status(&self) -> Option<Json> {
        let c = self.cluster.as_ref()?;
        let s = c.shared.borrow();
        let r = s.replica.as_ref()?;
        let m = r.raft.metrics().borrow().clone();
        let lag: serde_json::Map<String, Json> = m
            .replication
            .iter()
            .flatten()
            .map(|(id, matched)| {
                let behind = m
                    .last_log_index
                    .unwrap_or(0)
                    .saturating_sub(matched.map_or(0, |l| l.index));
                (id.to_string(), json!(behind))
            })
            .collect();
        Some(json!({
            "node": r.node_id,
            "role": format!("{:?}", m.state).to_lowercase(),
            "term": m.current_term,
            "leader": m.current_leader,
            "leader_address": m.current_leader.and_then(|l| r.peers.get(&l).cloned()),
            "applied_index": c.applied_index,
            "position": c.position,
            "replication_lag": if m.state == ServerState::Leader { Json::Object(lag) } else { Json::Null },
        }))
    }
}

impl Engine {
    /// The identity snapshots of this run carry.
    fn identity(&self, run_id: String) -> Identity {
        Identity {
            program_hash: crate::trace::sha256_hex(self.source.as_bytes()),
            settings: self.settings.clone(),
            inputs_hash: crate::trace::sha256_hex(
                &serde_json::to_vec(&crate::journal::run::inputs_json(&[])).unwrap_or_default(),
            ),
            run_id,
        }
    }

    /// What a cluster snapshot keeps beside the run.
    fn cluster_live(&self, at: [u64; 4], installed: bool) -> Json {
        let results: serde_json::Map<String, Json> = self
            .cluster
            .as_ref()
            .map(|c| {
                c.shared
                    .borrow()
                    .results
                    .iter()
                    .map(|(k, (name, r))| (k.to_string(), json!([name, r])))
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "next_input": self.next_input,
            "keys": self.keys.snapshot().to_json(),
            "program": &*self.source,
            "raft_applied": at,
            "effect_results": results,
            "installed_at": installed.then_some(self.rt.cycle()).or(self.installed_at),
        })
    }

    /// A Raft snapshot: the state at the last entry applied, encoded as a
    /// Lexum snapshot (between cycles, on the engine thread).
    pub(super) fn raft_snapshot(&mut self) -> Option<(Vec<u8>, [u64; 4])> {
        let c = self.cluster.as_ref()?;
        if c.applied_index == 0 || self.unkept() {
            return None;
        }
        let at = [
            c.applied_term,
            c.applied_leader,
            c.applied_index,
            c.position,
        ];
        let live = self.cluster_live(at, false);
        let checkpoint = self.rt.checkpoint();
        let bytes = snapshots::encode(
            &snapshots::Names::new(self.program),
            &checkpoint,
            &self.identity(String::new()),
            snapshots::Position::default(),
            snapshots::DetectorMark::default(),
            &live,
        );
        Some((bytes, at))
    }

    /// Starts this node again from another node's snapshot of entry `at`:
    /// its journal is emptied and begins with that snapshot. A snapshot
    /// this node cannot take (another program, damaged) halts it with
    /// S006; Raft is told it is done, so the rest of the cluster goes on.
    pub(super) fn install(&mut self, data: &[u8], at: [u64; 4]) -> Result<(), String> {
        if let Err(what) = self.try_install(data, at) {
            self.halt(Diagnostic::plain(
                Code::S006,
                format!(
                    "this node cannot take the cluster's snapshot of entry {}: {what}",
                    at[2]
                ),
            ));
        }
        Ok(())
    }

    fn try_install(&mut self, data: &[u8], at: [u64; 4]) -> Result<(), String> {
        // Read it as any snapshot: content hash, program, settings.
        let doc: Json =
            serde_json::from_slice(data).map_err(|e| format!("an unreadable snapshot: {e}"))?;
        let cycle = doc["cycle"].as_u64().ok_or("a snapshot without a cycle")?;
        let name = snapshots::file_name(cycle);
        let scratch = crate::journal::MemStorage::new();
        scratch.replace(&name, data).map_err(|e| e.to_string())?;
        // The cluster may have upgraded since this node's state: the
        // snapshot is read under the program it names (checked first), and
        // that program's hash must be the one the snapshot was sealed with.
        let source = doc["live"]["program"]
            .as_str()
            .ok_or("a snapshot without its program")?;
        let program = if source == &*self.source {
            self.program
        } else {
            super::upgraded_program(source)?
        };
        let mut identity = self.identity(String::new());
        identity.program_hash = crate::trace::sha256_hex(source.as_bytes());
        let snap = snapshots::read(&scratch, &name, program, &identity).map_err(|e| e.reason())?;
        let live = &snap.live;
        let next_input = live["next_input"].as_u64().ok_or("no input count")?;
        let keys = super::Keys::from_json(&live["keys"], self.keys.capacity())
            .ok_or("unreadable idempotency keys")?;
        let raft: [u64; 4] =
            serde_json::from_value(live["raft_applied"].clone()).map_err(|_| "no Raft position")?;
        if raft[..3] != at[..3] {
            return Err(format!(
                "the snapshot is of entry {}, not {}",
                raft[2], at[2]
            ));
        }
        let mut results = BTreeMap::new();
        for (k, v) in live["effect_results"].as_object().into_iter().flatten() {
            let call: u64 = k.parse().map_err(|_| "an unreadable effect result")?;
            let name = v[0].as_str().ok_or("an unreadable effect result")?;
            results.insert(call, (name.to_string(), v[1].clone()));
        }
        let c = self.cluster.as_mut().ok_or("not a cluster node")?;
        let storage = c.storage.clone();
        let effects = (c.make_effects)();
        // The old journal ends here: its writer, its lock, its files.
        if let Some(w) = self.writer.take() {
            w.finish();
        }
        self.journal.borrow_mut().release();
        for name in storage.list().map_err(|e| e.to_string())? {
            if name != "lock" {
                let _ = storage.remove(&name);
            }
        }
        if source != &*self.source {
            self.program = program;
            self.source = source.into();
        }
        let setup = Setup {
            storage: storage.clone(),
            source: &self.source,
            settings: &self.settings,
            inputs: &[],
            policy: crate::journal::run::SyncPolicy::Batch,
            snapshot_every: self.snapshot_every,
            segment_bytes: crate::journal::run::SEGMENT_BYTES,
            after_cycle: None,
            measure: false,
            wait_for_snapshots: false,
        };
        let Opened {
            mut runtime,
            journal,
            writer,
            ..
        } = session::open(self.program, &setup, effects).map_err(|e| {
            e.diagnostics()
                .first()
                .map_or("cannot open the journal".into(), |d| d.message.clone())
        })?;
        runtime.restore(&snap.checkpoint);
        runtime.restore_detector(&snap.detector_records);
        self.rt = runtime;
        self.journal = journal;
        self.writer = writer;
        self.next_input = next_input;
        self.keys = keys;
        self.raft_at = Some(raft);
        self.installed_at = Some(cycle);
        if let Some(c) = &self.cluster {
            c.shared.borrow_mut().superseded = false;
        }
        self.last_snapshot_cycle = cycle;
        self.halted = None;
        if let Some(c) = self.cluster.as_mut() {
            c.position = raft[3].max(cycle);
            c.applied_term = raft[0];
            c.applied_leader = raft[1];
            c.applied_index = raft[2];
            let mut s = c.shared.borrow_mut();
            s.results = results;
            s.seen_term = s.seen_term.max(raft[0]);
        }
        // The new journal starts with this state, durable before Raft is
        // told the snapshot is installed.
        let live = self.cluster_live(raft, true);
        if let Some(w) = self.writer.as_mut() {
            session::submit(&mut self.rt, w, &self.journal, Box::new(move || live));
            while w.busy() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        self.check_ending();
        self.step_aside();
        Ok(())
    }
}
