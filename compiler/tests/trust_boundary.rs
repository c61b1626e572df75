//! The compile-time half of the trust boundary (issue #14): literals are of
//! their declared type all the way down, transforms are typed, and a module
//! node's own declaration of its ports must fit the module it binds to.
//! Each test fails on a compiler that skips the check.

use asterism_compiler::{compile, CType, CompileError, DagSpec, ModuleSignature, Signatures};
use serde_json::{json, Value};

const X: &str = "0b8f2a6e-6a43-4c1e-9d21-3f5e0c9a7a01";
const M: &str = "5d0e4c2b-91f7-4a88-b3d6-2c7f1e8a9b02";
const Y: &str = "a3c71e59-0d2b-4f64-8e1a-7b9c5d3f2e03";
const T: &str = "93b5d2e8-1f6c-4a07-8d94-e2c3a1b0f508";

fn int() -> Value {
    json!({"tag": "CInt"})
}

fn sigs() -> Signatures {
    [
        ModuleSignature::new("demo.inc", [("v", CType::Int)], [("out", CType::Int)]),
        ModuleSignature::new(
            "demo.pair",
            [("v", CType::Int)],
            [(
                "out",
                CType::product([("a", CType::Int), ("b", CType::String)]),
            )],
        ),
    ]
    .into_iter()
    .collect()
}

/// `x` -> `demo.inc` (declaring `consumes` / `produces`) -> `y`.
fn module_spec(name: &str, consumes: Value, produces: Value, out_ty: Value) -> Value {
    json!({
        "metadata": {"name": "trust"},
        "modules": {M: {"metadata": {"name": name}, "consumes": consumes, "produces": produces}},
        "data": {
            X: {"name": "x", "nicknames": {X: "x", M: "v"}, "cType": int()},
            Y: {"name": "y", "nicknames": {M: "out"}, "cType": out_ty}
        },
        "inEdges": [[X, M]],
        "outEdges": [[M, Y]],
        "declaredOutputs": ["y"],
        "outputBindings": {"y": Y}
    })
}

/// One transform node `t` of type `ty`, reading the input `x` (of type
/// `x_ty`) as `input` when given, returned as output `t`.
fn transform_spec(ty: Value, transform: Value, x_ty: Value, input: Option<&str>) -> Value {
    let inputs = match input {
        Some(name) => json!({name: X}),
        None => json!({}),
    };
    let mut data = json!({
        T: {"name": "t", "nicknames": {}, "cType": ty, "inlineTransform": transform,
            "transformInputs": inputs}
    });
    if input.is_some() {
        data[X] = json!({"name": "x", "nicknames": {X: "x"}, "cType": x_ty});
    }
    json!({
        "metadata": {"name": "trust"},
        "data": data,
        "declaredOutputs": ["t"],
        "outputBindings": {"t": T}
    })
}

fn compile_json(spec: Value) -> Result<asterism_compiler::Plan, Vec<CompileError>> {
    let spec: DagSpec = serde_json::from_value(spec).expect("the spec parses");
    compile(&spec, &sigs()).map_err(|e| e.0)
}

fn one_error(spec: Value) -> (CompileError, String) {
    let errors = compile_json(spec).expect_err("the spec must not compile");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let msg = errors[0].to_string();
    (errors.into_iter().next().unwrap(), msg)
}

#[test]
fn a_list_literal_with_elements_of_another_type_is_refused() {
    let spec = transform_spec(
        json!({"tag": "CList", "valuesType": int()}),
        json!({"kind": "Literal", "value": {"tag": "CList", "subtype": int(), "value": [
            {"tag": "CString", "value": "a"}, {"tag": "CInt", "value": 5}]}}),
        int(),
        None,
    );
    let (e, msg) = one_error(spec);
    assert!(matches!(e, CompileError::BadTransform { .. }), "{e:?}");
    assert!(
        msg.contains("value[0]: expected Int, found String"),
        "{msg}"
    );
    assert!(msg.contains(T) && msg.contains("`t`"), "{msg}");
}

#[test]
fn a_record_literal_missing_its_field_is_refused() {
    let rec = json!({"tag": "CProduct", "structure": {"a": int()}});
    let spec = transform_spec(
        rec.clone(),
        json!({"kind": "Literal", "value": {"tag": "CProduct", "structure": {"a": int()}, "value": {}}}),
        int(),
        None,
    );
    let (_, msg) = one_error(spec);
    assert!(msg.contains("value.a: missing field of type Int"), "{msg}");
}

#[test]
fn a_not_declared_int_is_refused_and_a_boolean_one_compiles() {
    let boolean = json!({"tag": "CBoolean"});
    let spec = transform_spec(
        int(),
        json!({"kind": "Not"}),
        boolean.clone(),
        Some("operand"),
    );
    let (e, msg) = one_error(spec);
    assert!(matches!(e, CompileError::BadTransform { .. }), "{e:?}");
    assert!(
        msg.contains("Not gives Boolean") && msg.contains("declared Int"),
        "{msg}"
    );
    assert!(msg.contains(T), "{msg}");
    // Its operand must be a Boolean too.
    let spec = transform_spec(
        boolean.clone(),
        json!({"kind": "Not"}),
        int(),
        Some("operand"),
    );
    let (_, msg) = one_error(spec);
    assert!(msg.contains("input `operand` is Int"), "{msg}");
    let spec = transform_spec(
        boolean.clone(),
        json!({"kind": "Not"}),
        boolean,
        Some("operand"),
    );
    assert!(compile_json(spec).is_ok());
}

