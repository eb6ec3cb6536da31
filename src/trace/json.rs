//! Values in traces: `Int` as a JSON number, `Bool` and `Str` as themselves,
//! `List` as an array, `Set` as `{"set": [...]}`, `Map` as `{"map": [[k, v], ...]}`.
//! The encoding needs no type information to read back.

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
                Value::Set(
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
                Value::Map(m)
            } else {
                return None;
            }
        }
        _ => return None,
    })
}
