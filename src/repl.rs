//! The REPL's session: the program typed so far, a runtime over it, and the
//! external inputs that drove it. Every command is `Session::eval(line)`,
//! which returns the text to print; the front end (`lexum repl`) only reads
//! lines. Time travel re-executes from the start of the current epoch: a run
//! is a pure function of its program and inputs, so going back is exact.

use std::cell::RefCell;
use std::rc::Rc;

use crate::check::{check_expression, check_source};
use crate::codes::Code;
use crate::diag::render::render_text;
use crate::diag::{render::render_line, Diagnostic};
use crate::ir::{HandlerId, Program, VarId};
use crate::runtime::compile::compile_expr;
use crate::runtime::drive::Flow;
use crate::runtime::machine::Interp;
use crate::runtime::observe::{CycleRecord, Observer};
use crate::runtime::queue::{Args, EventKind};
use crate::runtime::{report, sim, Options, Outcome, Runtime, Yield};
use crate::syntax;
use crate::value::Value;

/// One line per executed cycle, for `:step` and `:why`.
#[derive(Clone, Debug)]
struct Step {
    text: String,
    cause: u64,
    repair_goal: Option<String>,
}

/// What the current branch did: `cycles[n - 1]` is cycle n. Re-executing a
/// stretch of the branch (after going back) rewrites identical entries, so
/// time travel never has to drop or rebuild the log.
#[derive(Default)]
struct Log {
    cycles: Vec<Step>,
    /// (cycle before which it happened, text).
    yields: Vec<(u64, String)>,
}

impl Log {
    /// Forgets everything after cycle `n` (a new branch starts there).
    fn cut(&mut self, n: u64) {
        self.cycles.truncate(n as usize);
        self.yields.retain(|(c, _)| *c <= n);
    }
}

struct Recorder {
    log: Rc<RefCell<Log>>,
    program: &'static Program,
}

impl Observer for Recorder {
    fn cycle(&mut self, r: &CycleRecord<'_>, _: Option<&str>) {
        let p = self.program;
        let event = describe(p, &r.event.kind);
        let mut text = format!("cycle {}: {event}", r.cycle);
        match r.failure {
            Some(f) => text.push_str(&format!(
                " failed ({}){}",
                f.kind,
                if r.retried { ", will retry" } else { "" }
            )),
            None => {
                let writes: Vec<String> = r
                    .writes
                    .iter()
                    .map(|w| format!("{} = {}", p.vars[w.var as usize].qualified, w.new))
                    .collect();
                if writes.is_empty() {
                    text.push_str(" committed");
                } else {
                    text.push_str(&format!(" committed; wrote {}", writes.join(", ")));
                }
                if !r.sends.is_empty() {
                    text.push_str(&format!("; sent {}", r.sends.len()));
                }
            }
        }
        let repair_goal = match r.event.kind {
            EventKind::Repair { goal } => Some(p.goals[goal as usize].qualified.clone()),
            _ => None,
        };
        let step = Step {
            text,
            cause: r.event.cause,
            repair_goal,
        };
        let mut log = self.log.borrow_mut();
        let i = r.cycle as usize - 1;
        if i < log.cycles.len() {
            log.cycles[i] = step;
        } else {
            log.cycles.push(step);
        }
    }

    fn rewound(&mut self, to: u64) {
        self.log.borrow_mut().cut(to);
    }

    fn yielded(&mut self, y: &Yield) {
        let p = self.program;
        let text = format!(
            "yield: {} yielded to {} at cycle {}",
            p.goals[y.goal as usize].qualified, p.goals[y.to as usize].qualified, y.cycle
        );
        let mut log = self.log.borrow_mut();
        if !log.yields.iter().any(|(c, t)| *c == y.cycle && *t == text) {
            log.yields.push((y.cycle, text));
        }
    }
}

