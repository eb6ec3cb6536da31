//! How Raft messages travel: over HTTP to a peer's `/raft/*` routes (the
//! node's own server), or, in tests, through [`SimNet`], an in-process
//! network that drops, delays and partitions messages by a seed.
//!
//! Every message carries the cluster's identity (the hash of the run
//! settings) and the sender's genesis (the program its run began with); a
//! peer with another one of either refuses it (S005), so two kinds of run
//! are never mixed in one log. The program a run is under *now* is checked
//! in the log itself (each `Advance` names it), since upgrades change it
//! there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::types::{Lexum, NodeId, Raft};

/// The header that carries the cluster's identity.
pub const IDENTITY_HEADER: &str = "x-lexum-cluster";
/// The header that carries the sender's genesis ([`super::Genesis`]).
pub const GENESIS_HEADER: &str = "x-lexum-genesis";

/// The network of one node.
#[derive(Clone)]
pub enum Network {
    /// HTTP to the peers' addresses, with this cluster identity (and the
    /// bearer token, with `--token-file`).
    Http {
        identity: Arc<str>,
        token: Option<Arc<str>>,
        genesis: super::Genesis,
    },
    /// The in-process test network, as seen from node `from`.
    Sim { net: Arc<SimNet>, from: NodeId },
}

pub struct Connection {
    /// Whether S005 was already reported for this peer (once is enough).
    warned: bool,
    net: Network,
    target: NodeId,
    addr: String,
    agent: ureq::Agent,
}

impl RaftNetworkFactory<Lexum> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> Connection {
        Connection {
            warned: false,
            net: self.clone(),
            target,
            addr: node.addr.clone(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(2)))
                .build()
                .into(),
        }
    }
}

impl Connection {
    async fn http<Req, Resp, E>(
        &mut self,
        path: &'static str,
        req: Req,
        ttl: Duration,
    ) -> Result<Resp, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>
    where
        Req: Serialize + Send + 'static,
        Resp: DeserializeOwned + Send + 'static,
        E: std::error::Error + DeserializeOwned + Send + 'static,
    {
        let Network::Http {
            identity,
            token,
            genesis,
        } = &self.net
        else {
            unreachable!("http() is only called on an HTTP network")
        };
        let genesis = genesis.get().to_string();
        let auth = token.as_ref().map(|t| format!("Bearer {t}"));
        let url = format!("http://{}/raft/{path}", self.addr);
        let agent = self.agent.clone();
        let identity = identity.to_string();
        let target = self.target;
        let call = tokio::task::spawn_blocking(move || {
            let mut builder = agent
                .post(&url)
                .header(IDENTITY_HEADER, &identity)
                .header(GENESIS_HEADER, &genesis);
            if let Some(auth) = &auth {
                builder = builder.header("authorization", auth);
            }
            let mut reply = builder
                .config()
                .timeout_global(Some(ttl))
                .build()
                .send_json(&req)
                .map_err(|e| (true, e.to_string()))?;
            let status = reply.status().as_u16();
            if status != 200 {
                let body = reply.body_mut().read_to_string().unwrap_or_default();
                return Err((false, format!("peer {target} answered {status}: {body}")));
            }
            reply
                .body_mut()
                .with_config()
                .limit(256 << 20)
                .read_json::<Result<Resp, RaftError<NodeId, E>>>()
                .map_err(|e| (false, e.to_string()))
        });
        match call.await {
            Err(e) => Err(RPCError::Network(NetworkError::new(&super::Failed(
                e.to_string(),
            )))),
            Ok(Err((true, e))) => Err(RPCError::Unreachable(Unreachable::new(&super::Failed(e)))),
            Ok(Err((false, e))) => {
                if e.contains("S005") && !self.warned {
                    self.warned = true;
                    eprintln!("lexum: {e}");
                }
                Err(RPCError::Network(NetworkError::new(&super::Failed(e))))
            }
            Ok(Ok(Ok(r))) => Ok(r),
            Ok(Ok(Err(e))) => Err(RPCError::RemoteError(RemoteError::new(self.target, e))),
        }
    }
}

