//! The checker: AST in, slot-resolved `ir::Program` out, with every E002, E003,
//! E004 and W101 found on the way. It never stops at the first problem.

pub(crate) mod builtins;
mod expr;
pub mod livelock;
mod scope;
mod stmt;
mod suggest;

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::{self, DomainId, EffectId, HandlerId, Priority, VarId, DEFAULT_RETRY};
use crate::syntax::ast;
use crate::syntax::span::{Span, Spanned};
use crate::types::Type;
use scope::{BodyCtx, Mode};

/// Names that would read a wall clock or a random source. The only time in
/// Lexum is `tick`; in a goal or invariant these are E003 *No Wall-Clock*.
pub const WALL_CLOCK_NAMES: [&str; 9] = [
    "now",
    "time",
    "clock",
    "random",
    "rand",
    "timestamp",
    "today",
    "uuid",
    "sleep",
];

/// The result of checking: the program when there is no error, and every
/// diagnostic (errors and warnings) in source order.
pub struct Checked {
    pub program: Option<ir::Program>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Stack for the front end's thread: recursion over a deep (but accepted) tree,
/// and dropping it, must never overflow. Only the pages touched are committed.
pub(crate) const FRONT_END_STACK: usize = 256 * 1024 * 1024;

/// Runs `f` on a thread with the front end's large stack (on this one if no
/// thread can be had, or if that one failed).
fn on_front_end_stack<T: Send>(f: impl Fn() -> T + Sync) -> T {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("lexum-check".into())
            .stack_size(FRONT_END_STACK)
            .spawn_scoped(scope, &f)
            .ok()
            .and_then(|h| h.join().ok())
    })
    .unwrap_or_else(f)
}

/// Parses and checks a source file in one go, on a thread with a large stack,
/// so no input can overflow the caller's stack.
pub fn check_source(src: &str) -> Checked {
    on_front_end_stack(|| check_source_here(src))
}

/// [`check_source`] on the current thread.
pub fn check_source_here(src: &str) -> Checked {
    check_parsed(src).0
}

/// Drops `t` on a detached thread: freeing the trees of a large program
/// takes long (a fifth of checking 10,000 domains), and a caller that only
/// wanted an answer from them need not wait. Without a thread, `t` is freed
/// here (the nesting guard bounds its depth, so any stack suffices).
pub(crate) fn free_in_background<T: Send + 'static>(t: T) {
    let _ = std::thread::Builder::new()
        .name("lexum-free".into())
        .stack_size(FRONT_END_STACK)
        .spawn(move || drop(t));
}

/// Only the diagnostics of [`check_source`], for `lexum check`: the trees are
/// freed in the background ([`free_in_background`]).
pub fn check_diagnostics(src: &str) -> Vec<Diagnostic> {
    let (mut checked, ast) = on_front_end_stack(|| check_parsed(src));
    let diagnostics = std::mem::take(&mut checked.diagnostics);
    free_in_background((checked, ast));
    diagnostics
}

/// [`check_source_here`], with the parsed AST too (the language server
/// indexes it; one parse serves both).
pub fn check_parsed(src: &str) -> (Checked, Option<crate::syntax::ast::Program>) {
    let (ast, mut diagnostics) = crate::syntax::parse(src);
    let parse_failed = !diagnostics.is_empty();
    let mut program = None;
    if let Some(ast) = &ast {
        let checked = check(ast);
        diagnostics.extend(checked.diagnostics);
        if !parse_failed {
            program = checked.program;
        }
    }
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end, d.code));
    if diagnostics.iter().any(|d| d.is_error()) {
        program = None;
    }
    (
        Checked {
            program,
            diagnostics,
        },
        ast,
    )
}

struct HandlerSig {
    name: String,
    params: Vec<(String, Type)>,
}

struct EffectSig {
    params: Vec<(String, Type)>,
    ret: Type,
}

