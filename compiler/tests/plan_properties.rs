//! Properties of compiled plans over random acyclic specs.
//!
//! A generated spec has 1 to 4 `Int` inputs and 1 to 39 module calls, each
//! reading earlier data nodes only (so the graph is acyclic), mixing five
//! signatures (one parameter, two parameters, two outputs with one sometimes
//! left unbound, an `Int -> Boolean`, a `List<Int> -> Int`), with transforms
//! (`Literal`, `ListLiteral`, `Not`, `And`) in between. UUIDs come from a
//! seeded builder, so dense indices (assigned in UUID order) are unrelated to
//! the order of creation; module nodes are named `prop.*` and resolve to the
//! registered `gen.*` by short name. Every node nothing reads is bound as an
//! output.
//!
//! Checked on each: compile succeeds and `check_invariants` holds; indices
//! are dense and each maps back to its own UUID; every node's input row is its
//! spec's inputs in parameter order, and its pending count equals its number
//! of incoming edges; `topo_order` puts every producer before its consumers.
//! Then, with one parameter rewired to a node downstream of its module, the
//! compile must fail with a cycle through that module.

use std::collections::{HashMap, HashSet};

use asterism_compiler::{
    compile, CType, CValue, CompileError, DagBuilder, DagSpec, DataKey, InlineTransform, ModuleIx,
    ModuleKey, ModuleSignature, NodeIx, NodeKind, Plan, Producer, Signatures, TransformIx,
    UNBOUND_SLOT,
};
use proptest::prelude::*;
use uuid::Uuid;

fn sigs() -> Signatures {
    [
        ModuleSignature::new("gen.inc", [("value", CType::Int)], [("out", CType::Int)]),
        ModuleSignature::new(
            "gen.add",
            [("a", CType::Int), ("b", CType::Int)],
            [("out", CType::Int)],
        ),
        ModuleSignature::new(
            "gen.divmod",
            [("n", CType::Int), ("d", CType::Int)],
            [("quot", CType::Int), ("rem", CType::Int)],
        ),
        ModuleSignature::new(
            "gen.positive",
            [("value", CType::Int)],
            [("out", CType::Boolean)],
        ),
        ModuleSignature::new(
            "gen.sum",
            [("xs", CType::list(CType::Int))],
            [("out", CType::Int)],
        ),
    ]
    .into_iter()
    .collect()
}

/// One module call, maybe followed by one transform; the numbers pick among
/// the data nodes made so far.
#[derive(Clone, Debug)]
struct Step {
    module: u8,
    picks: [u32; 3],
    /// For `divmod`: also bind `rem` (else it is left unbound).
    both_outputs: bool,
    transform: Option<(u8, [u32; 3])>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..5,
        any::<[u32; 3]>(),
        any::<bool>(),
        prop::option::weighted(0.3, (0u8..4, any::<[u32; 3]>())),
    )
        .prop_map(|(module, picks, both_outputs, transform)| Step {
            module,
            picks,
            both_outputs,
            transform,
        })
}

/// Who computes a data node in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Maker {
    Input,
    Module(usize),
    Transform(usize),
}

struct Datum {
    key: DataKey,
    ty: CType,
    maker: Maker,
}

