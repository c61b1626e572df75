//! Modules through real pipelines: typed sync and async adapters (signatures
//! follow from the Rust types), `Result` errors, panics, raw modules with
//! several outputs and the ways a raw module can misbehave, and binding
//! against a registry that lacks modules.

use std::collections::BTreeSet;

use asterism_compiler::{CType, CValue, DagBuilder, DagSpec, ModuleSignature, Port};
use asterism_runtime::{
    BindError, FailureKind, Module, ModuleError, ModuleOutput, NodeFailure, Program, Registry,
    RuntimeConfig,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A pipeline with one call of `module`: one user input per parameter (named
/// after it) and the output field `output` declared as `result`.
fn one_module_spec(module: &str, params: &[(&str, CType)], output: &str, out_ty: CType) -> DagSpec {
    let mut b = DagBuilder::seeded("modules-test", 11);
    let m = b.module(module);
    for (param, ty) in params {
        let d = b.input(*param, ty.clone());
        b.bind(d, m, *param);
    }
    let out = b.produce(m, output, "result-data", out_ty);
    b.output("result", out);
    b.build()
}

/// Loads a one-module pipeline for `module`, whose signature gives the
/// parameters and the (first) output.
fn program_for(module: &Module, config: &RuntimeConfig) -> Program {
    let sig = module.signature();
    let params: Vec<(&str, CType)> = sig
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.ty.clone()))
        .collect();
    let out = &sig.outputs[0];
    let spec = one_module_spec(&sig.name, &params, &out.name, out.ty.clone());
    let mut registry = Registry::new();
    registry.register(module.clone());
    Program::load(&spec, &registry, config)
        .unwrap_or_else(|e| panic!("`{}` does not load: {e}", sig.name))
}

fn inputs(program: &Program, args: &[(&str, CValue)]) -> Vec<(asterism_compiler::InputIx, CValue)> {
    args.iter()
        .map(|(n, v)| (program.input(n).expect("input exists"), v.clone()))
        .collect()
}

/// Runs a sync program once: the output, or the single failure.
fn run(program: &Program, args: &[(&str, CValue)]) -> Result<CValue, NodeFailure> {
    let r = program
        .run_sync(inputs(program, args))
        .expect("valid inputs");
    outcome(&r)
}

async fn run_async(program: &Program, args: &[(&str, CValue)]) -> Result<CValue, NodeFailure> {
    let r = program
        .run(inputs(program, args))
        .await
        .expect("valid inputs");
    outcome(&r)
}

fn outcome(r: &asterism_runtime::ExecutionResult<'_>) -> Result<CValue, NodeFailure> {
    let failures = r.failures();
    match failures.as_slice() {
        [] => {
            assert!(r.is_success(), "{:?}", r.problems());
            Ok(r.output_named("result").cloned().expect("output computed"))
        }
        [(_, f)] => {
            assert!(!r.is_success());
            assert_eq!(
                r.output_named("result"),
                None,
                "a failed module has no output"
            );
            Err(f.clone())
        }
        more => panic!("expected at most one failure, got {more:?}"),
    }
}

fn sig(name: &str, params: &[(&str, CType)], outputs: &[(&str, CType)]) -> ModuleSignature {
    ModuleSignature::new(
        name,
        params.iter().map(|(n, t)| (*n, t.clone())),
        outputs.iter().map(|(n, t)| (*n, t.clone())),
    )
}

fn int(v: i64) -> CValue {
    CValue::Int(v)
}
fn string(v: &str) -> CValue {
    CValue::String(v.to_owned())
}
fn ints(v: &[i64]) -> CValue {
    CValue::list(v.iter().copied().map(CValue::Int).collect(), CType::Int)
}
fn some_int(v: i64) -> CValue {
    CValue::some(CValue::Int(v), CType::Int)
}
fn none_int() -> CValue {
    CValue::none(CType::Int)
}

// ---------------------------------------------------------------------------
// Typed sync modules
// ---------------------------------------------------------------------------

fn typed_modules() -> Vec<(Module, ModuleSignature)> {
    use CType::{Boolean, Float, Int, String as Str};
    let li = CType::list(Int);
    let oi = CType::optional(Int);
    vec![
        (
            Module::sync("t.zero", [], "out", || 42i64),
            sig("t.zero", &[], &[("out", Int)]),
        ),
        (
            Module::sync("t.scale", ["x"], "y", |x: f64| x * 1.5),
            sig("t.scale", &[("x", Float)], &[("y", Float)]),
        ),
        (
            Module::sync("t.flip", ["b"], "out", |b: bool| !b),
            sig("t.flip", &[("b", Boolean)], &[("out", Boolean)]),
        ),
        (
            Module::sync("t.shout", ["s"], "out", |s: String| s.to_uppercase()),
            sig("t.shout", &[("s", Str)], &[("out", Str)]),
        ),
        (
            Module::sync(
                "t.len-if",
                ["flag", "text"],
                "n",
                |flag: bool, text: String| {
                    if flag {
                        text.len() as i64
                    } else {
                        -1
                    }
                },
            ),
            sig(
                "t.len-if",
                &[("flag", Boolean), ("text", Str)],
                &[("n", Int)],
            ),
        ),
        (
            Module::sync(
                "t.extend",
                ["xs", "extra", "reverse"],
                "out",
                |mut xs: Vec<i64>, extra: Option<i64>, reverse: bool| {
                    xs.extend(extra);
                    if reverse {
                        xs.reverse();
                    }
                    xs
                },
            ),
            sig(
                "t.extend",
                &[
                    ("xs", li.clone()),
                    ("extra", oi.clone()),
                    ("reverse", Boolean),
                ],
                &[("out", li.clone())],
            ),
        ),
        (
            Module::sync("t.first", ["xs"], "out", |xs: Vec<i64>| xs.first().copied()),
            sig("t.first", &[("xs", li.clone())], &[("out", oi.clone())]),
        ),
        (
            Module::sync("t.describe", ["o"], "out", |o: Option<i64>| match o {
                Some(v) => format!("some {v}"),
                None => "none".to_owned(),
            }),
            sig("t.describe", &[("o", oi.clone())], &[("out", Str)]),
        ),
        (
            Module::sync("t.words", ["s"], "out", |s: String| {
                s.split(' ').map(str::to_owned).collect::<Vec<String>>()
            }),
            sig("t.words", &[("s", Str)], &[("out", CType::list(Str))]),
        ),
        (
            Module::sync(
                "t.ratio",
                ["a", "b"],
                "out",
                |a: f64, b: f64| -> Result<f64, String> {
                    if b == 0.0 {
                        Err("ratio: b is zero".to_owned())
                    } else {
                        Ok(a / b)
                    }
                },
            ),
            sig("t.ratio", &[("a", Float), ("b", Float)], &[("out", Float)]),
        ),
    ]
}