/// Declarations gathered in a first pass, so bodies can refer to anything
/// declared anywhere in the file.
#[derive(Default)]
pub(crate) struct Checker {
    diags: Vec<Diagnostic>,
    domain_index: BTreeMap<String, DomainId>,
    domain_names: Vec<String>,
    priorities: Vec<Priority>,
    vars: Vec<ir::Var>,
    var_index: Vec<BTreeMap<String, VarId>>,
    handlers: Vec<HandlerSig>,
    handler_index: Vec<BTreeMap<String, HandlerId>>,
    effects: Vec<EffectSig>,
    effect_index: BTreeMap<String, EffectId>,
}

fn dotted(path: &[ast::Ident]) -> String {
    path.iter()
        .map(|i| i.node.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

fn path_span(path: &[ast::Ident]) -> Span {
    match (path.first(), path.last()) {
        (Some(a), Some(b)) => Span::from(a.span.start..b.span.end),
        _ => Span::from(0..0),
    }
}

impl Checker {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn resolve_type(&mut self, t: &Spanned<ast::TypeExpr>) -> Type {
        let name = t.node.name.node.as_str();
        let want = match name {
            "Int" | "Bool" | "Str" => 0,
            "List" | "Set" => 1,
            "Map" => 2,
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::E002,
                        t.node.name.span,
                        format!("unknown type `{name}`"),
                    )
                    .with_label("not a type")
                    .with_help("the types are Int, Bool, Str, List<T>, Set<T> and Map<K, V>"),
                );
                return Type::Unknown;
            }
        };
        if t.node.args.len() != want {
            self.error(
                Diagnostic::new(
                    Code::E002,
                    t.span,
                    format!(
                        "`{name}` takes {want} type argument{}, found {}",
                        if want == 1 { "" } else { "s" },
                        t.node.args.len()
                    ),
                )
                .with_label("wrong number of type arguments"),
            );
            return Type::Unknown;
        }
        let args: Vec<Type> = t.node.args.iter().map(|a| self.resolve_type(a)).collect();
        match name {
            "Int" => Type::Int,
            "Bool" => Type::Bool,
            "Str" => Type::Str,
            "List" => Type::list(args[0].clone()),
            "Set" => Type::set(args[0].clone()),
            _ => Type::map(args[0].clone(), args[1].clone()),
        }
    }

    fn duplicate(&mut self, what: &str, name: &ast::Ident, first: Span) {
        self.error(
            Diagnostic::new(
                Code::E002,
                name.span,
                format!("{what} `{}` is declared twice", name.node),
            )
            .with_label("second declaration")
            .with_secondary(first, "first declared here")
            .with_help(format!("rename or remove one of the two {what}s")),
        );
    }

    /// First pass: every domain, variable, handler and effect signature.
    fn declare(&mut self, prog: &ast::Program) {
        let mut effect_spans: BTreeMap<String, Span> = BTreeMap::new();
        for e in &prog.effects {
            let name = dotted(&e.name.node);
            let params = self.params(&e.params);
            let ret = self.resolve_type(&e.ret);
            if let Some(first) = effect_spans.get(&name) {
                let id = Spanned::new(name.clone(), e.name.span);
                self.duplicate("effect", &id, *first);
                continue;
            }
            effect_spans.insert(name.clone(), e.name.span);
            self.effect_index
                .insert(name, self.effects.len() as EffectId);
            self.effects.push(EffectSig { params, ret });
        }
        let mut domain_spans: BTreeMap<String, Span> = BTreeMap::new();
        for d in &prog.domains {
            let id = self.domain_names.len() as DomainId;
            if let Some(first) = domain_spans.get(&d.name.node) {
                self.duplicate("domain", &d.name, *first);
            } else {
                domain_spans.insert(d.name.node.clone(), d.name.span);
                self.domain_index.insert(d.name.node.clone(), id);
            }
            self.domain_names.push(d.name.node.clone());
            let priority = match &d.priority {
                None => Priority::Normal,
                Some(p) => Priority::from_name(&p.node).unwrap_or_else(|| {
                    self.error(
                        Diagnostic::new(
                            Code::E002,
                            p.span,
                            format!("unknown priority `{}`", p.node),
                        )
                        .with_label("not a priority")
                        .with_help(
                            "priorities, highest first: critical, high, normal, low, background",
                        ),
                    );
                    Priority::Normal
                }),
            };
            self.priorities.push(priority);
            let mut vars = BTreeMap::new();
            let mut handlers = BTreeMap::new();
            let mut spans: BTreeMap<(u8, String), Span> = BTreeMap::new();
            for m in &d.members {
                let (kind, what, name) = match m {
                    ast::Member::State(s) => (0u8, "state variable", &s.name),
                    ast::Member::Goal(g) => (1, "goal", &g.name),
                    ast::Member::Invariant(i) => (1, "invariant", &i.name),
                    ast::Member::Handler(h) => (2, "handler", &h.name),
                    ast::Member::Error => continue,
                };
                if let Some(first) = spans.get(&(kind, name.node.clone())) {
                    self.duplicate(what, name, *first);
                    continue;
                }
                spans.insert((kind, name.node.clone()), name.span);
                match m {
                    ast::Member::State(s) => {
                        let ty = self.resolve_type(&s.ty);
                        let vid = self.vars.len() as VarId;
                        vars.insert(s.name.node.clone(), vid);
                        self.vars.push(ir::Var {
                            name: s.name.node.clone(),
                            qualified: format!("{}.{}", d.name.node, s.name.node),
                            domain: id,
                            ty,
                            init: ir::Expr {
                                kind: ir::ExprKind::Const(crate::value::Value::Int(0)),
                                span: s.init.span,
                                shape: ir::Shape::Int,
                            },
                            span: s.span,
                        });
                    }
                    ast::Member::Handler(h) => {
                        let params = self.params(&h.params);
                        handlers.insert(h.name.node.clone(), self.handlers.len() as HandlerId);
                        self.handlers.push(HandlerSig {
                            name: h.name.node.clone(),
                            params,
                        });
                    }
                    _ => {}
                }
            }
            self.var_index.push(vars);
            self.handler_index.push(handlers);
        }
    }

    fn params(&mut self, params: &[ast::Param]) -> Vec<(String, Type)> {
        let mut out: Vec<(String, Type)> = Vec::new();
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for p in params {
            let ty = self.resolve_type(&p.ty);
            if let Some(first) = seen.get(&p.name.node) {
                self.duplicate("parameter", &p.name, *first);
            }
            seen.insert(p.name.node.clone(), p.name.span);
            out.push((p.name.node.clone(), ty));
        }
        out
    }

    fn retry(&mut self, d: &ast::Domain) -> u32 {
        match &d.retry {
            None => DEFAULT_RETRY,
            Some(r) => r.node.replace('_', "").parse::<u32>().unwrap_or_else(|_| {
                self.error(
                    Diagnostic::new(
                        Code::E002,
                        r.span,
                        format!("retry count `{}` is too large", r.node),
                    )
                    .with_label("must fit in 32 bits")
                    .with_help("a retry limit is a small number, such as `retry 5`"),
                );
                DEFAULT_RETRY
            }),
        }
    }

    /// Checks a goal or invariant condition: it must be an expression (not a
    /// statement) of type Bool, and pure.
    fn condition(&mut self, ctx: &mut BodyCtx, stmt: &ast::Stmt, what: &str) -> ir::Expr {
        match &stmt.node {
            ast::StmtKind::Expr(e) => {
                let (ex, ty) = self.expr(ctx, e, Some(&Type::Bool));
                self.expect_type(&ty, &Type::Bool, e.span, format_args!("a {what} condition"));
                ex
            }
            other => {
                let (label, help) = match other {
                    ast::StmtKind::Assign(_, ast::AssignOp::Set, _) => (
                        "this assigns",
                        "to compare, write `==`; to change state, do it in a repair or handler",
                    ),
                    ast::StmtKind::Assign(..) => (
                        "this mutates state",
                        "change state in a repair or a handler, not in the condition",
                    ),
                    ast::StmtKind::Send { .. } => (
                        "this sends a message",
                        "send messages from the goal's `repair { ... }` block",
                    ),
                    _ => ("this is a statement", "write a Bool expression"),
                };
                self.error(
                    Diagnostic::new(
                        Code::E003,
                        stmt.span,
                        format!("impure {what}: violates Pure Logic (goals and invariants may not mutate anything)"),
                    )
                    .with_label(label)
                    .with_help(help),
                );
                ir::Expr {
                    kind: ir::ExprKind::Const(crate::value::Value::Bool(true)),
                    span: stmt.span,
                    shape: ir::Shape::Bool,
                }
            }
        }
    }

    pub(crate) fn expect_type(
        &mut self,
        found: &Type,
        want: &Type,
        span: Span,
        what: impl std::fmt::Display,
    ) {
        if !found.fits(want) {
            self.error(
                Diagnostic::new(
                    Code::E002,
                    span,
                    format!("{what} must be {want}, found {found}"),
                )
                .with_label(format!("this is {found}")),
            );
        }
    }

    fn body(&mut self, ctx: &mut BodyCtx, block: &ast::Block) -> ir::Body {
        let stmts = self.block(ctx, block);
        ir::Body {
            stmts,
            frame_size: ctx.frame_size(),
            span: block.span,
        }
    }
}