/// A parameter and the datum bound to it.
type Param = (&'static str, usize);

struct Call {
    key: ModuleKey,
    /// Bound data in the signature's parameter order.
    params: Vec<Param>,
    /// Datum per output field, in the signature's output order.
    outputs: Vec<Option<usize>>,
}

struct Computed {
    key: DataKey,
    /// Data in the transform's canonical input order.
    inputs: Vec<usize>,
}

/// A generated spec and what it was built from.
struct Model {
    spec: DagSpec,
    data: Vec<Datum>,
    calls: Vec<Call>,
    computed: Vec<Computed>,
    data_uuid: Vec<Uuid>,
    call_uuid: Vec<Uuid>,
    input_names: Vec<String>,
}

impl Model {
    /// The nodes (modules, transforms) that read datum `d`.
    fn readers(&self, d: usize) -> Vec<Maker> {
        let mut out = Vec::new();
        for (i, c) in self.calls.iter().enumerate() {
            if c.params.iter().any(|&(_, p)| p == d) {
                out.push(Maker::Module(i));
            }
        }
        for (i, t) in self.computed.iter().enumerate() {
            if t.inputs.contains(&d) {
                out.push(Maker::Transform(i));
            }
        }
        out
    }

    /// Data made by a node.
    fn made_by(&self, node: Maker) -> Vec<usize> {
        (0..self.data.len())
            .filter(|&d| self.data[d].maker == node)
            .collect()
    }
}

fn generate(seed: u64, n_inputs: usize, steps: &[Step]) -> Model {
    let mut b = DagBuilder::seeded("prop", seed);
    let mut data: Vec<Datum> = Vec::new();
    let mut calls: Vec<Call> = Vec::new();
    let mut computed: Vec<Computed> = Vec::new();
    let mut input_names = Vec::new();
    // Data by type, as indices into `data`.
    let (mut ints, mut bools, mut lists) = (Vec::new(), Vec::new(), Vec::new());

    for i in 0..n_inputs {
        let name = format!("in{i}");
        let key = b.input(name.clone(), CType::Int);
        ints.push(data.len());
        data.push(Datum {
            key,
            ty: CType::Int,
            maker: Maker::Input,
        });
        input_names.push(name);
    }

    let pick = |pool: &[usize], p: u32| pool[p as usize % pool.len()];
    // Two different data nodes of a pool of at least two.
    let pick2 = |pool: &[usize], p: u32, q: u32| {
        let n = pool.len();
        let i = p as usize % n;
        let j = (i + 1 + q as usize % (n - 1)) % n;
        (pool[i], pool[j])
    };

    for step in steps {
        let [p, q, r] = step.picks;
        let kind = match step.module {
            1 | 2 if ints.len() < 2 => 0,
            4 if lists.is_empty() => 0,
            k => k,
        };
        let (name, params, outputs): (&str, Vec<Param>, Vec<(&str, CType)>) = match kind {
            0 => (
                "prop.inc",
                vec![("value", pick(&ints, p))],
                vec![("out", CType::Int)],
            ),
            1 => {
                let (x, y) = pick2(&ints, p, q);
                (
                    "prop.add",
                    vec![("a", x), ("b", y)],
                    vec![("out", CType::Int)],
                )
            }
            2 => {
                let (x, y) = pick2(&ints, p, q);
                let mut outs = vec![("quot", CType::Int)];
                if step.both_outputs {
                    outs.push(("rem", CType::Int));
                }
                ("prop.divmod", vec![("n", x), ("d", y)], outs)
            }
            3 => (
                "prop.positive",
                vec![("value", pick(&ints, r))],
                vec![("out", CType::Boolean)],
            ),
            _ => (
                "prop.sum",
                vec![("xs", pick(&lists, p))],
                vec![("out", CType::Int)],
            ),
        };
        let m = b.module(name);
        let call = calls.len();
        // Bind in reverse parameter order: edge order must not matter.
        for &(param, d) in params.iter().rev() {
            b.bind(data[d].key, m, param);
        }
        let mut out_data = Vec::new();
        for (field, ty) in outputs {
            let d = data.len();
            let key = b.produce(m, field, format!("m{call}.{field}"), ty.clone());
            match ty {
                CType::Int => ints.push(d),
                _ => bools.push(d),
            }
            data.push(Datum {
                key,
                ty,
                maker: Maker::Module(call),
            });
            out_data.push(Some(d));
        }
        if kind == 2 && !step.both_outputs {
            out_data.push(None);
        }
        calls.push(Call {
            key: m,
            params,
            outputs: out_data,
        });

        let Some((t_kind, [s, u, v])) = step.transform else {
            continue;
        };
        let t = computed.len();
        let name = format!("t{t}");
        let (transform, ty, inputs): (InlineTransform, CType, Vec<(String, usize)>) = match t_kind {
            1 => {
                let len = 1 + s as usize % 3;
                let elems = (0..len)
                    .map(|i| (format!("elem{i}"), pick(&ints, u.wrapping_add(i as u32))))
                    .collect();
                (
                    InlineTransform::ListLiteral { len },
                    CType::list(CType::Int),
                    elems,
                )
            }
            2 if !bools.is_empty() => (
                InlineTransform::Not,
                CType::Boolean,
                vec![("operand".to_owned(), pick(&bools, u))],
            ),
            // Both sides may be the same node.
            3 if !bools.is_empty() => (
                InlineTransform::And,
                CType::Boolean,
                vec![
                    ("left".to_owned(), pick(&bools, u)),
                    ("right".to_owned(), pick(&bools, v)),
                ],
            ),
            _ => (
                InlineTransform::Literal {
                    value: CValue::Int(i64::from(s)),
                },
                CType::Int,
                Vec::new(),
            ),
        };
        // Canonical order is the order `input_names` gives.
        let canonical: Vec<usize> = transform
            .input_names()
            .iter()
            .map(|n| inputs.iter().find(|(k, _)| k == n).expect("given").1)
            .collect();
        let named: Vec<(&str, DataKey)> = inputs
            .iter()
            .map(|(k, d)| (k.as_str(), data[*d].key))
            .collect();
        let key = b.transform(name, ty.clone(), transform, &named);
        let d = data.len();
        match ty {
            CType::Int => ints.push(d),
            CType::Boolean => bools.push(d),
            _ => lists.push(d),
        }
        data.push(Datum {
            key,
            ty,
            maker: Maker::Transform(t),
        });
        computed.push(Computed {
            key,
            inputs: canonical,
        });
    }

    let mut model = Model {
        spec: DagSpec::default(),
        data,
        calls,
        computed,
        data_uuid: Vec::new(),
        call_uuid: Vec::new(),
        input_names,
    };
    for d in 0..model.data.len() {
        if model.readers(d).is_empty() {
            b.output(format!("out{d}"), model.data[d].key);
        }
    }
    model.spec = b.build();
    model.data_uuid = model
        .data
        .iter()
        .map(|d| b.data_uuid(d.key).unwrap())
        .collect();
    model.call_uuid = model
        .calls
        .iter()
        .map(|c| b.module_uuid(c.key).unwrap())
        .collect();
    model
}

/// `(producer node, consumer node)` UUID pairs, read off the spec alone.
fn dependencies(spec: &DagSpec) -> HashSet<(Uuid, Uuid)> {
    let mut maker: HashMap<Uuid, Uuid> = spec.out_edges.iter().map(|&(m, d)| (d, m)).collect();
    for (&id, node) in &spec.data {
        if node.is_transform() {
            maker.insert(id, id);
        }
    }
    let mut deps = HashSet::new();
    for (d, m) in &spec.in_edges {
        if let Some(&p) = maker.get(d) {
            deps.insert((p, *m));
        }
    }
    for (&id, node) in spec.data.iter().filter(|(_, n)| n.is_transform()) {
        for src in node.transform_inputs.values() {
            if let Some(&p) = maker.get(src) {
                deps.insert((p, id));
            }
        }
    }
    deps
}

fn inputs_of(plan: &Plan, n: NodeIx) -> Vec<Uuid> {
    plan.node_inputs(n)
        .iter()
        .map(|&s| plan.slot_uuid(s))
        .collect()
}

fn check_plan(model: &Model) -> Result<(), TestCaseError> {
    let spec = &model.spec;
    let plan = compile(spec, &sigs()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(plan.check_invariants(), Ok(()));

    // Dense indices.
    prop_assert_eq!(plan.module_count(), model.calls.len());
    prop_assert_eq!(plan.transform_count(), model.computed.len());
    prop_assert_eq!(
        plan.module_count() + plan.transform_count(),
        plan.node_count()
    );
    prop_assert_eq!(plan.slot_count(), model.data.len());
    let nodes = plan.node_count();
    prop_assert_eq!(plan.topo_order().len(), nodes);
    prop_assert!(plan.topo_order().iter().all(|n| n.ix() < nodes));
    prop_assert!(plan.sources().iter().all(|n| n.ix() < nodes));
    for s in 0..plan.slot_count() as u32 {
        let s = asterism_compiler::SlotIx(s);
        prop_assert!(plan.slot_consumers(s).iter().all(|n| n.ix() < nodes));
    }

    // One UUID per index, each the spec's.
    let module_ids: Vec<Uuid> = (0..plan.module_count() as u32)
        .map(|m| plan.module_uuid(ModuleIx(m)))
        .collect();
    let slot_ids: Vec<Uuid> = (0..plan.slot_count() as u32)
        .map(|s| plan.slot_uuid(asterism_compiler::SlotIx(s)))
        .collect();
    let distinct: HashSet<Uuid> = module_ids.iter().chain(&slot_ids).copied().collect();
    prop_assert_eq!(distinct.len(), module_ids.len() + slot_ids.len());
    let spec_modules: HashSet<Uuid> = spec.modules.keys().copied().collect();
    let spec_data: HashSet<Uuid> = spec.data.keys().copied().collect();
    prop_assert_eq!(
        module_ids.iter().copied().collect::<HashSet<_>>(),
        spec_modules
    );
    prop_assert_eq!(slot_ids.iter().copied().collect::<HashSet<_>>(), spec_data);
    for s in 0..plan.slot_count() as u32 {
        let s = asterism_compiler::SlotIx(s);
        prop_assert_eq!(plan.slot_name(s), &spec.data[&plan.slot_uuid(s)].name);
    }

    // Each node's rows are its model's, in parameter / canonical order.
    let call_of: HashMap<Uuid, usize> = model
        .call_uuid
        .iter()
        .enumerate()
        .map(|(i, &u)| (u, i))
        .collect();
    let computed_of: HashMap<Uuid, usize> = model
        .computed
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                model.data_uuid[model.data.iter().position(|d| d.key == t.key).unwrap()],
                i,
            )
        })
        .collect();
    for n in 0..nodes as u32 {
        let n = NodeIx(n);
        let id = plan.node_uuid(n);
        match plan.node_kind(n) {
            NodeKind::Module(m) => {
                let call = &model.calls[call_of[&id]];
                let want: Vec<Uuid> = call
                    .params
                    .iter()
                    .map(|&(_, d)| model.data_uuid[d])
                    .collect();
                prop_assert_eq!(inputs_of(&plan, n), want);
                let outs: Vec<Option<Uuid>> = plan
                    .node_outputs(n)
                    .iter()
                    .map(|&s| (s != UNBOUND_SLOT).then(|| plan.slot_uuid(s)))
                    .collect();
                let want: Vec<Option<Uuid>> = call
                    .outputs
                    .iter()
                    .map(|d| d.map(|d| model.data_uuid[d]))
                    .collect();
                prop_assert_eq!(outs, want);
                for (pos, &s) in plan.node_outputs(n).iter().enumerate() {
                    if s != UNBOUND_SLOT {
                        prop_assert_eq!(plan.slot_producer(s), Producer::Module(m, pos as u32));
                    }
                }
                // Incoming edges of this module in the spec.
                let edges = spec.in_edges.iter().filter(|(_, to)| *to == id).count();
                prop_assert_eq!(plan.initial_pending()[n.ix()] as usize, edges);
            }
            NodeKind::Transform(t) => {
                let comp = &model.computed[computed_of[&id]];
                let want: Vec<Uuid> = comp.inputs.iter().map(|&d| model.data_uuid[d]).collect();
                prop_assert_eq!(inputs_of(&plan, n), want);
                prop_assert_eq!(
                    plan.slot_producer(plan.transform_slot(t)),
                    Producer::Transform(t)
                );
                let edges = spec.data[&id].transform_inputs.len();
                prop_assert_eq!(plan.initial_pending()[n.ix()] as usize, edges);
            }
        }
        prop_assert_eq!(
            plan.initial_pending()[n.ix()] as usize,
            plan.node_inputs(n).len()
        );
        prop_assert_eq!(
            plan.sources().contains(&n),
            plan.initial_pending()[n.ix()] == 0
        );
    }

    // Producers before consumers, for every dependency the spec states.
    let position: HashMap<Uuid, usize> = plan
        .topo_order()
        .iter()
        .enumerate()
        .map(|(i, &n)| (plan.node_uuid(n), i))
        .collect();
    for (producer, consumer) in dependencies(spec) {
        prop_assert!(
            position[&producer] < position[&consumer],
            "{} runs before its producer {}",
            consumer,
            producer
        );
    }

    // The boundary.
    let mut names = model.input_names.clone();
    names.sort();
    let got: Vec<&str> = plan.inputs().iter().map(|d| d.name.as_str()).collect();
    prop_assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
    for d in plan.inputs() {
        prop_assert_eq!(&spec.data[&plan.slot_uuid(d.slot)].name, &d.name);
    }
    prop_assert_eq!(plan.outputs().len(), spec.declared_outputs.len());
    for o in plan.outputs() {
        prop_assert_eq!(plan.slot_uuid(o.slot), spec.output_bindings[&o.name]);
    }
    Ok(())
}

