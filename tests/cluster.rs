//! Three-node clusters in one process under a faulty network (issue 14):
//! random losses and delays, partitions of one node, and the leader's
//! machine lost (only what it had synced survives) and restarted. Each
//! schedule is drawn from a seed; a failure names its seed, and
//! `LEXUM_CLUSTER_SEEDS=S` reruns just that one.
//!
//! After every schedule: every acknowledged message is applied exactly
//! once on every node (the count and the sum of distinct arguments), and
//! all nodes have the same cycle and run hash.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lexum::journal::run::SyncPolicy;
use lexum::journal::{MemStorage, Storage};
use lexum::runtime::settings::EffectsMode;
use lexum::runtime::Settings;
use lexum::serve::cluster::network::{Network, SimNet};
use lexum::serve::cluster::types::Raft;
use lexum::serve::cluster::{self, Membership};
use lexum::serve::engine::{self, Request};
use serde_json::{json, Value as Json};
use tokio::sync::oneshot;

/// Messages count and sum; a goal provisions a node (an effect call, which
/// fails one time in ten and is retried) for every four messages, and
/// another works 5,000 cycles per message, so messages arrive while the
/// run is busy (an input's cycle must be the same on every node).
const PROGRAM: &str = r#"
effect cloud.create_node(size: Str) -> Int

domain Ledger priority normal retry 3 {
  state count: Int = 0
  state total: Int = 0
  state made: Int = 0
  state ids: Int = 0
  state work: Int = 0

  on hit(n: Int) { count += 1  total += n }

  goal busy: work >= count * 5000
    repair { work += 1 }

  goal provisioned: made * 4 >= count
    repair {
      let id = cloud.create_node("m5.large")
      made += 1
      ids += id
    }
}
"#;

fn settings() -> Settings {
    Settings {
        max_cycles: u64::MAX,
        oscillation_detection: true,
        effects: EffectsMode::Sim,
        seed: 7,
        fail_per_million: 100_000,
        max_queue: lexum::runtime::DEFAULT_MAX_QUEUE,
        live: true,
    }
}

struct Node {
    id: u64,
    running: Option<(engine::Handle, Raft)>,
    journal: MemStorage,
    log: MemStorage,
}

struct Cluster {
    nodes: Vec<Node>,
    net: Arc<SimNet>,
    tokio: tokio::runtime::Runtime,
    /// Each node's program text (the same, unless a test says otherwise).
    sources: Vec<String>,
    /// Raft entries between snapshots.
    snapshot_logs: u64,
    /// How many times each effect call id reached a real binding, on any
    /// node.
    calls: Arc<std::sync::Mutex<BTreeMap<u64, u32>>>,
    cut: Arc<std::sync::Mutex<Option<Cut>>>,
    /// Which nodes start with `--upgrade`.
    upgrade: [bool; 3],
}

/// The simulator, counting the calls that reach it.
struct Counting {
    inner: Box<dyn lexum::Effects>,
    calls: Arc<std::sync::Mutex<BTreeMap<u64, u32>>>,
    cut: Arc<std::sync::Mutex<Option<Cut>>>,
}

/// A test's hook: at the next call that reaches a binding, wait, then cut
/// `node` off (the followers are then inside the same call, waiting for
/// its result from the log).
struct Cut {
    node: u64,
    net: Arc<SimNet>,
}

impl lexum::Effects for Counting {
    fn call(
        &mut self,
        call_id: u64,
        effect: &lexum::ir::Effect,
        args: &[lexum::Value],
    ) -> Result<lexum::Value, lexum::EffectError> {
        *self.calls.lock().unwrap().entry(call_id).or_default() += 1;
        if let Some(cut) = self.cut.lock().unwrap().take() {
            std::thread::sleep(Duration::from_millis(300));
            cut.net.partition(&[cut.node], &[1, 2, 3]);
        }
        self.inner.call(call_id, effect, args)
    }
}

fn peers() -> BTreeMap<u64, String> {
    (1..=3).map(|i| (i, format!("node-{i}"))).collect()
}

