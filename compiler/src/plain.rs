//! Plain JSON (`{"x": 5, "tags": ["a"]}`) to and from [`CValue`], guided by
//! an expected [`CType`].
//!
//! This is the form CLI and HTTP users write. The mapping:
//!
//! | type | plain JSON |
//! |---|---|
//! | String, Int, Float, Boolean | string, integer, number, boolean |
//! | List, Seq | array |
//! | Map with String keys | object |
//! | Map with other keys | array of `[key, value]` pairs |
//! | Product | object with exactly the record's fields |
//! | Union | object with one key, the tag: `{"circle": {...}}` |
//! | Optional | `null` for none, the inner value otherwise |
//!
//! Errors name the path to the offending value:
//! `order.items[3].price: expected Float, found string`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::value::{CType, CValue};

/// A plain-JSON value that does not fit its expected type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct PlainJsonError {
    /// Where the value sits, from the root name (`order.items[3].price`).
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

/// A path being walked, rendered only when an error is built.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn mismatch(path: &Path<'_>, expected: &CType, found: &Json) -> PlainJsonError {
    PlainJsonError {
        path: path.to_string(),
        problem: format!("expected {expected}, found {}", json_kind(found)),
    }
}

/// Decodes plain JSON `json` as a value of type `ty`; `root` names the value
/// in error paths (usually the input's name).
pub fn decode(root: &str, ty: &CType, json: &Json) -> Result<CValue, PlainJsonError> {
    decode_at(&Path::Root(root), ty, json)
}

fn decode_at(path: &Path<'_>, ty: &CType, json: &Json) -> Result<CValue, PlainJsonError> {
    let bad = || mismatch(path, ty, json);
    Ok(match ty {
        CType::String => CValue::String(json.as_str().ok_or_else(bad)?.to_owned()),
        CType::Int => match json.as_i64() {
            Some(v) => CValue::Int(v),
            None if json.is_u64() => {
                return Err(PlainJsonError {
                    path: path.to_string(),
                    problem: format!("integer {json} does not fit in a 64-bit Int"),
                })
            }
            None => return Err(bad()),
        },
        CType::Float => CValue::Float(json.as_f64().ok_or_else(bad)?),
        CType::Boolean => CValue::Boolean(json.as_bool().ok_or_else(bad)?),
        CType::List(elem) | CType::Seq(elem) => {
            let items = json.as_array().ok_or_else(bad)?;
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                values.push(decode_at(&Path::Index(path, i), elem, item)?);
            }
            match ty {
                CType::List(_) => CValue::List(values, elem.clone()),
                _ => CValue::Seq(values, elem.clone()),
            }
        }
        CType::Map(k, v) => {
            let mut entries = Vec::new();
            match (&**k, json) {
                (CType::String, Json::Object(obj)) => {
                    for (key, val) in obj {
                        let value = decode_at(&Path::Field(path, key), v, val)?;
                        entries.push((CValue::String(key.clone()), value));
                    }
                }
                (_, Json::Array(pairs)) => {
                    for (i, pair) in pairs.iter().enumerate() {
                        let at = Path::Index(path, i);
                        match pair.as_array().map(Vec::as_slice) {
                            Some([key, val]) => {
                                entries.push((decode_at(&at, k, key)?, decode_at(&at, v, val)?))
                            }
                            _ => {
                                return Err(PlainJsonError {
                                    path: at.to_string(),
                                    problem: format!(
                                        "expected a [key, value] pair, found {}",
                                        json_kind(pair)
                                    ),
                                })
                            }
                        }
                    }
                }
                _ => return Err(bad()),
            }
            CValue::Map(entries, k.clone(), v.clone())
        }
        CType::Product(structure) => {
            let obj = json.as_object().ok_or_else(bad)?;
            let mut values = BTreeMap::new();
            for (field, fty) in structure {
                let at = Path::Field(path, field);
                match obj.get(field) {
                    Some(val) => {
                        values.insert(field.clone(), decode_at(&at, fty, val)?);
                    }
                    None if matches!(fty, CType::Optional(_)) => {
                        values.insert(field.clone(), decode_at(&at, fty, &Json::Null)?);
                    }
                    None => {
                        return Err(PlainJsonError {
                            path: at.to_string(),
                            problem: format!("missing field of type {fty}"),
                        })
                    }
                }
            }
            if let Some(extra) = obj.keys().find(|k| !structure.contains_key(*k)) {
                return Err(PlainJsonError {
                    path: Path::Field(path, extra).to_string(),
                    problem: format!("unexpected field; the record {ty} has no such field"),
                });
            }
            CValue::product(values, structure.clone())
        }
        CType::Union(structure) => {
            let obj = json.as_object().ok_or_else(bad)?;
            let (tag, val) = match obj.iter().next() {
                Some(entry) if obj.len() == 1 => entry,
                _ => {
                    return Err(PlainJsonError {
                        path: path.to_string(),
                        problem: format!(
                            "expected an object with exactly one key naming a variant of {ty}"
                        ),
                    })
                }
            };
            let vty = structure.get(tag).ok_or_else(|| PlainJsonError {
                path: path.to_string(),
                problem: format!("`{tag}` is not a variant of {ty}"),
            })?;
            let value = decode_at(&Path::Field(path, tag), vty, val)?;
            CValue::union(value, structure.clone(), tag.as_str())
        }
        CType::Optional(inner) => match json {
            Json::Null => CValue::None(inner.clone()),
            other => CValue::Some(Box::new(decode_at(path, inner, other)?), inner.clone()),
        },
    })
}

