//! Statements: assignments (and E004 authority), control flow, `send`, `fail`,
//! `assert`. Only handlers and repairs have statements.

use super::scope::BodyCtx;
use super::suggest::{closest, did_you_mean};
use super::{dotted, path_span, Checker};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::{self, Root, StmtKind as S};
use crate::syntax::ast::{self, AssignOp, StmtKind};
use crate::types::Type;

fn stmt(kind: S, span: crate::syntax::span::Span) -> ir::Stmt {
    ir::Stmt { kind, span }
}

impl Checker {
    pub(crate) fn block(&mut self, ctx: &mut BodyCtx, block: &ast::Block) -> Vec<ir::Stmt> {
        ctx.push_scope();
        let mut out = Vec::with_capacity(block.node.len());
        for s in &block.node {
            if let Some(s) = self.stmt(ctx, s) {
                out.push(s);
            }
        }
        ctx.pop_scope();
        out
    }

    fn stmt(&mut self, ctx: &mut BodyCtx, s: &ast::Stmt) -> Option<ir::Stmt> {
        let span = s.span;
        let kind = match &s.node {
            StmtKind::Error => return None,
            StmtKind::Let(name, value) => {
                let (e, t) = self.expr(ctx, value, None);
                let slot = ctx.bind(&name.node, t);
                S::Let(slot, e)
            }
            StmtKind::Assign(place, op, value) => return self.assign(ctx, place, *op, value, span),
            StmtKind::If(cond, then, els) => {
                let (c, t) = self.expr(ctx, cond, Some(&Type::Bool));
                self.expect_type(&t, &Type::Bool, cond.span, "an `if` condition");
                let then = self.block(ctx, then);
                let els = els.as_ref().map(|b| self.block(ctx, b)).unwrap_or_default();
                S::If(c, then, els)
            }
            StmtKind::ForRange(var, lo, hi, body) => {
                let (lo_e, lo_t) = self.expr(ctx, lo, Some(&Type::Int));
                let (hi_e, hi_t) = self.expr(ctx, hi, Some(&Type::Int));
                self.expect_type(&lo_t, &Type::Int, lo.span, "the start of a range");
                self.expect_type(&hi_t, &Type::Int, hi.span, "the end of a range");
                ctx.push_scope();
                let slot = ctx.bind(&var.node, Type::Int);
                let body = self.block(ctx, body);
                ctx.pop_scope();
                S::ForRange(slot, lo_e, hi_e, body)
            }
            StmtKind::ForEach(k, v, coll, body) => {
                let (ce, ct) = self.expr(ctx, coll, None);
                let (kt, vt) = match (&ct, v.is_some()) {
                    (Type::List(e), false) | (Type::Set(e), false) => ((**e).clone(), None),
                    (Type::List(e), true) => (Type::Int, Some((**e).clone())),
                    (Type::Map(kt, _), false) => ((**kt).clone(), None),
                    (Type::Map(kt, vt), true) => ((**kt).clone(), Some((**vt).clone())),
                    (Type::Unknown, _) => (Type::Unknown, Some(Type::Unknown)),
                    (other, two) => {
                        let help = if two && matches!(other, Type::Set(_)) {
                            "a set yields one value per element: `for x in s`"
                        } else {
                            "loop over a range (`for i in 0..n`), a list, a set or a map"
                        };
                        self.error(
                            Diagnostic::new(
                                Code::E002,
                                coll.span,
                                format!("cannot loop over {other}"),
                            )
                            .with_label(format!("this is {other}"))
                            .with_help(help),
                        );
                        (Type::Unknown, Some(Type::Unknown))
                    }
                };
                ctx.push_scope();
                let ks = ctx.bind(&k.node, kt);
                let vs = v
                    .as_ref()
                    .map(|v| ctx.bind(&v.node, vt.unwrap_or(Type::Unknown)));
                let body = self.block(ctx, body);
                ctx.pop_scope();
                S::ForEach(ks, vs, ce, body)
            }
            StmtKind::While(_, _) => {
                self.error(
                    Diagnostic::new(Code::E001, span, "Lexum has no `while` loop")
                        .with_label("unbounded loops are not allowed")
                        .with_help("loops are bounded by construction: use `for i in a..b` or `for x in collection`"),
                );
                return None;
            }
            StmtKind::Send {
                target,
                args,
                after,
            } => return self.send(ctx, target, args, after.as_ref(), span),
            StmtKind::Fail(msg) => {
                let (e, t) = self.expr(ctx, msg, Some(&Type::Str));
                self.expect_type(&t, &Type::Str, msg.span, "the reason given to `fail`");
                S::Fail(e)
            }
            StmtKind::Assert(cond, msg) => {
                let (c, t) = self.expr(ctx, cond, Some(&Type::Bool));
                self.expect_type(&t, &Type::Bool, cond.span, "an `assert` condition");
                let m = msg.as_ref().map(|m| {
                    let (e, t) = self.expr(ctx, m, Some(&Type::Str));
                    self.expect_type(&t, &Type::Str, m.span, "the reason given to `assert`");
                    e
                });
                S::Assert(c, m)
            }
            StmtKind::Expr(e) => {
                let (ex, _) = self.expr(ctx, e, None);
                if !matches!(ex.kind, ir::ExprKind::Effect(..))
                    && !matches!(e.node, ast::ExprKind::Error)
                {
                    let mut d = Diagnostic::new(
                        Code::E002,
                        e.span,
                        "the value of this expression is unused",
                    )
                    .with_label("computed, then dropped");
                    if let ast::ExprKind::Binary(ast::BinOp::Eq, _, _) = e.node {
                        d = d.with_help("to assign, write `=`, not `==`");
                    } else {
                        d = d.with_help("bind it with `let`, assign it, or remove it");
                    }
                    self.error(d);
                }
                S::Expr(ex)
            }
        };
        Some(stmt(kind, span))
    }