impl Cluster {
    fn new(seed: u64) -> Cluster {
        Cluster::with_sources(seed, vec![PROGRAM.to_string(); 3])
    }

    fn with_sources(seed: u64, sources: Vec<String>) -> Cluster {
        Cluster::configured(seed, sources, 20)
    }

    fn configured(seed: u64, sources: Vec<String>, snapshot_logs: u64) -> Cluster {
        let mut c = Cluster::unstarted(seed, sources, snapshot_logs);
        for i in 0..3 {
            c.start(i);
        }
        c
    }

    fn unstarted(seed: u64, sources: Vec<String>, snapshot_logs: u64) -> Cluster {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Cluster {
            nodes: (1..=3)
                .map(|id| Node {
                    id,
                    running: None,
                    journal: MemStorage::new(),
                    log: MemStorage::new(),
                })
                .collect(),
            net: SimNet::new(seed),
            tokio,
            sources,
            snapshot_logs,
            calls: Default::default(),
            cut: Default::default(),
            upgrade: [false; 3],
        }
    }

    fn start(&mut self, i: usize) {
        let node = &self.nodes[i];
        let config = engine::Config {
            storage: Arc::new(node.journal.clone()),
            source: self.sources[i].clone(),
            settings: settings(),
            policy: SyncPolicy::Always,
            tick_ms: 10,
            keys: 10_000,
            snapshot_every: 20_000,
            upgrade: self.upgrade[i],
            cluster: true,
        };
        let log: Arc<dyn Storage> = Arc::new(node.log.clone());
        let genesis = cluster::Genesis::open(log.clone(), &self.sources[i]).unwrap();
        let member = Membership {
            node_id: node.id,
            peers: peers(),
            storage: log,
            network: Network::Sim {
                net: self.net.clone(),
                from: node.id,
            },
            snapshot_logs: self.snapshot_logs,
            genesis,
        };
        let (calls, cut) = (self.calls.clone(), self.cut.clone());
        let bind = Box::new(move || -> Box<dyn lexum::Effects> {
            Box::new(Counting {
                inner: settings().binding(),
                calls,
                cut,
            })
        });
        let program = Arc::new(lexum::check_source(&self.sources[i]).program.unwrap());
        let running = cluster::start_node(config, program, bind, member, &self.tokio).unwrap();
        self.nodes[i].running = Some(running);
    }

    /// The machine of node `i` loses power: nothing it says arrives any
    /// more, and only what it had synced survives.
    fn kill(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        self.net.unregister(node.id);
        node.journal = node.journal.power_off();
        node.log = node.log.power_off();
        if let Some((h, raft)) = node.running.take() {
            let _ = self.tokio.block_on(raft.shutdown());
            let _ = h.requests.send(Request::Shutdown);
            let _ = h.thread.join();
        }
    }

    fn status(&self, i: usize) -> Option<Json> {
        self.status_within(i, Duration::from_secs(5))
    }

    fn status_within(&self, i: usize, wait: Duration) -> Option<Json> {
        let (h, _) = self.nodes[i].running.as_ref()?;
        let (tx, rx) = oneshot::channel();
        h.requests.send(Request::Status { reply: tx }).ok()?;
        self.tokio
            .block_on(async { tokio::time::timeout(wait, rx).await })
            .ok()?
            .ok()
    }

    fn state(&self, i: usize) -> Option<Json> {
        let (h, _) = self.nodes[i].running.as_ref()?;
        let (tx, rx) = oneshot::channel();
        h.requests
            .send(Request::State {
                domain: None,
                reply: tx,
            })
            .ok()?;
        self.answer(rx).flatten()
    }

    /// A node's answer, unless it takes over 5 s (a node inside a cycle
    /// that waits for the log answers reads only once the cycle ends).
    fn answer<T>(&self, rx: oneshot::Receiver<T>) -> Option<T> {
        self.tokio
            .block_on(async { tokio::time::timeout(Duration::from_secs(5), rx).await })
            .ok()?
            .ok()
    }

