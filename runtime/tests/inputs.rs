//! Input validation: every problem of a call is reported at once, nothing
//! runs, and the pooled state is clean for the next call. Plain-JSON inputs
//! name the path to a bad value. `run_sync` refuses async programs. Bad
//! configuration TOML is an error, never a panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use asterism_compiler::{CType, CValue, DagBuilder, InputIx, ModuleSignature};
use asterism_runtime::{Config, InputError, Module, Program, Registry, RunError, RuntimeConfig};
use serde_json::json;

// ---------------------------------------------------------------------------
// The pipeline under test
// ---------------------------------------------------------------------------

/// Inputs `a: Int`, `b: Int`, `label: String`.
/// `sum = t.count(a, b)` (a + b, counting its calls);
/// `line = label ++ to-string(sum)`.
struct Fixture {
    program: Program,
    calls: Arc<AtomicUsize>,
}

fn registry(calls: &Arc<AtomicUsize>) -> Registry {
    let mut registry = Registry::with_stdlib();
    let c = Arc::clone(calls);
    registry.register(Module::sync(
        "t.count",
        ["a", "b"],
        "out",
        move |a: i64, b: i64| {
            c.fetch_add(1, Ordering::SeqCst);
            a + b
        },
    ));
    registry
}

fn spec() -> asterism_compiler::DagSpec {
    let mut b = DagBuilder::seeded("inputs", 4);
    let a = b.input("a", CType::Int);
    let bb = b.input("b", CType::Int);
    let label = b.input("label", CType::String);
    let count = b.module("t.count");
    b.bind(a, count, "a");
    b.bind(bb, count, "b");
    let sum = b.produce(count, "out", "sum", CType::Int);
    let to_s = b.module("stdlib.to-string");
    b.bind(sum, to_s, "value");
    let text = b.produce(to_s, "out", "text", CType::String);
    let cat = b.module("stdlib.concat");
    b.bind(label, cat, "a");
    b.bind(text, cat, "b");
    let line = b.produce(cat, "out", "line", CType::String);
    b.output("sum", sum);
    b.output("line", line);
    b.build()
}

/// One pooled state, so a rejected call's state is the next call's.
fn fixture_with(config: RuntimeConfig) -> Fixture {
    let calls = Arc::new(AtomicUsize::new(0));
    let program = Program::load(&spec(), &registry(&calls), &config).unwrap();
    Fixture { program, calls }
}

fn fixture() -> Fixture {
    fixture_with(RuntimeConfig::default().with_pool_size(1))
}

