//! Snapshots (LEXUM.md §5): `DIR/<cycle>.snapshot.json`, each a whole
//! [`Checkpoint`] of a journaled run plus what recovery needs to trust it —
//! the program's hash and settings, the journal position it covers
//! (`mailbox_offset`), how many oscillation-detector records of
//! `DIR/detector.wal` it counts, and a sha256 of its own content.
//!
//! A background [`Snapshotter`] thread is handed a checkpoint (an O(1) clone
//! of each variable's persistent value) and does everything slow: the JSON,
//! the hashes, the writes. Each file is written atomically (temporary file,
//! fsync, rename, directory fsync). Once a snapshot is durable, all but the
//! two newest are deleted, and so are the log segments wholly before the
//! *previous* snapshot's position: the previous one stays usable as a
//! fallback, with the log it needs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use serde_json::{json, Map, Value as Json};

use super::frame;
use super::segment::segments;
use super::storage::Storage;
use crate::codes::Code;
use crate::diag::{render::render_line, Diagnostic};
use crate::ir::Program;
use crate::runtime::{Checkpoint, DetectorRecord};
use crate::trace::format::Settings;
use crate::trace::sha256_hex;

/// The oscillation detector's records, beside the snapshots.
pub const DETECTOR_FILE: &str = "detector.wal";

/// The `format` field of every snapshot.
pub const FORMAT: &str = "lexum-snapshot/1";

/// A journal position: segment number and byte offset in it (counting
/// records appended but not yet written: the position is logical).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

/// What ties a snapshot to one run: program, settings and external inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub program_hash: String,
    pub settings: Settings,
    pub inputs_hash: String,
    /// The journal's run id (its segments' headers): written into every
    /// snapshot; a snapshot of another run is refused (J005). Empty while
    /// reading, before the log has been opened (the caller compares).
    pub run_id: String,
}

/// How much of `detector.wal` a snapshot counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DetectorMark {
    pub records: u64,
    pub bytes: u64,
}

/// A snapshot read back and checked against the program.
pub struct Snapshot {
    pub file: String,
    /// The run id it was written for.
    pub run_id: String,
    pub cycle: u64,
    pub run_hash: String,
    pub checkpoint: Checkpoint,
    pub mailbox: Position,
    pub detector: DetectorMark,
    pub detector_records: Vec<DetectorRecord>,
    /// What a live server keeps beside the run (`lexum serve`: the input
    /// count and the idempotency keys); `Null` for a batch run.
    pub live: Json,
}

/// Why a snapshot file was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    Unreadable {
        file: String,
        why: String,
    },
    /// The content hash does not match: the file was changed or damaged.
    Damaged {
        file: String,
    },
    /// Another program, other settings or other inputs (`what` says which).
    OtherRun {
        file: String,
        what: String,
    },
}

impl SnapshotError {
    /// Why it is unusable, without the file name (for `journal inspect`).
    pub fn reason(&self) -> String {
        match self {
            SnapshotError::Unreadable { why, .. } => why.clone(),
            SnapshotError::Damaged { .. } => "it does not match its content hash".into(),
            SnapshotError::OtherRun { what, .. } => format!("it belongs to {what}"),
        }
    }
}

impl SnapshotError {
    /// The warning as data (J006: the snapshot is skipped).
    pub fn diagnostic(&self) -> Diagnostic {
        let (SnapshotError::Unreadable { file, .. }
        | SnapshotError::Damaged { file }
        | SnapshotError::OtherRun { file, .. }) = self;
        Diagnostic::plain(
            Code::J006,
            format!("snapshot `{file}` is unusable: {}; skipped", self.reason()),
        )
    }
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&render_line(&self.diagnostic()))
    }
}

/// A snapshot's file name: the cycle, zero-padded so names sort by cycle.
pub fn file_name(cycle: u64) -> String {
    format!("{cycle:020}.snapshot.json")
}

/// The snapshot files in the storage, oldest first.
pub fn list(storage: &dyn Storage) -> Vec<String> {
    let mut out: Vec<String> = storage
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.ends_with(".snapshot.json"))
        .collect();
    out.sort();
    out
}