    /// Which node its own Raft says leads (the highest term wins).
    fn leader(&self) -> Option<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let (_, raft) = n.running.as_ref()?;
                let m = raft.metrics().borrow().clone();
                (m.state == openraft::ServerState::Leader).then_some((m.current_term, i))
            })
            .max()
            .map(|(_, i)| i)
    }

    /// Sends until some node acknowledges (or the deadline passes).
    fn send(&self, n: i64, key: &str, deadline: Instant) -> engine::Ack {
        self.send_to("Ledger.hit", n, key, deadline)
    }

    fn send_to(&self, to: &str, n: i64, key: &str, deadline: Instant) -> engine::Ack {
        loop {
            assert!(
                Instant::now() < deadline,
                "message {n} was never acknowledged"
            );
            let Some(i) = self.leader() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            let Some((h, _)) = self.nodes[i].running.as_ref() else {
                continue;
            };
            let (tx, rx) = oneshot::channel();
            let sent = h.requests.send(Request::Send {
                to: to.into(),
                args: vec![serde_json::json!(n)],
                key: Some(key.to_string()),
                reply: tx,
            });
            if sent.is_ok() {
                let t = Instant::now();
                match self.answer(rx) {
                    Some(Ok(ack)) => return ack,
                    other => trace(format_args!(
                        "message {n} to node {}: {:?} after {:.3} s",
                        i + 1,
                        other.map(|r| r.map_err(|e| e.0.message)),
                        t.elapsed().as_secs_f64()
                    )),
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(mut self) {
        for i in 0..3 {
            if let Some((h, raft)) = self.nodes[i].running.take() {
                let _ = self.tokio.block_on(raft.shutdown());
                let _ = h.requests.send(Request::Shutdown);
                let _ = h.thread.join();
            }
        }
        self.tokio.shutdown_timeout(Duration::from_secs(1));
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One seeded schedule; panics (naming the seed) when an invariant breaks.
fn schedule(seed: u64, messages: i64) {
    let mut rng = seed;
    let mut c = Cluster::new(seed);
    c.net.set_noise(20, 5);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut acked = BTreeMap::new();
    let mut down: Option<(usize, i64)> = None;
    let mut cut_until: Option<i64> = None;
    for n in 1..=messages {
        // The faults, drawn before each message.
        match splitmix(&mut rng) % 12 {
            0 if down.is_none() && cut_until.is_none() => {
                if let Some(l) = c.leader() {
                    trace(format_args!("seed {seed} msg {n}: kill node {}", l + 1));
                    c.kill(l);
                    trace(format_args!("seed {seed}: killed"));
                    down = Some((l, n + 3 + (splitmix(&mut rng) % 5) as i64));
                }
            }
            1 if cut_until.is_none() && down.is_none() => {
                let lone = splitmix(&mut rng) % 3 + 1;
                trace(format_args!("seed {seed} msg {n}: cut node {lone} off"));
                c.net.partition(&[lone], &[1, 2, 3]);
                cut_until = Some(n + 2 + (splitmix(&mut rng) % 4) as i64);
            }
            _ => {}
        }
        if let Some((i, at)) = down {
            if n >= at {
                trace(format_args!("seed {seed} msg {n}: restart node {}", i + 1));
                c.start(i);
                down = None;
            }
        }
        if cut_until.is_some_and(|at| n >= at) {
            c.net.heal();
            cut_until = None;
        }
        trace(format_args!("seed {seed}: send {n}"));
        let key = format!("m{n}");
        let ack = c.send(n, &key, deadline);
        acked.insert(key, ack.seq);
        // No node runs a cycle the log has not allowed (an input must
        // land on the same cycle everywhere, and nothing is ever undone).
        for i in 0..3 {
            // A node busy with a proposal answers later; it is checked
            // after another message.
            if let Some(s) = c.status_within(i, Duration::from_millis(200)) {
                let (cycle, position) = (&s["cycle"], &s["cluster"]["position"]);
                if let (Some(cycle), Some(position)) = (cycle.as_u64(), position.as_u64()) {
                    assert!(
                        cycle <= position,
                        "seed {seed}: node {} ran to cycle {cycle}, past the log's bound {position}",
                        i + 1
                    );
                }
            }
        }
    }
    if let Some((i, _)) = down {
        c.start(i);
    }
    c.net.heal();
    c.net.set_noise(0, 0);
    // Every node reaches the same place.
    let expected_total: i64 = (1..=messages).sum();
    let settle = Instant::now() + Duration::from_secs(30);
    loop {
        let states: Vec<Json> = (0..3).filter_map(|i| c.state(i)).collect();
        let statuses: Vec<Json> = (0..3).filter_map(|i| c.status(i)).collect();
        let same = statuses.len() == 3
            && states.len() == 3
            && statuses.iter().all(|s| {
                s["run_hash"] == statuses[0]["run_hash"]
                    && s["cycle"] == statuses[0]["cycle"]
                    && s["state"] == "idle"
            })
            && states
                .iter()
                .all(|s| s["Ledger.count"] == messages && s["Ledger.total"] == expected_total);
        if same {
            break;
        }
        if Instant::now() > settle {
            panic!(
                "seed {seed}: the nodes did not agree\nstates: {states:#?}\nstatuses: {statuses:#?}"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(acked.len() as i64, messages, "seed {seed}");
    let seqs: std::collections::BTreeSet<u64> = acked.values().copied().collect();
    assert_eq!(
        seqs.len() as i64,
        messages,
        "seed {seed}: two keys share a sequence number"
    );
    let hash = c.status(0).unwrap()["run_hash"].clone();
    let journals: Vec<MemStorage> = c.nodes.iter().map(|n| n.journal.clone()).collect();
    c.stop();
    // Every node's own journal re-executes to the cluster's run hash.
    for (i, j) in journals.into_iter().enumerate() {
        let v = lexum::serve::verify::verify(Arc::new(j))
            .unwrap_or_else(|d| panic!("seed {seed}: node {}'s journal: {d:?}", i + 1));
        assert_eq!(json!(v.run_hash), hash, "seed {seed}: node {}", i + 1);
    }
}

/// With `LEXUM_CLUSTER_TRACE=1`: what the schedule does, as it does it.
fn trace(what: std::fmt::Arguments) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    if std::env::var_os("LEXUM_CLUSTER_TRACE").is_some() {
        eprintln!("{:8.3} {what}", start.elapsed().as_secs_f64());
    }
}

fn seeds() -> Vec<u64> {
    match std::env::var("LEXUM_CLUSTER_SEEDS") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) => (1..=6).collect(),
    }
}

#[test]
fn seeded_faults_lose_no_acknowledged_message() {
    for seed in seeds() {
        let t = Instant::now();
        schedule(seed, 30);
        eprintln!("seed {seed}: ok in {:.1} s", t.elapsed().as_secs_f64());
    }
}

/// Waits until some node halts with `code`; its status.
fn halted_with(c: &Cluster, code: &str, deadline: Instant) -> Json {
    loop {
        let all: Vec<Json> = (0..3).filter_map(|i| c.status(i)).collect();
        if let Some(s) = all.iter().find(|s| s["code"] == code) {
            return s.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no node halted with {code}: {all:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A node started with another program file is refused by the others
/// (its run began elsewhere): it never leads, applies nothing, and the
/// two others go on. Given the cluster's genesis (a copy of a peer's
/// `raft-genesis`, as when replacing a lost node) but still the wrong
/// file, it receives the log and halts at the first `Advance` with S005,
/// naming both programs.
#[test]
fn a_node_with_another_program_is_refused_with_s005() {
    let other = PROGRAM.replace("total += n", "total += n + 1");
    let mut c = Cluster::unstarted(99, vec![PROGRAM.into(), PROGRAM.into(), other], 1_000_000);
    for i in 0..3 {
        c.start(i);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for n in 1..=3 {
        c.send(n, &format!("d{n}"), deadline);
        assert_ne!(c.leader(), Some(2), "the node with another program leads");
    }
    wait_for_count(&c, &[0, 1], 3, deadline);
    let s = c.status(2).unwrap();
    assert_eq!(
        (s["inputs"].as_u64(), &s["code"]),
        (Some(0), &Json::Null),
        "{s}"
    );
    c.kill(2);
    c.nodes[2].journal = MemStorage::new();
    c.nodes[2].log = MemStorage::new();
    let genesis = lexum::trace::sha256_hex(PROGRAM.as_bytes());
    c.nodes[2]
        .log
        .replace("raft-genesis", genesis.as_bytes())
        .unwrap();
    c.start(2);
    for n in 4..=6 {
        c.send(n, &format!("d{n}"), deadline);
    }
    let halted = halted_with(&c, "S005", deadline);
    assert_eq!(halted["cluster"]["node"], 3, "{halted}");
    assert_eq!(halted["state"], "halted", "{halted}");
    let report = halted["report"].as_str().unwrap();
    assert!(
        report.contains("at cycle") && report.contains("sha256"),
        "{report}"
    );
    wait_for_count(&c, &[0, 1], 6, deadline);
    c.kill(0);
    c.kill(1);
    c.kill(2);
}

/// Waits until all three nodes are idle at the same cycle and run hash,
/// each having applied messages 1..=`count` once; that run hash.
fn all_agree(c: &Cluster, count: i64, deadline: Instant) -> String {
    let total: i64 = (1..=count).sum();
    loop {
        let st: Vec<Json> = (0..3).filter_map(|i| c.status(i)).collect();
        let states: Vec<Json> = (0..3).filter_map(|i| c.state(i)).collect();
        if st.len() == 3
            && st.iter().all(|s| {
                s["state"] == "idle"
                    && s["run_hash"] == st[0]["run_hash"]
                    && s["cycle"] == st[0]["cycle"]
            })
            && states
                .iter()
                .all(|s| s["Ledger.count"] == count && s["Ledger.total"] == total)
        {
            return st[0]["run_hash"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "a node did not catch up: {st:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the given nodes have applied `count` messages.
fn wait_for_count(c: &Cluster, nodes: &[usize], count: i64, deadline: Instant) {
    loop {
        let states: Vec<Json> = nodes.iter().filter_map(|i| c.state(*i)).collect();
        if states.len() == nodes.len() && states.iter().all(|s| s["Ledger.count"] == count) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not {count} messages: {states:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A run that diverges with the same program (here: a node started on
/// the journal of another run, which took a message the cluster never
/// had) is caught by the run hash in the log's `Advance` entries: S006,
/// naming the cycle.
#[test]
fn a_diverging_node_halts_with_s006() {
    let mut c = Cluster::unstarted(98, vec![PROGRAM.to_string(); 3], 1_000_000);
    // Node 3's journal: a single server's run that took one message.
    {
        let config = engine::Config {
            storage: Arc::new(c.nodes[2].journal.clone()),
            source: PROGRAM.into(),
            settings: settings(),
            policy: SyncPolicy::Always,
            tick_ms: 10,
            keys: 10_000,
            snapshot_every: 20_000,
            upgrade: false,
            cluster: false,
        };
        let program = Arc::new(lexum::check_source(PROGRAM).program.unwrap());
        let h = engine::start(config, program, Box::new(|| settings().binding())).unwrap();
        let (tx, rx) = oneshot::channel();
        h.requests
            .send(Request::Send {
                to: "Ledger.hit".into(),
                args: vec![serde_json::json!(1000)],
                key: None,
                reply: tx,
            })
            .unwrap();
        assert!(c.answer(rx).unwrap().is_ok());
        h.requests.send(Request::Shutdown).unwrap();
        h.thread.join().unwrap().unwrap();
    }
    // The two others first, so node 3 (behind their log) cannot lead.
    c.start(0);
    c.start(1);
    let deadline = Instant::now() + Duration::from_secs(30);
    for n in 1..=3 {
        c.send(n, &format!("d{n}"), deadline);
    }
    c.start(2);
    for n in 4..=6 {
        c.send(n, &format!("d{n}"), deadline);
    }
    let halted = halted_with(&c, "S006", deadline);
    assert_eq!(halted["cluster"]["node"], 3, "{halted}");
    assert_eq!(halted["state"], "halted", "{halted}");
    let report = halted["report"].as_str().unwrap();
    assert!(report.contains("at cycle"), "{report}");
    c.kill(0);
    c.kill(1);
    c.kill(2);
}

/// The upgraded program: one more variable, and messages count double.
fn upgraded() -> String {
    PROGRAM
        .replace(
            "state work: Int = 0",
            "state work: Int = 0\n  state version: Int = 2",
        )
        .replace("count += 1  total += n", "count += 1  total += 2 * n")
        .replace("on hit(", "on mark(v: Int) { version = v }\n\n  on hit(")
}

/// An upgrade goes through the log: a node restarted with a new program
/// and `--upgrade` asks to lead, then proposes it; every node switches at
/// the same cycle and input. Nodes restarted later need the new program
/// (the old one is refused), and every node's journal verifies.
#[test]
fn an_upgrade_goes_through_the_log() {
    let mut c = Cluster::new(21);
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 1..=5 {
        c.send(n, &format!("u{n}"), deadline);
    }
    // A follower, so the upgrade needs it to ask for an election.
    let up = (0..3).find(|i| Some(*i) != c.leader()).unwrap();
    c.kill(up);
    c.sources[up] = upgraded();
    c.upgrade[up] = true;
    c.start(up);
    let states = loop {
        let states: Vec<Json> = (0..3).filter_map(|i| c.state(i)).collect();
        if states.len() == 3 && states.iter().all(|s| s["Ledger.version"] == 2) {
            break states;
        }
        assert!(Instant::now() < deadline, "not upgraded: {states:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(states.iter().all(|s| s["Ledger.count"] == 5), "{states:#?}");
    for n in 6..=10 {
        c.send(n, &format!("u{n}"), deadline);
    }
    // A handler only the new program has: every node takes it, whatever
    // file it was started with.
    c.send_to("Ledger.mark", 7, "mark", deadline);
    let total: i64 = (1..=5).sum::<i64>() + 2 * (6..=10).sum::<i64>();
    let hash = loop {
        let st: Vec<Json> = (0..3).filter_map(|i| c.status(i)).collect();
        let states: Vec<Json> = (0..3).filter_map(|i| c.state(i)).collect();
        if st.len() == 3
            && st.iter().all(|s| {
                s["state"] == "idle" && s["run_hash"] == st[0]["run_hash"] && s["code"].is_null()
            })
            && states.iter().all(|s| {
                s["Ledger.count"] == 10 && s["Ledger.total"] == total && s["Ledger.version"] == 7
            })
        {
            break st[0]["run_hash"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no agreement: {st:#?} {states:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Another node restarted with the old program is refused; with the
    // new one (and no flag) it starts.
    let other = (0..3).find(|i| *i != up).unwrap();
    c.kill(other);
    c.upgrade[other] = false;
    let node = &c.nodes[other];
    let old = engine::start(
        engine::Config {
            storage: Arc::new(node.journal.clone()),
            source: PROGRAM.into(),
            settings: settings(),
            policy: SyncPolicy::Always,
            tick_ms: 10,
            keys: 10_000,
            snapshot_every: 20_000,
            upgrade: false,
            cluster: true,
        },
        Arc::new(lexum::check_source(PROGRAM).program.unwrap()),
        Box::new(|| settings().binding()),
    );
    let refused = old.err().expect("the old program was accepted");
    assert!(
        refused[0].message.contains("another program"),
        "{:?}",
        refused[0]
    );
    c.sources[other] = upgraded();
    c.start(other);
    let journals: Vec<MemStorage> = c.nodes.iter().map(|n| n.journal.clone()).collect();
    c.stop();
    for (i, j) in journals.into_iter().enumerate() {
        let v = lexum::serve::verify::verify(Arc::new(j))
            .unwrap_or_else(|d| panic!("node {}'s journal: {d:?}", i + 1));
        assert_eq!(v.run_hash, hash, "node {}", i + 1);
    }
}

/// A node whose journal and Raft log are lost entirely rejoins from a
/// snapshot: the others have dropped the log it would need (a snapshot
/// every 20 entries keeps 2 before it). Its new journal replays, by
/// itself, to the cluster's run hash.
#[test]
fn a_node_that_lost_its_disk_rejoins_from_a_snapshot() {
    let mut c = Cluster::new(5);
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 1..=30 {
        c.send(n, &format!("a{n}"), deadline);
    }
    // Not the leader, so the writes go on without an election.
    let lost = (0..3).find(|i| Some(*i) != c.leader()).unwrap();
    c.kill(lost);
    c.nodes[lost].journal = MemStorage::new();
    c.nodes[lost].log = MemStorage::new();
    for n in 31..=60 {
        c.send(n, &format!("a{n}"), deadline);
    }
    c.start(lost);
    let hash = all_agree(&c, 60, deadline);
    // It did not get there by replaying the log from its start.
    let journal = c.nodes[lost].journal.clone();
    assert!(
        lexum::journal::snapshot::list(&journal)
            .iter()
            .any(|f| String::from_utf8_lossy(&journal.read(f).unwrap())
                .contains("\"installed_at\":")),
        "no installed snapshot in the rejoined node's journal"
    );
    c.stop();
    let verified =
        lexum::serve::verify::verify(Arc::new(journal)).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(verified.run_hash, hash);
}

/// A follower inside an effect call waits for the call's result from the
/// log. Cut off there while the others go on, it comes back to a log that
/// no longer holds that result: the snapshot that covers it ends the cycle
/// (unkept) and replaces the state. The node catches up, and its journal
/// verifies (this hung the node before: CI, seed 4).
#[test]
fn a_follower_waiting_for_a_purged_result_installs_the_snapshot() {
    let c = Cluster::new(11);
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 1..=4 {
        c.send(n, &format!("p{n}"), deadline);
    }
    let leader = c.leader().unwrap();
    let victim = (0..3).find(|i| *i != leader).unwrap();
    *c.cut.lock().unwrap() = Some(Cut {
        node: c.nodes[victim].id,
        net: c.net.clone(),
    });
    c.send(5, "p5", deadline);
    while c.cut.lock().unwrap().is_some() {
        assert!(Instant::now() < deadline, "no effect call was made");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Inside the call, the node answers nothing until the log does.
    assert!(
        c.status_within(victim, Duration::from_millis(500))
            .is_none(),
        "the cut-off node is not waiting inside the effect call"
    );
    for n in 6..=40 {
        c.send(n, &format!("p{n}"), deadline);
    }
    c.net.heal();
    let hash = all_agree(&c, 40, deadline);
    let journal = c.nodes[victim].journal.clone();
    c.stop();
    let verified =
        lexum::serve::verify::verify(Arc::new(journal)).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(verified.run_hash, hash);
}

/// Only the leader calls effects, once per call id: without faults, every
/// call the run made reached a real binding exactly once in the cluster.
#[test]
fn effects_are_called_once_by_the_leader_only() {
    let c = Cluster::configured(3, vec![PROGRAM.to_string(); 3], 1_000_000);
    let deadline = Instant::now() + Duration::from_secs(30);
    for n in 1..=20 {
        c.send(n, &format!("e{n}"), deadline);
    }
    let made = loop {
        let states: Vec<Json> = (0..3).filter_map(|i| c.state(i)).collect();
        if states.len() == 3 && states.iter().all(|s| s["Ledger.made"] == 5) {
            break states;
        }
        assert!(Instant::now() < deadline, "not provisioned: {states:#?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(made[0]["Ledger.ids"], made[2]["Ledger.ids"]);
    let calls = c.calls.lock().unwrap().clone();
    // Five nodes made, some calls failed and were retried (new call ids).
    assert!(calls.len() >= 5, "{calls:?}");
    assert!(
        calls.values().all(|n| *n == 1),
        "a call reached a binding twice: {calls:?}"
    );
    let ids: Vec<u64> = calls.keys().copied().collect();
    assert_eq!(ids, (ids[0]..ids[0] + ids.len() as u64).collect::<Vec<_>>());
    c.stop();
}
