//! Tokens to the spanned AST, with recovery so that one run reports several
//! independent syntax errors and still yields a tree for the checker.

use chumsky::input::ValueInput;
use chumsky::prelude::*;

use super::ast::*;
use super::span::{Span, Spanned};
use super::token::{Kw, Token};

pub type ParseError<'t, 's> = Rich<'t, Token<'s>, Span>;
type Extra<Er> = extra::Err<Er>;

/// What the grammar needs of its error type. The grammar is generic over it
/// so that a file is first parsed with [`EmptyErr`], which records nothing
/// about failed alternatives (most of a parse's cost with [`Rich`]), and is
/// parsed again with [`Rich`] only when that first pass finds an error.
pub trait SyntaxError<'t, 's: 't, I>:
    chumsky::error::Error<'t, I> + chumsky::label::LabelError<'t, I, &'static str> + 't
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
{
    /// Whether the grammar recovers from an error to find more. The fast
    /// pass does not: its first error ends it, and the second pass finds
    /// them all.
    const RECOVERS: bool;

    /// An error with its own message (an unknown escape, a mixed literal).
    fn custom(span: Span, msg: &str) -> Self;
}

impl<'t, 's: 't, I> SyntaxError<'t, 's, I> for ParseError<'t, 's>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
{
    const RECOVERS: bool = true;

    fn custom(span: Span, msg: &str) -> Self {
        Rich::custom(span, msg)
    }
}

impl<'t, 's: 't, I> SyntaxError<'t, 's, I> for EmptyErr
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
{
    const RECOVERS: bool = false;

    fn custom(_: Span, _: &str) -> Self {
        EmptyErr::default()
    }
}

/// Succeeds only when the error type recovers ([`SyntaxError::RECOVERS`]):
/// each recovery strategy starts with it, so the fast pass never recovers.
fn recovering<'t, 's: 't, I, Er>() -> impl Parser<'t, I, (), Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    empty().try_map(|(), span| {
        if Er::RECOVERS {
            Ok(())
        } else {
            Err(Er::custom(span, ""))
        }
    })
}

fn op<'t, 's: 't, I, Er>(
    s: &'static str,
) -> impl Parser<'t, I, Token<'s>, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    just(Token::Op(s))
}

fn kw<'t, 's: 't, I, Er>(
    k: Kw,
) -> impl Parser<'t, I, Token<'s>, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    just(Token::Kw(k))
}

fn ident<'t, 's: 't, I, Er>() -> impl Parser<'t, I, Ident, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    select! { Token::Ident(s) = e => Spanned::new(s.to_string(), e.span()) }.labelled("identifier")
}

/// A dotted name: `x`, `Cluster.nodes`, `cloud.create_node`.
fn path<'t, 's: 't, I, Er>(
) -> impl Parser<'t, I, Vec<Ident>, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    ident()
        .separated_by(op("."))
        .at_least(1)
        .collect::<Vec<_>>()
}

fn type_expr<'t, 's: 't, I, Er>(
) -> impl Parser<'t, I, Spanned<TypeExpr>, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    recursive(|ty| {
        ident()
            .then(
                ty.separated_by(op(","))
                    .at_least(1)
                    .collect::<Vec<_>>()
                    .delimited_by(op("<"), op(">"))
                    .or_not(),
            )
            .map_with(|(name, args), e| {
                Spanned::new(
                    TypeExpr {
                        name,
                        args: args.unwrap_or_default(),
                    },
                    e.span(),
                )
            })
    })
    .labelled("type")
}

/// Resolves the escapes of a string literal's body (`\n \t \r \0 \" \\`).
fn unescape(body: &str) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => return Err(format!("unknown escape `\\{other}` in string literal")),
            None => return Err("string literal ends in a lone `\\`".to_string()),
        }
    }
    Ok(out)
}

