//! `lexum replay DIR --verify` for a live run's journal: re-execute the run
//! from the beginning of what the journal keeps (its start, or its oldest
//! snapshot when the log was bounded), applying every journaled input at
//! its cycle and playing effect results back (nothing is called), and
//! compare the run hash at every snapshot the server wrote. The journal
//! holds the program's text, so nothing else is needed.

use std::sync::Arc;

use crate::check::check_source;
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::journal::run::{describe, inputs_json, Journal, OpenError, SyncPolicy};
use crate::journal::snapshot::{self, Identity, Snapshot};
use crate::journal::Storage;
use crate::runtime::drive::Flow;
use crate::runtime::Runtime;
use crate::trace::sha256_hex;

/// What a verification found.
pub struct Verified {
    /// The cycle re-execution started after (0: the start).
    pub from: u64,
    pub cycles: u64,
    pub inputs: u64,
    /// Snapshots whose run hash was compared (all matched).
    pub snapshots: usize,
    /// The run hash where the re-executed run stands (idle, or waiting for
    /// time, or ended).
    pub run_hash: String,
}

fn t005(message: String) -> Vec<Diagnostic> {
    vec![Diagnostic::plain(Code::T005, message)]
}

/// Verifies the live journal in `storage`.
pub fn verify(storage: Arc<dyn Storage>) -> Result<Verified, Vec<Diagnostic>> {
    let Some((program_hash, settings, source)) = describe(&*storage) else {
        return Err(vec![Diagnostic::plain(
            Code::J004,
            "the journal has neither its start record nor a snapshot to say which run it holds",
        )]);
    };
    let Some(source) = source.filter(|_| settings.live) else {
        return Err(vec![Diagnostic::plain(
            Code::L002,
            "this journal is not a live run's (`lexum serve`): verify a batch run by running it again with `lexum run --journal`",
        )]);
    };
    if sha256_hex(source.as_bytes()) != program_hash {
        return Err(vec![Diagnostic::plain(
            Code::J004,
            "the program text in the journal does not match its hash",
        )]);
    }
    let checked = check_source(&source);
    let Some(program) = checked.program else {
        return Err(checked.diagnostics);
    };
    let mut program: &'static crate::ir::Program = super::engine::leak(program);
    let journal = Journal::open(storage.clone(), &program_hash, &settings, SyncPolicy::Never)
        .map_err(|e| e.diagnostics())?;
    let _ = program_hash;
    // Each snapshot is read under the program it was written for (a live
    // run may have been upgraded since).
    let snapshots: Vec<Snapshot> = snapshot::list(&*storage)
        .iter()
        .filter_map(|f| {
            let doc: serde_json::Value = serde_json::from_slice(&storage.read(f).ok()?).ok()?;
            let text = doc.pointer("/live/program")?.as_str()?;
            let p = super::engine::upgraded_program(text).ok()?;
            let id = Identity {
                program_hash: sha256_hex(text.as_bytes()),
                settings: settings.clone(),
                inputs_hash: sha256_hex(&serde_json::to_vec(&inputs_json(&[])).unwrap_or_default()),
                run_id: journal.run_id.clone(),
            };
            snapshot::read(&*storage, f, p, &id).ok()
        })
        .collect();
    let mut rt = Runtime::new(program, settings.options(), Box::new(journal.playback()));
    let mut next_input = 0;
    let mut from = 0;
    // A cluster node that installed another node's snapshot started its
    // journal again from it (its later snapshots say so too): the log
    // before its oldest snapshot does not lead there, so re-execution
    // starts at that snapshot.
    let installed = snapshots
        .iter()
        .any(|s| s.live.get("installed_at").is_some_and(|c| !c.is_null()));
    let base = if installed || !journal.has_start() {
        Some(snapshots.first().ok_or_else(|| {
            OpenError::NoStart {
                skipped: Vec::new(),
            }
            .diagnostics()
        })?)
    } else {
        None
    };
    if let Some(first) = base {
        rt.restore(&first.checkpoint);
        rt.restore_detector(&first.detector_records);
        next_input = first
            .live
            .get("next_input")
            .and_then(|n| n.as_u64())
            .unwrap_or(0);
        from = first.cycle;
    }
    let start_cycle = rt.cycle();
    // (cycle, inputs applied) → run hash, for every snapshot after the start.
    let expected: Vec<(u64, u64, &str)> = snapshots
        .iter()
        .filter(|s| s.cycle > from || (s.cycle == from && base.is_some()))
        .map(|s| {
            let n = s
                .live
                .get("next_input")
                .and_then(|n| n.as_u64())
                .unwrap_or(0);
            (s.cycle, n, s.run_hash.as_str())
        })
        .collect();
    let mut compared = vec![false; expected.len()];
    let mut mismatch = None;
    let mut check = |rt: &mut Runtime<'_>, n: u64| {
        for (i, (c, k, hash)) in expected.iter().enumerate() {
            if *c == rt.cycle() && *k == n && mismatch.is_none() && !compared[i] {
                let now = rt.run_hash();
                if now != *hash {
                    mismatch = Some(format!(
                        "after cycle {c} and {k} inputs the re-executed run hash is {now}, but the snapshot says {hash}"
                    ));
                }
                compared[i] = true;
            }
        }
    };
    check(&mut rt, next_input);
    for r in &journal.live {
        if r.seq < next_input {
            continue;
        }
        if r.seq != next_input {
            return Err(t005(format!(
                "live input {next_input} is missing (the log goes on with input {})",
                r.seq
            )));
        }
        let n = next_input;
        let applied = super::engine::replay_input(program, &mut rt, r, |rt| check(rt, n));
        if let Some((p, _)) = applied.map_err(t005)? {
            program = p;
        }
        next_input = r.seq + 1;
        check(&mut rt, next_input);
    }
    rt.drive(&[], u64::MAX, |rt| {
        check(rt, next_input);
        Flow::Continue
    });
    if let Some(m) = mismatch {
        return Err(t005(m));
    }
    let compared = compared.iter().filter(|c| **c).count();
    Ok(Verified {
        from,
        cycles: rt.cycle() - start_cycle,
        inputs: next_input,
        snapshots: compared,
        run_hash: rt.run_hash(),
    })
}

