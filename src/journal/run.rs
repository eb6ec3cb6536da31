//! Journaled runs (`lexum run --journal DIR`). The journal's first record
//! names the program (by hash) and the settings; then come effect results,
//! each written before the handler that asked for it continues; a final
//! record holds the run's status and hash. Starting again on the same journal
//! re-executes the program with the recorded results (a run is a function of
//! its program and its effect results) and goes on where the log ends: a run
//! killed at any instant and resumed ends exactly like one never interrupted.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::segment::{inspect_in, JournalError, Tail, Writer};
use super::storage::Storage;
use crate::codes::Code;
use crate::diag::{render::render_line, Diagnostic};
use crate::ir;
use crate::runtime::effects::{EffectError, Effects};
use crate::trace::format::Settings;
use crate::value::json::{from_json, to_json};
use crate::value::Value;

/// Segments roll over past this size.
pub const SEGMENT_BYTES: u64 = 64 << 20;

/// When appended records are made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPolicy {
    /// fsync before each effect result is used: a result the program acted on
    /// is never lost. About one fsync per effect call.
    Always,
    /// Each record is written at once and fsynced every 64 records and at
    /// the end: a killed process loses nothing; a machine that loses power
    /// can lose the last unsynced results, and those calls are made again on
    /// recovery (the simulator answers the same; a real effect sees the call
    /// id again).
    Batch,
    /// Each record is written at once and never fsynced: the operating
    /// system makes it durable when it likes.
    Never,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Entry {
    /// The first record of every segment: the run the journal belongs to
    /// (a random id made when the journal was created) and the segment's
    /// number, so a segment copied from another run or renumbered is
    /// refused.
    Segment {
        run: String,
        number: u64,
    },
    Start {
        program_hash: String,
        settings: Settings,
        /// The program's text (live runs: `lexum replay DIR` reads it here).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    Effect {
        call: u64,
        effect: String,
        result: Json,
    },
    /// All of the run's external inputs, journaled before the first is enqueued.
    Inputs {
        inputs: Vec<(u64, u32, Vec<Json>)>,
    },
    End {
        status: String,
        run_hash: String,
    },
    /// A live server's input (`lexum serve`): numbered from 0 without a
    /// gap, applied once `after` cycles have run, and durable before it is
    /// applied or acknowledged.
    Live {
        seq: u64,
        after: u64,
        input: LiveInput,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raft: Option<[u64; 4]>,
    },
}

/// What enters a live run from outside, in the order it entered.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum LiveInput {
    /// An external message to a handler (`to` is `Domain.handler`), with
    /// the client's idempotency key if it gave one.
    Message {
        to: String,
        args: Vec<Json>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// Logical time advanced to `tick` because that much real time passed
    /// while the run waited for a timer or retry.
    Time { tick: u64 },
    /// From here on the run goes on under this program (`--upgrade`).
    Upgrade { source: String },
}

/// A journaled live input.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveRecord {
    pub seq: u64,
    pub after: u64,
    pub input: LiveInput,
    /// In a cluster: the Raft log entry that carried it and the cycle the
    /// log allowed then (`[term, leader, index, position]`), so a restarted
    /// node knows where its applied log ends.
    pub raft: Option<[u64; 4]>,
}

/// Why a journal cannot be used for this run.
#[derive(Debug)]
pub enum OpenError {
    Storage(JournalError),
    /// A record fails its checksum or length: nothing after it is trusted.
    Corrupt {
        segment: u64,
        offset: u64,
    },
    /// A record is intact but not a journal entry this version understands.
    Unreadable {
        index: usize,
    },
    /// The journal belongs to another program or other settings.
    Mismatch {
        what: String,
    },
    /// The log's first records were removed (they were covered by a
    /// snapshot) and no snapshot is usable (`skipped` says why each was
    /// not): there is nothing to resume from.
    NoStart {
        skipped: Vec<super::snapshot::SnapshotError>,
    },
    /// Another process holds the journal's lock.
    InUse,
    /// An intact record that this run did not write: a result for another
    /// effect, of the wrong type, a call id out of sequence, or a log that
    /// ends before what a snapshot says it acknowledged.
    Foreign {
        what: String,
    },
}

