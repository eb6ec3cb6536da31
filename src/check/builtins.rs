//! The types of the builtin functions. Each builtin is pure; the collection
//! builtins (`push`, `insert`, `remove`) return a new value and change nothing.

use super::Checker;
use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::Builtin;
use crate::syntax::ast;
use crate::syntax::span::Span;
use crate::types::Type;

/// The signature shown in reports.
pub fn signature(b: Builtin) -> &'static str {
    match b {
        Builtin::Len => "len(c: List<T> | Set<T> | Map<K, V> | Str) -> Int",
        Builtin::Contains => "contains(c: List<T> | Set<T> | Map<T, V> | Str, x: T) -> Bool",
        Builtin::Min => "min(a: Int, b: Int) -> Int",
        Builtin::Max => "max(a: Int, b: Int) -> Int",
        Builtin::Abs => "abs(a: Int) -> Int",
        Builtin::Get => {
            "get(m: Map<K, V>, k: K, default: V) -> V  or  get(l: List<T>, i: Int, default: T) -> T"
        }
        Builtin::Keys => "keys(m: Map<K, V>) -> List<K>",
        Builtin::Values => "values(m: Map<K, V>) -> List<V>",
        Builtin::Push => "push(l: List<T>, x: T) -> List<T>",
        Builtin::Insert => {
            "insert(s: Set<T>, x: T) -> Set<T>  or  insert(m: Map<K, V>, k: K, v: V) -> Map<K, V>"
        }
        Builtin::Remove => {
            "remove(s: Set<T>, x: T) -> Set<T>  or  remove(m: Map<K, V>, k: K) -> Map<K, V>"
        }
        Builtin::Sum => "sum(l: List<Int> | Set<Int>) -> Int",
        Builtin::ToStr => "str(x: any) -> Str",
    }
}

impl Checker {
    fn builtin_misuse(&mut self, b: Builtin, span: Span, what: String) -> Type {
        self.error(
            Diagnostic::new(
                Code::E002,
                span,
                format!("wrong call of `{}`: {what}", b.name()),
            )
            .with_label(what)
            .with_help(format!("the signature is {}", signature(b))),
        );
        Type::Unknown
    }

    pub(crate) fn builtin_type(
        &mut self,
        b: Builtin,
        types: &[Type],
        args: &[ast::Expr],
        span: Span,
    ) -> Type {
        let arity: &[usize] = match b {
            Builtin::Len
            | Builtin::Abs
            | Builtin::Keys
            | Builtin::Values
            | Builtin::Sum
            | Builtin::ToStr => &[1],
            Builtin::Contains | Builtin::Min | Builtin::Max | Builtin::Push | Builtin::Remove => {
                &[2]
            }
            Builtin::Get => &[3],
            Builtin::Insert => &[2, 3],
        };
        if !arity.contains(&types.len()) {
            let n = arity[0];
            return self.builtin_misuse(
                b,
                span,
                format!(
                    "it takes {n} argument{}, found {}",
                    if n == 1 { "" } else { "s" },
                    types.len()
                ),
            );
        }
        let arg_span = |i: usize| args.get(i).map(|a| a.span).unwrap_or(span);
        let t0 = &types[0];
        match (b, t0) {
            (_, Type::Unknown) => match b {
                Builtin::Len | Builtin::Min | Builtin::Max | Builtin::Abs | Builtin::Sum => {
                    Type::Int
                }
                Builtin::Contains => Type::Bool,
                Builtin::ToStr => Type::Str,
                _ => Type::Unknown,
            },
            (Builtin::Len, Type::List(_) | Type::Set(_) | Type::Map(..) | Type::Str) => Type::Int,
            (Builtin::Contains, Type::List(e) | Type::Set(e) | Type::Map(e, _)) => {
                let e = (**e).clone();
                self.expect_type(&types[1], &e, arg_span(1), "the element looked for");
                Type::Bool
            }
            (Builtin::Contains, Type::Str) => {
                self.expect_type(&types[1], &Type::Str, arg_span(1), "the text looked for");
                Type::Bool
            }
            (Builtin::Min | Builtin::Max, Type::Int) => {
                self.expect_type(&types[1], &Type::Int, arg_span(1), "the second argument");
                Type::Int
            }
            (Builtin::Abs, Type::Int) => Type::Int,
            (Builtin::Get, Type::Map(k, v)) => {
                let (k, v) = ((**k).clone(), (**v).clone());
                self.expect_type(&types[1], &k, arg_span(1), "the key");
                self.expect_type(&types[2], &v, arg_span(2), "the default");
                v.unify(&types[2])
            }
            (Builtin::Get, Type::List(e)) => {
                let e = (**e).clone();
                self.expect_type(&types[1], &Type::Int, arg_span(1), "the index");
                self.expect_type(&types[2], &e, arg_span(2), "the default");
                e.unify(&types[2])
            }
            (Builtin::Keys, Type::Map(k, _)) => Type::list((**k).clone()),
            (Builtin::Values, Type::Map(_, v)) => Type::list((**v).clone()),
            (Builtin::Push, Type::List(e)) => {
                let e = (**e).clone();
                self.expect_type(&types[1], &e, arg_span(1), "the element pushed");
                Type::list(e.unify(&types[1]))
            }
            (Builtin::Insert, Type::Set(e)) if types.len() == 2 => {
                let e = (**e).clone();
                self.expect_type(&types[1], &e, arg_span(1), "the element inserted");
                Type::set(e.unify(&types[1]))
            }
            (Builtin::Insert, Type::Map(k, v)) if types.len() == 3 => {
                let (k, v) = ((**k).clone(), (**v).clone());
                self.expect_type(&types[1], &k, arg_span(1), "the key");
                self.expect_type(&types[2], &v, arg_span(2), "the value");
                Type::map(k.unify(&types[1]), v.unify(&types[2]))
            }
            (Builtin::Remove, Type::Set(e) | Type::Map(e, _)) => {
                let e = (**e).clone();
                self.expect_type(&types[1], &e, arg_span(1), "the element removed");
                t0.clone()
            }
            (Builtin::Sum, Type::List(e) | Type::Set(e)) => {
                let e = (**e).clone();
                self.expect_type(&e, &Type::Int, arg_span(0), "the elements summed");
                Type::Int
            }
            (Builtin::ToStr, _) => Type::Str,
            (_, other) => self.builtin_misuse(b, arg_span(0), format!("it does not take {other}")),
        }
    }
}