impl Fixture {
    fn ix(&self, name: &str) -> InputIx {
        self.program.input(name).unwrap()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Asserts that nothing ran so far, and that `rejected` calls were
    /// counted as rejected.
    fn assert_nothing_ran(&self, rejected: u64) {
        assert_eq!(self.calls(), 0, "a module ran");
        let m = self.program.metrics();
        assert_eq!(m.modules_run, 0, "{m:?}");
        assert_eq!(m.executions_rejected, rejected, "{m:?}");
        assert_eq!(m.executions_succeeded + m.executions_failed, 0, "{m:?}");
    }

    /// A valid call right after: correct outputs from a clean state.
    fn assert_next_run_is_correct(&self) {
        let before = self.calls();
        for (a, b, label) in [(40, 2, "answer="), (-1, 1, "zero=")] {
            let r = self
                .program
                .run_sync([
                    (self.ix("a"), CValue::Int(a)),
                    (self.ix("b"), CValue::Int(b)),
                    (self.ix("label"), CValue::String(label.to_owned())),
                ])
                .expect("valid inputs");
            assert!(r.is_success(), "{:?}", r.problems());
            assert_eq!(r.output_named("sum"), Some(&CValue::Int(a + b)));
            assert_eq!(
                r.output_named("line"),
                Some(&CValue::String(format!("{label}{}", a + b)))
            );
        }
        assert_eq!(self.calls(), before + 2);
        let pool = self.program.metrics().pool;
        if self.program.config().state.mutable {
            assert_eq!(pool.misses, 0, "the one pooled state was reused: {pool:?}");
        }
    }
}

fn int(v: i64) -> CValue {
    CValue::Int(v)
}
fn string(v: &str) -> CValue {
    CValue::String(v.to_owned())
}

fn known() -> Vec<String> {
    vec!["a".to_owned(), "b".to_owned(), "label".to_owned()]
}

/// The input errors of a rejected call; fails the test if the call ran.
fn rejected<T: std::fmt::Debug>(result: Result<T, RunError>) -> Vec<InputError> {
    match result {
        Ok(r) => panic!("the call should be rejected, but gave {r:?}"),
        Err(e) => input_errors(&e),
    }
}

/// Checks that `e` is an input error whose message lists every problem.
fn input_errors(e: &RunError) -> Vec<InputError> {
    assert!(e.is_invalid_input(), "{e}");
    assert!(!e.needs_async_runtime(), "{e}");
    assert!(!e.input_errors().is_empty());
    let text = e.to_string();
    let n = e.input_errors().len();
    assert!(
        text.contains(&format!("{n} problem")),
        "the message counts the problems: {text}"
    );
    for ie in e.input_errors() {
        assert!(text.contains(&ie.to_string()), "{text} lacks {ie}");
    }
    e.input_errors().to_vec()
}

fn assert_same_set(got: &[InputError], want: &[InputError]) {
    assert_eq!(got.len(), want.len(), "got {got:#?}, want {want:#?}");
    for w in want {
        assert!(got.contains(w), "{w:?} is not among {got:#?}");
    }
}

// ---------------------------------------------------------------------------
// One problem at a time
// ---------------------------------------------------------------------------

#[test]
fn a_missing_input_is_reported_and_nothing_runs() {
    let f = fixture();
    let errors = rejected(
        f.program
            .run_sync([(f.ix("a"), int(1)), (f.ix("label"), string("x"))]),
    );
    assert_eq!(
        errors,
        [InputError::Missing {
            name: "b".to_owned(),
            ty: CType::Int
        }]
    );
    assert!(errors[0].to_string().contains("`b`"));
    f.assert_nothing_ran(1);
    f.assert_next_run_is_correct();
}

#[test]
fn no_inputs_at_all_reports_every_input_missing() {
    let f = fixture();
    let errors = rejected(f.program.run_sync([]));
    assert_same_set(
        &errors,
        &[
            InputError::Missing {
                name: "a".to_owned(),
                ty: CType::Int,
            },
            InputError::Missing {
                name: "b".to_owned(),
                ty: CType::Int,
            },
            InputError::Missing {
                name: "label".to_owned(),
                ty: CType::String,
            },
        ],
    );
    f.assert_nothing_ran(1);
    f.assert_next_run_is_correct();
}

#[test]
fn a_mistyped_input_is_reported_once_and_nothing_runs() {
    let f = fixture();
    // `b` is valid and fills its slot before `a` is found wrong.
    let errors = rejected(f.program.run_sync([
        (f.ix("b"), int(2)),
        (f.ix("a"), string("one")),
        (f.ix("label"), string("x")),
    ]));
    assert_eq!(
        errors,
        [InputError::Mistyped {
            name: "a".to_owned(),
            expected: CType::Int,
            found: CType::String
        }],
        "a mistyped input is not also reported missing"
    );
    f.assert_nothing_ran(1);
    f.assert_next_run_is_correct();
}

#[test]
fn a_container_of_the_wrong_element_type_is_mistyped() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = registry(&calls);
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
    let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
    let xs = program.input("xs").unwrap();
    let errors =
        rejected(program.run_sync([(xs, CValue::list(vec![CValue::Float(1.0)], CType::Float))]));
    assert_eq!(
        errors,
        [InputError::Mistyped {
            name: "xs".to_owned(),
            expected: CType::list(CType::Int),
            found: CType::list(CType::Float)
        }]
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let r = program
        .run_sync([(xs, CValue::list(vec![int(1), int(2)], CType::Int))])
        .unwrap();
    assert_eq!(r.output_named("total"), Some(&int(3)));
}

#[test]
fn a_duplicate_input_is_reported_and_nothing_runs() {
    let f = fixture();
    let errors = rejected(f.program.run_sync([
        (f.ix("a"), int(1)),
        (f.ix("b"), int(2)),
        (f.ix("a"), int(3)),
        (f.ix("label"), string("x")),
    ]));
    assert_eq!(
        errors,
        [InputError::Duplicate {
            name: "a".to_owned()
        }]
    );
    f.assert_nothing_ran(1);
    f.assert_next_run_is_correct();
}

#[test]
fn an_unknown_input_handle_is_unexpected() {
    let f = fixture();
    let errors = rejected(f.program.run_sync([
        (f.ix("a"), int(1)),
        (f.ix("b"), int(2)),
        (f.ix("label"), string("x")),
        (InputIx(99), int(0)),
    ]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        InputError::Unexpected { known: k, .. } => assert_eq!(k, &known()),
        other => panic!("expected Unexpected, got {other:?}"),
    }
    f.assert_nothing_ran(1);
    f.assert_next_run_is_correct();
}

#[test]
fn an_unknown_name_in_run_named_is_unexpected_and_nothing_runs() {
    let f = fixture();
    let result = block_on(f.program.run_named([
        ("a", int(1)),
        ("b", int(2)),
        ("label", string("x")),
        ("c", int(3)),
    ]));
    let errors = rejected(result);
    assert_eq!(
        errors,
        [InputError::Unexpected {
            name: "c".to_owned(),
            known: known()
        }]
    );
    assert!(errors[0].to_string().contains("`c`"));
    assert_eq!(f.calls(), 0);
    assert_eq!(f.program.metrics().modules_run, 0);
    f.assert_next_run_is_correct();
}

#[test]

fn a_run_named_rejection_is_counted_as_rejected() {
    let f = fixture();
    let result = block_on(f.program.run_named([
        ("a", int(1)),
        ("b", int(2)),
        ("label", string("x")),
        ("c", int(3)),
    ]));
    rejected(result);
    f.assert_nothing_ran(1);
    assert_eq!(f.program.metrics().executions_started, 1);
}

#[test]
fn run_named_with_valid_names_runs() {
    let f = fixture();
    let r = block_on(
        f.program
            .run_named([("label", string("n=")), ("b", int(5)), ("a", int(6))]),
    )
    .unwrap();
    assert_eq!(r.output_named("line"), Some(&string("n=11")));
    drop(r);
    let errors = rejected(block_on(f.program.run_named([
        ("a", int(1)),
        ("a", int(1)),
        ("b", int(2)),
        ("label", string("x")),
    ])));
    assert_eq!(
        errors,
        [InputError::Duplicate {
            name: "a".to_owned()
        }]
    );
}

// ---------------------------------------------------------------------------
// Several problems at once
// ---------------------------------------------------------------------------

#[test]
fn every_problem_of_a_call_is_reported_at_once() {
    for config in [
        RuntimeConfig::default().with_pool_size(1),
        RuntimeConfig::default().reference(),
    ] {
        let f = fixture_with(config);
        let errors = rejected(f.program.run_sync([
            (f.ix("a"), CValue::Float(1.0)),
            (f.ix("label"), string("x")),
            (f.ix("label"), string("y")),
            (InputIx(7), int(0)),
        ]));
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors.contains(&InputError::Mistyped {
            name: "a".to_owned(),
            expected: CType::Int,
            found: CType::Float
        }));
        assert!(errors.contains(&InputError::Duplicate {
            name: "label".to_owned()
        }));
        assert!(errors.contains(&InputError::Missing {
            name: "b".to_owned(),
            ty: CType::Int
        }));
        assert!(errors
            .iter()
            .any(|e| matches!(e, InputError::Unexpected { known: k, .. } if *k == known())));
        f.assert_nothing_ran(1);

        // Rejected again, differently, then a valid call.
        let errors = rejected(f.program.run_sync([
            (f.ix("b"), string("two")),
            (f.ix("a"), int(1)),
            (f.ix("a"), int(1)),
        ]));
        assert_eq!(errors.len(), 3, "{errors:#?}");
        f.assert_nothing_ran(2);
        f.assert_next_run_is_correct();
    }
}

#[test]

fn run_named_reports_every_problem_at_once() {
    let f = fixture();
    let errors = rejected(block_on(
        f.program
            .run_named([("a", CValue::Float(1.0)), ("nope", int(3))]),
    ));
    assert_same_set(
        &errors,
        &[
            InputError::Mistyped {
                name: "a".to_owned(),
                expected: CType::Int,
                found: CType::Float,
            },
            InputError::Unexpected {
                name: "nope".to_owned(),
                known: known(),
            },
            InputError::Missing {
                name: "b".to_owned(),
                ty: CType::Int,
            },
            InputError::Missing {
                name: "label".to_owned(),
                ty: CType::String,
            },
        ],
    );
    assert_eq!(f.calls(), 0);
}

// ---------------------------------------------------------------------------
// Plain JSON
// ---------------------------------------------------------------------------

#[test]
fn decoded_json_inputs_run() {
    let f = fixture();
    let decoded = f
        .program
        .decode_inputs(&json!({"a": 30, "b": 12, "label": "sum: "}))
        .unwrap();
    assert_eq!(decoded.len(), 3);
    let r = f.program.run_sync(decoded).unwrap();
    assert_eq!(r.output_named("sum"), Some(&int(42)));
    assert_eq!(r.output_named("line"), Some(&string("sum: 42")));
}

#[test]
fn json_decoding_reports_every_problem_at_once() {
    let f = fixture();
    let err = f
        .program
        .decode_inputs(&json!({"a": "one", "label": 5, "extra": true}))
        .unwrap_err();
    let errors = input_errors(&err);
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(errors.contains(&InputError::Unexpected {
        name: "extra".to_owned(),
        known: known()
    }));
    assert!(errors.contains(&InputError::Missing {
        name: "b".to_owned(),
        ty: CType::Int
    }));
    assert!(
        text.contains(&"a: expected Int, found string".to_owned()),
        "{text:?}"
    );
    assert!(
        text.contains(&"label: expected String, found integer".to_owned()),
        "{text:?}"
    );
    assert_eq!(f.calls(), 0);
}

#[test]
fn json_that_is_not_an_object_is_rejected_without_panicking() {
    let f = fixture();
    for (j, kind) in [
        (json!([1, 2]), "an array"),
        (json!("a=1"), "a string"),
        (json!(5), "a number"),
        (json!(1.5), "a number"),
        (json!(true), "a boolean"),
        (json!(null), "null"),
    ] {
        let result = catch_unwind(AssertUnwindSafe(|| f.program.decode_inputs(&j)))
            .unwrap_or_else(|_| panic!("decode_inputs panicked on {j}"));
        let errors = rejected(result);
        assert_eq!(errors, [InputError::NotAnObject(kind)], "{j}");
        assert!(
            errors[0].to_string().contains("JSON object"),
            "{}",
            errors[0]
        );
    }
    // An empty object is an object: every input is missing.
    let errors = rejected(f.program.decode_inputs(&json!({})));
    assert_eq!(errors.len(), 3);
    assert!(errors
        .iter()
        .all(|e| matches!(e, InputError::Missing { .. })));
}

fn order_type() -> CType {
    CType::product([
        ("id", CType::Int),
        (
            "items",
            CType::list(CType::product([
                ("price", CType::Float),
                ("sku", CType::String),
                ("tags", CType::list(CType::String)),
            ])),
        ),
        ("note", CType::optional(CType::String)),
    ])
}

/// `total = t.total(order)`: the sum of the item prices.
fn order_program(calls: &Arc<AtomicUsize>) -> Program {
    let c = Arc::clone(calls);
    let mut registry = Registry::new();
    registry.register(Module::raw_sync(
        ModuleSignature::new(
            "t.total",
            [("order", order_type())],
            [("out", CType::Float)],
        ),
        move |i, o| {
            c.fetch_add(1, Ordering::SeqCst);
            let total = match i.get(0)? {
                CValue::Product(fields, _) => fields["items"]
                    .as_list()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| match item {
                        CValue::Product(f, _) => f["price"].as_float(),
                        _ => None,
                    })
                    .sum::<f64>(),
                other => return Err(format!("not a record: {other:?}").into()),
            };
            o.set(0, CValue::Float(total))
        },
    ));
    let mut b = DagBuilder::seeded("orders", 8);
    let order = b.input("order", order_type());
    let m = b.module("t.total");
    b.bind(order, m, "order");
    let total = b.produce(m, "out", "total", CType::Float);
    b.output("total", total);
    Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap()
}

