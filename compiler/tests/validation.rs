//! Validation: one test per [`CompileError`] variant.
//!
//! Every spec here is written in the original's wire format with
//! `serde_json::json!`, starting from [`base`] (input `x` -> `demo.inc` ->
//! `y`, output `y`) and breaking one thing. Each test asserts that the
//! specific variant is reported with the right fields, and that its message
//! names the offending node by name and by UUID, so that a person reading it
//! can find the node in the spec.

use asterism_compiler::{
    compile, CType, CompileError, CompileWarning, DagSpec, InlineTransform, ModuleSignature,
    NodeIx, Signatures, TransformIx,
};
use serde_json::{json, Value};
use uuid::Uuid;

// The base spec's nodes.
const X: &str = "0b8f2a6e-6a43-4c1e-9d21-3f5e0c9a7a01";
const M: &str = "5d0e4c2b-91f7-4a88-b3d6-2c7f1e8a9b02";
const Y: &str = "a3c71e59-0d2b-4f64-8e1a-7b9c5d3f2e03";
// Extra nodes, added by the tests that need them.
const M2: &str = "c6e2f0a4-3b19-4d7c-a5e8-1f0b9d2c4a04";
const M3: &str = "e81d5b37-7c2a-49f0-b6d3-5a4e0f1c8b05";
const Z: &str = "17f4c9d0-5e3a-4b82-9c61-0d2e8f7a3c06";
const W: &str = "2e9a0b6c-8d47-4f15-a3c2-6b1d0e5f9a07";
const T: &str = "93b5d2e8-1f6c-4a07-8d94-e2c3a1b0f508";
const FLAG: &str = "4c0d8e1f-2a6b-4e93-b7c5-9f1a3d2e6c09";
/// A UUID that names nothing in any spec.
const GHOST: &str = "deadbeef-0000-4bad-8bad-0000deadbeef";

fn uuid(s: &str) -> Uuid {
    s.parse().expect("a valid UUID literal")
}

fn int() -> Value {
    json!({"tag": "CInt"})
}

fn boolean() -> Value {
    json!({"tag": "CBoolean"})
}

fn string() -> Value {
    json!({"tag": "CString"})
}

fn optional_int() -> Value {
    json!({"tag": "COptional", "innerType": {"tag": "CInt"}})
}

/// The modules these specs use.
fn sigs() -> Signatures {
    [
        ModuleSignature::new("stdlib.inc", [("value", CType::Int)], [("out", CType::Int)]),
        ModuleSignature::new(
            "stdlib.add",
            [("a", CType::Int), ("b", CType::Int)],
            [("out", CType::Int)],
        ),
        ModuleSignature::new(
            "stdlib.divmod",
            [("n", CType::Int), ("d", CType::Int)],
            [("quot", CType::Int), ("rem", CType::Int)],
        ),
        ModuleSignature::new("left.twice", [("v", CType::Int)], [("out", CType::Int)]),
        ModuleSignature::new("right.twice", [("v", CType::Int)], [("out", CType::Int)]),
    ]
    .into_iter()
    .collect()
}

/// A module node in the original's format.
fn module(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
        "consumes": {},
        "produces": {},
        "config": {"inputsTimeout": 6000, "moduleTimeout": 3000}
    })
}

/// A data node in the original's format.
fn data(name: &str, ty: Value, nicknames: Value) -> Value {
    json!({"name": name, "nicknames": nicknames, "cType": ty})
}

/// A transform node carrying only the original's class name.
fn bare_transform(name: &str, ty: Value, class: &str, inputs: Value) -> Value {
    json!({"name": name, "nicknames": {}, "cType": ty, "inlineTransformType": class, "transformInputs": inputs})
}

/// `x` (Int) -> `demo.inc` (as `value`) -> `y` (as `out`); output `y`.
fn base() -> Value {
    json!({
        "metadata": {"name": "validation", "description": "", "tags": [], "majorVersion": 0, "minorVersion": 1},
        "modules": {M: module("demo.inc")},
        "data": {
            X: data("x", int(), json!({X: "x", M: "value"})),
            Y: data("y", int(), json!({M: "out"}))
        },
        "inEdges": [[X, M]],
        "outEdges": [[M, Y]],
        "declaredOutputs": ["y"],
        "outputBindings": {"y": Y}
    })
}

fn push(spec: &mut Value, list: &str, edge: [&str; 2]) {
    spec[list]
        .as_array_mut()
        .expect("an edge list")
        .push(json!(edge));
}

