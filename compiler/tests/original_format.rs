//! A spec written by hand in the original runtime's JSON, read, compiled and
//! written back.
//!
//! The spec is a diamond. Inputs `x` and `y` feed two calls of
//! `demo.subtract(a, b)` with the roles swapped (A computes `x - y`, B
//! computes `y - x`), and `demo.add(lhs, rhs)` joins them, reading B's result
//! as `lhs` and A's as `rhs`. In-edges are listed out of parameter order and no
//! data node is named after the parameter it plays, so the only way to bind
//! correctly is the original's: by each data node's nickname for the module.
//! Two transform nodes carry `inlineTransform` parameters (a record `Literal`
//! and a `FieldAccess`), which the round trip must keep.

use std::time::Duration;

use asterism_compiler::{
    compile, CType, CValue, CompileError, DagSpec, InlineTransform, ModuleIx, ModuleSignature,
    NodeIx, NodeKind, Plan, Producer, Signatures, UNBOUND_SLOT,
};
use serde_json::Value;
use uuid::Uuid;

const X: &str = "f3a9c2d1-8b47-4e6a-9c15-2d7e0b4a6f81";
const Y: &str = "0c6e1b9a-5d23-4f87-a1e4-9b3c7d2f5e62";
const A: &str = "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543";
const B: &str = "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74";
const C: &str = "92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25";
const DXY: &str = "6a8f3d2c-1e9b-47c5-b0a4-8e2d5f7c1a36";
const DYX: &str = "d5b27e40-9a31-4c8e-87f2-0b6a4d1e3c97";
const TOTAL: &str = "3f1c8a65-4d0e-4b92-a7d3-5e9b2c6f8a18";
const REC: &str = "7c4e0a91-b26d-4f35-8c1b-a9e3d5f70c49";
const N: &str = "e0d93b72-6f5a-4e1c-b8a2-1c7f4e9d0b5a";

