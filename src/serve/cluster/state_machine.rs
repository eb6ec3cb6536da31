//! The Raft state machine: committed entries go, in log order, to the
//! engine thread that owns the runtime (it applies them and journals them
//! in the node's own journal). Where the applied log ends is the engine's
//! to say: it is the Raft position of the last input in that journal, so
//! after a crash openraft hands the later entries over again.
//!
//! Raft snapshots are not built yet: the log is never purged, so a node
//! that lost its journal catches up from the whole log (docs/cluster.md).

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

/// One committed entry as the engine gets it (`None`: no data, such as a
/// new leader's blank entry or a membership change).
pub type Committed = (LogId, Option<Batch>);

pub struct StateMachine {
    engine: mpsc::Sender<Request>,
    applied: Option<LogId>,
    membership: StoredMembership<NodeId, BasicNode>,
    storage: Arc<dyn Storage>,
}

#[derive(Debug)]
struct Unsupported(&'static str);
impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for Unsupported {}

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

fn unsupported() -> StorageError<NodeId> {
    StorageIOError::read_state_machine(AnyError::new(&Unsupported(
        "Raft snapshots are not supported yet",
    )))
    .into()
}

impl RaftSnapshotBuilder<Lexum> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<Lexum>, StorageError<NodeId>> {
        Err(unsupported())
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
        _meta: &SnapshotMeta<NodeId, BasicNode>,
        _snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<NodeId>> {
        Err(unsupported())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<Lexum>>, StorageError<NodeId>> {
        Ok(None)
    }
}