fn compile_json(spec: Value) -> Result<asterism_compiler::Plan, Vec<CompileError>> {
    let spec: DagSpec = serde_json::from_value(spec).expect("the spec parses");
    compile(&spec, &sigs()).map_err(|e| e.0)
}

/// Compiles a spec that must fail and returns every problem.
fn errors(spec: Value) -> Vec<CompileError> {
    match compile_json(spec) {
        Ok(plan) => panic!("the spec compiled to a plan of {} nodes", plan.node_count()),
        Err(errors) => errors,
    }
}

/// The only error that matches, and its message.
fn only(errors: &[CompileError], f: impl Fn(&CompileError) -> bool) -> (&CompileError, String) {
    let hits: Vec<&CompileError> = errors.iter().filter(|e| f(e)).collect();
    assert_eq!(hits.len(), 1, "expected exactly one match in {errors:#?}");
    (hits[0], hits[0].to_string())
}

/// Asserts that `msg` names each `(name, uuid)` node.
fn assert_names(msg: &str, nodes: &[(&str, &str)]) {
    for (name, id) in nodes {
        assert!(msg.contains(name), "`{msg}` does not name `{name}`");
        assert!(msg.contains(id), "`{msg}` does not give the UUID {id}");
    }
}

#[test]
fn the_base_spec_compiles() {
    let plan = compile_json(base()).expect("the base spec is valid");
    assert_eq!(plan.module_count(), 1);
    assert_eq!(plan.node_inputs(NodeIx(0)).len(), 1);
    assert_eq!(plan.slot_uuid(plan.node_inputs(NodeIx(0))[0]), uuid(X));
}

#[test]
fn unknown_module() {
    let mut spec = base();
    spec["modules"][M]["metadata"]["name"] = json!("demo.nosuch");
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::UnknownModule { .. }));
    let CompileError::UnknownModule {
        node,
        wanted,
        short,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(node.uuid, uuid(M));
    assert_eq!(wanted, "demo.nosuch");
    assert_eq!(short, "nosuch");
    assert_names(&msg, &[("demo.nosuch", M)]);
    // The module's input and output nodes are its neighbours, not problems.
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn ambiguous_module() {
    let mut spec = base();
    spec["modules"][M]["metadata"]["name"] = json!("demo.twice");
    spec["data"][X]["nicknames"][M] = json!("v");
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::AmbiguousModule { .. })
    });
    let CompileError::AmbiguousModule {
        node, candidates, ..
    } = e
    else {
        unreachable!()
    };
    assert_eq!(node.uuid, uuid(M));
    assert_eq!(candidates, &["left.twice", "right.twice"]);
    assert_names(&msg, &[("demo.twice", M)]);
    assert!(
        msg.contains("left.twice") && msg.contains("right.twice"),
        "{msg}"
    );
}

