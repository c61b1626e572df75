//! The pipeline language end to end: the original's example programs
//! (`lang/tests/programs/original/`, MIT, from constellation-engine's
//! `modules/example-app/examples/`) compile against the runtime's
//! signatures and run on their `@example` inputs to the outputs their
//! comments describe; programs that call the example app's modules run
//! against stub modules registered here; each language feature runs.

use std::path::Path;

use asterism::lang::{self, BranchLowering, Compiled, Options};
use asterism::runtime::Module;
use asterism::{CType, CValue, Program, Registry, RuntimeConfig};
use serde_json::{json, Value};

fn original(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lang/tests/programs/original")
        .join(format!("{name}.cst"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compile_on(registry: &Registry, source: &str, branch: BranchLowering) -> Compiled {
    let opts = Options {
        branch,
        ..Options::default()
    };
    lang::compile_with(source, &registry.signatures(), &opts).unwrap_or_else(|d| panic!("{d}"))
}

/// Runs a compiled program on `inputs` and returns its outputs as plain
/// JSON (absent outputs as null).
fn run_on(registry: &Registry, c: &Compiled, inputs: &[(String, CValue)]) -> Value {
    let program = Program::load(&c.spec, registry, &RuntimeConfig::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let values: Vec<_> = inputs
        .iter()
        .map(|(n, v)| (program.input(n).expect("declared input"), v.clone()))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let result = program.run(values).await.expect("runs");
        assert!(result.problems().is_empty(), "{:?}", result.problems());
        let out: serde_json::Map<String, Value> = result
            .outputs()
            .map(|(n, v)| {
                (
                    n.to_owned(),
                    v.map_or(Value::Null, asterism::compiler::plain::encode),
                )
            })
            .collect();
        Value::Object(out)
    })
}

fn run_example(source: &str) -> Value {
    let registry = Registry::with_stdlib();
    let c = compile_on(&registry, source, BranchLowering::Conditionals);
    run_on(&registry, &c, &c.example_inputs())
}

#[test]
fn hello_greets_alice() {
    // tutorial/hello.cst: concat then trim.
    assert_eq!(
        run_example(&original("hello")),
        json!({"trimmed_greeting": "Hello, Alice"})
    );
}

#[test]
fn simple_test_uppercases() {
    assert_eq!(
        run_example(&original("simple-test")),
        json!({"result": "HELLO, WORLD!"})
    );
}

#[test]
fn namespaces_resolve_use_alias_and_full_names() {
    // a = 10, b = 5: add through `use stdlib.math`, multiply by full name,
    // trim through the alias `str`.
    assert_eq!(
        run_example(&original("namespaces")),
        json!({"result1": 15, "result2": 50, "trimmed_greeting": "Hello from namespace!"})
    );
}

#[test]
fn branch_expressions_pick_the_first_true_case() {
    // priority "high", score 85, category "technical".
    assert_eq!(
        run_example(&original("branch-expressions")),
        json!({
            "processingTier": "fast-path",
            "grade": "B",
            "actionPlan": "immediate-review",
            "department": "Engineering",
            "scoreBucket": "high",
            "gradeIfElse": "B"
        })
    );
}

#[test]
fn conditional_branching_routes() {
    // score 85, tier "premium".
    assert_eq!(
        run_example(&original("conditional-branching")),
        json!({
            "category": "gold",
            "offerMessage": "Free upgrade available!",
            "bonusMessage": "Bonus: 500 points",
            "finalMessage": "Gold: priority support",
            "route": "fast-track"
        })
    );
}

#[test]
fn guards_and_coalesce() {
    // score 75, threshold 50, enabled: the 25-point bonus needs > 80.
    assert_eq!(
        run_example(&original("guard-and-coalesce")),
        json!({
            "highScoreMessage": "Excellent!",
            "processingResult": "Enabled",
            "complexGuard": "Both conditions met",
            "finalMessage": "Excellent!",
            "result": "Excellent!",
            "safeMessage": "Both conditions met",
            "actualHighBonus": 0,
            "actualEnabledBonus": 15,
            "totalBonus": 25
        })
    );
}

#[test]
fn optional_inputs_left_out_take_their_defaults() {
    // The optional inputs have no examples, so they are None; score 85.
    assert_eq!(
        run_example(&original("optional-types")),
        json!({
            "value": 100, "name": "Anonymous", "multiplier": 1, "safeScore": 85,
            "finalValue": 10, "scaledValue": 100, "finalScaledBonus": 0,
            "timeout": 30, "retries": 3, "totalWaitTime": 90
        })
    );
}

#[test]
fn string_interpolation_with_escapes() {
    assert_eq!(
        run_example(&original("string-interpolation")),
        json!({
            "greeting": "Hello, Alice!",
            "ageNextYear": "Next year you will be 29 years old.",
            "summary": "User Alice is 28 years old.",
            "formatted": "Account Summary:\n\tName: Alice\n\tBalance: $1500",
            "statusMessage": "Your account status is: healthy",
            "formalGreeting": "Dear ALICE, welcome to our service!"
        })
    );
}

#[test]
fn records_field_access_merge_and_projection() {
    let registry = Registry::with_stdlib();
    let user = CValue::record([
        ("id", CValue::Int(1)),
        ("name", CValue::String("  Ada ".into())),
        ("email", CValue::String("a@x".into())),
        ("score", CValue::Int(150)),
    ]);
    let c = compile_on(
        &registry,
        &original("simple-pipeline"),
        BranchLowering::Module,
    );
    assert_eq!(
        run_on(&registry, &c, &[("user".into(), user)]),
        json!({"user_name": "Ada", "is_high_score": true})
    );
    // type-algebra.cst: the right side wins on `name`; projection keeps two
    // fields.
    let c = compile_on(&registry, &original("type-algebra"), BranchLowering::Module);
    let base = CValue::record([("id", CValue::Int(7)), ("name", CValue::String("a".into()))]);
    let extra = CValue::record([
        ("name", CValue::String("b".into())),
        ("score", CValue::Float(0.5)),
    ]);
    assert_eq!(
        run_on(
            &registry,
            &c,
            &[("base".into(), base), ("extra".into(), extra)]
        ),
        json!({"merged": {"id": 7, "name": "b", "score": 0.5}, "summary": {"id": 7, "score": 0.5}})
    );
}

/// The example app's modules, as stubs: each string service answers
/// `"<Name>(<input>)"`; the text modules do what their names say.
fn app_registry() -> Registry {
    let mut r = Registry::with_stdlib();
    for name in [
        "SlowQuery",
        "ExpensiveCompute",
        "SlowApiCall",
        "QuickCheck",
        "FlakyService",
        "DeepAnalysis",
        "RateLimitedApi",
        "ResourceIntensiveTask",
        "AlwaysFailsService",
        "TimeoutProneService",
    ] {
        let label = name.to_owned();
        r.register(Module::sync(name, ["input"], "out", move |s: String| {
            format!("{label}({s})")
        }));
    }
    r.register(Module::sync("WordCount", ["text"], "out", |s: String| {
        s.split_whitespace().count() as i64
    }));
    r.register(Module::sync("TextLength", ["text"], "out", |s: String| {
        s.chars().count() as i64
    }));
    r.register(Module::sync(
        "Contains",
        ["text", "substring"],
        "out",
        |s: String, sub: String| s.contains(&sub),
    ));
    r.register(Module::sync("FormatNumber", ["value"], "out", |n: i64| {
        n.to_string()
    }));
    r
}

#[test]
fn app_module_programs_run_against_stubs() {
    let registry = app_registry();
    for name in [
        "fan-out-fan-in",
        "cache-demo",
        "caching-strategies",
        "rate-limiting-demo",
        "priority-lazy-demo",
        "resilient-pipeline-demo",
        "retry-resilience-demo",
        "error-handling-demo",
    ] {
        compile_on(&registry, &original(name), BranchLowering::Module);
    }
    let c = compile_on(
        &registry,
        &original("fan-out-fan-in"),
        BranchLowering::Module,
    );
    assert_eq!(
        run_on(&registry, &c, &c.example_inputs()),
        json!({
            "profile": "FlakyService(user-42)",
            "activity": "SlowApiCall(product-99)",
            "prefs": "SlowQuery(https://api.example.com/prefs)"
        })
    );
}

#[test]
fn with_clauses_become_module_options() {
    let registry = app_registry();
    let c = compile_on(
        &registry,
        &original("resilient-pipeline-demo"),
        BranchLowering::Module,
    );
    let by_module = |module: &str| {
        c.spec
            .modules
            .values()
            .find(|m| m.metadata.name == module)
            .unwrap_or_else(|| panic!("no {module}"))
            .options
            .clone()
    };
    // userData = FlakyService(userId) with cache: 5min, retry: 3, delay:
    // 100ms, backoff: exponential, timeout: 3s, fallback: defaultUserData,
    // priority: high
    let o = by_module("FlakyService");
    assert_eq!(o.cache_ms, Some(300_000));
    assert_eq!(o.retry, Some(3));
    assert_eq!(o.delay_ms, Some(100));
    assert_eq!(o.backoff.as_deref(), Some("exponential"));
    assert_eq!(o.timeout_ms, Some(3_000));
    assert_eq!(o.priority, Some(75));
    let fallback = o.fallback.expect("a fallback node");
    assert_eq!(c.spec.data[&fallback].name, "defaultUserData");
    // enrichedData = RateLimitedApi(...) with throttle: 10/1s, concurrency:
    // 3, timeout: 5s, on_error: log, priority: low
    let o = by_module("RateLimitedApi");
    assert_eq!(
        (o.throttle_count, o.throttle_per_ms),
        (Some(10), Some(1_000))
    );
    assert_eq!(o.concurrency, Some(3));
    assert_eq!(o.on_error.as_deref(), Some("log"));
    assert_eq!(o.priority, Some(25));
    // deepInsights = DeepAnalysis(...) with lazy: true, cache: 1h, priority:
    // background, timeout: 10s
    let o = by_module("DeepAnalysis");
    assert_eq!(o.lazy_eval, Some(true));
    assert_eq!(o.cache_ms, Some(3_600_000));
    assert_eq!(o.priority, Some(0));
    assert_eq!(c.module_options().len(), 5);
}

#[test]
fn branch_lowers_to_a_synthetic_module_as_the_original_does() {
    let registry = Registry::with_stdlib();
    let c = compile_on(
        &registry,
        "in a: Int\nx = branch { a > 1 -> \"big\", a > 0 -> \"small\", otherwise -> \"none\" }\nout x\n",
        BranchLowering::Module,
    );
    let m = c
        .spec
        .modules
        .values()
        .find(|m| m.metadata.name == "pipeline.branch-1")
        .expect("a branch module");
    let ports: Vec<&str> = m.consumes.keys().map(String::as_str).collect();
    assert_eq!(ports, ["cond0", "cond1", "expr0", "expr1", "otherwise"]);
    assert_eq!(m.consumes["cond0"], CType::Boolean);
    assert_eq!(m.produces["out"], CType::String);
}

#[test]
fn branch_modules_run() {
    let registry = Registry::with_stdlib();
    let c = compile_on(
        &registry,
        &original("branch-expressions"),
        BranchLowering::Module,
    );
    assert_eq!(
        run_on(&registry, &c, &c.example_inputs())["grade"],
        json!("B")
    );
}

#[test]
fn each_feature_runs() {
    let cases: &[(&str, Value)] = &[
        ("x = 7 - 2 * 3\nout x", json!({"x": 1})),
        ("x = (7 - 2) * 3 / 5\nout x", json!({"x": 3})),
        (
            "x = 3 != 4 and not (2 >= 3) or false\nout x",
            json!({"x": true}),
        ),
        ("x = \"a\" == \"a\"\nout x", json!({"x": true})),
        (
            "x = if (1 < 2) \"yes\" else \"no\"\nout x",
            json!({"x": "yes"}),
        ),
        ("g = 5 when 1 > 2\nx = g ?? 9\nout x", json!({"x": 9})),
        ("x = [1, 2, 3]\ns = list-sum(x)\nout s", json!({"s": 6})),
        ("x = list-sum([])\nout x", json!({"x": 0})),
        (
            "r = {a: 1, b: \"t\"}\nx = r + {c: true}\ny = x[a, c]\nz = x.b\nout y\nout z",
            json!({"y": {"a": 1, "c": true}, "z": "t"}),
        ),
        (
            "rs = [{a: 1}, {a: 2}]\nxs = rs.a\nt = list-sum(xs)\nout t",
            json!({"t": 3}),
        ),
        ("x = add(b: 1, a: 41)\nout x", json!({"x": 42})),
        ("x = 2\ny = x * x\nout y", json!({"y": 4})),
        (
            "x = \"n=${1 + 1}, ok=${true}\"\nout x",
            json!({"x": "n=2, ok=true"}),
        ),
        (
            "use stdlib.text as t\nx = t.concat(\"a\", \"b\")\nout x",
            json!({"x": "ab"}),
        ),
        ("x = -5 + 2\nout x", json!({"x": -3})),
        ("x = 1.5\nout x", json!({"x": 1.5})),
    ];
    let registry = Registry::with_stdlib();
    for (src, want) in cases {
        let c = compile_on(&registry, src, BranchLowering::Conditionals);
        assert_eq!(&run_on(&registry, &c, &[]), want, "{src}");
    }
}

#[test]
fn the_same_source_compiles_to_the_same_spec() {
    let registry = Registry::with_stdlib();
    let a = compile_on(
        &registry,
        &original("branch-expressions"),
        BranchLowering::Module,
    );
    let b = compile_on(
        &registry,
        &original("branch-expressions"),
        BranchLowering::Module,
    );
    assert_eq!(a.spec.to_json(), b.spec.to_json());
}

#[test]
fn a_module_the_registry_lacks_is_reported_naming_the_call() {
    let err = lang::compile(
        "in q: String\nr = SlowQuery(q) with cache: 5min\nout r\n",
        &Registry::with_stdlib().signatures(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown function `SlowQuery`"), "{text}");
    assert!(text.contains("<input>:2:5"), "{text}");
}