/// Every `(call, parameter, datum)` such that the datum has the parameter's
/// type and is made by a node strictly downstream of the call (so that
/// rewiring the parameter to it closes a cycle through the call).
fn back_edges(model: &Model) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    for (c, call) in model.calls.iter().enumerate() {
        // Nodes reachable from the call, the call itself excluded.
        let mut seen: HashSet<Maker> = HashSet::new();
        let mut stack: Vec<Maker> = vec![Maker::Module(c)];
        while let Some(node) = stack.pop() {
            for d in model.made_by(node) {
                for reader in model.readers(d) {
                    if seen.insert(reader) {
                        stack.push(reader);
                    }
                }
            }
        }
        for (p, &(_, old)) in call.params.iter().enumerate() {
            for node in &seen {
                for d in model.made_by(*node) {
                    if model.data[d].ty == model.data[old].ty {
                        found.push((c, p, d));
                    }
                }
            }
        }
    }
    found.sort_unstable();
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_acyclic_specs_compile_to_sound_plans(
        seed in any::<u64>(),
        n_inputs in 1usize..5,
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let model = generate(seed, n_inputs, &steps);
        check_plan(&model)?;
    }

    #[test]
    fn a_back_edge_is_reported_as_a_cycle_through_its_module(
        seed in any::<u64>(),
        n_inputs in 1usize..5,
        steps in prop::collection::vec(step(), 2..40),
        choice in any::<prop::sample::Index>(),
    ) {
        let mut model = generate(seed, n_inputs, &steps);
        let candidates = back_edges(&model);
        prop_assume!(!candidates.is_empty());
        let (c, p, target) = candidates[choice.index(candidates.len())];
        let (param, old) = model.calls[c].params[p];
        let m = model.call_uuid[c];
        let (old, target) = (model.data_uuid[old], model.data_uuid[target]);

        // Rewire: `param` of call `c` now reads `target`, made downstream.
        let spec = &mut model.spec;
        spec.data.get_mut(&old).unwrap().nicknames.remove(&m);
        spec.in_edges.retain(|&edge| edge != (old, m));
        spec.data.get_mut(&target).unwrap().nicknames.insert(m, param.to_owned());
        spec.in_edges.push((target, m));

        let errors = compile(spec, &sigs()).expect_err("the spec has a cycle").0;
        let cycles: Vec<&Vec<asterism_compiler::NodeRef>> = errors
            .iter()
            .filter_map(|e| match e {
                CompileError::Cycle { path } => Some(path),
                _ => None,
            })
            .collect();
        prop_assert!(!cycles.is_empty(), "no cycle among {:#?}", errors);
        // Every cycle must use the new edge, so every cycle passes through
        // the rewired module; and each step of a path is a real dependency.
        let deps = dependencies(spec);
        for path in cycles {
            prop_assert!(path.len() >= 3, "{:?}", path);
            prop_assert_eq!(path.first(), path.last());
            prop_assert!(path.iter().any(|n| n.uuid == m), "{:?} misses {}", path, m);
            for w in path.windows(2) {
                prop_assert!(deps.contains(&(w[0].uuid, w[1].uuid)), "{:?}", path);
            }
        }
        // Nothing else may be wrong but the input the rewiring left unread.
        for e in &errors {
            prop_assert!(
                matches!(e, CompileError::Cycle { .. }),
                "unexpected {:?}",
                e
            );
        }
    }
}