    fn assign(
        &mut self,
        ctx: &mut BodyCtx,
        place: &ast::Place,
        op: AssignOp,
        value: &ast::Expr,
        span: crate::syntax::span::Span,
    ) -> Option<ir::Stmt> {
        let (root, root_ty) = self.assign_root(ctx, place)?;
        let mut ty = root_ty;
        let mut indices = Vec::with_capacity(place.indices.len());
        for idx in &place.indices {
            let (ie, it) = self.expr(ctx, idx, None);
            ty = self.index_type(&ty, &it, place.span, idx.span);
            indices.push(ie);
        }
        let (ve, vt) = self.expr(ctx, value, Some(&ty));
        match op {
            AssignOp::Set => self.expect_type(&vt, &ty, value.span, "the value assigned"),
            AssignOp::Add => match ty {
                Type::Int | Type::Str | Type::List(_) | Type::Unknown => {
                    self.expect_type(&vt, &ty, value.span, "the value added")
                }
                _ => self.error(
                    Diagnostic::new(
                        Code::E002,
                        place.span,
                        format!("`+=` does not apply to {ty}"),
                    )
                    .with_label(format!("this is {ty}"))
                    .with_help("`+=` adds to an Int or appends to a Str or a List"),
                ),
            },
            AssignOp::Sub => {
                self.expect_type(&ty, &Type::Int, place.span, "the target of `-=`");
                self.expect_type(&vt, &Type::Int, value.span, "the value subtracted");
            }
        }
        if let Root::Var(v) = root {
            ctx.writes.insert(v);
        }
        Some(stmt(
            S::Assign {
                root,
                indices,
                op,
                value: ve,
            },
            span,
        ))
    }