/// The diamond, by hand. Every field is written out as the original (and
/// `DagSpec::to_json`) writes it, so that the JSON itself must round-trip.
const DIAMOND: &str = r#"{
  "metadata": {"name": "diamond", "description": "x - y and y - x, added", "tags": ["test"], "majorVersion": 1, "minorVersion": 2},
  "modules": {
    "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543": {
      "metadata": {"name": "demo.subtract", "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
      "consumes": {"a": {"tag": "CInt"}, "b": {"tag": "CInt"}},
      "produces": {"out": {"tag": "CInt"}},
      "config": {"inputsTimeout": 6000, "moduleTimeout": 3000}
    },
    "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74": {
      "metadata": {"name": "demo.subtract", "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
      "consumes": {"a": {"tag": "CInt"}, "b": {"tag": "CInt"}},
      "produces": {"out": {"tag": "CInt"}},
      "config": {}
    },
    "92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25": {
      "metadata": {"name": "demo.add", "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
      "consumes": {"lhs": {"tag": "CInt"}, "rhs": {"tag": "CInt"}},
      "produces": {"sum": {"tag": "CInt"}},
      "config": {"moduleTimeout": 250},
      "definitionContext": {"line": 12, "source": "total = add(diff_yx, diff_xy)"}
    }
  },
  "data": {
    "f3a9c2d1-8b47-4e6a-9c15-2d7e0b4a6f81": {
      "name": "x",
      "nicknames": {
        "f3a9c2d1-8b47-4e6a-9c15-2d7e0b4a6f81": "x",
        "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543": "a",
        "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74": "b"
      },
      "cType": {"tag": "CInt"}
    },
    "0c6e1b9a-5d23-4f87-a1e4-9b3c7d2f5e62": {
      "name": "y",
      "nicknames": {
        "0c6e1b9a-5d23-4f87-a1e4-9b3c7d2f5e62": "y",
        "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543": "b",
        "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74": "a"
      },
      "cType": {"tag": "CInt"}
    },
    "6a8f3d2c-1e9b-47c5-b0a4-8e2d5f7c1a36": {
      "name": "diff_xy",
      "nicknames": {
        "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543": "out",
        "92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25": "rhs"
      },
      "cType": {"tag": "CInt"}
    },
    "d5b27e40-9a31-4c8e-87f2-0b6a4d1e3c97": {
      "name": "diff_yx",
      "nicknames": {
        "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74": "out",
        "92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25": "lhs"
      },
      "cType": {"tag": "CInt"}
    },
    "3f1c8a65-4d0e-4b92-a7d3-5e9b2c6f8a18": {
      "name": "total",
      "nicknames": {"92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25": "sum"},
      "cType": {"tag": "CInt"}
    },
    "7c4e0a91-b26d-4f35-8c1b-a9e3d5f70c49": {
      "name": "rec",
      "nicknames": {},
      "cType": {"tag": "CProduct", "structure": {"n": {"tag": "CInt"}}},
      "inlineTransformType": "LiteralTransform",
      "inlineTransform": {
        "kind": "Literal",
        "value": {"tag": "CProduct", "value": {"n": {"tag": "CInt", "value": 3}}, "structure": {"n": {"tag": "CInt"}}}
      }
    },
    "e0d93b72-6f5a-4e1c-b8a2-1c7f4e9d0b5a": {
      "name": "n",
      "nicknames": {},
      "cType": {"tag": "CInt"},
      "inlineTransformType": "FieldAccessTransform",
      "inlineTransform": {"kind": "FieldAccess", "field": "n"},
      "transformInputs": {"source": "7c4e0a91-b26d-4f35-8c1b-a9e3d5f70c49"}
    }
  },
  "inEdges": [
    ["0c6e1b9a-5d23-4f87-a1e4-9b3c7d2f5e62", "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543"],
    ["6a8f3d2c-1e9b-47c5-b0a4-8e2d5f7c1a36", "92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25"],
    ["f3a9c2d1-8b47-4e6a-9c15-2d7e0b4a6f81", "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74"],
    ["f3a9c2d1-8b47-4e6a-9c15-2d7e0b4a6f81", "b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543"],
    ["d5b27e40-9a31-4c8e-87f2-0b6a4d1e3c97", "92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25"],
    ["0c6e1b9a-5d23-4f87-a1e4-9b3c7d2f5e62", "4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74"]
  ],
  "outEdges": [
    ["92c05b7e-e418-4b6d-a3f9-6d1e8c4a0f25", "3f1c8a65-4d0e-4b92-a7d3-5e9b2c6f8a18"],
    ["4e2a9f13-7b6c-4d08-95e1-3c8f0a6d2b74", "d5b27e40-9a31-4c8e-87f2-0b6a4d1e3c97"],
    ["b71d4e08-2c95-4a3f-8e60-f1a2c9d7b543", "6a8f3d2c-1e9b-47c5-b0a4-8e2d5f7c1a36"]
  ],
  "declaredOutputs": ["total", "n"],
  "outputBindings": {"n": "e0d93b72-6f5a-4e1c-b8a2-1c7f4e9d0b5a", "total": "3f1c8a65-4d0e-4b92-a7d3-5e9b2c6f8a18"}
}"#;

fn uuid(s: &str) -> Uuid {
    s.parse().expect("a valid UUID literal")
}

/// The registered modules: full names, resolved from the spec's
/// `demo.`-prefixed names by the part after the last `.`.
fn sigs() -> Signatures {
    [
        ModuleSignature::new(
            "stdlib.subtract",
            [("a", CType::Int), ("b", CType::Int)],
            [("out", CType::Int)],
        ),
        ModuleSignature::new(
            "stdlib.add",
            [("lhs", CType::Int), ("rhs", CType::Int)],
            [("sum", CType::Int)],
        ),
        ModuleSignature::new(
            "stdlib.multiply",
            [("a", CType::Int), ("b", CType::Int)],
            [("out", CType::Int)],
        ),
    ]
    .into_iter()
    .collect()
}

fn diamond() -> DagSpec {
    DagSpec::from_json(DIAMOND).expect("the hand-written spec parses")
}

fn module(plan: &Plan, id: &str) -> ModuleIx {
    (0..plan.module_count() as u32)
        .map(ModuleIx)
        .find(|&m| plan.module_uuid(m) == uuid(id))
        .unwrap_or_else(|| panic!("module {id} is in the plan"))
}

/// The node whose UUID is `id` (a module, or a transform's data node).
fn node(plan: &Plan, id: &str) -> NodeIx {
    (0..plan.node_count() as u32)
        .map(NodeIx)
        .find(|&n| plan.node_uuid(n) == uuid(id))
        .unwrap_or_else(|| panic!("node {id} is in the plan"))
}

fn inputs_of(plan: &Plan, n: NodeIx) -> Vec<Uuid> {
    plan.node_inputs(n)
        .iter()
        .map(|&s| plan.slot_uuid(s))
        .collect()
}

fn outputs_of(plan: &Plan, n: NodeIx) -> Vec<Option<Uuid>> {
    plan.node_outputs(n)
        .iter()
        .map(|&s| (s != UNBOUND_SLOT).then(|| plan.slot_uuid(s)))
        .collect()
}

#[test]
fn the_plan_binds_by_nickname_in_parameter_order() {
    let plan = compile(&diamond(), &sigs()).expect("the diamond compiles");
    assert_eq!(plan.check_invariants(), Ok(()));
    assert_eq!(plan.name(), "diamond");
    assert_eq!(
        (
            plan.module_count(),
            plan.transform_count(),
            plan.slot_count()
        ),
        (3, 2, 7)
    );

    let (a, b, c) = (module(&plan, A), module(&plan, B), module(&plan, C));
    // A = x - y: `x` plays `a`, `y` plays `b`, though `y`'s edge comes first.
    assert_eq!(inputs_of(&plan, plan.module_node(a)), [uuid(X), uuid(Y)]);
    // B = y - x: the same two nodes, the other way round.
    assert_eq!(inputs_of(&plan, plan.module_node(b)), [uuid(Y), uuid(X)]);
    // C = diff_yx + diff_xy, in `lhs`, `rhs` order.
    assert_eq!(
        inputs_of(&plan, plan.module_node(c)),
        [uuid(DYX), uuid(DXY)]
    );

    assert_eq!(outputs_of(&plan, plan.module_node(a)), [Some(uuid(DXY))]);
    assert_eq!(outputs_of(&plan, plan.module_node(b)), [Some(uuid(DYX))]);
    assert_eq!(outputs_of(&plan, plan.module_node(c)), [Some(uuid(TOTAL))]);

    for (m, spec_name, registered) in [
        (a, "demo.subtract", "stdlib.subtract"),
        (b, "demo.subtract", "stdlib.subtract"),
        (c, "demo.add", "stdlib.add"),
    ] {
        assert_eq!(plan.module_name(m), spec_name);
        assert_eq!(plan.module_signature(m).name, registered);
    }
    assert_eq!(plan.module_timeout(a), Some(Duration::from_millis(3000)));
    assert_eq!(plan.module_timeout(b), None);
    assert_eq!(plan.module_timeout(c), Some(Duration::from_millis(250)));

    // A slot knows which output of which module fills it.
    let slot_of = |id: &str| {
        (0..plan.slot_count() as u32)
            .map(asterism_compiler::SlotIx)
            .find(|&s| plan.slot_uuid(s) == uuid(id))
            .expect("a slot for every data node")
    };
    assert_eq!(plan.slot_producer(slot_of(DXY)), Producer::Module(a, 0));
    assert_eq!(plan.slot_producer(slot_of(TOTAL)), Producer::Module(c, 0));
    assert_eq!(plan.slot_name(slot_of(DYX)), "diff_yx");
    // `x` is read by A (as `a`) and by B (as `b`).
    let mut readers: Vec<NodeIx> = plan.slot_consumers(slot_of(X)).to_vec();
    readers.sort();
    let mut want = vec![plan.module_node(a), plan.module_node(b)];
    want.sort();
    assert_eq!(readers, want);

    // The transforms, with their parameters.
    let (rec, n) = (node(&plan, REC), node(&plan, N));
    let NodeKind::Transform(field_access) = plan.node_kind(n) else {
        panic!("`n` is a transform")
    };
    assert_eq!(
        plan.transform(field_access),
        &InlineTransform::FieldAccess { field: "n".into() }
    );
    assert_eq!(inputs_of(&plan, n), [uuid(REC)]);
    assert_eq!(inputs_of(&plan, rec), Vec::<Uuid>::new());

    // The boundary: user inputs by name, outputs in declared order.
    let inputs: Vec<(&str, Uuid)> = plan
        .inputs()
        .iter()
        .map(|d| (d.name.as_str(), plan.slot_uuid(d.slot)))
        .collect();
    assert_eq!(inputs, [("x", uuid(X)), ("y", uuid(Y))]);
    let outputs: Vec<(&str, Uuid)> = plan
        .outputs()
        .iter()
        .map(|d| (d.name.as_str(), plan.slot_uuid(d.slot)))
        .collect();
    assert_eq!(outputs, [("total", uuid(TOTAL)), ("n", uuid(N))]);

    // Order: the join after both sides, the field after its record.
    let position = |n: NodeIx| plan.topo_order().iter().position(|&o| o == n).unwrap();
    assert!(position(plan.module_node(a)) < position(plan.module_node(c)));
    assert!(position(plan.module_node(b)) < position(plan.module_node(c)));
    assert!(position(rec) < position(n));
    assert_eq!(plan.sources(), [rec], "only the literal waits for nothing");
    assert_eq!(plan.initial_pending()[plan.module_node(c).ix()], 2);
    assert_eq!(plan.depth(), 2);
}

#[test]
fn edge_order_does_not_change_the_plan() {
    let spec = diamond();
    let mut shuffled = spec.clone();
    shuffled.in_edges.reverse();
    shuffled.out_edges.rotate_left(1);
    let plan = compile(&spec, &sigs()).unwrap();
    let again = compile(&shuffled, &sigs()).unwrap();
    assert_eq!(format!("{plan:?}"), format!("{again:?}"));
}

/// A module as the plan has it: UUID, name, input slots, output slots.
type ModuleShape = (Uuid, String, Vec<Uuid>, Vec<Option<Uuid>>);

/// What a plan is, apart from the way it is stored.
#[derive(Debug, PartialEq)]
struct Shape {
    modules: Vec<ModuleShape>,
    transforms: Vec<(Uuid, InlineTransform, Vec<Uuid>)>,
    slots: Vec<(Uuid, String, CType)>,
    inputs: Vec<(String, Uuid)>,
    outputs: Vec<(String, Uuid)>,
    topo_order: Vec<Uuid>,
    depth: u32,
}

fn shape(plan: &Plan) -> Shape {
    Shape {
        modules: (0..plan.module_count() as u32)
            .map(|m| {
                let n = plan.module_node(ModuleIx(m));
                (
                    plan.module_uuid(ModuleIx(m)),
                    plan.module_name(ModuleIx(m)).to_owned(),
                    inputs_of(plan, n),
                    outputs_of(plan, n),
                )
            })
            .collect(),
        transforms: (0..plan.transform_count() as u32)
            .map(|t| {
                let t = asterism_compiler::TransformIx(t);
                let n = plan.transform_node(t);
                (
                    plan.node_uuid(n),
                    plan.transform(t).clone(),
                    inputs_of(plan, n),
                )
            })
            .collect(),
        slots: (0..plan.slot_count() as u32)
            .map(|s| {
                let s = asterism_compiler::SlotIx(s);
                (
                    plan.slot_uuid(s),
                    plan.slot_name(s).to_owned(),
                    plan.slot_type(s).clone(),
                )
            })
            .collect(),
        inputs: plan
            .inputs()
            .iter()
            .map(|d| (d.name.clone(), plan.slot_uuid(d.slot)))
            .collect(),
        outputs: plan
            .outputs()
            .iter()
            .map(|d| (d.name.clone(), plan.slot_uuid(d.slot)))
            .collect(),
        topo_order: plan
            .topo_order()
            .iter()
            .map(|&n| plan.node_uuid(n))
            .collect(),
        depth: plan.depth(),
    }
}

#[test]
fn the_spec_round_trips_losslessly() {
    let spec = diamond();
    let written = spec.to_json();

    // The JSON itself survives: every field the hand-written text has, and
    // nothing else, including `definitionContext` and the transforms'
    // parameters.
    let original: Value = serde_json::from_str(DIAMOND).unwrap();
    let rewritten: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(rewritten, original);

    let again = DagSpec::from_json(&written).expect("our JSON reads back");
    assert_eq!(again, spec);
    assert_eq!(
        again.data[&uuid(N)].transform(),
        Ok(Some(InlineTransform::FieldAccess { field: "n".into() }))
    );
    assert_eq!(
        again.data[&uuid(REC)].transform(),
        Ok(Some(InlineTransform::Literal {
            value: CValue::record([("n", CValue::Int(3))])
        }))
    );
    assert_eq!(
        again.modules[&uuid(C)].definition_context,
        Some(serde_json::json!({"line": 12, "source": "total = add(diff_yx, diff_xy)"}))
    );

    let before = compile(&spec, &sigs()).unwrap();
    let after = compile(&again, &sigs()).unwrap();
    assert_eq!(shape(&after), shape(&before));
    assert_eq!(format!("{after:?}"), format!("{before:?}"));
}

#[test]
fn without_the_extension_parameterized_transforms_cannot_compile() {
    // What the original writes: the class name only.
    let mut lossy: Value = serde_json::from_str(DIAMOND).unwrap();
    for id in [REC, N] {
        lossy["data"][id]
            .as_object_mut()
            .unwrap()
            .remove("inlineTransform");
    }
    let spec: DagSpec = serde_json::from_value(lossy).unwrap();
    let errors = compile(&spec, &sigs()).expect_err("parameters are lost").0;
    let mut bad: Vec<Uuid> = errors
        .iter()
        .filter_map(|e| match e {
            CompileError::BadTransform { data, .. } => Some(data.uuid),
            _ => None,
        })
        .collect();
    bad.sort();
    let mut want = vec![uuid(REC), uuid(N)];
    want.sort();
    assert_eq!(bad, want, "{errors:#?}");
    assert_eq!(errors.len(), 2, "the diamond itself is fine: {errors:#?}");
}