/// A trace of a stopped live run, for `lexum debug DIR`: the journal's run
/// re-executed from its start (effect results played back, inputs applied
/// at their cycles) with every cycle recorded. Its settings say `live`; it
/// opens in the debugger, and `lexum replay DIR --verify` (not the trace)
/// is what verifies the run.
pub fn trace(storage: Arc<dyn Storage>) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let usage = |m: &str| vec![Diagnostic::plain(Code::L002, m)];
    let Some((program_hash, settings, source)) = describe(&*storage) else {
        return Err(vec![Diagnostic::plain(
            Code::J004,
            "the journal has neither its start record nor a snapshot to say which run it holds",
        )]);
    };
    let Some(source) = source.filter(|_| settings.live) else {
        return Err(usage(
            "this journal is not a live run's: debug a batch run with `lexum debug FILE.lxm` or a trace",
        ));
    };
    let journal = Journal::open(storage.clone(), &program_hash, &settings, SyncPolicy::Never)
        .map_err(|e| e.diagnostics())?;
    if !journal.has_start() {
        return Err(usage(
            "snapshots have bounded this journal's log, so its run cannot be shown from the start; `lexum replay DIR --verify` checks what is kept",
        ));
    }
    if journal
        .live
        .iter()
        .any(|r| matches!(r.input, crate::journal::run::LiveInput::Upgrade { .. }))
    {
        return Err(usage(
            "this run was upgraded: the debugger shows one program's run (not yet one across upgrades)",
        ));
    }
    let checked = check_source(&source);
    let Some(program) = checked.program else {
        return Err(checked.diagnostics);
    };
    let program = super::engine::leak(program);
    let inputs: Vec<(u64, crate::ir::HandlerId, crate::runtime::queue::Args)> = journal
        .live
        .iter()
        .filter_map(|r| match &r.input {
            crate::journal::run::LiveInput::Message { to, args, .. } => {
                let (h, args) = crate::runtime::drive::external_message(program, to, args).ok()?;
                Some((r.after, h, args))
            }
            _ => None,
        })
        .collect();
    let mut failed = None;
    let mut bytes = Vec::new();
    crate::trace::record::record_driven(
        program,
        &source,
        &settings,
        &[],
        &inputs,
        Box::new(journal.playback()),
        &mut bytes,
        |rt| {
            for r in &journal.live {
                if let Err(e) = super::engine::replay_input(program, rt, r, |_| {}) {
                    failed = Some(e);
                    break;
                }
            }
            if failed.is_none() {
                rt.drive(&[], u64::MAX, |_| Flow::Continue);
            }
            rt.outcome()
                .cloned()
                .unwrap_or(crate::runtime::Outcome::Converged)
        },
    )
    .map_err(|e| {
        vec![Diagnostic::plain(
            Code::L001,
            format!("cannot record the trace: {e}"),
        )]
    })?;
    if let Some(what) = failed {
        return Err(t005(what));
    }
    Ok(bytes)
}
