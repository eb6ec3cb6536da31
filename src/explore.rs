//! `lexum explore`: the program's runs under every outcome the world can
//! choose (effect results and failures, input arrival orders and losses),
//! searched breadth-first on the real runtime.
//!
//! A node is a cycle boundary: a checkpoint, the inputs not yet delivered,
//! the failures spent. Its children are the inputs that may arrive now
//! (or be lost), and the next cycle run once per outcome of each effect call
//! it makes ([`choice`]). Configurations already seen are not explored again:
//! they are keyed by what E005's fingerprint holds, and a key match is
//! exact equality of the whole configuration (the map compares keys), never
//! a hash match. Breadth-first by cycles, so each counterexample found is a
//! shortest one; the frontier is split among `jobs` threads and merged in a
//! fixed order, so the result does not depend on `jobs`.
//!
//! A path that comes back to a configuration it already passed through is
//! followed for [`LAPS`] more laps, so that the runtime itself can prove the
//! loop (E005) or resolve it by a yield, exactly as a plain run would; a
//! loop that is still there after that (the detector is off once scheduled
//! inputs arrive, as in `lexum run --input`) is reported as E005 by the
//! exploration's own proof: the same configuration, compared exactly.

pub mod choice;
pub mod report;
pub mod story;
pub mod trace;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::codes::Code;
use crate::ir::{self, GoalId, HandlerId, Program};
use crate::runtime::queue::Args;
use crate::runtime::sim::Simulator;
use crate::runtime::{Checkpoint, Options, Outcome, Runtime};
use crate::value::Value;
use choice::{CallOutcome, Choice, Chooser, Script};

/// Laps a path may go around a loop before the exploration calls it one.
pub const LAPS: u8 = 2;

/// The most inputs an exploration takes (the undelivered ones are a bit set).
pub const MAX_INPUTS: usize = 64;

/// `until` for an input that may arrive at any time after `after`.
pub const ANY_TIME: u64 = u64::MAX;

/// An external input and when it may arrive: after any number of cycles
/// from `after` to `until` ([`ANY_TIME`]: no end), or at once if the run
/// has gone idle before.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub handler: HandlerId,
    pub args: Args,
    pub after: u64,
    pub until: u64,
}

/// What to explore, and the bounds.
#[derive(Clone, Debug)]
pub struct Spec {
    pub inputs: Vec<Arrival>,
    /// Inputs may also be lost.
    pub lossy: bool,
    /// The values tried for effects of types other than Bool, by effect name.
    pub effect_values: BTreeMap<String, Vec<Value>>,
    /// At most this many failed calls on one path (`None`: no limit).
    pub max_failures: Option<u32>,
    /// Cycles on one path.
    pub max_depth: Option<u64>,
    /// Distinct configurations.
    pub max_states: Option<u64>,
    /// Endings accepted besides convergence.
    pub allow: Vec<Code>,
    pub jobs: usize,
    /// The simulator's seed, for the values of effects none are given for.
    pub seed: u64,
    pub max_queue: u64,
    /// Keep each ending's final state in [`Report::finals`] (the property
    /// tests compare them with plain runs'; a large exploration would keep
    /// one state per ending).
    #[doc(hidden)]
    pub keep_finals: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            inputs: Vec::new(),
            lossy: false,
            effect_values: BTreeMap::new(),
            max_failures: None,
            max_depth: None,
            max_states: None,
            allow: Vec::new(),
            jobs: 1,
            seed: 0,
            max_queue: crate::runtime::DEFAULT_MAX_QUEUE,
            keep_finals: false,
        }
    }
}

/// How a path ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The runtime ended it.
    Run(Outcome),
    /// The path came back to the configuration of cycle `start` at cycle
    /// `at`, [`LAPS`] laps after the first time, and the runtime had not
    /// ended it (E005, proven by the exploration).
    Loop { start: u64, at: u64 },
}

impl Ending {
    /// `None` for convergence.
    pub fn code(&self) -> Option<Code> {
        match self {
            Ending::Run(o) => o.code(),
            Ending::Loop { .. } => Some(Code::E005),
        }
    }
}