impl OpenError {
    pub fn code(&self) -> Code {
        match self {
            OpenError::Storage(e) => e.code(),
            OpenError::Corrupt { .. }
            | OpenError::Unreadable { .. }
            | OpenError::NoStart { .. }
            | OpenError::Foreign { .. } => Code::J004,
            OpenError::Mismatch { .. } => Code::J005,
            OpenError::InUse => Code::J007,
        }
    }
}

impl OpenError {
    /// The error as data; the warnings that led to it (skipped snapshots)
    /// come first.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let message = match self {
            OpenError::Storage(e) => return vec![e.diagnostic()],
            OpenError::Corrupt { segment, offset } => format!(
                "the journal is corrupt at offset {offset} of segment {segment}; refusing to recover from it"
            ),
            OpenError::Unreadable { index } => {
                format!("journal record {index} is not an entry this lexum reads")
            }
            OpenError::NoStart { skipped } => {
                let mut all: Vec<Diagnostic> = skipped.iter().map(|s| s.diagnostic()).collect();
                all.push(Diagnostic::plain(
                    self.code(),
                    "no snapshot is usable and the log's beginning was removed; refusing to resume from a guess",
                ));
                return all;
            }
            OpenError::InUse => "another process is using this journal; nothing was written (wait for it to end, then run again to resume)".to_string(),
            OpenError::Foreign { what } => format!(
                "the journal holds a record this run did not write: {what}; refusing to use it"
            ),
            OpenError::Mismatch { what } => format!(
                "this journal belongs to {what}; it was left unchanged (use another --journal directory)"
            ),
        };
        vec![Diagnostic::plain(self.code(), message)]
    }
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let lines: Vec<String> = self.diagnostics().iter().map(render_line).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// A journal opened for a run: what it already holds, and how to add to it.
pub struct Journal {
    dir: Arc<dyn Storage>,
    writer: Option<Writer>,
    policy: SyncPolicy,
    unsynced: usize,
    fresh: bool,
    /// Whether the log holds any record at all.
    pub has_records: bool,
    /// Where the log's last record was found cut short (segment, offset):
    /// never acknowledged, so dropped (and truncated away before appending).
    pub torn: Option<(u64, u64)>,
    /// Segments roll over past this size ([`SEGMENT_BYTES`] unless a test
    /// wants many small ones).
    pub segment_bytes: u64,
    /// Where the log ended when it was opened (segment, byte offset).
    base: (u64, u64),
    /// (status, run hash) when the journaled run already ended.
    pub ended: Option<(String, String)>,
    /// Each recorded call: the effect's name and its result.
    recorded: BTreeMap<u64, (String, Result<Value, EffectError>)>,
    /// Set when playback met a record this run did not write (see
    /// [`OpenError::Foreign`]); the run stops at once.
    pub foreign: Option<String>,
    /// Whether this journal holds the storage's lock (released on drop).
    locked: bool,
    /// The run this journal belongs to (from its segments' headers, or new).
    pub run_id: String,
    /// The journaled inputs, if any were journaled.
    inputs: Option<Vec<(u64, u32, Vec<Json>)>>,
    /// A live run's inputs found in the log, in order.
    pub live: Vec<LiveRecord>,
    /// The program's text, when the start record holds it (live runs).
    pub source: Option<String>,
    pub error: Option<JournalError>,
}