/// Variable names by domain, for the snapshot's `domains` section.
#[derive(Clone)]
pub struct Names {
    /// (domain name, [(variable name, variable index)]).
    domains: Vec<(String, Vec<(String, usize)>)>,
    nvars: usize,
}

impl Names {
    pub fn new(p: &Program) -> Names {
        Names {
            domains: p
                .domains
                .iter()
                .map(|d| {
                    let vars = d
                        .vars
                        .clone()
                        .map(|v| (p.vars[v as usize].name.clone(), v as usize))
                        .collect();
                    (d.name.clone(), vars)
                })
                .collect(),
            nvars: p.vars.len(),
        }
    }
}

/// Encodes a snapshot: the checkpoint's JSON with its state moved into one
/// `{domain, state}` entry per domain, the identity, the position, and a
/// `content_hash` over all of it (serde_json writes object keys sorted, so
/// the bytes hashed are canonical).
pub fn encode(
    names: &Names,
    c: &Checkpoint,
    id: &Identity,
    mailbox: Position,
    detector: DetectorMark,
    live: &Json,
) -> Vec<u8> {
    let mut runtime = c.to_json();
    let state = match runtime.as_object_mut().and_then(|o| o.remove("state")) {
        Some(Json::Array(s)) => s,
        _ => Vec::new(),
    };
    let domains: Vec<Json> = names
        .domains
        .iter()
        .map(|(d, vars)| {
            let mut m = Map::new();
            for (name, i) in vars {
                m.insert(name.clone(), state.get(*i).cloned().unwrap_or(Json::Null));
            }
            json!({ "domain": d, "state": m })
        })
        .collect();
    let run_hash = {
        use sha2::Digest;
        crate::runtime::checkpoint::hex(&c.hash.clone().finalize())
    };
    let doc = json!({
        "format": FORMAT,
        "program_hash": id.program_hash,
        "settings": id.settings,
        "inputs_hash": id.inputs_hash,
        "run": id.run_id,
        "cycle": c.cycle(),
        "run_hash": run_hash,
        "clock": runtime.get("clock").cloned().unwrap_or(Json::Null),
        "mailbox_offset": { "segment": mailbox.segment, "offset": mailbox.offset },
        "detector": { "records": detector.records, "bytes": detector.bytes },
        "domains": domains,
        "runtime": runtime,
        "live": live,
    });
    seal(serde_json::to_vec(&doc).unwrap_or_default())
}

/// `,"content_hash":"` + 64 hex digits + `"}`.
const SEAL_LEN: usize = 17 + 64 + 2;

/// Appends `content_hash` as the document's last field: the sha256 of the
/// document as it was without it. Checking it needs no re-serialization.
fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let hash = sha256_hex(&body);
    if body.pop() != Some(b'}') {
        return body;
    }
    body.extend_from_slice(b",\"content_hash\":\"");
    body.extend_from_slice(hash.as_bytes());
    body.extend_from_slice(b"\"}");
    body
}

/// Whether the bytes end with a content hash matching the rest.
fn sealed(bytes: &[u8]) -> bool {
    use sha2::Digest;
    let Some(split) = bytes.len().checked_sub(SEAL_LEN) else {
        return false;
    };
    let (body, tail) = bytes.split_at(split);
    let Some(hex) = tail
        .strip_prefix(b",\"content_hash\":\"".as_slice())
        .and_then(|t| t.strip_suffix(b"\"}".as_slice()))
    else {
        return false;
    };
    // The body as it was sealed ended with `}`; hash it without copying.
    let mut h = sha2::Sha256::new();
    h.update(body);
    h.update(b"}");
    crate::runtime::checkpoint::hex(&h.finalize()).as_bytes() == hex
}

/// A snapshot file's bytes, once its content hash checks.
fn read_sealed(dir: &dyn Storage, file: &str) -> Result<Vec<u8>, SnapshotError> {
    let bytes = dir.read(file).map_err(|e| SnapshotError::Unreadable {
        file: file.to_string(),
        why: e.to_string(),
    })?;
    if !sealed(&bytes) {
        return Err(SnapshotError::Damaged {
            file: file.to_string(),
        });
    }
    Ok(bytes)
}

