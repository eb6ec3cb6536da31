//! Expressions: name resolution to slots, types, and the purity rules (E003)
//! that depend on where the expression stands.

use super::scope::{BodyCtx, Mode};
use super::{dotted, path_span, Checker, WALL_CLOCK_NAMES};
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::{self, Builtin, ExprKind as K};
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};
use crate::syntax::span::Span;
use crate::types::Type;
use crate::value::Value;

/// Deeper expressions than this are rejected (E001) so no later recursive pass
/// can run out of stack.
pub const MAX_EXPR_DEPTH: usize = 512;

use super::suggest::{closest, did_you_mean};

fn mk(kind: K, span: Span) -> ir::Expr {
    ir::Expr {
        kind,
        span,
        shape: ir::Shape::Other,
    }
}

/// E002 for `Domain.var` when the domain has no such variable.
pub(crate) fn no_such_var(
    domain: &str,
    var: &ast::Ident,
    known: &std::collections::BTreeMap<String, ir::VarId>,
) -> Diagnostic {
    let d = Diagnostic::new(
        Code::E002,
        var.span,
        format!("domain `{domain}` has no state variable `{}`", var.node),
    )
    .with_label("unknown variable");
    match closest(&var.node, known.keys().map(String::as_str)) {
        Some(k) => d.with_help(did_you_mean(&format!("{domain}.{k}"))),
        None => d,
    }
}

fn error_expr(span: Span) -> (ir::Expr, Type) {
    (mk(K::Const(Value::Int(0)), span), Type::Unknown)
}

impl Checker {
    pub(crate) fn expr(
        &mut self,
        ctx: &mut BodyCtx,
        e: &ast::Expr,
        expected: Option<&Type>,
    ) -> (ir::Expr, Type) {
        ctx.depth += 1;
        let out = if ctx.depth > MAX_EXPR_DEPTH {
            if ctx.depth == MAX_EXPR_DEPTH + 1 {
                self.error(
                    Diagnostic::new(
                        Code::E001,
                        e.span,
                        format!(
                            "expression more than {MAX_EXPR_DEPTH} levels deep (each operator of a chain like `a + b + c` is a level: the expression is a tree)"
                        ),
                    )
                    .with_label("too deep")
                    .with_help("split the expression with `let` bindings, for example a partial sum every few hundred terms"),
                );
            }
            error_expr(e.span)
        } else {
            let (mut ex, ty) = self.expr_inner(ctx, e, expected);
            ex.shape = ir::Shape::of(&ty);
            (ex, ty)
        };
        ctx.depth -= 1;
        out
    }