/// Checks one pure expression against a checked program's declarations:
/// names must be qualified (`Cluster.nodes`), nothing may be mutated or
/// called out. `prog` must be the program `program` was checked from.
pub fn check_expression(
    prog: &ast::Program,
    e: &ast::Expr,
) -> (Option<(ir::Expr, Type)>, Vec<Diagnostic>) {
    let mut c = Checker::default();
    c.declare(prog);
    // A domain of its own, with no state: bare names resolve to nothing.
    let me = c.domain_names.len() as DomainId;
    c.domain_names.push(String::new());
    c.var_index.push(BTreeMap::new());
    c.handler_index.push(BTreeMap::new());
    let mut ctx = BodyCtx::new(me, Mode::Pure("expression"));
    let (ex, ty) = c.expr(&mut ctx, e, None);
    let ok = !c.diags.iter().any(|d| d.is_error());
    (ok.then_some((ex, ty)), c.diags)
}

/// Checks a parsed program. See [`check_source`] to parse and check in one go.
pub fn check(prog: &ast::Program) -> Checked {
    let mut c = Checker::default();
    c.declare(prog);

    let mut domains = Vec::new();
    let mut goals = Vec::new();
    let mut invariants = Vec::new();
    let mut handlers = Vec::new();
    let mut uses_tick = false;
    let mut bodies = livelock::Bodies::default();
    let mut var_cursor: VarId = 0;
    let mut handler_cursor: HandlerId = 0;

    for (di, d) in prog.domains.iter().enumerate() {
        let di = di as DomainId;
        let dname = d.name.node.clone();
        let retry = c.retry(d);
        let var_start = var_cursor;
        let mut dom = ir::Domain {
            name: dname.clone(),
            priority: c.priorities[di as usize],
            retry,
            vars: 0..0,
            goals: Vec::new(),
            invariants: Vec::new(),
            handlers: Vec::new(),
            span: d.span,
        };
        let mut seen: BTreeMap<(u8, String), ()> = BTreeMap::new();
        for m in &d.members {
            let key = match m {
                ast::Member::State(s) => (0u8, s.name.node.clone()),
                ast::Member::Goal(g) => (1, g.name.node.clone()),
                ast::Member::Invariant(i) => (1, i.name.node.clone()),
                ast::Member::Handler(h) => (2, h.name.node.clone()),
                ast::Member::Error => continue,
            };
            if seen.insert(key, ()).is_some() {
                continue; // duplicate, already reported
            }
            match m {
                ast::Member::State(s) => {
                    let mut ctx = BodyCtx::new(di, Mode::Init);
                    let want = c.vars[var_cursor as usize].ty.clone();
                    let (init, ty) = c.expr(&mut ctx, &s.init, Some(&want));
                    c.expect_type(
                        &ty,
                        &want,
                        s.init.span,
                        format_args!("the initial value of `{}`", s.name.node),
                    );
                    c.vars[var_cursor as usize].init = init;
                    var_cursor += 1;
                }
                ast::Member::Goal(g) => {
                    let mut ctx = BodyCtx::new(di, Mode::Pure("goal"));
                    let cond = c.condition(&mut ctx, &g.cond, "goal");
                    uses_tick |= ctx.uses_tick;
                    let reads: Vec<VarId> = ctx.reads.iter().copied().collect();
                    let repair = g.repair.as_ref().map(|r| {
                        let mut rctx = BodyCtx::new(di, Mode::Action);
                        let body = c.body(&mut rctx, r);
                        uses_tick |= rctx.uses_tick;
                        bodies.repairs.push((goals.len(), rctx.writes, rctx.sends));
                        body
                    });
                    dom.goals.push(goals.len() as ir::GoalId);
                    goals.push(ir::Goal {
                        name: g.name.node.clone(),
                        qualified: format!("{dname}.{}", g.name.node),
                        domain: di,
                        cond,
                        repair,
                        reads,
                        span: g.name.span,
                    });
                }
                ast::Member::Invariant(i) => {
                    let mut ctx = BodyCtx::new(di, Mode::Pure("invariant"));
                    let cond = c.condition(&mut ctx, &i.cond, "invariant");
                    uses_tick |= ctx.uses_tick;
                    dom.invariants.push(invariants.len() as ir::InvariantId);
                    invariants.push(ir::Invariant {
                        name: i.name.node.clone(),
                        qualified: format!("{dname}.{}", i.name.node),
                        domain: di,
                        cond,
                        reads: ctx.reads.iter().copied().collect(),
                        reads_tick: ctx.uses_tick,
                        span: i.name.span,
                    });
                }
                ast::Member::Handler(h) => {
                    let mut ctx = BodyCtx::new(di, Mode::Action);
                    let sig_params = c.handlers[handler_cursor as usize].params.clone();
                    for (name, ty) in &sig_params {
                        ctx.bind(name, ty.clone());
                    }
                    let body = c.body(&mut ctx, &h.body);
                    uses_tick |= ctx.uses_tick;
                    bodies.handlers.push((ctx.writes, ctx.sends));
                    dom.handlers.push(handler_cursor);
                    handlers.push(ir::Handler {
                        name: h.name.node.clone(),
                        qualified: format!("{dname}.{}", h.name.node),
                        domain: di,
                        params: sig_params,
                        body,
                        span: h.name.span,
                    });
                    handler_cursor += 1;
                }
                ast::Member::Error => {}
            }
        }
        dom.vars = var_start..var_cursor;
        domains.push(dom);
    }

    let effects = c
        .effect_index
        .iter()
        .map(|(name, id)| (*id, name.clone()))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(id, name)| {
            let sig = &c.effects[id as usize];
            ir::Effect {
                name,
                params: sig.params.clone(),
                ret: sig.ret.clone(),
                span: Span::from(0..0),
            }
        })
        .collect();

    let program = ir::Program {
        domains,
        vars: std::mem::take(&mut c.vars),
        goals,
        invariants,
        handlers,
        effects,
        uses_tick,
    };
    let warnings = livelock::check(&program, &bodies);
    c.diags.extend(warnings);
    let has_errors = c.diags.iter().any(|d| d.is_error());
    Checked {
        program: if has_errors { None } else { Some(program) },
        diagnostics: c.diags,
    }
}
