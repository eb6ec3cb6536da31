//! A run's settings: what decides a run besides its program and inputs,
//! written into traces and journals so that the run can be made again.

use serde::{Deserialize, Serialize};

use super::effects::Effects;
use super::{sim, Options, DEFAULT_MAX_QUEUE};

/// Which effect binding a recorded run used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectsMode {
    /// No binding: every effect call is an effect error.
    None,
    /// The deterministic simulator, with the settings' seed and fail rate.
    Sim,
}

/// How the run was made: enough to make it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub max_cycles: u64,
    pub oscillation_detection: bool,
    pub effects: EffectsMode,
    pub seed: u64,
    /// Simulated failures per million effect calls.
    pub fail_per_million: u32,
    /// The most events the queue may hold (written only when not the
    /// default, so traces of runs that kept it read as before).
    #[serde(
        default = "default_max_queue",
        skip_serializing_if = "is_default_max_queue"
    )]
    pub max_queue: u64,
    /// A live run (`lexum serve`): inputs arrive as journaled records and
    /// logical time advances only by journaled decisions. Written only
    /// when set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub live: bool,
}

fn default_max_queue() -> u64 {
    DEFAULT_MAX_QUEUE
}

fn is_default_max_queue(n: &u64) -> bool {
    *n == DEFAULT_MAX_QUEUE
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Settings {
    /// The runtime options these settings stand for.
    pub fn options(&self) -> Options {
        Options {
            max_cycles: self.max_cycles,
            detect_oscillation: self.oscillation_detection,
            max_queue: self.max_queue,
            hold_time: self.live,
            ..Options::default()
        }
    }

    /// The effect binding these settings ask for (a trace's replay, a
    /// journal's new calls when no command binding is given).
    pub fn binding(&self) -> Box<dyn Effects> {
        match self.effects {
            EffectsMode::Sim => Box::new(sim::Simulator {
                seed: self.seed,
                fail_per_million: self.fail_per_million,
            }),
            EffectsMode::None => Box::new(sim::Unbound),
        }
    }
}