#[test]
fn typed_signatures_follow_the_rust_types() {
    for (module, want) in typed_modules() {
        assert_eq!(module.signature(), &want, "signature of `{}`", want.name);
        assert_eq!(module.name(), want.name);
        assert!(!module.is_async());
    }
}

#[test]
fn typed_sync_modules_compute_through_a_pipeline() {
    let cfg = RuntimeConfig::default();
    let modules: std::collections::HashMap<String, Module> = typed_modules()
        .into_iter()
        .map(|(m, _)| (m.name().to_owned(), m))
        .collect();
    let p = |name: &str| program_for(&modules[name], &cfg);

    assert_eq!(run(&p("t.zero"), &[]), Ok(int(42)));
    assert_eq!(
        run(&p("t.scale"), &[("x", CValue::Float(4.0))]),
        Ok(CValue::Float(6.0))
    );
    assert_eq!(
        run(&p("t.flip"), &[("b", CValue::Boolean(false))]),
        Ok(CValue::Boolean(true))
    );
    assert_eq!(
        run(&p("t.shout"), &[("s", string("hey"))]),
        Ok(string("HEY"))
    );
    let len_if = p("t.len-if");
    assert_eq!(
        run(
            &len_if,
            &[("flag", CValue::Boolean(true)), ("text", string("four"))]
        ),
        Ok(int(4))
    );
    assert_eq!(
        run(
            &len_if,
            &[("flag", CValue::Boolean(false)), ("text", string("four"))]
        ),
        Ok(int(-1))
    );
    let extend = p("t.extend");
    assert_eq!(
        run(
            &extend,
            &[
                ("xs", ints(&[1, 2])),
                ("extra", some_int(3)),
                ("reverse", CValue::Boolean(true))
            ]
        ),
        Ok(ints(&[3, 2, 1]))
    );
    assert_eq!(
        run(
            &extend,
            &[
                ("xs", ints(&[1, 2])),
                ("extra", none_int()),
                ("reverse", CValue::Boolean(false))
            ]
        ),
        Ok(ints(&[1, 2]))
    );
    let first = p("t.first");
    assert_eq!(run(&first, &[("xs", ints(&[9, 8]))]), Ok(some_int(9)));
    assert_eq!(run(&first, &[("xs", ints(&[]))]), Ok(none_int()));
    let describe = p("t.describe");
    assert_eq!(run(&describe, &[("o", some_int(5))]), Ok(string("some 5")));
    assert_eq!(run(&describe, &[("o", none_int())]), Ok(string("none")));
    assert_eq!(
        run(&p("t.words"), &[("s", string("a bc d"))]),
        Ok(CValue::list(
            vec![string("a"), string("bc"), string("d")],
            CType::String
        ))
    );
    assert_eq!(
        run(
            &p("t.ratio"),
            &[("a", CValue::Float(3.0)), ("b", CValue::Float(2.0))]
        ),
        Ok(CValue::Float(1.5))
    );
}

#[test]
fn a_typed_modules_err_message_reaches_the_node_failure() {
    let ratio = typed_modules()
        .into_iter()
        .find(|(m, _)| m.name() == "t.ratio")
        .unwrap()
        .0;
    let program = program_for(&ratio, &RuntimeConfig::default());
    let failure = run(
        &program,
        &[("a", CValue::Float(3.0)), ("b", CValue::Float(0.0))],
    )
    .unwrap_err();
    assert_eq!(
        failure,
        NodeFailure {
            kind: FailureKind::Error,
            message: "ratio: b is zero".to_owned()
        }
    );

    // Any `Display` error works, not only `String`.
    let parse = Module::sync("t.parse", ["s"], "out", |s: String| s.parse::<i64>());
    assert_eq!(parse.signature().outputs, [Port::new("out", CType::Int)]);
    let program = program_for(&parse, &RuntimeConfig::default());
    assert_eq!(run(&program, &[("s", string("123"))]), Ok(int(123)));
    let failure = run(&program, &[("s", string("12x"))]).unwrap_err();
    assert_eq!(failure.kind, FailureKind::Error);
    assert_eq!(
        failure.message,
        "12x".parse::<i64>().unwrap_err().to_string()
    );

    // The message is in the result's problems, with the node's name.
    let r = program
        .run_sync(inputs(&program, &[("s", string("nope"))]))
        .unwrap();
    let problems = r.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("t.parse"), "{problems:?}");
    assert!(problems[0].contains(&failure.message), "{problems:?}");
}

#[test]
fn a_panicking_sync_module_fails_its_node_and_the_program_keeps_working() {
    let fragile = Module::sync("t.fragile", ["x"], "out", |x: i64| {
        if x == 7 {
            panic!("kaboom at {x}");
        }
        x + 1
    });
    // One pooled state, so every execution reuses the state the panic left.
    let program = program_for(&fragile, &RuntimeConfig::default().with_pool_size(1));

    let failure = run(&program, &[("x", int(7))]).unwrap_err();
    assert_eq!(failure.kind, FailureKind::Panic);
    assert!(
        failure.message.contains("kaboom at 7"),
        "{}",
        failure.message
    );

    assert_eq!(run(&program, &[("x", int(1))]), Ok(int(2)));
    assert_eq!(
        run(&program, &[("x", int(7))]).unwrap_err().kind,
        FailureKind::Panic
    );
    assert_eq!(run(&program, &[("x", int(41))]), Ok(int(42)));

    let m = program.metrics();
    assert_eq!(m.executions_started, 4);
    assert_eq!(m.executions_succeeded, 2);
    assert_eq!(m.executions_failed, 2);
    assert_eq!(m.modules_run, 4);
    assert_eq!(m.modules_failed, 2);
    assert_eq!(m.pool.misses, 0, "the one pooled state was reused: {m:?}");
    assert_eq!(m.pool.hits, 4);
}

/// A panic in one node of a wide pass fails that node and skips its
/// dependant; every independent node, before or after it in the run
/// order, still runs (the pass resumes after the node that panicked).
#[test]
fn a_panic_mid_pass_leaves_the_independent_nodes_running() {
    let fragile = Module::sync("t.fragile", ["x"], "out", |x: i64| -> i64 {
        panic!("kaboom at {x}")
    });
    let mut b = DagBuilder::seeded("wide-panic", 3);
    let x = b.input("x", CType::Int);
    let f = b.module("t.fragile");
    b.bind(x, f, "x");
    let broken = b.produce(f, "out", "broken", CType::Int);
    let after = b.module("stdlib.negate");
    b.bind(broken, after, "value");
    let skipped = b.produce(after, "out", "skipped", CType::Int);
    b.output("skipped", skipped);
    for i in 0..6 {
        let m = b.module("stdlib.negate");
        b.bind(x, m, "value");
        let name = format!("n{i}");
        let out = b.produce(m, "out", &name, CType::Int);
        b.output(&name, out);
    }
    let spec = b.build();
    let mut registry = Registry::with_stdlib();
    registry.register(fragile);
    for config in [
        RuntimeConfig::default().with_pool_size(1),
        RuntimeConfig::default().reference(),
    ] {
        let program = Program::load(&spec, &registry, &config).unwrap();
        for _ in 0..3 {
            let r = program
                .run_sync(inputs(&program, &[("x", int(4))]))
                .unwrap();
            assert_eq!(r.failed_count(), 1, "{:?}", r.problems());
            assert_eq!(r.skipped_count(), 1);
            assert_eq!(r.output_named("skipped"), None);
            for i in 0..6 {
                assert_eq!(r.output_named(&format!("n{i}")), Some(&int(-4)), "n{i}");
            }
        }
    }
}