/// A bad ending's shortest path.
#[derive(Clone, Debug)]
pub struct Found {
    pub ending: Ending,
    /// Cycles on the path.
    pub cycles: u64,
    pub choices: Vec<Choice>,
}

/// Why an exploration stopped before it was complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Depth(u64),
    States(u64),
}

/// What an exploration found. Nothing in it depends on time or threads.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Configurations expanded.
    pub explored: u64,
    /// Distinct configurations (keys kept).
    pub distinct: u64,
    /// Children dropped because their configuration was already seen.
    pub revisits: u64,
    /// Paths by ending: `converged`, or a code.
    pub endings: BTreeMap<String, u64>,
    /// The first (shortest) path to each bad ending code, in the order found.
    pub bad: Vec<Found>,
    /// On paths that ended well: each yield (`goal` gave way to `to`) and on
    /// how many of them it happened.
    pub yields: BTreeMap<(GoalId, GoalId), u64>,
    /// Paths that ended well.
    pub good: u64,
    /// The longest path explored, in cycles.
    pub deepest: u64,
    /// Set when a bound stopped the exploration.
    pub bound: Option<Bound>,
    /// With [`Spec::keep_finals`]: each ending (its label) with the state it
    /// ended in (none for a loop).
    pub finals: std::collections::BTreeSet<(String, Vec<Value>)>,
}

impl Report {
    /// 0: complete, every path ends well; 2: a bad ending is reachable; 4:
    /// stopped at a bound with no bad ending found.
    pub fn exit_code(&self) -> i32 {
        if !self.bad.is_empty() {
            2
        } else if self.bound.is_some() {
            4
        } else {
            0
        }
    }
}

/// The part of a configuration that decides the rest of every path from it
/// (E005's fingerprint at a cycle boundary, with what the exploration adds:
/// the state E007 would go back to,
/// the undelivered inputs, the failures spent, and the cycle count while an
/// input's window depends on it). Equality is exact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    state: Vec<Value>,
    /// The state E007 would end in, when it is not `state` (two paths that
    /// meet with different ones end differently).
    quiescent: Option<Vec<Value>>,
    queue: Vec<crate::runtime::QueuedConfig>,
    in_progress: Vec<u32>,
    yielded: Vec<bool>,
    next_effect: Option<u64>,
    tick: Option<i64>,
    idle: bool,
    pending: u64,
    failures: u32,
    cycle: u64,
}

/// What a node carries besides its checkpoint.
#[derive(Clone, Copy, Debug)]
struct Info {
    pending: u64,
    failures: u32,
}

/// A child found by expanding a node.
struct Child {
    choices: Vec<Choice>,
    cp: Checkpoint,
    info: Info,
    /// 1 when a cycle ran, 0 for an input's arrival or loss (or a step that
    /// ended the run without a cycle).
    cycles: u64,
    /// `Some` when the path ends here.
    ended: Option<Ending>,
    key: Option<Key>,
}

/// A node of the search tree (kept for the stories of counterexamples).
struct Node {
    parent: u32,
    choices: Vec<Choice>,
    depth: u64,
    /// Laps around a loop (see [`LAPS`]), and the node the first lap
    /// came back to.
    laps: u8,
    lap_start: u32,
}

const ROOT: u32 = u32::MAX;

/// One thread's runtime, reused for every node it expands.
struct Worker<'p> {
    rt: Runtime<'p>,
    script: Rc<RefCell<Script>>,
    spec: &'p Spec,
    /// Whether an effect's value comes from the simulator (then call ids
    /// decide values and belong in the key).
    sim_values: bool,
    horizon: u64,
}