/// Encodes a value as plain JSON (the inverse of [`decode`] for its type).
pub fn encode(value: &CValue) -> Json {
    match value {
        CValue::String(s) => Json::String(s.clone()),
        CValue::Int(i) => Json::from(*i),
        CValue::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        CValue::Boolean(b) => Json::Bool(*b),
        CValue::List(vs, _) | CValue::Seq(vs, _) => Json::Array(vs.iter().map(encode).collect()),
        CValue::Map(entries, k, _) if **k == CType::String => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), encode(v)))
                .collect(),
        ),
        CValue::Map(entries, _, _) => Json::Array(
            entries
                .iter()
                .map(|(k, v)| Json::Array(vec![encode(k), encode(v)]))
                .collect(),
        ),
        CValue::Product(fields, _) => {
            Json::Object(fields.iter().map(|(k, v)| (k.clone(), encode(v))).collect())
        }
        CValue::Union(v, _, tag) => {
            let mut obj = serde_json::Map::new();
            obj.insert(tag.to_string(), encode(v));
            Json::Object(obj)
        }
        CValue::Some(v, _) => encode(v),
        CValue::None(_) => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order_type() -> CType {
        CType::product([(
            "items",
            CType::list(CType::product([
                ("price", CType::Float),
                ("sku", CType::String),
            ])),
        )])
    }

    #[test]
    fn errors_give_the_path_to_the_bad_value() {
        let j = json!({"items": [
            {"price": 1.0, "sku": "a"}, {"price": 2, "sku": "b"},
            {"price": 3.5, "sku": "c"}, {"price": "9", "sku": "d"}
        ]});
        let err = decode("order", &order_type(), &j).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order.items[3].price: expected Float, found string"
        );
    }

    #[test]
    fn plain_json_round_trips_through_encode() {
        let ty = CType::product([
            ("n", CType::Int),
            ("tags", CType::list(CType::String)),
            ("maybe", CType::optional(CType::Boolean)),
            (
                "m",
                CType::Map(Box::new(CType::String), Box::new(CType::Int)),
            ),
            (
                "pairs",
                CType::Map(Box::new(CType::Int), Box::new(CType::String)),
            ),
            (
                "u",
                CType::Union([("circle".to_owned(), CType::Float)].into()),
            ),
        ]);
        let j = json!({"n": 5, "tags": ["a"], "maybe": null, "m": {"k": 1},
                       "pairs": [[1, "one"]], "u": {"circle": 2.5}});
        let v = decode("x", &ty, &j).unwrap();
        assert!(v.has_type(&ty));
        assert_eq!(encode(&v), j);
    }

    #[test]
    fn missing_extra_and_oversized_values_are_named() {
        let ty = CType::product([("a", CType::Int)]);
        assert_eq!(
            decode("r", &ty, &json!({})).unwrap_err().to_string(),
            "r.a: missing field of type Int"
        );
        assert!(decode("r", &ty, &json!({"a": 1, "b": 2}))
            .unwrap_err()
            .to_string()
            .starts_with("r.b: unexpected field"));
        assert!(decode("r", &CType::Int, &json!(u64::MAX))
            .unwrap_err()
            .to_string()
            .contains("does not fit"));
        assert_eq!(
            decode("f", &CType::Int, &json!(1.5))
                .unwrap_err()
                .to_string(),
            "f: expected Int, found number"
        );
    }
}