impl Journal {
    /// Opens `dir` for a run of the program with this hash and settings.
    /// Refuses (changing nothing) a corrupt journal or another program's.
    pub fn open(
        dir: Arc<dyn Storage>,
        program_hash: &str,
        settings: &Settings,
        policy: SyncPolicy,
    ) -> Result<Journal, OpenError> {
        let mut j = Journal {
            dir: dir.clone(),
            writer: None,
            policy,
            unsynced: 0,
            fresh: true,
            has_records: false,
            torn: None,
            segment_bytes: SEGMENT_BYTES,
            base: (1, 0),
            ended: None,
            recorded: BTreeMap::new(),
            foreign: None,
            locked: false,
            run_id: String::new(),
            inputs: None,
            live: Vec::new(),
            source: None,
            error: None,
        };
        lock(&*dir)?;
        j.locked = true;
        let found = inspect_in(&*dir).map_err(OpenError::Storage)?;
        // Segments follow each other without a gap (pruning removes only
        // the oldest): a gap lost records, or a file is not this journal's.
        for w in found.segments.windows(2) {
            if w[1].0 != w[0].0 + 1 {
                return Err(OpenError::Foreign {
                    what: format!(
                        "segment {} follows segment {}: the segments between are missing",
                        w[1].0, w[0].0
                    ),
                });
            }
        }
        if let Tail::Corrupt { segment, offset } = found.tail {
            return Err(OpenError::Corrupt { segment, offset });
        }
        let mut headers = 0;
        if let Tail::Torn { segment, offset } = found.tail {
            j.torn = Some((segment, offset));
        }
        if let Some((n, bytes, _)) = found.segments.last() {
            j.base = match found.tail {
                Tail::Torn { offset, .. } => (*n, offset),
                _ => (*n, *bytes),
            };
        }
        let mut run: Option<String> = None;
        let mut programs: Vec<String> = Vec::new();
        for (index, payload) in found.records.iter().enumerate() {
            let entry: Entry =
                serde_json::from_slice(payload).map_err(|_| OpenError::Unreadable { index })?;
            // Each segment begins with its header, and only there.
            let (segment, offset) = found.positions.get(index).copied().unwrap_or((0, 0));
            match (&entry, offset) {
                (Entry::Segment { run: r, number }, 0) => {
                    if *number != segment {
                        return Err(OpenError::Foreign {
                            what: format!("segment {segment} says it is segment {number}"),
                        });
                    }
                    if run.as_ref().is_some_and(|known| known != r) {
                        return Err(OpenError::Foreign {
                            what: format!("segment {segment} belongs to another run ({r})"),
                        });
                    }
                    run = Some(r.clone());
                    headers += 1;
                    continue;
                }
                (_, 0) => {
                    return Err(OpenError::Foreign {
                        what: format!("segment {segment} does not begin with its header"),
                    })
                }
                (Entry::Segment { .. }, _) => {
                    return Err(OpenError::Foreign {
                        what: format!("a segment header inside segment {segment}"),
                    })
                }
                _ => {}
            }
            match entry {
                Entry::Segment { .. } => {}
                Entry::Start {
                    program_hash: h,
                    settings: s,
                    source,
                } => {
                    j.source = source;
                    programs.push(h);
                    if s != *settings {
                        return Err(OpenError::Mismatch {
                            what: "a run with other settings (effects, seed, fail rate or budget)"
                                .into(),
                        });
                    }
                    j.fresh = false;
                }
                Entry::Effect {
                    call,
                    result,
                    effect,
                } => {
                    // Calls are journaled in call-id order, one record each.
                    if let Some((&last, _)) = j.recorded.last_key_value() {
                        if call <= last {
                            return Err(OpenError::Foreign {
                                what: format!("a second result for effect call {call} (did two processes write this journal?)"),
                            });
                        }
                        if call != last + 1 {
                            return Err(OpenError::Foreign {
                                what: format!("effect call {call} follows call {last}: the results between were lost"),
                            });
                        }
                    }
                    let r = match (result.get("ok"), result.get("error")) {
                        (Some(v), _) => from_json(v).ok_or_else(|| {
                            EffectError::Unrecorded("unreadable journaled result".into())
                        }),
                        (_, Some(Json::String(m))) => Err(EffectError::Failed(m.clone())),
                        _ => Err(EffectError::Unrecorded(
                            "unreadable journaled result".into(),
                        )),
                    };
                    j.recorded.insert(call, (effect, r));
                }
                Entry::End { status, run_hash } => j.ended = Some((status, run_hash)),
                Entry::Inputs { inputs } => j.inputs = Some(inputs),
                Entry::Live {
                    seq,
                    after,
                    input,
                    raft,
                } => {
                    if let Some(last) = j.live.last() {
                        if seq != last.seq + 1 || after < last.after {
                            return Err(OpenError::Foreign {
                                what: format!(
                                    "live input {seq} (after cycle {after}) follows input {} (after cycle {})",
                                    last.seq, last.after
                                ),
                            });
                        }
                    }
                    if let LiveInput::Upgrade { source } = &input {
                        programs.push(crate::trace::sha256_hex(source.as_bytes()));
                    }
                    j.live.push(LiveRecord {
                        seq,
                        after,
                        input,
                        raft,
                    });
                }
            }
        }
        // The program must be one this journal ran (its start's, or one it
        // was upgraded to: a live run's recovery passes through each). Once
        // snapshots bounded the log, the snapshots' identities say it.
        if let (false, Some(last)) = (j.fresh, programs.last()) {
            if !programs.iter().any(|h| h == program_hash) {
                return Err(OpenError::Mismatch {
                    what: format!("another program (sha256 {last})"),
                });
            }
        }
        j.has_records = found.records.len() > headers;
        j.run_id = run.unwrap_or_else(new_run_id);
        Ok(j)
    }