impl<'p> Worker<'p> {
    fn new(program: &'p Program, spec: &'p Spec) -> Self {
        let script = Rc::new(RefCell::new(Script::default()));
        let fx = Chooser {
            script: script.clone(),
            given: Rc::new(spec.effect_values.clone()),
            sim: Simulator {
                seed: spec.seed,
                fail_per_million: 0,
            },
        };
        let options = Options {
            max_cycles: u64::MAX,
            max_queue: spec.max_queue,
            // A node is one cycle: no rewinds (the table is exact at once).
            table_limit: u64::MAX,
            ..Options::default()
        };
        let sim_values = program.effects.iter().any(|e| {
            e.ret != crate::types::Type::Bool && !spec.effect_values.contains_key(&e.name)
        });
        let mut rt = Runtime::new(program, options, Box::new(fx));
        // From here on nothing is hashed: the paths reported are recorded
        // again, with their hashes, by `trace::write`.
        let start = rt.checkpoint_unhashed();
        rt.restore_unhashed(&start);
        Worker {
            rt,
            script,
            spec,
            sim_values,
            // The cycle decides which windows are open only up to the last
            // window edge; past it, paths that meet are the same.
            horizon: spec
                .inputs
                .iter()
                .map(|a| a.after.max(if a.until == ANY_TIME { 0 } else { a.until }))
                .max()
                .unwrap_or(0),
        }
    }

    fn key(&self, info: Info) -> Key {
        let rt = &self.rt;
        Key {
            state: rt.interp.state.clone(),
            quiescent: (rt.run.quiescent != rt.interp.state).then(|| rt.run.quiescent.clone()),
            queue: rt.relative_queue(),
            in_progress: rt.run.in_progress.clone(),
            yielded: rt.run.yielded.clone(),
            next_effect: self.sim_values.then_some(rt.interp.next_effect_id),
            tick: rt.program.uses_tick.then_some(rt.interp.tick),
            idle: idle(rt.run.outcome.as_ref()),
            pending: info.pending,
            failures: if self.spec.max_failures.is_some() {
                info.failures
            } else {
                0
            },
            cycle: if info.pending != 0 {
                rt.run.cycle.min(self.horizon)
            } else {
                0
            },
        }
    }

    /// The child for the runtime as it is now.
    fn child(&mut self, choices: Vec<Choice>, info: Info, cycles: u64) -> Child {
        let ended = match self.rt.run.outcome.as_ref() {
            Some(o) if !(idle(Some(o)) && info.pending != 0) => Some(Ending::Run(o.clone())),
            _ => None,
        };
        let key = ended.is_none().then(|| self.key(info));
        Child {
            choices,
            cp: self.rt.checkpoint_unhashed(),
            info,
            cycles,
            ended,
            key,
        }
    }

    /// The children of the node at `cp`.
    fn expand(&mut self, cp: &Checkpoint, info: Info) -> Vec<Child> {
        let mut out = Vec::new();
        self.rt.restore_unhashed(cp);
        let cycle = self.rt.run.cycle;
        let is_idle = idle(self.rt.run.outcome.as_ref());
        let mut forced = false;
        for (i, a) in self.spec.inputs.iter().enumerate() {
            let bit = 1u64 << i;
            if info.pending & bit == 0 {
                continue;
            }
            forced |= a.until <= cycle;
            if !(is_idle || a.after <= cycle) {
                continue;
            }
            let rest = Info {
                pending: info.pending & !bit,
                ..info
            };
            self.rt.restore_unhashed(cp);
            self.rt.send_external(a.handler, a.args.clone());
            out.push(self.child(
                vec![Choice::Arrive {
                    input: i as u32,
                    cycle,
                }],
                rest,
                0,
            ));
            if self.spec.lossy {
                self.rt.restore_unhashed(cp);
                out.push(self.child(vec![Choice::Lose { input: i as u32 }], rest, 0));
            }
        }
        if is_idle || forced {
            return out;
        }
        // The next cycle, once per outcome of each call it makes.
        let mut scripts: Vec<Vec<Choice>> = vec![Vec::new()];
        while let Some(s) = scripts.pop() {
            self.rt.restore_unhashed(cp);
            self.script.borrow_mut().reset(&s);
            self.rt.step();
            let wanted = self.script.borrow_mut().wanted.take();
            let spent = info.failures + failures_in(&s);
            let Some(w) = wanted else {
                let info = Info {
                    failures: spent,
                    ..info
                };
                // Usually 1; 0 when the step ended the run without a cycle
                // (a proven repeat, a goal that failed).
                let ran = self.rt.run.cycle - cycle;
                out.push(self.child(s, info, ran));
                continue;
            };
            let can_fail = self.spec.max_failures.is_none_or(|k| spent < k);
            let alternatives = w.values.len() + usize::from(can_fail) > 1;
            let mut next: Vec<CallOutcome> =
                w.values.into_iter().map(CallOutcome::Returned).collect();
            if can_fail {
                next.push(CallOutcome::Failed);
            }
            // Pushed in reverse: children come out in the order tried.
            for outcome in next.into_iter().rev() {
                let mut t = s.clone();
                t.push(Choice::Call {
                    effect: w.effect.clone(),
                    call: w.call,
                    outcome,
                    alternatives,
                });
                scripts.push(t);
            }
        }
        out
    }
}