    fn assign_root(&mut self, ctx: &mut BodyCtx, place: &ast::Place) -> Option<(Root, Type)> {
        let path = &place.path;
        let first = &path[0].node;
        if path.len() == 1 {
            if let Some((id, ty)) = ctx.lookup(first) {
                return Some((Root::Local(id), ty.clone()));
            }
            if let Some(&vid) = self.var_index[ctx.domain as usize].get(first) {
                return Some((Root::Var(vid), self.vars[vid as usize].ty.clone()));
            }
            let (owner, near) = self.unknown_name_hints(ctx, first);
            let mut d =
                Diagnostic::new(Code::E002, path[0].span, format!("unknown name `{first}`"))
                    .with_label("not a local, a parameter or a state variable of this domain");
            if let Some(owner) = owner {
                d = d.with_help(format!(
                    "`{first}` belongs to `{owner}`; only `{owner}` may change it: send it a message"
                ));
            } else if let Some(near) = near {
                d = d.with_help(did_you_mean(&near));
            } else {
                d = d.with_help(format!(
                    "declare it first: `let {first} = ...` or `state {first}: Type = ...`"
                ));
            }
            self.error(d);
            return None;
        }
        if path.len() == 2 {
            if let Some(&did) = self.domain_index.get(first) {
                let var = &path[1];
                let Some(&vid) = self.var_index[did as usize].get(&var.node) else {
                    self.error(super::expr::no_such_var(
                        first,
                        var,
                        &self.var_index[did as usize],
                    ));
                    return None;
                };
                if did != ctx.domain {
                    let me = self.domain_names[ctx.domain as usize].clone();
                    let handlers: Vec<String> =
                        self.handler_index[did as usize].keys().cloned().collect();
                    let help = if handlers.is_empty() {
                        format!("declare a handler in `{first}` that changes `{}` and `send` it a message", var.node)
                    } else {
                        format!(
                            "send `{first}` a message instead (its handlers: {})",
                            handlers.join(", ")
                        )
                    };
                    self.error(
                        Diagnostic::new(
                            Code::E004,
                            place.span,
                            format!("domain `{me}` writes `{first}.{}`, which `{first}` owns", var.node),
                        )
                        .with_label("a write to another domain's state")
                        .with_help(help)
                        .with_note("a domain owns its state alone; other domains may read it but not write it"),
                    );
                    return None;
                }
                return Some((Root::Var(vid), self.vars[vid as usize].ty.clone()));
            }
        }
        self.error(
            Diagnostic::new(
                Code::E002,
                path_span(path),
                format!("cannot assign to `{}`", dotted(path)),
            )
            .with_label("unknown domain or variable"),
        );
        None
    }

    fn send(
        &mut self,
        ctx: &mut BodyCtx,
        target: &[ast::Ident],
        args: &[ast::Expr],
        after: Option<&ast::Expr>,
        span: crate::syntax::span::Span,
    ) -> Option<ir::Stmt> {
        let resolved = match target {
            [h] => Some((ctx.domain, h)),
            [d, h] => match self.domain_index.get(&d.node) {
                Some(&did) => Some((did, h)),
                None => {
                    self.error(self.unknown_domain(d));
                    None
                }
            },
            _ => {
                self.error(
                    Diagnostic::new(
                        Code::E002,
                        path_span(target),
                        "a message target is `Domain.handler`",
                    )
                    .with_label("too many parts"),
                );
                None
            }
        };
        let (did, h) = resolved?;
        let Some(&hid) = self.handler_index[did as usize].get(&h.node) else {
            let dname = &self.domain_names[did as usize];
            let known: Vec<String> = self.handler_index[did as usize].keys().cloned().collect();
            self.error(
                Diagnostic::new(
                    Code::E002,
                    h.span,
                    format!("domain `{dname}` has no handler `{}`", h.node),
                )
                .with_label("unknown message")
                .with_help(
                    match (
                        closest(&h.node, known.iter().map(String::as_str)),
                        known.is_empty(),
                    ) {
                        (Some(near), _) => {
                            format!(
                                "{} (its handlers: {})",
                                did_you_mean(near),
                                known.join(", ")
                            )
                        }
                        (None, true) => {
                            format!("declare it in `{dname}`: `on {}(...) {{ ... }}`", h.node)
                        }
                        (None, false) => format!("its handlers: {}", known.join(", ")),
                    },
                ),
            );
            return None;
        };
        let params = self.handlers[hid as usize].params.clone();
        let what = format!(
            "message `{}.{}`",
            self.domain_names[did as usize], self.handlers[hid as usize].name
        );
        let args = self.arguments(ctx, &params, args, span, &what, path_span(target));
        let after = after.map(|a| {
            let (e, t) = self.expr(ctx, a, Some(&Type::Int));
            self.expect_type(&t, &Type::Int, a.span, "the delay after `after`");
            e
        });
        ctx.sends.insert(hid);
        Some(stmt(
            S::Send {
                handler: hid,
                args,
                after,
            },
            span,
        ))
    }
}
