//! The trace file's structure (format `lexum-trace`, version 1), shared by
//! the recorder, the loader and replay. Documented in docs/trace.md, with a
//! JSON Schema in docs/trace.schema.json.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub const FORMAT: &str = "lexum-trace";
pub const VERSION: u64 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramInfo {
    pub source: String,
    /// sha256 of the source, hex.
    pub hash: String,
}

pub use crate::runtime::settings::{EffectsMode, Settings};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VarValue {
    pub var: String,
    pub value: Json,
}

/// The event of a cycle: a message (`m`: handler id, `a`: arguments) or a
/// repair (`r`: goal id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventJson {
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<u32>,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<Json>>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<u32>,
}

/// Why a cycle failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureJson {
    /// The failure's kind (`fail`, `assert`, `overflow`, ...).
    pub k: String,
    /// The message, as reports print it.
    pub m: String,
    /// Byte span of the failing code in the program's source.
    pub s: [usize; 2],
    /// Whether the event was queued again (false: the run ended in E007).
    pub retried: bool,
}

/// One cycle. Ids index the header's `names` tables; values use the value
/// encoding of `value::json`. Short keys keep a cycle near 80 bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleJson {
    /// The cycle number.
    #[serde(rename = "n")]
    pub cycle: u64,
    /// τ when the cycle started.
    #[serde(rename = "t")]
    pub tick: i64,
    #[serde(rename = "e")]
    pub event: EventJson,
    /// The cycle whose commit enqueued the event (0: the start).
    #[serde(rename = "c")]
    pub cause: u64,
    /// The goal at the root of the event's causal chain.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub root: Option<u32>,
    #[serde(rename = "r", default, skip_serializing_if = "is_zero")]
    pub retry: u32,
    /// Present when the cycle failed (and was rolled back).
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureJson>,
    /// Writes: `[var id, old, new]`.
    #[serde(rename = "w", default, skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<(u32, Json, Json)>,
    /// Messages sent: `[handler id, args, due tick]`.
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    pub sends: Vec<(u32, Vec<Json>, u64)>,
    /// Goals whose truth changed: `[goal id, holds]`.
    #[serde(rename = "q", default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<(u32, bool)>,
    /// The run hash so far, every 1000 cycles.
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The names behind the ids used in cycles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NameTables {
    pub vars: Vec<String>,
    pub goals: Vec<String>,
    pub handlers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YieldJson {
    pub goal: String,
    pub to: String,
    pub cycle: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EffectJson {
    pub call: u64,
    pub effect: String,
    pub args: Vec<Json>,
    /// `{"ok": value}` or `{"error": message}`.
    pub result: Json,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoopJson {
    pub start: u64,
    pub period: u64,
    pub at: u64,
    pub goals: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultJson {
    /// `converged`, `oscillation`, `stuck`, `budget`, `retries_exhausted`, `initial_state`, `goal_failed`.
    pub status: String,
    pub code: Option<String>,
    pub cycles: u64,
    pub time: i64,
    #[serde(rename = "loop")]
    pub loop_: Option<LoopJson>,
    pub yields: Vec<YieldJson>,
    pub final_state: Vec<VarValue>,
    pub run_hash: String,
}

/// An external message (the REPL's `send`): handler id and arguments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputJson {
    pub after: u64,
    pub handler: u32,
    pub args: Vec<Json>,
}

/// A whole trace file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceFile {
    pub format: String,
    pub version: u64,
    pub program: ProgramInfo,
    pub settings: Settings,
    /// External messages, each delivered once the run has completed `after` cycles.
    pub inputs: Vec<InputJson>,
    pub names: NameTables,
    /// Every variable's initial value, by var id.
    pub initial: Vec<Json>,
    pub cycles: Vec<CycleJson>,
    pub effects: Vec<EffectJson>,
    pub result: ResultJson,
}
