//! The Raft state machine: committed entries go, in log order, to the
//! engine thread that owns the runtime (it applies them and journals them
//! in the node's own journal). Where the applied log ends is the engine's
//! to say: it is the Raft position of the last input in that journal, so
//! after a crash openraft hands the later entries over again.
//!
//! A Raft snapshot is a Lexum snapshot of the engine's state at the last
//! entry it applied, with what a cluster node needs beside it (the input
//! count, keys, the log's bound, unused effect results). openraft then
//! purges the log it covers; a node too far behind installs it, and its
//! own journal starts again from it. The newest one is kept in
//! `raft-snapshot` (meta and data, written atomically).

use std::io::Cursor;
use std::sync::{mpsc, Arc};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    AnyError, BasicNode, EntryPayload, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership,
};

use super::types::{Batch, Lexum, LogId, NodeId};
use crate::journal::Storage;
use crate::serve::engine::Request;

const MEMBERSHIP: &str = "raft-membership";
const SNAPSHOT: &str = "raft-snapshot";

/// One committed entry as the engine gets it (`None`: no data, such as a
/// new leader's blank entry or a membership change).
pub type Committed = (LogId, Option<Batch>);

pub struct StateMachine {
    engine: mpsc::Sender<Request>,
    applied: Option<LogId>,
    membership: StoredMembership<NodeId, BasicNode>,
    storage: Arc<dyn Storage>,
}

fn failed(what: String) -> StorageError<NodeId> {
    StorageIOError::write_snapshot(None, AnyError::new(&super::Failed(what))).into()
}

type Meta = SnapshotMeta<NodeId, BasicNode>;

/// Keeps the newest snapshot: its meta and data in one file.
fn save(storage: &dyn Storage, meta: &Meta, data: &[u8]) -> Result<(), String> {
    let meta = serde_json::to_vec(meta).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    crate::journal::frame::encode(&mut out, &meta);
    crate::journal::frame::encode(&mut out, data);
    storage.replace(SNAPSHOT, &out).map_err(|e| e.to_string())
}

fn load(storage: &dyn Storage) -> Option<(Meta, Vec<u8>)> {
    let bytes = storage.read(SNAPSHOT).ok()?;
    let (frames, bad) = crate::journal::frame::decode_all(&bytes);
    if bad.is_some() || frames.len() != 2 {
        return None;
    }
    let meta = serde_json::from_slice(&frames[0].payload).ok()?;
    Some((meta, frames[1].payload.clone()))
}

/// Asks the engine, and waits.
async fn ask<T>(
    engine: &mpsc::Sender<Request>,
    make: impl FnOnce(tokio::sync::oneshot::Sender<T>) -> Request,
) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    engine.send(make(tx)).ok()?;
    rx.await.ok()
}

impl StateMachine {
    /// `applied`: where the engine's journal says the applied log ends.
    pub fn new(
        engine: mpsc::Sender<Request>,
        applied: Option<LogId>,
        storage: Arc<dyn Storage>,
    ) -> Result<StateMachine, String> {
        let membership = match storage.read(MEMBERSHIP) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| format!("the Raft membership is unreadable: {e}"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StoredMembership::default(),
            Err(e) => return Err(format!("cannot read the Raft membership: {e}")),
        };
        Ok(StateMachine {
            engine,
            applied,
            membership,
            storage,
        })
    }
}

impl StateMachine {
    /// A node whose journal ends before its newest Raft snapshot (the
    /// journal is written without fsync; the snapshot was durable) starts
    /// from that snapshot: openraft takes everything it covers as applied.
    pub async fn catch_up_to_snapshot(&mut self) -> Result<(), String> {
        let Some((meta, data)) = load(&*self.storage) else {
            return Ok(());
        };
        let Some(last) = meta.last_log_id else {
            return Ok(());
        };
        if self.applied.is_some_and(|a| a.index >= last.index) {
            return Ok(());
        }
        let at = super::types::encode_log_id(last, 0);
        ask(&self.engine, |reply| Request::InstallSnapshot {
            data,
            at,
            reply,
        })
        .await
        .unwrap_or_else(|| Err("the engine stopped".into()))?;
        self.applied = Some(last);
        Ok(())
    }
}

impl RaftSnapshotBuilder<Lexum> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<Lexum>, StorageError<NodeId>> {
        let (data, applied) = ask(&self.engine, |reply| Request::BuildSnapshot { reply })
            .await
            .flatten()
            .ok_or_else(|| failed("the engine could not build a snapshot".into()))?;
        let last = super::types::decode_log_id(applied);
        let meta = Meta {
            last_log_id: Some(last),
            last_membership: self.membership.clone(),
            snapshot_id: format!(
                "{}-{}-{}",
                last.leader_id.term, last.leader_id.node_id, last.index
            ),
        };
        save(&*self.storage, &meta, &data).map_err(failed)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<Lexum> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId>, StoredMembership<NodeId, BasicNode>), StorageError<NodeId>> {
        // The membership may be newer than the applied position: it is
        // written when applied, the journal later.
        let applied = match (self.applied, self.membership.log_id()) {
            (Some(a), Some(m)) if m.index > a.index => Some(*m),
            (a, m) => a.or(*m),
        };
        Ok((applied, self.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<()>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = openraft::Entry<Lexum>> + Send,
    {
        let mut out = Vec::new();
        let mut batch: Vec<super::state_machine::Committed> = Vec::new();
        for e in entries {
            out.push(());
            self.applied = Some(e.log_id);
            match e.payload {
                EntryPayload::Normal(b) => batch.push((e.log_id, Some(b))),
                EntryPayload::Blank => batch.push((e.log_id, None)),
                EntryPayload::Membership(m) => {
                    self.membership = StoredMembership::new(Some(e.log_id), m);
                    let bytes = serde_json::to_vec(&self.membership)
                        .map_err(|e| StorageIOError::write(AnyError::new(&e)))?;
                    self.storage
                        .replace(MEMBERSHIP, &bytes)
                        .map_err(|e| StorageIOError::write(AnyError::new(&e)))?;
                    batch.push((e.log_id, None));
                }
            }
        }
        // The engine may have stopped; the entries stay in the log.
        let _ = self.engine.send(Request::Committed(batch));
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        StateMachine {
            engine: self.engine.clone(),
            applied: self.applied,
            membership: self.membership.clone(),
            storage: self.storage.clone(),
        }
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<Cursor<Vec<u8>>>, StorageError<NodeId>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        let data = snapshot.into_inner();
        let Some(last) = meta.last_log_id else {
            return Err(failed("a snapshot without a log position".into()));
        };
        let at = super::types::encode_log_id(last, 0);
        let installed = ask(&self.engine, |reply| Request::InstallSnapshot {
            data: data.clone(),
            at,
            reply,
        })
        .await
        .unwrap_or_else(|| Err("the engine stopped".into()));
        installed.map_err(failed)?;
        save(&*self.storage, meta, &data).map_err(failed)?;
        self.membership = meta.last_membership.clone();
        let bytes = serde_json::to_vec(&self.membership).map_err(|e| failed(e.to_string()))?;
        self.storage
            .replace(MEMBERSHIP, &bytes)
            .map_err(|e| failed(e.to_string()))?;
        self.applied = Some(last);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<Lexum>>, StorageError<NodeId>> {
        Ok(load(&*self.storage).map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