#[test]
fn a_panic_with_a_non_string_payload_is_still_a_panic_failure() {
    let odd = Module::sync("t.odd-panic", ["x"], "out", |x: i64| -> i64 {
        std::panic::panic_any(x)
    });
    let program = program_for(&odd, &RuntimeConfig::default());
    let failure = run(&program, &[("x", int(3))]).unwrap_err();
    assert_eq!(failure.kind, FailureKind::Panic);
    assert!(failure.message.contains("panicked"), "{}", failure.message);
}

// ---------------------------------------------------------------------------
// Raw sync modules
// ---------------------------------------------------------------------------

fn divmod_signature(name: &str) -> ModuleSignature {
    sig(
        name,
        &[("a", CType::Int), ("b", CType::Int)],
        &[("quot", CType::Int), ("rem", CType::Int)],
    )
}

/// `name` (a, b -> quot, rem); quot feeds `stdlib.negate`, rem feeds
/// `stdlib.to-string`. Outputs: quot, rem, neg, text.
fn divmod_pipeline(name: &str) -> DagSpec {
    let mut b = DagBuilder::seeded("divmod", 5);
    let a = b.input("a", CType::Int);
    let bb = b.input("b", CType::Int);
    let dm = b.module(name);
    b.bind(a, dm, "a");
    b.bind(bb, dm, "b");
    let quot = b.produce(dm, "quot", "quot", CType::Int);
    let rem = b.produce(dm, "rem", "rem", CType::Int);
    let neg = b.module("stdlib.negate");
    b.bind(quot, neg, "value");
    let negated = b.produce(neg, "out", "neg", CType::Int);
    let to_s = b.module("stdlib.to-string");
    b.bind(rem, to_s, "value");
    let text = b.produce(to_s, "out", "text", CType::String);
    b.output("quot", quot);
    b.output("rem", rem);
    b.output("neg", negated);
    b.output("text", text);
    b.build()
}

fn load_divmod(module: Module, config: &RuntimeConfig) -> Program {
    let name = module.name().to_owned();
    let mut registry = Registry::with_stdlib();
    registry.register(module);
    Program::load(&divmod_pipeline(&name), &registry, config).unwrap()
}

fn ab(program: &Program, a: i64, b: i64) -> Vec<(asterism_compiler::InputIx, CValue)> {
    inputs(program, &[("a", int(a)), ("b", int(b))])
}

#[test]
fn a_raw_module_with_two_outputs_feeds_both_consumers() {
    let divmod = Module::raw_sync(divmod_signature("t.divmod"), |i, o| {
        let (a, b) = (i.int(0)?, i.int(1)?);
        if b == 0 {
            return Err(ModuleError::new("t.divmod: b is zero"));
        }
        o.set(0, CValue::Int(a / b))?;
        o.set(1, CValue::Int(a % b))
    });
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = load_divmod(divmod.clone(), &config);
        let r = program.run_sync(ab(&program, 17, 5)).unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("quot"), Some(&int(3)));
        assert_eq!(r.output_named("rem"), Some(&int(2)));
        assert_eq!(r.output_named("neg"), Some(&int(-3)));
        assert_eq!(r.output_named("text"), Some(&string("2")));
        drop(r);

        let r = program.run_sync(ab(&program, 1, 0)).unwrap();
        assert_eq!(r.failed_count(), 1);
        assert_eq!(r.skipped_count(), 2, "both consumers are skipped");
        assert_eq!(r.failures()[0].1.message, "t.divmod: b is zero");
        assert_eq!(r.output_named("neg"), None);
        assert_eq!(r.output_named("text"), None);
    }
}

#[test]
fn an_output_nobody_reads_is_dropped_and_the_module_succeeds() {
    let divmod = Module::raw_sync(divmod_signature("t.divmod"), |i, o| {
        let (a, b) = (i.int(0)?, i.int(1)?);
        o.set(0, CValue::Int(a / b))?;
        o.set(1, CValue::Int(a % b))
    });
    let mut b = DagBuilder::seeded("half-read", 2);
    let a = b.input("a", CType::Int);
    let bb = b.input("b", CType::Int);
    let dm = b.module("t.divmod");
    b.bind(a, dm, "a");
    b.bind(bb, dm, "b");
    let rem = b.produce(dm, "rem", "rem", CType::Int);
    b.output("rem", rem);
    let mut registry = Registry::new();
    registry.register(divmod);
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = Program::load(&b.build(), &registry, &config).unwrap();
        let r = program.run_sync(ab(&program, 17, 5)).unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("rem"), Some(&int(2)));
    }
}

#[test]
fn a_raw_module_that_repeats_an_unread_output_instead_of_writing_a_read_one_fails() {
    // quot is read by nobody here; rem feeds `stdlib.to-string`. The module
    // writes quot twice, ignores the refusal, and never writes rem.
    let repeater = Module::raw_sync(divmod_signature("t.repeat"), |i, o| {
        let (a, b) = (i.int(0)?, i.int(1)?);
        o.set(0, CValue::Int(a / b))?;
        let _ = o.set(0, CValue::Int(a / b));
        Ok(())
    });
    let mut b = DagBuilder::seeded("repeat", 3);
    let a = b.input("a", CType::Int);
    let bb = b.input("b", CType::Int);
    let dm = b.module("t.repeat");
    b.bind(a, dm, "a");
    b.bind(bb, dm, "b");
    let rem = b.produce(dm, "rem", "rem", CType::Int);
    let to_s = b.module("stdlib.to-string");
    b.bind(rem, to_s, "value");
    let text = b.produce(to_s, "out", "text", CType::String);
    b.output("text", text);
    let mut registry = Registry::with_stdlib();
    registry.register(repeater);
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = Program::load(&b.build(), &registry, &config).unwrap();
        let r = program.run_sync(ab(&program, 17, 5)).unwrap();
        assert_eq!(r.failed_count(), 1, "{:?}", r.problems());
        assert_eq!(r.skipped_count(), 1, "the reader of rem never runs");
        assert!(
            r.failures()[0].1.message.contains("t.repeat"),
            "{}",
            r.failures()[0].1.message
        );
        assert_eq!(r.output_named("text"), None);
    }
}