#[test]
fn a_field_access_must_name_a_field_of_its_source() {
    let rec = json!({"tag": "CProduct", "structure": {"a": int()}});
    let spec = transform_spec(
        int(),
        json!({"kind": "FieldAccess", "field": "zz"}),
        rec.clone(),
        Some("source"),
    );
    let (_, msg) = one_error(spec);
    assert!(msg.contains("`zz`"), "{msg}");
    let spec = transform_spec(
        int(),
        json!({"kind": "FieldAccess", "field": "a"}),
        rec,
        Some("source"),
    );
    assert!(compile_json(spec).is_ok());
}

#[test]
fn a_declared_parameter_the_module_lacks_is_refused() {
    let spec = module_spec(
        "demo.inc",
        json!({"v": int(), "zzz": {"tag": "CString"}}),
        json!({"out": int()}),
        int(),
    );
    let (e, msg) = one_error(spec);
    assert!(matches!(e, CompileError::UndeclaredPort { .. }), "{e:?}");
    assert!(
        msg.contains("`zzz`") && msg.contains("`demo.inc`") && msg.contains(M),
        "{msg}"
    );
}

#[test]
fn declared_types_the_signature_does_not_allow_are_refused() {
    let spec = module_spec(
        "demo.inc",
        json!({"v": {"tag": "CString"}, "ghost": {"tag": "CFloat"}}),
        json!({"out": {"tag": "CBoolean"}}),
        int(),
    );
    let errors = compile_json(spec).expect_err("must not compile");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 3, "{text:#?}");
    assert!(errors.iter().any(|e| matches!(e,
        CompileError::DeclarationMismatch { port, declared: CType::String, actual: CType::Int, .. } if port == "v")));
    assert!(errors.iter().any(|e| matches!(e,
        CompileError::DeclarationMismatch { port, declared: CType::Boolean, actual: CType::Int, .. } if port == "out")));
    assert!(errors
        .iter()
        .any(|e| matches!(e, CompileError::UndeclaredPort { port, .. } if port == "ghost")));
}

#[test]
fn declarations_may_use_the_originals_subtyping_and_leave_ports_out() {
    let pair = json!({"tag": "CProduct", "structure": {"a": int(), "b": {"tag": "CString"}}});
    // The module gives {a, b}; declaring {a} is a supertype (width).
    let spec = module_spec(
        "demo.pair",
        json!({"v": int()}),
        json!({"out": {"tag": "CProduct", "structure": {"a": int()}}}),
        pair.clone(),
    );
    assert!(compile_json(spec).is_ok());
    // Declaring {a, b, c} promises a field the module never gives.
    let spec = module_spec(
        "demo.pair",
        json!({}),
        json!({"out": {"tag": "CProduct", "structure": {"a": int(), "b": {"tag": "CString"}, "c": int()}}}),
        pair,
    );
    let (e, _) = one_error(spec);
    assert!(
        matches!(e, CompileError::DeclarationMismatch { .. }),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------
// Reading a spec: whole, strict, and named.
// ---------------------------------------------------------------------------

fn read_err(text: &str) -> String {
    match DagSpec::from_json(text) {
        Ok(spec) => panic!("`{text}` read as a spec: {spec:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_json_array_is_not_a_spec() {
    for text in ["[]", "[{}, {}, [], [], [], [], {}]"] {
        let err = read_err(text);
        assert!(err.contains("not a DagSpec: a JSON array"), "{err}");
    }
}

#[test]
fn an_object_with_none_of_a_specs_fields_is_not_a_spec() {
    // The original's PipelineImage file, say: its fields are not a DagSpec's.
    let err = read_err(r#"{"structuralHash": "abc", "dagSpec": {"modules": {}}}"#);
    assert!(err.contains("not a DagSpec"), "{err}");
    assert!(
        err.contains("dagSpec") && err.contains("structuralHash"),
        "{err}"
    );
    assert!(read_err("{}").contains("empty object"));
    // One field is enough; unknown fields beside it are still ignored.
    assert!(DagSpec::from_json(r#"{"modules": {}, "x": 1}"#).is_ok());
}

fn with_duplicate(base: &Value, path: &[&str], key: &str) -> String {
    // serde_json's Value keeps one entry per key: write the JSON and then
    // splice a second copy of `key`'s entry in by hand.
    let mut v = base.clone();
    let mut at = &mut v;
    for p in path {
        at = &mut at[*p];
    }
    let entry = format!("{}:{}", json!(key), at[key]);
    let text = v.to_string();
    let i = text
        .find(&entry)
        .unwrap_or_else(|| panic!("`{entry}` in {text}"));
    format!("{}{entry},{}", &text[..i], &text[i..])
}

#[test]
fn a_key_given_twice_in_any_map_of_the_spec_is_refused_and_named() {
    let spec = module_spec(
        "demo.inc",
        json!({"v": int()}),
        json!({"out": int()}),
        int(),
    );
    assert!(DagSpec::from_json(&spec.to_string()).is_ok());
    for (path, key) in [
        (&["modules"][..], M),
        (&["data"][..], X),
        (&["data", X, "nicknames"][..], M),
        (&["modules", M, "consumes"][..], "v"),
        (&["modules", M, "produces"][..], "out"),
        (&["outputBindings"][..], "y"),
    ] {
        let text = with_duplicate(&spec, path, key);
        let err = read_err(&text);
        assert!(
            err.contains(&format!("duplicate key `{key}`")),
            "{path:?}: {err}"
        );
    }
    let text = r#"{"modules": {}, "modules": {}}"#;
    assert!(read_err(text).contains("duplicate key `modules`"));
}

#[test]
fn a_byte_order_mark_before_the_spec_is_skipped() {
    let spec = module_spec("demo.inc", json!({}), json!({}), int());
    let text = format!("\u{feff}{spec}");
    let read = DagSpec::from_json(&text).expect("a BOM is skipped");
    assert!(compile(&read, &sigs()).is_ok());
}