/// The parts of a snapshot that need no program: for `journal inspect`.
pub struct Header {
    pub cycle: u64,
    pub run_hash: String,
    pub mailbox: Position,
    pub detector: DetectorMark,
}

/// Parses a snapshot and checks its content hash.
pub fn read_header(dir: &dyn Storage, file: &str) -> Result<(Header, Json), SnapshotError> {
    let unreadable = |why: &str| SnapshotError::Unreadable {
        file: file.to_string(),
        why: why.to_string(),
    };
    let bytes = read_sealed(dir, file)?;
    let doc: Json = serde_json::from_slice(&bytes).map_err(|_| unreadable("not JSON"))?;
    if doc.get("format").and_then(Json::as_str) != Some(FORMAT) {
        return Err(unreadable("unknown format"));
    }
    let n = |a: &str, b: &str| doc.get(a).and_then(|x| x.get(b)).and_then(Json::as_u64);
    let (Some(segment), Some(offset), Some(records), Some(bytes)) = (
        n("mailbox_offset", "segment"),
        n("mailbox_offset", "offset"),
        n("detector", "records"),
        n("detector", "bytes"),
    ) else {
        return Err(unreadable("no journal position"));
    };
    let header = Header {
        cycle: doc.get("cycle").and_then(Json::as_u64).unwrap_or(0),
        run_hash: doc
            .get("run_hash")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
        mailbox: Position { segment, offset },
        detector: DetectorMark { records, bytes },
    };
    Ok((header, doc))
}

#[derive(serde::Deserialize)]
struct Doc {
    format: String,
    program_hash: String,
    settings: Settings,
    inputs_hash: String,
    #[serde(default)]
    run: String,
    cycle: u64,
    run_hash: String,
    mailbox_offset: PositionDoc,
    detector: MarkDoc,
    domains: Vec<DomainDoc>,
    runtime: Json,
    #[serde(default)]
    live: Json,
}

#[derive(serde::Deserialize)]
struct PositionDoc {
    segment: u64,
    offset: u64,
}

#[derive(serde::Deserialize)]
struct MarkDoc {
    records: u64,
    bytes: u64,
}

#[derive(serde::Deserialize)]
struct DomainDoc {
    domain: String,
    state: std::collections::BTreeMap<String, crate::value::json::Decoded>,
}

/// Reads one snapshot for `program`, checking its content hash, identity
/// and detector records. The state is decoded straight from the text.
pub fn read(
    dir: &dyn Storage,
    file: &str,
    program: &Program,
    id: &Identity,
) -> Result<Snapshot, SnapshotError> {
    let unreadable = |why: &str| SnapshotError::Unreadable {
        file: file.to_string(),
        why: why.to_string(),
    };
    let bytes = read_sealed(dir, file)?;
    let doc: Doc = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e.to_string()))?;
    drop(bytes);
    if doc.format != FORMAT {
        return Err(unreadable("unknown format"));
    }
    let other = |what: String| SnapshotError::OtherRun {
        file: file.to_string(),
        what,
    };
    if doc.program_hash != id.program_hash {
        return Err(other(format!(
            "another program (sha256 {})",
            doc.program_hash
        )));
    }
    if doc.settings != id.settings {
        return Err(other(
            "a run with other settings (effects, seed, fail rate or budget)".into(),
        ));
    }
    if doc.inputs_hash != id.inputs_hash {
        return Err(other("a run with other external inputs".into()));
    }
    // Put the state back together from the domains.
    let names = Names::new(program);
    let mut state: Vec<Option<crate::value::Value>> = vec![None; names.nvars];
    if doc.domains.len() != names.domains.len() {
        return Err(unreadable("wrong number of domains"));
    }
    for (mut d, (name, vars)) in doc.domains.into_iter().zip(&names.domains) {
        if d.domain != *name {
            return Err(unreadable("domains out of order"));
        }
        for (v, i) in vars {
            match d.state.remove(v) {
                Some(x) => state[*i] = Some(x.0),
                None => return Err(unreadable("a variable is missing")),
            }
        }
    }
    let state: Vec<crate::value::Value> = state.into_iter().flatten().collect();
    let checkpoint =
        Checkpoint::from_json(&doc.runtime, program, state).map_err(|e| unreadable(&e.0))?;
    if checkpoint.cycle() != doc.cycle {
        return Err(unreadable("cycle does not match"));
    }
    // Its place in the sequence: the name it is stored under.
    if file != file_name(doc.cycle) {
        return Err(unreadable("its name does not match its cycle"));
    }
    let detector = DetectorMark {
        records: doc.detector.records,
        bytes: doc.detector.bytes,
    };
    let detector_records = read_detector(dir, detector)
        .ok_or_else(|| unreadable("its oscillation-detector records are missing"))?;
    Ok(Snapshot {
        file: file.to_string(),
        run_id: doc.run,
        cycle: doc.cycle,
        run_hash: doc.run_hash,
        checkpoint,
        mailbox: Position {
            segment: doc.mailbox_offset.segment,
            offset: doc.mailbox_offset.offset,
        },
        detector,
        detector_records,
        live: doc.live,
    })
}

