//! The bodies of the fuzz targets, shared by the cargo-fuzz targets in
//! `fuzz/` and the stable replay test `tests/fuzz_corpus.rs`.
//!
//! Each function takes arbitrary bytes, skips what is not even JSON, and
//! asserts the crate's invariants on the rest; a panic is a bug. Nothing in
//! here unwraps data that came from the input.

use std::sync::OnceLock;

use crate::compiler::strict::{parse_json, strip_bom};
use crate::compiler::typecheck::check_value;
use crate::compiler::{image, PipelineImage};
use crate::runtime::branch::with_branch_modules;
use crate::{CType, CValue, DagSpec, ExecutionResult, NodeIx, NodeStatus, Program, Registry};
use crate::{InputIx, RuntimeConfig, SlotIx};

/// The standard registry, built once.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::with_stdlib)
}

/// A small deterministic value of type `ty`: `0`, `""`, `false`, empty
/// containers, records of such values, `None`. `None` for a type without
/// values (a union with no variants, or a record that needs one).
pub fn sample_value(ty: &CType) -> Option<CValue> {
    Some(match ty {
        CType::String => CValue::String(String::new()),
        CType::Int => CValue::Int(0),
        CType::Float => CValue::Float(0.0),
        CType::Boolean => CValue::Boolean(false),
        CType::List(e) => CValue::List(Vec::new(), e.clone()),
        CType::Seq(e) => CValue::Seq(Vec::new(), e.clone()),
        CType::Map(k, v) => CValue::Map(Vec::new(), k.clone(), v.clone()),
        CType::Product(s) => CValue::product(
            s.iter()
                .map(|(f, t)| Some((f.clone(), sample_value(t)?)))
                .collect::<Option<_>>()?,
            s.clone(),
        ),
        CType::Union(s) => {
            return s.iter().find_map(|(tag, t)| {
                let v = sample_value(t)?;
                Some(CValue::union(v, s.clone(), tag.as_str()))
            })
        }
        CType::Optional(t) => CValue::None(t.clone()),
    })
}

/// Asserts that no node of a finished execution is still waiting or running.
fn assert_all_terminal(result: &ExecutionResult<'_>, what: &str) {
    let plan = result.plan();
    for n in (0..plan.node_count() as u32).map(NodeIx) {
        let status = result.status(n);
        assert!(
            !matches!(status, NodeStatus::Waiting | NodeStatus::Running),
            "{what}: node {} is {status:?} after run_sync returned",
            plan.node_ref(n)
        );
    }
}

