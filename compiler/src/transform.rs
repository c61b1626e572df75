//! Inline transforms: data nodes computed from other data nodes by a fixed
//! function, with no module behind them.
//!
//! In the original they are closures, so a spec that went through JSON kept
//! only their class name. Here a transform is data, [`InlineTransform`], a
//! serializable enum with its parameters, and its semantics are a pure
//! function over [`CValue`]s ([`InlineTransform::apply`], in
//! `transform_eval.rs`) that the runtime calls. Semantics follow the
//! original (reference page, section 2).
//!
//! Every transform reads its inputs in a canonical order
//! ([`InlineTransform::input_names`]); the compiler lays the input slots out
//! in that order so that `apply` finds input `i` at position `i`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::value::{CType, CValue};

/// Why a data node's transform cannot be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransformProblem {
    /// The class name is not one we know.
    Unknown(String),
    /// The original's JSON named a transform that needs parameters, and the
    /// parameters are not there.
    MissingParameters(String),
}

/// A transform and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum InlineTransform {
    /// `left ++ right`: records merge with the right side winning; lists of
    /// equal length merge element-wise; a list and a record broadcast.
    Merge,
    /// Keep the named fields of a record (or of each record in a list).
    Project {
        /// The fields kept.
        fields: Vec<String>,
    },
    /// One field of a record; maps over lists and unwraps unions.
    FieldAccess {
        /// The field read.
        field: String,
    },
    /// `if cond then thenBr else elseBr`.
    Conditional,
    /// `expr when cond`: `Some(expr)` if `cond`, else `None`.
    Guard,
    /// `left ?? right`: the optional `left`'s value if present, else `right`.
    Coalesce,
    /// Boolean and.
    And,
    /// Boolean or.
    Or,
    /// Boolean not.
    Not,
    /// A constant.
    Literal {
        /// The constant's value.
        value: CValue,
    },
    /// `"a${x}b${y}c"`: `parts` are the literal pieces around the inputs
    /// `expr0 .. exprN-1`, so there is one more part than there are inputs.
    StringInterpolation {
        /// The literal text around the interpolated values.
        parts: Vec<String>,
    },
    /// `[elem0, .., elemN-1]`.
    ListLiteral {
        /// The number of elements.
        len: usize,
    },
    /// A record with one input per field.
    RecordBuild {
        /// The field names, which are also the input names.
        fields: Vec<String>,
    },
    /// Materializes a sequence as a list; any other value becomes a
    /// one-element list.
    Collect,
    /// Alternates the elements of two lists (`l0, r0, l1, r1, ...`),
    /// stopping at the shorter.
    Interleave,
    /// Pairs the elements of two lists as records `{_1, _2}`, stopping at
    /// the shorter.
    Zip,
}

/// A transform applied to values it cannot handle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransformError(pub String);