impl RaftNetwork<Lexum> for Connection {
    async fn append_entries(
        &mut self,
        req: AppendEntriesRequest<Lexum>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        match &self.net {
            Network::Http { .. } => self.http("append", req, option.hard_ttl()).await,
            Network::Sim { net, from } => {
                let raft = net.deliver(*from, self.target).await?;
                raft.append_entries(req)
                    .await
                    .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
            }
        }
    }

    async fn install_snapshot(
        &mut self,
        req: InstallSnapshotRequest<Lexum>,
        option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, BasicNode, RaftError<NodeId, InstallSnapshotError>>,
    > {
        match &self.net {
            Network::Http { .. } => self.http("snapshot", req, option.hard_ttl()).await,
            Network::Sim { net, from } => {
                let raft = net.deliver(*from, self.target).await.map_err(|e| match e {
                    RPCError::Unreachable(u) => RPCError::Unreachable(u),
                    _ => RPCError::Network(NetworkError::new(&super::Failed("dropped".into()))),
                })?;
                raft.install_snapshot(req)
                    .await
                    .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
            }
        }
    }

    async fn vote(
        &mut self,
        req: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        match &self.net {
            Network::Http { .. } => self.http("vote", req, option.hard_ttl()).await,
            Network::Sim { net, from } => {
                let raft = net.deliver(*from, self.target).await?;
                raft.vote(req)
                    .await
                    .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
            }
        }
    }
}

/// An in-process network for tests: nodes register their Raft; messages
/// between two nodes are dropped while the pair is cut, dropped at random
/// with `drop_per_mille`, and delayed up to `max_delay_ms`, all drawn from
/// a seeded generator.
pub struct SimNet {
    nodes: Mutex<BTreeMap<NodeId, (Raft, super::Genesis)>>,
    faults: Mutex<Faults>,
}

struct Faults {
    rng: u64,
    drop_per_mille: u64,
    max_delay_ms: u64,
    cut: BTreeSet<(NodeId, NodeId)>,
}

impl SimNet {
    pub fn new(seed: u64) -> Arc<SimNet> {
        Arc::new(SimNet {
            nodes: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(Faults {
                rng: seed ^ 0x9E37_79B9_7F4A_7C15,
                drop_per_mille: 0,
                max_delay_ms: 0,
                cut: BTreeSet::new(),
            }),
        })
    }

    pub fn register(&self, id: NodeId, raft: Raft, genesis: super::Genesis) {
        self.nodes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, (raft, genesis));
    }

    /// A killed node receives nothing.
    pub fn unregister(&self, id: NodeId) {
        self.nodes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Random losses and delays from now on.
    pub fn set_noise(&self, drop_per_mille: u64, max_delay_ms: u64) {
        let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        f.drop_per_mille = drop_per_mille;
        f.max_delay_ms = max_delay_ms;
    }

    /// Cuts every link between `side` and the other nodes (both ways).
    pub fn partition(&self, side: &[NodeId], all: &[NodeId]) {
        let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        for a in side {
            for b in all.iter().filter(|b| !side.contains(b)) {
                f.cut.insert((*a, *b));
                f.cut.insert((*b, *a));
            }
        }
    }

    pub fn heal(&self) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cut
            .clear();
    }

    /// Decides a message's fate; `Ok` with the target once it may arrive.
    async fn deliver(
        &self,
        from: NodeId,
        to: NodeId,
    ) -> Result<Raft, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        let (lost, delay) = {
            let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            let r = splitmix(&mut f.rng);
            let lost = f.cut.contains(&(from, to)) || r % 1000 < f.drop_per_mille;
            let delay = if f.max_delay_ms > 0 {
                (r >> 20) % (f.max_delay_ms + 1)
            } else {
                0
            };
            (lost, delay)
        };
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        // A node whose run began with another program refuses messages,
        // as over HTTP (S005).
        let target = {
            let nodes = self.nodes.lock().unwrap_or_else(|e| e.into_inner());
            match (nodes.get(&from), nodes.get(&to)) {
                (Some(a), Some(b)) if a.1.get() == b.1.get() => Some(b.0.clone()),
                _ => None,
            }
        };
        match (lost, target) {
            (false, Some(raft)) => Ok(raft),
            _ => Err(RPCError::Unreachable(Unreachable::new(&super::Failed(
                format!("the message from {from} to {to} was lost"),
            )))),
        }
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