#[test]
fn in_edge_to_unknown_node() {
    let mut spec = base();
    push(&mut spec, "inEdges", [GHOST, M]);
    push(&mut spec, "inEdges", [X, GHOST]);
    let errors = errors(spec);
    let edge_errors: Vec<_> = errors
        .iter()
        .filter_map(|e| match e {
            CompileError::EdgeToUnknownNode {
                list,
                index,
                role,
                table,
                uuid,
            } => Some((*list, *index, *role, *table, *uuid, e.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(edge_errors.len(), 2, "{errors:#?}");
    let (list, index, role, table, id, msg) = &edge_errors[0];
    assert_eq!(
        (*list, *index, *role, *table, *id),
        ("inEdges", 1, "data node", "data", uuid(GHOST))
    );
    assert!(msg.contains("inEdges[1]") && msg.contains(GHOST), "{msg}");
    let (list, index, role, table, id, msg) = &edge_errors[1];
    assert_eq!(
        (*list, *index, *role, *table, *id),
        ("inEdges", 2, "module", "modules", uuid(GHOST))
    );
    assert!(msg.contains("inEdges[2]") && msg.contains(GHOST), "{msg}");
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn out_edge_to_unknown_node() {
    let mut spec = base();
    push(&mut spec, "outEdges", [GHOST, Y]);
    push(&mut spec, "outEdges", [M, GHOST]);
    let errors = errors(spec);
    let edge_errors: Vec<_> = errors
        .iter()
        .filter_map(|e| match e {
            CompileError::EdgeToUnknownNode {
                list,
                index,
                role,
                table,
                uuid,
            } => Some((*list, *index, *role, *table, *uuid, e.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(edge_errors.len(), 2, "{errors:#?}");
    let (list, index, role, table, id, msg) = &edge_errors[0];
    assert_eq!(
        (*list, *index, *role, *table, *id),
        ("outEdges", 1, "module", "modules", uuid(GHOST))
    );
    assert!(msg.contains("outEdges[1]") && msg.contains(GHOST), "{msg}");
    let (list, index, role, table, id, msg) = &edge_errors[1];
    assert_eq!(
        (*list, *index, *role, *table, *id),
        ("outEdges", 2, "data node", "data", uuid(GHOST))
    );
    assert!(msg.contains("outEdges[2]") && msg.contains(GHOST), "{msg}");
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn uuid_reused_by_a_module_and_a_data_node() {
    let mut spec = base();
    // A data node under the module's UUID, consumed by nothing in particular:
    // bind it as an output so that it is no orphan.
    spec["data"][M] = data("clash", int(), json!({}));
    spec["outputBindings"]["clash"] = json!(M);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::UuidReused { .. }));
    assert_eq!(
        e,
        &CompileError::UuidReused {
            uuid: uuid(M),
            module: "demo.inc".into(),
            data: "clash".into(),
        }
    );
    assert_names(&msg, &[("demo.inc", M), ("clash", M)]);
}

#[test]
fn produced_twice_by_two_modules() {
    let mut spec = base();
    spec["modules"][M2] = module("demo.inc");
    spec["data"][X]["nicknames"][M2] = json!("value");
    spec["data"][Y]["nicknames"][M2] = json!("out");
    push(&mut spec, "inEdges", [X, M2]);
    push(&mut spec, "outEdges", [M2, Y]);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::ProducedTwice { .. }));
    let CompileError::ProducedTwice {
        data,
        first,
        second,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, first.uuid, second.uuid),
        (uuid(Y), uuid(M), uuid(M2))
    );
    assert_names(&msg, &[("y", Y), ("demo.inc", M), ("demo.inc", M2)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn produced_twice_by_a_module_and_a_transform() {
    let mut spec = base();
    spec["data"][Y]["inlineTransform"] =
        json!({"kind": "Literal", "value": {"tag": "CInt", "value": 7}});
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::ProducedTwice { .. }));
    let CompileError::ProducedTwice {
        data,
        first,
        second,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, first.uuid, second.uuid),
        (uuid(Y), uuid(M), uuid(Y))
    );
    assert_names(&msg, &[("y", Y), ("demo.inc", M)]);
}

#[test]
fn produced_twice_is_reported_even_when_the_producers_do_not_resolve() {
    let mut spec = base();
    spec["modules"][M]["metadata"]["name"] = json!("demo.nosuch");
    spec["modules"][M2] = module("demo.nosuch");
    spec["data"][Y]["nicknames"][M2] = json!("out");
    push(&mut spec, "outEdges", [M2, Y]);
    let errors = errors(spec);
    let (_, msg) = only(&errors, |e| matches!(e, CompileError::ProducedTwice { .. }));
    assert_names(&msg, &[("y", Y), ("demo.nosuch", M), ("demo.nosuch", M2)]);
    let unknown = errors
        .iter()
        .filter(|e| matches!(e, CompileError::UnknownModule { .. }))
        .count();
    assert_eq!(unknown, 2, "{errors:#?}");
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn missing_nickname_for_a_parameter() {
    let mut spec = base();
    spec["data"][X]["nicknames"]
        .as_object_mut()
        .unwrap()
        .remove(M);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::MissingNickname { .. })
    });
    let CompileError::MissingNickname {
        data,
        module,
        port_kind,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, module.uuid, *port_kind),
        (uuid(X), uuid(M), "parameter")
    );
    assert_names(&msg, &[("x", X), ("demo.inc", M)]);
    assert!(msg.contains(&format!("nicknames[\"{M}\"]")), "{msg}");
}

#[test]
fn missing_nickname_for_an_output_field() {
    let mut spec = base();
    spec["data"][Y]["nicknames"] = json!({});
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::MissingNickname { .. })
    });
    let CompileError::MissingNickname {
        data,
        module,
        port_kind,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, module.uuid, *port_kind),
        (uuid(Y), uuid(M), "output field")
    );
    assert_names(&msg, &[("y", Y), ("demo.inc", M)]);
    // `y` has an out-edge, so it is not also taken for a user input.
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn unknown_port_for_a_parameter() {
    let mut spec = base();
    spec["data"][X]["nicknames"][M] = json!("valeu");
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::UnknownPort { .. }));
    let CompileError::UnknownPort {
        data,
        module,
        port,
        port_kind,
        available,
    } = e
    else {
        unreachable!()
    };
    assert_eq!((data.uuid, module.uuid), (uuid(X), uuid(M)));
    assert_eq!((port.as_str(), *port_kind), ("valeu", "parameter"));
    assert_eq!(available, &["value"]);
    assert_names(&msg, &[("x", X), ("demo.inc", M), ("valeu", X)]);
    // The parameter stays unbound, and that is said too.
    assert!(errors
        .iter()
        .any(|e| matches!(e, CompileError::MissingParameter { param, .. } if param == "value")));
}

