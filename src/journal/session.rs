//! A journaled run from start to end (`lexum run FILE --journal DIR`):
//! open the journal, resume from the newest usable snapshot (or the start),
//! run with effect results journaled before use, hand a snapshot to the
//! background writer every `snapshot_every` cycles and when the run ends
//! quiescent, and finally record the ending.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::run::{inputs_json, Journal, Journaled, OpenError, SyncPolicy};
use super::snapshot::{self, Identity, Position, Snapshotter};
use super::storage::Storage;
use crate::diag::Diagnostic;
use crate::ir::{HandlerId, Program};
use crate::runtime::drive::Flow;
use crate::runtime::effects::Effects;
use crate::runtime::queue::Args;
use crate::runtime::{Outcome, Runtime};
use crate::trace::format::Settings;
use crate::trace::sha256_hex;

/// The default snapshot interval, in cycles: often enough that recovery
/// re-executes little, rare enough that writing costs nothing measurable.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 100_000;

/// How a journaled run is set up.
pub struct Setup<'a> {
    /// Where the journal lives ([`super::FileStorage`] for a directory).
    pub storage: Arc<dyn Storage>,
    pub source: &'a str,
    pub settings: &'a Settings,
    pub inputs: &'a [(u64, HandlerId, Args)],
    pub policy: SyncPolicy,
    pub snapshot_every: u64,
    pub segment_bytes: u64,
    /// Called after every cycle with its number (tests simulate a crash at
    /// an exact cycle with it).
    pub after_cycle: Option<&'a dyn Fn(u64)>,
    /// Time every cycle (costs two clock reads per cycle): fills [`Stats`].
    pub measure: bool,
    /// Wait for each snapshot to be durable before going on (tests: a crash
    /// right after cycle N then finds the snapshot of cycle N).
    pub wait_for_snapshots: bool,
}

/// What [`Setup::measure`] measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// The longest cycle (including handing over a snapshot) overall...
    pub longest_cycle: std::time::Duration,
    /// ...and while the writer was busy with a snapshot.
    pub longest_cycle_while_writing: std::time::Duration,
    /// The longest hand-over of a snapshot to the writer.
    pub longest_submit: std::time::Duration,
    pub snapshots: u64,
    /// Cycles run while a snapshot was being written, and how many of them
    /// took over 1 ms; the same for the other cycles.
    pub cycles_while_writing: u64,
    pub slow_while_writing: u64,
    pub cycles_otherwise: u64,
    pub slow_otherwise: u64,
}

/// A finished (or refused) journaled run.
pub struct Finished<'p> {
    pub runtime: Runtime<'p>,
    pub outcome: Outcome,
    pub journal: Rc<RefCell<Journal>>,
    /// A torn tail (J003), skipped snapshots (J006) and snapshots that could
    /// not be written (J002).
    pub warnings: Vec<Diagnostic>,
    pub stats: Stats,
}

/// A journal opened for a run, and the runtime restored to where the
/// journal's newest usable snapshot left it (or at its start).
pub struct Opened<'p> {
    pub runtime: Runtime<'p>,
    pub journal: Rc<RefCell<Journal>>,
    /// The background snapshot writer (none when the run already ended).
    pub writer: Option<Snapshotter>,
    /// A torn tail (J003) and skipped snapshots (J006).
    pub warnings: Vec<Diagnostic>,
    /// The restored snapshot's live section (`Null` without one).
    pub live: serde_json::Value,
    /// Whether a snapshot was restored.
    pub resumed: bool,
}

/// Opens the journal in `setup.storage` for `program` and restores the
/// newest usable snapshot: every check of what the journal holds against
/// this run happens here. New effect calls go to `inner`.
pub fn open<'p>(
    program: &'p Program,
    setup: &Setup<'_>,
    inner: Box<dyn Effects>,
) -> Result<Opened<'p>, OpenError> {
    let id = Identity {
        program_hash: sha256_hex(setup.source.as_bytes()),
        settings: setup.settings.clone(),
        inputs_hash: sha256_hex(
            &serde_json::to_vec(&inputs_json(setup.inputs)).unwrap_or_default(),
        ),
        run_id: String::new(),
    };
    // The log and the snapshots are read side by side (two cores: recovery
    // of a large state takes the longer of the two, not the sum).
    let (opened, (snap, skipped)) = std::thread::scope(|s| {
        let storage = setup.storage.clone();
        let id = &id;
        let snaps = s.spawn(move || snapshot::load_newest(&*storage, program, id));
        let opened = Journal::open(
            setup.storage.clone(),
            &id.program_hash,
            setup.settings,
            setup.policy,
        );
        let snaps = snaps.join().unwrap_or_else(|_| (None, Vec::new()));
        (opened, snaps)
    });
    let mut j = opened?;
    j.segment_bytes = setup.segment_bytes;
    let id = Identity {
        run_id: j.run_id.clone(),
        ..id
    };
    // An intact snapshot of another run means the journal is another run's.
    if let Some(snapshot::SnapshotError::OtherRun { what, .. }) = skipped
        .iter()
        .find(|e| matches!(e, snapshot::SnapshotError::OtherRun { .. }))
    {
        return Err(OpenError::Mismatch { what: what.clone() });
    }
    if snap.is_none() && j.has_records && !j.has_start() {
        return Err(OpenError::NoStart { skipped });
    }
    // The snapshot says how far the log was acknowledged when it was taken:
    // a log that ends before that lost acknowledged records.
    if let Some(s) = &snap {
        let at = (s.mailbox.segment, s.mailbox.offset);
        if j.end() < at {
            return Err(OpenError::Foreign {
                what: format!(
                    "the log ends at segment {} offset {}, but the snapshot of cycle {} covers it to segment {} offset {}: acknowledged records are missing",
                    j.end().0,
                    j.end().1,
                    s.cycle,
                    at.0,
                    at.1
                ),
            });
        }
    }
    // A snapshot belongs to the run whose segments it covers.
    if let Some(s) = &snap {
        if s.run_id != id.run_id {
            return Err(OpenError::Mismatch {
                what: format!(
                    "another run of this program (snapshot `{}` was written for run {}, the log is run {})",
                    s.file, s.run_id, id.run_id
                ),
            });
        }
    }
    if snap.is_none() {
        j.start(&id.program_hash, setup.settings, setup.source);
    }
    j.inputs(setup.inputs, snap.is_some())?;
    if let Some(e) = j.error.take() {
        return Err(OpenError::Storage(e));
    }
    let ended = j.ended.is_some();
    let mut warnings: Vec<Diagnostic> = Vec::new();
    if let Some((segment, offset)) = j.torn {
        warnings.push(Diagnostic::plain(
            crate::codes::Code::J003,
            format!("the journal's last record (segment {segment}, offset {offset}) was cut short by a crash; it was never acknowledged and is dropped"),
        ));
    }
    warnings.extend(skipped.iter().map(|e| e.diagnostic()));
    let journal = Rc::new(RefCell::new(j));
    let options = setup.settings.options();
    let fx = Box::new(Journaled {
        journal: journal.clone(),
        inner,
    });
    let mut rt = Runtime::new(program, options, fx);
    if let Some(s) = &snap {
        rt.restore(&s.checkpoint);
        rt.restore_detector(&s.detector_records);
    }
    // A run that already ended writes nothing: no snapshots either.
    let writer = (!ended)
        .then(|| Snapshotter::start(setup.storage.clone(), program, id.clone(), snap.as_ref()));
    if writer.is_some() {
        rt.detector_log = Some(Vec::new());
    }
    Ok(Opened {
        runtime: rt,
        journal,
        writer,
        warnings,
        resumed: snap.is_some(),
        live: snap.map_or(serde_json::Value::Null, |s| s.live),
    })
}