/// The expression grammar, lowest precedence first: `||`, `&&`, comparisons
/// (not chainable), `+ -`, `* / %`, prefix `! -`, postfix indexing, atoms.
pub fn expr<'t, 's: 't, I, Er>() -> impl Parser<'t, I, Expr, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    recursive(|expr| {
        let args = expr
            .clone()
            .separated_by(op(","))
            .allow_trailing()
            .collect::<Vec<_>>()
            .delimited_by(op("("), op(")"));

        let path_or_call = path().then(args.or_not()).map(|(p, a)| match a {
            Some(a) => ExprKind::Call(p, a),
            None => ExprKind::Path(p),
        });

        let literal = select! {
            Token::Int(s) => ExprKind::Int(s.replace('_', "")),
            Token::Kw(Kw::True) => ExprKind::Bool(true),
            Token::Kw(Kw::False) => ExprKind::Bool(false),
            Token::Kw(Kw::Tick) => ExprKind::Tick,
        }
        .labelled("a literal");
        let string = select! { Token::Str(s) => s }
            .labelled("a literal")
            .validate(|s, e, emitter| match unescape(s) {
                Ok(v) => ExprKind::Str(v),
                Err(msg) => {
                    emitter.emit(Er::custom(e.span(), &msg));
                    ExprKind::Error
                }
            });

        let list = expr
            .clone()
            .separated_by(op(","))
            .allow_trailing()
            .collect::<Vec<_>>()
            .delimited_by(op("["), op("]"))
            .map(ExprKind::List);

        let entry = expr
            .clone()
            .then(op(":").ignore_then(expr.clone()).or_not());
        let brace = entry
            .separated_by(op(","))
            .allow_trailing()
            .collect::<Vec<_>>()
            .delimited_by(op("{"), op("}"))
            .validate(|entries: Vec<(Expr, Option<Expr>)>, e, emitter| {
                let with_values = entries.iter().filter(|(_, v)| v.is_some()).count();
                if with_values == entries.len() {
                    ExprKind::Map(entries.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
                } else if with_values == 0 {
                    ExprKind::Set(entries.into_iter().map(|(k, _)| k).collect())
                } else {
                    emitter.emit(Er::custom(
                        e.span(),
                        "a literal in braces is either a map (`{k: v}`) or a set (`{a, b}`), not both",
                    ));
                    ExprKind::Error
                }
            });

        let atom = choice((literal, string, list, brace, path_or_call))
            .map_with(|k, e| Spanned::new(k, e.span()))
            .or(expr.clone().delimited_by(op("("), op(")")))
            .recover_with(via_parser(recovering().ignore_then(nested_delimiters(
                Token::Op("("),
                Token::Op(")"),
                [
                    (Token::Op("["), Token::Op("]")),
                    (Token::Op("{"), Token::Op("}")),
                ],
                |span| Spanned::new(ExprKind::Error, span),
            ))))
            .recover_with(via_parser(recovering().ignore_then(nested_delimiters(
                Token::Op("["),
                Token::Op("]"),
                [
                    (Token::Op("("), Token::Op(")")),
                    (Token::Op("{"), Token::Op("}")),
                ],
                |span| Spanned::new(ExprKind::Error, span),
            ))))
            .boxed();

        let postfix = atom.foldl_with(
            expr.clone().delimited_by(op("["), op("]")).repeated(),
            |a, idx, e| Spanned::new(ExprKind::Index(Box::new(a), Box::new(idx)), e.span()),
        );

        let unary = choice((op("-").to(UnOp::Neg), op("!").to(UnOp::Not)))
            .map_with(|o, e| (o, e.span()))
            .repeated()
            .foldr_with(postfix, |(o, _), a, e| {
                Spanned::new(ExprKind::Unary(o, Box::new(a)), e.span())
            })
            .boxed();

        fn level<'t, 's: 't, I, Er, P, O>(
            operand: P,
            ops: O,
        ) -> impl Parser<'t, I, Expr, Extra<Er>> + Clone + use<'t, 's, I, Er, P, O>
        where
            I: ValueInput<'t, Token = Token<'s>, Span = Span>,
            Er: SyntaxError<'t, 's, I>,
            P: Parser<'t, I, Expr, Extra<Er>> + Clone,
            O: Parser<'t, I, BinOp, Extra<Er>> + Clone,
        {
            operand
                .clone()
                .foldl_with(ops.then(operand).repeated(), |a, (o, b), e| {
                    Spanned::new(ExprKind::Binary(o, Box::new(a), Box::new(b)), e.span())
                })
        }

        // One `select!` per precedence level: a single failed alternative per
        // level instead of one per operator keeps error bookkeeping cheap.
        let product = level(
            unary,
            select! {
                Token::Op("*") => BinOp::Mul,
                Token::Op("/") => BinOp::Div,
                Token::Op("%") => BinOp::Rem,
            }
            .labelled("an operator"),
        );
        let sum = level(
            product,
            select! { Token::Op("+") => BinOp::Add, Token::Op("-") => BinOp::Sub }
                .labelled("an operator"),
        )
        .boxed();
        let cmp_op = select! {
            Token::Op("==") => BinOp::Eq,
            Token::Op("!=") => BinOp::Ne,
            Token::Op("<=") => BinOp::Le,
            Token::Op(">=") => BinOp::Ge,
            Token::Op("<") => BinOp::Lt,
            Token::Op(">") => BinOp::Gt,
        }
        .labelled("an operator");
        let comparison = sum
            .clone()
            .then(cmp_op.then(sum).or_not())
            .map_with(|(a, rest), e| match rest {
                None => a,
                Some((o, b)) => {
                    Spanned::new(ExprKind::Binary(o, Box::new(a), Box::new(b)), e.span())
                }
            });
        let and = level(comparison, op("&&").to(BinOp::And));
        let or = level(and, op("||").to(BinOp::Or));
        or.labelled("expression").as_context().boxed()
    })
}

