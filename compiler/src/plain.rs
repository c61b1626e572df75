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
//! | Product | object with the record's fields; other fields are ignored (refused in strict mode) |
//! | Union | `{"tag": "circle", "value": {...}}` (the original's form, always written) |
//! | Optional | `null` for none, the inner value otherwise |
//!
//! Reading follows the original's `JsonCValueConverter`: an Int may be
//! written as a whole float (`5.0`); a union may also be an untagged record
//! whose fields pick its variant (every field of a record variant present,
//! the variant with the most fields winning), or our older one-key form
//! `{"circle": {...}}`. [`decode_strict`] refuses extra record fields.
//! Floats that JSON cannot hold (`NaN`, infinities) are written as the
//! strings `"NaN"`, `"Infinity"` and `"-Infinity"`, as the original does.
//!
//! Errors name the path to the offending value:
//! `order.items[3].price: expected Float, found string`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use crate::value::{CType, CValue, Structure};

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
///
/// Records ignore JSON fields they do not have, as the original does; see
/// [`decode_strict`] to refuse them.
pub fn decode(root: &str, ty: &CType, json: &Json) -> Result<CValue, PlainJsonError> {
    decode_at(&Path::Root(root), ty, json, false)
}

/// Like [`decode`], but a record given a field it does not have is an
/// error naming that field.
pub fn decode_strict(root: &str, ty: &CType, json: &Json) -> Result<CValue, PlainJsonError> {
    decode_at(&Path::Root(root), ty, json, true)
}

/// A whole float (`5.0`, `1e2`) that fits an Int, as the original's
/// `JsonNumber.toLong` accepts it.
fn whole_float(json: &Json) -> Option<i64> {
    let f = json.as_f64()?;
    // i64::MAX as f64 is 2^63, one past the range.
    (json.is_f64() && f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64)
        .then_some(f as i64)
}