fn half_writer() -> Module {
    Module::raw_sync(divmod_signature("t.half"), |i, o| {
        o.set(0, CValue::Int(i.int(0)? / i.int(1)?))
    })
}

#[test]
fn a_raw_module_that_writes_one_of_two_outputs_fails_naming_itself() {
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = load_divmod(half_writer(), &config);
        let r = program.run_sync(ab(&program, 17, 5)).unwrap();
        assert!(!r.is_success());
        let failures = r.failures();
        assert_eq!(failures.len(), 1, "{failures:?}");
        let (node, f) = &failures[0];
        assert_eq!(r.plan().node_name(*node), "t.half");
        assert_eq!(f.kind, FailureKind::Error);
        assert!(f.message.contains("`t.half`"), "{}", f.message);
        assert!(f.message.contains("1 of its 2 outputs"), "{}", f.message);
        assert_eq!(r.skipped_count(), 2, "both consumers are skipped");
        assert_eq!(r.output_named("neg"), None);
        assert_eq!(r.output_named("text"), None);
        assert_eq!(r.output_named("rem"), None);
    }
}

/// `ExecutionResult::output` documents `None` "if the node that computes it
/// failed". The reference executor keeps a failed module's outputs out of
/// its data; the slot executor leaves the output the module wrote before it
/// failed in its slot, so the failed module's partial output is visible
/// (also in `snapshot()` / `status_json()`).
#[test]

fn a_failed_modules_partial_outputs_are_not_visible() {
    let write_then_fail = Module::raw_sync(divmod_signature("t.write-then-fail"), |i, o| {
        o.set(0, CValue::Int(i.int(0)? / i.int(1)?))?;
        Err(ModuleError::new("failed after writing quot"))
    });
    for (executor, config) in [
        ("reference", RuntimeConfig::default().reference()),
        ("slot", RuntimeConfig::default()),
    ] {
        for module in [half_writer(), write_then_fail.clone()] {
            let name = module.name().to_owned();
            let program = load_divmod(module, &config);
            let r = program.run_sync(ab(&program, 17, 5)).unwrap();
            assert_eq!(r.failed_count(), 1);
            assert_eq!(
                r.output_named("quot"),
                None,
                "{executor} executor, `{name}`: the failed node's output is visible"
            );
            let quot_uuid = r.plan().slot_uuid(r.plan().outputs()[0].slot);
            assert!(
                !r.snapshot().data_values.contains_key(&quot_uuid),
                "{executor} executor, `{name}`: the snapshot holds the failed node's output"
            );
        }
    }
}

#[test]
fn a_raw_module_that_writes_a_mistyped_value_fails_naming_the_output() {
    let liar = Module::raw_sync(
        sig("t.liar", &[("x", CType::Int)], &[("count", CType::Int)]),
        |_, o| o.set(0, CValue::String("seven".to_owned())),
    );
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&liar, &config);
        let failure = run(&program, &[("x", int(1))]).unwrap_err();
        assert_eq!(failure.kind, FailureKind::Error);
        assert!(failure.message.contains("`count`"), "{}", failure.message);
        assert!(failure.message.contains("`t.liar`"), "{}", failure.message);
        assert!(failure.message.contains("Int"), "{}", failure.message);
    }
}

#[test]
fn a_raw_module_that_ignores_a_rejected_write_still_fails() {
    // The mistyped write is refused; a module that swallows the refusal and
    // returns Ok has written nothing, and must not count as completed.
    let sloppy = Module::raw_sync(
        sig("t.sloppy", &[("x", CType::Int)], &[("out", CType::Int)]),
        |_, o| {
            let _ = o.set(0, CValue::Float(1.0));
            Ok(())
        },
    );
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&sloppy, &config);
        let failure = run(&program, &[("x", int(1))]).unwrap_err();
        assert_eq!(failure.kind, FailureKind::Error);
        assert!(
            failure.message.contains("`t.sloppy`"),
            "{}",
            failure.message
        );
    }
}

#[test]
fn a_raw_module_that_writes_an_output_twice_fails() {
    let twice = Module::raw_sync(
        sig("t.twice", &[("x", CType::Int)], &[("out", CType::Int)]),
        |i, o| {
            o.set(0, CValue::Int(i.int(0)?))?;
            o.set(0, CValue::Int(i.int(0)? + 1))
        },
    );
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&twice, &config);
        let r = program
            .run_sync(inputs(&program, &[("x", int(1))]))
            .unwrap();
        let failures = r.failures();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].1.kind, FailureKind::Error);
        assert!(
            failures[0].1.message.contains("twice"),
            "{}",
            failures[0].1.message
        );
        assert!(
            failures[0].1.message.contains("`out`"),
            "{}",
            failures[0].1.message
        );
    }
}

// ---------------------------------------------------------------------------
// Async modules
// ---------------------------------------------------------------------------

#[test]
fn async_signatures_follow_the_rust_types() {
    let zero = Module::asynchronous("a.zero", [], "out", || async { 1i64 });
    assert_eq!(
        zero.signature(),
        &sig("a.zero", &[], &[("out", CType::Int)])
    );
    assert!(zero.is_async());
    let three = Module::asynchronous(
        "a.three",
        ["s", "n", "flag"],
        "out",
        |s: String, n: i64, flag: bool| async move {
            if flag {
                Some(s.repeat(n as usize))
            } else {
                None
            }
        },
    );
    assert_eq!(
        three.signature(),
        &sig(
            "a.three",
            &[
                ("s", CType::String),
                ("n", CType::Int),
                ("flag", CType::Boolean)
            ],
            &[("out", CType::optional(CType::String))]
        )
    );
    let fallible = Module::asynchronous("a.fallible", ["xs"], "out", |xs: Vec<f64>| async move {
        xs.first().copied().ok_or("empty")
    });
    assert_eq!(
        fallible.signature(),
        &sig(
            "a.fallible",
            &[("xs", CType::list(CType::Float))],
            &[("out", CType::Float)]
        )
    );
}

#[tokio::test]
async fn async_modules_compute_through_a_pipeline() {
    let zero = Module::asynchronous("a.zero", [], "out", || async {
        tokio::task::yield_now().await;
        7i64
    });
    let program = program_for(&zero, &RuntimeConfig::default());
    assert!(program.has_async_modules());
    assert_eq!(run_async(&program, &[]).await, Ok(int(7)));

    let three = Module::asynchronous(
        "a.three",
        ["s", "n", "flag"],
        "out",
        |s: String, n: i64, flag: bool| async move {
            tokio::task::yield_now().await;
            if flag {
                Some(s.repeat(n as usize))
            } else {
                None
            }
        },
    );
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&three, &config);
        let args = |flag| {
            [
                ("s", string("ab")),
                ("n", int(3)),
                ("flag", CValue::Boolean(flag)),
            ]
        };
        assert_eq!(
            run_async(&program, &args(true)).await,
            Ok(CValue::some(string("ababab"), CType::String))
        );
        assert_eq!(
            run_async(&program, &args(false)).await,
            Ok(CValue::none(CType::String))
        );
    }
}

