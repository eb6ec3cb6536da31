//! A checkpoint: everything [`super::Runtime::restore`] needs to continue a
//! run from a cycle boundary. The REPL keeps them in memory; journaled runs
//! write them to disk as snapshots, through the JSON form here, which serde
//! derives from [`RunState`] and [`Stored`].

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::detect::{Brent, Detector, Epoch};
use super::RunState;
use crate::ir::Program;
use crate::value::Value;

/// Where a run is, between two cycles: the scheduler's state, the machine's
/// Σ, τ and effect counter, the run hash's state and the detector's
/// memory. Cloning is O(variables + queue): the values themselves are
/// persistent and shared.
#[derive(Clone)]
pub struct Checkpoint {
    pub(crate) run: RunState,
    pub(crate) state: Vec<Value>,
    pub(crate) tick: i64,
    pub(crate) next_effect_id: u64,
    pub(crate) hash: sha2::Sha256,
    /// The oscillation detector's memory. Its JSON form keeps only the
    /// epoch's first base: the table comes back from `detector.wal`.
    pub(crate) detector: Detector,
}

/// Why a stored checkpoint cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

/// A checkpoint's stored form. `state` may be left out when the reader gets
/// it elsewhere (snapshots keep it by domain); `quiescent` is stored only
/// when it differs from `state`.
#[derive(Serialize, Deserialize)]
struct Stored {
    run: RunState,
    clock: i64,
    next_effect_id: u64,
    /// The run hash's sha256 state, serialized by sha2, in hex.
    hasher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<Vec<Value>>,
    #[serde(default)]
    quiescent: Option<Vec<Value>>,
    /// The detector's epoch base (itself stored without a base).
    #[serde(default)]
    detector_base: Option<Box<Stored>>,
    /// Where the detector's Brent phase began, with the run hash's state
    /// there (a loop found later rewinds to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detector_brent: Option<Box<Stored>>,
}

impl Checkpoint {
    /// The cycle it was taken after.
    pub fn cycle(&self) -> u64 {
        self.run.cycle
    }

    /// How many events its queue holds.
    pub fn queued(&self) -> usize {
        self.run.queue.len()
    }

    fn stored(&self) -> Stored {
        let hash: Vec<u8> = {
            use sha2::digest::common::hazmat::SerializableState;
            self.hash.serialize().to_vec()
        };
        Stored {
            run: self.run.clone(),
            clock: self.tick,
            next_effect_id: self.next_effect_id,
            hasher: hex(&hash),
            state: Some(self.state.clone()),
            quiescent: (self.run.quiescent != self.state).then(|| self.run.quiescent.clone()),
            detector_base: self.detector.first_base().map(|b| Box::new(b.stored())),
            detector_brent: self
                .detector
                .brent
                .as_ref()
                .map(|b| Box::new(b.base.stored())),
        }
    }

    /// The checkpoint as JSON (the runtime part of a snapshot, which moves
    /// `state` out to store it by domain).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self.stored()).unwrap_or(Json::Null)
    }

    /// Reads [`Checkpoint::to_json`]'s form back for `program` with the
    /// given `state` (in place of the `state` field), checking every index
    /// against the program.
    pub fn from_json(
        j: &Json,
        program: &Program,
        state: Vec<Value>,
    ) -> Result<Checkpoint, Unreadable> {
        let stored = Stored::deserialize(j).map_err(|e| Unreadable(e.to_string()))?;
        Checkpoint::from_stored(stored, program, Some(state))
    }

    fn from_stored(
        s: Stored,
        program: &Program,
        state: Option<Vec<Value>>,
    ) -> Result<Checkpoint, Unreadable> {
        let bad = |what: &str| Unreadable(what.to_string());
        let nvars = program.vars.len();
        let state = state
            .or(s.state)
            .ok_or_else(|| bad("the state is missing"))?;
        if state.len() != nvars {
            return Err(bad("a state has the wrong number of variables"));
        }
        let mut run = s.run;
        run.fits(program).map_err(bad)?;
        run.quiescent = match s.quiescent {
            None => state.clone(),
            Some(q) if q.len() == nvars => q,
            Some(_) => return Err(bad("a quiescent state has the wrong number of variables")),
        };
        let hash = {
            use sha2::digest::common::hazmat::SerializableState;
            let bytes = unhex(&s.hasher).ok_or_else(|| bad("the hasher state is unreadable"))?;
            let arr = bytes
                .as_slice()
                .try_into()
                .map_err(|_| bad("the hasher state has the wrong size"))?;
            sha2::Sha256::deserialize(arr).map_err(|_| bad("the hasher state is invalid"))?
        };
        let brent = match s.detector_brent {
            Some(b) if b.detector_base.is_some() || b.detector_brent.is_some() => {
                return Err(bad("a detector base has a base of its own"));
            }
            Some(b) => Some(Checkpoint::from_stored(*b, program, None)?),
            None => None,
        };
        let mut detector = match s.detector_base {
            None if brent.is_some() => return Err(bad("a Brent base without an epoch")),
            None => Detector::default(),
            Some(b) => {
                if b.detector_base.is_some() {
                    return Err(bad("a detector base has a base of its own"));
                }
                if b.detector_brent.is_some() {
                    return Err(bad("a detector base has a base of its own"));
                }
                let base = Checkpoint::from_stored(*b, program, None)?;
                let epoch = Epoch {
                    effect: base.next_effect_id,
                    yields: base.run.yields.len(),
                    inputs: base.run.inputs_delivered + base.run.time_advances,
                };
                Detector::starting(epoch, base)
            }
        };
        if let Some(b) = brent {
            let first = detector.first_base().map_or(0, |f| f.cycle());
            if b.cycle() < first || b.cycle() > run.cycle {
                return Err(bad("a Brent base lies outside its epoch"));
            }
            detector.brent = Some(Brent::starting(b));
        }
        Ok(Checkpoint {
            run,
            state,
            tick: s.clock,
            next_effect_id: s.next_effect_id,
            hash,
            detector,
        })
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Reads lowercase or uppercase hex; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
