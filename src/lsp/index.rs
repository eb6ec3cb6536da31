//! What the language server knows of a document: every declared symbol
//! (domains, state variables, handlers, goals, invariants, effects) and
//! every place a name refers to one, found by walking the parsed AST with
//! the checker's scoping (locals shadow state; `Domain.x` names another
//! domain's). Built from the AST alone, so it works on a program that
//! does not check yet.

use std::collections::BTreeMap;

use crate::syntax::ast::{self, Block, Expr, ExprKind, Member, Stmt, StmtKind};
use crate::syntax::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Domain,
    Var,
    Handler,
    Goal,
    Invariant,
    Effect,
}

#[derive(Clone, Debug)]
pub struct Symbol {
    pub kind: Kind,
    /// `Domain`, `Domain.name` or the effect's dotted name.
    pub name: String,
    /// The name as declared (what a rename replaces).
    pub decl: Span,
    /// The whole declaration.
    pub extent: Span,
    /// What hover shows first (a declaration line).
    pub signature: String,
    /// The domain it belongs to (its own index, for a domain).
    pub domain: Option<usize>,
    /// For goals and invariants: the state they read.
    pub reads: Vec<String>,
    /// For goals: the domain's priority.
    pub priority: Option<String>,
}

#[derive(Default)]
pub struct Index {
    pub symbols: Vec<Symbol>,
    /// Every use of a name, with the symbol it means (declarations too).
    pub refs: Vec<(Span, usize)>,
}

fn type_text(t: &ast::TypeExpr) -> String {
    if t.args.is_empty() {
        return t.name.node.clone();
    }
    let args: Vec<String> = t.args.iter().map(|a| type_text(&a.node)).collect();
    format!("{}<{}>", t.name.node, args.join(", "))
}

