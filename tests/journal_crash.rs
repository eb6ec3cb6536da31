//! The journal on the crash-simulating storage, in process: a short
//! effectful run is frozen at every one of its syncs in turn (the durable
//! image a power loss right after that sync would leave), and each image,
//! reopened, resumes to exactly the uninterrupted run's state and run hash.

use std::sync::Arc;

use lexum::journal::run::SyncPolicy;
use lexum::journal::session::{self, Setup};
use lexum::journal::{MemStorage, Storage};
use lexum::runtime::sim;
use lexum::trace::format::Settings;
use lexum::{check_source, Outcome};

mod support;

fn settings() -> Settings {
    Settings {
        max_cycles: 10_000,
        oscillation_detection: true,
        effects: lexum::runtime::EffectsMode::Sim,
        seed: 3,
        fail_per_million: 200_000,
        max_queue: lexum::runtime::DEFAULT_MAX_QUEUE,
        live: false,
    }
}

/// Runs the program journaled on `storage` to its end, as `lexum run
/// --journal` does; returns the outcome, the state and the run hash.
fn run_on(
    source: &str,
    storage: Arc<dyn Storage>,
    policy: SyncPolicy,
) -> Result<(Outcome, Vec<String>, String), String> {
    let program = check_source(source).program.expect("checks");
    let settings = settings();
    let setup = Setup {
        storage,
        source,
        settings: &settings,
        inputs: &[],
        policy,
        snapshot_every: 7,
        segment_bytes: 600,
        after_cycle: None,
        measure: false,
        wait_for_snapshots: true,
    };
    let inner = Box::new(sim::Simulator {
        seed: settings.seed,
        fail_per_million: settings.fail_per_million,
    });
    let mut done = session::run(&program, &setup, inner).map_err(|e| e.to_string())?;
    let hash = done.runtime.run_hash();
    let status = done
        .outcome
        .code()
        .map(|c| c.as_str())
        .unwrap_or("converged");
    done.journal.borrow_mut().finish(status, &hash);
    let state = done.runtime.state().iter().map(|v| v.to_string()).collect();
    Ok((done.outcome.clone(), state, hash))
}

fn freeze_at_every_sync(policy: SyncPolicy) {
    let source = support::counter_program(25);
    let reference_storage = MemStorage::new();
    let reference = run_on(&source, Arc::new(reference_storage.clone()), policy).unwrap();
    assert_eq!(reference.0, Outcome::Converged);
    let syncs = reference_storage.syncs();
    assert!(syncs > 20, "only {syncs} syncs");
    for n in 1..=syncs {
        let storage = MemStorage::crashing_at(n);
        run_on(&source, Arc::new(storage.clone()), policy).unwrap();
        let image = storage.crash_image().expect("the run reached the sync");
        let resumed = run_on(&source, Arc::new(image.clone()), policy)
            .unwrap_or_else(|e| panic!("frozen at sync {n} of {syncs}: {e}"));
        assert_eq!(resumed, reference, "frozen at sync {n} of {syncs}");
        // Once ended, running again prints the same and writes nothing.
        let files = image.list().unwrap();
        let again = run_on(&source, Arc::new(image.clone()), policy).unwrap();
        assert_eq!(again, reference, "rerun after sync {n}");
        assert_eq!(files, image.list().unwrap());
    }
}

#[test]
fn a_freeze_at_every_sync_resumes_to_the_same_run_always() {
    freeze_at_every_sync(SyncPolicy::Always);
}

#[test]
fn a_freeze_at_every_sync_resumes_to_the_same_run_batch() {
    freeze_at_every_sync(SyncPolicy::Batch);
}

#[test]
fn a_freeze_at_every_sync_resumes_to_the_same_run_never() {
    freeze_at_every_sync(SyncPolicy::Never);
}