fn call_args<'t, 's: 't, I, Er, P>(
    expr: P,
) -> impl Parser<'t, I, Vec<Expr>, Extra<Er>> + Clone + use<'t, 's, I, Er, P>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
    P: Parser<'t, I, Expr, Extra<Er>> + Clone,
{
    expr.separated_by(op(","))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(op("("), op(")"))
}

/// The statements that make sense on one line and may appear (wrongly) in a goal:
/// `send`, assignments and expressions.
fn simple_stmt<'t, 's: 't, I, Er, P>(
    expr: P,
) -> impl Parser<'t, I, Stmt, Extra<Er>> + Clone + use<'t, 's, I, Er, P>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
    P: Parser<'t, I, Expr, Extra<Er>> + Clone,
{
    let send = kw(Kw::Send)
        .ignore_then(path())
        .then(call_args(expr.clone()))
        .then(kw(Kw::After).ignore_then(expr.clone()).or_not())
        .map(|((target, args), after)| StmtKind::Send {
            target,
            args,
            after,
        });
    let place = path()
        .then(
            expr.clone()
                .delimited_by(op("["), op("]"))
                .repeated()
                .collect::<Vec<_>>(),
        )
        .map_with(|(path, indices), e| Place {
            path,
            indices,
            span: e.span(),
        });
    let assign_op = choice((
        op("=").to(AssignOp::Set),
        op("+=").to(AssignOp::Add),
        op("-=").to(AssignOp::Sub),
    ));
    let assign = place
        .then(assign_op)
        .then(expr.clone())
        .map(|((p, o), v)| StmtKind::Assign(p, o, v));
    choice((send, assign, expr.map(StmtKind::Expr))).map_with(|s, e| Spanned::new(s, e.span()))
}