    /// Whether the log's first record (naming program and settings) is
    /// there; after snapshots bounded the log it may have been removed.
    pub fn has_start(&self) -> bool {
        !self.fresh
    }

    /// Where the log ended when it was opened: (segment, byte offset).
    pub fn end(&self) -> (u64, u64) {
        self.base
    }

    /// Where the next record goes: (segment, byte offset).
    pub fn position(&self) -> (u64, u64) {
        self.writer.as_ref().map_or(self.base, |w| w.position())
    }

    /// Records start the first time only; a live run's start holds the
    /// program's text.
    pub fn start(&mut self, program_hash: &str, settings: &Settings, source: &str) {
        if self.fresh && !self.has_records {
            self.append(&Entry::Start {
                program_hash: program_hash.to_string(),
                settings: settings.clone(),
                source: settings.live.then(|| source.to_string()),
            });
            self.sync();
            self.fresh = false;
        }
    }

    /// Journals the run's external inputs (durably, before any is enqueued),
    /// or checks them against the journaled ones when resuming.
    /// `from_snapshot`: a snapshot (which names the inputs by hash) was
    /// loaded, so inputs missing from the log were removed with its
    /// beginning, not never journaled.
    pub fn inputs(
        &mut self,
        inputs: &[(u64, ir::HandlerId, crate::runtime::queue::Args)],
        from_snapshot: bool,
    ) -> Result<(), OpenError> {
        let these = inputs_json(inputs);
        match &self.inputs {
            None if from_snapshot => Ok(()),
            Some(recorded) if *recorded != these => Err(OpenError::Mismatch {
                what: "a run with other external inputs".into(),
            }),
            Some(_) => Ok(()),
            None if these.is_empty() => Ok(()),
            None => {
                self.append(&Entry::Inputs {
                    inputs: these.clone(),
                });
                self.sync();
                self.inputs = Some(these);
                Ok(())
            }
        }
    }

