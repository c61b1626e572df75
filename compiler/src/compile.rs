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

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bumpalo::collections::Vec as BumpVec;
use bumpalo::Bump;
use uuid::Uuid;

use crate::error::{CompileError, CompileErrors};
use crate::ids::{Csr, InputIx, ModuleIx, NodeIx, SlotIx, TransformIx};
use crate::numbering::walk_order;
use crate::plan::{CompileWarning, InputDecl, NodeRef, OutputDecl, Plan, Producer, UNBOUND_SLOT};
use crate::signature::{short_name, ModuleSignature, Resolution, Signatures};
use crate::spec::{DagSpec, ModuleNodeSpec, TransformProblem};
use crate::subtype::port_accepts;
use crate::transform::InlineTransform;
use crate::typecheck::{check_transform, is_subtype};
use crate::value::CType;

/// Names of everything in a spec, by dense index, for error messages.
struct Names<'s> {
    spec: &'s DagSpec,
    module_uuid: Vec<Uuid>,
    slot_uuid: Vec<Uuid>,
}

impl Names<'_> {
    fn module(&self, m: usize) -> NodeRef {
        let uuid = self.module_uuid[m];
        NodeRef {
            uuid,
            name: self.spec.modules[&uuid].metadata.name.clone(),
        }
    }

    fn data(&self, d: usize) -> NodeRef {
        let uuid = self.slot_uuid[d];
        NodeRef {
            uuid,
            name: self.spec.data[&uuid].name.clone(),
        }
    }
}

/// A transform that resolved, before it gets its dense index.
struct PendingTransform {
    slot: u32,
    transform: InlineTransform,
    inputs: Vec<u32>,
}

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
                &module_ix,
                m_uuid,
                "outEdges",
                index,
                "module",
                "modules",
                &mut errors,
            ),
            endpoint(
                &slot_ix,
                d_uuid,
                "outEdges",
                index,
                "data node",
                "data",
                &mut errors,
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
                &slot_ix,
                d_uuid,
                "inEdges",
                index,
                "data node",
                "data",
                &mut errors,
            ),
            endpoint(
                &module_ix,
                m_uuid,
                "inEdges",
                index,
                "module",
                "modules",
                &mut errors,
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

    // Step 4: transforms.
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

    // Step 5: user inputs and declared outputs.
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
    for o in &outputs {
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

/// Checks a module node's declared `consumes` / `produces` against the
/// bound module's signature. A declaration may leave ports out (builders
/// write only the ports they bind); each port it names must exist, a
/// declared parameter type must be a subtype of the module's (the caller
/// feeds the module what it declares) and the module's output type a
/// subtype of the declared one (the node promises what the module gives).
fn check_declaration(
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

struct Order {
    order: Vec<NodeIx>,
    depth: u32,
    cycles: Vec<Vec<NodeIx>>,
}

/// Kahn's algorithm over nodes; on leftovers, walks predecessor links to
/// report each cycle once, as a path whose first node repeats at the end.
fn topological_order(
    bump: &Bump,
    node_count: usize,
    node_inputs: &Csr<SlotIx>,
    node_outputs: &Csr<SlotIx>,
    slot_consumers: &Csr<NodeIx>,
    producer_node: &dyn Fn(SlotIx) -> Option<NodeIx>,
) -> Order {
    let mut indegree = BumpVec::with_capacity_in(node_count, bump);
    let mut depth = BumpVec::with_capacity_in(node_count, bump);
    for n in 0..node_count {
        let preds = node_inputs
            .row(n)
            .iter()
            .filter(|s| producer_node(**s).is_some())
            .count();
        indegree.push(preds as u32);
        depth.push(1u32);
    }
    let mut order: Vec<NodeIx> = (0..node_count as u32)
        .filter(|&n| indegree[n as usize] == 0)
        .map(NodeIx)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let n = order[head];
        head += 1;
        for &s in node_outputs.row(n.ix()) {
            if s == UNBOUND_SLOT {
                continue;
            }
            for &c in slot_consumers.row(s.ix()) {
                depth[c.ix()] = depth[c.ix()].max(depth[n.ix()] + 1);
                indegree[c.ix()] -= 1;
                if indegree[c.ix()] == 0 {
                    order.push(c);
                }
            }
        }
    }
    let max_depth = if node_count == 0 {
        0
    } else {
        depth.iter().copied().max().unwrap_or(0)
    };
    let mut cycles = Vec::new();
    if order.len() < node_count {
        // 0 = not visited, k = visited in walk k.
        let mut walk_of = BumpVec::from_iter_in(std::iter::repeat_n(0u32, node_count), bump);
        let mut walk = 0;
        for start in 0..node_count {
            if indegree[start] == 0 || walk_of[start] != 0 {
                continue;
            }
            walk += 1;
            let mut path = BumpVec::new_in(bump);
            let mut n = NodeIx(start as u32);
            loop {
                if walk_of[n.ix()] == walk {
                    // A new cycle: the part of the path from n's first visit.
                    let from = path
                        .iter()
                        .position(|&p| p == n)
                        .expect("visited in this walk");
                    let mut cycle: Vec<NodeIx> = path[from..].to_vec();
                    cycle.reverse();
                    cycle.push(cycle[0]);
                    cycles.push(cycle);
                    break;
                }
                if walk_of[n.ix()] != 0 {
                    break; // reached a cycle reported by an earlier walk
                }
                walk_of[n.ix()] = walk;
                path.push(n);
                // Every leftover node has a leftover predecessor.
                let pred = node_inputs
                    .row(n.ix())
                    .iter()
                    .filter_map(|&s| producer_node(s))
                    .find(|p| indegree[p.ix()] > 0)
                    .expect("a node left by Kahn has a predecessor left too");
                n = pred;
            }
        }
    }
    Order {
        order,
        depth: max_depth,
        cycles,
    }
}