/// A `{ ... }` block of statements; `;` between statements is optional.
pub fn block<'t, 's: 't, I, Er>(
) -> impl Parser<'t, I, Block, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    recursive(|block| {
        let expr = expr();
        let let_ = kw(Kw::Let)
            .ignore_then(ident())
            .then_ignore(op("="))
            .then(expr.clone())
            .map(|(n, v)| StmtKind::Let(n, v));
        let if_ = recursive(|if_| {
            kw(Kw::If)
                .ignore_then(expr.clone())
                .then(block.clone())
                .then(
                    kw(Kw::Else)
                        .ignore_then(
                            block
                                .clone()
                                .or(if_.map_with(|s: Stmt, e| Spanned::new(vec![s], e.span()))),
                        )
                        .or_not(),
                )
                .map_with(|((c, t), f), e| Spanned::new(StmtKind::If(c, t, f), e.span()))
        });
        let for_ = kw(Kw::For)
            .ignore_then(ident())
            .then(op(",").ignore_then(ident()).or_not())
            .then_ignore(kw(Kw::In))
            .then(expr.clone())
            .then(op("..").ignore_then(expr.clone()).or_not())
            .then(block.clone())
            .validate(|((((k, v), lo), hi), body), e, emitter| match (v, hi) {
                (None, Some(hi)) => StmtKind::ForRange(k, lo, hi, body),
                (v, None) => StmtKind::ForEach(k, v, lo, body),
                (Some(_), Some(_)) => {
                    emitter.emit(Er::custom(
                        e.span(),
                        "a range yields one value: write `for i in a..b`",
                    ));
                    StmtKind::Error
                }
            });
        let while_ = kw(Kw::While)
            .ignore_then(expr.clone())
            .then(block.clone())
            .map(|(c, b)| StmtKind::While(c, b));
        let fail = kw(Kw::Fail).ignore_then(expr.clone()).map(StmtKind::Fail);
        let assert = kw(Kw::Assert)
            .ignore_then(expr.clone())
            .then(op(",").ignore_then(expr.clone()).or_not())
            .map(|(c, m)| StmtKind::Assert(c, m));
        let keyworded =
            choice((let_, for_, while_, fail, assert)).map_with(|s, e| Spanned::new(s, e.span()));
        let stmt = choice((if_, keyworded, simple_stmt(expr)))
            .then_ignore(op(";").repeated())
            .labelled("statement")
            .recover_with(skip_then_retry_until(
                recovering().ignore_then(any()).ignored(),
                op("}").ignored(),
            ));
        op(";")
            .repeated()
            .ignore_then(stmt.repeated().collect::<Vec<_>>())
            .delimited_by(op("{"), op("}"))
            .map_with(|stmts, e| Spanned::new(stmts, e.span()))
            .recover_with(via_parser(recovering().ignore_then(nested_delimiters(
                Token::Op("{"),
                Token::Op("}"),
                [
                    (Token::Op("("), Token::Op(")")),
                    (Token::Op("["), Token::Op("]")),
                ],
                |span| Spanned::new(vec![Spanned::new(StmtKind::Error, span)], span),
            ))))
            .boxed()
    })
}

fn params<'t, 's: 't, I, Er>(
) -> impl Parser<'t, I, Vec<Param>, Extra<Er>> + Clone + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    ident()
        .then_ignore(op(":"))
        .then(type_expr())
        .map(|(name, ty)| Param { name, ty })
        .separated_by(op(","))
        .allow_trailing()
        .collect::<Vec<_>>()
        .delimited_by(op("("), op(")"))
}

enum Item {
    Effect(EffectDecl),
    Domain(Domain),
}