/// How many calls of a script fail.
fn failures_in(s: &[Choice]) -> u32 {
    s.iter()
        .filter(|c| {
            matches!(
                c,
                Choice::Call {
                    outcome: CallOutcome::Failed,
                    ..
                }
            )
        })
        .count() as u32
}

/// Converged or stuck: nothing would happen without an input.
fn idle(o: Option<&Outcome>) -> bool {
    matches!(o, Some(Outcome::Converged) | Some(Outcome::Stuck { .. }))
}

/// Expands nodes on `jobs` threads (the calling one included), each with
/// its own runtime; results come back in the order of the nodes.
struct Pool {
    senders: Vec<std::sync::mpsc::Sender<Vec<(Checkpoint, Info)>>>,
    receivers: Vec<std::sync::mpsc::Receiver<Vec<Vec<Child>>>>,
}

/// Below this many nodes a wave is expanded on the calling thread alone.
const PARALLEL_FROM: usize = 64;

/// Explores `program` from its initial state as `spec` says. `progress` is
/// called after each wave with the configurations explored so far and the
/// depth reached.
pub fn explore(program: &Program, spec: &Spec, progress: &mut dyn FnMut(u64, u64)) -> Report {
    explore_from(program, spec, None, progress)
}

/// [`explore`] from a checkpoint of a run of `program` (the REPL's
/// `:explore` starts from the session's current state).
pub fn explore_from(
    program: &Program,
    spec: &Spec,
    start: Option<&Checkpoint>,
    progress: &mut dyn FnMut(u64, u64),
) -> Report {
    let jobs = spec.jobs.max(1);
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut receivers = Vec::new();
        for _ in 1..jobs {
            let (tx, rx) = std::sync::mpsc::channel::<Vec<(Checkpoint, Info)>>();
            let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Vec<Child>>>();
            scope.spawn(move || {
                let mut w = Worker::new(program, spec);
                while let Ok(batch) = rx.recv() {
                    let out = batch.iter().map(|(cp, info)| w.expand(cp, *info)).collect();
                    if back_tx.send(out).is_err() {
                        break;
                    }
                }
            });
            senders.push(tx);
            receivers.push(back_rx);
        }
        let pool = Pool { senders, receivers };
        let mut worker = Worker::new(program, spec);
        if let Some(cp) = start {
            worker.rt.restore_unhashed(cp);
        }
        search(&mut worker, &pool, spec, progress)
        // Dropping the pool's senders ends the threads.
    })
}

impl Pool {
    fn expand_all(&self, w: &mut Worker<'_>, wave: &[(u32, Checkpoint, Info)]) -> Vec<Vec<Child>> {
        let n = self.senders.len() + 1;
        if n == 1 || wave.len() < PARALLEL_FROM {
            return wave
                .iter()
                .map(|(_, cp, info)| w.expand(cp, *info))
                .collect();
        }
        let chunk = wave.len().div_ceil(n);
        let mut parts = wave.chunks(chunk);
        let mine = parts.next().unwrap_or_default();
        let mut sent = 0;
        for (tx, part) in self.senders.iter().zip(parts) {
            let batch = part
                .iter()
                .map(|(_, cp, info)| (cp.clone(), *info))
                .collect();
            if tx.send(batch).is_ok() {
                sent += 1;
            }
        }
        let mut out: Vec<Vec<Child>> = mine
            .iter()
            .map(|(_, cp, info)| w.expand(cp, *info))
            .collect();
        for rx in self.receivers.iter().take(sent) {
            match rx.recv() {
                Ok(part) => out.extend(part),
                Err(_) => break,
            }
        }
        // A worker that died (it cannot: expansion does not panic) would
        // leave nodes unexpanded: expand them here instead.
        while out.len() < wave.len() {
            let (_, cp, info) = &wave[out.len()];
            out.push(w.expand(cp, *info));
        }
        out
    }
}