/// How the session names an effect declaration: `effect cloud.create_node`.
fn effect_decl_name(e: &crate::syntax::ast::EffectDecl) -> String {
    let path: Vec<&str> = e.name.node.iter().map(|i| i.node.as_str()).collect();
    format!("effect {}", path.join("."))
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// One error line for the transcript, rendered where every diagnostic is.
fn error_line(code: Code, message: impl Into<String>) -> String {
    let mut line = render_line(&Diagnostic::plain(code, message));
    line.push('\n');
    line
}

fn describe(p: &Program, kind: &EventKind) -> String {
    kind.describe(p)
}

/// A declaration typed at the prompt: its name and text.
#[derive(Clone)]
struct Decl {
    name: String,
    text: String,
}

pub struct Session {
    decls: Vec<Decl>,
    source: String,
    /// `source` parsed, kept so expressions are checked without re-parsing.
    ast: crate::syntax::ast::Program,
    program: &'static Program,
    rt: Runtime<'static>,
    log: Rc<RefCell<Log>>,
    /// Values the current epoch started from (carried over a redeclaration).
    start: Vec<(VarId, Value)>,
    /// External messages: (cycle after which it was sent, handler, args).
    inputs: Vec<(u64, HandlerId, Args)>,
    /// The furthest cycle executed on this branch.
    head: u64,
    /// Checkpoints of this branch every [`CHECKPOINT_EVERY`] cycles (or
    /// further apart, with a long queue), with the log's length at that
    /// point: going back restores the nearest one and re-executes the rest.
    /// (How many of `inputs` were delivered is the runtime's own count.)
    checkpoints: Vec<(crate::runtime::Checkpoint, usize)>,
    /// Whether reports may use colour.
    pub color: bool,
    /// Whether a terminal is attached (`:debug` needs one).
    pub interactive: bool,
    /// Called with the cycle every 65,536 cycles of a long `:run` or `:step`
    /// (the terminal front end shows a progress line).
    pub progress: Option<Box<dyn FnMut(u64)>>,
}

fn leak(p: Program) -> &'static Program {
    // The REPL keeps every program version for the session's life: a few
    // kilobytes per declaration typed, in exchange for runtimes that borrow.
    Box::leak(Box::new(p))
}

fn empty_program() -> Program {
    check_source("").program.unwrap_or_else(|| Program {
        domains: Vec::new(),
        vars: Vec::new(),
        goals: Vec::new(),
        invariants: Vec::new(),
        handlers: Vec::new(),
        effects: Vec::new(),
        uses_tick: false,
    })
}

use crate::runtime::drive::CHECKPOINT_EVERY;

/// The most queued events the REPL's checkpoints hold copies of together.
pub const CHECKPOINT_EVENTS: usize = 2_000_000;

/// Each checkpoint copies the queue (values are shared, events are not):
/// past [`CHECKPOINT_EVENTS`] queued events over all checkpoints, every other
/// one is dropped (cycle 0 stays), so a runaway queue costs longer
/// re-execution when travelling back, not memory.
fn thin(checkpoints: &mut Vec<(crate::runtime::Checkpoint, usize)>) {
    let events = |c: &[(crate::runtime::Checkpoint, usize)]| -> usize {
        c.iter().map(|(k, _)| k.queued()).sum()
    };
    while checkpoints.len() > 2 && events(checkpoints) > CHECKPOINT_EVENTS {
        let kept = std::mem::take(checkpoints);
        *checkpoints = kept.into_iter().step_by(2).collect();
    }
}