/// The whole file: effects and domains in any order.
pub fn program<'t, 's: 't, I, Er>() -> impl Parser<'t, I, Program, Extra<Er>> + use<'t, 's, I, Er>
where
    I: ValueInput<'t, Token = Token<'s>, Span = Span>,
    Er: SyntaxError<'t, 's, I>,
{
    let expr = expr().boxed();
    let cond = simple_stmt(expr.clone()).boxed();
    let block = block().boxed();

    let state = kw(Kw::State)
        .ignore_then(ident())
        .then_ignore(op(":"))
        .then(type_expr())
        .then_ignore(op("="))
        .then(expr.clone())
        .map_with(|((name, ty), init), e| {
            Member::State(StateDecl {
                name,
                ty,
                init,
                span: e.span(),
            })
        });
    let goal = kw(Kw::Goal)
        .ignore_then(ident())
        .then_ignore(op(":"))
        .then(cond.clone())
        .then(kw(Kw::Repair).ignore_then(block.clone()).or_not())
        .map_with(|((name, cond), repair), e| {
            Member::Goal(GoalDecl {
                name,
                cond,
                repair,
                span: e.span(),
            })
        });
    let invariant = kw(Kw::Invariant)
        .ignore_then(ident())
        .then_ignore(op(":"))
        .then(cond)
        .map_with(|(name, cond), e| {
            Member::Invariant(InvariantDecl {
                name,
                cond,
                span: e.span(),
            })
        });
    let handler = kw(Kw::On)
        .ignore_then(ident())
        .then(params())
        .then(block)
        .map_with(|((name, params), body), e| {
            Member::Handler(HandlerDecl {
                name,
                params,
                body,
                span: e.span(),
            })
        });
    // A broken member is skipped up to the next member keyword or the domain's
    // closing brace (braces inside it balanced), so the rest of the domain is checked.
    let member_kw = choice((kw(Kw::State), kw(Kw::Goal), kw(Kw::Invariant), kw(Kw::On)));
    let balanced = nested_delimiters(
        Token::Op("{"),
        Token::Op("}"),
        [
            (Token::Op("("), Token::Op(")")),
            (Token::Op("["), Token::Op("]")),
        ],
        |_| (),
    );
    let skip_member = member_kw
        .clone()
        .then(
            choice((
                balanced,
                none_of([
                    Token::Kw(Kw::State),
                    Token::Kw(Kw::Goal),
                    Token::Kw(Kw::Invariant),
                    Token::Kw(Kw::On),
                    Token::Op("{"),
                    Token::Op("}"),
                ])
                .ignored(),
            ))
            .repeated(),
        )
        .to(Member::Error);
    let member = choice((state, goal, invariant, handler))
        .labelled("domain member (state, goal, invariant or on)")
        .recover_with(via_parser(recovering().ignore_then(skip_member)))
        .recover_with(skip_then_retry_until(
            recovering().ignore_then(any()).ignored(),
            op("}").ignored(),
        ));

    let retry = select! { Token::Int(s) = e => Spanned::new(s.to_string(), e.span()) }
        .labelled("retry count");
    let domain = kw(Kw::Domain)
        .ignore_then(ident())
        .then(kw(Kw::Priority).ignore_then(ident()).or_not())
        .then(kw(Kw::Retry).ignore_then(retry).or_not())
        .then(
            member
                .repeated()
                .collect::<Vec<_>>()
                .delimited_by(op("{"), op("}")),
        )
        .map_with(|(((name, priority), retry), members), e| {
            Item::Domain(Domain {
                name,
                priority,
                retry,
                members,
                span: e.span(),
            })
        });

    let effect_name = path().map_with(|p, e| Spanned::new(p, e.span()));
    let effect = kw(Kw::Effect)
        .ignore_then(effect_name)
        .then(params())
        .then_ignore(op("->"))
        .then(type_expr())
        .map_with(|((name, params), ret), e| {
            Item::Effect(EffectDecl {
                name,
                params,
                ret,
                span: e.span(),
            })
        });

    let item = choice((domain, effect))
        .labelled("`domain` or `effect`")
        .recover_with(skip_then_retry_until(
            recovering().ignore_then(any()).ignored(),
            end(),
        ));

    item.repeated()
        .collect::<Vec<_>>()
        .then_ignore(end())
        .map(|items| {
            let mut p = Program::default();
            for it in items {
                match it {
                    Item::Effect(e) => p.effects.push(e),
                    Item::Domain(d) => p.domains.push(d),
                }
            }
            p
        })
}
