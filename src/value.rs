//! Run-time values. Collections are persistent (`im`), so copying a value or a
//! whole state is O(1) and kept history shares structure. Everything is totally
//! ordered, so maps and sets iterate the same way on every machine.

use std::fmt;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Int(i64),
    Bool(bool),
    Str(Arc<str>),
    /// Boxed behind an `Arc` so that a `Value` stays 24 bytes; cloning is O(1) either way.
    List(Arc<im::Vector<Value>>),
    Set(im::OrdSet<Value>),
    Map(im::OrdMap<Value, Value>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn list(items: im::Vector<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// Whether a value read from outside (an input line, an effect's result)
    /// has type `t`, so typed code may rely on it.
    pub fn fits(&self, t: &crate::types::Type) -> bool {
        use crate::types::Type;
        match (self, t) {
            (Value::Int(_), Type::Int)
            | (Value::Bool(_), Type::Bool)
            | (Value::Str(_), Type::Str) => true,
            (Value::List(l), Type::List(e)) => l.iter().all(|x| x.fits(e)),
            (Value::Set(s), Type::Set(e)) => s.iter().all(|x| x.fits(e)),
            (Value::Map(m), Type::Map(k, e)) => m.iter().all(|(a, b)| a.fits(k) && b.fits(e)),
            // `{}` reads back as an empty map; it fits an empty set too.
            (Value::Map(m), Type::Set(_)) => m.is_empty(),
            _ => false,
        }
    }
}

/// Writes a string as a Lexum literal, escaping what the lexer would not read back.
pub fn write_str_literal(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            '\0' => f.write_str("\\0")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Values print as Lexum literals: `3`, `"Active"`, `[1, 2]`, `{1, 2}`, `{"a": 1}`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => write_str_literal(f, s),
            Value::List(xs) => {
                f.write_str("[")?;
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            Value::Set(xs) => {
                f.write_str("{")?;
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("}")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}