#[test]
fn unknown_port_for_an_output_field() {
    let mut spec = base();
    spec["data"][Y]["nicknames"][M] = json!("result");
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::UnknownPort { .. }));
    let CompileError::UnknownPort {
        data,
        module,
        port,
        port_kind,
        available,
    } = e
    else {
        unreachable!()
    };
    assert_eq!((data.uuid, module.uuid), (uuid(Y), uuid(M)));
    assert_eq!((port.as_str(), *port_kind), ("result", "output field"));
    assert_eq!(available, &["out"]);
    assert_names(&msg, &[("y", Y), ("demo.inc", M), ("result", Y)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn port_bound_twice() {
    let mut spec = base();
    // `demo.add` gets `x` and `z` both as `a`, and nothing as `b`.
    spec["modules"][M2] = module("demo.add");
    spec["data"][X]["nicknames"][M2] = json!("a");
    spec["data"][Z] = data("z", int(), json!({Z: "z", M2: "a"}));
    spec["data"][W] = data("w", int(), json!({M2: "out"}));
    push(&mut spec, "inEdges", [X, M2]);
    push(&mut spec, "inEdges", [Z, M2]);
    push(&mut spec, "outEdges", [M2, W]);
    spec["outputBindings"]["w"] = json!(W);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::PortBoundTwice { .. })
    });
    let CompileError::PortBoundTwice {
        module,
        port,
        port_kind,
        first,
        second,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (module.uuid, port.as_str(), *port_kind),
        (uuid(M2), "a", "parameter")
    );
    assert_eq!((first.uuid, second.uuid), (uuid(X), uuid(Z)));
    assert_names(&msg, &[("demo.add", M2), ("x", X), ("z", Z)]);
    assert!(errors
        .iter()
        .any(|e| matches!(e, CompileError::MissingParameter { param, .. } if param == "b")));
}

#[test]
fn output_field_bound_twice() {
    let mut spec = base();
    spec["data"][W] = data("w", int(), json!({M: "out"}));
    push(&mut spec, "outEdges", [M, W]);
    spec["outputBindings"]["w"] = json!(W);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::PortBoundTwice { .. })
    });
    assert!(
        matches!(e, CompileError::PortBoundTwice { port_kind: "output field", port, .. } if port == "out"),
        "{e:?}"
    );
    assert_names(&msg, &[("demo.inc", M), ("y", Y), ("w", W)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn missing_parameter() {
    let mut spec = base();
    spec["modules"][M]["metadata"]["name"] = json!("demo.add");
    spec["data"][X]["nicknames"][M] = json!("a");
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::MissingParameter { .. })
    });
    assert_eq!(
        e,
        &CompileError::MissingParameter {
            module: asterism_compiler::NodeRef {
                uuid: uuid(M),
                name: "demo.add".into()
            },
            param: "b".into(),
            ty: CType::Int,
        }
    );
    assert_names(&msg, &[("demo.add", M)]);
    assert!(msg.contains("`b`"), "{msg}");
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn type_mismatch() {
    let mut spec = base();
    spec["data"][X]["cType"] = string();
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::TypeMismatch { .. }));
    let CompileError::TypeMismatch {
        data,
        module,
        port,
        expected,
        found,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, module.uuid, port.as_str()),
        (uuid(X), uuid(M), "value")
    );
    assert_eq!((expected, found), (&CType::Int, &CType::String));
    assert_names(&msg, &[("x", X), ("demo.inc", M)]);
    assert!(msg.contains("String") && msg.contains("Int"), "{msg}");
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn type_mismatch_on_an_output_field() {
    let mut spec = base();
    spec["data"][Y]["cType"] = boolean();
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::TypeMismatch { .. }));
    assert!(
        matches!(e, CompileError::TypeMismatch { port, expected: CType::Int, found: CType::Boolean, .. } if port == "out"),
        "{e:?}"
    );
    assert_names(&msg, &[("y", Y), ("demo.inc", M)]);
}

