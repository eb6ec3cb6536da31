//! The collision attack of issue 18, run for real: two different lists
//! whose additive 128-bit content hash collides (found by
//! `benches/collision_search.rs`). The detector still uses that hash to find
//! candidates, so the pair proves that a collision never becomes a false
//! E005; the run hash encodes collections by a collision-resistant digest,
//! so the twin programs' run hashes differ.

use lexum::check::check_source;
use lexum::runtime::{sim, Options, Outcome, Runtime};
use lexum::value::Value;

fn lists() -> (Vec<i64>, Vec<i64>) {
    let j: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/content_hash_collision.json")).unwrap();
    let get = |k: &str| -> Vec<i64> {
        j[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect()
    };
    (get("a"), get("b"))
}

fn literal(xs: &[i64]) -> String {
    format!(
        "[{}]",
        xs.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn value(xs: &[i64]) -> Value {
    Value::list(xs.iter().map(|x| Value::Int(*x)).collect())
}

fn run(src: &str) -> (Outcome, Vec<String>, String) {
    let program = check_source(src).program.expect("the program checks");
    let mut rt = Runtime::new(&program, Options::default(), Box::new(sim::Unbound));
    let outcome = rt.run().clone();
    let state = rt.state().iter().map(|v| v.to_string()).collect();
    (outcome, state, rt.run_hash())
}

#[test]
fn the_pair_collides_under_the_content_hash() {
    let (a, b) = lists();
    assert_ne!(a, b);
    assert_eq!(
        value(&a).content_hash(),
        value(&b).content_hash(),
        "the fixture no longer collides: regenerate it with benches/collision_search.rs if the content hash changed"
    );
    assert_ne!(value(&a).digest(), value(&b).digest());
}

#[test]
fn colliding_lists_give_different_run_hashes() {
    let (a, b) = lists();
    let prog = |xs: &[i64]| {
        format!(
            "domain D {{\n  state xs: List<Int> = []\n  goal g: len(xs) > 0 repair {{ xs = {} }}\n}}\n",
            literal(xs)
        )
    };
    let (oa, sa, ha) = run(&prog(&a));
    let (ob, sb, hb) = run(&prog(&b));
    assert_eq!(oa, Outcome::Converged);
    assert_eq!(ob, Outcome::Converged);
    assert_ne!(sa, sb);
    assert_ne!(ha, hb, "two runs with different writes share a run hash");
}

/// The program of the issue: after 1,101 repair cycles it swaps one list for
/// its twin, which makes the configuration's digest equal to cycle 1's, then
/// converges. A detector that trusted digests reported E005 (period 1101).
#[test]
fn a_swapped_twin_is_not_a_repeat() {
    let (a, b) = lists();
    let src = format!(
        "domain D {{
  state xs: List<Int> = {}
  state n: Int = 0
  goal g: xs[0] == 0 && n == 5
    repair {{
      n = (n + 1) % 1101
      if n == 0 {{ xs = {} }}
    }}
}}
",
        literal(&a),
        literal(&b)
    );
    let (outcome, state, _) = run(&src);
    assert_eq!(outcome, Outcome::Converged, "{state:?}");
    assert_eq!(state[1], "5");
}
