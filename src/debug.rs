//! The debugger's view of a trace: `lexum` implements the `lexum-tui` crate's
//! narrow `TraceView` over a loaded trace. Everything a jump needs is indexed
//! once at load: states (every 256th kept, see `trace::history`), when each
//! event was enqueued (for the mailbox), and when each goal changed.

use std::cell::RefCell;
use std::collections::BTreeMap;

use lexum_tui::view::{CycleInfo, GoalInfo, GoalState, Kind, Mark, QueueItem, Summary, TraceView};

use crate::check::check_source;
use crate::ir::{self, Priority};
use crate::runtime::compile::Compiled;
use crate::runtime::machine::Interp;
use crate::runtime::{sim, Options, Runtime};
use crate::trace::format::CycleJson;
use crate::trace::history::{History, State};
use crate::trace::load::{Loaded, TraceError};
use crate::trace::replay::event_text;
use crate::value::json::from_json;

pub struct DebugView {
    title: String,
    loaded: Loaded,
    history: History,
    summary: Summary,
    marks: Vec<Mark>,
    vars: Vec<String>,
    /// Per cycle (index n - 1): the cycle its event was enqueued at.
    enqueued: Vec<usize>,
    /// The longest any event waited, in cycles: bounds the mailbox scan.
    max_wait: usize,
    initial_goals: Vec<bool>,
    /// Per goal: (cycle, holds) at each change.
    goal_changes: Vec<Vec<(usize, bool)>>,
    /// (cycle, goal id) of each yield.
    yields: Vec<(usize, usize)>,
    series: RefCell<BTreeMap<usize, Vec<(usize, i64)>>>,
}

fn text(j: &serde_json::Value) -> String {
    from_json(j)
        .map(|v| v.to_string())
        .unwrap_or_else(|| j.to_string())
}

impl DebugView {
    pub fn new(title: String, loaded: Loaded) -> Result<DebugView, TraceError> {
        let history = History::build(&loaded.trace).map_err(|c| {
            TraceError::new(
                crate::codes::Code::T004,
                format!("cycle {c} writes an unknown variable or an unreadable value"),
            )
        })?;
        let trace = &loaded.trace;
        let program = &loaded.program;
        let n = trace.cycles.len();
        // When each event was enqueued: its cause, or for a retry its failed attempt.
        let mut last_failed: BTreeMap<(Option<u32>, Option<u32>, String, u32), usize> =
            BTreeMap::new();
        let mut enqueued = Vec::with_capacity(n);
        let mut open = vec![0i64; n + 2];
        let mut max_wait = 0;
        for c in &trace.cycles {
            let key = |retry: u32| {
                (
                    c.event.handler,
                    c.event.goal,
                    format!("{:?}", c.event.args),
                    retry,
                )
            };
            let at = if c.retry > 0 {
                last_failed
                    .get(&key(c.retry - 1))
                    .copied()
                    .unwrap_or(c.cause as usize)
            } else {
                c.cause as usize
            };
            if let Some(f) = &c.failure {
                if f.retried {
                    last_failed.insert(key(c.retry), c.cycle as usize);
                }
            }
            let at = at.min(c.cycle as usize);
            enqueued.push(at);
            max_wait = max_wait.max(c.cycle as usize - at);
            open[at] += 1;
            open[c.cycle as usize] -= 1;
        }
        let mut pending = open[0];
        let marks = trace
            .cycles
            .iter()
            .map(|c| {
                pending += open[c.cycle as usize];
                match (&c.failure, c.retry) {
                    (Some(_), _) => Mark::Failed,
                    (None, r) if r > 0 => Mark::Retried,
                    _ if pending == 0 => Mark::Quiescent,
                    _ => Mark::Committed,
                }
            })
            .collect();
        let mut goal_changes = vec![Vec::new(); program.goals.len()];
        for c in &trace.cycles {
            for (g, holds) in &c.goals {
                if let Some(v) = goal_changes.get_mut(*g as usize) {
                    v.push((c.cycle as usize, *holds));
                }
            }
        }
        let initial_goals = {
            let options = Options {
                max_cycles: 0,
                ..Options::default()
            };
            let mut rt = Runtime::new(program, options, Box::new(sim::Unbound));
            rt.goal_truths()
        };
        let r = &trace.result;
        let yields: Vec<(usize, usize)> = r
            .yields
            .iter()
            .filter_map(|y| {
                program
                    .goals
                    .iter()
                    .position(|g| g.qualified == y.goal)
                    .map(|g| (y.cycle as usize, g))
            })
            .collect();
        let summary = Summary {
            status: r.status.clone(),
            code: r.code.clone(),
            run_hash: r.run_hash.clone(),
            loop_start: r.loop_.as_ref().map(|l| l.start as usize),
            loop_period: r.loop_.as_ref().map(|l| l.period as usize),
            yields: r
                .yields
                .iter()
                .map(|y| (y.cycle as usize, format!("{} yielded to {}", y.goal, y.to)))
                .collect(),
        };
        Ok(DebugView {
            title,
            vars: program.vars.iter().map(|v| v.qualified.clone()).collect(),
            history,
            summary,
            marks,
            enqueued,
            max_wait,
            initial_goals,
            goal_changes,
            yields,
            series: RefCell::new(BTreeMap::new()),
            loaded,
        })
    }

