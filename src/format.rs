//! `lexum fmt`: one canonical layout for a program (issue 16). The printer
//! works on the parsed AST, so the layout never depends on how the source
//! was spaced; literals are copied from the source as written; parentheses
//! are the ones precedence needs. Line breaking is Wadler-style (`pretty`),
//! at 100 columns.
//!
//! Comments are not in the AST: they are found again in the source
//! (`comments.rs`) and put back where they stood between members,
//! statements and items, with blank lines kept (at most one) where the
//! source had them. A comment inside an expression or a header follows
//! the statement that holds it. The output parses to the same AST, keeps
//! every comment in order, and formats to itself (tests/format.rs).

pub mod comments;

use pretty::RcDoc;

use crate::diag::Diagnostic;
use crate::syntax::ast::{
    self, AssignOp, BinOp, Block, Domain, EffectDecl, Expr, ExprKind, Member, Stmt, StmtKind,
    TypeExpr, UnOp,
};
use crate::syntax::span::Span;
use comments::Comment;

/// The width lines are broken at.
pub const WIDTH: usize = 100;

type Doc = RcDoc<'static, ()>;

/// The canonical layout of `src`, or its syntax errors (nothing is
/// formatted that does not parse).
pub fn format_source(src: &str) -> Result<String, Vec<Diagnostic>> {
    let (program, diags) = crate::syntax::parse(src);
    let program = match program {
        Some(p) if !diags.iter().any(|d| d.is_error()) => p,
        _ => return Err(diags),
    };
    let mut p = Printer {
        src,
        comments: comments::scan(src),
        next: 0,
    };
    let doc = p.program(&program);
    if program.domains.len() + program.effects.len() > 64 {
        crate::check::free_in_background(program);
    }
    let mut out = String::new();
    doc.render_fmt(WIDTH, &mut out)
        .expect("rendering to a String cannot fail");
    // Indentation on empty lines, and trailing spaces, are not kept.
    let mut text: String = out
        .lines()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    if !text.is_empty() {
        text.push('\n');
    }
    Ok(text)
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    /// The first comment not printed yet.
    next: usize,
}

fn text(s: impl Into<String>) -> Doc {
    RcDoc::text(s.into())
}

/// Lines, one blank line where `blank` says.
fn lines(items: Vec<(bool, Doc)>) -> Doc {
    let mut doc = RcDoc::nil();
    for (i, (blank, d)) in items.into_iter().enumerate() {
        if i > 0 {
            doc = doc.append(RcDoc::hardline());
            if blank {
                doc = doc.append(RcDoc::hardline());
            }
        }
        doc = doc.append(d);
    }
    doc
}

/// `a, b, c` inside `open`/`close`, on one line if it fits, else one per
/// line with a trailing comma.
fn delimited(open: &str, items: Vec<Doc>, close: &str) -> Doc {
    if items.is_empty() {
        return text(format!("{open}{close}"));
    }
    let sep = text(",").append(RcDoc::line());
    text(open.to_string())
        .append(
            RcDoc::line_()
                .append(RcDoc::intersperse(items, sep))
                .append(text(",").flat_alt(RcDoc::nil()))
                .nest(4),
        )
        .append(RcDoc::line_())
        .append(text(close.to_string()))
        .group()
}