#[test]
fn the_generator_covers_every_shape() {
    // A fixed run that must exercise each signature, each transform, an
    // unbound output and a transform reading one node twice, so that the
    // properties above are not vacuous.
    let steps: Vec<Step> = [
        (0, [0, 0, 0], false, Some((1, [1, 0, 0]))),
        (1, [0, 1, 0], false, None),
        (2, [1, 2, 0], false, None),
        (2, [2, 3, 0], true, Some((0, [5, 0, 0]))),
        (3, [0, 0, 1], false, Some((2, [0, 0, 0]))),
        (4, [0, 0, 0], false, Some((3, [0, 0, 0]))),
    ]
    .into_iter()
    .map(|(module, picks, both_outputs, transform)| Step {
        module,
        picks,
        both_outputs,
        transform,
    })
    .collect();
    let model = generate(7, 2, &steps);
    check_plan(&model).unwrap();
    let plan = compile(&model.spec, &sigs()).unwrap();
    let names: HashSet<&str> = (0..plan.module_count() as u32)
        .map(|m| plan.module_signature(ModuleIx(m)).name.as_str())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    let kinds: HashSet<&str> = (0..plan.transform_count() as u32)
        .map(|t| plan.transform(TransformIx(t)).kind())
        .collect();
    assert_eq!(
        kinds,
        HashSet::from(["ListLiteral", "Literal", "Not", "And"])
    );
    assert!(
        (0..plan.node_count() as u32).any(|n| plan.node_outputs(NodeIx(n)).contains(&UNBOUND_SLOT))
    );
    assert!((0..plan.transform_count() as u32).any(|t| {
        let ins = plan.node_inputs(plan.transform_node(TransformIx(t)));
        ins.len() == 2 && ins[0] == ins[1]
    }));
    assert!(!back_edges(&model).is_empty());
}
