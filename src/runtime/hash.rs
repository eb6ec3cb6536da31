//! The run hash: sha256 over a canonical byte encoding of every cycle (its
//! number, event, outcome and writes) and every yield. The encoding is
//! documented in docs/runtime.md; it depends on nothing but the run itself.

use sha2::{Digest, Sha256};

use crate::value::Value;

/// Appends the canonical encoding of a value: a tag byte, then the payload
/// (integers little-endian, lengths as u32, collections in their order).
pub fn encode_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Int(i) => {
            out.push(1);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Bool(b) => {
            out.push(2);
            out.push(*b as u8);
        }
        Value::Str(s) => {
            out.push(3);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Value::List(l) => {
            out.push(4);
            out.extend_from_slice(&(l.len() as u32).to_le_bytes());
            for x in l {
                encode_value(out, x);
            }
        }
        Value::Set(s) => {
            out.push(5);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            for x in s {
                encode_value(out, x);
            }
        }
        Value::Map(m) => {
            out.push(6);
            out.extend_from_slice(&(m.len() as u32).to_le_bytes());
            for (k, x) in m {
                encode_value(out, k);
                encode_value(out, x);
            }
        }
    }
}

/// Streams cycle records into sha256 in large chunks.
pub struct RunHasher {
    hasher: Sha256,
    pub buf: Vec<u8>,
}

impl Default for RunHasher {
    fn default() -> Self {
        RunHasher {
            hasher: Sha256::new(),
            buf: Vec::with_capacity(1 << 16),
        }
    }
}

impl RunHasher {
    /// Feeds the buffer to the hasher once it is large.
    pub fn maybe_flush(&mut self) {
        if self.buf.len() >= 1 << 15 {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }

    /// The hash of everything so far, as lowercase hex.
    pub fn hex(&self) -> String {
        let mut h = self.hasher.clone();
        h.update(&self.buf);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}
