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
            for x in l.iter() {
                encode_value(out, x);
            }
        }
        Value::Set(s) => {
            out.push(5);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            for x in s.iter() {
                encode_value(out, x);
            }
        }
        Value::Map(m) => {
            out.push(6);
            out.extend_from_slice(&(m.len() as u32).to_le_bytes());
            for (k, x) in m.iter() {
                encode_value(out, k);
                encode_value(out, x);
            }
        }
    }
}

/// The run hash's encoding of a value: scalars as [`encode_value`];
/// a collection as tag 8 and its 32-byte collision-resistant digest, which
/// it keeps up to date as it changes ([`Value::kept_digest`]). So hashing a
/// write costs O(1) per entry changed, however big the collection written,
/// and two different values never share an encoding.
pub fn encode_for_hash(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::List(_) | Value::Set(_) | Value::Map(_) => {
            out.push(8);
            out.extend_from_slice(&v.kept_digest());
        }
        _ => encode_value(out, v),
    }
}

/// Appends a cycle's number and event: the cycle (u64), then `1`, the
/// handler (u32) and each argument, or `2` and the goal (u32).
#[inline]
pub fn encode_event(out: &mut Vec<u8>, cycle: u64, kind: &crate::runtime::queue::EventKind) {
    use crate::runtime::queue::EventKind;
    let mut head = [0u8; 13];
    head[..8].copy_from_slice(&cycle.to_le_bytes());
    match kind {
        EventKind::Message { handler, args } => {
            head[8] = 1;
            head[9..].copy_from_slice(&handler.to_le_bytes());
            out.extend_from_slice(&head);
            for a in args {
                if let Value::Int(i) = a {
                    let mut b = [1u8; 9];
                    b[1..].copy_from_slice(&i.to_le_bytes());
                    out.extend_from_slice(&b);
                } else {
                    encode_for_hash(out, a);
                }
            }
        }
        EventKind::Repair { goal } => {
            head[8] = 2;
            head[9..].copy_from_slice(&goal.to_le_bytes());
            out.extend_from_slice(&head);
        }
    }
}

/// A committed cycle's outcome byte; its writes follow, each by
/// [`encode_write`] or [`encode_int_write`].
#[inline]
pub fn encode_committed(out: &mut Vec<u8>) {
    out.push(0);
}

/// A write of an `Int`: the variable (u32), then the value as [`encode_value`] does.
#[inline]
pub fn encode_int_write(out: &mut Vec<u8>, var: u32, n: i64) {
    let mut b = [1u8; 13];
    b[..4].copy_from_slice(&var.to_le_bytes());
    b[5..].copy_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&b);
}

/// A write: the variable (u32), then the value as [`encode_for_hash`] does.
#[inline]
pub fn encode_write(out: &mut Vec<u8>, var: u32, v: &Value) {
    out.extend_from_slice(&var.to_le_bytes());
    encode_for_hash(out, v);
}

/// A failed cycle's outcome: `1` and the failure's name.
pub fn encode_failed(out: &mut Vec<u8>, failure: &str) {
    out.push(1);
    out.extend_from_slice(failure.as_bytes());
}

/// A yield: `0xF0`, the cycle, the yielding goal and the goal it yields to.
pub fn encode_yield(out: &mut Vec<u8>, cycle: u64, goal: u32, to: u32) {
    out.push(0xF0);
    out.extend_from_slice(&cycle.to_le_bytes());
    out.extend_from_slice(&goal.to_le_bytes());
    out.extend_from_slice(&to.to_le_bytes());
}

/// An upgrade of the program (a live run): `0xF1`, the cycle after which it
/// happened, and the new program's sha256.
pub fn encode_upgrade(out: &mut Vec<u8>, cycle: u64, program_sha256: &[u8]) {
    out.push(0xF1);
    out.extend_from_slice(&cycle.to_le_bytes());
    out.extend_from_slice(program_sha256);
}

enum Msg {
    Data(Vec<u8>),
    Query(std::sync::mpsc::Sender<String>),
    State(std::sync::mpsc::Sender<Sha256>),
    Reset(Box<Sha256>),
}

