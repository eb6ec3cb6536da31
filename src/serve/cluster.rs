//! Replication (issue 14): several `lexum serve` nodes run one run. The
//! Raft log (openraft) carries the run's inputs, never its cycles: since
//! execution is a pure function of the inputs, every node that applies
//! the log in order has the same state and run hash. See docs/cluster.md
//! and `engine/replicated.rs` for how inputs, time and effects go through
//! the log.

pub mod log_store;
pub mod network;
pub mod state_machine;
pub mod types;

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc};

use openraft::BasicNode;

use crate::journal::Storage;
use crate::serve::engine::Request;
use types::{NodeId, Raft};

/// An error with its message, where openraft wants a `std::error::Error`.
#[derive(Debug)]
pub(crate) struct Failed(pub String);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

/// A node's Raft, as the engine uses it.
#[derive(Clone)]
pub struct Replica {
    pub raft: Raft,
    /// The runtime Raft runs on (the engine thread blocks on it).
    pub tokio: tokio::runtime::Handle,
    pub node_id: NodeId,
    /// Every node's address (`HOST:PORT`).
    pub peers: BTreeMap<NodeId, String>,
}

/// Parses `--peers 1=HOST:PORT,2=HOST:PORT,...`.
pub fn parse_peers(text: &str) -> Result<BTreeMap<NodeId, String>, String> {
    let mut peers = BTreeMap::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (id, addr) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` is not ID=HOST:PORT"))?;
        let id: NodeId = id
            .trim()
            .parse()
            .map_err(|_| format!("`{id}` is not a node id (a number)"))?;
        if addr.trim().is_empty() || !addr.contains(':') {
            return Err(format!("`{addr}` is not HOST:PORT"));
        }
        if peers.insert(id, addr.trim().to_string()).is_some() {
            return Err(format!("node {id} is given twice"));
        }
    }
    if peers.is_empty() {
        return Err("no peers given".into());
    }
    Ok(peers)
}

/// Raft's timing: heartbeats every 100 ms, an election after 600–1,200 ms
/// without one. A snapshot every `snapshot_logs` entries, after which the
/// log keeps only the `snapshot_logs / 10` entries before it (a follower
/// further behind installs the snapshot).
pub fn raft_config(snapshot_logs: u64) -> Arc<openraft::Config> {
    let snapshot_logs = snapshot_logs.max(2);
    let c = openraft::Config {
        cluster_name: "lexum".into(),
        heartbeat_interval: 100,
        election_timeout_min: 600,
        election_timeout_max: 1200,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snapshot_logs),
        max_in_snapshot_log_to_keep: snapshot_logs / 10,
        max_payload_entries: 64,
        // Chunks travel as JSON (a byte is up to four characters): this
        // keeps a request well under the server's 2 MiB body limit.
        snapshot_max_chunk_size: 256 * 1024,
        ..Default::default()
    };
    Arc::new(c.validate().expect("a valid Raft configuration"))
}

/// Starts a node's Raft on the current tokio runtime, for an engine whose
/// journal ends at `applied`; initializes the cluster if it is new.
pub async fn start_raft(
    node_id: NodeId,
    peers: &BTreeMap<NodeId, String>,
    storage: Arc<dyn Storage>,
    network: network::Network,
    engine: mpsc::Sender<Request>,
    applied: Option<[u64; 4]>,
    snapshot_logs: u64,
) -> Result<Raft, String> {
    let log = log_store::LogStore::open(storage.clone())?;
    let mut sm =
        state_machine::StateMachine::new(engine, applied.map(types::decode_log_id), storage)?;
    sm.catch_up_to_snapshot().await?;
    let raft = Raft::new(node_id, raft_config(snapshot_logs), network, log, sm)
        .await
        .map_err(|e| format!("cannot start Raft: {e}"))?;
    if !raft.is_initialized().await.unwrap_or(true) {
        let members: BTreeMap<NodeId, BasicNode> = peers
            .iter()
            .map(|(id, addr)| (*id, BasicNode { addr: addr.clone() }))
            .collect();
        // Every node may do this with the same members; all but the first
        // are told it is done.
        let _ = raft.initialize(members).await;
    }
    Ok(raft)
}

/// Who a node is in its cluster.
#[derive(Clone)]
pub struct Membership {
    pub node_id: NodeId,
    pub peers: BTreeMap<NodeId, String>,
    /// Where the Raft log and vote are kept.
    pub storage: Arc<dyn Storage>,
    pub network: network::Network,
    /// Raft entries between snapshots.
    pub snapshot_logs: u64,
    pub genesis: Genesis,
}

/// The default of [`Membership::snapshot_logs`].
pub const DEFAULT_SNAPSHOT_LOGS: u64 = 10_000;

/// The cluster identity a node's Raft messages carry: the hash of its run
/// settings, so nodes with other settings are refused (S005). The program
/// is not part of it, since an upgrade changes it through the log: each
/// `Advance` entry names the program the run is under, and a node started
/// with another one halts there, also with S005.
pub fn identity(settings: &crate::runtime::Settings) -> String {
    let settings = serde_json::to_string(settings).unwrap_or_default();
    crate::trace::sha256_hex(format!("lexum-settings\u{0}{settings}").as_bytes())
}

/// Which program the cluster's run began with (the sha256 of its source).
/// Every Raft message carries it, and a node refuses messages from a node
/// whose run began elsewhere (S005): nodes started from different program
/// files never form one cluster. Upgrades do not change it, so a node that
/// lags behind an upgrade still receives the log. It is kept in
/// `raft-genesis`, written at a node's first start: the program it was
/// started with (a node that replaces a lost one after an upgrade gets a
/// copy of a peer's file; docs/cluster.md).
#[derive(Clone)]
pub struct Genesis(Arc<str>);

const GENESIS: &str = "raft-genesis";

impl Genesis {
    /// The node's genesis, or `source`'s for a new node.
    pub fn open(storage: Arc<dyn Storage>, source: &str) -> Result<Genesis, String> {
        let hash = match storage.read(GENESIS) {
            Ok(b) => String::from_utf8(b)
                .ok()
                .filter(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()))
                .ok_or("the Raft genesis file is unreadable")?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let h = crate::trace::sha256_hex(source.as_bytes());
                storage
                    .replace(GENESIS, h.as_bytes())
                    .map_err(|e| format!("cannot write the Raft genesis: {e}"))?;
                h
            }
            Err(e) => return Err(format!("cannot read the Raft genesis: {e}")),
        };
        Ok(Genesis(hash.into()))
    }

    pub fn get(&self) -> &str {
        &self.0
    }
}

/// Starts one node: its engine (which recovers its own journal), then its
/// Raft on `tokio`, then hands the Raft to the engine.
pub fn start_node(
    config: crate::serve::engine::Config,
    program: Arc<crate::ir::Program>,
    bind: Box<dyn FnOnce() -> Box<dyn crate::runtime::effects::Effects> + Send>,
    member: Membership,
    tokio: &tokio::runtime::Runtime,
) -> Result<(crate::serve::engine::Handle, Raft), Vec<crate::diag::Diagnostic>> {
    let handle = crate::serve::engine::start(config, program, bind)?;
    let raft = tokio
        .block_on(start_raft(
            member.node_id,
            &member.peers,
            member.storage.clone(),
            member.network.clone(),
            handle.requests.clone(),
            handle.raft_applied,
            member.snapshot_logs,
        ))
        .map_err(|what| {
            vec![crate::diag::Diagnostic::plain(
                crate::codes::Code::J001,
                what,
            )]
        })?;
    if let network::Network::Sim { net, .. } = &member.network {
        net.register(member.node_id, raft.clone(), member.genesis.clone());
    }
    let _ = handle.requests.send(Request::Attach(Replica {
        raft: raft.clone(),
        tokio: tokio.handle().clone(),
        node_id: member.node_id,
        peers: member.peers,
    }));
    Ok((handle, raft))
}
