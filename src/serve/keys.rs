//! The idempotency-key window: the last N accepted messages' keys with
//! their sequence numbers. A key seen again is acknowledged again with the
//! same number and not delivered twice. The window is bounded (oldest keys
//! leave first) and goes into every snapshot, so it survives restarts. Its
//! order is a persistent vector: a snapshot takes it in O(1) and the
//! writer thread encodes it, so the engine never stalls on a million keys.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value as Json;

/// The default number of keys remembered.
pub const DEFAULT_KEYS: usize = 1_000_000;

#[derive(Default)]
pub struct Keys {
    /// Lookups only: iteration order never matters (the order is `order`'s).
    seq_of: HashMap<Arc<str>, u64>,
    order: im::Vector<(Arc<str>, u64)>,
    capacity: usize,
}

/// The window's keys as of a snapshot, encoded later.
#[derive(Clone)]
pub struct KeysSnapshot(im::Vector<(Arc<str>, u64)>);

impl KeysSnapshot {
    /// One string, a line `SEQ KEY` per key, oldest first: a million keys
    /// make one 20 MB string, not a tree of a million JSON values. (Keys
    /// hold no control characters: the server refuses them.)
    pub fn to_json(&self) -> Json {
        let mut out = String::with_capacity(self.0.len() * 24);
        for (k, s) in self.0.iter() {
            out.push_str(itoa::Buffer::new().format(*s));
            out.push(' ');
            out.push_str(k);
            out.push('\n');
        }
        Json::String(out)
    }
}

impl Keys {
    /// How many keys it remembers at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn new(capacity: usize) -> Keys {
        Keys {
            capacity: capacity.max(1),
            ..Keys::default()
        }
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.seq_of.get(key).copied()
    }

    /// Remembers `key` for message `seq`, forgetting the oldest key past the
    /// capacity.
    pub fn insert(&mut self, key: String, seq: u64) {
        let key: Arc<str> = key.into();
        if self.seq_of.insert(key.clone(), seq).is_none() {
            self.order.push_back((key, seq));
        }
        while self.order.len() > self.capacity {
            if let Some((old, _)) = self.order.pop_front() {
                self.seq_of.remove(&old);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The keys as they are now, in O(1), for a snapshot.
    pub fn snapshot(&self) -> KeysSnapshot {
        KeysSnapshot(self.order.clone())
    }

    /// `[[key, seq], ...]`, oldest first (for a snapshot).
    pub fn to_json(&self) -> Json {
        self.snapshot().to_json()
    }

    /// Reads [`Keys::to_json`]'s form; `None` if it is not that.
    pub fn from_json(j: &Json, capacity: usize) -> Option<Keys> {
        let mut keys = Keys::new(capacity);
        for line in j.as_str()?.lines() {
            let (seq, k) = line.split_once(' ')?;
            keys.insert(k.to_string(), seq.parse().ok()?);
        }
        Some(keys)
    }

    /// Whether a key can be kept: at most `max` bytes, no control
    /// characters (the snapshot's encoding needs none).
    pub fn acceptable(key: &str, max: usize) -> bool {
        key.len() <= max && !key.chars().any(char::is_control)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_forgets_the_oldest_and_round_trips() {
        let mut k = Keys::new(2);
        k.insert("a".into(), 0);
        k.insert("b".into(), 1);
        k.insert("c".into(), 2);
        assert_eq!(k.get("a"), None);
        assert_eq!(k.get("c"), Some(2));
        let back = Keys::from_json(&k.to_json(), 2).unwrap();
        assert_eq!(back.get("b"), Some(1));
        assert_eq!(back.len(), 2);
    }
}
