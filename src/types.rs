//! Lexum's static types. `Unknown` stands for a type not known yet (the
//! elements of `[]`) or already reported as wrong; it is compatible with anything
//! so that one mistake yields one report, not a cascade.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    Int,
    Bool,
    Str,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Unknown,
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(k: Type, v: Type) -> Type {
        Type::Map(Box::new(k), Box::new(v))
    }

    /// Whether a value of type `self` may be used where `other` is wanted.
    pub fn fits(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (Type::List(a), Type::List(b)) | (Type::Set(a), Type::Set(b)) => a.fits(b),
            (Type::Map(ka, va), Type::Map(kb, vb)) => ka.fits(kb) && va.fits(vb),
            (a, b) => a == b,
        }
    }

    /// The more specific of two types that fit each other (fills in `Unknown`).
    pub fn unify(&self, other: &Type) -> Type {
        match (self, other) {
            (Type::Unknown, t) | (t, Type::Unknown) => t.clone(),
            (Type::List(a), Type::List(b)) => Type::list(a.unify(b)),
            (Type::Set(a), Type::Set(b)) => Type::set(a.unify(b)),
            (Type::Map(ka, va), Type::Map(kb, vb)) => Type::map(ka.unify(kb), va.unify(vb)),
            (a, _) => a.clone(),
        }
    }

    /// True when the type is fully known (no `Unknown` inside).
    pub fn is_known(&self) -> bool {
        match self {
            Type::Unknown => false,
            Type::List(t) | Type::Set(t) => t.is_known(),
            Type::Map(k, v) => k.is_known() && v.is_known(),
            _ => true,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Type::Int => write!(f, "Int"),
            Type::Bool => write!(f, "Bool"),
            Type::Str => write!(f, "Str"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Set(t) => write!(f, "Set<{t}>"),
            Type::Map(k, v) => write!(f, "Map<{k}, {v}>"),
            Type::Unknown => write!(f, "_"),
        }
    }
}