/// `x -> a.double (async) -> stdlib.add(_, y) -> sum`, and a sync branch.
#[tokio::test]
async fn async_and_sync_modules_chain() {
    let mut registry = Registry::with_stdlib();
    registry.register(Module::asynchronous(
        "a.double",
        ["x"],
        "out",
        |x: i64| async move {
            tokio::task::yield_now().await;
            x * 2
        },
    ));
    let mut b = DagBuilder::seeded("chain", 9);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let double = b.module("a.double");
    b.bind(x, double, "x");
    let doubled = b.produce(double, "out", "doubled", CType::Int);
    let add = b.module("stdlib.add");
    b.bind(doubled, add, "a");
    b.bind(y, add, "b");
    let sum = b.produce(add, "out", "sum", CType::Int);
    let neg = b.module("stdlib.negate");
    b.bind(y, neg, "value");
    let negated = b.produce(neg, "out", "negated", CType::Int);
    b.output("sum", sum);
    b.output("negated", negated);
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = Program::load(&b.build(), &registry, &config).unwrap();
        for (xv, yv) in [(20, 2), (-5, 10)] {
            let r = program
                .run(inputs(&program, &[("x", int(xv)), ("y", int(yv))]))
                .await
                .unwrap();
            assert!(r.is_success(), "{:?}", r.problems());
            assert_eq!(r.output_named("sum"), Some(&int(xv * 2 + yv)));
            assert_eq!(r.output_named("negated"), Some(&int(-yv)));
        }
    }
}

#[tokio::test]
async fn an_async_modules_err_is_a_module_error() {
    let picky = Module::asynchronous("a.picky", ["x"], "out", |x: i64| async move {
        tokio::task::yield_now().await;
        if x < 0 {
            Err(format!("remote refused {x}"))
        } else {
            Ok(x + 100)
        }
    });
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&picky, &config);
        assert_eq!(
            run_async(&program, &[("x", int(-3))]).await,
            Err(NodeFailure {
                kind: FailureKind::Error,
                message: "remote refused -3".to_owned()
            })
        );
        assert_eq!(run_async(&program, &[("x", int(1))]).await, Ok(int(101)));
    }
}

#[tokio::test]
async fn a_panic_inside_an_async_modules_future_is_a_panic_failure() {
    let fragile = Module::asynchronous("a.fragile", ["x"], "out", |x: i64| async move {
        // Panic after a suspension, inside the future's poll.
        tokio::task::yield_now().await;
        if x == 3 {
            panic!("async boom {x}");
        }
        x * 10
    });
    for config in [
        RuntimeConfig::default().with_pool_size(1),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&fragile, &config);
        let failure = run_async(&program, &[("x", int(3))]).await.unwrap_err();
        assert_eq!(failure.kind, FailureKind::Panic);
        assert!(
            failure.message.contains("async boom 3"),
            "{}",
            failure.message
        );
        // The next execution on the same program is unaffected.
        assert_eq!(run_async(&program, &[("x", int(4))]).await, Ok(int(40)));
        let m = program.metrics();
        assert_eq!(m.executions_failed, 1);
        assert_eq!(m.executions_succeeded, 1);
        assert_eq!(m.modules_failed, 1);
    }
}

#[tokio::test]
async fn a_panic_before_an_async_module_returns_its_future_is_a_panic_failure() {
    let eager = Module::asynchronous("a.eager", ["x"], "out", |x: i64| {
        if x < 0 {
            panic!("eager boom {x}");
        }
        std::future::ready(x)
    });
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&eager, &config);
        let failure = run_async(&program, &[("x", int(-1))]).await.unwrap_err();
        assert_eq!(failure.kind, FailureKind::Panic);
        assert!(
            failure.message.contains("eager boom -1"),
            "{}",
            failure.message
        );
        assert_eq!(run_async(&program, &[("x", int(5))]).await, Ok(int(5)));
    }
}

/// An `IntoValue` that breaks its contract (says Int, gives a String).
struct Liar;
impl asterism_runtime::typed::IntoValue for Liar {
    fn ctype() -> CType {
        CType::Int
    }
    fn into_value(self) -> CValue {
        CValue::String("not an int".to_owned())
    }
}

#[test]
#[cfg(debug_assertions)]
fn a_typed_module_whose_output_breaks_into_value_fails_in_debug_builds() {
    // Typed outputs are stored unchecked; debug builds assert the
    // contract, and the assertion fails the node like any panic.
    let liar = Module::sync("t.liar", ["x"], "out", |_x: i64| Liar);
    let program = program_for(&liar, &RuntimeConfig::default());
    let failure = run(&program, &[("x", int(1))]).unwrap_err();
    assert_eq!(failure.kind, FailureKind::Panic);
    assert!(failure.message.contains("IntoValue"), "{}", failure.message);
}

#[tokio::test]
async fn a_raw_async_module_ready_at_once_with_a_mistyped_value_fails_naming_the_output() {
    // Typed async modules skip the output check (their type is fixed by
    // construction); a raw one's single ready output is still checked.
    let liar = Module::raw_async(
        sig("a.liar", &[("x", CType::Int)], &[("count", CType::Int)]),
        |_| Box::pin(async { Ok(ModuleOutput::One(CValue::String("seven".to_owned()))) }),
    );
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = program_for(&liar, &config);
        let failure = run_async(&program, &[("x", int(1))]).await.unwrap_err();
        assert_eq!(failure.kind, FailureKind::Error);
        assert!(failure.message.contains("`count`"), "{}", failure.message);
        assert!(failure.message.contains("Int"), "{}", failure.message);
    }
}

#[tokio::test]
async fn raw_async_modules_write_many_outputs_and_a_short_list_fails() {
    let good = Module::raw_async(divmod_signature("a.divmod"), |i| {
        let ab = i.int(0).and_then(|a| Ok((a, i.int(1)?)));
        Box::pin(async move {
            let (a, b) = ab?;
            tokio::task::yield_now().await;
            Ok::<_, ModuleError>(ModuleOutput::Many(vec![
                CValue::Int(a / b),
                CValue::Int(a % b),
            ]))
        })
    });
    let short = Module::raw_async(divmod_signature("a.short"), |i| {
        let a = i.int(0);
        Box::pin(async move { Ok::<_, ModuleError>(ModuleOutput::Many(vec![CValue::Int(a?)])) })
    });
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = load_divmod(good.clone(), &config);
        let r = program.run(ab(&program, 17, 5)).await.unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("neg"), Some(&int(-3)));
        assert_eq!(r.output_named("text"), Some(&string("2")));
        drop(r);

        let program = load_divmod(short.clone(), &config);
        let r = program.run(ab(&program, 17, 5)).await.unwrap();
        let failures = r.failures();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].1.kind, FailureKind::Error);
        assert!(
            failures[0].1.message.contains("`a.short`"),
            "{}",
            failures[0].1.message
        );
        assert_eq!(r.skipped_count(), 2);
    }
}