fn search(
    w: &mut Worker<'_>,
    pool: &Pool,
    spec: &Spec,
    progress: &mut dyn FnMut(u64, u64),
) -> Report {
    let mut report = Report::default();
    let mut nodes: Vec<Node> = Vec::new();
    // Values cache their content hash inside; that never changes what a
    // key hashes to or equals.
    #[allow(clippy::mutable_key_type)]
    let mut seen: HashMap<Key, u32> = HashMap::new();
    let all = if spec.inputs.len() >= MAX_INPUTS {
        u64::MAX
    } else {
        (1u64 << spec.inputs.len()) - 1
    };
    let info = Info {
        pending: all,
        failures: 0,
    };
    // The root: the initial configuration (E008 ends it at once).
    let root = w.child(Vec::new(), info, 0);
    let mut wave: Vec<(u32, Checkpoint, Info)> = Vec::new();
    let mut next: Vec<(u32, Checkpoint, Info)> = Vec::new();
    if let Some(e) = root.ended {
        end(
            &mut report,
            spec,
            &nodes,
            ROOT,
            Vec::new(),
            0,
            e,
            Some(&root.cp),
        );
        return report;
    }
    if let Some(k) = root.key {
        seen.insert(k, 0);
    }
    nodes.push(Node {
        parent: ROOT,
        choices: Vec::new(),
        depth: 0,
        laps: 0,
        lap_start: ROOT,
    });
    wave.push((0, root.cp, info));
    report.distinct = 1;
    // Children dropped because another path had reached their
    // configuration: (parent, the node reached, the choices, depth).
    let mut joins: Vec<(u32, u32, Vec<Choice>, u64)> = Vec::new();
    'search: loop {
        if wave.is_empty() {
            if next.is_empty() {
                break;
            }
            std::mem::swap(&mut wave, &mut next);
        }
        let depth = nodes[wave[0].0 as usize].depth;
        if spec.max_depth.is_some_and(|d| depth >= d) {
            // Nodes at the depth bound are not expanded; arrivals at the
            // same depth would be, but a bound is a bound.
            report.bound = Some(Bound::Depth(depth));
            wave.clear();
            next.clear();
            break;
        }
        report.deepest = report.deepest.max(depth);
        let expanded = pool.expand_all(w, &wave);
        report.explored += wave.len() as u64;
        let current = std::mem::take(&mut wave);
        for ((id, _, _), children) in current.into_iter().zip(expanded) {
            for c in children {
                let d = nodes[id as usize].depth + c.cycles;
                if let Some(e) = c.ended {
                    report.deepest = report.deepest.max(d);
                    end(&mut report, spec, &nodes, id, c.choices, d, e, Some(&c.cp));
                    continue;
                }
                let Some(key) = c.key else { continue };
                let (laps, lap_start) = match seen.get(&key) {
                    None => {
                        if spec.max_states.is_some_and(|m| report.distinct >= m) {
                            report.bound = Some(Bound::States(report.distinct));
                            break 'search;
                        }
                        seen.insert(key, nodes.len() as u32);
                        report.distinct += 1;
                        (0, ROOT)
                    }
                    Some(&a) => {
                        if !is_ancestor(&nodes, id, a) {
                            report.revisits += 1;
                            joins.push((id, a, c.choices, d));
                            continue;
                        }
                        let parent = &nodes[id as usize];
                        let (laps, start) = if parent.laps == 0 {
                            (1, a)
                        } else if a == parent.lap_start {
                            (parent.laps + 1, a)
                        } else {
                            (parent.laps, parent.lap_start)
                        };
                        if laps > LAPS {
                            let e = Ending::Loop {
                                start: nodes[a as usize].depth,
                                at: d,
                            };
                            report.deepest = report.deepest.max(d);
                            end(&mut report, spec, &nodes, id, c.choices, d, e, Some(&c.cp));
                            continue;
                        }
                        (laps, start)
                    }
                };
                report.deepest = report.deepest.max(d);
                let n = nodes.len() as u32;
                nodes.push(Node {
                    parent: id,
                    choices: c.choices,
                    depth: d,
                    laps,
                    lap_start,
                });
                if c.cycles == 0 {
                    wave.push((n, c.cp, c.info));
                } else {
                    next.push((n, c.cp, c.info));
                }
            }
        }
        progress(report.explored, depth);
    }
    if report.bound.is_none() {
        close_loops(&mut report, spec, &nodes, joins);
    }
    report
}

