//! Step 3: module out-edges bound to output fields and in-edges to
//! parameters, by the data node's nickname for the module, each data node's
//! type checked against the port it plays; and a module node's own
//! declaration of its ports, against the module bound.

use std::collections::HashMap;

use uuid::Uuid;

use crate::error::CompileError;
use crate::ids::{ModuleIx, SlotIx};
use crate::plan::{NodeRef, Producer, UNBOUND_SLOT};
use crate::signature::ModuleSignature;
use crate::spec::{DagSpec, ModuleNodeSpec};
use crate::subtype::port_accepts;
use crate::typecheck::is_subtype;
use crate::value::CType;

use super::names::Names;

/// What binding the out-edges found, by slot and by module.
pub(super) struct BoundOutputs {
    /// Each slot's producer so far (a module's output field).
    pub(super) producer: Vec<Option<Producer>>,
    /// The first module an out-edge names as each slot's producer.
    pub(super) claimed: Vec<Option<usize>>,
    /// Each module's output fields' slots, [`UNBOUND_SLOT`] where unbound.
    pub(super) module_outputs: Vec<Vec<SlotIx>>,
}

/// Binds module outputs (the out-edges).
pub(super) fn bind_outputs(
    spec: &DagSpec,
    names: &Names<'_>,
    module_ix: &HashMap<Uuid, u32>,
    slot_ix: &HashMap<Uuid, u32>,
    resolved: &[Option<&ModuleSignature>],
    errors: &mut Vec<CompileError>,
) -> BoundOutputs {
    let slot_count = names.slot_uuid.len();
    let mut producer: Vec<Option<Producer>> = vec![None; slot_count];
    // The first module an out-edge names as a slot's producer, whether or not
    // the module resolved and the edge bound: such a slot is produced, never a
    // user input, and a second producer is a problem of its own.
    let mut claimed: Vec<Option<usize>> = vec![None; slot_count];
    let mut module_outputs: Vec<Vec<SlotIx>> = resolved
        .iter()
        .map(|s| s.map_or(Vec::new(), |s| vec![UNBOUND_SLOT; s.outputs.len()]))
        .collect();
    for (index, (m_uuid, d_uuid)) in spec.out_edges.iter().enumerate() {
        let (Some(&m), Some(&d)) = (
            endpoint(
                module_ix, m_uuid, "outEdges", index, "module", "modules", errors,
            ),
            endpoint(
                slot_ix,
                d_uuid,
                "outEdges",
                index,
                "data node",
                "data",
                errors,
            ),
        ) else {
            continue;
        };
        let (m, d) = (m as usize, d as usize);
        if let Some(first) = claimed[d] {
            errors.push(CompileError::ProducedTwice {
                data: names.data(d),
                first: names.module(first),
                second: names.module(m),
            });
            continue;
        }
        claimed[d] = Some(m);
        let Some(sig) = resolved[m] else { continue };
        let node = &spec.data[d_uuid];
        let Some(port) = node.nicknames.get(m_uuid) else {
            errors.push(CompileError::MissingNickname {
                data: names.data(d),
                module: names.module(m),
                port_kind: "output field",
            });
            continue;
        };
        let Some(pos) = sig.output_index(port) else {
            errors.push(CompileError::UnknownPort {
                data: names.data(d),
                module: names.module(m),
                port: port.clone(),
                port_kind: "output field",
                available: sig.outputs.iter().map(|p| p.name.clone()).collect(),
            });
            continue;
        };
        if module_outputs[m][pos] != UNBOUND_SLOT {
            errors.push(CompileError::PortBoundTwice {
                module: names.module(m),
                port: port.clone(),
                port_kind: "output field",
                first: names.data(module_outputs[m][pos].ix()),
                second: names.data(d),
            });
            continue;
        }
        // With `onError: wrap` the output's node carries the wrapped type.
        let wrapped = spec.modules[m_uuid].options.wraps_errors()
            && node.c_type == crate::options::wrapped_type(&sig.outputs[pos].ty);
        if !port_accepts(&sig.outputs[pos].ty, &node.c_type) && !wrapped {
            errors.push(CompileError::TypeMismatch {
                data: names.data(d),
                module: names.module(m),
                port: port.clone(),
                expected: sig.outputs[pos].ty.clone(),
                found: node.c_type.clone(),
            });
        }
        module_outputs[m][pos] = SlotIx(d as u32);
        producer[d] = Some(Producer::Module(ModuleIx(m as u32), pos as u32));
    }
    BoundOutputs {
        producer,
        claimed,
        module_outputs,
    }
}

