//! The Raft log and vote, durable on a [`Storage`]: `raft-vote` replaced
//! atomically, `raft-log` an append-only file of framed operations
//! (append, truncate, purge) synced before openraft is told they are
//! durable. Reopening replays the operations; a torn last frame was never
//! acknowledged and is dropped, a corrupt one in the middle is an error.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::Arc;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{AnyError, LogState, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::types::{Lexum, LogId, NodeId};
use crate::journal::frame;
use crate::journal::Storage;

type Entry = openraft::Entry<Lexum>;

const LOG: &str = "raft-log";
const VOTE: &str = "raft-vote";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Op {
    Append(Vec<Entry>),
    Truncate(u64),
    Purge(LogId),
}

/// The log store (cheap to clone: its reader is a clone).
#[derive(Clone)]
pub struct LogStore {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    storage: Arc<dyn Storage>,
    log: BTreeMap<u64, Entry>,
    purged: Option<LogId>,
    vote: Option<Vote<NodeId>>,
}

fn io(e: impl std::error::Error + 'static) -> AnyError {
    AnyError::new(&e)
}

impl LogStore {
    /// Opens (or creates) the log on `storage`.
    pub fn open(storage: Arc<dyn Storage>) -> Result<LogStore, String> {
        storage
            .create()
            .map_err(|e| format!("cannot create the Raft log: {e}"))?;
        let vote = match storage.read(VOTE) {
            Ok(b) => Some(
                serde_json::from_slice(&b)
                    .map_err(|e| format!("the Raft vote is unreadable: {e}"))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read the Raft vote: {e}")),
        };
        let bytes = match storage.read(LOG) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("cannot read the Raft log: {e}")),
        };
        let (frames, bad) = frame::decode_all(&bytes);
        let mut inner = Inner {
            storage: storage.clone(),
            log: BTreeMap::new(),
            purged: None,
            vote,
        };
        for f in &frames {
            let op: Op = serde_json::from_slice(&f.payload)
                .map_err(|e| format!("a Raft log record is unreadable: {e}"))?;
            inner.apply(op);
        }
        match bad {
            None => {}
            Some(frame::FrameError::Torn { offset }) => storage
                .truncate(LOG, offset)
                .and_then(|_| storage.sync(LOG))
                .map_err(|e| format!("cannot cut the Raft log's torn end: {e}"))?,
            Some(frame::FrameError::Corrupt { offset }) => {
                return Err(format!("the Raft log is corrupt at byte {offset}"))
            }
        }
        Ok(LogStore {
            inner: Arc::new(Mutex::new(inner)),
        })
    }
}

impl Inner {
    fn apply(&mut self, op: Op) {
        match op {
            Op::Append(entries) => {
                for e in entries {
                    self.log.insert(e.log_id.index, e);
                }
            }
            Op::Truncate(index) => {
                self.log.split_off(&index);
            }
            Op::Purge(id) => {
                self.log = self.log.split_off(&(id.index + 1));
                self.purged = self.purged.max(Some(id));
            }
        }
    }

    /// Rewrites the file as what it now holds (after a purge: the entries
    /// a snapshot covers are gone from memory and from disk), atomically.
    fn compact(&mut self) -> Result<(), std::io::Error> {
        let mut out = Vec::new();
        for op in [
            self.purged.map(Op::Purge),
            Some(Op::Append(self.log.values().cloned().collect())),
        ]
        .into_iter()
        .flatten()
        {
            let payload = serde_json::to_vec(&op).map_err(std::io::Error::other)?;
            frame::encode(&mut out, &payload);
        }
        self.storage.replace(LOG, &out)
    }

    /// Writes an operation durably, then applies it.
    fn write(&mut self, op: Op) -> Result<(), std::io::Error> {
        let payload = serde_json::to_vec(&op).map_err(std::io::Error::other)?;
        let mut out = Vec::with_capacity(payload.len() + frame::HEADER);
        frame::encode(&mut out, &payload);
        self.storage.append(LOG, &out)?;
        self.storage.sync(LOG)?;
        self.apply(op);
        Ok(())
    }
}

impl RaftLogReader<Lexum> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError<NodeId>> {
        let inner = self.inner.lock().await;
        Ok(inner.log.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<Lexum> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<Lexum>, StorageError<NodeId>> {
        let inner = self.inner.lock().await;
        let last = inner
            .log
            .values()
            .next_back()
            .map(|e| e.log_id)
            .or(inner.purged);
        Ok(LogState {
            last_purged_log_id: inner.purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.lock().await;
        let bytes = serde_json::to_vec(vote).map_err(|e| StorageIOError::write_vote(io(e)))?;
        inner
            .storage
            .replace(VOTE, &bytes)
            .map_err(|e| StorageIOError::write_vote(io(e)))?;
        inner.vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(self.inner.lock().await.vote)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<Lexum>,
    ) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry> + Send,
    {
        let mut inner = self.inner.lock().await;
        let entries: Vec<Entry> = entries.into_iter().collect();
        match inner.write(Op::Append(entries)) {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let err = StorageIOError::write_logs(AnyError::new(&super::Failed(e.to_string())));
                callback.log_io_completed(Err(e));
                Err(err.into())
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.lock().await;
        inner
            .write(Op::Truncate(log_id.index))
            .map_err(|e| StorageIOError::write_logs(io(e)).into())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError<NodeId>> {
        let mut inner = self.inner.lock().await;
        inner.apply(Op::Purge(log_id));
        inner
            .compact()
            .map_err(|e| StorageIOError::write_logs(io(e)).into())
    }
}