#[test]
fn bad_transform_unknown_class() {
    let mut spec = base();
    spec["data"][T] = bare_transform("frob", int(), "FrobnicateTransform", json!({"source": Y}));
    spec["outputBindings"]["frob"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::BadTransform { .. }));
    let CompileError::BadTransform { data, problem } = e else {
        unreachable!()
    };
    assert_eq!(data.uuid, uuid(T));
    assert!(problem.contains("FrobnicateTransform"), "{problem}");
    assert_names(&msg, &[("frob", T)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn bad_transform_parameterized_class_without_its_parameters() {
    let mut spec = base();
    // `z` is read only by the broken transform; it must not be called an
    // orphan for that.
    spec["data"][Z] = data(
        "z",
        json!({"tag": "CProduct", "structure": {"n": {"tag": "CInt"}}}),
        json!({Z: "z"}),
    );
    spec["data"][T] = bare_transform("n", int(), "FieldAccessTransform", json!({"source": Z}));
    spec["outputBindings"]["n"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::BadTransform { .. }));
    let CompileError::BadTransform { data, problem } = e else {
        unreachable!()
    };
    assert_eq!(data.uuid, uuid(T));
    assert!(problem.contains("FieldAccessTransform"), "{problem}");
    assert!(problem.contains("inlineTransform"), "{problem}");
    assert_names(&msg, &[("n", T)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn bad_transform_literal_and_string_interpolation_need_parameters_too() {
    for class in ["LiteralTransform", "StringInterpolationTransform"] {
        let mut spec = base();
        spec["data"][T] = bare_transform("t", string(), class, json!({}));
        spec["outputBindings"]["t"] = json!(T);
        let errors = errors(spec);
        let (_, msg) = only(&errors, |e| matches!(e, CompileError::BadTransform { .. }));
        assert_names(&msg, &[("t", T), (class, T)]);
    }
}

#[test]
fn transform_input_missing() {
    let mut spec = base();
    spec["data"][T] = bare_transform("neg", boolean(), "NotTransform", json!({}));
    spec["outputBindings"]["neg"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::TransformInputMissing { .. })
    });
    assert_eq!(
        e,
        &CompileError::TransformInputMissing {
            data: asterism_compiler::NodeRef {
                uuid: uuid(T),
                name: "neg".into()
            },
            kind: "Not",
            input: "operand".into(),
            expected: vec!["operand".into()],
        }
    );
    assert_names(&msg, &[("neg", T), ("operand", T)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn transform_input_unknown() {
    let mut spec = base();
    spec["data"][FLAG] = data("flag", boolean(), json!({FLAG: "flag"}));
    spec["data"][T] = bare_transform(
        "neg",
        boolean(),
        "NotTransform",
        json!({"operand": FLAG, "extra": FLAG}),
    );
    spec["outputBindings"]["neg"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::TransformInputUnknown { .. })
    });
    let CompileError::TransformInputUnknown {
        data,
        kind,
        input,
        expected,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, *kind, input.as_str()),
        (uuid(T), "Not", "extra")
    );
    assert_eq!(expected, &["operand"]);
    assert_names(&msg, &[("neg", T), ("extra", T)]);
    // `flag` is read by the transform, so it is no orphan.
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn transform_input_unknown_node() {
    let mut spec = base();
    spec["data"][T] = bare_transform("neg", boolean(), "NotTransform", json!({"operand": GHOST}));
    spec["outputBindings"]["neg"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::TransformInputUnknownNode { .. })
    });
    let CompileError::TransformInputUnknownNode {
        data,
        input,
        uuid: missing,
    } = e
    else {
        unreachable!()
    };
    assert_eq!(
        (data.uuid, input.as_str(), *missing),
        (uuid(T), "operand", uuid(GHOST))
    );
    assert_names(&msg, &[("neg", T), ("operand", GHOST)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn output_unbound() {
    let mut spec = base();
    spec["declaredOutputs"] = json!(["y", "total"]);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::OutputUnbound { .. }));
    assert_eq!(
        e,
        &CompileError::OutputUnbound {
            output: "total".into()
        }
    );
    assert!(msg.contains("`total`"), "{msg}");
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn output_to_unknown_node() {
    let mut spec = base();
    spec["declaredOutputs"] = json!(["y", "total"]);
    spec["outputBindings"]["total"] = json!(GHOST);
    // Bound without being declared: still checked.
    spec["outputBindings"]["extra"] = json!(GHOST);
    let errors = errors(spec);
    let found: Vec<(&str, Uuid, String)> = errors
        .iter()
        .filter_map(|e| match e {
            CompileError::OutputToUnknownNode { output, uuid } => {
                Some((output.as_str(), *uuid, e.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 2, "{errors:#?}");
    assert_eq!((found[0].0, found[0].1), ("total", uuid(GHOST)));
    assert_names(&found[0].2, &[("total", GHOST)]);
    assert_eq!((found[1].0, found[1].1), ("extra", uuid(GHOST)));
    assert_names(&found[1].2, &[("extra", GHOST)]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
}

#[test]
fn duplicate_input_name() {
    let mut spec = base();
    // `demo.add` reads two different input nodes that are both called `x`.
    spec["modules"][M]["metadata"]["name"] = json!("demo.add");
    spec["data"][X]["nicknames"][M] = json!("a");
    spec["data"][Z] = data("x", int(), json!({Z: "x", M: "b"}));
    push(&mut spec, "inEdges", [Z, M]);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| {
        matches!(e, CompileError::DuplicateInputName { .. })
    });
    let CompileError::DuplicateInputName { first, second } = e else {
        unreachable!()
    };
    let mut pair = [first.uuid, second.uuid];
    pair.sort();
    let mut want = [uuid(X), uuid(Z)];
    want.sort();
    assert_eq!(pair, want);
    assert_names(&msg, &[("x", X), ("x", Z)]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn an_input_nothing_reads_is_a_warning_and_still_an_input() {
    let mut spec = base();
    spec["data"][Z] = data("lonely", int(), json!({Z: "lonely"}));
    let plan = compile_json(spec).expect("the original runs such pipelines");
    let [CompileWarning::UnreadInput { data }] = plan.warnings() else {
        panic!("{:#?}", plan.warnings())
    };
    assert_eq!((data.uuid, data.name.as_str()), (uuid(Z), "lonely"));
    assert_names(&plan.warnings()[0].to_string(), &[("lonely", Z)]);
    assert!(plan.input("lonely").is_some());
}

#[test]
fn an_input_bound_straight_to_an_output_is_no_orphan() {
    let mut spec = base();
    spec["data"][Z] = data("echo", int(), json!({Z: "echo"}));
    spec["outputBindings"]["echo"] = json!(Z);
    let plan = compile_json(spec).expect("an input may be an output");
    assert!(plan.input("echo").is_some());
    assert!(plan.output("echo").is_some());
}

/// `demo.inc` (M) reads the Conditional `t`, `demo.inc` (M2) reads M's `y`,
/// and `t` reads M2's `w`: a cycle of two modules and a transform. `demo.inc`
/// (M3) reads `w` too but is downstream of the cycle, not on it.
fn cyclic() -> Value {
    let mut spec = base();
    spec["data"][X]["nicknames"] = json!({X: "x"});
    spec["data"][FLAG] = data("flag", boolean(), json!({FLAG: "flag"}));
    spec["data"][T] = json!({
        "name": "t", "nicknames": {M: "value"}, "cType": int(),
        "inlineTransformType": "ConditionalTransform",
        "inlineTransform": {"kind": "Conditional"},
        "transformInputs": {"cond": FLAG, "thenBr": W, "elseBr": X}
    });
    spec["modules"][M2] = module("demo.inc");
    spec["modules"][M3] = module("demo.inc");
    spec["data"][Y]["nicknames"][M2] = json!("value");
    spec["data"][W] = data("w", int(), json!({M2: "out", M3: "value"}));
    spec["data"][Z] = data("z", int(), json!({M3: "out"}));
    spec["inEdges"] = json!([[T, M], [Y, M2], [W, M3]]);
    spec["outEdges"] = json!([[M, Y], [M2, W], [M3, Z]]);
    spec["declaredOutputs"] = json!(["z"]);
    spec["outputBindings"] = json!({"z": Z});
    spec
}

#[test]
fn cycle_names_every_node_on_it_and_only_those() {
    let errors = errors(cyclic());
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::Cycle { .. }));
    let CompileError::Cycle { path } = e else {
        unreachable!()
    };
    assert_eq!(path.len(), 4, "three nodes and the first again: {path:?}");
    assert_eq!(path.first(), path.last());
    let ids: Vec<Uuid> = path.iter().map(|n| n.uuid).collect();
    // Along the data flow: M -> M2 -> t -> M, whichever node it starts at.
    let start = ids.iter().position(|&u| u == uuid(M)).expect("M is on it");
    let rotated: Vec<Uuid> = (0..3).map(|i| ids[(start + i) % 3]).collect();
    assert_eq!(rotated, [uuid(M), uuid(M2), uuid(T)]);
    assert!(
        !ids.contains(&uuid(M3)),
        "M3 is downstream, not on the cycle"
    );
    assert_names(&msg, &[("demo.inc", M), ("demo.inc", M2), ("t", T)]);
    assert!(!msg.contains(M3), "{msg}");
    assert_eq!(errors.len(), 1, "{errors:#?}");
}

#[test]
fn every_cycle_is_reported() {
    // Add a second, disjoint cycle: M4 <-> M5 over `p` and `q`.
    const M4: &str = "6a1f3e0d-4b2c-4d95-8e7a-0c9b1d2f3e10";
    const M5: &str = "7b2e4f1c-5c3d-4ea6-9f8b-1d0c2e3a4f11";
    const P: &str = "8c3f5a2d-6d4e-4fb7-a09c-2e1d3f4b5a12";
    const Q: &str = "9d4a6b3e-7e5f-40c8-b1ad-3f2e4a5c6b13";
    let mut spec = cyclic();
    spec["modules"][M4] = module("demo.inc");
    spec["modules"][M5] = module("demo.inc");
    spec["data"][P] = data("p", int(), json!({M4: "out", M5: "value"}));
    spec["data"][Q] = data("q", int(), json!({M5: "out", M4: "value"}));
    push(&mut spec, "inEdges", [P, M5]);
    push(&mut spec, "inEdges", [Q, M4]);
    push(&mut spec, "outEdges", [M4, P]);
    push(&mut spec, "outEdges", [M5, Q]);
    let errors = errors(spec);
    let cycles: Vec<Vec<Uuid>> = errors
        .iter()
        .filter_map(|e| match e {
            CompileError::Cycle { path } => Some(path.iter().map(|n| n.uuid).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(cycles.len(), 2, "{errors:#?}");
    let small = cycles.iter().find(|c| c.len() == 3).expect("the 2-cycle");
    assert!(small.contains(&uuid(M4)) && small.contains(&uuid(M5)));
    let big = cycles.iter().find(|c| c.len() == 4).expect("the 3-cycle");
    assert!(big.contains(&uuid(M)) && big.contains(&uuid(M2)) && big.contains(&uuid(T)));
}

#[test]
fn a_transform_reading_itself_is_a_cycle() {
    let mut spec = base();
    spec["data"][T] = bare_transform("loop", boolean(), "NotTransform", json!({"operand": T}));
    spec["outputBindings"]["loop"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::Cycle { .. }));
    let CompileError::Cycle { path } = e else {
        unreachable!()
    };
    let ids: Vec<Uuid> = path.iter().map(|n| n.uuid).collect();
    assert_eq!(ids, [uuid(T), uuid(T)]);
    assert_names(&msg, &[("loop", T)]);
}

#[test]
fn several_independent_problems_are_all_reported() {
    let mut spec = base();
    // 1. A module that resolves to nothing, reading `x` and writing `w`.
    spec["modules"][M2] = module("demo.nosuch");
    spec["data"][X]["nicknames"][M2] = json!("value");
    spec["data"][W] = data("w", int(), json!({M2: "out"}));
    push(&mut spec, "inEdges", [X, M2]);
    push(&mut spec, "outEdges", [M2, W]);
    // 3. A declared output with no binding.
    spec["declaredOutputs"] = json!(["y", "missing"]);
    // 4. A transform reading a node that is not there.
    spec["data"][T] = bare_transform("neg", boolean(), "NotTransform", json!({"operand": GHOST}));
    spec["outputBindings"]["neg"] = json!(T);
    // 5. A type mismatch on the base module's output.
    spec["data"][Y]["cType"] = string();

    let errors = errors(spec);
    let (_, unknown) = only(&errors, |e| matches!(e, CompileError::UnknownModule { .. }));
    assert_names(&unknown, &[("demo.nosuch", M2)]);
    let (_, unbound) = only(&errors, |e| matches!(e, CompileError::OutputUnbound { .. }));
    assert!(unbound.contains("missing"), "{unbound}");
    let (_, input) = only(&errors, |e| {
        matches!(e, CompileError::TransformInputUnknownNode { .. })
    });
    assert_names(&input, &[("neg", T)]);
    let (_, mismatch) = only(&errors, |e| matches!(e, CompileError::TypeMismatch { .. }));
    assert_names(&mismatch, &[("y", Y), ("demo.inc", M)]);
    assert_eq!(
        errors.len(),
        4,
        "each problem once, nothing more: {errors:#?}"
    );

    let all = asterism_compiler::CompileErrors(errors).to_string();
    assert!(all.starts_with("the spec has 4 problems:"), "{all}");
    for i in 1..=4 {
        assert!(all.contains(&format!("  {i}. ")), "{all}");
    }
}

/// Compiles a spec of one transform node that carries only the original's
/// class name, reading fresh input nodes of the given types.
fn compile_bare(
    class: &str,
    inputs: &[(&str, Value)],
    out: Value,
) -> (asterism_compiler::Plan, Vec<Uuid>) {
    let ids: Vec<Uuid> = (0..inputs.len())
        .map(|i| Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0000 + i as u128 + 1))
        .collect();
    let mut data = serde_json::Map::new();
    let mut transform_inputs = serde_json::Map::new();
    for ((name, ty), id) in inputs.iter().zip(&ids) {
        let id = id.to_string();
        let node_name = format!("in_{name}");
        data.insert(
            id.clone(),
            json!({"name": node_name, "nicknames": {&id: node_name}, "cType": ty}),
        );
        transform_inputs.insert((*name).to_owned(), json!(id));
    }
    data.insert(
        T.to_owned(),
        bare_transform("result", out, class, Value::Object(transform_inputs)),
    );
    let spec = json!({
        "metadata": {"name": class},
        "modules": {},
        "data": data,
        "inEdges": [],
        "outEdges": [],
        "declaredOutputs": ["result"],
        "outputBindings": {"result": T}
    });
    let plan = compile_json(spec).unwrap_or_else(|e| panic!("{class}: {e:#?}"));
    (plan, ids)
}

/// A transform's class name, its named inputs and their types, its output
/// type, and the transform it must resolve to.
type BareCase = (
    &'static str,
    Vec<(&'static str, Value)>,
    Value,
    InlineTransform,
);

#[test]
fn parameterless_transforms_compile_from_the_bare_class_name() {
    let cases: [BareCase; 6] = [
        (
            "ConditionalTransform",
            vec![("cond", boolean()), ("thenBr", int()), ("elseBr", int())],
            int(),
            InlineTransform::Conditional,
        ),
        (
            "GuardTransform",
            vec![("expr", int()), ("cond", boolean())],
            optional_int(),
            InlineTransform::Guard,
        ),
        (
            "CoalesceTransform",
            vec![("left", optional_int()), ("right", int())],
            int(),
            InlineTransform::Coalesce,
        ),
        (
            "AndTransform",
            vec![("left", boolean()), ("right", boolean())],
            boolean(),
            InlineTransform::And,
        ),
        (
            "OrTransform",
            vec![("left", boolean()), ("right", boolean())],
            boolean(),
            InlineTransform::Or,
        ),
        (
            "NotTransform",
            vec![("operand", boolean())],
            boolean(),
            InlineTransform::Not,
        ),
    ];
    for (class, inputs, out, want) in cases {
        // Give the inputs to the transform in reverse order: the plan must
        // still lay them out in the transform's canonical order.
        let reversed: Vec<(&str, Value)> = inputs.iter().rev().cloned().collect();
        let (plan, ids) = compile_bare(class, &reversed, out);
        assert_eq!(plan.check_invariants(), Ok(()), "{class}");
        assert_eq!(
            (plan.module_count(), plan.transform_count()),
            (0, 1),
            "{class}"
        );
        assert_eq!(plan.transform(TransformIx(0)), &want, "{class}");
        assert_eq!(plan.slot_uuid(plan.transform_slot(TransformIx(0))), uuid(T));
        let got: Vec<Uuid> = plan
            .node_inputs(plan.transform_node(TransformIx(0)))
            .iter()
            .map(|&s| plan.slot_uuid(s))
            .collect();
        let canonical: Vec<Uuid> = want
            .input_names()
            .iter()
            .map(|name| {
                let i = reversed.iter().position(|(n, _)| n == name).expect("given");
                ids[i]
            })
            .collect();
        assert_eq!(got, canonical, "{class}: inputs in canonical order");
        assert_eq!(plan.inputs().len(), inputs.len(), "{class}");
        assert_eq!(plan.outputs().len(), 1, "{class}");
    }
}

#[test]
fn bad_transform_literal_of_the_wrong_type() {
    let mut spec = base();
    spec["data"][T] = json!({
        "name": "lit", "nicknames": {}, "cType": int(),
        "inlineTransformType": "LiteralTransform",
        "inlineTransform": {"kind": "Literal", "value": {"tag": "CString", "value": "seven"}}
    });
    spec["outputBindings"]["lit"] = json!(T);
    let errors = errors(spec);
    let (e, msg) = only(&errors, |e| matches!(e, CompileError::BadTransform { .. }));
    let CompileError::BadTransform { problem, .. } = e else {
        unreachable!()
    };
    assert!(
        problem.contains("String") && problem.contains("Int"),
        "{problem}"
    );
    assert_names(&msg, &[("lit", T)]);
}