/// Bytes as a [`DagSpec`] or a PipelineImage: the spec round-trips through
/// JSON (an image also through [`PipelineImage`](crate::compiler::PipelineImage));
/// if it compiles (with the original's branch modules rebuilt), the plan
/// passes [`Plan::check_invariants`](crate::Plan::check_invariants); if it
/// binds, one run on sample inputs succeeds and leaves every node terminal.
pub fn spec_target(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = DagSpec::from_json(text);
    // The trust boundary: what serde alone would take and a spec must not.
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(strip_bom(text)) {
        if json.is_array() {
            assert!(parsed.is_err(), "a JSON array read as a spec");
        }
        if json
            .as_object()
            .is_some_and(|o| !o.keys().any(|k| DAG_SPEC_FIELDS.contains(&k.as_str())))
        {
            assert!(
                parsed.is_err(),
                "an object with no DagSpec field read as a spec"
            );
        }
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(strip_bom(text)) else {
        return;
    };
    let spec = if image::is_image(&json) {
        let Ok(spec) = image::read_pipeline(&json) else {
            return;
        };
        let written = PipelineImage::from_spec(spec.clone()).to_json();
        let again = serde_json::from_str(&written)
            .map_err(|e| e.to_string())
            .and_then(|j| image::read_pipeline(&j).map_err(|e| e.to_string()));
        match again {
            Ok(again) => assert_eq!(again, spec, "the image changed through to_json:\n{written}"),
            Err(e) => panic!("to_json wrote an image that does not read back ({e}):\n{written}"),
        }
        spec
    } else {
        let Ok(spec) = parsed else {
            return;
        };
        spec
    };

    let written = spec.to_json();
    match DagSpec::from_json(&written) {
        Ok(again) => assert_eq!(again, spec, "the spec changed through to_json:\n{written}"),
        Err(e) => panic!("to_json wrote JSON that does not parse back ({e}):\n{written}"),
    }

    let registry = with_branch_modules(registry(), &spec);
    let registry = &*registry;
    let Ok(plan) = registry.compile(&spec) else {
        return;
    };
    assert_eq!(plan.check_invariants(), Ok(()));

    let Ok(program) = Program::bind(plan, registry, &RuntimeConfig::default()) else {
        return;
    };
    let mut inputs: Vec<(InputIx, CValue)> = Vec::new();
    for (i, decl) in program.plan().inputs().iter().enumerate() {
        // An input of a type without values cannot be given; nothing to run.
        let Some(value) = sample_value(&decl.ty) else {
            return;
        };
        inputs.push((InputIx(i as u32), value));
    }
    match program.run_sync(inputs) {
        Ok(result) => {
            assert_all_terminal(&result, "spec_target");
            assert_all_typed(&result, "spec_target");
        }
        Err(e) => panic!("run_sync refused valid sample inputs: {e}"),
    };
}

/// The DagSpec's fields on the wire.
const DAG_SPEC_FIELDS: &[&str] = &[
    "metadata",
    "modules",
    "data",
    "inEdges",
    "outEdges",
    "declaredOutputs",
    "outputBindings",
];

/// Asserts that every value an execution holds is of its node's declared
/// type, all the way down: what a module can rely on of its inputs.
fn assert_all_typed(result: &ExecutionResult<'_>, what: &str) {
    let plan = result.plan();
    for s in (0..plan.slot_count() as u32).map(SlotIx) {
        if let Some(v) = result.value(s) {
            if let Err(e) = check_value(plan.slot_name(s), v, plan.slot_type(s)) {
                panic!(
                    "{what}: data node {} holds a value not of its type: {e}",
                    plan.slot_name(s)
                );
            }
        }
    }
}

/// The example pipelines, loaded once.
fn examples() -> &'static [(&'static str, Program)] {
    static EXAMPLES: OnceLock<Vec<(&'static str, Program)>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let sources = [
            ("diamond", include_str!("../examples/diamond.json")),
            (
                "failing_branch",
                include_str!("../examples/failing_branch.json"),
            ),
            (
                "fan_in_records",
                include_str!("../examples/fan_in_records.json"),
            ),
            ("text", include_str!("../examples/text.json")),
        ];
        sources
            .into_iter()
            .map(|(name, json)| {
                let spec = DagSpec::from_json(json)
                    .unwrap_or_else(|e| panic!("examples/{name}.json does not parse: {e}"));
                let program = Program::load(&spec, registry(), &RuntimeConfig::default())
                    .unwrap_or_else(|e| panic!("examples/{name}.json does not load: {e}"));
                (name, program)
            })
            .collect()
    })
}

/// Bytes as plain-JSON inputs for each example pipeline: inputs that decode
/// run to the end with every node terminal; inputs that do not decode are
/// refused with a message.
///
/// The same bytes also go through the two other doors: read strictly
/// (a key given twice is refused, naming it), and read as tagged values
/// (`{"x": {"tag": "CInt", "value": 1}}`) given through the API, where a
/// value inconsistent inside must be refused and an accepted one runs with
/// every value of its type.
pub fn inputs_target(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let strict = parse_json(text);
    let Ok(json) = serde_json::from_str::<serde_json::Value>(strip_bom(text)) else {
        assert!(strict.is_err(), "strict JSON read what serde_json refuses");
        return;
    };
    let json = match strict {
        Ok(strict) => {
            assert_eq!(strict, json, "strict JSON read another value");
            strict
        }
        Err(e) => {
            assert!(
                e.to_string().contains("duplicate key"),
                "strict JSON refused valid JSON without a duplicate key: {e}"
            );
            return;
        }
    };
    tagged_inputs(&json);
    for (name, program) in examples() {
        match program.decode_inputs(&json) {
            Ok(inputs) => match program.run_sync(inputs) {
                Ok(result) => assert_all_terminal(&result, name),
                Err(e) => panic!("{name}: run_sync refused inputs decode_inputs accepted: {e}"),
            },
            Err(e) => assert!(
                !e.to_string().is_empty(),
                "{name}: decode_inputs failed with an empty message: {e:?}"
            ),
        }
    }
}

/// `json` as tagged values by input name, given to each example through the
/// API: refused with a message, or run with every value of its type.
fn tagged_inputs(json: &serde_json::Value) {
    let Some(obj) = json.as_object() else { return };
    let mut values: Vec<(&str, CValue)> = Vec::new();
    for (name, v) in obj {
        let Ok(value) = serde_json::from_value::<CValue>(v.clone()) else {
            return;
        };
        values.push((name, value));
    }
    for (name, program) in examples() {
        let given: Vec<(InputIx, CValue)> = values
            .iter()
            .filter_map(|(n, v)| Some((program.input(n)?, v.clone())))
            .collect();
        match program.run_sync(given) {
            Ok(result) => {
                assert_all_terminal(&result, name);
                assert_all_typed(&result, name);
            }
            Err(e) => assert!(!e.to_string().is_empty(), "{name}: an empty message"),
        }
    }
}