// ---------------------------------------------------------------------------
// Registry and binding
// ---------------------------------------------------------------------------

fn custom_registry() -> Registry {
    let mut registry = Registry::with_stdlib();
    registry.register(Module::sync("t.alpha", ["x"], "out", |x: i64| x + 1));
    registry.register(Module::sync("t.beta", ["x"], "out", |x: i64| x * 3));
    registry
}

/// `x -> t.alpha -> a; x -> mydag.beta (t.beta) -> b; stdlib.add(a, b)`.
fn three_module_spec() -> (DagSpec, [(uuid::Uuid, &'static str, &'static str); 3]) {
    let mut b = DagBuilder::seeded("bind", 21);
    let x = b.input("x", CType::Int);
    let alpha = b.module("t.alpha");
    b.bind(x, alpha, "x");
    let a = b.produce(alpha, "out", "a", CType::Int);
    let beta = b.module("mydag.beta");
    b.bind(x, beta, "x");
    let bv = b.produce(beta, "out", "b", CType::Int);
    let add = b.module("stdlib.add");
    b.bind(a, add, "a");
    b.bind(bv, add, "b");
    let sum = b.produce(add, "out", "sum", CType::Int);
    b.output("sum", sum);
    let nodes = [
        (b.module_uuid(alpha).unwrap(), "t.alpha", "t.alpha"),
        (b.module_uuid(beta).unwrap(), "mydag.beta", "t.beta"),
        (b.module_uuid(add).unwrap(), "stdlib.add", "stdlib.add"),
    ];
    (b.build(), nodes)
}

#[test]
fn the_plan_runs_when_every_module_is_registered() {
    let (spec, _) = three_module_spec();
    let program = Program::load(&spec, &custom_registry(), &RuntimeConfig::default()).unwrap();
    let r = program
        .run_sync(inputs(&program, &[("x", int(4))]))
        .unwrap();
    assert_eq!(r.output_named("sum"), Some(&int(5 + 12)));
}

#[test]
fn binding_reports_every_missing_module_at_once() {
    let (spec, nodes) = three_module_spec();
    let plan = custom_registry().compile(&spec).unwrap();
    let errors = Program::bind(plan, &Registry::new(), &RuntimeConfig::default()).unwrap_err();
    assert_eq!(errors.0.len(), 3, "{errors}");
    let mut seen = BTreeSet::new();
    for e in &errors.0 {
        match e {
            BindError::Missing { node, module } => {
                let (_, spec_name, registered) = nodes
                    .iter()
                    .find(|(uuid, _, _)| *uuid == node.uuid)
                    .unwrap_or_else(|| panic!("{e}: not one of the module nodes"));
                assert_eq!(node.name, *spec_name, "{e}");
                assert_eq!(module, registered, "{e}");
                seen.insert(node.uuid);
            }
            other => panic!("expected Missing, got {other}"),
        }
    }
    assert_eq!(seen.len(), 3, "each node is reported once");
    let text = errors.to_string();
    assert!(text.contains("3 problems"), "{text}");
    for (uuid, _, registered) in nodes {
        assert!(text.contains(&uuid.to_string()), "{text}");
        assert!(text.contains(registered), "{text}");
    }
}

#[test]
fn binding_reports_only_the_modules_that_are_missing() {
    let (spec, nodes) = three_module_spec();
    let plan = custom_registry().compile(&spec).unwrap();
    let errors =
        Program::bind(plan, &Registry::with_stdlib(), &RuntimeConfig::default()).unwrap_err();
    let mut missing: Vec<(uuid::Uuid, String)> = errors
        .0
        .iter()
        .map(|e| match e {
            BindError::Missing { node, module } => (node.uuid, module.clone()),
            other => panic!("expected Missing, got {other}"),
        })
        .collect();
    missing.sort();
    let mut want: Vec<(uuid::Uuid, String)> = nodes[..2]
        .iter()
        .map(|(u, _, m)| (*u, (*m).to_owned()))
        .collect();
    want.sort();
    assert_eq!(missing, want);
}

#[test]
fn binding_against_a_changed_signature_is_refused() {
    let (spec, nodes) = three_module_spec();
    let plan = custom_registry().compile(&spec).unwrap();
    let mut changed = custom_registry();
    // Same name, a Float parameter now.
    changed.register(Module::sync("t.alpha", ["x"], "out", |x: f64| x as i64));
    assert_eq!(changed.len(), custom_registry().len(), "register replaces");
    let errors = Program::bind(plan, &changed, &RuntimeConfig::default()).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    match &errors.0[0] {
        BindError::SignatureChanged { node, module } => {
            assert_eq!(node.uuid, nodes[0].0);
            assert_eq!(module, "t.alpha");
        }
        other => panic!("expected SignatureChanged, got {other}"),
    }
}

// ---------------------------------------------------------------------------
// Latency
// ---------------------------------------------------------------------------

/// The body sleeps at least this long, so a recorded latency can be checked
/// from below (the sleep is the workload measured, not synchronisation).
const NAP: std::time::Duration = std::time::Duration::from_millis(3);

#[test]
fn a_sync_modules_latency_covers_its_body_and_is_absent_when_off() {
    let napper = Module::sync("t.nap", ["x"], "out", |x: i64| {
        std::thread::sleep(NAP);
        x + 1
    });
    let m0 = asterism_compiler::ModuleIx(0);
    let program = program_for(&napper, &RuntimeConfig::default());
    let r = program
        .run_sync(inputs(&program, &[("x", int(1))]))
        .expect("valid inputs");
    let latency = r.module_latency(m0).expect("recorded by default");
    assert!(
        latency >= NAP,
        "{latency:?} is shorter than the body's {NAP:?}"
    );
    assert!(r.total_latency() >= latency);
    drop(r);

    let quiet = program_for(&napper, &RuntimeConfig::default().without_latency());
    let r = quiet
        .run_sync(inputs(&quiet, &[("x", int(1))]))
        .expect("valid inputs");
    assert_eq!(r.module_latency(m0), None);
}

/// `x + 1` after a [`NAP`], with a 100 µs timeout: it always times out.
fn napping_past_its_timeout(name: &str) -> Module {
    Module::sync(name, ["x"], "out", |x: i64| {
        std::thread::sleep(NAP);
        x + 1
    })
    .with_timeout(std::time::Duration::from_micros(100))
}

