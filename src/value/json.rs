//! Values in JSON (traces, snapshots, effect commands, the REPL's input
//! files): `Int` as a JSON number, `Bool` and `Str` as themselves, `List` as
//! an array, `Set` as `{"set": [...]}`, `Map` as `{"map": [[k, v], ...]}`.
//! The encoding needs no type information to read back. `Value` implements
//! serde's traits with this encoding, so structures holding values derive
//! theirs.

use serde_json::{json, Value as Json};

use crate::value::Value;

pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::Bool(b) => json!(b),
        Value::Str(s) => json!(&**s),
        Value::List(l) => Json::Array(l.iter().map(to_json).collect()),
        Value::Set(s) => json!({ "set": s.iter().map(to_json).collect::<Vec<_>>() }),
        Value::Map(m) => {
            json!({ "map": m.iter().map(|(k, v)| json!([to_json(k), to_json(v)])).collect::<Vec<_>>() })
        }
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        /// `[k, v]`, borrowed.
        struct Pair<'a>(&'a Value, &'a Value);
        impl serde::Serialize for Pair<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                (self.0, self.1).serialize(s)
            }
        }
        /// A collection's items as a sequence, borrowed.
        struct Items<I>(std::cell::Cell<Option<I>>);
        impl<I: Iterator<Item = T>, T: serde::Serialize> serde::Serialize for Items<I> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(None)?;
                for x in self.0.take().into_iter().flatten() {
                    seq.serialize_element(&x)?;
                }
                seq.end()
            }
        }
        match self {
            Value::Int(i) => s.serialize_i64(*i),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Str(x) => s.serialize_str(x),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for x in l.iter() {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Value::Set(set) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("set", &Items(std::cell::Cell::new(Some(set.iter()))))?;
                m.end()
            }
            Value::Map(map) => {
                let mut m = s.serialize_map(Some(1))?;
                let pairs = map.iter().map(|(k, v)| Pair(k, v));
                m.serialize_entry("map", &Items(std::cell::Cell::new(Some(pairs))))?;
                m.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecodedVisitor)
    }
}

/// A value decoded straight from JSON text, without building a
/// `serde_json::Value` tree first (snapshots hold million-entry maps).
pub struct Decoded(pub Value);

impl<'de> serde::Deserialize<'de> for Decoded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecodedVisitor).map(Decoded)
    }
}

struct DecodedVisitor;

impl<'de> serde::de::Visitor<'de> for DecodedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an encoded Lexum value")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("integer out of range"))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::str(v))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = im::Vector::new();
        while let Some(Decoded(v)) = seq.next_element()? {
            out.push_back(v);
        }
        Ok(Value::list(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde::de::Error;
        let key: String = map
            .next_key()?
            .ok_or_else(|| A::Error::custom("an empty object is not a value"))?;
        let v = match key.as_str() {
            "set" => {
                let items: Vec<Decoded> = map.next_value()?;
                Value::set(items.into_iter().map(|d| d.0).collect())
            }
            "map" => {
                let pairs: Vec<(Decoded, Decoded)> = map.next_value()?;
                Value::map(pairs.into_iter().map(|(k, v)| (k.0, v.0)).collect())
            }
            _ => return Err(A::Error::custom("unknown collection")),
        };
        if map.next_key::<String>()?.is_some() {
            return Err(A::Error::custom("a collection has one key"));
        }
        Ok(v)
    }
}

/// Reads a value back; `None` for anything that is not an encoded value.
pub fn from_json(j: &Json) -> Option<Value> {
    Some(match j {
        Json::Number(n) => Value::Int(n.as_i64()?),
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list(
            items
                .iter()
                .map(from_json)
                .collect::<Option<im::Vector<_>>>()?,
        ),
        Json::Object(o) if o.len() == 1 => {
            if let Some(Json::Array(items)) = o.get("set") {
                Value::set(
                    items
                        .iter()
                        .map(from_json)
                        .collect::<Option<im::OrdSet<_>>>()?,
                )
            } else if let Some(Json::Array(pairs)) = o.get("map") {
                let mut m = im::OrdMap::new();
                for p in pairs {
                    let Json::Array(kv) = p else { return None };
                    if kv.len() != 2 {
                        return None;
                    }
                    m.insert(from_json(&kv[0])?, from_json(&kv[1])?);
                }
                Value::map(m)
            } else {
                return None;
            }
        }
        _ => return None,
    })
}