fn decode_at(
    path: &Path<'_>,
    ty: &CType,
    json: &Json,
    strict: bool,
) -> Result<CValue, PlainJsonError> {
    let bad = || mismatch(path, ty, json);
    Ok(match ty {
        CType::String => CValue::String(json.as_str().ok_or_else(bad)?.to_owned()),
        CType::Int => match json.as_i64().or_else(|| whole_float(json)) {
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
                values.push(decode_at(&Path::Index(path, i), elem, item, strict)?);
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
                        let value = decode_at(&Path::Field(path, key), v, val, strict)?;
                        entries.push((CValue::String(key.clone()), value));
                    }
                }
                (_, Json::Array(pairs)) => {
                    for (i, pair) in pairs.iter().enumerate() {
                        let at = Path::Index(path, i);
                        match pair.as_array().map(Vec::as_slice) {
                            Some([key, val]) => entries.push((
                                decode_at(&at, k, key, strict)?,
                                decode_at(&at, v, val, strict)?,
                            )),
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
            decode_record(path, ty, structure, obj, strict)?
        }
        CType::Union(structure) => {
            let obj = json.as_object().ok_or_else(bad)?;
            decode_union(path, ty, structure, obj, strict)?
        }
        CType::Optional(inner) => match json {
            Json::Null => CValue::None(inner.clone()),
            other => CValue::Some(
                Box::new(decode_at(path, inner, other, strict)?),
                inner.clone(),
            ),
        },
    })
}

fn decode_record(
    path: &Path<'_>,
    ty: &CType,
    structure: &Structure,
    obj: &serde_json::Map<String, Json>,
    strict: bool,
) -> Result<CValue, PlainJsonError> {
    let mut values = BTreeMap::new();
    for (field, fty) in structure {
        let at = Path::Field(path, field);
        match obj.get(field) {
            Some(val) => {
                values.insert(field.clone(), decode_at(&at, fty, val, strict)?);
            }
            None if matches!(fty, CType::Optional(_)) => {
                values.insert(field.clone(), decode_at(&at, fty, &Json::Null, strict)?);
            }
            None => {
                return Err(PlainJsonError {
                    path: at.to_string(),
                    problem: format!("missing field of type {fty}"),
                })
            }
        }
    }
    if strict {
        if let Some(extra) = obj.keys().find(|k| !structure.contains_key(*k)) {
            return Err(PlainJsonError {
                path: Path::Field(path, extra).to_string(),
                problem: format!("unexpected field; the record {ty} has no such field"),
            });
        }
    }
    Ok(CValue::product(values, structure.clone()))
}

/// A union: `{"tag": t, "value": v}`, else an untagged record matched to a
/// record variant by its fields, else the one-key form `{t: v}`.
fn decode_union(
    path: &Path<'_>,
    ty: &CType,
    structure: &Structure,
    obj: &serde_json::Map<String, Json>,
    strict: bool,
) -> Result<CValue, PlainJsonError> {
    if let (Some(tag), Some(val)) = (obj.get("tag"), obj.get("value")) {
        let Some(tag) = tag.as_str() else {
            return Err(PlainJsonError {
                path: Path::Field(path, "tag").to_string(),
                problem: format!("a union's tag must be a string naming a variant of {ty}"),
            });
        };
        let vty = structure.get(tag).ok_or_else(|| PlainJsonError {
            path: Path::Field(path, "tag").to_string(),
            problem: format!(
                "`{tag}` is not a variant of {ty}; use one of {}",
                variant_list(structure)
            ),
        })?;
        let value = decode_at(&Path::Field(path, "value"), vty, val, strict)?;
        return Ok(CValue::union(value, structure.clone(), tag));
    }
    // Untagged: the record variants whose fields are all present and whose
    // values decode; the one with the most fields wins (the original's
    // `tryAutoDetectUnionVariant`; on a tie, the first tag in name order).
    let mut best: Option<(&String, CValue, usize)> = None;
    for (tag, vty) in structure {
        let CType::Product(fields) = vty else {
            continue;
        };
        if !fields.keys().all(|f| obj.contains_key(f)) {
            continue;
        }
        if let Ok(v) = decode_record(path, vty, fields, obj, strict) {
            if best.as_ref().is_none_or(|(_, _, n)| fields.len() > *n) {
                best = Some((tag, v, fields.len()));
            }
        }
    }
    if let Some((tag, value, _)) = best {
        return Ok(CValue::union(value, structure.clone(), tag.as_str()));
    }
    if let Some((tag, val)) = obj.iter().next().filter(|_| obj.len() == 1) {
        if let Some(vty) = structure.get(tag) {
            let value = decode_at(&Path::Field(path, tag), vty, val, strict)?;
            return Ok(CValue::union(value, structure.clone(), tag.as_str()));
        }
    }
    Err(PlainJsonError {
        path: path.to_string(),
        problem: format!(
            "expected a union {ty}: {{\"tag\": <variant>, \"value\": <value>}} with a variant of {}, or a record matching one of its record variants",
            variant_list(structure)
        ),
    })
}

fn variant_list(structure: &Structure) -> String {
    let names: Vec<&str> = structure.keys().map(String::as_str).collect();
    names.join(", ")
}

/// A float as JSON: a number, or the original's string for NaN and the
/// infinities.
fn float_json(f: f64) -> Json {
    match serde_json::Number::from_f64(f) {
        Some(n) => Json::Number(n),
        None if f.is_nan() => Json::String("NaN".into()),
        None if f > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

/// Encodes a value as plain JSON (the inverse of [`decode`] for its type).
pub fn encode(value: &CValue) -> Json {
    match value {
        CValue::String(s) => Json::String(s.clone()),
        CValue::Int(i) => Json::from(*i),
        CValue::Float(f) => float_json(*f),
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
            obj.insert("tag".to_owned(), Json::String(tag.to_string()));
            obj.insert("value".to_owned(), encode(v));
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
                       "pairs": [[1, "one"]], "u": {"tag": "circle", "value": 2.5}});
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
        assert_eq!(
            decode("r", &ty, &json!({"a": 1, "b": 2})).unwrap(),
            decode("r", &ty, &json!({"a": 1})).unwrap()
        );
        assert!(decode_strict("r", &ty, &json!({"a": 1, "b": 2}))
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

    #[test]
    fn unions_read_tagged_untagged_and_one_key_and_write_tagged() {
        let point = CType::product([("x", CType::Int), ("y", CType::Int)]);
        let ty = CType::Union(
            [
                ("point".to_owned(), point.clone()),
                ("x1".to_owned(), CType::product([("x", CType::Int)])),
                ("label".to_owned(), CType::String),
            ]
            .into(),
        );
        let want = json!({"tag": "point", "value": {"x": 1, "y": 2}});
        for given in [
            want.clone(),
            json!({"x": 1, "y": 2, "z": 3}),
            json!({"point": {"x": 1, "y": 2}}),
        ] {
            let v = decode("u", &ty, &given).unwrap();
            assert!(v.has_type(&ty));
            assert_eq!(encode(&v), want, "from {given}");
        }
        // The untagged record with extra fields is refused in strict mode.
        assert!(decode_strict("u", &ty, &json!({"x": 1, "y": 2, "z": 3})).is_err());
        assert_eq!(
            decode("u", &ty, &json!({"tag": "nope", "value": 1}))
                .unwrap_err()
                .path,
            "u.tag"
        );
        assert_eq!(
            decode("u", &ty, &json!({"tag": "label", "value": 5}))
                .unwrap_err()
                .to_string(),
            "u.value: expected String, found integer"
        );
    }

    #[test]
    fn whole_floats_read_as_ints_and_odd_floats_write_as_strings() {
        assert_eq!(decode("n", &CType::Int, &json!(5.0)), Ok(CValue::Int(5)));
        assert_eq!(decode("n", &CType::Int, &json!(1e2)), Ok(CValue::Int(100)));
        assert!(decode("n", &CType::Int, &json!(1e19)).is_err());
        assert_eq!(encode(&CValue::Float(f64::NAN)), json!("NaN"));
        assert_eq!(
            encode(&CValue::Float(f64::NEG_INFINITY)),
            json!("-Infinity")
        );
        assert_eq!(encode(&CValue::Float(3.0)).to_string(), "3.0");
    }
}
