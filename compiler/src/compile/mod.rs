//! `compile`: a [`DagSpec`] and the known [`Signatures`] in, a [`Plan`] or
//! every problem out.
//!
//! The steps, each collecting errors rather than stopping at the first:
//!
//! 1. Number module nodes and data nodes densely, in a topological order
//!    (see `numbering.rs`: runs then walk their arrays front to back).
//! 2. Resolve each module node's name to a signature.
//! 3. Bind out-edges to output fields and in-edges to parameters, by the data
//!    node's nickname for the module (never by edge order or node name), and
//!    check each data node's type against the port it plays.
//! 4. Resolve inline transforms and bind their inputs by name.
//! 5. The rest are user inputs (one that nothing reads is a warning, as the
//!    original runs such pipelines); bind declared outputs.
//! 6. Order the nodes topologically (Kahn), measure depth, report cycles.
//!
//! Hashing happens here and only here: the plan that comes out is arrays.
//! Scratch arrays of step 6 live in a `bumpalo` arena dropped at the end.
//!
//! One file per step: `ports.rs` (step 3 and the nodes' declarations),
//! `transforms.rs` (4), `io.rs` (5), `order.rs` (6); `names.rs` names the
//! nodes in errors.

mod io;
mod names;
mod order;
mod ports;
mod transforms;

use std::collections::HashMap;
use std::time::Duration;

use bumpalo::Bump;
use uuid::Uuid;

use crate::error::{CompileError, CompileErrors};
use crate::ids::{Csr, NodeIx, SlotIx};
use crate::numbering::walk_order;
use crate::plan::{NodeRef, Plan, Producer};
use crate::signature::{short_name, ModuleSignature, Resolution, Signatures};
use crate::spec::DagSpec;

use io::{declared_outputs, user_inputs};
use names::Names;
use order::topological_order;
use ports::{bind_inputs, bind_outputs, check_declaration, BoundOutputs};
use transforms::{resolve_transforms, PendingTransform};

