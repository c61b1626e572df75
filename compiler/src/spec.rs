//! `DagSpec`: a pipeline as the original runtime writes it.
//!
//! The JSON is the original's: UUID-keyed maps of module and data nodes,
//! `[data, module]` / `[module, data]` edge pairs, `nicknames` binding each
//! data node to the port it plays for each module, millisecond timeouts.
//!
//! One extension makes the format lossless: a transform node also carries
//! `inlineTransform`, the transform with its parameters
//! (`{"kind":"Project","fields":["a"]}`). The original writes only the class
//! name (`inlineTransformType`), which loses the parameters; specs that come
//! from it still read, and [`DataNodeSpec::transform`] resolves what it can.

use std::collections::BTreeMap;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::options::ModuleCallOptions;
use crate::strict::{strip_bom, unique_map};
use crate::transform::InlineTransform;
pub use crate::transform::TransformProblem;
use crate::value::CType;

/// Name, description, tags and version of a pipeline or module node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ComponentMetadata {
    /// The name (for a module node: the module's name, often prefixed with
    /// the pipeline's name, `"mydag.Uppercase"`).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Free labels.
    pub tags: Vec<String>,
    /// Major version.
    pub major_version: u32,
    /// Minor version.
    pub minor_version: u32,
}

impl ComponentMetadata {
    /// Metadata with just a name.
    pub fn named(name: impl Into<String>) -> Self {
        ComponentMetadata {
            name: name.into(),
            ..Default::default()
        }
    }
}

/// Per-module timeouts, in milliseconds on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModuleConfig {
    /// How long the original waited for inputs. Kept for the wire format; our
    /// executor starts a module only when its inputs are there, so no module
    /// ever waits for inputs with a clock running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs_timeout: Option<u64>,
    /// How long the module may run once it is ready, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module_timeout: Option<u64>,
}

/// A module node: one call of a module.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleNodeSpec {
    /// `metadata.name` names the module implementation.
    pub metadata: ComponentMetadata,
    /// Parameter name -> type.
    #[serde(default, deserialize_with = "unique_map")]
    pub consumes: BTreeMap<String, CType>,
    /// Output field -> type.
    #[serde(default, deserialize_with = "unique_map")]
    pub produces: BTreeMap<String, CType>,
    /// Timeouts.
    #[serde(default)]
    pub config: ModuleConfig,
    /// Where the call stands in the source program; carried, never read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_context: Option<serde_json::Value>,
    /// How this call must behave (retry, cache, ...): our extension; the
    /// original keeps these in its `PipelineImage` instead.
    #[serde(default, skip_serializing_if = "ModuleCallOptions::is_empty")]
    pub options: ModuleCallOptions,
}

/// A data node: one value of the pipeline (an input, a module output, or the
/// result of an inline transform).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataNodeSpec {
    /// The node's name (for a user input, the name callers supply it by).
    pub name: String,
    /// Module UUID -> the parameter (or output field) this node plays for
    /// that module. Input nodes also carry a self entry.
    #[serde(default, deserialize_with = "unique_map")]
    pub nicknames: BTreeMap<Uuid, String>,
    /// The node's type.
    pub c_type: CType,
    /// The original's transform class name (`"ConditionalTransform"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_transform_type: Option<String>,
    /// The transform with its parameters (our lossless extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_transform: Option<InlineTransform>,
    /// Transform input name -> data node UUID.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "unique_map"
    )]
    pub transform_inputs: BTreeMap<String, Uuid>,
}

impl DataNodeSpec {
    /// A plain data node of type `ty` with no nicknames and no transform.
    pub fn new(name: impl Into<String>, ty: CType) -> Self {
        DataNodeSpec {
            name: name.into(),
            nicknames: BTreeMap::new(),
            c_type: ty,
            inline_transform_type: None,
            inline_transform: None,
            transform_inputs: BTreeMap::new(),
        }
    }

    /// Whether this node is computed by an inline transform.
    pub fn is_transform(&self) -> bool {
        self.inline_transform.is_some() || self.inline_transform_type.is_some()
    }

    /// The node's transform, resolved: the full `inlineTransform` when
    /// present, else what the bare class name, the transform inputs and the
    /// node's type determine. `Ok(None)` for a node that is no transform.
    pub fn transform(&self) -> Result<Option<InlineTransform>, TransformProblem> {
        if let Some(t) = &self.inline_transform {
            return Ok(Some(t.clone()));
        }
        match &self.inline_transform_type {
            None => Ok(None),
            Some(class) => {
                InlineTransform::from_class_name(class, &self.transform_inputs, &self.c_type)
                    .map(Some)
            }
        }
    }
}