/// Runs `program` journaled in `setup.dir`, resuming whatever is there.
pub fn run<'p>(
    program: &'p Program,
    setup: &Setup<'_>,
    inner: Box<dyn Effects>,
) -> Result<Finished<'p>, OpenError> {
    let Opened {
        runtime: mut rt,
        journal,
        mut writer,
        mut warnings,
        ..
    } = open(program, setup, inner)?;
    let every = setup.snapshot_every.max(1);
    let mut last = rt.run.cycle;
    let mut stats = Stats::default();
    let mut foreign = None;
    let mut t0 = setup.measure.then(std::time::Instant::now);
    let mut writing = false;
    rt.drive(setup.inputs, u64::MAX, |rt| {
        if let Some(what) = journal.borrow_mut().foreign.take() {
            foreign = Some(what);
            return Flow::Stop;
        }
        if let Some(w) = writer.as_mut() {
            if rt.run.outcome.is_none() && rt.run.cycle >= last + every && !w.busy() {
                let s0 = setup.measure.then(std::time::Instant::now);
                submit(rt, w, &journal, Box::new(|| serde_json::Value::Null));
                while setup.wait_for_snapshots && w.busy() {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
                if let Some(s0) = s0 {
                    stats.longest_submit = stats.longest_submit.max(s0.elapsed());
                }
                stats.snapshots += 1;
                last = rt.run.cycle;
            }
        }
        if let Some(t) = t0 {
            let d = t.elapsed();
            stats.longest_cycle = stats.longest_cycle.max(d);
            let slow = d > std::time::Duration::from_millis(1);
            if writing {
                stats.longest_cycle_while_writing = stats.longest_cycle_while_writing.max(d);
                stats.cycles_while_writing += 1;
                stats.slow_while_writing += slow as u64;
            } else {
                stats.cycles_otherwise += 1;
                stats.slow_otherwise += slow as u64;
            }
        }
        if let Some(f) = setup.after_cycle {
            f(rt.run.cycle);
        }
        // The next cycle is timed from here (input delivery and the step).
        t0 = setup.measure.then(std::time::Instant::now);
        writing = setup.measure && writer.as_ref().is_some_and(|w| w.busy());
        Flow::Continue
    });
    if let Some(what) = foreign {
        if let Some(w) = writer {
            w.finish();
        }
        return Err(OpenError::Foreign { what });
    }
    let outcome = rt.run.outcome.clone().unwrap_or(Outcome::Converged);
    if let Some(mut w) = writer {
        // At quiescence: stepping again from here recomputes the ending.
        if matches!(outcome, Outcome::Converged | Outcome::Stuck { .. }) && rt.run.cycle != last {
            submit(
                &mut rt,
                &mut w,
                &journal,
                Box::new(|| serde_json::Value::Null),
            );
        }
        warnings.extend(w.finish());
    }
    Ok(Finished {
        runtime: rt,
        outcome,
        journal,
        warnings,
        stats,
    })
}

/// Hands a snapshot of where `rt` is to the writer, with the live section
/// `live` (`Null` for a batch run), after making the log it covers durable.
pub fn submit(
    rt: &mut Runtime<'_>,
    w: &mut Snapshotter,
    journal: &Rc<RefCell<Journal>>,
    live: snapshot::LiveSection,
) {
    let checkpoint = rt.checkpoint();
    let detector = rt
        .detector_log
        .as_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    // The snapshot covers the log up to here: make that much durable first,
    // so a power loss can never leave a snapshot ahead of its log.
    journal.borrow_mut().make_durable();
    let (segment, offset) = journal.borrow().position();
    w.submit(checkpoint, detector, Position { segment, offset }, live);
}
