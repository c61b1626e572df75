//! The run-time half of the trust boundary (issue #14): a module's inputs
//! are always of their declared types, whatever path a value came in by.
//! Values given through the API (or read from tagged JSON) are checked all
//! the way down before anything runs; a module's output is checked all the
//! way down before any other module reads it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use asterism_compiler::{CType, CValue, DagBuilder, ModuleSignature};
use asterism_runtime::{InputError, Module, Program, Registry, RuntimeConfig};

/// `xs: List<Int>` -> `t.sum` (counting its calls) -> `total`.
fn summing(calls: &Arc<AtomicUsize>) -> Program {
    let mut registry = Registry::with_stdlib();
    let c = Arc::clone(calls);
    registry.register(Module::sync("t.sum", ["xs"], "out", move |xs: Vec<i64>| {
        c.fetch_add(1, Ordering::SeqCst);
        xs.iter().sum::<i64>()
    }));
    let mut b = DagBuilder::seeded("list", 1);
    let xs = b.input("xs", CType::list(CType::Int));
    let m = b.module("t.sum");
    b.bind(xs, m, "xs");
    let out = b.produce(m, "out", "total", CType::Int);
    b.output("total", out);
    Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap()
}

fn the_one_input_error(program: &Program, value: CValue) -> InputError {
    let xs = program.input("xs").unwrap();
    let err = program
        .run_sync([(xs, value)])
        .expect_err("the input must be refused");
    assert!(err.is_invalid_input(), "{err}");
    let errors = err.input_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].clone()
}

#[test]
fn an_api_list_carrying_its_type_but_holding_another_is_refused_with_a_path() {
    let calls = Arc::new(AtomicUsize::new(0));
    let program = summing(&calls);
    let bad = CValue::list(vec![CValue::String("a".into()), CValue::Int(5)], CType::Int);
    let err = the_one_input_error(&program, bad);
    assert_eq!(
        err.to_string(),
        "input `xs` is not a valid List<Int>: xs[0]: expected Int, found String"
    );
    assert!(matches!(err, InputError::NotOfItsType { .. }));
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing ran");
    // The pooled state is clean: a good call runs.
    let xs = program.input("xs").unwrap();
    let good = CValue::list(vec![CValue::Int(2), CValue::Int(5)], CType::Int);
    let result = program.run_sync([(xs, good)]).unwrap();
    assert_eq!(result.output_named("total"), Some(&CValue::Int(7)));
}

#[test]
fn a_tagged_json_value_inconsistent_inside_is_refused() {
    let calls = Arc::new(AtomicUsize::new(0));
    let program = summing(&calls);
    let tagged: CValue = serde_json::from_str(
        r#"{"tag":"CList","subtype":{"tag":"CInt"},"value":[{"tag":"CInt","value":1},{"tag":"CFloat","value":2.5}]}"#,
    )
    .unwrap();
    let err = the_one_input_error(&program, tagged);
    assert!(
        err.to_string().contains("xs[1]: expected Int, found Float"),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn a_module_output_holding_the_wrong_element_fails_its_node_and_nothing_reads_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::with_stdlib();
    registry.register(Module::raw_sync(
        ModuleSignature::new(
            "t.liar",
            [("n", CType::Int)],
            [("out", CType::list(CType::Int))],
        ),
        |_inputs, outputs| {
            outputs.set(
                0,
                CValue::list(vec![CValue::Int(1), CValue::String("x".into())], CType::Int),
            )
        },
    ));
    let c = Arc::clone(&calls);
    registry.register(Module::sync("t.sum", ["xs"], "out", move |xs: Vec<i64>| {
        c.fetch_add(1, Ordering::SeqCst);
        xs.iter().sum::<i64>()
    }));
    let mut b = DagBuilder::seeded("liar", 2);
    let n = b.input("n", CType::Int);
    let liar = b.module("t.liar");
    b.bind(n, liar, "n");
    let xs = b.produce(liar, "out", "xs", CType::list(CType::Int));
    let sum = b.module("t.sum");
    b.bind(xs, sum, "xs");
    let total = b.produce(sum, "out", "total", CType::Int);
    b.output("total", total);
    let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
    let n = program.input("n").unwrap();
    let result = program.run_sync([(n, CValue::Int(1))]).unwrap();
    assert_eq!(result.failed_count(), 1);
    assert_eq!(result.skipped_count(), 1);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "t.sum never saw the bad list"
    );
    let problems = result.problems().join("\n");
    assert!(
        problems.contains("out[1]: expected Int, found String"),
        "{problems}"
    );
}

#[test]
fn a_pool_size_of_usize_max_loads_and_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::with_stdlib();
    let c = Arc::clone(&calls);
    registry.register(Module::sync("t.sum", ["xs"], "out", move |xs: Vec<i64>| {
        c.fetch_add(1, Ordering::SeqCst);
        xs.iter().sum::<i64>()
    }));
    let mut b = DagBuilder::seeded("list", 1);
    let xs = b.input("xs", CType::list(CType::Int));
    let m = b.module("t.sum");
    b.bind(xs, m, "xs");
    let out = b.produce(m, "out", "total", CType::Int);
    b.output("total", out);
    let mut config = RuntimeConfig::default().with_pool_size(usize::MAX);
    config.state.initial_capacity = usize::MAX;
    let program = Program::load(&b.build(), &registry, &config).expect("loads");
    assert_eq!(program.pool().capacity(), asterism_runtime::MAX_POOL_SIZE);
    assert_eq!(
        program.pool().stats().prewarmed,
        asterism_runtime::MAX_INITIAL_CAPACITY as u64
    );
    let xs = program.input("xs").unwrap();
    let result = program
        .run_sync([(xs, CValue::list(vec![CValue::Int(3)], CType::Int))])
        .unwrap();
    assert_eq!(result.output_named("total"), Some(&CValue::Int(3)));
}