    fn program(&self) -> &ir::Program {
        &self.loaded.program
    }

    fn record(&self, n: usize) -> Option<&CycleJson> {
        n.checked_sub(1)
            .and_then(|i| self.loaded.trace.cycles.get(i))
    }

    fn priority(&self, c: &CycleJson) -> Priority {
        let p = self.program();
        let domain = match (c.event.handler, c.event.goal) {
            (Some(h), _) => p.handlers.get(h as usize).map(|h| h.domain),
            (_, Some(g)) => p.goals.get(g as usize).map(|g| g.domain),
            _ => None,
        };
        domain
            .and_then(|d| p.domains.get(d as usize))
            .map(|d| d.priority)
            .unwrap_or(Priority::Normal)
    }

    /// The due tick of cycle `n`'s event, from its sender's record.
    fn due(&self, c: &CycleJson, enq: usize) -> u64 {
        let tick_after = |k: usize| self.record(k).map(|r| r.tick + 1).unwrap_or(0).max(0) as u64;
        match (c.event.handler, self.record(enq)) {
            (Some(h), Some(sender)) => sender
                .sends
                .iter()
                .find(|(sh, args, _)| *sh == h && Some(args) == c.event.args.as_ref())
                .map(|s| s.2)
                .unwrap_or_else(|| tick_after(enq)),
            _ => tick_after(enq),
        }
    }

    fn state_values(&self, n: usize) -> State {
        self.history.at(n.min(self.len())).unwrap_or_default()
    }

    fn eval_at(&self, code: &Compiled, state: &State, tick: i64) -> bool {
        let mut interp = Interp::new(state.iter().cloned().collect());
        interp.tick = tick;
        let mut nofx = sim::Unbound;
        code.goals
            .last()
            .is_some_and(|c| matches!(interp.condition(c, &mut nofx), Ok(true)))
    }

    fn tick_after(&self, n: usize) -> i64 {
        self.record(n)
            .map(|r| r.tick + if r.failure.is_some() { 0 } else { 1 })
            .unwrap_or(0)
    }
}

impl TraceView for DebugView {
    fn len(&self) -> usize {
        self.loaded.trace.cycles.len()
    }

    fn title(&self) -> &str {
        &self.title
    }

    fn source(&self) -> &str {
        &self.loaded.trace.program.source
    }

    fn summary(&self) -> &Summary {
        &self.summary
    }

    fn marks(&self) -> &[Mark] {
        &self.marks
    }

    fn cycle(&self, n: usize) -> Option<CycleInfo> {
        let c = self.record(n)?;
        let p = self.program();
        let (domain, name, kind, span) = match (c.event.handler, c.event.goal) {
            (Some(h), _) => {
                let h = p.handlers.get(h as usize)?;
                (
                    p.domains[h.domain as usize].name.clone(),
                    h.name.clone(),
                    Kind::Message,
                    Some(h.body.span),
                )
            }
            (_, Some(g)) => {
                let g = p.goals.get(g as usize)?;
                let span = g.repair.as_ref().map(|r| r.span);
                (
                    p.domains[g.domain as usize].name.clone(),
                    g.name.clone(),
                    Kind::Repair,
                    span,
                )
            }
            _ => return None,
        };
        Some(CycleInfo {
            cycle: n,
            tick: c.tick,
            event: event_text(c, p),
            domain,
            name,
            kind: Some(kind),
            cause: Some(c.cause as usize),
            retry: c.retry,
            failed: c.failure.as_ref().map(|f| f.m.clone()),
            writes: c
                .writes
                .iter()
                .map(|(v, old, new)| (*v as usize, text(old), text(new)))
                .collect(),
            sends: c
                .sends
                .iter()
                .map(|(h, args, due)| {
                    let name = p
                        .handlers
                        .get(*h as usize)
                        .map(|h| h.qualified.as_str())
                        .unwrap_or("?");
                    format!(
                        "{name}({}) due {due}",
                        args.iter().map(text).collect::<Vec<_>>().join(", ")
                    )
                })
                .collect(),
            span: span.map(|s| (s.start, s.end)),
        })
    }