/// A path that meets a configuration explored from another path is not
/// followed, so a loop whose edges lie on different paths is closed by no
/// single one. When the search is complete, a cycle in the graph of
/// configurations (tree edges and those meetings) is a path that can go on
/// forever: reported as a loop (E005), unless one was already found.
fn close_loops(
    report: &mut Report,
    spec: &Spec,
    nodes: &[Node],
    joins: Vec<(u32, u32, Vec<Choice>, u64)>,
) {
    if report
        .bad
        .iter()
        .any(|f| f.ending.code() == Some(Code::E005))
        || joins.is_empty()
    {
        return;
    }
    let n = nodes.len();
    let mut out: Vec<Vec<(u32, Option<usize>)>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate().skip(1) {
        if node.parent != ROOT {
            out[node.parent as usize].push((i as u32, None));
        }
    }
    for (j, (from, to, _, _)) in joins.iter().enumerate() {
        out[*from as usize].push((*to, Some(j)));
    }
    // Iterative depth-first search: 1 on the stack, 2 done.
    let mut color = vec![0u8; n];
    let mut found = None;
    'dfs: for root in 0..n {
        if color[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        color[root] = 1;
        while let Some((u, k)) = stack.pop() {
            if let Some(&(v, join)) = out[u].get(k) {
                stack.push((u, k + 1));
                match color[v as usize] {
                    0 => {
                        color[v as usize] = 1;
                        stack.push((v as usize, 0));
                    }
                    1 => {
                        found = join;
                        if found.is_some() {
                            break 'dfs;
                        }
                    }
                    _ => {}
                }
            } else {
                color[u] = 2;
            }
        }
    }
    if let Some(j) = found {
        let (from, to, choices, at) = joins.into_iter().nth(j).unwrap_or_default();
        let e = Ending::Loop {
            start: nodes[to as usize].depth,
            at,
        };
        end(report, spec, nodes, from, choices, at, e, None);
    }
}

/// Whether node `a` is `id` or one of its ancestors (ancestors were made
/// before their descendants, so their numbers are smaller).
fn is_ancestor(nodes: &[Node], mut id: u32, a: u32) -> bool {
    while id != ROOT && id > a {
        id = nodes[id as usize].parent;
    }
    id == a
}

/// Records a path's ending.
#[allow(clippy::too_many_arguments)]
fn end(
    report: &mut Report,
    spec: &Spec,
    nodes: &[Node],
    parent: u32,
    last: Vec<Choice>,
    cycles: u64,
    ending: Ending,
    cp: Option<&Checkpoint>,
) {
    let code = ending.code();
    let label = code.map_or_else(|| "converged".to_string(), |c| c.to_string());
    if spec.keep_finals {
        let state = match cp {
            Some(cp) if code != Some(Code::E005) => cp.state.clone(),
            _ => Vec::new(),
        };
        report.finals.insert((label.clone(), state));
    }
    *report.endings.entry(label).or_default() += 1;
    let good = code.is_none_or(|c| spec.allow.contains(&c));
    if good {
        report.good += 1;
        for y in cp.iter().flat_map(|cp| &cp.run.yields) {
            *report.yields.entry((y.goal, y.to)).or_default() += 1;
        }
        return;
    }
    if report.bad.iter().any(|f| f.ending.code() == code) {
        return;
    }
    let mut chain = Vec::new();
    let mut id = parent;
    while id != ROOT {
        let n = &nodes[id as usize];
        chain.push(&n.choices);
        id = n.parent;
    }
    let mut choices: Vec<Choice> = chain.into_iter().rev().flatten().cloned().collect();
    choices.extend(last);
    report.bad.push(Found {
        ending,
        cycles,
        choices,
    });
}

