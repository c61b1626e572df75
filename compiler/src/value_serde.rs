//! [`CType`] and [`CValue`] in the original runtime's tagged JSON
//! (`{"tag":"CInt","value":5}`, `{"tag":"CList","valuesType":{"tag":"CInt"}}`),
//! written and read exactly, so that specs and results written by the
//! original read here and back.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::{CType, CValue, Structure};

impl Serialize for CType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tag", self.tag())?;
        match self {
            CType::String | CType::Int | CType::Float | CType::Boolean => {}
            CType::List(t) | CType::Seq(t) => m.serialize_entry("valuesType", t)?,
            CType::Map(k, v) => {
                m.serialize_entry("keysType", k)?;
                m.serialize_entry("valuesType", v)?;
            }
            CType::Product(st) | CType::Union(st) => m.serialize_entry("structure", st)?,
            CType::Optional(t) => m.serialize_entry("innerType", t)?,
        }
        m.end()
    }
}

/// The variants are named after the wire tags on purpose.
#[allow(clippy::enum_variant_names)]
#[derive(Deserialize)]
#[serde(tag = "tag")]
enum WireType {
    CString,
    CInt,
    CFloat,
    CBoolean,
    CList {
        #[serde(rename = "valuesType")]
        values_type: Box<CType>,
    },
    CSeq {
        #[serde(rename = "valuesType")]
        values_type: Box<CType>,
    },
    CMap {
        #[serde(rename = "keysType")]
        keys_type: Box<CType>,
        #[serde(rename = "valuesType")]
        values_type: Box<CType>,
    },
    CProduct {
        structure: Structure,
    },
    CUnion {
        structure: Structure,
    },
    COptional {
        #[serde(rename = "innerType")]
        inner_type: Box<CType>,
    },
}

impl<'de> Deserialize<'de> for CType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match WireType::deserialize(d)? {
            WireType::CString => CType::String,
            WireType::CInt => CType::Int,
            WireType::CFloat => CType::Float,
            WireType::CBoolean => CType::Boolean,
            WireType::CList { values_type } => CType::List(values_type),
            WireType::CSeq { values_type } => CType::Seq(values_type),
            WireType::CMap {
                keys_type,
                values_type,
            } => CType::Map(keys_type, values_type),
            WireType::CProduct { structure } => CType::Product(structure),
            WireType::CUnion { structure } => CType::Union(structure),
            WireType::COptional { inner_type } => CType::Optional(inner_type),
        })
    }
}

/// One `{"key":K,"value":V}` entry of a tagged `CMap`.
#[derive(Serialize, Deserialize)]
struct WireEntry<K, V> {
    key: K,
    value: V,
}

impl Serialize for CValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("tag", self.tag())?;
        match self {
            CValue::String(v) => m.serialize_entry("value", v)?,
            CValue::Int(v) => m.serialize_entry("value", v)?,
            CValue::Float(v) => m.serialize_entry("value", v)?,
            CValue::Boolean(v) => m.serialize_entry("value", v)?,
            CValue::List(vs, t) | CValue::Seq(vs, t) => {
                m.serialize_entry("value", vs)?;
                m.serialize_entry("subtype", t)?;
            }
            CValue::Map(entries, k, v) => {
                let wire: Vec<WireEntry<&CValue, &CValue>> = entries
                    .iter()
                    .map(|(key, value)| WireEntry { key, value })
                    .collect();
                m.serialize_entry("value", &wire)?;
                m.serialize_entry("keysType", k)?;
                m.serialize_entry("valuesType", v)?;
            }
            CValue::Product(vs, st) => {
                m.serialize_entry("value", vs)?;
                m.serialize_entry("structure", st)?;
            }
            CValue::Union(v, st, tag) => {
                m.serialize_entry("value", v)?;
                m.serialize_entry("structure", st)?;
                m.serialize_entry("unionTag", tag)?;
            }
            CValue::Some(v, t) => {
                m.serialize_entry("value", v)?;
                m.serialize_entry("innerType", t)?;
            }
            CValue::None(t) => m.serialize_entry("innerType", t)?,
        }
        m.end()
    }
}

/// The variants are named after the wire tags on purpose.
#[allow(clippy::enum_variant_names)]
#[derive(Deserialize)]
#[serde(tag = "tag")]
enum WireValue {
    CString {
        value: String,
    },
    CInt {
        value: i64,
    },
    CFloat {
        value: f64,
    },
    CBoolean {
        value: bool,
    },
    CList {
        value: Vec<CValue>,
        subtype: Box<CType>,
    },
    CSeq {
        value: Vec<CValue>,
        subtype: Box<CType>,
    },
    CMap {
        value: Vec<WireEntry<CValue, CValue>>,
        #[serde(rename = "keysType")]
        keys_type: Box<CType>,
        #[serde(rename = "valuesType")]
        values_type: Box<CType>,
    },
    CProduct {
        value: BTreeMap<String, CValue>,
        structure: Box<Structure>,
    },
    CUnion {
        value: Box<CValue>,
        structure: Box<Structure>,
        #[serde(rename = "unionTag")]
        union_tag: Box<str>,
    },
    CSome {
        value: Box<CValue>,
        #[serde(rename = "innerType")]
        inner_type: Box<CType>,
    },
    CNone {
        #[serde(rename = "innerType")]
        inner_type: Box<CType>,
    },
}

