//! What the Raft log carries: small inputs, never cycles. Execution is a
//! pure function of these, so every node that applies them in log order
//! runs the same run (docs/cluster.md).

use std::io::Cursor;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::journal::run::{LiveInput, LiveRecord};

openraft::declare_raft_types!(
    /// The cluster's Raft types: a log entry's data is a [`Batch`].
    pub Lexum:
        D = Batch,
        R = (),
);

/// One log entry's data: the items one proposal made durable together.
pub type Batch = Vec<Item>;

pub type Raft = openraft::Raft<Lexum>;
pub type NodeId = u64;
pub type LogId = openraft::LogId<NodeId>;

/// One replicated input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Item {
    /// A live input (message, time decision, upgrade), applied after cycle
    /// `after`, numbered `seq` without a gap.
    Live {
        seq: u64,
        after: u64,
        input: LiveInput,
    },
    /// Nodes may run cycles up to `to`: the leader never runs a cycle the
    /// log has not allowed, so no node ever has to undo one. At cycle `at`
    /// the leader runs the program whose source has sha256 `program`, and
    /// its run hash is `hash`: every node checks both there. Another
    /// program halts the node with S005 (it was started with the wrong
    /// file); another hash with S006 (it can only be a bug).
    Advance {
        to: u64,
        at: u64,
        hash: String,
        program: String,
    },
    /// The result of effect call `call`, made by the leader only, in the
    /// journal's encoding (`{"ok": value}` or `{"error": message}`).
    Effect {
        call: u64,
        effect: String,
        result: Json,
    },
}

impl Item {
    /// The journal record of a live item from entry `raft`, applied while
    /// the log allowed cycles up to `position`.
    pub fn record(&self, raft: LogId, position: u64) -> Option<LiveRecord> {
        match self {
            Item::Live { seq, after, input } => Some(LiveRecord {
                seq: *seq,
                after: *after,
                input: input.clone(),
                raft: Some(encode_log_id(raft, position.max(*after))),
            }),
            _ => None,
        }
    }
}

/// A log id as the local journal keeps it, with the cycle the log allowed
/// then: `[term, leader, index, position]` (a restarted node needs both).
pub fn encode_log_id(id: LogId, position: u64) -> [u64; 4] {
    [id.leader_id.term, id.leader_id.node_id, id.index, position]
}

pub fn decode_log_id(v: [u64; 4]) -> LogId {
    openraft::LogId::new(openraft::CommittedLeaderId::new(v[0], v[1]), v[2])
}