fn params_text(ps: &[ast::Param]) -> String {
    ps.iter()
        .map(|p| format!("{}: {}", p.name.node, type_text(&p.ty.node)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn dotted(path: &[ast::Ident]) -> String {
    path.iter()
        .map(|i| i.node.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

impl Index {
    pub fn build(program: &ast::Program) -> Index {
        let mut ix = Index::default();
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        for e in &program.effects {
            let name = dotted(&e.name.node);
            let id = ix.add(Symbol {
                kind: Kind::Effect,
                name: name.clone(),
                decl: e.name.span,
                extent: e.span,
                signature: format!(
                    "effect {name}({}) -> {}",
                    params_text(&e.params),
                    type_text(&e.ret.node)
                ),
                domain: None,
                reads: Vec::new(),
                priority: None,
            });
            by_name.entry(name).or_insert(id);
        }
        // Declarations first, so a use may come before its declaration.
        for (di, d) in program.domains.iter().enumerate() {
            let mut head = format!("domain {}", d.name.node);
            if let Some(p) = &d.priority {
                head.push_str(&format!(" priority {}", p.node));
            }
            let id = ix.add(Symbol {
                kind: Kind::Domain,
                name: d.name.node.clone(),
                decl: d.name.span,
                extent: d.span,
                signature: head,
                domain: Some(di),
                reads: Vec::new(),
                priority: None,
            });
            by_name.entry(d.name.node.clone()).or_insert(id);
            for m in &d.members {
                let (kind, name, span, signature) = match m {
                    Member::State(s) => (
                        Kind::Var,
                        &s.name,
                        s.span,
                        format!(
                            "state {}.{}: {}",
                            d.name.node,
                            s.name.node,
                            type_text(&s.ty.node)
                        ),
                    ),
                    Member::Handler(h) => (
                        Kind::Handler,
                        &h.name,
                        h.span,
                        format!(
                            "on {}.{}({})",
                            d.name.node,
                            h.name.node,
                            params_text(&h.params)
                        ),
                    ),
                    Member::Goal(g) => (
                        Kind::Goal,
                        &g.name,
                        g.span,
                        format!("goal {}.{}", d.name.node, g.name.node),
                    ),
                    Member::Invariant(i) => (
                        Kind::Invariant,
                        &i.name,
                        i.span,
                        format!("invariant {}.{}", d.name.node, i.name.node),
                    ),
                    Member::Error => continue,
                };
                let qualified = format!("{}.{}", d.name.node, name.node);
                let id = ix.add(Symbol {
                    kind,
                    name: qualified.clone(),
                    decl: name.span,
                    extent: span,
                    signature,
                    domain: Some(di),
                    reads: Vec::new(),
                    priority: d
                        .priority
                        .as_ref()
                        .map(|p| p.node.clone())
                        .filter(|_| kind == Kind::Goal),
                });
                // Handlers and variables share no namespace with goals.
                let key = match kind {
                    Kind::Handler => format!("{qualified}()"),
                    Kind::Goal | Kind::Invariant => format!("{qualified}!"),
                    _ => qualified,
                };
                by_name.entry(key).or_insert(id);
            }
        }
        for d in &program.domains {
            let mut w = Walker {
                ix: &mut ix,
                by_name: &by_name,
                domain: d.name.node.clone(),
                scopes: vec![Vec::new()],
                reads: Vec::new(),
            };
            for m in &d.members {
                match m {
                    Member::State(s) => w.expr(&s.init),
                    Member::Handler(h) => {
                        w.scopes = vec![h.params.iter().map(|p| p.name.node.clone()).collect()];
                        w.block(&h.body);
                    }
                    Member::Goal(g) => {
                        w.scopes = vec![Vec::new()];
                        w.reads.clear();
                        w.stmt(&g.cond);
                        w.record_reads(&format!("{}.{}!", d.name.node, g.name.node));
                        if let Some(b) = &g.repair {
                            w.block(b);
                        }
                    }
                    Member::Invariant(i) => {
                        w.scopes = vec![Vec::new()];
                        w.reads.clear();
                        w.stmt(&i.cond);
                        w.record_reads(&format!("{}.{}!", d.name.node, i.name.node));
                    }
                    Member::Error => {}
                }
            }
        }
        // Declarations are references to themselves.
        for (id, s) in ix.symbols.iter().enumerate() {
            ix.refs.push((s.decl, id));
        }
        ix.refs.sort_by_key(|(s, id)| (s.start, s.end, *id));
        ix.refs.dedup();
        ix
    }

    fn add(&mut self, s: Symbol) -> usize {
        self.symbols.push(s);
        self.symbols.len() - 1
    }

    /// The symbol named at byte `offset`, with the span of that name.
    pub fn at(&self, offset: usize) -> Option<(Span, usize)> {
        self.refs
            .iter()
            .filter(|(s, _)| s.start <= offset && offset <= s.end)
            .min_by_key(|(s, _)| s.end - s.start)
            .copied()
    }

    /// Every place symbol `id` is named, its declaration included.
    pub fn uses(&self, id: usize) -> impl Iterator<Item = Span> + '_ {
        self.refs
            .iter()
            .filter(move |(_, i)| *i == id)
            .map(|(s, _)| *s)
    }
}

struct Walker<'a> {
    ix: &'a mut Index,
    by_name: &'a BTreeMap<String, usize>,
    domain: String,
    scopes: Vec<Vec<String>>,
    reads: Vec<String>,
}

impl Walker<'_> {
    fn local(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.iter().any(|n| n == name))
    }

    fn refer(&mut self, span: Span, key: &str) -> Option<usize> {
        let id = *self.by_name.get(key)?;
        self.ix.refs.push((span, id));
        Some(id)
    }

    fn record_reads(&mut self, goal: &str) {
        if let Some(&id) = self.by_name.get(goal) {
            let mut reads = std::mem::take(&mut self.reads);
            reads.sort();
            reads.dedup();
            self.ix.symbols[id].reads = reads;
        }
    }

    /// A path naming state: `x` (a local, or this domain's), `D.x`.
    fn path(&mut self, path: &[ast::Ident]) {
        match path {
            [x] if self.local(&x.node) => {}
            [x] => {
                let key = format!("{}.{}", self.domain, x.node);
                if self.refer(x.span, &key).is_some() {
                    self.reads.push(key);
                }
            }
            [d, x] if self.by_name.contains_key(&d.node) => {
                self.refer(d.span, &d.node);
                let key = format!("{}.{}", d.node, x.node);
                if self.refer(x.span, &key).is_some() {
                    self.reads.push(key);
                }
            }
            _ => {
                let name = dotted(path);
                let span = Span::from(path[0].span.start..path[path.len() - 1].span.end);
                self.refer(span, &name);
            }
        }
    }

    fn block(&mut self, b: &Block) {
        self.scopes.push(Vec::new());
        for s in &b.node {
            self.stmt(s);
        }
        self.scopes.pop();
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.node {
            StmtKind::Let(name, e) => {
                self.expr(e);
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push(name.node.clone());
                }
            }
            StmtKind::Assign(place, _, e) => {
                self.path(&place.path);
                for i in &place.indices {
                    self.expr(i);
                }
                self.expr(e);
            }
            StmtKind::If(c, t, f) => {
                self.expr(c);
                self.block(t);
                if let Some(f) = f {
                    self.block(f);
                }
            }
            StmtKind::ForRange(i, lo, hi, body) => {
                self.expr(lo);
                self.expr(hi);
                self.scopes.push(vec![i.node.clone()]);
                self.block(body);
                self.scopes.pop();
            }
            StmtKind::ForEach(k, v, coll, body) => {
                self.expr(coll);
                let mut names = vec![k.node.clone()];
                names.extend(v.iter().map(|v| v.node.clone()));
                self.scopes.push(names);
                self.block(body);
                self.scopes.pop();
            }
            StmtKind::Send {
                target,
                args,
                after,
            } => {
                match target.as_slice() {
                    [h] => {
                        let key = format!("{}.{}()", self.domain, h.node);
                        self.refer(h.span, &key);
                    }
                    [d, h] => {
                        self.refer(d.span, &d.node);
                        self.refer(h.span, &format!("{}.{}()", d.node, h.node));
                    }
                    _ => {}
                }
                for a in args {
                    self.expr(a);
                }
                if let Some(a) = after {
                    self.expr(a);
                }
            }
            StmtKind::Fail(e) | StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assert(c, m) => {
                self.expr(c);
                if let Some(m) = m {
                    self.expr(m);
                }
            }
            StmtKind::While(c, b) => {
                self.expr(c);
                self.block(b);
            }
            StmtKind::Error => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.node {
            ExprKind::Path(p) => self.path(p),
            ExprKind::Call(p, args) => {
                if p.len() > 1 {
                    let span = Span::from(p[0].span.start..p[p.len() - 1].span.end);
                    self.refer(span, &dotted(p));
                }
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::List(xs) | ExprKind::Set(xs) => xs.iter().for_each(|x| self.expr(x)),
            ExprKind::Map(kvs) => {
                for (k, v) in kvs {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Unary(_, a) => self.expr(a),
            ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::Tick => {}
            ExprKind::Error => {}
        }
    }
}