/// Binds module inputs (the in-edges), and reports each parameter left
/// unbound.
pub(super) fn bind_inputs(
    spec: &DagSpec,
    names: &Names<'_>,
    module_ix: &HashMap<Uuid, u32>,
    slot_ix: &HashMap<Uuid, u32>,
    resolved: &[Option<&ModuleSignature>],
    errors: &mut Vec<CompileError>,
) -> Vec<Vec<Option<SlotIx>>> {
    // Parameter positions by name for modules with many parameters, so
    // binding stays linear in the number of edges (a 10,000-input fan-in
    // would otherwise scan its parameter list once per edge).
    let wide_params: Vec<Option<HashMap<&str, usize>>> = resolved
        .iter()
        .map(|s| {
            s.filter(|s| s.params.len() > 16).map(|s| {
                s.params
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.name.as_str(), i))
                    .collect()
            })
        })
        .collect();
    let mut module_inputs: Vec<Vec<Option<SlotIx>>> = resolved
        .iter()
        .map(|s| s.map_or(Vec::new(), |s| vec![None; s.params.len()]))
        .collect();
    for (index, (d_uuid, m_uuid)) in spec.in_edges.iter().enumerate() {
        let (Some(&d), Some(&m)) = (
            endpoint(
                slot_ix,
                d_uuid,
                "inEdges",
                index,
                "data node",
                "data",
                errors,
            ),
            endpoint(
                module_ix, m_uuid, "inEdges", index, "module", "modules", errors,
            ),
        ) else {
            continue;
        };
        let (m, d) = (m as usize, d as usize);
        let Some(sig) = resolved[m] else { continue };
        let node = &spec.data[d_uuid];
        let Some(port) = node.nicknames.get(m_uuid) else {
            errors.push(CompileError::MissingNickname {
                data: names.data(d),
                module: names.module(m),
                port_kind: "parameter",
            });
            continue;
        };
        let Some(pos) = wide_params[m].as_ref().map_or_else(
            || sig.param_index(port),
            |ix| ix.get(port.as_str()).copied(),
        ) else {
            errors.push(CompileError::UnknownPort {
                data: names.data(d),
                module: names.module(m),
                port: port.clone(),
                port_kind: "parameter",
                available: sig.params.iter().map(|p| p.name.clone()).collect(),
            });
            continue;
        };
        if let Some(first) = module_inputs[m][pos] {
            errors.push(CompileError::PortBoundTwice {
                module: names.module(m),
                port: port.clone(),
                port_kind: "parameter",
                first: names.data(first.ix()),
                second: names.data(d),
            });
            continue;
        }
        if !port_accepts(&sig.params[pos].ty, &node.c_type) {
            errors.push(CompileError::TypeMismatch {
                data: names.data(d),
                module: names.module(m),
                port: port.clone(),
                expected: sig.params[pos].ty.clone(),
                found: node.c_type.clone(),
            });
        }
        module_inputs[m][pos] = Some(SlotIx(d as u32));
    }
    for (m, sig) in resolved.iter().enumerate() {
        let Some(sig) = sig else { continue };
        for (pos, bound) in module_inputs[m].iter().enumerate() {
            if bound.is_none() {
                errors.push(CompileError::MissingParameter {
                    module: names.module(m),
                    param: sig.params[pos].name.clone(),
                    ty: sig.params[pos].ty.clone(),
                });
            }
        }
    }
    module_inputs
}

/// Checks a module node's declared `consumes` / `produces` against the
/// bound module's signature. A declaration may leave ports out (builders
/// write only the ports they bind); each port it names must exist, a
/// declared parameter type must be a subtype of the module's (the caller
/// feeds the module what it declares) and the module's output type a
/// subtype of the declared one (the node promises what the module gives).
pub(super) fn check_declaration(
    node: &ModuleNodeSpec,
    sig: &ModuleSignature,
    module: impl Fn() -> NodeRef,
    errors: &mut Vec<CompileError>,
) {
    let sides = [
        ("parameter", &node.consumes, &sig.params),
        ("output field", &node.produces, &sig.outputs),
    ];
    for (port_kind, declared, ports) in sides {
        let wide: Option<HashMap<&str, &CType>> =
            (ports.len() > 16).then(|| ports.iter().map(|p| (p.name.as_str(), &p.ty)).collect());
        for (port, ty) in declared {
            let actual = match &wide {
                Some(ix) => ix.get(port.as_str()).copied(),
                None => ports.iter().find(|p| p.name == *port).map(|p| &p.ty),
            };
            let Some(actual) = actual else {
                errors.push(CompileError::UndeclaredPort {
                    module: module(),
                    bound: sig.name.clone(),
                    port: port.clone(),
                    port_kind,
                    declared: ty.clone(),
                    available: ports.iter().map(|p| p.name.clone()).collect(),
                });
                continue;
            };
            // Lists and sequences stand for each other at ports, as where
            // data nodes bind (`port_accepts`).
            let fits = if port_kind == "parameter" {
                is_subtype(ty, actual) || port_accepts(actual, ty)
            } else {
                is_subtype(actual, ty) || port_accepts(ty, actual)
            };
            if !fits {
                errors.push(CompileError::DeclarationMismatch {
                    module: module(),
                    bound: sig.name.clone(),
                    port: port.clone(),
                    port_kind,
                    declared: ty.clone(),
                    actual: actual.clone(),
                });
            }
        }
    }
}

fn endpoint<'m>(
    ix: &'m HashMap<Uuid, u32>,
    uuid: &Uuid,
    list: &'static str,
    index: usize,
    role: &'static str,
    table: &'static str,
    errors: &mut Vec<CompileError>,
) -> Option<&'m u32> {
    let found = ix.get(uuid);
    if found.is_none() {
        errors.push(CompileError::EdgeToUnknownNode {
            list,
            index,
            role,
            table,
            uuid: *uuid,
        });
    }
    found
}