/// The first `mark.records` records of `detector.wal`, all intact and
/// ending exactly at `mark.bytes`; `None` if they are not all there.
fn read_detector(dir: &dyn Storage, mark: DetectorMark) -> Option<Vec<DetectorRecord>> {
    if mark.records == 0 {
        return Some(Vec::new());
    }
    let bytes = dir.read(DETECTOR_FILE).ok()?;
    let bytes = bytes.get(..mark.bytes as usize)?;
    let (frames, err) = frame::decode_all(bytes);
    if err.is_some() || frames.len() as u64 != mark.records {
        return None;
    }
    frames
        .iter()
        .map(|f| DetectorRecord::decode(&f.payload))
        .collect()
}

/// The newest usable snapshot (newest first, falling back past unusable
/// ones), and the reasons any newer ones were skipped.
pub fn load_newest(
    dir: &dyn Storage,
    program: &Program,
    id: &Identity,
) -> (Option<Snapshot>, Vec<SnapshotError>) {
    let mut skipped = Vec::new();
    for file in list(dir).iter().rev() {
        match read(dir, file, program, id) {
            Ok(s) => return (Some(s), skipped),
            Err(e) => skipped.push(e),
        }
    }
    (None, skipped)
}

struct Job {
    checkpoint: Checkpoint,
    detector: Vec<DetectorRecord>,
    mailbox: Position,
    /// Encoded on the writer's thread (a live run's key window can be large).
    live: LiveSection,
    /// A new program (a live run's upgrade): its names and identity, from
    /// this snapshot on.
    target: Option<Box<(Names, Identity)>>,
}

/// What the writer thread keeps between jobs.
struct WriterState {
    dir: Arc<dyn Storage>,
    names: Names,
    id: Identity,
    detector: DetectorMark,
    /// (file, position) of the snapshots kept: the previous and the newest.
    kept: Vec<(String, Position)>,
}

impl WriterState {
    fn write(&mut self, job: Job) -> std::io::Result<()> {
        // 1. The detector records the snapshot counts, durable first.
        if !job.detector.is_empty() {
            // Anything past the mark was written for a snapshot that never
            // became durable: cut it off.
            self.dir.truncate(DETECTOR_FILE, self.detector.bytes)?;
            let mut buf = Vec::new();
            let mut rec = Vec::with_capacity(41);
            for r in &job.detector {
                rec.clear();
                r.encode(&mut rec);
                frame::encode(&mut buf, &rec);
            }
            self.dir.append(DETECTOR_FILE, &buf)?;
            self.dir.sync(DETECTOR_FILE)?;
            self.detector.records += job.detector.len() as u64;
            self.detector.bytes += buf.len() as u64;
        }
        // 2. The snapshot itself, atomically.
        let name = file_name(job.checkpoint.cycle());
        let bytes = encode(
            &self.names,
            &job.checkpoint,
            &self.id,
            job.mailbox,
            self.detector,
            &(job.live)(),
        );
        self.dir.replace(&name, &bytes)?;
        // 3. Bound the journal: keep this one and the previous one, and the
        // log from the previous one's position on.
        self.kept.retain(|(f, _)| *f != name);
        self.kept.push((name, job.mailbox));
        if self.kept.len() > 2 {
            self.kept.remove(0);
        }
        let keep: Vec<&String> = self.kept.iter().map(|(f, _)| f).collect();
        for f in list(&*self.dir) {
            if !keep.contains(&&f) {
                let _ = self.dir.remove(&f);
            }
        }
        if self.kept.len() == 2 {
            let from = self.kept[0].1.segment;
            if let Ok(segs) = segments(&*self.dir) {
                for (n, name) in segs {
                    if n < from {
                        let _ = self.dir.remove(&name);
                    }
                }
            }
        }
        Ok(())
    }
}

