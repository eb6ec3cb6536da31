//! Loads a trace and rebuilds every cycle's state as persistent snapshots:
//! `cargo bench --bench trace_load -- trace.json`

use std::time::Instant;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "/tmp/bank1m.json".to_string());
    let t = Instant::now();
    let bytes = std::fs::read(&path).expect("read the trace");
    let read = t.elapsed();
    let t = Instant::now();
    let loaded = lexum::trace::load::load(&bytes).expect("a valid trace");
    let parse = t.elapsed();
    let t = Instant::now();
    let history = lexum::trace::history::History::build(&loaded.trace).expect("consistent");
    let rebuild = t.elapsed();
    println!(
        "{} cycles, {} MB: read {:?}, parse {:?}, rebuild {} states {:?}, state at the middle {:?}",
        loaded.trace.cycles.len(),
        bytes.len() / 1_000_000,
        read,
        parse,
        history.len(),
        rebuild,
        {
            let t = Instant::now();
            let _ = history.at(history.len() / 2 + 100);
            t.elapsed()
        }
    );
}