pub const HELP: &[(&str, &str)] = &[
    (":step [n]", "run n cycles (default 1), printing each"),
    (
        ":run [max]",
        "run to the end (or max cycles) and print the report",
    ),
    (":back [n]", "go back n cycles (default 1)"),
    (":goto N", "go to cycle N of this branch"),
    (":state [D]", "every variable (or domain D's)"),
    (":queue", "the pending events, in scheduling order"),
    (":goals", "every goal: holds, false or yielded"),
    (":why N", "the causal chain of cycle N"),
    (":hash", "the run hash so far"),
    (
        ":explore [flags]",
        "every outcome of the effects from here (lexum explore's flags: --max-depth N, --max-failures K, --effect-values NAME=V,..., --allow CODE); the session does not move",
    ),
    (
        ":trace save FILE",
        "save the session so far as a trace (for lexum replay and lexum debug)",
    ),
    (
        ":debug",
        "open the time-travel debugger at the current cycle; q comes back here",
    ),
    (
        ":load FILE",
        "replace the program with FILE's, from its initial state",
    ),
    (":reset", "restart the program from its initial state"),
    (":help [cmd]", "this list, or one command"),
    (":quit", "leave (Ctrl-D too)"),
    (
        "domain D { ... }",
        "declare or replace a domain (values of unchanged variables are kept)",
    ),
    (
        "effect e(..) -> T",
        "declare an effect (bound to the simulator)",
    ),
    ("send D.msg(args)", "queue an external message"),
    (
        "EXPR",
        "evaluate a pure expression, e.g. `Cluster.nodes * 2`",
    ),
];

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    pub fn new() -> Session {
        let program = leak(empty_program());
        let log = Rc::new(RefCell::new(Log::default()));
        let rt = Self::runtime(program, &[], log.clone());
        Session {
            decls: Vec::new(),
            source: String::new(),
            ast: Default::default(),
            program,
            rt,
            log,
            start: Vec::new(),
            inputs: Vec::new(),
            head: 0,
            checkpoints: Vec::new(),
            color: false,
            interactive: false,
            progress: None,
        }
        .started()
    }

    fn started(mut self) -> Session {
        self.restart();
        self
    }

    fn runtime(
        program: &'static Program,
        start: &[(VarId, Value)],
        log: Rc<RefCell<Log>>,
    ) -> Runtime<'static> {
        let options = Options {
            max_cycles: u64::MAX,
            ..Options::default()
        };
        let fx = Box::new(sim::Simulator {
            seed: 0,
            fail_per_million: 0,
        });
        let mut rt = Runtime::with_initial(program, options, fx, start);
        rt.observe(Box::new(Recorder { log, program }));
        rt
    }

    /// The names completion offers: domains, handlers, variables, goals.
    pub fn names(&self) -> Vec<String> {
        let p = self.program;
        let mut v: Vec<String> = p.domains.iter().map(|d| d.name.clone()).collect();
        v.extend(p.vars.iter().map(|x| x.qualified.clone()));
        v.extend(p.handlers.iter().map(|x| x.qualified.clone()));
        v.extend(p.goals.iter().map(|x| x.qualified.clone()));
        v
    }

    pub fn cycle(&self) -> u64 {
        self.rt.run.cycle
    }

    /// Rebuilds the runtime at cycle `n` of this branch by re-executing.
    /// Travels to cycle `n` of this branch: from the nearest checkpoint at or
    /// before it (or the epoch's start), re-executing the rest.
    fn rebuild(&mut self, n: u64) {
        let from = self
            .checkpoints
            .iter()
            .rev()
            .find(|(c, ..)| c.cycle() <= n)
            .cloned();
        let going_forward = n >= self.rt.run.cycle && self.rt.run.outcome.is_none();
        match from {
            _ if going_forward
                && from
                    .as_ref()
                    .is_none_or(|(c, ..)| c.cycle() <= self.rt.run.cycle) => {}
            Some((c, _)) => self.rt.restore(&c),
            None => self.rt = Self::runtime(self.program, &self.start, self.log.clone()),
        }
        self.advance(n);
    }

    /// A new epoch: the run starts at cycle 0 from `start` (values carried
    /// over), with no inputs and no history.
    fn new_epoch(&mut self, start: Vec<(VarId, Value)>) {
        self.start = start;
        self.inputs.clear();
        self.head = 0;
        self.restart();
    }

    /// Starts the epoch over: a fresh runtime at cycle 0.
    fn restart(&mut self) {
        *self.log.borrow_mut() = Log::default();
        self.rt = Self::runtime(self.program, &self.start, self.log.clone());
        // Cycle 0 is always a checkpoint: every jump restores this runtime
        // (whose fingerprint table spans the branch) rather than a fresh one.
        let cp = self.rt.checkpoint();
        self.checkpoints = vec![(cp, 0)];
        self.advance(0);
    }

    /// Runs forward to cycle `n` (or the end) with the one driver,
    /// delivering this branch's inputs on time and checkpointing every
    /// [`CHECKPOINT_EVERY`] cycles (further apart with a long queue).
    fn advance(&mut self, n: u64) {
        let Session {
            rt,
            inputs,
            checkpoints,
            log,
            progress,
            ..
        } = self;
        rt.drive(inputs, n, |rt| {
            let c = rt.run.cycle;
            // A run rewound by the oscillation detector: checkpoints of
            // its look-ahead are not on this branch.
            if checkpoints.last().is_some_and(|(k, ..)| k.cycle() > c) {
                checkpoints.retain(|(k, ..)| k.cycle() <= c);
            }
            if c.is_multiple_of(1 << 16) {
                if let Some(p) = progress.as_mut() {
                    p(c);
                }
            }
            // A checkpoint copies the queue: with a long queue they are
            // spaced further apart, so copying costs O(1) per cycle.
            let every = CHECKPOINT_EVERY.max(rt.queue().len() as u64 / 8);
            if c.is_multiple_of(CHECKPOINT_EVERY)
                && checkpoints
                    .last()
                    .is_none_or(|(k, ..)| k.cycle() + every <= c)
            {
                let log_len = log.borrow().cycles.len();
                checkpoints.push((rt.checkpoint(), log_len));
                thin(checkpoints);
            }
            Flow::Continue
        });
        self.head = self.head.max(self.rt.run.cycle);
    }

    /// Evaluates one complete input; returns what to print.
    pub fn eval(&mut self, input: &str) -> String {
        let line = input.trim();
        if line.is_empty() {
            return String::new();
        }
        if let Some(cmd) = line.strip_prefix(':') {
            return self.command(cmd.trim());
        }
        let first = line.split_whitespace().next().unwrap_or("");
        match first {
            "domain" | "effect" => self.declare(line),
            "send" => self.send(line["send".len()..].trim()),
            _ => self.expression(line),
        }
    }

    fn report(&self, diags: &[crate::diag::Diagnostic], src: &str) -> String {
        render_text(diags, "<repl>", src, self.color)
    }

    fn declare(&mut self, text: &str) -> String {
        let (ast, diags) = syntax::parse(text);
        if !diags.is_empty() {
            return self.report(&diags, text);
        }
        let Some(ast) = ast else {
            return "error: nothing declared\n".into();
        };
        let mut names: Vec<String> = ast.domains.iter().map(|d| d.name.node.clone()).collect();
        names.extend(ast.effects.iter().map(effect_decl_name));
        if names.len() != 1 {
            return "error: declare one domain or effect at a time\n".into();
        }
        let name = names.remove(0);
        let mut decls = self.decls.clone();
        let replaced = match decls.iter_mut().find(|d| d.name == name) {
            Some(d) => {
                d.text = text.to_string();
                true
            }
            None => {
                decls.push(Decl {
                    name: name.clone(),
                    text: text.to_string(),
                });
                false
            }
        };
        let source: String = decls.iter().map(|d| format!("{}\n", d.text)).collect();
        let checked = check_source(&source);
        let Some(program) = checked.program else {
            return format!(
                "{}(nothing changed)\n",
                self.report(&checked.diagnostics, &source)
            );
        };
        let mut out = self.report(&checked.diagnostics, &source);
        // Carry values over: same qualified name and type.
        let old = self.program;
        let mut start = Vec::new();
        let mut reset = Vec::new();
        for (v, var) in program.vars.iter().enumerate() {
            match old
                .vars
                .iter()
                .position(|o| o.qualified == var.qualified && o.ty == var.ty)
            {
                Some(o) => start.push((v as VarId, self.rt.interp.state[o].clone())),
                None => reset.push(var.qualified.clone()),
            }
        }
        // A declaration whose initial values fail is rejected whole: no
        // placeholder may ever reach the state (or a trace's `initial`).
        {
            let options = Options {
                max_cycles: 0,
                ..Options::default()
            };
            let trial = Runtime::with_initial(&program, options, Box::new(sim::Unbound), &start);
            if let (
                Some(v),
                Some(Outcome::InitialState {
                    failure: Some(f), ..
                }),
            ) = (trial.undefined_from, &trial.run.outcome)
            {
                out.push_str(&error_line(
                    Code::E008,
                    format!(
                        "the initial value of `{}` fails: {}",
                        program.vars[v].qualified, f.kind
                    ),
                ));
                out.push_str("(nothing changed)\n");
                return out;
            }
        }
        let pending = self.rt.queue().len();
        self.decls = decls;
        self.ast = syntax::parse(&source).0.unwrap_or_default();
        self.source = source;
        self.program = leak(program);
        self.new_epoch(start);
        let kind = if replaced { "replaced" } else { "defined" };
        out.push_str(&format!("{kind} {name}"));
        if !name.starts_with("effect") {
            let d = self.program.domains.iter().find(|d| d.name == name);
            if let Some(d) = d {
                out.push_str(&format!(
                    " ({}, {}, {})",
                    plural(d.vars.len(), "variable"),
                    plural(d.goals.len(), "goal"),
                    plural(d.handlers.len(), "handler")
                ));
            }
        }
        out.push('\n');
        if replaced || !reset.is_empty() {
            let fresh: Vec<&String> = reset
                .iter()
                .filter(|r| r.starts_with(&format!("{name}.")))
                .collect();
            if replaced && !fresh.is_empty() {
                out.push_str(&format!(
                    "reset to their initial values: {}\n",
                    fresh
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if pending > 0 {
            out.push_str(&format!("{pending} pending events dropped; the run restarts at cycle 0 from the current values\n"));
        } else if self.decls.len() > 1 {
            out.push_str("the run restarts at cycle 0 from the current values\n");
        }
        if let Some(o) = &self.rt.run.outcome {
            if let Some(code) = o.code() {
                out.push_str(&format!("note: the new program cannot start: {code}\n"));
            }
        }
        out
    }

    /// Parses and checks a pure expression, evaluating it on the current state.
    fn value_of(&mut self, text: &str) -> Result<Value, String> {
        let (e, diags) = syntax::parse_expr(text);
        if !diags.is_empty() {
            return Err(self.report(&diags, text));
        }
        let Some(e) = e else {
            return Err("error: not an expression\n".into());
        };
        self.evaluate(&e, text).map(|(v, _)| v)
    }

    /// Checks a parsed expression against the program and evaluates it on
    /// the current state; `text` is the input its spans point into.
    fn evaluate(
        &self,
        e: &crate::syntax::ast::Expr,
        text: &str,
    ) -> Result<(Value, crate::types::Type), String> {
        let (checked, diags) = check_expression(&self.ast, e);
        let Some((ir, ty)) = checked else {
            return Err(self.report(&diags, text));
        };
        let f = compile_expr(self.program, &ir);
        let mut interp = Interp::new(self.rt.interp.state.clone());
        interp.tick = self.rt.interp.tick;
        let mut nofx = sim::Unbound;
        interp
            .value(&f, &mut nofx)
            .map(|v| (v, ty))
            .map_err(|f| format!("error: {}\n", f.kind))
    }

    fn expression(&mut self, text: &str) -> String {
        match self.value_of(text) {
            Ok(v) => format!("{v}\n"),
            Err(e) => e,
        }
    }

    fn send(&mut self, text: &str) -> String {
        let (e, diags) = syntax::parse_expr(text);
        if !diags.is_empty() {
            return self.report(&diags, text);
        }
        let Some(crate::syntax::span::Spanned {
            node: crate::syntax::ast::ExprKind::Call(path, args),
            ..
        }) = e
        else {
            return error_line(Code::E001, "write `send Domain.handler(args)`");
        };
        let names: Vec<&str> = path.iter().map(|i| i.node.as_str()).collect();
        let qualified = names.join(".");
        let Some(h) = self
            .program
            .handlers
            .iter()
            .position(|h| h.qualified == qualified)
        else {
            let known: Vec<&str> = self
                .program
                .handlers
                .iter()
                .map(|h| h.qualified.as_str())
                .collect();
            return error_line(
                Code::E002,
                format!(
                    "no handler `{qualified}` (handlers: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        };
        let params = self.program.handlers[h].params.clone();
        if params.len() != args.len() {
            return error_line(
                Code::E002,
                format!(
                    "`{qualified}` takes {} arguments, found {}",
                    params.len(),
                    args.len()
                ),
            );
        }
        let mut vals = Args::new();
        for (a, (pname, pty)) in args.iter().zip(&params) {
            match self.evaluate(a, text) {
                Ok((_, ty)) if !ty.fits(pty) => {
                    return error_line(
                        Code::E002,
                        format!("argument `{pname}` must be {pty}, found {ty}"),
                    );
                }
                Ok((v, _)) => vals.push(v),
                Err(e) => return e,
            }
        }
        let branch = self.rt.run.cycle < self.head;
        let mut out = String::new();
        if branch {
            out.push_str(&format!(
                "new branch from cycle {}: cycles {}..{} of the old branch are discarded\n",
                self.rt.run.cycle,
                self.rt.run.cycle + 1,
                self.head
            ));
            let at = self.rt.run.cycle;
            self.inputs.truncate(self.rt.run.inputs_delivered as usize);
            self.log.borrow_mut().cut(at);
            self.checkpoints.retain(|(c, ..)| c.cycle() <= at);
            self.head = at;
        }
        let shown = describe(
            self.program,
            &EventKind::Message {
                handler: h as HandlerId,
                args: vals.clone(),
            },
        );
        self.inputs.insert(
            self.rt.run.inputs_delivered as usize,
            (self.rt.run.cycle, h as HandlerId, vals.clone()),
        );
        self.rt.send_external(h as HandlerId, vals);
        out.push_str(&format!(
            "queued {shown} after cycle {}\n",
            self.rt.run.cycle
        ));
        out
    }

    /// The log of cycles `from + 1 ..= to`, with the yields among them.
    fn steps_between(&self, from: u64, to: u64) -> String {
        let log = self.log.borrow();
        let mut out = String::new();
        for n in from + 1..=to {
            for (_, y) in log.yields.iter().filter(|(c, _)| *c == n) {
                out.push_str(y);
                out.push('\n');
            }
            if let Some(s) = log.cycles.get(n as usize - 1) {
                out.push_str(&s.text);
                out.push('\n');
            }
        }
        out
    }

    fn step(&mut self, n: u64) -> String {
        let before = self.rt.run.cycle;
        let target = self.rt.run.cycle.saturating_add(n);
        self.advance(target);
        let mut out = self.steps_between(before, self.rt.run.cycle);
        if let Some(o) = &self.rt.run.outcome {
            out.push_str(&self.ending(o.clone()));
        }
        out
    }

    fn ending(&mut self, o: Outcome) -> String {
        match o {
            Outcome::Converged => "converged: nothing pending, every goal holds\n".into(),
            other => {
                let mut text = report::text(&mut self.rt, self.program, &other);
                text.truncate(text.find('\n').map(|i| i + 1).unwrap_or(text.len()));
                text
            }
        }
    }

    /// `:explore`: `lexum explore` from the session's current state; the
    /// session itself stays where it is.
    fn explore(&mut self, arg: &str) -> String {
        let words: Vec<&str> = arg.split_whitespace().collect();
        let mut spec = crate::explore::Spec::default();
        if let Err(why) = crate::explore::parse_flags(self.program, &words, &mut spec) {
            return error_line(Code::L002, format!(":explore: {why}"));
        }
        let start = self.rt.checkpoint();
        let report =
            crate::explore::explore_from(self.program, &spec, Some(&start), &mut |_, _| {});
        crate::explore::report::text(
            self.program,
            &spec,
            &format!("from cycle {}", self.rt.run.cycle),
            &report,
            &[],
        )
    }

    fn command(&mut self, cmd: &str) -> String {
        let (name, arg) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
        let arg = arg.trim();
        let number = |default: u64| -> Result<u64, String> {
            if arg.is_empty() {
                Ok(default)
            } else {
                arg.parse::<u64>().map_err(|_| {
                    error_line(
                        Code::L002,
                        format!("`:{name}` takes a number, found `{arg}`"),
                    )
                })
            }
        };
        match name {
            "step" | "s" => match number(1) {
                Ok(n) => self.step(n),
                Err(e) => e,
            },
            "run" | "r" => match number(1_000_000) {
                Ok(max) => {
                    let target = self.rt.run.cycle.saturating_add(max);
                    self.advance(target);
                    match self.rt.run.outcome.clone() {
                        Some(o) => report::text(&mut self.rt, self.program, &o),
                        None => format!("stopped after {max} cycles at cycle {} (not finished)\n", self.rt.run.cycle),
                    }
                }
                Err(e) => e,
            },
            "back" | "b" => match number(1) {
                Ok(n) => {
                    let to = self.rt.run.cycle.saturating_sub(n);
                    self.rebuild(to);
                    format!("at cycle {to} (of {})\n", self.head)
                }
                Err(e) => e,
            },
            "goto" | "g" => match number(0) {
                Ok(n) if n <= self.head => {
                    self.rebuild(n);
                    format!("at cycle {n} (of {})\n", self.head)
                }
                Ok(n) => format!("error: no cycle {n} on this branch yet: cycles 0 to {}; use :step or :run to go further\n", self.head),
                Err(e) => e,
            },
            "state" => {
                let p = self.program;
                let lines: Vec<String> = p
                    .vars
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| arg.is_empty() || p.domains[v.domain as usize].name == arg)
                    .map(|(i, v)| format!("{} = {}\n", v.qualified, self.rt.interp.state[i]))
                    .collect();
                if lines.is_empty() {
                    if arg.is_empty() { "(no state)\n".into() } else { error_line(Code::E002, format!("no domain `{arg}` with state")) }
                } else {
                    lines.concat()
                }
            }
            "queue" | "q" => {
                let items: Vec<String> = self
                    .rt
                    .queue()
                    .iter()
                    .map(|(p, e)| format!("[{}] due {}: {}\n", p.name(), e.due, describe(self.program, &e.kind)))
                    .collect();
                if items.is_empty() { "(empty)\n".into() } else { items.concat() }
            }
            "goals" => {
                let truths = self.rt.goal_truths();
                let lines: Vec<String> = self
                    .program
                    .goals
                    .iter()
                    .enumerate()
                    .map(|(g, goal)| {
                        let s = if self.rt.run.yielded[g] { "yielded" } else if truths[g] { "holds" } else { "false" };
                        format!("{} {s}\n", goal.qualified)
                    })
                    .collect();
                if lines.is_empty() { "(no goals)\n".into() } else { lines.concat() }
            }
            "why" => match number(self.rt.run.cycle) {
                Ok(n) => self.why(n),
                Err(e) => e,
            },
            "hash" => format!("{} (after cycle {})\n", self.rt.run_hash(), self.rt.run.cycle),
            "explore" => self.explore(arg),
            "trace" => match arg.strip_prefix("save").map(str::trim) {
                Some(path) if !path.is_empty() => self.save_trace(path),
                _ => error_line(Code::L002, "write `:trace save FILE`"),
            },
            "debug" => self.debug(),
            "load" => self.load(arg),
            "reset" => {
                self.new_epoch(Vec::new());
                "restarted from the initial state\n".into()
            }
            "help" | "h" | "?" => {
                let rows: Vec<String> = HELP
                    .iter()
                    .filter(|(c, _)| arg.is_empty() || c.trim_start_matches(':').starts_with(arg.trim_start_matches(':')))
                    .map(|(c, what)| format!("{c:<20} {what}\n"))
                    .collect();
                if rows.is_empty() { format!("error: no command `{arg}`\n") } else { rows.concat() }
            }
            "quit" | "exit" => String::new(),
            _ => error_line(Code::L002, format!("unknown command `:{name}`; :help lists them")),
        }
    }

    fn why(&self, n: u64) -> String {
        let log = self.log.borrow();
        let cycles: Vec<&Step> = log.cycles.iter().take(self.rt.run.cycle as usize).collect();
        if cycles.is_empty() {
            return error_line(Code::T006, "no cycle has run yet");
        }
        if n == 0 || n as usize > cycles.len() {
            return error_line(
                Code::T006,
                format!("no cycle {n}: cycles 1 to {} have run", cycles.len()),
            );
        }
        let mut out = String::new();
        let mut at = n;
        let mut depth = 0;
        while at > 0 {
            let s = cycles[at as usize - 1];
            let because = match (&s.repair_goal, s.cause) {
                (Some(g), 0) => format!(", because `{g}` was false at the start"),
                (Some(g), k) => format!(", because `{g}` was false after cycle {k}"),
                (None, 0) => ", sent at the start or from the prompt".into(),
                (None, k) => format!(", sent by cycle {k}"),
            };
            out.push_str(&format!("{}{}{because}\n", "  ".repeat(depth), s.text));
            depth += 1;
            if s.cause >= at {
                break;
            }
            at = s.cause;
        }
        out.push_str(&format!("{}the start\n", "  ".repeat(depth)));
        out
    }

    /// The session so far as a trace: the program, the values it started
    /// from, the inputs sent, run to the current cycle.
    fn trace_bytes(&self) -> Result<Vec<u8>, String> {
        let settings = crate::trace::format::Settings {
            max_cycles: self.rt.run.cycle,
            oscillation_detection: true,
            effects: crate::runtime::EffectsMode::Sim,
            seed: 0,
            fail_per_million: 0,
            max_queue: crate::runtime::DEFAULT_MAX_QUEUE,
            live: false,
        };
        let inputs: Vec<(u64, HandlerId, Args)> = self
            .inputs
            .iter()
            .filter(|(c, ..)| *c <= self.rt.run.cycle)
            .cloned()
            .collect();
        let mut bytes = Vec::new();
        crate::trace::record::record_session(
            self.program,
            &self.source,
            &settings,
            &self.start,
            &inputs,
            &mut bytes,
        )
        .map_err(|e| error_line(Code::L001, format!("cannot record the trace: {e}")))?;
        Ok(bytes)
    }

    fn save_trace(&self, path: &str) -> String {
        match self.trace_bytes() {
            Ok(bytes) => match std::fs::write(path, &bytes) {
                Ok(()) => format!("saved {} cycles to {path}\n", self.rt.run.cycle),
                Err(e) => error_line(Code::L001, format!("cannot write `{path}`: {e}")),
            },
            Err(e) => e,
        }
    }

    fn debug(&self) -> String {
        if !self.interactive {
            return error_line(
                Code::L002,
                ":debug needs a terminal; use :trace save and lexum debug",
            );
        }
        let loaded = match self
            .trace_bytes()
            .and_then(|b| crate::trace::load::load(&b).map_err(|e| format!("{e}\n")))
        {
            Ok(l) => l,
            Err(e) => return e,
        };
        let view = match crate::debug::DebugView::new("repl session".into(), loaded) {
            Ok(v) => v,
            Err(e) => return format!("{e}\n"),
        };
        match lexum_tui::term::run(&view, self.rt.run.cycle as usize) {
            Ok(()) => String::new(),
            Err(e) => error_line(Code::L001, format!("terminal error: {e}")),
        }
    }

    /// Replaces the session's program with a file's.
    pub fn load(&mut self, path: &str) -> String {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return error_line(Code::L001, format!("cannot read `{path}`: {e}")),
        };
        let checked = check_source(&text);
        let Some(program) = checked.program else {
            return format!(
                "{}(nothing changed)\n",
                render_text(&checked.diagnostics, path, &text, self.color)
            );
        };
        let (ast, _) = syntax::parse(&text);
        let ast = ast.unwrap_or_default();
        // Keep each declaration's text, so later redeclarations replace them.
        let mut decls = Vec::new();
        for d in &ast.domains {
            decls.push(Decl {
                name: d.name.node.clone(),
                text: text[d.span.start..d.span.end].to_string(),
            });
        }
        for e in &ast.effects {
            decls.insert(
                0,
                Decl {
                    name: effect_decl_name(e),
                    text: text[e.span.start..e.span.end].to_string(),
                },
            );
        }
        let mut out = render_text(&checked.diagnostics, path, &text, self.color);
        self.source = decls.iter().map(|d| format!("{}\n", d.text)).collect();
        self.ast = syntax::parse(&self.source).0.unwrap_or_default();
        self.decls = decls;
        self.program = leak(program);
        self.new_epoch(Vec::new());
        out.push_str(&format!(
            "loaded {path}: {}, {}, {}\n",
            plural(self.program.domains.len(), "domain"),
            plural(self.program.goals.len(), "goal"),
            plural(self.program.handlers.len(), "handler")
        ));
        out
    }
}

/// Whether an input is complete: every bracket outside strings and comments
/// closed, and the input does not end with a binary operator (`total +`,
/// `a &&`, `let x =`), as a line that goes on would. An input with more
/// closing than opening brackets is complete (its error is reported when it
/// is evaluated).
pub fn balanced(input: &str) -> bool {
    let mut depth: i64 = 0;
    // The last two characters outside comments and whitespace (a string
    // counts as `"`).
    let mut tail = [' ', ' '];
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        let comment = c == '/' && matches!(chars.peek(), Some('/' | '*'));
        if !(c.is_whitespace() || comment) {
            tail = [tail[1], c];
        }
        match c {
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                let mut closed = false;
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        closed = true;
                        break;
                    }
                    prev = d;
                }
                if !closed {
                    return false;
                }
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    // `<` and `>` alone may close a type (`-> Set<Int>`), so they do not
    // continue a line; `<=`, `>=` and `->` do.
    let open_operator = matches!(
        tail,
        ['&', '&'] | ['|', '|'] | ['-', '>'] | ['.', '.'] | [_, '+' | '-' | '*' | '/' | '%' | '=']
    );
    depth <= 0 && !open_operator
}