/// Parses `NAME=V1,V2,...` (values in the trace's JSON encoding) into the
/// values to try for effect `NAME` (`--effect-values`, `:explore`).
pub fn parse_effect_values(program: &Program, arg: &str) -> Result<(String, Vec<Value>), String> {
    let (name, list) = arg
        .split_once('=')
        .ok_or_else(|| format!("--effect-values takes NAME=V1,V2,..., found `{arg}`"))?;
    let effect = program
        .effects
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| format!("--effect-values: the program declares no effect `{name}`"))?;
    let json: Vec<serde_json::Value> = serde_json::from_str(&format!("[{list}]"))
        .map_err(|e| format!("--effect-values {name}: not a list of JSON values ({e})"))?;
    if json.is_empty() {
        return Err(format!("--effect-values {name}: give at least one value"));
    }
    let mut values: Vec<Value> = Vec::new();
    for j in &json {
        let v = crate::value::json::from_json(j)
            .filter(|v| v.fits(&effect.ret))
            .ok_or_else(|| {
                format!(
                    "--effect-values {name}: `{j}` is not a value of type {}",
                    effect.ret
                )
            })?;
        if !values.contains(&v) {
            values.push(v);
        }
    }
    Ok((name.to_string(), values))
}

/// Parses an ending code `--allow` accepts.
pub fn parse_allow(arg: &str) -> Result<Code, String> {
    match arg {
        "E005" => Ok(Code::E005),
        "E006" => Ok(Code::E006),
        "E007" => Ok(Code::E007),
        "E008" => Ok(Code::E008),
        "E009" => Ok(Code::E009),
        _ => Err(format!(
            "--allow takes E005, E006, E007, E008 or E009, found `{arg}`"
        )),
    }
}

/// Parses the flags `lexum explore` and `:explore` share (`--lossy`,
/// `--effect-values`, `--max-failures`, `--max-depth`, `--max-states`,
/// `--allow`, `--jobs`, `--seed`) from words, into `spec`.
pub fn parse_flags(program: &Program, words: &[&str], spec: &mut Spec) -> Result<(), String> {
    let mut i = 0;
    while i < words.len() {
        let flag = words[i];
        if flag == "--lossy" {
            spec.lossy = true;
            i += 1;
            continue;
        }
        let value = words
            .get(i + 1)
            .ok_or_else(|| format!("`{flag}` takes a value"))?;
        let number = || -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|_| format!("`{flag}` takes a number, found `{value}`"))
        };
        match flag {
            "--effect-values" => {
                let (name, values) = parse_effect_values(program, value)?;
                spec.effect_values.insert(name, values);
            }
            "--max-failures" => {
                spec.max_failures = Some(
                    u32::try_from(number()?)
                        .map_err(|_| format!("`{flag}` takes a number up to {}", u32::MAX))?,
                )
            }
            "--max-depth" => spec.max_depth = Some(number()?),
            "--max-states" => spec.max_states = Some(number()?).filter(|n| *n != 0),
            "--allow" => spec.allow.push(parse_allow(value)?),
            "--jobs" => {
                spec.jobs = usize::try_from(number()?)
                    .ok()
                    .filter(|j| (1..=MAX_JOBS).contains(j))
                    .ok_or_else(|| format!("--jobs must be from 1 to {MAX_JOBS}"))?
            }
            "--seed" => spec.seed = number()?,
            _ => return Err(format!("unknown flag `{flag}`")),
        }
        i += 2;
    }
    Ok(())
}

/// The most threads an exploration takes.
pub const MAX_JOBS: usize = 256;

/// An input's description for stories: `Domain.handler(args)`.
pub fn input_label(program: &Program, a: &Arrival) -> String {
    let h: &ir::Handler = &program.handlers[a.handler as usize];
    let args: Vec<String> = a.args.iter().map(|v| v.to_string()).collect();
    format!("{}({})", h.qualified, args.join(", "))
}