impl<'de> Deserialize<'de> for CValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = match WireValue::deserialize(d)? {
            WireValue::CString { value } => CValue::String(value),
            WireValue::CInt { value } => CValue::Int(value),
            WireValue::CFloat { value } => CValue::Float(value),
            WireValue::CBoolean { value } => CValue::Boolean(value),
            WireValue::CList { value, subtype } => CValue::List(value, subtype),
            WireValue::CSeq { value, subtype } => CValue::Seq(value, subtype),
            WireValue::CMap {
                value,
                keys_type,
                values_type,
            } => CValue::Map(
                value.into_iter().map(|e| (e.key, e.value)).collect(),
                keys_type,
                values_type,
            ),
            WireValue::CProduct { value, structure } => CValue::Product(value, structure),
            WireValue::CUnion {
                value,
                structure,
                union_tag,
            } => {
                if !structure.contains_key(&*union_tag) {
                    return Err(D::Error::custom(format!(
                        "CUnion value has unionTag `{union_tag}`, which its structure does not list"
                    )));
                }
                CValue::Union(value, structure, union_tag)
            }
            WireValue::CSome { value, inner_type } => CValue::Some(value, inner_type),
            WireValue::CNone { inner_type } => CValue::None(inner_type),
        };
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip_value(j: serde_json::Value) -> CValue {
        let v: CValue = serde_json::from_value(j.clone()).expect("parses");
        assert_eq!(serde_json::to_value(&v).unwrap(), j, "round trip of {j}");
        v
    }

    #[test]
    fn scalar_values_use_the_original_tags() {
        assert_eq!(
            round_trip_value(json!({"tag":"CString","value":"x"})),
            CValue::String("x".into())
        );
        assert_eq!(
            round_trip_value(json!({"tag":"CInt","value":-5})),
            CValue::Int(-5)
        );
        assert_eq!(
            round_trip_value(json!({"tag":"CFloat","value":1.5})),
            CValue::Float(1.5)
        );
        assert_eq!(
            round_trip_value(json!({"tag":"CBoolean","value":true})),
            CValue::Boolean(true)
        );
    }

    #[test]
    fn container_values_round_trip_exactly() {
        let list = round_trip_value(
            json!({"tag":"CList","value":[{"tag":"CInt","value":1}],"subtype":{"tag":"CInt"}}),
        );
        assert_eq!(list, CValue::list(vec![CValue::Int(1)], CType::Int));
        round_trip_value(json!({"tag":"CSeq","value":[],"subtype":{"tag":"CString"}}));
        let map = round_trip_value(
            json!({"tag":"CMap","value":[{"key":{"tag":"CString","value":"k"},"value":{"tag":"CInt","value":2}}],"keysType":{"tag":"CString"},"valuesType":{"tag":"CInt"}}),
        );
        assert_eq!(
            map,
            CValue::map(
                vec![(CValue::String("k".into()), CValue::Int(2))],
                CType::String,
                CType::Int
            )
        );
        let rec = round_trip_value(
            json!({"tag":"CProduct","value":{"a":{"tag":"CInt","value":1}},"structure":{"a":{"tag":"CInt"}}}),
        );
        assert_eq!(rec, CValue::record([("a", CValue::Int(1))]));
        round_trip_value(
            json!({"tag":"CUnion","value":{"tag":"CInt","value":1},"structure":{"i":{"tag":"CInt"},"s":{"tag":"CString"}},"unionTag":"i"}),
        );
        round_trip_value(
            json!({"tag":"CSome","value":{"tag":"CInt","value":1},"innerType":{"tag":"CInt"}}),
        );
        assert_eq!(
            round_trip_value(json!({"tag":"CNone","innerType":{"tag":"CInt"}})),
            CValue::none(CType::Int)
        );
    }

    #[test]
    fn types_round_trip_exactly() {
        let j = json!({"tag":"CProduct","structure":{
            "l":{"tag":"CList","valuesType":{"tag":"CInt"}},
            "m":{"tag":"CMap","keysType":{"tag":"CString"},"valuesType":{"tag":"CFloat"}},
            "o":{"tag":"COptional","innerType":{"tag":"CBoolean"}},
            "s":{"tag":"CSeq","valuesType":{"tag":"CString"}},
            "u":{"tag":"CUnion","structure":{"a":{"tag":"CInt"}}}
        }});
        let t: CType = serde_json::from_value(j.clone()).unwrap();
        assert_eq!(serde_json::to_value(&t).unwrap(), j);
        assert_eq!(
            t.to_string(),
            "{l: List<Int>, m: Map<String, Float>, o: Optional<Boolean>, s: Seq<String>, u: (a: Int)}"
        );
    }

    #[test]
    fn union_with_unknown_tag_is_rejected() {
        let err = serde_json::from_value::<CValue>(json!({"tag":"CUnion","value":{"tag":"CInt","value":1},"structure":{"i":{"tag":"CInt"}},"unionTag":"zz"}))
            .unwrap_err();
        assert!(err.to_string().contains("zz"), "{err}");
    }
}