/// The digest of everything hashed so far, as lowercase hex.
fn to_hex(h: &Sha256) -> String {
    h.clone()
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Streams cycle records into sha256. Records accumulate in `buf`; full
/// buffers go to a hashing thread, so the scheduler's thread never hashes.
/// The result is the sha256 of the concatenated records, whatever the timing.
/// Buffers are large (waking the thread costs a system call, ~10 µs on a
/// VM) and come back to be reused (a fresh megabyte costs page faults).
pub struct RunHasher {
    pub buf: Vec<u8>,
    worker: Option<std::sync::mpsc::SyncSender<Msg>>,
    /// Hashed buffers, handed back for reuse.
    spent: Option<std::sync::mpsc::Receiver<Vec<u8>>>,
    /// Used when no thread could be started.
    local: Sha256,
    /// Throws records away (re-executions that only compare configurations).
    discard: bool,
}

const CHUNK: usize = 1 << 20;

impl Default for RunHasher {
    fn default() -> Self {
        Self::with_state(Sha256::new())
    }
}

impl RunHasher {
    /// A hasher that continues from a saved state (see [`RunHasher::state`]).
    pub fn with_state(state: Sha256) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Msg>(4);
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let local = state.clone();
        let spawned = std::thread::Builder::new()
            .name("lexum-hash".into())
            .spawn(move || {
                let mut h = state;
                while let Ok(msg) = rx.recv() {
                    match msg {
                        Msg::Data(mut d) => {
                            h.update(&d);
                            d.clear();
                            let _ = spent_tx.send(d);
                        }
                        Msg::State(reply) => {
                            let _ = reply.send(h.clone());
                        }
                        Msg::Reset(state) => h = *state,
                        Msg::Query(reply) => {
                            let hex = to_hex(&h);
                            let _ = reply.send(hex);
                        }
                    }
                }
            })
            .is_ok();
        RunHasher {
            buf: Vec::with_capacity(CHUNK + 1024),
            worker: spawned.then_some(tx),
            spent: spawned.then_some(spent_rx),
            local,
            discard: false,
        }
    }

    /// A hasher that hashes nothing and starts no thread.
    pub fn discarding() -> Self {
        RunHasher {
            buf: Vec::new(),
            worker: None,
            spent: None,
            local: Sha256::new(),
            discard: true,
        }
    }

    /// Whether it throws records away ([`RunHasher::discarding`]).
    pub fn is_discarding(&self) -> bool {
        self.discard
    }

    /// The hashing state of everything so far (for checkpoints).
    pub fn state(&mut self) -> Sha256 {
        self.flush();
        if let Some(tx) = &self.worker {
            let (rtx, rrx) = std::sync::mpsc::channel();
            if tx.send(Msg::State(rtx)).is_ok() {
                if let Ok(h) = rrx.recv() {
                    return h;
                }
            }
        }
        self.local.clone()
    }

    /// Goes back to a state saved earlier (a rewound run): records not yet
    /// handed over are dropped; those handed over are hashed first, in order,
    /// so the checkpoint hashes asked for before come out as they were.
    pub fn reset(&mut self, state: Sha256) {
        self.buf.clear();
        if self.discard {
            return;
        }
        if let Some(tx) = &self.worker {
            if tx.send(Msg::Reset(Box::new(state.clone()))).is_ok() {
                return;
            }
            self.worker = None;
        }
        self.local = state;
    }

    /// Hands the buffer to the hashing thread once it is large.
    #[inline]
    pub fn maybe_flush(&mut self) {
        if self.buf.len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.discard {
            self.buf.clear();
            return;
        }
        if self.buf.is_empty() {
            return;
        }
        let next = self
            .spent
            .as_ref()
            .and_then(|s| s.try_recv().ok())
            .unwrap_or_else(|| Vec::with_capacity(CHUNK + 1024));
        let full = std::mem::replace(&mut self.buf, next);
        match &self.worker {
            Some(tx) => {
                if let Err(std::sync::mpsc::SendError(Msg::Data(d))) = tx.send(Msg::Data(full)) {
                    self.worker = None;
                    self.local.update(&d);
                }
            }
            None => self.local.update(&full),
        }
    }

    /// Sends the hash of everything so far to `reply` once the hash thread
    /// gets there, without waiting for it.
    pub fn hex_to(&mut self, reply: std::sync::mpsc::Sender<String>) {
        self.flush();
        if let Some(tx) = &self.worker {
            if tx.send(Msg::Query(reply.clone())).is_ok() {
                return;
            }
        }
        let hex = to_hex(&self.local);
        let _ = reply.send(hex);
    }

    /// The hash of everything so far, as lowercase hex.
    pub fn hex(&mut self) -> String {
        to_hex(&self.state())
    }
}