/// A whole pipeline in the original's format.
///
/// Reading one is strict where serde alone is not (see
/// [`DagSpec::from_json`]): it must be a JSON object with at least one of
/// the fields below, and no key may appear twice in any of its maps.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DagSpec {
    /// The pipeline's name and version.
    pub metadata: ComponentMetadata,
    /// Module nodes by UUID.
    pub modules: BTreeMap<Uuid, ModuleNodeSpec>,
    /// Data nodes by UUID.
    pub data: BTreeMap<Uuid, DataNodeSpec>,
    /// `[data, module]`: the data node is an input of the module.
    pub in_edges: Vec<(Uuid, Uuid)>,
    /// `[module, data]`: the module produces the data node.
    pub out_edges: Vec<(Uuid, Uuid)>,
    /// Output names, in order.
    pub declared_outputs: Vec<String>,
    /// Output name -> data node UUID.
    pub output_bindings: BTreeMap<String, Uuid>,
}

/// A DagSpec's fields on the wire, in the order the messages list them.
const DAG_SPEC_FIELDS: &[&str] = &[
    "metadata",
    "modules",
    "data",
    "inEdges",
    "outEdges",
    "declaredOutputs",
    "outputBindings",
];

/// Wraps a map so that it is read with [`unique_map`].
struct Unique<K, V>(BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for Unique<K, V>
where
    K: Deserialize<'de> + Ord + std::fmt::Display,
    V: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        unique_map(d).map(Unique)
    }
}

impl<'de> Deserialize<'de> for DagSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = DagSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "a DagSpec: a JSON object with fields {DAG_SPEC_FIELDS:?}"
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<DagSpec, A::Error> {
                Err(de::Error::custom(format_args!(
                    "not a DagSpec: a JSON array; a DagSpec is an object with fields {DAG_SPEC_FIELDS:?}"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DagSpec, A::Error> {
                let mut spec = DagSpec::default();
                let mut seen = [false; DAG_SPEC_FIELDS.len()];
                // A few of the keys that are not a DagSpec's, for the
                // message when none of them is.
                let mut others: Vec<String> = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let Some(i) = DAG_SPEC_FIELDS.iter().position(|f| *f == key) else {
                        if others.len() < 8 {
                            others.push(key.into_owned());
                        }
                        map.next_value::<de::IgnoredAny>()?;
                        continue;
                    };
                    if std::mem::replace(&mut seen[i], true) {
                        return Err(de::Error::custom(format_args!(
                            "duplicate key `{key}`; each key may appear once"
                        )));
                    }
                    match i {
                        0 => spec.metadata = map.next_value()?,
                        1 => spec.modules = map.next_value::<Unique<_, _>>()?.0,
                        2 => spec.data = map.next_value::<Unique<_, _>>()?.0,
                        3 => spec.in_edges = map.next_value()?,
                        4 => spec.out_edges = map.next_value()?,
                        5 => spec.declared_outputs = map.next_value()?,
                        _ => spec.output_bindings = map.next_value::<Unique<_, _>>()?.0,
                    }
                }
                if !seen.contains(&true) {
                    let keys = if others.is_empty() {
                        "it is an empty object".to_owned()
                    } else {
                        format!("its keys are {others:?}")
                    };
                    return Err(de::Error::custom(format_args!(
                        "not a DagSpec: the object has none of a DagSpec's fields {DAG_SPEC_FIELDS:?} ({keys}); is it another kind of file?"
                    )));
                }
                Ok(spec)
            }
        }
        d.deserialize_any(SpecVisitor)
    }
}

impl DagSpec {
    /// Parses a spec from the original's JSON (or ours).
    ///
    /// A UTF-8 byte-order mark before the JSON is skipped. Refused, where
    /// serde alone would accept them: a JSON array (which serde would read
    /// field by field), an object with none of a DagSpec's fields (another
    /// kind of file, whose unknown fields would be ignored), and a key
    /// given twice in any map of the spec (serde keeps the last).
    pub fn from_json(text: &str) -> Result<DagSpec, serde_json::Error> {
        serde_json::from_str(strip_bom(text))
    }

    /// Writes the spec as pretty JSON; transforms carry their parameters.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a DagSpec always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_original_format() {
        let m = "6f1c1ab4-2d4e-4f30-9b0a-6a3d6fe3f001";
        let d = "6f1c1ab4-2d4e-4f30-9b0a-6a3d6fe3f002";
        let spec: DagSpec = serde_json::from_value(json!({
            "metadata": {"name": "demo", "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
            "modules": {m: {
                "metadata": {"name": "demo.Uppercase", "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
                "consumes": {"text": {"tag": "CString"}},
                "produces": {"result": {"tag": "CString"}},
                "config": {"inputsTimeout": 6000, "moduleTimeout": 3000}
            }},
            "data": {d: {"name": "text", "nicknames": {d: "text", m: "text"}, "cType": {"tag": "CString"}}},
            "inEdges": [[d, m]],
            "outEdges": [],
            "declaredOutputs": [],
            "outputBindings": {}
        }))
        .unwrap();
        let module = &spec.modules[&m.parse::<Uuid>().unwrap()];
        assert_eq!(module.config.module_timeout, Some(3000));
        assert_eq!(module.metadata.name, "demo.Uppercase");
        assert_eq!(spec.in_edges.len(), 1);
        let again: DagSpec = serde_json::from_str(&spec.to_json()).unwrap();
        assert_eq!(again, spec);
    }
}