#[test]
fn a_sync_module_past_its_timeout_times_out_with_latency_recording_off_too() {
    // With latency off, a pass with no timed node reads no clock at all; a
    // module with a timeout must still be timed.
    let napper = napping_past_its_timeout("t.slow");
    let config = RuntimeConfig::default().without_latency();
    let program = program_for(&napper, &config);
    let r = program
        .run_sync(inputs(&program, &[("x", int(1))]))
        .expect("valid inputs");
    let failure = outcome(&r).expect_err("past its timeout");
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(r.module_latency(asterism_compiler::ModuleIx(0)), None);
    assert!(r.total_latency() >= NAP, "the total is measured either way");

    // No timeout and no latency: nothing timed, and the total still is.
    let quick = Module::sync("t.quick", ["x"], "out", |x: i64| x + 1);
    let program = program_for(&quick, &config);
    let r = program
        .run_sync(inputs(&program, &[("x", int(1))]))
        .expect("valid inputs");
    assert_eq!(outcome(&r), Ok(int(2)));
    assert!(r.total_latency() > std::time::Duration::ZERO);
}

/// One execution in three records latencies, counted across the ways of
/// running a program (they share the thread's count): the first, fourth
/// and seventh here.
const EVERY_THIRD: std::num::NonZeroU32 = std::num::NonZeroU32::new(3).unwrap();

/// Which of the executions `run` makes record their module's latency,
/// checked against the status and the snapshot as well.
fn sampled(
    mut run: impl FnMut(usize) -> (CValue, Option<std::time::Duration>, usize),
) -> Vec<bool> {
    (0..7)
        .map(|i| {
            let (out, latency, in_snapshot) = run(i);
            assert_eq!(out, int(i as i64 + 1), "execution {i} computed its value");
            assert_eq!(in_snapshot, usize::from(latency.is_some()), "execution {i}");
            latency.is_some()
        })
        .collect()
}

const ONE_IN_THREE: [bool; 7] = [true, false, false, true, false, false, true];

fn observe(
    r: &asterism_runtime::ExecutionResult<'_>,
) -> (CValue, Option<std::time::Duration>, usize) {
    let m0 = asterism_compiler::ModuleIx(0);
    let latency = r.module_latency(m0);
    let status = r.status(r.plan().module_node(m0));
    assert_eq!(
        status,
        asterism_runtime::NodeStatus::Completed { latency },
        "the status carries the same latency"
    );
    (
        outcome(r).expect("completes"),
        latency,
        r.snapshot().latencies.len(),
    )
}

#[test]
fn sampled_latencies_are_recorded_in_one_execution_of_every_k() {
    let inc = Module::sync("t.inc", ["x"], "out", |x: i64| x + 1);
    let config = RuntimeConfig::default().with_latency_sampled(EVERY_THIRD);
    // The slot runtime, pooled and not, `run_sync` and `run_sync_with`
    // taking turns; and the reference executor.
    for config in [
        config.clone(),
        config.clone().without_pooling(),
        config.clone().reference(),
    ] {
        let program = program_for(&inc, &config);
        let seen = sampled(|i| {
            let ins = inputs(&program, &[("x", int(i as i64))]);
            let r = if i % 2 == 0 {
                program.run_sync(ins)
            } else {
                program.run_sync_with(ins, &asterism_runtime::RunOptions::default())
            };
            observe(&r.expect("valid inputs"))
        });
        assert_eq!(seen, ONE_IN_THREE, "{config:?}");
        assert_eq!(program.metrics().executions_started, 7);
    }
    // Every execution when the sampling is 1; by default (64), the first
    // of the thread only, in these seven; none with latency off whatever
    // the sampling.
    let every = program_for(
        &inc,
        &RuntimeConfig::default().with_latency_every_execution(),
    );
    assert_eq!(
        sampled(|i| observe(
            &every
                .run_sync(inputs(&every, &[("x", int(i as i64))]))
                .unwrap()
        )),
        [true; 7]
    );
    let default = program_for(&inc, &RuntimeConfig::default());
    assert_eq!(
        sampled(|i| observe(
            &default
                .run_sync(inputs(&default, &[("x", int(i as i64))]))
                .unwrap()
        )),
        [true, false, false, false, false, false, false]
    );
    let off = program_for(&inc, &config.without_latency());
    assert_eq!(
        sampled(|i| observe(&off.run_sync(inputs(&off, &[("x", int(i as i64))])).unwrap())),
        [false; 7]
    );
}

/// Seven executions of `program` (`x + 1`) through `run`: which recorded
/// the module's latency (checked against the status and the snapshot too).
async fn sampled_runs(program: &Program) -> Vec<bool> {
    let mut seen = Vec::new();
    for i in 0..7 {
        let r = program
            .run(inputs(program, &[("x", int(i))]))
            .await
            .expect("valid inputs");
        let (out, latency, in_snapshot) = observe(&r);
        assert_eq!(out, int(i + 1), "execution {i} computed its value");
        assert_eq!(in_snapshot, usize::from(latency.is_some()), "execution {i}");
        seen.push(latency.is_some());
    }
    seen
}

#[tokio::test]
async fn sampled_latencies_of_async_modules_follow_the_same_count() {
    let inc = Module::asynchronous("t.async-inc", ["x"], "out", |x: i64| async move { x + 1 });
    let program = program_for(
        &inc,
        &RuntimeConfig::default().with_latency_sampled(EVERY_THIRD),
    );
    assert_eq!(sampled_runs(&program).await, ONE_IN_THREE);
}

#[tokio::test]
async fn sampled_latencies_of_pending_futures_and_panics_follow_the_count() {
    // A future pending at its first poll finishes from the in-flight list;
    // a panicking body fails its node through the unwind guard. Both
    // record their latency only in executions the sampling draws.
    let config = RuntimeConfig::default().with_latency_sampled(EVERY_THIRD);
    let m0 = asterism_compiler::ModuleIx(0);
    let later = Module::asynchronous("t.later", ["x"], "out", |x: i64| async move {
        tokio::task::yield_now().await;
        x + 1
    });
    let program = program_for(&later, &config);
    assert_eq!(
        sampled_runs(&program).await,
        ONE_IN_THREE,
        "pending futures"
    );

    let panics = Module::sync("t.panics", ["x"], "out", |_: i64| -> i64 {
        panic!("always")
    });
    let program = program_for(&panics, &config);
    let seen: Vec<bool> = (0..7)
        .map(|_| {
            let r = program
                .run_sync(inputs(&program, &[("x", int(1))]))
                .expect("valid inputs");
            assert_eq!(outcome(&r).expect_err("panics").kind, FailureKind::Panic);
            r.module_latency(m0).is_some()
        })
        .collect();
    assert_eq!(seen, ONE_IN_THREE, "panicking bodies");
}

