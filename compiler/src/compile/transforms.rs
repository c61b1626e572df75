//! Step 4: inline transforms resolved, their inputs bound by name, and
//! their typing checked.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::error::CompileError;
use crate::ids::TransformIx;
use crate::plan::Producer;
use crate::spec::{DagSpec, TransformProblem};
use crate::transform::InlineTransform;
use crate::typecheck::check_transform;
use crate::value::CType;

use super::names::Names;

/// A transform that resolved, before it gets its dense index.
pub(super) struct PendingTransform {
    /// The slot it produces.
    pub(super) slot: u32,
    /// The transform.
    pub(super) transform: InlineTransform,
    /// Its input slots, in the order of its input names.
    pub(super) inputs: Vec<u32>,
}

/// Resolves every transform data node; each that binds becomes its slot's
/// producer.
pub(super) fn resolve_transforms(
    spec: &DagSpec,
    names: &Names<'_>,
    slot_ix: &HashMap<Uuid, u32>,
    claimed: &[Option<usize>],
    producer: &mut [Option<Producer>],
    errors: &mut Vec<CompileError>,
) -> Vec<PendingTransform> {
    let mut transforms: Vec<PendingTransform> = Vec::new();
    for (d, uuid) in names.slot_uuid.iter().enumerate() {
        let node = &spec.data[uuid];
        if !node.is_transform() {
            continue;
        }
        if let Some(first) = claimed[d] {
            errors.push(CompileError::ProducedTwice {
                data: names.data(d),
                first: names.module(first),
                second: names.data(d),
            });
            continue;
        }
        let transform = match node.transform() {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(TransformProblem::Unknown(class)) => {
                errors.push(CompileError::BadTransform {
                    data: names.data(d),
                    problem: format!("`{class}` is not a known transform; use one of Merge, Project, FieldAccess, Conditional, Guard, Coalesce, And, Or, Not, Literal, StringInterpolation, ListLiteral, RecordBuild, Collect, Interleave, Zip"),
                });
                continue;
            }
            Err(TransformProblem::MissingParameters(class)) => {
                errors.push(CompileError::BadTransform {
                    data: names.data(d),
                    problem: format!("`{class}` arrived without its parameters (the original's JSON keeps only the class name); write the node with an `inlineTransform` object that carries them"),
                });
                continue;
            }
        };
        if let Some(problem) = transform.parameter_problem() {
            errors.push(CompileError::BadTransform {
                data: names.data(d),
                problem,
            });
            continue;
        }
        // A ListLiteral's `len` comes straight from the spec; spelling out
        // its input names for a `len` past the inputs given could ask for
        // any amount of memory (found by fuzzing).
        if let InlineTransform::ListLiteral { len } = transform {
            let given = node.transform_inputs.len();
            if len > given {
                errors.push(CompileError::BadTransform {
                    data: names.data(d),
                    problem: format!(
                        "ListLiteral declares {len} elements but has {given} transform inputs; give one input per element (`elem0`, `elem1`, ...) and set `len` to their number"
                    ),
                });
                continue;
            }
        }
        let expected = transform.input_names();
        let mut ok = true;
        // A set for wide transforms: a 100,000-field RecordBuild would
        // otherwise scan its input names once per given input.
        let expected_set: Option<HashSet<&str>> =
            (expected.len() > 16).then(|| expected.iter().map(String::as_str).collect());
        for given in node.transform_inputs.keys() {
            let known = match &expected_set {
                Some(set) => set.contains(given.as_str()),
                None => expected.contains(given),
            };
            if !known {
                ok = false;
                errors.push(CompileError::TransformInputUnknown {
                    data: names.data(d),
                    kind: transform.kind(),
                    input: given.clone(),
                    expected: expected.clone(),
                });
            }
        }
        let mut inputs = Vec::with_capacity(expected.len());
        for name in &expected {
            match node.transform_inputs.get(name) {
                None => {
                    ok = false;
                    errors.push(CompileError::TransformInputMissing {
                        data: names.data(d),
                        kind: transform.kind(),
                        input: name.clone(),
                        expected: expected.clone(),
                    });
                }
                Some(src) => match slot_ix.get(src) {
                    Some(&s) => inputs.push(s),
                    None => {
                        ok = false;
                        errors.push(CompileError::TransformInputUnknownNode {
                            data: names.data(d),
                            input: name.clone(),
                            uuid: *src,
                        });
                    }
                },
            }
        }
        if ok {
            let types: Vec<&CType> = inputs
                .iter()
                .map(|&s| &spec.data[&names.slot_uuid[s as usize]].c_type)
                .collect();
            if let Err(problem) = check_transform(&transform, &types, &node.c_type) {
                errors.push(CompileError::BadTransform {
                    data: names.data(d),
                    problem,
                });
                continue;
            }
            producer[d] = Some(Producer::Transform(TransformIx(transforms.len() as u32)));
            transforms.push(PendingTransform {
                slot: d as u32,
                transform,
                inputs,
            });
        }
    }
    transforms
}
