//! Any cycle's state, rebuilt from a trace's writes. Every
//! [`History::STRIDE`]-th state is kept (an O(1) persistent clone of the
//! running state, sharing what did not change); any other cycle's state is
//! the nearest kept state with at most `STRIDE - 1` cycles of writes applied,
//! which takes microseconds. Memory is the kept states plus nothing per cycle.

use super::format::TraceFile;
use crate::value::json::from_json;
use crate::value::Value;

pub type State = im::Vector<Value>;

pub struct History {
    kept: Vec<State>,
    /// The writes of each cycle, decoded once: (var id, new value).
    writes: Vec<Vec<(u32, Value)>>,
}

impl History {
    /// States kept: one every this many cycles.
    pub const STRIDE: usize = crate::runtime::drive::CHECKPOINT_EVERY as usize;

    /// Decodes every write and keeps every STRIDE-th state. Fails with the
    /// number of the first cycle whose write names an unknown variable or
    /// carries an unreadable value (0: the initial state).
    pub fn build(trace: &TraceFile) -> Result<History, u64> {
        let mut state: State = trace
            .initial
            .iter()
            .map(|v| from_json(v).ok_or(0u64))
            .collect::<Result<_, _>>()?;
        let mut kept = Vec::with_capacity(trace.cycles.len() / Self::STRIDE + 1);
        let mut writes = Vec::with_capacity(trace.cycles.len());
        kept.push(state.clone());
        for (i, c) in trace.cycles.iter().enumerate() {
            let mut w = Vec::with_capacity(c.writes.len());
            for (var, _, new) in &c.writes {
                let v = from_json(new).ok_or(c.cycle)?;
                let slot = state.get_mut(*var as usize).ok_or(c.cycle)?;
                *slot = v.clone();
                w.push((*var, v));
            }
            writes.push(w);
            if (i + 1) % Self::STRIDE == 0 {
                kept.push(state.clone());
            }
        }
        Ok(History { kept, writes })
    }

    /// Number of states: cycles + 1.
    pub fn len(&self) -> usize {
        self.writes.len() + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The state after cycle `n` (0: the initial state).
    pub fn at(&self, n: usize) -> Option<State> {
        if n >= self.len() {
            return None;
        }
        let base = n / Self::STRIDE;
        let mut s = self.kept.get(base)?.clone();
        for w in &self.writes[base * Self::STRIDE..n] {
            for (var, v) in w {
                if let Some(slot) = s.get_mut(*var as usize) {
                    *slot = v.clone();
                }
            }
        }
        Some(s)
    }

    /// An `Int` variable's values: (cycle, value) initially and at each change.
    pub fn series(&self, var: u32) -> Vec<(usize, i64)> {
        let mut out = Vec::new();
        if let Some(Value::Int(i)) = self.kept.first().and_then(|s| s.get(var as usize)) {
            out.push((0, *i));
        } else {
            return out;
        }
        for (c, w) in self.writes.iter().enumerate() {
            for (v, val) in w {
                if *v == var {
                    if let Value::Int(i) = val {
                        out.push((c + 1, *i));
                    }
                }
            }
        }
        out
    }

    /// The writes of cycle `n` (1-based): (var id, new value).
    pub fn writes_of(&self, n: usize) -> &[(u32, Value)] {
        n.checked_sub(1)
            .and_then(|i| self.writes.get(i))
            .map(|w| w.as_slice())
            .unwrap_or(&[])
    }

    /// The variables written by cycle `n` (empty for 0).
    pub fn written(&self, n: usize) -> impl Iterator<Item = u32> + '_ {
        n.checked_sub(1)
            .and_then(|i| self.writes.get(i))
            .into_iter()
            .flat_map(|w| w.iter().map(|(v, _)| *v))
    }
}
