//! The built-in effect simulator: results derived from the seed, the call id
//! and the arguments alone, with failures injected at a given rate. Same seed,
//! same run.

use sha2::{Digest, Sha256};

use super::effects::{EffectError, Effects};
use super::hash::encode_value;
use crate::ir;
use crate::types::Type;
use crate::value::Value;

pub struct Simulator {
    pub seed: u64,
    /// Failures per million calls.
    pub fail_per_million: u32,
}

impl Simulator {
    fn draw(&self, call_id: u64, effect: &ir::Effect, args: &[Value]) -> u64 {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&self.seed.to_le_bytes());
        bytes.extend_from_slice(&call_id.to_le_bytes());
        bytes.extend_from_slice(effect.name.as_bytes());
        for a in args {
            encode_value(&mut bytes, a);
        }
        let d = Sha256::digest(&bytes);
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        u64::from_le_bytes(first)
    }
}

fn value_of(ty: &Type, r: u64, call_id: u64) -> Value {
    match ty {
        Type::Int => Value::Int((r % 1_000_000) as i64),
        Type::Bool => Value::Bool(r & 1 == 1),
        Type::Str => Value::str(&format!("sim-{call_id}")),
        Type::List(_) => Value::list(im::Vector::new()),
        Type::Set(_) => Value::set(im::OrdSet::new()),
        Type::Map(..) | Type::Unknown => Value::map(im::OrdMap::new()),
    }
}

impl Effects for Simulator {
    fn call(
        &mut self,
        call_id: u64,
        effect: &ir::Effect,
        args: &[Value],
    ) -> Result<Value, EffectError> {
        let r = self.draw(call_id, effect, args);
        if ((r >> 40) % 1_000_000) < self.fail_per_million as u64 {
            return Err(EffectError::Simulated {
                effect: effect.name.clone(),
                call: call_id,
            });
        }
        Ok(value_of(&effect.ret, r, call_id))
    }
}

/// No binding: every effect call is an effect error.
pub struct Unbound;

impl Effects for Unbound {
    fn call(&mut self, _: u64, effect: &ir::Effect, _: &[Value]) -> Result<Value, EffectError> {
        Err(EffectError::Unbound {
            effect: effect.name.clone(),
        })
    }
}