    fn variables(&self) -> &[String] {
        &self.vars
    }

    fn state(&self, n: usize) -> Vec<String> {
        self.state_values(n).iter().map(|v| v.to_string()).collect()
    }

    fn queue(&self, n: usize) -> Vec<QueueItem> {
        let len = self.len();
        let end = len.min(n.saturating_add(self.max_wait));
        let mut items: Vec<(Priority, u64, usize, QueueItem)> = ((n + 1)..=end)
            .filter(|k| self.enqueued[k - 1] <= n)
            .filter_map(|k| {
                let c = self.record(k)?;
                let enq = self.enqueued[k - 1];
                let due = self.due(c, enq);
                let p = self.priority(c);
                Some((
                    p,
                    due,
                    k,
                    QueueItem {
                        priority: p.name().to_string(),
                        due,
                        event: event_text(c, self.program()),
                        cause: enq,
                    },
                ))
            })
            .collect();
        items.sort_by_key(|(p, due, k, _)| (*p, *due, *k));
        items.into_iter().map(|(.., i)| i).collect()
    }

    fn goals(&self, n: usize) -> Vec<GoalInfo> {
        self.program()
            .goals
            .iter()
            .enumerate()
            .map(|(g, goal)| {
                if let Some((c, _)) = self.yields.iter().find(|(c, y)| *y == g && *c <= n) {
                    return GoalInfo {
                        name: goal.qualified.clone(),
                        state: GoalState::Yielded,
                        since: *c,
                    };
                }
                let changes = &self.goal_changes[g];
                let i = changes.partition_point(|(c, _)| *c <= n);
                let (since, holds) = match i.checked_sub(1) {
                    Some(i) => changes[i],
                    None => (0, self.initial_goals.get(g).copied().unwrap_or(false)),
                };
                GoalInfo {
                    name: goal.qualified.clone(),
                    state: if holds {
                        GoalState::Holds
                    } else {
                        GoalState::False
                    },
                    since,
                }
            })
            .collect()
    }

    fn series(&self, var: usize) -> Vec<(usize, i64)> {
        if let Some(s) = self.series.borrow().get(&var) {
            return s.clone();
        }
        let s = self.history.series(var as u32);
        self.series.borrow_mut().insert(var, s.clone());
        s
    }

    fn find(&self, from: usize, forward: bool, expr: &str) -> Result<Option<usize>, String> {
        let src = format!(
            "{}\ndomain Breakpoint__ {{\n  goal holds: {expr}\n}}\n",
            self.source()
        );
        let checked = check_source(&src);
        let Some(program) = checked.program else {
            let first = checked
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(crate::diag::render::render_line)
                .unwrap_or_else(|| "the condition does not check".into());
            return Err(format!(
                "{first} (write a Bool condition over qualified state, e.g. `Cluster.nodes < 3`)"
            ));
        };
        if program.vars.len() != self.vars.len()
            || program.goals.len() != self.program().goals.len() + 1
        {
            return Err("the condition must be one expression".into());
        }
        let code = Compiled::new(&program, false);
        let len = self.len();
        if forward {
            let mut state = self.state_values(from);
            for k in from + 1..=len {
                for (v, val) in self.history.writes_of(k) {
                    if let Some(slot) = state.get_mut(*v as usize) {
                        *slot = val.clone();
                    }
                }
                if self.eval_at(&code, &state, self.tick_after(k)) {
                    return Ok(Some(k));
                }
            }
            Ok(None)
        } else {
            // Backwards a block at a time: each block's states are rebuilt forwards.
            let stride = History::STRIDE;
            let mut hi = from;
            while hi > 0 {
                let lo = (hi - 1) / stride * stride;
                let mut state = self.state_values(lo);
                let mut states: Vec<(usize, State)> = vec![(lo, state.clone())];
                for k in lo + 1..hi {
                    for (v, val) in self.history.writes_of(k) {
                        if let Some(slot) = state.get_mut(*v as usize) {
                            *slot = val.clone();
                        }
                    }
                    states.push((k, state.clone()));
                }
                for (k, s) in states.iter().rev() {
                    if self.eval_at(&code, s, self.tick_after(*k)) {
                        return Ok(Some(*k));
                    }
                }
                hi = lo;
            }
            Ok(None)
        }
    }
}