fn json_problem(program: &Program, j: serde_json::Value) -> String {
    let errors = rejected(program.decode_inputs(&j));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    match &errors[0] {
        InputError::Json(e) => e.to_string(),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn a_bad_value_deep_in_a_nested_input_is_reported_with_its_path() {
    let calls = Arc::new(AtomicUsize::new(0));
    let program = order_program(&calls);
    let item = |price: serde_json::Value| json!({"price": price, "sku": "x", "tags": []});

    assert_eq!(
        json_problem(
            &program,
            json!({"order": {"id": 1, "items": [item(json!(1.0)), item(json!("9.99"))]}})
        ),
        "order.items[1].price: expected Float, found string"
    );
    assert_eq!(
        json_problem(
            &program,
            json!({"order": {"id": 1, "items": [
                item(json!(1.0)),
                item(json!(2.0)),
                {"price": 3.0, "sku": "y", "tags": ["ok", 7]}
            ]}})
        ),
        "order.items[2].tags[1]: expected String, found integer"
    );
    assert_eq!(
        json_problem(
            &program,
            json!({"order": {"id": 1, "items": [{"price": 1.0, "tags": []}]}})
        ),
        "order.items[0].sku: missing field of type String"
    );
    // Extra fields are ignored, as in the original; strict mode refuses them.
    let extra = json!({"order": {"id": 1, "items": [], "colour": "red"}});
    assert!(program.decode_inputs(&extra).is_ok());
    let strict = rejected(program.decode_inputs_strict(&extra));
    assert!(
        matches!(&strict[..], [InputError::Json(e)] if e.to_string().starts_with("order.colour: unexpected field")),
        "{strict:#?}"
    );
    assert_eq!(
        json_problem(&program, json!({"order": {"id": 1.5, "items": []}})),
        "order.id: expected Int, found number"
    );
    assert_eq!(
        json_problem(
            &program,
            json!({"order": {"id": 1, "items": {"price": 1.0}}})
        ),
        format!(
            "order.items: expected {}, found object",
            CType::list(CType::product([
                ("price", CType::Float),
                ("sku", CType::String),
                ("tags", CType::list(CType::String)),
            ]))
        )
    );
    assert!(
        json_problem(&program, json!({"order": {"id": u64::MAX, "items": []}}))
            .starts_with("order.id: integer")
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    // The same shape, well formed, decodes and runs.
    let decoded = program
        .decode_inputs(&json!({"order": {"id": 1, "items": [
            item(json!(1.25)), item(json!(2)), item(json!(0.5))
        ]}}))
        .unwrap();
    let r = program.run_sync(decoded).unwrap();
    assert!(r.is_success(), "{:?}", r.problems());
    assert_eq!(r.output_named("total"), Some(&CValue::Float(3.75)));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------
// run_sync and async modules
// ---------------------------------------------------------------------------

#[test]
fn run_sync_refuses_a_program_with_async_modules() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let mut registry = Registry::with_stdlib();
    registry.register(Module::asynchronous(
        "a.inc",
        ["x"],
        "out",
        move |x: i64| {
            c.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::task::yield_now().await;
                x + 1
            }
        },
    ));
    let mut b = DagBuilder::seeded("async", 2);
    let x = b.input("x", CType::Int);
    let inc = b.module("a.inc");
    b.bind(x, inc, "x");
    let y = b.produce(inc, "out", "y", CType::Int);
    let neg = b.module("stdlib.negate");
    b.bind(y, neg, "value");
    let z = b.produce(neg, "out", "z", CType::Int);
    b.output("z", z);
    let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
    assert!(program.has_async_modules());
    let xi = program.input("x").unwrap();

    let err = program.run_sync([(xi, int(1))]).unwrap_err();
    assert!(err.needs_async_runtime(), "{err}");
    assert!(!err.is_invalid_input());
    assert!(err.input_errors().is_empty());
    assert!(err.to_string().contains("async"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing ran");
    assert_eq!(program.metrics().modules_run, 0);

    // The same program runs inside a tokio runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let z = rt.block_on(async {
        let r = program.run([(xi, int(1))]).await.unwrap();
        r.output_named("z").cloned()
    });
    assert_eq!(z, Some(int(-2)));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // And run_sync still refuses, whatever the inputs.
    let err = program.run_sync([]).unwrap_err();
    assert!(err.needs_async_runtime());
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

fn config_error(text: &str) -> String {
    let parsed = catch_unwind(|| Config::from_toml(text))
        .unwrap_or_else(|_| panic!("Config::from_toml panicked on {text:?}"));
    match parsed {
        Ok(c) => panic!("{text:?} was accepted as {c:?}"),
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with("invalid runtime configuration"),
                "{message}"
            );
            message
        }
    }
}

#[test]
fn malformed_toml_is_an_error() {
    for text in [
        "[runtime",
        "[runtime.state]\nmutable = tru",
        "runtime =",
        "[runtime.state]\nmutable = true\nmutable = false",
        "[runtime]\n[runtime]",
        "\"unterminated",
        "[runtime.state.pooling]\nsize = 1 2",
    ] {
        config_error(text);
    }
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    for (text, key) in [
        ("[server]\nport = 1", "server"),
        ("[runtime]\nthreads = 4", "threads"),
        ("[runtime.state]\nmutabel = true", "mutabel"),
        ("[runtime.state.pooling]\nsise = 3", "sise"),
        (
            "[runtime.modules]\nrecord_latency = false",
            "record_latency",
        ),
        ("[runtime.modules]\ntimeout-ms = 5", "timeout-ms"),
        ("[runtime.state]\ninitial_capacity = 5", "initial_capacity"),
    ] {
        let message = config_error(text);
        assert!(message.contains(key), "{text:?}: {message}");
    }
}

#[test]
fn wrongly_typed_values_are_errors() {
    for text in [
        "runtime = 5",
        "[runtime]\nstate = \"mutable\"",
        "[runtime.state]\nmutable = \"yes\"",
        "[runtime.state]\nmutable = 1",
        "[runtime.state]\ninitial-capacity = -1",
        "[runtime.state]\ninitial-capacity = 1.5",
        "[runtime.state]\ninitial-capacity = \"32\"",
        "[runtime.state.pooling]\nsize = \"big\"",
        "[runtime.state.pooling]\nsize = -1",
        "[runtime.state.pooling]\nenabled = 1",
        "[runtime.modules]\nrecord-latency = \"no\"",
        "[runtime.modules]\ndefault-timeout-ms = -5",
        "[runtime.modules]\ndefault-timeout-ms = 2.5",
        "[runtime.modules]\ntimeouts-ms = 5",
        "[runtime.modules]\ntimeouts-ms = { \"stdlib.add\" = \"fast\" }",
        "[runtime.modules]\ntimeouts-ms = { \"stdlib.add\" = -1 }",
    ] {
        config_error(text);
    }
}

/// serde's derived `Deserialize` also reads a struct from a sequence, field
/// by field in declaration order, so an array where a table belongs is
/// accepted: `state = [false, 5]` silently sets `mutable = false` and
/// `initial-capacity = 5`, bypassing the key names `deny_unknown_fields`
/// is there to check.
#[test]
fn arrays_in_place_of_tables_are_errors() {
    for text in [
        "[[runtime]]",
        "runtime = []",
        "[runtime]\nstate = []",
        "[runtime]\nstate = [false, 5]",
        "[runtime.state]\npooling = [false, 1]",
        "[runtime]\nmodules = [false]",
    ] {
        config_error(text);
    }
}

#[test]
fn a_valid_config_applies_to_a_program() {
    let config = Config::from_toml(
        "[runtime.state]\ninitial-capacity = 2\n[runtime.state.pooling]\nsize = 3\n\
         [runtime.modules]\nrecord-latency = false\n",
    )
    .unwrap();
    assert_eq!(config.runtime.pool_capacity(), 3);
    assert_eq!(Config::from_toml(&config.to_toml()).unwrap(), config);
    let f = fixture_with(config.runtime.clone());
    assert_eq!(f.program.config(), &config.runtime);
    assert_eq!(f.program.pool().capacity(), 3);
    assert_eq!(
        f.program.pool().idle(),
        2,
        "initial-capacity states prewarmed"
    );
    f.assert_next_run_is_correct();

    let reference = Config::from_toml("[runtime.state]\nmutable = false\n").unwrap();
    assert!(!reference.runtime.state.mutable);
    let f = fixture_with(reference.runtime);
    f.assert_next_run_is_correct();
}

// ---------------------------------------------------------------------------

/// Runs `run_named` (an async fn) from a plain test.
fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(fut)
}
