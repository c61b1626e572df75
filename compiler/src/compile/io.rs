//! Step 5: the declared outputs bound, and the rest of the data nodes
//! taken as user inputs (one that nothing reads is a warning, as the
//! original runs such pipelines).

use std::collections::HashMap;

use uuid::Uuid;

use crate::error::CompileError;
use crate::ids::{InputIx, SlotIx};
use crate::plan::{CompileWarning, InputDecl, OutputDecl, Producer};
use crate::spec::DagSpec;

use super::names::Names;

/// Binds the declared outputs (and any other output bindings).
pub(super) fn declared_outputs(
    spec: &DagSpec,
    slot_ix: &HashMap<Uuid, u32>,
    errors: &mut Vec<CompileError>,
) -> Vec<OutputDecl> {
    let mut outputs = Vec::new();
    for name in &spec.declared_outputs {
        match spec.output_bindings.get(name) {
            None => errors.push(CompileError::OutputUnbound {
                output: name.clone(),
            }),
            Some(uuid) => match slot_ix.get(uuid) {
                Some(&s) => outputs.push(OutputDecl {
                    name: name.clone(),
                    slot: SlotIx(s),
                }),
                None => errors.push(CompileError::OutputToUnknownNode {
                    output: name.clone(),
                    uuid: *uuid,
                }),
            },
        }
    }
    for (name, uuid) in &spec.output_bindings {
        if spec.declared_outputs.contains(name) {
            continue;
        }
        match slot_ix.get(uuid) {
            Some(&s) => outputs.push(OutputDecl {
                name: name.clone(),
                slot: SlotIx(s),
            }),
            None => errors.push(CompileError::OutputToUnknownNode {
                output: name.clone(),
                uuid: *uuid,
            }),
        }
    }
    outputs
}

/// The user inputs: every data node nothing produces, sorted by name, each
/// made its slot's producer; with a warning for each that nothing reads.
pub(super) fn user_inputs(
    spec: &DagSpec,
    names: &Names<'_>,
    slot_ix: &HashMap<Uuid, u32>,
    claimed: &[Option<usize>],
    outputs: &[OutputDecl],
    producer: &mut [Option<Producer>],
    errors: &mut Vec<CompileError>,
) -> (Vec<InputDecl>, Vec<CompileWarning>) {
    let slot_count = names.slot_uuid.len();
    // Consumed as the spec says, not as far as binding got: a node read by a
    // module or transform that has problems of its own is no orphan.
    let mut consumed = vec![false; slot_count];
    for (d_uuid, _) in &spec.in_edges {
        if let Some(&d) = slot_ix.get(d_uuid) {
            consumed[d as usize] = true;
        }
    }
    for node in spec.data.values().filter(|n| n.is_transform()) {
        for src in node.transform_inputs.values() {
            if let Some(&s) = slot_ix.get(src) {
                consumed[s as usize] = true;
            }
        }
    }
    for o in outputs {
        consumed[o.slot.ix()] = true;
    }
    // A module's fallback reads its data node (when every attempt failed).
    for m in spec.modules.values() {
        if let Some(&s) = m.options.fallback.as_ref().and_then(|f| slot_ix.get(f)) {
            consumed[s as usize] = true;
        }
    }
    let mut inputs: Vec<InputDecl> = Vec::new();
    let mut warnings = Vec::new();
    for (d, uuid) in names.slot_uuid.iter().enumerate() {
        let node = &spec.data[uuid];
        if claimed[d].is_some() || node.is_transform() {
            continue;
        }
        if !consumed[d] {
            warnings.push(CompileWarning::UnreadInput {
                data: names.data(d),
            });
        }
        inputs.push(InputDecl {
            name: node.name.clone(),
            ty: node.c_type.clone(),
            slot: SlotIx(d as u32),
        });
    }
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    for w in inputs.windows(2) {
        if w[0].name == w[1].name {
            errors.push(CompileError::DuplicateInputName {
                first: names.data(w[0].slot.ix()),
                second: names.data(w[1].slot.ix()),
            });
        }
    }
    for (i, decl) in inputs.iter().enumerate() {
        producer[decl.slot.ix()] = Some(Producer::Input(InputIx(i as u32)));
    }
    (inputs, warnings)
}
