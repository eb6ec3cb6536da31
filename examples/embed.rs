//! Embedding Lexum in a Rust program: bind an effect in Rust, run a program
//! to its end, read its state and run hash, then record the same run as a
//! trace in memory and verify it by replay.
//!
//! `cargo run --example embed`

use lexum::trace::{format::Settings, load::load, record::record_run, replay};
use lexum::{check_source, EffectError, Effects, Options, Outcome, Runtime, Value};

const PROGRAM: &str = "effect cloud.create_node(size: Str) -> Int

domain Cluster {
  state nodes: Int = 1
  state ids: List<Int> = []
  goal enough: nodes >= 3
    repair {
      let id = cloud.create_node(\"m5\")
      ids = ids + [id]
      nodes += 1
    }
}
";

/// A binding written in Rust: a deterministic id per call.
struct Cloud;

impl Effects for Cloud {
    fn call(
        &mut self,
        call_id: u64,
        effect: &lexum::ir::Effect,
        _args: &[Value],
    ) -> Result<Value, EffectError> {
        match effect.name.as_str() {
            "cloud.create_node" => Ok(Value::Int(1000 + call_id as i64)),
            other => Err(EffectError::Failed(format!("no binding for {other}"))),
        }
    }
}

fn main() {
    let checked = check_source(PROGRAM);
    let Some(program) = checked.program else {
        for d in &checked.diagnostics {
            eprintln!("{}: {}", d.code, d.message);
        }
        std::process::exit(1);
    };

    let mut rt = Runtime::new(&program, Options::default(), Box::new(Cloud));
    let outcome = rt.run().clone();
    assert_eq!(outcome, Outcome::Converged);
    for (var, value) in program.vars.iter().zip(rt.state()) {
        println!("{} = {value}", var.qualified);
    }
    println!("run hash: {}", rt.run_hash());

    // The same program with the simulator, recorded and verified.
    let settings = Settings {
        max_cycles: 1_000,
        oscillation_detection: true,
        effects: lexum::runtime::EffectsMode::Sim,
        seed: 7,
        fail_per_million: 0,
        max_queue: lexum::runtime::DEFAULT_MAX_QUEUE,
        live: false,
    };
    let mut bytes = Vec::new();
    let (_, recorded) = record_run(&program, PROGRAM, &settings, &mut bytes).expect("recorded");
    let loaded = load(&bytes).expect("the trace loads");
    let cycles = replay::verify(&loaded).expect("the replay matches");
    println!(
        "trace: {} bytes, {cycles} cycles verified, {recorded:?}",
        bytes.len()
    );
}