fn dotted(path: &[ast::Ident]) -> String {
    path.iter()
        .map(|i| i.node.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// Binding strength, loosest first (the parser's levels).
fn precedence(e: &Expr) -> u8 {
    match &e.node {
        ExprKind::Binary(op, ..) => match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 5,
        },
        ExprKind::Unary(..) => 6,
        ExprKind::Index(..) => 7,
        _ => 8,
    }
}

/// Whether an expression's first token could continue the one before it
/// (`-x`, `(a)`, `[1]`): such a statement is separated by `;`.
fn starts_ambiguously(e: &Expr) -> bool {
    match &e.node {
        ExprKind::Unary(UnOp::Neg, _) | ExprKind::List(_) => true,
        ExprKind::Binary(_, l, _) => precedence(l) < precedence(e) || starts_ambiguously(l),
        ExprKind::Index(b, _) => precedence(b) < 7 || starts_ambiguously(b),
        _ => false,
    }
}

fn stmt_starts_ambiguously(s: &Stmt) -> bool {
    matches!(&s.node, StmtKind::Expr(e) if starts_ambiguously(e))
}

impl Printer<'_> {
    fn source(&self, span: Span) -> String {
        self.src[span.start..span.end].to_string()
    }

    fn blank_between(&self, from: usize, to: usize) -> bool {
        let gap = &self.src[from.min(to)..to];
        let mut newlines = 0;
        for c in gap.chars() {
            if c == '\n' {
                newlines += 1;
                if newlines >= 2 {
                    return true;
                }
            } else if !c.is_whitespace() {
                newlines = 0;
            }
        }
        false
    }

    fn peek(&self, before: usize) -> Option<&Comment> {
        self.comments.get(self.next).filter(|c| c.start < before)
    }

    /// A list of elements (items, members, statements) between source
    /// positions `start` and `end`, each on its own line, with the comments
    /// among them; whether any comment was printed.
    fn list<T>(
        &mut self,
        items: &[T],
        start: usize,
        end: usize,
        span_of: impl Fn(&T) -> Span,
        mut render: impl FnMut(&mut Self, &T, Option<&T>) -> Doc,
        force_blank: impl Fn(&T, &T) -> bool,
    ) -> (Vec<(bool, Doc)>, bool) {
        let mut out: Vec<(bool, Doc)> = Vec::new();
        let mut cursor = start;
        let mut any_comment = false;
        for (i, item) in items.iter().enumerate() {
            let span = span_of(item);
            while let Some(c) = self.peek(span.start).cloned() {
                self.own_line(&mut out, &mut cursor, &c);
                any_comment = true;
            }
            let blank = !out.is_empty()
                && (self.blank_between(cursor, span.start)
                    || (i > 0 && force_blank(&items[i - 1], item)));
            let mut doc = render(self, item, items.get(i + 1));
            // Comments inside the element that no inner list took, then one
            // that ends the element's last line: after the element.
            let mut after: Vec<Comment> = Vec::new();
            while let Some(c) = self.peek(span.end).cloned() {
                after.push(c);
                self.next += 1;
            }
            let mut line_end = after.last().map_or(span.end, |c| c.end).max(span.end);
            while let Some(c) = self.peek(end).cloned() {
                if self.src[line_end.min(c.start)..c.start].contains('\n') {
                    break;
                }
                line_end = c.end;
                after.push(c);
                self.next += 1;
            }
            cursor = span.end;
            let mut line_comment = false;
            for c in after {
                doc = if line_comment {
                    doc.append(RcDoc::hardline())
                } else {
                    doc.append(text(" "))
                }
                .append(text(c.text.clone()));
                line_comment = c.ends_line();
                cursor = cursor.max(c.end);
                any_comment = true;
            }
            out.push((blank, doc));
        }
        while let Some(c) = self.peek(end).cloned() {
            self.own_line(&mut out, &mut cursor, &c);
            any_comment = true;
        }
        (out, any_comment)
    }

    /// A comment between elements: on a line of its own, or after the
    /// comment before it when the source has both on one line (and that
    /// one is a block comment).
    fn own_line(&mut self, out: &mut Vec<(bool, Doc)>, cursor: &mut usize, c: &Comment) {
        self.next += 1;
        let same_line = !self.src[(*cursor).min(c.start)..c.start].contains('\n');
        let after_block = self.comments[..self.next - 1]
            .last()
            .is_some_and(|p| p.end == *cursor && !p.ends_line());
        if same_line && after_block {
            if let Some((blank, last)) = out.pop() {
                out.push((blank, last.append(text(" ")).append(text(c.text.clone()))));
                *cursor = c.end;
                return;
            }
        }
        let blank = !out.is_empty() && self.blank_between(*cursor, c.start);
        out.push((blank, text(c.text.clone())));
        *cursor = c.end;
    }

    fn program(&mut self, p: &ast::Program) -> Doc {
        let mut items: Vec<Item> = p
            .effects
            .iter()
            .map(Item::Effect)
            .chain(p.domains.iter().map(Item::Domain))
            .collect();
        items.sort_by_key(|i| i.span().start);
        // Each item is rendered on its own (at column 0, where it stands),
        // with the comments inside it; those between items are placed here.
        let rendered = render_items(self.src, &self.comments, &items);
        let mut next = rendered.into_iter();
        let (lines_, _) = self.list(
            &items,
            0,
            self.src.len(),
            Item::span,
            |p, item, _| {
                let span = item.span();
                while p.peek(span.end).is_some() {
                    p.next += 1; // rendered with the item
                }
                text(next.next().unwrap_or_default())
            },
            // A domain stands apart from what is around it.
            |a, b| matches!(a, Item::Domain(_)) || matches!(b, Item::Domain(_)),
        );
        lines(lines_)
    }

    fn effect(&mut self, e: &EffectDecl) -> Doc {
        text(format!("effect {}", dotted(&e.name.node)))
            .append(self.params(&e.params))
            .append(text(" -> "))
            .append(text(type_expr(&e.ret.node)))
    }

    fn params(&mut self, params: &[ast::Param]) -> Doc {
        delimited(
            "(",
            params
                .iter()
                .map(|p| text(format!("{}: {}", p.name.node, type_expr(&p.ty.node))))
                .collect(),
            ")",
        )
    }

    fn domain(&mut self, d: &Domain) -> Doc {
        let mut head = format!("domain {}", d.name.node);
        if let Some(p) = &d.priority {
            head.push_str(&format!(" priority {}", p.node));
        }
        if let Some(r) = &d.retry {
            head.push_str(&format!(" retry {}", self.source(r.span)));
        }
        // Comments between the header and `{` go inside, first.
        let header_end = [
            Some(d.name.span.end),
            d.priority.as_ref().map(|p| p.span.end),
            d.retry.as_ref().map(|r| r.span.end),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(d.span.start);
        let (members, _) = self.list(
            &d.members,
            header_end,
            d.span.end.saturating_sub(1),
            member_span,
            |p, m, _| p.member(m),
            |_, _| false,
        );
        if members.is_empty() {
            return text(head).append(text(" {}"));
        }
        text(head)
            .append(text(" {"))
            .append(RcDoc::hardline().append(lines(members)).nest(2))
            .append(RcDoc::hardline())
            .append(text("}"))
    }

    fn member(&mut self, m: &Member) -> Doc {
        match m {
            Member::State(s) => text(format!(
                "state {}: {} = ",
                s.name.node,
                type_expr(&s.ty.node)
            ))
            .append(self.expr(&s.init)),
            Member::Goal(g) => {
                let head = text(format!("goal {}: ", g.name.node)).append(self.stmt(&g.cond, None));
                match &g.repair {
                    None => head,
                    Some(b) => head.append(
                        RcDoc::hardline()
                            .append(text("repair "))
                            .append(self.block(b))
                            .nest(2),
                    ),
                }
            }
            Member::Invariant(i) => {
                text(format!("invariant {}: ", i.name.node)).append(self.stmt(&i.cond, None))
            }
            Member::Handler(h) => text(format!("on {}", h.name.node))
                .append(self.params(&h.params))
                .append(text(" "))
                .append(self.block(&h.body)),
            Member::Error => RcDoc::nil(),
        }
    }

    /// `{ stmt }` on one line when it holds one statement that fits and
    /// no comment; otherwise one statement per line.
    fn block(&mut self, b: &Block) -> Doc {
        self.block_in(b, true)
    }

    /// A block; `may_fold`: whether one statement may share the braces'
    /// line (not when a sibling branch of the same `if` cannot).
    fn block_in(&mut self, b: &Block, may_fold: bool) -> Doc {
        let inner_start = (b.span.start + 1).min(b.span.end);
        let inner_end = b.span.end.saturating_sub(1).max(inner_start);
        let (stmts, commented) = self.list(
            &b.node,
            inner_start,
            inner_end,
            |s| s.span,
            |p, s, next| p.stmt(s, next),
            |_, _| false,
        );
        match stmts.len() {
            0 => text("{}"),
            1 if !commented && may_fold => text("{")
                .append(RcDoc::line().append(lines(stmts)).nest(2))
                .append(RcDoc::line())
                .append(text("}"))
                .group(),
            _ => text("{")
                .append(RcDoc::hardline().append(lines(stmts)).nest(2))
                .append(RcDoc::hardline())
                .append(text("}")),
        }
    }

    /// A statement; `next` is the one after it in its block (a `;` keeps
    /// them apart when the next could be read as part of this one).
    fn stmt(&mut self, s: &Stmt, next: Option<&Stmt>) -> Doc {
        let doc = match &s.node {
            StmtKind::Let(name, e) => text(format!("let {} = ", name.node)).append(self.expr(e)),
            StmtKind::Assign(place, op, e) => {
                let mut target = text(dotted(&place.path));
                for i in &place.indices {
                    target = target
                        .append(text("["))
                        .append(self.expr(i))
                        .append(text("]"));
                }
                let op = match op {
                    AssignOp::Set => " = ",
                    AssignOp::Add => " += ",
                    AssignOp::Sub => " -= ",
                };
                target.append(text(op)).append(self.expr(e))
            }
            StmtKind::If(..) => {
                // The branches of one chain fold alike: all on one line
                // each, or none.
                let fold = if_branches(s).iter().all(|b| b.node.len() <= 1);
                self.if_chain(s, fold)
            }
            StmtKind::ForRange(i, lo, hi, body) => text(format!("for {} in ", i.node))
                .append(self.expr(lo))
                .append(text(".."))
                .append(self.expr(hi))
                .append(text(" "))
                .append(self.block(body)),
            StmtKind::ForEach(k, v, coll, body) => {
                let vars = match v {
                    Some(v) => format!("{}, {}", k.node, v.node),
                    None => k.node.clone(),
                };
                text(format!("for {vars} in "))
                    .append(self.expr(coll))
                    .append(text(" "))
                    .append(self.block(body))
            }
            StmtKind::Send {
                target,
                args,
                after,
            } => {
                let args = args.iter().map(|a| self.expr(a)).collect();
                let mut d =
                    text(format!("send {}", dotted(target))).append(delimited("(", args, ")"));
                if let Some(a) = after {
                    d = d.append(text(" after ")).append(self.expr(a));
                }
                d
            }
            StmtKind::Fail(e) => text("fail ").append(self.expr(e)),
            StmtKind::Assert(c, m) => {
                let mut d = text("assert ").append(self.expr(c));
                if let Some(m) = m {
                    d = d.append(text(", ")).append(self.expr(m));
                }
                d
            }
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::While(c, body) => text("while ")
                .append(self.expr(c))
                .append(text(" "))
                .append(self.block(body)),
            StmtKind::Error => RcDoc::nil(),
        };
        if next.is_some_and(stmt_starts_ambiguously) {
            doc.append(text(";"))
        } else {
            doc
        }
    }

    /// `if ... else if ... else ...`, each block folded only if `fold`.
    fn if_chain(&mut self, s: &Stmt, fold: bool) -> Doc {
        let StmtKind::If(c, then, otherwise) = &s.node else {
            return self.stmt(s, None);
        };
        let mut d = text("if ")
            .append(self.expr(c))
            .append(text(" "))
            .append(self.block_in(then, fold));
        if let Some(b) = otherwise {
            d = d.append(text(" else "));
            d = match else_if(b) {
                Some(inner) => d.append(self.if_chain(inner, fold)),
                None => d.append(self.block_in(b, fold)),
            };
        }
        d
    }

    /// An expression as one group: it breaks at its operators only when
    /// it does not fit.
    fn expr(&mut self, e: &Expr) -> Doc {
        self.operand(e).nest(4).group()
    }

    fn operand(&mut self, e: &Expr) -> Doc {
        match &e.node {
            ExprKind::Int(_) | ExprKind::Str(_) => text(self.source(e.span)),
            ExprKind::Bool(b) => text(b.to_string()),
            ExprKind::Tick => text("tick"),
            ExprKind::Path(p) => text(dotted(p)),
            ExprKind::Call(p, args) => {
                let args = args.iter().map(|a| self.expr(a)).collect();
                text(dotted(p)).append(delimited("(", args, ")"))
            }
            ExprKind::List(xs) => {
                let xs = xs.iter().map(|x| self.expr(x)).collect();
                delimited("[", xs, "]")
            }
            ExprKind::Set(xs) => {
                let xs = xs.iter().map(|x| self.expr(x)).collect();
                delimited("{", xs, "}")
            }
            ExprKind::Map(kvs) => {
                let kvs = kvs
                    .iter()
                    .map(|(k, v)| self.expr(k).append(text(": ")).append(self.expr(v)))
                    .collect();
                delimited("{", kvs, "}")
            }
            ExprKind::Index(base, i) => {
                let base = self.wrapped(base, precedence(base) < 7);
                base.append(text("["))
                    .append(self.expr(i))
                    .append(text("]"))
            }
            ExprKind::Unary(op, x) => {
                let op = match (op, &x.node) {
                    // `- -x`, not `--x`.
                    (UnOp::Neg, ExprKind::Unary(UnOp::Neg, _)) => "- ",
                    (UnOp::Neg, _) => "-",
                    (UnOp::Not, _) => "!",
                };
                text(op).append(self.wrapped(x, precedence(x) < 6))
            }
            ExprKind::Binary(op, l, r) => {
                let p = precedence(e);
                // Comparisons do not chain; every level is left-associative.
                // `&&` inside `||` keeps its parentheses, for the reader.
                let and_in_or = |x: &Expr| {
                    *op == BinOp::Or && matches!(x.node, ExprKind::Binary(BinOp::And, ..))
                };
                let left = self.wrapped(
                    l,
                    precedence(l) < p || (p == 3 && precedence(l) == 3) || and_in_or(l),
                );
                let right = self.wrapped(r, precedence(r) <= p || and_in_or(r));
                // A chain of one operator breaks as one; an operand of
                // another level keeps together if it fits.
                let own = |d: Doc, x: &Expr| {
                    if matches!(x.node, ExprKind::Binary(..)) && precedence(x) != p {
                        d.group()
                    } else {
                        d
                    }
                };
                own(left, l)
                    .append(text(format!(" {}", op.symbol())))
                    .append(RcDoc::line())
                    .append(own(right, r))
            }
            ExprKind::Error => RcDoc::nil(),
        }
    }

    fn wrapped(&mut self, e: &Expr, parens: bool) -> Doc {
        if parens {
            text("(")
                .append(self.operand(e).nest(1).group())
                .append(text(")"))
        } else {
            self.operand(e)
        }
    }
}

/// The `if` of an `else if`: an else block that holds one `if` and has
/// no braces of its own (its span is the `if`'s).
fn else_if(b: &Block) -> Option<&Stmt> {
    match b.node.as_slice() {
        [s] if s.span == b.span && matches!(s.node, StmtKind::If(..)) => Some(s),
        _ => None,
    }
}

/// Every block of an `if ... else if ... else` chain.
fn if_branches(s: &Stmt) -> Vec<&Block> {
    let mut out = Vec::new();
    let mut at = s;
    while let StmtKind::If(_, then, otherwise) = &at.node {
        out.push(then);
        match otherwise {
            Some(b) => match else_if(b) {
                Some(inner) => at = inner,
                None => {
                    out.push(b);
                    break;
                }
            },
            None => break,
        }
    }
    out
}

/// A top-level item.
enum Item<'a> {
    Effect(&'a EffectDecl),
    Domain(&'a Domain),
}

impl Item<'_> {
    fn span(&self) -> Span {
        match self {
            Item::Effect(e) => e.span,
            Item::Domain(d) => d.span,
        }
    }
}

/// Renders the items, each with the comments inside it, on up to four
/// threads for a big file (items are independent; the output is joined
/// in order, so it is the same however many threads ran).
fn render_items(src: &str, comments: &[Comment], items: &[Item]) -> Vec<String> {
    let one = |item: &Item| {
        let span = item.span();
        let from = comments.partition_point(|c| c.start < span.start);
        let to = comments.partition_point(|c| c.start < span.end);
        let mut p = Printer {
            src,
            comments: comments[from..to].to_vec(),
            next: 0,
        };
        let (lines_, _) = p.list(
            std::slice::from_ref(item),
            span.start,
            span.end,
            Item::span,
            |p, item, _| match item {
                Item::Effect(e) => p.effect(e),
                Item::Domain(d) => p.domain(d),
            },
            |_, _| false,
        );
        let mut out = String::new();
        lines(lines_)
            .render_fmt(WIDTH, &mut out)
            .expect("rendering to a String cannot fail");
        out
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if items.len() < 256 || threads < 2 {
        return items.iter().map(one).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let parts: Option<Vec<Vec<String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                std::thread::Builder::new()
                    .stack_size(64 << 20)
                    .spawn_scoped(scope, move || part.iter().map(one).collect::<Vec<_>>())
            })
            .collect();
        handles.into_iter().map(|h| h.ok()?.join().ok()).collect()
    });
    match parts {
        Some(parts) => parts.into_iter().flatten().collect(),
        // No threads to be had: all on this one (never a part left out).
        None => items.iter().map(one).collect(),
    }
}

fn member_span(m: &Member) -> Span {
    match m {
        Member::State(s) => s.span,
        Member::Goal(g) => g.span,
        Member::Invariant(i) => i.span,
        Member::Handler(h) => h.span,
        Member::Error => Span::from(0..0),
    }
}

fn type_expr(t: &TypeExpr) -> String {
    if t.args.is_empty() {
        return t.name.node.clone();
    }
    let args: Vec<String> = t.args.iter().map(|a| type_expr(&a.node)).collect();
    format!("{}<{}>", t.name.node, args.join(", "))
}