    fn expr_inner(
        &mut self,
        ctx: &mut BodyCtx,
        e: &ast::Expr,
        expected: Option<&Type>,
    ) -> (ir::Expr, Type) {
        let span = e.span;
        match &e.node {
            ExprKind::Error => error_expr(span),
            ExprKind::Int(digits) => match digits.parse::<i64>() {
                Ok(i) => (mk(K::Const(Value::Int(i)), span), Type::Int),
                Err(_) => {
                    self.error(
                        Diagnostic::new(
                            Code::E002,
                            span,
                            "integer literal does not fit in Int (a 64-bit signed integer)",
                        )
                        .with_label("out of range")
                        .with_help(format!(
                            "Int ranges from {} to {}",
                            i64::MIN,
                            i64::MAX
                        )),
                    );
                    error_expr(span)
                }
            },
            ExprKind::Str(s) => (mk(K::Const(Value::str(s)), span), Type::Str),
            ExprKind::Bool(b) => (mk(K::Const(Value::Bool(*b)), span), Type::Bool),
            ExprKind::Tick => {
                if ctx.mode == Mode::Init {
                    self.error(
                        Diagnostic::new(Code::E002, span, "an initial value cannot read `tick`")
                            .with_label("not a constant")
                            .with_help("initial values are constants; the clock starts at 0"),
                    );
                }
                ctx.uses_tick = true;
                (mk(K::Tick, span), Type::Int)
            }
            ExprKind::List(items) => {
                let want = match expected {
                    Some(Type::List(t)) => Some((**t).clone()),
                    _ => None,
                };
                let (items, elem) = self.elements(ctx, items, want);
                (mk(K::List(items), span), Type::list(elem))
            }
            ExprKind::Set(items) => {
                let want = match expected {
                    Some(Type::Set(t)) => Some((**t).clone()),
                    _ => None,
                };
                let (items, elem) = self.elements(ctx, items, want);
                (mk(K::Set(items), span), Type::set(elem))
            }
            ExprKind::Map(entries) => {
                // `{}` is whichever of map or set the context wants.
                if entries.is_empty() {
                    if let Some(Type::Set(t)) = expected {
                        return (mk(K::Set(vec![]), span), Type::set((**t).clone()));
                    }
                }
                let (mut kt, mut vt) = match expected {
                    Some(Type::Map(k, v)) => ((**k).clone(), (**v).clone()),
                    _ => (Type::Unknown, Type::Unknown),
                };
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let (ke, kty) = self.expr(ctx, k, Some(&kt));
                    let (ve, vty) = self.expr(ctx, v, Some(&vt));
                    self.expect_type(&kty, &kt, k.span, "every key of this map");
                    self.expect_type(&vty, &vt, v.span, "every value of this map");
                    kt = kt.unify(&kty);
                    vt = vt.unify(&vty);
                    out.push((ke, ve));
                }
                (mk(K::Map(out), span), Type::map(kt, vt))
            }
            ExprKind::Path(path) => self.path(ctx, path, span),
            ExprKind::Call(path, args) => self.call(ctx, path, args, span),
            ExprKind::Index(base, idx) => {
                let (be, bt) = self.expr(ctx, base, None);
                let (ie, it) = self.expr(ctx, idx, None);
                let elem = self.index_type(&bt, &it, base.span, idx.span);
                (mk(K::Index(Box::new(be), Box::new(ie)), span), elem)
            }
            ExprKind::Unary(op, inner) => {
                // `-9223372036854775808` is a literal, not a negated overflow.
                if let (UnOp::Neg, ExprKind::Int(d)) = (op, &inner.node) {
                    if let Ok(i) = format!("-{d}").parse::<i64>() {
                        return (mk(K::Const(Value::Int(i)), span), Type::Int);
                    }
                }
                let want = match op {
                    UnOp::Neg => Type::Int,
                    UnOp::Not => Type::Bool,
                };
                let (ie, it) = self.expr(ctx, inner, Some(&want));
                let what = match op {
                    UnOp::Neg => "the operand of `-`",
                    UnOp::Not => "the operand of `!`",
                };
                self.expect_type(&it, &want, inner.span, what);
                (mk(K::Unary(*op, Box::new(ie)), span), want)
            }
            ExprKind::Binary(op, a, b) => self.binary(ctx, *op, a, b, span),
        }
    }

    fn elements(
        &mut self,
        ctx: &mut BodyCtx,
        items: &[ast::Expr],
        want: Option<Type>,
    ) -> (Vec<ir::Expr>, Type) {
        let mut elem = want.unwrap_or(Type::Unknown);
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            let (e, t) = self.expr(ctx, it, Some(&elem));
            self.expect_type(&t, &elem, it.span, "every element");
            elem = elem.unify(&t);
            out.push(e);
        }
        (out, elem)
    }

    /// The type of `base[idx]`: a list's element by Int, a map's value by key.
    pub(crate) fn index_type(&mut self, bt: &Type, it: &Type, bspan: Span, ispan: Span) -> Type {
        match bt {
            Type::List(t) => {
                self.expect_type(it, &Type::Int, ispan, "a list index");
                (**t).clone()
            }
            Type::Map(k, v) => {
                self.expect_type(it, k, ispan, "this map's key");
                (**v).clone()
            }
            Type::Unknown => Type::Unknown,
            other => {
                self.error(
                    Diagnostic::new(Code::E002, bspan, format!("cannot index into {other}"))
                        .with_label(format!("this is {other}"))
                        .with_help("only lists (by Int) and maps (by key) can be indexed"),
                );
                Type::Unknown
            }
        }
    }

    fn binary(
        &mut self,
        ctx: &mut BodyCtx,
        op: BinOp,
        a: &ast::Expr,
        b: &ast::Expr,
        span: Span,
    ) -> (ir::Expr, Type) {
        let hint = match op {
            BinOp::And | BinOp::Or => Some(Type::Bool),
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => Some(Type::Int),
            _ => None,
        };
        let (ae, at) = self.expr(ctx, a, hint.as_ref());
        let (be, bt) = self.expr(ctx, b, Some(hint.as_ref().unwrap_or(&at)));
        let sym = op.symbol();
        let result = match op {
            BinOp::And | BinOp::Or => {
                self.expect_type(
                    &at,
                    &Type::Bool,
                    a.span,
                    format_args!("the left operand of `{sym}`"),
                );
                self.expect_type(
                    &bt,
                    &Type::Bool,
                    b.span,
                    format_args!("the right operand of `{sym}`"),
                );
                Type::Bool
            }
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                self.expect_type(
                    &at,
                    &Type::Int,
                    a.span,
                    format_args!("the left operand of `{sym}`"),
                );
                self.expect_type(
                    &bt,
                    &Type::Int,
                    b.span,
                    format_args!("the right operand of `{sym}`"),
                );
                Type::Int
            }
            BinOp::Add => match (&at, &bt) {
                (Type::Int, _) | (Type::Str, _) | (Type::List(_), _) => {
                    self.expect_type(&bt, &at, b.span, "the right operand of `+`");
                    at.unify(&bt)
                }
                (Type::Unknown, _) => bt.clone(),
                _ => {
                    self.error(
                        Diagnostic::new(Code::E002, a.span, format!("`+` does not apply to {at}"))
                            .with_label(format!("this is {at}"))
                            .with_help("`+` adds Ints and joins Strs or Lists"),
                    );
                    Type::Unknown
                }
            },
            BinOp::Eq | BinOp::Ne => {
                if !bt.fits(&at) {
                    self.error(
                        Diagnostic::new(Code::E002, span, format!("cannot compare {at} with {bt}"))
                            .with_label("different types")
                            .with_help("both sides of `==` and `!=` must have the same type"),
                    );
                }
                Type::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                match at {
                    Type::Int | Type::Str | Type::Unknown => self.expect_type(
                        &bt,
                        &at,
                        b.span,
                        format_args!("the right operand of `{sym}`"),
                    ),
                    _ => self.error(
                        Diagnostic::new(Code::E002, a.span, format!("`{sym}` does not order {at}"))
                            .with_label(format!("this is {at}"))
                            .with_help(
                                "only Int and Str values are ordered with `<`, `<=`, `>`, `>=`",
                            ),
                    ),
                }
                Type::Bool
            }
        };
        (mk(K::Binary(op, Box::new(ae), Box::new(be)), span), result)
    }

    fn read_var(&mut self, ctx: &mut BodyCtx, vid: ir::VarId, span: Span) -> (ir::Expr, Type) {
        if ctx.mode == Mode::Init {
            let q = self.vars[vid as usize].qualified.clone();
            self.error(
                Diagnostic::new(
                    Code::E002,
                    span,
                    format!("an initial value cannot read state (`{q}`)"),
                )
                .with_label("not a constant")
                .with_help("write the value itself; initial values are constants"),
            );
        }
        ctx.reads.insert(vid);
        let ty = self.vars[vid as usize].ty.clone();
        (mk(K::Var(vid), span), ty)
    }

    fn wall_clock(&mut self, ctx: &BodyCtx, name: &str, span: Span) {
        match ctx.mode {
            Mode::Pure(what) => self.error(
                Diagnostic::new(
                    Code::E003,
                    span,
                    format!("impure {what}: violates No Wall-Clock (`{name}` reads a clock or a random source)"),
                )
                .with_label("not deterministic")
                .with_help("the only time in Lexum is the logical clock `tick`"),
            ),
            _ => self.error(
                Diagnostic::new(Code::E002, span, format!("unknown name `{name}`"))
                    .with_label("Lexum has no wall clock or randomness")
                    .with_help("use the logical clock `tick`; randomness comes from effects"),
            ),
        }
    }

    fn path(&mut self, ctx: &mut BodyCtx, path: &[ast::Ident], span: Span) -> (ir::Expr, Type) {
        let first = &path[0].node;
        if path.len() == 1 {
            if let Some((id, ty)) = ctx.lookup(first) {
                let ty = ty.clone();
                return (mk(K::Local(id), span), ty);
            }
            if let Some(&vid) = self.var_index[ctx.domain as usize].get(first) {
                return self.read_var(ctx, vid, span);
            }
            if WALL_CLOCK_NAMES.contains(&first.as_str()) {
                self.wall_clock(ctx, first, span);
                return error_expr(span);
            }
            let (owner, near) = self.unknown_name_hints(ctx, first);
            let mut d = Diagnostic::new(Code::E002, span, format!("unknown name `{first}`"))
                .with_label("not a local, a parameter or a state variable of this domain");
            if let Some(owner) = owner {
                d = d.with_help(format!(
                    "to read another domain's state, qualify it: `{owner}.{first}`"
                ));
            } else if Builtin::from_name(first).is_some() {
                d = d.with_help(format!(
                    "`{first}` is a builtin function: call it, `{first}(...)`"
                ));
            } else if let Some(near) = near {
                d = d.with_help(did_you_mean(&near));
            }
            self.error(d);
            return error_expr(span);
        }
        if path.len() == 2 {
            if let Some(&did) = self.domain_index.get(first) {
                let var = &path[1];
                if let Some(&vid) = self.var_index[did as usize].get(&var.node) {
                    return self.read_var(ctx, vid, span);
                }
                self.error(no_such_var(first, var, &self.var_index[did as usize]));
                return error_expr(span);
            }
        }
        let name = dotted(path);
        if self.effect_index.contains_key(&name) {
            self.error(
                Diagnostic::new(Code::E002, span, format!("effect `{name}` must be called"))
                    .with_label("missing arguments")
                    .with_help(format!("write `{name}(...)`")),
            );
        } else {
            self.error(self.unknown_domain(&path[0]));
        }
        error_expr(span)
    }

    /// For a single name that is not in scope: the domain that owns a
    /// variable of that name (if another does), and the closest local or
    /// variable of this domain (a likely typo).
    pub(crate) fn unknown_name_hints(
        &self,
        ctx: &BodyCtx,
        name: &str,
    ) -> (Option<String>, Option<String>) {
        let owner = self
            .var_index
            .iter()
            .enumerate()
            .find(|(_, vars)| vars.contains_key(name))
            .map(|(d, _)| self.domain_names[d].clone());
        let near = closest(
            name,
            ctx.local_names().chain(
                self.var_index[ctx.domain as usize]
                    .keys()
                    .map(String::as_str),
            ),
        )
        .map(str::to_string);
        (owner, near)
    }

    /// E002 for a domain name no domain has.
    pub(crate) fn unknown_domain(&self, d: &ast::Ident) -> Diagnostic {
        let e = Diagnostic::new(Code::E002, d.span, format!("unknown domain `{}`", d.node))
            .with_label("no domain of this name");
        match closest(&d.node, self.domain_names.iter().map(String::as_str)) {
            Some(k) => e.with_help(did_you_mean(k)),
            None => e,
        }
    }

    fn call(
        &mut self,
        ctx: &mut BodyCtx,
        path: &[ast::Ident],
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, Type) {
        let name = dotted(path);
        if let Some(&eid) = self.effect_index.get(&name) {
            return self.effect_call(ctx, eid, &name, path, args, span);
        }
        if path.len() == 1 {
            if let Some(b) = Builtin::from_name(&name) {
                let mut checked = Vec::with_capacity(args.len());
                let mut types = Vec::with_capacity(args.len());
                for a in args {
                    let (e, t) = self.expr(ctx, a, None);
                    checked.push(e);
                    types.push(t);
                }
                let ty = self.builtin_type(b, &types, args, span);
                return (mk(K::Builtin(b, checked), span), ty);
            }
            if WALL_CLOCK_NAMES.contains(&name.as_str()) {
                self.wall_clock(ctx, &name, span);
                return error_expr(span);
            }
        }
        let mut d = Diagnostic::new(
            Code::E002,
            path_span(path),
            format!("unknown function `{name}`"),
        )
        .with_label("not a builtin or a declared effect");
        let near = closest(
            &name,
            Builtin::ALL
                .iter()
                .map(|(n, _)| *n)
                .chain(self.effect_index.keys().map(String::as_str)),
        );
        if path.len() == 2 && self.domain_index.contains_key(&path[0].node) {
            d = d.with_help(format!(
                "to deliver a message, write `send {name}(...)` as a statement"
            ));
        } else if let Some(near) = near {
            d = d.with_help(did_you_mean(near));
        } else {
            d = d.with_help("declare effects with `effect name(params) -> Type`; builtins are len, contains, min, max, abs, get, keys, values, push, insert, remove, sum, str");
        }
        self.error(d);
        for a in args {
            self.expr(ctx, a, None);
        }
        error_expr(span)
    }

    fn effect_call(
        &mut self,
        ctx: &mut BodyCtx,
        eid: ir::EffectId,
        name: &str,
        path: &[ast::Ident],
        args: &[ast::Expr],
        span: Span,
    ) -> (ir::Expr, Type) {
        match ctx.mode {
            Mode::Pure(what) => self.error(
                Diagnostic::new(
                    Code::E003,
                    span,
                    format!("impure {what}: violates No Effects (it calls the effect `{name}`)"),
                )
                .with_label("an effect call")
                .with_help(format!(
                    "call effects in a repair or a handler; a {what} only reads state"
                )),
            ),
            Mode::Init => self.error(
                Diagnostic::new(
                    Code::E002,
                    span,
                    format!("an initial value cannot call the effect `{name}`"),
                )
                .with_label("not a constant")
                .with_help("call effects in a handler or a repair and store the result"),
            ),
            Mode::Action => {}
        }
        let params = self.effects[eid as usize].params.clone();
        let ret = self.effects[eid as usize].ret.clone();
        let checked = self.arguments(
            ctx,
            &params,
            args,
            span,
            format_args!("effect `{name}`"),
            path_span(path),
        );
        (mk(K::Effect(eid, checked), span), ret)
    }

    /// Checks call arguments against parameters (arity, then each type).
    pub(crate) fn arguments(
        &mut self,
        ctx: &mut BodyCtx,
        params: &[(String, Type)],
        args: &[ast::Expr],
        span: Span,
        what: impl std::fmt::Display,
        name_span: Span,
    ) -> Vec<ir::Expr> {
        if params.len() != args.len() {
            self.error(
                Diagnostic::new(
                    Code::E002,
                    span,
                    format!(
                        "{what} takes {} argument{}, found {}",
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_label("wrong number of arguments")
                .with_secondary(
                    name_span,
                    format!(
                        "expects ({})",
                        params
                            .iter()
                            .map(|(n, t)| format!("{n}: {t}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            );
        }
        let mut out = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let want = params.get(i).map(|(_, t)| t.clone());
            let (e, t) = self.expr(ctx, a, want.as_ref());
            if let Some((pname, pt)) = params.get(i) {
                self.expect_type(&t, pt, a.span, format_args!("argument `{pname}`"));
            }
            out.push(e);
        }
        out
    }
}
