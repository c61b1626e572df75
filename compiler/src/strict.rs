//! Strict JSON reading: what serde and `serde_json` let through silently
//! and a pipeline must not.
//!
//! - A JSON object that names a key twice (`{"x": 1, "x": 7}`) keeps the
//!   last value in `serde_json` and in a derived map. Here it is an error
//!   naming the key: in the spec's UUID-keyed maps and port maps
//!   ([`unique_map`], used by the spec's types) and anywhere in an input
//!   document ([`parse_json`]).
//! - A UTF-8 byte-order mark before the text is skipped ([`strip_bom`]);
//!   editors on some systems write one, and `serde_json` alone reports it as
//!   "expected value at line 1 column 1".

use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

/// `text` without a leading UTF-8 byte-order mark, if it has one.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Deserializes a map, refusing a key given twice (serde's derived maps
/// keep the last). For `#[serde(deserialize_with = "...")]`.
pub fn unique_map<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Deserialize<'de> + Ord + Display,
    V: Deserialize<'de>,
{
    struct UniqueMap<K, V>(PhantomData<(K, V)>);
    impl<'de, K, V> Visitor<'de> for UniqueMap<K, V>
    where
        K: Deserialize<'de> + Ord + Display,
        V: Deserialize<'de>,
    {
        type Value = BTreeMap<K, V>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<K>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format_args!(
                        "duplicate key `{key}`; each key may appear once"
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(UniqueMap(PhantomData))
}

/// Parses JSON text (after an optional byte-order mark) into a value,
/// refusing any object, at any depth, that names a key twice.
///
/// ```
/// let err = asterism_compiler::strict::parse_json(r#"{"x": 1, "x": 7}"#).unwrap_err();
/// assert!(err.to_string().contains("duplicate key `x`"), "{err}");
/// assert!(asterism_compiler::strict::parse_json("\u{feff}{\"x\": 1}").is_ok());
/// ```
pub fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(strip_bom(text));
    let value = UniqueValue.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A `serde_json::Value` whose objects have unique keys.
struct UniqueValue;

impl<'de> DeserializeSeed<'de> for UniqueValue {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(UniqueValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key `{key}`; each key may appear once"
                )));
            }
            let value = map.next_value_seed(UniqueValue)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_at_any_depth_and_named() {
        for text in [
            r#"{"x": 1, "x": 7}"#,
            r#"{"a": {"x": 1, "x": 7}}"#,
            r#"[{"b": 1}, {"x": 1, "y": 2, "x": 3}]"#,
        ] {
            let err = parse_json(text).unwrap_err();
            assert!(err.to_string().contains("duplicate key `"), "{text}: {err}");
        }
        let err = parse_json(r#"{"x": 1, "x": 7}"#).unwrap_err();
        assert!(err.to_string().contains("`x`"), "{err}");
    }

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 3.5, "s", true, null, {"b": {}}], "u": 18446744073709551615}"#;
        let strict = parse_json(text).unwrap();
        let loose: Value = serde_json::from_str(text).unwrap();
        assert_eq!(strict, loose);
        assert!(parse_json("{} x").is_err(), "trailing characters");
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(parse_json("\u{feff}[1]").unwrap(), serde_json::json!([1]));
        assert_eq!(strip_bom("\u{feff}x"), "x");
        assert_eq!(strip_bom("x"), "x");
    }
}