    fn append(&mut self, e: &Entry) {
        if self.error.is_some() {
            return;
        }
        if self.writer.is_none() {
            let run = self.run_id.clone();
            let header: super::segment::Header = Box::new(move |number| {
                serde_json::to_vec(&Entry::Segment {
                    run: run.clone(),
                    number,
                })
                .unwrap_or_default()
            });
            match Writer::open_with(self.dir.clone(), self.segment_bytes, Some(header)) {
                Ok(w) => self.writer = Some(w),
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
        let bytes = serde_json::to_vec(e).unwrap_or_default();
        if let Some(w) = self.writer.as_mut() {
            if let Err(err) = w.append(&bytes) {
                self.error = Some(err);
            }
        }
        self.unsynced += 1;
    }

    /// The effect results the log holds, to play back without calling
    /// anything (`lexum replay DIR`).
    pub fn playback(&self) -> crate::trace::replay::Recorded {
        crate::trace::replay::Recorded::from_results(self.recorded.clone())
    }

    /// Appends a live input (not yet durable: see [`Journal::commit`]).
    pub fn append_live(&mut self, record: &LiveRecord) {
        self.append(&Entry::Live {
            seq: record.seq,
            after: record.after,
            input: record.input.clone(),
            raft: record.raft,
        });
    }

    /// Makes what was appended durable as the policy says (`Always`: fsync,
    /// one for everything appended since the last; otherwise written to the
    /// system, which survives the process), before anything appended is
    /// acknowledged or applied. `Err` if the journal cannot be written.
    pub fn commit(&mut self) -> Result<(), Box<Diagnostic>> {
        match self.policy {
            SyncPolicy::Always => self.make_durable(),
            SyncPolicy::Batch if self.unsynced >= 64 => self.sync(),
            _ => self.flush(),
        }
        match &self.error {
            Some(e) => Err(Box::new(e.diagnostic())),
            None => Ok(()),
        }
    }

    /// Syncs everything appended so far (before a snapshot says it covers it).
    pub fn make_durable(&mut self) {
        if self.unsynced > 0 {
            self.sync();
        }
    }

    fn sync(&mut self) {
        if let (Some(w), None) = (self.writer.as_mut(), &self.error) {
            if let Err(e) = w.sync() {
                self.error = Some(e);
            }
        }
        self.unsynced = 0;
    }

    fn flush(&mut self) {
        if let (Some(w), None) = (self.writer.as_mut(), &self.error) {
            if let Err(e) = w.flush() {
                self.error = Some(e);
            }
        }
    }

    /// Records the end of the run (once).
    pub fn finish(&mut self, status: &str, run_hash: &str) {
        if self.ended.is_none() {
            self.append(&Entry::End {
                status: status.to_string(),
                run_hash: run_hash.to_string(),
            });
            self.sync();
        }
    }
}

/// What a journal says about its run before anything is checked: the
/// program's hash, the settings and (live runs) the program's text, from
/// the log's start record, or else from the oldest snapshot (the log's
/// beginning may have been removed). `None` when neither says.
pub fn describe(storage: &dyn Storage) -> Option<(String, Settings, Option<String>)> {
    let found = inspect_in(storage).ok()?;
    for payload in &found.records {
        if let Ok(Entry::Start {
            program_hash,
            settings,
            source,
        }) = serde_json::from_slice(payload)
        {
            return Some((program_hash, settings, source));
        }
    }
    for file in &found.snapshots {
        let Ok(bytes) = storage.read(file) else {
            continue;
        };
        let Ok(doc) = serde_json::from_slice::<Json>(&bytes) else {
            continue;
        };
        let hash = doc.get("program_hash")?.as_str()?.to_string();
        let Ok(settings) = serde_json::from_value::<Settings>(doc.get("settings")?.clone()) else {
            continue;
        };
        let source = doc
            .pointer("/live/program")
            .and_then(Json::as_str)
            .map(str::to_string);
        return Some((hash, settings, source));
    }
    None
}

/// The program a live journal's run was last saved under: the newest
/// snapshot's (its `live.program`), or the start record's when there is no
/// snapshot (recovery then passes through the upgrades in the log).
pub fn live_program(storage: &dyn Storage) -> Option<String> {
    let newest = super::snapshot::list(storage).pop();
    if let Some(file) = newest {
        let doc: Json = serde_json::from_slice(&storage.read(&file).ok()?).ok()?;
        return doc.pointer("/live/program")?.as_str().map(str::to_string);
    }
    describe(storage).and_then(|(_, _, source)| source)
}

/// A new run id: 128 bits from the standard library's per-process random
/// hash keys (seeded by the operating system), the time and the process id.
/// It names a journal's run; it never enters a report or a hash.
fn new_run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut bytes = Vec::with_capacity(16);
    for i in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.write_u8(i);
        bytes.extend_from_slice(&h.finish().to_le_bytes());
    }
    crate::runtime::checkpoint::hex(&bytes)
}