#[test]
fn an_execution_that_records_no_latency_still_times_a_module_out() {
    let slow = napping_past_its_timeout("t.slow-sampled");
    let config = RuntimeConfig::default().with_latency_sampled(EVERY_THIRD);
    let program = program_for(&slow, &config);
    for i in 0..3 {
        let r = program
            .run_sync(inputs(&program, &[("x", int(1))]))
            .expect("valid inputs");
        let failure = outcome(&r).expect_err("past its timeout");
        assert_eq!(failure.kind, FailureKind::Timeout, "execution {i}");
        let latency = r.module_latency(asterism_compiler::ModuleIx(0));
        assert_eq!(latency.is_some(), i == 0, "execution {i}: {latency:?}");
    }
}

#[test]
fn a_timed_module_after_an_untimed_one_is_timed_from_its_own_start() {
    // `fast-a` (timed) -> `nap` (untimed, 50 ms) -> `fast-c` (25 ms
    // timeout). With latencies not recorded, only the timed modules read
    // the clock; `fast-c` must not be charged for `nap`'s time (a reading
    // taken before `nap` ran).
    const LONG_NAP: std::time::Duration = std::time::Duration::from_millis(50);
    let mut registry = Registry::new();
    registry.register(
        Module::sync("t.fast-a", ["x"], "out", |x: i64| x + 1)
            .with_timeout(std::time::Duration::from_secs(60)),
    );
    registry.register(Module::sync("t.nap", ["x"], "out", |x: i64| {
        std::thread::sleep(LONG_NAP);
        x * 2
    }));
    registry.register(
        Module::sync("t.fast-c", ["x"], "out", |x: i64| x - 1).with_timeout(LONG_NAP / 2),
    );
    let mut b = DagBuilder::seeded("timed-untimed-timed", 12);
    let mut prev = b.input("x", CType::Int);
    for (i, name) in ["t.fast-a", "t.nap", "t.fast-c"].into_iter().enumerate() {
        let m = b.module(name);
        b.bind(prev, m, "x");
        prev = b.produce(m, "out", format!("v{i}"), CType::Int);
    }
    b.output("result", prev);
    let spec = b.build();
    for config in [
        RuntimeConfig::default().without_latency(),
        RuntimeConfig::default().with_latency_sampled(std::num::NonZeroU32::new(2).unwrap()),
        RuntimeConfig::default(),
    ] {
        let program = Program::load(&spec, &registry, &config).expect("loads");
        for i in 0..2 {
            let r = program
                .run_sync(inputs(&program, &[("x", int(3))]))
                .expect("valid inputs");
            assert_eq!(outcome(&r), Ok(int(7)), "run {i} with {config:?}");
        }
    }
}

#[test]
fn a_failed_modules_latency_is_recorded_too() {
    let fragile = Module::sync("t.nap-then-panic", ["x"], "out", |_: i64| -> i64 {
        std::thread::sleep(NAP);
        panic!("after a nap")
    });
    let program = program_for(&fragile, &RuntimeConfig::default());
    let r = program
        .run_sync(inputs(&program, &[("x", int(1))]))
        .expect("valid inputs");
    assert!(!r.is_success());
    let latency = r
        .module_latency(asterism_compiler::ModuleIx(0))
        .expect("a failed module ran, so it has a latency");
    assert!(latency >= NAP, "{latency:?}");
}

#[tokio::test]
async fn an_async_modules_latency_covers_a_future_ready_at_once() {
    let napper = Module::asynchronous("t.async-nap", ["x"], "out", |x: i64| async move {
        std::thread::sleep(NAP);
        x * 2
    });
    let program = program_for(&napper, &RuntimeConfig::default());
    let r = program
        .run(inputs(&program, &[("x", int(4))]))
        .await
        .expect("valid inputs");
    assert_eq!(outcome(&r), Ok(int(8)));
    let latency = r
        .module_latency(asterism_compiler::ModuleIx(0))
        .expect("recorded");
    assert!(latency >= NAP, "{latency:?}");
}

/// Panics when dropped, once armed.
struct PanicsWhenDropped(bool);

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        if self.0 && !std::thread::panicking() {
            panic!("dropped a ready future that panics in drop");
        }
    }
}

/// Runs `module` (which panics in drop for x = 13) once failing and once
/// not, on one pooled state: the panic fails the node, the driver survives.
async fn a_panic_in_drop_fails_the_node(module: Module) {
    let program = program_for(&module, &RuntimeConfig::default().with_pool_size(1));
    let failure = run_async(&program, &[("x", int(13))]).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Panic);
    assert!(
        failure.message.contains("panics in drop"),
        "{}",
        failure.message
    );
    // The same pooled state serves the next run.
    assert_eq!(run_async(&program, &[("x", int(1))]).await, Ok(int(2)));
    assert_eq!(program.metrics().pool.misses, 0);
}

#[tokio::test]
async fn a_ready_future_that_panics_in_drop_fails_its_node_and_the_driver_survives() {
    a_panic_in_drop_fails_the_node(Module::asynchronous(
        "t.bad-drop",
        ["x"],
        "out",
        |x: i64| {
            let guard = PanicsWhenDropped(x == 13);
            async move {
                // The guard lives in the future's state, so it drops with it.
                let _keep = &guard;
                x + 1
            }
        },
    ))
    .await;
}

#[tokio::test]
async fn an_execution_cancelled_or_late_before_it_starts_polls_no_future() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let polled = Arc::new(AtomicUsize::new(0));
    let seen = polled.clone();
    let module = Module::asynchronous("t.count", ["x"], "out", move |x: i64| {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            x
        }
    });
    let program = program_for(&module, &RuntimeConfig::default());
    let token = asterism_runtime::CancellationToken::new();
    token.cancel();
    let r = program
        .run_with(
            inputs(&program, &[("x", int(1))]),
            &asterism_runtime::RunOptions::with_cancel(token),
        )
        .await
        .expect("valid inputs");
    assert!(r.is_cancelled());
    drop(r);
    let late = asterism_runtime::RunOptions {
        deadline: Some(tokio::time::Instant::now() - std::time::Duration::from_millis(1)),
        ..Default::default()
    };
    let r = program
        .run_with(inputs(&program, &[("x", int(1))]), &late)
        .await
        .expect("valid inputs");
    assert!(r.deadline_exceeded());
    drop(r);
    assert_eq!(polled.load(Ordering::SeqCst), 0, "no future was polled");
    // The same program runs normally afterwards.
    assert_eq!(run_async(&program, &[("x", int(5))]).await, Ok(int(5)));
    assert_eq!(polled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_pending_future_that_panics_in_drop_fails_its_node_too() {
    a_panic_in_drop_fails_the_node(Module::asynchronous(
        "t.bad-drop-later",
        ["x"],
        "out",
        |x: i64| {
            let guard = PanicsWhenDropped(x == 13);
            async move {
                let _keep = &guard;
                // Pending once, so the future finishes through the
                // in-flight list.
                tokio::task::yield_now().await;
                x + 1
            }
        },
    ))
    .await;
}