/// Compiles a spec against the known module signatures.
///
/// On success the plan satisfies [`Plan::check_invariants`]. On failure every
/// problem found is returned, each naming its node by name and UUID.
pub fn compile(spec: &DagSpec, signatures: &Signatures) -> Result<Plan, CompileErrors> {
    let mut errors = Vec::new();
    let (module_uuid, slot_uuid) = walk_order(spec);
    let names = Names {
        spec,
        module_uuid,
        slot_uuid,
    };
    let module_count = names.module_uuid.len();
    let slot_count = names.slot_uuid.len();
    let module_ix: HashMap<Uuid, u32> = (0..module_count as u32)
        .map(|i| (names.module_uuid[i as usize], i))
        .collect();
    let slot_ix: HashMap<Uuid, u32> = (0..slot_count as u32)
        .map(|i| (names.slot_uuid[i as usize], i))
        .collect();
    for &uuid in &names.module_uuid {
        if let Some(&d) = slot_ix.get(&uuid) {
            errors.push(CompileError::UuidReused {
                uuid,
                module: names.module(module_ix[&uuid] as usize).name,
                data: names.data(d as usize).name,
            });
        }
    }

    // Step 2: signatures.
    let resolved: Vec<Option<&ModuleSignature>> = (0..module_count)
        .map(|m| {
            let wanted = &spec.modules[&names.module_uuid[m]].metadata.name;
            match signatures.resolve(wanted) {
                Resolution::Found(sig) => Some(sig),
                Resolution::NotFound => {
                    errors.push(CompileError::UnknownModule {
                        node: names.module(m),
                        wanted: wanted.clone(),
                        short: short_name(wanted).to_owned(),
                    });
                    None
                }
                Resolution::Ambiguous(candidates) => {
                    errors.push(CompileError::AmbiguousModule {
                        node: names.module(m),
                        wanted: wanted.clone(),
                        candidates: candidates.into_iter().map(str::to_owned).collect(),
                    });
                    None
                }
            }
        })
        .collect();

    // A module node's own declaration of its ports, against the module
    // bound.
    for (m, sig) in resolved.iter().enumerate() {
        if let Some(sig) = sig {
            let node = &spec.modules[&names.module_uuid[m]];
            check_declaration(node, sig, || names.module(m), &mut errors);
        }
    }

    // Step 3: module outputs, then module inputs.
    let BoundOutputs {
        mut producer,
        claimed,
        module_outputs,
    } = bind_outputs(spec, &names, &module_ix, &slot_ix, &resolved, &mut errors);
    let module_inputs = bind_inputs(spec, &names, &module_ix, &slot_ix, &resolved, &mut errors);

    // Step 4: transforms.
    let transforms: Vec<PendingTransform> =
        resolve_transforms(spec, &names, &slot_ix, &claimed, &mut producer, &mut errors);

    // Step 5: user inputs and declared outputs.
    let outputs = declared_outputs(spec, &slot_ix, &mut errors);
    let (inputs, warnings) = user_inputs(
        spec,
        &names,
        &slot_ix,
        &claimed,
        &outputs,
        &mut producer,
        &mut errors,
    );

    // Step 6: the node graph. Missing parameters were reported above; leave
    // them out here so that the cycle search still sees every valid edge.
    let node_inputs: Csr<SlotIx> = Csr::from_rows(
        module_inputs
            .iter()
            .map(|row| row.iter().flatten().copied().collect::<Vec<_>>())
            .chain(
                transforms
                    .iter()
                    .map(|t| t.inputs.iter().map(|&s| SlotIx(s)).collect()),
            ),
    );
    let node_outputs: Csr<SlotIx> = Csr::from_rows(
        module_outputs
            .iter()
            .cloned()
            .chain(transforms.iter().map(|t| vec![SlotIx(t.slot)])),
    );
    let node_count = module_count + transforms.len();
    let producer_node = |s: SlotIx| -> Option<NodeIx> {
        match producer[s.ix()] {
            Some(Producer::Module(m, _)) => Some(NodeIx(m.0)),
            Some(Producer::Transform(t)) => Some(NodeIx(module_count as u32 + t.0)),
            _ => None,
        }
    };
    let mut consumers_of: Vec<Vec<NodeIx>> = vec![Vec::new(); slot_count];
    for n in 0..node_count {
        for s in node_inputs.row(n) {
            consumers_of[s.ix()].push(NodeIx(n as u32));
        }
    }
    let slot_consumers = Csr::from_rows(consumers_of);

    let bump = Bump::new();
    let order = topological_order(
        &bump,
        node_count,
        &node_inputs,
        &node_outputs,
        &slot_consumers,
        &producer_node,
    );
    let node_ref = |n: NodeIx| -> NodeRef {
        if n.ix() < module_count {
            names.module(n.ix())
        } else {
            names.data(transforms[n.ix() - module_count].slot as usize)
        }
    };
    for cycle in &order.cycles {
        errors.push(CompileError::Cycle {
            path: cycle.iter().map(|&n| node_ref(n)).collect(),
        });
    }

    if !errors.is_empty() {
        return Err(CompileErrors(errors));
    }

    let initial_pending: Vec<u32> = (0..node_count)
        .map(|n| node_inputs.row(n).len() as u32)
        .collect();
    let sources = (0..node_count as u32)
        .map(NodeIx)
        .filter(|n| initial_pending[n.ix()] == 0)
        .collect();
    let module_signature: Vec<ModuleSignature> = resolved
        .iter()
        .map(|s| (*s).expect("resolved: no errors").clone())
        .collect();
    let module_timeout = (0..module_count)
        .map(|m| {
            let node = &spec.modules[&names.module_uuid[m]];
            node.config
                .module_timeout
                .map(Duration::from_millis)
                .or(module_signature[m].default_timeout)
        })
        .collect();
    let module_options = names
        .module_uuid
        .iter()
        .map(|u| {
            let o = &spec.modules[u].options;
            (!o.is_empty()).then(|| Box::new(o.clone()))
        })
        .collect();
    let plan = Plan {
        name: spec.metadata.name.clone(),
        module_options,
        module_name: names
            .module_uuid
            .iter()
            .map(|u| spec.modules[u].metadata.name.clone())
            .collect(),
        module_signature,
        module_timeout,
        transform_slot: transforms.iter().map(|t| SlotIx(t.slot)).collect(),
        transform: transforms.into_iter().map(|t| t.transform).collect(),
        slot_name: names
            .slot_uuid
            .iter()
            .map(|u| spec.data[u].name.clone())
            .collect(),
        slot_type: names
            .slot_uuid
            .iter()
            .map(|u| spec.data[u].c_type.clone())
            .collect(),
        slot_producer: producer
            .into_iter()
            .map(|p| p.expect("every slot has a producer"))
            .collect(),
        slot_consumers,
        node_inputs,
        node_outputs,
        initial_pending,
        sources,
        topo_order: order.order,
        depth: order.depth,
        inputs,
        outputs,
        warnings,
        module_uuid: names.module_uuid,
        slot_uuid: names.slot_uuid,
    };
    debug_assert_eq!(plan.check_invariants(), Ok(()));
    Ok(plan)
}