/// Takes the storage's exclusive lock (creating it): held until the
/// journal is dropped, released by the system if the process dies.
fn lock(dir: &dyn Storage) -> Result<(), OpenError> {
    let storage = |error| {
        OpenError::Storage(JournalError::Directory {
            path: dir.location(""),
            error,
        })
    };
    dir.create().map_err(storage)?;
    match dir.lock() {
        Ok(true) => Ok(()),
        Ok(false) => Err(OpenError::InUse),
        Err(e) => Err(storage(e)),
    }
}

impl Journal {
    /// Gives up the storage's lock now (a cluster node that starts its
    /// journal again from a snapshot opens a new one on the same storage).
    pub fn release(&mut self) {
        if self.locked {
            self.dir.unlock();
            self.locked = false;
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.locked {
            self.dir.unlock();
        }
    }
}

/// The inputs as journaled (and hashed into snapshots).
pub fn inputs_json(
    inputs: &[(u64, ir::HandlerId, crate::runtime::queue::Args)],
) -> Vec<(u64, u32, Vec<Json>)> {
    inputs
        .iter()
        .map(|(a, h, args)| (*a, *h, args.iter().map(to_json).collect()))
        .collect()
}

/// The effect binding of a journaled run: a recorded result is played back;
/// a new call goes to the real binding and its result is journaled (and
/// synced, per the policy) before the program sees it.
pub struct Journaled {
    pub journal: Rc<RefCell<Journal>>,
    pub inner: Box<dyn Effects>,
}

impl Effects for Journaled {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        let mut j = self.journal.borrow_mut();
        if let Some((name, r)) = j.recorded.get(&call_id) {
            // A record is checked against the call that reads it.
            let wrong = if *name != effect.name {
                Some(format!(
                    "call {call_id} is recorded for effect `{name}`, but this run calls `{}`",
                    effect.name
                ))
            } else {
                match r {
                    Ok(v) if !v.fits(&effect.ret) => Some(format!(
                        "the result of call {call_id} (`{}`) is `{v}`, not a {}",
                        effect.name, effect.ret
                    )),
                    _ => None,
                }
            };
            if let Some(w) = wrong {
                j.foreign = Some(w);
                return Err(EffectError::Journal(
                    "the journal holds a record this run did not write",
                ));
            }
            return r.clone();
        }
        if let Some(&last) = j.recorded.keys().next_back() {
            if call_id != last + 1 && j.foreign.is_none() {
                j.foreign = Some(format!(
                    "this run makes call {call_id}, but the log's last result is for call {last}: the results between were lost"
                ));
                return Err(EffectError::Journal(
                    "the journal lost acknowledged results",
                ));
            }
        }
        let r = self.inner.call(call_id, effect, args);
        if let Err(EffectError::Journal(_)) = &r {
            // Not a result: the binding could not get one (a cluster node
            // that stops, or whose state a snapshot replaces). Nothing is
            // recorded, and the run that saw it is not kept.
            return r;
        }
        j.append(&Entry::Effect {
            call: call_id,
            effect: effect.name.clone(),
            result: match &r {
                Ok(v) => serde_json::json!({ "ok": to_json(v) }),
                Err(e) => serde_json::json!({ "error": e.to_string() }),
            },
        });
        match j.policy {
            SyncPolicy::Always => j.sync(),
            SyncPolicy::Batch if j.unsynced >= 64 => j.sync(),
            // Written at once, synced later (or never): a killed process
            // loses nothing; a machine that loses power may.
            _ => j.flush(),
        }
        if j.error.is_some() {
            // A result that could not be journaled must not be used.
            return Err(EffectError::Journal("the journal could not be written"));
        }
        j.recorded.insert(call_id, (effect.name.clone(), r.clone()));
        r
    }
}