impl InlineTransform {
    /// The original's class name (`"MergeTransform"`).
    pub fn class_name(&self) -> &'static str {
        match self {
            InlineTransform::Merge => "MergeTransform",
            InlineTransform::Project { .. } => "ProjectTransform",
            InlineTransform::FieldAccess { .. } => "FieldAccessTransform",
            InlineTransform::Conditional => "ConditionalTransform",
            InlineTransform::Guard => "GuardTransform",
            InlineTransform::Coalesce => "CoalesceTransform",
            InlineTransform::And => "AndTransform",
            InlineTransform::Or => "OrTransform",
            InlineTransform::Not => "NotTransform",
            InlineTransform::Literal { .. } => "LiteralTransform",
            InlineTransform::StringInterpolation { .. } => "StringInterpolationTransform",
            InlineTransform::ListLiteral { .. } => "ListLiteralTransform",
            InlineTransform::RecordBuild { .. } => "RecordBuildTransform",
            InlineTransform::Collect => "CollectTransform",
            InlineTransform::Interleave => "InterleaveTransform",
            InlineTransform::Zip => "ZipTransform",
        }
    }

    /// Whether the original's transform is a parameterless `case object`
    /// (rather than a `case class`), which its structural hash marks.
    pub fn is_case_object(&self) -> bool {
        matches!(
            self,
            InlineTransform::Conditional
                | InlineTransform::Guard
                | InlineTransform::Coalesce
                | InlineTransform::And
                | InlineTransform::Or
                | InlineTransform::Not
                | InlineTransform::Interleave
                | InlineTransform::Zip
        )
    }

    /// The short kind name (`"Merge"`), as used in messages.
    pub fn kind(&self) -> &'static str {
        self.class_name().trim_end_matches("Transform")
    }

    /// Resolves a bare class name from the original's JSON. Transforms whose
    /// parameters follow from the inputs and the node's type resolve;
    /// `FieldAccess`, `Literal` and `StringInterpolation` cannot.
    pub fn from_class_name(
        class: &str,
        inputs: &BTreeMap<String, Uuid>,
        node_type: &CType,
    ) -> Result<InlineTransform, TransformProblem> {
        let short = class.rsplit('.').next().unwrap_or(class);
        let short = short.strip_suffix("Transform").unwrap_or(short);
        Ok(match short {
            "Merge" => InlineTransform::Merge,
            "Conditional" => InlineTransform::Conditional,
            "Guard" => InlineTransform::Guard,
            "Coalesce" => InlineTransform::Coalesce,
            "And" => InlineTransform::And,
            "Or" => InlineTransform::Or,
            "Not" => InlineTransform::Not,
            "Collect" => InlineTransform::Collect,
            "Interleave" => InlineTransform::Interleave,
            "Zip" => InlineTransform::Zip,
            "ListLiteral" => InlineTransform::ListLiteral { len: inputs.len() },
            "RecordBuild" => InlineTransform::RecordBuild {
                fields: inputs.keys().cloned().collect(),
            },
            "Project" => match node_type {
                CType::Product(s) => InlineTransform::Project {
                    fields: s.keys().cloned().collect(),
                },
                CType::List(e) if matches!(**e, CType::Product(_)) => match &**e {
                    CType::Product(s) => InlineTransform::Project {
                        fields: s.keys().cloned().collect(),
                    },
                    _ => unreachable!("guarded by the match arm"),
                },
                _ => return Err(TransformProblem::MissingParameters(class.to_owned())),
            },
            "FieldAccess" | "Literal" | "StringInterpolation" => {
                return Err(TransformProblem::MissingParameters(class.to_owned()))
            }
            _ => return Err(TransformProblem::Unknown(class.to_owned())),
        })
    }

    /// The transform's input names in the order [`apply`](Self::apply)
    /// reads them.
    pub fn input_names(&self) -> Vec<String> {
        let fixed = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect();
        match self {
            InlineTransform::Merge
            | InlineTransform::Coalesce
            | InlineTransform::And
            | InlineTransform::Or
            | InlineTransform::Interleave
            | InlineTransform::Zip => fixed(&["left", "right"]),
            InlineTransform::Project { .. }
            | InlineTransform::FieldAccess { .. }
            | InlineTransform::Collect => fixed(&["source"]),
            InlineTransform::Conditional => fixed(&["cond", "thenBr", "elseBr"]),
            InlineTransform::Guard => fixed(&["expr", "cond"]),
            InlineTransform::Not => fixed(&["operand"]),
            InlineTransform::Literal { .. } => Vec::new(),
            InlineTransform::StringInterpolation { parts } => (0..parts.len().saturating_sub(1))
                .map(|i| format!("expr{i}"))
                .collect(),
            InlineTransform::ListLiteral { len } => (0..*len).map(|i| format!("elem{i}")).collect(),
            InlineTransform::RecordBuild { fields } => fields.clone(),
        }
    }

    /// Problems with the parameters themselves (found at compile time).
    pub fn parameter_problem(&self) -> Option<String> {
        match self {
            InlineTransform::StringInterpolation { parts } if parts.is_empty() => {
                Some("StringInterpolation needs at least one literal part".into())
            }
            InlineTransform::RecordBuild { fields } => {
                let mut sorted: Vec<&String> = fields.iter().collect();
                sorted.sort();
                sorted.dedup();
                (sorted.len() != fields.len()).then(|| "RecordBuild lists a field twice".to_owned())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_resolve_only_when_parameters_are_derivable() {
        let none = BTreeMap::new();
        assert_eq!(
            InlineTransform::from_class_name("ConditionalTransform", &none, &CType::Int),
            Ok(InlineTransform::Conditional)
        );
        assert_eq!(
            InlineTransform::from_class_name("FieldAccessTransform", &none, &CType::Int),
            Err(TransformProblem::MissingParameters(
                "FieldAccessTransform".into()
            ))
        );
        assert_eq!(
            InlineTransform::from_class_name("Bogus", &none, &CType::Int),
            Err(TransformProblem::Unknown("Bogus".into()))
        );
        let json = serde_json::to_string(&InlineTransform::Project {
            fields: vec!["a".into()],
        })
        .unwrap();
        assert_eq!(json, r#"{"kind":"Project","fields":["a"]}"#);
    }
}