/// What a live run keeps beside the runtime in a snapshot, as a function
/// the writer thread calls (`Json::Null` for a batch run).
pub type LiveSection = Box<dyn FnOnce() -> Json + Send>;

/// The background snapshot writer of a journaled run.
pub struct Snapshotter {
    tx: Option<mpsc::Sender<Job>>,
    /// Set by [`Snapshotter::retarget`], sent with the next snapshot.
    target: Option<Box<(Names, Identity)>>,
    busy: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
    errors: Arc<Mutex<Vec<Diagnostic>>>,
}

impl Snapshotter {
    /// Starts the writer for `dir`, continuing from `resumed` (the snapshot
    /// the run resumed from, if any).
    pub fn start(
        dir: Arc<dyn Storage>,
        program: &Program,
        id: Identity,
        resumed: Option<&Snapshot>,
    ) -> Snapshotter {
        let mut state = WriterState {
            dir,
            names: Names::new(program),
            id,
            detector: resumed.map(|s| s.detector).unwrap_or_default(),
            kept: resumed
                .map(|s| vec![(s.file.clone(), s.mailbox)])
                .unwrap_or_default(),
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let busy = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (b, e) = (busy.clone(), errors.clone());
        let handle = std::thread::Builder::new()
            .name("lexum-snapshot".into())
            .spawn(move || {
                while let Ok(mut job) = rx.recv() {
                    if let Some(t) = job.target.take() {
                        (state.names, state.id) = *t;
                    }
                    let cycle = job.checkpoint.cycle();
                    if let Err(err) = state.write(job) {
                        if let Ok(mut v) = e.lock() {
                            v.push(
                                Diagnostic::plain(
                                    Code::J002,
                                    format!(
                                        "the snapshot of cycle {cycle} could not be written: {err}"
                                    ),
                                )
                                .survived(),
                            );
                        }
                    }
                    b.store(false, Ordering::Release);
                }
            })
            .ok();
        Snapshotter {
            target: None,
            tx: handle.is_some().then_some(tx),
            busy,
            handle,
            errors,
        }
    }

    /// Whether the writer is still busy with the previous snapshot (the
    /// scheduler then carries on and tries again next cycle).
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// Hands a snapshot to the writer; returns at once.
    pub fn submit(
        &mut self,
        checkpoint: Checkpoint,
        detector: Vec<DetectorRecord>,
        mailbox: Position,
        live: LiveSection,
    ) {
        if let Some(tx) = &self.tx {
            self.busy.store(true, Ordering::Release);
            if tx
                .send(Job {
                    checkpoint,
                    detector,
                    mailbox,
                    live,
                    target: self.target.take(),
                })
                .is_err()
            {
                self.busy.store(false, Ordering::Release);
            }
        }
    }

    /// Snapshots from the next one on are of `program` with identity `id`
    /// (a live run's upgrade).
    pub fn retarget(&mut self, program: &Program, id: Identity) {
        self.target = Some(Box::new((Names::new(program), id)));
    }

    /// Waits for every submitted snapshot; returns the warnings.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        self.errors.lock().map(|v| v.clone()).unwrap_or_default()
    }
}
